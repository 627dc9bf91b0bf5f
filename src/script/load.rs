//! LOAD / SELECT statements and the table statements (DROP, RENAME, STORE): sources, preceding loads,
//! WHERE/WHILE, GROUP BY, ORDER BY, DISTINCT, two-argument `SubField`, Qlik's table semantics
//! (automatic concatenation, `Concatenate`, `NoConcatenate`, `Join`/`Keep`, `Mapping`, `CrossTable`,
//! `QUALIFY`), and the Section Access normalisation of loaded values (S4, S5).

use super::eval::{self, has_aggregate, Ctx, EvalError, ExistsIndex, Frame, RowCx};
use super::runner::{eval_diag, load_reach, Cx, Mapping, NotKnown, Runner};
use super::sources::{self, Loaded, SourceError};
use crate::diag::{codes, Diagnostic, Span};
use crate::model::{Column, Incomplete, Origins, RowOrigin, Table, Value};
use crate::syntax::{
    DropTarget, Expr, ExprKind, FormatItem, JoinKind, LoadField, LoadPart, LoadSource, LoadStmt,
    Name, Prefix, RenameTarget, Stmt,
};
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// How often a load building rows asks the memory budget whether they still fit (`memory.rs`).
const ROWS_PER_CHECK: usize = 1 << 16;

/// Placeholder names for unlabelled INLINE / AUTOGENERATE tables, numbered when created.
const DEFAULT_INLINE: &str = "\u{0}INLINE";
const DEFAULT_AUTOGENERATE: &str = "\u{0}AUTOGENERATE";

/// What the prefixes ask for.
#[derive(Default)]
struct Placement {
    mapping: bool,
    no_concat: bool,
    concat: Option<Option<String>>,
    /// (kind, target, keep?)
    join: Option<(JoinKind, Option<String>, bool)>,
    cross: Option<(String, String, usize)>,
    first: Option<usize>,
}

/// What a load's input fields count towards `--max-rows-processed`: 8 rows a field and one more for
/// every 8 bytes of its name. Every field costs the runner work per load (a column, its name matched
/// against QUALIFY patterns, aliases and the other tables' fields) whatever the rows, so a loop that
/// re-reads a table it widens, or whose names grow each round (`QUALIFY *` with a RESIDENT load of the
/// table qualified last round: `U.U.U.A`), does work quadratic in its rounds that its rows alone do not
/// show. A real table's fields are a few hundred rows' worth, nothing beside the default of a billion.
fn fields_work(fields: &[String]) -> usize {
    fields
        .iter()
        .map(|f| 8usize.saturating_add(f.len() / 8))
        .fold(0, usize::saturating_add)
}

impl Runner {
    /// What the tables held count towards `--max-rows-processed` at each load: 8 rows a table and one a
    /// field. A load looks at every table held, whatever its own size (automatic concatenation looks
    /// for a table with the same fields, a new table's name must differ from all the others, the memory
    /// accounting measures them all afterwards), so a loop that makes a new table every round does work
    /// quadratic in its rounds with one row each (8,000 one-row tables: 42 s in a debug build). A real
    /// app's tables are a few thousand rows' worth a load.
    fn held_work(&self) -> usize {
        (self.st.app.tables.iter().chain(&self.st.security.tables))
            .map(|t| 8usize.saturating_add(t.fields.len()))
            .fold(0, usize::saturating_add)
    }
}

/// What a load part reads: rows, or a source's columns as read (dictionary-encoded, nothing evaluated).
enum Input {
    Rows(Frame),
    Cols(Loaded),
}

impl Input {
    /// The rows, materialised from the columns when needed (cheap `Arc` clones of dict values).
    fn into_frame(self) -> Frame {
        match self {
            Input::Rows(f) => f,
            Input::Cols(l) => {
                let rows = l.to_rows();
                Frame {
                    fields: l.fields,
                    rows,
                    origins: l.origins,
                }
            }
        }
    }
    fn fields(&self) -> &[String] {
        match self {
            Input::Rows(f) => &f.fields,
            Input::Cols(l) => &l.fields,
        }
    }
    fn fields_mut(&mut self) -> &mut Vec<String> {
        match self {
            Input::Rows(f) => &mut f.fields,
            Input::Cols(l) => &mut l.fields,
        }
    }
    fn truncate(&mut self, n: usize) {
        match self {
            Input::Rows(f) => {
                f.rows.truncate(n);
                f.origins.truncate(n);
            }
            Input::Cols(l) => l.truncate(n),
        }
    }
}

impl Default for Input {
    fn default() -> Self {
        Input::Cols(Loaded::default())
    }
}

/// The base input of a load, read from its source.
struct Base {
    input: Input,
    /// The table name Qlik gives an unlabelled load.
    default_name: String,
    file: Option<PathBuf>,
    /// `true` when the bottom part's field list was already applied (SQL).
    fields_done: bool,
}

impl Runner {
    pub(crate) fn exec_load(&mut self, ls: &LoadStmt, stmt: &Stmt, cx: &Cx) {
        let span = stmt.span;
        let label = ls.label.as_ref().map(|n| n.text.clone());
        let mut place = Placement::default();
        // A load expanded from unknown variables inherits why (see `faith`).
        let mut incomplete: Vec<Incomplete> = self.st.stmt_taint.clone();
        if let Some(inc) = &self.st.env_unknown {
            incomplete.push(Incomplete {
                reason: format!(
                    "loaded while a setting that changes how values are read is unknown ({})",
                    inc.reason
                ),
                at: inc.at,
            });
        }
        let mut interval_fields: Vec<String> = Vec::new();
        let at = Some((cx.src, span));
        if let Some(inc) = self.load_reads_unknown(ls, cx, span) {
            incomplete.push(inc);
        }
        for p in &ls.prefixes {
            match p {
                Prefix::Mapping => place.mapping = true,
                Prefix::NoConcatenate => place.no_concat = true,
                Prefix::Concatenate(t) => place.concat = Some(t.as_ref().map(|n| n.text.clone())),
                Prefix::Join { kind, table } => {
                    place.join = Some((*kind, table.as_ref().map(|n| n.text.clone()), false))
                }
                Prefix::Keep { kind, table } => {
                    place.join = Some((*kind, table.as_ref().map(|n| n.text.clone()), true))
                }
                Prefix::CrossTable {
                    attribute,
                    data,
                    qualifiers,
                } => {
                    place.cross = Some((
                        attribute.text.clone(),
                        data.text.clone(),
                        qualifiers.unwrap_or(1) as usize,
                    ))
                }
                Prefix::First(e) => match self.value(e, cx) {
                    Ok(v) => match v.as_num() {
                        Some(n) if n >= 0.0 => place.first = Some(n as usize),
                        _ => return,
                    },
                    Err(NotKnown::Failed) => return,
                    Err(NotKnown::Unknown(inc)) => incomplete.push(inc),
                },
                Prefix::When(c) => match self.value(&c.cond, cx) {
                    Ok(v) if v.truthy() != c.unless => {}
                    Ok(_) | Err(NotKnown::Failed) => return,
                    Err(NotKnown::Unknown(inc)) => {
                        // Whether this load runs at all is unknown.
                        let access = self.st.access;
                        self.unfaithful(load_reach(access), inc);
                        return;
                    }
                },
                // A full reload skips `Add Only` / `Replace Only` loads and runs `Add` / `Replace` ones.
                Prefix::Add { only: true } | Prefix::Replace { only: true } => return,
                Prefix::Add { only: false }
                | Prefix::Replace { only: false }
                | Prefix::Buffer
                | Prefix::Info => {}
                Prefix::Generic => {
                    // Generic makes one table per attribute value: the fields are unknown.
                    let inc = Incomplete {
                        reason: "the `Generic` prefix is not supported".into(),
                        at,
                    };
                    self.st.unknown_fields.push((self.st.access, inc.clone()));
                    incomplete.push(inc);
                    place.no_concat = true;
                }
                Prefix::Hierarchy { belongs_to, .. } => {
                    let which = if *belongs_to {
                        "HierarchyBelongsTo"
                    } else {
                        "Hierarchy"
                    };
                    let inc = Incomplete {
                        reason: format!("the `{which}` prefix is not supported"),
                        at,
                    };
                    self.st.unknown_fields.push((self.st.access, inc.clone()));
                    incomplete.push(inc);
                    place.no_concat = true;
                }
                Prefix::IntervalMatch { args } => {
                    // The result links the interval fields to the matched field(s): keep those names so
                    // the fail-closed analysis sees the links, but no rows.
                    incomplete.push(Incomplete {
                        reason: "the `IntervalMatch` prefix is not supported".into(),
                        at,
                    });
                    interval_fields = args.iter().map(|a| a.text.clone()).collect();
                    place.no_concat = true;
                }
                Prefix::Merge => incomplete.push(Incomplete {
                    reason: "the `Merge` prefix is not supported".into(),
                    at,
                }),
                Prefix::Sample(_) => incomplete.push(Incomplete {
                    reason: "`Sample` loads a random subset; qsa cannot reproduce it".into(),
                    at,
                }),
                Prefix::Semantic => incomplete.push(Incomplete {
                    reason: "`Semantic` loads are not supported".into(),
                    at,
                }),
            }
        }
        let Some(bottom) = ls.parts.last() else {
            return;
        };
        let table_label = label.clone().unwrap_or_default();
        let Some(mut base) = self.load_source(bottom, &label, cx, span, &mut incomplete) else {
            return;
        };
        if let Some(n) = place.first {
            base.input.truncate(n);
        }
        let name_for_msgs = label
            .clone()
            .unwrap_or_else(|| base.default_name.trim_start_matches('\u{0}').to_string());
        let uses_exists = ls.parts.iter().any(|p| part_calls(p, "exists"));
        let exists = RefCell::new(ExistsIndex::default());
        let exists_ref = if uses_exists { Some(&exists) } else { None };
        let mut frame = base.input;
        let n_parts = ls.parts.len();
        // The fast path: a single part that only picks (and renames) fields of a source read as columns
        // moves those columns into the table; nothing is evaluated per row. (A `--table` file for an SQL
        // load has no field list to apply: its columns stay as read.)
        let plan = match (&frame, n_parts, &place.cross, interval_fields.is_empty()) {
            (Input::Cols(cols), 1, None, true) if !base.fields_done => {
                plain_fields(bottom, &cols.fields, self.st.access, |sp| {
                    cx.slice(sp).trim().to_string()
                })
            }
            _ => None,
        };
        // The rows read (or generated) once; each part then counts the rows it makes. The input's fields
        // count too ([`fields_work`]).
        self.processed(match &frame {
            Input::Rows(f) => f.rows.len(),
            Input::Cols(l) => l.row_count(),
        });
        self.processed(fields_work(frame.fields()));
        self.processed(self.held_work());
        if let (Some(plan), Input::Cols(cols)) = (&plan, &mut frame) {
            *cols = pick_columns(std::mem::take(cols), plan, cx, span);
        } else {
            for (k, part) in ls.parts.iter().enumerate().rev() {
                if k == n_parts - 1 && base.fields_done {
                    continue;
                }
                let is_top = k == 0;
                match self.apply_part(
                    part,
                    frame.into_frame(),
                    base.file.as_deref(),
                    cx,
                    span,
                    &name_for_msgs,
                    is_top,
                    exists_ref,
                    &mut incomplete,
                ) {
                    Some(f) => frame = Input::Rows(f),
                    None => return,
                }
            }
        }
        let _ = table_label;
        if !interval_fields.is_empty() {
            let mut f = frame.into_frame();
            for name in interval_fields {
                if !f.fields.contains(&name) {
                    f.fields.push(name);
                }
            }
            f.rows.clear();
            f.origins.clear();
            frame = Input::Rows(f);
        }
        if let Some((attr, data, q)) = &place.cross {
            let crossed = crosstable(frame.into_frame(), attr, data, *q);
            self.processed(crossed.rows.len());
            frame = Input::Rows(crossed);
        }
        // Field-level settings.
        for f in frame.fields_mut().iter_mut() {
            if let Some((_, to)) = self.st.aliases.iter().find(|(a, _)| a == f) {
                *f = to.clone();
            }
        }
        if self.st.access {
            for f in frame.fields_mut().iter_mut() {
                *f = f.to_uppercase();
            }
        }
        if !self.st.field_maps.is_empty() || !self.st.null_as_value.is_empty() {
            for (f, m) in &self.st.field_maps {
                if frame.fields_mut().contains(f) {
                    if let Some(inc) = self.st.mapping(m).and_then(|m| m.incomplete.first()) {
                        incomplete.push(inc.clone());
                    }
                }
            }
            self.apply_field_settings(&mut frame);
        }
        let base_name = label.clone().unwrap_or_else(|| base.default_name.clone());
        if place.mapping {
            let frame = frame.into_frame();
            if frame.fields.len() < 2 && !incomplete.is_empty() {
                // Its source was not read: an empty mapping that passes on why.
                let mut mapping = Mapping::new(Vec::new());
                mapping.incomplete = incomplete;
                self.st.mappings.insert(base_name, mapping);
                return;
            }
            if frame.fields.len() < 2 {
                self.error_at(
                    codes::EXPRESSION,
                    cx,
                    span,
                    format!(
                        "mapping load `{base_name}` needs two fields, got {}",
                        frame.fields.len()
                    ),
                );
                return;
            }
            let pairs = frame
                .rows
                .iter()
                .map(|r| {
                    (
                        r.first().cloned().unwrap_or_default(),
                        r.get(1).cloned().unwrap_or_default(),
                    )
                })
                .collect();
            // A mapping not known faithfully passes its reasons to every load that applies it.
            let mut mapping = Mapping::new(pairs);
            mapping.incomplete = incomplete;
            self.st.mappings.insert(base_name, mapping);
            return;
        }
        // QUALIFY: rename matching fields to `table.field` (table = label or default name).
        if !self.st.qualify.is_empty() {
            for f in frame.fields_mut().iter_mut() {
                let q = self
                    .st
                    .qualify
                    .iter()
                    .rev()
                    .find(|(p, _)| eval::wildcard_cs(f, p))
                    .map(|(_, q)| *q)
                    .unwrap_or(false);
                if q {
                    *f = format!("{}.{f}", base_name.trim_start_matches('\u{0}'));
                }
            }
        }
        let mut table = input_to_table(&base_name, frame);
        table.source = Some((cx.src, span));
        table.incomplete = incomplete;
        self.place_table(table, place, cx, span);
    }

