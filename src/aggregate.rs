//! Per-path aggregation, folded while reading and merged across chunks and inputs.
//!
//! Nothing here holds rows: each offending path keeps counters, the first and last
//! occurrence, and a bounded sample of records. Chunks of one file are aggregated
//! with chunk-relative line numbers and shifted when merged in file order, so a
//! parallel run and a one-thread run produce identical aggregates.

use std::collections::HashMap;
use std::sync::Arc;

use crate::codes::{Code, StatusClass};
use crate::intent::{Access, access};
use crate::intern::{Interner, Text};
use crate::model::{Classes, Event, Families, Moment, Note, NoteKind, ProcessExit};
use crate::pathnorm::{self, PathKind};
use crate::tally::Tally;
use crate::twins::Signatures;
use smallvec::SmallVec;

mod recovery;
pub use recovery::{KeyId, KeyState, LastFailure, Recovery, Stamp};

/// How many raw records each path keeps as evidence.
pub const SAMPLES_PER_PATH: usize = 3;
/// Longest Detail text kept in a sample (characters).
const DETAIL_MAX: usize = 240;
/// Most process exits kept per scan (a hostile log cannot grow memory through them).
pub const MAX_EXITS: usize = 4096;
/// Most distinct context notes kept per scan; more are counted and dropped.
pub const MAX_NOTES: usize = 4096;

/// Notes that say the same thing (kind, source, process, code, subject) are one entry.
pub type NoteKey = (NoteKind, String, Option<String>, Option<u32>, String);

/// One distinct note: its first occurrence (in merge order) and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteAgg {
    pub first: Note,
    pub last: Note,
    pub count: u64,
}

/// Where and when one record was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occurrence {
    pub input: u32,
    pub line: u64,
    /// Shared with the other places that name the same record.
    pub time: Arc<Moment>,
}

/// One raw record kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub input: u32,
    pub family: crate::model::Family,
    pub line: u64,
    pub time: Arc<Moment>,
    pub process: Text,
    pub pid: Option<u32>,
    pub operation: Text,
    pub path: Text,
    pub result: Text,
    pub detail: Text,
}

/// Everything known about one offending path.
#[derive(Debug, Clone, Default)]
pub struct PathAgg {
    pub kind: Option<PathKind>,
    /// Display spellings (normalised, case kept) and how often each was seen (one
    /// shared string with the samples when the log spelt it alike).
    pub spellings: Tally<Text>,
    pub count: u64,
    pub write_intent: u64,
    /// Failures that were only `Maximum Allowed` probes.
    pub probes: u64,
    /// Every right refused on this path (union over its failures).
    pub refused: Access,
    /// Denials with no later SUCCESS of the same process, path and operation.
    /// Filled in after the recovery pass of each input.
    pub unrecovered: u64,
    pub classes: Classes,
    pub codes: Tally<(StatusClass, Code)>,
    pub operations: Tally<Text>,
    /// Lower-case process name -> (display spelling, count).
    pub processes: Tally<Text, (Text, u64)>,
    pub inputs: Tally<u32>,
    /// The source families that reported it (agreement across families ranks it up).
    pub families: Families,
    /// Known messages of the verdict table its records logged: bit `i` is the `i`-th
    /// of [`crate::verdict::known_messages`] (see [`PathAgg::messages`]).
    pub message_bits: u32,
    pub first: Option<Occurrence>,
    pub last: Option<Occurrence>,
    /// The first inline: most paths have one.
    pub samples: SmallVec<[Sample; 1]>,
    /// Recovery keys while the input is read, then the last unrecovered failure per
    /// (input, process). Past [`crate::tally::TALLY_CAP`] keys a denial is not
    /// tracked (`keys_dropped`) and counts as unrecovered.
    pub recovery: Recovery,
    /// Denials not tracked by `recovery`.
    pub keys_dropped: u64,
}

