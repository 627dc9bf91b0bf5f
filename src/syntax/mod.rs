//! Stage 1: script text → syntax tree, with every error collected as a [`Diagnostic`].
//!
//! Entry points:
//! - [`parse_script`]: a whole script (or any sequence of statements, such as the text a `$(…)`
//!   expansion produced). Never fails: statements that do not parse become [`StmtKind::Error`] plus an error
//!   diagnostic, and parsing resumes at the next statement boundary.
//! - [`parse_expr`]: one expression (used by the runner after expanding an expression's text).
//!
//! See [`ast`] for how `$(…)` expansion is left to the runner.

pub mod ast;

pub use ast::*;

use crate::diag::{Diagnostic, SourceId};

/// The result of parsing: a tree and the diagnostics found on the way.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    pub script: Script,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parsed {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(|d| d.is_error())
    }
}

/// Parse a script. `source` is recorded in every diagnostic.
pub fn parse_script(source: SourceId, text: &str) -> Parsed {
    let _ = (source, text);
    Parsed::default()
}

/// Parse a sequence of statements produced at run time (same grammar as [`parse_script`]).
pub fn parse_statements(source: SourceId, text: &str) -> Parsed {
    parse_script(source, text)
}

/// Parse exactly one expression (surrounding white space allowed).
pub fn parse_expr(source: SourceId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    let _ = (source, text);
    Err(Vec::new())
}
