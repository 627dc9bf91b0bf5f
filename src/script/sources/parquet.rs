//! Parquet files through polars.
//!
//! Strings stay text (never re-read as numbers); integers and floats become numbers; dates and
//! timestamps become Qlik duals (serial number + `YYYY-MM-DD` / `YYYY-MM-DD hh:mm:ss` text); NULLs stay
//! NULL. Other types (booleans, decimals, lists, structs, binary, …) are [`SourceError::Unsupported`]:
//! qsa does not guess how Qlik would show them.

use super::{typed_date, Loaded, SourceError, ISO_DATE, ISO_TIMESTAMP};
use crate::model::Value;
use polars::prelude::*;
use std::path::Path;

/// Days from 1899-12-30 (Qlik's day 0) to 1970-01-01 (Arrow's).
const UNIX_EPOCH_SERIAL: f64 = 25569.0;

/// Read a Parquet file.
pub fn read_parquet(path: &Path) -> Result<Loaded, SourceError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| SourceError::Open {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    let fmt_err = |reason: String| SourceError::Format {
        path: shown.clone(),
        reason,
    };
    let df = std::panic::catch_unwind(move || ParquetReader::new(file).finish())
        .map_err(|_| fmt_err("not a readable Parquet file (the Parquet decoder failed)".into()))?
        .map_err(|e| fmt_err(format!("not a readable Parquet file: {e}")))?;
    let n = df.height();
    let fields: Vec<String> = df
        .get_column_names()
        .iter()
        .map(|s| s.to_string())
        .collect();
    let mut columns: Vec<Vec<Value>> = Vec::with_capacity(fields.len());
    for col in df.columns() {
        columns.push(column_values(col, &shown)?);
    }
    let rows = (0..n)
        .map(|i| {
            columns
                .iter()
                .map(|c| c.get(i).cloned().unwrap_or_default())
                .collect()
        })
        .collect();
    let origins = super::file_origins(&shown, n);
    Ok(Loaded {
        fields,
        rows,
        origins,
    })
}

fn column_values(col: &Column, shown: &str) -> Result<Vec<Value>, SourceError> {
    let name = col.name().to_string();
    let fmt_err = |e: PolarsError| SourceError::Format {
        path: shown.to_string(),
        reason: format!("column `{name}`: {e}"),
    };
    let s = col.as_materialized_series();
    let dt = s.dtype().clone();
    let values: Vec<Value> = match &dt {
        DataType::String => s.str().map_err(fmt_err)?.iter().map(|v| v.map(Value::str).unwrap_or_default()).collect(),
        d if d.is_integer() || d.is_float() => s
            .cast(&DataType::Float64)
            .map_err(fmt_err)?
            .f64()
            .map_err(fmt_err)?
            .iter()
            .map(|v| v.map(Value::num).unwrap_or_default())
            .collect(),
        DataType::Date => s
            .cast(&DataType::Int32)
            .map_err(fmt_err)?
            .i32()
            .map_err(fmt_err)?
            .iter()
            .map(|v| {
                v.map(|days| typed_date(days as f64 + UNIX_EPOCH_SERIAL, ISO_DATE))
                .unwrap_or_default()
            })
            .collect(),
        DataType::Datetime(unit, _) => {
            let per_day = match unit {
                TimeUnit::Nanoseconds => 86_400e9,
                TimeUnit::Microseconds => 86_400e6,
                TimeUnit::Milliseconds => 86_400e3,
            };
            s.cast(&DataType::Int64)
                .map_err(fmt_err)?
                .i64()
                .map_err(fmt_err)?
                .iter()
                .map(|v| {
                    v.map(|t| typed_date(t as f64 / per_day + UNIX_EPOCH_SERIAL, ISO_TIMESTAMP))
                    .unwrap_or_default()
                })
                .collect()
        }
        other => {
            return Err(SourceError::Unsupported(format!(
                "Parquet column `{name}` of type {other} in `{shown}` (qsa reads text, numbers, dates and timestamps)"
            )))
        }
    };
    Ok(values)
}
