//! The tenant stage (shared/spec/tenant.md): readers of the `--tenant DIR` exports (§1) and the worked
//! examples of §4 over `fixtures/tenant/examples/budget` (variants 2–5 edit the loaded exports as the
//! example says). Every rule T1–T18 is cited by a test below. Section Access is not joined yet: the
//! examples' SA results are not asserted here.

#[path = "common/scratch.rs"]
mod scratch;

use qsa::diag::{codes, SourceMap};
use qsa::tenant::exports::{self, Assignment, Exports, OAuthClient, Share};
use qsa::tenant::model::{
    Export, SpaceType, Tenant, UserTenant, DENIED_CANNOT_OPEN, DENIED_STATUS,
};
use scratch::copy_dir;
use std::path::{Path, PathBuf};

const FIN: &str = "66f0000000000000000055aa";
const BUDGET: &str = "b0d9e700-0000-4000-8000-000000000001";

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/tenant/examples/budget")
}

fn load_fixture() -> Exports {
    let mut sources = SourceMap::default();
    match exports::load(&fixture(), &mut sources) {
        Ok(e) => e,
        Err(d) => panic!("fixture does not load: {}", d.message),
    }
}

fn user_id(ex: &Exports, name: &str) -> String {
    ex.users
        .iter()
        .find(|u| u.name.eq_ignore_ascii_case(name))
        .map(|u| u.id.clone())
        .unwrap_or_default()
}

/// Evaluate every user for app Budget; returns (users by lower-case name, summary rules, warnings).
fn run(ex: &Exports) -> (Vec<(String, UserTenant)>, Vec<&'static str>, Vec<String>) {
    let t = Tenant::new(ex).expect("tenant indexes");
    let mut warnings = Vec::new();
    let app = t.app("Budget", &mut warnings).expect("app found");
    let all = t.evaluate_all(&app, &mut warnings).expect("evaluates");
    let named = all
        .into_iter()
        .map(|u| {
            let name = ex
                .users
                .iter()
                .find(|x| x.id == u.qlik_id)
                .map(|x| x.name.to_lowercase())
                .unwrap_or_default();
            (name, u)
        })
        .collect();
    (
        named,
        t.summary(&app).rules,
        warnings.into_iter().map(|d| d.message).collect(),
    )
}

fn get<'a>(users: &'a [(String, UserTenant)], name: &str) -> &'a UserTenant {
    &users.iter().find(|(n, _)| n == name).expect("user").1
}

fn vias(u: &UserTenant) -> Vec<&str> {
    u.open.via.iter().map(String::as_str).collect()
}

fn role_vias(u: &UserTenant, role: &str) -> Vec<String> {
    u.roles
        .iter()
        .find(|r| r.name == role)
        .map(|r| r.via.clone())
        .unwrap_or_default()
}

/// A reference to the role `name` of roles.json, as users and groups hold it.
fn role_ref(ex: &Exports, name: &str) -> qsa::tenant::exports::RoleRef {
    ex.roles
        .iter()
        .find(|r| r.name == name)
        .map(|r| qsa::tenant::exports::RoleRef {
            id: r.id.clone(),
            name: r.name.clone(),
            kind: r.kind.clone(),
            level: r.level.clone(),
        })
        .expect("role")
}

fn set_space_type(ex: &mut Exports, kind: &str) {
    for s in ex.spaces.iter_mut() {
        s.kind = kind.into();
        s.meta.assignable_roles = None;
    }
}

fn set_roles_of(ex: &mut Exports, assignee: &str, roles: &[&str]) {
    for a in ex
        .assignments
        .iter_mut()
        .filter(|a| a.assignee_id == assignee)
    {
        a.roles = roles.iter().map(|r| r.to_string()).collect();
    }
}

/// Example 2's tenant: *Fin* shared, eve → producer.
fn shared_variant() -> Exports {
    let mut ex = load_fixture();
    set_space_type(&mut ex, "shared");
    let eve = user_id(&ex, "eve");
    set_roles_of(&mut ex, &eve, &["producer"]);
    ex
}

