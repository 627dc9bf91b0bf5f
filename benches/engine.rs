//! All-user evaluation on a generated star model: a 1M-row fact table, 3 dimensions, 10k users in 200
//! groups. Prints the engine's time, the reference evaluator's (measured on a sample of users and
//! extrapolated, said so in the output), and the ratio. Run: `cargo bench --bench engine`.

use qsa::access::directory::{Group, Provider, User};
use qsa::access::Target;
use qsa::model::{DataModel, Table, Value};
use qsa::reduce::{prepare, reference};
use qsa::script::RunResult;
use std::time::Instant;

struct Rng(u64);
impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n
    }
}

fn s(x: String) -> Value {
    Value::str(x)
}

fn model(fact_rows: usize) -> RunResult {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let (ncust, nprod, nreg) = (20_000u64, 2_000u64, 50u64);
    let mut fact = Table::new(
        "Orders",
        vec![
            "ORDERID".into(),
            "CUSTOMERID".into(),
            "PRODUCTID".into(),
            "REGION".into(),
            "AMOUNT".into(),
        ],
    );
    for i in 0..fact_rows {
        fact.push_row(vec![
            Value::num(i as f64),
            s(format!("C{}", rng.below(ncust))),
            s(format!("P{}", rng.below(nprod))),
            s(format!("R{}", rng.below(nreg))),
            Value::num(rng.below(1000) as f64),
        ]);
    }
    let mut cust = Table::new("Customers", vec!["CUSTOMERID".into(), "SEGMENT".into()]);
    for c in 0..ncust {
        cust.push_row(vec![s(format!("C{c}")), s(format!("S{}", c % 10))]);
    }
    let mut prod = Table::new("Products", vec!["PRODUCTID".into(), "CATEGORY".into()]);
    for p in 0..nprod {
        prod.push_row(vec![s(format!("P{p}")), s(format!("CAT{}", p % 40))]);
    }
    let mut reg = Table::new("Regions", vec!["REGION".into(), "COUNTRY".into()]);
    for r in 0..nreg {
        reg.push_row(vec![s(format!("R{r}")), s(format!("COUNTRY{}", r % 25))]);
    }
    // Security: 200 groups, each granted two countries and one category; one ADMIN row.
    let mut sa = Table::new(
        "SA",
        vec![
            "ACCESS".into(),
            "USERID".into(),
            "GROUP".into(),
            "COUNTRY".into(),
            "CATEGORY".into(),
        ],
    );
    sa.push_row(vec![
        s("ADMIN".into()),
        s("ADMIN0".into()),
        s("*".into()),
        s(String::new()),
        s(String::new()),
    ]);
    for g in 0..200u64 {
        for k in 0..2 {
            sa.push_row(vec![
                s("USER".into()),
                s("*".into()),
                s(format!("G{g}")),
                s(format!("COUNTRY{}", (g + k * 7) % 25)),
                s(format!("CAT{}", g % 40)),
            ]);
        }
    }
    RunResult {
        app: DataModel {
            tables: vec![fact, cust, prod, reg],
        },
        security: DataModel { tables: vec![sa] },
        ..Default::default()
    }
}

fn users(n: usize) -> Vec<User> {
    let mut rng = Rng(42);
    (0..n)
        .map(|i| {
            let mut u = User::new(format!("okta|user{i:05}"));
            u.email = Some(format!("user{i}@example.org"));
            // Each user in one of the 200 groups; every 50th user also in a second one.
            u.groups.push(Group {
                name: format!("g{}", rng.below(200)),
                provider: Provider::Idp,
            });
            if i % 50 == 0 {
                u.groups.push(Group {
                    name: format!("g{}", rng.below(200)),
                    provider: Provider::Idp,
                });
            }
            u
        })
        .collect()
}

fn profiles(p: &qsa::reduce::Prepared<'_>, us: &[User]) -> usize {
    let set: std::collections::HashSet<Vec<qsa::model::engine::Kept>> =
        us.iter().map(|u| p.security.applicable(u)).collect();
    set.len()
}

fn main() {
    let fact_rows = std::env::var("QSA_BENCH_ROWS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1_000_000);
    let nusers = 10_000;
    let sample = std::env::var("QSA_BENCH_SAMPLE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20usize);
    let t0 = Instant::now();
    let run = model(fact_rows);
    let us = users(nusers);
    println!("model: {fact_rows} fact rows, 3 dimensions, {nusers} users in 200 groups (generated in {:.2?})", t0.elapsed());

    let t = Instant::now();
    let p = match prepare(&run, Target::Cloud) {
        Ok(p) => p,
        Err(d) => {
            eprintln!("refused: {d:?}");
            return;
        }
    };
    let build = t.elapsed();
    let t = Instant::now();
    let res = p.evaluate(&us, false);
    let eval = t.elapsed();
    let engine_total = build + eval;
    let granted = res
        .iter()
        .filter(|r| r.access != qsa::reduce::Access::Denied)
        .count();
    println!(
        "engine:    build {build:.2?} + evaluate {eval:.2?} = {engine_total:.2?} for all {nusers} users ({granted} granted, {} identity profiles; {} threads)",
        profiles(&p, &us),
        rayon::current_num_threads()
    );

    println!("engine path: {:?}", p.stats().path);
    // The same users by message passing (one pass over the rows per distinct selection), same run.
    if let Ok(mut mp) = prepare(&run, Target::Cloud) {
        mp.factorize_from(usize::MAX);
        let t = Instant::now();
        let res_mp = mp.evaluate(&us, false);
        let eval_mp = t.elapsed();
        let agree = res
            .iter()
            .zip(&res_mp)
            .filter(|(a, b)| a.access == b.access && a.tables == b.tables && a.rules == b.rules)
            .count();
        println!(
            "message passing: evaluate {eval_mp:.2?}; agreement with the factorized engine {agree}/{nusers}; factorized / message passing = {:.2}x",
            eval.as_secs_f64() / eval_mp.as_secs_f64().max(1e-9)
        );
    }

    let t = Instant::now();
    let step = (nusers / sample.max(1)).max(1);
    let mut checked = 0;
    for (i, u) in us.iter().enumerate().step_by(step).take(sample) {
        match reference::evaluate(&run.app, &run.security, Target::Cloud, p.group_mode(), u) {
            Ok(r) => {
                let fact_engine = res[i].tables["Orders"].rows;
                let fact_ref = r.kept.get("Orders").map(|v| v.len()).unwrap_or(0);
                if r.access != res[i].access
                    || (r.access != qsa::reduce::Access::Denied && fact_engine != fact_ref)
                {
                    println!(
                        "MISMATCH for {}: engine {:?}/{fact_engine}, reference {:?}/{fact_ref}",
                        u.report_id(),
                        res[i].access,
                        r.access
                    );
                }
            }
            Err(e) => println!("reference failed: {e}"),
        }
        checked += 1;
    }
    let per_user = t.elapsed() / checked.max(1) as u32;
    let ref_total = per_user * nusers as u32;
    println!(
        "reference: {per_user:.2?} per user, measured on a sample of {checked} users, extrapolated to {nusers} users: {ref_total:.2?}"
    );
    println!(
        "ratio:     reference / engine = {:.0}x",
        ref_total.as_secs_f64() / engine_total.as_secs_f64().max(1e-9)
    );
}
