//! Literal prefilters: which lines of a chunk are worth parsing at all.
//!
//! A few literals are searched one by one with `memchr::memmem` (SIMD, about as fast
//! as ripgrep on one literal) over windows small enough to stay in the L2 cache, so
//! several literals cost little more than one pass over memory. Up to 128 literals go
//! through packed SIMD searchers (Teddy) of up to 64 literals each; more through one
//! Aho-Corasick automaton. Literals of path text ([`Prefilter::paths`]) are folded
//! once ([`fold_byte`]: ASCII lower case, `/` as `\\`), and each window is folded into
//! a scratch buffer (in cache) before the same exact search: a searcher built
//! case-insensitive cannot use the packed searcher and falls back to stopping at every
//! occurrence of a start byte, which for path needles (`\\account`) is every path
//! separator. A caller may reject a match ([`Prefilter::lines_where`]); the search then
//! goes on right after it, in the same line.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind, packed};
use memchr::memmem::Finder;

/// Window of one search round (fits in L2 next to the other finders' state).
const WINDOW: usize = 256 * 1024;
/// Up to this many literals are searched with separate finders.
const MAX_FINDERS: usize = 6;
/// Most literals of one packed searcher (Teddy's limit).
const PACKED_GROUP: usize = 64;
/// Up to this many literals are searched with packed searchers (one pass per group of
/// [`PACKED_GROUP`]); past it one automaton pass costs less (measured: 2 groups beat
/// the automaton by a third, 6 groups lose to it by half).
const MAX_PACKED: usize = 2 * PACKED_GROUP;

/// One search over a window.
enum Searcher {
    One(Finder<'static>),
    Packed(packed::Searcher),
    Automaton(AhoCorasick),
}

impl Searcher {
    /// Start of the leftmost match in `hay` and which of the searcher's literals it is.
    fn find(&self, hay: &[u8]) -> Option<(usize, usize)> {
        match self {
            Searcher::One(f) => f.find(hay).map(|at| (at, 0)),
            Searcher::Packed(p) => p.find(hay).map(|m| (m.start(), m.pattern().as_usize())),
            Searcher::Automaton(ac) => ac.find(hay).map(|m| (m.start(), m.pattern().as_usize())),
        }
    }
}

/// A set of literals to find lines by.
pub struct Prefilter {
    /// Each searcher with the index in `literals` of its first literal.
    searchers: Vec<(Searcher, usize)>,
    /// The literals, as searched (folded for path text), sorted, each once.
    literals: Vec<Vec<u8>>,
    longest: usize,
    /// Windows are folded before the search (the literals are).
    fold: bool,
}

/// How path text is compared: ASCII letters in lower case and `/` as `\\` (what
/// [`crate::pathnorm`] merges for drive paths), every other byte as it is. Folding
/// keeps each byte where it is, and a branch-free form the compiler vectorises.
#[inline]
pub fn fold_byte(b: u8) -> u8 {
    let b = b ^ (u8::from(b == b'/') * (b'/' ^ b'\\'));
    b | (u8::from(b.wrapping_sub(b'A') < 26) << 5)
}

impl Prefilter {
    /// Builds a prefilter from literals (empty literals are ignored).
    pub fn new<S: AsRef<[u8]>>(literals: &[S]) -> Prefilter {
        Self::build(literals, false)
    }

    /// A prefilter of path text: its literals match in any ASCII case and with either
    /// separator ([`fold_byte`]).
    pub fn paths<S: AsRef<[u8]>>(literals: &[S]) -> Prefilter {
        Self::build(literals, true)
    }

