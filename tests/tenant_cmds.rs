//! `--tenant DIR --app X` on `qsa preview`, `snapshot`, `diff` and `explain` through the binary
//! (shared/spec/tenant.md, issue 10): the worked examples 1, 2, 3 and 5 of §4 on
//! `fixtures/tenant/examples/budget/` (its `budget.qvs` holds the example's Section Access), the exit
//! codes, and one insta snapshot of each command's human output.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/budget.rs"]
mod budget;
#[path = "common/scratch.rs"]
mod scratch;

use binary::qsa;
use budget::{
    copy_fixture, make_no_download, refuses, strs, write_oauth_client, ANA, BEN, CY, DIR, EVE, FIN,
    SCRIPT,
};
use scratch::{edit_json, Scratch};
use serde_json::{json, Value};
use std::path::Path;

/// eve's Qlik user id (the assignee of space roles and shares).
const EVE_ID: &str = "65f1c0ffee0000000000a005";
const BUDGET: &str = "b0d9e700-0000-4000-8000-000000000001";
/// cy's reason in example 1: a managed space has no admin route (T13).
const CY_T13: &str = "admin TenantAdmin: admins open apps without a space role only in shared spaces; `Fin` is managed (T13)";
/// Everyone but ana in example 5's personal space (T10).
const PERSONAL_T10: &str = "the app is in the personal space of `00uana0000000000000`: only its owner opens it, it cannot be shared and admins cannot open it (T10)";

/// The variants of the fixture's tenant (tenant.md §4).
#[derive(Clone, Copy)]
enum Variant {
    /// Example 1: *Fin* managed.
    Managed,
    /// Example 2: *Fin* shared, eve → producer.
    Shared,
    /// Example 3: UserDefault without scopes, Everyone EmbeddedAnalyticsUser only, Finance → basicconsumer.
    NoDownload,
    /// Example 5: *Budget* shared with eve as consumer.
    Share,
    /// Example 5: *Budget* in ana's personal space.
    Personal,
}

/// The fixture's tenant folder, edited into `variant`, in a scratch folder.
fn tenant(variant: Variant, name: &str) -> Scratch {
    let s = Scratch::new("tenant-cmds", name);
    copy_fixture(&s);
    let assignments = s.path(&format!("assignments/{FIN}.json"));
    match variant {
        Variant::Managed => {}
        Variant::Shared => {
            edit_json(&s.path("spaces.json"), &|o| {
                if o.get("type") == Some(&json!("managed")) {
                    o.insert("type".into(), json!("shared"));
                    o.remove("meta");
                }
            });
            edit_json(&assignments, &|o| {
                if o.get("assigneeId") == Some(&json!(EVE_ID)) {
                    o.insert("roles".into(), json!(["producer"]));
                }
            });
        }
        Variant::NoDownload => make_no_download(&s, &[]),
        Variant::Share => {
            let share = json!([{"type": "user", "assigneeId": EVE_ID, "resourceId": BUDGET,
                                "resourceName": "Budget", "roles": ["consumer"], "spaceId": FIN}]);
            std::fs::write(s.path(&format!("shares/{FIN}.json")), share.to_string())
                .expect("write the share");
        }
        Variant::Personal => {
            edit_json(&s.path("items.json"), &|o| {
                if o.contains_key("spaceId") {
                    o.insert("spaceId".into(), json!(""));
                }
            });
        }
    }
    s
}

/// `qsa args` exits 0; its stdout.
fn ok(args: &[&str]) -> String {
    let (code, out, err) = qsa(args);
    assert_eq!(code, 0, "{args:?}: {err}");
    out
}

fn json_of(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON")
}

// ---------------------------------------------------------------------------------------------------
// preview

fn preview(dir: &str, user: &str, more: &[&str]) -> String {
    let args = [
        "preview", SCRIPT, "--tenant", dir, "--app", "Budget", "--user", user,
    ];
    ok(&[&args[..], more].concat())
}

fn preview_json(dir: &str, user: &str) -> Value {
    json_of(&preview(dir, user, &["--format", "json"]))
}

