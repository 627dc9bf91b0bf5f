//! `qsa explain`: the chain of reasons behind one user's result, for one app row or one field value.
//!
//! Every verdict here is the engine's: the security rows that apply, the selections and the kept rows are
//! the [`UserResult`] of [`Prepared::evaluate`] with `detail = true`, and what the applied rows grant is
//! [`crate::access::model::SecurityModel::grant`] of those rows. This module only says *why*:
//! for a row, which of its own cells fail a selection, and for each link (R4), the key value, whether the
//! far side constrains the row, and which of the far side's kept rows hold the value (or why the ones that
//! hold it were dropped, a few hops deep).
//!
//! The reasons are checked against the verdicts: a row's reasons must give back the engine's
//! KEPT/DROPPED (own cells all in the selections, and no constraining link whose far side keeps no row
//! with the row's key); for security rows, own cells are the identity cells against the user's values
//! ([`crate::access::model::SecurityModel::identity_key`]), checked for every security row. A disagreement is an error ([`ExplainError::Inconsistent`]): qsa refuses rather
//! than print an explanation of a verdict it did not reach.
//!
//! # Rows
//! `--table T --row N`: N is the 1-based position of the row in app table `T` as the script leaves it
//! (load order after every join and concatenation): the order `qsa preview` lists and `--export` writes.
//! Each row is shown with where it came from (`file:line:col` of an INLINE line or the LOAD statement, or
//! the record of a data file).

//!
//! # Files
//! - [`rows`]: the reasons of one row of a model (app or security) as the engine evaluated it: own cells
//!   against the selections, and each link (R4, A3), a few hops deep.
//! - [`security`]: step 1 (who the user is) and step 2 (the security rows, I1–I6, S7).
//! - [`grant`]: steps 3 and 4 (access level L1–L3, selections R1–R3, OMIT O1).
//! - [`answer`]: step 5 (the row or the value) and checking what the question names.
//! - [`tenant`]: step 0 with `--tenant` (tenant.md): can the user open the app, and why.

mod answer;
mod grant;
mod rows;
mod security;
pub mod tenant;

pub use answer::headline;

use super::{Access, Prepared, UserResult};
use crate::access::directory::User;
use serde::Serialize;

/// How many hops a dropped row's reason is followed through links.
const MAX_DEPTH: usize = 3;
/// How many dropped rows of a neighbouring table are explained per link.
const SAMPLES: usize = 3;
/// How many security rows that did not apply but name the user are listed.
const NEAR_LIMIT: usize = 50;

/// What to explain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Question {
    /// An app table's row, 1-based in load order.
    Row { table: String, row: usize },
    /// A field value: is it visible to the user?
    Value { field: String, value: String },
}

/// Why the question cannot be answered (exit 2).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExplainError {
    UnknownTable {
        name: String,
        tables: Vec<String>,
        near: Vec<String>,
        /// The name is a security table's.
        security: bool,
    },
    UnknownField {
        name: String,
        fields: Vec<String>,
        near: Vec<String>,
    },
    RowOutOfRange {
        table: String,
        row: usize,
        rows: usize,
    },
    UnknownValue {
        field: String,
        value: String,
        near: Vec<String>,
    },
    /// The reasons do not give back the engine's verdict: refuse rather than explain wrongly.
    Inconsistent(String),
}

fn names(list: &[String]) -> String {
    const SHOWN: usize = 20;
    let mut s: Vec<String> = list.iter().take(SHOWN).map(|n| format!("`{n}`")).collect();
    if list.len() > SHOWN {
        s.push(format!("… ({} in all)", list.len()));
    }
    if s.is_empty() {
        "none".into()
    } else {
        s.join(", ")
    }
}

/// A value in a sentence: in backquotes, or `an empty text`.
pub(super) fn quoted(v: &str) -> String {
    if v.is_empty() {
        "an empty text".into()
    } else {
        format!("`{v}`")
    }
}

/// A list of values for a sentence: the first few, then how many more.
pub(super) fn some_of(values: &[String]) -> String {
    const SHOWN: usize = 10;
    let mut s: Vec<String> = values.iter().take(SHOWN).cloned().collect();
    if values.len() > SHOWN {
        s.push(format!("… {} more", values.len() - SHOWN));
    }
    s.join(", ")
}

pub(super) fn did_you_mean(near: &[String]) -> String {
    if near.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", names(near))
    }
}

