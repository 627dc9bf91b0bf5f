//! The lint catalogue where CI and readers meet it (issue 11):
//! - `qsa check --format sarif` validated against the official SARIF 2.1.0 schema (`tests/data/`, see the
//!   README there) on scripts with and without locations, with secondary labels, with every severity;
//! - `--format github` escaped as GitHub's workflow commands require, titled with code and name;
//! - README.md's "Lints" table, compared with the catalogue (`QSA_UPDATE_README=1` rewrites it);
//! - `qsa check` quiet on the fixtures meant to be sound: no warning, no error (infos allowed).

#[path = "common/binary.rs"]
mod binary;
#[path = "common/lint_fixture.rs"]
mod lint_fixture;
#[path = "common/scratch.rs"]
mod scratch;

use binary::qsa;
use qsa::diag::Severity;
use qsa::lints::CATALOG;
use scratch::Scratch;
use serde_json::{json, Value};
use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

// ---------------------------------------------------------------------------------------------- SARIF

/// The `$id` (draft-04 `id`) of the official schema: it is added under this URL, so nothing is fetched.
const SCHEMA_ID: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

struct Sarif {
    schemas: boon::Schemas,
    index: boon::SchemaIndex,
}

impl Sarif {
    /// The official schema, compiled with format assertions (`uri`, `uri-reference`, …) on.
    fn new() -> Sarif {
        let text = std::fs::read_to_string(root().join("tests/data/sarif-schema-2.1.0.json"))
            .expect("tests/data/sarif-schema-2.1.0.json reads");
        let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
        assert_eq!(schema["id"], SCHEMA_ID, "the OASIS schema of SARIF 2.1.0");
        let mut schemas = boon::Schemas::new();
        let mut compiler = boon::Compiler::new();
        compiler.enable_format_assertions();
        compiler
            .add_resource(SCHEMA_ID, schema)
            .expect("the schema is added");
        let index = compiler
            .compile(SCHEMA_ID, &mut schemas)
            .unwrap_or_else(|e| panic!("the schema compiles: {e:#}"));
        Sarif { schemas, index }
    }

    fn errors(&self, log: &Value) -> Option<String> {
        self.schemas
            .validate(log, self.index)
            .err()
            .map(|e| format!("{e:#}"))
    }

    fn assert_valid(&self, what: &str, log: &Value) {
        if let Some(e) = self.errors(log) {
            panic!("{what}: not valid SARIF 2.1.0:\n{e}\n{log:#}");
        }
    }
}

/// `qsa check ARGS… --format sarif`: its exit code and log.
fn sarif(args: &[&str]) -> (i32, Value) {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    all.extend(["--format", "sarif"]);
    let (code, out, err) = qsa(&all);
    // Exit 2 (a refusal such as QSA118 memory-limit) still writes its log; without one it could not run.
    assert!(code != 2 || !out.trim().is_empty(), "{args:?} runs: {err}");
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: {e}\n{out}\n{err}"));
    (code, v)
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().expect("results")
}

