//! What to do about an offending path: short, concrete next steps chosen by the kind
//! of target, the status and the process. Hints for an analyst, not automatic fixes.

use crate::aggregate::PathAgg;
use crate::codes::StatusClass;
use crate::pathnorm::PathKind;
use crate::rank::Count;

fn starts_ci(s: &str, prefix: &str) -> bool {
    s.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

fn contains_ci(s: &str, needle: &str) -> bool {
    s.to_lowercase().contains(&needle.to_lowercase())
}

/// Next steps for one path.
pub fn advise(path: &str, kind: PathKind, p: &PathAgg, processes: &[Count]) -> Vec<String> {
    let mut out = Vec::new();
    let has = |c: StatusClass| p.classes.contains_key(&c);
    let who = processes.first().map_or("the process", |c| c.name.as_str());
    if has(StatusClass::WriteProtect) {
        out.push(
            "The volume refused the write as write-protected (not an ACL problem): check the disk and volume \
             read-only attributes (diskpart: `attributes disk`, `attributes volume`), a WIM/VHD mounted read-only \
             (`dism /Get-MountedImageInfo`), removable media with a lock switch, or a filter driver that blocks writes."
                .to_string(),
        );
    }
    if has(StatusClass::Denied) {
        match kind {
            PathKind::Registry if contains_ci(path, "\\Software\\Microsoft\\Terminal Server Client") => out.push(format!(
                "{who} keeps its MRU list, server hints and certificates under this key: grant the user Full Control \
                 on it (regedit > Permissions, or delete the key so mstsc recreates it), and look for a Deny entry \
                 or a non-user owner."
            )),
            PathKind::Registry => out.push(format!(
                "Check the key's permissions (`Get-Acl 'Registry::{path}' | Format-List`, or regedit > Permissions): \
                 {who} needs write access; look for Deny entries, a wrong owner, or a policy or security product locking it."
            )),
            PathKind::File if ["C:\\Windows\\WinSxS", "C:\\Windows\\servicing", "C:\\Windows\\Logs\\CBS", "C:\\Windows\\Logs\\DISM", "C:\\Windows\\System32"]
                .iter()
                .any(|pre| starts_ci(path, pre)) =>
            {
                out.push(format!(
                    "The servicing stack writes here: check `icacls \"{path}\"` against a healthy machine (owner \
                     NT SERVICE\\TrustedInstaller, SYSTEM Full Control), restore inheritance if it was broken, and \
                     rule out an antivirus/EDR filter blocking {who}."
                ))
            }
            _ => out.push(format!(
                "Check `icacls \"{path}\"` and the read-only attribute: {who} needs write access; look for Deny entries \
                 or a security product blocking the write."
            )),
        }
    }
    if has(StatusClass::Privilege) {
        out.push(format!("{who} lacks a privilege for this operation: run it elevated, or as the account the job expects."));
    }
    if has(StatusClass::Sharing) {
        out.push("Another process holds the target open without sharing: find it (Resource Monitor, `handle.exe`) and stop it before retrying.".to_string());
    }
    if has(StatusClass::CannotDelete) {
        out.push("The target refused deletion: check the read-only attribute, an open handle, or a delete-denied ACL.".to_string());
    }
    if p.unrecovered == 0 {
        out.push("Every failure here was followed by a SUCCESS of the same process and operation: probably a harmless probe.".to_string());
    } else if p.write_intent == 0 {
        out.push(
            "Only read access was refused here: less likely the cause than a refused write."
                .to_string(),
        );
    }
    out
}
