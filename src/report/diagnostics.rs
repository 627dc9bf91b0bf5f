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
        let mut source: Option<(String, String)> = None;
        let mut notes = Vec::new();
        if let Some(p) = &d.primary {
            let (id, span) = sources.origin(p.source, p.span);
            if let Some(f) = sources.get(id) {
                let len = f.text.len();
                let start = span.start.min(len);
                let end = span.end.min(len).max(start);
                md = md.and_label(LabeledSpan::new_primary_with_span(
                    (!p.message.is_empty()).then(|| p.message.clone()),
                    start..end,
                ));
                source = Some((f.name.clone(), f.text.to_string()));
                for s in &d.secondary {
                    let (sid, sspan) = sources.origin(s.source, s.span);
                    if sid == id {
                        let ss = sspan.start.min(len);
                        let se = sspan.end.min(len).max(ss);
                        md = md.and_label(LabeledSpan::new_with_span(
                            (!s.message.is_empty()).then(|| s.message.clone()),
                            ss..se,
                        ));
                    } else if let Some(loc) = locate(s, sources) {
                        notes.push(format!(
                            "{}:{}:{}: {}",
                            loc.file, loc.line, loc.column, s.message
                        ));
                    }
                }
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

/// SARIF 2.1.0 (one run, tool `qsa`), for code-scanning upload.
pub fn render_sarif(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    codes.sort_unstable();
    codes.dedup();
    let rules: Vec<Value> = codes.iter().map(|c| json!({ "id": c })).collect();
    let results: Vec<Value> = diags
        .iter()
        .map(|d| {
            let level = match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "note",
            };
            let mut text = d.message.clone();
            if let Some(h) = &d.help {
                text = format!("{text}\nhelp: {h}");
            }
            let mut r = json!({ "ruleId": d.code, "level": level, "message": { "text": text } });
            if let Some(loc) = d.primary.as_ref().and_then(|p| locate(p, sources)) {
                r["locations"] = json!([{
                    "physicalLocation": {
                        "artifactLocation": { "uri": loc.file.replace('\\', "/") },
                        "region": {
                            "startLine": loc.line, "startColumn": loc.column,
                            "endLine": loc.end_line, "endColumn": loc.end_column,
                        }
                    }
                }]);
            }
            let related: Vec<Value> = d
                .secondary
                .iter()
                .filter_map(|s| {
                    locate(s, sources).map(|loc| {
                        json!({
                            "physicalLocation": {
                                "artifactLocation": { "uri": loc.file.replace('\\', "/") },
                                "region": { "startLine": loc.line, "startColumn": loc.column }
                            },
                            "message": { "text": s.message }
                        })
                    })
                })
                .collect();
            if !related.is_empty() {
                r["relatedLocations"] = Value::Array(related);
            }
            r
        })
        .collect();
    let v = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "qsa",
                "version": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            } },
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

/// GitHub Actions annotations: `::error file=…,line=…,col=…,title=QSA001::message`.
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
        props.push(format!("title={}", gh_prop(d.code)));
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
        assert!(g.contains("title=QSA003::`END IF` without `IF`"), "{g}");
        let s: Value = serde_json::from_str(&render_sarif(&d, &sm)).unwrap();
        assert_eq!(s["version"], "2.1.0");
        assert_eq!(
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
            3
        );
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