    fn build<S: AsRef<[u8]>>(literals: &[S], fold: bool) -> Prefilter {
        let mut lits: Vec<Vec<u8>> = literals
            .iter()
            .map(|l| l.as_ref().to_vec())
            .filter(|l| !l.is_empty())
            .collect();
        if fold {
            lits.iter_mut()
                .for_each(|l| l.iter_mut().for_each(|b| *b = fold_byte(*b)));
        }
        lits.sort();
        lits.dedup();
        let longest = lits.iter().map(Vec::len).max().unwrap_or(0);
        let searchers = if lits.len() <= MAX_FINDERS {
            lits.iter()
                .enumerate()
                .map(|(i, l)| (Searcher::One(Finder::new(l).into_owned()), i))
                .collect()
        } else {
            // Groups of even size; no packed searcher on this CPU: the automaton.
            let groups = lits.len().div_ceil(PACKED_GROUP);
            let size = lits.len().div_ceil(groups);
            let packed: Option<Vec<(Searcher, usize)>> = (lits.len() <= MAX_PACKED)
                .then(|| {
                    lits.chunks(size)
                        .enumerate()
                        .map(|(g, group)| {
                            packed::Builder::new()
                                .extend(group)
                                .build()
                                .map(|p| (Searcher::Packed(p), g * size))
                        })
                        .collect()
                })
                .flatten();
            packed.unwrap_or_else(|| {
                let ac = AhoCorasickBuilder::new()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(&lits)
                    .expect("literals form a valid automaton");
                vec![(Searcher::Automaton(ac), 0)]
            })
        };
        Prefilter {
            searchers,
            literals: lits,
            longest,
            fold,
        }
    }

    /// The literals as searched (folded for path text), sorted, each once: what the
    /// index given to [`Prefilter::lines_where`]'s test refers to.
    pub fn literals(&self) -> &[Vec<u8>] {
        &self.literals
    }

    /// Whether this prefilter can never match.
    pub fn is_empty(&self) -> bool {
        self.searchers.is_empty()
    }

    /// Byte ranges (start, end without `\n`) of the lines of `chunk` that contain a
    /// literal, in order, each once.
    pub fn lines(&self, chunk: &[u8], out: &mut Vec<(usize, usize)>) {
        self.lines_where(chunk, out, |_, _| true);
    }

    /// As [`Prefilter::lines`], with matches the caller tests: `keep(literal, at)`
    /// with the index of the literal in [`Prefilter::literals`] and where in `chunk`
    /// it starts. A rejected match does not end the search of its line.
    pub fn lines_where(
        &self,
        chunk: &[u8],
        out: &mut Vec<(usize, usize)>,
        keep: impl FnMut(usize, usize) -> bool,
    ) {
        out.clear();
        self.search(chunk, false, keep, |s, e, _| out.push((s, e)));
    }

    /// As [`Prefilter::lines`], each line with its 1-based line number within `chunk`;
    /// returns the newlines of `chunk`. The newlines are counted window by window
    /// right after each window is searched, while it is still in cache: a separate
    /// counting pass over the chunk would read it from memory a second time.
    pub fn numbered_lines(&self, chunk: &[u8], out: &mut Vec<(usize, usize, u64)>) -> u64 {
        out.clear();
        self.search(chunk, true, |_, _| true, |s, e, n| out.push((s, e, n)))
    }

