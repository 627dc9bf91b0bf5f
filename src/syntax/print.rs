//! Printing: AST → script text that parses back to the same tree (spans aside), and a compact, span-free
//! summary of a tree (one line per node) used by snapshot tests and the round-trip check.

use crate::syntax::ast::*;
use std::fmt::Write;

/// Print a script. `src` is the text it was parsed from, used only for statements kept as source text
/// (`Unsupported`, `Error`).
pub fn print_script(script: &Script, src: &str) -> String {
    let mut out = String::new();
    for s in &script.statements {
        stmt(&mut out, s, src, 0);
    }
    out
}

/// Print one expression.
pub fn print_expr(e: &Expr) -> String {
    let mut out = String::new();
    expr(&mut out, e);
    out
}

/// `TABLES` or `FIELDS`, for DROP, RENAME and COMMENT.
fn tables_or_fields(tables: bool) -> &'static str {
    if tables {
        "TABLES"
    } else {
        "FIELDS"
    }
}

fn name(n: &Name) -> String {
    match n.quote {
        Quote::None => n.text.clone(),
        Quote::Bracket => format!("[{}]", n.text),
        Quote::Double => format!("\"{}\"", n.text.replace('"', "\"\"")),
        Quote::Backtick => format!("`{}`", n.text),
        Quote::Single => format!("'{}'", n.text.replace('\'', "''")),
    }
}

fn names(ns: &[Name]) -> String {
    ns.iter().map(name).collect::<Vec<_>>().join(", ")
}

fn string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn path(p: &RawText) -> String {
    if p.text.contains(']') {
        string(&p.text)
    } else {
        format!("[{}]", p.text)
    }
}

fn binop(op: BinaryOp) -> &'static str {
    match op {
        BinaryOp::Add => "+",
        BinaryOp::Sub => "-",
        BinaryOp::Mul => "*",
        BinaryOp::Div => "/",
        BinaryOp::Concat => "&",
        BinaryOp::Eq => "=",
        BinaryOp::Ne => "<>",
        BinaryOp::Lt => "<",
        BinaryOp::Le => "<=",
        BinaryOp::Gt => ">",
        BinaryOp::Ge => ">=",
        BinaryOp::Like => "like",
        BinaryOp::Precedes => "precedes",
        BinaryOp::Follows => "follows",
        BinaryOp::And => "and",
        BinaryOp::Or => "or",
        BinaryOp::Xor => "xor",
        BinaryOp::BitAnd => "bitand",
        BinaryOp::BitOr => "bitor",
        BinaryOp::BitXor => "bitxor",
        BinaryOp::Shl => "<<",
        BinaryOp::Shr => ">>",
    }
}

fn expr(out: &mut String, e: &Expr) {
    match &e.kind {
        ExprKind::Num { text, .. } => out.push_str(text),
        ExprKind::Str(s) => out.push_str(&string(s)),
        ExprKind::Field(n) => out.push_str(&name(n)),
        ExprKind::Expansion(s) => {
            let _ = write!(out, "$({s})");
        }
        ExprKind::Unary { op, expr: inner } => {
            out.push_str(match op {
                UnaryOp::Neg => "-",
                UnaryOp::Plus => "+",
                UnaryOp::Not => "not ",
                UnaryOp::BitNot => "bitnot ",
            });
            expr(out, inner);
        }
        ExprKind::Binary { op, lhs, rhs } => {
            expr(out, lhs);
            let _ = write!(out, " {} ", binop(*op));
            expr(out, rhs);
        }
        ExprKind::Call {
            name: n,
            distinct,
            args,
        } => {
            out.push_str(&name(n));
            out.push('(');
            if *distinct {
                out.push_str("DISTINCT ");
            }
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                expr(out, a);
            }
            out.push(')');
        }
        ExprKind::Paren(inner) => {
            out.push('(');
            expr(out, inner);
            out.push(')');
        }
        ExprKind::Absent => {}
    }
}

fn exprs(es: &[Expr]) -> String {
    es.iter().map(print_expr).collect::<Vec<_>>().join(", ")
}

