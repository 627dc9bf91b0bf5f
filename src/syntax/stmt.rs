//! Regular (`;`-terminated) statements. Each parser here gets the statement's text *without* its `;`
//! and must consume all of it.

use crate::diag::Span;
use crate::syntax::ast::*;
use crate::syntax::expr::{expr, expr_list, paren_args};
use crate::syntax::lex::{
    alias_name, dollar_group, kw, name, punct, quoted, raw_word, split_top, string_lit, uint,
    word_at, ws, ws_line, Ctx, PResult,
};

/// Keywords of statements qsa recognises but does not model: `StmtKind::Unsupported` + a warning.
pub const UNSUPPORTED: &[&str] = &[
    "search",
    "loosen",
    "declare",
    "derive",
    "event",
    "force",
    "unmap",
    "direct",
    "bundle",
    "image_size",
    "inputfield",
    "autonumber",
    "sqlcolumns",
    "sqltables",
    "sqltypes",
    "config",
    "flushlog",
];

/// The result of parsing one regular statement.
#[allow(clippy::large_enum_variant)] // a short-lived value
pub enum Parsed {
    Kind(StmtKind),
    /// A statement qsa knows but does not model; the keyword as written.
    /// The keyword as written and its offset.
    Unsupported(String, usize),
    /// `LET a = expr` followed, on a later line, by more text before the `;` (a forgotten `;`). The
    /// variable is unknown; the span is the text that is not evaluated. (Without LET, `a = expr` ends
    /// with its row: see [`starts_assignment`].)
    LetUnreadTail(StmtKind, Span),
}

/// The end of a LET: its expression to the `;`. When the expression ends at a line end and the next
/// line is another assignment (`b = …`), the LET is kept (as `LetUnread`) and that text is reported as
/// a warning, not rejected. Any other trailing text is a syntax error.
fn let_tail<'a>(ctx: &Ctx<'a>, r: &'a str, n: Name) -> PResult<'a, Parsed> {
    let (r, e) = expr(ctx, r)?;
    let t = ws(r);
    if t.is_empty() {
        return Ok((
            t,
            Parsed::Kind(StmtKind::Let {
                name: n,
                expr: Some(e),
            }),
        ));
    }
    let gap = &r[..r.len() - t.len()];
    let saved = ctx.save();
    let assignment_follows = name(ctx, t).and_then(|(r, _)| punct(ctx, "=", r)).is_ok();
    ctx.restore(saved);
    if gap.contains('\n') && assignment_follows && !is_load_word(&first_word(t)) {
        let tail = raw(ctx, t);
        let tail_names = tail
            .text
            .lines()
            .filter_map(|l| {
                let (lhs, _) = l.split_once('=')?;
                let lhs = lhs.trim().trim_matches(|c| c == '[' || c == ']');
                (!lhs.is_empty() && !lhs.contains(char::is_whitespace)).then(|| lhs.to_string())
            })
            .collect();
        return Ok((
            &t[t.len()..],
            Parsed::LetUnreadTail(
                StmtKind::LetUnread {
                    name: n,
                    tail_names,
                },
                tail.span,
            ),
        ));
    }
    end(ctx, t).map(|(r, _)| {
        (
            r,
            Parsed::Kind(StmtKind::Let {
                name: n,
                expr: None,
            }),
        )
    })
}

/// `s` without its `//` and `/* */` comments (those outside quotes and brackets; a `//` right after
/// `:` as in `lib://` is not a comment), trimmed.
fn strip_comments(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.char_indices().peekable();
    let mut close: Option<char> = None;
    let mut prev = ' ';
    while let Some((i, c)) = chars.next() {
        if let Some(q) = close {
            out.push(c);
            if c == q {
                close = None;
            }
            prev = c;
            continue;
        }
        let rest = &s[i..];
        if rest.starts_with("//") && prev != ':' {
            let skip = rest.find('\n').unwrap_or(rest.len());
            while chars.peek().is_some_and(|(j, _)| *j < i + skip) {
                chars.next();
            }
            continue;
        }
        if rest.starts_with("/*") {
            let skip = rest.find("*/").map(|n| n + 2).unwrap_or(rest.len());
            while chars.peek().is_some_and(|(j, _)| *j < i + skip) {
                chars.next();
            }
            out.push(' ');
            prev = ' ';
            continue;
        }
        close = match c {
            '\'' => Some('\''),
            '"' => Some('"'),
            '`' => Some('`'),
            '[' => Some(']'),
            _ => None,
        };
        out.push(c);
        prev = c;
    }
    out.trim().to_string()
}

fn raw<'a>(ctx: &Ctx<'a>, s: &'a str) -> RawText {
    let t = s.trim_matches(|c: char| c.is_whitespace());
    let start = ctx.off(s) + (s.len() - s.trim_start_matches(|c: char| c.is_whitespace()).len());
    RawText {
        text: t.to_string(),
        span: Span::new(start, start + t.len()),
    }
}

fn end<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, ()> {
    let t = ws(i);
    if t.is_empty() {
        Ok((t, ()))
    } else {
        ctx.fail_prefer(t, "`;`")
    }
}

/// `name, name, …`
fn names<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Name>> {
    let (mut r, n) = name(ctx, i)?;
    let mut out = vec![n];
    while let Ok((r2, _)) = punct(ctx, ",", r) {
        let (r3, n) = name(ctx, r2)?;
        out.push(n);
        r = r3;
    }
    Ok((r, out))
}

/// A name or a pattern with `*`/`?` (QUALIFY, NullAsValue): `*`, `Key*`, `"A*"`.
fn pattern<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Name> {
    let t = ws(i);
    if matches!(t.chars().next(), Some('[' | '"' | '`')) {
        return name(ctx, t);
    }
    if t.starts_with('\'') {
        let (r, (s, _)) = string_lit(ctx, t)?;
        return Ok((
            r,
            Name {
                text: s,
                quote: Quote::None,
                span: ctx.span(t, r),
            },
        ));
    }
    let n = t
        .char_indices()
        .find(|&(_, c)| c == ',' || c.is_whitespace() || c == ';')
        .map(|(n, _)| n)
        .unwrap_or(t.len());
    if n == 0 {
        return ctx.fail(t, "a name or pattern");
    }
    let rest = &t[n..];
    Ok((
        rest,
        Name {
            text: t[..n].to_string(),
            quote: Quote::None,
            span: ctx.span(t, rest),
        },
    ))
}

