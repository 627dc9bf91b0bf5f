//! The demo app (`fixtures/demo/`, described in its README) through the real binary: `check` finds
//! exactly the deliberate mistakes, and `report` gives the users the results worked out here by hand,
//! rule by rule (`../shared/spec/section-access.md`).
//!
//! The row counts come from the generated data. They were counted outside qsa (a script over the
//! committed files) and are checked again here by `hand_counts_agree_with_a_plain_count_of_the_files`,
//! which reads the QVD files with the other QVD crate (`qvd`, not the reader qsa uses) and counts with
//! plain loops. The facts the counts rest on:
//! - 48 customers: 25 in EMEA, 15 in AMERICAS, 8 in APAC (`countries.csv` maps each country code to
//!   its region; no customer is in LATAM).
//! - 320 orders (all placed by listed customers, each with 1 to 4 lines), 831 order lines, 16
//!   products (6 COFFEE, 4 TEA, 3 EQUIPMENT, 3 SUPPLIES), orders on 228 distinct days; the calendar
//!   runs from the first to the last order date: 721 days.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/demo_app.rs"]
mod demo_app;
#[path = "demo/generate.rs"]
mod generate;
#[path = "common/scratch.rs"]
mod scratch;

use binary::{qsa, qsa_env, rows, user};
use demo_app::{demo_dir, plain_kept, ALL_CATEGORIES, ALL_REGIONS, GROUPS, LIB, SCRIPT, USERS};
use scratch::Scratch;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::path::PathBuf;

/// Line of the `SecurityMatrix:` label, where the load of `section_access.csv` starts.
const SECURITY_LOAD_LINE: u64 = 74;

// Okta subjects of the users asserted below (the USERID they log in with, I5).
const PRIYA: &str = "00uZy9RG6jICfdpNEMOV"; // app owner, BI Developers
const TOMASZ: &str = "00uzRjevmg3yD4MHeaFN"; // BI Platform Admins
const KWAME: &str = "00u20lvxEdaZdLq1OXHO"; // BI Platform Admins + Finance
const SOPHIE: &str = "00uknHUq499G7vHaRx9f"; // Sales EMEA
const LARS: &str = "00uIWOszgOqV0iO9lwkM"; // Sales EMEA + Sales Nordics
const LENA: &str = "00uYdHactdjulXmZogAy"; // Sales EMEA + CG-Tea-Category
const INGRID: &str = "00upXDSWJdc7ZJgWTkQg"; // Sales Nordics only
const LUCIA: &str = "00uLXNyVo6vwakrdR34S"; // LATAM Sales
const MARTIN: &str = "00u4pUQpCho6FPDRn9sT"; // Supply Chain + CG-Finance-Controlling
const DANIEL: &str = "00uakhmLsaVhyBPJU57b"; // Finance, status disabled
const ELENA: &str = "00u2HROYA3bA0V7bAq1c"; // CG-Coffee-Category (custom)
const OMAR: &str = "00uKvlmNDtkLK25UI1Dt"; // Field Service
const ZOE: &str = "00uyRDGzVNuNjeYi33eQ"; // CG-Marketing-Agency (external)
const KATRIN: &str = "00u3lNOmCnyYYRJCa5jQ"; // Supply Chain + CG-EMEA-Data-Stewards
const OLIVER: &str = "00u0CgSNldMUuHWt822z"; // Supply Chain; granted by USERID
const TOM: &str = "00u4Vk45vEL5ToOUQJuq"; // All Employees only
const BEN: &str = "00un2yIJNXhvqxfLtgfd"; // invited

fn report_args(format: &str) -> Vec<&str> {
    vec![
        "report",
        SCRIPT,
        "--lib",
        LIB,
        "--directory",
        USERS,
        "--groups",
        GROUPS,
        "--format",
        format,
    ]
}

fn report_text() -> String {
    let (code, stdout, stderr) = qsa(&report_args("json"));
    assert_eq!(code, 0, "stderr: {stderr}\nstdout: {stdout}");
    stdout
}

