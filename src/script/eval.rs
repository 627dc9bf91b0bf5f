//! Expression evaluation: Qlik semantics over [`Value`] duals.
//!
//! - `&` concatenates texts (NULL reads as the empty text).
//! - Arithmetic on anything that is not a number gives NULL.
//! - Comparisons are numeric when both sides have a number, else on the text (case-sensitive); a NULL
//!   side makes a comparison false.
//! - `LIKE` matches with `*` and `?`, case-insensitively.
//! - True is -1, false is 0.
//!
//! Functions that need the runner's state (inter-record functions, mapping, table introspection and
//! GROUP BY aggregations) are evaluated here; everything else goes to [`super::functions::call`].

use super::functions::{self, FnError};
use super::runner::State;
use crate::diag::Span;
use crate::model::{Origins, Value};
use crate::syntax::{BinaryOp, Expr, ExprKind, UnaryOp};
use std::cell::RefCell;
use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::path::Path;

/// A row-major table being loaded: the input of one load part.
#[derive(Clone, Debug, Default)]
pub(crate) struct Frame {
    pub fields: Vec<String>,
    pub rows: Vec<Vec<Value>>,
    pub origins: Origins,
}

impl Frame {
    pub fn new(fields: Vec<String>) -> Self {
        Frame {
            fields,
            rows: Vec::new(),
            origins: Origins::new(),
        }
    }
    pub fn index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }
    /// Exact name first, then a case-insensitive match (security tables upper-case their names).
    pub fn index_loose(&self, name: &str) -> Option<usize> {
        self.index(name).or_else(|| {
            self.fields
                .iter()
                .position(|f| f.eq_ignore_ascii_case(name))
        })
    }
}

/// Where a missing field was looked for, when the row comes from a file: ` in `FILE` (its fields:
/// …)`, so a file read with the wrong delimiter, encoding or sheet is named with what it holds. Field
/// names are cut (a 10 MB header line is never echoed back), at most [`FIELDS_SHOWN`] of them.
fn in_source(row: &RowCx) -> String {
    const FIELDS_SHOWN: usize = 8;
    const NAME_CHARS: usize = 40;
    let path = match row.frame.origins.get(row.idx) {
        Some(crate::model::RowOrigin::File { path, .. }) => path.to_string(),
        _ => match row.file {
            Some(p) => p.display().to_string(),
            None => return String::new(),
        },
    };
    let clip = |f: &str| {
        let mut c: String = f.escape_debug().take(NAME_CHARS).collect();
        if f.escape_debug().nth(NAME_CHARS).is_some() {
            c.push('…');
        }
        format!("`{c}`")
    };
    let mut shown: Vec<String> = row
        .frame
        .fields
        .iter()
        .take(FIELDS_SHOWN)
        .map(|f| clip(f))
        .collect();
    if row.frame.fields.len() > FIELDS_SHOWN {
        shown.push(format!("… ({} in all)", row.frame.fields.len()));
    }
    format!(" in `{path}` (its fields: {})", shown.join(", "))
}

/// Why an expression could not be evaluated.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct EvalError {
    pub message: String,
    pub span: Span,
    /// `true` when the expression uses something qsa does not implement (as opposed to an error the
    /// script itself has, such as a missing field).
    pub unsupported: bool,
}

impl EvalError {
    fn new(message: impl Into<String>, span: Span) -> Self {
        EvalError {
            message: message.into(),
            span,
            unsupported: false,
        }
    }
    fn unsupported(message: impl Into<String>, span: Span) -> Self {
        EvalError {
            message: message.into(),
            span,
            unsupported: true,
        }
    }
}

pub(crate) type EvalResult = Result<Value, EvalError>;

/// Values of fields loaded so far, for `Exists()`.
#[derive(Default, Debug)]
pub(crate) struct ExistsIndex {
    map: HashMap<String, HashSet<Value>>,
}

impl ExistsIndex {
    fn ensure(&mut self, st: &State, field: &str) {
        if self.map.contains_key(field) {
            return;
        }
        let mut set = HashSet::new();
        for t in &st.model().tables {
            if let Some(col) = t.column(field) {
                for v in col.used_values() {
                    set.insert(v.clone());
                }
            }
        }
        self.map.insert(field.to_string(), set);
    }
    pub fn contains(&mut self, st: &State, field: &str, v: &Value) -> bool {
        self.ensure(st, field);
        self.map.get(field).map(|s| s.contains(v)).unwrap_or(false)
    }
    pub fn add(&mut self, st: &State, field: &str, v: &Value) {
        if v.is_null() {
            return;
        }
        self.ensure(st, field);
        if let Some(s) = self.map.get_mut(field) {
            s.insert(v.clone());
        }
    }
}

/// The row an expression is evaluated against.
#[derive(Clone, Copy)]
pub(crate) struct RowCx<'a> {
    pub frame: &'a Frame,
    /// The current input row (in group mode: the first row of the group).
    pub idx: usize,
    /// GROUP BY: the rows of the group (aggregations run over them).
    pub group: Option<&'a [usize]>,
    /// The previous input row that passed WHERE (for `Previous`).
    pub prev: Option<usize>,
    pub recno: usize,
    pub rowno: usize,
    pub iterno: usize,
    /// Output rows produced so far by this load part (for `Peek` without a table).
    pub out: Option<(&'a [String], &'a [Vec<Value>])>,
    /// The file being read, for `FileName()` etc.
    pub file: Option<&'a Path>,
}

/// Everything an evaluation can see.
#[derive(Clone, Copy)]
pub(crate) struct Ctx<'a> {
    pub st: &'a State,
    pub row: Option<RowCx<'a>>,
    /// Values of two-argument `SubField` calls for the row being generated, by the call's span.
    pub subfield: Option<&'a HashMap<(usize, usize), Value>>,
    pub exists: Option<&'a RefCell<ExistsIndex>>,
}

