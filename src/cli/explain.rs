//! `culprit explain`.

use std::io::{self, Write};

use super::args::{ExplainArgs, ExplainFormat};
use super::exit;
use super::stdout::stdout_open;
use crate::report::visible::VisibleWriter;

/// Runs `culprit explain`; returns the exit code.
pub fn run_explain(args: &ExplainArgs) -> anyhow::Result<u8> {
    stdout_open()?;
    let mut found = Vec::new();
    let mut unknown = false;
    let mut unreadable = false;
    for q in &args.codes {
        match crate::explain::explain(q) {
            Ok(e) => found.push(e),
            Err(e) => {
                // Text that is no code form at all is a usage error; a well-formed
                // code that no table defines is "nothing found".
                match e {
                    crate::explain::ExplainError::Unreadable(_) => unreadable = true,
                    crate::explain::ExplainError::Unknown { .. } => unknown = true,
                }
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
    Ok(if unreadable {
        exit::TROUBLE
    } else if unknown {
        exit::NOTHING
    } else {
        exit::FOUND
    })
}
