//! Parquet files through polars.
//!
//! Strings stay text (never re-read as numbers); integers and floats become numbers; dates and
//! timestamps become Qlik duals (serial number + `YYYY-MM-DD` / `YYYY-MM-DD hh:mm:ss` text); NULLs stay
//! NULL. Other types (booleans, decimals, lists, structs, binary, …) are [`SourceError::Unsupported`]:
//! qsa does not guess how Qlik would show them.

use super::{typed_date, Loaded, SourceError, ISO_DATE, ISO_TIMESTAMP};
use crate::model::{ColumnBuilder, Value};
use polars::prelude::*;
use rayon::prelude::*;
use std::path::Path;

/// Days from 1899-12-30 (Qlik's day 0) to 1970-01-01 (Arrow's).
const UNIX_EPOCH_SERIAL: f64 = 25569.0;

/// Rows decoded at a time (whole row groups, at least this many unless the file ends): the decoded Arrow
/// arrays of one batch are all that is held besides the interned columns.
const BATCH_ROWS: usize = 1 << 20;

/// [`super::parquet_footer::check`] on the file's footer; `Ok` when it cannot be read (polars then
/// reports why).
fn check_footer(mut file: &std::fs::File) -> Result<(), String> {
    use super::parquet_footer::{check, footer_len};
    use std::io::{Read, Seek, SeekFrom};
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let mut last8 = [0u8; 8];
    if size < 8
        || file
            .seek(SeekFrom::End(-8))
            .and_then(|_| file.read_exact(&mut last8))
            .is_err()
    {
        return Ok(());
    }
    let Some(need) = footer_len(&last8).filter(|&n| n <= size) else {
        return Ok(());
    };
    let mut tail = vec![0u8; need as usize];
    let read = file
        .seek(SeekFrom::Start(size - need))
        .and_then(|_| file.read_exact(&mut tail))
        .and_then(|_| file.rewind());
    match read {
        Ok(()) => check(&tail),
        Err(_) => Ok(()),
    }
}

/// Column types qsa does not read, refused from the schema before polars decodes a page, naming the column
/// and its type. polars is built without the features for decimals, 8- and 16-bit integers and 16-bit
/// floats: on a decimal or a float16 column it panics (on its own threads, where the panic prints before
/// qsa's catch turns it into a refusal), on a small integer it fails with a message about the file, not
/// the type. A fixed-size binary or fixed-size list, at any depth, polars decodes into a buffer of its
/// declared size per row, nulls included: a 193-byte file declaring four null values of 2^31 - 1 bytes
/// made it reserve 8 GiB, and larger sizes or more rows abort the process, which `catch_unwind` cannot
/// stop (qsa refused those columns anyway, but only once decoded). `Err`: the reason.
fn refuse_unread_types(metadata: &FileMetadata) -> Result<(), String> {
    check_arrow_schema(metadata)?;
    let schema = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        polars::io::parquet::read::infer_schema(metadata)
    }))
    .map_err(|p| unreadable(&*p))?
    .map_err(|e| format!("not a readable Parquet file: {e}"))?;
    for field in schema.iter_values() {
        if let Some(what) = unread_type(field.dtype()) {
            return Err(format!(
                "column `{}` is {what}, which qsa does not read; write it as a string, a 32- or 64-bit integer or a double",
                field.name
            ));
        }
    }
    Ok(())
}

