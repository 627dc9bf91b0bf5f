//! Pure scalar functions of the script language (string, numeric, conditional, conversion, dates).
//!
//! The runner evaluates expressions and calls [`call`] for every function it does not handle itself
//! (inter-record functions such as `Peek`, `Previous`, `Exists`, `ApplyMap`, `RecNo`, and aggregations are
//! the runner's). Arguments arrive evaluated.
//!
//! Semantics follow Qlik's help pages: 1-based positions, negative indices counting from the end
//! (`SubField`, `Index`), NULL in → NULL out for string and numeric functions (`Len(NULL)` is 0), true is
//! -1, dates are serial numbers (days since 1899-12-30) shown through format codes
//! (`YYYY YY MM M MMM MMMM DD D WWW WWWW hh h mm m ss s fff TT`; upper-case `M` is month, lower-case `m`
//! is minutes; `[…]` is an optional part, left out when formatting). A failed interpretation (`Num#`,
//! `Date#`, …) returns the text without a number. Nondeterministic functions (`Rand`, `OSUser`, …) are
//! [`FnError::Invalid`]: a result that changes between runs cannot be checked offline.

use crate::model::value::{format_number, parse_number};
use crate::model::Value;

/// Settings functions depend on: the system variables and the fixed clock.
#[derive(Clone, Debug)]
pub struct FnEnv {
    /// Today's date as a Qlik serial number (days since 1899-12-30), from `--today` or the real clock.
    pub today: f64,
    /// `DateFormat`, `TimestampFormat`, `TimeFormat`, `MoneyFormat` system variables.
    pub date_format: String,
    pub timestamp_format: String,
    pub time_format: String,
    /// `DecimalSep`, `ThousandSep`.
    pub decimal_sep: String,
    pub thousand_sep: String,
    /// `MonthNames`, `DayNames` (`;`-separated as in Qlik).
    pub month_names: String,
    pub day_names: String,
    /// The user the reload runs as (`--reload-user`), for `OSUser()`/`QVUser()`; unknown without it.
    pub reload_user: Option<String>,
    /// The run's memory budget (`--max-memory`): functions that can make a text much longer than their
    /// arguments (`Repeat`, `Replace`) ask it first.
    pub budget: crate::limits::Budget,
}

