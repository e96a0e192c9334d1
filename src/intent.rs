//! Write intent: did the denied operation try to change the target?
//!
//! A denied read is usually a probe; a denied write is what breaks an install. The
//! operation name decides for writes by nature (`WriteFile`, `RegSetValue`, ...); for
//! opens (`CreateFile`, `RegOpenKey`, ...) the `Desired Access`, `Disposition` and
//! `Options` fields of Procmon's Detail column decide.

use crate::model::Intent;

/// Operations that change their target whatever the detail says.
const WRITE_OPERATIONS: &[&str] = &[
    "WriteFile",
    "SetBasicInformationFile",
    "SetDispositionInformationFile",
    "SetDispositionInformationEx",
    "SetRenameInformationFile",
    "SetRenameInformationEx",
    "SetEndOfFileInformationFile",
    "SetAllocationInformationFile",
    "SetLinkInformationFile",
    "SetValidDataLengthInformationFile",
    "SetSecurityFile",
    "SetEAFile",
    "SetShortNameInformationFile",
    "RegSetValue",
    "RegCreateKey",
    "RegDeleteKey",
    "RegDeleteValue",
    "RegSetInfoKey",
    "RegSetKeySecurity",
    "RegRenameKey",
    "RegRestoreKey",
];

/// Access rights (as Procmon spells them in `Desired Access`) that modify the target.
const WRITE_ACCESS: &[&str] = &[
    "generic write",
    "generic all",
    "all access",
    "write data",
    "add file",
    "append data",
    "add subdirectory",
    "write ea",
    "write attributes",
    "delete",
    "write dac",
    "write owner",
    "set value",
    "create sub key",
    "create link",
];

/// Whether one `Desired Access` item asks to write. Procmon joins synonyms with `/`
/// (`Write Data/Add File`) and generic rights too (`Generic Read/Write`, registry
/// `Read/Write`).
fn access_writes(item: &str) -> bool {
    let item = item.to_ascii_lowercase();
    if WRITE_ACCESS.contains(&item.as_str()) {
        return true;
    }
    let rest = item.strip_prefix("generic ").unwrap_or(&item);
    rest.split('/').any(|part| {
        part == "write"
            || part == "all"
            || WRITE_ACCESS.contains(&part)
            || WRITE_ACCESS.contains(&format!("generic {part}").as_str())
    })
}

/// Dispositions that create or replace the file.
const WRITE_DISPOSITIONS: &[&str] = &["create", "openif", "overwrite", "overwriteif", "supersede"];

/// Classifies one operation by its name and Detail text.
pub fn intent(operation: &str, detail: &str) -> Intent {
    let op = operation.trim();
    if WRITE_OPERATIONS.iter().any(|w| w.eq_ignore_ascii_case(op)) {
        return Intent::Write;
    }
    if let Some(access) = field(detail, "Desired Access")
        && access.split(',').any(|a| access_writes(a.trim()))
    {
        return Intent::Write;
    }
    if let Some(disp) = field(detail, "Disposition")
        && WRITE_DISPOSITIONS
            .iter()
            .any(|d| d.eq_ignore_ascii_case(disp.trim()))
    {
        return Intent::Write;
    }
    if let Some(opts) = field(detail, "Options")
        && opts.to_ascii_lowercase().contains("delete on close")
    {
        return Intent::Write;
    }
    Intent::Read
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
