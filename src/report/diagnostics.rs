//! Rendering diagnostics: human (rustc/ruff style, via miette), JSON, SARIF 2.1.0, GitHub annotations.
//!
//! Every location is first mapped to the place a user can open: text produced by `$(…)` expansion is
//! traced back through [`SourceMap::origin`] to the statement that produced it.

use crate::diag::{Diagnostic, Label, Severity, SourceMap};
use miette::{
    GraphicalReportHandler, GraphicalTheme, LabeledSpan, MietteDiagnostic, NamedSource, Report,
};
use serde_json::{json, Value};

/// Width used for the human rendering (fixed, so output does not depend on the terminal).
pub const WIDTH: usize = 100;

/// A resolved location: file name, 1-based line/column of start and end.
struct Loc {
    file: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
}

fn locate(label: &Label, sources: &SourceMap) -> Option<Loc> {
    let (id, span) = sources.origin(label.source, label.span);
    let f = sources.get(id)?;
    let (line, column) = f.line_col(span.start);
    let (end_line, end_column) = f.line_col(span.end);
    Some(Loc {
        file: f.name.clone(),
        line,
        column,
        end_line,
        end_column,
    })
}

fn severity(s: Severity) -> miette::Severity {
    match s {
        Severity::Error => miette::Severity::Error,
        Severity::Warning => miette::Severity::Warning,
        Severity::Info => miette::Severity::Advice,
    }
}

/// Longest source line a diagnostic shows. A longer line (a generated script, a 1 GB single line) is
/// not drawn: the diagnostic gives its file, line and column instead (and the frame renderer could not
/// place a caret past column 65,535 anyway).
const MAX_SHOWN_LINE: usize = 4096;

/// The length of the longest line among those holding `start..end` and the line before and after it,
/// when it is longer than [`MAX_SHOWN_LINE`].
fn long_line_near(text: &str, start: usize, end: usize) -> Option<usize> {
    let len = text.len();
    let (start, end) = (start.min(len), end.min(len).max(start.min(len)));
    let bytes = text.as_bytes();
    // One line before the first, one after the last.
    let mut from = bytes[..start]
        .iter()
        .rposition(|b| *b == b'\n')
        .unwrap_or(0);
    from = bytes[..from].iter().rposition(|b| *b == b'\n').unwrap_or(0);
    let mut to = bytes[end..]
        .iter()
        .position(|b| *b == b'\n')
        .map_or(len, |i| end + i);
    if to < len {
        to = bytes[to + 1..]
            .iter()
            .position(|b| *b == b'\n')
            .map_or(len, |i| to + 1 + i);
    }
    bytes[from..to]
        .split(|b| *b == b'\n')
        .map(<[u8]>::len)
        .max()
        .filter(|n| *n > MAX_SHOWN_LINE)
}

/// Longest source line shown in a frame: longer lines (a 10 MB line, a binary file read as text) are
/// cut to a window around the first label on them, so a diagnostic never dumps its input.
const MAX_LINE: usize = 240;

/// The source text of a frame with every line longer than [`MAX_LINE`] cut to a window (around the first
/// label start on it, else its start, marked with `…`), and the label `spans` moved to match.
fn clip_source(text: &str, spans: &mut [(usize, usize)]) -> String {
    if !text.split('\n').any(|l| l.len() > MAX_LINE) {
        return text.to_string();
    }
    // The kept pieces: (old start, old end, new start).
    let mut pieces: Vec<(usize, usize, usize)> = Vec::new();
    let mut out = String::new();
    let mut line_start = 0;
    for line in text.split_inclusive('\n') {
        let line_end = line_start + line.len();
        if line.len() <= MAX_LINE {
            pieces.push((line_start, line_end, out.len()));
            out.push_str(line);
        } else {
            let focus = spans
                .iter()
                .map(|s| s.0)
                .find(|&o| o >= line_start && o < line_end)
                .unwrap_or(line_start);
            let mut from = focus.saturating_sub(MAX_LINE / 2).max(line_start);
            let mut to = (from + MAX_LINE).min(line_end);
            while !text.is_char_boundary(from) {
                from -= 1;
            }
            while !text.is_char_boundary(to) {
                to += 1;
            }
            if from > line_start {
                out.push('…');
            }
            pieces.push((from, to, out.len()));
            out.push_str(&text[from..to]);
            if to < line_end {
                out.push('…');
                if line.ends_with('\n') {
                    out.push('\n');
                }
            }
        }
        line_start = line_end;
    }
    let map = |o: usize| {
        let i = pieces.partition_point(|p| p.0 <= o).saturating_sub(1);
        pieces.get(i).map_or(0, |&(s, e, n)| n + o.clamp(s, e) - s)
    };
    for sp in spans.iter_mut() {
        let start = map(sp.0);
        *sp = (start, map(sp.1).max(start));
    }
    out
}

