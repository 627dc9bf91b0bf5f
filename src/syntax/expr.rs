//! Expressions, by precedence climbing. Levels, lowest binding first (see the module docs of
//! [`crate::syntax`] for where this order comes from):
//!
//! | level | operators | assoc. |
//! |---|---|---|
//! | 1 | `or`, `xor` | left |
//! | 2 | `and` | left |
//! | 3 | `not` (prefix) | — |
//! | 4 | `=`, `<>`, `<`, `<=`, `>`, `>=`, `like`, `precedes`, `follows` | left |
//! | 5 | `bitor`, `bitxor` | left |
//! | 6 | `bitand` | left |
//! | 7 | `<<`, `>>` | left |
//! | 8 | `&` | left |
//! | 9 | `+`, `-` | left |
//! | 10 | `*`, `/` | left |
//! | 11 | `-`, `+`, `bitnot` (prefix) | — |
//! | 12 | literals, names, calls, `( … )`, `$(…)` | — |

use crate::syntax::ast::{BinaryOp, Expr, ExprKind, Name, Quote, UnaryOp};
use crate::syntax::lex::{
    dollar_group, kw, name, number, punct, raw_word, string_lit, word_at, ws, Ctx, PResult,
};

/// Binary keyword operators: never a field name where an operand is expected.
const BINARY_WORDS: &[&str] = &[
    "and", "or", "xor", "like", "precedes", "follows", "bitand", "bitor", "bitxor",
];

/// Prefix keyword operators (read before a name is tried) and `THEN` (`IF x = THEN` is an IF without
/// its right side): never field names either.
const RESERVED_WORDS: &[&str] = &["not", "bitnot", "then"];

/// Clause keywords of statements. Where an operand is expected they are field names when what follows
/// them cannot be the clause's argument ([`keyword_reads_as_name`]): `LOAD Name, Extension, Size`,
/// `LOAD From, To RESIDENT T`, `ORDER BY Desc`.
const CLAUSE_WORDS: &[&str] = &[
    "as",
    "from",
    "where",
    "while",
    "inline",
    "resident",
    "autogenerate",
    "to",
    "step",
    "when",
    "unless",
    "into",
    "from_field",
    "extension",
    "desc",
    "asc",
];

fn is_one_of(w: &str, words: &[&str]) -> bool {
    words.iter().any(|k| w.eq_ignore_ascii_case(k))
}

/// Is a keyword followed by `rest` used as a name? Yes when `rest` (after white space and comments)
/// cannot be the argument of the keyword's clause, only what follows a field: nothing, `,`, `)`, `;`,
/// an operator (`=`, `<`, `>`, `+`, `-`, `&`; not `*` or `/`, which may start a path), or a keyword
/// that follows an operand (a clause keyword, `THEN`, `GROUP`/`ORDER`, a binary keyword operator:
/// `Extension FROM …`, `To AS End`). Rule S1: keywords are recognised in their place.
pub fn keyword_reads_as_name(rest: &str) -> bool {
    let t = ws(rest);
    match t.chars().next() {
        None => true,
        Some(',' | ')' | ';' | '=' | '<' | '>' | '+' | '-' | '&') => true,
        Some(_) => {
            let w = word_at(t);
            is_one_of(w, CLAUSE_WORDS)
                || is_one_of(w, BINARY_WORDS)
                || is_one_of(w, &["then", "group", "order"])
        }
    }
}

fn is_stop_word(w: &str, rest: &str) -> bool {
    if is_one_of(w, BINARY_WORDS) || is_one_of(w, RESERVED_WORDS) {
        return true;
    }
    if is_one_of(w, CLAUSE_WORDS) {
        return !keyword_reads_as_name(rest);
    }
    // `GROUP BY` / `ORDER BY` end a field list; a field called `Group` does not.
    (w.eq_ignore_ascii_case("group") || w.eq_ignore_ascii_case("order"))
        && word_at(ws(rest)).eq_ignore_ascii_case("by")
}

