//! Steps 3 and 4: the access level (L1–L3), the selections per reduction field (R1–R3, A2) with the
//! applied rows that gave each value, and the omitted fields (O1).

use super::rows::{row_at, text_at};
use super::{
    inconsistent, AccessStep, Contribution, CrossProduct, ExplainError, FieldStep, OmitStep,
};
use crate::access::directory::User;
use crate::access::model::{is_blank, near_misses, Grant, ACCESS, OMIT};
use crate::model::engine::Kept;
use crate::reduce::{Access, Prepared, UserResult};
use std::collections::BTreeSet;

/// The applied rows' cells in `field`, with what each gives (R1 / O1: `*` = the listed values).
fn contributions(
    p: &Prepared,
    applicable: &[Kept],
    field: &str,
    star: &[String],
    rule: &'static str,
) -> Vec<Contribution> {
    let run = p.run;
    let mut out = vec![];
    for (ti, t) in run.security.tables.iter().enumerate() {
        let (Some(ci), Some(k)) = (t.field_index(field), applicable.get(ti)) else {
            continue;
        };
        for r in (0..t.row_count()).filter(|&r| k.contains(r)) {
            let cell = text_at(&run.security, ti, ci, r).unwrap_or_default();
            let gives = if cell == "*" {
                star.to_vec()
            } else if is_blank(Some(&cell)) {
                vec![]
            } else {
                vec![cell.clone()]
            };
            out.push(Contribution {
                table: t.name.clone(),
                row: r + 1,
                at: row_at(run, &run.security, ti, r),
                cell,
                gives,
                rule,
            });
        }
    }
    out
}

/// Steps 3 and 4: access level, selections, OMIT.
pub(super) fn grant_steps(
    p: &Prepared,
    user: &User,
    result: &UserResult,
    applicable: Option<&[Kept]>,
    near_rows: usize,
) -> Result<(AccessStep, Vec<FieldStep>, Option<CrossProduct>, OmitStep), ExplainError> {
    let run = p.run;
    let sec = &p.security;
    let mut omit = OmitStep {
        from: vec![],
        omitted: result.omitted_fields.clone(),
        no_such_field: vec![],
    };
    let denied_head = |detail: Vec<String>, rules: Vec<&'static str>| AccessStep {
        access: result.access,
        headline: format!(
            "DENIED: {}",
            result.denied_reason.clone().unwrap_or_default()
        ),
        rules,
        detail,
    };
    let Some(applicable) = applicable else {
        let step = if !user.status.can_open() {
            AccessStep {
                headline: format!(
                    "DENIED: status `{}`: only active and provisioned users can open the app",
                    user.status.as_str()
                ),
                ..denied_head(vec![], vec![])
            }
        } else {
            AccessStep {
                access: result.access,
                headline: format!(
                    "{}: the script loads no Section Access, so every user who can open the app sees all data",
                    result.access.as_str()
                ),
                rules: vec!["S2"],
                detail: vec![],
            }
        };
        return Ok((step, vec![], None, omit));
    };
    let grant = sec.grant(&run.security, applicable);
    // Per reduction field: what the applied rows give, and what the app holds.
    let mut fields = vec![];
    for red in &sec.reductions {
        let from = contributions(p, applicable, &red.name, &red.star, "R1");
        if from.is_empty() {
            continue;
        }
        let given: BTreeSet<String> = from.iter().flat_map(|c| c.gives.iter().cloned()).collect();
        if !red.linked {
            fields.push(FieldStep {
                field: red.name.clone(),
                linked: false,
                allowed: given.into_iter().collect(),
                from,
                not_in_data: vec![],
                selection: None,
                status: "unlinked",
                note: format!(
                    "no app field is named exactly `{}`: it reduces nothing{}",
                    red.name,
                    super::did_you_mean(&near_misses(&red.name, p.app_fields()))
                ),
                rules: vec!["A2"],
            });
            continue;
        }
        let allowed = grant.allowed.get(&red.name).cloned().unwrap_or_default();
        if allowed != given {
            return Err(inconsistent(format!(
                "the allowed values of `{}` differ from the applied rows' cells",
                red.name
            )));
        }
        let in_app = |v: &String| {
            p.app
                .field_id(&red.name)
                .map(|f| p.app.fields[f].symbol(v).is_some())
                .unwrap_or(false)
        };
        let not_in_data: Vec<String> = allowed.iter().filter(|v| !in_app(v)).cloned().collect();
        let (selection, status, note, rules): (
            Option<Vec<String>>,
            &'static str,
            String,
            Vec<&'static str>,
        ) = match result.reduction.get(&red.name) {
            Some(Some(v)) => (
                Some(v.clone()),
                "reduced",
                format!(
                    "the selection: the allowed values that exist in the app field ({} of {})",
                    v.len(),
                    allowed.len()
                ),
                vec!["R1", "R2"],
            ),
            Some(None) => (
                None,
                "not reduced",
                if allowed.is_empty() {
                    "no value allowed (blank cells grant nothing); for an ADMIN the field is then not reduced".into()
                } else {
                    "none of the allowed values exists in the app field; for an ADMIN the field is then not reduced".into()
                },
                vec!["R2", "L3"],
            ),
            _ if result.access == Access::Denied => (
                None,
                "denied",
                if allowed.is_empty() {
                    "no value allowed (blank cells grant nothing): a USER is denied".into()
                } else if allowed.iter().all(|v| !in_app(v)) {
                    "none of the allowed values exists in the app field (exact text): a USER is denied".into()
                } else {
                    "the user is denied before this field reduces anything".into()
                },
                vec!["R1", "R2"],
            ),
            _ => (None, "not reduced", "not reduced".into(), vec![]),
        };
        fields.push(FieldStep {
            field: red.name.clone(),
            linked: true,
            from,
            allowed: allowed.into_iter().collect(),
            not_in_data,
            selection,
            status,
            note,
            rules,
        });
    }
    let cross = cross_product(p, applicable, &fields);
    if sec.has_omit_field() {
        omit.from = contributions(p, applicable, OMIT, &sec.omit_star, "O1");
        omit.no_such_field = grant
            .omit
            .iter()
            .filter(|f| !p.app_fields().contains(*f))
            .cloned()
            .collect();
    }
    let access = access_step(
        p,
        result,
        &grant,
        &fields,
        applicable,
        near_rows,
        &denied_head,
    );
    Ok((access, fields, cross, omit))
}

