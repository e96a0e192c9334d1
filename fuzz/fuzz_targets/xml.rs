//! Fuzz target `xml`: see `culprit::fuzzing::xml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::xml(data));
