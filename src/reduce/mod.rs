//! Stage 4: what every user sees (rules L1–L3, R1–R6, O1, U1–U2), on top of the security model (`access`).
//!
//! - [`crate::model::engine`] (one stage down, shared with `access`): the columnar engine (symbol tables,
//!   id columns, bitsets, message passing over links).
//! - [`reference`]: a deliberately simple polars evaluator, used by the differential property test.
//! - [`prepare`] checks that the run can be evaluated faithfully (fail closed), builds both engines and
//!   lints; [`Prepared::evaluate`] evaluates users: each distinct identity profile (the same applicable
//!   security rows) once, profiles spread over cores with rayon.
//!
//! # `rules`: the [dec] rules a user's result depends on
//! A rule id is listed when, for this user:
//! - `I2`: a security row would apply if its blank identity cells matched (blank = nobody decided).
//! - `I4`: the user has no value (no e-mail, no groups) for an identity field that lists explicit values.
//! - `I6`: two groups the user holds collide after upper-casing and the name is used in GROUP.
//! - `L2`: the applicable rows mix ADMIN and USER (ADMIN wins).
//! - `R2`: strict exclusion fired on one reduction field while the model has several (judged per field).
//! - `R4`: rows were dropped by a NULL link value, by a composite link, or through two or more links from
//!   the nearest selection (the exact message-passing form).
//! - `R6`: access is granted but every reduced table keeps zero rows.
//! - `S7`: cloud, GROUP is used, and another `QlikCloudGroupMode` would change the user's GROUP values
//!   that appear in the security tables (the mode is read as its value at the end of the script).
//!
//! `R5` never appears: a loop refuses the whole evaluation.

mod applied;
pub mod explain;
mod listed;
pub mod reference;
pub mod tenant;
pub mod tenant_lints;

pub use applied::{AppliedProfiles, GroupGrant};

use crate::access::directory::User;
use crate::access::model::{SecurityModel, RELOAD_IDENTITY};
use crate::access::{group_mode, GroupMode, Target};
use crate::diag::{codes, Diagnostic};
use crate::model::bitset::Bitset;
use crate::model::engine::{BuildError, Engine, Kept};
use crate::model::factor::{Counted, Factorized};
use crate::model::{DataModel, RowOrigin, Value};
use crate::script::RunResult;
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

/// Access level (L1–L3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Access {
    #[serde(rename = "ADMIN")]
    Admin,
    #[serde(rename = "USER")]
    User,
    #[serde(rename = "DENIED")]
    Denied,
}

impl Access {
    pub fn as_str(&self) -> &'static str {
        match self {
            Access::Admin => "ADMIN",
            Access::User => "USER",
            Access::Denied => "DENIED",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct TableCount {
    pub rows: usize,
    pub total_rows: usize,
}

/// A security row that applied to the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedRow {
    pub table: String,
    /// 0-based row in the security table.
    pub row: usize,
    pub origin: Option<RowOrigin>,
    /// (field, text) in table order; NULL as empty text.
    pub cells: Vec<(String, String)>,
}

/// What one user sees.
#[derive(Clone, Debug)]
pub struct UserResult {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub access: Access,
    pub denied_reason: Option<String>,
    /// Per linked reduction field: the selection (sorted); `None` = not reduced. Shared by the users of
    /// one profile.
    pub reduction: Arc<BTreeMap<String, Option<Vec<String>>>>,
    pub omitted_fields: Vec<String>,
    /// Rows kept per app table; shared by the users of one profile.
    pub tables: Arc<BTreeMap<String, TableCount>>,
    /// [dec] rule ids the result depends on (see the module doc), sorted.
    pub rules: Vec<&'static str>,
    /// Only with `detail`: the applicable security rows.
    pub applied: Vec<AppliedRow>,
    /// Only with `detail`: kept rows per app table (in app model order).
    pub kept: Option<Vec<Kept>>,
    /// Findings about this user (I6 collisions, R6 empty app).
    pub diagnostics: Vec<Diagnostic>,
}

impl UserResult {
    /// Does the user keep row `row` of app table `table` (model order)? Needs a result evaluated with
    /// `detail`; a denied user keeps nothing.
    pub fn keeps(&self, table: usize, row: usize) -> bool {
        self.access != Access::Denied
            && self
                .kept
                .as_ref()
                .and_then(|k| k.get(table))
                .is_some_and(|k| k.contains(row))
    }
}

/// A run ready to evaluate.
pub struct Prepared<'a> {
    pub run: &'a RunResult,
    pub target: Target,
    pub mode: GroupMode,
    pub security: SecurityModel,
    pub app: Engine,
    /// Lints and run diagnostics (no errors that prevent evaluation).
    pub diagnostics: Vec<Diagnostic>,
    app_fields: BTreeSet<String>,
    /// The factorized app model, built on the first evaluation with many selections (`None` inside: a
    /// linked reduction field is not a field of the app model, so message passing is used).
    quotient: OnceLock<Option<Factorized>>,
    stats: Mutex<EvalStats>,
    factorize_from: usize,
    /// Told about [`Prepared::evaluate`]'s phases (see [`Prepared::set_progress`]).
    progress: crate::progress::ProgressRef,
}

