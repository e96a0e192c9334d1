//! A batch's output in every format, from blocks alone (a run, a resumed run and a
//! merge write the same bytes):
//! - JSONL: each ticket's lines (findings, context, notes, failed inputs, then its
//!   `ticket` line), then one `fleet` line per recurring path, then one `batch` line.
//! - JSON: one document `{schema_version, tool, filters, tickets: [ticket objects
//!   with their findings, context, notes and failed inputs], fleet, summary}`.
//! - CSV: one row per (ticket, path).
//! - Table: each ticket's ranked paths, then the fleet summary.
//! - HTML: one page, the fleet summary first (each ticket linked), then each ticket's
//!   section ([`crate::report::html`]).

use std::io::{self, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use super::Block;
use super::fleet::{BatchSummary, FleetPath};
use crate::report::html;
use crate::report::visible::visible;
use crate::report::{Format, SCHEMA_VERSION, TableStyle};

/// What every batch output states once: the tool and the filter.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Head {
    pub tool: Value,
    pub filters: Value,
}

/// CSV columns of a batch.
pub const CSV_COLUMNS: &[&str] = &[
    "schema_version",
    "ticket",
    "rank",
    "score",
    "verdict",
    "path",
    "kind",
    "count",
    "unrecovered",
    "statuses",
    "processes",
    "families",
    "first_time",
    "last_time",
    "rule",
];

/// Writes a batch ticket by ticket.
pub struct Writer<'w> {
    out: &'w mut dyn Write,
    format: Format,
    style: TableStyle,
    head: Head,
    tickets: usize,
    /// HTML: what the page says of the run, and the tickets' sections so far (the
    /// fleet summary goes first, known only at the end).
    meta: html::Meta,
    sections: String,
    ids: Vec<String>,
}

/// The object without its JSONL tags (`type`, `schema_version`, `ticket`).
fn untagged(v: &Value) -> Value {
    let mut m: Map<String, Value> = v.as_object().cloned().unwrap_or_default();
    for k in ["type", "schema_version", "ticket"] {
        m.remove(k);
    }
    Value::Object(m)
}

fn json_line<T: Serialize>(kind: &str, body: &T) -> io::Result<String> {
    let mut v = serde_json::to_value(body)?;
    let mut m = Map::new();
    m.insert("type".into(), kind.into());
    m.insert("schema_version".into(), SCHEMA_VERSION.into());
    if let Value::Object(b) = &mut v {
        m.append(b);
    }
    Ok(serde_json::to_string(&Value::Object(m))?)
}

/// `[{name, count}]` as `a ×2, b ×1`.
fn counts(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|c| format!("{}={}", c["name"].as_str().unwrap_or(""), c["count"]))
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

