//! Synthetic Procmon exports (CSV, and PML in [`pml`]) with a planted truth, for tests, benches and the
//! hyperfine figures in BENCHMARKS.md. Everything it writes is SYNTHETIC.
//!
//! The output follows Procmon's byte-level format (UTF-8 BOM, every field quoted,
//! CRLF, 12-hour `Time of Day` with 7 fractional digits) and mixes in what makes real
//! exports hard: harmless denials (a refused write open then the same open succeeding),
//! read-only denials, denials of other processes, and process names inside paths
//! (`explorer.exe` opening `C:\Windows\System32\mstsc.exe`) that fool line-based grep.

pub mod cbs;
pub mod evtx;
pub mod evtx_logs;
pub mod hard;
pub mod pml;
pub mod tickets;

use std::io::{self, Write};

/// A failure planted on purpose: the truth a test expects culprit to rank first.
#[derive(Debug, Clone)]
pub struct Plant {
    pub process: &'static str,
    pub pid: u32,
    pub operation: &'static str,
    pub path: &'static str,
    pub result: &'static str,
    pub detail: &'static str,
    /// How many times it is written (spread evenly over the file).
    pub repeats: u32,
}

/// The default plants, in the order culprit must rank them.
pub fn default_plants() -> Vec<Plant> {
    vec![
        Plant {
            process: "DismHost.exe",
            pid: 5512,
            operation: "CreateFile",
            path: "C:\\Windows\\WinSxS\\Temp\\InFlight\\8c2f1d0e5a7b4c3e\\amd64_microsoft-windows-t..services-mstsc-exe_31bf3856ad364e35_10.0.22621.4391_none_5f1c0a1b8d2e3f40\\mstsc.exe",
            result: "MEDIA WRITE PROTECTED",
            detail: "Desired Access: Generic Write, Read Attributes, Disposition: OverwriteIf, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: N, ShareMode: None, AllocationSize: 0",
            repeats: 6,
        },
        Plant {
            process: "mstsc.exe",
            pid: 7720,
            operation: "RegSetValue",
            path: "HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0",
            result: "ACCESS DENIED",
            detail: "Type: REG_SZ, Length: 30, Data: rdsh01.contoso.com",
            repeats: 5,
        },
    ]
}

/// What to generate.
#[derive(Debug, Clone)]
pub struct Config {
    /// Stop after about this many bytes.
    pub target_bytes: u64,
    pub seed: u64,
    /// Write all 27 columns (in Procmon's order) instead of the default 7.
    pub all_columns: bool,
    pub plants: Vec<Plant>,
    /// Stop after this many rows even before `target_bytes` (to write the same rows
    /// as CSV and as PML).
    pub max_rows: Option<u64>,
    /// Add the hard shape ([`hard`]): hundreds of refused keys, most never recovered.
    pub hard: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            target_bytes: 1 << 20,
            seed: 0x5eed,
            all_columns: false,
            plants: default_plants(),
            max_rows: None,
            hard: false,
        }
    }
}

/// What was written, counted by the generator itself (independently of culprit).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Truth {
    pub rows: u64,
    pub bytes: u64,
    /// Rows with ACCESS DENIED or MEDIA WRITE PROTECTED, any process.
    pub failures_all: u64,
    /// The same, for the default process set only.
    pub failures_default: u64,
    /// Lines containing both `ACCESS DENIED` and `mstsc.exe` anywhere (what grep counts).
    pub grep_mstsc_lines: u64,
    /// ACCESS DENIED rows whose Process Name is mstsc.exe (what culprit must count).
    pub mstsc_denied_rows: u64,
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
    fn pick<'a, T>(&mut self, v: &'a [T]) -> &'a T {
        &v[self.below(v.len() as u64) as usize]
    }
}

const HEADER7: &str =
    "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"";
const HEADER27: &str = "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\",\"Date & Time\",\"Relative Time\",\"Duration\",\"Completion Time\",\"Event Class\",\"Sequence\",\"Image Path\",\"Company\",\"Description\",\"Version\",\"User\",\"Authentication ID\",\"Session\",\"Command Line\",\"TID\",\"Virtualized\",\"Integrity\",\"Category\",\"Parent PID\",\"Architecture\"";

/// Every process in the noise, with a pid. The first five are the default set.
const PROCESSES: &[(&str, u32)] = &[
    ("mstsc.exe", 7720),
    ("DismHost.exe", 5512),
    ("TiWorker.exe", 3380),
    ("TrustedInstaller.exe", 2216),
    ("Dism.exe", 4410),
    ("svchost.exe", 1204),
    ("explorer.exe", 4068),
    ("MsMpEng.exe", 3012),
    ("SearchIndexer.exe", 6120),
    ("RuntimeBroker.exe", 8804),
    ("chrome.exe", 9132),
    ("conhost.exe", 2764),
];

