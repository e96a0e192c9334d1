//! Literal prefilters: which lines of a chunk are worth parsing at all.
//!
//! A few literals are searched one by one with `memchr::memmem` (SIMD, about as fast
//! as ripgrep on one literal) over windows small enough to stay in the L2 cache, so
//! several literals cost little more than one pass over memory. Many literals go
//! through one Aho-Corasick automaton instead. Literals wanted in any ASCII case are
//! lower-cased once, and each window is lower-cased into a scratch buffer (in cache)
//! before the same case-sensitive search: an automaton built case-insensitive cannot
//! use its packed SIMD searcher and falls back to stopping at every occurrence of a
//! start byte, which for path needles (`\\account`) is every path separator.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use memchr::memmem::Finder;

/// Window of one search round (fits in L2 next to the other finders' state).
const WINDOW: usize = 256 * 1024;
/// Up to this many literals are searched with separate finders.
const MAX_FINDERS: usize = 6;

/// A set of literals to find lines by.
pub struct Prefilter {
    finders: Vec<Finder<'static>>,
    ac: Option<AhoCorasick>,
    longest: usize,
    /// Windows are lower-cased before the search (the literals are).
    fold: bool,
}

impl Prefilter {
    /// Builds a prefilter from literals (empty literals are ignored).
    pub fn new<S: AsRef<[u8]>>(literals: &[S]) -> Prefilter {
        Self::build(literals, false)
    }

    /// A prefilter whose literals match in any ASCII case (one automaton).
    pub fn caseless<S: AsRef<[u8]>>(literals: &[S]) -> Prefilter {
        Self::build(literals, true)
    }

