//! One ticket's part of the page (or the whole of a single run's): its inputs, its
//! ranked paths with their evidence, its context, and a timeline of its failures.

use std::fmt::Write as _;

use serde_json::Value;

use super::{esc, table, text};

/// One input of the ticket.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InputRow {
    pub path: String,
    pub kind: String,
    /// `ok`, `skipped`, `failed`.
    pub status: String,
    /// Size on disk (stored size inside an archive).
    pub bytes: u64,
    pub rows: u64,
    pub matches: u64,
    /// Why it was skipped or failed.
    pub message: String,
}

/// What a ticket section shows.
pub struct Ticket<'a> {
    /// The id prefix of its elements (`run`, `t3`).
    pub anchor: String,
    /// The ticket id and status (batches); `None` for a single run.
    pub title: Option<(String, String)>,
    pub findings: Vec<&'a Value>,
    pub notes: Vec<&'a Value>,
    pub context: Vec<&'a Value>,
    pub inputs: Vec<InputRow>,
    /// What every input name of the section starts with and the page need not repeat
    /// (a batch's folder); empty for a single run.
    pub base: String,
}

/// `input` without the section's common `base`.
fn short_name<'s>(input: &'s str, base: &str) -> &'s str {
    input
        .strip_prefix(base)
        .filter(|r| !r.is_empty())
        .unwrap_or(input)
}

/// Kinds whose times are UTC (the others are the capturing machine's local time).
const UTC_KINDS: &[&str] = &["procmon-pml", "evtx"];

fn counts(v: &Value, max: usize) -> String {
    let Some(a) = v.as_array() else {
        return String::new();
    };
    let mut parts: Vec<String> = a
        .iter()
        .take(max)
        .map(|c| format!("{} ×{}", text(&c["name"]), text(&c["count"])))
        .collect();
    if a.len() > max {
        parts.push(format!("+{} more", a.len() - max));
    }
    esc(&parts.join(", "))
}

fn cell(s: &str) -> (String, Option<String>) {
    (esc(s), None)
}

fn num(n: &Value) -> (String, Option<String>) {
    (esc(&text(n)), Some(text(n)))
}

/// Sample records shown per path (the JSON output has them all).
const SAMPLES: usize = 3;

/// Longest detail shown in the page (the JSON output keeps it whole).
const DETAIL_MAX: usize = 400;

fn short(s: &str) -> String {
    if s.chars().count() <= DETAIL_MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(DETAIL_MAX).collect();
        format!("{head}…")
    }
}

