//! Joining the tenant tier with Section Access (tenant.md T15): a user the tenant denies (status, T7, or
//! cannot open the app) is DENIED whatever Section Access says; Section Access alone goes to the user's
//! `tenant.section_access`. The tenant's [dec] rules join the user's `rules`.

use super::{Access, TableCount, UserResult};
use crate::tenant::UserTenant;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Join `results` (Section Access, one per evaluated user, keyed by `keys[i]` = the Qlik user id) with the
/// tenant's users. Returns, aligned with `results`, each user's `tenant` object. A user the tenant model
/// does not have (it cannot be told whether they open the app) is an `Err` naming them: the caller
/// refuses rather than report Section Access alone.
pub fn join(
    results: &mut [UserResult],
    keys: &[&str],
    tenant_users: Vec<UserTenant>,
) -> Result<Vec<Option<UserTenant>>, String> {
    if keys.len() != results.len() {
        return Err(format!(
            "{} results for {} users",
            results.len(),
            keys.len()
        ));
    }
    // Per result, the index of its tenant user (ids borrowed, not copied); a key seen twice finds
    // nothing the second time: refused too.
    let mut at = Vec::with_capacity(keys.len());
    {
        let mut by_id: FxHashMap<&str, usize> =
            FxHashMap::with_capacity_and_hasher(tenant_users.len(), Default::default());
        for (i, t) in tenant_users.iter().enumerate() {
            by_id.insert(t.qlik_id.as_str(), i);
        }
        for (r, key) in results.iter().zip(keys) {
            match by_id.remove(*key) {
                Some(i) => at.push(i),
                None => return Err(r.id.clone()),
            }
        }
    }
    // Each (large) user object moves once, into the result.
    let mut slots: Vec<Option<UserTenant>> = tenant_users.into_iter().map(Some).collect();
    // Denied users share one empty reduction and one zero-row table map (the JSON writer prints each
    // distinct map once).
    let empty: Arc<BTreeMap<String, Option<Vec<String>>>> = Arc::default();
    let mut zero: Option<Arc<BTreeMap<String, TableCount>>> = None;
    let mut out = Vec::with_capacity(results.len());
    for (r, i) in results.iter_mut().zip(at) {
        let Some(mut t) = slots.get_mut(i).and_then(Option::take) else {
            return Err(r.id.clone());
        };
        t.section_access = Some(r.access.as_str().to_string());
        if let Some(reason) = t.denied_reason {
            let tables = zero
                .get_or_insert_with(|| {
                    Arc::new(
                        r.tables
                            .iter()
                            .map(|(k, c)| {
                                (
                                    k.clone(),
                                    TableCount {
                                        rows: 0,
                                        total_rows: c.total_rows,
                                    },
                                )
                            })
                            .collect(),
                    )
                })
                .clone();
            r.access = Access::Denied;
            r.denied_reason = Some(reason.to_string());
            r.reduction = empty.clone();
            r.omitted_fields.clear();
            r.tables = tables;
        }
        r.rules.extend(t.rules.iter().copied());
        r.rules.sort_unstable();
        r.rules.dedup();
        out.push(Some(t));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::model::{Entitlement, Export, Open, DENIED_CANNOT_OPEN};

    fn sa_user(id: &str) -> UserResult {
        UserResult {
            id: id.into(),
            email: None,
            name: None,
            access: Access::Admin,
            denied_reason: None,
            reduction: Arc::new(BTreeMap::from([("REGION".into(), None)])),
            omitted_fields: vec!["COST".into()],
            tables: Arc::new(BTreeMap::from([(
                "T".into(),
                TableCount {
                    rows: 4,
                    total_rows: 4,
                },
            )])),
            rules: vec!["S7", "I4"],
            applied: vec![],
            kept: None,
            diagnostics: vec![],
        }
    }

    fn tenant_user(qlik_id: &str, denied: Option<&'static str>) -> UserTenant {
        UserTenant {
            qlik_id: qlik_id.into(),
            status: "active".into(),
            roles: vec![],
            scopes: vec![],
            open: Open {
                can: denied.is_none(),
                via: vec![],
                why_not: vec![],
            },
            export: Export::NotAllowed,
            entitlement: Entitlement {
                full: false,
                because: vec![],
            },
            section_access: None,
            oauth: None,
            subject: qlik_id.into(),
            rules: vec!["T13", "S7"],
            denied_reason: denied,
        }
    }

    // T15: the tenant's denial wins over an ADMIN grant; SA alone is kept in `section_access`; rules merge.
    #[test]
    fn tenant_denial_wins_and_keeps_section_access() {
        let mut results = vec![sa_user("a"), sa_user("b")];
        let joined = join(
            &mut results,
            &["1", "2"],
            vec![
                tenant_user("2", None),
                tenant_user("1", Some(DENIED_CANNOT_OPEN)),
            ],
        );
        let joined = joined.unwrap_or_default();
        assert_eq!(joined.len(), 2);
        let a = &results[0];
        assert_eq!(a.access, Access::Denied);
        assert_eq!(a.denied_reason.as_deref(), Some(DENIED_CANNOT_OPEN));
        assert!(a.reduction.is_empty() && a.omitted_fields.is_empty());
        assert_eq!(a.tables["T"].rows, 0);
        assert_eq!(a.tables["T"].total_rows, 4);
        assert_eq!(a.rules, ["I4", "S7", "T13"]);
        assert_eq!(
            joined[0].as_ref().and_then(|t| t.section_access.as_deref()),
            Some("ADMIN")
        );
        assert_eq!(results[1].access, Access::Admin);
        assert_eq!(results[1].tables["T"].rows, 4);
    }

    // Fail closed: a user the tenant model does not have is an error, never Section Access alone.
    #[test]
    fn unknown_user_is_refused() {
        let mut results = vec![sa_user("a")];
        assert_eq!(
            join(&mut results, &["1"], vec![tenant_user("2", None)]),
            Err("a".to_string())
        );
        let mut twice = vec![sa_user("a"), sa_user("a2")];
        assert!(join(&mut twice, &["1", "1"], vec![tenant_user("1", None)]).is_err());
        assert!(join(&mut twice, &["1"], vec![tenant_user("1", None)]).is_err());
    }
}