impl<'a> Ctx<'a> {
    pub fn plain(st: &'a State) -> Self {
        Ctx {
            st,
            row: None,
            subfield: None,
            exists: None,
        }
    }

    fn with_row(&self, row: RowCx<'a>) -> Self {
        Ctx {
            row: Some(row),
            ..*self
        }
    }

    pub fn eval(&self, e: &Expr) -> EvalResult {
        match &e.kind {
            ExprKind::Num { value, text } => {
                // A literal keeps its number; its text is the number's (Qlik shows `1.50` as 1.5).
                let _ = text;
                Ok(Value::num(*value))
            }
            ExprKind::Str(s) => Ok(Value::str(s)),
            ExprKind::Field(name) => self.field(&name.text, e.span),
            ExprKind::Expansion(inner) => self.eval_expansion(inner, e.span),
            ExprKind::Paren(inner) => self.eval(inner),
            ExprKind::Unary { op, expr } => {
                let v = self.eval(expr)?;
                Ok(match op {
                    UnaryOp::Neg => v.as_num().map(|n| Value::num(-n)).unwrap_or(Value::Null),
                    UnaryOp::Plus => v.as_num().map(Value::num).unwrap_or(Value::Null),
                    UnaryOp::Not => Value::bool(!v.truthy()),
                    UnaryOp::BitNot => v
                        .as_num()
                        .map(|n| Value::num(!(n as i64) as f64))
                        .unwrap_or(Value::Null),
                })
            }
            ExprKind::Binary { op, lhs, rhs } => {
                // AND / OR short-circuit is not observable (no side effects) but saves work.
                let a = self.eval(lhs)?;
                match op {
                    BinaryOp::And if !a.truthy() => return Ok(Value::bool(false)),
                    BinaryOp::Or if a.truthy() => return Ok(Value::bool(true)),
                    _ => {}
                }
                let b = self.eval(rhs)?;
                if matches!(op, BinaryOp::Concat) {
                    // A text doubled in a loop must not grow past `--max-memory`.
                    let bytes = a.heap_bytes().saturating_add(b.heap_bytes());
                    self.st
                        .budget
                        .check(bytes, || "the text `&` builds".to_string())
                        .map_err(|x| EvalError::new(x.to_string(), e.span))?;
                }
                Ok(binary(*op, &a, &b))
            }
            ExprKind::Call {
                name,
                distinct,
                args,
            } => self.call(&name.text, *distinct, omit_trailing_absent(args), e),
            // An empty argument in the middle (`f(a,,c)`) is NULL; optional arguments read NULL as
            // their default.
            ExprKind::Absent => Ok(Value::Null),
        }
    }

    fn eval_expansion(&self, inner: &str, span: Span) -> EvalResult {
        let text = super::expand::expand_text(self.st, &format!("$({inner})"), 0).text;
        if text.trim().is_empty() {
            return Ok(Value::Null);
        }
        match crate::syntax::parse_expr(crate::diag::SourceId(0), &text) {
            Ok(expr) => self.eval(&expr),
            Err(_) => Ok(Value::from_loaded_text(&text)),
        }
        .map_err(|e: EvalError| EvalError { span, ..e })
    }

    fn field(&self, name: &str, span: Span) -> EvalResult {
        if let Some(row) = &self.row {
            if let Some(i) = row.frame.index_loose(name) {
                return Ok(row
                    .frame
                    .rows
                    .get(row.idx)
                    .and_then(|r| r.get(i))
                    .cloned()
                    .unwrap_or_default());
            }
        }
        // Outside a row, or not a field of the row: a variable (Qlik allows `IF vX > 1 THEN`).
        if let Some(v) = self.st.vars.get(name) {
            return Ok(Value::from_loaded_text(v));
        }
        if let Some(row) = &self.row {
            return Err(EvalError::new(
                format!("field `{name}` not found{}", in_source(row)),
                span,
            ));
        }
        Ok(Value::Null)
    }

