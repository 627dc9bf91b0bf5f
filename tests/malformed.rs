//! The held-back malformed inputs (issue 12, last "done when"): `tests/data/malformed/`, written from
//! knowledge of the formats rather than of qsa's readers (see its README.md for each input: what is wrong
//! and what qsa must say). One row per input, run through the binary:
//!
//! - **Refuse**: exit 2; stderr names the file (`file`), carries a line/column where `line` is set, and
//!   says each of `says` (case-insensitive); no panic; nothing on stdout; for the inputs a script loads,
//!   the same run with `snapshot --out` leaves no file (complete or partial) behind.
//! - **Accept**: the input is valid for Qlik (the README says why): exit 0, no panic, and stdout holds
//!   each of `says` (whitespace runs collapsed to one space).
//!
//! Every run is a child process killed after 60 s: a kill is a hang, reported as such.

mod common {
    pub mod scratch;
}

use common::scratch::Scratch;
use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const M: &str = "tests/data/malformed";

#[derive(Clone, Copy)]
enum Expect {
    Refuse { line: bool },
    Accept,
}
use Expect::*;

/// One input: the file (under its kind's folder; a tenant or config case is a folder), the expectation,
/// and what stderr (refusal) or stdout (accepted) must say besides the file's name.
struct Row {
    input: &'static str,
    expect: Expect,
    says: &'static [&'static str],
}

