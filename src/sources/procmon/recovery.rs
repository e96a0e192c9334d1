//! The recovery pass: was a refused (process, path, operation) ever done successfully
//! after its last refusal?
//!
//! Procmon exports are full of harmless denials: a probe for write access refused,
//! then the same open succeeding. A key (lower-case process, path, operation, access
//! refused) is *recovered* when a SUCCESS of the same process, path and operation that
//! obtained at least the refused access follows its last failure: a Generic Write
//! refused then a Generic Read granted is no recovery, the job still could not write. The pass
//! starts at the earliest last failure (a byte offset from pass 1), searches only for
//! the distinctive end of each open key's path, and reads a line only where what
//! comes before that end is the key's too ([`super::needles`]), only for keys whose
//! last failure is already behind; it drops keys as they recover, and stops as soon
//! as none is left. Past `MAX_NEEDLES` (16,384) open keys it judges every SUCCESS
//! line instead. Keys are borrowed from the aggregate; a record's keys are found by
//! hashing its path, then by binary search among that path's few keys ([`Index`]).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use rayon::prelude::*;

use super::csv::{Columns, with_body};
use super::needles::{Needles, extension_start, tail_range};
use super::record::LineParser;
use crate::aggregate::Aggregate;
use crate::codes;
use crate::intent::{self, Access};
use crate::intern::Text;
use crate::pathnorm;
use crate::progress::Progress;
use crate::sources::io::chunks::{self, Body};

/// Up to this many open keys, the recovery automaton is rebuilt whenever its key set
/// changes; past it, only when half of its keys have recovered.
const FEW_KEYS: usize = 4096;

/// Distinct raw paths whose key a [`KeyMemo`] remembers (then it starts afresh).
const MEMO: usize = 4096;

/// Path keys by raw spelling, for a pass that meets a busy path spelt the same way
/// record after record (normalising it each time would cost more than the rest of
/// the record). Bounded: past `MEMO` spellings it starts afresh.
#[derive(Default)]
pub struct KeyMemo(HashMap<Box<[u8]>, Box<str>, foldhash::fast::RandomState>);

impl KeyMemo {
    /// The key of the path spelt `raw` (`pathnorm::key` of its normal form).
    pub fn key(&mut self, raw: &[u8]) -> &str {
        if !self.0.contains_key(raw) {
            if self.0.len() >= MEMO {
                self.0.clear();
            }
            let k = pathnorm::key(&pathnorm::normalize(&String::from_utf8_lossy(raw)));
            self.0.insert(raw.into(), k.into());
        }
        &self.0[raw]
    }
}

/// Block size of the recovery pass: small, so keys drop out soon after their last failure.
const BLOCK: usize = 1 << 20;

/// One recovery key of one input, borrowed from the input's aggregate (no copies:
/// a capture may hold hundreds of thousands).
#[derive(Debug, Clone)]
pub struct Key<'a> {
    pub path: &'a str,
    process: &'a Text,
    operation: &'a Text,
    /// What the failures of this key asked for.
    pub access: Access,
    /// Byte offset (decoded input) of the last failure.
    pub last: u64,
    /// Where [`Key::needle`] starts in `path` (`u32::MAX`: no needle) and its length.
    needle_at: u32,
    needle_len: u32,
    /// Where [`Key::extension`] starts in `path`.
    ext_at: u32,
    pub recovered: bool,
}

impl<'a> Key<'a> {
    /// A key of `path` (its needle is [`tail`](super::needles::tail)'s).
    pub fn new(
        path: &'a str,
        process: &'a Text,
        operation: &'a Text,
        access: Access,
        last: u64,
    ) -> Self {
        let (needle_at, needle_len, ext_at) = tail_range(path)
            .and_then(|r| {
                Some((
                    u32::try_from(r.start).ok()?,
                    u32::try_from(r.len()).ok()?,
                    u32::try_from(extension_start(path, &r)).ok()?,
                ))
            })
            .unwrap_or((u32::MAX, 0, 0));
        Key {
            path,
            process,
            operation,
            access,
            last,
            needle_at,
            needle_len,
            ext_at,
            recovered: false,
        }
    }

