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

use super::pml_names as names;
use super::procmon_csv::{FileScan, Stats};
use super::recovery;
use crate::aggregate::Aggregate;
use crate::codes::{self, Code};
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::Event;
use crate::pathnorm;
use crate::progress::Progress;
use crate::timefmt;

/// Size of the header; events start after it.
const HEADER: usize = 0x3A8;
/// Fixed part of an event record.
const EVENT_HEAD: usize = 0x34;
/// Events per parallel chunk.
const CHUNK_EVENTS: usize = 32 * 1024;

fn u16_at(b: &[u8], o: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(o..o + 2)?.try_into().ok()?))
}
fn u32_at(b: &[u8], o: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(o..o + 4)?.try_into().ok()?))
}
fn u64_at(b: &[u8], o: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(o..o + 8)?.try_into().ok()?))
}

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
    let q = |o| u64_at(b, o).unwrap_or(0);
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

fn utf16(b: &[u8]) -> String {
    let units: Vec<u16> = b
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .take_while(|&u| u != 0)
        .collect();
    String::from_utf16_lossy(&units)
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

/// The process table, or `None` when it (or the string table) is not in the file.
fn processes(b: &[u8], h: &Header) -> Option<HashMap<u32, Proc>> {
    let base = h.process_offset as usize;
    let strings = h.strings_offset as usize;
    let n = u32_at(b, base)? as usize;
    let offsets = base + 4 + 4 * n;
    let mut out = HashMap::with_capacity(n);
    for i in 0..n {
        let p = base + u32_at(b, offsets + 4 * i)? as usize;
        let index = u32_at(b, p)?;
        let pid = u32_at(b, p + 4)?;
        let name = table_string(b, strings, u32_at(b, p + 0x40)?)?;
        out.insert(index, Proc { name, pid });
    }
    Some(out)
}

/// One event's fixed part and where its detail structures are.
#[derive(Debug, Clone, Copy)]
struct Raw<'a> {
    process: u32,
    class: u32,
    op: u16,
    filetime: u64,
    result: u32,
    details: &'a [u8],
    /// The offset just past the event (used to walk a capture without its table).
    end: usize,
}

fn raw_event(b: &[u8], off: usize, ptr: usize) -> Option<Raw<'_>> {
    let depth = u16_at(b, off + 0x28)? as usize;
    let size = u32_at(b, off + 0x2C)? as usize;
    let extra = u32_at(b, off + 0x30)? as usize;
    let start = off + EVENT_HEAD + depth * ptr;
    let details = b.get(start..start.checked_add(size)?)?;
    let mut end = start + size;
    if extra > 0 {
        let x = off + extra;
        end = end.max(x + 2 + u16_at(b, x)? as usize);
        if end > b.len() {
            return None;
        }
    }
    Some(Raw {
        process: u32_at(b, off)?,
        class: u32_at(b, off + 8)?,
        op: u16_at(b, off + 0xC)?,
        filetime: u64_at(b, off + 0x1C)?,
        result: u32_at(b, off + 0x24)?,
        details,
        end,
    })
}

/// A detail string: a `u16` info (bit 15 = ASCII, low bits = characters) then the text.
fn detail_string(d: &[u8], info: u16, pos: usize) -> Option<(String, usize)> {
    let ascii = info >> 15 == 1;
    let chars = (info & 0x7FFF) as usize;
    let len = if ascii { chars } else { chars * 2 };
    let raw = d.get(pos..pos + len)?;
    let s = if ascii {
        raw.iter().map(|&c| c as char).collect()
    } else {
        utf16(raw)
    };
    Some((s, pos + len))
}

/// What decoding an event needs besides the event: pointer size, version, and the
/// host and port names network paths are printed with.
struct Ctx {
    ptr: usize,
    version: u32,
    hosts: HashMap<[u8; 16], String>,
    ports: HashMap<(u16, bool), String>,
}

/// Host names by IP (16 bytes, IPv4 in the first 4) and port names by (port, TCP).
type Names = (HashMap<[u8; 16], String>, HashMap<(u16, bool), String>);