impl Default for FnEnv {
    fn default() -> Self {
        FnEnv {
            today: 0.0,
            date_format: "YYYY-MM-DD".into(),
            timestamp_format: "YYYY-MM-DD hh:mm:ss[.fff]".into(),
            time_format: "hh:mm:ss".into(),
            decimal_sep: ".".into(),
            thousand_sep: ",".into(),
            month_names: "Jan;Feb;Mar;Apr;May;Jun;Jul;Aug;Sep;Oct;Nov;Dec".into(),
            day_names: "Mon;Tue;Wed;Thu;Fri;Sat;Sun".into(),
            reload_user: None,
            budget: Default::default(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum FnError {
    /// Not a function this module knows.
    #[error("unknown function")]
    Unknown,
    #[error("expects {min}..={max} arguments, got {got}")]
    Arity { min: usize, max: usize, got: usize },
    #[error("{0}")]
    Invalid(String),
}

type Impl = fn(&[Value], &FnEnv) -> Result<Value, FnError>;

/// `(lower-case name, min args, max args, implementation)`
const FUNCTIONS: &[(&str, usize, usize, Impl)] = &[
    // string
    ("upper", 1, 1, f_upper),
    ("lower", 1, 1, f_lower),
    ("trim", 1, 1, f_trim),
    ("ltrim", 1, 1, f_ltrim),
    ("rtrim", 1, 1, f_rtrim),
    ("len", 1, 1, f_len),
    ("left", 2, 2, f_left),
    ("right", 2, 2, f_right),
    ("mid", 2, 3, f_mid),
    ("index", 2, 3, f_index),
    ("subfield", 2, 3, f_subfield),
    ("replace", 3, 3, f_replace),
    ("purgechar", 2, 2, f_purgechar),
    ("keepchar", 2, 2, f_keepchar),
    ("capitalize", 1, 1, f_capitalize),
    ("repeat", 1, 2, f_repeat),
    ("chr", 1, 1, f_chr),
    ("ord", 1, 1, f_ord),
    ("textbetween", 3, 4, f_textbetween),
    ("substringcount", 2, 2, f_substringcount),
    ("findoneof", 2, 3, f_findoneof),
    // numeric
    ("num", 1, 4, f_num),
    ("round", 1, 3, f_round),
    ("floor", 1, 3, f_floor),
    ("ceil", 1, 3, f_ceil),
    ("fabs", 1, 1, f_fabs),
    ("mod", 2, 2, f_mod),
    ("div", 2, 2, f_div),
    ("frac", 1, 1, f_frac),
    ("sign", 1, 1, f_sign),
    ("sqrt", 1, 1, f_sqrt),
    ("exp", 1, 1, f_exp),
    ("log", 1, 1, f_log),
    ("log10", 1, 1, f_log10),
    ("pow", 2, 2, f_pow),
    ("pi", 0, 0, f_pi),
    ("e", 0, 0, f_e),
    ("rangesum", 1, usize::MAX, f_rangesum),
    ("rangemin", 1, usize::MAX, f_rangemin),
    ("rangemax", 1, usize::MAX, f_rangemax),
    ("rangeavg", 1, usize::MAX, f_rangeavg),
    ("rangecount", 1, usize::MAX, f_rangecount),
    ("rand", 0, 0, f_nondeterministic),
    // conditional and logical
    ("if", 2, 3, f_if),
    ("alt", 1, usize::MAX, f_alt),
    ("coalesce", 1, usize::MAX, f_coalesce),
    ("pick", 2, usize::MAX, f_pick),
    ("match", 2, usize::MAX, f_match),
    ("mixmatch", 2, usize::MAX, f_mixmatch),
    ("wildmatch", 2, usize::MAX, f_wildmatch),
    ("isnull", 1, 1, f_isnull),
    ("null", 0, 0, f_null),
    ("isnum", 1, 1, f_isnum),
    ("istext", 1, 1, f_istext),
    ("emptyisnull", 1, 1, f_emptyisnull),
    ("true", 0, 0, f_true),
    ("false", 0, 0, f_false),
    // conversion
    ("text", 1, 1, f_text),
    ("num#", 1, 4, f_num_hash),
    ("dual", 2, 2, f_dual),
    ("date", 1, 2, f_date),
    ("date#", 1, 2, f_date_hash),
    ("timestamp", 1, 2, f_timestamp),
    ("timestamp#", 1, 2, f_timestamp_hash),
    ("time", 1, 2, f_time),
    ("time#", 1, 2, f_time_hash),
    // dates
    ("year", 1, 1, f_year),
    ("month", 1, 1, f_month),
    ("day", 1, 1, f_day),
    ("week", 1, 1, f_week),
    ("weekday", 1, 1, f_weekday),
    ("hour", 1, 1, f_hour),
    ("minute", 1, 1, f_minute),
    ("second", 1, 1, f_second),
    ("makedate", 1, 3, f_makedate),
    ("maketime", 1, 4, f_maketime),
    ("today", 0, 1, f_today),
    ("now", 0, 1, f_now),
    ("addmonths", 2, 3, f_addmonths),
    ("addyears", 2, 2, f_addyears),
    ("monthstart", 1, 2, f_monthstart),
    ("monthend", 1, 2, f_monthend),
    ("yearstart", 1, 3, f_yearstart),
    ("yearend", 1, 3, f_yearend),
    ("quarterstart", 1, 3, f_quarterstart),
    ("quarterend", 1, 3, f_quarterend),
    ("daystart", 1, 2, f_daystart),
    ("dayend", 1, 2, f_dayend),
    ("dayname", 1, 2, f_dayname),
    ("monthname", 1, 2, f_monthname),
    ("quartername", 1, 3, f_quartername),
    ("yearname", 1, 3, f_yearname),
    ("weekstart", 1, 3, f_weekstart),
    ("weekend", 1, 3, f_weekend),
    ("weekname", 1, 3, f_weekname),
    ("weekyear", 1, 1, f_weekyear),
    ("daynumberofyear", 1, 2, f_daynumberofyear),
    ("inyear", 3, 4, f_inyear),
    ("inquarter", 3, 4, f_inquarter),
    ("inmonth", 3, 3, f_inmonth),
    ("inyeartodate", 3, 4, f_inyeartodate),
    ("yeartodate", 1, 4, f_yeartodate),
    // environment-dependent: not reproducible offline
    ("osuser", 0, 0, f_osuser),
    ("qvuser", 0, 0, f_qvuser),
    ("computername", 0, 0, f_nondeterministic),
    ("reloadtime", 0, 0, f_nondeterministic),
];

fn lookup(name: &str) -> Option<&'static (&'static str, usize, usize, Impl)> {
    let lower = name.trim().to_ascii_lowercase();
    FUNCTIONS.iter().find(|f| f.0 == lower)
}

/// Whether [`call`] knows `name` (case-insensitive).
pub fn is_known(name: &str) -> bool {
    lookup(name).is_some()
}

/// The names [`call`] knows, lower-case, sorted.
pub fn names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = FUNCTIONS.iter().map(|f| f.0).collect();
    v.sort_unstable();
    v
}

/// Call function `name` (case-insensitive, e.g. `upper`, `Num#`) with evaluated arguments.
pub fn call(name: &str, args: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (_, min, max, f) = lookup(name).ok_or(FnError::Unknown)?;
    if args.len() < *min || args.len() > *max {
        return Err(FnError::Arity {
            min: *min,
            max: *max,
            got: args.len(),
        });
    }
    f(args, env)
}

// ---------------------------------------------------------------------------------------------------------
// argument helpers

fn arg(args: &[Value], i: usize) -> &Value {
    static NULL: Value = Value::Null;
    args.get(i).unwrap_or(&NULL)
}

fn s_of(v: &Value) -> Option<String> {
    v.text().map(|t| t.into_owned())
}

/// The number of a value, interpreting text the way Qlik does when no format is given: plain numbers,
/// numbers with the `DecimalSep`, then dates and timestamps in the default formats.
fn n_of(v: &Value, env: &FnEnv) -> Option<f64> {
    match v {
        Value::Null => None,
        Value::Num(n) | Value::Dual(n, _) => Some(*n),
        Value::Str(s) => interpret_default(s, env),
    }
}

fn interpret_default(s: &str, env: &FnEnv) -> Option<f64> {
    let t = s.trim();
    if let Some(n) = parse_number(t) {
        return Some(n);
    }
    if env.decimal_sep != "." && !env.decimal_sep.is_empty() {
        if let Some(n) = parse_number(
            &t.replace(env.thousand_sep.as_str(), "")
                .replace(&env.decimal_sep, "."),
        ) {
            if !env.thousand_sep.is_empty() || !t.contains('.') {
                return Some(n);
            }
        }
    }
    for f in [&env.timestamp_format, &env.date_format, &env.time_format] {
        if let Some(n) = parse_datetime(t, f, env) {
            return Some(n);
        }
    }
    None
}

/// A value as Qlik reads loaded text when no interpretation function is used: a plain number (or one
/// written with `DecimalSep`/`ThousandSep`), else a timestamp, date or time in the default formats, kept
/// as a dual of the text and that number; else text. NULL stays NULL. The runner may use this for cells
/// from text sources.
pub fn auto_interpret(v: &Value, env: &FnEnv) -> Value {
    match v {
        Value::Str(s) => match interpret_default(s, env) {
            Some(n) => Value::Dual(n, s.clone()),
            None => v.clone(),
        },
        other => other.clone(),
    }
}

/// An integer argument (rounded toward zero), if numeric.
fn i_of(v: &Value, env: &FnEnv) -> Option<i64> {
    n_of(v, env)
        .filter(|n| n.is_finite() && n.abs() < 9.0e15)
        .map(|n| n.trunc() as i64)
}

fn text_result(s: impl AsRef<str>) -> Value {
    Value::str(s)
}

fn num_result(n: f64) -> Value {
    if n.is_finite() {
        Value::num(n)
    } else {
        Value::Null
    }
}

fn chars_of(s: &str) -> Vec<char> {
    s.chars().collect()
}

// ---------------------------------------------------------------------------------------------------------
// string functions

fn map_text(args: &[Value], f: impl Fn(&str) -> String) -> Result<Value, FnError> {
    Ok(match s_of(arg(args, 0)) {
        Some(s) => text_result(f(&s)),
        None => Value::Null,
    })
}

fn f_upper(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| s.to_uppercase())
}
fn f_lower(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| s.to_lowercase())
}
fn f_trim(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| s.trim_matches(' ').to_string())
}
fn f_ltrim(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| s.trim_start_matches(' ').to_string())
}
fn f_rtrim(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| s.trim_end_matches(' ').to_string())
}
fn f_len(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::num(
        arg(a, 0).text().map(|t| t.chars().count()).unwrap_or(0) as f64,
    ))
}
fn f_left(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(n)) = (s_of(arg(a, 0)), i_of(arg(a, 1), env)) else {
        return Ok(Value::Null);
    };
    Ok(text_result(
        s.chars().take(n.max(0) as usize).collect::<String>(),
    ))
}
fn f_right(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(n)) = (s_of(arg(a, 0)), i_of(arg(a, 1), env)) else {
        return Ok(Value::Null);
    };
    let c = chars_of(&s);
    let n = (n.max(0) as usize).min(c.len());
    Ok(text_result(c[c.len() - n..].iter().collect::<String>()))
}
fn f_mid(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(start)) = (s_of(arg(a, 0)), i_of(arg(a, 1), env)) else {
        return Ok(Value::Null);
    };
    let c = chars_of(&s);
    let from = (start.max(1) - 1) as usize;
    let count = if a.len() > 2 {
        match i_of(arg(a, 2), env) {
            Some(n) => n.max(0) as usize,
            None => return Ok(Value::Null),
        }
    } else {
        usize::MAX
    };
    Ok(text_result(
        c.iter().skip(from).take(count).collect::<String>(),
    ))
}

/// Char positions (0-based) of every occurrence of `sub` in `s`, left to right, overlapping allowed.
fn occurrences(s: &[char], sub: &[char]) -> Vec<usize> {
    if sub.is_empty() || sub.len() > s.len() {
        return Vec::new();
    }
    (0..=s.len() - sub.len())
        .filter(|&i| s[i..i + sub.len()] == *sub)
        .collect()
}

fn f_index(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(sub)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    let n = if a.len() > 2 {
        match i_of(arg(a, 2), env) {
            Some(n) => n,
            None => return Ok(Value::Null),
        }
    } else {
        1
    };
    let occ = occurrences(&chars_of(&s), &chars_of(&sub));
    let pos = match n {
        0 => None,
        n if n > 0 => occ.get((n - 1) as usize),
        n => occ
            .len()
            .checked_sub(n.unsigned_abs() as usize)
            .and_then(|i| occ.get(i)),
    };
    Ok(Value::num(pos.map(|p| (p + 1) as f64).unwrap_or(0.0)))
}

fn f_subfield(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(sep)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    let parts: Vec<&str> = if sep.is_empty() {
        vec![s.as_str()]
    } else {
        s.split(sep.as_str()).collect()
    };
    let n = if a.len() > 2 {
        match i_of(arg(a, 2), env) {
            Some(n) => n,
            None => return Ok(Value::Null),
        }
    } else {
        1
    };
    let part = match n {
        0 => None,
        n if n > 0 => parts.get((n - 1) as usize),
        n => parts
            .len()
            .checked_sub(n.unsigned_abs() as usize)
            .and_then(|i| parts.get(i)),
    };
    Ok(part
        .map(|p| Value::from_loaded_text(p))
        .unwrap_or(Value::Null))
}

