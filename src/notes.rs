//! Pathless evidence as ticket context: what each [`Note`](crate::model::Note) means, decoded through
//! the code tables, in one sentence. An RDP disconnect reason is decoded from the RDP
//! disconnect table only (0x904 is "socket closed", not an NTSTATUS); every other
//! code through [`crate::context::decode`], which never consults the RDP tables.

use serde::Serialize;

use crate::aggregate::{Aggregate, NoteAgg};
use crate::context::{self, Decoded};
use crate::explain::{self, Table};
use crate::model::NoteKind;

/// One distinct note as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NoteContext {
    pub kind: NoteKind,
    /// Who logged it (`Security-Auditing 4673`).
    pub source: String,
    /// The input and record of its first occurrence.
    pub input: String,
    pub line: u64,
    /// Its first and last time, as logged.
    pub time: String,
    pub last_time: String,
    pub count: u64,
    pub process: Option<String>,
    pub code: Option<Decoded>,
    pub subject: String,
    /// Why it is benign (`noise` only).
    pub benign: Option<&'static str>,
    /// The earlier failure of the same writer it follows from (servicing logs trace a
    /// failure that names no path back to it): `path (line N)`.
    pub cause: Option<String>,
    /// One sentence for people.
    pub summary: String,
}

/// An RDP disconnect reason through the RDP disconnect table.
pub fn decode_rdp(reason: u32) -> Decoded {
    let e = explain::explain(&format!("0x{reason:X}")).ok();
    let m = e
        .as_ref()
        .and_then(|e| e.meanings.iter().find(|m| m.table == Table::RdpDisconnect));
    Decoded {
        code: format!("0x{reason:X}"),
        signed: reason as i32,
        name: m.and_then(|m| m.names.first().cloned()),
        table: m.map(|m| m.table.as_str()),
        message: m.map(|m| m.message.clone()).filter(|s| !s.is_empty()),
        class: None,
        note: None,
    }
}

fn decoded(kind: NoteKind, code: Option<u32>) -> Option<Decoded> {
    let code = code?;
    Some(match kind {
        NoteKind::RdpDisconnect => decode_rdp(code),
        _ => {
            let mut d = context::decode(code);
            // The small-code caveat is about process exit codes, not logged errors.
            d.note = None;
            d
        }
    })
}

fn code_text(d: &Option<Decoded>) -> String {
    match d {
        None => String::new(),
        Some(d) => match &d.name {
            Some(n) => format!("{} {n}", d.code),
            None => d.code.clone(),
        },
    }
}

/// The sentence for one note.
pub fn summary(n: &NoteAgg, code: &Option<Decoded>) -> String {
    let f = &n.first;
    let c = code_text(code);
    let who = f.process.as_deref().unwrap_or("a process");
    let s = match f.kind {
        NoteKind::RdpDisconnect => {
            let msg = code
                .as_ref()
                .and_then(|d| d.message.as_deref())
                .map(|m| format!(": {m}"))
                .unwrap_or_default();
            let dec = f.code.map(|v| format!("{v} = ")).unwrap_or_default();
            format!("The Remote Desktop client disconnected, reason {dec}{c}{msg}")
        }
        NoteKind::PrivilegeDenied => {
            format!("{who} was refused the privilege {}", f.subject)
        }
        NoteKind::ServiceFailed => format!("Service \"{}\" failed with {c}", f.subject),
        NoteKind::PackageFailed => {
            format!("Servicing package {} failed with {c}", f.subject)
        }
        NoteKind::Code => match &f.cause {
            Some(cause) => format!(
                "{} logged {c} ({}), after the same writer's failure on {cause}",
                f.source, f.subject
            ),
            None => format!("{} logged {c} ({})", f.source, f.subject),
        },
        NoteKind::Noise => format!(
            "{}: known noise. {}",
            f.source,
            f.benign.unwrap_or("logged on healthy machines")
        ),
    };
    if n.count > 1 {
        format!("{s} ({} times)", n.count)
    } else {
        s
    }
}

/// Every note of a scan, in input then record order; `names[i]` names input `i`.
pub fn notes(agg: &Aggregate, names: &[String]) -> Vec<NoteContext> {
    let mut v: Vec<&NoteAgg> = agg.notes.values().collect();
    v.sort_by(|a, b| {
        (a.first.input, a.first.line, a.first.kind, &a.first.subject).cmp(&(
            b.first.input,
            b.first.line,
            b.first.kind,
            &b.first.subject,
        ))
    });
    v.into_iter()
        .map(|n| {
            let code = decoded(n.first.kind, n.first.code);
            NoteContext {
                kind: n.first.kind,
                source: n.first.source.clone(),
                input: names
                    .get(n.first.input as usize)
                    .cloned()
                    .unwrap_or_default(),
                line: n.first.line,
                time: n.first.time.text.to_string(),
                last_time: n.last.time.text.to_string(),
                count: n.count,
                process: n.first.process.clone(),
                subject: n.first.subject.clone(),
                benign: n.first.benign,
                cause: n.first.cause.clone(),
                summary: summary(n, &code),
                code,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Family, Moment, Note};

    fn note(kind: NoteKind, code: Option<u32>, subject: &str) -> Note {
        Note {
            input: 0,
            family: Family::Evtx,
            line: 7,
            kind,
            source: "TerminalServices-ClientActiveXCore 1026".into(),
            process: Some("mstsc.exe".into()),
            code,
            subject: subject.into(),
            benign: None,
            cause: None,
            time: Moment::default(),
        }
    }

    #[test]
    fn rdp_reasons_decode_from_the_rdp_table_only() {
        let d = decode_rdp(0x904);
        assert_eq!(d.table, Some("rdp-disconnect"), "{d:?}");
        let mut agg = Aggregate::default();
        agg.add_note(note(
            NoteKind::RdpDisconnect,
            Some(2308),
            "Disconnect Reason",
        ));
        agg.add_note(note(
            NoteKind::RdpDisconnect,
            Some(2308),
            "Disconnect Reason",
        ));
        let n = notes(&agg, &["t.evtx".into()]);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].count, 2);
        assert!(
            n[0].summary.contains("reason 2308 = 0x904"),
            "{}",
            n[0].summary
        );
        assert!(n[0].summary.ends_with("(2 times)"));
        // Never read as an NTSTATUS or Win32 code.
        assert!(!n[0].summary.contains("STATUS_"), "{}", n[0].summary);
    }

    #[test]
    fn other_codes_decode_through_the_status_tables() {
        let mut agg = Aggregate::default();
        agg.add_note(note(NoteKind::ServiceFailed, Some(5), "Windows Update"));
        let n = notes(&agg, &["s.evtx".into()]);
        assert_eq!(
            n[0].summary,
            "Service \"Windows Update\" failed with 0x00000005 ERROR_ACCESS_DENIED"
        );
    }
}
