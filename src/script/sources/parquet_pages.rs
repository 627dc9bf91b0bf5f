//! A bound on every page header of a Parquet file before polars decodes its row groups (found by
//! `fuzz/` target `parquet`).
//!
//! polars trusts the counts a page header declares: a data page's `num_values` sizes the validity
//! bitmap and the value buffers it reserves (a negative count, cast to `usize`, made it reserve 2^61
//! bytes and abort the process, which `catch_unwind` cannot stop), a page's `uncompressed_page_size` is
//! the buffer it zero-fills before decompressing, a dictionary page's `num_values` the offsets it
//! reserves. [`check`] walks the page headers of every column chunk the way polars' page reader does
//! (a dictionary page first if there is one, then pages until the chunk's declared values are seen),
//! reading only the headers, and refuses a count that is negative or larger than what holds it (a page's
//! values past its column chunk's, a v2 page's rows past its row group's, a page's bytes past its
//! chunk, a chunk past the file), a dictionary that declares more values than its bytes can hold, and
//! a header polars would read differently than the Parquet format says, and a data page in the one
//! encoding whose decoder allocates by lengths it has not checked (`DELTA_BYTE_ARRAY`, see
//! [`DELTA_BYTE_ARRAY`]). What it returns feeds the memory budget: what decoding the largest row group
//! will allocate by the headers' own counts.

use super::parquet_footer::{Shape, Walk};
use std::io::{Read, Seek, SeekFrom};

/// One column chunk as the footer (decoded by polars) declares it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Chunk {
    /// Where its first page starts: the dictionary page's offset if there is one, else the first data
    /// page's (what polars reads from).
    pub start: i64,
    /// Its compressed size: its pages with their headers.
    pub len: i64,
    /// The values its data pages hold together.
    pub num_values: i64,
}

/// One row group: its rows and column chunks.
pub(super) struct Group {
    pub num_rows: i64,
    pub chunks: Vec<Chunk>,
}

/// Bytes a decoded value is counted as: polars holds strings as 16-byte views (and numbers as 8 bytes,
/// which qsa then casts).
const BYTES_PER_VALUE: u64 = 16;

/// The `DELTA_BYTE_ARRAY` encoding (parquet.thrift `Encoding`), refused on a data page: polars' decoder
/// (`delta_byte_array::Decoder::next`) reserves each value's prefix length plus suffix length, both read
/// from the page, before it checks either against the bytes it has; a 352-byte file whose suffix lengths
/// are bit-packed 40 bits wide made it reserve 280 GB and abort the process, which `catch_unwind` cannot
/// stop. qsa cannot check those lengths without decompressing and decoding the page itself. Spark's v2
/// pages use it for strings; pyarrow and DuckDB only when asked.
const DELTA_BYTE_ARRAY: i64 = 7;

/// Page header bytes read at first (a header without statistics takes 20 to 40); doubled up to the
/// chunk's end for a header that is longer (statistics of long values). Small, since a file of many small
/// pages is read this much again per page.
const FIRST_WINDOW: u64 = 256;

/// Check the page headers of every chunk of every group in `file` (`size` bytes). `Ok`: the bytes
/// decoding the largest row group takes by its headers' counts (values, dictionary entries and
/// decompression buffers).
pub(super) fn check<F: Read + Seek>(
    file: &mut F,
    size: u64,
    groups: &[Group],
) -> Result<u64, String> {
    let mut largest = 0u64;
    for (g, group) in groups.iter().enumerate() {
        let mut bytes = 0u64;
        for (c, chunk) in group.chunks.iter().enumerate() {
            let n = chunk_pages(file, size, group.num_rows, chunk)
                .map_err(|e| format!("row group {g}, column chunk {c}: {e}"))?;
            bytes = bytes.saturating_add(n);
        }
        largest = largest.max(bytes);
    }
    Ok(largest)
}

/// What polars reads from a page header.
#[derive(Debug, Default, PartialEq)]
struct Page {
    /// `type`: 0 data page, 2 dictionary page, 3 data page v2 (1, an index page, polars refuses).
    kind: i64,
    uncompressed: i64,
    compressed: i64,
    /// The values of a data page (v1 or v2, by `kind`) or of a dictionary page.
    num_values: Option<i64>,
    /// A data page's encoding of its values (v1 or v2); `None` on a dictionary page.
    encoding: Option<i64>,
    /// Data page v2: nulls, rows, and the byte lengths of the levels before the values.
    num_nulls: i64,
    num_rows: i64,
    levels: [i64; 2],
    /// The header's own length in bytes.
    header_len: u64,
}

