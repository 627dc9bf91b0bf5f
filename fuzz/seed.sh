#!/bin/sh
# Write the seed corpora fuzz/corpus/TARGET/ from the repository's fixtures (fuzz/harness/seeds.rs),
# through the ignored test `write_seeds` of tests/fuzz_replay.rs (stable Rust, the main crate's build).
# The corpora are not committed; the fuzzers add to them as they run.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
cd "$here/.."
QSA_FUZZ_CORPUS="$here/corpus" cargo test --test fuzz_replay -- --ignored --exact write_seeds
