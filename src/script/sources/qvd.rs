//! QVD files (Qlik's own table format), read with the `openqvd` crate.
//!
//! Why `openqvd` and not `qvd` (both were run on QVDs written by Qlik Sense, see
//! `fixtures/data/qvd/SOURCES.md`): both decode those files identically (names, row counts, every cell,
//! duals such as text `10.0` with number 10, NULLs through a negative bias), but on 6,000 mutated copies
//! `qvd` 0.7 panicked 12 times (unchecked shifts, indexing and arithmetic on header values) while
//! `openqvd` 2.0 never did and rejected more corrupt files outright (checked arithmetic, bit-field
//! coverage, symbol-table length, out-of-range symbol indices as errors). qsa must not panic on user files
//! and must fail closed, so the strict reader wins. Licence Apache-2.0; dependencies `quick-xml`,
//! `thiserror`.
//!
//! Values: a QVD symbol is an integer, a float, a text, or a dual (number + text); each maps to the
//! [`Value`] of the same shape, so a dual keeps Qlik's text exactly. An index below zero (through the
//! field's bias) is NULL.

use super::{Loaded, SourceError};
use crate::model::Value;
use std::path::Path;

/// Largest `RecordByteSize` accepted (a record holds one bit-packed symbol index per field).
const MAX_RECORD_BYTES: u64 = 1 << 16;

/// Read a QVD file: field names, and every cell as Qlik stored it (duals keep text and number; NULL stays
/// NULL).
pub fn read_qvd(path: &Path) -> Result<Loaded, SourceError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| SourceError::Open {
        path: shown.clone(),
        reason: e.to_string(),
    })?;
    read_qvd_bytes(bytes, &shown)
}

/// Read QVD content already in memory; `shown` names it in errors and row origins.
pub fn read_qvd_bytes(bytes: Vec<u8>, shown: &str) -> Result<Loaded, SourceError> {
    let fmt_err = |reason: String| SourceError::Format {
        path: shown.to_string(),
        reason,
    };
    precheck(&bytes).map_err(&fmt_err)?;
    // `openqvd` checks structure with checked arithmetic; the unwind guard is a second line of defence so
    // that no corrupt file can bring the tool down.
    let decoded =
        std::panic::catch_unwind(move || -> Result<(Vec<String>, Vec<Vec<Value>>), String> {
            let q = openqvd::Qvd::from_bytes(bytes).map_err(|e| e.to_string())?;
            let fields: Vec<String> = q.fields().iter().map(|f| f.name.clone()).collect();
            let mut rows = Vec::new();
            for r in q.checked_rows() {
                let r = r.map_err(|e| e.to_string())?;
                rows.push(r.into_iter().map(cell).collect());
            }
            Ok((fields, rows))
        });
    let (fields, rows) = match decoded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(fmt_err(format!("not a readable QVD file: {e}"))),
        Err(_) => {
            return Err(fmt_err(
                "not a readable QVD file (the QVD decoder failed)".into(),
            ))
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for f in &fields {
        if !seen.insert(f.as_str()) {
            return Err(fmt_err(format!("field `{f}` appears twice")));
        }
    }
    let origins = super::file_origins(shown, rows.len());
    Ok(Loaded {
        fields,
        rows,
        origins,
    })
}

fn cell(c: Option<openqvd::Value>) -> Value {
    match c {
        None => Value::Null,
        Some(openqvd::Value::Int(i)) => Value::num(i as f64),
        Some(openqvd::Value::Float(f)) => Value::num(f),
        Some(openqvd::Value::Str(s)) => Value::str(s),
        Some(openqvd::Value::DualInt(d)) => Value::dual(d.number as f64, d.text),
        Some(openqvd::Value::DualFloat(d)) => {
            if d.number.is_nan() {
                Value::str(d.text)
            } else {
                Value::dual(d.number, d.text)
            }
        }
    }
}

/// What a QVD's XML header says, for `QvdCreateTime`, `QvdNoOfRecords`, `QvdNoOfFields`,
/// `QvdFieldName` and `QvdTableName` (read without decoding the data).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QvdHeader {
    pub table_name: String,
    pub create_time: String,
    pub fields: Vec<String>,
    pub records: u64,
}

