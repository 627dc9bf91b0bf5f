//! A bound on the Parquet footer before polars decodes it (found by `fuzz/` target `parquet`).
//!
//! The footer's `FileMetaData` is Thrift compact protocol, whose lists, sets, maps and byte strings
//! declare their length up front; polars' decoder reserves memory for the declared number of elements
//! before reading them, and picks each field's reader by its id whatever type the field declares, so a
//! 1 kB file whose `schema` field declared an integer made polars read a list of ~2·10^9 elements, ask
//! for 155 GB and abort the process (an allocation failure cannot be caught). [`check`] walks the footer
//! the way polars reads it, without allocating, and refuses: a known field declared with another type
//! than polars reads it as, a declared length larger than the bytes left (every element takes at least
//! one), nesting deeper than [`MAX_DEPTH`], and a schema whose columns nest deeper than
//! [`MAX_SCHEMA_DEPTH`].

/// Thrift structures nest a few levels deep in real footers (schema elements are a flat list).
const MAX_DEPTH: u32 = 64;

/// Groups inside groups in the schema (the flat list of schema elements, each declaring its children).
/// polars turns the schema into a tree of Arrow types and clones and drops it level by level: a column
/// nested 100,000 deep (an 800 kB footer) kept it busy for more than ten minutes, quadratic in the depth.
/// qsa reads only flat columns (a list or struct is refused by name), so 32 leaves room for any nesting a
/// real file has around the columns qsa reads.
const MAX_SCHEMA_DEPTH: usize = 32;

/// Check the footer that `file_tail`, the end of a Parquet file, holds (`… metadata, length (u32 LE),
/// "PAR1"`). `Ok` also when there is no well-formed footer to walk: polars then refuses the file itself.
pub(super) fn check(file_tail: &[u8]) -> Result<(), String> {
    let n = file_tail.len();
    if n < 8 || &file_tail[n - 4..] != b"PAR1" {
        return Ok(());
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&file_tail[n - 8..n - 4]);
    let len = u32::from_le_bytes(len) as usize;
    let Some(start) = (n - 8).checked_sub(len) else {
        return Ok(());
    };
    let mut w = Walk::new(&file_tail[start..n - 8]);
    w.structure(Shape::FileMetaData, 0)
        .map_err(|e| format!("its footer (file metadata) is malformed: {e}"))?;
    let depth = schema_depth(&w.children);
    if depth > MAX_SCHEMA_DEPTH {
        return Err(format!(
            "its schema nests columns {depth} groups deep; qsa reads flat columns and refuses schemas nested more than {MAX_SCHEMA_DEPTH} deep"
        ));
    }
    Ok(())
}

/// How deep the schema's groups nest, from its elements' `num_children` in order (the first is the
/// root, whose children are the columns; an element with none is a leaf).
fn schema_depth(children: &[i64]) -> usize {
    // The children each open group has yet to see.
    let mut open: Vec<i64> = Vec::new();
    let mut deepest = 0;
    for &c in children {
        if let Some(left) = open.last_mut() {
            *left -= 1;
        }
        if c > 0 {
            open.push(c);
            deepest = deepest.max(open.len());
        }
        while open.last() == Some(&0) {
            open.pop();
        }
    }
    deepest
}

/// How many bytes of the file [`check`] needs: the footer length and magic, then the footer.
pub(super) fn footer_len(last8: &[u8]) -> Option<u64> {
    if last8.len() != 8 || &last8[4..] != b"PAR1" {
        return None;
    }
    let mut len = [0u8; 4];
    len.copy_from_slice(&last8[..4]);
    Some(u64::from(u32::from_le_bytes(len)) + 8)
}

/// What polars' footer decoder reads a field as. It picks the reader by field id alone, whatever the
/// type the field declares, so the walk must read the same way: a known field whose declared type is
/// not what polars reads is refused (the two would part ways from there on).
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// i16/i32/i64 (a varint, zigzag or not).
    Varint,
    Byte,
    Bool,
    Binary,
    List(Elem),
    Struct(Shape),
}

