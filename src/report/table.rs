//! The human report: a ranked table, then each path's evidence and next steps.

use std::io::{self, Write};

use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use comfy_table::{Cell, Color, ColumnConstraint, ContentArrangement, Table, Width};

use super::visible::{VisibleWriter, visible};
use super::{Report, TableStyle, plural};
use crate::rank::{Count, Finding};
use crate::scan::InputStatus;
use crate::verdict::Verdict;

fn counts(c: &[Count], max: usize) -> String {
    let mut parts: Vec<String> = c
        .iter()
        .take(max)
        .map(|c| format!("{} ×{}", c.name, c.count))
        .collect();
    if c.len() > max {
        parts.push(format!("+{} more", c.len() - max));
    }
    parts.join(", ")
}

/// Longest text a table cell shows; the evidence below the table prints it whole.
/// (Cell wrapping costs more than linear time in the text's length.)
const CELL_MAX: usize = 512;

/// `text` cut in the middle to [`CELL_MAX`] characters.
fn cell(text: &str) -> String {
    let n = text.chars().count();
    if n <= CELL_MAX {
        return text.to_string();
    }
    let half = CELL_MAX / 2;
    let head: String = text.chars().take(half).collect();
    let tail: String = text.chars().skip(n - half).collect();
    format!("{head}…{tail}")
}

fn why(f: &Finding) -> String {
    let x = &f.factors;
    let worst = f.statuses.first().map_or("status", |s| s.class.as_str());
    let mut parts = vec![format!("{worst} +{}", x.status)];
    if x.write_intent > 0 {
        parts.push(format!("write intent +{}", x.write_intent));
    }
    if x.unrecovered > 0 {
        parts.push(format!("unrecovered +{}", x.unrecovered));
    }
    if x.volume > 0 {
        parts.push(format!("{} records +{}", f.count, x.volume));
    }
    if x.exit_link > 0 {
        parts.push(format!("exit link +{}", x.exit_link));
    }
    if x.agreement > 0 {
        let names: Vec<&str> = f.families.iter().map(|f| f.as_str()).collect();
        parts.push(format!("{} agree +{}", names.join(" and "), x.agreement));
    }
    if x.spread > 0 {
        parts.push(format!(
            "{} processes/{} inputs +{}",
            f.processes.len(),
            f.sources.len(),
            x.spread
        ));
    }
    parts.join(", ")
}

/// Where a record is: `file:line` for text logs, `file event N` for PML and XML,
/// whose records are events, not lines.
fn at(r: &Report, input: &str, n: u64) -> String {
    let unit = r
        .inputs
        .iter()
        .find(|i| i.path == input)
        .and_then(|i| i.origin);
    match unit {
        Some(unit @ ("event" | "record")) => format!("{input} {unit} {n}"),
        _ => format!("{input}:{n}"),
    }
}

/// Narrower tables than this drop the status, unrecovered and process columns.
const WIDE: u16 = 130;

/// The colour of a status class: write protection and denials stand out.
fn class_color(c: crate::codes::StatusClass) -> Color {
    use crate::codes::StatusClass as S;
    match c {
        S::WriteProtect => Color::Red,
        S::Denied => Color::Yellow,
        _ => Color::Cyan,
    }
}

/// The colour of a verdict (none for the ones that are not a cause).
fn verdict_color(v: Verdict) -> Option<Color> {
    match v {
        Verdict::WriteProtected | Verdict::WriteDenied | Verdict::Unrepairable => Some(Color::Red),
        Verdict::Blocked | Verdict::ReadDenied | Verdict::Selected => Some(Color::Yellow),
        Verdict::Recovered => Some(Color::Green),
        Verdict::ByDesign => Some(Color::DarkGrey),
    }
}

/// Breaks a path into lines of at most `width` characters at its separators (a
/// component longer than the width is cut), so a narrow column wraps where a reader
/// expects.
fn wrap_path(path: &str, width: usize) -> String {
    let width = width.max(8);
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for part in path.split_inclusive(['\\', '/']) {
        if line.chars().count() + part.chars().count() > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
        }
        let mut rest = part;
        while rest.chars().count() > width {
            let cut = rest
                .char_indices()
                .nth(width)
                .map_or(rest.len(), |(i, _)| i);
            lines.push(rest[..cut].to_string());
            rest = &rest[cut..];
        }
        line.push_str(rest);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines.join("\n")
}

