//! Windows Installer's own error messages in a log (`Error 1303. The installer has
//! insufficient privileges to access this directory: C:\…`), with or without the
//! `Note: 1:` line: which messages mean a refused access, where their path is, and
//! the code they carry. Message texts are Windows Installer's error table
//! (<https://learn.microsoft.com/windows/win32/msi/windows-installer-error-messages>).
//!
//! A message whose text states the refusal (1303, 1925) implies ERROR_ACCESS_DENIED.
//! Others (1310, 1401, 1402, 1406) are refused accesses only when their
//! `System error N.` says so: culprit keeps them through the filter like any code.

/// One message: (MSI error, operation in Procmon's spelling, the words before the
/// path (`None`: it names none), the Win32 code its text implies when it gives no
/// `System error`).
#[derive(Debug, PartialEq, Eq)]
pub struct Message {
    pub number: u32,
    pub operation: &'static str,
    pub path_after: Option<&'static str>,
    pub implied: Option<u32>,
}

/// The messages culprit reads.
pub static MESSAGES: &[Message] = &[
    // "The installer has insufficient privileges to access this directory: [2]."
    // (the folder it installs files into: a write).
    Message {
        number: 1303,
        operation: "WriteFile",
        path_after: Some("directory: "),
        implied: Some(5),
    },
    // "Error writing to file: [3]. {{ System error [2].}} Verify that you have access…"
    Message {
        number: 1310,
        operation: "WriteFile",
        path_after: Some("file: "),
        implied: None,
    },
    // "Could not create key: [2]. {{ System error [3].}} Verify that you have sufficient access…"
    Message {
        number: 1401,
        operation: "RegCreateKey",
        path_after: Some("key: "),
        implied: None,
    },
    // "Could not open key: [2]. {{ System error [3].}} …"
    Message {
        number: 1402,
        operation: "RegOpenKey",
        path_after: Some("key: "),
        implied: None,
    },
    // "Could not write value [2] to key [3]. {{ System error [4].}} …"
    Message {
        number: 1406,
        operation: "RegSetValue",
        path_after: Some(" to key "),
        implied: None,
    },
    // "You do not have sufficient privileges to complete this installation for all
    // users of the machine. Log on as administrator and then retry this installation."
    Message {
        number: 1925,
        operation: "Install",
        path_after: None,
        implied: Some(5),
    },
];

/// A message found in a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found<'a> {
    pub message: &'static Message,
    /// The path it names, as logged.
    pub path: Option<&'a str>,
    /// The Win32 code: the `System error N.` it gives, else the one its text implies.
    pub code: Option<u32>,
    /// The message text from `Error N.` on.
    pub text: &'a str,
}

/// Where the path of a message ends: before its closing sentence.
const PATH_ENDS: &[&str] = &[
    ". System error",
    ".  ",
    ". Verify",
    ". The installation",
    ". {{",
];

/// `Error 1303. …` anywhere in a line (after `Product: X -- ` or alone).
pub fn find(line: &str) -> Option<Found<'_>> {
    let at = line.find("Error 1")?;
    let text = &line[at..];
    let rest = &text["Error ".len()..];
    let (num, body) = rest.split_once(". ")?;
    let number: u32 = num.parse().ok()?;
    let message = MESSAGES.iter().find(|m| m.number == number)?;
    let path = match message.path_after {
        Some(words) => {
            let from = body.find(words)? + words.len();
            let tail = &body[from..];
            let end = PATH_ENDS
                .iter()
                .filter_map(|e| tail.find(e))
                .min()
                .unwrap_or_else(|| tail.trim_end().trim_end_matches('.').len());
            let p = tail[..end].trim();
            if p.is_empty() {
                return None;
            }
            Some(p)
        }
        None => None,
    };
    let code = system_error(body).or(message.implied);
    Some(Found {
        message,
        path,
        code,
        text: text.trim_end(),
    })
}

/// `System error 5.` as 5 (decimal; a negative value is an HRESULT).
fn system_error(body: &str) -> Option<u32> {
    let at = body.find("System error ")? + "System error ".len();
    let n: String = body[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    let v: i64 = n.parse().ok()?;
    i32::try_from(v).ok().map(|v| v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_message_reads_its_path_and_code() {
        // One hand-written line per row, in the error table's words.
        let cases: &[(&str, Option<&str>, Option<u32>)] = &[
            (
                "MSI (s) (18:A8) [09:12:55:101]: Product: Remote Desktop -- Error 1303. The installer has insufficient privileges to access this directory: C:\\Program Files\\Remote Desktop.  The installation cannot continue.  Log on as administrator or contact your system administrator.",
                Some("C:\\Program Files\\Remote Desktop"),
                Some(5),
            ),
            (
                "Error 1310. Error writing to file: C:\\Windows\\System32\\mstsc.exe. System error 5.  Verify that you have access to that directory.",
                Some("C:\\Windows\\System32\\mstsc.exe"),
                Some(5),
            ),
            (
                "Error 1401. Could not create key: Software\\Microsoft\\Terminal Server Client. System error 5.  Verify that you have sufficient access to that key, or contact your support personnel.",
                Some("Software\\Microsoft\\Terminal Server Client"),
                Some(5),
            ),
            (
                "Error 1402. Could not open key: HKEY_LOCAL_MACHINE\\Software\\Classes\\.rdp. System error 19.  Verify that you have sufficient access to that key, or contact your support personnel.",
                Some("HKEY_LOCAL_MACHINE\\Software\\Classes\\.rdp"),
                Some(19),
            ),
            (
                "Error 1406. Could not write value Version to key \\Software\\Microsoft\\Terminal Server Client.  System error 5.  Verify that you have sufficient access to that key, or contact your support personnel.",
                Some("\\Software\\Microsoft\\Terminal Server Client"),
                Some(5),
            ),
            (
                "Error 1925. You do not have sufficient privileges to complete this installation for all users of the machine.  Log on as administrator and then retry this installation.",
                None,
                Some(5),
            ),
        ];
        for (line, path, code) in cases {
            let f = find(line).unwrap_or_else(|| panic!("{line}"));
            assert_eq!(f.path, *path, "{line}");
            assert_eq!(f.code, *code, "{line}");
            assert!(f.text.starts_with("Error 1"));
        }
        assert_eq!(cases.len(), MESSAGES.len(), "a case per row");
    }

    #[test]
    fn a_message_without_its_code_or_path_is_no_evidence() {
        // 1310 without `System error`: a write failed, nobody said why.
        let f = find("Error 1310. Error writing to file: C:\\x.dll.  Verify that you have access to that directory.").unwrap();
        assert_eq!((f.path, f.code), (Some("C:\\x.dll"), None));
        assert_eq!(
            find("Error 1304. Error writing to file C:\\x"),
            None,
            "not read"
        );
        assert_eq!(find("Error 1303. The installer has"), None, "no path");
        assert_eq!(find("Action ended 9:12:53: INSTALL. Return value 1."), None);
        assert_eq!(find("Error 1x. y"), None);
        assert_eq!(
            system_error("x. System error -2147024891.  y"),
            Some(0x8007_0005)
        );
    }
}
