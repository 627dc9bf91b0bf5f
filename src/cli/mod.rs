//! The command line. This module tree is the only place in qsa that prints.
//!
//! `mod.rs` holds the argument definitions and the dispatch; each command lives in its own file and returns
//! an [`Exit`] code.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use std::process::ExitCode;

/// `errln!` that never panics: a closed stderr (`qsa … 2>&1 | head`) is not worth a crash.
macro_rules! errln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($t)*);
    }};
}

/// `errp!` that never panics.
macro_rules! errp {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stderr(), $($t)*);
    }};
}

mod check;
mod diff;
mod explain;
mod limits;
mod model_cmd;
mod preview;
mod progress;
mod report_cmd;
mod rules;
mod snapshot;
mod tenant;
mod tenant_one;

/// Exit codes of product.md.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// 0: no errors (check), no change (snapshot --check, diff), done.
    Ok = 0,
    /// 1: errors found (check), changes found (snapshot --check, diff).
    Findings = 1,
    /// 2: could not run: bad flag, unreadable file, or a result that cannot be evaluated faithfully.
    CouldNotRun = 2,
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> ExitCode {
        ExitCode::from(e as u8)
    }
}

#[derive(Parser, Debug)]
#[command(
    name = "qsa",
    version,
    about = "Check Qlik Section Access offline: is the script safe, and what does every user see?"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, build the security model, lint. Exit 0 clean, 1 errors, 2 could not run.
    Check(CheckArgs),
    /// Run the script and print the tables it loads (app and security), keys, synthetic keys and loops.
    Model(ModelArgs),
    /// One user: access, reason, rows kept per table, omitted fields, sample rows.
    Preview(PreviewArgs),
    /// Every user of the directory (or of the security tables): access, reduction, omitted fields.
    Report(ReportArgs),
    /// Write who sees what as a deterministic snapshot (--out FILE), or compare with one (--check FILE).
    Snapshot(snapshot::SnapshotArgs),
    /// Who gains or loses access, rows or fields between two scripts or snapshots. Exit 0 same, 1 changed.
    Diff(diff::DiffArgs),
    /// Why one user keeps or loses an app row (--table T --row N) or a value (--value FIELD=VALUE).
    Explain(explain::ExplainArgs),
    /// The lint catalogue (code, name, severity, one line), or one lint's documentation.
    Rules(rules::RulesArgs),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum DiagFormat {
    /// rustc/ruff-style text with source frames
    #[default]
    Human,
    /// `{"diagnostics": [...]}`
    Json,
    /// SARIF 2.1.0, for code-scanning upload
    Sarif,
    /// GitHub Actions workflow annotations
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum TableFormat {
    #[default]
    Human,
    Json,
    Csv,
    Html,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum TargetArg {
    /// Qlik Cloud (USERID = IdP subject; QlikCloudGroupMode applies)
    #[default]
    Cloud,
    /// Qlik Sense client-managed (USERID = USERDIRECTORY\USERID; directory groups)
    ClientManaged,
}

/// Inputs shared by every command that runs the script.
#[derive(Args, Debug, Clone, Default)]
pub struct RunArgs {
    /// Map `lib://NAME/…` to a folder: `--lib NAME=DIR` (repeatable)
    #[arg(long = "lib", value_name = "NAME=DIR")]
    pub libs: Vec<String>,
    /// Supply a table the script gets from a database (`SQL SELECT`) as a file: `--table NAME=FILE`
    #[arg(long = "table", value_name = "NAME=FILE")]
    pub tables: Vec<String>,
    /// Fix the clock for `Today()`, `Now()`: `--today YYYY-MM-DD` (default: the real date)
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub today: Option<String>,
    /// Stop loops after this many iterations in total (guards against scripts that never end)
    #[arg(long, default_value_t = 1_000_000)]
    pub max_iterations: u64,
    #[command(flatten)]
    pub limits: limits::LimitArgs,
    /// Target product
    #[arg(long, value_enum, default_value_t = TargetArg::Cloud)]
    pub target: TargetArg,
    /// A variable the app defines outside its script: `--var NAME=VALUE` (repeatable). A variable the
    /// script uses but never sets is otherwise unknown, and qsa refuses where it can reach access
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// The user the reload runs as (subject, or USERDIRECTORY\USERID): what `OSUser()` returns, and
    /// (with `check`) a user who must be granted access (rule U2)
    #[arg(long, value_name = "ID")]
    pub reload_user: Option<String>,
    /// Encoding of the script and its includes when they have no byte-order mark, e.g.
    /// `windows-1251` (default: UTF-8 when valid, else windows-1252)
    #[arg(long, value_name = "NAME")]
    pub encoding: Option<String>,
    /// No progress bars on stderr (they are only shown when stderr is a terminal)
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// Script files (`.qvs`)
    #[arg(required = true)]
    pub scripts: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum, default_value_t = DiagFormat::Human)]
    pub format: DiagFormat,
    /// Stop after parsing
    #[arg(long)]
    pub syntax_only: bool,
    /// With `--format sarif`: the absolute URL under which the lint docs (src/lints/docs/CODE.md) are
    /// published; each rule's helpUri is URL/CODE.md (without it, rules carry their docs but no helpUri)
    #[arg(long, value_name = "URL")]
    pub docs_url: Option<String>,
    #[command(flatten)]
    pub lints: LintArgs,
    #[command(flatten)]
    pub tenant: tenant::TenantArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Lint control (`qsa rules` lists codes and names). Layered over the nearest `qsa.toml` beside or above
/// each script.
#[derive(Args, Debug, Clone, Default)]
pub struct LintArgs {
    /// Report these codes or names as errors; `warnings` makes every warning fail (exit 1). Repeat or
    /// separate with commas
    #[arg(long, value_name = "CODE|NAME|warnings", value_delimiter = ',')]
    pub deny: Vec<String>,
    /// Report these lints as warnings
    #[arg(long, value_name = "CODE|NAME", value_delimiter = ',')]
    pub warn: Vec<String>,
    /// Do not report these lints (codes that mean qsa could not run are never silenced)
    #[arg(long, value_name = "CODE|NAME", value_delimiter = ',')]
    pub allow: Vec<String>,
    /// Ignore `qsa.toml` files
    #[arg(long)]
    pub no_config: bool,
}

#[derive(Args, Debug)]
pub struct ModelArgs {
    pub script: PathBuf,
    #[arg(long, value_enum, default_value_t = TableFormat::Human)]
    pub format: TableFormat,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Who to evaluate.
#[derive(Args, Debug, Clone, Default)]
pub struct DirectoryArgs {
    /// Users: simple JSON/CSV, or Qlik Cloud exports (`GET /api/v1/users` pages or `qlik user ls --json`);
    /// repeatable
    #[arg(long = "directory", value_name = "FILE")]
    pub directory: Vec<PathBuf>,
    /// Groups export (`qlik group ls --json`), to classify groups; repeatable
    #[arg(long = "groups", value_name = "FILE")]
    pub groups: Vec<PathBuf>,
}

/// One user given on the command line.
#[derive(Args, Debug, Clone, Default)]
pub struct UserArgs {
    /// The user: subject (cloud) or USERDIRECTORY\USERID (client-managed); with --directory, the user's
    /// subject, e-mail or id there
    #[arg(long)]
    pub user: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    /// An IdP (or, client-managed, directory) group (repeatable)
    #[arg(long = "idp-group", value_name = "G")]
    pub idp_groups: Vec<String>,
    /// A Qlik Cloud custom group (repeatable)
    #[arg(long = "custom-group", value_name = "G")]
    pub custom_groups: Vec<String>,
}

#[derive(Args, Debug)]
pub struct PreviewArgs {
    pub script: PathBuf,
    #[command(flatten)]
    pub user: UserArgs,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    /// Write the user's reduced tables to this folder
    #[arg(long, value_name = "DIR")]
    pub export: Option<PathBuf>,
    /// File format for --export
    #[arg(long, value_enum, default_value_t = ExportFormat::Csv)]
    pub export_format: ExportFormat,
    /// Sample rows shown per table
    #[arg(long, default_value_t = 5)]
    pub rows: usize,
    #[arg(long, value_enum, default_value_t = TableFormat::Human)]
    pub format: TableFormat,
    #[command(flatten)]
    pub tenant: tenant::TenantArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum ExportFormat {
    #[default]
    Csv,
    Parquet,
}

#[derive(Args, Debug)]
pub struct ReportArgs {
    pub script: PathBuf,
    #[command(flatten)]
    pub directory: DirectoryArgs,
    #[command(flatten)]
    pub user: UserArgs,
    #[arg(long, value_enum, default_value_t = TableFormat::Human)]
    pub format: TableFormat,
    /// Print to stderr how the evaluation ran: users, distinct profiles and selections, the engine path
    /// (factorized or message passing) and the time of each phase. Never changes the output.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub tenant: tenant::TenantArgs,
    #[command(flatten)]
    pub run: RunArgs,
}

/// Entry point of the `qsa` binary.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                    Exit::Ok.into()
                }
                _ => Exit::CouldNotRun.into(),
            };
        }
    };
    let exit = match cli.command {
        Command::Check(a) => check::run(a),
        Command::Model(a) => model_cmd::run(a),
        Command::Preview(a) => preview::run(a),
        Command::Report(a) => report_cmd::run(a),
        Command::Snapshot(a) => snapshot::run(a),
        Command::Diff(a) => diff::run(a),
        Command::Explain(a) => explain::run(a),
        Command::Rules(a) => rules::run(a),
    };
    exit.into()
}

