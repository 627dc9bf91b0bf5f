//! Steps 1 and 2: who the user is (I3–I6, S7), and which security rows applied, which nearly did and why
//! not (I1–I6, A3, L1).

use super::rows::{cells_of, text_at, Side};
use super::{
    Check, Compared, ExplainError, HeldGroup, OtherRows, SecRow, SecurityStep, Who, NEAR_LIMIT,
};
use crate::access::directory::{Provider, User};
use crate::access::model::{is_blank, Identity, SecurityModel, ACCESS};
use crate::access::{GroupMode, Target};
use crate::model::bitset::Bitset;
use crate::model::engine::{Kept, NULL};
use crate::reduce::{Prepared, UserResult};
use std::collections::{BTreeMap, BTreeSet};

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Idp => "IdP",
        Provider::Custom => "custom",
    }
}

fn mode_text(target: Target, mode: GroupMode) -> String {
    match target {
        Target::ClientManaged => {
            "client-managed: every directory group counts (QlikCloudGroupMode has no effect)".into()
        }
        Target::Cloud => format!(
            "group mode {} counts {}",
            mode.number(),
            match mode {
                GroupMode::Idp => "IdP groups only",
                GroupMode::Custom => "custom groups only",
                GroupMode::Both => "IdP and custom groups",
            }
        ),
    }
}

pub(super) fn who(p: &Prepared, user: &User) -> Who {
    let sec = &p.security;
    let compared = sec
        .identities
        .iter()
        .map(|&(id, _)| {
            let values = sec.user_values(user, id);
            let (note, rules) = match id {
                Identity::UserId => (
                    match p.target {
                        Target::Cloud => "the IdP subject, upper-cased",
                        Target::ClientManaged => "USERDIRECTORY\\USERID, upper-cased",
                    },
                    vec!["I3", "I5"],
                ),
                Identity::Email if p.target == Target::ClientManaged => (
                    "not an identity on client-managed: only `*` matches",
                    vec!["I5"],
                ),
                Identity::Email => ("the e-mail, upper-cased", vec!["I3", "I5"]),
                Identity::Group => ("the groups that count, upper-cased", vec!["I3", "I6"]),
            };
            let note = if values.is_empty()
                && !(id == Identity::Email && p.target == Target::ClientManaged)
            {
                format!("{note}: the user has none, so only `*` matches (I4)")
            } else {
                note.to_string()
            };
            let mut rules = rules;
            if values.is_empty() {
                rules.push("I4");
            }
            Compared {
                field: id.field(),
                values,
                note,
                rules,
            }
        })
        .collect();
    let held = user.held_groups(p.target, p.mode);
    let groups = user
        .groups
        .iter()
        .map(|g| HeldGroup {
            name: g.name.clone(),
            provider: provider_name(g.provider),
            counts: held.contains(&g),
        })
        .collect();
    Who {
        id: user.report_id(),
        email: user.email.clone(),
        name: user.name.clone(),
        status: user.status.as_str().to_string(),
        target: p.target.as_str(),
        group_mode: p.mode.number(),
        group_mode_set: p.security.mode_set,
        compared,
        groups,
        collisions: user
            .group_collisions(p.target, p.mode)
            .into_iter()
            .map(|(upper, gs)| {
                let names: Vec<String> = gs
                    .iter()
                    .map(|g| format!("`{}` ({})", g.name, provider_name(g.provider)))
                    .collect();
                format!(
                    "{} are one GROUP value, `{upper}`: Section Access cannot tell them apart [dec]",
                    names.join(" and ")
                )
            })
            .collect(),
    }
}

