//! The tenant rules T1–T18 (tenant.md §2) for one user and one app: pure functions over [`Exports`].
//!
//! [`Tenant::new`] indexes the exports, [`Tenant::app`] resolves `--app` and its space (T10, T12),
//! [`Tenant::evaluate`] gives one user's [`UserTenant`] (the per-user `tenant` object of tenant.md §3) and
//! [`Tenant::evaluate_all`] every user's, with the warnings (T6, T12) and the top-level
//! [`TenantSummary`]. Output is deterministic: roles, vias, scopes and reasons are sorted.

use super::exports::{
    Assignment, Exports, Group, Item, OAuthClient, Role, RoleRef, Share, Space, User, EVERYONE_ID,
};
use crate::diag::{codes, Diagnostic};
use rustc_hash::FxHashMap;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The role every user holds (T1 `default`, T4).
pub const USER_DEFAULT: &str = "UserDefault";
/// Roles that open apps in shared spaces without a space role (T13).
pub const ADMIN_ROLES: [&str; 2] = ["AnalyticsAdmin", "TenantAdmin"];
/// The data download scopes (T16).
pub const SCOPE_DATA_EXPORT: &str = "apps.data:export";
pub const SCOPE_IMAGE_EXPORT: &str = "apps.image:export";

/// The type of the app's space.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpaceType {
    Personal,
    Shared,
    Managed,
}

impl SpaceType {
    pub fn as_str(&self) -> &'static str {
        match self {
            SpaceType::Personal => "personal",
            SpaceType::Shared => "shared",
            SpaceType::Managed => "managed",
        }
    }
    /// Space roles the type has (qlik.dev space-roles, TM §4.7).
    fn assignable(&self) -> &'static [&'static str] {
        match self {
            SpaceType::Personal => &[],
            SpaceType::Shared => &[
                "consumer",
                "dataconsumer",
                "facilitator",
                "producer",
                "codeveloper",
            ],
            SpaceType::Managed => &[
                "basicconsumer",
                "consumer",
                "contributor",
                "dataconsumer",
                "facilitator",
                "operator",
                "publisher",
            ],
        }
    }
    /// The type of a space of spaces.json by its `type` (`shared`, `managed`); `None` for data spaces
    /// and types qsa does not know.
    fn of_kind(kind: &str) -> Option<SpaceType> {
        match kind.to_ascii_lowercase().as_str() {
            "shared" => Some(SpaceType::Shared),
            "managed" => Some(SpaceType::Managed),
            _ => None,
        }
    }
    /// T12: space roles that open an app.
    pub fn opening(&self) -> &'static [&'static str] {
        match self {
            SpaceType::Personal => &[],
            SpaceType::Shared => &["codeveloper", "consumer", "facilitator", "producer"],
            SpaceType::Managed => &[
                "basicconsumer",
                "consumer",
                "contributor",
                "facilitator",
                "operator",
            ],
        }
    }
}

/// T14: share roles that open the app.
pub const SHARE_OPENING: [&str; 3] = ["basicconsumer", "consumer", "contributor"];

/// The app `--app` selected, with its space.
#[derive(Clone, Debug)]
pub struct App<'a> {
    pub item: &'a Item,
    /// `None` for a personal space (T10).
    pub space: Option<&'a Space>,
    pub space_type: SpaceType,
}

/// The top-level `tenant` object (tenant.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TenantSummary {
    pub app: AppSummary,
    pub oauth_client: Option<String>,
    /// Rules that shape every user alike (T3, T4, T16; T8, T9 with an OAuth client).
    pub rules: Vec<&'static str>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AppSummary {
    pub id: String,
    pub name: String,
    pub space_id: Option<String>,
    pub space_type: SpaceType,
}

/// One role a user holds, with every way it is held (T1): `direct`, `group NAME`, `everyone`, `default`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RoleGrant {
    pub name: String,
    pub via: Vec<String>,
}

/// Opening the app (T10–T14). `via` is empty when `can` is false.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Open {
    pub can: bool,
    pub via: Vec<String>,
    /// When `can` is false: every route that was checked and why it does not open the app, each ending
    /// with its rule id (for `explain` and the HTML report; not part of the JSON contract).
    #[serde(skip)]
    pub why_not: Vec<String>,
}

/// "In-app content download" (T16).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Export {
    Allowed,
    NoData,
    NotAllowed,
}

/// Full User triggers (T18). `full: false` = no trigger, not "Basic".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entitlement {
    pub full: bool,
    pub because: Vec<Line>,
}

