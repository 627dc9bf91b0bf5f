//! The interpreter: runs statements in order, keeps variables, subs, the two sections' tables and the
//! mapping tables, and decides at the end which problems are errors (fail closed) and which are warnings.

use super::eval::{compare, Ctx, EvalError};
use super::expand::{expand_text, Expanded};
use super::faith::Reach;
use super::functions::FnEnv;
use super::sources::{self, PathContext};
use super::{RunOptions, RunResult};
use crate::diag::{codes, Diagnostic, Severity, SourceFile, SourceId, SourceMap, Span};
use crate::model::{DataModel, Incomplete, Table, Value};
use crate::syntax::{self, Block, ExitKind, Expr, ExprKind, Name, SectionKind, Stmt, StmtKind};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

/// Maximum nesting of `CALL`s.
const MAX_CALL_DEPTH: usize = 64;
/// Maximum nesting of `$(include=…)`.
const MAX_INCLUDE_DEPTH: usize = 32;

/// A mapping table (`Mapping LOAD`): first column → second column.
#[derive(Clone, Debug, Default)]
pub(crate) struct Mapping {
    pub pairs: Vec<(Value, Value)>,
    index: HashMap<Value, usize>,
    /// Why the mapping is not known faithfully; every load that applies it inherits these.
    pub incomplete: Vec<Incomplete>,
}

impl Mapping {
    pub fn new(pairs: Vec<(Value, Value)>) -> Self {
        let mut index = HashMap::new();
        for (i, (k, _)) in pairs.iter().enumerate() {
            index.entry(k.clone()).or_insert(i);
        }
        Mapping {
            pairs,
            index,
            incomplete: Vec::new(),
        }
    }
    pub fn get(&self, k: &Value) -> Option<&Value> {
        self.index
            .get(k)
            .and_then(|&i| self.pairs.get(i))
            .map(|(_, v)| v)
    }
    /// `MapSubString`: replace every occurrence of a key (tried in load order at each position).
    pub fn substitute(&self, s: &str) -> String {
        let keys: Vec<(String, String)> = self
            .pairs
            .iter()
            .filter_map(|(k, v)| {
                k.text()
                    .filter(|t| !t.is_empty())
                    .map(|t| (t.into_owned(), v.text_or_empty().into_owned()))
            })
            .collect();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        'outer: while i < s.len() {
            for (k, v) in &keys {
                if s[i..].starts_with(k.as_str()) {
                    out.push_str(v);
                    i += k.len();
                    continue 'outer;
                }
            }
            let Some(c) = s[i..].chars().next() else {
                break;
            };
            out.push(c);
            i += c.len_utf8();
        }
        out
    }
}

/// The state expressions can read.
pub(crate) struct State {
    pub opts: RunOptions,
    /// `--max-memory` ([`crate::limits`]): what the run holds, and whether it went over.
    pub budget: crate::limits::Budget,
    pub vars: BTreeMap<String, String>,
    /// Variables whose value qsa could not compute faithfully, and why.
    pub tainted: BTreeMap<String, Incomplete>,
    pub access: bool,
    pub app: DataModel,
    pub security: DataModel,
    pub mappings: BTreeMap<String, Mapping>,
    pub fn_env: FnEnv,
    /// The table the last load went into: (access section?, name).
    pub last: Option<(bool, String)>,
    /// Tables written by `STORE`, kept in memory by resolved path (never written to disk).
    pub stored: HashMap<PathBuf, Table>,
    /// `QUALIFY`/`UNQUALIFY` patterns in order; the last match wins.
    pub qualify: Vec<(String, bool)>,
    /// `ALIAS a AS b`.
    pub aliases: Vec<(String, String)>,
    /// `NullAsValue` field patterns (`NullAsNull` removes).
    pub null_as_value: Vec<String>,
    /// `MAP field USING map`.
    pub field_maps: Vec<(String, String)>,
    pub inline_counter: usize,
    pub autogen_counter: usize,
    pub directory: Option<String>,
    /// Folder of the file the running statement comes from (relative paths in `FileSize()`,
    /// `QvdCreateTime()`, … resolve against it).
    pub cur_dir: PathBuf,
    /// Incomplete reasons of tables that were dropped: (access section?, reason).
    pub dropped_incomplete: Vec<(bool, Incomplete)>,
    /// Loads whose field list is unknown (e.g. `SELECT *` with no `--table`): they could carry any field.
    pub unknown_fields: Vec<(bool, Incomplete)>,
    /// `AutoNumber()` counters: counter id → (value text → number), numbered by first appearance.
    pub autonumber: std::cell::RefCell<BTreeMap<String, HashMap<String, u64>>>,
    /// Variables the script removed on purpose (`LET v = Null()`, a SUB parameter not passed): known
    /// to be unset, unlike a variable the script never sets (which an app may define outside it).
    pub unset: HashSet<String>,
    /// Why the security model is not known (see `faith`): steps of unknown effect that may have run in
    /// access mode.
    pub access_unknown: Vec<Incomplete>,
    /// Set by `EXECUTE` (or a `Directory` where control flow is unknown): every file read afterwards
    /// may not be what the reload reads.
    pub fs_unknown: Option<Incomplete>,
    /// Reasons every load run now inherits (the statement was expanded from unknown variables).
    pub stmt_taint: Vec<Incomplete>,
    /// Set when a system variable that changes how values are read or formatted (`Verbatim`,
    /// `DateFormat`, `ThousandSep`, …) may hold another value than qsa's: every later load inherits it.
    pub env_unknown: Option<Incomplete>,
    /// Where a `Section Access` statement first ran.
    pub access_seen: Option<(SourceId, Span)>,
    /// The `Star is` symbol in force and where it was set (`None`: no star symbol).
    pub star: Option<(String, SourceId, Span)>,
    /// See [`RunResult::group_mode_at`] / [`RunResult::star_in_app`].
    pub group_mode_at: Option<(SourceId, Span)>,
    pub star_in_app: Vec<super::StarInApp>,
}

/// System variables and their defaults (what a new Qlik Sense app's script sets, en-US).
const SYSTEM_DEFAULTS: &[(&str, &str)] = &[
    ("Verbatim", "0"),
    ("ThousandSep", ","),
    ("DecimalSep", "."),
    ("MoneyThousandSep", ","),
    ("MoneyDecimalSep", "."),
    ("MoneyFormat", "$#,##0.00;-$#,##0.00"),
    ("TimeFormat", "h:mm:ss TT"),
    ("DateFormat", "M/D/YYYY"),
    ("TimestampFormat", "M/D/YYYY h:mm:ss[.fff] TT"),
    ("FirstWeekDay", "6"),
    ("BrokenWeeks", "1"),
    ("ReferenceDay", "0"),
    ("FirstMonthOfYear", "1"),
    ("CollationLocale", "en-US"),
    (
        "MonthNames",
        "Jan;Feb;Mar;Apr;May;Jun;Jul;Aug;Sep;Oct;Nov;Dec",
    ),
    ("DayNames", "Mon;Tue;Wed;Thu;Fri;Sat;Sun"),
];

impl State {
    pub fn new(opts: &RunOptions) -> Self {
        let mut vars = BTreeMap::new();
        for (k, v) in SYSTEM_DEFAULTS {
            vars.insert(k.to_string(), v.to_string());
        }
        let mut st = State {
            opts: opts.clone(),
            budget: crate::limits::Budget::new(opts.limits.max_memory),
            vars,
            tainted: BTreeMap::new(),
            access: false,
            app: DataModel::default(),
            security: DataModel::default(),
            mappings: BTreeMap::new(),
            fn_env: FnEnv::default(),
            last: None,
            stored: HashMap::new(),
            qualify: Vec::new(),
            aliases: Vec::new(),
            null_as_value: Vec::new(),
            field_maps: Vec::new(),
            inline_counter: 0,
            autogen_counter: 0,
            directory: None,
            cur_dir: PathBuf::new(),
            dropped_incomplete: Vec::new(),
            unknown_fields: Vec::new(),
            autonumber: Default::default(),
            unset: HashSet::new(),
            access_unknown: Vec::new(),
            fs_unknown: None,
            stmt_taint: Vec::new(),
            env_unknown: None,
            access_seen: None,
            star: None,
            group_mode_at: None,
            star_in_app: Vec::new(),
        };
        for (k, v) in &opts.vars {
            st.vars.insert(k.clone(), v.clone());
        }
        st.refresh_env();
        st
    }

    /// Rebuild the functions' settings from the system variables.
    pub fn refresh_env(&mut self) {
        let get = |k: &str, d: &str| self.vars.get(k).cloned().unwrap_or_else(|| d.to_string());
        let today = self
            .opts
            .today
            .as_deref()
            .and_then(date_serial)
            .unwrap_or_else(real_today);
        self.fn_env = FnEnv {
            today,
            date_format: get("DateFormat", "M/D/YYYY"),
            timestamp_format: get("TimestampFormat", "M/D/YYYY h:mm:ss[.fff] TT"),
            time_format: get("TimeFormat", "h:mm:ss TT"),
            decimal_sep: get("DecimalSep", "."),
            thousand_sep: get("ThousandSep", ","),
            month_names: get(
                "MonthNames",
                "Jan;Feb;Mar;Apr;May;Jun;Jul;Aug;Sep;Oct;Nov;Dec",
            ),
            day_names: get("DayNames", "Mon;Tue;Wed;Thu;Fri;Sat;Sun"),
            reload_user: self.opts.reload_user.clone(),
            budget: self.budget.clone(),
        };
    }

    /// Has anything in the run so far been loaded unfaithfully? (Then a missing table later on is most
    /// likely a consequence, not a script error.)
    pub fn uncertain(&self) -> bool {
        !self.unknown_fields.is_empty()
            || !self.tainted.is_empty()
            || !self.access_unknown.is_empty()
            || !self.dropped_incomplete.is_empty()
            || self
                .app
                .tables
                .iter()
                .chain(self.security.tables.iter())
                .any(|t| !t.incomplete.is_empty())
    }

    /// One reason anything in the run so far is not known faithfully.
    pub fn any_uncertainty(&self) -> Option<Incomplete> {
        self.app
            .tables
            .iter()
            .chain(self.security.tables.iter())
            .find_map(|t| t.incomplete.first().cloned())
            .or_else(|| self.unknown_fields.first().map(|(_, i)| i.clone()))
            .or_else(|| self.access_unknown.first().cloned())
            .or_else(|| self.dropped_incomplete.first().map(|(_, i)| i.clone()))
            .or_else(|| self.tainted.values().next().cloned())
    }

    /// Why the values of field `f` (in any table of either section) may not be known: a table holding
    /// it is incomplete, or a load whose fields are unknown may hold it.
    pub fn field_uncertainty(&self, f: &str) -> Option<Incomplete> {
        self.app
            .tables
            .iter()
            .chain(self.security.tables.iter())
            .filter(|t| t.fields.iter().any(|x| x == f))
            .find_map(|t| t.incomplete.first().cloned())
            .or_else(|| self.unknown_fields.first().map(|(_, i)| i.clone()))
            .or_else(|| self.access_unknown.first().cloned())
    }

