//! `--tenant DIR` reads `users.json` once: the users' Section Access identity (subject, e-mail, groups with
//! their provider, status) is derived from the tenant exports (`qsa::tenant::identity`) and must equal what
//! `access::directory` reads from `users.json` + `groups.json` (`--directory … --groups …`), diagnostics
//! included. Where the exports hold something only the directory reader reads (other shapes, legacy
//! fields, blank subjects, duplicate ids), the derivation declines and `report --tenant` reads the files
//! through `access::directory`, as before.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/scratch.rs"]
mod scratch;

use qsa::access::directory;
use qsa::diag::SourceMap;
use qsa::tenant::{exports, identity};
use scratch::{copy_dir, Scratch};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tenant/examples/budget")
}

/// (derived, read by access::directory): users, upper-cased catalog names, (code, message) of diagnostics.
type Identity = (Vec<directory::User>, Vec<String>, Vec<(String, String)>);

fn both(dir: &Path) -> (Option<Identity>, Identity) {
    let mut sources = SourceMap::default();
    let ex = match exports::load(dir, &mut sources) {
        Ok(e) => e,
        Err(d) => panic!("exports do not load: {}", d.message),
    };
    let users_path = dir.join("users.json");
    let msgs = |d: &[qsa::diag::Diagnostic]| -> Vec<(String, String)> {
        d.iter()
            .map(|d| (d.code.to_string(), d.message.clone()))
            .collect()
    };
    let derived = identity::directory_users(&ex, &users_path).map(|(users, catalog, diags)| {
        (
            users,
            catalog.upper_names().into_iter().collect(),
            msgs(&diags),
        )
    });
    let mut diags = vec![];
    let (dir_users, catalog, ok) = directory::load(
        &[users_path],
        &[dir.join("groups.json")],
        None,
        &mut sources,
        &mut diags,
    );
    assert!(ok, "{diags:?}");
    let read = (
        dir_users.users,
        catalog.upper_names().into_iter().collect(),
        msgs(&diags),
    );
    (derived, read)
}

fn edit(path: &Path, f: &dyn Fn(&mut Value)) {
    let mut v: Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("reads")).expect("json");
    f(&mut v);
    std::fs::write(path, serde_json::to_string_pretty(&v).expect("prints")).expect("writes");
}

fn variant(name: &str) -> Scratch {
    let s = Scratch::new("tenant-identity", name);
    copy_dir(&fixture(), s.dir());
    s
}

#[test]
fn fixture_identity_equals_directory_reader() {
    let (derived, read) = both(&fixture());
    assert_eq!(derived.as_ref(), Some(&read));
    // Sanity: the users and their groups are really there (ana: Finance idp, CG-Export custom).
    let ana = read
        .0
        .iter()
        .find(|u| u.subject.as_deref() == Some("00uana0000000000000"))
        .expect("ana");
    assert_eq!(ana.key, "65f1c0ffee0000000000a001");
    assert_eq!(
        ana.groups
            .iter()
            .map(|g| (g.name.as_str(), g.provider))
            .collect::<Vec<_>>(),
        [
            ("Finance", directory::Provider::Idp),
            ("CG-Export", directory::Provider::Custom)
        ]
    );
}

// Provider from groups.json when the user's entry lacks it, a group held twice, a blank e-mail, an
// unknown and a missing status (the directory reader's warning, word for word): still equal.
#[test]
fn odd_but_tenant_shaped_users_equal_directory_reader() {
    let s = variant("odd");
    edit(&s.path("users.json"), &|v| {
        let users = v.as_array_mut().expect("array");
        users[0]["assignedGroups"][1]
            .as_object_mut()
            .expect("group ref")
            .remove("providerType");
        let again = users[0]["assignedGroups"][0].clone();
        users[0]["assignedGroups"]
            .as_array_mut()
            .expect("groups")
            .push(again);
        users[1]["email"] = json!("  ");
        users[2]["status"] = json!("suspended");
        users[3].as_object_mut().expect("user").remove("status");
    });
    let (derived, read) = both(s.dir());
    assert_eq!(derived.as_ref(), Some(&read));
    assert!(read
        .2
        .iter()
        .any(|(_, m)| m.contains("unknown status `suspended`")));
    let ana = &read.0[0];
    assert_eq!(ana.groups.len(), 2, "{ana:?}");
    assert_eq!(ana.groups[1].provider, directory::Provider::Custom);
}

// Shapes and fields only the directory reader knows: the derivation declines (None).
#[test]
fn derivation_declines_what_only_the_directory_reader_reads() {
    type Edit = (&'static str, &'static str, fn(&mut Value));
    let edits: [Edit; 5] = [
        ("legacy-groups", "users.json", |v| {
            v[0]["groups"] = json!(["Extra"]);
        }),
        ("idp-groups", "users.json", |v| {
            v[1]["idp_groups"] = json!(["Extra"]);
        }),
        ("blank-name", "users.json", |v| {
            v[1]["name"] = json!("");
        }),
        ("duplicate-id", "users.json", |v| {
            let again = v[0].clone();
            v.as_array_mut().expect("array").push(again);
        }),
        ("users-key-page", "users.json", |v| {
            *v = json!({"data": v.clone(), "users": []});
        }),
    ];
    for (name, file, f) in edits {
        let s = variant(name);
        edit(&s.path(file), &f);
        let mut sources = SourceMap::default();
        let ex = exports::load(s.dir(), &mut sources)
            .unwrap_or_else(|d| panic!("{name}: {}", d.message));
        assert!(
            identity::directory_users(&ex, &s.path("users.json")).is_none(),
            "{name}"
        );
    }
}

// Through the binary: a users.json with a legacy `groups` field takes the directory reader's path, which
// reads those names as IdP groups: ben's legacy group `LegacyGrp` gets him the Section Access row added for
// it (REGION US on top of Finance's EU), as `--directory users.json` gives.
#[test]
fn report_with_legacy_field_falls_back_to_the_directory_reader() {
    let s = variant("report-legacy");
    edit(&s.path("users.json"), &|v| {
        v[1]["groups"] = json!(["LegacyGrp"]);
    });
    let qvs = std::fs::read_to_string(s.path("budget.qvs")).expect("reads");
    let qvs = qvs.replace(
        "USER, *, FINANCE, EU\n",
        "USER, *, FINANCE, EU\nUSER, *, LEGACYGRP, US\n",
    );
    std::fs::write(s.path("budget.qvs"), qvs).expect("writes");
    let script = s.arg("budget.qvs");
    let dir = s.dir().display().to_string();
    let (code, out, err) = binary::qsa(&[
        "report", &script, "--tenant", &dir, "--app", "Budget", "--format", "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let report: Value = serde_json::from_str(&out).expect("json");
    let ben = binary::user(&report, "00uben0000000000000");
    assert_eq!(ben["access"], "USER");
    assert_eq!(ben["reduction"], json!({"REGION": ["EU", "US"]}));
}
