//! Differential property test: the columnar engine against the polars reference evaluator on random small
//! models (trees of tables with single, composite and shared links, NULLs, islands), random security tables
//! (`*`, blanks, ADMIN/USER, invalid ACCESS, OMIT, a second USERID/OMIT table, unlinked fields), random users
//! and groups, both targets, all group modes. Compared: access, selections, kept rows per table, omitted
//! fields; then the factorized model (`qsa::model::factor`) against message passing on every user field,
//! R4 markers included, with up to 16 users of random group combinations (many profiles per model).
//! `PROPTEST_CASES` overrides the default of 4000 cases.

use crate::common::*;
use proptest::prelude::*;
use qsa::access::directory::User;
use qsa::access::{GroupMode, Target};
use qsa::model::engine::Kept;
use qsa::model::Table;
use qsa::reduce::{prepare, reference, Access};
use std::collections::BTreeMap;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
}

fn gen_table(rng: &mut Rng, name: &str, fields: &[String], vals: &[&str]) -> Table {
    let mut t = Table::new(name, fields.to_vec());
    for _ in 0..rng.below(6) {
        let row = fields
            .iter()
            .map(|_| {
                if rng.chance(10) {
                    cell("~")
                } else {
                    cell(rng.pick(vals))
                }
            })
            .collect();
        t.push_row(row);
    }
    t
}

/// A random model, security tables and users (also used by `explain.rs`).
pub(crate) struct Case {
    pub(crate) app: Vec<Table>,
    pub(crate) security: Vec<Table>,
    pub(crate) target: Target,
    pub(crate) mode: GroupMode,
    pub(crate) users: Vec<User>,
}

pub(crate) fn gen_case(seed: u64) -> Case {
    let mut rng = Rng(seed | 1);
    let nt = 1 + rng.below(4);
    let mut fields: Vec<Vec<String>> = vec![vec![]; nt];
    let mut single_links: Vec<(usize, String)> = vec![]; // (parent, key) for reuse → hyperedges
    for i in 1..nt {
        let parent = rng.below(i);
        let kind = rng.below(3);
        let reusable: Vec<&(usize, String)> =
            single_links.iter().filter(|(p, _)| *p == parent).collect();
        if kind == 2 && !reusable.is_empty() {
            let k = reusable[rng.below(reusable.len())].1.clone();
            fields[i].push(k);
        } else if kind == 1 {
            for k in [format!("K{i}A"), format!("K{i}B")] {
                fields[parent].push(k.clone());
                fields[i].push(k);
            }
        } else {
            let k = format!("K{i}");
            fields[parent].push(k.clone());
            fields[i].push(k.clone());
            single_links.push((parent, k));
        }
    }
    for (i, f) in fields.iter_mut().enumerate() {
        for j in 0..1 + rng.below(2) {
            f.push(format!("T{i}F{j}"));
        }
    }
    let vals = ["A", "B", "C"];
    let app: Vec<Table> = fields
        .iter()
        .enumerate()
        .map(|(i, f)| gen_table(&mut rng, &format!("T{i}"), f, &vals))
        .collect();
    let all_fields: Vec<String> = {
        let mut v: Vec<String> = fields.iter().flatten().cloned().collect();
        v.sort();
        v.dedup();
        v
    };
    // Security model.
    let mut sfields: Vec<String> = vec!["ACCESS".into(), "USERID".into()];
    if rng.chance(50) {
        sfields.push("GROUP".into());
    }
    if rng.chance(30) {
        sfields.push("USER.EMAIL".into());
    }
    let nred = 1 + rng.below(2);
    for _ in 0..nred {
        let f = all_fields[rng.below(all_fields.len())].clone();
        if !sfields.contains(&f) {
            sfields.push(f);
        }
    }
    if rng.chance(10) {
        sfields.push("ZZ".into());
    }
    let separate_omit = rng.chance(20);
    if rng.chance(40) && !separate_omit {
        sfields.push("OMIT".into());
    }
    let mut omit_vals: Vec<&str> = all_fields.iter().map(String::as_str).collect();
    omit_vals.extend(["*", "", "NOPE"]);
    let mut sa = Table::new("SA", sfields.clone());
    for _ in 0..1 + rng.below(6) {
        let row = sfields
            .iter()
            .map(|f| {
                let v = match f.as_str() {
                    "ACCESS" => rng.pick(&["ADMIN", "USER", "USER", "", "READ"]),
                    "USERID" => rng.pick(&["U1", "U2", "U3", "*", "*", ""]),
                    "GROUP" => rng.pick(&["G1", "G2", "*", "*", ""]),
                    "USER.EMAIL" => rng.pick(&["U1@X.COM", "*", "*", ""]),
                    "OMIT" => rng.pick(&omit_vals),
                    _ => rng.pick(&["A", "B", "C", "*", "", "Z"]),
                };
                cell(v)
            })
            .collect();
        sa.push_row(row);
    }
    let mut security = vec![sa];
    if separate_omit {
        let mut om = Table::new("OM", vec!["USERID".into(), "OMIT".into()]);
        for _ in 0..1 + rng.below(3) {
            om.push_row(vec![
                cell(rng.pick(&["U1", "U2", "*"])),
                cell(rng.pick(&omit_vals)),
            ]);
        }
        security.push(om);
    }
    let target = if rng.chance(70) {
        Target::Cloud
    } else {
        Target::ClientManaged
    };
    let mode = [GroupMode::Idp, GroupMode::Custom, GroupMode::Both][rng.below(3)];
    let mut u3 = user("U3");
    if rng.chance(30) {
        u3.status = qsa::access::directory::Status::Disabled;
    }
    let mut users = vec![
        user_with("u1", Some("u1@x.com"), &["g1"], &["G2"]),
        user_with("U2", None, &["G2"], &["g1"]),
        u3,
        user_with("U9", None, &["G1"], &[]),
    ];
    // Many profiles: more users holding random group combinations.
    for i in 0..rng.below(12) {
        let subject = ["U1", "U2", "U3", "U7"][rng.below(4)];
        let groups = ["G1", "g2", "G3"];
        let idp: Vec<&str> = groups.iter().copied().filter(|_| rng.chance(40)).collect();
        let custom: Vec<&str> = groups.iter().copied().filter(|_| rng.chance(30)).collect();
        let email = rng.chance(30).then_some("u1@x.com");
        let mut u = user_with(subject, email, &idp, &custom);
        u.key = format!("extra{i}");
        users.push(u);
    }
    Case {
        app,
        security,
        target,
        mode,
        users,
    }
}

