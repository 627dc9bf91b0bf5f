//! The parser's test harness (one binary): fixtures with insta snapshots, the printer round-trip, a
//! never-panic property test, the grammar-coverage check and the `qsa check` command line.

use proptest::prelude::*;
use qsa::diag::{SourceFile, SourceId, SourceMap};
use qsa::report::diagnostics::render_human;
use qsa::syntax::print::{print_script, summary};
use qsa::syntax::*;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(p: &Path) -> String {
    qsa::diag::decode_script_bytes(&std::fs::read(p).expect("fixture readable"))
}

fn fixtures(dir: &str) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(root().join("fixtures").join(dir))
        .expect("fixture dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "qvs"))
        .collect();
    v.sort();
    v
}

/// Diagnostics rendered without colour, with the file shown by its fixture-relative name.
fn rendered(name: &str, text: &str, parsed: &Parsed) -> String {
    let mut sm = SourceMap::default();
    sm.add(SourceFile::new(name, None, text));
    render_human(&parsed.diagnostics, &sm, false)
}

// ---------------------------------------------------------------------------------------------------
// Fixtures

#[test]
fn valid_fixtures() {
    insta::glob!("../fixtures", "valid/*.qvs", |path| {
        let text = read(path);
        let parsed = parse_script(SourceId(0), &text);
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        assert!(
            !parsed.has_errors(),
            "{name} has errors:\n{}",
            rendered(&name, &text, &parsed)
        );
        let mut snap = summary(&parsed.script, Some(&text));
        if !parsed.diagnostics.is_empty() {
            snap.push_str("--- diagnostics\n");
            for d in &parsed.diagnostics {
                let at = d.primary.as_ref().map(|l| l.span.start).unwrap_or(0);
                let line = text[..at.min(text.len())].matches('\n').count() + 1;
                snap.push_str(&format!(
                    "{} {} line {}: {}\n",
                    d.severity, d.code, line, d.message
                ));
            }
        }
        insta::assert_snapshot!(snap);
    });
}

#[test]
fn invalid_fixtures() {
    insta::glob!("../fixtures", "invalid/*.qvs", |path| {
        let text = read(path);
        let parsed = parse_script(SourceId(0), &text);
        let name = format!(
            "invalid/{}",
            path.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default()
        );
        assert!(parsed.has_errors(), "{name} parsed without errors");
        for d in &parsed.diagnostics {
            assert!(
                d.primary.is_some(),
                "{name}: every syntax diagnostic is located"
            );
            assert!(
                d.help.is_some(),
                "{name}: every syntax diagnostic has a hint"
            );
        }
        insta::assert_snapshot!(rendered(&name, &text, &parsed));
    });
}

#[test]
fn large_fixture_parses_without_errors() {
    let p = root().join("fixtures/large/app.qvs");
    let text = read(&p);
    assert!(
        text.lines().count() >= 2000,
        "the large fixture has 2,000+ lines"
    );
    let parsed = parse_script(SourceId(0), &text);
    assert!(
        !parsed.has_errors(),
        "{}",
        rendered("large/app.qvs", &text, &parsed)
    );
    assert!(parsed.script.tabs.len() >= 8, "many tabs");
    let inc = root().join("fixtures/large/common.qvs");
    let itext = read(&inc);
    let ip = parse_script(SourceId(1), &itext);
    assert!(
        !ip.has_errors(),
        "{}",
        rendered("large/common.qvs", &itext, &ip)
    );
}

/// The text of each top-level statement.
fn statement_texts<'t>(p: &Parsed, text: &'t str) -> Vec<&'t str> {
    p.script
        .statements
        .iter()
        .map(|s| &text[s.span.range()])
        .collect()
}

#[test]
fn spans_point_at_statements() {
    let text = "SET a = 1;\n  LET b = a + 1;\nLOAD x INLINE [\nx\n1\n];";
    let p = parse_script(SourceId(0), text);
    let spans = statement_texts(&p, text);
    assert_eq!(
        spans,
        vec!["SET a = 1;", "LET b = a + 1;", "LOAD x INLINE [\nx\n1\n];"]
    );
    match &p.script.statements[1].kind {
        StmtKind::Let {
            name,
            expr: Some(e),
        } => {
            assert_eq!(&text[name.span.range()], "b");
            assert_eq!(&text[e.span.range()], "a + 1");
        }
        other => panic!("{other:?}"),
    }
    match &p.script.statements[2].kind {
        StmtKind::Load(l) => match &l.parts[0].source {
            LoadSource::Inline { data, .. } => assert_eq!(&text[data.span.range()], "\nx\n1\n"),
            other => panic!("{other:?}"),
        },
        other => panic!("{other:?}"),
    }
}

#[test]
fn parse_expr_entry_point() {
    let e = parse_expr(SourceId(0), " Sum(Amount) * 2 ").expect("parses");
    assert_eq!(qsa::syntax::print::print_expr(&e), "Sum(Amount) * 2");
    let err = parse_expr(SourceId(3), "1 +").unwrap_err();
    assert_eq!(err[0].code, qsa::diag::codes::SYNTAX);
    assert_eq!(err[0].primary.as_ref().map(|l| l.source), Some(SourceId(3)));
    assert!(parse_expr(SourceId(0), "a b").is_err());
}

// ---------------------------------------------------------------------------------------------------
// Printer round trip