/// The parts of two-argument `SubField(text, sep)`, which makes one row per part in a LOAD (the runner
/// generates the rows). NULL text gives no parts; an empty separator gives the whole text.
pub fn subfield_parts(text: &Value, sep: &Value) -> Vec<Value> {
    let (Some(s), Some(sep)) = (s_of(text), s_of(sep)) else {
        return Vec::new();
    };
    if sep.is_empty() {
        return vec![Value::from_loaded_text(&s)];
    }
    s.split(sep.as_str()).map(Value::from_loaded_text).collect()
}

/// Whether a text of `len` bytes fits in the run's memory budget (`--max-memory`).
fn budget_check(env: &FnEnv, len: u64, what: &str) -> Result<(), FnError> {
    env.budget
        .check(len, || format!("the text {what} builds"))
        .map_err(|e| FnError::Invalid(e.to_string()))
}

fn f_replace(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(from), Some(to)) = (s_of(arg(a, 0)), s_of(arg(a, 1)), s_of(arg(a, 2)))
    else {
        return Ok(Value::Null);
    };
    if from.is_empty() {
        return Ok(text_result(s));
    }
    if to.len() > from.len() {
        let grows = (s.matches(from.as_str()).count() as u64)
            .saturating_mul((to.len() - from.len()) as u64);
        let len = (s.len() as u64).saturating_add(grows);
        budget_check(env, len, "Replace()")?;
    }
    Ok(text_result(s.replace(&from, &to)))
}
fn f_purgechar(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(set)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    Ok(text_result(
        s.chars().filter(|c| !set.contains(*c)).collect::<String>(),
    ))
}
fn f_keepchar(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(set)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    Ok(text_result(
        s.chars().filter(|c| set.contains(*c)).collect::<String>(),
    ))
}
fn f_capitalize(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    map_text(a, |s| {
        let mut out = String::with_capacity(s.len());
        let mut start = true;
        for c in s.chars() {
            if c.is_alphanumeric() {
                if start {
                    out.extend(c.to_uppercase());
                } else {
                    out.extend(c.to_lowercase());
                }
                start = false;
            } else {
                out.push(c);
                start = c.is_whitespace();
            }
        }
        out
    })
}
fn f_repeat(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = s_of(arg(a, 0)) else {
        return Ok(Value::Null);
    };
    let n = if a.len() > 1 {
        i_of(arg(a, 1), env).unwrap_or(0)
    } else {
        1
    };
    let n = n.max(0) as usize;
    if s.len().saturating_mul(n) > 10_000_000 {
        return Err(FnError::Invalid(
            "Repeat() result longer than 10,000,000 bytes, a fixed limit of qsa".into(),
        ));
    }
    budget_check(env, s.len().saturating_mul(n) as u64, "Repeat()")?;
    Ok(text_result(s.repeat(n)))
}
fn f_chr(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(
        match i_of(arg(a, 0), env)
            .and_then(|n| u32::try_from(n).ok())
            .and_then(char::from_u32)
        {
            Some(c) => text_result(c.to_string()),
            None => Value::Null,
        },
    )
}
fn f_ord(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(match s_of(arg(a, 0)).and_then(|s| s.chars().next()) {
        Some(c) => Value::num(c as u32 as f64),
        None => Value::Null,
    })
}
fn f_textbetween(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(before), Some(after)) = (s_of(arg(a, 0)), s_of(arg(a, 1)), s_of(arg(a, 2)))
    else {
        return Ok(Value::Null);
    };
    let n = if a.len() > 3 {
        i_of(arg(a, 3), env).unwrap_or(0)
    } else {
        1
    };
    if n < 1 {
        return Ok(Value::Null);
    }
    // The n-th occurrence of `before` (non-overlapping search, as a left-to-right scan).
    let mut from = 0usize;
    let mut start = None;
    for _ in 0..n {
        match s.get(from..).and_then(|r| r.find(before.as_str())) {
            Some(i) => {
                start = Some(from + i + before.len());
                from = from + i + before.len().max(1);
            }
            None => return Ok(Value::Null),
        }
    }
    let Some(start) = start else {
        return Ok(Value::Null);
    };
    let rest = s.get(start..).unwrap_or("");
    Ok(match rest.find(after.as_str()) {
        Some(j) => text_result(&rest[..j]),
        None => Value::Null,
    })
}
fn f_substringcount(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(sub)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    Ok(Value::num(if sub.is_empty() {
        0.0
    } else {
        s.matches(sub.as_str()).count() as f64
    }))
}
fn f_findoneof(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(set)) = (s_of(arg(a, 0)), s_of(arg(a, 1))) else {
        return Ok(Value::Null);
    };
    let n = if a.len() > 2 {
        i_of(arg(a, 2), env).unwrap_or(0)
    } else {
        1
    };
    let hits: Vec<usize> = s
        .chars()
        .enumerate()
        .filter(|(_, c)| set.contains(*c))
        .map(|(i, _)| i + 1)
        .collect();
    let pos = match n {
        0 => None,
        n if n > 0 => hits.get((n - 1) as usize),
        n => hits
            .len()
            .checked_sub(n.unsigned_abs() as usize)
            .and_then(|i| hits.get(i)),
    };
    Ok(Value::num(pos.copied().unwrap_or(0) as f64))
}

// ---------------------------------------------------------------------------------------------------------
// numeric functions

fn f_num(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(n) = n_of(arg(a, 0), env) else {
        return Ok(Value::Null);
    };
    let dec = opt_text(a, 2).unwrap_or_else(|| env.decimal_sep.clone());
    let thou = opt_text(a, 3).unwrap_or_else(|| env.thousand_sep.clone());
    let text = match opt_text(a, 1) {
        Some(fmt) if !fmt.is_empty() => format_num(n, &fmt, &dec, &thou),
        _ => format_number(n).replace('.', &dec),
    };
    Ok(Value::dual(n, text))
}

fn opt_text(a: &[Value], i: usize) -> Option<String> {
    a.get(i).and_then(s_of)
}

/// Format `n` with a Qlik number format pattern such as `#,##0.00`, `0.0%`, `000`, `$#,##0;($#,##0)`.
pub fn format_num(n: f64, pattern: &str, dec: &str, thou: &str) -> String {
    let (pat, neg) = match pattern.split_once(';') {
        Some((_, q)) if n < 0.0 => (q, true),
        Some((p, _)) => (p, false),
        None => (pattern, false),
    };
    let is_num_char = |c: char| c == '#' || c == '0';
    let chars: Vec<char> = pat.chars().collect();
    let first = chars.iter().position(|c| is_num_char(*c));
    let last = chars.iter().rposition(|c| is_num_char(*c));
    let (Some(first), Some(last)) = (first, last) else {
        return format_number(n).replace('.', dec);
    };
    let prefix: String = chars[..first].iter().collect();
    let suffix: String = chars[last + 1..].iter().collect();
    let core: String = chars[first..=last].iter().collect();
    let mut value = if neg { n.abs() } else { n };
    if prefix.contains('%') || suffix.contains('%') {
        value *= 100.0;
    }
    let (int_pat, frac_pat) = match (!dec.is_empty()).then(|| core.split_once(dec)).flatten() {
        Some((i, f)) => (i.to_string(), f.to_string()),
        None => (core.clone(), String::new()),
    };
    let max_frac = frac_pat.chars().filter(|c| is_num_char(*c)).count();
    let min_frac = frac_pat.chars().filter(|c| *c == '0').count();
    let min_int = int_pat.chars().filter(|c| *c == '0').count();
    let group = !thou.is_empty() && int_pat.contains(thou);
    let negative = value < 0.0 && !neg;
    let abs = value.abs();
    let scale = 10f64.powi(max_frac.min(15) as i32);
    let rounded = (abs * scale).round() / scale;
    let s = format!("{:.*}", max_frac.min(15), rounded);
    let (int_digits, frac_digits) = s
        .split_once('.')
        .map(|(i, f)| (i.to_string(), f.to_string()))
        .unwrap_or((s, String::new()));
    let mut frac = frac_digits;
    while frac.len() > min_frac && frac.ends_with('0') {
        frac.pop();
    }
    let mut int = int_digits.trim_start_matches('0').to_string();
    while int.len() < min_int {
        int.insert(0, '0');
    }
    if group {
        let digits: Vec<char> = int.chars().collect();
        let mut g = String::new();
        for (i, c) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i) % 3 == 0 {
                g.push_str(thou);
            }
            g.push(*c);
        }
        int = g;
    }
    let mut out = String::new();
    if negative && (rounded != 0.0) {
        out.push('-');
    }
    out.push_str(&prefix);
    out.push_str(&int);
    if !frac.is_empty() {
        out.push_str(dec);
        out.push_str(&frac);
    }
    out.push_str(&suffix);
    out
}

