//! The runner's side of `--max-memory` (`crate::limits`): the loaded tables as a gauge, and the one
//! diagnostic (QSA118) that stops the run when anything went over the limit.

use super::runner::{Cx, Runner};
use crate::diag::{codes, Diagnostic, Span};
use crate::model::Table;
use rustc_hash::FxHashMap;

/// What the runner remembers between statements.
#[derive(Debug, Default)]
pub(crate) struct Accounting {
    /// What each table's columns were measured at, by kind (app, security, stored) and name, with the
    /// round ([`Accounting::round`]) that last saw the table: see [`Measured`].
    sizes: [FxHashMap<String, (u64, Vec<Measured>)>; 3],
    /// How many times the tables were measured.
    round: u64,
    /// The mapping tables' (count, pairs) and bytes when last measured.
    mapped: Option<((usize, usize), u64)>,
    /// QSA118 was reported (once per run).
    reported: bool,
}

/// One column as last measured: how many values its dict had, the first and last of them (by
/// identity), and their bytes. Loads that add rows to a table (`CONCATENATE`, a loop of loads into one
/// table) only append to a dict, so when those two values are still in place only the new values are
/// measured; otherwise the dict is measured again whole.
#[derive(Clone, Copy, Debug)]
struct Measured {
    len: usize,
    ends: (Identity, Identity),
    bytes: u64,
}

/// A value's identity, cheap to compare: its kind, and its number's bits or its text's address.
type Identity = (u8, u64);

fn identity(v: Option<&crate::model::Value>) -> Identity {
    use crate::model::Value;
    match v {
        None | Some(Value::Null) => (0, 0),
        Some(Value::Num(n)) => (1, n.to_bits()),
        Some(Value::Str(t)) => (2, t.as_ptr() as usize as u64),
        Some(Value::Dual(n, t)) => (3, n.to_bits() ^ t.as_ptr() as usize as u64),
    }
}

fn measure(c: &crate::model::Column, before: Option<&Measured>) -> Measured {
    let dict = c.dict();
    let ends_at = |len: usize| {
        (
            identity(dict.first()),
            identity(len.checked_sub(1).and_then(|i| dict.get(i))),
        )
    };
    let (from, bytes) = match before {
        Some(m) if m.len <= dict.len() && ends_at(m.len) == m.ends => (m.len, m.bytes),
        _ => (0, 0),
    };
    let more: u64 = dict
        .get(from..)
        .unwrap_or(&[])
        .iter()
        .map(crate::model::Value::heap_bytes)
        .sum();
    Measured {
        len: dict.len(),
        ends: ends_at(dict.len()),
        bytes: bytes.saturating_add(more),
    }
}

fn table_bytes(t: &Table, before: Option<&Vec<Measured>>) -> (Vec<Measured>, u64) {
    let cols: Vec<Measured> = (t.columns.iter().enumerate())
        .map(|(i, c)| measure(c, before.and_then(|b| b.get(i))))
        .collect();
    let ids: u64 = t.columns.iter().map(|c| 4 * c.len() as u64).sum();
    let dicts: u64 = cols.iter().map(|m| m.bytes).sum();
    // Field names are held too (a loop of `QUALIFY *` loads can grow them to megabytes).
    let names: u64 = t.fields.iter().map(|f| f.len() as u64).sum();
    (cols, ids.saturating_add(dicts).saturating_add(names))
}

impl Runner {
    /// Measure the tables held now (app, security, mapping and `STORE`d tables) and set the budget's
    /// gauge; over the limit, the budget remembers it and [`Runner::over_memory`] stops the run.
    pub(crate) fn account_tables(&mut self) {
        // Run after every LOAD and STORE, over every table: entries are updated in place (no key built
        // per table), and the tables no longer there are dropped at the end.
        self.memory.round += 1;
        let round = self.memory.round;
        let mut total = 0u64;
        let sizes = &mut self.memory.sizes;
        let mut measure = |kind: usize, name: &str, t: &Table| {
            let bytes = match sizes[kind].get_mut(name) {
                Some(entry) => {
                    let (cols, bytes) = table_bytes(t, Some(&entry.1));
                    *entry = (round, cols);
                    bytes
                }
                None => {
                    let (cols, bytes) = table_bytes(t, None);
                    sizes[kind].insert(name.to_string(), (round, cols));
                    bytes
                }
            };
            total = total.saturating_add(bytes);
        };
        let app = self.st.app.tables.iter().map(|t| (0, t));
        for (kind, t) in app.chain(self.st.security.tables.iter().map(|t| (1, t))) {
            measure(kind, &t.name, t);
        }
        for (path, t) in &self.st.stored {
            measure(2, &path.display().to_string(), t);
        }
        for map in sizes.iter_mut() {
            map.retain(|_, (seen, _)| *seen == round);
        }
        // Mapping tables do not change once loaded: measured again only when one is added or dropped.
        let maps = &self.st.mappings;
        let shape = (
            maps.len(),
            maps.values().map(|m| m.pairs.len()).sum::<usize>(),
        );
        let mapped = match self.memory.mapped {
            Some((s, bytes)) if s == shape => bytes,
            _ => {
                let bytes = (maps.values().flat_map(|m| m.pairs.iter()))
                    .map(|(a, b)| a.heap_bytes() + b.heap_bytes())
                    .sum();
                self.memory.mapped = Some((shape, bytes));
                bytes
            }
        };
        total = total.saturating_add(mapped);
        let _ = self
            .st
            .budget
            .set_tables(total, || "the tables loaded so far".to_string());
    }

    /// Whether `rows` rows of `width` values, a table a load is building, fit in what is left of the
    /// budget (values counted at their size, texts not: they are shared with the source's dictionary).
    /// `false`: the budget remembers it and the run stops after the statement.
    pub(crate) fn rows_fit(&self, rows: usize, width: usize, table: &str) -> bool {
        let value = std::mem::size_of::<crate::model::Value>() as u64;
        let row = value.saturating_mul(width as u64 + 1);
        self.st
            .budget
            .check((rows as u64).saturating_mul(row), || {
                format!("loading `{table}` ({rows} rows of {width} fields so far)")
            })
            .is_ok()
    }

    /// `true` (and QSA118, once) when the memory limit was exceeded by anything since the run began:
    /// the run stops.
    pub(crate) fn over_memory(&mut self, span: Span, cx: &Cx) -> bool {
        let Some(e) = self.st.budget.exceeded() else {
            return false;
        };
        if !self.memory.reported {
            self.memory.reported = true;
            self.diags.push(
                Diagnostic::error(codes::MEMORY_LIMIT, e.to_string())
                    .at(
                        cx.src,
                        span,
                        "the memory limit was reached while running this",
                    )
                    .with_help(e.help()),
            );
        }
        true
    }
}
