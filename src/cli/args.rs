//! The clap definition of every subcommand and flag.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::filter::TimeBound;
use crate::report::Format;

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
    /// Recombine the JSONL outputs of `scan --tickets --shard` runs into the output one
    /// run over the whole batch gives (tickets in order, the fleet summary recomputed).
    Merge(MergeArgs),
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `culprit man > culprit.1`.
    Man,
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
    /// One JSON document: {"schema_version": 1, "explanations": [one object per code]}.
    Json,
}

/// `culprit scan`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 an offending path was found, 1 nothing found, 2 usage error or an input failed."
)]
pub struct ScanArgs {
    /// Files, folders (walked recursively, links followed), zip archives (every file
    /// inside), FIFOs, and `-` for standard input; any mix. Procmon CSV and XML
    /// exports and native PML captures are recognised by their content, plain or
    /// gzipped.
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
    /// privilege, cannot-delete, sharing, unrepairable: SFC's files it could not
    /// repair) or a code in any form `explain` reads:
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

    /// Colour the table's verdicts and scores: auto (a terminal, unless NO_COLOR is
    /// set), always, never. Machine formats are never coloured.
    #[arg(
        long,
        value_enum,
        default_value = "auto",
        value_name = "WHEN",
        help_heading = "Output"
    )]
    pub color: ColorChoice,

    /// Draw the table with ASCII characters (for consoles without box drawing).
    #[arg(long, help_heading = "Output")]
    pub ascii: bool,

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

    /// Batch mode: each PATH is a folder whose direct children (folders, zip and cab
    /// archives, gzipped or plain files) are tickets, each scanned alone; the report
    /// gives each ticket's paths and a fleet summary of the paths that recur.
    #[arg(long, help_heading = "Batches")]
    pub tickets: bool,

    /// Take only this run's share of the tickets: K/N (0-based, 0/4 to 3/4), or auto
    /// (Slurm: SLURM_ARRAY_TASK_ID, _MIN, _COUNT; Kubernetes: JOB_COMPLETION_INDEX
    /// and CULPRIT_SHARD_COUNT). Recombine the parts with `culprit merge`.
    #[arg(
        long,
        value_name = "K/N|auto",
        requires = "tickets",
        help_heading = "Batches"
    )]
    pub shard: Option<String>,

    /// Save each finished ticket's result in DIR as it completes; a rerun reuses the
    /// results of unchanged tickets (resume an interrupted batch).
    #[arg(
        long,
        value_name = "DIR",
        requires = "tickets",
        help_heading = "Batches"
    )]
    pub out_dir: Option<PathBuf>,

    /// Most bytes one compressed input (an archive member, a gzip stream) may expand
    /// to before it is failed as a decompression bomb: 16G by default (K, M, G, T
    /// suffixes, powers of 1024).
    #[arg(long, value_name = "SIZE", default_value = "16G", value_parser = parse_bytes, help_heading = "Limits")]
    pub max_member: u64,

    /// Most bytes all compressed inputs of one ticket (of the run, without --tickets)
    /// may expand to, together: 64G by default.
    #[arg(long, value_name = "SIZE", default_value = "64G", value_parser = parse_bytes, help_heading = "Limits")]
    pub max_ticket: u64,

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

/// `culprit merge`.
#[derive(Debug, Args)]
#[command(
    after_help = "Exit status: 0 a ticket has an offending path, 1 none has, 2 usage error, a part cannot be read or merged, or a ticket failed."
)]
pub struct MergeArgs {
    /// JSONL outputs of `culprit scan --tickets --shard K/N -f jsonl`, any order.
    #[arg(required = true, value_name = "PART")]
    pub parts: Vec<PathBuf>,

    /// Output format.
    #[arg(short = 'f', long, value_enum, default_value = "jsonl")]
    pub format: Format,

    /// Write to FILE instead of stdout.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Draw the table with ASCII characters.
    #[arg(long)]
    pub ascii: bool,
}

impl ScanArgs {
    /// How inputs are read.
    pub fn options(&self) -> crate::scan::ScanOptions {
        crate::scan::ScanOptions {
            mmap: !self.no_mmap,
            limits: crate::sources::io::limit::Limits {
                member: self.max_member,
                total: self.max_ticket,
            },
            ..crate::scan::ScanOptions::default()
        }
    }
}

/// A size: bytes, or a number with a K, M, G or T suffix (powers of 1024; `KiB`,
/// `MB` and the like read alike).
pub fn parse_bytes(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(digits);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a size (a number, with K, M, G or T)"))?;
    let shift = match unit
        .trim()
        .to_ascii_uppercase()
        .trim_end_matches("IB")
        .trim_end_matches('B')
    {
        "" => 0,
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => return Err(format!("{s:?}: unknown unit (K, M, G or T)")),
    };
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// `--color`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

/// `-j` beyond this many threads per core is capped (with a note).
pub const MAX_THREADS_PER_CORE: usize = 4;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_in_powers_of_1024() {
        assert_eq!(parse_bytes("123"), Ok(123));
        assert_eq!(parse_bytes("10K"), Ok(10 << 10));
        assert_eq!(parse_bytes("8M"), Ok(8 << 20));
        assert_eq!(parse_bytes("16G"), Ok(16 << 30));
        assert_eq!(parse_bytes("2TiB"), Ok(2 << 40));
        assert_eq!(parse_bytes("5mb"), Ok(5 << 20));
        assert!(parse_bytes("x").is_err());
        assert!(parse_bytes("5Q").is_err());
        assert!(parse_bytes("99999999999T").is_err());
    }
}
