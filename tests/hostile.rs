//! Hostile and broken inputs (issue 8): each case fails loudly and precisely, never
//! crashes, hangs, or loses a finding silently. Inputs are generated here.

mod common;

use common::*;

const H7: &str =
    "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"";

fn row(path: &str, process: &str) -> String {
    format!(
        "\"7:15:31.4479952 AM\",\"{process}\",\"7720\",\"RegSetValue\",\"{path}\",\"ACCESS DENIED\",\"Type: REG_SZ\""
    )
}

fn csv(lines: &[String], eol: &str) -> Vec<u8> {
    let mut s = String::from(H7);
    for l in lines {
        s.push_str(eol);
        s.push_str(l);
    }
    s.push_str(eol);
    s.into_bytes()
}

fn run_bytes(args: &[&str]) -> (i32, Vec<u8>, Vec<u8>) {
    let mut a = vec!["scan"];
    a.extend_from_slice(args);
    let out = culprit().args(&a).output().unwrap();
    (out.status.code().unwrap_or(-1), out.stdout, out.stderr)
}

#[test]
fn control_characters_never_reach_the_terminal_raw() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "HKCU\\Software\\x\u{1b}]0;pwned\u{7}\u{1b}[2J\u{9b}31m";
    std::fs::write(
        dir.path().join("capture.csv"),
        csv(&[row(evil, "mstsc.exe")], "\r\n"),
    )
    .unwrap();
    // A file name with an escape sequence, skipped with a note.
    std::fs::write(dir.path().join("notes\u{1b}[31m.csv"), b"a,b\n1,2\n").unwrap();
    let d = dir.path().to_str().unwrap();
    // -v names every input (the skipped one's name carries the escape sequence).
    let (code, out, err) = run_bytes(&[d, "--no-progress", "-v"]);
    assert_eq!(code, 0);
    for (name, bytes) in [("stdout", &out), ("stderr", &err)] {
        assert!(!bytes.contains(&0x1b), "{name} holds a raw ESC");
        assert!(!bytes.contains(&0x07), "{name} holds a raw BEL");
        assert!(
            !bytes.windows(2).any(|w| w == [0xC2, 0x9B]),
            "{name} holds a raw CSI"
        );
    }
    let out = String::from_utf8(out).unwrap();
    assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
    assert!(String::from_utf8_lossy(&err).contains("notes\\x1b[31m.csv"));
    // Machine formats keep the data exactly (JSON escapes it).
    let (_, r, _) = run_json(&[d]);
    assert_eq!(r["findings"][0]["path"], evil);
}

fn synthetic_pml(dir: &std::path::Path, name: &str) -> (std::path::PathBuf, Vec<u8>) {
    use culprit::synth::{Config, pml::write_procmon_pml};
    let p = dir.join(name);
    let cfg = Config {
        target_bytes: u64::MAX,
        max_rows: Some(400),
        ..Config::default()
    };
    write_procmon_pml(&mut std::fs::File::create(&p).unwrap(), &cfg).unwrap();
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

#[test]
fn a_hostile_pml_header_never_reports_an_offset_past_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let (p, mut b) = synthetic_pml(dir.path(), "evil.pml");
    b[0x240..0x250].fill(0xFF); // events and event-table offsets: u64::MAX
    std::fs::write(&p, &b).unwrap();
    let (code, _, err) = run(&[p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("evil.pml") && err.contains("damaged at byte"),
        "{err}"
    );
    assert!(!err.contains("18446744073709551615"), "{err}");
    let at: u64 = err
        .split("damaged at byte ")
        .nth(1)
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap();
    assert!(at <= b.len() as u64);
}

#[test]
fn empty_or_impossible_filters_are_usage_errors() {
    let t = "fixtures/tickets/rdp-install-denied";
    for args in [
        vec![t, "-p", ""],
        vec![t, "--status", ""],
        vec![t, "--since", "2024-02-30 10:00"],
        vec![t, "--since", "08:00", "--until", "07:00"],
        vec![
            t,
            "--since",
            "2026-11-25 00:00",
            "--until",
            "2026-11-24 23:00",
        ],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(!err.is_empty());
    }
}

#[test]
#[cfg(target_os = "linux")]
fn a_closed_stdout_is_an_error_not_a_silent_success() {
    let bin = assert_cmd::cargo::cargo_bin("culprit");
    let run_sh = |cmd: &str| {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap()
    };
    let t = "fixtures/tickets/rdp-install-denied";
    let closed = run_sh(&format!("'{}' scan {t} >&-", bin.display()));
    assert_eq!(closed.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&closed.stderr).contains("standard output is closed"));
    let null = run_sh(&format!("'{}' scan {t} >/dev/null", bin.display()));
    assert_eq!(
        null.status.code(),
        Some(0),
        "/dev/null is a fine place for a report"
    );
    let explain = run_sh(&format!("'{}' explain 0x5 >&-", bin.display()));
    assert_eq!(explain.status.code(), Some(2));
}

