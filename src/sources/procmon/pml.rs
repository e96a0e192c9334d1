//! Procmon's native capture format (PML, versions 9 and 7), read directly on any OS.
//!
//! Version 7 (Procmon 2.x) has the same layout as far as culprit reads it (checked
//! against the CSV twin of the 2013 corpus capture); only one operation name differs.
//!
//! Layout (documented in `shared/design/pml-format.md`): a 0x3A8-byte header, the
//! event records, an array of event offsets (5 bytes each), the process table, the
//! string table, icons, hosts and ports. culprit reads only what the analysis needs:
//! each event's process index, class, operation, result (a raw NTSTATUS, classified
//! through [`crate::codes`] without a string round-trip), and, only for events the
//! filter keeps, the path and the desired access / disposition. Stack traces are
//! skipped. Events are decoded in parallel chunks of the offsets array.
//!
//! A capture cut short loses its tables (they are written last): culprit then walks
//! the events one after another from the start, names processes from their own
//! `Process Start` command lines where it can, and reports the byte where the damage
//! begins.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use rayon::prelude::*;

use super::csv::FileScan;
use super::pml_event::{
    Ctx, describe, detail as event_detail, hosts_and_ports, name_from_process_start, operation,
    path as event_path, raw_event, subclass, u16_at, u32_at, u64_at, utf16,
};
use super::pml_names as names;
use super::recovery;
use crate::aggregate::Aggregate;
use crate::codes::{self, Code};
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::{Event, ProcessExit, exit_status};
use crate::progress::Progress;
use crate::timefmt;

/// Size of the header; events start after it.
const HEADER: usize = 0x3A8;
/// Events per parallel chunk.
const CHUNK_EVENTS: usize = 32 * 1024;

/// The header fields culprit uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub version: u32,
    pub ptr: usize,
    pub events: u32,
    pub events_offset: u64,
    pub offsets_offset: u64,
    pub process_offset: u64,
    pub strings_offset: u64,
    pub hosts_offset: u64,
}

/// Why a PML file cannot be read at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderError {
    Unsupported(u32),
    Truncated,
}

/// Reads the header.
pub fn header(b: &[u8]) -> Result<Header, HeaderError> {
    if b.len() < HEADER || !b.starts_with(b"PML_") {
        return Err(HeaderError::Truncated);
    }
    let version = u32_at(b, 4).unwrap_or(0);
    if version != 9 && version != 7 {
        return Err(HeaderError::Unsupported(version));
    }
    // An offset past the file is as unreadable as its end; clamping keeps every later
    // `offset + size` computation far from overflow, whatever a hostile header says.
    let q = |o| u64_at(b, o).unwrap_or(0).min(b.len() as u64);
    Ok(Header {
        version,
        ptr: if u32_at(b, 8).unwrap_or(0) == 1 { 8 } else { 4 },
        events: u32_at(b, 0x234).unwrap_or(0),
        events_offset: q(0x240),
        offsets_offset: q(0x248),
        process_offset: q(0x250),
        strings_offset: q(0x258),
        hosts_offset: q(0x3A0),
    })
}

/// A process as the analysis needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Proc {
    name: String,
    pid: u32,
}

/// The string table entry `i`, or `None` when outside the file.
fn table_string(b: &[u8], strings: usize, i: u32) -> Option<String> {
    let count = u32_at(b, strings)?;
    if i >= count {
        return None;
    }
    let rel = u32_at(b, strings + 4 + 4 * i as usize)? as usize;
    let size = u32_at(b, strings + rel)? as usize;
    Some(utf16(b.get(strings + rel + 4..strings + rel + 4 + size)?))
}

/// The process table and how many of its records could not be read whole, or `None`
/// when the table itself is not in the file. A record whose name string is unreadable
/// keeps its index with a placeholder name (and counts as damaged).
fn processes(b: &[u8], h: &Header) -> Option<(HashMap<u32, Proc>, usize, usize)> {
    let base = h.process_offset as usize;
    let strings = h.strings_offset as usize;
    let n = u32_at(b, base)? as usize;
    let offsets = base + 4 + 4 * n;
    b.get(offsets..offsets + 4 * n)?;
    let mut out = HashMap::with_capacity(n.min(1 << 16));
    let mut damaged = 0;
    for i in 0..n {
        let p = base + u32_at(b, offsets + 4 * i)? as usize;
        let (Some(index), Some(pid)) = (u32_at(b, p), u32_at(b, p + 4)) else {
            damaged += 1;
            continue;
        };
        let name = match u32_at(b, p + 0x40).and_then(|s| table_string(b, strings, s)) {
            Some(name) => name,
            None => {
                damaged += 1;
                format!("<process #{index}>")
            }
        };
        out.insert(index, Proc { name, pid });
    }
    Some((out, damaged, n))
}

