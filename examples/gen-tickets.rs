//! Writes a SYNTHETIC batch of tickets: `gen-tickets DIR N [hard] [zipped]`. N
//! ordinary tickets (folders and zips; all zips with `zipped`), each with a culprit
//! of its own, every third one with the recurring culprit; `hard` adds a corrupt zip,
//! a ticket with no log, a 64 MiB decompression bomb, a zip inside a zip and a
//! `.tar.gz`. Prints what each ticket must report.

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(dir), Some(n)) = (args.first(), args.get(1).and_then(|n| n.parse().ok())) else {
        eprintln!("usage: gen-tickets DIR N [hard] [zipped]");
        std::process::exit(2);
    };
    let shape = culprit::synth::tickets::Shape {
        hard: args[2..].iter().any(|a| a == "hard"),
        zipped: args[2..].iter().any(|a| a == "zipped"),
        bomb: 64 << 20,
    };
    let planted = culprit::synth::tickets::write_batch(std::path::Path::new(dir), n, shape)?;
    for (id, culprits) in planted {
        println!("{id}\t{}", culprits.join("\t"));
    }
    Ok(())
}
