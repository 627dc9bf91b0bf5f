//! `qsa`: reads Qlik load scripts, understands their Section Access, and tells, offline, what every user
//! sees.
//!
//! The data flows one way, and the module tree shows it:
//!
//! ```text
//! script text → syntax → script (run) → access (security model) + model (app tables)
//!             → reduce (per-user selections, propagation) → report ← cli
//! ```
//!
//! - [`diag`]: diagnostics as data (code, severity, message, labels, help). No printing anywhere but `cli`.
//! - [`syntax`]: nom parsers; spans on every node; errors collected; recovery at `;`.
//! - [`script`]: runs statements: variables, `$(…)` expansion, includes, control flow, loads.
//! - [`model`]: tables and values (Qlik duals) as the runner produces them; the associative engine
//!   (symbol tables, id columns, the link graph, selections and propagation) that `access` and `reduce` share.
//! - [`access`]: the security model (rules S7, A, I, L) and the user directory.
//! - [`tenant`]: Qlik Cloud tenant exports and rules T1–T18 (roles, opening the app, download), beside
//!   `access`.
//! - [`reduce`]: what every user sees (rules L, R, O, U) and a simple polars reference evaluator.
//! - [`report`]: renders results and diagnostics (human, JSON, CSV, HTML, SARIF, snapshots).
//! - [`limits`]: what one input may make qsa allocate (`--max-memory`, `--max-expansion`), accounted
//!   where input size drives allocation; `docs/limits.md` lists every limit.
//! - [`progress`]: the observer the file readers and `reduce` report long phases to (no-op by default).
//! - [`cli`]: the command line (clap); the only place that prints.

#![forbid(unsafe_code)]

pub mod access;
pub mod cli;
pub mod diag;
pub mod json;
pub mod limits;
pub mod lints;
pub mod model;
pub mod progress;
pub mod reduce;
pub mod report;
pub mod script;
pub mod syntax;
pub mod tenant;