/// Render diagnostics the way rustc and ruff do: code, severity, message, the source lines with carets
/// and labels, and help. `color` switches ANSI colours on.
pub fn render_human(diags: &[Diagnostic], sources: &SourceMap, color: bool) -> String {
    let theme = if color {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme)
        .with_width(WIDTH)
        .with_links(false);
    // For a frame miette would place wrongly (a line cut to a window, non-ASCII text before the label):
    // the header is the place qsa names itself (see below).
    let self_named_handler = handler.clone().without_primary_span_start();
    let mut out = String::new();
    for d in diags {
        let mut md = MietteDiagnostic::new(d.message.clone())
            .with_code(format!("{}[{}]", d.severity, d.code))
            .with_severity(severity(d.severity));
        let mut help = d.help.clone().unwrap_or_default();
        if !d.rules.is_empty() {
            let r = format!("rules: {}", d.rules.join(", "));
            help = if help.is_empty() {
                r
            } else {
                format!("{help}\n{r}")
            };
        }
        let mut source: Option<(String, std::sync::Arc<str>)> = None;
        let mut self_named = false;
        let mut notes = Vec::new();
        if let Some(p) = &d.primary {
            let (id, span) = sources.origin(p.source, p.span);
            let shown = sources.get(id).filter(|f| {
                let long = long_line_near(&f.text, span.start, span.end);
                if let (Some(n), Some(loc)) = (long, locate(p, sources)) {
                    notes.push(format!(
                        "{}:{}:{}: {} (the line is {n} bytes long, too long to show)",
                        loc.file, loc.line, loc.column, p.message
                    ));
                }
                long.is_none()
            });
            if let Some(f) = shown {
                let len = f.text.len();
                let clamp = |sp: crate::diag::Span| {
                    let start = sp.start.min(len);
                    (start, sp.end.min(len).max(start))
                };
                // (span, message, primary) of the labels shown in this file's frame.
                let mut labels = vec![(clamp(span), &p.message, true)];
                for s in &d.secondary {
                    let (sid, sspan) = sources.origin(s.source, s.span);
                    if sid == id {
                        labels.push((clamp(sspan), &s.message, false));
                    } else if let Some(loc) = locate(s, sources) {
                        notes.push(format!(
                            "{}:{}:{}: {}",
                            loc.file, loc.line, loc.column, s.message
                        ));
                    }
                }
                let mut spans: Vec<(usize, usize)> = labels.iter().map(|l| l.0).collect();
                // miette names a frame by the place of its primary label counted in the text it is
                // given, in bytes: wrong on a line cut to a window, and on a line with non-ASCII text
                // before the label (JSON and SARIF count characters). Then qsa names it itself, when
                // every label is on the primary's line (one frame), else in a note.
                // (Spans are clamped to the text; bytes, so no char boundary is assumed.)
                let bytes = f.text.as_bytes();
                let (pstart, pend) = labels[0].0;
                let line_start = bytes[..pstart]
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |i| i + 1);
                let one_line = labels
                    .iter()
                    .all(|l| !bytes[pstart.min(l.0 .0)..pend.max(l.0 .1)].contains(&b'\n'));
                let text = clip_source(&f.text, &mut spans);
                let miscounted =
                    text.len() != f.text.len() || !bytes[line_start..pstart].is_ascii();
                for ((_, message, primary), (start, end)) in labels.into_iter().zip(spans) {
                    let message = (!message.is_empty()).then(|| message.clone());
                    md = md.and_label(if primary {
                        LabeledSpan::new_primary_with_span(message, start..end)
                    } else {
                        LabeledSpan::new_with_span(message, start..end)
                    });
                }
                let name = match locate(p, sources) {
                    Some(loc) if miscounted && one_line => {
                        self_named = true;
                        format!("{}:{}:{}", loc.file, loc.line, loc.column)
                    }
                    Some(loc) if miscounted => {
                        notes.push(format!(
                            "{}:{}:{}: {}",
                            loc.file, loc.line, loc.column, p.message
                        ));
                        f.name.clone()
                    }
                    _ => f.name.clone(),
                };
                source = Some((name, std::sync::Arc::<str>::from(text)));
            }
        }
        for n in notes {
            help = if help.is_empty() {
                format!("see {n}")
            } else {
                format!("{help}\nsee {n}")
            };
        }
        if !help.is_empty() {
            md = md.with_help(help);
        }
        let report = match source {
            Some((name, text)) => Report::new(md).with_source_code(NamedSource::new(name, text)),
            None => Report::new(md),
        };
        let mut s = String::new();
        let handler = if self_named {
            &self_named_handler
        } else {
            &handler
        };
        if handler.render_report(&mut s, report.as_ref()).is_err() {
            s = format!("{}[{}]: {}\n", d.severity, d.code, d.message);
        }
        out.push_str(&s);
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

fn label_json(l: &Label, sources: &SourceMap, primary: bool) -> Value {
    match locate(l, sources) {
        Some(loc) => json!({
            "primary": primary,
            "file": loc.file, "line": loc.line, "column": loc.column,
            "end_line": loc.end_line, "end_column": loc.end_column, "message": l.message,
        }),
        None => {
            json!({ "primary": primary, "file": null, "line": null, "column": null, "message": l.message })
        }
    }
}

/// One diagnostic as a JSON object (the `diagnostics` items of product.md).
pub fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> Value {
    let loc = d.primary.as_ref().and_then(|p| locate(p, sources));
    let mut labels: Vec<Value> = Vec::new();
    if let Some(p) = &d.primary {
        labels.push(label_json(p, sources, true));
    }
    labels.extend(d.secondary.iter().map(|s| label_json(s, sources, false)));
    json!({
        "code": d.code,
        "name": crate::lints::catalog::by_code(d.code).map(|l| l.name),
        "severity": d.severity,
        "message": d.message,
        "file": loc.as_ref().map(|l| l.file.clone()),
        "line": loc.as_ref().map(|l| l.line),
        "column": loc.as_ref().map(|l| l.column),
        "end_line": loc.as_ref().map(|l| l.end_line),
        "end_column": loc.as_ref().map(|l| l.end_column),
        "help": d.help,
        "labels": labels,
        "rules": d.rules,
    })
}

/// `{"diagnostics": [...]}`, pretty-printed, deterministic (the caller sorts the diagnostics).
pub fn render_json(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let v = json!({ "diagnostics": diags.iter().map(|d| diagnostic_json(d, sources)).collect::<Vec<_>>() });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_else(|_| "{\"diagnostics\":[]}".into());
    s.push('\n');
    s
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

/// The body of a `## heading` section of a lint's documentation (up to the next `##`), trimmed.
fn doc_section<'a>(doc: &'a str, heading: &str) -> Option<&'a str> {
    let marker = format!("## {heading}\n");
    let start = doc.find(&marker)? + marker.len();
    let rest = &doc[start..];
    let end = rest.find("\n## ").unwrap_or(rest.len());
    let body = rest[..end].trim();
    (!body.is_empty()).then_some(body)
}