/// Writes the section.
pub fn ticket_section(t: &Ticket<'_>, out: &mut String) {
    let a = &t.anchor;
    let _ = write!(out, "<section class=\"ticket\" id=\"{a}\">");
    match &t.title {
        Some((id, status)) => {
            let _ = write!(
                out,
                "<h2>Ticket {} <span class=\"status-{}\">({})</span></h2>",
                esc(id),
                esc(status),
                esc(status)
            );
        }
        None => out.push_str("<h2>Offending paths</h2>"),
    }
    // The ranked paths.
    let rows: Vec<Vec<(String, Option<String>)>> = t
        .findings
        .iter()
        .map(|f| {
            let rank = text(&f["rank"]);
            let verdict = text(&f["verdict"]);
            let statuses: Vec<String> = f["statuses"]
                .as_array()
                .map(|s| s.iter().map(|s| text(&s["result"])).collect())
                .unwrap_or_default();
            let families: Vec<String> = f["families"]
                .as_array()
                .map(|s| s.iter().map(text).collect())
                .unwrap_or_default();
            vec![
                num(&f["rank"]),
                num(&f["score"]),
                (
                    format!(
                        "<span class=\"v-{}\">{}</span>",
                        esc(&verdict),
                        esc(&verdict)
                    ),
                    Some(verdict.clone()),
                ),
                cell(&statuses.join(", ")),
                num(&f["count"]),
                num(&f["unrecovered"]),
                (counts(&f["processes"], 3), None),
                cell(&families.join(", ")),
                (
                    format!(
                        "<a class=\"path\" href=\"#{a}-f{}\">{}</a>",
                        esc(&rank),
                        esc(&text(&f["path"]))
                    ),
                    Some(text(&f["path"])),
                ),
            ]
        })
        .collect();
    if rows.is_empty() {
        out.push_str("<p class=\"note\">No offending path.</p>");
    } else {
        table(
            &format!("{a}-findings"),
            "sortable filterable findings",
            &[
                "#",
                "score",
                "verdict",
                "status",
                "count",
                "unrecovered",
                "processes",
                "sources",
                "path",
            ],
            &rows,
            out,
        );
    }
    // Context: what names no path.
    if !t.notes.is_empty() || !t.context.is_empty() {
        out.push_str("<h3>Ticket context</h3><ul class=\"context\">");
        for c in t.context.iter().chain(&t.notes) {
            let _ = write!(
                out,
                "<li>{} <span class=\"note\">({}:{})</span></li>",
                esc(&text(&c["summary"])),
                esc(short_name(&text(&c["input"]), &t.base)),
                esc(&text(&c["line"]))
            );
        }
        out.push_str("</ul>");
    }
    for f in &t.findings {
        finding(a, f, &t.base, out);
    }
    timeline(t, out);
    // The inputs.
    let _ = write!(
        out,
        "<details><summary>Inputs ({})</summary>",
        t.inputs.len()
    );
    let rows: Vec<Vec<(String, Option<String>)>> = t
        .inputs
        .iter()
        .map(|i| {
            vec![
                cell(short_name(&i.path, &t.base)),
                cell(&i.kind),
                (
                    format!(
                        "<span class=\"status-{}\">{}</span>",
                        esc(&i.status),
                        esc(&i.status)
                    ),
                    Some(i.status.clone()),
                ),
                (i.bytes.to_string(), Some(i.bytes.to_string())),
                (i.rows.to_string(), Some(i.rows.to_string())),
                (i.matches.to_string(), Some(i.matches.to_string())),
                cell(&i.message),
            ]
        })
        .collect();
    table(
        &format!("{a}-inputs"),
        "sortable inputs",
        &[
            "input", "kind", "status", "bytes", "records", "matches", "message",
        ],
        &rows,
        out,
    );
    out.push_str("</details></section>\n");
}

/// One path's evidence and advice.
fn finding(a: &str, f: &Value, base: &str, out: &mut String) {
    let verdict = text(&f["verdict"]);
    let _ = write!(
        out,
        "<section class=\"finding\" id=\"{a}-f{}\"><h3>#{} <span class=\"path\">{}</span></h3>",
        esc(&text(&f["rank"])),
        esc(&text(&f["rank"])),
        esc(&text(&f["path"]))
    );
    let _ = write!(
        out,
        "<p>Verdict: <span class=\"v-{}\">{}</span> (rule <code>{}</code>), score {}</p><p class=\"factors\">",
        esc(&verdict),
        esc(&verdict),
        esc(&text(&f["rule"])),
        esc(&text(&f["score"]))
    );
    if let Some(m) = f["factors"].as_object() {
        for (k, v) in m {
            if v.as_u64().unwrap_or(0) > 0 {
                let _ = write!(
                    out,
                    "<span>{} +{}</span>",
                    esc(&k.replace('_', " ")),
                    esc(&text(v))
                );
            }
        }
    }
    out.push_str("</p><ul>");
    for s in f["statuses"].as_array().into_iter().flatten() {
        let _ = write!(
            out,
            "<li>Status <code>{}</code> {} ({}) ×{}</li>",
            esc(&text(&s["code"])),
            esc(&text(&s["result"])),
            esc(&text(&s["name"])),
            esc(&text(&s["count"]))
        );
    }
    let _ = write!(
        out,
        "<li>Processes: {}</li><li>Operations: {}</li><li>Sources: {}</li>",
        counts(&f["processes"], 8),
        counts(&f["operations"], 8),
        counts(&f["sources"], 8).replace(&esc(base), "")
    );
    for (label, k) in [("First seen", "first_seen"), ("Last seen", "last_seen")] {
        let s = &f[k];
        let _ = write!(
            out,
            "<li>{label}: {} <span class=\"note\">({}:{})</span></li>",
            esc(&text(&s["time"])),
            esc(short_name(&text(&s["input"]), base)),
            esc(&text(&s["line"]))
        );
    }
    out.push_str("</ul><p><b>What to do</b></p><ul>");
    for line in f["advice"].as_array().into_iter().flatten() {
        let _ = write!(out, "<li>{}</li>", esc(&text(line)));
    }
    out.push_str("</ul>");
    let rows: Vec<Vec<(String, Option<String>)>> = f["samples"]
        .as_array()
        .into_iter()
        .flatten()
        .take(SAMPLES)
        .map(|s| {
            vec![
                cell(&format!(
                    "{}:{}",
                    short_name(&text(&s["input"]), base),
                    text(&s["line"])
                )),
                cell(&text(&s["time"])),
                cell(&text(&s["process"])),
                cell(&text(&s["operation"])),
                cell(&text(&s["result"])),
                cell(&short(&text(&s["detail"]))),
            ]
        })
        .collect();
    if !rows.is_empty() {
        out.push_str("<p><b>Sample records</b></p>");
        table(
            "",
            "samples",
            &[
                "file:line",
                "time",
                "process",
                "operation",
                "result",
                "detail",
            ],
            &rows,
            out,
        );
    }
    out.push_str("</section>\n");
}