/// Why an identity cell does or does not match the user (the match itself is the engine's).
fn identity_check(
    p: &Prepared,
    user: &User,
    id: Identity,
    cell: Option<String>,
    ok: bool,
) -> Check {
    let sec = &p.security;
    let field = id.field().to_string();
    let mk = |why: String, rules: Vec<&'static str>| Check {
        field: field.clone(),
        value: cell.clone(),
        ok,
        why,
        rules,
    };
    let Some(c) = cell.as_deref().filter(|c| !is_blank(Some(c))) else {
        return mk(
            format!(
                "a blank {} cell matches nobody; put `*` there to match any user [dec]",
                id.field()
            ),
            vec!["I2"],
        );
    };
    let up = c.to_uppercase();
    let same_case_insensitive =
        |v: Option<&String>| v.map(|v| v.to_uppercase() == up).unwrap_or(false);
    let group = user.groups.iter().find(|g| g.name.to_uppercase() == up);
    let held = user.held_groups(p.target, p.mode);
    if ok {
        return match (c, id) {
            ("*", _) => mk("`*` matches any user".into(), vec!["I1"]),
            (_, Identity::UserId) => mk("the user's own id".into(), vec!["I1", "I5"]),
            (_, Identity::Email) => mk("the user's e-mail".into(), vec!["I1", "I5"]),
            (_, Identity::Group) => mk(
                match group {
                    Some(g) => format!(
                        "the user's {} group `{}`, which counts ({})",
                        provider_name(g.provider),
                        g.name,
                        mode_text(p.target, p.mode)
                    ),
                    None => "one of the user's groups".into(),
                },
                vec!["I1", "I6"],
            ),
        };
    }
    let values = sec.user_values(user, id);
    match id {
        Identity::UserId | Identity::Email => {
            let own = match id {
                Identity::UserId => user.subject.as_ref(),
                _ => user.email.as_ref(),
            };
            let what = if id == Identity::UserId { "id" } else { "e-mail" };
            if id == Identity::Email && p.target == Target::ClientManaged {
                mk(
                    format!("`{c}`: USER.EMAIL is no identity on client-managed; only `*` matches there"),
                    vec!["I5"],
                )
            } else if same_case_insensitive(own) {
                mk(
                    format!("`{c}` is the user's {what} in other letter case: the user's value is compared upper-cased with the cell as stored, and values not loaded INLINE are not upper-cased"),
                    vec!["I3", "S4"],
                )
            } else if values.is_empty() {
                mk(
                    format!("`{c}`: the user has no {what}, so only `*` matches [dec]"),
                    vec!["I4"],
                )
            } else {
                mk(format!("`{c}` is another user's {what}"), vec!["I1"])
            }
        }
        Identity::Group => match group {
            Some(g) if held.contains(&g) => mk(
                format!("`{c}` is the user's group `{}`, but the cell is not upper case: groups are compared upper-cased with the cell as stored", g.name),
                vec!["I3", "S4"],
            ),
            Some(g) => mk(
                format!(
                    "`{c}` is the user's {} group `{}`, but {}",
                    provider_name(g.provider),
                    g.name,
                    mode_text(p.target, p.mode)
                ),
                vec!["S7", "I6"],
            ),
            None if values.is_empty() => mk(
                format!("`{c}`: the user holds no group that counts ({}), so only `*` matches [dec]", mode_text(p.target, p.mode)),
                vec!["I4", "I6"],
            ),
            None => mk(format!("the user does not hold group `{c}`"), vec!["I6"]),
        },
    }
}

/// Does an identity cell name the user in any letter case or group provider?
fn names_user(user: &User, id: Identity, cell: Option<&str>) -> bool {
    let Some(c) = cell.filter(|c| !is_blank(Some(c)) && *c != "*") else {
        return false;
    };
    let up = c.to_uppercase();
    let eq = |v: Option<&String>| v.map(|v| v.to_uppercase() == up).unwrap_or(false);
    match id {
        Identity::UserId => eq(user.subject.as_ref()),
        Identity::Email => eq(user.email.as_ref()),
        Identity::Group => user.groups.iter().any(|g| g.name.to_uppercase() == up),
    }
}

fn identity_of(sec: &SecurityModel, fid: usize) -> Option<Identity> {
    sec.identities
        .iter()
        .find(|&&(_, f)| f == fid)
        .map(|&(id, _)| id)
}