// Example 1 (managed): cy is DENIED by the tenant (T13, T15) although Section Access alone gives ADMIN;
// the tenant tier comes first, with every route checked.
#[test]
fn preview_example1_cy_denied_in_managed_space() {
    let out = preview(DIR, "cy@example.org", &[]);
    let tier = out.find("tenant tier:").expect("a tenant tier");
    let access = out.find("\naccess:  DENIED").expect("access DENIED");
    assert!(
        tier < access,
        "the tenant tier comes before Section Access: {out}"
    );
    assert!(out.contains("open:    no; every route checked:"), "{out}");
    assert!(out.contains(&format!("  - {CY_T13}")), "{out}");
    assert!(
        out.contains("reason:  tenant: cannot open the app"),
        "{out}"
    );
    assert!(out.contains("section access alone: ADMIN"), "{out}");
    assert!(out.contains("tenant:  DENIED (tenant: cannot open the app)  [T15]"));

    let j = preview_json(DIR, "cy@example.org");
    assert_eq!(j["access"], "DENIED");
    assert_eq!(j["denied_reason"], "tenant: cannot open the app");
    assert_eq!(j["reduction"], json!({}));
    assert_eq!(j["tenant"]["open"]["can"], false);
    assert_eq!(j["tenant"]["open"]["via"], json!([]));
    // Every route checked, as the human output lists them.
    let why: Vec<&str> = strs(&j["tenant"]["open"]["why_not"]);
    assert!(why.contains(&CY_T13), "{why:?}");
    assert!(
        why.iter().all(|w| out.contains(&format!("  - {w}"))),
        "{why:?}"
    );
    assert_eq!(j["tenant"]["section_access"], "ADMIN");
    assert_eq!(j["tenant_app"]["app"]["space_type"], "managed");
    // ana opens as owner and by Finance's consumer role; Section Access gives USER EU.
    let j = preview_json(DIR, ANA);
    assert_eq!(j["access"], "USER");
    assert_eq!(j["reduction"], json!({"REGION": ["EU"]}));
    assert_eq!(
        strs(&j["tenant"]["open"]["via"]),
        ["consumer via group Finance", "owner"]
    );
    assert_eq!(j["tenant"]["export"], "allowed");
    assert!(j["tenant"]["open"].get("why_not").is_none(), "{j}");
}

// Example 1: dee is disabled (T7): DENIED "status"; eve's publisher role does not open (T6, T12).
#[test]
fn preview_example1_status_and_publisher() {
    let out = preview(DIR, "dee@example.org", &[]);
    assert!(out.contains("status:  disabled  [T7]"), "{out}");
    assert!(out.contains("reason:  status"), "{out}");
    let j = preview_json(DIR, EVE);
    assert_eq!(j["access"], "DENIED");
    assert_eq!(j["tenant"]["section_access"], "USER");
    assert!(strs(&j["rules"]).contains(&"T6"), "{j}");
}

// Example 2 (shared): cy opens by the admin route (T13 [dec], in `rules`), ADMIN over EU and US, no-data;
// eve opens as producer, USER US.
#[test]
fn preview_example2_shared_admin_route() {
    let t = tenant(Variant::Shared, "preview-shared");
    let dir = t.dir().display().to_string();
    let j = preview_json(&dir, CY);
    assert_eq!(j["access"], "ADMIN");
    assert_eq!(j["reduction"], json!({"REGION": ["EU", "US"]}));
    assert_eq!(strs(&j["tenant"]["open"]["via"]), ["admin TenantAdmin"]);
    assert_eq!(j["tenant"]["export"], "no-data");
    assert!(strs(&j["rules"]).contains(&"T13"), "{j}");
    let out = preview(&dir, CY, &[]);
    assert!(out.contains("open:    yes, by admin TenantAdmin"), "{out}");
    assert!(
        out.contains(
            "depends on T13 [dec]: TenantAdmin and AnalyticsAdmin open apps in shared spaces"
        ),
        "{out}"
    );
    let j = preview_json(&dir, EVE);
    assert_eq!(j["access"], "USER");
    assert_eq!(j["reduction"], json!({"REGION": ["US"]}));
    assert_eq!(strs(&j["tenant"]["open"]["via"]), ["producer via user"]);
}

