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
        let mut line_starts = vec![0];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(i + 1);
            }
        }
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
        let bytes = std::fs::read(path)?;
        let text = decode_script_bytes(&bytes);
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

/// Script files are UTF-8 (with or without BOM) in practice; anything else is read as Windows-1252,
/// as Qlik's editor saves ANSI scripts.
pub fn decode_script_bytes(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
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
            message: message.into(),
        }
    }
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
            message: message.into(),
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
/// `QSA4xx` inputs (directory, data files).
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
}
