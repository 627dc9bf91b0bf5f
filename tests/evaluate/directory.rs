//! Directory formats: simple JSON and CSV, Qlik Cloud users pages and `qlik user ls` arrays, NDJSON,
//! groups exports, statuses, dedupe, malformed files; a realistic Cloud export under modes 0/1/2.

use crate::common::*;
use qsa::access::directory::{load, Directory, GroupCatalog, Provider, Status, User};
use qsa::access::Target;
use qsa::diag::{codes, Diagnostic, SourceMap};
use qsa::reduce::Access;
use std::path::PathBuf;

fn fx(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/sa/directory")
        .join(name)
}

fn load_files(
    users: &[&str],
    groups: &[&str],
) -> (Directory, GroupCatalog, bool, Vec<Diagnostic>, SourceMap) {
    let mut sources = SourceMap::default();
    let mut diags = vec![];
    let u: Vec<PathBuf> = users.iter().map(|f| fx(f)).collect();
    let g: Vec<PathBuf> = groups.iter().map(|f| fx(f)).collect();
    let (d, c, ok) = load(&u, &g, None, &mut sources, &mut diags);
    (d, c, ok, diags, sources)
}

fn groups_of(u: &User) -> Vec<(String, Provider)> {
    u.groups
        .iter()
        .map(|g| (g.name.clone(), g.provider))
        .collect()
}

#[test]
fn simple_json_tolerates_unknown_fields_and_nulls() {
    let (d, _, ok, diags, _) = load_files(&["simple.json"], &[]);
    assert!(ok, "{diags:?}");
    assert_eq!(d.users.len(), 2);
    let joe = &d.users[0];
    assert_eq!(joe.subject.as_deref(), Some("auth0|a08D000001C6YtJIAV"));
    assert_eq!(joe.email.as_deref(), Some("joe@example.com"));
    assert_eq!(
        groups_of(joe),
        vec![
            ("FINANCE".into(), Provider::Idp),
            ("CG-SALES".into(), Provider::Custom)
        ]
    );
    assert_eq!(d.users[1].email, None);
    assert!(d.users[1].groups.is_empty());
}

#[test]
fn simple_csv_with_quoted_cells_and_semicolon_groups() {
    let (d, _, ok, diags, _) = load_files(&["simple.csv"], &[]);
    assert!(ok, "{diags:?}");
    assert_eq!(d.users.len(), 2);
    assert_eq!(
        groups_of(&d.users[0]),
        vec![
            ("FINANCE".into(), Provider::Idp),
            ("Sales EMEA".into(), Provider::Idp),
            ("CG-SALES".into(), Provider::Custom)
        ]
    );
    assert_eq!(d.users[1].subject.as_deref(), Some("CORP\\ann"));
    assert_eq!(d.users[1].name.as_deref(), Some("Ann, Jr."));
}

#[test]
fn cloud_users_page_with_groups_export() {
    let (d, _, ok, diags, _) = load_files(&["cloud-users-page.json"], &["cloud-groups.json"]);
    assert!(ok, "{diags:?}");
    assert_eq!(d.users.len(), 4);
    let ada = &d.users[0];
    assert_eq!(ada.key, "65f1c0ffee0000000000a001");
    assert_eq!(ada.subject.as_deref(), Some("00u1ab2cd3EF4gh5ij6k"));
    assert_eq!(
        groups_of(ada),
        vec![
            ("Finance EMEA".into(), Provider::Idp),
            ("CG-Finance-Readers".into(), Provider::Custom)
        ]
    );
    assert_eq!(d.users[1].status, Status::Invited);
    assert_eq!(d.users[2].status, Status::Provisioned);
    // Missing providerType: classified by the groups export (by id), else idp.
    assert_eq!(
        groups_of(&d.users[2]),
        vec![
            ("Sales".into(), Provider::Idp),
            ("Sales".into(), Provider::Custom),
            ("CG-APAC".into(), Provider::Custom)
        ]
    );
    let (d2, _, _, _, _) = load_files(&["cloud-users-page.json"], &[]);
    assert_eq!(
        d2.users[2].groups[2].provider,
        Provider::Idp,
        "missing providerType = idp without a groups export"
    );
}

