//! Lexical helpers shared by the expression and statement parsers: white space and comments, keywords,
//! names, strings, numbers, `$(…)` groups, and the byte scanners that find statement boundaries.
//!
//! Conventions: every token parser skips *leading* white space and comments itself and never consumes
//! trailing white space, so that a node's span ends at its last token. Spans are computed from slices of
//! the text being parsed ([`Ctx::off`]).

use crate::diag::{SourceId, Span};
use crate::syntax::ast::{Name, Quote};
use nom::bytes::complete::{tag_no_case, take_while};
use nom::error::{Error, ErrorKind};
use nom::IResult;
use std::cell::Cell;

/// The result type of every parser here.
pub type PResult<'a, T> = IResult<&'a str, T>;

/// Maximum nesting of parentheses / function calls / unary operators in one expression.
pub const MAX_EXPR_DEPTH: u32 = 64;
/// Maximum binary operators in one expression (`1 + 1 + …`, `a & b & …`, `x = 1 OR x = 2 OR …`). A chain
/// of operators is a tree as deep as it is long, and the runner walks trees recursively: this bounds
/// the depth of every expression tree (with [`MAX_EXPR_DEPTH`]) so that no input exhausts the stack.
pub const MAX_EXPR_OPERATORS: u32 = 10_000;

/// Parsing context: the whole text (spans are offsets into it), and error bookkeeping.
pub struct Ctx<'a> {
    pub src: &'a str,
    pub source: SourceId,
    /// Furthest offset at which a token was expected and not found, and what was expected.
    furthest: Cell<usize>,
    expected: Cell<&'static str>,
    depth: Cell<u32>,
    /// Set when an expression nests deeper than [`MAX_EXPR_DEPTH`] (or has more operators than
    /// [`MAX_EXPR_OPERATORS`]: then [`Ctx::too_long`] is set too).
    pub too_deep: Cell<bool>,
    /// Binary operators of the expression being read.
    ops: Cell<u32>,
    /// Set when an expression has more binary operators than [`MAX_EXPR_OPERATORS`].
    pub too_long: Cell<bool>,
}

impl<'a> Ctx<'a> {
    pub fn new(source: SourceId, src: &'a str) -> Self {
        Ctx {
            src,
            source,
            furthest: Cell::new(0),
            expected: Cell::new(""),
            depth: Cell::new(0),
            too_deep: Cell::new(false),
            ops: Cell::new(0),
            too_long: Cell::new(false),
        }
    }

    /// Byte offset of `s` (a sub-slice of the text) in the text.
    pub fn off(&self, s: &str) -> usize {
        let base = self.src.as_ptr() as usize;
        let p = s.as_ptr() as usize;
        p.saturating_sub(base).min(self.src.len())
    }

    /// Span from the start of `from` to the start of `rest` (both sub-slices, `rest` a suffix of `from`).
    pub fn span(&self, from: &str, rest: &str) -> Span {
        Span::new(self.off(from), self.off(rest))
    }

    /// Forget the previous statement's error position.
    pub fn reset_errors(&self) {
        self.furthest.set(0);
        self.expected.set("");
        self.depth.set(0);
        self.too_deep.set(false);
        self.ops.set(0);
        self.too_long.set(false);
    }

