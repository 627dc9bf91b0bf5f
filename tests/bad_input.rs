//! The bad-input matrix (issue 12): every reader × every kind of malformed input, through the binary.
//!
//! Each reader ([`READERS`]) starts from a valid input taken from `fixtures/` (its base run must succeed),
//! then one mutation ([`Mutation`]) is applied to one file at a time, so the mutation is the only fault.
//! The expected outcome of each cell is data ([`expectation`], with a one-line reason):
//!
//! - **Refuse**: exit 2; no panic; stderr names the file (and a line/column where the format has lines);
//!   the diagnostic is one paragraph (< 20 lines, < 2 KB: no dump of the input); no output file or folder
//!   is left behind and nothing is printed on stdout.
//! - **Same**: the input is legitimately accepted (Qlik reads it too, e.g. CRLF, a BOM, UTF-16 with a BOM):
//!   exactly the base run's exit code, stdout and output file.
//! - **Clean**: either of the above is right (a prefix of a CSV is a shorter CSV; a 10 MB line, whose
//!   bounds belong to `tests/limits.rs`): no panic, and a refusal must be a well-formed one.
//! - **NotApplicable**: the mutation means nothing for the format (the reason says why).
//!
//! The README section "Malformed input" states the same promises.

mod common {
    pub mod scratch;
}

use common::scratch::{copy_dir, Scratch};
use std::path::{Path, PathBuf};
use std::process::Command;

/// How a reader's format is shaped, for the default expectations.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// A load script (`.qvs`): text, decoded like Qlik (BOM, UTF-16, else UTF-8, else windows-1252).
    Script,
    /// Delimited text with a format spec (`utf8` declared).
    Delimited,
    /// A JSON export.
    Json,
    /// `qsa.toml`.
    Toml,
    /// A stored snapshot (`qsa snapshot` text).
    Snapshot,
    /// A binary container (QVD, Parquet, xlsx, xls).
    Binary,
}

/// What a failing cell must carry in stderr besides the file name.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Loc {
    /// A line (and column) reference: `file:3:7`, `line 3`, `record 3`, `row 3`.
    Line,
    /// The file name only (binary formats have no lines).
    File,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mutation {
    Empty,
    /// Cut at k/8 of the length (k = 1..7).
    Truncated(u8),
    /// 4 KiB of pseudo-random bytes instead of the file.
    Garbage,
    /// Bytes that are not UTF-8 (`C3 28 FF`) inserted at the reader's anchor.
    InvalidUtf8,
    /// The text re-encoded as UTF-16LE with a BOM.
    Utf16Le,
    /// The text re-encoded as UTF-16BE with a BOM.
    Utf16Be,
    /// Every LF turned into CRLF.
    Crlf,
    /// A UTF-8 byte-order mark in front.
    Bom,
    /// NUL bytes inserted at the reader's anchor.
    Nul,
    /// 10 MiB without a line break inserted at the reader's anchor.
    LongLine,
    /// A value of the wrong type (the reader's `wrong_type` edit).
    WrongType,
    /// A key given twice in one object or table (the reader's `dup_key` edit).
    DupKey,
}

/// `snapshot` of the demo app with its directory: the run of every reader the demo fixture feeds.
const DEMO_SNAPSHOT: &[&str] = &[
    "snapshot",
    "sales_analytics.qvs",
    "--lib",
    "DataFiles=data",
    "--directory",
    "users.json",
    "--groups",
    "groups.json",
    "--out",
    "out.snapshot",
];

const MUTATIONS: &[Mutation] = &[
    Mutation::Empty,
    Mutation::Truncated(1),
    Mutation::Truncated(2),
    Mutation::Truncated(3),
    Mutation::Truncated(4),
    Mutation::Truncated(5),
    Mutation::Truncated(6),
    Mutation::Truncated(7),
    Mutation::Garbage,
    Mutation::InvalidUtf8,
    Mutation::Utf16Le,
    Mutation::Utf16Be,
    Mutation::Crlf,
    Mutation::Bom,
    Mutation::Nul,
    Mutation::LongLine,
    Mutation::WrongType,
    Mutation::DupKey,
];

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expect {
    Refuse,
    Same,
    Clean,
    NotApplicable,
}

