//! Servicing text logs: CBS.log and CbsPersist, dism.log, Panther and setup logs.
//!
//! One record assembler serves them all ([`mod@line`]): a line that starts with a
//! timestamp opens a record, other lines continue it. A literal prefilter over the
//! code spellings finds the few lines worth reading; only their records are assembled
//! and parsed ([`status`] for the codes, [`paths`] for the path, [`process`] for who
//! wrote it). A record whose code is selected and that names a path is a failure on
//! that path; one that names none is ticket context. Times are local, without a zone.

pub mod line;
pub mod paths;
pub mod process;
pub mod repair;
pub mod status;

use super::io::open::Opened;
use super::io::prefilter::Prefilter;
use super::{FileScan, Format, Origin, Reading};
use crate::codes::{Code, StatusClass, code_of_value};
use crate::filter::Filter;
use crate::model::{Event, Family, Moment, Note, NoteKind};
use crate::progress::Progress;
use line::{Header, header, opens_record};

/// Most lines a record spans (its first line and its continuations) that are read;
/// and most bytes. A longer record is cut there (a logged script, a hostile line).
const RECORD_LINES: usize = 64;
const RECORD_BYTES: usize = 64 * 1024;

/// A CBS.log (or CbsPersist, or Panther cbs.log): mostly CBS and CSI records.
pub const CBS: Format = Format {
    kind: "cbs-log",
    family: Family::Servicing,
    origin: Origin::Line,
    recognise: |head| kind_of(head) == Some("cbs-log"),
    read,
};

/// A dism.log: mostly DISM records.
pub const DISM: Format = Format {
    kind: "dism-log",
    family: Family::Servicing,
    origin: Origin::Line,
    recognise: |head| kind_of(head) == Some("dism-log"),
    read,
};

/// Panther setupact/setuperr, DPX and other logs of the same grammar.
pub const SETUP: Format = Format {
    kind: "setup-log",
    family: Family::Servicing,
    origin: Origin::Line,
    recognise: |head| kind_of(head) == Some("setup-log"),
    read,
};

/// Which of the three a head is: by the components of its first records. `None`
/// when no record opens in its first 200 lines.
fn kind_of(head: &[u8]) -> Option<&'static str> {
    let text = String::from_utf8_lossy(head);
    let (mut records, mut cbs, mut dism) = (0, 0, 0);
    for l in text.lines().take(200) {
        let Some(at) = opens_record(l.as_bytes()) else {
            continue;
        };
        let Some(h) = header(&l[at..]) else { continue };
        records += 1;
        match h.component {
            "CBS" | "CSI" | "SXS" => cbs += 1,
            "DISM" => dism += 1,
            _ if h.message.starts_with("DISM") => dism += 1,
            _ => {}
        }
    }
    if records == 0 {
        None
    } else if dism > cbs {
        Some("dism-log")
    } else if cbs > 0 {
        Some("cbs-log")
    } else {
        Some("setup-log")
    }
}

/// The literals a servicing record must hold to be worth reading: every spelling of
/// every selected code (its hex digits in lower and upper case, the `0x5` forms of
/// Win32 codes, the tables' names), and the lines that say which PID is dism.exe's.
/// Case-sensitive on purpose: each case is listed, so the search runs on SIMD
/// (a caseless automaton cannot).
pub fn literals(filter: &Filter) -> Vec<String> {
    let numbers = filter.statuses.values_in_every_space();
    let mut lits = vec!["Manager: PID=".to_string(), "Session: PID=".to_string()];
    for &n in &numbers {
        if n > 0xFFFF {
            lits.push(format!("{n:08x}"));
            lits.push(format!("{n:08X}"));
        } else {
            lits.push(format!("0x{n:x}"));
            lits.push(format!("0x{n:X}"));
            lits.push(format!("0X{n:X}"));
        }
        if let Some(name) = code_of_value(n).name() {
            lits.push(name.to_string());
        }
    }
    if filter.statuses.has_class(repair::CLASS) {
        lits.extend(repair::LINES.iter().map(|(m, _)| m.to_string()));
    }
    // The tables' names share two stems: search the stem once, not each name.
    for stem in ["ACCESS_DENIED", "WRITE_PROTECT"] {
        lits.retain(|l| !l.contains(stem));
        lits.push(stem.to_string());
    }
    lits.sort();
    lits.dedup();
    lits
}

