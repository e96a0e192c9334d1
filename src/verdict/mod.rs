//! Verdicts: what a Windows expert concludes from one offending path's evidence, and
//! what to do about it. Knowledge as data: [`RULES`] maps (path class, status class,
//! write intent, recovered, ...) to a verdict, a conclusion and next steps; the first
//! row that matches wins. Every row carries an example that must select it (tested),
//! so the table can be reviewed and extended row by row as new sources arrive.
//!
//! The conclusion comes first and is the strongest statement the evidence allows;
//! next steps follow, and every command they print runs as printed (see
//! [`crate::commands`]).

use serde::Serialize;

mod rules;

pub use rules::RULES;

use crate::codes::StatusClass;
use crate::commands;
use crate::pathnorm::PathKind;

/// What the evidence says about a path, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The volume or medium refused a write: not an ACL problem.
    WriteProtected,
    /// The ACL refused a write and the write never happened.
    WriteDenied,
    /// Another open handle, a missing privilege or a delete refusal.
    Blocked,
    /// System File Checker could not repair the file: the component store's copy is
    /// damaged or missing too.
    Unrepairable,
    /// Only reads were refused, and no later read succeeded.
    ReadDenied,
    /// A later SUCCESS obtained the refused access: the job got what it asked.
    Recovered,
    /// Windows refuses this to this caller on every healthy machine.
    ByDesign,
    /// Selected by value (`--status 0x...`), no class-specific judgement.
    Selected,
}

impl Verdict {
    /// The name used in every output format.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::WriteProtected => "write-protected",
            Verdict::WriteDenied => "write-denied",
            Verdict::Blocked => "blocked",
            Verdict::Unrepairable => "unrepairable",
            Verdict::ReadDenied => "read-denied",
            Verdict::Recovered => "recovered",
            Verdict::ByDesign => "by-design",
            Verdict::Selected => "selected",
        }
    }

    /// Ranking tier: by-design refusals come after every other finding, whatever
    /// their score (README, "Ranking").
    pub fn tier(self) -> u8 {
        u8::from(self == Verdict::ByDesign)
    }
}

/// Where a path lives, as far as a verdict cares. Decided by [`PATH_CLASSES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PathClass {
    /// `HKLM\SAM`, `HKLM\SECURITY`: ACLs grant SYSTEM alone.
    SystemOnlyKey,
    /// `HKU\<SID>`: another account's hive (Procmon prints the caller's own as HKCU).
    OtherAccountHive,
    /// Profiles and folders of SYSTEM and the service accounts.
    SystemOnlyFolder,
    /// `HKCU\Software\Microsoft\Terminal Server Client`: the RDP client's own settings.
    RdpClientKey,
    /// The component store and the servicing stack's files and keys.
    Servicing,
    /// Inside a volume shadow copy (`\Device\HarddiskVolumeShadowCopyN\`): a
    /// read-only snapshot.
    ShadowCopy,
    /// Any other registry key or value.
    Registry,
    /// Any other file or folder.
    File,
    /// Anything else (pipes, devices, empty paths).
    Other,
}

/// Path classes by prefix of the lower-case normalised path, most specific first.
/// A prefix matches a whole component (`hklm\sam` does not match `hklm\samples`).
pub static PATH_CLASSES: &[(&str, PathClass)] = &[
    ("hklm\\sam", PathClass::SystemOnlyKey),
    ("hklm\\security", PathClass::SystemOnlyKey),
    ("hku\\s-1-5-18", PathClass::OtherAccountHive),
    ("hku\\s-1-5-19", PathClass::OtherAccountHive),
    ("hku\\s-1-5-20", PathClass::OtherAccountHive),
    ("hku\\s-1-5-21-", PathClass::OtherAccountHive),
    (
        "c:\\windows\\system32\\config\\systemprofile",
        PathClass::SystemOnlyFolder,
    ),
    ("c:\\windows\\serviceprofiles", PathClass::SystemOnlyFolder),
    ("c:\\system volume information", PathClass::SystemOnlyFolder),
    (
        "hkcu\\software\\microsoft\\terminal server client",
        PathClass::RdpClientKey,
    ),
    ("c:\\windows\\winsxs", PathClass::Servicing),
    ("c:\\windows\\servicing", PathClass::Servicing),
    ("c:\\windows\\logs\\cbs", PathClass::Servicing),
    ("c:\\windows\\logs\\dism", PathClass::Servicing),
    ("c:\\windows\\system32", PathClass::Servicing),
    ("c:\\windows\\syswow64", PathClass::Servicing),
    ("hklm\\components", PathClass::Servicing),
    (
        "hklm\\software\\microsoft\\windows\\currentversion\\component based servicing",
        PathClass::Servicing,
    ),
];

/// Image names that run as SYSTEM (lower-case): for them, SYSTEM-only targets are not
/// refused by design, so a refusal there is a real finding.
pub static RUNS_AS_SYSTEM: &[&str] = &[
    "tiworker.exe",
    "trustedinstaller.exe",
    "system",
    "services.exe",
    "lsass.exe",
    "msmpeng.exe",
];

