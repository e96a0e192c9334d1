//! Transparent opening of inputs: gzip, UTF-8 with or without BOM, UTF-16LE/BE.
//!
//! Plain UTF-8 files are memory-mapped and split into chunks for parallel parsing;
//! everything else is decoded as a stream (bounded buffers, never the whole file).

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use encoding_rs::{UTF_16BE, UTF_16LE};
use encoding_rs_io::DecodeReaderBytesBuilder;
use flate2::read::MultiGzDecoder;

use super::limit::{Budget, Capped};
use memmap2::Mmap;

use super::guard::Guarded;

/// Magic numbers of binary formats (never sniffed as UTF-16 text).
const BINARY_MAGIC: &[&[u8]] = &[b"PML_", b"ElfFile\0", b"PK\x03\x04", b"MSCF"];

/// How many bytes to sniff at the start of an input.
const HEAD: usize = 64 * 1024;

/// The decoded text of an input.
pub enum Text {
    /// A mapped UTF-8 file; `start` skips the BOM.
    Mapped { map: Guarded, start: usize },
    /// A decoded UTF-8 stream; `consumed` counts bytes read from disk.
    Stream {
        reader: Box<dyn Read + Send>,
        consumed: Arc<AtomicU64>,
    },
}

/// An opened input and what was learned while opening it.
pub struct Opened {
    pub text: Text,
    /// `utf-8`, `utf-8-bom`, `utf-16le`, `utf-16be`.
    pub encoding: &'static str,
    pub gzip: bool,
    /// Lines end with a bare CR (classic Mac OS, Excel's "CSV (Macintosh)"): the text
    /// is read with each CR turned into a LF.
    pub cr_only: bool,
    /// Size on disk.
    pub disk_len: u64,
    /// The first decoded bytes (up to 64 KiB), for sniffing the kind.
    pub head: Vec<u8>,
}

