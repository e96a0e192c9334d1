//! Procmon CSV exports (any column set and order, UTF-8 with or without BOM, UTF-16,
//! quoted or Excel-re-saved, comma, semicolon or TAB separated, gzipped or not).
//!
//! Two passes, both line-parallel:
//! 1. a literal prefilter (Aho-Corasick over the Result words and hex forms of the
//!    selected statuses) finds candidate lines; only those are parsed (csv crate,
//!    `ByteRecord`) and matched on the Result *field* and the Process Name *field*;
//! 2. if anything matched, a second prefilter over the raw spellings of the matched
//!    paths finds the later records of the same process, path and operation, to tell
//!    recovered denials (a later SUCCESS) from unrecovered ones.

use std::borrow::Cow;
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use csv::ByteRecord;

use super::chunks::{self, Body};
use super::open::{self, Opened, Text};
use crate::aggregate::Aggregate;
use crate::codes::{self, Code};
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::{Event, Moment};
use crate::pathnorm;
use crate::progress::Progress;
use crate::timefmt;

/// Column names culprit cannot work without.
const REQUIRED: [&str; 4] = ["Process Name", "Operation", "Path", "Result"];
/// Column names Procmon writes; a header with three of them is a Procmon header.
const KNOWN: &[&str] = &[
    "Time of Day",
    "Process Name",
    "PID",
    "Operation",
    "Path",
    "Result",
    "Detail",
    "Date & Time",
    "Relative Time",
    "Duration",
    "Completion Time",
    "Event Class",
    "Sequence",
    "Image Path",
    "Company",
    "Description",
    "Version",
    "User",
    "Authentication ID",
    "Session",
    "Command Line",
    "TID",
    "Virtualized",
    "Integrity",
    "Category",
    "Parent PID",
    "Architecture",
];

/// Where the needed columns are, by header name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Columns {
    pub process: usize,
    pub operation: usize,
    pub path: usize,
    pub result: usize,
    pub pid: Option<usize>,
    pub detail: Option<usize>,
    pub time: Option<usize>,
    pub date_time: Option<usize>,
    /// Fields a record needs at least (the highest required index + 1).
    pub min_fields: usize,
    pub delimiter: u8,
}

/// What the first line says about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Header {
    Procmon(Columns),
    /// A Procmon header without a needed column.
    Missing {
        column: &'static str,
        found: String,
    },
    /// Not a Procmon CSV at all.
    Other,
}

fn guess_delimiter(line: &[u8]) -> u8 {
    let count = |d: u8| line.iter().filter(|&&b| b == d).count();
    [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|&d| count(d))
        .unwrap_or(b',')
}

/// Parses one line as a CSV record into `rec` (fields keep their bytes).
fn parse_record(line: &[u8], delimiter: u8, rec: &mut ByteRecord) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .buffer_capacity(line.len() + 8)
        .from_reader(line);
    matches!(rdr.read_byte_record(rec), Ok(true))
}

/// Reads a header line.
pub fn parse_header(line: &[u8]) -> Header {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let delimiter = guess_delimiter(line);
    let mut rec = ByteRecord::new();
    if !parse_record(line, delimiter, &mut rec) {
        return Header::Other;
    }
    let names: Vec<String> = rec
        .iter()
        .map(|f| String::from_utf8_lossy(f).trim().to_string())
        .collect();
    let find = |n: &str| names.iter().position(|h| h.eq_ignore_ascii_case(n));
    let known = names
        .iter()
        .filter(|h| KNOWN.iter().any(|k| k.eq_ignore_ascii_case(h)))
        .count();
    if known < 3 {
        return Header::Other;
    }
    let mut req = [0usize; 4];
    for (i, col) in REQUIRED.iter().enumerate() {
        match find(col) {
            Some(ix) => req[i] = ix,
            None => {
                return Header::Missing {
                    column: col,
                    found: names.join(", "),
                };
            }
        }
    }
    Header::Procmon(Columns {
        process: req[0],
        operation: req[1],
        path: req[2],
        result: req[3],
        pid: find("PID"),
        detail: find("Detail"),
        time: find("Time of Day"),
        date_time: find("Date & Time"),
        min_fields: req.iter().max().copied().unwrap_or(0) + 1,
        delimiter,
    })
}

