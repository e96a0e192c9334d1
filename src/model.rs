//! The event model every source produces and the aggregator consumes.
//!
//! Sources borrow from their read buffers: an [`Event`] lives only while the record
//! that produced it is in memory, and the aggregator copies the little it keeps.

use std::borrow::Cow;

use crate::codes::{Code, StatusClass};

/// The family of sources an event came from: what "agreement across sources" counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// Process Monitor captures and exports.
    Procmon,
    /// Windows event logs.
    Evtx,
    /// Servicing text logs (CBS, DISM, setup).
    Servicing,
    /// Windows Installer logs.
    Msi,
}

impl Family {
    /// Every family, in report order.
    pub const ALL: [Family; 4] = [
        Family::Procmon,
        Family::Evtx,
        Family::Servicing,
        Family::Msi,
    ];

    /// The name reports use (`procmon`, `evtx`).
    pub fn as_str(self) -> &'static str {
        match self {
            Family::Procmon => "procmon",
            Family::Evtx => "evtx",
            Family::Servicing => "servicing",
            Family::Msi => "msi",
        }
    }

    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of [`Family`] values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Families(u8);

impl Families {
    pub fn with(self, f: Family) -> Families {
        Families(self.0 | f.bit())
    }
    pub fn union(self, o: Families) -> Families {
        Families(self.0 | o.0)
    }
    pub fn contains(self, f: Family) -> bool {
        self.0 & f.bit() != 0
    }
    pub fn len(self) -> usize {
        self.0.count_ones() as usize
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The families in report order.
    pub fn iter(self) -> impl Iterator<Item = Family> {
        Family::ALL.into_iter().filter(move |f| self.contains(*f))
    }
}

/// A set of [`StatusClass`] values (what a path's failures were classified as).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Classes(u8);

impl Classes {
    /// Every class, in severity order (the order of [`StatusClass`]).
    const ALL: [StatusClass; 7] = [
        StatusClass::WriteProtect,
        StatusClass::Denied,
        StatusClass::Privilege,
        StatusClass::CannotDelete,
        StatusClass::Sharing,
        StatusClass::Unrepairable,
        StatusClass::Other,
    ];

    fn bit(c: StatusClass) -> u8 {
        1 << Self::ALL
            .iter()
            .position(|&x| x == c)
            .unwrap_or(Self::ALL.len() - 1)
    }
    pub fn with(self, c: StatusClass) -> Classes {
        Classes(self.0 | Self::bit(c))
    }
    pub fn union(self, o: Classes) -> Classes {
        Classes(self.0 | o.0)
    }
    pub fn contains(self, c: StatusClass) -> bool {
        self.0 & Self::bit(c) != 0
    }
    /// The classes, most severe first.
    pub fn iter(self) -> impl Iterator<Item = StatusClass> {
        Self::ALL.into_iter().filter(move |&c| self.contains(c))
    }
}

/// One failure record as a source saw it.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    /// Index of the input (file) in the scan's sorted input list.
    pub input: u32,
    /// Which family of sources it came from.
    pub family: Family,
    /// Where it is in its input, in the input format's own unit
    /// ([`crate::sources::Origin`]): 1-based line, 1-based event number, or the
    /// EVTX record id.
    pub line: u64,
    /// Byte offset of the record in the decoded input (orders records exactly).
    pub offset: u64,
    /// Image name as logged (`mstsc.exe`).
    pub process: Cow<'a, str>,
    /// Process id, when the source has one.
    pub pid: Option<u32>,
    /// Operation as logged (`RegSetValue`, `CreateFile`).
    pub operation: Cow<'a, str>,
    /// Path as logged, before normalisation.
    pub path: Cow<'a, str>,
    /// The decoded status.
    pub code: Code,
    /// The status class the filter matched.
    pub class: StatusClass,
    /// The status text as logged (`ACCESS DENIED`).
    pub result: Cow<'a, str>,
    /// Detail column (desired access, disposition, ...), may be empty.
    pub detail: Cow<'a, str>,
    /// When it happened, as logged plus a best-effort parse.
    pub time: Moment,
}

/// A time as the log printed it, plus what could be parsed out of it.
///
/// Procmon's `Time of Day` follows the capturing machine's locale and carries no date;
/// `Date & Time` (optional column) adds a date with second precision. Nothing here
/// invents a time zone: those are the capturing machine's local times (`utc` false).
/// PML and EVTX store UTC FILETIMEs (`utc` true). A local and a UTC time are never
/// compared with each other.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Moment {
    /// The original text, for display (`7:19:37.0147934 AM`). An aggregate shares
    /// whole moments (`Arc<Moment>`) between the places that name one record.
    pub text: Box<str>,
    /// Nanoseconds since local midnight, when the time of day parsed.
    pub time_of_day_ns: Option<u64>,
    /// Calendar date (year, month, day), when a date column parsed unambiguously.
    pub date: Option<(i32, u8, u8)>,
    /// The time is UTC (PML, EVTX), not the capturing machine's local time.
    pub utc: bool,
}

