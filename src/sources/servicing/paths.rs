//! The path a servicing record names, in each form real logs use
//! (`../shared/design/text-formats.md` §3.3-§3.5): `on:[N]"\??\C:\…"` (CSI object
//! attributes), `{GUID}F:/Windows/System32/config/SOFTWARE` (offline hive loads),
//! `[l:N]'name'` (length-prefixed), `\\?\`, `\??\`, `\SystemRoot\`, drive paths with `\`
//! or `/`, `HKEY_…`, `\Registry\Machine\…`; quoted, bracketed or bare. The result is
//! spelt as Procmon spells paths, so that one file merges across sources.

/// Starts of a bare path, tried at every position (case-insensitive for the words).
const STARTS: &[&str] = &[
    "\\\\?\\",
    "\\??\\",
    "\\SystemRoot\\",
    "HKEY_",
    "\\Registry\\",
];

/// Where the first bare path of `text` starts, if it has one.
pub fn first_path_start(text: &str) -> Option<usize> {
    let mut i = 0;
    while i < text.len() {
        if start_at(text, i).is_some() {
            return Some(i);
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    None
}

/// Where the first path of `text` is, and the path, normalised.
pub fn first_path(text: &str) -> Option<String> {
    if let Some(p) = object_name(text) {
        return Some(p);
    }
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if let Some(len) = start_at(text, i) {
            let _ = len;
            let (raw, end) = take(text, i);
            let mut path = normalise(raw);
            // A WinSxS directory then a length-prefixed leaf: `…\\[l:9]'ntdll.dll'`.
            if let Some(leaf) = text[end..]
                .strip_prefix('[')
                .and_then(|_| quoted_leaf(&text[end..]))
            {
                path = format!("{}\\{leaf}", path.trim_end_matches('\\'));
            }
            if path.len() > 3 {
                return Some(path);
            }
        }
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    // Only a length-prefixed name (`[l:93]'FileExp\…\DisplaySettings.svg'`).
    text.find("[l:").and_then(|at| quoted_leaf(&text[at..]))
}

/// `on:[N]"…"` inside a CSI `OBJECT_ATTRIBUTES`.
fn object_name(text: &str) -> Option<String> {
    let at = text.find("on:[")?;
    let rest = &text[at + 4..];
    let close = rest.find(']')?;
    let rest = &rest[close + 1..];
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let end = rest[1..].find(q)?;
    Some(normalise(&rest[1..1 + end]))
}

/// `[l:N]'name'` or `[l:N{M}]"name"` at the start of `s`.
fn quoted_leaf(s: &str) -> Option<String> {
    let s = s.strip_prefix("[l:")?;
    let close = s.find(']')?;
    let rest = &s[close + 1..];
    let q = rest.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let end = rest[1..].find(q)?;
    Some(normalise(&rest[1..1 + end]))
}

/// The length of a path start at byte `i`, if one starts there.
fn start_at(text: &str, i: usize) -> Option<usize> {
    let rest = &text[i..];
    let rb = rest.as_bytes();
    // A path starts a token: not in the middle of a word or of another path.
    let before = text[..i].chars().next_back();
    if before.is_some_and(|c| c.is_alphanumeric() || c == '\\' || c == '/') {
        return None;
    }
    // `{GUID}F:/…`: the GUID is skipped by `take`.
    if rb.first() == Some(&b'{') && rb.len() > 40 && rb.get(37) == Some(&b'}') && drive(&rb[38..]) {
        return Some(38);
    }
    if drive(rb) {
        return Some(3);
    }
    STARTS
        .iter()
        .find(|s| {
            rest.len() >= s.len()
                && rest.is_char_boundary(s.len())
                && rest[..s.len()].eq_ignore_ascii_case(s)
        })
        .map(|s| s.len())
}

/// `C:\` or `C:/` followed by something.
fn drive(b: &[u8]) -> bool {
    b.len() > 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && (b[2] == b'\\' || b[2] == b'/')
}

/// The raw path starting at `i` (quote- or bracket-delimited when it is preceded by
/// one), and the byte offset where it ends.
fn take(text: &str, i: usize) -> (&str, usize) {
    let mut start = i;
    if text.as_bytes()[i] == b'{'
        && let Some(close) = text[i..].find('}')
    {
        start = i + close + 1;
    }
    let opener = text[..i].chars().next_back();
    let rest = &text[start..];
    let end = match opener {
        Some('\'') => rest.find('\''),
        Some('"') => rest.find('"'),
        Some('[') => rest.find(']'),
        Some('(') => rest.find(')'),
        Some('<') => rest.find('>'),
        _ => None,
    }
    .unwrap_or_else(|| bare_end(rest));
    (&rest[..end], start + end)
}

/// Where a bare path ends: at a quote, a bracket, `,`, `;`, `|`, a tab or the end of
/// the line; at a space unless another path component follows the next word
/// (`Program Files\…` goes on, `mstsc.exe for write` stops).
fn bare_end(rest: &str) -> usize {
    let b = rest.as_bytes();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'\'' | b'"' | b']' | b'[' | b';' | b'|' | b'\r' | b'\n' | b'\t' | b'>' | b',' => {
                return i;
            }
            b' ' => {
                let word = &b[i + 1..];
                let next_sep = word.iter().position(|&c| c == b'\\' || c == b'/');
                let next_stop = word.iter().position(|&c| {
                    matches!(
                        c,
                        b' ' | b'\'' | b'"' | b'[' | b']' | b',' | b';' | b'(' | b'|'
                    )
                });
                match (next_sep, next_stop) {
                    (Some(sep), Some(stop)) if sep < stop => {}
                    (Some(_), None) => {}
                    _ => return i,
                }
            }
            _ => {}
        }
    }
    b.len()
}

