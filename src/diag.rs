//! Diagnostics as data.
//!
//! Every stage (syntax, script, access, reduce) reports problems as [`Diagnostic`] values collected in a
//! `Vec`, never by printing and never by returning early on the first problem. A diagnostic carries a code
//! (`QSA…`), a severity, a message, one primary label and any number of secondary labels (each a byte span
//! in a [`SourceId`]), optional help, and the rule ids of `section-access.md` it depends on.
//!
//! Rendering lives in `report` (human, via miette, and JSON/SARIF/GitHub). Nothing here prints.

use serde::Serialize;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// A byte range into one source text.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span {
            start,
            end: end.max(start),
        }
    }
    pub fn empty(at: usize) -> Self {
        Span { start: at, end: at }
    }
    pub fn len(&self) -> usize {
        self.end - self.start
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
    /// Shift by `offset` bytes (for spans taken inside a sub-slice).
    pub fn offset(self, offset: usize) -> Span {
        Span::new(self.start + offset, self.end + offset)
    }
    pub fn range(&self) -> Range<usize> {
        self.start..self.end
    }
    /// The span of `part`, a sub-slice of `whole` (jaq's trick: spans from slices).
    /// Returns an empty span at 0 when `part` is not inside `whole`.
    pub fn of_slice(whole: &str, part: &str) -> Span {
        let w = whole.as_ptr() as usize;
        let p = part.as_ptr() as usize;
        if p < w || p + part.len() > w + whole.len() {
            return Span::empty(0);
        }
        Span::new(p - w, p - w + part.len())
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(r.start, r.end)
    }
}

/// Identifies one source text in a [`SourceMap`]. Index into `SourceMap::files`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct SourceId(pub u32);

/// One loaded source text: a script file, an included file, or the text a `$(…)` expansion produced.
#[derive(Clone, Debug)]
pub struct SourceFile {
    /// The name shown to the user (the path as given, or `<expansion of …>`).
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: Arc<str>,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
    /// For text produced by expanding a statement: where that statement sits in its parent source.
    pub expanded_from: Option<(SourceId, Span)>,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let line_starts = std::iter::once(0)
            .chain(memchr::memchr_iter(b'\n', text.as_bytes()).map(|i| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts,
            expanded_from: None,
        }
    }

    /// 1-based line and column (column counted in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    /// The text of 1-based line `line`, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        if line == 0 || line > self.line_starts.len() {
            return "";
        }
        let start = self.line_starts[line - 1];
        let end = self
            .line_starts
            .get(line)
            .copied()
            .unwrap_or(self.text.len());
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }

    /// The `///$tab` name in force at `offset`, if the script uses tabs.
    pub fn tab_at(&self, offset: usize) -> Option<String> {
        let mut tab = None;
        for (i, line) in self.text[..offset.min(self.text.len())]
            .split('\n')
            .enumerate()
        {
            let _ = i;
            let t = line.trim_start();
            if let Some(rest) = t.strip_prefix("///$tab") {
                tab = Some(rest.trim().to_string());
            }
        }
        tab
    }
}

/// All sources of one run. Diagnostics refer to sources by [`SourceId`].
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    pub files: Vec<SourceFile>,
}

impl SourceMap {
    pub fn add(&mut self, file: SourceFile) -> SourceId {
        self.files.push(file);
        SourceId((self.files.len() - 1) as u32)
    }
    pub fn get(&self, id: SourceId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }
    /// Load a file from disk. An unreadable file is reported by the caller (exit code 2).
    pub fn load(&mut self, path: &Path) -> std::io::Result<SourceId> {
        self.load_as(path, None)
    }
    /// [`SourceMap::load`] with the script encoding of `--encoding` ([`decode_script_bytes_as`]).
    pub fn load_as(
        &mut self,
        path: &Path,
        encoding: Option<&'static encoding_rs::Encoding>,
    ) -> std::io::Result<SourceId> {
        let bytes = std::fs::read(path)?;
        let text = decode_script_bytes_as(&bytes, encoding);
        Ok(self.add(SourceFile::new(
            path.display().to_string(),
            Some(path.to_path_buf()),
            text,
        )))
    }
    /// Move all files of `other` into this map, and return the function that maps `other`'s ids to ids
    /// here (to apply to diagnostics that refer to `other`).
    pub fn absorb(&mut self, other: SourceMap) -> impl Fn(SourceId) -> SourceId {
        let base = self.files.len() as u32;
        for mut f in other.files {
            if let Some((id, span)) = f.expanded_from {
                f.expanded_from = Some((SourceId(id.0 + base), span));
            }
            self.files.push(f);
        }
        move |id: SourceId| SourceId(id.0 + base)
    }

