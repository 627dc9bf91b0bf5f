//! `qsa explain` on the differential test's random models (trees of tables with single, composite and
//! shared links, NULLs, islands; random security tables, users, targets and group modes): for every user
//! and every row of every app table, explain's KEPT/DROPPED is the engine's kept bitset and the reference
//! evaluator's kept rows, and a dropped row of a granted user names its reason (explain itself refuses with
//! `Inconsistent` when its reasons do not give back the engine's verdict, for the asked row and for every
//! security row). For every value of every field: VISIBLE exactly when a kept row holds it and the field
//! is not omitted. The security rows explain lists as applied are the engine's.
//! `PROPTEST_CASES` overrides the default (a quarter of the differential test's).

use crate::differential::{case_run, cases, engine_and_reference, gen_case, prepared};
use proptest::prelude::*;
use qsa::reduce::explain::{explain, Answer, Question};
use qsa::reduce::Access;
use std::collections::BTreeSet;

fn check(seed: u64) -> Result<(), TestCaseError> {
    let c = gen_case(seed);
    let r = case_run(&c);
    let p = prepared(&c, &r)?;
    let (got, wanted) = engine_and_reference(&c, &r, &p)?;
    for ((u, g), want) in c.users.iter().zip(&got).zip(wanted) {
        let ctx = |what: String| {
            format!(
                "seed {seed} user {} {what}\napp {:#?}\nsecurity {:#?}",
                u.report_id(),
                c.app,
                c.security
            )
        };
        let granted = g.access != Access::Denied;
        for (ti, t) in r.app.tables.iter().enumerate() {
            for row in 0..t.row_count() {
                let q = Question::Row {
                    table: t.name.clone(),
                    row: row + 1,
                };
                let e = explain(&p, u, g, &q).map_err(|e| {
                    TestCaseError::fail(ctx(format!("{} row {}: {e}", t.name, row + 1)))
                })?;
                let Answer::Row(a) = &e.answer else {
                    return Err(TestCaseError::fail("not a row answer"));
                };
                let engine = g.keeps(ti, row);
                let refer = want.keeps(&t.name, row);
                let here = || ctx(format!("{} row {}: {a:#?}", t.name, row + 1));
                prop_assert_eq!(a.verdict == "KEPT", engine, "{}", here());
                prop_assert_eq!(engine, refer, "{}", here());
                if granted && !engine {
                    prop_assert!(
                        a.why.as_ref().and_then(|w| w.first_failure()).is_some(),
                        "{}",
                        here()
                    );
                }
                if row == 0 && ti == 0 {
                    // The applied security rows are the engine's.
                    let mine: BTreeSet<(String, usize)> = e
                        .security
                        .applied
                        .iter()
                        .map(|s| (s.table.clone(), s.row - 1))
                        .collect();
                    let engine: BTreeSet<(String, usize)> =
                        g.applied.iter().map(|a| (a.table.clone(), a.row)).collect();
                    prop_assert_eq!(mine, engine, "{}", here());
                }
            }
        }
        // Values: visible iff a kept row holds the value and the field is not omitted.
        let mut asked: BTreeSet<(String, String)> = BTreeSet::new();
        for t in &r.app.tables {
            for (f, col) in t.fields.iter().zip(&t.columns) {
                for v in col.used_values() {
                    if let Some(s) = v.text() {
                        asked.insert((f.clone(), s.into_owned()));
                    }
                }
            }
        }
        for (field, value) in asked {
            let q = Question::Value {
                field: field.clone(),
                value: value.clone(),
            };
            let e = explain(&p, u, g, &q)
                .map_err(|e| TestCaseError::fail(ctx(format!("{field}={value}: {e}"))))?;
            let Answer::Value(a) = &e.answer else {
                return Err(TestCaseError::fail("not a value answer"));
            };
            let held = granted
                && !g.omitted_fields.contains(&field)
                && r.app.tables.iter().enumerate().any(|(ti, t)| {
                    t.column(&field).is_some_and(|c| {
                        (0..t.row_count()).any(|row| {
                            c.get(row).and_then(|v| v.text()).as_deref() == Some(value.as_str())
                                && g.keeps(ti, row)
                        })
                    })
                });
            prop_assert_eq!(
                a.visible,
                held,
                "{}",
                ctx(format!("{field}={value}: {a:#?}"))
            );
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases().div_ceil(4),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    /// Explain's verdicts and reasons against the engine and the reference, on random models.
    #[test]
    fn explain_matches_engine_and_reference(seed in any::<u64>()) {
        check(seed)?;
    }
}
