//! Windows event logs (EVTX): Security object-access failures, events that carry a
//! denial or write-protect code next to a path, and pathless context (RDP client
//! disconnect reasons, refused privileges, services and packages that failed).
//!
//! Records are parsed with the `evtx` crate, chunk by chunk (64 KiB each, so memory
//! stays flat at any file size), chunks of one file in parallel. A record is rendered
//! only when its raw values may hold evidence ([`prefilter`]); what it holds is read
//! by provider and event id from [`rules`]. A bad record is counted and skipped; a
//! bad chunk is counted and the next one is read.

pub mod audit;
pub mod codes;
pub mod extract;
pub mod fields;
pub mod prefilter;
pub mod rules;

use std::collections::HashMap;
use std::io::Cursor;
use std::path::Path;
use std::sync::Arc;

use evtx::{EvtxChunkData, EvtxParser, ParserSettings};
use rayon::prelude::*;

use super::io::open::Opened;
use super::{FileScan, Format, Origin, Reading, Stats};
use crate::aggregate::Aggregate;
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::{Event, Family, Moment, Note};
use crate::progress::Progress;
use extract::Evidence;
pub use prefilter::Needles;

/// An EVTX file (`ElfFile\0` magic; never recognised by its name).
pub const EVTX: Format = Format {
    kind: "evtx",
    family: Family::Evtx,
    origin: Origin::Record,
    recognise: |head| head.starts_with(b"ElfFile\0"),
    read,
};

/// The process of an event that names none and was not logged by the kernel.
pub const UNKNOWN_PROCESS: &str = "(unknown process)";

/// Bytes of one chunk: what progress advances by.
const CHUNK_BYTES: u64 = 64 * 1024;

fn read(opened: Opened, r: &Reading<'_>) -> FileScan {
    r.with_bytes(opened, |b| {
        scan(r.name, b, r.filter(), &r.prepared.evtx, r.index, r.progress)
    })
}

/// What one chunk gave.
#[derive(Default)]
struct Part {
    agg: Aggregate,
    stats: Stats,
}

impl Part {
    /// Counts a record the filter keeps (`wanted` by process, inside the time window),
    /// or one of another process; says whether to keep it.
    fn admit(&mut self, wanted: bool, filter: &Filter, time: &Moment) -> bool {
        if !wanted {
            self.stats.others += 1;
            return false;
        }
        if !filter.window.contains(time) {
            return false;
        }
        self.stats.matches += 1;
        true
    }

    fn bad(&mut self, at: u64, why: String) {
        self.stats.bad_rows += 1;
        if self.stats.first_bad.is_none() {
            self.stats.first_bad = Some((at, why));
        }
    }
}

/// Reads one EVTX held in memory (`name` as reports call it).
pub fn scan(
    name: &Path,
    bytes: &[u8],
    filter: &Filter,
    needles: &Needles,
    input: u32,
    progress: &dyn Progress,
) -> FileScan {
    let mut out = FileScan::default();
    let mut parser = match EvtxParser::from_read_seek(Cursor::new(bytes)) {
        Ok(p) => p,
        Err(e) => {
            progress.advance(bytes.len() as u64);
            out.error = Some(SourceError::Corrupt {
                path: name.to_path_buf(),
                offset: 0,
                why: format!("not a readable EVTX file header ({e})"),
            });
            return out;
        }
    };
    let cut = truncation(name, bytes.len() as u64, parser.header().chunk_count);
    let settings = Arc::new(ParserSettings::new().num_threads(1));
    // Enough chunks in flight (1 MiB per thread) that threads rarely wait on each
    // other; one thread makes no pool round trips at all.
    let batch = (rayon::current_num_threads() * 16).max(2);
    let mut chunks = parser.chunks();
    let mut done = false;
    let mut seen_bytes = 0u64;
    while !done {
        let mut group: Vec<Result<EvtxChunkData, String>> = Vec::with_capacity(batch);
        for _ in 0..batch {
            match chunks.next() {
                Some(c) => group.push(c.map_err(|e| e.to_string())),
                None => {
                    done = true;
                    break;
                }
            }
        }
        // A defect the parser meets in one chunk (a panic) costs that chunk, not the file.
        let read = |c| {
            let run =
                std::panic::AssertUnwindSafe(|| read_chunk(c, &settings, filter, needles, input));
            std::panic::catch_unwind(run).unwrap_or_else(|_| {
                let mut p = Part::default();
                p.bad(
                    0,
                    "a chunk the EVTX parser could not read (internal error)".into(),
                );
                p
            })
        };
        let parts: Vec<Part> = if rayon::current_num_threads() > 1 {
            group.into_par_iter().map(read).collect()
        } else {
            group.into_iter().map(read).collect()
        };
        for p in parts {
            out.stats.rows += p.stats.rows;
            out.stats.matches += p.stats.matches;
            out.stats.others += p.stats.others;
            out.stats.bad_rows += p.stats.bad_rows;
            if out.stats.first_bad.is_none() {
                out.stats.first_bad = p.stats.first_bad;
            }
            out.agg.merge(p.agg, 0, 0);
            seen_bytes += CHUNK_BYTES;
            progress.advance(CHUNK_BYTES);
        }
    }
    progress.advance((bytes.len() as u64).saturating_sub(seen_bytes));
    // An event log records failures, not the retries that may follow: every failure
    // stands (nothing is "recovered").
    out.agg.settle(&|_, _, _, _| false);
    out.error = cut;
    out
}