fn patterns<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Name>> {
    let (mut r, n) = pattern(ctx, i)?;
    let mut out = vec![n];
    while let Ok((r2, _)) = punct(ctx, ",", r) {
        let (r3, n) = pattern(ctx, r2)?;
        out.push(n);
        r = r3;
    }
    Ok((r, out))
}

/// The variable of a SET or LET: a [`name`], or digits alone. Qlik's help shows `Set variablename=string`
/// without saying what a variable name may be; the Qlik Deployment Framework runs `Sleep 5000; SET 5000=;`
/// in production (its comment: the SET removes a variable `5000` that the Sleep left behind), so Qlik
/// accepts a name made of digits there. https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptRegularStatements/Set.htm
fn var_name<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Name> {
    let t = ws(i);
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && !t[digits..].starts_with(crate::syntax::lex::is_ident_char) {
        let rest = &t[digits..];
        return Ok((
            rest,
            Name {
                text: t[..digits].to_string(),
                quote: Quote::None,
                span: ctx.span(t, rest),
            },
        ));
    }
    name(ctx, i)
}

/// The first word of a statement, upper-cased.
pub fn first_word(i: &str) -> String {
    word_at(ws(i)).to_ascii_uppercase()
}

/// Does the text start with `Name:` (a table label)?
pub fn label<'a>(ctx: &Ctx<'a>, i: &'a str) -> Option<(&'a str, Name)> {
    let saved = ctx.save();
    let r = label_inner(ctx, i);
    if r.is_none() {
        ctx.restore(saved);
    }
    r
}

fn label_inner<'a>(ctx: &Ctx<'a>, i: &'a str) -> Option<(&'a str, Name)> {
    let (rest, n) = name(ctx, i).ok()?;
    let r = ws(rest);
    let after = r.strip_prefix(':')?;
    if after.starts_with('=') || after.starts_with('/') {
        return None;
    }
    Some((after, n))
}

/// One regular statement (label and prefixes included for loads).
pub fn regular<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Parsed> {
    let w = first_word(i);
    if !matches!(w.as_str(), "SET" | "LET") {
        if let Some((rest, l)) = label(ctx, i) {
            // `[$(vTable)]: REM;`: a label kept pending for the next LOAD (Qlikview Components does
            // this to label a LOAD inside an IF block); not modelled.
            let w2 = first_word(rest);
            if w2 == "REM" {
                let t = ws(i);
                let written = t
                    .get(..l.span.end.saturating_sub(l.span.start))
                    .unwrap_or("");
                return Ok((
                    &i[i.len()..],
                    Parsed::Unsupported(format!("{written} … REM"), ctx.off(t)),
                ));
            }
            // `[autoCalendar]: DECLARE FIELD DEFINITION …` (Qlik Sense's data manager writes this)
            if UNSUPPORTED.iter().any(|k| k.eq_ignore_ascii_case(&w2)) {
                let t = ws(rest);
                return Ok((
                    &i[i.len()..],
                    Parsed::Unsupported(t[..w2.len()].to_string(), ctx.off(t)),
                ));
            }
            let (rest, k) = load_stmt(ctx, rest, Some(l))?;
            return Ok((rest, k));
        }
    }
    let t = ws(i);
    let after = &t[w.len()..];
    let kind = match w.as_str() {
        "SET" => {
            let (r, n) = var_name(ctx, after)?;
            let (r, _) = punct(ctx, "=", r)?;
            let mut v = raw(ctx, r);
            // Comments are not part of the value (`SET v = // note` + a new line)
            v.text = strip_comments(&v.text);
            let value = if v.text.is_empty() { None } else { Some(v) };
            return Ok((
                &r[r.len()..],
                Parsed::Kind(StmtKind::Set { name: n, value }),
            ));
        }
        "LET" => {
            let (r, n) = var_name(ctx, after)?;
            let (r, _) = punct(ctx, "=", r)?;
            if ws(r).is_empty() {
                // `LET v = ;`: v holds the empty text, like `SET v = ;` (S6; see let_stmt in the grammar)
                return Ok((
                    ws(r),
                    Parsed::Kind(StmtKind::Let {
                        name: n,
                        expr: None,
                    }),
                ));
            }
            return let_tail(ctx, r, n);
        }
        "SECTION" => {
            if let Ok((r, _)) = kw(ctx, "access", after) {
                (r, StmtKind::Section(SectionKind::Access))
            } else if let Ok((r, _)) = kw(ctx, "application", after) {
                (r, StmtKind::Section(SectionKind::Application))
            } else {
                let w2 = word_at(ws(after));
                // `Section DirectQuery` (Direct Query apps) is Qlik's, not modelled. Any other word is
                // not a section Qlik knows (`Section Acess;` fails the reload): skipping it as an
                // unsupported statement would run the security table as application data and report
                // "no Section Access" (everyone sees everything), so it is a syntax error.
                if !w2.eq_ignore_ascii_case("directquery") {
                    return ctx.fail(ws(after), "`Access` or `Application`");
                }
                return Ok((
                    &i[i.len()..],
                    Parsed::Unsupported(format!("Section {w2}"), ctx.off(t)),
                ));
            }
        }
        "DROP" => drop_stmt(ctx, after)?,
        "RENAME" => rename_stmt(ctx, after)?,
        "STORE" => store_stmt(ctx, after)?,
        "QUALIFY" | "UNQUALIFY" => {
            let (r, names) = patterns(ctx, after)?;
            (
                r,
                StmtKind::Qualify {
                    unqualify: w == "UNQUALIFY",
                    names,
                },
            )
        }
        "STAR" => {
            let (r, _) = kw(ctx, "is", after)?;
            let v = raw(ctx, r);
            (
                &r[r.len()..],
                StmtKind::Star {
                    symbol: if v.text.is_empty() { None } else { Some(v) },
                },
            )
        }
        "BINARY" => {
            let (r, p) = path(ctx, after)?;
            (r, StmtKind::Binary { path: p })
        }
        "TRACE" => (
            &after[after.len()..],
            StmtKind::Trace {
                text: raw(ctx, after),
            },
        ),
        "LIB" | "ODBC" | "OLEDB" | "CUSTOM" | "CONNECT" | "CONNECT32" | "CONNECT64" => {
            let kind = match w.as_str() {
                "LIB" => ConnectKind::Lib,
                "ODBC" => ConnectKind::Odbc,
                "OLEDB" => ConnectKind::OleDb,
                "CUSTOM" => ConnectKind::Custom,
                _ => ConnectKind::Plain,
            };
            let mut r = if !w.starts_with("CONNECT") {
                ws(after)
            } else {
                t
            };
            let cw = word_at(r).to_ascii_uppercase();
            if !matches!(cw.as_str(), "CONNECT" | "CONNECT32" | "CONNECT64") {
                return ctx.fail(r, "`CONNECT`");
            }
            r = &r[cw.len()..];
            if let Ok((r2, _)) = kw(ctx, "32", r).or_else(|_| kw(ctx, "64", r)) {
                r = r2;
            }
            let (r, _) = kw(ctx, "to", r)?;
            let target = raw(ctx, r);
            if target.text.is_empty() {
                return ctx.fail(ws(r), "a connection name");
            }
            (&r[r.len()..], StmtKind::Connect { kind, target })
        }
        "DISCONNECT" => (after, StmtKind::Disconnect),
        "DIRECTORY" => {
            let t = ws(after);
            if t.is_empty() {
                (after, StmtKind::Directory { path: None })
            } else if t.starts_with(['[', '\'', '"']) {
                let (r, p) = path(ctx, after)?;
                (r, StmtKind::Directory { path: Some(p) })
            } else {
                // Unquoted, the path is the rest of the statement, spaces included
                // (`Directory ../Data/tube data raw;`), without its comments.
                let mut p = raw(ctx, after);
                p.text = strip_comments(&p.text);
                let path = if p.text.is_empty() { None } else { Some(p) };
                (&after[after.len()..], StmtKind::Directory { path })
            }
        }
        "ALIAS" => {
            let (r, pairs) = pairs(ctx, after, "as")?;
            (r, StmtKind::Alias { pairs })
        }
        "TAG" | "UNTAG" => tag_stmt(ctx, after, w == "UNTAG")?,
        "COMMENT" => comment_stmt(ctx, after)?,
        "SLEEP" => {
            let (r, e) = expr(ctx, after)?;
            (r, StmtKind::Sleep { ms: e })
        }
        "EXECUTE" => (
            &after[after.len()..],
            StmtKind::Execute {
                command: raw(ctx, after),
            },
        ),
        "MAP" => {
            let (r, fields) = patterns(ctx, after)?;
            let (r, _) = kw(ctx, "using", r)?;
            let (r, m) = name(ctx, r)?;
            (
                r,
                StmtKind::Map {
                    fields,
                    using: Some(m),
                },
            )
        }
        "NULLASVALUE" | "NULLASNULL" => {
            let (r, fields) = patterns(ctx, after)?;
            (
                r,
                StmtKind::NullAs {
                    as_value: w == "NULLASVALUE",
                    fields,
                },
            )
        }
        _ if UNSUPPORTED.iter().any(|k| k.eq_ignore_ascii_case(&w)) => {
            let t = ws(i);
            return Ok((
                &i[i.len()..],
                Parsed::Unsupported(t[..w.len()].to_string(), ctx.off(t)),
            ));
        }
        // `name = expr` without LET is a one-row statement of its own: the driver reads it
        // (`starts_assignment`, `assignment`) before it gets here.
        _ => return load_stmt(ctx, i, None),
    };
    let (rest, k) = kind;
    let (rest, _) = end(ctx, rest)?;
    Ok((rest, Parsed::Kind(k)))
}

