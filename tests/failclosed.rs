//! Fail closed, proved by mutation (issue 7; `../shared/design/fail-closed.md`; `src/script/faith.rs`).
//!
//! For every fixture with Section Access ([`FIXTURES`]), the script as it is must evaluate. Then every
//! mutation operator ([`OPERATORS`], kept as data so a new fixture gets all of them) breaks one
//! access-relevant step at a time: a source file removed, a source in a format qsa does not read, a
//! variable never set, a statement under a condition qsa cannot evaluate, an `EXECUTE` that may rewrite
//! files, a `Binary`. Each mutant must either **refuse** (`reduce::prepare` fails: exit 2 on the command
//! line) or give **exactly the original answer** for every user: access, selections, omitted fields, and
//! the rows kept of every table linked to a reduction field (R4). Never a different answer.

use qsa::access::directory::User;
use qsa::access::Target;
use qsa::reduce;
use qsa::script::{run_file, RunOptions, RunResult};
use qsa::syntax::{self, Stmt, StmtKind};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A fixture: its folder (copied whole for each mutant), script, and `--lib`/`--table` options.
struct Fixture {
    dir: &'static str,
    script: &'static str,
    libs: &'static [(&'static str, &'static str)],
    tables: &'static [(&'static str, &'static str)],
    target: Target,
}

const FIXTURES: &[Fixture] = &[
    Fixture {
        dir: "fixtures/example",
        script: "sales.qvs",
        libs: &[],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/sa/regional",
        script: "app.qvs",
        libs: &[],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/sa/examples",
        script: "ex1_omit_star.qvs",
        libs: &[],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/sa/examples",
        script: "ex2_strict_exclusion.qvs",
        libs: &[],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/sa/examples",
        script: "ex5_two_identity_styles.qvs",
        libs: &[],
        tables: &[],
        target: Target::ClientManaged,
    },
    Fixture {
        dir: "fixtures/scripts/security_files",
        script: "main.qvs",
        libs: &[("Security", "data")],
        tables: &[("Regions", "data/db_regions.csv")],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/failclosed/steps",
        script: "main.qvs",
        libs: &[("Data", "data")],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/failclosed/excel",
        script: "main.qvs",
        libs: &[("Security", "data")],
        tables: &[],
        target: Target::Cloud,
    },
    Fixture {
        dir: "fixtures/failclosed/idioms",
        script: "main.qvs",
        libs: &[],
        tables: &[],
        target: Target::Cloud,
    },
];

/// A mutant: the new script text and what to do to the copied folder.
struct Mutant {
    what: String,
    text: String,
    /// Files (relative to the folder) to delete.
    delete: Vec<PathBuf>,
    /// Files (relative to the folder) to copy: (from, to).
    copy: Vec<(PathBuf, PathBuf)>,
}

/// What an operator sees: the fixture's folder copy, its script text and one statement.
struct Site<'a> {
    text: &'a str,
    stmt: &'a Stmt,
    dir: &'a Path,
    fx: &'a Fixture,
    /// The variables at the end of the unmutated run (to find files named through `$(…)`).
    vars: &'a BTreeMap<String, String>,
}

type Operator = fn(&Site) -> Option<Mutant>;

/// The mutation operators, by name.
const OPERATORS: &[(&str, Operator)] = &[
    ("remove-source-file", remove_source_file),
    ("unsupported-source", unsupported_source),
    ("undefine-variable", undefine_variable),
    ("unknown-condition", unknown_condition),
    ("execute-before", execute_before),
    ("binary-first", binary_first),
    ("swallowed-load", swallowed_load),
];

fn slice<'a>(site: &'a Site) -> &'a str {
    &site.text[site.stmt.span.start..site.stmt.span.end]
}

/// The file a `FROM` of this statement reads (relative to the folder), if qsa can find it.
fn from_file(site: &Site) -> Option<(String, PathBuf)> {
    let StmtKind::Load(ls) = &site.stmt.kind else {
        return None;
    };
    let part = ls.parts.last()?;
    let syntax::LoadSource::From { path, .. } = &part.source else {
        return None;
    };
    let raw = path.text.trim().to_string();
    let mut expanded = raw.clone();
    for (k, v) in site.vars {
        expanded = expanded.replace(&format!("$({k})"), v);
    }
    let rel = match expanded.strip_prefix("lib://") {
        Some(rest) => {
            let (lib, tail) = rest.split_once('/')?;
            let (_, dir) = site
                .fx
                .libs
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(lib))?;
            Path::new(dir).join(tail)
        }
        None => PathBuf::from(&expanded),
    };
    site.dir.join(&rel).is_file().then_some((raw, rel))
}

fn remove_source_file(site: &Site) -> Option<Mutant> {
    let (raw, rel) = from_file(site)?;
    Some(Mutant {
        what: format!("delete `{raw}`"),
        text: site.text.to_string(),
        delete: vec![rel],
        copy: vec![],
    })
}

