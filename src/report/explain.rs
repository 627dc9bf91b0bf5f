//! Rendering `qsa explain` (human text and JSON). Produces strings; never prints.
//!
//! The human form reads top to bottom as the chain of reasons: the answer in one line, then (1) who the
//! user is, (2) the security rows that applied and the ones that nearly did, (3) the access level, (4) the
//! selections and omitted fields, (5) the row or value, with the link through which it is kept or dropped.
//! Rule ids are in brackets; script locations are `file:line:col` (or a data file's record).

use crate::reduce::explain::tenant::TenantStep;
use crate::reduce::explain::{
    headline, Answer, Check, Explanation, Failure, LinkWhy, RowAnswer, RowRef, RowWhy, SecRow,
    ValueAnswer,
};
use crate::report::users::dec_rules_block;
use std::fmt::Write;

/// The items joined with `, `, or `none`.
fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_string()
    } else {
        items.join(", ")
    }
}

fn rules(r: &[&str]) -> String {
    if r.is_empty() {
        String::new()
    } else {
        format!("  [{}]", r.join(", "))
    }
}

fn at(a: &str) -> String {
    if a.is_empty() {
        String::new()
    } else {
        format!("  ({a})")
    }
}

/// `TABLE row N  (where it came from)`.
fn row_label(table: &str, row: usize, at_: &str) -> String {
    format!("{table} row {row}{}", at(at_))
}

fn check_line(c: &Check) -> String {
    format!(
        "{} {} {}: {}{}",
        if c.ok { "ok" } else { "NO" },
        c.field,
        match c.value.as_deref() {
            None => "NULL".to_string(),
            Some(v) if v.trim_matches(' ').is_empty() => "(blank)".to_string(),
            Some(v) => format!("`{v}`"),
        },
        c.why,
        rules(&c.rules)
    )
}

fn link_name(l: &LinkWhy) -> String {
    format!(
        "{} = {}",
        l.fields.join("+"),
        l.value
            .as_deref()
            .map(|v| format!("`{v}`"))
            .unwrap_or_else(|| "NULL".into())
    )
}

/// A dropped row reached through a link: its one-line reason, then (when a link dropped it) the rows that
/// link found on its far side, one level deeper.
fn nested(out: &mut String, w: &RowWhy, indent: usize) {
    let pad = " ".repeat(indent);
    let _ = writeln!(
        out,
        "{pad}{}: {}",
        row_label(&w.table, w.row, &w.at),
        headline(w)
    );
    if let Some(Failure::Link(_, n)) = w.first_failure() {
        for d in &n.dropped {
            nested(out, d, indent + 2);
        }
        if n.dropped_not_shown > 0 {
            let _ = writeln!(
                out,
                "{pad}  … and {} more row(s) of {}",
                n.dropped_not_shown, n.table
            );
        }
    }
}

fn example(r: &Option<RowRef>) -> String {
    r.as_ref()
        .map(|r| {
            format!(
                " (e.g. row {}{})",
                r.row,
                if r.at.is_empty() {
                    String::new()
                } else {
                    format!(", {}", r.at)
                }
            )
        })
        .unwrap_or_default()
}

/// A row's own checks and every link, with each neighbour.
fn row_detail(out: &mut String, checks: &[Check], links: &[LinkWhy], indent: usize) {
    let pad = " ".repeat(indent);
    for c in checks {
        let _ = writeln!(out, "{pad}{}", check_line(c));
    }
    for l in links {
        let _ = writeln!(out, "{pad}link {}:", link_name(l));
        for n in &l.neighbours {
            let side = if let Some(sel) = &n.selection_in {
                format!("constrains it: the selection on {sel} lies on that side")
            } else if n.constrains {
                "constrains it: that side holds a selection".to_string()
            } else {
                "does not constrain it: no selection on that side (other than on the link field itself)"
                    .to_string()
            };
            let holds = if l.value.is_none() {
                "a NULL key matches no row".to_string()
            } else if n.rows_with_value == 0 {
                "no row holds the value (orphan key)".to_string()
            } else {
                format!(
                    "{} row(s) hold the value, {} kept{}",
                    n.rows_with_value,
                    n.kept_with_value,
                    example(&n.kept_example)
                )
            };
            let verdict = if n.blocks {
                "NO: this drops the row"
            } else {
                "ok"
            };
            let _ = writeln!(out, "{pad}  {verdict}: {} {side}; {holds}  [R4]", n.table);
            for d in &n.dropped {
                nested(out, d, indent + 4);
            }
            if n.blocks && n.dropped_not_shown > 0 {
                let _ = writeln!(
                    out,
                    "{pad}    … and {} more row(s) of {}",
                    n.dropped_not_shown, n.table
                );
            }
        }
    }
}

