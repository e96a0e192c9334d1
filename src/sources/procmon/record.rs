//! One CSV record per line, parsed with the csv crate's core DFA (`csv-core`) and
//! reused buffers: no allocation per record once warmed up.
//!
//! Procmon never writes a newline inside a field (multi-line values are flattened), so
//! a line is a record; a malformed line therefore cannot swallow the next one.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// A reusable single-line record parser.
pub struct LineParser {
    rdr: Reader,
    out: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
}

impl LineParser {
    pub fn new(delimiter: u8) -> LineParser {
        LineParser {
            rdr: ReaderBuilder::new().delimiter(delimiter).build(),
            out: vec![0; 1024],
            ends: vec![0; 32],
            len: 0,
        }
    }

    /// Parses `line` (without its `\n`; a trailing `\r` is ignored). Returns the field
    /// count, or `None` if the line held more than one record (cannot happen without
    /// a newline) or nothing at all.
    pub fn parse(&mut self, line: &[u8]) -> Option<usize> {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if self.out.len() < line.len() + 8 {
            self.out.resize(line.len() + 8, 0);
        }
        self.rdr.reset();
        let (mut input, mut nout, mut nend) = (line, 0usize, 0usize);
        loop {
            // With `input` empty the reader takes it as end of input and emits the record.
            let (res, i, o, e) =
                self.rdr
                    .read_record(input, &mut self.out[nout..], &mut self.ends[nend..]);
            input = &input[i..];
            nout += o;
            nend += e;
            match res {
                ReadRecordResult::InputEmpty => {}
                ReadRecordResult::OutputFull => self.out.resize(self.out.len() * 2, 0),
                ReadRecordResult::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                ReadRecordResult::Record if input.is_empty() => break,
                ReadRecordResult::Record | ReadRecordResult::End => return None,
            }
        }
        self.len = nend;
        Some(nend)
    }

    /// Field `i` of the last parsed record.
    pub fn field(&self, i: usize) -> Option<&[u8]> {
        if i >= self.len {
            return None;
        }
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.out[start..self.ends[i]])
    }

    /// Number of fields of the last parsed record.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the last parsed record had no field.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_fields_with_commas_and_quotes() {
        let mut p = LineParser::new(b',');
        assert_eq!(p.parse(b"\"a\",\"b, c\",\"say \"\"hi\"\"\",\r"), Some(4));
        assert_eq!(p.field(0), Some(&b"a"[..]));
        assert_eq!(p.field(1), Some(&b"b, c"[..]));
        assert_eq!(p.field(2), Some(&b"say \"hi\""[..]));
        assert_eq!(p.field(3), Some(&b""[..]));
        assert_eq!(p.field(4), None);
    }

    #[test]
    fn unquoted_long_and_truncated_lines() {
        let mut p = LineParser::new(b';');
        assert_eq!(p.parse(b"x;y;z"), Some(3));
        let long = vec![b'q'; 5000];
        let mut line = long.clone();
        line.extend_from_slice(b";end");
        assert_eq!(p.parse(&line), Some(2));
        assert_eq!(p.field(0).map(<[u8]>::len), Some(5000));
        // An unterminated quote ends with the line.
        let mut p = LineParser::new(b',');
        assert_eq!(p.parse(b"\"a\",\"unterminated"), Some(2));
        assert_eq!(p.field(1), Some(&b"unterminated"[..]));
        let many: Vec<u8> = (0..100).map(|_| "f,").collect::<String>().into_bytes();
        assert_eq!(p.parse(&many), Some(101));
    }
}