/// R4/R5: a model that cannot be built, located at the load of the first table the error names (the
/// first table of a loop, in the order the message gives).
fn build_error(e: BuildError, what: &str, model: &crate::model::DataModel) -> Diagnostic {
    let first = match &e {
        BuildError::Circular { tables, .. } | BuildError::NestedSynthetic { tables, .. } => {
            tables.first().cloned()
        }
    };
    let at = first.and_then(|name| {
        model
            .tables
            .iter()
            .find(|t| t.name == name)
            .and_then(|t| t.source)
    });
    let d = build_error_at(e, what);
    match at {
        Some((s, sp)) => d.at(s, sp, "this table"),
        None => d,
    }
}

fn build_error_at(e: BuildError, what: &str) -> Diagnostic {
    match e {
        BuildError::Circular { .. } => Diagnostic::error(codes::SA_CIRCULAR, format!("{what}: {e}"))
            .with_help("break the loop (rename or qualify a field, or join the tables); Qlik would loosen a table at reload")
            .with_rule("R5"),
        BuildError::NestedSynthetic { .. } => {
            Diagnostic::error(codes::SA_NESTED_SYNTHETIC, format!("{what}: {e}"))
                .with_help("link each pair of tables by one field or one combination: build an explicit key and rename or drop the other shared fields")
                .with_rule("R4")
        }
    }
}

/// Fail closed: `what` cannot be trusted because of `inc`, so no user is evaluated.
fn not_evaluable(
    t: &crate::model::Table,
    inc: &crate::model::Incomplete,
    what: String,
    rule: &'static str,
) -> Diagnostic {
    let mut d = Diagnostic::error(
        codes::SA_NOT_EVALUABLE,
        format!("{what} ({}): qsa refuses to evaluate users", inc.reason),
    )
    .with_rule(rule);
    if let Some((s, sp)) = inc.at.or(t.source) {
        d = d.at(s, sp, "");
    }
    d
}

