//! Ticket batches (`scan --tickets`): a generated batch of tickets (folders and zips,
//! one corrupt archive, one ticket with no log) gives each ticket its planted
//! culprits and the planted recurring path at the top of the fleet summary; shard
//! runs merged equal one run byte for byte; an interrupted run resumed from
//! `--out-dir` equals an uninterrupted one; `-j1` equals `-j2`.
//!
//! The Procmon CSVs are SYNTHETIC (written here, in the export's format).

mod common;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use common::*;
use culprit::synth::tickets::{self, filler_csv, procmon_csv, zip_bytes};
use serde_json::Value;

/// The path planted in three tickets: the recurring culprit.
const RECURRING: &str = tickets::RECURRING;

fn zip_of(path: &Path, members: &[(&str, &[u8])]) {
    std::fs::write(path, zip_bytes(members).unwrap()).unwrap();
}

/// The batch: (folder, [(ticket, its planted culprits)]).
fn batch(root: &Path) -> (PathBuf, Vec<(&'static str, Vec<&'static str>)>) {
    let b = root.join("batch");
    std::fs::create_dir_all(&b).unwrap();
    let alpha = vec![RECURRING, "C:\\Users\\a\\Documents\\Default.rdp"];
    let bravo = vec![
        RECURRING,
        "HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0",
    ];
    let charlie = vec![RECURRING];
    let foxtrot = vec!["C:\\ProgramData\\x\\only-foxtrot.dat"];
    // A folder ticket, nested folders inside.
    std::fs::create_dir_all(b.join("case-alpha/logs/procmon")).unwrap();
    std::fs::write(
        b.join("case-alpha/logs/procmon/Logfile.CSV"),
        procmon_csv(&alpha, 3),
    )
    .unwrap();
    // Zipped tickets (entries at the root, and in a folder).
    zip_of(
        &b.join("case-bravo.zip"),
        &[("Logfile.CSV", procmon_csv(&bravo, 2).as_bytes())],
    );
    zip_of(
        &b.join("case-charlie.zip"),
        &[
            ("PC03/Procmon.csv", procmon_csv(&charlie, 1).as_bytes()),
            ("PC03/notes.txt", b"collected by TSS"),
        ],
    );
    // A corrupt archive.
    std::fs::write(b.join("case-delta.zip"), b"PK\x03\x04 cut short").unwrap();
    // No relevant log.
    std::fs::create_dir_all(b.join("case-echo")).unwrap();
    std::fs::write(b.join("case-echo/readme.txt"), "nothing here\n").unwrap();
    // A ticket that is one plain file.
    std::fs::write(b.join("case-foxtrot.csv"), procmon_csv(&foxtrot, 1)).unwrap();
    let planted = vec![
        ("case-alpha", alpha),
        ("case-bravo.zip", bravo),
        ("case-charlie.zip", charlie),
        ("case-delta.zip", vec![]),
        ("case-echo", vec![]),
        ("case-foxtrot.csv", foxtrot),
    ];
    (b, planted)
}

fn scan_batch(dir: &Path, extra: &[&str]) -> (i32, String, String) {
    let mut a = vec!["--tickets", dir.to_str().unwrap()];
    a.extend_from_slice(extra);
    run(&a)
}

