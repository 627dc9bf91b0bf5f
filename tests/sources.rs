//! Data sources (INLINE, delimited text, Excel, QVD, Parquet), path resolution and the function library,
//! against hand-computed expectations.

use proptest::prelude::*;
use qsa::model::{RowOrigin, Value};
use qsa::script::functions::{call, FnEnv, FnError};
use qsa::script::sources::{
    dir_list, file_list, read_file, read_inline, resolve_path, Loaded, PathContext, SourceError,
};
use qsa::syntax::FormatItem;
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/data")
}

/// A cell as (text, number) for exact comparison (Value's `==` compares text only).
fn tn(v: &Value) -> (Option<String>, Option<f64>) {
    let num = match v {
        Value::Num(n) | Value::Dual(n, _) => Some(*n),
        _ => None,
    };
    (v.text().map(|t| t.into_owned()), num)
}

fn cell(l: &Loaded, row: usize, field: &str) -> (Option<String>, Option<f64>) {
    let i = l
        .fields
        .iter()
        .position(|f| f == field)
        .unwrap_or_else(|| panic!("no field {field} in {:?}", l.fields));
    tn(&l.row(row)[i])
}

fn txt(s: &str) -> (Option<String>, Option<f64>) {
    (Some(s.to_string()), None)
}
fn dual(s: &str, n: f64) -> (Option<String>, Option<f64>) {
    (Some(s.to_string()), Some(n))
}
const NULL: (Option<String>, Option<f64>) = (None, None);

// ------------------------------------------------------------------------------------------------------
// INLINE

#[test]
fn inline_embedded_labels_keep_values_verbatim() {
    // S4/S5 (upper-casing, trimming) are the runner's: the source keeps text as written.
    let l = read_inline("USERID, REGION\r\n alice , eu\r\n\r\n  \r\nBOB,01\r\n", &[]).unwrap();
    assert_eq!(l.fields, vec!["USERID", "REGION"]);
    assert_eq!(l.row_count(), 2);
    assert_eq!(cell(&l, 0, "USERID"), txt(" alice "));
    assert_eq!(cell(&l, 0, "REGION"), txt(" eu"));
    assert_eq!(cell(&l, 1, "REGION"), dual("01", 1.0));
    assert!(l.origins.is_empty());
}

#[test]
fn inline_no_labels_and_explicit_labels_number_the_fields() {
    for item in [FormatItem::NoLabels, FormatItem::ExplicitLabels] {
        let l = read_inline("a,b\nc,d,e\n", &[item]).unwrap();
        assert_eq!(l.fields, vec!["@1", "@2", "@3"]);
        assert_eq!(cell(&l, 0, "@1"), txt("a"));
        assert_eq!(cell(&l, 0, "@3"), NULL);
        assert_eq!(cell(&l, 1, "@3"), txt("e"));
    }
}

#[test]
fn inline_ragged_rows_pad_with_null_and_truncate() {
    let l = read_inline("A,B\n1\n2,3,4\n", &[]).unwrap();
    assert_eq!(l.row(0).len(), 2);
    assert_eq!(cell(&l, 0, "B"), NULL);
    assert_eq!(cell(&l, 1, "B"), dual("3", 3.0));
    assert_eq!(l.row(1).len(), 2);
}

#[test]
fn inline_delimiters() {
    let cases: &[(&str, &str)] = &[
        ("|", "A|B\nx|y\n"),
        ("\\t", "A\tB\nx\ty\n"),
        ("tab", "A\tB\nx\ty\n"),
        (";", "A;B\nx;y\n"),
    ];
    for (d, data) in cases {
        let l = read_inline(data, &[FormatItem::Delimiter(d.to_string())]).unwrap();
        assert_eq!(l.fields, vec!["A", "B"], "delimiter {d}");
        assert_eq!(cell(&l, 0, "B"), txt("y"), "delimiter {d}");
    }
    let l = read_inline("A  B\n x   y \n", &[FormatItem::Delimiter("spaces".into())]).unwrap();
    assert_eq!(l.fields, vec!["A", "B"]);
    assert_eq!(cell(&l, 0, "A"), txt("x"));
    assert_eq!(cell(&l, 0, "B"), txt("y"));
}

#[test]
fn inline_quotes() {
    let l = read_inline("A,B\n\"x, y\",'it''s'\n \"q\" , O'Brien\n", &[]).unwrap();
    assert_eq!(cell(&l, 0, "A"), txt("x, y"));
    assert_eq!(cell(&l, 0, "B"), txt("it's"));
    assert_eq!(cell(&l, 1, "A"), txt("q"));
    assert_eq!(cell(&l, 1, "B"), txt(" O'Brien"));
    // no quotes: quote characters are data
    let l = read_inline("A\n\"x\"\n", &[FormatItem::NoQuotes]).unwrap();
    assert_eq!(cell(&l, 0, "A"), txt("\"x\""));
    // msq: a double-quoted value may span lines
    let l = read_inline("A,B\n\"one\ntwo\",2\n", &[FormatItem::Msq]).unwrap();
    assert_eq!(l.row_count(), 1);
    assert_eq!(cell(&l, 0, "A"), txt("one\ntwo"));
    // standard quoting does not span lines
    let l = read_inline("A,B\n\"one\ntwo\",2\n", &[]).unwrap();
    assert_eq!(l.row_count(), 2);
}

#[test]
fn inline_labels_are_trimmed_and_must_be_unique() {
    let l = read_inline(" A , ,C\n1,2,3\n", &[]).unwrap();
    assert_eq!(l.fields, vec!["A", "@2", "C"]);
    assert!(matches!(
        read_inline("A,A\n1,2\n", &[]),
        Err(SourceError::Format { .. })
    ));
    let empty = read_inline("", &[]).unwrap();
    assert!(empty.fields.is_empty() && empty.row_count() == 0);
    let only_labels = read_inline("A,B\n", &[]).unwrap();
    assert_eq!(only_labels.fields, vec!["A", "B"]);
    assert!(only_labels.row_count() == 0);
}

#[test]
fn inline_rejects_non_text_format() {
    assert!(matches!(
        read_inline("A\n1\n", &[FormatItem::FileType("qvd".into())]),
        Err(SourceError::Unsupported(_))
    ));
}

// ------------------------------------------------------------------------------------------------------
// delimited text files

fn text_file(name: &str) -> PathBuf {
    fixtures().join("text").join(name)
}

#[test]
fn csv_semicolon_with_msq_and_doubled_quotes() {
    let p = text_file("semicolon_msq.csv");
    let l = read_file(&p, &[FormatItem::Delimiter(";".into()), FormatItem::Msq]).unwrap();
    assert_eq!(l.fields, vec!["ID", "Name", "Note"]);
    assert_eq!(l.row_count(), 2);
    assert_eq!(cell(&l, 0, "ID"), dual("01", 1.0));
    assert_eq!(cell(&l, 0, "Name"), txt("Smith; John"));
    assert_eq!(cell(&l, 0, "Note"), txt("line one\r\nline two"));
    assert_eq!(cell(&l, 1, "Name"), txt("O'Brien"));
    assert_eq!(cell(&l, 1, "Note"), txt("\"quoted\""));
    assert_eq!(
        l.origins.to_vec(),
        vec![
            RowOrigin::File {
                path: p.display().to_string().into(),
                row: 1
            },
            RowOrigin::File {
                path: p.display().to_string().into(),
                row: 2
            },
        ]
    );
}

#[test]
fn csv_header_lines_and_comments() {
    let p = text_file("header_comment.txt");
    let l = read_file(
        &p,
        &[
            FormatItem::FileType("txt".into()),
            FormatItem::HeaderLines(2),
            FormatItem::CommentIs("#".into()),
        ],
    )
    .unwrap();
    assert_eq!(l.fields, vec!["Region", "Code"]);
    assert_eq!(l.row_count(), 2);
    assert_eq!(cell(&l, 0, "Code"), dual("001", 1.0));
    assert_eq!(cell(&l, 1, "Region"), txt("US"));
    assert_eq!(cell(&l, 1, "Code"), dual(" 2", 2.0));
}

