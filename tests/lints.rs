//! Lint control through the binary (issue 11): `--deny/--warn/--allow CODE|NAME`, `qsa.toml` beside or
//! above the script, `// qsa: allow(…)` comments, and `qsa rules`. Codes that mean qsa could not run or
//! could not evaluate faithfully are never silenced (fail-closed.md).

#[path = "common/binary.rs"]
mod binary;
#[path = "common/scratch.rs"]
mod scratch;

use binary::qsa;
use scratch::Scratch;
use serde_json::Value;

/// I2 (a blank USERID: QSA202 blank-identity, warning) and R2 (`XX` not in REGION: QSA208
/// value-not-in-data, warning; U2 keeps EU, so strict exclusion denies nobody: no QSA225).
const SCRIPT: &str = "Section Access;
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1,
USER, , EU
USER, U2, XX
USER, U2, EU
];
Section Application;
LOAD * INLINE [
REGION, X
EU, 1
US, 2
];
";

fn codes(json: &str) -> Vec<(String, String)> {
    let v: Value = serde_json::from_str(json).expect("json");
    let mut out: Vec<(String, String)> = v["diagnostics"]
        .as_array()
        .expect("diagnostics")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or_default().to_string(),
                d["severity"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn pair(code: &str, sev: &str) -> (String, String) {
    (code.to_string(), sev.to_string())
}

fn check(dir: &Scratch, script: &str, extra: &[&str]) -> (i32, String, String) {
    let path = dir.arg(script);
    let mut args = vec!["check", path.as_str(), "--format", "json"];
    args.extend_from_slice(extra);
    qsa(&args)
}

#[test]
fn flags_deny_warn_allow_by_code_or_name() {
    let dir = Scratch::new("lints", "flags");
    std::fs::write(dir.path("s.qvs"), SCRIPT).unwrap();
    let (code, out, err) = check(&dir, "s.qvs", &[]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(
        codes(&out),
        [pair("QSA202", "warning"), pair("QSA208", "warning")]
    );

    let (code, out, _) = check(
        &dir,
        "s.qvs",
        &["--deny", "blank-identity", "--allow", "QSA208"],
    );
    assert_eq!(code, 1);
    assert_eq!(codes(&out), [pair("QSA202", "error")]);

    let (code, out, _) = check(&dir, "s.qvs", &["--deny", "warnings"]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&out),
        [pair("QSA202", "warning"), pair("QSA208", "warning")]
    );

    let (code, _, _) = check(
        &dir,
        "s.qvs",
        &["--deny", "warnings", "--allow", "qsa202,value-not-in-data"],
    );
    assert_eq!(code, 0);
}

#[test]
fn flags_that_cannot_apply_exit_2() {
    let dir = Scratch::new("lints", "badflags");
    std::fs::write(dir.path("s.qvs"), SCRIPT).unwrap();
    let (code, out, err) = check(&dir, "s.qvs", &["--allow", "not-evaluable"]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(
        err.contains("QSA215 (not-evaluable) cannot be set to `allow`"),
        "{err}"
    );
    let (code, _, err) = check(&dir, "s.qvs", &["--warn", "blank-identty"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean blank-identity"), "{err}");
    let (code, _, err) = check(&dir, "s.qvs", &["--deny", "QSA202", "--allow", "QSA202"]);
    assert_eq!(code, 2);
    assert!(err.contains("both"), "{err}");
}

#[test]
fn qsa_toml_above_the_script_then_flags_win() {
    let dir = Scratch::new("lints", "toml");
    std::fs::create_dir_all(dir.path("app/scripts")).unwrap();
    std::fs::write(dir.path("app/scripts/s.qvs"), SCRIPT).unwrap();
    std::fs::write(
        dir.path("app/qsa.toml"),
        "[lints]\ndeny = [\"QSA202\"]\nallow = [\"value-not-in-data\"]\n",
    )
    .unwrap();
    let (code, out, err) = check(&dir, "app/scripts/s.qvs", &[]);
    assert_eq!(code, 1, "{err}");
    assert_eq!(codes(&out), [pair("QSA202", "error")]);
    // A flag wins over the file for the same code.
    let (code, out, _) = check(&dir, "app/scripts/s.qvs", &["--warn", "QSA202"]);
    assert_eq!(code, 0);
    assert_eq!(codes(&out), [pair("QSA202", "warning")]);
    // --no-config ignores the file.
    let (_, out, _) = check(&dir, "app/scripts/s.qvs", &["--no-config"]);
    assert_eq!(
        codes(&out),
        [pair("QSA202", "warning"), pair("QSA208", "warning")]
    );
}

#[test]
fn qsa_toml_errors_are_located_exit_2() {
    let dir = Scratch::new("lints", "badtoml");
    std::fs::write(dir.path("s.qvs"), SCRIPT).unwrap();
    std::fs::write(
        dir.path("qsa.toml"),
        "[lints]\ndeny = [\"QSA202\"]\nignore = [\"QSA208\"]\n",
    )
    .unwrap();
    let (code, out, err) = check(&dir, "s.qvs", &[]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("QSA405") && err.contains("ignore"), "{err}");
    assert!(err.contains("qsa.toml:3:1"), "{err}");
    std::fs::write(
        dir.path("qsa.toml"),
        "[lints]\nallow = [\"source-missing\"]\n",
    )
    .unwrap();
    let (code, _, err) = check(&dir, "s.qvs", &[]);
    assert_eq!(code, 2);
    assert!(
        err.contains("never silenced") && err.contains("qsa.toml:2:10"),
        "{err}"
    );
}

#[test]
fn allow_comment_covers_the_next_statement() {
    let dir = Scratch::new("lints", "comment");
    let script = SCRIPT.replace(
        "Section Access;\n",
        "Section Access;\n// qsa: allow(blank-identity) the blank row is a placeholder\n",
    );
    std::fs::write(dir.path("s.qvs"), script).unwrap();
    let (code, out, _) = check(&dir, "s.qvs", &[]);
    assert_eq!(code, 0);
    assert_eq!(codes(&out), [pair("QSA208", "warning")]);
    // A comment that names a refusal is an error of the check, and silences nothing.
    let script = SCRIPT.replace(
        "Section Access;\n",
        "Section Access;\n// qsa: allow(QSA215, QSA202)\n",
    );
    std::fs::write(dir.path("s.qvs"), script).unwrap();
    let (code, out, _) = check(&dir, "s.qvs", &[]);
    assert_eq!(code, 1);
    assert_eq!(
        codes(&out),
        [
            pair("QSA202", "warning"),
            pair("QSA208", "warning"),
            pair("QSA405", "error")
        ]
    );
}

#[test]
fn rules_lists_the_catalogue_and_documents_one() {
    let (code, out, _) = qsa(&["rules"]);
    assert_eq!(code, 0);
    for needle in [
        "QSA204  cross-product",
        "QSA215  not-evaluable",
        "QSA405  config-invalid",
    ] {
        assert!(out.contains(needle), "{needle}\n{out}");
    }
    let (code, out, _) = qsa(&["rules", "cross-product"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# QSA204 cross-product"), "{out}");
    assert!(out.contains("- rules: R3"), "{out}");
    let (code, out, _) = qsa(&["rules", "qsa204", "--format", "json"]);
    assert_eq!(code, 0);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["name"], "cross-product");
    assert_eq!(v["configurable"], true);
    let (code, out, err) = qsa(&["rules", "QSA999"]);
    assert_eq!(code, 2);
    assert!(out.is_empty() && err.contains("not a qsa code"), "{err}");
    let (_, out, _) = qsa(&["rules", "--format", "json"]);
    let v: Value = serde_json::from_str(&out).expect("json");
    assert!(v["rules"].as_array().map_or(0, Vec::len) >= 50);
}

/// QSA301 depends-on-decision comes from `preview` (one user's result), not from `check`: BEN's rows mix
/// ADMIN and USER, so his result rests on L2, a rule qsa decided.
#[test]
fn preview_says_when_a_result_depends_on_a_decision() {
    let (code, _out, err) = qsa(&["preview", "fixtures/lints/QSA203.qvs", "--user", "BEN"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("warning[QSA301]") && err.contains("this result depends on rule L2 [dec]"),
        "{err}"
    );
    // ADMIN1 matches one ADMIN row: nothing depends on a decision.
    let (code, _out, err) = qsa(&["preview", "fixtures/lints/QSA203.qvs", "--user", "ADMIN1"]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("QSA301"), "{err}");
}

/// QSA216 is configurable for its info form (no Section Access at all), but its error form is a refusal
/// (Section Access entered, no security table left: qsa does not guess): neither `--allow`/`--warn` nor a
/// `// qsa: allow` comment silences or downgrades it (fail closed).
#[test]
fn the_refusal_form_of_no_section_access_is_never_silenced() {
    let script = "fixtures/lints/QSA216-dropped.qvs";
    for flag in ["--allow", "--warn"] {
        let (code, out, err) = qsa(&["check", script, flag, "no-section-access"]);
        assert_eq!(code, 1, "{flag}: {out}{err}");
        assert!(out.contains("error[QSA216]"), "{flag}: {out}");
    }
    let s = Scratch::new("lints", "refusal-216");
    let text = std::fs::read_to_string(script).expect("fixture");
    let text = text.replace(
        "Section Access;",
        "// qsa: allow(no-section-access)\nSection Access;",
    );
    std::fs::write(s.path("app.qvs"), text).expect("write");
    let (code, out, _) = qsa(&["check", &s.arg("app.qvs"), "--no-config"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("error[QSA216]"), "{out}");
    // The info form is still a lint that can be allowed.
    let (code, out, _) = qsa(&["check", "fixtures/lints/QSA216.qvs", "--allow", "QSA216"]);
    assert_eq!(code, 0);
    assert!(out.contains("no problems found"), "{out}");
}

/// The codes `check` reports for `script` (with `extra` arguments).
fn codes_of(tag: &str, script: &str, extra: &[&str]) -> Vec<(String, String)> {
    let dir = Scratch::new("lints", tag);
    std::fs::write(dir.path("s.qvs"), script).unwrap();
    let (code, out, err) = check(&dir, "s.qvs", extra);
    assert!(code == 0 || code == 1, "{tag}: exit {code}\n{err}");
    codes(&out)
}

fn fires(found: &[(String, String)], code: &str) -> Option<String> {
    found
        .iter()
        .find(|(c, _)| c == code)
        .map(|(_, s)| s.clone())
}

const APP: &str = "Section Application;
Sales:
LOAD * INLINE [
REGION, AMOUNT
EU, 10
US, 20
];
";

/// QSA218–QSA224 (issue 11 items 1, 4, 6, 11, 17, 19) stay quiet on sound variants of their fixtures.
#[test]
fn new_security_lints_quiet_on_sound_scripts() {
    // QSA218: a bridge table in Section Access links to the security table (KEY) and to the app (REGION).
    let bridge = format!(
        "Section Access;
LOAD * INLINE [
ACCESS, USERID, KEY
ADMIN, ADMIN1, K0
USER, ANNA, K1
];
LOAD * INLINE [
KEY, REGION
K0, EU
K0, US
K1, EU
];
{APP}"
    );
    let found = codes_of("q218", &bridge, &[]);
    assert_eq!(fires(&found, "QSA218"), None, "{found:?}");
    // QSA219: lower-case values in a field Section Access does not reduce (NAME) are fine.
    let upper = "Section Access;
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1,
USER, ANNA, EU
USER, BOB, US
];
Section Application;
LOAD * INLINE [
REGION, NAME
EU, Europe
US, United States
];
";
    assert!(codes_of("q219", upper, &[]).is_empty());
    // QSA220: `*` where the column lists every value of the data.
    let star = format!(
        "Section Access;
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1, *
USER, ANNA, EU
USER, BOB, US
];
{APP}"
    );
    assert!(codes_of("q220", &star, &[]).is_empty());
    // …and fires when the column lists nothing but `*`: then `*` selects nothing (R1, R2).
    let only_star = star
        .replace("USER, ANNA, EU\n", "")
        .replace("USER, BOB, US\n", "USER, BOB, *\n");
    let found = codes_of("q220b", &only_star, &[]);
    assert_eq!(
        fires(&found, "QSA220").as_deref(),
        Some("warning"),
        "{found:?}"
    );
    // QSA221: the mode set (to 0, IdP groups on purpose), or GROUP holding only `*`.
    let groups = |mode: &str, group: &str| {
        format!(
            "{mode}Section Access;
LOAD * INLINE [
ACCESS, USERID, GROUP, REGION
ADMIN, ADMIN1, *,
USER, *, {group}, EU
];
{APP}"
        )
    };
    let set0 = groups("SET QlikCloudGroupMode = 0;\n", "FINANCE");
    assert!(codes_of("q221a", &set0, &[]).is_empty());
    assert!(codes_of("q221b", &groups("", "*"), &[]).is_empty());
    assert_eq!(
        fires(&codes_of("q221c", &groups("", "FINANCE"), &[]), "QSA221").as_deref(),
        Some("info")
    );
    // QSA222: the variable set for the cloud target, or unset for client-managed.
    assert_eq!(fires(&codes_of("q222a", &set0, &[]), "QSA222"), None);
    let cm = groups("", "FINANCE").replace(
        "ADMIN, ADMIN1, *,",
        "ADMIN, ADMIN1, *,\nADMIN, INTERNAL\\SA_SCHEDULER, *,",
    );
    let found = codes_of("q222b", &cm, &["--target", "client-managed"]);
    assert_eq!(fires(&found, "QSA222"), None, "{found:?}");
    // QSA223: a field name differing in case is another field; without Section Access nothing is reserved.
    let fields = |sa: bool, field: &str| {
        let access = if sa {
            "Section Access;\nLOAD * INLINE [\nACCESS, USERID\nADMIN, ADMIN1\n];\n"
        } else {
            ""
        };
        format!("{access}Section Application;\nLOAD * INLINE [\n{field}, X\nA, 1\n];\n")
    };
    assert!(codes_of("q223a", &fields(true, "UserId"), &[]).is_empty());
    let found = codes_of("q223b", &fields(false, "USERID"), &[]);
    assert_eq!(fires(&found, "QSA223"), None, "{found:?}");
    assert_eq!(
        fires(&codes_of("q223c", &fields(true, "GROUP"), &[]), "QSA223").as_deref(),
        Some("warning")
    );
    // QSA224: a star symbol ended before the application section, or no Section Access at all.
    let ended = format!(
        "Section Access;
Star is *;
LOAD * INLINE [
ACCESS, USERID, REGION
ADMIN, ADMIN1,
USER, ANNA, EU
USER, BOB, *
];
Star is;
{APP}"
    );
    let found = codes_of("q224a", &ended, &[]);
    assert_eq!(fires(&found, "QSA224"), None, "{found:?}");
    let no_sa = "Star is *;\nLOAD * INLINE [\nREGION\n*\nEU\n];\n";
    let found = codes_of("q224b", no_sa, &[]);
    assert_eq!(fires(&found, "QSA224"), None, "{found:?}");
    // Qlik's own example: `Star is *;` above Section Access, no star value in the app data: info only.
    let doc_example = format!(
        "Star is *;\n{}",
        ended
            .replace("Section Access;\nStar is *;\n", "Section Access;\n")
            .replace("Star is;\n", "")
    );
    assert!(doc_example.starts_with("Star is *;\nSection Access;\nLOAD"));
    assert_eq!(
        fires(&codes_of("q224c", &doc_example, &[]), "QSA224").as_deref(),
        Some("info")
    );
    // A star value outside the reduction fields: warning.
    // Set inside Section Access and never ended: still in force for the app data.
    let other = ended.replace("Star is;\n", "").replace("US, 20", "US, *");
    assert_eq!(
        fires(&codes_of("q224d", &other, &[]), "QSA224").as_deref(),
        Some("warning")
    );
    // The star value in REGION, the reduction field: undefined in Qlik, so qsa refuses (fail closed).
    let reduced = ended.replace("Star is;\n", "").replace("US, 20", "*, 20");
    let found = codes_of("q224e", &reduced, &[]);
    assert_eq!(
        fires(&found, "QSA215").as_deref(),
        Some("error"),
        "{found:?}"
    );
    let dir = Scratch::new("lints", "q224f");
    std::fs::write(dir.path("s.qvs"), &reduced).unwrap();
    let path = dir.arg("s.qvs");
    let (code, _, err) = qsa(&["report", path.as_str()]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("QSA215") && err.contains("Star is *"), "{err}");
}
