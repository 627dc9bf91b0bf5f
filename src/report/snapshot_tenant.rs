//! The tenant tier in a snapshot (format 2, tenant.md; the format is documented in [`super::snapshot`]):
//! the app of the header ([`TenantApp`]), each user's tier ([`TenantTier`]), how a tier is written, and
//! how one read from a user block is checked ([`TierDraft::finish`]).

use super::snapshot::{key, list, scalar, ReadError, NO_VALUE};
use crate::reduce::Access;
use crate::tenant::model::Export;
use crate::tenant::{TenantSummary, UserTenant};
use std::collections::BTreeMap;
use std::fmt::Write;

/// The app of `--tenant DIR --app X` (tenant.md §3's top-level `tenant` object), in the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantApp {
    pub id: String,
    pub name: String,
    /// `None`: a personal space (T10).
    pub space_id: Option<String>,
    /// `personal`, `shared` or `managed`.
    pub space_type: String,
    pub oauth_client: Option<String>,
}

impl TenantApp {
    pub fn from_summary(s: &TenantSummary) -> TenantApp {
        TenantApp {
            id: s.app.id.clone(),
            name: s.app.name.clone(),
            space_id: s.app.space_id.clone(),
            space_type: s.app.space_type.as_str().to_string(),
            oauth_client: s.oauth_client.clone(),
        }
    }
}

/// What an integration acting as the user through the OAuth client gets (T8, T9).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OAuthTier {
    pub open: bool,
    pub export: Export,
    /// The scopes the client lacks, sorted.
    pub missing: Vec<String>,
}

/// One user's tenant tier (tenant.md §3's per-user `tenant` object, as the snapshot records it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantTier {
    /// T7: `active`, `disabled`, …
    pub status: String,
    pub open: bool,
    /// The routes that open the app (empty when `open` is false).
    pub open_via: Vec<String>,
    /// When `open` is false: every route checked and why it does not open the app.
    pub why_not: Vec<String>,
    /// Each role held and how (T1–T3).
    pub roles: BTreeMap<String, Vec<String>>,
    pub export: Export,
    /// A Full User trigger (T18).
    pub full: bool,
    /// With an OAuth client only.
    pub oauth: Option<OAuthTier>,
    /// T15: what Section Access alone gives, when the tenant denies the user.
    pub section_access: Option<Access>,
}

impl TenantTier {
    pub fn from_user(t: &UserTenant) -> TenantTier {
        let mut missing = t
            .oauth
            .as_ref()
            .map(|o| o.scopes_missing_for_oauth.clone())
            .unwrap_or_default();
        missing.sort();
        TenantTier {
            status: t.status.clone(),
            open: t.open.can,
            open_via: if t.open.can {
                t.open.via.clone()
            } else {
                vec![]
            },
            why_not: if t.open.can {
                vec![]
            } else {
                t.open.why_not.clone()
            },
            roles: t
                .roles
                .iter()
                .map(|r| (r.name.clone(), r.via.clone()))
                .collect(),
            export: t.export,
            full: t.entitlement.full,
            oauth: t.oauth.as_ref().map(|o| OAuthTier {
                open: o.open,
                export: o.export,
                missing,
            }),
            section_access: t
                .denied_reason
                .and(t.section_access.as_deref())
                .and_then(access_of),
        }
    }
}

pub(super) fn access_of(s: &str) -> Option<Access> {
    match s {
        "ADMIN" => Some(Access::Admin),
        "USER" => Some(Access::User),
        "DENIED" => Some(Access::Denied),
        _ => None,
    }
}