/// One expression.
pub fn expr<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    ctx.start_expr();
    or_level(ctx, i)
}

fn bin(op: BinaryOp, lhs: Expr, rhs: Expr) -> Expr {
    let span = lhs.span.join(rhs.span);
    Expr {
        kind: ExprKind::Binary {
            op,
            lhs: Box::new(lhs),
            rhs: Box::new(rhs),
        },
        span,
    }
}

/// A keyword operator at the start of `i` (after white space).
fn word_op<'a>(i: &'a str, ops: &[(&str, BinaryOp)]) -> Option<(&'a str, BinaryOp)> {
    let t = ws(i);
    let w = word_at(t);
    ops.iter()
        .find(|(k, _)| w.eq_ignore_ascii_case(k))
        .map(|(_, op)| (&t[w.len()..], *op))
}

fn left_assoc<'a>(
    ctx: &Ctx<'a>,
    i: &'a str,
    next: fn(&Ctx<'a>, &'a str) -> PResult<'a, Expr>,
    op: fn(&'a str) -> Option<(&'a str, BinaryOp)>,
) -> PResult<'a, Expr> {
    let (mut rest, mut lhs) = next(ctx, i)?;
    while let Some((after, o)) = op(rest) {
        ctx.count_op(after)?;
        let (r, rhs) = next(ctx, after)?;
        lhs = bin(o, lhs, rhs);
        rest = r;
    }
    Ok((rest, lhs))
}

fn or_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, and_level, |r| {
        word_op(r, &[("or", BinaryOp::Or), ("xor", BinaryOp::Xor)])
    })
}

fn and_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, not_level, |r| word_op(r, &[("and", BinaryOp::And)]))
}

fn not_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    let t = ws(i);
    if word_at(t).eq_ignore_ascii_case("not") {
        let after = &t[3..];
        ctx.enter(t)?;
        let r = not_level(ctx, after);
        ctx.leave();
        let (rest, e) = r?;
        let span = ctx.span(t, rest);
        return Ok((
            rest,
            Expr {
                kind: ExprKind::Unary {
                    op: UnaryOp::Not,
                    expr: Box::new(e),
                },
                span,
            },
        ));
    }
    rel_level(ctx, t)
}

fn rel_op(i: &str) -> Option<(&str, BinaryOp)> {
    let t = ws(i);
    for (s, op) in [
        ("<>", BinaryOp::Ne),
        ("<=", BinaryOp::Le),
        (">=", BinaryOp::Ge),
        ("=", BinaryOp::Eq),
    ] {
        if let Some(r) = t.strip_prefix(s) {
            return Some((r, op));
        }
    }
    if t.starts_with("<<") || t.starts_with(">>") {
        return None;
    }
    if let Some(r) = t.strip_prefix('<') {
        return Some((r, BinaryOp::Lt));
    }
    if let Some(r) = t.strip_prefix('>') {
        return Some((r, BinaryOp::Gt));
    }
    word_op(
        t,
        &[
            ("like", BinaryOp::Like),
            ("precedes", BinaryOp::Precedes),
            ("follows", BinaryOp::Follows),
        ],
    )
}

fn rel_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, bitor_level, rel_op)
}

fn bitor_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, bitand_level, |r| {
        word_op(
            r,
            &[("bitor", BinaryOp::BitOr), ("bitxor", BinaryOp::BitXor)],
        )
    })
}

fn bitand_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, shift_level, |r| {
        word_op(r, &[("bitand", BinaryOp::BitAnd)])
    })
}

fn shift_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, concat_level, |r| {
        let t = ws(r);
        if let Some(x) = t.strip_prefix("<<") {
            Some((x, BinaryOp::Shl))
        } else {
            t.strip_prefix(">>").map(|x| (x, BinaryOp::Shr))
        }
    })
}