    /// Follow expansion parents to the outermost real file location: the place a user can open.
    pub fn origin(&self, id: SourceId, span: Span) -> (SourceId, Span) {
        let mut cur = (id, span);
        let mut guard = 0;
        while let Some(f) = self.get(cur.0) {
            match f.expanded_from {
                Some(parent) if guard < 64 => {
                    cur = parent;
                    guard += 1;
                }
                _ => break,
            }
        }
        cur
    }
}

/// Decode a script file with no encoding named: a byte-order mark decides (UTF-8, UTF-16 LE or BE);
/// without one, bytes that are valid UTF-8 are UTF-8, anything else is Windows-1252 (QlikView saved
/// scripts as ANSI).
pub fn decode_script_bytes(bytes: &[u8]) -> String {
    decode_script_bytes_as(bytes, None)
}

/// Decode a script file read with `--encoding` (`Some`): a byte-order mark still wins, else the bytes
/// are read in that encoding. `None` is [`decode_script_bytes`]. Undecodable bytes become U+FFFD.
pub fn decode_script_bytes_as(
    bytes: &[u8],
    encoding: Option<&'static encoding_rs::Encoding>,
) -> String {
    if let Some((bom, len)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = bytes.get(len..).unwrap_or_default();
        return bom.decode_without_bom_handling(body).0.into_owned();
    }
    if let Some(enc) = encoding {
        return enc.decode_without_bom_handling(bytes).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

/// The encoding an `--encoding` label names (an `encoding_rs`/WHATWG label such as `windows-1251`,
/// `cp1251`, `utf-16le`), or a message for an unknown label.
pub fn script_encoding(label: &str) -> Result<&'static encoding_rs::Encoding, String> {
    match encoding_rs::Encoding::for_label(label.trim().as_bytes()) {
        Some(e) if e != encoding_rs::REPLACEMENT => Ok(e),
        _ => Err(format!(
            "--encoding: unknown encoding `{label}` (use a label such as utf-8, windows-1252, windows-1251, utf-16le)"
        )),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A labelled location.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label {
    pub source: SourceId,
    pub span: Span,
    /// Text shown at the location ("granted ADMIN here"); may be empty.
    pub message: String,
}

impl Label {
    pub fn new(source: SourceId, span: Span, message: impl Into<String>) -> Self {
        Label {
            source,
            span,
            message: clip_message(message.into()),
        }
    }
}

/// A message never carries a dump of the input: a run of more than [`MAX_WORD`] characters without
/// whitespace (a 10 MB line quoted by a parser) is cut to its start, and the whole message to
/// [`MAX_MESSAGE`] characters.
fn clip_message(message: String) -> String {
    const MAX_WORD: usize = 200;
    const MAX_MESSAGE: usize = 4000;
    if message.len() <= MAX_WORD {
        return message;
    }
    let mut out = String::new();
    for seg in message.split_inclusive(char::is_whitespace) {
        let n = seg.chars().count();
        if n > MAX_WORD {
            out.extend(seg.chars().take(MAX_WORD / 2));
            out.push_str(&format!("… ({} more characters)", n - MAX_WORD / 2));
            if seg.ends_with(char::is_whitespace) {
                out.extend(seg.chars().last());
            }
        } else {
            out.push_str(seg);
        }
        if out.len() > MAX_MESSAGE {
            let mut cut = MAX_MESSAGE;
            while !out.is_char_boundary(cut) {
                cut -= 1;
            }
            out.truncate(cut);
            out.push('…');
            break;
        }
    }
    out
}

/// One finding. Build with [`Diagnostic::error`] / [`Diagnostic::warning`] / [`Diagnostic::info`] and the
/// `with_*` methods.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Diagnostic {
    /// Stable code, e.g. `QSA101`. The catalogue is in [`codes`].
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where; `None` for findings about the whole run (a missing directory file, say).
    pub primary: Option<Label>,
    pub secondary: Vec<Label>,
    pub help: Option<String>,
    /// Rule ids of section-access.md this finding is about (e.g. `["A2"]`).
    pub rules: Vec<&'static str>,
}

impl Diagnostic {
    pub fn new(code: &'static str, severity: Severity, message: impl Into<String>) -> Self {
        Diagnostic {
            code,
            severity,
            message: clip_message(message.into()),
            primary: None,
            secondary: Vec::new(),
            help: None,
            rules: Vec::new(),
        }
    }
    pub fn error(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Error, message)
    }
    pub fn warning(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Warning, message)
    }
    pub fn info(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(code, Severity::Info, message)
    }
    pub fn at(mut self, source: SourceId, span: Span, label: impl Into<String>) -> Self {
        self.primary = Some(Label::new(source, span, label));
        self
    }
    pub fn with_secondary(
        mut self,
        source: SourceId,
        span: Span,
        label: impl Into<String>,
    ) -> Self {
        self.secondary.push(Label::new(source, span, label));
        self
    }
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
    pub fn with_rule(mut self, rule: &'static str) -> Self {
        if !self.rules.contains(&rule) {
            self.rules.push(rule);
        }
        self
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
    /// Re-point every label with `map` (after [`SourceMap::absorb`]).
    pub fn remap_sources(&mut self, map: &impl Fn(SourceId) -> SourceId) {
        for l in self.primary.iter_mut().chain(self.secondary.iter_mut()) {
            l.source = map(l.source);
        }
    }
}

/// Sort diagnostics into a deterministic order: by file, position, code, message.
pub fn sort_diagnostics(diags: &mut [Diagnostic]) {
    diags.sort_by(|a, b| {
        let ka = a.primary.as_ref().map(|l| (l.source, l.span));
        let kb = b.primary.as_ref().map(|l| (l.source, l.span));
        ka.cmp(&kb)
            .then_with(|| a.code.cmp(b.code))
            .then_with(|| a.message.cmp(&b.message))
    });
}

/// The diagnostic catalogue: one constant per code. Codes are grouped by stage:
/// `QSA0xx` syntax, `QSA1xx` script running, `QSA2xx` security model, `QSA3xx` reduction and users,
/// `QSA4xx` inputs (directory, data files; `QSA42x` tenant exports), `QSA43x` the tenant tier and Section
/// Access disagreeing.
pub mod codes {
    // --- syntax (QSA0xx)
    /// A statement that does not parse. Parsing resumes at the next statement boundary.
    pub const SYNTAX: &str = "QSA001";
    /// An unterminated string, bracketed name, comment or INLINE block.
    pub const UNTERMINATED: &str = "QSA002";
    /// A control block (IF/FOR/DO/SUB/SWITCH) without its end, or an end without its start.
    pub const UNBALANCED_BLOCK: &str = "QSA003";
    /// A statement the parser recognises but qsa does not support.
    pub const UNSUPPORTED_STATEMENT: &str = "QSA004";
    /// Nesting deeper than the parser allows.
    pub const TOO_DEEP: &str = "QSA005";

    // --- script running (QSA1xx)
    /// `$(name)` of a variable that is not defined: Qlik expands it to nothing (rule S6). A warning when
    /// the statement loads, drops, renames or sets something; info elsewhere.
    pub const UNDEFINED_VARIABLE: &str = "QSA101";
    /// `$(must_include=…)` whose file cannot be read (error: Qlik stops) — rule S6. A `$(include=…)`
    /// qsa cannot read is QSA116: Qlik skips it silently, but where the app reloads it may exist.
    pub const INCLUDE_MISSING: &str = "QSA102";
    /// `CALL` of a SUB that has not been defined when the CALL runs (error).
    pub const UNKNOWN_SUB: &str = "QSA103";
    /// The loop guard (`--max-iterations`) tripped, a `FOR … STEP 0`, a runaway AUTOGENERATE, WHILE
    /// or SubField() row generation, or the rows the whole run processed (`--max-rows-processed`): the
    /// run stops (error) instead of hanging.
    pub const ITERATION_LIMIT: &str = "QSA104";
    /// CALLs or includes nested too deep (a sub calling itself, a file including itself): the run stops
    /// (error). `$(…)` expansions nested too deep are QSA114.
    pub const RECURSION_LIMIT: &str = "QSA105";
    /// An expression that cannot be evaluated: a missing field, a missing mapping table, a function
    /// called with the wrong arguments, or a control condition qsa cannot compute (error; for LET a
    /// warning, and the variable is marked uncertain).
    pub const EXPRESSION: &str = "QSA106";
    /// A load source that cannot be read: a missing or unreadable file, an unmapped `lib://`, an
    /// `SQL SELECT` without `--table`. Error when the table feeds Section Access, holds a reduction field
    /// or links to a table that does (fail closed); warning elsewhere.
    pub const SOURCE_MISSING: &str = "QSA107";
    /// A load qsa cannot run faithfully: something it does not implement (a prefix such as
    /// `Generic`/`Hierarchy`/`IntervalMatch`, a function, a source type, a statement it does not model),
    /// or a load that reads a variable the script never sets or a file read after `EXECUTE`: error when
    /// it feeds Section Access or a table linked to a reduction field (fail closed), warning elsewhere.
    pub const UNSUPPORTED_LOAD: &str = "QSA108";
    /// `BINARY`: qsa cannot read a QVF/QVW, so the data model and Section Access it brings are unknown
    /// (error).
    pub const BINARY: &str = "QSA109";
    /// A table or field named by RESIDENT, DROP, RENAME, STORE, Join/Keep/Concatenate that does not exist
    /// (error: Qlik stops the reload).
    pub const TABLE_NOT_FOUND: &str = "QSA110";
    /// A security-table value from a non-INLINE source (file, RESIDENT, SQL) with lower-case letters:
    /// only INLINE loads upper-case values in Section Access (S4). Identities are compared upper-cased,
    /// so such an identity never matches (I3); such an ACCESS value is invalid (L1); a reduction value
    /// selects only app values written in the same case (R2). Warning.
    pub const LOWERCASE_SECURITY_VALUE: &str = "QSA111";
    /// A security-table value containing a tab or a non-breaking space: Qlik trims only ASCII spaces,
    /// so the value does not match what it looks like (warning; rule S5).
    pub const INVISIBLE_WHITESPACE: &str = "QSA112";
    /// `STORE`: qsa never writes files; the table is kept in memory for later loads from that path
    /// (info).
    pub const STORE_SKIPPED: &str = "QSA113";
    /// A `$(…)` expansion that failed: nested too deep, a `$(=…)` that does not evaluate, an include
    /// inside a statement (error; rule S6).
    pub const EXPANSION: &str = "QSA114";
    /// A statement qsa deliberately does not run (`EXECUTE`) (warning).
    pub const STATEMENT_SKIPPED: &str = "QSA115";
    /// A step whose effect qsa cannot know may change Section Access: a section switch, load or
    /// assignment under a condition that reads something unknown, an include qsa could not read, an
    /// unknown `EXIT`, or `QlikCloudGroupMode` unknown at the end (error; fail closed, rules S2, S7).
    pub const UNKNOWN_EFFECT: &str = "QSA116";
    /// An `EXIT ERROR` runs: Qlik ends the script and fails the reload with its message, and a failed
    /// reload publishes nothing new (the app keeps its previous data and Section Access), so nothing can
    /// be said about this script's users (error).
    pub const RELOAD_FAILS: &str = "QSA117";
    /// The memory limit (`--max-memory`) would be exceeded: a file, a table, a variable or a text the
    /// input makes qsa build is larger than the bytes it may hold (`crate::limits`). The run stops (error);
    /// every command exits 2. Names the limit and the flag.
    pub const MEMORY_LIMIT: &str = "QSA118";
    // --- security model (QSA2xx), added by the engine (issue 4)
    /// A2: a reduction field (a non-system Section Access field) has no app field with exactly the same
    /// name (case-sensitive). It reduces nothing, so every user silently keeps all data in that dimension.
    /// Error; help suggests near misses (`Region` for `REGION`).
    pub const SA_UNLINKED_FIELD: &str = "QSA201";
    /// I2: a blank identity cell (USERID, USER.EMAIL, GROUP) matches nobody, so the row never applies.
    /// Put `*` in identity columns a row does not use.
    pub const SA_BLANK_IDENTITY: &str = "QSA202";
    /// L2: one identity is granted both ADMIN and USER on different rows; qsa decides ADMIN wins [dec].
    pub const SA_MIXED_ACCESS: &str = "QSA203";
    /// R3: one identity has several rows with two or more reduction fields in different combinations; Qlik
    /// grants the cross product (OR within a field, AND across), more than the rows list.
    pub const SA_CROSS_PRODUCT: &str = "QSA204";
    /// L1: an ACCESS value that is neither `ADMIN` nor `USER`; the row grants no access.
    pub const SA_INVALID_ACCESS: &str = "QSA205";
    /// O1: an OMIT value that names no app field (exact, case-sensitive): it omits nothing.
    pub const SA_OMIT_UNKNOWN: &str = "QSA206";
    /// O1: OMIT of a key field (a field shared by tables): Qlik keeps the key without content.
    pub const SA_OMIT_KEY: &str = "QSA207";
    /// R2: a reduction value that does not exist in the app field (exact text): it selects nothing; a USER
    /// whose values all miss is denied (strict exclusion).
    pub const SA_VALUE_NOT_IN_DATA: &str = "QSA208";
    /// L2: no row of the security model grants ADMIN; nobody can open the app unreduced.
    pub const SA_NO_ADMIN: &str = "QSA209";
    /// U1: client-managed reloads run as `INTERNAL\SA_SCHEDULER`; without an applicable row (ADMIN,
    /// unreduced) the reload fails. Error when no row applies, warning when it is reduced or USER.
    pub const SA_NO_RELOAD_IDENTITY: &str = "QSA210";
    /// S7: `QlikCloudGroupMode` holds a value other than 0, 1 or 2 at the end of the script; qsa refuses to
    /// guess which groups apply.
    pub const SA_GROUP_MODE_INVALID: &str = "QSA211";
    /// A3: a non-system field shared by several security tables but absent from the app: an internal link
    /// of the security model, not a reduction (info).
    pub const SA_INTERNAL_LINK: &str = "QSA212";
    /// R5: a circular reference (a loop in the link graph of the app tables or the security tables); the
    /// reduction would be ambiguous, so qsa refuses to evaluate [dec].
    pub const SA_CIRCULAR: &str = "QSA213";
    /// R4: tables linked by overlapping field combinations (nested synthetic keys); qsa cannot model the
    /// association faithfully and refuses to evaluate.
    pub const SA_NESTED_SYNTHETIC: &str = "QSA214";
    /// Fail closed: a security table, or an app table linked to a reduction field, is incomplete (its
    /// content is not known faithfully), or the run had errors; qsa refuses to evaluate users.
    pub const SA_NOT_EVALUABLE: &str = "QSA215";
    /// S2: the script loads no Section Access table; every user sees everything (info).
    pub const SA_NO_SECTION_ACCESS: &str = "QSA216";
    /// I6: GROUP rows exist but the target/mode gives no group names to compare (e.g. a GROUP value that
    /// matches no group in the directory): possibly a typo or a group name vs id mismatch.
    pub const SA_GROUP_UNKNOWN: &str = "QSA217";
    // --- security model lints of issue 11 (QSA218–QSA224; `access::lints`)
    /// S2, A2, A3: a table loaded while the script is in `Section Access` that holds no Section Access
    /// system field and has a field that is neither an app field nor shared with another security table:
    /// app data loaded into the security model (a forgotten `Section Application`). It is hidden from the
    /// app, and its fields become reduction fields or security-model links. Warning, at the load.
    pub const SA_APP_TABLE_IN_ACCESS: &str = "QSA218";
    /// R2, S4: an app field that Section Access reduces holds values with lower-case letters that no
    /// security row lists: Section Access values are upper case, so no row can select them and every
    /// reduced user loses those rows. Warning, at the app load; names the field and a few values.
    pub const SA_LOWERCASE_APP_VALUES: &str = "QSA219";
    /// R1: `*` in a reduction field stands for the values listed in that column, not all data; the app
    /// field holds values the column never lists, so users granted `*` do not see them. Warning, at the
    /// first `*` row; names the values (capped).
    pub const SA_STAR_MISSES_VALUES: &str = "QSA220";
    /// S7, I6: GROUP is used on the cloud target while `QlikCloudGroupMode` is unset: GROUP is compared
    /// with IdP groups only (mode 0), custom groups never match. Info, at the GROUP column's load.
    pub const SA_GROUP_MODE_UNSET: &str = "QSA221";
    /// S7, I6: `QlikCloudGroupMode` is set but the target is client-managed, where GROUP is the user's
    /// directory groups and the variable has no effect. Info, at the SET/LET.
    pub const SA_GROUP_MODE_NO_EFFECT: &str = "QSA222";
    /// A1: an app field is named like a Section Access system field (ACCESS, USERID, USER.EMAIL, GROUP,
    /// OMIT, NTNAME, NTDOMAINSID, NTSID, SERIAL, PASSWORD) while the script has Section Access. Qlik
    /// advises against it (research note §1.3, recalled); what the engine does is not documented, and qsa
    /// never links a system field to app data [dec]. Warning, at the load.
    pub const SA_SYSTEM_FIELD_IN_APP: &str = "QSA223";
    /// `Star is` with a symbol is in force while app tables load (the application section) and the script
    /// has Section Access: Qlik recommends against it; in the app data the symbol then stands for every
    /// value of its field. At the `Star is` statement: info, or a warning when app data holds the symbol.
    /// When a reduction field or a key field of a reduced table holds it, qsa refuses instead (QSA215).
    pub const SA_STAR_IN_APPLICATION: &str = "QSA224";
    // --- security rows and listed identities (QSA225–QSA230; issue 11 items 8, 15, 18, 21, 22)
    /// R2: identities listed in the security rows (USERID, USER.EMAIL) who are USER and whose allowed values
    /// of a reduction field all miss the data (or who have none): strict exclusion denies them. One finding
    /// per field, naming the identities, located at their rows (`qsa check`, no directory needed; evaluated
    /// holding no group).
    pub const SA_STRICT_EXCLUSION_DENIED: &str = "QSA225";
    /// S4, S5: rows of one security table identical in every cell as Qlik stores them (after its
    /// upper-casing and trimming); located at the repeat and at the first row.
    pub const SA_DUPLICATE_ROW: &str = "QSA226";
    /// L2: rows of one security table equal in every cell but ACCESS (same identity, reduction and OMIT
    /// values) with different ACCESS values: the rows add up (ADMIN wins [dec]) and one of them is dead.
    pub const SA_CONTRADICTING_ROWS: &str = "QSA227";
    /// R2: a security value missing from its app field whose number the app field holds written otherwise
    /// (`01` in Section Access, `1` in the data, or the reverse): matching is by exact text.
    pub const SA_NUMERIC_TEXT: &str = "QSA228";
    /// I1, R1: a row with `*` in every identity column and `*` in every reduction column (blank too on an
    /// ADMIN row): every user, listed or not, gets every listed value.
    pub const SA_EVERYONE_EVERYTHING: &str = "QSA229";
    /// L1, S2: a security table with no rows. Error when every security table is empty (no row applies to
    /// anyone: everyone is denied), warning otherwise.
    pub const SA_EMPTY_TABLE: &str = "QSA230";

    // --- users and reduction results (QSA3xx)
    /// [dec] rules: the user's result depends on a rule qsa decided (not documented by Qlik); the message
    /// names the rule id (L2, I2, I4, R2, R4, R6, S7, I6).
    pub const USER_DEPENDS_ON_DEC: &str = "QSA301";
    /// R6: a user is granted access but keeps zero rows in every reduced table: the app opens empty [dec].
    pub const USER_EMPTY_APP: &str = "QSA302";
    /// I6: two groups a user holds collide after upper-casing (or, under mode 2, an IdP and a custom group
    /// share a name); Section Access cannot tell them apart [dec].
    pub const USER_GROUP_COLLISION: &str = "QSA303";
    /// U2: the named reloading user is not granted access: a manual reload ends with "Access was denied
    /// after reload".
    pub const USER_RELOAD_DENIED: &str = "QSA304";
    /// The requested user (`--user`) is not in the directory.
    pub const USER_NOT_FOUND: &str = "QSA305";

    // --- inputs (QSA4xx): directory files
    /// A directory or groups file that cannot be read or parsed (JSON/CSV syntax, wrong shape); located at
    /// the file, line and column.
    pub const DIRECTORY_MALFORMED: &str = "QSA401";
    /// A directory user with an unknown `status`; evaluated as denied (fail closed).
    pub const DIRECTORY_UNKNOWN_STATUS: &str = "QSA402";
    /// The same user id appears twice in the directory; the first is kept.
    pub const DIRECTORY_DUPLICATE: &str = "QSA403";
    /// A stored snapshot (`snapshot --check`, `diff`) that is not a well-formed snapshot this qsa reads;
    /// located at the file, line and column, saying what was expected.
    pub const SNAPSHOT_MALFORMED: &str = "QSA404";
    /// A lint setting that cannot be applied: `qsa.toml` that does not parse, an unknown key, an unknown
    /// code or name, a code set to two levels, a code that cannot be silenced; or a `// qsa: allow(…)`
    /// comment with such a code or with no statement after it. Located at the entry.
    pub const CONFIG_INVALID: &str = "QSA405";
    // --- tenant exports and the tenant stage (QSA42x; tenant.md)
    /// A `--tenant DIR` export that is missing, unreadable or malformed; names the file and the `qlik`
    /// command that writes it, located at line and column for JSON errors.
    pub const TENANT_INPUT: &str = "QSA420";
    /// `--app` matches no app, or several, in items.json.
    pub const TENANT_APP: &str = "QSA421";
    /// The tenant exports cannot be evaluated faithfully: a role missing from roles.json (T4), the app in a
    /// data space (T12) or in a space spaces.json lacks (fail closed).
    pub const TENANT_NOT_EVALUABLE: &str = "QSA422";
    /// A tenant configuration qsa ignores or doubts: a disabled group that would grant (T6), a space role
    /// the space type lacks (T12), `meta.assignableRoles` disagreeing with T12's table (warning); an anonymous link share (T14, info).
    pub const TENANT_IGNORED: &str = "QSA423";
    // --- tenant × Section Access (QSA43x): the two layers disagree (`reduce::tenant_lints`; with
    // `--tenant DIR --app X` on `check` and `report`). Section Access is read alone (as if everyone could
    // open the app), the tenant tier alone (T1–T18), and the lints say where they disagree.
    /// Section Access grants a user (USER or ADMIN) who cannot open the app (T15), one finding per user,
    /// located at the first security row that applies to them ("granted ADMIN here"), with every reason
    /// the tenant gives (`Open::why_not`). Warning when no route opens the app (T10–T14: no space role
    /// that opens apps, no share, the admin route only in shared spaces): the grant is dead configuration
    /// or a missing space role, and the user cannot reach the data they were meant to see. Info when the
    /// user's status keeps them out (T7: disabled, invited, deleted): the usual trace of someone who left,
    /// worth tidying, not a mistake. Never an error: nobody sees more than intended.
    /// Fix: give the user (or a group of theirs) an opening space role or a share, or drop their rows.
    pub const TENANT_GRANTED_CANNOT_OPEN: &str = "QSA430";
    /// Users who open the app (T11–T14) but whom Section Access denies (L1 not listed, R2 strict
    /// exclusion): they get an "access denied" error when they open it. One finding per denial reason,
    /// naming the users and how each opens the app, located at the Section Access load. Error: the
    /// tenant invites these users in and the app then fails for them, a broken configuration either way
    /// round. Fix: add rows for them (USERID, or a GROUP they hold under `QlikCloudGroupMode`), or remove
    /// the space role or share that opens the app for them.
    pub const TENANT_OPENS_SA_DENIES: &str = "QSA431";
    /// A group Section Access uses (a GROUP value equal to its upper-cased name, counting only the
    /// providers `QlikCloudGroupMode` selects: I6, S7) holds no space role that opens apps on the app's
    /// space and no share of the app (T11, T12, T14; a disabled group's roles count for nothing, T6), and
    /// some of its members cannot open the app by another route. Located at the security rows naming the
    /// group. Quiet when every member opens the app anyway (through Everyone, their own role, another
    /// group, ownership): the rows then work; fires for a group no user holds yet. Warning: the rows written for the group reach nobody who
    /// lacks another way in. Fix: give the group an opening space role (or share the app with it).
    pub const TENANT_SA_GROUP_NO_SPACE_ROLE: &str = "QSA432";
    /// A space role that opens apps (T12) is given on the app's space to a group (or Everyone) that
    /// Section Access never lists under `QlikCloudGroupMode` (I6), and some of its members who open the
    /// app get no access from Section Access (L1, R2). Named by the export file
    /// `assignments/<spaceId>.json` (or `assignments.json`) and located at the assignment. Quiet when
    /// every member who opens the app is granted by other rows (`*`, USERID, USER.EMAIL, another group):
    /// the role then does no harm. A disabled group is left to QSA423 (T6). Warning: the space role
    /// invites users in whom Section Access then turns away (they also appear in QSA431). Fix: add GROUP
    /// rows for the group, or remove its space role.
    pub const TENANT_SPACE_ROLE_GROUP_UNLISTED: &str = "QSA433";
    /// A GROUP value names only groups of a provider `QlikCloudGroupMode` excludes: a custom group while
    /// the mode is 0 (IdP groups; also when the variable is unset), or an IdP group while it is 1 (custom
    /// groups). The rows never match its members (S7, I6; T2: the mode selects Section Access groups only,
    /// roles and space roles still count). Located at the GROUP cell. Warning, like QSA111: rows that
    /// silently apply to nobody. Fix: set `QlikCloudGroupMode` to 2 (both) or to the group's provider, or
    /// use a group of the selected provider.
    pub const TENANT_GROUP_MODE_EXCLUDES: &str = "QSA434";
    /// Download of sensitive fields: a field Section Access omits for some users (named in the OMIT
    /// column, O1) is sensitive; users who keep it (Section Access does not omit it for them) and whose
    /// "In-app content download" is *Allowed* (T16; space roles do not restrict it, T17) can take its
    /// values out of the governed app into files. One finding per set of sensitive fields kept, listing
    /// the users, located at the security table holding OMIT. *No data* (images and PDFs only) is not
    /// counted: it is the setting that keeps data in the app. Warning: the user may see the field; the
    /// finding is about its leaving the app, a policy decision rather than a broken configuration.
    /// Reading: the spec has no finer notion of "sensitive" than OMIT itself, so this is the issue's
    /// reading. Fix: omit the field for them too, or take `apps.data:export` away (User Default and
    /// custom roles).
    pub const TENANT_DOWNLOAD_SENSITIVE: &str = "QSA435";
    /// A statement with `$(…)` that cannot be parsed before expansion (info): it is parsed when the
    /// script runs, so `--syntax-only` cannot check it.
    pub const DEFERRED: &str = "QSA006";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_count_characters() {
        let f = SourceFile::new("t.qvs", None, "LET a = 1;\nLET é = 'x';\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(11), (2, 1));
        // the `=` after `é` (2 bytes) is the 7th character of line 2
        assert_eq!(f.line_col(18), (2, 7));
        assert_eq!(f.line_text(2), "LET é = 'x';");
        assert_eq!(f.line_col(10_000), (3, 1));
    }

    #[test]
    fn absorbed_sources_keep_their_expansion_parents() {
        let mut a = SourceMap::default();
        a.add(SourceFile::new("a.qvs", None, "x"));
        let mut b = SourceMap::default();
        let b0 = b.add(SourceFile::new("b.qvs", None, "LOAD $(v);"));
        let mut exp = SourceFile::new("<expansion>", None, "LOAD 1;");
        exp.expanded_from = Some((b0, Span::new(0, 10)));
        let b1 = b.add(exp);
        let map = a.absorb(b);
        let mut d = Diagnostic::error("QSA001", "m").at(b1, Span::new(0, 4), "");
        d.remap_sources(&map);
        let label = d.primary.clone().unwrap();
        assert_eq!(label.source, SourceId(2));
        assert_eq!(
            a.origin(label.source, label.span),
            (SourceId(1), Span::new(0, 10))
        );
    }

    #[test]
    fn tab_names_follow_markers() {
        let f = SourceFile::new(
            "t.qvs",
            None,
            "///$tab Main\nLET a=1;\n///$tab Security\nLET b=2;\n",
        );
        assert_eq!(f.tab_at(15).as_deref(), Some("Main"));
        assert_eq!(f.tab_at(40).as_deref(), Some("Security"));
    }

    // S1: how script bytes are read (fixtures/encoding holds real files for the same rule).
    #[test]
    fn script_bytes_decoding() {
        let utf16be = [0xFE, 0xFF, 0x00, b'S', 0x00, 0xE9];
        assert_eq!(decode_script_bytes(&utf16be), "Sé");
        let utf16le = [0xFF, 0xFE, b'S', 0x00, 0xE9, 0x00];
        assert_eq!(decode_script_bytes(&utf16le), "Sé");
        assert_eq!(decode_script_bytes(b"\xEF\xBB\xBFS\xC3\xA9"), "Sé");
        assert_eq!(decode_script_bytes(b"S\xC3\xA9"), "Sé");
        assert_eq!(decode_script_bytes(b"S\xE9"), "Sé");
        let cp1251 = script_encoding("windows-1251").ok();
        assert_eq!(decode_script_bytes_as(b"\xC4\xE0", cp1251), "Да");
        // a BOM wins over the named encoding
        assert_eq!(decode_script_bytes_as(&utf16le, cp1251), "Sé");
        assert!(script_encoding("no-such-thing").is_err());
        assert!(script_encoding("replacement").is_err());
        assert!(script_encoding(" UTF-8 ").is_ok());
    }
}
