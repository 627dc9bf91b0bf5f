//! One or more tests per rule id of section-access.md.

use crate::common::*;
use qsa::access::directory::Status;
use qsa::access::Target;
use qsa::diag::codes;
use qsa::reduce::{prepare, Access};

fn regions() -> qsa::model::Table {
    table(
        "Sales",
        "ID,REGION,AMOUNT",
        &["1,EU,10", "2,US,20", "3,APAC,30", "4,EU,40"],
    )
}

// ---------------------------------------------------------------- S7, I6: group modes

fn group_model(mode: Option<&str>) -> qsa::script::RunResult {
    let sa = table(
        "SA",
        "ACCESS,USERID,GROUP,REGION",
        &["USER,*,FINANCE,EU", "USER,*,CG-SALES,US"],
    );
    let vars: Vec<(&str, &str)> = mode
        .map(|m| vec![("QlikCloudGroupMode", m)])
        .unwrap_or_default();
    run_vars(vec![regions()], vec![sa], &vars)
}

fn fin_and_sales() -> qsa::access::directory::User {
    user_with("okta|1", None, &["Finance"], &["CG-Sales"])
}

#[test]
fn s7_unset_mode_is_idp_groups() {
    // S7: unset = 0; I6: mode 0 = IdP groups, compared upper-cased.
    let u = cloud(&group_model(None), fin_and_sales());
    assert_eq!(sel(&u, "REGION"), Some(strs(&["EU"])));
}

#[test]
fn s7_i6_mode_1_custom_groups_and_mode_2_both() {
    // S7 / I6
    let u = cloud(&group_model(Some("1")), fin_and_sales());
    assert_eq!(sel(&u, "REGION"), Some(strs(&["US"])));
    let u = cloud(&group_model(Some("2")), fin_and_sales());
    assert_eq!(sel(&u, "REGION"), Some(strs(&["EU", "US"])));
    // The result depends on the mode, read at the end of the script [dec].
    assert!(u.rules.contains(&"S7"));
}

#[test]
fn s7_invalid_mode_is_refused_on_cloud() {
    // S7: any value other than 0/1/2 is an error; evaluation refused (fail closed).
    let r = group_model(Some("3"));
    let err = prepare(&r, Target::Cloud).err().expect("refused");
    assert!(err
        .iter()
        .any(|d| d.code == codes::SA_GROUP_MODE_INVALID && d.is_error()));
    // Client-managed: the variable has no effect; directory groups are all used (I6).
    let u = eval1(&r, Target::ClientManaged, fin_and_sales());
    assert_eq!(sel(&u, "REGION"), Some(strs(&["EU", "US"])));
}

#[test]
fn i6_group_collisions_warn() {
    // I6: "Sales" (IdP) and "SALES" (custom) are one GROUP value under mode 2.
    let sa = table("SA", "ACCESS,USERID,GROUP,REGION", &["USER,*,SALES,EU"]);
    let r = run_vars(vec![regions()], vec![sa], &[("QlikCloudGroupMode", "2")]);
    let u = cloud(&r, user_with("s1", None, &["Sales"], &["SALES"]));
    assert!(u
        .diagnostics
        .iter()
        .any(|d| d.code == codes::USER_GROUP_COLLISION));
    assert!(u.rules.contains(&"I6"));
    // Same name as IdP and custom group.
    let u = cloud(&r, user_with("s2", None, &["Sales"], &["Sales"]));
    assert!(u
        .diagnostics
        .iter()
        .any(|d| d.code == codes::USER_GROUP_COLLISION));
    // Under mode 0 only the IdP group is held: no collision.
    let r0 = run_vars(
        vec![regions()],
        vec![table(
            "SA",
            "ACCESS,USERID,GROUP,REGION",
            &["USER,*,SALES,EU"],
        )],
        &[],
    );
    assert!(cloud(&r0, user_with("s2", None, &["Sales"], &["Sales"]))
        .diagnostics
        .is_empty());
}

// ---------------------------------------------------------------- A1–A3

#[test]
fn a1_system_fields_are_not_reductions() {
    // A1: ACCESS, USERID, OMIT, NTNAME … never reduce; REGION does.
    let sa = table("SA", "ACCESS,USERID,NTNAME,OMIT,REGION", &["USER,U1,X,,EU"]);
    let u = cloud(&run(vec![regions()], vec![sa]), user("U1"));
    assert_eq!(
        u.reduction.keys().cloned().collect::<Vec<_>>(),
        strs(&["REGION"])
    );
}

