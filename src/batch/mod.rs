//! Ticket batches: one run over a folder of collected tickets (one folder or archive
//! per case), and the fleet summary of the paths that keep coming back.
//!
//! Each ticket is scanned alone, as a single-ticket run would scan it, and becomes a
//! [`Block`]: the JSONL lines of its findings, notes, failed inputs and its summary
//! line, each tagged with the ticket id. Everything else is computed from blocks
//! alone, so a batch resumed from saved blocks ([`resume`]) and shard outputs
//! recombined by `culprit merge` ([`merge`]) give the same bytes as one run:
//! [`fleet::Fleet`] ranks paths by how many tickets they appear in, [`render`] writes
//! every format.

pub mod fleet;
pub mod merge;
pub mod render;
pub mod resume;
pub mod shard;
pub mod ticket;

/// One ticket's result: its JSONL lines, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The ticket id: the name of the folder or archive in the batch folder.
    pub id: String,
    /// JSONL lines (no newline), each an object with `type`, `schema_version` and
    /// `ticket`; the last one is the `ticket` summary line.
    pub lines: Vec<String>,
}

impl Block {
    /// The lines parsed back (what the fleet summary and the non-JSONL formats read).
    pub fn values(&self) -> Vec<serde_json::Value> {
        self.lines
            .iter()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }
}
