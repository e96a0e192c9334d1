//! The generated code tables against their sources: regenerated in memory from
//! `../shared/codes` (skipped with a note when absent), every TSV row looked up
//! through the library, and a few values pinned by the `windows-sys` constants.

#[path = "../examples/gen-codes.rs"]
#[allow(dead_code)]
mod gen_codes;

mod common;

use std::path::PathBuf;

use culprit::codes::{self, Code, Space, StatusClass};
use culprit::explain::{Table, explain, find_name};

fn codes_dir() -> Option<PathBuf> {
    common::shared("codes")
}

#[test]
fn checked_in_tables_equal_a_fresh_generation() {
    let Some(dir) = codes_dir() else { return };
    let fresh = gen_codes::render(&dir).unwrap();
    let checked_in = include_str!("../src/codes/tables.rs");
    assert!(
        fresh == checked_in,
        "src/codes/tables.rs is stale: run `cargo run --example gen-codes`"
    );
}

/// Reads a TSV the plain way (split on tabs), independently of the generator.
fn tsv(dir: &std::path::Path, file: &str) -> Vec<(u32, Vec<String>)> {
    std::fs::read_to_string(dir.join(file))
        .unwrap()
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            let v = u32::from_str_radix(f.next().unwrap().trim_start_matches("0x"), 16).unwrap();
            (v, f.map(str::to_string).collect())
        })
        .collect()
}

#[test]
fn every_tsv_row_is_found_by_value_and_by_name() {
    let Some(dir) = codes_dir() else { return };
    let big = [
        ("ntstatus.tsv", Space::NtStatus),
        ("win32.tsv", Space::Win32),
        ("hresult.tsv", Space::HResult),
    ];
    // Every value each name has, over the three big tables.
    let mut values_of: std::collections::HashMap<String, Vec<u32>> =
        std::collections::HashMap::new();
    for (file, _) in big {
        for (v, cols) in tsv(&dir, file) {
            values_of
                .entry(cols[0].to_ascii_uppercase())
                .or_default()
                .push(v);
        }
    }
    for (file, space) in big {
        let rows = tsv(&dir, file);
        assert!(rows.len() > 1000, "{file}");
        for (v, cols) in &rows {
            let names: Vec<&str> = codes::entries(space, *v).iter().map(|e| e.name).collect();
            assert!(
                names.contains(&cols[0].as_str()),
                "{file} 0x{v:08X} {}",
                cols[0]
            );
            let (found, _) =
                find_name(&cols[0]).unwrap_or_else(|| panic!("{file}: {} not found", cols[0]));
            assert!(
                values_of[&cols[0].to_ascii_uppercase()].contains(&found),
                "{file}: {} -> 0x{found:08X}",
                cols[0]
            );
        }
    }
    for (v, cols) in tsv(&dir, "procmon-results.tsv") {
        if cols[0].is_empty() {
            continue;
        }
        let decoded = codes::procmon_result(cols[0].as_bytes()).unwrap();
        assert_eq!(codes::procmon_word(decoded), Some(cols[0].as_str()));
        assert!(decoded <= v);
    }
    for (v, cols) in tsv(&dir, "rdp-disconnect.tsv") {
        let e = explain(&format!("0x{v:X}")).unwrap();
        assert!(
            e.meanings
                .iter()
                .any(|m| m.table == Table::RdpDisconnect && m.message == cols[1]),
            "0x{v:X}"
        );
    }
    for (v, cols) in tsv(&dir, "cbs-hresult.tsv") {
        let e = explain(&format!("0x{v:08X}")).unwrap();
        let m = e
            .meanings
            .iter()
            .find(|m| m.table == Table::Servicing)
            .unwrap_or_else(|| panic!("0x{v:08X}"));
        if !cols[0].is_empty() {
            assert!(m.names.contains(&cols[0]), "0x{v:08X}");
        }
        assert_eq!(m.message, cols[1], "0x{v:08X}");
    }
    // Several rows per value (one per extend code): each row is its own meaning.
    for (v, cols) in tsv(&dir, "setup-upgrade.tsv") {
        let e = explain(&format!("0x{v:08X}")).unwrap();
        assert!(
            e.meanings.iter().any(|m| m.table == Table::SetupUpgrade
                && m.message == cols[1]
                && m.note.as_deref().unwrap_or("") == cols.get(3).map_or("", |s| s.as_str())
                && (cols[0].is_empty() || m.names.contains(&cols[0]))),
            "0x{v:08X} {}",
            cols.get(3).map_or("", |s| s.as_str())
        );
    }
}

