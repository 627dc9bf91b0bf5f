//! Stage 1: script text → syntax tree, with every error collected as a [`Diagnostic`].
//!
//! Entry points:
//! - [`parse_script`]: a whole script (or any sequence of statements, such as the text a `$(…)`
//!   expansion produced). Never fails: statements that do not parse become [`StmtKind::Error`] plus an error
//!   diagnostic, and parsing resumes at the next statement boundary.
//! - [`parse_statements`]: the same grammar, for text produced at run time.
//! - [`parse_expr`]: one expression (used by the runner after expanding an expression's text).
//!
//! # How the parser works
//! The driver (`block.rs`) finds each statement's end with a linear byte scan: a `;` outside `'strings'`,
//! `"names"`, `` `names` ``, `[brackets]` (INLINE data included), `/* */` and `//` comments (a `//` right
//! after `:` as in `lib://` is not a comment). The statement's text is then parsed by nom parsers
//! (`stmt.rs`, `expr.rs`, `lex.rs`) that must consume all of it. Control statements end at the line end
//! or a `;`, and so does a LET without its keyword (`vX = 1 + 2`: one script row, as Qlik's help for
//! LET says; only at a statement start, for an unquoted name that is no statement keyword). Clause
//! keywords (`FROM`, `TO`, `EXTENSION`, …) are field names where an operand is expected and no clause
//! argument follows (`LOAD Name, Extension, Size …`). A statement that does not parse becomes
//! [`StmtKind::Error`] with one `QSA001` diagnostic at the furthest token the parser could not read;
//! parsing resumes after its `;` (or, when the offending token is a statement keyword at the start of a
//! line, a forgotten `;`, right there). Every loop consumes input; nesting is capped (`QSA005`).
//!
//! # `$(…)` expansion
//! The parser never expands. A `$(…)` is kept verbatim: as [`ExprKind::Expansion`] where an expression is
//! expected, inside the raw text of names, paths and SET values otherwise. `$(include=…)` and
//! `$(must_include=…)` at the start of a statement become [`StmtKind::Include`]. A regular statement that
//! contains `$(` and cannot be read before expansion becomes [`StmtKind::Deferred`] (a `QSA006` info),
//! never an error: the runner expands the statement's text (`&text[stmt.span]`) and parses it again with
//! [`parse_statements`]; for control statements it expands and re-parses each expression from its span
//! with [`parse_expr`]. CALL arguments with `$(` are kept as raw text, which the runner expands as a
//! whole and reads with [`parse_args`] (an expansion may bring commas). A preceding-load chain in which
//! any part needs expansion is one `Deferred` statement from its label to the `;` of the first part with
//! a source, so the runner expands and parses the whole chain at once.
//!
//! # Real-script leniency (each case is located and reported, never silent)
//! - `LET a = expr` followed on the next line by `b = …` before the `;` (a forgotten `;`; with LET the
//!   statement runs to its `;`): `StmtKind::LetUnread` and a `QSA001` warning marks the unread text; the
//!   runner makes `a` (and `b`) unknown, so they refuse wherever they reach Section Access. Without LET,
//!   `a = expr` ends with its row, so the same two rows are two statements.
//! - A preceding LOAD cut off by a control statement (`IF … LOAD x; ENDIF`), `[T]: REM;`, `WHEN c CALL …`
//!   (a condition prefix on a control statement), `[T]: DECLARE …`, `DERIVE …`, `FlushLog`:
//!   `StmtKind::Unsupported` with a `QSA004` warning. (`WHEN c SET …` and the like are
//!   [`StmtKind::Conditional`].)
//! - A further `ELSE` in one IF (`IF … ELSE … ELSE … END IF`, which Qlik runs but does not document):
//!   kept as `extra_else` of [`StmtKind::If`] with a `QSA001` warning at each; the runner never runs
//!   those bodies (the first ELSE takes every case left) and records what they could change as unknown.
//! - `EXIT SCRIPT ("message")` (undocumented): read as EXIT SCRIPT with its `message`, and a `QSA001`
//!   warning; where it runs, the runner refuses (Qlik may end the script or fail the reload).
//! - Optional prefix arguments left empty (`Hierarchy(Id, Parent, Name, , Name, Path)`) are
//!   [`ExprKind::Absent`]; a SET/LET/DROP VARIABLE variable may be named by digits alone (`SET 5000=;`).
//! - An unclosed `/*` between statements comments out the rest of the script: a `QSA002` warning.
//! - Names may be `'single-quoted'` (`Rename Table 'a' to 'b'`, `AS 'x'`, `CrossTable('M', 'V')`).
//!
//! # Operator precedence
//! Qlik's help (Scripting › Operators: bit, logical, numeric, relational, string operators) lists the
//! operators but publishes no precedence table. qsa uses, from loosest to tightest: `or`/`xor`; `and`;
//! prefix `not`; the relational operators (`=`, `<>`, `<`, `<=`, `>`, `>=`, `like`, `precedes`,
//! `follows`); `bitor`/`bitxor`; `bitand`; `<<`/`>>`; `&`; `+`/`-`; `*`/`/`; prefix `-`, `+`, `bitnot`.
//! This matches the documented examples (`'a' & 1 + 2` is `'a3'`, `a = 1 and b = 2` compares first,
//! `not a = b` negates the comparison); all binary operators are left-associative. The same table is in
//! `grammar/qlik-script.ebnf` and `expr.rs`.