fn access_step(
    p: &Prepared,
    result: &UserResult,
    grant: &Grant,
    fields: &[FieldStep],
    applicable: &[Kept],
    near_rows: usize,
    denied_head: &dyn Fn(Vec<String>, Vec<&'static str>) -> AccessStep,
) -> AccessStep {
    let run = p.run;
    let access_rows = contributions(p, applicable, ACCESS, &[], "L1");
    let rows_saying = |v: &str| -> Vec<String> {
        access_rows
            .iter()
            .filter(|c| c.cell == v)
            .map(|c| format!("{} row {}", c.table, c.row))
            .collect()
    };
    match result.access {
        Access::Denied if !grant.listed => denied_head(
            vec![format!(
                "none of the {} security row(s) matches the user in every identity field{}",
                run.security
                    .tables
                    .iter()
                    .map(|t| t.row_count())
                    .sum::<usize>(),
                if near_rows == 0 {
                    "; no row names the user or one of the user's groups"
                } else {
                    "; the rows that name the user are listed above, with why they did not apply"
                }
            )],
            vec!["L1", "I1"],
        ),
        Access::Denied if !grant.admin && !grant.user => denied_head(
            access_rows
                .iter()
                .map(|c| {
                    format!(
                        "{} row {} ({}): ACCESS `{}` is neither ADMIN nor USER",
                        c.table, c.row, c.at, c.cell
                    )
                })
                .collect(),
            vec!["L1"],
        ),
        Access::Denied => {
            // The engine denies on the first field (by name) whose selection is empty (R2).
            let culprit = fields
                .iter()
                .filter(|f| f.status == "denied" && f.allowed.len() == f.not_in_data.len())
                .min_by(|a, b| a.field.cmp(&b.field));
            let detail = culprit
                .map(|f| {
                    if f.allowed.is_empty() {
                        format!("`{}`: the applied rows leave it blank, and a blank cell grants nothing (R1); a USER with no value to select in a reduction field is denied (R2)", f.field)
                    } else {
                        format!(
                            "`{}`: allowed {} (R1), none of which is a value of the app field (exact text); strict exclusion denies a USER (R2)",
                            f.field,
                            f.allowed.iter().map(|v| format!("`{v}`")).collect::<Vec<_>>().join(", ")
                        )
                    }
                })
                .into_iter()
                .collect();
            denied_head(detail, vec!["R2"])
        }
        Access::Admin => {
            let mut detail = vec![format!(
                "ACCESS=ADMIN on {}",
                rows_saying("ADMIN").join(", ")
            )];
            if grant.user {
                detail.push(format!(
                    "the rows also say USER ({}): ADMIN wins [dec]",
                    rows_saying("USER").join(", ")
                ));
            }
            detail.push("an ADMIN is reduced like a USER, except that a field whose allowed values do not exist in the data is not reduced (L3, R2)".into());
            AccessStep {
                access: Access::Admin,
                headline: "ADMIN: an applied row says ADMIN".into(),
                rules: vec!["L2", "L3"],
                detail,
            }
        }
        Access::User => AccessStep {
            access: Access::User,
            headline: "USER: the applied rows say USER and none says ADMIN".into(),
            rules: vec!["L2"],
            detail: vec![format!("ACCESS=USER on {}", rows_saying("USER").join(", "))],
        },
    }
}

/// R3: with two or more reduced fields, the combinations the applied rows list vs the ones granted.
fn cross_product(p: &Prepared, applicable: &[Kept], fields: &[FieldStep]) -> Option<CrossProduct> {
    let reduced: Vec<&FieldStep> = fields.iter().filter(|f| f.selection.is_some()).collect();
    if reduced.len() < 2 {
        return None;
    }
    let names: Vec<String> = reduced.iter().map(|f| f.field.clone()).collect();
    let mut listed: BTreeSet<Vec<String>> = BTreeSet::new();
    for (ti, t) in p.run.security.tables.iter().enumerate() {
        let cols: Vec<Option<usize>> = names.iter().map(|n| t.field_index(n)).collect();
        let Some(k) = applicable.get(ti) else {
            continue;
        };
        for r in (0..t.row_count()).filter(|&r| k.contains(r)) {
            let combo: Vec<String> = cols
                .iter()
                .map(|c| {
                    c.and_then(|c| text_at(&p.run.security, ti, c, r))
                        .unwrap_or_default()
                })
                .collect();
            if combo.iter().filter(|v| !is_blank(Some(v))).count() >= 2 {
                listed.insert(combo);
            }
        }
    }
    let granted: usize = reduced
        .iter()
        .map(|f| f.selection.as_ref().map(Vec::len).unwrap_or(0))
        .product();
    Some(CrossProduct {
        fields: names,
        listed: listed.into_iter().collect(),
        granted,
    })
}