    pub fn verbatim(&self) -> bool {
        self.vars
            .get("Verbatim")
            .and_then(|v| Value::from_loaded_text(v.trim()).as_num())
            .map(|n| n != 0.0)
            .unwrap_or(false)
    }

    /// The current section's tables.
    pub fn model(&self) -> &DataModel {
        if self.access {
            &self.security
        } else {
            &self.app
        }
    }
    pub fn model_mut(&mut self) -> &mut DataModel {
        if self.access {
            &mut self.security
        } else {
            &mut self.app
        }
    }

    /// Find a table: the current section first, then the other one (Qlik's rule), exact name first.
    pub fn table(&self, name: &str) -> Option<&Table> {
        let (a, b) = if self.access {
            (&self.security, &self.app)
        } else {
            (&self.app, &self.security)
        };
        a.table(name).or_else(|| b.table(name))
    }

    /// Which section holds table `name` (`true` = access), searching like [`State::table`].
    pub fn locate(&self, name: &str) -> Option<bool> {
        let (a, b) = if self.access {
            (&self.security, &self.app)
        } else {
            (&self.app, &self.security)
        };
        if a.table(name).is_some() {
            Some(self.access)
        } else if b.table(name).is_some() {
            Some(!self.access)
        } else {
            None
        }
    }

    /// Tables left without fields are not part of a Qlik model: remove them from one section, keeping
    /// their fail-closed reasons.
    pub fn drop_fieldless_tables(&mut self, access: bool) {
        let mut dropped = Vec::new();
        self.section_mut(access).tables.retain(|t| {
            if t.fields.is_empty() {
                dropped.extend(t.incomplete.iter().cloned());
                false
            } else {
                true
            }
        });
        self.dropped_incomplete
            .extend(dropped.into_iter().map(|i| (access, i)));
    }

    pub fn section_mut(&mut self, access: bool) -> &mut DataModel {
        if access {
            &mut self.security
        } else {
            &mut self.app
        }
    }

    pub fn mapping(&self, name: &str) -> Option<&Mapping> {
        self.mappings.get(name).or_else(|| {
            self.mappings
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, m)| m)
        })
    }

    pub fn last_table(&self) -> Option<&Table> {
        let (access, name) = self.last.as_ref()?;
        let model = if *access { &self.security } else { &self.app };
        model.table(name)
    }

    /// Distinct values of a field across the current section, in load order.
    pub fn field_values(&self, field: &str) -> Vec<Value> {
        let mut seen = HashSet::new();
        let mut out = Vec::new();
        for t in &self.model().tables {
            if let Some(col) = t.column(field) {
                for v in col.used_values() {
                    if seen.insert(v.clone()) {
                        out.push(v.clone());
                    }
                }
            }
        }
        out
    }

    pub fn path_context(&self, dir: &Path) -> PathContext {
        PathContext {
            script_dir: dir.to_path_buf(),
            directory: self.directory.clone(),
            libs: self.opts.libs.clone(),
        }
    }
}

/// `YYYY-MM-DD` → Qlik date serial (days since 1899-12-30).
pub(crate) fn date_serial(s: &str) -> Option<f64> {
    let mut it = s.split('-');
    let y: i64 = it.next()?.parse().ok()?;
    let m: i64 = it.next()?.parse().ok()?;
    let d: i64 = it.next()?.parse().ok()?;
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return None;
    }
    Some((days_from_civil(y, m, d) - days_from_civil(1899, 12, 30)) as f64)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn real_today() -> f64 {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    (secs / 86400) as f64 + 25569.0
}

/// A defined SUB.
pub(crate) struct SubDef {
    pub params: Vec<Name>,
    pub body: Block,
    pub cx: Cx,
}

/// Where a statement's text lives.
#[derive(Clone)]
pub(crate) struct Cx {
    pub src: SourceId,
    pub text: Arc<str>,
    /// Folder of the file the statement comes from (includes and relative paths resolve against it).
    pub dir: PathBuf,
}

