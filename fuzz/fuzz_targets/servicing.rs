//! Fuzz target `servicing`: see `culprit::fuzzing::servicing`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::servicing(data));