#[test]
fn tab_extension_defaults_to_tab_delimiter() {
    let l = read_file(&text_file("no_labels.tab"), &[FormatItem::NoLabels]).unwrap();
    assert_eq!(l.fields, vec!["@1", "@2", "@3"]);
    assert_eq!(l.row_count(), 3);
    assert_eq!(cell(&l, 1, "@3"), txt(" extra"));
    assert_eq!(cell(&l, 2, "@2"), NULL);
}

#[test]
fn csv_encodings() {
    let ansi = read_file(
        &text_file("ansi.csv"),
        &[FormatItem::Codepage("ansi".into())],
    )
    .unwrap();
    assert_eq!(cell(&ansi, 0, "Name"), txt("Müller"));
    assert_eq!(cell(&ansi, 0, "Amount"), txt("€5"));
    let cp = read_file(
        &text_file("ansi.csv"),
        &[FormatItem::Codepage("codepage is 1252".into())],
    )
    .unwrap();
    assert_eq!(cell(&cp, 0, "Name"), txt("Müller"));
    // No codepage: not valid UTF-8, so Windows-1252.
    let auto = read_file(&text_file("ansi.csv"), &[]).unwrap();
    assert_eq!(cell(&auto, 0, "Amount"), txt("€5"));
    let u16 = read_file(
        &text_file("utf16.csv"),
        &[FormatItem::Codepage("unicode".into())],
    )
    .unwrap();
    assert_eq!(u16.fields, vec!["USERID", "REGION"]);
    assert_eq!(cell(&u16, 0, "USERID"), txt("José"));
    // The BOM alone is enough.
    let u16b = read_file(&text_file("utf16.csv"), &[]).unwrap();
    assert_eq!(cell(&u16b, 0, "USERID"), txt("José"));
    let bom = read_file(
        &text_file("utf8_bom.csv"),
        &[FormatItem::Codepage("utf8".into())],
    )
    .unwrap();
    assert_eq!(bom.fields, vec!["Key", "Value"]);
    assert_eq!(cell(&bom, 0, "Key"), txt("été"));
    assert_eq!(cell(&bom, 0, "Value"), dual("1.50", 1.5));
    let l1 = read_file(
        &text_file("latin1.csv"),
        &[FormatItem::Codepage("codepage is 28591".into())],
    )
    .unwrap();
    assert_eq!(cell(&l1, 0, "K"), txt("é"));
    assert!(matches!(
        read_file(
            &text_file("ansi.csv"),
            &[FormatItem::Codepage("oem".into())]
        ),
        Err(SourceError::Unsupported(_))
    ));
}

#[test]
fn transformations_are_refused() {
    let f = [FormatItem::Other(
        "filters(Remove(Row, Pos(Top, 1)))".into(),
    )];
    assert!(matches!(
        read_file(&text_file("ansi.csv"), &f),
        Err(SourceError::Unsupported(_))
    ));
    assert!(matches!(
        read_inline("A\n1\n", &f),
        Err(SourceError::Unsupported(_))
    ));
    assert!(matches!(
        read_inline("A\n1\n", &[FormatItem::RecordLines(2)]),
        Err(SourceError::Unsupported(_))
    ));
}

#[test]
fn auto_interpretation_of_loaded_text() {
    use qsa::script::functions::auto_interpret;
    let e = env();
    assert_eq!(
        tn(&auto_interpret(&s("2024-01-15"), &e)),
        dual("2024-01-15", 45306.0)
    );
    assert_eq!(tn(&auto_interpret(&s("01"), &e)), dual("01", 1.0));
    assert_eq!(tn(&auto_interpret(&s("EU"), &e)), txt("EU"));
    let comma = FnEnv {
        decimal_sep: ",".into(),
        thousand_sep: ".".into(),
        ..env()
    };
    assert_eq!(
        tn(&auto_interpret(&s("1.234,5"), &comma)),
        dual("1.234,5", 1234.5)
    );
}

#[test]
fn missing_and_unsupported_files() {
    assert!(matches!(
        read_file(&text_file("nope.csv"), &[]),
        Err(SourceError::Open { .. })
    ));
    for (ext, kind) in [("xml", "xml"), ("json", "json")] {
        match read_file(Path::new(&format!("x.{ext}")), &[]) {
            Err(SourceError::Unsupported(m)) => assert!(m.contains(kind), "{m}"),
            other => panic!("{ext}: {other:?}"),
        }
    }
    match read_file(
        &text_file("ansi.csv"),
        &[FormatItem::FileType("fix".into())],
    ) {
        Err(SourceError::Unsupported(m)) => assert!(m.contains("fix")),
        other => panic!("{other:?}"),
    }
}

// ------------------------------------------------------------------------------------------------------
// QVD (files written by Qlik Sense; values checked by an independent decoder, see SOURCES.md)

fn qvd_file(name: &str) -> PathBuf {
    fixtures().join("qvd").join(name)
}

#[test]
fn qvd_written_by_qlik() {
    let l = read_file(
        &qvd_file("test_qvd.qvd"),
        &[FormatItem::FileType("qvd".into())],
    )
    .unwrap();
    assert_eq!(
        l.fields,
        vec!["TEST.Month", "TEST.Quarter", "TEST.double", "TEST.big"]
    );
    assert_eq!(l.row_count(), 12);
    assert_eq!(l.origins.len(), 12);
    assert_eq!(cell(&l, 0, "TEST.Month"), dual("1", 1.0));
    assert_eq!(cell(&l, 11, "TEST.Month"), dual("12", 12.0));
    assert_eq!(cell(&l, 0, "TEST.Quarter"), txt("Q1"));
    assert_eq!(cell(&l, 11, "TEST.Quarter"), txt("Q4"));
    assert_eq!(cell(&l, 0, "TEST.double"), dual("1.2", 1.2));
    // Qlik kept the text `10.0` of a value whose number is 10.
    assert_eq!(cell(&l, 1, "TEST.double"), dual("10.0", 10.0));
    assert_eq!(cell(&l, 7, "TEST.double"), dual("213.95625", 213.95625));
    // Stored as text only (type 4), not as a number.
    assert_eq!(cell(&l, 0, "TEST.big"), txt("3213821398129038"));
    assert_eq!(
        cell(&l, 1, "TEST.big"),
        dual("1241264654654", 1241264654654.0)
    );
    assert_eq!(cell(&l, 11, "TEST.big"), dual("64", 64.0));
}

#[test]
fn qvd_nulls() {
    // Extension alone selects the QVD reader.
    let l = read_file(&qvd_file("test_qvd_null.qvd"), &[]).unwrap();
    assert_eq!(l.fields, vec!["Month", "Quarter", "some_null", "all Null"]);
    assert_eq!(l.row_count(), 12);
    let nulls: Vec<usize> = (0..12)
        .filter(|&r| cell(&l, r, "some_null") == NULL)
        .collect();
    assert_eq!(nulls, vec![3, 4, 5]);
    assert!((0..12).all(|r| cell(&l, r, "all Null") == NULL));
    assert_eq!(cell(&l, 8, "some_null"), dual("2", 2.0));
}