// Example 1 (managed). T1, T2 (custom group CG-Export grants Exporters), T3 (Everyone's
// SharedSpaceCreator), T4, T11 (owner; consumer via Finance), T16, T18.
#[test]
fn example1_managed_ana_opens_as_owner_and_by_group_role() {
    let ex = load_fixture();
    let (users, rules, _) = run(&ex);
    let ana = get(&users, "ana");
    assert_eq!(ana.status, "active");
    assert_eq!(vias(ana), ["consumer via group Finance", "owner"]);
    assert!(ana.open.can);
    // T1/T2/T3: direct ∪ groups (custom too) ∪ everyone ∪ default, one entry per role, sorted.
    let names: Vec<&str> = ana.roles.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["Exporters", "SharedSpaceCreator", "UserDefault"]);
    assert_eq!(role_vias(ana, "Exporters"), ["group CG-Export"]);
    assert_eq!(role_vias(ana, "SharedSpaceCreator"), ["everyone"]);
    assert_eq!(role_vias(ana, "UserDefault"), ["default"]);
    // T4: UserDefault ∪ held custom roles; system roles add none.
    assert_eq!(ana.scopes, ["apps.data:export", "apps.image:export"]);
    assert_eq!(ana.export, Export::Allowed); // T16
    assert!(ana.entitlement.full); // T18
    assert!(ana
        .entitlement
        .because
        .iter()
        .any(|b| b == "SharedSpaceCreator via everyone"));
    assert!(ana
        .entitlement
        .because
        .iter()
        .any(|b| b == "owner of space Fin"));
    assert_eq!(ana.denied_reason, None);
    assert!(ana.rules.is_empty());
    assert!(ana.oauth.is_none());
    // Rules shaping every user alike are listed once (T3, T4, T16; no OAuth client here).
    assert_eq!(rules, ["T3", "T4", "T16"]);
}

// Example 1: ben consumer via Finance, UserDefault only gives images (T16 `no-data`), full by Everyone (T18).
#[test]
fn example1_managed_ben_no_data() {
    let (users, _, _) = run(&load_fixture());
    let ben = get(&users, "ben");
    assert_eq!(vias(ben), ["consumer via group Finance"]);
    assert_eq!(ben.export, Export::NoData);
    assert!(ben.entitlement.full);
    assert_eq!(ben.scopes, ["apps.image:export"]);
}

// Example 1: cy is TenantAdmin without a space role: no route in a managed space (T13), DENIED (T15);
// T13's [dec] is not in cy's rules since both readings deny here.
#[test]
fn example1_managed_admin_cannot_open_t13_t15() {
    let (users, _, _) = run(&load_fixture());
    let cy = get(&users, "cy");
    assert!(!cy.open.can);
    assert!(cy.open.via.is_empty());
    assert_eq!(cy.denied_reason, Some(DENIED_CANNOT_OPEN));
    assert_eq!(cy.export, Export::NotAllowed); // T16: cannot open
    assert_eq!(role_vias(cy, "TenantAdmin"), ["direct"]);
    assert!(cy.rules.is_empty());
    assert!(cy.entitlement.full); // T18: TenantAdmin held
                                  // Why not, route by route (for explain and the HTML report).
    assert_eq!(
        cy.open.why_not,
        [
            "not the owner of managed space `Fin` (its owner is `00uana0000000000000`) (T11)",
            "no space role on `Fin` for the user (who holds no enabled group) or Everyone (T11)",
            "no share of the app with the user (who holds no enabled group) or Everyone (T14)",
            "admin TenantAdmin: admins open apps without a space role only in shared spaces; `Fin` is managed (T13)",
        ]
    );
}

// Example 1: dee is disabled: cannot open whatever her roles (T7), DENIED "status" (T15).
#[test]
fn example1_disabled_user_denied_by_status_t7() {
    let (users, _, _) = run(&load_fixture());
    let dee = get(&users, "dee");
    assert_eq!(dee.status, "disabled");
    assert!(!dee.open.can);
    assert_eq!(dee.denied_reason, Some(DENIED_STATUS));
    assert_eq!(dee.export, Export::NotAllowed);
    assert!(dee.rules.is_empty()); // `disabled` is [doc]
    assert_eq!(
        dee.open.why_not,
        ["the user is disabled: a disabled user cannot open apps (T7)"]
    );
}

