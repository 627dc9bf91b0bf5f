//! `// qsa: allow(CODE, NAME…)` on the line above a statement: the listed codes are not reported for that
//! statement. Qlik script comments are `//`, `/* … */` and `REM …;`, and the directive may sit in any of
//! them (the issue's `# qsa: allow(…)` is not a Qlik comment: a `#` line does not parse).
//!
//! The directive covers the first statement that starts after its line, nested statements included
//! (a LOAD inside an IF), and a diagnostic is covered when its primary location, followed out of `$(…)`
//! expansions to the file a user can open, lies in that statement. A directive that names an unknown code,
//! a code that cannot be allowed, or covers no statement is itself reported (QSA405, error) and silences
//! nothing, so a typo is never quiet and a refusal is never silenced.

use super::{resolve, Level};
use crate::diag::{codes, Diagnostic, SourceId, SourceMap, Span};
use crate::syntax::ast::Stmt;
use crate::syntax::parse_script;

/// One directive: where it is, the statement it covers, the codes it allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Directive {
    pub source: SourceId,
    /// The directive text (`qsa: allow(…)`).
    pub at: Span,
    /// The statement it covers.
    pub covers: Span,
    pub codes: Vec<&'static str>,
}

/// Find the directives of the real files (not expansions) of `sources` whose index is in `files`.
/// Problems are returned as QSA405 errors located at the directive.
pub fn find(
    sources: &SourceMap,
    files: std::ops::Range<usize>,
) -> (Vec<Directive>, Vec<Diagnostic>) {
    let mut out = Vec::new();
    let mut problems = Vec::new();
    for (i, f) in sources.files.iter().enumerate() {
        if f.expanded_from.is_some() || !files.contains(&i) {
            continue;
        }
        let id = SourceId(i as u32);
        let text: &str = &f.text;
        let found = scan(text);
        if found.is_empty() {
            continue;
        }
        let mut starts = Vec::new();
        collect_spans(&parse_script(id, text).script.statements, &mut starts);
        starts.sort_by_key(|s| s.start);
        for (at, line_end, list) in found {
            let bad = |msg: String| {
                Diagnostic::error(codes::CONFIG_INVALID, msg)
                    .at(id, at, "this directive")
                    .with_help("write `// qsa: allow(CODE, …)` with codes or names from `qsa rules`, on the line above the statement")
            };
            let mut codes_ok = Vec::new();
            let mut ok = true;
            for key in list.split(',').map(str::trim).filter(|k| !k.is_empty()) {
                match resolve(key, Level::Allow) {
                    Ok(Some(lint)) => codes_ok.push(lint.code),
                    Ok(None) => {}
                    Err(e) => {
                        problems.push(bad(e.message));
                        ok = false;
                    }
                }
            }
            // A directive with a bad entry silences nothing: a typo must not half-work.
            if !ok {
                continue;
            }
            if codes_ok.is_empty() {
                problems.push(bad("`qsa: allow()` names no code".into()));
                continue;
            }
            match starts.iter().find(|s| s.start >= line_end) {
                Some(stmt) => out.push(Directive {
                    source: id,
                    at,
                    covers: *stmt,
                    codes: codes_ok,
                }),
                None => problems.push(bad("`qsa: allow(…)` is not followed by a statement".into())),
            }
        }
    }
    (out, problems)
}

/// Drop the diagnostics a directive covers.
pub fn apply(directives: &[Directive], sources: &SourceMap, diags: &mut Vec<Diagnostic>) {
    if directives.is_empty() {
        return;
    }
    diags.retain(|d| {
        if super::is_refusal(d) {
            return true;
        }
        let Some(p) = &d.primary else { return true };
        let (src, span) = sources.origin(p.source, p.span);
        !directives.iter().any(|x| {
            x.source == src
                && x.codes.contains(&d.code)
                && span.start >= x.covers.start
                && span.start < x.covers.end.max(x.covers.start + 1)
        })
    });
}

/// Every statement span, nested ones included.
fn collect_spans(stmts: &[Stmt], out: &mut Vec<Span>) {
    for s in stmts {
        out.push(s.span);
        for b in s.kind.blocks() {
            collect_spans(&b.statements, out);
        }
    }
}