fn sec_row(out: &mut String, s: &SecRow) {
    let _ = writeln!(out, "     {}", row_label(&s.table, s.row, &s.at));
    let cells: Vec<String> = s
        .cells
        .iter()
        .map(|c| format!("{}={}", c.field, c.value))
        .collect();
    let _ = writeln!(out, "       {}", cells.join(", "));
    row_detail(out, &s.checks, &s.links, 7);
    for n in &s.notes {
        let _ = writeln!(out, "       note: {n}");
    }
}

fn row_answer(out: &mut String, a: &RowAnswer) {
    let _ = writeln!(
        out,
        "5. {} row {} of {}: {}{}",
        a.table,
        a.row,
        a.rows,
        a.verdict,
        at(&a.at)
    );
    let cells: Vec<String> = a
        .cells
        .iter()
        .map(|c| format!("{}={}", c.field, c.value))
        .collect();
    let _ = writeln!(out, "   {}", cells.join(", "));
    let _ = writeln!(out, "   {}{}", a.headline, rules(&a.rules));
    if let Some(w) = &a.why {
        if w.checks.is_empty() {
            let _ = writeln!(out, "   no selection on this table's own fields");
        }
        row_detail(out, &w.checks, &w.links, 3);
    }
    if !a.omitted.is_empty() {
        let _ = writeln!(
            out,
            "   omitted for this user (the row is shown without them): {}  [O1]",
            a.omitted.join(", ")
        );
    }
}

fn value_answer(out: &mut String, a: &ValueAnswer) {
    let _ = writeln!(
        out,
        "5. {} = `{}`: {}",
        a.field,
        a.value,
        if a.visible { "VISIBLE" } else { "NOT VISIBLE" }
    );
    let _ = writeln!(out, "   {}{}", a.headline, rules(&a.rules));
    if let Some(sel) = &a.selection {
        let _ = writeln!(out, "   selection of {}: {}", a.field, sel.join(", "));
    }
    for t in &a.tables {
        let _ = writeln!(
            out,
            "   {}: {} row(s) hold it, {} kept{}",
            t.table,
            t.rows_with_value,
            t.kept_with_value,
            example(&t.kept_example)
        );
        for d in &t.dropped {
            nested(out, d, 5);
        }
        if t.dropped_not_shown > 0 {
            let _ = writeln!(
                out,
                "     … and {} more dropped row(s)",
                t.dropped_not_shown
            );
        }
    }
}