/// Reads the hosts and ports tables (absent or damaged tables give empty maps: IPs and
/// port numbers are printed instead, as Procmon does for unresolved ones).
fn hosts_and_ports(b: &[u8], at: usize) -> Names {
    let (mut hosts, mut ports) = (HashMap::new(), HashMap::new());
    let mut p = at;
    let Some(n) = u32_at(b, p) else {
        return (hosts, ports);
    };
    p += 4;
    for _ in 0..n {
        let (Some(ip), Some(len)) = (b.get(p..p + 16), u32_at(b, p + 16)) else {
            return (hosts, ports);
        };
        let Some(name) = b.get(p + 20..p + 20 + len as usize) else {
            return (hosts, ports);
        };
        hosts.insert(ip.try_into().unwrap_or([0; 16]), utf16(name));
        p += 20 + len as usize;
    }
    let Some(n) = u32_at(b, p) else {
        return (hosts, ports);
    };
    p += 4;
    for _ in 0..n {
        let (Some(port), Some(tcp), Some(len)) = (u16_at(b, p), u16_at(b, p + 2), u32_at(b, p + 4))
        else {
            return (hosts, ports);
        };
        let Some(name) = b.get(p + 8..p + 8 + len as usize) else {
            return (hosts, ports);
        };
        ports.insert((port, tcp != 0), utf16(name));
        p += 8 + len as usize;
    }
    (hosts, ports)
}

/// `host:port` as Procmon prints a network endpoint.
fn endpoint(ctx: &Ctx, ip: &[u8], ipv4: bool, port: u16, tcp: bool) -> String {
    let key: [u8; 16] = ip.try_into().unwrap_or([0; 16]);
    let host = match ctx.hosts.get(&key).filter(|h| !h.is_empty()) {
        Some(h) => h.clone(),
        None if ipv4 => std::net::Ipv4Addr::new(ip[0], ip[1], ip[2], ip[3]).to_string(),
        // Procmon writes every IPv6 group, without leading zeros and without `::`.
        None => ip
            .chunks(2)
            .map(|g| format!("{:x}", u16::from_be_bytes([g[0], g[1]])))
            .collect::<Vec<_>>()
            .join(":"),
    };
    let port = ctx
        .ports
        .get(&(port, tcp))
        .cloned()
        .unwrap_or_else(|| port.to_string());
    format!("{host}:{port}")
}

