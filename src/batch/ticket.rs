//! One ticket: its listing in the batch folder, its fingerprint (what a resumed run
//! compares), and its scan into a [`Block`].

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::Block;
use super::shard::fnv1a;
use crate::discover::discover;
use crate::filter::Filter;
use crate::progress::Progress;
use crate::rank::rank;
use crate::report::{Report, SCHEMA_VERSION, Summary};
use crate::scan::{InputStatus, InputSummary, ScanOptions, scan_with};

/// A ticket: a direct child (folder or file) of a batch folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ticket {
    /// Its name in the batch folder.
    pub id: String,
    pub path: PathBuf,
}

/// The tickets of a batch folder: every direct child but hidden ones (a name starting
/// with `.`), sorted by name.
pub fn list(dir: &Path) -> std::io::Result<Vec<Ticket>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let id = entry.file_name().to_string_lossy().into_owned();
        if id.starts_with('.') {
            continue;
        }
        out.push(Ticket {
            id,
            path: entry.path(),
        });
    }
    out.sort_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// What a ticket's result depends on, hashed: `salt` (the tool version and the
/// filter), then every file of the ticket (its path inside the ticket, size and
/// modification time). A rerun reuses a saved result only when this is unchanged.
pub fn fingerprint(t: &Ticket, salt: &str) -> String {
    let mut text = format!("{salt}\n");
    let stamp = |p: &Path| -> String {
        match std::fs::metadata(p) {
            Ok(m) => {
                let mtime = m
                    .modified()
                    .ok()
                    .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos());
                format!("{} {mtime}", m.len())
            }
            Err(e) => format!("error {e}"),
        }
    };
    if t.path.is_dir() {
        let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&t.path)
            .follow_links(true)
            .into_iter()
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_file())
            .map(|e| e.into_path())
            .collect();
        files.sort();
        for f in files {
            let rel = f.strip_prefix(&t.path).unwrap_or(&f);
            text.push_str(&format!("{}\t{}\n", rel.display(), stamp(&f)));
        }
    } else {
        text.push_str(&stamp(&t.path));
    }
    format!("{:016x}", fnv1a(text.as_bytes()))
}

/// An input of a ticket that was read.
#[derive(Debug, Clone, Serialize)]
pub struct Read {
    pub input: String,
    pub kind: Option<&'static str>,
    /// Size on disk (stored size inside an archive).
    pub bytes: u64,
    pub rows: u64,
    pub matches: u64,
}

/// A skipped or failed input of a ticket, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Listed {
    pub input: String,
    pub why: String,
}

/// The summary line of a ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketLine {
    /// The ticket's folder or archive.
    pub source: String,
    /// `ok`, `failed` (an input, or the ticket itself, could not be read) or
    /// `no-logs` (nothing in it is a log culprit reads).
    pub status: &'static str,
    pub fingerprint: String,
    #[serde(flatten)]
    pub summary: Summary,
    /// The top path, if any.
    pub top: Option<String>,
    /// Every input read, skipped or failed: what the ticket held.
    pub read_inputs: Vec<Read>,
    pub skipped: Vec<Listed>,
    pub failed: Vec<Listed>,
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema_version: u32,
    ticket: &'a str,
    #[serde(flatten)]
    body: &'a T,
}

fn line<T: Serialize>(kind: &'static str, ticket: &str, body: &T) -> String {
    serde_json::to_string(&Tagged {
        kind,
        schema_version: SCHEMA_VERSION,
        ticket,
        body,
    })
    .unwrap_or_else(|e| format!("{{\"type\":\"error\",\"error\":{:?}}}", e.to_string()))
}

/// Scans one ticket as a single-ticket run would (its top `top` paths, 0 = all) and
/// returns its block.
pub fn scan_ticket(
    t: &Ticket,
    filter: &Filter,
    options: ScanOptions,
    top: usize,
    fingerprint: String,
    progress: &dyn Progress,
) -> Block {
    let (inputs, missing) = discover(std::slice::from_ref(&t.path));
    let mut outcome = scan_with(&inputs, filter, options, progress);
    outcome.inputs.extend(missing.iter().map(|m| {
        let path = m.path.display().to_string();
        let message = format!("{path}: {}", m.error);
        InputSummary::failed(path, message)
    }));
    let ranked = rank(&outcome, top);
    let report = Report::new(&outcome, ranked, filter);
    let id = t.id.as_str();
    let mut lines = Vec::new();
    for f in &report.findings {
        lines.push(line("finding", id, f));
    }
    for c in &report.context {
        lines.push(line("context", id, c));
    }
    for n in &report.notes {
        lines.push(line("note", id, n));
    }
    let listed = |s: InputStatus| -> Vec<Listed> {
        report
            .inputs
            .iter()
            .filter(|i| i.status == s)
            .map(|i| Listed {
                input: i.path.clone(),
                why: i.message.clone().unwrap_or_default(),
            })
            .collect()
    };
    for i in report
        .inputs
        .iter()
        .filter(|i| i.status == InputStatus::Failed)
    {
        lines.push(line("input", id, i));
    }
    let failed = listed(InputStatus::Failed);
    let status = if !failed.is_empty() || report.inputs.is_empty() && !t.path.exists() {
        "failed"
    } else if report.summary.read == 0 {
        "no-logs"
    } else {
        "ok"
    };
    let summary_line = TicketLine {
        source: t.path.display().to_string(),
        status,
        fingerprint,
        top: report.findings.first().map(|f| f.path.clone()),
        read_inputs: report
            .inputs
            .iter()
            .filter(|i| i.status == InputStatus::Ok)
            .map(|i| Read {
                input: i.path.clone(),
                kind: i.kind,
                bytes: i.bytes,
                rows: i.rows,
                matches: i.matches,
            })
            .collect(),
        skipped: listed(InputStatus::Skipped),
        failed,
        summary: report.summary.clone(),
    };
    lines.push(line("ticket", id, &summary_line));
    Block {
        id: t.id.clone(),
        lines,
    }
}