/// Check that the run can be evaluated faithfully and build the engines. `Err` holds the diagnostics
/// (at least one error) when it cannot: run errors, an invalid group mode (cloud), an incomplete security
/// table or an incomplete app table linked to a reduction field, a loop (R5).
pub fn prepare(run: &RunResult, target: Target) -> Result<Prepared<'_>, Vec<Diagnostic>> {
    let mut diags: Vec<Diagnostic> = run.diagnostics.clone();
    let mut refuse = run.has_errors();
    let (mode, mode_set, mode_diag) = group_mode(&run.variables, target);
    let mode_valid = mode_set && mode_diag.is_none();
    if let Some(d) = mode_diag {
        refuse |= d.is_error();
        diags.push(d);
    }
    for t in &run.security.tables {
        for inc in &t.incomplete {
            refuse = true;
            diags.push(not_evaluable(
                t,
                inc,
                format!("security table `{}` is incomplete", t.name),
                "S3",
            ));
        }
    }
    // Only key fields and the fields Section Access names can matter for reduction.
    let named: BTreeSet<&str> = run
        .security
        .tables
        .iter()
        .flat_map(|t| t.fields.iter().map(String::as_str))
        .collect();
    let app = match Engine::build_with(&run.app, &|f| named.contains(f)) {
        Ok(e) => Some(e),
        Err(e) => {
            refuse = true;
            diags.push(build_error(e, "app data model", &run.app));
            None
        }
    };
    let app_fields: BTreeSet<String> = run
        .app
        .tables
        .iter()
        .flat_map(|t| t.fields.iter().cloned())
        .collect();
    let security = match SecurityModel::build(&run.security, &app_fields, target, mode, mode_set) {
        Ok(s) => Some(s),
        Err(e) => {
            refuse = true;
            diags.push(build_error(e, "security model", &run.security));
            None
        }
    };
    if let (Some(app), Some(sec)) = (&app, &security) {
        // Fail closed on incomplete app tables associated with a reduction field.
        let reduced_comps: BTreeSet<usize> = sec
            .reductions
            .iter()
            .filter(|r| r.linked)
            .filter_map(|r| app.field_id(&r.name))
            .flat_map(|f| app.fields[f].tables.iter().map(|&t| app.component_of(t)))
            .collect();
        let reductions: BTreeSet<&str> = sec
            .reductions
            .iter()
            .filter(|r| r.linked)
            .map(|r| r.name.as_str())
            .collect();
        for d in crate::access::model_lints::star_refusals(
            &run.star_in_app,
            &run.app,
            app,
            &reduced_comps,
            &reductions,
        ) {
            refuse = true;
            diags.push(d);
        }
        for (ti, t) in run.app.tables.iter().enumerate() {
            for inc in &t.incomplete {
                if reduced_comps.contains(&app.component_of(ti)) {
                    refuse = true;
                    diags.push(not_evaluable(
                        t,
                        inc,
                        format!(
                            "app table `{}` is linked to a reduction field but incomplete",
                            t.name
                        ),
                        "R4",
                    ));
                }
            }
        }
    }
    if run.security.tables.is_empty() {
        if let Some((src, span)) = run.access_seen {
            // Not a script "without Section Access": what Qlik does with an access section that
            // leaves no table is not documented, so qsa does not guess.
            refuse = true;
            diags.push(
                Diagnostic::error(
                    codes::SA_NO_SECTION_ACCESS,
                    "the script enters Section Access but no security table is left at the end of the script: qsa does not guess whether that means no Section Access or a lock-out",
                )
                .at(src, span, "Section Access entered here")
                .with_rule("S2")
                .with_help("load the security table in Section Access (and do not drop it), or remove the `Section Access` statement"),
            );
        }
    }
    let (Some(app), Some(security), false) = (app, security, refuse) else {
        crate::diag::sort_diagnostics(&mut diags);
        return Err(diags);
    };
    if run.security.tables.is_empty() {
        diags.push(Diagnostic::info(
            codes::SA_NO_SECTION_ACCESS,
            "the script loads no Section Access: every user who can open the app sees all data",
        ));
    }
    diags.extend(security.lints(&run.security, &run.app, &app));
    diags.extend(crate::access::row_lints::lints(
        &security,
        &run.security,
        &app,
    ));
    diags.extend(crate::access::model_lints::lints(
        &security,
        run,
        &app,
        &app_fields,
        mode_valid,
    ));
    let mut p = Prepared {
        run,
        target,
        mode,
        security,
        app,
        diagnostics: diags,
        app_fields,
        quotient: OnceLock::new(),
        stats: Mutex::new(EvalStats::default()),
        factorize_from: FACTORIZE_FROM,
        progress: Default::default(),
    };
    if target == Target::ClientManaged && !run.security.tables.is_empty() {
        let d = p.reload_identity_lint();
        p.diagnostics.extend(d);
    }
    crate::diag::sort_diagnostics(&mut p.diagnostics);
    Ok(p)
}

/// The distinct items in order of first appearance, and the index of each in that list.
fn first_seen<'a, T: std::hash::Hash + Eq>(
    items: impl Iterator<Item = &'a T>,
) -> (Vec<&'a T>, HashMap<&'a T, usize>) {
    let mut index: HashMap<&T, usize> = HashMap::new();
    let mut list: Vec<&T> = vec![];
    for x in items {
        index.entry(x).or_insert_with(|| {
            list.push(x);
            list.len() - 1
        });
    }
    (list, index)
}

/// Applicable security rows per security table (`None` = all rows, a table no identity reaches).
type ProfileKey = Vec<Option<Vec<u32>>>;

