//! The bodies of the fuzz targets, shared by `fuzz/fuzz_targets/*.rs` (nightly, libFuzzer) and by the
//! main crate's `tests/fuzz_replay.rs` (stable), which feeds them every committed reproducer and seed.
//!
//! Every body takes the raw fuzzer input. Inputs that stand for several files (the runner's script and
//! data files, a directory export, a tenant folder) use a container that `fuzz/seed.py` writes from the
//! fixtures: the first part, then for each file a line `\n\0FILE <name>\n` followed by its bytes
//! ([`split_files`]). A body returns the error it got (or `Ok`); a panic anywhere is the finding.

#![allow(dead_code)]

use qsa::diag::SourceId;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Marks the start of a file in a multi-file input; the file's name runs to the end of the line.
pub const FILE_MARK: &[u8] = b"\n\0FILE ";

/// A target's body: the raw fuzzer input in, what it did with it out.
pub type Body = fn(&[u8]) -> Outcome;

/// Every target by name: what the replay test calls for `fuzz/regressions/NAME/…` and `fuzz/corpus/NAME/…`.
pub const TARGETS: &[(&str, Body)] = &[
    ("parse", parse),
    ("run", run),
    ("text", text),
    ("qvd", qvd),
    ("parquet", parquet),
    ("excel", excel),
    ("directory", directory),
    ("tenant", tenant),
    ("snapshot", snapshot),
    ("config", config),
    ("report", report),
];

/// Run `body` on `data` under libFuzzer. libfuzzer-sys aborts on any panic, even one qsa catches on
/// purpose (the Parquet, QVD and Excel readers turn a panic inside polars, openqvd or calamine into a
/// refusal); this hook only remembers the message, and a panic that reaches here is printed and aborts.
pub fn fuzz(data: &[u8], body: Body) {
    use std::sync::{Mutex, Once};
    static HOOK: Once = Once::new();
    type Last = Option<(String, std::backtrace::Backtrace)>;
    static LAST: Mutex<Last> = Mutex::new(None);
    HOOK.call_once(|| {
        // QSA_FUZZ_CAUGHT=1: also print every panic where it happens, caught or not (to list the
        // panics qsa catches in its dependencies: `QSA_FUZZ_CAUGHT=1 BIN corpus/TARGET/*`).
        let show = std::env::var_os("QSA_FUZZ_CAUGHT").is_some();
        std::panic::set_hook(Box::new(move |info| {
            if show {
                eprintln!("caught panic: {info}");
            }
            if let Ok(mut last) = LAST.lock() {
                *last = Some((info.to_string(), std::backtrace::Backtrace::force_capture()));
            }
        }));
        // rayon's global pool as this one thread (the one libFuzzer calls every input on): qsa's
        // parallel iterators then run inline, where a pool of one other thread cost two context
        // switches per call (~20% of `report`'s time in futex waits and wake-ups). Not in the replay
        // tests, whose test threads share the global pool. If a pool exists already, nothing changes.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .use_current_thread()
            .build_global();
    });
    if std::panic::catch_unwind(|| body(data)).is_err() {
        if let Ok(Some((msg, trace))) = LAST.lock().as_deref() {
            eprintln!("panic: {msg}\n{trace}");
        }
        std::process::abort();
    }
}

/// What a body did with its input: accepted it, or refused it (the messages of its errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Accepted,
    Refused(String),
}

impl Outcome {
    fn of<T, E: std::fmt::Display>(r: Result<T, E>) -> Outcome {
        match r {
            Ok(_) => Outcome::Accepted,
            Err(e) => Outcome::Refused(e.to_string()),
        }
    }
    /// Every error, one a line (`CODE: message`), so that a regression can expect any of them.
    fn of_diags(diags: &[qsa::diag::Diagnostic]) -> Outcome {
        let errors: Vec<String> = (diags.iter().filter(|d| d.is_error()))
            .map(|d| format!("{}: {}", d.code, d.message))
            .collect();
        if errors.is_empty() {
            Outcome::Accepted
        } else {
            Outcome::Refused(errors.join("\n"))
        }
    }
}

