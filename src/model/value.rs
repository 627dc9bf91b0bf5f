//! Qlik values are duals: a text and, optionally, a number.
//!
//! A value read from a text file is text; if the text reads as a number it is a dual of both (so `"01"` keeps
//! its text `01` and has the number 1). Arithmetic makes numbers. `Null` is Qlik's NULL: no text, no number.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

#[derive(Clone, Debug, Default)]
pub enum Value {
    #[default]
    Null,
    /// A pure number; its text is the number formatted by [`format_number`].
    Num(f64),
    /// Pure text.
    Str(Arc<str>),
    /// Both: the text as shown, the number used in arithmetic.
    Dual(f64, Arc<str>),
}

impl Value {
    /// Bytes this value occupies, for memory accounting (`crate::limits`): the enum and its text.
    pub fn heap_bytes(&self) -> u64 {
        let text = match self {
            Value::Str(t) | Value::Dual(_, t) => t.len() as u64,
            Value::Null | Value::Num(_) => 0,
        };
        std::mem::size_of::<Value>() as u64 + text
    }
    pub fn str(s: impl AsRef<str>) -> Value {
        Value::Str(Arc::from(s.as_ref()))
    }
    pub fn num(n: f64) -> Value {
        if n.is_nan() {
            Value::Null
        } else {
            Value::Num(n)
        }
    }
    pub fn dual(n: f64, s: impl AsRef<str>) -> Value {
        Value::Dual(n, Arc::from(s.as_ref()))
    }
    /// A value as a loader reads it from a file or INLINE cell: text, plus the number when the text reads
    /// as one (plain decimal notation with `.`; leading/trailing spaces are the caller's business).
    pub fn from_loaded_text(s: &str) -> Value {
        match parse_number(s) {
            Some(n) => Value::Dual(n, Arc::from(s)),
            None => Value::Str(Arc::from(s)),
        }
    }
    pub fn bool(b: bool) -> Value {
        // Qlik's true is -1, false is 0.
        Value::Num(if b { -1.0 } else { 0.0 })
    }
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
    /// The text representation; `None` for NULL.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match self {
            Value::Null => None,
            Value::Num(n) => Some(Cow::Owned(format_number(*n))),
            Value::Str(s) | Value::Dual(_, s) => Some(Cow::Borrowed(s)),
        }
    }
    /// The text, with NULL as the empty string (what `&` and string functions see).
    pub fn text_or_empty(&self) -> Cow<'_, str> {
        self.text().unwrap_or(Cow::Borrowed(""))
    }
    /// The number: a number or dual's number; for text, the number it reads as, if any.
    pub fn as_num(&self) -> Option<f64> {
        match self {
            Value::Null => None,
            Value::Num(n) | Value::Dual(n, _) => Some(*n),
            Value::Str(s) => parse_number(s.trim()),
        }
    }
    /// Qlik truthiness: a number ≠ 0 is true; text that is not a number is false; NULL is false.
    pub fn truthy(&self) -> bool {
        self.as_num().map(|n| n != 0.0).unwrap_or(false)
    }
}

/// Equality and hashing are by text representation (how field values are told apart in a symbol table),
/// with NULL equal only to NULL.
impl PartialEq for Value {
    fn eq(&self, other: &Self) -> bool {
        match (self.text(), other.text()) {
            (None, None) => true,
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}
impl Eq for Value {}
impl Hash for Value {
    fn hash<H: Hasher>(&self, state: &mut H) {
        match self.text() {
            None => 0u8.hash(state),
            Some(t) => {
                1u8.hash(state);
                t.hash(state)
            }
        }
    }
}

/// Ordering for deterministic output: NULL first, then numbers by value, then text by text.
impl PartialOrd for Value {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Value {
    fn cmp(&self, other: &Self) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Num(_) | Value::Dual(..) => 1,
                Value::Str(_) => 2,
            }
        }
        match (self, other) {
            (Value::Num(a) | Value::Dual(a, _), Value::Num(b) | Value::Dual(b, _)) => a
                .total_cmp(b)
                .then_with(|| self.text_or_empty().cmp(&other.text_or_empty())),
            _ => rank(self)
                .cmp(&rank(other))
                .then_with(|| self.text_or_empty().cmp(&other.text_or_empty())),
        }
    }
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.text() {
            None => f.write_str("-"),
            Some(t) => f.write_str(&t),
        }
    }
}

/// Parse plain decimal notation (`12`, `-3.5`, `1e3`, `.5`). No thousands separators, no spaces.
pub fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 64 {
        return None;
    }
    // Reject forms Rust accepts but Qlik does not read as numbers.
    if !b
        .iter()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'-' | b'+' | b'e' | b'E'))
    {
        return None;
    }
    if !b.iter().any(|c| c.is_ascii_digit()) {
        return None;
    }
    s.parse::<f64>().ok().filter(|n| n.is_finite())
}

/// Format a number the way Qlik shows an unformatted number: integers without decimals, others with up
/// to 14 significant digits and no trailing zeros.
pub fn format_number(n: f64) -> String {
    if n.is_nan() {
        return String::new();
    }
    if n == n.trunc() && n.abs() < 1e15 {
        return format!("{}", n as i64);
    }
    let s = format!(
        "{:.*}",
        14usize.saturating_sub(n.abs().log10().max(0.0) as usize),
        n
    );
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" {
        "0".to_string()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duals_keep_their_text() {
        let v = Value::from_loaded_text("01");
        assert_eq!(v.text().as_deref(), Some("01"));
        assert_eq!(v.as_num(), Some(1.0));
        assert_ne!(v, Value::num(1.0));
    }

    #[test]
    fn numbers_format_plainly() {
        assert_eq!(format_number(3.0), "3");
        assert_eq!(format_number(-2.5), "-2.5");
        assert_eq!(format_number(0.1 + 0.2), "0.3");
        assert_eq!(format_number(1e20), "100000000000000000000");
    }

    #[test]
    fn text_is_not_a_number() {
        assert_eq!(parse_number("abc"), None);
        assert_eq!(parse_number("1,5"), None);
        assert_eq!(parse_number("inf"), None);
        assert_eq!(parse_number("-"), None);
        assert!(Value::str("x").as_num().is_none());
    }
}
