#![no_main]
//! `qvd`: see `harness::qvd` (fuzz/harness/mod.rs).

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzz(data, harness::qvd);
});
