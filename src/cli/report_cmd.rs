//! `qsa report`: every user of the directory (or, without one, the identities listed in the security
//! tables): access, reduction, omitted fields, rows per table, [dec] rules.

use super::{Exit, ReportArgs, TableFormat};
use crate::access::directory::{self, Directory, User};
use crate::access::model::near_misses;
use crate::access::Target;
use crate::diag::{codes, Diagnostic, SourceMap};
use crate::reduce;
use crate::report::users;
use std::collections::BTreeSet;

/// Print diagnostics to stderr.
pub(super) fn eprint_diagnostics(diags: &[Diagnostic], sources: &SourceMap) {
    if !diags.is_empty() {
        errp!(
            "{}",
            crate::report::diagnostics::render_human(diags, sources, false)
        );
    }
}

/// Prepare the evaluation, or refuse (exit 2) with the reasons when the Section Access cannot be evaluated
/// faithfully; `what` completes "refusing to …".
pub(super) fn prepare_or_refuse<'a>(
    run: &'a crate::script::RunResult,
    target: Target,
    what: &str,
) -> Result<reduce::Prepared<'a>, Exit> {
    reduce::prepare(run, target).map_err(|diags| {
        errln!("qsa: the Section Access cannot be evaluated faithfully; refusing to {what}");
        eprint_diagnostics(&diags, &run.sources);
        Exit::CouldNotRun
    })
}

/// Run the script and load the directory; `Err` = exit 2 (already reported).
pub(super) fn load(
    script: &std::path::Path,
    run_args: &super::RunArgs,
    dir_args: &super::DirectoryArgs,
    user_args: &super::UserArgs,
    include_cli_user: bool,
) -> Result<
    (
        crate::script::RunResult,
        directory::Directory,
        directory::GroupCatalog,
        Vec<Diagnostic>,
    ),
    Exit,
> {
    let opts = match run_args.options() {
        Ok(o) => o,
        Err(m) => {
            errln!("qsa: {m}");
            return Err(Exit::CouldNotRun);
        }
    };
    let progress = opts.progress.clone();
    let name = script.file_name().unwrap_or_default().to_string_lossy();
    progress.get().start(&format!("running {name}"), 0);
    let ran = crate::script::run_file(script, &opts);
    progress.get().finish();
    let mut run = match ran {
        Ok(r) => r,
        Err(e) => {
            errln!("qsa: cannot read `{}`: {e}", script.display());
            return Err(Exit::CouldNotRun);
        }
    };
    let mut diags = vec![];
    let cli_user = if include_cli_user {
        user_args.to_user()
    } else {
        None
    };
    progress.get().start("reading the directory", 0);
    let (dir, catalog, ok) = directory::load(
        &dir_args.directory,
        &dir_args.groups,
        cli_user,
        &mut run.sources,
        &mut diags,
    );
    progress.get().finish();
    if !ok {
        eprint_diagnostics(&diags, &run.sources);
        return Err(Exit::CouldNotRun);
    }
    Ok((run, dir, catalog, diags))
}

