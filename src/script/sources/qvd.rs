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
//!
//! A QVD is already dictionary-encoded: each field's symbol table becomes the column's dict (one
//! [`Value`] per symbol) and the bit-packed record indexes become its ids; no value is built per cell.

use super::{Loaded, SourceError};
use crate::limits::Budget;
use crate::model::{Column, ColumnBuilder, Value, NULL_ID};
use std::path::Path;

/// Largest `RecordByteSize` accepted (a record holds one bit-packed symbol index per field).
const MAX_RECORD_BYTES: u64 = 1 << 16;
/// Most records of a QVD whose records take no bytes (every field has one value): nothing in the file
/// bounds their number.
const MAX_ZERO_WIDTH_RECORDS: u64 = 10_000_000;

/// Read a QVD file: field names, and every cell as Qlik stored it (duals keep text and number; NULL stays
/// NULL).
pub fn read_qvd(path: &Path) -> Result<Loaded, SourceError> {
    read_qvd_budgeted(path, &Budget::default())
}

/// [`read_qvd`] within a memory budget (`--max-memory`): the file (held twice while it is decoded), and
/// the 4 bytes per record and field its header declares, must fit before anything is decoded.
pub fn read_qvd_budgeted(path: &Path, budget: &Budget) -> Result<Loaded, SourceError> {
    let shown = path.display().to_string();
    let bytes = super::read_budgeted(path, 2, budget)?;
    if let Ok((records, fields)) = declared_shape(&bytes) {
        let ids = records.saturating_mul(fields).saturating_mul(4);
        budget
            .check(ids.saturating_add(2 * bytes.len() as u64), || {
                format!("reading `{shown}` ({records} records of {fields} fields)")
            })
            .map_err(SourceError::Limit)?;
    }
    read_qvd_bytes(bytes, &shown)
}

/// (records, fields) as the XML header declares them.
fn declared_shape(bytes: &[u8]) -> Result<(u64, u64), ()> {
    let end = bytes.iter().position(|b| *b == 0).ok_or(())?;
    let header = std::str::from_utf8(&bytes[..end]).map_err(|_| ())?;
    let (fields, tail) = header.rsplit_once("</Fields>").ok_or(())?;
    let records = tag_values(tail, "NoOfRecords")
        .first()
        .copied()
        .unwrap_or(0);
    Ok((records, fields.matches("<QvdFieldHeader>").count() as u64))
}

/// Read QVD content already in memory; `shown` names it in errors and row origins.
pub fn read_qvd_bytes(bytes: Vec<u8>, shown: &str) -> Result<Loaded, SourceError> {
    let fmt_err = |reason: String| SourceError::Format {
        path: shown.to_string(),
        reason,
    };
    precheck(&bytes).map_err(&fmt_err)?;
    // `openqvd` checks structure with checked arithmetic and decodes the symbol tables; the record
    // indexes are read here from the same bytes. The unwind guard is a second line of defence so that no
    // corrupt file can bring the tool down.
    let decoded =
        std::panic::catch_unwind(move || -> Result<(Vec<String>, Vec<Column>), String> {
            let q = openqvd::Qvd::from_bytes(bytes.clone()).map_err(|e| e.to_string())?;
            let fields: Vec<String> = q.fields().iter().map(|f| f.name.clone()).collect();
            let columns = columns(&q, &bytes)?;
            Ok((fields, columns))
        });
    let (fields, columns) = match decoded {
        Ok(Ok(x)) => x,
        Ok(Err(e)) => return Err(fmt_err(format!("not a readable QVD file: {e}"))),
        Err(p) => {
            return Err(fmt_err(format!(
                "not a readable QVD file ({})",
                super::decoder_failed("QVD", &*p)
            )))
        }
    };
    let mut seen = std::collections::BTreeSet::new();
    for f in &fields {
        if !seen.insert(f.as_str()) {
            return Err(fmt_err(format!("field `{f}` appears twice")));
        }
    }
    let n = columns.first().map(Column::len).unwrap_or(0);
    let origins = super::file_origins(shown, n);
    Ok(Loaded::new(fields, columns, origins))
}

/// Every field as a column: the symbol table as the dict (symbols that read as the same value merged,
/// a NaN float read as NULL), each record's bit-packed index translated through it.
fn columns(q: &openqvd::Qvd, bytes: &[u8]) -> Result<Vec<Column>, String> {
    let h = q.header();
    let rbs = h.record_byte_size as usize;
    let n = h.no_of_records as usize;
    let block = bytes
        .get(q.header_size()..)
        .and_then(|body| body.get(h.row_block_offset as usize..))
        .and_then(|b| b.get(..rbs.checked_mul(n)?))
        .ok_or("the row block lies outside the file")?;
    let mut out = Vec::with_capacity(h.fields.len());
    for (fi, f) in h.fields.iter().enumerate() {
        let symbols = q.symbols(fi).unwrap_or(&[]);
        let mut b = ColumnBuilder::new();
        for s in symbols {
            b.push_value(cell(Some(s.clone())));
        }
        let (dict, translate) = b.finish().into_parts();
        unreachable_symbols(&f.name, symbols.len(), f.bit_width, f.bias)?;
        let mut ids = Vec::with_capacity(n);
        for r in 0..n {
            let rec = block.get(r * rbs..(r + 1) * rbs).unwrap_or(&[]);
            let stored = if f.bit_width == 0 {
                0
            } else {
                bits(rec, f.bit_offset, f.bit_width) as i128
            };
            let index = stored + f.bias as i128;
            if index < 0 {
                ids.push(NULL_ID);
                continue;
            }
            match usize::try_from(index).ok().and_then(|i| translate.get(i)) {
                Some(&id) => ids.push(id),
                None => {
                    return Err(format!(
                        "row {r}: field {:?} symbol index {index} is out of range (n={})",
                        f.name,
                        symbols.len()
                    ))
                }
            }
        }
        out.push(Column::from_parts(dict, ids));
    }
    Ok(out)
}