/// A reader and the valid input it starts from.
struct Reader {
    name: &'static str,
    kind: Kind,
    loc: Loc,
    /// Fills the scratch folder with the valid base input.
    setup: fn(&Path),
    /// The file mutated, relative to the scratch folder.
    file: &'static str,
    /// The command, run in the scratch folder.
    args: &'static [&'static str],
    /// The file or folder the command writes (relative), if any.
    output: Option<&'static str>,
    /// Where byte insertions (invalid UTF-8, NUL, the long line) go: before the first occurrence of this
    /// text; empty = the middle of the file.
    anchor: &'static str,
    /// (from, to) for [`Mutation::WrongType`] and [`Mutation::DupKey`], on the first occurrence.
    wrong_type: Option<(&'static str, &'static str)>,
    dup_key: Option<(&'static str, &'static str)>,
    /// Cells that differ from the kind's defaults: (mutation, expectation, reason).
    overrides: &'static [(Mutation, Expect, &'static str)],
}

fn copy(from: &str, to: &Path) {
    let to_path = to.join(Path::new(from).file_name().expect("a file name"));
    std::fs::copy(from, to_path).expect("copy a fixture");
}

fn snapshot_fixture(dir: &Path) {
    copy("fixtures/snapshot/base.qvs", dir);
    copy("fixtures/snapshot/users.json", dir);
}

fn directory_csv_fixture(dir: &Path) {
    copy("fixtures/snapshot/base.qvs", dir);
    copy("fixtures/sa/directory/simple.csv", dir);
}

fn demo_fixture(dir: &Path) {
    copy_dir(Path::new("fixtures/demo"), dir);
}

fn sales_fixture(dir: &Path) {
    copy_dir(Path::new("fixtures/scripts/sales"), dir);
}

fn acme_fixture(dir: &Path) {
    copy_dir(Path::new("fixtures/tenant/acme"), dir);
}

fn excel_fixture(dir: &Path) {
    copy_dir(Path::new("fixtures/failclosed/excel"), dir);
}

/// `values.xls` (sheet Data, no labels: A = 1, 2) feeding a table linked to the reduction field `A`.
fn xls_fixture(dir: &Path) {
    copy("fixtures/data/excel/values.xls", dir);
    std::fs::write(
        dir.join("xls.qvs"),
        "Section Access;\nLOAD * INLINE [\nACCESS, USERID, A\nADMIN, AUTH0|ADMIN, *\nUSER, AUTH0|ONE, 1\nUSER, AUTH0|TWO, 2\n];\nSection Application;\n\
         Data:\nLOAD A, B, C FROM [values.xls] (biff, no labels, table is Data);\n",
    )
    .expect("write xls.qvs");
}