fn format_items(items: &[FormatItem]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = items
        .iter()
        .map(|f| match f {
            FormatItem::FileType(t) => t.clone(),
            FormatItem::Codepage(c) => c.clone(),
            FormatItem::EmbeddedLabels => "embedded labels".into(),
            FormatItem::ExplicitLabels => "explicit labels".into(),
            FormatItem::NoLabels => "no labels".into(),
            FormatItem::Delimiter(d) => {
                if d.eq_ignore_ascii_case("spaces") {
                    "delimiter is spaces".into()
                } else {
                    format!("delimiter is '{d}'")
                }
            }
            FormatItem::Msq => "msq".into(),
            FormatItem::NoQuotes => "no quotes".into(),
            FormatItem::HeaderLines(n) => format!("header is {n} lines"),
            FormatItem::HeaderOther(s) => format!("header is {s}"),
            FormatItem::RecordLines(n) => format!("record is {n} lines"),
            FormatItem::Table(t) => format!("table is [{t}]"),
            FormatItem::CommentIs(c) => format!("comment is '{c}'"),
            FormatItem::NoEof => "no eof".into(),
            FormatItem::Other(s) => s.clone(),
        })
        .collect();
    format!(" ({})", parts.join(", "))
}

fn fields(fs: &[LoadField]) -> String {
    fs.iter()
        .map(|f| match f {
            LoadField::Star(_) => "*".to_string(),
            LoadField::Expr { expr: e, alias, .. } => match alias {
                Some(a) => format!("{} AS {}", print_expr(e), name(a)),
                None => print_expr(e),
            },
        })
        .collect::<Vec<_>>()
        .join(",\n    ")
}

fn join_kind(k: JoinKind) -> &'static str {
    match k {
        JoinKind::Plain => "",
        JoinKind::Inner => "Inner ",
        JoinKind::Outer => "Outer ",
        JoinKind::Left => "Left ",
        JoinKind::Right => "Right ",
    }
}

fn prefix(p: &Prefix) -> String {
    let opt_t = |t: &Option<Name>| {
        t.as_ref()
            .map(|n| format!("({})", name(n)))
            .unwrap_or_default()
    };
    match p {
        Prefix::Concatenate(t) => format!("Concatenate{}", opt_t(t)),
        Prefix::NoConcatenate => "NoConcatenate".into(),
        Prefix::Mapping => "Mapping".into(),
        Prefix::Join { kind, table } => format!("{}Join{}", join_kind(*kind), opt_t(table)),
        Prefix::Keep { kind, table } => format!("{}Keep{}", join_kind(*kind), opt_t(table)),
        Prefix::CrossTable {
            attribute,
            data,
            qualifiers,
        } => match qualifiers {
            Some(n) => format!("CrossTable({}, {}, {n})", name(attribute), name(data)),
            None => format!("CrossTable({}, {})", name(attribute), name(data)),
        },
        Prefix::Generic => "Generic".into(),
        Prefix::Hierarchy { belongs_to, args } => {
            format!(
                "{}({})",
                if *belongs_to {
                    "HierarchyBelongsTo"
                } else {
                    "Hierarchy"
                },
                exprs(args)
            )
        }
        Prefix::IntervalMatch { args } => format!("IntervalMatch({})", names(args)),
        Prefix::Buffer => "Buffer".into(),
        Prefix::Add { only } => if *only { "Add Only" } else { "Add" }.into(),
        Prefix::Replace { only } => if *only { "Replace Only" } else { "Replace" }.into(),
        Prefix::Merge => "Merge".into(),
        Prefix::First(e) => format!("First {}", print_expr(e)),
        Prefix::Sample(e) => format!("Sample {}", print_expr(e)),
        Prefix::When(c) => condition(c),
        Prefix::Info => "Info".into(),
        Prefix::Semantic => "Semantic".into(),
    }
}

fn part(p: &LoadPart) -> String {
    let mut s = String::new();
    if let LoadSource::Sql(t) = &p.source {
        return format!("SQL {}", t.text);
    }
    s.push_str("LOAD ");
    if p.distinct {
        s.push_str("DISTINCT ");
    }
    s.push_str(&fields(&p.fields));
    match &p.source {
        LoadSource::Preceding | LoadSource::Sql(_) => {}
        LoadSource::Inline { data, format } => {
            if data.text.contains(']') {
                let _ = write!(s, "\nINLINE \"{}\"{}", data.text, format_items(format));
            } else {
                let _ = write!(s, "\nINLINE [{}]{}", data.text, format_items(format));
            }
        }
        LoadSource::From { path: p, format } => {
            let _ = write!(s, "\nFROM {}{}", path(p), format_items(format));
        }
        LoadSource::Resident(n) => {
            let _ = write!(s, "\nRESIDENT {}", name(n));
        }
        LoadSource::Autogenerate(e) => {
            let _ = write!(s, "\nAUTOGENERATE {}", print_expr(e));
        }
        LoadSource::Other(t) => {
            let _ = write!(s, "\n{}", t.text);
        }
    }
    if let Some(w) = &p.where_ {
        let _ = write!(s, "\nWHERE {}", print_expr(w));
    }
    if let Some(w) = &p.while_ {
        let _ = write!(s, "\nWHILE {}", print_expr(w));
    }
    if !p.group_by.is_empty() {
        let _ = write!(s, "\nGROUP BY {}", exprs(&p.group_by));
    }
    if !p.order_by.is_empty() {
        let o: Vec<String> = p
            .order_by
            .iter()
            .map(|(e, d)| format!("{}{}", print_expr(e), if *d { " DESC" } else { "" }))
            .collect();
        let _ = write!(s, "\nORDER BY {}", o.join(", "));
    }
    s
}

