//! Excel workbooks as Qlik reads them: `.xlsx`/`.xlsm` (`ooxml`) and `.xls` (`biff`), through `calamine`.
//!
//! Format items (help.qlik.com, *Format specification items*, *Table format*, *Labels*, *Header is*):
//! - `table is NAME` picks the sheet. Qlik writes BIFF sheet names with a trailing `$` (`[Sheet1$]`), so a
//!   name matches with or without it: exactly first, then ignoring case. Without `table is`, the first
//!   sheet. A name that is no sheet is an error listing the sheets (named ranges, which Qlik also offers
//!   as tables, are not read).
//! - `header is n lines` skips the sheet's first n rows (row 1 is the first line, empty or not).
//! - `embedded labels` (the default): the first non-empty row after the header gives the field names,
//!   trimmed of ASCII spaces. `no labels` / `explicit labels` (explicit labels are meant for DIF files):
//!   every row is data, and fields are named by their column letters `A`, `B`, … `Z`, `AA`, …, not `@1`,
//!   `@2` as in text files. [obs: the help's *Labels* page names no fields; scripts in the wild read
//!   no-label sheets as `… (ooxml, no labels, header is 2 lines, table is Input) WHERE C <> ''`] An empty
//!   label is named by its column letter too; two equal labels are an error, as in text files.
//! - The table's columns run from the leftmost to the rightmost non-empty cell below the header lines (a
//!   sheet whose data starts in column B has no field `A`). Empty rows are not records, like blank lines in
//!   text files, so neither are trailing rows that only carry formatting. [dec: Qlik may keep empty rows
//!   inside the used range as all-NULL records; not verified]
//! - Other items (`filters(…)`, `header is n` in bytes, `record is n lines`) are refused by name, as for
//!   text; the text-only items (`delimiter is`, quoting, codepages, `no eof`) do not apply and are ignored.
//!
//! Values, as the cells hold them:
//! - numbers are numbers (1.0 shows as `1`, Qlik's text of an unformatted number); text stays text even
//!   when it reads as a number (a text cell `01` stays the text `01`: Excel typed it as text); empty cells
//!   are NULL;
//! - date and time cells (a date or time number format): a dual of the serial number on Qlik's day 0
//!   (1899-12-30; 1904-based workbooks are shifted) and ISO text, `YYYY-MM-DD` for a whole day, `hh:mm:ss`
//!   for a time below one day, else `YYYY-MM-DD hh:mm:ss`, as Qlik shows typed dates (see
//!   [`super::typed_date`]); durations (`[h]:mm:ss`) are plain numbers of days. [dec]
//! - booleans: a dual of Qlik's truth numbers (-1, 0) with Excel's text `TRUE`/`FALSE`. [dec: Qlik
//!   documents no reading of Excel booleans]
//! - error cells (`#N/A`, `#DIV/0!`, …): their text. [dec]
//!
//! Fail closed, never panic: a file that is not a workbook (an empty file, a CSV named `.xlsx`), a truncated
//! or corrupt one, a password-protected one, or a sheet over [`MAX_CELLS`] is a [`SourceError`] naming the
//! file and the reason. So is an `.xlsx` Excel itself would call corrupt or repair: no
//! `[Content_Types].xml`, a zip entry that is no valid part name (`../x.xml`), a cell outside Excel's grid
//! (past row 1048576 or column XFD: Excel drops it on repair, qsa will not grant from it), and a formula
//! cell with no cached value (written by a program that does not calculate; Qlik reads cached values). `calamine` allocates from sizes a workbook declares (the shared-string count of an
//! `.xlsx`; the dimensions and cell positions of an `.xls` sheet, whose grid it builds whole), and a failed
//! allocation aborts the process, so qsa checks those numbers first (through `zip` and `cfb`, the container
//! readers); `.xlsx` cells are streamed and counted. `calamine` runs under an unwind guard as well.

use super::text::{text_format, Labels, TextFormat};
use super::{assemble, typed_date, Loaded, SourceError, ISO_DATE, ISO_TIME, ISO_TIMESTAMP};
use crate::limits::Budget;
use crate::model::Value;
use crate::script::functions::{parse_datetime, FnEnv};
use crate::syntax::FormatItem;
use calamine::{Data, Reader, Xls, XlsError, Xlsx, XlsxError};
use std::io::{Cursor, Read};
use std::path::Path;

/// Most cells qsa reads from one sheet: non-empty cells, and rows × columns of the table they make.
pub const MAX_CELLS: u64 = 50_000_000;
/// Most bytes an `.xlsx` may unpack to (the sum of its zip entries' declared sizes).
const MAX_UNPACKED: u64 = 2 << 30;
/// How often the cells of an `.xlsx` sheet are counted against the memory budget, and what one costs.
const CELLS_PER_CHECK: usize = 1 << 16;
const CELL_BYTES: u64 = std::mem::size_of::<((u32, u32), Value)>() as u64;
/// Most entries in an `.xlsx` zip.
const MAX_ENTRIES: usize = 100_000;
/// Excel's grid: rows 1..=1048576, columns A..=XFD.
const EXCEL_ROWS: u32 = 1_048_576;
const EXCEL_COLUMNS: u32 = 16_384;
/// Days from Excel's 1904 day 0 (1904-01-01) back to Qlik's (1899-12-30).
const EPOCH_1904: f64 = 1462.0;