/// `Sales.parquet` written by `qsa preview --export-format parquet` from the snapshot fixture, and the
/// fixture's script with its `Sales` table loaded from it.
fn parquet_fixture(dir: &Path) {
    snapshot_fixture(dir);
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args([
            "preview",
            "base.qvs",
            "--directory",
            "users.json",
            "--user",
            "auth0|admin0001",
            "--export",
            "pq",
            "--export-format",
            "parquet",
        ])
        .current_dir(dir)
        .output()
        .expect("qsa runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::rename(dir.join("pq/Sales.parquet"), dir.join("Sales.parquet"))
        .expect("Sales.parquet");
    std::fs::remove_dir_all(dir.join("pq")).expect("rm pq");
    let base = std::fs::read_to_string(dir.join("base.qvs")).expect("base.qvs");
    let (head, rest) = base.split_once("Sales:\n").expect("a Sales table");
    let (_, tail) = rest.split_once("Products:\n").expect("a Products table");
    let script =
        format!("{head}Sales:\nLOAD * FROM [Sales.parquet] (parquet);\n\nProducts:\n{tail}");
    std::fs::write(dir.join("parquet.qvs"), script).expect("write parquet.qvs");
}

fn snapshot_files(dir: &Path) {
    snapshot_fixture(dir);
    copy("fixtures/snapshot/base.snapshot", dir);
    std::fs::copy(
        "fixtures/snapshot/base.snapshot",
        dir.join("mutated.snapshot"),
    )
    .expect("copy");
}

fn toml_fixture(dir: &Path) {
    snapshot_fixture(dir);
    std::fs::write(
        dir.join("qsa.toml"),
        "# lint settings of this folder\n[lints]\ndeny = [\"warnings\"]\nallow = [\"QSA111\"]\n",
    )
    .expect("write qsa.toml");
}

/// The cells where a script (or include) differs from the [`Kind::Script`] defaults.
const SCRIPT_CELLS: &[(Mutation, Expect, &str)] = &[];

/// Tenant exports: every file of the `--tenant` folder, read the same way.
macro_rules! tenant_reader {
    ($name:expr, $file:expr, $anchor:expr, $wrong:expr, $dup:expr) => {
        Reader {
            name: $name,
            kind: Kind::Json,
            loc: Loc::Line,
            setup: acme_fixture,
            file: $file,
            args: &[
                "snapshot",
                "acme.qvs",
                "--tenant",
                ".",
                "--app",
                "Revenue",
                "--out",
                "out.snapshot",
            ],
            output: Some("out.snapshot"),
            anchor: $anchor,
            wrong_type: Some($wrong),
            dup_key: Some($dup),
            overrides: &[],
        }
    };
}

const READERS: &[Reader] = &[
    Reader {
        name: "script",
        kind: Kind::Script,
        loc: Loc::Line,
        setup: snapshot_fixture,
        file: "base.qvs",
        args: &["report", "base.qvs", "--directory", "users.json", "--format", "html"],
        output: None,
        anchor: "Regression-snapshot fixture",
        wrong_type: None,
        dup_key: None,
        overrides: SCRIPT_CELLS,
    },
    Reader {
        name: "include",
        kind: Kind::Script,
        loc: Loc::Line,
        setup: sales_fixture,
        file: "config.qvs",
        args: &["snapshot", "main.qvs", "--out", "out.snapshot"],
        output: Some("out.snapshot"),
        anchor: "Included with",
        wrong_type: None,
        dup_key: None,
        overrides: SCRIPT_CELLS,
    },
    Reader {
        name: "delimited",
        kind: Kind::Delimited,
        loc: Loc::Line,
        setup: demo_fixture,
        file: "data/security/section_access.csv",
        args: DEMO_SNAPSHOT,
        output: Some("out.snapshot"),
        anchor: "EMEA,*",
        wrong_type: None,
        dup_key: Some(("ACCESS,USERID,GROUP,", "ACCESS,USERID,GROUP,GROUP,")),
        overrides: &[],
    },
    Reader {
        name: "qvd",
        kind: Kind::Binary,
        loc: Loc::File,
        setup: demo_fixture,
        file: "data/qvd/Orders.qvd",
        args: &[
            "report",
            "sales_analytics.qvs",
            "--lib",
            "DataFiles=data",
            "--directory",
            "users.json",
            "--groups",
            "groups.json",
            "--format",
            "json",
        ],
        output: None,
        anchor: "<TableName>",
        wrong_type: None,
        dup_key: None,
        overrides: &[(
            Mutation::Nul,
            Expect::Same,
            "NULs between the XML header's elements: the data offsets count from the header's end, so the \
             data read is unchanged",
        )],
    },
    Reader {
        name: "parquet",
        kind: Kind::Binary,
        loc: Loc::File,
        setup: parquet_fixture,
        file: "Sales.parquet",
        args: &["snapshot", "parquet.qvs", "--directory", "users.json", "--out", "out.snapshot"],
        output: Some("out.snapshot"),
        anchor: "",
        wrong_type: None,
        dup_key: None,
        overrides: &[(
            Mutation::Nul,
            Expect::Same,
            "the middle of this file lies after the column chunks, before the footer (found from the end): \
             the offsets still point at the same bytes, so the data read is unchanged",
        )],
    },
    Reader {
        name: "xlsx",
        kind: Kind::Binary,
        loc: Loc::File,
        setup: excel_fixture,
        file: "data/rights.xlsx",
        args: &[
            "preview",
            "main.qvs",
            "--lib",
            "Security=data",
            "--user",
            "auth0|eva",
            "--export",
            "export",
        ],
        output: Some("export"),
        anchor: "",
        wrong_type: None,
        dup_key: None,
        overrides: &[],
    },
    Reader {
        name: "xls",
        kind: Kind::Binary,
        loc: Loc::File,
        setup: xls_fixture,
        file: "values.xls",
        args: &["report", "xls.qvs", "--format", "csv"],
        output: None,
        anchor: "",
        wrong_type: None,
        dup_key: None,
        overrides: &[],
    },
    Reader {
        name: "directory",
        kind: Kind::Json,
        loc: Loc::Line,
        setup: snapshot_fixture,
        file: "users.json",
        args: &["snapshot", "base.qvs", "--directory", "users.json", "--out", "out.snapshot"],
        output: Some("out.snapshot"),
        anchor: "Ada\"",
        wrong_type: Some((
            "\"idp_groups\": [\"Engineering\"]",
            "\"idp_groups\": \"Engineering\"",
        )),
        dup_key: Some((
            "\"subject\": \"auth0|ada0002\",",
            "\"subject\": \"auth0|ada0002\", \"subject\": \"auth0|admin0001\",",
        )),
        overrides: &[],
    },
    Reader {
        name: "directory (CSV)",
        kind: Kind::Delimited,
        loc: Loc::Line,
        setup: directory_csv_fixture,
        file: "simple.csv",
        args: &["snapshot", "base.qvs", "--directory", "simple.csv", "--out", "out.snapshot"],
        output: Some("out.snapshot"),
        anchor: "Joe",
        wrong_type: None,
        dup_key: Some(("subject,email,", "subject,email,email,")),
        overrides: &[(
            Mutation::InvalidUtf8,
            Expect::Clean,
            "a directory CSV that is not UTF-8 is read as windows-1252 (as Excel saves CSV)",
        )],
    },
    Reader {
        name: "groups",
        kind: Kind::Json,
        loc: Loc::Line,
        setup: demo_fixture,
        file: "groups.json",
        args: DEMO_SNAPSHOT,
        output: Some("out.snapshot"),
        anchor: "All Employees",
        wrong_type: Some(("\"providerType\": \"idp\"", "\"providerType\": 1")),
        dup_key: Some((
            "\"providerType\": \"idp\"",
            "\"providerType\": \"idp\", \"providerType\": \"custom\"",
        )),
        overrides: &[],
    },
    tenant_reader!(
        "tenant users",
        "users.json",
        "Olivia Grant",
        ("\"subject\": \"00uolivia0000000000\"", "\"subject\": 42"),
        (
            "\"subject\": \"00uolivia0000000000\"",
            "\"subject\": \"00uolivia0000000000\", \"subject\": \"00uother\""
        )
    ),
    tenant_reader!(
        "tenant groups",
        "groups.json",
        "Sales EMEA",
        ("\"name\": \"Finance\"", "\"name\": [\"Finance\"]"),
        ("\"name\": \"Finance\"", "\"name\": \"Finance\", \"name\": \"Sales EMEA\"")
    ),
    tenant_reader!(
        "tenant group settings",
        "group-settings.json",
        "com.qlik.Everyone",
        ("\"enabled\": true", "\"enabled\": \"yes\""),
        ("\"enabled\": true", "\"enabled\": true, \"enabled\": false")
    ),
    tenant_reader!(
        "tenant roles",
        "roles.json",
        "UserDefault",
        ("\"assignedScopes\": [", "\"assignedScopes\": 1, \"x\": ["),
        (
            "\"name\": \"UserDefault\"",
            "\"name\": \"UserDefault\", \"name\": \"TenantAdmin\""
        )
    ),
    tenant_reader!(
        "tenant spaces",
        "spaces.json",
        "Finance Reporting",
        ("\"type\": \"managed\"", "\"type\": 7"),
        ("\"type\": \"managed\"", "\"type\": \"managed\", \"type\": \"shared\"")
    ),
    tenant_reader!(
        "tenant assignments",
        "assignments/66f0ac3e0000000000000f01.json",
        "consumer",
        ("\"type\": \"group\"", "\"type\": false"),
        ("\"type\": \"group\"", "\"type\": \"group\", \"type\": \"user\"")
    ),
    tenant_reader!(
        "tenant shares",
        "shares/66f0ac3e0000000000000f01.json",
        "consumer",
        ("\"type\": \"user\"", "\"type\": 3"),
        ("\"type\": \"user\"", "\"type\": \"user\", \"type\": \"group\"")
    ),
    tenant_reader!(
        "tenant items",
        "items.json",
        "Revenue",
        (
            "\"spaceId\": \"66f0ac3e0000000000000f01\"",
            "\"spaceId\": 5"
        ),
        (
            "\"spaceId\": \"66f0ac3e0000000000000f01\"",
            "\"spaceId\": \"66f0ac3e0000000000000f01\", \"spaceId\": \"66f0ac3e0000000000000501\""
        )
    ),
    tenant_reader!(
        "tenant oauth client",
        "oauth-client.json",
        "Reporting Portal",
        ("\"allowedScopes\": [", "\"allowedScopes\": 1, \"x\": ["),
        ("\"appType\": \"web\"", "\"appType\": \"web\", \"appType\": \"native\"")
    ),
    Reader {
        name: "snapshot --check",
        kind: Kind::Snapshot,
        loc: Loc::Line,
        setup: snapshot_files,
        file: "base.snapshot",
        args: &["snapshot", "base.qvs", "--directory", "users.json", "--check", "base.snapshot"],
        output: None,
        anchor: "admin0001",
        wrong_type: Some(("users: 9", "users: nine")),
        dup_key: Some(("  access: USER\n", "  access: USER\n  access: ADMIN\n")),
        overrides: &[],
    },
    Reader {
        name: "diff (snapshots)",
        kind: Kind::Snapshot,
        loc: Loc::Line,
        setup: snapshot_files,
        file: "mutated.snapshot",
        args: &["diff", "base.snapshot", "mutated.snapshot"],
        output: None,
        anchor: "admin0001",
        wrong_type: Some(("users: 9", "users: nine")),
        dup_key: Some(("  access: USER\n", "  access: USER\n  access: ADMIN\n")),
        overrides: &[],
    },
    Reader {
        name: "qsa.toml",
        kind: Kind::Toml,
        loc: Loc::Line,
        setup: toml_fixture,
        file: "qsa.toml",
        args: &["check", "base.qvs"],
        output: None,
        anchor: "warnings\"",
        wrong_type: Some(("deny = [\"warnings\"]", "deny = \"warnings\"")),
        dup_key: Some(("allow = ", "deny = [\"QSA111\"]\nallow = ")),
        overrides: &[],
    },
];

/// The expected outcome of one cell and why.
fn expectation(r: &Reader, m: Mutation) -> (Expect, &'static str) {
    let key = |x: Mutation| match x {
        Mutation::Truncated(_) => Mutation::Truncated(0),
        other => other,
    };
    if let Some((_, e, why)) = r.overrides.iter().find(|(o, _, _)| key(*o) == key(m)) {
        return (*e, why);
    }
    use Expect::*;
    use Kind::*;
    use Mutation::*;
    match (r.kind, m) {
        (Toml, Empty | Truncated(_)) => (
            Clean,
            "an empty qsa.toml is a valid empty config, and a prefix of one can be valid TOML",
        ),
        (_, Empty) => (Refuse, "an empty file is a broken export or save, never a valid input"),
        (_, Garbage) => (Refuse, "random bytes are no valid input of any format"),
        (_, LongLine) => (
            Clean,
            "bounds on input size belong to --max-memory/tests/limits.rs; here: no panic, a clean answer",
        ),
        (Binary, Truncated(_)) => (Refuse, "a binary container knows its length: a cut file is broken"),
        (Binary, Nul) => (Refuse, "bytes inserted into a container shift its offsets or break its header"),
        (Binary, InvalidUtf8 | Utf16Le | Utf16Be | Crlf | Bom | WrongType | DupKey) => {
            (NotApplicable, "binary format: no text encoding, line ends or keys")
        }
        (Json, Truncated(_)) => (Refuse, "a cut JSON document does not parse"),
        (Script | Delimited, Truncated(_)) => (
            Clean,
            "a prefix of a script or CSV can be a valid shorter one: a clean answer or a clean refusal",
        ),
        (Snapshot, Truncated(_)) => (Refuse, "a snapshot states its user count: a cut one is caught"),
        (Script, InvalidUtf8) => (
            Same,
            "a script that is not UTF-8 is read as windows-1252, as Qlik does (bytes are in a comment)",
        ),
        (Delimited, InvalidUtf8) => (
            Clean,
            "Qlik loads an undecodable byte as U+FFFD; so does qsa (the value then matches no one)",
        ),
        (_, InvalidUtf8) => (Refuse, "JSON, TOML and snapshots are UTF-8 text: anything else is refused"),
        (Snapshot, Utf16Le | Utf16Be) => (
            Refuse,
            "qsa writes snapshots in UTF-8; a re-encoded one is refused with that reason",
        ),
        (Script | Json | Toml, Utf16Le | Utf16Be) => (
            Same,
            "UTF-16 with a BOM is decoded (Windows tools write it; Qlik reads it)",
        ),
        (Delimited, Utf16Le | Utf16Be) => (
            Same,
            "a BOM overrides the declared encoding, as in Qlik (fixtures/data/text/utf16.csv)",
        ),
        (_, Crlf) => (Same, "CRLF line ends are whitespace/line ends in every text format"),
        (_, Bom) => (Same, "a UTF-8 BOM is skipped, as Qlik and editors do"),
        (Script, Nul) => (
            Refuse,
            "a NUL byte is never script text: a corrupt file, refused at its position",
        ),
        (Delimited, Nul) => (
            Clean,
            "a NUL is a character of the value for Qlik too (the value then matches no one)",
        ),
        (Json | Toml | Snapshot, Nul) => (Refuse, "a NUL byte is not allowed in JSON/TOML/snapshot text"),
        (Script | Delimited, WrongType) => (NotApplicable, "untyped text: no value has a type to get wrong"),
        (Json | Toml | Snapshot, WrongType) => (
            Refuse,
            "a field of the wrong type cannot be read faithfully",
        ),
        (Script, DupKey) => (NotApplicable, "a script has no keys"),
        (Delimited, DupKey) => (
            Refuse,
            "a field named twice in the header: which column applies is ambiguous (Qlik refuses too)",
        ),
        (Json, DupKey) => (
            Refuse,
            "a key given twice can change access and serde would take the last silently: ambiguous, refused",
        ),
        (Toml, DupKey) => (Refuse, "TOML forbids a key given twice"),
        (Snapshot, DupKey) => (Refuse, "a user's field given twice is ambiguous"),
    }
}

/// The mutated bytes, or None when the mutation does not apply (no edit target).
fn mutate(r: &Reader, base: &[u8], m: Mutation) -> Option<Vec<u8>> {
    let at = if r.anchor.is_empty() {
        base.len() / 2
    } else {
        find(base, r.anchor.as_bytes())
            .unwrap_or_else(|| panic!("{}: anchor {:?}", r.name, r.anchor))
    };
    let insert = |bytes: &[u8]| {
        let mut v = base[..at].to_vec();
        v.extend_from_slice(bytes);
        v.extend_from_slice(&base[at..]);
        v
    };
    let text = || String::from_utf8(base.to_vec()).expect("a text base is UTF-8");
    let replace = |edit: Option<(&str, &str)>| {
        let (from, to) = edit?;
        let t = text();
        assert!(t.contains(from), "{}: edit target {from:?}", r.name);
        Some(t.replacen(from, to, 1).into_bytes())
    };
    Some(match m {
        Mutation::Empty => Vec::new(),
        Mutation::Truncated(k) => base[..base.len() * k as usize / 8].to_vec(),
        Mutation::Garbage => {
            let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
            (0..4096)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x >> 24) as u8
                })
                .collect()
        }
        Mutation::InvalidUtf8 => insert(b"\xC3\x28\xFF"),
        Mutation::Utf16Le => {
            let mut v = vec![0xFF, 0xFE];
            v.extend(text().encode_utf16().flat_map(|u| u.to_le_bytes()));
            v
        }
        Mutation::Utf16Be => {
            let mut v = vec![0xFE, 0xFF];
            v.extend(text().encode_utf16().flat_map(|u| u.to_be_bytes()));
            v
        }
        Mutation::Crlf => text()
            .replace("\r\n", "\n")
            .replace('\n', "\r\n")
            .into_bytes(),
        Mutation::Bom => {
            let mut v = b"\xEF\xBB\xBF".to_vec();
            v.extend_from_slice(base);
            v
        }
        Mutation::Nul => insert(b"\0\0\0\0"),
        Mutation::LongLine => insert(&vec![b'x'; 10 << 20]),
        Mutation::WrongType => return replace(r.wrong_type),
        Mutation::DupKey => return replace(r.dup_key),
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// What one run gave: exit code, stdout, stderr, and the output (file, or the files of a folder).
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    output: Option<Vec<(String, Vec<u8>)>>,
}

