//! `qsa check SCRIPT… [--format human|json|sarif|github] [--syntax-only] [--deny|--warn|--allow
//! CODE|NAME] [--no-config] [--reload-user ID]`
//!
//! Reads every script (an unreadable one: message on stderr, exit 2), runs it (parse, expand, load),
//! builds the security model and lints it, and prints the diagnostics of all scripts together. With
//! `--syntax-only` it stops after parsing. Lint control (`crate::lints`): each script's nearest
//! `qsa.toml`, then the flags, then its `// qsa: allow(…)` comments. Exit 0 without errors, 1 with errors
//! (or warnings with `deny warnings`), 2 when it cannot run (including a setting that cannot be applied).

use super::{CheckArgs, DiagFormat, Exit};
use crate::diag::{sort_diagnostics, Diagnostic, Label, Severity, SourceMap, Span};
use crate::lints::{self, Policy, Settings};
use crate::report::diagnostics::{render_github, render_human, render_json, render_sarif};
use crate::syntax::parse_script;
use std::io::IsTerminal;

pub fn run(args: CheckArgs) -> Exit {
    if let Err(e) = Policy::default().layer(&cli_settings(&args)) {
        errln!("qsa: {}", e.message);
        return Exit::CouldNotRun;
    }
    let result = if args.syntax_only {
        parse_only(&args)
    } else {
        run_and_lint(&args)
    };
    let (sources, mut diags, failing_warnings) = match result {
        Ok(x) => x,
        Err(exit) => return exit,
    };
    sort_diagnostics(&mut diags);
    let color = args.format == DiagFormat::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    super::out(&render(&diags, &sources, args.format, color));
    exit_code(&diags, failing_warnings)
}

fn cli_settings(args: &CheckArgs) -> Settings {
    Settings {
        deny: args.lints.deny.clone(),
        warn: args.lints.warn.clone(),
        allow: args.lints.allow.clone(),
    }
}

/// The lint policy of one script: its `qsa.toml` (unless `--no-config`), then the flags. `Err`: exit 2,
/// with the located problem printed.
fn policy_for(
    args: &CheckArgs,
    script: &std::path::Path,
    sources: &mut SourceMap,
) -> Result<Policy, Exit> {
    let mut policy = Policy::default();
    if !args.lints.no_config {
        if let Some(path) = lints::config::discover(script) {
            if let Err(d) = lints::config::load(&path, sources, &mut policy) {
                errln!("qsa: cannot apply {}", path.display());
                super::report_cmd::eprint_diagnostics(&[*d], sources);
                return Err(Exit::CouldNotRun);
            }
        }
    }
    policy.layer(&cli_settings(args)).map_err(|e| {
        errln!("qsa: {}", e.message);
        Exit::CouldNotRun
    })?;
    Ok(policy)
}

/// Apply one script's policy and the `// qsa: allow(…)` comments of its files (`files`, indexes into
/// `sources`) to its diagnostics; whether a warning remains that the policy makes fail.
fn control(
    policy: &Policy,
    sources: &SourceMap,
    files: std::ops::Range<usize>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let (directives, problems) = lints::directives::find(sources, files);
    lints::directives::apply(&directives, sources, diags);
    policy.apply(diags);
    diags.extend(problems);
    policy.deny_warnings && diags.iter().any(|d| d.severity == Severity::Warning)
}

/// What a check found: the sources, the diagnostics after lint control, and whether a warning fails
/// (`deny warnings`).
type Found = (SourceMap, Vec<Diagnostic>, bool);

/// `--syntax-only`: read and parse every script.
fn parse_only(args: &CheckArgs) -> Result<Found, Exit> {
    let encoding = args.run.encoding().map_err(|m| {
        errln!("qsa: {m}");
        Exit::CouldNotRun
    })?;
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let mut failing = false;
    for path in &args.scripts {
        let policy = policy_for(args, path, &mut sources)?;
        let id = sources.load_as(path, encoding).map_err(|e| {
            errln!("qsa: cannot read {}: {e}", path.display());
            Exit::CouldNotRun
        })?;
        if let Some(f) = sources.get(id) {
            let mut found = parse_script(id, &f.text).diagnostics;
            let first = id.0 as usize;
            failing |= control(&policy, &sources, first..first + 1, &mut found);
            diags.extend(found);
        }
    }
    Ok((sources, diags, failing))
}

/// The full check: run each script (parse, expand, load both sections), build the security model and
/// lint it (`reduce::prepare`), and check a named reloading user (U2).
fn run_and_lint(args: &CheckArgs) -> Result<Found, Exit> {
    let opts = args.run.options().map_err(|m| {
        errln!("qsa: {m}");
        Exit::CouldNotRun
    })?;
    let target: crate::access::Target = args.run.target.into();
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    let mut failing = false;
    for (k, path) in args.scripts.iter().enumerate() {
        let last = k + 1 == args.scripts.len();
        let policy = policy_for(args, path, &mut sources)?;
        let mut run = crate::script::run_file(path, &opts).map_err(|e| {
            errln!("qsa: cannot read {}: {e}", path.display());
            Exit::CouldNotRun
        })?;
        let mut found = match crate::reduce::prepare(&run, target) {
            Ok(prepared) => {
                let mut d = prepared.diagnostics.clone();
                if let Some(user) = args.run.reload_user.as_deref() {
                    let user = crate::access::directory::User::new(user);
                    d.extend(prepared.check_reload_user(&user));
                }
                if last {
                    // The process ends after the last script: freeing the engines' symbol tables one
                    // allocation at a time would take a good part of the run on a large model.
                    std::mem::forget(prepared);
                }
                d
            }
            Err(d) => d,
        };
        // The runner parsed every deferred statement after expansion; the parse-time note is moot.
        found.retain(|d| d.code != crate::diag::codes::DEFERRED);
        // Findings about the whole script (no location) point at its first line, so every output
        // format can say which script they are about.
        for d in found.iter_mut().filter(|d| d.primary.is_none()) {
            d.primary = Some(Label::new(run.main, Span::empty(0), ""));
        }
        if last {
            std::mem::forget(std::mem::take(&mut run.app));
            std::mem::forget(std::mem::take(&mut run.security));
        }
        let first = sources.files.len();
        let map = sources.absorb(run.sources);
        for d in &mut found {
            d.remap_sources(&map);
        }
        failing |= control(&policy, &sources, first..sources.files.len(), &mut found);
        diags.extend(found);
    }
    diags.dedup();
    Ok((sources, diags, failing))
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