fn compact(kept: Vec<Kept>) -> ProfileKey {
    kept.into_iter()
        .map(|k| match k {
            Kept::All => None,
            Kept::Rows(b) => Some(b.ones().map(|r| r as u32).collect()),
        })
        .collect()
}

/// From this many distinct selections on, users are evaluated on the factorized model (building it costs
/// one pass over the rows; message passing costs one pass per selection).
const FACTORIZE_FROM: usize = 8;

/// The phases of [`Prepared::evaluate`] as progress steps (applicable rows, grants, distinct selections,
/// factorize (when it runs), counts, per-user results).
pub const EVALUATE_STEPS: u64 = 6;

/// Which engine evaluated the selections.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum EnginePath {
    /// Nothing was evaluated.
    #[default]
    None,
    /// Two-pass message passing over the rows, once per selection.
    MessagePassing,
    /// The factorized model (`crate::model::factor`), many selections per pass; `classes` = its size.
    Factorized { classes: usize },
}

/// What the last evaluation did, for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct EvalStats {
    pub users: usize,
    /// Distinct sets of applicable security rows.
    pub profiles: usize,
    /// Distinct selections evaluated.
    pub selections: usize,
    pub path: EnginePath,
    /// Wall time of each phase (only for `--stats`: never part of an output).
    pub phases: Vec<(&'static str, std::time::Duration)>,
}

/// The counts of one selection, with kept-row bitsets when asked for detail.
type Evaluated = (Counted, Option<Vec<Kept>>);

enum Stage {
    /// Nothing left to evaluate (denied, no Section Access).
    Done(Profile),
    /// Access granted: the profile still needs the counts of these selections.
    Select(Profile, BTreeMap<usize, Bitset>),
}

struct Profile {
    access: Access,
    denied_reason: Option<String>,
    reduction: Arc<BTreeMap<String, Option<Vec<String>>>>,
    omitted: Vec<String>,
    tables: Arc<BTreeMap<String, TableCount>>,
    rules: BTreeSet<&'static str>,
    kept: Option<Vec<Kept>>,
    empty_app: bool,
}

impl<'a> Prepared<'a> {
    pub fn group_mode(&self) -> GroupMode {
        self.mode
    }

    /// U1: client-managed reloads run as `INTERNAL\SA_SCHEDULER`.
    fn reload_identity_lint(&self) -> Vec<Diagnostic> {
        let r = self.evaluate(&[User::new(RELOAD_IDENTITY)], false);
        let Some(r) = r.first() else { return vec![] };
        if r.access == Access::Denied {
            vec![Diagnostic::error(
                codes::SA_NO_RELOAD_IDENTITY,
                format!(
                    "no Section Access row applies to `{RELOAD_IDENTITY}` ({}): reload tasks on client-managed Qlik Sense will fail",
                    r.denied_reason.clone().unwrap_or_default()
                ),
            )
            .with_help(format!("add a row `ADMIN, {RELOAD_IDENTITY}` with blank reduction fields"))
            .with_rule("U1")]
        } else if r.access != Access::Admin || r.reduction.values().any(|v| v.is_some()) {
            vec![Diagnostic::warning(
                codes::SA_NO_RELOAD_IDENTITY,
                format!(
                    "`{RELOAD_IDENTITY}` is {} and reduced: reloads may not see all data",
                    r.access.as_str()
                ),
            )
            .with_rule("U1")]
        } else {
            vec![]
        }
    }

    /// U2: check a named reloading user; an error when the user is denied.
    pub fn check_reload_user(&self, user: &User) -> Option<Diagnostic> {
        let r = self.evaluate(std::slice::from_ref(user), false);
        let r = r.first()?;
        (r.access == Access::Denied).then(|| {
            Diagnostic::error(
                codes::USER_RELOAD_DENIED,
                format!(
                    "reloading user `{}` is not granted access ({}): a manual reload ends with \"Access was denied after reload\"",
                    r.id,
                    r.denied_reason.clone().unwrap_or_default()
                ),
            )
            .with_rule("U2")
        })
    }

    /// Every app table with 0 rows kept of its total (what a denied user keeps).
    fn zero_counts(&self) -> BTreeMap<String, TableCount> {
        let table = |t: &crate::model::Table| {
            let counts = TableCount {
                rows: 0,
                total_rows: t.row_count(),
            };
            (t.name.clone(), counts)
        };
        self.run.app.tables.iter().map(table).collect()
    }