/// Where the events are.
enum Offsets {
    /// The offsets array of a complete capture.
    Table(usize),
    /// Offsets found by walking a damaged capture.
    Walked(Vec<usize>),
}

impl Offsets {
    fn get(&self, b: &[u8], i: usize) -> Option<usize> {
        match self {
            Offsets::Table(base) => u32_at(b, base + 5 * i).map(|o| o as usize),
            Offsets::Walked(v) => v.get(i).copied(),
        }
    }
}

/// Walks events from the first one; returns their offsets and the first damage.
fn walk(b: &[u8], h: &Header) -> (Vec<usize>, Option<(usize, String)>) {
    let mut out = Vec::new();
    let mut off = h.events_offset as usize;
    let limit = if h.offsets_offset as usize > off && (h.offsets_offset as usize) <= b.len() {
        h.offsets_offset as usize
    } else {
        b.len()
    };
    while out.len() < h.events as usize {
        match raw_event(b, off, h.ptr) {
            Some(r) if r.end <= limit && r.class <= names::CLASS_IPC => {
                out.push(off);
                off = r.end;
            }
            _ => {
                return (
                    out,
                    Some((off, "event record cut short or unreadable".to_string())),
                );
            }
        }
    }
    (out, None)
}

/// Scans one PML file held in `b` (mapped or read).
pub fn scan(
    path: &Path,
    b: &[u8],
    filter: &Filter,
    input: u32,
    progress: &dyn Progress,
) -> FileScan {
    let mut scan = FileScan::default();
    // A hostile header can point anywhere: a reported offset never lies past the file.
    let corrupt = |offset: usize, why: String| SourceError::Corrupt {
        path: path.to_path_buf(),
        offset: offset.min(b.len()) as u64,
        why,
    };
    let h = match header(b) {
        Ok(h) => h,
        Err(HeaderError::Unsupported(v)) => {
            scan.error = Some(SourceError::Unsupported {
                path: path.to_path_buf(),
                why: format!(
                    "PML version {v} (culprit reads versions 9, written by Procmon 3.x and later, and 7, by Procmon 2.x)"
                ),
            });
            return scan;
        }
        Err(HeaderError::Truncated) => {
            scan.error = Some(corrupt(b.len(), "the PML header is incomplete".to_string()));
            return scan;
        }
    };
    let (hosts, ports) = hosts_and_ports(b, h.hosts_offset as usize);
    let ctx = Ctx {
        ptr: h.ptr,
        version: h.version,
        hosts,
        ports,
    };
    let n = h.events as usize;
    let table_ok = (h.offsets_offset as usize)
        .checked_add(5 * n)
        .is_some_and(|end| end <= b.len())
        && h.offsets_offset > 0;
    let procs = if table_ok { processes(b, &h) } else { None };
    let (offsets, procs) = match (table_ok, procs) {
        (true, Some((p, damaged, total))) => {
            if damaged > 0 {
                // Names lost to damage cannot match the process filter: say so.
                scan.error = Some(corrupt(
                    h.process_offset as usize,
                    format!(
                        "the process table is damaged: {damaged} of {total} process records unreadable (shown as <process #N>, which no process filter matches)"
                    ),
                ));
            }
            (Offsets::Table(h.offsets_offset as usize), p)
        }
        _ => {
            let (walked, damage) = walk(b, &h);
            let at = damage.map(|d| d.0).unwrap_or(h.offsets_offset as usize);
            scan.error = Some(corrupt(
                at,
                format!(
                    "the capture is incomplete (its event table or process table is missing); {} of {} events were read by walking the records",
                    walked.len(),
                    n
                ),
            ));
            // Name processes from their own events: the first executable image they
            // load, else the command line of their Process Start.
            let mut procs: HashMap<u32, Proc> = HashMap::new();
            let mut from_image: HashSet<u32> = HashSet::new();
            for &o in &walked {
                let Some(r) = raw_event(b, o, h.ptr) else {
                    continue;
                };
                if r.class == names::CLASS_PROCESS && r.op == 5 && !from_image.contains(&r.process)
                {
                    let (image, _) = event_path(&r, &ctx);
                    if image.to_ascii_lowercase().ends_with(".exe") {
                        let name = image
                            .rsplit(['\\', '/'])
                            .next()
                            .unwrap_or(&image)
                            .to_string();
                        procs.insert(r.process, Proc { name, pid: 0 });
                        from_image.insert(r.process);
                        continue;
                    }
                }
                if let Some(name) = name_from_process_start(&r) {
                    procs.entry(r.process).or_insert(Proc { name, pid: 0 });
                }
            }
            (Offsets::Walked(walked), procs)
        }
    };
    let count = match &offsets {
        Offsets::Table(_) => n,
        Offsets::Walked(v) => v.len(),
    };
    let unknown = |i: u32| Proc {
        name: format!("<process #{i}>"),
        pid: 0,
    };
    let proc_of = |i: u32| procs.get(&i).cloned().unwrap_or_else(|| unknown(i));
    let keep: HashMap<u32, bool> = procs
        .iter()
        .map(|(&i, p)| (i, filter.processes.matches(&p.name)))
        .collect();
    let keeps = |i: u32| {
        keep.get(&i)
            .copied()
            .unwrap_or_else(|| filter.processes.matches(&unknown(i).name))
    };
    let bytes_per_event = (b.len() as u64 / count.max(1) as u64).max(1);

    // Pass 1: failures.
    type Part = (Aggregate, u64, u64, Option<usize>);
    let parts: Vec<Part> = (0..count)
        .step_by(CHUNK_EVENTS)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let mut agg = Aggregate::default();
            let mut bad = 0u64;
            let mut others = 0u64;
            let mut first_bad = None;
            let end = (start + CHUNK_EVENTS).min(count);
            for i in start..end {
                let Some(r) = offsets.get(b, i).and_then(|o| raw_event(b, o, h.ptr)) else {
                    bad += 1;
                    first_bad.get_or_insert(i);
                    continue;
                };
                // A watched process's exit is context; the event itself may still be
                // selected below (`--status 0x0`).
                if r.class == names::CLASS_PROCESS
                    && r.op == names::PROCESS_EXIT
                    && keeps(r.process)
                {
                    let (_, _, detail) = describe(&r, &ctx);
                    let time = timefmt::filetime_moment(r.filetime);
                    if let Some(status) = exit_status(&detail)
                        && filter.window.contains(&time)
                    {
                        let p = proc_of(r.process);
                        agg.add_exit(ProcessExit {
                            input,
                            line: i as u64 + 1,
                            offset: i as u64,
                            process: p.name.to_string(),
                            pid: Some(p.pid).filter(|&x| x != 0),
                            status,
                            time,
                        });
                    }
                }
                let Some(class) = filter.statuses.match_ntstatus(r.result) else {
                    continue;
                };
                if !keeps(r.process) {
                    others += 1;
                    continue;
                }
                let time = timefmt::filetime_moment(r.filetime);
                if !filter.window.contains(&time) {
                    continue;
                }
                let p = proc_of(r.process);
                let (op, path, detail) = describe(&r, &ctx);
                agg.add(&Event {
                    family: crate::model::Family::Procmon,
                    input,
                    line: i as u64 + 1,
                    offset: i as u64,
                    process: p.name.into(),
                    pid: Some(p.pid).filter(|&x| x != 0),
                    operation: op.into(),
                    path: path.into(),
                    code: Code::ntstatus(r.result),
                    class,
                    result: codes::procmon_render(r.result).into(),
                    detail: detail.into(),
                    time,
                });
            }
            progress.advance((end - start) as u64 * bytes_per_event);
            (agg, bad, others, first_bad)
        })
        .collect();
    for (agg, bad, others, first_bad) in parts {
        scan.agg.merge(agg, 0, 0);
        scan.stats.bad_rows += bad;
        scan.stats.others += others;
        if scan.stats.first_bad.is_none() {
            scan.stats.first_bad =
                first_bad.map(|i| (i as u64 + 1, "event record outside the file".to_string()));
        }
    }
    if scan.stats.bad_rows > 0 && scan.error.is_none() {
        let i = scan.stats.first_bad.as_ref().map_or(1, |f| f.0) as usize - 1;
        scan.error = Some(corrupt(
            offsets.get(b, i).unwrap_or(b.len()),
            format!(
                "{} of {count} event records could not be read (the first is event {})",
                scan.stats.bad_rows,
                i + 1
            ),
        ));
    }
    scan.stats.rows = count as u64;
    // Events the header announces but the damaged file no longer holds.
    scan.stats.bad_rows += (n as u64).saturating_sub(count as u64);
    scan.stats.matches = scan.agg.events();

    // Pass 2: recovery, from the earliest last failure.
    let mut keys = recovery::keys(&scan.agg);
    if let Some(first) = keys.iter().map(|k| k.last).min() {
        let index = recovery::index(&keys);
        let wanted: HashSet<&str> = keys.iter().map(|k| k.process()).collect();
        // Processes some key is of, by index, with their lower-case names.
        let relevant: HashMap<u32, String> = procs
            .iter()
            .map(|(&i, p)| (i, p.name.to_lowercase()))
            .filter(|(_, name)| wanted.contains(name.as_str()))
            .collect();
        let ops: HashSet<&str> = keys.iter().map(|k| k.operation()).collect();
        let found: Vec<usize> = (first as usize + 1..count)
            .step_by(CHUNK_EVENTS)
            .collect::<Vec<_>>()
            .into_par_iter()
            .flat_map_iter(|start| {
                // The keys this walk found recovered (a key is found once, then its
                // events skip the Detail).
                let mut hits: HashSet<usize> = HashSet::new();
                let mut memo = recovery::KeyMemo::default();
                let mut op_memo: HashMap<(u32, u16, u8, u16), Option<String>> = HashMap::new();
                for i in start..(start + CHUNK_EVENTS).min(count) {
                    let Some(r) = offsets.get(b, i).and_then(|o| raw_event(b, o, h.ptr)) else {
                        continue;
                    };
                    if r.result != 0 {
                        continue;
                    }
                    let Some(process) = relevant.get(&r.process) else {
                        continue;
                    };
                    // The operation rules most events out before their path is decoded
                    // (an operation's name depends on these alone).
                    let code = (
                        r.class,
                        r.op,
                        subclass(&r),
                        u16_at(r.details, 0).unwrap_or(0) & 4,
                    );
                    let Some(op) = op_memo
                        .entry(code)
                        .or_insert_with(|| {
                            let op = operation(&r, &ctx);
                            ops.contains(op.as_str()).then_some(op)
                        })
                        .as_deref()
                    else {
                        continue;
                    };
                    let (path, after) = event_path(&r, &ctx);
                    let key = memo.key(path.as_bytes());
                    // The Detail's access is decoded only for an event some key is of
                    // whose last failure is behind and that this walk has not yet
                    // found recovered (a busy path repeats the same success).
                    let open = |k: &usize| i as u64 > keys[*k].last && !hits.contains(k);
                    if !index.range(key, process, op).any(|k| open(&k)) {
                        continue;
                    }
                    let detail = event_detail(&r, &ctx, after);
                    hits.extend(recovery::recovers(
                        &index,
                        &keys,
                        key,
                        process,
                        op,
                        crate::intent::access(op, &detail),
                        i as u64,
                    ));
                }
                hits
            })
            .collect();
        for k in found {
            keys[k].recovered = true;
        }
    }
    let done = recovery::recovered(&keys);
    recovery::finish(&mut scan.agg, &done);
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_are_checked() {
        assert_eq!(header(b"PML_"), Err(HeaderError::Truncated));
        let mut h = vec![0u8; HEADER];
        h[..4].copy_from_slice(b"PML_");
        h[4] = 8;
        assert_eq!(header(&h), Err(HeaderError::Unsupported(8)));
        h[4] = 9;
        h[8] = 1;
        assert_eq!(header(&h).map(|h| h.ptr), Ok(8));
    }
}