/// A line of text many users may hold: a group's (and Everyone's) T18 lines are made once and shared
/// by every member rather than copied per member (100k users hold some 35 each). Compares, sorts and
/// serializes as its text.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Line(std::sync::Arc<str>);

impl Line {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl From<String> for Line {
    fn from(s: String) -> Self {
        Line(s.into())
    }
}

impl From<&str> for Line {
    fn from(s: &str) -> Self {
        Line(s.into())
    }
}

impl std::ops::Deref for Line {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl std::borrow::Borrow<str> for Line {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl PartialEq<str> for Line {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Line {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl std::fmt::Display for Line {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl Serialize for Line {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// The user under the OAuth client (T8, T9).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct OAuthResult {
    pub open: bool,
    pub export: Export,
    pub scopes_missing_for_oauth: Vec<String>,
}

/// Why the tenant denies a user (T15): the user's `denied_reason`.
pub const DENIED_STATUS: &str = "status";
pub const DENIED_CANNOT_OPEN: &str = "tenant: cannot open the app";

/// The per-user `tenant` object (tenant.md §3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserTenant {
    pub qlik_id: String,
    pub status: String,
    pub roles: Vec<RoleGrant>,
    pub scopes: Vec<String>,
    pub open: Open,
    pub export: Export,
    pub entitlement: Entitlement,
    /// Section Access alone (T15): filled by the stage that joins the tenant with Section Access.
    pub section_access: Option<String>,
    pub oauth: Option<OAuthResult>,
    /// The IdP subject (what Section Access USERID compares with); not part of the `tenant` object.
    #[serde(skip)]
    pub subject: String,
    /// [dec] rules this user's result depends on (T6, T7, T10, T12, T13, T14), for the user's `rules`.
    #[serde(skip)]
    pub rules: Vec<&'static str>,
    /// T15: `Some` when the tenant denies the user, whatever Section Access says.
    #[serde(skip)]
    pub denied_reason: Option<&'static str>,
}

/// The exports, indexed.
pub struct Tenant<'a> {
    ex: &'a Exports,
    roles_by_id: FxHashMap<&'a str, &'a Role>,
    roles_by_name: FxHashMap<&'a str, &'a Role>,
    groups: FxHashMap<&'a str, &'a Group>,
    everyone: &'a Group,
    user_default: &'a Role,
    spaces: FxHashMap<&'a str, &'a Space>,
    /// Spaces by `ownerId` (T18).
    owned: FxHashMap<&'a str, Vec<&'a Space>>,
    assignments: FxHashMap<&'a str, Vec<&'a Assignment>>,
    shares: FxHashMap<&'a str, Vec<&'a Share>>,
    /// Subjects by user id (to name owners in `Open::why_not`).
    subjects: FxHashMap<&'a str, &'a str>,
    /// [`Tenant::entitlement_lines`] of every group of the exports but Everyone (as `group NAME`), and of
    /// Everyone (as `everyone`): computed once, not once per member.
    group_lines: FxHashMap<&'a str, Vec<Line>>,
    everyone_lines: Vec<Line>,
    /// The T18 line of each role Everyone holds (`NAME via everyone`, by role name), made once: every
    /// user holds these roles.
    everyone_role_lines: FxHashMap<&'a str, Line>,
}

fn not_evaluable(msg: String) -> Diagnostic {
    Diagnostic::error(codes::TENANT_NOT_EVALUABLE, msg)
}

/// A grantee of a space role or share: the user, one of their groups, or Everyone.
#[derive(Clone, Debug)]
enum Grantee<'a> {
    User,
    Group(&'a str),
    Everyone,
}

impl Grantee<'_> {
    fn via(&self) -> String {
        match self {
            Grantee::User => "user".into(),
            Grantee::Group(n) => format!("group {n}"),
            Grantee::Everyone => "everyone".into(),
        }
    }
}

/// A group a user holds, resolved (T1, T6).
struct HeldGroup<'a> {
    id: &'a str,
    name: &'a str,
    disabled: bool,
    roles: &'a [RoleRef],
}

impl<'a> Tenant<'a> {
    /// Index the exports. Errors: no `UserDefault` in roles.json (T4).
    pub fn new(ex: &'a Exports) -> Result<Self, Box<Diagnostic>> {
        let mut roles_by_id = FxHashMap::default();
        let mut roles_by_name = FxHashMap::default();
        for r in &ex.roles {
            roles_by_id.entry(r.id.as_str()).or_insert(r);
            roles_by_name.entry(r.name.as_str()).or_insert(r);
        }
        let user_default = *roles_by_name.get(USER_DEFAULT).ok_or_else(|| {
            not_evaluable("roles.json has no `UserDefault` role (T4); write it with `qlik role ls --limit 1000`".into())
        })?;
        let mut groups = FxHashMap::default();
        for g in ex.system_groups.iter().chain(&ex.groups) {
            groups.entry(g.id.as_str()).or_insert(g);
        }
        let everyone = *groups.get(EVERYONE_ID).ok_or_else(|| {
            not_evaluable(format!(
                "no Everyone group (id {EVERYONE_ID}) in the system groups export (T3)"
            ))
        })?;
        let spaces = ex.spaces.iter().map(|s| (s.id.as_str(), s)).collect();
        let mut owned: FxHashMap<&str, Vec<&Space>> = FxHashMap::default();
        for s in &ex.spaces {
            owned.entry(s.owner_id.as_str()).or_default().push(s);
        }
        let mut assignments: FxHashMap<&str, Vec<&Assignment>> = FxHashMap::default();
        for a in &ex.assignments {
            assignments
                .entry(a.assignee_id.as_str())
                .or_default()
                .push(a);
        }
        let mut shares: FxHashMap<&str, Vec<&Share>> = FxHashMap::default();
        for s in &ex.shares {
            shares.entry(s.assignee_id.as_str()).or_default().push(s);
        }
        let subjects = ex
            .users
            .iter()
            .rev()
            .map(|u| (u.id.as_str(), u.subject.as_str()))
            .collect();
        let mut t = Tenant {
            ex,
            subjects,
            roles_by_id,
            roles_by_name,
            groups,
            everyone,
            user_default,
            spaces,
            owned,
            assignments,
            shares,
            group_lines: FxHashMap::default(),
            everyone_lines: Vec::new(),
            everyone_role_lines: FxHashMap::default(),
        };
        let group_lines = t
            .groups
            .iter()
            .filter(|(id, _)| **id != EVERYONE_ID)
            .map(|(&id, g)| (id, t.entitlement_lines(id, &Grantee::Group(&g.name))))
            .filter(|(_, lines)| !lines.is_empty())
            .collect();
        t.group_lines = group_lines;
        t.everyone_lines = t.entitlement_lines(EVERYONE_ID, &Grantee::Everyone);
        // A role missing from roles.json is reported when a user is evaluated; here it is only not made.
        let everyone_role_lines = everyone
            .assigned_roles
            .iter()
            .filter_map(|r| t.role(r, String::new).ok())
            .map(|role| {
                let line = format!("{} via everyone", role.name);
                (role.name.as_str(), Line::from(line))
            })
            .collect();
        t.everyone_role_lines = everyone_role_lines;
        Ok(t)
    }

