//! The tenant tier of one user as text (tenant.md §3), for `qsa preview --tenant` and `qsa explain
//! --tenant`: the app, the user's status, whether they open the app (the routes, or every route checked and
//! why it fails), roles with provenance, download, Full User triggers, the OAuth client. Produces strings;
//! never prints.

use crate::tenant::model::{AppSummary, Export, OAuthResult, RoleGrant};
use crate::tenant::{TenantSummary, UserTenant};
use std::fmt::Write;

/// `allowed`, `no-data`, `not-allowed` (T16), as in the JSON report.
pub fn export_text(e: Export) -> &'static str {
    match e {
        Export::Allowed => "allowed",
        Export::NoData => "no-data",
        Export::NotAllowed => "not-allowed",
    }
}

/// `yes`/`no`.
pub fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The app and its space: `Budget (b0d9…), managed space 66f0…` or `…, personal space`.
pub fn app_text(app: &AppSummary) -> String {
    match &app.space_id {
        Some(space) => format!(
            "{} ({}), {} space {space}",
            app.name,
            app.id,
            app.space_type.as_str()
        ),
        None => format!("{} ({}), personal space", app.name, app.id),
    }
}

/// One role with every way it is held (T1): `Exporters (group CG-Export)`.
pub fn role_text(r: &RoleGrant) -> String {
    format!("{} ({})", r.name, r.via.join(", "))
}

/// What an integration acting as the user through the OAuth client gets (T8, T9).
pub fn oauth_text(o: &OAuthResult) -> String {
    let missing = if o.scopes_missing_for_oauth.is_empty() {
        "none".to_string()
    } else {
        o.scopes_missing_for_oauth.join(", ")
    };
    format!(
        "opens: {}, export: {}, scopes the client lacks: {missing}",
        yes_no(o.open),
        export_text(o.export)
    )
}

/// The tenant tier of one user, each line prefixed with `pad`: app, status, open (with the routes that
/// open it, or each route checked and why it does not), roles, export, full, oauth; then, when the
/// tenant denies the user, the T15 denial.
pub fn render_tier(summary: &TenantSummary, t: &UserTenant, pad: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{pad}app:     {}", app_text(&summary.app));
    let _ = writeln!(out, "{pad}status:  {}  [T7]", t.status);
    if t.open.can {
        let _ = writeln!(
            out,
            "{pad}open:    yes, by {}  [T10–T14]",
            t.open.via.join("; ")
        );
    } else {
        let _ = writeln!(out, "{pad}open:    no; every route checked:");
        for w in &t.open.why_not {
            let _ = writeln!(out, "{pad}  - {w}");
        }
    }
    let _ = writeln!(out, "{pad}roles:   [T1–T3]");
    for r in &t.roles {
        let _ = writeln!(out, "{pad}  {}", role_text(r));
    }
    let _ = writeln!(out, "{pad}export:  {}  [T16, T17]", export_text(t.export));
    let full = if t.entitlement.full {
        format!("yes ({})", t.entitlement.because.join("; "))
    } else {
        "no trigger (not necessarily a Basic user)".to_string()
    };
    let _ = writeln!(out, "{pad}full:    {full}  [T18]");
    if let (Some(client), Some(o)) = (&summary.oauth_client, &t.oauth) {
        let _ = writeln!(out, "{pad}oauth:   {client}: {}  [T8, T9]", oauth_text(o));
    }
    if let Some(reason) = t.denied_reason {
        let _ = writeln!(out, "{pad}tenant:  DENIED ({reason})  [T15]");
    }
    out
}
