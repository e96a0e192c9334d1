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

    /// Preferred symbolic name in its own table, if any.
    pub fn name(self) -> Option<&'static str> {
        entries(self.space, self.value).first().map(|e| e.name)
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
            _ => return None,
        })
    }
}

/// The single classification table: which codes are which failure, in every space.
/// HRESULTs of the form `0x8007xxxx` classify through their Win32 code.
pub static CLASSIFICATION: &[(Space, u32, StatusClass)] = &[
    (Space::NtStatus, 0xC000_0022, StatusClass::Denied), // STATUS_ACCESS_DENIED
    (Space::NtStatus, 0xC000_00CA, StatusClass::Denied), // STATUS_NETWORK_ACCESS_DENIED
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

/// Classifies a code through [`CLASSIFICATION`].
pub fn classify(code: Code) -> Option<StatusClass> {
    let code = match code.space {
        Space::HResult if code.value & 0xFFFF_0000 == 0x8007_0000 => Code {
            space: Space::Win32,
            value: code.value & 0xFFFF,
        },
        _ => code,
    };
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
    fn class_names_parse_back() {
        for c in StatusClass::NAMED {
            assert_eq!(StatusClass::parse(c.as_str()), Some(c));
        }
        assert_eq!(StatusClass::parse("nope"), None);
    }
}