/// Path classes by a component anywhere in the lower-case normalised path (the same
/// device can be spelt `\Device\...`, `GLOBALROOT\Device\...`, `\\?\GLOBALROOT\...`).
pub static PATH_CLASSES_ANYWHERE: &[(&str, PathClass)] =
    &[("device\\harddiskvolumeshadowcopy", PathClass::ShadowCopy)];

/// The class of a normalised path.
pub fn path_class(path: &str, kind: PathKind) -> PathClass {
    let key = path.to_lowercase();
    if let Some(&(_, c)) = PATH_CLASSES_ANYWHERE
        .iter()
        .find(|(part, _)| key.contains(part))
    {
        return c;
    }
    let hit = PATH_CLASSES.iter().find(|(prefix, _)| {
        key.strip_prefix(prefix).is_some_and(|rest| {
            rest.is_empty() || rest.starts_with('\\') || prefix.ends_with(['-', '\\'])
        })
    });
    match (hit, kind) {
        (Some(&(_, c)), _) => c,
        (None, PathKind::Registry) => PathClass::Registry,
        (None, PathKind::File) => PathClass::File,
        (None, PathKind::Other) => PathClass::Other,
    }
}

/// The evidence a verdict is decided on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts<'a> {
    pub path: &'a str,
    pub kind: PathKind,
    /// The most severe class seen on the path.
    pub status: StatusClass,
    /// At least one refused operation asked to change the target.
    pub writes: bool,
    /// Every refusal was followed by a SUCCESS that obtained the refused access.
    pub recovered: bool,
    /// Every refusal was a `Maximum Allowed` probe.
    pub probe_only: bool,
    /// Every process refused here runs as SYSTEM.
    pub system_caller: bool,
    /// Every registry operation on the path addresses a value (its ACL is its key's).
    pub registry_value: bool,
    /// The process refused most often (`mstsc.exe`).
    pub who: &'a str,
    /// The [`Rule::message`] patterns the path's logged messages hold.
    pub messages: &'a [&'static str],
}

/// One row of the verdict table. `None` in a condition matches anything.
pub struct Rule {
    /// Stable row name (docs, tests).
    pub id: &'static str,
    /// A known message (lower-case substring of a servicing log's text) this row is
    /// about; such rows hold only for paths whose records logged it.
    pub message: Option<&'static str>,
    pub path: Option<PathClass>,
    pub status: Option<StatusClass>,
    pub writes: Option<bool>,
    pub recovered: Option<bool>,
    pub probe_only: Option<bool>,
    pub system_caller: Option<bool>,
    pub verdict: Verdict,
    /// The conclusion, first line of the advice. `{who}` and `{path}` are filled in.
    pub conclusion: &'static str,
    /// Next steps; `{acl}` is the command that shows the target's ACL, `{who}` the process.
    pub steps: &'static [&'static str],
    /// A case that must select this row (the row's test).
    pub example: Example,
}

/// A hand-written case for a row: (path, kind, status, writes, recovered, probe, system).
pub type Example = (&'static str, PathKind, StatusClass, bool, bool, bool, bool);

fn matches<T: PartialEq>(cond: Option<T>, value: T) -> bool {
    cond.is_none_or(|c| c == value)
}

/// Every [`Rule::message`] of the table: what a kept record's text is matched against
/// (at most 32: a path keeps them as bits).
pub fn known_messages() -> impl Iterator<Item = &'static str> {
    RULES.iter().filter_map(|r| r.message)
}

/// The first row of [`RULES`] that holds for `f`.
pub fn rule(f: &Facts<'_>) -> &'static Rule {
    let class = path_class(f.path, f.kind);
    RULES
        .iter()
        .find(|r| {
            r.message.is_none_or(|m| f.messages.contains(&m))
                && matches(r.path, class)
                && matches(r.status, f.status)
                && matches(r.writes, f.writes)
                && matches(r.recovered, f.recovered)
                && matches(r.probe_only, f.probe_only)
                && matches(r.system_caller, f.system_caller)
        })
        .unwrap_or(&RULES[RULES.len() - 1])
}

/// A decided verdict with its words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// The verdict-table row that decided it.
    pub rule: &'static str,
    /// Conclusion first, then next steps.
    pub advice: Vec<String>,
    /// The commands the advice prints, each runnable as printed.
    pub commands: Vec<String>,
}

