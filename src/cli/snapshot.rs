//! `qsa snapshot SCRIPT --out FILE`: write who sees what as a deterministic snapshot (atomically);
//! `--check FILE`: compare with a stored snapshot (exit 0 same, 1 changed with the change, 2 could not run).

use super::diff::{print_diff, CompareArgs};
use super::report_cmd::{eprint_diagnostics, load};
use super::tenant::TenantArgs;
use super::{DirectoryArgs, Exit, RunArgs, UserArgs};
use crate::access::Target;
use crate::diag::{codes, Diagnostic, SourceFile, SourceMap, Span};
use crate::reduce;
use crate::report::snapshot::{self, Header, Input, InputKind, Snapshot, TenantApp};
use clap::Args;
use std::io::{self, Write};
use std::path::{Component, Path, PathBuf};

#[derive(Args, Debug)]
pub struct SnapshotArgs {
    /// Script file (`.qvs`)
    pub script: PathBuf,
    /// Write the snapshot to FILE (a temporary file in the same folder, then renamed: never half-written)
    #[arg(
        long,
        value_name = "FILE",
        required_unless_present = "check",
        conflicts_with = "check"
    )]
    pub out: Option<PathBuf>,
    /// Compare with the snapshot stored in FILE instead: exit 0 when the same, 1 when changed (the change
    /// is printed, as `qsa diff` prints it), 2 when it could not run or FILE is not a snapshot
    #[arg(long, value_name = "FILE")]
    pub check: Option<PathBuf>,
    #[command(flatten)]
    pub compare: CompareArgs,
}

pub fn run(args: SnapshotArgs) -> Exit {
    if let Some(stored_path) = &args.check {
        // The stored snapshot first: a malformed one is reported before any evaluation.
        let stored = match load_snapshot(stored_path) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let now = match args.compare.take(&args.script) {
            Ok(s) => s,
            Err(e) => return e,
        };
        let d = crate::report::diff::compare(
            &stored_path.display().to_string(),
            &stored,
            &args.script.display().to_string(),
            &now,
        );
        if !d.is_change() {
            errln!(
                "qsa: {} is up to date ({} users)",
                stored_path.display(),
                now.users.len()
            );
            return Exit::Ok;
        }
        print_diff(&d, args.compare.format);
        errln!(
            "qsa: access differs from {}; if the change is intended, write it again with `qsa snapshot … --out {}`",
            stored_path.display(),
            stored_path.display()
        );
        return Exit::Findings;
    }
    let Some(out) = &args.out else {
        errln!("qsa: snapshot needs --out FILE or --check FILE");
        return Exit::CouldNotRun;
    };
    // Evaluate everything before touching the file: a run that cannot evaluate writes nothing.
    let snap = match args.compare.take(&args.script) {
        Ok(s) => s,
        Err(e) => return e,
    };
    let text = snapshot::render(&snap);
    if let Err(e) = write_atomic(out, text.as_bytes()) {
        errln!("qsa: cannot write `{}`: {e}", out.display());
        return Exit::CouldNotRun;
    }
    errln!("qsa: wrote {} ({} users)", out.display(), snap.users.len());
    Exit::Ok
}

/// Run the script and evaluate every user (as `qsa report` does) into a snapshot; with `--tenant DIR
/// --app X`, the tenant's users joined with the tenant tier (T15; format 2). `Err` = exit 2, already
/// reported.
pub(super) fn take(
    script: &Path,
    run_args: &RunArgs,
    dir_args: &DirectoryArgs,
    user_args: &UserArgs,
    tenant_args: &TenantArgs,
) -> Result<Snapshot, Exit> {
    if let Some(m) = super::tenant::conflicts(tenant_args, dir_args, user_args) {
        errln!("qsa: {m}");
        return Err(Exit::CouldNotRun);
    }
    let (mut run, dir, _catalog, _diags) = load(script, run_args, dir_args, user_args, true)?;
    let mut tenant = match &tenant_args.tenant {
        None => None,
        Some(d) => match super::tenant::load(tenant_args, d, &mut run.sources) {
            Ok(t) => Some(t),
            Err(diags) => return Err(super::tenant::refuse(&diags, &run.sources)),
        },
    };
    let target: Target = run_args.target.into();
    let prepared = match reduce::prepare(&run, target) {
        Ok(p) => p,
        Err(diags) => {
            errln!(
                "qsa: the Section Access of `{}` cannot be evaluated faithfully; refusing to take a snapshot",
                script.display()
            );
            eprint_diagnostics(&diags, &run.sources);
            return Err(Exit::CouldNotRun);
        }
    };
    let users = if let Some(t) = &mut tenant {
        std::mem::take(&mut t.users)
    } else if dir.users.is_empty() && dir_args.directory.is_empty() {
        prepared.listed_users()
    } else {
        dir.users.clone()
    };
    let mut results = prepared.evaluate(&users, false);
    let mut inputs = inputs(script, run_args, dir_args);
    let (tenant_app, per_user) = match tenant {
        None => (None, None),
        Some(t) => {
            let base = script.parent().unwrap_or(Path::new(""));
            if let Some(d) = &tenant_args.tenant {
                inputs.push(Input {
                    kind: InputKind::Tenant,
                    name: input_name(d, base),
                });
            }
            let keys: Vec<&str> = users.iter().map(|u| u.key.as_str()).collect();
            match reduce::tenant::join(&mut results, &keys, t.tenant_users) {
                Ok(per_user) => (Some(TenantApp::from_summary(&t.summary)), Some(per_user)),
                Err(who) => {
                    errln!("qsa: user `{who}` of users.json has no id the tenant model knows; refusing to take a snapshot");
                    return Err(Exit::CouldNotRun);
                }
            }
        }
    };
    let header = Header {
        inputs,
        target,
        group_mode: prepared.group_mode(),
        tenant: tenant_app,
    };
    Snapshot::from_results(header, &results, per_user.as_deref()).map_err(|m| {
        errln!("qsa: {m}");
        Exit::CouldNotRun
    })
}

