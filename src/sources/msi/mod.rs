//! Windows Installer (MSI) logs, verbose or not (`msiexec /l*v`): UTF-16LE with BOM,
//! one record per line (`../shared/design/text-formats.md` §3.6).
//!
//! The evidence is the `Note: 1: <MSI error> 2: <object> 3: <Win32 error>` lines the
//! engine writes when a file or registry operation fails: `3: 5` is access denied on
//! the key or file in `2:`. Which MSI errors name which operation is a table
//! ([`OPERATIONS`]), spelt as Procmon names operations so that write intent is read
//! alike. Lines are `MSI (s)` (the service, msiexec.exe as SYSTEM) or `MSI (c)` (the
//! client); both are msiexec.exe.

use super::io::open::Opened;
use super::{FileScan, Format, Origin, Reading};
use crate::codes::code_of_value;
use crate::filter::Filter;
use crate::model::{Event, Family, Moment};
use crate::progress::Progress;

/// An MSI log: its banner, or an engine line, first.
pub const MSI: Format = Format {
    kind: "msi-log",
    family: Family::Msi,
    origin: Origin::Line,
    recognise: |head| {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        head.starts_with(b"=== Verbose logging started")
            || head.starts_with(b"=== Logging started")
            || head.starts_with(b"MSI (")
    },
    read: |opened: Opened, r: &Reading<'_>| {
        r.with_bytes(opened, |b| scan(b, r.filter(), r.index, r.progress))
    },
};

/// MSI errors of the `Note: 1:` lines that name a failed operation on `2:`, and the
/// operation as Procmon spells it.
pub static OPERATIONS: &[(u32, &str)] = &[
    (1303, "CreateFile"),
    (1304, "WriteFile"),
    (1310, "WriteFile"),
    (1401, "RegCreateKey"),
    (1402, "RegOpenKey"),
    (1403, "RegDeleteValue"),
    (1404, "RegDeleteKey"),
    (1406, "RegSetValue"),
    (1409, "RegSetKeySecurity"),
    (2203, "CreateFile"),
];

/// `Note: 1: 1402 2: HKEY_… 3: 5` as (MSI error, object, code).
pub fn note(line: &str) -> Option<(u32, &str, u32)> {
    let rest = &line[line.find("Note: 1: ")? + 9..];
    let (msi, rest) = rest.split_once(" 2: ")?;
    let (object, code) = rest.rsplit_once(" 3: ")?;
    let msi: u32 = msi.trim().parse().ok()?;
    let code = code.trim();
    let code = match code.strip_prefix('-') {
        Some(n) => (n.parse::<i64>().ok()?.checked_neg()? as i32) as u32,
        None => code.parse::<u32>().ok()?,
    };
    Some((msi, object.trim(), code))
}

/// `MSI (s) (18:A8) [09:12:53:801]: …` as (server, time of day text).
fn engine(line: &str) -> Option<(bool, &str)> {
    let rest = line.strip_prefix("MSI (")?;
    let server = rest.starts_with('s');
    let t = &rest[rest.find('[')? + 1..];
    Some((server, &t[..t.find(']')?]))
}

/// Reads one decoded MSI log held in memory.
pub fn scan(text: &[u8], filter: &Filter, input: u32, progress: &dyn Progress) -> FileScan {
    let mut out = FileScan::default();
    out.stats.rows = memchr::memchr_iter(b'\n', text).count() as u64
        + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        if memchr::memmem::find(raw, b"Note: 1: ").is_none() {
            continue;
        }
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end();
        let Some((msi, object, code)) = note(line) else {
            continue;
        };
        let Some(&(_, operation)) = OPERATIONS.iter().find(|(m, _)| *m == msi) else {
            continue;
        };
        let code = code_of_value(code);
        let Some(class) = filter.statuses.match_code(code) else {
            continue;
        };
        if !filter.processes.matches("msiexec.exe") {
            out.stats.others += 1;
            continue;
        }
        let (_, clock) = engine(line).unwrap_or((true, ""));
        // `09:12:53:801`: milliseconds after a colon.
        let dotted = clock.rsplit_once(':').map(|(a, b)| format!("{a}.{b}"));
        let time = Moment {
            text: clock.to_string(),
            time_of_day_ns: dotted.as_deref().and_then(crate::timefmt::time_of_day_ns),
            date: None,
            utc: false,
        };
        if !filter.window.contains(&time) {
            continue;
        }
        out.stats.matches += 1;
        out.agg.add(&Event {
            input,
            family: Family::Msi,
            line: i as u64 + 1,
            offset: 0,
            process: "msiexec.exe".into(),
            pid: None,
            operation: operation.into(),
            path: object.to_string().into(),
            code,
            class,
            result: format!("MSI {msi}, error {}", code.value).into(),
            detail: line.to_string().into(),
            time,
        });
    }
    progress.advance(text.len() as u64);
    out.agg.settle(&|_, _, _, _| false);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_read_their_error_object_and_code() {
        assert_eq!(
            note(
                "MSI (s) (18:A8) [09:12:53:801]: Note: 1: 1402 2: HKEY_CURRENT_USER\\Software\\X 3: 5 "
            ),
            Some((1402, "HKEY_CURRENT_USER\\Software\\X", 5))
        );
        assert_eq!(
            note(
                "MSI (s) (18:A8) [09:12:53:798]: Note: 1: 2203 2: C:\\Windows\\Installer\\x.ipi 3: -2147287038 "
            ),
            Some((2203, "C:\\Windows\\Installer\\x.ipi", 0x8003_0002))
        );
        assert_eq!(note("Action start 4:25:27: INSTALL."), None);
        assert_eq!(note("Note: 1: x 2: y 3: z"), None);
        for (msi, op) in OPERATIONS {
            assert!(!op.is_empty() && *msi > 1000);
        }
    }

    #[test]
    fn engine_times_have_milliseconds_after_a_colon() {
        assert_eq!(
            engine("MSI (s) (18:A8) [09:12:53:801]: x"),
            Some((true, "09:12:53:801"))
        );
        assert_eq!(
            engine("MSI (c) (0C:10) [16:00:01:002]: x").map(|e| e.0),
            Some(false)
        );
    }
}
