//! What to keep: which status classes (or raw codes) and which processes.
//!
//! Built once per scan from the command line (or a library caller) and shared by every
//! source. Decoding goes through [`crate::codes`] only.

use crate::codes::{self, Code, Space, StatusClass};
use crate::model::Moment;

/// The processes culprit watches when none are named: the Remote Desktop client, DISM
/// and the servicing stack that DISM drives.
pub const DEFAULT_PROCESSES: &[&str] = &[
    "mstsc.exe",
    "dism.exe",
    "DismHost.exe",
    "TiWorker.exe",
    "TrustedInstaller.exe",
];

/// The status classes culprit keeps when none are named.
pub const DEFAULT_CLASSES: &[StatusClass] = &[StatusClass::WriteProtect, StatusClass::Denied];

/// Selected statuses: named classes plus codes asked for by value or name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSelection {
    classes: Vec<StatusClass>,
    codes: Vec<Code>,
}

impl Default for StatusSelection {
    fn default() -> Self {
        StatusSelection {
            classes: DEFAULT_CLASSES.to_vec(),
            codes: Vec::new(),
        }
    }
}

/// A `--status` item that names no class and decodes to no code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {item:?}: {why}; expected a class (write-protect, denied, privilege, cannot-delete, sharing, unrepairable) or a code in any form `culprit explain` reads (0xC0000022, 0x80070005, 5, -2147024891, E_ACCESSDENIED, \"ACCESS DENIED\")"
)]
pub struct UnknownStatus {
    pub item: String,
    pub why: String,
}

/// The code an item names, in the space the tables define it in: a hex value the
/// NTSTATUS tables define is an NTSTATUS (what Procmon prints), a decimal is a Win32
/// code, anything else an HRESULT (servicing and setup codes included).
fn parse_code(item: &str) -> Result<Code, String> {
    use crate::explain::{self, Table};
    let nt_defined =
        |v: u32| !codes::entries(Space::NtStatus, v).is_empty() || codes::mapping_name(v).is_some();
    let win32_defined = |v: u32| v < 0x1_0000 && !codes::entries(Space::Win32, v).is_empty();
    let (value, how) = match explain::parse_number(item) {
        Some(x) => x,
        None => {
            let (v, table) = explain::find_name(item)
                .ok_or_else(|| "not a number nor a name in any code table".to_string())?;
            let space = match table {
                Table::Ntstatus | Table::Procmon => Space::NtStatus,
                Table::Win32 => Space::Win32,
                Table::Hresult | Table::Servicing | Table::SetupUpgrade => Space::HResult,
                Table::RdpDisconnect | Table::RdpExtendedDisconnect => {
                    return Err(format!(
                        "0x{v:X} is a Remote Desktop disconnect reason, not a status a log records on a path"
                    ));
                }
            };
            return Ok(Code { space, value: v });
        }
    };
    let space = if how == "decimal" && win32_defined(value) {
        Space::Win32
    } else if nt_defined(value) {
        Space::NtStatus
    } else if win32_defined(value) {
        Space::Win32
    } else if is_hresult(value) {
        Space::HResult
    } else {
        return Err(format!(
            "0x{value:08X} is defined in no NTSTATUS, Win32, HRESULT, servicing or setup table"
        ));
    };
    Ok(Code { space, value })
}

/// Whether a value is an HRESULT some table knows: `HRESULT_FROM_NT` of a defined
/// NTSTATUS, or a value of the HRESULT, servicing or setup tables.
fn is_hresult(value: u32) -> bool {
    use crate::explain::{self, Table};
    let nt = value & !0x1000_0000;
    if value >> 28 == 0xD
        && (!codes::entries(Space::NtStatus, nt).is_empty() || codes::mapping_name(nt).is_some())
    {
        return true;
    }
    explain::explain(&format!("0x{value:08X}")).is_ok_and(|e| {
        e.meanings.iter().chain(&e.related).any(|m| {
            matches!(
                m.table,
                Table::Hresult | Table::Servicing | Table::SetupUpgrade
            )
        })
    })
}

/// The Win32 code a code surfaces as (`GetLastError`), where there is one.
fn win32_of(code: Code) -> Option<u32> {
    match code.space {
        Space::Win32 => Some(code.value),
        Space::NtStatus => codes::ntstatus_to_win32(code.value),
        Space::HResult if code.value & 0xFFFF_0000 == 0x8007_0000 => Some(code.value & 0xFFFF),
        Space::HResult if code.value >> 28 == 0xD => {
            codes::ntstatus_to_win32(code.value & !0x1000_0000)
        }
        Space::HResult => None,
    }
}

