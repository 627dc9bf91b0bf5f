//! QVD files (Qlik's own table format).

use super::{Loaded, SourceError};
use std::path::Path;

/// Read a QVD file: field names, and every cell as Qlik stored it (duals keep text and number; NULL stays
/// NULL).
pub fn read_qvd(path: &Path) -> Result<Loaded, SourceError> {
    Err(SourceError::Unsupported(format!(
        "QVD (reading `{}`)",
        path.display()
    )))
}
