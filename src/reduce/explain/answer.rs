//! Step 5: the asked row (KEPT or DROPPED, and through which link) or value (visible or not, and why),
//! and checking that the question names an app table, row, field and value.

use super::rows::{cells_of, row_at, text_at, Side};
use super::{
    inconsistent, quoted, some_of, Check, ExplainError, Failure, Question, RowAnswer, RowWhy,
    ValueAnswer, ValueTable, SAMPLES,
};
use crate::access::model::near_misses;
use crate::model::engine::Kept;
use crate::reduce::{Access, Prepared, UserResult};
use std::collections::{BTreeMap, BTreeSet};

/// What the question names, checked against the app (exit 2 when it names nothing).
pub(super) enum Resolved {
    Row(usize, usize),
    Value(String, String),
}

pub(super) fn resolve(p: &Prepared, q: &Question) -> Result<Resolved, ExplainError> {
    let run = p.run;
    let app = &run.app;
    match q {
        Question::Row { table, row } => {
            let Some(t) = app.tables.iter().position(|t| &t.name == table) else {
                let tables: Vec<String> = app.tables.iter().map(|t| t.name.clone()).collect();
                let set: BTreeSet<String> = tables.iter().cloned().collect();
                return Err(ExplainError::UnknownTable {
                    name: table.clone(),
                    near: near_misses(table, &set),
                    tables,
                    security: run.security.table(table).is_some(),
                });
            };
            let rows = app.tables[t].row_count();
            if *row == 0 || *row > rows {
                return Err(ExplainError::RowOutOfRange {
                    table: table.clone(),
                    row: *row,
                    rows,
                });
            }
            Ok(Resolved::Row(t, row - 1))
        }
        Question::Value { field, value } => {
            let holders: Vec<&crate::model::Table> = app
                .tables
                .iter()
                .filter(|t| t.field_index(field).is_some())
                .collect();
            if holders.is_empty() {
                let fields = p.app_fields();
                return Err(ExplainError::UnknownField {
                    name: field.clone(),
                    near: near_misses(field, fields),
                    fields: fields.iter().cloned().collect(),
                });
            }
            let mut texts: BTreeSet<String> = BTreeSet::new();
            for t in &holders {
                if let Some(c) = t.column(field) {
                    for v in c.used_values() {
                        if let Some(s) = v.text() {
                            texts.insert(s.into_owned());
                        }
                    }
                }
            }
            if !texts.contains(value) {
                // Edit distances over a huge field would be slow: letter case only beyond 10k values.
                let near = if texts.len() <= 10_000 {
                    near_misses(value, &texts)
                } else {
                    let up = value.to_uppercase();
                    texts
                        .iter()
                        .filter(|t| t.to_uppercase() == up)
                        .cloned()
                        .collect()
                };
                return Err(ExplainError::UnknownValue {
                    field: field.clone(),
                    value: value.clone(),
                    near,
                });
            }
            Ok(Resolved::Value(field.clone(), value.clone()))
        }
    }
}

/// The app side of a user who was granted access: the engine's kept rows, and the cells checked against
/// the engine's selections.
fn app_side<'a>(
    p: &'a Prepared,
    result: &'a UserResult,
) -> Result<Side<'a, impl Fn(usize, usize, usize) -> Check + 'a>, ExplainError> {
    let kept = result
        .kept
        .as_deref()
        .ok_or_else(|| inconsistent("the evaluation kept no row detail".into()))?;
    let selected = result
        .reduction
        .iter()
        .filter(|(_, v)| v.is_some())
        .filter_map(|(f, _)| p.app.field_id(f))
        .collect();
    let sels = Selections::of(result);
    let check = move |t: usize, ci: usize, r: usize| sels.check(p, t, ci, r);
    Ok(Side::new(p.run, &p.run.app, &p.app, kept, selected, check))
}

/// The engine's selections as texts, per reduction field: (values, as shown).
struct Selections(BTreeMap<String, (BTreeSet<String>, String)>);