const fn refuse(input: &'static str, says: &'static [&'static str]) -> Row {
    Row {
        input,
        expect: Refuse { line: false },
        says,
    }
}

const fn located(input: &'static str, says: &'static [&'static str]) -> Row {
    Row {
        input,
        expect: Refuse { line: true },
        says,
    }
}

const fn accept(input: &'static str, says: &'static [&'static str]) -> Row {
    Row {
        input,
        expect: Accept,
        says,
    }
}

/// The answer of every valid security table of the file kinds: ALICE ADMIN, BOB USER reduced to EU.
const BASE: &[&str] = &["ALICE ADMIN REGION=EU", "BOB USER REGION=EU"];

const EXCEL: &[Row] = &[
    accept("valid.xlsx", BASE),
    accept("sst_valid.xlsx", BASE),
    refuse("no_content_types.xlsx", &["[Content_Types].xml"]),
    refuse("no_workbook.xlsx", &[]),
    refuse("sheet_truncated.xlsx", &[]),
    refuse("sst_index_out_of_range.xlsx", &[]),
    refuse("sst_part_missing.xlsx", &[]),
    refuse("row_past_excel_limit.xlsx", &["1048577"]),
    refuse("column_past_xfd.xlsx", &["XFE3"]),
    refuse("number_cell_not_a_number.xlsx", &[]),
    refuse("xml_entity_bomb.xlsx", &[]),
    refuse("xml_external_entity.xlsx", &[]),
    refuse("sheet_target_traversal.xlsx", &[]),
    refuse("zip_slip_entry.xlsx", &[".."]),
    refuse("rel_id_dangling.xlsx", &[]),
    refuse("empty_zip.xlsx", &[]),
    refuse("xls_really_csv.xls", &[]),
    refuse("xls_really_html.xls", &[]),
    refuse("xlsx_really_csv.xlsx", &[]),
    refuse("ole_truncated.xls", &[]),
    refuse("binary_workbook.xlsb", &[]),
    refuse("password_protected.xlsx", &["password"]),
    refuse("merged_header.xlsx", &["USERID"]),
    refuse("formula_no_cached_value.xlsx", &["formula", "B3"]),
    accept("sst_rich_text_runs.xlsx", BASE),
    refuse("bool_cell_two.xlsx", &[]),
    refuse("cell_written_twice.xlsx", &["B3", "twice"]),
];

const QVD: &[Row] = &[
    accept("valid.qvd", BASE),
    refuse("records_count_lies.qvd", &[]),
    refuse("record_byte_size_zero.qvd", &[]),
    refuse("record_byte_size_lies.qvd", &[]),
    refuse("offset_past_end.qvd", &[]),
    refuse("length_lies.qvd", &[]),
    refuse("symbol_table_cut.qvd", &[]),
    refuse("bit_width_64.qvd", &[]),
    refuse("bit_width_0_two_symbols.qvd", &["ACCESS"]),
    refuse("bit_offset_past_record.qvd", &[]),
    refuse("symbol_index_out_of_range.qvd", &[]),
    refuse("no_of_symbols_lies.qvd", &[]),
    refuse("no_header_terminator.qvd", &[]),
    refuse("unknown_symbol_type.qvd", &[]),
    refuse("header_xml_unclosed.qvd", &[]),
    refuse("header_external_entity.qvd", &["DOCTYPE"]),
    refuse("negative_record_count.qvd", &[]),
    refuse("qvd_really_zip.qvd", &[]),
    refuse("header_only.qvd", &[]),
    accept("utf8_bom_before_header.qvd", BASE),
    accept(
        "userid_null_through_bias.qvd",
        &["BOB USER REGION=EU", "users: 1", "stderr:blank USERID"],
    ),
];

const PARQUET: &[Row] = &[
    accept("valid.parquet", BASE),
    refuse("truncated_half.parquet", &[]),
    refuse("footer_length_flipped.parquet", &[]),
    refuse("footer_length_too_small.parquet", &[]),
    refuse("end_magic_missing.parquet", &[]),
    refuse("only_magic.parquet", &[]),
    refuse("page_header_garbage.parquet", &[]),
    refuse("parquet_really_csv.parquet", &[]),
    refuse("userid_list.parquet", &[]),
    refuse("userid_struct.parquet", &[]),
    refuse("userid_map.parquet", &[]),
    accept(
        "region_int96.parquet",
        &["ALICE ADMIN REGION=(all)", "BOB DENIED"],
    ),
    accept(
        "region_timestamp_tz.parquet",
        &["ALICE ADMIN REGION=(all)", "BOB DENIED"],
    ),
    accept("zero_row_groups.parquet", &["users: 0"]),
    refuse("region_decimal.parquet", &["decimal(10, 2)", "REGION"]),
    refuse("region_float16.parquet", &["16-bit float", "REGION"]),
    refuse("region_int8.parquet", &["8-bit integer", "REGION"]),
    refuse("access_column_missing.parquet", &["ACCESS"]),
];

const TEXT: &[Row] = &[
    accept("valid.csv", BASE),
    accept(
        "mixed_line_endings.csv",
        &["ALICE ADMIN", "BOB USER REGION=EU", "CAROL USER REGION=US"],
    ),
    located("quote_never_closed.csv", &["quote"]),
    refuse("empty_header_field.csv", &["USERID"]),
    accept("more_fields_than_header.csv", BASE),
    accept(
        "fewer_fields_than_header.csv",
        &["ALICE ADMIN REGION=(all)", "BOB USER REGION=EU"],
    ),
    refuse("utf16le_no_bom.csv", &["ACCESS"]),
    accept(
        "cp1252_declared_utf8.csv",
        &["ALICE ADMIN", "ZO\u{FFFD} USER REGION=EU"],
    ),
    accept("header_only.csv", &["users: 0"]),
    refuse(
        "semicolon_delimited.csv",
        &["ACCESS", "ACCESS;USERID;REGION"],
    ),
    refuse("xlsx_loaded_as_txt.csv", &["ACCESS"]),
    refuse("header_quoted_newline.csv", &["ACCESS"]),
    refuse("nul_in_header.csv", &["ACCESS"]),
    located("duplicate_header.csv", &["USERID"]),
    refuse("excel_sep_line.csv", &["ACCESS"]),
];

const SCRIPT: &[Row] = &[
    accept(
        "section_access_never_left.qvs",
        &["ALICE ADMIN", "BOB USER", "stderr:QSA218", "stderr:QSA201"],
    ),
    // Qlik ignores an unclosed `/*` (the rest of the script is a comment): the app has no Section
    // Access, which is what qsa reports, with QSA002 saying the comment hides it (see README).
    accept(
        "block_comment_unterminated.qvs",
        &["users: 0", "stderr:with its Section Access, is a comment"],
    ),
    located(
        "dollar_never_closed.qvs",
        &["`$(` expansion is never closed"],
    ),
    located("include_missing.qvs", &["security_rows.qvs"]),
    located("must_include_missing.qvs", &["security_rows.qvs"]),
    located("must_include_binary.qvs", &["binary.png"]),
    located("inline_bracket_unclosed.qvs", &[]),
    located("sub_without_end.qvs", &[]),
    located("if_without_end.qvs", &[]),
    located("for_without_next.qvs", &[]),
    located("do_without_loop.qvs", &[]),
    located("end_sub_without_sub.qvs", &[]),
    located("call_undefined_sub.qvs", &["LoadSecurity"]),
    located("bom_in_the_middle.qvs", &[]),
    refuse("qvf_renamed.qvs", &[]),
    refuse("qvw_renamed.qvs", &[]),
    refuse("utf16le_no_bom.qvs", &[]),
    located("set_quote_unclosed.qvs", &[]),
    located("nested_parens.qvs", &[]),
    located("section_keyword_typo.qvs", &["Section Acess"]),
    located("inline_header_only_brackets.qvs", &[]),
];

const DIRECTORY: &[Row] = &[
    accept("valid_users.json", BASE),
    refuse("page_data_null.json", &[]),
    refuse("users_without_id_or_subject.json", &[]),
    located("assigned_groups_string.json", &[]),
    located("subject_number.json", &[]),
    located("status_number.json", &[]),
    accept("json_lines.json", BASE),
    located("html_error_page.json", &[]),
    refuse("api_error_object.json", &[]),
    refuse("empty_array.json", &["lists no users"]),
    located("truncated_export.json", &[]),
    located("null_entry.json", &[]),
    located("lone_surrogate.json", &[]),
    located("simple_groups_as_string.json", &[]),
    refuse("users_wrong_header.csv", &["subject"]),
    located("users_csv_unclosed_quote.csv", &["quote"]),
    refuse("groups_wrapped_object.json", &[]),
    refuse("nesting_bomb.json", &[]),
    accept("utf8_bom.json", BASE),
    accept(
        "same_id_twice.json",
        &["ALICE ADMIN", "stderr:appears more than once"],
    ),
];

/// Tenant cases: the folder, and the export file stderr must name (`says[0]`).
const TENANT: &[Row] = &[
    refuse("roles_empty_array", &["roles.json", "UserDefault"]),
    refuse("users_empty_array", &["users.json", "lists no users"]),
    refuse("users_page_data_null", &["users.json"]),
    refuse("items_html_error", &["items.json"]),
    refuse("items_api_error", &["items.json"]),
    refuse("spaces_missing", &["spaces.json", "qlik space ls"]),
    refuse(
        "assignment_roles_string",
        &["assignments/66f0000000000000000055aa.json"],
    ),
    accept(
        "users_json_lines",
        &["00uana0000000000000 yes", "00uben0000000000000 yes"],
    ),
    refuse("space_type_number", &["spaces.json"]),
    refuse("users_assigned_groups_null", &["users.json"]),
    refuse(
        "items_two_apps_same_name",
        &["items.json", "matches 2 apps"],
    ),
    refuse(
        "assignments_of_space_missing",
        &["assignments/66f0000000000000000055aa.json", "Fin"],
    ),
];

const SNAPSHOT: &[Row] = &[
    accept("valid.snapshot", &[]),
    located("future_version.snapshot", &["7"]),
    located("user_twice.snapshot", &["ALICE"]),
    located("user_twice_different.snapshot", &["ALICE"]),
    located("truncated_mid_block.snapshot", &[]),
    located("access_line_missing.snapshot", &["access"]),
    located("access_unknown_value.snapshot", &["SUPERUSER"]),
    located("kept_more_than_total.snapshot", &[]),
    located("negative_rows.snapshot", &[]),
    located("user_count_lies.snapshot", &[]),
    accept("users_unsorted.snapshot", &[]),
    located("report_json_instead.snapshot", &[]),
    located("merge_conflict.snapshot", &[]),
    located("tabs_for_indent.snapshot", &[]),
    located("group_mode_invalid.snapshot", &[]),
    accept("crlf.snapshot", &[]),
    accept("bom.snapshot", &[]),
];

const CONFIG: &[Row] = &[
    located("unknown_lint_code", &["QSA999"]),
    located("wrong_type", &["deny"]),
    located("deep_inline_table", &[]),
    located("deep_arrays", &[]),
    located("section_typo", &["lint"]),
    located("duplicate_key", &["allow"]),
    located("allow_refusal", &["not-evaluable"]),
    located("not_toml_json", &[]),
];

/// What one child process gave; `code` None = killed after the time bound (a hang).
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(args: &[String]) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the qsa binary starts");
    // Drain both pipes on threads so a chatty child never blocks on a full pipe while we wait.
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut v = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut v);
            }
            String::from_utf8_lossy(&v).into_owned()
        })
    };
    let out = drain(
        child
            .stdout
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|s| Box::new(s) as Box<dyn Read + Send>),
    );
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait on qsa") {
            break Some(status.code().unwrap_or(-1));
        }
        if start.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        stdout: out.join().expect("stdout"),
        stderr: err.join().expect("stderr"),
    }
}