    /// `--app X` and its space (tenant.md §1). Errors: no or several apps; a space spaces.json lacks; a
    /// data space (T12). Warnings (T12): space roles the space type lacks, `meta.assignableRoles`
    /// disagreeing with T12's table.
    pub fn app(
        &self,
        query: &str,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<App<'a>, Box<Diagnostic>> {
        let item = super::exports::select_app(&self.ex.items, query)?;
        let Some(space_id) = item.space() else {
            return Ok(App {
                item,
                space: None,
                space_type: SpaceType::Personal,
            });
        };
        let space = *self.spaces.get(space_id).ok_or_else(|| {
            not_evaluable(format!(
                "app `{}` is in space {space_id}, which spaces.json does not list; export spaces as an admin with `qlik space ls --limit 100000`",
                item.name
            ))
        })?;
        let space_type = match space.kind.to_ascii_lowercase().as_str() {
            "shared" => SpaceType::Shared,
            "managed" => SpaceType::Managed,
            "data" => {
                return Err(Box::new(
                    not_evaluable(format!(
                        "app `{}` is in data space `{}`, which holds no apps (T12)",
                        item.name, space.name
                    ))
                    .with_rule("T12"),
                ))
            }
            other => {
                return Err(Box::new(not_evaluable(format!(
                    "space `{}` has unknown type `{other}`",
                    space.name
                ))))
            }
        };
        let assignable = space_type.assignable();
        let mut lacking: BTreeSet<&str> = BTreeSet::new();
        for a in self
            .ex
            .assignments
            .iter()
            .filter(|a| a.space_id == space.id)
        {
            for r in &a.roles {
                if !assignable.contains(&r.as_str()) {
                    lacking.insert(r);
                }
            }
        }
        for r in lacking {
            warnings.push(
                Diagnostic::warning(
                    codes::TENANT_IGNORED,
                    format!(
                        "space `{}` ({}) assigns role `{r}`, which {} spaces lack: ignored (T12)",
                        space.name,
                        space_type.as_str(),
                        space_type.as_str()
                    ),
                )
                .with_rule("T12"),
            );
        }
        // T14: anonymous `link` shares open nothing for a directory user: info only.
        let links = self
            .ex
            .shares
            .iter()
            .filter(|s| s.kind == "link" && !s.disabled && self.is_app(item, s))
            .count();
        if links > 0 {
            warnings.push(
                Diagnostic::info(
                    codes::TENANT_IGNORED,
                    format!(
                        "app `{}` has {links} anonymous link share(s); qsa evaluates directory users only (T14)",
                        item.name
                    ),
                )
                .with_rule("T14"),
            );
        }
        if let Some(meta) = &space.meta.assignable_roles {
            let theirs: BTreeSet<&str> = meta.iter().map(String::as_str).collect();
            let ours: BTreeSet<&str> = assignable.iter().copied().collect();
            if theirs != ours {
                warnings.push(
                    Diagnostic::warning(
                        codes::TENANT_IGNORED,
                        format!(
                            "spaces.json lists assignable roles [{}] for space `{}`; qsa follows T12's table [{}]",
                            theirs.into_iter().collect::<Vec<_>>().join(", "),
                            space.name,
                            ours.into_iter().collect::<Vec<_>>().join(", ")
                        ),
                    )
                    .with_rule("T12"),
                );
            }
        }
        Ok(App {
            item,
            space: Some(space),
            space_type,
        })
    }

