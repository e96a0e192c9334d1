//! Process Monitor: native captures ([`pml`]) and the CSV ([`csv`]) and XML ([`xml`])
//! exports, with the recovery pass they share ([`recovery`]).

use super::io::open::Opened;
use super::{FileScan, Format, Origin, Reading};
use crate::error::SourceError;
use crate::model::Family;

pub mod csv;
pub mod needles;
pub mod pml;
pub mod pml_event;
pub mod pml_names;
pub mod record;
pub mod recovery;
pub mod xml;

/// A native capture (`PML_` magic).
pub const PML: Format = Format {
    kind: "procmon-pml",
    family: Family::Procmon,
    origin: Origin::Event,
    recognise: |head| head.starts_with(b"PML_"),
    read: read_pml,
};

/// An XML export (`<procmon>` root).
pub const XML: Format = Format {
    kind: "procmon-xml",
    family: Family::Procmon,
    origin: Origin::Event,
    recognise: xml::is_procmon_xml,
    read: |opened, r| {
        xml::scan(
            r.name,
            opened.into_reader(),
            r.filter(),
            r.index,
            r.progress,
        )
    },
};

/// A CSV export: a first line that is a Procmon header (even one lacking a column
/// culprit needs, which is then named).
pub const CSV: Format = Format {
    kind: "procmon-csv",
    family: Family::Procmon,
    origin: Origin::Line,
    recognise: |head| {
        !matches!(
            csv::parse_header(csv::header_line(head)),
            csv::Header::Other
        )
    },
    read: read_csv,
};

fn read_pml(opened: Opened, r: &Reading<'_>) -> FileScan {
    r.with_bytes(opened, |b| {
        pml::scan(r.name, b, r.filter(), r.index, r.progress)
    })
}

fn read_csv(opened: Opened, r: &Reading<'_>) -> FileScan {
    match csv::parse_header(csv::header_line(&opened.head)) {
        csv::Header::Procmon(cols) => r
            .prepared
            .procmon
            .scan(r.name, opened, &cols, r.index, r.progress, r.reopen),
        csv::Header::Missing { column, found } => {
            r.progress.advance(opened.disk_len);
            FileScan {
                error: Some(SourceError::MissingColumn {
                    path: r.name.to_path_buf(),
                    column,
                    found,
                }),
                ..FileScan::default()
            }
        }
        // Not recognised as CSV: `recognise` keeps such inputs away.
        csv::Header::Other => FileScan::default(),
    }
}
