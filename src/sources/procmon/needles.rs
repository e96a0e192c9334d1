//! What the recovery pass searches for: the distinctive end of each open key's path
//! (its needle, [`tail`]) in any ASCII case and with either separator, and what must
//! come right before it (its extension, [`Key::extension`]): a needle match without
//! is another path with the same end, rejected before its line is read
//! ([`ends_with_path`]).

use std::ops::Range;

use super::recovery::Key;
use crate::sources::io::prefilter::{Prefilter, fold_byte};

/// Most keys searched for by their needles (one automaton); past it, every SUCCESS
/// line is a candidate.
const MAX_NEEDLES: usize = 16_384;

/// The distinctive end of a path key to search lines by: its last component with the
/// separator before it, plus more components while that is shorter than
/// `MIN_NEEDLE` (6 bytes). A needle holds only bytes every spelling of the key shares up to
/// ASCII case (ASCII other than a quote): where the end holds others (a quote, escaped `""` in the
/// file; a non-ASCII letter, which the file may spell in another case: `Ü` for the
/// key's `ü`), the needle is the longest run of shared bytes in it, or, shorter than
/// 3, in the whole key. `None` only for a key without 3 such bytes in a row: it stays
/// unrecovered. Either separator matches ([`fold_byte`]); a doubled separator inside
/// a needle (which [`crate::pathnorm`] collapses) is not looked for: Procmon writes
/// none, and a needle spans a separator only when the last component is short.
pub fn tail(key: &str) -> Option<&str> {
    tail_range(key).map(|r| &key[r])
}

/// Where [`tail`]'s needle lies in `key`.
pub(super) fn tail_range(key: &str) -> Option<Range<usize>> {
    // Not in a root other spellings write otherwise, unless the key is all root.
    let floor = Some(root_end(key)).filter(|&f| f < key.len()).unwrap_or(0);
    let mut start = key.len();
    while let Some(i) = key[floor..start].rfind(['\\', '/']) {
        start = floor + i;
        if key.len() - start >= MIN_NEEDLE {
            break;
        }
    }
    if key.len() - start < MIN_NEEDLE {
        start = floor;
    }
    let mut needle = longest_shared_run(key, start);
    if needle.len() < 3 {
        needle = longest_shared_run(key, floor);
    }
    // The end of a long run is as distinctive as all of it, and a short needle keeps
    // the automaton and the search windows small (a 4 MB path stays cheap). Shared
    // bytes are ASCII: any cut is a character boundary.
    needle.start = needle.start.max(needle.end.saturating_sub(MAX_NEEDLE));
    // Past a root, a short needle is still the only right one (`hklm\\ab`: `\\ab`).
    (needle.len() >= 3 || (floor > 0 && !needle.is_empty())).then_some(needle)
}

/// Where the part of `key` that every spelling writes alike may start: after its
/// first component (`hklm`, written `HKEY_LOCAL_MACHINE` or `\\REGISTRY\\MACHINE`
/// too; a UNC server, written `\\?\\UNC\\server`), except for a drive (`c:`, which
/// only gains prefixes before it).
fn root_end(key: &str) -> usize {
    let b = key.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        return 0;
    }
    let lead = b.iter().take_while(|&&c| c == b'\\' || c == b'/').count();
    b[lead..]
        .iter()
        .position(|&c| c == b'\\' || c == b'/')
        .map_or(b.len(), |i| lead + i)
}

/// Whether a key's byte is spelt the same, up to ASCII case, in every line whose path
/// has that key: ASCII other than a quote.
fn shared(b: u8) -> bool {
    b.is_ascii() && b != b'"'
}

/// The longest run of [`shared`] bytes of `s` from `from` on (the last of equally
/// long ones: the end of a path is its most distinctive part).
fn longest_shared_run(s: &str, from: usize) -> Range<usize> {
    let b = s.as_bytes();
    let (mut best, mut run_start) = (from..from, from);
    for i in from..=b.len() {
        if i < b.len() && shared(b[i]) {
            continue;
        }
        if i - run_start >= best.len() {
            best = run_start..i;
        }
        run_start = i + 1;
    }
    best
}

/// Where the extension of the needle `tail` of `key` starts: the shared bytes before
/// the needle, not in a root other spellings write otherwise ([`root_end`]), at most
/// [`MAX_EXTENDED`] bytes with the needle.
pub(super) fn extension_start(key: &str, tail: &Range<usize>) -> usize {
    let b = key.as_bytes();
    let floor = root_end(key).max(tail.end.saturating_sub(MAX_EXTENDED));
    let mut start = tail.start;
    while start > floor && shared(b[start - 1]) {
        start -= 1;
    }
    start
}