fn step_args(a: &[Value], env: &FnEnv) -> Option<(f64, f64, f64)> {
    let x = n_of(arg(a, 0), env)?;
    let step = if a.len() > 1 {
        n_of(arg(a, 1), env)?
    } else {
        1.0
    };
    let offset = if a.len() > 2 {
        n_of(arg(a, 2), env)?
    } else {
        0.0
    };
    Some((x, step, offset))
}

fn stepped(a: &[Value], env: &FnEnv, f: fn(f64) -> f64) -> Result<Value, FnError> {
    let Some((x, step, offset)) = step_args(a, env) else {
        return Ok(Value::Null);
    };
    if step == 0.0 {
        return Ok(num_result(x));
    }
    let r = offset + step * f((x - offset) / step);
    // Clean binary noise such as 0.30000000000000004 from steps like 0.1.
    let r = (r * 1e12).round() / 1e12;
    Ok(num_result(r))
}

/// Qlik rounds halves up (toward +infinity).
fn round_half_up(x: f64) -> f64 {
    (x + 0.5).floor()
}

fn f_round(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    stepped(a, env, |q| round_half_up((q * 1e9).round() / 1e9))
}
fn f_floor(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    stepped(a, env, |q| ((q * 1e9).round() / 1e9).floor())
}
fn f_ceil(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    stepped(a, env, |q| ((q * 1e9).round() / 1e9).ceil())
}
fn unary(a: &[Value], env: &FnEnv, f: fn(f64) -> f64) -> Result<Value, FnError> {
    Ok(n_of(arg(a, 0), env)
        .map(|x| num_result(f(x)))
        .unwrap_or(Value::Null))
}
fn f_fabs(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, f64::abs)
}
fn f_frac(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, |x| x - x.floor())
}
fn f_sign(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, |x| {
        if x > 0.0 {
            1.0
        } else if x < 0.0 {
            -1.0
        } else {
            0.0
        }
    })
}
fn f_sqrt(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, f64::sqrt)
}
fn f_exp(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, f64::exp)
}
fn f_log(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, |x| if x > 0.0 { x.ln() } else { f64::NAN })
}
fn f_log10(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    unary(a, env, |x| if x > 0.0 { x.log10() } else { f64::NAN })
}
fn f_pow(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(match (n_of(arg(a, 0), env), n_of(arg(a, 1), env)) {
        (Some(x), Some(y)) => num_result(x.powf(y)),
        _ => Value::Null,
    })
}
fn f_pi(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::num(std::f64::consts::PI))
}
fn f_e(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::num(std::f64::consts::E))
}
/// `Mod(a, b)`: the non-negative remainder of an integer division; NULL unless both are integers and
/// `b > 0` (Qlik: `Mod(7.5, 2)` and `Mod(7, -2)` are NULL, `Mod(-7, 2)` is 1).
fn f_mod(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(match (n_of(arg(a, 0), env), n_of(arg(a, 1), env)) {
        (Some(x), Some(y)) if x.fract() == 0.0 && y.fract() == 0.0 && y > 0.0 => {
            num_result(x.rem_euclid(y))
        }
        _ => Value::Null,
    })
}
/// `Div(a, b)`: the integer part of `a / b`, truncated toward zero.
fn f_div(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(match (n_of(arg(a, 0), env), n_of(arg(a, 1), env)) {
        (Some(x), Some(y)) if y != 0.0 => num_result((x / y).trunc()),
        _ => Value::Null,
    })
}
fn range_nums(a: &[Value], env: &FnEnv) -> Vec<f64> {
    a.iter().filter_map(|v| n_of(v, env)).collect()
}
fn f_rangesum(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(num_result(range_nums(a, env).iter().sum()))
}
fn f_rangemin(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(range_nums(a, env)
        .into_iter()
        .reduce(f64::min)
        .map(num_result)
        .unwrap_or(Value::Null))
}
fn f_rangemax(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(range_nums(a, env)
        .into_iter()
        .reduce(f64::max)
        .map(num_result)
        .unwrap_or(Value::Null))
}
fn f_rangeavg(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let v = range_nums(a, env);
    Ok(if v.is_empty() {
        Value::Null
    } else {
        num_result(v.iter().sum::<f64>() / v.len() as f64)
    })
}
fn f_rangecount(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::num(a.iter().filter(|v| !v.is_null()).count() as f64))
}
/// `OSUser()`: the reloading user as the engine names it, `UserDirectory=DIR; UserId=ID` (rule U2;
/// research §8: the client-managed format; for a Qlik Cloud subject without a directory the directory
/// part is left empty, our decision). Unknown without `--reload-user`.
fn f_osuser(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    match env.reload_user.as_deref() {
        Some(u) => {
            let (dir, id) = u.split_once('\\').unwrap_or(("", u));
            Ok(Value::str(format!("UserDirectory={dir}; UserId={id}")))
        }
        None => f_nondeterministic(a, env),
    }
}

/// `QVUser()`: the reloading user's id as given with `--reload-user`; unknown without it.
fn f_qvuser(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    match env.reload_user.as_deref() {
        Some(u) => Ok(Value::str(u)),
        None => f_nondeterministic(a, env),
    }
}

fn f_nondeterministic(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Err(FnError::Invalid(
        "the result depends on the machine or the moment of the reload; qsa cannot reproduce it"
            .into(),
    ))
}

// ---------------------------------------------------------------------------------------------------------
// conditional functions

fn f_if(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(if arg(a, 0).truthy() {
        arg(a, 1).clone()
    } else {
        arg(a, 2).clone()
    })
}
fn f_alt(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    for v in &a[..a.len().saturating_sub(1)] {
        if let Some(n) = n_of(v, env) {
            return Ok(match v {
                Value::Str(s) => Value::dual(n, s.as_ref()),
                other => other.clone(),
            });
        }
    }
    Ok(a.last().cloned().unwrap_or_default())
}
fn f_coalesce(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(a.iter().find(|v| !v.is_null()).cloned().unwrap_or_default())
}
fn f_pick(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(match i_of(arg(a, 0), env) {
        Some(n) if n >= 1 => a.get(n as usize).cloned().unwrap_or_default(),
        _ => Value::Null,
    })
}
fn match_by(a: &[Value], eq: impl Fn(&str, &str) -> bool) -> Result<Value, FnError> {
    let Some(s) = s_of(arg(a, 0)) else {
        return Ok(Value::num(0.0));
    };
    for (i, v) in a.iter().enumerate().skip(1) {
        if let Some(t) = v.text() {
            if eq(&s, &t) {
                return Ok(Value::num(i as f64));
            }
        }
    }
    Ok(Value::num(0.0))
}
fn f_match(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    match_by(a, |s, t| s == t)
}
fn f_mixmatch(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    match_by(a, |s, t| s.to_lowercase() == t.to_lowercase())
}
fn f_wildmatch(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    match_by(a, |s, t| {
        crate::script::sources::paths::wildcard_match(t, s)
    })
}
fn f_isnull(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::bool(arg(a, 0).is_null()))
}
fn f_null(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::Null)
}
fn f_isnum(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::bool(n_of(arg(a, 0), env).is_some()))
}
fn f_istext(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let v = arg(a, 0);
    Ok(Value::bool(
        matches!(v, Value::Str(_)) && n_of(v, env).is_none(),
    ))
}
fn f_emptyisnull(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    let v = arg(a, 0);
    Ok(if v.text().map(|t| t.is_empty()).unwrap_or(true) {
        Value::Null
    } else {
        v.clone()
    })
}
fn f_true(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::bool(true))
}
fn f_false(_: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(Value::bool(false))
}

