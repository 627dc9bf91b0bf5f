//! Lints of the security model added by issue 11 (QSA218–QSA224), beside [`SecurityModel::lints`]: pure
//! functions of the run and the security model, each returning located diagnostics.
//!
//! - QSA218 (S2, A2, A3): app data loaded while the script is in `Section Access`.
//! - QSA219 (R2, S4): lower-case values in an app field Section Access reduces.
//! - QSA220 (R1): `*` in a reduction field while the app holds values the column never lists.
//! - QSA221 / QSA222 (S7, I6): GROUP with `QlikCloudGroupMode` unset (cloud); the variable set for a
//!   client-managed target.
//! - QSA223 (A1): an app field named like a Section Access system field.
//! - QSA224: `Star is` in force while the application section loads.

use super::model::{is_blank, row_origin, SecurityModel};
use super::Target;
use crate::diag::{codes, Diagnostic, SourceId, Span};
use crate::model::engine::Engine;
use crate::model::{DataModel, Table};
use crate::script::{RunResult, StarInApp, GROUP_MODE_VARIABLE, SYSTEM_FIELDS};
use std::collections::{BTreeMap, BTreeSet};

/// How many values a message names before "… and N more".
const SHOWN: usize = 8;

/// `` `A`, `B`, … (and 3 more) `` of sorted values.
fn name_values(values: &[&str]) -> String {
    let mut s = values
        .iter()
        .take(SHOWN)
        .map(|v| format!("`{v}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if values.len() > SHOWN {
        s.push_str(&format!(" and {} more", values.len() - SHOWN));
    }
    s
}

fn at(d: Diagnostic, loc: Option<(SourceId, Span)>, label: &str) -> Diagnostic {
    match loc {
        Some((s, sp)) => d.at(s, sp, label),
        None => d,
    }
}

/// The first table of `model` holding `field`.
fn first_table<'a>(model: &'a DataModel, field: &str) -> Option<&'a Table> {
    model.tables.iter().find(|t| t.field_index(field).is_some())
}

/// The distinct non-blank texts of a field in the app engine, sorted.
fn app_texts(app_engine: &Engine, field: &str) -> Vec<String> {
    let Some(f) = app_engine.field_id(field) else {
        return vec![];
    };
    let set: BTreeSet<String> = app_engine.fields[f]
        .values
        .iter()
        .filter_map(|v| v.text().map(|t| t.into_owned()))
        .filter(|t| !is_blank(Some(t)))
        .collect();
    set.into_iter().collect()
}

/// Every lint of this module, for a run with Section Access. `app_fields`: every field of the app tables
/// (the set `reduce::prepare` builds once). `mode_valid`: `QlikCloudGroupMode` holds 0, 1 or 2 (S7; an
/// invalid value is QSA211's).
pub fn lints(
    sec: &SecurityModel,
    run: &RunResult,
    app_engine: &Engine,
    app_fields: &BTreeSet<String>,
    mode_valid: bool,
) -> Vec<Diagnostic> {
    if run.security.tables.is_empty() {
        return vec![];
    }
    let mut out = app_tables_in_access(&run.security, app_fields, run.access_seen);
    out.extend(lowercase_app_values(
        sec,
        &run.security,
        &run.app,
        app_engine,
    ));
    out.extend(star_misses_values(sec, &run.security, app_engine));
    out.extend(group_mode(sec, run, mode_valid));
    out.extend(system_fields_in_app(&run.app));
    out.extend(star_in_application(&run.star_in_app, &run.app));
    out
}

