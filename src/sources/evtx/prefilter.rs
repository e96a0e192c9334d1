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
use crate::filter::Filter;

/// The longest text a code takes (`%%2147942405`, `5 (0x00000005)`, with room for
/// spaces), in UTF-16 units.
const CODE_TEXT_MAX: usize = 24;

/// What to look for in one scan's records.
pub struct Needles {
    /// Selected codes in every numbering space, sorted.
    numbers: Vec<u32>,
    /// Whether a byte is the low byte of one of `numbers` (a cheap first test when
    /// scanning raw bytes for little-endian codes).
    low_bytes: [bool; 256],
    /// Text forms, ASCII case-insensitive, as UTF-16LE: for nested BinXML fragments,
    /// whose values are not split out.
    utf16: AhoCorasick,
    /// [`super::rules::ALWAYS`] providers as UTF-16LE (a few: one SIMD search each).
    always: Vec<memchr::memmem::Finder<'static>>,
    /// The Security log's provider as UTF-16LE.
    security: memchr::memmem::Finder<'static>,
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// A caseless automaton for short haystacks (nested fragments of a few hundred
/// bytes): a DFA without a prefilter, since UTF-16 patterns share their zero bytes
/// with every haystack and a rare-byte prefilter would fire on each.
fn caseless<I, P>(patterns: I) -> AhoCorasick
where
    I: IntoIterator<Item = P>,
    P: AsRef<[u8]>,
{
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .prefilter(false)
        .build(patterns)
        .expect("literal patterns build")
}

impl Needles {
    pub fn new(filter: &Filter) -> Needles {
        let mut numbers = filter.statuses.values_in_every_space();
        // An NTSTATUS wrapped as an HRESULT (FACILITY_NT_BIT).
        numbers.extend(
            filter
                .statuses
                .ntstatus_values()
                .into_iter()
                .map(|v| v | 0x1000_0000),
        );
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
        let mut low_bytes = [false; 256];
        for &v in &numbers {
            low_bytes[(v & 0xFF) as usize] = true;
        }
        Needles {
            numbers,
            low_bytes,
            utf16: caseless(&utf16),
            always: super::rules::ALWAYS
                .iter()
                .map(|p| memchr::memmem::Finder::new(&utf16le(p)).into_owned())
                .collect(),
            security: memchr::memmem::Finder::new(&utf16le(super::rules::SECURITY)).into_owned(),
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

    /// Whether a selected code sits little-endian at any offset of `b`.
    fn le_anywhere(&self, b: &[u8]) -> bool {
        b.windows(4).any(|w| {
            self.low_bytes[w[0] as usize]
                && self.number(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        })
    }

    /// Whether any of a record's substitution values may be evidence, for a record of
    /// a template [`Self::template`] described.
    pub fn hit(&self, values: &[BinXmlValue<'_>], t: Template) -> bool {
        t.always || values.iter().any(|v| self.value(v, !t.security))
    }

    /// A typed number that is a selected code. In the Security log, whose evidence
    /// is the audit-failure keyword and whose codes are 32-bit statuses, a small
    /// number is a logon type, a count or an id, never a Win32 code (`small` false).
    fn code(&self, x: u32, small: bool) -> bool {
        (small || x > 0xFFFF) && self.number(x)
    }

    fn value(&self, v: &BinXmlValue<'_>, small: bool) -> bool {
        use BinXmlValue as V;
        match v {
            V::HexInt64Type(k) => {
                k & AUDIT_FAILURE != 0 || u32::try_from(*k).is_ok_and(|x| self.code(x, small))
            }
            V::UInt32Type(x) | V::HexInt32Type(x) => self.code(*x, small),
            V::Int32Type(x) => self.code(*x as u32, small),
            V::UInt64Type(x) => u32::try_from(*x).is_ok_and(|x| self.code(x, small)),
            V::Int64Type(x) => i32::try_from(*x).is_ok_and(|x| self.code(x as u32, small)),
            V::StringType(s) => self.text16(s.as_bytes()),
            V::AnsiStringType(s) => self.text(s),
            V::StringArrayType(items) => items.iter().any(|s| self.text16(s.as_bytes())),
            V::AnsiStringArrayType(items) => items.iter().any(|s| self.text(s)),
            V::BinaryType(b) => self.binary(b),
            V::UInt32ArrayType(xs) | V::HexInt32ArrayType(xs) => {
                xs.iter().any(|x| self.code(*x, small))
            }
            V::Int32ArrayType(xs) => xs.iter().any(|x| self.code(*x as u32, small)),
            // A nested fragment (classic events' data): its raw bytes hold UTF-16 text
            // and little-endian numbers at any offset.
            V::BinXmlType(b) => self.utf16.is_match(b) || self.le_anywhere(b),
            _ => false,
        }
    }

    /// What the template defined at `offset` of a chunk says of its records' provider
    /// (found in the definition's bytes once per template and chunk). The definition
    /// is a 24-byte header (next offset, GUID, data size) and its BinXML; hostile
    /// offsets and sizes are clamped.
    pub fn template(&self, chunk: &[u8], offset: u32) -> Template {
        let start = offset as usize;
        let Some(size) = chunk.get(start.saturating_add(20)..start.saturating_add(24)) else {
            return Template::default();
        };
        let size = u32::from_le_bytes([size[0], size[1], size[2], size[3]]) as usize;
        let body = start + 24;
        let end = body.saturating_add(size).min(chunk.len());
        let Some(b) = chunk.get(body..end) else {
            return Template::default();
        };
        Template {
            always: self.always.iter().any(|f| f.find(b).is_some()),
            security: self.security.find(b).is_some(),
        }
    }
}

/// What a template's definition says of its records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Template {
    /// Its provider's records are always read ([`super::rules::ALWAYS`]).
    pub always: bool,
    /// It is a Security log template.
    pub security: bool,
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
            assert!(n.value(&BinXmlValue::UInt32Type(v), true), "{v:#x}");
            assert!(n.value(&BinXmlValue::HexInt32Type(v), true), "{v:#x}");
            // In the Security log only 32-bit statuses count (LogonType 5 is not).
            assert_eq!(n.value(&BinXmlValue::UInt32Type(v), false), v > 0xFFFF);
        }
        assert!(n.value(&BinXmlValue::Int32Type(-2147024891), true));
        assert!(!n.value(&BinXmlValue::UInt32Type(0), true));
        assert!(!n.value(&BinXmlValue::UInt32Type(0x8007_0002), true));
        assert!(n.value(&BinXmlValue::HexInt64Type(0x8010_0000_0000_0000), false));
        assert!(!n.value(&BinXmlValue::HexInt64Type(0x8020_0000_0000_0000), true));
        assert!(n.value(&BinXmlValue::BinaryType(&[0x22, 0, 0, 0xC0]), true));
        assert!(!n.value(&BinXmlValue::BinaryType(&[0x22, 0, 0]), true));
        let always = Template {
            always: true,
            security: false,
        };
        assert!(n.hit(&[], always));
        assert!(!n.hit(&[], Template::default()));
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
            assert!(n.value(&BinXmlValue::AnsiStringType(t), true), "{t}");
            let b = utf16le(t);
            let s = Utf16LeSlice::new(&b, b.len() / 2);
            assert!(n.value(&BinXmlValue::StringType(s), true), "{t}");
        }
        for t in [
            "0x0",
            "%%1058",
            "C:\\Windows",
            "success",
            "Access is denied.",
            "C:\\x\\0xC0000022\\long enough to never be a code",
        ] {
            assert!(!n.value(&BinXmlValue::AnsiStringType(t), true), "{t}");
            let b = utf16le(t);
            let s = Utf16LeSlice::new(&b, b.len() / 2);
            assert!(!n.value(&BinXmlValue::StringType(s), true), "{t}");
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
        assert!(n.template(&chunk, 0).always);
        assert!(!n.template(&chunk, 0).security);
        assert!(!n.template(&chunk, 60).always);
        assert!(!n.template(&chunk, u32::MAX).always);
        // A size past the end is clamped, not trusted.
        let mut huge = chunk.clone();
        huge[20..24].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(n.template(&huge, 0).always);
    }
}
