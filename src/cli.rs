//! The command line: flags, terminals, progress, exit codes. The only module that
//! knows about them.

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::discover::discover;
use crate::filter::{
    DEFAULT_PROCESSES, Filter, ProcessSet, StatusSelection, TimeBound, TimeWindow,
};
use crate::progress::Progress;
use crate::rank::rank;
use crate::report::visible::{VisibleWriter, visible};
use crate::report::{Format, Report};
use crate::scan::{InputStatus, ScanOptions, scan_with};

/// `eprintln!` for messages that may carry log text or file names: control characters
/// are written visibly.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", visible(&format!($($arg)*)))
    };
}

/// Pinpoint the paths that refused a write: offline triage of Windows support logs.
#[derive(Debug, Parser)]
#[command(name = "culprit", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Read every log of one or more tickets and rank the offending paths.
    Scan(ScanArgs),
    /// Say what a status code means, in every table where it means something.
    Explain(ExplainArgs),
}

/// `culprit explain`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 every code was found in a table, 1 a code is unknown everywhere, 2 usage error."
)]
pub struct ExplainArgs {
    /// Codes: hex (0x904, 904h, 0XC00000A2, 80070005), decimal (5), negative decimal
    /// (-2147024891), names (E_ACCESSDENIED, STATUS_ACCESS_DENIED, ERROR_WRITE_PROTECT)
    /// or Procmon words ("ACCESS DENIED").
    #[arg(required = true, value_name = "CODE", allow_negative_numbers = true)]
    pub codes: Vec<String>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value = "text")]
    pub format: ExplainFormat,
}

/// Formats of `culprit explain`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ExplainFormat {
    Text,
    /// A JSON array, one object per code (schema_version 1).
    Json,
}

/// Whether descriptor 1 was closed when the process started. Rust's runtime reopens a
/// closed standard descriptor on `/dev/null` before `main`, so the check runs earlier,
/// from the ELF initialiser list, where the descriptor table is still as inherited.
#[cfg(target_os = "linux")]
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static CHECK_STDOUT_AT_START: extern "C" fn() = {
    extern "C" fn check() {
        use std::os::fd::BorrowedFd;
        // SAFETY: fd 1 is only borrowed for a duplicate (F_DUPFD_CLOEXEC) that is
        // closed at once; an invalid descriptor makes the call fail with EBADF.
        let fd = unsafe { BorrowedFd::borrow_raw(1) };
        let closed = fd.try_clone_to_owned().is_err();
        STDOUT_CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
    }
    check
};

/// Fails when standard output was closed (`culprit ... >&-`): a report nobody receives
/// must not exit 0 (`cat` fails the same way).
fn stdout_open() -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    if STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        anyhow::bail!("standard output is closed: nowhere to write the report (use -o FILE)");
    }
    Ok(())
}

/// Runs `culprit explain`; returns the exit code.
pub fn run_explain(args: &ExplainArgs) -> anyhow::Result<u8> {
    stdout_open()?;
    let mut found = Vec::new();
    let mut unknown = false;
    for q in &args.codes {
        match crate::explain::explain(q) {
            Ok(e) => found.push(e),
            Err(e) => {
                unknown = true;
                say!("culprit: {e}");
            }
        }
    }
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let written = match args.format {
        ExplainFormat::Text => found.iter().enumerate().try_for_each(|(i, e)| {
            if i > 0 {
                writeln!(w)?;
            }
            let mut v = VisibleWriter::new(&mut w);
            crate::report::explain_text::write_text(e, &mut v).and_then(|_| v.flush())
        }),
        ExplainFormat::Json => {
            #[derive(serde::Serialize)]
            struct Doc<'a> {
                schema_version: u32,
                explanations: &'a [crate::explain::Explanation],
            }
            serde_json::to_writer_pretty(
                &mut w,
                &Doc {
                    schema_version: crate::report::SCHEMA_VERSION,
                    explanations: &found,
                },
            )
            .map_err(io::Error::from)
            .and_then(|_| writeln!(w))
        }
    }
    .and_then(|_| w.flush());
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => {}
        Err(e) => return Err(anyhow::Error::new(e).context("writing to stdout")),
        Ok(()) => {}
    }
    Ok(if unknown { exit::NOTHING } else { exit::FOUND })
}

