//! The command line end to end: the example ticket, exit codes, formats, filters,
//! broken inputs and broken pipes.

mod common;

use std::io::{Read, Write};
use std::process::{Command as StdCommand, Stdio};

use common::*;

const TICKET: &str = "fixtures/tickets/rdp-install-denied";
/// Rank 2: mstsc.exe refused a write on Default.rdp, seen by Procmon and by the
/// Security log's 4656 failure audit (two source families agree).
const CORROBORATED: &str = "C:\\Users\\alice\\Documents\\Default.rdp";
/// Rank 1: DismHost.exe's writes refused as write-protected, seen by Procmon and by
/// dism.log (two source families agree).
const PLANTED: &str = "C:\\Windows\\WinSxS\\Temp\\InFlight\\8c2f1d0e5a7b4c3e\\amd64_microsoft-windows-t..services-mstsc-exe_31bf3856ad364e35_10.0.22621.4391_none_5f1c0a1b8d2e3f40\\mstsc.exe";

#[test]
fn example_ticket_ranks_the_planted_path_first_with_its_evidence() {
    let (code, r, err) = run_json(&[TICKET]);
    assert_eq!(code, 0, "{err}");
    let f = &r["findings"][0];
    assert_eq!(f["path"], PLANTED);
    assert_eq!(f["families"], serde_json::json!(["procmon", "servicing"]));
    assert_eq!(f["factors"]["agreement"], 15);
    // Three Procmon rows (CSV lines 5, 8, 9) and two dism.log records (lines 9, 10).
    assert_eq!(f["count"], 5);
    assert_eq!(f["unrecovered"], 5);
    assert_eq!(
        f["write_intent"], 5,
        "only a write meets a write-protected medium"
    );
    assert_eq!(f["statuses"][0]["class"], "write-protect");
    assert_eq!(f["statuses"][0]["name"], "STATUS_MEDIA_WRITE_PROTECTED");
    assert_eq!(f["statuses"][0]["code"], "0xC00000A2");
    assert_eq!(f["statuses"][1]["code"], "0x80070013");
    assert_eq!(
        f["statuses"][1]["name"],
        "HRESULT_FROM_WIN32(ERROR_WRITE_PROTECT)"
    );
    assert_eq!(f["processes"][0]["name"], "DismHost.exe");
    assert_eq!(
        f["processes"].as_array().unwrap().len(),
        1,
        "one DismHost.exe in both sources"
    );
    assert!(
        f["first_seen"]["input"]
            .as_str()
            .unwrap()
            .ends_with("PC01_dism.log")
    );
    assert_eq!(f["first_seen"]["line"], 9);
    assert_eq!(f["last_seen"]["line"], 9);
    let samples = f["samples"].to_string();
    assert!(samples.contains("Generic Write"), "{samples}");
    assert!(
        samples.contains("Failed to stage the payload file"),
        "{samples}"
    );
    assert!(!f["advice"].as_array().unwrap().is_empty());
    let top = &r["findings"][1];
    assert_eq!(top["path"], CORROBORATED);
    assert_eq!(top["families"], serde_json::json!(["procmon", "evtx"]));
    assert_eq!(top["factors"]["agreement"], 15);
    assert_eq!(top["count"], 2);
    assert_eq!(top["unrecovered"], 2);
    let ops: Vec<&str> = top["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(ops, ["CreateFile", "Security 4656 audit failure"]);
    // Its evidence shows both sources: the Procmon row and the audit's refused rights.
    let details = top["samples"].to_string();
    assert!(details.contains("Generic Write"), "{details}");
    assert!(
        details.contains("Write Data/Add File, Append Data/Add Subdirectory, Write Attributes"),
        "{details}"
    );
    // The RDP client's own denial comes next: write denied, never recovered.
    assert_eq!(
        r["findings"][2]["path"],
        "HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0"
    );
    // The non-Procmon CSV of the ticket is skipped with a one-line note per reason,
    // not silently; -v names it.
    assert!(
        err.contains("skipped 1 file: not a Procmon CSV export") && err.contains("-v lists them"),
        "{err}"
    );
    let (_, _, verbose) = run(&[TICKET, "-v", "--no-progress"]);
    assert!(
        verbose.contains("PC01_msinfo32_drivers.csv: skipped"),
        "{verbose}"
    );
    assert_eq!(input(&r, "PC01_msinfo32_drivers.csv")["status"], "skipped");
}

#[test]
fn table_is_the_default_and_lists_the_planted_path_first() {
    let (code, out, _) = run(&[TICKET, "--no-progress"]);
    assert_eq!(code, 0);
    let first_row = out
        .lines()
        .find(|l| l.contains("│ 1 "))
        .expect("a first table row");
    assert!(first_row.contains("MEDIA WRITE PROTECTED"), "{first_row}");
    let second_row = out.lines().find(|l| l.contains("│ 2 ")).unwrap();
    assert!(second_row.contains("Default.rdp"), "{second_row}");
    assert!(out.contains(&format!("#1 {PLANTED}")));
    assert!(out.contains(&format!("#2 {CORROBORATED}")));
    assert!(out.contains("procmon and servicing agree +15"));
    assert!(out.contains("procmon and evtx agree +15"));
    assert!(out.contains(
        "evidence  fixtures/tickets/rdp-install-denied/PC01_261124-072210_Procmon_dism.CSV:5"
    ));
}

#[test]
fn recovery_needs_the_refused_access_granted() {
    let (_, r, _) = run_json(&[TICKET, "--top", "0"]);
    let shape = finding_shape(&r);
    let at = |suffix: &str| {
        shape
            .iter()
            .position(|(p, _, _)| p.ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix} listed"))
    };
    // Default.rdp: Generic Write refused, then only a Generic Read granted (ticket
    // README): the write never happened. The Security log's failure audit of the same
    // open is the second unrecovered failure (an event log records no recovery).
    assert_eq!(
        shape[at("Default.rdp")].2,
        2,
        "a read does not recover a write"
    );
    // Sessions.xml: the same write open refused, then granted.
    let sessions = at("Sessions.xml");
    assert_eq!(
        shape[sessions].2, 0,
        "the same write granted later recovers"
    );
    assert!(at("MRU0") < sessions);
}

#[test]
fn exit_code_one_when_nothing_is_found() {
    let (code, r, err) = run_json(&["fixtures/procmon/default7.csv", "-p", "nobody.exe"]);
    assert_eq!(code, 1);
    assert!(r["findings"].as_array().unwrap().is_empty());
    assert!(err.contains("no ") && err.contains("nobody.exe"), "{err}");
}

#[test]
fn usage_errors_exit_two() {
    assert_eq!(run_raw(&["scan"]).0, 2);
    assert_eq!(run_raw(&["frobnicate"]).0, 2);
    assert_eq!(run(&[TICKET, "--status", "bogus"]).0, 2);
    assert_eq!(run(&[TICKET, "--format", "xml"]).0, 2);
    assert_eq!(run(&[TICKET, "-p", "x.exe", "--all-processes"]).0, 2);
    assert_eq!(run_raw(&["--version"]).0, 0);
    assert_eq!(run_raw(&["scan", "--help"]).0, 0);
}

#[test]
fn a_broken_file_among_good_ones_is_named_and_the_rest_still_reported() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::fs::read("fixtures/procmon/default7.csv").unwrap();
    std::fs::write(dir.path().join("good.csv"), &good).unwrap();
    let gz = std::fs::read("fixtures/procmon/default7.csv.gz").unwrap();
    std::fs::write(dir.path().join("cut.csv.gz"), &gz[..gz.len() - 30]).unwrap();
    std::fs::copy(
        "fixtures/procmon/missing_result.csv",
        dir.path().join("missing_result.csv"),
    )
    .unwrap();
    let d = dir.path().to_str().unwrap();
    let (code, r, err) = run_json(&[d, "--all-processes"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("cut.csv.gz"), "{err}");
    assert!(
        err.contains("missing_result.csv") && err.contains("\"Result\""),
        "{err}"
    );
    assert_eq!(input(&r, "cut.csv.gz")["status"], "failed");
    assert_eq!(input(&r, "good.csv")["status"], "ok");
    // The good file's findings are all there.
    let (_, alone, _) = run_json(&["fixtures/procmon/default7.csv", "--all-processes"]);
    let good_paths = paths(&alone);
    for p in &good_paths {
        assert!(paths(&r).contains(p), "{p} lost");
    }
    assert_eq!(r["summary"]["failed"], 2);
}

#[test]
fn missing_input_and_explicit_unrecognised_file_exit_two() {
    let (code, _, err) = run(&[TICKET, "no/such/file.csv"]);
    assert_eq!(code, 2);
    assert!(err.contains("no/such/file.csv"), "{err}");
    let (code, _, err) = run(&["fixtures/procmon/not_procmon.csv"]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not_procmon.csv") && err.contains("not a recognised log"),
        "{err}"
    );
}

#[test]
fn every_machine_format_carries_the_schema_version() {
    let (_, r, _) = run_json(&[TICKET]);
    assert_eq!(r["schema_version"], 1);
    let (code, out, _) = run(&[TICKET, "--format", "jsonl"]);
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(lines.iter().all(|l| l["schema_version"] == 1));
    assert_eq!(lines[0]["type"], "finding");
    assert_eq!(lines[0]["path"], PLANTED);
    assert_eq!(lines.last().unwrap()["type"], "summary");
    assert_eq!(lines.iter().filter(|l| l["type"] == "input").count(), 6);
    let (_, csv_out, _) = run(&[TICKET, "--format", "csv"]);
    let mut rdr = csv::Reader::from_reader(csv_out.as_bytes());
    let headers = rdr.headers().unwrap().clone();
    assert_eq!(&headers[0], "schema_version");
    let first = rdr.records().next().unwrap().unwrap();
    assert_eq!(&first[0], "1");
    assert_eq!(&first[3], PLANTED);
}

#[test]
fn output_file_and_two_runs_are_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.json");
    let b = dir.path().join("b.json");
    for (f, j) in [(&a, "1"), (&b, "2")] {
        let (code, out, _) = run(&[
            TICKET,
            "--top",
            "0",
            "--format",
            "json",
            "-o",
            f.to_str().unwrap(),
            "-j",
            j,
        ]);
        assert_eq!(code, 0);
        assert!(out.is_empty(), "report went to the file, not stdout");
    }
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
}

