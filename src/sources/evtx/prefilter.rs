//! Deciding from a record's raw substitution values, before rendering it, whether it
//! can hold evidence. Rendering is what costs; most records of a real log cannot
//! match, and they are dropped here.
//!
//! A record is read when any of its values is: a `Keywords` with the audit-failure
//! bit; a number equal to a selected code in any of its numbering spaces (NTSTATUS,
//! Win32, HRESULT); a short string that *is* one of those codes as text (hex, decimal,
//! signed decimal, `%%N`, `5 (0x00000005)`: exactly what extraction reads, through the
//! same [`super::codes::normalise`]); a `Binary` holding one little-endian. Longer
//! strings (paths, names, messages) cannot be a code and are never decoded. Records of a template whose provider is one of
//! [`super::rules::ALWAYS`] are always read; the provider is found once per template
//! in its definition's bytes. A false positive costs one rendering, never a finding.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder};
use evtx::binxml::value_variant::BinXmlValue;

use super::fields::AUDIT_FAILURE;
use crate::codes;
use crate::filter::Filter;

/// The longest text a code takes (`%%2147942405`, `5 (0x00000005)`, with room for
/// spaces), in UTF-16 units.
const CODE_TEXT_MAX: usize = 24;

/// What to look for in one scan's records.
pub struct Needles {
    /// Selected codes in every numbering space, sorted.
    numbers: Vec<u32>,
    /// Text forms, ASCII case-insensitive, as UTF-16LE: for nested BinXML fragments,
    /// whose values are not split out.
    utf16: AhoCorasick,
    /// [`super::rules::ALWAYS`] providers as UTF-16LE.
    always: AhoCorasick,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

fn caseless<I, P>(patterns: I) -> AhoCorasick
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .build(patterns)
        .expect("literal patterns build")
}

impl Needles {
    pub fn new(filter: &Filter) -> Needles {
        let mut numbers = Vec::new();
        for v in filter.statuses.ntstatus_values() {
            numbers.push(v);
            if let Some(w) = codes::ntstatus_to_win32(v) {
                numbers.push(w);
                numbers.push(0x8007_0000 | (w & 0xFFFF));
            }
            // An NTSTATUS wrapped as an HRESULT (FACILITY_NT_BIT).
            numbers.push(v | 0x1000_0000);
        }
        numbers.sort_unstable();
        numbers.dedup();
        let mut text: Vec<String> = Vec::new();
        for &v in &numbers {
            if v > 0xFFFF {
                text.push(format!("{v:08x}"));
                text.push(v.to_string());
                text.push((v as i32).to_string());
            } else {
                text.push(format!("%%{v}"));
                text.push(format!("(0x{v:08x})"));
            }
        }
        let utf16: Vec<Vec<u8>> = text.iter().map(|t| utf16le(t)).collect();
        Needles {
            numbers,
            utf16: caseless(&utf16),
            always: caseless(super::rules::ALWAYS.iter().map(|p| utf16le(p))),
        }
    }

    /// Whether a value is a selected code.
    fn number(&self, v: u32) -> bool {
        self.numbers.binary_search(&v).is_ok()
    }

    /// Whether a text is a selected code.
    fn text(&self, t: &str) -> bool {
        t.len() <= CODE_TEXT_MAX && super::codes::normalise(t).is_some_and(|v| self.number(v))
    }

    /// [`Self::text`] of a UTF-16LE string, decoded only when short and ASCII.
    fn text16(&self, b: &[u8]) -> bool {
        if b.len() > CODE_TEXT_MAX * 2 {
            return false;
        }
        let mut buf = [0u8; CODE_TEXT_MAX];
        let mut n = 0;
        for u in b.chunks_exact(2) {
            if u[1] != 0 || u[0] >= 0x80 {
                return false;
            }
            buf[n] = u[0];
            n += 1;
        }
        std::str::from_utf8(&buf[..n]).is_ok_and(|t| self.text(t))
    }