/// `culprit scan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 an offending path was found, 1 nothing found, 2 usage error or an input failed."
)]
pub struct ScanArgs {
    /// Files, folders (walked recursively) and zip archives (every file inside); any
    /// mix. Procmon CSV and XML exports and native PML captures are recognised by
    /// their content, plain or gzipped.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// Keep only this process (image name, case-insensitive; repeatable). Replaces the
    /// default set: mstsc.exe, dism.exe, DismHost.exe, TiWorker.exe, TrustedInstaller.exe.
    #[arg(
        short = 'p',
        long = "process",
        value_name = "NAME",
        help_heading = "Filters"
    )]
    pub processes: Vec<String>,

    /// Keep every process.
    #[arg(long, conflicts_with = "processes", help_heading = "Filters")]
    pub all_processes: bool,

    /// Statuses to keep, comma-separated or repeated: a class (write-protect, denied,
    /// privilege, cannot-delete, sharing) or a code in any form `explain` reads:
    /// NTSTATUS (0xC0000056), HRESULT (0x80070005), Win32 (5), a name
    /// (E_ACCESSDENIED) or a Procmon word ("DELETE PENDING"). A Win32 code or its
    /// HRESULT selects every NTSTATUS that surfaces as it.
    #[arg(
        short = 's',
        long = "status",
        value_name = "LIST",
        default_value = "denied,write-protect",
        help_heading = "Filters"
    )]
    pub statuses: Vec<String>,

    /// Keep records at or after this time: HH:MM[:SS[.f]] (time of day, as logged) or
    /// YYYY-MM-DD HH:MM[:SS[.f]]. Records whose time does not parse are kept. PML
    /// times are UTC, CSV and XML times the capturing machine's local time.
    #[arg(long, value_name = "TIME", value_parser = TimeBound::parse, help_heading = "Filters")]
    pub since: Option<TimeBound>,

    /// Keep records at or before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = TimeBound::parse, help_heading = "Filters")]
    pub until: Option<TimeBound>,

    /// Output format (default: table).
    #[arg(short = 'f', long, value_enum, help_heading = "Output")]
    pub format: Option<Format>,

    /// Write the report to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE", help_heading = "Output")]
    pub output: Option<PathBuf>,

    /// Show the N highest-ranked paths (0 = all).
    #[arg(
        short = 'n',
        long,
        default_value_t = 10,
        value_name = "N",
        help_heading = "Output"
    )]
    pub top: usize,

    /// Worker threads (0 = all cores).
    #[arg(short = 'j', long, default_value_t = 0, value_name = "N")]
    pub threads: usize,

    /// Print the per-input summary (kind, rows, bad rows, matches) on stderr.
    #[arg(short = 'v', long)]
    pub verbose: bool,

    /// No progress bar and no notes on stderr (errors are still printed).
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,

    /// Read files in bounded blocks instead of mapping them into memory (slower; for
    /// filesystems where mapping is unsafe or to keep resident memory minimal).
    #[arg(long)]
    pub no_mmap: bool,
}

/// `-j` beyond this many threads per core is capped (with a note).
pub const MAX_THREADS_PER_CORE: usize = 4;

/// Exit codes, as documented.
pub mod exit {
    pub const FOUND: u8 = 0;
    pub const NOTHING: u8 = 1;
    pub const TROUBLE: u8 = 2;
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn add_total(&self, bytes: u64) {
        self.0.inc_length(bytes);
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn message(&self, text: &str) {
        self.0.suspend(|| say!("{text}"));
    }
}

fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr_with_hz(5));
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed_precise}] {wide_bar} {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    bar
}

