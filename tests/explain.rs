//! `culprit explain` end to end.

mod common;

use std::collections::BTreeSet;

use common::*;
use serde_json::Value;

fn explain_json(code: &str) -> (i32, Value) {
    let (c, out, err) = run_raw(&["explain", code, "--format", "json"]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (c, v)
}

#[test]
fn x904_is_the_rdp_socket_closed_reason_and_nothing_else() {
    let (code, out, _) = run_raw(&["explain", "0x904"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Remote Desktop disconnect reason")
            && out.contains("disconnectReasonAtClientWinsockFDCLOSE")
            && out.contains("Socket closed."),
        "{out}"
    );
    assert!(
        out.contains("not defined as: Win32 error, NTSTATUS, HRESULT"),
        "{out}"
    );
    assert!(
        !out.contains("STATUS_MEDIA_WRITE_PROTECTED") && !out.contains("WRITE PROTECTED"),
        "{out}"
    );
    assert!(out.contains("culprit class: none"), "{out}");
    for form in ["904h", "2308", "0X904"] {
        let (_, v) = explain_json(form);
        assert_eq!(v["explanations"][0]["value"], "0x00000904", "{form}");
        assert_eq!(
            v["explanations"][0]["meanings"][0]["table"],
            "rdp-disconnect"
        );
    }
}

/// Every name mentioned in an explanation, meanings and related forms.
fn names(v: &Value) -> BTreeSet<String> {
    let e = &v["explanations"][0];
    ["meanings", "related"]
        .iter()
        .flat_map(|k| e[k].as_array().unwrap().iter())
        .flat_map(|m| {
            m["names"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
        })
        .collect()
}

#[test]
fn the_four_spellings_of_access_denied_agree() {
    let forms = ["0x80070005", "5", "-2147024891", "E_ACCESSDENIED"];
    let all: Vec<Value> = forms.iter().map(|f| explain_json(f).1).collect();
    for (f, v) in forms.iter().zip(&all) {
        assert_eq!(v["schema_version"], 1);
        assert_eq!(v["explanations"][0]["class"], "denied", "{f}");
        let n = names(v);
        for want in [
            "E_ACCESSDENIED",
            "ERROR_ACCESS_DENIED",
            "STATUS_ACCESS_DENIED",
            "ACCESS DENIED",
        ] {
            assert!(n.contains(want), "{f}: {want} missing from {n:?}");
        }
    }
    assert_eq!(
        all[0]["explanations"][0]["value"],
        all[2]["explanations"][0]["value"]
    );
    assert_eq!(
        all[0]["explanations"][0]["value"],
        all[3]["explanations"][0]["value"]
    );
}

#[test]
fn write_protect_in_every_space() {
    for form in [
        "0x80070013",
        "19",
        "ERROR_WRITE_PROTECT",
        "STATUS_MEDIA_WRITE_PROTECTED",
        "MEDIA WRITE PROTECTED",
        "0XC00000A2",
    ] {
        let (code, v) = explain_json(form);
        assert_eq!(code, 0, "{form}");
        assert_eq!(v["explanations"][0]["class"], "write-protect", "{form}");
    }
}

#[test]
fn aliases_and_confusions() {
    let (_, out, _) = run_raw(&["explain", "0"]);
    assert!(out.contains("STATUS_SUCCESS = STATUS_WAIT_0"), "{out}");
    let (_, v) = explain_json("NAME NOT FOUND");
    assert!(v["explanations"][0]["class"].is_null());
    assert!(
        v["explanations"][0]["not_a_denial"]
            .as_str()
            .unwrap()
            .contains("not a permission problem")
    );
}

#[test]
fn unknown_codes_exit_one_with_a_clear_line() {
    let (code, out, err) = run_raw(&["explain", "0x7FFFFFFE"]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("0x7FFFFFFE") && err.contains("undefined in every table"),
        "{err}"
    );
    // Text that is no code form at all is a usage error.
    let (code, _, err) = run_raw(&["explain", "0x904", "gibberish"]);
    assert_eq!(code, 2);
    assert!(err.contains("gibberish"), "{err}");
    assert_eq!(run_raw(&["explain"]).0, 2);
}

#[test]
fn the_help_describes_the_real_json() {
    let (_, help, _) = run_raw(&["explain", "--help"]);
    assert!(help.contains("\"explanations\""), "{help}");
    let (_, out, _) = run_raw(&["explain", "0x5", "-f", "json"]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["schema_version"], 1);
    assert!(v["explanations"].is_array());
}
