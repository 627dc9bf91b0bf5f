//! `qsa report --tenant DIR --app ID|NAME` through the binary (shared/spec/tenant.md §1, T15, §3): the
//! worked examples 1 to 5 of §4 end to end on `fixtures/tenant/examples/budget/` (its `budget.qvs`
//! holds the example's Section Access), the flag errors, and the output without `--tenant` unchanged.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/budget.rs"]
mod budget;
#[path = "common/scratch.rs"]
mod scratch;

use binary::{assert_tenant_header, qsa, rows, user};
use budget::{
    copy_fixture, make_no_download, refuses, strs, write_oauth_client, ANA, BEN, CY, DEE, DIR, EVE,
    SCRIPT,
};
use scratch::{edit_json, Scratch};
use serde_json::{json, Value};
/// `report` of the fixture's script with the fixture's tenant and app.
const BUDGET_ARGS: [&str; 6] = ["report", SCRIPT, "--tenant", DIR, "--app", "Budget"];

/// `report --format json` with `--tenant dir --app Budget`; exits 0.
fn report(dir: &str) -> Value {
    report_with(dir, &[])
}

/// [`report`] with more arguments.
fn report_with(dir: &str, more: &[&str]) -> Value {
    let args = ["report", SCRIPT, "--tenant", dir, "--app", "Budget"];
    let (code, out, err) = qsa(&[&args[..], more, &["--format", "json"]].concat());
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("report --format json prints JSON")
}

/// Access, denied reason, reduction, tenant.open.can, tenant.export, tenant.section_access of one user.
fn summary(r: &Value, id: &str) -> (String, Value, Value, bool, String, String) {
    let u = user(r, id);
    let t = &u["tenant"];
    (
        u["access"].as_str().unwrap_or("?").to_string(),
        u["denied_reason"].clone(),
        u["reduction"].clone(),
        t["open"]["can"].as_bool().unwrap_or(false),
        t["export"].as_str().unwrap_or("?").to_string(),
        t["section_access"].as_str().unwrap_or("?").to_string(),
    )
}

/// `id` opens the app and Section Access grants USER with `reduction`; the tenant's download is `export`.
fn opens_as_user(r: &Value, id: &str, export: &str, reduction: Value) {
    let want = (
        "USER".into(),
        Value::Null,
        reduction,
        true,
        export.into(),
        "USER".into(),
    );
    assert_eq!(summary(r, id), want, "{id}");
}

/// The tenant denies `id` (T15) with `reason`: DENIED, empty reduction, 0 rows, no download; Section
/// Access alone gave `section_access`.
fn tenant_denies(r: &Value, id: &str, reason: &str, section_access: &str) {
    let want = (
        "DENIED".into(),
        json!(reason),
        json!({}),
        false,
        "not-allowed".into(),
        section_access.into(),
    );
    assert_eq!(summary(r, id), want, "{id}");
    assert_eq!(rows(user(r, id), "Budget"), (0, 2), "{id}");
}

