//! Every real servicing log in `../shared/corpus/cbs-dism` reads; the records kept
//! equal an independent count (a plain record split and a regex over each record's
//! text, no culprit code); the Panther cbs.log's E_ACCESSDENIED hive paths come out
//! with their hint; UTF-16 and gzip copies read like the plain file. Skips with a note
//! when the corpus is absent.

mod common;

use std::path::Path;

use common::*;
use regex::Regex;
use serde_json::Value;

/// `(file, kind)` for every entry of `SOURCES.md`.
fn entries(dir: &Path) -> Vec<(String, String, u64)> {
    let text = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    let mut out = Vec::new();
    for section in text.split("\n## ").skip(1) {
        let name = section.lines().next().unwrap().trim().to_string();
        let kind = section
            .lines()
            .find_map(|l| l.strip_prefix("- kind: "))
            .unwrap()
            .trim()
            .to_string();
        let lines = section
            .split("lines: ")
            .nth(1)
            .and_then(|s| s.split(';').next())
            .and_then(|s| s.trim().parse().ok())
            .unwrap();
        out.push((name, kind, lines));
    }
    out
}

/// Kinds of `SOURCES.md` that do not follow the servicing record grammar.
const NOT_SERVICING: &[&str] = &["pfro", "panther-ddacl", "windowsupdate"];

/// The independent count: records (a line starting `YYYY-MM-DD HH:MM:SS, ` opens
/// one, other lines continue it) whose text holds an access-denied or write-protect
/// code in any spelling.
fn independent_count(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let opens = Regex::new(r"^(?:.*\.log:)?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d, ").unwrap();
    let code = Regex::new(
        r"(?i)e_accessdenied|error_access_denied|status_access_denied|error_write_protect|status_media_write_protected|0x80070005|0x80070013|0xc0000022|0xc00000a2|hresult=8007000(5|13)\b|(error|gle)\s*=\s*0x(5|13)\b|gle=0x000000(05|13)\b",
    )
    .unwrap();
    let mut records: Vec<String> = Vec::new();
    for line in text.lines() {
        if opens.is_match(line) || records.is_empty() {
            records.push(line.to_string());
        } else {
            let last = records.last_mut().unwrap();
            last.push('\n');
            last.push_str(line);
        }
    }
    records.iter().filter(|r| code.is_match(r)).count() as u64
}

fn scan_dir(dir: &Path) -> Value {
    let (code, r, err) = run_json(&[dir.to_str().unwrap(), "--all-processes", "--top", "0"]);
    assert_eq!(code, 0, "{err}");
    r
}

#[test]
fn every_servicing_log_reads_and_keeps_what_an_independent_count_keeps() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let r = scan_dir(&dir);
    let all = entries(&dir);
    assert!(all.len() >= 20);
    let mut kept = 0;
    for (name, kind, lines) in &all {
        let i = input(&r, name);
        if NOT_SERVICING.contains(&kind.as_str()) {
            assert_eq!(i["status"], "skipped", "{name}: {i}");
            continue;
        }
        assert_eq!(i["status"], "ok", "{name}: {}", i["message"]);
        assert_eq!(i["family"], "servicing", "{name}");
        assert_eq!(i["rows"], *lines, "{name}: lines");
        assert_eq!(i["bad_rows"], 0, "{name}");
        let want = independent_count(&dir.join(name));
        assert_eq!(i["matches"], want, "{name}: kept records");
        kept += want;
    }
    assert!(kept >= 4, "the corpus holds access-denied records ({kept})");
}