    /// The top-level `tenant` object.
    pub fn summary(&self, app: &App) -> TenantSummary {
        let mut rules = vec!["T3", "T4"];
        if self.ex.oauth_client.is_some() {
            rules.extend(["T8", "T9"]);
        }
        rules.push("T16");
        TenantSummary {
            app: AppSummary {
                id: app.item.resource_id.clone(),
                name: app.item.name.clone(),
                space_id: app.space.map(|s| s.id.clone()),
                space_type: app.space_type,
            },
            oauth_client: self.ex.oauth_client.as_ref().map(OAuthClient::display_name),
            rules,
        }
    }

    /// The role `r` refers to; `holder` names who holds it, for the error.
    fn role(
        &self,
        r: &RoleRef,
        holder: impl FnOnce() -> String,
    ) -> Result<&'a Role, Box<Diagnostic>> {
        self.roles_by_id
            .get(r.id.as_str())
            .or_else(|| self.roles_by_name.get(r.name.as_str()))
            .copied()
            .ok_or_else(|| {
                Box::new(
                    not_evaluable(format!(
                        "role `{}` (id {}) held by {} is not in roles.json (T4)",
                        r.name,
                        r.id,
                        holder()
                    ))
                    .with_rule("T4"),
                )
            })
    }

    /// The groups a user holds (T1: roles from groups.json, else from the user's entry), Everyone
    /// excluded (it is added for every user, T3).
    fn held_groups(&self, user: &'a User) -> Vec<HeldGroup<'a>> {
        let mut out = Vec::with_capacity(user.assigned_groups.len());
        for g in &user.assigned_groups {
            if g.id == EVERYONE_ID {
                continue;
            }
            let (name, disabled, roles): (&str, bool, &[RoleRef]) =
                match self.groups.get(g.id.as_str()) {
                    Some(group) => (
                        group.name.as_str(),
                        group.is_disabled(),
                        &group.assigned_roles,
                    ),
                    None => (
                        g.name.as_str(),
                        false,
                        g.assigned_roles.as_deref().unwrap_or_default(),
                    ),
                };
            out.push(HeldGroup {
                id: g.id.as_str(),
                name,
                disabled,
                roles,
            });
        }
        out
    }

    /// Every user, sorted by subject then id, and the T6 warnings (disabled groups, naming their users).
    pub fn evaluate_all(
        &self,
        app: &App,
        warnings: &mut Vec<Diagnostic>,
    ) -> Result<Vec<UserTenant>, Box<Diagnostic>> {
        use rayon::prelude::*;
        // Users are independent: evaluated on all cores, in order; the first error in users.json's order
        // is the one returned.
        let evaluated: Vec<Result<UserTenant, Box<Diagnostic>>> = self
            .ex
            .users
            .par_iter()
            .map(|u| self.evaluate(app, u))
            .collect();
        let mut out = Vec::with_capacity(evaluated.len());
        for r in evaluated {
            out.push(r?);
        }
        let mut disabled: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        let any_disabled = |u: &User| {
            u.assigned_groups.iter().any(|g| {
                g.id != EVERYONE_ID
                    && self
                        .groups
                        .get(g.id.as_str())
                        .is_some_and(|g| g.is_disabled())
            })
        };
        for u in self.ex.users.iter().filter(|u| any_disabled(u)) {
            for g in self.held_groups(u).into_iter().filter(|g| g.disabled) {
                disabled
                    .entry(g.name)
                    .or_default()
                    .insert(u.subject.as_str());
            }
        }
        for (group, users) in disabled {
            warnings.push(
                Diagnostic::warning(
                    codes::TENANT_IGNORED,
                    format!(
                        "group `{group}` is disabled: it grants no roles, space roles or shares (T6), but still matches GROUP in Section Access; its users: {}",
                        users.into_iter().collect::<Vec<_>>().join(", ")
                    ),
                )
                .with_rule("T6"),
            );
        }
        // Sorted through their indices: each (large) user object moves once.
        let mut order: Vec<usize> = (0..out.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&out[a], &out[b]);
            a.subject
                .cmp(&b.subject)
                .then_with(|| a.qlik_id.cmp(&b.qlik_id))
        });
        let mut slots: Vec<Option<UserTenant>> = out.into_iter().map(Some).collect();
        Ok(order.into_iter().filter_map(|i| slots[i].take()).collect())
    }

