//! The runner's side of `--max-memory` (`crate::limits`): the loaded tables as a gauge, and the one
//! diagnostic (QSA118) that stops the run when anything went over the limit.

use super::runner::{Cx, Runner};
use crate::diag::{codes, Diagnostic, Span};
use crate::model::Table;
use std::collections::HashMap;

/// What the runner remembers between statements.
#[derive(Debug, Default)]
pub(crate) struct Accounting {
    /// Bytes of each table, by (kind, name), with the shape they were measured at: a table whose shape
    /// has not changed is not measured again.
    sizes: HashMap<(u8, String), (Shape, u64)>,
    /// QSA118 was reported (once per run).
    reported: bool,
}

/// Rows, fields and distinct values of every column: changes whenever a load changes the table.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape(usize, usize, usize);

fn shape(t: &Table) -> Shape {
    Shape(
        t.row_count(),
        t.columns.len(),
        t.columns.iter().map(|c| c.dict().len()).sum(),
    )
}

impl Runner {
    /// Measure the tables held now (app, security, mapping and `STORE`d tables) and set the budget's
    /// gauge; over the limit, the budget remembers it and [`Runner::over_memory`] stops the run.
    pub(crate) fn account_tables(&mut self) {
        let mut live: HashMap<(u8, String), (Shape, u64)> = HashMap::new();
        let mut total = 0u64;
        let stored = self
            .st
            .stored
            .iter()
            .map(|(p, t)| (2u8, p.display().to_string(), t));
        let tables = (self.st.app.tables.iter().map(|t| (0u8, t.name.clone(), t)))
            .chain(
                self.st
                    .security
                    .tables
                    .iter()
                    .map(|t| (1u8, t.name.clone(), t)),
            )
            .chain(stored);
        for (kind, name, t) in tables {
            let now = shape(t);
            let key = (kind, name);
            let bytes = match self.memory.sizes.get(&key) {
                Some((s, b)) if *s == now => *b,
                _ => t.heap_bytes(),
            };
            total = total.saturating_add(bytes);
            live.insert(key, (now, bytes));
        }
        let mapped: u64 = self
            .st
            .mappings
            .values()
            .flat_map(|m| m.pairs.iter())
            .map(|(a, b)| a.heap_bytes() + b.heap_bytes())
            .sum();
        total = total.saturating_add(mapped);
        self.memory.sizes = live;
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