/// Non-empty cells by (row, column), both 0-based from `A1`.
type Cells = Vec<((u32, u32), Value)>;

/// Read one sheet of an Excel workbook per its format spec.
pub fn read_excel(path: &Path, format: &[FormatItem]) -> Result<Loaded, SourceError> {
    read_excel_budgeted(path, format, &Budget::default())
}

/// [`read_excel`] within a memory budget (`--max-memory`): the file, and what an `.xlsx`'s zip entries
/// declare they unpack to, must fit in what is left of it before anything is read or unpacked.
pub fn read_excel_budgeted(
    path: &Path,
    format: &[FormatItem],
    budget: &Budget,
) -> Result<Loaded, SourceError> {
    let fmt = text_format(format, TextFormat::default())?;
    let table = format.iter().rev().find_map(|i| match i {
        FormatItem::Table(t) => Some(t.as_str()),
        _ => None,
    });
    let shown = path.display().to_string();
    let bytes = super::read_budgeted(path, 1, budget)?;
    if let Some(unpacked) = declared_unpacked(&bytes) {
        let need = (bytes.len() as u64).saturating_add(unpacked);
        budget
            .check(need, || {
                format!("reading `{shown}` (a workbook that unpacks to {unpacked} bytes)")
            })
            .map_err(SourceError::Limit)?;
    }
    read_excel_bytes_budgeted(bytes, table, fmt.labels, fmt.header_lines, &shown, budget)
}

/// The sum of an `.xlsx` zip's declared entry sizes; `None` when it is not a zip qsa can list.
fn declared_unpacked(bytes: &[u8]) -> Option<u64> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut total = 0u64;
    for i in 0..zip.len().min(MAX_ENTRIES) {
        total = total.saturating_add(zip.by_index_raw(i).ok()?.size());
    }
    Some(total)
}

/// Read a workbook already in memory; `shown` names it in errors and row origins.
pub fn read_excel_bytes(
    bytes: Vec<u8>,
    table: Option<&str>,
    labels: Labels,
    header_lines: usize,
    shown: &str,
) -> Result<Loaded, SourceError> {
    read_excel_bytes_budgeted(
        bytes,
        table,
        labels,
        header_lines,
        shown,
        &Budget::default(),
    )
}

/// [`read_excel_bytes`] within a memory budget: the cells of an `.xlsx` sheet are counted against it as
/// they stream in.
fn read_excel_bytes_budgeted(
    bytes: Vec<u8>,
    table: Option<&str>,
    labels: Labels,
    header_lines: usize,
    shown: &str,
    budget: &Budget,
) -> Result<Loaded, SourceError> {
    let fmt_err = |reason: String| SourceError::Format {
        path: shown.to_string(),
        reason,
    };
    let book = sniff(&bytes).map_err(fmt_err)?;
    let table = table.map(str::to_string);
    let budget = budget.clone();
    let read = std::panic::catch_unwind(move || match book {
        Book::Ooxml => read_ooxml(bytes, table.as_deref(), &budget),
        Book::Biff => read_biff(bytes, table.as_deref(), &budget),
    });
    let cells = match read {
        Ok(r) => r.map_err(fmt_err)?,
        Err(p) => {
            return Err(fmt_err(format!(
                "not a readable Excel workbook ({})",
                super::decoder_failed("Excel", &*p)
            )))
        }
    };
    table_of(cells, labels, header_lines, shown)
}

#[derive(Clone, Copy, Debug)]
enum Book {
    Ooxml,
    Biff,
}

/// Which reader the content needs (whatever the extension or file type says).
fn sniff(b: &[u8]) -> Result<Book, String> {
    const CFB: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
    if b.is_empty() {
        Err("the file is empty (0 bytes), not an Excel workbook".into())
    } else if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        Ok(Book::Ooxml)
    } else if b.starts_with(&CFB) {
        Ok(Book::Biff)
    } else {
        Err(
            "not an Excel workbook: it has neither the OOXML (zip) nor the BIFF (compound file) \
             signature (is it a text file with an Excel extension?)"
                .into(),
        )
    }
}

fn read_ooxml(bytes: Vec<u8>, table: Option<&str>, budget: &Budget) -> Result<Cells, String> {
    check_zip(&bytes)?;
    let mut wb = Xlsx::new(Cursor::new(bytes)).map_err(xlsx_err)?;
    let name = pick_sheet(&wb.sheet_names(), table)?;
    let shift = if wb.has_1904_epoch() { EPOCH_1904 } else { 0.0 };
    let mut reader = wb.worksheet_cells_reader(&name).map_err(xlsx_err)?;
    let mut cells = Cells::new();
    while let Some(c) = reader.next_cell_with_formula_metadata().map_err(xlsx_err)? {
        let (row, col) = c.pos;
        if row >= EXCEL_ROWS || col >= EXCEL_COLUMNS {
            return Err(format!(
                "sheet `{name}`: cell `{}{}` lies outside Excel's grid (A1:XFD1048576); Excel drops it \
                 when it repairs the file",
                column_name(col),
                u64::from(row) + 1
            ));
        }
        let v = cell_value(c.value.clone().into(), shift);
        if v.is_null() && c.formula.is_some() {
            return Err(format!(
                "sheet `{name}`: cell `{}{}` holds a formula with no cached value (the workbook was \
                 written by a program that does not calculate, and Qlik reads only cached values); open \
                 and save it in Excel",
                column_name(col),
                u64::from(row) + 1
            ));
        }
        if !v.is_null() {
            if cells.len() as u64 >= MAX_CELLS {
                return Err(too_many(&name));
            }
            if cells.len() % CELLS_PER_CHECK == 0 {
                let bytes = (cells.len() as u64).saturating_mul(CELL_BYTES);
                budget
                    .check(bytes, || {
                        format!("reading sheet `{name}` ({} cells so far)", cells.len())
                    })
                    .map_err(|e| e.to_string())?;
            }
            cells.push(((row, col), v));
        }
    }
    Ok(cells)
}

