//! Criterion benches of the EVTX source: a whole scan of a SYNTHETIC Security log
//! (records/s), the prefilter's decision on raw values alone, and the real corpus
//! folder when `../shared/corpus/evtx` is present.
//!
//! `cargo bench --bench evtx`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use culprit::discover::Input;
use culprit::filter::Filter;
use culprit::progress::NoProgress;
use culprit::scan::{ScanOptions, scan_with};
use culprit::synth::evtx::write_evtx;
use culprit::synth::evtx_logs::big_security;

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Security.evtx");
    let records = 100_000;
    write_evtx(
        std::fs::File::create(&path).unwrap(),
        big_security(records, 1000),
    )
    .unwrap();
    let filter = Filter::default();
    let inputs = [Input::file(path.clone(), true)];
    let mut g = c.benchmark_group("evtx");
    g.throughput(Throughput::Elements(records));
    g.bench_function("scan_100k_records", |b| {
        b.iter(|| {
            scan_with(
                black_box(&inputs),
                &filter,
                ScanOptions::default(),
                &NoProgress,
            )
            .aggregate
            .paths
            .len()
        })
    });
    // Every record rendered: what the scan would cost without the prefilter.
    let bytes = std::fs::read(&path).unwrap();
    g.bench_function("render_every_record_100k", |b| {
        b.iter(|| {
            let mut p = evtx::EvtxParser::from_buffer(bytes.clone()).unwrap();
            p.records_json_value().filter_map(Result::ok).count()
        })
    });
    let corpus = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/corpus/evtx"
    ));
    if corpus.is_dir() {
        let (inputs, _) = culprit::discover::discover(&[corpus.to_path_buf()]);
        g.throughput(Throughput::Elements(19_954));
        g.bench_function("scan_corpus_folder", |b| {
            b.iter(|| {
                scan_with(&inputs, &filter, ScanOptions::default(), &NoProgress)
                    .inputs
                    .len()
            })
        });
    } else {
        eprintln!("note: ../shared/corpus/evtx absent; the corpus bench is skipped");
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(10);
    targets = bench
}
criterion_main!(benches);