    /// `MAP … USING` and `NullAsValue` on the loaded values (per distinct value for columns).
    fn apply_field_settings(&self, frame: &mut Input) {
        let null_text = self.st.vars.get("NullValue").cloned().unwrap_or_default();
        let fields = frame.fields_mut().clone();
        for (fi, f) in fields.iter().enumerate() {
            let map = self
                .st
                .field_maps
                .iter()
                .find(|(x, _)| x == f)
                .and_then(|(_, m)| self.st.mapping(m));
            let nav = self
                .st
                .null_as_value
                .iter()
                .any(|p| eval::wildcard_cs(f, p));
            if map.is_none() && !nav {
                continue;
            }
            let setting = |v: &Value| -> Value {
                let mut v = v.clone();
                if nav && v.is_null() {
                    v = Value::from_loaded_text(&null_text);
                }
                if let Some(m) = map {
                    if let Some(r) = m.get(&v) {
                        v = r.clone();
                    }
                }
                v
            };
            match frame {
                Input::Rows(frame) => {
                    for row in frame.rows.iter_mut() {
                        if let Some(v) = row.get_mut(fi) {
                            *v = setting(v);
                        }
                    }
                }
                Input::Cols(cols) => {
                    if let Some(c) = cols.columns.get_mut(fi) {
                        *c = c.map_values(setting);
                    }
                }
            }
        }
    }

