//! Procmon's native PML captures and XML exports: the same findings as the CSV of the
//! same capture, event counts equal to procmon-parser's, damaged captures read up to
//! the damage, unsupported versions refused by name.

mod common;

use std::collections::BTreeMap;
use std::io::Read;

use common::*;
use serde_json::Value;

/// Name and count pairs, sorted.
type Counts = Vec<(String, u64)>;

/// Findings keyed by path: (count, processes, operations).
fn shape(r: &Value) -> BTreeMap<String, (u64, Counts, Counts)> {
    let pairs = |v: &Value| {
        let mut p: Vec<(String, u64)> = v
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["name"].as_str().unwrap().to_string(),
                    c["count"].as_u64().unwrap(),
                )
            })
            .collect();
        p.sort();
        p
    };
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["key"].as_str().unwrap().to_string(),
                (
                    f["count"].as_u64().unwrap(),
                    pairs(&f["processes"]),
                    pairs(&f["operations"]),
                ),
            )
        })
        .collect()
}

/// procmon-parser's own event count, when it is installed (`pip install procmon-parser`).
fn procmon_parser_count(path: &str) -> Option<u64> {
    let out = std::process::Command::new("python3")
        .args(["-c", "import sys; from procmon_parser import ProcmonLogsReader; print(len(ProcmonLogsReader(open(sys.argv[1], 'rb'))))", path])
        .output()
        .ok()?;
    if !out.status.success() {
        eprintln!("note: procmon-parser is not installed; using the recorded count");
        return None;
    }
    String::from_utf8_lossy(&out.stdout).trim().parse().ok()
}

#[test]
fn pml_and_csv_of_one_capture_give_the_same_findings() {
    let Some(dir) = corpus("procmon") else { return };
    // Version 9 (procmon-parser's Win10 capture) and version 7 (Noriben's 2013 XP
    // capture, with network events and CANNOT DELETE / ACCESS DENIED results).
    for (name, paths_all) in [
        ("procmon-parser__UTC64Process", 246),
        ("Noriben__Sample_09_Apr_13", 235),
    ] {
        let csv = dir.join(format!("{name}.csv"));
        let pml = dir.join(format!("{name}.pml"));
        // Status 0 compares every successful event (paths, counts, processes,
        // operations); then the default filter and every failure class.
        for flags in [
            vec!["--all-processes", "--status", "0x0", "--top", "0"],
            vec!["--top", "0"],
            vec![
                "--all-processes",
                "--status",
                "denied,write-protect,cannot-delete,sharing,privilege",
                "--top",
                "0",
            ],
        ] {
            let mut a = vec![csv.to_str().unwrap()];
            a.extend(flags.iter().copied());
            let mut b = vec![pml.to_str().unwrap()];
            b.extend(flags.iter().copied());
            let (ca, ra, _) = run_json(&a);
            let (cb, rb, eb) = run_json(&b);
            assert_eq!(ca, cb, "{name} {flags:?} {eb}");
            assert_eq!(shape(&ra), shape(&rb), "{name} {flags:?}");
            assert_eq!(finding_shape(&ra), finding_shape(&rb), "{name} {flags:?}");
            assert_eq!(ra["inputs"][0]["matches"], rb["inputs"][0]["matches"]);
            assert_eq!(ra["inputs"][0]["rows"], rb["inputs"][0]["rows"]);
            assert_eq!(rb["inputs"][0]["kind"], "procmon-pml");
        }
        let (_, all, _) = run_json(&[
            pml.to_str().unwrap(),
            "--all-processes",
            "--status",
            "0x0",
            "--top",
            "0",
        ]);
        assert_eq!(shape(&all).len(), paths_all, "{name}");
    }
}

#[test]
fn pml_event_count_equals_procmon_parsers() {
    let Some(dir) = corpus("procmon") else { return };
    let pml = dir.join("procmon-parser__UTC64Process.pml");
    // Recorded with: python3 -c "from procmon_parser import ProcmonLogsReader;
    //   print(len(ProcmonLogsReader(open('procmon-parser__UTC64Process.pml','rb'))))"  -> 3400
    let expected = procmon_parser_count(pml.to_str().unwrap()).unwrap_or(3400);
    let (_, r, _) = run_json(&[pml.to_str().unwrap(), "--all-processes"]);
    assert_eq!(r["inputs"][0]["rows"], expected);
    assert_eq!(r["inputs"][0]["status"], "ok");
}

#[test]
fn unsupported_pml_versions_are_refused_by_name() {
    let Some(dir) = corpus("procmon") else { return };
    let mut bytes = std::fs::read(dir.join("procmon-parser__UTC64Process.pml")).unwrap();
    bytes[4] = 8;
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("v8.pml");
    std::fs::write(&path, bytes).unwrap();
    let (code, r, err) = run_json(&[path.to_str().unwrap(), "--all-processes", "--status", "0x0"]);
    assert_eq!(code, 2);
    assert!(err.contains("unsupported PML version 8"), "{err}");
    assert_eq!(r["inputs"][0]["status"], "failed");
    assert!(
        r["findings"].as_array().unwrap().is_empty(),
        "never garbage"
    );
}