/// Whether `text[..at]` ends with the path text `ext`, up to [`fold_byte`] (ASCII
/// case, `/` as `\\`) and with a run of separators as one (what [`crate::pathnorm`]
/// collapses); `after_sep`: what follows `at` starts with a separator (a run of them
/// may then end `text[..at]`).
pub fn ends_with_path(text: &[u8], at: usize, ext: &[u8], after_sep: bool) -> bool {
    let sep = |b: u8| fold_byte(b) == b'\\';
    let mut i = at.min(text.len());
    if after_sep {
        while i > 0 && sep(text[i - 1]) {
            i -= 1;
        }
    }
    let mut j = ext.len();
    while j > 0 {
        if i == 0 {
            return false;
        }
        if sep(ext[j - 1]) {
            if !sep(text[i - 1]) {
                return false;
            }
            while i > 0 && sep(text[i - 1]) {
                i -= 1;
            }
            while j > 0 && sep(ext[j - 1]) {
                j -= 1;
            }
        } else if fold_byte(text[i - 1]) == fold_byte(ext[j - 1]) {
            i -= 1;
            j -= 1;
        } else {
            return false;
        }
    }
    true
}

/// Longest search needle.
const MAX_NEEDLE: usize = 48;

/// Longest needle with its extension (what a rejected match may compare).
const MAX_EXTENDED: usize = 256;

/// Shortest search needle (shorter ones would hit on most lines).
const MIN_NEEDLE: usize = 6;

/// What the recovery pass searches a block for: the needles of a set of keys, each
/// with the extensions its keys have (a match is kept only where one of them comes
/// before it), or, past [`MAX_NEEDLES`] keys (an automaton would cost more memory
/// than the paths themselves), every SUCCESS line.
pub(super) struct Needles<'k> {
    pre: Prefilter,
    /// Per literal of `pre`, the extensions of its keys, each once; `None`: a key
    /// without one (every match is kept).
    exts: Vec<Option<Vec<&'k str>>>,
    /// Per literal, the end of the literals that start with it (they follow it in
    /// sorted order). A searcher reports one literal per position, the first one
    /// (the shortest); when its extensions reject the match, the longer ones at the
    /// same position are tested too.
    longer: Vec<usize>,
}

