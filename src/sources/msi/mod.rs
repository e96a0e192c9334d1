//! Windows Installer (MSI) logs, verbose or not (`msiexec /l*v`): UTF-16LE with BOM,
//! one record per line (`../shared/design/text-formats.md` §3.6).
//!
//! The evidence is the `Note: 1: <MSI error> 2: <object> 3: <Win32 error>` lines the
//! engine writes when a file or registry operation fails: `3: 5` is access denied on
//! the key or file in `2:`. Which MSI errors name which operation is a table
//! ([`OPERATIONS`]), spelt as Procmon names operations so that write intent is read
//! alike. Lines are `MSI (s)` (the service, msiexec.exe as SYSTEM) or `MSI (c)` (the
//! client); both are msiexec.exe. The engine's own messages (`Error 1303. The
//! installer has insufficient privileges to access this directory: …`) are read too
//! ([`errors`]); one that repeats the `Note:` line just kept counts once.

pub mod errors;

use super::io::open::Opened;
use super::{FileScan, Format, Origin, Reading};
use crate::codes::code_of_value;
use crate::filter::Filter;
use crate::model::{Event, Family, Moment, Note, NoteKind};
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
    // The installer is refused the folder it installs files into: a write.
    (1303, "WriteFile"),
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

/// How many lines after a kept failure a message repeating it is the same failure.
const REPEAT_LINES: u64 = 8;

/// A failure read from one line: (MSI error, path, Win32 or HRESULT code, operation).
struct Failure<'a> {
    msi: u32,
    path: Option<&'a str>,
    code: u32,
    operation: &'static str,
}

/// What a line says failed: its `Note:` fields, or an engine message.
fn failure(line: &str) -> Option<Failure<'_>> {
    if let Some((msi, object, code)) = note(line) {
        let &(_, operation) = OPERATIONS.iter().find(|(m, _)| *m == msi)?;
        return Some(Failure {
            msi,
            path: Some(object),
            code,
            operation,
        });
    }
    let f = errors::find(line)?;
    Some(Failure {
        msi: f.message.number,
        path: f.path,
        code: f.code?,
        operation: f.message.operation,
    })
}

/// Reads one decoded MSI log held in memory.
pub fn scan(text: &[u8], filter: &Filter, input: u32, progress: &dyn Progress) -> FileScan {
    let mut out = FileScan::default();
    out.stats.rows = memchr::memchr_iter(b'\n', text).count() as u64
        + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    // The last failure kept: (line, MSI error, path folded).
    let mut last: Option<(u64, u32, String)> = None;
    for (i, raw) in text.split(|&b| b == b'\n').enumerate() {
        if memchr::memmem::find(raw, b"Note: 1: ").is_none()
            && memchr::memmem::find(raw, b"Error 1").is_none()
        {
            continue;
        }
        let line_no = i as u64 + 1;
        let line = String::from_utf8_lossy(raw);
        let line = line.trim_end();
        let Some(f) = failure(line) else {
            continue;
        };
        let code = code_of_value(f.code);
        let Some(class) = filter.statuses.match_code(code) else {
            continue;
        };
        if !filter.processes.matches("msiexec.exe") {
            out.stats.others += 1;
            continue;
        }
        let folded = f.path.unwrap_or("").trim_end_matches('\\').to_lowercase();
        if last.as_ref().is_some_and(|(l, m, p)| {
            line_no - l <= REPEAT_LINES && *m == f.msi && same_object(p, &folded)
        }) {
            continue;
        }
        let time = engine_time(line);
        if !filter.window.contains(&time) {
            continue;
        }
        out.stats.matches += 1;
        last = Some((line_no, f.msi, folded));
        match f.path {
            Some(path) => out.agg.add(&Event {
                input,
                family: Family::Msi,
                line: line_no,
                offset: 0,
                process: "msiexec.exe".into(),
                pid: None,
                operation: f.operation.into(),
                path: path.to_string().into(),
                code,
                class,
                result: format!("MSI {}, error {}", f.msi, code.value).into(),
                detail: line.to_string().into(),
                time,
            }),
            None => out.agg.add_note(Note {
                input,
                family: Family::Msi,
                line: line_no,
                kind: NoteKind::PrivilegeDenied,
                source: "MSI log".to_string(),
                cause: None,
                process: Some("msiexec.exe".to_string()),
                code: Some(code.value),
                subject: line.chars().take(200).collect(),
                benign: None,
                time,
            }),
        }
    }
    progress.advance(text.len() as u64);
    out.agg.settle(&|_, _, _, _| false);
    out
}

/// Whether two folded objects are one: a message may omit the key's root that the
/// `Note:` line gives (`\\SOFTWARE\\X` after `HKEY_LOCAL_MACHINE\\SOFTWARE\\X`).
fn same_object(a: &str, b: &str) -> bool {
    let (a, b) = (a.trim_start_matches('\\'), b.trim_start_matches('\\'));
    a == b
        || (!a.is_empty()
            && !b.is_empty()
            && (a.ends_with(&format!("\\{b}")) || b.ends_with(&format!("\\{a}"))))
}

/// An engine line's time of day (`[09:12:53:801]`: milliseconds after a colon);
/// empty for a line without one.
fn engine_time(line: &str) -> Moment {
    let (_, clock) = engine(line).unwrap_or((true, ""));
    let dotted = clock.rsplit_once(':').map(|(a, b)| format!("{a}.{b}"));
    Moment {
        text: clock.to_string().into(),
        time_of_day_ns: dotted.as_deref().and_then(crate::timefmt::time_of_day_ns),
        date: None,
        utc: false,
    }
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
    fn a_message_repeats_its_note_without_the_root() {
        assert!(same_object(
            "hkey_local_machine\\software\\x",
            "\\software\\x"
        ));
        assert!(same_object("", ""));
        assert!(same_object("c:\\a", "c:\\a"));
        assert!(!same_object(
            "hkey_local_machine\\software\\xy",
            "\\software\\y"
        ));
        assert!(!same_object("c:\\a", ""));
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
