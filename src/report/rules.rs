//! `qsa rules`: the lint catalogue as a table, one lint's documentation, or JSON.

use crate::diag::Severity;
use crate::lints::Lint;
use serde_json::{json, Value};

fn severity(l: &Lint) -> &'static str {
    match l.severity {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        Some(Severity::Info) => "info",
        None => "varies",
    }
}

/// One line per code: code, name, severity, whether it can be configured, the summary.
pub fn render_list(catalog: &[Lint]) -> String {
    let name_w = catalog
        .iter()
        .map(|l| l.name.len())
        .max()
        .unwrap_or(4)
        .max(4);
    let mut s = format!(
        "{:<7} {:<name_w$} {:<8} {:<5} {}\n",
        "CODE", "NAME", "SEVERITY", "SET", "WHAT IT FINDS"
    );
    for l in catalog {
        s.push_str(&format!(
            "{:<7} {:<name_w$} {:<8} {:<5} {}\n",
            l.code,
            l.name,
            severity(l),
            if l.configurable { "yes" } else { "no" },
            l.summary
        ));
    }
    s.push_str(&format!(
        "\n{} codes. SET: whether --deny/--warn/--allow, qsa.toml and `// qsa: allow(…)` may change it; codes that mean qsa could not run or could not evaluate faithfully are never silenced.\n`qsa rules CODE|NAME` prints one lint's documentation.\n",
        catalog.len()
    ));
    s
}

/// One lint: its documentation, then its facts.
pub fn render_one(l: &Lint) -> String {
    let mut s = l.doc.trim_end().to_string();
    s.push_str("\n\n## Facts\n\n");
    s.push_str(&format!(
        "- code: {}\n- name: {}\n- default severity: {}\n",
        l.code,
        l.name,
        severity(l)
    ));
    s.push_str(&format!(
        "- configurable: {}\n",
        if l.configurable {
            "yes (`--deny`, `--warn`, `--allow`, qsa.toml, `// qsa: allow(…)`)"
        } else {
            "no: it means qsa could not run or could not evaluate faithfully"
        }
    ));
    if !l.rules.is_empty() {
        s.push_str(&format!("- rules: {}\n", l.rules.join(", ")));
    }
    s
}

fn entry(l: &Lint) -> Value {
    json!({
        "code": l.code,
        "name": l.name,
        "severity": severity(l),
        "configurable": l.configurable,
        "summary": l.summary,
        "rules": l.rules,
        "doc": l.doc,
    })
}

/// `{"rules": [...]}` (every entry) or one entry.
pub fn render_json(lints: &[&Lint], one: bool) -> String {
    let v = if one {
        lints.first().map_or(Value::Null, |l| entry(l))
    } else {
        json!({ "rules": lints.iter().map(|l| entry(l)).collect::<Vec<_>>() })
    };
    let mut s = serde_json::to_string_pretty(&v).unwrap_or_default();
    s.push('\n');
    s
}
