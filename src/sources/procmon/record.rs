//! One CSV record per line, parsed with the csv crate's core DFA (`csv-core`) and
//! reused buffers: no allocation per record once warmed up.
//!
//! Most lines take a faster road to the same fields: a Procmon export quotes every
//! field and almost never escapes a quote, so the fields are found by jumping from
//! quote to delimiter with `memchr` instead of running the DFA over every byte. Any
//! line that road does not fully understand (an escaped quote, a quote inside an
//! unquoted field, a carriage return, text after a closing quote) goes to the DFA;
//! a property test holds the two to the same fields on any line.
//!
//! Procmon never writes a newline inside a field (multi-line values are flattened), so
//! a line is a record; a malformed line therefore cannot swallow the next one.

use csv_core::{ReadRecordResult, Reader, ReaderBuilder};

/// Most fields read of one record (a power of two, as the field table grows by
/// doubling). Procmon writes at most a few dozen columns; a hostile line of 16 MiB of
/// delimiters would otherwise hold a table of eight million field ends.
pub const MAX_FIELDS: usize = 4096;

/// A reusable single-line record parser.
pub struct LineParser {
    rdr: Reader,
    delimiter: u8,
    out: Vec<u8>,
    ends: Vec<usize>,
    len: usize,
}

impl LineParser {
    pub fn new(delimiter: u8) -> LineParser {
        LineParser {
            rdr: ReaderBuilder::new().delimiter(delimiter).build(),
            delimiter,
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
        if let Some(n) = self.split_plain(line) {
            self.len = n;
            return Some(n);
        }
        self.parse_dfa(line)
    }

    /// The fast road: fields of a line whose quoted fields hold no quote and whose
    /// unquoted fields hold no quote or carriage return, each copied to `out` as the
    /// DFA would. `None`: the line needs the DFA (nothing of the result is kept).
    fn split_plain(&mut self, line: &[u8]) -> Option<usize> {
        if line.is_empty() {
            return None;
        }
        let delim = self.delimiter;
        let (mut pos, mut nout, mut n) = (0usize, 0usize, 0usize);
        loop {
            let (field, next) = if line.get(pos) == Some(&b'"') {
                let close = pos + 1 + memchr::memchr(b'"', &line[pos + 1..])?;
                match line.get(close + 1) {
                    None => (&line[pos + 1..close], None),
                    Some(&b) if b == delim => (&line[pos + 1..close], Some(close + 2)),
                    // An escaped quote or text after the closing quote.
                    Some(_) => return None,
                }
            } else {
                match memchr::memchr3(delim, b'"', b'\r', &line[pos..]) {
                    None => (&line[pos..], None),
                    Some(i) if line[pos + i] == delim => (&line[pos..pos + i], Some(pos + i + 1)),
                    Some(_) => return None,
                }
            };
            self.out[nout..nout + field.len()].copy_from_slice(field);
            nout += field.len();
            self.set_end(n, nout);
            n += 1;
            if n == MAX_FIELDS {
                return Some(n);
            }
            match next {
                None => return Some(n),
                // A delimiter ending the line leaves one empty field after it.
                Some(p) if p == line.len() => {
                    self.set_end(n, nout);
                    return Some(n + 1);
                }
                Some(p) => pos = p,
            }
        }
    }

    /// Records that field `n` ends at `end` in `out`, growing the table by doubling.
    fn set_end(&mut self, n: usize, end: usize) {
        if n == self.ends.len() {
            self.ends.resize(self.ends.len() * 2, 0);
        }
        self.ends[n] = end;
    }

    /// The DFA road: any line, as the csv crate reads it.
    fn parse_dfa(&mut self, line: &[u8]) -> Option<usize> {
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
                // Fields past the cap are not read (nor kept).
                ReadRecordResult::OutputEndsFull if self.ends.len() >= MAX_FIELDS => break,
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

    /// Every field of the last parsed record.
    fn fields(p: &LineParser) -> Vec<Vec<u8>> {
        (0..p.len()).map(|i| p.field(i).unwrap().to_vec()).collect()
    }

    #[test]
    fn plain_lines_take_the_fast_road_and_others_the_dfa() {
        let mut p = LineParser::new(b',');
        let procmon = b"\"7:19:37.01 AM\",\"mstsc.exe\",\"7720\",\"CreateFile\",\"C:\\a, b\",\"ACCESS DENIED\",\"\"";
        assert_eq!(p.split_plain(procmon), Some(7));
        assert_eq!(p.parse(procmon), Some(7));
        assert_eq!(fields(&p)[4], b"C:\\a, b".to_vec());
        assert_eq!(fields(&p)[6], b"".to_vec());
        for line in [
            &b"\"say \"\"hi\"\"\""[..],
            b"a\"b,c",
            b"\"a\"x,b",
            b"a\rb",
            b"",
        ] {
            assert_eq!(
                p.split_plain(line),
                None,
                "{}",
                String::from_utf8_lossy(line)
            );
        }
    }

    #[test]
    fn fields_past_the_cap_are_not_read_on_either_road() {
        for (line, road) in [
            ("f,".repeat(3 * MAX_FIELDS), "fast"),
            ("\"f\"\"\",".repeat(3 * MAX_FIELDS), "dfa"),
        ] {
            let mut p = LineParser::new(b',');
            assert_eq!(p.parse(line.as_bytes()), Some(MAX_FIELDS), "{road}");
            assert_eq!(p.ends.len(), MAX_FIELDS, "{road}: the table stops growing");
            let first = if road == "fast" {
                &b"f"[..]
            } else {
                &b"f\""[..]
            };
            assert_eq!(p.field(0), Some(first));
            assert_eq!(p.field(MAX_FIELDS - 1), Some(first));
            assert_eq!(p.field(MAX_FIELDS), None);
        }
        // Exactly the cap, and one under it with a trailing delimiter, are whole.
        let mut p = LineParser::new(b',');
        let exact = vec!["x"; MAX_FIELDS].join(",");
        assert_eq!(p.parse(exact.as_bytes()), Some(MAX_FIELDS));
        let trailing = format!("{},", vec!["x"; MAX_FIELDS - 1].join(","));
        assert_eq!(p.parse(trailing.as_bytes()), Some(MAX_FIELDS));
        assert_eq!(p.field(MAX_FIELDS - 1), Some(&b""[..]));
    }

    proptest::proptest! {
        /// The fast road and the DFA read any line alike.
        #[test]
        fn both_roads_read_any_line_alike(
            bytes in proptest::collection::vec(
                proptest::sample::select(&b"ab,;\"\r \t"[..]), 0..40),
            delim in proptest::sample::select(&b",;\t"[..]),
        ) {
            let mut fast = LineParser::new(delim);
            let mut dfa = LineParser::new(delim);
            let line = bytes.strip_suffix(b"\r").unwrap_or(&bytes);
            dfa.out.resize(line.len() + 8, 0);
            let want = dfa.parse_dfa(line);
            let got = fast.parse(&bytes);
            proptest::prop_assert_eq!(got, want);
            if got.is_some() {
                proptest::prop_assert_eq!(fields(&fast), fields(&dfa));
            }
        }
    }
}
