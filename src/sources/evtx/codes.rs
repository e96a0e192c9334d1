//! Status and error codes as event logs write them, normalised to one value.
//!
//! Real logs carry one code in many encodings (`../shared/design/evtx-evidence.md`):
//! a hex string in any case (`0xc00000a2`), an unsigned or signed decimal
//! (`2147942405`, `-2147024891`), a little-endian `Binary` (`220000C0`), an insertion
//! reference (`%%5`, `%%2147942405`), and `5 (0x00000005)`. Every form becomes one
//! `u32`, and [`code_of`] gives it its numbering space.

/// The code a field's text holds, in any of the forms above; `None` for anything
/// else (a word, a path, a number that does not fit 32 bits).
pub fn normalise(text: &str) -> Option<u32> {
    let t = text.trim();
    let t = t.strip_prefix("%%").unwrap_or(t);
    // `5 (0x00000005)`: the number before the parenthesis.
    let t = match memchr::memchr(b'(', t.as_bytes()) {
        Some(i) if t.ends_with(')') => t[..i].trim(),
        _ => t,
    };
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        if hex.is_empty() || hex.len() > 16 {
            return None;
        }
        let v = u64::from_str_radix(hex, 16).ok()?;
        return u32::try_from(v).ok();
    }
    if let Some(neg) = t.strip_prefix('-') {
        let v: i64 = neg.parse::<i64>().ok()?.checked_neg()?;
        return (v >= i64::from(i32::MIN)).then_some(v as i32 as u32);
    }
    if t.is_empty() || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse::<u32>().ok()
}

/// The code a little-endian `Binary` field starts with (`220000C0` is 0xC0000022).
pub fn binary_le(hex: &str) -> Option<u32> {
    let h = hex.trim().as_bytes();
    if h.len() < 8 || !h[..8].iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(std::str::from_utf8(&h[i..i + 2]).ok()?, 16).ok();
    Some(u32::from_le_bytes([byte(0)?, byte(2)?, byte(4)?, byte(6)?]))
}

pub use crate::codes::code_of_value as code_of;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::Space;

    /// Every encoding the evidence survey found, for the same two codes.
    #[test]
    fn every_encoding_of_one_code_is_one_value() {
        for form in [
            "0x80070005",
            "0X80070005",
            "2147942405",
            "-2147024891",
            "%%2147942405",
        ] {
            assert_eq!(normalise(form), Some(0x8007_0005), "{form}");
        }
        for form in ["0xc00000a2", "0xC00000A2", "3221225634", "-1073741662"] {
            assert_eq!(normalise(form), Some(0xC000_00A2), "{form}");
        }
        assert_eq!(normalise("%%5"), Some(5));
        assert_eq!(normalise("5 (0x00000005)"), Some(5));
        assert_eq!(normalise(" 19 "), Some(19));
        assert_eq!(binary_le("220000C0"), Some(0xC000_0022));
        assert_eq!(binary_le("220000c0ffff"), Some(0xC000_0022));
    }

    #[test]
    fn words_paths_and_overflows_are_not_codes() {
        for text in [
            "",
            "%%",
            "0x",
            "Access is denied.",
            "C:\\Windows",
            "4294967296",
            "-2147483649",
            "0x1ffffffff",
            "12a",
            "+5",
        ] {
            assert_eq!(normalise(text), None, "{text:?}");
        }
        assert_eq!(binary_le("22"), None);
        assert_eq!(binary_le("zz0000C0"), None);
    }

    #[test]
    fn spaces_follow_the_severity_bits() {
        assert_eq!(code_of(0xC000_0022).space, Space::NtStatus);
        assert_eq!(code_of(0x8000_0005).space, Space::NtStatus);
        assert_eq!(code_of(0x8007_0005).space, Space::HResult);
        assert_eq!(code_of(5).space, Space::Win32);
        assert_eq!(code_of(19).space, Space::Win32);
    }
}