struct Counting<R> {
    inner: R,
    count: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn read_head(r: &mut dyn Read, max: usize) -> io::Result<Vec<u8>> {
    let mut head = Vec::with_capacity(max.min(HEAD));
    r.take(max as u64).read_to_end(&mut head)?;
    Ok(head)
}

/// Zero bytes at even and at odd positions of the first 512 bytes (or `None` when
/// there are too few bytes to judge).
fn zero_lanes(b: &[u8]) -> Option<(usize, usize, usize)> {
    let n = b.len().min(512) & !1;
    if n < 8 {
        return None;
    }
    let odd = b[..n]
        .iter()
        .skip(1)
        .step_by(2)
        .filter(|&&x| x == 0)
        .count();
    let even = b[..n].iter().step_by(2).filter(|&&x| x == 0).count();
    Some((even, odd, n / 2))
}

/// Whether bytes without a BOM look like UTF-16LE text (ASCII with zero high bytes).
fn looks_utf16le(b: &[u8]) -> bool {
    zero_lanes(b).is_some_and(|(even, odd, half)| odd * 10 >= half * 7 && even * 10 < half)
}

/// Whether bytes without a BOM look like UTF-16BE text (zero high bytes first).
fn looks_utf16be(b: &[u8]) -> bool {
    zero_lanes(b).is_some_and(|(even, odd, half)| even * 10 >= half * 7 && odd * 10 < half)
}

/// Opens `path`, decoding compression and text encoding. Plain UTF-8 files (and
/// binary formats) are mapped when `mmap` is true and streamed otherwise.
pub fn open(path: &Path, mmap: bool, budget: &Arc<Budget>) -> io::Result<Opened> {
    let file = File::open(path)?;
    let disk_len = file.metadata()?.len();
    let opened = from_reader(Box::new(file), disk_len, budget)?;
    if !(mmap
        && !opened.gzip
        && !opened.cr_only
        && matches!(opened.encoding, "utf-8" | "utf-8-bom" | "binary")
        && disk_len > 0)
    {
        return Ok(opened);
    }
    // Plain content on disk: map it. The stream opened for sniffing is dropped.
    let bom = if opened.encoding == "utf-8-bom" { 3 } else { 0 };
    let file = File::open(path)?;
    // SAFETY: the map is read-only and private to this process. A file truncated by
    // another process while mapped would fault (SIGBUS): the guard turns that into
    // zeros and a named failure of this input ([`super::guard`]).
    let map = unsafe { Guarded::map(&file)? };
    let head = map[bom..map.len().min(bom + HEAD)].to_vec();
    Ok(Opened {
        text: Text::Mapped { map, start: bom },
        encoding: opened.encoding,
        gzip: false,
        cr_only: false,
        disk_len,
        head,
    })
}

/// Turns every CR into a LF (for text whose lines end with a bare CR).
struct CrToLf<R>(R);

impl<R: Read> Read for CrToLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

/// Whether decoded text ends its lines with a bare CR: CRs and no LF in the head.
fn cr_only(head: &[u8]) -> bool {
    !head.contains(&b'\n') && head.contains(&b'\r')
}

/// Sniffs and decodes any byte stream (a file, an archive member): gzip, UTF-16,
/// BOM. `disk_len` is the stored size, for progress.
/// A gzip stream expands under `budget`'s caps.
pub fn from_reader(
    raw: Box<dyn Read + Send>,
    disk_len: u64,
    budget: &Arc<Budget>,
) -> io::Result<Opened> {
    let consumed = Arc::new(AtomicU64::new(0));
    let mut raw: Box<dyn Read + Send> = Box::new(Counting {
        inner: raw,
        count: consumed.clone(),
    });
    let magic = read_head(&mut raw, 4)?;
    let gzip = magic.starts_with(&[0x1F, 0x8B]);
    let mut stream: Box<dyn Read + Send> = Box::new(io::Cursor::new(magic).chain(raw));
    if gzip {
        stream = Box::new(Capped::new(
            MultiGzDecoder::new(io::BufReader::with_capacity(256 * 1024, stream)),
            budget.clone(),
        ));
    }
    let head = read_head(&mut stream, HEAD)?;
    let binary = BINARY_MAGIC.iter().any(|m| head.starts_with(m));
    let (encoding, utf16) = if binary {
        ("binary", None)
    } else if head.starts_with(&[0xFF, 0xFE]) {
        ("utf-16le", Some(UTF_16LE))
    } else if head.starts_with(&[0xFE, 0xFF]) {
        ("utf-16be", Some(UTF_16BE))
    } else if looks_utf16le(&head) {
        ("utf-16le", Some(UTF_16LE))
    } else if looks_utf16be(&head) {
        ("utf-16be", Some(UTF_16BE))
    } else if head.starts_with(b"\xEF\xBB\xBF") {
        ("utf-8-bom", None)
    } else {
        ("utf-8", None)
    };
    let rest: Box<dyn Read + Send> = Box::new(io::Cursor::new(head).chain(stream));
    let mut reader: Box<dyn Read + Send> = match utf16 {
        Some(enc) => Box::new(
            DecodeReaderBytesBuilder::new()
                .encoding(Some(enc))
                .bom_override(true)
                .build(rest),
        ),
        None => rest,
    };
    // Re-read the decoded head so sniffing sees UTF-8 without BOM.
    let mut head = read_head(&mut reader, HEAD)?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        head.drain(..3);
    }
    let cr_only = !binary && cr_only(&head);
    let mut reader: Box<dyn Read + Send> = Box::new(io::Cursor::new(head.clone()).chain(reader));
    if cr_only {
        reader = Box::new(CrToLf(reader));
        head.iter_mut()
            .filter(|b| **b == b'\r')
            .for_each(|b| *b = b'\n');
    }
    Ok(Opened {
        text: Text::Stream { reader, consumed },
        encoding,
        gzip,
        cr_only,
        disk_len,
        head,
    })
}

