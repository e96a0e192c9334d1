//! Procmon CSV exports (any column set and order, UTF-8 with or without BOM, UTF-16,
//! quoted or Excel-re-saved, comma, semicolon or TAB separated, gzipped or not).
//!
//! Two passes, both line-parallel:
//! 1. a literal prefilter (the Result words and hex forms of the selected statuses,
//!    [`Prefilter`]) finds candidate lines and counts newlines as it goes; only those
//!    lines are parsed ([`super::record`]) and matched on the Result *field* and the
//!    Process Name *field*;
//! 2. if anything matched, a second prefilter over the distinctive ends of the
//!    matched paths (any ASCII case) finds the later records of the same process, path
//!    and operation, to tell recovered denials (a later SUCCESS) from unrecovered ones
//!    ([`super::recovery`]); a mapped file is read again through the same mapping.

use std::borrow::Cow;
use std::io::Read;
use std::path::Path;

use csv::ByteRecord;

use super::record::LineParser;
use super::recovery;
use crate::aggregate::Aggregate;
use crate::codes::{self, Code};
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::{Event, Moment, ProcessExit, exit_status};
use crate::progress::Progress;
use crate::sources::io::chunks::{self, Body};
use crate::sources::io::open::{Opened, Text};
use crate::sources::io::prefilter::Prefilter;
pub use crate::sources::{FileScan, Stats};
use crate::timefmt;

/// The operation whose Detail carries a process's exit status.
pub const PROCESS_EXIT: &str = "Process Exit";

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
    /// Fields the header names (what a whole record has).
    pub fields: usize,
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

/// Reads a header line.
pub fn parse_header(line: &[u8]) -> Header {
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let delimiter = guess_delimiter(line);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(line);
    let mut rec = ByteRecord::new();
    if !matches!(rdr.read_byte_record(&mut rec), Ok(true)) {
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
        fields: names.len(),
        delimiter,
    })
}

/// A Procmon CSV scanner, built once per scan and shared by every file.
pub struct ProcmonCsv<'f> {
    filter: &'f Filter,
    literals: Prefilter,
    chunk: usize,
}

/// What pass 1 learns from one chunk.
struct Part {
    len: u64,
    newlines: u64,
    tail: bool,
    bad: u64,
    first_bad: Option<(u64, String)>,
    others: u64,
    agg: Aggregate,
}

/// Calls `each(line_no, offset, line)` for every line of `chunk` that contains a
/// literal of `pre`, with its 1-based line number and byte offset within the chunk;
/// returns the chunk's newline count.
pub(crate) fn candidate_lines<'c>(
    chunk: &'c [u8],
    pre: &Prefilter,
    mut each: impl FnMut(u64, usize, &'c [u8]),
) -> u64 {
    let mut lines = Vec::new();
    let newlines = pre.numbered_lines(chunk, &mut lines);
    for (ls, le, line_no) in lines {
        each(line_no, ls, &chunk[ls..le]);
    }
    newlines
}

fn lossy(b: &[u8]) -> Cow<'_, str> {
    String::from_utf8_lossy(b)
}

/// How many lines back a record split by quoted newlines is looked for.
const REJOIN_LINES: usize = 16;

/// Joins the line `[start, end)` of `chunk` with up to [`REJOIN_LINES`] lines before
/// it until they parse as exactly one whole record (the newlines then sit inside
/// quotes); leaves that record in `rec` and returns how many lines were joined and
/// where the record starts.
fn rejoin(
    chunk: &[u8],
    start: usize,
    end: usize,
    rec: &mut LineParser,
    cols: &Columns,
) -> Option<(usize, usize)> {
    let mut from = start;
    for k in 1..=REJOIN_LINES {
        if from == 0 {
            return None;
        }
        // The start of the line before `from` (which follows a newline).
        from = memchr::memrchr(b'\n', &chunk[..from - 1]).map_or(0, |i| i + 1);
        if end - from > chunks::MAX_RECORD {
            return None;
        }
        if rec.parse(&chunk[from..end]) == Some(cols.fields) {
            return Some((k, from));
        }
    }
    None
}

/// An optional column's text, empty when the column or the field is absent.
fn optional(rec: &LineParser, col: Option<usize>) -> Cow<'_, str> {
    col.and_then(|i| rec.field(i))
        .map(lossy)
        .unwrap_or(Cow::Borrowed(""))
}

