//! `qsa explain` end to end: the chain of reasons through the real binary, on `fixtures/example/`,
//! `fixtures/sa/` and `fixtures/explain/` (a chain Customers → Orders → OrderLines reduced by REGION, with
//! orphan and NULL keys, a data island, a second security table and users who are denied for each reason).
//! The expected verdicts are worked out by hand in the comments, rule by rule; the property test at the end
//! checks every user × every row of every app table of the fixtures against the engine's kept bitsets and
//! the reference evaluator (`qsa::reduce::reference`).

use qsa::access::directory::User;
use qsa::access::Target;
use qsa::reduce::explain::{explain, Answer, Question};
use qsa::reduce::{prepare, reference, Access};
use qsa::script::{run_file, RunOptions};
use serde_json::Value;
use std::path::Path;

#[path = "common/binary.rs"]
mod binary;

use binary::{qsa, qsa_env};

const EXAMPLE: &[&str] = &[
    "fixtures/example/sales.qvs",
    "--directory",
    "fixtures/example/users.json",
];
const CHAIN: &[&str] = &[
    "fixtures/explain/chain.qvs",
    "--directory",
    "fixtures/explain/users.json",
];

/// `qsa explain <inputs> --user U <question…>` (human); must exit 0.
fn human(inputs: &[&str], user: &str, question: &[&str]) -> String {
    let mut args = vec!["explain"];
    args.extend_from_slice(inputs);
    args.extend(["--user", user]);
    args.extend_from_slice(question);
    let (code, out, err) = qsa(&args);
    assert_eq!(code, 0, "{args:?}\nstderr: {err}\nstdout: {out}");
    out
}

/// The same with `--format json`, parsed.
fn json(inputs: &[&str], user: &str, question: &[&str]) -> Value {
    let mut q = question.to_vec();
    q.extend(["--format", "json"]);
    let out = human(inputs, user, &q);
    let v: Value = serde_json::from_str(&out).expect("explain --format json prints JSON");
    assert_eq!(v["schema"], "qsa.explain/1");
    v
}

fn row(inputs: &[&str], user: &str, table: &str, n: usize) -> Value {
    json(inputs, user, &["--table", table, "--row", &n.to_string()])
}

fn value(inputs: &[&str], user: &str, fv: &str) -> Value {
    json(inputs, user, &["--value", fv])
}

fn failing_checks(why: &Value) -> Vec<&Value> {
    why["checks"]
        .as_array()
        .map(|cs| cs.iter().filter(|c| c["ok"] == false).collect())
        .unwrap_or_default()
}

/// The link of a row on `field`.
fn link<'a>(why: &'a Value, field: &str) -> &'a Value {
    why["links"]
        .as_array()
        .and_then(|ls| ls.iter().find(|l| l["fields"][0] == field))
        .unwrap_or_else(|| panic!("a link on {field} in {why:#}"))
}

/// The (only) neighbour across the link on `field` that blocks the row.
fn blocking<'a>(why: &'a Value, field: &str) -> &'a Value {
    link(why, field)["neighbours"]
        .as_array()
        .and_then(|ns| ns.iter().find(|n| n["blocks"] == true))
        .unwrap_or_else(|| panic!("a blocking neighbour across {field} in {why:#}"))
}

/// The answer of a row dropped through the link on `field`, checking which table and selection blocked it;
/// returns the blocking neighbour.
fn dropped_through<'a>(why: &'a Value, field: &str, table: &str, selection_in: &str) -> &'a Value {
    let n = blocking(why, field);
    assert_eq!(n["table"], table, "{why:#}");
    assert_eq!(n["selection_in"], selection_in, "{why:#}");
    n
}

