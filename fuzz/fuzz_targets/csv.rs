//! Fuzz target `csv`: see `culprit::fuzzing::csv`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::csv(data));
