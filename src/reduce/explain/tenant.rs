//! Step 0 of `qsa explain --tenant DIR --app X` (tenant.md): can the user open the app, and why. The
//! verdicts are the tenant model's ([`crate::tenant::model::Tenant::evaluate`]): status (T7), roles with
//! provenance (T1–T3), opening (T10–T14: the routes that open the app, or every route checked and why it
//! fails, each ending with its rule id), download (T16, T17), Full User (T18), the OAuth client (T8, T9);
//! when the tenant denies the user (T15), what Section Access alone gives, which the usual chain then
//! explains.

use super::super::UserResult;
use crate::tenant::{TenantSummary, UserTenant};
use serde::Serialize;
use std::collections::BTreeMap;

/// What Section Access alone gives a user the tenant denies (T15).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SectionAccessAlone {
    pub access: &'static str,
    /// Per reduction field: the selection; `None` = not reduced.
    pub reduction: BTreeMap<String, Option<Vec<String>>>,
    pub omitted_fields: Vec<String>,
}

/// Step 0: the tenant tier.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TenantStep {
    /// The app, its space, the OAuth client and the rules that shape every user alike.
    pub app: TenantSummary,
    /// The user's `tenant` object as the report gives it.
    pub user: UserTenant,
    /// When the user cannot open the app: every route checked and why it does not open it.
    pub why_not: Vec<String>,
    /// T15: the user's `denied_reason` when the tenant denies them.
    pub denied_reason: Option<&'static str>,
    /// The [dec] rules the user's tenant result depends on.
    pub rules: Vec<&'static str>,
    /// When the tenant denies the user: Section Access alone.
    pub section_access_alone: Option<SectionAccessAlone>,
    /// One line: whether the user opens the app and how (or why not).
    pub headline: String,
}

/// The tenant step of `user` (`sa`: the user's Section Access result, not joined with the tenant).
pub fn tenant_step(app: &TenantSummary, user: &UserTenant, sa: &UserResult) -> TenantStep {
    let mut user = user.clone();
    user.section_access = Some(sa.access.as_str().to_string());
    let headline = match (user.open.can, user.denied_reason) {
        (true, _) => format!("opens the app, by {} (T10–T14)", user.open.via.join("; ")),
        (false, Some(reason)) if reason == crate::tenant::model::DENIED_STATUS => format!(
            "cannot open the app: the user's status is `{}` (T7); DENIED whatever Section Access says (T15)",
            user.status
        ),
        (false, _) => format!(
            "cannot open the app: none of the {} route(s) checked opens it (T10–T14); DENIED whatever Section Access says (T15)",
            user.open.why_not.len()
        ),
    };
    let section_access_alone = user.denied_reason.map(|_| SectionAccessAlone {
        access: sa.access.as_str(),
        reduction: (*sa.reduction).clone(),
        omitted_fields: sa.omitted_fields.clone(),
    });
    TenantStep {
        app: app.clone(),
        why_not: if user.open.can {
            vec![]
        } else {
            user.open.why_not.clone()
        },
        denied_reason: user.denied_reason,
        rules: user.rules.clone(),
        section_access_alone,
        headline,
        user,
    }
}