/// The keywords [`regular`] reads as the start of a statement of their own (load words aside).
const STATEMENT_KEYWORDS: &[&str] = &[
    "SET",
    "LET",
    "SECTION",
    "DROP",
    "RENAME",
    "STORE",
    "QUALIFY",
    "UNQUALIFY",
    "STAR",
    "BINARY",
    "TRACE",
    "LIB",
    "ODBC",
    "OLEDB",
    "CUSTOM",
    "CONNECT",
    "CONNECT32",
    "CONNECT64",
    "DISCONNECT",
    "DIRECTORY",
    "ALIAS",
    "TAG",
    "UNTAG",
    "COMMENT",
    "SLEEP",
    "EXECUTE",
    "MAP",
    "NULLASVALUE",
    "NULLASNULL",
    "REM",
];

/// Does the statement at `t` start as a LET without its keyword: an unquoted name (it may contain
/// `$(…)`) that is no statement keyword, then `=` on the same line?
///
/// Qlik's help for LET (<https://help.qlik.com/en-us/sense/June2017/Subsystems/Hub/Content/Scripting/ScriptRegularStatements/Let.htm>):
/// "The word let may be omitted, but the statement then becomes a control statement. Such a statement
/// without the keyword let must be contained within a single script row and may be terminated either
/// with a semicolon or end-of-line." (rules S1, S6)
pub fn starts_assignment(t: &str) -> bool {
    let Some((rest, w)) = raw_word(ws(t)) else {
        return false;
    };
    let up = w.to_ascii_uppercase();
    if STATEMENT_KEYWORDS.contains(&up.as_str())
        || is_load_word(&up)
        || UNSUPPORTED.iter().any(|k| k.eq_ignore_ascii_case(w))
    {
        return false;
    }
    ws_line(rest).starts_with('=')
}

/// `name = [expression]`: a LET without its keyword. `i` is the statement's one script row (without
/// its `;`); an empty right side leaves the variable empty, as `LET v = ;` does.
pub fn assignment<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, StmtKind> {
    let (r, n) = name(ctx, i)?;
    let (r, _) = punct(ctx, "=", r)?;
    if ws(r).is_empty() {
        return Ok((
            ws(r),
            StmtKind::Let {
                name: n,
                expr: None,
            },
        ));
    }
    let (r, e) = expr(ctx, r)?;
    Ok((
        r,
        StmtKind::Let {
            name: n,
            expr: Some(e),
        },
    ))
}