    /// Read the bottom part's source.
    fn load_source(
        &mut self,
        part: &LoadPart,
        label: &Option<String>,
        cx: &Cx,
        span: Span,
        incomplete: &mut Vec<Incomplete>,
    ) -> Option<Base> {
        let at = Some((cx.src, span));
        let who = |default: &str| label.clone().unwrap_or_else(|| default.to_string());
        let verbatim = self.st.verbatim();
        let access = self.st.access;
        match &part.source {
            LoadSource::Preceding => {
                self.error_at(
                    codes::EXPRESSION,
                    cx,
                    span,
                    "a preceding LOAD with nothing below it",
                );
                None
            }
            LoadSource::Inline { data, format } => {
                // INLINExx is numbered when the table is created (not when it is concatenated away).
                let default_name = DEFAULT_INLINE.to_string();
                match sources::read_inline(&data.text, format) {
                    Ok(mut loaded) => {
                        normalise(&mut loaded, !verbatim, access);
                        loaded.origins = inline_origins(cx, data, format, loaded.row_count(), span);
                        Some(Base {
                            input: Input::Cols(loaded),
                            default_name,
                            file: None,
                            fields_done: false,
                        })
                    }
                    Err(e) => {
                        self.error_at(
                            codes::SOURCE_MISSING,
                            cx,
                            data.span,
                            format!(
                                "INLINE data of `{}`: {e}",
                                who(default_name.trim_start_matches('\u{0}'))
                            ),
                        );
                        None
                    }
                }
            }
            LoadSource::From { path, format } => {
                let raw = path.text.trim();
                let default_name = file_table_name(raw);
                let name = who(&default_name);
                if raw
                    .trim_matches(|c: char| c == '[' || c == ']' || c == '\'' || c == '"')
                    .trim()
                    .is_empty()
                {
                    // `FROM [$(vPath)]` with a variable that expands to nothing: not the folder.
                    let why = "the file path is empty (a variable that expands to nothing?)";
                    self.missing_source(&name, raw, why, part, incomplete, at);
                    return Some(Base {
                        input: Input::default(),
                        default_name,
                        file: None,
                        fields_done: false,
                    });
                }
                let ctx = self.st.path_context(&cx.dir);
                let resolved = match sources::resolve_path(raw, &ctx) {
                    Ok(p) => p,
                    // A STORE into an unmapped folder is still readable from memory.
                    Err(_) if self.st.stored.contains_key(Path::new(raw)) => PathBuf::from(raw),
                    Err(e) => {
                        self.missing_source(&name, raw, &e.to_string(), part, incomplete, at);
                        return Some(Base {
                            input: Input::default(),
                            default_name,
                            file: None,
                            fields_done: false,
                        });
                    }
                };
                if let Some(t) = self.st.stored.get(&resolved) {
                    let loaded = table_to_loaded(t);
                    incomplete.extend(t.incomplete.iter().cloned());
                    return Some(Base {
                        input: Input::Cols(loaded),
                        default_name,
                        file: Some(resolved),
                        fields_done: false,
                    });
                }
                let is_pattern = raw.contains('*') || raw.contains('?');
                let files: Vec<PathBuf> = if is_pattern {
                    match sources::file_list(raw, &ctx) {
                        Ok(list) => list
                            .iter()
                            .filter_map(|p| sources::resolve_path(p, &ctx).ok())
                            .collect(),
                        Err(e) => {
                            self.missing_source(&name, raw, &e.to_string(), part, incomplete, at);
                            return Some(Base {
                                input: Input::default(),
                                default_name,
                                file: None,
                                fields_done: false,
                            });
                        }
                    }
                } else {
                    vec![resolved.clone()]
                };
                if files.is_empty() {
                    self.missing_source(&name, raw, "no file matches", part, incomplete, at);
                    return Some(Base {
                        input: Input::default(),
                        default_name,
                        file: None,
                        fields_done: false,
                    });
                }
                if let Some(inc) = self.st.fs_unknown.clone() {
                    self.missing_reason(
                        format!(
                            "`{raw}` is read after a step that may change it ({})",
                            inc.reason
                        ),
                        part,
                        incomplete,
                        inc.at,
                    );
                }
                let mut all = Loaded::default();
                for f in &files {
                    let progress = self.st.opts.progress.get();
                    match sources::read_file_budgeted(f, format, progress, &self.st.budget) {
                        Ok(mut loaded) => {
                            // S5 trimming applies to values parsed from text and to Excel cells; QVD and
                            // Parquet hold values as stored.
                            let trim = matches!(
                                sources::file_kind(f, format),
                                sources::FileKind::Text | sources::FileKind::Excel
                            );
                            normalise(&mut loaded, !verbatim && trim, false);
                            append_loaded(&mut all, loaded);
                        }
                        // The run stops at this statement (QSA118, `memory.rs`).
                        Err(_) if self.st.budget.exceeded().is_some() => {}
                        Err(e) => {
                            let reason = match &e {
                                SourceError::Unsupported(_) => {
                                    format!("unsupported source for table `{name}`: {e}")
                                }
                                _ => format!("missing source for table `{name}`: {e}"),
                            };
                            self.missing_reason(reason, part, incomplete, at);
                        }
                    }
                }
                Some(Base {
                    input: Input::Cols(all),
                    default_name,
                    file: files.first().cloned(),
                    fields_done: false,
                })
            }
            LoadSource::Resident(t) => {
                if self.st.table(&t.text).is_none() && self.st.uncertain() {
                    // Most likely a table an earlier statement could not build (a missing source, an
                    // uncertain variable): part of that problem, decided at the end (fail closed).
                    let inc = Incomplete {
                        reason: format!(
                            "missing source: RESIDENT `{}` does not exist, most likely because an earlier load could not run",
                            t.text
                        ),
                        at,
                    };
                    self.st.unknown_fields.push((self.st.access, inc.clone()));
                    incomplete.push(inc);
                    return Some(Base {
                        input: Input::default(),
                        default_name: t.text.clone(),
                        file: None,
                        fields_done: false,
                    });
                }
                let Some(table) = self.st.table(&t.text) else {
                    self.diag(
                        Diagnostic::error(codes::TABLE_NOT_FOUND, format!("RESIDENT `{}`: no such table (yet)", t.text))
                            .at(cx.src, t.span, "not loaded before this statement")
                            .with_help("table names are case-sensitive; a dropped or auto-concatenated table no longer exists under its label"),
                    );
                    return None;
                };
                incomplete.extend(table.incomplete.iter().cloned());
                let mut loaded = table_to_loaded(table);
                let n = loaded.row_count();
                if loaded.origins.len() != n {
                    loaded.origins = Origins::repeat(
                        RowOrigin::Load {
                            source: cx.src,
                            span,
                        },
                        n,
                    );
                }
                Some(Base {
                    input: Input::Cols(loaded),
                    default_name: t.text.clone(),
                    file: None,
                    fields_done: false,
                })
            }
            LoadSource::Autogenerate(e) => {
                let default_name = DEFAULT_AUTOGENERATE.to_string();
                let n = match self.value(e, cx) {
                    Ok(v) => v.as_num().unwrap_or(0.0),
                    Err(NotKnown::Failed) => return None,
                    Err(NotKnown::Unknown(inc)) => {
                        incomplete.push(inc);
                        0.0
                    }
                };
                let max = self.st.opts.limits.max_generated_rows;
                if n > max as f64 {
                    self.error_at(
                        codes::ITERATION_LIMIT,
                        cx,
                        e.span,
                        format!("AUTOGENERATE {n}: more than the {max} rows qsa generates in one load (--max-generated-rows)"),
                    );
                    return None;
                }
                let n = n.max(0.0) as usize;
                if !self.rows_fit(n, 0, &default_name) {
                    return None;
                }
                let frame = Frame {
                    fields: Vec::new(),
                    rows: vec![Vec::new(); n],
                    origins: Origins::repeat(
                        RowOrigin::Load {
                            source: cx.src,
                            span,
                        },
                        n,
                    ),
                };
                Some(Base {
                    input: Input::Rows(frame),
                    default_name,
                    file: None,
                    fields_done: false,
                })
            }
            LoadSource::Sql(sql) => {
                let from_name = sql_table_name(&sql.text);
                let default_name = from_name.clone().unwrap_or_else(|| "SQL".to_string());
                let name = who(&default_name);
                let supplied = self
                    .st
                    .opts
                    .tables
                    .iter()
                    .find(|(n, _)| n == &name)
                    .or_else(|| {
                        self.st
                            .opts
                            .tables
                            .iter()
                            .find(|(n, _)| n.eq_ignore_ascii_case(&name))
                    })
                    .or_else(|| {
                        from_name.as_ref().and_then(|f| {
                            self.st
                                .opts
                                .tables
                                .iter()
                                .find(|(n, _)| n.eq_ignore_ascii_case(f))
                        })
                    })
                    .map(|(_, p)| p.clone());
                match supplied {
                    Some(p) => {
                        let progress = self.st.opts.progress.get();
                        match sources::read_file_budgeted(&p, &[], progress, &self.st.budget) {
                            Ok(mut loaded) => {
                                normalise(&mut loaded, !verbatim, false);
                                Some(Base {
                                    input: Input::Cols(loaded),
                                    default_name,
                                    file: Some(p),
                                    fields_done: true,
                                })
                            }
                            Err(e) => {
                                self.missing_reason(format!("missing source for table `{name}` (--table {name}={}): {e}", p.display()), part, incomplete, at);
                                Some(Base {
                                    input: Input::Rows(Frame::new(
                                        sql_fields(&sql.text).unwrap_or_default(),
                                    )),
                                    default_name,
                                    file: None,
                                    fields_done: true,
                                })
                            }
                        }
                    }
                    None => {
                        let fields = sql_fields(&sql.text);
                        let inc = Incomplete {
                            reason: format!("missing source: SQL SELECT for table `{name}` needs a database; pass --table {name}=FILE to supply it"),
                            at,
                        };
                        if fields.is_none() {
                            self.st.unknown_fields.push((self.st.access, inc.clone()));
                        }
                        incomplete.push(inc);
                        Some(Base {
                            input: Input::Rows(Frame::new(fields.unwrap_or_default())),
                            default_name,
                            file: None,
                            fields_done: true,
                        })
                    }
                }
            }
            LoadSource::Other(raw) => {
                let name = who("table");
                incomplete.push(Incomplete {
                    reason: format!(
                        "unsupported source for table `{name}`: `{}`",
                        raw.text.trim()
                    ),
                    at,
                });
                if part.fields.iter().any(|f| matches!(f, LoadField::Star(_))) {
                    self.st.unknown_fields.push((
                        self.st.access,
                        Incomplete {
                            reason: format!(
                                "unsupported source for table `{name}`: `{}`",
                                raw.text.trim()
                            ),
                            at,
                        },
                    ));
                }
                Some(Base {
                    input: Input::default(),
                    default_name: name,
                    file: None,
                    fields_done: false,
                })
            }
        }
    }

    fn missing_source(
        &mut self,
        name: &str,
        raw: &str,
        why: &str,
        part: &LoadPart,
        incomplete: &mut Vec<Incomplete>,
        at: Option<(crate::diag::SourceId, Span)>,
    ) {
        let help = if raw.to_ascii_lowercase().starts_with("lib://") {
            " (map the folder with --lib NAME=DIR)"
        } else {
            ""
        };
        self.missing_reason(
            format!("missing source for table `{name}`: `{raw}`: {why}{help}"),
            part,
            incomplete,
            at,
        );
    }

    fn missing_reason(
        &mut self,
        reason: String,
        part: &LoadPart,
        incomplete: &mut Vec<Incomplete>,
        at: Option<(crate::diag::SourceId, Span)>,
    ) {
        let inc = Incomplete { reason, at };
        if part.fields.iter().any(|f| matches!(f, LoadField::Star(_))) {
            self.st.unknown_fields.push((self.st.access, inc.clone()));
        }
        incomplete.push(inc);
    }