fn read_biff(bytes: Vec<u8>, table: Option<&str>, budget: &Budget) -> Result<Cells, String> {
    let grids = check_biff(&bytes)?;
    budget
        .check(grids, || {
            format!(
                "reading the .xls workbook (its sheets' cell grids, which the Excel decoder builds \
                 whole: {})",
                crate::limits::format_size(grids)
            )
        })
        .map_err(|e| e.to_string())?;
    let mut wb = Xls::new(Cursor::new(bytes)).map_err(xls_err)?;
    let name = pick_sheet(&wb.sheet_names(), table)?;
    let shift = if wb.has_1904_epoch() { EPOCH_1904 } else { 0.0 };
    let range = wb.worksheet_range(&name).map_err(xls_err)?;
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut cells = Cells::new();
    for (r, c, d) in range.used_cells() {
        let v = cell_value(d.clone(), shift);
        if !v.is_null() {
            cells.push(((r0 + r as u32, c0 + c as u32), v));
        }
    }
    Ok(cells)
}

fn too_many(sheet: &str) -> String {
    format!("sheet `{sheet}` has more than {MAX_CELLS} cells, more than qsa reads")
}

fn xlsx_err(e: XlsxError) -> String {
    match e {
        XlsxError::Password => "the workbook is password-protected".into(),
        XlsxError::Zip(e) => format!("not a readable .xlsx workbook (zip container: {e})"),
        e => format!("not a readable .xlsx workbook: {e}"),
    }
}

fn xls_err(e: XlsError) -> String {
    match e {
        XlsError::Password => "the workbook is password-protected".into(),
        e => format!("not a readable .xls workbook: {e}"),
    }
}

/// The sheet `table is` names (exactly, else without one trailing `$`, else ignoring case), or the first.
fn pick_sheet(names: &[String], wanted: Option<&str>) -> Result<String, String> {
    let Some(w) = wanted else {
        return names
            .first()
            .cloned()
            .ok_or_else(|| "the workbook has no sheets".to_string());
    };
    let bare = w.strip_suffix('$').unwrap_or(w);
    let fold = |s: &str| s.to_lowercase();
    names
        .iter()
        .find(|n| *n == w)
        .or_else(|| names.iter().find(|n| *n == bare))
        .or_else(|| {
            names
                .iter()
                .find(|n| fold(n) == fold(w) || fold(n) == fold(bare))
        })
        .cloned()
        .ok_or_else(|| {
            let list: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
            format!(
                "no sheet `{w}` in the workbook (qsa reads sheets, not named ranges); its sheets: {}",
                if list.is_empty() {
                    "none".to_string()
                } else {
                    list.join(", ")
                }
            )
        })
}

/// A cell as Qlik loads it (see the module documentation).
fn cell_value(d: Data, shift: f64) -> Value {
    match d {
        Data::Empty => Value::Null,
        Data::Int(i) => Value::num(i as f64),
        Data::Float(f) => Value::num(f),
        Data::String(s) => Value::str(s),
        Data::Bool(b) => Value::dual(if b { -1.0 } else { 0.0 }, if b { "TRUE" } else { "FALSE" }),
        Data::DateTime(dt) if dt.is_duration() => Value::num(dt.as_f64()),
        Data::DateTime(dt) => date_value(dt.as_f64() + shift),
        Data::DateTimeIso(s) => iso_value(&s),
        Data::DurationIso(s) => Value::str(s),
        Data::Error(e) => Value::str(e.to_string()),
    }
}

/// A serial number from a date-formatted cell: a date, a time of day, or a timestamp.
fn date_value(serial: f64) -> Value {
    let format = if serial.fract() == 0.0 {
        ISO_DATE
    } else if (0.0..1.0).contains(&serial) {
        ISO_TIME
    } else {
        ISO_TIMESTAMP
    };
    typed_date(serial, format)
}

/// An ISO 8601 date/time cell (`t="d"` in OOXML): as a date cell when it reads as one, else its text.
fn iso_value(s: &str) -> Value {
    let env = FnEnv::default();
    let t = s.replacen('T', " ", 1);
    [
        "YYYY-MM-DD hh:mm:ss.fff",
        "YYYY-MM-DD hh:mm:ss",
        ISO_DATE,
        ISO_TIME,
    ]
    .iter()
    .find_map(|f| parse_datetime(&t, f, &env))
    .map(date_value)
    .unwrap_or_else(|| Value::str(s))
}