// ---------------------------------------------------------------------------------------------------------
// conversion

fn f_text(a: &[Value], _: &FnEnv) -> Result<Value, FnError> {
    Ok(match arg(a, 0).text() {
        Some(t) => text_result(t),
        None => Value::Null,
    })
}
fn f_dual(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(t), Some(n)) = (s_of(arg(a, 0)), n_of(arg(a, 1), env)) else {
        return Ok(match s_of(arg(a, 0)) {
            Some(t) => text_result(t),
            None => Value::Null,
        });
    };
    Ok(Value::dual(n, t))
}

/// Interpret text as a number with a format pattern and separators (`Num#`).
pub fn interpret_num(text: &str, pattern: Option<&str>, dec: &str, thou: &str) -> Option<f64> {
    let mut t = text.trim().to_string();
    let mut percent = false;
    if let Some(p) = pattern {
        // Drop the pattern's literal prefix and suffix characters (currency signs, `%`, units).
        for c in p
            .chars()
            .filter(|c| !c.is_ascii_digit() && *c != '#' && !dec.contains(*c) && !thou.contains(*c))
        {
            if c == '%' && t.contains('%') {
                percent = true;
            }
            if c != '-' && c != '+' {
                t = t.replace(c, "");
            }
        }
    }
    let t = t.trim();
    let t = if thou.is_empty() {
        t.to_string()
    } else {
        t.replace(thou, "")
    };
    let t = if dec.is_empty() || dec == "." {
        t
    } else {
        t.replace(dec, ".")
    };
    let n = parse_number(t.trim())?;
    Some(if percent { n / 100.0 } else { n })
}

fn f_num_hash(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(text) = s_of(arg(a, 0)) else {
        return Ok(Value::Null);
    };
    let dec = opt_text(a, 2).unwrap_or_else(|| env.decimal_sep.clone());
    let thou = opt_text(a, 3).unwrap_or_else(|| env.thousand_sep.clone());
    let pattern = opt_text(a, 1);
    // Without an explicit thousands separator, a `,` in `1,5` must not silently vanish when it is the
    // decimal separator of the pattern.
    let thou = if thou == dec { String::new() } else { thou };
    Ok(
        match interpret_num(&text, pattern.as_deref(), &dec, &thou) {
            Some(n) => Value::dual(n, text),
            None => text_result(text),
        },
    )
}

fn format_or_default(a: &[Value], i: usize, default: &str) -> String {
    match opt_text(a, i) {
        Some(f) if !f.is_empty() => f,
        _ => default.to_string(),
    }
}

fn date_value(serial: f64, fmt: &str, env: &FnEnv) -> Value {
    Value::dual(serial, format_datetime(serial, fmt, env))
}

fn f_date(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let fmt = format_or_default(a, 1, &env.date_format);
    Ok(n_of(arg(a, 0), env)
        .map(|n| date_value(n, &fmt, env))
        .unwrap_or(Value::Null))
}
fn f_timestamp(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let fmt = format_or_default(a, 1, &env.timestamp_format);
    Ok(n_of(arg(a, 0), env)
        .map(|n| date_value(n, &fmt, env))
        .unwrap_or(Value::Null))
}
fn f_time(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let fmt = format_or_default(a, 1, &env.time_format);
    Ok(n_of(arg(a, 0), env)
        .map(|n| date_value(n, &fmt, env))
        .unwrap_or(Value::Null))
}
fn interpret_with(a: &[Value], env: &FnEnv, default: &str) -> Result<Value, FnError> {
    let Some(text) = s_of(arg(a, 0)) else {
        return Ok(Value::Null);
    };
    let fmt = format_or_default(a, 1, default);
    Ok(match parse_datetime(text.trim(), &fmt, env) {
        Some(n) => Value::dual(n, text),
        None => text_result(text),
    })
}
fn f_date_hash(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    interpret_with(a, env, &env.date_format)
}
fn f_timestamp_hash(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    interpret_with(a, env, &env.timestamp_format)
}
fn f_time_hash(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    interpret_with(a, env, &env.time_format)
}

// ---------------------------------------------------------------------------------------------------------
// calendar arithmetic

/// Days from 1970-01-01 to the civil date (proleptic Gregorian).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719468;
    let era = if z >= 0 { z } else { z - 146096 } / 146097;
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// 1899-12-30 is serial 0.
const EPOCH_OFFSET: i64 = 25569; // days from 1899-12-30 to 1970-01-01

/// The Qlik serial number of a civil date.
pub fn serial_from_ymd(y: i64, m: i64, d: i64) -> f64 {
    (days_from_civil(y, m, d) + EPOCH_OFFSET) as f64
}

/// The civil date of a serial number (its day part).
pub fn ymd_from_serial(serial: f64) -> (i64, i64, i64) {
    civil_from_days(serial.floor() as i64 - EPOCH_OFFSET)
}

fn days_in_month(y: i64, m: i64) -> i64 {
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    days_from_civil(ny, nm, 1) - days_from_civil(y, m, 1)
}

/// Serial numbers outside years 1..9999 are not dates.
fn date_ok(serial: f64) -> bool {
    serial.is_finite() && (-693_593.0..=2_958_465.0).contains(&serial)
}

/// Hours, minutes, seconds, milliseconds of the day part, rounded to the millisecond.
fn hms(serial: f64) -> (i64, i64, i64, i64) {
    let ms = ((serial - serial.floor()) * 86_400_000.0).round() as i64;
    let ms = ms.clamp(0, 86_399_999);
    (ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, ms % 1000)
}

/// Monday = 0 … Sunday = 6
fn weekday_index(serial: f64) -> i64 {
    // 1899-12-30 was a Saturday (5).
    (serial.floor() as i64 + 5).rem_euclid(7)
}

fn iso_week(serial: f64) -> i64 {
    let day = serial.floor();
    let wd = weekday_index(day) as f64;
    let thursday = day - wd + 3.0;
    let (ty, _, _) = ymd_from_serial(thursday);
    ((thursday - serial_from_ymd(ty, 1, 1)) / 7.0).floor() as i64 + 1
}

const LONG_MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const LONG_DAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

fn names_list(s: &str, fallback: &[&str]) -> Vec<String> {
    let v: Vec<String> = s.split(';').map(|x| x.trim().to_string()).collect();
    if v.len() == fallback.len() {
        v
    } else {
        fallback
            .iter()
            .map(|x| x.chars().take(3).collect())
            .collect()
    }
}

fn month_name(m: i64, env: &FnEnv) -> String {
    names_list(&env.month_names, &LONG_MONTHS)
        .get((m - 1).clamp(0, 11) as usize)
        .cloned()
        .unwrap_or_default()
}
fn day_name(wd: i64, env: &FnEnv) -> String {
    names_list(&env.day_names, &LONG_DAYS)
        .get(wd.clamp(0, 6) as usize)
        .cloned()
        .unwrap_or_default()
}

/// A format string split into tokens: runs of the same code letter, or literal text.
#[derive(Debug, PartialEq)]
enum Tok {
    Code(char, usize),
    Lit(String),
    Optional(Vec<Tok>),
}

fn tokenize(fmt: &str) -> Vec<Tok> {
    let chars: Vec<char> = fmt.chars().collect();
    let (toks, _) = tokenize_from(&chars, 0);
    toks
}

