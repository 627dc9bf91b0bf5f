//! Tables as the script runner produces them, for both sections.
//!
//! The runner works with [`Table`]s (named fields, dictionary-encoded [`Column`]s: distinct values and a `u32`
//! per row; row [`Origins`] as runs). [`engine`] converts them into field-wide symbol columns and their link
//! graph (the associative engine shared by `access`, for the security
//! tables, and `reduce`, for the app). A [`DataModel`] is the set of tables of one section.

pub mod bitset;
pub mod column;
pub mod engine;
pub mod factor;
pub mod origins;
pub mod value;

pub use column::{Column, ColumnBuilder, NULL_ID};
pub use origins::Origins;
pub use value::Value;

use crate::diag::{SourceId, Span};
use serde::Serialize;
use std::sync::Arc;

/// Where a row came from, for "the security rows that applied (with their script lines)".
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum RowOrigin {
    /// A line of an INLINE block (or any script text).
    Script { source: SourceId, span: Span },
    /// Record `row` (1-based, data rows only) of a file.
    File {
        #[serde(serialize_with = "serialize_arc_str")]
        path: Arc<str>,
        row: usize,
    },
    /// Produced by computation (AUTOGENERATE, RESIDENT of computed rows, joins, …): the LOAD statement.
    Load { source: SourceId, span: Span },
}

fn serialize_arc_str<S: serde::Serializer>(s: &Arc<str>, ser: S) -> Result<S::Ok, S::Error> {
    ser.serialize_str(s)
}

#[derive(Clone, Debug, Default)]
pub struct Table {
    pub name: String,
    /// Field names in load order (unique within a table).
    pub fields: Vec<String>,
    /// `columns[i]` holds the values of `fields[i]`; all columns have the same length.
    pub columns: Vec<Column>,
    /// One entry per row when known (always for security tables); may be empty for app tables.
    pub origins: Origins,
    /// The statement that created the table.
    pub source: Option<(SourceId, Span)>,
    /// Reasons the content may differ from what Qlik would load (an `SQL SELECT` with no `--table`, an
    /// unsupported prefix, …). A table with reasons here must not be trusted for reduction (fail closed).
    pub incomplete: Vec<Incomplete>,
}

/// Why a table's content is not known faithfully, and where that came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Incomplete {
    pub reason: String,
    pub at: Option<(SourceId, Span)>,
}

impl Table {
    pub fn new(name: impl Into<String>, fields: Vec<String>) -> Self {
        let n = fields.len();
        Table {
            name: name.into(),
            fields,
            columns: (0..n).map(|_| Column::new()).collect(),
            origins: Origins::new(),
            source: None,
            incomplete: Vec::new(),
        }
    }
    pub fn row_count(&self) -> usize {
        self.columns.first().map(|c| c.len()).unwrap_or(0)
    }
    /// Bytes the table's columns hold, for memory accounting (`crate::limits`).
    pub fn heap_bytes(&self) -> u64 {
        self.columns.iter().map(Column::heap_bytes).sum()
    }
    pub fn field_index(&self, name: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == name)
    }
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.field_index(name).and_then(|i| self.columns.get(i))
    }
    /// Column `col` as its symbol table and one id per row ([`NULL_ID`] for NULL).
    pub fn dict_column(&self, col: usize) -> Option<(&[Value], &[u32])> {
        self.columns.get(col).map(|c| (c.dict(), c.ids()))
    }
    /// Append a row given in field order. Panics never: a short row is padded with NULL, extra cells dropped.
    pub fn push_row(&mut self, row: Vec<Value>) {
        let mut cells = row.into_iter();
        for col in self.columns.iter_mut() {
            col.push(cells.next().unwrap_or_default());
        }
    }
    /// The value at column `col`, row `row`; NULL when either is out of range.
    pub fn cell(&self, col: usize, row: usize) -> Value {
        self.columns
            .get(col)
            .and_then(|c| c.get(row))
            .cloned()
            .unwrap_or_default()
    }
    pub fn row(&self, i: usize) -> Vec<Value> {
        self.columns
            .iter()
            .map(|c| c.get(i).cloned().unwrap_or_default())
            .collect()
    }
    /// Drop the columns' interning indexes (built by [`Table::push_row`]; rebuilt if rows are pushed again).
    pub fn seal(&mut self) {
        for c in self.columns.iter_mut() {
            c.seal();
        }
    }
}

/// The tables of one section, in creation order.
#[derive(Clone, Debug, Default)]
pub struct DataModel {
    pub tables: Vec<Table>,
}

impl DataModel {
    pub fn table(&self, name: &str) -> Option<&Table> {
        self.tables.iter().find(|t| t.name == name)
    }
    pub fn table_mut(&mut self, name: &str) -> Option<&mut Table> {
        self.tables.iter_mut().find(|t| t.name == name)
    }
    /// Every field name with the tables that hold it, sorted by field name (tables in model order).
    pub fn field_tables(&self) -> Vec<(String, Vec<String>)> {
        let mut map: std::collections::BTreeMap<String, Vec<String>> = Default::default();
        for t in &self.tables {
            for f in &t.fields {
                map.entry(f.clone()).or_default().push(t.name.clone());
            }
        }
        map.into_iter().collect()
    }
}