fn read(opened: Opened, r: &Reading<'_>) -> FileScan {
    r.with_bytes(opened, |b| {
        scan(b, r.filter(), &r.prepared.servicing, r.index, r.progress)
    })
}

/// The lines of `text` from `start`, at most [`RECORD_LINES`] and [`RECORD_BYTES`],
/// up to the next record: (end of the record, its text).
fn record_end(text: &[u8], start: usize) -> usize {
    let mut at = memchr::memchr(b'\n', &text[start..]).map_or(text.len(), |i| start + i + 1);
    for _ in 1..RECORD_LINES {
        if at >= text.len() || at - start >= RECORD_BYTES || opens_record(&text[at..]).is_some() {
            break;
        }
        at = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i + 1);
    }
    at.min(start + RECORD_BYTES).min(text.len())
}

/// Where the record holding the line at `ls` starts: that line, or an earlier one
/// within [`RECORD_LINES`] and [`RECORD_BYTES`]. `None` for an orphan continuation.
fn record_start(text: &[u8], ls: usize) -> Option<usize> {
    let mut at = ls;
    for _ in 0..RECORD_LINES {
        if opens_record(&text[at..]).is_some() {
            return Some(at);
        }
        if at == 0 || ls - at >= RECORD_BYTES {
            return None;
        }
        at = memchr::memrchr(b'\n', &text[..at - 1]).map_or(0, |i| i + 1);
    }
    None
}

/// Bytes per parallel slice of the prefilter pass.
const SLICE: usize = 8 << 20;

/// The line count of `text` and the candidate lines the prefilter finds, searched
/// in line-aligned slices on every thread; candidates come back in file order.
fn candidates(text: &[u8], pre: &Prefilter) -> (u64, Vec<(usize, usize)>) {
    use rayon::prelude::*;
    let mut bounds = vec![0usize];
    while *bounds.last().unwrap() < text.len() {
        let from = *bounds.last().unwrap() + SLICE;
        let next = if from >= text.len() {
            text.len()
        } else {
            memchr::memchr(b'\n', &text[from..]).map_or(text.len(), |i| from + i + 1)
        };
        bounds.push(next);
    }
    let parts: Vec<(u64, Vec<(usize, usize)>)> = bounds
        .par_windows(2)
        .map(|w| {
            let slice = &text[w[0]..w[1]];
            let mut ranges = Vec::new();
            pre.lines(slice, &mut ranges);
            let lines = memchr::memchr_iter(b'\n', slice).count() as u64;
            (
                lines,
                ranges
                    .into_iter()
                    .map(|(a, b)| (a + w[0], b + w[0]))
                    .collect(),
            )
        })
        .collect();
    let mut rows = u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    let mut all = Vec::new();
    for (lines, ranges) in parts {
        rows += lines;
        all.extend(ranges);
    }
    (rows, all)
}