/// QSA218 (S2, A2, A3): a security table with no system field (ACCESS, USERID, USER.EMAIL, GROUP, OMIT,
/// …) that either shares no field with another security table or has a field that is neither an app
/// field nor shared with another security table. A bridge table of the security model (`KEY, REGION`
/// beside `ACCESS, USERID, KEY`) is quiet: each of its fields links to the app or to another security
/// table.
pub fn app_tables_in_access(
    security: &DataModel,
    app_fields: &BTreeSet<String>,
    access_seen: Option<(SourceId, Span)>,
) -> Vec<Diagnostic> {
    let mut out = vec![];
    for (ti, t) in security.tables.iter().enumerate() {
        if t.fields.iter().any(|f| SYSTEM_FIELDS.contains(&f.as_str())) {
            continue;
        }
        let shared = |f: &String| {
            security
                .tables
                .iter()
                .enumerate()
                .any(|(j, u)| j != ti && u.field_index(f).is_some())
        };
        let stray: Vec<&str> = t
            .fields
            .iter()
            .filter(|f| !app_fields.contains(*f) && !shared(f))
            .map(String::as_str)
            .collect();
        let isolated = !t.fields.iter().any(shared);
        if stray.is_empty() && !isolated {
            continue;
        }
        let mut why = vec![];
        if !stray.is_empty() {
            why.push(format!(
                "it has field(s) that exist nowhere in the app nor in another security table: {}",
                name_values(&stray)
            ));
        }
        if isolated {
            why.push(
                "it shares no field with another security table, so no identity selects its rows"
                    .to_string(),
            );
        }
        let mut d = Diagnostic::warning(
            codes::SA_APP_TABLE_IN_ACCESS,
            format!(
                "table `{}` is loaded in Section Access but holds no Section Access system field (ACCESS, USERID, USER.EMAIL, GROUP, OMIT): it is part of the security model, hidden from the app, and its fields are reduction fields or links between security tables; {}",
                t.name,
                why.join("; ")
            ),
        )
        .with_help("end the security tables with `Section Application;` before loading app data")
        .with_rule("S2")
        .with_rule("A2")
        .with_rule("A3");
        d = at(d, t.source, "loaded in Section Access");
        if let Some((s, sp)) = access_seen {
            d = d.with_secondary(s, sp, "Section Access starts here");
        }
        out.push(d);
    }
    out
}

/// QSA219 (R2, S4): app values of a linked reduction field with lower-case letters that no security row
/// lists exactly.
pub fn lowercase_app_values(
    sec: &SecurityModel,
    security: &DataModel,
    app: &DataModel,
    app_engine: &Engine,
) -> Vec<Diagnostic> {
    let mut out = vec![];
    for r in sec.reductions.iter().filter(|r| r.linked) {
        let listed: BTreeSet<&str> = r.star.iter().map(String::as_str).collect();
        let texts = app_texts(app_engine, &r.name);
        let lower: Vec<&str> = texts
            .iter()
            .map(String::as_str)
            .filter(|t| t.chars().any(char::is_lowercase) && !listed.contains(t))
            .collect();
        if lower.is_empty() {
            continue;
        }
        let table = first_table(app, &r.name);
        let mut d = Diagnostic::warning(
            codes::SA_LOWERCASE_APP_VALUES,
            format!(
                "app field `{}`, which Section Access reduces, holds {} value(s) with lower-case letters that no security row lists: {}; Section Access values are upper case and matched exactly, so no row can select them and every user reduced on `{}` loses these rows",
                r.name,
                lower.len(),
                name_values(&lower),
                r.name
            ),
        )
        .with_help(format!(
            "upper-case the field where the app loads it (`Upper(…) AS {}`)",
            r.name
        ))
        .with_rule("R2")
        .with_rule("S4");
        d = at(
            d,
            table.and_then(|t| t.source),
            &format!("`{}` loaded here", r.name),
        );
        if let Some((s, sp)) = first_table(security, &r.name).and_then(|t| t.source) {
            d = d.with_secondary(s, sp, "reduced by this security table");
        }
        out.push(d);
    }
    out
}

/// QSA220 (R1): a linked reduction field with `*` on some row, whose app field holds values the column
/// never lists.
pub fn star_misses_values(
    sec: &SecurityModel,
    security: &DataModel,
    app_engine: &Engine,
) -> Vec<Diagnostic> {
    let mut out = vec![];
    for r in sec.reductions.iter().filter(|r| r.linked) {
        let star_row = security.tables.iter().find_map(|t| {
            let c = t.field_index(&r.name)?;
            (0..t.row_count())
                .find(|&row| t.cell(c, row).text().as_deref() == Some("*"))
                .map(|row| (t, row))
        });
        let Some((t, row)) = star_row else { continue };
        let listed: BTreeSet<&str> = r.star.iter().map(String::as_str).collect();
        let texts = app_texts(app_engine, &r.name);
        let unlisted: Vec<&str> = texts
            .iter()
            .map(String::as_str)
            .filter(|v| !listed.contains(v))
            .collect();
        if unlisted.is_empty() {
            continue;
        }
        if r.star.is_empty() {
            // R1 + R2: `*` stands for nothing here, so it selects nothing.
            let d = Diagnostic::warning(
                codes::SA_STAR_MISSES_VALUES,
                format!(
                    "`*` in `{}` stands for the values listed in that column, and it lists none: `*` selects nothing, so a USER granted only `*` is denied (strict exclusion) and an ADMIN is not reduced",
                    r.name
                ),
            )
            .with_help(format!(
                "list the values in the `{}` column, or leave the cell blank for an ADMIN who sees everything",
                r.name
            ))
            .with_rule("R1")
            .with_rule("R2");
            out.push(at(d, row_origin(t, row), "`*` here"));
            continue;
        }
        let d = Diagnostic::warning(
            codes::SA_STAR_MISSES_VALUES,
            format!(
                "`*` in `{}` stands for the {} value(s) listed in that column, not for all data: users granted `*` do not see {} app value(s): {}",
                r.name,
                r.star.len(),
                unlisted.len(),
                name_values(&unlisted)
            ),
        )
        .with_help(format!(
            "list every value `*` should cover in the `{}` column (one row each), or reduce by an explicit value such as `ALL` that the app links to every row",
            r.name
        ))
        .with_rule("R1");
        out.push(at(d, row_origin(t, row), "`*` here"));
    }
    out
}

