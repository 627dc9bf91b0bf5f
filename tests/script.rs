//! The script runner against realistic scripts in `fixtures/scripts/<name>/`, with hand-computed
//! expected tables (exact cell values), and insta snapshots of `qsa model`.

use qsa::diag::Severity;
use qsa::model::{DataModel, RowOrigin, Table};
use qsa::script::{run_file, RunOptions, RunResult};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/scripts")
        .join(name)
}

fn run_with(name: &str, opts: RunOptions) -> RunResult {
    run_file(&fixture(name).join("main.qvs"), &opts).expect("fixture script is readable")
}

fn run(name: &str) -> RunResult {
    run_with(name, RunOptions::default())
}

fn table<'a>(m: &'a DataModel, name: &str) -> &'a Table {
    m.table(name).unwrap_or_else(|| {
        panic!(
            "no table `{name}`; tables: {:?}",
            m.tables.iter().map(|t| &t.name).collect::<Vec<_>>()
        )
    })
}

/// All cells as text (`-` for NULL), row by row.
fn cells(t: &Table) -> Vec<Vec<String>> {
    (0..t.row_count())
        .map(|i| t.row(i).iter().map(|v| v.to_string()).collect())
        .collect()
}

fn rows(expected: &[&[&str]]) -> Vec<Vec<String>> {
    expected
        .iter()
        .map(|r| r.iter().map(|s| s.to_string()).collect())
        .collect()
}

fn col(t: &Table, field: &str) -> Vec<String> {
    t.column(field)
        .unwrap_or_else(|| panic!("no field `{field}` in `{}`: {:?}", t.name, t.fields))
        .iter()
        .map(|v| v.to_string())
        .collect()
}

/// Row `i` of `t` came from record `record` of a file whose path ends with `file`.
fn assert_file_origin(t: &Table, i: usize, file: &str, record: usize) {
    assert!(
        matches!(t.origins.get(i), Some(RowOrigin::File { path, row }) if path.ends_with(file) && row == record),
        "row {i}: {:?}",
        t.origins
    );
}

fn names(m: &DataModel) -> Vec<&str> {
    m.tables.iter().map(|t| t.name.as_str()).collect()
}

fn diag_codes(r: &RunResult, sev: Severity) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = r
        .diagnostics
        .iter()
        .filter(|d| d.severity == sev)
        .map(|d| d.code)
        .collect();
    v.sort();
    v
}

fn dump(r: &RunResult) -> String {
    r.diagnostics
        .iter()
        .map(|d| format!("{} {}: {}\n", d.severity, d.code, d.message))
        .collect()
}

fn var<'a>(r: &'a RunResult, name: &str) -> Option<&'a str> {
    r.variables.get(name).map(String::as_str)
}

// ---------------------------------------------------------------------------------------------- sales

#[test]
fn sales_builds_the_expected_tables() {
    let r = run("sales");
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    // S6: both includes were read; nothing to warn about.
    assert!(diag_codes(&r, Severity::Warning).is_empty(), "{}", dump(&r));
    assert_eq!(
        r.variables.get("vOptionalSettings").map(String::as_str),
        Some("loaded")
    );
    // S2: app and security tables are kept apart.
    assert_eq!(
        names(&r.app),
        vec!["Customers", "Orders", "Products", "RegionSales", "Calendar"]
    );
    assert_eq!(names(&r.security), vec!["INLINE01"]);

    // S6: SET with parameters, LET evaluating the expansion, IF on a variable.
    assert_eq!(var(&r, "vAnswer"), Some("42"));
    assert_eq!(var(&r, "vFlag"), Some("yes"));
    assert_eq!(var(&r, "vDataDir"), Some("data"));

    // Mapping: ApplyMap with a default.
    let c = table(&r.app, "Customers");
    assert_eq!(c.fields, vec!["CustomerID", "Name", "REGION"]);
    assert_eq!(col(c, "REGION"), vec!["EU", "EU", "AMER", "OTHER"]);

    // FOR EACH over two files, preceding load over each, automatic concatenation of the second
    // iteration, then a LEFT JOIN adding Category.
    let o = table(&r.app, "Orders");
    assert_eq!(
        o.fields,
        vec![
            "OrderID",
            "CustomerID",
            "ProductID",
            "Qty",
            "Price",
            "Amount",
            "Year",
            "Category"
        ]
    );
    assert_eq!(
        cells(o),
        rows(&[
            &["1", "C1", "P1", "2", "10", "20", "2023", "Tools"],
            &["2", "C2", "P2", "1", "25.5", "25.5", "2023", "Tools"],
            &["3", "C3", "P1", "5", "10", "50", "2023", "Tools"],
            &["4", "C1", "P2", "3", "25.5", "76.5", "2024", "Tools"],
            &["5", "C4", "P3", "1", "100", "100", "2024", "Toys"],
        ])
    );
    // GROUP BY with ORDER BY on a joined temporary table (dropped afterwards).
    assert_eq!(
        cells(table(&r.app, "RegionSales")),
        rows(&[
            &["AMER", "50", "1"],
            &["EU", "122", "3"],
            &["OTHER", "100", "1"]
        ])
    );
    assert!(r.app.table("Tmp").is_none());
    // SUB with parameters defined in the included file; AUTOGENERATE with RecNo().
    assert_eq!(col(table(&r.app, "Calendar"), "Year"), vec!["2023", "2024"]);
}

#[test]
fn sales_security_table_is_upper_cased_with_line_origins() {
    let r = run("sales");
    let sa = table(&r.security, "INLINE01");
    // S4: INLINE in Section Access upper-cases names and values.
    assert_eq!(sa.fields, vec!["ACCESS", "USERID", "REGION"]);
    assert_eq!(
        cells(sa),
        rows(&[
            &["ADMIN", "INTERNAL\\SA_SCHEDULER", "*"],
            &["USER", "AUTH0|ALICE", "EU"],
            &["USER", "AUTH0|BOB", "AMER"]
        ])
    );
    // Row origins point at the INLINE data lines.
    let lines: Vec<String> = sa
        .origins
        .iter()
        .map(|o| match o {
            RowOrigin::Script { source, span } => {
                let (s, sp) = r.sources.origin(source, span);
                let f = r.sources.get(s).expect("source");
                f.text[sp.range()].to_string()
            }
            other => panic!("unexpected origin {other:?}"),
        })
        .collect();
    assert_eq!(
        lines,
        vec![
            "ADMIN, INTERNAL\\SA_SCHEDULER, *",
            "USER, auth0|alice, EU",
            "USER, auth0|bob, amer"
        ]
    );
}

// ------------------------------------------------------------------------------------ security files

fn security_opts(with_table: bool) -> RunOptions {
    let dir = fixture("security_files");
    RunOptions {
        libs: vec![("Security".into(), dir.join("data"))],
        tables: if with_table {
            vec![("Regions".into(), dir.join("data/db_regions.csv"))]
        } else {
            vec![]
        },
        ..Default::default()
    }
}

