//! Regression snapshots on the demo app (`fixtures/demo/`), through the real binary: the committed
//! `fixtures/demo/demo.snapshot` is what `qsa snapshot` writes today, and `qsa snapshot --check` and
//! `qsa diff` name exactly the users an edit of the script (or of the users export) changes, with the
//! rows they gain or lose.
//!
//! Each edit is written to a temporary folder as a copy of `sales_analytics.qvs` with one change; the
//! script reads its data only through `lib://DataFiles`, so `--lib` with the data folder's absolute path
//! runs it from there. The users an edit should change are worked out from `users.json` (who holds which
//! group), and the rows from the data files with plain loops (`tests/common/demo_app.rs`); `diff
//! --format json` is compared with the users whose `report --format json` entry differs between the two
//! versions.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/demo_app.rs"]
mod demo_app;
#[path = "common/scratch.rs"]
mod scratch;

use binary::{qsa, qsa_env, rows, users_by_id};
use demo_app::{demo_dir, demo_users, plain_kept, Kept, ALL_CATEGORIES, GROUPS, SCRIPT, USERS};
use scratch::Scratch;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The committed snapshot of the demo, written by
/// `qsa snapshot fixtures/demo/sales_analytics.qvs --lib DataFiles=fixtures/demo/data
/// --directory fixtures/demo/users.json --groups fixtures/demo/groups.json --out fixtures/demo/demo.snapshot`.
const STORED: &str = "fixtures/demo/demo.snapshot";

/// The INLINE admin row of the data stewards: the edits below add rows after it.
const STEWARDS_ROW: &str = "ADMIN, *, CG-EMEA-Data-Stewards, EMEA, ,\n";

/// `--lib` with the data folder as an absolute path, `--directory` and `--groups`.
fn demo_flags(directory: &str) -> Vec<String> {
    let lib = format!("DataFiles={}", demo_dir().join("data").display());
    ["--lib", &lib, "--directory", directory, "--groups", GROUPS]
        .map(String::from)
        .to_vec()
}

/// `qsa COMMAND FIRST [SECOND] <demo flags> EXTRA…`.
fn run(command: &str, sides: &[&str], directory: &str, extra: &[&str]) -> (i32, String, String) {
    let mut args: Vec<String> = vec![command.to_string()];
    args.extend(sides.iter().map(|s| s.to_string()));
    args.extend(demo_flags(directory));
    args.extend(extra.iter().map(|s| s.to_string()));
    qsa(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// `qsa snapshot SCRIPT <demo flags> --check fixtures/demo/demo.snapshot`.
fn check(script: &str, directory: &str) -> (i32, String, String) {
    run("snapshot", &[script], directory, &["--check", STORED])
}

/// [`check`] on an edit: exit 1, and the change on stdout.
fn check_changed(script: &str, directory: &str) -> String {
    let (code, stdout, stderr) = check(script, directory);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stderr.contains(&format!("qsa: access differs from {STORED}; if the change is intended, write it again with `qsa snapshot … --out {STORED}`")),
        "{stderr}"
    );
    stdout
}

/// The subjects of the users holding `group` (by its name in the users export).
fn holders(group: &str) -> BTreeSet<String> {
    demo_users()
        .into_iter()
        .filter(|(_, groups)| groups.contains(group))
        .map(|(id, _)| id)
        .collect()
}

/// The demo users that `text` names (by subject).
fn named(text: &str) -> BTreeSet<String> {
    demo_users()
        .into_keys()
        .filter(|id| text.contains(id.as_str()))
        .collect()
}

/// `ids` as the summary lists them: sorted, separated by `, `.
fn listed(ids: &BTreeSet<String>) -> String {
    ids.iter().cloned().collect::<Vec<_>>().join(", ")
}

/// A copy of the demo script with `from` (which occurs exactly once) replaced by `to`, in its own
/// temporary folder.
struct Edit {
    name: String,
    scratch: Scratch,
    script: String,
}

impl Edit {
    /// The edited script with the demo's users.
    fn version(&self) -> Version<'_> {
        Version {
            script: &self.script,
            directory: USERS,
        }
    }

    /// [`name_exactly`] for this edit, with the insta snapshot `demo_diff_{name}_markdown`.
    fn names_exactly(&self, check_stdout: &str, expected: &BTreeSet<String>) {
        name_exactly(
            check_stdout,
            &format!("demo_diff_{}_markdown", self.name),
            self.version(),
            Some(&self.scratch),
            expected,
        );
    }
}

