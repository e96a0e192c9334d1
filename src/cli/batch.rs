//! `culprit scan --tickets` and `culprit merge`: the batch flow on a terminal.

use std::io::{self, Write};
use std::path::PathBuf;

use rayon::prelude::*;

use super::args::{MergeArgs, ScanArgs};
use super::bar::{Bar, progress_bar};
use super::exit;
use super::stdout::stdout_open;
use crate::batch::fleet::Fleet;
use crate::batch::render::{Head, Writer};
use crate::batch::shard::Shard;
use crate::batch::ticket::{self, Ticket};
use crate::batch::{Block, merge, resume};
use crate::filter::Filter;
use crate::report::html::Meta;
use crate::report::{Filters, Format, TableStyle, Tool};

/// The tickets of every batch folder, sorted; ids must be unique.
fn tickets_of(folders: &[PathBuf]) -> anyhow::Result<Vec<Ticket>> {
    let mut all = Vec::new();
    for dir in folders {
        if !dir.is_dir() {
            anyhow::bail!(
                "--tickets: {} is not a folder (each PATH is a folder whose direct children are tickets)",
                dir.display()
            );
        }
        let list =
            ticket::list(dir).map_err(|e| anyhow::anyhow!("--tickets: {}: {e}", dir.display()))?;
        all.extend(list);
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    if let Some(w) = all.windows(2).find(|w| w[0].id == w[1].id) {
        anyhow::bail!(
            "--tickets: two tickets are named {:?} ({} and {}): ticket ids must be unique",
            w[0].id,
            w[0].path.display(),
            w[1].path.display()
        );
    }
    Ok(all)
}

/// Where the report goes: `-o FILE` or stdout.
fn with_output(
    output: Option<&PathBuf>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> anyhow::Result<()> {
    let written = match output {
        Some(path) => std::fs::File::create(path).and_then(|f| {
            let mut w = io::BufWriter::new(f);
            write(&mut w)?;
            w.flush()
        }),
        None => {
            let stdout = io::stdout();
            let mut w = io::BufWriter::new(stdout.lock());
            write(&mut w).and_then(|_| w.flush())
        }
    };
    match written {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => {
            let target = output.map_or("stdout".to_string(), |p| p.display().to_string());
            Err(anyhow::Error::new(e).context(format!("writing the report to {target}")))
        }
        Ok(()) => Ok(()),
    }
}

/// Runs a batch; returns the exit code.
pub fn run_batch(
    args: &ScanArgs,
    filter: &Filter,
    format: Format,
    style: TableStyle,
    start: std::time::SystemTime,
) -> anyhow::Result<u8> {
    let mut tickets = tickets_of(&args.paths)?;
    if let Some(s) = &args.shard {
        let shard = Shard::parse(s, &|k| std::env::var(k).ok())?;
        tickets.retain(|t| shard.takes(&t.id));
    }
    if let Some(dir) = &args.out_dir {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("--out-dir {}: {e}", dir.display()))?;
    }
    let head = Head {
        tool: serde_json::to_value(Tool::this())?,
        filters: serde_json::to_value(Filters::of(filter))?,
    };
    let salt = format!("{}|{}|top={}", head.tool, head.filters, args.top);
    let options = args.options();
    let bar = progress_bar(args.quiet || args.no_progress, true);
    let progress = Bar(bar.clone());
    let total = tickets.len();
    // Tickets handed to the pool at once. Only as many as there are threads are being
    // read at any time; the rest of a window is finished blocks (a few KB each) waiting
    // for their turn in the ordered output. Memory is bounded by the window, not by
    // the batch; a wide window keeps both threads busy across tickets of unequal size.
    let window = (rayon::current_num_threads() * 32).max(32);
    let (mut resumed, mut trouble, mut found) = (0usize, false, false);
    let mut fleet = Fleet::default();
    let mut errors: Vec<String> = Vec::new();
    with_output(args.output.as_ref(), |out| {
        let mut w = Writer::begin(out, format, style, head.clone())?.with_meta(Meta::now(start));
        for (n, chunk) in tickets.chunks(window).enumerate() {
            let done: Vec<(Block, bool, Option<String>)> = chunk
                .par_iter()
                .map(|t| {
                    let fp = ticket::fingerprint(t, &salt);
                    if let Some(dir) = &args.out_dir
                        && let Some(b) = resume::load(dir, &t.id, &fp)
                    {
                        return (b, true, None);
                    }
                    let b = ticket::scan_ticket(t, filter, options, args.top, fp, &progress);
                    let saved = args.out_dir.as_ref().and_then(|dir| {
                        resume::save(dir, &b)
                            .err()
                            .map(|e| format!("--out-dir {}: ticket {}: {e}", dir.display(), t.id))
                    });
                    (b, false, saved)
                })
                .collect();
            for (b, reused, save_error) in done {
                resumed += usize::from(reused);
                if let Some(e) = save_error {
                    errors.push(e);
                }
                let values = b.values();
                if let Some(t) = values.last()
                    && t["status"] == "failed"
                {
                    trouble = true;
                    for f in t["failed"].as_array().into_iter().flatten() {
                        errors.push(format!(
                            "ticket {}: {}",
                            b.id,
                            f["why"].as_str().unwrap_or("failed")
                        ));
                    }
                }
                fleet.add(&b.id, &values);
                w.ticket(&b, &values)?;
            }
            bar.set_message(format!("tickets {}/{total}", ((n + 1) * window).min(total)));
        }
        let (paths, summary) = std::mem::take(&mut fleet).finish();
        found = summary.with_findings > 0;
        // The page says how long the whole batch took.
        w = w.with_meta(Meta::now(start));
        w.end(&paths, &summary)
    })?;
    bar.finish_and_clear();
    for e in &errors {
        say!("culprit: {e}");
    }
    if !args.quiet && resumed > 0 {
        say!(
            "culprit: note: {resumed} of {total} tickets reused from --out-dir (unchanged since they were saved)"
        );
    }
    trouble |= !errors.is_empty();
    Ok(exit::of(trouble, found))
}

/// Runs `culprit merge`; returns the exit code.
pub fn run_merge(args: &MergeArgs) -> anyhow::Result<u8> {
    let start = std::time::SystemTime::now();
    if args.output.is_none() {
        stdout_open()?;
    }
    let (head, blocks) = merge::read_parts(&args.parts)?;
    let style = TableStyle {
        width: None,
        color: false,
        ascii: args.ascii,
    };
    // Each block's lines parsed once: for the fleet summary, then for the output.
    let parsed: Vec<Vec<serde_json::Value>> = blocks.iter().map(Block::values).collect();
    let mut fleet = Fleet::default();
    for (b, values) in blocks.iter().zip(&parsed) {
        fleet.add(&b.id, values);
    }
    let (paths, summary) = fleet.finish();
    with_output(args.output.as_ref(), |out| {
        let mut w = Writer::begin(out, args.format, style, head)?.with_meta(Meta::now(start));
        for (b, values) in blocks.iter().zip(&parsed) {
            w.ticket(b, values)?;
        }
        w.end(&paths, &summary)
    })?;
    Ok(exit::of(summary.failed > 0, summary.with_findings > 0))
}