/// Counters of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Data lines after the header.
    pub rows: u64,
    /// Candidate records that could not be parsed (too few fields).
    pub bad_rows: u64,
    /// Records kept by the filter.
    pub matches: u64,
    /// The first bad record: line and reason.
    pub first_bad: Option<(u64, String)>,
}

/// The outcome of reading one file: what was read, and why it stopped if it did.
pub struct FileScan {
    pub agg: Aggregate,
    pub stats: Stats,
    pub error: Option<SourceError>,
}

/// A Procmon CSV scanner, built once per scan and shared by every file.
pub struct ProcmonCsv<'f> {
    filter: &'f Filter,
    literals: AhoCorasick,
    chunk: usize,
}

struct Part {
    newlines: u64,
    tail: bool,
    bad: u64,
    first_bad: Option<(u64, String)>,
    agg: Aggregate,
}

/// Recovery state of one (path, process, operation) key within a stretch of lines:
/// a monoid, so chunk results merge in order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seg {
    denials: u64,
    success: bool,
    /// Denials after the last SUCCESS (all of them when there is none).
    after: u64,
}

impl Seg {
    fn then(self, r: Seg) -> Seg {
        Seg {
            denials: self.denials + r.denials,
            success: self.success || r.success,
            after: if r.success {
                r.after
            } else {
                self.after + r.denials
            },
        }
    }
}

type RecoveryKey = (String, String, String);

/// Iterates the lines of `chunk` that contain a match of `ac`, with their 1-based line
/// number within the chunk. Also returns the chunk's newline count.
fn candidate_lines<'c>(
    chunk: &'c [u8],
    ac: &AhoCorasick,
    mut each: impl FnMut(u64, &'c [u8]),
) -> u64 {
    let mut pos = 0;
    let mut counted = 0;
    let mut line_no = 1u64;
    while pos < chunk.len() {
        let Some(m) = ac.find(aho_corasick::Input::new(chunk).span(pos..chunk.len())) else {
            break;
        };
        let ls = memchr::memrchr(b'\n', &chunk[..m.start()]).map_or(0, |i| i + 1);
        let le = memchr::memchr(b'\n', &chunk[m.end()..]).map_or(chunk.len(), |i| m.end() + i);
        line_no += memchr::memchr_iter(b'\n', &chunk[counted..ls]).count() as u64;
        counted = ls;
        each(line_no, &chunk[ls..le]);
        pos = le + 1;
    }
    line_no - 1 + memchr::memchr_iter(b'\n', &chunk[counted.min(chunk.len())..]).count() as u64
}

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