const FILES: &[&str] = &[
    "C:\\Windows\\System32\\mstsc.exe",
    "C:\\Windows\\System32\\mstscax.dll",
    "C:\\Windows\\System32\\en-US\\mstsc.exe.mui",
    "C:\\Windows\\System32\\kernel32.dll",
    "C:\\Windows\\System32\\ntdll.dll",
    "C:\\Windows\\Logs\\DISM\\dism.log",
    "C:\\Windows\\Logs\\CBS\\CBS.log",
    "C:\\Windows\\servicing\\Packages\\Microsoft-Windows-Client-Features-Package~31bf3856ad364e35~amd64~~10.0.22621.1.mum",
    "C:\\Users\\alice\\Documents\\Default.rdp",
    "C:\\Users\\alice\\AppData\\Local\\Microsoft\\Terminal Server Client\\Cache\\bcache24.bmc",
    "C:\\ProgramData\\Microsoft\\Windows Defender\\Scans\\mpcache-1.bin",
    "C:\\Windows\\Prefetch\\MSTSC.EXE-5C2F0E8A.pf",
];

const KEYS: &[&str] = &[
    "HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU1",
    "HKCU\\Software\\Microsoft\\Terminal Server Client\\Servers\\rdsh01.contoso.com\\UsernameHint",
    "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Image File Execution Options\\mstsc.exe",
    "HKLM\\System\\CurrentControlSet\\Control\\Terminal Server\\Wds\\rdpwd",
    "HKLM\\SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\SessionsPending",
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows NT\\Terminal Services\\Client",
    "HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Explorer\\RecentDocs\\.rdp",
];

/// Keys only read and refused (read-only denials: lower rank than refused writes).
const SECRET_KEYS: &[&str] = &[
    "HKLM\\SECURITY\\Policy\\Secrets",
    "HKLM\\SAM\\SAM\\Domains\\Account",
];

const READ_OPEN: &str = "Desired Access: Generic Read, Disposition: Open, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: n/a, ShareMode: Read, Write, AllocationSize: n/a, OpenResult: Opened";
const WRITE_OPEN: &str = "Desired Access: Generic Write, Read Attributes, Disposition: OverwriteIf, Options: Synchronous IO Non-Alert, Non-Directory File, Attributes: N, ShareMode: None, AllocationSize: 0";

/// One generated record, before it is written in a format.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    pub process: &'a str,
    pub pid: u32,
    pub operation: &'a str,
    pub path: &'a str,
    pub result: &'a str,
    pub detail: &'a str,
    /// Nanoseconds since local midnight.
    pub clock_ns: u64,
}

/// A format the generator writes rows in.
pub trait Sink {
    /// Writes one row; returns the bytes it took.
    fn row(&mut self, row: &Row<'_>) -> io::Result<u64>;
}

/// Procmon's CSV layout (7 or 27 columns).
struct CsvSink<'w, W: Write> {
    out: &'w mut W,
    all_columns: bool,
    line: Vec<u8>,
}

impl<W: Write> Sink for CsvSink<'_, W> {
    fn row(&mut self, r: &Row<'_>) -> io::Result<u64> {
        let s = r.clock_ns / 1_000_000_000;
        let (h, m, sec) = (s / 3600 % 24, s / 60 % 60, s % 60);
        let frac = r.clock_ns % 1_000_000_000 / 100;
        let (h12, ampm) = (
            if h % 12 == 0 { 12 } else { h % 12 },
            if h < 12 { "AM" } else { "PM" },
        );
        let Row {
            process,
            pid,
            operation: op,
            path,
            result,
            detail,
            ..
        } = *r;
        self.line.clear();
        write!(
            self.line,
            "\"{h12}:{m:02}:{sec:02}.{frac:07} {ampm}\",\"{process}\",\"{pid}\",\"{op}\",\"{path}\",\"{result}\",\"{detail}\""
        )?;
        if self.all_columns {
            let class = if op.starts_with("Reg") {
                "Registry"
            } else {
                "File System"
            };
            write!(
                self.line,
                ",\"11/24/2026 {h12}:{m:02}:{sec:02} {ampm}\",\"00:00:{sec:02}.{frac:07}\",\"0.0000161\",\"{h12}:{m:02}:{sec:02}.{frac:07} {ampm}\",\"{class}\",\"n/a\",\"C:\\Windows\\System32\\{process}\",\"Microsoft Corporation\",\"\",\"10.0.22621.1\",\"CONTOSO\\alice\",\"00000000:0001e2f3\",\"1\",\"{process}\",\"{}\",\"False\",\"High\",\"\",\"{}\",\"64-bit\"",
                pid + 4,
                pid / 2
            )?;
        }
        self.line.extend_from_slice(b"\r\n");
        self.out.write_all(&self.line)?;
        Ok(self.line.len() as u64)
    }
}

