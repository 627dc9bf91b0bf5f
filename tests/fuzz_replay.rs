//! Replays what the fuzzers found (`fuzz/regressions/TARGET/…`, each a minimised reproducer of a crash,
//! hang or mis-accepted input now fixed) and every seed of the fuzz corpora through the very bodies the
//! fuzz targets run (`fuzz/harness/`), on stable Rust. CI runs this, not the fuzzers (fuzz/README.md).
//!
//! A reproducer `NAME` may have a `NAME.expect` beside it: a text the input's refusal must contain (for
//! an input that was accepted and should not have been, or whose refusal must stay located).

#[path = "../fuzz/harness/mod.rs"]
mod harness;
#[path = "../fuzz/harness/seeds.rs"]
mod seeds;

use harness::{Outcome, TARGETS};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn body(target: &str) -> harness::Body {
    TARGETS
        .iter()
        .find(|(n, _)| *n == target)
        .map(|(_, f)| *f)
        .unwrap_or_else(|| panic!("no fuzz target `{target}`"))
}

#[test]
fn regressions_replay() {
    let dir = root().join("fuzz/regressions");
    assert!(dir.is_dir(), "{} is missing", dir.display());
    for p in seeds::files_under(&dir) {
        if p.extension().is_some_and(|e| e == "expect" || e == "md") {
            continue;
        }
        let rel = p.strip_prefix(&dir).unwrap();
        let target = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_str()
            .unwrap();
        let bytes = std::fs::read(&p).unwrap();
        let outcome = body(target)(&bytes);
        let expect = p.with_file_name(format!(
            "{}.expect",
            p.file_name().unwrap().to_string_lossy()
        ));
        if let Ok(want) = std::fs::read_to_string(&expect) {
            let want = want.trim();
            match &outcome {
                Outcome::Refused(m) => assert!(
                    m.contains(want),
                    "{}: refused with `{m}`, expected it to contain `{want}`",
                    rel.display()
                ),
                Outcome::Accepted => panic!(
                    "{}: accepted, expected a refusal containing `{want}`",
                    rel.display()
                ),
            }
        }
    }
}

#[test]
fn seeds_replay() {
    let all = seeds::all(root());
    for target in TARGETS.iter().map(|(n, _)| *n) {
        assert!(
            all.iter().any(|(t, _, _)| *t == target),
            "no seed for the fuzz target `{target}`"
        );
    }
    let mut accepted = std::collections::BTreeMap::new();
    for (target, name, bytes) in &all {
        let outcome =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(target)(bytes)))
                .unwrap_or_else(|_| panic!("seed {target}/{name} panicked"));
        if std::env::var_os("QSA_FUZZ_VERBOSE").is_some() {
            eprintln!("{target}/{name}: {outcome:?}");
        }
        *accepted.entry(*target).or_insert(0) += usize::from(outcome == Outcome::Accepted);
    }
    // The harness is wired right: every target takes some of its seeds the whole way through.
    for (target, n) in &accepted {
        assert!(*n > 0, "the fuzz target `{target}` refused every seed");
    }
}

/// `fuzz/seed.sh`: writes the seeds into `$QSA_FUZZ_CORPUS/TARGET/NAME`.
#[test]
#[ignore = "writes the fuzz corpora; run by fuzz/seed.sh"]
fn write_seeds() {
    let out = std::env::var("QSA_FUZZ_CORPUS").expect("QSA_FUZZ_CORPUS names the corpus folder");
    let out = Path::new(&out);
    for (target, name, bytes) in seeds::all(root()) {
        let d = out.join(target);
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(name), bytes).unwrap();
    }
}