/// As Procmon spells it: `\` separators, no doubled `\` inside, `\SystemRoot\` as
/// `C:\Windows\`, no trailing `.` or `,`.
pub fn normalise(raw: &str) -> String {
    let mut p = raw.trim().trim_end_matches(['.', ',', ':']).to_string();
    if p.as_bytes().get(1) == Some(&b':') {
        p = p.replace('/', "\\");
    }
    let (head, body) = if let Some(rest) = p.strip_prefix("\\\\") {
        ("\\\\", rest.to_string())
    } else {
        ("", p.clone())
    };
    let mut body = body;
    while body.contains("\\\\") {
        body = body.replace("\\\\", "\\");
    }
    let mut p = format!("{head}{body}");
    if p.get(..12)
        .is_some_and(|h| h.eq_ignore_ascii_case("\\SystemRoot\\"))
    {
        p = format!("C:\\Windows\\{}", &p[12..]);
    }
    p
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_real_logs_use() {
        for (text, want) in [
            (
                "Failed to unload offline registry: {bf1a281b-ad7b-4476-ac95-f47682990ce7}F:/Windows/System32/config/SOFTWARE, the client may still need it open. [HRESULT = 0x80070005 - E_ACCESSDENIED]",
                "F:\\Windows\\System32\\config\\SOFTWARE",
            ),
            (
                "(F) STATUS_ACCESS_DENIED #1# from SysCreateFile(flags = (x), oa = @0xa1->OBJECT_ATTRIBUTES {s:48; rd:NULL; on:[69]\"\\??\\C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\System Tools\"; a:(OBJ_CASE_INSENSITIVE)}",
                "\\??\\C:\\ProgramData\\Microsoft\\Windows\\Start Menu\\Programs\\System Tools",
            ),
            (
                "EnumeratePathEx: FindFirstFile failed for [C:\\$Windows.~BT\\*]; GLE = 0x3[gle=0x00000003]",
                "C:\\$Windows.~BT\\*",
            ),
            (
                "CreateFileW failed, FileName:\\\\?\\C:\\Windows\\SoftwareDistribution\\Download\\b186\\$dpx$.tmp\\job.xml, Error:0x80070002",
                "\\\\?\\C:\\Windows\\SoftwareDistribution\\Download\\b186\\$dpx$.tmp\\job.xml",
            ),
            (
                "[SR] Repaired file \\SystemRoot\\WinSxS\\amd64_microsoft-windows-ntdll_31bf3856ad364e35_10.0.19041.2788_none_cd687715b185f10b\\\\[l:9]'ntdll.dll' by copying from backup",
                "C:\\Windows\\WinSxS\\amd64_microsoft-windows-ntdll_31bf3856ad364e35_10.0.19041.2788_none_cd687715b185f10b\\ntdll.dll",
            ),
            (
                "[SR] Could not reproject corrupted file \\??\\C:\\WINDOWS\\SystemApps\\x\\\\DisplaySettings.svg; source file in store is also corrupted",
                "\\??\\C:\\WINDOWS\\SystemApps\\x\\DisplaySettings.svg",
            ),
            (
                "Scratch directory set to 'X:\\windows\\TEMP\\'. - CDISMManager::put_ScratchDir",
                "X:\\windows\\TEMP\\",
            ),
            (
                "x d:\\test\\PE\\mountdir\\Windows\\System32\\kdnet_uart16550.dll (HRESULT=0x80070032) - CWimManager::WimProviderMsgLogCallback",
                "d:\\test\\PE\\mountdir\\Windows\\System32\\kdnet_uart16550.dll",
            ),
            (
                "Failed to open C:\\Program Files\\Remote Desktop\\mstsc.exe for write [HRESULT = 0x80070005]",
                "C:\\Program Files\\Remote Desktop\\mstsc.exe",
            ),
            (
                "Hashes for file member [l:93]'FileExp\\FileExplorerExtensions\\DisplaySettings.svg' do not match.",
                "FileExp\\FileExplorerExtensions\\DisplaySettings.svg",
            ),
            (
                "RegSetValue on HKEY_LOCAL_MACHINE\\SOFTWARE\\X, failed",
                "HKEY_LOCAL_MACHINE\\SOFTWARE\\X",
            ),
        ] {
            assert_eq!(first_path(text).as_deref(), Some(want), "{text}");
        }
    }

    #[test]
    fn multibyte_text_never_splits_a_character() {
        // Found by the property test: a quoted name of multi-byte characters.
        let _ = first_path("on:[3]'[®\"\"on:[3]🌀'0x80070005 ");
        assert_eq!(normalise("®®®®®®®®®®®®"), "®®®®®®®®®®®®");
    }

    #[test]
    fn no_path_no_guess() {
        for t in [
            "SetFirmwareEnvironmentVariableW() error = 0x5",
            "version 10.0.17763.1 - x",
            "PID=1804 TID=1796 Failed to get the PE Provider.",
            "a:b",
        ] {
            assert_eq!(first_path(t), None, "{t}");
        }
    }
}
