//! Write intent: did the denied operation try to change the target?
//!
//! A denied read is usually a probe; a denied write is what breaks an install. The
//! operation name decides for writes by nature (`WriteFile`, `RegSetValue`, ...); for
//! opens (`CreateFile`, `RegOpenKey`, ...) the `Desired Access`, `Disposition` and
//! `Options` fields of Procmon's Detail column decide.

use crate::model::Intent;

/// What an operation asked of its target, as a set of rights. Recovery compares these:
/// a later SUCCESS recovers a refusal only when it obtained every right that was
/// refused (a Generic Write refused then a Generic Read granted is no recovery).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Access(u8);

impl Access {
    /// Nothing known beyond looking (queries, reads, opens for read).
    pub const READ: Access = Access(1);
    /// Change the data, attributes, extended attributes or values; create.
    pub const WRITE: Access = Access(2);
    /// Delete or rename.
    pub const DELETE: Access = Access(4);
    /// Change the security descriptor (WRITE_DAC, WRITE_OWNER).
    pub const SECURITY: Access = Access(8);
    /// `Maximum Allowed`: a probe for whatever the ACL grants, refused only when it
    /// grants nothing at all.
    pub const PROBE: Access = Access(16);
    /// Everything (`Generic All`, `All Access`).
    pub const ALL: Access = Access(1 | 2 | 4 | 8);

    /// The union of two sets.
    pub const fn with(self, other: Access) -> Access {
        Access(self.0 | other.0)
    }

    /// Whether this set holds every right of `other`.
    pub const fn covers(self, other: Access) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any right changes the target.
    pub const fn writes(self) -> bool {
        self.0 & (Access::WRITE.0 | Access::DELETE.0 | Access::SECURITY.0) != 0
    }

    /// Whether this is only a `Maximum Allowed` probe.
    pub const fn is_probe(self) -> bool {
        self.0 == Access::PROBE.0
    }

    /// The raw bits (stable; used as part of recovery keys).
    pub const fn bits(self) -> u8 {
        self.0
    }
}

/// Operations that change their target whatever the detail says, and the right each needs.
const WRITE_OPERATIONS: &[(&str, Access)] = &[
    ("WriteFile", Access::WRITE),
    ("SetBasicInformationFile", Access::WRITE),
    ("SetDispositionInformationFile", Access::DELETE),
    ("SetDispositionInformationEx", Access::DELETE),
    ("SetRenameInformationFile", Access::DELETE),
    ("SetRenameInformationEx", Access::DELETE),
    ("SetEndOfFileInformationFile", Access::WRITE),
    ("SetAllocationInformationFile", Access::WRITE),
    ("SetLinkInformationFile", Access::WRITE),
    ("SetValidDataLengthInformationFile", Access::WRITE),
    ("SetSecurityFile", Access::SECURITY),
    ("SetEAFile", Access::WRITE),
    ("SetShortNameInformationFile", Access::WRITE),
    ("RegSetValue", Access::WRITE),
    ("RegCreateKey", Access::WRITE),
    ("RegDeleteKey", Access::DELETE),
    ("RegDeleteValue", Access::WRITE),
    ("RegSetInfoKey", Access::WRITE),
    ("RegSetKeySecurity", Access::SECURITY),
    ("RegRenameKey", Access::WRITE),
    ("RegRestoreKey", Access::WRITE),
];

/// Access rights as Procmon spells them in `Desired Access`, and what each asks.
/// Anything not listed (Read Data, Read Attributes, Synchronize, Query Value, ...) reads.
const ACCESS_RIGHTS: &[(&str, Access)] = &[
    ("generic write", Access::WRITE),
    ("generic all", Access::ALL),
    ("all access", Access::ALL),
    ("write data", Access::WRITE),
    ("add file", Access::WRITE),
    ("append data", Access::WRITE),
    ("add subdirectory", Access::WRITE),
    ("write ea", Access::WRITE),
    ("write attributes", Access::WRITE),
    ("delete", Access::DELETE),
    ("write dac", Access::SECURITY),
    ("write owner", Access::SECURITY),
    ("set value", Access::WRITE),
    ("create sub key", Access::WRITE),
    ("create link", Access::WRITE),
    ("maximum allowed", Access::PROBE),
];

