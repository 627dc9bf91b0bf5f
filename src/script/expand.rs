//! `$(…)` dollar-sign expansion (rule S6): applied to a statement's text before it is parsed.
//!
//! - `$(name)`: the variable's text (variables are case-sensitive); an undefined variable expands to
//!   nothing, as in Qlik (the runner warns).
//! - `$(name(a, b))`: the variable's text with `$1`, `$2`, … replaced by the arguments.
//! - `$(=expr)`: the expression evaluated now, as text.
//! - `$(#name)`: the variable's value as a plain number.
//! - Nested: `$(v$(i))` expands the inner part first; a variable's text is expanded again when it
//!   contains `$(` itself. Depth is capped ([`MAX_DEPTH`]).

use super::eval::Ctx;
use super::runner::State;
use crate::model::Value;

/// Maximum nesting of expansions (inner `$(…)` and variables whose text expands again).
pub(crate) const MAX_DEPTH: usize = 32;

#[derive(Debug, Default, Clone)]
pub(crate) struct Expanded {
    pub text: String,
    /// Variables referenced but not defined (they expanded to nothing).
    pub undefined: Vec<String>,
    /// Variables referenced whose value qsa could not compute faithfully.
    pub tainted: Vec<String>,
    /// Problems (depth exceeded, `$(=…)` that does not evaluate, …).
    pub errors: Vec<String>,
    /// Set when a limit tripped: every further expansion stops at once.
    pub stopped: bool,
    /// A `$(` that is never closed: kept verbatim, but how Qlik expands it is not known (the runner
    /// treats the statement as not known faithfully).
    pub unterminated: bool,
}

/// Expand every `$(…)` in `text`.
pub(crate) fn expand_text(st: &State, text: &str, depth: usize) -> Expanded {
    let mut out = Expanded::default();
    out.text = expand_into(st, text, depth, &mut out);
    out
}

fn expand_into(st: &State, text: &str, depth: usize, acc: &mut Expanded) -> String {
    if acc.stopped {
        return String::new();
    }
    if depth > MAX_DEPTH {
        acc.stopped = true;
        acc.errors.push(format!("`$(…)` expansion nested deeper than {MAX_DEPTH} levels, a fixed limit (a variable that expands to itself?)"));
        return String::new();
    }
    let mut result = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find("$(") {
        result.push_str(&rest[..pos]);
        let after = &rest[pos + 2..];
        let Some(close) = matching_paren(after) else {
            // Unterminated: keep verbatim, and say so.
            acc.unterminated = true;
            result.push_str(&rest[pos..]);
            return result;
        };
        let inner_raw = &after[..close];
        let inner = if inner_raw.contains("$(") {
            expand_into(st, inner_raw, depth + 1, acc)
        } else {
            inner_raw.to_string()
        };
        result.push_str(&expand_one(st, &inner, depth, acc));
        if acc.stopped {
            return String::new();
        }
        if let Some(e) = too_long(st, result.len() as u64) {
            acc.stopped = true;
            acc.errors.push(e);
            return String::new();
        }
        rest = &after[close + 1..];
    }
    result.push_str(rest);
    result
}

/// Why a text of `len` bytes is more than one expansion may produce (`--max-expansion`), or more than
/// the memory budget has room for (`--max-memory`).
fn too_long(st: &State, len: u64) -> Option<String> {
    let limit = st.opts.limits.max_expansion;
    if len > limit {
        return Some(format!(
            "`$(…)` expansion produced more than {} of text, the limit for one statement (--max-expansion {}); stopped",
            crate::limits::format_size(limit),
            limit_flag(limit)
        ));
    }
    st.budget
        .check(len, || "the text of a `$(…)` expansion".to_string())
        .err()
        .map(|e| e.to_string())
}

/// `limit` as written on the command line (`16M`).
fn limit_flag(limit: u64) -> String {
    match limit {
        l if l >= 1 << 20 && l % (1 << 20) == 0 => format!("{}M", l >> 20),
        l if l >= 1 << 10 && l % (1 << 10) == 0 => format!("{}K", l >> 10),
        l => l.to_string(),
    }
}

/// Index of the `)` closing an opening parenthesis just before `s` (quotes respected).
fn matching_paren(s: &str) -> Option<usize> {
    let mut level = 0usize;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        if let Some(q) = quote {
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' => quote = Some('\''),
            '(' => level += 1,
            ')' => {
                if level == 0 {
                    return Some(i);
                }
                level -= 1;
            }
            _ => {}
        }
    }
    None
}