/// What `dtype` is, when it or a type inside it is one [`refuse_unread_types`] refuses.
fn unread_type(dtype: &ArrowDataType) -> Option<String> {
    Some(match dtype {
        ArrowDataType::Decimal(p, s)
        | ArrowDataType::Decimal32(p, s)
        | ArrowDataType::Decimal64(p, s)
        | ArrowDataType::Decimal256(p, s) => format!("a decimal({p}, {s})"),
        ArrowDataType::Int8 => "an 8-bit integer".into(),
        ArrowDataType::Int16 => "a 16-bit integer".into(),
        ArrowDataType::UInt8 => "an unsigned 8-bit integer".into(),
        ArrowDataType::UInt16 => "an unsigned 16-bit integer".into(),
        ArrowDataType::Float16 => "a 16-bit float".into(),
        ArrowDataType::FixedSizeBinary(n) => format!("a fixed-size binary of {n} bytes"),
        ArrowDataType::FixedSizeList(_, n) => format!("a fixed-size list of {n} values"),
        ArrowDataType::List(f) | ArrowDataType::LargeList(f) | ArrowDataType::Map(f, _) => {
            return unread_type(f.dtype()).map(|t| format!("a list of {t}"))
        }
        ArrowDataType::Struct(fields) => {
            let (name, t) = fields
                .iter()
                .find_map(|f| unread_type(f.dtype()).map(|t| (&f.name, t)))?;
            format!("a struct whose field `{name}` is {t}")
        }
        ArrowDataType::Dictionary(_, values, _) => return unread_type(values),
        ArrowDataType::Extension(e) => return unread_type(&e.inner),
        _ => return None,
    })
}

/// The reason for a refusal when polars panicked (caught), quoting its message.
fn unreadable(panic: &(dyn std::any::Any + Send)) -> String {
    format!(
        "not a readable Parquet file ({})",
        super::decoder_failed("Parquet", panic)
    )
}

/// Types nested in a Parquet file's Arrow schema (`ARROW:schema`) that qsa lets polars read. polars
/// reads that schema recursively, a few stack frames a level: 100,000 levels (a 4 MB footer) overflowed an
/// 8 MiB stack (debug build; a release build on qsa's large stack took more levels). qsa reads flat
/// columns, as with [`super::parquet_footer`]'s limit on the Parquet schema's nesting.
const MAX_ARROW_DEPTH: usize = 32;

/// The Arrow schema writers keep in the footer's key-value metadata (`ARROW:schema`, base64 of an Arrow
/// IPC message, optionally after an 8-byte continuation prefix): polars slices its first 4 bytes, and the 4
/// after the prefix, without checking the length, and panics on a shorter one; it then reads the schema
/// recursively ([`MAX_ARROW_DEPTH`]). Refused here, with the length or the depth, before polars reads
/// it. `Err`: the reason.
fn check_arrow_schema(metadata: &FileMetadata) -> Result<(), String> {
    use base64::Engine as _;
    let values = (metadata.key_value_metadata.iter().flatten())
        .filter(|kv| kv.key == "ARROW:schema")
        .filter_map(|kv| kv.value.as_deref());
    for value in values {
        let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(value) else {
            continue; // polars refuses it with its own error
        };
        let need = if bytes.starts_with(&[255; 4]) { 8 } else { 4 };
        if bytes.len() < need {
            return Err(format!(
                "not a readable Parquet file: the Arrow schema in its footer (`ARROW:schema`) is {} bytes, too short to be one",
                bytes.len()
            ));
        }
        // What polars reads: after the prefix if there is one, else the whole.
        let message = if need == 8 { &bytes[8..] } else { &bytes[..] };
        match arrow_schema_depth(message) {
            ArrowDepth::Within => {}
            ArrowDepth::Deeper => {
                return Err(format!(
                    "not a readable Parquet file: the Arrow schema in its footer (`ARROW:schema`) nests types more than {MAX_ARROW_DEPTH} deep; qsa reads flat columns"
                ))
            }
            ArrowDepth::Shared => {
                return Err(
                    "not a readable Parquet file: the Arrow schema in its footer (`ARROW:schema`) lists more fields than it has bytes for (its fields share children)"
                        .into(),
                )
            }
        }
    }
    Ok(())
}

/// What [`arrow_schema_depth`] found.
#[derive(Debug, PartialEq)]
enum ArrowDepth {
    /// At most [`MAX_ARROW_DEPTH`] deep, or not a schema message (polars refuses that itself).
    Within,
    Deeper,
    /// More fields than the message has bytes for: children vectors pointing at the same fields, a tree
    /// that unfolds exponentially (polars would build every copy).
    Shared,
}