// Example 1 (managed space Fin): T11 opening, T16 download, T18, T15 joined with Section Access.
#[test]
fn example1_managed_joined_with_section_access() {
    let r = report(DIR);
    assert_eq!(r["schema"], "qsa.report/1");
    assert_eq!(
        r["tenant"]["app"],
        json!({"id": "b0d9e700-0000-4000-8000-000000000001", "name": "Budget",
               "space_id": "66f0000000000000000055aa", "space_type": "managed"})
    );
    assert_eq!(r["tenant"]["oauth_client"], Value::Null);
    assert_eq!(strs(&r["tenant"]["rules"]), ["T3", "T4", "T16"]);
    let eu = json!({"REGION": ["EU"]});

    // ana: opens (owner; consumer via Finance), allowed, full, USER EU.
    opens_as_user(&r, ANA, "allowed", eu.clone());
    let ana = &user(&r, ANA)["tenant"];
    assert_eq!(
        strs(&ana["open"]["via"]),
        ["consumer via group Finance", "owner"]
    );
    assert_eq!(ana["entitlement"]["full"], true);
    assert_eq!(rows(user(&r, ANA), "Budget"), (1, 2));
    // ben: consumer via Finance, no-data, full, USER EU.
    opens_as_user(&r, BEN, "no-data", eu);
    assert_eq!(user(&r, BEN)["tenant"]["entitlement"]["full"], true);
    // cy: TenantAdmin has no route into a managed space (T13): DENIED; Section Access alone: ADMIN.
    tenant_denies(&r, CY, "tenant: cannot open the app", "ADMIN");
    // dee: disabled (T7): DENIED "status"; Section Access is still evaluated (USER through FINANCE).
    tenant_denies(&r, DEE, "status", "USER");
    assert_eq!(user(&r, DEE)["tenant"]["status"], "disabled");
    // eve: Sales is disabled (T6, in rules) and publisher does not open (T12): DENIED, SA alone USER.
    tenant_denies(&r, EVE, "tenant: cannot open the app", "USER");
    assert!(strs(&user(&r, EVE)["rules"]).contains(&"T6"));
    for id in [ANA, BEN, CY, DEE, EVE] {
        let rules = strs(&user(&r, id)["rules"]);
        let mut sorted = rules.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(rules, sorted, "{id}: rules sorted and deduplicated");
        assert!(user(&r, id)["tenant"]["oauth"].is_null());
    }
    // T6's warning names eve.
    let diags = r["diagnostics"].as_array().expect("diagnostics");
    assert!(diags
        .iter()
        .any(|d| d["code"] == "QSA423" && d["message"].as_str().unwrap_or("").contains(EVE)));
}