#[test]
fn a2_unlinked_field_is_an_error_with_near_miss() {
    // A2: `REGION` in Section Access, `Region` in the app: no link; error with suggestion.
    let app = table("Sales", "ID,Region", &["1,EU", "2,US"]);
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU"]);
    let r = run(vec![app], vec![sa]);
    let p = prepare(&r, Target::Cloud).expect("evaluable: Qlik grants all data");
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.code == codes::SA_UNLINKED_FIELD)
        .expect("A2 error");
    assert!(d.is_error());
    assert!(d.help.as_deref().unwrap_or("").contains("`Region`"));
    let u = p.evaluate(&[user("U1")], false).remove(0);
    assert_eq!(u.access, Access::User);
    assert_eq!(
        rows(&u, "Sales"),
        2,
        "the silent over-grant is what Qlik does"
    );
}

#[test]
fn a3_several_security_tables() {
    // A3: a USERID, OMIT table beside the main one, associated by USERID.
    let app = table("Sales", "ID,REGION,MARGIN", &["1,EU,5", "2,US,6"]);
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU", "USER,U2,US"]);
    let om = table("OMITS", "USERID,OMIT", &["U1,MARGIN"]);
    let r = run(vec![app], vec![sa, om]);
    let us = eval(&r, Target::Cloud, &[user("U1"), user("U2")]);
    assert_eq!(
        (sel(&us[0], "REGION"), us[0].omitted_fields.clone()),
        (Some(strs(&["EU"])), strs(&["MARGIN"]))
    );
    assert_eq!(
        (sel(&us[1], "REGION"), us[1].omitted_fields.clone()),
        (Some(strs(&["US"])), vec![])
    );
}

// ---------------------------------------------------------------- I1–I5