impl<'k> Needles<'k> {
    pub(super) fn new(keys: &[Key<'k>], want: &[usize]) -> Self {
        if want.len() > MAX_NEEDLES {
            return Needles {
                pre: Prefilter::new(&["SUCCESS"]),
                exts: vec![None],
                longer: vec![1],
            };
        }
        let pats: Vec<&str> = want.iter().filter_map(|&i| keys[i].needle()).collect();
        let pre = Prefilter::paths(&pats);
        let mut exts: Vec<Option<Vec<&'k str>>> = vec![Some(Vec::new()); pre.literals().len()];
        for &i in want {
            let Some(needle) = keys[i].needle() else {
                continue;
            };
            let folded: Vec<u8> = needle.bytes().map(fold_byte).collect();
            let Ok(lit) = pre.literals().binary_search(&folded) else {
                continue;
            };
            let ext = keys[i].extension();
            match &mut exts[lit] {
                Some(list) if !ext.is_empty() => list.push(ext),
                slot => *slot = None,
            }
        }
        for list in exts.iter_mut().flatten() {
            list.sort_unstable();
            list.dedup();
        }
        let lits = pre.literals();
        let longer = (0..lits.len())
            .map(|i| i + 1 + lits[i + 1..].partition_point(|l| l.starts_with(&lits[i])))
            .collect();
        Needles { pre, exts, longer }
    }

    /// The lines of `block` with a needle preceded by one of its extensions.
    pub(super) fn lines(&self, block: &[u8], out: &mut Vec<(usize, usize)>) {
        let lits = self.pre.literals();
        let here = |lit: usize, at: usize| {
            let l = &lits[lit];
            block.len() - at >= l.len()
                && block[at..at + l.len()]
                    .iter()
                    .zip(l)
                    .all(|(&b, &c)| fold_byte(b) == c)
        };
        let kept = |lit: usize, at: usize| {
            self.exts[lit].as_ref().is_none_or(|list| {
                let after_sep = lits[lit][0] == b'\\';
                list.iter()
                    .any(|e| ends_with_path(block, at, e.as_bytes(), after_sep))
            })
        };
        self.pre.lines_where(block, out, |lit, at| {
            kept(lit, at) || (lit + 1..self.longer[lit]).any(|k| here(k, at) && kept(k, at))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn needles_are_the_distinctive_end_of_the_path() {
        assert_eq!(tail("c:\\users\\a\\default.rdp"), Some("\\default.rdp"));
        assert_eq!(
            tail("hkcu\\software\\x\\default\\mru0"),
            Some("\\default\\mru0")
        );
        assert_eq!(tail("c:\\ab"), Some("c:\\ab"));
        // Not in a root other spellings write otherwise, however short what is left.
        assert_eq!(tail("hklm\\ab"), Some("\\ab"));
        assert_eq!(tail("hklm\\a"), Some("\\a"));
        assert_eq!(tail("\\\\srv\\x"), Some("\\x"));
        assert_eq!(tail("hklm"), Some("hklm"));
        assert_eq!(tail("ab"), None);
        assert_eq!(tail("c:\\a\"b\\file.txt"), Some("\\file.txt"));
        // A quote or a non-ASCII letter is not searched for: the longest run without.
        assert_eq!(tail("c:\\a\"b.txt"), Some("b.txt"));
        assert_eq!(
            tail("c:\\users\\jürgen\\übersicht.rdp"),
            Some("bersicht.rdp")
        );
        assert_eq!(tail("c:\\документы\\отчёт.docx"), Some(".docx"));
        assert_eq!(tail("c:\\документы\\отчёт"), Some("c:\\"));
        assert_eq!(tail("\"ü\""), None);
        let long = format!("c:\\{}", "a".repeat(1000));
        assert_eq!(tail(&long).map(|t| t.len()), Some(MAX_NEEDLE));
    }

    /// The extension of `key`'s needle.
    fn ext(key: &str) -> &str {
        let r = tail_range(key).unwrap();
        &key[extension_start(key, &r)..r.start]
    }

    #[test]
    fn extensions_run_back_to_the_root_over_shared_bytes() {
        assert_eq!(
            ext("c:\\windows\\winsxs\\x_1\\mstsc.exe"),
            "c:\\windows\\winsxs\\x_1"
        );
        // Not a root other spellings write otherwise (a drive gains prefixes only).
        assert_eq!(ext("hklm\\software\\a\\currentstate"), "\\software\\a");
        assert_eq!(ext("\\\\server\\share\\f.txt"), "\\share");
        // Nothing when the needle starts in the root or after a byte not shared.
        assert_eq!(ext("c:\\ab"), "");
        assert_eq!(ext("c:\\users\\jürgen\\übersicht.rdp"), "");
        assert_eq!(ext("c:\\a\"b\\file.txt"), "b");
        // At most MAX_EXTENDED bytes with the needle.
        let deep = format!("c:{}\\file.txt", "\\dir".repeat(200));
        let r = tail_range(&deep).unwrap();
        assert_eq!(r.end - extension_start(&deep, &r), MAX_EXTENDED);
    }

    #[test]
    fn ends_with_path_folds_case_and_separator_runs() {
        let ok = |text: &str, ext: &str, after_sep: bool| {
            ends_with_path(text.as_bytes(), text.len(), ext.as_bytes(), after_sep)
        };
        assert!(ok("\"C:\\WinSxS\\X_1", "\\winsxs\\x_1", false));
        assert!(ok("\"C:/WinSxS//X_1", "\\winsxs\\x_1", false));
        assert!(ok("\"C:\\WinSxS\\\\X_1\\", "\\winsxs\\x_1", true));
        assert!(ok(
            "HKEY_LOCAL_MACHINE\\Software\\A",
            "\\software\\a",
            false
        ));
        assert!(!ok("\"C:\\Windows\\System32", "\\winsxs\\x_1", false));
        assert!(
            !ok("\"C:\\WinSxS\\X_1\\", "\\winsxs\\x_1", false),
            "a separator"
        );
        assert!(!ok("x_1", "\\winsxs\\x_1", false), "the text ends first");
        assert!(!ok("\\winsxs\nx_1", "\\winsxs\\x_1", false), "another line");
        assert!(ok("anything", "", false));
        // A key's own separator run (a registry value name with `//`) is one too.
        assert!(ok("HKCU\\A\\b/c", "\\a\\b//c", false));
    }

    fn keys_of(paths: &[&'static str]) -> Vec<Key<'static>> {
        let text = |s: &str| &*Box::leak(Box::new(crate::intern::Text::from(s)));
        let access = crate::intent::access("CreateFile", "Desired Access: Generic Write");
        paths
            .iter()
            .map(|p| Key::new(p, text("p.exe"), text("CreateFile"), access, 0))
            .collect()
    }

    /// The lines of `block` the needles of `paths` keep.
    fn kept(paths: &[&'static str], block: &str) -> Vec<String> {
        let keys = keys_of(paths);
        let want: Vec<usize> = (0..keys.len()).collect();
        let needles = Needles::new(&keys, &want);
        let mut out = Vec::new();
        needles.lines(block.as_bytes(), &mut out);
        out.iter().map(|&(s, e)| block[s..e].to_string()).collect()
    }

    #[test]
    fn a_needle_is_kept_only_after_its_extension() {
        let key = "c:\\windows\\winsxs\\x_1\\mstsc.exe";
        let block = "\"C:\\Windows\\System32\\mstsc.exe\",\"SUCCESS\"\n\
                     \"C:\\WINDOWS\\WinSxS\\x_1\\MSTSC.EXE\",\"SUCCESS\"\n\
                     \"\\??\\C:/Windows/WinSxS//x_1/mstsc.exe\",\"SUCCESS\"\n\
                     \"HKLM\\Image File Execution Options\\mstsc.exe\",\"SUCCESS\"\n";
        let got = kept(&[key], block);
        assert_eq!(got.len(), 2, "{got:?}");
        assert!(got.iter().all(|l| l.to_lowercase().contains("winsxs")));
    }

    #[test]
    fn a_longer_needle_at_the_same_place_is_tested_too() {
        // `\\mstsc.exe` is reported first at the start of `\\mstsc.exe.mui`; its
        // extension rejects the match, and the longer needle's must be tried.
        let keys = [
            "c:\\windows\\winsxs\\x_1\\mstsc.exe",
            "c:\\windows\\system32\\en-us\\mstsc.exe.mui",
        ];
        let block = "\"C:\\Windows\\System32\\en-US\\mstsc.exe.mui\",\"SUCCESS\"\n";
        assert_eq!(kept(&keys, block).len(), 1);
        // The same with enough needles for a packed searcher and an automaton.
        let many: Vec<&'static str> = keys
            .iter()
            .copied()
            .chain((0..200).map(|i| &*Box::leak(format!("c:\\d\\f{i:03}.bin").into_boxed_str())))
            .collect();
        assert_eq!(kept(&many[..40], block).len(), 1);
        assert_eq!(kept(&many, block).len(), 1);
    }

    /// A path respelled as logs do: `(root, components)`, then per byte a case flip,
    /// a forward slash (drive paths) or a doubled separator before the needle, and a
    /// long or NT form of the root.
    fn respell(root: usize, comps: &[String], flips: &[bool], seps: &[u8]) -> (String, String) {
        let roots = [
            ("C:", "\\??\\c:"),
            ("HKLM", "HKEY_LOCAL_MACHINE"),
            ("HKCU", "\\REGISTRY\\USER\\x"),
        ];
        let (plain, other) = roots[root];
        let original = format!("{plain}\\{}", comps.join("\\"));
        let key = crate::pathnorm::key(&crate::pathnorm::normalize(&original));
        let Some(needle) = tail_range(&key) else {
            return (key, original);
        };
        let mut out = String::from(if seps.first().is_some_and(|s| s % 2 == 0) {
            other
        } else {
            plain
        });
        let body = &original[plain.len()..];
        for (i, c) in body.chars().enumerate() {
            let c = if flips.get(i).copied().unwrap_or(false) {
                c.to_ascii_uppercase()
            } else {
                c
            };
            // Separators before the needle may be doubled or (drive paths) forward.
            if c == '\\' && plain.len() + i < needle.start {
                match seps.get(i).map_or(0, |s| s % 4) {
                    1 => out.push_str("\\\\"),
                    2 if root == 0 => out.push('/'),
                    _ => out.push('\\'),
                }
            } else {
                out.push(c);
            }
        }
        (key, out)
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]
        /// Every spelling of a key that normalises to it is kept: the needle and its
        /// extension never reject a line the rule would read.
        #[test]
        fn every_spelling_of_a_key_is_kept(
            root in 0usize..3,
            comps in proptest::collection::vec("[a-zA-Z0-9._~ -]{1,12}", 1..7),
            flips in proptest::collection::vec(any::<bool>(), 120),
            seps in proptest::collection::vec(any::<u8>(), 120),
        ) {
            let (key, spelt) = respell(root, &comps, &flips, &seps);
            let again = crate::pathnorm::key(&crate::pathnorm::normalize(&spelt));
            prop_assume!(again == key);
            prop_assume!(tail(&key).is_some());
            // A key that is all root (`hklm`) is searched as it is: other spellings
            // of the root alone are not looked for.
            prop_assume!(root_end(&key) < key.len());
            let key: &'static str = Box::leak(key.into_boxed_str());
            let line = format!("\"1\",\"{spelt}\",\"SUCCESS\"\n");
            prop_assert_eq!(kept(&[key], &line).len(), 1, "{} as {}", key, spelt);
        }
    }
}
