//! Property tests: the parsers never panic, whatever the bytes.

use culprit::discover::Input;
use culprit::filter::{Filter, ProcessSet, StatusSelection};
use culprit::progress::NoProgress;
use culprit::scan::{ScanOptions, scan_with};
use culprit::sources::procmon::csv::parse_header;
use culprit::sources::procmon::record::LineParser;
use culprit::{codes, intent, pathnorm, timefmt};
use proptest::prelude::*;

const HEADER: &str =
    "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n";

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn line_level_parsers_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
        let _ = parse_header(&bytes);
        let mut p = LineParser::new(b',');
        if let Some(n) = p.parse(&bytes) {
            prop_assert_eq!(n, p.len());
            for i in 0..=n {
                let _ = p.field(i);
            }
        }
        let _ = codes::procmon_result(&bytes);
    }

    #[test]
    fn text_parsers_never_panic(s in "\\PC{0,200}") {
        let _ = timefmt::time_of_day_ns(&s);
        let _ = timefmt::date_ymd(&s);
        let n = pathnorm::normalize(&s);
        let _ = pathnorm::kind(&n);
        // Normalising is idempotent.
        prop_assert_eq!(pathnorm::normalize(&n), n.clone());
        let _ = intent::intent(&s, &s);
        let _ = intent::field(&s, "Desired Access");
    }

    #[test]
    fn whole_file_scan_never_panics(body in proptest::collection::vec(any::<u8>(), 0..2000), with_header in any::<bool>()) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut bytes = if with_header { HEADER.as_bytes().to_vec() } else { Vec::new() };
        bytes.extend_from_slice(&body);
        std::fs::write(&path, &bytes).unwrap();
        let filter = Filter {
            processes: ProcessSet::All,
            statuses: StatusSelection::parse(&["denied,write-protect,sharing,privilege,cannot-delete"]).unwrap(),
            ..Filter::default()
        };
        let inputs = [Input::file(path, false)];
        for mmap in [true, false] {
            let out = scan_with(&inputs, &filter, ScanOptions { mmap, chunk: 97, ..ScanOptions::default() }, &NoProgress);
            prop_assert_eq!(out.inputs.len(), 1);
        }
    }

    #[test]
    fn planted_rows_survive_arbitrary_neighbours(noise in proptest::collection::vec("[ -~]{0,80}", 0..20)) {
        // A real denial row surrounded by junk lines is still found.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.csv");
        let mut text = String::from(HEADER);
        for n in &noise {
            text.push_str(&n.replace('\n', " "));
            text.push_str("\r\n");
        }
        text.push_str("\"7:00:00.0 AM\",\"mstsc.exe\",\"1\",\"RegSetValue\",\"HKCU\\Software\\X\",\"ACCESS DENIED\",\"\"\r\n");
        std::fs::write(&path, text).unwrap();
        let inputs = [Input::file(path, true)];
        let out = scan_with(&inputs, &Filter::default(), ScanOptions { mmap: true, chunk: 64, ..ScanOptions::default() }, &NoProgress);
        prop_assert!(out.aggregate.paths.contains_key("hkcu\\software\\x"));
    }
}

/// A small synthetic PML capture, made once.
fn small_pml() -> &'static [u8] {
    static PML: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    PML.get_or_init(|| {
        let mut c = std::io::Cursor::new(Vec::new());
        let cfg = culprit::synth::Config {
            target_bytes: 16 * 1024,
            ..Default::default()
        };
        culprit::synth::pml::write_procmon_pml(&mut c, &cfg).unwrap();
        c.into_inner()
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, ..ProptestConfig::default() })]

    #[test]
    fn pml_reader_never_panics_on_damaged_captures(
        edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..40),
        cut in any::<usize>(),
    ) {
        let mut bytes = small_pml().to_vec();
        for (at, v) in edits {
            let i = at % bytes.len();
            bytes[i] = v;
        }
        // Keep the magic so the PML reader is the one exercised.
        bytes[..4].copy_from_slice(b"PML_");
        bytes.truncate(4 + cut % bytes.len());
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.pml");
        std::fs::write(&path, &bytes).unwrap();
        let filter = Filter { processes: ProcessSet::All, ..Filter::default() };
        let out = scan_with(&[Input::file(path, true)], &filter, ScanOptions::default(), &NoProgress);
        prop_assert_eq!(out.inputs.len(), 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A servicing log's first record, then anything: the record assembler, the code
    /// and path readers never panic, and every kept record is counted once.
    #[test]
    fn servicing_logs_never_panic(
        body in "(\\PC|\\r|\\n|\\[|\\]|'|\"|\\\\|:|/|\\{|\\}|0x80070005|E_ACCESSDENIED|error = 0x5|on:\\[3\\]|\\[l:2\\]|C:\\\\|\\{12345678-1234-1234-1234-123456789012\\}F:/|2026-11-24 07:22:13, Info  CBS |\\[SR\\] Cannot repair member file |\\[SR\\] Could not reproject corrupted file |\\[SR\\] Unable to repair |hash mismatch){0,80}",
    ) {
        let text = format!("2026-11-24 07:22:13, Info                  CBS    start\r\n{body}");
        let statuses = StatusSelection::parse(&["denied,unrepairable"]).unwrap();
        let filter = Filter { processes: ProcessSet::All, statuses, ..Filter::default() };
        let (s, agg) = culprit::scan::scan_bytes("x.log", text.as_bytes(), &filter);
        prop_assert!(s.matches >= agg.events() , "{} {}", s.matches, agg.events());
        for key in agg.paths.keys() {
            let again = pathnorm::normalize(key).to_lowercase();
            prop_assert_eq!(again.as_str(), &**key);
        }
    }
}