/// How deep the fields of an Arrow IPC schema message nest, walked with a stack of its own (not by
/// recursion) and stopped at the first field past [`MAX_ARROW_DEPTH`].
fn arrow_schema_depth(message: &[u8]) -> ArrowDepth {
    use polars_arrow_format::ipc::{planus::ReadAsRoot, MessageHeaderRef, MessageRef};
    let Ok(msg) = MessageRef::read_as_root(message) else {
        return ArrowDepth::Within;
    };
    let Ok(Some(MessageHeaderRef::Schema(schema))) = msg.header() else {
        return ArrowDepth::Within;
    };
    let Ok(Some(fields)) = schema.fields() else {
        return ArrowDepth::Within;
    };
    // Every field of a tree is its own 4-byte entry in a vector: fields are counted as they are put on
    // the stack, so the stack never holds more than that.
    let mut budget = message.len() / 4 + 1;
    let mut fits = |n: usize| budget.checked_sub(n).map(|b| budget = b).is_some();
    if !fits(fields.len()) {
        return ArrowDepth::Shared;
    }
    let mut open: Vec<_> = fields.iter().flatten().map(|f| (f, 1usize)).collect();
    while let Some((field, depth)) = open.pop() {
        if depth > MAX_ARROW_DEPTH {
            return ArrowDepth::Deeper;
        }
        if let Ok(Some(children)) = field.children() {
            if !fits(children.len()) {
                return ArrowDepth::Shared;
            }
            open.extend(children.iter().flatten().map(|c| (c, depth + 1)));
        }
    }
    ArrowDepth::Within
}

/// [`super::parquet_pages::check`] on every column chunk polars' metadata lists: `Ok` with the bytes
/// decoding the largest row group takes by its page headers.
fn check_pages(
    mut file: &std::fs::File,
    metadata: &polars::io::parquet::read::FileMetadata,
) -> Result<u64, String> {
    use super::parquet_pages::{check, Chunk, Group};
    let size = file
        .metadata()
        .map(|m| m.len())
        .map_err(|e| e.to_string())?;
    let groups: Vec<Group> = (metadata.row_groups.iter())
        .map(|g| Group {
            num_rows: i64::try_from(g.num_rows()).unwrap_or(i64::MAX),
            chunks: (g.parquet_columns().iter())
                .map(|c| Chunk {
                    start: c.dictionary_page_offset().unwrap_or(c.data_page_offset()),
                    len: c.compressed_size(),
                    num_values: c.num_values(),
                })
                .collect(),
        })
        .collect();
    check(&mut file, size, &groups)
}

/// Read a Parquet file, row groups a batch at a time, into dictionary-encoded columns.
pub fn read_parquet(path: &Path) -> Result<Loaded, SourceError> {
    read_parquet_budgeted(path, &crate::limits::Budget::default())
}