#[test]
fn security_from_files_keeps_values_and_trims_spaces() {
    let r = run_with("security_files", security_opts(true));
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    assert_eq!(names(&r.security), vec!["Users", "Extra"]);
    let u = table(&r.security, "Users");
    // S3 RESIDENT + WHERE; S4 names upper-cased, values kept; S5 spaces trimmed, the tab kept.
    assert_eq!(u.fields, vec!["ACCESS", "USERID", "REGION"]);
    assert_eq!(
        cells(u),
        rows(&[
            &["ADMIN", "INTERNAL\\SA_SCHEDULER", "*"],
            &["USER", "auth0|carol", "EU"],
            &["user", "AUTH0|DAVE", "us"],
            &["USER", "AUTH0|FRANK", "APAC\t"],
        ])
    );
    // File origins: path + record number survive RESIDENT.
    assert_file_origin(u, 1, "users.csv", 2);
    // S5: Verbatim = 1 keeps the spaces.
    assert_eq!(
        cells(table(&r.security, "Extra")),
        rows(&[&["USER", " mia@example.com ", "EU"]])
    );
    // --table supplies the SQL table.
    assert_eq!(
        cells(table(&r.app, "Regions")),
        rows(&[&["EU", "Ann"], &["US", "Bo"]])
    );
    // S4 lower-case warnings (ACCESS, USERID, REGION of Users; USER.EMAIL of Extra), S5 tab warning.
    assert_eq!(
        diag_codes(&r, Severity::Warning),
        vec!["QSA111", "QSA111", "QSA111", "QSA111", "QSA112"],
        "{}",
        dump(&r)
    );
    assert!(r
        .diagnostics
        .iter()
        .any(|d| d.code == "QSA111" && d.rules.contains(&"S4")));
}

/// End to end: the Section Access table read from an Excel sheet, then who sees which rows.
#[test]
fn security_from_an_excel_sheet_reduces_the_app() {
    use qsa::access::directory::User;
    use qsa::access::Target;
    use qsa::reduce::{prepare, Access};
    let opts = RunOptions {
        libs: vec![(
            "Data".into(),
            Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data/excel"),
        )],
        ..Default::default()
    };
    let r = run_with("security_excel", opts);
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    let u = table(&r.security, "Users");
    // S5 trims ` EU `; S4 keeps the file's lower-case `eu`; origins are the sheet's data rows.
    assert_eq!(
        cells(u),
        rows(&[
            &["ADMIN", "INTERNAL\\SA_SCHEDULER", "*"],
            &["USER", "AUTH0|ALICE", "EU"],
            &["USER", "AUTH0|BOB", "US"],
            &["USER", "AUTH0|CAROL", "eu"],
        ])
    );
    assert_file_origin(u, 3, "security.xlsx", 4);
    let p = prepare(&r, Target::Cloud).unwrap_or_else(|d| panic!("refused: {d:#?}"));
    let users: Vec<User> = [
        "INTERNAL\\SA_SCHEDULER",
        "auth0|alice",
        "auth0|bob",
        "auth0|carol",
        "auth0|dave",
    ]
    .into_iter()
    .map(User::new)
    .collect();
    let seen: Vec<(Access, Option<usize>)> = p
        .evaluate(&users, false)
        .iter()
        .map(|u| (u.access, u.tables.get("Sales").map(|t| t.rows)))
        .collect();
    assert_eq!(
        seen,
        vec![
            // `*` is every value listed in REGION (EU, US, eu): APAC is not among them.
            (Access::Admin, Some(3)),
            (Access::User, Some(2)),
            (Access::User, Some(1)),
            // `eu` matches no REGION value of the app (R2): denied.
            (Access::Denied, Some(0)),
            // Not listed.
            (Access::Denied, Some(0)),
        ]
    );
}

#[test]
fn sql_without_table_flag_fails_closed_when_linked() {
    let r = run_with("security_files", security_opts(false));
    let errs: Vec<_> = r.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(errs.len(), 1, "{}", dump(&r));
    assert_eq!(errs[0].code, "QSA107");
    assert!(
        errs[0].message.contains("`Regions`") && errs[0].message.contains("--table Regions=FILE"),
        "{}",
        errs[0].message
    );
    assert!(errs[0].primary.is_some());
    let t = table(&r.app, "Regions");
    assert_eq!(t.fields, vec!["REGION", "Manager"]);
    assert_eq!(t.row_count(), 0);
    assert!(!t.incomplete.is_empty());
}

// ---------------------------------------------------------------------------------------------- joins

#[test]
fn joins_in_all_variants() {
    let r = run("joins");
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    // plain JOIN is an outer join
    assert_eq!(
        cells(table(&r.app, "J_outer")),
        rows(&[
            &["1", "a", "p"],
            &["1", "a", "q"],
            &["2", "b", "-"],
            &["3", "c", "-"],
            &["4", "-", "r"]
        ])
    );
    assert_eq!(
        cells(table(&r.app, "J_inner")),
        rows(&[&["1", "a", "p"], &["1", "a", "q"]])
    );
    assert_eq!(
        cells(table(&r.app, "J_left")),
        rows(&[
            &["1", "a", "p"],
            &["1", "a", "q"],
            &["2", "b", "-"],
            &["3", "c", "-"]
        ])
    );
    assert_eq!(
        cells(table(&r.app, "J_right")),
        rows(&[&["1", "a", "p"], &["1", "a", "q"], &["4", "-", "r"]])
    );
    // Keep reduces without merging.
    assert_eq!(cells(table(&r.app, "KA")), rows(&[&["1", "a"]]));
    assert_eq!(
        cells(table(&r.app, "KB")),
        rows(&[&["1", "p"], &["1", "q"]])
    );
    assert_eq!(
        cells(table(&r.app, "LA")),
        rows(&[&["1", "a"], &["2", "b"], &["3", "c"]])
    );
    assert_eq!(
        cells(table(&r.app, "LB")),
        rows(&[&["1", "p"], &["1", "q"]])
    );
}

#[test]
fn concatenation_automatic_explicit_and_names() {
    let r = run("joins");
    // Automatic: same field set in another order goes into A, in A's field order; no table `Extra`.
    assert_eq!(
        cells(table(&r.app, "A")),
        rows(&[&["1", "a"], &["2", "b"], &["3", "c"], &["9", "z"]])
    );
    assert!(r.app.table("Extra").is_none());
    // Explicit CONCATENATE adds the missing field.
    let b = table(&r.app, "B");
    assert_eq!(b.fields, vec!["K", "Y", "Z"]);
    assert_eq!(
        cells(b),
        rows(&[
            &["1", "p", "-"],
            &["1", "q", "-"],
            &["4", "r", "-"],
            &["7", "-", "zz"]
        ])
    );
    // Label clash → A-1; unlabelled INLINE → INLINE01.
    assert_eq!(cells(table(&r.app, "A-1")), rows(&[&["1", "a"]]));
    assert_eq!(cells(table(&r.app, "INLINE01")), rows(&[&["8", "w"]]));
}

// ----------------------------------------------------------------------------------------- transforms