    /// `FileSize`, `FileTime` and the QVD header functions. A file qsa cannot see (missing, an unmapped
    /// `lib://`, read after `EXECUTE`) is unknown, not absent: it may exist where the app reloads.
    fn file_info(&self, lower: &str, name: &str, args: &[Expr], span: Span) -> EvalResult {
        let (min, max) = match lower {
            "qvdfieldname" => (2, 2),
            "filesize" | "filetime" => (0, 1),
            _ => (1, 1),
        };
        self.need_args(name, args, min, max, span)?;
        let unknown = |why: String| EvalError::unsupported(format!("`{name}()`: {why}"), span);
        if let Some(inc) = &self.st.fs_unknown {
            return Err(unknown(inc.reason.clone()));
        }
        let path = if args.is_empty() {
            match self.row.and_then(|r| r.file) {
                Some(p) => p.to_path_buf(),
                None => return Ok(Value::Null),
            }
        } else {
            let raw = self.arg_text(args, 0)?;
            let ctx = self.st.path_context(&self.st.cur_dir);
            super::sources::resolve_path(raw.trim(), &ctx).map_err(|e| unknown(e.to_string()))?
        };
        if lower == "filetime" {
            return Err(unknown(
                "the file's time where the app reloads cannot be known offline".into(),
            ));
        }
        // A table STOREd earlier in this run: the file exists in the reload, with that content.
        if let Some(t) = self.st.stored.get(&path) {
            return match lower {
                "qvdnoofrecords" => Ok(Value::num(t.row_count() as f64)),
                "qvdnooffields" => Ok(Value::num(t.fields.len() as f64)),
                "qvdtablename" => Ok(Value::str(&t.name)),
                "qvdfieldname" => {
                    let n = self.arg(args, 1)?.as_num().unwrap_or(0.0);
                    let i = (n as usize).wrapping_sub(1);
                    Ok(t.fields.get(i).map(Value::str).unwrap_or_default())
                }
                _ => Err(unknown(format!(
                    "`{}` is written by a STORE in this reload; its size and time are not known offline",
                    path.display()
                ))),
            };
        }
        if !path.is_file() {
            return Err(unknown(format!(
                "qsa cannot see `{}`; it may exist where the app reloads (map lib:// folders with --lib NAME=DIR)",
                path.display()
            )));
        }
        if lower == "filesize" {
            let len = std::fs::metadata(&path)
                .map_err(|e| unknown(e.to_string()))?
                .len();
            return Ok(Value::num(len as f64));
        }
        let h = super::sources::qvd::read_qvd_header(&path)
            .map_err(|e| EvalError::new(format!("`{name}()`: {e}"), span))?;
        Ok(match lower {
            "qvdcreatetime" if h.create_time.is_empty() => Value::Null,
            "qvdcreatetime" => Value::str(&h.create_time),
            "qvdnoofrecords" => Value::num(h.records as f64),
            "qvdnooffields" => Value::num(h.fields.len() as f64),
            "qvdtablename" => Value::str(&h.table_name),
            _ => {
                let n = self.arg(args, 1)?.as_num().unwrap_or(0.0);
                let i = (n as usize).wrapping_sub(1);
                h.fields.get(i).map(Value::str).unwrap_or_default()
            }
        })
    }

    fn args(&self, args: &[Expr]) -> Result<Vec<Value>, EvalError> {
        args.iter().map(|a| self.eval(a)).collect()
    }

    fn arg(&self, args: &[Expr], i: usize) -> EvalResult {
        match args.get(i) {
            Some(a) => self.eval(a),
            None => Ok(Value::Null),
        }
    }

    fn arg_text(&self, args: &[Expr], i: usize) -> Result<String, EvalError> {
        Ok(self.arg(args, i)?.text_or_empty().into_owned())
    }

    fn need_args(
        &self,
        name: &str,
        args: &[Expr],
        min: usize,
        max: usize,
        span: Span,
    ) -> Result<(), EvalError> {
        if args.len() < min || args.len() > max {
            return Err(EvalError::new(
                format!(
                    "`{name}` expects {min}..={max} arguments, got {}",
                    args.len()
                ),
                span,
            ));
        }
        Ok(())
    }