impl Opened {
    /// The whole decoded content as one slice: the map itself, or (for a compressed,
    /// archived or unmapped input) a map of an anonymous temporary copy. For formats
    /// that need random access (PML).
    pub fn into_bytes(self) -> io::Result<Bytes> {
        match self.text {
            Text::Mapped { map, start } => Ok(Bytes::Mapped(map, start)),
            // A compressed or archived capture is spilled to an anonymous temporary
            // file and mapped: memory stays flat whatever its size.
            Text::Stream { mut reader, .. } => spill(&mut reader),
        }
    }
}

/// Copies a stream to an anonymous temporary file (unlinked, private to this
/// process) and maps it: random access with flat memory, whatever the size.
pub fn spill(reader: &mut dyn Read) -> io::Result<Bytes> {
    let mut f = tempfile::tempfile()?;
    let n = io::copy(reader, &mut f)?;
    if n == 0 {
        return Ok(Bytes::Owned(Vec::new()));
    }
    // SAFETY: the file is anonymous (unlinked) and private to this process: nothing
    // else can truncate it under the map.
    let map = unsafe { Mmap::map(&f)? };
    Ok(Bytes::Mapped(Guarded::unguarded(map), 0))
}

impl Opened {
    /// The decoded content as a reader (a cursor over the map, or the stream).
    pub fn into_reader(self) -> Box<dyn Read + Send> {
        match self.text {
            Text::Mapped { map, start } => Box::new(io::Cursor::new(Bytes::Mapped(map, start))),
            Text::Stream { reader, .. } => reader,
        }
    }
}

impl AsRef<[u8]> for Bytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

/// A whole input in memory (mapped or read).
pub enum Bytes {
    Mapped(Guarded, usize),
    Owned(Vec<u8>),
}

impl std::ops::Deref for Bytes {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match self {
            Bytes::Mapped(m, start) => &m[*start..],
            Bytes::Owned(v) => v,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn decoded(o: Opened) -> Vec<u8> {
        match o.text {
            Text::Mapped { map, start } => map[start..].to_vec(),
            Text::Stream { mut reader, .. } => {
                let mut v = Vec::new();
                reader.read_to_end(&mut v).unwrap();
                v
            }
        }
    }

    #[test]
    fn every_encoding_decodes_to_the_same_utf8() {
        let text = "\"Time of Day\",\"Process Name\"\r\n\"1\",\"é.exe\"\r\n";
        let dir = tempfile::tempdir().unwrap();
        let mut variants: Vec<(&str, Vec<u8>)> = vec![
            ("plain", text.as_bytes().to_vec()),
            (
                "bom",
                [b"\xEF\xBB\xBF".as_slice(), text.as_bytes()].concat(),
            ),
        ];
        let le: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        variants.push(("le-bom", [[0xFF, 0xFE].as_slice(), &le].concat()));
        variants.push(("le", le));
        let be: Vec<u8> = text.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        variants.push(("be-bom", [[0xFE, 0xFF].as_slice(), &be].concat()));
        variants.push(("be", be));
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(&variants[1].1).unwrap();
        variants.push(("gz", gz.finish().unwrap()));
        for (name, bytes) in variants {
            let p = dir.path().join(name);
            std::fs::write(&p, &bytes).unwrap();
            for mmap in [true, false] {
                let o = open(&p, mmap, &Budget::new(Default::default())).unwrap();
                assert!(o.head.starts_with(b"\"Time"), "{name}");
                assert_eq!(decoded(o), text.as_bytes(), "{name}");
            }
        }
    }

    #[test]
    fn empty_file_opens_as_empty_stream() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("e");
        std::fs::write(&p, b"").unwrap();
        let o = open(&p, true, &Budget::new(Default::default())).unwrap();
        assert!(o.head.is_empty());
        assert!(decoded(o).is_empty());
    }
}