    /// Evaluate one load part over its input.
    #[allow(clippy::too_many_arguments)]
    fn apply_part(
        &mut self,
        part: &LoadPart,
        mut input: Frame,
        file: Option<&Path>,
        cx: &Cx,
        span: Span,
        table: &str,
        is_top: bool,
        exists: Option<&RefCell<ExistsIndex>>,
        incomplete: &mut Vec<Incomplete>,
    ) -> Option<Frame> {
        let _ = is_top;
        if !self.rows_left() {
            return None;
        }
        // ORDER BY sorts the input (RESIDENT loads).
        if !part.order_by.is_empty() {
            let mut keys: Vec<(Vec<Value>, usize)> = Vec::with_capacity(input.rows.len());
            for i in 0..input.rows.len() {
                let ctx = self.at_row(&input, i, None, 0, 1, file, exists);
                let mut k = Vec::new();
                for (e, _) in &part.order_by {
                    match ctx.eval(e) {
                        Ok(v) => k.push(v),
                        Err(err) => {
                            self.part_error(&err, cx, table, incomplete);
                            return None;
                        }
                    }
                }
                keys.push((k, i));
            }
            keys.sort_by(|a, b| {
                for (j, (_, desc)) in part.order_by.iter().enumerate() {
                    let (x, y) = (a.0.get(j), b.0.get(j));
                    let o = match (x, y) {
                        (Some(x), Some(y)) => eval::compare(x, y).unwrap_or_else(|| x.cmp(y)),
                        _ => std::cmp::Ordering::Equal,
                    };
                    let o = if *desc { o.reverse() } else { o };
                    if o != std::cmp::Ordering::Equal {
                        return o;
                    }
                }
                std::cmp::Ordering::Equal
            });
            let rows = std::mem::take(&mut input.rows);
            let origins = std::mem::take(&mut input.origins);
            let mut rows: Vec<Option<Vec<Value>>> = rows.into_iter().map(Some).collect();
            for (_, i) in keys {
                input
                    .rows
                    .push(rows.get_mut(i).and_then(Option::take).unwrap_or_default());
                if let Some(o) = origins.get(i) {
                    input.origins.push(o);
                }
            }
        }
        // Output field names.
        let mut out_fields: Vec<String> = Vec::new();
        let mut exprs: Vec<Option<&Expr>> = Vec::new(); // None = copy input field
        let mut copy_idx: Vec<usize> = Vec::new();
        for f in &part.fields {
            match f {
                LoadField::Star(_) => {
                    for (i, name) in input.fields.iter().enumerate() {
                        if !out_fields.contains(name) {
                            out_fields.push(name.clone());
                            exprs.push(None);
                            copy_idx.push(i);
                        }
                    }
                }
                LoadField::Expr {
                    expr,
                    alias,
                    span: fspan,
                } => {
                    let name = match (alias, &expr.kind) {
                        (Some(a), _) => a.text.clone(),
                        (None, ExprKind::Field(n)) => n.text.clone(),
                        (None, _) => cx.slice(expr.span).trim().to_string(),
                    };
                    let name = if name.is_empty() {
                        cx.slice(*fspan).trim().to_string()
                    } else {
                        name
                    };
                    if out_fields.contains(&name)
                        || (self.st.access
                            && out_fields.iter().any(|o| o.eq_ignore_ascii_case(&name)))
                    {
                        self.diag(
                            Diagnostic::error(
                                codes::EXPRESSION,
                                format!("loading `{table}`: field `{name}` appears twice"),
                            )
                            .at(
                                cx.src,
                                *fspan,
                                "field names must be unique within a table",
                            ),
                        );
                        return None;
                    }
                    out_fields.push(name);
                    exprs.push(Some(expr));
                    copy_idx.push(usize::MAX);
                }
            }
        }
        // A source without records still has its fields: a listed field it does not have fails the load
        // in Qlik, records or not (the row evaluation below, which finds it otherwise, never runs). A
        // source with no fields at all is one qsa could not read: that is reported where it was read.
        if input.rows.is_empty() && !input.fields.is_empty() {
            for f in &part.fields {
                if let LoadField::Expr {
                    expr:
                        Expr {
                            kind: ExprKind::Field(n),
                            ..
                        },
                    ..
                } = f
                {
                    if input.index_loose(&n.text).is_none() && !self.st.vars.contains_key(&n.text) {
                        self.diag(
                            Diagnostic::error(
                                codes::EXPRESSION,
                                format!("loading `{table}`: field `{}` not found", n.text),
                            )
                            .at(
                                cx.src,
                                n.span,
                                "not a field of the source",
                            ),
                        );
                        return None;
                    }
                }
            }
        }
        let group_mode = !part.group_by.is_empty()
            || part
                .fields
                .iter()
                .any(|f| matches!(f, LoadField::Expr { expr, .. } if has_aggregate(expr)));
        let mut out = Frame::new(out_fields.clone());
        let mut reported_unsupported = false;
        // Two-argument SubField calls generate rows.
        let mut sub_calls: Vec<&Expr> = Vec::new();
        for e in exprs.iter().flatten() {
            eval::walk(e, &mut |x| {
                if let ExprKind::Call { name, args, .. } = &x.kind {
                    if name.text.eq_ignore_ascii_case("subfield") && args.len() == 2 {
                        sub_calls.push(x);
                    }
                }
            });
        }
        // WHERE filter (on the input row). With `Exists()` outside GROUP BY, the filter runs record by
        // record below instead, so that it sees the values of the records loaded before it
        // (`… WHERE Not Exists(Key)` keeps the first record of each key, as in Qlik).
        let where_per_record = exists.is_some() && !group_mode;
        let mut kept: Vec<usize> = Vec::with_capacity(input.rows.len());
        let mut prev: Option<usize> = None;
        let mut prev_of: Vec<Option<usize>> = Vec::with_capacity(input.rows.len());
        for i in 0..input.rows.len() {
            if let (Some(w), false) = (&part.where_, where_per_record) {
                let verdict = self
                    .at_row(&input, i, prev, out.rows.len() + 1, 1, file, exists)
                    .eval(w);
                match self.where_verdict(verdict, cx, table, incomplete, &mut reported_unsupported)
                {
                    None => return None,
                    Some(false) => continue,
                    Some(true) => {}
                }
            }
            prev_of.push(prev);
            kept.push(i);
            prev = Some(i);
        }
        if group_mode {
            // Groups in order of first appearance.
            let mut groups: Vec<Vec<usize>> = Vec::new();
            let mut index: HashMap<Vec<Value>, usize> = HashMap::new();
            for &i in &kept {
                let ctx = self.at_row(&input, i, None, 0, 1, file, exists);
                let mut key = Vec::with_capacity(part.group_by.len());
                for g in &part.group_by {
                    match ctx.eval(g) {
                        Ok(v) => key.push(v),
                        Err(err) => {
                            self.part_error(&err, cx, table, incomplete);
                            return None;
                        }
                    }
                }
                match index.get(&key) {
                    Some(&gi) => {
                        if let Some(g) = groups.get_mut(gi) {
                            g.push(i);
                        }
                    }
                    None => {
                        index.insert(key, groups.len());
                        groups.push(vec![i]);
                    }
                }
            }
            if part.group_by.is_empty() && !kept.is_empty() && groups.is_empty() {
                groups.push(kept.clone());
            }
            for g in &groups {
                let Some(&first) = g.first() else { continue };
                let ctx = self.row_ctx(
                    &input,
                    first,
                    Some(g.as_slice()),
                    None,
                    first + 1,
                    out.rows.len() + 1,
                    1,
                    None,
                    file,
                    None,
                    exists,
                );
                let (row, failed) = eval_fields(&ctx, &exprs, &copy_idx, input.rows.get(first));
                if let Some(err) = failed {
                    if !err.unsupported {
                        self.part_error(&err, cx, table, incomplete);
                        return None;
                    }
                    note_unsupported(&err, cx, incomplete, &mut reported_unsupported);
                }
                out.rows.push(row);
                out.origins
                    .push(input.origins.get(first).unwrap_or(RowOrigin::Load {
                        source: cx.src,
                        span,
                    }));
                self.processed(1);
                if !self.rows_left() {
                    return None;
                }
            }
        } else {
            let mut last_kept: Option<usize> = None;
            for (n, &i) in kept.iter().enumerate() {
                let mut prev = prev_of.get(n).copied().flatten();
                if let (Some(w), true) = (&part.where_, where_per_record) {
                    prev = last_kept;
                    let verdict = self
                        .at_row(&input, i, prev, out.rows.len() + 1, 1, file, exists)
                        .eval(w);
                    match self.where_verdict(
                        verdict,
                        cx,
                        table,
                        incomplete,
                        &mut reported_unsupported,
                    ) {
                        None => return None,
                        Some(false) => continue,
                        Some(true) => {}
                    }
                    last_kept = Some(i);
                }
                let mut iterno = 1usize;
                loop {
                    if let Some(w) = &part.while_ {
                        let ctx =
                            self.at_row(&input, i, prev, out.rows.len() + 1, iterno, file, exists);
                        match ctx.eval(w) {
                            Ok(v) if v.truthy() => {}
                            Ok(_) => break,
                            Err(err) => {
                                self.part_error(&err, cx, table, incomplete);
                                return None;
                            }
                        }
                        let max = self.st.opts.limits.max_generated_rows;
                        if iterno as u64 > max || out.rows.len() as u64 > max {
                            self.error_at(codes::ITERATION_LIMIT, cx, w.span, format!("loading `{table}`: WHILE produced more than the {max} rows qsa generates in one load (--max-generated-rows)"));
                            return None;
                        }
                    }
                    // SubField(s, sep) row generation: the cartesian product of all such calls.
                    let mut combos: Vec<HashMap<(usize, usize), Value>> = vec![HashMap::new()];
                    if !sub_calls.is_empty() {
                        let ctx =
                            self.at_row(&input, i, prev, out.rows.len() + 1, iterno, file, exists);
                        for call in &sub_calls {
                            let ExprKind::Call { args, .. } = &call.kind else {
                                continue;
                            };
                            let (s, sep) = match (
                                args.first().map(|a| ctx.eval(a)),
                                args.get(1).map(|a| ctx.eval(a)),
                            ) {
                                (Some(Ok(s)), Some(Ok(sep))) => (s, sep),
                                (Some(Err(err)), _) | (_, Some(Err(err))) => {
                                    self.part_error(&err, cx, table, incomplete);
                                    return None;
                                }
                                _ => continue,
                            };
                            let parts: Vec<Value> = match s.text() {
                                None => vec![Value::Null],
                                Some(t) => eval::split_parts(&t, &sep.text_or_empty())
                                    .iter()
                                    .map(|p| Value::from_loaded_text(p))
                                    .collect(),
                            };
                            let mut next = Vec::with_capacity(combos.len() * parts.len());
                            for c in &combos {
                                for p in &parts {
                                    let mut c2 = c.clone();
                                    c2.insert((call.span.start, call.span.end), p.clone());
                                    next.push(c2);
                                }
                            }
                            combos = next;
                            let max = self.st.opts.limits.max_generated_rows;
                            if combos.len() as u64 > max {
                                self.error_at(
                                    codes::ITERATION_LIMIT,
                                    cx,
                                    call.span,
                                    format!("loading `{table}`: SubField() would make more than the {max} rows qsa generates from one record (--max-generated-rows)"),
                                );
                                return None;
                            }
                        }
                    }
                    for combo in &combos {
                        let ctx = self.row_ctx(
                            &input,
                            i,
                            None,
                            prev,
                            i + 1,
                            out.rows.len() + 1,
                            iterno,
                            Some((&out.fields, &out.rows)),
                            file,
                            if sub_calls.is_empty() {
                                None
                            } else {
                                Some(combo)
                            },
                            exists,
                        );
                        let (row, failed) = eval_fields(&ctx, &exprs, &copy_idx, input.rows.get(i));
                        if let Some(err) = failed {
                            if !err.unsupported {
                                self.part_error(&err, cx, table, incomplete);
                                return None;
                            }
                            note_unsupported(&err, cx, incomplete, &mut reported_unsupported);
                        }
                        if let Some(ex) = exists {
                            let mut ex = ex.borrow_mut();
                            for (f, v) in out.fields.iter().zip(row.iter()) {
                                ex.add(&self.st, f, v);
                            }
                        }
                        out.rows.push(row);
                        out.origins
                            .push(input.origins.get(i).unwrap_or(RowOrigin::Load {
                                source: cx.src,
                                span,
                            }));
                        self.processed(1);
                        if !self.rows_left()
                            || (out.rows.len() % ROWS_PER_CHECK == 0
                                && !self.rows_fit(out.rows.len(), out.fields.len(), table))
                        {
                            return None;
                        }
                    }
                    if part.while_.is_none() {
                        break;
                    }
                    iterno += 1;
                }
            }
        }
        if part.distinct {
            let mut seen = HashSet::new();
            let mut rows = Vec::new();
            let mut origins = Origins::new();
            for (k, r) in out.rows.into_iter().enumerate() {
                if seen.insert(r.clone()) {
                    rows.push(r);
                    if let Some(o) = out.origins.get(k) {
                        origins.push(o);
                    }
                }
            }
            out.rows = rows;
            out.origins = origins;
        }
        Some(out)
    }

