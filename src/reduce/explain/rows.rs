//! The reasons of one row of a model (app or security tables) as the engine evaluated it for one user:
//! its own cells against the selections, and for each link of its table (R4 for the app, A3 for the
//! security tables), the row's key value, whether the far side constrains the row, and which of the far
//! side's kept rows hold the key (or why the rows that hold it were dropped, a few hops deep).

use super::{Cell, Check, ExplainError, LinkWhy, Neighbour, RowRef, RowWhy, MAX_DEPTH, SAMPLES};
use crate::model::bitset::Bitset;
use crate::model::engine::{Engine, Kept, NULL};
use crate::model::{DataModel, RowOrigin};
use crate::reduce::origin_text;
use crate::script::RunResult;
use std::cell::RefCell;
use std::collections::{BTreeSet, HashMap, VecDeque};

/// Where a row of `model`'s table `t` comes from: its own origin, else the statement that made the table.
pub(super) fn row_at(run: &RunResult, model: &DataModel, t: usize, r: usize) -> String {
    let Some(tab) = model.tables.get(t) else {
        return String::new();
    };
    if let Some(o) = tab.origins.get(r) {
        return origin_text(run, Some(&o));
    }
    match tab.source {
        Some((source, span)) => origin_text(run, Some(&RowOrigin::Load { source, span })),
        None => String::new(),
    }
}

pub(super) fn text_at(model: &DataModel, t: usize, ci: usize, r: usize) -> Option<String> {
    model
        .tables
        .get(t)
        .and_then(|tab| tab.columns.get(ci))
        .and_then(|c| c.get(r))
        .and_then(|v| v.text().map(|s| s.into_owned()))
}

pub(super) fn cells_of(model: &DataModel, t: usize, r: usize) -> Vec<Cell> {
    let Some(tab) = model.tables.get(t) else {
        return vec![];
    };
    tab.fields
        .iter()
        .enumerate()
        .map(|(ci, f)| Cell {
            field: f.clone(),
            value: text_at(model, t, ci, r).unwrap_or_default(),
        })
        .collect()
}

/// Where a selection lies: (table, field id); `None`: no selection.
type Constraint = Option<(usize, usize)>;

/// One model (app or security) as the engine evaluated it for this user.
pub(super) struct Side<'a, C> {
    run: &'a RunResult,
    model: &'a DataModel,
    engine: &'a Engine,
    kept: &'a [Kept],
    /// Field ids that carry a selection.
    selected: BTreeSet<usize>,
    /// The check of an own cell (table, column, row) of a field with a selection.
    check: C,
    /// Per (table, link): the (table, field) of the nearest selection across the link, if any.
    constrained: RefCell<HashMap<(usize, usize), Constraint>>,
    kept_keys: RefCell<HashMap<(usize, usize), Bitset>>,
}

impl<'a, C: Fn(usize, usize, usize) -> Check> Side<'a, C> {
    pub(super) fn new(
        run: &'a RunResult,
        model: &'a DataModel,
        engine: &'a Engine,
        kept: &'a [Kept],
        selected: BTreeSet<usize>,
        check: C,
    ) -> Self {
        Side {
            run,
            model,
            engine,
            kept,
            selected,
            check,
            constrained: RefCell::default(),
            kept_keys: RefCell::default(),
        }
    }

    /// What the engine keeps of table `t`.
    pub(super) fn table_kept(&self, t: usize) -> Option<&Kept> {
        self.kept.get(t)
    }

    pub(super) fn is_kept(&self, t: usize, r: usize) -> bool {
        self.kept.get(t).map(|k| k.contains(r)).unwrap_or(false)
    }

    fn member(&self, link: usize, t: usize) -> Option<usize> {
        self.engine
            .links_of(t)
            .iter()
            .find(|(l, _)| *l == link)
            .map(|&(_, m)| m)
    }

    fn key(&self, link: usize, t: usize, r: usize) -> u32 {
        self.member(link, t)
            .and_then(|m| self.engine.key_col(link, m).get(r).copied())
            .unwrap_or(NULL)
    }

    fn link_fields(&self, link: usize) -> Vec<String> {
        self.engine.links[link]
            .fields
            .iter()
            .map(|&f| self.engine.fields[f].name.clone())
            .collect()
    }

    /// The row's key in `link` as text; `None` when NULL.
    fn key_text(&self, link: usize, t: usize, r: usize) -> Option<String> {
        if self.key(link, t, r) == NULL {
            return None;
        }
        let tab = self.model.tables.get(t)?;
        let parts: Vec<String> = self
            .link_fields(link)
            .iter()
            .map(|f| {
                tab.field_index(f)
                    .and_then(|ci| text_at(self.model, t, ci, r))
                    .unwrap_or_default()
            })
            .collect();
        Some(if parts.len() == 1 {
            parts.concat()
        } else {
            format!("({})", parts.join(", "))
        })
    }

    /// R4: does the side of `from` away from `skip` hold a selection that constrains across `skip`? At
    /// `from` itself only a selection on a field that is not a field of `skip` counts (a selection on the
    /// link field filters both sides directly); beyond it, any selection.
    pub(super) fn side_constrained(&self, from: usize, skip: usize) -> bool {
        self.constraint(from, skip).is_some()
    }