/// Operation name, path and the detail text the write-intent rules read.
fn describe(r: &Raw<'_>, ctx: &Ctx, tid_path: u32) -> (String, String, String) {
    let ptr = ctx.ptr;
    let d = r.details;
    let mut protocol = "";
    let none = || (String::new(), String::new());
    let (path, detail, sub) = match r.class {
        names::CLASS_REGISTRY => {
            let info = u16_at(d, 0).unwrap_or(0);
            let (skip, access) = match r.op {
                names::REG_LOAD_KEY | names::REG_RENAME_KEY => (2, None),
                names::REG_OPEN_KEY | names::REG_CREATE_KEY => (6, u32_at(d, 4)),
                names::REG_QUERY_KEY | names::REG_QUERY_VALUE => (10, None),
                names::REG_ENUM_VALUE | names::REG_ENUM_KEY => (14, None),
                names::REG_SET_INFO_KEY => (14, None),
                names::REG_SET_VALUE => (14, None),
                _ => (0, None),
            };
            let path = detail_string(d, info, 2 + skip)
                .map(|x| x.0)
                .unwrap_or_default();
            let detail = access
                .filter(|&a| a != 0)
                .map(|a| format!("Desired Access: {}", names::registry_access(a)))
                .unwrap_or_default();
            (path, detail, 0)
        }
        names::CLASS_FILE_SYSTEM | names::CLASS_IPC => {
            let sub = d.first().copied().unwrap_or(0);
            let fixed = 4 + ptr * 5 + 0x14;
            let info = u16_at(d, fixed).unwrap_or(0);
            let (mut path, after) =
                detail_string(d, info, fixed + 4).unwrap_or_else(|| (String::new(), d.len()));
            // QueryDirectory: the filter follows the path and Procmon shows it appended.
            if r.op == names::FS_DIRECTORY_CONTROL
                && sub == 1
                && let Some((filter, _)) =
                    u16_at(d, after).and_then(|i| detail_string(d, i, after + 2))
                && !filter.is_empty()
            {
                if !path.ends_with('\\') {
                    path.push('\\');
                }
                path.push_str(&filter);
            }
            let detail = if r.op == names::FS_CREATE_FILE {
                let access = u32_at(d, after).map(names::file_access).unwrap_or_default();
                let dispo_opts = u32_at(d, 4 + 0x10 + if ptr == 8 { 4 } else { 0 }).unwrap_or(0);
                let mut s = format!(
                    "Desired Access: {access}, Disposition: {}",
                    names::disposition(dispo_opts >> 24)
                );
                if dispo_opts & 0x1000 != 0 {
                    s.push_str(", Options: Delete On Close");
                }
                s
            } else {
                String::new()
            };
            (path, detail, sub)
        }
        names::CLASS_PROCESS => {
            let path = match r.op {
                // Load Image: image base, size, path info, 2 unknown bytes, path.
                5 => u16_at(d, ptr + 4)
                    .and_then(|i| detail_string(d, i, ptr + 8))
                    .map(|x| x.0),
                // Process Defined / Create: ..., two sizes, path info, command-line info, 2 + sizes, path.
                0 | 1 => {
                    let (s1, s2) = (
                        *d.get(0x2C).unwrap_or(&0) as usize,
                        *d.get(0x2D).unwrap_or(&0) as usize,
                    );
                    u16_at(d, 0x2E)
                        .and_then(|i| detail_string(d, i, 0x32 + 2 + s1 + s2))
                        .map(|x| x.0)
                }
                _ => None,
            };
            (path.unwrap_or_default(), String::new(), 0)
        }
        names::CLASS_PROFILING if r.op == 0 => (format!("Thread {tid_path}"), String::new(), 0),
        names::CLASS_NETWORK => {
            let flags = u16_at(d, 0).unwrap_or(0);
            let tcp = flags & 4 != 0;
            protocol = if tcp { "TCP " } else { "UDP " };
            let path = match (d.get(8..24), d.get(24..40), u16_at(d, 40), u16_at(d, 42)) {
                (Some(src), Some(dst), Some(sp), Some(dp)) => {
                    format!(
                        "{} -> {}",
                        endpoint(ctx, src, flags & 1 != 0, sp, tcp),
                        endpoint(ctx, dst, flags & 2 != 0, dp, tcp)
                    )
                }
                _ => String::new(),
            };
            (path, String::new(), 0)
        }
        _ => {
            let (p, dt) = none();
            (p, dt, 0)
        }
    };
    let op = match (ctx.version, r.class, r.op, sub) {
        // Procmon 2.x (PML version 7) printed FileAllocationInformation this way.
        (7, names::CLASS_FILE_SYSTEM, 26, 0x13) => "SetAllInformationFile".to_string(),
        _ => names::operation(r.class, r.op, sub),
    };
    (format!("{protocol}{op}"), path, detail)
}

