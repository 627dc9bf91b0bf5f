//! The access snapshot of `qsa snapshot`: who sees what, as a model ([`Snapshot`]), its text form
//! ([`render`]) and its reader ([`read`]). Produces and reads strings; never prints, never touches files.
//!
//! # The text format, version 1
//!
//! Line-oriented and indentation-based, so that a pull-request diff shows one changed fact per line, and
//! the non-indented `user:` line of a block is what git shows in a hunk header.
//!
//! ```text
//! # qsa snapshot 1                           first line: format and version (detects a snapshot)
//! # who sees what …                          lines that start with `#` are comments
//! script: fixtures/example/sales.qvs         header: the inputs' names (script, directory, groups,
//! directory: fixtures/example/users.json       table, lib; a record, not compared), target, group mode
//! target: cloud                                and the number of user blocks
//! group mode: 2
//! users: 6
//!
//! user: auth0|ada0002                        one block per user, sorted by id
//!   email: ada@example.org                   absent when the user has none
//!   access: USER                             ADMIN, USER or DENIED
//!   denied: not listed: …                    the denied reason (DENIED only)
//!   reduction:                               per reduction field: the selection, `(not reduced)`, or
//!     REGION: EU, US                           `(none)` for an empty one
//!   rows:                                    per app table: rows kept / total
//!     Sales: 3 / 8
//!   omitted: MARGIN                          omitted fields (sorted); absent when none
//!   rules: L2                                [dec] rules the result depends on; absent when none
//! ```
//!
//! A DENIED user's block has no `reduction`, `rows` or `omitted` (the user sees nothing).
//!
//! # Format 2: the tenant tier
//!
//! `qsa snapshot --tenant DIR --app X` (tenant.md) writes format 2: format 1 plus the tenant app in the
//! header and each user's tenant tier before `access` (which is then the joined access of T15):
//!
//! ```text
//! # qsa snapshot 2
//! tenant: fixtures/tenant/examples/budget      the --tenant folder (an input: a record, not compared)
//! tenant app: b0d9e700-…                       the app: id, name, space (absent: personal), space type
//! tenant app name: Budget
//! tenant space: 66f0…
//! tenant space type: managed
//! tenant oauth client: reporting-bot           only with an OAuth client
//!
//! user: 00ucy0000000000000
//!   status: active                             T7
//!   open: no                                   T10–T14: yes or no, then the routes that open the app
//!   why not:                                     (`open via: A, B`) or every route checked and why it
//!     - not the owner of managed space … (T11)   does not (`why not:`, one `- ` line each)
//!   roles:                                     T1–T3: each role and how it is held
//!     TenantAdmin: direct
//!   export: not-allowed                        T16, T17: allowed, no-data or not-allowed
//!   full: yes                                  T18: a Full User trigger (no: none, not "Basic")
//!   oauth open: yes                            T8, T9: only with an OAuth client (`oauth missing`:
//!   oauth export: no-data                        the scopes the client lacks, or `(none)`)
//!   oauth missing: apps.data:export
//!   section access alone: ADMIN                T15: only when the tenant denies the user
//!   access: DENIED
//!   denied: tenant: cannot open the app
//! ```
//!
//! Why a new version rather than optional keys in format 1: a qsa that reads format 1 only must not
//! compare a snapshot whose `access` already folds in the tenant as if it were Section Access alone; with
//! format 2 it refuses the file on its first line, naming the version. A snapshot taken without
//! `--tenant` is still format 1, byte for byte, so committed snapshots keep `--check`ing clean and older
//! qsa keep reading them. This reader reads both; the tenant keys are unknown keys in format 1, and a
//! format 2 file must give every user the tenant tier (and a format 1 file none).
//!
//! Values are written as they are unless they would be ambiguous; then they are quoted (`"…"` with `\\`,
//! `\"`, `\n`, `\r`, `\t` and `\u{…}` escapes): an empty value, leading or trailing white space, a leading
//! `"`, any control character, a `:` in a key (field or table name), a `,` or a leading `(` in a list item.
//!
//! The reader is strict: an unknown key (a snapshot written by a newer qsa, a typo), a repeated key, a bad
//! indentation or value, a `denied:` line for a granted user or a `reduction`/`rows`/`omitted` for a
//! DENIED one is an error with line and column and what was expected. It never panics.
//!
//! # Adding to the format
//! A new fact per user is a new field of [`UserSnapshot`], a new key in the reader's key lists and in
//! `render_user`, and a new [`VERSION`] (as format 2 did for the tenant tier, `TENANT_KEYS`): a qsa that
//! reads only older formats then refuses the file by its first line, naming the version, and this reader
//! keeps reading the older formats from `OLDEST` on (a key they lack is simply absent, and unknown).

use super::snapshot_tenant::{access_of, export_of, render_tier, TierDraft, TENANT_KEYS};
pub use super::snapshot_tenant::{OAuthTier, TenantApp, TenantTier};
use crate::access::{GroupMode, Target};
use crate::reduce::{Access, TableCount, UserResult};
use crate::tenant::model::Export;
use crate::tenant::UserTenant;
use std::collections::BTreeMap;
use std::fmt::Write;

/// The newest format version this qsa writes and reads: format 2 carries the tenant tier (see the module
/// documentation for why it is a new version).
pub const VERSION: usize = 2;
/// The format written without the tenant tier (unchanged since format 1).
pub const VERSION_PLAIN: usize = 1;
/// The oldest format version this qsa reads.
const OLDEST: usize = 1;
/// How every snapshot starts (followed by a space and the version).
pub const MAGIC: &str = "# qsa snapshot";

/// The kind of an input named in the header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum InputKind {
    Script,
    Directory,
    Groups,
    Table,
    Lib,
    /// The `--tenant` folder (format 2).
    Tenant,
}

impl InputKind {
    const ALL: [InputKind; 6] = [
        InputKind::Script,
        InputKind::Directory,
        InputKind::Groups,
        InputKind::Table,
        InputKind::Lib,
        InputKind::Tenant,
    ];

    /// The header key.
    pub fn key(&self) -> &'static str {
        match self {
            InputKind::Script => "script",
            InputKind::Directory => "directory",
            InputKind::Groups => "groups",
            InputKind::Table => "table",
            InputKind::Lib => "lib",
            InputKind::Tenant => "tenant",
        }
    }

    fn from_key(key: &str) -> Option<InputKind> {
        Self::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One input named in the header: `script: sales.qvs`, `table: Orders=orders.csv`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub kind: InputKind,
    /// As given relative to the current folder or the script's folder; never absolute.
    pub name: String,
}

/// What a snapshot was taken of.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The inputs' names: a record for the reader, not compared by `--check` or `diff`.
    pub inputs: Vec<Input>,
    pub target: Target,
    pub group_mode: GroupMode,
    /// The tenant app (`--tenant DIR --app X`, format 2); `None`: Section Access alone.
    pub tenant: Option<TenantApp>,
}

/// What one user sees, as the snapshot records it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserSnapshot {
    pub id: String,
    pub email: Option<String>,
    pub access: Access,
    pub denied_reason: Option<String>,
    /// Per reduction field: the selection (in the evaluator's order); `None` = not reduced.
    pub reduction: BTreeMap<String, Option<Vec<String>>>,
    /// Rows kept per app table (empty for a DENIED user).
    pub tables: BTreeMap<String, TableCount>,
    /// Omitted fields, sorted.
    pub omitted: Vec<String>,
    /// [dec] rule ids the result depends on, sorted.
    pub rules: Vec<String>,
    /// The tenant tier (format 2 only).
    pub tenant: Option<TenantTier>,
}

