//! Writes a SYNTHETIC batch of tickets: `gen-tickets DIR N [hard]`. N ordinary
//! tickets (folders and zips), each with a culprit of its own, every third one with
//! the recurring culprit; `hard` adds a corrupt zip, a ticket with no log, a 64 MiB
//! decompression bomb, a zip inside a zip and a `.tar.gz`. Prints what each ticket
//! must report.

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen-tickets DIR N [hard]");
        std::process::exit(2);
    };
    let hard = args.get(2).is_some_and(|h| h == "hard");
    let planted =
        culprit::synth::tickets::write_batch(std::path::Path::new(dir), n, hard, 64 << 20)?;
    for (id, culprits) in planted {
        println!("{id}\t{}", culprits.join("\t"));
    }
    Ok(())
}