#[test]
fn process_filter_is_case_insensitive_and_replaces_the_default() {
    let (_, r, _) = run_json(&["fixtures/procmon/default7.csv", "-p", "SVCHOST.EXE"]);
    assert_eq!(
        paths(&r),
        vec!["HKLM\\System\\CurrentControlSet\\Services\\SharedAccess"]
    );
    let (_, r, _) = run_json(&["fixtures/procmon/default7.csv"]);
    assert!(
        !paths(&r).iter().any(|p| p.contains("SharedAccess")),
        "svchost is not in the default set"
    );
    let (_, r, _) = run_json(&["fixtures/procmon/default7.csv", "--all-processes"]);
    assert_eq!(r["findings"].as_array().unwrap().len(), 3);
    assert_eq!(r["filters"]["all_processes"], true);
}

#[test]
fn status_filter_selects_classes_and_raw_codes() {
    let (_, r, _) = run_json(&[
        "fixtures/procmon/hex_results.csv",
        "--all-processes",
        "--status",
        "0x368",
    ]);
    assert_eq!(
        paths(&r),
        vec!["HKLM\\System\\CurrentControlSet\\Services\\SharedAccess"]
    );
    assert_eq!(r["findings"][0]["statuses"][0]["class"], "other");
    // Hex spellings of the default statuses decode like the words, in either case.
    let (_, r, _) = run_json(&["fixtures/procmon/hex_results.csv"]);
    let shape = finding_shape(&r);
    assert_eq!(shape.len(), 2);
    assert_eq!(
        r["findings"][0]["path"],
        "D:\\Mount\\Windows\\System32\\mstsc.exe"
    );
    assert_eq!(
        r["findings"][0]["statuses"][0]["result"],
        "MEDIA WRITE PROTECTED"
    );
    assert_eq!(r["findings"][1]["statuses"][0]["code"], "0xC0000022");
    let (_, r, _) = run_json(&[
        "fixtures/procmon/default7.csv",
        "--all-processes",
        "--status",
        "write-protect",
    ]);
    assert_eq!(paths(&r), vec!["D:\\Mount\\Windows\\System32\\mstsc.exe"]);
}

