//! Every real Procmon CSV export in `../shared/corpus/procmon` parses, with matches
//! equal to an independent count: a full parse of every record with the csv crate's
//! `Reader` (no prefilter, no culprit code), mapping columns by header name.
//! Skips with a note when the corpus is absent.

mod common;

use std::path::Path;

use common::*;

const DEFAULT_SET: [&str; 5] = [
    "mstsc.exe",
    "dism.exe",
    "dismhost.exe",
    "tiworker.exe",
    "trustedinstaller.exe",
];
const FAILURES: [&str; 2] = ["ACCESS DENIED", "MEDIA WRITE PROTECTED"];

struct Count {
    rows: u64,
    default_set: u64,
    all: u64,
}

/// Independent count: the whole file through `csv::Reader`.
fn count(path: &Path) -> Count {
    let text = plain_text(path);
    let text = &text[..];
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(text);
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let (proc_col, result_col) = (col("Process Name"), col("Result"));
    let mut c = Count {
        rows: 0,
        default_set: 0,
        all: 0,
    };
    for rec in rdr.records() {
        let rec = rec.unwrap();
        c.rows += 1;
        let result = rec.get(result_col).unwrap_or("");
        if FAILURES.contains(&result)
            || result.eq_ignore_ascii_case("0xC0000022")
            || result.eq_ignore_ascii_case("0xC00000A2")
        {
            c.all += 1;
            if DEFAULT_SET.contains(&rec.get(proc_col).unwrap_or("").to_lowercase().as_str()) {
                c.default_set += 1;
            }
        }
    }
    c
}

#[test]
fn every_real_csv_export_matches_an_independent_count() {
    let Some(dir) = corpus("procmon") else { return };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy().to_lowercase();
            n.ends_with(".csv") || n.ends_with(".csv.gz")
        })
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "expected the corpus's CSV exports, found {}",
        files.len()
    );
    let mut total_all = 0;
    for f in &files {
        let expected = count(f);
        let name = f.to_str().unwrap();
        for (flags, want) in [
            (vec![], expected.default_set),
            (vec!["--all-processes"], expected.all),
        ] {
            let mut args = vec![name];
            args.extend(flags.iter().copied());
            let (code, r, err) = run_json(&args);
            assert_ne!(code, 2, "{name}: {err}");
            let i = &r["inputs"][0];
            assert_eq!(i["status"], "ok", "{name}");
            assert_eq!(i["kind"], "procmon-csv", "{name}");
            assert_eq!(i["matches"], want, "{name} {flags:?}");
            assert_eq!(i["rows"], expected.rows, "{name}");
            assert_eq!(i["bad_rows"], 0, "{name}");
            assert_eq!(
                code == 0,
                want > 0,
                "{name}: exit code follows the findings"
            );
        }
        total_all += expected.all;
    }
    // The corpus does hold denials (SOURCES.md lists 37 in the CSV exports).
    assert!(total_all > 0);
}

#[test]
fn real_denials_carry_their_evidence() {
    let Some(dir) = corpus("procmon") else { return };
    // ron-crash-log: a write (Generic Write, OverwriteIf) refused on Engine.ini, 4 times.
    let (_, r, _) = run_json(&[
        dir.join("ron-crash-log__Logfilenew.csv").to_str().unwrap(),
        "--all-processes",
    ]);
    let f = &r["findings"][0];
    assert!(
        f["path"]
            .as_str()
            .unwrap()
            .ends_with("\\Saved\\Config\\Windows\\Engine.ini")
    );
    assert_eq!(f["count"], 4);
    assert_eq!(f["write_intent"], 4);
    assert_eq!(f["first_seen"]["time"], "16:28:28,2092908");
    // procmon-parser Registry: two spellings of one key are one path, two processes.
    let (_, r, _) = run_json(&[
        dir.join("procmon-parser__UTC64Registry.csv.gz")
            .to_str()
            .unwrap(),
        "--all-processes",
    ]);
    let f = &r["findings"][0];
    assert_eq!(
        f["key"],
        "hklm\\software\\microsoft\\securitymanager\\capauthz\\hasrepaired"
    );
    assert_eq!(f["count"], 10);
    assert_eq!(f["processes"].as_array().unwrap().len(), 2);
    assert!(
        f["first_seen"]["date_time"]
            .as_str()
            .unwrap()
            .starts_with("2020-07-31T07:28:31")
    );
}

#[test]
fn walking_the_corpus_reads_every_procmon_format() {
    let Some(dir) = corpus("procmon") else { return };
    let (code, r, err) = run_json(&[dir.to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        input(&r, "Noriben__Sample_09_Apr_13.pml")["kind"],
        "procmon-pml"
    );
    assert_eq!(
        input(&r, "procmon-parser__UTC64Process.pml")["kind"],
        "procmon-pml"
    );
    assert_eq!(input(&r, "epic__Logfile.xml.gz")["kind"], "procmon-xml");
    for i in r["inputs"].as_array().unwrap() {
        let path = i["path"].as_str().unwrap();
        let expected = if path.ends_with("SOURCES.md") || path.ends_with(".gitattributes") {
            "skipped"
        } else {
            "ok"
        };
        assert_eq!(i["status"], expected, "{path}");
    }
}
