//! The lint fixtures, `fixtures/lints/*.qvs` (tests/lint_fixtures.rs, tests/lint_ci.rs).
#![allow(dead_code)]

use std::path::Path;

/// `qsa check` arguments for the fixture `name` (`QSA204.qvs`): `check fixtures/lints/NAME`, then the
/// extra arguments of its first line `// qsa-test: ARGS…` (relative to the repository root).
pub fn check_args(name: &str) -> Vec<String> {
    let rel = format!("fixtures/lints/{name}");
    let text = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(&rel))
        .expect("fixture reads");
    let mut args = vec!["check".to_string(), rel];
    if let Some(extra) = text
        .lines()
        .next()
        .and_then(|l| l.strip_prefix("// qsa-test:"))
    {
        args.extend(extra.split_whitespace().map(str::to_string));
    }
    args
}