fn expand_one(st: &State, inner: &str, depth: usize, acc: &mut Expanded) -> String {
    let trimmed = inner.trim();
    if let Some(expr_text) = trimmed.strip_prefix('=') {
        return match crate::syntax::parse_expr(crate::diag::SourceId(0), expr_text) {
            Ok(expr) => match Ctx::plain(st).eval(&expr) {
                Ok(v) => v.text_or_empty().into_owned(),
                Err(e) => {
                    acc.errors
                        .push(format!("`$(={})`: {}", expr_text.trim(), e.message));
                    String::new()
                }
            },
            Err(_) => {
                acc.errors.push(format!(
                    "`$(={})` is not an expression qsa can read",
                    expr_text.trim()
                ));
                String::new()
            }
        };
    }
    let lower = trimmed.to_ascii_lowercase();
    if lower.starts_with("include") || lower.starts_with("must_include") {
        acc.errors.push(format!(
            "`$({trimmed})` inside a statement is not supported; put it on its own line"
        ));
        return String::new();
    }
    let (numeric, name_part) = match trimmed.strip_prefix('#') {
        Some(r) => (true, r.trim()),
        None => (false, trimmed),
    };
    // `name(args)`
    let (name, args) = match name_part.find('(') {
        Some(p) if name_part.ends_with(')') => (
            name_part[..p].trim(),
            Some(split_args(&name_part[p + 1..name_part.len() - 1])),
        ),
        _ => (name_part, None),
    };
    let Some(value) = st.vars.get(name) else {
        if !acc.undefined.iter().any(|u| u == name) {
            acc.undefined.push(name.to_string());
        }
        return String::new();
    };
    if st.tainted.contains_key(name) && !acc.tainted.iter().any(|u| u == name) {
        acc.tainted.push(name.to_string());
    }
    let mut value = value.clone();
    if let Some(args) = args {
        // Replace `$10` before `$1`.
        for (i, a) in args.iter().enumerate().rev() {
            let param = format!("${}", i + 1);
            let grows = (value.matches(param.as_str()).count() as u64)
                .saturating_mul(a.trim().len() as u64);
            if let Some(e) = too_long(st, (value.len() as u64).saturating_add(grows)) {
                acc.stopped = true;
                acc.errors.push(e);
                return String::new();
            }
            value = value.replace(&param, a.trim());
        }
    }
    if value.contains("$(") {
        value = expand_into(st, &value, depth + 1, acc);
    }
    if numeric {
        return match Value::from_loaded_text(value.trim()).as_num() {
            Some(n) => crate::model::value::format_number(n),
            None => value,
        };
    }
    value
}

/// Split `a, 'b,c', f(x, y)` at top-level commas.
pub(crate) fn split_args(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut level = 0i32;
    let mut quote: Option<char> = None;
    let mut cur = String::new();
    for c in s.chars() {
        if let Some(q) = quote {
            cur.push(c);
            if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '\'' | '"' | '[' => {
                quote = Some(if c == '[' { ']' } else { c });
                cur.push(c);
            }
            '(' => {
                level += 1;
                cur.push(c);
            }
            ')' => {
                level -= 1;
                cur.push(c);
            }
            ',' if level == 0 => out.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn st(vars: &[(&str, &str)]) -> State {
        let mut s = State::new(&super::super::RunOptions::default());
        for (k, v) in vars {
            s.vars.insert(k.to_string(), v.to_string());
        }
        s
    }

    // S6: expansion is textual and happens before parsing.
    #[test]
    fn expands_variables_nested_and_parameterised() {
        let s = st(&[
            ("vA", "Region"),
            ("i", "2"),
            ("v2", "two"),
            ("vAdd", "$1 + $2"),
            ("vRef", "$(vA)s"),
        ]);
        assert_eq!(
            expand_text(&s, "LOAD $(vA) FROM x;", 0).text,
            "LOAD Region FROM x;"
        );
        assert_eq!(expand_text(&s, "$(v$(i))", 0).text, "two");
        assert_eq!(expand_text(&s, "$(vAdd(3, 4))", 0).text, "3 + 4");
        assert_eq!(expand_text(&s, "[$(vRef)]", 0).text, "[Regions]");
        let e = expand_text(&s, "a$(nope)b", 0);
        assert_eq!(e.text, "ab");
        assert_eq!(e.undefined, vec!["nope".to_string()]);
    }

    #[test]
    fn self_reference_stops_at_the_depth_cap() {
        let s = st(&[("vLoop", "x$(vLoop)")]);
        let e = expand_text(&s, "$(vLoop)", 0);
        assert!(!e.errors.is_empty());
    }

    #[test]
    fn unterminated_expansion_is_kept() {
        let s = st(&[]);
        let e = expand_text(&s, "a $(b", 0);
        assert_eq!(e.text, "a $(b");
        assert!(e.unterminated);
        assert!(!expand_text(&s, "a $(b) c", 0).unterminated);
    }

    #[test]
    fn splits_arguments_at_top_level() {
        assert_eq!(
            split_args("a, 'b,c', f(x, y)"),
            vec!["a", " 'b,c'", " f(x, y)"]
        );
    }
}

#[cfg(test)]
mod limits {
    use super::*;

    #[test]
    fn doubling_expansion_stops_quickly() {
        let mut s = State::new(&super::super::RunOptions::default());
        s.vars.insert("v".into(), "$(v)$(v)".into());
        let e = expand_text(&s, "$(v)", 0);
        assert!(e.stopped && !e.errors.is_empty());
    }
}
