#![no_main]
//! `directory`: see `harness::directory` (fuzz/harness/mod.rs).

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzz(data, harness::directory);
});