    fn call(&self, name: &str, distinct: bool, args: &[Expr], e: &Expr) -> EvalResult {
        let span = e.span;
        let lower = name.to_ascii_lowercase();
        if let Some(agg) = Aggregate::from_name(&lower) {
            return self.aggregate(agg, name, distinct, args, span);
        }
        match lower.as_str() {
            "if" => {
                self.need_args(name, args, 2, 3, span)?;
                if self.arg(args, 0)?.truthy() {
                    self.arg(args, 1)
                } else {
                    self.arg(args, 2)
                }
            }
            "recno" => Ok(self
                .row
                .map(|r| Value::num(r.recno as f64))
                .unwrap_or(Value::Null)),
            "rowno" => Ok(self
                .row
                .map(|r| Value::num(r.rowno as f64))
                .unwrap_or(Value::Null)),
            "iterno" => Ok(self
                .row
                .map(|r| Value::num(r.iterno as f64))
                .unwrap_or(Value::Null)),
            "subfield" if args.len() == 2 => {
                if let Some(v) = self.subfield.and_then(|m| m.get(&(span.start, span.end))) {
                    return Ok(v.clone());
                }
                // Outside a load (LET, IF): the first part, as Qlik does in a scalar context.
                let s = self.arg(args, 0)?;
                let sep = self.arg_text(args, 1)?;
                Ok(match s.text() {
                    None => Value::Null,
                    Some(t) => split_parts(&t, &sep)
                        .into_iter()
                        .next()
                        .map(|p| Value::from_loaded_text(&p))
                        .unwrap_or_default(),
                })
            }
            "peek" => self.peek(name, args, span),
            "previous" => {
                self.need_args(name, args, 1, 1, span)?;
                match self.row {
                    Some(r) => match r.prev {
                        Some(p) => self
                            .with_row(RowCx {
                                idx: p,
                                group: None,
                                prev: None,
                                ..r
                            })
                            .arg(args, 0),
                        None => Ok(Value::Null),
                    },
                    None => Ok(Value::Null),
                }
            }
            "exists" => {
                self.need_args(name, args, 1, 2, span)?;
                // `Exists(Employee)` names the field even inside a LOAD that has an `Employee` field
                // (Qlik's own example: `… Where Not Exists(Employee);`).
                let field = match args.first().map(|a| &a.kind) {
                    Some(ExprKind::Field(n)) => n.text.clone(),
                    _ => self.arg_text(args, 0)?,
                };
                let v = if args.len() == 2 {
                    self.arg(args, 1)?
                } else {
                    self.field(&field, span)?
                };
                let Some(idx) = self.exists else {
                    let mut tmp = ExistsIndex::default();
                    return Ok(Value::bool(tmp.contains(self.st, &field, &v)));
                };
                let found = idx.borrow_mut().contains(self.st, &field, &v);
                Ok(Value::bool(found))
            }
            // `AutoNumber(expr [, AutoID])`: a distinct integer per distinct value, counted from 1 in
            // order of first appearance, one counter per AutoID. The `Hash` forms number the
            // combination of their arguments (the default counter is shared by all of them).
            "autonumber" | "autonumberhash128" | "autonumberhash256" => {
                let hashed = lower != "autonumber";
                let (key, counter) = if hashed {
                    self.need_args(name, args, 1, usize::MAX, span)?;
                    let mut parts = Vec::with_capacity(args.len());
                    for i in 0..args.len() {
                        parts.push(self.arg(args, i)?.text_or_empty().into_owned());
                    }
                    (Some(parts.join("\u{1f}")), format!("\u{0}{lower}"))
                } else {
                    self.need_args(name, args, 1, 2, span)?;
                    let key = self.arg(args, 0)?.text().map(|t| t.into_owned());
                    let id = if args.len() == 2 {
                        self.arg_text(args, 1)?
                    } else {
                        String::new()
                    };
                    (key, id)
                };
                let Some(key) = key else {
                    return Ok(Value::Null);
                };
                let mut counters = self.st.autonumber.borrow_mut();
                let numbers = counters.entry(counter).or_default();
                let next = numbers.len() as u64 + 1;
                let n = *numbers.entry(key).or_insert(next);
                Ok(Value::num(n as f64))
            }
            "applymap" => {
                self.need_args(name, args, 2, 3, span)?;
                let map_name = self.arg_text(args, 0)?;
                let Some(map) = self.st.mapping(&map_name) else {
                    return Err(EvalError::new(
                        format!("mapping table `{map_name}` not found"),
                        span,
                    ));
                };
                let v = self.arg(args, 1)?;
                match map.get(&v) {
                    Some(r) => Ok(r.clone()),
                    None if args.len() == 3 => self.arg(args, 2),
                    None => Ok(v),
                }
            }
            "mapsubstring" => {
                self.need_args(name, args, 2, 2, span)?;
                let map_name = self.arg_text(args, 0)?;
                let Some(map) = self.st.mapping(&map_name) else {
                    return Err(EvalError::new(
                        format!("mapping table `{map_name}` not found"),
                        span,
                    ));
                };
                let v = self.arg(args, 1)?;
                match v.text() {
                    None => Ok(Value::Null),
                    Some(t) => Ok(Value::from_loaded_text(&map.substitute(&t))),
                }
            }
            "fieldvalue" => {
                self.need_args(name, args, 2, 2, span)?;
                let f = self.field_name_arg(args, 0)?;
                let n = self.arg(args, 1)?.as_num().unwrap_or(0.0);
                let vals = self.st.field_values(&f);
                if n < 1.0 {
                    return Ok(Value::Null);
                }
                Ok(vals.get(n as usize - 1).cloned().unwrap_or_default())
            }
            "fieldvaluecount" => {
                self.need_args(name, args, 1, 1, span)?;
                let f = self.field_name_arg(args, 0)?;
                Ok(Value::num(self.st.field_values(&f).len() as f64))
            }
            "noofrows" => {
                self.need_args(name, args, 1, 1, span)?;
                let t = self.arg_text(args, 0)?;
                Ok(self
                    .st
                    .table(&t)
                    .map(|t| Value::num(t.row_count() as f64))
                    .unwrap_or(Value::Null))
            }
            "nooffields" => {
                self.need_args(name, args, 0, 1, span)?;
                let t = self.arg_text(args, 0)?;
                Ok(self
                    .st
                    .table(&t)
                    .map(|t| Value::num(t.fields.len() as f64))
                    .unwrap_or(Value::Null))
            }
            "fieldname" => {
                self.need_args(name, args, 2, 2, span)?;
                let n = self.arg(args, 0)?.as_num().unwrap_or(0.0);
                let t = self.arg_text(args, 1)?;
                Ok(self
                    .st
                    .table(&t)
                    .and_then(|t| {
                        if n >= 1.0 {
                            t.fields.get(n as usize - 1)
                        } else {
                            None
                        }
                    })
                    .map(Value::str)
                    .unwrap_or_default())
            }
            "fieldnumber" => {
                self.need_args(name, args, 2, 2, span)?;
                let f = self.arg_text(args, 0)?;
                let t = self.arg_text(args, 1)?;
                Ok(Value::num(
                    self.st
                        .table(&t)
                        .and_then(|t| t.field_index(&f))
                        .map(|i| i as f64 + 1.0)
                        .unwrap_or(0.0),
                ))
            }
            "tablename" => {
                self.need_args(name, args, 1, 1, span)?;
                let n = self.arg(args, 0)?.as_num().unwrap_or(-1.0);
                let model = self.st.model();
                Ok(if n >= 0.0 {
                    model
                        .tables
                        .get(n as usize)
                        .map(|t| Value::str(&t.name))
                        .unwrap_or_default()
                } else {
                    Value::Null
                })
            }
            "tablenumber" => {
                self.need_args(name, args, 1, 1, span)?;
                let t = self.arg_text(args, 0)?;
                Ok(self
                    .st
                    .model()
                    .tables
                    .iter()
                    .position(|x| x.name == t)
                    .map(|i| Value::num(i as f64))
                    .unwrap_or_default())
            }
            "nooftables" => Ok(Value::num(self.st.model().tables.len() as f64)),
            "lookup" => {
                self.need_args(name, args, 3, 4, span)?;
                let f = self.arg_text(args, 0)?;
                let mf = self.arg_text(args, 1)?;
                let v = self.arg(args, 2)?;
                let table =
                    match args.len() {
                        4 => self.st.table(&self.arg_text(args, 3)?),
                        _ => {
                            self.st.model().tables.iter().rev().find(|t| {
                                t.field_index(&f).is_some() && t.field_index(&mf).is_some()
                            })
                        }
                    };
                let Some(t) = table else {
                    return Ok(Value::Null);
                };
                let (Some(fi), Some(mi)) = (t.field_index(&f), t.field_index(&mf)) else {
                    return Ok(Value::Null);
                };
                // The first row whose value matches: decided once per distinct value of the column.
                let (Some(mc), Some(fc)) = (t.columns.get(mi), t.columns.get(fi)) else {
                    return Ok(Value::Null);
                };
                let hit: Vec<bool> = mc.dict().iter().map(|x| x == &v).collect();
                let row = if v.is_null() {
                    mc.iter().position(Value::is_null)
                } else {
                    mc.ids()
                        .iter()
                        .position(|&i| hit.get(i as usize).copied().unwrap_or(false))
                };
                Ok(row.and_then(|r| fc.get(r).cloned()).unwrap_or_default())
            }
            "filebasename" | "filename" | "filepath" | "fileextension" | "filedir" => {
                let Some(path) = self.row.and_then(|r| r.file) else {
                    return Ok(Value::Null);
                };
                let s = match lower.as_str() {
                    "filebasename" => path.file_stem().map(|s| s.to_string_lossy().into_owned()),
                    "filename" => path.file_name().map(|s| s.to_string_lossy().into_owned()),
                    "fileextension" => path.extension().map(|s| s.to_string_lossy().into_owned()),
                    "filedir" => path.parent().map(|s| s.display().to_string()),
                    _ => Some(path.display().to_string()),
                };
                Ok(s.map(Value::str).unwrap_or_default())
            }
            // qsa models a full reload (`Add Only` / `Replace Only` loads are skipped, too).
            "ispartialreload" => {
                self.need_args(name, args, 0, 0, span)?;
                Ok(Value::num(0.0))
            }
            "filesize" | "filetime" | "qvdcreatetime" | "qvdnoofrecords" | "qvdnooffields"
            | "qvdfieldname" | "qvdtablename" => self.file_info(&lower, name, args, span),
            "filelist" | "dirlist" => Err(EvalError::new(
                format!("`{name}()` is only allowed in FOR EACH"),
                span,
            )),
            "evaluate" => {
                self.need_args(name, args, 1, 1, span)?;
                let t = self.arg_text(args, 0)?;
                match crate::syntax::parse_expr(crate::diag::SourceId(0), &t) {
                    Ok(x) => self.eval(&x).map_err(|e| EvalError { span, ..e }),
                    Err(_) => Ok(Value::Null),
                }
            }
            _ => {
                let vals = self.args(args)?;
                functions::call(name, &vals, &self.st.fn_env).map_err(|err| match err {
                    FnError::Unknown => EvalError::unsupported(
                        format!("function `{name}()` is not supported by qsa"),
                        span,
                    ),
                    other => EvalError::new(format!("`{name}()`: {other}"), span),
                })
            }
        }
    }