/// A file name as a SARIF artifact URI: relative paths stay relative (GitHub resolves them against the
/// repository root), absolute ones become `file:` URIs, and what a URI cannot hold is percent-encoded.
fn artifact_uri(file: &str) -> String {
    let path = file.replace('\\', "/");
    let b = path.as_bytes();
    let drive = b.len() >= 3 && b[0].is_ascii_alphabetic() && b[1] == b':' && b[2] == b'/';
    let mut out = if drive {
        "file:///".to_string()
    } else if path.starts_with('/') {
        "file://".to_string()
    } else {
        String::new()
    };
    for (i, c) in path.bytes().enumerate() {
        let keep = c.is_ascii_alphanumeric()
            || b"-._~/!$&'()*+,;=@".contains(&c)
            || (c == b':' && drive && i == 1);
        if keep {
            out.push(char::from(c));
        } else {
            out.push_str(&format!("%{c:02X}"));
        }
    }
    out
}

/// `tool.driver.rules[]` for one code: the catalogue's metadata (`crate::lints::catalog`). `docs_url`:
/// the base under which `CODE.md` is published (`helpUri`); without it there is no `helpUri` (the
/// documentation itself is in `help`).
fn sarif_rule(code: &str, docs_url: Option<&str>) -> Value {
    let Some(l) = crate::lints::catalog::by_code(code) else {
        return json!({ "id": code });
    };
    let doc = l.doc.trim();
    let finds = doc_section(doc, "What it finds").unwrap_or(l.summary);
    let mut r = json!({
        "id": l.code,
        "name": l.name,
        "shortDescription": { "text": l.summary },
        "fullDescription": {
            "text": finds.split_whitespace().collect::<Vec<_>>().join(" "),
            "markdown": finds,
        },
        "help": { "text": doc, "markdown": doc },
    });
    if let Some(base) = docs_url {
        r["helpUri"] = json!(format!("{}/{}.md", base.trim_end_matches('/'), l.code));
    }
    let mut properties = json!({ "tags": l.rules, "configurable": l.configurable });
    match l.severity {
        Some(s) => r["defaultConfiguration"] = json!({ "level": sarif_level(s) }),
        // No default level: each result says its own.
        None => properties["defaultSeverity"] = json!("varies"),
    }
    r["properties"] = properties;
    r
}

