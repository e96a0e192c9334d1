//! Every real EVTX in `../shared/corpus/evtx` parses with the record and error counts
//! `SOURCES.md` gives (measured there with `evtx_dump`, not with culprit), and the
//! evidence the survey counted there comes out as ranked paths, notes or noise.
//! Skips with a note when the corpus is absent.

mod common;

use std::collections::HashMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// `file -> (records, errors)` from the table of `SOURCES.md`.
fn expected_counts(dir: &Path) -> HashMap<String, (u64, u64)> {
    let text = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    let mut out = HashMap::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // | `file` | size | records | errors | why |
        if cells.len() < 6 || !cells[1].starts_with('`') {
            continue;
        }
        let (Ok(records), Ok(errors)) = (cells[3].parse(), cells[4].parse()) else {
            continue;
        };
        out.insert(cells[1].trim_matches('`').to_string(), (records, errors));
    }
    out
}

/// Counts of `SOURCES.md`'s "interesting counts" line for one file (`4673F: 7`).
fn interesting(dir: &Path, file: &str, what: &str) -> u64 {
    let text = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    let section = text.split(&format!("## {file}\n")).nth(1).unwrap();
    let line = section
        .lines()
        .find(|l| l.starts_with("- interesting counts:"))
        .unwrap();
    let items = line.trim_start_matches("- interesting counts:");
    items
        .split(',')
        .filter_map(|item| item.rsplit_once(':'))
        .find(|(k, _)| k.trim() == what)
        .map_or(0, |(_, n)| n.trim().parse().unwrap())
}

/// The whole corpus folder, every process, every path: scanned once for all tests.
fn scan_all(dir: &Path) -> &'static Value {
    static REPORT: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    REPORT.get_or_init(|| {
        let (code, r, err) = run_json(&[dir.to_str().unwrap(), "--all-processes", "--top", "0"]);
        assert_eq!(code, 0, "{err}");
        r
    })
}

#[test]
fn every_corpus_evtx_reads_with_the_counts_of_sources_md() {
    let Some(dir) = corpus("evtx") else { return };
    let want = expected_counts(&dir);
    assert!(want.len() >= 20, "SOURCES.md table: {}", want.len());
    let r = scan_all(&dir);
    for (file, &(records, errors)) in &want {
        let i = input(r, file);
        assert_eq!(i["kind"], "evtx", "{file}");
        assert_eq!(i["family"], "evtx", "{file}");
        assert_eq!(i["status"], "ok", "{file}: {}", i["message"]);
        assert_eq!(i["rows"], records, "{file}: records");
        assert_eq!(i["bad_rows"], errors, "{file}: errors");
        assert_eq!(i["first_bad_row"].is_null(), errors == 0, "{file}");
    }
}

fn findings_of<'a>(r: &'a Value, file: &str) -> Vec<&'a Value> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["sources"]
                .as_array()
                .unwrap()
                .iter()
                .any(|s| s["name"].as_str().unwrap().ends_with(file))
        })
        .collect()
}

fn notes_of<'a>(r: &'a Value, file: &str, kind: &str) -> Vec<&'a Value> {
    r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == kind && n["input"].as_str().unwrap().ends_with(file))
        .collect()
}

#[test]
fn failure_audits_are_ranked_paths_with_process_rights_and_status() {
    let Some(dir) = corpus("evtx") else { return };
    let r = scan_all(&dir);
    // One 4656 audit failure on a file (sppsvc.exe) in the firewall sample.
    let file =
        "mdecrevoisier-EVTX-to-MITRE-Attack__ID4688-5447-4950-Firewall_disabled_command_.evtx";
    let f = findings_of(r, file);
    assert_eq!(f.len() as u64, interesting(&dir, file, "4656F"));
    let f = f[0];
    assert_eq!(f["processes"][0]["name"], "sppsvc.exe");
    assert_eq!(f["statuses"][0]["code"], "0xC0000022");
    assert_eq!(f["verdict"], "write-denied", "{f}");
    let detail = f["samples"][0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("Desired Access: ") && detail.contains("Write Data"),
        "{detail}"
    );
    // The 5140 failure on \\*\ADMIN$ becomes the share's local path.
    let file = "mdecrevoisier-EVTX-to-MITRE-Attack__ID5140-Failed_ADMIN_share_access.evtx";
    let f = findings_of(r, file);
    assert_eq!(f.len() as u64, interesting(&dir, file, "5140F"));
    assert_eq!(f[0]["path"], "C:\\Windows");
    // Successes are never findings: 4907 by TiWorker on WinSxS, 4656/5145 successes.
    for file in [
        "omerbenamram-evtx__security.evtx",
        "mdecrevoisier-EVTX-to-MITRE-Attack__ID4656_5145_4674-Impacket_secret_dump_via_SMB.evtx",
    ] {
        assert!(findings_of(r, file).is_empty(), "{file}");
        assert!(notes_of(r, file, "code").is_empty(), "{file}");
    }
}