pub mod ast;
mod block;
mod expr;
mod lex;
pub mod print;
mod stmt;

pub use ast::*;

use crate::diag::{codes, Diagnostic, SourceId, Span};

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
    let ctx = lex::Ctx::new(source, text);
    let mut d = block::Driver::new(ctx);
    let statements = d.script();
    let mut diagnostics = std::mem::take(&mut d.diags);
    crate::diag::sort_diagnostics(&mut diagnostics);
    Parsed {
        script: Script {
            statements,
            tabs: std::mem::take(&mut d.tabs),
        },
        diagnostics,
    }
}

/// Parse a sequence of statements produced at run time (same grammar as [`parse_script`]).
pub fn parse_statements(source: SourceId, text: &str) -> Parsed {
    parse_script(source, text)
}

/// Parse exactly one expression (surrounding white space and comments allowed).
pub fn parse_expr(source: SourceId, text: &str) -> Result<Expr, Vec<Diagnostic>> {
    let ctx = lex::Ctx::new(source, text);
    whole(
        &ctx,
        text,
        expr::expr(&ctx, text),
        "the end of the expression",
    )
}

/// Parse the arguments of a call without their parentheses, `a, 'b', , f(c)` (an empty one is
/// [`ExprKind::Absent`]; white space alone is no argument): the CALL arguments the runner expands
/// before reading them (S6).
pub fn parse_args(source: SourceId, text: &str) -> Result<Vec<Expr>, Vec<Diagnostic>> {
    let ctx = lex::Ctx::new(source, text);
    if lex::ws(text).is_empty() {
        return Ok(Vec::new());
    }
    whole(
        &ctx,
        text,
        expr::arg_list(&ctx, text),
        "`,` or the end of the arguments",
    )
}

/// The value of a parser that must read all of `text`, or one located diagnostic.
fn whole<'a, T>(
    ctx: &lex::Ctx<'a>,
    text: &'a str,
    r: lex::PResult<'a, T>,
    end: &'static str,
) -> Result<T, Vec<Diagnostic>> {
    let source = ctx.source;
    match r {
        Ok((rest, e)) if lex::ws(rest).is_empty() => Ok(e),
        other => {
            if let Ok((rest, _)) = other {
                let _ = ctx.fail::<()>(lex::ws(rest), end);
            }
            let (off, expected) = ctx.furthest();
            let off = off.min(text.len());
            if ctx.too_long.get() {
                let (message, help) = ctx.too_deep_message();
                return Err(vec![Diagnostic::error(codes::TOO_DEEP, message)
                    .at(source, Span::new(off, off), "too long")
                    .with_help(help)]);
            }
            if ctx.too_deep.get() {
                return Err(vec![Diagnostic::error(
                    codes::TOO_DEEP,
                    "expression nested too deeply",
                )
                .at(source, Span::new(off, off), "too deep")
                .with_help("simplify the expression")]);
            }
            let w = lex::word_at(&text[off..]);
            let len = if w.is_empty() {
                text[off..]
                    .chars()
                    .next()
                    .map(|c| c.len_utf8())
                    .unwrap_or(0)
            } else {
                w.len()
            };
            let expected = if expected.is_empty() {
                "an expression"
            } else {
                expected
            };
            Err(vec![Diagnostic::error(
                codes::SYNTAX,
                format!("expected {expected}"),
            )
            .at(
                source,
                Span::new(off, off + len),
                format!("expected {expected}"),
            )
            .with_help(
                "check the operators and parentheses of this expression",
            )])
        }
    }
}
