//! The tenant tier in the HTML report (`qsa report --tenant DIR --app X --format html`, tenant.md §3): the
//! app and OAuth client of the header, and per user the tenant object the page shows in the OPEN, ROLES,
//! EXPORT and FULL columns and at the top of the user's details (status, roles with their vias, opening or
//! every route checked and why it fails, download, Full User triggers, the OAuth client, Section Access
//! alone).
//!
//! Users share their tenant object with many others (same groups, same roles): each distinct object is
//! written once (`profiles`) and users point at it (`users`, in page order), as the Section Access
//! profiles are. Deterministic: profiles are numbered in page order.

use super::SectionAccessAlone;
use crate::report::users::TenantView;
use crate::tenant::model::Export;
use crate::tenant::UserTenant;
use serde::Serialize;
use serde_json::{json, Value as J};
use std::collections::HashMap;

/// The `tenant` key of the page's data.
#[derive(Serialize)]
pub(super) struct TenantPage {
    app: J,
    oauth_client: Option<String>,
    /// Rules that shape every user alike (T3, T4, T16; T8, T9 with an OAuth client).
    rules: Vec<&'static str>,
    profiles: Vec<J>,
    /// Per user of the page (in page order): the number of its profile; `null` when the tenant model has
    /// no object for the user (the report refuses before that; shown as unknown).
    users: Vec<Option<usize>>,
}

/// `allowed`, `no-data` or `not-allowed` (T16).
pub(super) fn export_text(e: Export) -> &'static str {
    match e {
        Export::Allowed => "allowed",
        Export::NoData => "no-data",
        Export::NotAllowed => "not-allowed",
    }
}

/// One user's tenant object as the page reads it (no ids: users with the same answer share it); for a
/// user the tenant denies, what Section Access alone selects and omits.
fn profile(t: &UserTenant, sa_alone: Option<&SectionAccessAlone>) -> J {
    let roles: Vec<J> = t.roles.iter().map(|r| json!([r.name, r.via])).collect();
    let oauth = t.oauth.as_ref().map(|o| {
        json!({
            "open": o.open,
            "export": export_text(o.export),
            "missing": o.scopes_missing_for_oauth,
        })
    });
    json!({
        "status": t.status,
        "roles": roles,
        "scopes": t.scopes,
        "open": t.open.can,
        "via": t.open.via,
        "why_not": t.open.why_not,
        "export": export_text(t.export),
        "full": t.entitlement.full,
        "because": t.entitlement.because,
        "section_access": t.section_access,
        "denied": t.denied_reason,
        "oauth": oauth,
        "rules": t.rules,
        "sa_reduction": sa_alone.filter(|_| t.denied_reason.is_some()).map(|(r, _)| {
            r.iter().map(|(f, v)| json!([f, v])).collect::<Vec<J>>()
        }),
        "sa_omitted": sa_alone.filter(|_| t.denied_reason.is_some()).map(|(_, o)| o),
    })
}

/// The page's `tenant` data for the users in `order` (indices into the view's users).
pub(super) fn page(
    view: &TenantView<'_>,
    sa_alone: &[SectionAccessAlone],
    order: &[usize],
) -> TenantPage {
    let mut profiles: Vec<J> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    let users = order
        .iter()
        .map(|&i| {
            let p = profile(view.user(i)?, sa_alone.get(i));
            let key = p.to_string();
            let next = profiles.len();
            let n = *index.entry(key).or_insert(next);
            if n == next {
                profiles.push(p);
            }
            Some(n)
        })
        .collect();
    let s = view.summary;
    TenantPage {
        app: json!({
            "id": s.app.id,
            "name": s.app.name,
            "space_id": s.app.space_id,
            "space_type": s.app.space_type.as_str(),
        }),
        oauth_client: s.oauth_client.clone(),
        rules: s.rules.clone(),
        profiles,
        users,
    }
}