fn run(r: &Reader, dir: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(r.args)
        .current_dir(dir)
        .output()
        .expect("the qsa binary runs");
    let output = r.output.and_then(|o| read_output(&dir.join(o)));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        output,
    }
}

/// The output file's bytes, or a folder's files (sorted, recursively); None when it does not exist.
fn read_output(p: &Path) -> Option<Vec<(String, Vec<u8>)>> {
    if p.is_file() {
        return Some(vec![(
            String::new(),
            std::fs::read(p).expect("read output"),
        )]);
    }
    if !p.is_dir() {
        return None;
    }
    let mut files = Vec::new();
    let mut stack = vec![p.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir").flatten() {
            let q = e.path();
            if q.is_dir() {
                stack.push(q);
            } else {
                let rel = q.strip_prefix(p).expect("under").display().to_string();
                files.push((rel, std::fs::read(&q).expect("read")));
            }
        }
    }
    files.sort();
    Some(files)
}

/// A line reference in a diagnostic: `name:3:7`, `line 3`, `record 3`, `row 3`.
fn has_line_ref(s: &str) -> bool {
    let b = s.as_bytes();
    let digits_at = |i: usize| b.get(i).is_some_and(|c| c.is_ascii_digit());
    // `:N:N`
    for i in 0..b.len() {
        if b[i] == b':' && digits_at(i + 1) {
            let mut j = i + 1;
            while digits_at(j) {
                j += 1;
            }
            if b.get(j) == Some(&b':') && digits_at(j + 1) {
                return true;
            }
        }
    }
    ["line ", "record ", "row "]
        .iter()
        .any(|w| s.match_indices(w).any(|(i, _)| digits_at(i + w.len())))
}

