//! The fixture `fixtures/tenant/examples/budget/` (the worked examples of shared/spec/tenant.md §4) for
//! the tests that run the binary with `--tenant` (`tests/tenant_report.rs`, `tests/tenant_cmds.rs`): its
//! paths and users, copies of it edited into the examples' variants, and [`refuses`]. The crate also
//! declares the `binary` and `scratch` modules of this folder.
#![allow(dead_code)]

use super::binary::qsa;
use super::scratch::{copy_dir, edit_json, Scratch};
use serde_json::{json, Value};
use std::path::Path;

pub const DIR: &str = "fixtures/tenant/examples/budget";
pub const SCRIPT: &str = "fixtures/tenant/examples/budget/budget.qvs";
pub const ANA: &str = "00uana0000000000000";
pub const BEN: &str = "00uben0000000000000";
pub const CY: &str = "00ucy0000000000000";
pub const DEE: &str = "00udee0000000000000";
pub const EVE: &str = "00ueve0000000000000";
/// The group Finance (idp).
pub const FINANCE: &str = "66aa00000000000000000b01";
/// The space *Fin*.
pub const FIN: &str = "66f0000000000000000055aa";

/// Copy the fixture folder (with assignments/ and shares/) to a scratch folder.
pub fn copy_fixture(scratch: &Scratch) {
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR),
        scratch.dir(),
    );
}

/// Edit a copy of the fixture into example 3's tenant: UserDefault `user_default`, Everyone
/// EmbeddedAnalyticsUser only, Finance → basicconsumer.
pub fn make_no_download(scratch: &Scratch, user_default: &[&str]) {
    let scopes = json!(user_default);
    edit_json(&scratch.path("roles.json"), &|o| {
        if o.get("name") == Some(&json!("UserDefault")) && o.contains_key("assignedScopes") {
            o.insert("assignedScopes".into(), scopes.clone());
        }
    });
    edit_json(&scratch.path("system-groups.json"), &|o| {
        if o.get("id") == Some(&json!("000000000000000000000001")) {
            o.insert(
                "assignedRoles".into(),
                json!([{"id": "6500000000000000000000e2", "name": "EmbeddedAnalyticsUser",
                        "type": "default", "level": "user"}]),
            );
        }
    });
    edit_json(&scratch.path(&format!("assignments/{FIN}.json")), &|o| {
        if o.get("assigneeId") == Some(&json!(FINANCE)) {
            o.insert("roles".into(), json!(["basicconsumer"]));
        }
    });
}

/// Write example 4's OAuth client `reporting-bot` (allowed scopes: `apps.image:export`) to
/// `client.json` in the scratch folder; its path as an argument.
pub fn write_oauth_client(scratch: &Scratch) -> String {
    std::fs::write(
        scratch.path("client.json"),
        r#"{"clientId": "c0ffee", "clientName": "reporting-bot", "allowedScopes": ["apps.image:export"]}"#,
    )
    .expect("write");
    scratch.arg("client.json")
}

/// The strings of a JSON array.
pub fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// `qsa args` exits 2 with nothing on stdout and every one of `needles` on stderr.
pub fn refuses(args: &[&str], needles: &[&str]) {
    let (code, out, err) = qsa(args);
    assert_eq!(code, 2, "{args:?}: {out}");
    assert!(out.is_empty(), "{args:?}: {out}");
    for n in needles {
        assert!(err.contains(n), "{args:?}: `{n}` not in {err}");
    }
}