impl From<TargetArg> for crate::access::Target {
    fn from(t: TargetArg) -> Self {
        match t {
            TargetArg::Cloud => crate::access::Target::Cloud,
            TargetArg::ClientManaged => crate::access::Target::ClientManaged,
        }
    }
}

impl UserArgs {
    /// The user given on the command line (`--user`, `--email`, `--idp-group`, `--custom-group`).
    pub fn to_user(&self) -> Option<crate::access::directory::User> {
        use crate::access::directory::{Group, Provider, User};
        let mut u = User::new(self.user.clone()?);
        u.email = self.email.clone().filter(|e| !e.is_empty());
        let groups = self.idp_groups.iter().map(|g| (g, Provider::Idp));
        let custom = self.custom_groups.iter().map(|g| (g, Provider::Custom));
        for (name, provider) in groups.chain(custom) {
            u.groups.push(Group {
                name: name.clone(),
                provider,
            });
        }
        Some(u)
    }
}

/// Write a command's output to stdout. A reader that went away (`qsa report … | head`) is not an error
/// and must not panic, as `print!` would: the rest of the output is dropped.
pub(crate) fn out(text: &str) {
    use std::io::Write;
    let mut stdout = std::io::stdout().lock();
    let _ = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
}

/// Like [`out`], for output written piece by piece (a 100 MB JSON report is never held whole).
pub(crate) fn out_with(write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>) {
    use std::io::Write;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    let _ = write(&mut w).and_then(|()| w.flush());
}

