//! Data sources: INLINE data and delimited text with Qlik's format specification, QVD, Parquet, Excel
//! workbooks (`.xlsx`/`.xlsm` as `ooxml`, `.xls` as `biff`, see [`excel`]); and path resolution
//! (`lib://`, relative paths, `Directory`), `FileList`/`DirList`.
//!
//! Sources return values as loaded (text, with a number where the text reads as one, QVD duals, Excel
//! numbers, texts and dates as their cells hold them). Section Access normalization (S4 upper-casing, S5
//! trimming) is the runner's job.
//!
//! Format items a source does not understand are refused by name (`filters(…)`, `record is n lines`,
//! `header is n` in bytes), never ignored: qsa does not load data differently from Qlik without saying so.

pub mod encoding;
pub mod excel;
pub mod parquet;
mod parquet_footer;
mod parquet_pages;
pub mod paths;
pub mod qvd;
pub mod text;

use crate::limits::Budget;
use crate::model::{Column, ColumnBuilder, Origins, Value};
use crate::syntax::FormatItem;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use paths::{dir_list, file_list, resolve_path};

/// A table as read from a source, before the runner applies field expressions: dictionary-encoded
/// columns (each distinct value built once), all of the same length.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub fields: Vec<String>,
    /// `columns[i]` holds `fields[i]`.
    pub columns: Vec<Column>,
    /// Rows when there are no columns (a table of no fields can still have rows).
    pub(crate) rows: usize,
    /// One per row (file path and 1-based record number); empty for INLINE (the runner knows the lines).
    pub origins: Origins,
}

impl Loaded {
    /// A table of the given columns (the row count is the first column's length).
    pub fn new(fields: Vec<String>, columns: Vec<Column>, origins: Origins) -> Self {
        let rows = columns.first().map(Column::len).unwrap_or(0);
        Loaded {
            fields,
            columns,
            rows,
            origins,
        }
    }
    pub fn row_count(&self) -> usize {
        self.columns.first().map(Column::len).unwrap_or(self.rows)
    }
    /// Row `r`'s values in field order (NULL past the end).
    pub fn row(&self, r: usize) -> Vec<Value> {
        self.columns
            .iter()
            .map(|c| c.get(r).cloned().unwrap_or_default())
            .collect()
    }
    /// Every row, materialised (cheap `Arc` clones of the dict values).
    pub fn to_rows(&self) -> Vec<Vec<Value>> {
        (0..self.row_count()).map(|r| self.row(r)).collect()
    }
    /// Keep the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        for c in self.columns.iter_mut() {
            c.truncate(n);
        }
        self.rows = self.rows.min(n);
        self.origins.truncate(n);
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("cannot open `{path}`: {reason}")]
    Open { path: String, reason: String },
    #[error("`{path}`: {reason}")]
    Format { path: String, reason: String },
    #[error("{0}")]
    Unsupported(String),
    #[error("`lib://{0}/` is not mapped: pass --lib {0}=DIR")]
    UnmappedLib(String),
    /// Reading it would take more memory than `--max-memory` leaves (QSA118).
    #[error("{0}")]
    Limit(crate::limits::Exceeded),
}

/// How relative and `lib://` paths resolve.
#[derive(Clone, Debug, Default)]
pub struct PathContext {
    /// Folder of the script being run (includes resolve against the including file).
    pub script_dir: PathBuf,
    /// The current `Directory` statement's folder, if any.
    pub directory: Option<String>,
    /// `--lib NAME=DIR` mappings (names compared case-insensitively).
    pub libs: Vec<(String, PathBuf)>,
}

/// The kind of file a load reads, from its format spec or, failing that, its extension.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// Delimited text (`txt`, `.csv`, `.txt`, `.tab`, …).
    Text,
    Qvd,
    Parquet,
    /// An Excel workbook (`ooxml`: `.xlsx`, `.xlsm`; `biff`: `.xls`). The content decides which reader
    /// runs, so a `.xls` that is really OOXML is still read.
    Excel,
    /// A format qsa does not read (`xml`, `json`, `html`, `fix`, `qvx`, …): its name.
    Other(String),
}