#[test]
fn shadow_copy_write_protects_are_flagged_noise_not_culprits() {
    let Some(dir) = corpus("evtx") else { return };
    let r = scan_all(&dir);
    let file = "omerbenamram-evtx__2-vss_7-System.evtx";
    let f = findings_of(r, file);
    assert_eq!(f.len() as u64, interesting(&dir, file, "KG11:0xc00000a2"));
    for x in &f {
        assert_eq!(x["statuses"][0]["code"], "0xC00000A2");
        assert_eq!(x["verdict"], "by-design", "{}", x["path"]);
        assert_eq!(x["rule"], "shadow-copy");
        assert!(
            x["advice"][0]
                .as_str()
                .unwrap()
                .contains("read-only snapshot")
        );
    }
    // By-design findings rank after every other one.
    let ranks: Vec<&str> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["verdict"].as_str().unwrap())
        .collect();
    let first_by_design = ranks.iter().position(|v| *v == "by-design").unwrap();
    assert!(ranks[first_by_design..].iter().all(|v| *v == "by-design"));
}

#[test]
fn pathless_evidence_is_kept_as_context() {
    let Some(dir) = corpus("evtx") else { return };
    let r = scan_all(&dir);
    for file in [
        "omerbenamram-evtx__Security_short_selected.evtx",
        "mdecrevoisier-EVTX-to-MITRE-Attack__ID4624_4670_4688_4674-Registry_permission_change_via_WMI_DAMP_.evtx",
    ] {
        let n = notes_of(r, file, "privilege-denied");
        let total: u64 = n.iter().map(|n| n["count"].as_u64().unwrap()).sum();
        assert_eq!(total, interesting(&dir, file, "4673F"), "{file}");
        assert!(n.iter().all(|n| n["process"].is_string()));
    }
    // NETLOGON 5805: `%%5` (and STATUS_ACCESS_DENIED in its Binary).
    let file =
        "EVTX-ATTACK-SAMPLES__Zerologon_CVE-2020-1472_DFIR_System_NetLogon_Error_EventID_5805.evtx";
    let n = notes_of(r, file, "code");
    assert_eq!(n.len(), 1);
    assert_eq!(n[0]["code"]["name"], "ERROR_ACCESS_DENIED");
    // DCOM 10016 is noise, with its reason, counted over every System log.
    let dcom: u64 = [
        "omerbenamram-evtx__2-vss_7-System.evtx",
        "omerbenamram-evtx__system.evtx",
        "DFIRArtifactMuseum__Win11__System.evtx",
    ]
    .iter()
    .map(|f| interesting(&dir, f, "DCOM10016"))
    .sum();
    let noise: Vec<&Value> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "noise")
        .collect();
    assert_eq!(noise.len(), 1);
    assert_eq!(noise[0]["count"], dcom);
    assert!(
        noise[0]["benign"]
            .as_str()
            .unwrap()
            .contains("safe to ignore")
    );
    // SCM 7023 with codes that are not denials (%%1058, %%2147942414) is not evidence.
    assert!(
        r["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["kind"] != "service-failed")
    );
}