#[test]
fn qvd_matches_the_other_crate_cell_by_cell() {
    for name in ["test_qvd.qvd", "test_qvd_null.qvd"] {
        let p = qvd_file(name);
        let ours = read_file(&p, &[]).unwrap();
        let other = qvd::read_qvd_file(&p.display().to_string()).unwrap();
        assert_eq!(ours.fields, other.column_names());
        assert_eq!(ours.row_count(), other.num_rows());
        for (r, row) in ours.to_rows().iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                let theirs = other
                    .row_indices
                    .get(c)
                    .and_then(|col| col.get(r))
                    .copied()
                    .unwrap_or(-1);
                let sym = usize::try_from(theirs)
                    .ok()
                    .and_then(|i| other.symbols[c].get(i));
                assert_eq!(
                    v.text().map(|t| t.into_owned()),
                    sym.map(|s| s.to_string_repr()),
                    "{name} r{r} c{c}"
                );
                assert_eq!(tn(v).1, sym.and_then(|s| s.as_f64()), "{name} r{r} c{c}");
            }
        }
    }
}

#[test]
fn qvd_corrupt_files_are_errors() {
    let bytes = std::fs::read(qvd_file("test_qvd.qvd")).unwrap();
    let dir = temp_dir("qvd_corrupt");
    for cut in [10usize, 500, bytes.len() - 3] {
        let p = dir.join(format!("cut{cut}.qvd"));
        std::fs::write(&p, &bytes[..cut]).unwrap();
        assert!(
            matches!(read_file(&p, &[]), Err(SourceError::Format { .. })),
            "cut at {cut}"
        );
    }
}

// ------------------------------------------------------------------------------------------------------
// Parquet

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("qsa-sources-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn parquet_values() {
    use polars::prelude::{df, DataType, NamedFrom, ParquetWriter, Series};
    let dir = temp_dir("parquet");
    let p = dir.join("t.parquet");
    let mut df = df!(
        "USERID" => [Some("alice"), None, Some("01")],
        "N" => [Some(1i64), Some(-2), None],
        "X" => [1.5f64, 2.0, 0.25],
    )
    .unwrap();
    let days = Series::new("D".into(), [19737i32, 0, 1])
        .cast(&DataType::Date)
        .unwrap(); // 2024-01-15
    df.with_column(days.into()).unwrap();
    ParquetWriter::new(std::fs::File::create(&p).unwrap())
        .finish(&mut df)
        .unwrap();
    let l = read_file(&p, &[FormatItem::FileType("parquet".into())]).unwrap();
    assert_eq!(l.fields, vec!["USERID", "N", "X", "D"]);
    assert_eq!(cell(&l, 0, "USERID"), txt("alice"));
    assert_eq!(cell(&l, 1, "USERID"), NULL);
    // Strings stay text even when they look like numbers.
    assert_eq!(cell(&l, 2, "USERID"), txt("01"));
    assert_eq!(cell(&l, 1, "N"), dual("-2", -2.0));
    assert_eq!(cell(&l, 2, "N"), NULL);
    assert_eq!(cell(&l, 2, "X"), dual("0.25", 0.25));
    assert_eq!(cell(&l, 0, "D"), dual("2024-01-15", 45306.0));
    assert_eq!(cell(&l, 1, "D"), dual("1970-01-01", 25569.0));
    assert_eq!(l.origins.len(), 3);

    let pb = dir.join("b.parquet");
    let mut bdf = df!("B" => [true, false]).unwrap();
    ParquetWriter::new(std::fs::File::create(&pb).unwrap())
        .finish(&mut bdf)
        .unwrap();
    assert!(matches!(
        read_file(&pb, &[]),
        Err(SourceError::Unsupported(_))
    ));
    let bad = dir.join("bad.parquet");
    std::fs::write(&bad, b"PAR1 not really").unwrap();
    assert!(matches!(
        read_file(&bad, &[]),
        Err(SourceError::Format { .. })
    ));
}

/// TIME, DURATION and struct columns are refused naming the column, like booleans: the polars features
/// `dtype-time`, `dtype-duration` and `dtype-struct` are there so that the decoder types them (without
/// them it fails on such a column, and the file is reported as unreadable instead).
#[test]
fn parquet_time_duration_and_struct_columns_are_refused_by_name() {
    use polars::prelude::{
        DataFrame, DataType, IntoColumn, IntoSeries, NamedFrom, ParquetWriter, Series,
        StructChunked, TimeUnit,
    };
    let dir = temp_dir("parquet-types");
    let ms = Series::new("MS".into(), [1_000i64, 2_000]);
    let cases = [
        ("TIME", ms.cast(&DataType::Time).unwrap()),
        (
            "DURATION",
            ms.cast(&DataType::Duration(TimeUnit::Milliseconds))
                .unwrap(),
        ),
        (
            "STRUCT",
            StructChunked::from_series("STRUCT".into(), 2, [ms.clone()].iter())
                .unwrap()
                .into_series(),
        ),
    ];
    for (name, s) in cases {
        let p = dir.join(format!("{name}.parquet"));
        let mut df = DataFrame::new(2, vec![s.with_name(name.into()).into_column()]).unwrap();
        ParquetWriter::new(std::fs::File::create(&p).unwrap())
            .finish(&mut df)
            .unwrap();
        match read_file(&p, &[]) {
            Err(SourceError::Unsupported(m)) => {
                assert!(m.contains(&format!("column `{name}`")), "{name}: {m}")
            }
            Err(e) => panic!("{name}: {e}"),
            Ok(l) => panic!("{name}: read as {:?}", l.fields),
        }
    }
}

/// The 1,000 rows of `fixtures/data/parquet/make.py`, row `i`: USERID, N, X, I.
fn pyarrow_row(i: usize) -> [(Option<String>, Option<f64>); 4] {
    let user = (i % 7 != 0).then(|| txt(&format!("user{:02}", i % 50)));
    let n = (i % 5 != 0).then(|| {
        let n = (i as i64 * 37) % 1000 - 500;
        dual(&n.to_string(), n as f64)
    });
    let x = (i % 11 != 0).then(|| {
        let x = i as f64 / 4.0;
        dual(&x.to_string(), x)
    });
    let k = (i % 3) as f64;
    [
        user.unwrap_or(NULL),
        n.unwrap_or(NULL),
        x.unwrap_or(NULL),
        dual(&k.to_string(), k),
    ]
}

/// Files pyarrow wrote (fixtures/data/parquet/make.py): dictionary pages, data pages v1 and v2, nulls,
/// several pages per column chunk and three row groups, every compression pyarrow writes, and the
/// DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY and BYTE_STREAM_SPLIT encodings: the page-header check
/// lets all of them through, and every cell reads back. (DELTA_BYTE_ARRAY it refuses:
/// `parquet_delta_byte_array_is_refused_before_polars_allocates`.)
#[test]
fn parquet_written_by_pyarrow_reads_cell_by_cell() {
    let dir = fixtures().join("parquet");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".parquet"))
        .collect();
    names.sort();
    assert_eq!(names.len(), 13, "{names:?}");
    for name in &names {
        let l = read_file(&dir.join(name), &[]).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(l.fields, vec!["USERID", "N", "X", "I"], "{name}");
        assert_eq!(l.columns[0].len(), 1000, "{name}");
        for i in 0..1000 {
            let want = pyarrow_row(i);
            let got: Vec<_> = ["USERID", "N", "X", "I"]
                .iter()
                .map(|f| cell(&l, i, f))
                .collect();
            assert_eq!(got, want, "{name}, row {i}");
        }
    }
}

/// Why `path` is refused (the test fails if it is read).
fn refusal(path: &Path) -> String {
    match read_file(path, &[]) {
        Ok(l) => panic!("{}: read {} fields", path.display(), l.fields.len()),
        Err(e) => e.to_string(),
    }
}