fn levels(log: &Value) -> Vec<&str> {
    let mut v: Vec<&str> = results(log)
        .iter()
        .filter_map(|r| r["level"].as_str())
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// What every log must hold beyond the schema: each result's rule is at its `ruleIndex`, each rule is
/// the catalogue's entry (name, summary, documentation, default level, rule ids).
fn assert_rules_match_catalogue(what: &str, log: &Value) {
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().expect("rules");
    for r in results(log) {
        let i = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[i]["id"], r["ruleId"], "{what}: ruleIndex of {r}");
    }
    let mut ids: Vec<&str> = rules.iter().filter_map(|r| r["id"].as_str()).collect();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "{what}: one rule per code");
    for rule in rules {
        let id = rule["id"].as_str().expect("an id");
        let l = CATALOG
            .iter()
            .find(|l| l.code == id)
            .unwrap_or_else(|| panic!("{what}: {id} is in the catalogue"));
        assert_eq!(rule["name"], l.name, "{what}");
        assert_eq!(rule["shortDescription"]["text"], l.summary, "{what}");
        assert_eq!(rule["help"]["markdown"], l.doc.trim(), "{what}");
        assert!(rule["fullDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        assert_eq!(rule["properties"]["tags"], json!(l.rules), "{what}");
        assert_eq!(rule["properties"]["configurable"], l.configurable, "{what}");
        let level = match l.severity {
            Some(Severity::Error) => json!("error"),
            Some(Severity::Warning) => json!("warning"),
            Some(Severity::Info) => json!("note"),
            None => Value::Null,
        };
        assert_eq!(rule["defaultConfiguration"]["level"], level, "{what}: {id}");
    }
}

/// The output of several kinds of scripts is valid SARIF 2.1.0 and carries the catalogue; together they
/// cover every level, results with and without locations, related locations (secondary labels), a code
/// whose severity varies, no results at all, a path that must be percent-encoded, and helpUri.
#[test]
fn sarif_output_is_valid_against_the_official_schema() {
    let schema = Sarif::new();
    let mut seen_levels: Vec<&str> = vec![];
    let mut check = |what: &str, args: &[&str]| -> Value {
        let (_, log) = sarif(args);
        schema.assert_valid(what, &log);
        assert_rules_match_catalogue(what, &log);
        for l in levels(&log) {
            let l: &'static str = match l {
                "error" => "error",
                "warning" => "warning",
                "note" => "note",
                other => panic!("{what}: level {other}"),
            };
            seen_levels.push(l);
        }
        log
    };

    // Secondary labels: `IF` never closed (warning, with the IF as a related location), plus infos.
    let log = check(
        "if_without_end_if",
        &["fixtures/invalid/if_without_end_if.qvs"],
    );
    let with_related = results(&log)
        .iter()
        .find(|r| r["relatedLocations"].is_array())
        .expect("a result with related locations");
    assert_eq!(with_related["ruleId"], "QSA003");
    assert!(with_related["relatedLocations"][0]["message"]["text"]
        .as_str()
        .is_some_and(|t| t.contains("never closed")));
    // An error with a secondary label.
    let log = check("next_inside_if", &["fixtures/invalid/next_inside_if.qvs"]);
    assert_eq!(levels(&log), ["error"]);
    // Results without a location: the tenant's own findings (QSA423), with warnings and infos.
    let log = check(
        "budget --tenant",
        &[
            "fixtures/tenant/examples/budget/budget.qvs",
            "--tenant",
            "fixtures/tenant/examples/budget",
            "--app",
            "Budget",
        ],
    );
    assert!(results(&log).iter().any(|r| r.get("locations").is_none()));
    assert!(results(&log).iter().any(|r| r["locations"].is_array()));
    // Warnings located in the script, data read through --lib; and helpUri from --docs-url.
    let log = check(
        "demo --docs-url",
        &[
            "fixtures/demo/sales_analytics.qvs",
            "--lib",
            "DataFiles=fixtures/demo/data",
            "--docs-url",
            "https://example.org/qsa/blob/main/src/lints/docs/",
        ],
    );
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"],
        "https://example.org/qsa/blob/main/src/lints/docs/QSA111.md"
    );
    // Errors and a code whose severity varies (QSA107 unknown-effect), several scripts at once.
    let log = check(
        "failclosed + QSA204 fixture",
        &[
            "fixtures/scripts/failclosed/main.qvs",
            "fixtures/lints/QSA204.qvs",
        ],
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let varies = rules
        .iter()
        .find(|r| r["id"] == "QSA107")
        .expect("QSA107 is used");
    assert!(varies.get("defaultConfiguration").is_none(), "{varies}");
    assert_eq!(varies["properties"]["defaultSeverity"], "varies");
    assert!(rules.iter().all(|r| r.get("helpUri").is_none()));
    // --syntax-only: parse findings only.
    check(
        "syntax-only",
        &["--syntax-only", "fixtures/valid/includes_deferred.qvs"],
    );
    // No findings: an empty result list, still a valid log.
    let log = check("sound", &["fixtures/snapshot/mixed.qvs"]);
    assert!(results(&log).is_empty());
    assert_eq!(log["runs"][0]["tool"]["driver"]["rules"], json!([]));

    // A path with a space and a non-ASCII letter, given absolute: a percent-encoded file: URI.
    let dir = Scratch::new("lint-ci", "sarif-uri");
    std::fs::write(
        dir.path("mon app é.qvs"),
        "LOAD * INLINE [\nA\n1\n];\nEND IF\n",
    )
    .unwrap();
    let script = dir.arg("mon app é.qvs");
    let log = check("absolute path", &[&script]);
    let uri = results(&log)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        .as_str()
        .expect("a uri")
        .to_string();
    assert!(uri.starts_with("file:///"), "{uri}");
    assert!(uri.ends_with("/mon%20app%20%C3%A9.qvs"), "{uri}");

    // Every lint fixture (with the extra arguments of its `// qsa-test:` first line).
    let mut fixtures: Vec<_> = std::fs::read_dir(root().join("fixtures/lints"))
        .expect("fixtures/lints lists")
        .filter_map(|e| e.ok().map(|e| e.file_name().to_string_lossy().into_owned()))
        .filter(|n| n.ends_with(".qvs"))
        .collect();
    fixtures.sort();
    assert!(!fixtures.is_empty());
    for name in fixtures {
        let args = lint_fixture::check_args(&name);
        let rel = args[1].clone();
        let args: Vec<&str> = args[1..].iter().map(String::as_str).collect();
        let log = check(&rel, &args);
        let code = name.split(['-', '.']).next().unwrap_or_default();
        assert!(
            results(&log).iter().any(|r| r["ruleId"] == code),
            "{rel}: {code} is among the results"
        );
    }

    seen_levels.sort_unstable();
    seen_levels.dedup();
    assert_eq!(seen_levels, ["error", "note", "warning"]);
}