/// A file cut short: it ends inside a chunk, or holds fewer whole chunks than its
/// header counts. What was read stands; the cut is named, with its byte offset.
fn truncation(name: &Path, len: u64, header_chunks: u16) -> Option<SourceError> {
    const HEADER: u64 = 4096;
    let body = len.saturating_sub(HEADER);
    let whole = body / CHUNK_BYTES;
    let partial = body % CHUNK_BYTES;
    let why = if partial != 0 {
        format!(
            "the file ends inside chunk {whole} ({partial} of {CHUNK_BYTES} bytes): the records from byte {} on were not read",
            HEADER + whole * CHUNK_BYTES
        )
    } else if whole < u64::from(header_chunks) {
        format!(
            "the header counts {header_chunks} chunks but the file holds {whole}: it was cut short after byte {len}"
        )
    } else {
        return None;
    };
    Some(SourceError::Corrupt {
        path: name.to_path_buf(),
        offset: HEADER + whole * CHUNK_BYTES,
        why,
    })
}

/// A FILETIME-based moment from the record header's UTC timestamp.
fn moment(ts: &evtx::Timestamp) -> Moment {
    let ticks = ts.as_nanosecond().div_euclid(100) + 116_444_736_000_000_000;
    crate::timefmt::filetime_moment(u64::try_from(ticks).unwrap_or(0))
}

fn read_chunk(
    chunk: Result<EvtxChunkData, String>,
    settings: &Arc<ParserSettings>,
    filter: &Filter,
    needles: &Needles,
    input: u32,
) -> Part {
    let mut part = Part::default();
    let mut data = match chunk {
        Ok(d) => d,
        Err(why) => {
            part.bad(0, why);
            return part;
        }
    };
    let number = data.number;
    let mut chunk = match data.parse(settings.clone()) {
        Ok(c) => c,
        Err(e) => {
            let at = number.map_or(String::new(), |n| format!("chunk {n}: "));
            part.bad(0, format!("{at}{e}"));
            return part;
        }
    };
    let selected = |v: u32| filter.statuses.match_code(codes::code_of(v)).is_some();
    // Per template definition: what its provider says of its records.
    let mut templates: HashMap<u32, prefilter::Template> = HashMap::new();
    for record in chunk.iter() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                part.bad(0, e.to_string());
                continue;
            }
        };
        part.stats.rows += 1;
        let id = record.event_record_id;
        let candidate = match record.template_instances() {
            Ok(t) if !t.is_empty() => t.iter().any(|t| {
                let kind = *templates
                    .entry(t.template_def_offset)
                    .or_insert_with(|| needles.template(record.chunk.data, t.template_def_offset));
                needles.hit(&t.values, kind)
            }),
            // No template (rare) or values that do not parse: render to be sure.
            _ => true,
        };
        if !candidate {
            continue;
        }
        let header_time = record.timestamp;
        let json = match record.into_json_value() {
            Ok(j) => j.data,
            Err(e) => {
                part.bad(id, e.to_string());
                continue;
            }
        };
        let Some(f) = fields::Fields::of(&json) else {
            continue;
        };
        // What Event Viewer shows: the event's own record id and creation time (a
        // record header can hold 0 for both in exported or carved logs).
        let id = f.record_id.unwrap_or(id);
        let time = f
            .system_time
            .and_then(crate::timefmt::iso_utc_moment)
            .unwrap_or_else(|| moment(&header_time));
        match extract::extract(&f, &selected) {
            Some(Evidence::Path(p)) => keep_path(&mut part, p, &f, filter, input, id, time),
            Some(Evidence::Note(n)) => keep_note(&mut part, n, &f, filter, input, id, time),
            None => {}
        }
    }
    part
}

fn keep_path(
    part: &mut Part,
    p: extract::PathFailure,
    f: &fields::Fields<'_>,
    filter: &Filter,
    input: u32,
    id: u64,
    time: Moment,
) {
    let code = codes::code_of(p.code);
    let Some(class) = filter.statuses.match_code(code) else {
        return;
    };
    // An event that names no process is kept only when every process is.
    let wanted = if p.process.is_empty() {
        filter.processes == crate::filter::ProcessSet::All
    } else {
        filter.processes.matches(&p.process)
    };
    if !part.admit(wanted, filter, &time) {
        return;
    }
    // An event without a process name: the kernel logs as PID 4.
    let process = match (p.process.is_empty(), p.pid.or(f.pid)) {
        (false, _) => p.process,
        (true, Some(4)) => "System".to_string(),
        (true, _) => UNKNOWN_PROCESS.to_string(),
    };
    part.agg.add(&Event {
        input,
        family: Family::Evtx,
        line: id,
        offset: id,
        process: process.into(),
        pid: p.pid,
        operation: p.operation.into(),
        path: p.path.into(),
        code,
        class,
        result: p.result.into(),
        detail: p.detail.into(),
        time,
    });
}

fn keep_note(
    part: &mut Part,
    n: extract::NoteDraft,
    f: &fields::Fields<'_>,
    filter: &Filter,
    input: u32,
    id: u64,
    time: Moment,
) {
    // Pathless context names its process when it has one; without, it is kept.
    let wanted = n
        .process
        .as_deref()
        .is_none_or(|p| filter.processes.matches(p));
    if !part.admit(wanted, filter, &time) {
        return;
    }
    part.agg.add_note(Note {
        input,
        family: Family::Evtx,
        line: id,
        kind: n.kind,
        source: extract::source_of(f),
        process: n.process,
        code: n.code,
        subject: n.subject,
        benign: n.benign,
        cause: None,
        time,
    });
}
