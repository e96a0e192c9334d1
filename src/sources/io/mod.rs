//! I/O every source family shares: open a file, an archive member or a pipe
//! ([`open`], [`archive`]), split decoded text into parallel chunks ([`chunks`]),
//! and find candidate lines by literal search ([`prefilter`]).

pub mod archive;
pub mod chunks;
pub mod open;
pub mod prefilter;
