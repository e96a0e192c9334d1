//! Archives: zip (how TSS and other collectors ship a ticket), cab (how Windows
//! rotates CBS.log into `CbsPersist_*.cab`) and tar (`.tar.gz`, `.tgz`). Each file
//! inside is an input of its own, read as a stream straight out of the archive (zip
//! stored or deflated, tar), or through the archive's crate (cab: MSZIP or LZX; zip's
//! other methods), never unpacked beside the ticket.
//!
//! An archive is read from a [`Source`]: a file on disk, or bytes held for it
//! ([`Held`]): a tar once decompressed, or an archive inside an archive (two levels
//! deep, as `<PC>_CbsPersist.zip` ships inside a TSS zip), spilled to an anonymous
//! temporary file and mapped, so memory stays flat.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::Arc;

use flate2::read::{DeflateDecoder, MultiGzDecoder};
use zip::{CompressionMethod, ZipArchive};

use super::limit::{Budget, Capped};
use super::open::{Bytes, spill};

/// Which archive format a member comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Zip,
    Cab,
    Tar,
}

/// Bytes held for an archive that is not a plain file on disk.
#[derive(Clone)]
pub struct Held {
    /// The member of the outer archive it was, when nested (its label).
    pub via: Option<String>,
    pub data: Arc<Bytes>,
}

impl std::fmt::Debug for Held {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Held({:?}, {} bytes)", self.via, self.data.len())
    }
}

/// Two holds are one when they hold the same bytes.
impl PartialEq for Held {
    fn eq(&self, other: &Held) -> bool {
        self.via == other.via && Arc::ptr_eq(&self.data, &other.data)
    }
}
impl Eq for Held {}

/// Where an archive's bytes are.
#[derive(Clone)]
pub enum Source<'a> {
    File(&'a Path),
    Held(&'a Arc<Bytes>),
}

/// A seekable reader of held bytes.
struct HeldReader {
    data: Arc<Bytes>,
    pos: u64,
}

impl Read for HeldReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let data: &[u8] = &self.data;
        let at = (self.pos as usize).min(data.len());
        let n = buf.len().min(data.len() - at);
        buf[..n].copy_from_slice(&data[at..at + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for HeldReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let len = self.data.len() as i128;
        let at = match to {
            SeekFrom::Start(n) => i128::from(n),
            SeekFrom::End(d) => len + i128::from(d),
            SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        if at < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before the start",
            ));
        }
        self.pos = at as u64;
        Ok(self.pos)
    }
}

trait ReadSeek: Read + Seek + Send {}
impl<T: Read + Seek + Send> ReadSeek for T {}

impl Source<'_> {
    fn open(&self) -> io::Result<Box<dyn ReadSeek>> {
        Ok(match self {
            Source::File(p) => Box::new(File::open(p)?),
            Source::Held(d) => Box::new(HeldReader {
                data: Arc::clone(d),
                pos: 0,
            }),
        })
    }

    /// The first bytes (up to 512 + 8, enough for a tar header's magic).
    fn head(&self) -> Option<Vec<u8>> {
        let mut h = Vec::with_capacity(520);
        self.open().ok()?.take(520).read_to_end(&mut h).ok()?;
        Some(h)
    }

    /// The archive format, by content.
    fn kind(&self) -> Option<Kind> {
        kind_of(&self.head()?)
    }
}

/// The archive format of a head of bytes: a zip local file header, a cabinet's
/// `MSCF`, or a tar header (`ustar` at offset 257).
pub fn kind_of(head: &[u8]) -> Option<Kind> {
    if head.starts_with(b"PK\x03\x04") {
        Some(Kind::Zip)
    } else if head.starts_with(b"MSCF") {
        Some(Kind::Cab)
    } else if head.len() >= 262 && &head[257..262] == b"ustar" {
        Some(Kind::Tar)
    } else {
        None
    }
}

