//! Ticket context: evidence that names no path but explains the failure, reported
//! beside the ranked paths and never dropped. Today: watched processes that exited
//! with a non-zero status, decoded through [`crate::codes`] and linked to the last
//! unrecovered failures of that process (and of the helpers it drives) before it
//! exited. "mstsc.exe exited with E_ACCESSDENIED 0.56 s after being refused
//! RegSetValue on HKCU\...\MRU0" is the sentence an analyst wants.

use std::collections::HashMap;

use serde::Serialize;

use crate::aggregate::{Aggregate, LastFailure};
use crate::codes::StatusClass;
use crate::explain::{self, Table};
use crate::model::{Moment, ProcessExit};

/// Points for a path linked to an exit whose code is the path's own failure class
/// (E_ACCESSDENIED and a denial, 0x80070013 and a write protection).
pub const EXIT_MATCH_POINTS: u32 = 20;
/// Points for a path linked to an exit with any other failure code.
pub const EXIT_OTHER_POINTS: u32 = 10;
/// How many of a process's last unrecovered failures one exit is linked to.
pub const LINKS_PER_EXIT: usize = 3;

/// Processes whose exit status reports the work of helpers they drive (lower-case):
/// DISM's result is what DismHost.exe and the servicing stack met.
pub static HELPERS: &[(&str, &[&str])] = &[(
    "dism.exe",
    &["dismhost.exe", "tiworker.exe", "trustedinstaller.exe"],
)];

/// A code decoded from the tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decoded {
    /// `0x80070005`.
    pub code: String,
    /// As Procmon prints exit statuses (`-2147024891`).
    pub signed: i32,
    /// The preferred name (`E_ACCESSDENIED`, `HRESULT_FROM_WIN32(ERROR_WRITE_PROTECT)`).
    pub name: Option<String>,
    /// The table the name comes from (`hresult`, `ntstatus`, `win32`, ...).
    pub table: Option<&'static str>,
    pub message: Option<String>,
    /// culprit's class, when the code is one of the failures it hunts.
    pub class: Option<StatusClass>,
    /// Small exit codes are often defined by the program, not by Windows: said so.
    pub note: Option<String>,
}

/// Decodes an exit status through the code tables (never from folklore: an RDP
/// disconnect reason is not an exit status, so those tables are not consulted).
pub fn decode(status: u32) -> Decoded {
    let e = explain::explain(&format!("0x{status:08X}")).ok();
    let meaning = e.as_ref().and_then(|e| {
        e.meanings.iter().find(|m| {
            !matches!(
                m.table,
                Table::RdpDisconnect | Table::RdpExtendedDisconnect | Table::Procmon
            )
        })
    });
    let win32_inside = e.as_ref().and_then(|e| {
        e.related
            .iter()
            .find(|m| m.table == Table::Win32 && status & 0xFFFF_0000 == 0x8007_0000)
    });
    let name = match (meaning, win32_inside) {
        (Some(m), _) if !m.names.is_empty() => Some(m.names[0].clone()),
        (_, Some(w)) if !w.names.is_empty() => Some(format!("HRESULT_FROM_WIN32({})", w.names[0])),
        _ => None,
    };
    let message = meaning
        .map(|m| m.message.clone())
        .or_else(|| win32_inside.map(|w| w.message.clone()))
        .filter(|m| !m.is_empty());
    Decoded {
        code: format!("0x{status:08X}"),
        signed: status as i32,
        name,
        table: meaning.map(|m| m.table.as_str()),
        message,
        class: e.as_ref().and_then(|e| e.class),
        note: (status < 0x1_0000).then(|| {
            "a small exit code is often defined by the program itself; read here as a Win32 code"
                .to_string()
        }),
    }
}

/// One failure an exit is linked to.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// The path as ranked (most common spelling).
    pub path: String,
    /// Its grouping key.
    pub key: String,
    /// Its rank in this report (null when it is beyond `--top`).
    pub rank: Option<usize>,
    pub process: String,
    pub operation: String,
    pub time: String,
    pub line: u64,
    /// How long before the exit the failure happened, when both times are known.
    pub seconds_before: Option<f64>,
}