/// Events whose record lies wholly before `cut`, counted from the intact file's own
/// offsets table (independently of culprit's walk).
fn events_before(b: &[u8], cut: usize) -> u64 {
    let u32_at = |o: usize| u32::from_le_bytes(b[o..o + 4].try_into().unwrap()) as usize;
    let n = u32_at(0x234);
    let table = u64::from_le_bytes(b[0x248..0x250].try_into().unwrap()) as usize;
    let offs: Vec<usize> = (0..n).map(|i| u32_at(table + 5 * i)).collect();
    (0..n)
        .filter(|&i| offs.get(i + 1).copied().unwrap_or(table) <= cut)
        .count() as u64
}

#[test]
fn a_truncated_capture_yields_its_readable_prefix_and_a_named_error() {
    let Some(dir) = corpus("procmon") else { return };
    let full = std::fs::read(dir.join("procmon-parser__UTC64Process.pml")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    for cut in [800_000usize, 200_000, 5_000] {
        let path = tmp.path().join(format!("cut{cut}.pml"));
        std::fs::write(&path, &full[..cut]).unwrap();
        let (code, r, err) = run_json(&[
            path.to_str().unwrap(),
            "--all-processes",
            "--status",
            "0x0",
            "--top",
            "0",
        ]);
        assert_eq!(code, 2, "{cut}");
        assert!(
            err.contains(&format!("cut{cut}.pml")) && err.contains("damaged at byte"),
            "{err}"
        );
        let expected = events_before(&full, cut);
        assert_eq!(r["inputs"][0]["rows"], expected, "cut at {cut}");
        assert_eq!(r["inputs"][0]["matches"], expected, "cut at {cut}");
        assert_eq!(
            r["inputs"][0]["bad_rows"],
            3400 - expected,
            "the unread rest is counted"
        );
    }
    // Header only: nothing to read, still a named error and no panic.
    let path = tmp.path().join("head.pml");
    std::fs::write(&path, &full[..100]).unwrap();
    let (code, _, err) = run(&[path.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("head.pml"), "{err}");
}

#[test]
fn xml_export_streams_with_counts_equal_to_its_events() {
    let Some(dir) = corpus("procmon") else { return };
    let path = dir.join("epic__Logfile.xml.gz");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&path).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let events = text.matches("<event>").count() as u64;
    let denied = text.matches("<Result>ACCESS DENIED</Result>").count() as u64;
    let (code, r, _) = run_json(&[path.to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 0);
    let i = &r["inputs"][0];
    assert_eq!(i["kind"], "procmon-xml");
    assert_eq!(i["rows"], events);
    assert_eq!(i["matches"], denied);
    let f = &r["findings"][0];
    assert_eq!(f["path"], "HKLM\\Software\\Microsoft\\Windows Defender");
    assert_eq!(f["processes"][0]["name"], "MsMpEng.exe");
    assert!(
        f["samples"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("Set Value")
    );
}

#[test]
fn small_xml_fixture_matches_its_csv_twin() {
    let (_, csv, _) = run_json(&["fixtures/procmon/default7.csv", "--all-processes"]);
    let (code, xml, err) = run_json(&["fixtures/procmon/default7.xml", "--all-processes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(shape(&csv), shape(&xml));
    assert_eq!(xml["inputs"][0]["rows"], 5);
}

/// Writes the same generated rows as CSV and as PML.
fn synthetic_twin(
    dir: &std::path::Path,
    bytes: u64,
) -> (std::path::PathBuf, std::path::PathBuf, u64) {
    use culprit::synth::{Config, pml::write_procmon_pml, write_procmon_csv};
    let cfg = Config {
        target_bytes: bytes,
        seed: 11,
        ..Config::default()
    };
    let csv = dir.join("twin.csv");
    let truth = write_procmon_csv(&mut std::fs::File::create(&csv).unwrap(), &cfg).unwrap();
    let pml = dir.join("twin.pml");
    let cfg = Config {
        target_bytes: u64::MAX,
        max_rows: Some(truth.rows),
        ..cfg
    };
    let t2 = write_procmon_pml(&mut std::fs::File::create(&pml).unwrap(), &cfg).unwrap();
    assert_eq!(t2.rows, truth.rows);
    (csv, pml, truth.rows)
}

#[test]
fn synthetic_pml_with_denials_gives_the_csv_findings_and_ranks_the_plants_first() {
    let dir = tempfile::tempdir().unwrap();
    let (csv, pml, rows) = synthetic_twin(dir.path(), 2 << 20);
    for flags in [vec!["--top", "0"], vec!["--all-processes", "--top", "0"]] {
        let mut a = vec![csv.to_str().unwrap()];
        a.extend(flags.iter().copied());
        let mut b = vec![pml.to_str().unwrap()];
        b.extend(flags.iter().copied());
        let (_, ra, _) = run_json(&a);
        let (code, rb, err) = run_json(&b);
        assert_eq!(code, 0, "{err}");
        assert_eq!(shape(&ra), shape(&rb), "{flags:?}");
        assert_eq!(
            finding_shape(&ra),
            finding_shape(&rb),
            "{flags:?}: same order, counts, unrecovered"
        );
        let wi = |r: &Value| {
            r["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["write_intent"].clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            wi(&ra),
            wi(&rb),
            "{flags:?}: same write intent from the raw access masks"
        );
        assert_eq!(rb["inputs"][0]["rows"], rows);
        // The generator's final Dism.exe exit reads the same from both. (The PML twin
        // places its plants at the end, so what each exit links to differs by design.)
        let ctx = |r: &Value| {
            r["context"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| (c["process"].clone(), c["pid"].clone(), c["exit"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ctx(&ra), ctx(&rb), "{flags:?}");
        assert_eq!(ctx(&rb).len(), 1);
        assert_eq!(rb["context"][0]["exit"]["code"], "0x80070013");
    }
    let (_, r, _) = run_json(&[pml.to_str().unwrap()]);
    let want: Vec<&str> = culprit::synth::default_plants()
        .iter()
        .map(|p| p.path)
        .collect();
    assert_eq!(&paths(&r)[..2], &want[..]);
}

#[test]
fn synthetic_pml_reads_the_same_in_procmon_parser() {
    let dir = tempfile::tempdir().unwrap();
    let (_, pml, rows) = synthetic_twin(dir.path(), 1 << 20);
    let script = "import sys\nfrom procmon_parser import ProcmonLogsReader\nn=0\nfor e in ProcmonLogsReader(open(sys.argv[1],'rb')):\n    n+=1\n    if e.result in (0xC0000022,0xC00000A2): print(e.process.process_name+'\\t'+e.path)\nprint(n)\n";
    let out = std::process::Command::new("python3")
        .args(["-c", script, pml.to_str().unwrap()])
        .output();
    let Some(out) = out.ok().filter(|o| o.status.success()) else {
        eprintln!(
            "note: procmon-parser is not installed; skipping the independent read of the synthetic PML"
        );
        return;
    };
    let text = String::from_utf8(out.stdout).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let count: u64 = lines.pop().unwrap().parse().unwrap();
    assert_eq!(count, rows);
    let mut theirs: BTreeMap<(String, String), u64> = BTreeMap::new();
    for l in lines {
        let (p, path) = l.split_once('\t').unwrap();
        *theirs
            .entry((p.to_lowercase(), path.to_lowercase()))
            .or_default() += 1;
    }
    let (_, r, _) = run_json(&[pml.to_str().unwrap(), "--all-processes", "--top", "0"]);
    let mut ours: BTreeMap<(String, String), u64> = BTreeMap::new();
    for f in r["findings"].as_array().unwrap() {
        for p in f["processes"].as_array().unwrap() {
            *ours
                .entry((
                    p["name"].as_str().unwrap().to_lowercase(),
                    f["key"].as_str().unwrap().to_string(),
                ))
                .or_default() += p["count"].as_u64().unwrap();
        }
    }
    assert_eq!(ours, theirs);
}

#[test]
fn a_pml_and_its_csv_export_in_one_run_are_one_capture() {
    let Some(dir) = corpus("procmon") else { return };
    for name in ["procmon-parser__UTC64Process", "Noriben__Sample_09_Apr_13"] {
        let csv = dir.join(format!("{name}.csv"));
        let pml = dir.join(format!("{name}.pml"));
        let flags = [
            "--all-processes",
            "--status",
            "denied,cannot-delete,0x0",
            "--top",
            "0",
        ];
        let mut only = vec![pml.to_str().unwrap()];
        only.extend(flags);
        let mut both = vec![csv.to_str().unwrap(), pml.to_str().unwrap()];
        both.extend(flags);
        let (_, ro, _) = run_json(&only);
        let (code, rb, err) = run_json(&both);
        assert_eq!(code, 0, "{err}");
        assert_eq!(finding_shape(&ro), finding_shape(&rb), "{name}");
        assert_eq!(ro["summary"]["matches"], rb["summary"]["matches"], "{name}");
        let inputs = rb["inputs"].as_array().unwrap();
        let twin = inputs.iter().find(|i| !i["twin_of"].is_null()).expect(name);
        // The PML is kept (UTC times, full detail); its CSV export is the twin.
        assert_eq!(twin["kind"], "procmon-csv", "{name}");
        assert!(twin["twin_of"].as_str().unwrap().ends_with(".pml"));
    }
}