#[test]
fn every_format_variant_gives_the_same_findings() {
    let (_, base, _) = run_json(&["fixtures/procmon/default7.csv", "--all-processes"]);
    let expected = finding_shape(&base);
    assert_eq!(expected.len(), 3);
    for f in [
        "default7_lf.csv",
        "default7.csv.gz",
        "excel_resaved.csv",
        "semicolon.csv",
        "tab_pasted.txt",
        "utf16le.csv",
        "24h_comma.csv",
        "reordered.csv",
    ] {
        let (code, r, err) = run_json(&[&format!("fixtures/procmon/{f}"), "--all-processes"]);
        assert_eq!(code, 0, "{f}: {err}");
        assert_eq!(finding_shape(&r), expected, "{f}");
        assert_eq!(r["inputs"][0]["rows"], 5, "{f}");
    }
}

#[test]
fn bad_rows_are_counted_with_their_line() {
    let (code, r, _) = run_json(&["fixtures/procmon/bad_row.csv", "--all-processes", "-v"]);
    assert_eq!(code, 0);
    assert_eq!(r["inputs"][0]["bad_rows"], 1);
    assert_eq!(
        r["inputs"][0]["first_bad_row"],
        "line 3: 3 fields, the header needs at least 6"
    );
    assert_eq!(r["findings"].as_array().unwrap().len(), 3);
}

#[test]
fn a_truncated_last_line_keeps_everything_before_it() {
    let (code, r, _) = run_json(&["fixtures/procmon/truncated.csv", "--all-processes"]);
    assert_eq!(code, 0);
    assert_eq!(r["findings"].as_array().unwrap().len(), 3);
    assert_eq!(r["inputs"][0]["rows"], 5);
}

#[test]
fn verbose_prints_the_per_input_summary() {
    let (_, _, err) = run(&[TICKET, "-v", "--no-progress"]);
    assert!(err.contains("PC01_261124-072210_Procmon_dism.CSV: ok, kind procmon-csv, 10 rows, 0 bad rows, 4 matches"), "{err}");
    let (_, _, quiet) = run(&[TICKET, "-q"]);
    assert!(quiet.is_empty(), "{quiet}");
}