/// Read the header of a page out of `b` (the page's header and what follows).
fn page_header(b: &[u8]) -> Result<Page, String> {
    let mut w = Walk::generated(b);
    w.structure(Shape::PageHeader, 0)?;
    let get = |shape: Shape, id: i64| -> Result<Option<i64>, String> {
        match w
            .captured
            .iter()
            .rev()
            .find(|(s, i, _)| *s == shape && *i == id)
        {
            // Every integer of a page header is an i32; polars reads one through `read_i32`.
            Some(&(_, _, v)) if i32::try_from(v).is_err() => {
                Err(format!("its field {id} ({v}) does not fit in an i32"))
            }
            Some(&(_, _, v)) => Ok(Some(v)),
            None => Ok(None),
        }
    };
    let required = |shape: Shape, id: i64, what: &str| {
        get(shape, id)?.ok_or_else(|| format!("it has no {what}"))
    };
    let kind = required(Shape::PageHeader, 1, "page type")?;
    let uncompressed = required(Shape::PageHeader, 2, "uncompressed page size")?;
    let compressed = required(Shape::PageHeader, 3, "compressed page size")?;
    let mut page = Page {
        kind,
        uncompressed,
        compressed,
        header_len: w.consumed() as u64,
        ..Page::default()
    };
    match kind {
        0 => {
            page.num_values = get(Shape::DataPageHeader, 1)?;
            page.encoding = get(Shape::DataPageHeader, 2)?;
        }
        2 => page.num_values = get(Shape::DictionaryPageHeader, 1)?,
        3 => {
            page.num_values = get(Shape::DataPageHeaderV2, 1)?;
            page.encoding = get(Shape::DataPageHeaderV2, 4)?;
            page.num_nulls = required(Shape::DataPageHeaderV2, 2, "null count")?;
            page.num_rows = required(Shape::DataPageHeaderV2, 3, "row count")?;
            page.levels = [
                required(Shape::DataPageHeaderV2, 5, "definition levels length")?,
                required(Shape::DataPageHeaderV2, 6, "repetition levels length")?,
            ];
        }
        other => return Err(format!("its page type {other} is not one qsa reads")),
    }
    if page.num_values.is_none() {
        return Err("its type's header (with the value count) is missing".into());
    }
    Ok(page)
}