/// Step 2, and the applicable rows (the engine's) for the steps after it.
pub(super) fn security_step(
    p: &Prepared,
    user: &User,
    result: &UserResult,
) -> Result<(SecurityStep, Option<Vec<Kept>>), ExplainError> {
    let run = p.run;
    let sec = &p.security;
    let model = &run.security;
    let mut step = SecurityStep {
        tables: model.tables.iter().map(|t| t.name.clone()).collect(),
        rows: model.tables.iter().map(|t| t.row_count()).sum(),
        skipped: None,
        applied: vec![],
        near: vec![],
        others: vec![],
    };
    if !user.status.can_open() {
        step.skipped = Some(format!(
            "the user's status is `{}`: only active and provisioned users can open the app, so no security row is looked at",
            user.status.as_str()
        ));
        return Ok((step, None));
    }
    if model.tables.is_empty() {
        return Ok((step, None));
    }
    // The verdict: the security rows the evaluation found applicable (I1–I4, A3), per table.
    let mut applicable: Vec<Kept> = model
        .tables
        .iter()
        .map(|t| Kept::Rows(Bitset::new(t.row_count())))
        .collect();
    for a in &result.applied {
        let ti = model.tables.iter().position(|t| t.name == a.table);
        if let Some(Kept::Rows(b)) = ti.and_then(|ti| applicable.get_mut(ti)) {
            b.set(a.row);
        }
    }
    // The reasons: the user's identity values (and `*`) per identity field, as the engine selects them.
    let key = sec.identity_key(user);
    let check = |t: usize, ci: usize, r: usize| -> Check {
        let fid = sec.engine.tables[t].fields[ci];
        let sym = sec.engine.tables[t].cols[ci]
            .get(r)
            .copied()
            .unwrap_or(NULL);
        let ok = sym != NULL && key.get(&fid).map(|b| b.get(sym as usize)).unwrap_or(false);
        let cell = text_at(model, t, ci, r);
        match identity_of(sec, fid) {
            Some(id) => identity_check(p, user, id, cell, ok),
            None => Check {
                field: sec.engine.fields[fid].name.clone(),
                value: cell,
                ok,
                why: String::new(),
                rules: vec![],
            },
        }
    };
    let selected: BTreeSet<usize> = sec.identities.iter().map(|&(_, f)| f).collect();
    let side = Side::new(run, model, &sec.engine, &applicable, selected, check);
    let mut others: BTreeMap<String, usize> = BTreeMap::new();
    let mut near_hidden = 0usize;
    for (ti, t) in model.tables.iter().enumerate() {
        let ids: Vec<(usize, Identity)> = t
            .fields
            .iter()
            .enumerate()
            .filter_map(|(ci, f)| {
                sec.identities
                    .iter()
                    .find(|(id, _)| id.field() == f)
                    .map(|&(id, _)| (ci, id))
            })
            .collect();
        let access_c = t.field_index(ACCESS);
        for r in 0..t.row_count() {
            let applied = side.verdict(ti, r)?;
            let checks = side.own_checks(ti, r);
            let failing: Vec<&Check> = checks.iter().filter(|c| !c.ok).collect();
            let named = ids
                .iter()
                .any(|&(ci, id)| names_user(user, id, text_at(model, ti, ci, r).as_deref()));
            // Rows of a table with identity fields that fail only on blank cells (I2) or by association.
            let only_blank = !ids.is_empty() && failing.iter().all(|c| c.rules.contains(&"I2"));
            let near = !applied && (named || only_blank);
            if !applied && !near {
                let reason = match failing.first() {
                    Some(c) if c.field == "GROUP" => {
                        "GROUP is a group the user does not hold (or that does not count)"
                            .to_string()
                    }
                    Some(c) => format!("{} is another user", c.field),
                    None => "not associated with an applied row (A3)".to_string(),
                };
                *others.entry(reason).or_default() += 1;
                continue;
            }
            if near && step.near.len() >= NEAR_LIMIT {
                near_hidden += 1;
                continue;
            }
            let mut notes = vec![];
            if applied {
                if let Some(ac) = access_c {
                    match text_at(model, ti, ac, r).as_deref() {
                        Some("ADMIN") | Some("USER") => {}
                        other => notes.push(format!(
                            "ACCESS `{}` is neither ADMIN nor USER: this row grants no access level (L1)",
                            other.unwrap_or("")
                        )),
                    }
                }
            }
            let why = side.row_why(ti, r, None, 0);
            let row = SecRow {
                table: why.table,
                row: why.row,
                at: why.at,
                applied,
                cells: cells_of(model, ti, r),
                checks: why.checks,
                links: why.links,
                notes,
            };
            if applied {
                step.applied.push(row);
            } else {
                step.near.push(row);
            }
        }
    }
    if near_hidden > 0 {
        *others
            .entry("name the user but are not listed here (list limit)".into())
            .or_default() += near_hidden;
    }
    step.others = others
        .into_iter()
        .map(|(reason, rows)| OtherRows { reason, rows })
        .collect();
    Ok((step, Some(applicable)))
}
