//! From one rendered record to evidence: a failure on a path, or a pathless note.
//! Which fields to read comes from [`super::rules`]; this only applies it.

use super::audit::{self, base_name};
use super::codes::{binary_le, normalise};
use super::fields::Fields;
use super::rules::{self, Shape};
use crate::model::NoteKind;

/// An access check failure audit carries no status: it is STATUS_ACCESS_DENIED.
pub const AUDIT_STATUS: u32 = 0xC000_0022;

/// What one record says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evidence {
    /// A failure on a path.
    Path(PathFailure),
    /// Evidence without a path.
    Note(NoteDraft),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathFailure {
    pub path: String,
    /// Image name; empty when the event does not say.
    pub process: String,
    pub pid: Option<u32>,
    /// `4656 Security audit failure`, `Kernel-General 11`.
    pub operation: String,
    pub code: u32,
    /// As logged: `Audit Failure`, `0xc00000a2`.
    pub result: String,
    /// `Desired Access: ...` for audits, the code's field otherwise.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoteDraft {
    pub kind: NoteKind,
    pub process: Option<String>,
    pub code: Option<u32>,
    pub subject: String,
    pub benign: Option<&'static str>,
}

/// `Microsoft-Windows-Kernel-General 11` (the short name drops `Microsoft-Windows-`).
pub fn source_of(f: &Fields<'_>) -> String {
    let p = f
        .provider
        .strip_prefix("Microsoft-Windows-")
        .unwrap_or(f.provider);
    match f.event_id {
        Some(id) => format!("{p} {id}"),
        None => p.to_string(),
    }
}

/// The first of `names` that holds a code.
fn code_in(f: &Fields<'_>, names: &[&str]) -> Option<(String, u32)> {
    names.iter().find_map(|n| {
        let t = f.get(n)?;
        normalise(&t).map(|v| (t.trim().to_string(), v))
    })
}

/// `svchost (1234,D,0)` or `C:\x\lsass.exe` → `svchost.exe`, `lsass.exe`.
fn process_of(text: &str) -> String {
    let first = text.split([' ', '(']).next().unwrap_or("");
    let name = base_name(first);
    if name.is_empty() || name.contains('.') {
        name.to_string()
    } else {
        format!("{name}.exe")
    }
}

/// What a record says, judged by `selected` (is a code one culprit hunts?).
pub fn extract(f: &Fields<'_>, selected: &dyn Fn(u32) -> bool) -> Option<Evidence> {
    let Some(rule) = rules::rule(f.provider, f.event_id) else {
        return any_code(f, selected);
    };
    let id = f.event_id.unwrap_or(0);
    match rule.shape {
        Shape::Audit | Shape::Privilege => {
            if !f.audit_failure() {
                return None;
            }
            match (rule.shape, audit::read(f)) {
                (Shape::Audit, Some(a)) => Some(Evidence::Path(PathFailure {
                    detail: a.detail(),
                    path: a.path,
                    process: a.process,
                    pid: a.pid,
                    operation: format!("Security {id} audit failure"),
                    code: AUDIT_STATUS,
                    result: "Audit Failure".into(),
                })),
                _ => {
                    let process = f.get("ProcessName").map(|p| base_name(&p).to_string());
                    let privileges = f.get("PrivilegeList").unwrap_or_default();
                    let privileges = privileges.split_whitespace().collect::<Vec<_>>().join(" ");
                    Some(Evidence::Note(NoteDraft {
                        kind: NoteKind::PrivilegeDenied,
                        process: process.filter(|p| !p.is_empty()),
                        code: Some(0xC000_0061),
                        subject: privileges,
                        benign: None,
                    }))
                }
            }
        }
        Shape::PathCode {
            path,
            code,
            process,
        } => {
            let (text, v) = code_in(f, code)?;
            if !selected(v) {
                return None;
            }
            let Some(p) = f.first(path) else {
                return note(f, NoteKind::Code, code[0], &text, v);
            };
            Some(Evidence::Path(PathFailure {
                path: p.trim().to_string(),
                process: f.first(process).map(|p| process_of(&p)).unwrap_or_default(),
                pid: f.pid,
                operation: source_of(f),
                code: v,
                detail: format!("{}: {text}", code[0].trim_start_matches('#')),
                result: text,
            }))
        }
        Shape::Subject { kind, name, code } => {
            let (text, v) = code_in(f, code)?;
            if !selected(v) {
                return None;
            }
            let subject = f.first(name).unwrap_or_default().trim().to_string();
            Some(Evidence::Note(NoteDraft {
                kind,
                process: None,
                code: Some(v),
                subject: if subject.is_empty() { text } else { subject },
                benign: None,
            }))
        }
        Shape::RdpDisconnect { reason } => {
            let (_, v) = code_in(f, reason)?;
            Some(Evidence::Note(NoteDraft {
                kind: NoteKind::RdpDisconnect,
                process: Some("mstsc.exe".into()),
                code: Some(v),
                subject: f.get("Name").unwrap_or_default().trim().to_string(),
                benign: None,
            }))
        }
        Shape::Noise(why) => Some(Evidence::Note(NoteDraft {
            kind: NoteKind::Noise,
            process: None,
            code: None,
            subject: String::new(),
            benign: Some(why),
        })),
    }
}