// Example 1: eve's group Sales is disabled (T6, in her rules, warning naming her); publisher does not open
// in managed spaces (T12): DENIED.
#[test]
fn example1_disabled_group_and_publisher_t6_t12() {
    let (users, _, warnings) = run(&load_fixture());
    let eve = get(&users, "eve");
    assert!(!eve.open.can);
    assert_eq!(eve.denied_reason, Some(DENIED_CANNOT_OPEN));
    assert_eq!(eve.rules, ["T6"]);
    assert_eq!(
        eve.open.why_not,
        [
            "not the owner of managed space `Fin` (its owner is `00uana0000000000000`) (T11)",
            "space role publisher via user: it does not open apps in a managed space (T12)",
            "group Sales would open it (space role), but the group is disabled and grants nothing (T6)",
            "no share of the app with the user (who holds no enabled group) or Everyone (T14)",
        ]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("group `Sales` is disabled") && w.contains("00ueve")),
        "{warnings:?}"
    );
    // publisher still counts for T18 (a space role but basicconsumer)
    assert!(eve
        .entitlement
        .because
        .iter()
        .any(|b| b == "publisher in space Fin via user"));
}

// Example 2 (shared): cy opens by the admin route (T13, [dec] in rules), `no-data`; eve opens as producer.
#[test]
fn example2_shared_admin_route_t13() {
    let (users, _, _) = run(&shared_variant());
    let cy = get(&users, "cy");
    assert_eq!(vias(cy), ["admin TenantAdmin"]);
    assert_eq!(cy.export, Export::NoData);
    assert_eq!(cy.rules, ["T13"]);
    let eve = get(&users, "eve");
    assert_eq!(vias(eve), ["producer via user"]);
    assert_eq!(eve.export, Export::NoData);
    assert!(eve.rules.is_empty(), "{:?}", eve.rules);
    // others as in 1
    assert_eq!(
        vias(get(&users, "ana")),
        ["consumer via group Finance", "owner"]
    );
    assert_eq!(get(&users, "dee").denied_reason, Some(DENIED_STATUS));
}

/// Example 3's tenant: 1 with UserDefault `[]`, Everyone EmbeddedAnalyticsUser only, Finance → basicconsumer.
fn no_download_variant(user_default: &[&str]) -> Exports {
    let mut ex = load_fixture();
    for r in ex.roles.iter_mut().filter(|r| r.name == "UserDefault") {
        r.assigned_scopes = user_default.iter().map(|s| s.to_string()).collect();
    }
    let eau = role_ref(&ex, "EmbeddedAnalyticsUser");
    for g in ex.system_groups.iter_mut() {
        g.assigned_roles = vec![eau.clone()];
    }
    set_roles_of(&mut ex, "66aa00000000000000000b01", &["basicconsumer"]);
    ex
}

// Example 3: basicconsumer (*Has restricted view*) opens; space roles do not restrict download (T17), the
// scopes decide (T4, T16); basicconsumer and EmbeddedAnalyticsUser trigger no Full User (T18).
#[test]
fn example3_no_download_t17_t18() {
    let (users, _, _) = run(&no_download_variant(&[]));
    let ben = get(&users, "ben");
    assert_eq!(vias(ben), ["basicconsumer via group Finance"]);
    assert_eq!(ben.export, Export::NotAllowed);
    assert!(!ben.entitlement.full, "{:?}", ben.entitlement.because);
    let ana = get(&users, "ana");
    assert_eq!(ana.export, Export::Allowed); // T4: custom role Exporters adds apps.data:export
    assert!(ana.entitlement.full);

    // With UserDefault *No data*: ben downloads images and PDFs (T17: basicconsumer does not restrict).
    let (users, _, _) = run(&no_download_variant(&["apps.image:export"]));
    assert_eq!(get(&users, "ben").export, Export::NoData);
}

