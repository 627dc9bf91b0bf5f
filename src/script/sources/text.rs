//! Delimited text as Qlik reads it: INLINE data and `txt` files.
//!
//! Qlik's rules implemented here (help.qlik.com, *File format specifiers*):
//! - **Labels**: `embedded labels` (default) takes field names from the first record; `no labels` and
//!   `explicit labels` (meant for DIF files) name fields `@1`, `@2`, … and keep the first record as data.
//!   An empty label becomes `@n`; two equal labels are an error (Qlik: "Field names must be unique").
//! - **Delimiter**: `delimiter is 'x'` (any string; `'\t'` and `tab` mean TAB, `spaces` means runs of
//!   blanks). Default `,`; files with a `.tab` extension default to TAB.
//! - **Quotes**: standard quoting (default) accepts `"…"` and `'…'` when the quote is the first and the last
//!   non-blank character of the value; a doubled quote inside stands for one; quoted values stay on one line.
//!   `msq` (modern style quoting) also lets `"…"` values span lines. `no quotes` takes quotes literally.
//! - Empty and blank-only lines are skipped; `\r\n`, `\n` and `\r` end lines. Ragged records are padded
//!   with NULL or truncated to the number of labels.
//! - Files: `header is n lines` skips lines before the labels, `comment is 'x'` skips lines starting with
//!   `x`, the EOF character (0x1A) ends the data unless `no eof`.
//!
//! Values are kept verbatim (no trimming, no case change: rules S4/S5 are the runner's). A value whose text,
//! without surrounding ASCII spaces, reads as a plain number is a dual of its verbatim text and that number,
//! so `01` stays `01`.

use super::{field_names, file_origins, Loaded, SourceError};
use crate::model::value::parse_number;
use crate::model::{ColumnBuilder, Origins, Value};
use crate::syntax::FormatItem;
use std::borrow::Cow;
use std::sync::Arc;

/// How values are separated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delimiter {
    /// A fixed, non-empty string (usually one character).
    Str(String),
    /// Runs of spaces and tabs (`delimiter is spaces`).
    Spaces,
}

/// Which quotes are honoured.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quoting {
    /// `"…"` or `'…'` around a value, on one line.
    Standard,
    /// `msq`: as standard, and `"…"` may span lines.
    Msq,
    /// `no quotes`
    None,
}

/// Which labels the first record holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Labels {
    Embedded,
    /// `no labels` / `explicit labels`: fields are `@1`, `@2`, …
    None,
}

/// The text-relevant part of a format specification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TextFormat {
    pub delimiter: Delimiter,
    pub quoting: Quoting,
    pub labels: Labels,
    pub header_lines: usize,
    pub comment: Option<String>,
    /// Stop at the first 0x1A character (Qlik's default for files; `no eof` turns it off).
    pub eof_char: bool,
}

impl Default for TextFormat {
    fn default() -> Self {
        TextFormat {
            delimiter: Delimiter::Str(",".into()),
            quoting: Quoting::Standard,
            labels: Labels::Embedded,
            header_lines: 0,
            comment: None,
            eof_char: false,
        }
    }
}

/// Interpret a `delimiter is …` argument as written in the script.
pub fn parse_delimiter(raw: &str) -> Result<Delimiter, SourceError> {
    let t = raw.trim();
    // Tolerate the quotes if the parser left them in.
    let t = strip_quotes(t);
    let lower = t.to_ascii_lowercase();
    let d = match lower.as_str() {
        "spaces" | "space" => return Ok(Delimiter::Spaces),
        "tab" | "\\t" => "\t".to_string(),
        "" => {
            return Err(SourceError::Unsupported(
                "an empty `delimiter is ''`".into(),
            ))
        }
        _ => unescape(t),
    };
    if d.is_empty() {
        return Err(SourceError::Unsupported(format!("delimiter `{raw}`")));
    }
    Ok(Delimiter::Str(d))
}

fn strip_quotes(t: &str) -> &str {
    for q in ['\'', '"'] {
        if t.len() >= 2 && t.starts_with(q) && t.ends_with(q) {
            return &t[1..t.len() - 1];
        }
    }
    t
}

