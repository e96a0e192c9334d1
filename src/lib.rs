//! culprit: pinpoint the paths that refused a write.
//!
//! Reads the logs of a Windows support ticket (Procmon CSV exports today), keeps the
//! access-denied and write-protect failures of the processes that matter, and ranks the
//! offending paths with their evidence. The binary (`src/main.rs`) is a thin shell over
//! [`cli`]; everything else is usable as a library.

pub mod aggregate;
pub mod batch;
pub mod cli;
pub mod codes;
pub mod commands;
pub mod context;
pub mod discover;
pub mod error;
pub mod explain;
pub mod filter;
#[doc(hidden)]
pub mod fuzzing;
pub mod intent;
pub mod intern;
pub mod model;
pub mod notes;
pub mod pathnorm;
pub mod progress;
pub mod rank;
pub mod report;
pub mod scan;
pub mod sources;
#[doc(hidden)]
pub mod synth;
pub mod tally;
pub mod timefmt;
pub mod twins;
pub mod verdict;
