//! Status codes as data: NTSTATUS, Win32, HRESULT, Procmon result words, and the one
//! classification table every source uses to decide what counts as a denial.
//!
//! The tables in [`tables`] are generated from `shared/codes/*.tsv` by
//! `cargo run --example gen-codes` and checked in. Lookups are binary searches over
//! sorted static arrays: no start-up cost, no allocation.

#[rustfmt::skip]
#[allow(clippy::all)]
pub mod tables;

use serde::Serialize;

/// One row of a generated code table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// The code, as an unsigned 32-bit value.
    pub value: u32,
    /// Symbolic name (`STATUS_ACCESS_DENIED`); empty when the source gives none.
    pub name: &'static str,
    /// Message text as published; may be empty.
    pub message: &'static str,
    /// Third text column where a table has one (RDP `evidence`, servicing `source`).
    pub extra: &'static str,
    /// Fourth text column where a table has one (servicing `note`).
    pub note: &'static str,
}

/// The numbering space a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Space {
    /// Kernel NTSTATUS (`0xC0000022`), what Procmon reports.
    NtStatus,
    /// Win32 error (`5`), what `GetLastError` returns.
    Win32,
    /// COM HRESULT (`0x80070005`), what CBS and DISM print.
    HResult,
}

/// A status code together with its numbering space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Code {
    pub space: Space,
    pub value: u32,
}

impl Code {
    pub const fn ntstatus(value: u32) -> Code {
        Code {
            space: Space::NtStatus,
            value,
        }
    }

    /// Preferred symbolic name in its own table, if any (for an NTSTATUS the value
    /// table lacks, the name the NTSTATUS→Win32 mapping list gives it).
    pub fn name(self) -> Option<&'static str> {
        entries(self.space, self.value)
            .first()
            .map(|e| e.name)
            .filter(|n| !n.is_empty())
            .or_else(|| match self.space {
                Space::NtStatus => mapping_name(self.value),
                _ => None,
            })
    }

    /// `0xC0000022` style rendering (Win32 codes in decimal would be ambiguous in
    /// reports, so every space prints as 8-digit hex).
    pub fn hex(self) -> String {
        format!("0x{:08X}", self.value)
    }

    /// The class culprit gives this code, if it is one of the failures it hunts.
    pub fn class(self) -> Option<StatusClass> {
        classify(self)
    }
}

/// The failure classes culprit hunts. Order is severity: write-protect ranks above denied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StatusClass {
    /// The medium or volume refused the write (STATUS_MEDIA_WRITE_PROTECTED, ERROR_WRITE_PROTECT).
    WriteProtect,
    /// The security check refused the access (STATUS_ACCESS_DENIED, ERROR_ACCESS_DENIED).
    Denied,
    /// A required privilege is not held (STATUS_PRIVILEGE_NOT_HELD).
    Privilege,
    /// The file is marked for deletion-denied or in use (STATUS_CANNOT_DELETE).
    CannotDelete,
    /// Another open handle does not share the access (STATUS_SHARING_VIOLATION).
    Sharing,
    /// System File Checker found the file corrupt or missing and could not repair it
    /// (`[SR] Cannot repair member file`): no code of its own; the line's reason
    /// gives the code ([`crate::sources::servicing::repair`]). Only when asked.
    Unrepairable,
    /// A raw status the user asked for by value.
    Other,
}

impl StatusClass {
    /// Every class that has members in the classification table, in severity order.
    pub const NAMED: [StatusClass; 5] = [
        StatusClass::WriteProtect,
        StatusClass::Denied,
        StatusClass::Privilege,
        StatusClass::CannotDelete,
        StatusClass::Sharing,
    ];

