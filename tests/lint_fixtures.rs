//! One fixture and one snapshot per lint (issue 11): `fixtures/lints/QSAnnn.qvs` (more than one may share a
//! code: `QSAnnn-what.qvs`) is a script on which that lint fires. The snapshot is `qsa check`'s human
//! output on it; the test also asserts that the code is among what fires. A first line
//! `// qsa-test: ARGS…` gives extra `check` arguments (e.g. `--target client-managed`, `--reload-user X`),
//! relative to the repository root.
//!
//! `every_lint_has_a_fixture_and_documentation` ties the catalogue to the fixtures and the docs: every
//! configurable lint (and every refusal a script can cause) has a fixture, and every doc has the sections
//! What it finds / Why it matters / Example / Fix.

#[path = "common/binary.rs"]
mod binary;

use binary::qsa_env;
use qsa::lints::CATALOG;
use std::path::Path;

/// Codes whose fixture or documentation is not written yet. Shrinks to empty; never grows.
const FIXTURE_MISSING: &[&str] = &[];
const DOC_MISSING: &[&str] = &[];

/// Codes no script alone can cause: inputs other than a script (directory, snapshot, tenant exports,
/// settings), a `--user` not found. Their tests are in tests/{e2e,snapshot,tenant*,lints}.rs.
/// QSA301 comes from `preview` (one user's result), never from `check`: tests/lints.rs
/// `preview_says_when_a_result_depends_on_a_decision`.
const NOT_FROM_A_SCRIPT: &[&str] = &[
    "QSA301", "QSA305", "QSA401", "QSA402", "QSA403", "QSA404", "QSA405", "QSA420", "QSA421",
    "QSA422", "QSA423", "QSA430", "QSA431", "QSA432", "QSA433", "QSA434", "QSA435",
];

fn code_of(stem: &str) -> &str {
    stem.split('-').next().unwrap_or(stem)
}

/// The fixtures' file names, sorted.
fn fixtures() -> Vec<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/lints");
    let mut v: Vec<String> = std::fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .filter_map(|e| e.file_name().to_str().map(str::to_string))
                .filter(|n| n.ends_with(".qvs"))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Snapshot `lint_fixtures__<stem>.snap` per fixture.
#[test]
fn each_fixture_fires_its_lint() {
    let names = fixtures();
    assert!(!names.is_empty());
    for name in names {
        let rel = format!("fixtures/lints/{name}");
        let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel))
            .expect("fixture reads");
        let stem = name.trim_end_matches(".qvs");
        let code = code_of(stem);
        let mut args = vec!["check".to_string(), rel.clone()];
        if let Some(extra) = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("// qsa-test:"))
        {
            args.extend(extra.split_whitespace().map(str::to_string));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (exit, out, err) = qsa_env(&args, &[("NO_COLOR", "1")]);
        assert!(
            out.contains(&format!("[{code}]")),
            "{stem}: {code} does not fire\n{out}\n{err}"
        );
        insta::assert_snapshot!(
            stem.to_string(),
            format!("$ qsa {}\nexit {exit}\n{out}", args.join(" "))
        );
    }
}

#[test]
fn every_lint_has_a_fixture_and_documentation() {
    let stems = fixtures();
    let mut missing_fixture = vec![];
    let mut missing_doc = vec![];
    for l in CATALOG {
        let has = stems
            .iter()
            .any(|s| code_of(s.trim_end_matches(".qvs")) == l.code);
        if !has && !NOT_FROM_A_SCRIPT.contains(&l.code) && !FIXTURE_MISSING.contains(&l.code) {
            missing_fixture.push(l.code);
        }
        if has && FIXTURE_MISSING.contains(&l.code) {
            panic!(
                "{} has a fixture now: remove it from FIXTURE_MISSING",
                l.code
            );
        }
        let complete = [
            "## What it finds",
            "## Why it matters",
            "## Example",
            "## Fix",
        ]
        .iter()
        .all(|h| l.doc.contains(h));
        if !complete && !DOC_MISSING.contains(&l.code) {
            missing_doc.push(l.code);
        }
        if complete && DOC_MISSING.contains(&l.code) {
            panic!("{} is documented now: remove it from DOC_MISSING", l.code);
        }
    }
    assert!(
        missing_fixture.is_empty(),
        "lints without a fixture in fixtures/lints: {missing_fixture:?}"
    );
    assert!(
        missing_doc.is_empty(),
        "lint docs without What it finds / Why it matters / Example / Fix: {missing_doc:?}"
    );
}