/// The image name in a `Process Start` event's command line (for captures whose
/// process table was lost).
fn name_from_process_start(r: &Raw<'_>) -> Option<String> {
    if r.class != names::CLASS_PROCESS || r.op != 7 {
        return None;
    }
    let (cmd, _) = detail_string(r.details, u16_at(r.details, 4)?, 12)?;
    let cmd = cmd.trim();
    let exe = match cmd.strip_prefix('"') {
        Some(q) => q.split('"').next()?,
        None => cmd.split(' ').next()?,
    };
    exe.rsplit(['\\', '/'])
        .next()
        .filter(|n| !n.is_empty())
        .map(str::to_string)
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
    let mut scan = FileScan {
        agg: Aggregate::default(),
        stats: Stats::default(),
        error: None,
    };
    let corrupt = |offset: usize, why: String| SourceError::Corrupt {
        path: path.to_path_buf(),
        offset: offset as u64,
        why,
    };
    let h = match header(b) {
        Ok(h) => h,
        Err(HeaderError::Unsupported(v)) => {
            scan.error = Some(SourceError::Unsupported {
                path: path.to_path_buf(),
                why: format!(
                    "PML version {v} (culprit reads version 9, written by Procmon 3.x and later)"
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
        (true, Some(p)) => (Offsets::Table(h.offsets_offset as usize), p),
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
                    let (_, image, _) = describe(&r, &ctx, 0);
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
    let parts: Vec<(Aggregate, u64, Option<usize>)> = (0..count)
        .step_by(CHUNK_EVENTS)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| {
            let mut agg = Aggregate::default();
            let mut bad = 0u64;
            let mut first_bad = None;
            let end = (start + CHUNK_EVENTS).min(count);
            for i in start..end {
                let Some(r) = offsets.get(b, i).and_then(|o| raw_event(b, o, h.ptr)) else {
                    bad += 1;
                    first_bad.get_or_insert(i);
                    continue;
                };
                let Some(class) = filter.statuses.match_ntstatus(r.result) else {
                    continue;
                };
                if !keeps(r.process) {
                    continue;
                }
                let p = proc_of(r.process);
                let tid = u32_at(b, offsets.get(b, i).unwrap_or(0) + 4).unwrap_or(0);
                let (op, path, detail) = describe(&r, &ctx, tid);
                agg.add(&Event {
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
                    time: timefmt::filetime_moment(r.filetime),
                });
            }
            progress.advance((end - start) as u64 * bytes_per_event);
            (agg, bad, first_bad)
        })
        .collect();
    for (agg, bad, first_bad) in parts {
        scan.agg.merge(agg, 0, 0);
        scan.stats.bad_rows += bad;
        if scan.stats.first_bad.is_none() {
            scan.stats.first_bad =
                first_bad.map(|i| (i as u64 + 1, "event record outside the file".to_string()));
        }
    }
    scan.stats.rows = count as u64;
    // Events the header announces but the damaged file no longer holds.
    scan.stats.bad_rows += (n as u64).saturating_sub(count as u64);
    scan.stats.matches = scan.agg.events();

    // Pass 2: recovery, from the earliest last failure.
    let mut keys = recovery::keys(&scan.agg);
    if let Some(first) = keys.iter().map(|k| k.last).min() {
        let index: HashMap<(&str, &str, &str), usize> = keys
            .iter()
            .enumerate()
            .map(|(i, k)| {
                (
                    (k.path.as_str(), k.process.as_str(), k.operation.as_str()),
                    i,
                )
            })
            .collect();
        let wanted: HashSet<&str> = keys.iter().map(|k| k.process.as_str()).collect();
        let relevant: HashSet<u32> = procs
            .iter()
            .filter(|(_, p)| wanted.contains(p.name.to_lowercase().as_str()))
            .map(|(&i, _)| i)
            .collect();
        let ops: HashSet<&str> = keys.iter().map(|k| k.operation.as_str()).collect();
        let found: Vec<usize> = (first as usize + 1..count)
            .step_by(CHUNK_EVENTS)
            .collect::<Vec<_>>()
            .into_par_iter()
            .flat_map_iter(|start| {
                let mut hits = Vec::new();
                for i in start..(start + CHUNK_EVENTS).min(count) {
                    let Some(r) = offsets.get(b, i).and_then(|o| raw_event(b, o, h.ptr)) else {
                        continue;
                    };
                    if r.result != 0 || !relevant.contains(&r.process) {
                        continue;
                    }
                    let (op, path, _) = describe(&r, &ctx, 0);
                    if !ops.contains(op.as_str()) {
                        continue;
                    }
                    let key = pathnorm::key(&pathnorm::normalize(&path));
                    let process = proc_of(r.process).name.to_lowercase();
                    if let Some(&k) = index.get(&(key.as_str(), process.as_str(), op.as_str()))
                        && i as u64 > keys[k].last
                    {
                        hits.push(k);
                    }
                }
                hits
            })
            .collect();
        for k in found {
            keys[k].recovered = true;
        }
    }
    recovery::finish(&mut scan.agg, &keys);
    scan
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detail_strings_ascii_and_utf16() {
        let d = [b'a', b'b', b'c'];
        assert_eq!(
            detail_string(&d, 0x8000 | 3, 0),
            Some(("abc".to_string(), 3))
        );
        let w: Vec<u8> = "hé".encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(detail_string(&w, 2, 0), Some(("hé".to_string(), 4)));
        assert_eq!(detail_string(&w, 9, 0), None);
    }

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

    #[test]
    fn image_names_from_command_lines() {
        let cmd: Vec<u8> = "\"C:\\Windows\\system32\\mstsc.exe\" /v:x"
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes())
            .collect();
        let mut d = vec![0u8; 12];
        d[4..6].copy_from_slice(&((cmd.len() / 2) as u16).to_le_bytes());
        d.extend_from_slice(&cmd);
        let r = Raw {
            process: 1,
            class: names::CLASS_PROCESS,
            op: 7,
            filetime: 0,
            result: 0,
            details: &d,
            end: 0,
        };
        assert_eq!(name_from_process_start(&r).as_deref(), Some("mstsc.exe"));
    }
}
