//! Fuzz target `pml`: see `culprit::fuzzing::pml`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::pml(data));
