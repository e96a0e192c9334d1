//! The fuzz targets' entry points (`culprit::fuzzing`, run by `fuzz/` under libFuzzer)
//! replayed on stable over every fixture and a synthetic PML, each whole, cut short and
//! with bytes flipped: a crash the fuzzer found once stays found. Also writes the seed
//! corpora the fuzz script starts from (`fuzz/seeds.sh`).

use culprit::fuzzing;

/// A small deterministic generator (no dependency on a random source).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

/// The seeds: every fixture, plus a synthetic PML capture.
pub fn seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in ["fixtures/procmon", "fixtures/tickets/rdp-install-denied"] {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(Result::ok)
            .map(|e| e.path())
            .collect();
        entries.sort();
        for p in entries {
            out.push((p.display().to_string(), std::fs::read(&p).unwrap()));
        }
    }
    let tmp = tempfile::NamedTempFile::new().unwrap();
    let cfg = culprit::synth::Config {
        target_bytes: u64::MAX,
        max_rows: Some(300),
        ..culprit::synth::Config::default()
    };
    culprit::synth::pml::write_procmon_pml(&mut tmp.reopen().unwrap(), &cfg).unwrap();
    out.push(("synthetic.pml".into(), std::fs::read(tmp.path()).unwrap()));
    out
}

/// Whole, cut at a few points, and with a few bytes flipped.
fn variants(data: &[u8], rng: &mut Lcg) -> Vec<Vec<u8>> {
    let mut out = vec![data.to_vec()];
    for cut in [1, 3, 2] {
        out.push(data[..data.len() * cut / 4].to_vec());
    }
    for _ in 0..4 {
        let mut v = data.to_vec();
        if !v.is_empty() {
            for _ in 0..8 {
                let i = (rng.next() as usize) % v.len();
                v[i] = rng.next() as u8;
            }
        }
        out.push(v);
    }
    out
}

#[test]
fn every_target_survives_the_seeds_cut_and_flipped() {
    let mut rng = Lcg(42);
    for (name, data) in seeds() {
        for v in variants(&data, &mut rng) {
            fuzzing::any(&v);
            if name.ends_with(".pml") {
                fuzzing::pml(&v);
            } else if name.ends_with(".xml") {
                fuzzing::xml(&v);
            } else if name.ends_with(".evtx") {
                fuzzing::evtx(&v);
            } else if name.ends_with(".log") {
                fuzzing::servicing(&v);
            } else {
                fuzzing::csv(&v);
            }
        }
    }
}

#[test]
fn the_archive_target_survives_zips_and_garbage() {
    let mut rng = Lcg(7);
    let dir = tempfile::tempdir().unwrap();
    let zip_path = dir.path().join("t.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    for (name, data) in seeds().into_iter().take(4) {
        let short = name.rsplit('/').next().unwrap().to_string();
        w.start_file(short, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    w.finish().unwrap();
    let zip = std::fs::read(&zip_path).unwrap();
    for v in variants(&zip, &mut rng) {
        fuzzing::archive(&v);
    }
    fuzzing::archive(b"PK\x05\x06");
    fuzzing::archive(b"");
}

#[test]
fn tiny_inputs_of_every_kind() {
    for data in [
        &b""[..],
        b"\xEF\xBB\xBF",
        b"\xFF\xFE",
        b"\x1F\x8B",
        b"PML_",
        b"<procmon>",
        b"\r\r\r",
        b"ElfFile\0",
    ] {
        fuzzing::any(data);
        fuzzing::csv(data);
        fuzzing::pml(data);
        fuzzing::xml(data);
        fuzzing::evtx(data);
        fuzzing::servicing(data);
    }
}

/// Flips bytes where an EVTX parser is most exposed (the chunk header, the string and
/// template tables, the records) rather than in a chunk's zero padding.
#[test]
fn the_evtx_target_survives_damage_inside_its_records() {
    let mut rng = Lcg(99);
    let data = std::fs::read("fixtures/tickets/rdp-install-denied/PC01_Security.evtx").unwrap();
    let used = 4096 + 512 + 4096;
    for _ in 0..300 {
        let mut v = data.clone();
        for _ in 0..1 + rng.next() % 6 {
            let i = 4096 + (rng.next() as usize) % (used - 4096);
            v[i] = rng.next() as u8;
        }
        fuzzing::evtx(&v);
    }
}