/// Writes the human report. The table is rendered from sanitised cells (so colour can
/// be added); everything after it goes through [`VisibleWriter`].
pub fn write(r: &Report, out: &mut dyn Write, style: &TableStyle) -> io::Result<()> {
    if r.findings.is_empty() {
        let mut v = VisibleWriter::new(&mut *out);
        writeln!(
            v,
            "No offending path found ({}, {}, statuses: {}).",
            plural(r.summary.inputs as u64, "input"),
            plural(r.summary.rows, "row"),
            r.filters.statuses.join(",")
        )?;
        return v.flush();
    }
    let mut t = Table::new();
    t.load_style(if style.ascii {
        ASCII_FULL_CONDENSED
    } else {
        UTF8_FULL_CONDENSED
    })
    .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some(w) = style.width {
        t.set_width(w);
    }
    // Below this width the status, unrecovered and process columns give way (the
    // evidence below the table carries them) and the path gets the room, wrapped at
    // its separators.
    let compact = style.width.is_some_and(|w| w < WIDE);
    if compact {
        t.set_header(["#", "score", "verdict", "count", "path"]);
    } else {
        t.set_header([
            "#",
            "score",
            "verdict",
            "status",
            "count",
            "unrecovered",
            "processes",
            "path",
        ]);
    }
    let columns = if compact { 5 } else { 8 };
    let path_width = style.width.map(|w| {
        let others: usize = if compact {
            1 + 5 + 15 + 5
        } else {
            1 + 5 + 15 + 21 + 5 + 11 + 15
        };
        (w as usize)
            .saturating_sub(others + 3 * columns + 1)
            .max(16)
    });
    if let (Some(pw), Some(col)) = (path_width, t.column_mut(columns - 1)) {
        col.set_constraint(ColumnConstraint::Absolute(Width::Fixed(pw as u16)));
    }
    for f in &r.findings {
        let status = f
            .statuses
            .iter()
            .map(|s| s.result.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        let path = visible(&cell(&f.path)).into_owned();
        // The column's width includes its padding (one space each side).
        let path = match path_width {
            Some(w) => wrap_path(&path, w.saturating_sub(2)),
            None => path,
        };
        let mut verdict = Cell::new(f.verdict.as_str());
        let mut score = Cell::new(f.score);
        if style.color
            && let Some(c) = verdict_color(f.verdict)
        {
            verdict = verdict.fg(c);
            score = score.fg(c);
        }
        let row = if compact {
            vec![
                Cell::new(f.rank),
                score,
                verdict,
                Cell::new(f.count),
                Cell::new(path),
            ]
        } else {
            vec![
                Cell::new(f.rank),
                score,
                verdict,
                {
                    let c = Cell::new(visible(&status));
                    match f.statuses.first().map(|s| s.class) {
                        Some(class) if style.color => c.fg(class_color(class)),
                        _ => c,
                    }
                },
                Cell::new(f.count),
                Cell::new(f.unrecovered),
                Cell::new(visible(&cell(&counts(&f.processes, 2)))),
                Cell::new(path),
            ]
        };
        t.add_row(row);
    }
    // The caller decided width and colour (the report may go to a file).
    t.force_no_tty();
    if style.color {
        t.enforce_styling();
    }
    // Every cell is sanitised: the table (and its colour codes) is written as is.
    writeln!(out, "{t}")?;
    let mut v = VisibleWriter::new(out);
    let out = &mut v;
    if !r.context.is_empty() || !r.notes.is_empty() {
        writeln!(out)?;
        writeln!(out, "Ticket context")?;
        for c in &r.context {
            writeln!(out, "  {} ({})", c.summary, at(r, &c.input, c.line))?;
            if let Some(m) = &c.exit.message {
                writeln!(out, "      {}: {m}", c.exit.code)?;
            }
        }
        for n in &r.notes {
            writeln!(out, "  {} ({})", n.summary, at(r, &n.input, n.line))?;
        }
    }
    for f in &r.findings {
        writeln!(out)?;
        writeln!(out, "#{} {}", f.rank, f.path)?;
        writeln!(out, "  score     {} = {}", f.score, why(f))?;
        for s in &f.statuses {
            let name = s.name.as_deref().unwrap_or("unnamed");
            if s.result == s.code {
                writeln!(out, "  status    {} ({name}) ×{}", s.code, s.count)?;
            } else {
                writeln!(
                    out,
                    "  status    {} ({name}, {}) ×{}",
                    s.result, s.code, s.count
                )?;
            }
        }
        writeln!(out, "  processes {}", counts(&f.processes, 5))?;
        writeln!(out, "  ops       {}", counts(&f.operations, 5))?;
        writeln!(out, "  sources   {}", counts(&f.sources, 5))?;
        writeln!(
            out,
            "  first     {} ({})",
            f.first_seen.time,
            at(r, &f.first_seen.input, f.first_seen.line)
        )?;
        writeln!(
            out,
            "  last      {} ({})",
            f.last_seen.time,
            at(r, &f.last_seen.input, f.last_seen.line)
        )?;
        writeln!(
            out,
            "  writes    {} of {} asked to write; {} never recovered",
            f.write_intent, f.count, f.unrecovered
        )?;
        for s in &f.samples {
            let detail = if s.detail.is_empty() {
                String::new()
            } else {
                format!("  [{}]", s.detail)
            };
            writeln!(
                out,
                "  evidence  {} {} {} {} {}{detail}",
                at(r, &s.input, s.line),
                s.time,
                s.process,
                s.operation,
                s.result
            )?;
        }
        for e in &f.exits {
            let pid = e.pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
            let name = e
                .name
                .as_deref()
                .map(|n| format!(" {n}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  exit      {}{pid} exited with {}{name} after this failure (line {})",
                e.process, e.code, e.line
            )?;
        }
        let mut advice = f.advice.iter();
        if let Some(conclusion) = advice.next() {
            writeln!(out, "  verdict   {conclusion}")?;
        }
        for a in advice {
            writeln!(out, "  next      {a}")?;
        }
    }
    let s = &r.summary;
    writeln!(out)?;
    let twins = if s.twins > 0 {
        format!(
            "; {} the same capture as another input, counted once",
            s.twins
        )
    } else {
        String::new()
    };
    writeln!(
        out,
        "{} of {} shown; {} in {} of {} ({} read, {} skipped, {} failed{twins}).",
        s.shown,
        plural(s.paths as u64, "offending path"),
        plural(s.matches, "matching record"),
        plural(s.rows, "row"),
        plural(s.inputs as u64, "input"),
        s.read,
        s.skipped,
        s.failed
    )?;
    if r.inputs.iter().any(|i| i.status == InputStatus::Failed) {
        writeln!(
            out,
            "Some inputs failed: see the messages on stderr; findings above come from what could be read."
        )?;
    }
    out.flush()
}