#[test]
fn the_offline_hive_denials_are_found_with_their_hint() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let (code, r, err) = run_json(&[dir.join("newfolder__panther_cbs.log").to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut paths = paths(&r);
    paths.sort();
    assert_eq!(
        paths,
        [
            "F:\\Windows\\System32\\config\\SOFTWARE",
            "F:\\Windows\\System32\\config\\SYSTEM"
        ]
    );
    for f in r["findings"].as_array().unwrap() {
        assert_eq!(f["rule"], "offline-hive-held-open");
        assert_eq!(f["verdict"], "blocked");
        assert_eq!(f["statuses"][0]["code"], "0x80070005");
        assert_eq!(f["families"], serde_json::json!(["servicing"]));
        let advice = f["advice"].to_string();
        assert!(
            advice.contains("still held it open") && advice.contains("dism /Cleanup-Mountpoints"),
            "{advice}"
        );
        assert_eq!(
            f["operations"][0]["name"],
            "Failed to unload offline registry"
        );
    }
}

#[test]
fn logs_without_a_marker_give_nothing() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let r = scan_dir(&dir);
    let text = std::fs::read_to_string(dir.join("SOURCES.md")).unwrap();
    for (name, _, _) in entries(&dir) {
        let section = text.split(&format!("## {name}\n")).nth(1).unwrap();
        let measured = section
            .lines()
            .find(|l| l.starts_with("- measured:"))
            .unwrap();
        let marked = [
            "E_ACCESSDENIED",
            "0x80070005",
            "error = 0x5",
            "0x80070013",
            "0xc00000a2",
        ]
        .iter()
        .any(|m| measured.contains(m));
        if marked {
            continue;
        }
        let mention = |v: &Value| v.to_string().contains(&name);
        assert!(
            !r["findings"].as_array().unwrap().iter().any(mention),
            "{name}"
        );
        assert!(
            !r["notes"].as_array().unwrap().iter().any(mention),
            "{name}"
        );
    }
}