/// Split `NAME=VALUE` flag values.
fn split_pairs(flag: &str, items: &[String]) -> Result<Vec<(String, PathBuf)>, String> {
    items
        .iter()
        .map(|s| match s.split_once('=') {
            Some((n, v)) if !n.trim().is_empty() && !v.trim().is_empty() => {
                Ok((n.trim().to_string(), PathBuf::from(v.trim())))
            }
            _ => Err(format!("--{flag} expects NAME=PATH, got `{s}`")),
        })
        .collect()
}

impl RunArgs {
    /// The runner's options, or a message for a malformed flag (exit 2).
    pub fn options(&self) -> Result<crate::script::RunOptions, String> {
        if let Some(t) = &self.today {
            let ok = t.len() == 10
                && t.as_bytes()[4] == b'-'
                && t.as_bytes()[7] == b'-'
                && t.chars()
                    .enumerate()
                    .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
            if !ok {
                return Err(format!("--today expects YYYY-MM-DD, got `{t}`"));
            }
        }
        Ok(crate::script::RunOptions {
            libs: split_pairs("lib", &self.libs)?,
            tables: split_pairs("table", &self.tables)?,
            today: self.today.clone(),
            max_iterations: self.max_iterations,
            limits: self.limits.limits(),
            vars: self
                .vars
                .iter()
                .map(|s| match s.split_once('=') {
                    Some((n, v)) if !n.trim().is_empty() => {
                        Ok((n.trim().to_string(), v.to_string()))
                    }
                    _ => Err(format!("--var expects NAME=VALUE, got `{s}`")),
                })
                .collect::<Result<_, _>>()?,
            reload_user: self.reload_user.clone(),
            encoding: self.encoding()?,
            progress: progress::stderr(self.quiet),
        })
    }

    /// The script encoding of `--encoding`, or a message for an unknown label (exit 2).
    pub fn encoding(&self) -> Result<Option<&'static encoding_rs::Encoding>, String> {
        self.encoding
            .as_deref()
            .map(crate::diag::script_encoding)
            .transpose()
    }
}