/// Reads one decoded servicing log held in memory.
pub fn scan(
    text: &[u8],
    filter: &Filter,
    pre: &Prefilter,
    input: u32,
    progress: &dyn Progress,
) -> FileScan {
    let mut out = FileScan::default();
    let (rows, ranges) = candidates(text, pre);
    out.stats.rows = rows;
    let mut st = State {
        out: &mut out,
        filter,
        input,
        pids: process::Pids::default(),
        chain: Chain::default(),
        pairing: repair::Pairing::default(),
        paired: Vec::new(),
    };
    let (mut counted, mut line_no) = (0usize, 1u64);
    let mut last_record = usize::MAX;
    for (ls, _) in ranges {
        let Some(start) = record_start(text, ls) else {
            st.out.stats.bad_rows += 1;
            let line = line_no + memchr::memchr_iter(b'\n', &text[counted..ls]).count() as u64;
            if st.out.stats.first_bad.is_none() {
                st.out.stats.first_bad =
                    Some((line, "a status on a line that belongs to no record".into()));
            }
            continue;
        };
        if start == last_record {
            continue;
        }
        last_record = start;
        if start >= counted {
            line_no += memchr::memchr_iter(b'\n', &text[counted..start]).count() as u64;
            counted = start;
        }
        let end = record_end(text, start);
        let raw = String::from_utf8_lossy(&text[start..end]);
        let prefix = opens_record(raw.as_bytes()).unwrap_or(0);
        let first = raw[prefix..].lines().next().unwrap_or("");
        let Some(h) = header(first) else {
            st.out.stats.bad_rows += 1;
            if st.out.stats.first_bad.is_none() {
                st.out.stats.first_bad =
                    Some((line_no, "a record header that does not parse".into()));
            }
            continue;
        };
        st.pids.learn(&h);
        // The message and its continuation lines.
        let mut message = h.message.trim_end().to_string();
        for cont in raw[prefix..].lines().skip(1) {
            let cont = cont.trim_end();
            if !cont.is_empty() {
                message.push('\n');
                message.push_str(cont);
            }
        }
        st.keep(&h, &message, line_no, start as u64);
    }
    st.pairing.finish(&mut st.paired);
    st.flush_paired();
    progress.advance(text.len() as u64);
    out.agg.settle(&|_, _, _, _| false);
    out
}

/// How far back (in lines) a failure that names no path looks for its cause.
const CHAIN_LINES: u64 = 500;
/// How many recent path failures are remembered for that.
const CHAIN_KEPT: usize = 16;

/// The last path failures, newest last: where a pathless failure of the same writer
/// (process and PID, or a helper it drives) is traced back to.
#[derive(Default)]
struct Chain(std::collections::VecDeque<(u64, String, Option<u32>, String)>);

impl Chain {
    fn push(&mut self, line: u64, process: &str, pid: Option<u32>, path: &str) {
        if self.0.len() == CHAIN_KEPT {
            self.0.pop_front();
        }
        self.0
            .push_back((line, process.to_string(), pid, path.to_string()));
    }

    /// The latest failure within [`CHAIN_LINES`] before `line` of the same writer
    /// (same process and PID), or of a helper it drives (dism.exe reports what
    /// DismHost.exe met: [`crate::context::HELPERS`]).
    fn cause(&self, line: u64, process: &str, pid: Option<u32>) -> Option<String> {
        let me = process.to_lowercase();
        let helpers: &[&str] = crate::context::HELPERS
            .iter()
            .find(|(p, _)| *p == me)
            .map_or(&[], |(_, h)| h);
        self.0
            .iter()
            .rev()
            .find(|(l, p, q, _)| {
                let p = p.to_lowercase();
                *l < line
                    && line - l <= CHAIN_LINES
                    && ((p == me && (pid.is_none() || *q == pid)) || helpers.contains(&p.as_str()))
            })
            .map(|(l, _, _, path)| format!("{path} (line {l})"))
    }
}

/// What one log's pass carries from record to record.
struct State<'o, 'f> {
    out: &'o mut FileScan,
    filter: &'f Filter,
    input: u32,
    pids: process::Pids,
    chain: Chain,
    /// `[SR]` member lines waiting for their full path.
    pairing: repair::Pairing<Event<'static>>,
    /// Lines the pairing settled, to be added.
    paired: Vec<(Event<'static>, Option<String>)>,
}

impl State<'_, '_> {
    /// The process that wrote `h`, when the filter wants it (counted otherwise).
    fn writer(&mut self, h: &Header<'_>) -> Option<(String, Option<u32>, bool)> {
        let (process, pid) = self.pids.of(h);
        let known = process != process::UNKNOWN;
        let wanted = if known {
            self.filter.processes.matches(&process)
        } else {
            self.filter.processes == crate::filter::ProcessSet::All
        };
        if !wanted {
            self.out.stats.others += 1;
            return None;
        }
        Some((process, pid, known))
    }

