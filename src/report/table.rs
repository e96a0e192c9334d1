//! The human report: a ranked table, then each path's evidence and next steps.

use std::io::{self, Write};

use comfy_table::presets::UTF8_FULL_CONDENSED;
use comfy_table::{ContentArrangement, Table};

use super::Report;
use crate::rank::{Count, Finding};
use crate::scan::InputStatus;

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

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    if r.findings.is_empty() {
        writeln!(
            out,
            "No offending path found ({} inputs, {} rows, statuses: {}).",
            r.summary.inputs,
            r.summary.rows,
            r.filters.statuses.join(",")
        )?;
        return Ok(());
    }
    let mut t = Table::new();
    t.load_style(UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
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
    for f in &r.findings {
        let status = f
            .statuses
            .iter()
            .map(|s| s.result.as_str())
            .collect::<Vec<_>>()
            .join(", ");
        t.add_row([
            f.rank.to_string(),
            f.score.to_string(),
            f.verdict.as_str().to_string(),
            status,
            f.count.to_string(),
            f.unrecovered.to_string(),
            cell(&counts(&f.processes, 2)),
            cell(&f.path),
        ]);
    }
    writeln!(out, "{t}")?;
    if !r.context.is_empty() {
        writeln!(out)?;
        writeln!(out, "Ticket context")?;
        for c in &r.context {
            writeln!(out, "  {} ({}:{})", c.summary, c.input, c.line)?;
            if let Some(m) = &c.exit.message {
                writeln!(out, "      {}: {m}", c.exit.code)?;
            }
        }
    }
    for f in &r.findings {
        writeln!(out)?;
        writeln!(out, "#{} {}", f.rank, f.path)?;
        writeln!(out, "  score     {} = {}", f.score, why(f))?;
        for s in &f.statuses {
            let name = s.name.as_deref().unwrap_or("unnamed");
            writeln!(
                out,
                "  status    {} ({name}, {}) ×{}",
                s.result, s.code, s.count
            )?;
        }
        writeln!(out, "  processes {}", counts(&f.processes, 5))?;
        writeln!(out, "  ops       {}", counts(&f.operations, 5))?;
        writeln!(out, "  sources   {}", counts(&f.sources, 5))?;
        writeln!(
            out,
            "  first     {} ({}:{})",
            f.first_seen.time, f.first_seen.input, f.first_seen.line
        )?;
        writeln!(
            out,
            "  last      {} ({}:{})",
            f.last_seen.time, f.last_seen.input, f.last_seen.line
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
                "  evidence  {}:{} {} {} {} {}{detail}",
                s.input, s.line, s.time, s.process, s.operation, s.result
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
        "{} of {} offending paths shown; {} matching records in {} rows of {} inputs ({} read, {} skipped, {} failed{twins}).",
        s.shown, s.paths, s.matches, s.rows, s.inputs, s.read, s.skipped, s.failed
    )?;
    if r.inputs.iter().any(|i| i.status == InputStatus::Failed) {
        writeln!(
            out,
            "Some inputs failed: see the messages on stderr; findings above come from what could be read."
        )?;
    }
    Ok(())
}