/// `(span of "qsa: allow(…)", end of its line, the list inside the parentheses)` for each directive in a
/// comment. A line qualifies when the directive follows `//`, `/*` or a leading `REM`.
fn scan(text: &str) -> Vec<(Span, usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_end = offset + line.len();
        let lower = line.to_ascii_lowercase();
        if let Some(k) = lower.find("qsa:") {
            let before = &lower[..k];
            let in_comment = before.contains("//")
                || before.contains("/*")
                || before.trim_start().starts_with("rem ");
            let rest = lower[k + 4..].trim_start();
            if in_comment && rest.starts_with("allow(") {
                let open = k + 4 + (lower[k + 4..].len() - rest.len()) + "allow(".len();
                if let Some(close) = line[open..].find(')') {
                    let list = &line[open..open + close];
                    out.push((
                        Span::new(offset + k, offset + open + close + 1),
                        line_end,
                        list,
                    ));
                }
            }
        }
        offset = line_end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::SourceFile;

    fn map(text: &str) -> SourceMap {
        let mut m = SourceMap::default();
        m.add(SourceFile::new("t.qvs", None, text));
        m
    }

    fn at(m: &SourceMap, needle: &str, code: &'static str) -> Diagnostic {
        let start = m.files[0].text.find(needle).unwrap();
        Diagnostic::warning(code, "x").at(SourceId(0), Span::new(start, start + needle.len()), "")
    }

    #[test]
    fn covers_the_next_statement_only() {
        let m = map("// qsa: allow(cross-product, QSA202)\nLOAD * INLINE [\nA\n1\n];\nLOAD * INLINE [\nB\n2\n];\n");
        let (dirs, problems) = find(&m, 0..1);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(dirs.len(), 1);
        assert_eq!(
            dirs[0].codes,
            [codes::SA_CROSS_PRODUCT, codes::SA_BLANK_IDENTITY]
        );
        let mut d = vec![
            at(&m, "A\n1", codes::SA_CROSS_PRODUCT),
            at(&m, "A\n1", codes::SA_MIXED_ACCESS),
            at(&m, "B\n2", codes::SA_CROSS_PRODUCT),
        ];
        apply(&dirs, &m, &mut d);
        let left: Vec<&str> = d.iter().map(|d| d.code).collect();
        assert_eq!(left, [codes::SA_MIXED_ACCESS, codes::SA_CROSS_PRODUCT]);
        assert!(d[1].primary.as_ref().unwrap().span.start > 20);
    }

    #[test]
    fn block_and_rem_comments_and_nested_statements() {
        let m = map("IF 1 = 1 THEN\n  /* qsa: allow(QSA204) */\n  LOAD * INLINE [\nA\n1\n];\nEND IF\nREM qsa: allow(QSA202);\nLOAD 1 AS B AUTOGENERATE 1;\n");
        let (dirs, problems) = find(&m, 0..1);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(dirs.len(), 2);
        let mut d = vec![
            at(&m, "A\n1", codes::SA_CROSS_PRODUCT),
            at(&m, "1 AS B", codes::SA_BLANK_IDENTITY),
        ];
        apply(&dirs, &m, &mut d);
        assert!(d.is_empty(), "{d:?}");
    }

    #[test]
    fn bad_directives_are_errors_at_the_directive() {
        let m = map("// qsa: allow(cross-produkt)\nLOAD 1 AS A AUTOGENERATE 1;\n// qsa: allow(not-evaluable)\nLOAD 1 AS B AUTOGENERATE 1;\n// qsa: allow(QSA204)\n");
        let (dirs, problems) = find(&m, 0..1);
        assert!(dirs.is_empty());
        let msgs: Vec<&str> = problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(problems.len(), 3, "{msgs:?}");
        assert!(msgs[0].contains("did you mean cross-product"));
        assert!(msgs[1].contains("never silenced"));
        assert!(msgs[2].contains("not followed by a statement"));
        assert!(problems
            .iter()
            .all(|p| p.code == codes::CONFIG_INVALID && p.primary.is_some()));
    }

    #[test]
    fn text_outside_comments_is_not_a_directive() {
        let m = map("LET v = 'qsa: allow(QSA204)';\nLOAD 1 AS A AUTOGENERATE 1;\n");
        let (dirs, problems) = find(&m, 0..1);
        assert!(dirs.is_empty() && problems.is_empty());
    }
}