/// `who` among the directory's users, or a message naming the near misses.
pub(super) fn find_user(dir: &Directory, who: &str) -> Result<User, Box<Diagnostic>> {
    if let Some(u) = dir.find(who) {
        return Ok(u.clone());
    }
    let known: BTreeSet<String> = dir
        .users
        .iter()
        .flat_map(|u| u.subject.iter().chain(u.email.iter()).cloned())
        .collect();
    let near = near_misses(who, &known);
    let shown: Vec<String> = known.iter().take(10).map(|k| format!("`{k}`")).collect();
    let mut d = Diagnostic::error(
        codes::USER_NOT_FOUND,
        format!(
            "user `{who}` is not in the directory (looked up by subject, e-mail and id; {} users)",
            dir.users.len()
        ),
    );
    d = if near.is_empty() {
        d.with_help(format!(
            "users include {}{}",
            shown.join(", "),
            if known.len() > shown.len() {
                ", …"
            } else {
                ""
            }
        ))
    } else {
        d.with_help(format!(
            "did you mean {}?",
            near.iter()
                .map(|k| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ))
    };
    Err(Box::new(d))
}

/// Run the script and find the one user of `--user`: in the directory when one is given (by subject,
/// e-mail or id; near misses when not found), else the command-line user. `Err` = exit 2 (already
/// reported); `command` names the command in the message for a missing `--user`.
pub(super) fn load_one_user(
    script: &std::path::Path,
    run_args: &super::RunArgs,
    dir_args: &super::DirectoryArgs,
    user_args: &super::UserArgs,
    command: &str,
) -> Result<(crate::script::RunResult, User, Vec<Diagnostic>), Exit> {
    let Some(who) = user_args.user.clone() else {
        errln!("qsa: {command} needs --user ID");
        return Err(Exit::CouldNotRun);
    };
    let with_dir = !dir_args.directory.is_empty();
    let (run, dir, _catalog, dir_diags) = load(script, run_args, dir_args, user_args, !with_dir)?;
    let user = if with_dir {
        find_user(&dir, &who).map_err(|d| {
            eprint_diagnostics(&[*d], &run.sources);
            Exit::CouldNotRun
        })?
    } else {
        user_args.to_user().ok_or(Exit::CouldNotRun)?
    };
    Ok((run, user, dir_diags))
}

pub fn run(args: ReportArgs) -> Exit {
    if let Some(m) = super::tenant::conflicts(&args.tenant, &args.directory, &args.user) {
        errln!("qsa: {m}");
        return Exit::CouldNotRun;
    }
    let started = std::time::Instant::now();
    // The tenant exports do not depend on the script: they are read and evaluated on a thread of their
    // own while the script runs, into a source map of their own, appended to the script's afterwards
    // (the same ids as when read after it).
    let tenant_args = &args.tenant;
    let (script_loaded, tenant_started, tenant_loaded) = std::thread::scope(|scope| {
        let tenant = tenant_args.tenant.as_ref().map(|d| {
            scope.spawn(move || {
                let t0 = std::time::Instant::now();
                let mut sources = crate::diag::SourceMap::default();
                let r = super::tenant::load(tenant_args, d, &mut sources);
                (r, sources, t0.elapsed())
            })
        });
        let script = load(&args.script, &args.run, &args.directory, &args.user, true);
        (script, started.elapsed(), tenant.map(|h| h.join()))
    });
    let (mut run, dir, mut catalog, dir_diags) = match script_loaded {
        Ok(x) => x,
        Err(e) => return e,
    };
    // The tenant stage's own time (`--stats`): reading and evaluating the exports, then the T15 join.
    let mut tenant_time = std::time::Duration::ZERO;
    let mut tenant = match tenant_loaded {
        None => None,
        Some(Err(_)) => {
            errln!("qsa: the tenant evaluation stopped unexpectedly; refusing to report what users see");
            return Exit::CouldNotRun;
        }
        Some(Ok((loaded, sources, took))) => {
            tenant_time = took;
            let map = run.sources.absorb(sources);
            match loaded {
                Ok(mut t) => {
                    t.diagnostics.iter_mut().for_each(|d| d.remap_sources(&map));
                    Some(t)
                }
                Err(mut diags) => {
                    diags.iter_mut().for_each(|d| d.remap_sources(&map));
                    return super::tenant::refuse(&diags, &run.sources);
                }
            }
        }
    };
    let loaded = started.elapsed();
    let target: Target = args.run.target.into();
    let mut prepared = match reduce::prepare(&run, target) {
        Ok(p) => p,
        Err(diags) => {
            errln!("qsa: the Section Access cannot be evaluated faithfully; refusing to report what users see");
            eprint_diagnostics(&diags, &run.sources);
            return Exit::CouldNotRun;
        }
    };
    let users_in = if let Some(t) = &mut tenant {
        catalog = std::mem::take(&mut t.catalog);
        std::mem::take(&mut t.users)
    } else if dir.users.is_empty() && args.directory.directory.is_empty() {
        prepared.listed_users()
    } else {
        dir.users.clone()
    };
    let prepared_at = started.elapsed();
    prepared.set_progress(super::progress::stderr(args.run.quiet));
    let mut results = prepared.evaluate(&users_in, false);
    let evaluated = started.elapsed();
    let mut diags = prepared.diagnostics.clone();
    diags.extend(dir_diags);
    if !args.directory.directory.is_empty() || tenant.is_some() {
        diags.extend(prepared.unknown_groups(&users_in, &catalog.upper_names()));
    }
    // The HTML page shows what Section Access alone gives a user the tenant denies (T15 empties it).
    let sa_alone: Vec<crate::report::html::SectionAccessAlone> =
        if tenant.is_some() && args.format == TableFormat::Html {
            results
                .iter()
                .map(|r| (r.reduction.clone(), r.omitted_fields.clone()))
                .collect()
        } else {
            Vec::new()
        };
    let joining = std::time::Instant::now();
    let mut linted = std::time::Duration::ZERO;
    let mut tenant_steps = vec![];
    let tenant = match tenant {
        None => None,
        Some(t) => {
            tenant_steps = t.timings;
            diags.extend(t.diagnostics);
            // Section Access alone meets the tenant tier: where they disagree (before the join hides it).
            diags.extend(reduce::tenant_lints::lints(
                &prepared,
                &users_in,
                &results,
                &t.tenant_users,
                &t.groups,
            ));
            linted = joining.elapsed();
            let keys: Vec<&str> = users_in.iter().map(|u| u.key.as_str()).collect();
            match reduce::tenant::join(&mut results, &keys, t.tenant_users) {
                Ok(per_user) => Some((t.summary, per_user)),
                Err(who) => {
                    errln!("qsa: user `{who}` of users.json has no id the tenant model knows; refusing to report what users see");
                    return Exit::CouldNotRun;
                }
            }
        }
    };
    let joined = joining.elapsed();
    if !tenant_steps.is_empty() {
        tenant_steps.push(("lints", linted));
        tenant_steps.push(("join", joined.saturating_sub(linted)));
        tenant_time += joined;
    }
    let tenant_view = tenant
        .as_ref()
        .map(|(summary, per_user)| users::TenantView {
            summary,
            users: per_user,
        });
    crate::diag::sort_diagnostics(&mut diags);
    let mode = prepared.group_mode();
    match args.format {
        TableFormat::Json => super::out_with(|w| {
            users::write_json(
                w,
                &results,
                target,
                mode,
                &diags,
                &run.sources,
                tenant_view.as_ref(),
            )
        }),
        TableFormat::Csv => super::out(&users::render_csv(&results, tenant_view.as_ref())),
        TableFormat::Html => super::out(&html_report(
            &args,
            &prepared,
            &users_in,
            &results,
            &diags,
            tenant_view.as_ref(),
            &sa_alone,
        )),
        TableFormat::Human => {
            super::out(&users::render_human(
                &results,
                target,
                mode,
                tenant_view.as_ref(),
            ));
            eprint_diagnostics(&users::all_diagnostics(&results, &diags), &run.sources);
        }
    }
    if args.stats {
        let st = prepared.stats();
        let path = match st.path {
            reduce::EnginePath::None => "none".to_string(),
            reduce::EnginePath::MessagePassing => "message passing".to_string(),
            reduce::EnginePath::Factorized { classes } => format!("factorized ({classes} classes)"),
        };
        let s = |d: std::time::Duration| format!("{:.2}s", d.as_secs_f64());
        // The tenant's join runs between evaluation and output; its time is not counted in the output.
        let tenant_in_output = joined;
        errln!(
            "qsa: {} users, {} profiles, {} distinct selections; engine: {path}; run script + directory {}, prepare {}, evaluate {}, output {}",
            st.users,
            st.profiles,
            st.selections,
            s(tenant_started),
            s(prepared_at - loaded),
            s(evaluated - prepared_at),
            s((started.elapsed() - evaluated).saturating_sub(tenant_in_output))
        );
        if !tenant_steps.is_empty() {
            let steps: Vec<String> = tenant_steps
                .iter()
                .map(|(name, d)| format!("{name} {}", s(*d)))
                .collect();
            errln!(
                "qsa: tenant {} ({}); on its own thread while the script ran, waited for {}",
                s(tenant_time),
                steps.join(", "),
                s(loaded - tenant_started)
            );
        }
        let mut last = std::time::Duration::ZERO;
        let phases: Vec<String> = st
            .phases
            .iter()
            .map(|(name, at)| {
                let d = *at - last;
                last = *at;
                format!("{name} {}", s(d))
            })
            .collect();
        errln!("qsa: evaluate: {}", phases.join(", "));
    }
    // The process ends here: leave the model, the engines and the results to the OS rather than free
    // them one allocation at a time (a good part of a second on a 10M-row model with 100k users).
    std::mem::forget(results);
    std::mem::forget(prepared);
    std::mem::forget(run);
    std::mem::forget(dir);
    std::mem::forget(tenant);
    Exit::Ok
}

/// `--format html`: the page, with the security rows behind every user and group.
fn html_report(
    args: &ReportArgs,
    prepared: &reduce::Prepared<'_>,
    users: &[directory::User],
    results: &[reduce::UserResult],
    diags: &[Diagnostic],
    tenant: Option<&users::TenantView>,
    sa_alone: &[crate::report::html::SectionAccessAlone],
) -> String {
    let script = args
        .script
        .file_name()
        .unwrap_or_default()
        .to_string_lossy();
    let applied = prepared.applied_profiles(users);
    let groups = prepared.group_grants();
    crate::report::html::render_html(&crate::report::html::HtmlInput {
        script: &script,
        target: prepared.target,
        mode: prepared.group_mode(),
        prepared,
        users,
        results,
        applied: &applied,
        groups: &groups,
        diagnostics: diags,
        sources: &prepared.run.sources,
        tenant,
        sa_alone,
    })
}