impl<'w> Writer<'w> {
    /// Starts the output (the JSON document's head, the CSV header).
    pub fn begin(
        out: &'w mut dyn Write,
        format: Format,
        style: TableStyle,
        head: Head,
    ) -> io::Result<Writer<'w>> {
        let w = Writer {
            out,
            format,
            style,
            head,
            tickets: 0,
            meta: html::Meta::now(std::time::SystemTime::now()),
            sections: String::new(),
            ids: Vec::new(),
        };
        match format {
            Format::Json => {
                write!(
                    w.out,
                    "{{\"schema_version\":{SCHEMA_VERSION},\"tool\":{},\"filters\":{},\"tickets\":[",
                    w.head.tool, w.head.filters
                )?;
            }
            Format::Csv => writeln!(w.out, "{}", CSV_COLUMNS.join(","))?,
            Format::Jsonl | Format::Table | Format::Html => {}
        }
        Ok(w)
    }

    /// Writes one ticket: its lines, and `values`, the same lines parsed
    /// ([`Block::values`], parsed once by the caller).
    pub fn ticket(&mut self, b: &Block, values: &[Value]) -> io::Result<()> {
        self.tickets += 1;
        match self.format {
            Format::Jsonl => {
                for l in &b.lines {
                    writeln!(self.out, "{l}")?;
                }
                Ok(())
            }
            Format::Json => self.json_ticket(b, values),
            Format::Csv => self.csv_ticket(b, values),
            Format::Table => self.table_ticket(b, values),
            Format::Html => {
                self.html_ticket(b, values);
                Ok(())
            }
        }
    }

    /// What the page says of the run (the command line, its time).
    pub fn with_meta(mut self, meta: html::Meta) -> Self {
        self.meta = meta;
        self
    }

    fn html_ticket(&mut self, b: &Block, values: &[Value]) {
        self.ids.push(b.id.clone());
        let of =
            |kind: &str| -> Vec<&Value> { values.iter().filter(|v| v["type"] == kind).collect() };
        let t = values.iter().find(|v| v["type"] == "ticket");
        let mut inputs: Vec<html::ticket::InputRow> = Vec::new();
        if let Some(t) = t {
            for i in t["read_inputs"].as_array().into_iter().flatten() {
                inputs.push(html::ticket::InputRow {
                    path: text(&i["input"]),
                    kind: text(&i["kind"]),
                    status: "ok".into(),
                    bytes: i["bytes"].as_u64().unwrap_or(0),
                    rows: i["rows"].as_u64().unwrap_or(0),
                    matches: i["matches"].as_u64().unwrap_or(0),
                    message: String::new(),
                });
            }
            for status in ["skipped", "failed"] {
                for i in t[status].as_array().into_iter().flatten() {
                    inputs.push(html::ticket::InputRow {
                        path: text(&i["input"]),
                        status: status.into(),
                        message: text(&i["why"]),
                        ..Default::default()
                    });
                }
            }
        }
        let section = html::Ticket {
            anchor: format!("t{}", self.tickets),
            title: Some((
                b.id.clone(),
                t.map_or(String::new(), |t| text(&t["status"])),
            )),
            findings: of("finding"),
            notes: of("note"),
            context: of("context"),
            inputs,
            // Input names start with the batch folder: shown from the ticket on.
            base: t
                .and_then(|t| t["source"].as_str())
                .and_then(|src| std::path::Path::new(src).parent())
                .map(|p| format!("{}/", p.display()))
                .unwrap_or_default(),
        };
        html::ticket_section(&section, &mut self.sections);
    }

    fn json_ticket(&mut self, b: &Block, values: &[Value]) -> io::Result<()> {
        let mut t = values
            .iter()
            .find(|v| v["type"] == "ticket")
            .map(untagged)
            .unwrap_or_else(|| Value::Object(Map::new()));
        let mut m = Map::new();
        m.insert("ticket".into(), b.id.clone().into());
        if let Value::Object(o) = &mut t {
            m.append(o);
        }
        for (kind, key) in [
            ("finding", "findings"),
            ("context", "context"),
            ("note", "notes"),
            ("input", "failed_inputs"),
        ] {
            let list: Vec<Value> = values
                .iter()
                .filter(|v| v["type"] == kind)
                .map(untagged)
                .collect();
            m.insert(key.into(), Value::Array(list));
        }
        let sep = if self.tickets > 1 { "," } else { "" };
        write!(self.out, "{sep}\n{}", Value::Object(m))
    }

    fn csv_ticket(&mut self, b: &Block, values: &[Value]) -> io::Result<()> {
        let mut w = csv::WriterBuilder::new()
            .has_headers(false)
            .from_writer(&mut *self.out);
        for f in values.iter().filter(|v| v["type"] == "finding") {
            let families = f["families"]
                .as_array()
                .map(|a| a.iter().map(text).collect::<Vec<_>>().join("; "))
                .unwrap_or_default();
            let statuses = f["statuses"]
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|s| {
                            format!("{}:{}={}", text(&s["class"]), text(&s["code"]), s["count"])
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                })
                .unwrap_or_default();
            w.write_record([
                SCHEMA_VERSION.to_string(),
                b.id.clone(),
                text(&f["rank"]),
                text(&f["score"]),
                text(&f["verdict"]),
                text(&f["path"]),
                text(&f["kind"]),
                text(&f["count"]),
                text(&f["unrecovered"]),
                statuses,
                counts(&f["processes"]),
                families,
                text(&f["first_seen"]["time"]),
                text(&f["last_seen"]["time"]),
                text(&f["rule"]),
            ])
            .map_err(io::Error::other)?;
        }
        w.flush()
    }

    fn table_ticket(&mut self, b: &Block, values: &[Value]) -> io::Result<()> {
        let t = values.iter().find(|v| v["type"] == "ticket");
        let status = t.map_or(String::new(), |t| text(&t["status"]));
        let (inputs, read, paths) = t.map_or((0, 0, 0), |t| {
            (
                t["inputs"].as_u64().unwrap_or(0),
                t["read"].as_u64().unwrap_or(0),
                t["paths"].as_u64().unwrap_or(0),
            )
        });
        writeln!(
            self.out,
            "== {} ({status}: {read} of {inputs} inputs read, {paths} offending paths)",
            visible(&b.id)
        )?;
        for f in values.iter().filter(|v| v["type"] == "finding") {
            writeln!(
                self.out,
                "  #{:<3} {:>4}  {:<16} {}",
                text(&f["rank"]),
                text(&f["score"]),
                text(&f["verdict"]),
                visible(&text(&f["path"]))
            )?;
        }
        for n in values.iter().filter(|v| v["type"] == "note") {
            writeln!(self.out, "  note  {}", visible(&text(&n["summary"])))?;
        }
        if let Some(t) = t {
            for kind in ["failed", "skipped"] {
                for i in t[kind].as_array().into_iter().flatten() {
                    writeln!(
                        self.out,
                        "  {kind}  {}: {}",
                        visible(&text(&i["input"])),
                        visible(&text(&i["why"]))
                    )?;
                }
            }
        }
        Ok(())
    }

    /// Ends the output with the fleet summary and the batch totals.
    pub fn end(mut self, fleet: &[FleetPath], summary: &BatchSummary) -> io::Result<()> {
        #[derive(Serialize)]
        struct BatchLine<'a> {
            tool: &'a Value,
            filters: &'a Value,
            #[serde(flatten)]
            summary: &'a BatchSummary,
        }
        let batch = BatchLine {
            tool: &self.head.tool,
            filters: &self.head.filters,
            summary,
        };
        match self.format {
            Format::Jsonl => {
                for p in fleet {
                    writeln!(self.out, "{}", json_line("fleet", p)?)?;
                }
                writeln!(self.out, "{}", json_line("batch", &batch)?)
            }
            Format::Json => {
                let nl = if self.tickets > 0 { "\n" } else { "" };
                write!(self.out, "{nl}],\"fleet\":[")?;
                for (i, p) in fleet.iter().enumerate() {
                    let sep = if i > 0 { "," } else { "" };
                    write!(self.out, "{sep}\n{}", serde_json::to_string(p)?)?;
                }
                let nl = if fleet.is_empty() { "" } else { "\n" };
                writeln!(
                    self.out,
                    "{nl}],\"summary\":{}}}",
                    serde_json::to_string(summary)?
                )
            }
            Format::Csv => Ok(()),
            Format::Table => self.table_fleet(fleet, summary),
            Format::Html => self.html_end(fleet, summary),
        }
    }

    fn html_end(&mut self, fleet: &[FleetPath], s: &BatchSummary) -> io::Result<()> {
        use std::fmt::Write as _;
        let mut page = String::new();
        html::head(
            "culprit batch report",
            &self.meta,
            &self.head.tool,
            &self.head.filters,
            &mut page,
        );
        let _ = write!(
            page,
            "<h2>Fleet summary</h2><p class=\"meta\">{} tickets ({} ok, {} failed, {} without logs), {} with findings; {} paths. A path counts in a ticket when it is among its shown findings with a verdict that can be a cause.</p>",
            s.tickets, s.ok, s.failed, s.no_logs, s.with_findings, s.paths
        );
        // Ticket ids to their section anchors (sections are numbered in order).
        let anchors: std::collections::HashMap<&str, usize> = self
            .ids
            .iter()
            .enumerate()
            .map(|(i, id)| (id.as_str(), i + 1))
            .collect();
        let rows: Vec<Vec<(String, Option<String>)>> = fleet
            .iter()
            .map(|p| {
                let links: Vec<String> = p
                    .tickets
                    .iter()
                    .map(|t| match anchors.get(t.as_str()) {
                        Some(n) => format!("<a href=\"#t{n}\">{}</a>", html::esc(t)),
                        None => html::esc(t),
                    })
                    .collect();
                let verdicts = p.verdict_list();
                vec![
                    (p.rank.to_string(), Some(p.rank.to_string())),
                    (p.ticket_count.to_string(), Some(p.ticket_count.to_string())),
                    (html::esc(&verdicts), None),
                    (p.best_score.to_string(), Some(p.best_score.to_string())),
                    (
                        format!("<span class=\"path\">{}</span>", html::esc(&p.path)),
                        Some(p.path.clone()),
                    ),
                    (links.join(", "), None),
                ]
            })
            .collect();
        html::table(
            "fleet",
            "sortable filterable fleet",
            &[
                "#",
                "tickets",
                "verdicts",
                "best score",
                "path",
                "ticket ids",
            ],
            &rows,
            &mut page,
        );
        page.push_str(&self.sections);
        html::foot(&mut page);
        self.out.write_all(page.as_bytes())
    }

    fn table_fleet(&mut self, fleet: &[FleetPath], s: &BatchSummary) -> io::Result<()> {
        writeln!(
            self.out,
            "\nFleet: {} tickets ({} ok, {} failed, {} without logs), {} with findings; {} paths",
            s.tickets, s.ok, s.failed, s.no_logs, s.with_findings, s.paths
        )?;
        if fleet.is_empty() {
            return Ok(());
        }
        let mut t = comfy_table::Table::new();
        t.load_style(if self.style.ascii {
            comfy_table::presets::ASCII_FULL_CONDENSED
        } else {
            comfy_table::presets::UTF8_FULL_CONDENSED
        })
        .set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
        if let Some(w) = self.style.width {
            t.set_width(w);
        }
        t.set_header(["#", "tickets", "verdicts", "path", "ticket ids"]);
        for p in fleet.iter().take(20) {
            let ids = if p.tickets.len() > 5 {
                format!(
                    "{}, +{} more",
                    p.tickets[..5].join(", "),
                    p.tickets.len() - 5
                )
            } else {
                p.tickets.join(", ")
            };
            let verdicts = p.verdict_list();
            t.add_row([
                p.rank.to_string(),
                p.ticket_count.to_string(),
                verdicts,
                visible(&p.path).into_owned(),
                visible(&ids).into_owned(),
            ]);
        }
        writeln!(self.out, "{t}")?;
        if fleet.len() > 20 {
            writeln!(
                self.out,
                "{} more paths in the JSON and JSONL output",
                fleet.len() - 20
            )?;
        }
        Ok(())
    }
}
