//! The lints where the tenant tier and Section Access disagree (QSA430–QSA435, `reduce::tenant_lints`),
//! through `qsa check --tenant DIR --app X` and `qsa report --tenant`. The worked example of tenant.md §4
//! (`fixtures/tenant/examples/budget/`, its `budget.qvs` holding the example's Section Access) fires
//! QSA430 already; small variants of it, copied to a scratch folder and edited, make every other lint
//! fire once and stay quiet on a sound variant.

#[path = "common/binary.rs"]
mod binary;
#[path = "common/scratch.rs"]
mod scratch;

use binary::qsa;
use scratch::{copy_dir, Scratch};
use serde_json::{json, Value};
use std::path::Path;

const DIR: &str = "fixtures/tenant/examples/budget";
const SCRIPT: &str = "fixtures/tenant/examples/budget/budget.qvs";
const SPACE: &str = "66f0000000000000000055aa";
const ASSIGNMENTS: &str = "assignments/66f0000000000000000055aa.json";
const OPS: &str = "66aa00000000000000000b03";
const FAY_ID: &str = "65f1c0ffee0000000000a006";
const FAY: &str = "00ufay0000000000000";

/// The Section Access rows of `budget.qvs` (tenant.md §4).
const BUDGET_ROWS: [&str; 3] = [
    "USER, *, FINANCE, EU",
    "ADMIN, 00ucy0000000000000, *, *",
    "USER, 00ueve0000000000000, *, US",
];

/// `check --format json` of `script` with `--tenant dir --app Budget`: (exit code, diagnostics).
fn check(script: &str, dir: &str) -> (i32, Vec<Value>) {
    let (code, out, err) = qsa(&[
        "check", script, "--tenant", dir, "--app", "Budget", "--format", "json",
    ]);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out} {err}"));
    (
        code,
        v["diagnostics"].as_array().cloned().unwrap_or_default(),
    )
}

/// The diagnostics with `code`.
fn with_code<'a>(diags: &'a [Value], code: &str) -> Vec<&'a Value> {
    diags.iter().filter(|d| d["code"] == code).collect()
}

/// The QSA43x codes among `diags`, in order.
fn lint_codes(diags: &[Value]) -> Vec<&str> {
    diags
        .iter()
        .filter_map(|d| d["code"].as_str())
        .filter(|c| c.starts_with("QSA43"))
        .collect()
}

/// None of `codes` fires on the variant.
fn assert_quiet(v: &Variant, codes: &[&str]) {
    let (_, diags) = v.check();
    let fired = lint_codes(&diags);
    assert!(
        !codes.iter().any(|c| fired.contains(c)),
        "{}: {diags:#?}",
        v.dir()
    );
}

/// The budget variant `name` with one more Section Access row `extra` under `mode`, after `setup`: its
/// diagnostics, and the one finding with `code` (asserted to be the only one).
fn one_finding(
    name: &str,
    mode: u8,
    extra: &str,
    setup: &dyn Fn(&Variant),
    code: &str,
) -> (Vec<Value>, Value) {
    let v = Variant::new(name);
    setup(&v);
    let rows = [BUDGET_ROWS.as_slice(), &[extra]].concat();
    v.sa(mode, "ACCESS, USERID, GROUP, REGION", &rows);
    let (_, diags) = v.check();
    let found: Vec<Value> = with_code(&diags, code).into_iter().cloned().collect();
    assert_eq!(found.len(), 1, "{name}: {diags:#?}");
    let one = found[0].clone();
    (diags, one)
}

