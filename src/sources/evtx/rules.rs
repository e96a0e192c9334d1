//! What each provider's events hold, as data: which events carry a denial, and in
//! which fields the path, the process and the code are. A path is taken only from a
//! field listed here for that provider and event: some providers' fields hold the
//! names of Windows' own source files (CloudStore's `File`), which must never be
//! reported as culprits. An event no row names still counts when one of its fields
//! holds a selected code: it becomes a pathless [`NoteKind::Code`] note.

use crate::model::NoteKind;

/// How to read one kind of event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// A Security object-access audit: only failures (Keywords bit) count; the object,
    /// the process and the refused rights come from [`super::audit`]. One without an
    /// object is read as [`Shape::Privilege`].
    Audit,
    /// A Security privilege-use audit failure: context, not a path.
    Privilege,
    /// A code next to a path. Field names, or `#N` for a classic event's Nth `Data`.
    PathCode {
        path: &'static [&'static str],
        code: &'static [&'static str],
        process: &'static [&'static str],
    },
    /// A code about a named thing that is not a path (a service, a package): context.
    Subject {
        kind: NoteKind,
        name: &'static [&'static str],
        code: &'static [&'static str],
    },
    /// The Remote Desktop client's disconnect reason: context, decoded from the RDP
    /// disconnect table (whatever its value: every disconnect is worth knowing).
    RdpDisconnect { reason: &'static [&'static str] },
    /// Logged on healthy machines: counted as noise, with the reason.
    Noise(&'static str),
}

/// One row: a provider, its event ids, and how to read them.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    pub provider: &'static str,
    pub ids: &'static [u32],
    pub shape: Shape,
}

/// The provider of the Remote Desktop client's own log
/// (`Microsoft-Windows-TerminalServices-RDPClient/Operational`).
pub const RDP_CLIENT: &str = "Microsoft-Windows-TerminalServices-ClientActiveXCore";
/// The Security log's provider.
pub const SECURITY: &str = "Microsoft-Windows-Security-Auditing";
/// DCOM's provider.
pub const DCOM: &str = "Microsoft-Windows-DistributedCOM";

/// Why DCOM 10016 is noise.
pub const DCOM_10016: &str = "DCOM 10016 (a component without local activation permission) is logged on healthy machines; Microsoft documents it as safe to ignore";

pub static RULES: &[Rule] = &[
    Rule {
        provider: SECURITY,
        ids: &[4656, 4663, 4660, 4674, 5140, 5145],
        shape: Shape::Audit,
    },
    Rule {
        provider: SECURITY,
        ids: &[4673],
        shape: Shape::Privilege,
    },
    Rule {
        provider: "Microsoft-Windows-Kernel-General",
        ids: &[11],
        shape: Shape::PathCode {
            path: &["ExtraString"],
            code: &["Status"],
            process: &[],
        },
    },
    Rule {
        provider: "Microsoft-Windows-KnownFolders",
        ids: &[1002],
        shape: Shape::PathCode {
            path: &["Path"],
            code: &["hrError"],
            process: &[],
        },
    },
    Rule {
        provider: "ESENT",
        ids: &[490],
        shape: Shape::PathCode {
            path: &["#3"],
            code: &["#5"],
            process: &["#0"],
        },
    },
    Rule {
        provider: "Service Control Manager",
        ids: &[7000, 7009, 7023, 7024, 7031, 7034],
        shape: Shape::Subject {
            kind: NoteKind::ServiceFailed,
            name: &["param1", "#0"],
            code: &["param2", "#1"],
        },
    },
    Rule {
        provider: "Microsoft-Windows-Servicing",
        ids: &[1, 2, 3, 4],
        shape: Shape::Subject {
            kind: NoteKind::PackageFailed,
            name: &["PackageIdentifier"],
            code: &["ErrorCode"],
        },
    },
    Rule {
        provider: RDP_CLIENT,
        ids: &[1026],
        shape: Shape::RdpDisconnect {
            reason: &["Value", "#1"],
        },
    },
    Rule {
        provider: DCOM,
        ids: &[10016],
        shape: Shape::Noise(DCOM_10016),
    },
];

/// The row for a provider and event id.
pub fn rule(provider: &str, id: Option<u32>) -> Option<&'static Rule> {
    let id = id?;
    RULES
        .iter()
        .find(|r| r.provider.eq_ignore_ascii_case(provider) && r.ids.contains(&id))
}

/// Providers whose events are read whatever their values hold (their evidence is
/// not a code culprit hunts: a disconnect reason, a known-noise event).
pub static ALWAYS: &[&str] = &[RDP_CLIENT, DCOM];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_unique_and_found() {
        for (i, r) in RULES.iter().enumerate() {
            for &id in r.ids {
                let found = rule(&r.provider.to_uppercase(), Some(id)).unwrap();
                assert!(std::ptr::eq(found, &RULES[i]), "{} {id}", r.provider);
            }
        }
        assert!(rule(SECURITY, Some(4624)).is_none());
        assert!(rule(SECURITY, None).is_none());
    }
}