    /// The (table, field) of the nearest selection that makes [`Side::side_constrained`] hold.
    fn constraint(&self, from: usize, skip: usize) -> Option<(usize, usize)> {
        if let Some(&c) = self.constrained.borrow().get(&(from, skip)) {
            return c;
        }
        let skip_fields = &self.engine.links[skip].fields;
        let mut seen = vec![false; self.engine.tables.len()];
        let mut queue = VecDeque::from([from]);
        let mut found = None;
        if let Some(s) = seen.get_mut(from) {
            *s = true;
        }
        while let Some(t) = queue.pop_front() {
            let hit = self.engine.tables[t]
                .fields
                .iter()
                .find(|f| self.selected.contains(f) && (t != from || !skip_fields.contains(f)));
            if let Some(&f) = hit {
                found = Some((t, f));
                break;
            }
            for &(l, _) in self.engine.links_of(t) {
                if l == skip {
                    continue;
                }
                for o in self.engine.links[l].tables() {
                    if let Some(s) = seen.get_mut(o) {
                        if !*s {
                            *s = true;
                            queue.push_back(o);
                        }
                    }
                }
            }
        }
        self.constrained.borrow_mut().insert((from, skip), found);
        found
    }

    /// Does some kept row of `t` hold key `key` in `link`?
    fn kept_key(&self, link: usize, t: usize, key: u32) -> bool {
        if key == NULL {
            return false;
        }
        if let Some(b) = self.kept_keys.borrow().get(&(link, t)) {
            return b.get(key as usize);
        }
        let mut b = Bitset::new(self.engine.link_domain(link));
        if let Some(m) = self.member(link, t) {
            for (r, &k) in self.engine.key_col(link, m).iter().enumerate() {
                if k != NULL && self.is_kept(t, r) {
                    b.set(k as usize);
                }
            }
        }
        let hit = b.get(key as usize);
        self.kept_keys.borrow_mut().insert((link, t), b);
        hit
    }

    pub(super) fn own_checks(&self, t: usize, r: usize) -> Vec<Check> {
        self.engine.tables[t]
            .fields
            .iter()
            .enumerate()
            .filter(|(_, f)| self.selected.contains(f))
            .map(|(ci, _)| (self.check)(t, ci, r))
            .collect()
    }

    /// The engine's verdict on row `r` of `t`, once the reasons give it back; otherwise
    /// [`ExplainError::Inconsistent`] (qsa does not explain a verdict its reasons do not reach).
    pub(super) fn verdict(&self, t: usize, r: usize) -> Result<bool, ExplainError> {
        let kept = self.is_kept(t, r);
        if self.derived_kept(t, r) != kept {
            return Err(ExplainError::Inconsistent(format!(
                "row {} of `{}`: its own cells and links do not give the engine's verdict",
                r + 1,
                self.engine.tables[t].name
            )));
        }
        Ok(kept)
    }

    /// The verdict the reasons give: every own cell passes, and no constraining link lacks the key.
    fn derived_kept(&self, t: usize, r: usize) -> bool {
        if self.own_checks(t, r).iter().any(|c| !c.ok) {
            return false;
        }
        self.engine.links_of(t).iter().all(|&(l, _)| {
            let key = self.key(l, t, r);
            self.engine.links[l]
                .tables()
                .filter(|&u| u != t)
                .all(|u| !self.side_constrained(u, l) || self.kept_key(l, u, key))
        })
    }

    pub(super) fn row_ref(&self, t: usize, r: usize) -> RowRef {
        RowRef {
            table: self.engine.tables[t].name.clone(),
            row: r + 1,
            at: row_at(self.run, self.model, t, r),
        }
    }

    /// Why row `r` of `t` is kept or dropped. `back`: the (link, table) this row was reached from, not
    /// followed back.
    pub(super) fn row_why(
        &self,
        t: usize,
        r: usize,
        back: Option<(usize, usize)>,
        depth: usize,
    ) -> RowWhy {
        let mut links = vec![];
        for &(l, m) in self.engine.links_of(t) {
            let key = self.engine.key_col(l, m).get(r).copied().unwrap_or(NULL);
            let mut neighbours = vec![];
            for u in self.engine.links[l].tables() {
                if u == t || back == Some((l, u)) {
                    continue;
                }
                let constraint = self.constraint(u, l);
                let constrains = constraint.is_some();
                let mut with = 0;
                let mut kept_with = 0;
                let mut example = None;
                let mut dropped = vec![];
                if let (Some(um), true) = (self.member(l, u), key != NULL) {
                    for (ur, &k) in self.engine.key_col(l, um).iter().enumerate() {
                        if k != key {
                            continue;
                        }
                        with += 1;
                        if self.is_kept(u, ur) {
                            kept_with += 1;
                            example.get_or_insert(ur);
                        } else {
                            dropped.push(ur);
                        }
                    }
                }
                let blocks = constrains && kept_with == 0;
                let shown: Vec<RowWhy> = if blocks && depth < MAX_DEPTH {
                    dropped
                        .iter()
                        .take(SAMPLES)
                        .map(|&ur| self.row_why(u, ur, Some((l, t)), depth + 1))
                        .collect()
                } else {
                    vec![]
                };
                neighbours.push(Neighbour {
                    table: self.engine.tables[u].name.clone(),
                    constrains,
                    selection_in: constraint.map(|(ct, cf)| {
                        format!(
                            "{} in {}",
                            self.engine.fields[cf].name, self.engine.tables[ct].name
                        )
                    }),
                    rows_with_value: with,
                    kept_with_value: kept_with,
                    kept_example: example.map(|ur| self.row_ref(u, ur)),
                    dropped_not_shown: dropped.len() - shown.len(),
                    dropped: shown,
                    blocks,
                });
            }
            if !neighbours.is_empty() {
                links.push(LinkWhy {
                    fields: self.link_fields(l),
                    value: self.key_text(l, t, r),
                    neighbours,
                });
            }
        }
        RowWhy {
            table: self.engine.tables[t].name.clone(),
            row: r + 1,
            at: row_at(self.run, self.model, t, r),
            kept: self.is_kept(t, r),
            checks: self.own_checks(t, r),
            links,
        }
    }
}
