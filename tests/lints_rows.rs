//! The lints of the security rows and the listed identities (issue 11 items 8, 15, 18, 21, 22):
//! QSA225 strict-exclusion-denied, QSA226 duplicate-row, QSA227 contradicting-rows, QSA228
//! numeric-text-mismatch, QSA229 everyone-everything, QSA230 empty-security-table, and QSA302 (R6) for
//! listed identities in `check`. Each fires where its fixture (fixtures/lints) shows it; here the sound
//! variants stay quiet, and the lints change no user's result.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/scratch.rs"]
mod scratch;

use binary::qsa;
use scratch::Scratch;
use serde_json::Value;

const MINE: &[&str] = &[
    "QSA225", "QSA226", "QSA227", "QSA228", "QSA229", "QSA230", "QSA302",
];

/// `check --format json` on `script`: exit code and the diagnostics (code, severity, message, line).
fn check(name: &str, script: &str, extra: &[&str]) -> (i32, Vec<(String, String, String, u64)>) {
    let dir = Scratch::new("lints-rows", name);
    std::fs::write(dir.path("app.qvs"), script).expect("script written");
    let path = dir.arg("app.qvs");
    let mut args = vec!["check", path.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out, err) = qsa(&args);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}\n{out}\n{err}"));
    let diags = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["severity"].as_str().unwrap_or_default().to_string(),
                d["message"].as_str().unwrap_or_default().to_string(),
                d["line"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    (code, diags)
}

fn of<'a>(
    diags: &'a [(String, String, String, u64)],
    code: &str,
) -> Vec<&'a (String, String, String, u64)> {
    diags.iter().filter(|d| d.0 == code).collect()
}

fn none_of_mine(diags: &[(String, String, String, u64)]) {
    let mine: Vec<_> = diags
        .iter()
        .filter(|d| MINE.contains(&d.0.as_str()))
        .collect();
    assert!(mine.is_empty(), "{mine:?}");
}

const APP: &str = "Section Application;
Sales:
LOAD * INLINE [
REGION, CATEGORY, AMOUNT
EU, BIKES, 10
US, CARS, 20
];
";

fn with_app(security: &str) -> String {
    format!("Section Access;\n{security}{APP}")
}

/// A sound script: distinct rows, every value in the data, no `*` row for everyone, a table with rows.
#[test]
fn a_sound_script_is_quiet() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION, CATEGORY, OMIT
ADMIN, ADMIN1, *, *,
USER, ANNA, EU, BIKES, AMOUNT
USER, ANNA, EU, BIKES, CATEGORY
USER, BOB, US, *,
USER, *, EU, BIKES,
];
",
    );
    let (code, d) = check("sound", &s, &[]);
    none_of_mine(&d);
    assert_eq!(code, 0, "{d:?}");
}

/// R2: an ADMIN whose value misses the data sees the field unreduced, so is not denied; the USER is.
#[test]
fn strict_exclusion_names_only_denied_users_at_their_rows() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, NORTH
USER, ANNA, EU
USER, BOB, NORTH
USER, CARL,
];
",
    );
    let (_, d) = check("strict", &s, &[]);
    let found = of(&d, "QSA225");
    assert_eq!(found.len(), 2, "{d:?}");
    // Grouped by reason: the missing value (BOB, row at line 6) and the blank cell (CARL, line 7).
    assert!(
        found.iter().any(|f| f.2.contains("USERID `BOB`")
            && f.2.contains("none of the values allowed in `REGION`")
            && f.3 == 6),
        "{found:?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.2.contains("USERID `CARL`") && f.2.contains("blank cells") && f.3 == 7),
        "{found:?}"
    );
    assert!(!found
        .iter()
        .any(|f| f.2.contains("ADMIN1") || f.2.contains("ANNA")));
}

/// Under `--tenant` the tenant's users are evaluated instead (QSA431); without a directory, GROUP rows
/// are named as what could add values.
#[test]
fn strict_exclusion_says_when_groups_could_add_values() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, GROUP, REGION
ADMIN, ADMIN1, *, *
USER, BOB, *, NORTH
USER, *, SALES, EU
];
",
    );
    let (_, d) = check("strict-groups", &s, &[]);
    let found = of(&d, "QSA225");
    assert_eq!(found.len(), 1, "{d:?}");
    assert!(found[0].2.contains("holding no group"), "{found:?}");
}

/// R6 for a listed identity: ANNA's values exist, their combination does not. QSA302 at her row.
#[test]
fn listed_identity_opening_an_empty_app() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION, CATEGORY
ADMIN, ADMIN1, *, *
USER, ANNA, EU, CARS
USER, BOB, EU, BIKES
];
",
    );
    let (_, d) = check("empty-app", &s, &[]);
    let found = of(&d, "QSA302");
    assert_eq!(found.len(), 1, "{d:?}");
    assert!(
        found[0].2.contains("USERID `ANNA`") && found[0].3 == 5,
        "{found:?}"
    );
}