impl UserSnapshot {
    /// The snapshot of one evaluated user. A DENIED user keeps no reduction, rows or omitted fields (they
    /// would only say "nothing"); only a DENIED user has a denied reason.
    pub fn from_result(u: &UserResult, tenant: Option<&UserTenant>) -> UserSnapshot {
        let granted = u.access != Access::Denied;
        let mut omitted = if granted {
            u.omitted_fields.clone()
        } else {
            vec![]
        };
        omitted.sort();
        omitted.dedup();
        let mut rules: Vec<String> = u.rules.iter().map(|r| r.to_string()).collect();
        rules.sort();
        rules.dedup();
        UserSnapshot {
            id: u.id.clone(),
            email: u.email.clone(),
            access: u.access,
            denied_reason: if granted {
                None
            } else {
                u.denied_reason.clone()
            },
            reduction: if granted {
                (*u.reduction).clone()
            } else {
                BTreeMap::new()
            },
            tables: if granted {
                (*u.tables).clone()
            } else {
                BTreeMap::new()
            },
            omitted,
            rules,
            tenant: tenant.map(TenantTier::from_user),
        }
    }
}

/// A snapshot: the header and every user, sorted by id (ids unique).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Snapshot {
    pub header: Header,
    pub users: Vec<UserSnapshot>,
}

impl Snapshot {
    /// The snapshot of an evaluation; with the tenant tier, `tenant` is aligned with `results` (every
    /// user must have one when the header names a tenant app, and none otherwise). Two results with the
    /// same id are kept once when they agree; when they disagree the snapshot cannot say what that id sees
    /// (`Err` with the reason).
    pub fn from_results(
        header: Header,
        results: &[UserResult],
        tenant: Option<&[Option<UserTenant>]>,
    ) -> Result<Snapshot, String> {
        use rayon::prelude::*;
        let tier = |i: usize| tenant.and_then(|t| t.get(i)).and_then(Option::as_ref);
        if header.tenant.is_some() && (0..results.len()).any(|i| tier(i).is_none()) {
            return Err(
                "a user has no tenant tier: the snapshot cannot say whether they open the app"
                    .into(),
            );
        }
        let with_tier = if header.tenant.is_some() {
            tenant
        } else {
            None
        };
        let mut users: Vec<UserSnapshot> = results
            .par_iter()
            .enumerate()
            .map(|(i, u)| {
                UserSnapshot::from_result(
                    u,
                    with_tier.and_then(|t| t.get(i)).and_then(Option::as_ref),
                )
            })
            .collect();
        users.par_sort_by(|a, b| a.id.cmp(&b.id));
        let mut out: Vec<UserSnapshot> = Vec::with_capacity(users.len());
        for u in users {
            match out.last() {
                Some(last) if last.id == u.id => {
                    if *last != u {
                        return Err(format!(
                            "two users of the directory have the id `{}` and see different things: a snapshot compares users by id",
                            u.id
                        ));
                    }
                }
                _ => out.push(u),
            }
        }
        Ok(Snapshot { header, users: out })
    }

    /// The user with this id.
    pub fn user(&self, id: &str) -> Option<&UserSnapshot> {
        self.users
            .binary_search_by(|u| u.id.as_str().cmp(id))
            .ok()
            .and_then(|i| self.users.get(i))
    }
}

// ---------------------------------------------------------------------------------------------------
// Writing