    /// Lower-case process name.
    pub fn process(&self) -> &'a str {
        self.process
    }

    pub fn operation(&self) -> &'a str {
        self.operation
    }

    /// What the pass searches for, in any ASCII case: the distinctive end of the path
    /// (its last components, [`tail`](super::needles::tail)), so that a success spelled
    /// differently (case, `\\??\\` prefix) is still found, and shared prefixes
    /// (`C:\\Windows\\`) do not make every line a candidate. `None`: not searchable,
    /// stays unrecovered.
    pub fn needle(&self) -> Option<&'a str> {
        let at = self.needle_at as usize;
        self.searchable()
            .then(|| &self.path[at..at + self.needle_len as usize])
    }

    /// What comes right before the needle in every spelling of the path (up to ASCII
    /// case and separators, [`ends_with_path`](super::needles::ends_with_path)): the
    /// path's shared bytes before it, back to its root and at most 256 bytes with the
    /// needle. A needle match without it is another path with the same end
    /// (`\\mstsc.exe` of `System32` for the one under `WinSxS`), rejected without
    /// reading its line.
    pub fn extension(&self) -> &'a str {
        if self.searchable() {
            &self.path[self.ext_at as usize..self.needle_at as usize]
        } else {
            ""
        }
    }

    /// Whether the key has a needle (one without stays unrecovered).
    fn searchable(&self) -> bool {
        self.needle_at != u32::MAX
    }

    fn id(&self) -> (&'a str, &'a str, &'a str) {
        (self.path, self.process, self.operation)
    }
}

/// The recovery keys of a file's aggregate, sorted for determinism.
pub fn keys(agg: &Aggregate) -> Vec<Key<'_>> {
    // Exactly as many as there are: a doubling vector of hundreds of thousands of
    // keys would hold twice that while it grows.
    let n = agg.paths.values().map(|p| p.recovery.keys().count()).sum();
    let mut out = Vec::with_capacity(n);
    for (pk, p) in &agg.paths {
        for ((process, operation, access), st) in p.recovery.keys() {
            out.push(Key::new(pk, process, operation, *access, st.last.offset));
        }
    }
    // Keys are distinct: an unstable sort is deterministic and needs no buffer.
    out.sort_unstable_by(|a, b| (a.id(), a.access).cmp(&(b.id(), b.access)));
    out
}

/// `raw` lower-cased into `out` as keys spell processes (`to_lowercase`), without an
/// allocation for an ASCII name.
fn lower_into(raw: &[u8], out: &mut String) {
    out.clear();
    if raw.is_ascii() {
        out.extend(raw.iter().map(|b| char::from(b.to_ascii_lowercase())));
    } else {
        out.push_str(&String::from_utf8_lossy(raw).to_lowercase());
    }
}

/// The keys that recovered, owned, by path: what [`finish`] settles an aggregate
/// with once the borrowed keys are gone.
pub type Recovered = HashMap<String, Vec<(String, String, Access)>>;

/// The recovered keys of `keys`.
pub fn recovered(keys: &[Key<'_>]) -> Recovered {
    let mut out = Recovered::new();
    for k in keys.iter().filter(|k| k.recovered) {
        out.entry(k.path.to_string()).or_default().push((
            k.process().to_string(),
            k.operation().to_string(),
            k.access,
        ));
    }
    out
}

/// Key positions by (path, process, operation), for lookups while reading: the keys
/// of one path lie together in the sorted keys, found by hashing the path (a busy
/// path's long shared prefix made each step of a binary search a long compare), then
/// by (process, operation) among that path's few keys. One entry per distinct path:
/// less than the aggregate already holds per path.
pub struct Index<'a, 'k> {
    keys: &'a [Key<'k>],
    paths: HashMap<&'k str, Range<usize>, foldhash::fast::RandomState>,
}

impl Index<'_, '_> {
    /// The range of keys of (path, process, operation): one per refused access.
    pub fn range(&self, path: &str, process: &str, operation: &str) -> Range<usize> {
        let Some(r) = self.paths.get(path) else {
            return 0..0;
        };
        let of_path = &self.keys[r.clone()];
        let want = (process, operation);
        let start = of_path.partition_point(|k| (k.process(), k.operation()) < want);
        let end =
            start + of_path[start..].partition_point(|k| (k.process(), k.operation()) == want);
        r.start + start..r.start + end
    }

    /// Whether some key is of (path, process, operation).
    pub fn has(&self, path: &str, process: &str, operation: &str) -> bool {
        !self.range(path, process, operation).is_empty()
    }
}

