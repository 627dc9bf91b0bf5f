//! The seed corpus of every fuzz target, made from the repository's `fixtures/` (and, for Parquet, which
//! has no fixture file, a few tables written with polars). `fuzz/seed.sh` writes them into
//! `fuzz/corpus/TARGET/` through the ignored test `write_seeds` of `tests/fuzz_replay.rs`; the replay
//! test runs every one through its target.

use std::path::{Path, PathBuf};

/// Seeds larger than this are cut (the fuzzer's `-max_len` is smaller anyway).
const MAX_SEED: usize = 64 * 1024;

/// Every file under `dir`, sorted.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

fn ext(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

fn read(p: &Path) -> Vec<u8> {
    let mut b = std::fs::read(p).unwrap_or_default();
    b.truncate(MAX_SEED);
    b
}

/// A multi-file input (see `split_files`).
fn container(head: &[u8], files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut out = head.to_vec();
    for (name, bytes) in files {
        out.extend_from_slice(super::harness::FILE_MARK);
        out.extend_from_slice(name.as_bytes());
        out.push(b'\n');
        out.extend_from_slice(bytes);
    }
    out
}

/// `name` relative to `base`, with `/`.
fn rel(p: &Path, base: &Path) -> String {
    p.strip_prefix(base)
        .unwrap_or(p)
        .to_string_lossy()
        .replace('\\', "/")
}

/// The seeds of every target: (target, seed name, bytes), from the repository at `root`.
pub fn all(root: &Path) -> Vec<(&'static str, String, Vec<u8>)> {
    let fixtures = root.join("fixtures");
    let files = files_under(&fixtures);
    let name = |p: &Path| rel(p, &fixtures).replace('/', "__");
    let mut out: Vec<(&'static str, String, Vec<u8>)> = Vec::new();
    for p in &files {
        let e = ext(p);
        let bytes = read(p);
        match e.as_str() {
            "qvs" => {
                out.push(("parse", name(p), bytes.clone()));
                out.push(("run", name(p), run_seed(p, &bytes)));
            }
            "csv" | "txt" | "tab" => {
                let specs: &[&str] = if e == "tab" {
                    &[
                        "tab:txt, embedded labels, delimiter is '\\t'",
                        "tab:txt, no labels",
                    ]
                } else {
                    &[
                        "txt, utf8, embedded labels, delimiter is ',', msq",
                        "txt, codepage is 1252, no labels, delimiter is ';', header is 1 lines, no quotes",
                    ]
                };
                for (i, spec) in specs.iter().enumerate() {
                    let mut seed = spec.as_bytes().to_vec();
                    seed.push(b'\n');
                    seed.extend_from_slice(&bytes);
                    out.push(("text", format!("{}.{i}", name(p)), seed));
                }
            }
            "qvd" => out.push(("qvd", name(p), bytes.clone())),
            "xlsx" | "xls" => {
                for (i, spec) in [
                    "ooxml, embedded labels",
                    "biff, no labels, header is 1 lines, table is Sheet1",
                ]
                .iter()
                .enumerate()
                {
                    let mut seed = spec.as_bytes().to_vec();
                    seed.push(b'\n');
                    seed.extend_from_slice(&bytes);
                    out.push(("excel", format!("{}.{i}", name(p)), seed));
                }
            }
            "snapshot" => out.push(("snapshot", name(p), bytes.clone())),
            _ => {}
        }
        let file = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if file == "users.json" || (file == "users.csv" && e == "csv") {
            let groups = p.with_file_name("groups.json");
            let mut extra = Vec::new();
            if groups.is_file() {
                extra.push(("groups.json".to_string(), read(&groups)));
            }
            let seed = if e == "csv" {
                extra.push(("users.csv".to_string(), bytes.clone()));
                container(b"[]", &extra)
            } else {
                container(&bytes, &extra)
            };
            out.push(("directory", name(p), seed));
        }
    }
    for (dir, apps) in [
        (
            "tenant/acme",
            &["Budget", "Pipeline", "Revenue", "Nope"][..],
        ),
        ("tenant/examples/budget", &["Budget"][..]),
    ] {
        let d = fixtures.join(dir);
        let files: Vec<(String, Vec<u8>)> = files_under(&d)
            .iter()
            .filter(|p| ext(p) == "json")
            .map(|p| (rel(p, &d), read(p)))
            .collect();
        for app in apps {
            out.push((
                "tenant",
                format!("{}__{app}", dir.replace('/', "__")),
                container(app.as_bytes(), &files),
            ));
        }
    }
    for (i, text) in [
        "[lints]\ndeny = [\"warnings\"]\nallow = [\"no-section-access\"]\n",
        "[lints]\ndeny = [\"QSA202\"]\nallow = [\"value-not-in-data\"]\n",
        "[lints]\ndeny = [\"QSA202\"]\nignore = [\"QSA208\"]\n",
        "[lints]\nallow = [\"source-missing\"]\nwarn = [\"QSA111\", \"QSA208\"]\n",
        "",
    ]
    .iter()
    .enumerate()
    {
        out.push(("config", format!("config{i}"), text.as_bytes().to_vec()));
    }
    for (i, bytes) in [
        vec![0u8; 64],
        vec![0xffu8; 64],
        (0..=255u8).collect::<Vec<u8>>(),
        (0..=255u8).rev().collect::<Vec<u8>>(),
        (0..128u8).map(|b| b.wrapping_mul(37)).collect::<Vec<u8>>(),
    ]
    .into_iter()
    .enumerate()
    {
        out.push(("report", format!("report{i}"), bytes));
    }
    for (i, bytes) in parquet_seeds().into_iter().enumerate() {
        out.push(("parquet", format!("parquet{i}"), bytes));
    }
    // pyarrow's files (fixtures/data/parquet/make.py): dictionary pages, v2 pages, every codec.
    for p in files_under(&fixtures.join("data/parquet")) {
        if p.extension().is_some_and(|e| e == "parquet") {
            let name = p.file_stem().map(|n| n.to_string_lossy().into_owned());
            out.push(("parquet", name.unwrap_or_default(), read(&p)));
        }
    }
    // One script that reaches every reader, INCLUDE/MUST_INCLUDE and FileList at once.
    let data = |p: &str| read(&fixtures.join(p));
    let mut parquet = parquet_seeds();
    parquet.truncate(1);
    let mut files = vec![
        (
            "inc.qvs".to_string(),
            b"SET vInc = 1;\nTRACE included;\n".to_vec(),
        ),
        ("a.csv".to_string(), data("data/text/semicolon_msq.csv")),
        ("b.csv".to_string(), b"USERID,REGION\nU1,EMEA\n".to_vec()),
        ("sub/t.qvd".to_string(), data("data/qvd/test_qvd_null.qvd")),
        ("sub/v.xlsx".to_string(), data("data/excel/security.xlsx")),
    ];
    files.extend(parquet.into_iter().map(|b| ("p.parquet".to_string(), b)));
    let script = "$(Must_Include=lib://DataFiles/inc.qvs);\n$(Include=lib://DataFiles/missing.qvs);\n\
        FOR EACH f IN FileList('lib://DataFiles/*.csv')\n  T: LOAD *, '$(f)' AS File FROM [$(f)] (txt, utf8, embedded labels, delimiter is ',');\nNEXT f\n\
        FOR EACH d IN DirList('lib://DataFiles/*')\n  TRACE $(d);\nNEXT d\n\
        Q: LOAD * FROM [lib://DataFiles/sub/t.qvd] (qvd);\n\
        X: LOAD * FROM [lib://DataFiles/sub/v.xlsx] (ooxml, embedded labels, table is Users);\n\
        P: LOAD * FROM [lib://DataFiles/p.parquet] (parquet);\n\
        Section Access;\nSA: LOAD * INLINE [\nACCESS, USERID, REGION\nADMIN, U1, *\nUSER, U2, EMEA\n];\nSection Application;\n";
    out.push((
        "run",
        "all_readers".into(),
        container(script.as_bytes(), &files),
    ));
    out
}

/// The script and the files the fixture folder gives it: its sibling files and those of a `data/`
/// folder beside it (at most two name components, small files only).
fn run_seed(script: &Path, bytes: &[u8]) -> Vec<u8> {
    let Some(dir) = script.parent() else {
        return bytes.to_vec();
    };
    let mut files = Vec::new();
    let mut total = bytes.len();
    for p in files_under(dir) {
        let r = rel(&p, dir);
        let depth = r.split('/').count();
        let ok = p != script
            && (depth == 1 || (depth == 2 && r.starts_with("data/")))
            && ext(&p) != "md";
        let size = std::fs::metadata(&p).map(|m| m.len() as usize).unwrap_or(0);
        if ok && total + size <= MAX_SEED {
            total += size;
            files.push((r, read(&p)));
        }
    }
    container(bytes, &files)
}

/// Small Parquet files: text, integers, floats, dates, timestamps, booleans and nulls.
fn parquet_seeds() -> Vec<Vec<u8>> {
    use polars::prelude::*;
    let frames = [
        df!(
            "USERID" => ["U1", "U2", "U3"],
            "REGION" => [Some("EMEA"), None, Some("APAC")],
            "N" => [1i64, -2, 3],
            "X" => [1.5f64, f64::NAN, -0.0],
        ),
        df!(
            "B" => [true, false],
            "I32" => [Some(7i32), None],
            "D" => [Some(19000i32), Some(-1)],
        ),
    ];
    let mut out = Vec::new();
    for df in frames.into_iter().flatten() {
        let mut df = df;
        if let Ok(d) = df.column("D").and_then(|c| c.cast(&DataType::Date)) {
            let _ = df.with_column(d);
        }
        let mut buf = Vec::new();
        if ParquetWriter::new(&mut buf).finish(&mut df).is_ok() {
            out.push(buf);
        }
    }
    out
}