#[test]
fn absurd_thread_counts_are_capped_with_a_note() {
    let t = "fixtures/tickets/rdp-install-denied";
    let (_, base, _) = run_json(&[t]);
    let (code, r, err) = run_json(&[t, "-j", "100000"]);
    assert_eq!(code, 0);
    assert!(err.contains("capped"), "{err}");
    assert_eq!(paths(&r), paths(&base));
}

/// A stored (uncompressed) zip written byte by byte, so that tests can hold what zip
/// writers refuse (two members of one name) and thousands of members cheaply.
fn stored_zip(members: &[(&str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in members {
        let mut crc = flate2::Crc::new();
        crc.update(data);
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&0u16.to_le_bytes()); // stored
            v.extend_from_slice(&0u32.to_le_bytes()); // time, date
            v.extend_from_slice(&crc.sum().to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(data.len() as u32).to_le_bytes());
            v.extend_from_slice(&(name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra
        };
        out.extend_from_slice(b"PK\x03\x04");
        common(&mut out);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(data);
        central.extend_from_slice(b"PK\x01\x02");
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&[0u8; 6]); // comment len, disk, internal attrs
        central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(b"PK\x05\x06");
    out.extend_from_slice(&[0u8; 4]);
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(members.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

#[test]
fn zip_members_of_one_name_are_never_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let a = csv(&[row("HKCU\\Software\\A", "mstsc.exe")], "\r\n");
    let b = csv(&[row("HKCU\\Software\\B", "mstsc.exe")], "\r\n");
    let z = dir.path().join("ticket.zip");
    std::fs::write(&z, stored_zip(&[("Procmon.CSV", &a), ("Procmon.CSV", &b)])).unwrap();
    let (code, r, err) = run_json(&[z.to_str().unwrap()]);
    // The zip reader keeps one entry per name: the loss is named, and exit says so.
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("ticket.zip") && err.contains("several files of one name"),
        "{err}"
    );
    assert_eq!(paths(&r), vec!["HKCU\\Software\\B"]);
}

#[test]
fn a_zip_of_thousands_of_members_is_read_in_one_listing() {
    let dir = tempfile::tempdir().unwrap();
    let one = csv(&[row("HKCU\\Software\\X", "mstsc.exe")], "\r\n");
    let names: Vec<String> = (0..3000).map(|i| format!("m/{i:05}.csv")).collect();
    let members: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), one.as_slice())).collect();
    let z = dir.path().join("many.zip");
    std::fs::write(&z, stored_zip(&members)).unwrap();
    let (code, r, err) = run_json(&[z.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["summary"]["inputs"], 3000);
    // One capture copied 3000 times: counted once.
    assert_eq!(r["findings"][0]["count"], 1);
    assert_eq!(r["summary"]["twins"], 2999);
}