/// Aggregates keyed by the lower-case normalised path.
#[derive(Debug, Clone, Default)]
pub struct Aggregate {
    /// Boxed: a table slot stays two words, so growing the table (which doubles it)
    /// never copies or doubles the per-path state.
    pub paths: HashMap<Box<str>, Box<PathAgg>>,
    /// Watched processes that exited with a non-zero status, in input then line order.
    pub exits: Vec<ProcessExit>,
    /// Exits past [`MAX_EXITS`], counted and dropped.
    pub exits_dropped: u64,
    /// Pathless evidence, one entry per distinct note.
    pub notes: HashMap<NoteKey, NoteAgg>,
    /// Notes past [`MAX_NOTES`] distinct ones, counted and dropped.
    pub notes_dropped: u64,
    /// Sampled signatures of the kept events: how twins of one capture are found.
    pub signatures: Signatures,
    /// Kept events whose time of day did not parse (a time window cannot judge them).
    pub untimed: u64,
    /// Kept events without a calendar date (a dated window falls back to the time of day).
    pub undated: u64,
    /// Process names, operations, results and details, one copy each.
    pub strings: Interner,
}

impl Aggregate {
    /// Folds one event in.
    pub fn add(&mut self, ev: &Event<'_>) {
        let display = pathnorm::normalize(&ev.path);
        let key = pathnorm::key(&display);
        self.signatures.add(ev, &key);
        self.untimed += u64::from(ev.time.time_of_day_ns.is_none());
        self.undated += u64::from(ev.time.date.is_none());
        let p = self.paths.entry(key.into_boxed_str()).or_default();
        let strings = &mut self.strings;
        if p.kind.is_none() {
            p.kind = Some(pathnorm::kind(&display));
        }
        bump(&mut p.spellings, &display, || Text::from(display.as_str()));
        p.count += 1;
        let mut asked = access(&ev.operation, &ev.detail);
        // Only a write can meet a write-protected medium, whatever a log calls the
        // operation (`CDISMPackageManager::StagePayloadFile`).
        // Nor can a repair that failed be anything but a write.
        if matches!(
            ev.class,
            StatusClass::WriteProtect | StatusClass::Unrepairable
        ) && !asked.writes()
        {
            asked = asked.with(Access::WRITE);
        }
        if asked.writes() {
            p.write_intent += 1;
        }
        if asked.is_probe() {
            p.probes += 1;
        }
        p.refused = p.refused.with(asked);
        p.classes = p.classes.with(ev.class);
        p.codes.add(&(ev.class, ev.code), 1);
        let operation = strings.get(&ev.operation);
        bump(&mut p.operations, &operation, || operation.clone());
        let proc_key = strings.get(&ev.process.to_lowercase());
        let process = strings.get(&ev.process);
        if let Some(v) = p
            .processes
            .slot(&*proc_key, || (proc_key.clone(), (process.clone(), 0)))
        {
            v.1 += 1;
        }
        p.inputs.add(&ev.input, 1);
        p.families = p.families.with(ev.family);
        // Log messages (not Procmon's Detail columns) may be ones the verdict table knows.
        if ev.family != crate::model::Family::Procmon {
            let text = ev.detail.to_lowercase();
            for (i, m) in crate::verdict::known_messages().enumerate() {
                if text.contains(m) {
                    p.message_bits |= 1 << i;
                }
            }
        }
        // One copy of the record's time for its first, last and key occurrence.
        let at = Arc::new(ev.time.clone());
        let occ = Occurrence {
            input: ev.input,
            line: ev.line,
            time: at.clone(),
        };
        if p.first.is_none() {
            p.first = Some(occ.clone());
        }
        p.last = Some(occ);
        if wants_sample(&p.samples, ev.family) {
            // One string with the display spelling when spelt alike (looked up only
            // here: a few samples a path, not every record).
            let path = (display == *ev.path)
                .then(|| known(&p.spellings, &display))
                .flatten()
                .unwrap_or_else(|| Text::from(ev.path.as_ref()));
            push_sample(
                &mut p.samples,
                Sample {
                    input: ev.input,
                    family: ev.family,
                    line: ev.line,
                    time: at.clone(),
                    process: process.clone(),
                    pid: ev.pid,
                    operation: operation.clone(),
                    path,
                    result: strings.get(&ev.result),
                    detail: strings.get(&truncate(&ev.detail, DETAIL_MAX)),
                },
            );
        }
        let id = (proc_key, operation.clone(), asked);
        let tracked = p.recovery.deny(id, ev.offset, || Stamp {
            input: ev.input,
            pid: ev.pid,
            offset: ev.offset,
            line: ev.line,
            time: at,
        });
        p.keys_dropped += u64::from(!tracked);
    }