/// A watched process that exited with a non-zero status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExitContext {
    /// `process-exit`.
    pub kind: &'static str,
    pub process: String,
    pub pid: Option<u32>,
    pub time: String,
    pub date_time: Option<String>,
    pub input: String,
    pub line: u64,
    pub exit: Decoded,
    /// The process's (and its helpers') last unrecovered failures before it exited,
    /// latest first.
    pub linked: Vec<Link>,
    /// One sentence for people.
    pub summary: String,
}

/// Seconds from `a` to `b`, when both parse (dates used when both have one).
fn seconds_between(a: &Moment, b: &Moment) -> Option<f64> {
    let ns = match (a.absolute_ns(), b.absolute_ns()) {
        (Some(x), Some(y)) => y - x,
        _ => i128::from(b.time_of_day_ns?) - i128::from(a.time_of_day_ns?),
    };
    (ns >= 0).then(|| ns as f64 / 1e9)
}

fn family(process: &str) -> Vec<String> {
    let me = process.to_lowercase();
    let mut out = vec![me.clone()];
    if let Some((_, helpers)) = HELPERS.iter().find(|(p, _)| *p == me) {
        out.extend(helpers.iter().map(|h| h.to_string()));
    }
    out
}

/// The failures one exit is linked to: (path key, lower-case process, last failure),
/// latest first. Paths for which `skip` holds (by-design refusals) are never linked.
pub fn links<'a>(
    agg: &'a Aggregate,
    exit: &ProcessExit,
    skip: &dyn Fn(&str) -> bool,
) -> Vec<Linked<'a>> {
    let fam = family(&exit.process);
    let mut out: Vec<(&str, &str, &LastFailure)> = Vec::new();
    for (key, p) in &agg.paths {
        if skip(key) {
            continue;
        }
        for ((input, proc_), lf) in p.recovery.unrecovered_last() {
            let same = **proc_ == *fam[0];
            if *input != exit.input
                || lf.offset >= exit.offset
                || !fam.iter().any(|f| **f == **proc_)
                || (same && matches!((lf.pid, exit.pid), (Some(a), Some(b)) if a != b))
            {
                continue;
            }
            out.push((&**key, &**proc_, lf));
        }
    }
    out.sort_by(|a, b| b.2.offset.cmp(&a.2.offset).then(a.0.cmp(b.0)));
    out.truncate(LINKS_PER_EXIT);
    out
}

/// Points the exit factor gives a path linked to an exit of class `exit_class`.
pub fn exit_points(exit_class: Option<StatusClass>, path_classes: &[StatusClass]) -> u32 {
    match exit_class {
        Some(c) if path_classes.contains(&c) => EXIT_MATCH_POINTS,
        _ => EXIT_OTHER_POINTS,
    }
}

/// What the exits of a scan say about its paths: per path key, the exit points and
/// the exits linked to it; per exit (in scan order), its decoding and its links.
pub struct ExitLinks<'a> {
    pub by_path: HashMap<&'a str, (u32, Vec<ExitRef>)>,
    pub exits: Vec<(&'a ProcessExit, Decoded, Vec<Linked<'a>>)>,
}

/// A linked failure: (path key, lower-case process, its last failure).
pub type Linked<'a> = (&'a str, &'a str, &'a LastFailure);

/// An exit as a finding cites it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExitRef {
    pub process: String,
    pub pid: Option<u32>,
    pub code: String,
    pub name: Option<String>,
    pub input: u32,
    pub line: u64,
}