/// Every way a cell can be wrong, as one message per problem.
fn check_cell(r: &Reader, expect: Expect, base: &Run, got: &Run) -> Vec<String> {
    let mut bad = Vec::new();
    for p in ["panicked", "RUST_BACKTRACE", "stack overflow"] {
        if got.stderr.contains(p) {
            bad.push(format!("panic: {}", clip(&got.stderr)));
        }
    }
    // `located`: a refusal must carry a line/column where the format has lines (a Clean refusal may be
    // about the content, e.g. "roles.json has no UserDefault role", and only names the file).
    let refused_well = |bad: &mut Vec<String>, located: bool| {
        let file_name = Path::new(r.file)
            .file_name()
            .and_then(|f| f.to_str())
            .unwrap_or(r.file);
        // A Clean refusal may be about what the (valid, shorter) input leads to elsewhere, e.g. a cut
        // include that no longer sets a variable the main script uses: then it is located there.
        if !got.stderr.contains(file_name) && (located || !has_line_ref(&got.stderr)) {
            bad.push(format!(
                "stderr does not name `{file_name}`: {}",
                clip(&got.stderr)
            ));
        }
        if located && r.loc == Loc::Line && !has_line_ref(&got.stderr) {
            bad.push(format!("stderr has no line/column: {}", clip(&got.stderr)));
        }
        let error = first_error(&got.stderr);
        let lines = error.lines().count();
        if lines >= MAX_ERROR_LINES || error.len() >= MAX_ERROR_BYTES {
            bad.push(format!(
                "the error is not one paragraph ({lines} lines, {} bytes): {}",
                error.len(),
                clip(error)
            ));
        }
        if got.stderr.len() >= MAX_STDERR_BYTES {
            bad.push(format!("{} bytes on stderr: a dump", got.stderr.len()));
        }
        if got.output.is_some() {
            bad.push(format!("left an output behind: {:?}", r.output));
        }
        if !got.stdout.is_empty() {
            bad.push(format!("printed on stdout: {}", clip(&got.stdout)));
        }
    };
    let same = |bad: &mut Vec<String>| {
        if got.code != base.code {
            bad.push(format!(
                "exit {} (base {}): {}",
                got.code,
                base.code,
                clip(&got.stderr)
            ));
        } else if got.stdout != base.stdout {
            bad.push(format!(
                "stdout differs from the base: {}",
                clip(&got.stdout)
            ));
        } else if got.output != base.output {
            bad.push("the output differs from the base".to_string());
        }
    };
    match expect {
        Expect::NotApplicable => {}
        Expect::Refuse => {
            if got.code != 2 {
                bad.push(format!(
                    "exit {} (expected 2): {}",
                    got.code,
                    clip(&got.stderr)
                ));
            } else {
                refused_well(&mut bad, true);
            }
        }
        Expect::Same => same(&mut bad),
        Expect::Clean => match got.code {
            2 => refused_well(&mut bad, false),
            0 | 1 => {
                if r.output.is_some() && got.output.is_none() && got.code == 0 {
                    bad.push("exit 0 without its output".to_string());
                }
            }
            c => bad.push(format!("exit {c}: {}", clip(&got.stderr))),
        },
    }
    bad
}