    /// Record that `what` was expected at `at` and fail (recoverably).
    pub fn fail<T>(&self, at: &'a str, what: &'static str) -> PResult<'a, T> {
        let o = self.off(at);
        if o >= self.furthest.get() || self.expected.get().is_empty() {
            if o > self.furthest.get() || self.expected.get().is_empty() {
                self.expected.set(what);
            }
            self.furthest.set(o);
        }
        Err(nom::Err::Error(Error::new(at, ErrorKind::Tag)))
    }

    /// Like [`Ctx::fail`], but wins over other expectations recorded at the same offset.
    pub fn fail_prefer<T>(&self, at: &'a str, what: &'static str) -> PResult<'a, T> {
        let o = self.off(at);
        if o >= self.furthest.get() {
            self.furthest.set(o);
            self.expected.set(what);
        }
        Err(nom::Err::Error(Error::new(at, ErrorKind::Tag)))
    }

    /// Snapshot of the error bookkeeping, to undo failures of a speculative attempt.
    pub fn save(&self) -> (usize, &'static str) {
        (self.furthest.get(), self.expected.get())
    }

    pub fn restore(&self, s: (usize, &'static str)) {
        self.furthest.set(s.0);
        self.expected.set(s.1);
    }

    /// The furthest failure recorded since [`Ctx::reset_errors`]: offset and what was expected there.
    pub fn furthest(&self) -> (usize, &'static str) {
        (self.furthest.get(), self.expected.get())
    }

    /// Enter one nesting level of an expression; fails fatally when too deep.
    pub fn enter(&self, at: &'a str) -> Result<(), nom::Err<Error<&'a str>>> {
        let d = self.depth.get() + 1;
        if d > MAX_EXPR_DEPTH {
            return Err(self.too_large(at, "less nesting"));
        }
        self.depth.set(d);
        Ok(())
    }

    /// A fatal failure at `at`: the expression is too deep or too long to read.
    fn too_large(&self, at: &'a str, expected: &'static str) -> nom::Err<Error<&'a str>> {
        self.too_deep.set(true);
        self.furthest.set(self.off(at));
        self.expected.set(expected);
        nom::Err::Failure(Error::new(at, ErrorKind::TooLarge))
    }

    /// Start reading a new top-level expression (not one nested in another): its operators are counted
    /// from zero.
    pub fn start_expr(&self) {
        if self.depth.get() == 0 {
            self.ops.set(0);
        }
    }

    /// Count one binary operator at `at`; fails fatally past [`MAX_EXPR_OPERATORS`].
    pub fn count_op(&self, at: &'a str) -> Result<(), nom::Err<Error<&'a str>>> {
        let n = self.ops.get() + 1;
        if n > MAX_EXPR_OPERATORS {
            self.too_long.set(true);
            return Err(self.too_large(at, "fewer operators"));
        }
        self.ops.set(n);
        Ok(())
    }

    /// The message and help of QSA005 for the expression that was too deep or too long.
    pub fn too_deep_message(&self) -> (String, String) {
        if self.too_long.get() {
            (
                format!("expression with more than {MAX_EXPR_OPERATORS} operators"),
                format!("qsa reads at most {MAX_EXPR_OPERATORS} operators in one expression, a fixed limit that keeps its stack safe (no flag raises it): split it over several variables or fields"),
            )
        } else {
            (
                "expression nested too deeply".to_string(),
                format!("qsa reads at most {MAX_EXPR_DEPTH} nested parentheses, calls or operators, a fixed limit that keeps its stack safe (no flag raises it): flatten the expression"),
            )
        }
    }

    pub fn leave(&self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

/// Characters that may start an unquoted name.
pub fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || matches!(c, '_' | '%' | '#' | '@' | '$' | '§')
}

/// Characters that may continue an unquoted name.
pub fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '.' | '$' | '#' | '%' | '@' | '§')
}

/// Skip white space and comments (`//` to end of line, `/* … */`). Never fails.
pub fn ws(i: &str) -> &str {
    skip_trivia(i, &[' ', '\t', '\r', '\n', '\u{feff}', '\u{a0}'])
}

/// Like [`ws`] but stops at a line break (for control statements, which end at the line end).
pub fn ws_line(i: &str) -> &str {
    skip_trivia(i, &[' ', '\t', '\r', '\u{feff}', '\u{a0}'])
}

/// Skip the `blanks` characters and comments.
fn skip_trivia<'a>(mut i: &'a str, blanks: &[char]) -> &'a str {
    loop {
        let t = i.trim_start_matches(blanks);
        if let Some(rest) = t.strip_prefix("//") {
            i = match rest.find('\n') {
                Some(n) => &rest[n..],
                None => &rest[rest.len()..],
            };
        } else if let Some(rest) = t.strip_prefix("/*") {
            i = match rest.find("*/") {
                Some(n) => &rest[n + 2..],
                None => &rest[rest.len()..],
            };
        } else {
            return t;
        }
    }
}

/// The unquoted word at the start of `i` (no white space skipped), possibly empty.
pub fn word_at(i: &str) -> &str {
    let mut end = 0;
    for (n, c) in i.char_indices() {
        if n == 0 && !is_ident_start(c) {
            break;
        }
        if !is_ident_char(c) {
            break;
        }
        end = n + c.len_utf8();
    }
    &i[..end]
}