fn needs_quotes(s: &str, specials: &[char], paren: bool) -> bool {
    s.is_empty()
        || s.starts_with('"')
        || s.starts_with(char::is_whitespace)
        || s.ends_with(char::is_whitespace)
        || (paren && s.starts_with('('))
        || s.chars().any(|c| c.is_control() || specials.contains(&c))
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A value that runs to the end of the line.
pub(super) fn scalar(s: &str) -> String {
    if needs_quotes(s, &[], false) {
        quoted(s)
    } else {
        s.to_string()
    }
}

/// A key (field or table name): ends at the first `:`.
pub(super) fn key(s: &str) -> String {
    if needs_quotes(s, &[':'], false) {
        quoted(s)
    } else {
        s.to_string()
    }
}

/// A list: items separated by `, `.
pub(super) fn list<S: AsRef<str>>(items: &[S]) -> String {
    items
        .iter()
        .map(|s| {
            let s = s.as_ref();
            if needs_quotes(s, &[','], true) {
                quoted(s)
            } else {
                s.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

const NOT_REDUCED: &str = "(not reduced)";
pub(super) const NO_VALUE: &str = "(none)";

fn render_user(u: &UserSnapshot) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "user: {}", scalar(&u.id));
    if let Some(e) = &u.email {
        let _ = writeln!(out, "  email: {}", scalar(e));
    }
    if let Some(t) = &u.tenant {
        render_tier(&mut out, t);
    }
    let _ = writeln!(out, "  access: {}", u.access.as_str());
    if let Some(r) = &u.denied_reason {
        let _ = writeln!(out, "  denied: {}", scalar(r));
    }
    if !u.reduction.is_empty() {
        out.push_str("  reduction:\n");
        for (field, sel) in &u.reduction {
            let v = match sel {
                None => NOT_REDUCED.to_string(),
                Some(v) if v.is_empty() => NO_VALUE.to_string(),
                Some(v) => list(v),
            };
            let _ = writeln!(out, "    {}: {v}", key(field));
        }
    }
    if !u.tables.is_empty() {
        out.push_str("  rows:\n");
        for (table, c) in &u.tables {
            let _ = writeln!(out, "    {}: {} / {}", key(table), c.rows, c.total_rows);
        }
    }
    if !u.omitted.is_empty() {
        let _ = writeln!(out, "  omitted: {}", list(&u.omitted));
    }
    if !u.rules.is_empty() {
        let _ = writeln!(out, "  rules: {}", list(&u.rules));
    }
    out
}

/// The snapshot as text: format [`VERSION`] with the tenant tier, else format [`VERSION_PLAIN`].
/// Byte-identical for equal snapshots.
pub fn render(s: &Snapshot) -> String {
    use rayon::prelude::*;
    let mut out = String::new();
    let version = if s.header.tenant.is_some() {
        VERSION
    } else {
        VERSION_PLAIN
    };
    let _ = writeln!(out, "{MAGIC} {version}");
    out.push_str("# who sees what, one block per user sorted by id; compare with `qsa snapshot --check` or `qsa diff`\n");
    for i in &s.header.inputs {
        let _ = writeln!(out, "{}: {}", i.kind.key(), scalar(&i.name));
    }
    if let Some(t) = &s.header.tenant {
        let _ = writeln!(out, "tenant app: {}", scalar(&t.id));
        let _ = writeln!(out, "tenant app name: {}", scalar(&t.name));
        if let Some(space) = &t.space_id {
            let _ = writeln!(out, "tenant space: {}", scalar(space));
        }
        let _ = writeln!(out, "tenant space type: {}", scalar(&t.space_type));
        if let Some(c) = &t.oauth_client {
            let _ = writeln!(out, "tenant oauth client: {}", scalar(c));
        }
    }
    let _ = writeln!(out, "target: {}", s.header.target.as_str());
    let _ = writeln!(out, "group mode: {}", s.header.group_mode.number());
    let _ = writeln!(out, "users: {}", s.users.len());
    let blocks: Vec<String> = s.users.par_iter().map(render_user).collect();
    out.reserve(blocks.iter().map(|b| b.len() + 1).sum());
    for b in blocks {
        out.push('\n');
        out.push_str(&b);
    }
    out
}

// ---------------------------------------------------------------------------------------------------
// Reading

/// Why a text is not a snapshot this qsa can read: 1-based line and column (in characters), and what was
/// expected there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.line, self.column, self.message)
    }
}

/// Whether a file's first bytes are those of a snapshot (the first line starts with `# qsa snapshot`).
pub fn is_snapshot(bytes: &[u8]) -> bool {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    bytes.starts_with(MAGIC.as_bytes())
}

/// One line being read: its number, text, and a position (byte offset) in it.
struct Cursor<'a> {
    line: usize,
    text: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(line: usize, text: &'a str, pos: usize) -> Self {
        Cursor { line, text, pos }
    }

    fn rest(&self) -> &'a str {
        self.text.get(self.pos..).unwrap_or("")
    }

    fn column(&self) -> usize {
        self.text
            .get(..self.pos)
            .map(|s| s.chars().count())
            .unwrap_or(0)
            + 1
    }

    fn err(&self, message: impl Into<String>) -> ReadError {
        ReadError {
            line: self.line,
            column: self.column(),
            message: message.into(),
        }
    }

    fn skip_spaces(&mut self) {
        let r = self.rest();
        self.pos += r.len() - r.trim_start_matches(' ').len();
    }

    fn at_end(&self) -> bool {
        self.rest().trim().is_empty()
    }

    /// A quoted value starting at `"`.
    fn quoted(&mut self) -> Result<String, ReadError> {
        let start = self.pos;
        let mut out = String::new();
        let mut chars = self.rest().char_indices().skip(1);
        while let Some((i, c)) = chars.next() {
            match c {
                '"' => {
                    self.pos = start + i + 1;
                    return Ok(out);
                }
                '\\' => {
                    let Some((j, e)) = chars.next() else { break };
                    match e {
                        '\\' => out.push('\\'),
                        '"' => out.push('"'),
                        'n' => out.push('\n'),
                        'r' => out.push('\r'),
                        't' => out.push('\t'),
                        'u' => {
                            let body = self.rest().get(j + 1..).unwrap_or("");
                            let hex = body
                                .strip_prefix('{')
                                .and_then(|b| b.split_once('}'))
                                .map(|(h, _)| h);
                            let ch = hex
                                .filter(|h| (1..=6).contains(&h.len()))
                                .and_then(|h| u32::from_str_radix(h, 16).ok())
                                .and_then(char::from_u32);
                            match (hex, ch) {
                                (Some(h), Some(ch)) => {
                                    out.push(ch);
                                    // skip `{`, the digits and `}`
                                    for _ in 0..h.len() + 2 {
                                        chars.next();
                                    }
                                }
                                _ => {
                                    self.pos = start + j - 1;
                                    return Err(self.err(
                                        "expected a character code as `\\u{hex}` (1 to 6 hex digits)",
                                    ));
                                }
                            }
                        }
                        _ => {
                            self.pos = start + j - 1;
                            return Err(self.err(format!(
                                "unknown escape `\\{e}` in a quoted value (expected one of \\\\ \\\" \\n \\r \\t \\u{{…}})"
                            )));
                        }
                    }
                }
                c => out.push(c),
            }
        }
        self.pos = self.text.len();
        Err(self.err("expected `\"` to close the quoted value before the end of the line"))
    }

    /// A key: quoted, or the text up to the first `:`. Leaves the cursor after the `:`.
    fn key(&mut self) -> Result<String, ReadError> {
        let k = if self.rest().starts_with('"') {
            self.quoted()?
        } else {
            let r = self.rest();
            let Some(end) = r.find(':') else {
                return Err(self.err("expected `KEY: VALUE` or `KEY:`"));
            };
            let k = &r[..end];
            if k.trim().is_empty() {
                return Err(self.err("expected a key before `:`"));
            }
            if k.trim_end() != k {
                self.pos += k.trim_end().len();
                return Err(self.err("expected `:` right after the key"));
            }
            self.pos += end;
            k.to_string()
        };
        if !self.rest().starts_with(':') {
            return Err(self.err("expected `:` after the key"));
        }
        self.pos += 1;
        Ok(k)
    }

    /// After `KEY:`: nothing (a section), or one space and a value.
    fn value_start(&mut self) -> Result<bool, ReadError> {
        if self.rest().trim().is_empty() {
            return Ok(false);
        }
        if !self.rest().starts_with(' ') {
            return Err(self.err("expected a space after `:`"));
        }
        self.skip_spaces();
        Ok(true)
    }

    fn expect_end(&mut self, after: &str) -> Result<(), ReadError> {
        self.skip_spaces();
        if self.at_end() {
            Ok(())
        } else {
            Err(self.err(format!("expected the end of the line after {after}")))
        }
    }

    /// A value to the end of the line: quoted, or the text as it is (trimmed).
    fn scalar(&mut self) -> Result<String, ReadError> {
        if self.rest().starts_with('"') {
            let v = self.quoted()?;
            self.expect_end("the quoted value")?;
            return Ok(v);
        }
        let v = self.rest().trim();
        if v.is_empty() {
            return Err(self.err("expected a value"));
        }
        self.pos = self.text.len();
        Ok(v.to_string())
    }

    /// Items separated by `,`: each quoted, or plain text (no `,`, not starting with `(`).
    fn list(&mut self) -> Result<Vec<String>, ReadError> {
        let mut items = vec![];
        loop {
            self.skip_spaces();
            if self.rest().starts_with('"') {
                items.push(self.quoted()?);
            } else {
                let r = self.rest();
                let end = r.find(',').unwrap_or(r.len());
                let item = r[..end].trim();
                if item.is_empty() {
                    return Err(self.err("expected a value (write an empty value as \"\")"));
                }
                if item.starts_with('(') {
                    return Err(self
                        .err("expected a value: a value that starts with `(` is written quoted"));
                }
                items.push(item.to_string());
                self.pos += end;
            }
            self.skip_spaces();
            if self.at_end() {
                return Ok(items);
            }
            if !self.rest().starts_with(',') {
                return Err(self.err("expected `,` or the end of the line"));
            }
            self.pos += 1;
        }
    }

    /// A selection: `(not reduced)`, `(none)` or a list.
    fn selection(&mut self) -> Result<Option<Vec<String>>, ReadError> {
        match self.rest().trim_end() {
            NOT_REDUCED => Ok(None),
            NO_VALUE => Ok(Some(vec![])),
            _ => self.list().map(Some),
        }
    }

    fn number(&mut self, what: &str) -> Result<usize, ReadError> {
        let r = self.rest();
        let digits = r.len() - r.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let n = r
            .get(..digits)
            .filter(|d| !d.is_empty())
            .and_then(|d| d.parse::<usize>().ok());
        match n {
            Some(n) => {
                self.pos += digits;
                Ok(n)
            }
            None => Err(self.err(format!("expected {what} (a whole number)"))),
        }
    }

    /// `yes` or `no`.
    fn yes_no(&mut self) -> Result<bool, ReadError> {
        match self.rest().trim() {
            "yes" => Ok(true),
            "no" => Ok(false),
            v => Err(self.err(format!("expected yes or no, found `{v}`"))),
        }
    }

    /// `allowed`, `no-data` or `not-allowed` (T16).
    fn export(&mut self) -> Result<Export, ReadError> {
        let v = self.rest().trim();
        export_of(v).ok_or_else(|| {
            self.err(format!(
                "expected allowed, no-data or not-allowed, found `{v}`"
            ))
        })
    }

    /// `KEPT / TOTAL`.
    fn count(&mut self) -> Result<TableCount, ReadError> {
        let start = self.pos;
        let rows = self.number("the rows kept")?;
        self.skip_spaces();
        if !self.rest().starts_with('/') {
            return Err(self.err("expected `/` between the rows kept and the total"));
        }
        self.pos += 1;
        self.skip_spaces();
        let total_rows = self.number("the total rows")?;
        self.expect_end("the total rows")?;
        if rows > total_rows {
            self.pos = start;
            return Err(self.err(format!(
                "expected rows kept ({rows}) no more than the total ({total_rows})"
            )));
        }
        Ok(TableCount { rows, total_rows })
    }
}