/// Decide the file kind: the format spec's file type wins; else the extension; else text.
pub fn file_kind(path: &Path, format: &[FormatItem]) -> FileKind {
    for item in format {
        if let FormatItem::FileType(t) = item {
            return match t.to_ascii_lowercase().as_str() {
                "txt" | "csv" | "delimited" => FileKind::Text,
                "qvd" => FileKind::Qvd,
                "parquet" => FileKind::Parquet,
                "ooxml" | "biff" => FileKind::Excel,
                other => FileKind::Other(other.to_string()),
            };
        }
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "qvd" => FileKind::Qvd,
        "parquet" | "parq" => FileKind::Parquet,
        "xlsx" | "xlsm" | "xls" => FileKind::Excel,
        "xml" | "json" | "html" | "htm" | "qvx" | "kml" | "dif" | "qvw" | "qvf" => {
            FileKind::Other(ext)
        }
        _ => FileKind::Text,
    }
}

/// Field names from labels, the same way for every source with labels (text, Excel).
///
/// `labels` is the label record (`embedded labels`), or `None` (`no labels`, `explicit labels`): then the
/// table is `width` fields wide (its widest row). A label is trimmed of ASCII spaces; an empty label, and
/// every field of a table without labels, is named `unnamed(i)` (`i` the 0-based column). Two equal
/// labels are an error, as in Qlik ("field names must be unique"). `path` names the file in errors; `None`
/// for INLINE.
pub(crate) fn field_names(
    labels: Option<&[String]>,
    width: usize,
    unnamed: &dyn Fn(usize) -> String,
    path: Option<&str>,
) -> Result<Vec<String>, SourceError> {
    let fields: Vec<String> = match labels {
        Some(labels) => labels
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let t = c.trim_matches(' ');
                if t.is_empty() {
                    unnamed(i)
                } else {
                    t.to_string()
                }
            })
            .collect(),
        None => (0..width).map(unnamed).collect(),
    };
    let mut seen = std::collections::BTreeSet::new();
    for f in &fields {
        if !seen.insert(f.as_str()) {
            return Err(SourceError::Format {
                path: path.unwrap_or("INLINE").to_string(),
                reason: format!(
                    "field name `{f}` appears twice in the labels (field names must be unique)"
                ),
            });
        }
    }
    Ok(fields)
}

/// Labels and row-major rows → a [`Loaded`] table (see [`field_names`]); rows are padded with NULL or cut
/// to the width, and each column is interned by value. `path` also gives each row its origin (1-based
/// record number).
pub(crate) fn assemble(
    labels: Option<Vec<String>>,
    rows: Vec<Vec<Value>>,
    unnamed: &dyn Fn(usize) -> String,
    path: Option<&str>,
) -> Result<Loaded, SourceError> {
    let width = rows.iter().map(Vec::len).max().unwrap_or(0);
    let fields = field_names(labels.as_deref(), width, unnamed, path)?;
    let mut builders: Vec<ColumnBuilder> =
        (0..fields.len()).map(|_| ColumnBuilder::new()).collect();
    let n = rows.len();
    for row in rows {
        let mut cells = row.into_iter();
        for b in builders.iter_mut() {
            b.push_value(cells.next().unwrap_or_default());
        }
    }
    let origins = match path {
        Some(p) => file_origins(p, n),
        None => Origins::new(),
    };
    let columns = builders.into_iter().map(ColumnBuilder::finish).collect();
    Ok(Loaded {
        fields,
        columns,
        rows: n,
        origins,
    })
}

/// Row origins for `n` records read from the file shown as `path` (1-based record numbers).
pub(crate) fn file_origins(path: &str, n: usize) -> Origins {
    Origins::file(Arc::from(path), n)
}