impl<'f> ProcmonCsv<'f> {
    pub fn new(filter: &'f Filter) -> ProcmonCsv<'f> {
        Self::with_chunk(filter, chunks::CHUNK)
    }

    /// A scanner with another chunk size (tests use tiny chunks to prove that chunked
    /// and whole-file parsing agree).
    pub fn with_chunk(filter: &'f Filter, chunk: usize) -> ProcmonCsv<'f> {
        let lits = filter.statuses.procmon_literals();
        let literals = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&lits)
            .expect("status literals form a valid automaton");
        ProcmonCsv {
            filter,
            literals,
            chunk: chunk.max(1),
        }
    }

    /// Decodes one parsed record into an event, if the filter keeps it.
    fn event<'r>(
        &self,
        cols: &Columns,
        rec: &'r ByteRecord,
        input: u32,
        line: u64,
    ) -> Option<Event<'r>> {
        let result = rec.get(cols.result)?;
        let status = codes::procmon_result(result)?;
        let class = self.filter.statuses.match_ntstatus(status)?;
        let process = lossy(rec.get(cols.process)?.trim_ascii());
        if !self.filter.processes.matches(&process) {
            return None;
        }
        let get = |c: Option<usize>| {
            c.and_then(|i| rec.get(i))
                .map(lossy)
                .unwrap_or(Cow::Borrowed(""))
        };
        let time_text = get(cols.time);
        let date_text = get(cols.date_time);
        let time = Moment {
            time_of_day_ns: timefmt::time_of_day_ns(&time_text)
                .or_else(|| timefmt::time_of_day_ns(date_text.split_once(' ').map_or("", |x| x.1))),
            date: timefmt::date_ymd(&date_text),
            text: if time_text.is_empty() {
                date_text.to_string()
            } else {
                time_text.to_string()
            },
        };
        Some(Event {
            input,
            line,
            process,
            pid: get(cols.pid).trim().parse().ok(),
            operation: lossy(rec.get(cols.operation)?.trim_ascii()),
            path: lossy(rec.get(cols.path)?),
            code: Code::ntstatus(status),
            class,
            result: lossy(result.trim_ascii()),
            detail: get(cols.detail),
            time,
        })
    }

    fn pass1(&self, cols: &Columns, input: u32, chunk: &[u8]) -> Part {
        let mut part = Part {
            newlines: 0,
            tail: !chunk.is_empty() && !chunk.ends_with(b"\n"),
            bad: 0,
            first_bad: None,
            agg: Aggregate::default(),
        };
        let mut rec = ByteRecord::new();
        part.newlines = candidate_lines(chunk, &self.literals, |line_no, line| {
            if !parse_record(line, cols.delimiter, &mut rec) || rec.len() < cols.min_fields {
                part.bad += 1;
                if part.first_bad.is_none() {
                    part.first_bad = Some((
                        line_no,
                        format!(
                            "{} fields, the header needs at least {}",
                            rec.len(),
                            cols.min_fields
                        ),
                    ));
                }
                return;
            }
            if let Some(ev) = self.event(cols, &rec, input, line_no) {
                part.agg.add(&ev);
            }
        });
        part
    }

    fn pass2(
        &self,
        cols: &Columns,
        keys: &HashMap<RecoveryKey, usize>,
        ac: &AhoCorasick,
        chunk: &[u8],
    ) -> HashMap<usize, Seg> {
        let mut segs: HashMap<usize, Seg> = HashMap::new();
        let mut rec = ByteRecord::new();
        candidate_lines(chunk, ac, |_, line| {
            if !parse_record(line, cols.delimiter, &mut rec) || rec.len() < cols.min_fields {
                return;
            }
            let (Some(result), Some(process), Some(op), Some(path)) = (
                rec.get(cols.result),
                rec.get(cols.process),
                rec.get(cols.operation),
                rec.get(cols.path),
            ) else {
                return;
            };
            let Some(status) = codes::procmon_result(result) else {
                return;
            };
            let success = status == 0;
            if !success && self.filter.statuses.match_ntstatus(status).is_none() {
                return;
            }
            let key = (
                pathnorm::key(&pathnorm::normalize(&lossy(path))),
                lossy(process.trim_ascii()).to_lowercase(),
                lossy(op.trim_ascii()).into_owned(),
            );
            if let Some(&ix) = keys.get(&key) {
                let s = segs.entry(ix).or_default();
                *s = s.then(if success {
                    Seg {
                        denials: 0,
                        success: true,
                        after: 0,
                    }
                } else {
                    Seg {
                        denials: 1,
                        success: false,
                        after: 1,
                    }
                });
            }
        });
        segs
    }

    /// Scans one opened file. `input` is its index in the scan's input list.
    pub fn scan(
        &self,
        path: &Path,
        opened: Opened,
        cols: &Columns,
        input: u32,
        progress: &dyn Progress,
    ) -> FileScan {
        let mut scan = FileScan {
            agg: Aggregate::default(),
            stats: Stats::default(),
            error: None,
        };
        let mut lines_before = 1u64; // the header line
        let mut pending_tail = false;
        let fold =
            |p: Part, scan: &mut FileScan, lines_before: &mut u64, pending_tail: &mut bool| {
                scan.stats.bad_rows += p.bad;
                if scan.stats.first_bad.is_none() {
                    scan.stats.first_bad = p.first_bad.map(|(l, why)| (l + *lines_before, why));
                }
                scan.agg.merge(p.agg, *lines_before);
                *lines_before += p.newlines;
                *pending_tail = p.tail;
            };
        let disk_len = opened.disk_len;
        let result = with_body(opened, |body| {
            chunks::drive(
                body,
                self.chunk,
                progress,
                |c| self.pass1(cols, input, c),
                |p| fold(p, &mut scan, &mut lines_before, &mut pending_tail),
            )
        });
        scan.stats.rows = lines_before - 1 + u64::from(pending_tail);
        scan.stats.matches = scan.agg.events();
        if let Err(e) = result {
            scan.error = Some(SourceError::Read {
                path: path.to_path_buf(),
                line: lines_before,
                offset: e.offset,
                source: e.source,
            });
            // Without the rest of the file, recovery cannot be judged: every denial
            // counts as unrecovered.
            finish_recovery(&mut scan.agg, &HashMap::new(), &[]);
            return scan;
        }
        if scan.agg.paths.is_empty() {
            return scan;
        }
        // Pass 2: recovery.
        let mut keys: HashMap<RecoveryKey, usize> = HashMap::new();
        let mut raws: Vec<String> = Vec::new();
        for (pk, p) in &scan.agg.paths {
            for (proc_, op) in p.keys.keys() {
                let n = keys.len();
                keys.entry((pk.clone(), proc_.clone(), op.clone()))
                    .or_insert(n);
            }
            raws.extend(
                p.raw
                    .keys()
                    .filter(|r| r.len() >= 3 && !r.contains('"'))
                    .cloned(),
            );
        }
        raws.sort();
        raws.dedup();
        let mut segs = vec![Seg::default(); keys.len()];
        if !raws.is_empty() {
            let ac = AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(&raws)
                .expect("paths form a valid automaton");
            progress.add_total(disk_len);
            let reopened = open::open(path);
            let second = match reopened {
                Ok(o) => with_body(o, |body| {
                    chunks::drive(
                        body,
                        self.chunk,
                        progress,
                        |c| self.pass2(cols, &keys, &ac, c),
                        |m| {
                            for (ix, s) in m {
                                segs[ix] = segs[ix].then(s);
                            }
                        },
                    )
                })
                .map_err(|e| e.source),
                Err(e) => Err(e),
            };
            if second.is_err() {
                segs.iter_mut().for_each(|s| *s = Seg::default());
            }
        }
        finish_recovery(&mut scan.agg, &keys, &segs);
        scan
    }
}