/// Walk one chunk's pages; `Ok`: the bytes decoding them takes by their counts.
fn chunk_pages<F: Read + Seek>(
    file: &mut F,
    size: u64,
    group_rows: i64,
    chunk: &Chunk,
) -> Result<u64, String> {
    let (Ok(start), Ok(len), Ok(total)) = (
        u64::try_from(chunk.start),
        u64::try_from(chunk.len),
        u64::try_from(chunk.num_values),
    ) else {
        return Err(format!(
            "a negative offset ({}), size ({}) or value count ({})",
            chunk.start, chunk.len, chunk.num_values
        ));
    };
    let end = start
        .checked_add(len)
        .filter(|&e| e <= size)
        .ok_or_else(|| {
            format!("its {len} bytes from byte {start} run past the end of the file ({size} bytes)")
        })?;
    let mut at = start;
    let mut seen = 0u64;
    let mut bytes = 0u64;
    let mut first = true;
    // polars reads a dictionary page first if the chunk starts with one, then pages until it has seen
    // the chunk's values.
    while first || seen < total {
        if at >= end {
            if first {
                break;
            }
            return Err(format!(
                "its pages end at byte {end} with {seen} of the {total} values it declares"
            ));
        }
        let page = read_header(file, at, end)?;
        let fail = |what: String| format!("the page at byte {at}: {what}");
        let num_values = page.num_values.unwrap_or(0);
        let counts = [
            ("uncompressed size", page.uncompressed),
            ("compressed size", page.compressed),
            ("value count", num_values),
            ("null count", page.num_nulls),
            ("row count", page.num_rows),
            ("definition levels length", page.levels[0]),
            ("repetition levels length", page.levels[1]),
        ];
        if let Some((what, n)) = counts.iter().find(|(_, n)| *n < 0) {
            return Err(fail(format!("a negative {what} ({n})")));
        }
        let body = at.saturating_add(page.header_len);
        let compressed = page.compressed as u64;
        if body.saturating_add(compressed) > end {
            return Err(fail(format!(
                "its {compressed} bytes run past the end of its column chunk (byte {end})"
            )));
        }
        let num_values = num_values as u64;
        if page.kind == 2 {
            if !first {
                return Err(fail("a dictionary page after the first page".into()));
            }
            // A dictionary's values are plain-encoded: at least a byte each.
            if num_values > page.uncompressed as u64 {
                return Err(fail(format!(
                    "a dictionary of {num_values} values in {} bytes",
                    page.uncompressed
                )));
            }
        } else {
            if page.encoding == Some(DELTA_BYTE_ARRAY) {
                return Err(fail(
                    "its values are DELTA_BYTE_ARRAY-encoded, which qsa does not read (the decoder \
                     trusts the value lengths in the page); write the file with PLAIN or dictionary \
                     encoding (Spark: `parquet.writer.version` v1)"
                        .into(),
                ));
            }
            if num_values > total - seen {
                return Err(fail(format!(
                    "{num_values} values, more than the {} its column chunk has left of {total}",
                    total - seen
                )));
            }
            seen += num_values;
            if page.kind == 3 {
                let levels = (page.levels[0] as u64).saturating_add(page.levels[1] as u64);
                if page.num_nulls as u64 > num_values
                    || page.num_rows > group_rows
                    || levels > compressed
                    || levels > page.uncompressed as u64
                {
                    return Err(fail(format!(
                        "its counts do not fit ({num_values} values, {} nulls, {} rows of the row group's {group_rows}, {levels} bytes of levels in {compressed} bytes)",
                        page.num_nulls, page.num_rows
                    )));
                }
            }
        }
        bytes = bytes
            .saturating_add(num_values.saturating_mul(BYTES_PER_VALUE))
            .saturating_add(page.uncompressed as u64);
        at = body + compressed;
        first = false;
    }
    Ok(bytes)
}

