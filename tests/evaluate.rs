//! Section Access evaluation: worked examples (section-access.md §8), one test per rule id, directory
//! formats, the differential property test against the polars reference, and the CLI report contract.

#[path = "evaluate/applied.rs"]
mod applied;
#[path = "evaluate/cli.rs"]
mod cli;
#[path = "evaluate/common.rs"]
mod common;
#[path = "evaluate/differential.rs"]
mod differential;
#[path = "evaluate/directory.rs"]
mod directory;
#[path = "evaluate/examples.rs"]
mod examples;
#[path = "evaluate/rules.rs"]
mod rules;
