//! Security object-access audits (4656, 4663, 4660, 4674, 5140, 5145): the object, the
//! process, and the rights the access check refused.
//!
//! Rights are `%%NNNN` message tokens of msobjs.dll. `AccessReason` says, per right,
//! whether it was granted and why; the refused rights are those whose reason is one of
//! [`REFUSED`]. Without a reason, `AccessList` lists what was asked, and `AccessMask`
//! is the last fallback. Rights are spelt as Procmon spells `Desired Access`, so the
//! one reader of intent ([`crate::intent::access`]) judges both sources alike.

use super::fields::Fields;

/// Right tokens and their Procmon spelling.
pub static RIGHTS: &[(u32, &str)] = &[
    (1537, "Delete"),
    (1538, "Read Control"),
    (1539, "Write DAC"),
    (1540, "Write Owner"),
    (1541, "Synchronize"),
    (1542, "Access System Security"),
    (4416, "Read Data/List Directory"),
    (4417, "Write Data/Add File"),
    (4418, "Append Data/Add Subdirectory"),
    (4419, "Read EA"),
    (4420, "Write EA"),
    (4421, "Execute/Traverse"),
    (4422, "Delete Child"),
    (4423, "Read Attributes"),
    (4424, "Write Attributes"),
    (4432, "Query Value"),
    (4433, "Set Value"),
    (4434, "Create Sub Key"),
    (4435, "Enumerate Sub Keys"),
    (4436, "Notify"),
    (4437, "Create Link"),
];

/// `AccessReason` results that mean the right was refused: `%%1802` Denied by,
/// `%%1805` Not granted, `%%1810` Not granted due to missing, `%%1812` Denied by ACE
/// on parent folder.
pub static REFUSED: &[u32] = &[1802, 1805, 1810, 1812];

/// `AccessMask` bits, for files and for registry keys, in Procmon's spelling.
static FILE_BITS: &[(u32, &str)] = &[
    (0x1, "Read Data/List Directory"),
    (0x2, "Write Data/Add File"),
    (0x4, "Append Data/Add Subdirectory"),
    (0x8, "Read EA"),
    (0x10, "Write EA"),
    (0x20, "Execute/Traverse"),
    (0x40, "Delete Child"),
    (0x80, "Read Attributes"),
    (0x100, "Write Attributes"),
];
static KEY_BITS: &[(u32, &str)] = &[
    (0x1, "Query Value"),
    (0x2, "Set Value"),
    (0x4, "Create Sub Key"),
    (0x8, "Enumerate Sub Keys"),
    (0x10, "Notify"),
    (0x20, "Create Link"),
];
static STANDARD_BITS: &[(u32, &str)] = &[
    (0x1_0000, "Delete"),
    (0x2_0000, "Read Control"),
    (0x4_0000, "Write DAC"),
    (0x8_0000, "Write Owner"),
    (0x10_0000, "Synchronize"),
    (0x100_0000, "Access System Security"),
    (0x200_0000, "Maximum Allowed"),
    (0x1000_0000, "Generic All"),
    (0x2000_0000, "Generic Execute"),
    (0x4000_0000, "Generic Write"),
    (0x8000_0000, "Generic Read"),
];

/// The number of a `%%NNNN` token.
fn token(s: &str) -> Option<u32> {
    s.trim().strip_prefix("%%")?.parse().ok()
}

fn right_name(t: u32) -> Option<&'static str> {
    RIGHTS.iter().find(|(n, _)| *n == t).map(|&(_, s)| s)
}

/// The rights `AccessReason` says were refused (`%%4417:\t%%1805` lines).
pub fn refused_rights(reason: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for line in reason.split(['\r', '\n']) {
        let Some((right, result)) = line.split_once(':') else {
            continue;
        };
        let result = result.split_whitespace().next().and_then(token);
        if let (Some(r), Some(res)) = (token(right).and_then(right_name), result)
            && REFUSED.contains(&res)
            && !out.contains(&r)
        {
            out.push(r);
        }
    }
    out
}