/// [`read_parquet`] within a memory budget (`--max-memory`): the rows and columns the footer declares
/// (4 bytes per cell once read), the largest row group decompressed and what its page headers say decoding
/// it takes ([`super::parquet_pages`]) must fit before anything is decoded or reserved.
pub fn read_parquet_budgeted(
    path: &Path,
    budget: &crate::limits::Budget,
) -> Result<Loaded, SourceError> {
    let shown = path.display().to_string();
    let open = || {
        std::fs::File::open(path).map_err(|e| SourceError::Open {
            path: shown.clone(),
            reason: e.to_string(),
        })
    };
    let fmt_err = |reason: String| SourceError::Format {
        path: shown.clone(),
        reason,
    };
    let decoder_failed = |p: Box<dyn std::any::Any + Send>| fmt_err(unreadable(&*p));
    let file = open()?;
    check_footer(&file).map_err(|e| fmt_err(format!("not a readable Parquet file: {e}")))?;
    let metadata = std::panic::catch_unwind(move || {
        let mut reader = ParquetReader::new(file);
        reader.get_metadata().cloned()
    })
    .map_err(decoder_failed)?
    .map_err(|e| fmt_err(format!("not a readable Parquet file: {e}")))?;
    let decoded = check_pages(&open()?, &metadata)
        .map_err(|e| fmt_err(format!("not a readable Parquet file: {e}")))?;
    refuse_unread_types(&metadata).map_err(fmt_err)?;
    let groups = (metadata.row_groups.iter().map(|g| g.num_rows())).fold(0, usize::saturating_add);
    let rows = groups.max(metadata.num_rows) as u64;
    let width = (metadata.row_groups.iter().map(|g| g.n_columns()))
        .chain([metadata.schema().fields().len()])
        .max()
        .unwrap_or(0) as u64;
    let group = (metadata.row_groups.iter().map(|g| g.total_byte_size()))
        .max()
        .unwrap_or(0) as u64;
    budget
        .check(
            rows.saturating_mul(width)
                .saturating_mul(4)
                .saturating_add(group)
                .saturating_add(decoded),
            || format!("reading `{shown}` ({rows} rows of {width} columns)"),
        )
        .map_err(SourceError::Limit)?;
    // Batches of whole row groups: (first row, rows).
    let mut batches: Vec<(usize, usize)> = Vec::new();
    let (mut start, mut len) = (0usize, 0usize);
    for g in &metadata.row_groups {
        len = len.saturating_add(g.num_rows());
        if len >= BATCH_ROWS {
            batches.push((start, len));
            start = start.saturating_add(len);
            len = 0;
        }
    }
    if len > 0 || batches.is_empty() {
        // The rest; for a file without rows, one empty read still checks the column types.
        batches.push((start, len));
    }
    let mut fields: Vec<String> = Vec::new();
    let mut builders: Vec<ColumnBuilder> = Vec::new();
    for (k, &(offset, rows)) in batches.iter().enumerate() {
        let file = open()?;
        let md = metadata.clone();
        let df = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
            let mut reader = ParquetReader::new(file);
            reader.set_metadata(md);
            reader.with_slice(Some((offset, rows))).finish()
        }))
        .map_err(decoder_failed)?
        .map_err(|e| fmt_err(format!("not a readable Parquet file: {e}")))?;
        if k == 0 {
            fields = df
                .get_column_names()
                .iter()
                .map(|s| s.to_string())
                .collect();
            builders = fields
                .iter()
                .map(|_| {
                    let mut b = ColumnBuilder::new();
                    // The rows the row groups hold: the footer's total alone may be anything.
                    b.reserve(groups.min(metadata.num_rows));
                    b
                })
                .collect();
        }
        if df.width() != builders.len() {
            return Err(fmt_err(
                "the row groups do not have the same columns".into(),
            ));
        }
        // Columns are interned independently: one per core.
        df.columns()
            .par_iter()
            .zip(builders.par_iter_mut())
            .map(|(col, b)| push_column(col, b, &shown))
            .collect::<Result<Vec<()>, SourceError>>()?;
    }
    let columns: Vec<_> = builders.into_iter().map(ColumnBuilder::finish).collect();
    let n = columns.first().map(|c| c.len()).unwrap_or(0);
    let origins = super::file_origins(&shown, n);
    Ok(Loaded::new(fields, columns, origins))
}

/// Append one decoded column to its builder, building each distinct value once.
fn push_column(col: &Column, b: &mut ColumnBuilder, shown: &str) -> Result<(), SourceError> {
    let name = col.name().to_string();
    let fmt_err = |e: PolarsError| SourceError::Format {
        path: shown.to_string(),
        reason: format!("column `{name}`: {e}"),
    };
    // The type first: polars materializes a column of nulls (a file without rows reads as one) type by
    // type, and for a struct nested 2,000 deep that took minutes; qsa refuses such a column anyway.
    let dt = col.dtype().clone();
    let readable = matches!(
        dt,
        DataType::String | DataType::Date | DataType::Datetime(..)
    ) || dt.is_integer()
        || dt.is_float();
    let unsupported = || {
        SourceError::Unsupported(format!(
            "Parquet column `{name}` of type {dt} in `{shown}` (qsa reads text, numbers, dates and timestamps)"
        ))
    };
    if !readable {
        return Err(unsupported());
    }
    let s = col.as_materialized_series();
    match &dt {
        DataType::String => each(b, s.str().map_err(fmt_err)?.iter(), |b, t| {
            b.push_text(t, |t| Value::str(t))
        }),
        d if d.is_integer() || d.is_float() => {
            let n = s.cast(&DataType::Float64).map_err(fmt_err)?;
            each(b, n.f64().map_err(fmt_err)?.iter(), |b, n| {
                b.push_number(n, Value::num)
            })
        }
        DataType::Date => {
            let days = s.cast(&DataType::Int32).map_err(fmt_err)?;
            each(b, days.i32().map_err(fmt_err)?.iter(), |b, d| {
                b.push_number(d as f64 + UNIX_EPOCH_SERIAL, |serial| {
                    typed_date(serial, ISO_DATE)
                })
            })
        }
        DataType::Datetime(unit, _) => {
            let per_day = match unit {
                TimeUnit::Nanoseconds => 86_400e9,
                TimeUnit::Microseconds => 86_400e6,
                TimeUnit::Milliseconds => 86_400e3,
            };
            let t = s.cast(&DataType::Int64).map_err(fmt_err)?;
            each(b, t.i64().map_err(fmt_err)?.iter(), |b, t| {
                b.push_number(t as f64 / per_day + UNIX_EPOCH_SERIAL, |serial| {
                    typed_date(serial, ISO_TIMESTAMP)
                })
            })
        }
        _ => return Err(unsupported()),
    }
    Ok(())
}