fn note(f: &Fields<'_>, kind: NoteKind, field: &str, text: &str, v: u32) -> Option<Evidence> {
    let _ = f;
    Some(Evidence::Note(NoteDraft {
        kind,
        process: None,
        code: Some(v),
        subject: format!("{}={text}", field.trim_start_matches('#')),
        benign: None,
    }))
}

/// Field names that hold a status or error code (lower-case, matched as substrings).
pub static CODE_FIELD_WORDS: &[&str] = &["status", "error", "result", "hresult", "code"];

/// Whether a field of an event no rule names holds a code: a field named for one
/// (`Status`, `ErrorCode`, `hrError`), or a form only codes take (`%%5`,
/// `5 (0x00000005)`, a 32-bit NTSTATUS or HRESULT). A bare small number in any
/// other field (`LogonType=5`, `InstanceID=19`) is a count or an id, not a code.
fn holds_code(name: &str, text: &str, v: u32) -> bool {
    let lower = name.to_ascii_lowercase();
    let t = text.trim();
    CODE_FIELD_WORDS.iter().any(|w| lower.contains(w))
        || lower.starts_with("hr")
        || t.starts_with("%%")
        || t.ends_with(')')
        || v > 0xFFFF
}

/// An event no rule names: a note when a field (or `Binary`) holds a selected code.
fn any_code(f: &Fields<'_>, selected: &dyn Fn(u32) -> bool) -> Option<Evidence> {
    for (name, text) in f.all() {
        if let Some(v) = normalise(&text).filter(|&v| selected(v) && holds_code(&name, &text, v)) {
            let field = match name.strip_prefix('#') {
                Some(i) => format!("Data[{i}]"),
                None => name.to_string(),
            };
            return note(f, NoteKind::Code, &field, text.trim(), v);
        }
    }
    // A little-endian Binary is read as a code only for 32-bit statuses.
    let v = f
        .binary
        .and_then(binary_le)
        .filter(|&v| v > 0xFFFF && selected(v))?;
    note(f, NoteKind::Code, "Binary", f.binary.unwrap_or(""), v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn ev(json: &str) -> Option<Evidence> {
        let v: Value = serde_json::from_str(json).unwrap();
        let f = Fields::of(&v).unwrap();
        let selected = |c: u32| matches!(c, 5 | 19 | 0xC000_0022 | 0xC000_00A2 | 0x8007_0005);
        extract(&f, &selected)
    }

    fn sys(provider: &str, id: &str, keywords: &str) -> String {
        format!(
            r##""System":{{"Provider":{{"#attributes":{{"Name":"{provider}"}}}},"EventID":{id},"Keywords":"{keywords}","Execution":{{"#attributes":{{"ProcessID":4}}}}}}"##
        )
    }

    #[test]
    fn audit_failures_are_paths_and_successes_nothing() {
        let data = r##""EventData":{"ObjectType":"Key","ObjectName":"\\REGISTRY\\USER\\S-1-5-21-1\\Software\\Microsoft\\Terminal Server Client\\Default","AccessReason":"%%4433:\t%%1805\r\n","ProcessName":"C:\\Windows\\System32\\mstsc.exe","ProcessId":"0x1e28"}"##;
        let fail = format!(
            "{{\"Event\":{{{},{data}}}}}",
            sys(rules::SECURITY, "4656", "0x8010000000000000")
        );
        let Some(Evidence::Path(p)) = ev(&fail) else {
            panic!("{fail}")
        };
        assert_eq!(p.process, "mstsc.exe");
        assert_eq!(p.pid, Some(0x1e28));
        assert_eq!(p.detail, "Desired Access: Set Value");
        assert_eq!(p.code, AUDIT_STATUS);
        let ok = format!(
            "{{\"Event\":{{{},{data}}}}}",
            sys(rules::SECURITY, "4656", "0x8020000000000000")
        );
        assert_eq!(ev(&ok), None);
    }

    #[test]
    fn share_audits_join_the_local_path() {
        let j = format!(
            r##"{{"Event":{{{},"EventData":{{"ShareName":"\\\\*\\ADMIN$","ShareLocalPath":"\\??\\C:\\Windows","RelativeTargetName":"Temp\\x.exe","AccessMask":"0x2"}}}}}}"##,
            sys(rules::SECURITY, "5145", "0x8010000000000000")
        );
        let Some(Evidence::Path(p)) = ev(&j) else {
            panic!()
        };
        assert_eq!(p.path, "C:\\Windows\\Temp\\x.exe");
        assert_eq!(p.process, "");
        assert_eq!(p.detail, "Desired Access: Write Data/Add File");
    }

    #[test]
    fn privilege_failures_are_notes() {
        let j = format!(
            r##"{{"Event":{{{},"EventData":{{"PrivilegeList":"SeTcbPrivilege","ProcessName":"C:\\x\\dism.exe"}}}}}}"##,
            sys(rules::SECURITY, "4673", "0x8010000000000000")
        );
        let Some(Evidence::Note(n)) = ev(&j) else {
            panic!()
        };
        assert_eq!(n.kind, NoteKind::PrivilegeDenied);
        assert_eq!(n.process.as_deref(), Some("dism.exe"));
        assert_eq!(n.subject, "SeTcbPrivilege");
    }

    #[test]
    fn kernel_general_write_protect_is_a_path() {
        let j = format!(
            r##"{{"Event":{{{},"EventData":{{"ExtraString":"\\Device\\HarddiskVolumeShadowCopy2\\Windows\\System32\\config\\SOFTWARE","Status":"0xc00000a2"}}}}}}"##,
            sys(
                "Microsoft-Windows-Kernel-General",
                "11",
                "0x8000000000000000"
            )
        );
        let Some(Evidence::Path(p)) = ev(&j) else {
            panic!()
        };
        assert_eq!(p.code, 0xC000_00A2);
        assert_eq!(p.operation, "Kernel-General 11");
        assert!(p.path.contains("ShadowCopy2"));
        // The same event with another status is not evidence.
        assert_eq!(ev(&j.replace("0xc00000a2", "0xc0000034")), None);
    }

    #[test]
    fn services_rdp_and_noise_are_notes() {
        let scm = format!(
            r##"{{"Event":{{{},"EventData":{{"param1":"Windows Update","param2":"%%5"}}}}}}"##,
            sys(
                "Service Control Manager",
                r##"{"#attributes":{"Qualifiers":49152},"#text":7023}"##,
                "0x8080000000000000"
            )
        );
        let Some(Evidence::Note(n)) = ev(&scm) else {
            panic!()
        };
        assert_eq!(
            (n.kind, n.code, n.subject.as_str()),
            (NoteKind::ServiceFailed, Some(5), "Windows Update")
        );
        assert_eq!(ev(&scm.replace("%%5", "%%1058")), None);
        let rdp = format!(
            r##"{{"Event":{{{},"EventData":{{"Name":"Disconnect Reason","Value":2308}}}}}}"##,
            sys(rules::RDP_CLIENT, "1026", "0x4000000000000000")
        );
        let Some(Evidence::Note(n)) = ev(&rdp) else {
            panic!()
        };
        assert_eq!((n.kind, n.code), (NoteKind::RdpDisconnect, Some(0x904)));
        let dcom = format!(
            r##"{{"Event":{{{},"EventData":{{"param1":"x"}}}}}}"##,
            sys(rules::DCOM, "10016", "0x8080000000000000")
        );
        let Some(Evidence::Note(n)) = ev(&dcom) else {
            panic!()
        };
        assert_eq!(n.benign, Some(rules::DCOM_10016));
    }

    #[test]
    fn unknown_providers_give_code_notes_never_paths() {
        let j = format!(
            r##"{{"Event":{{{},"EventData":{{"Data":{{"#text":["x","%%5"]}},"Binary":"220000C0"}}}}}}"##,
            sys(
                "NETLOGON",
                r##"{"#attributes":{"Qualifiers":0},"#text":5805}"##,
                "0x80000000000000"
            )
        );
        let Some(Evidence::Note(n)) = ev(&j) else {
            panic!()
        };
        assert_eq!((n.kind, n.code), (NoteKind::Code, Some(5)));
        assert_eq!(n.subject, "Data[1]=%%5");
        // Only the Binary holds it.
        let bin = j.replace("%%5", "y");
        let Some(Evidence::Note(n)) = ev(&bin) else {
            panic!()
        };
        assert_eq!(n.code, Some(0xC000_0022));
        // A CloudStore-like File field holding a source name is never a path.
        let cloud = format!(
            r##"{{"Event":{{{},"EventData":{{"File":"onecoreuap\\shell\\cloudstore.cpp","ErrorCode":"0x80070005"}}}}}}"##,
            sys("Microsoft-Windows-Shell-Core", "100", "0x0")
        );
        assert!(matches!(ev(&cloud), Some(Evidence::Note(_))));
    }

    #[test]
    fn small_numbers_in_other_fields_are_not_codes() {
        for (name, text, v, yes) in [
            ("LogonType", "5", 5, false),
            ("InstanceID", "19", 19, false),
            ("#1", "5", 5, false),
            ("ErrorCode", "5", 5, true),
            ("Status", "19", 19, true),
            ("hrError", "0x80070005", 0x8007_0005, true),
            ("#1", "%%5", 5, true),
            ("#5", "5 (0x00000005)", 5, true),
            ("Anything", "0xc0000022", 0xC000_0022, true),
        ] {
            assert_eq!(holds_code(name, text, v), yes, "{name}={text}");
        }
    }

    #[test]
    fn classic_process_names_get_their_extension() {
        assert_eq!(process_of("svchost (1234,D,0)"), "svchost.exe");
        assert_eq!(process_of("C:\\x\\lsass.exe"), "lsass.exe");
        assert_eq!(process_of(""), "");
    }
}
