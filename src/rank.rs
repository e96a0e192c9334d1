//! Pinpointing: from per-path aggregates to ranked findings with their evidence.
//!
//! Every point of a score comes from a documented factor, and every finding carries
//! its factors, so the order can be explained (README, "Ranking").

use serde::Serialize;

use std::collections::{HashMap, HashSet};

use crate::aggregate::{Occurrence, PathAgg};
use crate::codes::{self, StatusClass};
use crate::context::{self, ExitContext, ExitRef};
use crate::pathnorm::PathKind;
use crate::scan::ScanOutcome;
use crate::verdict::{self, Facts, Verdict};

/// Points for the most severe status seen on the path.
pub fn status_points(c: StatusClass) -> u32 {
    match c {
        StatusClass::WriteProtect => 40,
        StatusClass::Denied => 30,
        StatusClass::Privilege => 25,
        StatusClass::CannotDelete => 20,
        StatusClass::Sharing => 15,
        StatusClass::Unrepairable => 30,
        StatusClass::Other => 10,
    }
}
/// Points when at least one failed operation asked to write.
pub const WRITE_POINTS: u32 = 25;
/// Points when at least one failure was never followed by a SUCCESS of the same
/// process, path and operation.
pub const UNRECOVERED_POINTS: u32 = 25;
/// Cap of the volume factor (2 points per doubling of the count).
pub const VOLUME_MAX: u32 = 10;
/// Cap of the spread factor (5 points per extra process and per extra input).
pub const SPREAD_MAX: u32 = 10;
/// Points per extra source family that reports the same path (a Procmon capture and
/// an event log agreeing on one path are independent witnesses).
pub const AGREEMENT_POINTS: u32 = 15;

/// The score of a path, factor by factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Factors {
    pub status: u32,
    pub write_intent: u32,
    pub unrecovered: u32,
    pub volume: u32,
    pub spread: u32,
    /// A watched process exited with a failure code after this path's last
    /// unrecovered failure ([`context::EXIT_MATCH_POINTS`], [`context::EXIT_OTHER_POINTS`]).
    pub exit_link: u32,
    /// More than one source family (Procmon, event logs) reported the path
    /// ([`AGREEMENT_POINTS`] per extra family).
    pub agreement: u32,
}

impl Factors {
    pub fn total(&self) -> u32 {
        self.status
            + self.write_intent
            + self.unrecovered
            + self.volume
            + self.spread
            + self.exit_link
            + self.agreement
    }
}

/// Ranked findings plus the ticket context beside them.
#[derive(Debug, Clone)]
pub struct Ranked {
    pub findings: Vec<Finding>,
    pub context: Vec<ExitContext>,
    /// Pathless evidence (RDP disconnects, refused privileges, failed services).
    pub notes: Vec<crate::notes::NoteContext>,
}

/// A name and how often it was seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Count {
    pub name: String,
    pub count: u64,
}

/// One decoded status on a path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StatusCount {
    pub class: StatusClass,
    /// `0xC0000022`.
    pub code: String,
    /// The NTSTATUS/Win32/HRESULT name (`STATUS_ACCESS_DENIED`), if the tables have one.
    pub name: Option<String>,
    /// How Procmon prints it (`ACCESS DENIED`).
    pub result: String,
    pub count: u64,
}

/// Where a path was first or last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Seen {
    /// The time as logged.
    pub time: String,
    /// ISO-8601 local time when the log gave a date.
    pub date_time: Option<String>,
    pub input: String,
    pub line: u64,
}

/// One raw record kept as evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Evidence {
    pub input: String,
    pub line: u64,
    pub time: String,
    pub process: String,
    pub pid: Option<u32>,
    pub operation: String,
    pub path: String,
    pub result: String,
    pub detail: String,
}

/// A ranked offending path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rank: usize,
    pub score: u32,
    pub factors: Factors,
    /// The path, in its most common spelling.
    pub path: String,
    /// The grouping key (case-folded, prefixes canonical).
    pub key: String,
    pub kind: PathKind,
    pub count: u64,
    pub unrecovered: u64,
    pub write_intent: u64,
    pub statuses: Vec<StatusCount>,
    pub processes: Vec<Count>,
    pub operations: Vec<Count>,
    pub sources: Vec<Count>,
    /// The source families that reported it (`procmon`, `evtx`).
    pub families: Vec<crate::model::Family>,
    pub first_seen: Seen,
    pub last_seen: Seen,
    pub samples: Vec<Evidence>,
    /// What the evidence says (README, "Verdicts").
    pub verdict: Verdict,
    /// The verdict-table row that decided it.
    pub rule: &'static str,
    /// The conclusion first, then next steps.
    pub advice: Vec<String>,
    /// The commands the advice prints, each runnable as printed (PowerShell).
    pub commands: Vec<String>,
    /// Process exits linked to this path (ticket context).
    pub exits: Vec<ExitRef>,
}

fn volume_points(count: u64) -> u32 {
    (2 * (63 - count.max(1).leading_zeros())).min(VOLUME_MAX)
}