/// Keyword `k` (ASCII, case-insensitive) as a whole word, after white space.
pub fn kw<'a>(ctx: &Ctx<'a>, k: &'static str, i: &'a str) -> PResult<'a, &'a str> {
    let t = ws(i);
    let r: PResult<'a, &'a str> = tag_no_case(k)(t);
    match r {
        Ok((rest, m)) => {
            let next_ident = rest.chars().next().is_some_and(is_ident_char);
            if next_ident && k.chars().last().is_some_and(is_ident_char) {
                ctx.fail(t, k)
            } else {
                Ok((rest, m))
            }
        }
        Err(_) => ctx.fail(t, k),
    }
}

/// A sequence of keywords separated by white space (`END IF`, `EMBEDDED LABELS`).
pub fn kws<'a>(ctx: &Ctx<'a>, ks: &[&'static str], i: &'a str) -> PResult<'a, &'a str> {
    let start = ws(i);
    let mut r = i;
    for k in ks {
        r = kw(ctx, k, r)?.0;
    }
    Ok((r, &start[..start.len() - r.len()]))
}

fn quoted_punct(p: &str) -> &'static str {
    match p {
        "(" => "`(`",
        ")" => "`)`",
        "," => "`,`",
        "=" => "`=`",
        ":" => "`:`",
        ";" => "`;`",
        _ => "punctuation",
    }
}

/// Punctuation `p` after white space.
pub fn punct<'a>(ctx: &Ctx<'a>, p: &'static str, i: &'a str) -> PResult<'a, &'a str> {
    let t = ws(i);
    match t.strip_prefix(p) {
        Some(rest) => Ok((rest, &t[..p.len()])),
        None => ctx.fail(t, quoted_punct(p)),
    }
}

/// The text of a `$(…)` group at the start of `i` (which must start with `$(`): returns the rest after
/// the closing `)` and the inner text. Parentheses nest; quotes inside are skipped.
pub fn dollar_group(i: &str) -> Option<(&str, &str)> {
    let body = i.strip_prefix("$(")?;
    let bytes = body.as_bytes();
    let mut depth = 1usize;
    let mut n = 0;
    while n < bytes.len() {
        match bytes[n] {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some((&body[n + 1..], &body[..n]));
                }
            }
            b'\'' => {
                let close = body[n + 1..].find('\'')?;
                n += close + 1;
            }
            b'\n' => return None,
            _ => {}
        }
        n += 1;
    }
    None
}

/// An unquoted word that may contain `$(…)` groups (`Sales$(vYear)`, `$(vTable)`), no white space
/// skipped. Returns the raw text.
pub fn raw_word(i: &str) -> Option<(&str, &str)> {
    let mut rest = i;
    loop {
        if rest.starts_with("$(") {
            match dollar_group(rest) {
                Some((r, _)) => rest = r,
                None => break,
            }
            continue;
        }
        let at_start = rest.len() == i.len();
        let mut end = 0;
        let mut first = true;
        for (n, c) in rest.char_indices() {
            let ok = if first && at_start {
                is_ident_start(c)
            } else {
                is_ident_char(c)
            };
            first = false;
            if !ok || (c == '$' && rest[n..].starts_with("$(")) {
                break;
            }
            end = n + c.len_utf8();
        }
        if end == 0 {
            break;
        }
        rest = &rest[end..];
    }
    let len = i.len() - rest.len();
    if len == 0 {
        None
    } else {
        Some((rest, &i[..len]))
    }
}

/// A name: `[bracketed]`, `"double-quoted"` (with `""`), `` `backtick` ``, `'single'` (with `''`), or an unquoted word (which may
/// contain `$(…)`).
pub fn name<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Name> {
    let t = ws(i);
    let (rest, text, quote) = match t.chars().next() {
        Some('[') => match t[1..].find(']') {
            Some(n) => (&t[n + 2..], t[1..n + 1].to_string(), Quote::Bracket),
            None => return ctx.fail(t, "`]`"),
        },
        Some('"') => match quoted(&t[1..], '"') {
            Some((r, s)) => (r, s, Quote::Double),
            None => return ctx.fail(t, "`\"`"),
        },
        Some('`') => match t[1..].find('`') {
            Some(n) => (&t[n + 2..], t[1..n + 1].to_string(), Quote::Backtick),
            None => return ctx.fail(t, "``` ` ```"),
        },
        // Qlik also reads 'single-quoted' table and field names (`Rename Table 'a' to 'b'`,
        // `expr AS 'Name'`, `CrossTable('Month', 'Sales')`).
        Some('\'') => match quoted(&t[1..], '\'') {
            Some((r, s)) => (r, s, Quote::Single),
            None => return ctx.fail(t, "`'`"),
        },
        _ => match raw_word(t) {
            Some((r, w)) => (r, w.to_string(), Quote::None),
            None => return ctx.fail(t, "a name"),
        },
    };
    Ok((
        rest,
        Name {
            text,
            quote,
            span: ctx.span(t, rest),
        },
    ))
}

