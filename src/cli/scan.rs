//! `culprit scan`: filters from flags, the scan, the report, the messages.

use std::io::{self, IsTerminal, Write};

use super::args::{ColorChoice, MAX_THREADS_PER_CORE, ScanArgs};
use super::bar::{Bar, progress_bar};
use super::exit;
use super::stdout::stdout_open;
use crate::discover::Input;
use crate::discover::discover;
use crate::filter::{DEFAULT_PROCESSES, Filter, ProcessSet, StatusSelection, TimeWindow};
use crate::rank::rank;
use crate::report::html::Meta;
use crate::report::{Format, Report, TableStyle};

/// `plural` over the usize counts of this module.
fn plural(n: usize, word: &str) -> String {
    crate::report::plural(n as u64, word)
}
use crate::scan::{InputStatus, InputSummary, scan_with};

/// Runs `culprit scan`; returns the exit code.
pub fn run_scan(args: &ScanArgs) -> anyhow::Result<u8> {
    let start = std::time::SystemTime::now();
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
    let format = match (args.format, &args.output) {
        (Some(f), _) => f,
        (None, Some(out)) => format_of(out).unwrap_or(Format::Table),
        (None, None) => Format::Table,
    };
    if args.tickets {
        if let Some(out) = &args.output {
            refuse_to_overwrite_an_input(out, &[], &args.paths)?;
        }
        return super::batch::run_batch(args, &filter, format, table_style(args), start);
    }
    let (inputs, missing) = discover(&args.paths);
    let mut trouble = false;
    if let Some(out) = &args.output {
        refuse_to_overwrite_an_input(out, &inputs, &args.paths)?;
    }
    let bar = progress_bar(args.quiet || args.no_progress, false);
    let options = args.options();
    let mut outcome = scan_with(&inputs, &filter, options, &Bar(bar.clone()));
    bar.finish_and_clear();
    // Every input accounted for: what could not even be listed is a failed input too.
    outcome.inputs.extend(missing.iter().map(|m| {
        let path = m.path.display().to_string();
        let message = format!("{path}: {}", m.error);
        InputSummary::failed(path, message)
    }));

    // Skipped files are summed up per reason (a walked folder can hold hundreds).
    let mut skipped: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for i in &outcome.inputs {
        match i.status {
            InputStatus::Failed => {
                trouble = true;
                say!("culprit: {}", i.message.as_deref().unwrap_or("failed"));
            }
            InputStatus::Skipped => {
                *skipped
                    .entry(i.message.as_deref().unwrap_or(""))
                    .or_default() += 1;
            }
            InputStatus::Ok if !args.quiet && i.twin_of.is_some() => say!(
                "culprit: note: {}: {}",
                i.path,
                i.message.as_deref().unwrap_or("")
            ),
            _ => {}
        }
        // A bad row holds a status looked for (or is an unreadable event): a finding
        // may be lost with it, so it is never silent.
        if i.bad_rows > 0 && !args.quiet && i.status != InputStatus::Failed {
            say!(
                "culprit: note: {}: {} not read{}",
                i.path,
                crate::report::plural(i.bad_rows, &format!("bad {}", unit_word(i))),
                i.first_bad_row
                    .as_deref()
                    .map(|b| format!(" (first: {b})"))
                    .unwrap_or_default()
            );
        }
    }
    if !args.quiet {
        // Time windows say what they could not judge.
        let dated_window = [args.since, args.until]
            .iter()
            .flatten()
            .any(|b| b.date.is_some());
        for i in &outcome.inputs {
            if (args.since.is_some() || args.until.is_some()) && i.untimed > 0 {
                say!(
                    "culprit: note: {}: {} kept because {} time could not be read (the window cannot judge {})",
                    i.path,
                    plural(i.untimed as usize, "record"),
                    if i.untimed == 1 { "its" } else { "their" },
                    if i.untimed == 1 { "it" } else { "them" }
                );
            }
            if dated_window && i.undated > 0 && i.undated == i.matches {
                say!(
                    "culprit: warning: {}: this log has no dates; the window's dates were ignored and only times of day compared",
                    i.path
                );
            }
        }
        for (why, n) in &skipped {
            let list = if args.verbose { "" } else { "; -v lists them" };
            say!("culprit: skipped {}: {why}{list}", plural(*n, "file"));
        }
        for dir in args.paths.iter().filter(|p| p.is_dir()) {
            if !inputs.iter().any(|i| i.path.starts_with(dir)) {
                say!("culprit: note: {}: the folder holds no file", dir.display());
            }
        }
    }
    if args.verbose {
        for i in &outcome.inputs {
            say!(
                "culprit: input {}: {}, kind {}, {}, {}, {} matches{}",
                i.path,
                i.status.as_str(),
                i.kind.unwrap_or("-"),
                crate::report::plural(i.rows, unit_word(i)),
                crate::report::plural(i.bad_rows, &format!("bad {}", unit_word(i))),
                i.matches,
                i.first_bad_row
                    .as_deref()
                    .map(|b| format!(" (first bad: {b})"))
                    .unwrap_or_default()
            );
        }
    }
    let ranked = rank(&outcome, args.top);
    let found = !ranked.findings.is_empty();
    let report = Report::new(&outcome, ranked, &filter);
    let style = table_style(args);
    let written = match &args.output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = io::BufWriter::new(f);
            report.write_full(format, &mut w, &style, &Meta::now(start))?;
            w.flush()
        }),
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            report
                .write_full(format, &mut w, &style, &Meta::now(start))
                .and_then(|_| w.flush())
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
        let others: u64 = outcome.inputs.iter().map(|i| i.other_processes).sum();
        let hint = if others > 0 {
            format!(
                "; {} of other processes; try --all-processes",
                plural(others as usize, "such failure")
            )
        } else {
            String::new()
        };
        say!(
            "culprit: no {} failure of {procs} in {} ({} read){hint}",
            filter.statuses.names().join("/"),
            plural(outcome.inputs.len(), "input"),
            plural(report.summary.rows as usize, "row")
        );
    }
    // The process ends right after: freeing hundreds of thousands of per-path
    // structures one by one would only add seconds (the OS reclaims them at once).
    std::mem::forget(outcome);
    std::mem::forget(report);
    Ok(exit::of(trouble, found))
}