impl std::fmt::Display for ExplainError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExplainError::UnknownTable {
                name,
                tables,
                near,
                security,
            } => {
                if *security {
                    write!(f, "`{name}` is a Section Access table, not an app table (its rows are step 2 of every explanation); app tables: {}", names(tables))
                } else {
                    write!(
                        f,
                        "no app table `{name}` (names are case-sensitive){}; app tables: {}",
                        did_you_mean(near),
                        names(tables)
                    )
                }
            }
            ExplainError::UnknownField { name, fields, near } => write!(
                f,
                "no app field `{name}` (names are case-sensitive){}; app fields: {}",
                did_you_mean(near),
                names(fields)
            ),
            ExplainError::RowOutOfRange { table, row, rows } => write!(
                f,
                "`{table}` has {rows} row(s): --row is 1-based, from 1 to {rows}, got {row}"
            ),
            ExplainError::UnknownValue { field, value, near } => write!(
                f,
                "no row of the app holds `{value}` in `{field}` (values are compared as exact text){}",
                did_you_mean(near)
            ),
            ExplainError::Inconsistent(what) => write!(
                f,
                "qsa cannot explain this verdict ({what}); refusing to print an explanation that does not match the result"
            ),
        }
    }
}

/// One cell, as text (NULL as empty).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Cell {
    pub field: String,
    pub value: String,
}

/// One test a row's own cell passes or fails: an identity cell against the user (I1–I6), or a reduction
/// field's cell against the selection (R1, R3).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Check {
    pub field: String,
    /// `None`: NULL.
    pub value: Option<String>,
    pub ok: bool,
    pub why: String,
    pub rules: Vec<&'static str>,
}

/// A row of another table, by its 1-based number and origin.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowRef {
    pub table: String,
    pub row: usize,
    pub at: String,
}

/// Why a row is kept or dropped (an app row) / applies or not (a security row).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowWhy {
    pub table: String,
    /// 1-based.
    pub row: usize,
    pub at: String,
    /// The engine's verdict.
    pub kept: bool,
    /// Cells of fields with a selection (reduction fields for app rows, identity fields for security rows).
    pub checks: Vec<Check>,
    /// Every link of the row's table (R4, A3), with the row's key value.
    pub links: Vec<LinkWhy>,
}

impl RowWhy {
    /// The first reason the row is dropped: a failing own cell, else a blocking link.
    pub fn first_failure(&self) -> Option<Failure<'_>> {
        if let Some(c) = self.checks.iter().find(|c| !c.ok) {
            return Some(Failure::Own(c));
        }
        self.links.iter().find_map(|l| {
            l.neighbours
                .iter()
                .find(|n| n.blocks)
                .map(|n| Failure::Link(l, n))
        })
    }
}

/// See [`RowWhy::first_failure`].
pub enum Failure<'a> {
    Own(&'a Check),
    Link(&'a LinkWhy, &'a Neighbour),
}

/// A link of a row's table: the key field(s) and the row's value there.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct LinkWhy {
    pub fields: Vec<String>,
    /// The row's key as text (`(a, b)` for a field combination); `None`: NULL (or partly NULL).
    pub value: Option<String>,
    pub neighbours: Vec<Neighbour>,
}

/// The far side of a link, seen from one row.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Neighbour {
    pub table: String,
    /// The far side holds a selection (other than on the link field itself), so the row needs a kept row
    /// there with its key (R4).
    pub constrains: bool,
    /// Where that selection is, as `FIELD in TABLE` (the nearest one).
    pub selection_in: Option<String>,
    /// Rows of the neighbour holding the row's key, and how many of them are kept.
    pub rows_with_value: usize,
    pub kept_with_value: usize,
    pub kept_example: Option<RowRef>,
    /// Why (some of) the neighbour's rows with the key were dropped, when that is what drops this row.
    pub dropped: Vec<RowWhy>,
    pub dropped_not_shown: usize,
    /// This link drops the row: it constrains, and no kept neighbour row has the key (or the key is NULL).
    pub blocks: bool,
}

/// One identity field compared for the user.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Compared {
    pub field: &'static str,
    /// The user's values, upper-cased (I3); empty: only `*` matches (I4).
    pub values: Vec<String>,
    pub note: String,
    pub rules: Vec<&'static str>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct HeldGroup {
    pub name: String,
    pub provider: &'static str,
    /// Counted as a GROUP value under the target and group mode (S7, I6).
    pub counts: bool,
}

/// Step 1: who the user is.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Who {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub status: String,
    pub target: &'static str,
    pub group_mode: u8,
    /// The script sets `QlikCloudGroupMode` (else mode 0, the default).
    pub group_mode_set: bool,
    pub compared: Vec<Compared>,
    pub groups: Vec<HeldGroup>,
    /// I6: groups that count and collide after upper-casing (one GROUP value for several groups).
    pub collisions: Vec<String>,
}

/// A security row, with why it applied or not.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SecRow {
    pub table: String,
    /// 1-based.
    pub row: usize,
    pub at: String,
    /// The engine's verdict: the row applies to the user (I1, A3).
    pub applied: bool,
    pub cells: Vec<Cell>,
    /// The row's identity cells against the user (I1–I6).
    pub checks: Vec<Check>,
    /// Links to other security tables (A3).
    pub links: Vec<LinkWhy>,
    /// What the row grants or fails to grant (an invalid ACCESS value, L1).
    pub notes: Vec<String>,
}

/// Security rows that neither applied nor were listed, by reason.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OtherRows {
    pub reason: String,
    pub rows: usize,
}