    /// The name used on the command line and in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            StatusClass::WriteProtect => "write-protect",
            StatusClass::Denied => "denied",
            StatusClass::Privilege => "privilege",
            StatusClass::CannotDelete => "cannot-delete",
            StatusClass::Sharing => "sharing",
            StatusClass::Unrepairable => "unrepairable",
            StatusClass::Other => "other",
        }
    }

    /// Parses a command-line class name (a few documented aliases accepted).
    pub fn parse(s: &str) -> Option<StatusClass> {
        Some(match s.trim().to_ascii_lowercase().as_str() {
            "write-protect" | "write-protected" | "writeprotect" | "wp" => {
                StatusClass::WriteProtect
            }
            "denied" | "access-denied" => StatusClass::Denied,
            "privilege" | "privilege-not-held" => StatusClass::Privilege,
            "cannot-delete" => StatusClass::CannotDelete,
            "sharing" | "sharing-violation" => StatusClass::Sharing,
            "unrepairable" | "cannot-repair" | "sfc" => StatusClass::Unrepairable,
            _ => return None,
        })
    }
}

/// The single classification table: which codes are which failure, in every space.
/// HRESULTs of the form `0x8007xxxx` classify through their Win32 code and
/// `HRESULT_FROM_NT` values (`0xD0000022`) through their NTSTATUS.
pub static CLASSIFICATION: &[(Space, u32, StatusClass)] = &[
    (Space::NtStatus, 0xC000_0022, StatusClass::Denied), // STATUS_ACCESS_DENIED
    (Space::NtStatus, 0xC000_00CA, StatusClass::Denied), // STATUS_NETWORK_ACCESS_DENIED
    (Space::NtStatus, 0xC000_A203, StatusClass::Denied), // STATUS_LPAC_ACCESS_DENIED (AppContainer)
    (Space::NtStatus, 0xC000_A204, StatusClass::Denied), // STATUS_ADMINLESS_ACCESS_DENIED
    (Space::NtStatus, 0xC000_00A2, StatusClass::WriteProtect), // STATUS_MEDIA_WRITE_PROTECTED
    (Space::NtStatus, 0xC000_0061, StatusClass::Privilege), // STATUS_PRIVILEGE_NOT_HELD
    (Space::NtStatus, 0xC000_0121, StatusClass::CannotDelete), // STATUS_CANNOT_DELETE
    (Space::NtStatus, 0xC000_0043, StatusClass::Sharing), // STATUS_SHARING_VIOLATION
    (Space::Win32, 5, StatusClass::Denied),              // ERROR_ACCESS_DENIED
    (Space::Win32, 65, StatusClass::Denied),             // ERROR_NETWORK_ACCESS_DENIED
    (Space::Win32, 19, StatusClass::WriteProtect),       // ERROR_WRITE_PROTECT
    (Space::Win32, 1314, StatusClass::Privilege),        // ERROR_PRIVILEGE_NOT_HELD
    (Space::Win32, 32, StatusClass::Sharing),            // ERROR_SHARING_VIOLATION
    (Space::HResult, 0x8003_0005, StatusClass::Denied),  // STG_E_ACCESSDENIED
    (Space::HResult, 0x8003_0020, StatusClass::Sharing), // STG_E_SHAREVIOLATION
];

/// Codes often mistaken for denials, with why they are not one. Part of the same
/// classification: a code is in at most one of the two tables (tested).
pub static NOT_DENIALS: &[(Space, u32, &str)] = &[
    (
        Space::NtStatus,
        0xC000_0034,
        "the name does not exist (Procmon's most common failure): not a permission problem",
    ),
    (
        Space::NtStatus,
        0xC000_003A,
        "a directory on the path does not exist: not a permission problem",
    ),
    (
        Space::NtStatus,
        0xC000_00BA,
        "a file operation was tried on a directory: not a permission problem",
    ),
    (
        Space::NtStatus,
        0xC000_0035,
        "the name already exists (create-new on an existing file): not a permission problem",
    ),
    (
        Space::NtStatus,
        0xC000_0023,
        "the caller's buffer was too small and it will retry: not a failure",
    ),
    (
        Space::NtStatus,
        0x8000_0005,
        "more data is available (a warning; the caller retries with a bigger buffer)",
    ),
    (
        Space::NtStatus,
        0x8000_0006,
        "the end of a directory listing: not a failure",
    ),
    (
        Space::NtStatus,
        0x8000_001A,
        "the end of a registry enumeration: not a failure",
    ),
    (
        Space::NtStatus,
        0x0000_0104,
        "a reparse point (junction, symlink) is being followed: not a failure",
    ),
    (
        Space::NtStatus,
        0x0000_012A,
        "an oplock notification: not a failure",
    ),
    (
        Space::NtStatus,
        0xC01C_0004,
        "the filter asked for the IRP path instead of fast I/O: not a failure",
    ),
    (
        Space::Win32,
        2,
        "the file does not exist: not a permission problem",
    ),
    (
        Space::Win32,
        3,
        "a directory on the path does not exist: not a permission problem",
    ),
];