    /// A context for input row `idx` (RecNo = idx + 1), no group, no output rows, no SubField values.
    #[allow(clippy::too_many_arguments)]
    fn at_row<'a>(
        &'a self,
        input: &'a Frame,
        idx: usize,
        prev: Option<usize>,
        rowno: usize,
        iterno: usize,
        file: Option<&'a Path>,
        exists: Option<&'a RefCell<ExistsIndex>>,
    ) -> Ctx<'a> {
        self.row_ctx(
            input,
            idx,
            None,
            prev,
            idx + 1,
            rowno,
            iterno,
            None,
            file,
            None,
            exists,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn row_ctx<'a>(
        &'a self,
        frame: &'a Frame,
        idx: usize,
        group: Option<&'a [usize]>,
        prev: Option<usize>,
        recno: usize,
        rowno: usize,
        iterno: usize,
        out: Option<(&'a [String], &'a [Vec<Value>])>,
        file: Option<&'a Path>,
        subfield: Option<&'a HashMap<(usize, usize), Value>>,
        exists: Option<&'a RefCell<ExistsIndex>>,
    ) -> Ctx<'a> {
        Ctx {
            st: &self.st,
            row: Some(RowCx {
                frame,
                idx,
                group,
                prev,
                recno,
                rowno,
                iterno,
                out,
                file,
            }),
            subfield,
            exists,
        }
    }

    /// What a record's WHERE result means: `Some(true)` keep it, `Some(false)` skip it (false, or an
    /// unsupported function, which marks the table incomplete once), `None` stop the load (an error).
    fn where_verdict(
        &mut self,
        result: Result<Value, EvalError>,
        cx: &Cx,
        table: &str,
        incomplete: &mut Vec<Incomplete>,
        reported_unsupported: &mut bool,
    ) -> Option<bool> {
        match result {
            Ok(v) => Some(v.truthy()),
            Err(err) if err.unsupported => {
                note_unsupported(&err, cx, incomplete, reported_unsupported);
                Some(false)
            }
            Err(err) => {
                self.part_error(&err, cx, table, incomplete);
                None
            }
        }
    }

    fn part_error(
        &mut self,
        err: &EvalError,
        cx: &Cx,
        table: &str,
        incomplete: &mut Vec<Incomplete>,
    ) {
        let _ = incomplete;
        let d = eval_diag(err, cx, table);
        self.diag(d);
    }

    /// Put a loaded table where its prefixes (or Qlik's automatic concatenation) say.
    fn place_table(&mut self, mut table: Table, place: Placement, cx: &Cx, span: Span) {
        let access = self.st.access;
        if let Some((kind, target, keep)) = place.join {
            let target_name = match target.or_else(|| {
                self.st
                    .last
                    .as_ref()
                    .filter(|(a, _)| *a == access)
                    .map(|(_, n)| n.clone())
            }) {
                Some(n) => n,
                None => {
                    self.not_found(
                        format!(
                            "{} without a table to {} (no table loaded before)",
                            if keep { "Keep" } else { "Join" },
                            if keep { "keep against" } else { "join to" }
                        ),
                        cx,
                        span,
                    );
                    return;
                }
            };
            let Some(sec) = self.st.locate(&target_name) else {
                self.not_found(
                    format!(
                        "{} table `{target_name}` not found",
                        if keep { "Keep" } else { "Join" }
                    ),
                    cx,
                    span,
                );
                return;
            };
            let budget = self.st.budget.clone();
            let model = self.st.section_mut(sec);
            let Some(left) = model.table_mut(&target_name) else {
                return;
            };
            // The table joined into counts its fields too ([`fields_work`]): a loop that widens a
            // table by joining into it re-reads every field each round.
            let sides = (left.row_count().saturating_add(table.row_count()))
                .saturating_add(fields_work(&left.fields));
            if keep {
                let (l, r) = keep_tables(left, &table, kind);
                let incomplete_l = left.incomplete.clone();
                *left = l;
                for i in &table.incomplete {
                    if !left.incomplete.contains(i) {
                        left.incomplete.push(i.clone());
                    }
                }
                let mut r = r;
                for i in incomplete_l {
                    if !r.incomplete.contains(&i) {
                        r.incomplete.push(i);
                    }
                }
                self.name_default(&mut r.name);
                let name = self.unique_name(&r.name);
                r.name = name.clone();
                self.st.model_mut().tables.push(r);
                self.st.last = Some((access, name));
                self.processed(sides);
            } else {
                let joined = join_tables(left, &table, kind, &budget);
                let rows = sides.saturating_add(joined.row_count());
                *left = joined;
                for i in table.incomplete.drain(..) {
                    if !left.incomplete.contains(&i) {
                        left.incomplete.push(i);
                    }
                }
                self.st.last = Some((sec, target_name));
                self.processed(rows);
            }
            return;
        }
        let explicit_concat = place.concat.is_some();
        let target: Option<String> = match place.concat {
            Some(Some(t)) => {
                if self.st.model().table(&t).is_none() {
                    self.not_found(format!("Concatenate: table `{t}` not found"), cx, span);
                    return;
                }
                Some(t)
            }
            Some(None) => match self.st.last.as_ref().filter(|(a, _)| *a == access) {
                Some((_, n)) if self.st.model().table(n).is_some() => Some(n.clone()),
                _ => None,
            },
            None if !place.no_concat => {
                // Automatic concatenation: same set of field names as an existing table.
                let mine: HashSet<&String> = table.fields.iter().collect();
                self.st
                    .model()
                    .tables
                    .iter()
                    .find(|t| {
                        t.fields.len() == table.fields.len()
                            && t.fields.iter().all(|f| mine.contains(f))
                    })
                    .map(|t| t.name.clone())
            }
            None => None,
        };
        let _ = explicit_concat;
        if let Some(tname) = target {
            if let Some(t) = self.st.model_mut().table_mut(&tname) {
                concat_into(t, table);
            }
            self.st.last = Some((access, tname));
            return;
        }
        self.name_default(&mut table.name);
        let name = self.unique_name(&table.name);
        table.name = name.clone();
        self.st.model_mut().tables.push(table);
        self.st.last = Some((access, name));
    }

    /// Number an unlabelled INLINE / AUTOGENERATE table (INLINE01, AUTOGENERATE01, …) when it is created.
    fn name_default(&mut self, name: &mut String) {
        if name == DEFAULT_INLINE {
            self.st.inline_counter += 1;
            *name = format!("INLINE{:02}", self.st.inline_counter);
        } else if name == DEFAULT_AUTOGENERATE {
            self.st.autogen_counter += 1;
            *name = format!("AUTOGENERATE{:02}", self.st.autogen_counter);
        }
    }

    /// `name`, or `name-1`, `name-2`, … when taken in the current section.
    fn unique_name(&self, name: &str) -> String {
        let model = self.st.model();
        if model.table(name).is_none() {
            return name.to_string();
        }
        // The names in a set: a loop making `T`, `T-1`, … `T-k` would otherwise scan every table for
        // every candidate (cubic in the loop's iterations).
        let taken: HashSet<&str> = model.tables.iter().map(|t| t.name.as_str()).collect();
        (1..)
            .map(|i| format!("{name}-{i}"))
            .find(|n| !taken.contains(n.as_str()))
            .unwrap_or_else(|| name.to_string())
    }

    pub(crate) fn exec_drop(
        &mut self,
        target: DropTarget,
        names: &[Name],
        from: &[Name],
        span: Span,
        cx: &Cx,
    ) {
        match target {
            DropTarget::Tables => {
                for n in names {
                    if let Some(sec) = self.st.locate(&n.text) {
                        let model = self.st.section_mut(sec);
                        if let Some(pos) = model.tables.iter().position(|t| t.name == n.text) {
                            let t = model.tables.remove(pos);
                            self.st
                                .dropped_incomplete
                                .extend(t.incomplete.into_iter().map(|i| (sec, i)));
                        }
                    } else if self.st.mappings.remove(&n.text).is_some() {
                        // dropping a mapping table is allowed
                    } else {
                        self.not_found_or(
                            format!("DROP TABLE `{}`: no such table", n.text),
                            cx,
                            n.span,
                            true,
                        );
                    }
                }
            }
            DropTarget::Fields => {
                for n in names {
                    let mut found = false;
                    let access = self.st.access;
                    for sec in [access, !access] {
                        let model = self.st.section_mut(sec);
                        for t in model.tables.iter_mut() {
                            if !from.is_empty() && !from.iter().any(|f| f.text == t.name) {
                                continue;
                            }
                            let idx = t.field_index(&n.text).or_else(|| {
                                if sec {
                                    t.fields
                                        .iter()
                                        .position(|f| f.eq_ignore_ascii_case(&n.text))
                                } else {
                                    None
                                }
                            });
                            if let Some(i) = idx {
                                t.fields.remove(i);
                                t.columns.remove(i);
                                found = true;
                            }
                        }
                        if found {
                            self.st.drop_fieldless_tables(sec);
                            break;
                        }
                    }
                    if !found {
                        self.not_found_or(
                            format!("DROP FIELD `{}`: no such field", n.text),
                            cx,
                            n.span,
                            true,
                        );
                    }
                }
            }
        }
        let _ = span;
    }

    pub(crate) fn exec_rename(
        &mut self,
        target: RenameTarget,
        pairs: &[(Name, Name)],
        using: Option<&Name>,
        span: Span,
        cx: &Cx,
    ) {
        let mut list: Vec<(String, String, Span)> = pairs
            .iter()
            .map(|(a, b)| (a.text.clone(), b.text.clone(), a.span))
            .collect();
        if let Some(m) = using {
            let Some(map) = self.st.mapping(&m.text) else {
                self.diag(
                    Diagnostic::error(
                        codes::TABLE_NOT_FOUND,
                        format!("RENAME … USING `{}`: no such mapping table", m.text),
                    )
                    .at(cx.src, m.span, "not found"),
                );
                return;
            };
            let pairs = map.pairs.clone();
            match target {
                RenameTarget::Fields => {
                    let fields: Vec<String> = self
                        .st
                        .model()
                        .tables
                        .iter()
                        .flat_map(|t| t.fields.iter().cloned())
                        .collect();
                    for f in fields {
                        if let Some((_, to)) = pairs.iter().find(|(k, _)| k.text_or_empty() == f) {
                            if !list.iter().any(|(a, _, _)| a == &f) {
                                list.push((f, to.text_or_empty().into_owned(), span));
                            }
                        }
                    }
                }
                RenameTarget::Tables => {
                    for t in self.st.model().tables.iter() {
                        if let Some((_, to)) =
                            pairs.iter().find(|(k, _)| k.text_or_empty() == t.name)
                        {
                            list.push((t.name.clone(), to.text_or_empty().into_owned(), span));
                        }
                    }
                }
            }
        }
        for (from, to, at) in list {
            match target {
                RenameTarget::Tables => {
                    let Some(sec) = self.st.locate(&from) else {
                        if using.is_none() {
                            self.not_found(format!("RENAME TABLE `{from}`: no such table"), cx, at);
                        }
                        continue;
                    };
                    let model = self.st.section_mut(sec);
                    if model.table(&to).is_some() {
                        self.diag(Diagnostic::error(codes::TABLE_NOT_FOUND, format!("RENAME TABLE `{from}` TO `{to}`: a table `{to}` already exists")).at(cx.src, at, ""));
                        continue;
                    }
                    if let Some(t) = model.table_mut(&from) {
                        t.name = to.clone();
                    }
                    if let Some((a, n)) = &mut self.st.last {
                        if *a == sec && *n == from {
                            *n = to.clone();
                        }
                    }
                }
                RenameTarget::Fields => {
                    let access = self.st.access;
                    let to = if access { to.to_uppercase() } else { to };
                    let mut found = false;
                    for t in self.st.model_mut().tables.iter_mut() {
                        if let Some(i) = t.field_index(&from) {
                            if t.field_index(&to).is_some() {
                                continue;
                            }
                            if let Some(f) = t.fields.get_mut(i) {
                                *f = to.clone();
                            }
                            found = true;
                        }
                    }
                    if !found && using.is_none() {
                        self.not_found(format!("RENAME FIELD `{from}`: no such field"), cx, at);
                    }
                }
            }
        }
    }

    pub(crate) fn exec_store(
        &mut self,
        table: &Name,
        path: &crate::syntax::RawText,
        format: &[FormatItem],
        fields: &[LoadField],
        span: Span,
        cx: &Cx,
    ) {
        let _ = format;
        let Some(t) = self.st.table(&table.text) else {
            self.not_found(
                format!("STORE `{}`: no such table", table.text),
                cx,
                table.span,
            );
            return;
        };
        let mut copy = t.clone();
        self.processed(copy.row_count());
        if !fields.is_empty() && !fields.iter().any(|f| matches!(f, LoadField::Star(_))) {
            let mut keep = Vec::new();
            for f in fields {
                if let LoadField::Expr {
                    expr:
                        Expr {
                            kind: ExprKind::Field(n),
                            ..
                        },
                    alias,
                    ..
                } = f
                {
                    if let Some(i) = copy.field_index(&n.text) {
                        keep.push((
                            i,
                            alias
                                .as_ref()
                                .map(|a| a.text.clone())
                                .unwrap_or_else(|| n.text.clone()),
                        ));
                    }
                }
            }
            let mut t2 = Table::new(
                copy.name.clone(),
                keep.iter().map(|(_, n)| n.clone()).collect(),
            );
            t2.columns = keep
                .iter()
                .map(|(i, _)| copy.columns.get(*i).cloned().unwrap_or_default())
                .collect();
            t2.origins = copy.origins.clone();
            t2.incomplete = copy.incomplete.clone();
            copy = t2;
        }
        let ctx = self.st.path_context(&cx.dir);
        let key = sources::resolve_path(path.text.trim(), &ctx)
            .unwrap_or_else(|_| PathBuf::from(path.text.trim()));
        self.st.stored.insert(key, copy);
        self.diag(
            Diagnostic::info(
                codes::STORE_SKIPPED,
                format!(
                    "STORE `{}` INTO {}: kept in memory for later loads; nothing was written",
                    table.text,
                    path.text.trim()
                ),
            )
            .at(cx.src, span, "not written"),
        );
    }
}