#[test]
fn a_closed_pipe_ends_quietly() {
    // Enough distinct denied paths that the report outgrows the pipe buffer.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.csv");
    let mut text = String::from(
        "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n",
    );
    for i in 0..3000 {
        text.push_str(&format!("\"7:00:00.0 AM\",\"mstsc.exe\",\"1\",\"RegSetValue\",\"HKCU\\Software\\Key{i}\",\"ACCESS DENIED\",\"\"\r\n"));
    }
    std::fs::write(&file, text).unwrap();
    let mut child = StdCommand::new(env!("CARGO_BIN_EXE_culprit"))
        .args([
            "scan",
            file.to_str().unwrap(),
            "--top",
            "0",
            "--format",
            "jsonl",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut head = [0u8; 16];
    child
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut head)
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert_eq!(status.code(), Some(0));
    assert!(err.is_empty(), "{err}");
    let _ = std::io::stdout().flush();
}

#[test]
fn a_zipped_ticket_reads_like_its_folder() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    // TSS names: <PC>_<ts>_... inside TSS_<PC>_<ts>_UEX_RDScli.zip, entries at the root.
    let zip_path = dir.path().join("TSS_PC01_261124-071500_UEX_RDScli.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&zip_path).unwrap());
    let mut names = Vec::new();
    for entry in std::fs::read_dir(TICKET).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        w.start_file(
            format!("logs/{name}"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        w.write_all(&std::fs::read(&path).unwrap()).unwrap();
        names.push(name);
    }
    w.finish().unwrap();
    let (code, zipped, err) = run_json(&[zip_path.to_str().unwrap(), "--top", "0"]);
    assert_eq!(code, 0, "{err}");
    let (_, folder, _) = run_json(&[TICKET, "--top", "0"]);
    assert_eq!(finding_shape(&zipped), finding_shape(&folder));
    let zip_name = zip_path.to_str().unwrap();
    assert_eq!(
        zipped["findings"][0]["first_seen"]["input"],
        format!("{zip_name}!logs/PC01_dism.log")
    );
    assert_eq!(
        input(&zipped, "!logs/PC01_msinfo32_drivers.csv")["status"],
        "skipped"
    );
    assert_eq!(zipped["inputs"].as_array().unwrap().len(), names.len());

    let broken = dir.path().join("broken.zip");
    std::fs::write(&broken, b"PK\x03\x04 cut").unwrap();
    let (code, _, err) = run(&[broken.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(err.contains("broken.zip"), "{err}");
}

#[test]
fn a_time_window_keeps_only_the_records_inside_it() {
    let (code, r, _) = run_json(&[
        "fixtures/procmon/default7.csv",
        "--all-processes",
        "--since",
        "07:19:37.016",
    ]);
    assert_eq!(code, 0);
    let mut p = paths(&r);
    p.sort();
    assert_eq!(
        p,
        vec![
            "D:\\Mount\\Windows\\System32\\mstsc.exe",
            "HKLM\\System\\CurrentControlSet\\Services\\SharedAccess"
        ]
    );
    assert_eq!(r["filters"]["since"], "07:19:37.0160000");
    let (_, r, _) = run_json(&[
        "fixtures/procmon/default7.csv",
        "--all-processes",
        "--until",
        "7:19:37.016 AM",
    ]);
    assert_eq!(r["findings"].as_array().unwrap().len(), 2);
    assert_eq!(
        run(&["fixtures/procmon/default7.csv", "--since", "soon"]).0,
        2
    );
}

#[test]
fn every_status_form_selects_and_undecodable_forms_are_usage_errors() {
    let (_, words, _) = run_json(&[TICKET, "-s", "denied", "--top", "0"]);
    let want = paths(&words);
    assert!(!want.is_empty());
    for form in [
        "0x80070005",
        "E_ACCESSDENIED",
        "5",
        "ACCESS DENIED",
        "0xC0000022",
    ] {
        let (code, r, err) = run_json(&[TICKET, "-s", form, "--top", "0"]);
        assert_eq!(code, 0, "{form}: {err}");
        assert_eq!(paths(&r), want, "{form}");
    }
    for bad in ["0x904", "0x7FFFFFFE", "E_NOSUCHNAME"] {
        let (code, _, err) = run(&[TICKET, "-s", bad]);
        assert_eq!(code, 2, "{bad}");
        assert!(err.contains(bad), "{err}");
    }
}

#[test]
fn verdicts_follow_the_evidence_on_the_example_ticket() {
    let (_, r, _) = run_json(&[TICKET, "--top", "0"]);
    let findings = r["findings"].as_array().unwrap();
    let find = |suffix: &str| {
        findings
            .iter()
            .find(|f| f["path"].as_str().unwrap().ends_with(suffix))
            .unwrap_or_else(|| panic!("{suffix}"))
    };
    // The read-only SECURITY probe: by design, below every real culprit, no write advice.
    let security = find("SECURITY\\Policy");
    assert_eq!(security["verdict"], "by-design");
    assert_eq!(security["write_intent"], 0);
    let text = security["advice"].to_string();
    assert!(
        text.contains("By design") && text.contains("only SYSTEM"),
        "{text}"
    );
    assert!(
        !text.contains("Full Control") && !text.contains("write access"),
        "{text}"
    );
    let sec_rank = security["rank"].as_u64().unwrap();
    for f in findings.iter().filter(|f| f["verdict"] != "by-design") {
        assert!(f["rank"].as_u64().unwrap() < sec_rank, "{}", f["path"]);
    }
    // A value's ACL is its key's: the command names the parent key, in the provider form.
    let mru = find("Default\\MRU0");
    assert_eq!(mru["verdict"], "write-denied");
    assert_eq!(
        mru["commands"][0],
        "Get-Acl -LiteralPath 'Registry::HKEY_CURRENT_USER\\Software\\Microsoft\\Terminal Server Client\\Default' | Format-List"
    );
    // The strongest conclusion first; recovered paths say so and nothing stronger.
    let wp = find("mstsc.exe");
    assert_eq!(wp["verdict"], "write-protected");
    assert!(
        wp["advice"][0]
            .as_str()
            .unwrap()
            .starts_with("Write-protected")
    );
    let commands = wp["commands"].to_string();
    for c in [
        "fltmc filters",
        "uwfmgr get-config",
        "dism /Get-MountedImageInfo",
        "RDVDenyWriteAccess",
    ] {
        assert!(commands.contains(c), "{c}");
    }
    let sessions = find("Sessions.xml");
    assert_eq!(sessions["verdict"], "recovered");
    assert_eq!(sessions["advice"].as_array().unwrap().len(), 1);
}

#[test]
fn exit_codes_are_decoded_context_linked_to_the_last_unrecovered_failures() {
    let (_, r, _) = run_json(&[TICKET, "--top", "0"]);
    let ctx = r["context"].as_array().unwrap();
    assert_eq!(ctx.len(), 2, "mstsc.exe and Dism.exe exit with failures");
    let mstsc = &ctx[0];
    assert_eq!(mstsc["process"], "mstsc.exe");
    assert_eq!(mstsc["pid"], 7720);
    assert_eq!(mstsc["exit"]["signed"], -2147024891);
    assert_eq!(mstsc["exit"]["code"], "0x80070005");
    assert_eq!(mstsc["exit"]["name"], "E_ACCESSDENIED");
    assert_eq!(mstsc["exit"]["class"], "denied");
    // Latest unrecovered failure first; the by-design SECURITY read (later still) is
    // never linked. 7:15:32.0100993 - 7:15:31.4481023 = 0.5619970 s.
    let first = &mstsc["linked"][0];
    assert!(first["path"].as_str().unwrap().ends_with("Default\\MRU0"));
    assert!((first["seconds_before"].as_f64().unwrap() - 0.561997).abs() < 1e-9);
    assert!(!mstsc["linked"].to_string().contains("SECURITY"));
    let dism = &ctx[1];
    assert_eq!(dism["process"], "Dism.exe");
    assert_eq!(dism["exit"]["code"], "0x80070013");
    assert_eq!(dism["exit"]["class"], "write-protect");
    // Dism.exe reports what its helper DismHost.exe met.
    assert_eq!(dism["linked"][0]["process"], "DismHost.exe");
    assert_eq!(dism["linked"][0]["rank"], 1);
    let top = &r["findings"][0];
    assert_eq!(
        top["factors"]["exit_link"], 20,
        "the exit code's class is the path's own"
    );
    assert_eq!(r["findings"][1]["factors"]["exit_link"], 20);
    let (_, table, _) = run(&[TICKET, "--no-progress"]);
    assert!(
        table.contains("mstsc.exe (PID 7720) exited with 0x80070005 E_ACCESSDENIED 0.56 s after being refused RegSetValue on HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0 (#3)"),
        "{table}"
    );
}

#[test]
fn one_capture_given_twice_counts_once() {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy_of_mstsc.CSV");
    std::fs::copy(
        "fixtures/tickets/rdp-install-denied/PC01_261124-071530_Procmon_mstsc.CSV",
        &copy,
    )
    .unwrap();
    let (_, alone, _) = run_json(&[TICKET, "--top", "0"]);
    let (code, both, err) = run_json(&[TICKET, copy.to_str().unwrap(), "--top", "0"]);
    assert_eq!(code, 0);
    assert!(err.contains("same capture as"), "{err}");
    // The copy adds nothing: same findings, same scores (no spread for the duplicate).
    assert_eq!(finding_shape(&alone), finding_shape(&both));
    let scores = |r: &serde_json::Value| -> Vec<serde_json::Value> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["score"].clone())
            .collect()
    };
    assert_eq!(scores(&alone), scores(&both));
    assert_eq!(alone["summary"]["matches"], both["summary"]["matches"]);
    assert_eq!(both["summary"]["twins"], 1);
    let twin = both["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| !i["twin_of"].is_null())
        .unwrap();
    // Inputs are sorted by path: the copy in the temp folder comes first and is kept,
    // or comes later and is the twin; either way exactly one of the two is the twin.
    assert!(twin["path"].as_str().unwrap().ends_with("mstsc.CSV"));
    assert_eq!(context_count(&alone), context_count(&both));
}

fn context_count(r: &serde_json::Value) -> usize {
    r["context"].as_array().unwrap().len()
}

#[test]
fn the_status_help_examples_are_real_codes() {
    let (_, help, _) = run_raw(&["scan", "--help"]);
    let text: String = help.split_whitespace().collect::<Vec<_>>().join(" ");
    let start = text.find("--status <LIST>").expect("--status in help");
    let para = &text[start
        ..text[start..]
            .find("[default")
            .map_or(text.len(), |e| start + e)];
    let examples: Vec<String> = para
        .split('(')
        .skip(1)
        .filter_map(|s| s.split(')').next())
        .filter(|s| !s.contains(','))
        .map(|s| s.trim_matches('"').to_string())
        .collect();
    assert!(examples.len() >= 5, "{examples:?}");
    for ex in examples {
        let (code, _, err) = run(&[TICKET, "-s", &ex]);
        assert_ne!(code, 2, "help example {ex:?} is refused: {err}");
    }
}

#[test]
fn completions_and_a_man_page_come_from_the_clap_definition() {
    for (shell, marker) in [
        ("bash", "_culprit()"),
        ("zsh", "#compdef culprit"),
        ("fish", "complete -c culprit"),
        ("powershell", "Register-ArgumentCompleter"),
        ("elvish", "edit:completion:arg-completer[culprit]"),
    ] {
        let (code, out, err) = run_raw(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(marker), "{shell}");
        assert!(
            out.contains("all-processes"),
            "{shell}: scan's flags are there"
        );
    }
    let (code, man, _) = run_raw(&["man"]);
    assert_eq!(code, 0);
    assert!(man.starts_with(".ie") || man.contains(".TH culprit 1"));
    assert!(man.contains("explain") && man.contains("scan"));
    assert_eq!(run_raw(&["completions", "tcsh"]).0, 2);
}

#[test]
fn every_input_is_accounted_for_in_the_summary() {
    let (code, r, err) = run_json(&[TICKET, "/nope/missing.csv"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("/nope/missing.csv"), "{err}");
    let missing = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["path"] == "/nope/missing.csv")
        .expect("the missing input is listed");
    assert_eq!(missing["status"], "failed");
    assert!(missing["message"].as_str().unwrap().contains("missing.csv"));
    assert_eq!(r["summary"]["failed"], 1);
    assert!(
        !r["findings"].as_array().unwrap().is_empty(),
        "the rest is still read"
    );
}

#[test]
fn bad_rows_are_reported_without_verbose() {
    let (_, r, err) = run_json(&["fixtures/procmon/bad_row.csv", "--all-processes"]);
    let bad = r["inputs"][0]["bad_rows"].as_u64().unwrap();
    assert!(bad > 0);
    let first = r["inputs"][0]["first_bad_row"].as_str().unwrap();
    assert!(err.contains("bad_row.csv") && err.contains(first), "{err}");
    let (_, _, quiet) = run_json(&["fixtures/procmon/bad_row.csv", "--all-processes", "-q"]);
    assert!(!quiet.contains("bad row"));
}

#[test]
fn output_files_pick_their_format_and_never_overwrite_an_input() {
    let dir = tempfile::tempdir().unwrap();
    for (name, check) in [
        ("r.json", "\"schema_version\": 1"),
        ("r.jsonl", "{\"type\":\"finding\""),
        ("r.csv", "schema_version,rank,score"),
    ] {
        let out = dir.path().join(name);
        let (code, _, err) = run(&[TICKET, "-o", out.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(
            text.starts_with(check) || text.contains(check),
            "{name}: {text:.80}"
        );
    }
    // An explicit -f wins over the extension.
    let out = dir.path().join("r2.json");
    run(&[TICKET, "-o", out.to_str().unwrap(), "-f", "csv"]);
    assert!(
        std::fs::read_to_string(&out)
            .unwrap()
            .starts_with("schema_version,")
    );
    // Overwriting a log of the same run is refused, and the log is untouched.
    let copy = dir.path().join("capture.CSV");
    std::fs::copy(
        "fixtures/tickets/rdp-install-denied/PC01_261124-071530_Procmon_mstsc.CSV",
        &copy,
    )
    .unwrap();
    let before = std::fs::read(&copy).unwrap();
    let (code, _, err) = run(&[dir.path().to_str().unwrap(), "-o", copy.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(&copy).unwrap(), before);
}

#[test]
fn skipped_files_are_summed_up_and_empty_things_are_named() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        std::fs::write(dir.path().join(format!("other{i}.csv")), "a,b\n1,2\n").unwrap();
    }
    std::fs::write(dir.path().join("collect.zip"), b"PK\x05\x06").unwrap();
    std::fs::write(dir.path().join("empty.csv"), "").unwrap();
    let (code, _, err) = run(&[dir.path().to_str().unwrap(), "--no-progress"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("skipped 5 files: not a Procmon CSV export"),
        "{err}"
    );
    assert!(
        err.contains("skipped 1 file: an empty zip archive (no files inside)"),
        "{err}"
    );
    assert!(err.contains("skipped 1 file: an empty file"), "{err}");
    assert_eq!(
        err.matches("skipped").count(),
        3,
        "one line per reason: {err}"
    );
    let empty = tempfile::tempdir().unwrap();
    let (_, _, err) = run(&[empty.path().to_str().unwrap()]);
    assert!(err.contains("the folder holds no file"), "{err}");
    assert!(err.contains("in 0 inputs (0 rows read)"), "{err}");
}

fn run_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut c = culprit();
    c.arg("scan").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    let out = c.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn at_80_columns_the_path_gets_the_room_and_wraps_at_separators() {
    let (code, out, _) = run_env(&[TICKET], &[("COLUMNS", "80")]);
    assert_eq!(code, 0);
    let table: Vec<&str> = out.lines().take_while(|l| !l.is_empty()).collect();
    for l in &table {
        assert!(l.chars().count() <= 80, "wider than 80: {l}");
    }
    // The MRU0 path: two lines, broken after a separator, nothing lost.
    let cells: Vec<String> = table
        .iter()
        .filter_map(|l| l.rsplit('┆').next())
        .map(|c| c.trim_end_matches('│').trim().to_string())
        .collect();
    let joined = cells.concat();
    assert!(joined.contains("HKCU\\Software\\Microsoft\\Terminal Server Client\\Default\\MRU0"));
    assert!(
        cells.iter().any(|c| c == "HKCU\\Software\\Microsoft\\"),
        "{cells:?}"
    );
    // Wide terminals keep every column.
    let (_, wide, _) = run_env(&[TICKET], &[("COLUMNS", "200")]);
    assert!(wide.lines().next().unwrap().chars().count() <= 200);
    assert!(wide.contains("unrecovered") && wide.contains("processes"));
}

#[test]
fn colour_is_for_terminals_and_asked_for_never_in_machine_formats() {
    let esc = |s: &str| s.contains('\u{1b}');
    let (_, piped, _) = run_env(&[TICKET], &[]);
    assert!(!esc(&piped), "auto: not a terminal, no colour");
    let (_, always, _) = run_env(&[TICKET, "--color", "always"], &[("COLUMNS", "200")]);
    assert!(esc(&always));
    // The write-protected row: score, verdict and status class in red (ANSI 9).
    let row = always
        .lines()
        .find(|l| l.contains("MEDIA WRITE PROTECTED"))
        .unwrap();
    assert_eq!(row.matches("\u{1b}[38;5;9m").count(), 3, "{row:?}");
    let (_, never, _) = run_env(&[TICKET, "--color", "never"], &[("NO_COLOR", "")]);
    assert!(!esc(&never));
    for f in ["json", "jsonl", "csv"] {
        let (_, out, _) = run_env(&[TICKET, "--color", "always", "-f", f], &[]);
        assert!(!esc(&out), "{f}");
    }
    let (_, ascii, _) = run_env(&[TICKET, "--ascii"], &[]);
    let table: String = ascii.lines().take_while(|l| !l.is_empty()).collect();
    assert!(
        table.is_ascii() || !table.contains('│'),
        "no box drawing with --ascii"
    );
    assert!(table.contains("+---"));
}

#[test]
fn nothing_found_says_once_what_other_processes_had() {
    // Hand count of the ticket's ACCESS DENIED / MEDIA WRITE PROTECTED rows: 7 in the
    // mstsc export (Default.rdp, mstsc.exe by MsMpEng.exe, Servers\rdsh01, MRU0 twice,
    // SECURITY\Policy, SharedAccess by svchost.exe) and 4 in the dism export (the
    // InFlight target three times, Sessions.xml), plus mstsc.exe's in the event logs
    // (the Security log's 4656 failure on Default.rdp, the RDP client's disconnect)
    // and dism.log's four records with 0x80070013 (two on the InFlight target by
    // DismHost.exe, DismHost.exe's and dism.exe's summaries); none is nobody.exe's.
    let (code, out, err) = run(&[TICKET, "-p", "nobody.exe", "--no-progress"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("17 such failures of other processes; try --all-processes"),
        "{err}"
    );
    assert_eq!(err.matches("no write-protect/denied failure").count(), 1);
    assert!(out.contains("No offending path found"));
    let (_, r, _) = run_json(&[TICKET, "-p", "nobody.exe"]);
    let total: u64 = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["other_processes"].as_u64().unwrap())
        .sum();
    assert_eq!(total, 17);
}

#[test]
fn event_logs_cite_events_not_lines() {
    let (_, out, _) = run(&[
        "fixtures/procmon/default7.xml",
        "--all-processes",
        "--no-progress",
    ]);
    assert!(out.contains("default7.xml event "), "{out}");
    assert!(!out.contains("default7.xml:"), "{out}");
}

#[test]
fn time_windows_say_what_they_could_not_judge() {
    // The mstsc export has no Date & Time column: a dated window warns.
    let (code, _, err) = run(&[TICKET, "--since", "2026-11-24 07:00", "--no-progress"]);
    assert_eq!(code, 0);
    assert!(
        err.contains("PC01_261124-071530_Procmon_mstsc.CSV: this log has no dates"),
        "{err}"
    );
    assert!(
        !err.contains("Procmon_dism.CSV: this log has no dates"),
        "{err}"
    );
    // A time that does not parse keeps its record, and says so.
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("t.csv");
    std::fs::write(
        &p,
        "\"Time of Day\",\"Process Name\",\"PID\",\"Operation\",\"Path\",\"Result\",\"Detail\"\r\n\
         \"soon\",\"mstsc.exe\",\"1\",\"RegSetValue\",\"HKCU\\\\A\",\"ACCESS DENIED\",\"\"\r\n\
         \"7:00:00.0000000 AM\",\"mstsc.exe\",\"1\",\"RegSetValue\",\"HKCU\\\\B\",\"ACCESS DENIED\",\"\"\r\n",
    )
    .unwrap();
    let (_, r, err) = run_json(&[p.to_str().unwrap(), "--since", "08:00"]);
    assert_eq!(
        paths(&r),
        vec!["HKCU\\A"],
        "B is before 08:00, A cannot be placed"
    );
    assert!(
        err.contains("1 record kept because its time could not be read"),
        "{err}"
    );
    assert_eq!(r["inputs"][0]["untimed"], 1);
}

#[test]
fn progress_knows_an_archives_total_before_it_starts() {
    use std::sync::Mutex;
    struct Record(Mutex<Vec<(char, u64)>>);
    impl culprit::progress::Progress for Record {
        fn add_total(&self, bytes: u64) {
            self.0.lock().unwrap().push(('t', bytes));
        }
        fn advance(&self, bytes: u64) {
            self.0.lock().unwrap().push(('a', bytes));
        }
    }
    let dir = tempfile::tempdir().unwrap();
    let z = dir.path().join("ticket.zip");
    let mut w = zip::ZipWriter::new(std::fs::File::create(&z).unwrap());
    for f in [
        "PC01_261124-071530_Procmon_mstsc.CSV",
        "PC01_261124-072210_Procmon_dism.CSV",
    ] {
        w.start_file(f, zip::write::SimpleFileOptions::default())
            .unwrap();
        let data = std::fs::read(format!("{TICKET}/{f}")).unwrap();
        std::io::Write::write_all(&mut w, &data).unwrap();
    }
    w.finish().unwrap();
    // The stored sizes, read independently of culprit.
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&z).unwrap()).unwrap();
    let stored: u64 = (0..archive.len())
        .map(|i| archive.by_index_raw(i).unwrap().compressed_size())
        .sum();
    let (inputs, _) = culprit::discover::discover(std::slice::from_ref(&z));
    let rec = Record(Mutex::new(Vec::new()));
    culprit::scan::scan(&inputs, &culprit::filter::Filter::default(), &rec);
    let events = rec.0.into_inner().unwrap();
    assert_eq!(
        events[0],
        ('t', stored),
        "the first event is the whole total: {events:?}"
    );
}

#[test]
fn counts_read_as_words() {
    let one = "fixtures/tickets/rdp-install-denied/PC01_261124-071530_Procmon_mstsc.CSV";
    let (_, out, _) = run(&[one, "--no-progress"]);
    assert!(out.contains("rows of 1 input (1 read"), "{out}");
    let (_, out, err) = run(&[one, "-p", "nobody.exe", "--no-progress"]);
    assert!(out.contains("(1 input, 14 rows,"), "{out}");
    assert!(err.contains("in 1 input (14 rows read)"), "{err}");
}

#[test]
fn dism_failures_that_name_no_path_are_traced_to_the_path_that_failed() {
    let (_, r, _) = run_json(&[TICKET]);
    let notes: Vec<&serde_json::Value> = r["notes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["input"].as_str().unwrap().ends_with("PC01_dism.log"))
        .collect();
    // Line 11 (DismHost.exe's 'Failed to add capability') and line 12 (dism.exe's
    // summary) both follow DismHost.exe's failure on the InFlight target at line 10.
    assert_eq!(notes.len(), 2);
    for n in &notes {
        assert_eq!(n["code"]["code"], "0x80070013");
        assert_eq!(n["cause"], format!("{PLANTED} (line 10)"));
    }
    assert_eq!(notes[0]["process"], "DismHost.exe");
    assert_eq!(notes[1]["process"], "dism.exe");
}