fn round_trip(name: &str, text: &str) {
    let a = parse_script(SourceId(0), text);
    let printed = print_script(&a.script, text);
    let b = parse_script(SourceId(0), &printed);
    assert!(
        !b.has_errors(),
        "{name}: printed text does not parse:\n{printed}\n{}",
        rendered(name, &printed, &b)
    );
    let (sa, sb) = (summary(&a.script, None), summary(&b.script, None));
    // tabs are comments and are not printed
    let strip = |s: &str| {
        s.lines()
            .filter(|l| !l.starts_with("tab "))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(
        strip(&sa),
        strip(&sb),
        "{name}: round trip changed the tree; printed:\n{printed}"
    );
}

#[test]
fn printer_round_trips_every_fixture() {
    let mut n = 0;
    for p in fixtures("valid").into_iter().chain(fixtures("large")) {
        round_trip(&p.display().to_string(), &read(&p));
        n += 1;
    }
    assert!(n >= 10);
}

// ---------------------------------------------------------------------------------------------------
// Never panic, always finish

fn check_invariants(text: &str) {
    let p = parse_script(SourceId(0), text);
    fn walk(stmts: &[Stmt], len: usize) {
        let mut last = 0;
        for s in stmts {
            assert!(
                s.span.start <= s.span.end && s.span.end <= len,
                "span inside the text"
            );
            assert!(s.span.start >= last, "statements in order");
            last = s.span.start;
        }
    }
    walk(&p.script.statements, text.len());
    for d in &p.diagnostics {
        if let Some(l) = &d.primary {
            assert!(l.span.end <= text.len());
        }
    }
    let _ = print_script(&p.script, text);
}

const TOKENS: &[&str] = &[
    ";", "'", "[", "]", "(", ")", "$(", "\"", "`", "/*", "//", "\n", "LOAD ", "IF ", "THEN ",
    "END IF", "NEXT", "FOR ", "DO ", "LOOP", "SUB ", "END SUB", "SWITCH ", "CASE ", "INLINE [",
    "FROM ", "REM ", ":", "=",
];

fn mutate(text: &str, ops: &[(usize, usize, usize)]) -> String {
    let mut s = text.to_string();
    for &(kind, at, tok) in ops {
        if s.is_empty() {
            break;
        }
        let mut at = at % (s.len() + 1);
        while !s.is_char_boundary(at) {
            at -= 1;
        }
        match kind % 3 {
            0 => s.insert_str(at, TOKENS[tok % TOKENS.len()]),
            1 => {
                let mut end = (at + 1 + tok % 20).min(s.len());
                while !s.is_char_boundary(end) {
                    end += 1;
                }
                s.replace_range(at..end, "");
            }
            _ => s.insert(at, ';'),
        }
    }
    s
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(s in "\\PC{0,300}") {
        check_invariants(&s);
    }

    #[test]
    fn token_soup_never_panics(toks in proptest::collection::vec(0usize..TOKENS.len(), 0..80)) {
        let s: String = toks.iter().map(|&t| TOKENS[t]).collect();
        check_invariants(&s);
    }

    #[test]
    fn mutated_fixtures_never_panic(file in 0usize..10, ops in proptest::collection::vec((0usize..3, 0usize..100_000, 0usize..64), 1..12)) {
        let files = fixtures("valid");
        let text = read(&files[file % files.len()]);
        check_invariants(&mutate(&text, &ops));
    }
}

// ---------------------------------------------------------------------------------------------------
// Grammar coverage

/// Production names defined in the grammar (`name = …`).
fn productions() -> BTreeSet<String> {
    let g = std::fs::read_to_string(root().join("grammar/qlik-script.ebnf")).expect("grammar");
    // drop comments
    let mut text = String::new();
    let mut rest = g.as_str();
    while let Some(n) = rest.find("(*") {
        text.push_str(&rest[..n]);
        rest = match rest[n..].find("*)") {
            Some(m) => &rest[n + m + 2..],
            None => "",
        };
    }
    text.push_str(rest);
    text.lines()
        .filter_map(|l| {
            let (lhs, _) = l.split_once('=')?;
            let lhs = lhs.trim();
            (!lhs.is_empty()
                && lhs.chars().all(|c| c.is_ascii_lowercase() || c == '_')
                && !l.starts_with(' '))
            .then(|| lhs.to_string())
        })
        .collect()
}

/// Productions visible in a parsed tree.
fn observed(p: &Parsed, text: &str) -> BTreeSet<&'static str> {
    let mut o = BTreeSet::new();
    o.insert("script");
    if !p.script.tabs.is_empty() {
        o.insert("tab_marker");
    }
    fn expr(e: &Expr, o: &mut BTreeSet<&'static str>) {
        if e.kind == ExprKind::Absent {
            return;
        }
        o.insert("expression");
        o.insert("primary");
        match &e.kind {
            ExprKind::Num { text, .. } => {
                o.insert("number");
                if text.chars().all(|c| c.is_ascii_digit()) {
                    o.insert("integer");
                }
            }
            ExprKind::Str(_) => {
                o.insert("string");
            }
            ExprKind::Field(n) => name(n, o),
            ExprKind::Expansion(_) => {
                o.insert("expansion");
            }
            ExprKind::Unary { op, expr: x } => {
                o.insert(if *op == UnaryOp::Not {
                    "not_expr"
                } else {
                    "unary_expr"
                });
                expr(x, o);
            }
            ExprKind::Binary { op, lhs, rhs } => {
                use BinaryOp::*;
                let p = match op {
                    Or | Xor => "or_expr",
                    And => "and_expr",
                    Eq | Ne | Lt | Le | Gt | Ge | Like | Precedes | Follows => {
                        o.insert("rel_op");
                        "rel_expr"
                    }
                    BitOr | BitXor => "bitor_expr",
                    BitAnd => "bitand_expr",
                    Shl | Shr => "shift_expr",
                    Concat => "concat_expr",
                    Add | Sub => "add_expr",
                    Mul | Div => "mul_expr",
                };
                o.insert(p);
                expr(lhs, o);
                expr(rhs, o);
            }
            ExprKind::Call { name: n, args, .. } => {
                o.insert("call");
                name(n, o);
                if !args.is_empty() {
                    o.insert("argument");
                }
                for a in args {
                    expr(a, o);
                }
            }
            ExprKind::Paren(x) => expr(x, o),
            ExprKind::Absent => {}
        }
    }
    fn name(n: &Name, o: &mut BTreeSet<&'static str>) {
        o.insert("name");
        if n.quote == Quote::None {
            o.insert("unquoted_name");
        }
        if n.text.contains("$(") {
            o.insert("expansion");
        }
    }
    fn var_name(n: &Name, o: &mut BTreeSet<&'static str>) {
        o.insert("var_name");
        if n.quote == Quote::None && n.text.bytes().all(|b| b.is_ascii_digit()) {
            o.insert("integer");
        } else {
            name(n, o);
        }
    }
    fn format(f: &[FormatItem], o: &mut BTreeSet<&'static str>) {
        if !f.is_empty() {
            o.insert("format_spec");
            o.insert("format_item");
        }
        for i in f {
            match i {
                FormatItem::FileType(_) => {
                    o.insert("file_type");
                }
                FormatItem::Codepage(_) => {
                    o.insert("codepage");
                }
                FormatItem::HeaderLines(_) | FormatItem::RecordLines(_) => {
                    o.insert("integer");
                }
                _ => {}
            }
        }
    }
    fn names(ns: &[Name], o: &mut BTreeSet<&'static str>) {
        if !ns.is_empty() {
            o.insert("name_list");
        }
        for n in ns {
            name(n, o);
        }
    }
    fn stmts(ss: &[Stmt], o: &mut BTreeSet<&'static str>) {
        for s in ss {
            stmt(s, o);
        }
    }
    fn block(b: &Block, o: &mut BTreeSet<&'static str>) {
        o.insert("block");
        stmts(&b.statements, o);
    }
    fn fields(fs: &[LoadField], o: &mut BTreeSet<&'static str>) {
        if !fs.is_empty() {
            o.insert("field_list");
            o.insert("field");
        }
        for f in fs {
            if let LoadField::Expr { expr: e, alias, .. } = f {
                expr(e, o);
                if let Some(a) = alias {
                    name(a, o);
                }
            }
        }
    }
    fn stmt(s: &Stmt, o: &mut BTreeSet<&'static str>) {
        o.insert("statement");
        let control = matches!(
            s.kind,
            StmtKind::If { .. }
                | StmtKind::For { .. }
                | StmtKind::ForEach { .. }
                | StmtKind::Do { .. }
                | StmtKind::Sub { .. }
                | StmtKind::Switch { .. }
                | StmtKind::Call { .. }
                | StmtKind::Exit { .. }
        );
        if control {
            o.insert("control_statement");
        } else if !matches!(s.kind, StmtKind::Include { .. }) {
            o.insert("regular_statement");
        }
        match &s.kind {
            StmtKind::Set { name: n, value } => {
                o.insert("set_stmt");
                var_name(n, o);
                if value.is_some() {
                    o.insert("raw_text");
                }
            }
            StmtKind::LetUnread { name: n, .. } => {
                o.insert("let_stmt");
                var_name(n, o);
            }
            StmtKind::Let { name: n, expr: e } => {
                o.insert("let_stmt");
                var_name(n, o);
                if let Some(e) = e {
                    expr(e, o);
                }
            }
            StmtKind::Section(_) => {
                o.insert("section_stmt");
            }
            StmtKind::Load(l) => {
                o.insert("load_stmt");
                if let Some(lb) = &l.label {
                    o.insert("label");
                    name(lb, o);
                }
                if !l.prefixes.is_empty() {
                    o.insert("prefix");
                }
                for p in &l.prefixes {
                    let k = match p {
                        Prefix::Concatenate(_) => "concatenate_prefix",
                        Prefix::Join { .. } => "join_prefix",
                        Prefix::Keep { .. } => "keep_prefix",
                        Prefix::CrossTable { qualifiers, .. } => {
                            if qualifiers.is_some() {
                                o.insert("integer");
                            }
                            "crosstable_prefix"
                        }
                        Prefix::Hierarchy { args, .. } => {
                            if !args.is_empty() {
                                o.insert("argument");
                            }
                            for a in args {
                                expr(a, o);
                            }
                            "hierarchy_prefix"
                        }
                        Prefix::IntervalMatch { .. } => "intervalmatch_prefix",
                        Prefix::Buffer => "buffer_prefix",
                        Prefix::Add { .. } | Prefix::Replace { .. } => "add_replace_prefix",
                        Prefix::Merge => "merge_prefix",
                        Prefix::First(_) => "first_prefix",
                        Prefix::Sample(_) => "sample_prefix",
                        Prefix::When(_) => "when_prefix",
                        _ => "prefix",
                    };
                    o.insert(k);
                }
                let n = l.parts.len();
                for (i, p) in l.parts.iter().enumerate() {
                    if i + 1 < n {
                        o.insert("preceding_load");
                    }
                    fields(&p.fields, o);
                    match &p.source {
                        LoadSource::Sql(_) => {
                            o.insert("sql_part");
                            o.insert("raw_text");
                        }
                        src => {
                            o.insert("load_part");
                            let k = match src {
                                LoadSource::Inline { format: f, .. } => {
                                    format(f, o);
                                    Some("inline_source")
                                }
                                LoadSource::From { format: f, .. } => {
                                    format(f, o);
                                    o.insert("path");
                                    Some("from_source")
                                }
                                LoadSource::Resident(r) => {
                                    name(r, o);
                                    Some("resident_source")
                                }
                                LoadSource::Autogenerate(e) => {
                                    expr(e, o);
                                    Some("autogenerate_source")
                                }
                                LoadSource::Other(_) => Some("other_source"),
                                _ => None,
                            };
                            if let Some(k) = k {
                                o.insert(k);
                                o.insert("load_source");
                            }
                        }
                    }
                    if p.where_.is_some()
                        || p.while_.is_some()
                        || !p.group_by.is_empty()
                        || !p.order_by.is_empty()
                    {
                        o.insert("load_clauses");
                    }
                    if let Some(w) = &p.where_ {
                        o.insert("where_clause");
                        expr(w, o);
                    }
                    if let Some(w) = &p.while_ {
                        o.insert("while_clause");
                        expr(w, o);
                    }
                    if !p.group_by.is_empty() {
                        o.insert("group_by");
                    }
                    if !p.order_by.is_empty() {
                        o.insert("order_by");
                    }
                }
            }
            StmtKind::Drop { names: ns, .. } => {
                o.insert("drop_stmt");
                names(ns, o);
            }
            StmtKind::DropVariables { names } => {
                o.insert("drop_variable_stmt");
                for n in names {
                    var_name(n, o);
                }
            }
            StmtKind::Rename { .. } => {
                o.insert("rename_stmt");
            }
            StmtKind::Store {
                fields: fs,
                format: f,
                ..
            } => {
                o.insert("store_stmt");
                o.insert("path");
                fields(fs, o);
                format(f, o);
            }
            StmtKind::Qualify { .. } => {
                o.insert("qualify_stmt");
                o.insert("pattern");
            }
            StmtKind::Star { .. } => {
                o.insert("star_stmt");
            }
            StmtKind::Binary { .. } => {
                o.insert("binary_stmt");
                o.insert("path");
            }
            StmtKind::Trace { .. } => {
                o.insert("trace_stmt");
                o.insert("raw_text");
            }
            StmtKind::Connect { .. } => {
                o.insert("connect_stmt");
            }
            StmtKind::Disconnect => {
                o.insert("disconnect_stmt");
            }
            StmtKind::Directory { .. } => {
                o.insert("directory_stmt");
            }
            StmtKind::Alias { .. } => {
                o.insert("alias_stmt");
            }
            StmtKind::Tag { .. } => {
                o.insert("tag_stmt");
            }
            StmtKind::Comment { .. } => {
                o.insert("comment_stmt");
            }
            StmtKind::Sleep { ms } => {
                o.insert("sleep_stmt");
                expr(ms, o);
            }
            StmtKind::Execute { .. } => {
                o.insert("execute_stmt");
            }
            StmtKind::Map { .. } => {
                o.insert("map_stmt");
                o.insert("pattern");
            }
            StmtKind::NullAs { .. } => {
                o.insert("nullas_stmt");
                o.insert("pattern");
            }
            StmtKind::Include { .. } => {
                o.insert("include_stmt");
            }
            StmtKind::Call {
                name: n,
                args,
                raw_args,
            } => {
                o.insert("call_stmt");
                name(n, o);
                if !args.is_empty() {
                    o.insert("argument");
                }
                for a in args {
                    expr(a, o);
                }
                if raw_args.is_some() {
                    o.insert("raw_text");
                    o.insert("expansion");
                }
            }
            StmtKind::If { branches, .. } => {
                o.insert("if_stmt");
                for b in branches {
                    expr(&b.cond, o);
                }
                for b in s.kind.blocks() {
                    block(b, o);
                }
            }
            StmtKind::For {
                from,
                to,
                step,
                body,
                ..
            } => {
                o.insert("for_stmt");
                expr(from, o);
                expr(to, o);
                if let Some(s) = step {
                    expr(s, o);
                }
                block(body, o);
            }
            StmtKind::ForEach { items, body, .. } => {
                o.insert("for_each_stmt");
                for i in items {
                    expr(i, o);
                }
                block(body, o);
            }
            StmtKind::Do { pre, body, post } => {
                o.insert("do_stmt");
                if pre.is_some() || post.is_some() {
                    o.insert("loop_condition");
                }
                block(body, o);
            }
            StmtKind::Sub { body, .. } => {
                o.insert("sub_stmt");
                block(body, o);
            }
            StmtKind::Switch {
                subject,
                cases,
                default,
            } => {
                o.insert("switch_stmt");
                expr(subject, o);
                for c in cases {
                    block(&c.body, o);
                }
                if let Some(d) = default {
                    block(d, o);
                }
            }
            StmtKind::Exit { .. } => {
                o.insert("exit_stmt");
            }
            StmtKind::Conditional { conds, stmt: inner } => {
                o.insert("conditional_stmt");
                o.insert("when_prefix");
                for c in conds {
                    expr(&c.cond, o);
                }
                stmt(inner, o);
            }
            StmtKind::Deferred { .. } => {
                o.insert("deferred_stmt");
            }
            StmtKind::Unsupported { .. } => {
                o.insert("unsupported_stmt");
            }
            StmtKind::Error => {}
        }
    }
    stmts(&p.script.statements, &mut o);
    // Productions that leave no node in the tree: checked on the text.
    let lower = text.to_ascii_lowercase();
    let body: String = text.lines().skip(1).collect::<Vec<_>>().join("\n");
    if body.contains("//") {
        o.insert("line_comment");
    }
    if body.contains("/*") {
        o.insert("block_comment");
    }
    if lower.lines().any(|l| l.trim_start().starts_with("rem ")) {
        o.insert("rem_comment");
    }
    if !p.script.statements.is_empty() {
        o.insert("trivia");
    }
    // a LET without its keyword (top level): a one-row control statement
    let keywordless = p.script.statements.iter().any(|s| {
        matches!(s.kind, StmtKind::Let { .. })
            && !text[s.span.range()].to_ascii_lowercase().starts_with("let")
    });
    if keywordless {
        o.insert("assign_stmt");
        o.insert("control_statement");
    }
    if o.contains("control_statement") {
        o.insert("eol");
    }
    o
}