/// A code's name in its table, or for an HRESULT that wraps a Win32 error the name
/// `HRESULT_FROM_WIN32(ERROR_…)` (the HRESULT table names few of them).
fn status_name(code: crate::codes::Code) -> Option<String> {
    code.name().map(str::to_string).or_else(|| {
        (code.space == crate::codes::Space::HResult && code.value >> 16 == 0x8007)
            .then_some(crate::codes::Code {
                space: crate::codes::Space::Win32,
                value: code.value & 0xFFFF,
            })
            .and_then(|w| w.name())
            .map(|n| format!("HRESULT_FROM_WIN32({n})"))
    })
}

/// Computes the factors of one path.
pub fn factors(p: &PathAgg) -> Factors {
    let worst = p.classes.iter().map(status_points).max().unwrap_or(0);
    // Inputs of another source family count under `agreement`, not twice.
    let families = p.families.len().max(1);
    let extra_inputs = p.inputs.len().max(1).saturating_sub(families);
    let extra = (p.processes.len().max(1) - 1 + extra_inputs) as u32;
    Factors {
        status: worst,
        write_intent: if p.write_intent > 0 { WRITE_POINTS } else { 0 },
        unrecovered: if p.unrecovered > 0 {
            UNRECOVERED_POINTS
        } else {
            0
        },
        volume: volume_points(p.count),
        spread: (5 * extra).min(SPREAD_MAX),
        exit_link: 0,
        agreement: AGREEMENT_POINTS * (p.families.len().max(1) as u32 - 1),
    }
}

fn sorted_counts(it: impl Iterator<Item = (String, u64)>) -> Vec<Count> {
    let mut v: Vec<Count> = it.map(|(name, count)| Count { name, count }).collect();
    v.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    v
}

/// One path on its way to a rank.
/// What orders one path (its factors are worked out again for the paths shown: a
/// capture may hold hundreds of thousands).
struct Scored<'a> {
    total: u32,
    /// (input, line) of the last occurrence.
    last: (u32, u64),
    key: &'a str,
    agg: &'a PathAgg,
    verdict: Verdict,
}

/// The verdict of one path, from its aggregate.
pub fn decide(p: &PathAgg) -> verdict::Decision {
    with_facts(p, verdict::decide)
}

/// The verdict-table row of one path, without rendering its advice (every path needs
/// its verdict to be ranked; only the shown ones need words).
fn verdict_of(p: &PathAgg) -> Verdict {
    with_facts(p, |f| verdict::rule(f).verdict)
}