/// The inputs' names for the header: never absolute (see [`input_name`]).
fn inputs(script: &Path, run_args: &RunArgs, dir_args: &DirectoryArgs) -> Vec<Input> {
    let base = script.parent().unwrap_or(Path::new(""));
    let mut out = vec![Input {
        kind: InputKind::Script,
        name: input_name(script, base),
    }];
    let files = |kind, paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| Input {
                kind,
                name: input_name(p, base),
            })
            .collect::<Vec<_>>()
    };
    out.extend(files(InputKind::Directory, &dir_args.directory));
    out.extend(files(InputKind::Groups, &dir_args.groups));
    let (libs, tables) = run_args
        .options()
        .map(|o| (o.libs, o.tables))
        .unwrap_or_default();
    for (kind, pairs) in [(InputKind::Table, tables), (InputKind::Lib, libs)] {
        for (name, path) in pairs {
            out.push(Input {
                kind,
                name: format!("{name}={}", input_name(&path, base)),
            });
        }
    }
    out
}

/// A path as the header records it: a relative path as given; an absolute one relative to the current
/// folder, else to the script's folder, else its file name alone. `/` separates folders on every system;
/// `.` components are dropped.
pub fn input_name(path: &Path, script_dir: &Path) -> String {
    let rel: PathBuf = if path.is_absolute() {
        let cwd = std::env::current_dir().ok();
        let script_dir = std::path::absolute(script_dir).ok();
        [cwd, script_dir]
            .into_iter()
            .flatten()
            .find_map(|base| path.strip_prefix(base).ok().map(Path::to_path_buf))
            .unwrap_or_else(|| path.file_name().map(PathBuf::from).unwrap_or_default())
    } else {
        path.to_path_buf()
    };
    rel.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Read a stored snapshot; `Err` = exit 2, reported with file, line and column and what was expected.
pub(super) fn load_snapshot(path: &Path) -> Result<Snapshot, Exit> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            errln!("qsa: cannot read snapshot `{}`: {e}", path.display());
            return Err(Exit::CouldNotRun);
        }
    };
    let (text, err) = match std::str::from_utf8(&bytes) {
        Ok(t) => (t.to_string(), None),
        Err(e) => {
            // Locate the first byte that is not UTF-8 in the text before it.
            let before = String::from_utf8_lossy(&bytes[..e.valid_up_to()]).into_owned();
            let line = before.matches('\n').count() + 1;
            let column = before
                .rsplit('\n')
                .next()
                .map(|l| l.chars().count())
                .unwrap_or(0)
                + 1;
            let err = snapshot::ReadError {
                line,
                column,
                message: "expected UTF-8 text (a snapshot is written in UTF-8)".into(),
            };
            (String::from_utf8_lossy(&bytes).into_owned(), Some(err))
        }
    };
    // A NUL byte is never snapshot text (a corrupt file), wherever it is.
    let err = err.or_else(|| {
        text.find('\0').map(|at| {
            let before = &text[..at];
            snapshot::ReadError {
                line: before.matches('\n').count() + 1,
                column: before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1,
                message: "a NUL byte: a snapshot is plain text (is the file corrupt?)".into(),
            }
        })
    });
    let err = match err {
        Some(e) => e,
        None => match snapshot::read(&text) {
            Ok(s) => return Ok(s),
            Err(e) => e,
        },
    };
    let mut sources = SourceMap::default();
    let file = SourceFile::new(path.display().to_string(), Some(path.to_path_buf()), text);
    let at = offset_of(&file.text, err.line, err.column);
    let end = file.text[at..]
        .chars()
        .next()
        .filter(|c| *c != '\n')
        .map(|c| at + c.len_utf8())
        .unwrap_or(at);
    let id = sources.add(file);
    errln!(
        "qsa: {}:{}:{}: malformed snapshot: {}",
        path.display(),
        err.line,
        err.column,
        err.message
    );
    let d = Diagnostic::error(
        codes::SNAPSHOT_MALFORMED,
        format!("malformed snapshot: {}", err.message),
    )
    .at(id, Span::new(at, end), "here")
    .with_help("write it again with `qsa snapshot SCRIPT … --out FILE`");
    eprint_diagnostics(&[d], &sources);
    Err(Exit::CouldNotRun)
}