fn report_json() -> Value {
    serde_json::from_str(&report_text()).expect("report --format json prints JSON")
}

/// (code, line) of every diagnostic, in output order.
fn codes_and_lines(diagnostics: &Value) -> Vec<(String, Option<u64>)> {
    diagnostics
        .as_array()
        .expect("a diagnostics array")
        .iter()
        .map(|d| {
            (
                d["code"].as_str().unwrap_or("").to_string(),
                d["line"].as_u64(),
            )
        })
        .collect()
}

// ------------------------------------------------------------------------------------ the data files

/// The committed QVD, CSV and JSON files are exactly what `tests/demo/generate.rs` writes. With
/// `QSA_REGENERATE_DEMO=1` this test writes them instead.
#[test]
fn demo_files_are_what_the_generator_writes() {
    let dir = demo_dir();
    let regenerate = std::env::var_os("QSA_REGENERATE_DEMO").is_some();
    let mut total = 0;
    for (path, bytes) in generate::files() {
        let p = dir.join(path);
        if regenerate {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, &bytes).unwrap();
        }
        let committed = std::fs::read(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
        assert!(
            committed == bytes,
            "{path} differs from the generator's output (QSA_REGENERATE_DEMO=1 cargo test --test demo demo_files)"
        );
        total += bytes.len();
    }
    assert!(total < 200_000, "generated demo files are {total} bytes");
}

/// The users export has the shape `qlik user ls --json` prints: a bare array of user objects with
/// `assignedGroups` (id, name, providerType); 50 users.
#[test]
fn users_export_is_a_qlik_user_ls_array_of_50() {
    let text = std::fs::read_to_string(demo_dir().join("users.json")).unwrap();
    let users: Vec<Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(users.len(), 50);
    for u in &users {
        for key in ["id", "tenantId", "subject", "name", "email", "status"] {
            assert!(u[key].is_string(), "{key} in {u}");
        }
        for g in u["assignedGroups"].as_array().unwrap() {
            assert!(g["id"].is_string() && g["name"].is_string(), "{g}");
            assert!(
                g["providerType"] == "idp" || g["providerType"] == "custom",
                "{g}"
            );
        }
    }
    let groups: Vec<Value> =
        serde_json::from_str(&std::fs::read_to_string(demo_dir().join("groups.json")).unwrap())
            .unwrap();
    let custom: BTreeSet<&str> = groups
        .iter()
        .filter(|g| g["providerType"] == "custom")
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert!(custom.contains("CG-Finance-Controlling"));
}

/// Orders and order lines kept for a selection of regions and categories (`None`: not reduced),
/// counted with plain loops over the files (`tests/common/demo_app.rs`).
fn plain_count(regions: Option<&[&str]>, categories: Option<&[&str]>) -> (usize, usize) {
    let k = plain_kept(regions, categories);
    (k.orders, k.lines)
}

#[test]
fn hand_counts_agree_with_a_plain_count_of_the_files() {
    assert_eq!(plain_count(None, None), (320, 831));
    assert_eq!(plain_count(Some(&["EMEA"]), None), (162, 430));
    assert_eq!(
        plain_count(Some(&["EMEA"]), Some(&ALL_CATEGORIES)),
        (162, 430)
    );
    assert_eq!(plain_count(Some(&["AMERICAS"]), None), (96, 250));
    assert_eq!(plain_count(Some(&["APAC"]), None), (62, 151));
    assert_eq!(
        plain_count(Some(&ALL_REGIONS), Some(&["COFFEE"])),
        (231, 327)
    );
    assert_eq!(
        plain_count(Some(&ALL_REGIONS), Some(&["EQUIPMENT", "SUPPLIES"])),
        (223, 315)
    );
    assert_eq!(plain_count(Some(&["APAC"]), Some(&["EQUIPMENT"])), (17, 19));
    // Customers, calendar days and regions (the days with a kept order).
    let kept = |r: Option<&[&str]>, c: Option<&[&str]>| {
        let k = plain_kept(r, c);
        (k.customers, k.days, k.regions)
    };
    assert_eq!(kept(None, None), (48, 228, 3));
    assert_eq!(kept(Some(&["EMEA"]), None), (25, 138, 1));
    assert_eq!(kept(Some(&["AMERICAS"]), None), (15, 85, 1));
    assert_eq!(kept(Some(&["APAC"]), Some(&ALL_CATEGORIES)), (8, 61, 1));
    assert_eq!(kept(Some(&ALL_REGIONS), Some(&["COFFEE"])), (47, 184, 3));
    assert_eq!(kept(Some(&ALL_REGIONS), Some(&["TEA"])), (48, 132, 3));
    assert_eq!(kept(Some(&["APAC"]), Some(&["EQUIPMENT"])), (8, 17, 1));
}