fn right(item: &str) -> Option<Access> {
    ACCESS_RIGHTS
        .iter()
        .find(|(name, _)| *name == item)
        .map(|&(_, a)| a)
}

/// What one `Desired Access` item asks. Procmon joins synonyms with `/`
/// (`Write Data/Add File`) and generic rights too (`Generic Read/Write`, registry
/// `Read/Write`).
fn access_of_item(item: &str) -> Access {
    let item = item.to_ascii_lowercase();
    if let Some(a) = right(&item) {
        return a;
    }
    let rest = item.strip_prefix("generic ").unwrap_or(&item);
    rest.split('/').fold(Access::READ, |acc, part| {
        let a = match part {
            "write" => Access::WRITE,
            "all" => Access::ALL,
            _ => right(part)
                .or_else(|| right(&format!("generic {part}")))
                .unwrap_or(Access::READ),
        };
        acc.with(a)
    })
}

/// Dispositions that create or replace the file.
const WRITE_DISPOSITIONS: &[&str] = &["create", "openif", "overwrite", "overwriteif", "supersede"];

/// What an operation asked of its target, from its name and Detail text.
pub fn access(operation: &str, detail: &str) -> Access {
    let op = operation.trim();
    let mut acc = WRITE_OPERATIONS
        .iter()
        .find(|(w, _)| w.eq_ignore_ascii_case(op))
        .map_or(Access::default(), |&(_, a)| a);
    if let Some(desired) = field(detail, "Desired Access") {
        for item in desired.split(',') {
            acc = acc.with(access_of_item(item.trim()));
        }
    }
    if let Some(disp) = field(detail, "Disposition")
        && WRITE_DISPOSITIONS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(disp.trim()))
    {
        acc = acc.with(Access::WRITE);
    }
    if let Some(opts) = field(detail, "Options")
        && opts.to_ascii_lowercase().contains("delete on close")
    {
        acc = acc.with(Access::DELETE);
    }
    // A probe stays a probe only when nothing else was asked.
    if acc != Access::PROBE && acc.covers(Access::PROBE) {
        acc = Access(acc.0 & !Access::PROBE.0);
    }
    if acc == Access::default() {
        Access::READ
    } else {
        acc
    }
}

/// Classifies one operation by its name and Detail text.
pub fn intent(operation: &str, detail: &str) -> Intent {
    if access(operation, detail).writes() {
        Intent::Write
    } else {
        Intent::Read
    }
}