fn concat_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, add_level, |r| {
        ws(r).strip_prefix('&').map(|x| (x, BinaryOp::Concat))
    })
}

fn add_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, mul_level, |r| {
        let t = ws(r);
        if let Some(x) = t.strip_prefix('+') {
            Some((x, BinaryOp::Add))
        } else {
            t.strip_prefix('-').map(|x| (x, BinaryOp::Sub))
        }
    })
}

fn mul_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    left_assoc(ctx, i, unary_level, |r| {
        let t = ws(r);
        if let Some(x) = t.strip_prefix('*') {
            Some((x, BinaryOp::Mul))
        } else if t.starts_with("/*") || t.starts_with("//") {
            None
        } else {
            t.strip_prefix('/').map(|x| (x, BinaryOp::Div))
        }
    })
}

fn unary_level<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    let t = ws(i);
    let (op, after) = if let Some(r) = t.strip_prefix('-') {
        (UnaryOp::Neg, r)
    } else if let Some(r) = t.strip_prefix('+') {
        (UnaryOp::Plus, r)
    } else if word_at(t).eq_ignore_ascii_case("bitnot") {
        (UnaryOp::BitNot, &t[6..])
    } else {
        return primary(ctx, t);
    };
    ctx.enter(t)?;
    let r = unary_level(ctx, after);
    ctx.leave();
    let (rest, e) = r?;
    let span = ctx.span(t, rest);
    Ok((
        rest,
        Expr {
            kind: ExprKind::Unary {
                op,
                expr: Box::new(e),
            },
            span,
        },
    ))
}

fn primary<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    let t = ws(i);
    let Some(c) = t.chars().next() else {
        return ctx.fail(t, "an expression");
    };
    match c {
        '\'' => {
            let (rest, (s, _)) = string_lit(ctx, t)?;
            Ok((
                rest,
                Expr {
                    kind: ExprKind::Str(s),
                    span: ctx.span(t, rest),
                },
            ))
        }
        '0'..='9' | '.' => {
            let (rest, (value, text)) = number(ctx, t)?;
            Ok((
                rest,
                Expr {
                    kind: ExprKind::Num {
                        value,
                        text: text.to_string(),
                    },
                    span: ctx.span(t, rest),
                },
            ))
        }
        '(' => {
            ctx.enter(t)?;
            let r = expr(ctx, &t[1..]);
            ctx.leave();
            let (rest, e) = r?;
            let rest = match punct(ctx, ")", rest) {
                Ok((r, _)) => r,
                Err(_) => return ctx.fail_prefer(ws(rest), "`)`"),
            };
            Ok((
                rest,
                Expr {
                    kind: ExprKind::Paren(Box::new(e)),
                    span: ctx.span(t, rest),
                },
            ))
        }
        '[' | '"' | '`' => {
            let (rest, n) = name(ctx, t)?;
            Ok((
                rest,
                Expr {
                    span: n.span,
                    kind: ExprKind::Field(n),
                },
            ))
        }
        _ => {
            // `$(…)` alone is an expansion; glued to name characters it is part of a name.
            if t.starts_with("$(") {
                if let Some((rest, inner)) = dollar_group(t) {
                    let glued = raw_word(rest).is_some() && !rest.starts_with("$(");
                    let glued = glued || rest.starts_with("$(");
                    if !glued && !ws_is_call(rest) {
                        return Ok((
                            rest,
                            Expr {
                                kind: ExprKind::Expansion(inner.to_string()),
                                span: ctx.span(t, rest),
                            },
                        ));
                    }
                }
            }
            let Some((mut rest, mut w)) = raw_word(t) else {
                return ctx.fail(t, "an expression");
            };
            // fixed-record column positions: `@1:5`, `@6:10T`, `@7:n` (to the end of the record)
            if w.starts_with('@') {
                if let Some(after) = rest.strip_prefix(':') {
                    let mut digits = after.bytes().take_while(|b| b.is_ascii_digit()).count();
                    if digits == 0
                        && after.starts_with(['n', 'N'])
                        && !after[1..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
                    {
                        digits = 1;
                    }
                    if digits > 0 {
                        let mut end = digits;
                        if after[end..].starts_with(|c: char| c.is_ascii_alphabetic()) {
                            end += 1;
                        }
                        rest = &after[end..];
                        w = &t[..t.len() - rest.len()];
                    }
                }
            }
            if is_stop_word(w, rest) {
                return ctx.fail(t, "an expression");
            }
            let n = Name {
                text: w.to_string(),
                quote: Quote::None,
                span: ctx.span(t, rest),
            };
            if rest.trim_start_matches([' ', '\t']).starts_with('(') {
                return call(ctx, t, n, rest);
            }
            Ok((
                rest,
                Expr {
                    span: n.span,
                    kind: ExprKind::Field(n),
                },
            ))
        }
    }
}