// ------------------------------------------------------------------------------------ check

/// `qsa check` finds the two deliberate mistakes it can see without a directory, both at the load of
/// `section_access.csv` (line 74), and nothing else. They are warnings: exit 0, and 1 with
/// `--deny warnings`.
#[test]
fn check_finds_exactly_the_deliberate_mistakes() {
    let (code, stdout, stderr) = qsa(&["check", SCRIPT, "--lib", LIB, "--format", "json"]);
    assert_eq!(code, 0, "stderr: {stderr}\nstdout: {stdout}");
    let out: Value = serde_json::from_str(&stdout).unwrap();
    let diags = &out["diagnostics"];
    assert_eq!(
        codes_and_lines(diags),
        [
            // Mistake 1 (S4, I3): `Sales Nordics` in record 4 of the file is not upper-cased.
            ("QSA111".to_string(), Some(SECURITY_LOAD_LINE)),
            // Mistake 2 (R2): REGION `LATAM` is not in the data.
            ("QSA208".to_string(), Some(SECURITY_LOAD_LINE)),
        ]
    );
    for d in diags.as_array().unwrap() {
        assert_eq!(d["severity"], "warning");
        assert_eq!(d["file"], SCRIPT);
    }
    let m1 = diags[0]["message"].as_str().unwrap();
    assert!(
        m1.contains("`Sales Nordics`") && m1.contains("section_access.csv, record 4"),
        "{m1}"
    );
    let m2 = diags[1]["message"].as_str().unwrap();
    assert!(m2.contains("`REGION`") && m2.contains("`LATAM`"), "{m2}");

    let (code, _, _) = qsa(&["check", SCRIPT, "--lib", LIB, "--deny", "warnings"]);
    assert_eq!(code, 1);
}

/// Without `--lib` the data files cannot be found: qsa refuses (exit 2) instead of guessing.
#[test]
fn report_without_the_lib_mapping_refuses() {
    let (code, stdout, stderr) = qsa(&["report", SCRIPT, "--directory", USERS]);
    assert_eq!(code, 2, "stdout: {stdout}");
    assert!(stderr.contains("lib://DataFiles"), "{stderr}");
}

// ------------------------------------------------------------------------------------ report

/// `qsa report` adds the third mistake, which needs the users: no directory user holds a group named
/// `FINANCE CONTROLLING` (the custom group is `CG-Finance-Controlling`). Header: cloud, mode 2 (S7).
#[test]
fn report_finds_the_third_mistake_and_evaluates_50_users() {
    let r = report_json();
    assert_eq!(r["schema"], "qsa.report/1");
    assert_eq!(r["target"], "cloud");
    assert_eq!(r["group_mode"], 2);
    let users = r["users"].as_array().unwrap();
    assert_eq!(users.len(), 50);
    let ids: Vec<&str> = users.iter().map(|u| u["id"].as_str().unwrap()).collect();
    let mut sorted = ids.clone();
    sorted.sort_unstable();
    assert_eq!(ids, sorted, "users are sorted by id");
    assert_eq!(
        codes_and_lines(&r["diagnostics"]),
        [
            ("QSA111".to_string(), Some(SECURITY_LOAD_LINE)),
            ("QSA208".to_string(), Some(SECURITY_LOAD_LINE)),
            ("QSA217".to_string(), Some(SECURITY_LOAD_LINE)),
        ]
    );
    let m = r["diagnostics"][2]["message"].as_str().unwrap();
    assert!(m.contains("`FINANCE CONTROLLING`"), "{m}");
    let count = |access: &str| users.iter().filter(|u| u["access"] == access).count();
    assert_eq!(
        (count("ADMIN"), count("USER"), count("DENIED")),
        (6, 30, 14)
    );
}