/// The element type polars reads a list's elements as.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Elem {
    Varint,
    Binary,
    Struct(Shape),
}

/// The structures of `FileMetaData` that polars decodes field by field (parquet.thrift), and of the
/// `PageHeader` that starts every page (decoded by polars-parquet-format's generated code, which also
/// picks each field's reader by its id alone).
#[derive(Clone, Copy, PartialEq, Debug)]
pub(super) enum Shape {
    FileMetaData,
    SchemaElement,
    RowGroup,
    ColumnChunk,
    ColumnMetaData,
    Statistics,
    KeyValue,
    SortingColumn,
    /// A union of empty structs (`ColumnOrder`, `TimeUnit`).
    UnionOfEmpty,
    LogicalType,
    Decimal,
    /// `TimeType` and `TimestampType`.
    Time,
    IntType,
    /// A struct whose fields polars skips by their declared type.
    Opaque,
    PageHeader,
    DataPageHeader,
    DictionaryPageHeader,
    DataPageHeaderV2,
}

impl Shape {
    /// The page header structures, whose integer fields the walk keeps ([`Walk::captured`]).
    fn captures(self) -> bool {
        matches!(
            self,
            Shape::PageHeader
                | Shape::DataPageHeader
                | Shape::DictionaryPageHeader
                | Shape::DataPageHeaderV2
        )
    }
}

/// What polars reads field `id` of `shape` as; `None`: it skips the field by its declared type.
fn field(shape: Shape, id: i64) -> Option<Kind> {
    use Kind::*;
    use Shape as S;
    Some(match (shape, id) {
        (S::FileMetaData, 1 | 3) => Varint,
        (S::FileMetaData, 2) => List(Elem::Struct(S::SchemaElement)),
        (S::FileMetaData, 4) => List(Elem::Struct(S::RowGroup)),
        (S::FileMetaData, 5) => List(Elem::Struct(S::KeyValue)),
        (S::FileMetaData, 6) => Binary,
        (S::FileMetaData, 7) => List(Elem::Struct(S::UnionOfEmpty)),
        (S::SchemaElement, 1..=3 | 5..=9) => Varint,
        (S::SchemaElement, 4) => Binary,
        (S::SchemaElement, 10) => Struct(S::LogicalType),
        (S::RowGroup, 1) => List(Elem::Struct(S::ColumnChunk)),
        (S::RowGroup, 2 | 3 | 5..=7) => Varint,
        (S::RowGroup, 4) => List(Elem::Struct(S::SortingColumn)),
        (S::ColumnChunk, 1) => Binary,
        (S::ColumnChunk, 2 | 4..=7) => Varint,
        (S::ColumnChunk, 3) => Struct(S::ColumnMetaData),
        (S::ColumnMetaData, 1 | 4..=7 | 9..=11 | 14 | 15) => Varint,
        (S::ColumnMetaData, 2) => List(Elem::Varint),
        (S::ColumnMetaData, 3) => List(Elem::Binary),
        (S::ColumnMetaData, 12) => Struct(S::Statistics),
        (S::Statistics, 1 | 2 | 5 | 6) => Binary,
        (S::Statistics, 3 | 4) => Varint,
        (S::Statistics, 7 | 8) => Bool,
        (S::KeyValue, 1 | 2) => Binary,
        (S::SortingColumn, 1) => Varint,
        (S::SortingColumn, 2 | 3) => Bool,
        (S::UnionOfEmpty, _) => Struct(S::Opaque),
        (S::LogicalType, 5) => Struct(S::Decimal),
        (S::LogicalType, 7 | 8) => Struct(S::Time),
        (S::LogicalType, 10) => Struct(S::IntType),
        (S::LogicalType, 1..=15) => Struct(S::Opaque),
        (S::Decimal, 1 | 2) => Varint,
        (S::Time, 1) => Bool,
        (S::Time, 2) => Struct(S::UnionOfEmpty),
        (S::IntType, 1) => Byte,
        (S::IntType, 2) => Bool,
        (S::PageHeader, 1..=4) => Varint,
        (S::PageHeader, 5) => Struct(S::DataPageHeader),
        (S::PageHeader, 6) => Struct(S::Opaque),
        (S::PageHeader, 7) => Struct(S::DictionaryPageHeader),
        (S::PageHeader, 8) => Struct(S::DataPageHeaderV2),
        (S::DataPageHeader, 1..=4) => Varint,
        (S::DataPageHeader, 5) => Struct(S::Statistics),
        (S::DictionaryPageHeader, 1 | 2) => Varint,
        (S::DictionaryPageHeader, 3) => Bool,
        (S::DataPageHeaderV2, 1..=6) => Varint,
        (S::DataPageHeaderV2, 7) => Bool,
        (S::DataPageHeaderV2, 8) => Struct(S::Statistics),
        _ => return None,
    })
}

