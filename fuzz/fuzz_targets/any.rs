//! Fuzz target `any`: see `culprit::fuzzing::any`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::any(data));
