//! Criterion benches of the Procmon sources: the CSV line parser, the literal
//! prefilter, a whole scan of a generated CSV export (mapped and streamed) and of the
//! same rows as a PML capture (events/s), and the recovery pass: the same scans on the
//! hard shape (`Config::hard`: hundreds of refused keys on long shared prefixes, most
//! never recovered, so the pass runs to the end of the file), whose difference from
//! the easy shape is the pass's cost.
//!
//! `cargo bench --bench procmon`. Throughput is reported in bytes of input.

use std::hint::black_box;
use std::io::Write;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use culprit::discover::Input;
use culprit::filter::Filter;
use culprit::progress::NoProgress;
use culprit::scan::{ScanOptions, scan_with};
use culprit::sources::io::prefilter::Prefilter;
use culprit::sources::procmon::record::LineParser;
use culprit::synth::pml::write_procmon_pml;
use culprit::synth::{Config, write_procmon_csv};

fn generated(bytes: u64) -> Vec<u8> {
    let mut v = Vec::with_capacity(bytes as usize + 4096);
    write_procmon_csv(
        &mut v,
        &Config {
            target_bytes: bytes,
            ..Config::default()
        },
    )
    .unwrap();
    v
}

fn bench(c: &mut Criterion) {
    let data = generated(32 << 20);
    let lines: Vec<&[u8]> = data.split(|&b| b == b'\n').skip(1).take(100_000).collect();
    let line_bytes: usize = lines.iter().map(|l| l.len() + 1).sum();

    let mut g = c.benchmark_group("procmon");
    g.throughput(Throughput::Bytes(line_bytes as u64));
    g.bench_function("line_parser_100k_rows", |b| {
        let mut p = LineParser::new(b',');
        b.iter(|| {
            let mut fields = 0;
            for l in &lines {
                fields += p.parse(black_box(l)).unwrap_or(0);
            }
            fields
        })
    });

    g.throughput(Throughput::Bytes(data.len() as u64));
    let pre = Prefilter::new(&Filter::default().statuses.procmon_literals());
    g.bench_function("prefilter_32MiB", |b| {
        let mut out = Vec::new();
        b.iter(|| {
            pre.lines(black_box(&data), &mut out);
            out.len()
        })
    });

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.csv");
    std::fs::File::create(&path)
        .unwrap()
        .write_all(&data)
        .unwrap();
    let inputs = [Input::file(path, true)];
    let filter = Filter::default();
    for (name, mmap) in [("scan_32MiB_mapped", true), ("scan_32MiB_streamed", false)] {
        g.bench_function(name, |b| {
            b.iter(|| {
                let out = scan_with(
                    &inputs,
                    &filter,
                    ScanOptions {
                        mmap,
                        ..ScanOptions::default()
                    },
                    &NoProgress,
                );
                out.aggregate.paths.len()
            })
        });
    }
    // The same generator's rows as a native PML capture.
    let pml_path = dir.path().join("bench.pml");
    let cfg = Config {
        target_bytes: 32 << 20,
        ..Config::default()
    };
    let truth = write_procmon_pml(&mut std::fs::File::create(&pml_path).unwrap(), &cfg).unwrap();
    let pml_inputs = [Input::file(pml_path, true)];
    g.throughput(Throughput::Elements(truth.rows));
    g.bench_function("scan_pml_32MiB_events", |b| {
        b.iter(|| {
            scan_with(&pml_inputs, &filter, ScanOptions::default(), &NoProgress)
                .aggregate
                .paths
                .len()
        })
    });
    // The recovery pass: the hard shape, as CSV and as PML.
    let hard = Config {
        target_bytes: 32 << 20,
        hard: true,
        ..Config::default()
    };
    let hard_csv = dir.path().join("hard.csv");
    write_procmon_csv(&mut std::fs::File::create(&hard_csv).unwrap(), &hard).unwrap();
    let hard_inputs = [Input::file(hard_csv, true)];
    g.throughput(Throughput::Bytes(
        std::fs::metadata(&hard_inputs[0].path).unwrap().len(),
    ));
    g.bench_function("recovery_hard_shape_32MiB_csv", |b| {
        b.iter(|| {
            scan_with(&hard_inputs, &filter, ScanOptions::default(), &NoProgress)
                .aggregate
                .paths
                .len()
        })
    });
    let hard_pml = dir.path().join("hard.pml");
    let hard_truth =
        write_procmon_pml(&mut std::fs::File::create(&hard_pml).unwrap(), &hard).unwrap();
    let hard_pml_inputs = [Input::file(hard_pml, true)];
    g.throughput(Throughput::Elements(hard_truth.rows));
    g.bench_function("recovery_hard_shape_32MiB_pml_events", |b| {
        b.iter(|| {
            scan_with(
                &hard_pml_inputs,
                &filter,
                ScanOptions::default(),
                &NoProgress,
            )
            .aggregate
            .paths
            .len()
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20);
    targets = bench
}
criterion_main!(benches);