/// Words that start a load statement (prefixes included).
pub fn is_load_word(w: &str) -> bool {
    matches!(
        w,
        "LOAD"
            | "SELECT"
            | "SQL"
            | "CONCATENATE"
            | "NOCONCATENATE"
            | "MAPPING"
            | "JOIN"
            | "KEEP"
            | "INNER"
            | "OUTER"
            | "LEFT"
            | "RIGHT"
            | "CROSSTABLE"
            | "GENERIC"
            | "HIERARCHY"
            | "HIERARCHYBELONGSTO"
            | "INTERVALMATCH"
            | "BUFFER"
            | "ADD"
            | "REPLACE"
            | "MERGE"
            | "FIRST"
            | "SAMPLE"
            | "WHEN"
            | "UNLESS"
            | "INFO"
            | "SEMANTIC"
    )
}

fn opt_paren_name<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Option<Name>> {
    if let Ok((r, _)) = punct(ctx, "(", i) {
        let (r, n) = name(ctx, r)?;
        let (r, _) = punct(ctx, ")", r)?;
        Ok((r, Some(n)))
    } else {
        Ok((i, None))
    }
}

/// The text inside balanced parentheses at the start of `i` (after white space): rest and inner text.
pub(crate) fn paren_body<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, &'a str> {
    let t = ws(i);
    if !t.starts_with('(') {
        return ctx.fail(t, "`(`");
    }
    let b = t.as_bytes();
    let mut depth = 0i32;
    let mut n = 0;
    while n < b.len() {
        match b[n] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Ok((&t[n + 1..], &t[1..n]));
                }
            }
            b'\'' | b'"' | b'[' | b'`' => {
                let close = if b[n] == b'[' { b']' } else { b[n] };
                match b[n + 1..].iter().position(|&x| x == close) {
                    Some(p) => n += p + 1,
                    None => return ctx.fail(&t[n..], "a closing quote"),
                }
            }
            _ => {}
        }
        n += 1;
    }
    ctx.fail(t, "`)`")
}

fn prefix<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Option<Result<Prefix, (String, usize)>>> {
    let t = ws(i);
    let w = word_at(t);
    let uw = w.to_ascii_uppercase();
    let after = &t[w.len()..];
    let p = match uw.as_str() {
        "CONCATENATE" => {
            let (r, n) = opt_paren_name(ctx, after)?;
            (r, Prefix::Concatenate(n))
        }
        "NOCONCATENATE" => (after, Prefix::NoConcatenate),
        "MAPPING" => (after, Prefix::Mapping),
        "JOIN" | "KEEP" | "INNER" | "OUTER" | "LEFT" | "RIGHT" => {
            let (kind, r) = match uw.as_str() {
                "INNER" => (JoinKind::Inner, after),
                "OUTER" => (JoinKind::Outer, after),
                "LEFT" => (JoinKind::Left, after),
                "RIGHT" => (JoinKind::Right, after),
                _ => (JoinKind::Plain, t),
            };
            let r2 = ws(r);
            let jw = word_at(r2).to_ascii_uppercase();
            let keep = match jw.as_str() {
                "JOIN" => false,
                "KEEP" => true,
                _ => return ctx.fail(r2, "`Join` or `Keep`"),
            };
            let (r, table) = opt_paren_name(ctx, &r2[4..])?;
            let kind = if keep && kind == JoinKind::Plain {
                JoinKind::Inner
            } else {
                kind
            };
            (
                r,
                if keep {
                    Prefix::Keep { kind, table }
                } else {
                    Prefix::Join { kind, table }
                },
            )
        }
        "CROSSTABLE" => {
            let (r, _) = punct(ctx, "(", after)?;
            let (r, attribute) = alias_name(ctx, r)?;
            let (r, _) = punct(ctx, ",", r)?;
            let (r, data) = alias_name(ctx, r)?;
            let (r, qualifiers) = match punct(ctx, ",", r) {
                Ok((r, _)) => {
                    let (r, n) = uint(ctx, r)?;
                    (r, Some(n))
                }
                Err(_) => (r, None),
            };
            let (r, _) = punct(ctx, ")", r)?;
            (
                r,
                Prefix::CrossTable {
                    attribute,
                    data,
                    qualifiers,
                },
            )
        }
        "GENERIC" => (after, Prefix::Generic),
        "HIERARCHY" | "HIERARCHYBELONGSTO" => {
            // Optional middle parameters may be left empty (`Hierarchy(Id, Parent, Name, , Name, Path)`,
            // as QlikView's Hierarchy wizard writes it): an empty argument is `ExprKind::Absent`.
            // Syntax: `Hierarchy (NodeID, ParentID, NodeName, [ParentName, [PathSource, [PathName,
            // [PathDelimiter, Depth]]]])`, https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptPrefixes/Hierarchy.htm
            // and `HierarchyBelongsTo (NodeID, ParentID, NodeName, AncestorID, AncestorName,
            // [DepthDiff])`, https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptPrefixes/HierarchyBelongsTo.htm
            let (r, args) = paren_args(ctx, after)?;
            (
                r,
                Prefix::Hierarchy {
                    belongs_to: uw == "HIERARCHYBELONGSTO",
                    args,
                },
            )
        }
        "INTERVALMATCH" => {
            let (r, _) = punct(ctx, "(", after)?;
            let (r, args) = names(ctx, r)?;
            let (r, _) = punct(ctx, ")", r)?;
            (r, Prefix::IntervalMatch { args })
        }
        "BUFFER" => {
            let r = match paren_body(ctx, after) {
                Ok((r, _)) => r,
                Err(_) => after,
            };
            (r, Prefix::Buffer)
        }
        "ADD" | "REPLACE" => {
            let (r, only) = match kw(ctx, "only", after) {
                Ok((r, _)) => (r, true),
                Err(_) => (after, false),
            };
            (
                r,
                if uw == "ADD" {
                    Prefix::Add { only }
                } else {
                    Prefix::Replace { only }
                },
            )
        }
        "MERGE" => {
            let mut r = after;
            if let Ok((r2, _)) = kw(ctx, "only", r) {
                r = r2;
            }
            if let Ok((r2, _)) = paren_body(ctx, r) {
                r = r2;
            }
            let r2 = match kw(ctx, "on", r) {
                Ok((r2, _)) => names(ctx, r2)?.0,
                Err(_) => r,
            };
            (r2, Prefix::Merge)
        }
        "FIRST" => {
            let (r, e) = expr(ctx, after)?;
            (r, Prefix::First(e))
        }
        "SAMPLE" => {
            let (r, e) = expr(ctx, after)?;
            (r, Prefix::Sample(e))
        }
        "WHEN" | "UNLESS" => {
            let (r, e) = expr(ctx, after)?;
            (
                r,
                Prefix::When(Condition {
                    unless: uw == "UNLESS",
                    cond: e,
                }),
            )
        }
        "INFO" => (after, Prefix::Info),
        // `Semantic` loads (and `Bundle`/`Image_Size` info loads) are recognised but not modelled.
        "SEMANTIC" | "BUNDLE" | "IMAGE_SIZE" => {
            return Ok((after, Some(Err((w.to_string(), ctx.off(t))))))
        }
        _ => return Ok((i, None)),
    };
    Ok((p.0, Some(Ok(p.1))))
}