/// The format a report file's extension asks for (`.json`, `.jsonl`, `.csv`).
fn format_of(path: &std::path::Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "json" => Format::Json,
        "jsonl" | "ndjson" => Format::Jsonl,
        "csv" => Format::Csv,
        "html" | "htm" => Format::Html,
        "txt" | "text" => Format::Table,
        _ => return None,
    })
}

/// `-o` must never overwrite a log of the same run (`-o ticket/Procmon.CSV`).
fn refuse_to_overwrite_an_input(
    out: &std::path::Path,
    inputs: &[Input],
    args: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let Ok(target) = out.canonicalize() else {
        return Ok(()); // does not exist yet: nothing to overwrite
    };
    let same = |p: &std::path::Path| p.canonicalize().is_ok_and(|c| c == target);
    if inputs.iter().any(|i| !i.piped && same(&i.path)) || args.iter().any(|a| same(a)) {
        anyhow::bail!(
            "-o {} is an input of this run: refusing to overwrite it",
            out.display()
        );
    }
    Ok(())
}
/// Width and colour of the table: a terminal's width (or `COLUMNS`), colour on a
/// terminal unless `NO_COLOR` is set or `--color` says otherwise. A report written to a
/// file gets neither, unless asked.
fn table_style(args: &ScanArgs) -> TableStyle {
    let to_terminal = args.output.is_none() && io::stdout().is_terminal();
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<u16>().ok())
        .filter(|&c| c >= 20);
    let width = columns.or_else(|| {
        to_terminal
            .then(|| comfy_table::Table::new().width())
            .flatten()
    });
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => to_terminal && !no_color,
    };
    TableStyle {
        width,
        color,
        ascii: args.ascii,
    }
}

/// What an input's records are called: rows of a CSV, events of a capture, records
/// of an event log.
fn unit_word(i: &InputSummary) -> &'static str {
    match i.origin {
        Some("event") => "event",
        Some("record") => "record",
        _ => "row",
    }
}