/// The byte offset of 1-based line and column (in characters) in `text`, clamped to the text.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let start = text
        .split_inclusive('\n')
        .take(line.saturating_sub(1))
        .map(str::len)
        .sum::<usize>()
        .min(text.len());
    let rest = &text[start..];
    rest.char_indices()
        .nth(column.saturating_sub(1))
        .map(|(i, _)| start + i)
        .unwrap_or(text.len())
}

/// Write `bytes` to `path` atomically: see [`write_atomic_with`].
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    write_atomic_with(path, |f| f.write_all(bytes))
}

/// Write a file atomically: `write` fills a new temporary file in the same folder (so the rename stays on
/// one file system), which is flushed to disk and renamed over `path`. Readers see the old file or the
/// new one, never a part. On any error the temporary file is removed and `path` is left as it was. (A
/// process killed while writing may leave the temporary file `.NAME.qsa-tmp-PID-N`, never a partial
/// `path`.)
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut std::fs::File) -> io::Result<()>,
) -> io::Result<()> {
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file")
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{}.qsa-tmp-{}-{attempt}",
            name.to_string_lossy(),
            std::process::id()
        ));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
        {
            Ok(f) => break (tmp, f),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 1000 => attempt += 1,
            Err(e) => return Err(e),
        }
    };
    let written = write(&mut file).and_then(|()| file.sync_all());
    drop(file);
    let done = written.and_then(|()| std::fs::rename(&tmp, path));
    if done.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    done
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("qsa-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        dir
    }

    fn content(p: &Path) -> Option<String> {
        std::fs::read_to_string(p).ok()
    }

    fn listing(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("the scratch folder lists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn an_interrupted_write_leaves_the_old_file_and_no_temporary_file() {
        let dir = scratch("interrupted");
        let target = dir.join("access.snap");
        std::fs::write(&target, "old snapshot\n").expect("write the old file");
        let mut seen_while_writing = vec![];
        let r = write_atomic_with(&target, |f| {
            f.write_all(b"# qsa snapshot 1\nhalf of a")?;
            // While writing, the new text is in a temporary file in the same folder; the target is intact.
            seen_while_writing = listing(&dir);
            assert_eq!(content(&target).as_deref(), Some("old snapshot\n"));
            Err(io::Error::other("interrupted"))
        });
        assert!(r.is_err());
        assert_eq!(seen_while_writing.len(), 2, "{seen_while_writing:?}");
        assert!(
            seen_while_writing
                .iter()
                .any(|n| n.starts_with(".access.snap.qsa-tmp-")),
            "{seen_while_writing:?}"
        );
        assert_eq!(
            listing(&dir),
            ["access.snap"],
            "the temporary file is removed"
        );
        assert_eq!(content(&target).as_deref(), Some("old snapshot\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_failed_write_of_a_new_file_leaves_nothing() {
        let dir = scratch("new");
        let target = dir.join("new.snap");
        let r = write_atomic_with(&target, |f| {
            f.write_all(b"part")?;
            Err(io::Error::other("disk full"))
        });
        assert!(r.is_err());
        assert!(listing(&dir).is_empty(), "{:?}", listing(&dir));
        // A rename that fails (the target is a folder) also cleans up.
        std::fs::create_dir(dir.join("taken")).expect("a folder");
        assert!(write_atomic(&dir.join("taken"), b"x").is_err());
        assert_eq!(listing(&dir), ["taken"]);
        // And a write that succeeds replaces the file whole.
        write_atomic(&target, b"whole\n").expect("the write succeeds");
        assert_eq!(listing(&dir), ["new.snap", "taken"]);
        assert_eq!(content(&target).as_deref(), Some("whole\n"));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn input_names_are_never_absolute() {
        let here = std::env::current_dir().expect("a current folder");
        assert_eq!(
            input_name(Path::new("./fixtures/x.qvs"), Path::new("fixtures")),
            "fixtures/x.qvs"
        );
        assert_eq!(
            input_name(&here.join("fixtures").join("x.qvs"), Path::new("fixtures")),
            "fixtures/x.qvs"
        );
        assert_eq!(
            input_name(
                Path::new("/somewhere/else/users.json"),
                Path::new("fixtures")
            ),
            "users.json"
        );
        assert_eq!(
            input_name(Path::new("../data/users.json"), Path::new("")),
            "../data/users.json"
        );
    }

    #[test]
    fn offsets_of_lines_and_columns() {
        let t = "ab\nçd\n";
        assert_eq!(offset_of(t, 1, 1), 0);
        assert_eq!(offset_of(t, 2, 2), 5);
        assert_eq!(offset_of(t, 9, 9), t.len());
    }
}