/// The rights an `AccessList` names (`%%4417\r\n\t\t\t\t%%4418`).
pub fn listed_rights(list: &str) -> Vec<&'static str> {
    let mut out = Vec::new();
    for r in list
        .split_whitespace()
        .filter_map(token)
        .filter_map(right_name)
    {
        if !out.contains(&r) {
            out.push(r);
        }
    }
    out
}

/// The rights an `AccessMask` (`0x2`, or decimal) asks, for an object type
/// (`File`, `Key`).
pub fn mask_rights(mask: u32, object_type: &str) -> Vec<&'static str> {
    let specific = if object_type.eq_ignore_ascii_case("Key") {
        KEY_BITS
    } else {
        FILE_BITS
    };
    specific
        .iter()
        .chain(STANDARD_BITS)
        .filter(|(bit, _)| mask & bit != 0)
        .map(|&(_, n)| n)
        .collect()
}

/// What an object-access audit tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Audit {
    /// The object as logged (`\REGISTRY\MACHINE\...` is normalised later).
    pub path: String,
    /// The image name (base name of `ProcessName`), empty when the event has none.
    pub process: String,
    pub pid: Option<u32>,
    /// The refused rights (or, failing a reason, the rights asked).
    pub rights: Vec<&'static str>,
    /// `File`, `Key`, ... as logged.
    pub object_type: String,
}

impl Audit {
    /// `Desired Access: Write Data/Add File, Append Data/Add Subdirectory`, as Procmon
    /// writes its Detail column.
    pub fn detail(&self) -> String {
        if self.rights.is_empty() {
            String::new()
        } else {
            format!("Desired Access: {}", self.rights.join(", "))
        }
    }
}

/// The audit in an object-access event, if it names an object.
pub fn read(f: &Fields<'_>) -> Option<Audit> {
    let path = match f.first(&["ObjectName"]) {
        Some(p) if p.trim() != "-" => p.trim().to_string(),
        _ => share_path(f)?,
    };
    let path = own_hive_as_hkcu(&path, f.get("SubjectUserSid").as_deref());
    let object_type = f.get("ObjectType").unwrap_or_default().trim().to_string();
    let mut rights = f
        .get("AccessReason")
        .map(|r| refused_rights(&r))
        .unwrap_or_default();
    if rights.is_empty() {
        rights = f
            .get("AccessList")
            .map(|l| listed_rights(&l))
            .unwrap_or_default();
    }
    if rights.is_empty()
        && let Some(mask) = f
            .get("AccessMask")
            .and_then(|m| super::codes::normalise(&m))
    {
        rights = mask_rights(mask, &object_type);
    }
    if rights.is_empty() && f.event_id == Some(4660) {
        rights = vec!["Delete"];
    }
    let process_path = f.get("ProcessName").unwrap_or_default();
    let pid = f
        .get("ProcessId")
        .and_then(|p| super::codes::normalise(&p))
        .or(f.pid);
    Some(Audit {
        path,
        process: base_name(&process_path).to_string(),
        pid,
        rights,
        object_type,
    })
}

/// `\REGISTRY\USER\<SID>\...` of the subject's own SID as `HKCU\...`, as Procmon
/// prints the caller's own hive: a user's own key is not "another account's hive".
pub fn own_hive_as_hkcu(path: &str, subject_sid: Option<&str>) -> String {
    const USER: &str = "\\REGISTRY\\USER\\";
    let Some(sid) = subject_sid
        .map(str::trim)
        .filter(|s| s.starts_with("S-1-5-21-"))
    else {
        return path.to_string();
    };
    let head = USER.len() + sid.len();
    let own = path.len() >= head
        && path.is_char_boundary(head)
        && path[..USER.len()].eq_ignore_ascii_case(USER)
        && path[USER.len()..head].eq_ignore_ascii_case(sid)
        && (path.len() == head || path[head..].starts_with('\\'));
    if own {
        format!("HKCU{}", &path[head..])
    } else {
        path.to_string()
    }
}