/// The first part and the files of a multi-file input. A file whose name is not a plain relative path
/// (letters, digits, `._-`, at most one folder, no `..`) is dropped, so nothing is written outside the
/// temporary folder.
pub fn split_files(data: &[u8]) -> (&[u8], Vec<(String, &[u8])>) {
    let mut parts = Vec::new();
    let mut rest = data;
    let mut head: Option<&[u8]> = None;
    loop {
        let at = find(rest, FILE_MARK);
        let (this, next) = match at {
            Some(i) => (&rest[..i], Some(&rest[i + FILE_MARK.len()..])),
            None => (rest, None),
        };
        match head {
            None => head = Some(this),
            Some(_) => parts.push(this),
        }
        match next {
            Some(n) => rest = n,
            None => break,
        }
    }
    let files = parts
        .into_iter()
        .filter_map(|p| {
            let nl = p.iter().position(|&b| b == b'\n').unwrap_or(p.len());
            let name = std::str::from_utf8(&p[..nl]).ok()?.trim().to_string();
            let body = p.get(nl + 1..).unwrap_or(&[]);
            safe_name(&name).then_some((name, body))
        })
        .collect();
    (head.unwrap_or(&[]), files)
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn safe_name(name: &str) -> bool {
    let parts: Vec<&str> = name.split('/').collect();
    !name.is_empty()
        && name.len() <= 80
        && parts.len() <= 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && *p != "."
                && *p != ".."
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._- ".contains(&b))
        })
}

/// Where [`TempDir`]s go: `/dev/shm` (memory) when there is one, so that writing an input's files costs
/// no disk I/O (a file per execution, thousands per second); else the system temporary folder.
fn temp_root() -> &'static Path {
    static ROOT: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    ROOT.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        if shm.is_dir() && std::fs::metadata(shm).is_ok_and(|m| !m.permissions().readonly()) {
            shm.to_path_buf()
        } else {
            std::env::temp_dir()
        }
    })
}

/// The limits every body runs under: far below the defaults, so that one execution stays in
/// milliseconds and within libFuzzer's memory limit; reaching one is a refusal like any other (the
/// limits themselves are what `tests/limits.rs` checks at their defaults). The loop bound is
/// [`run_options`]' `max_iterations`.
pub fn limits() -> qsa::limits::Limits {
    qsa::limits::Limits {
        max_memory: 8 << 20,
        max_expansion: 1 << 20,
        max_generated_rows: 20_000,
        max_rows_processed: 100_000,
    }
}

/// A memory budget of [`limits`]' size, for the file readers called alone.
fn budget() -> qsa::limits::Budget {
    qsa::limits::Budget::new(limits().max_memory)
}