    /// A field-name argument: a string literal or a bare name.
    fn field_name_arg(&self, args: &[Expr], i: usize) -> Result<String, EvalError> {
        match args.get(i).map(|a| &a.kind) {
            Some(ExprKind::Field(n))
                if self
                    .row
                    .and_then(|r| r.frame.index_loose(&n.text))
                    .is_none()
                    && !self.st.vars.contains_key(&n.text) =>
            {
                Ok(n.text.clone())
            }
            _ => self.arg_text(args, i),
        }
    }

    fn peek(&self, name: &str, args: &[Expr], span: Span) -> EvalResult {
        self.need_args(name, args, 1, 3, span)?;
        let field = self.field_name_arg(args, 0)?;
        let n = if args.len() >= 2 {
            self.arg(args, 1)?.as_num()
        } else {
            Some(-1.0)
        };
        let Some(n) = n else { return Ok(Value::Null) };
        let n = n.trunc() as i64;
        let pick = |len: usize| -> Option<usize> {
            if n >= 0 {
                let i = n as usize;
                (i < len).then_some(i)
            } else {
                let back = n.unsigned_abs() as usize;
                len.checked_sub(back)
            }
        };
        // Without a table, or naming a table that does not exist yet (the one being loaded, as in
        // `Peek('Cum', -1, 'Run')` inside Run's own load): the rows this load produced so far.
        let own_table = args.len() < 3 || {
            let t = self.arg_text(args, 2)?;
            self.st.table(&t).is_none()
        };
        if own_table {
            if let Some((fields, rows)) = self.row.and_then(|r| r.out) {
                let Some(fi) = fields
                    .iter()
                    .position(|f| f == &field)
                    .or_else(|| fields.iter().position(|f| f.eq_ignore_ascii_case(&field)))
                else {
                    return Ok(Value::Null);
                };
                return Ok(pick(rows.len())
                    .and_then(|i| rows.get(i))
                    .and_then(|r| r.get(fi))
                    .cloned()
                    .unwrap_or_default());
            }
        }
        let table = if args.len() == 3 {
            let t = self.arg_text(args, 2)?;
            match self.st.table(&t) {
                Some(t) => t,
                None => return Err(EvalError::new(format!("Peek: table `{t}` not found"), span)),
            }
        } else {
            match self.st.last_table() {
                Some(t) => t,
                None => return Ok(Value::Null),
            }
        };
        let Some(col) = table.column(&field) else {
            return Ok(Value::Null);
        };
        Ok(pick(col.len())
            .and_then(|i| col.get(i))
            .cloned()
            .unwrap_or_default())
    }

