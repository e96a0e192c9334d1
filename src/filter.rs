//! What to keep: which status classes (or raw codes) and which processes.
//!
//! Built once per scan from the command line (or a library caller) and shared by every
//! source. Decoding goes through [`crate::codes`] only.

use crate::codes::{self, Code, StatusClass};
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

/// Selected statuses: named classes plus raw NTSTATUS values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusSelection {
    classes: Vec<StatusClass>,
    raw: Vec<u32>,
}

impl Default for StatusSelection {
    fn default() -> Self {
        StatusSelection {
            classes: DEFAULT_CLASSES.to_vec(),
            raw: Vec::new(),
        }
    }
}

/// A `--status` item that is neither a class name nor a hex code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown status {0:?}: expected one of write-protect, denied, privilege, cannot-delete, sharing, or an NTSTATUS in hex (0xC0000022)"
)]
pub struct UnknownStatus(pub String);

impl StatusSelection {
    /// Parses `denied,write-protect,0xC000046F` (comma-separated, repeatable).
    pub fn parse<S: AsRef<str>>(items: &[S]) -> Result<StatusSelection, UnknownStatus> {
        let mut sel = StatusSelection {
            classes: Vec::new(),
            raw: Vec::new(),
        };
        for item in items
            .iter()
            .flat_map(|s| s.as_ref().split(','))
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            if let Some(c) = StatusClass::parse(item) {
                sel.classes.push(c);
            } else if let Some(v) = parse_hex(item) {
                sel.raw.push(v);
            } else {
                return Err(UnknownStatus(item.to_string()));
            }
        }
        sel.classes.sort();
        sel.classes.dedup();
        sel.raw.sort();
        sel.raw.dedup();
        Ok(sel)
    }

    /// The selected NTSTATUS values (classes expanded through the classification table).
    pub fn ntstatus_values(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .classes
            .iter()
            .flat_map(|&c| codes::ntstatus_of_class(c))
            .chain(self.raw.iter().copied())
            .collect();
        v.sort();
        v.dedup();
        v
    }

    /// The class an NTSTATUS is kept under, or `None` when it is not selected.
    pub fn match_ntstatus(&self, status: u32) -> Option<StatusClass> {
        let class = codes::classify(Code::ntstatus(status));
        match class {
            Some(c) if self.classes.contains(&c) => Some(c),
            _ if self.raw.contains(&status) => Some(class.unwrap_or(StatusClass::Other)),
            _ => None,
        }
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

    /// Names for reports: classes then raw codes.
    pub fn names(&self) -> Vec<String> {
        self.classes
            .iter()
            .map(|c| c.as_str().to_string())
            .chain(self.raw.iter().map(|v| format!("0x{v:08X}")))
            .collect()
    }
}

fn parse_hex(s: &str) -> Option<u32> {
    let h = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"))?;
    u32::from_str_radix(h, 16).ok()
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
        let s = StatusSelection::parse(&["sharing,privilege", "0xC000046F"]).unwrap();
        assert_eq!(s.match_ntstatus(0xC000_0043), Some(StatusClass::Sharing));
        assert_eq!(s.match_ntstatus(0xC000_0061), Some(StatusClass::Privilege));
        assert_eq!(s.match_ntstatus(0xC000_046F), Some(StatusClass::Other));
        assert_eq!(s.match_ntstatus(0xC000_0022), None);
        assert!(StatusSelection::parse(&["bogus"]).is_err());
    }

    #[test]
    fn time_windows() {
        let at = |text: &str, date| Moment {
            text: text.into(),
            time_of_day_ns: crate::timefmt::time_of_day_ns(text),
            date,
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
