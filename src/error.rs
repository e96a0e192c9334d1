//! Library errors. Every variant names the input, and the line or byte offset where
//! one applies, so a message alone tells the analyst where to look.

use std::io;
use std::path::PathBuf;

/// Why one input could not be read (completely).
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The file could not be opened or mapped.
    #[error("{}: {source}", path.display())]
    Open { path: PathBuf, source: io::Error },
    /// Reading (or decompressing) failed part-way; what came before was kept.
    #[error("{}: read failed after line {line} (byte {offset} of the decoded text): {source}", path.display())]
    Read {
        path: PathBuf,
        line: u64,
        offset: u64,
        source: io::Error,
    },
    /// The header is a Procmon header but lacks a column culprit needs.
    #[error("{}: line 1: Procmon CSV header has no \"{column}\" column (columns: {found})", path.display())]
    MissingColumn {
        path: PathBuf,
        column: &'static str,
        found: String,
    },
    /// The file is damaged from `offset` on; what came before it was read.
    #[error("{}: damaged at byte {offset}: {why}", path.display())]
    Corrupt {
        path: PathBuf,
        offset: u64,
        why: String,
    },
    /// A log culprit recognises but cannot read (an unsupported version).
    #[error("{}: unsupported {why}", path.display())]
    Unsupported { path: PathBuf, why: String },
    /// A file named on the command line is not a log culprit reads.
    #[error("{}: not a recognised log: {why}", path.display())]
    Unrecognised { path: PathBuf, why: String },
}

/// Result alias for source operations.
pub type Result<T> = std::result::Result<T, SourceError>;