/// Column letters of a 0-based column: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_name(col: u32) -> String {
    let mut c = col;
    let mut out = Vec::new();
    loop {
        out.push(char::from(b'A' + (c % 26) as u8));
        if c < 26 {
            break;
        }
        c = c / 26 - 1;
    }
    out.iter().rev().collect()
}

/// Cells → the table: header rows dropped, empty rows skipped, labels applied.
fn table_of(
    mut cells: Cells,
    labels: Labels,
    header_lines: usize,
    shown: &str,
) -> Result<Loaded, SourceError> {
    cells.retain(|((r, _), _)| *r as usize >= header_lines);
    cells.sort_by_key(|(p, _)| *p);
    // One cell written twice (a generator's bug; Excel repairs the file): which value Qlik keeps is not
    // known, and for a security table the two may be two different users.
    if let Some(w) = cells
        .windows(2)
        .find(|w| w[0].0 == w[1].0 && w[0].1 != w[1].1)
    {
        let (r, c) = w[0].0;
        return Err(SourceError::Format {
            path: shown.to_string(),
            reason: format!(
                "cell `{}{}` is written twice in the sheet with different values: which one Qlik reads \
                 is not known",
                column_name(c),
                u64::from(r) + 1
            ),
        });
    }
    cells.dedup_by_key(|(p, _)| *p);
    let (Some(first), Some(last)) = (
        cells.iter().map(|((_, c), _)| *c).min(),
        cells.iter().map(|((_, c), _)| *c).max(),
    ) else {
        return Ok(Loaded::default());
    };
    let width = (last - first) as usize + 1;
    let height = cells.chunk_by(|a, b| a.0 .0 == b.0 .0).count();
    if (height as u64).saturating_mul(width as u64) > MAX_CELLS {
        return Err(SourceError::Format {
            path: shown.to_string(),
            reason: format!(
                "the sheet's table is {height} rows by {width} columns, more than {MAX_CELLS} cells"
            ),
        });
    }
    let mut rows: Vec<Vec<Value>> = Vec::with_capacity(height);
    let mut current = None;
    for ((r, c), v) in cells {
        if current != Some(r) {
            rows.push(vec![Value::Null; width]);
            current = Some(r);
        }
        if let Some(slot) = rows
            .last_mut()
            .and_then(|row| row.get_mut((c - first) as usize))
        {
            *slot = v;
        }
    }
    let header = match labels {
        Labels::Embedded if !rows.is_empty() => Some(
            rows.remove(0)
                .iter()
                .map(|v| v.text().map(|t| t.into_owned()).unwrap_or_default())
                .collect(),
        ),
        Labels::Embedded => Some(Vec::new()),
        Labels::None => None,
    };
    assemble(
        header,
        rows,
        &|i| column_name(first.saturating_add(i as u32)),
        Some(shown),
    )
}

// ------------------------------------------------------------------------------------------------------
// Checks before calamine allocates

/// `.xlsx`: the zip's declared sizes, and the shared-string count calamine reserves room for.
fn check_zip(bytes: &[u8]) -> Result<(), String> {
    let zip_err =
        |e: zip::result::ZipError| format!("not a readable .xlsx workbook (zip container: {e})");
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(zip_err)?;
    if zip.len() > MAX_ENTRIES {
        return Err(format!(
            "the zip container has {} entries, more than qsa reads ({MAX_ENTRIES})",
            zip.len()
        ));
    }
    let mut total = 0u64;
    let mut shared = Vec::new();
    let mut content_types = false;
    for i in 0..zip.len() {
        let f = zip.by_index_raw(i).map_err(zip_err)?;
        total = total.saturating_add(f.size());
        let name = f.name().map_err(zip_err)?;
        check_part_name(&name)?;
        content_types |= name == "[Content_Types].xml";
        if name.to_ascii_lowercase().ends_with("sharedstrings.xml") {
            shared.push(i);
        }
    }
    if !content_types {
        return Err(
            "not an OOXML package: it has no `[Content_Types].xml` (Excel reports such a file as \
             corrupt)"
                .into(),
        );
    }
    if total > MAX_UNPACKED {
        return Err(format!(
            "the workbook unpacks to {total} bytes, more than qsa reads ({MAX_UNPACKED})"
        ));
    }
    for i in shared {
        let f = zip.by_index(i).map_err(zip_err)?;
        let size = f.size();
        let mut text = Vec::new();
        // At most what the zip declares (checked against the limits above), and one byte more to see
        // that it lied: a part that unpacks to more than its declared size is a zip bomb.
        f.take(size.saturating_add(1))
            .read_to_end(&mut text)
            .map_err(|e| format!("not a readable .xlsx workbook (shared strings: {e})"))?;
        if text.len() as u64 > size {
            return Err(format!(
                "the shared strings unpack to more than the {size} bytes the zip declares (a zip bomb?)"
            ));
        }
        if text.starts_with(&[0xFF, 0xFE]) || text.starts_with(&[0xFE, 0xFF]) {
            return Err("the shared strings are UTF-16, which qsa does not read".into());
        }
        for n in declared_counts(&text) {
            if n > MAX_CELLS || n > size / 5 {
                return Err(format!(
                    "the shared-string table declares {n} strings, which its {size} bytes cannot hold"
                ));
            }
        }
    }
    Ok(())
}