/// QSA221 / QSA222 (S7, I6).
pub fn group_mode(sec: &SecurityModel, run: &RunResult, mode_valid: bool) -> Vec<Diagnostic> {
    let has_group = sec
        .identities
        .iter()
        .any(|(id, _)| *id == super::model::Identity::Group);
    match sec.target {
        Target::Cloud if has_group && !sec.mode_set && !sec.group_values.is_empty() => {
            let values: Vec<&str> = sec.group_values.iter().map(String::as_str).collect();
            let d = Diagnostic::info(
                codes::SA_GROUP_MODE_UNSET,
                format!(
                    "`{GROUP_MODE_VARIABLE}` is not set, so it is 0: GROUP ({}) is compared with the names of the users' IdP groups only; custom groups created in the tenant never match",
                    name_values(&values)
                ),
            )
            .with_help(format!(
                "say which groups are meant: `SET {GROUP_MODE_VARIABLE} = 0;` (IdP groups), 1 (custom groups) or 2 (both)"
            ))
            .with_rule("S7")
            .with_rule("I6");
            let loc = first_table(&run.security, super::model::GROUP).and_then(|t| t.source);
            vec![at(d, loc, "GROUP loaded here")]
        }
        Target::ClientManaged if mode_valid && run.variables.contains_key(GROUP_MODE_VARIABLE) => {
            let d = Diagnostic::info(
                codes::SA_GROUP_MODE_NO_EFFECT,
                format!(
                    "`{GROUP_MODE_VARIABLE}` is set, but the target is client-managed: GROUP is compared with the user's directory groups and the variable has no effect"
                ),
            )
            .with_help("keep it only if the same script also runs in Qlik Cloud")
            .with_rule("S7")
            .with_rule("I6");
            vec![at(d, run.group_mode_at, "set here")]
        }
        _ => vec![],
    }
}

/// QSA223 (A1): app fields named like a Section Access system field (exact name), one finding per name,
/// at the first app table holding it.
pub fn system_fields_in_app(app: &DataModel) -> Vec<Diagnostic> {
    let mut first: BTreeMap<&str, &Table> = BTreeMap::new();
    for t in &app.tables {
        for f in &t.fields {
            if let Some(sys) = SYSTEM_FIELDS.iter().find(|s| **s == f.as_str()) {
                first.entry(sys).or_insert(t);
            }
        }
    }
    first
        .into_iter()
        .map(|(f, t)| {
            let d = Diagnostic::warning(
                codes::SA_SYSTEM_FIELD_IN_APP,
                format!(
                    "app table `{}` has a field named `{f}`, the name of a Section Access system field: Qlik advises against system field names in the app data, what the engine does with such a field is not documented, and qsa does not reduce it [dec]",
                    t.name
                ),
            )
            .with_help(format!(
                "rename the app field (e.g. `{f} AS APP_{}`)",
                f.replace('.', "_")
            ))
            .with_rule("A1");
            at(d, t.source, "loaded here")
        })
        .collect()
}

