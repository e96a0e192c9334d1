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
    let (code, out, err) = run_bytes(&[d, "--no-progress"]);
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