/// Whether the file on disk is an archive culprit opens as is (zip, cab, tar).
pub fn is_archive(path: &Path) -> bool {
    Source::File(path).kind().is_some()
}

/// Whether a file's name says it is a compressed tar (`.tar.gz`, `.tgz`).
pub fn is_tar_gz_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.ends_with(".tar.gz") || n.ends_with(".tgz")
}

/// Whether a member's name says it is an archive culprit follows (two levels deep at most).
pub fn is_archive_name(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [".zip", ".cab", ".tar", ".tar.gz", ".tgz"]
        .iter()
        .any(|e| n.ends_with(e))
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// One file inside an archive, as listed once from its directory: opening it later
/// needs no second parse of the directory (a zip of 10,000 members is read in linear
/// time).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Member {
    /// The name stored in the archive.
    pub name: String,
    /// How reports name it: the name, or `name (#N)` when the archive holds several
    /// members of that name (all are read).
    pub label: String,
    /// Position in the archive's directory.
    pub index: usize,
    /// Where its data starts, its stored size, and its compression method.
    pub data_start: Option<u64>,
    pub stored: u64,
    pub method: u16,
    pub encrypted: bool,
    pub kind: Kind,
}

/// `name`, or `name (#N)` for the Nth member of that name.
fn label(seen: &mut std::collections::HashMap<String, usize>, name: &str) -> String {
    let n = seen.entry(name.to_string()).or_default();
    *n += 1;
    if *n == 1 {
        name.to_string()
    } else {
        format!("{name} (#{n})")
    }
}

/// The files in an archive (directories left out), in archive order, and whether the
/// archive holds several members of one name (of a zip, only the last of each is
/// listed: the zip reader keeps one entry per name, as extraction tools do).
pub fn members(path: &Path) -> io::Result<(Vec<Member>, bool)> {
    members_in(&Source::File(path))
}

/// [`members`] of any source.
pub fn members_in(src: &Source<'_>) -> io::Result<(Vec<Member>, bool)> {
    match src.kind() {
        Some(Kind::Cab) => cab_members(src),
        Some(Kind::Tar) => tar_members(src),
        _ => zip_members(src),
    }
}

fn zip_members(src: &Source<'_>) -> io::Result<(Vec<Member>, bool)> {
    let mut archive = ZipArchive::new(src.open()?).map_err(zip_err)?;
    let duplicates = archive.has_duplicate_names();
    let mut out: Vec<Member> = Vec::with_capacity(archive.len());
    let mut seen = std::collections::HashMap::new();
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
        #[allow(deprecated)]
        let method = m.compression().to_u16();
        out.push(Member {
            label: label(&mut seen, &name),
            index,
            data_start: m.data_start(),
            stored: m.compressed_size(),
            method,
            encrypted: m.encrypted(),
            kind: Kind::Zip,
            name,
        });
    }
    Ok((out, duplicates))
}

/// The files of a cabinet, in folder then file order. `stored` is the uncompressed
/// size (a cabinet compresses whole folders, not files).
fn cab_members(src: &Source<'_>) -> io::Result<(Vec<Member>, bool)> {
    let cabinet = cab::Cabinet::new(src.open()?)?;
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for folder in cabinet.folder_entries() {
        for f in folder.file_entries() {
            let name = f.name().to_string();
            out.push(Member {
                label: label(&mut seen, &name),
                index: out.len(),
                data_start: None,
                stored: u64::from(f.uncompressed_size()),
                method: 0,
                encrypted: false,
                kind: Kind::Cab,
                name,
            });
        }
    }
    let duplicates = seen.values().any(|&n| n > 1);
    Ok((out, duplicates))
}