    /// What a profile's applicable rows grant: a finished profile (denied, no Section Access) or the
    /// selections still to evaluate.
    fn grant_profile(&self, applicable: &[Kept], detail: bool) -> Stage {
        let run = self.run;
        let grant = self.security.grant(&run.security, applicable);
        let totals = self.zero_counts();
        let mut rules = BTreeSet::new();
        let denied = |reason: String, rules: BTreeSet<&'static str>| Profile {
            access: Access::Denied,
            denied_reason: Some(reason),
            reduction: Default::default(),
            omitted: vec![],
            tables: Arc::new(totals.clone()),
            rules,
            kept: None,
            empty_app: false,
        };
        if run.security.tables.is_empty() {
            // No Section Access: nothing is reduced.
            let tables = run
                .app
                .tables
                .iter()
                .map(|t| {
                    (
                        t.name.clone(),
                        TableCount {
                            rows: t.row_count(),
                            total_rows: t.row_count(),
                        },
                    )
                })
                .collect();
            return Stage::Done(Profile {
                access: Access::User,
                denied_reason: None,
                reduction: Default::default(),
                omitted: vec![],
                tables: Arc::new(tables),
                rules,
                kept: detail.then(|| vec![Kept::All; run.app.tables.len()]),
                empty_app: false,
            });
        }
        if !grant.listed {
            return Stage::Done(denied(
                "not listed: no Section Access row applies to this user".into(),
                rules,
            ));
        }
        if !grant.admin && !grant.user {
            return Stage::Done(denied(
                "no valid ACCESS value (ADMIN or USER) on the rows that apply".into(),
                rules,
            ));
        }
        let access = if grant.admin {
            Access::Admin
        } else {
            Access::User
        };
        if grant.admin && grant.user {
            rules.insert("L2");
        }
        let linked = grant.allowed.len();
        let mut selections = BTreeMap::new();
        let mut reduction = BTreeMap::new();
        for (name, allowed) in &grant.allowed {
            let Some(fid) = self.app.field_id(name) else {
                continue;
            };
            let field = &self.app.fields[fid];
            let mut b = Bitset::new(field.len());
            let mut vals: Vec<&Value> = vec![];
            for v in allowed {
                if let Some(s) = field.symbol(v) {
                    b.set(s as usize);
                    vals.push(&field.values[s as usize]);
                }
            }
            if vals.is_empty() {
                if linked > 1 {
                    rules.insert("R2");
                }
                if access == Access::User {
                    let why = if allowed.is_empty() {
                        format!("strict exclusion: no value allowed in `{name}` (blank cells grant nothing)")
                    } else {
                        format!("strict exclusion: none of the values allowed in `{name}` exists in the data")
                    };
                    return Stage::Done(denied(why, rules));
                }
                reduction.insert(name.clone(), None);
                continue;
            }
            vals.sort();
            reduction.insert(
                name.clone(),
                Some(
                    vals.iter()
                        .map(|v| v.text_or_empty().into_owned())
                        .collect(),
                ),
            );
            selections.insert(fid, b);
        }
        let omitted = grant
            .omit
            .iter()
            .filter(|f| self.app_fields.contains(*f))
            .cloned()
            .collect();
        Stage::Select(
            Profile {
                access,
                denied_reason: None,
                reduction: Arc::new(reduction),
                omitted,
                tables: Default::default(),
                rules,
                kept: None,
                empty_app: false,
            },
            selections,
        )
    }

    /// Complete a profile with the counts of its selections (R4, R6 and the rows kept per table).
    fn finish(&self, mut p: Profile, counts: &Counted, kept: Option<Vec<Kept>>) -> Profile {
        if counts.r4_dec {
            p.rules.insert("R4");
        }
        let mut any_reduced = false;
        let mut all_empty = true;
        for (t, k) in self.run.app.tables.iter().zip(&counts.kept) {
            let n = match k {
                Some(n) => {
                    any_reduced = true;
                    all_empty &= *n == 0;
                    *n
                }
                None => t.row_count(),
            };
            Arc::make_mut(&mut p.tables).insert(
                t.name.clone(),
                TableCount {
                    rows: n,
                    total_rows: t.row_count(),
                },
            );
        }
        p.empty_app = any_reduced && all_empty;
        if p.empty_app {
            p.rules.insert("R6");
        }
        p.kept = kept;
        p
    }

    /// Evaluate distinct selections: with `detail`, by message passing (kept-row bitsets); for many, on
    /// the factorized model when every reduction field allows it; otherwise by message passing.
    fn count(
        &self,
        sels: &[BTreeMap<usize, Bitset>],
        detail: bool,
    ) -> (Vec<Evaluated>, EnginePath) {
        let passing = |sels: &[BTreeMap<usize, Bitset>]| -> Vec<Evaluated> {
            sels.par_iter()
                .map(|sel| {
                    let ev = self.app.evaluate(sel);
                    let c = Counted {
                        kept: ev
                            .kept
                            .iter()
                            .zip(&self.app.tables)
                            .map(|(k, t)| match k {
                                Kept::All => None,
                                Kept::Rows(_) => Some(k.count(t.rows)),
                            })
                            .collect(),
                        propagated: ev.propagated,
                        r4_dec: ev.r4_dec,
                    };
                    (c, detail.then_some(ev.kept))
                })
                .collect()
        };
        if detail || sels.len() < self.factorize_from {
            return (passing(sels), EnginePath::MessagePassing);
        }
        match self.quotient_model() {
            Some(q) if sels.iter().all(|s| q.covers(s)) => {
                let refs: Vec<&BTreeMap<usize, Bitset>> = sels.iter().collect();
                let out = q.evaluate(&refs).into_iter().map(|c| (c, None)).collect();
                (out, EnginePath::Factorized { classes: q.size() })
            }
            _ => (passing(sels), EnginePath::MessagePassing),
        }
    }

    /// Report the phases of later evaluations to `progress` (one phase of [`EVALUATE_STEPS`] steps per
    /// [`Prepared::evaluate`]).
    pub fn set_progress(&mut self, progress: crate::progress::ProgressRef) {
        self.progress = progress;
    }

    /// Use the factorized model from `n` distinct selections on (default [`FACTORIZE_FROM`]; `0` = always
    /// where possible, `usize::MAX` = never). For tests and benchmarks comparing the two paths.
    pub fn factorize_from(&mut self, n: usize) {
        self.factorize_from = n;
    }

    /// The factorized app model for the linked reduction fields, built on first use.
    fn quotient_model(&self) -> &Option<Factorized> {
        self.quotient.get_or_init(|| {
            let fields: Vec<usize> = self
                .security
                .reductions
                .iter()
                .filter(|r| r.linked)
                .filter_map(|r| self.app.field_id(&r.name))
                .collect();
            Factorized::build(&self.app, &fields)
        })
    }

    /// How the last [`Prepared::evaluate`] ran.
    pub fn stats(&self) -> EvalStats {
        self.stats.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn applied_rows(&self, applicable: &[Kept]) -> Vec<AppliedRow> {
        let mut out = vec![];
        for (t, k) in self.run.security.tables.iter().zip(applicable) {
            for r in 0..t.row_count() {
                if k.contains(r) {
                    out.push(applied::row_of(t, r));
                }
            }
        }
        out
    }

    fn expand(&self, key: &ProfileKey) -> Vec<Kept> {
        key.iter()
            .zip(&self.run.security.tables)
            .map(|(k, t)| match k {
                None => Kept::All,
                Some(rows) => {
                    let mut b = Bitset::new(t.row_count());
                    for &r in rows {
                        b.set(r as usize);
                    }
                    Kept::Rows(b)
                }
            })
            .collect()
    }

    /// Evaluate users. With `detail`, results carry the applied security rows and kept-row bitsets (use for
    /// a few users only: bitsets are per table). Results are in input order.
    pub fn evaluate(&self, users: &[User], detail: bool) -> Vec<UserResult> {
        let sec = &self.security;
        let clock = std::time::Instant::now();
        let mut phases = vec![];
        let progress = self.progress.get();
        progress.start(&format!("evaluating {} users", users.len()), EVALUATE_STEPS);
        let mut lap = |name: &'static str| {
            phases.push((name, clock.elapsed()));
            progress.inc(1);
        };
        // Applicable rows as compact row lists (one user usually matches a few rows of a security table
        // that may have one row per user): the profile key.
        // Users who match the same identity symbols share their applicable rows.
        let (key_of, per_key) = self.applicable_by_key(users);
        let applicable: Vec<Option<&ProfileKey>> = key_of
            .iter()
            .map(|k| k.and_then(|i| per_key.get(i)))
            .collect();
        let (distinct, profiles) = first_seen(applicable.iter().flatten().copied());
        lap("applicable rows");
        let stages: Vec<Stage> = distinct
            .par_iter()
            .map(|a| self.grant_profile(&self.expand(a), detail))
            .collect();
        lap("grants");
        // Profiles that produce the same selections share one evaluation.
        let mut sels: Vec<BTreeMap<usize, Bitset>> = vec![];
        let mut sel_index: HashMap<BTreeMap<usize, Bitset>, usize> = HashMap::new();
        let staged: Vec<(Profile, Option<usize>)> = stages
            .into_iter()
            .map(|st| match st {
                Stage::Done(p) => (p, None),
                Stage::Select(p, sel) => {
                    let next = sels.len();
                    let i = *sel_index.entry(sel.clone()).or_insert_with(|| {
                        sels.push(sel);
                        next
                    });
                    (p, Some(i))
                }
            })
            .collect();
        lap("distinct selections");
        if !detail && sels.len() >= self.factorize_from {
            let _ = self.quotient_model();
            lap("factorize");
        }
        let (counted, path) = self.count(&sels, detail);
        lap("counts");
        let results: Vec<Profile> = staged
            .into_iter()
            .map(|(p, i)| match i.and_then(|i| counted.get(i)) {
                Some((c, kept)) => self.finish(p, c, kept.clone()),
                None => p,
            })
            .collect();
        let stats = EvalStats {
            users: users.len(),
            profiles: distinct.len(),
            selections: sels.len(),
            path,
            phases: vec![],
        };
        let totals = self.zero_counts();
        let out: Vec<UserResult> = users
            .par_iter()
            .zip(applicable.par_iter())
            .map(|(u, a)| {
                let base = UserResult {
                    id: u.report_id(),
                    email: u.email.clone(),
                    name: u.name.clone(),
                    access: Access::Denied,
                    denied_reason: None,
                    reduction: Default::default(),
                    omitted_fields: vec![],
                    tables: Default::default(),
                    rules: vec![],
                    applied: vec![],
                    kept: None,
                    diagnostics: vec![],
                };
                let Some(a) = a else {
                    return UserResult {
                        denied_reason: Some("status".into()),
                        tables: Arc::new(totals.clone()),
                        ..base
                    };
                };
                let p = &results[profiles[a]];
                let mut rules = p.rules.clone();
                let mut diagnostics = vec![];
                if sec.depends_on_blank_identity(u) {
                    rules.insert("I2");
                }
                if sec.depends_on_missing_value(u) {
                    rules.insert("I4");
                }
                if sec.depends_on_group_mode(u) {
                    rules.insert("S7");
                }
                for (upper, gs) in u.group_collisions(self.target, self.mode) {
                    let names: Vec<String> = gs
                        .iter()
                        .map(|g| {
                            format!(
                                "`{}` ({})",
                                g.name,
                                match g.provider {
                                    crate::access::directory::Provider::Idp => "IdP",
                                    crate::access::directory::Provider::Custom => "custom",
                                }
                            )
                        })
                        .collect();
                    diagnostics.push(
                        Diagnostic::warning(
                            codes::USER_GROUP_COLLISION,
                            format!(
                                "user `{}` holds groups {} that Section Access cannot tell apart (both are GROUP `{upper}`)",
                                u.report_id(),
                                names.join(" and ")
                            ),
                        )
                        .with_help(if gs.iter().any(|g| g.provider != gs[0].provider) {
                            "rename one of the groups, or choose the provider Section Access compares with QlikCloudGroupMode (0 IdP, 1 custom)"
                        } else {
                            "rename one of the groups so that the names differ after upper-casing"
                        })
                        .with_rule("I6"),
                    );
                    if sec.group_values.contains(&upper) {
                        rules.insert("I6");
                    }
                }
                if p.empty_app {
                    diagnostics.push(
                        Diagnostic::warning(
                            codes::USER_EMPTY_APP,
                            format!("user `{}` is granted access but keeps no row in any reduced table: the app opens empty", u.report_id()),
                        )
                        .with_help("grant a combination of values that occurs in the data, or remove the user's rows")
                        .with_rule("R6"),
                    );
                }
                UserResult {
                    access: p.access,
                    denied_reason: p.denied_reason.clone(),
                    reduction: p.reduction.clone(),
                    omitted_fields: p.omitted.clone(),
                    tables: p.tables.clone(),
                    rules: rules.into_iter().collect(),
                    applied: if detail {
                        self.applied_rows(&self.expand(a))
                    } else {
                        vec![]
                    },
                    kept: p.kept.clone(),
                    diagnostics,
                    ..base
                }
            })
            .collect();
        lap("per-user results");
        progress.finish();
        if let Ok(mut st) = self.stats.lock() {
            *st = EvalStats { phases, ..stats };
        }
        out
    }

    /// I6 / tenant-model §6: GROUP values of the security tables that no directory user holds (under the
    /// target and mode) and that the groups export does not know: a typo, a group id instead of its
    /// name, or a group nobody has logged in with yet (info, one per value).
    pub fn unknown_groups(
        &self,
        users: &[User],
        catalog_upper: &BTreeSet<String>,
    ) -> Vec<Diagnostic> {
        if users.is_empty() {
            return vec![];
        }
        // A group's value does not depend on who holds it: upper-case each distinct group once.
        let mut all = User::new("");
        all.groups = users
            .iter()
            .flat_map(|u| u.groups.iter())
            .collect::<std::collections::HashSet<_>>()
            .into_iter()
            .cloned()
            .collect();
        let held: BTreeSet<String> = all
            .group_values(self.target, self.mode)
            .into_iter()
            .collect();
        let rows = self.group_rows();
        self.security
            .group_values
            .iter()
            .filter(|g| !held.contains(*g) && !catalog_upper.contains(*g))
            .map(|g| {
                let d = Diagnostic::info(
                    codes::SA_GROUP_UNKNOWN,
                    format!("GROUP `{g}` matches no group held by a directory user (group mode {}): its rows apply to nobody here", self.mode.number()),
                )
                .with_help("check the spelling, that the group name (not its id) is used, and QlikCloudGroupMode")
                .with_rule("I6");
                match rows.get(g.as_str()) {
                    Some(&(source, span)) => d.at(source, span, "the first row naming it"),
                    None => d,
                }
            })
            .collect()
    }

    /// Where the first security row holding each GROUP value (upper-cased) comes from: one pass.
    fn group_rows(
        &self,
    ) -> std::collections::HashMap<String, (crate::diag::SourceId, crate::diag::Span)> {
        let mut at = std::collections::HashMap::new();
        for t in &self.run.security.tables {
            let Some(c) = t.field_index(crate::access::model::GROUP) else {
                continue;
            };
            for r in 0..t.row_count() {
                if let Some(x) = t.cell(c, r).text() {
                    if let (std::collections::hash_map::Entry::Vacant(e), Some(o)) = (
                        at.entry(x.to_uppercase()),
                        crate::access::model::row_origin(t, r),
                    ) {
                        e.insert(o);
                    }
                }
            }
        }
        at
    }

    /// The users to evaluate when no directory is given: identities listed in the security tables.
    pub fn listed_users(&self) -> Vec<User> {
        self.security.listed_users(&self.run.security)
    }

    /// The app data model.
    pub fn app_model(&self) -> &DataModel {
        &self.run.app
    }

    /// Every app field name.
    pub fn app_fields(&self) -> &BTreeSet<String> {
        &self.app_fields
    }
}

/// Where a security row comes from, as `file:line` text (for preview).
pub fn origin_text(run: &RunResult, origin: Option<&RowOrigin>) -> String {
    match origin {
        Some(RowOrigin::Script { source, span }) | Some(RowOrigin::Load { source, span }) => {
            let (s, sp) = run.sources.origin(*source, *span);
            match run.sources.get(s) {
                Some(f) => {
                    let (l, c) = f.line_col(sp.start);
                    format!("{}:{l}:{c}", f.name)
                }
                None => String::new(),
            }
        }
        Some(RowOrigin::File { path, row }) => format!("{path} record {row}"),
        None => String::new(),
    }
}
