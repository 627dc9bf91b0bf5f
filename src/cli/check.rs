//! `qsa check SCRIPT… [--format human|json|sarif|github] [--syntax-only] [--deny warnings]
//! [--reload-user ID] [--tenant DIR --app ID|NAME [--oauth-client FILE]]`
//!
//! Reads every script (an unreadable one: message on stderr, exit 2), runs it (parse, expand, load),
//! builds the security model and lints it, and prints the diagnostics of all scripts together. With
//! `--syntax-only` it stops after parsing. Exit 0 without errors, 1 with errors (or warnings with
//! `--deny warnings`).
//!
//! With `--tenant DIR --app X` (one script, the app's): the tenant tier is read and evaluated as for
//! `report --tenant` (exports that cannot be read or evaluated: exit 2), Section Access is evaluated for
//! the users of its users.json, and the findings add the tenant's warnings (QSA42x), GROUP values no
//! group matches (QSA217), the users' own findings (I6, R6) and the lints where the two layers disagree
//! (QSA43x, `reduce::tenant_lints`).

use super::{CheckArgs, DiagFormat, Exit};
use crate::diag::{sort_diagnostics, Diagnostic, Label, Severity, SourceMap, Span};
use crate::report::diagnostics::{render_github, render_human, render_json, render_sarif};
use crate::syntax::parse_script;
use std::io::IsTerminal;

pub fn run(args: CheckArgs) -> Exit {
    let deny_warnings = match args.deny.as_deref() {
        None => false,
        Some(w) if w.eq_ignore_ascii_case("warnings") => true,
        Some(other) => {
            errln!("qsa: --deny expects `warnings`, got `{other}`");
            return Exit::CouldNotRun;
        }
    };
    if args.tenant.tenant.is_some() && (args.syntax_only || args.scripts.len() != 1) {
        errln!("qsa: --tenant checks one script, the app's, run in full (not with --syntax-only)");
        return Exit::CouldNotRun;
    }
    let (sources, mut diags) = if args.syntax_only {
        match parse_only(&args) {
            Ok(x) => x,
            Err(exit) => return exit,
        }
    } else {
        match run_and_lint(&args) {
            Ok(x) => x,
            Err(exit) => return exit,
        }
    };
    sort_diagnostics(&mut diags);
    let color = args.format == DiagFormat::Human
        && std::io::stdout().is_terminal()
        && std::env::var_os("NO_COLOR").is_none();
    super::out(&render(&diags, &sources, args.format, color));
    exit_code(&diags, deny_warnings)
}

/// `--syntax-only`: read and parse every script.
fn parse_only(args: &CheckArgs) -> Result<(SourceMap, Vec<Diagnostic>), Exit> {
    let encoding = args.run.encoding().map_err(|m| {
        errln!("qsa: {m}");
        Exit::CouldNotRun
    })?;
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    for path in &args.scripts {
        let id = sources.load_as(path, encoding).map_err(|e| {
            errln!("qsa: cannot read {}: {e}", path.display());
            Exit::CouldNotRun
        })?;
        if let Some(f) = sources.get(id) {
            diags.extend(parse_script(id, &f.text).diagnostics);
        }
    }
    Ok((sources, diags))
}

/// The full check: run each script (parse, expand, load both sections), build the security model and
/// lint it (`reduce::prepare`), and check a named reloading user (U2).
fn run_and_lint(args: &CheckArgs) -> Result<(SourceMap, Vec<Diagnostic>), Exit> {
    let opts = args.run.options().map_err(|m| {
        errln!("qsa: {m}");
        Exit::CouldNotRun
    })?;
    let target: crate::access::Target = args.run.target.into();
    let mut sources = SourceMap::default();
    let mut diags = Vec::new();
    for (k, path) in args.scripts.iter().enumerate() {
        let last = k + 1 == args.scripts.len();
        let mut run = crate::script::run_file(path, &opts).map_err(|e| {
            errln!("qsa: cannot read {}: {e}", path.display());
            Exit::CouldNotRun
        })?;
        let tenant = match &args.tenant.tenant {
            None => None,
            Some(dir) => match super::tenant::load(&args.tenant, dir, &mut run.sources) {
                Ok(t) => Some(t),
                Err(d) => return Err(super::tenant::refuse(&d, &run.sources)),
            },
        };
        // About the tenant and its users rather than the script: not pointed at the script.
        let mut tenant_found = Vec::new();
        let mut found = match crate::reduce::prepare(&run, target) {
            Ok(prepared) => {
                let mut d = prepared.diagnostics.clone();
                if let Some(user) = args.run.reload_user.as_deref() {
                    let user = crate::access::directory::User::new(user);
                    d.extend(prepared.check_reload_user(&user));
                }
                if let Some(t) = &tenant {
                    tenant_found = tenant_lints(&prepared, t)?;
                }
                if last {
                    // The process ends after the last script: freeing the engines' symbol tables one
                    // allocation at a time would take a good part of the run on a large model.
                    std::mem::forget(prepared);
                }
                d
            }
            Err(d) => {
                // Section Access cannot be evaluated (the errors say why): the tenant's own findings
                // still stand.
                if let Some(t) = &tenant {
                    tenant_found = t.diagnostics.clone();
                }
                d
            }
        };
        // The runner parsed every deferred statement after expansion; the parse-time note is moot.
        found.retain(|d| d.code != crate::diag::codes::DEFERRED);
        // Findings about the whole script (no location) point at its first line, so every output
        // format can say which script they are about.
        for d in found.iter_mut().filter(|d| d.primary.is_none()) {
            d.primary = Some(Label::new(run.main, Span::empty(0), ""));
        }
        found.extend(tenant_found);
        if last {
            std::mem::forget(std::mem::take(&mut run.app));
            std::mem::forget(std::mem::take(&mut run.security));
        }
        let map = sources.absorb(run.sources);
        for d in &mut found {
            d.remap_sources(&map);
        }
        diags.extend(found);
    }
    diags.dedup();
    Ok((sources, diags))
}

/// `--tenant`: the tenant's warnings, GROUP values no group matches (QSA217), the users' own findings
/// (I6, R6) and the lints where the tenant tier and Section Access disagree (QSA43x). A user of users.json
/// the tenant model does not have: exit 2, as `report --tenant` refuses (fail closed).
fn tenant_lints(
    prepared: &crate::reduce::Prepared<'_>,
    t: &super::tenant::Loaded,
) -> Result<Vec<Diagnostic>, Exit> {
    let known: std::collections::HashSet<&str> =
        t.tenant_users.iter().map(|u| u.qlik_id.as_str()).collect();
    if let Some(u) = t.users.iter().find(|u| !known.contains(u.key.as_str())) {
        errln!(
            "qsa: user `{}` of users.json has no id the tenant model knows; refusing to check the tenant tier",
            u.report_id()
        );
        return Err(Exit::CouldNotRun);
    }
    let results = prepared.evaluate(&t.users, false);
    let mut d = t.diagnostics.clone();
    d.extend(prepared.unknown_groups(&t.users, &t.catalog.upper_names()));
    d.extend(crate::reduce::tenant_lints::lints(
        prepared,
        &t.users,
        &results,
        &t.tenant_users,
        &t.groups,
    ));
    Ok(crate::report::users::all_diagnostics(&results, &d))
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