/// Drives a sink and counts the truth.
struct Writer<'s> {
    sink: &'s mut dyn Sink,
    clock_ns: u64,
    truth: Truth,
}

impl Writer<'_> {
    fn row(
        &mut self,
        process: &str,
        pid: u32,
        op: &str,
        path: &str,
        result: &str,
        detail: &str,
    ) -> io::Result<()> {
        let row = Row {
            process,
            pid,
            operation: op,
            path,
            result,
            detail,
            clock_ns: self.clock_ns,
        };
        self.truth.bytes += self.sink.row(&row)?;
        self.truth.rows += 1;
        if result == "ACCESS DENIED" || result == "MEDIA WRITE PROTECTED" {
            self.truth.failures_all += 1;
            if PROCESSES[..5]
                .iter()
                .any(|(p, _)| p.eq_ignore_ascii_case(process))
            {
                self.truth.failures_default += 1;
            }
        }
        let fields = [process, op, path, result, detail];
        if fields.iter().any(|f| f.contains("ACCESS DENIED"))
            && fields.iter().any(|f| f.contains("mstsc.exe"))
        {
            self.truth.grep_mstsc_lines += 1;
        }
        if result == "ACCESS DENIED" && process == "mstsc.exe" {
            self.truth.mstsc_denied_rows += 1;
        }
        self.clock_ns += 1_000 + (self.truth.rows * 7919 % 90_000);
        Ok(())
    }
}