#[test]
fn kept_row_by_its_own_value() {
    // Ada: `USER, *, ada@example.org, *, EU` applies by e-mail (I1, I5): REGION = {EU} (R1). Sales row 1
    // (order 1001, region `eu`, upper-cased by the script) holds EU: kept. Its ProductId link does not
    // constrain it: Products holds no selection (R4).
    let v = row(EXAMPLE, "ada@example.org", "Sales", 1);
    let a = &v["answer"];
    assert_eq!(a["kind"], "row");
    assert_eq!(a["verdict"], "KEPT");
    assert_eq!(a["at"], "fixtures/example/data/sales.csv record 1");
    let why = &a["why"];
    assert_eq!(why["checks"][0]["field"], "REGION");
    assert_eq!(why["checks"][0]["value"], "EU");
    assert_eq!(why["checks"][0]["ok"], true);
    let products = &link(why, "ProductId")["neighbours"][0];
    assert_eq!(products["table"], "Products");
    assert_eq!(products["constrains"], false);
    // Step 2: the row that applied, located on its INLINE line.
    let applied = &v["security"]["applied"];
    assert_eq!(applied.as_array().map(Vec::len), Some(1));
    assert_eq!(applied[0]["row"], 2);
    assert_eq!(applied[0]["at"], "fixtures/example/sales.qvs:17:1");
    assert_eq!(v["selections"][0]["selection"], serde_json::json!(["EU"]));
}

#[test]
fn row_dropped_by_its_own_value() {
    // Fiona holds IdP group Finance: `USER, *, *, FINANCE, *` applies under mode 2 (I6); `*` stands for
    // the REGION values listed in the column, APAC, EU and US (R1). Regions row 4 is LATAM: dropped by its
    // own value, although Sales (across REGION) does not constrain it (the selection on the link field
    // filters both sides directly).
    let v = row(EXAMPLE, "fiona@example.org", "Regions", 4);
    let a = &v["answer"];
    assert_eq!(a["verdict"], "DROPPED");
    assert_eq!(a["rules"], serde_json::json!(["R1", "R3"]));
    let fails = failing_checks(&a["why"]);
    assert_eq!(fails.len(), 1);
    assert_eq!(fails[0]["value"], "LATAM");
    let star = &v["selections"][0]["from"][0];
    assert_eq!(star["cell"], "*");
    assert_eq!(star["gives"], serde_json::json!(["APAC", "EU", "US"]));
    assert!(a["headline"]
        .as_str()
        .is_some_and(|h| h.starts_with("DROPPED by its own value")));
}