    /// T1–T18 for one user and the app.
    pub fn evaluate(&self, app: &App, user: &'a User) -> Result<UserTenant, Box<Diagnostic>> {
        let mut rules: BTreeSet<&'static str> = BTreeSet::new();
        let groups = self.held_groups(user);

        // T1–T3, T6: roles with provenance.
        let mut held: BTreeMap<&'a str, (&'a Role, BTreeSet<String>)> = BTreeMap::new();
        let mut add = |role: &'a Role, via: String| {
            held.entry(role.name.as_str())
                .or_insert_with(|| (role, BTreeSet::new()))
                .1
                .insert(via);
        };
        for r in &user.assigned_roles {
            add(
                self.role(r, || format!("user `{}`", user.subject))?,
                "direct".into(),
            );
        }
        for g in &groups {
            if g.disabled {
                if !g.roles.is_empty() {
                    rules.insert("T6");
                }
                continue;
            }
            for r in g.roles {
                add(
                    self.role(r, || format!("group `{}`", g.name))?,
                    format!("group {}", g.name),
                );
            }
        }
        if !self.everyone.is_disabled() {
            for r in &self.everyone.assigned_roles {
                add(self.role(r, || "Everyone".into())?, "everyone".into());
            }
        }
        add(self.user_default, "default".into());

        // T4: scopes; T8 needs where each comes from.
        let mut scopes: BTreeSet<&str> = BTreeSet::new();
        let mut user_level_scopes: BTreeSet<&str> = BTreeSet::new();
        let mut admin_level_scopes: BTreeSet<&str> = BTreeSet::new();
        for (role, _) in held.values() {
            let user_level = role.name == USER_DEFAULT || !role.level.eq_ignore_ascii_case("admin");
            for s in &role.assigned_scopes {
                scopes.insert(s);
                if user_level {
                    user_level_scopes.insert(s);
                } else {
                    admin_level_scopes.insert(s);
                }
            }
        }
        let admin_roles: Vec<&str> = ADMIN_ROLES
            .iter()
            .copied()
            .filter(|r| held.contains_key(r))
            .collect();

        // T7: status.
        let status = user.status.clone().unwrap_or_else(|| "unknown".into());
        let status_ok = matches!(
            status.to_ascii_lowercase().as_str(),
            "active" | "provisioned"
        );
        if !matches!(
            status.to_ascii_lowercase().as_str(),
            "active" | "provisioned" | "invited" | "disabled"
        ) {
            rules.insert("T7");
        }

        // T10–T14: opening.
        let mut grantees: Vec<(&'a str, Grantee<'a>)> = Vec::with_capacity(groups.len() + 2);
        grantees.push((user.id.as_str(), Grantee::User));
        let mut disabled_ids: Vec<&'a str> = Vec::new();
        for g in &groups {
            if g.disabled {
                disabled_ids.push(g.id);
            } else {
                grantees.push((g.id, Grantee::Group(g.name)));
            }
        }
        if !self.everyone.is_disabled() {
            grantees.push((EVERYONE_ID, Grantee::Everyone));
        }
        let mut vias: BTreeSet<String> = BTreeSet::new();
        let mut uncertain_only = BTreeSet::new(); // vias that are [dec]: operator in managed (T12)
        let mut admin_vias = BTreeSet::new(); // T13
        let mut would_open_otherwise: BTreeSet<&'static str> = BTreeSet::new();
        // Why each route that was found does not open the app (`Open::why_not`).
        let mut why_not: Vec<String> = Vec::new();
        let owner_name = |id: &str| format!("`{}`", self.subjects.get(id).copied().unwrap_or(id));
        match app.space {
            None => {
                // T10: personal space: only its owner; no shares, no admins.
                if app.item.owner_id == user.id {
                    vias.insert("personal owner".to_string());
                } else {
                    why_not.push(format!(
                        "the app is in the personal space of {}: only its owner opens it, it cannot be shared and admins cannot open it (T10)",
                        owner_name(&app.item.owner_id)
                    ));
                    if !admin_roles.is_empty() {
                        would_open_otherwise.insert("T10");
                    }
                }
            }
            Some(space) => {
                let opening = app.space_type.opening();
                let assignable = app.space_type.assignable();
                let kind = app.space_type.as_str();
                if space.owner_id == user.id {
                    vias.insert("owner".into());
                } else {
                    why_not.push(format!(
                        "not the owner of {kind} space `{}` (its owner is {}) (T11)",
                        space.name,
                        owner_name(&space.owner_id)
                    ));
                }
                let mut space_roles = 0usize;
                let mut shares_found = 0usize;
                for (id, grantee) in &grantees {
                    for a in self.assignments.get(id).into_iter().flatten() {
                        if a.space_id != space.id || !matches!(a.kind.as_str(), "user" | "group") {
                            continue;
                        }
                        for r in &a.roles {
                            let r = r.as_str();
                            space_roles += 1;
                            if !opening.contains(&r) {
                                why_not.push(if assignable.contains(&r) {
                                    format!("space role {r} via {}: it does not open apps in a {kind} space (T12)", grantee.via())
                                } else {
                                    format!("space role {r} via {}: a {kind} space has no such role; ignored (T12)", grantee.via())
                                });
                            }
                            if opening.contains(&r) {
                                let via = format!("{r} via {}", grantee.via());
                                if app.space_type == SpaceType::Managed && r == "operator" {
                                    uncertain_only.insert(via.clone());
                                }
                                vias.insert(via);
                            } else if !assignable.contains(&r)
                                && (SpaceType::Shared.opening().contains(&r)
                                    || SpaceType::Managed.opening().contains(&r))
                            {
                                // T12: a role this type lacks, ignored; it would open under the other reading.
                                would_open_otherwise.insert("T12");
                            }
                        }
                    }
                    for s in self.shares.get(id).into_iter().flatten() {
                        if !self.is_app(app.item, s) || !matches!(s.kind.as_str(), "user" | "group")
                        {
                            continue;
                        }
                        shares_found += 1;
                        for r in &s.roles {
                            if !SHARE_OPENING.contains(&r.as_str()) {
                                why_not.push(format!(
                                    "share {r} via {}: the role does not open the app (T14)",
                                    grantee.via()
                                ));
                            }
                        }
                        for r in s
                            .roles
                            .iter()
                            .filter(|r| SHARE_OPENING.contains(&r.as_str()))
                        {
                            if s.disabled {
                                why_not.push(format!(
                                    "share {r} via {}: the share is disabled (T14)",
                                    grantee.via()
                                ));
                                would_open_otherwise.insert("T14");
                            } else {
                                vias.insert(format!("share {r} via {}", grantee.via()));
                            }
                        }
                    }
                }
                // T6: a disabled group's space roles and shares grant nothing.
                for id in &disabled_ids {
                    let space_role = self.assignments.get(id).into_iter().flatten().any(|a| {
                        a.space_id == space.id
                            && a.roles.iter().any(|r| opening.contains(&r.as_str()))
                    });
                    let share = self.shares.get(id).into_iter().flatten().any(|s| {
                        self.is_app(app.item, s)
                            && !s.disabled
                            && s.roles.iter().any(|r| SHARE_OPENING.contains(&r.as_str()))
                    });
                    if space_role || share {
                        would_open_otherwise.insert("T6");
                        let name = groups.iter().find(|g| g.id == *id).map_or(*id, |g| g.name);
                        why_not.push(format!(
                            "group {name} would open it ({}), but the group is disabled and grants nothing (T6)",
                            if space_role { "space role" } else { "share" }
                        ));
                    }
                }
                let held_names = || {
                    let names: Vec<&str> = groups
                        .iter()
                        .filter(|g| !g.disabled)
                        .map(|g| g.name)
                        .collect();
                    if names.is_empty() {
                        "the user (who holds no enabled group) or Everyone".to_string()
                    } else {
                        format!("the user, their groups ({}) or Everyone", names.join(", "))
                    }
                };
                // Made once for both reasons.
                let names = (space_roles == 0 || shares_found == 0).then(held_names);
                let names = names.as_deref().unwrap_or_default();
                if space_roles == 0 {
                    why_not.push(format!(
                        "no space role on `{}` for {names} (T11)",
                        space.name
                    ));
                }
                if shares_found == 0 {
                    why_not.push(format!("no share of the app with {names} (T14)"));
                }
                if app.space_type == SpaceType::Managed {
                    for r in &admin_roles {
                        why_not.push(format!(
                            "admin {r}: admins open apps without a space role only in shared spaces; `{}` is managed (T13)",
                            space.name
                        ));
                    }
                }
                // T13: the admin route, in shared spaces only.
                if app.space_type == SpaceType::Shared {
                    for r in &admin_roles {
                        let via = format!("admin {r}");
                        admin_vias.insert(via.clone());
                        vias.insert(via);
                    }
                }
            }
        }
        let certain = vias
            .iter()
            .filter(|v| !uncertain_only.contains(*v) && !admin_vias.contains(*v))
            .count();
        if status_ok && certain == 0 {
            if vias.iter().any(|v| admin_vias.contains(v)) {
                rules.insert("T13");
            } else if !uncertain_only.is_empty() {
                rules.insert("T12");
            }
            if vias.is_empty() {
                rules.extend(would_open_otherwise.iter().copied());
            }
        }
        let can = status_ok && !vias.is_empty();
        if !status_ok {
            why_not = vec![match status.to_ascii_lowercase().as_str() {
                "disabled" => "the user is disabled: a disabled user cannot open apps (T7)".to_string(),
                "invited" => "the user is invited and has not registered yet: they cannot open apps until they do (T7)".to_string(),
                _ => format!("status `{status}`: only active and provisioned users are evaluated as able to open apps (T7)"),
            }];
        }
        if can {
            why_not.clear();
        }
        let denied_reason = if !status_ok {
            Some(DENIED_STATUS)
        } else if !can {
            Some(DENIED_CANNOT_OPEN)
        } else {
            None
        };

        // T16, T17: download; space roles do not restrict it.
        let export = if can {
            export_of(&scopes)
        } else {
            Export::NotAllowed
        };

        // T18: Full User triggers.
        // Lines made for this user, and lines shared by every member of a group (or everyone), borrowed:
        // sorted and deduplicated together, then copied once.
        let mut own_lines: Vec<Line> = Vec::new();
        let mut shared_lines: Vec<&[Line]> = Vec::new();
        for (name, (_, via)) in &held {
            for v in via {
                // A role auto-assigned to Everyone triggers unless it is EmbeddedAnalyticsUser; any other
                // held role unless it is UserDefault, EmbeddedAnalyticsUser or CollaborationPlatformUser.
                let excepted: &[&str] = if v == "everyone" {
                    &["EmbeddedAnalyticsUser"]
                } else {
                    &[
                        USER_DEFAULT,
                        "EmbeddedAnalyticsUser",
                        "CollaborationPlatformUser",
                    ]
                };
                if !excepted.contains(name) {
                    let made = match self.everyone_role_lines.get(name) {
                        Some(line) if v == "everyone" => line.clone(),
                        _ => format!("{name} via {v}").into(),
                    };
                    own_lines.push(made);
                }
            }
        }
        for s in self.owned.get(user.id.as_str()).into_iter().flatten() {
            own_lines.push(format!("owner of space {}", s.name).into());
        }
        for (id, grantee) in &grantees {
            let cached = match grantee {
                Grantee::Everyone => Some(&self.everyone_lines),
                // Cached under the group's name of groups.json, the name `held_groups` gives it.
                Grantee::Group(_) => self.group_lines.get(id),
                Grantee::User => None,
            };
            match cached {
                Some(lines) => shared_lines.push(lines),
                None => own_lines.extend(self.entitlement_lines(id, grantee)),
            }
        }
        let mut because: Vec<&Line> = own_lines
            .iter()
            .chain(shared_lines.iter().flat_map(|l| l.iter()))
            .collect();
        because.sort_unstable();
        because.dedup();

        // T8, T9: under an OAuth client.
        let oauth = self.ex.oauth_client.as_ref().map(|client| {
            let allowed: BTreeSet<&str> =
                client.allowed_scopes.iter().map(String::as_str).collect();
            let user_default = allowed.contains("user_default");
            let admin_classic = allowed.contains("admin_classic");
            let kept: BTreeSet<&str> = scopes
                .iter()
                .copied()
                .filter(|s| {
                    allowed.contains(s)
                        || (user_default && user_level_scopes.contains(s))
                        || (admin_classic && admin_level_scopes.contains(s))
                })
                .collect();
            let open = can
                && vias
                    .iter()
                    .any(|v| !admin_vias.contains(v) || admin_classic);
            OAuthResult {
                open,
                export: if open {
                    export_of(&kept)
                } else {
                    Export::NotAllowed
                },
                scopes_missing_for_oauth: scopes.difference(&kept).map(|s| s.to_string()).collect(),
            }
        });

        Ok(UserTenant {
            qlik_id: user.id.clone(),
            status,
            roles: held
                .into_iter()
                .map(|(name, (_, via))| RoleGrant {
                    name: name.to_string(),
                    via: via.into_iter().collect(),
                })
                .collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            open: Open {
                can,
                via: if can {
                    vias.into_iter().collect()
                } else {
                    Vec::new()
                },
                why_not,
            },
            export,
            entitlement: Entitlement {
                full: !because.is_empty(),
                because: because.into_iter().cloned().collect(),
            },
            section_access: None,
            oauth,
            subject: user.subject.clone(),
            rules: sorted_rules(rules),
            denied_reason,
        })
    }

    /// T18 triggers of the space roles (all spaces) and enabled shares held by `grantee` (id `id`): each
    /// role but `basicconsumer`.
    fn entitlement_lines(&self, id: &str, grantee: &Grantee) -> Vec<Line> {
        let mut out = Vec::new();
        for a in self.assignments.get(id).into_iter().flatten() {
            if !matches!(a.kind.as_str(), "user" | "group") {
                continue;
            }
            let space = self.spaces.get(a.space_id.as_str());
            // A role the space's type lacks is ignored (T12): no trigger either.
            let lacks = |r: &str| {
                space
                    .and_then(|s| SpaceType::of_kind(&s.kind))
                    .is_some_and(|t| !t.assignable().contains(&r))
            };
            let space = space.map_or(a.space_id.as_str(), |s| s.name.as_str());
            for r in a
                .roles
                .iter()
                .filter(|r| *r != "basicconsumer" && !lacks(r))
            {
                out.push(format!("{r} in space {space} via {}", grantee.via()).into());
            }
        }
        for s in self.shares.get(id).into_iter().flatten() {
            if s.disabled || !matches!(s.kind.as_str(), "user" | "group") {
                continue;
            }
            let what = s.resource_name.as_deref().unwrap_or(s.resource_id.as_str());
            for r in s.roles.iter().filter(|r| *r != "basicconsumer") {
                out.push(format!("share {r} of {what} via {}", grantee.via()).into());
            }
        }
        out
    }

    /// Whether a share is of the app (by its `resourceId`, or the item id).
    fn is_app(&self, item: &Item, s: &Share) -> bool {
        share_is_of(item, s)
    }
}

/// Whether a share is of the app `item` (by its `resourceId`, or the item id).
pub fn share_is_of(item: &Item, s: &Share) -> bool {
    !s.resource_id.is_empty() && (s.resource_id == item.resource_id || s.resource_id == item.id)
}

/// Rule ids in number order (T6 before T12).
fn sorted_rules(rules: BTreeSet<&'static str>) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = rules.into_iter().collect();
    v.sort_by_key(|r| (r.get(1..).and_then(|n| n.parse::<u32>().ok()), *r));
    v
}

/// T16: `apps.data:export` → allowed, else `apps.image:export` → no-data, else not-allowed.
fn export_of(scopes: &BTreeSet<&str>) -> Export {
    if scopes.contains(SCOPE_DATA_EXPORT) {
        Export::Allowed
    } else if scopes.contains(SCOPE_IMAGE_EXPORT) {
        Export::NoData
    } else {
        Export::NotAllowed
    }
}