/// Read a QVD file's header only.
pub fn read_qvd_header(path: &Path) -> Result<QvdHeader, SourceError> {
    use std::io::Read;
    let shown = path.display().to_string();
    let open = |e: std::io::Error| SourceError::Open {
        path: shown.clone(),
        reason: e.to_string(),
    };
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .map_err(open)?
        .take(MAX_HEADER_BYTES)
        .read_to_end(&mut bytes)
        .map_err(open)?;
    let end = bytes.iter().position(|b| *b == 0).unwrap_or(bytes.len());
    let header = String::from_utf8_lossy(&bytes[..end]);
    let Some(close) = header.find("</QvdTableHeader>") else {
        return Err(SourceError::Format {
            path: shown,
            reason: "no complete <QvdTableHeader> (not a QVD file)".into(),
        });
    };
    let header = &header[..close];
    let text = |h: &str, tag: &str| -> String {
        let open = format!("<{tag}>");
        h.find(&open)
            .and_then(|i| {
                let rest = &h[i + open.len()..];
                rest.find(&format!("</{tag}>"))
                    .map(|j| rest[..j].to_string())
            })
            .unwrap_or_default()
    };
    let (fields_part, tail) = match header.rfind("</Fields>") {
        Some(i) => (&header[..i], &header[i..]),
        None => ("", header),
    };
    Ok(QvdHeader {
        table_name: text(header, "TableName"),
        create_time: text(header, "CreateUtcTime"),
        fields: fields_part
            .split("<QvdFieldHeader>")
            .skip(1)
            .map(|f| text(f, "FieldName"))
            .collect(),
        records: tag_values(tail, "NoOfRecords")
            .first()
            .copied()
            .unwrap_or(0),
    })
}

/// How much of a file `read_qvd_header` reads at most.
const MAX_HEADER_BYTES: u64 = 64 * 1024 * 1024;

/// Cheap sanity checks on the XML header before decoding, so that a crafted header cannot ask the
/// decoder for absurd allocations or bit widths.
fn precheck(bytes: &[u8]) -> Result<(), String> {
    let end = bytes
        .iter()
        .position(|b| *b == 0)
        .ok_or("no header terminator (not a QVD file)")?;
    let header = std::str::from_utf8(&bytes[..end])
        .map_err(|_| "the XML header is not UTF-8".to_string())?;
    if !header.contains("<QvdTableHeader") {
        return Err("no <QvdTableHeader> (not a QVD file)".into());
    }
    let body = (bytes.len() - end - 1) as u64;
    for w in tag_values(header, "BitWidth") {
        if w > 32 {
            return Err(format!("a field has BitWidth {w} (more than 32)"));
        }
    }
    let tail = header.rsplit("</Fields>").next().unwrap_or("");
    let rbs = tag_values(tail, "RecordByteSize")
        .first()
        .copied()
        .unwrap_or(0);
    let n = tag_values(tail, "NoOfRecords")
        .first()
        .copied()
        .unwrap_or(0);
    if rbs > MAX_RECORD_BYTES {
        return Err(format!("RecordByteSize {rbs} is implausibly large"));
    }
    if rbs.checked_mul(n).map(|total| total > body).unwrap_or(true) {
        return Err(format!("{n} records of {rbs} bytes do not fit in the file"));
    }
    if rbs == 0 && n > 10_000_000 {
        return Err(format!("{n} zero-width records"));
    }
    Ok(())
}

/// Every `<tag>number</tag>` value in `xml` (non-numbers are skipped; the decoder will reject them).
fn tag_values(xml: &str, tag: &str) -> Vec<u64> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(i) = rest.find(&open) {
        rest = &rest[i + open.len()..];
        if let Some(j) = rest.find(&close) {
            if let Ok(v) = rest[..j].trim().parse::<u64>() {
                out.push(v);
            } else if rest[..j].trim().starts_with('-') || rest[..j].trim().len() > 18 {
                out.push(u64::MAX);
            }
            rest = &rest[j + close.len()..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_non_qvd() {
        assert!(read_qvd_bytes(b"hello".to_vec(), "x").is_err());
        assert!(read_qvd_bytes(b"<QvdTableHeader>\0".to_vec(), "x").is_err());
        assert!(read_qvd_bytes(Vec::new(), "x").is_err());
    }

    #[test]
    fn tag_values_reads_numbers() {
        assert_eq!(
            tag_values("<A>1</A><A> 2 </A><A>x</A><A>-1</A>", "A"),
            vec![1, 2, u64::MAX]
        );
    }
}