fn edit(name: &str, from: &str, to: &str) -> Edit {
    let original = std::fs::read_to_string(SCRIPT).expect("the demo script");
    assert_eq!(
        original.matches(from).count(),
        1,
        "{name}: `{from}` occurs once"
    );
    let scratch = Scratch::new("demo-snapshot", name);
    let script = scratch.arg(&format!("{name}.qvs"));
    std::fs::write(&script, original.replacen(from, to, 1)).expect("write the edited script");
    Edit {
        name: name.to_string(),
        scratch,
        script,
    }
}

/// A copy of the demo script with one more INLINE security row, after the data stewards' row.
fn add_row(name: &str, row: &str) -> Edit {
    edit(name, STEWARDS_ROW, &format!("{STEWARDS_ROW}{row}\n"))
}

/// Each user's `report --format json` entry, by id.
fn report_users(script: &str, directory: &str) -> BTreeMap<String, Value> {
    let (code, stdout, stderr) = run("report", &[script], directory, &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    users_by_id(&stdout)
}

/// One version of the demo: a script and its users export.
#[derive(Clone, Copy)]
struct Version<'a> {
    script: &'a str,
    directory: &'a str,
}

const ORIGINAL: Version = Version {
    script: SCRIPT,
    directory: USERS,
};

/// The output of `snapshot --check` on a version of the demo (`check_stdout`) names exactly the
/// `expected` users, and so does `qsa diff OLD NEW` between the original demo and that version (OLD
/// run as a script, or the committed snapshot when the users export differs: one set of flags serves
/// both sides):
/// - `--format json` names exactly the users whose `report --format json` entry differs between the
///   versions (the independent reference), and each row difference is the difference of the
///   reports' kept rows;
/// - `--format markdown` is the insta snapshot `name` (the scratch folder, if any, shown as
///   `<scratch>`).
fn name_exactly(
    check_stdout: &str,
    name: &str,
    new: Version,
    scratch: Option<&Scratch>,
    expected: &BTreeSet<String>,
) {
    assert_eq!(
        &named(check_stdout),
        expected,
        "{name}: `--check` names exactly them"
    );
    let old = ORIGINAL;
    // The committed snapshot is the original script run with the original users.
    let old_side = if new.directory == old.directory {
        old.script
    } else {
        STORED
    };
    let diff = |format: &str| {
        let (code, stdout, stderr) = run(
            "diff",
            &[old_side, new.script],
            new.directory,
            &["--format", format],
        );
        assert_eq!(code, 1, "{name}: {stdout}{stderr}");
        stdout
    };
    let d: Value = serde_json::from_str(&diff("json")).expect("diff --format json prints JSON");
    let (before, after) = (
        report_users(old.script, old.directory),
        report_users(new.script, new.directory),
    );
    let differ: BTreeSet<String> = before
        .keys()
        .chain(after.keys())
        .filter(|id| before.get(*id) != after.get(*id))
        .cloned()
        .collect();
    let changed = d["users"].as_array().expect("users");
    let ids: BTreeSet<String> = changed
        .iter()
        .map(|u| u["id"].as_str().expect("an id").to_string())
        .collect();
    assert_eq!(ids, differ, "{name}: diff names exactly the changed users");
    assert_eq!(&ids, expected, "{name}");
    let kept = |report: &BTreeMap<String, Value>, id: &str, table: &str| {
        report.get(id).map(|u| rows(u, table).0).unwrap_or(0) as i64
    };
    for u in changed {
        let id = u["id"].as_str().expect("an id");
        for r in u["rows"].as_array().expect("rows") {
            let table = r["table"].as_str().expect("a table");
            assert_eq!(
                r["difference"].as_i64(),
                Some(kept(&after, id, table) - kept(&before, id, table)),
                "{name}: {id} {table}"
            );
        }
    }
    let mut markdown = diff("markdown");
    if let Some(s) = scratch {
        markdown = markdown.replace(&s.dir().display().to_string(), "<scratch>");
    }
    insta::assert_snapshot!(name, markdown);
}