#[test]
fn every_grammar_production_is_covered_by_a_fixture() {
    let prods = productions();
    assert!(prods.len() > 80, "grammar read: {prods:?}");
    let mut covered = BTreeSet::new();
    for p in fixtures("valid") {
        let text = read(&p);
        let first = text.lines().next().unwrap_or("");
        let declared = first
            .strip_prefix("// productions:")
            .unwrap_or_else(|| panic!("{} must start with `// productions: …`", p.display()));
        let parsed = parse_script(SourceId(0), &text);
        let seen = observed(&parsed, &text);
        for d in declared.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            assert!(
                prods.contains(d),
                "{}: `{d}` is not a production of the grammar",
                p.display()
            );
            assert!(
                seen.contains(d),
                "{}: declares `{d}` but its tree has no such node",
                p.display()
            );
            covered.insert(d.to_string());
        }
    }
    let missing: Vec<&String> = prods.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "productions without a fixture: {missing:?}"
    );
}

// ---------------------------------------------------------------------------------------------------
// The command line

fn qsa(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[test]
fn cli_check_broken_script_exits_1_with_located_diagnostics() {
    let (code, out, _) = qsa(&[
        "check",
        "--syntax-only",
        "fixtures/invalid/missing_semicolon.qvs",
    ]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("QSA001"), "{out}");
    assert!(
        out.contains("fixtures/invalid/missing_semicolon.qvs:5:1"),
        "{out}"
    );
    assert!(out.contains("help:"), "{out}");

    let (code, out, _) = qsa(&[
        "check",
        "--format",
        "json",
        "fixtures/invalid/end_if_without_if.qvs",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let d = &v["diagnostics"][0];
    assert_eq!(d["code"], "QSA003");
    assert_eq!(d["severity"], "error");
    assert_eq!(d["line"], 2);
    assert_eq!(d["column"], 1);
    assert_eq!(d["file"], "fixtures/invalid/end_if_without_if.qvs");

    let (code, out, _) = qsa(&[
        "check",
        "--format",
        "github",
        "fixtures/invalid/unknown_statement.qvs",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("::error file=fixtures/invalid/unknown_statement.qvs,line=2,col=1,"),
        "{out}"
    );

    let (code, out, _) = qsa(&[
        "check",
        "--format",
        "sarif",
        "fixtures/invalid/unknown_statement.qvs",
    ]);
    assert_eq!(code, 1);
    let v: serde_json::Value = serde_json::from_str(&out).expect("sarif json");
    assert_eq!(v["version"], "2.1.0");
}

#[test]
fn cli_check_clean_and_warnings_and_unreadable() {
    let (code, out, _) = qsa(&[
        "check",
        "--syntax-only",
        "fixtures/valid/loads_basic.qvs",
        "fixtures/valid/control.qvs",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no problems found"), "{out}");

    // warnings only: 0, or 1 with --deny warnings
    let (code, out, _) = qsa(&[
        "check",
        "--syntax-only",
        "fixtures/valid/includes_deferred.qvs",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("QSA004"), "{out}");
    let (code, _, _) = qsa(&[
        "check",
        "--syntax-only",
        "--deny",
        "warnings",
        "fixtures/valid/includes_deferred.qvs",
    ]);
    assert_eq!(code, 1);

    let (code, out, err) = qsa(&["check", "fixtures/does-not-exist.qvs"]);
    assert_eq!(code, 2, "{out}");
    assert!(err.contains("does-not-exist.qvs"), "{err}");

    let (code, _, _) = qsa(&["check", "--format", "xml", "fixtures/valid/control.qvs"]);
    assert_eq!(code, 2);
}

// ---------------------------------------------------------------------------------------------------
// Behaviours worth pinning down one by one

fn kinds(text: &str) -> Vec<String> {
    let p = parse_script(SourceId(0), text);
    p.script
        .statements
        .iter()
        .map(|s| {
            summary(
                &Script {
                    statements: vec![s.clone()],
                    tabs: vec![],
                },
                None,
            )
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
        })
        .collect()
}

#[test]
fn recovery_resumes_at_the_next_statement() {
    let text = "LET a = ;;\nLOAD a b FROM x;\nSET c = 1;\nFOO bar;\nLET d = 2;";
    let p = parse_script(SourceId(0), text);
    let k = kinds(text);
    assert_eq!(k.len(), 5, "{k:?}");
    assert!(
        k[1].starts_with("Error") && k[3].starts_with("Error"),
        "{k:?}"
    );
    assert!(k[2].starts_with("Set") && k[4].starts_with("Let"), "{k:?}");
    assert_eq!(p.diagnostics.iter().filter(|d| d.is_error()).count(), 2);
}

#[test]
fn labels_that_look_like_keywords_and_expanded_labels() {
    let k = kinds("Next:\nLOAD 1 AS x AUTOGENERATE 1;\n$(vT):\nLOAD * RESIDENT Next;\nCase: LOAD * INLINE [a\n1];");
    assert_eq!(
        k,
        vec![
            "Load label=\"Next\"",
            "Load label=\"$(vT)\"",
            "Load label=\"Case\""
        ]
    );
}

// S1: `//` comments (not in a `lib://` path), `/* */`, `REM …;`, and `///$tab` markers kept in order.
#[test]
fn comments_paths_and_tabs() {
    let text = "///$tab First\nLOAD * FROM lib://D/x.qvd (qvd); // trailing ; comment\n/* ; */\n///$tab Second\nREM ignore this LOAD;\nDROP TABLE x;";
    let p = parse_script(SourceId(0), text);
    assert!(!p.has_errors());
    let tabs: Vec<&str> = p.script.tabs.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(tabs, vec!["First", "Second"]);
    assert_eq!(kinds(text).len(), 2);
    match &p.script.statements[0].kind {
        StmtKind::Load(l) => match &l.parts[0].source {
            LoadSource::From { path, .. } => assert_eq!(path.text, "lib://D/x.qvd"),
            o => panic!("{o:?}"),
        },
        o => panic!("{o:?}"),
    }
}

// Excel format specs: file type, labels, header lines, `table is` with or without brackets and `$`;
// `filters(…)` stays one item, kept as written (the loader refuses it by name).
#[test]
fn excel_format_specs() {
    let text = "A: LOAD * FROM [lib://D/a.xlsx] (ooxml, embedded labels, table is Sheet1);\n\
        B: LOAD * FROM [lib://D/b.xlsx] (ooxml, no labels, header is 2 lines, table is [My Sheet$]);\n\
        C: LOAD * FROM c.xls (biff, explicit labels, table is [Data$]);\n\
        D: LOAD * FROM d.xlsx (ooxml, embedded labels, table is [Sheet (1), x$], filters(Remove(Row, Pos(Top, 1))));";
    let p = parse_script(SourceId(0), text);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    let formats: Vec<Vec<FormatItem>> = p
        .script
        .statements
        .iter()
        .map(|s| match &s.kind {
            StmtKind::Load(l) => match &l.parts[0].source {
                LoadSource::From { format, .. } => format.clone(),
                o => panic!("{o:?}"),
            },
            o => panic!("{o:?}"),
        })
        .collect();
    let ft = |t: &str| FormatItem::FileType(t.into());
    let table = |t: &str| FormatItem::Table(t.into());
    assert_eq!(
        formats,
        vec![
            vec![ft("ooxml"), FormatItem::EmbeddedLabels, table("Sheet1")],
            vec![
                ft("ooxml"),
                FormatItem::NoLabels,
                FormatItem::HeaderLines(2),
                table("My Sheet$")
            ],
            vec![ft("biff"), FormatItem::ExplicitLabels, table("Data$")],
            vec![
                ft("ooxml"),
                FormatItem::EmbeddedLabels,
                table("Sheet (1), x$"),
                FormatItem::Other("filters(Remove(Row, Pos(Top, 1)))".into())
            ],
        ]
    );
}

// S1: keywords are case-insensitive.
#[test]
fn keywords_are_case_insensitive() {
    let upper =
        kinds("SECTION ACCESS;\nLOAD * INLINE [A\n1];\nSECTION APPLICATION;\nDROP TABLE T;");
    let mixed =
        kinds("section Access;\nLoad * inline [A\n1];\nSeCtIoN aPpLiCaTiOn;\ndrop table T;");
    assert_eq!(upper, mixed);
    assert_eq!(upper.len(), 4, "{upper:?}");
}

// S1: control statements may end at the line end; regular statements end with `;`.
#[test]
fn control_statements_end_at_the_line_end() {
    let k =
        kinds("IF a = 1 THEN\nLET b = 2;\nEND IF\nFOR i = 1 TO 2\nNEXT i\nCALL s\nCALL t(1, 'x')");
    assert_eq!(k.len(), 4, "{k:?}");
    assert!(k[0].starts_with("If") && k[1].starts_with("For") && k[2].starts_with("Call"));
}

#[test]
fn unbalanced_blocks_have_an_opener_label() {
    let p = parse_script(SourceId(0), "SUB x\n  TRACE a;\n");
    let d = p
        .diagnostics
        .iter()
        .find(|d| d.code == qsa::diag::codes::UNBALANCED_BLOCK)
        .expect("QSA003");
    assert_eq!(d.secondary.len(), 1);
    assert_eq!(d.secondary[0].span, qsa::diag::Span::new(0, 3));
}

#[test]
fn unsupported_statements_warn_and_never_vanish() {
    let p = parse_script(
        SourceId(0),
        "Loosen Table T;\nSearch Exclude *;\nLOAD * RESIDENT T;",
    );
    assert_eq!(p.script.statements.len(), 3);
    assert_eq!(
        p.diagnostics
            .iter()
            .filter(|d| d.code == qsa::diag::codes::UNSUPPORTED_STATEMENT)
            .count(),
        2
    );
    assert!(!p.has_errors());
}

#[test]
fn deepest_allowed_nesting_does_not_overflow_the_stack() {
    // 63 nested blocks, each condition an expression nested 60 levels deep (test threads have small stacks)
    let deep = "(".repeat(60) + "1" + &")".repeat(60);
    let mut s = String::new();
    for _ in 0..63 {
        s.push_str(&format!("IF not {deep} = -bitnot {deep} THEN\n"));
    }
    s.push_str(&format!("LET x = {deep};\n"));
    for _ in 0..63 {
        s.push_str("END IF\n");
    }
    let p = parse_script(SourceId(0), &s);
    assert!(!p.has_errors(), "{:?}", p.diagnostics.first());
    let _ = print_script(&p.script, &s);
    let _ = summary(&p.script, Some(&s));
}

// ---------------------------------------------------------------------------------------------------
// Real scripts (not in the repository): `QSA_REAL_DIR=/some/dir cargo test --test syntax -- --ignored`
// writes `<file>.summary` (one line per statement, with its line) next to every `.qvs` of that folder
// and prints one line per script: statements (all nesting levels), errors, warnings, infos.

/// Statements at every nesting level: the summary lines that start with `line:column`.
fn count_statements(sum: &str) -> usize {
    sum.lines()
        .filter(|l| {
            let t = l.trim_start();
            let digits = t.chars().take_while(|c| c.is_ascii_digit()).count();
            digits > 0 && t[digits..].starts_with(':')
        })
        .count()
}

#[test]
#[ignore = "needs QSA_REAL_DIR"]
fn real_scripts_report() {
    let Ok(dir) = std::env::var("QSA_REAL_DIR") else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("QSA_REAL_DIR readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "qvs"))
        .collect();
    files.sort();
    let (mut total_stmts, mut total_errs) = (0, 0);
    for f in &files {
        let text = read(f);
        let p = parse_script(SourceId(0), &text);
        let sum = summary(&p.script, Some(&text));
        std::fs::write(f.with_extension("summary"), &sum).expect("summary written");
        let n = count_statements(&sum);
        let count =
            |s: qsa::diag::Severity| p.diagnostics.iter().filter(|d| d.severity == s).count();
        let e = count(qsa::diag::Severity::Error);
        total_stmts += n;
        total_errs += e;
        println!(
            "{:40} lines {:5} statements {:5} errors {:3} warnings {:3} infos {:3}",
            f.file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            text.lines().count(),
            n,
            e,
            count(qsa::diag::Severity::Warning),
            count(qsa::diag::Severity::Info)
        );
    }
    println!(
        "{} scripts, {total_stmts} statements, {total_errs} errors",
        files.len()
    );
    // Truncated and spliced copies never panic (and stay fast).
    let started = std::time::Instant::now();
    for f in &files {
        let text = read(f);
        let step = (text.len() / 150).max(1);
        for c in (0..text.len()).step_by(step) {
            if !text.is_char_boundary(c) {
                continue;
            }
            let _ = parse_script(SourceId(0), &text[..c]);
            let _ = parse_script(SourceId(0), &text[c..]);
            let spliced = format!("{}{}", &text[c..], &text[..c]);
            let _ = parse_script(SourceId(0), &spliced);
        }
    }
    println!("cut/splice pass: {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------------
// Constructs Qlik documents and real scripts use

// S1/S6: LET may be left out; the statement is then one script row, ended by `;` or the line end
// (https://help.qlik.com/en-us/sense/June2017/Subsystems/Hub/Content/Scripting/ScriptRegularStatements/Let.htm).
// Only at a statement start, only for an unquoted name that is no statement keyword, followed by `=`.
#[test]
fn let_without_keyword_is_one_row_at_statement_start() {
    let text = "vA = 1 + 2\nQlikCloudGroupMode = $(vMode) - 1\nvB = 3; vC = 4\nSET vD = 5;";
    let p = parse_script(SourceId(0), text);
    assert!(!p.has_errors(), "{}", rendered("t", text, &p));
    assert_eq!(
        statement_texts(&p, text),
        vec![
            "vA = 1 + 2",
            "QlikCloudGroupMode = $(vMode) - 1",
            "vB = 3;",
            "vC = 4",
            "SET vD = 5;"
        ]
    );
    // inside a statement, `name = …` on a new row is part of it
    let k = kinds("T: LOAD x,\n  y = 1 AS Flag\nRESIDENT S\nWHERE z = 2;\nDROP TABLE S;");
    assert_eq!(k.len(), 2, "{k:?}");
    assert!(k[0].starts_with("Load"), "{k:?}");
    // statement keywords keep their meaning; a quoted name is no LET
    let k = kinds("TRACE = x;\nDirectory = x;");
    assert!(
        k[0].starts_with("Trace") && k[1].starts_with("Directory"),
        "{k:?}"
    );
    assert!(parse_script(SourceId(0), "[v] = 1;").has_errors());
    // one row: an expression cut at the line end is an error, not a LET over two rows
    let p = parse_script(SourceId(0), "vE = 1 +\n  2;");
    assert!(p.has_errors());
    assert_eq!(p.diagnostics[0].rules, vec!["S1"]);
    // after THEN, on the same row
    let k = kinds("IF 1 THEN vF = 1\nEND IF");
    assert_eq!(k.len(), 1, "{k:?}");
}

// S6: `LET v =;`, `LET v = ;` and `v =` leave v without an expression (the runner stores empty text).
#[test]
fn let_without_an_expression() {
    for text in [
        "LET v =;",
        "LET v = ;",
        "LET v=;",
        "v =;",
        "v =",
        "Let v = // nothing\n;",
    ] {
        let p = parse_script(SourceId(0), text);
        assert!(!p.has_errors(), "{text}: {}", rendered("t", text, &p));
        match &p.script.statements[..] {
            [Stmt {
                kind: StmtKind::Let { name, expr: None },
                ..
            }] => assert_eq!(name.text, "v"),
            other => panic!("{text}: {other:?}"),
        }
    }
}

// An unquoted DIRECTORY path is the rest of the statement, spaces included.
#[test]
fn directory_path_with_spaces() {
    for (text, want) in [
        (
            "Directory ../Data/tube data raw;",
            Some("../Data/tube data raw"),
        ),
        (
            "DIRECTORY C:\\Qlik Data\\Raw Files ; ",
            Some("C:\\Qlik Data\\Raw Files"),
        ),
        (
            "Directory lib://My Space/Sub Folder; // note",
            Some("lib://My Space/Sub Folder"),
        ),
        ("Directory [../x y];", Some("../x y")),
        ("Directory 'a b';", Some("a b")),
        ("Directory $(vRoot)/raw data;", Some("$(vRoot)/raw data")),
        ("Directory;", None),
    ] {
        let p = parse_script(SourceId(0), text);
        assert!(!p.has_errors(), "{text}: {}", rendered("t", text, &p));
        match &p.script.statements[0].kind {
            StmtKind::Directory { path } => {
                assert_eq!(path.as_ref().map(|p| p.text.as_str()), want, "{text}")
            }
            other => panic!("{text}: {other:?}"),
        }
    }
}

// S6: CALL arguments with `$(…)` are kept as raw text for the runner; others are parsed, and an
// empty argument is absent.
#[test]
fn call_arguments_raw_when_expanded() {
    let text = "CALL Sub('$(a)', $(b) $(c))\nCALL Sub(1, , 'x')\nCALL Sub";
    let p = parse_script(SourceId(0), text);
    assert!(!p.has_errors(), "{}", rendered("t", text, &p));
    match &p.script.statements[0].kind {
        StmtKind::Call {
            args,
            raw_args: Some(raw),
            ..
        } => {
            assert!(args.is_empty());
            assert_eq!(raw.text, "'$(a)', $(b) $(c)");
            assert_eq!(&text[raw.span.range()], raw.text);
        }
        other => panic!("{other:?}"),
    }
    match &p.script.statements[1].kind {
        StmtKind::Call {
            args,
            raw_args: None,
            ..
        } => {
            assert_eq!(args.len(), 3);
            assert_eq!(args[1].kind, ExprKind::Absent);
        }
        other => panic!("{other:?}"),
    }
    assert!(parse_script(SourceId(0), "CALL Sub(1, 2").has_errors());
    // the runner reads the expanded text as an argument list
    let args = parse_args(SourceId(0), "a, 'b,c', , f(x, y)").expect("parses");
    let shown: Vec<String> = args.iter().map(qsa::syntax::print::expr_summary).collect();
    assert_eq!(
        shown,
        vec!["Field(a)", "\"b,c\"", "Absent", "f(Field(x), Field(y))"]
    );
    assert_eq!(parse_args(SourceId(0), "  ").map(|a| a.len()), Ok(0));
    assert!(parse_args(SourceId(0), "1 +").is_err());
    assert!(parse_args(SourceId(0), "x y").is_err());
}

// Field names that are keywords elsewhere are fields where a field is expected (S1).
#[test]
fn keyword_named_fields() {
    for f in [
        "Extension",
        "From",
        "To",
        "Step",
        "Desc",
        "Asc",
        "When",
        "Unless",
        "Into",
        "Where",
        "While",
        "Resident",
        "Inline",
        "Autogenerate",
        "As",
        "Table",
        "Field",
        "Mapping",
        "Section",
        "Year",
        "Month",
        "Date",
        "Text",
        "Left",
        "Join",
        "Sum",
        "Group",
        "Order",
    ] {
        for text in [
            format!("LOAD Name, {f}, Size RESIDENT Files;"),
            format!("LOAD {f} FROM [x.csv] (txt);"),
            format!("LOAD Name, {f}\nRESIDENT Files WHERE {f} <> 'x' ORDER BY {f} DESC;"),
            format!("LOAD {f} AS X, Upper({f}) AS Y RESIDENT Files GROUP BY {f};"),
        ] {
            let p = parse_script(SourceId(0), &text);
            assert!(!p.has_errors(), "{}", rendered("t", &text, &p));
            match &p.script.statements[0].kind {
                StmtKind::Load(l) => assert!(
                    l.parts[0]
                        .fields
                        .iter()
                        .any(|x| matches!(x, LoadField::Expr { expr: Expr { kind: ExprKind::Field(n), .. }, .. } if n.text == f)),
                    "{text}: {:?}",
                    l.parts[0].fields
                ),
                other => panic!("{text}: {other:?}"),
            }
        }
    }
    // the keywords still work as keywords
    let k = kinds(
        "LOAD a, b FROM x.csv (txt);\nLOAD a EXTENSION py.fn(T);\nLOAD a RESIDENT T WHERE b = 1;",
    );
    assert_eq!(k.len(), 3, "{k:?}");
    assert!(parse_script(SourceId(0), "LOAD a, FROM x.csv;").has_errors());
}

// S1: scripts in other encodings from the command line; an unknown `--encoding` exits 2.
#[test]
fn cli_encoding_flag() {
    let (code, out, _) = qsa(&[
        "check",
        "--syntax-only",
        "--encoding",
        "windows-1251",
        "fixtures/encoding/cyrillic_1251.qvs",
    ]);
    assert_eq!(code, 0, "{out}");
    for mode in ["--syntax-only", "--deny=warnings"] {
        let (code, _, err) = qsa(&[
            "check",
            mode,
            "--encoding",
            "klingon",
            "fixtures/valid/control.qvs",
        ]);
        assert_eq!(code, 2, "{mode}");
        assert!(
            err.contains("--encoding: unknown encoding `klingon`"),
            "{err}"
        );
    }
    let (code, out, _) = qsa(&[
        "model",
        "--encoding",
        "cp1251",
        "fixtures/encoding/cyrillic_1251.qvs",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Города"), "{out}");
}