    /// The search behind [`Prefilter::lines`] and [`Prefilter::numbered_lines`]:
    /// `emit(start, end, line_no)` for each line with a literal, in order (`line_no`
    /// means something only with `count`); returns the newlines of `chunk` (0 unless
    /// `count`).
    fn search(
        &self,
        chunk: &[u8],
        count: bool,
        mut keep: impl FnMut(usize, usize) -> bool,
        mut emit: impl FnMut(usize, usize, u64),
    ) -> u64 {
        let newlines = |b: &[u8]| {
            if count {
                memchr::memchr_iter(b'\n', b).count() as u64
            } else {
                0
            }
        };
        if self.is_empty() {
            return newlines(chunk);
        }
        let overlap = self.longest.saturating_sub(1);
        // Per searcher, where its next search may start: after a hit the rest of that
        // line is skipped (a line is wanted once), so a literal repeated along a very
        // long line costs one hit, not one per occurrence.
        let mut resume = vec![0usize; self.searchers.len()];
        let mut folded: Vec<u8> = Vec::new();
        // Lines (start, end) this window's searchers hit.
        let mut found: Vec<(usize, usize)> = Vec::new();
        // Lines are emitted in order: the last start emitted, and how far (and to how
        // many newlines) the chunk is counted.
        let mut last: Option<usize> = None;
        let (mut counted, mut lines) = (0usize, 0u64);
        let mut w = 0;
        while w < chunk.len() {
            let end = (w + WINDOW + overlap).min(chunk.len());
            // What is searched: the window itself, or its lower-case copy (same
            // positions: ASCII case folding keeps every byte where it is).
            let window: &[u8] = if self.fold {
                fold_into(&chunk[w..end], &mut folded);
                &folded
            } else {
                &chunk[w..end]
            };
            found.clear();
            for ((searcher, first), next) in self.searchers.iter().zip(resume.iter_mut()) {
                let mut at = (*next).max(w);
                while at < end {
                    let hay = &window[at - w..];
                    let Some((pos, lit)) = searcher.find(hay) else {
                        break;
                    };
                    let abs = at + pos;
                    if !keep(first + lit, abs) {
                        at = abs + 1;
                        continue;
                    }
                    let line_end =
                        memchr::memchr(b'\n', &chunk[abs..]).map_or(chunk.len(), |i| abs + i);
                    let line_start = memchr::memrchr(b'\n', &chunk[..abs]).map_or(0, |i| i + 1);
                    found.push((line_start, line_end));
                    at = line_end + 1;
                }
                *next = at;
            }
            // A line found again (by another literal, or by this window after the
            // last) is emitted once. Lines found by this window never start before
            // one emitted earlier unless they are that line.
            found.sort_unstable();
            for &(s, e) in &found {
                if last.is_some_and(|l| s <= l) {
                    continue;
                }
                last = Some(s);
                // A start before `counted` is of a line that runs past it (its hit
                // lies beyond), so no newline lies between the two.
                if s > counted {
                    lines += newlines(&chunk[counted..s]);
                    counted = s;
                }
                emit(s, e, lines + 1);
            }
            // The rest of the window, while it is in cache.
            let edge = (w + WINDOW).min(chunk.len());
            if edge > counted {
                lines += newlines(&chunk[counted..edge]);
                counted = edge;
            }
            w += WINDOW;
        }
        lines
    }
}

/// `src` folded ([`fold_byte`]) into `dst`, in one pass the compiler vectorises (a
/// copy then an in-place fold would be two passes).
fn fold_into(src: &[u8], dst: &mut Vec<u8>) {
    dst.clear();
    dst.extend(src.iter().map(|&b| fold_byte(b)));
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Prefilter {
        /// The kind of each searcher.
        fn kinds(&self) -> Vec<&'static str> {
            self.searchers
                .iter()
                .map(|(s, _)| match s {
                    Searcher::One(_) => "one",
                    Searcher::Packed(_) => "packed",
                    Searcher::Automaton(_) => "automaton",
                })
                .collect()
        }
    }