// T18: a role auto-assigned to Everyone makes every user a Full User unless it is EmbeddedAnalyticsUser:
// CollaborationPlatformUser is excepted only when held otherwise (direct or through a group).
#[test]
fn t18_collaboration_platform_user_through_everyone_triggers_full() {
    let mut ex = no_download_variant(&[]);
    let cpu = role_ref(&ex, "CollaborationPlatformUser");
    // Held directly by ben: no trigger (example 3 leaves him none).
    let ben = user_id(&ex, "ben");
    for u in ex.users.iter_mut().filter(|u| u.id == ben) {
        u.assigned_roles = vec![cpu.clone()];
    }
    let (users, _, _) = run(&ex);
    assert!(!get(&users, "ben").entitlement.full);
    // Auto-assigned to Everyone: every user, ben included.
    for g in ex.system_groups.iter_mut() {
        g.assigned_roles = vec![cpu.clone()];
    }
    let (users, _, _) = run(&ex);
    for (name, u) in &users {
        assert!(u.entitlement.full, "{name}");
        assert!(
            u.entitlement
                .because
                .iter()
                .any(|b| b == "CollaborationPlatformUser via everyone"),
            "{name}: {:?}",
            u.entitlement.because
        );
    }
    assert!(!get(&users, "ben")
        .entitlement
        .because
        .iter()
        .any(|b| b == "CollaborationPlatformUser via direct"));
}

fn with_client(mut ex: Exports, scopes: &[&str]) -> Exports {
    ex.oauth_client = Some(OAuthClient {
        client_id: Some("c0ffee".into()),
        client_name: Some("reporting-bot".into()),
        name: None,
        allowed_scopes: scopes.iter().map(|s| s.to_string()).collect(),
    });
    ex
}

// Example 4: OAuth client on 2. `user_default` keeps user-level scopes (T8); the admin route needs
// `admin_classic` (T9).
#[test]
fn example4_oauth_user_default_t8_t9() {
    let ex = with_client(shared_variant(), &["user_default"]);
    let (users, rules, _) = run(&ex);
    assert_eq!(rules, ["T3", "T4", "T8", "T9", "T16"]);
    let ana = get(&users, "ana").oauth.clone().expect("oauth");
    assert!(ana.open);
    assert_eq!(ana.export, Export::Allowed);
    assert!(ana.scopes_missing_for_oauth.is_empty());
    let cy = get(&users, "cy");
    assert!(cy.open.can);
    let cy_oauth = cy.oauth.clone().expect("oauth");
    assert!(!cy_oauth.open);
    assert_eq!(cy_oauth.export, Export::NotAllowed);
    // with admin_classic the admin route survives (T9)
    let (users, _, _) = run(&with_client(shared_variant(), &["admin_classic"]));
    assert!(get(&users, "cy").oauth.clone().expect("oauth").open);
    let t = Tenant::new(&ex).expect("tenant");
    let mut w = Vec::new();
    let app = t.app(BUDGET, &mut w).expect("app");
    assert_eq!(
        t.summary(&app).oauth_client.as_deref(),
        Some("reporting-bot")
    );
}

// Example 4 variant: a client never adds; ana keeps images only and misses apps.data:export (T8).
#[test]
fn example4_oauth_intersection_t8() {
    let (users, _, _) = run(&with_client(shared_variant(), &["apps.image:export"]));
    let ana = get(&users, "ana").oauth.clone().expect("oauth");
    assert!(ana.open);
    assert_eq!(ana.export, Export::NoData);
    assert_eq!(ana.scopes_missing_for_oauth, ["apps.data:export"]);
}

fn share(to: &str, kind: &str, roles: &[&str], disabled: bool) -> Share {
    Share {
        kind: kind.into(),
        assignee_id: to.into(),
        resource_id: BUDGET.into(),
        resource_name: Some("Budget".into()),
        roles: roles.iter().map(|r| r.to_string()).collect(),
        disabled,
        space_id: FIN.into(),
    }
}

