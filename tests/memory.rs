//! Memory per distinct offending path (issue 8, item 15): a hostile capture of
//! hundreds of thousands of distinct denied paths must cost well under 1 KB a path.
//!
//! Counted exactly, not sampled: a counting global allocator records the live heap's
//! high-water mark while a whole scan and its ranking run over a generated capture
//! (mapped from disk, so the input costs no heap). Allocation sizes do not depend on
//! timing, so the figure is the same on every run and machine with this allocator's
//! sizes; `benches/many_paths.sh` measures the process's peak RSS the same way with
//! `/usr/bin/time -v` at 300,000 and 2,000,000 paths.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use culprit::discover::Input;
use culprit::filter::Filter;
use culprit::progress::NoProgress;
use culprit::scan::{ScanOptions, scan_with};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = LIVE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        LIVE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOC: Counting = Counting;

/// Bytes of live heap a distinct denied path may cost, at most.
const BUDGET: usize = 1024;

#[test]
fn a_distinct_denied_path_costs_under_a_kilobyte() {
    let n = 50_000;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many-paths.csv");
    // The batch generator's export: each path refused once, never recovered (the
    // SUCCESS after each is on another path).
    let paths: Vec<String> = (0..n)
        .map(|i| format!("C:\\Users\\alice\\AppData\\Local\\Microsoft\\Terminal Server Client\\Cache\\bcache{i:08}.bmc"))
        .collect();
    let paths: Vec<&str> = paths.iter().map(String::as_str).collect();
    let csv = culprit::synth::tickets::procmon_csv(&paths, 1);
    std::fs::write(&file, csv).unwrap();
    let inputs = vec![Input::file(file.to_str().unwrap(), false)];
    let filter = Filter::default();
    let before = LIVE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let outcome = scan_with(&inputs, &filter, ScanOptions::default(), &NoProgress);
    let ranked = culprit::rank::rank(&outcome, 10);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert_eq!(outcome.aggregate.paths.len(), n, "every path is kept");
    assert_eq!(ranked.findings.len(), 10);
    assert!(
        ranked.findings.iter().all(|f| f.unrecovered == 1),
        "none of them recovers"
    );
    let per_path = peak / n;
    println!("peak live heap {peak} bytes for {n} paths: {per_path} bytes a path");
    assert!(
        per_path < BUDGET,
        "{per_path} bytes a path (budget {BUDGET})"
    );
}
