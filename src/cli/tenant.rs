//! `--tenant DIR --app ID|NAME [--oauth-client FILE]` (tenant.md §1): read the exports, evaluate the tenant
//! tier for the app, and the users it lists as the users to evaluate.

use super::Exit;
use crate::access::directory::{self, User};
use crate::diag::{Diagnostic, SourceMap};
use crate::tenant::{self, TenantSummary, UserTenant};
use clap::Args;
use std::path::PathBuf;

/// The tenant tier (Qlik Cloud): who opens the app, with which roles, who can download.
#[derive(Args, Debug, Clone, Default)]
pub struct TenantArgs {
    /// A folder of `qlik` exports (users, groups, roles, spaces, assignments, shares, items; see
    /// tenant.md §1): evaluate its users, joined with who can open the app (not with --directory)
    #[arg(long, value_name = "DIR", requires = "app")]
    pub tenant: Option<PathBuf>,
    /// The app of items.json, by resourceId, id or exact name (with --tenant)
    #[arg(long, value_name = "ID|NAME", requires = "tenant")]
    pub app: Option<String>,
    /// The OAuth client an integration uses (`qlik oauth-client get <clientId>`), instead of the
    /// folder's `oauth-client.json` (with --tenant)
    #[arg(long, value_name = "FILE", requires = "tenant")]
    pub oauth_client: Option<PathBuf>,
}

/// The tenant tier read and evaluated for the app.
pub(super) struct Loaded {
    pub summary: TenantSummary,
    /// The directory users of `users.json`, for Section Access.
    pub users: Vec<User>,
    pub tenant_users: Vec<UserTenant>,
    /// The groups of groups.json (to flag GROUP values that match no group).
    pub catalog: directory::GroupCatalog,
    /// Warnings of the exports and the model (T6, T12, T14).
    pub diagnostics: Vec<Diagnostic>,
    /// Time spent per step, in order (for `--stats`): reading the exports, evaluating T1–T18, the
    /// Section Access identity of the users.
    pub timings: Vec<(&'static str, std::time::Duration)>,
    /// What each group is given on the app, for the tenant × Section Access lints.
    pub groups: tenant::AppGroups,
}

/// `--tenant` with `--directory`: a message (exit 2).
pub(super) fn conflicts(
    args: &TenantArgs,
    dir: &super::DirectoryArgs,
    user: &super::UserArgs,
) -> Option<String> {
    args.tenant.as_ref()?;
    if !(dir.directory.is_empty() && dir.groups.is_empty()) {
        return Some("--tenant takes the users from the tenant's users.json; it cannot be combined with --directory or --groups".into());
    }
    let cli_user = user.user.is_some()
        || user.email.is_some()
        || !user.idp_groups.is_empty()
        || !user.custom_groups.is_empty();
    cli_user.then(|| {
        "--tenant evaluates the users of the tenant's users.json; it cannot be combined with --user, --email, --idp-group or --custom-group".into()
    })
}

/// Read `--tenant DIR` into `sources` and evaluate every user for `--app`. `Err`: the diagnostics to
/// print (exit 2).
pub(super) fn load(
    args: &TenantArgs,
    dir: &std::path::Path,
    sources: &mut SourceMap,
) -> Result<Loaded, Vec<Diagnostic>> {
    let one = |d: Box<Diagnostic>| vec![*d];
    let mut clock = std::time::Instant::now();
    let mut timings = Vec::new();
    let mut lap = |name: &'static str| {
        let now = std::time::Instant::now();
        timings.push((name, now - clock));
        clock = now;
    };
    let mut ex = tenant::load(dir, sources).map_err(one)?;
    if let Some(path) = &args.oauth_client {
        let name = path.display().to_string();
        if !path.is_file() {
            return Err(vec![Diagnostic::error(
                crate::diag::codes::TENANT_INPUT,
                format!("--oauth-client `{name}` does not exist; write it with `qlik oauth-client get <clientId>`"),
            )]);
        }
        ex.oauth_client = tenant::exports::oauth_client_at(path, &name, sources).map_err(one)?;
    }
    lap("read exports");
    // The Section Access identity of each user (subject, e-mail, groups with their provider), exactly
    // as `--directory users.json --groups groups.json` reads it, from the exports just read.
    let users_path = dir.join("users.json");
    let derived = tenant::identity::directory_users(&ex, &users_path);
    lap("directory users");
    let mut diagnostics = std::mem::take(&mut ex.warnings);
    let model = tenant::Tenant::new(&ex).map_err(one)?;
    let query = args.app.clone().unwrap_or_default();
    let app = model.app(&query, &mut diagnostics).map_err(one)?;
    let summary = model.summary(&app);
    let tenant_users = model.evaluate_all(&app, &mut diagnostics).map_err(one)?;
    let groups = tenant::app_groups(&ex, &app);
    lap("evaluate");
    let (users, catalog) = match derived {
        Some((users, catalog, read)) => {
            diagnostics.extend(read);
            (users, catalog)
        }
        None => {
            // A shape or field only `access::directory` reads: the files again, through it.
            let mut read = vec![];
            let (users, catalog, ok) = directory::load(
                &[users_path],
                &[dir.join("groups.json")],
                None,
                sources,
                &mut read,
            );
            if !ok {
                return Err(read);
            }
            diagnostics.extend(read);
            (users.users, catalog)
        }
    };
    // Status is the tenant's to decide (T7): Section Access alone is evaluated for every user.
    let users = users
        .into_iter()
        .map(|mut u| {
            u.status = directory::Status::Active;
            u
        })
        .collect();
    // The process ends soon after: leave the exports and their index to the OS rather than free them
    // one allocation at a time.
    std::mem::forget(model);
    std::mem::forget(ex);
    lap("directory fallback");
    Ok(Loaded {
        summary,
        users,
        tenant_users,
        catalog,
        diagnostics,
        timings,
        groups,
    })
}

/// Print the diagnostics of a tenant that cannot be read or evaluated; exit 2.
pub(super) fn refuse(diags: &[Diagnostic], sources: &SourceMap) -> Exit {
    errln!("qsa: cannot evaluate the tenant tier; refusing to report what users see");
    super::report_cmd::eprint_diagnostics(diags, sources);
    Exit::CouldNotRun
}
