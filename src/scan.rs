//! Orchestration: every input in parallel, each through the source its content calls
//! for, aggregates merged in input order. No flags or terminals here.

use std::path::PathBuf;

use rayon::prelude::*;
use serde::Serialize;

use crate::aggregate::Aggregate;
use crate::discover::Input;
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::Family;
use crate::progress::Progress;
use crate::sources::io::archive;
use crate::sources::io::limit::{Budget, Limits};
use crate::sources::io::open;
use crate::sources::{self, FileScan, Prepared, Reading};
use crate::twins::{self, Signatures};

/// What became of one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum InputStatus {
    /// Read to the end.
    Ok,
    /// Not a log culprit reads (found while walking a folder).
    Skipped,
    /// Could not be read, or not completely; the error says where.
    Failed,
}

impl InputStatus {
    /// The name used in every output (`ok`, `skipped`, `failed`).
    pub fn as_str(self) -> &'static str {
        match self {
            InputStatus::Ok => "ok",
            InputStatus::Skipped => "skipped",
            InputStatus::Failed => "failed",
        }
    }
}

/// The per-input summary: kind, rows read, bad rows, matches.
#[derive(Debug, Clone, Serialize)]
pub struct InputSummary {
    pub path: String,
    pub status: InputStatus,
    /// The format read (`procmon-csv`, `procmon-pml`, `procmon-xml`, `evtx`), or null
    /// when unrecognised.
    pub kind: Option<&'static str>,
    /// Its source family (`procmon`, `evtx`).
    pub family: Option<Family>,
    /// What its record numbers count: `line`, `event` or `record` (EVTX record id).
    pub origin: Option<&'static str>,
    pub encoding: Option<&'static str>,
    pub gzip: bool,
    pub bytes: u64,
    pub rows: u64,
    pub bad_rows: u64,
    pub matches: u64,
    /// The first bad row, `line N: reason`.
    pub first_bad_row: Option<String>,
    /// Records with a selected status from processes outside the process filter.
    pub other_processes: u64,
    /// Kept records whose time of day did not parse (kept whatever the time window).
    pub untimed: u64,
    /// Kept records without a calendar date.
    pub undated: u64,
    /// Why it was skipped or failed.
    pub message: Option<String>,
    /// The input this one duplicates (a CSV or XML export of a PML given in the same
    /// run): its events are counted once, under that input.
    pub twin_of: Option<String>,
}

impl InputSummary {
    /// An input that could not be read at all (`message` names it and says why).
    pub fn failed(path: String, message: String) -> InputSummary {
        InputSummary {
            status: InputStatus::Failed,
            message: Some(message),
            ..summary(&Input::file(&path, true))
        }
    }
}

/// The outcome of a scan.
pub struct ScanOutcome {
    pub inputs: Vec<InputSummary>,
    pub aggregate: Aggregate,
}

impl ScanOutcome {
    pub fn failed(&self) -> usize {
        self.inputs
            .iter()
            .filter(|i| i.status == InputStatus::Failed)
            .count()
    }
}

/// What a head of bytes looks like when it is not a Procmon CSV.
/// Logs of kinds culprit does not read yet, recognised by a phrase of their first
/// 64 KiB, so that a note says what the file is instead of "not a Procmon CSV".
static NOT_YET: &[(&[u8], &str)] = &[];

fn describe_other(head: &[u8]) -> &'static str {
    if head.is_empty() {
        return "an empty file";
    }
    if let Some((_, why)) = NOT_YET
        .iter()
        .find(|(needle, _)| memchr::memmem::find(head, needle).is_some())
    {
        return why;
    }
    if head.starts_with(b"PK\x05\x06") {
        "an empty zip archive (no files inside)"
    } else if archive::kind_of(head).is_some() {
        "an archive inside an archive that culprit does not open (nested three levels deep, or not named .zip, .cab, .tar or .tgz): unpack it and scan the folder"
    } else if head.contains(&0) {
        "binary data, not a Procmon CSV export"
    } else {
        "not a Procmon CSV export (its first line is not a Procmon header)"
    }
}

