//! Path normalisation: one spelling per target, whatever form the log used.
//!
//! `\??\C:\Windows\`, `C:/WINDOWS` and `c:\windows` are one target; so are
//! `\REGISTRY\MACHINE\Software`, `HKEY_LOCAL_MACHINE\Software` and `HKLM\SOFTWARE`.
//! [`normalize`] gives the display form (case kept, prefixes canonical); its
//! lower-case is the grouping key.

use serde::Serialize;

/// What a path names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PathKind {
    /// A file or directory (`C:\...`, `\\server\share\...`, `\Device\...`).
    File,
    /// A registry key or value (`HKLM\...`).
    Registry,
    /// Anything else (pipes, empty paths of process events, ...).
    Other,
}

/// Registry roots: long and kernel spellings to the short form Procmon uses.
const REGISTRY_ROOTS: &[(&str, &str)] = &[
    ("\\REGISTRY\\MACHINE", "HKLM"),
    ("\\REGISTRY\\USER", "HKU"),
    ("HKEY_LOCAL_MACHINE", "HKLM"),
    ("HKEY_CURRENT_USER", "HKCU"),
    ("HKEY_CLASSES_ROOT", "HKCR"),
    ("HKEY_USERS", "HKU"),
    ("HKEY_CURRENT_CONFIG", "HKCC"),
];

/// NT and Win32 namespace prefixes that only say "this is a DOS path".
const DOS_PREFIXES: &[&str] = &[
    "\\??\\",
    "\\\\?\\",
    "\\\\.\\",
    "\\DosDevices\\",
    "\\GLOBAL??\\",
];

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// Normalises a path for display; `normalize(p).to_lowercase()` is the grouping key.
pub fn normalize(raw: &str) -> String {
    // One pass can uncover what another would trim (`x \` loses its separator, then its
    // space): repeat to the fixed point, so that normalising is idempotent.
    let mut out = normalize_once(raw);
    for _ in 0..4 {
        let again = normalize_once(&out);
        if again == out {
            break;
        }
        out = again;
    }
    out
}

fn normalize_once(raw: &str) -> String {
    let mut s = raw.trim();
    // \\?\UNC\server\share -> \\server\share
    let mut unc = false;
    if let Some(rest) =
        strip_prefix_ci(s, "\\\\?\\UNC\\").or_else(|| strip_prefix_ci(s, "\\??\\UNC\\"))
    {
        s = rest;
        unc = true;
    } else {
        for p in DOS_PREFIXES {
            if let Some(rest) = strip_prefix_ci(s, p) {
                s = rest;
                break;
            }
        }
    }
    let mut out = String::with_capacity(s.len() + 2);
    if unc {
        out.push_str("\\\\");
    }
    let mut body = s;
    for (long, short) in REGISTRY_ROOTS {
        if let Some(rest) = strip_prefix_ci(s, long)
            && (rest.is_empty() || rest.starts_with('\\'))
        {
            out.push_str(short);
            body = rest;
            break;
        }
    }
    let drive =
        body.len() >= 3 && body.as_bytes()[0].is_ascii_alphabetic() && body.as_bytes()[1] == b':';
    let forward = drive && body.as_bytes()[2] == b'/';
    // Keep a leading `\\` (UNC) as it is; collapse doubled separators elsewhere.
    let (lead, rest) = if body.starts_with("\\\\") && out.is_empty() {
        body.split_at(2)
    } else {
        ("", body)
    };
    out.push_str(lead);
    let mut prev_sep = false;
    for c in rest.chars() {
        let c = if forward && c == '/' { '\\' } else { c };
        if c == '\\' {
            if prev_sep {
                continue;
            }
            prev_sep = true;
        } else {
            prev_sep = false;
        }
        out.push(c);
    }
    // Drop trailing separators, but keep a drive root (`C:\`).
    while out.ends_with('\\') && !(out.len() == 3 && out.as_bytes()[1] == b':') && out.len() > 1 {
        out.pop();
    }
    if drive && out.as_bytes()[0].is_ascii_lowercase() {
        out[..1].make_ascii_uppercase();
    }
    out
}

/// The grouping key of a normalised path (case-insensitive, as Windows compares).
pub fn key(normalized: &str) -> String {
    normalized.to_lowercase()
}

/// What kind of target a normalised path names.
pub fn kind(normalized: &str) -> PathKind {
    let b = normalized.as_bytes();
    if normalized.len() >= 3 && strip_prefix_ci(normalized, "HK").is_some() {
        let root = normalized.split('\\').next().unwrap_or("");
        if matches!(
            root.to_ascii_uppercase().as_str(),
            "HKLM" | "HKCU" | "HKCR" | "HKU" | "HKCC"
        ) {
            return PathKind::Registry;
        }
    }
    if (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
        || normalized.starts_with("\\\\")
        || strip_prefix_ci(normalized, "\\Device\\").is_some()
        || strip_prefix_ci(normalized, "\\SystemRoot").is_some()
    {
        return PathKind::File;
    }
    PathKind::Other
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalising_is_idempotent_when_a_pass_uncovers_more() {
        for raw in ["® \\", "x \\\\ ", "\\\\?\\ C:\\a\\ "] {
            let once = normalize(raw);
            assert_eq!(normalize(&once), once, "{raw:?}");
        }
        assert_eq!(normalize("® \\"), "®");
    }

    #[test]
    fn one_target_many_spellings() {
        let same = [
            "\\??\\C:\\Windows\\Logs\\",
            "C:/Windows/Logs",
            "c:\\windows\\logs",
            "\\\\?\\C:\\Windows\\\\Logs",
        ];
        let keys: Vec<String> = same.iter().map(|p| key(&normalize(p))).collect();
        assert!(keys.iter().all(|k| k == "c:\\windows\\logs"), "{keys:?}");
    }

    #[test]
    fn registry_roots() {
        assert_eq!(
            normalize("\\REGISTRY\\MACHINE\\Software\\X"),
            "HKLM\\Software\\X"
        );
        assert_eq!(
            normalize("\\Registry\\User\\S-1-5-19\\Y\\"),
            "HKU\\S-1-5-19\\Y"
        );
        assert_eq!(normalize("HKEY_CURRENT_USER\\Software"), "HKCU\\Software");
        assert_eq!(normalize("HKLM"), "HKLM");
        // A prefix that is only the start of a longer name is left alone.
        assert_eq!(normalize("HKEY_USERSX\\a"), "HKEY_USERSX\\a");
        assert_eq!(kind("HKCU\\Software"), PathKind::Registry);
        // Registry names may hold '/', which is not a separator there.
        assert_eq!(
            normalize("HKCR\\MIME\\Database\\Content Type\\text/html"),
            "HKCR\\MIME\\Database\\Content Type\\text/html"
        );
    }

    #[test]
    fn unc_and_roots() {
        assert_eq!(normalize("\\\\?\\UNC\\srv\\share\\a"), "\\\\srv\\share\\a");
        assert_eq!(normalize("\\\\srv\\share\\"), "\\\\srv\\share");
        assert_eq!(normalize("C:\\"), "C:\\");
        assert_eq!(kind("\\\\srv\\share"), PathKind::File);
        assert_eq!(kind("C:\\"), PathKind::File);
        assert_eq!(kind(""), PathKind::Other);
        assert_eq!(kind("\\Device\\HarddiskVolume3\\x"), PathKind::File);
    }
}