#[test]
fn mapping_preceding_loads_and_row_functions() {
    let r = run("transforms");
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    // SubField with two arguments makes one row per part; MapSubString; RowNo in the preceding load.
    assert_eq!(
        cells(table(&r.app, "T1")),
        rows(&[&["x", "12", "1"], &["y", "12", "2"], &["z", "21", "3"]])
    );
    // WHILE with IterNo()
    assert_eq!(
        cells(table(&r.app, "Gen")),
        rows(&[
            &["a", "1"],
            &["a", "2"],
            &["b", "1"],
            &["b", "2"],
            &["b", "3"]
        ])
    );
    assert_eq!(cells(table(&r.app, "D")), rows(&[&["a"], &["b"]]));
    // Peek of the table being built; Previous (then PrevV dropped with DROP FIELD)
    let run_t = table(&r.app, "Run");
    assert_eq!(run_t.fields, vec!["V", "Cum", "Cum2"]);
    // Peek of the table being loaded, by name too (`Peek('Cum2', -1, 'Run')`).
    assert_eq!(
        cells(run_t),
        rows(&[&["5", "5", "5"], &["3", "8", "8"], &["2", "10", "10"]])
    );
    // MAP … USING applies to fields as they are loaded.
    assert_eq!(
        cells(table(&r.app, "Cust")),
        rows(&[&["n1", "Germany"], &["n2", "fr"]])
    );
    // QUALIFY * / UNQUALIFY QKey
    assert_eq!(table(&r.app, "Q").fields, vec!["QKey", "Q.Val"]);
    // AUTOGENERATE + RENAME FIELD + RENAME TABLE
    let n = table(&r.app, "Numbers");
    assert_eq!(n.fields, vec!["Num", "TenTimes"]);
    assert_eq!(cells(n), rows(&[&["1", "10"], &["2", "20"], &["3", "30"]]));
    assert!(r.app.table("G").is_none());
}

#[test]
fn group_by_aggregations() {
    let r = run("transforms");
    let a = table(&r.app, "Agg");
    assert_eq!(
        a.fields,
        vec!["AggGrp", "SumV", "CntS", "MinV", "MaxV", "AvgV", "Ss", "OnlyS", "FirstS", "LastS"]
    );
    assert_eq!(
        cells(a),
        rows(&[
            &[
                "a",
                "7",
                "2",
                "1",
                "3",
                "2.33333333333333",
                "x,y",
                "-",
                "x",
                "x"
            ],
            &["b", "10", "1", "10", "10", "10", "z", "z", "z", "z"],
        ])
    );
}

// -------------------------------------------------------------------------------------------- control

#[test]
fn control_flow_and_variables() {
    let r = run("control");
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    assert_eq!(var(&r, "vCount"), Some("4")); // FOR 1..10 STEP 3
    assert_eq!(var(&r, "vDown"), Some("321")); // STEP -1
    assert_eq!(var(&r, "k"), Some("3")); // EXIT DO WHEN
    assert_eq!(var(&r, "m"), Some("8")); // LOOP UNTIL
    assert_eq!(var(&r, "vSwitch"), Some("four"));
    assert_eq!(var(&r, "vAcc"), Some("[a][b]")); // SUB parameters, EXIT SUB WHEN
    assert_eq!(var(&r, "vAfter"), Some("ran"));
    assert_eq!(var(&r, "p"), None); // parameters are local
    assert_eq!(var(&r, "vEval"), Some("3")); // $(=expr)
    assert_eq!(var(&r, "vBranch"), Some("then"));
    assert_eq!(var(&r, "vNotReached"), None); // EXIT SCRIPT WHEN
                                              // FOR EACH over FileList(), relative to the script; the second load concatenates.
    assert_eq!(
        col(table(&r.app, "Files"), "File"),
        vec!["data/one.csv", "data/two.csv"]
    );
    // Table name and field list from variables (expanded before parsing, S6).
    assert_eq!(cells(table(&r.app, "Dyn")), rows(&[&["d1", "d2"]]));
}

#[test]
fn iteration_guard_stops_endless_loops() {
    let r = run_with(
        "loop_guard",
        RunOptions {
            max_iterations: 100,
            ..Default::default()
        },
    );
    assert_eq!(
        diag_codes(&r, Severity::Error),
        vec!["QSA104"],
        "{}",
        dump(&r)
    );
    assert_eq!(var(&r, "after"), None);
}

// ---------------------------------------------------------------------------------------- fail closed

#[test]
fn missing_sources_fail_closed_only_where_security_depends_on_them() {
    let r = run("failclosed");
    let find = |needle: &str| {
        r.diagnostics
            .iter()
            .find(|d| d.message.contains(needle))
            .unwrap_or_else(|| panic!("no diagnostic about {needle}: {}", dump(&r)))
    };
    // Unknown fields (LOAD *) while Section Access reduces on REGION: error.
    assert_eq!(find("`Facts`").severity, Severity::Error);
    // Holds the reduction field REGION: error.
    assert_eq!(find("`Linked`").severity, Severity::Error);
    // Not linked to anything Section Access touches: warning.
    assert_eq!(find("`Other`").severity, Severity::Warning);
    // Feeds a security table (unmapped lib://): error.
    let sec = find("`Secret`");
    assert_eq!(sec.severity, Severity::Error);
    assert!(sec.message.contains("--lib"), "{}", sec.message);
    // The second security load auto-concatenated into the first (same fields) and marked it.
    assert_eq!(names(&r.security), vec!["INLINE01"]);
    assert!(!table(&r.security, "INLINE01").incomplete.is_empty());
}

// ------------------------------------------------------------------------------------ qsa model (CLI)

fn qsa_model(name: &str, extra: &[&str]) -> (String, String, i32) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qsa"))
        .current_dir(fixture(name))
        .arg("model")
        .arg("main.qvs")
        .args(extra)
        .output()
        .expect("run qsa");
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn model_command_human() {
    let (stdout, stderr, code) = qsa_model("sales", &[]);
    assert_eq!(code, 0, "{stderr}");
    insta::assert_snapshot!("model_sales_human", stdout);
}