// Example 5: Budget shared with eve as consumer opens it (T14); a disabled share does not ([dec] T14 in rules).
#[test]
fn example5_share_t14() {
    let mut ex = load_fixture();
    let eve = user_id(&ex, "eve");
    ex.shares.push(share(&eve, "user", &["consumer"], false));
    let (users, _, _) = run(&ex);
    let e = get(&users, "eve");
    assert_eq!(vias(e), ["share consumer via user"]);
    assert!(e.open.can);

    let mut ex = load_fixture();
    ex.shares.push(share(&eve, "user", &["consumer"], true));
    // an anonymous link share opens nothing for directory users: info only
    ex.shares.push(share("", "link", &["consumer"], false));
    let (users, _, warnings) = run(&ex);
    let e = get(&users, "eve");
    assert!(!e.open.can);
    assert_eq!(e.rules, ["T6", "T14"]);
    assert!(get(&users, "ben")
        .open
        .via
        .iter()
        .all(|v| !v.starts_with("share")));
    assert!(
        warnings.iter().any(|w| w.contains("anonymous link share")),
        "{warnings:?}"
    );
}

// Example 5 variant: Budget in ana's personal space: only ana opens (T10); shares and admins do not
// (cy's rules carry T10 [dec]).
#[test]
fn example5_personal_space_t10() {
    let mut ex = load_fixture();
    for i in ex.items.iter_mut() {
        i.resource_attributes.space_id = Some(String::new());
        i.space_id = None;
    }
    let eve = user_id(&ex, "eve");
    ex.shares.push(share(&eve, "user", &["consumer"], false));
    let t = Tenant::new(&ex).expect("tenant");
    let mut w = Vec::new();
    let app = t.app("Budget", &mut w).expect("app");
    assert_eq!(app.space_type, SpaceType::Personal);
    let (users, _, _) = run(&ex);
    assert_eq!(vias(get(&users, "ana")), ["personal owner"]);
    for name in ["ben", "cy", "eve"] {
        let u = get(&users, name);
        assert!(!u.open.can, "{name}");
        assert_eq!(u.denied_reason, Some(DENIED_CANNOT_OPEN), "{name}");
        assert_eq!(
            u.open.why_not,
            ["the app is in the personal space of `00uana0000000000000`: only its owner opens it, it cannot be shared and admins cannot open it (T10)"],
            "{name}"
        );
    }
    assert!(get(&users, "ana").open.why_not.is_empty());
    assert_eq!(get(&users, "cy").rules, ["T10"]);
}

// T12: operator in managed opens but is uncertain ([dec] in rules when it is the only route); a role the
// space type lacks is ignored with a warning; data spaces hold no apps (error).
#[test]
fn space_roles_t12() {
    let mut ex = load_fixture();
    let ben = user_id(&ex, "ben");
    let mut a = ex.assignments[0].clone();
    a.kind = "user".into();
    a.assignee_id = ben.clone();
    a.roles = vec!["operator".into()];
    ex.assignments.push(a);
    // ben leaves Finance so that operator is his only route
    for u in ex.users.iter_mut().filter(|u| u.id == ben) {
        u.assigned_groups.clear();
    }
    let eve = user_id(&ex, "eve");
    set_roles_of(&mut ex, &eve, &["codeveloper"]);
    let (users, _, warnings) = run(&ex);
    let b = get(&users, "ben");
    assert_eq!(vias(b), ["operator via user"]);
    assert_eq!(b.rules, ["T12"]);
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("`codeveloper`") && w.contains("(T12)")),
        "{warnings:?}"
    );
    assert!(get(&users, "eve").rules.contains(&"T12"));
    // The ignored role is no Full User trigger either (T12, T18); the space role that is one stays.
    let because = |name: &str| {
        get(&users, name)
            .entitlement
            .because
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
    };
    assert!(
        !because("eve")
            .iter()
            .any(|l| l.starts_with("codeveloper in space")),
        "{:?}",
        because("eve")
    );
    assert!(
        because("ben")
            .iter()
            .any(|l| l.starts_with("operator in space")),
        "{:?}",
        because("ben")
    );

    let mut ex = load_fixture();
    set_space_type(&mut ex, "data");
    let t = Tenant::new(&ex).expect("tenant");
    let err = t.app("Budget", &mut Vec::new()).expect_err("data space");
    assert_eq!(err.code, codes::TENANT_NOT_EVALUABLE);
    assert!(err.message.contains("data space"));
}

