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
    let mut by_id: FxHashMap<String, UserTenant> = tenant_users
        .into_iter()
        .map(|t| (t.qlik_id.clone(), t))
        .collect();
    // Denied users share one empty reduction and one zero-row table map (the JSON writer prints each
    // distinct map once).
    let empty: Arc<BTreeMap<String, Option<Vec<String>>>> = Arc::default();
    let mut zero: Option<Arc<BTreeMap<String, TableCount>>> = None;
    let mut out = Vec::with_capacity(results.len());
    if keys.len() != results.len() {
        return Err(format!(
            "{} results for {} users",
            results.len(),
            keys.len()
        ));
    }
    for (r, key) in results.iter_mut().zip(keys) {
        // A key seen twice finds nothing the second time: refused too.
        let Some(mut t) = by_id.remove(*key) else {
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