impl Selections {
    fn of(result: &UserResult) -> Self {
        Selections(
            result
                .reduction
                .iter()
                .filter_map(|(f, v)| {
                    let v = v.as_ref()?;
                    Some((f.clone(), (v.iter().cloned().collect(), some_of(v))))
                })
                .collect(),
        )
    }

    /// The check of an app cell against the selection of its field (R1, R3).
    fn check(&self, p: &Prepared, t: usize, ci: usize, r: usize) -> Check {
        let field = p.app.fields[p.app.tables[t].fields[ci]].name.clone();
        let value = text_at(&p.run.app, t, ci, r);
        let (ok, shown) = match self.0.get(&field) {
            Some((set, shown)) => (
                value.as_ref().map(|v| set.contains(v)).unwrap_or(false),
                shown.as_str(),
            ),
            None => (true, ""),
        };
        let why = match (&value, ok) {
            (None, _) => format!("`{field}` is NULL, and NULL never matches a selection"),
            (Some(v), true) => format!("{} is in the selection of `{field}`", quoted(v)),
            (Some(v), false) => format!(
                "{} is not in the selection of `{field}` ({shown})",
                quoted(v)
            ),
        };
        Check {
            field,
            value,
            ok,
            why,
            rules: vec!["R1", "R3"],
        }
    }
}

/// One line for a row's verdict.
pub fn headline(w: &RowWhy) -> String {
    match w.first_failure() {
        None if w.kept => {
            let own = w.checks.iter().filter(|c| c.ok).count();
            let via = w
                .links
                .iter()
                .filter(|l| l.neighbours.iter().any(|n| n.constrains))
                .count();
            match (own, via) {
                (0, 0) => "KEPT: no selection applies to it or through its links".into(),
                (_, 0) => "KEPT: its own values are in the selections, and no link constrains it".into(),
                (0, _) => "KEPT: every link that constrains it reaches a kept row with its key".into(),
                _ => "KEPT: its own values are in the selections, and every link that constrains it reaches a kept row with its key".into(),
            }
        }
        None => "DROPPED".into(),
        Some(Failure::Own(c)) => format!("DROPPED by its own value: {}", c.why),
        Some(Failure::Link(l, n)) => {
            let f = l.fields.join("+");
            match &l.value {
                None => format!("DROPPED: its `{f}` is NULL, and a NULL link value matches nothing on the `{}` side, which constrains it", n.table),
                Some(v) if n.rows_with_value == 0 => format!("DROPPED through `{f}` = `{v}`: no row of `{}` holds that value (an orphan key), and that side constrains it", n.table),
                Some(v) => format!("DROPPED through `{f}` = `{v}`: `{}` keeps none of its {} row(s) with that value", n.table, n.rows_with_value),
            }
        }
    }
}