#[test]
fn admins_by_subject_and_by_group_are_not_reduced() {
    let r = report_json();
    // Priya: INLINE row `ADMIN, 00uZy9RG6jICfdpNEMOV, *, , ,`. The INLINE load upper-cases the cell
    // (S4) and her subject is compared upper-cased (I3, I5). Blank REGION and CATEGORY give no value;
    // for an ADMIN an empty selection leaves the field unreduced (R2): every row of every table.
    // Only R2 is [dec] here: she matches by USERID, so the group mode plays no part.
    let priya = user(&r, PRIYA);
    assert_eq!(priya["access"], "ADMIN");
    assert_eq!(
        priya["reduction"],
        json!({"CATEGORY": null, "REGION": null})
    );
    assert_eq!(rows(priya, "Orders"), (320, 320));
    assert_eq!(rows(priya, "OrderLines"), (831, 831));
    assert_eq!(rows(priya, "Calendar"), (721, 721));
    assert_eq!(priya["rules"], json!(["R2"]));

    // Tomasz: IdP group `BI Platform Admins` matches the INLINE row's upper-cased GROUP (I6, mode 2).
    let tomasz = user(&r, TOMASZ);
    assert_eq!(tomasz["access"], "ADMIN");
    assert_eq!(
        tomasz["reduction"],
        json!({"CATEGORY": null, "REGION": null})
    );
    assert_eq!(rows(tomasz, "Orders"), (320, 320));
    assert_eq!(rows(tomasz, "Calendar"), (721, 721));
    assert_eq!(tomasz["rules"], json!(["R2", "S7"]));
}

#[test]
fn an_admin_who_is_also_in_finance_is_reduced_to_the_listed_values() {
    // Kwame holds `BI Platform Admins` (ADMIN, blank, blank) and `Finance` (USER, *, *): ADMIN wins
    // (L2). The `*` of the Finance row stands for the values listed in the column (R1): REGION
    // EMEA, AMERICAS, APAC, LATAM, of which the data has the first three (R2); CATEGORY all four. So
    // he sees every order and line, but the calendar only on the 228 days with an order (R4: the
    // selection removes the days no kept order links to), not the 721 an unreduced admin sees.
    let r = report_json();
    let kwame = user(&r, KWAME);
    assert_eq!(kwame["access"], "ADMIN");
    assert_eq!(kwame["reduction"]["REGION"], json!(ALL_REGIONS));
    assert_eq!(kwame["reduction"]["CATEGORY"], json!(ALL_CATEGORIES));
    assert_eq!(rows(kwame, "Orders"), (320, 320));
    assert_eq!(rows(kwame, "OrderLines"), (831, 831));
    assert_eq!(rows(kwame, "Calendar"), (228, 721));
    assert_eq!(kwame["rules"], json!(["L2", "R4", "S7"]));
}

