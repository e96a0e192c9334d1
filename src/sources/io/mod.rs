//! I/O every source family shares: open a file, an archive member or a pipe
//! ([`open`], [`archive`]), split decoded text into parallel chunks ([`chunks`]),
//! find candidate lines by literal search ([`prefilter`]), and cap what compressed
//! inputs expand to ([`limit`]).

pub mod archive;
pub mod chunks;
pub mod guard;
pub mod limit;
pub mod open;
pub mod prefilter;