#[test]
fn qlik_user_ls_array_and_legacy_fields() {
    let (d, _, ok, diags, _) = load_files(&["qlik-user-ls.json"], &[]);
    assert!(ok, "{diags:?}");
    assert_eq!(d.users.len(), 2);
    assert_eq!(
        groups_of(&d.users[0]),
        vec![("Finance".into(), Provider::Idp)]
    );
    assert_eq!(
        groups_of(&d.users[1]),
        vec![("Marketing".into(), Provider::Idp)]
    );
}

#[test]
fn several_files_ndjson_pages_and_dedupe() {
    let (d, _, ok, diags, _) = load_files(
        &["pages.ndjson", "qlik-user-ls.json", "qlik-user-ls.json"],
        &[],
    );
    assert!(ok);
    assert_eq!(d.users.len(), 4);
    assert_eq!(d.users[1].status, Status::Deleted);
    assert_eq!(
        diags
            .iter()
            .filter(|d| d.code == codes::DIRECTORY_DUPLICATE)
            .count(),
        2
    );
}

#[test]
fn malformed_json_is_located() {
    let (_, _, ok, diags, sources) = load_files(&["broken.json"], &[]);
    assert!(!ok);
    let d = diags
        .iter()
        .find(|d| d.code == codes::DIRECTORY_MALFORMED)
        .expect("located error");
    let (file, line, col) = qsa::report::users::location(d, &sources);
    assert!(file.unwrap_or_default().ends_with("broken.json"));
    assert_eq!(line, Some(3));
    assert!(col.unwrap_or(0) > 10);
    let (_, _, ok, diags, sources) = load_files(&["nosubject.json"], &[]);
    assert!(!ok);
    let (_, line, _) = qsa::report::users::location(&diags[0], &sources);
    assert_eq!(line, Some(2));
    let (_, _, ok, diags, _) = load_files(&["does-not-exist.json"], &[]);
    assert!(!ok && diags[0].is_error());
}

/// A realistic Cloud export (IdP + custom groups) against a GROUP-based Section Access under modes 0, 1, 2.
#[test]
fn realistic_cloud_export_under_modes_0_1_2() {
    let (d, _, ok, _, _) = load_files(&["cloud-users-page.json"], &["cloud-groups.json"]);
    assert!(ok);
    let app = table(
        "Sales",
        "ID,REGION",
        &["1,EMEA", "2,APAC", "3,US", "4,EMEA"],
    );
    let sa = || {
        table(
            "SA",
            "ACCESS,USERID,GROUP,REGION",
            &[
                "USER,*,FINANCE EMEA,EMEA",
                "USER,*,CG-FINANCE-READERS,US",
                "USER,*,CG-APAC,APAC",
                "USER,*,SALES,US",
            ],
        )
    };
    let ids = |m: &str| {
        let r = run_vars(vec![app.clone()], vec![sa()], &[("QlikCloudGroupMode", m)]);
        eval(&r, Target::Cloud, &d.users)
    };
    // mode 0: IdP groups only
    let m0 = ids("0");
    assert_eq!(sel(&m0[0], "REGION"), Some(strs(&["EMEA"])));
    assert_eq!(m0[1].denied_reason.as_deref(), Some("status"));
    assert_eq!(sel(&m0[2], "REGION"), Some(strs(&["US"])));
    assert_eq!(m0[3].access, Access::Denied, "disabled");
    // mode 1: custom groups only
    let m1 = ids("1");
    assert_eq!(sel(&m1[0], "REGION"), Some(strs(&["US"])));
    assert_eq!(sel(&m1[2], "REGION"), Some(strs(&["APAC", "US"])));
    // mode 2: both; Linus holds IdP "Sales" and custom "Sales": a collision
    let m2 = ids("2");
    assert_eq!(sel(&m2[0], "REGION"), Some(strs(&["EMEA", "US"])));
    assert_eq!(sel(&m2[2], "REGION"), Some(strs(&["APAC", "US"])));
    assert!(m2[2]
        .diagnostics
        .iter()
        .any(|d| d.code == codes::USER_GROUP_COLLISION));
    assert!(m2[2].rules.contains(&"I6"));
}

#[test]
fn command_line_user() {
    let args = qsa::cli::UserArgs {
        user: Some("auth0|x".into()),
        email: Some("x@example.org".into()),
        idp_groups: vec!["A".into()],
        custom_groups: vec!["B".into()],
    };
    let u = args.to_user().expect("user");
    assert_eq!(
        groups_of(&u),
        vec![("A".into(), Provider::Idp), ("B".into(), Provider::Custom)]
    );
    assert_eq!(u.email.as_deref(), Some("x@example.org"));
}