impl Cx {
    pub fn slice(&self, span: Span) -> &str {
        self.text.get(span.range()).unwrap_or("")
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Flow {
    Normal,
    ExitFor,
    ExitDo,
    ExitSub,
    ExitScript,
    /// A guard tripped: stop everything.
    Abort,
}

/// Why a control value is not available.
pub(crate) enum NotKnown {
    /// An error was reported.
    Failed,
    /// It reads something qsa could not compute (see `faith`): why.
    Unknown(Incomplete),
}

/// What an assignment to `name` reaches when its value is unknown: that variable, or, when the name
/// itself comes from an expansion (`SET $(v) = …`), any variable (`QlikCloudGroupMode` included).
pub(crate) fn var_reach(name: &str) -> Reach {
    if name.contains("$(") {
        Reach::Access
    } else {
        Reach::Var(name.to_string())
    }
}

/// System variables that change how loads read or show values (S5 `Verbatim`, number and date
/// interpretation, NULL handling).
pub(crate) fn is_format_variable(name: &str) -> bool {
    SYSTEM_DEFAULTS.iter().any(|(k, _)| *k == name)
        || ["NullInterpret", "NullValue", "OtherSymbol"].contains(&name)
}

/// What a load of unknown table and fields in the current section reaches.
pub(crate) fn load_reach(access: bool) -> Reach {
    if access {
        Reach::Access
    } else {
        Reach::Load { access }
    }
}

/// (source, statement start, expanded text)
type ExpansionKey = (SourceId, usize, String);
/// An included file's text, its source and its statements ([`Runner::include_cache`]).
type IncludedFile = (Arc<str>, SourceId, Rc<Vec<Stmt>>);

pub(crate) struct Runner {
    pub st: State,
    pub sources: SourceMap,
    pub diags: Vec<Diagnostic>,
    iterations: u64,
    /// Rows processed so far (`--max-rows-processed`, [`Runner::processed`]), and whether QSA104 was
    /// reported for it.
    rows_processed: u64,
    rows_reported: bool,
    call_depth: usize,
    include_depth: usize,
    subs: HashMap<String, Rc<SubDef>>,
    expansion_cache: HashMap<ExpansionKey, (SourceId, Rc<Vec<Stmt>>)>,
    /// Files included so far, by path: their text, source and statements, so that a file included again
    /// with the same text (an include inside a loop) is neither kept nor parsed again.
    include_cache: HashMap<PathBuf, Vec<IncludedFile>>,
    warned: HashSet<(SourceId, usize, String)>,
    /// Errors of statements that do not parse, by (source, statement start), until they run.
    held_errors: BTreeMap<(SourceId, usize), Vec<Diagnostic>>,
    /// `--max-memory` bookkeeping (`memory.rs`).
    pub(crate) memory: super::memory::Accounting,
}

/// Run a loaded script.
pub(crate) fn run(sources: SourceMap, main: SourceId, opts: &RunOptions) -> RunResult {
    let mut r = Runner {
        st: State::new(opts),
        sources,
        diags: Vec::new(),
        iterations: 0,
        rows_processed: 0,
        rows_reported: false,
        call_depth: 0,
        include_depth: 0,
        subs: HashMap::new(),
        expansion_cache: HashMap::new(),
        include_cache: HashMap::new(),
        warned: HashSet::new(),
        held_errors: BTreeMap::new(),
        memory: Default::default(),
    };
    let Some(file) = r.sources.get(main) else {
        return RunResult {
            sources: r.sources,
            main,
            ..Default::default()
        };
    };
    let text = file.text.clone();
    let dir = file
        .path
        .as_deref()
        .and_then(Path::parent)
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let statements = r.parse_file(main, &text);
    let cx = Cx {
        src: main,
        text,
        dir,
    };
    let _ = r.exec_block(&statements, &cx);
    r.finish(main)
}

impl Runner {
    /// A SUB defined so far (`key` lower-case).
    pub(crate) fn sub(&self, key: &str) -> Option<Rc<SubDef>> {
        self.subs.get(key).cloned()
    }

    /// Parse a script file (main or included). `DEFERRED` notes are dropped: the runner expands and
    /// parses those statements when it reaches them.
    ///
    /// The errors of a statement that does not parse are held until the statement runs: Qlik reads a
    /// statement when it reaches it, so one in a branch that never runs does not fail the reload (see
    /// [`Runner::run_error_statement`]).
    fn parse_file(&mut self, id: SourceId, text: &str) -> Vec<Stmt> {
        // An empty file or one with NUL bytes is a broken save or export (or not a script at all), never a
        // script to run as if it said nothing.
        if text.trim().is_empty() {
            self.diags.push(
                Diagnostic::error(codes::SYNTAX, "the script file is empty")
                    .at(id, Span::empty(0), "empty")
                    .with_help("a script that loads nothing is still a file with statements; was it saved or exported completely?"),
            );
            return Vec::new();
        }
        if let Some(at) = text.find('\0') {
            self.diags.push(
                Diagnostic::error(
                    codes::SYNTAX,
                    "a NUL byte: this is not script text (a corrupt or binary file?)",
                )
                .at(id, Span::new(at, at + 1), "NUL byte here"),
            );
            return Vec::new();
        }
        let parsed = syntax::parse_script(id, text);
        let mut spans = Vec::new();
        error_statements(&parsed.script.statements, &mut spans);
        for d in parsed.diagnostics {
            if d.code == DEFERRED {
                continue;
            }
            let held = d
                .primary
                .as_ref()
                .filter(|l| d.is_error() && l.source == id)
                .and_then(|l| {
                    spans
                        .iter()
                        .find(|s| s.start <= l.span.start && l.span.start <= s.end)
                        .copied()
                });
            match held {
                Some(s) => self.held_errors.entry((id, s.start)).or_default().push(d),
                _ => self.diags.push(d),
            }
        }
        parsed.script.statements
    }

    /// A statement that does not parse is reached: its held errors are reported now.
    pub(crate) fn run_error_statement(&mut self, cx: &Cx, span: Span) {
        if let Some(d) = self.held_errors.remove(&(cx.src, span.start)) {
            self.diags.extend(d);
        }
    }

    /// A statement that does not parse may run (control flow is unknown): if it runs, the reload fails.
    pub(crate) fn maybe_error_statement(&mut self, cx: &Cx, span: Span) -> bool {
        self.held_errors.contains_key(&(cx.src, span.start))
    }

    pub(crate) fn diag(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    pub(crate) fn error_at(
        &mut self,
        code: &'static str,
        cx: &Cx,
        span: Span,
        msg: impl Into<String>,
    ) {
        let msg = msg.into();
        self.diags
            .push(Diagnostic::error(code, msg).at(cx.src, span, ""));
    }

    /// A table, field or mapping a statement names does not exist. When an earlier step was not run
    /// faithfully, it most likely would exist: the statement's effect is unknown (recorded, decided at
    /// the end of the run). Otherwise Qlik stops the reload: an error.
    ///
    /// A `DROP` of what does not exist is `harmless` then: had the step run, the table or field would be
    /// gone now all the same (a warning).
    pub(crate) fn not_found(&mut self, msg: String, cx: &Cx, span: Span) {
        self.not_found_or(msg, cx, span, false)
    }

    pub(crate) fn not_found_or(&mut self, msg: String, cx: &Cx, span: Span, harmless: bool) {
        match self.st.any_uncertainty() {
            Some(u) if harmless => self.diags.push(
                Diagnostic::warning(
                    codes::TABLE_NOT_FOUND,
                    format!(
                        "{msg}, most likely because an earlier step could not run ({})",
                        u.reason
                    ),
                )
                .at(cx.src, span, "not found"),
            ),
            Some(u) => {
                let access = self.st.access;
                self.unfaithful(
                    load_reach(access),
                    Incomplete {
                        reason: format!(
                            "{msg}, most likely because an earlier step could not run ({})",
                            u.reason
                        ),
                        at: Some((cx.src, span)),
                    },
                );
            }
            None => self
                .diags
                .push(Diagnostic::error(codes::TABLE_NOT_FOUND, msg).at(cx.src, span, "not found")),
        }
    }

    /// Count one loop iteration; `false` (and an error) when the guard trips.
    fn tick(&mut self, cx: &Cx, span: Span) -> bool {
        self.iterations += 1;
        if self.iterations > self.st.opts.max_iterations {
            let max = self.st.opts.max_iterations;
            self.diags.push(
                Diagnostic::error(
                    codes::ITERATION_LIMIT,
                    format!("the script ran more than {max} loop iterations; stopped"),
                )
                .at(
                    cx.src,
                    span,
                    "this loop was running when the limit was reached",
                )
                .with_help("raise the limit with --max-iterations if the script really needs it"),
            );
            return false;
        }
        true
    }

    /// Count `rows` rows a statement read, generated, joined or wrote (`--max-rows-processed`); the run
    /// stops after the statement once the count passes the limit ([`Runner::over_rows`]).
    pub(crate) fn processed(&mut self, rows: usize) {
        self.rows_processed = self.rows_processed.saturating_add(rows as u64);
    }

    /// Whether the rows processed so far are within `--max-rows-processed`. A load that finds they are not
    /// stops making rows and fails; [`Runner::over_rows`] then reports it and stops the run.
    pub(crate) fn rows_left(&self) -> bool {
        self.rows_processed <= self.st.opts.limits.max_rows_processed
    }

    /// `true` (and QSA104, once) when the run has processed more rows than `--max-rows-processed`: the
    /// run stops, as at the memory limit. Every load, join and store counts its rows, so this bounds the
    /// work of loops whose bodies re-read (RESIDENT, JOIN) the tables they grow, which no other limit
    /// does in reasonable time.
    fn over_rows(&mut self, span: Span, cx: &Cx) -> bool {
        let max = self.st.opts.limits.max_rows_processed;
        if self.rows_processed <= max {
            return false;
        }
        if !self.rows_reported {
            self.rows_reported = true;
            self.diags.push(
                Diagnostic::error(
                    codes::ITERATION_LIMIT,
                    format!(
                        "the script processed more than {max} rows (loads in and out, their fields, joins and stores, all together: {} so far); stopped",
                        self.rows_processed
                    ),
                )
                .at(cx.src, span, "the limit was reached while running this")
                .with_help("raise the limit with --max-rows-processed if the script really needs it"),
            );
        }
        true
    }

    pub(crate) fn exec_block(&mut self, stmts: &[Stmt], cx: &Cx) -> Flow {
        for s in stmts {
            let flow = self.exec_stmt(s, cx, true);
            if self.over_memory(s.span, cx) || self.over_rows(s.span, cx) {
                return Flow::Abort;
            }
            if flow != Flow::Normal {
                return flow;
            }
        }
        Flow::Normal
    }

    fn is_control(kind: &StmtKind) -> bool {
        matches!(
            kind,
            StmtKind::If { .. }
                | StmtKind::For { .. }
                | StmtKind::ForEach { .. }
                | StmtKind::Do { .. }
                | StmtKind::Sub { .. }
                | StmtKind::Switch { .. }
                | StmtKind::Exit { .. }
                | StmtKind::Call { .. }
                | StmtKind::Include { .. }
        )
    }

    fn exec_stmt(&mut self, stmt: &Stmt, cx: &Cx, allow_expand: bool) -> Flow {
        if self.st.cur_dir != cx.dir {
            self.st.cur_dir = cx.dir.clone();
        }
        // A statement the parser already classed as unsupported is reported as such; expanding and
        // re-parsing it on its own (e.g. a preceding LOAD cut off by a control statement) would only
        // add a misleading second error.
        let unsupported = matches!(stmt.kind, StmtKind::Unsupported { .. });
        if !Self::is_control(&stmt.kind)
            && !unsupported
            && allow_expand
            && cx.slice(stmt.span).contains("$(")
        {
            return self.exec_expanded(stmt, cx);
        }
        match &stmt.kind {
            StmtKind::Include { must, path } => {
                self.exec_include(*must, path.text.as_str(), stmt.span, cx)
            }
            StmtKind::If {
                branches,
                otherwise,
                extra_else,
            } => self.exec_if(branches, otherwise.as_ref(), extra_else, cx),
            StmtKind::For {
                var,
                from,
                to,
                step,
                body,
            } => self.exec_for(var, from, to, step.as_ref(), body, stmt.span, cx),
            StmtKind::ForEach { var, items, body } => {
                self.exec_for_each(var, items, body, stmt.span, cx)
            }
            StmtKind::Do { pre, body, post } => {
                loop {
                    if let Some(p) = pre {
                        match self.cond(&p.cond, cx) {
                            Ok(c) if c != p.until => {}
                            Err(NotKnown::Unknown(inc)) => {
                                self.unknown_blocks(&[body], &inc, cx);
                                break;
                            }
                            _ => break,
                        }
                    }
                    if !self.tick(cx, stmt.span) {
                        return Flow::Abort;
                    }
                    match self.exec_block(&body.statements, cx) {
                        Flow::Normal => {}
                        Flow::ExitDo => break,
                        other => return other,
                    }
                    if let Some(p) = post {
                        match self.cond(&p.cond, cx) {
                            Ok(c) if c != p.until => {}
                            Err(NotKnown::Unknown(inc)) => {
                                self.unknown_blocks(&[body], &inc, cx);
                                break;
                            }
                            _ => break,
                        }
                    }
                }
                Flow::Normal
            }
            StmtKind::Sub { name, params, body } => {
                let sub = SubDef {
                    params: params.clone(),
                    body: body.clone(),
                    cx: cx.clone(),
                };
                self.subs
                    .insert(name.text.to_ascii_lowercase(), Rc::new(sub));
                Flow::Normal
            }
            StmtKind::Call {
                name,
                args,
                raw_args,
            } => self.exec_call(name, args, raw_args.as_ref(), stmt.span, cx),
            StmtKind::Switch {
                subject,
                cases,
                default,
            } => {
                let unknown = |r: &mut Self, from: usize, inc: &Incomplete| {
                    let mut blocks: Vec<&Block> = cases[from..].iter().map(|c| &c.body).collect();
                    blocks.extend(default.iter());
                    r.unknown_blocks(&blocks, inc, cx);
                    Flow::Normal
                };
                let v = match self.value(subject, cx) {
                    Ok(v) => v,
                    Err(NotKnown::Failed) => return Flow::Normal,
                    Err(NotKnown::Unknown(inc)) => return unknown(self, 0, &inc),
                };
                for (i, case) in cases.iter().enumerate() {
                    for cv in &case.values {
                        let c = match self.value(cv, cx) {
                            Ok(c) => c,
                            Err(NotKnown::Failed) => return Flow::Normal,
                            Err(NotKnown::Unknown(inc)) => return unknown(self, i, &inc),
                        };
                        if compare(&v, &c) == Some(Ordering::Equal) {
                            return self.exec_block(&case.body.statements, cx);
                        }
                    }
                }
                match default {
                    Some(b) => self.exec_block(&b.statements, cx),
                    None => Flow::Normal,
                }
            }
            StmtKind::Conditional { conds, stmt: inner } => {
                self.exec_conditional(conds, inner, cx, allow_expand)
            }
            StmtKind::Exit {
                what,
                message,
                cond,
            } => self.exec_exit(*what, message.as_ref(), cond.as_ref(), stmt.span, cx),
            _ => {
                self.exec_regular(stmt, cx);
                Flow::Normal
            }
        }
    }

    /// `IF … END IF` (kept out of [`Runner::exec_stmt`], whose stack frame every nesting level and CALL
    /// repeats).
    #[inline(never)]
    fn exec_if(
        &mut self,
        branches: &[syntax::IfBranch],
        otherwise: Option<&Block>,
        extra_else: &[Block],
        cx: &Cx,
    ) -> Flow {
        let mut taken = otherwise;
        for (i, b) in branches.iter().enumerate() {
            match self.cond(&b.cond, cx) {
                Ok(true) => {
                    taken = Some(&b.body);
                    break;
                }
                Ok(false) => {}
                Err(NotKnown::Failed) => return Flow::Normal,
                Err(NotKnown::Unknown(inc)) => {
                    let mut blocks: Vec<&Block> = branches[i..].iter().map(|b| &b.body).collect();
                    blocks.extend(otherwise);
                    blocks.extend(extra_else);
                    self.unknown_blocks(&blocks, &inc, cx);
                    return Flow::Normal;
                }
            }
        }
        let flow = match taken {
            Some(b) => self.exec_block(&b.statements, cx),
            None => Flow::Normal,
        };
        if flow == Flow::Normal {
            if let Some(first) = extra_else.first() {
                // qsa reads a second ELSE as dead; Qlik does not document it, so what it would change
                // is not known either way.
                let blocks: Vec<&Block> = extra_else.iter().collect();
                let inc = Incomplete {
                    reason: "Qlik does not document an IF with a second ELSE".into(),
                    at: Some((cx.src, first.span)),
                };
                self.maybe_run_blocks(
                    &blocks,
                    &inc,
                    "qsa reads the body of a second ELSE as never run, a reading of its own",
                    cx,
                );
            }
        }
        flow
    }

    /// `WHEN c stmt` / `UNLESS c stmt` (kept out of [`Runner::exec_stmt`], whose stack frame every
    /// nesting level and CALL repeats).
    #[inline(never)]
    fn exec_conditional(
        &mut self,
        conds: &[syntax::Condition],
        inner: &Stmt,
        cx: &Cx,
        allow_expand: bool,
    ) -> Flow {
        // `WHEN c stmt` / `UNLESS c stmt`: like `IF c THEN stmt END IF`, an unknown condition runs
        // nothing and records what the statement could have changed.
        for c in conds {
            match self.cond(&c.cond, cx) {
                Ok(v) if v != c.unless => {}
                Ok(_) | Err(NotKnown::Failed) => return Flow::Normal,
                Err(NotKnown::Unknown(inc)) => {
                    let block = Block {
                        statements: vec![inner.clone()],
                        span: inner.span,
                    };
                    self.unknown_blocks(&[&block], &inc, cx);
                    return Flow::Normal;
                }
            }
        }
        self.exec_stmt(inner, cx, allow_expand)
    }

    /// `EXIT …` (kept out of [`Runner::exec_stmt`] too).
    #[inline(never)]
    fn exec_exit(
        &mut self,
        what: ExitKind,
        message: Option<&Expr>,
        cond: Option<&syntax::Condition>,
        span: Span,
        cx: &Cx,
    ) -> Flow {
        if let Some(c) = cond {
            match self.cond(&c.cond, cx) {
                Ok(v) if v != c.unless => {}
                Ok(_) | Err(NotKnown::Failed) => return Flow::Normal,
                Err(NotKnown::Unknown(inc)) => {
                    // Whether the rest of the loop, SUB or script runs (or, for EXIT ERROR,
                    // whether the reload fails) is unknown.
                    let reason = if what == ExitKind::Error {
                        format!(
                            "whether this EXIT ERROR fails the reload depends on {}",
                            inc.reason
                        )
                    } else {
                        format!(
                            "whether this EXIT runs depends on {}; what follows it may not run",
                            inc.reason
                        )
                    };
                    self.access_unknown(reason, cx, span);
                    return Flow::Normal;
                }
            }
        }
        match what {
            ExitKind::Script => {
                if message.is_some() {
                    // `EXIT SCRIPT (message)`: not documented (the parser warned).
                    self.access_unknown("EXIT SCRIPT followed by a message, a form Qlik does not document, ran here: Qlik may end the script or fail the reload (then nothing new is published)".into(), cx, span);
                }
                Flow::ExitScript
            }
            ExitKind::For => Flow::ExitFor,
            ExitKind::Do => Flow::ExitDo,
            ExitKind::Sub => Flow::ExitSub,
            ExitKind::Error => {
                self.exit_error(message, span, cx);
                Flow::Abort
            }
        }
    }

    /// An `EXIT ERROR` ran: the reload fails with its message
    /// (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/ChartLevelScripting/ControlStatements/exit-error.htm).
    /// A failed reload publishes nothing new, so the script's answer is a refusal.
    #[inline(never)]
    fn exit_error(&mut self, message: Option<&Expr>, span: Span, cx: &Cx) {
        let text = match message.map(|m| self.value(m, cx)) {
            Some(Ok(v)) => format!("`{}`", v.text_or_empty()),
            Some(Err(NotKnown::Unknown(inc))) => format!("unknown ({})", inc.reason),
            Some(Err(NotKnown::Failed)) | None => "not computed".into(),
        };
        self.diags.push(
            Diagnostic::error(
                codes::RELOAD_FAILS,
                format!("the reload fails here: EXIT ERROR, message {text}"),
            )
            .at(cx.src, span, "EXIT ERROR runs")
            .with_help("a failed reload publishes nothing new: the app keeps its previous data and Section Access, so qsa says nothing about this script's users; fix what makes this statement run"),
        );
    }

    /// Expand a regular statement's text and run what it parses to (S6).
    fn exec_expanded(&mut self, stmt: &Stmt, cx: &Cx) -> Flow {
        let raw = cx.slice(stmt.span).to_string();
        let exp = expand_text(&self.st, &raw, 0);
        self.report_expansion(&exp, cx, stmt.span, &stmt.kind);
        // Variables qsa could not compute (or that nothing set) flow into whatever this statement does.
        let taint = self.expansion_taint(&exp, cx, stmt.span);
        if exp.text.trim().trim_end_matches(';').trim().is_empty() {
            if let Some(inc) = taint.first() {
                // The whole statement came from an unknown variable.
                let access = self.st.access;
                self.unfaithful(load_reach(access), inc.clone());
            }
            return Flow::Normal;
        }
        let key = (cx.src, stmt.span.start, exp.text.clone());
        let (id, stmts) = match self.expansion_cache.get(&key) {
            Some((id, s)) => (*id, s.clone()),
            None => {
                let name = format!(
                    "<expansion of {}>",
                    self.sources
                        .get(cx.src)
                        .map(|f| f.name.as_str())
                        .unwrap_or("script")
                );
                // The expanded text is kept (diagnostics point into it).
                let _ = self.st.budget.reserve(exp.text.len() as u64, || {
                    "the text `$(…)` expansion produced so far".to_string()
                });
                let mut file = SourceFile::new(name, None, exp.text.as_str());
                file.expanded_from = Some((cx.src, stmt.span));
                let id = self.sources.add(file);
                let parsed = syntax::parse_statements(id, &exp.text);
                if !taint.is_empty() && parsed.has_errors() {
                    // The text only breaks because a variable qsa could not compute is empty: part of
                    // that problem (decided at the end), not a script error.
                    let first = &taint[0];
                    let inc = Incomplete {
                        reason: format!("statement skipped: {}", first.reason),
                        at: Some((cx.src, stmt.span)),
                    };
                    self.skipped_effects(&stmt.kind, inc);
                    self.diags
                        .extend(parsed.diagnostics.into_iter().filter(|d| !d.is_error()));
                    let stmts = Rc::new(Vec::new());
                    self.expansion_cache.insert(key, (id, stmts.clone()));
                    return Flow::Normal;
                }
                self.diags.extend(parsed.diagnostics);
                let stmts = Rc::new(parsed.script.statements);
                self.expansion_cache.insert(key, (id, stmts.clone()));
                (id, stmts)
            }
        };
        let sub = Cx {
            src: id,
            text: Arc::from(exp.text.as_str()),
            dir: cx.dir.clone(),
        };
        let saved = std::mem::replace(&mut self.st.stmt_taint, taint.clone());
        self.st.stmt_taint.extend(saved.iter().cloned());
        // `SET $(v) = …` with `v` unknown: which variable it assigns is unknown too.
        if let Some(inc) = taint.first() {
            let names: Vec<&Name> = match &stmt.kind {
                StmtKind::Let { name, .. } | StmtKind::Set { name, .. } => vec![name],
                StmtKind::DropVariables { names } => names.iter().collect(),
                _ => Vec::new(),
            };
            if names.iter().any(|n| n.text.contains("$(")) {
                self.unfaithful(Reach::Access, inc.clone());
            }
        }
        let mut flow = Flow::Normal;
        for s in stmts.iter() {
            flow = self.exec_stmt(s, &sub, false);
            if let Some(inc) = taint.first() {
                self.expanded_effects(s, inc);
            }
            if flow != Flow::Normal {
                break;
            }
        }
        self.st.stmt_taint = saved;
        flow
    }

    /// What a statement that was not run, because its text only breaks after expanding variables qsa
    /// could not compute, may have changed.
    fn skipped_effects(&mut self, kind: &StmtKind, inc: Incomplete) {
        match kind {
            StmtKind::Conditional { stmt, .. } => self.skipped_effects(&stmt.kind, inc),
            StmtKind::Let { name, .. } | StmtKind::Set { name, .. } => {
                self.unfaithful(var_reach(&name.text), inc)
            }
            StmtKind::DropVariables { names } => {
                for n in names {
                    self.unfaithful(var_reach(&n.text), inc.clone());
                }
            }
            _ => {
                let access = self.st.access;
                self.unfaithful(load_reach(access), inc);
            }
        }
    }

    /// What a statement read from text with unknown variables in it changed: loads carry the reason
    /// themselves (`stmt_taint`); the rest is recorded here.
    fn expanded_effects(&mut self, s: &Stmt, inc: &Incomplete) {
        let access = self.st.access;
        match &s.kind {
            StmtKind::Conditional { stmt, .. } => self.expanded_effects(stmt, inc),
            StmtKind::Set { name, .. } | StmtKind::Let { name, .. } => {
                self.unfaithful(Reach::Var(name.text.clone()), inc.clone())
            }
            StmtKind::DropVariables { names } => {
                for n in names {
                    self.unfaithful(Reach::Var(n.text.clone()), inc.clone());
                }
            }
            StmtKind::Section(_) => self.unfaithful(Reach::Access, inc.clone()),
            // Loads carry the reason themselves.
            StmtKind::Load(_) => {}
            k if super::faith::changes_tables(k) => {
                self.unfaithful(load_reach(access), inc.clone())
            }
            StmtKind::Directory { .. } => {
                self.st.fs_unknown.get_or_insert(inc.clone());
            }
            _ => {}
        }
    }

    /// Why a `$(…)` expansion's text is not known: the unknown variables it used (computed unfaithfully,
    /// or never set by the script), each as a reason located at `span`.
    pub(crate) fn expansion_taint(&self, exp: &Expanded, cx: &Cx, span: Span) -> Vec<Incomplete> {
        let mut out: Vec<Incomplete> = exp
            .tainted
            .iter()
            .filter_map(|v| self.st.tainted.get(v).cloned())
            .collect();
        for u in &exp.undefined {
            if !self.st.unset.contains(u) {
                out.push(self.never_set(u, cx, span));
            }
        }
        if exp.unterminated {
            out.push(Incomplete {
                reason: "a `$(` expansion is never closed: qsa keeps its text verbatim, but how Qlik expands the rest of the statement is not known".into(),
                at: Some((cx.src, span)),
            });
        }
        out
    }

    /// A variable the script reads but never set.
    pub(crate) fn never_set(&self, name: &str, cx: &Cx, span: Span) -> Incomplete {
        Incomplete {
            reason: format!(
                "variable `{name}` is used but never set by the script, and an app can define variables outside its script (pass --var {name}=VALUE)"
            ),
            at: Some((cx.src, span)),
        }
    }

    fn report_expansion(&mut self, exp: &Expanded, cx: &Cx, span: Span, kind: &StmtKind) {
        for e in &exp.errors {
            self.diags.push(
                Diagnostic::error(codes::EXPANSION, e.clone())
                    .at(cx.src, span, "while expanding this statement")
                    .with_rule("S6"),
            );
        }
        fn matters(kind: &StmtKind) -> bool {
            match kind {
                StmtKind::Conditional { stmt, .. } => matters(&stmt.kind),
                k => matches!(
                    k,
                    StmtKind::Load(_)
                        | StmtKind::Drop { .. }
                        | StmtKind::DropVariables { .. }
                        | StmtKind::Rename { .. }
                        | StmtKind::Store { .. }
                        | StmtKind::Let { .. }
                        | StmtKind::Set { .. }
                ),
            }
        }
        let matters = matters(kind);
        for u in &exp.undefined {
            if self.warned.insert((cx.src, span.start, u.clone())) {
                let d = Diagnostic::new(
                    codes::UNDEFINED_VARIABLE,
                    if matters {
                        Severity::Warning
                    } else {
                        Severity::Info
                    },
                    format!("variable `{u}` is not defined here: `$({u})` expands to nothing"),
                )
                .at(cx.src, span, format!("`$({u})` used here"))
                .with_rule("S6")
                .with_help("variables are case-sensitive; SET or LET it before this statement");
                self.diags.push(d);
            }
        }
    }

    /// Evaluate a control statement's expression (expanding its text first when it contains `$(`).
    /// `Failed` after reporting an error; `Unknown` when it reads something qsa could not compute.
    pub(crate) fn value(&mut self, e: &Expr, cx: &Cx) -> Result<Value, NotKnown> {
        let raw = cx.slice(e.span);
        let owned;
        let expr = if raw.contains("$(") {
            let exp = expand_text(&self.st, raw, 0);
            let kind = StmtKind::Disconnect;
            self.report_expansion(&exp, cx, e.span, &kind);
            if let Some(inc) = self.expansion_taint(&exp, cx, e.span).into_iter().next() {
                return Err(NotKnown::Unknown(inc));
            }
            if exp.text.trim().is_empty() {
                return Ok(Value::Null);
            }
            match syntax::parse_expr(cx.src, &exp.text) {
                Ok(x) => {
                    owned = x;
                    &owned
                }
                Err(_) => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::EXPRESSION,
                            format!(
                                "after expansion, `{}` is not an expression",
                                exp.text.trim()
                            ),
                        )
                        .at(cx.src, e.span, "this expression")
                        .with_rule("S6"),
                    );
                    return Err(NotKnown::Failed);
                }
            }
        } else {
            e
        };
        if let Some(inc) = self.unknown_reads(expr, cx, e.span, true) {
            return Err(NotKnown::Unknown(inc));
        }
        let res = Ctx::plain(&self.st).eval(expr);
        match res {
            Ok(v) => Ok(v),
            // Something qsa does not implement or cannot know offline (a function of the machine, a
            // file it cannot see): which way the script goes is unknown, not an error.
            Err(err) if err.unsupported => Err(NotKnown::Unknown(Incomplete {
                reason: err.message,
                at: Some((cx.src, e.span)),
            })),
            Err(err) => {
                let span = if raw.contains("$(") { e.span } else { err.span };
                self.diags.push(
                    Diagnostic::error(
                        codes::EXPRESSION,
                        format!("cannot evaluate: {}", err.message),
                    )
                    .at(cx.src, span, "")
                    .with_help("qsa cannot tell which way the script goes from here"),
                );
                Err(NotKnown::Failed)
            }
        }
    }

