//! Helpers for tests that run the `qsa` binary and read its JSON report (`tests/e2e.rs`,
//! `tests/demo.rs`). Each test crate uses some of them.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::BTreeMap;
use std::process::Command;

/// Run the binary from the repository root: (exit code, stdout, stderr).
pub fn qsa(args: &[&str]) -> (i32, String, String) {
    qsa_env(args, &[])
}

/// [`qsa`] with extra environment variables.
pub fn qsa_env(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(args)
        .envs(env.iter().copied())
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the qsa binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// One user of a `report --format json`, by id.
pub fn user<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["users"]
        .as_array()
        .and_then(|us| us.iter().find(|u| u["id"] == id))
        .unwrap_or_else(|| panic!("user {id} is in the report"))
}

/// (rows kept, total rows) of a table in one user's entry.
pub fn rows(u: &Value, table: &str) -> (u64, u64) {
    let t = &u["tables"][table];
    (
        t["rows"].as_u64().unwrap_or(u64::MAX),
        t["total_rows"].as_u64().unwrap_or(u64::MAX),
    )
}

/// The users of a `report --format json` output, by id.
pub fn users_by_id(report_json: &str) -> BTreeMap<String, Value> {
    let v: Value = serde_json::from_str(report_json).expect("report --format json prints JSON");
    v["users"]
        .as_array()
        .expect("users")
        .iter()
        .map(|u| (u["id"].as_str().expect("an id").to_string(), u.clone()))
        .collect()
}

/// The human `report --tenant` table's first columns (its second line, the header): USER, then OPEN,
/// ROLES, EXPORT, FULL before ACCESS (tenant.md §3).
pub fn assert_tenant_header(human: &str) {
    let header = human.lines().nth(1).expect("a header");
    let cols: Vec<&str> = header.split_whitespace().collect();
    assert_eq!(
        cols.get(..6),
        Some(&["USER", "OPEN", "ROLES", "EXPORT", "FULL", "ACCESS"][..]),
        "{header}"
    );
}