// Example 5: the share opens Budget for eve (T14); in ana's personal space only ana opens (T10).
#[test]
fn preview_example5_share_and_personal_space() {
    let t = tenant(Variant::Share, "preview-share");
    let j = preview_json(&t.dir().display().to_string(), EVE);
    assert_eq!(j["access"], "USER");
    assert_eq!(
        strs(&j["tenant"]["open"]["via"]),
        ["share consumer via user"]
    );
    assert_eq!(j["reduction"], json!({"REGION": ["US"]}));

    let t = tenant(Variant::Personal, "preview-personal");
    let dir = t.dir().display().to_string();
    let j = preview_json(&dir, ANA);
    assert_eq!(strs(&j["tenant"]["open"]["via"]), ["personal owner"]);
    assert_eq!(j["access"], "USER");
    let out = preview(&dir, BEN, &[]);
    assert!(out.contains(&format!("  - {PERSONAL_T10}")), "{out}");
    assert!(
        out.contains("reason:  tenant: cannot open the app"),
        "{out}"
    );
}

// --user must be one of users.json (exit 2 naming it); --user is required; a command-line identity or a
// directory cannot be combined with --tenant.
#[test]
fn preview_refuses_unknown_or_missing_user() {
    let args = ["preview", SCRIPT, "--tenant", DIR, "--app", "Budget"];
    refuses(
        &[&args[..], &["--user", "zed@example.org"]].concat(),
        &["zed@example.org", "users.json"],
    );
    refuses(&args, &["--user"]);
    refuses(
        &[&args[..], &["--user", ANA, "--email", "x@example.org"]].concat(),
        &["--tenant", "--email"],
    );
    let users = format!("{DIR}/users.json");
    refuses(
        &[&args[..], &["--user", ANA, "--directory", &users]].concat(),
        &["--tenant", "--directory"],
    );
    refuses(
        &[
            "preview", SCRIPT, "--tenant", DIR, "--app", "Nope", "--user", ANA,
        ],
        &["--app `Nope`"],
    );
}

#[test]
fn preview_human_snapshot() {
    let out = preview(DIR, "cy@example.org", &["--rows", "1"]);
    insta::assert_snapshot!("preview_cy_example1", out);
}

// ---------------------------------------------------------------------------------------------------
// snapshot

/// `qsa snapshot --tenant DIR --app Budget --out FILE`; the file's text.
fn take(dir: &str, out: &Path) -> String {
    let o = out.display().to_string();
    let args = [
        "snapshot", SCRIPT, "--tenant", dir, "--app", "Budget", "--out", &o,
    ];
    let (code, _, err) = qsa(&args);
    assert_eq!(code, 0, "{err}");
    std::fs::read_to_string(out).expect("the snapshot is written")
}

/// The block of user `id` in a snapshot's text.
fn block<'a>(text: &'a str, id: &str) -> &'a str {
    let start = text
        .find(&format!("\nuser: {id}\n"))
        .unwrap_or_else(|| panic!("{id} in {text}"));
    let rest = &text[start + 1..];
    let end = rest[1..]
        .find("\nuser: ")
        .map(|e| e + 2)
        .unwrap_or(rest.len());
    &rest[..end]
}

