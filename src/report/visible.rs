//! Control characters from logs never reach a terminal raw. A Path, Process or Detail
//! field, a file name or a zip member name can hold ESC and OSC sequences that set the
//! window title, clear the screen or hide text; every human output renders them
//! visibly instead (`\x1b`, `\u{9b}`), as `less` and ripgrep's `--escape` do. Machine
//! formats keep the data: JSON escapes them itself, CSV is data.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Whether a character is a control character a terminal would act on (C0, DEL, C1).
fn is_control(c: char) -> bool {
    c.is_control()
}

fn escape(c: char, out: &mut String) {
    let v = c as u32;
    if v < 0x100 {
        let _ = write!(out, "\\x{v:02x}");
    } else {
        let _ = write!(out, "\\u{{{v:x}}}");
    }
}

/// `s` with every control character (newlines and tabs included) written visibly: for
/// one-line messages.
pub fn visible(s: &str) -> Cow<'_, str> {
    visible_except(s, |_| false)
}

fn visible_except(s: &str, keep: impl Fn(char) -> bool) -> Cow<'_, str> {
    if !s.chars().any(|c| is_control(c) && !keep(c)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_control(c) && !keep(c) {
            escape(c, &mut out);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A writer for human reports: every control character but the newline is written
/// visibly. UTF-8 sequences split across writes are held back until complete.
pub struct VisibleWriter<W: Write> {
    inner: W,
    pending: Vec<u8>,
}

impl<W: Write> VisibleWriter<W> {
    pub fn new(inner: W) -> Self {
        VisibleWriter {
            inner,
            pending: Vec::new(),
        }
    }

    fn emit(&mut self, text: &str) -> io::Result<()> {
        let shown = visible_except(text, |c| c == '\n');
        self.inner.write_all(shown.as_bytes())
    }
}

impl<W: Write> Write for VisibleWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.pending.extend_from_slice(buf);
        let pending = std::mem::take(&mut self.pending);
        let (good, rest) = match std::str::from_utf8(&pending) {
            Ok(s) => (s.len(), 0),
            Err(e) => match e.error_len() {
                // An incomplete sequence at the end: keep it for the next write.
                None => (e.valid_up_to(), pending.len() - e.valid_up_to()),
                // Invalid bytes: shown as U+FFFD, never raw.
                Some(_) => {
                    let text = String::from_utf8_lossy(&pending).into_owned();
                    self.emit(&text)?;
                    return Ok(buf.len());
                }
            },
        };
        // SAFETY-free: `good` is a valid UTF-8 prefix by construction.
        let text = std::str::from_utf8(&pending[..good]).unwrap_or_default();
        self.emit(text)?;
        self.pending = pending[pending.len() - rest..].to_vec();
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        if !self.pending.is_empty() {
            let text = String::from_utf8_lossy(&std::mem::take(&mut self.pending)).into_owned();
            self.emit(&text)?;
        }
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_shown_not_sent() {
        assert_eq!(
            visible("C:\\a\u{1b}]0;pwned\u{7}b"),
            "C:\\a\\x1b]0;pwned\\x07b"
        );
        assert_eq!(visible("a\nb\tc\u{9b}d\u{7f}"), "a\\x0ab\\x09c\\x9bd\\x7f");
        assert!(matches!(visible("plain é"), Cow::Borrowed(_)));
    }

    #[test]
    fn the_writer_keeps_newlines_and_split_sequences() {
        let mut w = VisibleWriter::new(Vec::new());
        let text = "x\u{1b}[2J\né\u{9b}y\n";
        for b in text.as_bytes() {
            w.write_all(&[*b]).unwrap();
        }
        w.flush().unwrap();
        assert_eq!(String::from_utf8(w.inner).unwrap(), "x\\x1b[2J\né\\x9by\n");
    }
}