/// DELTA_BYTE_ARRAY pages are refused by the page-header check, before polars decodes them: its decoder
/// reserves each value's length, read from the page, before checking it, and `alloc-280gb.parquet` (495
/// bytes, fixtures/data/parquet/make.py) made qsa abort ("memory allocation of 280267669925 bytes
/// failed", exit 134), which no `catch_unwind` stops. A correct file in that encoding is refused the same
/// way, with what to write instead.
#[test]
fn parquet_delta_byte_array_is_refused_before_polars_allocates() {
    let dir = fixtures().join("parquet/delta-byte-array");
    for name in ["alloc-280gb.parquet", "valid.parquet"] {
        let e = refusal(&dir.join(name));
        assert!(e.contains("DELTA_BYTE_ARRAY-encoded"), "{name}: {e}");
        assert!(e.contains("PLAIN or dictionary encoding"), "{name}: {e}");
        assert!(e.contains(name), "{name}: {e}");
    }
}

/// Fixed-size binaries and lists, at any depth, are refused from the schema before polars decodes them: it
/// fills a buffer of the declared size per row, nulls included, and `alloc-8gib.parquet` (193 bytes,
/// fixtures/data/parquet/make.py) made it reserve 8 GiB for four nulls (larger sizes abort the process).
/// The refusal names the column and the type.
#[test]
fn parquet_fixed_size_columns_are_refused_from_the_schema() {
    let dir = fixtures().join("parquet/fixed-size");
    let cases = [
        (
            "alloc-8gib.parquet",
            "`B` is a fixed-size binary of 2147483647 bytes",
        ),
        (
            "binary16.parquet",
            "`UID` is a fixed-size binary of 16 bytes",
        ),
        (
            "list-of-binary4.parquet",
            "`L` is a list of a fixed-size binary of 4 bytes",
        ),
        (
            "struct-with-binary4.parquet",
            "`S` is a struct whose field `B` is a fixed-size binary of 4 bytes",
        ),
        (
            "fixed-list3.parquet",
            "`F` is a fixed-size list of 3 values",
        ),
    ];
    for (name, want) in cases {
        let e = refusal(&dir.join(name));
        assert!(e.contains(want), "{name}: {e}");
        assert!(e.contains("which qsa does not read"), "{name}: {e}");
    }
}

/// Schemas nested more than 32 deep are refused before polars reads them: the Parquet schema (polars
/// clones its tree of types level by level: 100,000 levels took it more than ten minutes) and the Arrow
/// schema a writer keeps in the footer (`ARROW:schema`, which polars reads recursively: 100,000 levels
/// overflowed the stack). Both files come from fixtures/data/parquet/make.py.
#[test]
fn parquet_schemas_nested_too_deep_are_refused_before_polars_reads_them() {
    let dir = fixtures().join("parquet/nesting");
    let cases = [
        (
            "parquet-schema-40-deep.parquet",
            "its schema nests columns 41 groups deep",
        ),
        (
            "arrow-schema-40-deep.parquet",
            "(`ARROW:schema`) nests types more than 32 deep",
        ),
    ];
    for (name, want) in cases {
        let e = refusal(&dir.join(name));
        assert!(e.contains(want), "{name}: {e}");
    }
}

/// Files polars itself writes, in every compression it offers and with small data pages (many pages per
/// chunk), with and without statistics, read back whole.
#[test]
fn parquet_written_by_polars_in_every_compression_reads_back() {
    use polars::prelude::{df, ParquetCompression, ParquetWriter, StatisticsOptions};
    let dir = temp_dir("parquet-codecs");
    let n = 5000usize;
    let users: Vec<Option<String>> = (0..n)
        .map(|i| (i % 9 != 0).then(|| format!("u{}", i % 40)))
        .collect();
    let nums: Vec<Option<i64>> = (0..n).map(|i| (i % 4 != 0).then_some(i as i64)).collect();
    let codecs = [
        ParquetCompression::Uncompressed,
        ParquetCompression::Snappy,
        ParquetCompression::Zstd(None),
        ParquetCompression::Gzip(None),
        ParquetCompression::Lz4Raw,
        ParquetCompression::Brotli(None),
    ];
    for (k, codec) in codecs.into_iter().enumerate() {
        for stats in [false, true] {
            let mut df = df!("U" => users.clone(), "N" => nums.clone()).unwrap();
            let p = dir.join(format!("c{k}-{stats}.parquet"));
            ParquetWriter::new(std::fs::File::create(&p).unwrap())
                .with_compression(codec)
                .with_statistics(if stats {
                    StatisticsOptions::full()
                } else {
                    StatisticsOptions::empty()
                })
                .with_row_group_size(Some(2000))
                .with_data_page_size(Some(512))
                .finish(&mut df)
                .unwrap();
            let l = read_file(&p, &[]).unwrap_or_else(|e| panic!("{codec:?}: {e}"));
            assert_eq!(l.columns[0].len(), n, "{codec:?}");
            for i in [0, 1, 9, 1999, 2000, 4999] {
                let u = users[i].as_deref().map(txt).unwrap_or(NULL);
                let v = nums[i]
                    .map(|v| dual(&v.to_string(), v as f64))
                    .unwrap_or(NULL);
                assert_eq!(
                    (cell(&l, i, "U"), cell(&l, i, "N")),
                    (u, v),
                    "{codec:?} row {i}"
                );
            }
        }
    }
}

// ------------------------------------------------------------------------------------------------------
// Excel (workbooks written by openpyxl, XlsxWriter and xlwt: fixtures/data/excel/make.py)

fn excel_file(name: &str) -> PathBuf {
    fixtures().join("excel").join(name)
}

fn table_is(name: &str) -> FormatItem {
    FormatItem::Table(name.into())
}

fn ooxml() -> FormatItem {
    FormatItem::FileType("ooxml".into())
}

fn row(l: &Loaded, r: usize) -> Vec<(Option<String>, Option<f64>)> {
    l.row(r).iter().map(tn).collect()
}

fn columns(l: &Loaded, r: usize, fields: &[&str]) -> Vec<(Option<String>, Option<f64>)> {
    fields.iter().map(|f| cell(l, r, f)).collect()
}

/// What `values.xlsx` (sheet Values: ID, Amount, Code, When, Stamp, Flag) and `values.xls` (sheet Data,
/// columns A to F) both hold, row by row: two writers, the same cells. A text cell `01` stays text.
fn written_values() -> Vec<Vec<(Option<String>, Option<f64>)>> {
    vec![
        vec![
            dual("1", 1.0),
            dual("2.5", 2.5),
            txt("01"),
            dual("2024-01-15", 45306.0),
            dual("2024-01-15 18:00:00", 45306.75),
            dual("TRUE", -1.0),
        ],
        vec![
            dual("2", 2.0),
            dual("1000000", 1e6),
            txt("abc"),
            NULL,
            NULL,
            dual("FALSE", 0.0),
        ],
    ]
}

#[test]
fn excel_embedded_labels_and_cell_values() {
    let l = read_file(
        &excel_file("values.xlsx"),
        &[ooxml(), FormatItem::EmbeddedLabels, table_is("Values")],
    )
    .unwrap();
    // Labels are trimmed; the empty row 4 and the formatted but empty rows 7-8 are not records.
    assert_eq!(
        l.fields,
        vec!["ID", "Amount", "Code", "Note", "When", "Stamp", "Flag", "Err"]
    );
    assert_eq!(l.row_count(), 3);
    let written = ["ID", "Amount", "Code", "When", "Stamp", "Flag"];
    for (r, expected) in written_values().into_iter().enumerate() {
        assert_eq!(columns(&l, r, &written), expected, "row {r}");
    }
    assert_eq!(
        columns(&l, 0, &["Note", "Err"]),
        vec![txt("x"), txt("#N/A")]
    );
    assert_eq!(columns(&l, 1, &["Note", "Err"]), vec![NULL, txt("#DIV/0!")]);
    // 3.0 shows as `3`; text keeps its spaces (S5 trimming is the runner's); missing cells are NULL.
    assert_eq!(cell(&l, 2, "ID"), dual("3", 3.0));
    assert_eq!(cell(&l, 2, "Amount"), dual("-0.125", -0.125));
    assert_eq!(cell(&l, 2, "Code"), txt("  padded  "));
    assert_eq!(cell(&l, 2, "Err"), NULL);
    assert!(
        matches!(l.origins.get(2), Some(RowOrigin::File { path, row: 3 }) if path.ends_with("values.xlsx")),
        "{:?}",
        l.origins
    );
    // The extension alone: first sheet, embedded labels.
    let plain = read_file(&excel_file("values.xlsx"), &[]).unwrap();
    assert_eq!(
        (plain.fields.clone(), plain.row_count()),
        (l.fields.clone(), 3)
    );
    // The content decides the reader: an OOXML workbook read as `biff` is still read.
    let biff = read_file(
        &excel_file("values.xlsx"),
        &[FormatItem::FileType("biff".into())],
    )
    .unwrap();
    assert_eq!(biff.fields, l.fields);
}

