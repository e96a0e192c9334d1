//! Log sources, one folder per family, plus the I/O they share. Each parser depends
//! only on the event model, the filter and the code tables; none knows about flags or
//! terminals.
//!
//! - [`io`]: opening files, archives and pipes, text decoding, parallel chunks, the
//!   literal prefilter.
//! - [`procmon`]: Process Monitor captures (PML) and exports (CSV, XML).
//! - [`evtx`]: Windows event logs.
//! - [`servicing`]: CBS, DISM and setup text logs.
//! - [`msi`]: Windows Installer logs.
//!
//! Every format a family reads is one row of [`FORMATS`]: how to recognise it from the
//! first bytes of the (decompressed, decoded) input, and how to read it. Adding a
//! family is one folder and its rows there.

use std::path::Path;

use crate::aggregate::Aggregate;
use crate::error::SourceError;
use crate::filter::Filter;
use crate::model::Family;
use crate::progress::Progress;
use io::open::Opened;

pub mod evtx;
pub mod io;
pub mod msi;
pub mod procmon;
pub mod servicing;

/// Counters of one input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Records read (data lines after a CSV header, events, EVTX records).
    pub rows: u64,
    /// Records that could not be read (counted, skipped, the first one named).
    pub bad_rows: u64,
    /// Records kept by the filter.
    pub matches: u64,
    /// The first bad record: where (in the input's [`Origin`] unit) and why.
    pub first_bad: Option<(u64, String)>,
    /// Records with a selected status from processes outside the process filter
    /// (what `--all-processes` would add).
    pub others: u64,
}

/// The outcome of reading one file: what was read, and why it stopped if it did.
#[derive(Default)]
pub struct FileScan {
    pub agg: Aggregate,
    pub stats: Stats,
    pub error: Option<SourceError>,
}

/// How a format numbers its records: what "where" means in its reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// 1-based line of the decoded text (CSV, text logs).
    Line,
    /// 1-based event number (PML, Procmon XML).
    Event,
    /// The EVTX `EventRecordID` the log itself assigned.
    Record,
}

impl Origin {
    /// The word reports use (`line`, `event`, `record`).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Line => "line",
            Origin::Event => "event",
            Origin::Record => "record",
        }
    }
}

/// What is built once per scan and shared by every input.
pub struct Prepared<'f> {
    pub filter: &'f Filter,
    /// The Procmon CSV scanner (its prefilter is built once).
    pub procmon: procmon::csv::ProcmonCsv<'f>,
    /// What EVTX records are searched for before rendering.
    pub evtx: evtx::Needles,
    /// The code spellings servicing-log lines are found by.
    pub servicing: io::prefilter::Prefilter,
    /// The caps on what this scan's compressed inputs expand to, and their use.
    pub budget: std::sync::Arc<io::limit::Budget>,
}

impl<'f> Prepared<'f> {
    /// Everything the sources need for one scan with `filter`, CSV chunks of `chunk`
    /// bytes, compressed inputs capped by `limits`.
    pub fn new(filter: &'f Filter, chunk: usize, limits: io::limit::Limits) -> Prepared<'f> {
        Prepared {
            budget: io::limit::Budget::new(limits),
            filter,
            procmon: procmon::csv::ProcmonCsv::with_options(filter, chunk),
            evtx: evtx::Needles::new(filter),
            servicing: io::prefilter::Prefilter::new(&servicing::literals(filter)),
        }
    }
}

/// What reading one opened input needs besides its bytes.
pub struct Reading<'a> {
    /// How errors and reports name the input.
    pub name: &'a Path,
    /// Index of the input in the scan's sorted input list.
    pub index: u32,
    pub prepared: &'a Prepared<'a>,
    pub progress: &'a dyn Progress,
    /// Opens the same input again (the CSV recovery pass).
    pub reopen: &'a (dyn Fn() -> std::io::Result<Opened> + Sync),
}

impl Reading<'_> {
    pub fn filter(&self) -> &Filter {
        self.prepared.filter
    }

    /// Reads the whole decoded input as one slice (mapped, or spilled to an anonymous
    /// temporary file and mapped) with `scan`; a failure to get it is an open error
    /// naming the input.
    pub fn with_bytes(&self, opened: Opened, scan: impl FnOnce(&[u8]) -> FileScan) -> FileScan {
        match opened.into_bytes() {
            Ok(bytes) => scan(&bytes),
            Err(source) => FileScan {
                error: Some(SourceError::Open {
                    path: self.name.to_path_buf(),
                    source,
                }),
                ..FileScan::default()
            },
        }
    }
}

/// One format a source family reads.
pub struct Format {
    /// The `kind` reports give its inputs (`procmon-csv`, `evtx`).
    pub kind: &'static str,
    pub family: Family,
    /// How its reports number records.
    pub origin: Origin,
    /// Whether an input is of this format, from its first (decoded) bytes.
    pub recognise: fn(&[u8]) -> bool,
    /// Reads it.
    pub read: fn(Opened, &Reading<'_>) -> FileScan,
}

/// Every format culprit reads, in the order they are tried (most specific first: a
/// CSV header is recognised last, as it is the loosest test).
pub static FORMATS: &[Format] = &[
    procmon::PML,
    procmon::XML,
    evtx::EVTX,
    servicing::CBS,
    servicing::DISM,
    servicing::SETUP,
    msi::MSI,
    procmon::CSV,
];

/// The format of an input, from its first bytes.
pub fn recognise(head: &[u8]) -> Option<&'static Format> {
    FORMATS.iter().find(|f| (f.recognise)(head))
}

/// The format reports call `kind`.
pub fn format_of(kind: &str) -> Option<&'static Format> {
    FORMATS.iter().find(|f| f.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_are_unique_and_recognised_from_their_own_heads() {
        let heads: &[(&str, &[u8])] = &[
            ("procmon-pml", b"PML_\x09\x00\x00\x00"),
            (
                "procmon-xml",
                b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<procmon><processlist>",
            ),
            ("evtx", b"ElfFile\0\0\0\0\0"),
            (
                "cbs-log",
                b"2019-06-05 13:04:22, Info                  CBS    Exec: x\r\n",
            ),
            (
                "dism-log",
                b"2019-06-05 13:04:18, Info                  DISM   PID=1804 TID=1796 x\r\n",
            ),
            (
                "msi-log",
                b"=== Verbose logging started: 31/10/2023  9:12:53  Build type: SHIP UNICODE ===\r\n",
            ),
            (
                "setup-log",
                b"2024-01-25 16:35:37, Error      [0x0f0070] SYSPRP RunDlls:x\r\n",
            ),
            (
                "procmon-csv",
                b"\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n",
            ),
        ];
        assert_eq!(heads.len(), FORMATS.len());
        for (kind, head) in heads {
            assert_eq!(recognise(head).map(|f| f.kind), Some(*kind), "{kind}");
            assert!(format_of(kind).is_some());
        }
        assert!(recognise(b"a,b\n1,2\n").is_none());
        assert!(recognise(b"").is_none());
    }
}