/// Whether compact type `ty` is what polars reads as `kind`.
fn declared_as(ty: u8, kind: Kind) -> bool {
    match kind {
        Kind::Varint => matches!(ty, 4..=6),
        Kind::Byte => ty == 3,
        Kind::Bool => matches!(ty, 1 | 2),
        Kind::Binary => ty == 8,
        Kind::List(_) => matches!(ty, 9 | 10),
        Kind::Struct(_) => ty == 12,
    }
}

fn elem_declared_as(ty: u8, elem: Elem) -> bool {
    match elem {
        Elem::Varint => matches!(ty, 4..=6),
        Elem::Binary => ty == 8,
        Elem::Struct(_) => ty == 12,
    }
}

pub(super) struct Walk<'a> {
    b: &'a [u8],
    at: usize,
    /// The integer fields of the page header structures read so far: (structure, field id, value), in
    /// the order read (polars keeps the last of a repeated field).
    pub(super) captured: Vec<(Shape, i64, i64)>,
    /// Whether a boolean inside a list, set or map takes a byte. In the Thrift compact protocol it does,
    /// and polars-parquet-format's generated code (page headers) reads it so; polars' hand-written
    /// footer decoder skips one as if it took none (and so reads the bytes that follow as the next
    /// value), and a list of 2·10^9 such booleans then takes it seconds of doing nothing.
    byte_bools: bool,
    /// Each schema element's `num_children` (0 when it has none), in order.
    children: Vec<i64>,
}

impl<'a> Walk<'a> {
    /// A walk of footer bytes, as polars' hand-written decoder reads them.
    pub(super) fn new(b: &'a [u8]) -> Self {
        Walk {
            b,
            at: 0,
            captured: Vec::new(),
            byte_bools: false,
            children: Vec::new(),
        }
    }

    /// A walk of page header bytes, as the generated Thrift code reads them.
    pub(super) fn generated(b: &'a [u8]) -> Self {
        Walk {
            byte_bools: true,
            ..Walk::new(b)
        }
    }

    /// Bytes read so far.
    pub(super) fn consumed(&self) -> usize {
        self.at
    }

    fn left(&self) -> usize {
        self.b.len() - self.at
    }

    fn byte(&mut self) -> Result<u8, String> {
        let v = *self
            .b
            .get(self.at)
            .ok_or_else(|| format!("it ends inside a value (byte {})", self.at))?;
        self.at += 1;
        Ok(v)
    }

    fn skip(&mut self, n: u64) -> Result<(), String> {
        if n > self.left() as u64 {
            return Err(format!(
                "a value at byte {} declares {n} bytes, but only {} are left",
                self.at,
                self.left()
            ));
        }
        self.at += n as usize;
        Ok(())
    }