/// One error diagnostic, with its source frame and help, stays within these; stderr as a whole (the
/// warnings found before the refusal, the refusal line) within [`MAX_STDERR_BYTES`].
const MAX_ERROR_LINES: usize = 40;
const MAX_ERROR_BYTES: usize = 2048;
const MAX_STDERR_BYTES: usize = 16 * 1024;

/// The first error diagnostic of stderr (`error[CODE]` up to the next diagnostic), else the first
/// `qsa:` line with `error`/a reason, else all of it.
fn first_error(stderr: &str) -> &str {
    let Some(start) = stderr.find("error[") else {
        return stderr;
    };
    let rest = &stderr[start..];
    let end = ["\nerror[", "\nwarning[", "\ninfo[", "\nqsa: "]
        .iter()
        .filter_map(|h| rest[1..].find(h).map(|i| i + 1))
        .min()
        .unwrap_or(rest.len());
    &rest[..end]
}

fn clip(s: &str) -> String {
    let s: String = s.chars().take(600).collect();
    s.replace('\n', "⏎")
}

/// The matrix: every reader × every mutation, each cell checked against its expectation.
#[test]
fn bad_input_matrix() {
    let only = std::env::var("BAD_INPUT_ONLY").ok();
    let readers: Vec<(usize, &Reader)> = READERS
        .iter()
        .enumerate()
        .filter(|(_, r)| only.as_deref().is_none_or(|o| r.name.contains(o)))
        .collect();
    // Readers run in parallel (each in its own scratch folder); cells of one reader in order.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(2, 4));
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(&(ri, r)) = readers.get(i) else {
                    break;
                };
                let got = run_reader(ri, r);
                results.lock().expect("results").push((ri, got));
            });
        }
    });
    let mut results = results.into_inner().expect("results");
    results.sort_by_key(|(ri, _)| *ri);
    let cells: usize = results.iter().map(|(_, (n, _))| n).sum();
    let failures: Vec<String> = results.into_iter().flat_map(|(_, (_, f))| f).collect();
    assert!(
        failures.is_empty(),
        "{} problems in {cells} cells:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// All cells of one reader: (cells run, problems).
fn run_reader(ri: usize, r: &Reader) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut cells = 0;
    let s = Scratch::new("bad-input", &format!("r{ri}"));
    (r.setup)(s.dir());
    let base = run(r, s.dir());
    if base.code == 2 || base.stderr.contains("panicked") {
        failures.push(format!(
            "{}: the base input must run: {}",
            r.name,
            clip(&base.stderr)
        ));
        return (cells, failures);
    }
    let target: PathBuf = s.path(r.file);
    let original = std::fs::read(&target).expect("the mutated file exists");
    for &m in MUTATIONS {
        let (expect, why) = expectation(r, m);
        if expect == Expect::NotApplicable {
            continue;
        }
        let Some(bytes) = mutate(r, &original, m) else {
            continue;
        };
        if let Some(o) = r.output {
            let p = s.path(o);
            let _ = std::fs::remove_file(&p);
            let _ = std::fs::remove_dir_all(&p);
        }
        std::fs::write(&target, &bytes).expect("write the mutant");
        let got = run(r, s.dir());
        cells += 1;
        for problem in check_cell(r, expect, &base, &got) {
            failures.push(format!("{} × {m:?} [{expect:?}: {why}]: {problem}", r.name));
        }
    }
    (cells, failures)
}

