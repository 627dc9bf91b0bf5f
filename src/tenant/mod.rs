//! The tenant stage (tenant.md): Qlik Cloud roles and scopes, opening the app, download and entitlement,
//! read from `qlik` exports, before Section Access decides rows and fields. It sits beside `access` and
//! imports neither `reduce`, `report` nor `cli`.
//!
//! - [`exports`]: the `--tenant DIR` folder (tenant.md §1): users, groups, system groups or group
//!   settings, roles (with `UserDefault`), spaces, space assignments, app shares, items, an optional OAuth
//!   client; bare arrays, `{data, links}` pages or concatenated documents; `--app` selection.
//! - [`identity`]: the users' Section Access identity (subject, e-mail, groups), derived from the exports
//!   exactly as `access::directory` reads `users.json` and `groups.json`, without reading them again.
//! - [`model`]: rules T1–T18 for one user and the app:
//!   - roles with provenance `direct`, `group NAME`, `everyone`, `default` (T1–T3; T5: the exports'
//!     configuration is reported, not the next login's);
//!   - scopes (T4), disabled groups granting nothing (T6), status (T7);
//!   - opening the app (T10 personal space, T11 owner and space roles, T12 opening roles per space type,
//!     T13 the admin route in shared spaces, T14 shares) and T15's `denied_reason`;
//!   - download `allowed|no-data|not-allowed` (T16, T17), Full User triggers (T18);
//!   - the OAuth client intersection (T8, T9);
//!   - the [dec] rules a user's result depends on (T6, T7, T10, T12, T13, T14) in [`model::UserTenant`]'s
//!     `rules`; rules shaping every user alike (T3, T4, T8, T9, T16) once in [`model::TenantSummary`].
//!
//! - [`app_groups`]: what each group is given on the app (opening space roles, shares) and who holds it,
//!   for the lints where the tenant tier and Section Access disagree (`reduce::tenant_lints`).
//!
//! Joining with Section Access (T15, `section_access`) is `reduce::tenant::join`; `qsa report`,
//! `preview` and `snapshot` (format 2) `--tenant DIR --app X` use it, `qsa diff` compares the tenant
//! tier of two snapshots (`report::tenant_diff`), and `qsa explain --tenant` starts its chain at the
//! tenant tier (`reduce::explain::tenant`), with or without a row or a value to explain.

pub mod app_groups;
pub mod exports;
pub mod identity;
pub mod model;

pub use app_groups::{app_groups, AppGroups, GroupRoutes};
pub use exports::{load, select_app, Exports};
pub use model::{App, Export, SpaceType, Tenant, TenantSummary, UserTenant};
