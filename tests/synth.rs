//! Generated exports with a planted truth: the planted paths rank first, counts equal
//! the generator's own, and chunked, parallel, streamed and gzipped reads agree.

mod common;

use std::io::Write;

use common::*;
use culprit::discover::Input;
use culprit::filter::{Filter, ProcessSet};
use culprit::progress::NoProgress;
use culprit::rank::rank;
use culprit::report::Report;
use culprit::scan::{ScanOptions, scan_with};
use culprit::synth::{Config, Truth, default_plants, write_procmon_csv};

fn generate(dir: &std::path::Path, name: &str, cfg: &Config) -> (std::path::PathBuf, Truth) {
    let path = dir.join(name);
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let truth = write_procmon_csv(&mut f, cfg).unwrap();
    f.flush().unwrap();
    (path, truth)
}

#[test]
fn planted_paths_rank_first_in_every_layout() {
    let dir = tempfile::tempdir().unwrap();
    for (seed, all_columns) in [(1u64, false), (2, true), (3, false)] {
        let cfg = Config {
            target_bytes: 3 << 20,
            seed,
            all_columns,
            ..Config::default()
        };
        let (path, truth) = generate(dir.path(), &format!("gen{seed}.csv"), &cfg);
        let (code, r, err) = run_json(&[path.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let want: Vec<&str> = default_plants().iter().map(|p| p.path).collect();
        assert_eq!(&paths(&r)[..want.len()], &want[..], "seed {seed}");
        for (f, p) in r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .zip(default_plants())
        {
            assert_eq!(f["count"], p.repeats, "seed {seed}");
            assert_eq!(f["unrecovered"], p.repeats, "seed {seed}");
        }
        assert_eq!(
            r["inputs"][0]["matches"], truth.failures_default,
            "seed {seed}"
        );
        assert_eq!(r["inputs"][0]["rows"], truth.rows, "seed {seed}");
        let (_, all, _) = run_json(&[path.to_str().unwrap(), "--all-processes"]);
        assert_eq!(
            all["inputs"][0]["matches"], truth.failures_all,
            "seed {seed}"
        );
    }
}

#[test]
fn fields_not_lines_a_process_name_inside_a_path_does_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let (path, truth) = generate(
        dir.path(),
        "trap.csv",
        &Config {
            target_bytes: 2 << 20,
            ..Config::default()
        },
    );
    let (_, r, _) = run_json(&[
        path.to_str().unwrap(),
        "-p",
        "mstsc.exe",
        "--status",
        "denied",
        "--top",
        "0",
    ]);
    let counted: u64 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, truth.mstsc_denied_rows);
    assert!(
        truth.grep_mstsc_lines > truth.mstsc_denied_rows,
        "the generator plants the grep trap"
    );
}

fn report_json(path: &std::path::Path, options: ScanOptions) -> String {
    let filter = Filter {
        processes: ProcessSet::All,
        ..Filter::default()
    };
    let inputs = [Input::file(path.to_path_buf(), true)];
    let outcome = scan_with(&inputs, &filter, options, &NoProgress);
    let mut report = Report::new(&outcome, rank(&outcome, 0), &filter);
    // Encoding and path differ by design between the variants compared here.
    for i in &mut report.inputs {
        i.path = String::new();
        i.gzip = false;
        i.bytes = 0;
    }
    for c in &mut report.context {
        c.input.clear();
    }
    for f in &mut report.findings {
        f.first_seen.input.clear();
        f.last_seen.input.clear();
        f.sources.iter_mut().for_each(|s| s.name.clear());
        f.samples.iter_mut().for_each(|s| s.input.clear());
    }
    serde_json::to_string(&report).unwrap()
}

#[test]
fn chunked_streamed_and_gzipped_reads_equal_one_whole_read() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = generate(
        dir.path(),
        "g.csv",
        &Config {
            target_bytes: 2 << 20,
            seed: 9,
            ..Config::default()
        },
    );
    let whole = report_json(
        &path,
        ScanOptions {
            mmap: true,
            chunk: usize::MAX / 2,
            ..ScanOptions::default()
        },
    );
    assert!(whole.contains("MEDIA WRITE PROTECTED"));
    for chunk in [4096, 65_536, 1 << 20] {
        for mmap in [true, false] {
            assert_eq!(
                report_json(
                    &path,
                    ScanOptions {
                        mmap,
                        chunk,
                        ..ScanOptions::default()
                    }
                ),
                whole,
                "chunk {chunk} mmap {mmap}"
            );
        }
    }
    let gz_path = dir.path().join("g.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::fast(),
    );
    gz.write_all(&std::fs::read(&path).unwrap()).unwrap();
    gz.finish().unwrap();
    assert_eq!(
        report_json(
            &gz_path,
            ScanOptions {
                mmap: true,
                chunk: 100_000,
                ..ScanOptions::default()
            }
        ),
        whole
    );
}

#[test]
fn one_thread_and_all_threads_print_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let (path, _) = generate(
        dir.path(),
        "t.csv",
        &Config {
            target_bytes: 4 << 20,
            seed: 5,
            ..Config::default()
        },
    );
    let p = path.to_str().unwrap();
    let (_, one, _) = run(&[p, "--all-processes", "--top", "0", "-f", "json", "-j", "1"]);
    let (_, all, _) = run(&[p, "--all-processes", "--top", "0", "-f", "json", "-j", "0"]);
    assert!(!one.is_empty());
    assert_eq!(one, all);
}

/// The example ticket's event logs are exactly what the generator writes
/// (`cargo run --example gen-evtx -- ticket fixtures/tickets/rdp-install-denied`):
/// SYNTHETIC, and reproducible byte for byte.
#[test]
fn the_ticket_event_logs_are_the_generators_output() {
    use culprit::synth::evtx::write_evtx;
    use culprit::synth::evtx_logs::{ticket_rdp_client, ticket_security};
    let dir = "fixtures/tickets/rdp-install-denied";
    for (name, events) in [
        ("PC01_Security.evtx", ticket_security()),
        (
            "PC01_Microsoft-Windows-TerminalServices-RDPClient%4Operational.evtx",
            ticket_rdp_client(),
        ),
    ] {
        let mut cur = std::io::Cursor::new(Vec::new());
        write_evtx(&mut cur, events).unwrap();
        let committed = std::fs::read(format!("{dir}/{name}")).unwrap();
        assert!(
            cur.into_inner() == committed,
            "{name} drifted from the generator"
        );
    }
}
