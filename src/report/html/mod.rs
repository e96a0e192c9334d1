//! `--format html`: one self-contained page an analyst attaches to a ticket. No
//! network, no external script, style or font: inline CSS, a small inline script
//! (sortable tables, a filter box) allowed by its hash in the page's
//! Content-Security-Policy, which also forbids every fetch. Every log-derived text is
//! HTML-escaped (and its control characters shown visibly): a path such as
//! `<script>…` or an `<img onerror>` in a Detail field shows as text.
//!
//! Rendered from the JSON values of a report (a single run) or of batch blocks, so
//! one renderer serves `scan`, `scan --tickets` and `merge`.

mod assets;
pub mod ticket;

use std::fmt::Write as _;

use base64::Engine as _;
use serde_json::Value;
use sha2::Digest as _;

pub use ticket::{Ticket, ticket_section};

use super::visible::visible;

/// What the page says about the run that made it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// The command line, as typed (arguments quoted where needed).
    pub command: String,
    /// When the run started, ISO-8601 UTC.
    pub started: String,
    /// How long it took.
    pub elapsed_ms: u128,
}

impl Meta {
    /// The current process's command line, started at `start`, elapsed since then.
    pub fn now(start: std::time::SystemTime) -> Meta {
        let command = std::env::args()
            .map(|a| {
                if !a.is_empty()
                    && a.chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c))
                {
                    a
                } else {
                    format!("'{}'", a.replace('\'', "'\\''"))
                }
            })
            .collect::<Vec<_>>()
            .join(" ");
        let since = |t: std::time::SystemTime| {
            t.duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos())
        };
        let ft = (since(start) / 100) as u64 + 116_444_736_000_000_000;
        let mut started = crate::timefmt::filetime_moment(ft).text.to_string();
        // Seconds are enough for a report's header.
        if let Some(dot) = started.find('.') {
            started.replace_range(dot..started.len() - 1, "");
        }
        Meta {
            command,
            started,
            elapsed_ms: start.elapsed().map_or(0, |d| d.as_millis()),
        }
    }
}

/// Text as HTML: escaped, its control characters written visibly.
pub fn esc(s: &str) -> String {
    let v = visible(s);
    let mut out = String::with_capacity(v.len() + 8);
    for c in v.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A JSON value as text (`null` as empty).
pub fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The page's Content-Security-Policy: nothing may be fetched; the one inline script
/// runs by its hash; inline style is allowed.
pub fn csp() -> String {
    let hash = sha2::Sha256::digest(assets::JS.as_bytes());
    format!(
        "default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-{}'; img-src data:; base-uri 'none'; form-action 'none'",
        base64::engine::general_purpose::STANDARD.encode(hash)
    )
}

/// The page up to the end of its header: title, what was run, the filter box.
pub fn head(title: &str, meta: &Meta, tool: &Value, filters: &Value, out: &mut String) {
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta http-equiv=\"Content-Security-Policy\" content=\"{}\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{}</title><style>{}</style></head><body>\n<header><h1>{}</h1>",
        esc(&csp()),
        esc(title),
        assets::CSS,
        esc(title)
    );
    let statuses = filters["statuses"]
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join(", "))
        .unwrap_or_default();
    let processes = if filters["all_processes"] == true {
        "every process".to_string()
    } else {
        filters["processes"]
            .as_array()
            .map(|a| a.iter().map(text).collect::<Vec<_>>().join(", "))
            .unwrap_or_default()
    };
    let _ = write!(
        out,
        "<p class=\"meta\">Command: <code>{}</code></p>\
         <p class=\"meta\">{} {} &middot; run at {} (UTC) &middot; took {:.1} s</p>\
         <p class=\"meta\">Kept: {} failures of {}</p></header>\n\
         <div class=\"toolbar\"><input id=\"filter\" type=\"search\" placeholder=\"Filter paths, processes, verdicts…\" aria-label=\"filter\"></div>\n",
        esc(&meta.command),
        esc(&text(&tool["name"])),
        esc(&text(&tool["version"])),
        esc(&meta.started),
        meta.elapsed_ms as f64 / 1000.0,
        esc(&statuses),
        esc(&processes),
    );
}

/// The end of the page: the script.
pub fn foot(out: &mut String) {
    let _ = write!(out, "\n<script>{}</script>\n</body></html>\n", assets::JS);
}

/// A table: `id`, header cells, rows of (cell HTML, sort value) already escaped.
pub fn table(
    id: &str,
    class: &str,
    header: &[&str],
    rows: &[Vec<(String, Option<String>)>],
    out: &mut String,
) {
    let _ = write!(out, "<table id=\"{id}\" class=\"{class}\"><thead><tr>");
    for h in header {
        let _ = write!(out, "<th>{}</th>", esc(h));
    }
    out.push_str("</tr></thead><tbody>");
    for r in rows {
        out.push_str("<tr>");
        for (cell, sort) in r {
            match sort {
                Some(v) => {
                    let _ = write!(out, "<td data-v=\"{}\">{cell}</td>", esc(v));
                }
                None => {
                    let _ = write!(out, "<td>{cell}</td>");
                }
            }
        }
        out.push_str("</tr>");
    }
    out.push_str("</tbody></table>\n");
}

/// A single run's page: its inputs, paths, context and timeline.
pub fn write_report(
    report: &super::Report,
    meta: &Meta,
    out: &mut dyn std::io::Write,
) -> std::io::Result<()> {
    let v = serde_json::to_value(report)?;
    let mut page = String::new();
    head("culprit report", meta, &v["tool"], &v["filters"], &mut page);
    let s = &v["summary"];
    let _ = write!(
        page,
        "<p class=\"meta\">{} inputs ({} read, {} skipped, {} failed), {} records, {} matching; {} offending paths, {} shown.</p>",
        esc(&text(&s["inputs"])),
        esc(&text(&s["read"])),
        esc(&text(&s["skipped"])),
        esc(&text(&s["failed"])),
        esc(&text(&s["rows"])),
        esc(&text(&s["matches"])),
        esc(&text(&s["paths"])),
        esc(&text(&s["shown"]))
    );
    let list = |k: &str| -> Vec<&Value> {
        v[k].as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let inputs = report
        .inputs
        .iter()
        .map(|i| ticket::InputRow {
            path: i.path.clone(),
            kind: i.kind.unwrap_or("").to_string(),
            status: i.status.as_str().to_string(),
            bytes: i.bytes,
            rows: i.rows,
            matches: i.matches,
            message: i.message.clone().unwrap_or_default(),
        })
        .collect();
    let t = Ticket {
        anchor: "run".into(),
        title: None,
        findings: list("findings"),
        notes: list("notes"),
        context: list("context"),
        inputs,
        base: String::new(),
    };
    ticket_section(&t, &mut page);
    foot(&mut page);
    out.write_all(page.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_text_cannot_become_markup() {
        assert_eq!(
            esc("<script>alert('x')</script>&\"\u{1b}"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;\\x1b"
        );
        assert_eq!(esc("C:\\Windows"), "C:\\Windows");
    }

    #[test]
    fn the_policy_allows_exactly_the_page_script() {
        let c = csp();
        assert!(c.starts_with("default-src 'none';"));
        let script = c
            .split("; ")
            .find(|d| d.starts_with("script-src "))
            .unwrap();
        // The hash of the script as written, computed here again.
        let digest = sha2::Sha256::digest(assets::JS);
        let b64 = base64::engine::general_purpose::STANDARD.encode(digest);
        assert_eq!(
            script,
            format!("script-src 'sha256-{b64}'"),
            "nothing else runs"
        );
    }
}