fn summary(input: &Input) -> InputSummary {
    InputSummary {
        path: input.display(),
        status: InputStatus::Ok,
        kind: None,
        family: None,
        origin: None,
        encoding: None,
        gzip: false,
        bytes: 0,
        rows: 0,
        bad_rows: 0,
        matches: 0,
        first_bad_row: None,
        other_processes: 0,
        untimed: 0,
        undated: 0,
        message: None,
        twin_of: None,
    }
}

/// Opens an input: a file (mapped when allowed) or a zip member (streamed).
/// What compressed inputs expand to is capped by `budget`.
pub fn open_input(
    input: &Input,
    mmap: bool,
    budget: &std::sync::Arc<Budget>,
) -> std::io::Result<open::Opened> {
    match &input.member {
        None => open::open(&input.path, mmap, budget),
        Some(m) => {
            let src = match &input.held {
                Some(h) => archive::Source::Held(&h.data),
                None => archive::Source::File(&input.path),
            };
            let (reader, stored) = archive::open_member_in(&src, m, budget)?;
            open::from_reader(reader, stored, budget)
        }
    }
}

/// [`scan_one`] behind a safety net: a defect that panics while reading one input
/// fails that input, by name, and every other input's findings are kept.
fn guarded(
    input: &Input,
    index: u32,
    prepared: &Prepared<'_>,
    mmap: bool,
    progress: &dyn Progress,
) -> (InputSummary, Aggregate) {
    let run = std::panic::AssertUnwindSafe(|| {
        let (mut s, agg) = scan_one(input, index, prepared, mmap, progress);
        changed_while_read(input, &mut s);
        (s, agg)
    });
    std::panic::catch_unwind(run).unwrap_or_else(|payload| {
        let why = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown".to_string());
        let mut s = summary(input);
        s.status = InputStatus::Failed;
        s.message = Some(format!(
            "{}: internal error while reading it ({why}); the other inputs are unaffected. Please report this file.",
            input.display()
        ));
        (s, Aggregate::default())
    })
}

fn scan_one(
    input: &Input,
    index: u32,
    prepared: &Prepared<'_>,
    mmap: bool,
    progress: &dyn Progress,
) -> (InputSummary, Aggregate) {
    let s = summary(input);
    // Errors name the input as reports do (`ticket.zip!member` inside archives).
    let name = PathBuf::from(input.display());
    if input.piped {
        return scan_piped(input, s, &name, index, prepared, mmap, progress);
    }
    let opened = match open_input(input, mmap, &prepared.budget) {
        Ok(o) => o,
        Err(source) => return failed(s, SourceError::Open { path: name, source }),
    };
    let reopen = || open_input(input, mmap, &prepared.budget);
    let ctx = Reading {
        name: &name,
        index,
        prepared,
        progress,
        reopen: &reopen,
    };
    scan_opened(s, opened, &ctx, input.explicit)
}

/// A pipe, FIFO or standard input is read exactly once: copied as it streams in to an
/// anonymous temporary file (disk, not memory), which is then read like any file, so
/// sniffing, gzip, PML and the recovery pass all work and nothing of the stream is
/// lost to a second open.
fn scan_piped(
    input: &Input,
    s: InputSummary,
    name: &std::path::Path,
    index: u32,
    prepared: &Prepared<'_>,
    mmap: bool,
    progress: &dyn Progress,
) -> (InputSummary, Aggregate) {
    let open_error = |source| SourceError::Open {
        path: name.to_path_buf(),
        source,
    };
    let spill = (|| -> std::io::Result<tempfile::NamedTempFile> {
        let mut tmp = tempfile::NamedTempFile::new()?;
        let copied = if input.is_stdin() {
            std::io::copy(&mut std::io::stdin().lock(), tmp.as_file_mut())?
        } else {
            std::io::copy(&mut std::fs::File::open(&input.path)?, tmp.as_file_mut())?
        };
        progress.add_total(copied);
        Ok(tmp)
    })();
    let tmp = match spill {
        Ok(t) => t,
        Err(source) => return failed(s, open_error(source)),
    };
    let reopen = || open::open(tmp.path(), mmap, &prepared.budget);
    let opened = match reopen() {
        Ok(o) => o,
        Err(source) => return failed(s, open_error(source)),
    };
    let ctx = Reading {
        name,
        index,
        prepared,
        progress,
        reopen: &reopen,
    };
    scan_opened(s, opened, &ctx, input.explicit)
}

