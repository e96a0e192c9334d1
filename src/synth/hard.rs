//! The hard shape (issue 9): hundreds of refused keys of the default and other
//! processes, the first ones in the first rows, repeated to the end of the file, on
//! paths that share long prefixes (`C:\Windows\WinSxS\…`, `HKLM\SOFTWARE\…\Component
//! Based Servicing\…`). Two in three never recover: the recovery judgement must run to
//! the end of the file for them. SYNTHETIC.

/// How many refused keys the hard shape plants.
pub const KEYS: usize = 300;

/// One in this many rows of the noise repeats a refused key.
pub const REPEAT_EVERY: u64 = 400;

const WRITE_OPEN: &str = "Desired Access: Generic Write, Read Attributes, Disposition: OverwriteIf, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: N, ShareMode: None, AllocationSize: 0";

/// (process, pid, operation, path, detail) of refused key `i`.
pub fn key(i: usize) -> (&'static str, u32, &'static str, String, &'static str) {
    let (process, pid) = [
        ("TiWorker.exe", 3380),
        ("DismHost.exe", 5512),
        ("mstsc.exe", 7720),
        ("svchost.exe", 1204),
        ("MsMpEng.exe", 3012),
    ][i % 5];
    if i.is_multiple_of(2) {
        (
            process,
            pid,
            "CreateFile",
            format!(
                "C:\\Windows\\WinSxS\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.22621.4391_none_{i:016x}\\component{i}.dll"
            ),
            WRITE_OPEN,
        )
    } else {
        (
            process,
            pid,
            "RegSetValue",
            format!(
                "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\Packages\\Package_{i}~31bf3856ad364e35~amd64~~10.0.22621.4391\\CurrentState"
            ),
            "Type: REG_DWORD, Length: 4, Data: 112",
        )
    }
}

/// Whether key `i` recovers (a SUCCESS of the same write after its last refusal).
pub fn recovers(i: usize) -> bool {
    i.is_multiple_of(3)
}