/// `[label:] prefix* part` where part is a LOAD or SQL/SELECT.
pub fn load_stmt<'a>(ctx: &Ctx<'a>, i: &'a str, label: Option<Name>) -> PResult<'a, Parsed> {
    let mut prefixes = Vec::new();
    let mut label = label;
    let mut r = i;
    loop {
        let (r2, p) = prefix(ctx, r)?;
        match p {
            Some(Ok(p)) => {
                prefixes.push(p);
                r = r2;
            }
            Some(Err((kw, at))) => return Ok((&i[i.len()..], Parsed::Unsupported(kw, at))),
            None => {
                // Qlik also reads a label written after the prefixes: `NoConcatenate T: LOAD …`.
                if label.is_none() && !prefixes.is_empty() {
                    if let Some((r2, l)) = crate::syntax::stmt::label(ctx, r) {
                        label = Some(l);
                        r = r2;
                        continue;
                    }
                }
                break;
            }
        }
        if prefixes.len() > 64 {
            return ctx.fail(ws(r), "LOAD or SELECT");
        }
    }
    // `WHEN cond SET x = 1;`, `UNLESS a WHEN b DROP TABLE T;`: the condition prefixes apply to "any script
    // statement except control statements" (https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptPrefixes/When.htm,
    // …/Unless.htm). A regular statement is read and kept with its conditions; one on a control
    // statement or an unknown word is not modelled.
    if !prefixes.is_empty() && prefixes.iter().all(|p| matches!(p, Prefix::When(_))) {
        let w = first_word(r);
        if !w.is_empty() && !matches!(w.as_str(), "LOAD" | "SELECT" | "SQL") {
            if label.is_none() && w != "REM" && STATEMENT_KEYWORDS.contains(&w.as_str()) {
                let conds = prefixes
                    .into_iter()
                    .filter_map(|p| match p {
                        Prefix::When(c) => Some(c),
                        _ => None,
                    })
                    .collect();
                return conditional(ctx, r, conds);
            }
            let t = ws(i);
            let kw = word_at(t);
            let stmt_kw = word_at(ws(r));
            return Ok((
                &i[i.len()..],
                Parsed::Unsupported(format!("{kw} … {stmt_kw}"), ctx.off(t)),
            ));
        }
    }
    let (r, part) = load_part(ctx, r)?;
    Ok((
        r,
        Parsed::Kind(StmtKind::Load(Box::new(LoadStmt {
            label,
            prefixes,
            parts: vec![part],
        }))),
    ))
}

/// The regular statement at `i` (not a load) under `conds`: `StmtKind::Conditional`.
fn conditional<'a>(ctx: &Ctx<'a>, i: &'a str, conds: Vec<Condition>) -> PResult<'a, Parsed> {
    let t = ws(i);
    let (rest, inner) = regular(ctx, t)?;
    let span = Span::new(ctx.off(t), ctx.off(t) + trim_end_trivia(t).len());
    let wrap = |kind| StmtKind::Conditional {
        conds,
        stmt: Box::new(Stmt { kind, span }),
    };
    let parsed = match inner {
        Parsed::Kind(k) => Parsed::Kind(wrap(k)),
        Parsed::LetUnreadTail(k, tail) => Parsed::LetUnreadTail(wrap(k), tail),
        unsupported @ Parsed::Unsupported(..) => unsupported,
    };
    Ok((rest, parsed))
}

/// One part of a load: `LOAD …` (to the end of the given text) or `SQL …` / `SELECT …`.
pub fn load_part<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, LoadPart> {
    let t = ws(i);
    let w = word_at(t).to_ascii_uppercase();
    let empty = |span, source| LoadPart {
        span,
        distinct: false,
        fields: Vec::new(),
        source,
        where_: None,
        while_: None,
        group_by: Vec::new(),
        order_by: Vec::new(),
    };
    match w.as_str() {
        "SQL" => {
            let body = &t[3..];
            let text = raw(ctx, body);
            if text.text.is_empty() {
                return ctx.fail(ws(body), "an SQL statement");
            }
            let rest = &t[t.len()..];
            let end = text.span.end;
            Ok((
                rest,
                empty(Span::new(ctx.off(t), end), LoadSource::Sql(text)),
            ))
        }
        "SELECT" => {
            let text = raw(ctx, t);
            let rest = &t[t.len()..];
            Ok((rest, empty(text.span, LoadSource::Sql(text))))
        }
        "LOAD" => load_body(ctx, t),
        _ => ctx.fail(t, "a statement (LOAD, SELECT, SET, LET, …)"),
    }
}

/// A field list: `*` or `expr [AS name]`, separated by commas (LOAD and STORE).
fn field_list<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<LoadField>> {
    let mut fields = Vec::new();
    let mut r = i;
    loop {
        let f = ws(r);
        if let Some(r2) = f.strip_prefix('*') {
            fields.push(LoadField::Star(ctx.span(f, r2)));
            r = r2;
        } else {
            let (r2, e) = expr(ctx, f)?;
            let (r2, alias) = match kw(ctx, "as", r2) {
                Ok((r3, _)) => {
                    let (r3, n) = alias_name(ctx, r3)?;
                    (r3, Some(n))
                }
                Err(_) => (r2, None),
            };
            fields.push(LoadField::Expr {
                expr: e,
                alias,
                span: ctx.span(f, r2),
            });
            r = r2;
        }
        match punct(ctx, ",", r) {
            Ok((r2, _)) => r = r2,
            Err(_) => return Ok((r, fields)),
        }
    }
}