    fn varint(&mut self) -> Result<u64, String> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f).checked_shl(shift).unwrap_or(0);
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err(format!(
            "a variable-length integer longer than 10 bytes at byte {}",
            self.at
        ))
    }

    /// A declared element count: no more than the bytes left (each element takes at least one, except a
    /// boolean as polars' footer decoder skips it: none, and then the count bounds the time it takes).
    fn count(&mut self, n: u64, what: &str) -> Result<u64, String> {
        if n > self.left() as u64 {
            return Err(format!(
                "a {what} at byte {} declares {n} elements, but only {} bytes are left",
                self.at,
                self.left()
            ));
        }
        Ok(n)
    }

    /// One value of compact type `ty`, which polars reads as `kind` (`None`: skips it by `ty`); inside
    /// a list, set or map a boolean is one byte.
    fn value(
        &mut self,
        ty: u8,
        kind: Option<Kind>,
        depth: u32,
        in_collection: bool,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err(format!("values nested more than {MAX_DEPTH} deep"));
        }
        if let Some(k) = kind {
            if !declared_as(ty, k) {
                return Err(format!(
                    "a field before byte {} is declared with Thrift type {ty} where the Parquet format has {k:?}",
                    self.at
                ));
            }
        }
        match ty {
            1 | 2 if in_collection && self.byte_bools => self.skip(1),
            1 | 2 => Ok(()),
            3 => self.skip(1),
            4..=6 => self.varint().map(|_| ()),
            7 => self.skip(8),
            8 => {
                let n = self.varint()?;
                self.skip(n)
            }
            9 | 10 => {
                let h = self.byte()?;
                let n = match h >> 4 {
                    15 => self.varint()?,
                    n => u64::from(n),
                };
                let n = self.count(n, "list")?;
                let et = h & 0x0f;
                let elem = match kind {
                    Some(Kind::List(e)) => Some(e),
                    _ => None,
                };
                if let (Some(e), true) = (elem, n > 0) {
                    if !elem_declared_as(et, e) {
                        return Err(format!(
                            "a list before byte {} declares elements of Thrift type {et}, but holds {e:?}",
                            self.at
                        ));
                    }
                }
                let elem_kind = elem.map(|e| match e {
                    Elem::Varint => Kind::Varint,
                    Elem::Binary => Kind::Binary,
                    Elem::Struct(s) => Kind::Struct(s),
                });
                for _ in 0..n {
                    self.value(et, elem_kind, depth + 1, true)?;
                }
                Ok(())
            }
            11 => {
                let n = self.varint()?;
                if n == 0 {
                    return Ok(());
                }
                let kv = self.byte()?;
                let n = self.count(n, "map")?;
                for _ in 0..n {
                    self.value(kv >> 4, None, depth + 1, true)?;
                    self.value(kv & 0x0f, None, depth + 1, true)?;
                }
                Ok(())
            }
            12 => {
                let shape = match kind {
                    Some(Kind::Struct(s)) => s,
                    _ => Shape::Opaque,
                };
                self.structure(shape, depth + 1)
            }
            13 => self.skip(16),
            other => Err(format!("unknown Thrift type {other} at byte {}", self.at)),
        }
    }

    /// A zigzag varint (Thrift's compact i16/i32/i64, and long field ids), as a signed number.
    fn zigzag(&mut self) -> Result<i64, String> {
        let z = self.varint()?;
        Ok((z >> 1) as i64 ^ -((z & 1) as i64))
    }

    pub(super) fn structure(&mut self, shape: Shape, depth: u32) -> Result<(), String> {
        let mut id = 0i64;
        let mut children = 0i64;
        loop {
            let h = self.byte()?;
            if h == 0 {
                if shape == Shape::SchemaElement {
                    self.children.push(children);
                }
                return Ok(());
            }
            id = match h >> 4 {
                // The field id follows as a zigzag varint.
                0 => self.zigzag()?,
                delta => id + i64::from(delta),
            };
            let (ty, kind) = (h & 0x0f, field(shape, id));
            if shape.captures() && kind == Some(Kind::Varint) && declared_as(ty, Kind::Varint) {
                let v = self.zigzag()?;
                self.captured.push((shape, id, v));
            } else if shape == Shape::SchemaElement && id == 5 && declared_as(ty, Kind::Varint) {
                // num_children (polars keeps the last of a repeated field).
                children = self.zigzag()?;
            } else {
                self.value(ty, kind, depth, false)?;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn footer(meta: &[u8]) -> Vec<u8> {
        let mut f = b"PAR1".to_vec();
        f.extend_from_slice(meta);
        f.extend_from_slice(&(meta.len() as u32).to_le_bytes());
        f.extend_from_slice(b"PAR1");
        f
    }

    #[test]
    fn a_huge_declared_list_is_refused() {
        // Field 2 (schema), type list; list header: count in a varint (15 << 4), element type struct
        // (12); count 1_000_000_000.
        let mut meta = vec![0x29, 0xfc];
        let mut n = 1_000_000_000u64;
        while n >= 0x80 {
            meta.push((n as u8) | 0x80);
            n >>= 7;
        }
        meta.push(n as u8);
        meta.push(0);
        let e = check(&footer(&meta)).unwrap_err();
        assert!(e.contains("declares 1000000000 elements"), "{e}");
    }

    #[test]
    fn small_structures_pass() {
        // Field 1 (version) i32 = 1, field 3 (num_rows) i64 = 2, field 6 (created_by) "ab", an unknown
        // field 9: a list of 2 i32 (1, 2), stop.
        let meta = [
            0x15, 0x02, 0x26, 0x04, 0x38, 0x02, b'a', b'b', 0x39, 0x25, 0x02, 0x04, 0x00,
        ];
        assert_eq!(check(&footer(&meta)), Ok(()));
        // Nested too deep: an unknown field 20 holding a struct whose field 1 is a struct, 100 times.
        let mut deep = vec![0x0c, 0x28];
        deep.extend([0x1c; 100]);
        assert!(check(&footer(&deep)).is_err());
        // Field 2 (schema) declared an i64: polars would read a list header from its bytes.
        let e = check(&footer(&[0x26, 0xfb, 0x00, 0x00])).unwrap_err();
        assert!(e.contains("Thrift type 6"), "{e}");
    }

    /// A footer whose schema is `groups` elements of one child each, then a leaf.
    fn nested_schema(groups: usize) -> Vec<u8> {
        let n = groups + 1;
        // Field 2 (schema), a list of structs: its size as a varint after the 0xfc header.
        let mut meta = vec![0x29, 0xfc];
        let mut v = n;
        while v >= 0x80 {
            meta.push(v as u8 | 0x80);
            v >>= 7;
        }
        meta.push(v as u8);
        for _ in 0..groups {
            // Field 5 (num_children), an i32 of zigzag 2 = 1, then the end of the struct.
            meta.extend([0x55, 0x02, 0x00]);
        }
        meta.extend([0x00, 0x00]); // the leaf (no fields), the end of FileMetaData
        footer(&meta)
    }

    #[test]
    fn schemas_nested_past_the_limit_are_refused() {
        // The root and 31 groups: 32 deep.
        assert_eq!(check(&nested_schema(MAX_SCHEMA_DEPTH)), Ok(()));
        let e = check(&nested_schema(MAX_SCHEMA_DEPTH + 1)).unwrap_err();
        assert!(e.contains("33 groups deep"), "{e}");
        // 100,000 deep (800 kB of footer was more than ten minutes of polars).
        let e = check(&nested_schema(100_000)).unwrap_err();
        assert!(e.contains("100000 groups deep"), "{e}");
    }

    #[test]
    fn schema_depth_follows_the_children() {
        // root(2) → a(leaf), b(1) → c(leaf): 2 groups deep.
        assert_eq!(schema_depth(&[2, 0, 1, 0]), 2);
        // Flat: the root only.
        assert_eq!(schema_depth(&[3, 0, 0, 0]), 1);
        // A list column: root → LIST group → repeated group → element.
        assert_eq!(schema_depth(&[2, 0, 1, 1, 0]), 3);
        // Counts that run out or lie do not panic.
        assert_eq!(schema_depth(&[]), 0);
        assert_eq!(schema_depth(&[-4, 5, 0]), 1);
    }
}
