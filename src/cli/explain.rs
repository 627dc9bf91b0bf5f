//! `qsa explain SCRIPT --user U (--table T --row N | --value FIELD=VALUE)`: why one user keeps or loses
//! one app row or one field value: who the user is, which security rows applied and which did not (and
//! why), the access level, the selections, and the link through which the row was kept or dropped.
//!
//! `--table` is shared with the run inputs: a value with `=` supplies a table (`--table NAME=FILE`), a
//! value without `=` names the app table to explain (so a table whose name contains `=` cannot be
//! explained by name).
//!
//! `--tenant DIR --app X` (tenant.md): the chain starts at the tenant tier (step 0: status, roles,
//! opening the app or every route that fails, download, and when the tenant denies the user, what Section
//! Access alone gives, which the usual steps then explain). Without --table/--value it answers just "can
//! the user open the app, and why". `--user` must be a user of the tenant's users.json (else exit 2).

use super::report_cmd::{eprint_diagnostics, load_one_user, prepare_or_refuse};
use super::{DirectoryArgs, Exit, RunArgs, UserArgs};
use crate::access::Target;
use crate::reduce::{self, explain::Question};
use crate::report::explain as render;
use clap::{Args, ValueEnum};
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ExplainFormat {
    /// The chain of reasons as text
    #[default]
    Human,
    /// `{"schema": "qsa.explain/1", …}`
    Json,
}

#[derive(Args, Debug)]
#[command(
    after_help = "The question: --table T --row N (T an app table, N its 1-based row in the order the script leaves it) or --value FIELD=VALUE. `--table` also supplies tables: a value with `=` (NAME=FILE) supplies one, a value without `=` names the table to explain."
)]
pub struct ExplainArgs {
    pub script: PathBuf,
    #[command(flatten)]
    pub user: UserArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    /// With `--table T` (an app table, given without `=`): the row to explain, 1-based, in the order the
    /// script leaves the table (the order `qsa preview` lists)
    #[arg(long, value_name = "N")]
    pub row: Option<usize>,
    /// A field value to explain: is it visible to the user, and why (not)
    #[arg(long, value_name = "FIELD=VALUE", conflicts_with = "row")]
    pub value: Option<String>,
    #[arg(long, value_enum, default_value_t = ExplainFormat::Human)]
    pub format: ExplainFormat,
    /// `--tenant DIR --app X`: the chain starts at the tenant tier (can the user open the app, and why);
    /// --table/--value may then be left out
    #[command(flatten)]
    pub tenant: super::tenant::TenantArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// The question (`None`: with `--tenant`, none asked: "can the user open the app?"), and the run inputs
/// without the `--table T` that names the explained table.
fn question(args: &ExplainArgs) -> Result<(Option<Question>, RunArgs), String> {
    let (named, supplied): (Vec<&String>, Vec<&String>) =
        args.run.tables.iter().partition(|t| !t.contains('='));
    let mut run = args.run.clone();
    run.tables = supplied.into_iter().cloned().collect();
    let q =
        match (&args.value, args.row, named.as_slice()) {
            (Some(_), _, [_, ..]) => return Err(
                "--value FIELD=VALUE explains a value; --table T (without `=`) goes with --row N"
                    .into(),
            ),
            (Some(v), None, []) => match v.split_once('=') {
                Some((f, val)) if !f.trim().is_empty() => Question::Value {
                    field: f.trim().to_string(),
                    value: val.to_string(),
                },
                _ => return Err(format!("--value expects FIELD=VALUE, got `{v}`")),
            },
            (None, Some(row), [table]) => Question::Row {
                table: table.to_string(),
                row,
            },
            (None, Some(_), []) => {
                return Err("--row N needs --table T (the app table, without `=`)".into())
            }
            (None, _, [_, _, ..]) => {
                return Err(format!(
                    "one table to explain, got {}",
                    named
                        .iter()
                        .map(|t| format!("`{t}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            }
            (None, None, [_]) => return Err("--table T needs --row N".into()),
            (None, None, []) if args.tenant.tenant.is_some() => return Ok((None, run)),
            _ => {
                return Err(
                    "explain needs --table T --row N (an app row) or --value FIELD=VALUE".into(),
                )
            }
        };
    Ok((Some(q), run))
}

pub fn run(args: ExplainArgs) -> Exit {
    let (q, run_args) = match question(&args) {
        Ok(x) => x,
        Err(m) => {
            errln!("qsa: {m}");
            return Exit::CouldNotRun;
        }
    };
    let one = match super::tenant_one::load_one(
        &args.script,
        &run_args,
        &args.tenant,
        &args.directory,
        &args.user,
        "explain",
    ) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let (run, user, dir_diags, tenant) = match one {
        Some(o) => (o.run, o.user, o.diagnostics, Some((o.summary, o.tenant))),
        None => match load_one_user(
            &args.script,
            &run_args,
            &args.directory,
            &args.user,
            "explain",
        ) {
            Ok((run, user, diags)) => (run, user, diags, None),
            Err(e) => return e,
        },
    };
    let target: Target = run_args.target.into();
    let prepared = match prepare_or_refuse(&run, target, "explain") {
        Ok(p) => p,
        Err(e) => return e,
    };
    // Section Access alone: the chain explains its verdict; the tenant step says what the tenant adds.
    let results = prepared.evaluate(std::slice::from_ref(&user), true);
    let Some(result) = results.first() else {
        return Exit::CouldNotRun;
    };
    let explanation = match &q {
        None => None,
        Some(q) => match reduce::explain::explain(&prepared, &user, result, q) {
            Ok(e) => Some(e),
            Err(e) => {
                errln!("qsa: {e}");
                return Exit::CouldNotRun;
            }
        },
    };
    let step = tenant
        .as_ref()
        .map(|(summary, t)| reduce::explain::tenant::tenant_step(summary, t, result));
    match (args.format, &step, &explanation) {
        (ExplainFormat::Json, Some(t), e) => super::out(&render::render_json_tenant(t, e.as_ref())),
        (ExplainFormat::Human, Some(t), e) => {
            super::out(&render::render_human_tenant(t, e.as_ref()))
        }
        (ExplainFormat::Json, None, Some(e)) => super::out(&render::render_json(e)),
        (ExplainFormat::Human, None, Some(e)) => super::out(&render::render_human(e)),
        (_, None, None) => {
            errln!("qsa: explain needs --table T --row N (an app row) or --value FIELD=VALUE");
            return Exit::CouldNotRun;
        }
    }
    let mut diags = prepared.diagnostics.clone();
    diags.extend(dir_diags);
    diags.extend(result.diagnostics.iter().cloned());
    crate::diag::sort_diagnostics(&mut diags);
    eprint_diagnostics(&diags, &run.sources);
    Exit::Ok
}