fn tokenize_from(c: &[char], mut i: usize) -> (Vec<Tok>, usize) {
    let mut out: Vec<Tok> = Vec::new();
    while i < c.len() {
        let ch = c[i];
        match ch {
            '[' => {
                let (inner, next) = tokenize_from(c, i + 1);
                out.push(Tok::Optional(inner));
                i = next;
            }
            ']' => return (out, i + 1),
            'Y' | 'y' | 'M' | 'D' | 'd' | 'W' | 'w' | 'h' | 'H' | 'm' | 's' | 'S' | 'f' | 'F'
            | 'T' | 't' => {
                let mut j = i;
                while j < c.len() && c[j] == ch {
                    j += 1;
                }
                let code = match ch {
                    'y' => 'Y',
                    'd' => 'D',
                    'w' => 'W',
                    'H' => 'h',
                    'S' => 's',
                    'F' => 'f',
                    't' => 'T',
                    other => other,
                };
                out.push(Tok::Code(code, j - i));
                i = j;
            }
            _ => {
                match out.last_mut() {
                    Some(Tok::Lit(s)) => s.push(ch),
                    _ => out.push(Tok::Lit(ch.to_string())),
                }
                i += 1;
            }
        }
    }
    (out, i)
}

/// Format a serial number with date/time format codes.
pub fn format_datetime(serial: f64, fmt: &str, env: &FnEnv) -> String {
    if !date_ok(serial) {
        return format_number(serial);
    }
    let toks = tokenize(fmt);
    let has_ampm = toks.iter().any(|t| matches!(t, Tok::Code('T', _)));
    let mut out = String::new();
    write_toks(&toks, serial, env, has_ampm, &mut out);
    out
}

fn write_toks(toks: &[Tok], serial: f64, env: &FnEnv, ampm: bool, out: &mut String) {
    let (y, m, d) = ymd_from_serial(serial);
    let (hh, mi, ss, ms) = hms(serial);
    for t in toks {
        match t {
            Tok::Lit(s) => out.push_str(s),
            Tok::Optional(_) => {}
            Tok::Code('Y', n) => {
                if *n <= 2 {
                    out.push_str(&format!("{:02}", y.rem_euclid(100)))
                } else {
                    out.push_str(&format!("{y:04}"))
                }
            }
            Tok::Code('M', n) => match n {
                1 => out.push_str(&m.to_string()),
                2 => out.push_str(&format!("{m:02}")),
                3 => out.push_str(&month_name(m, env)),
                _ => out.push_str(
                    LONG_MONTHS
                        .get((m - 1).clamp(0, 11) as usize)
                        .copied()
                        .unwrap_or(""),
                ),
            },
            Tok::Code('D', n) => {
                if *n == 1 {
                    out.push_str(&d.to_string())
                } else {
                    out.push_str(&format!("{d:02}"))
                }
            }
            Tok::Code('W', n) => {
                let wd = weekday_index(serial);
                match n {
                    1 | 2 => out.push_str(&wd.to_string()),
                    3 => out.push_str(&day_name(wd, env)),
                    _ => out.push_str(LONG_DAYS.get(wd as usize).copied().unwrap_or("")),
                }
            }
            Tok::Code('h', n) => {
                let h = if ampm {
                    match hh % 12 {
                        0 => 12,
                        x => x,
                    }
                } else {
                    hh
                };
                if *n == 1 {
                    out.push_str(&h.to_string())
                } else {
                    out.push_str(&format!("{h:02}"))
                }
            }
            Tok::Code('m', n) => {
                if *n == 1 {
                    out.push_str(&mi.to_string())
                } else {
                    out.push_str(&format!("{mi:02}"))
                }
            }
            Tok::Code('s', n) => {
                if *n == 1 {
                    out.push_str(&ss.to_string())
                } else {
                    out.push_str(&format!("{ss:02}"))
                }
            }
            Tok::Code('f', n) => {
                let s = format!("{ms:03}");
                let n = (*n).min(3);
                out.push_str(&s[..n]);
            }
            Tok::Code('T', _) => out.push_str(if hh < 12 { "AM" } else { "PM" }),
            Tok::Code(c, n) => out.extend(std::iter::repeat_n(*c, *n)),
        }
    }
}

#[derive(Default, Clone, Copy)]
struct Parsed {
    y: Option<i64>,
    m: Option<i64>,
    d: Option<i64>,
    h: i64,
    mi: i64,
    s: i64,
    ms: f64,
    pm: Option<bool>,
    any_time: bool,
}

