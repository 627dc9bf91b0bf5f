//! Lints read from the security rows themselves (issue 11 items 15, 18, 21, 22), beside
//! [`SecurityModel::lints`]: pure functions of the security tables, the security model and the app
//! engine, returning located diagnostics. None of them changes what a user is evaluated to see.
//!
//! - QSA226 duplicate rows (S4, S5): two rows of one table with the same cells as Qlik stores them.
//! - QSA227 contradicting rows (L2): two rows equal in every cell but ACCESS.
//! - QSA228 numeric text (R2): a security value and an app value that are the same number written
//!   differently (`01` / `1`); matching is by exact text.
//! - QSA229 everyone, everything (I1, R1): a row with `*` in every identity column and `*` in every
//!   reduction column.
//! - QSA230 empty security table (L1, S2): a security table with no rows.

use super::model::{is_blank, row_origin, SecurityModel, ACCESS, OMIT};
use crate::diag::{codes, Diagnostic, SourceId, Span};
use crate::model::engine::Engine;
use crate::model::{DataModel, Table};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Every lint of this module.
pub fn lints(sec: &SecurityModel, security: &DataModel, app: &Engine) -> Vec<Diagnostic> {
    let mut out = vec![];
    for t in &security.tables {
        out.extend(duplicate_rows(t));
        out.extend(contradicting_rows(t));
        out.extend(everyone_everything(sec, t));
    }
    out.extend(numeric_text(sec, security, app));
    out.extend(empty_tables(security));
    out
}

/// A cell as Qlik stores it (S4 upper-casing and S5 trimming are already applied by the loader); a
/// blank cell (NULL or spaces) is one value, the empty text.
fn cell(t: &Table, col: usize, row: usize) -> String {
    let v = t.cell(col, row);
    let s = v.text_or_empty();
    if is_blank(Some(&s)) {
        String::new()
    } else {
        s.into_owned()
    }
}

fn at(d: Diagnostic, o: Option<(SourceId, Span)>, label: &str) -> Diagnostic {
    match o {
        Some((s, sp)) => d.at(s, sp, label),
        None => d,
    }
}

/// A secondary label, unless the place is already labelled (rows read from a file all point at their
/// load).
fn also(d: Diagnostic, o: Option<(SourceId, Span)>, label: &str) -> Diagnostic {
    match o {
        Some((s, sp))
            if !d
                .primary
                .iter()
                .chain(&d.secondary)
                .any(|l| l.source == s && l.span == sp) =>
        {
            d.with_secondary(s, sp, label)
        }
        _ => d,
    }
}

/// Rows of `t` grouped by their cells in `cols`, each group in row order, groups in order of their
/// first row; only groups of two or more rows.
fn groups(t: &Table, cols: &[usize]) -> Vec<Vec<usize>> {
    let mut index: HashMap<Vec<String>, usize> = HashMap::new();
    let mut out: Vec<Vec<usize>> = vec![];
    for r in 0..t.row_count() {
        let key: Vec<String> = cols.iter().map(|&c| cell(t, c, r)).collect();
        match index.get(&key) {
            Some(&g) => out[g].push(r),
            None => {
                index.insert(key, out.len());
                out.push(vec![r]);
            }
        }
    }
    out.retain(|g| g.len() > 1);
    out
}

