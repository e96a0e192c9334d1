//! Criterion bench of the servicing-log source: a whole scan of a SYNTHETIC 32 MiB
//! CBS.log (`culprit::synth::cbs`), bytes/s, mapped.
//!
//! `cargo bench --bench servicing`.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use culprit::discover::Input;
use culprit::filter::Filter;
use culprit::progress::NoProgress;
use culprit::scan::{ScanOptions, scan_with};

fn bench(c: &mut Criterion) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CBS.log");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let t = culprit::synth::cbs::write_cbs(&mut f, 32 << 20, 5000).unwrap();
    drop(f);
    let filter = Filter::default();
    let inputs = [Input::file(path, true)];
    let mut g = c.benchmark_group("servicing");
    g.throughput(Throughput::Bytes(t.bytes));
    g.bench_function("scan_cbs_32MiB", |b| {
        b.iter(|| {
            scan_with(
                black_box(&inputs),
                &filter,
                ScanOptions::default(),
                &NoProgress,
            )
            .aggregate
            .events()
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