/// Whether a code a log recorded is one the user asked for: the same value in the
/// same space, or the same failure seen through another space (an NTSTATUS whose
/// Win32 mapping is the Win32 code, or the code inside `0x8007xxxx`, asked).
fn same_failure(asked: Code, logged: Code) -> bool {
    if asked == logged {
        return true;
    }
    match asked.space {
        Space::NtStatus => match logged.space {
            Space::HResult => logged.value == codes::hresult_from_nt(asked.value),
            _ => false,
        },
        // A Win32 code (or its HRESULT) stands for every status that surfaces as it.
        _ => win32_of(asked).is_some_and(|w| win32_of(logged) == Some(w)),
    }
}

impl StatusSelection {
    /// Parses `denied,write-protect,0xC0000043,E_ACCESSDENIED` (comma-separated,
    /// repeatable). A Procmon word with a space (`ACCESS DENIED`) is one item.
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<StatusSelection, UnknownStatus> {
        let mut sel = StatusSelection {
            classes: Vec::new(),
            codes: Vec::new(),
        };
        for item in items
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if let Some(c) = StatusClass::parse(item) {
                sel.classes.push(c);
                continue;
            }
            match parse_code(item) {
                Ok(code) => sel.codes.push(code),
                Err(why) => {
                    return Err(UnknownStatus {
                        item: item.to_string(),
                        why,
                    });
                }
            }
        }
        if sel.classes.is_empty() && sel.codes.is_empty() {
            return Err(UnknownStatus {
                item: items
                    .iter()
                    .map(|s| s.as_ref())
                    .collect::<Vec<_>>()
                    .join(","),
                why: "no status given".to_string(),
            });
        }
        sel.classes.sort();
        sel.classes.dedup();
        sel.codes.sort();
        sel.codes.dedup();
        Ok(sel)
    }

    /// The selected NTSTATUS values (what Procmon records): classes expanded through
    /// the classification table, codes through the NTSTATUS→Win32 mapping.
    pub fn ntstatus_values(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .classes
            .iter()
            .flat_map(|&c| codes::ntstatus_of_class(c))
            .collect();
        for &code in &self.codes {
            match code.space {
                Space::NtStatus => v.push(code.value),
                Space::HResult if code.value >> 28 == 0xD => v.push(code.value & !0x1000_0000),
                _ => {
                    if let Some(w) = win32_of(code) {
                        // Success surfaces as success (RtlNtStatusToDosError's rule).
                        if w == 0 {
                            v.push(0);
                        }
                        v.extend(codes::ntstatus_of_win32(w));
                    }
                }
            }
        }
        v.sort();
        v.dedup();
        v
    }

    /// The selected statuses as every numbering space writes them, sorted: each
    /// NTSTATUS, its Win32 error, and that error as an HRESULT (`0x8007xxxx`). What
    /// log sources search raw values and text for before decoding a record.
    pub fn values_in_every_space(&self) -> Vec<u32> {
        let mut v = Vec::new();
        for s in self.ntstatus_values() {
            v.push(s);
            if let Some(w) = codes::ntstatus_to_win32(s) {
                v.push(w);
                v.push(0x8007_0000 | (w & 0xFFFF));
            }
        }
        v.sort_unstable();
        v.dedup();
        v
    }

    /// Whether a class was asked for by name (`unrepairable` is never implied).
    pub fn has_class(&self, class: StatusClass) -> bool {
        self.classes.contains(&class)
    }

    /// The class a code is kept under, or `None` when it is not selected.
    pub fn match_code(&self, logged: Code) -> Option<StatusClass> {
        let class = codes::classify(logged);
        match class {
            Some(c) if self.classes.contains(&c) => Some(c),
            _ if self.codes.iter().any(|&a| same_failure(a, logged)) => {
                Some(class.unwrap_or(StatusClass::Other))
            }
            _ => None,
        }
    }

    /// The class an NTSTATUS is kept under, or `None` when it is not selected.
    pub fn match_ntstatus(&self, status: u32) -> Option<StatusClass> {
        self.match_code(Code::ntstatus(status))
    }

    /// Literals that every way Procmon can print a selected status contains: its word
    /// (`ACCESS DENIED`) and its hex digits. Eight-digit codes are found by their first
    /// six digits in upper and lower case (`C00000` covers `0xC0000022` and
    /// `0xc00000a2`); shorter ones by `0x` plus the digits. A prefilter only: the
    /// Result field is decoded and compared exactly afterwards.
    pub fn procmon_literals(&self) -> Vec<String> {
        let mut out = Vec::new();
        for v in self.ntstatus_values() {
            if let Some(w) = codes::procmon_word(v).filter(|w| !w.is_empty()) {
                out.push(w.to_string());
            }
            let hex = format!("{v:X}");
            if hex.len() == 8 {
                out.push(hex[..6].to_string());
                out.push(hex[..6].to_ascii_lowercase());
            } else {
                for p in ["0x", "0X"] {
                    out.push(format!("{p}{hex}"));
                    out.push(format!("{p}{}", hex.to_ascii_lowercase()));
                    out.push(format!("{p}{v:08X}"));
                    out.push(format!("{p}{v:08x}"));
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Names for reports: classes then codes (`0xC0000043`, `win32:5`, `0x80070005`).
    pub fn names(&self) -> Vec<String> {
        self.classes
            .iter()
            .map(|c| c.as_str().to_string())
            .chain(self.codes.iter().map(|c| match c.space {
                Space::Win32 => format!("win32:{}", c.value),
                _ => c.hex(),
            }))
            .collect()
    }
}

/// Which processes to keep (compared case-insensitively on the image name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProcessSet {
    /// Every process.
    All,
    /// Only these image names (stored lower-case).
    Only(Vec<String>),
}

impl Default for ProcessSet {
    fn default() -> Self {
        ProcessSet::only(DEFAULT_PROCESSES)
    }
}

impl ProcessSet {
    /// A set of image names; `mstsc` without extension also matches `mstsc.exe`.
    pub fn only<S: AsRef<str>>(names: &[S]) -> ProcessSet {
        let mut v: Vec<String> = names
            .iter()
            .map(|s| s.as_ref().trim().to_lowercase())
            .filter(|s| !s.is_empty())
            .collect();
        v.sort();
        v.dedup();
        ProcessSet::Only(v)
    }

    /// Whether an image name (as logged) is kept.
    pub fn matches(&self, name: &str) -> bool {
        match self {
            ProcessSet::All => true,
            ProcessSet::Only(v) => {
                let name = name.trim();
                v.iter().any(|p| {
                    p.eq_ignore_ascii_case(name)
                        || (!p.contains('.')
                            && name.len() == p.len() + 4
                            && name[..p.len()].eq_ignore_ascii_case(p)
                            && name[p.len()..].eq_ignore_ascii_case(".exe"))
                })
            }
        }
    }

    /// Names for reports (empty = all).
    pub fn names(&self) -> Vec<String> {
        match self {
            ProcessSet::All => Vec::new(),
            ProcessSet::Only(v) => v.clone(),
        }
    }
}

/// One end of a time window: a time of day, optionally on a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeBound {
    pub date: Option<(i32, u8, u8)>,
    pub time_of_day_ns: u64,
}

/// A `--since`/`--until` value that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad time {0:?}: expected HH:MM[:SS[.fraction]] or YYYY-MM-DD HH:MM[:SS[.fraction]]")]
pub struct BadTime(pub String);

impl TimeBound {
    /// Parses `07:15:31`, `7:15:31.5 PM`, `2026-11-24 07:15:31` or `2026-11-24T07:15`.
    pub fn parse(s: &str) -> Result<TimeBound, BadTime> {
        let t = s.trim();
        let (date, time) = match t.split_once(['T', ' ']) {
            Some((d, rest)) if d.contains('-') => (
                Some(crate::timefmt::date_ymd(d).ok_or_else(|| BadTime(s.into()))?),
                rest,
            ),
            _ => (None, t),
        };
        // `HH:MM` gets `:00` seconds, before any AM/PM designator.
        let time = match time.split_once(' ') {
            Some((hm, rest)) if hm.matches(':').count() == 1 => format!("{hm}:00 {rest}"),
            None if time.matches(':').count() == 1 => format!("{time}:00"),
            _ => time.to_string(),
        };
        let time_of_day_ns =
            crate::timefmt::time_of_day_ns(&time).ok_or_else(|| BadTime(s.into()))?;
        Ok(TimeBound {
            date,
            time_of_day_ns,
        })
    }

    /// ISO-like rendering for reports (`2026-11-24 07:15:31.0000000`, `07:15:31.0000000`).
    pub fn render(&self) -> String {
        let t = crate::timefmt::clock(self.time_of_day_ns);
        match self.date {
            Some((y, m, d)) => format!("{y:04}-{m:02}-{d:02} {t}"),
            None => t,
        }
    }

    /// Compares with a record's time: on full dates when both have one, else on the
    /// time of day. `None` when the record's time did not parse.
    fn cmp(&self, m: &Moment) -> Option<std::cmp::Ordering> {
        let tod = m.time_of_day_ns?;
        Some(match (self.date, m.date) {
            (Some(a), Some(b)) => (b, tod).cmp(&(a, self.time_of_day_ns)),
            _ => tod.cmp(&self.time_of_day_ns),
        })
    }
}

/// `--since`/`--until`: records outside are left out. A record whose time did not
/// parse is kept (culprit never drops what it cannot judge).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimeWindow {
    pub since: Option<TimeBound>,
    pub until: Option<TimeBound>,
}