/// `\t`, `\n`, `\r`, `\\` escapes in a delimiter.
fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('t') => out.push('\t'),
                Some('n') => out.push('\n'),
                Some('r') => out.push('\r'),
                Some('\\') => out.push('\\'),
                Some(o) => {
                    out.push('\\');
                    out.push(o)
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Build a [`TextFormat`] from format items, starting from `base`. Items that do not concern text layout
/// (file type, codepage, table is, …) are ignored here.
pub fn text_format(format: &[FormatItem], base: TextFormat) -> Result<TextFormat, SourceError> {
    let mut f = base;
    for item in format {
        match item {
            FormatItem::EmbeddedLabels => f.labels = Labels::Embedded,
            FormatItem::ExplicitLabels | FormatItem::NoLabels => f.labels = Labels::None,
            FormatItem::Delimiter(d) => f.delimiter = parse_delimiter(d)?,
            FormatItem::Msq => f.quoting = Quoting::Msq,
            FormatItem::NoQuotes => f.quoting = Quoting::None,
            FormatItem::HeaderLines(n) => f.header_lines = *n as usize,
            FormatItem::CommentIs(c) => {
                let c = strip_quotes(c.trim());
                f.comment = if c.is_empty() {
                    None
                } else {
                    Some(c.to_string())
                };
            }
            FormatItem::NoEof => f.eof_char = false,
            FormatItem::RecordLines(n) if *n > 1 => {
                return Err(SourceError::Unsupported(format!("`record is {n} lines`")));
            }
            FormatItem::HeaderOther(h) => {
                return Err(SourceError::Unsupported(format!(
                    "`header is {h}` (only `header is n lines`)"
                )));
            }
            // `filters(…)` and other transformations change the data: refuse rather than load it wrong.
            FormatItem::Other(o) => {
                return Err(SourceError::Unsupported(format!("the format option `{o}`")));
            }
            _ => {}
        }
    }
    Ok(f)
}

/// One parsed record: its cells and the 1-based line it started on.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    pub line: usize,
    pub cells: Vec<String>,
}

/// Split text into records per the format (header lines, comments and blank lines removed).
pub fn split_records(text: &str, fmt: &TextFormat) -> Vec<Record> {
    let mut out = Vec::new();
    for_each_record(text, fmt, |line, cells| {
        out.push(Record {
            line,
            cells: cells.into_iter().map(Cow::into_owned).collect(),
        })
    });
    out
}

/// Call `f` with each record (its 1-based first line and its cells) per the format, without keeping them:
/// unquoted cells borrow from `text`.
pub(crate) fn for_each_record<'a>(
    text: &'a str,
    fmt: &'a TextFormat,
    f: impl FnMut(usize, Vec<Cow<'a, str>>),
) -> Option<(usize, usize)> {
    for_each_record_at(text, fmt, &mut |_| {}, f)
}

/// [`for_each_record`], telling `at` the byte position reached every 1024 records (for progress).
pub(crate) fn for_each_record_at<'a>(
    text: &'a str,
    fmt: &'a TextFormat,
    at: &mut dyn FnMut(usize),
    mut f: impl FnMut(usize, Vec<Cow<'a, str>>),
) -> Option<(usize, usize)> {
    let text = if fmt.eof_char {
        match text.find('\u{1a}') {
            Some(i) => &text[..i],
            None => text,
        }
    } else {
        text
    };
    let mut p = Parser {
        s: text,
        pos: 0,
        line: 1,
        fmt,
        unclosed: None,
    };
    p.skip_lines(fmt.header_lines);
    let mut records = 0usize;
    while p.pos < p.s.len() {
        let line = p.line;
        let rest = &p.s[p.pos..];
        let (first_line, _) = split_line(rest);
        if first_line.trim().is_empty() {
            p.skip_lines(1);
            continue;
        }
        if let Some(c) = &fmt.comment {
            if first_line.starts_with(c.as_str()) {
                p.skip_lines(1);
                continue;
            }
        }
        let cells = p.record();
        f(line, cells);
        records += 1;
        if records % 1024 == 0 {
            at(p.pos);
        }
    }
    p.unclosed
}

/// The first line of `s` (without its terminator) and the length of the terminator (0 at the end).
fn split_line(s: &str) -> (&str, usize) {
    match s.find(['\n', '\r']) {
        Some(i) => {
            let b = s.as_bytes();
            let term = if b.get(i) == Some(&b'\r') && b.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            (&s[..i], term)
        }
        None => (s, 0),
    }
}