// Example 1, with Section Access alone (tenant.md: SA shown in `tenant.section_access`): the same script
// without --tenant grants cy ADMIN over {EU, US} and eve USER {US}.
#[test]
fn example1_section_access_alone_matches_tenant_section_access() {
    let (code, out, err) = qsa(&[
        "report",
        SCRIPT,
        "--directory",
        &format!("{DIR}/users.json"),
        "--groups",
        &format!("{DIR}/groups.json"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON");
    assert!(r.get("tenant").is_none());
    assert_eq!(user(&r, CY)["access"], "ADMIN");
    assert_eq!(user(&r, CY)["reduction"], json!({"REGION": ["EU", "US"]}));
    assert_eq!(user(&r, EVE)["access"], "USER");
    assert_eq!(user(&r, EVE)["reduction"], json!({"REGION": ["US"]}));
    assert!(user(&r, EVE).get("tenant").is_none());
}

/// Example 3's tenant: example 1 with UserDefault `user_default`, Everyone EmbeddedAnalyticsUser only,
/// Finance → basicconsumer.
fn no_download_variant(scratch: &Scratch, user_default: &[&str]) {
    copy_fixture(scratch);
    make_no_download(scratch, user_default);
}

// Example 3 (no download): basicconsumer opens but does not restrict download (T17); the scopes decide
// (T4, T16); no Full User trigger (T18). Section Access unchanged: USER EU.
#[test]
fn example3_no_download() {
    let scratch = Scratch::new("tenant-report", "example3");
    no_download_variant(&scratch, &[]);
    let r = report(&scratch.dir().display().to_string());
    let eu = json!({"REGION": ["EU"]});
    opens_as_user(&r, BEN, "not-allowed", eu.clone());
    let ben = &user(&r, BEN)["tenant"];
    assert_eq!(
        strs(&ben["open"]["via"]),
        ["basicconsumer via group Finance"]
    );
    assert_eq!(ben["entitlement"]["full"], false);
    assert_eq!(rows(user(&r, BEN), "Budget"), (1, 2));
    opens_as_user(&r, ANA, "allowed", eu.clone());
    assert_eq!(user(&r, ANA)["tenant"]["entitlement"]["full"], true);

    // With UserDefault *No data*: ben downloads images and PDFs.
    let scratch = Scratch::new("tenant-report", "example3-nodata");
    no_download_variant(&scratch, &["apps.image:export"]);
    let r = report(&scratch.dir().display().to_string());
    opens_as_user(&r, BEN, "no-data", eu);
}

const FIN_SPACE: &str = "66f0000000000000000055aa";
const EVE_ID: &str = "65f1c0ffee0000000000a005";
const BUDGET_RESOURCE: &str = "b0d9e700-0000-4000-8000-000000000001";

/// Example 2's tenant: example 1 with *Fin* a shared space (its assignable roles those of a shared space)
/// and eve → producer.
fn shared_variant(scratch: &Scratch) {
    copy_fixture(scratch);
    edit_json(&scratch.path("spaces.json"), &|o| {
        if o.get("id") == Some(&json!(FIN_SPACE)) {
            o.insert("type".into(), json!("shared"));
        }
        if o.contains_key("assignableRoles") {
            o.insert(
                "assignableRoles".into(),
                json!([
                    "codeveloper",
                    "consumer",
                    "dataconsumer",
                    "facilitator",
                    "producer"
                ]),
            );
        }
    });
    edit_json(
        &scratch.path(&format!("assignments/{FIN_SPACE}.json")),
        &|o| {
            if o.get("assigneeId") == Some(&json!(EVE_ID)) {
                o.insert("roles".into(), json!(["producer"]));
            }
        },
    );
}

/// The strings of `user.tenant.rules`-style arrays that are tenant rules (`T…`).
fn t_rules(u: &Value) -> Vec<&str> {
    strs(&u["rules"])
        .into_iter()
        .filter(|r| r.starts_with('T'))
        .collect()
}

// Example 2 (shared), through the binary: cy opens by the admin route T13 [dec] and is ADMIN over {EU,
// US} with `no-data`; eve opens as producer, USER US, `no-data`; the others as in example 1.
#[test]
fn example2_shared_admin_route() {
    let scratch = Scratch::new("tenant-report", "example2");
    shared_variant(&scratch);
    let r = report(&scratch.dir().display().to_string());
    assert_eq!(r["tenant"]["app"]["space_type"], "shared");
    let cy = user(&r, CY);
    assert_eq!(cy["access"], "ADMIN");
    assert_eq!(cy["reduction"], json!({"REGION": ["EU", "US"]}));
    assert_eq!(rows(cy, "Budget"), (2, 2));
    assert_eq!(strs(&cy["tenant"]["open"]["via"]), ["admin TenantAdmin"]);
    assert_eq!(cy["tenant"]["export"], "no-data");
    assert_eq!(t_rules(cy), ["T13"]);
    opens_as_user(&r, EVE, "no-data", json!({"REGION": ["US"]}));
    assert_eq!(
        strs(&user(&r, EVE)["tenant"]["open"]["via"]),
        ["producer via user"]
    );
    let eu = json!({"REGION": ["EU"]});
    opens_as_user(&r, ANA, "allowed", eu.clone());
    opens_as_user(&r, BEN, "no-data", eu);
    tenant_denies(&r, DEE, "status", "USER");
}

/// Example 4's client in a scratch file of the variant's folder, as `oauth-client.json`.
fn with_client(scratch: &Scratch, scopes: &[&str]) -> Value {
    std::fs::write(
        scratch.path("oauth-client.json"),
        json!({"clientId": "c0ffee", "clientName": "budget-bot", "allowedScopes": scopes})
            .to_string(),
    )
    .expect("write");
    report(&scratch.dir().display().to_string())
}

// Example 4 (OAuth, on 2), through the binary with the folder's `oauth-client.json`: `user_default`
// keeps ana's download; cy's admin route needs `admin_classic` (T9). With `apps.image:export` only, ana's
// integration gets `no-data`, missing `apps.data:export` (T8). Access itself is unchanged.
#[test]
fn example4_oauth_client_in_folder() {
    let scratch = Scratch::new("tenant-report", "example4");
    shared_variant(&scratch);
    let r = with_client(&scratch, &["user_default"]);
    assert_eq!(r["tenant"]["oauth_client"], "budget-bot");
    assert_eq!(strs(&r["tenant"]["rules"]), ["T3", "T4", "T8", "T9", "T16"]);
    assert_eq!(
        user(&r, ANA)["tenant"]["oauth"],
        json!({"open": true, "export": "allowed", "scopes_missing_for_oauth": []})
    );
    let cy = user(&r, CY);
    assert_eq!(cy["access"], "ADMIN");
    assert_eq!(cy["tenant"]["oauth"]["open"], false);
    assert_eq!(cy["tenant"]["oauth"]["export"], "not-allowed");

    let r = with_client(&scratch, &["apps.image:export"]);
    assert_eq!(
        user(&r, ANA)["tenant"]["oauth"],
        json!({"open": true, "export": "no-data", "scopes_missing_for_oauth": ["apps.data:export"]})
    );
    opens_as_user(&r, ANA, "allowed", json!({"REGION": ["EU"]}));
}

// Example 5 (share, on 1), through the binary: *Budget* shared with eve as consumer opens it for her
// (T14), USER US.
#[test]
fn example5_share_opens() {
    let scratch = Scratch::new("tenant-report", "example5");
    copy_fixture(&scratch);
    std::fs::write(
        scratch.path(&format!("shares/{FIN_SPACE}.json")),
        json!([{"id": "68c0000000000000000c0001", "type": "user", "assigneeId": EVE_ID,
                "resourceId": BUDGET_RESOURCE, "resourceName": "Budget", "resourceType": "app",
                "roles": ["consumer"], "spaceId": FIN_SPACE}])
        .to_string(),
    )
    .expect("write");
    let r = report(&scratch.dir().display().to_string());
    opens_as_user(&r, EVE, "no-data", json!({"REGION": ["US"]}));
    assert_eq!(
        strs(&user(&r, EVE)["tenant"]["open"]["via"]),
        ["share consumer via user"]
    );
    assert_eq!(rows(user(&r, EVE), "Budget"), (1, 2));
}

// Example 5, personal space (T10), through the binary: *Budget* in ana's personal space opens for ana
// only; ben, cy and eve get "tenant: cannot open the app", cy (an admin) with T10 in `rules`.
#[test]
fn example5_personal_space_owner_only() {
    let scratch = Scratch::new("tenant-report", "example5-personal");
    copy_fixture(&scratch);
    edit_json(&scratch.path("items.json"), &|o| {
        if o.contains_key("spaceId") {
            o.insert("spaceId".into(), json!(""));
        }
    });
    let r = report(&scratch.dir().display().to_string());
    assert_eq!(r["tenant"]["app"]["space_type"], "personal");
    assert_eq!(r["tenant"]["app"]["space_id"], Value::Null);
    opens_as_user(&r, ANA, "allowed", json!({"REGION": ["EU"]}));
    assert_eq!(
        strs(&user(&r, ANA)["tenant"]["open"]["via"]),
        ["personal owner"]
    );
    tenant_denies(&r, BEN, "tenant: cannot open the app", "USER");
    tenant_denies(&r, CY, "tenant: cannot open the app", "ADMIN");
    tenant_denies(&r, EVE, "tenant: cannot open the app", "USER");
    assert_eq!(t_rules(user(&r, CY)), ["T10"]);
    assert!(t_rules(user(&r, BEN)).is_empty());
}

// --oauth-client FILE (tenant.md T8): the client's scopes intersect the user's; access is unchanged (the
// `oauth` object reports what an integration acting as the user gets). Example 4's second variant, on 1.
#[test]
fn oauth_client_file_intersects_scopes() {
    let scratch = Scratch::new("tenant-report", "oauth");
    let client = write_oauth_client(&scratch);
    let r = report_with(DIR, &["--oauth-client", &client]);
    assert_eq!(r["tenant"]["oauth_client"], "reporting-bot");
    assert_eq!(strs(&r["tenant"]["rules"]), ["T3", "T4", "T8", "T9", "T16"]);
    opens_as_user(&r, ANA, "allowed", json!({"REGION": ["EU"]}));
    assert_eq!(
        user(&r, ANA)["tenant"]["oauth"],
        json!({"open": true, "export": "no-data", "scopes_missing_for_oauth": ["apps.data:export"]})
    );
    // A --oauth-client file that does not exist: exit 2 naming it.
    let missing = scratch.arg("nope.json");
    refuses(
        &[&BUDGET_ARGS[..], &["--oauth-client", &missing]].concat(),
        &["nope.json", "qlik oauth-client get"],
    );
}

// The human table gains OPEN, ROLES, EXPORT, FULL before ACCESS, only with --tenant.
#[test]
fn human_output_has_tenant_columns() {
    let (code, out, err) = qsa(&BUDGET_ARGS);
    assert_eq!(code, 0, "{err}");
    assert_tenant_header(&out);
    let ana = out.lines().find(|l| l.starts_with(ANA)).expect("ana");
    assert!(
        ana.contains("yes (consumer via group Finance)") && ana.contains("allowed"),
        "{ana}"
    );
    let cy = out.lines().find(|l| l.starts_with(CY)).expect("cy");
    assert!(cy.contains(" no ") && cy.contains("DENIED"), "{cy}");
    assert!(
        out.contains(&format!("{CY}: tenant: cannot open the app")),
        "{out}"
    );
    assert!(out.contains(&format!("{DEE}: status")), "{out}");

    let (code, plain, _) = qsa(&[
        "report",
        SCRIPT,
        "--directory",
        &format!("{DIR}/users.json"),
    ]);
    assert_eq!(code, 0);
    assert!(
        !plain.contains("OPEN") && !plain.contains("EXPORT"),
        "{plain}"
    );
}

// tenant.md §1: --tenant is the directory; with --directory, exit 2.
#[test]
fn tenant_with_directory_exits_2() {
    let users = format!("{DIR}/users.json");
    let args = BUDGET_ARGS;
    refuses(
        &[&args[..], &["--directory", &users]].concat(),
        &["--tenant", "--directory"],
    );
    // A command-line user is not one of the tenant's users either.
    refuses(&[&args[..], &["--user", "x"]].concat(), &["--user"]);
}

// --tenant and --app go together.
#[test]
fn tenant_without_app_exits_2() {
    refuses(&["report", SCRIPT, "--tenant", DIR], &["--app"]);
    refuses(&["report", SCRIPT, "--app", "Budget"], &["--tenant"]);
}

// tenant.md §1: a missing export: exit 2 naming the file and the command that writes it.
#[test]
fn missing_export_exits_2_naming_file_and_command() {
    let scratch = Scratch::new("tenant-report", "missing");
    copy_fixture(&scratch);
    std::fs::remove_file(scratch.path("roles.json")).expect("rm");
    let dir = scratch.dir().display().to_string();
    refuses(
        &[
            "report", SCRIPT, "--tenant", &dir, "--app", "Budget", "--format", "json",
        ],
        &["roles.json", "qlik role ls --limit 1000"],
    );
}

// An --app that matches no app: exit 2.
#[test]
fn unknown_app_exits_2() {
    let args = ["report", SCRIPT, "--tenant", DIR, "--app"];
    refuses(&[&args[..], &["Nope"]].concat(), &["--app `Nope`"]);
}

// CSV (tenant.md §3 "CSV likewise"): open, roles, export, full before access.
#[test]
fn csv_has_tenant_columns() {
    let (code, out, err) = qsa(&[&BUDGET_ARGS[..], &["--format", "csv"]].concat());
    assert_eq!(code, 0, "{err}");
    let mut lines = out.lines();
    assert_eq!(
        lines.next(),
        Some("id,email,open,roles,export,full,access,denied_reason,reduction,omitted_fields,tables,rules")
    );
    let ana = lines.next().unwrap_or_default();
    assert_eq!(
        ana,
        "00uana0000000000000,ana@example.org,yes (consumer via group Finance),Exporters;SharedSpaceCreator;UserDefault,allowed,yes,USER,,REGION=EU,,Budget 1/2,S7"
    );
    let cy = out.lines().find(|l| l.starts_with(CY)).unwrap_or_default();
    assert!(
        cy.contains(",no,") && cy.contains(",DENIED,tenant: cannot open the app,"),
        "{cy}"
    );
}

// Without --tenant the JSON report has no `tenant` key anywhere (the existing e2e tests and the README
// guard check the rest byte for byte).
#[test]
fn without_tenant_no_tenant_keys() {
    let (code, out, err) = qsa(&[
        "report",
        SCRIPT,
        "--directory",
        &format!("{DIR}/users.json"),
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("\"tenant\""), "{out}");
}
