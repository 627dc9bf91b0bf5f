//! `FileList()` / `DirList()` and wildcard `FROM` paths: list the files (or folders) matching a pattern
//! with `*` and `?` in its last component, sorted, in the script's notation.

use super::eval::like;
use super::sources::{resolve_path, PathContext, SourceError};

/// Matching entries, sorted; each entry is the pattern's folder part (as written) plus the file name.
pub(crate) fn list(pattern: &str, ctx: &PathContext, dirs: bool) -> Result<Vec<String>, SourceError> {
    let norm = pattern.trim();
    let cut = norm.rfind(['/', '\\']).map(|p| p + 1).unwrap_or(0);
    let (folder, name_pat) = norm.split_at(cut);
    let dir = if folder.is_empty() { resolve_path(".", ctx)? } else { resolve_path(folder, ctx)? };
    let entries = std::fs::read_dir(&dir).map_err(|e| SourceError::Open { path: dir.display().to_string(), reason: e.to_string() })?;
    let mut out = Vec::new();
    for e in entries.flatten() {
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        if is_dir != dirs {
            continue;
        }
        let name = e.file_name().to_string_lossy().into_owned();
        if like(&name, if name_pat.is_empty() { "*" } else { name_pat }) {
            out.push(format!("{folder}{name}"));
        }
    }
    out.sort();
    Ok(out)
}