#[test]
fn row_dropped_through_a_link_one_hop() {
    // Ken holds custom group CG-APAC-READERS (mode 2): REGION = {APAC}. Product P1 (Widget) is sold only in
    // EU (order 1001) and US (1003): Sales, which holds the selection on REGION, keeps neither, so Products
    // row 1 has no kept Sales row with ProductId P1 (R4).
    let v = row(EXAMPLE, "ken@example.org", "Products", 1);
    let a = &v["answer"];
    assert_eq!(a["verdict"], "DROPPED");
    let sales = dropped_through(&a["why"], "ProductId", "Sales", "REGION in Sales");
    assert_eq!(
        (&sales["rows_with_value"], &sales["kept_with_value"]),
        (&serde_json::json!(2), &serde_json::json!(0))
    );
    // The neighbour's own reasons: Sales rows 1 and 3, EU and US, not in {APAC}.
    let dropped: Vec<(u64, &str)> = sales["dropped"]
        .as_array()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    (
                        d["row"].as_u64().unwrap_or(0),
                        failing_checks(d)[0]["value"].as_str().unwrap_or(""),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(dropped, vec![(1, "EU"), (3, "US")]);
}

#[test]
fn row_dropped_through_a_link_two_hops() {
    // Alice: `USER, ALICE, *, *, EU` applies (row 5); row 4 names her too but its GROUP cell is blank (I2).
    // OrderLines row 2 belongs to order O2, whose customer C2 is in US: Customers drops C2 by its own value,
    // Orders drops O2 through CustomerId (one hop), OrderLines drops its line through OrderId (two hops).
    let v = row(CHAIN, "alice", "OrderLines", 2);
    let a = &v["answer"];
    assert_eq!(a["verdict"], "DROPPED");
    let orders = dropped_through(&a["why"], "OrderId", "Orders", "REGION in Customers");
    let o2 = &orders["dropped"][0];
    assert_eq!((&o2["table"], &o2["row"]), (&"Orders".into(), &2.into()));
    let customers = dropped_through(o2, "CustomerId", "Customers", "REGION in Customers");
    let c2 = &customers["dropped"][0];
    assert_eq!((&c2["table"], &c2["row"]), (&"Customers".into(), &2.into()));
    assert_eq!(failing_checks(c2)[0]["value"], "US");
    assert_eq!(c2["at"], "fixtures/explain/chain.qvs:40:1");
    // The blank GROUP row is listed as nearly applying, with I2.
    let near = &v["security"]["near"][0];
    assert_eq!(near["row"], 4);
    assert_eq!(failing_checks(near)[0]["rules"], serde_json::json!(["I2"]));
    // A second security table applies through USERID (A3): Alice's OMIT.
    assert_eq!(v["omit"]["omitted"], serde_json::json!(["AMOUNT"]));
}

#[test]
fn orphan_and_null_keys() {
    // Frank (IdP group Sales-EU, upper-cased SALES-EU): REGION = {EU}.
    // Orders row 4 names customer C9, which no Customers row holds: dropped, an orphan key in a
    // constrained direction (R4).
    let v = row(CHAIN, "frank", "Orders", 4);
    assert_eq!(v["answer"]["verdict"], "DROPPED");
    let c = blocking(&v["answer"]["why"], "CustomerId");
    assert_eq!(c["rows_with_value"], 0);
    assert!(v["answer"]["headline"]
        .as_str()
        .is_some_and(|h| h.contains("orphan key")));
    // Orders row 5 has no customer (NULL): a NULL link value in a constrained direction drops the row.
    let v = row(CHAIN, "frank", "Orders", 5);
    assert_eq!(v["answer"]["verdict"], "DROPPED");
    let customer = link(&v["answer"]["why"], "CustomerId");
    assert_eq!(customer["value"], Value::Null);
    assert_eq!(customer["neighbours"][0]["blocks"], true);
    // OrderLines row 5 names order O7, which does not exist: dropped (Orders' side holds the selection).
    let v = row(CHAIN, "frank", "OrderLines", 5);
    assert_eq!(v["answer"]["verdict"], "DROPPED");
    assert_eq!(
        blocking(&v["answer"]["why"], "OrderId")["rows_with_value"],
        0
    );
    // Customers row 5 (C5, EU) has no order: an orphan key too, but Orders' side holds no selection, so
    // it does not constrain Customers and the row is kept.
    let v = row(CHAIN, "frank", "Customers", 5);
    assert_eq!(v["answer"]["verdict"], "KEPT");
    let orders = &link(&v["answer"]["why"], "CustomerId")["neighbours"][0];
    assert_eq!(orders["rows_with_value"], 0);
    assert_eq!(orders["constrains"], false);
    // Notes is linked to nothing: a data island, not reduced.
    let v = row(CHAIN, "frank", "Notes", 1);
    assert_eq!(v["answer"]["verdict"], "KEPT");
    assert_eq!(v["answer"]["why"], Value::Null);
    assert!(v["answer"]["headline"]
        .as_str()
        .is_some_and(|h| h.contains("not reduced")));
}

#[test]
fn denied_when_no_row_applies() {
    // Eve (IdP group Marketing) is named by no row: DENIED, not listed (L1). The one-line reason comes
    // first, then the detail; no row names her, so nothing is listed as nearly applying.
    let out = human(
        EXAMPLE,
        "eve@example.org",
        &["--table", "Sales", "--row", "1"],
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines.get(1).copied(),
        Some("access:  DENIED: not listed: no Section Access row applies to this user")
    );
    assert!(out.contains("no row names the user"), "{out}");
    let v = row(EXAMPLE, "eve@example.org", "Sales", 1);
    assert_eq!(v["access"]["access"], "DENIED");
    assert_eq!(v["access"]["rules"], serde_json::json!(["L1", "I1"]));
    assert_eq!(v["answer"]["verdict"], "DROPPED");
    assert_eq!(v["security"]["applied"], serde_json::json!([]));
    assert_eq!(v["security"]["near"], serde_json::json!([]));
}

#[test]
fn denied_by_strict_exclusion_blank_reduction_and_invalid_access() {
    // Bob's row allows REGION NOWHERE, which no app row holds: strict exclusion denies a USER (R2).
    let v = value(CHAIN, "bob", "REGION=EU");
    assert_eq!(v["access"]["access"], "DENIED");
    assert_eq!(v["access"]["rules"], serde_json::json!(["R2"]));
    assert!(v["access"]["headline"]
        .as_str()
        .is_some_and(|h| h.starts_with("DENIED: strict exclusion")));
    let f = &v["selections"][0];
    assert_eq!(
        (&f["field"], &f["status"], &f["not_in_data"]),
        (
            &"REGION".into(),
            &"denied".into(),
            &serde_json::json!(["NOWHERE"])
        )
    );
    assert_eq!(v["answer"]["visible"], false);
    // Carol's REGION is blank: it grants nothing (R1), and a USER is then denied (R2).
    let v = value(CHAIN, "carol", "REGION=EU");
    assert!(v["access"]["detail"][0]
        .as_str()
        .is_some_and(|d| d.contains("leave it blank")));
    // Dave's row says ACCESS GUEST: no valid access level (L1).
    let v = value(CHAIN, "dave", "REGION=EU");
    assert_eq!(v["access"]["rules"], serde_json::json!(["L1"]));
    assert_eq!(
        v["security"]["applied"][0]["notes"][0],
        "ACCESS `GUEST` is neither ADMIN nor USER: this row grants no access level (L1)"
    );
    // §8.2 of section-access.md: ERICA, a USER allowed C where the data holds A and B, is denied; BOSS,
    // an ADMIN allowed C, sees everything (F not reduced, L3).
    let ex2 = &["fixtures/sa/examples/ex2_strict_exclusion.qvs"];
    let v = row(ex2, "ERICA", "T", 1);
    assert_eq!(v["access"]["access"], "DENIED");
    assert_eq!(v["answer"]["verdict"], "DROPPED");
    let v = row(ex2, "BOSS", "T", 1);
    assert_eq!(v["access"]["access"], "ADMIN");
    assert_eq!(v["selections"][0]["status"], "not reduced");
    assert_eq!(v["answer"]["verdict"], "KEPT");
}

#[test]
fn group_counts_under_mode_2_not_mode_0() {
    // Erin holds only the custom group CG-US. The script does not set QlikCloudGroupMode: mode 0 compares
    // IdP groups only, so `USER, *, *, CG-US, US` does not apply and she is denied; the row is listed with
    // the reason (S7, I6). With mode 2 the row applies and US customers are kept.
    let v = row(CHAIN, "erin", "Customers", 2);
    assert_eq!(v["who"]["group_mode"], 0);
    assert_eq!(v["who"]["groups"][0]["counts"], false);
    assert_eq!(v["access"]["access"], "DENIED");
    let near = &v["security"]["near"][0];
    assert_eq!(near["row"], 3);
    let why = failing_checks(near)[0];
    assert_eq!(why["rules"], serde_json::json!(["S7", "I6"]));
    assert!(why["why"]
        .as_str()
        .is_some_and(|w| w.contains("custom group") && w.contains("group mode 0")));

    let mut mode2 = CHAIN.to_vec();
    mode2.extend(["--var", "QlikCloudGroupMode=2"]);
    let v = row(&mode2, "erin", "Customers", 2);
    assert_eq!(v["who"]["group_mode"], 2);
    assert_eq!(v["who"]["groups"][0]["counts"], true);
    assert_eq!(v["access"]["access"], "USER");
    assert_eq!(v["security"]["applied"][0]["row"], 3);
    assert_eq!(v["answer"]["verdict"], "KEPT");
}

#[test]
fn value_visible_and_not_visible() {
    // Ada (REGION = {EU}): EU is visible (Regions and Sales keep rows with it), US is not: it is not in
    // the selection (R1, R2).
    let v = value(EXAMPLE, "ada@example.org", "REGION=EU");
    assert_eq!(v["answer"]["kind"], "value");
    assert_eq!(v["answer"]["visible"], true);
    let v = value(EXAMPLE, "ada@example.org", "REGION=US");
    assert_eq!(v["answer"]["visible"], false);
    assert_eq!(v["answer"]["rules"], serde_json::json!(["R1", "R2"]));
    // Ken (APAC): Gadget (P2, sold in APAC by order 1005) is visible; Widget (P1) is not: no row holding it
    // survives, because Products drops it through ProductId (R4).
    let v = value(EXAMPLE, "ken@example.org", "Product=Gadget");
    assert_eq!(v["answer"]["visible"], true);
    let v = value(EXAMPLE, "ken@example.org", "Product=Widget");
    let a = &v["answer"];
    assert_eq!(a["visible"], false);
    assert_eq!(a["rules"], serde_json::json!(["R4"]));
    assert_eq!(a["tables"][0]["table"], "Products");
    assert_eq!(a["tables"][0]["kept_with_value"], 0);
    assert_eq!(
        blocking(&a["tables"][0]["dropped"][0], "ProductId")["table"],
        "Sales"
    );
    // Grace's row omits MARGIN (O1): none of its values is visible, although her US rows are kept.
    let v = value(EXAMPLE, "grace@example.org", "MARGIN=60");
    assert_eq!(v["answer"]["visible"], false);
    assert_eq!(v["answer"]["omitted"], true);
    assert_eq!(v["answer"]["rules"], serde_json::json!(["O1"]));
    assert_eq!(v["answer"]["tables"][0]["kept_with_value"], 1);
}

#[test]
fn what_cannot_be_answered_exits_2_naming_what_exists() {
    let cases: &[(&[&str], &str)] = &[
        (
            &["--user", "frank", "--table", "Order", "--row", "1"],
            "no app table `Order` (names are case-sensitive); did you mean `Orders`?; app tables: `Regions`, `Customers`, `Orders`, `OrderLines`, `Notes`",
        ),
        (
            &["--user", "frank", "--table", "Access", "--row", "1"],
            "`Access` is a Section Access table, not an app table",
        ),
        (
            &["--user", "frank", "--table", "Orders", "--row", "0"],
            "`Orders` has 5 row(s): --row is 1-based, from 1 to 5, got 0",
        ),
        (
            &["--user", "frank", "--table", "Orders", "--row", "6"],
            "from 1 to 5, got 6",
        ),
        (
            &["--user", "frank", "--value", "Region=EU"],
            "no app field `Region` (names are case-sensitive); did you mean `REGION`?",
        ),
        (
            &["--user", "frank", "--value", "REGION=eu"],
            "no row of the app holds `eu` in `REGION` (values are compared as exact text); did you mean `EU`?",
        ),
        (&["--user", "frnk", "--value", "REGION=EU"], "did you mean `frank`?"),
        (&["--value", "REGION=EU"], "explain needs --user ID"),
        (&["--user", "frank", "--row", "1"], "--row N needs --table T"),
        (&["--user", "frank", "--table", "Orders"], "--table T needs --row N"),
        (
            &["--user", "frank"],
            "explain needs --table T --row N (an app row) or --value FIELD=VALUE",
        ),
    ];
    for (args, message) in cases {
        let mut all = vec!["explain"];
        all.extend_from_slice(CHAIN);
        all.extend_from_slice(args);
        let (code, out, err) = qsa(&all);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: nothing on stdout: {out}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
}

#[test]
fn refuses_what_report_refuses() {
    // A security table fed by a file qsa cannot read: the Section Access cannot be evaluated faithfully.
    let (code, out, err) = qsa(&[
        "explain",
        "fixtures/scripts/failclosed/main.qvs",
        "--user",
        "X",
        "--value",
        "REGION=EU",
    ]);
    assert_eq!(code, 2);
    assert!(out.is_empty());
    assert!(err.contains("refusing to explain"), "{err}");
    assert!(err.contains("QSA215"), "{err}");
}

#[test]
fn human_output_snapshots() {
    insta::assert_snapshot!(
        "ken_products_row_1",
        human(
            EXAMPLE,
            "ken@example.org",
            &["--table", "Products", "--row", "1"]
        )
    );
    insta::assert_snapshot!(
        "alice_orderlines_row_2",
        human(CHAIN, "alice", &["--table", "OrderLines", "--row", "2"])
    );
    insta::assert_snapshot!(
        "erin_mode_0",
        human(CHAIN, "erin", &["--table", "Customers", "--row", "2"])
    );
    insta::assert_snapshot!(
        "bob_strict_exclusion",
        human(CHAIN, "bob", &["--value", "REGION=EU"])
    );
    insta::assert_snapshot!(
        "ken_value_widget",
        human(EXAMPLE, "ken@example.org", &["--value", "Product=Widget"])
    );
}

#[test]
fn output_is_deterministic() {
    let a = human(CHAIN, "alice", &["--table", "OrderLines", "--row", "2"]);
    for threads in ["1", "4"] {
        let mut args = vec!["explain"];
        args.extend_from_slice(CHAIN);
        args.extend(["--user", "alice", "--table", "OrderLines", "--row", "2"]);
        let (code, out, _) = qsa_env(&args, &[("RAYON_NUM_THREADS", threads)]);
        assert_eq!((code, out.as_str()), (0, a.as_str()));
    }
}

// ---------------------------------------------------------------------------------------------------
// Property: explain's verdict is the engine's and the reference evaluator's, for every user and row.

struct Fixture {
    script: &'static str,
    directory: Option<(&'static str, Option<&'static str>)>,
    target: Target,
    vars: &'static [(&'static str, &'static str)],
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        script: "fixtures/example/sales.qvs",
        directory: Some(("fixtures/example/users.json", None)),
        target: Target::Cloud,
        vars: &[],
    },
    Fixture {
        script: "fixtures/sa/regional/app.qvs",
        directory: Some((
            "fixtures/sa/regional/users.json",
            Some("fixtures/sa/regional/groups.json"),
        )),
        target: Target::Cloud,
        vars: &[],
    },
    Fixture {
        script: "fixtures/sa/examples/ex1_omit_star.qvs",
        directory: None,
        target: Target::Cloud,
        vars: &[],
    },
    Fixture {
        script: "fixtures/sa/examples/ex2_strict_exclusion.qvs",
        directory: None,
        target: Target::Cloud,
        vars: &[],
    },
    Fixture {
        script: "fixtures/sa/examples/ex5_two_identity_styles.qvs",
        directory: None,
        target: Target::ClientManaged,
        vars: &[],
    },
    Fixture {
        script: "fixtures/explain/chain.qvs",
        directory: Some(("fixtures/explain/users.json", None)),
        target: Target::Cloud,
        vars: &[],
    },
    Fixture {
        script: "fixtures/explain/chain.qvs",
        directory: Some(("fixtures/explain/users.json", None)),
        target: Target::Cloud,
        vars: &[("QlikCloudGroupMode", "2")],
    },
];

fn users_of(f: &Fixture, run: &mut qsa::script::RunResult) -> Vec<User> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let Some((users, groups)) = f.directory else {
        return vec![];
    };
    let mut diags = vec![];
    let (dir, _, ok) = qsa::access::directory::load(
        &[root.join(users)],
        &groups.map(|g| vec![root.join(g)]).unwrap_or_default(),
        None,
        &mut run.sources,
        &mut diags,
    );
    assert!(ok, "{users}: {diags:?}");
    dir.users
}

