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
mod explain;
mod scan;
mod stdout;

use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command, ExplainArgs, ExplainFormat, MAX_THREADS_PER_CORE, ScanArgs};
pub use explain::run_explain;
pub use scan::run_scan;

/// Exit codes, as documented.
pub mod exit {
    pub const FOUND: u8 = 0;
    pub const NOTHING: u8 = 1;
    pub const TROUBLE: u8 = 2;
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