/// `WHEN c` / `UNLESS c`.
fn condition(c: &Condition) -> String {
    format!(
        "{} {}",
        if c.unless { "UNLESS" } else { "WHEN" },
        print_expr(&c.cond)
    )
}

/// `when c` / `unless c`, for summaries.
fn condition_summary(c: &Condition) -> String {
    format!(
        "{} {}",
        if c.unless { "unless" } else { "when" },
        expr_summary(&c.cond)
    )
}

fn pairs(ps: &[(Name, Name)], sep: &str) -> String {
    ps.iter()
        .map(|(a, b)| format!("{} {sep} {}", name(a), name(b)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn block(out: &mut String, b: &Block, src: &str, depth: usize) {
    for s in &b.statements {
        stmt(out, s, src, depth + 1);
    }
}

fn stmt(out: &mut String, s: &Stmt, src: &str, depth: usize) {
    let ind = "    ".repeat(depth);
    out.push_str(&ind);
    match &s.kind {
        StmtKind::Set { name: n, value } => {
            let _ = writeln!(
                out,
                "SET {} = {};",
                name(n),
                value.as_ref().map(|v| v.text.as_str()).unwrap_or("")
            );
        }
        StmtKind::LetUnread {
            name: n,
            tail_names,
        } => {
            // Re-parses to the same leniency: the LET runs on into rows that look like assignments.
            let _ = write!(out, "LET {} = Null()", name(n));
            for t in tail_names {
                let _ = write!(out, "\n{t} = Null()");
            }
            let _ = writeln!(out, ";");
        }
        StmtKind::Let { name: n, expr: e } => {
            let _ = writeln!(
                out,
                "LET {} = {};",
                name(n),
                e.as_ref().map(print_expr).unwrap_or_default()
            );
        }
        StmtKind::Section(k) => {
            let _ = writeln!(
                out,
                "Section {};",
                if *k == SectionKind::Access {
                    "Access"
                } else {
                    "Application"
                }
            );
        }
        StmtKind::Load(l) => {
            if let Some(lb) = &l.label {
                let _ = write!(out, "{}:\n{ind}", name(lb));
            }
            for p in &l.prefixes {
                let _ = write!(out, "{} ", prefix(p));
            }
            let ps: Vec<String> = l.parts.iter().map(part).collect();
            let _ = writeln!(out, "{};", ps.join(";\n"));
        }
        StmtKind::Drop {
            target,
            names: ns,
            from,
        } => {
            let t = tables_or_fields(*target == DropTarget::Tables);
            let f = if from.is_empty() {
                String::new()
            } else {
                format!(" FROM {}", names(from))
            };
            let _ = writeln!(out, "DROP {t} {}{f};", names(ns));
        }
        StmtKind::DropVariables { names: ns } => {
            let _ = writeln!(out, "DROP VARIABLES {};", names(ns));
        }
        StmtKind::Rename {
            target,
            pairs: ps,
            using,
        } => {
            let t = tables_or_fields(*target == RenameTarget::Tables);
            let body = match using {
                Some(m) => format!("USING {}", name(m)),
                None => pairs(ps, "TO"),
            };
            let _ = writeln!(out, "RENAME {t} {body};");
        }
        StmtKind::Store {
            fields: fs,
            table,
            path: p,
            format,
        } => {
            let f = if fs.is_empty() {
                String::new()
            } else {
                format!("{} FROM ", fields(fs))
            };
            let _ = writeln!(
                out,
                "STORE {f}{} INTO {}{};",
                name(table),
                path(p),
                format_items(format)
            );
        }
        StmtKind::Qualify {
            unqualify,
            names: ns,
        } => {
            let _ = writeln!(
                out,
                "{} {};",
                if *unqualify { "UNQUALIFY" } else { "QUALIFY" },
                names(ns)
            );
        }
        StmtKind::Star { symbol } => {
            let _ = writeln!(
                out,
                "Star is {};",
                symbol.as_ref().map(|s| s.text.as_str()).unwrap_or("")
            );
        }
        StmtKind::Binary { path: p } => {
            let _ = writeln!(out, "Binary {};", path(p));
        }
        StmtKind::Trace { text } => {
            let _ = writeln!(out, "TRACE {};", text.text);
        }
        StmtKind::Connect { kind, target } => {
            let k = match kind {
                ConnectKind::Lib => "LIB ",
                ConnectKind::Odbc => "ODBC ",
                ConnectKind::OleDb => "OLEDB ",
                ConnectKind::Custom => "CUSTOM ",
                ConnectKind::Plain => "",
            };
            let _ = writeln!(out, "{k}CONNECT TO {};", target.text);
        }
        StmtKind::Disconnect => out.push_str("DISCONNECT;\n"),
        StmtKind::Directory { path: p } => {
            let _ = writeln!(
                out,
                "DIRECTORY {};",
                p.as_ref().map(path).unwrap_or_default()
            );
        }
        StmtKind::Alias { pairs: ps } => {
            let _ = writeln!(out, "ALIAS {};", pairs(ps, "AS"));
        }
        StmtKind::Tag {
            untag,
            fields: fs,
            tags,
            using,
        } => {
            let k = if *untag { "UNTAG" } else { "TAG" };
            match using {
                Some(m) => {
                    let _ = writeln!(out, "{k} FIELDS USING {};", name(m));
                }
                None => {
                    let t: Vec<String> = tags.iter().map(|t| string(&t.text)).collect();
                    let _ = writeln!(out, "{k} FIELDS {} WITH {};", names(fs), t.join(", "));
                }
            }
        }
        StmtKind::Comment {
            target,
            names: ns,
            text,
            using,
        } => {
            let t = tables_or_fields(*target == CommentTarget::Tables);
            let body = match using {
                Some(m) => format!("USING {}", name(m)),
                None => {
                    let c = text
                        .as_ref()
                        .map(|t| string(&t.text))
                        .unwrap_or_else(|| "''".into());
                    format!("{} WITH {c}", names(ns))
                }
            };
            let _ = writeln!(out, "COMMENT {t} {body};");
        }
        StmtKind::Sleep { ms } => {
            let _ = writeln!(out, "SLEEP {};", print_expr(ms));
        }
        StmtKind::Execute { command } => {
            let _ = writeln!(out, "EXECUTE {};", command.text);
        }
        StmtKind::Map { fields: fs, using } => {
            let u = using
                .as_ref()
                .map(|m| format!(" USING {}", name(m)))
                .unwrap_or_default();
            let _ = writeln!(out, "MAP {}{u};", names(fs));
        }
        StmtKind::NullAs {
            as_value,
            fields: fs,
        } => {
            let _ = writeln!(
                out,
                "{} {};",
                if *as_value {
                    "NullAsValue"
                } else {
                    "NullAsNull"
                },
                names(fs)
            );
        }
        StmtKind::Include { must, path: p } => {
            let _ = writeln!(
                out,
                "$({}={});",
                if *must { "Must_Include" } else { "Include" },
                p.text
            );
        }
        StmtKind::Call {
            name: n,
            args,
            raw_args,
        } => match raw_args {
            Some(raw) => {
                let _ = writeln!(out, "CALL {}({});", name(n), raw.text);
            }
            None if args.is_empty() => {
                let _ = writeln!(out, "CALL {};", name(n));
            }
            None => {
                let _ = writeln!(out, "CALL {}({});", name(n), exprs(args));
            }
        },
        StmtKind::If {
            branches,
            otherwise,
            extra_else,
        } => {
            for (i, b) in branches.iter().enumerate() {
                if i > 0 {
                    out.push_str(&ind);
                }
                let _ = writeln!(
                    out,
                    "{} {} THEN",
                    if i == 0 { "IF" } else { "ELSEIF" },
                    print_expr(&b.cond)
                );
                block(out, &b.body, src, depth);
            }
            for o in otherwise.iter().chain(extra_else) {
                let _ = writeln!(out, "{ind}ELSE");
                block(out, o, src, depth);
            }
            let _ = writeln!(out, "{ind}END IF");
        }
        StmtKind::For {
            var,
            from,
            to,
            step,
            body,
        } => {
            let st = step
                .as_ref()
                .map(|s| format!(" STEP {}", print_expr(s)))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "FOR {} = {} TO {}{st}",
                name(var),
                print_expr(from),
                print_expr(to)
            );
            block(out, body, src, depth);
            let _ = writeln!(out, "{ind}NEXT {}", name(var));
        }
        StmtKind::ForEach { var, items, body } => {
            let _ = writeln!(out, "FOR EACH {} IN {}", name(var), exprs(items));
            block(out, body, src, depth);
            let _ = writeln!(out, "{ind}NEXT {}", name(var));
        }
        StmtKind::Do { pre, body, post } => {
            let c = |c: &Option<LoopCond>| {
                c.as_ref()
                    .map(|c| {
                        format!(
                            " {} {}",
                            if c.until { "UNTIL" } else { "WHILE" },
                            print_expr(&c.cond)
                        )
                    })
                    .unwrap_or_default()
            };
            let _ = writeln!(out, "DO{}", c(pre));
            block(out, body, src, depth);
            let _ = writeln!(out, "{ind}LOOP{}", c(post));
        }
        StmtKind::Sub {
            name: n,
            params,
            body,
        } => {
            if params.is_empty() {
                let _ = writeln!(out, "SUB {}", name(n));
            } else {
                let _ = writeln!(out, "SUB {}({})", name(n), names(params));
            }
            block(out, body, src, depth);
            let _ = writeln!(out, "{ind}END SUB");
        }
        StmtKind::Switch {
            subject,
            cases,
            default,
        } => {
            let _ = writeln!(out, "SWITCH {}", print_expr(subject));
            for c in cases {
                let _ = writeln!(out, "{ind}CASE {}", exprs(&c.values));
                block(out, &c.body, src, depth);
            }
            if let Some(d) = default {
                let _ = writeln!(out, "{ind}DEFAULT");
                block(out, d, src, depth);
            }
            let _ = writeln!(out, "{ind}END SWITCH");
        }
        StmtKind::Exit {
            what,
            message,
            cond,
        } => {
            let w = match what {
                ExitKind::Script => "SCRIPT",
                ExitKind::For => "FOR",
                ExitKind::Do => "DO",
                ExitKind::Sub => "SUB",
                ExitKind::Error => "ERROR",
            };
            let m = message
                .as_ref()
                .map(|m| format!(" {}", print_expr(m)))
                .unwrap_or_default();
            let c = cond
                .as_ref()
                .map(|c| format!(" {}", condition(c)))
                .unwrap_or_default();
            let _ = writeln!(out, "EXIT {w}{m}{c};");
        }
        StmtKind::Conditional { conds, stmt: inner } => {
            for c in conds {
                let _ = write!(out, "{} ", condition(c));
            }
            stmt(out, inner, src, 0);
        }
        StmtKind::Deferred { text } => {
            let _ = writeln!(out, "{};", text.text);
        }
        StmtKind::Unsupported { .. } | StmtKind::Error => {
            let t = src.get(s.span.range()).unwrap_or("").trim();
            let t = t.strip_suffix(';').unwrap_or(t);
            let _ = writeln!(out, "{t};");
        }
    }
}

// ---------------------------------------------------------------------------------------------------
// Summary

/// A compact description of a tree: one line per node, indented by nesting, no spans. When `src` is
/// given, each statement line starts with its `line:column`.
pub fn summary(script: &Script, src: Option<&str>) -> String {
    let mut out = String::new();
    for (t, _) in &script.tabs {
        let _ = writeln!(out, "tab {t:?}");
    }
    let lines = src.map(line_starts);
    for s in &script.statements {
        sum_stmt(&mut out, s, src.zip(lines.as_deref()), 0);
    }
    out
}

fn line_starts(s: &str) -> Vec<usize> {
    let mut v = vec![0];
    v.extend(
        s.bytes()
            .enumerate()
            .filter(|(_, b)| *b == b'\n')
            .map(|(i, _)| i + 1),
    );
    v
}

fn line_col(src: &str, starts: &[usize], off: usize) -> (usize, usize) {
    let off = off.min(src.len());
    let line = match starts.binary_search(&off) {
        Ok(i) => i,
        Err(i) => i.saturating_sub(1),
    };
    let ls = starts.get(line).copied().unwrap_or(0);
    let col = src.get(ls..off).map(|s| s.chars().count()).unwrap_or(0) + 1;
    (line + 1, col)
}

/// An expression as a one-line s-expression.
pub fn expr_summary(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Num { text, .. } => text.clone(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Field(n) => format!("Field({})", name(n)),
        ExprKind::Expansion(s) => format!("$({s})"),
        ExprKind::Unary { op, expr } => format!("({op:?} {})", expr_summary(expr)),
        ExprKind::Binary { op, lhs, rhs } => {
            format!("({op:?} {} {})", expr_summary(lhs), expr_summary(rhs))
        }
        ExprKind::Call {
            name: n,
            distinct,
            args,
        } => format!(
            "{}({}{})",
            name(n),
            if *distinct { "DISTINCT " } else { "" },
            args.iter().map(expr_summary).collect::<Vec<_>>().join(", ")
        ),
        ExprKind::Paren(e) => format!("Paren({})", expr_summary(e)),
        ExprKind::Absent => "Absent".to_string(),
    }
}

fn nm(n: &Name) -> String {
    match n.quote {
        Quote::None => format!("{:?}", n.text),
        Quote::Bracket => format!("[{}]", n.text),
        Quote::Double => format!("dq{:?}", n.text),
        Quote::Backtick => format!("`{}`", n.text),
        Quote::Single => format!("sq{:?}", n.text),
    }
}

fn onm(n: &Option<Name>) -> String {
    n.as_ref().map(nm).unwrap_or_else(|| "-".into())
}

fn sum_block(out: &mut String, b: &Block, src: Option<(&str, &[usize])>, depth: usize) {
    for s in &b.statements {
        sum_stmt(out, s, src, depth);
    }
}

fn sum_stmt(out: &mut String, s: &Stmt, src: Option<(&str, &[usize])>, depth: usize) {
    let ind = "  ".repeat(depth);
    let pos = src.map(|(t, ls)| {
        let (l, c) = line_col(t, ls, s.span.start);
        format!("{l}:{c} ")
    });
    let pos = pos.unwrap_or_default();
    let ind2 = "  ".repeat(depth + 1);
    let line = |out: &mut String, text: String| {
        let _ = writeln!(out, "{ind}{pos}{text}");
    };
    match &s.kind {
        StmtKind::Set { name: n, value } => line(
            out,
            format!(
                "Set {} = {:?}",
                nm(n),
                value.as_ref().map(|v| v.text.as_str())
            ),
        ),
        StmtKind::LetUnread { name: n, .. } => line(out, format!("Let {} = (unread)", nm(n))),
        StmtKind::Let { name: n, expr } => line(
            out,
            format!(
                "Let {} = {}",
                nm(n),
                expr.as_ref().map(expr_summary).unwrap_or("-".into())
            ),
        ),
        StmtKind::Section(k) => line(out, format!("Section {k:?}")),
        StmtKind::Load(l) => {
            let label = l
                .label
                .as_ref()
                .map(|n| format!(" label={}", nm(n)))
                .unwrap_or_default();
            let pre: Vec<String> = l.prefixes.iter().map(prefix_summary).collect();
            let pre = if pre.is_empty() {
                String::new()
            } else {
                format!(" prefixes=[{}]", pre.join(", "))
            };
            line(out, format!("Load{label}{pre}"));
            for p in &l.parts {
                let src = match &p.source {
                    LoadSource::Preceding => "Preceding".to_string(),
                    LoadSource::Inline { data, format } => format!(
                        "Inline({} lines) {}",
                        data.text.trim().lines().count(),
                        fmt_summary(format)
                    ),
                    LoadSource::From { path, format } => {
                        format!("From {:?} {}", path.text, fmt_summary(format))
                    }
                    LoadSource::Resident(n) => format!("Resident {}", nm(n)),
                    LoadSource::Autogenerate(e) => format!("Autogenerate {}", expr_summary(e)),
                    LoadSource::Sql(t) => format!("Sql {:?}", t.text),
                    LoadSource::Other(t) => format!("Other {:?}", t.text),
                };
                let _ = writeln!(
                    out,
                    "{ind2}part{} {src}",
                    if p.distinct { " distinct" } else { "" }
                );
                let ind3 = "  ".repeat(depth + 2);
                for f in &p.fields {
                    match f {
                        LoadField::Star(_) => {
                            let _ = writeln!(out, "{ind3}field *");
                        }
                        LoadField::Expr { expr, alias, .. } => {
                            let a = alias
                                .as_ref()
                                .map(|a| format!(" as {}", nm(a)))
                                .unwrap_or_default();
                            let _ = writeln!(out, "{ind3}field {}{a}", expr_summary(expr));
                        }
                    }
                }
                if let Some(w) = &p.where_ {
                    let _ = writeln!(out, "{ind3}where {}", expr_summary(w));
                }
                if let Some(w) = &p.while_ {
                    let _ = writeln!(out, "{ind3}while {}", expr_summary(w));
                }
                for g in &p.group_by {
                    let _ = writeln!(out, "{ind3}group by {}", expr_summary(g));
                }
                for (o, d) in &p.order_by {
                    let _ = writeln!(
                        out,
                        "{ind3}order by {}{}",
                        expr_summary(o),
                        if *d { " desc" } else { "" }
                    );
                }
            }
        }
        StmtKind::Drop {
            target,
            names,
            from,
        } => line(
            out,
            format!(
                "Drop {target:?} [{}] from [{}]",
                names.iter().map(nm).collect::<Vec<_>>().join(", "),
                from.iter().map(nm).collect::<Vec<_>>().join(", ")
            ),
        ),
        StmtKind::DropVariables { names } => line(
            out,
            format!(
                "Drop Variables [{}]",
                names.iter().map(nm).collect::<Vec<_>>().join(", ")
            ),
        ),
        StmtKind::Rename {
            target,
            pairs,
            using,
        } => line(
            out,
            format!(
                "Rename {target:?} [{}] using {}",
                pairs
                    .iter()
                    .map(|(a, b)| format!("{} -> {}", nm(a), nm(b)))
                    .collect::<Vec<_>>()
                    .join(", "),
                onm(using)
            ),
        ),
        StmtKind::Store {
            fields,
            table,
            path,
            format,
        } => line(
            out,
            format!(
                "Store {} fields={} into {:?} {}",
                nm(table),
                fields.len(),
                path.text,
                fmt_summary(format)
            ),
        ),
        StmtKind::Qualify { unqualify, names } => line(
            out,
            format!(
                "{} [{}]",
                if *unqualify { "Unqualify" } else { "Qualify" },
                names.iter().map(nm).collect::<Vec<_>>().join(", ")
            ),
        ),
        StmtKind::Star { symbol } => line(
            out,
            format!("Star {:?}", symbol.as_ref().map(|s| s.text.as_str())),
        ),
        StmtKind::Binary { path } => line(out, format!("Binary {:?}", path.text)),
        StmtKind::Trace { text } => line(out, format!("Trace {:?}", text.text)),
        StmtKind::Connect { kind, target } => {
            line(out, format!("Connect {kind:?} {:?}", target.text))
        }
        StmtKind::Disconnect => line(out, "Disconnect".into()),
        StmtKind::Directory { path } => line(
            out,
            format!("Directory {:?}", path.as_ref().map(|p| p.text.as_str())),
        ),
        StmtKind::Alias { pairs } => line(
            out,
            format!(
                "Alias [{}]",
                pairs
                    .iter()
                    .map(|(a, b)| format!("{} -> {}", nm(a), nm(b)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
        StmtKind::Tag {
            untag,
            fields,
            tags,
            using,
        } => line(
            out,
            format!(
                "{} [{}] with [{}] using {}",
                if *untag { "Untag" } else { "Tag" },
                fields.iter().map(nm).collect::<Vec<_>>().join(", "),
                tags.iter()
                    .map(|t| format!("{:?}", t.text))
                    .collect::<Vec<_>>()
                    .join(", "),
                onm(using)
            ),
        ),
        StmtKind::Comment {
            target,
            names,
            text,
            using,
        } => line(
            out,
            format!(
                "Comment {target:?} [{}] with {:?} using {}",
                names.iter().map(nm).collect::<Vec<_>>().join(", "),
                text.as_ref().map(|t| t.text.as_str()),
                onm(using)
            ),
        ),
        StmtKind::Sleep { ms } => line(out, format!("Sleep {}", expr_summary(ms))),
        StmtKind::Execute { command } => line(out, format!("Execute {:?}", command.text)),
        StmtKind::Map { fields, using } => line(
            out,
            format!(
                "Map [{}] using {}",
                fields.iter().map(nm).collect::<Vec<_>>().join(", "),
                onm(using)
            ),
        ),
        StmtKind::NullAs { as_value, fields } => line(
            out,
            format!(
                "{} [{}]",
                if *as_value {
                    "NullAsValue"
                } else {
                    "NullAsNull"
                },
                fields.iter().map(nm).collect::<Vec<_>>().join(", ")
            ),
        ),
        StmtKind::Include { must, path } => line(
            out,
            format!(
                "{} {:?}",
                if *must { "MustInclude" } else { "Include" },
                path.text
            ),
        ),
        StmtKind::Call {
            name,
            args,
            raw_args,
        } => line(
            out,
            match raw_args {
                Some(raw) => format!("Call {} raw({:?})", nm(name), raw.text),
                None => format!(
                    "Call {}({})",
                    nm(name),
                    args.iter().map(expr_summary).collect::<Vec<_>>().join(", ")
                ),
            },
        ),
        StmtKind::If {
            branches,
            otherwise,
            extra_else,
        } => {
            line(out, "If".into());
            for b in branches {
                let _ = writeln!(out, "{ind2}branch {}", expr_summary(&b.cond));
                sum_block(out, &b.body, src, depth + 2);
            }
            if let Some(o) = otherwise {
                let _ = writeln!(out, "{ind2}else");
                sum_block(out, o, src, depth + 2);
            }
            for o in extra_else {
                let _ = writeln!(out, "{ind2}else (never runs)");
                sum_block(out, o, src, depth + 2);
            }
        }
        StmtKind::For {
            var,
            from,
            to,
            step,
            body,
        } => {
            line(
                out,
                format!(
                    "For {} = {} to {} step {}",
                    nm(var),
                    expr_summary(from),
                    expr_summary(to),
                    step.as_ref().map(expr_summary).unwrap_or("-".into())
                ),
            );
            sum_block(out, body, src, depth + 1);
        }
        StmtKind::ForEach { var, items, body } => {
            line(
                out,
                format!(
                    "ForEach {} in [{}]",
                    nm(var),
                    items
                        .iter()
                        .map(expr_summary)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
            sum_block(out, body, src, depth + 1);
        }
        StmtKind::Do { pre, body, post } => {
            let c = |c: &Option<LoopCond>| {
                c.as_ref()
                    .map(|c| {
                        format!(
                            "{} {}",
                            if c.until { "until" } else { "while" },
                            expr_summary(&c.cond)
                        )
                    })
                    .unwrap_or("-".into())
            };
            line(out, format!("Do pre={} post={}", c(pre), c(post)));
            sum_block(out, body, src, depth + 1);
        }
        StmtKind::Sub { name, params, body } => {
            line(
                out,
                format!(
                    "Sub {}({})",
                    nm(name),
                    params.iter().map(nm).collect::<Vec<_>>().join(", ")
                ),
            );
            sum_block(out, body, src, depth + 1);
        }
        StmtKind::Switch {
            subject,
            cases,
            default,
        } => {
            line(out, format!("Switch {}", expr_summary(subject)));
            for c in cases {
                let _ = writeln!(
                    out,
                    "{ind2}case {}",
                    c.values
                        .iter()
                        .map(expr_summary)
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                sum_block(out, &c.body, src, depth + 2);
            }
            if let Some(d) = default {
                let _ = writeln!(out, "{ind2}default");
                sum_block(out, d, src, depth + 2);
            }
        }
        StmtKind::Exit {
            what,
            message,
            cond,
        } => line(
            out,
            format!(
                "Exit {what:?}{} {}",
                message
                    .as_ref()
                    .map(|m| format!(" message={}", expr_summary(m)))
                    .unwrap_or_default(),
                cond.as_ref().map(condition_summary).unwrap_or_default()
            )
            .trim_end()
            .to_string(),
        ),
        StmtKind::Conditional { conds, stmt } => {
            let cs: Vec<String> = conds.iter().map(condition_summary).collect();
            line(out, format!("Conditional {}", cs.join(" ")));
            sum_stmt(out, stmt, src, depth + 1);
        }
        StmtKind::Deferred { text } => line(out, format!("Deferred {:?}", text.text)),
        StmtKind::Unsupported { keyword } => line(out, format!("Unsupported {keyword:?}")),
        StmtKind::Error => line(out, "Error".into()),
    }
}

fn prefix_summary(p: &Prefix) -> String {
    match p {
        Prefix::First(e) => format!("First {}", expr_summary(e)),
        Prefix::Sample(e) => format!("Sample {}", expr_summary(e)),
        Prefix::When(c) => format!(
            "{} {}",
            if c.unless { "Unless" } else { "When" },
            expr_summary(&c.cond)
        ),
        Prefix::Hierarchy { belongs_to, args } => format!(
            "{}({})",
            if *belongs_to {
                "HierarchyBelongsTo"
            } else {
                "Hierarchy"
            },
            args.iter().map(expr_summary).collect::<Vec<_>>().join(", ")
        ),
        other => prefix(other),
    }
}

fn fmt_summary(f: &[FormatItem]) -> String {
    format!("{f:?}")
}