/// Interpret text with date/time format codes; `None` when it does not fit.
pub fn parse_datetime(text: &str, fmt: &str, env: &FnEnv) -> Option<f64> {
    if text.is_empty() || fmt.is_empty() {
        return None;
    }
    let toks = tokenize(fmt);
    if !toks.iter().any(|t| matches!(t, Tok::Code(..))) {
        return None;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parsed::default();
    let end = parse_toks(&toks, &chars, 0, &mut p, env)?;
    if end != chars.len() {
        return None;
    }
    let mut h = p.h;
    if let Some(pm) = p.pm {
        if !(1..=12).contains(&h) {
            return None;
        }
        h = h % 12 + if pm { 12 } else { 0 };
    }
    if h > 23 || p.mi > 59 || p.s > 59 {
        return None;
    }
    let time = (h * 3600 + p.mi * 60 + p.s) as f64 / 86400.0 + p.ms / 86_400_000.0;
    let date = match (p.y, p.m, p.d) {
        (None, None, None) => {
            if !p.any_time {
                return None;
            }
            0.0
        }
        (y, m, d) => {
            let y = y.unwrap_or(1899);
            let m = m.unwrap_or(1);
            let d = d.unwrap_or(1);
            if !(1..=12).contains(&m)
                || d < 1
                || d > days_in_month(y, m)
                || !(1..=9999).contains(&y)
            {
                return None;
            }
            serial_from_ymd(y, m, d)
        }
    };
    Some(date + time)
}

fn digits(c: &[char], i: usize, min: usize, max: usize) -> Option<(i64, usize)> {
    let mut j = i;
    while j < c.len() && j - i < max && c[j].is_ascii_digit() {
        j += 1;
    }
    if j - i < min {
        return None;
    }
    let s: String = c[i..j].iter().collect();
    s.parse().ok().map(|n| (n, j))
}

fn name_at(c: &[char], i: usize, names: &[String]) -> Option<(usize, usize)> {
    let rest: String = c[i.min(c.len())..]
        .iter()
        .collect::<String>()
        .to_lowercase();
    // Longest name first so "June" is not read as "Jun" + "e".
    let mut best: Option<(usize, usize)> = None;
    for (k, n) in names.iter().enumerate() {
        let nl = n.to_lowercase();
        if !nl.is_empty() && rest.starts_with(&nl) {
            let len = nl.chars().count();
            if best.map(|(_, l)| len > l).unwrap_or(true) {
                best = Some((k, len));
            }
        }
    }
    best.map(|(k, len)| (k, i + len))
}

fn parse_toks(
    toks: &[Tok],
    c: &[char],
    mut i: usize,
    p: &mut Parsed,
    env: &FnEnv,
) -> Option<usize> {
    for t in toks {
        match t {
            Tok::Lit(s) => {
                for lc in s.chars() {
                    if c.get(i) == Some(&lc) {
                        i += 1;
                    } else if lc == ' ' {
                        // Tolerate a missing space.
                    } else {
                        return None;
                    }
                }
            }
            Tok::Optional(inner) => {
                let mut trial = *p;
                if let Some(j) = parse_toks(inner, c, i, &mut trial, env) {
                    *p = trial;
                    i = j;
                }
            }
            Tok::Code('Y', n) => {
                let (v, j) = if *n <= 2 {
                    digits(c, i, 2, 2)?
                } else {
                    digits(c, i, 4, 4)?
                };
                p.y = Some(if *n <= 2 {
                    if v < 30 {
                        2000 + v
                    } else {
                        1900 + v
                    }
                } else {
                    v
                });
                i = j;
            }
            Tok::Code('M', n) if *n >= 3 => {
                let mut names = names_list(&env.month_names, &LONG_MONTHS);
                names.extend(LONG_MONTHS.iter().map(|s| s.to_string()));
                let (k, j) = name_at(c, i, &names)?;
                p.m = Some((k % 12) as i64 + 1);
                i = j;
            }
            Tok::Code('M', n) => {
                let (v, j) = digits(c, i, *n, 2)?;
                p.m = Some(v);
                i = j;
            }
            Tok::Code('D', n) => {
                let (v, j) = digits(c, i, (*n).min(2), 2)?;
                p.d = Some(v);
                i = j;
            }
            Tok::Code('W', n) => {
                if *n >= 3 {
                    let mut names = names_list(&env.day_names, &LONG_DAYS);
                    names.extend(LONG_DAYS.iter().map(|s| s.to_string()));
                    let (_, j) = name_at(c, i, &names)?;
                    i = j;
                } else {
                    let (_, j) = digits(c, i, 1, 1)?;
                    i = j;
                }
            }
            Tok::Code('h', n) => {
                let (v, j) = digits(c, i, (*n).min(2), 2)?;
                p.h = v;
                p.any_time = true;
                i = j;
            }
            Tok::Code('m', n) => {
                let (v, j) = digits(c, i, (*n).min(2), 2)?;
                p.mi = v;
                p.any_time = true;
                i = j;
            }
            Tok::Code('s', n) => {
                let (v, j) = digits(c, i, (*n).min(2), 2)?;
                p.s = v;
                p.any_time = true;
                i = j;
            }
            Tok::Code('f', _) => {
                let start = i;
                let (v, j) = digits(c, i, 1, 9)?;
                p.ms = v as f64 * 10f64.powi(3 - (j - start) as i32);
                i = j;
            }
            Tok::Code('T', _) => {
                let rest: String = c[i.min(c.len())..]
                    .iter()
                    .take(2)
                    .collect::<String>()
                    .to_ascii_uppercase();
                match rest.as_str() {
                    "AM" => p.pm = Some(false),
                    "PM" => p.pm = Some(true),
                    _ => return None,
                }
                i += 2;
            }
            Tok::Code(ch, n) => {
                for _ in 0..*n {
                    if c.get(i) == Some(ch) {
                        i += 1;
                    } else {
                        return None;
                    }
                }
            }
        }
    }
    Some(i)
}

// ---------------------------------------------------------------------------------------------------------
// date functions

fn date_arg(a: &[Value], i: usize, env: &FnEnv) -> Option<f64> {
    n_of(arg(a, i), env).filter(|n| date_ok(*n))
}

/// A function of one date/time argument: NULL when the argument is not a date.
fn on_date(a: &[Value], env: &FnEnv, f: impl Fn(f64) -> Value) -> Result<Value, FnError> {
    Ok(date_arg(a, 0, env).map(f).unwrap_or(Value::Null))
}
fn f_year(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(ymd_from_serial(s).0 as f64))
}
fn f_month(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| {
        let m = ymd_from_serial(s).1;
        Value::dual(m as f64, month_name(m, env))
    })
}
fn f_day(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(ymd_from_serial(s).2 as f64))
}
fn f_week(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(iso_week(s) as f64))
}
fn f_weekday(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| {
        let wd = weekday_index(s);
        Value::dual(wd as f64, day_name(wd, env))
    })
}
fn f_hour(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(hms(s).0 as f64))
}
fn f_minute(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(hms(s).1 as f64))
}
fn f_second(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(hms(s).2 as f64))
}
fn f_makedate(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(y) = i_of(arg(a, 0), env) else {
        return Ok(Value::Null);
    };
    let m = if a.len() > 1 {
        i_of(arg(a, 1), env)
    } else {
        Some(1)
    };
    let d = if a.len() > 2 {
        i_of(arg(a, 2), env)
    } else {
        Some(1)
    };
    let (Some(m), Some(d)) = (m, d) else {
        return Ok(Value::Null);
    };
    if !(1..=9999).contains(&y) || !(1..=12).contains(&m) || d < 1 || d > days_in_month(y, m) {
        return Ok(Value::Null);
    }
    Ok(date_value(serial_from_ymd(y, m, d), &env.date_format, env))
}
fn f_maketime(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let mut parts = [0f64; 4];
    for (i, p) in parts.iter_mut().enumerate().take(a.len()) {
        match n_of(arg(a, i), env) {
            Some(n) => *p = n,
            None => return Ok(Value::Null),
        }
    }
    let t = (parts[0] * 3600.0 + parts[1] * 60.0 + parts[2] + parts[3]) / 86400.0;
    Ok(date_value(t, &env.time_format, env))
}
fn f_today(_: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(date_value(env.today.floor(), &env.date_format, env))
}
fn f_now(_: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    Ok(date_value(env.today, &env.timestamp_format, env))
}

fn add_months(serial: f64, n: i64, end_mode: bool) -> f64 {
    let (y, m, d) = ymd_from_serial(serial);
    let total = y * 12 + (m - 1) + n;
    let (ny, nm) = (total.div_euclid(12), total.rem_euclid(12) + 1);
    let dim = days_in_month(ny, nm);
    let nd = if end_mode && d == days_in_month(y, m) {
        dim
    } else {
        d.min(dim)
    };
    serial_from_ymd(ny, nm, nd) + (serial - serial.floor())
}

fn f_addmonths(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(n)) = (date_arg(a, 0, env), i_of(arg(a, 1), env)) else {
        return Ok(Value::Null);
    };
    let mode = if a.len() > 2 {
        i_of(arg(a, 2), env).unwrap_or(0)
    } else {
        0
    };
    Ok(date_value(
        add_months(s, n, mode == 1),
        &env.date_format,
        env,
    ))
}
fn f_addyears(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(n)) = (date_arg(a, 0, env), i_of(arg(a, 1), env)) else {
        return Ok(Value::Null);
    };
    Ok(date_value(
        add_months(s, n.saturating_mul(12), false),
        &env.date_format,
        env,
    ))
}

/// Start of the period (of `months` months, aligned to `first_month`) holding `serial`, shifted by
/// `shift` periods.
fn period_start(serial: f64, months: i64, shift: i64, first_month: i64) -> f64 {
    let (y, m, _) = ymd_from_serial(serial);
    let idx = y * 12 + (m - 1) - (first_month - 1);
    let start = idx.div_euclid(months) * months + (first_month - 1) + shift * months;
    serial_from_ymd(start.div_euclid(12), start.rem_euclid(12) + 1, 1)
}

const LAST_MS: f64 = 1.0 / 86_400_000.0;

fn period_fn(
    a: &[Value],
    env: &FnEnv,
    months: i64,
    end: bool,
    has_first_month: bool,
) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let shift = if a.len() > 1 {
        i_of(arg(a, 1), env).unwrap_or(0)
    } else {
        0
    };
    let first = if has_first_month && a.len() > 2 {
        i_of(arg(a, 2), env).unwrap_or(1).clamp(1, 12)
    } else {
        1
    };
    let start = period_start(s, months, shift, first);
    let v = if end {
        period_start(start, months, 1, first) - LAST_MS
    } else {
        start
    };
    if !date_ok(v) {
        return Ok(Value::Null);
    }
    Ok(date_value(v, &env.date_format, env))
}
fn f_monthstart(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 1, false, false)
}
fn f_monthend(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 1, true, false)
}
fn f_yearstart(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 12, false, true)
}
fn f_yearend(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 12, true, true)
}
fn f_quarterstart(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 3, false, true)
}
fn f_quarterend(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    period_fn(a, env, 3, true, true)
}
fn f_daystart(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let shift = if a.len() > 1 {
        i_of(arg(a, 1), env).unwrap_or(0)
    } else {
        0
    };
    Ok(date_value(
        s.floor() + shift as f64,
        &env.timestamp_format,
        env,
    ))
}
fn f_dayend(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let shift = if a.len() > 1 {
        i_of(arg(a, 1), env).unwrap_or(0)
    } else {
        0
    };
    Ok(date_value(
        s.floor() + shift as f64 + 1.0 - LAST_MS,
        &env.timestamp_format,
        env,
    ))
}

