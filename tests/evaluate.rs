//! Section Access evaluation: worked examples (section-access.md §8), one test per rule id, directory
//! formats, the differential property test against the polars reference, `qsa explain` against both on the same
//! random models, and the CLI report contract.

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
#[path = "evaluate/explain.rs"]
mod explain;
#[path = "evaluate/rules.rs"]
mod rules;