#[test]
fn regional_sales_see_their_region() {
    let r = report_json();
    // Sophie: `Sales EMEA` → file row `USER,*,SALES EMEA,EMEA,*,` (I6 upper-cased). CATEGORY `*` =
    // the four listed categories (R1). EMEA customers: 25; their orders 162, with 430 lines (R4).
    let sophie = user(&r, SOPHIE);
    assert_eq!(sophie["access"], "USER");
    assert_eq!(sophie["reduction"]["REGION"], json!(["EMEA"]));
    assert_eq!(sophie["reduction"]["CATEGORY"], json!(ALL_CATEGORIES));
    assert_eq!(rows(sophie, "Customers"), (25, 48));
    assert_eq!(rows(sophie, "Orders"), (162, 320));
    assert_eq!(rows(sophie, "OrderLines"), (430, 831));
    assert_eq!(rows(sophie, "Regions"), (1, 3));
    assert_eq!(rows(sophie, "MeasureSelector"), (4, 4)); // data island: never reduced (R4)
    assert_eq!(sophie["omitted_fields"], json!([]));

    // Lars also holds `Sales Nordics`, whose row never applies (mistake 1): exactly Sophie's result.
    let lars = user(&r, LARS);
    for key in ["access", "reduction", "omitted_fields", "tables", "rules"] {
        assert_eq!(lars[key], sophie[key], "{key}");
    }
}

#[test]
fn the_deliberate_mistakes_deny_their_users() {
    let r = report_json();
    // Mistake 1: Ingrid's only listed-looking group is `Sales Nordics`; the file cell `Sales Nordics`
    // is not upper-cased (S4) while her group is compared as `SALES NORDICS` (I3): no row applies (L1).
    let ingrid = user(&r, INGRID);
    assert_eq!(ingrid["access"], "DENIED");
    assert_eq!(
        ingrid["denied_reason"],
        "not listed: no Section Access row applies to this user"
    );
    // Mistake 2: Lucía's row grants REGION LATAM, which no customer has: strict exclusion denies a
    // USER whose selection in a field is empty (R2).
    let lucia = user(&r, LUCIA);
    assert_eq!(lucia["access"], "DENIED");
    assert_eq!(
        lucia["denied_reason"],
        "strict exclusion: none of the values allowed in `REGION` exists in the data"
    );
    assert_eq!(rows(lucia, "Orders"), (0, 320));
    assert_eq!(lucia["rules"], json!(["R2", "S7"]));
    // Mistake 3: Martin holds `CG-Finance-Controlling`; the row says `FINANCE CONTROLLING` (L1).
    let martin = user(&r, MARTIN);
    assert_eq!(martin["access"], "DENIED");
    assert_eq!(
        martin["denied_reason"],
        "not listed: no Section Access row applies to this user"
    );
}

#[test]
fn custom_groups_count_under_mode_2() {
    let r = report_json();
    // Elena holds only the custom group `CG-Coffee-Category` (and the unlisted `All Employees`); mode 2
    // compares custom groups too (I6). Row `USER,*,CG-COFFEE-CATEGORY,*,COFFEE,`: REGION `*` = the
    // three regions in the data (R1, R2); CATEGORY COFFEE: 6 products, 327 lines, 231 orders (R4);
    // one customer never bought coffee: 47 of 48.
    let elena = user(&r, ELENA);
    assert_eq!(elena["access"], "USER");
    assert_eq!(elena["reduction"]["REGION"], json!(ALL_REGIONS));
    assert_eq!(elena["reduction"]["CATEGORY"], json!(["COFFEE"]));
    assert_eq!(rows(elena, "Products"), (6, 16));
    assert_eq!(rows(elena, "OrderLines"), (327, 831));
    assert_eq!(rows(elena, "Orders"), (231, 320));
    assert_eq!(rows(elena, "Customers"), (47, 48));

    // Omar (`Field Service`) has two rows, EQUIPMENT and SUPPLIES: OR within the field (R3).
    let omar = user(&r, OMAR);
    assert_eq!(
        omar["reduction"]["CATEGORY"],
        json!(["EQUIPMENT", "SUPPLIES"])
    );
    assert_eq!(rows(omar, "Products"), (6, 16));
    assert_eq!(rows(omar, "OrderLines"), (315, 831));
    assert_eq!(rows(omar, "Orders"), (223, 320));
}