fn failed(mut s: InputSummary, e: SourceError) -> (InputSummary, Aggregate) {
    s.status = InputStatus::Failed;
    s.message = Some(e.to_string());
    (s, Aggregate::default())
}

/// Reads one opened input through the format its first bytes call for.
fn scan_opened(
    mut s: InputSummary,
    opened: open::Opened,
    r: &Reading<'_>,
    explicit: bool,
) -> (InputSummary, Aggregate) {
    s.bytes = opened.disk_len;
    s.encoding = Some(opened.encoding);
    s.gzip = opened.gzip;
    if let Some(format) = sources::recognise(&opened.head) {
        s.kind = Some(format.kind);
        s.family = Some(format.family);
        s.origin = Some(format.origin.as_str());
        return finish(s, (format.read)(opened, r));
    }
    r.progress.advance(s.bytes);
    let why = describe_other(&opened.head).to_string();
    if explicit {
        let path = r.name.to_path_buf();
        failed(s, SourceError::Unrecognised { path, why })
    } else {
        s.status = InputStatus::Skipped;
        s.message = Some(why);
        (s, Aggregate::default())
    }
}

/// Reads one input held in memory (`name` as reports call it), whatever its kind:
/// gzip, any text encoding, Procmon CSV, XML or PML. For fuzzing and for callers
/// that already hold the bytes.
pub fn scan_bytes(name: &str, bytes: &[u8], filter: &Filter) -> (InputSummary, Aggregate) {
    let prepared = Prepared::new(filter, crate::sources::io::chunks::CHUNK, Limits::default());
    let input = Input::file(name, true);
    let s = summary(&input);
    let len = bytes.len() as u64;
    let reopen = || {
        let cursor = Box::new(std::io::Cursor::new(bytes.to_vec()));
        open::from_reader(cursor, len, &prepared.budget)
    };
    let opened = match reopen() {
        Ok(o) => o,
        Err(source) => {
            let path = PathBuf::from(name);
            return failed(s, SourceError::Open { path, source });
        }
    };
    let ctx = Reading {
        name: std::path::Path::new(name),
        index: 0,
        prepared: &prepared,
        progress: &crate::progress::NoProgress,
        reopen: &reopen,
    };
    scan_opened(s, opened, &ctx, true)
}

/// How to read inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScanOptions {
    /// Map plain files into memory (fastest); off reads them in bounded blocks.
    pub mmap: bool,
    /// Bytes per parallel chunk.
    pub chunk: usize,
    /// Caps on what compressed inputs expand to (decompression bombs).
    pub limits: Limits,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            mmap: true,
            chunk: crate::sources::io::chunks::CHUNK,
            limits: Limits::default(),
        }
    }
}

/// A file truncated or still growing while it was read gave a partial view: say so
/// (the findings stand for the part read).
fn changed_while_read(input: &Input, s: &mut InputSummary) {
    if input.member.is_some() || input.piped || s.status != InputStatus::Ok || s.kind.is_none() {
        return;
    }
    let Ok(now) = std::fs::metadata(&input.path).map(|m| m.len()) else {
        return;
    };
    if now != s.bytes {
        s.status = InputStatus::Failed;
        s.message = Some(format!(
            "{}: the file changed size while it was read ({} bytes when opened, {now} now): the findings cover only what was read",
            input.display(),
            s.bytes
        ));
    }
}