struct Parser<'a> {
    s: &'a str,
    pos: usize,
    line: usize,
    fmt: &'a TextFormat,
    /// The first `msq` quote that the text never closes: (line, column), both 1-based.
    unclosed: Option<(usize, usize)>,
}

enum End {
    Delim,
    Eol,
}

impl<'a> Parser<'a> {
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }

    fn skip_lines(&mut self, n: usize) {
        for _ in 0..n {
            if self.pos >= self.s.len() {
                return;
            }
            let (l, t) = split_line(self.rest());
            self.pos += l.len() + t;
            self.line += 1;
        }
    }

    fn is_blank(&self, c: char) -> bool {
        match &self.fmt.delimiter {
            Delimiter::Spaces => c == ' ' || c == '\t',
            Delimiter::Str(d) => c == ' ' && d != " ",
        }
    }

    /// At the current position, is there a delimiter? Returns its length.
    fn delim_at(&self, at: usize) -> Option<usize> {
        let r = self.s.get(at..)?;
        match &self.fmt.delimiter {
            Delimiter::Str(d) => r.starts_with(d.as_str()).then_some(d.len()),
            Delimiter::Spaces => {
                let n = r.len() - r.trim_start_matches([' ', '\t']).len();
                (n > 0).then_some(n)
            }
        }
    }

    /// Is there a line end (or the end of text) at `at`? Returns the terminator length.
    fn eol_at(&self, at: usize) -> Option<usize> {
        let b = self.s.as_bytes();
        match b.get(at) {
            None => Some(0),
            Some(b'\n') => Some(1),
            Some(b'\r') => Some(if b.get(at + 1) == Some(&b'\n') { 2 } else { 1 }),
            _ => None,
        }
    }

    fn record(&mut self) -> Vec<Cow<'a, str>> {
        let mut cells = Vec::new();
        if self.fmt.delimiter == Delimiter::Spaces {
            // Leading blanks are not an empty first field.
            let r = self.rest();
            self.pos += r.len() - r.trim_start_matches([' ', '\t']).len();
        }
        loop {
            let (cell, end) = self.field();
            cells.push(cell);
            match end {
                End::Delim => {
                    // `spaces`: blanks before the line end are not one more field.
                    if self.fmt.delimiter == Delimiter::Spaces {
                        if let Some(t) = self.eol_at(self.pos) {
                            self.pos += t;
                            if t > 0 {
                                self.line += 1;
                            }
                            break;
                        }
                    }
                }
                End::Eol => break,
            }
        }
        cells
    }

    /// Parse one field starting at `pos`; leave `pos` after its delimiter or line end.
    fn field(&mut self) -> (Cow<'a, str>, End) {
        let start = self.pos;
        if self.fmt.quoting != Quoting::None {
            let mut j = start;
            while let Some(c) = self.s.get(j..).and_then(|r| r.chars().next()) {
                if self.is_blank(c) && self.delim_at(j).is_none() {
                    j += c.len_utf8();
                } else {
                    break;
                }
            }
            if let Some(q) = self
                .s
                .get(j..)
                .and_then(|r| r.chars().next())
                .filter(|c| *c == '"' || *c == '\'')
            {
                let multiline = self.fmt.quoting == Quoting::Msq && q == '"';
                if let Some((cell, end)) = self.quoted(j, q, multiline) {
                    return (Cow::Owned(cell), end);
                }
            }
        }
        // Unquoted: up to the delimiter or line end, verbatim.
        let mut i = start;
        loop {
            if let Some(t) = self.eol_at(i) {
                let cell = Cow::Borrowed(&self.s[start..i]);
                self.pos = i + t;
                if t > 0 {
                    self.line += 1;
                }
                return (cell, End::Eol);
            }
            if let Some(d) = self.delim_at(i) {
                let cell = Cow::Borrowed(&self.s[start..i]);
                self.pos = i + d;
                return (cell, End::Delim);
            }
            i += self.s[i..].chars().next().map(char::len_utf8).unwrap_or(1);
        }
    }

    /// A quoted value opening at `open` with quote `q`. `None` when it is not a well-formed quoted value
    /// (no closing quote, or text after the closing quote): the caller then reads it unquoted.
    fn quoted(&mut self, open: usize, q: char, multiline: bool) -> Option<(String, End)> {
        let mut val = String::new();
        let mut i = open + q.len_utf8();
        let mut lines = 0usize;
        loop {
            let Some(c) = self.s.get(i..).and_then(|r| r.chars().next()) else {
                // The text ends inside a quote that may span lines: Qlik would read the rest of the
                // file into this value; reading it unquoted instead would be a guess.
                if multiline && self.unclosed.is_none() {
                    let line_start = self.s[..open].rfind(['\n', '\r']).map_or(0, |n| n + 1);
                    let column = self.s[line_start..open].chars().count() + 1;
                    self.unclosed = Some((self.line, column));
                }
                return None;
            };
            if c == q {
                if self.s[i + 1..].starts_with(q) {
                    val.push(q);
                    i += 2;
                    continue;
                }
                i += 1;
                break;
            }
            if (c == '\n' || c == '\r') && !multiline {
                return None;
            }
            if c == '\n' || (c == '\r' && !self.s[i + 1..].starts_with('\n')) {
                lines += 1;
            }
            val.push(c);
            i += c.len_utf8();
        }
        // Only blanks may follow the closing quote before the delimiter or line end.
        loop {
            if let Some(t) = self.eol_at(i) {
                self.pos = i + t;
                self.line += lines + usize::from(t > 0);
                return Some((val, End::Eol));
            }
            if let Some(d) = self.delim_at(i) {
                self.pos = i + d;
                self.line += lines;
                return Some((val, End::Delim));
            }
            let c = self.s[i..].chars().next()?;
            if self.is_blank(c) {
                i += 1;
            } else {
                return None;
            }
        }
    }
}