/// The 2-space keys of a user block, in the order they are written.
const USER_KEYS: [&str; 7] = [
    "email",
    "access",
    "denied",
    "reduction",
    "rows",
    "omitted",
    "rules",
];

/// A user block being read.
struct UserDraft {
    line: usize,
    /// The file's format version.
    version: usize,
    id: String,
    email: Option<String>,
    access: Option<Access>,
    denied: Option<String>,
    reduction: BTreeMap<String, Option<Vec<String>>>,
    tables: BTreeMap<String, TableCount>,
    omitted: Vec<String>,
    rules: Vec<String>,
    tier: TierDraft,
    /// Key → line it was given on (repeats are errors).
    seen: BTreeMap<&'static str, usize>,
    /// Entries of the section being read (`reduction`, `rows`): key → line.
    section: Option<(&'static str, BTreeMap<String, usize>)>,
}

impl UserDraft {
    fn finish(self) -> Result<UserSnapshot, ReadError> {
        let Some(access) = self.access else {
            return Err(ReadError {
                line: self.line,
                column: 1,
                message: format!(
                    "expected an `access:` line (ADMIN, USER or DENIED) in the block of user `{}`",
                    self.id
                ),
            });
        };
        // What the writer never writes is not read either: the model stays what an evaluation gives.
        let misplaced = if access == Access::Denied {
            ["reduction", "rows", "omitted"]
                .into_iter()
                .find_map(|k| self.seen.get(k).map(|line| (k, *line)))
                .map(|(k, line)| (line, format!("a DENIED user sees nothing: expected no `{k}:` in the block of user `{}`", self.id)))
        } else {
            self.seen.get("denied").map(|line| {
                (
                    *line,
                    format!(
                        "expected `denied:` only for a DENIED user (user `{}` is {})",
                        self.id,
                        access.as_str()
                    ),
                )
            })
        };
        if let Some((line, message)) = misplaced {
            return Err(ReadError {
                line,
                column: 3,
                message,
            });
        }
        let tenant = self.tier.finish(&self.id, &self.seen)?;
        if let (Some(t), Some(line)) = (&tenant, self.seen.get("section access alone")) {
            if t.section_access.is_some() && access != Access::Denied {
                return Err(ReadError {
                    line: *line,
                    column: 3,
                    message: format!("expected `section access alone:` only for a user the tenant denies (user `{}` is {})", self.id, access.as_str()),
                });
            }
        }
        Ok(UserSnapshot {
            id: self.id,
            email: self.email,
            access,
            denied_reason: self.denied,
            reduction: self.reduction,
            tables: self.tables,
            omitted: self.omitted,
            rules: self.rules,
            tenant,
        })
    }

    /// A 2-space line `KEY: VALUE` or `KEY:`.
    fn entry(&mut self, c: &mut Cursor<'_>) -> Result<(), ReadError> {
        let key_at = c.pos;
        let k = c.key()?;
        let tenant_keys: &[&'static str] = if self.version >= 2 { &TENANT_KEYS } else { &[] };
        let Some(&name) = USER_KEYS.iter().chain(tenant_keys).find(|n| **n == k) else {
            c.pos = key_at;
            let known: Vec<&str> = USER_KEYS.iter().chain(tenant_keys).copied().collect();
            return Err(c.err(format!(
                "unknown key `{k}` in the block of user `{}` (format {} has: {}); was this snapshot written by a newer qsa?",
                self.id,
                self.version,
                known.join(", ")
            )));
        };
        if let Some(first) = self.seen.insert(name, c.line) {
            c.pos = key_at;
            return Err(c.err(format!(
                "`{name}` is given twice in the block of user `{}` (first on line {first})",
                self.id
            )));
        }
        let has_value = c.value_start()?;
        self.section = None;
        match (name, has_value) {
            ("reduction" | "rows" | "roles" | "why not", true) => {
                return Err(c.err(format!(
                    "expected the end of the line after `{name}:` (its entries follow, indented by 4 spaces)"
                )))
            }
            ("reduction" | "rows" | "roles" | "why not", false) => {
                self.section = Some((name, BTreeMap::new()))
            }
            (_, false) => return Err(c.err(format!("expected a value after `{name}:`"))),
            ("status", true) => self.tier.status = Some(c.scalar()?),
            ("open", true) => self.tier.open = Some(c.yes_no()?),
            ("open via", true) => self.tier.open_via = c.list()?,
            ("export", true) => self.tier.export = Some(c.export()?),
            ("full", true) => self.tier.full = Some(c.yes_no()?),
            ("oauth open", true) => self.tier.oauth_open = Some(c.yes_no()?),
            ("oauth export", true) => self.tier.oauth_export = Some(c.export()?),
            ("oauth missing", true) => {
                self.tier.oauth_missing = Some(match c.selection()? {
                    Some(v) => v,
                    None => return Err(c.err("expected the scopes the client lacks, or (none)")),
                })
            }
            ("section access alone", true) => {
                let v = c.rest().trim();
                self.tier.section_access = Some(
                    access_of(v)
                        .ok_or_else(|| c.err(format!("expected ADMIN, USER or DENIED, found `{v}`")))?,
                );
            }
            ("email", true) => self.email = Some(c.scalar()?),
            ("denied", true) => self.denied = Some(c.scalar()?),
            ("access", true) => {
                let v = c.rest().trim();
                self.access = Some(match v {
                    "ADMIN" => Access::Admin,
                    "USER" => Access::User,
                    "DENIED" => Access::Denied,
                    _ => return Err(c.err(format!("expected ADMIN, USER or DENIED, found `{v}`"))),
                });
            }
            ("omitted", true) => self.omitted = c.list()?,
            ("rules", true) => self.rules = c.list()?,
            _ => return Err(c.err(format!("expected a value after `{name}:`"))),
        }
        Ok(())
    }

    /// A 4-space line inside `reduction:`, `rows:`, `roles:` or `why not:`.
    fn section_entry(&mut self, c: &mut Cursor<'_>) -> Result<(), ReadError> {
        let Some((section, seen)) = &mut self.section else {
            return Err(c.err(
                "expected 2 spaces of indentation (only the entries of `reduction:`, `rows:`, `roles:` and `why not:` are indented by 4)",
            ));
        };
        if *section == "why not" {
            if !c.rest().starts_with("- ") {
                return Err(c.err("expected `- ` and a route that does not open the app"));
            }
            c.pos += 2;
            c.skip_spaces();
            let w = c.scalar()?;
            self.tier.why_not.push(w);
            return Ok(());
        }
        let key_at = c.pos;
        let k = c.key()?;
        if let Some(first) = seen.insert(k.clone(), c.line) {
            c.pos = key_at;
            return Err(c.err(format!(
                "`{k}` is given twice in `{section}` of user `{}` (first on line {first})",
                self.id
            )));
        }
        if !c.value_start()? {
            return Err(c.err(format!("expected a value after `{k}:`")));
        }
        if *section == "rows" {
            let count = c.count()?;
            self.tables.insert(k, count);
        } else if *section == "roles" {
            let via = c.list()?;
            self.tier.roles.insert(k, via);
        } else {
            let sel = c.selection()?;
            self.reduction.insert(k, sel);
        }
        Ok(())
    }
}

/// The header being read.
#[derive(Default)]
struct HeaderDraft {
    /// The file's format version.
    version: usize,
    inputs: Vec<Input>,
    target: Option<Target>,
    group_mode: Option<GroupMode>,
    users: Option<(usize, usize)>,
    /// Format 2: `tenant app`, `tenant app name`, `tenant space`, `tenant space type`, `tenant oauth
    /// client`, with the line of the first.
    tenant: BTreeMap<&'static str, String>,
    tenant_line: Option<usize>,
}

const HEADER_KEYS: &str = "script, directory, groups, table, lib, target, group mode, users";
/// The header keys format 2 adds.
const TENANT_HEADER_KEYS: [&str; 6] = [
    "tenant",
    "tenant app",
    "tenant app name",
    "tenant space",
    "tenant space type",
    "tenant oauth client",
];

impl HeaderDraft {
    fn entry(&mut self, k: &str, c: &mut Cursor<'_>, key_at: usize) -> Result<(), ReadError> {
        let tenant_key = TENANT_HEADER_KEYS.contains(&k);
        let known = (tenant_key && self.version >= 2)
            || (InputKind::from_key(k).is_some() && !tenant_key)
            || matches!(k, "target" | "group mode" | "users");
        if !known {
            c.pos = key_at;
            let more = if self.version >= 2 {
                format!(", {}", TENANT_HEADER_KEYS.join(", "))
            } else {
                String::new()
            };
            return Err(c.err(format!(
                "unknown key `{k}` (format {} has: {HEADER_KEYS}{more}, then `user:` blocks); was this snapshot written by a newer qsa?",
                self.version
            )));
        }
        if let Some(&name) = TENANT_HEADER_KEYS[1..].iter().find(|n| **n == k) {
            if !c.value_start()? {
                return Err(c.err(format!("expected a value after `{k}:`")));
            }
            let v = c.scalar()?;
            if self.tenant.insert(name, v).is_some() {
                c.pos = key_at;
                return Err(c.err(format!("`{k}` is given twice in the header")));
            }
            self.tenant_line.get_or_insert(c.line);
            return Ok(());
        }
        let once = |set: bool, c: &mut Cursor<'_>| {
            if set {
                c.pos = key_at;
                Err(c.err(format!("`{k}` is given twice in the header")))
            } else {
                Ok(())
            }
        };
        if !c.value_start()? {
            return Err(c.err(format!("expected a value after `{k}:`")));
        }
        if let Some(kind) = InputKind::from_key(k) {
            let name = c.scalar()?;
            self.inputs.push(Input { kind, name });
            return Ok(());
        }
        match k {
            "target" => {
                once(self.target.is_some(), c)?;
                self.target = Some(match c.rest().trim() {
                    "cloud" => Target::Cloud,
                    "client-managed" => Target::ClientManaged,
                    v => {
                        return Err(c.err(format!("expected cloud or client-managed, found `{v}`")))
                    }
                });
            }
            "group mode" => {
                once(self.group_mode.is_some(), c)?;
                self.group_mode = Some(match c.rest().trim() {
                    "0" => GroupMode::Idp,
                    "1" => GroupMode::Custom,
                    "2" => GroupMode::Both,
                    v => return Err(c.err(format!("expected 0, 1 or 2, found `{v}`"))),
                });
            }
            "users" => {
                once(self.users.is_some(), c)?;
                let n = c.number("the number of users")?;
                c.expect_end("the number of users")?;
                self.users = Some((n, c.line));
            }
            _ => {}
        }
        Ok(())
    }