fn sarif_location(l: &Label, sources: &SourceMap) -> Option<Value> {
    locate(l, sources).map(|loc| {
        json!({
            "physicalLocation": {
                "artifactLocation": { "uri": artifact_uri(&loc.file) },
                "region": {
                    "startLine": loc.line, "startColumn": loc.column,
                    "endLine": loc.end_line, "endColumn": loc.end_column,
                }
            }
        })
    })
}

/// SARIF 2.1.0 (one run, tool `qsa`), for code-scanning upload: `tool.driver.rules` holds the catalogue's
/// metadata of every code used, each result points at its rule (`ruleIndex`). Columns count Unicode code
/// points (`columnKind`). `docs_url`: where the lint docs are published (`helpUri` = `BASE/CODE.md`).
pub fn render_sarif(diags: &[Diagnostic], sources: &SourceMap, docs_url: Option<&str>) -> String {
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes.iter().map(|c| sarif_rule(c, docs_url)).collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text = format!("{text}\nhelp: {h}");
            }
            let mut r = json!({
                "ruleId": d.code,
                "ruleIndex": codes.binary_search(&d.code).unwrap_or_default(),
                "level": sarif_level(d.severity),
                "message": { "text": text },
            });
            if let Some(loc) = d.primary.as_ref().and_then(|p| sarif_location(p, sources)) {
                r["locations"] = json!([loc]);
            }
            let related: Vec<Value> = d
                .secondary
                .iter()
                .filter_map(|s| {
                    let mut loc = sarif_location(s, sources)?;
                    if !s.message.is_empty() {
                        loc["message"] = json!({ "text": s.message });
                    }
                    Some(loc)
                })
                .enumerate()
                .map(|(i, mut loc)| {
                    loc["id"] = json!(i);
                    loc
                })
                .collect();
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            if !d.rules.is_empty() {
                r["properties"] = json!({ "rules": d.rules });
            }
            r
        })
        .collect();
    let v = json!({
        "$schema": "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "qsa",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
            "columnKind": "unicodeCodePoints",
            "results": results,
        }]
    });
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}

/// Escape a GitHub workflow-command property value.
fn gh_prop(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
        .replace(':', "%3A")
        .replace(',', "%2C")
}