fn load_body<'a>(ctx: &Ctx<'a>, t: &'a str) -> PResult<'a, LoadPart> {
    let mut r = &t[4..];
    let mut distinct = false;
    if let Ok((r2, _)) = kw(ctx, "distinct", r) {
        distinct = true;
        r = r2;
    }
    let (r, fields) = field_list(ctx, r)?;
    // source
    let s = ws(r);
    let sw = word_at(s).to_ascii_uppercase();
    let after = &s[sw.len()..];
    let (mut r, source) = match sw.as_str() {
        "INLINE" => {
            let d = ws(after);
            let (r, data) = match d.chars().next() {
                Some('[') => match d[1..].find(']') {
                    Some(n) => (&d[n + 2..], &d[1..n + 1]),
                    None => return ctx.fail(d, "`]` closing the INLINE data"),
                },
                Some(q @ ('"' | '\'' | '`')) => match d[1..].find(q) {
                    Some(n) => (&d[n + 2..], &d[1..n + 1]),
                    None => return ctx.fail(d, "the end of the INLINE data"),
                },
                _ => return ctx.fail(d, "`[` starting the INLINE data"),
            };
            let (r, format) = opt_format(ctx, r)?;
            let start = ctx.off(data);
            (
                r,
                LoadSource::Inline {
                    data: RawText {
                        text: data.to_string(),
                        span: Span::new(start, start + data.len()),
                    },
                    format,
                },
            )
        }
        "FROM" => {
            let (r, p) = path(ctx, after)?;
            let (r, format) = opt_format(ctx, r)?;
            (r, LoadSource::From { path: p, format })
        }
        "FROM_FIELD" | "EXTENSION" => {
            // kept opaque up to the next clause keyword
            let (r, _) = if sw == "FROM_FIELD" {
                paren_body(ctx, after)?
            } else {
                (after, "")
            };
            let (r, _) = opt_format(ctx, r)?;
            let mut r = r;
            if sw == "EXTENSION" {
                let stop = clause_start(r);
                r = stop;
            }
            let text = raw(ctx, &s[..s.len() - r.len()]);
            (r, LoadSource::Other(text))
        }
        "RESIDENT" => {
            let (r, n) = name(ctx, after)?;
            (r, LoadSource::Resident(n))
        }
        "AUTOGENERATE" => {
            let (r, e) = expr(ctx, after)?;
            (r, LoadSource::Autogenerate(e))
        }
        _ => (r, LoadSource::Preceding),
    };
    let mut where_ = None;
    let mut while_ = None;
    loop {
        if where_.is_none() {
            if let Ok((r2, _)) = kw(ctx, "where", r) {
                let (r2, e) = expr(ctx, r2)?;
                where_ = Some(e);
                r = r2;
                continue;
            }
        }
        if while_.is_none() {
            if let Ok((r2, _)) = kw(ctx, "while", r) {
                let (r2, e) = expr(ctx, r2)?;
                while_ = Some(e);
                r = r2;
                continue;
            }
        }
        break;
    }
    let mut group_by = Vec::new();
    if let Ok((r2, _)) = kws(ctx, &["group", "by"], r) {
        let (r2, l) = expr_list(ctx, r2)?;
        group_by = l;
        r = r2;
    }
    let mut order_by = Vec::new();
    if let Ok((r2, _)) = kws(ctx, &["order", "by"], r) {
        let mut r3 = r2;
        loop {
            let (r4, e) = expr(ctx, r3)?;
            let (r4, desc) = if let Ok((r5, _)) = kw(ctx, "desc", r4) {
                (r5, true)
            } else if let Ok((r5, _)) = kw(ctx, "asc", r4) {
                (r5, false)
            } else {
                (r4, false)
            };
            order_by.push((e, desc));
            r3 = r4;
            match punct(ctx, ",", r3) {
                Ok((r5, _)) => r3 = r5,
                Err(_) => break,
            }
        }
        r = r3;
    }
    let (r, _) = end(ctx, r)?;
    let span = Span::new(ctx.off(t), last_token_end(ctx, t, r));
    Ok((
        r,
        LoadPart {
            span,
            distinct,
            fields,
            source,
            where_,
            while_,
            group_by,
            order_by,
        },
    ))
}

use crate::syntax::lex::kws;

/// End offset of the text from `t` to `r`, without trailing white space/comments.
fn last_token_end(ctx: &Ctx<'_>, t: &str, r: &str) -> usize {
    let consumed = &t[..t.len() - r.len()];
    ctx.off(t) + trim_end_trivia(consumed).len()
}

/// Remove trailing white space and `//` comments.
pub fn trim_end_trivia(s: &str) -> &str {
    let mut s = s.trim_end();
    // a trailing `// comment` line
    loop {
        let line_start = s.rfind('\n').map(|n| n + 1).unwrap_or(0);
        let line = &s[line_start..];
        match find_line_comment(line) {
            Some(c) if c < line.len() => {
                let ns = s[..line_start + c].trim_end();
                if ns.len() == s.len() {
                    return s;
                }
                s = ns;
            }
            _ => return s,
        }
    }
}

/// Offset of a `//` comment in one line (outside quotes, brackets, not after `:`).
fn find_line_comment(line: &str) -> Option<usize> {
    let b = line.as_bytes();
    let mut n = 0;
    while n < b.len() {
        match b[n] {
            b'\'' | b'"' | b'[' | b'`' => {
                let close = if b[n] == b'[' { b']' } else { b[n] };
                match b[n + 1..].iter().position(|&x| x == close) {
                    Some(p) => n += p + 1,
                    None => return None,
                }
            }
            b'/' if n + 1 < b.len() && b[n + 1] == b'/' && (n == 0 || b[n - 1] != b':') => {
                return Some(n)
            }
            _ => {}
        }
        n += 1;
    }
    None
}