/// The value of `Name: value` in a Procmon Detail string, whose fields are separated
/// by `, ` and whose values may themselves contain `, ` (`Generic Write, Read Data`).
/// A value ends where the next `, Word Word:` field begins.
pub fn field<'a>(detail: &'a str, name: &str) -> Option<&'a str> {
    let mut start = None;
    let mut from = 0;
    while let Some(i) = detail[from..].find(name) {
        let at = from + i;
        let before_ok = at == 0 || detail[..at].ends_with(", ") || detail[..at].ends_with(' ');
        let after = &detail[at + name.len()..];
        if before_ok && after.starts_with(':') {
            start = Some(at + name.len() + 1);
            break;
        }
        from = at + name.len();
    }
    let start = start?;
    let rest = &detail[start..];
    // The next field starts after ", " with a run of letters/spaces then ':'.
    let mut end = rest.len();
    let mut search = 0;
    while let Some(i) = rest[search..].find(", ") {
        let cand = search + i + 2;
        let tail = &rest[cand..];
        if let Some(colon) = tail.find(':') {
            let label = &tail[..colon];
            if !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ')
                && !tail[..colon].contains(',')
            {
                end = search + i;
                break;
            }
        }
        search = cand;
    }
    Some(rest[..end].trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPEN_FOR_WRITE: &str = "Desired Access: Generic Write, Read Attributes, Disposition: OverwriteIf, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: N, ShareMode: None, AllocationSize: 0";
    const OPEN_FOR_READ: &str = "Desired Access: Generic Read, Disposition: Open, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: n/a, ShareMode: Read, Write, AllocationSize: n/a";

    #[test]
    fn detail_fields_split_on_labels_not_commas() {
        assert_eq!(
            field(OPEN_FOR_WRITE, "Desired Access"),
            Some("Generic Write, Read Attributes")
        );
        assert_eq!(field(OPEN_FOR_WRITE, "Disposition"), Some("OverwriteIf"));
        assert_eq!(field(OPEN_FOR_READ, "ShareMode"), Some("Read, Write"));
        assert_eq!(field("", "Desired Access"), None);
    }

    #[test]
    fn opens_are_judged_by_access_and_disposition() {
        assert_eq!(intent("CreateFile", OPEN_FOR_WRITE), Intent::Write);
        // ShareMode: Read, Write is not a write request.
        assert_eq!(intent("CreateFile", OPEN_FOR_READ), Intent::Read);
        assert_eq!(
            intent("RegOpenKey", "Desired Access: Set Value"),
            Intent::Write
        );
        assert_eq!(intent("RegOpenKey", "Desired Access: Read"), Intent::Read);
        // Procmon joins synonyms and generic rights with '/'.
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Write Data/Add File, Synchronize, Disposition: Open"
            ),
            Intent::Write
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Generic Read/Write, Disposition: Open"
            ),
            Intent::Write
        );
        assert_eq!(
            intent("RegOpenKey", "Desired Access: Read/Write"),
            Intent::Write
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Read Data/List Directory, Synchronize, Disposition: Open"
            ),
            Intent::Read
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Generic Read/Execute, Disposition: Open"
            ),
            Intent::Read
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Read Data, Disposition: Create"
            ),
            Intent::Write
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Read Attributes, Delete, Disposition: Open"
            ),
            Intent::Write
        );
        assert_eq!(
            intent(
                "CreateFile",
                "Desired Access: Read Attributes, Disposition: Open, Options: Delete On Close"
            ),
            Intent::Write
        );
    }

    #[test]
    fn access_sets_compare_by_rights() {
        let write_open = access("CreateFile", OPEN_FOR_WRITE);
        let read_open = access("CreateFile", OPEN_FOR_READ);
        assert!(write_open.writes() && !read_open.writes());
        assert!(
            !read_open.covers(write_open),
            "a read does not recover a write"
        );
        assert!(write_open.covers(read_open.with(Access::WRITE)));
        assert!(access("CreateFile", "Desired Access: Generic All").covers(write_open));
        let probe = access("RegCreateKey", "Desired Access: Maximum Allowed");
        assert!(probe.writes(), "RegCreateKey writes by nature");
        let probe = access("RegOpenKey", "Desired Access: Maximum Allowed");
        assert!(probe.is_probe() && !probe.writes());
        assert!(!access("RegOpenKey", "Desired Access: Maximum Allowed, Set Value").is_probe());
        assert_eq!(access("QueryDirectory", ""), Access::READ);
        assert_eq!(access("SetSecurityFile", ""), Access::SECURITY);
        assert!(access("RegSetValue", "").covers(Access::WRITE));
    }

    #[test]
    fn write_operations_need_no_detail() {
        for op in [
            "WriteFile",
            "RegSetValue",
            "SetDispositionInformationEx",
            "regcreatekey",
        ] {
            assert_eq!(intent(op, ""), Intent::Write, "{op}");
        }
        assert_eq!(intent("QueryDirectory", ""), Intent::Read);
    }
}
