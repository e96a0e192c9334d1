//! Writes SYNTHETIC event logs with the EVTX writer of `culprit::synth::evtx`.
//!
//! ```text
//! cargo run --release --example gen-evtx -- ticket DIR         # the example ticket's two logs
//! cargo run --release --example gen-evtx -- big N OUT [EVERY]  # a Security log of N events
//! ```
//! `big` plants one mstsc.exe 4656 failure every EVERY events (default 1000) and prints
//! the record count.

use std::path::Path;

use culprit::synth::evtx::write_evtx;
use culprit::synth::evtx_logs;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: gen-evtx ticket DIR | gen-evtx big N OUT [EVERY]";
    let write = |path: &Path, events: Box<dyn Iterator<Item = _>>| {
        let f = std::fs::File::create(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let n = write_evtx(std::io::BufWriter::with_capacity(1 << 20, f), events)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        println!("{}: {n} records", path.display());
    };
    match args.first().map(String::as_str) {
        Some("ticket") if args.len() == 2 => {
            let dir = Path::new(&args[1]);
            write(
                &dir.join("PC01_Security.evtx"),
                Box::new(evtx_logs::ticket_security().into_iter()),
            );
            write(
                &dir.join("PC01_Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx"),
                Box::new(evtx_logs::ticket_rdp_client().into_iter()),
            );
        }
        Some("big") if args.len() >= 3 => {
            let n: u64 = args[1].parse().expect("N events");
            let every = args.get(3).map_or(1000, |e| e.parse().expect("EVERY"));
            write(
                Path::new(&args[2]),
                Box::new(evtx_logs::big_security(n, every)),
            );
        }
        _ => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
    }
}