pub(super) fn row_answer(
    p: &Prepared,
    result: &UserResult,
    denied_rules: &[&'static str],
    t: usize,
    r: usize,
) -> Result<RowAnswer, ExplainError> {
    let run = p.run;
    let tab = &run.app.tables[t];
    let mut ans = RowAnswer {
        table: tab.name.clone(),
        row: r + 1,
        rows: tab.row_count(),
        at: row_at(run, &run.app, t, r),
        cells: cells_of(&run.app, t, r),
        verdict: "DROPPED",
        headline: String::new(),
        rules: vec![],
        why: None,
        omitted: tab
            .fields
            .iter()
            .filter(|f| result.omitted_fields.contains(f))
            .cloned()
            .collect(),
    };
    if result.access == Access::Denied {
        ans.headline = format!(
            "DROPPED: the user is denied ({}), so no row of any table is visible",
            result.denied_reason.clone().unwrap_or_default()
        );
        ans.rules = denied_rules.to_vec();
        return Ok(ans);
    }
    let side = app_side(p, result)?;
    let engine_kept = side.verdict(t, r)?;
    ans.verdict = if engine_kept { "KEPT" } else { "DROPPED" };
    if matches!(side.table_kept(t), Some(Kept::All)) {
        ans.headline = if run.security.tables.is_empty() {
            "KEPT: the script loads no Section Access, so nothing is reduced".into()
        } else {
            format!("KEPT: `{}` is not reduced for this user: no selection lies in it or in the tables associated with it", tab.name)
        };
        ans.rules = vec!["R4"];
        return Ok(ans);
    }
    let why = side.row_why(t, r, None, 0);
    ans.headline = headline(&why);
    ans.rules = match why.first_failure() {
        Some(Failure::Own(_)) => vec!["R1", "R3"],
        _ => vec!["R4"],
    };
    ans.why = Some(why);
    Ok(ans)
}

pub(super) fn value_answer(
    p: &Prepared,
    result: &UserResult,
    denied_rules: &[&'static str],
    field: &str,
    value: &str,
) -> Result<ValueAnswer, ExplainError> {
    let run = p.run;
    let mut ans = ValueAnswer {
        field: field.to_string(),
        value: value.to_string(),
        visible: false,
        headline: String::new(),
        rules: vec![],
        omitted: result.omitted_fields.iter().any(|f| f == field),
        selection: result.reduction.get(field).cloned().flatten(),
        tables: vec![],
    };
    if result.access == Access::Denied {
        ans.headline = format!(
            "NOT VISIBLE: the user is denied ({})",
            result.denied_reason.clone().unwrap_or_default()
        );
        ans.rules = denied_rules.to_vec();
        return Ok(ans);
    }
    let side = app_side(p, result)?;
    for (t, tab) in run.app.tables.iter().enumerate() {
        let Some(ci) = tab.field_index(field) else {
            continue;
        };
        let mut vt = ValueTable {
            table: tab.name.clone(),
            rows_with_value: 0,
            kept_with_value: 0,
            kept_example: None,
            dropped: vec![],
            dropped_not_shown: 0,
        };
        let mut dropped = vec![];
        for r in 0..tab.row_count() {
            if text_at(&run.app, t, ci, r).as_deref() != Some(value) {
                continue;
            }
            vt.rows_with_value += 1;
            if side.verdict(t, r)? {
                vt.kept_with_value += 1;
                if vt.kept_example.is_none() {
                    vt.kept_example = Some(side.row_ref(t, r));
                }
            } else {
                dropped.push(r);
            }
        }
        vt.dropped = dropped
            .iter()
            .take(SAMPLES)
            .map(|&r| side.row_why(t, r, None, 0))
            .collect();
        vt.dropped_not_shown = dropped.len() - vt.dropped.len();
        ans.tables.push(vt);
    }
    let kept_somewhere = ans.tables.iter().find(|t| t.kept_with_value > 0);
    ans.visible = kept_somewhere.is_some() && !ans.omitted;
    (ans.headline, ans.rules) = if ans.omitted {
        (
            format!(
                "NOT VISIBLE: `{field}` is omitted for this user, so none of its values is shown"
            ),
            vec!["O1"],
        )
    } else if let Some(t) = kept_somewhere {
        (
            format!(
                "VISIBLE: `{}` keeps {} of its {} row(s) with `{field}` = `{value}`",
                t.table, t.kept_with_value, t.rows_with_value
            ),
            vec!["R4"],
        )
    } else if let Some(sel) = ans
        .selection
        .as_ref()
        .filter(|s| !s.iter().any(|v| v == value))
    {
        (
            format!(
                "NOT VISIBLE: {} is not in the selection of `{field}` ({})",
                quoted(value),
                some_of(sel)
            ),
            vec!["R1", "R2"],
        )
    } else {
        let first = ans.tables.iter().flat_map(|t| t.dropped.first()).next();
        (
            format!(
                "NOT VISIBLE: no row holding `{field}` = `{value}` is kept{}",
                first
                    .map(|w| format!(" ({} row {}: {})", w.table, w.row, headline(w)))
                    .unwrap_or_default()
            ),
            vec!["R4"],
        )
    };
    Ok(ans)
}