#[test]
fn the_agency_loses_margin_and_the_data_stewards_are_admins_of_emea() {
    let r = report_json();
    // Zoe (external, custom group `CG-Marketing-Agency`): row `…,EMEA,*,MARGIN`: EMEA like Sophie,
    // and the field MARGIN is omitted (O1).
    let zoe = user(&r, ZOE);
    assert_eq!(zoe["access"], "USER");
    assert_eq!(zoe["reduction"]["REGION"], json!(["EMEA"]));
    assert_eq!(zoe["omitted_fields"], json!(["MARGIN"]));
    assert_eq!(rows(zoe, "Orders"), (162, 320));
    assert_eq!(rows(zoe, "OrderLines"), (430, 831));

    // Katrin (`CG-EMEA-Data-Stewards`): INLINE row `ADMIN, *, CG-EMEA-Data-Stewards, EMEA, ,`. ADMIN
    // is not a bypass (L3): REGION EMEA. The blank CATEGORY leaves that field unreduced for an ADMIN
    // (R2, judged per field [dec]): the same rows as Sophie, but `CATEGORY` is not reduced.
    let katrin = user(&r, KATRIN);
    assert_eq!(katrin["access"], "ADMIN");
    assert_eq!(
        katrin["reduction"],
        json!({"CATEGORY": null, "REGION": ["EMEA"]})
    );
    assert_eq!(rows(katrin, "Orders"), (162, 320));
    assert_eq!(rows(katrin, "OrderLines"), (430, 831));
    assert_eq!(rows(katrin, "Products"), (16, 16));
    assert_eq!(katrin["rules"], json!(["R2", "R4", "S7"]));
}

#[test]
fn a_personal_grant_by_subject_and_a_cross_product() {
    let r = report_json();
    // Oliver: file row `USER,00U0CGSNLDMUUHWT822Z,*,APAC,EQUIPMENT,`: the file holds his subject
    // upper-cased, as it must (S4, I3). APAC and EQUIPMENT together: 19 lines, on 17 orders, of the
    // 8 APAC customers (R3, R4).
    let oliver = user(&r, OLIVER);
    assert_eq!(oliver["access"], "USER");
    assert_eq!(
        oliver["reduction"],
        json!({"CATEGORY": ["EQUIPMENT"], "REGION": ["APAC"]})
    );
    assert_eq!(rows(oliver, "OrderLines"), (19, 831));
    assert_eq!(rows(oliver, "Orders"), (17, 320));
    assert_eq!(rows(oliver, "Customers"), (8, 48));
    assert_eq!(rows(oliver, "Products"), (3, 16));
    // His result does not depend on the group mode (matched by USERID).
    assert_eq!(oliver["rules"], json!(["R4"]));

    // Lena: `Sales EMEA` (EMEA, *) and `CG-Tea-Category` (*, TEA). Selections are per field (R3):
    // REGION = EMEA ∪ every listed region, CATEGORY = every listed category ∪ TEA. She sees all the
    // data, not "EMEA, or tea elsewhere".
    let lena = user(&r, LENA);
    assert_eq!(lena["access"], "USER");
    assert_eq!(lena["reduction"]["REGION"], json!(ALL_REGIONS));
    assert_eq!(lena["reduction"]["CATEGORY"], json!(ALL_CATEGORIES));
    assert_eq!(rows(lena, "Orders"), (320, 320));
    assert_eq!(rows(lena, "OrderLines"), (831, 831));
}

#[test]
fn status_and_unlisted_users_are_denied() {
    let r = report_json();
    // Daniel is in Finance but `disabled`, Ben only `invited`: neither can open an app.
    for id in [DANIEL, BEN] {
        let u = user(&r, id);
        assert_eq!(u["access"], "DENIED", "{id}");
        assert_eq!(u["denied_reason"], "status", "{id}");
        assert_eq!(rows(u, "Orders"), (0, 320), "{id}");
    }
    // Tom holds only `All Employees`, which no row names (L1).
    let tom = user(&r, TOM);
    assert_eq!(tom["access"], "DENIED");
    assert_eq!(
        tom["denied_reason"],
        "not listed: no Section Access row applies to this user"
    );
}

