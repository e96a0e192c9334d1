//! The `culprit` binary: everything lives in the library (`culprit::cli`).

fn main() -> std::process::ExitCode {
    culprit::cli::main()
}
