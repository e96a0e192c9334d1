//! Archives: zip (how TSS and other collectors ship a ticket) and cab (how Windows
//! rotates CBS.log into `CbsPersist_*.cab`). Each file inside is an input of its own,
//! read as a stream straight out of the archive (zip), or decompressed in process into
//! an anonymous temporary file (cab: MSZIP or LZX), never unpacked beside the ticket.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use super::limit::{Budget, Capped};

use flate2::read::DeflateDecoder;
use zip::{CompressionMethod, ZipArchive};

/// Whether the file starts like an archive culprit opens: a zip local file header, or
/// a cabinet's `MSCF`.
pub fn is_archive(path: &Path) -> bool {
    matches!(magic(path), Some(m) if &m == b"PK\x03\x04" || &m == b"MSCF")
}

fn is_cab(path: &Path) -> bool {
    magic(path) == Some(*b"MSCF")
}

/// The first four bytes of a file, if it has them.
fn magic(path: &Path) -> Option<[u8; 4]> {
    let mut m = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut m))
        .ok()?;
    Some(m)
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// One file inside an archive, as listed once from its central directory: opening
/// it later needs no second parse of the directory (a zip of 10,000 members is read
/// in linear time).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    /// The name stored in the archive.
    pub name: String,
    /// How reports name it: the name, or `name (#N)` when the archive holds several
    /// members of that name (all are read).
    pub label: String,
    /// Position in the central directory.
    pub index: usize,
    /// Where its data starts, its stored size, and its compression method.
    pub data_start: Option<u64>,
    pub stored: u64,
    pub method: u16,
    pub encrypted: bool,
    /// A cabinet's file (read through the cab crate), not a zip member.
    pub cab: bool,
}

/// The files in an archive (directories left out), in archive order, and whether the
/// archive holds several members of one name (only the last of each is listed: the
/// zip reader keeps one entry per name, as extraction tools do).
pub fn members(path: &Path) -> io::Result<(Vec<Member>, bool)> {
    if is_cab(path) {
        return cab_members(path);
    }
    let mut archive = ZipArchive::new(File::open(path)?).map_err(zip_err)?;
    let duplicates = archive.has_duplicate_names();
    let mut out: Vec<Member> = Vec::with_capacity(archive.len());
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for index in 0..archive.len() {
        let m = archive.by_index_raw(index).map_err(zip_err)?;
        if m.is_dir() {
            continue;
        }
        // A name that does not decode is still a member: shown lossily, never dropped.
        let name = m
            .name()
            .map(std::borrow::Cow::into_owned)
            .unwrap_or_else(|_| String::from_utf8_lossy(m.name_raw()).into_owned());
        let n = seen.entry(name.clone()).or_default();
        *n += 1;
        let label = if *n == 1 {
            name.clone()
        } else {
            format!("{name} (#{n})")
        };
        #[allow(deprecated)]
        let method = m.compression().to_u16();
        out.push(Member {
            label,
            index,
            data_start: m.data_start(),
            stored: m.compressed_size(),
            method,
            encrypted: m.encrypted(),
            cab: false,
            name,
        });
    }
    Ok((out, duplicates))
}

/// The files of a cabinet, in folder then file order. `stored` is the uncompressed
/// size (a cabinet compresses whole folders, not files).
fn cab_members(path: &Path) -> io::Result<(Vec<Member>, bool)> {
    let cabinet = cab::Cabinet::new(File::open(path)?)?;
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut duplicates = false;
    for folder in cabinet.folder_entries() {
        for f in folder.file_entries() {
            let name = f.name().to_string();
            duplicates |= !seen.insert(name.clone());
            out.push(Member {
                label: name.clone(),
                index: out.len(),
                data_start: None,
                stored: u64::from(f.uncompressed_size()),
                method: 0,
                encrypted: false,
                cab: true,
                name,
            });
        }
    }
    Ok((out, duplicates))
}

/// Opens one member as a decompressing stream; returns it with its stored size.
///
/// Stored and deflated members (what Windows' zip tools write) stream from the file
/// with bounded memory; other methods go through the zip crate into an anonymous
/// temporary file.
/// What a compressed member expands to is capped by `budget` ([`super::limit`]).
pub fn open_member(
    path: &Path,
    m: &Member,
    budget: &Arc<Budget>,
) -> io::Result<(Box<dyn Read + Send>, u64)> {
    if m.encrypted {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is encrypted", m.name),
        ));
    }
    if m.cab {
        // Decompressed (MSZIP or LZX) into an anonymous temporary file: a small
        // cabinet can expand to gigabytes, and the crate's reader borrows the cabinet.
        let mut cabinet = cab::Cabinet::new(File::open(path)?)?;
        let mut spill = tempfile::tempfile()?;
        io::copy(
            &mut Capped::new(cabinet.read_file(&m.name)?, budget.clone()),
            &mut spill,
        )?;
        spill.seek(SeekFrom::Start(0))?;
        return Ok((Box::new(spill), m.stored));
    }
    let stored = m.stored;
    let raw = |start: u64| -> io::Result<io::Take<File>> {
        let mut f = File::open(path)?;
        f.seek(SeekFrom::Start(start))?;
        Ok(f.take(stored))
    };
    #[allow(deprecated)]
    let method = CompressionMethod::from_u16(m.method);
    match (m.data_start, method) {
        (Some(s), CompressionMethod::Stored) => Ok((Box::new(raw(s)?), stored)),
        (Some(s), CompressionMethod::Deflated) => Ok((
            Box::new(Capped::new(
                DeflateDecoder::new(BufReader::with_capacity(256 * 1024, raw(s)?)),
                budget.clone(),
            )),
            stored,
        )),
        // Other methods (Deflate64, ...) decompress through the zip crate into an
        // anonymous temporary file, never into memory: a small member can expand to
        // gigabytes.
        _ => {
            let mut archive = ZipArchive::new(File::open(path)?).map_err(zip_err)?;
            let mut spill = tempfile::tempfile()?;
            let member = archive.by_index(m.index).map_err(zip_err)?;
            io::copy(&mut Capped::new(member, budget.clone()), &mut spill)?;
            spill.seek(SeekFrom::Start(0))?;
            Ok((Box::new(spill), stored))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn members_stream_out_stored_and_deflated() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.zip");
        let mut w = zip::ZipWriter::new(File::create(&path).unwrap());
        let text = "line\n".repeat(10_000);
        for (name, method) in [
            ("a/stored.txt", CompressionMethod::Stored),
            ("b/deflated.txt", CompressionMethod::Deflated),
        ] {
            w.start_file(
                name,
                zip::write::SimpleFileOptions::default().compression_method(method),
            )
            .unwrap();
            w.write_all(text.as_bytes()).unwrap();
        }
        w.add_directory("empty/", zip::write::SimpleFileOptions::default())
            .unwrap();
        w.finish().unwrap();
        assert!(is_archive(&path) && !is_cab(&path));
        let (listed, dup) = members(&path).unwrap();
        assert!(!dup);
        let names: Vec<&str> = listed.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, vec!["a/stored.txt", "b/deflated.txt"]);
        for m in &listed {
            let (mut r, _) = open_member(&path, m, &Budget::new(Default::default())).unwrap();
            let mut got = String::new();
            r.read_to_string(&mut got).unwrap();
            assert_eq!(got, text, "{}", m.name);
        }
    }
}
