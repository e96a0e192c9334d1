//! The fleet summary: across tickets, the paths that keep coming back, ranked by how
//! many tickets they appear in. The recurring culprit of a bad image or a bad policy
//! stands out at the top. Built from blocks alone (a run, a resumed run and a merge
//! of shard outputs agree).
//!
//! A path counts in a ticket when it is among that ticket's reported findings (its top
//! N) with a verdict that can be a cause: `recovered` and `by-design` findings are
//! logged on healthy machines and would bury the signal.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

/// Verdicts that never make a path recur in the fleet summary.
pub const NOT_A_CAUSE: &[&str] = &["recovered", "by-design"];

/// One path of the fleet summary.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FleetPath {
    pub rank: usize,
    /// The path as the first ticket (by id) spells it.
    pub path: String,
    /// The grouping key (case-folded), as in a ticket's findings.
    pub key: String,
    /// How many tickets report it.
    pub ticket_count: usize,
    /// Those tickets, by id.
    pub tickets: Vec<String>,
    /// Verdicts given to it, and in how many tickets.
    pub verdicts: BTreeMap<String, usize>,
    /// Its highest score in any ticket.
    pub best_score: u64,
}

impl FleetPath {
    /// Its verdicts as `write-denied ×2, write-protected ×1`.
    pub fn verdict_list(&self) -> String {
        self.verdicts
            .iter()
            .map(|(v, n)| format!("{v} ×{n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Totals over the batch.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BatchSummary {
    pub tickets: usize,
    /// Tickets by status (`ok`, `failed`, `no-logs`).
    pub ok: usize,
    pub failed: usize,
    pub no_logs: usize,
    /// Tickets with at least one finding.
    pub with_findings: usize,
    /// Distinct paths in the fleet summary.
    pub paths: usize,
}

/// Accumulates blocks (in any order), then ranks.
#[derive(Debug, Default)]
pub struct Fleet {
    paths: BTreeMap<String, Acc>,
    summary: BatchSummary,
}

#[derive(Debug, Default)]
struct Acc {
    /// (ticket id, spelling) of every ticket reporting it.
    seen: Vec<(String, String)>,
    verdicts: BTreeMap<String, usize>,
    best: u64,
}

impl Fleet {
    /// Folds one ticket in: its id and its block's lines, parsed ([`super::Block::values`]).
    pub fn add(&mut self, id: &str, values: &[Value]) {
        let mut has_findings = false;
        for v in values {
            match v["type"].as_str() {
                Some("finding") => {
                    has_findings = true;
                    let verdict = v["verdict"].as_str().unwrap_or("");
                    if NOT_A_CAUSE.contains(&verdict) {
                        continue;
                    }
                    let (Some(key), Some(path)) = (v["key"].as_str(), v["path"].as_str()) else {
                        continue;
                    };
                    let a = self.paths.entry(key.to_string()).or_default();
                    if a.seen.iter().any(|(t, _)| t == id) {
                        continue;
                    }
                    a.seen.push((id.to_string(), path.to_string()));
                    *a.verdicts.entry(verdict.to_string()).or_default() += 1;
                    a.best = a.best.max(v["score"].as_u64().unwrap_or(0));
                }
                Some("ticket") => {
                    self.summary.tickets += 1;
                    match v["status"].as_str() {
                        Some("ok") => self.summary.ok += 1,
                        Some("no-logs") => self.summary.no_logs += 1,
                        _ => self.summary.failed += 1,
                    }
                }
                _ => {}
            }
        }
        if has_findings {
            self.summary.with_findings += 1;
        }
    }

    /// The ranked paths (most tickets first, then best score, then key) and the totals.
    pub fn finish(self) -> (Vec<FleetPath>, BatchSummary) {
        let mut summary = self.summary;
        let mut out: Vec<FleetPath> = self
            .paths
            .into_iter()
            .map(|(key, mut a)| {
                a.seen.sort();
                FleetPath {
                    rank: 0,
                    path: a.seen[0].1.clone(),
                    key,
                    ticket_count: a.seen.len(),
                    tickets: a.seen.into_iter().map(|(t, _)| t).collect(),
                    verdicts: a.verdicts,
                    best_score: a.best,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            b.ticket_count
                .cmp(&a.ticket_count)
                .then(b.best_score.cmp(&a.best_score))
                .then(a.key.cmp(&b.key))
        });
        for (i, p) in out.iter_mut().enumerate() {
            p.rank = i + 1;
        }
        summary.paths = out.len();
        (out, summary)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Block;
    use super::*;

    fn block(id: &str, findings: &[(&str, &str, u64)], status: &str) -> Block {
        let mut lines: Vec<String> = findings
            .iter()
            .map(|(path, verdict, score)| {
                serde_json::json!({"type": "finding", "ticket": id, "path": path,
                    "key": path.to_lowercase(), "verdict": verdict, "score": score})
                .to_string()
            })
            .collect();
        lines.push(
            serde_json::json!({"type": "ticket", "ticket": id, "status": status}).to_string(),
        );
        Block {
            id: id.into(),
            lines,
        }
    }

    #[test]
    fn recurring_paths_rank_by_tickets_whatever_the_order_blocks_come_in() {
        let blocks = [
            block(
                "t1",
                &[("C:\\A", "write-denied", 80), ("C:\\B", "write-denied", 90)],
                "ok",
            ),
            block("t2", &[("c:\\a", "write-protected", 120)], "ok"),
            block(
                "t3",
                &[
                    ("C:\\A", "write-denied", 70),
                    ("HKLM\\SAM", "by-design", 50),
                ],
                "failed",
            ),
            block("t4", &[], "no-logs"),
        ];
        let run = |order: &[usize]| {
            let mut f = Fleet::default();
            for &i in order {
                f.add(&blocks[i].id, &blocks[i].values());
            }
            f.finish()
        };
        let (paths, summary) = run(&[0, 1, 2, 3]);
        assert_eq!(run(&[3, 2, 1, 0]), (paths.clone(), summary.clone()));
        assert_eq!(paths.len(), 2, "by-design never recurs");
        assert_eq!(paths[0].key, "c:\\a");
        assert_eq!(paths[0].path, "C:\\A", "the first ticket's spelling");
        assert_eq!(paths[0].tickets, ["t1", "t2", "t3"]);
        assert_eq!(paths[0].verdicts["write-denied"], 2);
        assert_eq!(paths[0].best_score, 120);
        assert_eq!((paths[1].rank, paths[1].ticket_count), (2, 1));
        assert_eq!(
            summary,
            BatchSummary {
                tickets: 4,
                ok: 2,
                failed: 1,
                no_logs: 1,
                with_findings: 3,
                paths: 2
            }
        );
    }
}