    /// Records a process exit (non-zero statuses only; at most [`MAX_EXITS`]).
    pub fn add_exit(&mut self, exit: ProcessExit) {
        if exit.status == 0 {
            return;
        }
        if self.exits.len() < MAX_EXITS {
            self.exits.push(exit);
        } else {
            self.exits_dropped += 1;
        }
    }

    /// Records a piece of pathless evidence.
    pub fn add_note(&mut self, note: Note) {
        let key = (
            note.kind,
            note.source.clone(),
            note.process.as_ref().map(|p| p.to_lowercase()),
            note.code,
            note.subject.clone(),
        );
        self.absorb_note(
            key,
            NoteAgg {
                first: note.clone(),
                last: note,
                count: 1,
            },
        );
    }

    fn absorb_note(&mut self, key: NoteKey, n: NoteAgg) {
        let full = self.notes.len() >= MAX_NOTES;
        match self.notes.get_mut(&key) {
            Some(mine) => {
                mine.count += n.count;
                mine.last = n.last;
            }
            None if full => self.notes_dropped += n.count,
            None => {
                self.notes.insert(key, n);
            }
        }
    }

    /// Merges `later` (whose lines and byte offsets are relative to `lines` and
    /// `bytes`) after `self`.
    pub fn merge(&mut self, later: Aggregate, lines: u64, bytes: u64) {
        self.signatures.absorb(later.signatures);
        self.untimed += later.untimed;
        self.undated += later.undated;
        self.exits_dropped += later.exits_dropped;
        self.notes_dropped += later.notes_dropped;
        for (key, mut n) in later.notes {
            n.first.line += lines;
            n.last.line += lines;
            self.absorb_note(key, n);
        }
        for mut e in later.exits {
            e.line += lines;
            e.offset += bytes;
            self.add_exit(e);
        }
        for (key, mut q) in later.paths {
            q.shift(lines, bytes);
            match self.paths.get_mut(&key) {
                None => {
                    self.paths.insert(key, q);
                }
                Some(p) => p.absorb(*q),
            }
        }
    }

    /// Ends an input's reading: sets each path's unrecovered count (the denials of
    /// keys that never recovered, by `recovered(path key, process, operation,
    /// access)`) and its last unrecovered failure per process, then drops the
    /// per-input keys. A source with no notion of a later success (an event log)
    /// passes `&|_, _, _, _| false`: every failure stands.
    pub fn settle(&mut self, recovered: &dyn Fn(&str, &str, &str, Access) -> bool) {
        for (pk, p) in self.paths.iter_mut() {
            let processes = &p.processes;
            let shown = |proc_: &Text| {
                processes
                    .get(&**proc_)
                    .map_or_else(|| proc_.clone(), |(shown, _)| shown.clone())
            };
            let open = p
                .recovery
                .settle(|proc_, op, acc| recovered(pk, proc_, op, acc), shown);
            // Denials past the key cap were never tracked: they count as unrecovered.
            if let Some(open) = open {
                p.unrecovered = open + p.keys_dropped;
                p.keys_dropped = 0;
            }
        }
    }

    /// Total events folded in.
    pub fn events(&self) -> u64 {
        self.paths.values().map(|p| p.count).sum()
    }
}

impl PathAgg {
    fn shift(&mut self, offset: u64, bytes: u64) {
        self.recovery.shift(offset, bytes);
        if offset == 0 {
            return;
        }
        for o in self.first.iter_mut().chain(self.last.iter_mut()) {
            o.line += offset;
        }
        for s in &mut self.samples {
            s.line += offset;
        }
    }