fn row_text(t: &Table, r: usize) -> String {
    t.fields
        .iter()
        .enumerate()
        .map(|(c, f)| {
            let v = cell(t, c, r);
            format!("{f}={}", if v.is_empty() { "(blank)" } else { &v })
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// QSA226 (S4, S5): rows of one security table identical in every cell as Qlik stores them. The
/// repeat adds nothing; often a copy-paste that was meant to be edited.
fn duplicate_rows(t: &Table) -> Vec<Diagnostic> {
    let cols: Vec<usize> = (0..t.fields.len()).collect();
    groups(t, &cols)
        .into_iter()
        .map(|g| {
            let first = g[0];
            let d = Diagnostic::warning(
                codes::SA_DUPLICATE_ROW,
                format!(
                    "{} rows of `{}` are identical after Qlik's upper-casing and trimming (rows {}: {}): the repeats add nothing",
                    g.len(),
                    t.name,
                    g.iter().map(|r| (r + 1).to_string()).collect::<Vec<_>>().join(", "),
                    row_text(t, first)
                ),
            )
            .with_help("delete the repeated row, or change it to the identity or values it was meant for")
            .with_rule("S4")
            .with_rule("S5");
            let mut d = at(d, row_origin(t, g[1]), "repeated here");
            d = also(d, row_origin(t, first), "first listed here");
            for &r in &g[2..] {
                d = also(d, row_origin(t, r), "repeated again here");
            }
            d
        })
        .collect()
}

/// QSA227 (L2): rows of one security table equal in every cell but ACCESS (the same identity, the same
/// reduction and OMIT values) with different ACCESS values. Qlik combines them (qsa: ADMIN wins, L2
/// [dec]), so one of them is dead and the script says two things about the same access.
fn contradicting_rows(t: &Table) -> Vec<Diagnostic> {
    let Some(ac) = t.field_index(ACCESS) else {
        return vec![];
    };
    let cols: Vec<usize> = (0..t.fields.len()).filter(|&c| c != ac).collect();
    if cols.is_empty() {
        return vec![];
    }
    let mut out = vec![];
    for g in groups(t, &cols) {
        // The first row of each distinct ACCESS value.
        let mut firsts: BTreeMap<String, usize> = BTreeMap::new();
        for &r in &g {
            firsts.entry(cell(t, ac, r)).or_insert(r);
        }
        if firsts.len() < 2 {
            continue;
        }
        let mut rows: Vec<(usize, &String)> = firsts.iter().map(|(a, &r)| (r, a)).collect();
        rows.sort();
        let (first, first_access) = rows[0];
        let others = rows[1..]
            .iter()
            .map(|(r, a)| format!("row {} says `{a}`", r + 1))
            .collect::<Vec<_>>()
            .join(", ");
        let rest: Vec<String> = cols
            .iter()
            .map(|&c| {
                let v = cell(t, c, first);
                format!(
                    "{}={}",
                    t.fields[c],
                    if v.is_empty() { "(blank)" } else { &v }
                )
            })
            .collect();
        let d = Diagnostic::warning(
            codes::SA_CONTRADICTING_ROWS,
            format!(
                "rows of `{}` with the same cells ({}) disagree on ACCESS: row {} says `{first_access}`, {others}; the rows add up (ADMIN wins, L2 [dec]), so one of them is dead",
                t.name,
                rest.join(", "),
                first + 1
            ),
        )
        .with_help("keep the one row with the ACCESS you mean and delete the other")
        .with_rule("L2");
        let mut d = at(d, row_origin(t, rows[1].0), "contradicts the first row");
        d = also(d, row_origin(t, first), &format!("`{first_access}` here"));
        for (r, a) in &rows[2..] {
            d = also(d, row_origin(t, *r), &format!("`{a}` here"));
        }
        out.push(d);
    }
    out
}

/// QSA229 (I1, R1): a row with a valid ACCESS, `*` in every identity column of its table and `*` in
/// every reduction column of the model (or, on an ADMIN row, `*` or blank: an ADMIN's blank cell leaves
/// the field unreduced, R2): every user who can open the app, listed or not, gets every value the
/// columns list.
fn everyone_everything(sec: &SecurityModel, t: &Table) -> Vec<Diagnostic> {
    let Some(ac) = t.field_index(ACCESS) else {
        return vec![];
    };
    let ids: Vec<usize> = sec
        .identities
        .iter()
        .filter_map(|(id, _)| t.field_index(id.field()))
        .collect();
    if ids.is_empty() {
        return vec![];
    }
    // Every reduction field of the model must be in this table: otherwise other tables decide (A3).
    let mut reds = vec![];
    for r in sec.reductions.iter().filter(|r| r.linked) {
        match t.field_index(&r.name) {
            Some(c) => reds.push((c, r.name.as_str())),
            None => return vec![],
        }
    }
    let mut out = vec![];
    for row in 0..t.row_count() {
        let access = cell(t, ac, row);
        if access != "ADMIN" && access != "USER" {
            continue;
        }
        if !ids.iter().all(|&c| cell(t, c, row) == "*") {
            continue;
        }
        let all = reds.iter().all(|(c, _)| {
            let v = cell(t, *c, row);
            v == "*" || (access == "ADMIN" && v.is_empty())
        });
        if !all {
            continue;
        }
        let id_names: Vec<&str> = ids.iter().map(|&c| t.fields[c].as_str()).collect();
        let what = if reds.is_empty() {
            "all data (the model has no reduction field)".to_string()
        } else {
            format!(
                "every value listed in {}",
                reds.iter()
                    .map(|(_, n)| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let omit = t
            .field_index(OMIT)
            .map(|c| cell(t, c, row))
            .filter(|v| !v.is_empty());
        let d = Diagnostic::warning(
            codes::SA_EVERYONE_EVERYTHING,
            format!(
                "row {} of `{}` grants {access} to every user (`*` in {}) with {what}{}: anyone who can open the app, listed or not, gets it",
                row + 1,
                t.name,
                id_names.join(", "),
                omit.map(|o| format!(" (OMIT `{o}`)")).unwrap_or_default()
            ),
        )
        .with_help("list the identities (USERID, GROUP) the row is for; if the app is meant for everyone, say so with `// qsa: allow(everyone-everything)` on the line above the load")
        .with_rule("I1")
        .with_rule("R1");
        out.push(at(d, row_origin(t, row), "every user, every value"));
    }
    out
}

/// A number as a map key, with -0 as 0.
fn num_key(n: f64) -> u64 {
    if n == 0.0 {
        0f64.to_bits()
    } else {
        n.to_bits()
    }
}

/// The number a text reads as (plain decimal notation, as the loader reads it).
fn number_of(text: &str) -> Option<u64> {
    crate::model::value::parse_number(text).map(num_key)
}

/// QSA228 (R2): security values of a reduction field missing from the app field (exact text) whose
/// number is held by app values written differently (`01` in Section Access, `1` in the data, or the
/// reverse). One finding per field, naming the pairs, located at the first row holding such a value.
fn numeric_text(sec: &SecurityModel, security: &DataModel, app: &Engine) -> Vec<Diagnostic> {
    let mut out = vec![];
    for r in sec.reductions.iter().filter(|r| r.linked) {
        let Some(af) = app.field_id(&r.name) else {
            continue;
        };
        let field = &app.fields[af];
        // Security values not in the data, by their number.
        let mut wanted: BTreeMap<&str, u64> = BTreeMap::new();
        for v in &r.star {
            if field.symbol(v).is_none() {
                if let Some(n) = number_of(v.trim_matches(' ')) {
                    wanted.insert(v, n);
                }
            }
        }
        if wanted.is_empty() {
            continue;
        }
        let numbers: BTreeSet<u64> = wanted.values().copied().collect();
        let mut app_texts: HashMap<u64, BTreeSet<String>> = HashMap::new();
        for v in &field.values {
            let text = v.text_or_empty();
            let Some(n) = v.as_num().map(num_key) else {
                continue;
            };
            if numbers.contains(&n) {
                let set = app_texts.entry(n).or_default();
                if set.len() < 3 {
                    set.insert(text.into_owned());
                }
            }
        }
        let pairs: Vec<(&str, &BTreeSet<String>)> = wanted
            .iter()
            .filter_map(|(v, n)| app_texts.get(n).map(|a| (*v, a)))
            .collect();
        let Some(&(first, _)) = pairs.first() else {
            continue;
        };
        let shown: Vec<String> = pairs
            .iter()
            .take(10)
            .map(|(v, a)| {
                format!(
                    "`{v}` (data: {})",
                    a.iter()
                        .map(|x| format!("`{x}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
            .collect();
        let d = Diagnostic::warning(
            codes::SA_NUMERIC_TEXT,
            format!(
                "{} value(s) of `{}` in Section Access are numbers the app field writes differently: {}{}; values match by exact text, so these select nothing",
                pairs.len(),
                r.name,
                shown.join(", "),
                if pairs.len() > 10 { ", …" } else { "" }
            ),
        )
        .with_help("write the value exactly as the app field does (or format both sides the same way, e.g. Text(Num(x, '00')) in the loads)")
        .with_rule("R2");
        out.push(at(d, first_row_with(security, &r.name, first), ""));
    }
    out
}

/// Where the first security row holding `value` in field `field` comes from.
fn first_row_with(security: &DataModel, field: &str, value: &str) -> Option<(SourceId, Span)> {
    security.tables.iter().find_map(|t| {
        let c = t.field_index(field)?;
        let r = (0..t.row_count()).find(|&r| cell(t, c, r) == value)?;
        row_origin(t, r)
    })
}

/// QSA230 (L1, S2): a security table with no rows. When every security table is empty no row applies
/// to anyone and every user is denied (L1): an error, the app locks everyone out. Otherwise a warning:
/// the table grants nothing and links nothing. A Section Access whose tables were all dropped is
/// QSA216's (qsa refuses); this lint is about tables that exist without rows.
fn empty_tables(security: &DataModel) -> Vec<Diagnostic> {
    let all_empty = security.tables.iter().all(|t| t.row_count() == 0);
    security
        .tables
        .iter()
        .filter(|t| t.row_count() == 0)
        .map(|t| {
            let d = if all_empty {
                Diagnostic::error(
                    codes::SA_EMPTY_TABLE,
                    format!(
                        "security table `{}` has no rows and no other security table has any: no row applies to anyone, every user is denied (lock-out)",
                        t.name
                    ),
                )
            } else {
                Diagnostic::warning(
                    codes::SA_EMPTY_TABLE,
                    format!(
                        "security table `{}` has no rows: it grants nothing to anyone",
                        t.name
                    ),
                )
            };
            let d = d
                .with_help("check what the load reads (the file, the WHERE clause, the RESIDENT table): Section Access needs at least the ADMIN rows")
                .with_rule("L1")
                .with_rule("S2");
            at(d, t.source, "loaded empty here")
        })
        .collect()
}