/// Where the next LOAD clause keyword (WHERE, WHILE, GROUP BY, ORDER BY) starts, or the end.
fn clause_start(i: &str) -> &str {
    let mut r = i;
    loop {
        let t = ws(r);
        if t.is_empty() {
            return t;
        }
        let w = word_at(t).to_ascii_uppercase();
        if matches!(w.as_str(), "WHERE" | "WHILE" | "GROUP" | "ORDER") {
            return r;
        }
        let step = if w.is_empty() {
            t.chars().next().map(|c| c.len_utf8()).unwrap_or(1)
        } else {
            w.len()
        };
        r = &t[step..];
    }
}

/// A file path: `[path]`, `'path'`, `"path"`, or unquoted up to white space or `(` (`$(…)` kept).
pub fn path<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, RawText> {
    let t = ws(i);
    match t.chars().next() {
        Some('[') => match t[1..].find(']') {
            Some(n) => Ok((
                &t[n + 2..],
                RawText {
                    text: t[1..n + 1].to_string(),
                    span: ctx.span(t, &t[n + 2..]),
                },
            )),
            None => ctx.fail(t, "`]`"),
        },
        Some(q @ ('\'' | '"')) => match quoted(&t[1..], q) {
            Some((r, s)) => Ok((
                r,
                RawText {
                    text: s,
                    span: ctx.span(t, r),
                },
            )),
            None => ctx.fail(t, "a closing quote"),
        },
        _ => {
            let mut r = t;
            loop {
                if r.starts_with("$(") {
                    match dollar_group(r) {
                        Some((r2, _)) => {
                            r = r2;
                            continue;
                        }
                        None => break,
                    }
                }
                match r.chars().next() {
                    Some(c) if !c.is_whitespace() && c != '(' && c != ';' && c != ',' => {
                        r = &r[c.len_utf8()..]
                    }
                    _ => break,
                }
            }
            if r.len() == t.len() {
                return ctx.fail(t, "a file path");
            }
            Ok((
                r,
                RawText {
                    text: t[..t.len() - r.len()].to_string(),
                    span: ctx.span(t, r),
                },
            ))
        }
    }
}

fn opt_format<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<FormatItem>> {
    if !ws(i).starts_with('(') {
        return Ok((i, Vec::new()));
    }
    let (r, body) = paren_body(ctx, i)?;
    let mut out = Vec::new();
    for item in split_top(body, b',') {
        let it = item.trim();
        if it.is_empty() {
            continue;
        }
        out.push(format_item(it));
    }
    Ok((r, out))
}

/// Classify one item of a format specification.
pub fn format_item(it: &str) -> FormatItem {
    let words: Vec<&str> = it.split_whitespace().collect();
    let lw: Vec<String> = words.iter().map(|w| w.to_ascii_lowercase()).collect();
    let l: Vec<&str> = lw.iter().map(|s| s.as_str()).collect();
    let after_is = || -> String {
        let low = it.to_ascii_lowercase();
        match low.find(" is ") {
            Some(n) => it[n + 4..].trim().to_string(),
            None => String::new(),
        }
    };
    let unq = |s: String| -> String {
        let s = s.trim().to_string();
        if s.len() >= 2
            && ((s.starts_with('\'') && s.ends_with('\''))
                || (s.starts_with('"') && s.ends_with('"'))
                || (s.starts_with('[') && s.ends_with(']')))
        {
            s[1..s.len() - 1].to_string()
        } else {
            s
        }
    };
    match l.as_slice() {
        [t] if matches!(
            *t,
            "txt"
                | "qvd"
                | "qvx"
                | "parquet"
                | "ooxml"
                | "biff"
                | "html"
                | "xml"
                | "json"
                | "fix"
                | "dif"
                | "kml"
                | "delimited"
        ) =>
        {
            FormatItem::FileType(t.to_string())
        }
        [c] if matches!(*c, "utf8" | "ansi" | "oem" | "mac" | "unicode") => {
            FormatItem::Codepage(c.to_string())
        }
        ["codepage", "is", n] => FormatItem::Codepage(format!("codepage is {n}")),
        ["embedded", "labels"] => FormatItem::EmbeddedLabels,
        ["explicit", "labels"] => FormatItem::ExplicitLabels,
        ["no", "labels"] => FormatItem::NoLabels,
        ["msq"] => FormatItem::Msq,
        ["no", "quotes"] => FormatItem::NoQuotes,
        ["no", "eof"] => FormatItem::NoEof,
        ["delimiter", "is", ..] => FormatItem::Delimiter(unq(after_is())),
        ["header", "is", n, "line" | "lines"] if n.parse::<u32>().is_ok() => {
            FormatItem::HeaderLines(n.parse().unwrap_or(0))
        }
        ["header", "is", "line"] => FormatItem::HeaderLines(1),
        ["header", "is", ..] => FormatItem::HeaderOther(after_is()),
        ["record", "is", n, "line" | "lines"] if n.parse::<u32>().is_ok() => {
            FormatItem::RecordLines(n.parse().unwrap_or(0))
        }
        ["record", "is", "line"] => FormatItem::RecordLines(1),
        ["table", "is", ..] => FormatItem::Table(unq(after_is())),
        ["comment", "is", ..] => FormatItem::CommentIs(unq(after_is())),
        _ => FormatItem::Other(it.to_string()),
    }
}

fn drop_stmt<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, StmtKind> {
    let t = ws(i);
    let w = word_at(t).to_ascii_uppercase();
    let target = match w.as_str() {
        "TABLE" | "TABLES" => DropTarget::Tables,
        "FIELD" | "FIELDS" => DropTarget::Fields,
        // `Drop variable v1, v2;` (either form, same effect):
        // https://help.qlik.com/en-US/cloud-services/Subsystems/Hub/Content/Sense_Hub/Scripting/ScriptRegularStatements/Drop-Variable.htm
        "VARIABLE" | "VARIABLES" => {
            let (mut r, n) = var_name(ctx, &t[w.len()..])?;
            let mut names = vec![n];
            while let Ok((r2, _)) = punct(ctx, ",", r) {
                let (r3, n) = var_name(ctx, r2)?;
                names.push(n);
                r = r3;
            }
            return Ok((r, StmtKind::DropVariables { names }));
        }
        _ => return ctx.fail(t, "`TABLE`, `FIELD` or `VARIABLE`"),
    };
    let (r, names) = names(ctx, &t[w.len()..])?;
    let (r, from) = match kw(ctx, "from", r) {
        Ok((r, _)) if target == DropTarget::Fields => names_list(ctx, r)?,
        _ => (r, Vec::new()),
    };
    Ok((
        r,
        StmtKind::Drop {
            target,
            names,
            from,
        },
    ))
}

