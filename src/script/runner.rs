//! The interpreter: runs statements in order, keeps variables, subs, the two sections' tables and the
//! mapping tables, and decides at the end which problems are errors (fail closed) and which are warnings.

use super::eval::{compare, Ctx, EvalError};
use super::expand::{expand_text, Expanded};
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
}

impl Mapping {
    pub fn new(pairs: Vec<(Value, Value)>) -> Self {
        let mut index = HashMap::new();
        for (i, (k, _)) in pairs.iter().enumerate() {
            index.entry(k.clone()).or_insert(i);
        }
        Mapping { pairs, index }
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
    /// Incomplete reasons of tables that were dropped: (access section?, reason).
    pub dropped_incomplete: Vec<(bool, Incomplete)>,
    /// Loads whose field list is unknown (e.g. `SELECT *` with no `--table`): they could carry any field.
    pub unknown_fields: Vec<(bool, Incomplete)>,
    /// `AutoNumber()` counters: counter id → (value text → number), numbered by first appearance.
    pub autonumber: std::cell::RefCell<BTreeMap<String, HashMap<String, u64>>>,
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
            dropped_incomplete: Vec::new(),
            unknown_fields: Vec::new(),
            autonumber: Default::default(),
        };
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
        };
    }

    /// Has anything in the run so far been loaded unfaithfully? (Then a missing table later on is most
    /// likely a consequence, not a script error.)
    pub fn uncertain(&self) -> bool {
        !self.unknown_fields.is_empty()
            || !self.tainted.is_empty()
            || !self.dropped_incomplete.is_empty()
            || self
                .app
                .tables
                .iter()
                .chain(self.security.tables.iter())
                .any(|t| !t.incomplete.is_empty())
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
                for v in col {
                    if !v.is_null() && seen.insert(v.clone()) {
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

/// (source, statement start, expanded text)
type ExpansionKey = (SourceId, usize, String);

pub(crate) struct Runner {
    pub st: State,
    pub sources: SourceMap,
    pub diags: Vec<Diagnostic>,
    iterations: u64,
    call_depth: usize,
    include_depth: usize,
    subs: HashMap<String, Rc<SubDef>>,
    expansion_cache: HashMap<ExpansionKey, (SourceId, Rc<Vec<Stmt>>)>,
    warned: HashSet<(SourceId, usize, String)>,
}

/// Run a loaded script.
pub(crate) fn run(sources: SourceMap, main: SourceId, opts: &RunOptions) -> RunResult {
    let mut r = Runner {
        st: State::new(opts),
        sources,
        diags: Vec::new(),
        iterations: 0,
        call_depth: 0,
        include_depth: 0,
        subs: HashMap::new(),
        expansion_cache: HashMap::new(),
        warned: HashSet::new(),
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
    /// Parse a script file (main or included). `DEFERRED` notes are dropped: the runner expands and
    /// parses those statements when it reaches them.
    fn parse_file(&mut self, id: SourceId, text: &str) -> Vec<Stmt> {
        let parsed = syntax::parse_script(id, text);
        self.diags.extend(
            parsed
                .diagnostics
                .into_iter()
                .filter(|d| d.code != DEFERRED),
        );
        parsed.script.statements
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

    pub(crate) fn warn_at(
        &mut self,
        code: &'static str,
        cx: &Cx,
        span: Span,
        msg: impl Into<String>,
    ) {
        let msg = msg.into();
        self.diags
            .push(Diagnostic::warning(code, msg).at(cx.src, span, ""));
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

    pub(crate) fn exec_block(&mut self, stmts: &[Stmt], cx: &Cx) -> Flow {
        for s in stmts {
            let flow = self.exec_stmt(s, cx, true);
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
            } => {
                for b in branches {
                    match self.cond(&b.cond, cx) {
                        Some(true) => return self.exec_block(&b.body.statements, cx),
                        Some(false) => {}
                        None => return Flow::Normal,
                    }
                }
                match otherwise {
                    Some(b) => self.exec_block(&b.statements, cx),
                    None => Flow::Normal,
                }
            }
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
                            Some(c) if c != p.until => {}
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
                            Some(c) if c != p.until => {}
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
                let Some(v) = self.value(subject, cx) else {
                    return Flow::Normal;
                };
                for case in cases {
                    for cv in &case.values {
                        let Some(c) = self.value(cv, cx) else {
                            return Flow::Normal;
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
            StmtKind::Exit { what, cond } => {
                if let Some(c) = cond {
                    match self.cond(&c.cond, cx) {
                        Some(v) if v != c.unless => {}
                        Some(_) => return Flow::Normal,
                        None => return Flow::Normal,
                    }
                }
                match what {
                    ExitKind::Script => Flow::ExitScript,
                    ExitKind::For => Flow::ExitFor,
                    ExitKind::Do => Flow::ExitDo,
                    ExitKind::Sub => Flow::ExitSub,
                }
            }
            _ => {
                self.exec_regular(stmt, cx);
                Flow::Normal
            }
        }
    }

    /// Expand a regular statement's text and run what it parses to (S6).
    fn exec_expanded(&mut self, stmt: &Stmt, cx: &Cx) -> Flow {
        let raw = cx.slice(stmt.span).to_string();
        let exp = expand_text(&self.st, &raw, 0);
        self.report_expansion(&exp, cx, stmt.span, &stmt.kind);
        if exp.text.trim().trim_end_matches(';').trim().is_empty() {
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
                let mut file = SourceFile::new(name, None, exp.text.as_str());
                file.expanded_from = Some((cx.src, stmt.span));
                let id = self.sources.add(file);
                let parsed = syntax::parse_statements(id, &exp.text);
                if !exp.tainted.is_empty() && parsed.has_errors() {
                    // The text only breaks because a variable qsa could not compute is empty: part of
                    // that problem (decided at the end), not a script error.
                    let reason = format!(
                        "statement skipped: it uses `{}`, whose value qsa could not compute",
                        exp.tainted.join("`, `")
                    );
                    let access = self.st.access;
                    self.st.unknown_fields.push((
                        access,
                        Incomplete {
                            reason,
                            at: Some((cx.src, stmt.span)),
                        },
                    ));
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
        // Variables qsa could not compute flow into whatever this statement loads.
        let taint: Vec<Incomplete> = exp
            .tainted
            .iter()
            .filter_map(|v| self.st.tainted.get(v).cloned())
            .collect();
        let before = self.table_names();
        for s in stmts.iter() {
            let flow = self.exec_stmt(s, &sub, false);
            if flow != Flow::Normal {
                return flow;
            }
        }
        if !taint.is_empty() {
            self.taint_changed(&before, &taint, stmt);
        }
        Flow::Normal
    }

    fn table_names(&self) -> Vec<(bool, String, usize)> {
        let mut v: Vec<(bool, String, usize)> = self
            .st
            .app
            .tables
            .iter()
            .map(|t| (false, t.name.clone(), t.row_count()))
            .collect();
        v.extend(
            self.st
                .security
                .tables
                .iter()
                .map(|t| (true, t.name.clone(), t.row_count())),
        );
        v
    }

    /// Mark tables created or grown by a statement that used an uncertain variable.
    fn taint_changed(
        &mut self,
        before: &[(bool, String, usize)],
        taint: &[Incomplete],
        stmt: &Stmt,
    ) {
        let after = self.table_names();
        for (access, name, rows) in after {
            if before
                .iter()
                .any(|(a, n, r)| *a == access && n == &name && *r == rows)
            {
                continue;
            }
            if let Some(t) = self.st.section_mut(access).table_mut(&name) {
                for i in taint {
                    if !t.incomplete.contains(i) {
                        t.incomplete.push(i.clone());
                    }
                }
            }
        }
        let _ = stmt;
    }

    fn report_expansion(&mut self, exp: &Expanded, cx: &Cx, span: Span, kind: &StmtKind) {
        for e in &exp.errors {
            self.diags.push(
                Diagnostic::error(codes::EXPANSION, e.clone())
                    .at(cx.src, span, "while expanding this statement")
                    .with_rule("S6"),
            );
        }
        let matters = matches!(
            kind,
            StmtKind::Load(_)
                | StmtKind::Drop { .. }
                | StmtKind::Rename { .. }
                | StmtKind::Store { .. }
                | StmtKind::Let { .. }
                | StmtKind::Set { .. }
        );
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
    /// `None` after reporting an error.
    pub(crate) fn value(&mut self, e: &Expr, cx: &Cx) -> Option<Value> {
        let raw = cx.slice(e.span);
        let owned;
        let expr = if raw.contains("$(") {
            let exp = expand_text(&self.st, raw, 0);
            let kind = StmtKind::Disconnect;
            self.report_expansion(&exp, cx, e.span, &kind);
            if exp.text.trim().is_empty() {
                return Some(Value::Null);
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
                    return None;
                }
            }
        } else {
            e
        };
        let res = Ctx::plain(&self.st).eval(expr);
        match res {
            Ok(v) => Some(v),
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
                None
            }
        }
    }

    fn cond(&mut self, e: &Expr, cx: &Cx) -> Option<bool> {
        self.value(e, cx).map(|v| v.truthy())
    }

    /// The first incomplete reason of a table an expression reads with `Peek`, `Lookup`,
    /// `FieldValue`, `NoOfRows`, … (any incomplete table when the table is not named literally).
    fn reads_uncertain_table(&self, e: &Expr) -> Option<Incomplete> {
        const READERS: &[&str] = &[
            "peek",
            "lookup",
            "fieldvalue",
            "fieldvaluecount",
            "noofrows",
            "exists",
            "fieldname",
            "nooffields",
        ];
        let mut found = None;
        super::eval::walk(e, &mut |x| {
            if found.is_some() {
                return;
            }
            if let ExprKind::Call { name, args, .. } = &x.kind {
                if !READERS.contains(&name.text.to_ascii_lowercase().as_str()) {
                    return;
                }
                let named = args.iter().rev().find_map(|a| match &a.kind {
                    ExprKind::Str(s) => self.st.table(s),
                    _ => None,
                });
                found = match named {
                    Some(t) => t.incomplete.first().cloned(),
                    None => self
                        .st
                        .app
                        .tables
                        .iter()
                        .chain(self.st.security.tables.iter())
                        .find_map(|t| t.incomplete.first().cloned()),
                };
            }
        });
        found
    }

    fn set_var(&mut self, name: &str, value: String) {
        self.st.vars.insert(name.to_string(), value);
        self.st.tainted.remove(name);
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
        let (Some(a), Some(b)) = (self.value(from, cx), self.value(to, cx)) else {
            return Flow::Normal;
        };
        let s = match step {
            Some(e) => match self.value(e, cx) {
                Some(v) => v,
                None => return Flow::Normal,
            },
            None => Value::num(1.0),
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
        let mut values: Vec<String> = Vec::new();
        for item in items {
            if let ExprKind::Call { name, args, .. } = &item.kind {
                let lower = name.text.to_ascii_lowercase();
                if lower == "filelist" || lower == "dirlist" {
                    let Some(pat) = args.first().and_then(|a| self.value(a, cx)) else {
                        return Flow::Normal;
                    };
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
                            // Like a missing file: what the loop would load is unknown. Error when
                            // Section Access could depend on it (decided at the end), else a warning.
                            let reason = format!(
                                "missing source: {}(`{pattern}`): {e}; the loop over it did not run",
                                name.text
                            );
                            let access = self.st.access;
                            self.st.unknown_fields.push((
                                access,
                                Incomplete {
                                    reason,
                                    at: Some((cx.src, item.span)),
                                },
                            ));
                        }
                    }
                    continue;
                }
                if lower == "fieldvaluelist" {
                    let Some(f) = args.first().and_then(|a| self.value(a, cx)) else {
                        return Flow::Normal;
                    };
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
                                return Flow::Normal;
                            }
                        },
                        Err(_) => values.push(part.trim().to_string()),
                    }
                }
                continue;
            }
            match self.value(item, cx) {
                Some(v) => values.push(v.text_or_empty().into_owned()),
                None => return Flow::Normal,
            }
        }
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

    fn exec_call(
        &mut self,
        name: &Name,
        args: &[Expr],
        raw_args: Option<&syntax::RawText>,
        span: Span,
        cx: &Cx,
    ) -> Flow {
        let key = name.text.to_ascii_lowercase();
        let Some(sub) = self.subs.get(&key).cloned() else {
            self.diags.push(
                Diagnostic::error(codes::UNKNOWN_SUB, format!("CALL of `{}`, which is not defined (yet)", name.text))
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
                .at(cx.src, span, "stopped here"),
            );
            return Flow::Abort;
        }
        // S6: arguments kept raw are read now, after expansion, from their expanded text
        let expanded;
        let (args, cx) = match raw_args {
            Some(raw) => match self.expand_call_args(raw, cx) {
                Some(x) => {
                    expanded = x;
                    (expanded.1.as_slice(), &expanded.0)
                }
                None => return Flow::Normal,
            },
            None => (args, cx),
        };
        let mut vals = Vec::new();
        for a in args {
            match self.value(a, cx) {
                Some(v) => vals.push(v),
                None => return Flow::Normal,
            }
        }
        // Parameters are local: save and restore what the names held.
        let mut saved = Vec::new();
        for (i, p) in sub.params.iter().enumerate() {
            saved.push((p.text.clone(), self.st.vars.get(&p.text).cloned()));
            match vals.get(i) {
                Some(v) if !v.is_null() => self.set_var(&p.text, v.text_or_empty().into_owned()),
                _ => {
                    self.st.vars.remove(&p.text);
                }
            }
        }
        self.call_depth += 1;
        let flow = self.exec_block(&sub.body.statements, &sub.cx);
        self.call_depth -= 1;
        for (k, v) in saved.into_iter().rev() {
            match v {
                Some(v) => {
                    self.st.vars.insert(k, v);
                }
                None => {
                    self.st.vars.remove(&k);
                }
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
    fn expand_call_args(&mut self, raw: &syntax::RawText, cx: &Cx) -> Option<(Cx, Vec<Expr>)> {
        let exp = expand_text(&self.st, &raw.text, 0);
        self.report_expansion(&exp, cx, raw.span, &StmtKind::Disconnect);
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
                let d = if must {
                    Diagnostic::error(
                        codes::INCLUDE_MISSING,
                        format!("$(must_include={path_text}): cannot read the file ({reason})"),
                    )
                } else {
                    Diagnostic::warning(
                        codes::INCLUDE_MISSING,
                        format!("$(include={path_text}): cannot read the file ({reason}); Qlik skips it silently"),
                    )
                };
                self.diags.push(d.at(cx.src, span, format!("{what} here")).with_rule("S6").with_help("paths are relative to the including script; map lib:// folders with --lib NAME=DIR"));
                return Flow::Normal;
            }
        };
        if self.include_depth >= MAX_INCLUDE_DEPTH {
            self.diags.push(
                Diagnostic::error(codes::RECURSION_LIMIT, format!("includes nested deeper than {MAX_INCLUDE_DEPTH} levels (a file including itself?)"))
                    .at(cx.src, span, "stopped here"),
            );
            return Flow::Abort;
        }
        let text = crate::diag::decode_script_bytes_as(&bytes, self.st.opts.encoding);
        let id = self.sources.add(SourceFile::new(
            path.display().to_string(),
            Some(path.clone()),
            text.as_str(),
        ));
        let statements = self.parse_file(id, &text);
        let sub = Cx {
            src: id,
            text: Arc::from(text.as_str()),
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
                let v = value
                    .as_ref()
                    .map(|r| unquote_set_value(r.text.trim()))
                    .unwrap_or_default();
                self.set_var(&name.text, v);
            }
            StmtKind::Let { name, expr } => {
                let Some(expr) = expr else {
                    self.set_var(&name.text, String::new());
                    return;
                };
                let from_uncertain = self.reads_uncertain_table(expr);
                match Ctx::plain(&self.st).eval(expr) {
                    Ok(_) if from_uncertain.is_some() => {
                        let inc = from_uncertain.unwrap_or_else(|| Incomplete {
                            reason: String::new(),
                            at: None,
                        });
                        self.diags.push(
                            Diagnostic::warning(
                                codes::EXPRESSION,
                                format!(
                                    "LET {}: reads a table qsa could not load faithfully ({})",
                                    name.text, inc.reason
                                ),
                            )
                            .at(cx.src, span, "value uncertain"),
                        );
                        self.set_var(&name.text, String::new());
                        self.st.tainted.insert(name.text.clone(), inc);
                    }
                    Ok(v) if v.is_null() => {
                        self.st.vars.remove(&name.text);
                        self.st.tainted.remove(&name.text);
                    }
                    Ok(v) => self.set_var(&name.text, v.text_or_empty().into_owned()),
                    Err(e) => {
                        let reason = format!("variable `{}`: {}", name.text, e.message);
                        self.diags.push(
                            Diagnostic::warning(codes::EXPRESSION, format!("LET {}: cannot evaluate: {}", name.text, e.message))
                                .at(cx.src, e.span, "")
                                .with_help("the variable is left empty; anything loaded using it is marked as uncertain"),
                        );
                        self.set_var(&name.text, String::new());
                        self.st.tainted.insert(
                            name.text.clone(),
                            Incomplete {
                                reason,
                                at: Some((cx.src, span)),
                            },
                        );
                    }
                }
            }
            StmtKind::Section(kind) => {
                self.st.access = *kind == SectionKind::Access;
            }
            StmtKind::Load(ls) => self.exec_load(ls, stmt, cx),
            StmtKind::Drop {
                target,
                names,
                from,
            } => self.exec_drop(*target, names, from, span, cx),
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
            } => self.exec_store(table, path, format, fields, span, cx),
            StmtKind::Qualify { unqualify, names } => {
                for n in names {
                    if n.text.trim() == "*" && *unqualify {
                        // `UNQUALIFY *` resets everything.
                        self.st.qualify.clear();
                    }
                    self.st.qualify.push((n.text.clone(), !*unqualify));
                }
            }
            StmtKind::Star { symbol } => {
                let _ = symbol;
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
            StmtKind::Unsupported { keyword } if self.st.access => {
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
            | StmtKind::Sleep { .. }
            | StmtKind::Error => {}
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
        for (access, inc) in &self.st.unknown_fields {
            if !seen.insert((inc.reason.clone(), inc.at)) {
                continue;
            }
            if *access || !sec_fields.is_empty() {
                out.push(incomplete_diag(
                    inc,
                    Severity::Error,
                    "its fields are unknown, so it may hold a reduction field".into(),
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
        // Variables qsa could not compute: harmless unless they fed something (then the table carries it).
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
                            Some((*source, *span))
                        }
                        _ => t.source,
                    }
                };
                if let Some((ri, example)) = lower {
                    let mut d = Diagnostic::warning(
                        codes::LOWERCASE_SECURITY_VALUE,
                        format!(
                            "security table `{}`, field `{f}`: {lower_count} value(s) with lower-case letters (e.g. `{example}`, row {}); only INLINE loads upper-case values in Section Access, and identities are compared upper-cased, so these never match",
                            t.name,
                            ri + 1
                        ),
                    )
                    .with_rule("S4")
                    .with_rule("I3")
                    .with_help("wrap the field in Upper() in the LOAD");
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

/// Section Access system fields (everything else in a security table is a reduction field).
pub(crate) const SYSTEM_FIELDS: &[&str] = &[
    "ACCESS",
    "USERID",
    "USER.EMAIL",
    "GROUP",
    "PASSWORD",
    "SERIAL",
    "NTNAME",
    "NTDOMAINSID",
    "NTSID",
    "OMIT",
];

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