    fn aggregate(
        &self,
        agg: Aggregate,
        name: &str,
        distinct: bool,
        args: &[Expr],
        span: Span,
    ) -> EvalResult {
        let Some(row) = self.row else {
            return Err(EvalError::new(
                format!("aggregation `{name}()` outside a LOAD"),
                span,
            ));
        };
        let Some(group) = row.group else {
            return Err(EvalError::new(
                format!("aggregation `{name}()` in a LOAD without GROUP BY"),
                span,
            ));
        };
        if args.is_empty() {
            return Err(EvalError::new(
                format!("`{name}()` expects an argument"),
                span,
            ));
        }
        let mut vals = Vec::with_capacity(group.len());
        for &r in group {
            let cx = self.with_row(RowCx {
                idx: r,
                group: None,
                ..row
            });
            vals.push(cx.eval(&args[0])?);
        }
        if distinct {
            let mut seen = HashSet::new();
            vals.retain(|v| seen.insert(v.clone()));
        }
        let nums = || vals.iter().filter_map(|v| v.as_num());
        Ok(match agg {
            Aggregate::Sum => Value::num(nums().sum()),
            Aggregate::Count => {
                // Count(*) arrives as a field named `*` in some parsers; count the rows then.
                Value::num(vals.iter().filter(|v| !v.is_null()).count() as f64)
            }
            Aggregate::Min | Aggregate::Max => {
                let rank = if args.len() > 1 {
                    self.arg(args, 1)?.as_num().unwrap_or(1.0).max(1.0) as usize
                } else {
                    1
                };
                let mut ns: Vec<f64> = nums().collect();
                ns.sort_by(|a, b| a.total_cmp(b));
                if agg == Aggregate::Max {
                    ns.reverse();
                }
                ns.get(rank - 1).map(|n| Value::num(*n)).unwrap_or_default()
            }
            Aggregate::Avg => {
                let ns: Vec<f64> = nums().collect();
                if ns.is_empty() {
                    Value::Null
                } else {
                    Value::num(ns.iter().sum::<f64>() / ns.len() as f64)
                }
            }
            Aggregate::Concat => {
                let sep = if args.len() > 1 {
                    self.arg_text(args, 1)?
                } else {
                    String::new()
                };
                let mut items: Vec<(Option<f64>, String)> = Vec::new();
                for (k, &r) in group.iter().enumerate() {
                    let v = match vals.get(k) {
                        Some(v) if !distinct => v.clone(),
                        _ => {
                            let cx = self.with_row(RowCx {
                                idx: r,
                                group: None,
                                ..row
                            });
                            cx.eval(&args[0])?
                        }
                    };
                    let w = if args.len() > 2 {
                        let cx = self.with_row(RowCx {
                            idx: r,
                            group: None,
                            ..row
                        });
                        cx.eval(&args[2])?.as_num()
                    } else {
                        None
                    };
                    if let Some(t) = v.text() {
                        if !t.is_empty() {
                            items.push((w, t.into_owned()));
                        }
                    }
                }
                if distinct {
                    let mut seen = HashSet::new();
                    items.retain(|(_, t)| seen.insert(t.clone()));
                }
                if args.len() > 2 {
                    // Lowest weight first; equal weights (e.g. all 0) keep load order (stable sort).
                    items.sort_by(|a, b| {
                        a.0.unwrap_or(f64::MAX).total_cmp(&b.0.unwrap_or(f64::MAX))
                    });
                } else {
                    items.sort_by(|a, b| a.1.cmp(&b.1));
                }
                let len = (items.iter().map(|(_, t)| t.len() as u64))
                    .fold(0u64, u64::saturating_add)
                    .saturating_add((items.len() as u64).saturating_mul(sep.len() as u64));
                self.st
                    .budget
                    .check(len, || "the text Concat() builds".to_string())
                    .map_err(|x| EvalError::new(x.to_string(), span))?;
                if items.is_empty() {
                    Value::Null
                } else {
                    Value::str(
                        items
                            .into_iter()
                            .map(|(_, t)| t)
                            .collect::<Vec<_>>()
                            .join(&sep),
                    )
                }
            }
            Aggregate::Only => {
                let mut it = vals.iter().filter(|v| !v.is_null());
                match it.next() {
                    None => Value::Null,
                    Some(first) => {
                        if it.all(|v| v == first) {
                            first.clone()
                        } else {
                            Value::Null
                        }
                    }
                }
            }
            Aggregate::MinString | Aggregate::MaxString => {
                let mut texts: Vec<&Value> = vals.iter().filter(|v| !v.is_null()).collect();
                texts.sort_by(|a, b| compare(a, b).unwrap_or(Ordering::Equal));
                let v = if agg == Aggregate::MinString {
                    texts.first()
                } else {
                    texts.last()
                };
                v.map(|v| (*v).clone()).unwrap_or_default()
            }
            Aggregate::FirstValue => vals
                .iter()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or_default(),
            Aggregate::LastValue => vals
                .iter()
                .rev()
                .find(|v| !v.is_null())
                .cloned()
                .unwrap_or_default(),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Aggregate {
    Sum,
    Count,
    Min,
    Max,
    Avg,
    Concat,
    Only,
    MinString,
    MaxString,
    FirstValue,
    LastValue,
}

impl Aggregate {
    pub fn from_name(lower: &str) -> Option<Aggregate> {
        Some(match lower {
            "sum" => Aggregate::Sum,
            "count" => Aggregate::Count,
            "min" => Aggregate::Min,
            "max" => Aggregate::Max,
            "avg" => Aggregate::Avg,
            "concat" => Aggregate::Concat,
            "only" => Aggregate::Only,
            "minstring" => Aggregate::MinString,
            "maxstring" => Aggregate::MaxString,
            "firstvalue" => Aggregate::FirstValue,
            "lastvalue" => Aggregate::LastValue,
            _ => return None,
        })
    }
}

/// A call's arguments without the empty ones at the end: `WeekDay(Today(),)` is `WeekDay(Today())`,
/// as Qlik reads an omitted optional argument.
fn omit_trailing_absent(args: &[Expr]) -> &[Expr] {
    let n = args
        .iter()
        .rposition(|a| !matches!(a.kind, ExprKind::Absent))
        .map_or(0, |i| i + 1);
    &args[..n]
}

/// Visit every sub-expression (pre-order).
pub(crate) fn walk<'e>(e: &'e Expr, f: &mut dyn FnMut(&'e Expr)) {
    f(e);
    match &e.kind {
        ExprKind::Unary { expr, .. } | ExprKind::Paren(expr) => walk(expr, f),
        ExprKind::Binary { lhs, rhs, .. } => {
            walk(lhs, f);
            walk(rhs, f);
        }
        ExprKind::Call { args, .. } => {
            for a in args {
                walk(a, f);
            }
        }
        _ => {}
    }
}

/// Does the expression use an aggregation function?
pub(crate) fn has_aggregate(e: &Expr) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let ExprKind::Call { name, .. } = &x.kind {
            if Aggregate::from_name(&name.text.to_ascii_lowercase()).is_some() {
                found = true;
            }
        }
    });
    found
}

/// Does the expression call function `lower` (lower-case name)?
pub(crate) fn calls(e: &Expr, lower: &str) -> bool {
    let mut found = false;
    walk(e, &mut |x| {
        if let ExprKind::Call { name, .. } = &x.kind {
            if name.text.eq_ignore_ascii_case(lower) {
                found = true;
            }
        }
    });
    found
}

/// Split for two-argument `SubField`: an empty separator yields the whole text.
pub(crate) fn split_parts(s: &str, sep: &str) -> Vec<String> {
    if sep.is_empty() {
        return vec![s.to_string()];
    }
    s.split(sep).map(str::to_string).collect()
}

/// Compare two values the way Qlik's relational operators do: numerically when both are numbers,
/// else by text. `None` when either is NULL.
pub(crate) fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    if a.is_null() || b.is_null() {
        return None;
    }
    match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => Some(x.total_cmp(&y)),
        _ => Some(a.text_or_empty().cmp(&b.text_or_empty())),
    }
}