/// A fresh folder under [`temp_root`], removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new() -> TempDir {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let p = temp_root().join(format!("qsa-fuzz-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("the temporary folder can be created");
        TempDir(p)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// Write `files` (names as [`split_files`] keeps them) into the folder.
    pub fn write(&self, files: &[(String, &[u8])]) {
        for (name, bytes) in files {
            let p = self.0.join(name);
            if let Some(parent) = p.parent() {
                let _ = std::fs::create_dir_all(parent);
            }
            let _ = std::fs::write(p, bytes);
        }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn run_options(dir: &Path) -> qsa::script::RunOptions {
    qsa::script::RunOptions {
        libs: vec![
            ("DataFiles".into(), dir.to_path_buf()),
            ("Data".into(), dir.to_path_buf()),
        ],
        today: Some("2024-03-15".into()),
        // A loop the fuzzer writes must end fast; the bound itself is what is tested (QSA104). A loop
        // whose body loads RESIDENT from, or joins into, a table it grows does work quadratic in its
        // iterations (as in Qlik), or iterations × the memory limit: at 20,000 iterations such inputs
        // ran for minutes, at 500 (and 16 MiB) one still took 10 s.
        max_iterations: 200,
        limits: limits(),
        vars: vec![("vFuzz".into(), "1".into())],
        ..Default::default()
    }
}

/// `parse`: script text → syntax tree and diagnostics; the tree prints back.
pub fn parse(data: &[u8]) -> Outcome {
    let text = qsa::diag::decode_script_bytes(data);
    let parsed = qsa::syntax::parse_script(SourceId(0), &text);
    for s in &parsed.script.statements {
        let _ = format!("{s:?}");
    }
    let _ = qsa::syntax::parse_expr(SourceId(0), &text);
    let _ = qsa::syntax::parse_args(SourceId(0), &text);
    Outcome::of_diags(&parsed.diagnostics)
}

/// `run`: the script (first part) as `main.qvs`, the files beside it (also `lib://DataFiles/`), run.
pub fn run(data: &[u8]) -> Outcome {
    let (script, files) = split_files(data);
    let dir = TempDir::new();
    dir.write(&files);
    let main = dir.path().join("main.qvs");
    let _ = std::fs::write(&main, script);
    match qsa::script::run_file(&main, &run_options(dir.path())) {
        Ok(r) => Outcome::of_diags(&r.diagnostics),
        Err(e) => Outcome::Refused(e.to_string()),
    }
}

/// The format items of `(spec)` as the parser reads them from a LOAD.
fn format_items(spec: &str) -> Vec<qsa::syntax::FormatItem> {
    use qsa::syntax::{LoadSource, StmtKind};
    let script = format!("T: LOAD * FROM [data] ({spec});");
    let parsed = qsa::syntax::parse_script(SourceId(0), &script);
    parsed
        .script
        .statements
        .into_iter()
        .find_map(|s| match s.kind {
            StmtKind::Load(l) => l.parts.into_iter().find_map(|p| match p.source {
                LoadSource::From { format, .. } => Some(format),
                _ => None,
            }),
            _ => None,
        })
        .unwrap_or_default()
}

/// The first line and the rest.
fn first_line(data: &[u8]) -> (String, &[u8]) {
    let nl = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    (
        String::from_utf8_lossy(&data[..nl]).into_owned(),
        data.get(nl + 1..).unwrap_or(&[]),
    )
}

/// `text`: first line a format spec (`txt, utf8, embedded labels, delimiter is ';', msq`), the rest the
/// file; read as `data.csv` (`data.tab` when the spec's line starts with `tab:`).
pub fn text(data: &[u8]) -> Outcome {
    let (spec, body) = first_line(data);
    let (name, spec) = match spec.strip_prefix("tab:") {
        Some(s) => ("data.tab", s.to_string()),
        None => ("data.csv", spec),
    };
    let format = format_items(&spec);
    let dir = TempDir::new();
    let path = dir.path().join(name);
    let _ = std::fs::write(&path, body);
    Outcome::of(qsa::script::sources::read_file_budgeted(
        &path,
        &format,
        &qsa::progress::NoProgress,
        &budget(),
    ))
}

/// `qvd`: the bytes as a QVD file.
pub fn qvd(data: &[u8]) -> Outcome {
    Outcome::of(qsa::script::sources::qvd::read_qvd_bytes(
        data.to_vec(),
        "fuzz.qvd",
    ))
}

/// `parquet`: the bytes as a Parquet file.
pub fn parquet(data: &[u8]) -> Outcome {
    let dir = TempDir::new();
    let path = dir.path().join("fuzz.parquet");
    let _ = std::fs::write(&path, data);
    Outcome::of(qsa::script::sources::parquet::read_parquet_budgeted(
        &path,
        &budget(),
    ))
}

/// `excel`: first line a format spec (`ooxml, embedded labels, header is 1 lines, table is Sheet1`), the
/// rest the workbook (`.xlsx` or `.xls`: the content decides).
pub fn excel(data: &[u8]) -> Outcome {
    let (spec, body) = first_line(data);
    let format = format_items(&spec);
    let dir = TempDir::new();
    let path = dir.path().join("book.xlsx");
    let _ = std::fs::write(&path, body);
    Outcome::of(qsa::script::sources::excel::read_excel_budgeted(
        &path,
        &format,
        &budget(),
    ))
}

/// `directory`: the files of `--directory` (the first part as `users.json`, then files whose names do not
/// start with `groups`) and of `--groups` (names starting with `groups`).
pub fn directory(data: &[u8]) -> Outcome {
    let (users, mut files) = split_files(data);
    files.insert(0, ("users.json".into(), users));
    let dir = TempDir::new();
    dir.write(&files);
    let (mut users_files, mut group_files) = (Vec::new(), Vec::new());
    for (name, _) in &files {
        let p = dir.path().join(name);
        if name.starts_with("groups") {
            group_files.push(p);
        } else if !users_files.contains(&p) {
            users_files.push(p);
        }
    }
    let mut sources = qsa::diag::SourceMap::default();
    let mut diags = Vec::new();
    let (d, catalog, ok) =
        qsa::access::directory::load(&users_files, &group_files, None, &mut sources, &mut diags);
    let _ = (d.users.len(), catalog.upper_names());
    if ok {
        Outcome::Accepted
    } else {
        Outcome::of_diags(&diags)
    }
}

/// `tenant`: the first part is the `--app` query, the files a `--tenant DIR` folder (`users.json`,
/// `assignments/SPACE.json`, …); read and evaluated as `--tenant DIR --app X` does before Section Access.
pub fn tenant(data: &[u8]) -> Outcome {
    let (query, files) = split_files(data);
    let query = String::from_utf8_lossy(query).trim().to_string();
    let dir = TempDir::new();
    dir.write(&files);
    let mut sources = qsa::diag::SourceMap::default();
    let ex = match qsa::tenant::load(dir.path(), &mut sources) {
        Ok(ex) => ex,
        Err(d) => return Outcome::Refused(d.message.clone()),
    };
    let mut warnings = Vec::new();
    let model = match qsa::tenant::Tenant::new(&ex) {
        Ok(m) => m,
        Err(d) => return Outcome::Refused(d.message.clone()),
    };
    let app = match model.app(&query, &mut warnings) {
        Ok(a) => a,
        Err(d) => return Outcome::Refused(d.message.clone()),
    };
    let _ = model.summary(&app);
    if let Err(d) = model.evaluate_all(&app, &mut warnings) {
        return Outcome::Refused(d.message.clone());
    }
    let _ = qsa::tenant::app_groups(&ex, &app);
    let mut read = Vec::new();
    let (_, _, ok) = qsa::access::directory::load(
        &[dir.path().join("users.json")],
        &[dir.path().join("groups.json")],
        None,
        &mut sources,
        &mut read,
    );
    if ok {
        Outcome::Accepted
    } else {
        Outcome::of_diags(&read)
    }
}

/// `snapshot`: the text as a snapshot file (`qsa snapshot --check FILE`, `qsa diff`). What it reads must
/// write back to text that reads as the same snapshot.
pub fn snapshot(data: &[u8]) -> Outcome {
    use qsa::report::snapshot::{read, render};
    let text = String::from_utf8_lossy(data);
    let s = match read(&text) {
        Ok(s) => s,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let written = render(&s);
    match read(&written) {
        Ok(again) => assert!(
            again == s,
            "a snapshot read back differently after writing it:\n{written}"
        ),
        Err(e) => panic!("a snapshot qsa wrote does not read back ({e}):\n{written}"),
    }
    Outcome::Accepted
}

/// `config`: the text as `qsa.toml`.
pub fn config(data: &[u8]) -> Outcome {
    let text = String::from_utf8_lossy(data);
    let mut policy = qsa::lints::Policy::default();
    match qsa::lints::config::apply_text(&text, SourceId(0), &mut policy) {
        Ok(()) => Outcome::Accepted,
        Err(d) => Outcome::Refused(d.message.clone()),
    }
}

/// The script of the `report` target: a Section Access table and one or two app tables whose columns
/// and values the input picks from small sets (so that users, groups and values meet).
pub fn report_script(u: &mut arbitrary::Unstructured<'_>) -> arbitrary::Result<String> {
    const IDS: &[&str] = &[
        "U1",
        "U2",
        "u1",
        "ADMIN",
        "*",
        "DOM\\U3",
        "",
        "U1 ",
        "INTERNAL\\SA_SCHEDULER",
    ];
    const ACCESS: &[&str] = &["USER", "ADMIN", "admin", "BASIC", "", "User"];
    const GROUPS: &[&str] = &["G1", "G2", "g1", "*", ""];
    const VALUES: &[&str] = &["A", "B", "C", "a", "*", "", "1", "01", "1.0", " A", "NULL"];
    const OMITS: &[&str] = &["", "X", "Y", "REGION", "Region", "KEY", "*"];
    const FIELDS: &[&str] = &["REGION", "CATEGORY", "Region", "KEY"];
    let mut s = String::new();
    match u.int_in_range(0..=4u8)? {
        0 => {}
        m @ 1..=3 => s.push_str(&format!("SET QlikCloudGroupMode = {};\n", m - 1)),
        _ => s.push_str("LET QlikCloudGroupMode = 'x';\n"),
    }
    if u.ratio(1, 4)? {
        s.push_str("Star is *;\n");
    }
    s.push_str("Section Access;\n");
    let mut reduce = Vec::new();
    for f in FIELDS.iter().take(2) {
        if u.arbitrary()? {
            reduce.push(*f);
        }
    }
    let group = u.arbitrary::<bool>()?;
    let omit = u.arbitrary::<bool>()?;
    let mut cols = vec!["ACCESS", "USERID"];
    if group {
        cols.push("GROUP");
    }
    cols.extend(&reduce);
    if omit {
        cols.push("OMIT");
    }
    s.push_str(&format!("SA:\nLOAD * INLINE [\n{}\n", cols.join(", ")));
    for _ in 0..u.int_in_range(0..=6u8)? {
        let mut row = vec![*u.choose(ACCESS)?, *u.choose(IDS)?];
        if group {
            row.push(u.choose(GROUPS)?);
        }
        for _ in &reduce {
            row.push(u.choose(VALUES)?);
        }
        if omit {
            row.push(u.choose(OMITS)?);
        }
        s.push_str(&row.join(", "));
        s.push('\n');
    }
    s.push_str("];\nSection Application;\n");
    let tables = u.int_in_range(1..=2u8)?;
    for t in 0..tables {
        let mut cols: Vec<&str> = Vec::new();
        for f in FIELDS {
            if u.arbitrary()? {
                cols.push(f);
            }
        }
        cols.push(if t == 0 { "X" } else { "Y" });
        s.push_str(&format!("T{t}:\nLOAD * INLINE [\n{}\n", cols.join(", ")));
        for _ in 0..u.int_in_range(0..=8u8)? {
            let row: Vec<&str> = cols
                .iter()
                .map(|_| u.choose(VALUES).copied())
                .collect::<arbitrary::Result<_>>()?;
            s.push_str(&row.join(", "));
            s.push('\n');
        }
        s.push_str("];\n");
    }
    Ok(s)
}

/// `report`: a generated script (see [`report_script`]), then what `qsa report` does with it: run,
/// prepare (or refuse), evaluate every listed user, and render JSON, CSV, the table, HTML and a snapshot.
pub fn report(data: &[u8]) -> Outcome {
    use qsa::access::Target;
    use qsa::report::{html, snapshot, users};
    let mut u = arbitrary::Unstructured::new(data);
    let Ok(script) = report_script(&mut u) else {
        return Outcome::Refused("not enough input".into());
    };
    let target = if u.arbitrary().unwrap_or(false) {
        Target::ClientManaged
    } else {
        Target::Cloud
    };
    let detail = u.arbitrary().unwrap_or(false);
    let dir = TempDir::new();
    let main = dir.path().join("main.qvs");
    let _ = std::fs::write(&main, &script);
    let run = match qsa::script::run_file(&main, &run_options(dir.path())) {
        Ok(r) => r,
        Err(e) => return Outcome::Refused(e.to_string()),
    };
    let prepared = match qsa::reduce::prepare(&run, target) {
        Ok(p) => p,
        Err(diags) => return Outcome::of_diags(&diags),
    };
    let listed = prepared.listed_users();
    let results = prepared.evaluate(&listed, detail);
    let mut diags = prepared.diagnostics.clone();
    qsa::diag::sort_diagnostics(&mut diags);
    let mode = prepared.group_mode();
    let mut json = Vec::new();
    users::write_json(
        &mut json,
        &results,
        target,
        mode,
        &diags,
        &run.sources,
        None,
    )
    .expect("writing to memory");
    let _ = users::render_csv(&results, None);
    let _ = users::render_human(&results, target, mode, None);
    let _ = users::all_diagnostics(&results, &diags);
    let applied = prepared.applied_profiles(&listed);
    let groups = prepared.group_grants();
    let _ = html::render_html(&html::HtmlInput {
        script: "main.qvs",
        target,
        mode,
        prepared: &prepared,
        users: &listed,
        results: &results,
        applied: &applied,
        groups: &groups,
        diagnostics: &diags,
        sources: &run.sources,
        tenant: None,
        sa_alone: &[],
    });
    let header = snapshot::Header {
        inputs: vec![snapshot::Input {
            kind: snapshot::InputKind::Script,
            name: "main.qvs".into(),
        }],
        target,
        group_mode: mode,
        tenant: None,
    };
    if let Ok(snap) = snapshot::Snapshot::from_results(header, &results, None) {
        let text = snapshot::render(&snap);
        match snapshot::read(&text) {
            Ok(again) => assert!(
                again == snap,
                "the snapshot reads back differently:\n{text}"
            ),
            Err(e) => panic!("the snapshot of a report does not read back ({e}):\n{text}"),
        }
    }
    Outcome::Accepted
}
