//! Procmon's XML export (`<procmon><processlist>…<eventlist><event>…`), streamed with
//! a pull parser: one pass, bounded memory, whatever the size.
//!
//! An `<event>` holds `ProcessIndex, Time_of_Day, Process_Name, PID, Operation, Path,
//! Result, Detail` (the column names with `_` for spaces; optional columns likewise).
//! When `Process_Name` is absent, the `ProcessIndex` is resolved through the
//! `<processlist>`. Recovery is judged in the same pass: a key recovers when a SUCCESS
//! of the same process, path and operation follows its last failure.

use std::collections::{HashMap, HashSet};
use std::io::{BufReader, Read};
use std::path::Path;

use quick_xml::Reader;
use quick_xml::events::Event as Xml;

use super::csv::{FileScan, PROCESS_EXIT};
use super::recovery;
use crate::codes::{self, Code};
use crate::error::SourceError;
use crate::filter::Filter;
use crate::intent::{self, Access};
use crate::model::{Event, Moment, ProcessExit, exit_status};
use crate::pathnorm;
use crate::progress::Progress;
use crate::timefmt;

/// Whether a sniffed head is a Procmon XML export.
pub fn is_procmon_xml(head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = &head[..head.len().min(4096)];
    memchr::memmem::find(start, b"<procmon>").is_some()
        || memchr::memmem::find(start, b"<procmon ").is_some()
}

/// Element names culprit keeps, in events and in the process list.
const KEPT: &[&str] = &[
    "ProcessIndex",
    "Time_of_Day",
    "Date_&_Time",
    "Process_Name",
    "PID",
    "Operation",
    "Path",
    "Result",
    "Detail",
    "ProcessId",
    "ProcessName",
];

fn kept(name: &str) -> Option<&'static str> {
    KEPT.iter().copied().find(|k| *k == name)
}