/// Statuses that `RtlNtStatusToDosError` turns into ERROR_ACCESS_DENIED (5) or
/// ERROR_WRITE_PROTECT (19) but that culprit deliberately leaves out of every class,
/// with the reason. Each can still be asked for by value or name (`--status`), and
/// `--status E_ACCESSDENIED` selects them all (it means "anything that surfaces as
/// 0x80070005"). Every status the mapping sends to 5 or 19 is either classified or
/// listed here (tested).
pub static MAPS_TO_DENIAL_BUT_UNCLASSIFIED: &[(u32, &str)] = &[
    (
        0x8009_030F,
        "an SSPI message-integrity failure (SEC_E_MESSAGE_ALTERED): authentication, not a file or key refusal",
    ),
    (
        0x8009_0310,
        "an SSPI sequence error (SEC_E_OUT_OF_SEQUENCE): authentication, not a file or key refusal",
    ),
    (
        0x8009_035E,
        "Kerberos delegation policy refused credentials (SEC_E_DELEGATION_POLICY): authentication, not a file or key refusal",
    ),
    (
        0x8009_035F,
        "policy allows only NTLM (SEC_E_POLICY_NLTM_ONLY): authentication, not a file or key refusal",
    ),
    (
        0xC000_001E,
        "an invalid lock sequence: a programming error, not a permission",
    ),
    (
        0xC000_001F,
        "a section view larger than the section: a programming error, not a permission",
    ),
    (
        0xC000_0021,
        "a memory range already committed: memory management, not a permission",
    ),
    (
        0xC000_0041,
        "an LPC port refused the connection: IPC, not a file or key",
    ),
    (
        0xC000_004B,
        "the thread is terminating: a race with process exit, not a permission",
    ),
    (
        0xC000_0056,
        "a delete is pending on the file: no ACL is involved; the file goes away when its last handle closes (select with --status 0xC0000056)",
    ),
    (
        0xC000_00BA,
        "a file operation on a directory: not a permission problem",
    ),
    (
        0xC000_00D5,
        "the file was renamed under the open handle: not a permission",
    ),
    (
        0xC000_010A,
        "the target process is terminating: a race with process exit, not a permission",
    ),
    (
        0xC000_0123,
        "the file was deleted while the request was in flight: not a permission",
    ),
    (
        0xC000_028A,
        "EFS encryption failed: an encryption setup problem, not an ACL",
    ),
    (
        0xC000_028B,
        "EFS decryption failed: an encryption key problem, not an ACL",
    ),
    (
        0xC000_028D,
        "no EFS recovery policy: an encryption policy problem, not an ACL",
    ),
    (
        0xC000_028E,
        "the EFS driver is not loaded: an encryption setup problem, not an ACL",
    ),
    (
        0xC000_028F,
        "the file was encrypted by another EFS driver: not an ACL",
    ),
    (
        0xC000_0290,
        "the user has no EFS keys: an encryption key problem, not an ACL",
    ),
    (0xC000_0512, "the enclave is terminating: not a file or key"),
    (
        0xC013_0031,
        "a cluster CAM ticket replay: cluster authentication, not a file or key",
    ),
    (
        0xC000_0189,
        "a write reached a volume after it was dismounted: a volume lifecycle race, not a protection (select with --status 0xC0000189)",
    ),
];