/// Evaluate a load part's field list for one row: the values, and the first problem. An unsupported
/// function leaves a NULL cell and evaluation goes on; any other error stops at once.
fn eval_fields(
    ctx: &Ctx,
    exprs: &[Option<&Expr>],
    copy_idx: &[usize],
    input_row: Option<&Vec<Value>>,
) -> (Vec<Value>, Option<EvalError>) {
    let mut row = Vec::with_capacity(exprs.len());
    let mut failed: Option<EvalError> = None;
    for (j, e) in exprs.iter().enumerate() {
        let v = match e {
            None => Ok(input_row
                .and_then(|r| copy_idx.get(j).and_then(|&c| r.get(c)))
                .cloned()
                .unwrap_or_default()),
            Some(e) => ctx.eval(e),
        };
        match v {
            Ok(v) => row.push(v),
            Err(err) if err.unsupported => {
                failed.get_or_insert(err);
                row.push(Value::Null);
            }
            Err(err) => return (row, Some(err)),
        }
    }
    (row, failed)
}

fn note_unsupported(
    err: &EvalError,
    cx: &Cx,
    incomplete: &mut Vec<Incomplete>,
    reported: &mut bool,
) {
    if *reported {
        return;
    }
    *reported = true;
    incomplete.push(Incomplete {
        reason: err.message.clone(),
        at: Some((cx.src, err.span)),
    });
}

/// Every expression of a load part (fields, WHERE, WHILE).
fn part_exprs(p: &LoadPart) -> impl Iterator<Item = &Expr> {
    p.fields
        .iter()
        .filter_map(|f| match f {
            LoadField::Expr { expr, .. } => Some(expr),
            _ => None,
        })
        .chain(p.where_.iter())
        .chain(p.while_.iter())
}

impl Runner {
    /// Why a load's expressions read something unknown: a table or field qsa could not load faithfully
    /// (`Peek`, `Lookup`, `Exists`, …), a variable it could not compute, or a mapping it could not load
    /// faithfully (`ApplyMap`, `MapSubString`).
    fn load_reads_unknown(&self, ls: &LoadStmt, cx: &Cx, span: Span) -> Option<Incomplete> {
        for e in ls.parts.iter().flat_map(part_exprs) {
            if let Some(inc) = self.unknown_reads(e, cx, span, false) {
                return Some(inc);
            }
            let mut found = None;
            eval::walk(e, &mut |x| {
                if let ExprKind::Call { name, args, .. } = &x.kind {
                    let lower = name.text.to_ascii_lowercase();
                    if found.is_none() && (lower == "applymap" || lower == "mapsubstring") {
                        found = match args.first().map(|a| &a.kind) {
                            Some(ExprKind::Str(m)) => self
                                .st
                                .mapping(m)
                                .and_then(|m| m.incomplete.first().cloned()),
                            _ => self
                                .st
                                .mappings
                                .values()
                                .find_map(|m| m.incomplete.first().cloned()),
                        };
                    }
                }
            });
            if found.is_some() {
                return found;
            }
        }
        None
    }
}

fn part_calls(p: &LoadPart, lower: &str) -> bool {
    p.fields
        .iter()
        .any(|f| matches!(f, LoadField::Expr { expr, .. } if eval::calls(expr, lower)))
        || p.where_
            .as_ref()
            .map(|w| eval::calls(w, lower))
            .unwrap_or(false)
        || p.while_
            .as_ref()
            .map(|w| eval::calls(w, lower))
            .unwrap_or(false)
}

/// S5: trim ASCII spaces (unless `Verbatim`); S4: upper-case INLINE values in Section Access. Each
/// distinct value of a column is normalised once. Field names are always trimmed.
fn normalise(loaded: &mut Loaded, trim: bool, upper: bool) {
    for f in loaded.fields.iter_mut() {
        let t = f.trim_matches(' ');
        if t.len() != f.len() {
            *f = t.to_string();
        }
    }
    if !trim && !upper {
        return;
    }
    for c in loaded.columns.iter_mut() {
        let changes = c
            .dict()
            .iter()
            .any(|v| normalised(v, trim, upper).is_some());
        if changes {
            *c = c.map_values(|v| normalised(v, trim, upper).unwrap_or_else(|| v.clone()));
        }
    }
}

/// A value trimmed and/or upper-cased, or `None` when that leaves it unchanged.
fn normalised(v: &Value, trim: bool, upper: bool) -> Option<Value> {
    let text = v.text()?;
    let mut s: &str = &text;
    if trim {
        s = s.trim_matches(' ');
    }
    let new = if upper {
        s.to_uppercase()
    } else {
        s.to_string()
    };
    if new == *text {
        return None;
    }
    Some(match v {
        // Keep a QVD dual's number; only the text changes.
        Value::Dual(n, _) if !upper => Value::dual(*n, &new),
        // Text stays text (an Excel text cell ` 01 ` becomes the text `01`, not a number).
        Value::Str(_) => Value::str(&new),
        _ => Value::from_loaded_text(&new),
    })
}

/// Row origins for INLINE rows: the span of each data line (S-rules: "with their script lines").
fn inline_origins(
    cx: &Cx,
    data: &crate::syntax::RawText,
    format: &[FormatItem],
    rows: usize,
    stmt_span: Span,
) -> Origins {
    let fallback = || {
        Origins::repeat(
            RowOrigin::Script {
                source: cx.src,
                span: stmt_span,
            },
            rows,
        )
    };
    let base = if cx.slice(data.span) == data.text {
        data.span.start
    } else {
        let stmt = cx.slice(stmt_span);
        match stmt.find(data.text.as_str()) {
            Some(p) if !data.text.is_empty() => stmt_span.start + p,
            _ => return fallback(),
        }
    };
    let header = !format
        .iter()
        .any(|f| matches!(f, FormatItem::NoLabels | FormatItem::ExplicitLabels));
    let mut spans = Origins::new();
    let mut offset = 0usize;
    let mut seen_header = !header;
    for line in data.text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        let start = offset;
        offset += line.len();
        if content.trim().is_empty() {
            continue;
        }
        if !seen_header {
            seen_header = true;
            continue;
        }
        let lead = content.len() - content.trim_start().len();
        let s = Span::new(base + start + lead, base + start + content.trim_end().len());
        spans.push(RowOrigin::Script {
            source: cx.src,
            span: s,
        });
    }
    if spans.len() != rows {
        return fallback();
    }
    spans
}