/// Decides the verdict and renders its advice.
pub fn decide(f: &Facts<'_>) -> Decision {
    let r = rule(f);
    let acl = commands::acl(f.path, f.kind, f.registry_value);
    let acl_text = match &acl {
        Some(c) => c
            .iter()
            .map(|c| format!("`{c}`"))
            .collect::<Vec<_>>()
            .join(" and "),
        None => "(no shell command can address this path safely; use the GUI)".to_string(),
    };
    let letter = commands::drive_letter(f.path).unwrap_or('C').to_string();
    let fill = |t: &str| {
        t.replace("{who}", f.who)
            .replace("{path_ps}", &commands::ps_quote(f.path))
            .replace("{path}", f.path)
            .replace("{acl}", &acl_text)
            .replace("{letter}", &letter)
    };
    let mut advice = vec![fill(r.conclusion)];
    advice.extend(r.steps.iter().map(|s| fill(s)));
    let mut cmds: Vec<String> = Vec::new();
    for step in &advice[1..] {
        for c in commands::quoted(step) {
            if !cmds.contains(&c) {
                cmds.push(c);
            }
        }
    }
    Decision {
        verdict: r.verdict,
        rule: r.id,
        advice,
        commands: cmds,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_known_messages_fit_a_paths_bits() {
        assert!(known_messages().count() <= 32);
    }

    fn facts(e: &Example) -> Facts<'static> {
        Facts {
            path: e.0,
            kind: e.1,
            status: e.2,
            writes: e.3,
            recovered: e.4,
            probe_only: e.5,
            system_caller: e.6,
            registry_value: false,
            who: "x.exe",
            messages: &[],
        }
    }

    /// A row's example, with the row's known message logged.
    fn facts_of(r: &'static Rule) -> Facts<'static> {
        Facts {
            messages: match r.message {
                Some(m) => std::slice::from_ref(
                    RULES
                        .iter()
                        .find_map(|x| x.message.as_ref().filter(|x| **x == m))
                        .unwrap(),
                ),
                None => &[],
            },
            ..facts(&r.example)
        }
    }

    #[test]
    fn every_row_is_selected_by_its_example() {
        for r in RULES {
            assert_eq!(rule(&facts_of(r)).id, r.id, "row {}", r.id);
            // A message row never holds without its message.
            if r.message.is_some() {
                assert_ne!(rule(&facts(&r.example)).id, r.id, "row {}", r.id);
            }
        }
        let mut ids: Vec<&str> = RULES.iter().map(|r| r.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len(), "row ids are unique");
    }

    #[test]
    fn a_read_never_gets_write_advice() {
        for r in RULES.iter().filter(|r| r.writes != Some(true)) {
            let mut f = facts(&r.example);
            f.writes = false;
            let d = decide(&f);
            let text = d.advice.join(" ");
            assert!(!text.contains("Full Control"), "{}: {text}", r.id);
            assert!(!text.contains("needs write access"), "{}: {text}", r.id);
        }
    }

    fn by_id(id: &str) -> &'static Rule {
        RULES.iter().find(|r| r.id == id).unwrap()
    }

    #[test]
    fn shadow_copies_are_read_only_snapshots_however_spelt() {
        for p in [
            "\\Device\\HarddiskVolumeShadowCopy9\\Windows\\System32\\config\\SYSTEM",
            "GLOBALROOT\\Device\\HarddiskVolumeShadowCopy10\\WINDOWS\\System32\\config\\DRIVERS",
        ] {
            assert_eq!(path_class(p, PathKind::File), PathClass::ShadowCopy, "{p}");
        }
        assert_eq!(
            path_class("C:\\Device\\notes.txt", PathKind::File),
            PathClass::File
        );
        let d = decide(&facts(&by_id("shadow-copy").example));
        assert_eq!(d.verdict, Verdict::ByDesign);
        assert!(d.advice[0].contains("read-only snapshot"));
    }

    #[test]
    fn by_design_for_callers_that_are_not_system_only() {
        let mut f = facts(&by_id("system-only-key").example);
        assert_eq!(decide(&f).verdict, Verdict::ByDesign);
        f.system_caller = true;
        assert_ne!(
            decide(&f).verdict,
            Verdict::ByDesign,
            "SYSTEM may read SECURITY"
        );
        assert_eq!(
            path_class("HKLM\\SAMPLES", PathKind::Registry),
            PathClass::Registry
        );
        assert_eq!(
            path_class("HKLM\\SAM\\SAM\\Domains\\Account", PathKind::Registry),
            PathClass::SystemOnlyKey
        );
    }

    #[test]
    fn write_protect_names_the_usual_suspects_first_line_first() {
        let d = decide(&facts(&by_id("write-protected").example));
        assert!(d.advice[0].starts_with("Write-protected"));
        for c in [
            "fltmc filters",
            "uwfmgr get-config",
            "IsReadOnly",
            "dism /Get-MountedImageInfo",
            "RDVDenyWriteAccess",
        ] {
            assert!(d.advice.iter().any(|a| a.contains(c)), "{c}");
        }
        assert!(d.commands.iter().any(|c| c == "uwfmgr get-config"));
    }

    #[test]
    fn the_conclusion_comes_before_the_steps() {
        for r in RULES {
            let d = decide(&facts_of(r));
            assert_eq!(d.rule, r.id);
            assert_eq!(d.advice.len(), 1 + r.steps.len());
            assert!(!d.advice[0].contains('{'), "{}: {}", r.id, d.advice[0]);
        }
    }
}
