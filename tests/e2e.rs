//! End to end: the README's example through the real binary, with results computed by hand from
//! `fixtures/example/` (see the comments for the reasoning, rule by rule).

use serde_json::Value;
use std::process::Command;

fn qsa(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the qsa binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn report_json() -> Value {
    let (code, stdout, stderr) = qsa(&[
        "report",
        "fixtures/example/sales.qvs",
        "--directory",
        "fixtures/example/users.json",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "stderr: {stderr}\nstdout: {stdout}");
    serde_json::from_str(&stdout).expect("report --format json prints JSON")
}

fn user<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["users"]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["id"] == id))
        .unwrap_or_else(|| panic!("user {id} is in the report"))
}

fn rows(u: &Value, table: &str) -> (u64, u64) {
    let t = &u["tables"][table];
    (
        t["rows"].as_u64().unwrap_or(u64::MAX),
        t["total_rows"].as_u64().unwrap_or(u64::MAX),
    )
}

#[test]
fn example_report_header_and_order() {
    let r = report_json();
    assert_eq!(r["schema"], "qsa.report/1");
    assert_eq!(r["target"], "cloud");
    // S7: `SET QlikCloudGroupMode=2;` is the value at the end of the script.
    assert_eq!(r["group_mode"], 2);
    let ids: Vec<&str> = r["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "auth0|ada0002",
            "auth0|admin0001",
            "auth0|grace0003",
            "okta|00u1eve0006",
            "okta|00u1fin0005",
            "okta|00u1ken0004"
        ]
    );
}

#[test]
fn example_admin_with_blank_reduction_sees_everything() {
    // Row `ADMIN, auth0|admin0001, *, *, ,`: USERID matches the subject (I5, compared upper-cased, I3);
    // the blank REGION gives no allowed value, and an ADMIN's field is then not reduced (R2, L3).
    let r = report_json();
    let u = user(&r, "auth0|admin0001");
    assert_eq!(u["access"], "ADMIN");
    assert_eq!(u["reduction"]["REGION"], Value::Null);
    assert_eq!(rows(u, "Sales"), (8, 8));
    assert_eq!(rows(u, "Regions"), (4, 4));
    assert_eq!(rows(u, "Products"), (3, 3));
}

#[test]
fn example_users_by_email_and_propagation() {
    let r = report_json();
    // Ada matches by USER.EMAIL (I1, `*` in the other identity columns): REGION EU.
    let ada = user(&r, "auth0|ada0002");
    assert_eq!(ada["access"], "USER");
    assert_eq!(ada["reduction"]["REGION"], serde_json::json!(["EU"]));
    assert_eq!(rows(ada, "Sales"), (3, 8)); // orders 1001, 1002, 1007
    assert_eq!(rows(ada, "Regions"), (1, 4));
    assert_eq!(rows(ada, "Products"), (3, 3)); // R4: P1, P2, P3 all sold in EU
    assert_eq!(ada["omitted_fields"], serde_json::json!([]));

    // Grace: US, and OMIT MARGIN (O1).
    let grace = user(&r, "auth0|grace0003");
    assert_eq!(grace["reduction"]["REGION"], serde_json::json!(["US"]));
    assert_eq!(rows(grace, "Sales"), (3, 8));
    assert_eq!(grace["omitted_fields"], serde_json::json!(["MARGIN"]));
}

#[test]
fn example_groups_under_mode_2() {
    let r = report_json();
    // Ken holds the custom group CG-APAC-READERS; mode 2 uses IdP and custom groups (I6).
    let ken = user(&r, "okta|00u1ken0004");
    assert_eq!(ken["access"], "USER");
    assert_eq!(ken["reduction"]["REGION"], serde_json::json!(["APAC"]));
    assert_eq!(rows(ken, "Sales"), (1, 8)); // order 1005
    assert_eq!(rows(ken, "Products"), (1, 3)); // R4: only P2 is linked to a kept sale

    // Fiona's IdP group Finance matches FINANCE (upper-cased, I6); `*` in REGION stands for the values
    // listed in the column (EU, US, APAC), not LATAM which only the data has (R1).
    let fiona = user(&r, "okta|00u1fin0005");
    assert_eq!(
        fiona["reduction"]["REGION"],
        serde_json::json!(["APAC", "EU", "US"])
    );
    assert_eq!(rows(fiona, "Sales"), (7, 8));
    assert_eq!(rows(fiona, "Regions"), (3, 4));

    // Eve matches no row: denied (L1).
    let eve = user(&r, "okta|00u1eve0006");
    assert_eq!(eve["access"], "DENIED");
}

#[test]
fn unreadable_script_exits_2() {
    let (code, _, stderr) = qsa(&["check", "fixtures/example/does-not-exist.qvs"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("does-not-exist.qvs"), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    // `qsa report … | head -1`: the pipe closes before qsa has written everything. No panic (exit 101).
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args([
            "report",
            "fixtures/example/sales.qvs",
            "--directory",
            "fixtures/example/users.json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the qsa binary runs");
    drop(child.stdout.take());
    drop(child.stderr.take());
    let status = child.wait().expect("qsa ends");
    assert_eq!(status.code(), Some(0));
}
