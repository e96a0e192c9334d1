//! Writes a SYNTHETIC CBS.log of any size, in the exact grammar of real ones (UTF-8 BOM,
//! CRLF, level padded to 22, component to 7): CBS and CSI progress records, SFC-style
//! records with continuation lines, HRESULTs that are not denials, and one
//! `[HRESULT = 0x80070005 - E_ACCESSDENIED]` failure on a WinSxS file every EVERY
//! records.
//!
//! ```text
//! cargo run --release --example gen-cbs -- SIZE OUT [EVERY]    # SIZE: bytes, K/M/G suffix
//! ```
//! Prints the records written and the denials planted.

use std::io::{BufWriter, Write};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(size), Some(out)) = (
        args.first().and_then(|s| culprit::synth::parse_size(s)),
        args.get(1),
    ) else {
        eprintln!("usage: gen-cbs SIZE OUT [EVERY]");
        std::process::exit(2);
    };
    let every: u64 = args.get(2).and_then(|e| e.parse().ok()).unwrap_or(5000);
    let f = std::fs::File::create(out).expect("create");
    let mut w = BufWriter::with_capacity(1 << 20, f);
    let t = culprit::synth::cbs::write_cbs(&mut w, size, every).expect("write");
    w.flush().unwrap();
    println!(
        "{{\"bytes\":{},\"records\":{},\"denials\":{}}}",
        t.bytes, t.records, t.denials
    );
}
