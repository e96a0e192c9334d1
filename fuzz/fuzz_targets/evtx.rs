//! Fuzz target `evtx`: see `culprit::fuzzing::evtx`.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| culprit::fuzzing::evtx(data));