pub(crate) fn binary(op: BinaryOp, a: &Value, b: &Value) -> Value {
    let num2 = |f: fn(f64, f64) -> f64| match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => Value::num(f(x, y)),
        _ => Value::Null,
    };
    let int2 = |f: fn(i64, i64) -> i64| match (a.as_num(), b.as_num()) {
        (Some(x), Some(y)) => Value::num(f(x as i64, y as i64) as f64),
        _ => Value::Null,
    };
    let cmp = |f: fn(Ordering) -> bool| Value::bool(compare(a, b).map(f).unwrap_or(false));
    match op {
        BinaryOp::Add => num2(|x, y| x + y),
        BinaryOp::Sub => num2(|x, y| x - y),
        BinaryOp::Mul => num2(|x, y| x * y),
        BinaryOp::Div => match (a.as_num(), b.as_num()) {
            (Some(_), Some(0.0)) => Value::Null,
            (Some(x), Some(y)) => Value::num(x / y),
            _ => Value::Null,
        },
        BinaryOp::Concat => {
            if a.is_null() && b.is_null() {
                Value::Null
            } else {
                Value::str(format!("{}{}", a.text_or_empty(), b.text_or_empty()))
            }
        }
        BinaryOp::Eq => cmp(|o| o == Ordering::Equal),
        BinaryOp::Ne => cmp(|o| o != Ordering::Equal),
        BinaryOp::Lt => cmp(|o| o == Ordering::Less),
        BinaryOp::Le => cmp(|o| o != Ordering::Greater),
        BinaryOp::Gt => cmp(|o| o == Ordering::Greater),
        BinaryOp::Ge => cmp(|o| o != Ordering::Less),
        BinaryOp::Like => match (a.text(), b.text()) {
            (Some(s), Some(p)) => Value::bool(like(&s, &p)),
            _ => Value::bool(false),
        },
        BinaryOp::Precedes => Value::bool(a.text_or_empty() < b.text_or_empty()),
        BinaryOp::Follows => Value::bool(a.text_or_empty() > b.text_or_empty()),
        BinaryOp::And => Value::bool(a.truthy() && b.truthy()),
        BinaryOp::Or => Value::bool(a.truthy() || b.truthy()),
        BinaryOp::Xor => Value::bool(a.truthy() != b.truthy()),
        BinaryOp::BitAnd => int2(|x, y| x & y),
        BinaryOp::BitOr => int2(|x, y| x | y),
        BinaryOp::BitXor => int2(|x, y| x ^ y),
        BinaryOp::Shl => int2(|x, y| {
            if (0..64).contains(&y) {
                x.wrapping_shl(y as u32)
            } else {
                0
            }
        }),
        BinaryOp::Shr => int2(|x, y| {
            if (0..64).contains(&y) {
                x.wrapping_shr(y as u32)
            } else {
                0
            }
        }),
    }
}

/// Wildcard match: `*` any run, `?` one character; case-insensitive.
pub(crate) fn like(s: &str, pat: &str) -> bool {
    let s: Vec<char> = s.chars().flat_map(char::to_lowercase).collect();
    let p: Vec<char> = pat.chars().flat_map(char::to_lowercase).collect();
    wildcard(&s, &p)
}