/// Escape a GitHub workflow-command message.
fn gh_msg(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub Actions annotations: `::error file=…,line=…,col=…,title=QSA001 syntax-error::message`, escaped
/// as GitHub's workflow commands require (`%`, CR, LF everywhere; also `:` and `,` in properties).
pub fn render_github(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let cmd = match d.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let mut props = Vec::new();
        if let Some(loc) = d.primary.as_ref().and_then(|p| locate(p, sources)) {
            props.push(format!("file={}", gh_prop(&loc.file)));
            props.push(format!("line={}", loc.line));
            props.push(format!("col={}", loc.column));
        }
        let title = match crate::lints::catalog::by_code(d.code) {
            Some(l) => format!("{} {}", d.code, l.name),
            None => d.code.to_string(),
        };
        props.push(format!("title={}", gh_prop(&title)));
        let mut msg = d.message.clone();
        if let Some(h) = &d.help {
            msg = format!("{msg}\nhelp: {h}");
        }
        out.push_str(&format!("::{cmd} {}::{}\n", props.join(","), gh_msg(&msg)));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{codes, SourceFile, Span};

    fn sample() -> (Vec<Diagnostic>, SourceMap) {
        let mut sm = SourceMap::default();
        let id = sm.add(SourceFile::new(
            "a.qvs",
            None,
            "LOAD x\nFROM [y.csv];\nEND IF\n",
        ));
        let d = Diagnostic::error(codes::UNBALANCED_BLOCK, "`END IF` without `IF`")
            .at(id, Span::new(21, 27), "no open IF")
            .with_help("remove it");
        (vec![d], sm)
    }

    #[test]
    fn a_long_line_is_cut_to_a_window_around_the_label() {
        let mut sm = SourceMap::default();
        let long = format!("// {}BAD{}\nEND IF\n", "x".repeat(1_500), "y".repeat(1_500));
        // (A line over MAX_SHOWN_LINE is not drawn at all; one between MAX_LINE and it is cut.)
        let at = long.find("BAD").expect("BAD");
        let id = sm.add(SourceFile::new("big.qvs", None, long.as_str()));
        let d = Diagnostic::error(codes::SYNTAX, format!("bad: {}", "z".repeat(50_000))).at(
            id,
            Span::new(at, at + 3),
            "this",
        );
        let out = render_human(&[d], &sm, false);
        assert!(out.len() < 2048, "{} bytes: {out}", out.len());
        // The place is the label's in the file (column 1,504), not in the window the frame shows.
        assert!(out.contains("[big.qvs:1:1504]"), "{out}");
        assert!(out.contains("BAD") && out.contains('…'), "{out}");
        assert!(
            out.contains("more characters"),
            "the message is clipped too: {out}"
        );
        // Short lines are left alone.
        let mut spans = [(3, 5)];
        assert_eq!(clip_source("ab\ncdef\n", &mut spans), "ab\ncdef\n");
        assert_eq!(spans, [(3, 5)]);
    }

    // miette counts a frame's column in bytes; JSON and SARIF in characters. With non-ASCII text before
    // the label the human header gives the characters' column too; when the labels make two frames,
    // the place is in a note.
    #[test]
    fn a_column_after_non_ascii_text_is_counted_in_characters() {
        let mut sm = SourceMap::default();
        let text = "SET a = 1;\nLET ÄÖÜ_é = 1 + (;\n";
        let at = text.find('(').expect("(");
        let id = sm.add(SourceFile::new("na.qvs", None, text));
        let d = Diagnostic::error(codes::SYNTAX, "bad").at(id, Span::new(at, at + 1), "here");
        let loc = locate(d.primary.as_ref().expect("primary"), &sm).expect("located");
        assert_eq!((loc.line, loc.column), (2, 17));
        let out = render_human(&[d], &sm, false);
        assert!(out.contains("[na.qvs:2:17]"), "{out}");

        let far = format!("{}{}", "SET x = 1;\n".repeat(8), text);
        let at = far.find('(').expect("(");
        let id = sm.add(SourceFile::new("far.qvs", None, far.as_str()));
        let d = Diagnostic::error(codes::SYNTAX, "bad")
            .at(id, Span::new(at, at + 1), "here")
            .with_secondary(id, Span::new(0, 3), "and there");
        let out = render_human(&[d], &sm, false);
        assert!(out.contains("see far.qvs:10:17: here"), "{out}");
    }

    #[test]
    fn human_has_code_location_caret_and_help() {
        let (d, sm) = sample();
        let s = render_human(&d, &sm, false);
        assert!(s.contains("QSA003"), "{s}");
        assert!(s.contains("a.qvs:3:1"), "{s}");
        assert!(s.contains("END IF"), "{s}");
        assert!(s.contains("help: remove it"), "{s}");
        assert!(!s.contains('\u{1b}'), "no colour codes: {s}");
    }

    #[test]
    fn json_github_sarif() {
        let (d, sm) = sample();
        let j: Value = serde_json::from_str(&render_json(&d, &sm)).unwrap();
        assert_eq!(j["diagnostics"][0]["line"], 3);
        assert_eq!(j["diagnostics"][0]["column"], 1);
        assert_eq!(j["diagnostics"][0]["end_column"], 7);
        assert_eq!(j["diagnostics"][0]["severity"], "error");
        let g = render_github(&d, &sm);
        assert!(g.starts_with("::error file=a.qvs,line=3,col=1,"), "{g}");
        assert!(
            g.contains("title=QSA003 unbalanced-block::`END IF` without `IF`"),
            "{g}"
        );
        let s: Value = serde_json::from_str(&render_sarif(&d, &sm, None)).unwrap();
        assert_eq!(s["version"], "2.1.0");
        assert_eq!(
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
    }

    /// GitHub's workflow commands: `%`, CR and LF escaped in the message; also `:` and `,` in properties
    /// (file, title), else a `,` in a file name would end the property.
    #[test]
    fn github_escapes_per_workflow_commands() {
        let mut sm = SourceMap::default();
        let id = sm.add(SourceFile::new("dir:a,b%.qvs", None, "LOAD x;\n"));
        let d = Diagnostic::warning(codes::SA_CROSS_PRODUCT, "100% of rows\r\nnext: a, b")
            .at(id, Span::new(0, 4), "")
            .with_help("fix: it");
        let g = render_github(&[d], &sm);
        assert_eq!(
            g,
            "::warning file=dir%3Aa%2Cb%25.qvs,line=1,col=1,title=QSA204 cross-product::\
             100%25 of rows%0D%0Anext: a, b%0Ahelp: fix: it\n"
        );
        assert_eq!(g.lines().count(), 1);
    }

    #[test]
    fn sarif_rules_carry_the_catalogue() {
        let (mut d, sm) = sample();
        d.push(Diagnostic::info(codes::SA_CROSS_PRODUCT, "x"));
        d.push(Diagnostic::error(codes::UNBALANCED_BLOCK, "y"));
        let s: Value =
            serde_json::from_str(&render_sarif(&d, &sm, Some("https://h.example/docs/"))).unwrap();
        let run = &s["runs"][0];
        let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 2, "one rule per code used");
        assert_eq!(rules[0]["id"], "QSA003");
        assert_eq!(rules[1]["id"], "QSA204");
        assert_eq!(rules[1]["name"], "cross-product");
        assert_eq!(rules[1]["defaultConfiguration"]["level"], "warning");
        assert_eq!(rules[1]["properties"]["tags"], json!(["R3"]));
        assert_eq!(rules[1]["properties"]["configurable"], true);
        assert_eq!(rules[1]["helpUri"], "https://h.example/docs/QSA204.md");
        assert!(rules[1]["fullDescription"]["text"]
            .as_str()
            .unwrap()
            .starts_with("One identity (a USERID"));
        assert!(rules[1]["help"]["markdown"]
            .as_str()
            .unwrap()
            .contains("## Fix"));
        let idx: Vec<&Value> = run["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| &r["ruleIndex"])
            .collect();
        assert_eq!(idx, [&json!(0), &json!(1), &json!(0)]);
        assert_eq!(run["results"][1]["level"], "note", "the result's own level");
        let none: Value = serde_json::from_str(&render_sarif(&d, &sm, None)).unwrap();
        assert!(none["runs"][0]["tool"]["driver"]["rules"][1]
            .get("helpUri")
            .is_none());
    }

    #[test]
    fn artifact_uris() {
        assert_eq!(artifact_uri("fixtures/a b.qvs"), "fixtures/a%20b.qvs");
        assert_eq!(artifact_uri("/tmp/x.qvs"), "file:///tmp/x.qvs");
        assert_eq!(artifact_uri("C:\\s\\x.qvs"), "file:///C:/s/x.qvs");
        assert_eq!(artifact_uri("a:b/%.qvs"), "a%3Ab/%25.qvs");
        assert_eq!(artifact_uri("é.qvs"), "%C3%A9.qvs");
    }

    #[test]
    fn expansion_locations_map_to_origin() {
        let mut sm = SourceMap::default();
        let main = sm.add(SourceFile::new("m.qvs", None, "SET a=1;\n$(vStmt);\n"));
        let mut f = SourceFile::new("<expansion>", None, "LOAD oops");
        f.expanded_from = Some((main, Span::new(9, 17)));
        let exp = sm.add(f);
        let d = Diagnostic::error(codes::SYNTAX, "bad").at(exp, Span::new(5, 9), "here");
        let j: Value = serde_json::from_str(&render_json(&[d], &sm)).unwrap();
        assert_eq!(j["diagnostics"][0]["file"], "m.qvs");
        assert_eq!(j["diagnostics"][0]["line"], 2);
    }
}