#[test]
fn model_command_json() {
    let (stdout, stderr, code) = qsa_model("sales", &["--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(v["tables"][0]["name"], "Customers");
    assert_eq!(v["security_tables"][0]["rows"], 3);
    insta::assert_snapshot!("model_sales_json", stdout);
}

#[test]
fn model_command_reports_errors_and_exit_codes() {
    let (stdout, stderr, code) = qsa_model("failclosed", &[]);
    assert_eq!(code, 1);
    assert!(stderr.contains("QSA107"), "{stderr}");
    insta::assert_snapshot!("model_failclosed_human", stdout);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(["model", "does/not/exist.qvs"])
        .output()
        .expect("run qsa");
    assert_eq!(out.status.code(), Some(2));
}

// ------------------------------------------------------------------------------------------------ qvd

#[test]
fn qvd_files_written_by_qlik_load_and_store_round_trips_in_memory() {
    let r = run("qvd");
    assert!(diag_codes(&r, Severity::Error).is_empty(), "{}", dump(&r));
    assert_eq!(names(&r.app), vec!["QvdData", "Nulls", "Copy"]);
    let q = table(&r.app, "QvdData");
    assert_eq!(
        q.fields,
        vec!["TEST.Month", "TEST.Quarter", "TEST.double", "TEST.big"]
    );
    assert_eq!(q.row_count(), 12);
    // Duals keep the text Qlik stored (`10.0`, number 10) through the load.
    let d = q.column("TEST.double").expect("field");
    assert_eq!(
        (
            d.get(1).map(|v| v.to_string()).unwrap_or_default(),
            d.get(1).and_then(|v| v.as_num())
        ),
        ("10.0".to_string(), Some(10.0))
    );
    assert_eq!(col(q, "TEST.Quarter")[0], "Q1");
    let n = table(&r.app, "Nulls");
    assert_eq!(n.fields, vec!["Month", "Quarter", "some_null", "all Null"]);
    assert_eq!(n.row_count(), 12);
    // `all Null` has no symbols: every cell is NULL.
    assert!(n
        .column("all Null")
        .expect("field")
        .iter()
        .all(|v| v.is_null()));
    // STORE is never written; the later load reads the stored table back (QSA113 info).
    assert_eq!(cells(table(&r.app, "Copy")), cells(q));
    assert_eq!(diag_codes(&r, Severity::Info), vec!["QSA113"]);
}

// ------------------------------------------------------------------------------------ never panics

mod never_panics {
    use super::*;
    use proptest::prelude::*;

    fn run_text(tag: &str, text: &str) -> RunResult {
        let dir =
            std::env::temp_dir().join(format!("qsa-runner-prop-{}-{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("main.qvs");
        std::fs::write(&path, text).expect("write");
        run_file(
            &path,
            &RunOptions {
                max_iterations: 2_000,
                ..Default::default()
            },
        )
        .expect("readable")
    }

    const PIECES: &[&str] = &[
        ";",
        "'",
        "[",
        "]",
        "(",
        ")",
        "$(",
        "$(=",
        "$(v",
        "LOAD ",
        "* ",
        "INLINE [a,b\n1,2\n];",
        "RESIDENT T;",
        "FOR i = 1 TO 3\n",
        "NEXT\n",
        "DO\n",
        "LOOP\n",
        "SUB s\n",
        "END SUB\n",
        "CALL s;\n",
        "IF 1 THEN\n",
        "END IF\n",
        "Section Access;\n",
        "JOIN ",
        "KEEP ",
        "GROUP BY a",
        "WHILE IterNo() < 3",
        "SubField(a, '')",
        "SET v = $(v)$(v);\n",
        "LET x = Peek('a', -9, 'T');\n",
        "DROP TABLE T;",
        "AUTOGENERATE 5;",
        "T:",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn mutated_fixtures_run_to_the_end(seed in 0usize..6, cuts in prop::collection::vec((0usize..4000, 0usize..PIECES.len()), 1..8)) {
            let name = ["sales", "joins", "transforms", "control", "security_files", "failclosed"][seed];
            let mut text = std::fs::read_to_string(fixture(name).join("main.qvs")).expect("fixture");
            for (at, piece) in cuts {
                let mut at = at % (text.len() + 1);
                while !text.is_char_boundary(at) { at -= 1; }
                text.insert_str(at, PIECES[piece]);
            }
            let _ = run_text("mutated", &text);
        }

        #[test]
        fn random_text_runs_to_the_end(s in "\\PC{0,300}") {
            let _ = run_text("random", &s);
        }
    }
}

// ------------------------------------------------------------------------------- errors and warnings

fn run_inline_script(tag: &str, text: &str) -> RunResult {
    run_with_opts(tag, text, RunOptions::default())
}

/// The folder [`run_with_opts`] writes `main.qvs` to, created: files the script reads go beside it.
fn runner_dir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("qsa-runner-{}-{tag}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn run_with_opts(tag: &str, text: &str, opts: RunOptions) -> RunResult {
    let dir = runner_dir(tag);
    let path = dir.join("main.qvs");
    std::fs::write(&path, text).expect("write");
    run_file(&path, &opts).expect("readable")
}

/// QUALIFY and UNQUALIFY repeated in a loop: the last pattern that matches a field decides, however
/// often the statements ran (qsa keeps one copy of each pattern, the newest, so the list does not grow
/// with the loop: a fuzzer's loop of them took seconds).
#[test]
fn qualify_in_a_loop_keeps_the_last_pattern_that_matches() {
    let script = "FOR i = 1 TO 300\n  QUALIFY *;\n  UNQUALIFY K;\nNEXT i\n\
                  T: LOAD * INLINE [\nK, V\n1, 2\n];\n\
                  QUALIFY K;\n\
                  U: LOAD * INLINE [\nK, W\n1, 3\n];\n\
                  UNQUALIFY *;\n\
                  X: LOAD * INLINE [\nK, Y\n1, 4\n];\n";
    let r = run_with_opts("qualify-loop", script, RunOptions::default());
    assert_eq!(table(&r.app, "T").fields, vec!["K", "T.V"], "{}", dump(&r));
    // `QUALIFY K` after the loop's `UNQUALIFY K`: the newer pattern decides.
    assert_eq!(table(&r.app, "U").fields, vec!["U.K", "U.W"]);
    // `UNQUALIFY *` resets everything.
    assert_eq!(table(&r.app, "X").fields, vec!["K", "Y"]);
}

#[test]
fn must_include_unknown_sub_and_undefined_variables() {
    let r = run_inline_script(
        "errors",
        "$(must_include=nope.qvs);\nCALL Later;\nSUB Later\nEND SUB\nT: LOAD 1 AS A$(vMissing) AUTOGENERATE 1;\n",
    );
    // S6: a missing must_include is an error; a CALL before its SUB is an error.
    assert_eq!(
        diag_codes(&r, Severity::Error),
        vec!["QSA102", "QSA103"],
        "{}",
        dump(&r)
    );
    // S6: an undefined variable expands to nothing, with a warning where it matters; what it built is
    // unknown (an app can define the variable outside its script), harmless here since T is not linked
    // to any reduction field (QSA108 warning, not an error).
    assert_eq!(
        diag_codes(&r, Severity::Warning),
        vec!["QSA101", "QSA108"],
        "{}",
        dump(&r)
    );
    assert_eq!(table(&r.app, "T").fields, vec!["A"]);
}

#[test]
fn unsupported_function_in_security_fails_closed() {
    let r = run_inline_script(
        "secfn",
        "Section Access;\nLOAD 'USER' AS ACCESS, Hash256('x') AS USERID AUTOGENERATE 1;\nSection Application;\n",
    );
    let e: Vec<_> = r.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(e.len(), 1, "{}", dump(&r));
    assert_eq!(e[0].code, "QSA108");
    assert!(e[0].message.contains("Hash256"), "{}", e[0].message);
}

#[test]
fn follow_on_problems_of_a_missing_source_fail_closed_without_cascading() {
    // MinMax cannot be loaded (no --table), so vMax is uncertain, the calendar cannot be built, and
    // RESIDENT / DROP of it are consequences: no syntax or "no such table" errors, one decision each.
    let r = run_inline_script(
        "cascade",
        "MinMax: LOAD Max(D) AS MaxD;\nSQL SELECT D FROM dbo.Dates;\n\
         LET vMax = Peek('MaxD', 0, 'MinMax');\n\
         Tmp: LOAD RecNo() AS D AUTOGENERATE $(vMax);\n\
         Cal: LOAD D AS REGION RESIDENT Tmp;\nDROP TABLE Tmp;\n\
         Section Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, U1, 1\n];\nSection Application;\n",
    );
    let codes: Vec<&str> = r.diagnostics.iter().map(|d| d.code).collect();
    assert!(!codes.contains(&"QSA001"), "{}", dump(&r));
    assert!(
        !r.diagnostics
            .iter()
            .any(|d| d.code == "QSA110" && d.is_error()),
        "{}",
        dump(&r)
    );
    // The uncertainty reaches the table holding the reduction field: an error (fail closed).
    assert!(r.has_errors(), "{}", dump(&r));
    assert!(r.variables.contains_key("vMax"));
}

// ------------------------------------------------------------------------- AutoNumber and Exists

#[test]
fn autonumber_counts_first_appearances_and_exists_names_its_field() {
    let r = run_inline_script(
        "autonumber",
        "Src:\nLOAD * INLINE [\nK, G\nx, a\ny, a\nx, b\nz, b\n];\n\
         T:\nLOAD K, AutoNumber(K) AS N, AutoNumber(G, 'g') AS NG, AutoNumberHash128(K, G) AS H,\n\
         If(Exists(Seen, K), 1, 0) AS E, K AS Seen\nRESIDENT Src;\n\
         Firsts:\nNoConcatenate LOAD K AS Kf RESIDENT Src WHERE Not Exists(Kf, K);\n\
         Again:\nNoConcatenate LOAD K AS Kx RESIDENT Src WHERE Not Exists(K);\n\
         DROP TABLE Src;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    let t = table(&r.app, "T");
    // One counter per AutoID, numbered by first appearance: x=1, y=2, z=3; a=1, b=2 in counter 'g'.
    assert_eq!(col(t, "N"), ["1", "2", "1", "3"]);
    assert_eq!(col(t, "NG"), ["1", "1", "2", "2"]);
    // Every (K, G) combination is new.
    assert_eq!(col(t, "H"), ["1", "2", "3", "4"]);
    // Exists(Seen, K): only values of Seen loaded before this record count.
    assert_eq!(col(t, "E"), ["0", "0", "1", "0"]);
    // The classic "first occurrence" filter.
    assert_eq!(col(table(&r.app, "Firsts"), "Kf"), ["x", "y", "z"]);
    // `Exists(K)` names the field K (already loaded with x, y, z), it does not evaluate K's value.
    // Every value of K exists already, so the load keeps no record (the table exists, empty).
    assert_eq!(table(&r.app, "Again").row_count(), 0, "{}", dump(&r));
}

// ------------------------------------------------------------------ constructs Qlik accepts (S1, S6)

// S1/S6: LET may be left out; the statement is then one script row, ended by `;` or the line end
// (Qlik's help for LET). `QlikCloudGroupMode = $(vMode) - 1` without `;` is a statement of its own.
#[test]
fn let_without_keyword_is_one_row() {
    let r = run_inline_script(
        "keywordless-let",
        "SET vMode = 2;\nSET vPlusOne = + 1;\nvBase = 1 + 2;\nvTimesTen = vBase * 10\nQlikCloudGroupMode = $(vMode) - 1\nvJoined = 'a' & 'b'   // note\nvNothing =\nvTwoParts = $(vMode) $(vPlusOne)\nIF vBase = 3 THEN vInBranch = 'yes'\nEND IF\nT: LOAD 1 AS A AUTOGENERATE 1;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vBase"), Some("3"));
    assert_eq!(var(&r, "vTimesTen"), Some("30"));
    assert_eq!(var(&r, "QlikCloudGroupMode"), Some("1"));
    assert_eq!(var(&r, "vJoined"), Some("ab"));
    assert_eq!(var(&r, "vNothing"), Some(""));
    assert_eq!(var(&r, "vTwoParts"), Some("3"));
    assert_eq!(var(&r, "vInBranch"), Some("yes"));
    assert_eq!(table(&r.app, "T").row_count(), 1);
}

// S6: `LET v = ;` and `SET v = ;` leave v holding the empty text (our decision: `$(v)` expands to
// nothing, and a `QlikCloudGroupMode` left empty is refused by S7 rather than read as 0).
#[test]
fn let_and_set_with_nothing_leave_the_variable_empty() {
    let r = run_inline_script(
        "empty-let",
        "LET a = 1;\nLET a =;\nLET b = ;\nSET c =;\nLET d = 'x' & '$(a)' & 'y';\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "a"), Some(""));
    assert_eq!(var(&r, "b"), Some(""));
    assert_eq!(var(&r, "c"), Some(""));
    assert_eq!(var(&r, "d"), Some("xy"));
}

// An empty argument is omitted: `WeekDay(Today(),)` is `WeekDay(Today())`; in the middle it is NULL,
// which optional arguments read as their default.
#[test]
fn empty_function_arguments_are_omitted() {
    let r = run_with_opts(
        "empty-args",
        "LET vA = WeekDay(Today(),);\nLET vB = WeekDay(Today());\nLET vC = Num(AddMonths(MakeDate(2024, 1, 31), 1, ));\nLET vD = Num(MonthStart(MakeDate(2024, 3, 15), ));\nLET vE = If(1 = 2, 'x', );\n",
        RunOptions {
            today: Some("2024-05-15".into()),
            ..Default::default()
        },
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vA"), Some("Wed"));
    assert_eq!(var(&r, "vA"), var(&r, "vB"));
    assert_eq!(var(&r, "vC"), Some("45351")); // 2024-02-29
    assert_eq!(var(&r, "vD"), Some("45352")); // 2024-03-01
    assert_eq!(r.variables.get("vE"), None, "a NULL LET leaves no variable");
}

// An unquoted DIRECTORY path runs to the `;`, spaces included; relative paths resolve against it.
#[test]
fn directory_with_spaces_in_an_unquoted_path() {
    let dir = std::env::temp_dir().join(format!("qsa-runner-{}-directory", std::process::id()));
    let data = dir.join("tube data raw");
    std::fs::create_dir_all(&data).expect("temp dir");
    std::fs::write(data.join("lines.csv"), "Line,Colour\nVictoria,blue\n").expect("write");
    let path = dir.join("main.qvs");
    std::fs::write(
        &path,
        "Directory tube data raw;\nLines: LOAD Line, Colour FROM lines.csv (txt, embedded labels, delimiter is ',');\n",
    )
    .expect("write");
    let r = run_file(&path, &RunOptions::default()).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(col(table(&r.app, "Lines"), "Colour"), vec!["blue"]);
}

// S6: CALL arguments that only form expressions after `$(…)` expansion are expanded as one text,
// split at top-level commas and read one by one; one that still does not read is an error at the
// CALL, and the SUB does not run (fail closed).
#[test]
fn call_arguments_are_read_after_expansion() {
    let r = run_inline_script(
        "call-expanded",
        "SUB Keep(p1, p2, p3)\n  LET vGot = '$(p1)|$(p2)|$(p3)';\nEND SUB\nSET vA = x;\nSET vB = 1;\nSET vC = + 2;\nSET vList = 'l', 'm';\nCALL Keep('$(vA)', $(vB) $(vC))\nLET vFirst = vGot;\nCALL Keep($(vList), 7)\nLET vSecond = vGot;\nCALL Keep(1, , 3)\nLET vThird = vGot;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vFirst"), Some("x|3|"));
    assert_eq!(var(&r, "vSecond"), Some("l|m|7"));
    assert_eq!(var(&r, "vThird"), Some("1||3"));

    let r = run_inline_script(
        "call-expanded-bad",
        "SUB Keep(p1)\n  SET vRan = yes;\nEND SUB\nSET vBad = 1 +;\nCALL Keep($(vBad))\n",
    );
    assert_eq!(
        diag_codes(&r, Severity::Error),
        vec!["QSA106"],
        "{}",
        dump(&r)
    );
    assert_eq!(var(&r, "vRan"), None, "the SUB did not run");
}

// S1: scripts in other encodings, as real bytes (fixtures/encoding): Windows-1251 with `--encoding`
// (the include too), UTF-16 LE with a BOM, Windows-1252 without a BOM by default.
#[test]
fn scripts_in_other_encodings() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/encoding");
    let cp1251 = RunOptions {
        encoding: Some(qsa::diag::script_encoding("windows-1251").expect("known label")),
        ..Default::default()
    };
    let r = run_file(&dir.join("cyrillic_1251.qvs"), &cp1251).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vCity"), Some("Москва"));
    assert_eq!(var(&r, "vLength"), Some("6"));
    assert_eq!(var(&r, "vIncluded"), Some("Привет"));
    assert_eq!(
        col(table(&r.app, "Города"), "Регион"),
        vec!["Центр", "Поволжье"]
    );
    // without the flag the bytes are not UTF-8, so they are read as Windows-1252
    let r = run_file(&dir.join("cyrillic_1251.qvs"), &RunOptions::default()).expect("readable");
    assert_eq!(var(&r, "vCity"), Some("Ìîñêâà"));

    let r = run_file(&dir.join("utf16le_bom.qvs"), &RunOptions::default()).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vGreeting"), Some("Grüße"));
    assert_eq!(col(table(&r.app, "Straßen"), "Straße"), vec!["Hauptstraße"]);
    // a BOM wins over --encoding
    let r = run_file(&dir.join("utf16le_bom.qvs"), &cp1251).expect("readable");
    assert_eq!(var(&r, "vGreeting"), Some("Grüße"));

    let r = run_file(&dir.join("latin_1252.qvs"), &RunOptions::default()).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vCafe"), Some("café"));
    assert_eq!(col(table(&r.app, "Menu"), "Plat"), vec!["crème brûlée"]);
}

// A variable named by digits alone: `Sleep 5000; SET 5000=;` is how the Qlik Deployment Framework clears
// one after a Sleep, and Qlik runs it (Set: https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptRegularStatements/Set.htm).
// A Hierarchy prefix with an empty middle argument parses; the prefix itself is still not run.
#[test]
fn numeric_variable_names_and_hierarchy_with_empty_arguments() {
    let r = run_inline_script(
        "numeric-names",
        "Sleep 10; SET 5000=;\nLET 7 = 3 + 4;\nLET vTwice = $(7) * 2;\nSET 12 = twelve;\n\
         Tree:\nHierarchy(Id, Up, Label, , Label, Trail) LOAD * INLINE [\nId, Up, Label\n1, , Top\n2, 1, Leaf\n];\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "5000"), Some(""));
    assert_eq!(var(&r, "7"), Some("7"));
    assert_eq!(var(&r, "vTwice"), Some("14"));
    assert_eq!(var(&r, "12"), Some("twelve"));
    assert_eq!(
        diag_codes(&r, Severity::Warning),
        vec!["QSA108"],
        "the Hierarchy prefix is still not supported: {}",
        dump(&r)
    );
}

// `DROP VARIABLE[S]` removes variables: afterwards `$(v)` expands to nothing, and that is known
// (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptRegularStatements/Drop-Variable.htm).
#[test]
fn drop_variable_removes_variables() {
    let r = run_inline_script(
        "drop-variable",
        "SET vA = 1;\nLET vB = 2;\nSET vKeep = 3;\nSET DateFormat = 'YYYY-MM-DD';\nDrop Variable vA;\nDROP VARIABLES vB, vNeverSet, DateFormat;\n\
         LET vAfter = '[$(vA)$(vB)]';\nLET vDate = Date(MakeDate(2024, 1, 2));\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vA"), None);
    assert_eq!(var(&r, "vB"), None);
    assert_eq!(var(&r, "vKeep"), Some("3"));
    assert_eq!(var(&r, "vAfter"), Some("[]"));
    // without DateFormat the date functions fall back to the format qsa uses when a script never sets
    // it (what Qlik falls back to is the app's locale: not modelled)
    assert_eq!(var(&r, "vDate"), Some("1/2/2024"));
}

// `WHEN c statement` / `UNLESS c statement` on statements other than loads: the statement runs only
// when every condition allows it (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptPrefixes/When.htm,
// …/Unless.htm). `$(…)` in the condition is expanded with the statement, before it is read.
#[test]
fn when_and_unless_on_statements_other_than_loads() {
    let r = run_inline_script(
        "when-unless",
        "SET vEmpty = ;\nSET vGiven = 5;\nSET vOrigin = 'o';\n\
         WHEN len('$(vEmpty)') = 0 SET vEmpty = 0;\nWHEN len('$(vGiven)') = 0 SET vGiven = 0;\n\
         UNLESS IsNull(vOrigin) LET vCopy = vOrigin & '!';\nWHEN 1 = 2 LET vNever = 1;\n\
         UNLESS 1 = 2 WHEN 2 = 2 SET vBoth = yes;\nWHEN 1 = 1 UNLESS 2 = 2 SET vNotBoth = yes;\n\
         Keep: LOAD 1 AS K AUTOGENERATE 1;\nGone: LOAD 2 AS G AUTOGENERATE 1;\nWHEN 1=1 DROP TABLE Gone;\nUNLESS 1=1 DROP TABLE Keep;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vEmpty"), Some("0"));
    assert_eq!(var(&r, "vGiven"), Some("5"));
    assert_eq!(var(&r, "vCopy"), Some("o!"));
    assert_eq!(var(&r, "vNever"), None);
    assert_eq!(var(&r, "vBoth"), Some("yes"));
    assert_eq!(var(&r, "vNotBoth"), None);
    assert_eq!(names(&r.app), vec!["Keep"]);
    assert!(
        !r.diagnostics.iter().any(|d| d.code == "QSA004"),
        "{}",
        dump(&r)
    );
}

// Qlik Cloud's `Exit Error message [when|unless c]` ends the script and fails the reload with the message
// (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/ChartLevelScripting/ControlStatements/exit-error.htm):
// an error when it runs, nothing when its condition keeps it from running.
#[test]
fn exit_error_fails_the_reload_where_it_runs() {
    let r = run_inline_script(
        "exit-error-not-run",
        "SET vOk = 1;\nExit Error 'no connection' when vOk = 0;\nExit Error 'missing' unless Len(Trim(vOk)) > 0\nT: LOAD 1 AS A AUTOGENERATE 1;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(names(&r.app), vec!["T"]);
    let r = run_inline_script(
        "exit-error-runs",
        "SET vTable = Facts;\nT: LOAD 1 AS A AUTOGENERATE 1;\nSUB Check\n  Exit Error 'no rows in ' & '$(vTable)';\nEND SUB\nCALL Check;\nAfter: LOAD 2 AS B AUTOGENERATE 1;\n",
    );
    assert_eq!(
        diag_codes(&r, Severity::Error),
        vec!["QSA117"],
        "{}",
        dump(&r)
    );
    let e = r.diagnostics.iter().find(|d| d.is_error()).expect("error");
    assert!(e.message.contains("`no rows in Facts`"), "{}", e.message);
    // the script ends there
    assert_eq!(names(&r.app), vec!["T"]);
}

// A statement that only reads after expansion, in a loop whose items are unknown: what it could change is
// read from its expansion, once; an expansion that leaves the text as it was (`$(=` never closed) is not
// expanded again and again (it overflowed the stack), its effect is unknown.
#[test]
fn deferred_statement_in_an_unknown_loop_is_expanded_once() {
    let r = run_inline_script(
        "deferred-unknown-loop",
        "FOR EACH f IN FileList('nowhere/*.csv')\n  Fi$(=les: x;\nNEXT f\n",
    );
    assert!(
        r.diagnostics.iter().any(|d| d.code == "QSA116"),
        "{}",
        dump(&r)
    );
}

// `IF … ELSE … ELSE … END IF` (the Qlik Deployment Framework has one, and Qlik runs it): the first ELSE
// takes every case left, the second never runs. What it would change is unknown all the same (Qlik does
// not document the form), which only matters where it reaches an answer.
#[test]
fn a_second_else_never_runs() {
    let r = run_inline_script(
        "second-else",
        "SET vA = 2;\nIF vA = 1 THEN\n  SET vB = one;\nELSE\n  SET vB = other;\nELSE\n  SET vB = never;\n  SET vC = never;\nEND IF\n\
         IF vA = 2 THEN\n  SET vD = two;\nELSE\n  SET vD = other;\nELSE\n  SET vD = never;\nEND IF\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(var(&r, "vB"), Some("other"));
    assert_eq!(var(&r, "vC"), None);
    assert_eq!(var(&r, "vD"), Some("two"));
}

// `CALL $(vSub)`: the SUB's name comes from an expansion (S6), read when the CALL runs (Qlikview
// Components calls its callbacks so, `CALL $(callback) ('$(file)')`).
#[test]
fn call_of_a_sub_named_by_a_variable() {
    let r = run_inline_script(
        "call-expanded-name",
        "SUB Greet(p)\n  LET vGot = vGot & '[$(p)]';\nEND SUB\nSET vGot = ;\nSET vSub = Greet;\nSET vPart = eet;\n\
         CALL $(vSub);\nCALL $(vSub) ('a');\nCALL Gr$(vPart)('b')\nSET vNone = Nobody;\nCALL $(vNone);\n",
    );
    assert_eq!(var(&r, "vGot"), Some("[][a][b]"));
    let e: Vec<_> = r.diagnostics.iter().filter(|d| d.is_error()).collect();
    assert_eq!(e.len(), 1, "{}", dump(&r));
    assert_eq!(e[0].code, "QSA103");
    assert!(
        e[0].message.contains("`Nobody` (from `$(vNone)`)"),
        "{}",
        e[0].message
    );
}

// ------------------------------------------------------------------------ loading straight into columns

/// A cell by exact identity: variant, number bits, text.
fn shape(v: &qsa::model::Value) -> (u8, Option<u64>, Option<String>) {
    use qsa::model::Value;
    match v {
        Value::Null => (0, None, None),
        Value::Num(n) => (1, Some(n.to_bits()), None),
        Value::Str(s) => (2, None, Some(s.to_string())),
        Value::Dual(n, s) => (3, Some(n.to_bits()), Some(s.to_string())),
    }
}

/// `a` and `b` hold the same fields, the same cells (by exact identity) and the same row origins; each
/// column's dict holds distinct values (exact identity) and one id per row.
fn assert_same_table(a: &Table, b: &Table) {
    assert_eq!(a.fields, b.fields, "{} / {}", a.name, b.name);
    assert_eq!(a.row_count(), b.row_count(), "{} / {}", a.name, b.name);
    for (f, (ca, cb)) in a.fields.iter().zip(a.columns.iter().zip(&b.columns)) {
        let sa: Vec<_> = ca.iter().map(shape).collect();
        let sb: Vec<_> = cb.iter().map(shape).collect();
        assert_eq!(sa, sb, "{}.{f} / {}.{f}", a.name, b.name);
        for c in [ca, cb] {
            assert_eq!(c.ids().len(), a.row_count());
            let distinct: std::collections::BTreeSet<_> = c.dict().iter().map(shape).collect();
            assert_eq!(
                distinct.len(),
                c.dict().len(),
                "{}.{f}: {:?}",
                a.name,
                c.dict()
            );
        }
        assert_eq!(ca.used_values().len(), cb.used_values().len());
    }
    assert_eq!(
        a.origins.to_vec(),
        b.origins.to_vec(),
        "{} / {}",
        a.name,
        b.name
    );
}

/// A plain field list (the fast path: columns moved from the reader) and the same list with `WHERE 1 = 1`
/// (the general path: every row evaluated) make the same tables, for every file kind, in both sections.
#[test]
fn fast_and_general_loads_make_the_same_tables() {
    use polars::prelude::{df, DataType, IntoColumn, NamedFrom, ParquetWriter, Series};
    let dir = std::env::temp_dir().join(format!("qsa-fastpath-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    // Text: duplicates, `01` vs `1`, padded values that S5 trimming merges, an empty cell, a short record.
    std::fs::write(
        dir.join("data.csv"),
        "K, Name ,V\n01, alice ,1\n1,bob,2.50\n 01,alice,\nx,,1e3\n1,Bob,-0\n7\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("sa.csv"),
        "ACCESS,USERID,REGION\nUSER, auth0|ann ,EU\nuser,AUTH0|BOB, us\nADMIN,INTERNAL\\SA_SCHEDULER,*\n",
    )
    .expect("write");
    let mut pdf = df!(
        "I" => [Some(1i64), None, Some(1), Some(30)],
        "S" => [Some("a"), Some("b"), None, Some("a")],
        "F" => [1.5f64, f64::NAN, 1.5, -0.0],
    )
    .expect("frame");
    let days = Series::new("D".into(), [Some(19737i32), None, Some(19737), Some(0)])
        .cast(&DataType::Date)
        .expect("dates");
    pdf.with_column(days.into_column()).expect("column");
    ParquetWriter::new(std::fs::File::create(dir.join("t.parquet")).expect("create"))
        .finish(&mut pdf)
        .expect("parquet");
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data");
    let opts = RunOptions {
        libs: vec![
            ("Q".into(), data.join("qvd")),
            ("X".into(), data.join("excel")),
        ],
        ..Default::default()
    };
    let csv = "(txt, utf8, embedded labels, delimiter is ',')";
    let script = format!(
        "Fast: LOAD * FROM [data.csv] {csv};\n\
         Slow: NoConcatenate LOAD * FROM [data.csv] {csv} WHERE 1 = 1;\n\
         PFast: LOAD I, S AS S2, F, D, I AS I2 FROM [t.parquet] (parquet);\n\
         PSlow: NoConcatenate LOAD I, S AS S2, F, D, I AS I2 FROM [t.parquet] (parquet) WHERE 1 = 1;\n\
         QFast: LOAD * FROM [lib://Q/test_qvd_null.qvd] (qvd);\n\
         QSlow: NoConcatenate LOAD * FROM [lib://Q/test_qvd_null.qvd] (qvd) WHERE 1 = 1;\n\
         XFast: LOAD ACCESS, USERID AS U, REGION FROM [lib://X/security.xlsx] (ooxml, embedded labels, table is Users);\n\
         XSlow: NoConcatenate LOAD ACCESS, USERID AS U, REGION FROM [lib://X/security.xlsx] (ooxml, embedded labels, table is Users) WHERE 1 = 1;\n\
         Section Access;\n\
         SA: LOAD * FROM [sa.csv] {csv};\n\
         SASlow: NoConcatenate LOAD * FROM [sa.csv] {csv} WHERE 1 = 1;\n\
         Section Application;\n"
    );
    std::fs::write(dir.join("main.qvs"), script).expect("write");
    let r = run_file(&dir.join("main.qvs"), &opts).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    for (fast, slow) in [
        ("Fast", "Slow"),
        ("PFast", "PSlow"),
        ("QFast", "QSlow"),
        ("XFast", "XSlow"),
    ] {
        assert_same_table(table(&r.app, fast), table(&r.app, slow));
    }
    assert_same_table(table(&r.security, "SA"), table(&r.security, "SASlow"));
    // The text columns: trimmed (S5) and interned, `01` and `1` kept apart; the short record padded.
    let t = table(&r.app, "Fast");
    assert_eq!(t.fields, vec!["K", "Name", "V"]);
    assert_eq!(col(t, "K"), vec!["01", "1", "01", "x", "1", "7"]);
    assert_eq!(
        col(t, "Name"),
        vec!["alice", "bob", "alice", "", "Bob", "-"]
    );
    let k = t.column("K").expect("K");
    assert_eq!(k.dict().len(), 4);
    assert_eq!(k.ids()[0], k.ids()[2]);
    assert_ne!(k.ids()[0], k.ids()[1]);
    // Parquet: a number per distinct value, NaN read as NULL, a field picked twice.
    let p = table(&r.app, "PFast");
    assert_eq!(col(p, "I"), vec!["1", "-", "1", "30"]);
    assert_eq!(col(p, "I2"), col(p, "I"));
    assert_eq!(col(p, "F"), vec!["1.5", "-", "1.5", "0"]);
    assert_eq!(col(p, "D")[0], "2024-01-15");
    assert_eq!(p.column("I").expect("I").dict().len(), 2);
    // Security rows read from a file keep their record as origin: `preview` shows `file record N`.
    let sa = table(&r.security, "SA");
    assert_eq!(
        col(sa, "USERID"),
        vec!["auth0|ann", "AUTH0|BOB", "INTERNAL\\SA_SCHEDULER"]
    );
    assert_file_origin(sa, 1, "sa.csv", 2);
    assert!(
        qsa::reduce::origin_text(&r, sa.origins.get(2).as_ref()).ends_with("sa.csv record 3"),
        "{:?}",
        sa.origins
    );
    assert_eq!(sa.origins.run_count(), 1);
}

/// A file loaded twice goes into one table (automatic concatenation) the same way on both paths, and
/// the row origins stay one run per file.
#[test]
fn fast_loads_concatenate() {
    let dir = std::env::temp_dir().join(format!("qsa-fastconcat-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("a.csv"), "K,V\n1,x\n2,y\n").expect("write");
    std::fs::write(dir.join("b.csv"), "V,K\ny,2\nz,3\n").expect("write");
    let script = "T: LOAD * FROM [a.csv] (txt);\nLOAD * FROM [b.csv] (txt);\nConcatenate (T) LOAD K FROM [a.csv] (txt);\n\
                  U: NoConcatenate LOAD * FROM [a.csv] (txt) WHERE 1;\nConcatenate (U) LOAD * FROM [b.csv] (txt) WHERE 1;\n\
                  Concatenate (U) LOAD K FROM [a.csv] (txt) WHERE 1;\n\
                  W: NoConcatenate LOAD * FROM [*.csv] (txt);\n";
    std::fs::write(dir.join("main.qvs"), script).expect("write");
    let r = run_file(&dir.join("main.qvs"), &RunOptions::default()).expect("readable");
    assert!(!r.has_errors(), "{}", dump(&r));
    let t = table(&r.app, "T");
    assert_eq!(
        cells(t),
        rows(&[
            &["1", "x"],
            &["2", "y"],
            &["2", "y"],
            &["3", "z"],
            &["1", "-"],
            &["2", "-"]
        ])
    );
    assert_same_table(t, table(&r.app, "U"));
    assert_eq!(t.origins.run_count(), 3);
    assert_file_origin(t, 3, "b.csv", 2);
    assert_file_origin(t, 4, "a.csv", 1);
    // A wildcard reads both files into one table.
    let w = table(&r.app, "W");
    assert_eq!(w.row_count(), 4);
    assert_eq!(w.origins.run_count(), 2);
}

/// `Lookup()` finds the first row whose value has the text asked for (by distinct value of the column).
#[test]
fn lookup_finds_the_first_matching_row() {
    let r = run_inline_script(
        "lookup",
        "T:\nLOAD * INLINE [\nK, V\na, 1\nb, 2\n1, x\nb, 3\n];\n\
         R:\nLOAD Lookup('V', 'K', 'b', 'T') AS X, Lookup('V', 'K', 1, 'T') AS Y,\n\
         Lookup('V', 'K', 'zz', 'T') AS Z AUTOGENERATE 1;\n",
    );
    assert!(!r.has_errors(), "{}", dump(&r));
    assert_eq!(cells(table(&r.app, "R")), rows(&[&["2", "x", "-"]]));
}

#[test]
fn an_empty_file_path_is_a_missing_source_not_the_folder() {
    // `FROM [$(v)]` with `v` cleared by the script: the path is empty, which is not the script's folder.
    let r = run_inline_script(
        "emptypath",
        "LET vFile = Null();\nT: LOAD * FROM [$(vFile)] (txt);\n",
    );
    let d = r
        .diagnostics
        .iter()
        .find(|d| d.code == "QSA107")
        .unwrap_or_else(|| panic!("no QSA107\n{}", dump(&r)));
    assert!(
        d.message.contains("the file path is empty"),
        "{}",
        d.message
    );
    assert!(!d.message.contains("directory"), "{}", d.message);
}

/// An include inside a loop runs every time, but its text is kept and parsed once: the run holds one
/// source for it, not one per iteration (a 1 MB file included a million times held a terabyte).
#[test]
fn an_include_in_a_loop_is_read_every_time_and_kept_once() {
    let dir = runner_dir("include-loop");
    std::fs::write(
        dir.join("step.qvs"),
        "LET n = n + 1;\nT: LOAD $(i) AS I AUTOGENERATE 1;\n",
    )
    .expect("write");
    let r = run_with_opts(
        "include-loop",
        "LET n = 0;\nFOR i = 1 TO 50\n  $(Include=step.qvs);\nNEXT i\n",
        RunOptions::default(),
    );
    assert_eq!(var(&r, "n"), Some("50"), "{}", dump(&r));
    assert_eq!(col(table(&r.app, "T"), "I").len(), 50, "{}", dump(&r));
    let step: Vec<_> = (r.sources.files.iter())
        .filter(|f| f.name.ends_with("step.qvs"))
        .collect();
    assert_eq!(step.len(), 1, "one source for the included file");
    // A different file at another path is another source.
    std::fs::write(dir.join("other.qvs"), "LET m = 1;\n").expect("write");
    let r = run_with_opts(
        "include-loop",
        "FOR i = 1 TO 3\n  $(Include=step.qvs);\n  $(Include=other.qvs);\nNEXT i\n",
        RunOptions::default(),
    );
    let names: Vec<&str> = (r.sources.files.iter())
        .filter(|f| f.name.ends_with(".qvs") && !f.name.ends_with("main.qvs"))
        .map(|f| f.name.as_str())
        .collect();
    assert_eq!(names.len(), 2, "{names:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