    fn binary(&self, b: &[u8]) -> bool {
        b.chunks_exact(4)
            .any(|w| self.number(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
    }

    /// Whether any of a record's substitution values may be evidence.
    pub fn hit(&self, values: &[BinXmlValue<'_>]) -> bool {
        values.iter().any(|v| self.value(v))
    }

    fn value(&self, v: &BinXmlValue<'_>) -> bool {
        use BinXmlValue as V;
        match v {
            V::HexInt64Type(k) => {
                k & AUDIT_FAILURE != 0 || u32::try_from(*k).is_ok_and(|x| self.number(x))
            }
            V::UInt32Type(x) | V::HexInt32Type(x) => self.number(*x),
            V::Int32Type(x) => self.number(*x as u32),
            V::UInt64Type(x) => u32::try_from(*x).is_ok_and(|x| self.number(x)),
            V::Int64Type(x) => i32::try_from(*x).is_ok_and(|x| self.number(x as u32)),
            V::StringType(s) => self.text16(s.as_bytes()),
            V::AnsiStringType(s) => self.text(s),
            V::StringArrayType(items) => items.iter().any(|s| self.text16(s.as_bytes())),
            V::AnsiStringArrayType(items) => items.iter().any(|s| self.text(s)),
            V::BinaryType(b) => self.binary(b),
            V::UInt32ArrayType(xs) | V::HexInt32ArrayType(xs) => xs.iter().any(|x| self.number(*x)),
            V::Int32ArrayType(xs) => xs.iter().any(|x| self.number(*x as u32)),
            // A nested fragment (classic events' data): its raw bytes hold UTF-16 text
            // and little-endian numbers at any offset.
            V::BinXmlType(b) => {
                self.utf16.is_match(b)
                    || b.windows(4)
                        .any(|w| self.number(u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
            }
            _ => false,
        }
    }

    /// Whether the template defined at `offset` of a chunk names a provider whose
    /// records are always read. The definition is a 24-byte header (next offset,
    /// GUID, data size) and its BinXML; hostile offsets and sizes are clamped.
    pub fn always(&self, chunk: &[u8], offset: u32) -> bool {
        let start = offset as usize;
        let Some(size) = chunk.get(start + 20..start + 24) else {
            return false;
        };
        let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let body = start + 24;
        let end = body.saturating_add(size).min(chunk.len());
        chunk
            .get(body..end)
            .is_some_and(|b| self.always.is_match(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use evtx::Utf16LeSlice;

    fn needles() -> Needles {
        Needles::new(&Filter::default())
    }

    #[test]
    fn selected_codes_hit_in_every_space() {
        let n = needles();
        for v in [0xC000_0022u32, 0xC000_00A2, 5, 19, 0x8007_0005, 0x8007_0013] {
            assert!(n.value(&BinXmlValue::UInt32Type(v)), "{v:#x}");
            assert!(n.value(&BinXmlValue::HexInt32Type(v)), "{v:#x}");
        }
        assert!(n.value(&BinXmlValue::Int32Type(-2147024891)));
        assert!(!n.value(&BinXmlValue::UInt32Type(0)));
        assert!(!n.value(&BinXmlValue::UInt32Type(0x8007_0002)));
        assert!(n.value(&BinXmlValue::HexInt64Type(0x8010_0000_0000_0000)));
        assert!(!n.value(&BinXmlValue::HexInt64Type(0x8020_0000_0000_0000)));
        assert!(n.value(&BinXmlValue::BinaryType(&[0x22, 0, 0, 0xC0])));
        assert!(!n.value(&BinXmlValue::BinaryType(&[0x22, 0, 0])));
    }

    #[test]
    fn text_forms_hit_in_utf8_and_utf16() {
        let n = needles();
        for t in [
            "0xC00000A2",
            "0xc0000022",
            "%%5",
            "%%2147942405",
            "-2147024891",
            "5 (0x00000005)",
            " 19 ",
            // A bare number may sit in a field named for a code: read it.
            "5",
        ] {
            assert!(n.value(&BinXmlValue::AnsiStringType(t)), "{t}");
            let b = utf16le(t);
            let s = Utf16LeSlice::new(&b, b.len() / 2);
            assert!(n.value(&BinXmlValue::StringType(s)), "{t}");
        }
        for t in [
            "0x0",
            "%%1058",
            "C:\\Windows",
            "success",
            "Access is denied.",
            "C:\\x\\0xC0000022\\long enough to never be a code",
        ] {
            assert!(!n.value(&BinXmlValue::AnsiStringType(t)), "{t}");
            let b = utf16le(t);
            let s = Utf16LeSlice::new(&b, b.len() / 2);
            assert!(!n.value(&BinXmlValue::StringType(s)), "{t}");
        }
        // Non-ASCII text is never a code.
        let b = utf16le("５");
        assert!(!n.text16(&b));
    }

    #[test]
    fn template_providers_are_read_from_the_definition_and_clamped() {
        let n = needles();
        let mut chunk = vec![0u8; 100];
        let body = utf16le(super::super::rules::RDP_CLIENT);
        chunk[20..24].copy_from_slice(&(body.len() as u32).to_le_bytes());
        chunk.extend_from_slice(&[0; 0]);
        chunk.splice(24..24, body.iter().copied());
        assert!(n.always(&chunk, 0));
        assert!(!n.always(&chunk, 60));
        assert!(!n.always(&chunk, u32::MAX));
        // A size past the end is clamped, not trusted.
        let mut huge = chunk.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(n.always(&huge, 0));
    }
}