/// QSA224: a `Star is` symbol in force while app tables loaded. Info when those tables do not hold the
/// symbol as a value; warning when they do (it then stands for every value of its field). When a
/// reduction field or a key field of a reduced table holds it, [`star_refusals`] refuses instead.
pub fn star_in_application(uses: &[StarInApp], app: &DataModel) -> Vec<Diagnostic> {
    let mut out = vec![];
    for u in uses {
        let mut holding: BTreeSet<String> = BTreeSet::new();
        for t in app.tables.iter().filter(|t| u.tables.contains(&t.name)) {
            for (ci, f) in t.fields.iter().enumerate() {
                let has = t.columns.get(ci).is_some_and(|c| {
                    c.used_values()
                        .iter()
                        .any(|v| v.text().as_deref() == Some(u.symbol.as_str()))
                });
                if has {
                    holding.insert(format!("`{f}`"));
                }
            }
        }
        let tables: Vec<&str> = u.tables.iter().map(String::as_str).collect();
        let mut msg = format!(
            "`Star is {}` is in force while the application section loads {}: Qlik advises against a star symbol in the data part when Section Access is used (`*` is always the wildcard in Section Access, without `Star is`)",
            u.symbol,
            name_values(&tables)
        );
        let d = if holding.is_empty() {
            msg.push_str("; no app value is the symbol yet");
            Diagnostic::info(codes::SA_STAR_IN_APPLICATION, msg)
        } else {
            msg.push_str(&format!(
                "; the app value `{}` in {} then stands for every value of its field (qsa reads it as plain text: it is not linked to Section Access)",
                u.symbol,
                holding.into_iter().collect::<Vec<_>>().join(", "),
            ));
            Diagnostic::warning(codes::SA_STAR_IN_APPLICATION, msg)
        };
        let d = d
            .with_help("end it with `Star is;` before `Section Application;`, or remove it")
            .with_rule("R1");
        out.push(d.at(u.at.0, u.at.1, "star symbol set here"));
    }
    out
}

/// Fail closed (with QSA224): a `Star is` symbol in force while an app table linked to a reduction field
/// loaded, and a reduction field or key field of that table holds the symbol. The star value then stands
/// for every value of the field, which Qlik does not support in fields data reduction touches: which users
/// keep those rows is unknown, so qsa refuses (QSA215). `reduced_comps`: the app engine's components
/// holding a linked reduction field.
pub fn star_refusals(
    uses: &[StarInApp],
    app: &DataModel,
    app_engine: &Engine,
    reduced_comps: &BTreeSet<usize>,
    reductions: &BTreeSet<&str>,
) -> Vec<Diagnostic> {
    let mut out = vec![];
    for u in uses {
        for (ti, t) in app.tables.iter().enumerate() {
            if !u.tables.contains(&t.name) || !reduced_comps.contains(&app_engine.component_of(ti))
            {
                continue;
            }
            let fields: Vec<&str> = t
                .fields
                .iter()
                .enumerate()
                .filter(|(_, f)| {
                    reductions.contains(f.as_str())
                        || app_engine
                            .field_id(f)
                            .is_some_and(|id| app_engine.is_key_field(id))
                })
                .filter(|(ci, _)| {
                    t.columns.get(*ci).is_some_and(|c| {
                        c.used_values()
                            .iter()
                            .any(|v| v.text().as_deref() == Some(u.symbol.as_str()))
                    })
                })
                .map(|(_, f)| f.as_str())
                .collect();
            if fields.is_empty() {
                continue;
            }
            let mut d = Diagnostic::error(
                codes::SA_NOT_EVALUABLE,
                format!(
                    "`Star is {}` is in force while app table `{}` loads, and its field(s) {} hold `{}`: in app data the star symbol stands for every value of its field, which Qlik does not support in fields data reduction touches, so which users keep those rows is unknown: qsa refuses to evaluate users",
                    u.symbol,
                    t.name,
                    name_values(&fields),
                    u.symbol
                ),
            )
            .with_help("remove `Star is`, or end it with `Star is;` before `Section Application;` (Section Access does not need it)")
            .with_rule("R1")
            .at(u.at.0, u.at.1, "star symbol set here");
            if let Some((s, sp)) = t.source {
                d = d.with_secondary(s, sp, "loaded while the star symbol is in force");
            }
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_values_are_capped() {
        let v: Vec<String> = (0..10).map(|i| format!("V{i}")).collect();
        let v: Vec<&str> = v.iter().map(String::as_str).collect();
        assert_eq!(name_values(&v[..2]), "`V0`, `V1`");
        let all = name_values(&v);
        assert!(
            all.starts_with("`V0`, `V1`") && all.ends_with("`V7` and 2 more"),
            "{all}"
        );
    }

    #[test]
    fn system_field_names_are_exact() {
        let mut app = DataModel::default();
        app.tables
            .push(Table::new("T", vec!["UserId".into(), "GROUP".into()]));
        app.tables
            .push(Table::new("U", vec!["GROUP".into(), "USER.EMAIL".into()]));
        let found: Vec<String> = system_fields_in_app(&app)
            .into_iter()
            .map(|d| d.message)
            .collect();
        assert_eq!(found.len(), 2, "{found:?}");
        assert!(
            found[0].contains("`T` has a field named `GROUP`"),
            "{found:?}"
        );
        assert!(
            found[1].contains("`U` has a field named `USER.EMAIL`"),
            "{found:?}"
        );
    }
}