    /// Folds one record in when it holds a selected code (or, when asked, is an
    /// `[SR]` line of a file SFC could not repair).
    fn keep(&mut self, h: &Header<'_>, message: &str, line: u64, offset: u64) {
        let first_line = message.lines().next().unwrap_or("");
        if self.filter.statuses.has_class(repair::CLASS)
            && let Some(shape) = repair::shape(first_line)
        {
            return self.unrepaired(h, shape, message, line, offset);
        }
        let found = status::codes(message)
            .into_iter()
            .find_map(|c| self.filter.statuses.match_code(c).map(|class| (c, class)));
        let Some((code, class)) = found else { return };
        let Some((process, pid, known)) = self.writer(h) else {
            return;
        };
        let time = moment(h);
        if !self.filter.window.contains(&time) {
            return;
        }
        self.out.stats.matches += 1;
        let source = if h.component.is_empty() {
            "servicing log".to_string()
        } else {
            format!("{} log", h.component)
        };
        let found_path = paths::first_path(message);
        if let Some(p) = &found_path {
            self.chain.push(line, &process, pid, p);
        }
        let input = self.input;
        match found_path {
            Some(path) => {
                let result = code.name().unwrap_or("");
                let at = At {
                    input,
                    line,
                    offset,
                };
                let ev = at.event(first_line, process, pid, path, (code, class, result), time);
                self.out.agg.add(&ev)
            }
            None => self.out.agg.add_note(Note {
                input,
                family: Family::Servicing,
                line,
                kind: NoteKind::Code,
                source,
                cause: self.chain.cause(line, &process, pid),
                process: known.then_some(process),
                code: Some(code.value),
                subject: first_line.chars().take(200).collect(),
                benign: None,
                time,
            }),
        }
    }

    /// An `[SR]` line: a finding of the unrepairable class on its file, once the
    /// file's full path is known ([`repair::Pairing`]).
    fn unrepaired(
        &mut self,
        h: &Header<'_>,
        shape: repair::Shape,
        message: &str,
        line: u64,
        offset: u64,
    ) {
        let first_line = message.lines().next().unwrap_or("");
        let Some(path) = paths::first_path(first_line) else {
            return;
        };
        if shape != repair::Shape::Member {
            self.pairing.full(line, &path, &mut self.paired);
        }
        if shape != repair::Shape::Unable
            && let Some((process, pid, _)) = self.writer(h)
        {
            let time = moment(h);
            if self.filter.window.contains(&time) {
                self.out.stats.matches += 1;
                let (code, name) = repair::reason_code(first_line);
                let status = (code, repair::CLASS, name);
                let at = At {
                    input: self.input,
                    line,
                    offset,
                };
                let ev = at.event(first_line, process, pid, path.clone(), status, time);
                match shape {
                    repair::Shape::Member => self.pairing.member(line, &path, ev, &mut self.paired),
                    _ => self.paired.push((ev, None)),
                }
            }
        }
        self.flush_paired();
    }

    /// Adds the `[SR]` findings the pairing settled, each on its full path when one
    /// was found.
    fn flush_paired(&mut self) {
        for (mut ev, full) in self.paired.drain(..) {
            if let Some(p) = full {
                ev.path = p.into();
            }
            self.out.agg.add(&ev);
        }
    }
}

/// Where a record is.
struct At {
    input: u32,
    line: u64,
    offset: u64,
}

impl At {
    /// The event a record gives: its first line says what was attempted.
    fn event(
        self,
        first_line: &str,
        process: String,
        pid: Option<u32>,
        path: String,
        (code, class, result): (Code, StatusClass, &str),
        time: Moment,
    ) -> Event<'static> {
        Event {
            input: self.input,
            family: Family::Servicing,
            line: self.line,
            offset: self.offset,
            process: process.into(),
            pid,
            operation: operation(first_line).into(),
            path: path.into(),
            code,
            class,
            result: result.to_string().into(),
            detail: first_line.to_string().into(),
            time,
        }
    }
}

/// A servicing record's time: local, without a zone.
fn moment(h: &Header<'_>) -> Moment {
    Moment {
        text: format!("{:04}-{:02}-{:02} {}", h.date.0, h.date.1, h.date.2, h.time).into(),
        time_of_day_ns: crate::timefmt::time_of_day_ns(h.time),
        date: Some(h.date),
        utc: false,
    }
}

