//! The tenant tier in a comparison (`qsa diff`, `qsa snapshot --check` of format 2 snapshots, tenant.md):
//! one user's changes of status (T7), opening the app (T10–T14), roles (T1–T3), download (T16, T17), Full
//! User triggers (T18), the OAuth client (T8, T9) and Section Access alone when the tenant denies (T15).
//!
//! Opening the app is wider when a user now opens it; download is wider from `not-allowed` to `no-data`
//! to `allowed`. Status, roles, Full User, OAuth and Section Access alone are other changes (what they do
//! to access is in the access and download changes).

use super::diff::{Change, SetChange};
use super::snapshot::{OAuthTier, TenantApp, TenantTier};
use super::tenant::{export_text, yes_no};
use crate::reduce::Access;
use crate::tenant::model::Export;
use serde::Serialize;

/// One user's changes of the tenant tier (both sides have it).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TenantChange {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Change<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub open: Option<Change<bool>>,
    /// The routes that open the app, added and removed.
    pub open_via: SetChange,
    /// Roles gained and lost.
    pub roles: SetChange,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub export: Option<Change<Export>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<Change<bool>>,
    /// What the OAuth client gives, as text (`none` without a client).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oauth: Option<Change<String>>,
    /// Section Access alone (T15), `None` on a side where the tenant does not deny the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub section_access: Option<Change<Option<Access>>>,
}

fn changed<T: PartialEq + Clone>(old: &T, new: &T) -> Option<Change<T>> {
    (old != new).then(|| Change {
        old: old.clone(),
        new: new.clone(),
    })
}

fn oauth_text(o: &Option<OAuthTier>) -> String {
    match o {
        None => "none".into(),
        Some(o) => format!(
            "opens {}, export {}, lacks {}",
            yes_no(o.open),
            export_text(o.export),
            if o.missing.is_empty() {
                "nothing".to_string()
            } else {
                o.missing.join(", ")
            }
        ),
    }
}

/// The changes of one user's tenant tier; `None` when nothing differs.
pub fn compare_tier(old: &TenantTier, new: &TenantTier) -> Option<TenantChange> {
    let roles = |t: &TenantTier| t.roles.keys().cloned().collect::<Vec<_>>();
    let c = TenantChange {
        status: changed(&old.status, &new.status),
        open: changed(&old.open, &new.open),
        open_via: SetChange::of(&old.open_via, &new.open_via),
        roles: SetChange::of(&roles(old), &roles(new)),
        export: changed(&old.export, &new.export),
        full: changed(&old.full, &new.full),
        oauth: changed(&oauth_text(&old.oauth), &oauth_text(&new.oauth)),
        section_access: changed(&old.section_access, &new.section_access),
    };
    let nothing = c.status.is_none()
        && c.open.is_none()
        && c.open_via.is_empty()
        && c.roles.is_empty()
        && c.export.is_none()
        && c.full.is_none()
        && c.oauth.is_none()
        && c.section_access.is_none();
    (!nothing).then_some(c)
}

/// Download, narrowest first (T16).
fn export_rank(e: Export) -> u8 {
    match e {
        Export::NotAllowed => 0,
        Export::NoData => 1,
        Export::Allowed => 2,
    }
}

impl TenantChange {
    /// `(wider, narrower)`: opening the app and download.
    pub fn direction(&self) -> (bool, bool) {
        let (mut wider, mut narrower) = (false, false);
        if let Some(o) = &self.open {
            wider |= o.new && !o.old;
            narrower |= o.old && !o.new;
        }
        if let Some(e) = &self.export {
            wider |= export_rank(e.new) > export_rank(e.old);
            narrower |= export_rank(e.new) < export_rank(e.old);
        }
        (wider, narrower)
    }

    /// Whether the export change widens (`Some(true)`), narrows, or there is none.
    pub fn export_wider(&self) -> Option<bool> {
        self.export
            .as_ref()
            .map(|e| export_rank(e.new) > export_rank(e.old))
    }

    /// The exact changes, one line each (`qsa diff`'s per-user lines).
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![];
        if let Some(s) = &self.status {
            out.push(format!("tenant status: {} → {}", s.old, s.new));
        }
        if let Some(o) = &self.open {
            out.push(format!(
                "opens the app: {} → {}",
                yes_no(o.old),
                yes_no(o.new)
            ));
        }
        let set = |s: &SetChange| {
            let mut parts: Vec<String> = s.added.iter().map(|r| format!("+ {r}")).collect();
            parts.extend(s.removed.iter().map(|r| format!("- {r}")));
            parts.join(", ")
        };
        if !self.open_via.is_empty() {
            out.push(format!("opens via: {}", set(&self.open_via)));
        }
        if !self.roles.is_empty() {
            out.push(format!("roles: {}", set(&self.roles)));
        }
        if let Some(e) = &self.export {
            out.push(format!(
                "export: {} → {}",
                export_text(e.old),
                export_text(e.new)
            ));
        }
        if let Some(f) = &self.full {
            out.push(format!("full user: {} → {}", yes_no(f.old), yes_no(f.new)));
        }
        if let Some(o) = &self.oauth {
            out.push(format!("oauth: {} → {}", o.old, o.new));
        }
        if let Some(s) = &self.section_access {
            let t = |a: &Option<Access>| a.map(|a| a.as_str()).unwrap_or("(tenant opens)");
            out.push(format!(
                "section access alone: {} → {}",
                t(&s.old),
                t(&s.new)
            ));
        }
        out
    }
}

/// The app of a side, for the summary: `Budget (b0d9…), managed space 66f0…`.
pub fn app_text(a: &TenantApp) -> String {
    let space = match &a.space_id {
        Some(id) => format!("{} space {id}", a.space_type),
        None => "personal space".to_string(),
    };
    let client = a
        .oauth_client
        .as_ref()
        .map(|c| format!(", OAuth client {c}"))
        .unwrap_or_default();
    format!("{} ({}), {space}{client}", a.name, a.id)
}
