//! Windows Installer logs: the real ones in `../shared/corpus/msi` read (neither holds
//! a failure, so neither gives a finding), and a SYNTHETIC verbose log in their exact
//! format (UTF-16LE with BOM, CRLF) gives its `Note: 1: 1406 … 3: 5` denial as a
//! write refused on the registry value's key.

mod common;

use common::*;

#[test]
fn the_real_msi_logs_read_and_hold_no_failure() {
    let Some(dir) = corpus("msi") else { return };
    for name in [
        "Mustafa-Ghazi__msi_verbose.log",
        "installationwrapper__msi.log",
    ] {
        let p = dir.join(name);
        let (code, r, err) = run_json(&[p.to_str().unwrap(), "--all-processes"]);
        assert_eq!(code, 1, "{name}: {err}");
        let i = &r["inputs"][0];
        assert_eq!(i["status"], "ok", "{name}: {}", i["message"]);
        assert_eq!(i["kind"], "msi-log");
        assert_eq!(i["encoding"], "utf-16le");
        // SOURCES.md: 6,770 and 68 lines.
        let lines = if name.starts_with("Mustafa") {
            6770
        } else {
            68
        };
        assert_eq!(i["rows"], lines, "{name}");
        assert_eq!(i["matches"], 0, "{name}");
    }
}

#[test]
fn a_denied_registry_write_in_a_verbose_log_is_a_finding() {
    let text = [
        "=== Verbose logging started: 24/11/2026  7:20:01  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\SYSTEM32\\msiexec.exe ===",
        "MSI (s) (18:A8) [07:20:02:100]: Note: 1: 1402 2: HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Policies\\Explorer 3: 2 ",
        "MSI (s) (18:A8) [07:20:03:250]: Note: 1: 1406 2: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Terminal Server Client 3: 5 ",
        "MSI (s) (18:A8) [07:20:03:251]: Product: Remote Desktop -- Error 1406. Could not write value to key \\SOFTWARE\\Microsoft\\Terminal Server Client.   Verify that you have sufficient access to that key, or contact your support personnel.",
        "Action ended 7:20:03: InstallFinalize. Return value 3.",
    ]
    .join("\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("MSI1a2b3.LOG");
    std::fs::write(&p, &bytes).unwrap();
    let (code, r, err) = run_json(&[p.to_str().unwrap(), "-p", "msiexec.exe"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["inputs"][0]["kind"], "msi-log");
    assert_eq!(
        r["inputs"][0]["matches"], 1,
        "3: 2 (not found) is not a denial"
    );
    let f = &r["findings"][0];
    assert_eq!(
        f["path"],
        "HKLM\\SOFTWARE\\Microsoft\\Terminal Server Client"
    );
    assert_eq!(f["operations"][0]["name"], "RegSetValue");
    assert_eq!(f["verdict"], "write-denied");
    assert_eq!(f["families"], serde_json::json!(["msi"]));
    assert_eq!(f["first_seen"]["line"], 3);
    // msiexec.exe is not in the default process set: counted, not shown.
    let (code, r, _) = run_json(&[p.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(r["inputs"][0]["other_processes"], 1);
}