/// The reason for a refusal when a decoder (polars, openqvd, calamine) panicked and qsa caught it:
/// `"the Parquet decoder failed: thrift bool field"`, its message on one line and at most 200 characters
/// (the binary holds the panic message back; this is where it is shown).
pub(crate) fn decoder_failed(decoder: &str, payload: &(dyn std::any::Any + Send)) -> String {
    let said = (payload.downcast_ref::<&str>().copied())
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str));
    match said {
        Some(m) if !m.trim().is_empty() => {
            let line: String = m.split_whitespace().collect::<Vec<_>>().join(" ");
            let mut short: String = line.chars().take(200).collect();
            if short.len() < line.len() {
                short.push('…');
            }
            format!("the {decoder} decoder failed: {short}")
        }
        _ => format!("the {decoder} decoder failed"),
    }
}

/// Text formats for typed dates and times (Parquet date/timestamp columns, Excel date cells).
pub(crate) const ISO_DATE: &str = "YYYY-MM-DD";
pub(crate) const ISO_TIMESTAMP: &str = "YYYY-MM-DD hh:mm:ss";
pub(crate) const ISO_TIME: &str = "hh:mm:ss";

/// A date/time serial number (days since 1899-12-30) from a source that types it as a date: a dual of
/// the number and its ISO text. Qlik formats typed dates, times and timestamps the ISO way
/// (help.qlik.com, *Number interpretation*, "Data with type information": "time, date, timestamp: ISO
/// standard formatting"), not with the script's `DateFormat`.
pub(crate) fn typed_date(serial: f64, format: &str) -> Value {
    use crate::script::functions::{format_datetime, FnEnv};
    static ENV: std::sync::LazyLock<FnEnv> = std::sync::LazyLock::new(FnEnv::default);
    Value::dual(serial, format_datetime(serial, format, &ENV))
}

/// Parse INLINE data with its format spec (default: embedded labels, `,` delimiter, standard quoting;
/// `msq` lets `"…"` values span lines). Codepage and file-type items are ignored (the data is script text).
pub fn read_inline(data: &str, format: &[FormatItem]) -> Result<Loaded, SourceError> {
    for item in format {
        if let FormatItem::FileType(t) = item {
            if !t.eq_ignore_ascii_case("txt") {
                return Err(SourceError::Unsupported(format!(
                    "INLINE data in `{t}` format"
                )));
            }
        }
    }
    let fmt = text::text_format(format, text::TextFormat::default())?;
    text::to_loaded(data, &fmt, None)
}

/// Read a file per its format spec (or its extension when the spec names no file type).
pub fn read_file(path: &Path, format: &[FormatItem]) -> Result<Loaded, SourceError> {
    read_file_with(path, format, &crate::progress::NoProgress)
}

/// [`read_file`], telling `progress` about it: one phase per file ("reading NAME"); delimited text
/// reports its position in bytes every 1% of the file, the other formats only start and finish.
pub fn read_file_with(
    path: &Path,
    format: &[FormatItem],
    progress: &dyn crate::progress::Progress,
) -> Result<Loaded, SourceError> {
    read_file_budgeted(path, format, progress, &Budget::default())
}

/// [`read_file_with`] within a memory budget (`--max-memory`, [`crate::limits`]): a file is read into
/// memory only when it fits in what is left, and a reader that unpacks or expands it (QVD records, an
/// `.xlsx`) checks the sizes it declares first. Over the limit: [`SourceError::Limit`].
pub fn read_file_budgeted(
    path: &Path,
    format: &[FormatItem],
    progress: &dyn crate::progress::Progress,
    budget: &Budget,
) -> Result<Loaded, SourceError> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let kind = file_kind(path, format);
    // Delimited text reports its position; the other readers only start and finish (a spinner).
    let size = match kind {
        FileKind::Text => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        _ => 0,
    };
    let mut ticker = crate::progress::Ticker::new(progress, &format!("reading {name}"), size);
    let out = match kind {
        FileKind::Text => read_text_file(path, format, &mut ticker, budget),
        FileKind::Qvd => qvd::read_qvd_budgeted(path, budget),
        FileKind::Parquet => read_budget_check(path, 1, budget)
            .and_then(|()| parquet::read_parquet_budgeted(path, budget)),
        FileKind::Excel => excel::read_excel_budgeted(path, format, budget),
        FileKind::Other(kind) => Err(SourceError::Unsupported(format!(
            "`{kind}` files (reading `{}`): qsa reads delimited text, Excel, QVD and Parquet",
            path.display()
        ))),
    };
    ticker.at(size);
    ticker.finish();
    out
}

