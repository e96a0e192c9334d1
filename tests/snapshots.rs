//! Snapshot tests of the reports on the example ticket: any change to the output a
//! user sees, in any format, shows up as a reviewed diff (`cargo insta review`).

mod common;

use common::*;

const TICKET: &str = "fixtures/tickets/rdp-install-denied";

#[test]
fn table_report() {
    let (code, out, _) = run(&[TICKET, "--no-progress"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn json_report() {
    let (code, out, _) = run(&[TICKET, "--format", "json", "--top", "0"]);
    assert_eq!(code, 0);
    insta::assert_snapshot!(out);
}

#[test]
fn jsonl_report() {
    let (_, out, _) = run(&[TICKET, "--format", "jsonl", "--top", "3"]);
    insta::assert_snapshot!(out);
}

#[test]
fn csv_report() {
    let (_, out, _) = run(&[TICKET, "--format", "csv", "--top", "3"]);
    insta::assert_snapshot!(out);
}