#[test]
fn each_ticket_gets_its_culprits_and_the_recurring_path_tops_the_fleet() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, planted) = batch(tmp.path());
    let (code, out, err) = scan_batch(&dir, &["-f", "json"]);
    assert_eq!(code, 2, "a ticket failed: {err}");
    assert!(
        err.contains("case-delta.zip"),
        "the bad ticket is named: {err}"
    );
    let r: Value = serde_json::from_str(&out).unwrap();
    let tickets = r["tickets"].as_array().unwrap();
    let ids: Vec<&str> = tickets
        .iter()
        .map(|t| t["ticket"].as_str().unwrap())
        .collect();
    let want: Vec<&str> = planted.iter().map(|(t, _)| *t).collect();
    assert_eq!(ids, want, "every ticket, in name order");
    for (t, (id, culprits)) in tickets.iter().zip(&planted) {
        let mut got: Vec<&str> = t["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        got.sort();
        let mut want = culprits.clone();
        want.sort();
        assert_eq!(got, want, "{id}");
        let status = match *id {
            "case-delta.zip" => "failed",
            "case-echo" => "no-logs",
            _ => "ok",
        };
        assert_eq!(t["status"], status, "{id}: {t}");
    }
    let echo = &tickets[4];
    let skipped = echo["skipped"][0]["input"].as_str().unwrap();
    assert!(skipped.ends_with("readme.txt"), "{skipped}");
    let fleet = r["fleet"].as_array().unwrap();
    assert_eq!(fleet[0]["path"], RECURRING);
    assert_eq!(
        fleet[0]["tickets"],
        serde_json::json!(["case-alpha", "case-bravo.zip", "case-charlie.zip"])
    );
    assert_eq!(fleet[0]["ticket_count"], 3);
    assert!(fleet[1..].iter().all(|p| p["ticket_count"] == 1));
    let s = &r["summary"];
    assert_eq!(
        (
            s["tickets"].as_u64(),
            s["ok"].as_u64(),
            s["failed"].as_u64(),
            s["no_logs"].as_u64()
        ),
        (Some(6), Some(4), Some(1), Some(1))
    );

    // The same run in the table: the fleet summary names the recurring path.
    let (_, table, _) = scan_batch(&dir, &["--color", "never"]);
    assert!(table.contains("Fleet: 6 tickets"), "{table}");
    assert!(table.contains("case-alpha, case-bravo.zip, case-charlie.zip"));
    // CSV: one row per (ticket, path).
    let (_, csv, _) = scan_batch(&dir, &["-f", "csv"]);
    let rows = csv.lines().count() - 1;
    assert_eq!(rows, planted.iter().map(|(_, c)| c.len()).sum::<usize>());
    assert!(csv.starts_with("schema_version,ticket,rank,"));
}

#[test]
fn shard_runs_merged_equal_one_run_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, planted) = batch(tmp.path());
    let (_, whole, _) = scan_batch(&dir, &["-f", "jsonl"]);
    for n in [1, 2, 3, 4] {
        let mut parts = Vec::new();
        let mut seen = 0;
        for k in 0..n {
            let part = tmp.path().join(format!("part-{k}-of-{n}.jsonl"));
            let shard = format!("{k}/{n}");
            let (_, out, err) = scan_batch(&dir, &["-f", "jsonl", "--shard", &shard]);
            assert!(!out.is_empty(), "{err}");
            seen += out
                .lines()
                .filter(|l| l.contains("\"type\":\"ticket\""))
                .count();
            std::fs::write(&part, out).unwrap();
            parts.push(part);
        }
        assert_eq!(
            seen,
            planted.len(),
            "each ticket in exactly one of {n} shards"
        );
        // Parts in any order.
        parts.reverse();
        let mut a = vec!["merge".to_string()];
        a.extend(parts.iter().map(|p| p.display().to_string()));
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        let (code, merged, err) = run_raw(&a);
        assert_eq!(code, 2, "a ticket failed: {err}");
        assert_eq!(merged, whole, "{n} shards merged");
    }
    // Overlapping parts are refused, naming the ticket.
    let p = tmp.path().join("part-0-of-1.jsonl");
    let (code, _, err) = run_raw(&["merge", p.to_str().unwrap(), p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        err.contains("case-alpha") && err.contains("overlap"),
        "{err}"
    );
    // The merged table equals the run's table.
    let (_, table, _) = scan_batch(&dir, &["-f", "table", "--color", "never"]);
    let (_, merged_table, _) = run_raw(&["merge", p.to_str().unwrap(), "-f", "table"]);
    assert_eq!(merged_table, table);
}