/// When the failures happened, across sources: each path's first and last record
/// and its samples. UTC and local times are never mixed: each row says which, and
/// local times are the capturing machine's (no offset is assumed).
fn timeline(t: &Ticket<'_>, out: &mut String) {
    let kind_of = |input: &str| {
        t.inputs
            .iter()
            .find(|i| i.path == input)
            .map(|i| i.kind.clone())
            .unwrap_or_default()
    };
    // (zone, sortable time, time, source, process, path)
    let mut events: Vec<(String, String, String, String, String, String)> = Vec::new();
    for f in &t.findings {
        let path = text(&f["path"]);
        let mut add = |time: &Value, sort: &Value, input: &Value, line: &Value, process: String| {
            let input = text(input);
            let zone = if UTC_KINDS.contains(&kind_of(&input).as_str()) {
                "UTC"
            } else {
                "local"
            };
            let time = text(time);
            let sort = match text(sort) {
                s if s.is_empty() => time.clone(),
                s => s,
            };
            let record = format!("{}:{}", short_name(&input, &t.base), text(line));
            // One row per record: a sample that is also the first or last record
            // adds its process to that row.
            match events.iter_mut().find(|e| e.3 == record) {
                Some(e) if e.4.is_empty() => e.4 = process,
                Some(_) => {}
                None => events.push((zone.to_string(), sort, time, record, process, path.clone())),
            }
        };
        for k in ["first_seen", "last_seen"] {
            let s = &f[k];
            add(
                &s["time"],
                &s["date_time"],
                &s["input"],
                &s["line"],
                String::new(),
            );
        }
        for s in f["samples"].as_array().into_iter().flatten() {
            add(
                &s["time"],
                &Value::Null,
                &s["input"],
                &s["line"],
                text(&s["process"]),
            );
        }
    }
    if events.is_empty() {
        return;
    }
    events.sort();
    let rows: Vec<Vec<(String, Option<String>)>> = events
        .iter()
        .map(|(zone, sort, time, source, process, path)| {
            vec![
                (esc(time), Some(format!("{zone} {sort}"))),
                cell(zone),
                cell(source),
                cell(process),
                cell(path),
            ]
        })
        .collect();
    out.push_str(
        "<h3>Timeline</h3><p class=\"note\">UTC times (PML, event logs) and the capturing machine's local times (Procmon CSV and XML, servicing and MSI logs) are listed apart: no offset between them is assumed.</p>",
    );
    table(
        &format!("{}-timeline", t.anchor),
        "sortable filterable timeline",
        &["time", "zone", "record", "process", "path"],
        &rows,
        out,
    );
}