/// Whether `copies` times the file's size fits in the budget (a reader that holds the bytes and a
/// decoded copy asks for 2).
fn read_budget_check(path: &Path, copies: u64, budget: &Budget) -> Result<(), SourceError> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    budget
        .check(size.saturating_mul(copies), || {
            format!(
                "reading `{}` ({})",
                path.display(),
                crate::limits::format_size(size)
            )
        })
        .map_err(SourceError::Limit)
}

/// Read a whole file into memory if `copies` times its size fits in the budget.
pub(crate) fn read_budgeted(
    path: &Path,
    copies: u64,
    budget: &Budget,
) -> Result<Vec<u8>, SourceError> {
    read_budget_check(path, copies, budget)?;
    std::fs::read(path).map_err(|e| SourceError::Open {
        path: path.display().to_string(),
        reason: e.to_string(),
    })
}

fn read_text_file(
    path: &Path,
    format: &[FormatItem],
    ticker: &mut crate::progress::Ticker<'_>,
    budget: &Budget,
) -> Result<Loaded, SourceError> {
    let shown = path.display().to_string();
    // The bytes, and the text decoded from them.
    let bytes = read_budgeted(path, 2, budget)?;
    let mut charset = encoding::Charset::Auto;
    for item in format {
        if let FormatItem::Codepage(c) = item {
            charset = encoding::parse_codepage(c)?;
        }
    }
    let text = encoding::decode(&bytes, charset);
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let base = text::TextFormat {
        delimiter: text::Delimiter::Str(if ext == "tab" {
            "\t".into()
        } else {
            ",".into()
        }),
        eof_char: true,
        ..Default::default()
    };
    let fmt = text::text_format(format, base)?;
    // Progress in bytes of the file; the decoded text is about as long.
    let scale = bytes.len() as f64 / text.len().max(1) as f64;
    text::to_loaded_with(&text, &fmt, Some(&shown), &mut |pos| {
        ticker.at((pos as f64 * scale) as u64)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_defaults() {
        let l = read_inline("A, B\n1, x\n\n2,\"y, z\"\n", &[]).unwrap_or_default();
        assert_eq!(l.fields, vec!["A", "B"]);
        assert_eq!(l.row_count(), 2);
        assert_eq!(l.row(0)[1].text().as_deref(), Some(" x"));
        assert_eq!(l.row(1)[1].text().as_deref(), Some("y, z"));
        assert!(l.origins.is_empty());
    }

    #[test]
    fn kinds() {
        assert_eq!(file_kind(Path::new("a.QVD"), &[]), FileKind::Qvd);
        assert_eq!(file_kind(Path::new("a.csv"), &[]), FileKind::Text);
        assert_eq!(
            file_kind(Path::new("a.qvd"), &[FormatItem::FileType("txt".into())]),
            FileKind::Text
        );
        assert_eq!(file_kind(Path::new("a.xlsx"), &[]), FileKind::Excel);
        assert_eq!(file_kind(Path::new("a.XLSM"), &[]), FileKind::Excel);
        assert_eq!(file_kind(Path::new("a.xls"), &[]), FileKind::Excel);
        assert_eq!(
            file_kind(Path::new("a.txt"), &[FormatItem::FileType("biff".into())]),
            FileKind::Excel
        );
        assert_eq!(
            file_kind(Path::new("a.json"), &[]),
            FileKind::Other("json".into())
        );
    }
}