/// A field alias after `AS`: a [`name`], or a `'single-quoted'` name (Qlik accepts `expr AS 'Name'`).
pub fn alias_name<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, Name> {
    let t = ws(i);
    match t.strip_prefix('\'') {
        Some(body) => match quoted(body, '\'') {
            Some((rest, text)) => Ok((
                rest,
                Name {
                    text,
                    quote: Quote::Single,
                    span: ctx.span(t, rest),
                },
            )),
            None => ctx.fail(t, "`'`"),
        },
        None => name(ctx, t),
    }
}

/// Text after an opening quote up to the closing `q`, where `qq` stands for `q`. Returns rest and text.
pub fn quoted(i: &str, q: char) -> Option<(&str, String)> {
    let mut out = String::new();
    let mut rest = i;
    loop {
        let n = rest.find(q)?;
        out.push_str(&rest[..n]);
        let after = &rest[n + q.len_utf8()..];
        if after.starts_with(q) {
            out.push(q);
            rest = &after[q.len_utf8()..];
        } else {
            return Some((after, out));
        }
    }
}

/// `'text'` with `''` standing for `'`.
pub fn string_lit<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, (String, &'a str)> {
    let t = ws(i);
    match t.strip_prefix('\'').and_then(|b| quoted(b, '\'')) {
        Some((rest, s)) => Ok((rest, (s, t))),
        None => ctx.fail(t, "a string"),
    }
}

/// A number literal: digits with an optional fraction and exponent (`1`, `2.50`, `.5`, `1e3`).
pub fn number<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, (f64, &'a str)> {
    let t = ws(i);
    let b = t.as_bytes();
    let mut n = 0;
    while n < b.len() && b[n].is_ascii_digit() {
        n += 1;
    }

    if n < b.len() && b[n] == b'.' && n + 1 < b.len() && b[n + 1].is_ascii_digit() {
        n += 1;
        while n < b.len() && b[n].is_ascii_digit() {
            n += 1;
        }
    }
    if n == 0 {
        return ctx.fail(t, "a number");
    }
    if n < b.len() && (b[n] == b'e' || b[n] == b'E') {
        let mut m = n + 1;
        if m < b.len() && (b[m] == b'+' || b[m] == b'-') {
            m += 1;
        }
        let ds = m;
        while m < b.len() && b[m].is_ascii_digit() {
            m += 1;
        }
        if m > ds {
            n = m;
        }
    }
    // A number glued to letters (`1st`) is not a number.
    if t[n..]
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
    {
        return ctx.fail(t, "a number");
    }
    let text = &t[..n];
    match text.parse::<f64>() {
        Ok(v) => Ok((&t[n..], (v, text))),
        Err(_) => ctx.fail(t, "a number"),
    }
}

/// Unsigned integer.
pub fn uint<'a>(ctx: &Ctx<'a>, i: &'a str) -> PResult<'a, u32> {
    let t = ws(i);
    let r: PResult<'a, &'a str> = take_while(|c: char| c.is_ascii_digit())(t);
    match r {
        Ok((rest, d)) if !d.is_empty() => match d.parse::<u32>() {
            Ok(v) => Ok((rest, v)),
            Err(_) => ctx.fail(t, "a whole number"),
        },
        _ => ctx.fail(t, "a whole number"),
    }
}

/// What a scan stopped on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `;` at this offset.
    Semi(usize),
    /// A line break at this offset (line mode only).
    Newline(usize),
    /// End of text.
    Eof,
}

/// An unterminated construct: what and where it opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unterminated {
    pub what: &'static str,
    pub closer: &'static str,
    pub at: usize,
}