/// The whole JSON report, reviewed line by line (see fixtures/demo/README.md for who is who).
#[test]
fn report_json_snapshot() {
    insta::assert_snapshot!("demo_report_json", report_text());
}

/// Byte-identical output whatever the number of threads.
#[test]
fn report_is_the_same_on_one_thread() {
    let many = report_text();
    let (code, one, _) = qsa_env(&report_args("json"), &[("RAYON_NUM_THREADS", "1")]);
    assert_eq!(code, 0);
    assert_eq!(one, many);
}

// ------------------------------------------------------------------------------------ README

/// A `console` block of README.md: the command (continuation lines joined), the output shown, and the
/// exit code shown by a closing `$ echo $?`.
struct ConsoleBlock {
    command: String,
    output: String,
    exit: Option<i32>,
}

fn readme_console_blocks() -> Vec<ConsoleBlock> {
    let readme =
        std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md"))
            .unwrap();
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find("```console\n") {
        let body = &rest[start + "```console\n".len()..];
        let end = body.find("\n```\n").expect("a console block ends");
        let mut lines = body[..end].lines();
        let mut command = lines.next().unwrap().trim_start_matches("$ ").to_string();
        while command.ends_with('\\') {
            command.pop();
            command.push_str(lines.next().unwrap().trim_start());
        }
        let mut output: Vec<&str> = lines.collect();
        let exit = match output[..] {
            [.., "$ echo $?", code] => Some(code.parse().expect("an exit code after `echo $?`")),
            _ => None,
        };
        if exit.is_some() {
            output.truncate(output.len() - 2);
        }
        blocks.push(ConsoleBlock {
            command,
            output: output.join("\n") + "\n",
            exit,
        });
        rest = &body[end..];
    }
    blocks
}

/// A line of a README output that stands for lines left out: it starts with `…` (after indentation).
fn is_elision(line: &str) -> bool {
    line.trim_start().starts_with('…')
}

/// Whether `actual` is the output `shown`, where each elision line of `shown` stands for one or more
/// lines of `actual`. Without elisions, the text must be the same to the byte.
fn shows(shown: &str, actual: &str) -> bool {
    fn lines_match(shown: &[&str], actual: &[&str]) -> bool {
        match shown.split_first() {
            None => actual.is_empty(),
            Some((line, rest)) if is_elision(line) => {
                (1..=actual.len()).any(|n| lines_match(rest, &actual[n..]))
            }
            Some((line, rest)) => actual.first() == Some(line) && lines_match(rest, &actual[1..]),
        }
    }
    let shown_lines: Vec<&str> = shown.lines().collect();
    if !shown_lines.iter().any(|l| is_elision(l)) {
        return shown == actual;
    }
    actual.ends_with('\n') && lines_match(&shown_lines, &actual.lines().collect::<Vec<_>>())
}

#[test]
fn elided_outputs_match_only_what_they_show() {
    let actual = "a\nb\nc\nd\n";
    assert!(shows("a\nb\nc\nd\n", actual));
    assert!(shows("a\n… (2 more)\nd\n", actual));
    assert!(shows("a\n  …\n", actual));
    assert!(
        !shows("a\n… (2 more)\nc\nd\n", "a\nc\nd\n"),
        "… stands for at least one line"
    );
    assert!(!shows("a\n…\nx\n", actual));
    assert!(
        !shows("…\nc\n", actual),
        "the lines after the last elision end the output"
    );
    assert!(!shows("a\nb\nc\n", actual));
}

