//! Status codes in servicing text, in every spelling real logs use
//! (`../shared/design/text-formats.md` §3.2): `[HRESULT = 0x80070005 - E_ACCESSDENIED]`,
//! `hr:0x80070005`, `HRESULT=80070005`, `(CBS HRESULT=0x…)`, `error = 0x5`, `GLE = 0x5`,
//! `[gle=0x00000005]`, `Error:0x…`, `Result = 0x…`, a bare 8-digit `0x…`, and the
//! symbolic names of the code tables (`E_ACCESSDENIED`, `STATUS_ACCESS_DENIED`,
//! `ERROR_WRITE_PROTECT`). Each becomes one [`Code`] in its numbering space.

use std::sync::LazyLock;

use regex::Regex;

use crate::codes::{Code, Space, code_of_value};

/// A keyword and a number (`hr:0x5`, `HRESULT = 80070005`, `error = 0x5`).
static KEYED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)\b(?:hresult|hr|gle|error|result|status|win32|exit code)\s*[=:]\s*(0x[0-9a-f]{1,8}|[0-9a-f]{8})\b",
    )
    .expect("valid pattern")
});

/// A bare 8-digit hex code (`0xc0000022`), anywhere.
static BARE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b0x([0-9a-f]{8})\b").expect("valid pattern"));

/// A symbolic name (`E_ACCESSDENIED`, `ERROR_WRITE_PROTECT`, `STATUS_ACCESS_DENIED`).
static NAMED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:E|ERROR|STATUS|CBS_E|SPAPI_E)_[A-Z0-9_]+\b").expect("valid pattern")
});

fn hex(t: &str) -> Option<u32> {
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    u32::from_str_radix(t, 16).ok()
}

/// A name of the NTSTATUS, Win32 or HRESULT tables as a code.
fn by_name(name: &str) -> Option<Code> {
    let (value, table) = crate::explain::find_name(name)?;
    let space = match table {
        crate::explain::Table::Ntstatus => Space::NtStatus,
        crate::explain::Table::Win32 => Space::Win32,
        crate::explain::Table::Hresult => Space::HResult,
        _ => return None,
    };
    Some(Code { space, value })
}

/// Every code in `text`, in order of appearance (duplicates kept).
pub fn codes(text: &str) -> Vec<Code> {
    let mut found: Vec<(usize, Code)> = Vec::new();
    for c in KEYED.captures_iter(text) {
        let m = c.get(1).expect("group 1");
        if let Some(v) = hex(m.as_str()) {
            found.push((m.start(), code_of_value(v)));
        }
    }
    for c in BARE.captures_iter(text) {
        let m = c.get(0).expect("group 0");
        if !found.iter().any(|(at, _)| *at == m.start())
            && let Some(v) = hex(m.as_str())
        {
            found.push((m.start(), code_of_value(v)));
        }
    }
    for m in NAMED.find_iter(text) {
        if let Some(code) = by_name(m.as_str()) {
            found.push((m.start(), code));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    found.into_iter().map(|(_, c)| c).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(t: &str) -> Vec<u32> {
        codes(t).into_iter().map(|c| c.value).collect()
    }

    #[test]
    fn every_spelling_of_access_denied() {
        for (text, want) in [
            (
                "x. [HRESULT = 0x80070005 - E_ACCESSDENIED]",
                vec![0x8007_0005, 0x8007_0005],
            ),
            (
                "Failed. - CDISMManager::LoadRemoteImageSession(hr:0x80070005)",
                vec![0x8007_0005],
            ),
            ("failed. HRESULT=80070005", vec![0x8007_0005]),
            ("x (CBS HRESULT=0x80070005)", vec![0x8007_0005]),
            ("SetFirmwareEnvironmentVariableW() error = 0x5", vec![5]),
            (
                "FindFirstFile failed for [C:\\x]; GLE = 0x5[gle=0x00000005]",
                vec![5, 5],
            ),
            (
                "(F) STATUS_ACCESS_DENIED #1# from SysCreateFile",
                vec![0xC000_0022],
            ),
            ("status 0xc0000022 on x", vec![0xC000_0022]),
            ("GetReferenceCount hr: 0x0 - x", vec![0]),
            ("ERROR_WRITE_PROTECT and 0x80070013", vec![19, 0x8007_0013]),
        ] {
            assert_eq!(values(text), want, "{text}");
        }
    }

    #[test]
    fn spaces_and_non_codes() {
        let c = codes("error = 0x5");
        assert_eq!(c[0].space, Space::Win32);
        assert_eq!(codes("hr:0x80070005")[0].space, Space::HResult);
        assert_eq!(codes("0xc00000a2")[0].space, Space::NtStatus);
        for t in [
            "Scratch directory set to 'X:\\windows\\TEMP\\'",
            "version 10.0.17763.1",
            "pkt {l:8 b:31bf3856ad364e35}",
            "ERROR_NOT_A_REAL_NAME_AT_ALL",
        ] {
            assert!(codes(t).is_empty(), "{t}");
        }
    }
}