/// Case-sensitive wildcard match (QUALIFY patterns, `NullAsValue` fields): run for every field of every
/// load against every pattern, so without allocating when it can (a pattern without wildcards is a
/// comparison; ASCII texts match byte by byte).
pub(crate) fn wildcard_cs(s: &str, pat: &str) -> bool {
    if pat.bytes().all(|b| b == b'*') && !pat.is_empty() {
        // `QUALIFY *`: every field, however long its name (names qualified again and again in a loop
        // grow with each round).
        return true;
    }
    if !pat.contains(['*', '?']) {
        return s == pat;
    }
    if s.is_ascii() && pat.is_ascii() {
        return wildcard(s.as_bytes(), pat.as_bytes());
    }
    let s: Vec<char> = s.chars().collect();
    let p: Vec<char> = pat.chars().collect();
    wildcard(&s, &p)
}

/// A character of a text being matched: `char`, or a byte of an ASCII text.
trait Symbol: Copy + PartialEq {
    const ANY: Self;
    const RUN: Self;
}

impl Symbol for char {
    const ANY: Self = '?';
    const RUN: Self = '*';
}

impl Symbol for u8 {
    const ANY: Self = b'?';
    const RUN: Self = b'*';
}

fn wildcard<T: Symbol>(s: &[T], p: &[T]) -> bool {
    // Iterative matcher with backtracking on the last `*`: linear-ish, no recursion.
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        if pi < p.len() && (p[pi] == T::ANY || p[pi] == s[si]) {
            si += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == T::RUN {
            star = Some((pi, si));
            pi += 1;
        } else if let Some((sp, ss)) = star {
            pi = sp + 1;
            si = ss + 1;
            star = Some((sp, ss + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == T::RUN {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A field missing from a file's rows is reported with the file and the fields it does have (cut:
    /// a long header never comes back whole).
    #[test]
    fn missing_field_names_the_file_and_its_fields() {
        let mut frame = Frame::new(vec!["ACCESS;USERID;REGION".into(), "x".repeat(100)]);
        frame.rows.push(vec![Value::Null, Value::Null]);
        frame.origins = Origins::file(std::sync::Arc::from("data/users.csv"), 1);
        let row = RowCx {
            frame: &frame,
            idx: 0,
            group: None,
            prev: None,
            recno: 1,
            rowno: 1,
            iterno: 1,
            out: None,
            file: None,
        };
        let m = in_source(&row);
        assert!(
            m.starts_with(" in `data/users.csv` (its fields: `ACCESS;USERID;REGION`, `xxx"),
            "{m}"
        );
        assert!(m.contains('…') && m.len() < 120, "{m}");
        // Not from a file: nothing to add.
        let mut inline = Frame::new(vec!["A".into()]);
        inline.rows.push(vec![Value::Null]);
        assert_eq!(
            in_source(&RowCx {
                frame: &inline,
                ..row
            }),
            ""
        );
    }

    #[test]
    fn case_sensitive_wildcards_match_the_same_on_every_path() {
        // (text, pattern, match): no wildcard (a comparison), ASCII (bytes), non-ASCII (chars).
        let cases = [
            ("Region", "Region", true),
            ("Region", "region", false),
            ("Region", "Reg*", true),
            ("Region", "R?gion", true),
            ("Region", "*o?", true),
            ("Region", "*x*", false),
            ("Région", "R?gion", true),
            ("Région", "Ré*", true),
            ("Région", "Re*", false),
            ("", "*", true),
            ("a", "", false),
            ("a*b", "a*b", true),
            ("T-3.T-2.T-1.V", "*", true),
            ("", "**", true),
        ];
        for (s, p, want) in cases {
            assert_eq!(wildcard_cs(s, p), want, "{s} ~ {p}");
            let (s_chars, p_chars): (Vec<char>, Vec<char>) =
                (s.chars().collect(), p.chars().collect());
            assert_eq!(wildcard(&s_chars, &p_chars), want, "{s} ~ {p} (chars)");
        }
    }

    #[test]
    fn like_matches_wildcards_case_insensitively() {
        assert!(like("Sales Europe", "sales*"));
        assert!(like("abc", "a?c"));
        assert!(!like("abcd", "a?c"));
        assert!(like("", "*"));
        assert!(!like("x", ""));
    }

    #[test]
    fn comparisons_are_numeric_when_both_are_numbers() {
        let a = Value::from_loaded_text("10");
        let b = Value::str("9");
        assert_eq!(binary(BinaryOp::Gt, &a, &b), Value::bool(true));
        // text vs text: by text
        assert_eq!(
            binary(BinaryOp::Gt, &Value::str("b"), &Value::str("a")),
            Value::bool(true)
        );
        assert_eq!(
            binary(BinaryOp::Eq, &Value::str("a"), &Value::str("A")),
            Value::bool(false)
        );
        // NULL compares false both ways
        assert_eq!(
            binary(BinaryOp::Eq, &Value::Null, &Value::Null),
            Value::bool(false)
        );
        assert_eq!(
            binary(BinaryOp::Ne, &Value::Null, &Value::num(1.0)),
            Value::bool(false)
        );
    }

    #[test]
    fn concat_and_arithmetic_follow_qlik() {
        assert_eq!(
            binary(BinaryOp::Concat, &Value::str("a"), &Value::Null)
                .text()
                .as_deref(),
            Some("a")
        );
        assert!(binary(BinaryOp::Add, &Value::str("x"), &Value::num(1.0)).is_null());
        assert!(binary(BinaryOp::Div, &Value::num(1.0), &Value::num(0.0)).is_null());
        assert_eq!(
            binary(
                BinaryOp::Add,
                &Value::from_loaded_text("2"),
                &Value::num(1.0)
            ),
            Value::num(3.0)
        );
        assert_eq!(
            binary(BinaryOp::And, &Value::num(1.0), &Value::num(-1.0)),
            Value::num(-1.0)
        );
    }
}