// Example 1: format 2, the tenant app in the header, each user's tenant tier; `--check` of the same
// evaluation is clean (exit 0).
#[test]
fn snapshot_example1_records_the_tenant_tier() {
    let s = Scratch::new("tenant-cmds", "snapshot1");
    let text = take(DIR, &s.path("budget.snapshot"));
    assert!(text.starts_with("# qsa snapshot 2\n"), "{text}");
    for line in [
        format!("tenant: {DIR}"),
        format!("tenant app: {BUDGET}"),
        "tenant app name: Budget".into(),
        format!("tenant space: {FIN}"),
        "tenant space type: managed".into(),
    ] {
        assert!(text.lines().any(|l| l == line), "{line}: {text}");
    }
    let cy = block(&text, CY);
    assert!(cy.contains("  open: no\n  why not:\n"), "{cy}");
    assert!(cy.contains(&format!("    - {CY_T13}\n")), "{cy}");
    assert!(cy.contains("    TenantAdmin: direct\n"), "{cy}");
    assert!(
        cy.contains("  section access alone: ADMIN\n  access: DENIED\n"),
        "{cy}"
    );
    assert!(
        cy.contains("  denied: tenant: cannot open the app\n"),
        "{cy}"
    );
    let ana = block(&text, ANA);
    assert!(
        ana.contains("  open: yes\n  open via: consumer via group Finance, owner\n"),
        "{ana}"
    );
    assert!(ana.contains("  export: allowed\n  full: yes\n"), "{ana}");
    assert!(!ana.contains("section access alone"), "{ana}");
    let ben = block(&text, BEN);
    assert!(ben.contains("  export: no-data\n"), "{ben}");

    let (code, out, err) = qsa(&[
        "snapshot",
        SCRIPT,
        "--tenant",
        DIR,
        "--app",
        "Budget",
        "--check",
        &s.arg("budget.snapshot"),
    ]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("is up to date (5 users)"), "{err}");
    insta::assert_snapshot!("snapshot_example1", text);
}

// Example 4's variant with --oauth-client (T8): the client in the header, each user's `oauth` lines;
// `--check` with the same client is clean, without it the OAuth change is reported (exit 1).
#[test]
fn snapshot_with_oauth_client() {
    let s = Scratch::new("tenant-cmds", "snapshot-oauth");
    let (client, out) = (write_oauth_client(&s), s.arg("oauth.snapshot"));
    let args = ["snapshot", SCRIPT, "--tenant", DIR, "--app", "Budget"];
    ok(&[&args[..], &["--oauth-client", &client, "--out", &out]].concat());
    let text = std::fs::read_to_string(s.path("oauth.snapshot")).expect("written");
    assert!(
        text.contains("\ntenant oauth client: reporting-bot\n"),
        "{text}"
    );
    assert!(
        block(&text, ANA).contains(
            "  oauth open: yes\n  oauth export: no-data\n  oauth missing: apps.data:export\n"
        ),
        "{text}"
    );
    assert!(
        block(&text, CY)
            .contains("  oauth open: no\n  oauth export: not-allowed\n  oauth missing: (none)\n"),
        "{text}"
    );
    ok(&[&args[..], &["--oauth-client", &client, "--check", &out]].concat());
    let (code, diff, err) = qsa(&[&args[..], &["--check", &out]].concat());
    assert_eq!(code, 1, "{err}");
    assert!(diff.contains("tenant app changed from Budget"), "{diff}");
    assert!(
        diff.contains("5 users get something else through the OAuth client"),
        "{diff}"
    );
}

// Example 5: the share opens Budget for eve (T14); in ana's personal space only ana opens (T10), the
// others are denied with the T10 reason.
#[test]
fn snapshot_example5_share_and_personal_space() {
    let s = Scratch::new("tenant-cmds", "snapshot5");
    let t = tenant(Variant::Share, "snapshot5-share");
    let text = take(&t.dir().display().to_string(), &s.path("share.snapshot"));
    let eve = block(&text, EVE);
    assert!(
        eve.contains("  open: yes\n  open via: share consumer via user\n"),
        "{eve}"
    );
    assert!(
        eve.contains("  access: USER\n  reduction:\n    REGION: US\n"),
        "{eve}"
    );

    let t = tenant(Variant::Personal, "snapshot5-personal");
    let text = take(&t.dir().display().to_string(), &s.path("personal.snapshot"));
    assert!(text.contains("\ntenant space type: personal\n"), "{text}");
    assert!(!text.contains("\ntenant space: "), "{text}");
    assert!(
        block(&text, ANA).contains("  open via: personal owner\n"),
        "{text}"
    );
    for id in [BEN, CY, EVE] {
        let b = block(&text, id);
        assert!(
            b.contains(&format!("  why not:\n    - {PERSONAL_T10}\n")),
            "{b}"
        );
        assert!(b.contains("  denied: tenant: cannot open the app\n"), "{b}");
    }
}