#[test]
fn excel_header_lines_sheet_names_and_column_letters() {
    let file = excel_file("values.xlsx");
    for name in ["My Sheet", "My Sheet$", "my sheet$"] {
        let l = read_file(
            &file,
            &[
                ooxml(),
                FormatItem::EmbeddedLabels,
                FormatItem::HeaderLines(2),
                table_is(name),
            ],
        )
        .unwrap();
        // Columns B..D; D has data but no label: named by its letter.
        assert_eq!(l.fields, vec!["REGION", "Manager", "D"], "{name}");
        assert_eq!(row(&l, 0), vec![txt("EU"), txt("Ann"), NULL]);
        assert_eq!(row(&l, 1), vec![txt("US"), NULL, txt("no label above")]);
    }
    // No labels: every row is data, fields are the column letters.
    for labels in [FormatItem::NoLabels, FormatItem::ExplicitLabels] {
        let l = read_file(
            &file,
            &[labels, FormatItem::HeaderLines(2), table_is("My Sheet")],
        )
        .unwrap();
        assert_eq!(l.fields, vec!["B", "C", "D"]);
        assert_eq!(l.row_count(), 3);
        assert_eq!(row(&l, 0), vec![txt("REGION"), txt("Manager"), NULL]);
    }
    // Without header lines the title in A1 is data too; the empty row 2 is skipped.
    let l = read_file(&file, &[FormatItem::NoLabels, table_is("My Sheet")]).unwrap();
    assert_eq!(l.fields, vec!["A", "B", "C", "D"]);
    assert_eq!(l.row_count(), 4);
    assert_eq!(cell(&l, 0, "A"), txt("Exported 2024-01-01"));
    assert_eq!(cell(&l, 1, "A"), NULL);
}

#[test]
fn excel_xls_through_biff() {
    let file = excel_file("values.xls");
    let l = read_file(
        &file,
        &[
            FormatItem::FileType("biff".into()),
            FormatItem::NoLabels,
            table_is("Data$"),
        ],
    )
    .unwrap();
    let letters = ["A", "B", "C", "D", "E", "F"];
    assert_eq!(l.fields, letters);
    for (r, expected) in written_values().into_iter().enumerate() {
        assert_eq!(columns(&l, r, &letters), expected, "row {r}");
    }
    assert!(
        matches!(l.origins.get(1), Some(RowOrigin::File { path, row: 2 }) if path.ends_with("values.xls"))
    );
    let second = read_file(&file, &[table_is("SECOND$")]).unwrap();
    assert_eq!(second.fields, vec!["Name"]);
    assert_eq!(row(&second, 0), vec![txt("second sheet")]);
}

#[test]
fn excel_1904_workbook_dates_are_on_qliks_calendar() {
    let l = read_file(&excel_file("mac1904.xlsx"), &[]).unwrap();
    assert_eq!(cell(&l, 0, "Day"), dual("2024-01-15", 45306.0));
}

#[test]
fn excel_errors_name_the_file_and_the_reason() {
    let format_error =
        |name: &str, format: &[FormatItem]| match read_file(&excel_file(name), format) {
            Err(SourceError::Format { path, reason }) => {
                assert!(path.ends_with(name), "{path}");
                reason
            }
            other => panic!("{name}: {other:?}"),
        };
    let e = format_error("values.xlsx", &[table_is("Nope")]);
    assert!(
        e.contains("no sheet `Nope`") && e.contains("`Values`, `My Sheet`, `Dupes`"),
        "{e}"
    );
    let e = format_error("values.xlsx", &[table_is("Dupes")]);
    assert!(e.contains("`A` appears twice"), "{e}");
    for (name, want) in [
        ("truncated.xlsx", "not a readable .xlsx workbook"),
        ("truncated.xls", "not a readable .xls workbook"),
        ("empty.xlsx", "empty (0 bytes)"),
        ("csv_named.xlsx", "text file with an Excel extension"),
        ("protected.xlsx", "password-protected"),
        ("huge_strings.xlsx", "declares 100000000000000 strings"),
    ] {
        let e = format_error(name, &[]);
        assert!(e.contains(want), "{name}: {e}");
    }
    assert!(matches!(
        read_file(&excel_file("nope.xlsx"), &[]),
        Err(SourceError::Open { .. })
    ));
    // Transformations are refused by name, not ignored.
    match read_file(
        &excel_file("values.xlsx"),
        &[
            ooxml(),
            FormatItem::Other("filters(Remove(Row, Pos(Top, 1)))".into()),
        ],
    ) {
        Err(SourceError::Unsupported(m)) => assert!(m.contains("filters("), "{m}"),
        other => panic!("{other:?}"),
    }
}

