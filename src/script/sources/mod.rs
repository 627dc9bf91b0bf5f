//! Data sources: INLINE data and delimited text with Qlik's format specification, QVD, Parquet; and
//! path resolution (`lib://`, relative paths, `Directory`), `FileList`/`DirList`.
//!
//! Sources return values as loaded (text, with a number where the text reads as one, or QVD duals).
//! Section Access normalization (S4 upper-casing, S5 trimming) is the runner's job.

use crate::model::{RowOrigin, Value};
use crate::syntax::FormatItem;
use std::path::{Path, PathBuf};

/// A table as read from a source, before the runner applies field expressions.
#[derive(Clone, Debug, Default)]
pub struct Loaded {
    pub fields: Vec<String>,
    /// Row-major values, each row as long as `fields`.
    pub rows: Vec<Vec<Value>>,
    /// One per row (file path and 1-based record number); empty for INLINE (the runner knows the lines).
    pub origins: Vec<RowOrigin>,
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

/// Resolve a path as written in the script.
pub fn resolve_path(raw: &str, ctx: &PathContext) -> Result<PathBuf, SourceError> {
    let _ = ctx;
    Ok(Path::new(raw).to_path_buf())
}

/// Parse INLINE data with its format spec (default: embedded labels, `,` delimiter, msq quoting).
pub fn read_inline(data: &str, format: &[FormatItem]) -> Result<Loaded, SourceError> {
    let _ = (data, format);
    Err(SourceError::Unsupported("INLINE".into()))
}

/// Read a file per its format spec (or its extension when the spec names no file type).
pub fn read_file(path: &Path, format: &[FormatItem]) -> Result<Loaded, SourceError> {
    let _ = format;
    Err(SourceError::Unsupported(path.display().to_string()))
}