fn with_facts<T>(p: &PathAgg, f: impl FnOnce(&Facts<'_>) -> T) -> T {
    let who = p
        .processes
        .values()
        .max_by(|a, b| a.1.cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
        .map_or("the process", |(d, _)| &**d);
    let path = p.display();
    let messages = p.messages();
    f(&Facts {
        path,
        kind: p.kind.unwrap_or(PathKind::Other),
        // The most severe class (classes order by severity).
        status: p.classes.iter().next().unwrap_or(StatusClass::Other),
        writes: p.write_intent > 0,
        recovered: p.unrecovered == 0,
        probe_only: p.count > 0 && p.probes == p.count,
        system_caller: !p.processes.is_empty()
            && p.processes
                .keys()
                .all(|k| verdict::RUNS_AS_SYSTEM.contains(&&**k)),
        registry_value: !p.operations.is_empty()
            && p.operations.keys().all(|op| {
                crate::commands::VALUE_OPERATIONS
                    .iter()
                    .any(|v| v.eq_ignore_ascii_case(op))
            }),
        who,
        messages: &messages,
    })
}

/// Ranks every offending path; `top` = 0 keeps them all.
pub fn rank(outcome: &ScanOutcome, top: usize) -> Ranked {
    let input_name = |i: u32| {
        outcome
            .inputs
            .get(i as usize)
            .map(|s| s.path.clone())
            .unwrap_or_default()
    };
    let seen = |o: &Option<Occurrence>| {
        let o = o.as_ref();
        Seen {
            time: o.map(|o| o.time.text.to_string()).unwrap_or_default(),
            date_time: o.and_then(|o| o.time.iso_local()),
            input: o.map(|o| input_name(o.input)).unwrap_or_default(),
            line: o.map_or(0, |o| o.line),
        }
    };
    let agg = &outcome.aggregate;
    let mut scored: Vec<Scored<'_>> = agg
        .paths
        .iter()
        .map(|(k, p)| Scored {
            total: factors(p).total(),
            last: p.last.as_ref().map_or((0, 0), |o| (o.input, o.line)),
            key: k,
            agg: p,
            verdict: verdict_of(p),
        })
        .collect();
    // Exits are linked to no by-design refusal (a set of those alone: no map of
    // every path's verdict).
    let by_design: HashSet<&str> = scored
        .iter()
        .filter(|s| s.verdict == Verdict::ByDesign)
        .map(|s| s.key)
        .collect();
    let exit_links = context::link_exits(agg, &|k| by_design.contains(k));
    if !exit_links.by_path.is_empty() {
        for s in &mut scored {
            s.total += exit_links.by_path.get(s.key).map_or(0, |e| e.0);
        }
    }
    // By-design refusals after every other finding; then score, unrecovered, count,
    // the later last occurrence (closest to where the job failed), and the key, so
    // the order is total and runs diff clean.
    // The key ends the order (distinct): an unstable sort is as deterministic and
    // needs no buffer.
    scored.sort_unstable_by(|a, b| {
        a.verdict
            .tier()
            .cmp(&b.verdict.tier())
            .then(b.total.cmp(&a.total))
            .then(b.agg.unrecovered.cmp(&a.agg.unrecovered))
            .then(b.agg.count.cmp(&a.agg.count))
            .then(b.last.cmp(&a.last))
            .then(a.key.cmp(b.key))
    });
    let keep = if top == 0 {
        scored.len()
    } else {
        top.min(scored.len())
    };
    let rank_of: HashMap<&str, usize> = scored
        .iter()
        .take(keep)
        .enumerate()
        .map(|(i, s)| (s.key, i + 1))
        .collect();
    let context = exit_links
        .exits
        .iter()
        .map(|(exit, decoded, linked)| {
            let links: Vec<context::Link> = linked
                .iter()
                .map(|&(key, process, lf)| {
                    let mut l = context::link(exit, agg.paths[key].display(), key, process, lf);
                    l.rank = rank_of.get(key).copied();
                    l
                })
                .collect();
            ExitContext {
                kind: "process-exit",
                process: exit.process.clone(),
                pid: exit.pid,
                time: exit.time.text.to_string(),
                date_time: exit.time.iso_local(),
                input: input_name(exit.input),
                line: exit.line,
                summary: context::summary(exit, decoded, &links),
                exit: decoded.clone(),
                linked: links,
            }
        })
        .collect();
    let findings = scored
        .into_iter()
        .take(keep)
        .enumerate()
        .map(|(i, sc)| {
            let Scored { key, agg: p, .. } = sc;
            let mut f = factors(p);
            f.exit_link = exit_links.by_path.get(key).map_or(0, |e| e.0);
            let decision = decide(p);
            let mut statuses: Vec<StatusCount> = p
                .codes
                .iter()
                .map(|((class, code), &count)| StatusCount {
                    class: *class,
                    code: code.hex(),
                    name: status_name(*code),
                    result: codes::procmon_render(code.value),
                    count,
                })
                .collect();
            statuses.sort_by(|a, b| {
                a.class
                    .cmp(&b.class)
                    .then(b.count.cmp(&a.count))
                    .then(a.code.cmp(&b.code))
            });
            let kind = p.kind.unwrap_or(PathKind::Other);
            let path = p.display().to_string();
            let processes = sorted_counts(p.processes.values().map(|(d, n)| (d.to_string(), *n)));
            Finding {
                rank: i + 1,
                score: f.total(),
                factors: f,
                key: key.to_string(),
                kind,
                count: p.count,
                unrecovered: p.unrecovered,
                write_intent: p.write_intent,
                statuses,
                processes,
                operations: sorted_counts(p.operations.iter().map(|(k, v)| (k.to_string(), *v))),
                sources: sorted_counts(p.inputs.iter().map(|(k, v)| (input_name(*k), *v))),
                families: p.families.iter().collect(),
                first_seen: seen(&p.first),
                last_seen: seen(&p.last),
                samples: p
                    .samples
                    .iter()
                    .map(|s| Evidence {
                        input: input_name(s.input),
                        line: s.line,
                        time: s.time.text.to_string(),
                        process: s.process.to_string(),
                        pid: s.pid,
                        operation: s.operation.to_string(),
                        path: s.path.to_string(),
                        result: s.result.to_string(),
                        detail: s.detail.to_string(),
                    })
                    .collect(),
                verdict: decision.verdict,
                rule: decision.rule,
                advice: decision.advice,
                commands: decision.commands,
                exits: exit_links
                    .by_path
                    .get(key)
                    .map(|e| e.1.clone())
                    .unwrap_or_default(),
                path,
            }
        })
        .collect();
    let names: Vec<String> = outcome.inputs.iter().map(|s| s.path.clone()).collect();
    let notes = crate::notes::notes(agg, &names);
    Ranked {
        findings,
        context,
        notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn volume_grows_by_doubling_and_caps() {
        let v: Vec<u32> = [1, 2, 3, 4, 8, 16, 32, 1_000_000]
            .iter()
            .map(|&c| volume_points(c))
            .collect();
        assert_eq!(v, vec![0, 2, 2, 4, 6, 8, 10, 10]);
    }

    #[test]
    fn write_protect_outranks_denied() {
        assert!(status_points(StatusClass::WriteProtect) > status_points(StatusClass::Denied));
        assert!(status_points(StatusClass::Denied) > status_points(StatusClass::Sharing));
    }
}