// Without --tenant the snapshot is format 1, with no tenant key (the committed demo snapshot's
// `--check` in tests/demo_snapshot.rs checks the bytes).
#[test]
fn snapshot_without_tenant_stays_format_1() {
    let s = Scratch::new("tenant-cmds", "snapshot-plain");
    let o = s.arg("plain.snapshot");
    let users = format!("{DIR}/users.json");
    ok(&["snapshot", SCRIPT, "--directory", &users, "--out", &o]);
    let text = std::fs::read_to_string(s.path("plain.snapshot")).expect("written");
    assert!(text.starts_with("# qsa snapshot 1\n"), "{text}");
    for key in [
        "\ntenant",
        "\n  open:",
        "\n  roles:",
        "\n  export:",
        "\n  status:",
    ] {
        assert!(!text.contains(key), "{key}: {text}");
    }
}

// `--check` against a snapshot of another tenant configuration: exit 1 with the tenant tier's change.
#[test]
fn snapshot_check_reports_tenant_changes() {
    let t = tenant(Variant::Shared, "snapshot-check-shared");
    let s = Scratch::new("tenant-cmds", "snapshot-check");
    take(DIR, &s.path("managed.snapshot"));
    let dir = t.dir().display().to_string();
    let (code, out, err) = qsa(&[
        "snapshot",
        SCRIPT,
        "--tenant",
        &dir,
        "--app",
        "Budget",
        "--check",
        &s.arg("managed.snapshot"),
    ]);
    assert_eq!(code, 1, "{err}");
    assert!(out.contains("2 users can now open the app"), "{out}");
    assert!(err.contains("access differs from"), "{err}");
}

// ---------------------------------------------------------------------------------------------------
// diff

/// Snapshots of the two variants, and `qsa diff` of them: (exit code, stdout).
fn diff_of(old: Variant, new: Variant, name: &str, more: &[&str]) -> (i32, String) {
    let (a, b) = (
        tenant(old, &format!("{name}-old")),
        tenant(new, &format!("{name}-new")),
    );
    let s = Scratch::new("tenant-cmds", name);
    take(&a.dir().display().to_string(), &s.path("old.snapshot"));
    take(&b.dir().display().to_string(), &s.path("new.snapshot"));
    let (code, out, err) = qsa(&[
        &["diff", &s.arg("old.snapshot"), &s.arg("new.snapshot")][..],
        more,
    ]
    .concat());
    assert_ne!(code, 2, "{err}");
    (code, out.replace(&s.dir().display().to_string(), "SCRATCH"))
}

// Example 2 → example 5's personal space: ben, cy and eve can no longer open the app (exit 1); ben's
// download narrows; ana opens by another route.
#[test]
fn diff_shared_to_personal_space() {
    let (code, out) = diff_of(Variant::Shared, Variant::Personal, "diff-personal", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "- 3 users can no longer open the app: {BEN}, {CY}, {EVE}"
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "- 2 users lose access (USER → DENIED): {BEN}, {EVE}"
        )),
        "{out}"
    );
    assert!(out.contains("are now denied by the tenant (T15)"), "{out}");
    let cy = out
        .split(&format!("  {CY} (loses)\n"))
        .nth(1)
        .expect("cy's lines");
    assert!(cy.contains("    opens the app: yes → no\n"), "{out}");
    assert!(cy.contains("    export: no-data → not-allowed\n"), "{out}");
    assert!(
        cy.contains("    section access alone: (tenant opens) → ADMIN\n"),
        "{out}"
    );
    let ana = out
        .split(&format!("  {ANA} (other)\n"))
        .nth(1)
        .expect("ana's lines");
    assert!(
        ana.contains("    opens via: + personal owner, - consumer via group Finance, - owner\n"),
        "{out}"
    );
    let j = json_of(
        &diff_of(
            Variant::Shared,
            Variant::Personal,
            "diff-personal-json",
            &["--format", "json"],
        )
        .1,
    );
    assert_eq!(j["changed"], true);
    let ben = j["users"]
        .as_array()
        .and_then(|u| u.iter().find(|u| u["id"] == BEN))
        .expect("ben");
    assert_eq!(ben["tenant"]["open"], json!({"old": true, "new": false}));
    assert_eq!(
        ben["tenant"]["export"],
        json!({"old": "no-data", "new": "not-allowed"})
    );
}