#[test]
fn i1_every_identity_field_must_match_and_star_matches_anyone() {
    // I1
    let sa = table(
        "SA",
        "ACCESS,USER.EMAIL,GROUP,REGION",
        &["USER,JOE@ABC.COM,ABC,EU", "USER,*,ACME,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    assert_eq!(
        cloud(&r, user_with("j", Some("joe@abc.com"), &["ABC"], &[])).access,
        Access::User
    );
    assert_eq!(
        cloud(&r, user_with("j", Some("joe@abc.com"), &[], &[])).access,
        Access::Denied
    );
    let anyone = cloud(&r, user_with("nobody-listed", None, &["Acme"], &[]));
    assert_eq!(sel(&anyone, "REGION"), Some(strs(&["US"])));
}

#[test]
fn i2_blank_identity_cell_matches_nobody() {
    // I2: `USER, ALICE, , EU` in a table with GROUP never applies.
    let sa = table(
        "SA",
        "ACCESS,USERID,GROUP,REGION",
        &["USER,ALICE,,EU", "ADMIN,BOSS,*,"],
    );
    let r = run(vec![regions()], vec![sa]);
    let u = cloud(&r, user_with("alice", None, &["X"], &[]));
    assert_eq!(u.access, Access::Denied);
    assert!(u.rules.contains(&"I2"));
    assert!(codes(&r, Target::Cloud).contains(&codes::SA_BLANK_IDENTITY));
}

#[test]
fn i3_identities_compare_upper_cased_against_the_cell_as_stored() {
    // I3 / S4: a lower-case cell (from a file) never matches; the user's value is upper-cased.
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION",
        &["USER,alice,EU", "USER,BOB,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    assert_eq!(cloud(&r, user("alice")).access, Access::Denied);
    assert_eq!(cloud(&r, user("bob")).access, Access::User);
}

#[test]
fn i4_user_without_value_matches_only_star() {
    // I4: no e-mail → only `*` in USER.EMAIL.
    let sa = table(
        "SA",
        "ACCESS,USERID,USER.EMAIL,REGION",
        &["USER,U1,U1@X.COM,EU", "USER,U1,*,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    let u = cloud(&r, user("U1"));
    assert_eq!(sel(&u, "REGION"), Some(strs(&["US"])));
    assert!(u.rules.contains(&"I4"));
}

#[test]
fn i5_cloud_userid_is_the_subject_not_the_email() {
    // I5
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION",
        &[
            "USER,AUTH0|A08D000001C6YTJIAV,EU",
            "USER,JOE@EXAMPLE.COM,US",
        ],
    );
    let r = run(vec![regions()], vec![sa]);
    let u = cloud(
        &r,
        user_with(
            "auth0|a08D000001C6YtJIAV",
            Some("joe@example.com"),
            &[],
            &[],
        ),
    );
    assert_eq!(sel(&u, "REGION"), Some(strs(&["EU"])));
}

// ---------------------------------------------------------------- L1–L3

#[test]
fn l1_not_listed_or_no_valid_access_is_denied() {
    // L1
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU", "READ,U2,EU"]);
    let r = run(vec![regions()], vec![sa]);
    let us = eval(&r, Target::Cloud, &[user("U3"), user("U2")]);
    assert_eq!(us[0].access, Access::Denied);
    assert!(us[0]
        .denied_reason
        .as_deref()
        .unwrap_or("")
        .contains("not listed"));
    assert_eq!(us[1].access, Access::Denied);
    assert!(us[1]
        .denied_reason
        .as_deref()
        .unwrap_or("")
        .contains("ACCESS"));
    assert!(codes(&r, Target::Cloud).contains(&codes::SA_INVALID_ACCESS));
}

#[test]
fn l2_admin_wins_over_user_and_says_so() {
    // L2 [dec]
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU", "ADMIN,U1,US"]);
    let r = run(vec![regions()], vec![sa]);
    let u = cloud(&r, user("U1"));
    assert_eq!(u.access, Access::Admin);
    assert!(u.rules.contains(&"L2"));
    assert!(codes(&r, Target::Cloud).contains(&codes::SA_MIXED_ACCESS));
}

#[test]
fn l3_admin_is_reduced_like_a_user() {
    // L3: ADMIN with a valid value is reduced.
    let sa = table("SA", "ACCESS,USERID,REGION", &["ADMIN,U1,EU"]);
    let u = cloud(&run(vec![regions()], vec![sa]), user("U1"));
    assert_eq!((u.access, rows(&u, "Sales")), (Access::Admin, 2));
}

// ---------------------------------------------------------------- R1–R6

#[test]
fn r1_union_star_and_blank() {
    // R1: union over rows; `*` = listed values; a blank cell contributes nothing.
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION",
        &["USER,U1,EU", "USER,U1,", "USER,U2,*", "USER,U3,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    let us = eval(&r, Target::Cloud, &[user("U1"), user("U2")]);
    assert_eq!(sel(&us[0], "REGION"), Some(strs(&["EU"])));
    assert_eq!(
        sel(&us[1], "REGION"),
        Some(strs(&["EU", "US"])),
        "APAC is not listed"
    );
}

#[test]
fn r2_strict_exclusion_is_judged_per_field() {
    // R2 [dec per field]: USER matching REGION but not PRODUCT is denied; ADMIN keeps PRODUCT unreduced.
    let app = table("Sales", "REGION,PRODUCT", &["EU,P1", "US,P2"]);
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION,PRODUCT",
        &["USER,U1,EU,P9", "ADMIN,A1,EU,P9"],
    );
    let r = run(vec![app], vec![sa]);
    let us = eval(&r, Target::Cloud, &[user("U1"), user("A1")]);
    assert_eq!(us[0].access, Access::Denied);
    assert!(us[0].rules.contains(&"R2"));
    assert_eq!(sel(&us[1], "REGION"), Some(strs(&["EU"])));
    assert_eq!(sel(&us[1], "PRODUCT"), None);
    assert_eq!(rows(&us[1], "Sales"), 1);
    assert!(codes(&r, Target::Cloud).contains(&codes::SA_VALUE_NOT_IN_DATA));
}

#[test]
fn r3_and_across_fields_or_within() {
    // R3
    let app = table(
        "Sales",
        "REGION,PRODUCT",
        &["EU,P1", "EU,P2", "US,P1", "US,P2"],
    );
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION,PRODUCT",
        &["USER,U1,EU,P1", "USER,U1,US,"],
    );
    let u = cloud(&run(vec![app], vec![sa]), user("U1"));
    assert_eq!(
        rows(&u, "Sales"),
        2,
        "REGION in {{EU,US}} and PRODUCT in {{P1}}"
    );
}

fn star() -> Vec<qsa::model::Table> {
    vec![
        table(
            "Facts",
            "ORDER,REGION,PRODUCT,AMOUNT",
            &["1,EU,P1,10", "2,US,P2,20", "3,EU,~,30", "4,APAC,P3,40"],
        ),
        table(
            "Regions",
            "REGION,REGIONNAME",
            &["EU,Europe", "US,United States", "APAC,Asia"],
        ),
        table(
            "Products",
            "PRODUCT,PRODUCTNAME",
            &["P1,Widget", "P2,Gadget", "P3,Gizmo", "P4,Unsold"],
        ),
        table("Calendar", "DATE", &["2024-01-01", "2024-01-02"]),
    ]
}

#[test]
fn r4_propagation_through_links_and_islands() {
    // R4: a selection on Regions.REGION reduces Facts and, through Facts, Products; the island Calendar
    // is untouched.
    let sa = table("SA", "ACCESS,USERID,REGIONNAME", &["USER,U1,Europe"]);
    let u = cloud(&run(star(), vec![sa]), user("U1"));
    assert_eq!(rows(&u, "Regions"), 1);
    assert_eq!(rows(&u, "Facts"), 2);
    assert_eq!(
        rows(&u, "Products"),
        1,
        "P1 only: order 3 has a NULL product"
    );
    assert_eq!(rows(&u, "Calendar"), 2);
    assert!(u.rules.contains(&"R4"), "two hops from the selection");
}

#[test]
fn r4_null_link_value_in_a_constrained_direction_is_dropped() {
    // R4: a fact row with a NULL PRODUCT is dropped once PRODUCT is constrained.
    let sa = table("SA", "ACCESS,USERID,PRODUCTNAME", &["USER,U1,Widget"]);
    let u = cloud(&run(star(), vec![sa]), user("U1"));
    assert_eq!(rows(&u, "Facts"), 1);
    assert_eq!(rows(&u, "Regions"), 1);
    assert!(u.rules.contains(&"R4"));
}

#[test]
fn r4_composite_links() {
    // R4: tables sharing two fields are linked by the combination (a synthetic key).
    let app = vec![
        table(
            "Budget",
            "YEAR,REGION,BUDGET",
            &["2023,EU,1", "2024,EU,2", "2023,US,3", "2024,US,4"],
        ),
        table(
            "Actuals",
            "YEAR,REGION,ACTUAL",
            &["2023,EU,5", "2024,US,6", "2024,EU,7"],
        ),
    ];
    let sa = table("SA", "ACCESS,USERID,ACTUAL", &["USER,U1,5", "USER,U1,6"]);
    let u = cloud(&run(app, vec![sa]), user("U1"));
    assert_eq!(rows(&u, "Actuals"), 2);
    assert_eq!(
        rows(&u, "Budget"),
        2,
        "(2023,EU) and (2024,US), not the 4 single-field matches"
    );
}

#[test]
fn r5_circular_reference_is_refused_naming_the_loop() {
    // R5
    let app = vec![
        table("A", "K1,K2", &["1,1"]),
        table("B", "K2,K3", &["1,1"]),
        table("C", "K3,K1", &["1,1"]),
    ];
    let sa = table("SA", "ACCESS,USERID,K1", &["USER,U1,1"]);
    let err = prepare(&run(app, vec![sa]), Target::Cloud)
        .err()
        .expect("refused");
    let d = err
        .iter()
        .find(|d| d.code == codes::SA_CIRCULAR)
        .expect("R5 error");
    for name in ["A", "B", "C"] {
        assert!(d.message.contains(name), "{}", d.message);
    }
}

#[test]
fn r6_granted_but_empty_app_warns() {
    // R6: REGION=EU and PRODUCT=P2 both exist, but never together.
    let app = table("Sales", "REGION,PRODUCT", &["EU,P1", "US,P2"]);
    let sa = table("SA", "ACCESS,USERID,REGION,PRODUCT", &["USER,U1,EU,P2"]);
    let u = cloud(&run(vec![app], vec![sa]), user("U1"));
    assert_eq!((u.access, rows(&u, "Sales")), (Access::User, 0));
    assert!(u.rules.contains(&"R6"));
    assert!(u
        .diagnostics
        .iter()
        .any(|d| d.code == codes::USER_EMPTY_APP));
}

// ---------------------------------------------------------------- O1

#[test]
fn o1_omit_union_unknown_and_key_fields() {
    // O1: union over rows; unknown names and key fields warn.
    let app = vec![
        table("Sales", "ID,REGION,MARGIN", &["1,EU,5"]),
        table("Regions", "REGION,NAME", &["EU,Europe"]),
    ];
    let sa = table(
        "SA",
        "ACCESS,USERID,OMIT",
        &["USER,U1,MARGIN", "USER,U1,NOSUCH", "USER,U2,REGION"],
    );
    let r = run(app, vec![sa]);
    let u = cloud(&r, user("U1"));
    assert_eq!(u.omitted_fields, strs(&["MARGIN"]));
    let c = codes(&r, Target::Cloud);
    assert!(c.contains(&codes::SA_OMIT_UNKNOWN));
    assert!(c.contains(&codes::SA_OMIT_KEY));
}

// ---------------------------------------------------------------- U1, U2, fail closed, status

#[test]
fn u1_client_managed_needs_the_reload_identity() {
    // U1
    let sa = table("SA", "ACCESS,USERID,REGION", &["ADMIN,CORP\\ADMIN,"]);
    let r = run(vec![regions()], vec![sa]);
    let p = prepare(&r, Target::ClientManaged).expect("evaluable");
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.code == codes::SA_NO_RELOAD_IDENTITY && d.is_error()));
    let ok = table(
        "SA",
        "ACCESS,USERID,REGION",
        &["ADMIN,INTERNAL\\SA_SCHEDULER,"],
    );
    let p2r = run(vec![regions()], vec![ok]);
    let p2 = prepare(&p2r, Target::ClientManaged).expect("evaluable");
    assert!(!p2
        .diagnostics
        .iter()
        .any(|d| d.code == codes::SA_NO_RELOAD_IDENTITY));
    // Cloud has no reload identity rule.
    assert!(!codes(&r, Target::Cloud).contains(&codes::SA_NO_RELOAD_IDENTITY));
}