fn ws_is_call(rest: &str) -> bool {
    rest.starts_with('(')
}

fn call<'a>(ctx: &Ctx<'a>, start: &'a str, n: Name, rest: &'a str) -> PResult<'a, Expr> {
    let (mut r, _) = punct(ctx, "(", rest)?;
    ctx.enter(r)?;
    let mut distinct = false;
    if let Ok((r2, _)) = kw(ctx, "distinct", r) {
        distinct = true;
        r = r2;
    }
    let res = args_to_close(ctx, r);
    ctx.leave();
    let (rest, args) = res?;
    Ok((
        rest,
        Expr {
            kind: ExprKind::Call {
                name: n,
                distinct,
                args,
            },
            span: ctx.span(start, rest),
        },
    ))
}

/// `argument {, argument}` (at least one, possibly empty: [`arg`]).
pub fn arg_list<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Expr>> {
    comma_list(ctx, i, arg)
}

/// `( [argument {, argument}] )` after white space: the arguments of a CALL statement.
pub fn paren_args<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Expr>> {
    let (r, _) = punct(ctx, "(", i)?;
    args_to_close(ctx, r)
}

/// Arguments after a call's `(`, up to and including its `)`.
fn args_to_close<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Expr>> {
    let mut args = Vec::new();
    if let Ok((r, _)) = punct(ctx, ")", i) {
        return Ok((r, args));
    }
    let mut r = i;
    loop {
        let (r2, a) = arg(ctx, r)?;
        args.push(a);
        r = r2;
        if let Ok((r2, _)) = punct(ctx, ",", r) {
            r = r2;
            continue;
        }
        return match punct(ctx, ")", r) {
            Ok((r2, _)) => Ok((r2, args)),
            Err(_) => ctx.fail_prefer(ws(r), "`,` or `)`"),
        };
    }
}

/// One argument of a call: an expression, or nothing before a `,` or `)` after at least one `,`
/// ([`ExprKind::Absent`]: `WeekDay(Today(),)`, `f(a,,c)`; Qlik reads an empty argument as omitted).
/// A call with no argument at all (`Today()`) has no arguments, not one absent one.
pub fn arg<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Expr> {
    let t = ws(i);
    if t.starts_with(',') || t.starts_with(')') {
        let at = ctx.off(t);
        return Ok((
            t,
            Expr {
                kind: ExprKind::Absent,
                span: crate::diag::Span::new(at, at),
            },
        ));
    }
    expr(ctx, i)
}

/// A comma-separated list of expressions (at least one).
pub fn expr_list<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Vec<Expr>> {
    comma_list(ctx, i, expr)
}

