//! Line-aligned chunking: the parallel engine under the text sources.
//!
//! A mapped file is cut into chunks of about [`CHUNK`] bytes at line ends and the
//! chunks are parsed in parallel; a stream is read in line-aligned blocks, a bounded
//! batch at a time, each batch parsed in parallel. Results reach the sink in input
//! order, so aggregation is identical whatever the thread count.

use std::io::{self, Read};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

use crate::progress::Progress;

/// Target chunk size for parallel parsing.
pub const CHUNK: usize = 8 << 20;

/// The body of a text input (after its header line).
pub enum Body<'a> {
    Mapped(&'a [u8]),
    Stream {
        reader: &'a mut (dyn Read + Send),
        carry: Vec<u8>,
        consumed: Arc<AtomicU64>,
    },
}

/// A read error part-way through a stream, with the decoded offset reached.
#[derive(Debug)]
pub struct StreamError {
    pub offset: u64,
    pub source: io::Error,
}

/// Splits `data` into pieces of about `size` bytes, each ending at a line end
/// (except possibly the last).
pub fn split_lines(data: &[u8], size: usize) -> Vec<&[u8]> {
    let mut out = Vec::with_capacity(data.len() / size.max(1) + 1);
    let mut rest = data;
    while rest.len() > size {
        let cut = match memchr::memchr(b'\n', &rest[size..]) {
            Some(i) => size + i + 1,
            None => rest.len(),
        };
        let (a, b) = rest.split_at(cut);
        out.push(a);
        rest = b;
    }
    if !rest.is_empty() {
        out.push(rest);
    }
    out
}

/// Fills `buf` with a line-aligned block of about `size` bytes; returns false at EOF
/// with nothing read.
fn read_block(
    reader: &mut (dyn Read + Send),
    carry: &mut Vec<u8>,
    size: usize,
    buf: &mut Vec<u8>,
) -> io::Result<bool> {
    buf.clear();
    buf.append(carry);
    let mut eof = false;
    loop {
        while buf.len() < size && !eof {
            let old = buf.len();
            buf.resize(size.max(old + 64 * 1024), 0);
            match reader.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    eof = true;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    return Err(e);
                }
            }
        }
        if eof {
            return Ok(!buf.is_empty());
        }
        if let Some(i) = memchr::memrchr(b'\n', buf) {
            carry.extend_from_slice(&buf[i + 1..]);
            buf.truncate(i + 1);
            return Ok(true);
        }
        // One line longer than the block: keep reading until it ends.
        let grow = buf.len() * 2;
        while buf.len() < grow && !eof {
            let old = buf.len();
            buf.resize(grow, 0);
            match reader.read(&mut buf[old..]) {
                Ok(0) => {
                    buf.truncate(old);
                    eof = true;
                }
                Ok(n) => buf.truncate(old + n),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => buf.truncate(old),
                Err(e) => {
                    buf.truncate(old);
                    return Err(e);
                }
            }
        }
        if eof {
            return Ok(!buf.is_empty());
        }
    }
}

/// Runs `f` over every chunk of `body` in parallel and hands the results to `sink`
/// in input order. Progress advances by bytes on disk.
pub fn drive<R, F, S>(
    body: Body<'_>,
    size: usize,
    progress: &dyn Progress,
    f: F,
    mut sink: S,
) -> Result<(), StreamError>
where
    R: Send,
    F: Fn(&[u8]) -> R + Sync,
    S: FnMut(R),
{
    match body {
        Body::Mapped(data) => {
            let chunks = split_lines(data, size);
            let results: Vec<R> = chunks
                .par_iter()
                .map(|c| {
                    let r = f(c);
                    progress.advance(c.len() as u64);
                    r
                })
                .collect();
            results.into_iter().for_each(sink);
            Ok(())
        }
        Body::Stream {
            reader,
            mut carry,
            consumed,
        } => {
            let batch = rayon::current_num_threads().max(1) * 2;
            let mut offset = 0u64;
            let mut reported = consumed.load(Ordering::Relaxed);
            loop {
                let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(batch);
                let mut failure = None;
                while blocks.len() < batch {
                    let mut buf = Vec::new();
                    match read_block(reader, &mut carry, size, &mut buf) {
                        Ok(true) => blocks.push(buf),
                        Ok(false) => break,
                        Err(e) => {
                            // Keep what was read of a partial block (complete lines only).
                            if let Some(i) = memchr::memrchr(b'\n', &buf) {
                                buf.truncate(i + 1);
                                blocks.push(buf);
                            }
                            failure = Some(e);
                            break;
                        }
                    }
                }
                let done = blocks.is_empty();
                let results: Vec<R> = blocks.par_iter().map(|b| f(b)).collect();
                offset += blocks.iter().map(|b| b.len() as u64).sum::<u64>();
                results.into_iter().for_each(&mut sink);
                let now = consumed.load(Ordering::Relaxed);
                progress.advance(now.saturating_sub(reported));
                reported = now;
                if let Some(source) = failure {
                    return Err(StreamError { offset, source });
                }
                if done {
                    return Ok(());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::NoProgress;

    #[test]
    fn split_keeps_lines_whole_and_covers_everything() {
        let data = b"aaa\nbb\ncccc\nd\nlast";
        for size in 1..data.len() + 2 {
            let parts = split_lines(data, size);
            assert_eq!(parts.concat(), data.to_vec());
            for p in &parts[..parts.len() - 1] {
                assert_eq!(p.last(), Some(&b'\n'), "size {size}");
            }
        }
    }

    #[test]
    fn stream_and_map_give_the_same_chunks_in_order() {
        let data: Vec<u8> = (0..5000)
            .flat_map(|i| format!("line {i}\n").into_bytes())
            .chain(b"tail".iter().copied())
            .collect();
        let count = |c: &[u8]| c.to_vec();
        let mut mapped = Vec::new();
        drive(Body::Mapped(&data), 100, &NoProgress, count, |r| {
            mapped.extend(r)
        })
        .unwrap();
        let mut streamed = Vec::new();
        let mut cur = io::Cursor::new(data.clone());
        let body = Body::Stream {
            reader: &mut cur,
            carry: Vec::new(),
            consumed: Arc::new(AtomicU64::new(0)),
        };
        drive(body, 100, &NoProgress, count, |r| streamed.extend(r)).unwrap();
        assert_eq!(mapped, data);
        assert_eq!(streamed, data);
    }

    #[test]
    fn a_line_longer_than_a_block_stays_whole() {
        let data = [vec![b'x'; 1000], b"\nshort\n".to_vec()].concat();
        let mut cur = io::Cursor::new(data.clone());
        let body = Body::Stream {
            reader: &mut cur,
            carry: Vec::new(),
            consumed: Arc::new(AtomicU64::new(0)),
        };
        let mut blocks = Vec::new();
        drive(
            body,
            16,
            &NoProgress,
            |c: &[u8]| c.to_vec(),
            |r| blocks.push(r),
        )
        .unwrap();
        assert_eq!(blocks.concat(), data);
        assert!(blocks[0].ends_with(b"\n"));
    }
}
