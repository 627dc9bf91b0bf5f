//! `qsa snapshot` and `qsa diff` through the real binary, on `fixtures/snapshot/` (a small regional sales
//! app, `base.qvs`, its users, and edits of it) and `fixtures/example/`.
//!
//! The edits (each one change of `base.qvs`):
//! - `widen.qvs`: the custom group CG-APAC-READERS is also granted EU (Ken and Lee hold it);
//! - `mode.qvs`: `QlikCloudGroupMode` 2 → 0 (custom groups no longer count: Ken and Lee are denied);
//! - `omit.qvs`: the SALES-EU row no longer omits MARGIN (Sam and Sue);
//! - `mixed.qvs`: several changes at once (ADMIN, values gained and lost, a new grant, OMIT moved);
//! - `refused.qvs`: the SALES-EU region comes from a variable the script never sets (fail closed);
//! - `users-lost.json`: the directory without Grace.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/scratch.rs"]
mod scratch;

use binary::{qsa, qsa_env, users_by_id};
use proptest::prelude::*;
use scratch::Scratch;
use serde_json::Value;
use std::path::Path;

const BASE: &str = "fixtures/snapshot/base.qvs";
const STORED: &str = "fixtures/snapshot/base.snapshot";
const USERS: &str = "fixtures/snapshot/users.json";

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// `qsa snapshot SCRIPT --directory USERS --check STORED`.
fn check(script: &str, directory: &str) -> (i32, String, String) {
    qsa(&[
        "snapshot",
        script,
        "--directory",
        directory,
        "--check",
        STORED,
    ])
}