/// Damaged workbooks never bring qsa down: every mutated or truncated copy of the fixtures reads, or is
/// an error (calamine panics are caught; sizes it would allocate for are checked first).
#[test]
fn excel_damaged_workbooks_are_errors_not_crashes() {
    use qsa::script::sources::excel::read_excel_bytes;
    use qsa::script::sources::text::Labels;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // QSA_EXCEL_MUTANTS=20000 for a longer run.
    let n: usize = std::env::var("QSA_EXCEL_MUTANTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let (mut read, mut refused) = (0, 0);
    for name in ["values.xlsx", "security.xlsx", "values.xls"] {
        let original = std::fs::read(excel_file(name)).unwrap();
        for i in 0..n {
            let mut bytes = original.clone();
            if i % 3 == 0 {
                bytes.truncate((next() as usize) % original.len());
            } else {
                for _ in 0..=(next() % 4) {
                    let at = (next() as usize) % bytes.len();
                    bytes[at] = next() as u8;
                }
            }
            match read_excel_bytes(bytes, None, Labels::Embedded, 0, name) {
                Ok(_) => read += 1,
                Err(SourceError::Format { path, .. }) => {
                    assert_eq!(path, name);
                    refused += 1
                }
                Err(e) => panic!("{name}: {e:?}"),
            }
        }
    }
    eprintln!("read {read}, refused {refused}");
    assert_eq!(read + refused, 3 * n);
    assert!(refused > n / 3, "{refused} refused");
}

// ------------------------------------------------------------------------------------------------------
// paths

fn ctx() -> PathContext {
    PathContext {
        script_dir: PathBuf::from("/app/scripts"),
        directory: None,
        libs: vec![("DataFiles".into(), fixtures())],
    }
}

#[test]
fn resolves_paths() {
    let c = ctx();
    assert_eq!(
        resolve_path("lib://DataFiles/qvd/test_qvd.qvd", &c).unwrap(),
        fixtures().join("qvd/test_qvd.qvd")
    );
    assert_eq!(
        resolve_path("lib://datafiles\\text\\ansi.csv", &c).unwrap(),
        fixtures().join("text/ansi.csv")
    );
    assert_eq!(
        resolve_path("lib://Other/x.csv", &c),
        Err(SourceError::UnmappedLib("Other".into()))
    );
    assert_eq!(
        resolve_path("data\\x.csv", &c).unwrap(),
        PathBuf::from("/app/scripts/data/x.csv")
    );
    assert_eq!(
        resolve_path("..\\data\\x.csv", &c).unwrap(),
        PathBuf::from("/app/data/x.csv")
    );
    assert_eq!(
        resolve_path("/abs/x.csv", &c).unwrap(),
        PathBuf::from("/abs/x.csv")
    );
    let d = PathContext {
        directory: Some("lib://DataFiles/text".into()),
        ..ctx()
    };
    assert_eq!(
        resolve_path("ansi.csv", &d).unwrap(),
        fixtures().join("text/ansi.csv")
    );
    let d = PathContext {
        directory: Some("..\\shared".into()),
        ..ctx()
    };
    assert_eq!(
        resolve_path("x.csv", &d).unwrap(),
        PathBuf::from("/app/shared/x.csv")
    );
}

#[test]
fn lists_files_and_dirs_in_script_notation() {
    let c = ctx();
    assert_eq!(
        file_list("lib://DataFiles/qvd/*.qvd", &c).unwrap(),
        vec![
            "lib://DataFiles/qvd/test_qvd.qvd",
            "lib://DataFiles/qvd/test_qvd_null.qvd"
        ]
    );
    assert_eq!(
        file_list("lib://DataFiles/qvd/test_qvd_????.QVD", &c).unwrap(),
        vec!["lib://DataFiles/qvd/test_qvd_null.qvd"]
    );
    assert_eq!(
        file_list("lib://DataFiles/text/u*", &c).unwrap(),
        vec![
            "lib://DataFiles/text/utf16.csv",
            "lib://DataFiles/text/utf8_bom.csv"
        ]
    );
    assert_eq!(
        dir_list("lib://DataFiles/*", &c).unwrap(),
        vec![
            "lib://DataFiles/excel",
            "lib://DataFiles/parquet",
            "lib://DataFiles/qvd",
            "lib://DataFiles/text"
        ]
    );
    assert!(file_list("lib://DataFiles/*", &c)
        .unwrap()
        .iter()
        .all(|f| !f.ends_with("qvd") && !f.ends_with("text")));
    assert!(matches!(
        file_list("lib://Nope/*.csv", &c),
        Err(SourceError::UnmappedLib(_))
    ));
    assert!(matches!(
        file_list("lib://DataFiles/missing/*.csv", &c),
        Err(SourceError::Open { .. })
    ));
    // Relative patterns stay relative.
    let rel = PathContext {
        script_dir: fixtures(),
        ..ctx()
    };
    assert_eq!(
        file_list("qvd\\*null*", &rel).unwrap(),
        vec!["qvd\\test_qvd_null.qvd"]
    );
}

// ------------------------------------------------------------------------------------------------------
// functions: one table, hand-computed

fn s(x: &str) -> Value {
    Value::str(x)
}
fn n(x: f64) -> Value {
    Value::num(x)
}

fn env() -> FnEnv {
    FnEnv {
        today: 45306.6,
        ..FnEnv::default()
    } // 2024-01-15 14:24
}

/// (function, arguments, expected text, expected number)
type Case = (&'static str, Vec<Value>, Option<&'static str>, Option<f64>);

#[test]
fn function_table() {
    let e = env();
    let null = Value::Null;
    // (function, arguments, expected text, expected number)
    let cases: Vec<Case> = vec![
        // string
        ("Upper", vec![s("abc")], Some("ABC"), None),
        ("upper", vec![null.clone()], None, None),
        ("Lower", vec![s("ÀB")], Some("àb"), None),
        ("Trim", vec![s("  a b  ")], Some("a b"), None),
        ("Trim", vec![s("\ta ")], Some("\ta"), None),
        ("LTrim", vec![s(" a ")], Some("a "), None),
        ("RTrim", vec![s(" a ")], Some(" a"), None),
        ("Len", vec![s("héllo")], Some("5"), Some(5.0)),
        ("Len", vec![null.clone()], Some("0"), Some(0.0)),
        ("Len", vec![n(1.5)], Some("3"), Some(3.0)),
        ("Left", vec![s("abcdef"), n(2.0)], Some("ab"), None),
        ("Left", vec![s("ab"), n(5.0)], Some("ab"), None),
        ("Right", vec![s("abcdef"), n(2.0)], Some("ef"), None),
        ("Mid", vec![s("abcdef"), n(2.0), n(3.0)], Some("bcd"), None),
        ("Mid", vec![s("abcdef"), n(4.0)], Some("def"), None),
        ("Index", vec![s("abcabc"), s("b")], Some("2"), Some(2.0)),
        (
            "Index",
            vec![s("abcabc"), s("b"), n(2.0)],
            Some("5"),
            Some(5.0),
        ),
        (
            "Index",
            vec![s("abcabc"), s("b"), n(-1.0)],
            Some("5"),
            Some(5.0),
        ),
        (
            "Index",
            vec![s("abcabc"), s("b"), n(-2.0)],
            Some("2"),
            Some(2.0),
        ),
        ("Index", vec![s("abc"), s("x")], Some("0"), Some(0.0)),
        (
            "SubField",
            vec![s("a;b;c"), s(";"), n(2.0)],
            Some("b"),
            None,
        ),
        (
            "SubField",
            vec![s("a;b;c"), s(";"), n(-1.0)],
            Some("c"),
            None,
        ),
        ("SubField", vec![s("a;b;c"), s(";"), n(4.0)], None, None),
        ("SubField", vec![s("a;b;c"), s(";")], Some("a"), None),
        (
            "SubField",
            vec![s("x,01"), s(","), n(2.0)],
            Some("01"),
            Some(1.0),
        ),
        (
            "Replace",
            vec![s("abcabc"), s("bc"), s("X")],
            Some("aXaX"),
            None,
        ),
        ("PurgeChar", vec![s("a1b2"), s("12")], Some("ab"), None),
        ("KeepChar", vec![s("a1b2"), s("12")], Some("12"), None),
        (
            "Capitalize",
            vec![s("hello wORLD")],
            Some("Hello World"),
            None,
        ),
        ("Repeat", vec![s("ab"), n(3.0)], Some("ababab"), None),
        ("Repeat", vec![s("x")], Some("x"), None),
        ("Chr", vec![n(65.0)], Some("A"), None),
        ("Ord", vec![s("A")], Some("65"), Some(65.0)),
        (
            "TextBetween",
            vec![s("<a><b>"), s("<"), s(">")],
            Some("a"),
            None,
        ),
        (
            "TextBetween",
            vec![s("<a><b>"), s("<"), s(">"), n(2.0)],
            Some("b"),
            None,
        ),
        ("TextBetween", vec![s("abc"), s("["), s("]")], None, None),
        (
            "SubStringCount",
            vec![s("abcabc"), s("bc")],
            Some("2"),
            Some(2.0),
        ),
        (
            "FindOneOf",
            vec![s("my text"), s("et"), n(2.0)],
            Some("5"),
            Some(5.0),
        ),
        // numeric
        (
            "Num",
            vec![n(1234.5), s("#,##0.00")],
            Some("1,234.50"),
            Some(1234.5),
        ),
        (
            "Num",
            vec![n(1234.5), s("#.##0,00"), s(","), s(".")],
            Some("1.234,50"),
            Some(1234.5),
        ),
        (
            "Num",
            vec![n(1.23456), s("0,00"), s(",")],
            Some("1,23"),
            Some(1.23456),
        ),
        ("Num", vec![n(0.256), s("0.0%")], Some("25.6%"), Some(0.256)),
        ("Num", vec![n(7.0), s("000")], Some("007"), Some(7.0)),
        (
            "Num",
            vec![n(-1234.567), s("#,##0.0")],
            Some("-1,234.6"),
            Some(-1234.567),
        ),
        ("Num", vec![n(3.1)], Some("3.1"), Some(3.1)),
        ("Num", vec![s("abc")], None, None),
        (
            "Num",
            vec![n(-5.0), s("#,##0;(#,##0)")],
            Some("(5)"),
            Some(-5.0),
        ),
        ("Round", vec![n(2.5)], Some("3"), Some(3.0)),
        ("Round", vec![n(-2.5)], Some("-2"), Some(-2.0)),
        ("Round", vec![n(1.23456), n(0.01)], Some("1.23"), Some(1.23)),
        (
            "Round",
            vec![n(2.6), n(1.0), n(0.5)],
            Some("2.5"),
            Some(2.5),
        ),
        ("Floor", vec![n(2.7)], Some("2"), Some(2.0)),
        ("Floor", vec![n(-2.1)], Some("-3"), Some(-3.0)),
        ("Floor", vec![n(7.0), n(5.0)], Some("5"), Some(5.0)),
        ("Ceil", vec![n(2.1)], Some("3"), Some(3.0)),
        ("Ceil", vec![n(11.0), n(5.0)], Some("15"), Some(15.0)),
        ("Fabs", vec![n(-3.0)], Some("3"), Some(3.0)),
        ("Mod", vec![n(7.0), n(2.0)], Some("1"), Some(1.0)),
        ("Mod", vec![n(-7.0), n(2.0)], Some("1"), Some(1.0)),
        ("Mod", vec![n(7.5), n(2.0)], None, None),
        ("Mod", vec![n(7.0), n(-2.0)], None, None),
        ("Div", vec![n(7.0), n(2.0)], Some("3"), Some(3.0)),
        ("Div", vec![n(-7.0), n(2.0)], Some("-3"), Some(-3.0)),
        ("Div", vec![n(7.0), n(0.0)], None, None),
        (
            "RangeSum",
            vec![n(1.0), null.clone(), s("x"), s("2")],
            Some("3"),
            Some(3.0),
        ),
        (
            "RangeMax",
            vec![n(1.0), n(4.0), null.clone()],
            Some("4"),
            Some(4.0),
        ),
        // conditional
        ("If", vec![n(1.0), s("a"), s("b")], Some("a"), None),
        ("If", vec![n(0.0), s("a"), s("b")], Some("b"), None),
        ("If", vec![n(0.0), s("a")], None, None),
        ("If", vec![null.clone(), s("a"), s("b")], Some("b"), None),
        (
            "Alt",
            vec![null.clone(), s("x"), n(5.0), n(6.0)],
            Some("5"),
            Some(5.0),
        ),
        ("Alt", vec![s("a"), s("b")], Some("b"), None),
        (
            "Pick",
            vec![n(2.0), s("a"), s("b"), s("c")],
            Some("b"),
            None,
        ),
        ("Pick", vec![n(4.0), s("a")], None, None),
        ("Match", vec![s("b"), s("a"), s("b")], Some("2"), Some(2.0)),
        ("Match", vec![s("B"), s("a"), s("b")], Some("0"), Some(0.0)),
        (
            "MixMatch",
            vec![s("B"), s("a"), s("b")],
            Some("2"),
            Some(2.0),
        ),
        (
            "WildMatch",
            vec![s("Sales2024"), s("x*"), s("sales*")],
            Some("2"),
            Some(2.0),
        ),
        ("WildMatch", vec![s("ab"), s("a?c")], Some("0"), Some(0.0)),
        ("IsNull", vec![null.clone()], Some("-1"), Some(-1.0)),
        ("IsNull", vec![s("")], Some("0"), Some(0.0)),
        ("Null", vec![], None, None),
        ("IsNum", vec![s("12")], Some("-1"), Some(-1.0)),
        ("IsNum", vec![s("x")], Some("0"), Some(0.0)),
        ("IsText", vec![s("x")], Some("-1"), Some(-1.0)),
        ("IsText", vec![n(12.0)], Some("0"), Some(0.0)),
        ("EmptyIsNull", vec![s("")], None, None),
        ("Coalesce", vec![null.clone(), s("a")], Some("a"), None),
        // conversion
        ("Text", vec![n(12.0)], Some("12"), None),
        (
            "Num#",
            vec![s("1.234,5"), s("#.##0,0"), s(","), s(".")],
            Some("1.234,5"),
            Some(1234.5),
        ),
        ("Num#", vec![s("25%"), s("0%")], Some("25%"), Some(0.25)),
        ("Num#", vec![s("abc")], Some("abc"), None),
        ("Dual", vec![s("Jan"), n(1.0)], Some("Jan"), Some(1.0)),
        // dates: 2024-01-15 is serial 45306, a Monday in ISO week 3
        ("Date", vec![n(45306.0)], Some("2024-01-15"), Some(45306.0)),
        (
            "Date",
            vec![n(45306.0), s("DD/MM/YYYY")],
            Some("15/01/2024"),
            Some(45306.0),
        ),
        (
            "Date",
            vec![n(45306.0), s("D MMM YY")],
            Some("15 Jan 24"),
            Some(45306.0),
        ),
        (
            "Date",
            vec![n(45306.0), s("MMMM")],
            Some("January"),
            Some(45306.0),
        ),
        (
            "Date",
            vec![n(45306.0), s("WWW")],
            Some("Mon"),
            Some(45306.0),
        ),
        (
            "Date",
            vec![s("2024-01-15")],
            Some("2024-01-15"),
            Some(45306.0),
        ),
        (
            "Date#",
            vec![s("15/01/2024"), s("DD/MM/YYYY")],
            Some("15/01/2024"),
            Some(45306.0),
        ),
        ("Date#", vec![s("2024-02-30")], Some("2024-02-30"), None),
        (
            "Date#",
            vec![s("Jan 2024"), s("MMM YYYY")],
            Some("Jan 2024"),
            Some(45292.0),
        ),
        (
            "Timestamp",
            vec![n(45306.5)],
            Some("2024-01-15 12:00:00"),
            Some(45306.5),
        ),
        (
            "Timestamp",
            vec![n(45306.75), s("DD.MM.YYYY h:mm TT")],
            Some("15.01.2024 6:00 PM"),
            Some(45306.75),
        ),
        (
            "Timestamp#",
            vec![s("2024-01-15 06:00:00")],
            Some("2024-01-15 06:00:00"),
            Some(45306.25),
        ),
        ("Year", vec![n(45306.0)], Some("2024"), Some(2024.0)),
        ("Year", vec![s("2024-03-01")], Some("2024"), Some(2024.0)),
        ("Year", vec![null.clone()], None, None),
        ("Month", vec![n(45306.0)], Some("Jan"), Some(1.0)),
        ("Day", vec![n(45306.9)], Some("15"), Some(15.0)),
        ("Week", vec![n(45306.0)], Some("3"), Some(3.0)),
        ("WeekDay", vec![n(45306.0)], Some("Mon"), Some(0.0)),
        (
            "MakeDate",
            vec![n(2024.0), n(2.0), n(29.0)],
            Some("2024-02-29"),
            Some(45351.0),
        ),
        ("MakeDate", vec![n(2023.0), n(2.0), n(29.0)], None, None),
        (
            "MakeDate",
            vec![n(2024.0)],
            Some("2024-01-01"),
            Some(45292.0),
        ),
        ("Today", vec![], Some("2024-01-15"), Some(45306.0)),
        (
            "AddMonths",
            vec![n(45322.0), n(1.0)],
            Some("2024-02-29"),
            Some(45351.0),
        ),
        (
            "AddMonths",
            vec![n(45351.0), n(1.0), n(1.0)],
            Some("2024-03-31"),
            Some(45382.0),
        ),
        (
            "AddMonths",
            vec![n(45322.0), n(-2.0)],
            Some("2023-11-30"),
            Some(45260.0),
        ),
        (
            "MonthStart",
            vec![n(45306.0)],
            Some("2024-01-01"),
            Some(45292.0),
        ),
        // Calendar names and periods. 45000 is Wednesday 2023-03-15, ISO week 2023-W11 (checked with
        // Python's datetime); 45656 is Monday 2024-12-30, ISO week 2025-W01.
        (
            "MonthName",
            vec![n(45000.0)],
            Some("Mar 2023"),
            Some(44986.0),
        ),
        (
            "MonthName",
            vec![n(45000.0), n(1.0)],
            Some("Apr 2023"),
            Some(45017.0),
        ),
        (
            "QuarterName",
            vec![n(45000.0)],
            Some("Jan-Mar 2023"),
            Some(44927.0),
        ),
        ("YearName", vec![n(45000.0)], Some("2023"), Some(44927.0)),
        (
            "YearName",
            vec![n(45000.0), n(0.0), n(4.0)],
            Some("2022-2023"),
            Some(44652.0),
        ),
        (
            "DayName",
            vec![n(45000.75)],
            Some("2023-03-15"),
            Some(45000.0),
        ),
        (
            "WeekStart",
            vec![n(45000.0)],
            Some("2023-03-13"),
            Some(44998.0),
        ),
        ("WeekName", vec![n(45000.0)], Some("2023/11"), Some(44998.0)),
        ("WeekName", vec![n(45656.0)], Some("2025/01"), Some(45656.0)),
        ("WeekYear", vec![n(45656.0)], Some("2025"), Some(2025.0)),
        ("DayNumberOfYear", vec![n(45000.0)], Some("74"), Some(74.0)),
        (
            "InYear",
            vec![n(45000.0), n(45306.0), n(-1.0)],
            Some("-1"),
            Some(-1.0),
        ),
        (
            "InYear",
            vec![n(45000.0), n(45306.0), n(0.0)],
            Some("0"),
            Some(0.0),
        ),
        (
            "InMonth",
            vec![n(45000.0), n(44990.0), n(0.0)],
            Some("-1"),
            Some(-1.0),
        ),
        (
            "InQuarter",
            vec![n(45000.0), n(44927.0), n(0.0)],
            Some("-1"),
            Some(-1.0),
        ),
        (
            "InYearToDate",
            vec![n(45000.0), n(45306.0), n(-1.0)],
            Some("0"),
            Some(0.0),
        ),
        (
            "InYearToDate",
            vec![n(44935.0), n(45306.0), n(-1.0)],
            Some("-1"),
            Some(-1.0),
        ),
        // today is 2024-01-15 in this environment
        ("YearToDate", vec![n(45300.0)], Some("-1"), Some(-1.0)),
        ("YearToDate", vec![n(45000.0)], Some("0"), Some(0.0)),
        (
            "YearStart",
            vec![n(45306.0)],
            Some("2024-01-01"),
            Some(45292.0),
        ),
        (
            "YearStart",
            vec![n(45306.0), n(0.0), n(4.0)],
            Some("2023-04-01"),
            Some(45017.0),
        ),
        (
            "QuarterStart",
            vec![n(45306.0)],
            Some("2024-01-01"),
            Some(45292.0),
        ),
    ];
    let mut failures = Vec::new();
    for (name, args, text, num) in &cases {
        match call(name, args, &e) {
            Ok(v) => {
                let (t, nn) = tn(&v);
                let num_ok = match (nn, num) {
                    (Some(a), Some(b)) => (a - b).abs() < 1e-9,
                    (None, None) => true,
                    _ => false,
                };
                if t.as_deref() != *text || !num_ok {
                    failures.push(format!(
                        "{name}({args:?}) = {v:?}, expected {text:?} / {num:?}"
                    ));
                }
            }
            Err(err) => failures.push(format!("{name}({args:?}) failed: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn function_month_end_is_the_last_millisecond() {
    let v = call("MonthEnd", &[n(45306.0)], &env()).unwrap();
    assert_eq!(v.text().as_deref(), Some("2024-01-31"));
    let x = v.as_num().unwrap();
    assert!(x < 45323.0 && x > 45_322.999_99, "{x}");
}

#[test]
fn subfield_two_arguments_gives_every_part() {
    use qsa::script::functions::subfield_parts;
    let parts: Vec<_> = subfield_parts(&s("EU;US;;01"), &s(";"))
        .iter()
        .map(tn)
        .collect();
    assert_eq!(parts, vec![txt("EU"), txt("US"), txt(""), dual("01", 1.0)]);
    assert!(subfield_parts(&Value::Null, &s(";")).is_empty());
}

#[test]
fn function_errors() {
    let e = env();
    assert_eq!(call("NoSuchFunction", &[], &e), Err(FnError::Unknown));
    assert_eq!(
        call("Left", &[s("a")], &e),
        Err(FnError::Arity {
            min: 2,
            max: 2,
            got: 1
        })
    );
    assert!(matches!(call("Rand", &[], &e), Err(FnError::Invalid(_))));
    assert!(matches!(call("OSUser", &[], &e), Err(FnError::Invalid(_))));
    assert!(qsa::script::functions::is_known("num#"));
    assert!(!qsa::script::functions::is_known("peek"));
}

// ------------------------------------------------------------------------------------------------------
// no panics on any input

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn inline_never_panics(data in "(?s).{0,200}", delim in prop::sample::select(vec![",", ";", "\\t", "spaces", "ab", "'"]), msq in any::<bool>(), labels in any::<bool>()) {
        let mut fmt = vec![FormatItem::Delimiter(delim.to_string())];
        if msq { fmt.push(FormatItem::Msq); }
        if !labels { fmt.push(FormatItem::NoLabels); }
        if let Ok(l) = read_inline(&data, &fmt) {
            prop_assert!(l.columns.len() == l.fields.len());
            prop_assert!(l.columns.iter().all(|c| c.len() == l.row_count()));
        }
    }

    #[test]
    fn files_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300), kind in 0usize..4) {
        let dir = temp_dir("prop");
        let (name, fmt) = match kind {
            0 => ("a.csv", vec![FormatItem::Msq]),
            1 => ("a.txt", vec![FormatItem::Codepage("unicode".into()), FormatItem::HeaderLines(1)]),
            2 => ("a.qvd", vec![]),
            _ => ("a.parquet", vec![]),
        };
        let p = dir.join(format!("{}-{name}", std::thread::current().name().unwrap_or("t").replace(':', "_")));
        std::fs::write(&p, &bytes).unwrap();
        let _ = read_file(&p, &fmt);
    }

    #[test]
    fn functions_never_panic(
        which in any::<prop::sample::Index>(),
        args in prop::collection::vec(prop_oneof![
            Just(Value::Null),
            any::<f64>().prop_map(Value::num),
            (-1e6f64..1e6).prop_map(Value::num),
            "(?s).{0,12}".prop_map(Value::str),
            prop::sample::select(vec!["YYYY-MM-DD", "#,##0.00", "[h]", "*", ";", "0%", "DD.MM.YY hh:mm TT", "WWWW MMMM"]).prop_map(Value::str),
        ], 0..5),
    ) {
        let names = qsa::script::functions::names();
        let name = names[which.index(names.len())];
        let _ = call(name, &args, &env());
    }

    #[test]
    fn mutated_qvd_never_panics(edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..6), cut in any::<prop::sample::Index>(), truncate in any::<bool>()) {
        let mut bytes = std::fs::read(qvd_file("test_qvd_null.qvd")).unwrap();
        for (i, b) in edits {
            let at = i.index(bytes.len());
            bytes[at] = b;
        }
        if truncate {
            let n = cut.index(bytes.len());
            bytes.truncate(n);
        }
        let _ = qsa::script::sources::qvd::read_qvd_bytes(bytes, "mutated.qvd");
    }
}
