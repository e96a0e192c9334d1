//! Reports: the human table and the machine formats (JSON, JSON Lines, CSV).
//!
//! Machine formats carry `schema_version` ([`SCHEMA_VERSION`]); their fields are
//! documented in `docs/output.md`. Order is deterministic, so two runs diff clean.

mod csv_out;
pub mod explain_text;
pub mod html;
mod table;
pub mod visible;

use std::io::{self, Write};

use serde::Serialize;

use crate::context::ExitContext;
use crate::filter::Filter;
use crate::rank::{Finding, Ranked};
use crate::scan::{InputStatus, InputSummary, ScanOutcome};

/// `1 input`, `3 inputs`: counts in human messages.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

/// How the human table is drawn. Log text is attacker-controlled: every cell is
/// sanitised and the rest goes through [`visible::VisibleWriter`], whatever the style.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TableStyle {
    /// Total width to fit (a terminal's, or `COLUMNS`); `None` lets comfy-table ask
    /// the terminal, and draws at natural width when there is none.
    pub width: Option<u16>,
    /// Colour the verdict and score (never in machine formats).
    pub color: bool,
    /// ASCII borders for consoles without box-drawing characters.
    pub ascii: bool,
}

/// Version of the JSON/JSONL/CSV schema. Bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Ranked table plus evidence, for people.
    Table,
    /// One JSON document.
    Json,
    /// One JSON object per line: findings, then inputs, then a summary.
    Jsonl,
    /// One row per finding.
    Csv,
    /// One self-contained HTML page (inline style and script, no network), to attach
    /// to a ticket.
    Html,
}

/// The tool that wrote a report.
#[derive(Debug, Clone, Serialize)]
pub struct Tool {
    pub name: &'static str,
    pub version: &'static str,
}

impl Tool {
    /// This build of culprit.
    pub fn this() -> Tool {
        Tool {
            name: env!("CARGO_PKG_NAME"),
            version: env!("CARGO_PKG_VERSION"),
        }
    }
}

/// The filter a report was made with.
#[derive(Debug, Clone, Serialize)]
pub struct Filters {
    /// Lower-case image names; empty with `all_processes`.
    pub processes: Vec<String>,
    pub all_processes: bool,
    pub statuses: Vec<String>,
    /// `--since` / `--until`, normalised; null when not given.
    pub since: Option<String>,
    pub until: Option<String>,
}

impl Filters {
    /// How a report states `filter`.
    pub fn of(filter: &Filter) -> Filters {
        Filters {
            processes: filter.processes.names(),
            all_processes: filter.processes == crate::filter::ProcessSet::All,
            statuses: filter.statuses.names(),
            since: filter.window.since.map(|b| b.render()),
            until: filter.window.until.map(|b| b.render()),
        }
    }
}

/// Totals over the whole run.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub inputs: usize,
    pub read: usize,
    pub skipped: usize,
    pub failed: usize,
    pub rows: u64,
    pub bad_rows: u64,
    /// Matching records, each capture counted once (twins left out).
    pub matches: u64,
    /// Inputs recognised as another input's capture and counted once, there.
    pub twins: usize,
    /// Distinct offending paths found.
    pub paths: usize,
    /// Paths shown (after `--top`).
    pub shown: usize,
}

/// A whole report.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: u32,
    pub tool: Tool,
    pub filters: Filters,
    pub findings: Vec<Finding>,
    /// Evidence that names no path (process exit codes), beside the findings.
    pub context: Vec<ExitContext>,
    /// Other pathless evidence (RDP client disconnect reasons, refused privileges,
    /// services and packages that failed, known noise), beside the findings.
    pub notes: Vec<crate::notes::NoteContext>,
    pub inputs: Vec<InputSummary>,
    pub summary: Summary,
}