#[test]
fn every_row_verdict_is_the_engines_and_the_references() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut checked = 0;
    for f in FIXTURES {
        let opts = RunOptions {
            vars: f
                .vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            ..RunOptions::default()
        };
        let mut run = run_file(&root.join(f.script), &opts).expect("the fixture reads");
        let mut users = users_of(f, &mut run);
        let p = prepare(&run, f.target).unwrap_or_else(|d| panic!("{}: refused: {d:?}", f.script));
        if users.is_empty() {
            users = p.listed_users();
        }
        // Plus someone no row names.
        users.push(User::new("nobody-at-all"));
        let results = p.evaluate(&users, true);
        for (u, res) in users.iter().zip(&results) {
            let want = reference::evaluate(&run.app, &run.security, f.target, p.group_mode(), u)
                .expect("the reference evaluates");
            assert_eq!(res.access, want.access, "{} {}", f.script, u.report_id());
            for (ti, t) in run.app.tables.iter().enumerate() {
                for r in 0..t.row_count() {
                    let q = Question::Row {
                        table: t.name.clone(),
                        row: r + 1,
                    };
                    let e = explain(&p, u, res, &q).unwrap_or_else(|e| {
                        panic!(
                            "{} {} {} row {}: {e}",
                            f.script,
                            u.report_id(),
                            t.name,
                            r + 1
                        )
                    });
                    let Answer::Row(a) = &e.answer else {
                        panic!("a row answer")
                    };
                    let engine = res.keeps(ti, r);
                    let reference = want.keeps(&t.name, r);
                    let ctx = format!("{} {} {} row {}", f.script, u.report_id(), t.name, r + 1);
                    assert_eq!(a.verdict == "KEPT", engine, "{ctx}: {}", a.headline);
                    assert_eq!(engine, reference, "{ctx}");
                    // A dropped row of a granted user names what dropped it.
                    if !engine && res.access != Access::Denied {
                        assert!(
                            a.why.as_ref().and_then(|w| w.first_failure()).is_some(),
                            "{ctx}: {a:#?}"
                        );
                    }
                    checked += 1;
                }
            }
        }
    }
    assert!(checked > 300, "{checked} rows checked");
}