#[test]
fn an_interrupted_batch_resumes_to_the_same_output() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = batch(tmp.path());
    let (_, whole, _) = scan_batch(&dir, &["-f", "jsonl"]);
    let saved = tmp.path().join("saved");
    let (_, first, _) = scan_batch(&dir, &["-f", "jsonl", "--out-dir", saved.to_str().unwrap()]);
    assert_eq!(first, whole);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&saved)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), 6, "one result per ticket");
    // The run is "killed": two results never written, one cut mid-write.
    std::fs::remove_file(&files[0]).unwrap();
    std::fs::remove_file(&files[3]).unwrap();
    let text = std::fs::read_to_string(&files[1]).unwrap();
    std::fs::write(&files[1], &text[..text.len() / 2]).unwrap();
    let (_, resumed, err) =
        scan_batch(&dir, &["-f", "jsonl", "--out-dir", saved.to_str().unwrap()]);
    assert_eq!(resumed, whole, "resumed == uninterrupted");
    assert!(err.contains("3 of 6 tickets reused"), "{err}");
    // A ticket that changed is scanned again, not reused.
    std::fs::write(
        dir.join("case-foxtrot.csv"),
        procmon_csv(&["C:\\ProgramData\\x\\changed.dat"], 1),
    )
    .unwrap();
    let (_, again, err) = scan_batch(&dir, &["-f", "jsonl", "--out-dir", saved.to_str().unwrap()]);
    assert!(again.contains("changed.dat") && !again.contains("only-foxtrot.dat"));
    assert!(err.contains("5 of 6 tickets reused"), "{err}");
}

#[test]
fn one_thread_and_two_give_the_same_batch() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = batch(tmp.path());
    let (_, one, _) = scan_batch(&dir, &["-f", "jsonl", "-j", "1"]);
    let (_, two, _) = scan_batch(&dir, &["-f", "jsonl", "-j", "2"]);
    assert_eq!(one, two);
    let (_, json, _) = scan_batch(&dir, &["-f", "json", "-j", "1"]);
    let (_, json2, _) = scan_batch(&dir, &["-f", "json", "-j", "2"]);
    assert_eq!(json, json2);
}

#[test]
fn batch_flags_are_checked() {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("x.csv");
    std::fs::write(&f, "a").unwrap();
    let (code, _, err) = run(&["--tickets", f.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("is not a folder"), "{err}");
    let (code, _, err) = run(&["--tickets", tmp.path().to_str().unwrap(), "--shard", "3/3"]);
    assert_eq!(code, 2);
    assert!(err.contains("does not exist"), "{err}");
    let (code, _, _) = run(&[tmp.path().to_str().unwrap(), "--shard", "0/3"]);
    assert_eq!(code, 2, "--shard needs --tickets");
}

#[test]
fn a_decompression_bomb_fails_its_ticket_by_name_and_the_rest_go_on() {
    let tmp = tempfile::tempdir().unwrap();
    let (dir, _) = batch(tmp.path());
    // 64 MiB of rows in well under 1 MiB on disk, beside a real log in the same zip.
    let bomb = dir.join("case-golf.zip");
    let csv = procmon_csv(&["C:\\ProgramData\\golf\\kept.dat"], 1);
    zip_of(
        &bomb,
        &[
            ("Procmon.CSV", &filler_csv(64 << 20)),
            ("real.csv", csv.as_bytes()),
        ],
    );
    assert!(std::fs::metadata(&bomb).unwrap().len() < 1 << 20);
    let (code, out, err) = scan_batch(&dir, &["-f", "json", "--max-member", "8M"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("case-golf.zip") && err.contains("--max-member"),
        "the bomb is named with the flag that raises the cap: {err}"
    );
    let r: Value = serde_json::from_str(&out).unwrap();
    let golf = r["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket"] == "case-golf.zip")
        .unwrap();
    assert_eq!(golf["status"], "failed");
    assert_eq!(golf["failed"].as_array().unwrap().len(), 1, "{golf}");
    assert_eq!(
        golf["findings"][0]["path"], "C:\\ProgramData\\golf\\kept.dat",
        "its other member is still read"
    );
    assert_eq!(
        r["fleet"][0]["path"], RECURRING,
        "the other tickets are untouched"
    );

    // The ticket's total: two 6 MiB members under 8M each, 10M together (-j1: the
    // second one read passes it).
    let two = tmp.path().join("two");
    std::fs::create_dir_all(&two).unwrap();
    let gz = |n: usize| {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&filler_csv(n)).unwrap();
        e.finish().unwrap()
    };
    std::fs::create_dir_all(two.join("t")).unwrap();
    std::fs::write(two.join("t/a.csv.gz"), gz(6 << 20)).unwrap();
    std::fs::write(two.join("t/b.csv.gz"), gz(6 << 20)).unwrap();
    let (code, _, err) = run(&[
        "--tickets",
        two.to_str().unwrap(),
        "--max-member",
        "8M",
        "--max-ticket",
        "10M",
        "-j",
        "1",
    ]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(err.matches("--max-ticket").count(), 1, "{err}");
    // Without the caps both read (no failure in them).
    let (code, _, err) = run(&["--tickets", two.to_str().unwrap()]);
    assert_eq!(code, 1, "{err}");
}

/// The generated batch (`examples/gen-tickets`, the one the Slurm test and the
/// benchmark use) with its hard cases: every ticket reports exactly its planted
/// culprits, a zip in a zip and a `.tar.gz` included; the bomb and the corrupt zip
/// are named; the recurring path tops the fleet.
#[test]
fn the_generated_batch_with_its_hard_cases_reports_every_plant() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("gen");
    let shape = tickets::Shape {
        hard: true,
        zipped: false,
        bomb: 32 << 20,
    };
    let planted = tickets::write_batch(&dir, 12, shape).unwrap();
    let (code, out, err) = scan_batch(&dir, &["-f", "json", "--max-member", "8M", "-n", "0"]);
    assert_eq!(code, 2, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    let got: Vec<(String, Vec<String>)> = r["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let mut paths: Vec<String> = t["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["path"].as_str().unwrap().to_string())
                .collect();
            paths.sort();
            (t["ticket"].as_str().unwrap().to_string(), paths)
        })
        .collect();
    assert_eq!(got, planted);
    let status = |id: &str| {
        r["tickets"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["ticket"] == id)
            .unwrap()["status"]
            .clone()
    };
    assert_eq!(status("zz-bomb.zip"), "failed");
    assert_eq!(status("zz-corrupt.zip"), "failed");
    assert_eq!(status("zz-empty"), "no-logs");
    assert_eq!(status("zz-nested.zip"), "ok");
    assert_eq!(status("zz-tarball.tar.gz"), "ok");
    for named in ["zz-bomb.zip", "--max-member", "zz-corrupt.zip"] {
        assert!(err.contains(named), "{named}: {err}");
    }
    let recurring: Vec<&str> = planted
        .iter()
        .filter(|(_, c)| c.iter().any(|p| p == RECURRING))
        .map(|(t, _)| t.as_str())
        .collect();
    assert_eq!(r["fleet"][0]["path"], RECURRING);
    assert_eq!(r["fleet"][0]["tickets"], serde_json::json!(recurring));
    // The nested member is named through both archives.
    let nested = r["tickets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["ticket"] == "zz-nested.zip")
        .unwrap();
    let source = nested["findings"][0]["sources"][0]["name"]
        .as_str()
        .unwrap();
    assert!(
        source.ends_with("zz-nested.zip!PC99_CbsPersist.zip!inner.csv"),
        "{source}"
    );
}