    /// Adds a later aggregate of the same path (already shifted).
    fn absorb(&mut self, q: PathAgg) {
        self.spellings.absorb_counts(q.spellings);
        self.count += q.count;
        self.write_intent += q.write_intent;
        self.probes += q.probes;
        self.refused = self.refused.with(q.refused);
        self.unrecovered += q.unrecovered;
        self.classes = self.classes.union(q.classes);
        self.codes.absorb_counts(q.codes);
        self.operations.absorb_counts(q.operations);
        self.processes.absorb(q.processes, |a, b| a.1 += b.1);
        self.inputs.absorb_counts(q.inputs);
        self.families = self.families.union(q.families);
        self.message_bits |= q.message_bits;
        self.first = pick(self.first.take(), q.first, true);
        self.last = pick(self.last.take(), q.last, false);
        for s in q.samples {
            if wants_sample(&self.samples, s.family) {
                push_sample(&mut self.samples, s);
            }
        }
        self.keys_dropped += q.keys_dropped + self.recovery.absorb(q.recovery);
    }

    /// The known messages its records logged.
    pub fn messages(&self) -> Vec<&'static str> {
        crate::verdict::known_messages()
            .enumerate()
            .filter(|(i, _)| self.message_bits & (1 << i) != 0)
            .map(|(_, m)| m)
            .collect()
    }

    /// The most frequent display spelling (ties: the lexically smallest, for determinism).
    pub fn display(&self) -> &str {
        self.spellings
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
            .map(|(s, _)| &**s)
            .unwrap_or("")
    }
}

/// Chooses the earlier (`earliest`) or later of two occurrences. `a` always precedes
/// `b` in merge order (input order, then line); an absolute time from a date column
/// overrides that order when both have one.
fn pick(a: Option<Occurrence>, b: Option<Occurrence>, earliest: bool) -> Option<Occurrence> {
    match (a, b) {
        (Some(a), Some(b)) => {
            let b_first = match (a.time.absolute_ns(), b.time.absolute_ns()) {
                (Some(x), Some(y)) if a.input != b.input && a.time.utc == b.time.utc => y < x,
                _ => false,
            };
            Some(if b_first == earliest { b } else { a })
        }
        (a, b) => a.or(b),
    }
}

/// Whether a record of `family` earns a sample: while there is room, or when no
/// sample of its family is kept yet (evidence across sources shows every source).
fn wants_sample(samples: &[Sample], family: crate::model::Family) -> bool {
    samples.len() < SAMPLES_PER_PATH || !samples.iter().any(|s| s.family == family)
}

/// Keeps `s`; when full, it replaces the latest sample of the family that has the most.
fn push_sample(samples: &mut SmallVec<[Sample; 1]>, s: Sample) {
    if samples.len() < SAMPLES_PER_PATH {
        samples.reserve_exact(1);
        samples.push(s);
        return;
    }
    let count = |f| samples.iter().filter(|x| x.family == f).count();
    let most = samples.iter().map(|x| x.family).max_by_key(|&f| count(f));
    if let Some(i) = most.and_then(|f| samples.iter().rposition(|x| x.family == f)) {
        samples.remove(i);
        samples.push(s);
    }
}

/// The tally's own copy of `s`, if it counts it.
fn known(t: &Tally<Text>, s: &str) -> Option<Text> {
    t.keys().find(|k| ***k == *s).cloned()
}