#[test]
fn u2_named_reloading_user_must_be_granted() {
    // U2
    let sa = table("SA", "ACCESS,USERID,REGION", &["ADMIN,DEV1,"]);
    let r = run(vec![regions()], vec![sa]);
    let p = prepare(&r, Target::Cloud).expect("evaluable");
    assert!(p.check_reload_user(&user("DEV1")).is_none());
    let d = p.check_reload_user(&user("DEV2")).expect("denied");
    assert!(d.message.contains("Access was denied after reload"));
}

#[test]
fn fail_closed_on_incomplete_tables_and_run_errors() {
    let mut sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU"]);
    sa.incomplete.push(qsa::model::Incomplete {
        reason: "SQL SELECT without --table".into(),
        at: None,
    });
    let err = prepare(&run(vec![regions()], vec![sa]), Target::Cloud)
        .err()
        .expect("refused");
    assert!(err.iter().any(|d| d.code == codes::SA_NOT_EVALUABLE));
    // An incomplete app table linked to a reduction field.
    let mut facts = regions();
    facts.incomplete.push(qsa::model::Incomplete {
        reason: "unsupported prefix".into(),
        at: None,
    });
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU"]);
    assert!(prepare(&run(vec![facts], vec![sa]), Target::Cloud).is_err());
    // Run errors.
    let mut r = run(
        vec![regions()],
        vec![table("SA", "ACCESS,USERID", &["USER,U1"])],
    );
    r.diagnostics
        .push(qsa::diag::Diagnostic::error(codes::SYNTAX, "broken"));
    assert!(prepare(&r, Target::Cloud).is_err());
}

