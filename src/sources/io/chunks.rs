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
/// Largest block read from a stream (bounds memory: a batch holds 2 per thread).
const STREAM_BLOCK: usize = 4 << 20;

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

/// The longest record kept whole. A longer line costs no more memory than this: a
/// stream keeps its first `MAX_RECORD + 1` bytes (so every reader sees it is over the
/// cap) and skips the rest up to its newline; readers count it as a bad record.
pub const MAX_RECORD: usize = 16 << 20;

/// Reads into `buf` until it holds `upto` bytes or the input ends; returns true at EOF.
/// (`read_to_end` grows the buffer without zeroing it first.)
fn fill(reader: &mut (dyn Read + Send), buf: &mut Vec<u8>, upto: usize) -> io::Result<bool> {
    let want = upto.saturating_sub(buf.len());
    if want == 0 {
        return Ok(false);
    }
    let n = reader.take(want as u64).read_to_end(buf)?;
    Ok(n < want)
}

/// Discards input through the next newline; what follows it goes to `carry`.
/// Returns true at EOF.
fn skip_line(reader: &mut (dyn Read + Send), carry: &mut Vec<u8>) -> io::Result<bool> {
    let mut piece = Vec::with_capacity(64 * 1024);
    loop {
        piece.clear();
        let eof = fill(reader, &mut piece, 64 * 1024)?;
        if let Some(i) = memchr::memchr(b'\n', &piece) {
            carry.extend_from_slice(&piece[i + 1..]);
            return Ok(eof && carry.is_empty());
        }
        if eof {
            return Ok(true);
        }
    }
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
    let mut eof = fill(reader, buf, size)?;
    loop {
        if eof {
            return Ok(!buf.is_empty());
        }
        if let Some(i) = memchr::memrchr(b'\n', buf) {
            carry.extend_from_slice(&buf[i + 1..]);
            buf.truncate(i + 1);
            return Ok(true);
        }
        // One line longer than the block: keep reading until it ends, up to the cap.
        if buf.len() > MAX_RECORD {
            buf.truncate(MAX_RECORD + 1);
            buf.push(b'\n');
            skip_line(reader, carry)?;
            return Ok(true);
        }
        eof = fill(reader, buf, (buf.len() * 2).min(MAX_RECORD + 1))?;
    }
}

/// The 1-based line numbers (within `chunk`) of the lines longer than [`MAX_RECORD`].
/// Cheap when there are none: a chunk shorter than the cap is not scanned.
pub fn overlong_lines(chunk: &[u8]) -> Vec<u64> {
    if chunk.len() <= MAX_RECORD {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut start = 0;
    for (n, end) in memchr::memchr_iter(b'\n', chunk)
        .chain(std::iter::once(chunk.len()))
        .enumerate()
    {
        if end.saturating_sub(start) > MAX_RECORD {
            out.push(n as u64 + 1);
        }
        start = end + 1;
    }
    out
}

/// Visits `body` as ordered batches of up to `batch` line-aligned blocks of about
/// `size` bytes; `visit` returns `false` to stop early. Progress advances by bytes on
/// disk as batches are visited; the return value is how many were reported.
pub fn for_each_batch<V>(
    body: Body<'_>,
    size: usize,
    batch: usize,
    progress: &dyn Progress,
    mut visit: V,
) -> Result<u64, StreamError>
where
    V: FnMut(&[&[u8]]) -> bool,
{
    let batch = batch.max(1);
    let mut reported = 0u64;
    match body {
        Body::Mapped(data) => {
            for group in split_lines(data, size).chunks(batch) {
                let go = visit(group);
                let n: u64 = group.iter().map(|b| b.len() as u64).sum();
                progress.advance(n);
                reported += n;
                if !go {
                    break;
                }
            }
            Ok(reported)
        }
        Body::Stream {
            reader,
            mut carry,
            consumed,
        } => {
            let start = consumed.load(Ordering::Relaxed);
            let mut offset = 0u64;
            loop {
                let mut blocks: Vec<Vec<u8>> = Vec::with_capacity(batch);
                let mut failure = None;
                while blocks.len() < batch {
                    let mut buf = Vec::new();
                    match read_block(reader, &mut carry, size.min(STREAM_BLOCK), &mut buf) {
                        Ok(true) => blocks.push(buf),
                        Ok(false) => break,
                        Err(e) => {
                            // Keep the complete lines of a partial block.
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
                let refs: Vec<&[u8]> = blocks.iter().map(Vec::as_slice).collect();
                let go = done || visit(&refs);
                offset += refs.iter().map(|b| b.len() as u64).sum::<u64>();
                let now = consumed.load(Ordering::Relaxed).saturating_sub(start);
                progress.advance(now - reported);
                reported = now;
                if let Some(source) = failure {
                    return Err(StreamError { offset, source });
                }
                if done || !go {
                    return Ok(reported);
                }
            }
        }
    }
}

/// Runs `f` over every chunk of `body` in parallel and hands the results to `sink`
/// in input order.
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
    let batch = match body {
        Body::Mapped(_) => usize::MAX,
        Body::Stream { .. } => rayon::current_num_threads().max(1) * 2,
    };
    for_each_batch(body, size, batch, progress, |blocks| {
        let results: Vec<R> = blocks.par_iter().map(|b| f(b)).collect();
        results.into_iter().for_each(&mut sink);
        true
    })
    .map(|_| ())
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
    fn a_line_past_the_cap_is_cut_and_the_next_lines_survive() {
        let data = [
            b"head\n".to_vec(),
            vec![b'x'; MAX_RECORD + 5000],
            b"\nnext\nlast\n".to_vec(),
        ]
        .concat();
        let mut cur = io::Cursor::new(data);
        let body = Body::Stream {
            reader: &mut cur,
            carry: Vec::new(),
            consumed: Arc::new(AtomicU64::new(0)),
        };
        let mut all = Vec::new();
        drive(
            body,
            1 << 20,
            &NoProgress,
            |c: &[u8]| c.to_vec(),
            |r| all.extend(r),
        )
        .unwrap();
        let lines: Vec<&[u8]> = all.split(|&b| b == b'\n').collect();
        assert_eq!(lines[0], b"head");
        assert_eq!(lines[1].len(), MAX_RECORD + 1, "cut just past the cap");
        assert_eq!(&lines[2..], [&b"next"[..], b"last", b""]);
        assert_eq!(overlong_lines(&all), vec![2]);
        assert!(overlong_lines(b"short\nlines\n").is_empty());
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