    #[test]
    fn the_searcher_kind_follows_the_literal_count() {
        let lits = |n: usize| (0..n).map(|i| format!("lit{i:04}")).collect::<Vec<_>>();
        assert_eq!(Prefilter::new(&lits(6)).kinds(), ["one"; 6]);
        assert_eq!(Prefilter::new(&lits(7)).kinds(), ["packed"]);
        assert_eq!(Prefilter::new(&lits(64)).kinds(), ["packed"]);
        assert_eq!(Prefilter::new(&lits(65)).kinds(), ["packed"; 2]);
        assert_eq!(Prefilter::new(&lits(128)).kinds(), ["packed"; 2]);
        assert_eq!(Prefilter::paths(&lits(129)).kinds(), ["automaton"]);
    }

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
        assert_eq!(many.kinds(), ["packed"]);
        assert_eq!(
            found(&many, b"x\nAB CD AB\ny\nzCD\na7"),
            vec![b"AB CD AB".to_vec(), b"zCD".to_vec(), b"a7".to_vec()]
        );
        assert!(found(&Prefilter::new::<&str>(&[]), b"abc").is_empty());
    }

    /// [`fold_byte`] the plain way.
    fn folded(b: &[u8]) -> Vec<u8> {
        b.iter()
            .map(|&c| {
                if c == b'/' {
                    b'\\'
                } else {
                    c.to_ascii_lowercase()
                }
            })
            .collect()
    }

    #[test]
    fn folding_lowers_ascii_letters_and_turns_slashes_only() {
        let all: Vec<u8> = (0..=255).collect();
        let mut out = Vec::new();
        fold_into(&all, &mut out);
        assert_eq!(out, folded(&all));
        assert_eq!(fold_byte(b'/'), b'\\');
        assert_eq!(fold_byte(b'\\'), b'\\');
    }

    #[test]
    fn path_literals_match_any_case_and_either_separator() {
        let p = Prefilter::paths(&["/Default.RDP"]);
        assert_eq!(
            found(&p, b"a/DEFAULT.rdp\nno\nc:\\default.rdp\nc:default.rdp"),
            vec![b"a/DEFAULT.rdp".to_vec(), b"c:\\default.rdp".to_vec()]
        );
    }

    #[test]
    fn a_rejected_match_does_not_end_the_search_of_its_line() {
        let chunk = b"ab x ab y\nab\nz ab";
        let p = Prefilter::new(&["ab", "zz"]);
        let mut seen = Vec::new();
        let mut out = Vec::new();
        // Keeps a match only when a `y` follows it within 6 bytes.
        p.lines_where(chunk, &mut out, |lit, at| {
            seen.push((lit, at));
            chunk[at..].iter().take(6).any(|&b| b == b'y')
        });
        assert_eq!(out, vec![(0, 9)]);
        assert_eq!(p.literals()[0], b"ab".to_vec());
        // Both matches of the first line were tested; the rest of it was not searched
        // once one was kept; the other lines' matches were tested and rejected.
        assert_eq!(seen, vec![(0, 0), (0, 5), (0, 10), (0, 15)]);
    }

    #[test]
    fn literal_indexes_name_the_literal_in_every_searcher_kind() {
        for n in [3, 40, 100, 200] {
            let lits: Vec<String> = (0..n).map(|i| format!("<{i:03}>")).collect();
            let p = Prefilter::new(&lits);
            let chunk: Vec<u8> = lits
                .iter()
                .rev()
                .flat_map(|l| format!("x{l}\n").into_bytes())
                .collect();
            let mut got = Vec::new();
            let mut out = Vec::new();
            p.lines_where(&chunk, &mut out, |lit, at| {
                got.push((p.literals()[lit].clone(), chunk[at..at + 5].to_vec()));
                true
            });
            assert_eq!(got.len(), n, "{n}");
            assert!(got.iter().all(|(l, at)| l == at), "{n}");
        }
    }

    #[test]
    fn caseless_sets_of_any_size_match_any_case_across_window_edges() {
        let mut chunk = vec![b'.'; WINDOW - 4];
        chunk.extend_from_slice(b"\\AcCount\nx\n\\SECRETS\n\\Other\n");
        let few = Prefilter::paths(&["\\account", "\\Secrets"]);
        assert!(few.kinds().iter().all(|k| *k == "one") && few.fold);
        let many: Vec<String> = (0..10)
            .map(|i| format!("\\n{i}x"))
            .chain(["\\ACCOUNT".into(), "\\secrets".into()])
            .collect();
        let many = Prefilter::paths(&many);
        assert!(many.kinds() == ["packed"] && many.fold);
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
        for p in [Prefilter::new(&["aaaa"]), Prefilter::paths(&["AAAA"])] {
            let lines = found(&p, &chunk);
            assert_eq!(lines.len(), 1);
            assert_eq!(lines[0].len(), 3 * WINDOW);
        }
        let p = Prefilter::new(&["aa"]);
        assert_eq!(found(&p, &chunk).len(), 2, "the short line too");
    }

    /// Lines of `chunk` holding a literal, with 1-based numbers, the plain way.
    fn reference(chunk: &[u8], lits: &[&str], caseless: bool) -> Vec<(u64, Vec<u8>)> {
        let lower = |b: &[u8]| {
            if caseless { folded(b) } else { b.to_vec() }
        };
        chunk
            .split(|&b| b == b'\n')
            .enumerate()
            .filter(|(_, l)| {
                lits.iter()
                    .any(|n| memchr::memmem::find(&lower(l), &lower(n.as_bytes())).is_some())
            })
            .map(|(i, l)| (i as u64 + 1, l.to_vec()))
            .collect()
    }

    #[test]
    fn numbered_lines_agree_with_a_plain_split_across_window_edges() {
        // Lines of every length up to a few windows, literals anywhere in them (at
        // starts, ends and across window edges), a chunk ending without a newline.
        let mut rng = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let lits = [
            "Needle",
            "ACCESS DENIED",
            "x7",
            "Process Exit",
            "q",
            "zz",
            "MEDIA",
        ];
        let mut chunk = Vec::new();
        while chunk.len() < 3 * WINDOW + 1000 {
            let len = match next(10) {
                0 => next(3 * WINDOW as u64 / 2),
                1 => 0,
                _ => next(300),
            } as usize;
            let mut line: Vec<u8> = (0..len).map(|_| b'a' + next(20) as u8).collect();
            if len > 0 && next(3) == 0 {
                let lit = lits[next(lits.len() as u64) as usize].as_bytes();
                let at = next(len as u64) as usize;
                line.splice(at..at, lit.iter().copied());
            }
            chunk.extend_from_slice(&line);
            chunk.push(b'\n');
        }
        chunk.extend_from_slice(b"last Needle");
        // Never-matching fillers take the sets to two packed groups and to the automaton.
        let fillers: Vec<String> = (0..200).map(|i| format!("#{i}#")).collect();
        let with = |n: usize| -> Vec<&str> {
            lits.iter()
                .copied()
                .chain(fillers[..n].iter().map(String::as_str))
                .collect()
        };
        let (two_groups, automaton) = (with(100), with(200));
        for caseless in [false, true] {
            for set in [&lits[..2], &lits[..], &two_groups[..], &automaton[..]] {
                let p = if caseless {
                    Prefilter::paths(set)
                } else {
                    Prefilter::new(set)
                };
                let mut out = Vec::new();
                let newlines = p.numbered_lines(&chunk, &mut out);
                let got: Vec<(u64, Vec<u8>)> = out
                    .iter()
                    .map(|&(s, e, n)| (n, chunk[s..e].to_vec()))
                    .collect();
                assert_eq!(got, reference(&chunk, set, caseless));
                assert_eq!(newlines, memchr::memchr_iter(b'\n', &chunk).count() as u64);
                let mut plain = Vec::new();
                p.lines(&chunk, &mut plain);
                assert!(
                    plain
                        .iter()
                        .map(|r| (r.0, r.1))
                        .eq(out.iter().map(|r| (r.0, r.1)))
                );
            }
        }
    }

    #[test]
    fn literals_across_window_edges_are_found() {
        let mut chunk = vec![b'.'; WINDOW - 3];
        chunk.extend_from_slice(b"NEEDLE\nmore\n");
        let p = Prefilter::new(&["NEEDLE"]);
        assert_eq!(found(&p, &chunk).len(), 1);
    }
}