#[test]
fn status_invited_disabled_deleted_are_denied_with_reason_status() {
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,*,EU"]);
    let r = run(vec![regions()], vec![sa]);
    for (s, expect) in [
        ("invited", false),
        ("disabled", false),
        ("deleted", false),
        ("provisioned", true),
        ("active", true),
    ] {
        let mut u = user("x");
        u.status = Status::parse(s);
        let res = cloud(&r, u);
        assert_eq!(res.access != Access::Denied, expect, "{s}");
        if !expect {
            assert_eq!(res.denied_reason.as_deref(), Some("status"));
        }
    }
}

#[test]
fn identity_profiles_share_results() {
    // Users with the same applicable rows get identical results (evaluated once).
    let sa = table(
        "SA",
        "ACCESS,USERID,GROUP,REGION",
        &["USER,*,G1,EU", "USER,*,G2,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    let users: Vec<_> = (0..50)
        .map(|i| {
            user_with(
                &format!("u{i}"),
                None,
                &[if i % 2 == 0 { "G1" } else { "G2" }],
                &[],
            )
        })
        .collect();
    let res = eval(&r, Target::Cloud, &users);
    for (i, u) in res.iter().enumerate() {
        assert_eq!(
            sel(u, "REGION"),
            Some(strs(&[if i % 2 == 0 { "EU" } else { "US" }]))
        );
        assert_eq!(u.id, format!("u{i}"));
    }
}

#[test]
fn listed_users_without_directory() {
    let sa = table(
        "SA",
        "ACCESS,USERID,USER.EMAIL,REGION",
        &["USER,U1,*,EU", "USER,*,A@B.COM,US", "ADMIN,*,*,"],
    );
    let r = run(vec![regions()], vec![sa]);
    let p = prepare(&r, Target::Cloud).expect("ok");
    let ids: Vec<String> = p.listed_users().iter().map(|u| u.report_id()).collect();
    assert_eq!(ids, strs(&["U1", "A@B.COM"]));
}

#[test]
fn r4_selection_on_a_link_field_keeps_orphan_keys() {
    // R4 [dec]: a selection on a key field filters every table holding it directly; a value present in
    // one table only (an orphan key) stays, as selecting a customer without orders does in Qlik.
    let app = vec![
        table("Customers", "CUSTOMER,NAME", &["C1,Ann", "C2,Bob"]),
        table("Orders", "ORDER,CUSTOMER", &["1,C1"]),
    ];
    let sa = table(
        "SA",
        "ACCESS,USERID,CUSTOMER",
        &["USER,U1,C2", "USER,U2,C1"],
    );
    let r = run(app, vec![sa]);
    let us = eval(&r, Target::Cloud, &[user("U1"), user("U2")]);
    assert_eq!(
        (
            us[0].access,
            rows(&us[0], "Customers"),
            rows(&us[0], "Orders")
        ),
        (Access::User, 1, 0)
    );
    assert_eq!((rows(&us[1], "Customers"), rows(&us[1], "Orders")), (1, 1));
}

#[test]
fn i6_group_values_nobody_holds_are_reported() {
    // I6 (tenant-model §6): a GROUP value no directory user holds.
    let sa = table(
        "SA",
        "ACCESS,USERID,GROUP,REGION",
        &["USER,*,FINANCE,EU", "USER,*,FINANCE-TYPO,US"],
    );
    let r = run(vec![regions()], vec![sa]);
    let p = prepare(&r, Target::Cloud).expect("ok");
    let d = p.unknown_groups(
        &[user_with("a", None, &["Finance"], &[])],
        &Default::default(),
    );
    assert_eq!(d.len(), 1);
    assert!(d[0].message.contains("FINANCE-TYPO"));
}

#[test]
fn preview_text_lists_rows_tables_and_dec_rules() {
    // L2: the preview names the [dec] rules the result depends on.
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU", "ADMIN,U1,US"]);
    let r = run(vec![regions()], vec![sa]);
    let u = cloud(&r, user("U1"));
    let text =
        qsa::report::users::render_preview(&u, &r.app, 2, &|o| qsa::reduce::origin_text(&r, o));
    assert!(text.contains("access:  ADMIN"), "{text}");
    assert!(
        text.contains("SA row 1: ACCESS=USER, USERID=U1, REGION=EU   (SA.inline record 1)"),
        "{text}"
    );
    assert!(text.contains("Sales: 3 / 4"), "{text}");
    assert!(text.contains("warning: depends on L2 [dec]"), "{text}");
}

#[test]
fn s7_variable_name_is_case_sensitive() {
    // S7: `qlikcloudgroupmode` is another variable; the mode stays 0 with a warning.
    let r = run_vars(
        vec![regions()],
        vec![table(
            "SA",
            "ACCESS,USERID,GROUP,REGION",
            &["USER,*,FINANCE,EU", "USER,*,CG-SALES,US"],
        )],
        &[("qlikcloudgroupmode", "1")],
    );
    let p = prepare(&r, Target::Cloud).expect("evaluable");
    assert!(p
        .diagnostics
        .iter()
        .any(|d| d.code == codes::SA_GROUP_MODE_INVALID && !d.is_error()));
    let u = p.evaluate(&[fin_and_sales()], false).remove(0);
    assert_eq!(sel(&u, "REGION"), Some(strs(&["EU"])));
}
