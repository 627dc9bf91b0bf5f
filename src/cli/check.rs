//! `qsa check SCRIPT… [--format human|json|sarif|github] [--syntax-only] [--deny|--warn|--allow
//! CODE|NAME] [--no-config] [--reload-user ID] [--tenant DIR --app ID|NAME [--oauth-client FILE]]`
//!
//! Reads every script (an unreadable one: message on stderr, exit 2), runs it (parse, expand, load),
//! builds the security model and lints it, and prints the diagnostics of all scripts together. With
//! `--syntax-only` it stops after parsing. Lint control (`crate::lints`): each script's nearest
//! `qsa.toml`, then the flags, then its `// qsa: allow(…)` comments. Exit 0 without errors, 1 with errors
//! (or warnings with `deny warnings`), 2 when it cannot run (including a setting that cannot be applied).
//!
//! With `--tenant DIR --app X` (one script, the app's): the tenant tier is read and evaluated as for
//! `report --tenant` (exports that cannot be read or evaluated: exit 2), Section Access is evaluated for
//! the users of its users.json, and the findings add the tenant's warnings (QSA42x), GROUP values no
//! group matches (QSA217), the users' own findings (I6, R6) and the lints where the two layers disagree
//! (QSA43x, `reduce::tenant_lints`).

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
    if let Some(url) = &args.docs_url {
        if !is_absolute_url(url) {
            errln!("qsa: --docs-url `{url}` is not an absolute URL (e.g. https://host/path/src/lints/docs)");
            return Exit::CouldNotRun;
        }
    }
    if args.tenant.tenant.is_some() && (args.syntax_only || args.scripts.len() != 1) {
        errln!("qsa: --tenant checks one script, the app's, run in full (not with --syntax-only)");
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
    let docs_url = args.docs_url.as_deref();
    super::out(&render(&diags, &sources, args.format, color, docs_url));
    exit_code(&diags, failing_warnings)
}

/// `scheme://…` with a scheme of RFC 3986 (a letter, then letters, digits, `+`, `-`, `.`) and no
/// whitespace: what SARIF's `helpUri` (format `uri`) accepts.
fn is_absolute_url(url: &str) -> bool {
    let Some((scheme, rest)) = url.split_once("://") else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
        && !rest.is_empty()
        && !url.chars().any(|c| c.is_whitespace() || c.is_control())
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
                if tenant.is_none() {
                    // Without a directory: the identities the rows list (R2, R6).
                    d.extend(prepared.listed_lints());
                }
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
    docs_url: Option<&str>,
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
        DiagFormat::Sarif => render_sarif(diags, sources, docs_url),
        DiagFormat::Github => render_github(diags, sources),
    }
}

/// 2 when a run stopped at the memory limit (QSA118: qsa could not run), 1 when there are errors (or
/// warnings, when denied), else 0.
pub fn exit_code(diags: &[Diagnostic], deny_warnings: bool) -> Exit {
    if diags
        .iter()
        .any(|d| d.code == crate::diag::codes::MEMORY_LIMIT)
    {
        return Exit::CouldNotRun;
    }
    let bad = diags.iter().any(|d| {
        d.severity == Severity::Error || (deny_warnings && d.severity == Severity::Warning)
    });
    if bad {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