/// Every command the README shows with its output prints exactly that output today (stdout, then
/// stderr unless the command sends it to /dev/null), and exits with the code shown after `echo $?`.
/// Commands piped into other tools are not run. `cat FILE` shows a committed file. A snapshot written
/// with `--out FILE` goes to a scratch folder (FILE in the output stands for it) and must be the
/// committed `fixtures/demo/FILE`.
#[test]
fn readme_outputs_are_what_qsa_prints() {
    let blocks = readme_console_blocks();
    assert!(
        blocks[0]
            .command
            .starts_with("cargo run -- report fixtures/demo/"),
        "the README's first command reports on the demo: {}",
        blocks[0].command
    );
    let scratch = Scratch::new("demo", "readme");
    let mut ran = vec![];
    for ConsoleBlock {
        command,
        output: expected,
        exit,
    } in &blocks
    {
        if command.contains('|') {
            continue;
        }
        if let Some(file) = command.strip_prefix("cat ") {
            let text =
                std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(file))
                    .unwrap_or_else(|e| panic!("{file}: {e}"));
            assert!(
                shows(expected, &text),
                "README shows `{command}` as it is not:\n{text}"
            );
            ran.push("cat".to_string());
            continue;
        }
        let args = command
            .strip_prefix("cargo run -- ")
            .or_else(|| command.strip_prefix("qsa "))
            .unwrap_or_else(|| panic!("a qsa command: {command}"));
        let (args, keep_stderr) = match args.strip_suffix(" 2>/dev/null") {
            Some(a) => (a, false),
            None => (args, true),
        };
        let mut args: Vec<String> = args.split_whitespace().map(String::from).collect();
        // (FILE, the scratch path written instead)
        let mut out = None;
        if let Some(i) = args.iter().position(|a| a == "--out") {
            let file = args[i + 1].clone();
            args[i + 1] = scratch.arg(&file);
            out = Some((file, args[i + 1].clone()));
        }
        let (code, stdout, stderr) = qsa(&args.iter().map(String::as_str).collect::<Vec<_>>());
        let mut actual = if keep_stderr {
            stdout + &stderr
        } else {
            stdout
        };
        if let Some((file, path)) = &out {
            actual = actual.replace(path.as_str(), file);
            let written = std::fs::read_to_string(path).expect("the snapshot is written");
            let committed = std::fs::read_to_string(demo_dir().join(file))
                .unwrap_or_else(|e| panic!("fixtures/demo/{file}: {e}"));
            assert!(
                written == committed,
                "fixtures/demo/{file} is out of date; it is now:\n{written}"
            );
        }
        assert!(
            shows(expected, &actual),
            "README output of `{command}` is out of date; it prints:\n{actual}"
        );
        if let Some(exit) = exit {
            assert_eq!(code, *exit, "exit code of `{command}`");
        }
        ran.push(args[..2].join(" "));
    }
    assert_eq!(
        ran,
        [
            "report fixtures/demo/sales_analytics.qvs",
            "check fixtures/demo/sales_analytics.qvs",
            "model fixtures/demo/sales_analytics.qvs",
            "preview fixtures/demo/sales_analytics.qvs",
            "explain fixtures/tenant/examples/budget/budget.qvs",
            "snapshot fixtures/demo/sales_analytics.qvs",
            "cat",
            "snapshot fixtures/demo/sales_analytics.qvs",
            "snapshot fixtures/demo/edits/fixed.qvs",
            "diff fixtures/demo/sales_analytics.qvs",
            "explain fixtures/demo/sales_analytics.qvs",
        ]
    );
}

/// The workflow shown in the README is `docs/qsa-workflow.yml`, and it has the parts a team needs.
/// (Its YAML was also validated against GitHub's workflow schema with check-jsonschema.)
#[test]
fn readme_shows_the_ci_workflow() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let workflow = std::fs::read_to_string(root.join("docs/qsa-workflow.yml")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(readme.contains(&format!("```yaml\n{workflow}```\n")));
    assert!(!workflow.contains('\t'), "YAML has no tabs");
    for needed in [
        "security-events: write",
        "pull-requests: write",
        "github/codeql-action/upload-sarif@",
        "qsa check \"$SCRIPT\" $QSA_RUN --format sarif",
        "--check \"$SNAPSHOT\"",
        "qsa diff \"../base/$SCRIPT\" \"$SCRIPT\"",
        "--format markdown",
        "marocchino/sticky-pull-request-comment@",
        "cargo install --locked --git",
    ] {
        assert!(workflow.contains(needed), "{needed}");
    }
}