impl TimeWindow {
    /// A window from `--since`/`--until`; an inverted window (nothing could be in it)
    /// is an error, comparing full dates when both bounds have one, else times of day.
    pub fn new(since: Option<TimeBound>, until: Option<TimeBound>) -> Result<TimeWindow, String> {
        if let (Some(a), Some(b)) = (since, until) {
            let inverted = match (a.date, b.date) {
                (Some(x), Some(y)) => (x, a.time_of_day_ns) > (y, b.time_of_day_ns),
                (None, None) => a.time_of_day_ns > b.time_of_day_ns,
                _ => false,
            };
            if inverted {
                return Err(format!(
                    "the time window is empty: --since {} is after --until {}",
                    a.render(),
                    b.render()
                ));
            }
        }
        Ok(TimeWindow { since, until })
    }

    pub fn contains(&self, m: &Moment) -> bool {
        use std::cmp::Ordering::{Greater, Less};
        !(self.since.is_some_and(|b| b.cmp(m) == Some(Less))
            || self.until.is_some_and(|b| b.cmp(m) == Some(Greater)))
    }
}

/// The complete keep-rule of a scan.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub statuses: StatusSelection,
    pub processes: ProcessSet,
    pub window: TimeWindow,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_selection_is_denied_and_write_protect() {
        let s = StatusSelection::default();
        assert_eq!(s.match_ntstatus(0xC000_0022), Some(StatusClass::Denied));
        assert_eq!(
            s.match_ntstatus(0xC000_00A2),
            Some(StatusClass::WriteProtect)
        );
        assert_eq!(s.match_ntstatus(0xC000_0043), None);
        let lits = s.procmon_literals();
        assert!(lits.contains(&"ACCESS DENIED".to_string()));
        assert!(lits.contains(&"MEDIA WRITE PROTECTED".to_string()));
        // Every hex spelling contains one of the literals.
        for hex in ["0xC0000022", "0xc00000a2", "0XC00000A2", "0xC0000022"] {
            assert!(lits.iter().any(|l| hex.contains(l.as_str())), "{hex}");
        }
        let raw = StatusSelection::parse(&["0x368"])
            .unwrap()
            .procmon_literals();
        assert!(raw.contains(&"0x368".to_string()) && raw.contains(&"0x00000368".to_string()));
    }

    #[test]
    fn raw_codes_and_classes_parse() {
        let s = StatusSelection::parse(&["sharing,privilege", "0xC0000056"]).unwrap();
        assert_eq!(s.match_ntstatus(0xC000_0043), Some(StatusClass::Sharing));
        assert_eq!(s.match_ntstatus(0xC000_0061), Some(StatusClass::Privilege));
        assert_eq!(s.match_ntstatus(0xC000_0056), Some(StatusClass::Other));
        assert_eq!(s.match_ntstatus(0xC000_0022), None);
        assert!(StatusSelection::parse(&["bogus"]).is_err());
    }

    #[test]
    fn every_code_form_selects_the_same_procmon_records() {
        // Hand-checked: each form is ACCESS DENIED's failure in some space.
        for form in [
            "0xC0000022",
            "0x80070005",
            "80070005",
            "5",
            "-2147024891",
            "E_ACCESSDENIED",
            "ERROR_ACCESS_DENIED",
            "STATUS_ACCESS_DENIED",
            "ACCESS DENIED",
            "access denied",
            "0xD0000022",
        ] {
            let s = StatusSelection::parse(&[form]).unwrap_or_else(|e| panic!("{form}: {e}"));
            assert_eq!(
                s.match_ntstatus(0xC000_0022),
                Some(StatusClass::Denied),
                "{form}"
            );
            assert!(s.ntstatus_values().contains(&0xC000_0022), "{form}");
            assert!(
                s.procmon_literals().contains(&"ACCESS DENIED".to_string()),
                "{form}"
            );
            assert_eq!(s.match_ntstatus(0xC000_00A2), None, "{form}");
        }
        // A Win32 code stands for every status that surfaces as it.
        let w = StatusSelection::parse(&["E_ACCESSDENIED"]).unwrap();
        assert_eq!(w.match_ntstatus(0xC000_0056), Some(StatusClass::Other));
        let wp = StatusSelection::parse(&["0x80070013"]).unwrap();
        assert_eq!(
            wp.match_ntstatus(0xC000_00A2),
            Some(StatusClass::WriteProtect)
        );
        // Codes from later sources match in their own space.
        assert_eq!(
            w.match_code(Code {
                space: Space::HResult,
                value: 0x8007_0005
            }),
            Some(StatusClass::Denied)
        );
        // Servicing codes decode, so they are accepted (they select servicing records).
        assert!(StatusSelection::parse(&["0x800F081F"]).is_ok());
    }

    #[test]
    fn forms_that_decode_to_nothing_are_errors() {
        for bad in ["0x7FFFFFFE", "0x904", "NOT_A_NAME", "0x"] {
            let e = StatusSelection::parse(&[bad]).unwrap_err();
            assert_eq!(e.item, bad);
        }
        // 0x904 is the RDP client's socket-closed reason: said so.
        let e = StatusSelection::parse(&["0x904"]).unwrap_err();
        assert!(
            e.why.contains("Remote Desktop") || e.why.contains("no NTSTATUS"),
            "{}",
            e.why
        );
    }

    #[test]
    fn bad_windows_and_empty_selections_are_errors() {
        let t = |s: &str| Some(TimeBound::parse(s).unwrap());
        assert!(TimeWindow::new(t("08:00"), t("07:00")).is_err());
        assert!(TimeWindow::new(t("2026-11-24 08:00"), t("2026-11-23 09:00")).is_err());
        assert!(TimeWindow::new(t("2026-11-23 08:00"), t("2026-11-24 07:00")).is_ok());
        assert!(TimeWindow::new(t("07:00"), t("07:00")).is_ok());
        assert!(TimeBound::parse("2024-02-30 10:00").is_err());
        assert!(TimeBound::parse("2024-02-29 10:00").is_ok());
        assert!(TimeBound::parse("2023-02-29 10:00").is_err());
        assert!(StatusSelection::parse(&[""]).is_err());
        assert!(StatusSelection::parse(&[" , "]).is_err());
    }

    #[test]
    fn time_windows() {
        let at = |text: &str, date| Moment {
            text: text.into(),
            time_of_day_ns: crate::timefmt::time_of_day_ns(text),
            date,
            ..Moment::default()
        };
        let w = TimeWindow {
            since: Some(TimeBound::parse("07:15:31").unwrap()),
            until: Some(TimeBound::parse("7:16 AM").unwrap()),
        };
        assert!(w.contains(&at("7:15:31.4479952 AM", None)));
        assert!(!w.contains(&at("7:15:30.9 AM", None)));
        assert!(!w.contains(&at("16:28:26,4129246", None)));
        assert!(w.contains(&at("44:57.9", None)), "unparsed times are kept");
        let d = TimeWindow {
            since: Some(TimeBound::parse("2020-07-31 07:28").unwrap()),
            until: None,
        };
        assert!(d.contains(&at("7:28:31 AM", Some((2020, 7, 31)))));
        assert!(!d.contains(&at("9:00:00 AM", Some((2020, 7, 30)))));
        assert_eq!(
            TimeBound::parse("7:16 PM").unwrap().render(),
            "19:16:00.0000000"
        );
        assert_eq!(
            TimeBound::parse("2020-07-31T07:28").unwrap().render(),
            "2020-07-31 07:28:00.0000000"
        );
        assert!(TimeBound::parse("yesterday").is_err());
        assert!(TimeBound::parse("2020-13-01 07:00").is_err());
    }

    #[test]
    fn processes_match_case_insensitively() {
        let p = ProcessSet::default();
        assert!(p.matches("MSTSC.EXE"));
        assert!(p.matches("dismhost.exe"));
        assert!(!p.matches("svchost.exe"));
        let q = ProcessSet::only(&["mstsc"]);
        assert!(q.matches("mstsc.exe"));
        assert!(!q.matches("mstsc.exe.bak"));
        assert!(ProcessSet::All.matches("anything"));
    }
}
