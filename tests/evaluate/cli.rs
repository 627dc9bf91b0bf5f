//! The CLI: `qsa report --format json` (the product.md contract, snapshot), determinism, exit codes, and
//! `qsa preview` with `--export`.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn qsa(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run qsa");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

const SCRIPT: &str = "fixtures/sa/regional/app.qvs";
const USERS: &str = "fixtures/sa/regional/users.json";
const GROUPS: &str = "fixtures/sa/regional/groups.json";

#[test]
fn report_json_contract_shape() {
    let args = [
        "report",
        SCRIPT,
        "--directory",
        USERS,
        "--groups",
        GROUPS,
        "--format",
        "json",
    ];
    let (code, out, err) = qsa(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["schema"], "qsa.report/1");
    assert_eq!(v["target"], "cloud");
    assert_eq!(v["users"].as_array().map(|a| a.len()), Some(4));
    let grace = &v["users"][3];
    assert_eq!(grace["id"], "auth0|5e8f0000000000000000beef");
    assert_eq!(
        (grace["access"].as_str(), grace["denied_reason"].as_str()),
        (Some("DENIED"), Some("status"))
    );
    assert!(v["diagnostics"].is_array());
    assert_eq!(qsa(&args).1, out, "deterministic");
}

/// Needs the script runner (`script::run_file`) from main: until it lands the script loads no tables.
#[test]
fn report_json_contract_snapshot() {
    let args = [
        "report",
        SCRIPT,
        "--directory",
        USERS,
        "--groups",
        GROUPS,
        "--format",
        "json",
    ];
    let (code, out, err) = qsa(&args);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(v["schema"], "qsa.report/1");
    assert_eq!(v["target"], "cloud");
    let ids: Vec<&str> = v["users"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|u| u["id"].as_str())
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "users sorted by id");
    for u in v["users"].as_array().into_iter().flatten() {
        for key in [
            "id",
            "email",
            "access",
            "denied_reason",
            "reduction",
            "omitted_fields",
            "tables",
            "rules",
        ] {
            assert!(u.get(key).is_some(), "missing {key}");
        }
    }
    // Deterministic: byte-identical on a second run.
    assert_eq!(qsa(&args).1, out);
    insta::assert_snapshot!("report_regional_json", out);
}

