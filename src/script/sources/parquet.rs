//! Parquet files through polars.

use super::{Loaded, SourceError};
use std::path::Path;

/// Read a Parquet file.
pub fn read_parquet(path: &Path) -> Result<Loaded, SourceError> {
    Err(SourceError::Unsupported(format!(
        "Parquet (reading `{}`)",
        path.display()
    )))
}