/// A size with an optional K, M or G suffix (powers of 1024), as the generators take it.
pub fn parse_size(s: &str) -> Option<u64> {
    let (num, mul) = match s.chars().last()? {
        'K' | 'k' => (&s[..s.len() - 1], 1u64 << 10),
        'M' | 'm' => (&s[..s.len() - 1], 1 << 20),
        'G' | 'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok().map(|n| n * mul)
}

/// Writes a synthetic Procmon CSV export to `out`.
pub fn write_procmon_csv<W: Write>(out: &mut W, cfg: &Config) -> io::Result<Truth> {
    out.write_all(b"\xEF\xBB\xBF")?;
    out.write_all(if cfg.all_columns { HEADER27 } else { HEADER7 }.as_bytes())?;
    out.write_all(b"\r\n")?;
    let mut sink = CsvSink {
        out,
        all_columns: cfg.all_columns,
        line: Vec::with_capacity(1024),
    };
    generate(&mut sink, cfg)
}

/// Writes the generated rows of `cfg` to any sink. The plants are spread evenly over
/// the rows a CSV of `cfg.target_bytes` would hold, whatever the sink, so a CSV and a
/// PML of the same `cfg` (and `max_rows`) hold the same rows in the same order.
pub fn generate(sink: &mut dyn Sink, cfg: &Config) -> io::Result<Truth> {
    let avg = if cfg.all_columns { 420 } else { 190 };
    let mut rng = Rng(cfg.seed);
    let mut w = Writer {
        sink,
        clock_ns: (7 * 3600 + 19 * 60 + 37) * 1_000_000_000 + 14_793_400,
        truth: Truth::default(),
    };
    let expected_rows = (cfg.target_bytes / avg).max(16);
    let total_plants: u64 = cfg.plants.iter().map(|p| u64::from(p.repeats)).sum();
    let every = (expected_rows / (total_plants + 1)).max(1);
    let mut plant_queue = cfg
        .plants
        .iter()
        .flat_map(|p| std::iter::repeat_n(p, p.repeats as usize))
        .collect::<Vec<_>>()
        .into_iter()
        .cycle()
        .take(total_plants as usize);
    let mut since_plant = 0u64;
    let mut placed = 0u64;
    // The hard shape's keys are all refused in the first rows.
    let hard_tail = if cfg.hard {
        for i in 0..hard::KEYS {
            let (process, pid, op, path, detail) = hard::key(i);
            w.row(process, pid, op, &path, "ACCESS DENIED", detail)?;
        }
        (0..hard::KEYS).filter(|&i| hard::recovers(i)).count() as u64
    } else {
        0
    };
    // With `max_rows`, stop early enough that the unplaced plants still fit.
    while w.truth.bytes < cfg.target_bytes
        && cfg
            .max_rows
            .is_none_or(|m| w.truth.rows + (total_plants - placed) + 1 + hard_tail < m)
    {
        // ...and refused again all along the file.
        if cfg.hard && rng.below(hard::REPEAT_EVERY) == 0 {
            let (process, pid, op, path, detail) = hard::key(rng.below(hard::KEYS as u64) as usize);
            w.row(process, pid, op, &path, "ACCESS DENIED", detail)?;
            continue;
        }
        since_plant += 1;
        if since_plant >= every
            && let Some(p) = plant_queue.next()
        {
            w.row(p.process, p.pid, p.operation, p.path, p.result, p.detail)?;
            since_plant = 0;
            placed += 1;
            continue;
        }
        let &(process, pid) = rng.pick(PROCESSES);
        match rng.below(1000) {
            // Harmless: a write open refused, then the same write open succeeding (a
            // retry once a scanner let go). A read-only open after it would not recover
            // the write (see `sources::procmon::recovery`).
            0..=2 => {
                let path = *rng.pick(FILES);
                w.row(
                    process,
                    pid,
                    "CreateFile",
                    path,
                    "ACCESS DENIED",
                    WRITE_OPEN,
                )?;
                w.row(process, pid, "CreateFile", path, "SUCCESS", WRITE_OPEN)?;
            }
            // Read-only denial on a protected key (never recovered, but only a read).
            3 => {
                let key = *rng.pick(SECRET_KEYS);
                w.row(
                    process,
                    pid,
                    "RegOpenKey",
                    key,
                    "ACCESS DENIED",
                    "Desired Access: Read",
                )?;
            }
            // Another process refused on a path that names a target process.
            4..=5 => w.row(
                "MsMpEng.exe",
                3012,
                "CreateFile",
                FILES[rng.below(3) as usize],
                "ACCESS DENIED",
                WRITE_OPEN,
            )?,
            6..=299 => {
                let key = *rng.pick(KEYS);
                let (op, result, detail) = match rng.below(4) {
                    0 => ("RegOpenKey", "SUCCESS", "Desired Access: Read"),
                    1 => ("RegQueryValue", "NAME NOT FOUND", "Length: 144"),
                    2 => (
                        "RegQueryValue",
                        "SUCCESS",
                        "Type: REG_SZ, Length: 30, Data: rdsh01.contoso.com",
                    ),
                    _ => ("RegCloseKey", "SUCCESS", ""),
                };
                w.row(process, pid, op, key, result, detail)?;
            }
            _ => {
                let path = *rng.pick(FILES);
                let (op, result, detail) = match rng.below(6) {
                    0 => ("CreateFile", "SUCCESS", READ_OPEN),
                    1 => (
                        "QueryBasicInformationFile",
                        "SUCCESS",
                        "CreationTime: 11/24/2026 7:02:11 AM, LastAccessTime: 11/24/2026 7:19:37 AM, LastWriteTime: 5/6/2026 3:14:15 AM, ChangeTime: 5/6/2026 3:14:15 AM, FileAttributes: A",
                    ),
                    2 => (
                        "ReadFile",
                        "SUCCESS",
                        "Offset: 0, Length: 4,096, I/O Flags: Non-cached, Paging I/O, Synchronous Paging I/O, Priority: Normal",
                    ),
                    3 => ("CreateFile", "NAME NOT FOUND", READ_OPEN),
                    4 => ("QueryDirectory", "NO MORE FILES", "Filter: *.rdp"),
                    _ => ("CloseFile", "SUCCESS", ""),
                };
                w.row(process, pid, op, path, result, detail)?;
            }
        }
    }
    // Plants not yet placed (a small target) go at the end.
    for p in plant_queue {
        w.row(p.process, p.pid, p.operation, p.path, p.result, p.detail)?;
    }
    // One in three hard keys finally gets its write, after its last refusal.
    if cfg.hard {
        for i in (0..hard::KEYS).filter(|&i| hard::recovers(i)) {
            let (process, pid, op, path, detail) = hard::key(i);
            w.row(process, pid, op, &path, "SUCCESS", detail)?;
        }
    }
    // DISM gives up with the servicing code of the planted write protection.
    w.row(
        "Dism.exe",
        4410,
        "Process Exit",
        "",
        "SUCCESS",
        "Exit Status: -2147024877, User Time: 0.2031250 seconds, Kernel Time: 0.0312500 seconds",
    )?;
    Ok(w.truth)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_sized() {
        let cfg = Config {
            target_bytes: 200_000,
            ..Config::default()
        };
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let ta = write_procmon_csv(&mut a, &cfg).unwrap();
        let tb = write_procmon_csv(&mut b, &cfg).unwrap();
        assert_eq!(a, b);
        assert_eq!(ta, tb);
        assert!(a.len() as u64 >= cfg.target_bytes);
        assert!(ta.failures_default >= 11);
        // The grep trap is present: more lines mention both than mstsc.exe rows are denied.
        assert!(ta.grep_mstsc_lines > ta.mstsc_denied_rows);
    }
}