// T12: spaces.json's meta.assignableRoles disagreeing with T12's table is a warning.
#[test]
fn assignable_roles_disagreement_warns_t12() {
    let mut ex = load_fixture();
    for s in ex.spaces.iter_mut() {
        s.meta.assignable_roles = Some(vec!["consumer".into()]);
    }
    let (_, _, warnings) = run(&ex);
    assert!(
        warnings.iter().any(|w| w.contains("assignable roles")),
        "{warnings:?}"
    );
}

// T7: invited cannot open [obs]; deleted or an unknown/missing status cannot either, [dec] in rules.
// T5: qsa reports the exports' configuration: the status and groups as exported.
#[test]
fn status_values_t7_t5() {
    for (status, dec) in [
        (Some("invited"), false),
        (Some("deleted"), true),
        (Some("suspended"), true),
        (None, true),
        (Some("provisioned"), false),
    ] {
        let mut ex = load_fixture();
        let ben = user_id(&ex, "ben");
        for u in ex.users.iter_mut().filter(|u| u.id == ben) {
            u.status = status.map(str::to_string);
        }
        let (users, _, _) = run(&ex);
        let b = get(&users, "ben");
        if status == Some("provisioned") {
            assert!(b.open.can);
            continue;
        }
        assert!(!b.open.can, "{status:?}");
        assert_eq!(b.denied_reason, Some(DENIED_STATUS));
        assert_eq!(b.rules.contains(&"T7"), dec, "{status:?}");
    }
}

// T4: a role a user holds that roles.json lacks cannot be evaluated: error (fail closed).
#[test]
fn missing_role_is_an_error_t4() {
    let mut ex = load_fixture();
    ex.roles.retain(|r| r.name != "Exporters");
    let t = Tenant::new(&ex).expect("tenant");
    let app = t.app("Budget", &mut Vec::new()).expect("app");
    let err = t
        .evaluate_all(&app, &mut Vec::new())
        .expect_err("missing role");
    assert_eq!(err.code, codes::TENANT_NOT_EVALUABLE);
    assert!(err.message.contains("Exporters") && err.message.contains("roles.json"));
}

// T1: a group absent from groups.json gives the roles on the user's entry; a group role through an IdP
// group counts like a custom one (T2).
#[test]
fn group_roles_from_user_entry_t1_t2() {
    let mut ex = load_fixture();
    ex.groups.retain(|g| g.name != "CG-Export");
    let (users, _, _) = run(&ex);
    assert_eq!(
        role_vias(get(&users, "ana"), "Exporters"),
        ["group CG-Export"]
    );
}

// T11: roles add up: the same user opening by several routes lists all, sorted; Everyone's space role opens
// for every user (T3, T11).
#[test]
fn everyone_space_role_t11() {
    let mut ex = load_fixture();
    let mut a: Assignment = ex.assignments[0].clone();
    a.assignee_id = exports::EVERYONE_ID.into();
    a.roles = vec!["consumer".into()];
    ex.assignments.push(a);
    let (users, _, _) = run(&ex);
    assert_eq!(vias(get(&users, "cy")), ["consumer via everyone"]);
    assert_eq!(
        vias(get(&users, "ben")),
        ["consumer via everyone", "consumer via group Finance"]
    );
}

// T15/§3: the per-user object serializes to the JSON of tenant.md §3.
#[test]
fn json_shape_section3() {
    let (users, _, _) = run(&load_fixture());
    let json = serde_json::to_value(get(&users, "ben")).expect("json");
    assert_eq!(json["open"]["via"][0], "consumer via group Finance");
    assert_eq!(json["export"], "no-data");
    assert_eq!(json["roles"][0]["name"], "SharedSpaceCreator");
    assert_eq!(json["roles"][0]["via"][0], "everyone");
    assert!(json["section_access"].is_null());
    assert!(json["oauth"].is_null());
    assert!(json.get("rules").is_none());
    assert!(json["entitlement"]["full"].as_bool().unwrap_or(false));
}