// ------------------------------------------------------------------------------------ unchanged

#[test]
fn the_committed_snapshot_is_what_qsa_writes_on_any_thread_count() {
    let stored = std::fs::read_to_string(STORED).expect("the committed snapshot");
    let scratch = Scratch::new("demo-snapshot", "unchanged");
    for (i, threads) in [None, Some("1"), Some("4")].into_iter().enumerate() {
        let out = scratch.arg(&format!("run{i}.snapshot"));
        let env: Vec<(&str, &str)> = threads
            .map(|t| vec![("RAYON_NUM_THREADS", t)])
            .unwrap_or_default();
        let (code, stdout, stderr) = qsa_env(
            &[
                "snapshot",
                SCRIPT,
                "--lib",
                demo_app::LIB,
                "--directory",
                USERS,
                "--groups",
                GROUPS,
                "--out",
                &out,
            ],
            &env,
        );
        assert_eq!(code, 0, "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
        assert_eq!(stderr, format!("qsa: wrote {out} (50 users)\n"));
        let written = std::fs::read_to_string(&out).expect("the written snapshot");
        assert!(written == stored, "threads {threads:?}: {written}");
    }
    // The header records the inputs as given, and the group mode; 6 ADMIN, 30 USER, 14 DENIED as in
    // fixtures/demo/README.md.
    assert!(stored.starts_with(
        "# qsa snapshot 1\n# who sees what, one block per user sorted by id; compare with `qsa snapshot --check` or `qsa diff`\n\
         script: fixtures/demo/sales_analytics.qvs\ndirectory: fixtures/demo/users.json\ngroups: fixtures/demo/groups.json\n\
         lib: DataFiles=fixtures/demo/data\ntarget: cloud\ngroup mode: 2\nusers: 50\n\n"
    ));
    let count = |access: &str| stored.matches(&format!("\n  access: {access}\n")).count();
    assert_eq!(
        (count("ADMIN"), count("USER"), count("DENIED")),
        (6, 30, 14)
    );

    // `--check` on the unchanged demo (the data folder given another way): exit 0, nothing on stdout.
    let (code, stdout, stderr) = check(SCRIPT, USERS);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert_eq!(
        stderr,
        "qsa: fixtures/demo/demo.snapshot is up to date (50 users)\n"
    );
}

// ------------------------------------------------------------------------------------ edits

/// One more INLINE row grants the IdP group `Sales APAC` the region EMEA as well. Its four holders,
/// and nobody else, gain EMEA and its rows: the customers, orders, order lines, calendar days and
/// regions of EMEA (disjoint from APAC's), counted from the data files.
#[test]
fn widening_one_groups_access_fails_the_check_with_its_users_and_rows() {
    let e = add_row("widen", "USER, *, Sales APAC, EMEA, *,");
    let apac = holders("Sales APAC");
    assert_eq!(apac.len(), 4);
    let all = Some(&ALL_CATEGORIES[..]);
    let before = plain_kept(Some(&["APAC"]), all);
    let after = plain_kept(Some(&["APAC", "EMEA"]), all);
    let gain = |f: fn(&Kept) -> usize| f(&after) - f(&before);
    let stdout = check_changed(&e.script, USERS);
    assert!(
        stdout.starts_with(&format!(
            "qsa diff: {STORED} → {}\n4 of 50 users changed: 4 gain\n\nwider access:\n",
            e.script
        )),
        "{stdout}"
    );
    let ids = listed(&apac);
    assert!(
        stdout.contains(&format!(
            "  + 4 users gain access to more rows of 5 tables (each: `Calendar` +{}, `Customers` +{}, `OrderLines` +{}, `Orders` +{}, `Regions` +{}): {ids}\n",
            gain(|k| k.days),
            gain(|k| k.customers),
            gain(|k| k.lines),
            gain(|k| k.orders),
            gain(|k| k.regions),
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  + 4 users gain value `EMEA` of `REGION`: {ids}\n"
        )),
        "{stdout}"
    );
    // The numbers themselves, per user: 62 → 224 orders and 151 → 581 lines of 831.
    assert_eq!((before.orders, after.orders), (62, 224));
    assert_eq!((before.lines, after.lines), (151, 581));
    for line in [
        format!(
            "    rows `Orders`: 62 → 224 of 320 (+{})\n",
            gain(|k| k.orders)
        ),
        format!(
            "    rows `OrderLines`: 151 → 581 of 831 (+{})\n",
            gain(|k| k.lines)
        ),
    ] {
        assert_eq!(stdout.matches(&line).count(), 4, "{line}{stdout}");
    }
    assert!(!stdout.contains("narrower access"), "{stdout}");
    // Reverting the edit (the original script) passes.
    assert_eq!(check(SCRIPT, USERS).0, 0);
    e.names_exactly(&stdout, &apac);
}

/// `QlikCloudGroupMode` 2 → 0: custom groups no longer count. Every holder of a custom group that a
/// security row names loses what it granted: the category managers, the agency and the data stewards
/// are denied, and Lena Vogel is back to EMEA (fixtures/demo/README.md). The holders of
/// `CG-Finance-Controlling`, which no row names (mistake 3), are denied either way: not named.
#[test]
fn a_change_of_group_mode_names_the_custom_group_holders_it_changes() {
    let e = edit(
        "mode",
        "SET QlikCloudGroupMode = 2;",
        "SET QlikCloudGroupMode = 0;",
    );
    let custom: BTreeSet<String> = [
        "CG-Coffee-Category",
        "CG-Tea-Category",
        "CG-Marketing-Agency",
        "CG-EMEA-Data-Stewards",
    ]
    .into_iter()
    .flat_map(holders)
    .collect();
    assert_eq!(custom.len(), 10);
    let controllers = holders("CG-Finance-Controlling");
    assert_eq!(controllers.len(), 2);
    let lena = "00uYdHactdjulXmZogAy";
    let stdout = check_changed(&e.script, USERS);
    assert!(
        stdout.contains("\n10 of 50 users changed: 10 lose\n"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("  ~ GROUP mode changed from 2 to 0 (IdP and custom groups → IdP groups)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!(
            "  - 1 user loses values `AMERICAS`, `APAC` of `REGION`: {lena}\n"
        )),
        "{stdout}"
    );
    // The other nine are denied: the two data stewards were ADMIN, the seven others USER.
    let stewards = holders("CG-EMEA-Data-Stewards");
    let users: BTreeSet<String> = custom
        .iter()
        .filter(|id| *id != lena && !stewards.contains(*id))
        .cloned()
        .collect();
    assert!(
        stdout.contains(&format!(
            "  - 7 users lose access (USER → DENIED): {}\n  - 2 users lose access (ADMIN → DENIED): {}\n",
            listed(&users),
            listed(&stewards)
        )),
        "{stdout}"
    );
    e.names_exactly(&stdout, &custom);
}

/// One more INLINE row for `Sales Americas`, the same region but with `OMIT` of MARGIN: its six
/// holders now omit MARGIN (their rows are unchanged), and nobody else is named.
#[test]
fn an_omit_change_names_the_users_who_now_omit_the_field() {
    let e = add_row("omit", "USER, *, Sales Americas, AMERICAS, *, MARGIN");
    let americas = holders("Sales Americas");
    assert_eq!(americas.len(), 6);
    let stdout = check_changed(&e.script, USERS);
    assert!(
        stdout.contains(&format!(
            "\n6 of 50 users changed: 6 lose\n\nnarrower access:\n  - 6 users now omit `MARGIN`: {}\n\nper user:\n",
            listed(&americas)
        )),
        "{stdout}"
    );
    assert_eq!(stdout.matches("    now omits: `MARGIN`\n").count(), 6);
    assert!(!stdout.contains("rows `"), "no rows change: {stdout}");
    e.names_exactly(&stdout, &americas);
}

/// Oliver Grant, granted by his subject, is missing from a copy of the users export: a lost user.
#[test]
fn a_user_missing_from_the_users_export_is_named_as_lost() {
    let oliver = "00u0CgSNldMUuHWt822z";
    let scratch = Scratch::new("demo-snapshot", "lost");
    let text = std::fs::read_to_string(USERS).expect("users.json");
    let users: Vec<Value> = serde_json::from_str(&text).expect("users.json is JSON");
    let rest: Vec<&Value> = users.iter().filter(|u| u["subject"] != oliver).collect();
    assert_eq!(rest.len(), 49);
    let lost = scratch.arg("users.json");
    std::fs::write(&lost, serde_json::to_string_pretty(&rest).expect("JSON"))
        .expect("write the users");
    let stdout = check_changed(SCRIPT, &lost);
    assert!(
        stdout.contains(&format!(
            "\n1 of 50 users changed: 1 loses\n\nnarrower access:\n  - 1 lost user (was USER): {oliver}\n"
        )),
        "{stdout}"
    );
    // What he saw (APAC and EQUIPMENT: 17 orders, 19 lines), counted from the data.
    let k = plain_kept(Some(&["APAC"]), Some(&["EQUIPMENT"]));
    for line in [
        "    access: USER → (absent)\n".to_string(),
        format!(
            "    rows `Orders`: {} → 0 of 320 (-{})\n",
            k.orders, k.orders
        ),
        format!(
            "    rows `OrderLines`: {} → 0 of 831 (-{})\n",
            k.lines, k.lines
        ),
    ] {
        assert!(stdout.contains(&line), "{line}{stdout}");
    }
    // With the full export again, the check passes.
    assert_eq!(check(SCRIPT, USERS).0, 0);
    let without_oliver = Version {
        script: SCRIPT,
        directory: &lost,
    };
    name_exactly(
        &stdout,
        "demo_diff_lost_markdown",
        without_oliver,
        Some(&scratch),
        &BTreeSet::from([oliver.to_string()]),
    );
}

/// Removing the INLINE row that grants the app owner, Priya Raman, by her subject: her group (BI
/// Developers) is in no row, so she loses access (ADMIN → DENIED), and nobody else changes.
#[test]
fn removing_a_users_only_row_names_her_as_losing_access() {
    let priya = "00uZy9RG6jICfdpNEMOV";
    let e = edit("owner", &format!("ADMIN, {priya}, *, , ,\n"), "");
    let stdout = check_changed(&e.script, USERS);
    assert!(
        stdout.contains(&format!(
            "\n1 of 50 users changed: 1 loses\n\nnarrower access:\n  - 1 user loses access (ADMIN → DENIED): {priya}\n"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains("    rows `Orders`: 320 → 0 of 320 (-320)\n"),
        "{stdout}"
    );
    e.names_exactly(&stdout, &BTreeSet::from([priya.to_string()]));
}

/// The README's example, `fixtures/demo/edits/fixed.qvs` (mistake 1 fixed: `Upper(GROUP) AS GROUP`):
/// the Nordic sales reps who hold no other listed group gain EMEA; Lars Eriksson, who sees EMEA
/// through Sales EMEA already, is not named.
#[test]
fn fixing_mistake_1_gives_the_nordic_team_emea() {
    let fixed = "fixtures/demo/edits/fixed.qvs";
    let nordics = holders("Sales Nordics");
    let emea = holders("Sales EMEA");
    let gain: BTreeSet<String> = nordics.difference(&emea).cloned().collect();
    assert_eq!((nordics.len(), gain.len()), (4, 3));
    let stdout = check_changed(fixed, USERS);
    assert!(
        stdout.contains(&format!(
            "  + 3 users gain access (DENIED → USER): {}\n",
            listed(&gain)
        )),
        "{stdout}"
    );
    let version = Version {
        script: fixed,
        directory: USERS,
    };
    name_exactly(&stdout, "demo_diff_fixed_markdown", version, None, &gain);
}
