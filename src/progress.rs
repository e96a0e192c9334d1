//! Progress reporting hook. The library reports bytes; the CLI decides how to draw.

/// Receives progress from scans. Implementations must be cheap and thread-safe.
pub trait Progress: Sync {
    /// More work became known (bytes).
    fn add_total(&self, _bytes: u64) {}
    /// Work done (bytes).
    fn advance(&self, _bytes: u64) {}
    /// A message for the user (stderr), printed without tearing the bar.
    fn message(&self, _text: &str) {}
}

/// A progress sink that ignores everything.
pub struct NoProgress;

impl Progress for NoProgress {}
