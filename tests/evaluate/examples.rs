//! section-access.md §8: each worked example is a test.

use crate::common::*;
use qsa::access::Target;
use qsa::reduce::Access;

/// §8.1 (O1): `*` in OMIT stands for the listed OMIT values only.
#[test]
fn ex1_omit_star_is_the_listed_values() {
    let app = table("T", "SALES,WAREHOUSE,EMPLOYEES,ORDERS", &["1,2,3,4"]);
    let sa = table(
        "SA",
        "ACCESS,USERID,OMIT",
        &[
            "ADMIN,ADMIN,",
            "USER,USER1,SALES",
            "USER,USER2,WAREHOUSE",
            "USER,USER3,EMPLOYEES",
            "USER,USER4,SALES",
            "USER,USER4,WAREHOUSE",
            "USER,USER5,*",
        ],
    );
    let r = run(vec![app], vec![sa]);
    let us = eval(
        &r,
        Target::Cloud,
        &["ADMIN", "USER1", "USER4", "USER5"].map(user),
    );
    assert_eq!(us[0].access, Access::Admin);
    assert!(us[0].omitted_fields.is_empty());
    assert_eq!(us[1].omitted_fields, strs(&["SALES"]));
    assert_eq!(us[2].omitted_fields, strs(&["SALES", "WAREHOUSE"]));
    assert_eq!(
        us[3].omitted_fields,
        strs(&["EMPLOYEES", "SALES", "WAREHOUSE"])
    );
    assert!(!us[3].omitted_fields.contains(&"ORDERS".to_string()));
}

/// §8.2 (R2, L3): strict exclusion for USER and ADMIN.
#[test]
fn ex2_strict_exclusion() {
    let app = table("T", "F,N", &["A,1", "B,2"]);
    let sa = table(
        "SA",
        "ACCESS,USERID,F",
        &[
            "ADMIN,ANNA,A",
            "ADMIN,ANNA,B",
            "USER,MARY,A",
            "USER,ERICA,C",
            "ADMIN,BOSS,C",
        ],
    );
    let r = run(vec![app], vec![sa]);
    let us = eval(
        &r,
        Target::Cloud,
        &["ANNA", "MARY", "ERICA", "BOSS"].map(user),
    );
    assert_eq!((us[0].access, rows(&us[0], "T")), (Access::Admin, 2));
    assert_eq!(sel(&us[0], "F"), Some(strs(&["A", "B"])));
    assert_eq!((us[1].access, rows(&us[1], "T")), (Access::User, 1));
    assert_eq!(sel(&us[1], "F"), Some(strs(&["A"])));
    assert_eq!(us[2].access, Access::Denied);
    assert!(us[2]
        .denied_reason
        .as_deref()
        .unwrap_or("")
        .contains("strict exclusion"));
    assert_eq!((us[3].access, rows(&us[3], "T")), (Access::Admin, 2));
    assert_eq!(sel(&us[3], "F"), None);
}

/// §8.3 (R1, L3): `*` in a reduction field = the listed values; a blank ADMIN sees everything.
#[test]
fn ex3_star_is_listed_values_blank_admin_sees_all() {
    let letters: Vec<String> = (b'A'..=b'Z').map(|c| format!("{}", c as char)).collect();
    let rows_: Vec<&str> = letters.iter().map(String::as_str).collect();
    let app = table("Characters", "ALPHA", &rows_);
    let sa = table(
        "SA",
        "ACCESS,USERID,ALPHA",
        &[
            "USER,DOMAIN\\USER1,C",
            "USER,DOMAIN\\USER1,D",
            "USER,DOMAIN\\USER2,E",
            "ADMIN,DOMAIN\\VEGAR,*",
            "USER,DOMAIN\\STAR,*",
            "ADMIN,DOMAIN\\BLANK,",
        ],
    );
    let r = run(vec![app], vec![sa]);
    let us = eval(
        &r,
        Target::ClientManaged,
        &[
            "DOMAIN\\VEGAR",
            "DOMAIN\\STAR",
            "DOMAIN\\BLANK",
            "DOMAIN\\USER1",
        ]
        .map(user),
    );
    assert_eq!(sel(&us[0], "ALPHA"), Some(strs(&["C", "D", "E"])));
    assert_eq!(us[0].access, Access::Admin);
    assert_eq!(sel(&us[1], "ALPHA"), Some(strs(&["C", "D", "E"])));
    assert_eq!(us[1].access, Access::User);
    assert_eq!(sel(&us[2], "ALPHA"), None);
    assert_eq!(rows(&us[2], "Characters"), 26);
    assert_eq!(sel(&us[3], "ALPHA"), Some(strs(&["C", "D"])));
}

/// §8.4 (R3): two rows with two reduction fields grant the cross product.
#[test]
fn ex4_cross_product() {
    let app = table(
        "Sales",
        "COUNTRY,PRODUCTGROUP,AMOUNT",
        &[
            "GERMANY,MACHINES,1",
            "GERMANY,FOOD,2",
            "FRANCE,MACHINES,3",
            "FRANCE,FOOD,4",
            "SPAIN,FOOD,5",
        ],
    );
    let sa = table(
        "SA",
        "ACCESS,USERID,COUNTRY,PRODUCTGROUP",
        &["USER,MARKUS,GERMANY,MACHINES", "USER,MARKUS,FRANCE,FOOD"],
    );
    let r = run(vec![app], vec![sa]);
    let u = cloud(&r, user("MARKUS"));
    assert_eq!(
        rows(&u, "Sales"),
        4,
        "all four combinations, not the two listed"
    );
    assert!(codes(&r, Target::Cloud).contains(&qsa::diag::codes::SA_CROSS_PRODUCT));
}

/// §8.5 (I1, I5): one table serving two identity styles.
#[test]
fn ex5_one_table_two_identity_styles() {
    let app = table("Sales", "COUNTRY,AMOUNT", &["US,1", "DE,2"]);
    let sa = table(
        "SA",
        "ACCESS,USERID,USER.EMAIL,COUNTRY",
        &[
            "USER,CORP\\JOE,*,US",
            "USER,*,JOE@EXAMPLE.COM,US",
            "ADMIN,INTERNAL\\SA_SCHEDULER,*,",
        ],
    );
    let r = run(vec![app], vec![sa]);
    // Cloud: Joe's subject is an IdP subject; he matches by e-mail.
    let joe = user_with("auth0|joe", Some("joe@example.com"), &[], &[]);
    let u = cloud(&r, joe);
    assert_eq!(
        (u.access, sel(&u, "COUNTRY")),
        (Access::User, Some(strs(&["US"])))
    );
    // Client-managed: Joe matches by USERID (compared upper-cased); e-mail is no identity there.
    let u = eval1(&r, Target::ClientManaged, user("corp\\joe"));
    assert_eq!(
        (u.access, sel(&u, "COUNTRY")),
        (Access::User, Some(strs(&["US"])))
    );
    let other = user_with("CORP\\ANN", Some("joe@example.com"), &[], &[]);
    assert_eq!(
        eval1(&r, Target::ClientManaged, other).access,
        Access::Denied
    );
}