/// `ShareLocalPath` (`\??\C:\Windows`) joined with `RelativeTargetName`.
fn share_path(f: &Fields<'_>) -> Option<String> {
    let local = f.get("ShareLocalPath")?;
    let local = local.trim();
    if local.is_empty() || local == "-" {
        return None;
    }
    let local = local.strip_prefix("\\??\\").unwrap_or(local);
    match f.get("RelativeTargetName") {
        Some(rel) if !rel.trim().is_empty() && rel.trim() != "-" && rel.trim() != "\\" => {
            Some(format!(
                "{}\\{}",
                local.trim_end_matches('\\'),
                rel.trim().trim_start_matches('\\')
            ))
        }
        _ => Some(local.to_string()),
    }
}

/// `C:\Windows\System32\mstsc.exe` → `mstsc.exe`; `-` → empty.
pub fn base_name(path: &str) -> &str {
    let p = path.trim();
    if p == "-" {
        return "";
    }
    p.rsplit(['\\', '/']).next().unwrap_or(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intent::access;

    #[test]
    fn every_right_token_is_read_as_procmon_spells_it() {
        for &(t, name) in RIGHTS {
            assert_eq!(listed_rights(&format!("%%{t}")), vec![name]);
        }
        // The spelling feeds the one intent reader: writes are writes.
        for (t, writes) in [
            (4417, true),
            (4418, true),
            (4433, true),
            (1537, true),
            (4416, false),
        ] {
            let d = format!("Desired Access: {}", right_name(t).unwrap());
            let a = access("", &d);
            assert_eq!(
                a.writes() || a.covers(crate::intent::Access::DELETE),
                writes,
                "{d}"
            );
        }
    }

    #[test]
    fn only_refused_reasons_count() {
        // Shaped as real 4656 AccessReason text: token, colon, tab, result, optional SDDL.
        let reason = "%%1538:\t%%1801\tD:(A;;FA;;;SY)\r\n\t\t\t\t%%4417:\t%%1805\r\n\t\t\t\t%%4418:\t%%1802\tD:(D;;FW;;;WD)\r\n\t\t\t\t%%4423:\t%%1801\r\n\t\t\t\t";
        assert_eq!(
            refused_rights(reason),
            vec!["Write Data/Add File", "Append Data/Add Subdirectory"]
        );
        for &r in REFUSED {
            assert_eq!(refused_rights(&format!("%%1537:\t%%{r}")), vec!["Delete"]);
        }
        assert!(refused_rights("%%1537:\t%%1801").is_empty());
    }

    #[test]
    fn masks_decode_per_object_type() {
        assert_eq!(mask_rights(0x2, "File"), vec!["Write Data/Add File"]);
        assert_eq!(mask_rights(0x2, "Key"), vec!["Set Value"]);
        assert_eq!(
            mask_rights(0x1_0006, "Key"),
            vec!["Set Value", "Create Sub Key", "Delete"]
        );
        assert_eq!(mask_rights(0x4000_0000, "File"), vec!["Generic Write"]);
        assert!(mask_rights(0, "File").is_empty());
    }

    #[test]
    fn the_subjects_own_hive_reads_as_hkcu() {
        let sid = "S-1-5-21-1-2-3-1001";
        let key = format!("\\REGISTRY\\USER\\{sid}\\Software\\Microsoft\\Terminal Server Client");
        assert_eq!(
            own_hive_as_hkcu(&key, Some(sid)),
            "HKCU\\Software\\Microsoft\\Terminal Server Client"
        );
        assert_eq!(own_hive_as_hkcu(&key, Some("S-1-5-21-9-9-9-500")), key);
        assert_eq!(own_hive_as_hkcu(&key, None), key);
        // A SID that only starts like the subject's is another account.
        let longer = key.replace("1001", "10011");
        assert_eq!(own_hive_as_hkcu(&longer, Some(sid)), longer);
        // SYSTEM's hive stays HKU (it is not a user's own HKCU for this rule).
        let system = "\\REGISTRY\\USER\\S-1-5-18\\Software";
        assert_eq!(own_hive_as_hkcu(system, Some("S-1-5-18")), system);
    }

    #[test]
    fn base_names() {
        assert_eq!(base_name("C:\\Windows\\System32\\mstsc.exe"), "mstsc.exe");
        assert_eq!(base_name("mstsc.exe"), "mstsc.exe");
        assert_eq!(base_name("-"), "");
    }
}