fn unsupported_source(site: &Site) -> Option<Mutant> {
    let (raw, rel) = from_file(site)?;
    let s = slice(site);
    // Point the FROM at a copy in a format qsa does not read (the same bytes, named `.xml`).
    let mut new_stmt = s.replacen(&raw, &format!("{raw}.xml"), 1);
    // and a format spec that says so (the spec's file type wins over the extension)
    let lower = new_stmt.to_ascii_lowercase();
    for kind in ["(txt", "(qvd", "(parquet", "(csv", "(ooxml", "(biff"] {
        if let Some(i) = lower.find(kind) {
            new_stmt.replace_range(i..i + kind.len(), "(xmlsimple");
            break;
        }
    }
    let mut xml = rel.clone().into_os_string();
    xml.push(".xml");
    Some(Mutant {
        what: format!("`{raw}` as XML"),
        text: replace_stmt(site, &new_stmt),
        delete: vec![],
        copy: vec![(rel, PathBuf::from(xml))],
    })
}

fn undefine_variable(site: &Site) -> Option<Mutant> {
    let (StmtKind::Set { name, .. } | StmtKind::Let { name, .. }) = &site.stmt.kind else {
        return None;
    };
    Some(Mutant {
        what: format!("remove the assignment of `{}`", name.text),
        text: replace_stmt(site, ""),
        delete: vec![],
        copy: vec![],
    })
}

fn unknown_condition(site: &Site) -> Option<Mutant> {
    if matches!(site.stmt.kind, StmtKind::Sub { .. }) {
        return None;
    }
    let s = slice(site);
    Some(Mutant {
        what: "run it only IF a variable nothing sets".into(),
        text: replace_stmt(site, &format!("IF vQsaNeverSet = 1 THEN\n{s}\nEND IF\n")),
        delete: vec![],
        copy: vec![],
    })
}

fn execute_before(site: &Site) -> Option<Mutant> {
    from_file(site)?;
    Some(Mutant {
        what: "EXECUTE before the load".into(),
        text: replace_stmt(site, &format!("EXECUTE cmd.exe /c echo;\n{}", slice(site))),
        delete: vec![],
        copy: vec![],
    })
}

fn binary_first(site: &Site) -> Option<Mutant> {
    // Once per script: at its first statement.
    (site.stmt.span.start == first_stmt_start(site.text)).then(|| Mutant {
        what: "BINARY first".into(),
        text: format!("Binary [lib://Apps/other.qvf];\n{}", site.text),
        delete: vec![],
        copy: vec![],
    })
}

/// The load becomes the source of a preceding LOAD across an `IF` (Qlik runs this the same; qsa does
/// not carry a pending preceding load across control statements, so the statement is not run).
fn swallowed_load(site: &Site) -> Option<Mutant> {
    let StmtKind::Load(ls) = &site.stmt.kind else {
        return None;
    };
    let label = ls.label.as_ref()?;
    let s = slice(site);
    let (head, rest) = s.split_once(':')?;
    if head.trim().trim_matches(|c| c == '[' || c == ']') != label.text {
        return None;
    }
    Some(Mutant {
        what: "swallowed by a preceding LOAD across an IF".into(),
        text: replace_stmt(
            site,
            &format!(
                "{head}:
LOAD *;
IF 1 = 1 THEN
{}
END IF
",
                rest.trim()
            ),
        ),
        delete: vec![],
        copy: vec![],
    })
}

fn first_stmt_start(text: &str) -> usize {
    let parsed = syntax::parse_script(qsa::diag::SourceId(0), text);
    parsed
        .script
        .statements
        .first()
        .map(|s| s.span.start)
        .unwrap_or(0)
}

fn replace_stmt(site: &Site, new: &str) -> String {
    let mut t = site.text.to_string();
    let mut end = site.stmt.span.end;
    // A regular statement's span may stop before its `;`.
    if !new.is_empty() && t[end..].starts_with(';') && !new.ends_with(';') {
        end += 1;
        return format!("{}{new};{}", &t[..site.stmt.span.start], &t[end..]);
    }
    t.replace_range(site.stmt.span.start..end, new);
    t
}

