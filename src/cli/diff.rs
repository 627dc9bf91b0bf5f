//! `qsa diff OLD NEW`: who gains or loses access, rows or fields between two versions. Each side is a
//! snapshot (its first line is `# qsa snapshot …`) or a script run with the shared flags.

use super::snapshot::{load_snapshot, take};
use super::{DirectoryArgs, Exit, RunArgs, UserArgs};
use crate::report::diff::{self, Diff};
use crate::report::snapshot::{is_snapshot, Snapshot};
use clap::{Args, ValueEnum};
use std::io::Read;
use std::path::{Path, PathBuf};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum DiffFormat {
    /// The summary, then every changed user
    #[default]
    Human,
    /// `{"schema": "qsa.diff/1", …}`: the change list and the summary
    Json,
    /// For a pull-request comment: heading, summary list, per-user table in `<details>`
    Markdown,
}

/// What `diff` and `snapshot` share: how a change is printed, and what a script runs with.
#[derive(Args, Debug)]
pub struct CompareArgs {
    /// Output format of the change (`diff`, `snapshot --check`)
    #[arg(long, value_enum, default_value_t = DiffFormat::Human)]
    pub format: DiffFormat,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    #[command(flatten)]
    pub user: UserArgs,
    /// `--tenant DIR --app X`: a script is evaluated with the tenant tier (tenant.md)
    #[command(flatten)]
    pub tenant: super::tenant::TenantArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

impl CompareArgs {
    /// Run a script with these inputs into a snapshot; `Err` = exit 2, already reported.
    pub(super) fn take(&self, script: &Path) -> Result<Snapshot, Exit> {
        take(script, &self.run, &self.directory, &self.user, &self.tenant)
    }
}

#[derive(Args, Debug)]
pub struct DiffArgs {
    /// The old side: a snapshot (`qsa snapshot --out`) or a script
    pub old: PathBuf,
    /// The new side: a snapshot or a script
    pub new: PathBuf,
    #[command(flatten)]
    pub compare: CompareArgs,
}

pub fn run(args: DiffArgs) -> Exit {
    let old = match side(&args.old, &args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let new = match side(&args.new, &args) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let d = diff::compare(
        &args.old.display().to_string(),
        &old,
        &args.new.display().to_string(),
        &new,
    );
    print_diff(&d, args.compare.format);
    if d.is_change() {
        Exit::Findings
    } else {
        Exit::Ok
    }
}

/// A side: read as a snapshot when its first line says so, else run as a script.
fn side(path: &Path, args: &DiffArgs) -> Result<Snapshot, Exit> {
    let mut head = [0u8; 32];
    let n = match std::fs::File::open(path).and_then(|mut f| read_up_to(&mut f, &mut head)) {
        Ok(n) => n,
        Err(e) => {
            errln!("qsa: cannot read `{}`: {e}", path.display());
            return Err(Exit::CouldNotRun);
        }
    };
    if is_snapshot(&head[..n]) {
        load_snapshot(path)
    } else {
        args.compare.take(path)
    }
}

fn read_up_to(f: &mut std::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// Print a comparison in the chosen format (stdout).
pub(super) fn print_diff(d: &Diff, format: DiffFormat) {
    super::out(&match format {
        DiffFormat::Human => diff::render_human(d),
        DiffFormat::Json => diff::render_json(d),
        DiffFormat::Markdown => diff::render_markdown(d),
    });
}