/// Scan from `start` to the end of the statement: a `;` outside quotes, brackets and comments (or, in
/// `line_mode`, also a line break). `raw` ignores quotes and brackets (REM, TRACE).
pub fn scan_end(
    text: &str,
    start: usize,
    line_mode: bool,
    raw: bool,
) -> Result<Stop, Unterminated> {
    let b = text.as_bytes();
    let mut n = start;
    while n < b.len() {
        let c = b[n];
        match c {
            b';' => return Ok(Stop::Semi(n)),
            b'\n' if line_mode => return Ok(Stop::Newline(n)),
            b'\'' | b'"' | b'`' | b'[' if !raw => {
                let (close, what, closer) = match c {
                    b'\'' => (b'\'', "string", "'"),
                    b'"' => (b'"', "double-quoted name", "\""),
                    b'`' => (b'`', "backtick-quoted name", "`"),
                    _ if after_inline(&text[..n]) => (b']', "INLINE block", "]"),
                    _ => (b']', "bracketed name", "]"),
                };
                match b[n + 1..].iter().position(|&x| x == close) {
                    Some(p) => n += p + 2,
                    None => {
                        return Err(Unterminated {
                            what,
                            closer,
                            at: n,
                        })
                    }
                }
                continue;
            }
            b'/' if n + 1 < b.len() && b[n + 1] == b'*' => match text[n + 2..].find("*/") {
                Some(p) => {
                    n += p + 4;
                    continue;
                }
                None => {
                    return Err(Unterminated {
                        what: "comment",
                        closer: "*/",
                        at: n,
                    })
                }
            },
            b'/' if n + 1 < b.len() && b[n + 1] == b'/' && (n == 0 || b[n - 1] != b':') => {
                match text[n..].find('\n') {
                    Some(p) => {
                        n += p;
                        continue;
                    }
                    None => return Ok(Stop::Eof),
                }
            }
            _ => {}
        }
        n += 1;
    }
    Ok(Stop::Eof)
}

/// Does `before` end with the keyword `INLINE` (so a `[` after it opens an INLINE block)?
fn after_inline(before: &str) -> bool {
    let t = before.trim_end();
    let n = t.len();
    n >= 6
        && t.is_char_boundary(n - 6)
        && t[n - 6..].eq_ignore_ascii_case("inline")
        && !t[..n - 6]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
}

/// The offset where a scan result ends (exclusive of the terminator).
pub fn stop_at(stop: Stop, len: usize) -> usize {
    match stop {
        Stop::Semi(n) | Stop::Newline(n) => n,
        Stop::Eof => len,
    }
}

/// Split a `( … )` body or any list at top-level commas (outside quotes, brackets, parentheses).
pub fn split_top(s: &str, sep: u8) -> Vec<&str> {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut last = 0;
    let mut n = 0;
    while n < b.len() {
        match b[n] {
            b'\'' | b'"' | b'[' | b'`' => {
                let close = if b[n] == b'[' { b']' } else { b[n] };
                match b[n + 1..].iter().position(|&x| x == close) {
                    Some(p) => n += p + 1,
                    None => n = b.len(),
                }
            }
            b'(' => depth += 1,
            b')' => depth -= 1,
            x if x == sep && depth == 0 => {
                out.push(&s[last..n]);
                last = n + 1;
            }
            _ => {}
        }
        n += 1;
    }
    out.push(&s[last.min(s.len())..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scan_skips_quotes_comments_and_lib_paths() {
        let t = "LOAD 'a;b', [c;d] FROM lib://x/y.csv // no ; here\n /* ; */ ;rest";
        let stop = scan_end(t, 0, false, false).unwrap();
        assert_eq!(stop, Stop::Semi(t.find(" ;rest").unwrap() + 1));
    }

    #[test]
    fn scan_reports_unterminated() {
        let e = scan_end("LOAD 'abc", 0, false, false).unwrap_err();
        assert_eq!(e.at, 5);
        assert_eq!(e.closer, "'");
    }

    #[test]
    fn raw_words_keep_expansions() {
        assert_eq!(
            raw_word("Sales$(vY).x rest"),
            Some((" rest", "Sales$(vY).x"))
        );
        assert_eq!(raw_word("$(v) x"), Some((" x", "$(v)")));
        assert_eq!(raw_word("(x"), None);
    }

    #[test]
    fn numbers() {
        let ctx = Ctx::new(SourceId(0), "12.5e2x");
        assert!(number(&ctx, ctx.src).is_err());
        let ctx = Ctx::new(SourceId(0), " 12.50 ");
        let (_, (v, t)) = number(&ctx, ctx.src).unwrap();
        assert_eq!((v, t), (12.5, "12.50"));
    }
}
