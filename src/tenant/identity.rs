//! The Section Access identity of the tenant's users (subject, e-mail, groups with their provider,
//! status), derived from the exports already read, instead of reading `users.json` and `groups.json` a
//! second time with [`crate::access::directory`]. The result is exactly what
//! `access::directory::load(&[users.json], &[groups.json])` gives: the same users, groups, catalog and
//! diagnostics. Where the exports hold something that reader reads otherwise (another document shape,
//! the `groups`/`idp_groups`/`custom_groups` fields, a blank id, subject or name, a user id twice), this
//! answers `None` and the caller reads the files with `access::directory`. Each user becomes a
//! [`User`] through the directory reader's own conversion ([`directory::UserFields::into_user`]), not
//! a copy of it.

use super::exports::Exports;
use crate::access::directory::{self, GroupCatalog, User};
use crate::diag::Diagnostic;
use std::path::Path;

/// The users of `ex` as `access::directory` reads `users_path` (with `groups.json` as the groups export),
/// with its diagnostics; `None` when only that reader can say (see the module documentation).
pub fn directory_users(
    ex: &Exports,
    users_path: &Path,
) -> Option<(Vec<User>, GroupCatalog, Vec<Diagnostic>)> {
    if !ex.directory_shaped
        || ex
            .groups
            .iter()
            .any(|g| g.id.is_empty() || g.name.is_empty())
    {
        return None;
    }
    let mut catalog = GroupCatalog::default();
    for g in &ex.groups {
        catalog.add(
            Some(g.id.clone()),
            g.name.clone(),
            g.provider_type.as_deref(),
        );
    }
    let what = directory::users_file_what(users_path);
    // Users are independent: converted on all cores, in order; their warnings kept in that order.
    use rayon::prelude::*;
    let converted: Vec<(User, Vec<Diagnostic>)> = ex
        .users
        .par_iter()
        .map(|u| {
            let other_shape =
                u.legacy_groups.is_some() || u.idp_groups.is_some() || u.custom_groups.is_some();
            if other_shape || u.id.is_empty() || u.subject.trim().is_empty() || u.name.is_empty() {
                return None;
            }
            // No group of groups.json has an empty id (checked above): an empty reference id
            // classifies as a missing one would.
            let refs = u.assigned_groups.iter().map(|g| {
                (
                    Some(g.id.as_str()).filter(|id| !id.is_empty()),
                    g.name.clone(),
                    g.provider_type.as_deref(),
                )
            });
            let fields = directory::UserFields {
                id: Some(u.id.clone()),
                subject: u.subject.clone(),
                email: u.email.clone(),
                name: Some(u.name.clone()),
                status: u.status.as_deref(),
                idp_groups: Vec::new(),
                custom_groups: Vec::new(),
                refs,
            };
            let mut diags = Vec::new();
            let user = fields.into_user(&catalog, &what, &mut diags);
            Some((user, diags))
        })
        .collect::<Option<_>>()?;
    let mut diags = Vec::new();
    let users = converted
        .into_iter()
        .map(|(user, d)| {
            diags.extend(d);
            user
        })
        .collect();
    Some((users, catalog, diags))
}