/// A zip entry name that can be an OOXML part (ECMA-376 Part 2, §6.2.2): no `.` or `..` segment, not
/// absolute, no backslash or drive letter. A workbook whose sheet sits at `../../evil/sheet1.xml` is not one
/// Excel wrote, and which part a reader resolves it to is anybody's guess.
fn check_part_name(name: &str) -> Result<(), String> {
    let bad = name.starts_with('/')
        || name.contains('\\')
        || name.contains(':')
        || name.split('/').any(|seg| seg == "." || seg == "..");
    if bad {
        let shown: String = name.escape_debug().take(80).collect();
        return Err(format!(
            "not an OOXML package: the zip entry `{shown}` is not a valid part name (a path outside \
             the package, such as `..`, is never written by Excel)"
        ));
    }
    Ok(())
}

/// Every `uniqueCount` attribute value in XML text, from its digits (conservatively: `u64::MAX` when there
/// are too many digits to be a plausible count).
fn declared_counts(xml: &[u8]) -> Vec<u64> {
    const ATTR: &[u8] = b"uniqueCount";
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(at) = xml
        .get(i..)
        .and_then(|rest| rest.windows(ATTR.len()).position(|w| w == ATTR))
    {
        let mut j = i + at + ATTR.len();
        while matches!(xml.get(j), Some(b' ' | b'\t' | b'\r' | b'\n' | b'=')) {
            j += 1;
        }
        if let Some(&q) = xml.get(j).filter(|q| **q == b'"' || **q == b'\'') {
            let value: Vec<u8> = xml[j + 1..]
                .iter()
                .take_while(|b| **b != q)
                .filter(|b| b.is_ascii_digit())
                .copied()
                .collect();
            if !value.is_empty() {
                let n = std::str::from_utf8(&value)
                    .ok()
                    .filter(|d| d.len() <= 18)
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(u64::MAX);
                out.push(n);
            }
        }
        i = j;
    }
    out
}

/// `.xls`: the compound file's Workbook stream, walked as calamine walks it, so that no sheet declares
/// (DIMENSIONS) or spans (cell positions) a grid over [`MAX_CELLS`]. `Ok`: the bytes calamine's grids
/// take ([`check_biff_stream`]).
fn check_biff(bytes: &[u8]) -> Result<u64, String> {
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| format!("not a readable .xls workbook (compound file: {e})"))?;
    if cf.exists("/EncryptedPackage") {
        return Err("the workbook is password-protected (encrypted)".into());
    }
    let name = ["/Workbook", "/Book"]
        .into_iter()
        .find(|n| cf.is_stream(n))
        .ok_or("not an Excel workbook: the compound file has no Workbook stream")?;
    let mut stream = Vec::new();
    cf.open_stream(name)
        .map_err(|e| format!("not a readable .xls workbook (Workbook stream: {e})"))?
        .take(bytes.len() as u64)
        .read_to_end(&mut stream)
        .map_err(|e| format!("not a readable .xls workbook (Workbook stream: {e})"))?;
    check_biff_stream(&stream)
}

/// BIFF records (type, data) from `at`, framed as calamine frames them; stops where a record would not fit.
fn records(s: &[u8], at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = s.get(at..).unwrap_or(&[]);
    std::iter::from_fn(move || {
        let typ = u16::from_le_bytes([*rest.first()?, *rest.get(1)?]);
        let len = u16::from_le_bytes([*rest.get(2)?, *rest.get(3)?]) as usize;
        let data = rest.get(4..4 + len)?;
        rest = &rest[4 + len..];
        Some((typ, data))
    })
}

