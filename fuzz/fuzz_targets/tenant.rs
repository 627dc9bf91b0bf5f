#![no_main]
//! `tenant`: see `harness::tenant` (fuzz/harness/mod.rs).

#[path = "../harness/mod.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzz(data, harness::tenant);
});