/// Push every cell: NULL for `None`, `push` otherwise.
fn each<T>(
    b: &mut ColumnBuilder,
    cells: impl Iterator<Item = Option<T>>,
    mut push: impl FnMut(&mut ColumnBuilder, T),
) {
    for c in cells {
        match c {
            Some(v) => push(b, v),
            None => b.push_null(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars_arrow_format::ipc::{self as fb, planus::Builder};

    /// A schema message of `fields`.
    fn message(fields: Vec<fb::Field>) -> Vec<u8> {
        let m = fb::Message {
            version: fb::MetadataVersion::V5,
            header: Some(fb::MessageHeader::Schema(Box::new(fb::Schema {
                fields: Some(fields),
                ..Default::default()
            }))),
            body_length: 0,
            custom_metadata: None,
        };
        Builder::new().finish(&m, None).to_vec()
    }

    /// One column of structs nested so that the path to its int64 leaf is `depth` fields long.
    fn nested(depth: usize) -> Vec<u8> {
        let mut f = fb::Field {
            name: Some("leaf".into()),
            nullable: true,
            type_: Some(fb::Type::Int(Box::new(fb::Int {
                bit_width: 64,
                is_signed: true,
            }))),
            ..Default::default()
        };
        for _ in 1..depth {
            f = fb::Field {
                name: Some("a".into()),
                nullable: true,
                type_: Some(fb::Type::Struct(Box::default())),
                children: Some(vec![f]),
                ..Default::default()
            };
        }
        message(vec![f])
    }

    #[test]
    fn arrow_schemas_nested_past_the_limit_are_refused() {
        assert_eq!(arrow_schema_depth(&nested(1)), ArrowDepth::Within);
        assert_eq!(
            arrow_schema_depth(&nested(MAX_ARROW_DEPTH)),
            ArrowDepth::Within
        );
        assert_eq!(
            arrow_schema_depth(&nested(MAX_ARROW_DEPTH + 1)),
            ArrowDepth::Deeper
        );
        // Not a schema message: polars refuses it itself.
        assert_eq!(arrow_schema_depth(b"not flatbuffers"), ArrowDepth::Within);
        assert_eq!(arrow_schema_depth(&[]), ArrowDepth::Within);
    }

    #[test]
    fn arrow_fields_sharing_children_are_refused() {
        // Each level's children are the level below twice: 24 levels in a few hundred bytes are 2^24
        // fields once unfolded (polars would build them all).
        let mut b = Builder::new();
        let mut f = fb::Field::create(&mut b, "leaf", true, (), (), (), ());
        for _ in 0..24 {
            let kids = [f, f];
            f = fb::Field::create(&mut b, "a", true, (), (), kids.as_slice(), ());
        }
        let schema = fb::Schema::create(&mut b, fb::Endianness::Little, [f].as_slice(), (), ());
        let header = fb::MessageHeader::create_schema(&mut b, schema);
        let msg = fb::Message::create(&mut b, fb::MetadataVersion::V5, header, 0i64, ());
        let bytes = b.finish(msg, None).to_vec();
        assert!(bytes.len() < 2000, "{}", bytes.len());
        assert_eq!(arrow_schema_depth(&bytes), ArrowDepth::Shared);
    }
}