impl Moment {
    /// ISO-8601 local date-time (`2020-07-31T06:55:07.0236729`) when both parts parsed.
    pub fn iso_local(&self) -> Option<String> {
        let (y, m, d) = self.date?;
        let ns = self.time_of_day_ns?;
        Some(format!(
            "{y:04}-{m:02}-{d:02}T{}",
            crate::timefmt::clock(ns)
        ))
    }

    /// A sortable absolute value (days * day + time) when both parts parsed.
    pub fn absolute_ns(&self) -> Option<i128> {
        let (y, m, d) = self.date?;
        let ns = self.time_of_day_ns?;
        Some(days_from_civil(y, m, d) as i128 * 86_400_000_000_000 + ns as i128)
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i32, m: u8, d: u8) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// A watched process that ended with a non-zero exit status: ticket context, linked
/// to the process's last unrecovered failures (README, "Ranking").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessExit {
    /// Index of the input in the scan's sorted input list.
    pub input: u32,
    /// 1-based line (record) number in the input.
    pub line: u64,
    /// Byte offset (or event number) in the input: orders it against failures.
    pub offset: u64,
    /// Image name as logged.
    pub process: String,
    pub pid: Option<u32>,
    /// The exit status as an unsigned 32-bit value (Procmon prints it signed).
    pub status: u32,
    pub time: Moment,
}

/// What a piece of pathless evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum NoteKind {
    /// The Remote Desktop client disconnected, with a reason code.
    RdpDisconnect,
    /// A privilege was refused to a process (Security 4673/4674 failure).
    PrivilegeDenied,
    /// A service failed with a selected status.
    ServiceFailed,
    /// A servicing package change failed with a selected status.
    PackageFailed,
    /// An event carried a selected status but names no path culprit can trust.
    Code,
    /// Known benign: logged on healthy machines (the reason says why).
    Noise,
}

impl NoteKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoteKind::RdpDisconnect => "rdp-disconnect",
            NoteKind::PrivilegeDenied => "privilege-denied",
            NoteKind::ServiceFailed => "service-failed",
            NoteKind::PackageFailed => "package-failed",
            NoteKind::Code => "code",
            NoteKind::Noise => "noise",
        }
    }
}

/// Evidence that names no path (an RDP disconnect reason, a refused privilege, a
/// service that failed with access denied): ticket context, reported beside the
/// ranked paths and never dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub input: u32,
    pub family: Family,
    /// Where in the input, in its format's unit (EVTX: the record id).
    pub line: u64,
    pub kind: NoteKind,
    /// Who logged it: `Microsoft-Windows-Security-Auditing 4673`.
    pub source: String,
    /// The process it concerns, when known.
    pub process: Option<String>,
    /// The code it carried, as one 32-bit value.
    pub code: Option<u32>,
    /// What it is about: the service, privilege, package or field (`param2=%%5`).
    pub subject: String,
    /// Why it is benign ([`NoteKind::Noise`] only).
    pub benign: Option<&'static str>,
    /// The earlier failure of the same writer it follows from, when the log names one
    /// (`C:\…\mstsc.exe (line 9)`): the cause chain of a failure that names no path.
    pub cause: Option<String>,
    pub time: Moment,
}

/// The exit status in a Procmon `Process Exit` Detail (`Exit Status: -2147024891,
/// User Time: ...`), as an unsigned 32-bit value. `None` when absent or unreadable.
pub fn exit_status(detail: &str) -> Option<u32> {
    let v: i64 = crate::intent::field(detail, "Exit Status")?
        .trim()
        .parse()
        .ok()?;
    if v < i64::from(i32::MIN) || v > i64::from(u32::MAX) {
        return None;
    }
    Some(v as u32)
}

/// Whether the operation asked to change the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Intent {
    /// Read-only or unknown access.
    Read,
    /// Write, delete, create, set-information or security change.
    Write,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2020, 7, 31), 18_474);
    }

    #[test]
    fn exit_statuses_read_signed_and_unsigned() {
        assert_eq!(
            exit_status("Exit Status: -2147024891, User Time: 0.0468750 seconds"),
            Some(0x8007_0005)
        );
        assert_eq!(exit_status("Exit Status: 0"), Some(0));
        assert_eq!(exit_status("Exit Status: 3221225477"), Some(0xC000_0005));
        assert_eq!(exit_status("Exit Status: x"), None);
        assert_eq!(exit_status("Exit Status: 99999999999"), None);
        assert_eq!(exit_status("User Time: 1"), None);
    }

    #[test]
    fn iso_needs_both_parts() {
        let mut m = Moment {
            text: "x".into(),
            time_of_day_ns: Some(25_507_023_672_900),
            date: None,
            utc: false,
        };
        assert_eq!(m.iso_local(), None);
        m.date = Some((2020, 7, 31));
        assert_eq!(
            m.iso_local().as_deref(),
            Some("2020-07-31T07:05:07.0236729")
        );
    }
}