/// Append one file's table to the tables read so far (a wildcard load): fields are the union, a field a
/// part lacks is NULL there.
fn append_loaded(acc: &mut Loaded, part: Loaded) {
    if acc.fields.is_empty() && acc.row_count() == 0 {
        *acc = part;
        return;
    }
    let old_rows = acc.row_count();
    let new_rows = part.row_count();
    for f in &part.fields {
        if !acc.fields.contains(f) {
            acc.fields.push(f.clone());
            acc.columns.push(Column::nulls(old_rows));
        }
    }
    for (f, col) in acc.fields.iter().zip(acc.columns.iter_mut()) {
        match part.fields.iter().position(|g| g == f) {
            Some(i) => match part.columns.get(i) {
                Some(c) => col.extend_from(c),
                None => col.push_nulls(new_rows),
            },
            None => col.push_nulls(new_rows),
        }
    }
    acc.rows = old_rows + new_rows;
    acc.origins.append(&part.origins);
}

/// The table name of an unlabelled file load: the file name without extension.
fn file_table_name(raw: &str) -> String {
    let s = raw
        .trim()
        .trim_matches(|c| c == '[' || c == ']' || c == '\'' || c == '"');
    let file = s.rsplit(['/', '\\']).next().unwrap_or(s);
    let stem = match file.rfind('.') {
        Some(p) if p > 0 => &file[..p],
        _ => file,
    };
    stem.chars().take(32).collect()
}

/// The table named after FROM in an SQL text.
fn sql_table_name(sql: &str) -> Option<String> {
    let lower = sql.to_ascii_lowercase();
    let words: Vec<&str> = sql.split_whitespace().collect();
    let lw: Vec<String> = lower.split_whitespace().map(str::to_string).collect();
    let pos = lw.iter().position(|w| w == "from")?;
    let t = words.get(pos + 1)?;
    let t = t
        .trim_end_matches(';')
        .trim_matches(|c| c == '"' || c == '[' || c == ']' || c == '`');
    let t = t
        .rsplit('.')
        .next()
        .unwrap_or(t)
        .trim_matches(|c| c == '"' || c == '[' || c == ']' || c == '`');
    (!t.is_empty()).then(|| t.to_string())
}

/// The field names of `SELECT a, b AS c, t.d FROM …`; `None` for `SELECT *` or anything unclear.
fn sql_fields(sql: &str) -> Option<Vec<String>> {
    let lower = sql.to_ascii_lowercase();
    let start = lower.find("select")? + 6;
    let end = lower.find(" from")?;
    if end <= start {
        return None;
    }
    let list = sql.get(start..end)?;
    let mut out = Vec::new();
    for item in super::expand::split_args(list) {
        let item = item.trim();
        if item.is_empty() || item.contains('*') {
            return None;
        }
        let lower_item = item.to_ascii_lowercase();
        let name = match lower_item.rfind(" as ") {
            Some(p) => item.get(p + 4..)?.trim(),
            None => {
                if item.contains('(') || item.contains(' ') {
                    return None;
                }
                item.rsplit('.').next().unwrap_or(item)
            }
        };
        out.push(
            name.trim_matches(|c| c == '"' || c == '[' || c == ']' || c == '`')
                .to_string(),
        );
    }
    Some(out)
}

/// The fields a plain field list takes from its input, in output order: (output name, input column).
/// `*` takes every input field; a bare field name (optionally `AS` renamed) takes that field, found as
/// the general path finds it (exact name first, then ignoring case).
type Plan = Vec<(String, usize)>;

/// The plan of a load part that only picks fields: no WHERE, WHILE, GROUP BY, ORDER BY or DISTINCT, and
/// every field `*` or a bare field of the input. `None` when anything else is asked for, or when the
/// general path would report an error (a field the input lacks, a name given twice, also ignoring case in
/// Section Access): the general path then runs and says so. `text` gives the script text of a span (the
/// name of a field written as `[]`).
fn plain_fields(
    part: &LoadPart,
    input: &[String],
    access: bool,
    text: impl Fn(Span) -> String,
) -> Option<Plan> {
    if part.where_.is_some()
        || part.while_.is_some()
        || !part.group_by.is_empty()
        || !part.order_by.is_empty()
        || part.distinct
    {
        return None;
    }
    let lookup = |name: &str| {
        input
            .iter()
            .position(|f| f == name)
            .or_else(|| input.iter().position(|f| f.eq_ignore_ascii_case(name)))
    };
    let mut plan: Plan = Vec::new();
    for f in &part.fields {
        match f {
            LoadField::Star(_) => {
                for (i, name) in input.iter().enumerate() {
                    if !plan.iter().any(|(n, _)| n == name) {
                        plan.push((name.clone(), i));
                    }
                }
            }
            LoadField::Expr {
                expr:
                    Expr {
                        kind: ExprKind::Field(n),
                        ..
                    },
                alias,
                span,
            } => {
                let src = lookup(&n.text)?;
                let name = match alias {
                    Some(a) => a.text.clone(),
                    None => n.text.clone(),
                };
                let name = if name.is_empty() { text(*span) } else { name };
                if plan
                    .iter()
                    .any(|(o, _)| *o == name || (access && o.eq_ignore_ascii_case(&name)))
                {
                    return None;
                }
                plan.push((name, src));
            }
            LoadField::Expr { .. } => return None,
        }
    }
    Some(plan)
}

/// The fast path's output: the planned columns moved (or, when picked twice, cloned) out of the input;
/// rows without an origin get the LOAD statement's, as in the general path.
fn pick_columns(mut input: Loaded, plan: &Plan, cx: &Cx, span: Span) -> Loaded {
    let rows = input.row_count();
    let mut uses = vec![0usize; input.columns.len()];
    for (_, i) in plan {
        if let Some(u) = uses.get_mut(*i) {
            *u += 1;
        }
    }
    let mut columns = Vec::with_capacity(plan.len());
    for (_, i) in plan {
        let col = match (uses.get_mut(*i), input.columns.get_mut(*i)) {
            (Some(u), Some(c)) => {
                *u -= 1;
                if *u == 0 {
                    std::mem::take(c)
                } else {
                    c.clone()
                }
            }
            _ => Column::nulls(rows),
        };
        columns.push(col);
    }
    let mut origins = input.origins;
    origins.pad_to(
        rows,
        RowOrigin::Load {
            source: cx.src,
            span,
        },
    );
    Loaded {
        fields: plan.iter().map(|(n, _)| n.clone()).collect(),
        columns,
        rows,
        origins,
    }
}

/// A load's result as a table: columns move in as they are; rows are interned column by column.
fn input_to_table(name: &str, input: Input) -> Table {
    match input {
        Input::Cols(l) => {
            let mut t = Table::new(name, Vec::new());
            t.fields = l.fields;
            t.columns = l.columns;
            t.origins = l.origins;
            t
        }
        Input::Rows(frame) => frame_to_table(name, frame),
    }
}

pub(crate) fn frame_to_table(name: &str, frame: Frame) -> Table {
    let mut t = Table::new(name, frame.fields);
    for r in frame.rows {
        t.push_row(r);
    }
    t.seal();
    t.origins = frame.origins;
    t
}

/// A table's columns as a load input (dicts shared by value, ids copied).
fn table_to_loaded(t: &Table) -> Loaded {
    Loaded {
        fields: t.fields.clone(),
        columns: t.columns.clone(),
        rows: t.row_count(),
        origins: t.origins.clone(),
    }
}

fn crosstable(frame: Frame, attr: &str, data: &str, q: usize) -> Frame {
    let q = q.min(frame.fields.len());
    let mut fields: Vec<String> = frame.fields.iter().take(q).cloned().collect();
    fields.push(attr.to_string());
    fields.push(data.to_string());
    let mut out = Frame::new(fields);
    for (k, r) in frame.rows.iter().enumerate() {
        for (j, f) in frame.fields.iter().enumerate().skip(q) {
            let mut row: Vec<Value> = r.iter().take(q).cloned().collect();
            row.push(Value::from_loaded_text(f));
            row.push(r.get(j).cloned().unwrap_or_default());
            out.rows.push(row);
            if let Some(o) = frame.origins.get(k) {
                out.origins.push(o);
            }
        }
    }
    out
}

/// Append `new`'s rows to `t`, adding fields `t` lacks (missing cells are NULL).
pub(crate) fn concat_into(t: &mut Table, new: Table) {
    let old_rows = t.row_count();
    for f in &new.fields {
        if t.field_index(f).is_none() {
            t.fields.push(f.clone());
            t.columns.push(Column::nulls(old_rows));
        }
    }
    let n = new.row_count();
    for (f, col) in t.fields.iter().zip(t.columns.iter_mut()) {
        match new.column(f) {
            Some(s) => col.extend_from(s),
            None => col.push_nulls(n),
        }
        col.seal();
    }
    if t.origins.len() == old_rows {
        t.origins.append(&new.origins);
    }
    for i in new.incomplete {
        if !t.incomplete.contains(&i) {
            t.incomplete.push(i);
        }
    }
}

fn key_of(t: &Table, idx: &[usize], row: usize) -> Option<Vec<Value>> {
    let mut k = Vec::with_capacity(idx.len());
    for &i in idx {
        let v = t
            .columns
            .get(i)
            .and_then(|c| c.get(row))
            .cloned()
            .unwrap_or_default();
        if v.is_null() {
            return None;
        }
        k.push(v);
    }
    Some(k)
}