/// What a record says was attempted: its text up to the first `:` or path, cut short
/// (`Failed to unload offline registry`); a DISM record's `Class::Method`.
fn operation(message: &str) -> String {
    let m = message.trim();
    // DISM: `… - CPackageManagerCLIHandler::ProcessCmdLine_CleanupImage(hr:0x…)`.
    if let Some((_, tail)) = m.rsplit_once(" - ")
        && tail.contains("::")
    {
        return tail.split('(').next().unwrap_or(tail).trim().to_string();
    }
    // A CSI record's sequence number (`000001ca [SR] Cannot repair …`).
    let m = match m.split_once(' ') {
        Some((seq, rest)) if seq.len() == 8 && seq.bytes().all(|b| b.is_ascii_hexdigit()) => {
            rest.trim_start()
        }
        _ => m,
    };
    let m = m
        .strip_prefix('[')
        .and_then(|r| r.split_once("] "))
        .map_or(m, |(_, r)| r);
    let cut = m
        .find([':', '[', '\'', '"', '{'])
        .unwrap_or(m.len())
        .min(paths::first_path_start(m).unwrap_or(m.len()));
    let op: String = m[..cut].trim().chars().take(80).collect();
    if op.is_empty() {
        "servicing".to_string()
    } else {
        op
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_the_verb_or_the_method() {
        assert_eq!(
            operation("Failed to unload offline registry: {bf1a}F:/x, the client"),
            "Failed to unload offline registry"
        );
        assert_eq!(
            operation(
                "DISM Package Manager: PID=5372 TID=12244 Failed. - CPackageManagerCLIHandler::ProcessCmdLine_CleanupImage(hr:0x800f081f)"
            ),
            "CPackageManagerCLIHandler::ProcessCmdLine_CleanupImage"
        );
        assert_eq!(
            operation("[SetupPlatform.exe] SetFirmwareEnvironmentVariableW() error = 0x5"),
            "SetFirmwareEnvironmentVariableW() error = 0x5"
        );
        assert_eq!(
            operation("000001ca [SR] Cannot repair member file [l:9]'a.svg' of X"),
            "Cannot repair member file"
        );
    }

    #[test]
    fn a_pathless_failure_follows_its_writers_last_path_failure() {
        let mut c = Chain::default();
        c.push(9, "DismHost.exe", Some(5512), "C:\\x\\mstsc.exe");
        c.push(10, "TiWorker.exe", None, "C:\\y");
        assert_eq!(
            c.cause(11, "DismHost.exe", Some(5512)).as_deref(),
            Some("C:\\x\\mstsc.exe (line 9)")
        );
        assert_eq!(c.cause(11, "DismHost.exe", Some(1)), None, "another PID");
        // dism.exe reports what its helpers met; the latest of them.
        assert_eq!(
            c.cause(12, "dism.exe", None).as_deref(),
            Some("C:\\y (line 10)")
        );
        assert_eq!(
            c.cause(9 + CHAIN_LINES + 1, "DismHost.exe", Some(5512)),
            None,
            "too far"
        );
        assert_eq!(c.cause(11, "setup.exe", None), None);
    }

    #[test]
    fn kinds_by_components() {
        let cbs = b"2019-06-05 13:04:22, Info                  CBS    x\r\n2019-06-05 13:04:22, Info                  CSI    y\r\n";
        assert_eq!(kind_of(cbs), Some("cbs-log"));
        let dism = b"\xEF\xBB\xBFjunk\n2019-06-05 13:04:18, Info                  DISM   PID=1804 TID=1796 x\n";
        assert_eq!(kind_of(&dism[3..]), Some("dism-log"));
        let setup = b"2024-01-25 16:35:37, Error      [0x0f0070] SYSPRP RunDlls:x\n";
        assert_eq!(kind_of(setup), Some("setup-log"));
        assert_eq!(kind_of(b"Time,Process\n1,2\n"), None);
    }
}
