//! Windows event logs (EVTX).

use super::{FileScan, Format, Origin};
use crate::model::Family;

/// An EVTX file (`ElfFile\0` magic; never recognised by its name).
pub const EVTX: Format = Format {
    kind: "evtx",
    family: Family::Evtx,
    origin: Origin::Record,
    recognise: |head| head.starts_with(b"ElfFile\0"),
    read: |_, _| FileScan::default(),
};
