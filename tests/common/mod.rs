//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use serde_json::Value;

/// The culprit binary, run from the crate root.
pub fn culprit() -> Command {
    let mut c = Command::cargo_bin("culprit").expect("binary built");
    c.current_dir(env!("CARGO_MANIFEST_DIR"));
    c
}

/// Runs `culprit scan` with `args`; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let mut a = vec!["scan"];
    a.extend_from_slice(args);
    run_raw(&a)
}

/// Runs culprit with exactly `args`; returns (exit code, stdout, stderr).
pub fn run_raw(args: &[&str]) -> (i32, String, String) {
    let out = culprit().args(args).output().expect("culprit runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `culprit scan` with `--format json` added; returns (exit code, report, stderr).
pub fn run_json(args: &[&str]) -> (i32, Value, String) {
    let mut a = args.to_vec();
    a.extend(["--format", "json"]);
    let (code, out, err) = run(&a);
    let v: Value = serde_json::from_str(&out)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {out}\nstderr: {err}"));
    (code, v, err)
}

/// Paths of the findings, in rank order.
pub fn paths(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["path"].as_str().unwrap().to_string())
        .collect()
}

/// (path, count, unrecovered) of every finding, in rank order.
pub fn finding_shape(report: &Value) -> Vec<(String, u64, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
                f["unrecovered"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// The summary entry of one input.
pub fn input<'a>(report: &'a Value, path_suffix: &str) -> &'a Value {
    report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"].as_str().unwrap().ends_with(path_suffix))
        .unwrap_or_else(|| panic!("no input {path_suffix}"))
}

/// `../shared/corpus/<sub>` if present (tests skip with a note when it is not).
pub fn corpus(sub: &str) -> Option<PathBuf> {
    shared(&format!("corpus/{sub}"))
}

/// `../shared/<sub>` if present (tests skip with a note when it is not).
pub fn shared(sub: &str) -> Option<PathBuf> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "note: {} is absent; skipping the checks that need it",
            p.display()
        );
        None
    }
}

/// (path, count, unrecovered, verdict) of every finding, in rank order.
pub fn finding_verdicts(report: &Value) -> Vec<(String, u64, u64, String)> {
    finding_shape(report)
        .into_iter()
        .zip(report["findings"].as_array().unwrap())
        .map(|((p, c, u), f)| (p, c, u, f["verdict"].as_str().unwrap().to_string()))
        .collect()
}

/// A file's bytes, gunzipped when gzipped, without a UTF-8 BOM: what an independent
/// reference reads (never through culprit's own opening code).
pub fn plain_text(path: &Path) -> Vec<u8> {
    use std::io::Read;
    let raw = std::fs::read(path).unwrap();
    let mut text = Vec::new();
    if raw.starts_with(&[0x1f, 0x8b]) {
        flate2::read::MultiGzDecoder::new(&raw[..])
            .read_to_end(&mut text)
            .unwrap();
    } else {
        text = raw;
    }
    match text.strip_prefix(b"\xEF\xBB\xBF") {
        Some(rest) => rest.to_vec(),
        None => text,
    }
}
