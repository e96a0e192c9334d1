//! Writes a SYNTHETIC Procmon CSV export of any size with planted failures.
//!
//! ```text
//! cargo run --release --example gen-procmon -- SIZE OUT [--all-columns] [--seed N] [--pml]
//! cargo run --release --example gen-procmon -- 1G /tmp/big.csv
//! cargo run --release --example gen-procmon -- 256M /tmp/big.pml --pml   # native capture
//! ```
//! SIZE takes K, M or G suffixes (powers of 1024). Prints the generator's own counts
//! (rows, failures, grep's over-count) as JSON on stdout.

use std::io::BufWriter;

use culprit::synth::pml::write_procmon_pml;
use culprit::synth::{Config, write_procmon_csv};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-procmon SIZE OUT [--all-columns] [--seed N] [--pml] [--hard]";
    let (Some(size), Some(out)) = (
        args.first().and_then(|s| culprit::synth::parse_size(s)),
        args.get(1),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let mut cfg = Config {
        target_bytes: size,
        all_columns: args.iter().any(|a| a == "--all-columns"),
        hard: args.iter().any(|a| a == "--hard"),
        ..Config::default()
    };
    if let Some(i) = args.iter().position(|a| a == "--seed") {
        cfg.seed = args
            .get(i + 1)
            .and_then(|s| s.parse().ok())
            .unwrap_or(cfg.seed);
    }
    let file = std::fs::File::create(out).unwrap_or_else(|e| panic!("{out}: {e}"));
    let mut w = BufWriter::with_capacity(1 << 20, file);
    let t = if args.iter().any(|a| a == "--pml") {
        write_procmon_pml(&mut w, &cfg)
    } else {
        write_procmon_csv(&mut w, &cfg)
    }
    .unwrap_or_else(|e| panic!("{out}: {e}"));
    drop(w);
    println!(
        "{{\"rows\":{},\"bytes\":{},\"failures_all\":{},\"failures_default\":{},\"grep_mstsc_lines\":{},\"mstsc_denied_rows\":{}}}",
        t.rows,
        t.bytes,
        t.failures_all,
        t.failures_default,
        t.grep_mstsc_lines,
        t.mstsc_denied_rows
    );
}