/// `item {, item}`.
fn comma_list<'a>(
    ctx: &Ctx<'a>,
    i: &'a str,
    item: fn(&Ctx<'a>, &'a str) -> PResult<'a, Expr>,
) -> PResult<'a, Vec<Expr>> {
    let (mut r, e) = item(ctx, i)?;
    let mut out = vec![e];
    while let Ok((r2, _)) = punct(ctx, ",", r) {
        let (r3, e) = item(ctx, r2)?;
        out.push(e);
        r = r3;
    }
    Ok((r, out))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceId;

    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Num { text, .. } => text.clone(),
            ExprKind::Str(s) => format!("'{s}'"),
            ExprKind::Field(n) => n.text.clone(),
            ExprKind::Expansion(s) => format!("$({s})"),
            ExprKind::Unary { op, expr } => format!("({op:?} {})", show(expr)),
            ExprKind::Binary { op, lhs, rhs } => format!("({} {op:?} {})", show(lhs), show(rhs)),
            ExprKind::Call { name, args, .. } => {
                format!(
                    "{}[{}]",
                    name.text,
                    args.iter().map(show).collect::<Vec<_>>().join(",")
                )
            }
            ExprKind::Paren(e) => format!("<{}>", show(e)),
            ExprKind::Absent => "_".into(),
        }
    }

    fn p(s: &str) -> String {
        let ctx = Ctx::new(SourceId(0), s);
        let (rest, e) = expr(&ctx, s).unwrap();
        assert!(ws(rest).is_empty(), "left: {rest}");
        show(&e)
    }

    #[test]
    fn precedence() {
        assert_eq!(p("1 + 2 * 3"), "(1 Add (2 Mul 3))");
        assert_eq!(p("'a' & 1 + 2"), "('a' Concat (1 Add 2))");
        assert_eq!(
            p("a = 1 and not b > 2 or c"),
            "(((a Eq 1) And (Not (b Gt 2))) Or c)"
        );
        assert_eq!(p("-x * 2"), "((Neg x) Mul 2)");
        assert_eq!(p("x like 'A*' xor y"), "((x Like 'A*') Xor y)");
        assert_eq!(p("8 >> 2 bitand 3"), "((8 Shr 2) BitAnd 3)");
        assert_eq!(p("a <= b <> c"), "((a Le b) Ne c)");
    }

    #[test]
    fn calls_names_expansions() {
        assert_eq!(
            p("If(IsNull([My F]), 'x', Date#(\"d\", 'YYYY'))"),
            "If[IsNull[My F],'x',Date#[d,'YYYY']]"
        );
        assert_eq!(p("$(vMax) + Sales$(vY)"), "($(vMax) Add Sales$(vY))");
        assert_eq!(p("Count(DISTINCT %Key)"), "Count[%Key]");
        assert_eq!(p("(1)"), "<1>");
        assert_eq!(p("$(=Max(x))"), "$(=Max(x))");
    }

    /// Empty arguments are absent; clause keywords are field names where an operand is expected and
    /// no clause argument follows.
    #[test]
    fn empty_arguments_and_keyword_names() {
        for (text, want) in [
            ("WeekDay(Today(),)", "WeekDay[Today[],_]"),
            ("f(a,,c)", "f[a,_,c]"),
            ("f( , b)", "f[_,b]"),
            ("Today()", "Today[]"),
            ("Extension", "Extension"),
            ("To - From", "(To Sub From)"),
            ("Exists(Extension)", "Exists[Extension]"),
            ("Where = 1 and Desc", "((Where Eq 1) And Desc)"),
        ] {
            assert_eq!(p(text), want, "{text}");
        }
        for kw in [
            "from x",
            "where a",
            "extension p.f(T)",
            "resident T",
            "inline [a]",
        ] {
            let ctx = Ctx::new(SourceId(0), kw);
            assert!(expr(&ctx, kw).is_err(), "{kw}");
        }
    }

    #[test]
    fn deep_nesting_is_capped() {
        let s = "(".repeat(500) + "1" + &")".repeat(500);
        let ctx = Ctx::new(SourceId(0), &s);
        assert!(expr(&ctx, &s).is_err());
        assert!(ctx.too_deep.get());
    }
}
