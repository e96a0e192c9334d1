//! The README shows the tool's real output: every line of its example block appears in
//! a fresh run, in order; `…` lines stand for elided lines, nothing is shortened.

mod common;

#[test]
fn the_readme_example_is_real_output() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    let start = readme
        .find("```text\n$ culprit scan ")
        .expect("an example block");
    let block = &readme[start + "```text\n".len()..];
    let block = &block[..block.find("\n```").unwrap()];
    let mut lines = block.lines();
    let command = lines.next().unwrap().trim_start_matches("$ culprit ");
    let args: Vec<&str> = command.split_whitespace().collect();
    let (_, out, _) = common::run_raw(&args);
    let mut real = out.lines();
    let mut elided = false;
    for want in lines {
        if want == "…" {
            elided = true;
            continue;
        }
        if elided {
            assert!(
                real.any(|l| l == want),
                "README line not in the output: {want}"
            );
        } else {
            assert_eq!(
                real.next(),
                Some(want),
                "README drifted from the real output"
            );
        }
        elided = false;
    }
}