#[test]
fn an_empty_zip_is_named_as_one() {
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("empty.zip");
    std::fs::write(&z, stored_zip(&[])).unwrap();
    let (code, _, err) = run(&[z.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("empty zip archive"), "{err}");
}

#[test]
fn utf16be_without_a_bom_reads_like_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let text = String::from_utf8(csv(&[row("HKCU\\Software\\BE", "mstsc.exe")], "\r\n")).unwrap();
    let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
    let p = dir.path().join("be.csv");
    std::fs::write(&p, be).unwrap();
    let (code, r, err) = run_json(&[p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(paths(&r), vec!["HKCU\\Software\\BE"]);
    assert_eq!(r["inputs"][0]["encoding"], "utf-16be");
}

#[test]
fn a_record_past_the_cap_is_a_bad_row_and_the_next_rows_survive() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let huge = format!(
        "\"7:15:31.0000000 AM\",\"mstsc.exe\",\"7720\",\"RegSetValue\",\"HKCU\\Software\\Huge\",\"ACCESS DENIED\",\"{}\"",
        "x".repeat(20 << 20)
    );
    let text = csv(&[huge, row("HKCU\\Software\\After", "mstsc.exe")], "\r\n");
    let plain = dir.path().join("long.csv");
    std::fs::write(&plain, &text).unwrap();
    let gz = dir.path().join("long.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    enc.write_all(&text).unwrap();
    enc.finish().unwrap();
    for p in [&plain, &gz] {
        for mode in [vec![], vec!["--no-mmap"]] {
            let mut args = vec![p.to_str().unwrap()];
            args.extend(mode.iter().copied());
            let (code, r, err) = run_json(&args);
            assert_eq!(code, 0, "{p:?} {mode:?}: {err}");
            assert_eq!(paths(&r), vec!["HKCU\\Software\\After"], "{p:?} {mode:?}");
            let input = &r["inputs"][0];
            assert_eq!(input["bad_rows"], 1, "{p:?} {mode:?}");
            let first = input["first_bad_row"].as_str().unwrap();
            assert!(
                first.starts_with("line 2:") && first.contains("16 MiB"),
                "{first}"
            );
        }
    }
}

#[test]
fn a_newline_inside_a_quoted_path_keeps_the_record() {
    let dir = tempfile::tempdir().unwrap();
    for (name, eol) in [("crlf.csv", "\r\n"), ("lf.csv", "\n")] {
        let split = row(&format!("HKCU\\Software\\two{eol}lines"), "mstsc.exe");
        let text = csv(
            &[
                row("HKCU\\Software\\Before", "mstsc.exe"),
                split,
                row("HKCU\\Software\\After", "mstsc.exe"),
            ],
            eol,
        );
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        let (code, r, err) = run_json(&[p.to_str().unwrap(), "--top", "0"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(r["inputs"][0]["bad_rows"], 0, "{name}");
        let mut got = paths(&r);
        got.sort();
        let joined = format!("HKCU\\Software\\two{eol}lines");
        let mut want = vec![
            "HKCU\\Software\\After".to_string(),
            "HKCU\\Software\\Before".to_string(),
            joined,
        ];
        want.sort();
        assert_eq!(got, want, "{name}");
        // The record is cited at its first line (header = 1, Before = 2, split = 3).
        let f = r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"].as_str().unwrap().contains("two"))
            .unwrap();
        assert_eq!(f["first_seen"]["line"], 3, "{name}");
    }
}

#[test]
fn cr_only_line_ends_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("mac.csv");
    std::fs::write(&p, csv(&[row("HKCU\\Software\\Mac", "mstsc.exe")], "\r")).unwrap();
    for mode in [None, Some("--no-mmap")] {
        let mut args = vec![p.to_str().unwrap()];
        args.extend(mode);
        let (code, r, err) = run_json(&args);
        assert_eq!(code, 0, "{err}");
        assert_eq!(paths(&r), vec!["HKCU\\Software\\Mac"]);
        assert_eq!(r["inputs"][0]["rows"], 1);
    }
}

#[test]
#[cfg(unix)]
fn a_linked_capture_in_a_walked_folder_is_read_and_a_loop_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let real = elsewhere.path().join("real.csv");
    std::fs::write(
        &real,
        csv(&[row("HKCU\\Software\\Linked", "mstsc.exe")], "\r\n"),
    )
    .unwrap();
    std::os::unix::fs::symlink(&real, dir.path().join("link.csv")).unwrap();
    let (code, r, err) = run_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(paths(&r), vec!["HKCU\\Software\\Linked"]);
    std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
    let (code, r, err) = run_json(&[dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("loop"), "{err}");
    assert_eq!(
        paths(&r),
        vec!["HKCU\\Software\\Linked"],
        "the loop costs nothing else"
    );
}

#[test]
fn a_huge_path_is_reported_in_linear_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = format!("C:\\{}", "a".repeat(4 << 20));
    let p = dir.path().join("huge.csv");
    std::fs::write(&p, csv(&[row(&path, "mstsc.exe")], "\r\n")).unwrap();
    let f = p.to_str().unwrap();
    // The table cell is cut in the middle; the evidence below prints the path whole.
    let (code, table, err) = run(&[f, "--no-progress"]);
    assert_eq!(code, 0, "{err}");
    assert!(table.contains("a…a"));
    assert!(table.contains(&path));
    let (code, out, _) = run(&[f, "-f", "csv"]);
    assert_eq!(code, 0);
    assert!(out.contains(&path), "CSV keeps the data whole");
}

fn u64_at(b: &[u8], o: usize) -> usize {
    u64::from_le_bytes(b[o..o + 8].try_into().unwrap()) as usize
}

#[test]
fn a_pml_with_a_damaged_process_table_or_event_table_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (p, clean) = synthetic_pml(dir.path(), "names.pml");
    // The string table says it holds no string: every process name is lost.
    let mut b = clean.clone();
    let strings = u64_at(&b, 0x258);
    b[strings..strings + 4].fill(0);
    std::fs::write(&p, &b).unwrap();
    let (code, _, err) = run(&[p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("names.pml") && err.contains("process table is damaged"),
        "{err}"
    );
    // Every event offset points past the file.
    let mut b = clean.clone();
    let table = u64_at(&b, 0x248);
    let events = u32::from_le_bytes(b[0x234..0x238].try_into().unwrap()) as usize;
    b[table..table + 5 * events].fill(0xFF);
    let q = dir.path().join("offsets.pml");
    std::fs::write(&q, &b).unwrap();
    let (code, r, err) = run_json(&[q.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("event records could not be read"), "{err}");
    assert_eq!(r["inputs"][0]["bad_rows"], events);
}

#[test]
fn a_truncated_xml_export_is_named_as_truncated() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::read("fixtures/procmon/default7.xml").unwrap();
    let (code, _, err) = run(&["fixtures/procmon/default7.xml", "--all-processes"]);
    assert_ne!(code, 2, "the whole export reads cleanly: {err}");
    // Cut inside a tag: a syntax error, named.
    let cut = dir.path().join("cut.xml");
    std::fs::write(&cut, &full[..full.len() * 2 / 3]).unwrap();
    let (code, _, err) = run(&[cut.to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.xml") && err.contains("damaged"), "{err}");
    // Cut cleanly after an event: well-formed so far, but the root never closes.
    let text = String::from_utf8(full.clone()).unwrap();
    let at = text[..text.len() * 2 / 3].rfind("</event>").unwrap() + "</event>".len();
    std::fs::write(&cut, &text[..at]).unwrap();
    let (code, _, err) = run(&[cut.to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("cut.xml") && err.contains("truncated"),
        "{err}"
    );
}

const MSTSC: &str = "fixtures/tickets/rdp-install-denied/PC01_261124-071530_Procmon_mstsc.CSV";

#[test]
#[cfg(unix)]
fn a_fifo_is_read_once_and_whole() {
    let (_, want, _) = run_json(&[MSTSC, "--top", "0"]);
    let dir = tempfile::tempdir().unwrap();
    // gzip through the FIFO too: the kind is still found.
    let gz = {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(&std::fs::read(MSTSC).unwrap()).unwrap();
        e.finish().unwrap()
    };
    for (name, bytes) in [("plain", std::fs::read(MSTSC).unwrap()), ("gz", gz)] {
        let fifo = dir.path().join(format!("{name}.fifo"));
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let writer = {
            let fifo = fifo.clone();
            std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
        };
        let (code, r, err) = run_json(&[fifo.to_str().unwrap(), "--top", "0"]);
        writer.join().unwrap();
        assert_eq!(code, 0, "{name}: {err}");
        assert_eq!(finding_verdicts(&r), finding_verdicts(&want), "{name}");
        assert_eq!(r["inputs"][0]["kind"], "procmon-csv");
        assert_eq!(r["inputs"][0]["gzip"], name == "gz");
    }
}

#[test]
fn standard_input_is_an_input() {
    let (_, want, _) = run_json(&[MSTSC, "--top", "0"]);
    let out = culprit()
        .args(["scan", "-", "--top", "0", "-f", "json"])
        .write_stdin(std::fs::read(MSTSC).unwrap())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(finding_verdicts(&r), finding_verdicts(&want));
    assert_eq!(r["inputs"][0]["path"], "<stdin>");
}

#[test]
fn a_pml_inside_gzip_or_zip_reads_like_the_plain_capture() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let (plain, bytes) = synthetic_pml(dir.path(), "capture.pml");
    let gz = dir.path().join("capture.pml.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    e.write_all(&bytes).unwrap();
    e.finish().unwrap();
    let z = dir.path().join("ticket.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&z).unwrap());
    w.start_file("Procmon.pml", zip::write::SimpleFileOptions::default())
        .unwrap();
    w.write_all(&bytes).unwrap();
    w.finish().unwrap();
    let (_, want, _) = run_json(&[plain.to_str().unwrap(), "--top", "0"]);
    for p in [&gz, &z] {
        let (code, r, err) = run_json(&[p.to_str().unwrap(), "--top", "0"]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(finding_verdicts(&r), finding_verdicts(&want), "{p:?}");
        assert_eq!(r["inputs"][0]["kind"], "procmon-pml");
    }
}
