//! `qsa check SCRIPT… [--format human|json|sarif|github] [--syntax-only] [--deny warnings]`
//!
//! Reads every script (an unreadable one: message on stderr, exit 2), parses it, and prints the
//! diagnostics. Exit 0 without errors, 1 with errors (or warnings with `--deny warnings`).
//!
//! The stages after parsing (running the script, building the security model, linting) plug in at
//! [`after_parse`]: it receives the parsed scripts and returns further diagnostics.

use super::{CheckArgs, DiagFormat, Exit};
use crate::diag::{sort_diagnostics, Diagnostic, Severity, SourceId, SourceMap};
use crate::report::diagnostics::{render_github, render_human, render_json, render_sarif};
use crate::syntax::{parse_script, Parsed};
use std::io::IsTerminal;

/// One script after parsing.
#[allow(dead_code)] // read by the run and lint stages once they are wired into `after_parse`
pub struct Checked {
    pub source: SourceId,
    pub parsed: Parsed,
}

pub fn run(args: CheckArgs) -> Exit {
    let deny_warnings = match args.deny.as_deref() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("warnings") => true,
        Some(other) => {
            eprintln!("qsa: --deny expects `warnings`, got `{other}`");
            return Exit::CouldNotRun;
        }
    };
    let mut sources = SourceMap::default();
    let mut scripts = Vec::new();
    for path in &args.scripts {
        match sources.load(path) {
            Ok(id) => scripts.push(id),
            Err(e) => {
                eprintln!("qsa: cannot read {}: {e}", path.display());
                return Exit::CouldNotRun;
            }
        }
    }
    let mut checked = Vec::new();
    let mut diags = Vec::new();
    for id in scripts {
        let parsed = match sources.get(id) {
            Some(f) => parse_script(id, &f.text),
            None => continue,
        };
        diags.extend(parsed.diagnostics.iter().cloned());
        checked.push(Checked { source: id, parsed });
    }
    if !args.syntax_only {
        diags.extend(after_parse(&args, &mut sources, &checked));
    }
    sort_diagnostics(&mut diags);
    let color = args.format == DiagFormat::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    print!("{}", render(&diags, &sources, args.format, color));
    exit_code(&diags, deny_warnings)
}

/// The stages after parsing. For now none: `check` without `--syntax-only` does what `--syntax-only`
/// does. The runner and the linter add their diagnostics here.
pub fn after_parse(
    args: &CheckArgs,
    sources: &mut SourceMap,
    checked: &[Checked],
) -> Vec<Diagnostic> {
    let _ = (args, sources, checked);
    Vec::new()
}

/// Render in the requested format, with a one-line summary for humans.
pub fn render(
    diags: &[Diagnostic],
    sources: &SourceMap,
    format: DiagFormat,
    color: bool,
) -> String {
    match format {
        DiagFormat::Human => {
            let mut s = render_human(diags, sources, color);
            let errors = diags
                .iter()
                .filter(|d| d.severity == Severity::Error)
                .count();
            let warnings = diags
                .iter()
                .filter(|d| d.severity == Severity::Warning)
                .count();
            if diags.is_empty() {
                s.push_str("no problems found\n");
            } else {
                s.push_str(&format!("{errors} error(s), {warnings} warning(s)\n"));
            }
            s
        }
        DiagFormat::Json => render_json(diags, sources),
        DiagFormat::Sarif => render_sarif(diags, sources),
        DiagFormat::Github => render_github(diags, sources),
    }
}

/// 1 when there are errors (or warnings, when denied), else 0.
pub fn exit_code(diags: &[Diagnostic], deny_warnings: bool) -> Exit {
    let bad = diags.iter().any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    if bad {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