// Deterministic output: the exports in another order give byte-identical JSON.
#[test]
fn output_does_not_depend_on_export_order() {
    let mut ex = with_client(shared_variant(), &["user_default"]);
    let eve = user_id(&ex, "eve");
    ex.shares.push(share(&eve, "user", &["consumer"], false));
    let ana = user_id(&ex, "ana");
    ex.shares.push(share(&ana, "user", &["contributor"], false));
    let json = |ex: &Exports| {
        let (users, _, warnings) = run(ex);
        let users: Vec<&UserTenant> = users.iter().map(|(_, u)| u).collect();
        (serde_json::to_string(&users).unwrap_or_default(), warnings)
    };
    let a = json(&ex);
    ex.users.reverse();
    ex.roles.reverse();
    ex.groups.reverse();
    ex.assignments.reverse();
    ex.shares.reverse();
    for u in ex.users.iter_mut() {
        u.assigned_groups.reverse();
    }
    assert_eq!(a, json(&ex));
}

// ---- readers (tenant.md §1)

fn temp_copy(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qsa-tenant-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    copy_dir(&fixture(), &dir);
    dir
}

fn load_err(dir: &Path) -> qsa::diag::Diagnostic {
    *exports::load(dir, &mut SourceMap::default()).expect_err("should fail")
}