/// `name:3:7`, `line 3`, `record 3`, `row 3`, or a miette frame `╭─[file:3:7]`.
fn has_line_ref(s: &str) -> bool {
    let b = s.as_bytes();
    let digit = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    (0..b.len()).any(|i| {
        if b[i] != b':' || !digit(i + 1) {
            return false;
        }
        let mut j = i + 1;
        while digit(j) {
            j += 1;
        }
        b.get(j) == Some(&b':') && digit(j + 1)
    }) || ["line ", "record ", "row "]
        .iter()
        .any(|w| s.match_indices(w).any(|(i, _)| digit(i + w.len())))
}

fn squash(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(s: &str) -> String {
    s.chars().take(1500).collect()
}

/// Check one run against its row; the problems, one line each.
fn check(label: &str, row: &Row, file: &str, r: &Run) -> Vec<String> {
    let mut bad = Vec::new();
    let Some(code) = r.code else {
        return vec![format!("{label}: HANG (killed after 60 s)")];
    };
    for p in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        if r.stderr.contains(p) {
            bad.push(format!("{label}: panic: {}", clip(&r.stderr)));
        }
    }
    match row.expect {
        Refuse { line } => {
            if code != 2 {
                bad.push(format!(
                    "{label}: exit {code}, expected 2: {}",
                    clip(&r.stderr)
                ));
            }
            if !r.stdout.is_empty() {
                bad.push(format!("{label}: stdout not empty: {}", clip(&r.stdout)));
            }
            if !r.stderr.contains(file) {
                bad.push(format!(
                    "{label}: stderr does not name `{file}`: {}",
                    clip(&r.stderr)
                ));
            }
            if line && !has_line_ref(&r.stderr) {
                bad.push(format!("{label}: no line/column: {}", clip(&r.stderr)));
            }
            let low = r.stderr.to_lowercase();
            for s in row.says {
                if !low.contains(&s.to_lowercase()) {
                    bad.push(format!(
                        "{label}: stderr does not say `{s}`: {}",
                        clip(&r.stderr)
                    ));
                }
            }
        }
        Accept => {
            if code != 0 {
                bad.push(format!(
                    "{label}: exit {code}, expected 0: {}",
                    clip(&r.stderr)
                ));
            }
            let (out, err) = (squash(&r.stdout), squash(&r.stderr));
            for s in row.says {
                // `stderr:TEXT`: a finding the accepted run must report.
                let (hay, what, s) = match s.strip_prefix("stderr:") {
                    Some(s) => (&err, "stderr", s),
                    None => (&out, "stdout", *s),
                };
                if !hay.contains(&squash(s)) {
                    bad.push(format!("{label}: {what} lacks `{s}`: {}", clip(hay)));
                }
            }
        }
    }
    bad
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// Rows whose input a driver script loads (`--var vFile=FILE`): `report`, then for a refusal the same
/// run as `snapshot --out`, which must leave nothing behind.
fn driven(kind: &str, driver_for: fn(&str) -> &'static str, rows: &[Row]) {
    let scratch = Scratch::new("malformed", kind);
    let mut bad = Vec::new();
    for row in rows {
        let driver = format!("{M}/{kind}/{}", driver_for(row.input));
        let var = format!("vFile={}", row.input);
        let label = format!("{kind}/{}", row.input);
        let r = run(&s(&["report", &driver, "--var", &var]));
        bad.extend(check(&label, row, row.input, &r));
        if let Refuse { .. } = row.expect {
            let out = scratch.arg("out.snapshot");
            let r = run(&s(&["snapshot", &driver, "--var", &var, "--out", &out]));
            bad.extend(check(
                &format!("{label} (snapshot --out)"),
                row,
                row.input,
                &r,
            ));
            let left = scratch.files();
            if !left.is_empty() {
                bad.push(format!("{label}: snapshot --out left {left:?}"));
            }
        }
    }
    assert!(
        bad.is_empty(),
        "{} problem(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn excel_inputs() {
    driven(
        "excel",
        |f| {
            if f.ends_with(".xls") {
                "sa_biff.qvs"
            } else {
                "sa_ooxml.qvs"
            }
        },
        EXCEL,
    );
}

/// `table is Security` in a workbook that only has `Sheet1`.
#[test]
fn excel_sheet_named_in_the_script_does_not_exist() {
    let row = refuse("valid.xlsx", &["Security", "Sheet1"]);
    let args = s(&[
        "report",
        &format!("{M}/excel/sa_missing_sheet.qvs"),
        "--var",
        "vFile=valid.xlsx",
    ]);
    let bad = check("excel/missing sheet", &row, "valid.xlsx", &run(&args));
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn qvd_inputs() {
    driven("qvd", |_| "sa_qvd.qvs", QVD);
}

#[test]
fn parquet_inputs() {
    driven("parquet", |_| "sa_parquet.qvs", PARQUET);
}

#[test]
fn text_inputs() {
    driven("text", |_| "sa_csv.qvs", TEXT);
}

/// Run every row of a kind: `runs` gives the command lines (a label suffix and the arguments), `file`
/// the name stderr must carry for a refusal; all problems are reported together.
fn table(
    kind: &str,
    rows: &[Row],
    runs: impl Fn(&Row) -> Vec<(&'static str, Vec<String>)>,
    file: impl Fn(&Row) -> &'static str,
) {
    let mut bad = Vec::new();
    for row in rows {
        for (how, args) in runs(row) {
            let label = format!("{kind}/{}{how}", row.input);
            bad.extend(check(&label, row, file(row), &run(&args)));
        }
    }
    assert!(
        bad.is_empty(),
        "{} problem(s):\n{}",
        bad.len(),
        bad.join("\n")
    );
}

#[test]
fn script_inputs() {
    // An include's problem names the included file (`says`); the script is named all the same.
    table(
        "script",
        SCRIPT,
        |row| vec![("", s(&["report", &format!("{M}/script/{}", row.input)]))],
        |row| row.input,
    );
}

#[test]
fn directory_inputs() {
    let script = format!("{M}/directory/sa.qvs");
    let valid = format!("{M}/directory/valid_users.json");
    table(
        "directory",
        DIRECTORY,
        |row| {
            let file = format!("{M}/directory/{}", row.input);
            let args = if row.input.starts_with("groups") {
                s(&["report", &script, "--directory", &valid, "--groups", &file])
            } else {
                s(&["report", &script, "--directory", &file])
            };
            vec![("", args)]
        },
        |row| row.input,
    );
}

#[test]
fn tenant_inputs() {
    table(
        "tenant",
        TENANT,
        |row| {
            let dir = format!("{M}/tenant/{}", row.input);
            let script = format!("{dir}/budget.qvs");
            vec![(
                "",
                s(&["report", &script, "--tenant", &dir, "--app", "Budget"]),
            )]
        },
        // The folder is named by the file it holds: `says[0]` for a refusal.
        |row| match row.expect {
            Refuse { .. } => row.says[0],
            Accept => row.input,
        },
    );
}

#[test]
fn snapshot_inputs() {
    let script = format!("{M}/snapshot/sa.qvs");
    let valid = format!("{M}/snapshot/valid.snapshot");
    table(
        "snapshot",
        SNAPSHOT,
        |row| {
            let file = format!("{M}/snapshot/{}", row.input);
            vec![
                (" (--check)", s(&["snapshot", &script, "--check", &file])),
                (" (diff)", s(&["diff", &file, &valid])),
            ]
        },
        |row| row.input,
    );
}

#[test]
fn config_inputs() {
    table(
        "config",
        CONFIG,
        |row| {
            vec![(
                "",
                s(&["check", &format!("{M}/config/{}/sa.qvs", row.input)]),
            )]
        },
        |_| "qsa.toml",
    );
}

/// Every input in the folder has a row (a new file without one would be silently unchecked), and
/// there are at least 60 of them.
#[test]
fn every_input_has_a_row() {
    let mut rows = 0;
    let kinds: &[(&str, &[Row])] = &[
        ("excel", EXCEL),
        ("qvd", QVD),
        ("parquet", PARQUET),
        ("text", TEXT),
        ("script", SCRIPT),
        ("directory", DIRECTORY),
        ("tenant", TENANT),
        ("snapshot", SNAPSHOT),
        ("config", CONFIG),
    ];
    // Files that are not inputs: the drivers, and what another input loads.
    let helpers = [
        "sa_ooxml.qvs",
        "sa_missing_sheet.qvs",
        "sa_biff.qvs",
        "sa_qvd.qvs",
        "sa_parquet.qvs",
        "sa_csv.qvs",
        "sa.qvs",
        "binary.png",
    ];
    for (kind, table) in kinds {
        rows += table.len();
        for e in std::fs::read_dir(format!("{}/{M}/{kind}", env!("CARGO_MANIFEST_DIR")))
            .expect("the folder lists")
            .flatten()
        {
            let name = e.file_name().to_string_lossy().into_owned();
            if helpers.contains(&name.as_str()) {
                continue;
            }
            assert!(
                table.iter().any(|r| r.input == name),
                "{kind}/{name} has no row in tests/malformed.rs"
            );
        }
    }
    assert!(rows >= 60, "{rows} rows");
}