/// Fills a summary from a file scan.
fn finish(mut s: InputSummary, r: FileScan) -> (InputSummary, Aggregate) {
    s.rows = r.stats.rows;
    s.bad_rows = r.stats.bad_rows;
    s.matches = r.stats.matches;
    s.other_processes = r.stats.others;
    s.untimed = r.agg.untimed;
    s.undated = r.agg.undated;
    let unit = s.origin.unwrap_or("line");
    // Where 0: the damage has no record of its own (a bad EVTX chunk).
    s.first_bad_row = r.stats.first_bad.map(|(l, why)| match l {
        0 => why,
        l => format!("{unit} {l}: {why}"),
    });
    if let Some(e) = r.error {
        s.status = InputStatus::Failed;
        s.message = Some(e.to_string());
    }
    (s, r.agg)
}

/// Scans every input (in parallel) and merges the findings in input order.
pub fn scan(inputs: &[Input], filter: &Filter, progress: &dyn Progress) -> ScanOutcome {
    scan_with(inputs, filter, ScanOptions::default(), progress)
}

/// [`scan`] with explicit reading options.
pub fn scan_with(
    inputs: &[Input],
    filter: &Filter,
    options: ScanOptions,
    progress: &dyn Progress,
) -> ScanOutcome {
    let prepared = Prepared::new(filter, options.chunk, options.limits);
    // The whole total is known before the first byte: files by their size, archive
    // members by their stored size (what progress counts), so the ETA holds from the
    // start. Pipes add what they copied once they are read.
    let total: u64 = inputs
        .iter()
        .filter(|i| !i.piped)
        .map(|i| match &i.member {
            Some(m) => m.stored,
            None => std::fs::metadata(&i.path).map_or(0, |m| m.len()),
        })
        .sum();
    progress.add_total(total);
    let results: Vec<(InputSummary, Aggregate)> = inputs
        .par_iter()
        .enumerate()
        .map(|(i, input)| guarded(input, i as u32, &prepared, options.mmap, progress))
        .collect();
    // One capture, one source: twins are counted once, under the kept input.
    let sigs: Vec<&Signatures> = results.iter().map(|(_, a)| &a.signatures).collect();
    // Twins are Procmon exports of one capture: the PML is kept, then the XML.
    let prefer: Vec<u8> = results
        .iter()
        .map(|(s, _)| match s.kind {
            Some("procmon-pml") => 0,
            Some("procmon-xml") => 1,
            _ => 2,
        })
        .collect();
    let twin_of = twins::detect(&sigs, &prefer);
    let names: Vec<String> = results.iter().map(|(s, _)| s.path.clone()).collect();
    let mut aggregate = Aggregate::default();
    let mut summaries = Vec::with_capacity(results.len());
    for ((mut s, mut agg), twin) in results.into_iter().zip(twin_of) {
        agg.signatures = Signatures::default();
        match twin {
            Some(kept) => {
                s.message = Some(format!(
                    "same capture as {}: its {} matching records are counted once, there",
                    names[kept], s.matches
                ));
                s.twin_of = Some(names[kept].clone());
            }
            None => aggregate.merge(agg, 0, 0),
        }
        summaries.push(s);
    }
    ScanOutcome {
        inputs: summaries,
        aggregate,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn other_kinds_are_named_for_what_they_are() {
        assert_eq!(describe_other(b""), "an empty file");
        assert!(describe_other(b"a,b\n1,2\n").starts_with("not a Procmon CSV"));
    }

    #[test]
    fn a_file_that_shrank_while_read_is_failed_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("shrinking.csv");
        std::fs::write(&p, vec![b'x'; 1000]).unwrap();
        let input = Input::file(&p, true);
        let mut s = summary(&input);
        s.kind = Some("procmon-csv");
        s.bytes = 1000;
        changed_while_read(&input, &mut s);
        assert_eq!(s.status, InputStatus::Ok, "unchanged");
        std::fs::write(&p, vec![b'x'; 400]).unwrap();
        changed_while_read(&input, &mut s);
        assert_eq!(s.status, InputStatus::Failed);
        let m = s.message.unwrap();
        assert!(
            m.contains("shrinking.csv") && m.contains("1000") && m.contains("400"),
            "{m}"
        );
    }
}