// Example 1 → example 3 (no download): ben's download narrows, roles gained and lost; access unchanged.
#[test]
fn diff_download_and_roles() {
    let (code, out) = diff_of(Variant::Managed, Variant::NoDownload, "diff-download", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(&format!(
            "- 1 user has download (in-app content) no-data → not-allowed: {BEN}"
        )),
        "{out}"
    );
    assert!(out.contains("gain role EmbeddedAnalyticsUser"), "{out}");
    assert!(out.contains("lose role SharedSpaceCreator"), "{out}");
    let ben = out
        .split(&format!("  {BEN} (loses)\n"))
        .nth(1)
        .expect("ben's lines");
    assert!(ben.contains("    export: no-data → not-allowed\n"), "{out}");
    assert!(
        ben.contains("    roles: + EmbeddedAnalyticsUser, - SharedSpaceCreator\n"),
        "{out}"
    );
    insta::assert_snapshot!("diff_example1_to_example3", out);
}

// Example 1 → example 5's share: eve can now open the app (T14) and gains access (DENIED → USER).
#[test]
fn diff_managed_to_share() {
    let (code, out) = diff_of(Variant::Managed, Variant::Share, "diff-share", &[]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("1 of 5 users changed: 1 gains"), "{out}");
    assert!(
        out.contains(&format!("+ 1 user can now open the app: {EVE}")),
        "{out}"
    );
    assert!(
        out.contains(&format!("+ 1 user gains access (DENIED → USER): {EVE}")),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "~ 1 user is no longer denied by the tenant (T15): {EVE}"
        )),
        "{out}"
    );
    assert!(
        out.contains("    opens via: + share consumer via user\n"),
        "{out}"
    );
}

