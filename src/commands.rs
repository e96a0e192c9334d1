//! Commands printed in advice, built so that each runs as printed in PowerShell:
//! registry ACLs through `Get-Acl -LiteralPath 'Registry::HKEY_...'` on the *key* (a
//! value has no ACL of its own), file ACLs through `icacls` on the file and its
//! folder, every path single-quoted with `'` doubled. A path that cannot be quoted
//! safely (control characters, a device path no shell tool opens) gets no command.

use crate::pathnorm::PathKind;

/// Registry roots as Procmon abbreviates them, and the provider names PowerShell needs.
const ROOTS: &[(&str, &str)] = &[
    ("HKLM", "HKEY_LOCAL_MACHINE"),
    ("HKCU", "HKEY_CURRENT_USER"),
    ("HKCR", "HKEY_CLASSES_ROOT"),
    ("HKU", "HKEY_USERS"),
    ("HKCC", "HKEY_CURRENT_CONFIG"),
];

/// Operations that address a registry value rather than a key.
pub const VALUE_OPERATIONS: &[&str] = &[
    "RegSetValue",
    "RegQueryValue",
    "RegDeleteValue",
    "RegQueryMultipleValueKey",
];

/// A PowerShell single-quoted string literal.
pub fn ps_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn shell_safe(path: &str) -> bool {
    !path.is_empty() && !path.chars().any(char::is_control)
}

/// The key that holds a registry path's ACL: the path itself, or its parent when the
/// path names a value (`...\Default\MRU0`, `HKCR\.exe\(Default)`).
pub fn registry_acl_key(path: &str, is_value: bool) -> &str {
    let is_value = is_value || path.ends_with("\\(Default)");
    match path.rfind('\\') {
        Some(i) if is_value => &path[..i],
        _ => path,
    }
}

/// `HKCU\Software\X` to `Registry::HKEY_CURRENT_USER\Software\X`.
pub fn provider_path(key: &str) -> Option<String> {
    let (root, rest) = key.split_once('\\').unwrap_or((key, ""));
    let long = ROOTS
        .iter()
        .find(|(short, _)| short.eq_ignore_ascii_case(root))
        .map(|&(_, long)| long)?;
    Some(if rest.is_empty() {
        format!("Registry::{long}")
    } else {
        format!("Registry::{long}\\{rest}")
    })
}

/// The folder of a file path (`C:\a\b.txt` -> `C:\a`), if it has one below the root.
fn folder(path: &str) -> Option<&str> {
    let i = path.rfind('\\')?;
    let f = &path[..i];
    if f.len() == 2 && f.ends_with(':') {
        Some(&path[..=i]) // `C:\`
    } else if f.is_empty() || f == "\\" {
        None
    } else {
        Some(f)
    }
}

/// Whether a file path is one shell tools open: a drive path or a UNC path.
fn addressable_file(path: &str) -> bool {
    let b = path.as_bytes();
    (b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'\\')
        || (path.starts_with("\\\\")
            && !path.starts_with("\\\\?\\")
            && !path.starts_with("\\\\.\\"))
}

/// The commands that show the ACL governing `path`, or `None` when no command can
/// address it safely.
pub fn acl(path: &str, kind: PathKind, is_value: bool) -> Option<Vec<String>> {
    if !shell_safe(path) {
        return None;
    }
    match kind {
        PathKind::Registry => {
            let key = provider_path(registry_acl_key(path, is_value))?;
            Some(vec![format!(
                "Get-Acl -LiteralPath {} | Format-List",
                ps_quote(&key)
            )])
        }
        PathKind::File if addressable_file(path) => {
            let mut out = vec![format!("icacls {}", ps_quote(path))];
            if let Some(dir) = folder(path) {
                out.push(format!("icacls {}", ps_quote(dir)));
            }
            Some(out)
        }
        _ => None,
    }
}

/// The drive letter of a path (`C` for `C:\...`), or `None`.
pub fn drive_letter(path: &str) -> Option<char> {
    let b = path.as_bytes();
    (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
        .then(|| (b[0] as char).to_ascii_uppercase())
}

/// The back-quoted spans of an advice text: the commands it prints.
pub fn quoted(text: &str) -> Vec<String> {
    text.split('`')
        .enumerate()
        .filter(|(i, s)| i % 2 == 1 && !s.is_empty())
        .map(|(_, s)| s.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_values_take_their_keys_acl() {
        let c = acl(
            "HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0",
            PathKind::Registry,
            true,
        )
        .unwrap();
        assert_eq!(
            c,
            vec![
                "Get-Acl -LiteralPath 'Registry::HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Default' | Format-List"
            ]
        );
        let d = acl("HKCR\\.exe\\(Default)", PathKind::Registry, false).unwrap();
        assert_eq!(
            d,
            vec!["Get-Acl -LiteralPath 'Registry::HKEY_CLASSES_ROOT\\.exe' | Format-List"]
        );
        // A key keeps its own path; wildcards stay literal.
        let k = acl("HKCR\\*\\shellex", PathKind::Registry, false).unwrap();
        assert!(k[0].contains("-LiteralPath 'Registry::HKEY_CLASSES_ROOT\\*\\shellex'"));
    }

    #[test]
    fn files_get_icacls_on_the_file_and_its_folder_single_quoted() {
        let c = acl("C:\\Users\\o'brien\\Default.rdp", PathKind::File, false).unwrap();
        assert_eq!(
            c,
            vec![
                "icacls 'C:\\Users\\o''brien\\Default.rdp'",
                "icacls 'C:\\Users\\o''brien'"
            ]
        );
        assert_eq!(
            acl("C:\\x.txt", PathKind::File, false).unwrap()[1],
            "icacls 'C:\\'"
        );
    }

    #[test]
    fn unsafe_or_unaddressable_paths_get_no_command() {
        assert!(acl("C:\\a\u{1b}[31m", PathKind::File, false).is_none());
        assert!(acl("\\Device\\HarddiskVolume3\\x", PathKind::File, false).is_none());
        assert!(acl("HKXX\\a", PathKind::Registry, false).is_none());
    }

    #[test]
    fn quoted_spans_are_the_commands() {
        assert_eq!(quoted("run `a b` then `c`."), vec!["a b", "c"]);
        assert_eq!(drive_letter("d:\\x"), Some('D'));
    }
}