#[test]
fn reader_accepts_each_form() {
    // The fixture holds a bare array (users), a {data, links} page (groups), two concatenated pages
    // (roles), per-space assignment files; unknown fields (tenantId, links, idpId, meta.actions) are ignored.
    let ex = load_fixture();
    assert_eq!(ex.users.len(), 5);
    assert_eq!(ex.groups.len(), 3);
    assert_eq!(ex.roles.len(), 7);
    assert_eq!(ex.assignments.len(), 3);
    assert!(ex.assignments.iter().all(|a| a.space_id == FIN));
    assert!(ex.shares.is_empty());
    assert!(ex.oauth_client.is_none());

    // One assignments.json instead of the folder; NDJSON users; group settings instead of system groups;
    // an OAuth client.
    let dir = temp_copy("forms");
    std::fs::remove_dir_all(dir.join("assignments")).expect("rm");
    std::fs::copy(
        fixture().join(format!("assignments/{FIN}.json")),
        dir.join("assignments.json"),
    )
    .expect("copy");
    let users: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(fixture().join("users.json")).expect("read"))
            .expect("json");
    // NDJSON, ben listed twice (kept once, with a warning)
    let mut ndjson: String = users.iter().map(|u| format!("{u}\n")).collect();
    ndjson.push_str(&format!("{}\n", users[1]));
    std::fs::write(dir.join("users.json"), ndjson).expect("write");
    std::fs::remove_file(dir.join("system-groups.json")).expect("rm");
    std::fs::write(
        dir.join("group-settings.json"),
        r#"{"tenantId":"x","autoCreateGroups":true,"systemGroups":{"000000000000000000000001":{"id":"000000000000000000000001","name":"com.qlik.Everyone","enabled":true,"assignedRoles":[{"id":"6500000000000000000000e1","name":"SharedSpaceCreator","type":"default","level":"user"}]}}}"#,
    )
    .expect("write");
    std::fs::write(
        dir.join("oauth-client.json"),
        r#"{"clientId":"c1","clientName":"bot","allowedScopes":["user_default"],"redirectUris":[]}"#,
    )
    .expect("write");
    let ex = exports::load(&dir, &mut SourceMap::default()).expect("loads");
    assert_eq!(ex.users.len(), 5);
    assert_eq!(ex.warnings.len(), 1);
    assert!(ex.warnings[0].message.contains("twice"));
    assert_eq!(ex.assignments.len(), 3);
    assert_eq!(ex.system_groups.len(), 1);
    assert_eq!(
        ex.system_groups[0].assigned_roles[0].name,
        "SharedSpaceCreator"
    );
    assert_eq!(
        ex.oauth_client.as_ref().map(|c| c.allowed_scopes.clone()),
        Some(vec!["user_default".to_string()])
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reader_missing_file_names_file_and_command() {
    for (file, command) in [
        ("users.json", "qlik user ls --limit 100000"),
        ("roles.json", "qlik role ls --limit 1000"),
        (
            "items.json",
            "qlik item ls --resourceType app --limit 100000",
        ),
    ] {
        let dir = temp_copy("missing");
        std::fs::remove_file(dir.join(file)).expect("rm");
        let err = load_err(&dir);
        assert_eq!(err.code, codes::TENANT_INPUT);
        assert!(err.message.contains(file), "{}", err.message);
        assert!(err.message.contains(command), "{}", err.message);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let dir = temp_copy("missing-assign");
    std::fs::remove_dir_all(dir.join("shares")).expect("rm");
    let err = load_err(&dir);
    assert!(
        err.message.contains("shares/<spaceId>.json"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("qlik space share ls"),
        "{}",
        err.message
    );
    let _ = std::fs::remove_dir_all(&dir);
    let dir = temp_copy("missing-system");
    std::fs::remove_file(dir.join("system-groups.json")).expect("rm");
    let err = load_err(&dir);
    assert!(
        err.message.contains("system-groups.json") && err.message.contains("group-settings.json")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn reader_malformed_json_is_located() {
    let dir = temp_copy("malformed");
    std::fs::write(
        dir.join("spaces.json"),
        "[\n  {\"id\": \"s1\",\n   \"name\": }\n]\n",
    )
    .expect("write");
    let mut sources = SourceMap::default();
    let err = exports::load(&dir, &mut sources).expect_err("malformed");
    assert_eq!(err.code, codes::TENANT_INPUT);
    assert!(err.message.contains("spaces.json"), "{}", err.message);
    assert!(err.message.contains("line 3 column"), "{}", err.message);
    assert!(err.primary.is_some());
    // A wrong shape (a user without `id`) is located too, and names the command.
    std::fs::copy(fixture().join("spaces.json"), dir.join("spaces.json")).expect("copy");
    std::fs::write(
        dir.join("users.json"),
        "\n\n[{\"id\": \"u1\"},\n {\"subject\": \"x\"}]",
    )
    .expect("write");
    let err = load_err(&dir);
    assert!(
        err.message.contains("`users.json` line 4 column"),
        "{}",
        err.message
    );
    assert!(
        err.message.contains("item 2") && err.message.contains("`id`"),
        "{}",
        err.message
    );
    // in a {data, links} page, too
    std::fs::write(
        dir.join("users.json"),
        "{\"data\": [\n {\"id\": \"u1\", \"status\": 7}\n], \"links\": {}}",
    )
    .expect("write");
    let err = load_err(&dir);
    assert!(
        err.message.contains("`users.json` line 2 column"),
        "{}",
        err.message
    );
    assert!(err.help.unwrap_or_default().contains("qlik user ls"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn app_selection() {
    let mut ex = load_fixture();
    let t = Tenant::new(&ex).expect("tenant");
    for q in [BUDGET, "6701000000000000000b0001", "Budget"] {
        let app = t.app(q, &mut Vec::new()).expect("found");
        assert_eq!(app.item.name, "Budget");
        assert_eq!(app.space_type, SpaceType::Managed);
    }
    assert_eq!(
        t.app("budget", &mut Vec::new())
            .expect_err("exact name")
            .code,
        codes::TENANT_APP
    );
    let mut twin = ex.items[0].clone();
    twin.id = "other".into();
    twin.resource_id = "other-res".into();
    ex.items.push(twin);
    let t = Tenant::new(&ex).expect("tenant");
    let err = t.app("Budget", &mut Vec::new()).expect_err("two apps");
    assert!(err.message.contains("2 apps"), "{}", err.message);
    // a resourceId match wins over a name match
    assert!(t.app(BUDGET, &mut Vec::new()).is_ok());
}