fn names_list<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Name>> {
    names(ctx, i)
}

fn pairs<'a>(ctx: &Ctx<'a>, i: &'a str, sep: &'static str) -> PResult<'a, Vec<(Name, Name)>> {
    let mut out = Vec::new();
    let mut r = i;
    loop {
        let (r2, a) = name(ctx, r)?;
        let (r2, _) = kw(ctx, sep, r2)?;
        let (r2, b) = name(ctx, r2)?;
        out.push((a, b));
        r = r2;
        match punct(ctx, ",", r) {
            Ok((r2, _)) => r = r2,
            Err(_) => return Ok((r, out)),
        }
    }
}

fn rename_stmt<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, StmtKind> {
    let t = ws(i);
    let w = word_at(t).to_ascii_uppercase();
    let target = match w.as_str() {
        "TABLE" | "TABLES" => RenameTarget::Tables,
        "FIELD" | "FIELDS" => RenameTarget::Fields,
        _ => return ctx.fail(t, "`TABLE` or `FIELD`"),
    };
    let r = &t[w.len()..];
    if let Ok((r, _)) = kw(ctx, "using", r) {
        let (r, m) = name(ctx, r)?;
        return Ok((
            r,
            StmtKind::Rename {
                target,
                pairs: Vec::new(),
                using: Some(m),
            },
        ));
    }
    let (r, pairs) = pairs(ctx, r, "to")?;
    Ok((
        r,
        StmtKind::Rename {
            target,
            pairs,
            using: None,
        },
    ))
}

fn store_stmt<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, StmtKind> {
    // simple form: STORE table INTO path
    let simple: PResult<'a, Name> = (|| {
        let (r, table) = name(ctx, i)?;
        let (r, _) = kw(ctx, "into", r)?;
        Ok((r, table))
    })();
    let (r, fields, table) = match simple {
        Ok((r, table)) => (r, Vec::new(), table),
        Err(nom::Err::Failure(e)) => return Err(nom::Err::Failure(e)),
        Err(_) => {
            let (r, fields) = field_list(ctx, i)?;
            let (r, _) = kw(ctx, "from", r)?;
            let (r, table) = name(ctx, r)?;
            let (r, _) = kw(ctx, "into", r)?;
            (r, fields, table)
        }
    };
    let (r, p) = path(ctx, r)?;
    let (r, format) = opt_format(ctx, r)?;
    Ok((
        r,
        StmtKind::Store {
            fields,
            table,
            path: p,
            format,
        },
    ))
}

fn tag_stmt<'a>(ctx: &Ctx<'a>, i: &'a str, untag: bool) -> PResult<'a, StmtKind> {
    let t = ws(i);
    let w = word_at(t).to_ascii_uppercase();
    // `FIELD`/`FIELDS` is optional: `Tag Gamma with '$key';`
    let r = if matches!(w.as_str(), "FIELD" | "FIELDS") {
        &t[w.len()..]
    } else {
        t
    };
    if let Ok((r, _)) = kw(ctx, "using", r) {
        let (r, m) = name(ctx, r)?;
        return Ok((
            r,
            StmtKind::Tag {
                untag,
                fields: Vec::new(),
                tags: Vec::new(),
                using: Some(m),
            },
        ));
    }
    let (r, fields) = names(ctx, r)?;
    let (mut r, _) = kw(ctx, "with", r)?;
    let mut tags = Vec::new();
    loop {
        let (r2, tag) = tag_value(ctx, r)?;
        tags.push(tag);
        r = r2;
        match punct(ctx, ",", r) {
            Ok((r2, _)) => r = r2,
            Err(_) => break,
        }
    }
    Ok((
        r,
        StmtKind::Tag {
            untag,
            fields,
            tags,
            using: None,
        },
    ))
}

fn tag_value<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, RawText> {
    let t = ws(i);
    if t.starts_with('\'') {
        let (r, (s, _)) = string_lit(ctx, t)?;
        return Ok((
            r,
            RawText {
                text: s,
                span: ctx.span(t, r),
            },
        ));
    }
    let (r, n) = name(ctx, t)?;
    Ok((
        r,
        RawText {
            text: n.text,
            span: n.span,
        },
    ))
}

fn comment_stmt<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, StmtKind> {
    let t = ws(i);
    let w = word_at(t).to_ascii_uppercase();
    // `FIELD`/`FIELDS` is optional: `Comment Gamma with 'Mickey Mouse field';`
    let (target, r) = match w.as_str() {
        "TABLE" | "TABLES" => (CommentTarget::Tables, &t[w.len()..]),
        "FIELD" | "FIELDS" => (CommentTarget::Fields, &t[w.len()..]),
        _ => (CommentTarget::Fields, t),
    };
    if let Ok((r, _)) = kw(ctx, "using", r) {
        let (r, m) = name(ctx, r)?;
        return Ok((
            r,
            StmtKind::Comment {
                target,
                names: Vec::new(),
                text: None,
                using: Some(m),
            },
        ));
    }
    let (r, names) = names(ctx, r)?;
    let (r, _) = kw(ctx, "with", r)?;
    let (r, text) = tag_value(ctx, r)?;
    Ok((
        r,
        StmtKind::Comment {
            target,
            names,
            text: Some(text),
            using: None,
        },
    ))
}

#[cfg(test)]
mod tests {
    use crate::diag::SourceId;

    /// `Section Acess;` fails Qlik's reload: a syntax error, not a statement to skip.
    #[test]
    fn section_other_than_access_or_application_is_an_error() {
        let p = crate::syntax::parse_script(SourceId(0), "Section Acess;\n");
        assert!(p.has_errors());
        assert!(p.diagnostics.iter().any(|d| d.message.contains("Acess")));
        for ok in [
            "Section Access;\n",
            "SECTION application;\n",
            "Section DirectQuery;\n",
        ] {
            assert!(
                !crate::syntax::parse_script(SourceId(0), ok).has_errors(),
                "{ok}"
            );
        }
    }
}
