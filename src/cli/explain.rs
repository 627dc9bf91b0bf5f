//! `qsa explain SCRIPT --user U (--table T --row N | --value FIELD=VALUE)`: why one user keeps or loses
//! one app row or one field value: who the user is, which security rows applied and which did not (and
//! why), the access level, the selections, and the link through which the row was kept or dropped.
//!
//! `--table` is shared with the run inputs: a value with `=` supplies a table (`--table NAME=FILE`), a
//! value without `=` names the app table to explain (so a table whose name contains `=` cannot be
//! explained by name).

use super::report_cmd::{eprint_diagnostics, load};
use super::{DirectoryArgs, Exit, RunArgs, UserArgs};
use crate::access::directory::{Directory, User};
use crate::access::model::near_misses;
use crate::access::Target;
use crate::diag::{codes, Diagnostic};
use crate::reduce::{self, explain::Question};
use crate::report::explain as render;
use clap::{Args, ValueEnum};
use std::collections::BTreeSet;
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
    #[command(flatten)]
    pub run: RunArgs,
}

/// The question, and the run inputs without the `--table T` that names the explained table.
fn question(args: &ExplainArgs) -> Result<(Question, RunArgs), String> {
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
            _ => {
                return Err(
                    "explain needs --table T --row N (an app row) or --value FIELD=VALUE".into(),
                )
            }
        };
    Ok((q, run))
}

/// `who` among the directory's users, or a message naming the near misses.
fn find_user(dir: &Directory, who: &str) -> Result<User, Box<Diagnostic>> {
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

pub fn run(args: ExplainArgs) -> Exit {
    let Some(who) = args.user.user.clone() else {
        errln!("qsa: explain needs --user ID");
        return Exit::CouldNotRun;
    };
    let (q, run_args) = match question(&args) {
        Ok(x) => x,
        Err(m) => {
            errln!("qsa: {m}");
            return Exit::CouldNotRun;
        }
    };
    let with_dir = !args.directory.directory.is_empty();
    let (run, dir, _catalog, dir_diags) = match load(
        &args.script,
        &run_args,
        &args.directory,
        &args.user,
        !with_dir,
    ) {
        Ok(x) => x,
        Err(e) => return e,
    };
    let user = if with_dir {
        match find_user(&dir, &who) {
            Ok(u) => u,
            Err(d) => {
                eprint_diagnostics(&[*d], &run.sources);
                return Exit::CouldNotRun;
            }
        }
    } else {
        match args.user.to_user() {
            Some(u) => u,
            None => return Exit::CouldNotRun,
        }
    };
    let target: Target = run_args.target.into();
    let prepared = match reduce::prepare(&run, target) {
        Ok(p) => p,
        Err(diags) => {
            errln!("qsa: the Section Access cannot be evaluated faithfully; refusing to explain");
            eprint_diagnostics(&diags, &run.sources);
            return Exit::CouldNotRun;
        }
    };
    let results = prepared.evaluate(std::slice::from_ref(&user), true);
    let Some(result) = results.first() else {
        return Exit::CouldNotRun;
    };
    let explanation = match reduce::explain::explain(&prepared, &user, result, &q) {
        Ok(e) => e,
        Err(e) => {
            errln!("qsa: {e}");
            return Exit::CouldNotRun;
        }
    };
    match args.format {
        ExplainFormat::Json => super::out(&render::render_json(&explanation)),
        ExplainFormat::Human => super::out(&render::render_human(&explanation)),
    }
    let mut diags = prepared.diagnostics.clone();
    diags.extend(dir_diags);
    diags.extend(result.diagnostics.iter().cloned());
    crate::diag::sort_diagnostics(&mut diags);
    eprint_diagnostics(&diags, &run.sources);
    Exit::Ok
}
