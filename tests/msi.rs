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

/// A SYNTHETIC verbose log in the real logs' format, with the engine's own messages
/// (texts from Windows Installer's error table): each refusal counts once whether
/// the `Note:` line, the `Product: … -- Error` line and the bare `Error` line all
/// repeat it or not.
#[test]
fn the_engines_error_messages_are_read_once_each() {
    let text = [
        "=== Verbose logging started: 24/11/2026  7:20:01  Build type: SHIP UNICODE 5.00.10011.00  Calling process: C:\\Windows\\SYSTEM32\\msiexec.exe ===",
        // 1: the Note, then its two messages (the key's root omitted in them).
        "MSI (s) (18:A8) [07:20:03:250]: Note: 1: 1406 2: HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Terminal Server Client 3: 5 ",
        "MSI (s) (18:A8) [07:20:03:251]: Product: Remote Desktop -- Error 1406. Could not write value Version to key \\SOFTWARE\\Microsoft\\Terminal Server Client. System error 5.  Verify that you have sufficient access to that key, or contact your support personnel.",
        "Error 1406. Could not write value Version to key \\SOFTWARE\\Microsoft\\Terminal Server Client. System error 5.  Verify that you have sufficient access to that key, or contact your support personnel.",
        // 2: a directory refused, with no Note line at all (twice).
        "MSI (s) (18:A8) [07:20:04:010]: Product: Remote Desktop -- Error 1303. The installer has insufficient privileges to access this directory: C:\\Program Files\\Remote Desktop.  The installation cannot continue.  Log on as administrator or contact your system administrator.",
        "Error 1303. The installer has insufficient privileges to access this directory: C:\\Program Files\\Remote Desktop.  The installation cannot continue.  Log on as administrator or contact your system administrator.",
        // Not evidence: a write error without its system error.
        "Error 1310. Error writing to file: C:\\Program Files\\Remote Desktop\\x.dll.  Verify that you have access to that directory.",
        // 3: no path: ticket context.
        "MSI (s) (18:A8) [07:20:05:000]: Product: Remote Desktop -- Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.  Log on as administrator and then retry this installation.",
        "Action ended 7:20:05: InstallFinalize. Return value 3.",
    ]
    .join("\r\n");
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("MSI4c5d6.LOG");
    std::fs::write(&p, &bytes).unwrap();
    let (code, r, err) = run_json(&[p.to_str().unwrap(), "-p", "msiexec.exe"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(r["inputs"][0]["matches"], 3, "{}", r["inputs"][0]);
    let mut got: Vec<(String, u64, String)> = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["count"].as_u64().unwrap(),
                f["operations"][0]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    got.sort();
    assert_eq!(
        got,
        [
            (
                "C:\\Program Files\\Remote Desktop".into(),
                1,
                "WriteFile".into()
            ),
            (
                "HKLM\\SOFTWARE\\Microsoft\\Terminal Server Client".into(),
                1,
                "RegSetValue".into()
            ),
        ]
    );
    let notes = r["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert_eq!(notes[0]["kind"], "privilege-denied");
    assert!(notes[0]["subject"].as_str().unwrap().contains("Error 1925"));
}