    fn cond(&mut self, e: &Expr, cx: &Cx) -> Result<bool, NotKnown> {
        self.value(e, cx).map(|v| v.truthy())
    }

    /// Why an expression's value is not known, if it is not: it reads a table or field qsa could not
    /// load faithfully (`Peek`, `Lookup`, `NoOfRows`, `Exists`, `FieldValue`, …, a table that does not
    /// exist because an earlier load could not run), or, outside a row (`control`), a variable by bare
    /// name that is unknown or never set.
    pub(crate) fn unknown_reads(
        &self,
        e: &Expr,
        cx: &Cx,
        span: Span,
        control: bool,
    ) -> Option<Incomplete> {
        /// Table-reading functions and the position of their table argument.
        const TABLE_READERS: &[(&str, usize)] = &[
            ("peek", 2),
            ("lookup", 3),
            ("noofrows", 0),
            ("nooffields", 0),
            ("fieldname", 1),
            ("tablenumber", 0),
        ];
        /// Functions that read a field's values across tables, or the list of tables.
        const MODEL_READERS: &[&str] = &[
            "fieldvalue",
            "fieldvaluecount",
            "exists",
            "fieldindex",
            "fieldvaluelist",
            "nooftables",
            "tablename",
        ];
        let mut found = None;
        super::eval::walk(e, &mut |x| {
            if found.is_some() {
                return;
            }
            match &x.kind {
                ExprKind::Field(n) if control => {
                    if let Some(inc) = self.st.tainted.get(&n.text) {
                        found = Some(inc.clone());
                    } else if !self.st.vars.contains_key(&n.text)
                        && !self.st.unset.contains(&n.text)
                    {
                        found = Some(self.never_set(&n.text, cx, span));
                    }
                }
                ExprKind::Field(n) => {
                    if let Some(inc) = self.st.tainted.get(&n.text) {
                        found = Some(inc.clone());
                    }
                }
                ExprKind::Call { name, args, .. } => {
                    let lower = name.text.to_ascii_lowercase();
                    if let Some(&(_, at)) = TABLE_READERS.iter().find(|(f, _)| *f == lower) {
                        found = match args.get(at).map(|a| &a.kind) {
                            Some(ExprKind::Str(t)) => match self.st.table(t) {
                                Some(t) => t.incomplete.first().cloned(),
                                None => self.st.any_uncertainty().map(|u| Incomplete {
                                    reason: format!(
                                        "table `{t}` does not exist here, most likely because an earlier step could not run ({})",
                                        u.reason
                                    ),
                                    at: Some((cx.src, span)),
                                }),
                            },
                            // `Peek(f, n)`: the table being loaded or the last one loaded.
                            None if lower == "peek" => self
                                .st
                                .last_table()
                                .and_then(|t| t.incomplete.first().cloned()),
                            _ => self.st.any_uncertainty(),
                        };
                    } else if MODEL_READERS.contains(&lower.as_str()) {
                        found = match args.first().map(|a| &a.kind) {
                            Some(ExprKind::Str(f))
                            | Some(ExprKind::Field(Name { text: f, .. })) => {
                                self.st.field_uncertainty(f)
                            }
                            _ => self.st.any_uncertainty(),
                        };
                    }
                }
                _ => {}
            }
        });
        found
    }