/// Scans one XML export from a decoded stream.
pub fn scan<R: Read>(
    path: &Path,
    text: R,
    filter: &Filter,
    input: u32,
    progress: &dyn Progress,
) -> FileScan {
    let mut scan = FileScan::default();
    let mut reader = Reader::from_reader(BufReader::with_capacity(256 * 1024, text));
    reader.config_mut().trim_text(false);
    let mut buf = Vec::new();
    // The kept fields of the `<event>` or `<process>` being read.
    let mut fields: HashMap<&'static str, String> = HashMap::new();
    let mut current: Option<&'static str> = None;
    let mut depth_kind: Option<&'static str> = None; // "event" or "process"
    let mut processes: HashMap<String, (String, String)> = HashMap::new(); // index -> (name, pid)
    // Recovery state: (path, process, operation) -> per refused access, whether a
    // SUCCESS that obtained it came after the last denial.
    let mut keys: HashMap<(String, String, String), Vec<(Access, bool)>> = HashMap::new();
    let mut wanted_pairs: HashSet<(String, String)> = HashSet::new();
    let mut events = 0u64;
    let mut reported = 0u64;
    let mut root_closed = false;
    loop {
        let ev = match reader.read_event_into(&mut buf) {
            Ok(e) => e,
            Err(e) => {
                scan.error = Some(SourceError::Corrupt {
                    path: path.to_path_buf(),
                    offset: reader.buffer_position(),
                    why: format!("XML: {e}"),
                });
                break;
            }
        };
        match ev {
            Xml::Eof => {
                // An export cut short ends without closing its root: the events after
                // the cut are lost, and that must be said.
                if !root_closed {
                    scan.error = Some(SourceError::Corrupt {
                        path: path.to_path_buf(),
                        offset: reader.buffer_position(),
                        why: format!(
                            "the XML ends before </procmon> (truncated after {events} events)"
                        ),
                    });
                }
                break;
            }
            Xml::Start(s) => match s.name().as_ref() {
                "event" => {
                    depth_kind = Some("event");
                    fields.clear();
                }
                "process" => {
                    depth_kind = Some("process");
                    fields.clear();
                }
                "modulelist" => depth_kind = None,
                n => current = depth_kind.and_then(|_| kept(n)),
            },
            Xml::Text(t) => {
                if let Some(k) = current {
                    fields.entry(k).or_default().push_str(&t.xml10_content());
                }
            }
            Xml::GeneralRef(r) => {
                if let Some(k) = current {
                    let ch = match (r.resolve_char_ref(), &*r) {
                        (Ok(Some(c)), _) => c.to_string(),
                        (_, "quot") => "\"".to_string(),
                        (_, "amp") => "&".to_string(),
                        (_, "lt") => "<".to_string(),
                        (_, "gt") => ">".to_string(),
                        (_, "apos") => "'".to_string(),
                        (_, other) => format!("&{other};"),
                    };
                    fields.entry(k).or_default().push_str(&ch);
                }
            }
            Xml::End(e) => {
                current = None;
                if e.name().as_ref() == "procmon" {
                    root_closed = true;
                }
                match e.name().as_ref() {
                    "process" if depth_kind == Some("process") => {
                        let f = std::mem::take(&mut fields);
                        if let Some(ix) = f.get("ProcessIndex") {
                            processes.insert(
                                ix.trim().to_string(),
                                (
                                    f.get("ProcessName").cloned().unwrap_or_default(),
                                    f.get("ProcessId").cloned().unwrap_or_default(),
                                ),
                            );
                        }
                        depth_kind = None;
                    }
                    "modulelist" => depth_kind = Some("process"),
                    "event" if depth_kind == Some("event") => {
                        events += 1;
                        let f = std::mem::take(&mut fields);
                        let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
                        let from_list = processes.get(get("ProcessIndex").trim());
                        let process = match get("Process_Name") {
                            "" => from_list.map(|p| p.0.as_str()).unwrap_or(""),
                            n => n,
                        }
                        .trim()
                        .to_string();
                        let pid = match get("PID").trim() {
                            "" => from_list.map(|p| p.1.trim()).unwrap_or(""),
                            p => p,
                        };
                        let Some(status) = codes::procmon_result(get("Result").as_bytes()) else {
                            continue;
                        };
                        let operation = get("Operation").trim();
                        let pair = (process.to_lowercase(), operation.to_string());
                        if status == 0 && operation == PROCESS_EXIT {
                            if filter.processes.matches(&process)
                                && let Some(code) = exit_status(get("Detail"))
                            {
                                let time_text = get("Time_of_Day");
                                let time = Moment {
                                    text: time_text.into(),
                                    time_of_day_ns: timefmt::time_of_day_ns(time_text),
                                    date: timefmt::date_ymd(get("Date_&_Time")),
                                    utc: false,
                                };
                                if filter.window.contains(&time) {
                                    scan.agg.add_exit(ProcessExit {
                                        input,
                                        line: events,
                                        offset: events,
                                        process: process.clone(),
                                        pid: pid.parse().ok(),
                                        status: code,
                                        time,
                                    });
                                }
                            }
                            continue;
                        }
                        if status == 0 {
                            if wanted_pairs.contains(&pair) {
                                let key = (
                                    pathnorm::key(&pathnorm::normalize(get("Path"))),
                                    pair.0,
                                    pair.1,
                                );
                                if let Some(states) = keys.get_mut(&key) {
                                    let got = intent::access(operation, get("Detail"));
                                    for (asked, r) in states.iter_mut() {
                                        *r |= got.covers(*asked);
                                    }
                                }
                            }
                            continue;
                        }
                        let Some(class) = filter.statuses.match_ntstatus(status) else {
                            continue;
                        };
                        if !filter.processes.matches(&process) {
                            scan.stats.others += 1;
                            continue;
                        }
                        let time_text = get("Time_of_Day");
                        let date_text = get("Date_&_Time");
                        let ev = Event {
                            family: crate::model::Family::Procmon,
                            input,
                            line: events,
                            offset: events,
                            process: process.as_str().into(),
                            pid: pid.parse().ok(),
                            operation: operation.into(),
                            path: get("Path").into(),
                            code: Code::ntstatus(status),
                            class,
                            result: get("Result").trim().into(),
                            detail: get("Detail").into(),
                            time: Moment {
                                text: time_text.into(),
                                time_of_day_ns: timefmt::time_of_day_ns(time_text),
                                date: timefmt::date_ymd(date_text),
                                utc: false,
                            },
                        };
                        if !filter.window.contains(&ev.time) {
                            continue;
                        }
                        scan.agg.add(&ev);
                        let asked = intent::access(&ev.operation, &ev.detail);
                        let states = keys
                            .entry((
                                pathnorm::key(&pathnorm::normalize(&ev.path)),
                                pair.0.clone(),
                                pair.1.clone(),
                            ))
                            .or_default();
                        match states.iter_mut().find(|(a, _)| *a == asked) {
                            Some(st) => st.1 = false,
                            None => states.push((asked, false)),
                        }
                        wanted_pairs.insert(pair);
                        let pos = reader.buffer_position();
                        if pos >= reported + (1 << 20) {
                            progress.advance(pos - reported);
                            reported = pos;
                        }
                    }
                    _ => {}
                }
            }
            _ => {}
        }
        buf.clear();
    }
    progress.advance(reader.buffer_position().saturating_sub(reported));
    scan.stats.rows = events;
    scan.stats.matches = scan.agg.events();
    let mut ks = recovery::keys(&scan.agg);
    for k in &mut ks {
        k.recovered = keys
            .get(&(
                k.path.to_string(),
                k.process().to_string(),
                k.operation().to_string(),
            ))
            .and_then(|states| states.iter().find(|(a, _)| *a == k.access))
            .is_some_and(|&(_, r)| r)
            && scan.error.is_none();
    }
    let done = recovery::recovered(&ks);
    recovery::finish(&mut scan.agg, &done);
    scan
}
