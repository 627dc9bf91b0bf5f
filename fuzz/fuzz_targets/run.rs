#![no_main]
//! `run`: see `harness::run` (fuzz/harness/mod.rs).

#[path = "../harness/mod.rs"]
mod harness;

// mimalloc instead of glibc's malloc, for throughput only (fuzz/README.md, *Allocator*).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    harness::fuzz(data, harness::run);
});
