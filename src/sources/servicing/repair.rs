//! System File Checker's `[SR]` lines that name a file it could not repair
//! (`../shared/design/text-formats.md` §3.4): a class of their own
//! ([`StatusClass::Unrepairable`]), read only when asked (`--status unrepairable`).
//!
//! `Cannot repair member file [l:N]'rel' of <component>, … in the store, <reason>`
//! names the file relative to its component; the on-disk path comes from a nearby
//! `Could not reproject corrupted file \??\C:\…; <reason>` or `Unable to repair <path>`
//! line of the same file, before or after it. [`Pairing`] joins them: a member line
//! takes the full path of such a line within [`WINDOW`] lines whose path ends with
//! the member's relative name; one with none keeps its name as logged.
//!
//! The lines print no code. The reason they give is one, in the servicing table's
//! words ([`REASONS`]); a line without a reason gives ERROR_FILE_CORRUPT.

use std::collections::VecDeque;

use crate::codes::{Code, Space, StatusClass};

/// What a `[SR]` line is, by the words after `[SR] `.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// `Cannot repair member file`: a component-relative name, and a reason.
    Member,
    /// `Could not reproject corrupted file`: the on-disk path, and a reason.
    Reproject,
    /// `Unable to repair`: the on-disk (WinSxS) path, no reason. It only gives a
    /// member line its path.
    Unable,
}

/// The `[SR]` lines culprit reads, their marker and shape.
pub static LINES: &[(&str, Shape)] = &[
    ("Cannot repair member file", Shape::Member),
    ("Could not reproject corrupted file", Shape::Reproject),
    ("Unable to repair", Shape::Unable),
];

/// A reason (lower-case substring of the line), the code it names (an HRESULT) and
/// the code's name in the servicing or Win32 table. First match wins.
pub static REASONS: &[(&str, u32, &str)] = &[
    // The store's copy fails its manifest's hash.
    ("hash mismatch", 0x8007_36CC, "ERROR_SXS_FILE_HASH_MISMATCH"),
    // The store holds no copy to repair from.
    ("file is missing", 0x8007_0002, "ERROR_FILE_NOT_FOUND"),
    // "source file in store is also corrupted".
    ("corrupted", 0x8007_0570, "ERROR_FILE_CORRUPT"),
];

/// The code of a line that states no reason, and its name.
pub const NO_REASON: (u32, &str) = (0x8007_0570, "ERROR_FILE_CORRUPT");

/// The class these lines are kept under.
pub const CLASS: StatusClass = StatusClass::Unrepairable;

/// The code a line's reason names, and its name.
pub fn reason_code(message: &str) -> (Code, &'static str) {
    let low = message.to_ascii_lowercase();
    let (value, name) = REASONS
        .iter()
        .find(|(r, _, _)| low.contains(r))
        .map_or(NO_REASON, |&(_, v, n)| (v, n));
    let code = Code {
        space: Space::HResult,
        value,
    };
    (code, name)
}

/// The shape of a record's first line, if it is an `[SR]` line culprit reads.
pub fn shape(first_line: &str) -> Option<Shape> {
    let at = first_line.find("[SR] ")?;
    let rest = &first_line[at + 5..];
    LINES
        .iter()
        .find(|(m, _)| rest.starts_with(m))
        .map(|&(_, s)| s)
}

/// How far apart (in lines) a member line and the line with its full path may be.
pub const WINDOW: u64 = 5_000;
/// How many full paths and waiting member lines are remembered (memory bound).
const KEPT: usize = 4_096;

/// Lower-case, single backslashes: how two spellings of one file are compared.
fn fold(p: &str) -> String {
    let mut s = p.to_lowercase().replace('/', "\\");
    while s.contains("\\\\") {
        s = s.replace("\\\\", "\\");
    }
    s
}