/// Sets each path's unrecovered count from the recovery pass and drops the per-file
/// recovery state. A key whose denials the second pass did not all find again (a
/// path spelled with quotes, a failed re-read) counts every denial as unrecovered.
fn finish_recovery(agg: &mut Aggregate, keys: &HashMap<RecoveryKey, usize>, segs: &[Seg]) {
    for (pk, p) in agg.paths.iter_mut() {
        let mut unrecovered = 0;
        for ((proc_, op), st) in p.keys.drain() {
            let seg = keys
                .get(&(pk.clone(), proc_, op))
                .and_then(|&ix| segs.get(ix))
                .copied()
                .unwrap_or_default();
            unrecovered += if seg.denials == st.denials {
                seg.after
            } else {
                st.denials
            };
        }
        p.unrecovered = unrecovered;
        p.raw.clear();
    }
}

/// Splits an opened input into header and body and runs `f` on the body.
fn with_body<T>(
    opened: Opened,
    f: impl FnOnce(Body<'_>) -> Result<T, chunks::StreamError>,
) -> Result<T, chunks::StreamError> {
    match opened.text {
        Text::Mapped { map, start } => {
            let data = &map[start..];
            let body = memchr::memchr(b'\n', data).map_or(&data[data.len()..], |i| &data[i + 1..]);
            f(Body::Mapped(body))
        }
        Text::Stream {
            mut reader,
            consumed,
        } => {
            let mut carry = Vec::new();
            let mut buf = [0u8; 64 * 1024];
            // Skip the header line (it was parsed from the sniffed head).
            loop {
                if let Some(i) = memchr::memchr(b'\n', &carry) {
                    carry.drain(..=i);
                    break;
                }
                match reader.read(&mut buf) {
                    Ok(0) => {
                        carry.clear();
                        break;
                    }
                    Ok(n) => carry.extend_from_slice(&buf[..n]),
                    Err(e) => {
                        return Err(chunks::StreamError {
                            offset: 0,
                            source: e,
                        });
                    }
                }
            }
            f(Body::Stream {
                reader: &mut *reader,
                carry,
                consumed,
            })
        }
    }
}

/// The header line of a sniffed head (without its line end).
pub fn header_line(head: &[u8]) -> &[u8] {
    let line = memchr::memchr(b'\n', head).map_or(head, |i| &head[..i]);
    line.strip_suffix(b"\r").unwrap_or(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_maps_columns_by_name_in_any_order() {
        let h = b"\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\",\"TID\",\"Category\",\"Date & Time\"";
        let Header::Procmon(c) = parse_header(h) else {
            panic!()
        };
        assert_eq!(
            (
                c.process,
                c.operation,
                c.path,
                c.result,
                c.detail,
                c.date_time
            ),
            (1, 3, 4, 5, Some(6), Some(9))
        );
        let h = b"Result;Path;Operation;Process Name";
        let Header::Procmon(c) = parse_header(h) else {
            panic!()
        };
        assert_eq!(
            (c.delimiter, c.result, c.process, c.min_fields),
            (b';', 0, 3, 4)
        );
    }

    #[test]
    fn header_missing_a_needed_column_is_named() {
        let h = b"\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Detail\"";
        assert!(matches!(
            parse_header(h),
            Header::Missing {
                column: "Result",
                ..
            }
        ));
        assert_eq!(parse_header(b"Name,Value,Comment"), Header::Other);
        assert_eq!(parse_header(b""), Header::Other);
    }

    #[test]
    fn candidate_lines_report_line_numbers_and_total() {
        let ac = AhoCorasick::new(["HIT"]).unwrap();
        let chunk = b"a\nHIT 1\nb\nc HIT\nHIT HIT\nlast";
        let mut seen = Vec::new();
        let n = candidate_lines(chunk, &ac, |l, line| seen.push((l, line.to_vec())));
        assert_eq!(
            seen,
            vec![
                (2, b"HIT 1".to_vec()),
                (4, b"c HIT".to_vec()),
                (5, b"HIT HIT".to_vec())
            ]
        );
        assert_eq!(n, 5);
    }

    #[test]
    fn recovery_segments_merge_associatively() {
        let d = Seg {
            denials: 1,
            success: false,
            after: 1,
        };
        let s = Seg {
            denials: 0,
            success: true,
            after: 0,
        };
        let seq = [d, s, d, d, s, d];
        let whole = seq.iter().fold(Seg::default(), |a, &b| a.then(b));
        assert_eq!(
            whole,
            Seg {
                denials: 4,
                success: true,
                after: 1
            }
        );
        for cut in 0..seq.len() {
            let l = seq[..cut].iter().fold(Seg::default(), |a, &b| a.then(b));
            let r = seq[cut..].iter().fold(Seg::default(), |a, &b| a.then(b));
            assert_eq!(l.then(r), whole);
        }
    }
}