    /// S7: remember where `QlikCloudGroupMode` was last assigned (QSA222).
    fn note_group_mode(&mut self, name: &str, cx: &Cx, span: Span) {
        if name == super::GROUP_MODE_VARIABLE {
            self.st.group_mode_at = Some((cx.src, span));
        }
    }

    /// QSA224: a load into the application section while a `Star is` symbol is in force.
    fn note_star_load(&mut self) {
        let (Some((symbol, src, span)), Some((false, table))) = (&self.st.star, &self.st.last)
        else {
            return;
        };
        if self.st.access {
            return;
        }
        let at = (*src, *span);
        let pos = self
            .st
            .star_in_app
            .iter()
            .position(|u| u.at == at && u.symbol == *symbol);
        let i = match pos {
            Some(i) => i,
            None => {
                self.st.star_in_app.push(super::StarInApp {
                    at,
                    symbol: symbol.clone(),
                    tables: vec![],
                });
                self.st.star_in_app.len() - 1
            }
        };
        let tables = &mut self.st.star_in_app[i].tables;
        if !tables.contains(table) {
            tables.push(table.clone());
        }
    }

    fn set_var(&mut self, name: &str, value: String) {
        let bytes = (name.len() + value.len()) as u64;
        if self
            .st
            .budget
            .reserve(bytes, || format!("the value of variable `{name}`"))
            .is_err()
        {
            return;
        }
        if let Some(old) = self.st.vars.insert(name.to_string(), value) {
            self.st.budget.release((name.len() + old.len()) as u64);
        }
        self.st.tainted.remove(name);
        self.st.unset.remove(name);
        if SYSTEM_DEFAULTS.iter().any(|(k, _)| *k == name) {
            self.st.refresh_env();
        }
    }