#[test]
fn report_human_and_csv() {
    let (code, out, _) = qsa(&["report", SCRIPT, "--directory", USERS, "--groups", GROUPS]);
    assert_eq!(code, 0);
    assert!(out.contains("USER") && out.contains("ACCESS"));
    let (code, out, _) = qsa(&["report", SCRIPT, "--directory", USERS, "--format", "csv"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("id,email,access,denied_reason,reduction,omitted_fields,tables,rules\n")
    );
}

#[test]
fn report_exit_2_on_bad_inputs() {
    let (code, _, err) = qsa(&[
        "report",
        SCRIPT,
        "--directory",
        "fixtures/sa/directory/broken.json",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("QSA401") && err.contains("broken.json:3:"),
        "{err}"
    );
    let (code, _, _) = qsa(&["report", "fixtures/sa/no-such-script.qvs"]);
    assert_eq!(code, 2);
}

#[test]
fn preview_and_export() {
    let dir = std::env::temp_dir().join(format!("qsa-preview-export-{}", std::process::id()));
    let d = dir.display().to_string();
    let (code, out, err) = qsa(&[
        "preview",
        SCRIPT,
        "--user",
        "ada.lovelace@example.org",
        "--directory",
        USERS,
        "--groups",
        GROUPS,
        "--export",
        &d,
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("access:"), "{out}");
    assert!(out.contains("tables (rows kept / total):"));
    for t in ["Sales", "Products", "Regions"] {
        assert!(dir.join(format!("{t}.csv")).exists(), "{t}.csv");
    }
    let (code, _, err) = qsa(&[
        "preview",
        SCRIPT,
        "--user",
        "nobody@nowhere",
        "--directory",
        USERS,
    ]);
    assert_eq!(code, 2);
    assert!(err.contains("QSA305"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JSON contract rendered from the regional scenario built directly as data models (the same content
/// as `fixtures/sa/regional/app.qvs`), with the fixture's Cloud users and groups exports. Snapshot.
#[test]
fn report_json_snapshot_from_models() {
    use crate::common::*;
    use qsa::access::{directory, Target};
    let sa = table(
        "Access",
        "ACCESS,USERID,USER.EMAIL,GROUP,REGION,OMIT",
        &[
            "ADMIN,00U1AB2CD3EF4GH5IJ6K,*,*,,",
            "USER,*,LINUS@EXAMPLE.ORG,*,US,MARGIN",
            "USER,*,*,FINANCE EMEA,EMEA,",
            "USER,*,*,CG-APAC,APAC,MARGIN",
            "USER,*,*,SALES,*,",
        ],
    );
    let sales = table(
        "Sales",
        "ORDERID,REGION,PRODUCTID,AMOUNT,MARGIN",
        &[
            "1001,EMEA,P1,120,36",
            "1002,EMEA,P2,80,24",
            "1003,US,P1,200,60",
            "1004,US,P3,50,15",
            "1005,APAC,P2,75,22",
            "1006,LATAM,P1,60,18",
        ],
    );
    let products = table(
        "Products",
        "PRODUCTID,PRODUCT",
        &["P1,Widget", "P2,Gadget", "P3,Gizmo"],
    );
    let regions = table(
        "Regions",
        "REGION,REGIONNAME",
        &[
            "EMEA,Europe",
            "US,United States",
            "APAC,Asia Pacific",
            "LATAM,Latin America",
        ],
    );
    let mut r = run_vars(
        vec![sales, products, regions],
        vec![sa],
        &[("QlikCloudGroupMode", "2")],
    );
    let mut diags = vec![];
    let (dir, _, ok) = directory::load(
        &[root().join(USERS)],
        &[root().join(GROUPS)],
        None,
        &mut r.sources,
        &mut diags,
    );
    assert!(ok);
    let p = qsa::reduce::prepare(&r, Target::Cloud).expect("evaluable");
    let res = p.evaluate(&dir.users, false);
    let out = qsa::report::users::render_json(
        &res,
        Target::Cloud,
        p.group_mode(),
        &p.diagnostics,
        &r.sources,
    );
    insta::assert_snapshot!("report_regional_models_json", out);
    let human = qsa::report::users::render_human(&res, Target::Cloud, p.group_mode(), None);
    insta::assert_snapshot!("report_regional_models_human", human);
}

fn report_json(args: &[&str]) -> serde_json::Value {
    let (code, out, err) = qsa(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

fn user_entry<'a>(v: &'a serde_json::Value, id: &str) -> &'a serde_json::Value {
    v["users"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|u| u["id"] == id)
        .unwrap_or_else(|| panic!("no user {id}"))
}

/// §8 examples through the whole pipeline (script → runner → engine → JSON).
#[test]
fn examples_end_to_end() {
    let v = report_json(&[
        "report",
        "fixtures/sa/examples/ex1_omit_star.qvs",
        "--user",
        "USER5",
        "--format",
        "json",
    ]);
    assert_eq!(
        user_entry(&v, "USER5")["omitted_fields"],
        serde_json::json!(["EMPLOYEES", "SALES", "WAREHOUSE"])
    );
    let v = report_json(&[
        "report",
        "fixtures/sa/examples/ex2_strict_exclusion.qvs",
        "--format",
        "json",
    ]);
    assert_eq!(
        user_entry(&v, "ANNA")["reduction"]["F"],
        serde_json::json!(["A", "B"])
    );
    assert_eq!(
        user_entry(&v, "MARY")["reduction"]["F"],
        serde_json::json!(["A"])
    );
    assert_eq!(user_entry(&v, "ERICA")["access"], "DENIED");
    assert_eq!(
        user_entry(&v, "BOSS")["reduction"]["F"],
        serde_json::Value::Null
    );
    let s = "fixtures/sa/examples/ex5_two_identity_styles.qvs";
    let v = report_json(&[
        "report",
        s,
        "--user",
        "auth0|joe",
        "--email",
        "joe@example.com",
        "--format",
        "json",
    ]);
    assert_eq!(
        user_entry(&v, "auth0|joe")["reduction"]["COUNTRY"],
        serde_json::json!(["US"])
    );
    let v = report_json(&[
        "report",
        s,
        "--target",
        "client-managed",
        "--user",
        "CORP\\joe",
        "--format",
        "json",
    ]);
    assert_eq!(
        user_entry(&v, "CORP\\joe")["reduction"]["COUNTRY"],
        serde_json::json!(["US"])
    );
}