/// Step 2: the security rows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SecurityStep {
    pub tables: Vec<String>,
    pub rows: usize,
    /// Why no row was looked at (the user's status), if so.
    pub skipped: Option<String>,
    pub applied: Vec<SecRow>,
    /// Rows that did not apply but name the user (subject, e-mail, a group in any case or provider), or
    /// fail only on a blank cell or by association.
    pub near: Vec<SecRow>,
    pub others: Vec<OtherRows>,
}

/// Step 3: the access level.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AccessStep {
    pub access: Access,
    /// One line: the level and the reason (the engine's reason for a DENIED user).
    pub headline: String,
    pub rules: Vec<&'static str>,
    pub detail: Vec<String>,
}

/// One applied row's cell in a reduction field or OMIT, and the values it gives.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Contribution {
    pub table: String,
    pub row: usize,
    pub at: String,
    pub cell: String,
    pub gives: Vec<String>,
    pub rule: &'static str,
}

/// Step 4: one reduction field.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct FieldStep {
    pub field: String,
    /// A2: an app field of exactly this name exists.
    pub linked: bool,
    pub from: Vec<Contribution>,
    /// R1: the union of the applied rows' values.
    pub allowed: Vec<String>,
    /// R2: allowed values that are not in the app field (exact text).
    pub not_in_data: Vec<String>,
    /// The engine's selection (`None`: not reduced, or no selection because the user is denied).
    pub selection: Option<Vec<String>>,
    /// `reduced`, `not reduced`, `denied`, `unlinked`.
    pub status: &'static str,
    pub note: String,
    pub rules: Vec<&'static str>,
}

/// R3: the listed combinations of several reduction fields vs what the selections grant.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CrossProduct {
    pub fields: Vec<String>,
    pub listed: Vec<Vec<String>>,
    pub granted: usize,
}

/// Step 4: OMIT.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OmitStep {
    pub from: Vec<Contribution>,
    /// The engine's omitted fields.
    pub omitted: Vec<String>,
    /// OMIT values that name no app field (O1: they omit nothing).
    pub no_such_field: Vec<String>,
}

/// Step 5 for `--table T --row N`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RowAnswer {
    pub table: String,
    pub row: usize,
    pub rows: usize,
    pub at: String,
    pub cells: Vec<Cell>,
    /// `KEPT` or `DROPPED`.
    pub verdict: &'static str,
    pub headline: String,
    pub rules: Vec<&'static str>,
    /// `None` when nothing is reduced here or the user is denied.
    pub why: Option<RowWhy>,
    /// Fields of this table omitted for the user (O1).
    pub omitted: Vec<String>,
}

/// One table holding the asked field.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ValueTable {
    pub table: String,
    pub rows_with_value: usize,
    pub kept_with_value: usize,
    pub kept_example: Option<RowRef>,
    pub dropped: Vec<RowWhy>,
    pub dropped_not_shown: usize,
}

/// Step 5 for `--value FIELD=VALUE`.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ValueAnswer {
    pub field: String,
    pub value: String,
    pub visible: bool,
    pub headline: String,
    pub rules: Vec<&'static str>,
    pub omitted: bool,
    /// The engine's selection in the field, when it is a reduction field that reduces.
    pub selection: Option<Vec<String>>,
    pub tables: Vec<ValueTable>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Answer {
    Row(RowAnswer),
    Value(ValueAnswer),
}

/// The whole chain of reasons.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Explanation {
    pub who: Who,
    pub security: SecurityStep,
    pub access: AccessStep,
    pub selections: Vec<FieldStep>,
    pub cross_product: Option<CrossProduct>,
    pub omit: OmitStep,
    pub answer: Answer,
    /// The \[dec\] rules the user's result depends on (the engine's list).
    pub dec_rules: Vec<&'static str>,
}

pub(super) fn inconsistent(what: String) -> ExplainError {
    ExplainError::Inconsistent(what)
}

/// Explain the user's result for the question. `result` must be this user's result of
/// `p.evaluate(&[user], true)`.
pub fn explain(
    p: &Prepared,
    user: &User,
    result: &UserResult,
    q: &Question,
) -> Result<Explanation, ExplainError> {
    let resolved = answer::resolve(p, q)?;
    let (security, applicable) = security::security_step(p, user, result)?;
    let (access, selections, cross_product, omit) =
        grant::grant_steps(p, user, result, applicable.as_deref(), security.near.len())?;
    let answer = match resolved {
        answer::Resolved::Row(t, r) => {
            Answer::Row(answer::row_answer(p, result, &access.rules, t, r)?)
        }
        answer::Resolved::Value(f, v) => {
            Answer::Value(answer::value_answer(p, result, &access.rules, &f, &v)?)
        }
    };
    Ok(Explanation {
        who: security::who(p, user),
        security,
        access,
        selections,
        cross_product,
        omit,
        answer,
        dec_rules: result.rules.clone(),
    })
}