#[test]
fn every_ntstatus_win32_pair_maps_and_reverses() {
    let Some(dir) = codes_dir() else { return };
    let rows = tsv(&dir, "ntstatus-win32.tsv");
    assert!(rows.len() > 2000);
    for (nt, cols) in rows {
        let w = u32::from_str_radix(cols[0].trim_start_matches("0x"), 16).unwrap();
        assert_eq!(codes::ntstatus_to_win32(nt), Some(w), "0x{nt:08X}");
        assert!(codes::ntstatus_of_win32(w).any(|n| n == nt), "0x{nt:08X}");
    }
}

#[test]
fn values_pinned_by_windows_sys() {
    use windows_sys::Win32::Foundation as F;
    let nt = |name: &str, v: i32| {
        let u = v as u32;
        assert!(
            codes::entries(Space::NtStatus, u)
                .iter()
                .any(|e| e.name == name),
            "{name} = 0x{u:08X}"
        );
        u
    };
    let w32 = |name: &str, v: u32| {
        assert!(
            codes::entries(Space::Win32, v)
                .iter()
                .any(|e| e.name == name),
            "{name} = {v}"
        )
    };
    let hr = |name: &str, v: i32| {
        assert!(
            codes::entries(Space::HResult, v as u32)
                .iter()
                .any(|e| e.name == name),
            "{name}"
        )
    };
    let denied = nt("STATUS_ACCESS_DENIED", F::STATUS_ACCESS_DENIED);
    let wp = nt(
        "STATUS_MEDIA_WRITE_PROTECTED",
        F::STATUS_MEDIA_WRITE_PROTECTED,
    );
    let priv_ = nt("STATUS_PRIVILEGE_NOT_HELD", F::STATUS_PRIVILEGE_NOT_HELD);
    let share = nt("STATUS_SHARING_VIOLATION", F::STATUS_SHARING_VIOLATION);
    let cannot = nt("STATUS_CANNOT_DELETE", F::STATUS_CANNOT_DELETE);
    nt(
        "STATUS_OBJECT_NAME_NOT_FOUND",
        F::STATUS_OBJECT_NAME_NOT_FOUND,
    );
    w32("ERROR_ACCESS_DENIED", F::ERROR_ACCESS_DENIED);
    w32("ERROR_WRITE_PROTECT", F::ERROR_WRITE_PROTECT);
    w32("ERROR_PRIVILEGE_NOT_HELD", F::ERROR_PRIVILEGE_NOT_HELD);
    w32("ERROR_SHARING_VIOLATION", F::ERROR_SHARING_VIOLATION);
    hr("E_ACCESSDENIED", F::E_ACCESSDENIED);
    assert_eq!(
        codes::hresult_from_win32(F::ERROR_ACCESS_DENIED) as i32,
        F::E_ACCESSDENIED
    );
    // The classification agrees with those constants.
    assert_eq!(
        codes::classify(Code::ntstatus(denied)),
        Some(StatusClass::Denied)
    );
    assert_eq!(
        codes::classify(Code::ntstatus(wp)),
        Some(StatusClass::WriteProtect)
    );
    assert_eq!(
        codes::classify(Code::ntstatus(priv_)),
        Some(StatusClass::Privilege)
    );
    assert_eq!(
        codes::classify(Code::ntstatus(share)),
        Some(StatusClass::Sharing)
    );
    assert_eq!(
        codes::classify(Code::ntstatus(cannot)),
        Some(StatusClass::CannotDelete)
    );
    assert_eq!(
        codes::classify(Code {
            space: Space::HResult,
            value: F::E_ACCESSDENIED as u32
        }),
        Some(StatusClass::Denied)
    );
    assert_eq!(
        codes::classify(Code {
            space: Space::Win32,
            value: F::ERROR_WRITE_PROTECT
        }),
        Some(StatusClass::WriteProtect)
    );
    // 0x904 is none of them.
    for space in [Space::NtStatus, Space::Win32, Space::HResult] {
        assert!(codes::entries(space, 0x904).is_empty());
    }
}
