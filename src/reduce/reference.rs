//! A deliberately simple reference evaluator, written the obvious way with polars' eager API: one DataFrame
//! per table; per user, keep the rows holding the user's identity, read the grant, keep the rows holding
//! allowed values, and propagate with semi-joins until nothing changes. Every filter is a semi-join (keeping
//! the rows that hold one of some values is a semi-join with a one-column table of those values). It
//! evaluates every user from scratch (no profiles, no bitsets, no message passing) and exists to be compared
//! with [`crate::model::engine`] by the differential property test. It assumes the model has no loop (the
//! engine refuses those, R5).

use super::Access;
use crate::access::directory::User;
use crate::access::model::{is_blank, ACCESS, GROUP, OMIT, SYSTEM_FIELDS, USERID, USER_EMAIL};
use crate::access::{GroupMode, Target};
use crate::model::{DataModel, Table};
use polars::prelude::*;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

const ROW: &str = "__row";

/// What the reference says one user sees.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefResult {
    pub access: Access,
    /// Per linked reduction field: the selection (sorted texts); `None` = not reduced. Empty when denied.
    pub reduction: BTreeMap<String, Option<Vec<String>>>,
    /// Kept row indices per app table (all rows when not reduced); empty when denied.
    pub kept: BTreeMap<String, Vec<u32>>,
    pub omitted: Vec<String>,
}

impl RefResult {
    /// Does the user keep row `row` of app table `table`? A denied user keeps nothing.
    pub fn keeps(&self, table: &str, row: usize) -> bool {
        self.access != Access::Denied
            && self
                .kept
                .get(table)
                .is_some_and(|k| k.binary_search(&(row as u32)).is_ok())
    }
}

fn frame(t: &Table) -> PolarsResult<DataFrame> {
    let mut cols: Vec<Column> = t
        .fields
        .iter()
        .zip(&t.columns)
        .map(|(f, c)| text_column(f, c, None))
        .collect();
    let idx: Vec<u32> = (0..t.row_count() as u32).collect();
    cols.push(Column::new(ROW.into(), idx));
    DataFrame::new(t.row_count(), cols)
}

/// A column's texts (NULL as null) as a polars string column, for the given rows (all when `None`). Each
/// dict value's text is made once; the rows only look it up.
pub fn text_column(name: &str, col: &crate::model::Column, rows: Option<&[usize]>) -> Column {
    let texts: Vec<Option<String>> = col
        .dict()
        .iter()
        .map(|v| v.text().map(|s| s.into_owned()))
        .collect();
    let text = |id: u32| texts.get(id as usize).and_then(|t| t.as_deref());
    let ids = col.ids();
    let ca = match rows {
        None => StringChunked::from_iter_options(name.into(), ids.iter().map(|&i| text(i))),
        Some(rows) => StringChunked::from_iter_options(
            name.into(),
            rows.iter().map(|&r| ids.get(r).and_then(|&i| text(i))),
        ),
    };
    ca.into_column()
}

/// The rows of `df` whose `on` fields equal those of some row of `other` (a semi-join). A row with a NULL in
/// any of the fields matches nothing.
fn semi_join(df: &DataFrame, other: &DataFrame, on: &[&str]) -> PolarsResult<DataFrame> {
    df.join(other, on, on, JoinArgs::new(JoinType::Semi), None)
}

/// The rows of `df` whose `field` holds one of `values`: a semi-join with a one-column table of the values.
fn keep_values(df: &DataFrame, field: &str, values: &[String]) -> PolarsResult<DataFrame> {
    let table = DataFrame::new(
        values.len(),
        vec![Column::new(field.into(), values.to_vec())],
    )?;
    semi_join(df, &table, &[field])
}

/// Texts of a column (non-null), in row order.
fn texts(df: &DataFrame, field: &str) -> PolarsResult<Vec<String>> {
    let c = df.column(field)?.as_materialized_series().str()?;
    Ok(c.iter().flatten().map(str::to_string).collect())
}

fn row_ids(df: &DataFrame) -> PolarsResult<Vec<u32>> {
    let c = df.column(ROW)?.as_materialized_series().u32()?;
    let mut v: Vec<u32> = c.iter().flatten().collect();
    v.sort_unstable();
    Ok(v)
}