/// Natural join on the shared fields (no shared field: a cross product). `Plain` is an outer join.
/// Join `right` into `left`. Over the memory budget (a join of many matches, a cross join), it stops
/// early with what it has: the budget remembers it and the run stops after the statement.
pub(crate) fn join_tables(
    left: &Table,
    right: &Table,
    kind: JoinKind,
    budget: &crate::limits::Budget,
) -> Table {
    let shared: Vec<&String> = left
        .fields
        .iter()
        .filter(|f| right.field_index(f).is_some())
        .collect();
    let li: Vec<usize> = shared.iter().filter_map(|f| left.field_index(f)).collect();
    let ri: Vec<usize> = shared.iter().filter_map(|f| right.field_index(f)).collect();
    let extra: Vec<usize> = (0..right.fields.len())
        .filter(|i| !ri.contains(i))
        .collect();
    let mut fields = left.fields.clone();
    fields.extend(extra.iter().filter_map(|&i| right.fields.get(i).cloned()));
    let mut out = Table::new(left.name.clone(), fields);
    out.source = left.source;
    out.incomplete = left.incomplete.clone();
    let mut index: HashMap<Vec<Value>, Vec<usize>> = HashMap::new();
    for r in 0..right.row_count() {
        if let Some(k) = key_of(right, &ri, r) {
            index.entry(k).or_default().push(r);
        }
    }
    let keep_left = matches!(kind, JoinKind::Plain | JoinKind::Outer | JoinKind::Left);
    let keep_right = matches!(kind, JoinKind::Plain | JoinKind::Outer | JoinKind::Right);
    let mut matched = vec![false; right.row_count()];
    let all_right: Vec<usize> = (0..right.row_count()).collect();
    for l in 0..left.row_count() {
        let lrow = left.row(l);
        let matches: Option<&Vec<usize>> = if shared.is_empty() {
            Some(&all_right)
        } else {
            key_of(left, &li, l).and_then(|k| index.get(&k))
        };
        match matches {
            Some(ms) if !ms.is_empty() => {
                for &r in ms {
                    if let Some(m) = matched.get_mut(r) {
                        *m = true;
                    }
                    let mut row = lrow.clone();
                    row.extend(extra.iter().map(|&i| right.cell(i, r)));
                    out.push_row(row);
                    if let Some(o) = left.origins.get(l) {
                        out.origins.push(o);
                    }
                    if out.row_count() % ROWS_PER_CHECK == 0 && !joined_fit(&out, budget) {
                        return out;
                    }
                }
            }
            _ => {
                if keep_left {
                    let mut row = lrow.clone();
                    row.extend(extra.iter().map(|_| Value::Null));
                    out.push_row(row);
                    if let Some(o) = left.origins.get(l) {
                        out.origins.push(o);
                    }
                }
            }
        }
    }
    if keep_right {
        for r in 0..right.row_count() {
            if matched.get(r).copied().unwrap_or(true) {
                continue;
            }
            let mut row: Vec<Value> = left
                .fields
                .iter()
                .map(|f| {
                    right
                        .column(f)
                        .and_then(|c| c.get(r))
                        .cloned()
                        .unwrap_or_default()
                })
                .collect();
            row.extend(extra.iter().map(|&i| right.cell(i, r)));
            out.push_row(row);
            if let Some(o) = right.origins.get(r) {
                out.origins.push(o);
            }
        }
    }
    if out.origins.len() != out.row_count() {
        out.origins.clear();
    }
    out
}

/// Whether the rows a join has made so far fit in the memory budget (4 bytes per cell, an origin per row).
fn joined_fit(out: &Table, budget: &crate::limits::Budget) -> bool {
    let rows = out.row_count() as u64;
    let row = 4 * out.columns.len() as u64 + 16;
    budget
        .check(rows.saturating_mul(row), || {
            format!("joining into `{}` ({rows} rows so far)", out.name)
        })
        .is_ok()
}

/// `Keep`: reduce one or both tables to the rows whose shared-field combination exists in the other.
pub(crate) fn keep_tables(left: &Table, right: &Table, kind: JoinKind) -> (Table, Table) {
    let shared: Vec<String> = left
        .fields
        .iter()
        .filter(|f| right.field_index(f).is_some())
        .cloned()
        .collect();
    let li: Vec<usize> = shared.iter().filter_map(|f| left.field_index(f)).collect();
    let ri: Vec<usize> = shared.iter().filter_map(|f| right.field_index(f)).collect();
    let keys = |t: &Table, idx: &[usize]| -> HashSet<Vec<Value>> {
        (0..t.row_count())
            .filter_map(|r| key_of(t, idx, r))
            .collect()
    };
    let filter = |t: &Table, idx: &[usize], other: &HashSet<Vec<Value>>| -> Table {
        let mut out = Table::new(t.name.clone(), t.fields.clone());
        out.source = t.source;
        out.incomplete = t.incomplete.clone();
        for r in 0..t.row_count() {
            let keep = if idx.is_empty() {
                true
            } else {
                key_of(t, idx, r)
                    .map(|k| other.contains(&k))
                    .unwrap_or(false)
            };
            if keep {
                out.push_row(t.row(r));
                if let Some(o) = t.origins.get(r) {
                    out.origins.push(o);
                }
            }
        }
        out
    };
    let lk = keys(left, &li);
    let rk = keys(right, &ri);
    match kind {
        JoinKind::Left => (left.clone(), filter(right, &ri, &lk)),
        JoinKind::Right => (filter(left, &li, &rk), right.clone()),
        _ => (filter(left, &li, &rk), filter(right, &ri, &lk)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str, fields: &[&str], rows: &[&[&str]]) -> Table {
        let mut t = Table::new(name, fields.iter().map(|s| s.to_string()).collect());
        for r in rows {
            t.push_row(
                r.iter()
                    .map(|s| {
                        if *s == "-" {
                            Value::Null
                        } else {
                            Value::from_loaded_text(s)
                        }
                    })
                    .collect(),
            );
        }
        t
    }

    fn cells(t: &Table) -> Vec<Vec<String>> {
        (0..t.row_count())
            .map(|i| t.row(i).iter().map(|v| v.to_string()).collect())
            .collect()
    }

    #[test]
    fn joins_match_on_shared_fields() {
        let a = t("A", &["K", "X"], &[&["1", "a"], &["2", "b"], &["-", "n"]]);
        let b = t("B", &["K", "Y"], &[&["1", "p"], &["1", "q"], &["3", "r"]]);
        assert_eq!(
            cells(&join_tables(&a, &b, JoinKind::Inner, &Default::default())),
            vec![vec!["1", "a", "p"], vec!["1", "a", "q"]]
        );
        assert_eq!(
            cells(&join_tables(&a, &b, JoinKind::Left, &Default::default())),
            vec![
                vec!["1", "a", "p"],
                vec!["1", "a", "q"],
                vec!["2", "b", "-"],
                vec!["-", "n", "-"]
            ]
        );
        assert_eq!(
            cells(&join_tables(&a, &b, JoinKind::Right, &Default::default())),
            vec![
                vec!["1", "a", "p"],
                vec!["1", "a", "q"],
                vec!["3", "-", "r"]
            ]
        );
        assert_eq!(
            join_tables(&a, &b, JoinKind::Outer, &Default::default()).row_count(),
            5
        );
        // No shared field: cross product.
        let c = t("C", &["Z"], &[&["z1"], &["z2"]]);
        assert_eq!(
            join_tables(&a, &c, JoinKind::Inner, &Default::default()).row_count(),
            6
        );
    }

    #[test]
    fn keep_reduces_without_merging() {
        let a = t("A", &["K", "X"], &[&["1", "a"], &["2", "b"]]);
        let b = t("B", &["K", "Y"], &[&["1", "p"], &["3", "r"]]);
        let (l, r) = keep_tables(&a, &b, JoinKind::Inner);
        assert_eq!(cells(&l), vec![vec!["1", "a"]]);
        assert_eq!(cells(&r), vec![vec!["1", "p"]]);
        let (l, r) = keep_tables(&a, &b, JoinKind::Left);
        assert_eq!(l.row_count(), 2);
        assert_eq!(cells(&r), vec![vec!["1", "p"]]);
    }

    /// The bottom part of the first LOAD in `script`.
    fn part(script: &str) -> LoadPart {
        let parsed = crate::syntax::parse_script(crate::diag::SourceId(0), script);
        parsed
            .script
            .statements
            .into_iter()
            .find_map(|s| match s.kind {
                crate::syntax::StmtKind::Load(l) => l.parts.last().cloned(),
                _ => None,
            })
            .expect("a LOAD")
    }

    fn plan(script: &str, access: bool) -> Option<Vec<(String, usize)>> {
        let input: Vec<String> = ["A", "B", "c"].iter().map(|s| s.to_string()).collect();
        plain_fields(&part(script), &input, access, |_| String::new())
    }

    #[test]
    fn plain_field_lists_take_the_fast_path() {
        let p = |n: &str, i| (n.to_string(), i);
        assert_eq!(
            plan("LOAD * FROM x.csv;", false),
            Some(vec![p("A", 0), p("B", 1), p("c", 2)])
        );
        assert_eq!(
            plan("LOAD B AS X, A, a AS Y, C FROM x.csv;", false),
            Some(vec![p("X", 1), p("A", 0), p("Y", 0), p("C", 2)])
        );
        assert_eq!(
            plan("LOAD A, * FROM x.qvd (qvd);", false),
            Some(vec![p("A", 0), p("B", 1), p("c", 2)])
        );
        // Anything evaluated per row, or an error the general path reports, is not a plain list.
        for general in [
            "LOAD A FROM x.csv WHERE A > 1;",
            "LOAD DISTINCT A FROM x.csv;",
            "LOAD A, Upper(B) AS B FROM x.csv;",
            "LOAD A, 1 AS One FROM x.csv;",
            "LOAD A, D FROM x.csv;",
            "LOAD A, B AS A FROM x.csv;",
            "LOAD A, Sum(B) AS S FROM x.csv GROUP BY A;",
            "LOAD A FROM x.csv WHILE IterNo() < 2;",
        ] {
            assert_eq!(plan(general, false), None, "{general}");
        }
        // Section Access compares names ignoring case.
        assert!(plan("LOAD A, B AS a FROM x.csv;", false).is_some());
        assert_eq!(plan("LOAD A, B AS a FROM x.csv;", true), None);
    }

    #[test]
    fn default_names() {
        assert_eq!(file_table_name("lib://Data/Sales 2024.csv"), "Sales 2024");
        assert_eq!(file_table_name("[..\\data\\users.qvd]"), "users");
        assert_eq!(
            sql_table_name("SELECT a FROM dbo.Users WHERE x"),
            Some("Users".into())
        );
        assert_eq!(
            sql_fields("SELECT a, t.b, c AS d FROM x"),
            Some(vec!["a".into(), "b".into(), "d".into()])
        );
        assert_eq!(sql_fields("SELECT * FROM x"), None);
    }
}