    /// The variable no longer exists, deliberately (`LET v = Null()`, `DROP VARIABLE v`, a parameter
    /// with no argument): `$(v)` expands to nothing, and that is known.
    fn unset_var(&mut self, name: &str) {
        if let Some(old) = self.st.vars.remove(name) {
            self.st.budget.release((name.len() + old.len()) as u64);
        }
        self.st.tainted.remove(name);
        self.st.unset.insert(name.to_string());
        if SYSTEM_DEFAULTS.iter().any(|(k, _)| *k == name) {
            self.st.refresh_env();
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn exec_for(
        &mut self,
        var: &Name,
        from: &Expr,
        to: &Expr,
        step: Option<&Expr>,
        body: &Block,
        span: Span,
        cx: &Cx,
    ) -> Flow {
        let bounds = (|| -> Result<(Value, Value, Value), NotKnown> {
            let a = self.value(from, cx)?;
            let b = self.value(to, cx)?;
            let s = match step {
                Some(e) => self.value(e, cx)?,
                None => Value::num(1.0),
            };
            Ok((a, b, s))
        })();
        let (a, b, s) = match bounds {
            Ok(x) => x,
            Err(NotKnown::Failed) => return Flow::Normal,
            Err(NotKnown::Unknown(inc)) => {
                self.unfaithful(Reach::Var(var.text.clone()), inc.clone());
                self.unknown_blocks(&[body], &inc, cx);
                return Flow::Normal;
            }
        };
        let (Some(a), Some(b), Some(s)) = (a.as_num(), b.as_num(), s.as_num()) else {
            self.error_at(
                codes::EXPRESSION,
                cx,
                span,
                "FOR bounds and STEP must be numbers",
            );
            return Flow::Normal;
        };
        if s == 0.0 {
            self.error_at(
                codes::ITERATION_LIMIT,
                cx,
                span,
                "FOR with STEP 0 never ends",
            );
            return Flow::Abort;
        }
        let mut i = a;
        while (s > 0.0 && i <= b) || (s < 0.0 && i >= b) {
            if !self.tick(cx, span) {
                return Flow::Abort;
            }
            self.set_var(&var.text, crate::model::value::format_number(i));
            match self.exec_block(&body.statements, cx) {
                Flow::Normal => {}
                Flow::ExitFor => break,
                other => return other,
            }
            // The body may change the loop variable (Qlik reads it back).
            let cur = self
                .st
                .vars
                .get(&var.text)
                .and_then(|v| Value::from_loaded_text(v.trim()).as_num())
                .unwrap_or(i);
            i = cur + s;
        }
        Flow::Normal
    }

    fn exec_for_each(
        &mut self,
        var: &Name,
        items: &[Expr],
        body: &Block,
        span: Span,
        cx: &Cx,
    ) -> Flow {
        let values = match self.for_each_items(items, cx) {
            Ok(v) => v,
            Err(NotKnown::Failed) => return Flow::Normal,
            Err(NotKnown::Unknown(inc)) => {
                self.unfaithful(Reach::Var(var.text.clone()), inc.clone());
                self.unknown_blocks(&[body], &inc, cx);
                return Flow::Normal;
            }
        };
        for v in values {
            if !self.tick(cx, span) {
                return Flow::Abort;
            }
            self.set_var(&var.text, v);
            match self.exec_block(&body.statements, cx) {
                Flow::Normal => {}
                Flow::ExitFor => break,
                other => return other,
            }
        }
        Flow::Normal
    }

    /// The values a `FOR EACH` iterates over.
    fn for_each_items(&mut self, items: &[Expr], cx: &Cx) -> Result<Vec<String>, NotKnown> {
        let mut values: Vec<String> = Vec::new();
        for item in items {
            if let ExprKind::Call { name, args, .. } = &item.kind {
                let lower = name.text.to_ascii_lowercase();
                if lower == "filelist" || lower == "dirlist" {
                    let Some(pat) = args.first() else {
                        continue;
                    };
                    let pat = self.value(pat, cx)?;
                    if let Some(inc) = self.st.fs_unknown.clone() {
                        return Err(NotKnown::Unknown(inc));
                    }
                    let ctx = self.st.path_context(&cx.dir);
                    let pattern = pat.text_or_empty().into_owned();
                    let res = if lower == "filelist" {
                        sources::file_list(&pattern, &ctx)
                    } else {
                        sources::dir_list(&pattern, &ctx)
                    };
                    match res {
                        Ok(list) => values.extend(list),
                        Err(e) => {
                            // Like a missing file: what the loop would do is unknown. Error when
                            // Section Access could depend on it (decided at the end), else a warning.
                            let reason = format!(
                                "missing source: {}(`{pattern}`): {e}; the loop over it did not run",
                                name.text
                            );
                            return Err(NotKnown::Unknown(Incomplete {
                                reason,
                                at: Some((cx.src, item.span)),
                            }));
                        }
                    }
                    continue;
                }
                if lower == "fieldvaluelist" {
                    let Some(f) = args.first() else {
                        continue;
                    };
                    let f = self.value(f, cx)?;
                    if let Some(inc) = self.st.field_uncertainty(&f.text_or_empty()) {
                        return Err(NotKnown::Unknown(inc));
                    }
                    values.extend(
                        self.st
                            .field_values(&f.text_or_empty())
                            .iter()
                            .map(|v| v.text_or_empty().into_owned()),
                    );
                    continue;
                }
            }
            let raw = cx.slice(item.span);
            if raw.contains("$(") {
                // `FOR EACH x IN $(vList)`: the expansion may yield several items.
                let exp = expand_text(&self.st, raw, 0);
                self.report_expansion(&exp, cx, item.span, &StmtKind::Disconnect);
                if let Some(inc) = self.expansion_taint(&exp, cx, item.span).into_iter().next() {
                    return Err(NotKnown::Unknown(inc));
                }
                for part in super::expand::split_args(&exp.text) {
                    if part.trim().is_empty() {
                        continue;
                    }
                    match syntax::parse_expr(cx.src, &part) {
                        Ok(e) => match Ctx::plain(&self.st).eval(&e) {
                            Ok(v) => values.push(v.text_or_empty().into_owned()),
                            Err(err) => {
                                self.error_at(
                                    codes::EXPRESSION,
                                    cx,
                                    item.span,
                                    format!("FOR EACH item `{}`: {}", part.trim(), err.message),
                                );
                                return Err(NotKnown::Failed);
                            }
                        },
                        Err(_) => values.push(part.trim().to_string()),
                    }
                }
                continue;
            }
            let v = self.value(item, cx)?;
            values.push(v.text_or_empty().into_owned());
        }
        Ok(values)
    }

    fn exec_call(
        &mut self,
        name: &Name,
        args: &[Expr],
        raw_args: Option<&syntax::RawText>,
        span: Span,
        cx: &Cx,
    ) -> Flow {
        let Some(called) = self.call_name(name, span, cx, true) else {
            return Flow::Normal;
        };
        let Some(sub) = self.subs.get(&called.to_ascii_lowercase()).cloned() else {
            let from = if called == name.text {
                String::new()
            } else {
                format!(" (from `{}`)", name.text)
            };
            self.diags.push(
                Diagnostic::error(codes::UNKNOWN_SUB, format!("CALL of `{called}`{from}, which is not defined (yet)"))
                    .at(cx.src, name.span, "no SUB with this name has run before this CALL")
                    .with_help("a SUB is defined when the script passes its SUB statement; define it above the CALL"),
            );
            return Flow::Normal;
        };
        if self.call_depth >= MAX_CALL_DEPTH {
            self.diags.push(
                Diagnostic::error(
                    codes::RECURSION_LIMIT,
                    format!("CALLs nested deeper than {MAX_CALL_DEPTH} levels"),
                )
                .at(cx.src, span, "stopped here")
                .with_help(format!("qsa follows at most {MAX_CALL_DEPTH} nested CALLs, a fixed limit (no flag raises it): does a SUB call itself without end?")),
            );
            return Flow::Abort;
        }
        // S6: arguments kept raw are read now, after expansion, from their expanded text
        let expanded;
        let (args, cx, taint) = match raw_args {
            Some(raw) => match self.expand_call_args(raw, cx) {
                Some(x) => {
                    expanded = x;
                    (expanded.1.as_slice(), &expanded.0, expanded.2.clone())
                }
                None => return Flow::Normal,
            },
            None => (args, cx, None),
        };
        // Arguments expanded from unknown variables: every parameter is unknown.
        if let Some(inc) = taint {
            let vals = vec![Err(inc); sub.params.len()];
            return self.call_with(&sub, vals);
        }
        let mut vals = Vec::new();
        for a in args {
            match self.value(a, cx) {
                Ok(v) => vals.push(Ok(v)),
                Err(NotKnown::Failed) => return Flow::Normal,
                // The SUB runs with this parameter unknown.
                Err(NotKnown::Unknown(inc)) => vals.push(Err(inc)),
            }
        }
        self.call_with(&sub, vals)
    }

    /// The SUB a CALL names, `$(…)` in its name expanded (`CALL $(vSub)`, S6). `None` when that is not
    /// known: the expansion reads a variable qsa does not know, or fails (reported when `report`); then
    /// which SUB runs, and so what it changes, is unknown (recorded).
    pub(crate) fn call_name(
        &mut self,
        name: &Name,
        span: Span,
        cx: &Cx,
        report: bool,
    ) -> Option<String> {
        if !name.text.contains("$(") {
            return Some(name.text.clone());
        }
        let exp = expand_text(&self.st, &name.text, 0);
        if report {
            self.report_expansion(&exp, cx, name.span, &StmtKind::Disconnect);
        }
        let why = self
            .expansion_taint(&exp, cx, name.span)
            .into_iter()
            .next()
            .map(|inc| inc.reason)
            .or_else(|| exp.errors.first().cloned());
        if let Some(why) = why {
            self.access_unknown(
                format!("CALL {}: which SUB it calls is unknown ({why})", name.text),
                cx,
                span,
            );
            return None;
        }
        Some(exp.text.trim().to_string())
    }

    /// Run a SUB with its parameters' values (`Err`: unknown, and why).
    fn call_with(&mut self, sub: &SubDef, vals: Vec<Result<Value, Incomplete>>) -> Flow {
        // Parameters are local: save and restore what the names held (value, unknown reason, unset).
        let mut saved = Vec::new();
        for (i, p) in sub.params.iter().enumerate() {
            let name = p.text.clone();
            saved.push((
                name.clone(),
                self.st.vars.get(&name).cloned(),
                self.st.tainted.get(&name).cloned(),
                self.st.unset.contains(&name),
            ));
            match vals.get(i) {
                Some(Ok(v)) if !v.is_null() => self.set_var(&name, v.text_or_empty().into_owned()),
                Some(Err(inc)) => {
                    self.set_var(&name, String::new());
                    self.unfaithful(Reach::Var(name), inc.clone());
                }
                _ => self.unset_var(&name),
            }
        }
        self.call_depth += 1;
        let flow = self.exec_block(&sub.body.statements, &sub.cx);
        self.call_depth -= 1;
        for (k, v, taint, unset) in saved.into_iter().rev() {
            match v {
                Some(v) => {
                    self.st.vars.insert(k.clone(), v);
                }
                None => {
                    self.st.vars.remove(&k);
                }
            }
            match taint {
                Some(t) => {
                    self.st.tainted.insert(k.clone(), t);
                }
                None => {
                    self.st.tainted.remove(&k);
                }
            }
            if unset {
                self.st.unset.insert(k);
            } else {
                self.st.unset.remove(&k);
            }
        }
        match flow {
            Flow::ExitSub | Flow::Normal => Flow::Normal,
            other => other,
        }
    }

    /// CALL arguments kept raw because they contain `$(…)` (S6): the whole text is expanded into a
    /// source of its own (mapped back to the CALL) and read as an argument list, split at top-level
    /// commas (an empty argument is omitted). `None` after an error at the CALL: text that is still no
    /// argument list stops the CALL (fail closed).
    /// CALL arguments kept raw: expanded and read as an argument list, with why they are unknown when
    /// the expansion used unknown variables (then the arguments may not even parse).
    fn expand_call_args(
        &mut self,
        raw: &syntax::RawText,
        cx: &Cx,
    ) -> Option<(Cx, Vec<Expr>, Option<Incomplete>)> {
        let exp = expand_text(&self.st, &raw.text, 0);
        self.report_expansion(&exp, cx, raw.span, &StmtKind::Disconnect);
        let taint = self.expansion_taint(&exp, cx, raw.span).into_iter().next();
        if taint.is_some() {
            return Some((cx.clone(), Vec::new(), taint));
        }
        let mut file = SourceFile::new("<expansion of CALL arguments>", None, exp.text.as_str());
        file.expanded_from = Some((cx.src, raw.span));
        let id = self.sources.add(file);
        match syntax::parse_args(id, &exp.text) {
            Ok(args) => Some((
                Cx {
                    src: id,
                    text: Arc::from(exp.text.as_str()),
                    dir: cx.dir.clone(),
                },
                args,
                None,
            )),
            Err(_) => {
                self.diags.push(
                    Diagnostic::error(
                        codes::EXPRESSION,
                        format!(
                            "after expansion, the CALL arguments `{}` are not a list of expressions",
                            exp.text.trim()
                        ),
                    )
                    .at(cx.src, raw.span, "these arguments, after `$(…)` expansion")
                    .with_rule("S6")
                    .with_help("the SUB was not called; check the variables these arguments expand"),
                );
                None
            }
        }
    }

    fn exec_include(&mut self, must: bool, raw_path: &str, span: Span, cx: &Cx) -> Flow {
        let exp = expand_text(&self.st, raw_path, 0);
        self.report_expansion(&exp, cx, span, &StmtKind::Disconnect);
        let path_text = exp.text.trim().to_string();
        let what = if must { "must_include" } else { "include" };
        // What an include holds can be anything, Section Access included: its text must be known.
        let unknown = self
            .expansion_taint(&exp, cx, span)
            .into_iter()
            .next()
            .or_else(|| self.st.fs_unknown.clone());
        if let Some(inc) = unknown {
            let reason = format!(
                "$({what}={path_text}): which file it reads is unknown ({}), and it may load Section Access",
                inc.reason
            );
            self.access_unknown(reason, cx, span);
            return Flow::Normal;
        }
        let ctx = self.st.path_context(&cx.dir);
        let resolved = sources::resolve_path(&path_text, &ctx);
        let read = resolved.as_ref().map_err(|e| e.to_string()).and_then(|p| {
            std::fs::read(p)
                .map(|b| (p.clone(), b))
                .map_err(|e| e.to_string())
        });
        let (path, bytes) = match read {
            Ok(x) => x,
            Err(reason) => {
                if must {
                    let d = Diagnostic::error(
                        codes::INCLUDE_MISSING,
                        format!("$(must_include={path_text}): cannot read the file ({reason})"),
                    );
                    self.diags.push(d.at(cx.src, span, format!("{what} here")).with_rule("S6").with_help("paths are relative to the including script; map lib:// folders with --lib NAME=DIR"));
                } else {
                    // Qlik skips a missing include silently, but qsa cannot tell whether the file
                    // exists where the app reloads: what it would run is unknown.
                    self.access_unknown(format!("missing source: $(include={path_text}): cannot read the file ({reason}); Qlik skips a missing include silently, but where the app reloads it may exist and load Section Access (map lib:// folders with --lib NAME=DIR)"), cx, span);
                }
                return Flow::Normal;
            }
        };
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error(codes::RECURSION_LIMIT, format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels (a file including itself?)"))
                    .at(cx.src, span, "stopped here")
                    .with_help(format!("qsa follows at most {MAX_INCLUDE_DEPTH} nested includes, a fixed limit (no flag raises it)")),
            );
            return Flow::Abort;
        }
        let text = crate::diag::decode_script_bytes_as(&bytes, self.st.opts.encoding);
        let cached = (self.include_cache.get(&path).into_iter().flatten())
            .find(|(t, _, _)| **t == *text)
            .cloned();
        let (text, id, statements) = match cached {
            Some(x) => x,
            None => {
                // The text is kept for the rest of the run (diagnostics point into it).
                let _ = self.st.budget.reserve(text.len() as u64, || {
                    format!("the text of `{}`, included", path.display())
                });
                let id = self.sources.add(SourceFile::new(
                    path.display().to_string(),
                    Some(path.clone()),
                    text.as_str(),
                ));
                let statements = Rc::new(self.parse_file(id, &text));
                let entry: IncludedFile = (Arc::from(text.as_str()), id, statements);
                (self.include_cache.entry(path.clone()).or_default()).push(entry.clone());
                entry
            }
        };
        let sub = Cx {
            src: id,
            text,
            dir: path.parent().map(Path::to_path_buf).unwrap_or_default(),
        };
        self.include_depth += 1;
        let flow = self.exec_block(&statements, &sub);
        self.include_depth -= 1;
        flow
    }

    fn exec_regular(&mut self, stmt: &Stmt, cx: &Cx) {
        let span = stmt.span;
        match &stmt.kind {
            StmtKind::Set { name, value } => {
                self.note_group_mode(&name.text, cx, span);
                let v = value
                    .as_ref()
                    .map(|r| unquote_set_value(r.text.trim()))
                    .unwrap_or_default();
                self.set_var(&name.text, v);
            }
            StmtKind::Let { name, expr } => {
                self.note_group_mode(&name.text, cx, span);
                let Some(expr) = expr else {
                    self.set_var(&name.text, String::new());
                    return;
                };
                if let Some(inc) = self.unknown_reads(expr, cx, span, true) {
                    self.set_var(&name.text, String::new());
                    self.unfaithful(Reach::Var(name.text.clone()), inc);
                    return;
                }
                match Ctx::plain(&self.st).eval(expr) {
                    Ok(v) if v.is_null() => self.unset_var(&name.text),
                    Ok(v) => self.set_var(&name.text, v.text_or_empty().into_owned()),
                    Err(e) => {
                        let reason = format!("variable `{}`: {}", name.text, e.message);
                        self.diags.push(
                            Diagnostic::warning(codes::EXPRESSION, format!("LET {}: cannot evaluate: {}", name.text, e.message))
                                .at(cx.src, e.span, "")
                                .with_help("the variable is left empty; anything loaded using it is marked as uncertain"),
                        );
                        self.set_var(&name.text, String::new());
                        self.unfaithful(
                            Reach::Var(name.text.clone()),
                            Incomplete {
                                reason,
                                at: Some((cx.src, span)),
                            },
                        );
                    }
                }
            }
            StmtKind::LetUnread { name, tail_names } => {
                // Neither what the LET assigns nor whether the reload stops on it is known; the lines
                // it swallowed look like assignments, so those variables are not known either.
                let reason = format!(
                    "LET {}: it runs on to the next line without a `;`, so what Qlik assigns is not known",
                    name.text
                );
                for v in std::iter::once(&name.text).chain(tail_names) {
                    self.set_var(v, String::new());
                    self.unfaithful(
                        Reach::Var(v.clone()),
                        Incomplete {
                            reason: reason.clone(),
                            at: Some((cx.src, span)),
                        },
                    );
                }
            }
            StmtKind::Section(kind) => {
                self.st.access = *kind == SectionKind::Access;
                if self.st.access {
                    self.st.access_seen.get_or_insert((cx.src, span));
                }
            }
            StmtKind::Load(ls) => {
                self.exec_load(ls, stmt, cx);
                self.account_tables();
                if !ls
                    .prefixes
                    .iter()
                    .any(|p| matches!(p, crate::syntax::Prefix::Mapping))
                {
                    self.note_star_load();
                }
            }
            StmtKind::Drop {
                target,
                names,
                from,
            } => self.exec_drop(*target, names, from, span, cx),
            StmtKind::DropVariables { names } => {
                for n in names {
                    self.unset_var(&n.text);
                }
            }
            StmtKind::Rename {
                target,
                pairs,
                using,
            } => self.exec_rename(*target, pairs, using.as_ref(), span, cx),
            StmtKind::Store {
                table,
                path,
                format,
                fields,
            } => {
                self.exec_store(table, path, format, fields, span, cx);
                self.account_tables();
            }
            StmtKind::Qualify { unqualify, names } => {
                for n in names {
                    if n.text.trim() == "*" && *unqualify {
                        // `UNQUALIFY *` resets everything.
                        self.st.qualify.clear();
                    }
                    // The last pattern that matches a field decides, so an earlier copy of this one
                    // can never decide again: dropped, which keeps a QUALIFY in a loop from growing the
                    // list (and every load's work) each time round.
                    self.st.qualify.retain(|(p, _)| p != &n.text);
                    self.st.qualify.push((n.text.clone(), !*unqualify));
                }
            }
            StmtKind::Star { symbol } => {
                self.st.star = symbol
                    .as_ref()
                    .map(|r| unquote_set_value(r.text.trim()))
                    .filter(|s| !s.is_empty())
                    .map(|s| (s, cx.src, span));
            }
            StmtKind::Binary { path } => {
                self.diags.push(
                    Diagnostic::error(codes::BINARY, format!("BINARY {}: qsa cannot read a Qlik app (QVF/QVW), so neither its data nor its Section Access is known", path.text))
                        .at(cx.src, span, "binary load here")
                        .with_help("run qsa on the script of the app that builds the data"),
                );
            }
            StmtKind::Directory { path } => {
                self.st.directory = path
                    .as_ref()
                    .map(|p| p.text.trim().to_string())
                    .filter(|p| !p.is_empty());
            }
            StmtKind::Alias { pairs } => {
                for (a, b) in pairs {
                    self.st.aliases.retain(|(x, _)| x != &a.text);
                    self.st.aliases.push((a.text.clone(), b.text.clone()));
                }
            }
            StmtKind::Map { fields, using } => {
                for f in fields {
                    self.st.field_maps.retain(|(x, _)| x != &f.text);
                    if let Some(m) = using {
                        self.st.field_maps.push((f.text.clone(), m.text.clone()));
                    }
                }
            }
            StmtKind::NullAs { as_value, fields } => {
                for f in fields {
                    self.st.null_as_value.retain(|x| x != &f.text);
                    if *as_value {
                        self.st.null_as_value.push(f.text.clone());
                    }
                }
            }
            StmtKind::Execute { command } => {
                self.st.fs_unknown.get_or_insert(Incomplete {
                    reason: format!(
                        "EXECUTE {} was not run, and the program may change the files read after it",
                        command.text.trim()
                    ),
                    at: Some((cx.src, span)),
                });
                self.diags.push(
                    Diagnostic::warning(
                        codes::STATEMENT_SKIPPED,
                        format!(
                            "EXECUTE {} was not run (qsa never runs programs)",
                            command.text
                        ),
                    )
                    .at(cx.src, span, "skipped"),
                );
            }
            StmtKind::Unsupported { keyword } if !self.st.access => {
                // It may load or change a table of any name and fields; a CALL (`WHEN c CALL …`) may
                // even switch to Section Access.
                let reach = if keyword.to_ascii_uppercase().contains("CALL") {
                    Reach::Access
                } else {
                    Reach::Load { access: false }
                };
                self.unfaithful(
                    reach,
                    Incomplete {
                        reason: format!("`{keyword}` is not supported by qsa and was not run"),
                        at: Some((cx.src, span)),
                    },
                );
            }
            StmtKind::Unsupported { keyword } => {
                self.diags.push(
                    Diagnostic::error(
                        codes::UNSUPPORTED_LOAD,
                        format!("`{keyword}` in Section Access is not supported: the security tables may differ"),
                    )
                    .at(cx.src, span, "not run"),
                );
            }
            StmtKind::Trace { .. }
            | StmtKind::Connect { .. }
            | StmtKind::Disconnect
            | StmtKind::Tag { .. }
            | StmtKind::Comment { .. }
            | StmtKind::Sleep { .. } => {}
            StmtKind::Error => self.run_error_statement(cx, span),
            // Text that still holds `$(` after expansion (a variable whose value holds one): qsa does
            // not expand twice, so the statement did not run.
            StmtKind::Deferred { .. } => {
                let access = self.st.access;
                self.unfaithful(
                    load_reach(access),
                    Incomplete {
                        reason: "a statement that still holds `$(` after expansion was not run"
                            .into(),
                        at: Some((cx.src, span)),
                    },
                );
            }
            // Control statements are handled in exec_stmt.
            _ => {}
        }
    }

    /// Close the run: decide error vs warning for incomplete tables (fail closed), check the security
    /// tables' values (S4, S5), and hand everything back.
    fn finish(mut self, main: SourceId) -> RunResult {
        // Tables without fields are not part of a Qlik model.
        for access in [false, true] {
            self.st.drop_fieldless_tables(access);
        }
        // Statements that do not parse and never ran: Qlik never reads them.
        for (_, held) in std::mem::take(&mut self.held_errors) {
            for mut d in held {
                d.severity = Severity::Warning;
                d.message
                    .push_str(" (this statement never runs, so the reload does not fail on it)");
                self.diags.push(d);
            }
        }
        self.fail_closed();
        self.check_security_values();
        let mut diags = std::mem::take(&mut self.diags);
        dedupe(&mut diags);
        RunResult {
            sources: self.sources,
            main,
            app: self.st.app,
            security: self.st.security,
            variables: self.st.vars,
            diagnostics: diags,
            access_seen: self.st.access_seen,
            group_mode_at: self.st.group_mode_at,
            star_in_app: self.st.star_in_app,
        }
    }

    fn fail_closed(&mut self) {
        let sec_fields: BTreeSet<String> = self
            .st
            .security
            .tables
            .iter()
            .flat_map(|t| t.fields.iter())
            .filter(|f| !SYSTEM_FIELDS.contains(&f.as_str()))
            .cloned()
            .collect();
        // App tables holding a reduction field, then everything linked to them through shared fields.
        let app = &self.st.app;
        let mut linked: BTreeMap<usize, String> = BTreeMap::new();
        let mut queue: Vec<usize> = Vec::new();
        for (i, t) in app.tables.iter().enumerate() {
            if let Some(f) = t.fields.iter().find(|f| sec_fields.contains(*f)) {
                linked.insert(i, format!("it holds the reduction field `{f}`"));
                queue.push(i);
            }
        }
        while let Some(i) = queue.pop() {
            let Some(t) = app.tables.get(i) else { continue };
            for (j, u) in app.tables.iter().enumerate() {
                if linked.contains_key(&j) {
                    continue;
                }
                if let Some(f) = u.fields.iter().find(|f| t.fields.contains(f)) {
                    linked.insert(j, format!("it is linked (through `{f}`) to table `{}`, which feeds Section Access", t.name));
                    queue.push(j);
                }
            }
        }
        let mut out = Vec::new();
        let mut seen: HashSet<(String, Option<(SourceId, Span)>)> = HashSet::new();
        for t in &self.st.security.tables {
            for inc in &t.incomplete {
                if seen.insert((inc.reason.clone(), inc.at)) {
                    out.push(incomplete_diag(
                        inc,
                        Severity::Error,
                        format!("it feeds the security table `{}`", t.name),
                    ));
                }
            }
        }
        for (i, t) in app.tables.iter().enumerate() {
            for inc in &t.incomplete {
                if !seen.insert((inc.reason.clone(), inc.at)) {
                    continue;
                }
                match linked.get(&i) {
                    Some(why) => out.push(incomplete_diag(
                        inc,
                        Severity::Error,
                        format!(
                            "table `{}` is part of what Section Access reduces: {why}",
                            t.name
                        ),
                    )),
                    None => out.push(incomplete_diag(
                        inc,
                        Severity::Warning,
                        format!("table `{}` is not linked to any reduction field", t.name),
                    )),
                }
            }
        }
        // O1: OMIT names app fields; a load of unknown fields may hold one.
        let omits_any = self.st.security.tables.iter().any(|t| {
            t.column("OMIT")
                .is_some_and(|c| c.iter().any(|v| !v.text_or_empty().trim().is_empty()))
        });
        for (access, inc) in &self.st.unknown_fields {
            if !seen.insert((inc.reason.clone(), inc.at)) {
                continue;
            }
            if *access || !sec_fields.is_empty() || omits_any {
                out.push(incomplete_diag(
                    inc,
                    Severity::Error,
                    "its fields are unknown, so it may hold a reduction field or a field OMIT names".into(),
                ));
            } else {
                out.push(incomplete_diag(
                    inc,
                    Severity::Warning,
                    "no Section Access reduction field exists".into(),
                ));
            }
        }
        for (access, inc) in &self.st.dropped_incomplete {
            if !seen.insert((inc.reason.clone(), inc.at)) {
                continue;
            }
            let sev = if *access {
                Severity::Error
            } else {
                Severity::Warning
            };
            out.push(incomplete_diag(
                inc,
                sev,
                "the table was dropped before the end of the script".into(),
            ));
        }
        // The security model itself may differ (faith::Reach::Access): refuse, whatever was loaded.
        for inc in &self.st.access_unknown {
            if seen.insert((inc.reason.clone(), inc.at)) {
                out.push(unknown_effect(
                    inc,
                    format!("{}; so qsa cannot know what Section Access holds, or whether the script has one", inc.reason),
                    "S2",
                    "make the step known (supply the file with --lib, the variable with --var NAME=VALUE) or remove it",
                ));
            }
        }
        // S7 reads the group mode at the end of the script: it must be known.
        if let Some(inc) = self.st.tainted.get(super::GROUP_MODE_VARIABLE) {
            out.push(unknown_effect(
                inc,
                format!(
                    "`{}` is unknown at the end of the script ({}), so qsa cannot tell which groups GROUP is compared with",
                    super::GROUP_MODE_VARIABLE,
                    inc.reason
                ),
                "S7",
                "set the variable with a value qsa can compute, or pass --var QlikCloudGroupMode=N",
            ));
        }
        // Other variables qsa could not compute: harmless unless they fed something (then the table
        // carries it).
        self.diags.extend(out);
    }

    fn check_security_values(&mut self) {
        let mut out = Vec::new();
        for t in &self.st.security.tables {
            for (fi, f) in t.fields.iter().enumerate() {
                if f == "OMIT" || f == "PASSWORD" {
                    continue;
                }
                let Some(col) = t.columns.get(fi) else {
                    continue;
                };
                let mut lower: Option<(usize, String)> = None;
                let mut lower_count = 0;
                let mut invisible: Option<(usize, String)> = None;
                let mut invisible_count = 0;
                for (ri, v) in col.iter().enumerate() {
                    let Some(text) = v.text() else { continue };
                    // INLINE loads in Section Access upper-case their values (S4), so any lower-case
                    // letter left came from a file, a RESIDENT table or a computed value.
                    if text.chars().any(|c| c.is_lowercase()) {
                        lower_count += 1;
                        lower.get_or_insert((ri, text.to_string()));
                    }
                    if text.contains('\t') || text.contains('\u{a0}') {
                        invisible_count += 1;
                        invisible.get_or_insert((ri, text.to_string()));
                    }
                }
                let at = |ri: usize| -> Option<(SourceId, Span)> {
                    match t.origins.get(ri) {
                        Some(crate::model::RowOrigin::Script { source, span }) => {
                            Some((source, span))
                        }
                        _ => t.source,
                    }
                };
                if let Some((ri, example)) = lower {
                    // A reduction value is compared with the app field's values as they are (R2); an
                    // ACCESS or identity value with the user's upper-cased identity (I3).
                    let reduction = !SYSTEM_FIELDS.contains(&f.as_str());
                    let (why, rule, help) = if f == "ACCESS" {
                        (
                            "ACCESS must read ADMIN or USER, so these rows grant no access",
                            "L1",
                            "wrap the field in Upper() in the LOAD",
                        )
                    } else if reduction {
                        ("a reduction value is compared with the app field's values exactly, so these select only app values written in the same case", "R2", "upper-case the values in Section Access and in the app field alike (Upper() in both LOADs)")
                    } else {
                        (
                            "identities are compared upper-cased, so these never match",
                            "I3",
                            "wrap the field in Upper() in the LOAD",
                        )
                    };
                    let mut d = Diagnostic::warning(
                        codes::LOWERCASE_SECURITY_VALUE,
                        format!(
                            "security table `{}`, field `{f}`: {lower_count} value(s) with lower-case letters (e.g. `{example}`, row {}); only INLINE loads upper-case values in Section Access, and {why}",
                            t.name,
                            ri + 1
                        ),
                    )
                    .with_rule("S4")
                    .with_rule(rule)
                    .with_help(help);
                    if let Some((s, sp)) = at(ri) {
                        d = d.at(s, sp, "loaded here");
                    }
                    if let Some(crate::model::RowOrigin::File { path, row }) = t.origins.get(ri) {
                        d.message.push_str(&format!(" ({path}, record {row})"));
                    }
                    out.push(d);
                }
                if let Some((ri, example)) = invisible {
                    let mut d = Diagnostic::warning(
                        codes::INVISIBLE_WHITESPACE,
                        format!(
                            "security table `{}`, field `{f}`: {invisible_count} value(s) contain a tab or non-breaking space (e.g. {:?}, row {}); Qlik never trims these, so the value will not match",
                            t.name,
                            example,
                            ri + 1
                        ),
                    )
                    .with_rule("S5");
                    if let Some((s, sp)) = at(ri) {
                        d = d.at(s, sp, "loaded here");
                    }
                    out.push(d);
                }
            }
        }
        self.diags.extend(out);
    }
}

pub(crate) use super::SYSTEM_FIELDS;

/// A QSA116 error: a step of unknown effect reaches Section Access.
fn unknown_effect(inc: &Incomplete, message: String, rule: &'static str, fix: &str) -> Diagnostic {
    let mut d = Diagnostic::error(codes::UNKNOWN_EFFECT, message)
        .with_rule(rule)
        .with_help(format!("qsa fails closed: {fix}"));
    if let Some((s, sp)) = inc.at {
        d = d.at(s, sp, "cannot be evaluated faithfully");
    }
    d
}

fn incomplete_diag(inc: &Incomplete, sev: Severity, why: String) -> Diagnostic {
    let code = if inc.reason.starts_with("missing source") {
        codes::SOURCE_MISSING
    } else {
        codes::UNSUPPORTED_LOAD
    };
    let mut d = Diagnostic::new(code, sev, format!("{}; {why}", inc.reason));
    if let Some((s, sp)) = inc.at {
        d = d.at(
            s,
            sp,
            if sev == Severity::Error {
                "cannot be evaluated faithfully"
            } else {
                "skipped"
            },
        );
    }
    if sev == Severity::Error {
        d = d.with_help("qsa fails closed: results that depend on this table are not trusted");
    }
    d
}

/// `SET x = 'text';` stores `text`: one pair of quotes around the whole value is removed (Qlik's
/// default script relies on it: `SET DateFormat='M/D/YYYY';`).
fn unquote_set_value(v: &str) -> String {
    for q in ['\'', '"'] {
        if v.len() >= 2 && v.starts_with(q) && v.ends_with(q) && !v[1..v.len() - 1].contains(q) {
            return v[1..v.len() - 1].to_string();
        }
    }
    v.to_string()
}

const DEFERRED: &str = codes::DEFERRED;

/// Spans of the statements that do not parse, nested ones included.
fn error_statements(stmts: &[Stmt], out: &mut Vec<Span>) {
    for s in stmts {
        if s.kind == StmtKind::Error {
            out.push(s.span);
        }
        for b in s.kind.blocks() {
            error_statements(&b.statements, out);
        }
    }
}

fn dedupe(diags: &mut Vec<Diagnostic>) {
    let mut seen = HashSet::new();
    diags.retain(|d| seen.insert(d.clone()));
}

/// Report an evaluation error for a load expression.
pub(crate) fn eval_diag(err: &EvalError, cx: &Cx, table: &str) -> Diagnostic {
    Diagnostic::error(
        codes::EXPRESSION,
        format!("loading `{table}`: {}", err.message),
    )
    .at(cx.src, err.span, "")
}