// The same tenant on both sides: no change, exit 0.
#[test]
fn diff_same_tenant_exit_0() {
    let (code, out) = diff_of(Variant::Share, Variant::Share, "diff-same", &[]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no change: 5 users see the same"), "{out}");
}

// A snapshot with the tenant tier against one without: said once, no wall of per-user changes; exit 1.
#[test]
fn diff_tenant_against_plain_says_so() {
    let s = Scratch::new("tenant-cmds", "diff-mixed");
    take(DIR, &s.path("tenant.snapshot"));
    let users = format!("{DIR}/users.json");
    let plain = s.arg("plain.snapshot");
    ok(&["snapshot", SCRIPT, "--directory", &users, "--out", &plain]);
    let (code, out, err) = qsa(&["diff", &plain, &s.arg("tenant.snapshot")]);
    assert_eq!(code, 1, "{err}");
    assert!(
        out.contains("not compared: one side has the tenant tier"),
        "{out}"
    );
    assert!(
        out.contains("the tenant tier is on one side only (none (Section Access alone) → Budget"),
        "{out}"
    );
    assert!(!out.contains("per user:"), "{out}");
    // Scripts on both sides with --tenant: the same tenant, so no change.
    let (code, out, err) = qsa(&["diff", SCRIPT, SCRIPT, "--tenant", DIR, "--app", "Budget"]);
    assert_eq!(code, 0, "{out}{err}");
}

// ---------------------------------------------------------------------------------------------------
// explain

fn explain(dir: &str, user: &str, more: &[&str]) -> String {
    let args = [
        "explain", SCRIPT, "--tenant", dir, "--app", "Budget", "--user", user,
    ];
    ok(&[&args[..], more].concat())
}

// Example 1: "can cy open the app, and why": no; every route checked with its rule; Section Access alone
// would give ADMIN.
#[test]
fn explain_example1_cy_cannot_open() {
    let out = explain(DIR, "cy@example.org", &[]);
    assert!(
        out.contains("answer:  no, the user cannot open the app (DENIED, T15)"),
        "{out}"
    );
    assert!(out.contains("status:  active  [T7]"), "{out}");
    assert!(out.contains("    TenantAdmin (direct)\n"), "{out}");
    assert!(out.contains(&format!("     - {CY_T13}\n")), "{out}");
    assert!(
        out.contains("Section Access alone would give ADMIN (REGION: EU, US); the user gets none of it  [T15]"),
        "{out}"
    );
    assert!(
        !out.contains("1. who"),
        "no Section Access chain without a question: {out}"
    );
    insta::assert_snapshot!("explain_cy_example1", out);

    let j = json_of(&explain(DIR, CY, &["--format", "json"]));
    assert_eq!(j["schema"], "qsa.explain/1");
    assert!(strs(&j["tenant"]["why_not"]).contains(&CY_T13), "{j}");
    assert_eq!(j["tenant"]["denied_reason"], "tenant: cannot open the app");
    assert_eq!(j["tenant"]["section_access_alone"]["access"], "ADMIN");
    assert!(j.get("answer").is_none(), "{j}");
}

// Example 2 (shared): cy opens by the admin route (T13 [dec]); example 5: eve by the share (T14).
#[test]
fn explain_example2_and_5_open() {
    let t = tenant(Variant::Shared, "explain-shared");
    let out = explain(&t.dir().display().to_string(), CY, &[]);
    assert!(
        out.contains("answer:  yes, the user opens the app"),
        "{out}"
    );
    assert!(out.contains("open:    yes, by admin TenantAdmin"), "{out}");
    assert!(out.contains("depends on T13 [dec]"), "{out}");
    let t = tenant(Variant::Share, "explain-share");
    let out = explain(&t.dir().display().to_string(), EVE, &[]);
    assert!(
        out.contains("0. tenant tier: opens the app, by share consumer via user"),
        "{out}"
    );
}

// Example 5's personal space: ben cannot open ana's app (T10), whatever Section Access gives.
#[test]
fn explain_example5_personal_space() {
    let t = tenant(Variant::Personal, "explain-personal");
    let out = explain(&t.dir().display().to_string(), "ben@example.org", &[]);
    assert!(
        out.contains("answer:  no, the user cannot open the app (DENIED, T15)"),
        "{out}"
    );
    assert!(out.contains(&format!("     - {PERSONAL_T10}\n")), "{out}");
    assert!(
        out.contains("Section Access alone would give USER (REGION: EU)"),
        "{out}"
    );
}

// With --value, the chain starts at the tenant tier and goes on with Section Access alone (eve is denied
// by the tenant in example 1; Section Access alone keeps US).
#[test]
fn explain_value_after_the_tenant_tier() {
    let out = explain(DIR, EVE, &["--value", "REGION=US"]);
    let zero = out.find("\n0. tenant tier").expect("step 0");
    let one = out.find("\n1. who").expect("step 1");
    assert!(zero < one, "{out}");
    assert!(
        out.contains("access:  DENIED by the tenant  [T15] (Section Access alone: USER"),
        "{out}"
    );
    assert!(out.contains("Section Access alone, step by step:"), "{out}");
    // ana opens: the usual header.
    let out = explain(DIR, ANA, &["--value", "REGION=EU"]);
    assert!(out.contains("access:  USER"), "{out}");
    assert!(!out.contains("Section Access alone"), "{out}");
}

// Refused (exit 2): a user not in users.json; explain without --tenant and without a question.
#[test]
fn explain_refuses() {
    refuses(
        &[
            "explain", SCRIPT, "--tenant", DIR, "--app", "Budget", "--user", "zed",
        ],
        &["zed", "users.json"],
    );
    let users = format!("{DIR}/users.json");
    refuses(
        &["explain", SCRIPT, "--directory", &users, "--user", ANA],
        &["--table T --row N"],
    );
}