pub(super) fn export_of(s: &str) -> Option<Export> {
    match s {
        "allowed" => Some(Export::Allowed),
        "no-data" => Some(Export::NoData),
        "not-allowed" => Some(Export::NotAllowed),
        _ => None,
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// A user's tenant tier (format 2), before `access`.
pub(super) fn render_tier(out: &mut String, t: &TenantTier) {
    let export = super::tenant::export_text;
    let _ = writeln!(out, "  status: {}", scalar(&t.status));
    let _ = writeln!(out, "  open: {}", yes_no(t.open));
    if !t.open_via.is_empty() {
        let _ = writeln!(out, "  open via: {}", list(&t.open_via));
    }
    if !t.why_not.is_empty() {
        out.push_str("  why not:\n");
        for w in &t.why_not {
            let _ = writeln!(out, "    - {}", scalar(w));
        }
    }
    out.push_str("  roles:\n");
    for (role, via) in &t.roles {
        let _ = writeln!(out, "    {}: {}", key(role), list(via));
    }
    let _ = writeln!(out, "  export: {}", export(t.export));
    let _ = writeln!(out, "  full: {}", yes_no(t.full));
    if let Some(o) = &t.oauth {
        let _ = writeln!(out, "  oauth open: {}", yes_no(o.open));
        let _ = writeln!(out, "  oauth export: {}", export(o.export));
        let missing = if o.missing.is_empty() {
            NO_VALUE.to_string()
        } else {
            list(&o.missing)
        };
        let _ = writeln!(out, "  oauth missing: {missing}");
    }
    if let Some(a) = t.section_access {
        let _ = writeln!(out, "  section access alone: {}", a.as_str());
    }
}

/// The 2-space keys of a user's tenant tier (format 2), in the order they are written (before `access`).
pub(super) const TENANT_KEYS: [&str; 11] = [
    "status",
    "open",
    "open via",
    "why not",
    "roles",
    "export",
    "full",
    "oauth open",
    "oauth export",
    "oauth missing",
    "section access alone",
];

/// A user's tenant tier being read.
#[derive(Default)]
pub(super) struct TierDraft {
    pub(super) status: Option<String>,
    pub(super) open: Option<bool>,
    pub(super) open_via: Vec<String>,
    pub(super) why_not: Vec<String>,
    pub(super) roles: BTreeMap<String, Vec<String>>,
    pub(super) export: Option<Export>,
    pub(super) full: Option<bool>,
    pub(super) oauth_open: Option<bool>,
    pub(super) oauth_export: Option<Export>,
    pub(super) oauth_missing: Option<Vec<String>>,
    pub(super) section_access: Option<Access>,
}

impl TierDraft {
    /// The tenant tier, when the block gives one: `None` when it has no tenant key; an error when one
    /// it needs is missing or two disagree.
    pub(super) fn finish(
        &self,
        id: &str,
        seen: &BTreeMap<&'static str, usize>,
    ) -> Result<Option<TenantTier>, ReadError> {
        let first = TENANT_KEYS
            .iter()
            .filter_map(|k| seen.get(k))
            .min()
            .copied();
        let Some(first) = first else {
            return Ok(None);
        };
        let err = |line: usize, message: String| ReadError {
            line,
            column: 3,
            message,
        };
        let need = |k: &str| {
            err(
                first,
                format!(
                    "expected `{k}:` in the tenant tier of user `{}` (a tenant tier has status, open, roles, export and full)",
                    id
                ),
            )
        };
        let t = self;
        let status = t.status.clone().ok_or_else(|| need("status"))?;
        let open = t.open.ok_or_else(|| need("open"))?;
        if !seen.contains_key("roles") {
            return Err(need("roles"));
        }
        let export = t.export.ok_or_else(|| need("export"))?;
        let full = t.full.ok_or_else(|| need("full"))?;
        let line_of = |k: &str| seen.get(k).copied().unwrap_or(first);
        if open && seen.contains_key("why not") {
            return Err(err(
                line_of("why not"),
                format!(
                    "expected no `why not:` for user `{}`, who opens the app",
                    id
                ),
            ));
        }
        if open && t.open_via.is_empty() {
            return Err(err(
                line_of("open"),
                format!("expected `open via:` after `open: yes` (user `{}`)", id),
            ));
        }
        if !open && seen.contains_key("open via") {
            return Err(err(
                line_of("open via"),
                format!(
                    "expected no `open via:` for user `{}`, who does not open the app",
                    id
                ),
            ));
        }
        let oauth = match (t.oauth_open, t.oauth_export, &t.oauth_missing) {
            (None, None, None) => None,
            (Some(open), Some(export), Some(missing)) => Some(OAuthTier {
                open,
                export,
                missing: missing.clone(),
            }),
            _ => {
                let at = ["oauth open", "oauth export", "oauth missing"]
                    .iter()
                    .filter_map(|k| seen.get(k))
                    .min()
                    .copied()
                    .unwrap_or(first);
                return Err(err(
                    at,
                    format!("expected all of `oauth open:`, `oauth export:` and `oauth missing:` or none (user `{}`)", id),
                ));
            }
        };
        Ok(Some(TenantTier {
            status,
            open,
            open_via: t.open_via.clone(),
            why_not: t.why_not.clone(),
            roles: t.roles.clone(),
            export,
            full,
            oauth,
            section_access: t.section_access,
        }))
    }
}