fn le16(d: &[u8], at: usize) -> u32 {
    d.get(at..at + 2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
        .unwrap_or(0)
}

fn le32(d: &[u8], at: usize) -> u32 {
    d.get(at..at + 4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .unwrap_or(0)
}

/// What calamine allocates for an `.xls`, which it reads whole when it opens it: for *every* sheet, room
/// for the cells its DIMENSIONS records declare (`Vec::reserve`, a `Cell<Data>` each) and two dense grids
/// over the span of its cell positions (values, a `Data` each, and formulas, a `String` each); then a copy
/// of the values grid of the sheet that is read (`worksheet_range` clones it; counted for the largest).
const BIFF_CELL_BYTES: u64 = std::mem::size_of::<calamine::Cell<Data>>() as u64;
const BIFF_GRID_BYTES: u64 = (std::mem::size_of::<Data>() + std::mem::size_of::<String>()) as u64;
const BIFF_COPY_BYTES: u64 = std::mem::size_of::<Data>() as u64;

fn check_biff_stream(s: &[u8]) -> Result<u64, String> {
    let mut bytes = 0u64;
    let mut largest = 0u64;
    // Workbook globals up to their EOF: where each sheet's records start (BoundSheet8).
    let mut starts = Vec::new();
    for (typ, data) in records(s, 0) {
        match typ {
            0x0085 if data.len() >= 4 => starts.push(le32(data, 0) as usize),
            0x000A => break,
            _ => {}
        }
    }
    for start in starts {
        if start >= s.len() {
            return Err(format!(
                "a sheet starts at offset {start}, beyond the Workbook stream ({} bytes)",
                s.len()
            ));
        }
        let mut depth = 0usize;
        let mut seen_bof = false;
        let mut declared = 0u64;
        let mut span: Option<(u32, u32, u32, u32)> = None;
        let mut cover = |row: u32, c1: u32, c2: u32| {
            let (r0, r1, k0, k1) = span.unwrap_or((row, row, c1, c2));
            span = Some((r0.min(row), r1.max(row), k0.min(c1), k1.max(c2)));
        };
        for (typ, data) in records(s, start) {
            // Embedded charts are nested BOF … EOF substreams; calamine skips them.
            if depth > 0 {
                match typ {
                    0x0809 => depth += 1,
                    0x000A => depth -= 1,
                    _ => {}
                }
                continue;
            }
            match typ {
                0x0809 if seen_bof => depth += 1,
                0x0809 => seen_bof = true,
                0x000A => break,
                0x0200 => declared = declared.saturating_add(check_dimensions(data)?),
                // Number, Label, RString, BoolErr, RK, LabelSst, Formula: row, column first.
                0x0203 | 0x0204 | 0x00D6 | 0x0205 | 0x027E | 0x00FD | 0x0006 if data.len() >= 4 => {
                    let c = le16(data, 2);
                    cover(le16(data, 0), c, c);
                }
                // MulRk: row, first column, 6 bytes a cell, last column.
                0x00BD if data.len() >= 12 => {
                    let c = le16(data, 2);
                    if le16(data, data.len() - 2) < c {
                        return Err("a MulRk record's columns run backwards".into());
                    }
                    let n = ((data.len() - 6) / 6) as u32;
                    cover(le16(data, 0), c, c + n - 1);
                }
                _ => {}
            }
        }
        if let Some((r0, r1, c0, c1)) = span {
            let cells = (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1);
            if cells > MAX_CELLS {
                return Err(format!(
                    "a sheet spans {} rows by {} columns, more than {MAX_CELLS} cells",
                    r1 - r0 + 1,
                    c1 - c0 + 1
                ));
            }
            bytes = bytes.saturating_add(cells.saturating_mul(BIFF_GRID_BYTES));
            largest = largest.max(cells);
        }
        bytes = bytes.saturating_add(declared.saturating_mul(BIFF_CELL_BYTES));
    }
    Ok(bytes.saturating_add(largest.saturating_mul(BIFF_COPY_BYTES)))
}

/// A DIMENSIONS record, read as calamine reads it (which reserves room for the whole grid). `Ok`: the
/// cells it declares (0 for a record calamine refuses itself).
fn check_dimensions(d: &[u8]) -> Result<u64, String> {
    let (rf, rl, mut cf, cl) = match d.len() {
        10 => (le16(d, 0), le16(d, 2), le16(d, 4), le16(d, 6)),
        14 | 16 => (le32(d, 0), le32(d, 4), le16(d, 8), le16(d, 10)),
        _ => return Ok(0), // calamine refuses the record itself
    };
    if cf > 0xFF || cl < cf {
        cf = 0;
    }
    let (end_r, end_c) = if rl >= 1 && cl >= 1 {
        (rl - 1, cl - 1)
    } else {
        (rf, cf)
    };
    let rows = i64::from(end_r) - i64::from(rf) + 1;
    let cols = i64::from(end_c) - i64::from(cf) + 1;
    if rows <= 0 || cols <= 0 {
        return Err(format!(
            "a sheet's DIMENSIONS record is inconsistent (rows {rf}..{rl}, columns {cf}..{cl})"
        ));
    }
    let cells = rows.saturating_mul(cols) as u64;
    if cells > MAX_CELLS {
        return Err(format!(
            "a sheet declares {rows} rows by {cols} columns, more than {MAX_CELLS} cells"
        ));
    }
    Ok(cells)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The held-back inputs of `tests/malformed.rs` this reader refuses by its own checks: each error
    /// names what is wrong.
    #[test]
    fn refuses_packages_excel_would_call_corrupt() {
        let read = |bytes: &[u8]| {
            read_excel_bytes(
                bytes.to_vec(),
                Some("Sheet1"),
                Labels::Embedded,
                0,
                "t.xlsx",
            )
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
        };
        let refused: [(&[u8], &str); 6] = [
            (
                include_bytes!("../../../tests/data/malformed/excel/no_content_types.xlsx"),
                "[Content_Types].xml",
            ),
            (
                include_bytes!("../../../tests/data/malformed/excel/zip_slip_entry.xlsx"),
                "../../evil/sheet1.xml",
            ),
            (
                include_bytes!("../../../tests/data/malformed/excel/row_past_excel_limit.xlsx"),
                "cell `A1048577`",
            ),
            (
                include_bytes!("../../../tests/data/malformed/excel/column_past_xfd.xlsx"),
                "cell `XFE3`",
            ),
            (
                include_bytes!("../../../tests/data/malformed/excel/formula_no_cached_value.xlsx"),
                "cell `B3` holds a formula with no cached value",
            ),
            (
                include_bytes!("../../../tests/data/malformed/excel/cell_written_twice.xlsx"),
                "cell `B3` is written twice",
            ),
        ];
        for (bytes, says) in refused {
            let e = read(bytes);
            assert!(e.contains(says), "{says}: {e}");
        }
        // The same workbooks, well formed, read.
        assert_eq!(
            read(include_bytes!(
                "../../../tests/data/malformed/excel/valid.xlsx"
            )),
            ""
        );
        assert_eq!(
            read(include_bytes!(
                "../../../tests/data/malformed/excel/sst_valid.xlsx"
            )),
            ""
        );
    }

    #[test]
    fn part_names() {
        for ok in [
            "xl/workbook.xml",
            "[Content_Types].xml",
            "xl/worksheets/sheet1.xml",
            "a..b/c",
        ] {
            assert!(check_part_name(ok).is_ok(), "{ok}");
        }
        for bad in [
            "../x.xml",
            "xl/../../x.xml",
            "/xl/workbook.xml",
            "xl\\x.xml",
            "C:/x.xml",
            "./x",
        ] {
            assert!(check_part_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn column_letters() {
        let names: Vec<String> = [0, 1, 25, 26, 27, 51, 52, 701, 702, 16383]
            .into_iter()
            .map(column_name)
            .collect();
        assert_eq!(
            names,
            vec!["A", "B", "Z", "AA", "AB", "AZ", "BA", "ZZ", "AAA", "XFD"]
        );
    }

    #[test]
    fn sheet_names_match_with_dollar_and_case() {
        let names = vec![
            "Users".to_string(),
            "My Sheet".to_string(),
            "X$".to_string(),
        ];
        let pick = |w: Option<&str>| pick_sheet(&names, w);
        assert_eq!(pick(None).as_deref(), Ok("Users"));
        assert_eq!(pick(Some("My Sheet$")).as_deref(), Ok("My Sheet"));
        assert_eq!(pick(Some("my sheet")).as_deref(), Ok("My Sheet"));
        assert_eq!(pick(Some("USERS$")).as_deref(), Ok("Users"));
        assert_eq!(pick(Some("X$")).as_deref(), Ok("X$"));
        let e = pick(Some("Nope")).unwrap_err();
        assert!(
            e.contains("`Nope`") && e.contains("`Users`, `My Sheet`, `X$`"),
            "{e}"
        );
        assert!(pick_sheet(&[], None).is_err());
    }

    fn tn(v: &Value) -> (Option<String>, Option<f64>) {
        let n = match v {
            Value::Num(n) | Value::Dual(n, _) => Some(*n),
            _ => None,
        };
        (v.text().map(|t| t.into_owned()), n)
    }

    #[test]
    fn cells_become_values() {
        let t = |s: &str, n: Option<f64>| (Some(s.to_string()), n);
        assert_eq!(tn(&cell_value(Data::Float(1.0), 0.0)), t("1", Some(1.0)));
        assert_eq!(tn(&cell_value(Data::Int(-7), 0.0)), t("-7", Some(-7.0)));
        assert_eq!(tn(&cell_value(Data::Float(2.5), 0.0)), t("2.5", Some(2.5)));
        assert_eq!(
            tn(&cell_value(Data::String("01".into()), 0.0)),
            t("01", None)
        );
        assert_eq!(
            tn(&cell_value(Data::Bool(true), 0.0)),
            t("TRUE", Some(-1.0))
        );
        assert_eq!(
            tn(&cell_value(Data::Bool(false), 0.0)),
            t("FALSE", Some(0.0))
        );
        assert_eq!(
            tn(&cell_value(Data::Error(calamine::CellErrorType::NA), 0.0)),
            t("#N/A", None)
        );
        assert!(cell_value(Data::Empty, 0.0).is_null());
        assert_eq!(tn(&date_value(45306.0)), t("2024-01-15", Some(45306.0)));
        assert_eq!(
            tn(&date_value(45306.75)),
            t("2024-01-15 18:00:00", Some(45306.75))
        );
        assert_eq!(tn(&date_value(0.5)), t("12:00:00", Some(0.5)));
        // 1904-based workbooks: day 0 is 1904-01-01.
        let dt = calamine::ExcelDateTime::new(0.0, calamine::ExcelDateTimeType::DateTime, true);
        assert_eq!(
            tn(&cell_value(Data::DateTime(dt), EPOCH_1904)),
            t("1904-01-01", Some(1462.0))
        );
        assert_eq!(tn(&iso_value("2024-01-15")), t("2024-01-15", Some(45306.0)));
        assert_eq!(
            tn(&iso_value("2024-01-15T18:00:00")),
            t("2024-01-15 18:00:00", Some(45306.75))
        );
        assert_eq!(tn(&iso_value("soon")), t("soon", None));
    }

    #[test]
    fn signatures() {
        assert!(sniff(b"").unwrap_err().contains("empty"));
        assert!(sniff(b"USERID,ACCESS\n").unwrap_err().contains("text file"));
        assert!(matches!(sniff(b"PK\x03\x04rest"), Ok(Book::Ooxml)));
    }

    #[test]
    fn shared_string_counts() {
        assert_eq!(
            declared_counts(b"<sst count=\"9\" uniqueCount=\"3\"><si/></sst><x uniqueCount = '12345678901234567890'/>"),
            vec![3, u64::MAX]
        );
        assert!(declared_counts(b"<sst uniqueCount=\"\">").is_empty());
    }

    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut r = typ.to_le_bytes().to_vec();
        r.extend((data.len() as u16).to_le_bytes());
        r.extend(data);
        r
    }

    /// Globals (BOF, one BoundSheet8, EOF) followed by one sheet substream made of `sheet` records.
    fn stream(sheet: &[Vec<u8>]) -> Vec<u8> {
        let bof = record(0x0809, &[0; 16]);
        let eof = record(0x000A, &[]);
        let globals_len = bof.len() + record(0x0085, &[0; 8]).len() + eof.len();
        let mut s = bof.clone();
        let mut bs = (globals_len as u32).to_le_bytes().to_vec();
        bs.extend([0; 4]);
        s.extend(record(0x0085, &bs));
        s.extend(eof.clone());
        s.extend(bof);
        for r in sheet {
            s.extend(r.clone());
        }
        s.extend(eof);
        s
    }

    fn number(row: u16, col: u16) -> Vec<u8> {
        let mut d = row.to_le_bytes().to_vec();
        d.extend(col.to_le_bytes());
        d.extend([0; 10]);
        record(0x0203, &d)
    }

    fn dimensions(rf: u32, rl: u32, cf: u16, cl: u16) -> Vec<u8> {
        let mut d = rf.to_le_bytes().to_vec();
        d.extend(rl.to_le_bytes());
        d.extend(cf.to_le_bytes());
        d.extend(cl.to_le_bytes());
        d.extend([0, 0]);
        record(0x0200, &d)
    }

    /// A compound file holding `stream` as its Workbook stream, as an `.xls` would.
    fn xls(stream: &[u8]) -> Vec<u8> {
        use std::io::Write;
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/Workbook")
            .unwrap()
            .write_all(stream)
            .unwrap();
        cf.flush().unwrap();
        cf.into_inner().into_inner()
    }

    #[test]
    fn crafted_xls_grids_are_refused_whole() {
        // Calamine would reserve 4 billion × 2 cells for this sheet.
        let bytes = xls(&stream(&[dimensions(0, u32::MAX, 0, 2), number(0, 0)]));
        match read_excel_bytes(bytes, None, Labels::Embedded, 0, "crafted.xls") {
            Err(SourceError::Format { path, reason }) => {
                assert_eq!(path, "crafted.xls");
                assert!(
                    reason.contains("declares 4294967295 rows by 2 columns"),
                    "{reason}"
                );
            }
            other => panic!("{other:?}"),
        }
        let bytes = xls(&stream(&[number(0, 0), number(65535, 65535)]));
        assert!(read_excel_bytes(bytes, None, Labels::Embedded, 0, "x.xls").is_err());
        // No Workbook stream: a compound file that is not a workbook.
        let mut cf = cfb::CompoundFile::create(Cursor::new(Vec::new())).unwrap();
        cf.create_stream("/Other").unwrap();
        cf.flush().unwrap();
        let e = check_biff(&cf.into_inner().into_inner()).unwrap_err();
        assert!(e.contains("no Workbook stream"), "{e}");
    }

    #[test]
    fn biff_grids_are_checked_before_calamine_builds_them() {
        assert!(check_biff_stream(&stream(&[
            dimensions(0, 3, 0, 2),
            number(0, 0),
            number(2, 1)
        ]))
        .is_ok());
        // A declared grid of 4 billion rows, and rows that run backwards.
        let e = check_biff_stream(&stream(&[dimensions(0, u32::MAX, 0, 2)])).unwrap_err();
        assert!(e.contains("more than"), "{e}");
        assert!(check_biff_stream(&stream(&[dimensions(9, 3, 0, 2)])).is_err());
        // Two cells far apart span 65536 × 65536.
        let e = check_biff_stream(&stream(&[number(0, 0), number(65535, 65535)])).unwrap_err();
        assert!(e.contains("65536 rows by 65536 columns"), "{e}");
        // Cells of an embedded chart (a nested substream) are not the sheet's.
        let chart = [
            record(0x0809, &[0; 16]),
            number(65535, 65535),
            record(0x000A, &[]),
        ];
        let mut sheet = vec![number(0, 0)];
        sheet.extend(chart);
        assert!(check_biff_stream(&stream(&sheet)).is_ok());
    }

    #[test]
    fn biff_grids_are_what_counts_against_max_memory() {
        // One sheet: DIMENSIONS declares 3 × 2 cells (reserved), its cells span rows 0..=999 and
        // columns 0..=9 (two dense grids, then a copy of the values grid).
        let bytes = check_biff_stream(&stream(&[
            dimensions(0, 3, 0, 2),
            number(0, 0),
            number(999, 9),
        ]))
        .unwrap();
        assert_eq!(
            bytes,
            6 * BIFF_CELL_BYTES + 10_000 * BIFF_GRID_BYTES + 10_000 * BIFF_COPY_BYTES
        );
        // Two cells far apart, under the 50M-cell cap (4,000 × 10,000 = 40M cells): over 2 GB of grids,
        // which the file's size said nothing about.
        let bytes = check_biff_stream(&stream(&[number(0, 0), number(3999, 9999)])).unwrap();
        assert!(bytes > 40_000_000 * BIFF_GRID_BYTES, "{bytes}");
    }
}