#[test]
fn utf16_and_gzip_copies_read_like_the_plain_log() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let plain = dir.join("newfolder__panther_cbs.log");
    let bytes = std::fs::read(&plain).unwrap();
    let text = String::from_utf8(
        bytes
            .strip_prefix(b"\xEF\xBB\xBF")
            .unwrap_or(&bytes)
            .to_vec(),
    )
    .unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let utf16 = tmp.path().join("cbs_utf16.log");
    let mut u = vec![0xFF, 0xFE];
    u.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&utf16, &u).unwrap();
    let gz = tmp.path().join("cbs.log.gz");
    let mut e = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::fast(),
    );
    std::io::Write::write_all(&mut e, &bytes).unwrap();
    e.finish().unwrap();
    let (_, want, _) = run_json(&[plain.to_str().unwrap()]);
    for v in [&utf16, &gz] {
        let (code, got, err) = run_json(&[v.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        assert_eq!(finding_shape(&got), finding_shape(&want), "{}", v.display());
        assert_eq!(got["inputs"][0]["rows"], want["inputs"][0]["rows"]);
    }
}

/// A `CbsPersist_*.cab` rotation (MSZIP, as Windows writes it) reads like the log it
/// holds, and a folder with the cab names the member.
#[test]
fn a_cab_rotation_reads_like_the_plain_log() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let plain = dir.join("newfolder__panther_cbs.log");
    let bytes = std::fs::read(&plain).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let cab_path = tmp.path().join("CbsPersist_20190605130422.cab");
    let mut builder = cab::CabinetBuilder::new();
    builder
        .add_folder(cab::CompressionType::MsZip)
        .add_file("CbsPersist_20190605130422.log");
    let mut w = builder
        .build(std::fs::File::create(&cab_path).unwrap())
        .unwrap();
    while let Some(mut f) = w.next_file().unwrap() {
        std::io::Write::write_all(&mut f, &bytes).unwrap();
    }
    w.finish().unwrap();
    let (_, want, _) = run_json(&[plain.to_str().unwrap()]);
    let (code, got, err) = run_json(&[cab_path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(finding_shape(&got), finding_shape(&want));
    let i = &got["inputs"][0];
    assert!(
        i["path"]
            .as_str()
            .unwrap()
            .ends_with(".cab!CbsPersist_20190605130422.log"),
        "{i}"
    );
    assert_eq!(i["rows"], want["inputs"][0]["rows"]);

    // As a TSS zip ships it: the cab inside `<PC>_CbsPersist.zip` inside the ticket's
    // zip (two levels of archives around the log).
    let cab = std::fs::read(&cab_path).unwrap();
    let persist =
        culprit::synth::tickets::zip_bytes(&[("CbsPersist_20190605130422.cab", cab.as_slice())])
            .unwrap();
    let tss = tmp.path().join("TSS_PC01_DND_SetupReport.zip");
    std::fs::write(
        &tss,
        culprit::synth::tickets::zip_bytes(&[("PC01_CbsPersist.zip", persist.as_slice())]).unwrap(),
    )
    .unwrap();
    let (code, got, err) = run_json(&[tss.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(finding_shape(&got), finding_shape(&want));
    let i = &got["inputs"][0];
    assert!(
        i["path"].as_str().unwrap().ends_with(
            "TSS_PC01_DND_SetupReport.zip!PC01_CbsPersist.zip!CbsPersist_20190605130422.cab!CbsPersist_20190605130422.log"
        ),
        "{i}"
    );
}

/// The generator's planted truth comes back: every planted denial is kept, on its 13
/// files, none of its other records is (they hold other HRESULTs).
#[test]
fn the_generated_cbs_log_gives_back_its_planted_denials() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("CBS.log");
    let mut f = std::fs::File::create(&p).unwrap();
    let t = culprit::synth::cbs::write_cbs(&mut f, 2 << 20, 500).unwrap();
    drop(f);
    assert_eq!(independent_count(&p), t.denials);
    let (code, r, err) = run_json(&[p.to_str().unwrap(), "--top", "0"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["inputs"][0]["matches"], t.denials);
    assert_eq!(r["findings"].as_array().unwrap().len(), 13);
    let total: u64 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["count"].as_u64().unwrap())
        .sum();
    assert_eq!(total, t.denials);
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["processes"][0]["name"] == "TiWorker.exe")
    );
}

/// The independent count of SFC's unrepaired-file lines: records whose first line
/// holds `[SR] Cannot repair member file` or `[SR] Could not reproject corrupted file`.
fn independent_unrepaired(path: &Path) -> u64 {
    let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
    let sr = Regex::new(
        r"^(?:.*\.log:)?\d{4}-\d\d-\d\d \d\d:\d\d:\d\d, .*\[SR\] (?:Cannot repair member file|Could not reproject corrupted file) ",
    )
    .unwrap();
    text.lines().filter(|l| sr.is_match(l)).count() as u64
}

#[test]
fn unrepaired_files_are_their_own_class_shown_when_asked() {
    let Some(dir) = corpus("cbs-dism") else {
        return;
    };
    let mut seen = 0;
    for (name, kind, _) in entries(&dir) {
        if NOT_SERVICING.contains(&kind.as_str()) {
            continue;
        }
        let file = dir.join(&name);
        let want = independent_unrepaired(&file);
        let (code, r, err) = run_json(&[
            file.to_str().unwrap(),
            "--status",
            "unrepairable",
            "--all-processes",
            "--top",
            "0",
        ]);
        assert_eq!(code, if want > 0 { 0 } else { 1 }, "{name}: {err}");
        assert_eq!(input(&r, &name)["matches"], want, "{name}");
        let findings = r["findings"].as_array().unwrap();
        let total: u64 = findings.iter().map(|f| f["count"].as_u64().unwrap()).sum();
        assert_eq!(total, want, "{name}: every line is on one path");
        for f in findings {
            assert_eq!(f["verdict"], "unrepairable", "{name}: {}", f["path"]);
            assert_eq!(f["rule"], "sfc-cannot-repair");
            for s in f["statuses"].as_array().unwrap() {
                assert_eq!(s["class"], "unrepairable");
            }
        }
        seen += want;
    }
    assert!(seen > 1000, "the corpus holds SFC logs ({seen})");

    // Hand-checked: the member line `[l:20]'PresentationCore.dll'` and the line
    // `Could not reproject corrupted file \??\C:\Windows\Microsoft.NET\…\WPF\\
    // PresentationCore.dll` are one file, on its full path.
    let file = dir.join("WinErros__SFCfromFile.log");
    let (_, r, _) = run_json(&[
        file.to_str().unwrap(),
        "--status",
        "unrepairable",
        "--top",
        "0",
    ]);
    let pc = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["path"]
                == "C:\\Windows\\Microsoft.NET\\Framework\\v4.0.30319\\WPF\\PresentationCore.dll"
        })
        .expect("paired on the full path");
    let ops: Vec<&str> = pc["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "Cannot repair member file",
            "Could not reproject corrupted file"
        ]
    );
    assert!(pc["advice"].to_string().contains("RestoreHealth"));

    // Not asked, not shown: the default scan of the same log keeps none of them.
    let (code, r, _) = run_json(&[file.to_str().unwrap(), "--all-processes"]);
    assert_eq!(code, 1, "no denial in an SFC log");
    assert!(r["findings"].as_array().unwrap().is_empty());
}
