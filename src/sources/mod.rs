//! Log sources. Each parser depends only on the event model, the filter and the code
//! tables; none knows about flags or terminals.

pub mod archive;
pub mod chunks;
pub mod open;
pub mod pml;
pub mod pml_event;
pub mod pml_names;
pub mod prefilter;
pub mod procmon_csv;
pub mod procmon_xml;
pub mod record;
pub mod recovery;