impl<'f> ProcmonCsv<'f> {
    /// The filter this scanner applies.
    pub fn filter(&self) -> &'f Filter {
        self.filter
    }

    pub fn new(filter: &'f Filter) -> ProcmonCsv<'f> {
        Self::with_options(filter, chunks::CHUNK)
    }

    /// A scanner with another chunk size (tests use tiny chunks to prove that chunked
    /// and whole-file parsing agree) and mapping turned on or off.
    pub fn with_options(filter: &'f Filter, chunk: usize) -> ProcmonCsv<'f> {
        let mut lits = filter.statuses.procmon_literals();
        // Exits of watched processes are ticket context (README, "Ranking").
        lits.push(PROCESS_EXIT.to_string());
        let literals = Prefilter::new(&lits);
        ProcmonCsv {
            filter,
            literals,
            chunk: chunk.max(1),
        }
    }

    /// Whether a record has a selected status but a process outside the filter.
    fn other_process(&self, cols: &Columns, rec: &LineParser) -> bool {
        let selected = rec
            .field(cols.result)
            .and_then(codes::procmon_result)
            .and_then(|s| self.filter.statuses.match_ntstatus(s))
            .is_some();
        selected
            && rec
                .field(cols.process)
                .is_some_and(|p| !self.filter.processes.matches(&lossy(p.trim_ascii())))
    }

    /// Decodes a `Process Exit` record of a watched process.
    fn exit(
        &self,
        cols: &Columns,
        rec: &LineParser,
        input: u32,
        line: u64,
        offset: u64,
    ) -> Option<ProcessExit> {
        let process = lossy(rec.field(cols.process)?.trim_ascii());
        if !self.filter.processes.matches(&process) {
            return None;
        }
        let get = |c: Option<usize>| optional(rec, c);
        let status = exit_status(&get(cols.detail))?;
        let time = self.moment(&get(cols.time), &get(cols.date_time));
        if !self.filter.window.contains(&time) {
            return None;
        }
        Some(ProcessExit {
            input,
            line,
            offset,
            process: process.into_owned(),
            pid: get(cols.pid).trim().parse().ok(),
            status,
            time,
        })
    }

    /// A record's time from its Time of Day and Date & Time fields.
    fn moment(&self, time_text: &str, date_text: &str) -> Moment {
        Moment {
            time_of_day_ns: timefmt::time_of_day_ns(time_text)
                .or_else(|| timefmt::time_of_day_ns(date_text.split_once(' ').map_or("", |x| x.1))),
            date: timefmt::date_ymd(date_text),
            utc: false,
            text: if time_text.is_empty() {
                date_text.into()
            } else {
                time_text.into()
            },
        }
    }

    /// Decodes one parsed record into an event, if the filter keeps it.
    fn event<'r>(
        &self,
        cols: &Columns,
        rec: &'r LineParser,
        input: u32,
        line: u64,
        offset: u64,
    ) -> Option<Event<'r>> {
        let result = rec.field(cols.result)?;
        let status = codes::procmon_result(result)?;
        let class = self.filter.statuses.match_ntstatus(status)?;
        let process = lossy(rec.field(cols.process)?.trim_ascii());
        if !self.filter.processes.matches(&process) {
            return None;
        }
        let get = |c: Option<usize>| optional(rec, c);
        let time = self.moment(&get(cols.time), &get(cols.date_time));
        if !self.filter.window.contains(&time) {
            return None;
        }
        Some(Event {
            family: crate::model::Family::Procmon,
            input,
            line,
            offset,
            process,
            pid: get(cols.pid).trim().parse().ok(),
            operation: lossy(rec.field(cols.operation)?.trim_ascii()),
            path: lossy(rec.field(cols.path)?),
            code: Code::ntstatus(status),
            class,
            result: lossy(result.trim_ascii()),
            detail: get(cols.detail),
            time,
        })
    }

    fn pass1(&self, cols: &Columns, input: u32, chunk: &[u8]) -> Part {
        let mut part = Part {
            len: chunk.len() as u64,
            newlines: 0,
            tail: !chunk.is_empty() && !chunk.ends_with(b"\n"),
            bad: 0,
            first_bad: None,
            others: 0,
            agg: Aggregate::default(),
        };
        let mut rec = LineParser::new(cols.delimiter);
        // Records past the cap are bad rows, whatever they hold (never parsed).
        for line_no in chunks::overlong_lines(chunk) {
            part.bad += 1;
            if part.first_bad.is_none() {
                part.first_bad = Some((
                    line_no,
                    format!(
                        "a record longer than {} MiB, not read",
                        chunks::MAX_RECORD >> 20
                    ),
                ));
            }
        }
        part.newlines = candidate_lines(chunk, &self.literals, |line_no, offset, line| {
            if line.len() > chunks::MAX_RECORD {
                return;
            }
            let mut n = rec.parse(line).unwrap_or(0);
            let (mut line_no, mut offset) = (line_no, offset);
            // A newline inside a quoted field (valid CSV) splits a record over lines:
            // the status is on its last line, so join it with the lines before.
            if n < cols.min_fields
                && let Some((k, start)) = rejoin(chunk, offset, offset + line.len(), &mut rec, cols)
            {
                n = rec.len();
                line_no -= k as u64;
                offset = start;
            }
            if n < cols.min_fields {
                part.bad += 1;
                if part.first_bad.is_none() {
                    part.first_bad = Some((
                        line_no,
                        format!("{n} fields, the header needs at least {}", cols.min_fields),
                    ));
                }
                return;
            }
            // A watched process's exit is context; the record itself may still be
            // selected below (`--status 0x0`).
            if rec.field(cols.operation).map(<[u8]>::trim_ascii) == Some(PROCESS_EXIT.as_bytes())
                && let Some(exit) = self.exit(cols, &rec, input, line_no, offset as u64)
            {
                part.agg.add_exit(exit);
            }
            match self.event(cols, &rec, input, line_no, offset as u64) {
                Some(ev) => part.agg.add(&ev),
                None if self.other_process(cols, &rec) => part.others += 1,
                None => {}
            }
        });
        part
    }

    /// Scans one opened file. `input` is its index in the scan's input list.
    /// `reopen` opens the same input again for the recovery pass.
    pub fn scan(
        &self,
        path: &Path,
        opened: Opened,
        cols: &Columns,
        input: u32,
        progress: &dyn Progress,
        reopen: &(dyn Fn() -> std::io::Result<Opened> + Sync),
    ) -> FileScan {
        let mut scan = FileScan::default();
        let mut lines_before = 1u64; // the header line
        let mut bytes_before = 0u64;
        let mut tail = false;
        let judge =
            |agg: &Aggregate, again: recovery::Reread<'_>| judge(agg, again, cols, progress);
        let result = with_body(opened, |body| {
            let mapped = match &body {
                Body::Mapped(data) => Some(*data),
                Body::Stream { .. } => None,
            };
            chunks::drive(
                body,
                self.chunk,
                progress,
                |c| self.pass1(cols, input, c),
                |p| {
                    scan.stats.bad_rows += p.bad;
                    scan.stats.others += p.others;
                    if scan.stats.first_bad.is_none() {
                        scan.stats.first_bad = p.first_bad.map(|(l, why)| (l + lines_before, why));
                    }
                    scan.agg.merge(p.agg, lines_before, bytes_before);
                    lines_before += p.newlines;
                    bytes_before += p.len;
                    tail = p.tail;
                },
            )?;
            // A mapped body is judged while it is still mapped.
            Ok(mapped.map(|data| judge(&scan.agg, recovery::Reread::Mapped(data))))
        });
        scan.stats.rows = lines_before - 1 + u64::from(tail);
        scan.stats.matches = scan.agg.events();
        match result {
            Err(e) => {
                scan.error = Some(SourceError::Read {
                    path: path.to_path_buf(),
                    line: lines_before,
                    offset: e.offset,
                    source: e.source,
                });
                // Without the rest of the file recovery cannot be judged: every denial
                // stays unrecovered.
                recovery::finish(&mut scan.agg, &recovery::Recovered::new());
            }
            Ok(Some(done)) => recovery::finish(&mut scan.agg, &done),
            Ok(None) => {
                let done = judge(&scan.agg, recovery::Reread::Reopen(reopen));
                recovery::finish(&mut scan.agg, &done);
            }
        }
        scan
    }
}

/// The keys of `agg` that recover, reading the input again as `again` says.
fn judge(
    agg: &Aggregate,
    again: recovery::Reread<'_>,
    cols: &Columns,
    progress: &dyn Progress,
) -> recovery::Recovered {
    if agg.paths.is_empty() {
        return recovery::Recovered::new();
    }
    let mut keys = recovery::keys(agg);
    recovery::resolve(again, cols, &mut keys, progress);
    recovery::recovered(&keys)
}

/// Splits an opened input into header and body and runs `f` on the body.
pub(crate) fn with_body<T>(
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
        let pre = Prefilter::new(&["HIT"]);
        let chunk = b"a\nHIT 1\nb\nc HIT\nHIT HIT\nlast";
        let mut seen = Vec::new();
        let n = candidate_lines(chunk, &pre, |l, _, line| seen.push((l, line.to_vec())));
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
}