/// Optional integer argument `i` (a period shift, a first month, …), `default` when absent.
fn opt_i(a: &[Value], i: usize, env: &FnEnv, default: i64) -> i64 {
    if a.len() > i {
        i_of(arg(a, i), env).unwrap_or(default)
    } else {
        default
    }
}

/// A period name: the text `name` of the period that starts at `start`, as a dual with that start.
fn period_name(start: f64, name: String) -> Value {
    if date_ok(start) {
        Value::dual(start, name)
    } else {
        Value::Null
    }
}

/// `DayName(date [, shift])`: the day as a date dual (DateFormat), numbered by the day's start.
fn f_dayname(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let day = s.floor() + opt_i(a, 1, env, 0) as f64;
    Ok(period_name(
        day,
        format_datetime(day, &env.date_format, env),
    ))
}
/// `MonthName(date [, shift])`: `Jan 2024`, numbered by the month's start.
fn f_monthname(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let start = period_start(s, 1, opt_i(a, 1, env, 0), 1);
    Ok(period_name(start, format_datetime(start, "MMM YYYY", env)))
}
/// `QuarterName(date [, shift [, first_month]])`: `Jan-Mar 2024`, numbered by the quarter's start.
fn f_quartername(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let first = opt_i(a, 2, env, 1).clamp(1, 12);
    let start = period_start(s, 3, opt_i(a, 1, env, 0), first);
    let last = add_months(start, 2, false);
    let name = format!(
        "{}-{} {}",
        format_datetime(start, "MMM", env),
        format_datetime(last, "MMM", env),
        ymd_from_serial(start).0
    );
    Ok(period_name(start, name))
}
/// `YearName(date [, shift [, first_month]])`: `2024`, or `2023-2024` for a fiscal year.
fn f_yearname(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let first = opt_i(a, 2, env, 1).clamp(1, 12);
    let start = period_start(s, 12, opt_i(a, 1, env, 0), first);
    let y = ymd_from_serial(start).0;
    let name = if first == 1 {
        y.to_string()
    } else {
        format!("{y}-{}", y + 1)
    };
    Ok(period_name(start, name))
}
/// The Monday-based week start (`first_week_day` 0 = Monday … 6 = Sunday), shifted by `shift` weeks.
fn week_start(serial: f64, shift: i64, first_week_day: i64) -> f64 {
    let day = serial.floor();
    let back = (weekday_index(day) - first_week_day.rem_euclid(7)).rem_euclid(7);
    day - back as f64 + 7.0 * shift as f64
}
fn f_weekstart(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let start = week_start(s, opt_i(a, 1, env, 0), opt_i(a, 2, env, 0));
    Ok(date_value(start, &env.date_format, env))
}
fn f_weekend(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let end = week_start(s, opt_i(a, 1, env, 0), opt_i(a, 2, env, 0)) + 7.0 - LAST_MS;
    Ok(date_value(end, &env.timestamp_format, env))
}
/// `WeekName(date [, shift [, first_week_day]])`: `2024/05` (ISO week year / week), numbered by the
/// week's start.
fn f_weekname(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let start = week_start(s, opt_i(a, 1, env, 0), opt_i(a, 2, env, 0));
    let name = format!("{}/{:02}", iso_week_year(start), iso_week(start));
    Ok(period_name(start, name))
}
/// The year an ISO week belongs to: the year of its Thursday.
fn iso_week_year(serial: f64) -> i64 {
    let day = serial.floor();
    ymd_from_serial(day - weekday_index(day) as f64 + 3.0).0
}
fn f_weekyear(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    on_date(a, env, |s| Value::num(iso_week_year(s) as f64))
}
/// `DayNumberOfYear(date [, first_month])`: 1 for the first day of the (fiscal) year.
fn f_daynumberofyear(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let first = opt_i(a, 1, env, 1).clamp(1, 12);
    let start = period_start(s, 12, 0, first);
    Ok(Value::num(s.floor() - start + 1.0))
}
/// `InYear`/`InQuarter`/`InMonth(date, base_date, shift [, first_month])`: is `date` in the period of
/// `base_date` shifted by `shift` periods?
fn in_period(a: &[Value], env: &FnEnv, months: i64, has_first: bool) -> Result<Value, FnError> {
    let (Some(s), Some(base)) = (date_arg(a, 0, env), date_arg(a, 1, env)) else {
        return Ok(Value::Null);
    };
    let first = if has_first {
        opt_i(a, 3, env, 1).clamp(1, 12)
    } else {
        1
    };
    let target = period_start(base, months, opt_i(a, 2, env, 0), first);
    Ok(Value::bool(period_start(s, months, 0, first) == target))
}
fn f_inyear(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    in_period(a, env, 12, true)
}
fn f_inquarter(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    in_period(a, env, 3, true)
}
fn f_inmonth(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    in_period(a, env, 1, false)
}
/// Is `date` in the (fiscal) year of `base` shifted by `shift` years, up to and including the day of
/// `base` in that year?
fn in_year_to_date(date: f64, base: f64, shift: i64, first: i64) -> bool {
    let start = period_start(base, 12, shift, first);
    let last = add_months(base.floor(), 12 * shift, false) + 1.0 - LAST_MS;
    date >= start && date <= last
}
fn f_inyeartodate(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let (Some(s), Some(base)) = (date_arg(a, 0, env), date_arg(a, 1, env)) else {
        return Ok(Value::Null);
    };
    let first = opt_i(a, 3, env, 1).clamp(1, 12);
    Ok(Value::bool(in_year_to_date(
        s,
        base,
        opt_i(a, 2, env, 0),
        first,
    )))
}
/// `YearToDate(date [, shift [, first_month [, today]]])`: `InYearToDate` against today (the fixed clock).
fn f_yeartodate(a: &[Value], env: &FnEnv) -> Result<Value, FnError> {
    let Some(s) = date_arg(a, 0, env) else {
        return Ok(Value::Null);
    };
    let first = opt_i(a, 2, env, 1).clamp(1, 12);
    let today = date_arg(a, 3, env).unwrap_or(env.today);
    Ok(Value::bool(in_year_to_date(
        s,
        today,
        opt_i(a, 1, env, 0),
        first,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(serial_from_ymd(1899, 12, 30), 0.0);
        assert_eq!(serial_from_ymd(1900, 1, 1), 2.0);
        assert_eq!(serial_from_ymd(2024, 1, 15), 45306.0);
        assert_eq!(ymd_from_serial(45306.75), (2024, 1, 15));
        assert_eq!(weekday_index(45306.0), 0); // a Monday
        assert_eq!(iso_week(serial_from_ymd(2021, 1, 3)), 53);
        assert_eq!(iso_week(serial_from_ymd(2024, 12, 30)), 1);
    }

    #[test]
    fn tokenizes() {
        assert_eq!(
            tokenize("YYYY-MM-DD hh:mm:ss[.fff]"),
            vec![
                Tok::Code('Y', 4),
                Tok::Lit("-".into()),
                Tok::Code('M', 2),
                Tok::Lit("-".into()),
                Tok::Code('D', 2),
                Tok::Lit(" ".into()),
                Tok::Code('h', 2),
                Tok::Lit(":".into()),
                Tok::Code('m', 2),
                Tok::Lit(":".into()),
                Tok::Code('s', 2),
                Tok::Optional(vec![Tok::Lit(".".into()), Tok::Code('f', 3)]),
            ]
        );
    }
}