/// The validator does reject what the schema forbids (so the test above is not vacuous).
#[test]
fn sarif_schema_rejects_invalid_logs() {
    let schema = Sarif::new();
    let (_, log) = sarif(&["fixtures/lints/QSA204.qvs"]);
    schema.assert_valid("QSA204 fixture", &log);
    let bad = |edit: &dyn Fn(&mut Value)| {
        let mut v = log.clone();
        edit(&mut v);
        schema.errors(&v)
    };
    assert!(bad(&|v| v["version"] = json!("2.0.0")).is_some());
    assert!(bad(&|v| v["runs"][0]["results"][0]["level"] = json!("fatal")).is_some());
    assert!(
        bad(&|v| v["runs"][0]["tool"]["driver"]["rules"][0]["helpUri"] =
            json!("src/lints/docs/QSA204.md"))
        .is_some()
    );
    assert!(bad(&|v| v["runs"][0]["results"][0]["ruleIndex"] = json!(-2)).is_some());
    assert!(bad(
        &|v| v["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"] = json!("a b\\c.qvs")
    )
    .is_some());
}

#[test]
fn docs_url_must_be_absolute() {
    let (code, _, err) = qsa(&[
        "check",
        "fixtures/example/sales.qvs",
        "--format",
        "sarif",
        "--docs-url",
        "src/lints/docs",
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("--docs-url"), "{err}");
}

// --------------------------------------------------------------------------------------------- GitHub

/// One workflow command per finding, titled `CODE name`; `%`, CR and LF escaped in the message, and
/// also `:` and `,` in the properties (a file name holding them must not end the property).
#[test]
fn github_annotations_are_escaped_and_titled() {
    let dir = Scratch::new("lint-ci", "github");
    std::fs::copy(
        root().join("fixtures/lints/QSA204.qvs"),
        dir.path("a,b:100%.qvs"),
    )
    .unwrap();
    let script = dir.arg("a,b:100%.qvs");
    let (code, out, err) = qsa(&["check", &script, "--format", "github"]);
    assert_eq!(code, 0, "{err}");
    let line = out
        .lines()
        .find(|l| l.contains("QSA204"))
        .unwrap_or_else(|| panic!("QSA204 fires:\n{out}"));
    let escaped = script
        .replace('%', "%25")
        .replace(':', "%3A")
        .replace(',', "%2C");
    assert!(
        line.starts_with(&format!("::warning file={escaped},line=")),
        "{line}"
    );
    assert!(line.contains(",title=QSA204 cross-product::"), "{line}");
    let message = line.split_once("::").unwrap().1.split_once("::").unwrap().1;
    assert!(
        message.contains("%0Ahelp: "),
        "help on its own line: {message}"
    );
    assert!(!message.contains('\n') && !message.contains('\r'));
    // Every line is a command: nothing a message holds can start another one.
    assert!(out.lines().all(|l| l.starts_with("::")), "{out}");
}

// --------------------------------------------------------------------------------------------- README

const START: &str =
    "<!-- lints:start (generated from src/lints/catalog.rs by tests/lint_ci.rs) -->\n";
const END: &str = "<!-- lints:end -->\n";

/// The README's table of lints: one row per code, linked to its documentation.
fn lints_table() -> String {
    let mut s = String::from("| Code | Name | Severity | Configurable | What it finds |\n");
    s.push_str("| --- | --- | --- | --- | --- |\n");
    for l in CATALOG {
        let severity = match l.severity {
            Some(Severity::Error) => "error",
            Some(Severity::Warning) => "warning",
            Some(Severity::Info) => "info",
            None => "varies",
        };
        s.push_str(&format!(
            "| [{code}](src/lints/docs/{code}.md) | `{name}` | {severity} | {conf} | {summary} |\n",
            code = l.code,
            name = l.name,
            conf = if l.configurable { "yes" } else { "no" },
            summary = l.summary.replace('|', "\\|"),
        ));
    }
    s
}

/// README.md's "Lints" table is the catalogue's, and every link points at a file that exists. After a
/// catalogue change, `QSA_UPDATE_README=1 cargo test --test lint_ci readme` rewrites it.
#[test]
fn readme_lints_table_matches_the_catalogue() {
    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md reads");
    let (before, rest) = readme
        .split_once(START)
        .expect("README.md has the lints table's start marker");
    let (table, after) = rest
        .split_once(END)
        .expect("README.md has the lints table's end marker");
    let expected = lints_table();
    if table != expected {
        if std::env::var_os("QSA_UPDATE_README").is_some() {
            std::fs::write(&path, format!("{before}{START}{expected}{END}{after}"))
                .expect("README.md writes");
        } else {
            panic!(
                "README.md's lints table differs from the catalogue; run `QSA_UPDATE_README=1 cargo \
                 test --test lint_ci readme` or paste:\n{expected}"
            );
        }
    }
    for l in CATALOG {
        let doc = root().join(format!("src/lints/docs/{}.md", l.code));
        assert!(doc.is_file(), "{} is linked and exists", doc.display());
    }
    assert!(before.contains("## Lints\n"), "under a Lints heading");
}

// ------------------------------------------------------------------------------- quiet on sound scripts

/// Scripts meant to be sound, each with what makes it so; `qsa check` reports no warning and no error
/// on any of them (infos are allowed: they note, they do not accuse), except the codes listed with it.
///
/// The only expected finding is QSA220 (`*` stands for the values its column lists, S3/R4): these scripts
/// grant `*` in `REGION` while their data holds a region no row lists (`LATAM`, `OTHER`), so users
/// granted `*` do not see those rows. That is Qlik's documented behaviour and the one thing in them a Qlik
/// expert would flag; `fixtures/snapshot/mixed.qvs` lists LATAM and is quiet.
///
/// Left out on purpose: the demo app and `fixtures/demo/edits/fixed.qvs` (deliberate mistakes, QSA111 and
/// QSA208; fixed.qvs fixes only the first), `fixtures/sa/examples/ex2_strict_exclusion.qvs` and
/// `fixtures/explain/chain.qvs` (they show a lock-out), `fixtures/snapshot/refused.qvs`,
/// `fixtures/tenant/acme/acme.qvs` (a value no data holds), fixtures/invalid, fixtures/lints,
/// fixtures/failclosed and the `fixtures/scripts/*` that show a refusal or an unsupported statement.
const SOUND: &[(&str, &[&str], &str, &[&str])] = &[
    (
        "fixtures/example/sales.qvs",
        &[],
        "the README's example app",
        &["QSA220"],
    ),
    (
        "fixtures/snapshot/base.qvs",
        &[],
        "regional sales, mode 2, OMIT",
        &["QSA220"],
    ),
    (
        "fixtures/snapshot/mixed.qvs",
        &[],
        "an edit of base: ADMIN by e-mail, LATAM",
        &[],
    ),
    (
        "fixtures/snapshot/mode.qvs",
        &[],
        "base with QlikCloudGroupMode 0",
        &["QSA220"],
    ),
    (
        "fixtures/snapshot/omit.qvs",
        &[],
        "base without an OMIT",
        &["QSA220"],
    ),
    (
        "fixtures/snapshot/widen.qvs",
        &[],
        "base with one more row",
        &["QSA220"],
    ),
    (
        "fixtures/sa/examples/ex1_omit_star.qvs",
        &[],
        "`*` in OMIT (O1)",
        &[],
    ),
    (
        "fixtures/sa/examples/ex5_two_identity_styles.qvs",
        &[],
        "USERID and USER.EMAIL rows in one table (I1, I5)",
        &[],
    ),
    (
        "fixtures/sa/regional/app.qvs",
        &[],
        "IdP and custom groups, an e-mail row, OMIT",
        &["QSA220"],
    ),
    (
        "fixtures/scripts/sales/main.qvs",
        &[],
        "includes, subs, loops, joins, Section Access",
        &["QSA220"],
    ),
    (
        "fixtures/scripts/control/main.qvs",
        &[],
        "control flow and variables",
        &[],
    ),
    (
        "fixtures/scripts/qvd/main.qvs",
        &[],
        "QVD files, STORE, RESIDENT",
        &[],
    ),
    (
        "fixtures/tenant/examples/budget/budget.qvs",
        &[],
        "the Budget app of tenant.md §4 (Section Access alone)",
        &[],
    ),
];

#[test]
fn check_is_quiet_on_sound_scripts() {
    let mut loud = vec![];
    for (script, extra, why, expected) in SOUND {
        let mut args = vec!["check", *script, "--format", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = qsa(&args);
        let v: Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{script}: {e}\n{out}\n{err}"));
        let found: Vec<String> = v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["severity"] != "info")
            .map(|d| format!("{} {} {}", d["severity"], d["code"], d["message"]))
            .collect();
        let codes: std::collections::BTreeSet<&str> = v["diagnostics"]
            .as_array()
            .expect("diagnostics")
            .iter()
            .filter(|d| d["severity"] != "info")
            .filter_map(|d| d["code"].as_str())
            .collect();
        let wanted: std::collections::BTreeSet<&str> = expected.iter().copied().collect();
        if code != 0 || codes != wanted || found.iter().any(|f| !f.starts_with("\"warning\"")) {
            loud.push(format!(
                "{script} ({why}): exit {code}\n  {}",
                found.join("\n  ")
            ));
        }
    }
    assert!(loud.is_empty(), "not quiet:\n{}", loud.join("\n"));
}
