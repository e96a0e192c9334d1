//! `--out-dir DIR`: each finished ticket's block is written there atomically (a
//! temporary file renamed into place) as soon as it completes, and a rerun reuses
//! the blocks whose ticket has not changed (same [`super::ticket::fingerprint`]).
//! A batch killed at ticket 7,000 of 10,000 resumes where it stopped, and gives the
//! output an uninterrupted run gives.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Block;

/// The file holding ticket `id`'s block: its id made safe as one file name.
pub fn file_of(dir: &Path, id: &str) -> PathBuf {
    let safe: String = id
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || "-_.+=@,".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // Two ids that make the same safe name stay apart by the hash of the id.
    dir.join(format!(
        "{safe}.{:08x}.jsonl",
        super::shard::fnv1a(id.as_bytes()) as u32
    ))
}

/// The saved block of ticket `id`, when there is one and it was made from the same
/// input (`fingerprint`). Anything else (absent, cut short, another fingerprint)
/// is `None`: the ticket is scanned again.
pub fn load(dir: &Path, id: &str, fingerprint: &str) -> Option<Block> {
    let text = std::fs::read_to_string(file_of(dir, id)).ok()?;
    let lines: Vec<String> = text.lines().map(str::to_string).collect();
    let last: serde_json::Value = serde_json::from_str(lines.last()?).ok()?;
    let whole = text.ends_with('\n')
        && last["type"] == "ticket"
        && last["ticket"] == id
        && last["fingerprint"] == fingerprint;
    whole.then(|| Block {
        id: id.to_string(),
        lines,
    })
}

/// Writes a block atomically: a temporary file in `dir`, flushed and synced, then
/// renamed over the final name.
pub fn save(dir: &Path, block: &Block) -> std::io::Result<()> {
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    for l in &block.lines {
        writeln!(tmp, "{l}")?;
    }
    tmp.as_file().sync_all()?;
    tmp.persist(file_of(dir, &block.id))
        .map(|_| ())
        .map_err(|e| e.error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_block_is_reused_only_whole_and_unchanged() {
        let dir = tempfile::tempdir().unwrap();
        let b = Block {
            id: "PC 01/x".into(),
            lines: vec![
                r#"{"type":"finding","ticket":"PC 01/x"}"#.into(),
                r#"{"type":"ticket","ticket":"PC 01/x","fingerprint":"ab"}"#.into(),
            ],
        };
        assert_eq!(load(dir.path(), &b.id, "ab"), None, "nothing saved yet");
        save(dir.path(), &b).unwrap();
        assert_eq!(load(dir.path(), &b.id, "ab"), Some(b.clone()));
        assert_eq!(load(dir.path(), &b.id, "cd"), None, "the ticket changed");
        // A file cut short (no summary line at its end) is not reused.
        let f = file_of(dir.path(), &b.id);
        assert!(
            f.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("PC_01_x.")
        );
        std::fs::write(&f, format!("{}\n", b.lines[0])).unwrap();
        assert_eq!(load(dir.path(), &b.id, "ab"), None);
        assert_ne!(file_of(dir.path(), "a/b"), file_of(dir.path(), "a_b"));
    }
}
