//! What each group of the tenant is given on the app (T6, T11, T12, T14): the opening space roles on the
//! app's space, the opening shares of the app, and who holds the group. Pure data for the lints where the
//! tenant tier and Section Access disagree (`reduce::tenant_lints`), which need groups rather than users:
//! "a group Section Access uses holds no space role", "a space role goes to a group Section Access never
//! lists".

use super::exports::{Exports, Provider, EVERYONE_ID};
use super::model::{share_is_of, App, SHARE_OPENING};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// One group and what it is given on the app.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupRoutes {
    pub id: String,
    pub name: String,
    pub provider: Provider,
    /// T6: a disabled group grants nothing (its roles below open nothing), but still matches GROUP.
    pub disabled: bool,
    /// Opening space roles (T12) assigned to the group on the app's space, sorted.
    pub space_roles: Vec<String>,
    /// Opening roles (T14) of the enabled shares of the app with the group, sorted.
    pub share_roles: Vec<String>,
    /// The users of users.json who hold the group (every user for Everyone), each once: indices into
    /// [`AppGroups::users`], ascending.
    pub members: Vec<usize>,
}

impl GroupRoutes {
    /// Does the group open the app for its members (T6, T11, T14)?
    pub fn opens(&self) -> bool {
        !self.disabled && (!self.space_roles.is_empty() || !self.share_roles.is_empty())
    }
}

/// The groups of the tenant and what they are given on the app `--app` selected.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppGroups {
    /// The app's name (items.json).
    pub app: String,
    /// The app's space id and name; `None` for a personal space (T10: no space roles, no shares).
    pub space_id: Option<String>,
    pub space_name: Option<String>,
    /// Every group of groups.json, and those users.json names that groups.json lacks, sorted by name
    /// then id; Everyone excluded.
    pub groups: Vec<GroupRoutes>,
    /// The system group Everyone ("Anyone at <tenant>", T3).
    pub everyone: GroupRoutes,
    /// The Qlik user ids of users.json, in its order (what [`GroupRoutes::members`] index).
    pub users: Vec<String>,
}

/// The groups of `ex` and what each is given on `app`.
pub fn app_groups(ex: &Exports, app: &App<'_>) -> AppGroups {
    let opening = app.space_type.opening();
    // Opening space roles on the app's space, and opening shares of the app, per assignee id.
    let mut space_roles: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    let mut share_roles: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    if let Some(space) = app.space {
        for a in ex
            .assignments
            .iter()
            .filter(|a| a.space_id == space.id && a.kind == "group")
        {
            let roles = a.roles.iter().filter(|r| opening.contains(&r.as_str()));
            space_roles
                .entry(a.assignee_id.as_str())
                .or_default()
                .extend(roles.map(String::as_str));
        }
        for s in ex
            .shares
            .iter()
            .filter(|s| s.kind == "group" && !s.disabled && share_is_of(app.item, s))
        {
            let roles = s
                .roles
                .iter()
                .filter(|r| SHARE_OPENING.contains(&r.as_str()));
            share_roles
                .entry(s.assignee_id.as_str())
                .or_default()
                .extend(roles.map(String::as_str));
        }
    }
    // Who holds each group, in one pass over the users: per group id (groups.json's first, then those
    // users.json names), the indices of its users, ascending (a user is done before the next), each once.
    let mut slot: FxHashMap<&str, usize> = FxHashMap::default();
    let mut members: Vec<Vec<usize>> = Vec::new();
    for g in &ex.groups {
        slot.entry(g.id.as_str()).or_insert_with(|| {
            members.push(Vec::new());
            members.len() - 1
        });
    }
    // Groups users.json names but groups.json lacks: (name, providerType) of the first mention.
    let mut only_on_users: BTreeMap<&str, (&str, Option<&str>)> = BTreeMap::new();
    for (i, u) in ex.users.iter().enumerate() {
        for g in u.assigned_groups.iter().filter(|g| !g.id.is_empty()) {
            let k = match slot.get(g.id.as_str()) {
                Some(&k) => k,
                None => {
                    if g.id != EVERYONE_ID {
                        only_on_users
                            .insert(g.id.as_str(), (g.name.as_str(), g.provider_type.as_deref()));
                    }
                    members.push(Vec::new());
                    slot.insert(g.id.as_str(), members.len() - 1);
                    members.len() - 1
                }
            };
            if let Some(list) = members.get_mut(k).filter(|l| l.last() != Some(&i)) {
                list.push(i);
            }
        }
    }
    let sorted = |m: Option<&BTreeSet<&str>>| -> Vec<String> {
        m.into_iter().flatten().map(|s| s.to_string()).collect()
    };
    let member_ids = |id: &str| -> Vec<usize> {
        slot.get(id)
            .and_then(|&k| members.get(k))
            .cloned()
            .unwrap_or_default()
    };
    let routes = |id: &str, name: &str, provider: Provider, disabled: bool| GroupRoutes {
        id: id.to_string(),
        name: name.to_string(),
        provider,
        disabled,
        space_roles: sorted(space_roles.get(id)),
        share_roles: sorted(share_roles.get(id)),
        members: member_ids(id),
    };
    let mut groups: Vec<GroupRoutes> = Vec::new();
    let mut seen = BTreeSet::new();
    for g in ex.groups.iter().filter(|g| g.id != EVERYONE_ID) {
        if seen.insert(g.id.as_str()) {
            groups.push(routes(&g.id, &g.name, g.provider(), g.is_disabled()));
        }
    }
    for (id, (name, provider)) in only_on_users {
        let provider = match provider.map(str::to_ascii_lowercase).as_deref() {
            Some("custom") => Provider::Custom,
            _ => Provider::Idp,
        };
        groups.push(routes(id, name, provider, false));
    }
    groups.sort_by(|a, b| a.name.cmp(&b.name).then_with(|| a.id.cmp(&b.id)));
    let everyone_disabled = ex
        .system_groups
        .iter()
        .find(|g| g.id == EVERYONE_ID)
        .is_some_and(|g| g.is_disabled());
    let mut everyone = routes(EVERYONE_ID, "Everyone", Provider::System, everyone_disabled);
    everyone.members = (0..ex.users.len()).collect();
    AppGroups {
        app: app.item.name.clone(),
        space_id: app.space.map(|s| s.id.clone()),
        space_name: app.space.map(|s| s.name.clone()),
        groups,
        everyone,
        users: ex.users.iter().map(|u| u.id.clone()).collect(),
    }
}