/// Whether `f` ends with `r` at a path boundary.
fn ends_at_boundary(f: &str, r: &str) -> bool {
    !r.is_empty()
        && f.ends_with(r)
        && (f.len() == r.len() || f.as_bytes()[f.len() - r.len() - 1] == b'\\')
}

/// Whether `full` is the on-disk path of the member named `rel`: it ends with the
/// name, or with the name less its first folder (a member `FileExp\Assets\a.svg`
/// lives in `…\MicrosoftWindows.Client.FileExp_cw5n1h2txyewy\Assets\a.svg`).
fn is_member(full: &str, rel: &str) -> bool {
    let (f, r) = (fold(full), fold(rel));
    let r = r.trim_start_matches('\\');
    ends_at_boundary(&f, r)
        || r.split_once('\\')
            .is_some_and(|(_, rest)| ends_at_boundary(&f, rest))
}

/// Joins member lines with the full paths of nearby lines. Generic over what waits
/// (the caller's pending finding).
pub struct Pairing<T> {
    /// Full paths seen: (line, path).
    full: VecDeque<(u64, String)>,
    /// Member lines waiting for a later full path: (line, relative name, item).
    waiting: VecDeque<(u64, String, T)>,
}

impl<T> Default for Pairing<T> {
    fn default() -> Self {
        Pairing {
            full: VecDeque::new(),
            waiting: VecDeque::new(),
        }
    }
}

impl<T> Pairing<T> {
    /// A member line: its full path when one was seen within the window, else it
    /// waits (and `None`). Items pushed out of the window come back in `done` with
    /// no path.
    pub fn member(&mut self, line: u64, rel: &str, item: T, done: &mut Vec<(T, Option<String>)>) {
        self.expire(line, done);
        if let Some((_, p)) = self.full.iter().rev().find(|(_, p)| is_member(p, rel)) {
            done.push((item, Some(p.clone())));
            return;
        }
        if self.waiting.len() == KEPT
            && let Some((_, _, t)) = self.waiting.pop_front()
        {
            done.push((t, None));
        }
        self.waiting.push_back((line, rel.to_string(), item));
    }

    /// A full path: every waiting member line it names gets it.
    pub fn full(&mut self, line: u64, path: &str, done: &mut Vec<(T, Option<String>)>) {
        self.expire(line, done);
        let mut i = 0;
        while i < self.waiting.len() {
            if is_member(path, &self.waiting[i].1) {
                let (_, _, t) = self.waiting.remove(i).expect("in range");
                done.push((t, Some(path.to_string())));
            } else {
                i += 1;
            }
        }
        if self.full.len() == KEPT {
            self.full.pop_front();
        }
        self.full.push_back((line, path.to_string()));
    }

    /// Everything still waiting, with no path (end of input).
    pub fn finish(&mut self, done: &mut Vec<(T, Option<String>)>) {
        done.extend(self.waiting.drain(..).map(|(_, _, t)| (t, None)));
        self.full.clear();
    }