/// A field whose bit width cannot address all its symbols: indexes run from `bias` to
/// `2^width - 1 + bias`, and Qlik writes the width its symbols need, so a symbol out of that reach means
/// a lying header (`BitWidth` 0 on a field of two symbols makes every record read the first one).
fn unreachable_symbols(name: &str, symbols: usize, width: u32, bias: i32) -> Result<(), String> {
    let highest = (1i128 << width.min(64)) - 1 + i128::from(bias);
    let last = symbols as i128 - 1;
    if symbols > 0 && last > highest {
        return Err(format!(
            "field `{name}` has {symbols} symbols but BitWidth {width} and Bias {bias} reach only indexes up to {highest}: the header does not match the symbol table"
        ));
    }
    Ok(())
}

/// Bits `offset..offset + width` of a little-endian record (width at most 32, checked by `precheck`;
/// bits past the record read as 0).
fn bits(rec: &[u8], offset: u32, width: u32) -> u64 {
    let start = (offset / 8) as usize;
    let shift = offset % 8;
    let mut chunk: u64 = 0;
    for i in 0..5usize {
        if let Some(&b) = rec.get(start + i) {
            chunk |= u64::from(b) << (8 * i);
        }
    }
    let mask = if width >= 64 {
        u64::MAX
    } else {
        (1u64 << width) - 1
    };
    (chunk >> shift) & mask
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
    if header.contains("<!DOCTYPE") || header.contains("<!ENTITY") {
        return Err(
            "the XML header has a DOCTYPE (Qlik never writes one; qsa reads no DTD or entity)"
                .into(),
        );
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
        return Err(format!(
            "RecordByteSize {rbs} is more than the {MAX_RECORD_BYTES} bytes per record qsa reads (a fixed limit)"
        ));
    }
    if rbs.checked_mul(n).map(|total| total > body).unwrap_or(true) {
        return Err(format!(
            "the header declares {n} records of {rbs} bytes, which do not fit in the file's {body} bytes of data"
        ));
    }
    if rbs == 0 && n > MAX_ZERO_WIDTH_RECORDS {
        return Err(format!(
            "the header declares {n} records of 0 bytes, more than the {MAX_ZERO_WIDTH_RECORDS} qsa reads from a QVD without record data (a fixed limit)"
        ));
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
    fn refuses_a_doctype_and_symbols_out_of_reach() {
        let read = |b: &[u8]| {
            read_qvd_bytes(b.to_vec(), "t.qvd")
                .err()
                .map(|e| e.to_string())
        };
        assert_eq!(
            read(include_bytes!(
                "../../../tests/data/malformed/qvd/valid.qvd"
            )),
            None
        );
        let e = read(include_bytes!(
            "../../../tests/data/malformed/qvd/header_external_entity.qvd"
        ));
        assert!(e.is_some_and(|e| e.contains("DOCTYPE")));
        let e = read(include_bytes!(
            "../../../tests/data/malformed/qvd/bit_width_0_two_symbols.qvd"
        ));
        assert!(e.is_some_and(|e| e.contains("field `ACCESS` has 2 symbols but BitWidth 0")));
        // Width 0 on a single symbol (a constant field), and a nullable field's bias, are fine.
        assert!(unreachable_symbols("F", 1, 0, 0).is_ok());
        assert!(unreachable_symbols("F", 0, 0, -2).is_ok());
        assert!(unreachable_symbols("F", 2, 2, -2).is_ok());
        assert!(unreachable_symbols("F", 3, 2, -2).is_err());
        assert!(unreachable_symbols("F", 4, 2, 0).is_ok());
        assert!(unreachable_symbols("F", 5, 2, 0).is_err());
    }

    #[test]
    fn rejects_non_qvd() {
        assert!(read_qvd_bytes(b"hello".to_vec(), "x").is_err());
        assert!(read_qvd_bytes(b"<QvdTableHeader>\0".to_vec(), "x").is_err());
        assert!(read_qvd_bytes(Vec::new(), "x").is_err());
    }

    #[test]
    fn bit_fields() {
        let rec = [0b1010_1100u8, 0b0000_0011, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(bits(&rec, 0, 4), 0b1100);
        assert_eq!(bits(&rec, 4, 6), 0b11_1010);
        assert_eq!(bits(&rec, 8, 32), 0xffff_ff03);
        assert_eq!(bits(&rec, 40, 16), 0xff);
    }

    #[test]
    fn tag_values_reads_numbers() {
        assert_eq!(
            tag_values("<A>1</A><A> 2 </A><A>x</A><A>-1</A>", "A"),
            vec![1, 2, u64::MAX]
        );
    }
}