/// A ticket zipped as older PowerShell writes it (`\` separators in member names),
/// with the real bundles' event log names (`%4`): accepted unchanged, and it reads
/// like its folder.
#[test]
fn a_ticket_zipped_with_backslash_names_reads_like_its_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let b = tmp.path().join("b");
    std::fs::create_dir_all(&b).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tickets/rdp-install-denied");
    let mut members: Vec<(String, Vec<u8>)> = Vec::new();
    for e in std::fs::read_dir(&fixture).unwrap() {
        let p = e.unwrap().path();
        let name = format!(
            "TSS_PC01\\logs\\{}",
            p.file_name().unwrap().to_string_lossy()
        );
        members.push((name, std::fs::read(&p).unwrap()));
    }
    let refs: Vec<(&str, &[u8])> = members
        .iter()
        .map(|(n, b)| (n.as_str(), b.as_slice()))
        .collect();
    std::fs::write(b.join("PC01.zip"), zip_bytes(&refs).unwrap()).unwrap();
    let (_, zipped, err) = scan_batch(&b, &["-f", "json"]);
    let (_, folder, _) = run_json(&[fixture.to_str().unwrap()]);
    let r: Value = serde_json::from_str(&zipped).unwrap();
    let t = &r["tickets"][0];
    assert_eq!(t["status"], "ok", "{err}");
    // Path, count, unrecovered and verdict of each finding, in rank order.
    assert_eq!(finding_verdicts(t), finding_verdicts(&folder));
    let kinds: Vec<&str> = t["read_inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert!(
        kinds.contains(&"evtx") && kinds.contains(&"dism-log"),
        "{kinds:?}"
    );
    assert!(t["read_inputs"].to_string().contains("%4Operational.evtx"));
}
