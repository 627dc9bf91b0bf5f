//! `Prepared::applied_profiles` and `Prepared::group_grants` (what the HTML report shows behind each user
//! and group) agree with the per-user detail of `Prepared::evaluate`.

use crate::common::*;
use qsa::access::directory::{Status, User};
use qsa::access::Target;
use qsa::reduce::prepare;
use qsa::script::RunResult;

fn sales() -> qsa::model::Table {
    table(
        "Sales",
        "ID,REGION,MARGIN",
        &["1,EU,5", "2,US,6", "3,APAC,7", "4,EU,8"],
    )
}

/// Per user: the applied security rows as (table, row).
type Rows = Vec<Vec<(String, usize)>>;

/// Per user: the applied rows as (table, row) from `applied_profiles`, and from `evaluate(detail)`.
fn both(r: &RunResult, users: &[User]) -> (Rows, Rows) {
    let p = prepare(r, Target::Cloud).unwrap_or_else(|d| panic!("refused: {d:#?}"));
    let detail = p.evaluate(users, true);
    let ap = p.applied_profiles(users);
    assert_eq!(ap.of_user.len(), users.len());
    let tables = &r.security.tables;
    let got = ap
        .of_user
        .iter()
        .map(|k| {
            let Some(k) = k else { return vec![] };
            let mut out = vec![];
            for (t, rows) in tables.iter().zip(&ap.profiles[*k]) {
                let rows: Vec<usize> = match rows {
                    None => (0..t.row_count()).collect(),
                    Some(rs) => rs.iter().map(|&r| r as usize).collect(),
                };
                for row in rows {
                    // The cells are the ones the detail shows.
                    let a = p.security_row(
                        tables.iter().position(|x| x.name == t.name).unwrap_or(0),
                        row,
                    );
                    assert_eq!(a.as_ref().map(|a| a.row), Some(row));
                    out.push((t.name.clone(), row));
                }
            }
            out
        })
        .collect();
    let want = detail
        .iter()
        .map(|u| u.applied.iter().map(|a| (a.table.clone(), a.row)).collect())
        .collect();
    (got, want)
}

#[test]
fn applied_profiles_agree_with_the_detail_of_evaluate() {
    let sa = table(
        "SA",
        "ACCESS,USERID,USER.EMAIL,GROUP,REGION",
        &[
            "ADMIN,ADMIN1,*,*,",
            "USER,*,ADA@X.ORG,*,EU",
            "USER,*,*,FINANCE,*",
            "USER,*,*,CG-APAC,APAC",
            "USER,U9,*,FINANCE,US",
        ],
    );
    let r = run_vars(vec![sales()], vec![sa], &[("QlikCloudGroupMode", "2")]);
    let mut disabled = user_with("U9", None, &["Finance"], &[]);
    disabled.status = Status::Disabled;
    let users = vec![
        user("ADMIN1"),
        user_with("a", Some("ada@x.org"), &[], &[]),
        user_with("b", None, &["Finance"], &[]),
        user_with("c", None, &["finance"], &["CG-APAC"]),
        user_with("U9", None, &["Finance"], &[]),
        user_with("d", None, &["Finance"], &[]),
        user("nobody"),
        disabled,
    ];
    let (got, want) = both(&r, &users);
    assert_eq!(got, want);
    // Spot checks: the admin row; FINANCE for b and d (shared); FINANCE + U9's own row; none for the
    // unlisted and the disabled user.
    assert_eq!(got[0], [("SA".to_string(), 0)]);
    assert_eq!(got[2], [("SA".to_string(), 2)]);
    assert_eq!(got[2], got[5]);
    assert_eq!(got[3], [("SA".to_string(), 2), ("SA".to_string(), 3)]);
    assert_eq!(got[4], [("SA".to_string(), 2), ("SA".to_string(), 4)]);
    assert!(got[6].is_empty() && got[7].is_empty());
    // Users with the same rows share one profile.
    let p = prepare(&r, Target::Cloud).unwrap_or_else(|d| panic!("refused: {d:#?}"));
    let ap = p.applied_profiles(&users);
    assert_eq!(ap.of_user[2], ap.of_user[5]);
    assert_eq!(ap.of_user[7], None);
}

#[test]
fn applied_profiles_follow_links_between_security_tables() {
    // A3: the OMIT table is reached through USERID.
    let sa = table(
        "SA",
        "ACCESS,USERID,REGION",
        &["USER,U1,EU", "USER,U2,US", "ADMIN,U3,*"],
    );
    let om = table("OMITS", "USERID,OMIT", &["U1,MARGIN", "U3,MARGIN"]);
    let r = run(vec![sales()], vec![sa, om]);
    let users = [user("U1"), user("U2"), user("U3"), user("U4")];
    let (got, want) = both(&r, &users);
    assert_eq!(got, want);
    assert_eq!(got[0], [("SA".to_string(), 0), ("OMITS".to_string(), 0)]);
    assert_eq!(got[1], [("SA".to_string(), 1)]);
}

#[test]
fn group_grants_name_each_group_value_and_what_its_rows_grant() {
    let sa = table(
        "SA",
        "ACCESS,USERID,GROUP,REGION,OMIT",
        &[
            "USER,*,FINANCE,EU,",
            "USER,*,FINANCE,US,MARGIN",
            "ADMIN,*,ADMINS,*,",
            "USER,*,*,APAC,",
            "USER,*,Mixed,APAC,",
            "USER,*, ,APAC,",
        ],
    );
    let r = run(vec![sales()], vec![sa]);
    let p = prepare(&r, Target::Cloud).unwrap_or_else(|d| panic!("refused: {d:#?}"));
    let gs = p.group_grants();
    let values: Vec<&str> = gs.iter().map(|g| g.value.as_str()).collect();
    // Sorted; `*` and blank cells name no group; a value as stored (it matches nobody: I3).
    assert_eq!(values, ["ADMINS", "FINANCE", "Mixed"]);
    let fin = &gs[1];
    assert_eq!(fin.rows, [Some(vec![0, 1])]);
    assert!(fin.grant.user && !fin.grant.admin);
    assert_eq!(
        fin.grant
            .allowed
            .get("REGION")
            .map(|s| s.iter().cloned().collect::<Vec<_>>()),
        Some(strs(&["EU", "US"]))
    );
    assert_eq!(
        fin.grant.omit.iter().cloned().collect::<Vec<_>>(),
        strs(&["MARGIN"])
    );
    let admins = &gs[0];
    assert_eq!(admins.rows, [Some(vec![2])]);
    assert!(admins.grant.admin);
    // R1: `*` stands for every value listed in the column.
    assert_eq!(admins.grant.allowed.get("REGION").map(|s| s.len()), Some(3));
    // No GROUP field: no group grants.
    let sa = table("SA", "ACCESS,USERID,REGION", &["USER,U1,EU"]);
    let r = run(vec![sales()], vec![sa]);
    let p = prepare(&r, Target::Cloud).unwrap_or_else(|d| panic!("refused: {d:#?}"));
    assert!(p.group_grants().is_empty());
}