/// The [`Index`] of `keys` (sorted by [`keys`]).
pub fn index<'a, 'k>(keys: &'a [Key<'k>]) -> Index<'a, 'k> {
    debug_assert!(keys.is_sorted_by(|a, b| { a.id() <= b.id() }));
    let mut paths: HashMap<&'k str, Range<usize>, foldhash::fast::RandomState> = HashMap::default();
    for (i, k) in keys.iter().enumerate() {
        paths.entry(k.path).or_insert(i..i).end = i + 1;
    }
    Index { keys, paths }
}

/// The keys a SUCCESS recovers: same path, process and operation, at `position` after
/// the key's last failure, and an access that covers the refused one.
pub fn recovers(
    index: &Index<'_, '_>,
    keys: &[Key<'_>],
    path_key: &str,
    process: &str,
    operation: &str,
    granted: Access,
    position: u64,
) -> Vec<usize> {
    index
        .range(path_key, process, operation)
        .filter(|&i| position > keys[i].last && granted.covers(keys[i].access))
        .collect()
}

/// Sets each path's unrecovered count (the failures of keys that did not recover)
/// and drops the per-file recovery state.
pub fn finish(agg: &mut Aggregate, recovered: &Recovered) {
    agg.settle(&|path, process, operation, access| {
        recovered.get(path).is_some_and(|v| {
            v.iter()
                .any(|(p, o, a)| p == process && o == operation && *a == access)
        })
    });
}

/// How the recovery pass reads the input again.
pub enum Reread<'a> {
    /// The body pass 1 read from a mapping that is still there: its pages are already
    /// in the process's page tables (mapping the file again would fault them all in
    /// a second time).
    Mapped(&'a [u8]),
    /// Open the input again (a stream: gzip, UTF-16, an archive member).
    Reopen(&'a (dyn Fn() -> std::io::Result<crate::sources::io::open::Opened> + Sync)),
}

/// Runs the recovery pass over the input. A failure to re-read leaves every key
/// unrecovered.
pub fn resolve(again: Reread<'_>, cols: &Columns, keys: &mut [Key<'_>], progress: &dyn Progress) {
    let Some(first) = keys.iter().filter(|k| k.searchable()).map(|k| k.last).min() else {
        return;
    };
    let recovered = match again {
        Reread::Mapped(data) => judge(Body::Mapped(data), 0, first, cols, keys, progress),
        Reread::Reopen(reopen) => {
            let Ok(opened) = reopen() else {
                return;
            };
            let disk_len = opened.disk_len;
            with_body(opened, |body| {
                Ok::<_, chunks::StreamError>(judge(body, disk_len, first, cols, keys, progress))
            })
            .unwrap_or_default()
        }
    };
    for (k, r) in keys.iter_mut().zip(recovered) {
        k.recovered = r;
    }
}

/// Which keys recover, reading `body` (of `disk_len` bytes on disk when streamed)
/// from the line of the earliest last failure `first`.
fn judge(
    body: Body<'_>,
    disk_len: u64,
    first: u64,
    cols: &Columns,
    keys: &[Key<'_>],
    progress: &dyn Progress,
) -> Vec<bool> {
    let index = index(keys);
    // The (process, operation) pairs some key has (a handful: no reservation for
    // one per key).
    let pairs: Vec<(&str, &str)> = keys
        .iter()
        .map(|k| (k.process(), k.operation()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let success = memchr::memmem::Finder::new(b"SUCCESS");
    let mut recovered = vec![false; keys.len()];
    let threads = rayon::current_num_threads().max(1);
    {
        // A mapped file starts right at the earliest last failure.
        let (body, mut base, region) = match body {
            Body::Mapped(data) => {
                let start = memchr::memrchr(b'\n', &data[..(first as usize).min(data.len())])
                    .map_or(0, |i| i + 1);
                let rest = &data[start..];
                (Body::Mapped(rest), start as u64, rest.len() as u64)
            }
            other => (other, 0u64, disk_len),
        };
        progress.add_total(region);
        // The automaton searches the spellings of the keys still open. With few keys
        // it is rebuilt for exactly those whose last failure is behind (recovered
        // keys drop out at once: their paths are often the busiest). With many, a
        // build costs more than it saves: it is rebuilt only when half of the keys it
        // was built for have recovered, O(log n) builds in all.
        let mut pre: Option<Needles<'_>> = None;
        let mut built: Vec<usize> = Vec::new();
        let reported = chunks::for_each_batch(body, BLOCK, threads * 2, progress, |blocks| {
            let total: u64 = blocks.iter().map(|b| b.len() as u64).sum();
            let end = base + total;
            let open: Vec<usize> = (0..keys.len())
                .filter(|&i| !recovered[i] && keys[i].searchable())
                .collect();
            let few = open.len() <= FEW_KEYS;
            let want: Vec<usize> = if few {
                open.iter()
                    .copied()
                    .filter(|&i| keys[i].last < end)
                    .collect()
            } else {
                open
            };
            if !want.is_empty() {
                let stale = if few {
                    want != built
                } else {
                    want.len() * 2 < built.len()
                };
                if pre.is_none() || stale {
                    pre = Some(Needles::new(keys, &want));
                    built = want;
                }
                let Some(pre) = pre.as_ref() else {
                    return false;
                };
                let mut bases = Vec::with_capacity(blocks.len());
                let mut b = base;
                for block in blocks {
                    bases.push(b);
                    b += block.len() as u64;
                }
                let found: Vec<usize> = blocks
                    .par_iter()
                    .zip(bases)
                    .flat_map_iter(|(block, block_base)| {
                        let mut rec = LineParser::new(cols.delimiter);
                        let mut memo = KeyMemo::default();
                        let mut process = String::new();
                        // The keys this block found recovered (few: a key is found
                        // once, then its lines skip the Detail).
                        let mut hits: HashSet<usize> = HashSet::new();
                        let mut ranges = Vec::new();
                        pre.lines(block, &mut ranges);
                        for (ls, le) in ranges {
                            let line = &block[ls..le];
                            if line.len() > chunks::MAX_RECORD
                                || success.find(line).is_none()
                                || rec.parse(line).unwrap_or(0) < cols.min_fields
                            {
                                continue;
                            }
                            let field = |i| rec.field(i).unwrap_or_default();
                            let result = field(cols.result).trim_ascii();
                            if result != b"SUCCESS" && codes::procmon_result(result) != Some(0) {
                                continue;
                            }
                            // Process and operation first: they rule out most lines
                            // before the path is normalised.
                            lower_into(field(cols.process).trim_ascii(), &mut process);
                            let op = String::from_utf8_lossy(field(cols.operation).trim_ascii());
                            if pairs
                                .binary_search(&(process.as_str(), op.as_ref()))
                                .is_err()
                            {
                                continue;
                            }
                            let key = memo.key(field(cols.path));
                            // Only keys still open whose last failure is behind are
                            // worth reading the Detail for.
                            let position = block_base + ls as u64;
                            let open = |&i: &usize| {
                                !recovered[i] && position > keys[i].last && !hits.contains(&i)
                            };
                            if !index.range(key, &process, &op).any(|i| open(&i)) {
                                continue;
                            }
                            let detail = cols
                                .detail
                                .map(|d| String::from_utf8_lossy(field(d)).into_owned())
                                .unwrap_or_default();
                            let granted = intent::access(&op, &detail);
                            hits.extend(recovers(
                                &index, keys, key, &process, &op, granted, position,
                            ));
                        }
                        hits
                    })
                    .collect();
                found.into_iter().for_each(|i| recovered[i] = true);
            }
            base = end;
            (0..keys.len()).any(|i| !recovered[i] && keys[i].searchable())
        });
        // What an early stop left unread still counts as done for the progress bar.
        if let Ok(n) = reported {
            progress.advance(region.saturating_sub(n));
        }
    }
    recovered
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(access: Access, last: u64) -> Key<'static> {
        let text = |s: &str| &*Box::leak(Box::new(Text::from(s)));
        Key::new("c:\\a", text("p.exe"), text("CreateFile"), access, last)
    }

    #[test]
    fn a_success_recovers_only_what_it_obtained_and_only_after() {
        let write = intent::access("CreateFile", "Desired Access: Generic Write");
        let read = intent::access("CreateFile", "Desired Access: Generic Read");
        let keys = vec![key(read, 10), key(write, 10)];
        let ix = index(&keys);
        let hit = |granted, at| recovers(&ix, &keys, "c:\\a", "p.exe", "CreateFile", granted, at);
        assert_eq!(hit(read, 11), vec![0], "a read recovers the read only");
        assert_eq!(hit(write.with(read), 11), vec![0, 1]);
        assert!(hit(write, 10).is_empty(), "not before the last failure");
        assert!(recovers(&ix, &keys, "c:\\a", "q.exe", "CreateFile", write, 11).is_empty());
    }
}