fn kept_rows(k: &Kept, total: usize) -> Vec<u32> {
    (0..total)
        .filter(|&r| k.contains(r))
        .map(|r| r as u32)
        .collect()
}

/// The case's run prepared for evaluation.
pub(crate) fn prepared<'a>(
    c: &Case,
    r: &'a qsa::script::RunResult,
) -> Result<qsa::reduce::Prepared<'a>, TestCaseError> {
    prepare(r, c.target).map_err(|d| TestCaseError::fail(format!("refused: {d:?}")))
}

/// Every user of the case evaluated by the engine (with detail) and by the reference.
pub(crate) fn engine_and_reference(
    c: &Case,
    r: &qsa::script::RunResult,
    p: &qsa::reduce::Prepared,
) -> Result<(Vec<qsa::reduce::UserResult>, Vec<reference::RefResult>), TestCaseError> {
    let got = p.evaluate(&c.users, true);
    let wanted = c
        .users
        .iter()
        .map(|u| {
            reference::evaluate(&r.app, &r.security, c.target, c.mode, u)
                .map_err(|e| TestCaseError::fail(format!("polars: {e}")))
        })
        .collect::<Result<_, _>>()?;
    Ok((got, wanted))
}

/// The case as a run, its group mode set by the script.
pub(crate) fn case_run(c: &Case) -> qsa::script::RunResult {
    let mode_s = c.mode.number().to_string();
    run_vars(
        c.app.clone(),
        c.security.clone(),
        &[("QlikCloudGroupMode", &mode_s)],
    )
}

fn check(seed: u64) -> Result<(), TestCaseError> {
    let c = gen_case(seed);
    let r = case_run(&c);
    let (got, wanted) = engine_and_reference(&c, &r, &prepared(&c, &r)?)?;
    for ((u, g), want) in c.users.iter().zip(&got).zip(wanted) {
        let ctx = || {
            format!(
                "seed {seed} user {}\napp {:#?}\nsecurity {:#?}",
                u.report_id(),
                c.app,
                c.security
            )
        };
        prop_assert_eq!(g.access, want.access, "{}", ctx());
        if g.access == Access::Denied {
            continue;
        }
        prop_assert_eq!(&*g.reduction, &want.reduction, "{}", ctx());
        prop_assert_eq!(&g.omitted_fields, &want.omitted, "{}", ctx());
        let kept = g
            .kept
            .as_ref()
            .ok_or_else(|| TestCaseError::fail("no kept rows"))?;
        let mine: BTreeMap<String, Vec<u32>> = r
            .app
            .tables
            .iter()
            .zip(kept)
            .map(|(t, k)| (t.name.clone(), kept_rows(k, t.row_count())))
            .collect();
        prop_assert_eq!(&mine, &want.kept, "{}", ctx());
    }
    // The factorized model (many selections per pass) against message passing and the reference: every
    // field of every user, R4's markers included.
    let mut fast = prepared(&c, &r)?;
    fast.factorize_from(0);
    let mut slow = prepared(&c, &r)?;
    slow.factorize_from(usize::MAX);
    let f = fast.evaluate(&c.users, false);
    let s = slow.evaluate(&c.users, false);
    for ((u, f), (s, g)) in c.users.iter().zip(&f).zip(s.iter().zip(&got)) {
        let ctx = || {
            format!(
                "seed {seed} user {} ({:?})",
                u.report_id(),
                fast.stats().path
            )
        };
        prop_assert_eq!(f.access, s.access, "{}", ctx());
        prop_assert_eq!(&f.reduction, &s.reduction, "{}", ctx());
        prop_assert_eq!(&f.tables, &s.tables, "{}", ctx());
        prop_assert_eq!(&f.rules, &s.rules, "{}", ctx());
        prop_assert_eq!(&f.tables, &g.tables, "{}", ctx());
    }
    Ok(())
}

pub(crate) fn cases() -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4000)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    /// R1–R4, O1, L1–L3, I1–I6, A2, A3 against the reference.
    #[test]
    fn engine_matches_reference(seed in any::<u64>()) {
        check(seed)?;
    }
}
