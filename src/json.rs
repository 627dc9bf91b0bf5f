//! JSON read strictly, for the inputs that reach access (directory and tenant exports): the text must be
//! UTF-8 (RFC 8259; a byte-order mark, UTF-8 or UTF-16, is honoured as Windows tools write one), a file
//! must not be empty, and a key given twice in one object is an error located like a syntax error
//! (serde_json would keep the last value silently: for a security tool that is ambiguous).

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Why the bytes of a JSON file are not JSON text: 1-based line and column, and the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// The text of a JSON file, and why it cannot be read when it cannot (the text is then decoded lossily,
/// to show the place).
pub fn decode(bytes: &[u8]) -> (String, Option<TextError>) {
    if let Some((enc, len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, bad) = enc.decode_without_bom_handling(bytes.get(len..).unwrap_or_default());
        let text = text.into_owned();
        let err = if bad {
            Some(TextError {
                line: 1,
                column: 1,
                message: format!(
                    "not valid {} text (the byte-order mark says it is)",
                    enc.name()
                ),
            })
        } else {
            empty(&text)
        };
        return (text, err);
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_string(), empty(s)),
        Err(e) => {
            let before = String::from_utf8_lossy(&bytes[..e.valid_up_to()]);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            let err = TextError {
                line,
                column,
                message: "not UTF-8: JSON is UTF-8 text (was it re-saved in another encoding?)"
                    .into(),
            };
            (String::from_utf8_lossy(bytes).into_owned(), Some(err))
        }
    }
}

/// [`decode`], taking the bytes: UTF-8 without a byte-order mark (what the `qlik` CLI writes) becomes the
/// text without a copy (users.json of 100k users is ~110 MB).
pub fn decode_owned(bytes: Vec<u8>) -> (String, Option<TextError>) {
    if encoding_rs::Encoding::for_bom(&bytes).is_some() {
        return decode(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(s) => {
            let err = empty(&s);
            (s, err)
        }
        Err(e) => decode(e.as_bytes()),
    }
}

fn empty(text: &str) -> Option<TextError> {
    text.trim().is_empty().then(|| TextError {
        line: 1,
        column: 1,
        message: "the file is empty: an export always holds at least `[]`".into(),
    })
}

/// A JSON value whose objects hold no key twice (deserialize through it instead of [`Value`]).
pub struct Strict(pub Value);

impl<'de> Deserialize<'de> for Strict {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(StrictVisitor).map(Strict)
    }
}

struct StrictVisitor;

impl<'de> Visitor<'de> for StrictVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        Strict::deserialize(d).map(|s| s.0)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut v = Vec::new();
        while let Some(Strict(x)) = seq.next_element()? {
            v.push(x);
        }
        Ok(Value::Array(v))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut m = Map::new();
        while let Some(k) = map.next_key::<String>()? {
            if m.contains_key(&k) {
                return Err(A::Error::custom(format!(
                    "key `{k}` given twice in one object: which value applies is ambiguous"
                )));
            }
            let Strict(v) = map.next_value()?;
            m.insert(k, v);
        }
        Ok(Value::Object(m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_keys_are_located_errors() {
        let text = "{\n  \"a\": 1,\n  \"b\": {\"c\": 2, \"c\": 3}\n}";
        let e = serde_json::from_str::<Strict>(text)
            .err()
            .expect("an error");
        assert_eq!(e.line(), 3, "{e}");
        assert!(e.to_string().contains("key `c` given twice"), "{e}");
        let ok = serde_json::from_str::<Strict>("[{\"a\": 1}, {\"a\": 2}]").expect("no duplicate");
        assert_eq!(ok.0, serde_json::json!([{"a": 1}, {"a": 2}]));
    }

    #[test]
    fn text_must_be_utf8_and_not_empty() {
        assert_eq!(decode(b"[1]").1, None);
        assert_eq!(decode(b"\xEF\xBB\xBF[1]"), ("[1]".to_string(), None));
        assert_eq!(
            decode(b"\xFF\xFE[\x001\x00]\x00"),
            ("[1]".to_string(), None)
        );
        let e = decode(b"[\n \"a\xFF\"]").1.expect("an error");
        assert_eq!((e.line, e.column), (2, 4));
        assert!(decode(b"  \n").1.is_some());
    }
}
