//! Stage 2: run the statements of a parsed script the way the Qlik engine's loader does (except for the
//! database): variables, `$(…)` expansion, includes, control flow, loads, and both sections' tables.
//!
//! # Fail closed, by construction
//! Every step the runner cannot run the way Qlik's reload would (a source not read, a statement not run,
//! a variable whose value is unknown or that the script never sets, a condition that reads any of
//! these) is recorded with what it can reach (`faith::Reach`: a variable, a table, a load of unknown
//! fields, the security model itself). Unknown conditions run no branch; instead everything the branches
//! could change becomes unknown, the section (S2) included. At the end, whatever can reach an answer —
//! a security table (S2–S5), `QlikCloudGroupMode` (S7), a table holding or linked to a reduction field
//! (A2, R4) — is an error, so `reduce::prepare` refuses (exit 2); "no Section Access" needs the same
//! proof. The details, and the property test that proves it, are in `faith.rs`.

mod faith;
pub mod functions;
pub mod sources;

mod eval;
mod expand;
mod load;
mod memory;
mod runner;

use crate::diag::{Diagnostic, SourceId, SourceMap};
use crate::model::DataModel;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The variable rule S7 reads at the end of the script (the runner makes sure it is known).
pub const GROUP_MODE_VARIABLE: &str = "QlikCloudGroupMode";

/// Section Access system fields (A1; everything else in a security table is a reduction field, A2).
pub const SYSTEM_FIELDS: &[&str] = &[
    "ACCESS",
    "USERID",
    "USER.EMAIL",
    "GROUP",
    "PASSWORD",
    "SERIAL",
    "NTNAME",
    "NTDOMAINSID",
    "NTSID",
    "OMIT",
];

/// What the runner needs besides the script.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// `lib://NAME/…` → folder (`--lib NAME=DIR`).
    pub libs: Vec<(String, PathBuf)>,
    /// Tables the script would get from a database, supplied as files (`--table NAME=FILE`).
    pub tables: Vec<(String, PathBuf)>,
    /// The clock for `Today()`/`Now()`, as `YYYY-MM-DD`; `None` = the real date.
    pub today: Option<String>,
    /// Total loop iterations allowed before the run stops with an error.
    pub max_iterations: u64,
    /// `--max-memory` and `--max-expansion` ([`crate::limits`]).
    pub limits: crate::limits::Limits,
    /// Variables defined before the script runs (`--var NAME=VALUE`): what the app defines outside its
    /// script. A variable the script uses but neither sets nor gets here is unknown (fail closed).
    pub vars: Vec<(String, String)>,
    /// The user the reload runs as (`--reload-user`): what `OSUser()` returns.
    pub reload_user: Option<String>,
    /// The encoding of the script and its includes (`--encoding`); `None`: a BOM, else UTF-8 when
    /// valid, else Windows-1252 ([`crate::diag::decode_script_bytes_as`]).
    pub encoding: Option<&'static encoding_rs::Encoding>,
    /// Told about files as they are read (a phase per file; [`crate::progress`]). Default: nobody.
    pub progress: crate::progress::ProgressRef,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            libs: Vec::new(),
            tables: Vec::new(),
            today: None,
            max_iterations: 1_000_000,
            limits: Default::default(),
            vars: Vec::new(),
            reload_user: None,
            encoding: None,
            progress: Default::default(),
        }
    }
}

/// Everything a run produced.
#[derive(Clone, Debug, Default)]
pub struct RunResult {
    /// The main script, included files and expansion texts; diagnostics point into these.
    pub sources: SourceMap,
    pub main: SourceId,
    /// Tables loaded in `Section Application` (the app data model).
    pub app: DataModel,
    /// Tables loaded in `Section Access` (field names upper-cased; values per S4/S5), with row origins.
    pub security: DataModel,
    /// Variables at the end of the script (S7 reads `QlikCloudGroupMode` here).
    pub variables: BTreeMap<String, String>,
    /// Parse and run diagnostics. An error means the result must not be trusted for what it touches.
    pub diagnostics: Vec<Diagnostic>,
    /// A `Section Access` statement ran (with no security table left at the end, the script still is not
    /// one "without Section Access").
    pub access_seen: Option<(SourceId, crate::diag::Span)>,
    /// The last `SET`/`LET` of `QlikCloudGroupMode` that ran (S7; where QSA222 points).
    pub group_mode_at: Option<(SourceId, crate::diag::Span)>,
    /// `Star is` statements whose symbol was in force while app tables loaded (QSA224).
    pub star_in_app: Vec<StarInApp>,
}

/// A `Star is <symbol>` statement in force while tables of the application section loaded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StarInApp {
    pub at: (SourceId, crate::diag::Span),
    /// The star symbol (unquoted).
    pub symbol: String,
    /// The app tables loaded while it was in force, in load order (unique).
    pub tables: Vec<String>,
}

impl RunResult {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Read, parse and run the script at `path`. `Err` only when the script itself cannot be read.
pub fn run_file(path: &Path, opts: &RunOptions) -> Result<RunResult, std::io::Error> {
    let mut sources = SourceMap::default();
    let main = sources.load_as(path, opts.encoding)?;
    Ok(runner::run(sources, main, opts))
}