/// The Win32 code `RtlNtStatusToDosError` returns for an NTSTATUS (what a status in
/// a trace becomes in an API's `GetLastError`), from the complete mapping list in
/// `shared/codes/ntstatus-win32.tsv` plus the function's documented rules: 0 stays 0,
/// `0xDxxxxxxx` reads as `0xCxxxxxxx`, customer codes pass through, and
/// `0xC001xxxx` / `0x8007xxxx` / `0xC007xxxx` carry the Win32 code in their low 16
/// bits. `None` where Windows answers `ERROR_MR_MID_NOT_FOUND` (no mapping).
pub fn ntstatus_to_win32(status: u32) -> Option<u32> {
    if status == 0 {
        return Some(0);
    }
    if status & 0x2000_0000 != 0 {
        return Some(status);
    }
    let status = if status & 0xF000_0000 == 0xD000_0000 {
        status & !0x1000_0000
    } else {
        status
    };
    if matches!(
        status & 0xFFFF_0000,
        0xC001_0000 | 0x8007_0000 | 0xC007_0000
    ) {
        return Some(status & 0xFFFF);
    }
    let t = tables::NTSTATUS_WIN32;
    t.binary_search_by_key(&status, |&(nt, _, _)| nt)
        .ok()
        .map(|i| t[i].1)
}

/// The name the NTSTATUS→Win32 mapping list gives a status (Wine's name where the
/// NTSTATUS table has none, e.g. `STATUS_LPAC_ACCESS_DENIED`).
pub fn mapping_name(status: u32) -> Option<&'static str> {
    let t = tables::NTSTATUS_WIN32;
    t.binary_search_by_key(&status, |&(nt, _, _)| nt)
        .ok()
        .map(|i| t[i].2)
        .filter(|n| !n.is_empty())
}

/// Every NTSTATUS the mapping list sends to Win32 code `win32`, in value order.
pub fn ntstatus_of_win32(win32: u32) -> impl Iterator<Item = u32> {
    tables::NTSTATUS_WIN32
        .iter()
        .filter(move |&&(_, w, _)| w == win32)
        .map(|&(nt, _, _)| nt)
}

/// `HRESULT_FROM_WIN32`.
pub const fn hresult_from_win32(code: u32) -> u32 {
    if code as i32 <= 0 {
        code
    } else {
        (code & 0xFFFF) | 0x8007_0000
    }
}

/// `HRESULT_FROM_NT`.
pub const fn hresult_from_nt(status: u32) -> u32 {
    status | 0x1000_0000
}

/// The fields of an HRESULT (or of an NTSTATUS: same layout, two severity bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Fields {
    /// HRESULT: 1 = failure. NTSTATUS: 0 success, 1 informational, 2 warning, 3 error.
    pub severity: u32,
    /// The customer bit (NTSTATUS) / reserved bit.
    pub customer: bool,
    /// The N bit of an HRESULT: the value wraps an NTSTATUS (`HRESULT_FROM_NT`).
    pub nt: bool,
    pub facility: u32,
    pub facility_name: Option<&'static str>,
    pub code: u32,
}

/// HRESULT facility names (winerror.h) for the common facilities.
const FACILITIES: &[(u32, &str)] = &[
    (0, "FACILITY_NULL"),
    (1, "FACILITY_RPC"),
    (2, "FACILITY_DISPATCH"),
    (3, "FACILITY_STORAGE"),
    (4, "FACILITY_ITF"),
    (7, "FACILITY_WIN32"),
    (8, "FACILITY_WINDOWS"),
    (9, "FACILITY_SECURITY"),
    (10, "FACILITY_CONTROL"),
    (11, "FACILITY_CERT"),
    (12, "FACILITY_INTERNET"),
    (13, "FACILITY_MEDIASERVER"),
    (14, "FACILITY_MSMQ"),
    (15, "FACILITY_SETUPAPI"),
    (16, "FACILITY_SCARD"),
    (17, "FACILITY_COMPLUS"),
    (18, "FACILITY_AAF"),
    (19, "FACILITY_URT"),
    (20, "FACILITY_ACS"),
    (21, "FACILITY_DPLAY"),
    (22, "FACILITY_UMI"),
    (23, "FACILITY_SXS"),
    (24, "FACILITY_WINDOWS_CE"),
    (25, "FACILITY_HTTP"),
    (26, "FACILITY_USERMODE_COMMONLOG"),
    (31, "FACILITY_USERMODE_FILTER_MANAGER"),
    (32, "FACILITY_BACKGROUNDCOPY"),
    (33, "FACILITY_CONFIGURATION"),
    (34, "FACILITY_STATE_MANAGEMENT"),
    (35, "FACILITY_METADIRECTORY"),
    (36, "FACILITY_WINDOWSUPDATE"),
    (37, "FACILITY_DIRECTORYSERVICE"),
    (38, "FACILITY_GRAPHICS"),
    (39, "FACILITY_SHELL"),
    (40, "FACILITY_TPM_SERVICES"),
    (41, "FACILITY_TPM_SOFTWARE"),
    (48, "FACILITY_PLA"),
    (49, "FACILITY_FVE"),
    (50, "FACILITY_FWP"),
    (51, "FACILITY_WINRM"),
    (52, "FACILITY_NDIS"),
    (53, "FACILITY_USERMODE_HYPERVISOR"),
    (54, "FACILITY_CMI"),
    (55, "FACILITY_USERMODE_VIRTUALIZATION"),
    (56, "FACILITY_USERMODE_VOLMGR"),
    (57, "FACILITY_BCD"),
    (58, "FACILITY_USERMODE_VHD"),
    (60, "FACILITY_SDIAG"),
    (61, "FACILITY_WEBSERVICES"),
    (80, "FACILITY_WINDOWS_DEFENDER"),
    (81, "FACILITY_OPC"),
];

