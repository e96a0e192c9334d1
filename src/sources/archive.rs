//! Zip archives (how TSS and other collectors ship a ticket): each file inside is an
//! input of its own, read as a stream straight out of the archive, never unpacked to
//! disk.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::DeflateDecoder;
use zip::{CompressionMethod, ZipArchive};

/// Whether the file starts like a zip archive (a local file header).
pub fn is_zip(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut f| f.read_exact(&mut magic))
        .is_ok()
        && magic == *b"PK\x03\x04"
}

fn zip_err(e: zip::result::ZipError) -> io::Error {
    match e {
        zip::result::ZipError::Io(e) => e,
        other => io::Error::new(io::ErrorKind::InvalidData, other.to_string()),
    }
}

/// The names of the files in an archive (directories left out), in archive order.
pub fn members(path: &Path) -> io::Result<Vec<String>> {
    let archive = ZipArchive::new(File::open(path)?).map_err(zip_err)?;
    Ok(archive
        .file_names()
        .filter_map(Result::ok)
        .filter(|n| !n.ends_with('/'))
        .map(|n| n.into_owned())
        .collect())
}

/// Opens one member as a decompressing stream; returns it with its stored size.
///
/// Stored and deflated members (what Windows' zip tools write) stream from the file
/// with bounded memory; other methods are read through the zip crate into memory.
pub fn open_member(path: &Path, name: &str) -> io::Result<(Box<dyn Read + Send>, u64)> {
    let mut archive = ZipArchive::new(File::open(path)?).map_err(zip_err)?;
    let (start, stored, method) = {
        let m = archive.by_name(name).map_err(zip_err)?;
        if m.encrypted() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{name} is encrypted"),
            ));
        }
        (m.data_start(), m.compressed_size(), m.compression())
    };
    let raw = |start: u64| -> io::Result<io::Take<File>> {
        let mut f = File::open(path)?;
        f.seek(SeekFrom::Start(start))?;
        Ok(f.take(stored))
    };
    match (start, method) {
        (Some(s), CompressionMethod::Stored) => Ok((Box::new(raw(s)?), stored)),
        (Some(s), CompressionMethod::Deflated) => Ok((
            Box::new(DeflateDecoder::new(BufReader::with_capacity(
                256 * 1024,
                raw(s)?,
            ))),
            stored,
        )),
        _ => {
            let mut v = Vec::new();
            archive
                .by_name(name)
                .map_err(zip_err)?
                .read_to_end(&mut v)?;
            Ok((Box::new(io::Cursor::new(v)), stored))
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
        assert!(is_zip(&path));
        assert_eq!(
            members(&path).unwrap(),
            vec!["a/stored.txt", "b/deflated.txt"]
        );
        for name in ["a/stored.txt", "b/deflated.txt"] {
            let (mut r, _) = open_member(&path, name).unwrap();
            let mut got = String::new();
            r.read_to_string(&mut got).unwrap();
            assert_eq!(got, text, "{name}");
        }
        assert!(open_member(&path, "missing").is_err());
    }
}