/// A panic qsa catches inside a decoder (here polars, on a Parquet footer whose boolean field is not a
/// boolean: `fuzz/regressions/parquet/decoder-panic-thrift-bool`) is a refusal of the file, located at
/// the LOAD, quoting the panic's message; the panic itself is not printed, with or without
/// `RUST_BACKTRACE` (the binary's hook holds it back; an uncaught one would be printed).
#[test]
fn caught_decoder_panic_is_a_refusal_not_a_printed_panic() {
    let dir = std::env::temp_dir().join(format!("qsa-caught-panic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let root = env!("CARGO_MANIFEST_DIR");
    std::fs::copy(
        format!("{root}/fuzz/regressions/parquet/decoder-panic-thrift-bool"),
        dir.join("a.parquet"),
    )
    .expect("copy");
    let script = dir.join("s.qvs");
    std::fs::write(
        &script,
        "Section Access;\nLOAD * INLINE [\nACCESS, USERID, REGION\nUSER, A, EU\n];\nSection Application;\nT: LOAD * FROM [a.parquet] (parquet);\n",
    )
    .expect("script");
    for backtrace in [None, Some("1")] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_qsa"));
        cmd.args(["report", script.to_str().expect("utf-8 path")]);
        match backtrace {
            Some(v) => cmd.env("RUST_BACKTRACE", v),
            None => cmd.env_remove("RUST_BACKTRACE"),
        };
        let out = cmd.output().expect("run qsa");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{stderr}");
        assert!(out.stdout.is_empty());
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(!stderr.contains("RUST_BACKTRACE"), "{stderr}");
        // The message as words: the renderer wraps it at the terminal width.
        let words: Vec<&str> = stderr.split_whitespace().filter(|w| *w != "│").collect();
        assert!(
            words.join(" ").contains(
                "not a readable Parquet file (the Parquet decoder failed: thrift bool field)"
            ),
            "{stderr}"
        );
        assert!(stderr.contains("s.qvs:7:1"), "{stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}
