//! The command line: flags, terminals, progress, exit codes. The only module that
//! knows about them.

/// `eprintln!` for messages that may carry log text or file names: control characters
/// are written visibly.
macro_rules! say {
    ($($arg:tt)*) => {
        eprintln!("{}", $crate::report::visible::visible(&format!($($arg)*)))
    };
}

mod args;
mod bar;
mod batch;
mod explain;
mod scan;
mod stdout;

use std::process::ExitCode;

use clap::Parser;

pub use args::{
    Cli, ColorChoice, Command, ExplainArgs, ExplainFormat, MAX_THREADS_PER_CORE, MergeArgs,
    ScanArgs,
};
pub use batch::{run_batch, run_merge};
pub use explain::run_explain;
pub use scan::run_scan;

/// Writes generated text (completions, man page) to stdout.
fn generated(
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> anyhow::Result<u8> {
    stdout::stdout_open()?;
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|_| std::io::Write::flush(&mut out)) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(exit::FOUND),
        Err(e) => Err(anyhow::Error::new(e).context("writing to stdout")),
        Ok(()) => Ok(exit::FOUND),
    }
}

/// Exit codes, as documented.
pub mod exit {
    pub const FOUND: u8 = 0;
    pub const NOTHING: u8 = 1;
    pub const TROUBLE: u8 = 2;

    /// The status of a run: any input failed, else found, else nothing.
    pub fn of(trouble: bool, found: bool) -> u8 {
        if trouble {
            TROUBLE
        } else if found {
            FOUND
        } else {
            NOTHING
        }
    }
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
        Command::Merge(a) => run_merge(a),
        Command::Completions { shell } => generated(|out| {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(*shell, &mut cmd, "culprit", out);
            Ok(())
        }),
        Command::Man => generated(|out| {
            clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(out)
        }),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            say!("culprit: {e:#}");
            ExitCode::from(exit::TROUBLE)
        }
    }
}
