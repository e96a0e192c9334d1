//! Entry points for the fuzz targets in `fuzz/` (and the seed-replay test that runs
//! the same functions on stable): each feeds arbitrary bytes through one layer and the
//! whole pipeline after it (source, aggregation, ranking, verdicts, every report
//! format). None may panic, hang or grow memory without bound.

use std::io::Write as _;

use crate::filter::{Filter, ProcessSet, StatusSelection};
use crate::rank::rank;
use crate::report::{Format, Report};
use crate::scan::{ScanOutcome, scan_bytes};

/// Every class and SUCCESS: the widest filter, so every record is decoded.
fn widest() -> Filter {
    Filter {
        processes: ProcessSet::All,
        statuses: StatusSelection::parse(&[
            "denied,write-protect,privilege,cannot-delete,sharing,unrepairable,0x0",
        ])
        .unwrap_or_default(),
        ..Filter::default()
    }
}

/// Ranks and renders an outcome in every format, into a sink.
fn report(outcome: &ScanOutcome, filter: &Filter) {
    let ranked = rank(outcome, 0);
    let r = Report::new(outcome, ranked, filter);
    for f in [Format::Table, Format::Json, Format::Jsonl, Format::Csv] {
        let _ = r.write(f, &mut std::io::sink());
    }
}

/// Any bytes as one input: kind sniffing, gzip, text encodings, every source.
pub fn any(data: &[u8]) {
    let filter = widest();
    let (summary, aggregate) = scan_bytes("fuzz", data, &filter);
    let outcome = ScanOutcome {
        inputs: vec![summary],
        aggregate,
    };
    report(&outcome, &filter);
}

/// Bytes after a 7-column Procmon CSV header: the CSV source.
pub fn csv(data: &[u8]) {
    let mut b = b"\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n".to_vec();
    b.extend_from_slice(data);
    any(&b);
}

/// Bytes as a PML capture (the magic forced, the rest as given).
pub fn pml(data: &[u8]) {
    let mut b = data.to_vec();
    if b.len() < 4 {
        b.resize(4, 0);
    }
    b[..4].copy_from_slice(b"PML_");
    any(&b);
}

/// Bytes as an EVTX file (the magic forced, the rest as given): the event-log source.
pub fn evtx(data: &[u8]) {
    let mut b = data.to_vec();
    if b.len() < 8 {
        b.resize(8, 0);
    }
    b[..8].copy_from_slice(b"ElfFile\0");
    any(&b);
}

/// Bytes after a servicing log's first record: the servicing-log source.
pub fn servicing(data: &[u8]) {
    let mut b = b"2026-11-24 07:22:13, Info                  CBS    start\r\n".to_vec();
    b.extend_from_slice(data);
    any(&b);
}

/// Bytes inside a Procmon XML root: the XML source.
pub fn xml(data: &[u8]) {
    let mut b = b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<procmon>".to_vec();
    b.extend_from_slice(data);
    any(&b);
}

/// Bytes as a file on disk named `.zip`: the archive layer, discovery and the scan of
/// every member.
pub fn archive(data: &[u8]) {
    static SEQ: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = SEQ.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("culprit-fuzz-{}-{n}", std::process::id()));
    if std::fs::create_dir_all(&dir).is_err() {
        return;
    }
    let path = dir.join("ticket.zip");
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_ok() {
        let filter = widest();
        let (inputs, _) = crate::discover::discover(std::slice::from_ref(&path));
        let outcome = crate::scan::scan(&inputs, &filter, &crate::progress::NoProgress);
        report(&outcome, &filter);
    }
    let _ = std::fs::remove_dir_all(&dir);
}