/// `qsa explain` (human).
pub fn render_human(e: &Explanation) -> String {
    let mut out = String::new();
    let w = &e.who;
    let subject = match &e.answer {
        Answer::Row(a) => format!("{} row {}", a.table, a.row),
        Answer::Value(a) => format!("{} = `{}`", a.field, a.value),
    };
    let _ = writeln!(
        out,
        "explain: user {}{}{}, {subject}",
        w.id,
        w.email
            .as_deref()
            .map(|m| format!(" <{m}>"))
            .unwrap_or_default(),
        w.name
            .as_deref()
            .map(|n| format!(" ({n})"))
            .unwrap_or_default()
    );
    let answer = match &e.answer {
        Answer::Row(a) => &a.headline,
        Answer::Value(a) => &a.headline,
    };
    let _ = writeln!(out, "access:  {}", e.access.headline);
    let _ = writeln!(out, "answer:  {answer}");

    let _ = writeln!(out, "\n1. who");
    let _ = writeln!(out, "   status: {}", w.status);
    let _ = writeln!(
        out,
        "   target: {}; group mode {} ({}){}",
        w.target,
        w.group_mode,
        if w.group_mode_set {
            "QlikCloudGroupMode at the end of the script"
        } else {
            "QlikCloudGroupMode is not set: the default"
        },
        rules(&["S7"])
    );
    for c in &w.compared {
        let vals = if c.values.is_empty() {
            "(none)".to_string()
        } else {
            c.values.join(", ")
        };
        let _ = writeln!(
            out,
            "   {}: {vals}  ({}){}",
            c.field,
            c.note,
            rules(&c.rules)
        );
    }
    if w.groups.is_empty() {
        let _ = writeln!(out, "   groups held: none");
    } else {
        let _ = writeln!(out, "   groups held:");
        for g in &w.groups {
            let _ = writeln!(
                out,
                "     {} ({}): {}",
                g.name,
                g.provider,
                if g.counts {
                    "counts"
                } else {
                    "does not count under this group mode"
                }
            );
        }
    }

    for c in &w.collisions {
        let _ = writeln!(out, "   {c}  [I6]");
    }

    let s = &e.security;
    let _ = writeln!(
        out,
        "\n2. security rows ({} row(s) in {})",
        s.rows,
        if s.tables.is_empty() {
            "no table: the script loads no Section Access".to_string()
        } else {
            s.tables.join(", ")
        }
    );
    if let Some(why) = &s.skipped {
        let _ = writeln!(out, "   {why}");
    } else if !s.tables.is_empty() {
        let _ = writeln!(out, "   applied ({}):", s.applied.len());
        if s.applied.is_empty() {
            let _ = writeln!(out, "     (none)");
        }
        for r in &s.applied {
            sec_row(&mut out, r);
        }
        if !s.near.is_empty() {
            let _ = writeln!(
                out,
                "   did not apply, though they name the user or fail only on a blank cell or a link ({}):",
                s.near.len()
            );
            for r in &s.near {
                sec_row(&mut out, r);
            }
        }
        if !s.others.is_empty() {
            let _ = writeln!(out, "   other rows, not listed:");
            for o in &s.others {
                let _ = writeln!(out, "     {} row(s): {}", o.rows, o.reason);
            }
        }
    }

    let a = &e.access;
    let _ = writeln!(out, "\n3. access: {}{}", a.headline, rules(&a.rules));
    for d in &a.detail {
        let _ = writeln!(out, "   {d}");
    }

    if e.selections.is_empty() && e.omit.from.is_empty() {
        let _ = writeln!(
            out,
            "\n4. selections: none{}",
            if e.access.access == crate::reduce::Access::Denied {
                " (the user is denied before any reduction)"
            } else {
                " (no reduction field on the applied rows)"
            }
        );
    } else {
        let _ = writeln!(out, "\n4. selections");
        for f in &e.selections {
            let shown = match &f.selection {
                Some(v) => v.join(", "),
                None => format!("({})", f.status),
            };
            let _ = writeln!(out, "   {}: {shown}{}", f.field, rules(&f.rules));
            let _ = writeln!(out, "     {}", f.note);
            for c in &f.from {
                let gives = if c.cell == "*" {
                    format!(
                        "`*`: every value listed in the column: {}",
                        c.gives.join(", ")
                    )
                } else if c.gives.is_empty() {
                    "blank: grants nothing".to_string()
                } else {
                    format!("`{}`", c.cell)
                };
                let _ = writeln!(
                    out,
                    "     from {}: {gives}  [{}]",
                    row_label(&c.table, c.row, &c.at),
                    c.rule
                );
            }
            if !f.not_in_data.is_empty() {
                let _ = writeln!(
                    out,
                    "     not in the app data (strict exclusion drops them): {}  [R2]",
                    f.not_in_data.join(", ")
                );
            }
        }
        if let Some(x) = &e.cross_product {
            let listed: Vec<String> = x
                .listed
                .iter()
                .map(|c| format!("({})", c.join(", ")))
                .collect();
            let _ = writeln!(
                out,
                "   {}: the selections apply together, OR within a field and AND across fields, so every combination of the selected values is granted ({}){}{}",
                x.fields.join(" × "),
                x.granted,
                if listed.is_empty() {
                    String::new()
                } else {
                    format!("; the applied rows list {}", listed.join(", "))
                },
                rules(&["R3"])
            );
        }
        let o = &e.omit;
        let _ = writeln!(
            out,
            "   omitted fields: {}{}",
            list_or_none(&o.omitted),
            rules(&["O1"])
        );
        for c in o.from.iter().filter(|c| !c.gives.is_empty()) {
            let _ = writeln!(
                out,
                "     from {}: `{}` omits {}",
                row_label(&c.table, c.row, &c.at),
                c.cell,
                c.gives.join(", ")
            );
        }
        if !o.no_such_field.is_empty() {
            let _ = writeln!(
                out,
                "     OMIT names no app field {}: it omits nothing",
                o.no_such_field.join(", ")
            );
        }
    }

    out.push('\n');
    match &e.answer {
        Answer::Row(a) => row_answer(&mut out, a),
        Answer::Value(a) => value_answer(&mut out, a),
    }

    out.push_str(&dec_rules_block(&e.dec_rules));
    out
}