/// Runs `culprit scan`; returns the exit code.
pub fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    if args.output.is_none() {
        stdout_open()?;
    }
    let statuses = StatusSelection::parse(&args.statuses).map_err(|e| anyhow::anyhow!(e))?;
    if let Some(bad) = args.processes.iter().find(|p| p.trim().is_empty()) {
        anyhow::bail!("-p/--process needs an image name (got {bad:?})");
    }
    let processes = if args.all_processes {
        ProcessSet::All
    } else if args.processes.is_empty() {
        ProcessSet::only(DEFAULT_PROCESSES)
    } else {
        ProcessSet::only(&args.processes)
    };
    let window = TimeWindow::new(args.since, args.until).map_err(anyhow::Error::msg)?;
    let filter = Filter {
        statuses,
        processes,
        window,
    };
    if args.threads > 0 {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        let max = cores * MAX_THREADS_PER_CORE;
        let threads = if args.threads > max {
            if !args.quiet {
                say!(
                    "culprit: note: -j {} capped to {max} ({MAX_THREADS_PER_CORE} per core on {cores} cores): more threads only add overhead",
                    args.threads
                );
            }
            max
        } else {
            args.threads
        };
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build_global()
            .ok();
    }
    let (inputs, missing) = discover(&args.paths);
    let mut trouble = !missing.is_empty();
    for m in &missing {
        say!("culprit: {}: {}", m.path.display(), m.error);
    }
    let bar = progress_bar(args.quiet || args.no_progress);
    let options = ScanOptions {
        mmap: !args.no_mmap,
        ..ScanOptions::default()
    };
    let outcome = scan_with(&inputs, &filter, options, &Bar(bar.clone()));
    bar.finish_and_clear();

    for i in &outcome.inputs {
        match i.status {
            InputStatus::Failed => {
                trouble = true;
                say!("culprit: {}", i.message.as_deref().unwrap_or("failed"));
            }
            InputStatus::Skipped if !args.quiet => say!(
                "culprit: skipped {}: {}",
                i.path,
                i.message.as_deref().unwrap_or("")
            ),
            InputStatus::Ok if !args.quiet && i.twin_of.is_some() => say!(
                "culprit: note: {}: {}",
                i.path,
                i.message.as_deref().unwrap_or("")
            ),
            _ => {}
        }
    }
    if args.verbose {
        for i in &outcome.inputs {
            say!(
                "culprit: input {}: {}, kind {}, {} rows, {} bad rows, {} matches{}",
                i.path,
                i.status.as_str(),
                i.kind.unwrap_or("-"),
                i.rows,
                i.bad_rows,
                i.matches,
                i.first_bad_row
                    .as_deref()
                    .map(|b| format!(" (first bad row {b})"))
                    .unwrap_or_default()
            );
        }
    }
    let ranked = rank(&outcome, args.top);
    let found = !ranked.findings.is_empty();
    let report = Report::new(&outcome, ranked, &filter);
    let format = args.format.unwrap_or(Format::Table);
    let written = match &args.output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = io::BufWriter::new(f);
            report.write(format, &mut w)?;
            w.flush()
        }),
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            report.write(format, &mut w).and_then(|_| w.flush())
        }
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(exit::FOUND),
        Err(e) => {
            let target = args
                .output
                .as_ref()
                .map_or("stdout".to_string(), |p| p.display().to_string());
            return Err(anyhow::Error::new(e).context(format!("writing the report to {target}")));
        }
        Ok(()) => {}
    }
    if !found && !args.quiet {
        let procs = if filter.processes == ProcessSet::All {
            "any process".to_string()
        } else {
            filter.processes.names().join(", ")
        };
        say!(
            "culprit: no {} failure of {procs} in {} inputs ({} rows read)",
            filter.statuses.names().join("/"),
            outcome.inputs.len(),
            report.summary.rows
        );
    }
    // The process ends right after: freeing hundreds of thousands of per-path
    // structures one by one would only add seconds (the OS reclaims them at once).
    std::mem::forget(outcome);
    std::mem::forget(report);
    Ok(if trouble {
        exit::TROUBLE
    } else if found {
        exit::FOUND
    } else {
        exit::NOTHING
    })
}

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let code = if e.use_stderr() {
                exit::TROUBLE
            } else {
                exit::FOUND
            };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match &cli.command {
        Command::Scan(a) => run_scan(a),
        Command::Explain(a) => run_explain(a),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say!("culprit: {e:#}");
            ExitCode::from(exit::TROUBLE)
        }
    }
}