/// Links every exit of `agg`; `skip` excludes paths (by-design refusals).
pub fn link_exits<'a>(agg: &'a Aggregate, skip: &dyn Fn(&str) -> bool) -> ExitLinks<'a> {
    let mut by_path: HashMap<&str, (u32, Vec<ExitRef>)> = HashMap::new();
    let mut exits = Vec::new();
    for exit in &agg.exits {
        let decoded = decode(exit.status);
        let linked = links(agg, exit, skip);
        for &(key, _, _) in &linked {
            let classes: Vec<StatusClass> = agg.paths[key].classes.iter().collect();
            let entry = by_path.entry(key).or_default();
            entry.0 = entry.0.max(exit_points(decoded.class, &classes));
            let r = ExitRef {
                process: exit.process.clone(),
                pid: exit.pid,
                code: decoded.code.clone(),
                name: decoded.name.clone(),
                input: exit.input,
                line: exit.line,
            };
            if !entry.1.contains(&r) {
                entry.1.push(r);
            }
        }
        exits.push((exit, decoded, linked));
    }
    ExitLinks { by_path, exits }
}

/// The sentence for one exit.
pub fn summary(exit: &ProcessExit, decoded: &Decoded, linked: &[Link]) -> String {
    let pid = exit.pid.map(|p| format!(" (PID {p})")).unwrap_or_default();
    let name = decoded
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let head = format!("{}{pid} exited with {}{name}", exit.process, decoded.code);
    match linked.first() {
        None => format!("{head}; no unrecovered failure of it was seen before it exited"),
        Some(l) => {
            let when = l
                .seconds_before
                .map(|s| format!("{s:.2} s after"))
                .unwrap_or_else(|| "after".to_string());
            let rank = l.rank.map(|r| format!(" (#{r})")).unwrap_or_default();
            let who = if l.process.eq_ignore_ascii_case(&exit.process) {
                "being".to_string()
            } else {
                format!("{} was", l.process)
            };
            format!(
                "{head} {when} {who} refused {} on {}{rank}",
                l.operation, l.path
            )
        }
    }
}

/// Builds a link for display.
pub fn link(exit: &ProcessExit, path: &str, key: &str, process: &str, lf: &LastFailure) -> Link {
    Link {
        path: path.to_string(),
        key: key.to_string(),
        rank: None,
        process: if lf.process.is_empty() {
            process.to_string()
        } else {
            lf.process.to_string()
        },
        operation: lf.operation.to_string(),
        time: lf.time.text.to_string(),
        line: lf.line,
        seconds_before: seconds_between(&lf.time, &exit.time),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_statuses_decode_from_the_tables() {
        let d = decode(0x8007_0005);
        assert_eq!(d.name.as_deref(), Some("E_ACCESSDENIED"));
        assert_eq!(d.class, Some(StatusClass::Denied));
        assert_eq!(d.signed, -2_147_024_891);
        let wp = decode(0x8007_0013);
        assert_eq!(
            wp.name.as_deref(),
            Some("HRESULT_FROM_WIN32(ERROR_WRITE_PROTECT)")
        );
        assert_eq!(wp.class, Some(StatusClass::WriteProtect));
        // 0x904 as an exit code: no RDP folklore.
        let x = decode(0x904);
        assert!(x.name.is_none() && x.note.is_some());
    }

    #[test]
    fn gaps_use_dates_when_both_have_one() {
        let m = |ns: u64, date| Moment {
            text: "".into(),
            time_of_day_ns: Some(ns),
            date,
            ..Moment::default()
        };
        assert_eq!(
            seconds_between(&m(1_000_000_000, None), &m(1_500_000_000, None)),
            Some(0.5)
        );
        assert_eq!(seconds_between(&m(2, None), &m(1, None)), None);
        let day = Some((2026, 11, 24));
        let next = Some((2026, 11, 25));
        assert_eq!(
            seconds_between(&m(86_399_000_000_000, day), &m(0, next)),
            Some(1.0)
        );
    }

    #[test]
    fn dism_reports_its_helpers() {
        assert_eq!(
            family("Dism.exe"),
            vec![
                "dism.exe",
                "dismhost.exe",
                "tiworker.exe",
                "trustedinstaller.exe"
            ]
        );
        assert_eq!(family("mstsc.exe"), vec!["mstsc.exe"]);
        assert_eq!(
            exit_points(Some(StatusClass::Denied), &[StatusClass::Denied]),
            EXIT_MATCH_POINTS
        );
        assert_eq!(exit_points(None, &[StatusClass::Denied]), EXIT_OTHER_POINTS);
    }
}