/// Semi-join every table with each neighbour across a link whose far side holds a selection, until no
/// table shrinks (R4).
fn propagate(
    frames: &mut [DataFrame],
    fields: &[Vec<String>],
    selected: &[Vec<String>],
) -> PolarsResult<()> {
    let n = frames.len();
    let mut count: BTreeMap<&str, usize> = BTreeMap::new();
    for fs in fields {
        for f in fs {
            *count.entry(f.as_str()).or_default() += 1;
        }
    }
    // Link nodes: the set of key fields two tables share.
    let mut links: Vec<(Vec<String>, BTreeSet<usize>)> = vec![];
    for a in 0..n {
        for b in a + 1..n {
            let shared: Vec<String> = fields[a]
                .iter()
                .filter(|f| fields[b].contains(*f) && count[f.as_str()] > 1)
                .cloned()
                .collect();
            if shared.is_empty() {
                continue;
            }
            match links.iter_mut().find(|(s, _)| *s == shared) {
                Some((_, m)) => {
                    m.insert(a);
                    m.insert(b);
                }
                None => links.push((shared, BTreeSet::from([a, b]))),
            }
        }
    }
    // Does the side of `from` (not crossing link `skip`) hold a selection? For `from` itself only a
    // selection on a field other than the link's counts (a selection on the link field filters both sides
    // directly).
    let constrained = |from: usize, skip: usize| -> bool {
        let mut seen = vec![false; n];
        let mut q = VecDeque::from([from]);
        seen[from] = true;
        while let Some(t) = q.pop_front() {
            let hit = if t == from {
                selected[t].iter().any(|f| !links[skip].0.contains(f))
            } else {
                !selected[t].is_empty()
            };
            if hit {
                return true;
            }
            for (li, (_, m)) in links.iter().enumerate() {
                if li == skip || !m.contains(&t) {
                    continue;
                }
                for &o in m {
                    if !seen[o] {
                        seen[o] = true;
                        q.push_back(o);
                    }
                }
            }
        }
        false
    };
    loop {
        let mut changed = false;
        for (li, (on, members)) in links.iter().enumerate() {
            for &t in members {
                for &o in members {
                    if o == t || !constrained(o, li) {
                        continue;
                    }
                    let keys: Vec<&str> = on.iter().map(String::as_str).collect();
                    let joined = semi_join(&frames[t], &frames[o], &keys)?;
                    if joined.height() != frames[t].height() {
                        changed = true;
                        frames[t] = joined;
                    }
                }
            }
        }
        if !changed {
            return Ok(());
        }
    }
}