/// The regular files of a tar, each a stored range of it.
fn tar_members(src: &Source<'_>) -> io::Result<(Vec<Member>, bool)> {
    let mut archive = tar::Archive::new(src.open()?);
    let mut out = Vec::new();
    let mut seen = std::collections::HashMap::new();
    for entry in archive.entries()? {
        let entry = entry?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        out.push(Member {
            label: label(&mut seen, &name),
            index: out.len(),
            data_start: Some(entry.raw_file_position()),
            stored: entry.size(),
            method: 0,
            encrypted: false,
            kind: Kind::Tar,
            name,
        });
    }
    let duplicates = seen.values().any(|&n| n > 1);
    Ok((out, duplicates))
}

/// Reads a whole archive member (or a gzipped tar) into held bytes: decompressed
/// under `budget`, spilled to an anonymous temporary file, mapped.
pub fn hold(src: &Source<'_>, m: Option<&Member>, budget: &Arc<Budget>) -> io::Result<Arc<Bytes>> {
    let mut raw: Box<dyn Read + Send> = match m {
        Some(m) => open_member_in(src, m, budget)?.0,
        None => Box::new(src.open()?),
    };
    let mut magic = [0u8; 2];
    let n = raw.read(&mut magic)?;
    let rest = io::Cursor::new(magic[..n].to_vec()).chain(raw);
    let mut stream: Box<dyn Read + Send> = if n == 2 && magic == [0x1F, 0x8B] {
        Box::new(Capped::new(
            MultiGzDecoder::new(BufReader::with_capacity(256 * 1024, rest)),
            budget.clone(),
        ))
    } else {
        Box::new(rest)
    };
    Ok(Arc::new(spill(&mut stream)?))
}

/// Opens one member of an archive on disk as a decompressing stream; returns it with
/// its stored size. What a compressed member expands to is capped by `budget`
/// ([`super::limit`]).
pub fn open_member(
    path: &Path,
    m: &Member,
    budget: &Arc<Budget>,
) -> io::Result<(Box<dyn Read + Send>, u64)> {
    open_member_in(&Source::File(path), m, budget)
}

/// [`open_member`] of any source.
///
/// Stored and deflated zip members and tar members stream from the source with
/// bounded memory; cab members and other zip methods go through their crate into an
/// anonymous temporary file.
pub fn open_member_in(
    src: &Source<'_>,
    m: &Member,
    budget: &Arc<Budget>,
) -> io::Result<(Box<dyn Read + Send>, u64)> {
    if m.encrypted {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("{} is encrypted", m.name),
        ));
    }
    let stored = m.stored;
    let raw = |start: u64| -> io::Result<io::Take<Box<dyn ReadSeek>>> {
        let mut f = src.open()?;
        f.seek(SeekFrom::Start(start))?;
        Ok(f.take(stored))
    };
    match m.kind {
        Kind::Cab => {
            // Decompressed (MSZIP or LZX) into an anonymous temporary file: a small
            // cabinet can expand to gigabytes, and the crate's reader borrows the
            // cabinet.
            let mut cabinet = cab::Cabinet::new(src.open()?)?;
            let mut spill = tempfile::tempfile()?;
            io::copy(
                &mut Capped::new(cabinet.read_file(&m.name)?, budget.clone()),
                &mut spill,
            )?;
            spill.seek(SeekFrom::Start(0))?;
            Ok((Box::new(spill), m.stored))
        }
        Kind::Tar => {
            let start = m.data_start.unwrap_or(0);
            Ok((Box::new(raw(start)?), stored))
        }
        Kind::Zip => {
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
                // Other methods (Deflate64, ...) decompress through the zip crate into
                // an anonymous temporary file, never into memory: a small member can
                // expand to gigabytes.
                _ => {
                    let mut archive = ZipArchive::new(src.open()?).map_err(zip_err)?;
                    let mut spill = tempfile::tempfile()?;
                    let member = archive.by_index(m.index).map_err(zip_err)?;
                    io::copy(&mut Capped::new(member, budget.clone()), &mut spill)?;
                    spill.seek(SeekFrom::Start(0))?;
                    Ok((Box::new(spill), stored))
                }
            }
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
        assert_eq!(Source::File(&path).kind(), Some(Kind::Zip));
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