/// Counts `s` once more (`make` gives the string to keep on first sight).
fn bump(t: &mut Tally<Text>, s: &str, make: impl FnOnce() -> Text) {
    if let Some(n) = t.slot(s, || (make(), 0)) {
        *n += 1;
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    fn ev(line: u64, path: &str, process: &str, op: &str) -> Event<'static> {
        Event {
            family: crate::model::Family::Procmon,
            input: 0,
            line,
            offset: line * 10,
            process: Cow::Owned(process.into()),
            pid: Some(1),
            operation: Cow::Owned(op.into()),
            path: Cow::Owned(path.into()),
            code: Code::ntstatus(0xC000_0022),
            class: StatusClass::Denied,
            result: Cow::Borrowed("ACCESS DENIED"),
            detail: Cow::Borrowed(""),
            time: Moment {
                text: format!("t{line}").into(),
                ..Moment::default()
            },
        }
    }

    #[test]
    fn chunked_merge_equals_one_pass() {
        let events: Vec<Event> = (1..=10)
            .map(|i| {
                ev(
                    i,
                    if i % 2 == 0 { "C:\\A" } else { "c:/a/" },
                    if i % 3 == 0 { "X.exe" } else { "x.exe" },
                    "WriteFile",
                )
            })
            .collect();
        let mut whole = Aggregate::default();
        events.iter().for_each(|e| whole.add(e));
        let mut merged = Aggregate::default();
        for part in events.chunks(3) {
            let base = part[0].line - 1;
            let mut a = Aggregate::default();
            for e in part {
                let mut e = e.clone();
                e.line -= base;
                e.offset -= base * 10;
                a.add(&e);
            }
            merged.merge(a, base, base * 10);
        }
        let (w, m) = (&whole.paths["c:\\a"], &merged.paths["c:\\a"]);
        assert_eq!(w.count, 10);
        assert_eq!(w.count, m.count);
        assert_eq!(w.first, m.first);
        assert_eq!(w.last, m.last);
        assert_eq!(w.samples, m.samples);
        assert_eq!(w.processes, m.processes);
        assert_eq!(w.recovery, m.recovery);
        assert_eq!(m.processes.get("x.exe").map(|p| p.1), Some(10));
        assert_eq!(m.write_intent, 10);
        assert_eq!(m.last.as_ref().unwrap().line, 10);
    }

    #[test]
    fn every_family_keeps_a_sample_and_the_families_are_listed() {
        let mut a = Aggregate::default();
        for i in 1..=5 {
            a.add(&ev(i, "C:\\A", "x.exe", "WriteFile"));
        }
        let mut e = ev(6, "c:/a", "x.exe", "Security 4656 audit failure");
        e.family = crate::model::Family::Evtx;
        let mut later = Aggregate::default();
        later.add(&e);
        a.merge(later, 0, 0);
        let p = &a.paths["c:\\a"];
        assert_eq!(p.samples.len(), SAMPLES_PER_PATH);
        assert_eq!(
            p.samples.iter().map(|s| s.line).collect::<Vec<_>>(),
            vec![1, 2, 6],
            "the event log's record replaced a third Procmon sample"
        );
        assert_eq!(p.families.len(), 2);
        assert_eq!(
            crate::rank::factors(p).agreement,
            crate::rank::AGREEMENT_POINTS
        );
    }

    #[test]
    fn denials_of_keys_past_the_cap_still_count_as_unrecovered() {
        // 40 operations in each half, 2 denials each: 80 keys for a cap of 64, half
        // of them in the later aggregate, so some are refused when merged.
        let half = |from: u64| {
            let mut a = Aggregate::default();
            for i in from..from + 40 {
                for _ in 0..2 {
                    a.add(&ev(i, "C:\\A", "x.exe", &format!("Op{i}")));
                }
            }
            a
        };
        let mut a = half(0);
        a.merge(half(40), 0, 0);
        a.settle(&|_, _, _, _| false);
        let p = &a.paths["c:\\a"];
        assert_eq!(p.count, 160);
        assert_eq!(p.unrecovered, p.count, "every denial, tracked or not");
    }

    #[test]
    fn display_is_the_most_common_spelling() {
        let mut a = Aggregate::default();
        for p in [
            "HKLM\\Software\\X",
            "HKLM\\SOFTWARE\\X",
            "HKLM\\SOFTWARE\\X",
            "\\REGISTRY\\MACHINE\\SOFTWARE\\X",
        ] {
            a.add(&ev(1, p, "p.exe", "RegSetValue"));
        }
        assert_eq!(a.paths.len(), 1);
        assert_eq!(a.paths["hklm\\software\\x"].display(), "HKLM\\SOFTWARE\\X");
    }
}
