//! Fuzz target `archive`: see `culprit::fuzzing::archive`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::archive(data));