    fn build<S: AsRef<[u8]>>(literals: &[S], caseless: bool) -> Prefilter {
        let mut lits: Vec<Vec<u8>> = literals
            .iter()
            .map(|l| l.as_ref().to_vec())
            .filter(|l| !l.is_empty())
            .collect();
        if caseless {
            lits.iter_mut().for_each(|l| l.make_ascii_lowercase());
        }
        lits.sort();
        lits.dedup();
        let longest = lits.iter().map(Vec::len).max().unwrap_or(0);
        if lits.len() > MAX_FINDERS {
            let ac = AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostFirst)
                .build(&lits)
                .expect("literals form a valid automaton");
            return Prefilter {
                finders: Vec::new(),
                ac: Some(ac),
                longest,
                fold: caseless,
            };
        }
        Prefilter {
            finders: lits.iter().map(|l| Finder::new(l).into_owned()).collect(),
            ac: None,
            longest,
            fold: caseless,
        }
    }

    /// Whether this prefilter can never match.
    pub fn is_empty(&self) -> bool {
        self.finders.is_empty() && self.ac.is_none()
    }

    /// Byte ranges (start, end without `\n`) of the lines of `chunk` that contain a
    /// literal, in order, each once.
    pub fn lines(&self, chunk: &[u8], out: &mut Vec<(usize, usize)>) {
        out.clear();
        if self.is_empty() {
            return;
        }
        let mut starts: Vec<usize> = Vec::new();
        let overlap = self.longest.saturating_sub(1);
        // Per searcher, where its next search may start: after a hit the rest of that
        // line is skipped (a line is wanted once), so a literal repeated along a very
        // long line costs one hit, not one per occurrence.
        let searchers = if self.ac.is_some() {
            1
        } else {
            self.finders.len()
        };
        let mut resume = vec![0usize; searchers];
        let mut folded: Vec<u8> = Vec::new();
        let mut w = 0;
        while w < chunk.len() {
            let end = (w + WINDOW + overlap).min(chunk.len());
            // What is searched: the window itself, or its lower-case copy (same
            // positions: ASCII case folding keeps every byte where it is).
            let window: &[u8] = if self.fold {
                folded.clear();
                folded.extend_from_slice(&chunk[w..end]);
                folded.make_ascii_lowercase();
                &folded
            } else {
                &chunk[w..end]
            };
            for (s, next) in resume.iter_mut().enumerate() {
                let mut at = (*next).max(w);
                while at < end {
                    let hay = &window[at - w..];
                    let found = match &self.ac {
                        Some(ac) => ac.find(hay).map(|m| m.start()),
                        None => self.finders[s].find(hay),
                    };
                    let Some(pos) = found else { break };
                    let abs = at + pos;
                    starts.push(memchr::memrchr(b'\n', &chunk[..abs]).map_or(0, |i| i + 1));
                    at = memchr::memchr(b'\n', &chunk[abs..]).map_or(chunk.len(), |i| abs + i + 1);
                }
                *next = at;
            }
            w += WINDOW;
        }
        starts.sort_unstable();
        starts.dedup();
        out.extend(starts.into_iter().map(|s| {
            (
                s,
                memchr::memchr(b'\n', &chunk[s..]).map_or(chunk.len(), |i| s + i),
            )
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(p: &Prefilter, chunk: &[u8]) -> Vec<Vec<u8>> {
        let mut v = Vec::new();
        p.lines(chunk, &mut v);
        v.into_iter().map(|(s, e)| chunk[s..e].to_vec()).collect()
    }

    #[test]
    fn finds_each_line_once_in_order() {
        let p = Prefilter::new(&["AB", "CD"]);
        assert_eq!(
            found(&p, b"x\nAB CD AB\ny\nzCD\nAB"),
            vec![b"AB CD AB".to_vec(), b"zCD".to_vec(), b"AB".to_vec()]
        );
        let many = Prefilter::new(&["a1", "a2", "a3", "a4", "a5", "a6", "a7", "CD"]);
        assert!(many.ac.is_some());
        assert_eq!(
            found(&many, b"x\nAB CD AB\ny\nzCD\na7"),
            vec![b"AB CD AB".to_vec(), b"zCD".to_vec(), b"a7".to_vec()]
        );
        assert!(found(&Prefilter::new::<&str>(&[]), b"abc").is_empty());
    }

    #[test]
    fn caseless_literals_match_any_case() {
        let p = Prefilter::caseless(&["/Default.RDP"]);
        assert_eq!(
            found(&p, b"a/DEFAULT.rdp\nno\nc:/default.rdp"),
            vec![b"a/DEFAULT.rdp".to_vec(), b"c:/default.rdp".to_vec()]
        );
    }

    #[test]
    fn caseless_sets_of_any_size_match_any_case_across_window_edges() {
        let mut chunk = vec![b'.'; WINDOW - 4];
        chunk.extend_from_slice(b"\\AcCount\nx\n\\SECRETS\n\\Other\n");
        let few = Prefilter::caseless(&["\\account", "\\Secrets"]);
        assert!(few.ac.is_none() && few.fold);
        let many: Vec<String> = (0..10)
            .map(|i| format!("\\n{i}x"))
            .chain(["\\ACCOUNT".into(), "\\secrets".into()])
            .collect();
        let many = Prefilter::caseless(&many);
        assert!(many.ac.is_some() && many.fold);
        for p in [few, many] {
            let lines = found(&p, &chunk);
            assert_eq!(lines.len(), 2);
            assert!(lines[0].ends_with(b"\\AcCount"), "across the window edge");
            assert_eq!(lines[1], b"\\SECRETS".to_vec());
        }
    }

    #[test]
    fn a_literal_repeated_along_a_long_line_is_one_hit() {
        let mut chunk = b"x\n".to_vec();
        chunk.extend(std::iter::repeat_n(b'a', 3 * WINDOW));
        chunk.extend_from_slice(b"\nyaa\nz");
        for p in [Prefilter::new(&["aaaa"]), Prefilter::caseless(&["AAAA"])] {
            let lines = found(&p, &chunk);
            assert_eq!(lines.len(), 1);
            assert_eq!(lines[0].len(), 3 * WINDOW);
        }
        let p = Prefilter::new(&["aa"]);
        assert_eq!(found(&p, &chunk).len(), 2, "the short line too");
    }

    #[test]
    fn literals_across_window_edges_are_found() {
        let mut chunk = vec![b'.'; WINDOW - 3];
        chunk.extend_from_slice(b"NEEDLE\nmore\n");
        let p = Prefilter::new(&["NEEDLE"]);
        assert_eq!(found(&p, &chunk).len(), 1);
    }
}
