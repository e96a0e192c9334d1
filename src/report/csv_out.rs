//! CSV report: one row per finding, multi-valued fields joined as `name=count; ...`.

use std::io::{self, Write};

use super::{Report, SCHEMA_VERSION};
use crate::rank::Count;

/// The CSV columns, in order (documented in docs/output.md).
pub const COLUMNS: &[&str] = &[
    "schema_version",
    "rank",
    "score",
    "path",
    "kind",
    "count",
    "unrecovered",
    "write_intent",
    "statuses",
    "processes",
    "operations",
    "sources",
    "first_time",
    "first_input",
    "first_line",
    "last_time",
    "last_input",
    "last_line",
    "advice",
    "verdict",
    "rule",
    "commands",
    "families",
];

fn join(c: &[Count]) -> String {
    c.iter()
        .map(|c| format!("{}={}", c.name, c.count))
        .collect::<Vec<_>>()
        .join("; ")
}

pub fn write(r: &Report, out: &mut dyn Write) -> io::Result<()> {
    // A field longer than the writer's buffer is rescanned per buffer-full: size the
    // buffer to the longest field so output stays linear in a hostile path's length.
    let longest = r
        .findings
        .iter()
        .map(|f| f.path.len() + f.advice.iter().map(String::len).sum::<usize>())
        .max()
        .unwrap_or(0);
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity((longest * 2).max(8 * 1024))
        .from_writer(out);
    let err = |e: csv::Error| match e.into_kind() {
        csv::ErrorKind::Io(e) => e,
        other => io::Error::other(format!("{other:?}")),
    };
    w.write_record(COLUMNS).map_err(err)?;
    for f in &r.findings {
        let statuses: Vec<Count> = f
            .statuses
            .iter()
            .map(|s| Count {
                name: format!("{}:{}", s.class.as_str(), s.code),
                count: s.count,
            })
            .collect();
        let kind = serde_json::to_value(f.kind)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        w.write_record([
            SCHEMA_VERSION.to_string(),
            f.rank.to_string(),
            f.score.to_string(),
            f.path.clone(),
            kind,
            f.count.to_string(),
            f.unrecovered.to_string(),
            f.write_intent.to_string(),
            join(&statuses),
            join(&f.processes),
            join(&f.operations),
            join(&f.sources),
            f.first_seen.time.clone(),
            f.first_seen.input.clone(),
            f.first_seen.line.to_string(),
            f.last_seen.time.clone(),
            f.last_seen.input.clone(),
            f.last_seen.line.to_string(),
            f.advice.join(" | "),
            f.verdict.as_str().to_string(),
            f.rule.to_string(),
            f.commands.join(" | "),
            f.families
                .iter()
                .map(|x| x.as_str())
                .collect::<Vec<_>>()
                .join("; "),
        ])
        .map_err(err)?;
    }
    w.flush()
}