#[test]
fn every_row_verdict_through_the_binary() {
    // The same property through `qsa explain --format json`, on the example and the chain fixture.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for f in [&FIXTURES[0], &FIXTURES[5]] {
        let mut run = run_file(&root.join(f.script), &RunOptions::default()).expect("reads");
        let users = users_of(f, &mut run);
        let p = prepare(&run, f.target).unwrap_or_else(|d| panic!("refused: {d:?}"));
        let results = p.evaluate(&users, true);
        let (dir, _) = f.directory.unwrap_or(("", None));
        for (u, res) in users.iter().zip(&results) {
            let id = u.report_id();
            for (ti, t) in run.app.tables.iter().enumerate() {
                for r in 0..t.row_count() {
                    let v = row(&[f.script, "--directory", dir], &id, &t.name, r + 1);
                    let engine = res.keeps(ti, r);
                    assert_eq!(
                        v["answer"]["verdict"] == "KEPT",
                        engine,
                        "{} {id} {} row {}",
                        f.script,
                        t.name,
                        r + 1
                    );
                }
            }
        }
    }
}

#[test]
fn readme_example_is_the_real_output() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md reads");
    let start = "      --user ken@example.org --table Products --row 1\n";
    let at = readme
        .find(start)
        .expect("the README shows the explain example")
        + start.len();
    let block = readme[at..].split("```").next().unwrap_or("");
    assert_eq!(
        block,
        human(
            EXAMPLE,
            "ken@example.org",
            &["--table", "Products", "--row", "1"]
        ),
        "README.md's `qsa explain` example differs from what qsa prints"
    );
}