/// Every statement, nested ones included (IF/FOR/SUB bodies).
fn all_statements(stmts: &[Stmt], out: &mut Vec<Stmt>) {
    for s in stmts {
        out.push(s.clone());
        for b in s.kind.blocks() {
            all_statements(&b.statements, out);
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("fixture folder") {
        let e = e.expect("entry");
        let p = e.path();
        let q = to.join(e.file_name());
        if p.is_dir() {
            copy_dir(&p, &q);
        } else {
            std::fs::copy(&p, &q).expect("copy");
        }
    }
}

fn opts(fx: &Fixture, dir: &Path) -> RunOptions {
    RunOptions {
        libs: fx
            .libs
            .iter()
            .map(|(n, d)| (n.to_string(), dir.join(d)))
            .collect(),
        tables: fx
            .tables
            .iter()
            .map(|(n, f)| (n.to_string(), dir.join(f)))
            .collect(),
        today: Some("2026-01-15".into()),
        ..Default::default()
    }
}

/// Tables linked to a reduction field (R4): they hold one, or share a field with one that does.
fn linked_tables(run: &RunResult) -> BTreeSet<String> {
    let red: BTreeSet<&String> = run
        .security
        .tables
        .iter()
        .flat_map(|t| t.fields.iter())
        .filter(|f| !qsa::script::SYSTEM_FIELDS.contains(&f.as_str()))
        .collect();
    let mut linked: BTreeSet<String> = BTreeSet::new();
    let mut fields: BTreeSet<String> = red.into_iter().cloned().collect();
    loop {
        let before = linked.len();
        for t in &run.app.tables {
            if t.fields.iter().any(|f| fields.contains(f)) && linked.insert(t.name.clone()) {
                fields.extend(t.fields.iter().cloned());
            }
        }
        if linked.len() == before {
            return linked;
        }
    }
}

/// The answer for every user, as comparable text; `None` when qsa refuses.
fn answer(
    run: &RunResult,
    target: Target,
    users: &[User],
    linked: &BTreeSet<String>,
) -> Option<String> {
    let prepared = reduce::prepare(run, target).ok()?;
    let mut out = String::new();
    for r in prepared.evaluate(users, false) {
        let tables: BTreeMap<&String, usize> = r
            .tables
            .iter()
            .filter(|(t, _)| linked.contains(*t))
            .map(|(t, c)| (t, c.rows))
            .collect();
        out.push_str(&format!(
            "{} {:?} {:?} {:?} {:?}\n",
            r.id, r.access, r.reduction, r.omitted_fields, tables
        ));
    }
    Some(out)
}

/// The answer for `users` of the fixture whose folder ends with `name`, run as it is.
fn fixture_answer(name: &str, users: &[User]) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let fx = FIXTURES
        .iter()
        .find(|f| f.dir.ends_with(name))
        .expect("a fixture of that name");
    let dir = root.join(fx.dir);
    let run = run_file(&dir.join(fx.script), &opts(fx, &dir)).expect("readable");
    answer(&run, fx.target, users, &linked_tables(&run)).expect("evaluates")
}

fn scratch(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("qsa-failclosed-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

#[test]
fn every_mutant_refuses_or_gives_the_same_answer() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut failures = Vec::new();
    let mut counts: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
    for (fi, fx) in FIXTURES.iter().enumerate() {
        let src = root.join(fx.dir);
        let base_dir = scratch(&format!("{fi}-base"));
        copy_dir(&src, &base_dir);
        let script = base_dir.join(fx.script);
        let text = std::fs::read_to_string(&script).expect("fixture script");
        let base = run_file(&script, &opts(fx, &base_dir)).expect("readable");
        let prepared = reduce::prepare(&base, fx.target)
            .unwrap_or_else(|d| panic!("{}/{} must evaluate as it is: {d:#?}", fx.dir, fx.script));
        // The users: every identity the security tables list, plus users reached only through `*`.
        let mut users = prepared.listed_users();
        users.push(User::new("auth0|qsa-someone-else"));
        let linked = linked_tables(&base);
        let expected = answer(&base, fx.target, &users, &linked).expect("evaluates");
        drop(prepared);

        let parsed = syntax::parse_script(qsa::diag::SourceId(0), &text);
        let mut stmts = Vec::new();
        all_statements(&parsed.script.statements, &mut stmts);
        for (si, stmt) in stmts.iter().enumerate() {
            for (oi, (op_name, op)) in OPERATORS.iter().enumerate() {
                let site = Site {
                    text: &text,
                    stmt,
                    dir: &base_dir,
                    fx,
                    vars: &base.variables,
                };
                let Some(m) = op(&site) else { continue };
                let dir = scratch(&format!("{fi}-{si}-{oi}"));
                copy_dir(&src, &dir);
                for d in &m.delete {
                    let _ = std::fs::remove_file(dir.join(d));
                }
                for (from, to) in &m.copy {
                    std::fs::copy(dir.join(from), dir.join(to)).expect("copy source");
                }
                let path = dir.join(fx.script);
                std::fs::write(&path, &m.text).expect("write mutant");
                let run = run_file(&path, &opts(fx, &dir)).expect("readable");
                let got = answer(&run, fx.target, &users, &linked);
                let c = counts.entry(op_name).or_default();
                c.0 += 1;
                match got {
                    None => c.1 += 1,
                    Some(g) if g == expected => {}
                    Some(g) => {
                        let line = text[..stmt.span.start].lines().count() + 1;
                        failures.push(format!(
                            "{}/{} line {line}: {op_name} ({}): a different answer instead of a refusal\n--- expected\n{expected}--- got\n{g}",
                            fx.dir, fx.script, m.what
                        ));
                    }
                }
                let _ = std::fs::remove_dir_all(&dir);
            }
        }
        let _ = std::fs::remove_dir_all(&base_dir);
    }
    eprintln!("mutants per operator (run, refused): {counts:?}");
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    // Every operator found something to break.
    for (name, _) in OPERATORS {
        assert!(
            counts.get(name).map(|c| c.1).unwrap_or(0) > 0,
            "operator {name} never produced a refusing mutant: {counts:?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------------
// The idioms behind the two fail-open reports of issue 7, and the statements whose effect can't be known
// offline, each on a small script of its own.

const APP: &str =
    "Section Application;\nSales: LOAD * INLINE [\nREGION, Amount\nEU, 1\nUS, 2\n];\n";

/// Section Access with one admin row.
const SA_ADMIN: &str = "Section Access;\nLOAD * INLINE [\nACCESS, USERID\nADMIN, A\n];\n";

/// Section Access with a GROUP row (which groups count depends on QlikCloudGroupMode, S7).
const SA_GROUPS: &str = "Section Access;\nLOAD * INLINE [\nACCESS, USERID, GROUP, REGION\nUSER, *, CG-EU, EU\nADMIN, ADMIN, *, *\n];\n";

/// Run `script` (written with `files` in a scratch folder) and return the refusal's diagnostics, or
/// `Err` with the answer qsa gave instead.
fn refusal(
    name: &str,
    script: &str,
    files: &[(&str, &str)],
    opts: RunOptions,
) -> Result<String, String> {
    let dir = scratch(name);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (f, body) in files {
        std::fs::write(dir.join(f), body).expect("write");
    }
    let path = dir.join("main.qvs");
    std::fs::write(&path, script).expect("write");
    let run = run_file(&path, &opts).expect("readable");
    let out = match reduce::prepare(&run, Target::Cloud) {
        Err(diags) => Ok(diags
            .iter()
            .filter(|d| d.is_error())
            .map(|d| format!("{} {}", d.code, d.message))
            .collect::<Vec<_>>()
            .join("\n")),
        Ok(p) => {
            let users = p.listed_users();
            Err(format!(
                "{:?}\n{:?}",
                p.diagnostics.iter().map(|d| &d.message).collect::<Vec<_>>(),
                p.evaluate(&users, false)
                    .iter()
                    .map(|r| (r.id.clone(), r.access, r.reduction.clone()))
                    .collect::<Vec<_>>()
            ))
        }
    };
    let _ = std::fs::remove_dir_all(&dir);
    out
}

fn must_refuse(name: &str, script: &str, files: &[(&str, &str)], want: &str) {
    match refusal(name, script, files, RunOptions::default()) {
        Ok(why) => assert!(
            why.contains(want),
            "{name}: refused, but not because of `{want}`:\n{why}"
        ),
        Err(answer) => panic!("{name}: qsa answered instead of refusing:\n{answer}"),
    }
}

#[test]
fn security_load_skipped_because_its_source_was_not_read() {
    // Issue 7, report 1: the security table is built from a file qsa cannot read, through a temporary
    // table and a RESIDENT inside an IF on NoOfRows. "No Section Access" would be a fail-open answer.
    let script = format!(
        "Rights:\nLOAD * FROM [rights.xml] (xmlsimple, table is [Rights]);\n\
         IF NoOfRows('Rights') > 0 THEN\n  Section Access;\n  SA: NoConcatenate LOAD ACCESS, USERID, REGION RESIDENT Rights;\n  DROP TABLE Rights;\n  Section Application;\nEND IF\n{APP}"
    );
    must_refuse(
        "skipped-load",
        &script,
        &[("rights.xml", "<x/>")],
        "Section Access",
    );
}

#[test]
fn security_values_from_a_variable_nothing_sets() {
    let script = format!(
        "Section Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, $(vUser), EU\nADMIN, ADMIN, *\n];\n{APP}"
    );
    must_refuse("never-set", &script, &[], "vUser");
    // Supplied with --var, it is known.
    let opts = RunOptions {
        vars: vec![("vUser".into(), "AUTH0|ALICE".into())],
        ..Default::default()
    };
    assert!(
        refusal("never-set-var", &script, &[], opts).is_err(),
        "--var makes it known"
    );
}

#[test]
fn group_mode_set_under_a_condition_qsa_cannot_evaluate() {
    // S7: the mode is read at the end of the script; a branch that may set it makes it unknown.
    let script = format!(
        "Cfg: LOAD * FROM [cfg.xml] (xmlsimple, table is [Cfg]);\nLET vMode = Peek('Mode', 0, 'Cfg');\n\
         IF '$(vMode)' = '1' THEN\n  LET QlikCloudGroupMode = 1;\nEND IF\n\
         Section Access;\nLOAD * INLINE [\nACCESS, USERID, GROUP, REGION\nUSER, *, FINANCE, EU\nADMIN, ADMIN, *, *\n];\n{APP}"
    );
    must_refuse(
        "group-mode",
        &script,
        &[("cfg.xml", "<x/>")],
        "QlikCloudGroupMode",
    );
}

#[test]
fn mapping_not_read_taints_the_security_table() {
    let script = format!(
        "UserMap: MAPPING LOAD * FROM [users.xml] (xmlsimple, table is [U]);\n\
         Section Access;\nLOAD ACCESS, ApplyMap('UserMap', ID, 'NOBODY') AS USERID, REGION INLINE [\nACCESS, ID, REGION\nUSER, 1, EU\nADMIN, 2, *\n];\n{APP}"
    );
    must_refuse(
        "mapping",
        &script,
        &[("users.xml", "<x/>")],
        "security table",
    );
}

#[test]
fn execute_may_rewrite_the_security_file() {
    let script = format!(
        "EXECUTE cmd.exe /c copy rights_new.csv rights.csv;\nSection Access;\n\
         LOAD ACCESS, USERID, REGION FROM rights.csv (txt, embedded labels, delimiter is ',');\n{APP}"
    );
    must_refuse(
        "execute",
        &script,
        &[(
            "rights.csv",
            "ACCESS,USERID,REGION\nUSER,ALICE,EU\nADMIN,BOB,*\n",
        )],
        "EXECUTE",
    );
}

#[test]
fn an_include_qsa_cannot_read_may_hold_section_access() {
    // Qlik skips a missing include silently; where the app reloads, the file may exist.
    must_refuse(
        "include",
        &format!("$(include=security.qvs);\n{APP}"),
        &[],
        "include",
    );
}

#[test]
fn binary_brings_another_apps_section_access() {
    must_refuse(
        "binary",
        &format!("Binary [lib://Apps/base.qvf];\n{APP}"),
        &[],
        "BINARY",
    );
}

#[test]
fn osuser_in_security_values_needs_the_reload_user() {
    let script = format!(
        "Section Access;\nLOAD ACCESS, Upper(SubField(OSUser(), 'UserId=', 2)) AS USERID, REGION INLINE [\nACCESS, REGION\nADMIN, *\n];\n{APP}"
    );
    must_refuse("osuser", &script, &[], "reload");
    let opts = RunOptions {
        reload_user: Some("CORP\\builder".into()),
        ..Default::default()
    };
    assert!(
        refusal("osuser-known", &script, &[], opts).is_err(),
        "--reload-user makes it known"
    );
}

#[test]
fn a_section_switch_under_an_unknown_condition() {
    let script = format!(
        "IF vSecure = 1 THEN\n  Section Access;\nEND IF\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, ALICE, EU\n];\n{APP}"
    );
    must_refuse(
        "section-switch",
        &script,
        &[],
        "Section Access or Section Application",
    );
}

#[test]
fn no_section_access_needs_proof_too() {
    // A load that may have run in access mode: "sees all data" would be a guess.
    let script = format!("IF vSecure = 1 THEN\n  Section Access;\n  LOAD * FROM [sa.qvd] (qvd);\n  Section Application;\nEND IF\n{APP}");
    must_refuse("no-sa-proof", &script, &[], "vSecure");
    // With the variable known, the branch is not taken and there is no Section Access.
    let opts = RunOptions {
        vars: vec![("vSecure".into(), "0".into())],
        ..Default::default()
    };
    assert!(refusal("no-sa-known", &script, &[], opts).is_err());
}

#[test]
fn unknown_variable_in_an_unlinked_table_is_only_a_warning() {
    // R4 data islands are never reduced: what they hold cannot change anyone's access.
    let script = format!(
        "Section Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, ALICE, EU\nADMIN, BOB, *\n];\n{APP}\
         Notes: LOAD '$(vNote)' AS Note AUTOGENERATE 1;\n"
    );
    assert!(refusal("island", &script, &[], RunOptions::default()).is_err());
}

#[test]
fn a_statement_that_does_not_parse_fails_only_if_it_runs() {
    // Qlik reads a statement when it reaches it: scripts stop a reload on purpose with an unparseable
    // line in an error branch. Never reached: a warning. Reached: refused. Maybe reached: refused.
    let sa = SA_ADMIN;
    let never = format!("IF 1 = 0 THEN\n  [stop the reload here];\nEND IF\n{sa}{APP}");
    assert!(refusal("never-runs", &never, &[], RunOptions::default()).is_err());
    let always = format!("IF 1 = 1 THEN\n  [stop the reload here];\nEND IF\n{sa}{APP}");
    must_refuse("runs", &always, &[], "QSA001");
    let maybe = format!("IF vFailed = 1 THEN\n  [stop the reload here];\nEND IF\n{sa}{APP}");
    must_refuse("maybe-runs", &maybe, &[], "does not parse");
}

#[test]
fn group_mode_assigned_without_let_is_read_line_by_line() {
    // Issue 7, report 2: `Let` omitted is a control statement that ends at the line end (Qlik help,
    // LET): both lines are assignments, and the mode is 2 - so custom groups count.
    let sa = SA_GROUPS;
    let script = format!("vMode = 3\nQlikCloudGroupMode = $(vMode) - 1\n{sa}{APP}");
    let dir = scratch("implicit-let");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("main.qvs");
    std::fs::write(&path, &script).expect("write");
    let run = run_file(&path, &RunOptions::default()).expect("readable");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        run.variables.get("QlikCloudGroupMode").map(String::as_str),
        Some("2")
    );
    let p = reduce::prepare(&run, Target::Cloud).expect("evaluates");
    assert_eq!(p.group_mode().number(), 2);
    // A LET that runs on into the next line before its `;`: neither variable is known.
    let script = format!("LET vMode = 1\nQlikCloudGroupMode = 2;\n{sa}{APP}");
    must_refuse("let-unread", &script, &[], "QlikCloudGroupMode");
}

#[test]
fn drop_variable_of_the_group_mode() {
    // S7: dropped, QlikCloudGroupMode is unset again (0: IdP groups); dropped under a condition qsa
    // cannot evaluate, it is unknown.
    let sa = SA_GROUPS;
    let dir = scratch("drop-variable");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let path = dir.join("main.qvs");
    let script =
        format!("SET QlikCloudGroupMode = 1;\nDrop Variable QlikCloudGroupMode;\n{sa}{APP}");
    std::fs::write(&path, &script).expect("write");
    let run = run_file(&path, &RunOptions::default()).expect("readable");
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(run.variables.get("QlikCloudGroupMode"), None);
    let p = reduce::prepare(&run, Target::Cloud).expect("evaluates");
    assert_eq!(p.group_mode().number(), 0);
    let script = format!(
        "SET QlikCloudGroupMode = 1;\nIF vReset = 1 THEN\n  Drop Variables QlikCloudGroupMode;\nEND IF\n{sa}{APP}"
    );
    must_refuse("drop-variable-maybe", &script, &[], "QlikCloudGroupMode");
}

#[test]
fn when_and_unless_statements_under_conditions_qsa_cannot_evaluate() {
    // `WHEN c stmt` is `IF c THEN stmt END IF` in one statement: an unknown condition leaves what the
    // statement changes unknown.
    let sa = SA_GROUPS;
    let script = format!("WHEN vCustom = 1 SET QlikCloudGroupMode = 1;\n{sa}{APP}");
    must_refuse("when-unknown", &script, &[], "QlikCloudGroupMode");
    let script = format!("UNLESS IsNull(vMode) LET QlikCloudGroupMode = 2;\n{sa}{APP}");
    must_refuse("unless-unknown", &script, &[], "QlikCloudGroupMode");
    // the idiom "default a variable unless it is set": nothing sets vMode in the script, but the app may
    // define it, so the mode is unknown
    let script = format!(
        "WHEN len('$(vMode)') = 0 SET vMode = 1;\nLET QlikCloudGroupMode = $(vMode);\n{sa}{APP}"
    );
    must_refuse("when-default", &script, &[], "vMode");
    let script = format!(
        "WHEN vSecure = 1 Section Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, ALICE, EU\n];\nSection Application;\n{APP}"
    );
    must_refuse(
        "when-section",
        &script,
        &[],
        "Section Access or Section Application",
    );
    // Known conditions: no refusal.
    let script =
        format!("SET vCustom = 0;\nWHEN vCustom = 1 SET QlikCloudGroupMode = 1;\n{sa}{APP}");
    assert!(refusal("when-known", &script, &[], RunOptions::default()).is_err());
}

#[test]
fn exit_error_fails_the_reload() {
    // A failed reload publishes nothing new: the app keeps its old Section Access. Where EXIT ERROR
    // runs, or may run, qsa refuses.
    let sa = SA_ADMIN;
    let runs = format!("{sa}{APP}Exit Error 'stale data';\n");
    must_refuse("exit-error", &runs, &[], "QSA117");
    let maybe = format!("{sa}{APP}Exit Error 'stale data' when vStale = 1;\n");
    must_refuse("exit-error-maybe", &maybe, &[], "EXIT ERROR");
    let branch = format!("IF vStale = 1 THEN\n  Exit Error 'stale data';\nEND IF\n{sa}{APP}");
    must_refuse("exit-error-branch", &branch, &[], "EXIT ERROR");
    let never = format!("SET vStale = 0;\nExit Error 'stale data' when vStale = 1;\n{sa}{APP}");
    assert!(refusal("exit-error-never", &never, &[], RunOptions::default()).is_err());
    // `Exit Script ("message")` is not documented: where it runs, qsa cannot say whether the reload
    // succeeded.
    let undocumented = format!("{sa}{APP}IF 1 = 1 THEN\n  Exit Script ('done');\nEND IF\n");
    must_refuse(
        "exit-script-message",
        &undocumented,
        &[],
        "does not document",
    );
}

#[test]
fn a_second_else_that_would_change_the_answer() {
    // qsa reads the body of a second ELSE as never run; Qlik does not document the form, so where that
    // body could change the answer, qsa refuses; where it cannot (a TRACE), it answers.
    let sa = SA_GROUPS;
    let script = format!(
        "IF 1 = 1 THEN\n  TRACE ok;\nELSE\n  TRACE no;\nELSE\n  SET QlikCloudGroupMode = 1;\nEND IF\n{sa}{APP}"
    );
    must_refuse("second-else", &script, &[], "second ELSE");
    let script = format!(
        "IF 1 = 1 THEN\n  TRACE ok;\nELSE\n  TRACE no;\nELSE\n  TRACE never;\nEND IF\n{sa}{APP}"
    );
    assert!(refusal("second-else-trace", &script, &[], RunOptions::default()).is_err());
    // With an unknown condition, every branch is seen, the second ELSE's too.
    let script = format!(
        "IF vX = 1 THEN\n  TRACE ok;\nELSE\n  TRACE no;\nELSE\n  Section Access;\nEND IF\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, ALICE, EU\n];\nSection Application;\n{APP}"
    );
    must_refuse(
        "second-else-unknown",
        &script,
        &[],
        "Section Access or Section Application",
    );
}

#[test]
fn call_of_a_sub_named_by_a_variable_nothing_sets() {
    // `CALL $(vSub)`: with vSub unknown, which SUB runs (and what it changes) is unknown.
    let script = format!(
        "SUB Open\n  SET QlikCloudGroupMode = 1;\nEND SUB\nSUB Closed\nEND SUB\nCALL $(vSub);\n\
         {SA_GROUPS}{APP}"
    );
    must_refuse("call-unknown-sub", &script, &[], "which SUB it calls");
    let maybe = format!("IF vX = 1 THEN\n  CALL $(vSub);\nEND IF\n{SA_ADMIN}{APP}");
    must_refuse("call-unknown-sub-branch", &maybe, &[], "which SUB it calls");
    let known = format!("SUB Closed\nEND SUB\nSET vSub = Closed;\nCALL $(vSub);\n{SA_ADMIN}{APP}");
    assert!(refusal("call-known-sub", &known, &[], RunOptions::default()).is_err());
}

#[test]
fn call_arguments_expanded_from_a_variable_nothing_sets() {
    // Arguments that only form a list after expansion (`CALL Sub('$(a)', $(b) $(c))`): an unknown
    // variable among them makes every parameter unknown.
    let script = format!(
        "SUB Grant(pUser, pRegion)\n  Section Access;\n  LOAD * INLINE [\nACCESS, USERID, REGION\nUSER, $(pUser), $(pRegion)\nADMIN, ADMIN, *\n];\n  Section Application;\nEND SUB\n\
         SET vUser = 'ALICE';\nCALL Grant('$(vUser)', $(vRegion) $(vSuffix));\n{APP}"
    );
    must_refuse("call-args", &script, &[], "vRegion");
}

#[test]
fn the_steps_fixture_gives_the_answer_a_faithful_run_gives() {
    // Hand-computed from fixtures/failclosed/steps/data: mode 1 (custom groups); `*` in COUNTRY stands
    // for the listed DE, FR, US (R1), so IT facts stay hidden even from the admin; the US group row
    // applies through a custom group only; Notes is a data island (R4).
    use qsa::access::directory::{Group, Provider};
    let group = |name: &str, provider| Group {
        name: name.into(),
        provider,
    };
    let mut carol = User::new("auth0|carol");
    carol.groups.push(group("cg-us-readers", Provider::Custom));
    let mut dave = User::new("auth0|dave");
    dave.groups.push(group("cg-us-readers", Provider::Idp));
    let users = [
        User::new("auth0|admin"),
        User::new("auth0|alice"),
        carol,
        dave,
    ];
    let got = fixture_answer("steps", &users);
    let want = "\
auth0|admin Admin {\"COUNTRY\": Some([\"DE\", \"FR\", \"US\"])} [] {\"Countries\": 3, \"Facts\": 5}
auth0|alice User {\"COUNTRY\": Some([\"DE\"])} [] {\"Countries\": 1, \"Facts\": 2}
auth0|carol User {\"COUNTRY\": Some([\"US\"])} [] {\"Countries\": 1, \"Facts\": 2}
auth0|dave Denied {} [] {\"Countries\": 0, \"Facts\": 0}
";
    assert_eq!(got, want);
}

#[test]
fn file_and_qvd_header_functions_read_what_qsa_can_see() {
    // Incremental-load idioms test a QVD before reading it. A file qsa can see answers; one it cannot
    // see is unknown (it may exist where the app reloads), so the branch it decides is unknown too.
    let dir = scratch("qvd-fns");
    std::fs::create_dir_all(&dir).expect("mkdir");
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    std::fs::copy(
        root.join("fixtures/data/qvd/test_qvd.qvd"),
        dir.join("t.qvd"),
    )
    .expect("copy");
    let script = "LET a = QvdNoOfRecords('t.qvd');\nLET b = QvdNoOfFields('t.qvd');\n\
                  LET c = IsNull(QvdCreateTime('t.qvd'));\nLET d = FileSize('t.qvd') > 0;\n\
                  LET e = IsPartialReload();\nLET f = QvdNoOfRecords('missing.qvd');\n";
    let path = dir.join("main.qvs");
    std::fs::write(&path, script).expect("write");
    let run = run_file(&path, &RunOptions::default()).expect("readable");
    let _ = std::fs::remove_dir_all(&dir);
    let var = |k: &str| run.variables.get(k).cloned().unwrap_or_default();
    let header =
        qsa::script::sources::qvd::read_qvd_header(&root.join("fixtures/data/qvd/test_qvd.qvd"))
            .expect("a QVD");
    assert!(header.records > 0 && !header.fields.is_empty());
    assert_eq!(var("a"), header.records.to_string());
    assert_eq!(var("b"), header.fields.len().to_string());
    assert_eq!(
        var("c"),
        (if header.create_time.is_empty() {
            "-1"
        } else {
            "0"
        })
        .to_string()
    );
    assert_eq!(var("d"), "-1");
    assert_eq!(var("e"), "0");
    // `f` is unknown: the LET could not be evaluated faithfully (a warning names the file).
    assert!(run
        .diagnostics
        .iter()
        .any(|d| d.message.contains("missing.qvd")));
    // And an IF on such a file is an unknown condition, not "the file does not exist".
    let script = format!(
        "IF IsNull(QvdCreateTime('nothere.qvd')) THEN\n  Section Access;\n  LOAD * INLINE [\nACCESS, USERID\nADMIN, A\n];\n  Section Application;\nEND IF\n{APP}"
    );
    must_refuse("qvd-unknown", &script, &[], "nothere.qvd");
}

#[test]
fn security_kept_in_excel_gives_the_answer_a_faithful_run_gives() {
    // Hand-computed from fixtures/failclosed/excel/make.py: the expired row is filtered out by its date
    // cell; `*` stands for the listed EMEA, AMER (R1), so APAC stays hidden from the admin.
    let users = ["auth0|boss", "auth0|eva", "auth0|old", "auth0|sam"].map(User::new);
    let got = fixture_answer("excel", &users);
    let want = "\
auth0|boss Admin {\"REGION\": Some([\"AMER\", \"EMEA\"])} [] {\"Sales\": 3}
auth0|eva User {\"REGION\": Some([\"EMEA\"])} [] {\"Sales\": 2}
auth0|old Denied {} [] {\"Sales\": 0}
auth0|sam User {\"REGION\": Some([\"AMER\"])} [] {\"Sales\": 1}
";
    assert_eq!(got, want);
}

#[test]
fn an_assignment_to_a_variable_named_by_an_unknown_variable() {
    // `SET $(vName) = 1` with vName never set: it may assign any variable, QlikCloudGroupMode included.
    let sa = "Section Access;\nLOAD * INLINE [\nACCESS, USERID, GROUP, REGION\nUSER, *, CG-EU, EU\nADMIN, ADMIN, *, *\n];\n";
    must_refuse(
        "set-unknown-name",
        &format!("SET $(vName) = 1;\n{sa}{APP}"),
        &[],
        "vName",
    );
}

#[test]
fn a_reading_setting_that_may_have_changed() {
    // S5: `SET Verbatim = 1` keeps the spaces around security values; under an unknown condition, what
    // the security table holds is unknown.
    let script = format!(
        "IF vKeepSpaces = 1 THEN\n  SET Verbatim = 1;\nEND IF\nSection Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, ALICE , EU\nADMIN, BOB, *\n];\n{APP}"
    );
    must_refuse("verbatim", &script, &[], "vKeepSpaces");
}