/// A value as read from a text source: the verbatim text, with a number when the text (without
/// surrounding ASCII spaces) reads as one.
pub fn loaded_value(s: &str) -> Value {
    match parse_number(s.trim_matches(' ')) {
        Some(n) => Value::Dual(n, Arc::from(s)),
        None => Value::Str(Arc::from(s)),
    }
}

/// Text → a [`Loaded`] table per the format: each column interned by text, so a value is built once per
/// distinct text of its column. `path` is used for row origins (files) and messages; `None` for INLINE.
pub fn to_loaded(text: &str, fmt: &TextFormat, path: Option<&str>) -> Result<Loaded, SourceError> {
    to_loaded_with(text, fmt, path, &mut |_| {})
}

/// [`to_loaded`], telling `at` the byte position of `text` reached, now and then (for progress).
pub fn to_loaded_with(
    text: &str,
    fmt: &TextFormat,
    path: Option<&str>,
    at: &mut dyn FnMut(usize),
) -> Result<Loaded, SourceError> {
    let mut header: Option<Vec<String>> = None;
    let mut columns: Vec<ColumnBuilder> = Vec::new();
    let mut rows = 0usize;
    let mut first = fmt.labels == Labels::Embedded;
    let unclosed = for_each_record_at(text, fmt, at, |_, cells| {
        if first {
            first = false;
            columns = (0..cells.len()).map(|_| ColumnBuilder::new()).collect();
            header = Some(cells.into_iter().map(Cow::into_owned).collect());
            return;
        }
        if header.is_none() && cells.len() > columns.len() {
            // No labels: the table is as wide as its widest record.
            columns.resize_with(cells.len(), || {
                let mut b = ColumnBuilder::new();
                b.push_nulls(rows);
                b
            });
        }
        let mut cells = cells.into_iter();
        for b in columns.iter_mut() {
            match cells.next() {
                Some(c) => b.push_text(&c, loaded_value),
                None => b.push_null(),
            }
        }
        rows += 1;
    });
    if let (Some((line, column)), Some(p)) = (unclosed, path) {
        return Err(SourceError::Format {
            path: p.to_string(),
            reason: format!(
                "line {line}, column {column}: a quote opens a value that is never closed (`msq` lets \
                 a quoted value span lines, so the rest of the file would be that one value)"
            ),
        });
    }
    let header = match (fmt.labels, header) {
        // A file with embedded labels but not even a header line (empty, or an end-of-file character
        // first): Qlik's load of it fails; reading it as a table of no fields would hide that.
        (Labels::Embedded, None) if path.is_some() => {
            return Err(SourceError::Format {
                path: path.unwrap_or_default().to_string(),
                reason: "the file is empty: no field names (embedded labels) and no records".into(),
            })
        }
        (Labels::Embedded, None) => Some(Vec::new()),
        (_, h) => h,
    };
    let fields = field_names(
        header.as_deref(),
        columns.len(),
        &|i| format!("@{}", i + 1),
        path,
    )?;
    let origins = match path {
        Some(p) => file_origins(p, rows),
        None => Origins::new(),
    };
    Ok(Loaded {
        fields,
        columns: columns.into_iter().map(ColumnBuilder::finish).collect(),
        rows,
        origins,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `msq`: a quote the file never closes is refused with its line and column (files only; a quote
    /// closed on a later line is a value spanning lines).
    #[test]
    fn msq_quote_never_closed() {
        let fmt = TextFormat {
            quoting: Quoting::Msq,
            ..TextFormat::default()
        };
        let e = to_loaded("A,B\r\nx,\"y\r\nz,w\r\n", &fmt, Some("f.csv"))
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("line 2, column 3") && e.contains("never closed"),
            "{e}"
        );
        let ok = to_loaded("A,B\r\nx,\"y\r\nz\",w\r\n", &fmt, Some("f.csv")).expect("closed later");
        assert_eq!(ok.rows, 1);
        // Standard quoting: the quote is literal, as before.
        assert!(to_loaded("A,B\nx,\"y\n", &TextFormat::default(), Some("f.csv")).is_ok());
    }

    fn recs(text: &str, fmt: &TextFormat) -> Vec<Vec<String>> {
        split_records(text, fmt)
            .into_iter()
            .map(|r| r.cells)
            .collect()
    }

    fn v(x: &[&str]) -> Vec<String> {
        x.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn splits_plain_lines() {
        let f = TextFormat::default();
        assert_eq!(
            recs("a,b\r\n1, 2\n\n  \n3,\n", &f),
            vec![v(&["a", "b"]), v(&["1", " 2"]), v(&["3", ""])]
        );
    }

    #[test]
    fn standard_quotes() {
        let f = TextFormat::default();
        assert_eq!(
            recs("\"a,b\", 'c''d' ,O'Brien,\"x\"y\n", &f),
            vec![v(&["a,b", "c'd", "O'Brien", "\"x\"y"])]
        );
        // Standard quotes do not span lines: the quote is literal.
        assert_eq!(recs("\"a\nb\"\n", &f), vec![v(&["\"a"]), v(&["b\""])]);
    }

    #[test]
    fn msq_spans_lines() {
        let f = TextFormat {
            quoting: Quoting::Msq,
            ..Default::default()
        };
        let r = split_records("x,y\n\"line1\nline2\",2\nz,3\n", &f);
        assert_eq!(r.len(), 3);
        assert_eq!(r[1].cells, v(&["line1\nline2", "2"]));
        assert_eq!(r[2].line, 4);
    }

    #[test]
    fn no_quotes_keeps_them() {
        let f = TextFormat {
            quoting: Quoting::None,
            ..Default::default()
        };
        assert_eq!(recs("\"a\",'b'\n", &f), vec![v(&["\"a\"", "'b'"])]);
    }

    #[test]
    fn spaces_delimiter() {
        let f = TextFormat {
            delimiter: Delimiter::Spaces,
            ..Default::default()
        };
        assert_eq!(
            recs("  a   b\tc  \nd e\n", &f),
            vec![v(&["a", "b", "c"]), v(&["d", "e"])]
        );
    }

    #[test]
    fn header_comment_eof() {
        let f = TextFormat {
            header_lines: 2,
            comment: Some("#".into()),
            eof_char: true,
            ..Default::default()
        };
        assert_eq!(
            recs("junk\njunk,2\na\n#c\nb\n\u{1a}c\n", &f),
            vec![v(&["a"]), v(&["b"])]
        );
    }

    #[test]
    fn delimiters_parse() {
        assert_eq!(parse_delimiter("\\t"), Ok(Delimiter::Str("\t".into())));
        assert_eq!(parse_delimiter("tab"), Ok(Delimiter::Str("\t".into())));
        assert_eq!(parse_delimiter("'|'"), Ok(Delimiter::Str("|".into())));
        assert_eq!(parse_delimiter("spaces"), Ok(Delimiter::Spaces));
        assert!(parse_delimiter("").is_err());
    }
}
