//! Paths as written in scripts: `lib://Name/sub/file.csv`, relative paths (against the `Directory`
//! folder or the script's folder), absolute paths, Windows separators; and `FileList()` / `DirList()`.

use super::{PathContext, SourceError};
use std::path::{Component, Path, PathBuf};

fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &s[prefix.len()..])
}

/// `C:/…`, `/…`, `//server/share/…`
fn is_absolute(norm: &str) -> bool {
    let b = norm.as_bytes();
    norm.starts_with('/') || (b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':')
}

/// `http://…`, `s3://…` and other schemes other than `lib://`.
fn scheme(norm: &str) -> Option<&str> {
    let i = norm.find("://")?;
    let s = &norm[..i];
    (i > 1
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-' || c == '.'))
    .then_some(s)
}

/// Remove `.` components and fold `name/..` pairs, without touching the file system.
fn normalize(p: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in p.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir) | Some(Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    let p: PathBuf = out.iter().collect();
    if p.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        p
    }
}

fn resolve_lib(rest: &str, ctx: &PathContext) -> Result<PathBuf, SourceError> {
    let (name, sub) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i + 1..]),
        None => (rest, ""),
    };
    let name = name.trim();
    let dir = ctx
        .libs
        .iter()
        .find(|(n, _)| n.trim().eq_ignore_ascii_case(name))
        .map(|(_, d)| d.clone())
        .ok_or_else(|| SourceError::UnmappedLib(name.to_string()))?;
    let sub = sub.trim_start_matches('/');
    Ok(normalize(&if sub.is_empty() { dir } else { dir.join(sub) }))
}

/// Resolve a path as written in the script: `lib://Name/…` through `ctx.libs` (names compared
/// case-insensitively; an unmapped name is [`SourceError::UnmappedLib`]); absolute paths as they are;
/// relative paths against the `Directory` folder (itself resolved against the script folder) or the
/// script folder. `\` is read as `/`. `..` is allowed (Qlik's legacy mode allows it) and folded lexically.
pub fn resolve_path(raw: &str, ctx: &PathContext) -> Result<PathBuf, SourceError> {
    let norm = raw.trim().replace('\\', "/");
    if let Some(rest) = strip_prefix_ci(&norm, "lib://") {
        return resolve_lib(rest, ctx);
    }
    if let Some(s) = scheme(&norm) {
        return Err(SourceError::Unsupported(format!(
            "`{s}://` paths (`{}`): map files with --lib",
            raw.trim()
        )));
    }
    if is_absolute(&norm) {
        return Ok(normalize(Path::new(&norm)));
    }
    let base = match ctx.directory.as_deref().map(str::trim) {
        Some(d) if !d.is_empty() => {
            let inner = PathContext {
                directory: None,
                ..ctx.clone()
            };
            resolve_path(d, &inner)?
        }
        _ => ctx.script_dir.clone(),
    };
    Ok(normalize(&base.join(norm)))
}