#[test]
fn snapshots_are_byte_identical_across_runs_thread_counts_and_machines() {
    let dir = Scratch::new("snapshot", "identical");
    for (script, users) in [
        (BASE, USERS),
        ("fixtures/example/sales.qvs", "fixtures/example/users.json"),
    ] {
        let mut texts = vec![];
        for (i, threads) in [None, None, Some("1"), Some("3")].into_iter().enumerate() {
            let out = dir.arg(&format!("run{i}.snapshot"));
            let env: Vec<(&str, &str)> = threads
                .map(|t| vec![("RAYON_NUM_THREADS", t)])
                .unwrap_or_default();
            let (code, stdout, stderr) = qsa_env(
                &["snapshot", script, "--directory", users, "--out", &out],
                &env,
            );
            assert_eq!(code, 0, "{stderr}");
            assert!(stdout.is_empty(), "a snapshot goes to its file: {stdout}");
            texts.push(read(Path::new(&out)));
        }
        assert!(texts.windows(2).all(|w| w[0] == w[1]), "{script}");
        assert!(texts[0].starts_with("# qsa snapshot 1\n"), "{}", texts[0]);
        // No absolute path (the scratch folder, the checkout) and nothing that changes between runs.
        let here = env!("CARGO_MANIFEST_DIR");
        assert!(!texts[0].contains(here), "{}", texts[0]);
    }
    // The stored snapshot was written by this code on another machine; it is what a run writes now.
    let out = dir.arg("base.snapshot");
    let (code, _, stderr) = qsa(&["snapshot", BASE, "--directory", USERS, "--out", &out]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(read(Path::new(&out)), read(Path::new(STORED)));
}

#[test]
fn the_stored_snapshot_reads_as_the_report_says() {
    // The per-user facts of the snapshot agree with `qsa report --format json` (the JSON contract).
    let (code, stdout, stderr) = qsa(&["report", BASE, "--directory", USERS, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let report: Value = serde_json::from_str(&stdout).expect("JSON");
    let stored = read(Path::new(STORED));
    assert!(stored.contains("\ntarget: cloud\ngroup mode: 2\nusers: 9\n"));
    for u in report["users"].as_array().expect("users") {
        let id = u["id"].as_str().expect("an id");
        let block = stored
            .split("\n\n")
            .find(|b| b.starts_with(&format!("user: {id}\n")))
            .unwrap_or_else(|| panic!("a block for {id}"));
        assert!(block.contains(&format!(
            "\n  access: {}",
            u["access"].as_str().unwrap_or("?")
        )));
        if u["access"] != "DENIED" {
            for (t, c) in u["tables"].as_object().expect("tables") {
                assert!(
                    block.contains(&format!("\n    {t}: {} / {}", c["rows"], c["total_rows"])),
                    "{id} {t}: {block}"
                );
            }
        }
    }
}

#[test]
fn check_passes_on_the_unchanged_script() {
    let (code, stdout, stderr) = check(BASE, USERS);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(stdout.is_empty(), "{stdout}");
    assert!(
        stderr.contains("fixtures/snapshot/base.snapshot is up to date (9 users)"),
        "{stderr}"
    );
    // The shared flags reach the script: the refused edit with its variable supplied is the base app.
    let (code, _, stderr) = qsa(&[
        "snapshot",
        "fixtures/snapshot/refused.qvs",
        "--directory",
        USERS,
        "--var",
        "vSalesRegion=EU",
        "--check",
        STORED,
    ]);
    assert_eq!(code, 0, "{stderr}");
}

/// The lines of the output that name a user (summary and per user), to check nobody else is named.
fn named(stdout: &str, ids: &[&str]) -> Vec<String> {
    let all = [
        "auth0|admin0001",
        "auth0|ada0002",
        "auth0|grace0003",
        "okta|00u1ken0004",
        "okta|00u1fin0005",
        "okta|00u1eve0006",
        "okta|00u1lee0007",
        "okta|00u1sam0008",
        "okta|00u1sue0009",
    ];
    all.iter()
        .filter(|id| !ids.contains(id) && stdout.contains(*id))
        .map(|id| id.to_string())
        .collect()
}

#[test]
fn widening_one_groups_access_fails_the_check_naming_the_users_and_the_rows() {
    let (code, stdout, stderr) = check("fixtures/snapshot/widen.qvs", USERS);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let ken_lee = ": okta|00u1ken0004, okta|00u1lee0007\n";
    assert!(
        stdout.contains(&format!(
            "wider access:\n  + 2 users gain access to 2 more rows of `Products`, 1 more row of `Regions` and 3 more rows of `Sales` each{ken_lee}"
        )),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("  + 2 users gain value `EU` of `REGION`{ken_lee}")),
        "{stdout}"
    );
    assert!(
        stdout.contains("    rows `Sales`: 1 → 4 of 8 (+3)\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("narrower access"), "{stdout}");
    assert_eq!(
        named(&stdout, &["okta|00u1ken0004", "okta|00u1lee0007"]),
        Vec::<String>::new()
    );
    assert!(
        stderr.contains("--out fixtures/snapshot/base.snapshot"),
        "{stderr}"
    );
    // Reverting the edit passes again.
    assert_eq!(check(BASE, USERS).0, 0);
}

#[test]
fn a_change_of_group_mode_is_named_with_whom_it_denies() {
    let (code, stdout, stderr) = check("fixtures/snapshot/mode.qvs", USERS);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert!(
        stdout
            .contains("  ~ GROUP mode changed from 2 to 0 (IdP and custom groups → IdP groups)\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains(
            "  - 2 users lose access (USER → DENIED): okta|00u1ken0004, okta|00u1lee0007\n"
        ),
        "{stdout}"
    );
    assert!(
        stdout.contains("2 of 9 users changed: 2 lose\n"),
        "{stdout}"
    );
    // Fiona's IdP group still counts under mode 0: she is not named.
    assert_eq!(
        named(&stdout, &["okta|00u1ken0004", "okta|00u1lee0007"]),
        Vec::<String>::new()
    );
}

#[test]
fn an_omit_change_is_named() {
    let (code, stdout, _) = check("fixtures/snapshot/omit.qvs", USERS);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains(
            "wider access:\n  + 2 users no longer omit `MARGIN`: okta|00u1sam0008, okta|00u1sue0009\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("  okta|00u1sam0008 (gains)\n    no longer omits: `MARGIN`\n"));
    assert_eq!(
        named(&stdout, &["okta|00u1sam0008", "okta|00u1sue0009"]),
        Vec::<String>::new()
    );
}

#[test]
fn a_lost_user_is_named() {
    let (code, stdout, _) = check(BASE, "fixtures/snapshot/users-lost.json");
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("narrower access:\n  - 1 lost user (was USER): auth0|grace0003\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("  auth0|grace0003 (loses)\n    access: USER → (absent)\n"),
        "{stdout}"
    );
    assert_eq!(named(&stdout, &["auth0|grace0003"]), Vec::<String>::new());
    // The other way round, a new user.
    let dir = Scratch::new("snapshot", "lost");
    let lost = dir.arg("lost.snapshot");
    let (code, _, _) = qsa(&[
        "snapshot",
        BASE,
        "--directory",
        "fixtures/snapshot/users-lost.json",
        "--out",
        &lost,
    ]);
    assert_eq!(code, 0);
    let (code, stdout, _) = qsa(&["diff", &lost, STORED]);
    assert_eq!(code, 1);
    assert!(
        stdout.contains("  + 1 new user (USER): auth0|grace0003\n"),
        "{stdout}"
    );
}

/// `diff --format json` without the names of the sides (which say where each came from).
fn diff_json(old: &str, new: &str) -> Value {
    let (code, stdout, stderr) = qsa(&["diff", old, new, "--directory", USERS, "--format", "json"]);
    assert!(code == 0 || code == 1, "{stderr}");
    let mut v: Value = serde_json::from_str(&stdout).expect("diff --format json prints JSON");
    for side in ["old", "new"] {
        if let Some(o) = v[side].as_object_mut() {
            o.remove("name");
        }
    }
    v
}

#[test]
fn diff_takes_scripts_and_snapshots_on_either_side() {
    let dir = Scratch::new("snapshot", "sides");
    let widen = dir.arg("widen.snapshot");
    let (code, _, stderr) = qsa(&[
        "snapshot",
        "fixtures/snapshot/widen.qvs",
        "--directory",
        USERS,
        "--out",
        &widen,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let script_script = diff_json(BASE, "fixtures/snapshot/widen.qvs");
    assert_eq!(script_script["schema"], "qsa.diff/1");
    assert_eq!(script_script["changed"], true);
    assert_eq!(
        diff_json(STORED, "fixtures/snapshot/widen.qvs"),
        script_script
    );
    assert_eq!(diff_json(STORED, &widen), script_script);
    assert_eq!(diff_json(BASE, &widen), script_script);
    let ids: Vec<&str> = script_script["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str())
        .collect();
    assert_eq!(ids, ["okta|00u1ken0004", "okta|00u1lee0007"]);
    // The same on both sides: exit 0 and no change.
    let (code, stdout, _) = qsa(&["diff", STORED, BASE, "--directory", USERS]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("no change: 9 users see the same"),
        "{stdout}"
    );
}

#[test]
fn diff_formats() {
    let args = |format: &str| {
        let (code, stdout, stderr) = qsa(&[
            "diff",
            STORED,
            "fixtures/snapshot/mixed.qvs",
            "--directory",
            USERS,
            "--format",
            format,
        ]);
        assert_eq!(code, 1, "{stderr}");
        stdout
    };
    insta::assert_snapshot!("diff_mixed_human", args("human"));
    insta::assert_snapshot!("diff_mixed_markdown", args("markdown"));
    insta::assert_snapshot!("diff_mixed_json", args("json"));
}

#[test]
fn check_prints_the_change_in_the_chosen_format() {
    let (code, stdout, _) = qsa(&[
        "snapshot",
        "fixtures/snapshot/widen.qvs",
        "--directory",
        USERS,
        "--check",
        STORED,
        "--format",
        "markdown",
    ]);
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("### qsa diff: access changed for 2 of 9 users\n"),
        "{stdout}"
    );
    assert!(stdout.contains("<details>"), "{stdout}");
}

/// Write `text` as a snapshot file and run `--check` and `diff` on it: both exit 2; stderr is returned.
fn malformed(name: &str, text: &[u8]) -> Vec<String> {
    let dir = Scratch::new("snapshot", name);
    let bad = dir.path("bad.snapshot");
    std::fs::write(&bad, text).expect("write the file");
    let bad = bad.display().to_string();
    let runs = [
        qsa(&["snapshot", BASE, "--directory", USERS, "--check", &bad]),
        qsa(&["diff", &bad, BASE, "--directory", USERS]),
        qsa(&["diff", BASE, &bad, "--directory", USERS]),
    ];
    runs.into_iter()
        .map(|(code, stdout, stderr)| {
            assert_eq!(code, 2, "{stdout}{stderr}");
            assert!(stdout.is_empty(), "{stdout}");
            stderr.replace(&bad, "bad.snapshot")
        })
        .collect()
}

#[test]
fn a_malformed_snapshot_exits_2_with_its_location_and_what_was_expected() {
    let stored = read(Path::new(STORED));
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "mode",
            stored.replace("group mode: 2", "group mode: 7").into_bytes(),
            "bad.snapshot:6:13: malformed snapshot: expected 0, 1 or 2, found `7`",
        ),
        (
            "truncated",
            // the header and the first five user blocks
            stored
                .match_indices("\n\nuser: ")
                .nth(5)
                .and_then(|(at, _)| stored.get(..at + 1))
                .unwrap_or_default()
                .as_bytes()
                .to_vec(),
            "bad.snapshot:7:8: malformed snapshot: the header says 9 users but the file has 5 user blocks",
        ),
        (
            "newer",
            stored
                .replace("# qsa snapshot 1", "# qsa snapshot 3")
                .replace("  access: ADMIN\n", "  access: ADMIN\n  roles: TenantAdmin\n")
                .into_bytes(),
            "bad.snapshot:1:16: malformed snapshot: snapshot format 3 (written by a newer qsa); this qsa reads formats 1 to 2",
        ),
        (
            "unknown-key",
            stored
                .replace("  access: ADMIN\n", "  access: ADMIN\n  roles: TenantAdmin\n")
                .into_bytes(),
            "bad.snapshot:22:3: malformed snapshot: unknown key `roles` in the block of user `auth0|admin0001`",
        ),
        (
            "not-utf8",
            [b"# qsa snapshot 1\ntarget: cl".as_slice(), b"\xff\xfe"].concat(),
            "bad.snapshot:2:11: malformed snapshot: expected UTF-8 text",
        ),
    ];
    for (name, text, want) in cases {
        for stderr in malformed(name, &text) {
            assert!(stderr.contains(want), "{name}: {stderr}");
            assert!(stderr.contains("QSA404"), "{name}: {stderr}");
        }
    }
    let (code, _, stderr) = qsa(&["diff", "fixtures/snapshot/no-such.snapshot", BASE]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read"), "{stderr}");
}

#[test]
fn a_run_that_cannot_evaluate_writes_nothing() {
    let dir = Scratch::new("snapshot", "refused");
    let out = dir.path("access.snapshot");
    std::fs::write(&out, "the previous snapshot\n").expect("write");
    let args = |out: &str| {
        qsa(&[
            "snapshot",
            "fixtures/snapshot/refused.qvs",
            "--directory",
            USERS,
            "--out",
            out,
        ])
    };
    let (code, stdout, stderr) = args(&out.display().to_string());
    assert_eq!(code, 2, "{stdout}{stderr}");
    assert!(stderr.contains("refusing to take a snapshot"), "{stderr}");
    assert!(stderr.contains("QSA215"), "{stderr}");
    assert_eq!(read(&out), "the previous snapshot\n");
    let (code, _, _) = args(&dir.arg("new.snapshot"));
    assert_eq!(code, 2);
    assert_eq!(
        dir.files(),
        ["access.snapshot"],
        "no file, no temporary file"
    );
    // `--check` and `diff` refuse too (exit 2, never "no change").
    let (code, stdout, _) = qsa(&[
        "snapshot",
        "fixtures/snapshot/refused.qvs",
        "--directory",
        USERS,
        "--check",
        STORED,
    ]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    let (code, stdout, _) = qsa(&["diff", STORED, "fixtures/snapshot/refused.qvs"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
}

#[test]
fn out_and_check_are_one_or_the_other() {
    let (code, _, stderr) = qsa(&["snapshot", BASE, "--out", "x", "--check", STORED]);
    assert_eq!(code, 2, "{stderr}");
    let (code, _, stderr) = qsa(&["snapshot", BASE]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("--out"), "{stderr}");
}

/// Edits of `base.qvs`, each a (line as it is, line as edited) pair; any subset applies together.
const EDITS: &[(&str, &str)] = &[
    (
        "USER, *, *, CG-APAC-READERS, APAC,",
        "USER, *, *, CG-APAC-READERS, APAC,\nUSER, *, *, CG-APAC-READERS, EU,",
    ),
    ("SET QlikCloudGroupMode=2;", "SET QlikCloudGroupMode=1;"),
    (
        "USER, *, *, SALES-EU, EU, MARGIN",
        "USER, *, *, SALES-EU, EU,",
    ),
    (
        "USER, *, ada@example.org, *, EU,",
        "ADMIN, *, ada@example.org, *, EU,",
    ),
    (
        "USER, *, grace@example.org, *, US, MARGIN",
        "USER, *, grace@example.org, *, US, RegionName",
    ),
    ("USER, *, *, FINANCE, *,", "USER, *, *, FINANCE, US,"),
    (
        "ADMIN, auth0|admin0001, *, *, ,",
        "ADMIN, auth0|admin0001, *, *, ,\nUSER, *, eve@example.org, *, LATAM,",
    ),
    ("1008, US, P2, 90", "1008, EU, P2, 90"),
];

fn edited(mask: u8) -> String {
    let mut s = read(Path::new(BASE));
    for (i, (from, to)) in EDITS.iter().enumerate() {
        if mask & (1 << i) != 0 {
            assert!(s.contains(from), "edit {i} applies");
            s = s.replacen(from, to, 1);
        }
    }
    s
}

/// Each user's report entry (the JSON contract), by id.
fn report_users(script: &str) -> std::collections::BTreeMap<String, Value> {
    let (code, stdout, stderr) = qsa(&["report", script, "--directory", USERS, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    users_by_id(&stdout)
}

/// Between two edits of the script: the users `diff` names, the users whose report entry differs
/// (computed independently, one script at a time), and whether `diff` says anything changed.
fn named_and_expected(tag: &str, old: u8, new: u8) -> (Vec<String>, Vec<String>, bool, bool) {
    let dir = Scratch::new("snapshot", &format!("{tag}-{old}-{new}"));
    let (a, b) = (dir.arg("old.qvs"), dir.arg("new.qvs"));
    std::fs::write(&a, edited(old)).expect("write");
    std::fs::write(&b, edited(new)).expect("write");
    let (ra, rb) = (report_users(&a), report_users(&b));
    let expected: Vec<String> = ra
        .keys()
        .filter(|id| ra.get(*id) != rb.get(*id))
        .cloned()
        .collect();
    let d = diff_json(&a, &b);
    let named: Vec<String> = d["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["id"].as_str().map(String::from))
        .collect();
    let global =
        d["group_mode"].is_object() || d["tables"].as_array().is_some_and(|t| !t.is_empty());
    (named, expected, d["changed"] == true, global)
}

#[test]
fn every_edit_changes_someone_and_diff_names_exactly_them() {
    for i in 0..EDITS.len() {
        let (named, expected, changed, _) = named_and_expected("each-edit", 0, 1 << i);
        assert!(!expected.is_empty(), "edit {i} changes someone's access");
        assert_eq!(named, expected, "edit {i}");
        assert!(changed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// `diff` names every user whose report entry differs between two sets of edits of the script, and
    /// nobody else.
    #[test]
    fn diff_names_every_user_whose_access_changed_and_nobody_else(old in 0u8..=255, new in 0u8..=255) {
        let (named, expected, changed, global) = named_and_expected("edits", old, new);
        prop_assert_eq!(&named, &expected);
        prop_assert_eq!(changed, !expected.is_empty() || global);
    }
}
