//! One user of `--tenant DIR --app X` (tenant.md §1) for `qsa preview` and `qsa explain`: `--user` is
//! looked up in the tenant's users.json (by id, subject or e-mail; exit 2 when it is not there), and the
//! tenant tier is evaluated for the app.

use super::report_cmd::{eprint_diagnostics, find_user, load};
use super::tenant::TenantArgs;
use super::{DirectoryArgs, Exit, RunArgs, UserArgs};
use crate::access::directory::{Directory, User};
use crate::diag::Diagnostic;
use crate::tenant::{TenantSummary, UserTenant};
use std::path::Path;

/// The script run, the user (as Section Access sees them), their tenant tier, the app, and the warnings of
/// the directory and the tenant.
pub(super) struct OneUser {
    pub run: crate::script::RunResult,
    pub user: User,
    pub tenant: UserTenant,
    pub summary: TenantSummary,
    pub diagnostics: Vec<Diagnostic>,
}

/// `--tenant` with `--directory`, `--groups`, `--email`, `--idp-group` or `--custom-group`: a message
/// (exit 2). `--user` names one of the tenant's users here.
fn conflicts(args: &TenantArgs, dir: &DirectoryArgs, user: &UserArgs) -> Option<String> {
    let others = UserArgs {
        user: None,
        ..user.clone()
    };
    super::tenant::conflicts(args, dir, &others)
}

/// Run the script and read `--tenant DIR` for the one user of `--user`; `Ok(None)` without `--tenant`;
/// `Err` = exit 2 (already reported). `command` names the command in the messages.
pub(super) fn load_one(
    script: &Path,
    run_args: &RunArgs,
    tenant_args: &TenantArgs,
    dir_args: &DirectoryArgs,
    user_args: &UserArgs,
    command: &str,
) -> Result<Option<OneUser>, Exit> {
    let Some(tenant_dir) = &tenant_args.tenant else {
        return Ok(None);
    };
    if let Some(m) = conflicts(tenant_args, dir_args, user_args) {
        errln!("qsa: {m}");
        return Err(Exit::CouldNotRun);
    }
    let Some(who) = user_args.user.clone() else {
        errln!("qsa: {command} --tenant needs --user ID (an id, subject or e-mail of users.json)");
        return Err(Exit::CouldNotRun);
    };
    let none = UserArgs::default();
    let (mut run, _dir, _catalog, mut diagnostics) =
        load(script, run_args, &DirectoryArgs::default(), &none, false)?;
    let loaded = match super::tenant::load(tenant_args, tenant_dir, &mut run.sources) {
        Ok(t) => t,
        Err(diags) => return Err(super::tenant::refuse(&diags, &run.sources)),
    };
    diagnostics.extend(loaded.diagnostics);
    let mut dir = Directory::default();
    let mut ignored = vec![];
    for u in loaded.users {
        dir.push(u, &mut ignored);
    }
    let user = match find_user(&dir, &who) {
        Ok(u) => u,
        Err(d) => {
            errln!("qsa: `{who}` is not a user of the tenant's users.json; refusing to {command}");
            eprint_diagnostics(&[*d], &run.sources);
            return Err(Exit::CouldNotRun);
        }
    };
    let Some(tenant) = loaded
        .tenant_users
        .into_iter()
        .find(|t| t.qlik_id == user.key)
    else {
        errln!(
            "qsa: user `{who}` of users.json has no id the tenant model knows; refusing to {command}"
        );
        return Err(Exit::CouldNotRun);
    };
    Ok(Some(OneUser {
        run,
        user,
        tenant,
        summary: loaded.summary,
        diagnostics,
    }))
}
