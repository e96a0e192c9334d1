//! SYNTHETIC ticket batches, for the batch tests, the Slurm integration test and the
//! batch benchmark: `n` tickets (folders and zips, each with a Procmon CSV export in
//! the real format), each with a culprit of its own; every third one also holds the
//! recurring culprit. Then the hard cases a real collection holds: a corrupt archive,
//! a ticket with no log, a decompression bomb (`bomb` bytes of rows in a few KB), a
//! zip inside the ticket's zip (as `<PC>_CbsPersist.zip` ships), and a `.tar.gz`.

use std::io::{self, Write};
use std::path::Path;

/// The path every third ticket holds.
pub const RECURRING: &str = "C:\\Program Files\\Remote Desktop\\mstsc.exe.manifest";

/// The culprit of ticket `i` alone.
pub fn own_culprit(i: usize) -> String {
    format!("C:\\ProgramData\\Vendor\\ticket-{i:05}\\state.dat")
}

/// A Procmon CSV export where mstsc.exe is refused a write on each of `paths`
/// (`repeat` times each, never recovered), with a read that succeeds after each.
pub fn procmon_csv(paths: &[&str], repeat: usize) -> String {
    let mut s = String::from(
        "\u{feff}\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n",
    );
    for (i, p) in paths.iter().enumerate() {
        for r in 0..repeat {
            s.push_str(&format!(
                "\"7:19:{:02}.{:07} AM\",\"mstsc.exe\",\"7720\",\"CreateFile\",\"{p}\",\"ACCESS DENIED\",\"Desired Access: Generic Write, Disposition: OverwriteIf\"\r\n",
                (10 + i) % 60,
                r
            ));
        }
        s.push_str(&format!(
            "\"7:20:{:02}.0000000 AM\",\"mstsc.exe\",\"7720\",\"CreateFile\",\"C:\\Windows\\System32\\ok{i}.dll\",\"SUCCESS\",\"Desired Access: Read\"\r\n",
            (10 + i) % 60
        ));
    }
    s
}

/// About `n` bytes of a Procmon CSV: its header, then one SUCCESS row again and again
/// (what a decompression bomb that reads as a log looks like).
pub fn filler_csv(n: usize) -> Vec<u8> {
    let row = "\"7:19:10.0000000 AM\",\"x.exe\",\"1\",\"ReadFile\",\"C:\\x\",\"SUCCESS\",\"\"\r\n";
    let mut v = procmon_csv(&[], 0).into_bytes();
    v.extend(row.repeat(n / row.len()).into_bytes());
    v
}

/// A zip of `members` (deflated).
pub fn zip_bytes(members: &[(&str, &[u8])]) -> io::Result<Vec<u8>> {
    let mut w = zip::ZipWriter::new(io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in members {
        w.start_file(*name, opts).map_err(io::Error::other)?;
        w.write_all(bytes)?;
    }
    Ok(w.finish().map_err(io::Error::other)?.into_inner())
}

/// What a generated batch holds: (ticket id, its culprits), in id order.
pub type Planted = Vec<(String, Vec<String>)>;

/// How a batch is shaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// Add the hard cases.
    pub hard: bool,
    /// Every ordinary ticket a zip (else every fourth is a folder).
    pub zipped: bool,
    /// The size the bomb expands to.
    pub bomb: usize,
}

/// Writes `n` ordinary tickets into `dir`, plus the hard cases when asked; returns
/// what each ticket must report.
pub fn write_batch(dir: &Path, n: usize, shape: Shape) -> io::Result<Planted> {
    let Shape { hard, zipped, bomb } = shape;
    std::fs::create_dir_all(dir)?;
    let mut planted: Planted = Vec::new();
    for i in 0..n {
        let own = own_culprit(i);
        let mut culprits = vec![own.clone()];
        if i % 3 == 0 {
            culprits.push(RECURRING.to_string());
        }
        let refs: Vec<&str> = culprits.iter().map(String::as_str).collect();
        let csv = procmon_csv(&refs, 1 + i % 3);
        let id = if i % 4 == 0 && !zipped {
            let id = format!("ticket-{i:05}");
            let d = dir.join(&id).join("Procmon");
            std::fs::create_dir_all(&d)?;
            std::fs::write(d.join("Logfile.CSV"), &csv)?;
            id
        } else {
            let id = format!("ticket-{i:05}.zip");
            let notes = format!("collected for case {i}\r\n");
            std::fs::write(
                dir.join(&id),
                zip_bytes(&[
                    (&format!("PC{i:05}_Procmon.csv"), csv.as_bytes()),
                    ("notes.txt", notes.as_bytes()),
                ])?,
            )?;
            id
        };
        culprits.sort();
        planted.push((id, culprits));
    }
    if hard {
        // A zip cut short: its central directory is gone.
        let whole = zip_bytes(&[("x.csv", procmon_csv(&[RECURRING], 1).as_bytes())])?;
        std::fs::write(dir.join("zz-corrupt.zip"), &whole[..whole.len() / 2])?;
        planted.push(("zz-corrupt.zip".into(), vec![]));
        // No log culprit reads.
        std::fs::create_dir_all(dir.join("zz-empty"))?;
        std::fs::write(dir.join("zz-empty/readme.txt"), "nothing collected\r\n")?;
        planted.push(("zz-empty".into(), vec![]));
        // A bomb beside a real log.
        let real = "C:\\ProgramData\\Vendor\\bomb-ticket\\kept.dat";
        std::fs::write(
            dir.join("zz-bomb.zip"),
            zip_bytes(&[
                ("Procmon.CSV", &filler_csv(bomb)),
                ("real.csv", procmon_csv(&[real], 1).as_bytes()),
            ])?,
        )?;
        planted.push(("zz-bomb.zip".into(), vec![real.to_string()]));
        // A zip inside the ticket's zip.
        let inner_path = "C:\\ProgramData\\Vendor\\nested\\inner.dat";
        let inner = zip_bytes(&[(
            "inner.csv",
            procmon_csv(&[inner_path, RECURRING], 1).as_bytes(),
        )])?;
        std::fs::write(
            dir.join("zz-nested.zip"),
            zip_bytes(&[("PC99_CbsPersist.zip", &inner)])?,
        )?;
        let mut c = vec![inner_path.to_string(), RECURRING.to_string()];
        c.sort();
        planted.push(("zz-nested.zip".into(), c));
        // A gzipped tar (`tar czf`), logs in a folder.
        let tar_path = "C:\\ProgramData\\Vendor\\tarball\\state.dat";
        let csv = procmon_csv(&[tar_path], 2);
        let gz = flate2::write::GzEncoder::new(
            std::fs::File::create(dir.join("zz-tarball.tar.gz"))?,
            flate2::Compression::fast(),
        );
        let mut tar = tar::Builder::new(gz);
        let mut h = tar::Header::new_gnu();
        h.set_size(csv.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        tar.append_data(&mut h, "PC98/Procmon/Logfile.CSV", csv.as_bytes())?;
        tar.into_inner()?.finish()?;
        planted.push(("zz-tarball.tar.gz".into(), vec![tar_path.to_string()]));
    }
    planted.sort();
    Ok(planted)
}