/// S4/S5: rows that differ only in OMIT (how one user loses two fields) are no duplicates; rows from a
/// file are not upper-cased, so `anna` and `ANNA` are different rows there.
#[test]
fn duplicates_need_identical_stored_cells() {
    let dir = Scratch::new("lints-rows", "dup-file");
    std::fs::write(
        dir.path("sa.csv"),
        "ACCESS,USERID,REGION\nADMIN,ADMIN1,*\nUSER,ANNA,EU\nUSER,anna,EU\n",
    )
    .expect("csv");
    let s = format!(
        "Section Access;\nLOAD * FROM [{}] (txt, utf8, embedded labels, delimiter is ',');\n{APP}",
        dir.arg("sa.csv")
    );
    let (_, d) = check("dup-file-script", &s, &[]);
    assert!(of(&d, "QSA226").is_empty(), "{d:?}");
    assert!(!of(&d, "QSA111").is_empty(), "{d:?}");

    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION, OMIT
ADMIN, ADMIN1, *,
USER, ANNA, EU, AMOUNT
USER, ANNA, EU, CATEGORY
USER, ANNA, EU, CATEGORY
];
",
    );
    let (_, d) = check("dup-omit", &s, &[]);
    let found = of(&d, "QSA226");
    assert_eq!(found.len(), 1, "{d:?}");
    assert!(
        found[0].2.contains("rows 3, 4") && found[0].3 == 7,
        "{found:?}"
    );
}

/// L2: ADMIN and USER rows of one identity that differ in a reduction value are QSA203's, not
/// contradictions; equal rows but ACCESS are.
#[test]
fn contradiction_is_all_cells_but_access() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
ADMIN, BOB, US
USER, BOB, EU
];
",
    );
    let (_, d) = check("mixed", &s, &[]);
    assert!(of(&d, "QSA227").is_empty(), "{d:?}");
    assert!(!of(&d, "QSA203").is_empty(), "{d:?}");
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
ADMIN, BOB, US
USER, BOB, US
];
",
    );
    let (_, d) = check("contradict", &s, &[]);
    let found = of(&d, "QSA227");
    assert_eq!(found.len(), 1, "{d:?}");
    assert!(found[0].2.contains("row 2 says `ADMIN`, row 3 says `USER`"));
}

/// R2: `01` against `01` matches; text that is no number never pairs; `01` against `1` does.
#[test]
fn numeric_text_pairs_only_numbers_written_differently() {
    let app = "Section Application;
LOAD * INLINE [
STORE, AMOUNT
01, 10
1.5, 20
A, 30
];
";
    let s = format!(
        "Section Access;
LOAD * INLINE [
ACCESS, USERID, STORE
ADMIN, ADMIN1, *
USER, ANNA, 01
USER, BOB, a
];
{app}"
    );
    let (_, d) = check("numeric-quiet", &s, &[]);
    assert!(of(&d, "QSA228").is_empty(), "{d:?}");
    let s = format!(
        "Section Access;
LOAD * INLINE [
ACCESS, USERID, STORE
ADMIN, ADMIN1, *
USER, ANNA, 1
USER, BOB, 1.50
];
{app}"
    );
    let (_, d) = check("numeric", &s, &[]);
    let found = of(&d, "QSA228");
    assert_eq!(found.len(), 1, "{d:?}");
    assert!(
        found[0].2.contains("`1` (data: `01`)") && found[0].2.contains("`1.50` (data: `1.5`)"),
        "{found:?}"
    );
}

/// I1, R1: `*` in USERID with a real REGION is a normal "everyone sees EU" row; the everyone row can be
/// silenced where it is intended; an ADMIN row with blank reductions for everyone fires.
#[test]
fn everyone_everything_fires_only_with_every_cell_star_and_can_be_allowed() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
USER, *, EU
];
",
    );
    let (_, d) = check("everyone-quiet", &s, &[]);
    assert!(of(&d, "QSA229").is_empty(), "{d:?}");
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, *,
];
",
    );
    let (_, d) = check("everyone-admin", &s, &[]);
    assert_eq!(of(&d, "QSA229").len(), 1, "{d:?}");
    let s = with_app(
        "// qsa: allow(everyone-everything)
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
USER, *, *
];
",
    );
    let (code, d) = check("everyone-allowed", &s, &[]);
    none_of_mine(&d);
    assert_eq!(code, 0, "{d:?}");
}

/// An empty table beside a table with rows is a warning; all empty is an error, and the evaluation is
/// unchanged by the lint: everyone is denied (L1).
#[test]
fn empty_security_tables() {
    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
];
Omits:
LOAD USERID, OMIT INLINE [
USERID, OMIT
ANNA, AMOUNT
] WHERE USERID = 'NOBODY';
",
    );
    let (code, d) = check("empty-one", &s, &[]);
    let found = of(&d, "QSA230");
    assert_eq!(found.len(), 1, "{d:?}");
    assert_eq!(found[0].1, "warning");
    assert!(found[0].2.contains("`Omits`"));
    assert_eq!(code, 0, "{d:?}");

    let s = with_app(
        "LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
] WHERE ACCESS = 'NONE';
",
    );
    let (code, d) = check("empty-all", &s, &[]);
    let found = of(&d, "QSA230");
    assert_eq!(found.len(), 1, "{d:?}");
    assert_eq!(found[0].1, "error");
    assert_eq!(code, 1);
    let dir = Scratch::new("lints-rows", "empty-report");
    std::fs::write(dir.path("app.qvs"), &s).expect("script");
    let (code, out, err) = qsa(&[
        "report",
        &dir.arg("app.qvs"),
        "--user",
        "ADMIN1",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["users"][0]["access"], "DENIED", "{out}");
}

/// A script without Section Access, or whose access section leaves no table (QSA216): none of these.
#[test]
fn no_section_access_is_left_to_qsa216() {
    let (_, d) = check("none", APP, &[]);
    none_of_mine(&d);
    let s = with_app(
        "S:
LOAD * INLINE [
ACCESS, USERID
ADMIN, ADMIN1
];
DROP TABLE S;
",
    );
    let (code, d) = check("dropped", &s, &[]);
    none_of_mine(&d);
    assert!(!of(&d, "QSA216").is_empty(), "{d:?}");
    assert_eq!(code, 1);
}