/// `*` matches any run of characters, `?` one character; case-insensitive (as on Windows, where most
/// Qlik scripts were written).
pub fn wildcard_match(pattern: &str, name: &str) -> bool {
    let p: Vec<char> = pattern.chars().flat_map(char::to_lowercase).collect();
    let n: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let (mut pi, mut ni) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match p.get(pi) {
            Some('*') => {
                star = Some((pi, ni));
                pi += 1;
            }
            Some(&c) if c == '?' || c == n[ni] => {
                pi += 1;
                ni += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    pi = sp + 1;
                    ni = sn + 1;
                    star = Some((sp, sn + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// Split a pattern as written into its folder part (kept as written, with its trailing separator) and
/// its name mask.
fn split_pattern(pattern: &str) -> (&str, &str) {
    let t = pattern.trim();
    // Never split inside `lib://`.
    let floor = strip_prefix_ci(t, "lib://")
        .map(|_| "lib://".len())
        .unwrap_or(0);
    match t[floor..].rfind(['/', '\\']) {
        Some(i) => t.split_at(floor + i + 1),
        None if floor > 0 => (t, ""),
        None => ("", t),
    }
}

fn list(pattern: &str, ctx: &PathContext, dirs: bool) -> Result<Vec<String>, SourceError> {
    let (dir_written, mask) = split_pattern(pattern);
    if mask.is_empty() {
        return Ok(Vec::new());
    }
    let dir = resolve_path(
        if dir_written.is_empty() {
            "."
        } else {
            dir_written
        },
        ctx,
    )?;
    let entries = std::fs::read_dir(&dir).map_err(|e| SourceError::Open {
        path: dir.display().to_string(),
        reason: e.to_string(),
    })?;
    let mut names: Vec<String> = Vec::new();
    for e in entries.flatten() {
        let is_dir = e.file_type().map(|t| t.is_dir()).unwrap_or(false);
        // Follow symlinks to decide what they are.
        let is_dir = is_dir || (e.path().is_dir());
        if is_dir != dirs {
            continue;
        }
        if let Some(name) = e.file_name().to_str() {
            if wildcard_match(mask, name) {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    Ok(names
        .into_iter()
        .map(|n| format!("{dir_written}{n}"))
        .collect())
}

/// `FileList(pattern)`: the files matching a wildcard mask (`*`, `?`) in the last path component, sorted
/// by name, returned in the script's notation (`lib://Data/a.csv` stays `lib://Data/a.csv`; a relative
/// pattern gives relative paths, which resolve the same way later). A folder that does not exist is
/// [`SourceError::Open`] (Qlik yields no files; the runner decides how loud to be).
pub fn file_list(pattern: &str, ctx: &PathContext) -> Result<Vec<String>, SourceError> {
    list(pattern, ctx, false)
}

/// `DirList(pattern)`: as [`file_list`], for folders.
pub fn dir_list(pattern: &str, ctx: &PathContext) -> Result<Vec<String>, SourceError> {
    list(pattern, ctx, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> PathContext {
        PathContext {
            script_dir: PathBuf::from("/s"),
            directory: None,
            libs: vec![("Data".into(), PathBuf::from("/d"))],
        }
    }

    #[test]
    fn resolves() {
        let c = ctx();
        assert_eq!(
            resolve_path("lib://data/x/y.csv", &c),
            Ok(PathBuf::from("/d/x/y.csv"))
        );
        assert_eq!(
            resolve_path("lib://DATA\\x\\y.csv", &c),
            Ok(PathBuf::from("/d/x/y.csv"))
        );
        assert_eq!(resolve_path("lib://Data", &c), Ok(PathBuf::from("/d")));
        assert_eq!(
            resolve_path("lib://Other/a", &c),
            Err(SourceError::UnmappedLib("Other".into()))
        );
        assert_eq!(resolve_path("a.csv", &c), Ok(PathBuf::from("/s/a.csv")));
        assert_eq!(
            resolve_path("..\\up\\a.csv", &c),
            Ok(PathBuf::from("/up/a.csv"))
        );
        assert_eq!(
            resolve_path("/abs/a.csv", &c),
            Ok(PathBuf::from("/abs/a.csv"))
        );
        assert!(matches!(
            resolve_path("https://x/y", &c),
            Err(SourceError::Unsupported(_))
        ));
        let c2 = PathContext {
            directory: Some("sub".into()),
            ..ctx()
        };
        assert_eq!(
            resolve_path("a.csv", &c2),
            Ok(PathBuf::from("/s/sub/a.csv"))
        );
        let c3 = PathContext {
            directory: Some("lib://Data/in".into()),
            ..ctx()
        };
        assert_eq!(resolve_path("a.csv", &c3), Ok(PathBuf::from("/d/in/a.csv")));
    }

    #[test]
    fn wildcards() {
        assert!(wildcard_match("*.csv", "Sales.CSV"));
        assert!(wildcard_match("s?les_*", "sales_2024.qvd"));
        assert!(!wildcard_match("*.csv", "a.csv.bak"));
        assert!(wildcard_match("*", ""));
        assert!(!wildcard_match("?", ""));
        assert!(wildcard_match("a*b*c", "aXXbYYbc"));
    }

    #[test]
    fn splits_patterns() {
        assert_eq!(split_pattern("lib://Data/*.csv"), ("lib://Data/", "*.csv"));
        assert_eq!(split_pattern("lib://Data"), ("lib://Data", ""));
        assert_eq!(split_pattern("*.csv"), ("", "*.csv"));
        assert_eq!(split_pattern("..\\in\\*.txt"), ("..\\in\\", "*.txt"));
    }
}