    fn expire(&mut self, line: u64, done: &mut Vec<(T, Option<String>)>) {
        while self.full.front().is_some_and(|(l, _)| l + WINDOW < line) {
            self.full.pop_front();
        }
        while self
            .waiting
            .front()
            .is_some_and(|(l, _, _)| l + WINDOW < line)
        {
            let (_, _, t) = self.waiting.pop_front().expect("non-empty");
            done.push((t, None));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::classify;

    #[test]
    fn every_reason_is_a_servicing_code_of_no_other_class() {
        let none = ("(none)", NO_REASON.0, NO_REASON.1);
        for &(reason, v, name) in REASONS.iter().chain([&none]) {
            let code = Code {
                space: Space::HResult,
                value: v,
            };
            // The name is the tables' own (servicing table, or the Win32 code inside).
            let e = crate::explain::explain(&format!("0x{v:08X}")).expect("decodes");
            assert!(
                e.meanings
                    .iter()
                    .chain(&e.related)
                    .any(|m| m.names.iter().any(|n| n == name)),
                "{reason}: 0x{v:08X} is {name} in the tables"
            );
            // Kept only under the class asked by name, never as a denial.
            assert_eq!(classify(code), None, "{reason}");
        }
        // One hand-checked row each, from real lines (text-formats.md §3.4).
        let hash = "[SR] Cannot repair member file [l:9]'a.svg' of X, version 1, arch amd64, nonSxS, pkt {l:8 b:31bf3856ad364e35} in the store, hash mismatch";
        assert_eq!(reason_code(hash).1, "ERROR_SXS_FILE_HASH_MISMATCH");
        let missing = "[SR] Cannot repair member file [l:9]'ntdll.dll' of Microsoft-Windows-Ntdll, version 10.0.19041.2788, arch amd64, nonSxS, pkt {l:8 b:31bf3856ad364e35} in the store, file is missing";
        assert_eq!(reason_code(missing).1, "ERROR_FILE_NOT_FOUND");
        let corrupt = "[SR] Could not reproject corrupted file \\??\\C:\\Windows\\System32\\Boot\\\\winload.exe; source file in store is also corrupted";
        assert_eq!(reason_code(corrupt).1, "ERROR_FILE_CORRUPT");
    }

    #[test]
    fn shapes_by_marker() {
        for &(marker, s) in LINES {
            assert_eq!(shape(&format!("CSI    000001ca [SR] {marker} x")), Some(s));
        }
        assert_eq!(shape("[SR] Repaired file \\SystemRoot\\x by copying"), None);
        assert_eq!(shape("[SR] Verifying 100 components"), None);
        assert_eq!(shape("Cannot repair member file without the tag"), None);
    }

    #[test]
    fn members_pair_with_full_paths_either_way() {
        let mut p: Pairing<u32> = Pairing::default();
        let mut done = Vec::new();
        p.full(10, "C:\\Windows\\System32\\Boot\\\\winload.exe", &mut done);
        p.member(12, "winload.exe", 1, &mut done);
        assert_eq!(
            done.pop(),
            Some((1, Some("C:\\Windows\\System32\\Boot\\\\winload.exe".into())))
        );
        // Member first, its path later.
        p.member(20, "FileExp\\Assets\\a.svg", 2, &mut done);
        assert!(done.is_empty());
        p.full(30, "C:\\Apps\\X\\FileExp\\Assets\\\\a.svg", &mut done);
        assert_eq!(done.pop().map(|d| d.0), Some(2));
        // A bare leaf pairs with the latest path that ends with it.
        p.member(40, "a.svg", 3, &mut done);
        assert_eq!(done.pop().map(|d| d.0), Some(3), "a.svg ends the last path");
        // A leaf that only ends the same way is not the file.
        p.member(41, "b.svg", 4, &mut done);
        p.full(42, "C:\\x\\bb.svg", &mut done);
        assert!(done.is_empty(), "bb.svg is not b.svg");
        // The member's first folder is its component's, not the disk's (real case).
        p.full(
            43,
            "C:\\WINDOWS\\SystemApps\\MicrosoftWindows.Client.FileExp_cw5n1h2txyewy\\Assets\\theme-light\\\\z.svg",
            &mut done,
        );
        p.member(44, "FileExp\\Assets\\theme-dark\\z.svg", 6, &mut done);
        assert!(done.is_empty(), "theme-dark is not theme-light");
        p.member(45, "FileExp\\Assets\\theme-light\\z.svg", 7, &mut done);
        assert_eq!(done.pop().map(|d| d.0), Some(7));
        // Past the window, a member keeps its own name.
        p.member(44 + WINDOW + 1, "c.svg", 5, &mut done);
        assert_eq!(done, vec![(4, None), (6, None)]);
        done.clear();
        p.finish(&mut done);
        assert_eq!(done, vec![(5, None)]);
    }
}