/// Evaluate one user.
pub fn evaluate(
    app: &DataModel,
    security: &DataModel,
    target: Target,
    mode: GroupMode,
    user: &User,
) -> PolarsResult<RefResult> {
    let denied = RefResult {
        access: Access::Denied,
        reduction: BTreeMap::new(),
        kept: BTreeMap::new(),
        omitted: vec![],
    };
    if !user.status.can_open() {
        return Ok(denied);
    }
    let app_fields: BTreeSet<String> = app
        .tables
        .iter()
        .flat_map(|t| t.fields.iter().cloned())
        .collect();
    // Identity values per field (I3–I6).
    let mut ids: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    ids.insert(
        USERID,
        user.subject
            .iter()
            .map(|s| s.to_uppercase())
            .chain(["*".to_string()])
            .collect(),
    );
    let email: Vec<String> = if target == Target::Cloud {
        user.email.iter().map(|s| s.to_uppercase()).collect()
    } else {
        vec![]
    };
    ids.insert(
        USER_EMAIL,
        email.into_iter().chain(["*".to_string()]).collect(),
    );
    ids.insert(
        GROUP,
        user.group_values(target, mode)
            .into_iter()
            .chain(["*".to_string()])
            .collect(),
    );

    let mut sec: Vec<DataFrame> = security
        .tables
        .iter()
        .map(frame)
        .collect::<PolarsResult<_>>()?;
    let sec_fields: Vec<Vec<String>> = security.tables.iter().map(|t| t.fields.clone()).collect();
    let mut selected: Vec<Vec<String>> = vec![vec![]; sec.len()];
    let mut has_identity = vec![false; sec.len()];
    for (i, df) in sec.iter_mut().enumerate() {
        for (f, vals) in &ids {
            if sec_fields[i].iter().any(|x| x == f) {
                *df = keep_values(df, f, vals)?;
                selected[i].push(f.to_string());
                has_identity[i] = true;
            }
        }
    }
    propagate(&mut sec, &sec_fields, &selected)?;
    // Listed values per column (for `*`), over the whole security model.
    let listed = |field: &str| -> BTreeSet<String> {
        security
            .tables
            .iter()
            .filter_map(|t| t.column(field))
            .flat_map(|c| c.used_values())
            .filter_map(|v| v.text().map(|s| s.into_owned()))
            .filter(|s| s != "*" && !is_blank(Some(s)))
            .collect()
    };
    let mut listed_any = false;
    let mut admin = false;
    let mut usr = false;
    let mut omit: BTreeSet<String> = BTreeSet::new();
    let mut allowed: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let any_identity = has_identity.iter().any(|x| *x);
    for (i, df) in sec.iter().enumerate() {
        if (has_identity[i] || !any_identity) && df.height() > 0 {
            listed_any = true;
        }
        for f in &sec_fields[i] {
            let vals = texts(df, f)?;
            if f == ACCESS {
                admin |= vals.iter().any(|v| v == "ADMIN");
                usr |= vals.iter().any(|v| v == "USER");
            } else if f == OMIT {
                for v in vals {
                    if v == "*" {
                        omit.extend(listed(OMIT));
                    } else if !is_blank(Some(&v)) {
                        omit.insert(v);
                    }
                }
            } else if !SYSTEM_FIELDS.contains(&f.as_str()) && app_fields.contains(f) {
                let set = allowed.entry(f.clone()).or_default();
                for v in vals {
                    if v == "*" {
                        set.extend(listed(f));
                    } else if !is_blank(Some(&v)) {
                        set.insert(v);
                    }
                }
            }
        }
    }
    if security.tables.is_empty() {
        listed_any = true;
        usr = true;
    }
    if !listed_any || !(admin || usr) {
        return Ok(denied);
    }
    let access = if admin { Access::Admin } else { Access::User };
    // Strict exclusion per field (R2, L3), selections (R3).
    let mut frames: Vec<DataFrame> = app.tables.iter().map(frame).collect::<PolarsResult<_>>()?;
    let fields: Vec<Vec<String>> = app.tables.iter().map(|t| t.fields.clone()).collect();
    let mut reduction = BTreeMap::new();
    let mut selections: Vec<(String, Vec<String>)> = vec![];
    for (f, vals) in &allowed {
        let present: BTreeSet<String> = app
            .tables
            .iter()
            .filter_map(|t| t.column(f))
            .flat_map(|c| c.used_values())
            .filter_map(|v| v.text().map(|s| s.into_owned()))
            .collect();
        let sel: Vec<String> = vals
            .iter()
            .filter(|v| present.contains(*v))
            .cloned()
            .collect();
        if sel.is_empty() {
            if access == Access::User {
                return Ok(denied);
            }
            reduction.insert(f.clone(), None);
        } else {
            let mut shown: Vec<crate::model::Value> = vec![];
            for t in &app.tables {
                if let Some(c) = t.column(f) {
                    for v in c.used_values() {
                        if v.text()
                            .map(|s| sel.contains(&s.into_owned()))
                            .unwrap_or(false)
                            && !shown.contains(v)
                        {
                            shown.push(v.clone());
                        }
                    }
                }
            }
            shown.sort();
            reduction.insert(
                f.clone(),
                Some(
                    shown
                        .iter()
                        .map(|v| v.text_or_empty().into_owned())
                        .collect(),
                ),
            );
            selections.push((f.clone(), sel));
        }
    }
    let mut selected: Vec<Vec<String>> = vec![vec![]; frames.len()];
    for (i, df) in frames.iter_mut().enumerate() {
        for (f, sel) in &selections {
            if fields[i].contains(f) {
                *df = keep_values(df, f, sel)?;
                selected[i].push(f.clone());
            }
        }
    }
    propagate(&mut frames, &fields, &selected)?;
    let mut kept = BTreeMap::new();
    for (t, df) in app.tables.iter().zip(&frames) {
        kept.insert(t.name.clone(), row_ids(df)?);
    }
    Ok(RefResult {
        access,
        reduction,
        kept,
        omitted: omit
            .into_iter()
            .filter(|f| app_fields.contains(f))
            .collect(),
    })
}
