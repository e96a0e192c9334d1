//! `culprit merge`: shard outputs (JSONL) recombined into the output one run over
//! the whole batch gives, byte for byte: the tickets' blocks in ticket order, then
//! the fleet summary computed again over all of them.

use std::collections::BTreeMap;
use std::io::BufRead;
use std::path::{Path, PathBuf};

use super::Block;
use super::render::Head;

/// Why parts cannot be merged, with the file and line.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    #[error("{path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: not a culprit batch JSONL line ({why})")]
    Line {
        path: PathBuf,
        line: u64,
        why: String,
    },
    #[error("ticket {ticket:?} is in both {first} and {second}: shards must not overlap")]
    Twice {
        ticket: String,
        first: String,
        second: String,
    },
    #[error("{path}: made with other filters or another culprit version than {first}")]
    Mixed { path: PathBuf, first: String },
    #[error("{path}: ends before its `batch` line (a shard cut short?)")]
    Unfinished { path: PathBuf },
}

/// The parts' tickets, in ticket order, and their common head.
pub fn read_parts(paths: &[PathBuf]) -> Result<(Head, Vec<Block>), MergeError> {
    let mut head: Option<(Head, PathBuf)> = None;
    let mut blocks: BTreeMap<String, (Block, PathBuf)> = BTreeMap::new();
    for path in paths {
        let (h, part) = read_part(path)?;
        match &head {
            None => head = Some((h, path.clone())),
            Some((first, at)) if *first != h => {
                return Err(MergeError::Mixed {
                    path: path.clone(),
                    first: at.display().to_string(),
                });
            }
            Some(_) => {}
        }
        for b in part {
            if let Some((_, at)) = blocks.get(&b.id) {
                return Err(MergeError::Twice {
                    ticket: b.id,
                    first: at.display().to_string(),
                    second: path.display().to_string(),
                });
            }
            blocks.insert(b.id.clone(), (b, path.clone()));
        }
    }
    let head = head.map(|(h, _)| h).unwrap_or(Head {
        tool: serde_json::Value::Null,
        filters: serde_json::Value::Null,
    });
    Ok((head, blocks.into_values().map(|(b, _)| b).collect()))
}

/// One part: its head (from its `batch` line) and its blocks.
fn read_part(path: &Path) -> Result<(Head, Vec<Block>), MergeError> {
    let read = |source| MergeError::Read {
        path: path.to_path_buf(),
        source,
    };
    let file = std::fs::File::open(path).map_err(read)?;
    let mut blocks: Vec<Block> = Vec::new();
    let mut head = None;
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line.map_err(read)?;
        let bad = |why: &str| MergeError::Line {
            path: path.to_path_buf(),
            line: n as u64 + 1,
            why: why.to_string(),
        };
        let v: serde_json::Value = serde_json::from_str(&line).map_err(|e| bad(&e.to_string()))?;
        if v["schema_version"] != crate::report::SCHEMA_VERSION {
            return Err(bad("another schema version"));
        }
        match v["type"].as_str() {
            Some("finding" | "context" | "note" | "input" | "ticket") => {
                let id = v["ticket"].as_str().ok_or_else(|| bad("no ticket"))?;
                match blocks.last_mut() {
                    Some(b)
                        if b.id == id
                            && !b
                                .lines
                                .last()
                                .is_some_and(|l| l.contains("\"type\":\"ticket\"")) =>
                    {
                        b.lines.push(line)
                    }
                    _ => blocks.push(Block {
                        id: id.to_string(),
                        lines: vec![line],
                    }),
                }
            }
            Some("fleet") => {}
            Some("batch") => {
                head = Some(Head {
                    tool: v["tool"].clone(),
                    filters: v["filters"].clone(),
                })
            }
            _ => return Err(bad("unknown type")),
        }
    }
    let head = head.ok_or_else(|| MergeError::Unfinished {
        path: path.to_path_buf(),
    })?;
    Ok((head, blocks))
}