/// `qsa explain --format json`: `{"schema": "qsa.explain/1", …}`.
pub fn render_json(e: &Explanation) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        schema: &'static str,
        #[serde(flatten)]
        explanation: &'a Explanation,
    }
    let mut s = serde_json::to_string_pretty(&Doc {
        schema: "qsa.explain/1",
        explanation: e,
    })
    .unwrap_or_default();
    s.push('\n');
    s
}

/// Step 0 of `qsa explain --tenant` (tenant.md), three spaces deep: the tenant tier, the T15 denial and
/// what Section Access alone gives, the tenant's [dec] rules.
fn tenant_step(out: &mut String, t: &TenantStep) {
    let _ = writeln!(out, "\n0. tenant tier: {}", t.headline);
    out.push_str(&super::tenant::render_tier(&t.app, &t.user, "   "));
    if let Some(sa) = &t.section_access_alone {
        let reduction: Vec<String> = sa
            .reduction
            .iter()
            .map(|(f, v)| match v {
                None => format!("{f} not reduced"),
                Some(v) => format!("{f}: {}", v.join(", ")),
            })
            .collect();
        let mut gives = sa.access.to_string();
        if !reduction.is_empty() {
            gives.push_str(&format!(" ({})", reduction.join("; ")));
        }
        if !sa.omitted_fields.is_empty() {
            gives.push_str(&format!(", omitting {}", sa.omitted_fields.join(", ")));
        }
        let _ = writeln!(
            out,
            "   Section Access alone would give {gives}; the user gets none of it  [T15]"
        );
    }
    for r in &t.rules {
        let _ = writeln!(
            out,
            "   depends on {r} [dec]: {}",
            crate::report::users::rule_text(r)
        );
    }
}

/// `qsa explain --tenant` (human): the chain starts at the tenant tier (step 0); then, when a row or a
/// value is asked about, the Section Access chain as [`render_human`] prints it (of Section Access alone:
/// when the tenant denies the user, the header says so).
pub fn render_human_tenant(t: &TenantStep, e: Option<&Explanation>) -> String {
    let mut out = String::new();
    let Some(e) = e else {
        let _ = writeln!(
            out,
            "explain: user {} (id {}), opening app {}",
            t.user.subject, t.user.qlik_id, t.app.app.name
        );
        let _ = writeln!(
            out,
            "answer:  {}",
            if t.user.open.can {
                "yes, the user opens the app"
            } else {
                "no, the user cannot open the app (DENIED, T15)"
            }
        );
        tenant_step(&mut out, t);
        return out;
    };
    let sa = render_human(e);
    let (head, chain) = sa.split_once("\n1. who").unwrap_or((sa.as_str(), ""));
    for line in head.trim_end_matches('\n').lines() {
        let denied = t.denied_reason.is_some();
        if let (true, Some(rest)) = (denied, line.strip_prefix("access:  ")) {
            let _ = writeln!(
                out,
                "access:  DENIED by the tenant  [T15] (Section Access alone: {rest})"
            );
        } else if let (true, Some(rest)) = (denied, line.strip_prefix("answer:  ")) {
            let _ = writeln!(
                out,
                "answer:  the user sees nothing: the tenant denies them (Section Access alone: {rest})"
            );
        } else {
            let _ = writeln!(out, "{line}");
        }
    }
    tenant_step(&mut out, t);
    if t.denied_reason.is_some() {
        out.push_str("\nSection Access alone, step by step:\n");
    }
    let _ = write!(out, "\n1. who{chain}");
    out
}

/// `qsa explain --tenant --format json`: `{"schema": "qsa.explain/1", "tenant": {…}, …}`, the Section
/// Access explanation's keys only when a row or a value is asked about.
pub fn render_json_tenant(t: &TenantStep, e: Option<&Explanation>) -> String {
    #[derive(serde::Serialize)]
    struct Doc<'a> {
        schema: &'static str,
        tenant: &'a TenantStep,
        #[serde(flatten)]
        explanation: Option<&'a Explanation>,
    }
    let mut s = serde_json::to_string_pretty(&Doc {
        schema: "qsa.explain/1",
        tenant: t,
        explanation: e,
    })
    .unwrap_or_default();
    s.push('\n');
    s
}