    /// The tenant app of a format 2 header; `None` for format 1.
    fn tenant_app(&self, first_user: usize) -> Result<Option<TenantApp>, ReadError> {
        if self.version < 2 {
            return Ok(None);
        }
        let line = self.tenant_line.unwrap_or(first_user);
        let need = |k: &str| ReadError {
            line,
            column: 1,
            message: format!(
                "expected `{k}: …` in the header of a format 2 snapshot (the tenant app)"
            ),
        };
        let get = |k: &str| self.tenant.get(k).cloned();
        let space_type = get("tenant space type").ok_or_else(|| need("tenant space type"))?;
        if !matches!(space_type.as_str(), "personal" | "shared" | "managed") {
            return Err(ReadError {
                line,
                column: 1,
                message: format!("expected personal, shared or managed as the tenant space type, found `{space_type}`"),
            });
        }
        Ok(Some(TenantApp {
            id: get("tenant app").ok_or_else(|| need("tenant app"))?,
            name: get("tenant app name").ok_or_else(|| need("tenant app name"))?,
            space_id: get("tenant space"),
            space_type,
            oauth_client: get("tenant oauth client"),
        }))
    }
}

/// The first line: `# qsa snapshot VERSION`; returns the version.
fn read_version(first: &str) -> Result<usize, ReadError> {
    let mut c = Cursor::new(1, first, 0);
    if !first.starts_with(MAGIC) {
        return Err(c.err(format!(
            "expected `{MAGIC} {VERSION_PLAIN}` or `{MAGIC} {VERSION}` on the first line: this is not a qsa snapshot"
        )));
    }
    c.pos = MAGIC.len();
    if !c.rest().starts_with(' ') {
        return Err(c.err("expected a space and the format version"));
    }
    c.skip_spaces();
    let at = c.pos;
    let v = c.number("the format version")?;
    c.expect_end("the format version")?;
    if !(OLDEST..=VERSION).contains(&v) {
        c.pos = at;
        let why = if v > VERSION {
            "written by a newer qsa"
        } else {
            "not a version qsa ever wrote"
        };
        return Err(c.err(format!(
            "snapshot format {v} ({why}); this qsa reads formats {OLDEST} to {VERSION}"
        )));
    }
    Ok(v)
}

/// Read a snapshot. Never panics; any text that is not a well-formed snapshot of format [`VERSION`] is
/// an error with its line and column. Users are returned sorted by id; a repeated id is an error.
pub fn read(text: &str) -> Result<Snapshot, ReadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l));
    let (_, first) = lines.next().unwrap_or((1, ""));
    let version = read_version(first)?;
    let mut header = HeaderDraft {
        version,
        ..HeaderDraft::default()
    };
    let mut users: Vec<(UserSnapshot, usize)> = vec![];
    let mut current: Option<UserDraft> = None;
    let mut last_line = 1;
    for (n, line) in lines {
        last_line = n;
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        let mut c = Cursor::new(n, line, indent);
        if line[indent..].starts_with(char::is_whitespace) {
            return Err(c.err("expected spaces for indentation (2 per level), not tabs"));
        }
        match indent {
            0 => {
                let k = c.key()?;
                if k == "user" {
                    if !c.value_start()? {
                        return Err(c.err("expected the user's id after `user:`"));
                    }
                    let id = c.scalar()?;
                    if let Some(u) = current.take() {
                        let line = u.line;
                        users.push((u.finish()?, line));
                    }
                    current = Some(UserDraft {
                        line: n,
                        version,
                        id,
                        email: None,
                        access: None,
                        denied: None,
                        reduction: BTreeMap::new(),
                        tables: BTreeMap::new(),
                        omitted: vec![],
                        rules: vec![],
                        tier: TierDraft::default(),
                        seen: BTreeMap::new(),
                        section: None,
                    });
                } else if let Some(u) = &current {
                    c.pos = 0;
                    return Err(c.err(format!(
                        "expected `user:` or a line indented by 2 spaces: `{k}` is not a key of the block of user `{}` and the header ends at the first user",
                        u.id
                    )));
                } else {
                    header.entry(&k, &mut c, 0)?;
                }
            }
            2 => match &mut current {
                Some(u) => u.entry(&mut c)?,
                None => {
                    return Err(
                        c.err("expected a header line (no indentation) before the first `user:`")
                    )
                }
            },
            4 => match &mut current {
                Some(u) => u.section_entry(&mut c)?,
                None => {
                    return Err(
                        c.err("expected a header line (no indentation) before the first `user:`")
                    )
                }
            },
            _ => return Err(c.err("expected an indentation of 0, 2 or 4 spaces")),
        }
    }
    if let Some(u) = current.take() {
        let line = u.line;
        users.push((u.finish()?, line));
    }
    let missing = |what: &str| ReadError {
        line: users.first().map(|u| u.1).unwrap_or(last_line),
        column: 1,
        message: format!("expected `{what}` in the header (before the first `user:`)"),
    };
    let target = header.target.ok_or_else(|| missing("target: …"))?;
    let group_mode = header.group_mode.ok_or_else(|| missing("group mode: …"))?;
    let (count, count_line) = header.users.ok_or_else(|| missing("users: N"))?;
    if count != users.len() {
        return Err(ReadError {
            line: count_line,
            column: 8,
            message: format!(
                "the header says {count} users but the file has {} user blocks (a truncated or hand-edited snapshot?)",
                users.len()
            ),
        });
    }
    let tenant = header.tenant_app(users.first().map(|u| u.1).unwrap_or(last_line))?;
    // Format 2: every user has the tenant tier; format 1: none (its keys are unknown there).
    if let Some((u, line)) = users
        .iter()
        .find(|(u, _)| tenant.is_some() && u.tenant.is_none())
    {
        return Err(ReadError {
            line: *line,
            column: 1,
            message: format!(
                "expected the tenant tier (status, open, roles, export, full) in the block of user `{}`: a format 2 snapshot gives it for every user",
                u.id
            ),
        });
    }
    users.sort_by(|a, b| a.0.id.cmp(&b.0.id));
    for w in users.windows(2) {
        if let [(a, la), (b, lb)] = w {
            if a.id == b.id {
                let (first, second) = ((*la).min(*lb), (*la).max(*lb));
                return Err(ReadError {
                    line: second,
                    column: 7,
                    message: format!(
                        "user `{}` has a second block (the first is on line {first})",
                        b.id
                    ),
                });
            }
        }
    }
    Ok(Snapshot {
        header: Header {
            inputs: header.inputs,
            target,
            group_mode,
            tenant,
        },
        users: users.into_iter().map(|(u, _)| u).collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn user(id: &str) -> UserSnapshot {
        UserSnapshot {
            id: id.into(),
            email: Some(format!("{id}@example.org")),
            access: Access::User,
            denied_reason: None,
            reduction: BTreeMap::from([
                ("REGION".into(), Some(vec!["EU".into(), "US".into()])),
                ("PRODUCT".into(), None),
            ]),
            tables: BTreeMap::from([(
                "Sales".into(),
                TableCount {
                    rows: 3,
                    total_rows: 8,
                },
            )]),
            omitted: vec!["MARGIN".into()],
            rules: vec!["L2".into()],
            tenant: None,
        }
    }

    fn snapshot(users: Vec<UserSnapshot>) -> Snapshot {
        Snapshot {
            header: Header {
                inputs: vec![
                    Input {
                        kind: InputKind::Script,
                        name: "sales.qvs".into(),
                    },
                    Input {
                        kind: InputKind::Directory,
                        name: "users.json".into(),
                    },
                ],
                target: Target::Cloud,
                group_mode: GroupMode::Both,
                tenant: None,
            },
            users,
        }
    }

    #[test]
    fn the_format_reads_as_documented() {
        let mut denied = user("b");
        denied.access = Access::Denied;
        denied.denied_reason = Some("not listed: no row".into());
        denied.reduction.clear();
        denied.tables.clear();
        denied.omitted.clear();
        denied.email = None;
        let s = snapshot(vec![user("a"), denied]);
        let text = render(&s);
        assert_eq!(
            text,
            "# qsa snapshot 1
# who sees what, one block per user sorted by id; compare with `qsa snapshot --check` or `qsa diff`
script: sales.qvs
directory: users.json
target: cloud
group mode: 2
users: 2

user: a
  email: a@example.org
  access: USER
  reduction:
    PRODUCT: (not reduced)
    REGION: EU, US
  rows:
    Sales: 3 / 8
  omitted: MARGIN
  rules: L2

user: b
  access: DENIED
  denied: not listed: no row
  rules: L2
"
        );
        assert_eq!(read(&text), Ok(s));
    }

    #[test]
    fn awkward_values_are_quoted_and_read_back() {
        let mut u = user("  id: with, \"all\"\n of it ");
        u.email = Some(String::new());
        u.reduction = BTreeMap::from([
            (
                "a:b".into(),
                Some(vec![
                    "x, y".into(),
                    "".into(),
                    " lead".into(),
                    "(none)".into(),
                    "tab\there".into(),
                    "bell\u{7}".into(),
                    "back\\slash".into(),
                    "ünï".into(),
                ]),
            ),
            ("EMPTY".into(), Some(vec![])),
            ("\"q\"".into(), Some(vec!["(not reduced)".into()])),
        ]);
        u.tables = BTreeMap::from([(
            "Sales: 2024".into(),
            TableCount {
                rows: 0,
                total_rows: 0,
            },
        )]);
        u.omitted = vec!["a,b".into(), "c:d".into()];
        let s = snapshot(vec![u]);
        let text = render(&s);
        assert!(text.contains("    \"a:b\": \"x, y\", \"\", \" lead\", \"(none)\", \"tab\\there\", \"bell\\u{7}\", back\\slash, ünï\n"), "{text}");
        assert!(text.contains("    EMPTY: (none)\n"), "{text}");
        assert!(text.contains("  omitted: \"a,b\", c:d\n"), "{text}");
        assert!(text.contains("  email: \"\"\n"), "{text}");
        assert_eq!(read(&text), Ok(s));
    }

    #[test]
    fn windows_line_endings_and_a_bom_are_read() {
        let s = snapshot(vec![user("a")]);
        let text = format!("\u{feff}{}", render(&s).replace('\n', "\r\n"));
        assert_eq!(read(&text), Ok(s));
    }

    fn err(text: &str) -> (usize, usize, String) {
        match read(text) {
            Ok(s) => panic!("read a malformed snapshot: {s:?}"),
            Err(e) => (e.line, e.column, e.message),
        }
    }

    const HEAD: &str = "# qsa snapshot 1\ntarget: cloud\ngroup mode: 0\nusers: 1\n\n";

    /// (text, line, column, part of the message)
    #[rustfmt::skip]
    const WHOLE: &[(&str, usize, usize, &str)] = &[
        ("", 1, 1, "expected `# qsa snapshot 1`"),
        ("LOAD * INLINE [a];", 1, 1, "not a qsa snapshot"),
        ("# qsa snapshot 3\n", 1, 16, "written by a newer qsa"),
        ("# qsa snapshot x\n", 1, 16, "expected the format version"),
        ("# qsa snapshot 1\ntarget: moon\n", 2, 9, "expected cloud or client-managed"),
        ("# qsa snapshot 1\nroles: x\n", 2, 1, "unknown key `roles`"),
        ("# qsa snapshot 1\ntarget cloud\n", 2, 1, "expected `KEY: VALUE`"),
        ("# qsa snapshot 1\n  access: USER\n", 2, 3, "before the first `user:`"),
        // a missing header line is reported at the end of the file
        ("# qsa snapshot 1\ntarget: cloud\ngroup mode: 0\n", 4, 1, "expected `users: N`"),
        ("# qsa snapshot 1\ntarget: cloud\ntarget: cloud\n", 3, 1, "`target` is given twice"),
    ];

    /// (user block after [`HEAD`], line, column, part of the message)
    #[rustfmt::skip]
    const IN_USER: &[(&str, usize, usize, &str)] = &[
        ("user: a\n  access: MAYBE\n", 7, 11, "expected ADMIN, USER or DENIED"),
        ("user: a\n  roles: admin\n", 7, 3, "unknown key `roles` in the block of user `a`"),
        ("user: a\n  access: USER\n  access: USER\n", 8, 3, "given twice"),
        ("user: a\n  email: x\n", 6, 1, "expected an `access:` line"),
        ("user: a\n  access: USER\n  rows:\n    Sales: 9 / 8\n", 9, 12, "no more than the total"),
        ("user: a\n  access: USER\n  rows:\n    Sales: 1 of 8\n", 9, 14, "expected `/`"),
        ("user: a\n  access: USER\n  rows:\n    Sales: 1 / \n", 9, 16, "the total rows"),
        ("user: a\n  access: USER\n    REGION: EU\n", 8, 5, "only the entries of"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: EU,\n", 9, 16, "expected a value"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: (all)\n", 9, 13, "starts with `(`"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: \"EU\n", 9, 16, "to close the quoted"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: \"E\\qU\"\n", 9, 15, "unknown escape `\\q`"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: \"\\u{zz}\"\n", 9, 14, "\\u{hex}"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: \"EU\" x\n", 9, 18, "expected `,` or the end"),
        ("user: a\n  access: USER\n  reduction:\n    REGION: EU\n    REGION: US\n", 10, 5, "`REGION` is given twice in `reduction`"),
        ("user: a\n  access: USER\n  reduction: EU\n", 8, 14, "indented by 4 spaces"),
        ("user: a\n  access: USER\n   rules: L2\n", 8, 4, "indentation of 0, 2 or 4"),
        ("user: a\n\taccess: USER\n", 7, 1, "not tabs"),
        ("user: a\n  access: USER\nusers: 2\n", 8, 1, "the header ends at the first user"),
        ("user: a\n  access: USER\nuser: b\n  access: USER\n", 4, 8, "the header says 1 users but the file has 2"),
        ("user:\n", 6, 6, "expected the user's id"),
        ("user: a\n  access: USER\n  denied: no\n", 8, 3, "expected `denied:` only for a DENIED user"),
        ("user: a\n  access: DENIED\n  rows:\n    Sales: 0 / 8\n", 8, 3, "a DENIED user sees nothing: expected no `rows:`"),
    ];

    #[test]
    fn malformed_snapshots_are_located() {
        let cases = WHOLE
            .iter()
            .map(|(t, l, c, m)| (t.to_string(), *l, *c, *m))
            .chain(
                IN_USER
                    .iter()
                    .map(|(t, l, c, m)| (format!("{HEAD}{t}"), *l, *c, *m)),
            );
        for (text, line, col, msg) in cases {
            let (l, c, m) = err(&text);
            assert_eq!((l, c), (line, col), "{text:?}: {m}");
            assert!(m.contains(msg), "{text:?}: {m}");
        }
        let twice = "# qsa snapshot 1\ntarget: cloud\ngroup mode: 0\nusers: 2\nuser: a\n  access: USER\nuser: a\n  access: USER\n";
        let (l, _, m) = err(twice);
        assert_eq!(l, 7, "{m}");
        assert!(m.contains("second block (the first is on line 5)"), "{m}");
    }

    fn text_strategy() -> impl Strategy<Value = String> {
        prop_oneof![
            "[A-Za-z0-9|@._-]{1,8}",
            any::<String>(),
            prop::sample::select(vec![
                "",
                " ",
                "(none)",
                "(not reduced)",
                "a, b",
                "a:b",
                "\"",
                "\\",
                "\n",
                " x ",
                "#x",
                "\u{feff}",
                "\u{2028}",
                "\u{a0}x",
            ])
            .prop_map(String::from),
        ]
    }

    fn user_strategy() -> impl Strategy<Value = UserSnapshot> {
        let access = prop::sample::select(vec![Access::Admin, Access::User, Access::Denied]);
        let selection = prop::option::of(prop::collection::vec(text_strategy(), 0..4));
        let count = (0usize..1000, 0usize..1000).prop_map(|(a, b)| TableCount {
            rows: a.min(b),
            total_rows: a.max(b),
        });
        (
            text_strategy(),
            prop::option::of(text_strategy()),
            access,
            prop::option::of(text_strategy()),
            prop::collection::btree_map(text_strategy(), selection, 0..3),
            prop::collection::btree_map(text_strategy(), count, 0..3),
            prop::collection::vec(text_strategy(), 0..3),
            prop::collection::vec(text_strategy(), 0..3),
        )
            .prop_map(
                |(id, email, access, denied_reason, reduction, tables, omitted, rules)| {
                    // as an evaluation gives them: a DENIED user has a reason and sees nothing
                    let denied = access == Access::Denied;
                    let (denied_reason, reduction, tables, omitted) = if denied {
                        (denied_reason, BTreeMap::new(), BTreeMap::new(), vec![])
                    } else {
                        (None, reduction, tables, omitted)
                    };
                    UserSnapshot {
                        id,
                        email,
                        access,
                        denied_reason,
                        reduction,
                        tables,
                        omitted,
                        rules,
                        tenant: None,
                    }
                },
            )
    }

    fn tier_strategy() -> impl Strategy<Value = TenantTier> {
        let export =
            prop::sample::select(vec![Export::Allowed, Export::NoData, Export::NotAllowed]);
        let oauth = prop::option::of(
            (
                any::<bool>(),
                export.clone(),
                prop::collection::vec(text_strategy(), 0..3),
            )
                .prop_map(|(open, export, missing)| OAuthTier {
                    open,
                    export,
                    missing,
                }),
        );
        (
            text_strategy(),
            any::<bool>(),
            prop::collection::vec(text_strategy(), 1..3),
            prop::collection::vec(text_strategy(), 0..3),
            prop::collection::btree_map(
                text_strategy(),
                prop::collection::vec(text_strategy(), 1..3),
                0..3,
            ),
            export,
            any::<bool>(),
            oauth,
        )
            .prop_map(|(status, open, via, why_not, roles, export, full, oauth)| {
                TenantTier {
                    status,
                    open,
                    open_via: if open { via } else { vec![] },
                    why_not: if open { vec![] } else { why_not },
                    roles,
                    export,
                    full,
                    oauth,
                    section_access: None,
                }
            })
    }

    /// A format 2 snapshot: the tenant app, and a tier for every user (Section Access alone for a DENIED
    /// one, as when the tenant denies them).
    fn tenant_snapshot(
        users: Vec<(UserSnapshot, TenantTier)>,
        app: (String, String, Option<String>, usize, Option<String>),
    ) -> Snapshot {
        let mut users: Vec<UserSnapshot> = users
            .into_iter()
            .map(|(mut u, mut t)| {
                if u.access == Access::Denied {
                    t.section_access = Some(Access::Admin);
                }
                u.tenant = Some(t);
                u
            })
            .collect();
        users.sort_by(|a, b| a.id.cmp(&b.id));
        users.dedup_by(|a, b| a.id == b.id);
        let (id, name, space_id, kind, oauth_client) = app;
        Snapshot {
            header: Header {
                inputs: vec![Input {
                    kind: InputKind::Tenant,
                    name: "tenant".into(),
                }],
                target: Target::Cloud,
                group_mode: GroupMode::Idp,
                tenant: Some(TenantApp {
                    id,
                    name,
                    space_id,
                    space_type: ["personal", "shared", "managed"][kind % 3].into(),
                    oauth_client,
                }),
            },
            users,
        }
    }

    #[test]
    fn the_tenant_tier_reads_as_documented() {
        let mut cy = user("cy");
        cy.access = Access::Denied;
        cy.denied_reason = Some("tenant: cannot open the app".into());
        cy.reduction.clear();
        cy.tables.clear();
        cy.omitted.clear();
        let tier = TenantTier {
            status: "active".into(),
            open: false,
            open_via: vec![],
            why_not: vec![
                "no share of the app with the user, their groups (A, B) or Everyone (T14)".into(),
            ],
            roles: BTreeMap::from([("TenantAdmin".into(), vec!["direct".into()])]),
            export: Export::NotAllowed,
            full: true,
            oauth: Some(OAuthTier {
                open: false,
                export: Export::NotAllowed,
                missing: vec![],
            }),
            section_access: None,
        };
        let s = tenant_snapshot(
            vec![(cy, tier)],
            (
                "b0d9".into(),
                "Budget: 2026".into(),
                Some("66f0".into()),
                2,
                Some("bot".into()),
            ),
        );
        let text = render(&s);
        assert_eq!(
            text,
            "# qsa snapshot 2
# who sees what, one block per user sorted by id; compare with `qsa snapshot --check` or `qsa diff`
tenant: tenant
tenant app: b0d9
tenant app name: Budget: 2026
tenant space: 66f0
tenant space type: managed
tenant oauth client: bot
target: cloud
group mode: 0
users: 1

user: cy
  email: cy@example.org
  status: active
  open: no
  why not:
    - no share of the app with the user, their groups (A, B) or Everyone (T14)
  roles:
    TenantAdmin: direct
  export: not-allowed
  full: yes
  oauth open: no
  oauth export: not-allowed
  oauth missing: (none)
  section access alone: ADMIN
  access: DENIED
  denied: tenant: cannot open the app
  rules: L2
"
        );
        assert_eq!(read(&text), Ok(s));
    }

    #[test]
    fn malformed_tenant_tiers_are_located() {
        let head = "# qsa snapshot 2\ntenant app: a\ntenant app name: A\ntenant space type: shared\ntarget: cloud\ngroup mode: 0\nusers: 1\n\nuser: u\n";
        let tier = "  status: active\n  open: yes\n  open via: owner\n  roles:\n    UserDefault: default\n  export: allowed\n  full: no\n";
        let ok = format!("{head}{tier}  access: USER\n");
        assert!(read(&ok).is_ok(), "{:?}", read(&ok));
        let cases: Vec<(String, usize, usize, &str)> = vec![
            // format 1 has no tenant keys
            (
                ok.replace("snapshot 2", "snapshot 1").replace(
                    "tenant app: a\ntenant app name: A\ntenant space type: shared\n",
                    "",
                ),
                7,
                3,
                "unknown key `status`",
            ),
            (
                ok.replace("snapshot 2", "snapshot 1"),
                2,
                1,
                "unknown key `tenant app`",
            ),
            // format 2: the app and every user's tier
            (
                ok.replace("tenant app name: A\n", ""),
                2,
                1,
                "expected `tenant app name: …`",
            ),
            (
                ok.replace("shared", "data"),
                2,
                1,
                "expected personal, shared or managed",
            ),
            (
                format!("{head}  access: USER\n"),
                9,
                1,
                "expected the tenant tier",
            ),
            (ok.replace("  full: no\n", ""), 10, 3, "expected `full:`"),
            (
                ok.replace("  open: yes\n", "  open: maybe\n"),
                11,
                9,
                "expected yes or no",
            ),
            (
                ok.replace("  export: allowed", "  export: all"),
                15,
                11,
                "expected allowed, no-data or not-allowed",
            ),
            (
                ok.replace("  open: yes\n  open via: owner\n", "  open: yes\n"),
                11,
                3,
                "expected `open via:` after `open: yes`",
            ),
            (
                ok.replace(
                    "  open via: owner\n",
                    "  open via: owner\n  why not:\n    - x\n",
                ),
                13,
                3,
                "expected no `why not:`",
            ),
            (
                ok.replace("  open via: owner\n", "  why not:\n    x\n"),
                13,
                5,
                "expected `- `",
            ),
            (
                ok.replace("  full: no\n", "  full: no\n  oauth open: yes\n"),
                17,
                3,
                "expected all of `oauth open:`",
            ),
            (
                ok.replace("  full: no\n", "  full: no\n  section access alone: USER\n"),
                17,
                3,
                "only for a user the tenant denies",
            ),
        ];
        let wrong: Vec<String> = cases
            .into_iter()
            .filter_map(|(text, line, column, message)| match read(&text) {
                Ok(_) => Some(format!("read: {text}")),
                Err(e) if e.message.contains(message) && (e.line, e.column) == (line, column) => {
                    None
                }
                Err(e) => Some(format!("{message} at {line}:{column}: got {e}")),
            })
            .collect();
        assert!(wrong.is_empty(), "{wrong:#?}");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Format 2: render → read gives the same model, the tenant tier included.
        #[test]
        fn render_then_read_is_the_same_tenant_snapshot(
            users in prop::collection::vec((user_strategy(), tier_strategy()), 0..4),
            app in (text_strategy(), text_strategy(), prop::option::of(text_strategy()), 0usize..3, prop::option::of(text_strategy())),
        ) {
            let s = tenant_snapshot(users, app);
            let text = render(&s);
            prop_assert!(text.starts_with("# qsa snapshot 2\n"));
            prop_assert_eq!(read(&text), Ok(s.clone()));
            prop_assert_eq!(render(&s), text);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// render → read gives the same model, whatever the values hold.
        #[test]
        fn render_then_read_is_the_same_snapshot(
            users in prop::collection::vec(user_strategy(), 0..4),
            inputs in prop::collection::vec((0usize..5, text_strategy()), 0..3),
            target in prop::sample::select(vec![Target::Cloud, Target::ClientManaged]),
            mode in prop::sample::select(vec![GroupMode::Idp, GroupMode::Custom, GroupMode::Both]),
        ) {
            let mut users = users;
            users.sort_by(|a, b| a.id.cmp(&b.id));
            users.dedup_by(|a, b| a.id == b.id);
            let s = Snapshot {
                header: Header {
                    inputs: inputs
                        .into_iter()
                        .map(|(k, name)| Input { kind: InputKind::ALL[k], name })
                        .collect(),
                    target,
                    group_mode: mode,
                    tenant: None,
                },
                users,
            };
            let text = render(&s);
            prop_assert_eq!(read(&text), Ok(s.clone()));
            // and the text is stable: rendering what was read gives the same bytes
            prop_assert_eq!(render(&s), text);
        }

        /// The reader never panics, on any text and on any edit of a real snapshot.
        #[test]
        fn the_reader_never_panics(text in any::<String>(), at in any::<usize>(), cut in any::<usize>(), insert in any::<String>()) {
            let _ = read(&text);
            let _ = read(&format!("{MAGIC} 1\n{text}"));
            let _ = read(&format!("{MAGIC} 2\n{text}"));
            let tier = TenantTier {
                status: "active".into(),
                open: false,
                open_via: vec![],
                why_not: vec!["no share (T14)".into()],
                roles: BTreeMap::from([("UserDefault".into(), vec!["default".into()])]),
                export: Export::NoData,
                full: false,
                oauth: Some(OAuthTier { open: true, export: Export::Allowed, missing: vec!["x".into()] }),
                section_access: None,
            };
            let app = ("app".into(), "A".into(), Some("s".into()), 1, Some("c".into()));
            for real in [
                render(&snapshot(vec![user("a"), user("b, c")])),
                render(&tenant_snapshot(vec![(user("a"), tier.clone()), (user("b"), tier)], app)),
            ] {
                let mut at = at % (real.len() + 1);
                while !real.is_char_boundary(at) { at -= 1; }
                let mut end = (at + cut % 8).min(real.len());
                while !real.is_char_boundary(end) { end -= 1; }
                let edited = format!("{}{}{}", &real[..at], insert, &real[end.max(at)..]);
                let _ = read(&edited);
            }
        }
    }
}