/// Splits a value into HRESULT fields.
pub fn hresult_fields(v: u32) -> Fields {
    let facility = (v >> 16) & 0x7FF;
    Fields {
        severity: v >> 31,
        customer: v & 0x2000_0000 != 0,
        nt: v & 0x1000_0000 != 0,
        facility,
        facility_name: FACILITIES
            .iter()
            .find(|(f, _)| *f == facility)
            .map(|&(_, n)| n),
        code: v & 0xFFFF,
    }
}

/// Splits a value into NTSTATUS fields (facility names do not apply).
pub fn ntstatus_fields(v: u32) -> Fields {
    Fields {
        severity: v >> 30,
        customer: v & 0x2000_0000 != 0,
        nt: false,
        facility: (v >> 16) & 0xFFF,
        facility_name: None,
        code: v & 0xFFFF,
    }
}

/// Why a code is *not* a denial, if it is one of the common confusions.
pub fn not_a_denial(code: Code) -> Option<&'static str> {
    let code = normalize_space(code);
    NOT_DENIALS
        .iter()
        .find(|(s, v, _)| *s == code.space && *v == code.value)
        .map(|&(_, _, why)| why)
        .or_else(|| {
            MAPS_TO_DENIAL_BUT_UNCLASSIFIED
                .iter()
                .find(|&&(v, _)| code.space == Space::NtStatus && v == code.value)
                .map(|&(_, why)| why)
        })
}

/// HRESULT wrappers classify through what they wrap.
fn normalize_space(code: Code) -> Code {
    match code.space {
        Space::HResult if code.value & 0xFFFF_0000 == 0x8007_0000 => Code {
            space: Space::Win32,
            value: code.value & 0xFFFF,
        },
        Space::HResult if code.value & 0x1000_0000 != 0 && code.value >> 31 == 1 => Code {
            space: Space::NtStatus,
            value: code.value & !0x1000_0000,
        },
        _ => code,
    }
}

/// The numbering space of a bare value as logs print it: NTSTATUS errors and warnings
/// carry their severity in the top two bits (`0xC…`, `0x8…` with facility 0); HRESULTs
/// have the top bit and a facility; small values are Win32 errors.
pub fn code_of_value(v: u32) -> Code {
    let space = if v >> 30 == 0b11 || (v >> 31 == 1 && v & 0x0FFF_0000 == 0) {
        Space::NtStatus
    } else if v >> 31 == 1 {
        Space::HResult
    } else {
        Space::Win32
    };
    Code { space, value: v }
}

/// Classifies a code through [`CLASSIFICATION`].
pub fn classify(code: Code) -> Option<StatusClass> {
    let code = normalize_space(code);
    CLASSIFICATION
        .iter()
        .find(|(s, v, _)| *s == code.space && *v == code.value)
        .map(|&(_, _, c)| c)
}

/// The NTSTATUS values of a class (what Procmon reports).
pub fn ntstatus_of_class(class: StatusClass) -> impl Iterator<Item = u32> {
    CLASSIFICATION
        .iter()
        .filter(move |(s, _, c)| *s == Space::NtStatus && *c == class)
        .map(|&(_, v, _)| v)
}