fn rules(d: &Value) -> Vec<&str> {
    d["rules"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// A copy of the budget fixture to edit.
struct Variant(Scratch);

impl Variant {
    fn new(name: &str) -> Variant {
        let s = Scratch::new("tlint", name);
        copy_dir(Path::new(DIR), s.dir());
        Variant(s)
    }
    fn dir(&self) -> String {
        self.0.dir().display().to_string()
    }
    fn script(&self) -> String {
        self.0.arg("budget.qvs")
    }
    fn read(&self, file: &str) -> Value {
        let text = std::fs::read_to_string(self.0.path(file)).expect("read");
        serde_json::from_str(&text).expect("one JSON document")
    }
    fn write(&self, file: &str, v: &Value) {
        std::fs::write(self.0.path(file), v.to_string()).expect("write");
    }
    /// Append `item` to a bare array or a `{data}` page.
    fn push(&self, file: &str, item: Value) {
        let mut v = self.read(file);
        let list = if v.is_array() { &mut v } else { &mut v["data"] };
        list.as_array_mut().expect("a list").push(item);
        self.write(file, &v);
    }
    /// Rewrite the script: `mode`, the Section Access `header` and `rows`; the app table has REGION and
    /// AMOUNT.
    fn sa(&self, mode: u8, header: &str, rows: &[&str]) {
        let text = format!(
            "SET QlikCloudGroupMode={mode};\n\nSection Access;\nAccess:\nLOAD * INLINE [\n{header}\n{}\n];\nSection Application;\n\nBudget:\nLOAD * INLINE [\nREGION, AMOUNT\nEU, 100\nUS, 200\n];\n",
            rows.join("\n")
        );
        std::fs::write(self.0.path("budget.qvs"), text).expect("write");
    }
    /// IdP group Ops, and user fay who holds only Ops.
    fn add_ops_and_fay(&self) {
        self.push(
            "groups.json",
            json!({"id": OPS, "name": "Ops", "status": "active", "providerType": "idp",
                   "assignedRoles": []}),
        );
        self.push(
            "users.json",
            json!({"id": FAY_ID, "subject": FAY, "name": "Fay", "email": "fay@example.org",
                   "status": "active", "assignedRoles": [],
                   "assignedGroups": [{"id": OPS, "name": "Ops", "providerType": "idp",
                                       "assignedRoles": []}]}),
        );
    }
    /// Space role `role` on Fin for the assignee (`type` user or group).
    fn assign(&self, kind: &str, assignee: &str, role: &str) {
        self.push(
            ASSIGNMENTS,
            json!({"id": format!("67b00000000000000{assignee}"), "type": kind,
                   "assigneeId": assignee, "roles": [role], "spaceId": SPACE}),
        );
    }
    fn check(&self) -> (i32, Vec<Value>) {
        check(&self.script(), &self.dir())
    }
}

// The budget fixture, human output: QSA430 for cy (T13: TenantAdmin has no route into a managed space),
// eve (T6 Sales disabled, T12 publisher does not open) and dee (T7 disabled, info); no error, exit 0.
#[test]
fn budget_check_human_snapshot() {
    let (code, out, err) = qsa(&["check", SCRIPT, "--tenant", DIR, "--app", "Budget"]);
    assert_eq!(code, 0, "{err}");
    insta::assert_snapshot!("budget_check_tenant_human", out);
    // With --deny warnings the QSA430 warnings fail the check.
    let (code, _, _) = qsa(&[
        "check", SCRIPT, "--tenant", DIR, "--app", "Budget", "--deny", "warnings",
    ]);
    assert_eq!(code, 1);
}

// QSA430 (T15): Section Access grants cy ADMIN and eve USER, who cannot open (T13, T6/T12: warnings), and
// dee USER, who is disabled (T7: info); each located at the row that grants them.
#[test]
fn qsa430_granted_but_cannot_open_t13_t12_t7() {
    let (code, diags) = check(SCRIPT, DIR);
    assert_eq!(code, 0);
    assert_eq!(lint_codes(&diags), ["QSA430", "QSA430", "QSA430"]);
    let found = with_code(&diags, "QSA430");
    let about = |who: &str| {
        *found
            .iter()
            .find(|d| d["message"].as_str().unwrap_or("").contains(who))
            .unwrap_or_else(|| panic!("a QSA430 about {who}"))
    };
    let cy = about("`00ucy0000000000000` (Cy) is granted ADMIN");
    assert_eq!(cy["severity"], "warning");
    assert!(rules(cy).contains(&"T13") && rules(cy).contains(&"T15"));
    assert!(cy["message"]
        .as_str()
        .unwrap_or("")
        .contains("`Fin` is managed (T13)"));
    assert_eq!(
        (cy["file"].as_str(), cy["line"].as_u64()),
        (Some(SCRIPT), Some(12))
    );
    let eve = about("`00ueve0000000000000` (Eve) is granted USER");
    assert_eq!(eve["severity"], "warning");
    assert!(rules(eve).contains(&"T6") && rules(eve).contains(&"T12"));
    assert_eq!(eve["line"], 13);
    let dee = about("`00udee0000000000000` (Dee) is granted USER");
    assert_eq!(dee["severity"], "info");
    assert!(rules(dee).contains(&"T7"));
    // dee is granted by the FINANCE row.
    assert_eq!(dee["line"], 11);
}

// QSA430 quiet: the worked example 2 (Fin shared, eve producer: T13, T12) with dee enabled: every user
// Section Access grants opens the app.
#[test]
fn qsa430_quiet_when_every_granted_user_opens_t13() {
    let v = Variant::new("shared");
    let mut spaces = v.read("spaces.json");
    spaces[0]["type"] = json!("shared");
    spaces[0]["meta"] = json!({});
    v.write("spaces.json", &spaces);
    let mut a = v.read(ASSIGNMENTS);
    a[2]["roles"] = json!(["producer"]);
    v.write(ASSIGNMENTS, &a);
    let mut users = v.read("users.json");
    users[3]["status"] = json!("active");
    v.write("users.json", &users);
    let (code, diags) = v.check();
    assert_eq!(code, 0);
    assert_eq!(lint_codes(&diags), Vec::<&str>::new(), "{diags:#?}");
}

// QSA431 (T15, L1) and QSA433 (T11, T12, I6): group Ops holds consumer on Fin, Section Access never lists
// OPS, so fay opens the app and gets an error. QSA431 is an error (exit 1); QSA433 names the export file.
#[test]
fn qsa431_qsa433_space_role_to_unlisted_group_t15_l1() {
    let v = Variant::new("ops");
    v.add_ops_and_fay();
    v.assign("group", OPS, "consumer");
    let (code, diags) = v.check();
    assert_eq!(code, 1, "QSA431 is an error");
    let denied = with_code(&diags, "QSA431");
    assert_eq!(denied.len(), 1);
    let m = denied[0]["message"].as_str().unwrap_or("");
    assert!(
        m.starts_with("1 user(s) open the app `Budget` but Section Access denies them (not listed"),
        "{m}"
    );
    assert!(
        m.contains("`00ufay0000000000000` (Fay) opens it as consumer via group Ops"),
        "{m}"
    );
    assert_eq!(denied[0]["severity"], "error");
    assert_eq!(rules(denied[0]), ["T15", "L1"]);
    assert!(denied[0]["file"]
        .as_str()
        .unwrap_or("")
        .ends_with("budget.qvs"));
    let unlisted = with_code(&diags, "QSA433");
    assert_eq!(unlisted.len(), 1);
    let m = unlisted[0]["message"].as_str().unwrap_or("");
    assert!(
        m.starts_with(&format!(
            "{ASSIGNMENTS}: space role consumer on space `Fin` is given to IdP group `Ops`"
        )),
        "{m}"
    );
    assert!(m.contains("`00ufay0000000000000` (Fay)"), "{m}");
    assert_eq!(unlisted[0]["severity"], "warning");
    // Located at the assignment in the export file.
    let file = unlisted[0]["file"].as_str().unwrap_or("");
    assert!(file.ends_with(ASSIGNMENTS), "{file}");
    let line = unlisted[0]["line"].as_u64().unwrap_or(0) as usize;
    let text = std::fs::read_to_string(file).unwrap_or_default();
    let at = text.lines().nth(line - 1).unwrap_or("");
    assert!(at.contains(OPS), "{at}");
    // The assignment file is one line (written compactly): the column points at the id.
    let col = unlisted[0]["column"].as_u64().unwrap_or(0) as usize;
    assert!(at[col - 1..].starts_with(&format!("\"{OPS}\"")));
    // `report --tenant` prints the same findings; its exit code stays 0.
    let (code, out, err) = qsa(&[
        "report",
        &v.script(),
        "--tenant",
        &v.dir(),
        "--app",
        "Budget",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let r: Value = serde_json::from_str(&out).expect("JSON");
    let codes: Vec<&str> = r["diagnostics"]
        .as_array()
        .map(|a| a.iter().filter_map(|d| d["code"].as_str()).collect())
        .unwrap_or_default();
    assert!(
        codes.contains(&"QSA431") && codes.contains(&"QSA433"),
        "{codes:?}"
    );
}

// QSA431/QSA433 quiet: fay is covered by a USERID row, or every user by a `*` row (I1): the space role
// to Ops does no harm.
#[test]
fn qsa431_qsa433_quiet_when_userid_or_star_row_covers_i1() {
    for (name, extra) in [
        ("userid", "USER, 00ufay0000000000000, *, EU"),
        ("star", "USER, *, *, EU"),
    ] {
        let v = Variant::new(name);
        v.add_ops_and_fay();
        v.assign("group", OPS, "consumer");
        let rows = [BUDGET_ROWS.as_slice(), &[extra]].concat();
        v.sa(0, "ACCESS, USERID, GROUP, REGION", &rows);
        assert_quiet(&v, &["QSA431", "QSA433"]);
    }
}

// QSA432 (T11, T12, T14, I6): Section Access lists OPS, but Ops holds no space role on Fin and no share,
// so fay (who holds only Ops) cannot open the app; located at the OPS row. Quiet when Ops holds consumer,
// or when fay opens by a route of her own.
#[test]
fn qsa432_group_used_without_space_role_t11() {
    let rows = [BUDGET_ROWS.as_slice(), &["USER, *, OPS, US"]].concat();
    let (diags, found) = one_finding(
        "ops-no-role",
        0,
        "USER, *, OPS, US",
        &|v| v.add_ops_and_fay(),
        "QSA432",
    );
    let found = [&found];
    let m = found[0]["message"].as_str().unwrap_or("");
    assert!(m.starts_with("GROUP `OPS` (IdP group `Ops`) is used in Section Access, but the group holds no space role that opens apps on space `Fin` and no share of the app `Budget`: 1 of its 1 member(s) cannot open the app: `00ufay0000000000000` (Fay)"), "{m}");
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(found[0]["line"], 10, "the OPS row");
    assert!(rules(found[0]).contains(&"T11") && rules(found[0]).contains(&"I6"));
    // fay herself: granted USER, cannot open (QSA430).
    assert!(with_code(&diags, "QSA430").iter().any(|d| d["message"]
        .as_str()
        .unwrap_or("")
        .contains("(Fay) is granted USER")));

    for (name, kind, assignee) in [("ops-role", "group", OPS), ("fay-role", "user", FAY_ID)] {
        let v = Variant::new(name);
        v.add_ops_and_fay();
        v.sa(0, "ACCESS, USERID, GROUP, REGION", &rows);
        v.assign(kind, assignee, "consumer");
        let (_, diags) = v.check();
        assert!(with_code(&diags, "QSA432").is_empty(), "{name}: {diags:#?}");
    }
}

// QSA434 (S7, I6, T2): GROUP names the custom group CG-Export while QlikCloudGroupMode is 0: located at
// the GROUP cell. Quiet under mode 2 (the group's member ana opens the app anyway, so QSA432 is quiet
// too).
#[test]
fn qsa434_custom_group_under_mode_0_s7() {
    let rows = [BUDGET_ROWS.as_slice(), &["USER, *, CG-EXPORT, US"]].concat();
    let (_, found) = one_finding("mode0", 0, "USER, *, CG-EXPORT, US", &|_| {}, "QSA434");
    let found = [&found];
    assert_eq!(
        found[0]["message"],
        "GROUP `CG-EXPORT` names the custom group `CG-Export`, but QlikCloudGroupMode is 0 (IdP groups only): its rows never match the group's members"
    );
    assert_eq!(found[0]["severity"], "warning");
    assert_eq!(rules(found[0]), ["S7", "I6", "T2"]);
    // Line 10 `USER, *, CG-EXPORT, US`: the cell starts at column 10.
    assert_eq!(
        (found[0]["line"].as_u64(), found[0]["column"].as_u64()),
        (Some(10), Some(10))
    );
    assert_eq!(found[0]["end_column"], 19);

    let v = Variant::new("mode2");
    v.sa(2, "ACCESS, USERID, GROUP, REGION", &rows);
    assert_quiet(&v, &["QSA432", "QSA434"]);
}

// QSA435 (O1, T16, T17): OMIT hides AMOUNT from eve, so AMOUNT is sensitive; ana keeps it and her
// download is allowed (Exporters via CG-Export): one finding naming ana (ben's download is no-data, cy
// and eve cannot open). Quiet when the FINANCE rows omit AMOUNT too.
#[test]
fn qsa435_download_of_omitted_field_o1_t16() {
    let header = "ACCESS, USERID, GROUP, REGION, OMIT";
    let v = Variant::new("omit");
    v.sa(
        0,
        header,
        &[
            "USER, *, FINANCE, EU,",
            "ADMIN, 00ucy0000000000000, *, *,",
            "USER, 00ueve0000000000000, *, US, AMOUNT",
        ],
    );
    let (_, diags) = v.check();
    let found = with_code(&diags, "QSA435");
    assert_eq!(found.len(), 1, "{diags:#?}");
    assert_eq!(
        found[0]["message"],
        "1 user(s) can download `AMOUNT` out of the app `Budget`: Section Access omits this field for other users but not for them, and their In-app content download is Allowed: `00uana0000000000000` (Ana)"
    );
    assert_eq!(rules(found[0]), ["O1", "T16", "T17"]);
    assert_eq!(found[0]["line"], 4, "the security table's LOAD");

    let v = Variant::new("omit-all");
    v.sa(
        0,
        header,
        &[
            "USER, *, FINANCE, EU, AMOUNT",
            "ADMIN, 00ucy0000000000000, *, *,",
            "USER, 00ueve0000000000000, *, US, AMOUNT",
        ],
    );
    let (_, diags) = v.check();
    assert!(with_code(&diags, "QSA435").is_empty(), "{diags:#?}");
}

// `check --tenant` checks one script run in full; tenant exports that cannot be read: exit 2.
#[test]
fn check_tenant_flag_errors_exit_2() {
    for args in [
        vec![
            "check",
            SCRIPT,
            "--tenant",
            DIR,
            "--app",
            "Budget",
            "--syntax-only",
        ],
        vec!["check", SCRIPT, SCRIPT, "--tenant", DIR, "--app", "Budget"],
        vec!["check", SCRIPT, "--tenant", DIR, "--app", "NoSuchApp"],
        vec![
            "check",
            SCRIPT,
            "--tenant",
            "fixtures/tenant/none",
            "--app",
            "Budget",
        ],
    ] {
        let (code, _, err) = qsa(&args);
        assert_eq!(code, 2, "{args:?}: {err}");
    }
}

// QSA430 at scale: one finding per user for the first 50 (by subject), the rest in one finding per kind;
// here 52 more disabled Finance users (T7): cy, dee, eve and 47 of them one each, 5 in one info.
#[test]
fn qsa430_bounded_beyond_50_users_t7() {
    let v = Variant::new("many");
    for i in 0..52 {
        v.push(
            "users.json",
            json!({"id": format!("65f1c0ffee00000000{i:06}"), "subject": format!("00uzz{i:014}"),
                   "name": format!("Z{i}"), "status": "disabled",
                   "assignedGroups": [{"id": "66aa00000000000000000b01", "name": "Finance",
                                       "providerType": "idp"}]}),
        );
    }
    let (_, diags) = v.check();
    let found = with_code(&diags, "QSA430");
    assert_eq!(found.len(), 51, "{diags:#?}");
    let rest: Vec<&&Value> = found
        .iter()
        .filter(|d| d["message"].as_str().unwrap_or("").starts_with("and "))
        .collect();
    assert_eq!(rest.len(), 1);
    assert_eq!(
        rest[0]["message"],
        "and 5 more user(s) Section Access grants cannot open the app `Budget`: their status keeps them out (T7): `00uzz00000000000047` (Z47), `00uzz00000000000048` (Z48), `00uzz00000000000049` (Z49), `00uzz00000000000050` (Z50), `00uzz00000000000051` (Z51)"
    );
    assert_eq!(rest[0]["severity"], "info");
    assert_eq!(rules(rest[0]), ["T7", "T15"]);
}

// Fail closed: when Section Access cannot be evaluated (S7: an invalid QlikCloudGroupMode), check reports
// the errors (exit 1) and the tenant's own warnings (QSA423, T6), and no tenant × Section Access lint.
#[test]
fn no_lints_when_section_access_cannot_be_evaluated_s7() {
    let v = Variant::new("bad-mode");
    v.sa(7, "ACCESS, USERID, GROUP, REGION", &BUDGET_ROWS);
    let (code, diags) = v.check();
    assert_eq!(code, 1);
    assert_eq!(with_code(&diags, "QSA211").len(), 1, "{diags:#?}");
    assert_eq!(with_code(&diags, "QSA423").len(), 1, "{diags:#?}");
    assert_eq!(lint_codes(&diags), Vec::<&str>::new());
}

// QSA432 with T6: Section Access lists SALES, whose consumer role on Fin counts for nothing because the
// group is disabled; its member eve cannot open the app.
#[test]
fn qsa432_disabled_group_role_counts_for_nothing_t6() {
    let (_, found) = one_finding("sales", 0, "USER, *, SALES, US", &|_| {}, "QSA432");
    let m = found["message"].as_str().unwrap_or("");
    assert!(m.contains("(its roles count for nothing: the group is disabled, T6): 1 of its 1 member(s) cannot open the app: `00ueve0000000000000` (Eve)"), "{m}");
    assert!(rules(&found).contains(&"T6"));
}

// QSA433 for Everyone (T3, T11): consumer on Fin for Everyone lets fay in, whom Section Access does not
// list; cy and eve now open too and are granted, so QSA430 is quiet for them.
#[test]
fn qsa433_everyone_space_role_t11() {
    let v = Variant::new("everyone");
    v.add_ops_and_fay();
    v.assign("group", "000000000000000000000001", "consumer");
    let (code, diags) = v.check();
    assert_eq!(code, 1);
    let found = with_code(&diags, "QSA433");
    assert_eq!(found.len(), 1, "{diags:#?}");
    let m = found[0]["message"].as_str().unwrap_or("");
    assert!(
        m.contains("is given to Everyone (every user of the tenant)"),
        "{m}"
    );
    assert!(m.ends_with("`00ufay0000000000000` (Fay)"), "{m}");
    let open_denied = with_code(&diags, "QSA431");
    assert_eq!(open_denied.len(), 1);
    assert!(open_denied[0]["message"]
        .as_str()
        .unwrap_or("")
        .ends_with("`00ufay0000000000000` (Fay) opens it as consumer via everyone"));
    // Only dee (disabled) is still granted but kept out.
    let granted = with_code(&diags, "QSA430");
    assert_eq!(granted.len(), 1);
    assert_eq!(granted[0]["severity"], "info");
}

// I3, S4: a GROUP cell `Ops` loaded from a file keeps its lower-case letters and matches nobody, so it
// does not list group Ops: QSA433 still fires for Ops' space role (and QSA111 names the cell).
#[test]
fn lower_case_group_cell_lists_no_group_i3() {
    let v = Variant::new("lower");
    v.add_ops_and_fay();
    v.assign("group", OPS, "consumer");
    std::fs::write(
        v.0.path("sa.csv"),
        "ACCESS,USERID,GROUP,REGION\nUSER,*,FINANCE,EU\nADMIN,00UCY0000000000000,*,*\nUSER,*,Ops,US\n",
    )
    .expect("write");
    std::fs::write(
        v.0.path("budget.qvs"),
        "Section Access;\nAccess:\nLOAD * FROM [sa.csv] (txt, utf8, embedded labels, delimiter is ',');\nSection Application;\nBudget:\nLOAD * INLINE [\nREGION, AMOUNT\nEU, 100\nUS, 200\n];\n",
    )
    .expect("write");
    let (_, diags) = v.check();
    assert_eq!(with_code(&diags, "QSA111").len(), 1, "{diags:#?}");
    assert_eq!(with_code(&diags, "QSA433").len(), 1, "{diags:#?}");
    assert!(with_code(&diags, "QSA432").is_empty());
}

// QSA432 for a group nobody holds yet (IdP groups appear at login): Ops is in groups.json and listed in
// GROUP, without a space role and without members.
#[test]
fn qsa432_group_without_members_t11() {
    let setup = |v: &Variant| {
        v.push(
            "groups.json",
            json!({"id": OPS, "name": "Ops", "status": "active", "providerType": "idp"}),
        )
    };
    let (_, found) = one_finding("ops-empty", 0, "USER, *, OPS, US", &setup, "QSA432");
    assert!(found["message"]
        .as_str()
        .unwrap_or("")
        .ends_with(": no user of users.json holds it yet; whoever does later opens the app only by another route"));
}