#[test]
fn a_corrupt_evtx_among_good_ones_is_named_and_the_rest_reported() {
    let Some(dir) = corpus("evtx") else { return };
    let tmp = tempfile::tempdir().unwrap();
    let good =
        "mdecrevoisier-EVTX-to-MITRE-Attack__ID4688-5447-4950-Firewall_disabled_command_.evtx";
    std::fs::copy(dir.join(good), tmp.path().join(good)).unwrap();
    // A header that says ElfFile and nothing else that parses.
    let mut broken = b"ElfFile\0".to_vec();
    broken.extend(std::iter::repeat_n(0xFFu8, 5000));
    std::fs::write(tmp.path().join("broken.evtx"), &broken).unwrap();
    let (code, r, err) = run_json(&[tmp.path().to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 2, "{err}");
    let b = input(&r, "broken.evtx");
    assert_eq!(b["status"], "failed");
    assert!(
        b["message"].as_str().unwrap().contains("broken.evtx"),
        "{b}"
    );
    assert_eq!(input(&r, good)["status"], "ok");
    assert_eq!(r["findings"].as_array().unwrap().len(), 1);
}

/// A SYNTHETIC Security log of `n` events, one mstsc.exe 4656 failure every 100.
fn synthetic_log(dir: &Path, n: u64) -> (std::path::PathBuf, Vec<u8>) {
    let p = dir.join("Security.evtx");
    culprit::synth::evtx::write_evtx(
        std::fs::File::create(&p).unwrap(),
        culprit::synth::evtx_logs::big_security(n, 100),
    )
    .unwrap();
    let bytes = std::fs::read(&p).unwrap();
    (p, bytes)
}

#[test]
fn a_log_cut_short_keeps_what_was_read_and_names_the_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, bytes) = synthetic_log(tmp.path(), 3000);
    let chunks = (bytes.len() - 4096) / 65536;
    assert!(chunks >= 3, "{chunks} chunks");
    let (_, whole, _) = run_json(&[tmp.path().join("Security.evtx").to_str().unwrap()]);
    assert_eq!(whole["inputs"][0]["status"], "ok");
    assert_eq!(whole["inputs"][0]["rows"], 3000);
    assert_eq!(whole["inputs"][0]["matches"], 30);
    // Cut inside the third chunk: two whole chunks are read, the cut is named.
    let cut_at = 4096 + 2 * 65536 + 1000;
    let cut = tmp.path().join("cut.evtx");
    std::fs::write(&cut, &bytes[..cut_at]).unwrap();
    let (code, r, err) = run_json(&[cut.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    let i = &r["inputs"][0];
    assert_eq!(i["status"], "failed");
    let msg = i["message"].as_str().unwrap();
    assert!(
        msg.contains("cut.evtx")
            && msg.contains("ends inside chunk 2")
            && msg.contains(&(4096 + 2 * 65536).to_string()),
        "{msg}"
    );
    let read = i["rows"].as_u64().unwrap();
    assert!(read > 0 && read < 3000, "{read}");
    assert!(
        !r["findings"].as_array().unwrap().is_empty(),
        "what was read is reported"
    );
    // Cut at a chunk boundary: the header still counts every chunk.
    let boundary = tmp.path().join("boundary.evtx");
    std::fs::write(&boundary, &bytes[..4096 + 65536]).unwrap();
    let (code, r, _) = run_json(&[boundary.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = r["inputs"][0]["message"].as_str().unwrap();
    assert!(
        msg.contains(&format!("header counts {chunks} chunks")),
        "{msg}"
    );
}

#[test]
fn a_gzipped_or_zipped_log_reads_like_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let (p, bytes) = synthetic_log(tmp.path(), 1500);
    let gz = tmp.path().join("Security.evtx.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut e, &bytes).unwrap();
    e.finish().unwrap();
    let (_, plain, _) = run_json(&[p.to_str().unwrap()]);
    let (code, zipped, err) = run_json(&[gz.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(zipped["inputs"][0]["kind"], "evtx");
    assert_eq!(zipped["inputs"][0]["gzip"], true);
    assert_eq!(finding_shape(&plain), finding_shape(&zipped));
    // -j1 and --no-mmap give the same report.
    for flag in ["-j1", "--no-mmap"] {
        let (_, r, _) = run_json(&[p.to_str().unwrap(), flag]);
        assert_eq!(finding_shape(&plain), finding_shape(&r), "{flag}");
        assert_eq!(plain["notes"], r["notes"], "{flag}");
    }
}