impl Report {
    pub fn new(outcome: &ScanOutcome, ranked: Ranked, filter: &Filter) -> Report {
        let Ranked {
            findings,
            context,
            notes,
        } = ranked;
        let count = |s: InputStatus| outcome.inputs.iter().filter(|i| i.status == s).count();
        let summary = Summary {
            inputs: outcome.inputs.len(),
            read: count(InputStatus::Ok),
            skipped: count(InputStatus::Skipped),
            failed: count(InputStatus::Failed),
            rows: outcome.inputs.iter().map(|i| i.rows).sum(),
            bad_rows: outcome.inputs.iter().map(|i| i.bad_rows).sum(),
            matches: outcome
                .inputs
                .iter()
                .filter(|i| i.twin_of.is_none())
                .map(|i| i.matches)
                .sum(),
            twins: outcome
                .inputs
                .iter()
                .filter(|i| i.twin_of.is_some())
                .count(),
            paths: outcome.aggregate.paths.len(),
            shown: findings.len(),
        };
        Report {
            schema_version: SCHEMA_VERSION,
            tool: Tool::this(),
            filters: Filters::of(filter),
            findings,
            context,
            notes,
            inputs: outcome.inputs.clone(),
            summary,
        }
    }

    /// Writes the report in `format`, the table in `style`.
    pub fn write_styled(
        &self,
        format: Format,
        out: &mut dyn Write,
        style: &TableStyle,
    ) -> io::Result<()> {
        match format {
            Format::Table => table::write(self, out, style),
            other => self.write(other, out),
        }
    }

    /// Writes the report in `format`, the table in `style`, an HTML page saying `meta`.
    pub fn write_full(
        &self,
        format: Format,
        out: &mut dyn Write,
        style: &TableStyle,
        meta: &html::Meta,
    ) -> io::Result<()> {
        match format {
            Format::Html => html::write_report(self, meta, out),
            other => self.write_styled(other, out, style),
        }
    }

    /// Writes the report in `format`.
    pub fn write(&self, format: Format, out: &mut dyn Write) -> io::Result<()> {
        match format {
            Format::Table => table::write(self, out, &TableStyle::default()),
            Format::Json => {
                serde_json::to_writer_pretty(&mut *out, self)?;
                writeln!(out)
            }
            Format::Jsonl => write_jsonl(self, out),
            Format::Csv => csv_out::write(self, out),
            Format::Html => {
                let meta = html::Meta::now(std::time::SystemTime::now());
                html::write_report(self, &meta, out)
            }
        }
    }
}

#[derive(Serialize)]
struct Tagged<'a, T: Serialize> {
    #[serde(rename = "type")]
    kind: &'static str,
    schema_version: u32,
    #[serde(flatten)]
    body: &'a T,
}

fn write_jsonl(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    let mut line = |kind: &'static str, body: &dyn erased::Ser| -> io::Result<()> {
        body.write_tagged(kind, &mut *out)?;
        writeln!(out)
    };
    for f in &r.findings {
        line("finding", f)?;
    }
    for c in &r.context {
        line("context", c)?;
    }
    for i in &r.inputs {
        line("input", i)?;
    }
    #[derive(Serialize)]
    struct SummaryLine<'a> {
        tool: &'a Tool,
        filters: &'a Filters,
        #[serde(flatten)]
        summary: &'a Summary,
    }
    line(
        "summary",
        &SummaryLine {
            tool: &r.tool,
            filters: &r.filters,
            summary: &r.summary,
        },
    )
}

/// A tiny object-safe shim so JSONL lines of different types share one writer.
mod erased {
    use super::*;

    pub trait Ser {
        fn write_tagged(&self, kind: &'static str, out: &mut dyn Write) -> io::Result<()>;
    }

    impl<T: Serialize> Ser for T {
        fn write_tagged(&self, kind: &'static str, out: &mut dyn Write) -> io::Result<()> {
            serde_json::to_writer(
                out,
                &Tagged {
                    kind,
                    schema_version: SCHEMA_VERSION,
                    body: self,
                },
            )
            .map_err(io::Error::from)
        }
    }
}
