//! The record grammar shared by CBS.log, CbsPersist, dism.log, Panther and setup logs
//! (`../shared/design/text-formats.md` §3.1): `YYYY-MM-DD HH:MM:SS, <Level> [0x……]
//! <Component> <Message>`. Columns are padded, but copies re-pad them, so the header
//! is tokenised, never cut at fixed columns. A line that does not start with a
//! timestamp continues the record before it.

/// The header of a record's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// `2019-06-05` and `13:04:22`, as logged (local time, no zone).
    pub date: (i32, u8, u8),
    pub time: &'a str,
    pub level: &'a str,
    /// `CBS`, `CSI`, `DISM`, …; empty when the column is.
    pub component: &'a str,
    /// Everything after the component.
    pub message: &'a str,
}

/// `YYYY-MM-DD HH:MM:SS` at the start of `b`.
fn timestamp(b: &[u8]) -> bool {
    b.len() >= 19
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && b[10] == b' '
        && b[11..13].iter().all(u8::is_ascii_digit)
        && b[13] == b':'
        && b[14..16].iter().all(u8::is_ascii_digit)
        && b[16] == b':'
        && b[17..19].iter().all(u8::is_ascii_digit)
}

/// Where the timestamp of a record's first line starts: at 0, or after a
/// `<file>.log:` prefix (`findstr` output over several logs). `None` for a
/// continuation line.
pub fn opens_record(line: &[u8]) -> Option<usize> {
    if timestamp(line) {
        return Some(0);
    }
    // `C:\Windows\Logs\CBS\CbsPersist_….log:2023-05-23 09:50:04, Info …`
    if !line.first().is_some_and(u8::is_ascii_alphabetic) {
        return None;
    }
    let window = &line[..line.len().min(300)];
    let at = memchr::memmem::find(window, b".log:")? + 5;
    timestamp(&line[at..]).then_some(at)
}

/// Whether a token is a component name (`^[A-Z]{2,8}$`).
fn is_component(t: &str) -> bool {
    (2..=8).contains(&t.len()) && t.bytes().all(|b| b.is_ascii_uppercase())
}

/// Reads the header of a record's first line (from where [`opens_record`] said).
pub fn header(line: &str) -> Option<Header<'_>> {
    let b = line.as_bytes();
    if !timestamp(b) || b.get(19..21) != Some(b", ") {
        return None;
    }
    let num = |r: std::ops::Range<usize>| line[r].parse().ok();
    let date = (num(0..4)?, num(5..7)? as u8, num(8..10)? as u8);
    let time = &line[11..19];
    let rest = line[21..].trim_start();
    let (level, rest) = rest.split_once(' ').unwrap_or((rest, ""));
    let mut rest = rest.trim_start();
    // The setup logs' message-ID column: `[0x0f0070]`.
    if rest.starts_with("[0x")
        && let Some(end) = rest.find(']')
    {
        rest = rest[end + 1..].trim_start();
    }
    let (first, after) = rest.split_once(' ').unwrap_or((rest, ""));
    let (component, message) = if is_component(first) {
        (first, after.trim_start())
    } else {
        ("", rest)
    };
    Some(Header {
        date,
        time,
        level,
        component,
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padded_empty_and_message_id_columns() {
        let h = header("2019-06-05 13:04:22, Info                  CBS    Failed to unload offline registry: x").unwrap();
        assert_eq!((h.level, h.component), ("Info", "CBS"));
        assert_eq!(h.message, "Failed to unload offline registry: x");
        assert_eq!(h.date, (2019, 6, 5));
        assert_eq!(h.time, "13:04:22");
        // Empty component: the message's first token has a colon or lower case.
        let h = header("2020-09-18 21:56:48, Error                        EnumeratePathEx: FindFirstFile failed").unwrap();
        assert_eq!((h.level, h.component), ("Error", ""));
        assert!(h.message.starts_with("EnumeratePathEx:"));
        let h =
            header("2024-01-25 16:35:37, Error      [0x0f0070] SYSPRP RunDlls:An error occurred")
                .unwrap();
        assert_eq!(
            (h.level, h.component, h.message),
            ("Error", "SYSPRP", "RunDlls:An error occurred")
        );
        // Re-padded copies.
        let h = header(
            "2020-10-06 11:40:26, Info                       DISM     API: PID=27644 TID=35300 x",
        )
        .unwrap();
        assert_eq!(
            (h.component, h.message),
            ("DISM", "API: PID=27644 TID=35300 x")
        );
        let h = header("2026-02-08 15:57:07, Error                            [SetupPlatform.exe] SetFirmwareEnvironmentVariableW() error = 0x5").unwrap();
        assert_eq!(h.component, "");
        assert!(h.message.starts_with("[SetupPlatform.exe]"));
    }

    #[test]
    fn records_open_on_a_timestamp_or_after_a_log_prefix() {
        assert_eq!(opens_record(b"2019-06-05 13:04:22, Info  CBS x"), Some(0));
        assert_eq!(opens_record(b" Expected: {l:32 ml:33 b:26c1}."), None);
        assert_eq!(opens_record(b""), None);
        let l = b"C:\\Windows\\Logs\\CBS\\CbsPersist_20230523160236.log:2023-05-23 09:50:04, Info  CSI x";
        assert_eq!(opens_record(l), Some(50));
        assert_eq!(opens_record(b"8/20/2017 8:47:41 - PFRO Error: x"), None);
        assert!(header("2019-06-05 13:04:22 Info").is_none());
    }
}