/// The page header at byte `at` of a chunk that ends at `end`.
fn read_header<F: Read + Seek>(file: &mut F, at: u64, end: u64) -> Result<Page, String> {
    let left = end - at;
    let mut window = FIRST_WINDOW.min(left);
    loop {
        let mut buf = vec![0u8; window as usize];
        file.seek(SeekFrom::Start(at))
            .and_then(|_| file.read_exact(&mut buf))
            .map_err(|e| format!("its page at byte {at} cannot be read: {e}"))?;
        match page_header(&buf) {
            Ok(p) => return Ok(p),
            Err(_) if window < left => window = (window * 2).min(left),
            Err(e) => return Err(format!("the page header at byte {at} is malformed: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A compact-protocol field header (short form) and a zigzag varint.
    fn int(out: &mut Vec<u8>, delta: u8, v: i64) {
        out.push(delta << 4 | 5);
        let mut z = ((v << 1) ^ (v >> 63)) as u64;
        while z >= 0x80 {
            out.push(z as u8 | 0x80);
            z >>= 7;
        }
        out.push(z as u8);
    }

    /// A data page v1 header (type 0) with `values` values and `size` bytes, then the bytes.
    fn data_page(values: i64, size: i64) -> Vec<u8> {
        data_page_with(values, size, &[])
    }

    /// [`data_page`] with `more` (fields of the data page header) after its four integers.
    fn data_page_with(values: i64, size: i64, more: &[u8]) -> Vec<u8> {
        encoded_page(values, size, 0, more)
    }

    /// A data page v1 whose values are in `encoding` (0 PLAIN, 7 DELTA_BYTE_ARRAY, …).
    fn encoded_page(values: i64, size: i64, encoding: i64, more: &[u8]) -> Vec<u8> {
        let mut h = Vec::new();
        int(&mut h, 1, 0);
        int(&mut h, 1, size);
        int(&mut h, 1, size);
        // Field 5 (data_page_header), a struct: num_values, encoding, levels encodings 3, 3.
        h.push(2 << 4 | 12);
        for v in [values, encoding, 3, 3] {
            int(&mut h, 1, v);
        }
        h.extend(more);
        h.extend([0, 0]);
        h.extend(std::iter::repeat_n(0u8, size.max(0) as usize));
        h
    }

    fn run(file: &[u8], chunk: Chunk) -> Result<u64, String> {
        let groups = [Group {
            num_rows: 10,
            chunks: vec![chunk],
        }];
        check(&mut std::io::Cursor::new(file), file.len() as u64, &groups)
    }

    /// [`run`] with the whole file as one chunk of `num_values` values.
    fn whole(file: &[u8], num_values: i64) -> Result<u64, String> {
        let len = file.len() as i64;
        run(
            file,
            Chunk {
                start: 0,
                len,
                num_values,
            },
        )
    }

    #[test]
    fn pages_that_add_up_pass() {
        let mut f = data_page(6, 3);
        f.extend(data_page(4, 2));
        assert_eq!(whole(&f, 10), Ok(10 * BYTES_PER_VALUE + 5));
    }

    #[test]
    fn a_header_longer_than_the_first_window_is_read_whole() {
        // Field 5 of the data page header: statistics whose field 1 (max) is 1,000 bytes.
        let mut stats = vec![1 << 4 | 12, 1 << 4 | 8, 0xe8, 0x07];
        stats.extend([b'x'; 1000]);
        stats.push(0);
        let f = data_page_with(4, 2, &stats);
        assert!(f.len() as u64 > 2 * FIRST_WINDOW);
        assert_eq!(whole(&f, 4), Ok(4 * BYTES_PER_VALUE + 2));
    }

    #[test]
    fn bogus_counts_are_refused() {
        let (neg, eleven, huge) = (data_page(-5, 3), data_page(11, 3), data_page(1 << 40, 3));
        let n = eleven.len() as i64;
        // (file, chunk start, length, values, what the refusal says)
        let cases: [(&[u8], i64, i64, i64, &str); 7] = [
            (&neg, 0, n, 10, "a negative value count (-5)"),
            (&eleven, 0, n, 10, "11 values, more than the 10"),
            // Fewer values than the chunk declares: polars would read on past the chunk.
            (&eleven, 0, n, 12, "with 11 of the 12 values"),
            (
                &eleven,
                0,
                n - 1,
                11,
                "run past the end of its column chunk",
            ),
            (&eleven, 5, n, 11, "run past the end of the file"),
            (&eleven, -1, n, 11, "negative offset"),
            // The page's count declared past an i32.
            (
                &huge,
                0,
                huge.len() as i64,
                1 << 41,
                "does not fit in an i32",
            ),
        ];
        for (file, start, len, num_values, want) in cases {
            let chunk = Chunk {
                start,
                len,
                num_values,
            };
            let e = run(file, chunk).unwrap_err();
            assert!(e.contains(want), "{want}: {e}");
        }
    }

    #[test]
    fn a_delta_byte_array_page_is_refused_other_encodings_pass() {
        // DELTA_BYTE_ARRAY (7): polars reserves by lengths it has not checked (see DELTA_BYTE_ARRAY).
        let e = whole(&encoded_page(4, 2, DELTA_BYTE_ARRAY, &[]), 4).unwrap_err();
        assert!(e.contains("DELTA_BYTE_ARRAY-encoded"), "{e}");
        // A later page of the chunk too.
        let mut f = data_page(2, 1);
        f.extend(encoded_page(2, 1, DELTA_BYTE_ARRAY, &[]));
        assert!(whole(&f, 4).unwrap_err().contains("DELTA_BYTE_ARRAY"));
        // PLAIN (0), RLE_DICTIONARY (8), DELTA_BINARY_PACKED (5), DELTA_LENGTH_BYTE_ARRAY (6) read on.
        for encoding in [0, 8, 5, 6] {
            let f = encoded_page(4, 2, encoding, &[]);
            assert_eq!(whole(&f, 4), Ok(4 * BYTES_PER_VALUE + 2), "{encoding}");
        }
    }

    #[test]
    fn a_header_field_of_the_wrong_type_is_refused() {
        // Field 5 (data_page_header) declared as a binary: polars would read a struct out of it.
        let mut f = Vec::new();
        int(&mut f, 1, 0);
        int(&mut f, 1, 1);
        int(&mut f, 1, 1);
        f.extend([2 << 4 | 8, 1, 0, 0, 0]);
        let e = whole(&f, 1).unwrap_err();
        assert!(e.contains("malformed"), "{e}");
    }
}