/// All rows of a table that carry `value` (aliases included), preferred first.
pub fn entries(space: Space, value: u32) -> &'static [Entry] {
    let table = match space {
        Space::NtStatus => tables::NTSTATUS,
        Space::Win32 => tables::WIN32,
        Space::HResult => tables::HRESULT,
    };
    equal_range(table, value)
}

fn equal_range(table: &'static [Entry], value: u32) -> &'static [Entry] {
    let start = table.partition_point(|e| e.value < value);
    let end = table.partition_point(|e| e.value <= value);
    &table[start..end]
}

/// The word Procmon prints for an NTSTATUS, or `None` (Procmon then prints `0x{:X}`).
pub fn procmon_word(status: u32) -> Option<&'static str> {
    let t = tables::PROCMON_RESULTS;
    t.binary_search_by_key(&status, |&(v, _)| v)
        .ok()
        .map(|i| t[i].1)
}

/// How Procmon renders a status in its Result column.
pub fn procmon_render(status: u32) -> String {
    match procmon_word(status) {
        Some(w) => w.to_string(),
        None => format!("0x{status:X}"),
    }
}

/// Decodes a Procmon Result field (`ACCESS DENIED`, `0xC0000022`, `0x368`, empty) to
/// its NTSTATUS. Words compare exactly after trimming blanks; hex is case-insensitive.
pub fn procmon_result(field: &[u8]) -> Option<u32> {
    let field = field.trim_ascii();
    if let Some(hex) = field
        .strip_prefix(b"0x")
        .or_else(|| field.strip_prefix(b"0X"))
    {
        if hex.is_empty() || hex.len() > 8 {
            return None;
        }
        let s = std::str::from_utf8(hex).ok()?;
        return u32::from_str_radix(s, 16).ok();
    }
    let s = std::str::from_utf8(field).ok()?;
    let w = tables::PROCMON_WORDS;
    w.binary_search_by(|&(word, _)| word.cmp(s))
        .ok()
        .map(|i| w[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn procmon_words_round_trip_through_the_table() {
        for &(value, word) in tables::PROCMON_RESULTS {
            let back = procmon_result(word.as_bytes()).expect(word);
            // Words printed for two values decode to the lower one.
            assert_eq!(procmon_word(back), Some(word));
            assert!(back <= value);
        }
    }

    #[test]
    fn hex_results_decode_case_insensitively() {
        assert_eq!(procmon_result(b"0x368"), Some(0x368));
        assert_eq!(procmon_result(b"0XC0000022"), Some(0xC000_0022));
        assert_eq!(procmon_result(b" 0xc00000a2 "), Some(0xC000_00A2));
        assert_eq!(procmon_result(b"0x"), None);
        assert_eq!(procmon_result(b"0x123456789"), None);
        assert_eq!(procmon_result(b"NOT A WORD"), None);
    }

    #[test]
    fn classification_covers_the_spaces() {
        let denied = Some(StatusClass::Denied);
        assert_eq!(classify(Code::ntstatus(0xC000_0022)), denied);
        assert_eq!(
            classify(Code {
                space: Space::Win32,
                value: 5
            }),
            denied
        );
        assert_eq!(
            classify(Code {
                space: Space::HResult,
                value: 0x8007_0005
            }),
            denied
        );
        let wp = Some(StatusClass::WriteProtect);
        assert_eq!(classify(Code::ntstatus(0xC000_00A2)), wp);
        assert_eq!(
            classify(Code {
                space: Space::HResult,
                value: 0x8007_0013
            }),
            wp
        );
        assert_eq!(classify(Code::ntstatus(0xC000_0034)), None); // NAME NOT FOUND
    }

    #[test]
    fn every_classified_code_has_a_name_in_its_table() {
        for &(space, value, _) in CLASSIFICATION {
            assert!(
                Code { space, value }.name().is_some(),
                "{space:?} 0x{value:08X}"
            );
        }
    }

    #[test]
    fn a_code_is_a_failure_or_a_confusion_never_both() {
        for &(space, value, _) in NOT_DENIALS {
            assert_eq!(
                classify(Code { space, value }),
                None,
                "{space:?} 0x{value:08X}"
            );
            assert!(
                Code { space, value }.name().is_some(),
                "{space:?} 0x{value:08X} has a name"
            );
        }
        assert!(
            not_a_denial(Code {
                space: Space::HResult,
                value: 0x8007_0002
            })
            .is_some()
        );
    }

    #[test]
    fn every_status_that_surfaces_as_a_denial_is_classified_or_excused() {
        let mut seen = 0;
        for win32 in [5, 19] {
            for nt in ntstatus_of_win32(win32) {
                seen += 1;
                let classified = classify(Code::ntstatus(nt)).is_some();
                let excused = MAPS_TO_DENIAL_BUT_UNCLASSIFIED
                    .iter()
                    .any(|&(v, _)| v == nt);
                assert!(classified != excused, "0x{nt:08X}: classified xor excused");
            }
        }
        // SOURCES.md §7: 26 keys give 5 and 2 give 19.
        assert_eq!(seen, 28);
        for &(nt, why) in MAPS_TO_DENIAL_BUT_UNCLASSIFIED {
            assert!(matches!(ntstatus_to_win32(nt), Some(5 | 19)), "0x{nt:08X}");
            assert!(!why.is_empty());
        }
        // The two classes the mapping agrees with.
        assert_eq!(
            classify(Code::ntstatus(0xC000_A203)),
            Some(StatusClass::Denied)
        );
        assert_eq!(ntstatus_to_win32(0xC000_00A2), Some(19));
    }

    #[test]
    fn nt_to_win32_follows_the_mapping_list_and_its_rules() {
        // Pairs checked by hand in SOURCES.md §7.
        assert_eq!(ntstatus_to_win32(0xC000_0022), Some(5));
        assert_eq!(ntstatus_to_win32(0xC000_0056), Some(5)); // STATUS_DELETE_PENDING
        assert_eq!(ntstatus_to_win32(0xC000_0121), Some(5)); // STATUS_CANNOT_DELETE
        assert_eq!(ntstatus_to_win32(0xC000_00A2), Some(19));
        assert_eq!(ntstatus_to_win32(0xC000_0061), Some(1314));
        // The function's rules, not rows.
        assert_eq!(ntstatus_to_win32(0), Some(0));
        assert_eq!(ntstatus_to_win32(0xD000_0022), Some(5));
        assert_eq!(ntstatus_to_win32(0x8007_0005), Some(5));
        assert_eq!(ntstatus_to_win32(0xE000_1234), Some(0xE000_1234));
        assert_eq!(ntstatus_to_win32(0xC0FF_EE00), None);
        let to_denied: Vec<u32> = ntstatus_of_win32(5).collect();
        assert!(to_denied.contains(&0xC000_0056) && to_denied.contains(&0xC000_0022));
        assert!(to_denied.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn hresult_fields_and_wrappers() {
        let f = hresult_fields(0x8007_0005);
        assert_eq!(
            (f.severity, f.facility, f.code, f.facility_name),
            (1, 7, 5, Some("FACILITY_WIN32"))
        );
        assert_eq!(hresult_from_win32(5), 0x8007_0005);
        assert_eq!(hresult_from_win32(0), 0);
        assert_eq!(hresult_from_nt(0xC000_0022), 0xD000_0022);
        assert_eq!(
            classify(Code {
                space: Space::HResult,
                value: 0xD000_00A2
            }),
            Some(StatusClass::WriteProtect)
        );
        assert_eq!(
            hresult_fields(0x800F_081F).facility_name,
            Some("FACILITY_SETUPAPI")
        );
        assert_eq!(ntstatus_fields(0xC000_0022).severity, 3);
    }

    #[test]
    fn class_names_parse_back() {
        for c in StatusClass::NAMED {
            assert_eq!(StatusClass::parse(c.as_str()), Some(c));
        }
        let u = StatusClass::Unrepairable;
        assert_eq!(StatusClass::parse(u.as_str()), Some(u));
        assert_eq!(StatusClass::parse("sfc"), Some(u));
        assert!(!StatusClass::NAMED.contains(&u), "no code is unrepairable");
        assert_eq!(StatusClass::parse("nope"), None);
    }
}
