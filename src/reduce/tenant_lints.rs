//! Lints where the tenant tier and Section Access disagree (issue 10; codes `QSA43x` in
//! [`crate::diag::codes`], where each lint's documentation sits beside its code).
//!
//! Both layers are read alone first: Section Access as if every user could open the app (the results
//! `report` gives without `--tenant`), the tenant tier by rules T1–T18 (`crate::tenant`). [`lints`] then
//! compares them, before the T15 join (`super::tenant::join`) hides Section Access behind the tenant's
//! denials. Pure: the same inputs give the same diagnostics, in the same order.
//!
//! | code | finds | severity |
//! |---|---|---|
//! | QSA430 | Section Access grants a user who cannot open the app (T15; why: T7, T10–T14) | warning; info for status (T7) |
//! | QSA431 | a user opens the app but Section Access denies them (T15, L1, R2) | error |
//! | QSA432 | a group used in GROUP holds no opening space role or share (T11, T12, T14, I6) | warning |
//! | QSA433 | an opening space role goes to a group GROUP never lists (T11, T12, I6) | warning |
//! | QSA434 | GROUP names a group of a provider `QlikCloudGroupMode` excludes (S7, I6, T2) | warning |
//! | QSA435 | users keep fields OMIT hides from others and may download data (O1, T16, T17) | warning |
//!
//! Decisions (documented here and beside the codes):
//! - A group is *listed* in Section Access when a GROUP cell equals its upper-cased name and
//!   `QlikCloudGroupMode` selects its provider (I6, S7). A cell with lower-case letters (from a file or a
//!   resident table, S4) matches nobody (I3) and lists no group; QSA111 reports it.
//! - QSA432 and QSA433 are about groups; they fire only when the disagreement changes what some member
//!   gets. QSA432 stays quiet when every member of the group opens the app by another route (Everyone,
//!   their own role, another group, ownership): the group's rows then work; it fires for a group no user
//!   holds yet (IdP groups appear at login, TM §3.5), whose future members would be turned away. QSA433 stays quiet when every
//!   member who opens the app is granted by Section Access some other way (a `*` row, USERID or
//!   USER.EMAIL rows, another group): the space role then does no harm. A disabled group's space roles
//!   open nothing (T6) and are left to QSA423.
//! - "Sensitive" (QSA435) is what the script's author marked so: every app field named in the OMIT column
//!   (O1, what `*` in OMIT stands for), whichever users those rows reach. The spec has no finer notion.
//! - Users are named by subject (and name); a finding lists at most [`LISTED`] of them, by subject, and
//!   says how many more there are (the report lists every user). QSA430 gives one finding per user, with
//!   that user's reasons, for the first [`LISTED`] users; the rest share one finding per kind (status,
//!   route), so that output stays bounded on a tenant of 100k users.

use super::{Access, Prepared, UserResult};
use crate::access::directory::User;
use crate::access::model::{row_origin, ACCESS, GROUP, OMIT};
use crate::access::{GroupMode, Target};
use crate::diag::{codes, Diagnostic, SourceId, SourceMap, Span};
use crate::model::RowOrigin;
use crate::tenant::exports::Provider;
use crate::tenant::model::{Export, DENIED_CANNOT_OPEN, DENIED_STATUS};
use crate::tenant::{AppGroups, GroupRoutes, UserTenant};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet};

/// At most this many users are named in one finding.
pub const LISTED: usize = 50;

/// At most this many further security rows are labelled (besides the first) in one finding.
const MORE_ROWS: usize = 10;

/// One user with both results.
struct Joined<'a> {
    user: &'a User,
    sa: &'a UserResult,
    t: &'a UserTenant,
    /// The rank of `sa.id` (the subject) among the users' (equal ids, equal rank): listings sort by it.
    rank: usize,
}

impl Joined<'_> {
    /// `` `subject` (Name) ``.
    fn who(&self) -> String {
        // Built by hand, not with `format!`: a finding on a large tenant names hundreds of thousands.
        let id = &self.sa.id;
        let name = self.sa.name.as_deref().filter(|n| !n.is_empty());
        let mut s = String::with_capacity(id.len() + name.map_or(0, |n| n.len() + 3) + 2);
        s.push('`');
        s.push_str(id);
        s.push('`');
        if let Some(n) = name {
            s.push_str(" (");
            s.push_str(n);
            s.push(')');
        }
        s
    }
}

/// The lints of this module. `users[i]` was evaluated by Section Access alone as `results[i]` (keyed by
/// its Qlik user id, `User::key`); `tenant` holds the tenant's answer per Qlik user id; `groups` what
/// each group is given on the app. Users the tenant does not know are skipped (the join refuses them).
pub fn lints(
    p: &Prepared<'_>,
    users: &[User],
    results: &[UserResult],
    tenant: &[UserTenant],
    groups: &AppGroups,
) -> Vec<Diagnostic> {
    // Per Qlik user id, the tenant's answer and its place (`tenant` is sorted by subject).
    let by_id: FxHashMap<&str, (usize, &UserTenant)> = tenant
        .iter()
        .enumerate()
        .map(|(i, t)| (t.qlik_id.as_str(), (i, t)))
        .collect();
    let mut place = Vec::with_capacity(users.len());
    let mut joined: Vec<Joined> = users
        .iter()
        .zip(results)
        .filter_map(|(user, sa)| {
            let &(i, t) = by_id.get(user.key.as_str())?;
            place.push(i);
            Some(Joined {
                user,
                sa,
                t,
                rank: 0,
            })
        })
        .collect();
    // Ranks by subject: in the tenant's order first (integers), then by the ids themselves, which
    // takes one comparison per user when that order is already theirs.
    let mut order: Vec<usize> = (0..joined.len()).collect();
    order.sort_unstable_by_key(|&k| place.get(k).copied());
    order.sort_by(|&a, &b| joined[a].sa.id.cmp(&joined[b].sa.id));
    let mut rank = 0;
    for (n, w) in order.iter().enumerate() {
        if n > 0 && joined[order[n - 1]].sa.id != joined[*w].sa.id {
            rank += 1;
        }
        joined[*w].rank = rank;
    }
    let joined = joined;
    let by_qlik: FxHashMap<&str, &Joined> =
        joined.iter().map(|j| (j.t.qlik_id.as_str(), j)).collect();
    // Group members are indices into `groups.users`: each resolved once, not once per group held.
    let slots = groups
        .users
        .iter()
        .map(|id| by_qlik.get(id.as_str()).copied())
        .collect();
    let cx = Cx {
        p,
        groups,
        slots,
        rows: group_rows(p),
    };
    let mut out = granted_cannot_open(&cx, &joined);
    out.extend(opens_but_denied(&cx, &joined));
    out.extend(group_without_space_role(&cx));
    out.extend(space_role_to_unlisted_group(&cx));
    out.extend(group_mode_excludes(&cx));
    out.extend(download_sensitive(&cx, &joined));
    crate::diag::sort_diagnostics(&mut out);
    out
}

/// What the lints share.
struct Cx<'a> {
    p: &'a Prepared<'a>,
    groups: &'a AppGroups,
    /// Per user of `groups.users`, the user with both results (`None`: one of the two layers lacks it).
    slots: Vec<Option<&'a Joined<'a>>>,
    /// Per GROUP value that can match (stored upper-case, I3): where each row naming it comes from.
    rows: BTreeMap<String, Vec<GroupCell>>,
}

/// A security row naming a GROUP value: the row's location and, for an INLINE row, the cell's.
#[derive(Clone, Copy, PartialEq, Eq)]
struct GroupCell {
    source: SourceId,
    row: Span,
    cell: Option<Span>,
}

impl Cx<'_> {
    fn app(&self) -> &str {
        &self.groups.app
    }
    fn space(&self) -> String {
        match &self.groups.space_name {
            Some(s) => format!("space `{s}`"),
            None => "the personal space it is in".into(),
        }
    }
    fn mode(&self) -> u8 {
        self.p.mode.number()
    }
    /// Does GROUP compare with groups of `provider` (I6, S7)? Client-managed: every directory group.
    fn selects(&self, provider: Provider) -> bool {
        match (self.p.target, provider) {
            (_, Provider::System) => false,
            (Target::ClientManaged, _) => true,
            (Target::Cloud, Provider::Idp) => self.p.mode != GroupMode::Custom,
            (Target::Cloud, Provider::Custom) => self.p.mode != GroupMode::Idp,
        }
    }
    /// Is the group listed in GROUP under the mode?
    fn listed(&self, g: &GroupRoutes) -> bool {
        self.selects(g.provider) && self.rows.contains_key(&g.name.to_uppercase())
    }
    /// The members of `g` whom both layers know.
    fn members<'s>(&'s self, g: &'s GroupRoutes) -> impl Iterator<Item = &'s Joined<'s>> + 's {
        g.members
            .iter()
            .filter_map(|&m| self.slots.get(m).copied().flatten())
    }
    /// Place `d` at the rows naming GROUP `value` (the cell when `cell`), the first as primary.
    fn at_rows(&self, mut d: Diagnostic, value: &str, label: &str, cell: bool) -> Diagnostic {
        let mut seen: Vec<(SourceId, Span)> = Vec::new();
        for c in self.rows.get(value).into_iter().flatten() {
            let span = if cell { c.cell.unwrap_or(c.row) } else { c.row };
            if seen.contains(&(c.source, span)) {
                continue;
            }
            if seen.is_empty() {
                d = d.at(c.source, span, label);
            } else if seen.len() <= MORE_ROWS {
                d = d.with_secondary(c.source, span, "");
            } else {
                break;
            }
            seen.push((c.source, span));
        }
        d
    }
}

fn provider_name(p: Provider) -> &'static str {
    match p {
        Provider::Idp => "IdP",
        Provider::Custom => "custom",
        Provider::System => "system",
    }
}

/// An entry of a [`listing`]: its sort key (a rank, then text) and its text, made only for the entries
/// shown.
trait Listed {
    fn key(&self) -> (usize, &str);
    fn text(&self) -> String;
}

impl Listed for (String, String) {
    fn key(&self) -> (usize, &str) {
        (0, &self.0)
    }
    fn text(&self) -> String {
        self.1.clone()
    }
}

/// A user, named by subject (and name), sorted by subject.
impl Listed for &Joined<'_> {
    fn key(&self) -> (usize, &str) {
        (self.rank, "")
    }
    fn text(&self) -> String {
        self.who()
    }
}

/// `items` sorted by (sort key, text), each distinct (key, text) once, at most [`LISTED`] of them,
/// joined; "… and N more" after. The text of an entry is made only where it is shown or where entries
/// share a key (a listing may hold every user of a tenant).
fn listing<T: Listed>(mut items: Vec<T>) -> String {
    items.sort_by(|a, b| a.key().cmp(&b.key()).then_with(|| a.text().cmp(&b.text())));
    let mut n = 0;
    let mut s: Vec<String> = Vec::new();
    for run in items.chunk_by(|a, b| a.key() == b.key()) {
        let texts: Vec<String> = match run {
            // Not shown: only counted.
            [_] if s.len() >= LISTED => {
                n += 1;
                continue;
            }
            [one] => vec![one.text()],
            _ => {
                let mut t: Vec<String> = run.iter().map(Listed::text).collect();
                t.dedup();
                t
            }
        };
        n += texts.len();
        s.extend(texts.into_iter().take(LISTED.saturating_sub(s.len())));
    }
    if n > LISTED {
        s.push(format!("… and {} more", n - LISTED));
    }
    s.join(", ")
}

/// The rule ids tenant reasons may cite (`Open::why_not`), in the order findings list them.
const IDS: [&str; 9] = ["T6", "T7", "T10", "T11", "T12", "T13", "T14", "T16", "T17"];

/// The rule ids the reasons cite, as `(T13)` at their end, in the order of [`IDS`].
fn cited<'r>(reasons: impl IntoIterator<Item = &'r String>) -> Vec<&'static str> {
    ids_of(found_in(reasons))
}

/// [`cited`] for the reasons of all `users`, read on all cores.
fn cited_by_all(users: &[&Joined<'_>]) -> Vec<&'static str> {
    use rayon::prelude::*;
    let found = users
        .par_chunks(1024)
        .map(|c| found_in(c.iter().flat_map(|j| &j.t.open.why_not)))
        .reduce(
            || [false; IDS.len()],
            |a, b| std::array::from_fn(|k| a[k] || b[k]),
        );
    ids_of(found)
}

fn ids_of(found: [bool; IDS.len()]) -> Vec<&'static str> {
    IDS.into_iter()
        .zip(found)
        .filter(|(_, f)| *f)
        .map(|(id, _)| id)
        .collect()
}

/// Which of [`IDS`] the reasons cite: one scan of each for `(T<digits>)`, stopping once every id is found.
fn found_in<'r>(reasons: impl IntoIterator<Item = &'r String>) -> [bool; IDS.len()] {
    let mut found = [false; IDS.len()];
    for r in reasons {
        let mut rest = r.as_str();
        while let Some(at) = rest.find('(') {
            rest = &rest[at + 1..];
            let Some(number) = rest.strip_prefix('T') else {
                continue;
            };
            let digits = number.bytes().take_while(u8::is_ascii_digit).count();
            if digits > 0 && number[digits..].starts_with(')') {
                let id = &rest[..1 + digits];
                if let Some(k) = IDS.iter().position(|x| *x == id) {
                    found[k] = true;
                }
            }
        }
        if found.iter().all(|f| *f) {
            break;
        }
    }
    found
}

/// The load of the first security table holding `field` (else the first security table).
fn table_at(p: &Prepared<'_>, field: &str) -> Option<(SourceId, Span)> {
    let tables = &p.run.security.tables;
    tables
        .iter()
        .find(|t| t.field_index(field).is_some())
        .or_else(|| tables.first())
        .and_then(|t| t.source)
}

/// Per GROUP value that can match (not `*`, not blank, stored upper-case: I3), the rows naming it, in
/// table and row order.
fn group_rows(p: &Prepared<'_>) -> BTreeMap<String, Vec<GroupCell>> {
    let mut out: BTreeMap<String, Vec<GroupCell>> = BTreeMap::new();
    for t in &p.run.security.tables {
        let Some(c) = t.field_index(GROUP) else {
            continue;
        };
        for r in 0..t.row_count() {
            let value = t.cell(c, r);
            let Some(text) = value.text() else {
                continue;
            };
            let up = text.to_uppercase();
            // A cell with lower-case letters never matches (I3; QSA111 says so): it lists no group.
            if up != *text || !p.security.group_values.contains(&up) {
                continue;
            }
            let rows = out.entry(up).or_default();
            let Some((source, row)) = row_origin(t, r) else {
                continue;
            };
            let cell = match t.origins.get(r) {
                Some(RowOrigin::Script { .. }) => cell_span(&p.run.sources, source, row, &text),
                _ => None,
            };
            rows.push(GroupCell { source, row, cell });
        }
    }
    out
}

/// The span of `cell` (compared ignoring ASCII case: INLINE upper-cases values, S4) inside the INLINE
/// line `row`, as a whole cell (not part of a longer word).
fn cell_span(sources: &SourceMap, source: SourceId, row: Span, cell: &str) -> Option<Span> {
    let text = sources.get(source)?.text.get(row.range())?;
    let (hay, needle) = (text.as_bytes(), cell.as_bytes());
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b >= 0x80;
    (0..=hay.len() - needle.len())
        .find(|&i| {
            hay[i..i + needle.len()].eq_ignore_ascii_case(needle)
                && (i == 0 || !word(hay[i - 1]))
                && hay.get(i + needle.len()).is_none_or(|&b| !word(b))
        })
        .map(|i| Span::new(row.start + i, row.start + i + needle.len()))
}

/// QSA430: Section Access grants users who cannot open the app.
fn granted_cannot_open(cx: &Cx<'_>, joined: &[Joined<'_>]) -> Vec<Diagnostic> {
    let mut hit: Vec<&Joined> = joined
        .iter()
        .filter(|j| j.sa.access != Access::Denied && !j.t.open.can)
        .collect();
    if hit.is_empty() {
        return vec![];
    }
    // By subject (its rank), then Qlik user id.
    hit.sort_by(|a, b| {
        a.rank
            .cmp(&b.rank)
            .then_with(|| a.t.qlik_id.cmp(&b.t.qlik_id))
    });
    // One finding per user for the first LISTED; the rest in one finding per kind (status or route).
    let rest = hit.split_off(hit.len().min(LISTED));
    let mut out = granted_rest(cx, &rest);
    // The rows that grant them: one evaluation of the security model per distinct identity.
    let subset: Vec<User> = hit.iter().map(|j| j.user.clone()).collect();
    let applied = cx.p.applied_profiles(&subset);
    let tables = &cx.p.run.security.tables;
    out.extend(hit.iter()
        .enumerate()
        .map(|(k, j)| {
            let level = j.sa.access.as_str();
            let status = j.t.denied_reason == Some(DENIED_STATUS);
            let msg = format!(
                "user {} is granted {level} by Section Access but cannot open the app `{}`: {}",
                j.who(),
                cx.app(),
                j.t.open.why_not.join("; ")
            );
            let mut d = if status {
                Diagnostic::info(codes::TENANT_GRANTED_CANNOT_OPEN, msg).with_help(
                    "if the user has left, remove their Section Access rows; otherwise enable the user (or let them finish registering)",
                )
            } else {
                let fix = match &cx.groups.space_name {
                    Some(s) => format!("give the user, or a group of theirs, a space role that opens apps on `{s}` (T12), or share the app with them (T14); or remove their Section Access rows"),
                    None => "only the owner of a personal space opens its apps (T10): publish the app to a shared or managed space, or remove their Section Access rows".to_string(),
                };
                Diagnostic::warning(codes::TENANT_GRANTED_CANNOT_OPEN, msg).with_help(fix)
            };
            for r in cited(&j.t.open.why_not) {
                d = d.with_rule(r);
            }
            d = d.with_rule("T15");
            let profile = applied
                .of_user
                .get(k)
                .copied()
                .flatten()
                .and_then(|i| applied.profiles.get(i));
            let first = profile.and_then(|prof| {
                tables.iter().zip(prof).find_map(|(t, rows)| {
                    let r = *rows.as_ref()?.first()?;
                    row_origin(t, r as usize)
                })
            });
            match first {
                Some((s, sp)) => d.at(s, sp, format!("granted {level} here")),
                None => d,
            }
        }));
    out
}

/// QSA430 beyond the first [`LISTED`] users (by subject): one finding for those kept out by their status
/// (T7), one for those no route lets in, each naming the users, with the rule ids of all their reasons;
/// output stays bounded on a large tenant.
fn granted_rest(cx: &Cx<'_>, rest: &[&Joined<'_>]) -> Vec<Diagnostic> {
    let (status, route): (Vec<&Joined>, Vec<&Joined>) = rest
        .iter()
        .partition(|j| j.t.denied_reason == Some(DENIED_STATUS));
    let at = table_at(cx.p, ACCESS);
    let mut out = vec![];
    for (users, by_status) in [(status, true), (route, false)] {
        if users.is_empty() {
            continue;
        }
        let n = users.len();
        let rules = cited_by_all(&users);
        let why = if by_status {
            "their status keeps them out (T7)"
        } else {
            "no route opens the app for them"
        };
        let msg = format!(
            "and {n} more user(s) Section Access grants cannot open the app `{}`: {why}: {}",
            cx.app(),
            listing(users)
        );
        let mut d = if by_status {
            Diagnostic::info(codes::TENANT_GRANTED_CANNOT_OPEN, msg)
        } else {
            Diagnostic::warning(codes::TENANT_GRANTED_CANNOT_OPEN, msg)
        };
        for r in rules {
            d = d.with_rule(r);
        }
        d = d.with_rule("T15");
        out.push(match at {
            Some((s, sp)) => d.at(s, sp, "Section Access loaded here"),
            None => d,
        });
    }
    out
}

/// A user who opens the app, named with the first route that opens it.
struct OpensAs<'a>(&'a Joined<'a>);

impl Listed for OpensAs<'_> {
    fn key(&self) -> (usize, &str) {
        (self.0.rank, "")
    }
    fn text(&self) -> String {
        let via = self.0.t.open.via.first().map(String::as_str).unwrap_or("");
        format!("{} opens it as {via}", self.0.who())
    }
}

/// QSA431: users who open the app but whom Section Access denies, one finding per reason.
fn opens_but_denied(cx: &Cx<'_>, joined: &[Joined<'_>]) -> Vec<Diagnostic> {
    let mut by_reason: BTreeMap<&str, Vec<OpensAs>> = BTreeMap::new();
    for j in joined
        .iter()
        .filter(|j| j.t.open.can && j.sa.access == Access::Denied)
    {
        by_reason
            .entry(j.sa.denied_reason.as_deref().unwrap_or_default())
            .or_default()
            .push(OpensAs(j));
    }
    let at = table_at(cx.p, ACCESS);
    by_reason
        .into_iter()
        .map(|(reason, users)| {
            let d = Diagnostic::error(
                codes::TENANT_OPENS_SA_DENIES,
                format!(
                    "{} user(s) open the app `{}` but Section Access denies them ({reason}): they get an error when they open it: {}",
                    users.len(),
                    cx.app(),
                    listing(users)
                ),
            )
            .with_help(format!(
                "add Section Access rows for them (USERID, or a GROUP they hold under QlikCloudGroupMode {}), or remove the space role or share that opens the app for them",
                cx.mode()
            ))
            .with_rule("T15")
            .with_rule(if reason.starts_with("strict exclusion") {
                "R2"
            } else {
                "L1"
            });
            match at {
                Some((s, sp)) => d.at(s, sp, "Section Access loaded here"),
                None => d,
            }
        })
        .collect()
}

/// QSA432: groups used in GROUP that hold no opening space role and no share, some of whose members
/// cannot open the app.
fn group_without_space_role(cx: &Cx<'_>) -> Vec<Diagnostic> {
    use rayon::prelude::*;
    // Groups are independent: on all cores, in order.
    cx.groups
        .groups
        .par_iter()
        .filter_map(|g| group_without_space_role_one(cx, g))
        .collect()
}

/// QSA432 for the group `g`, if it fires.
fn group_without_space_role_one(cx: &Cx<'_>, g: &GroupRoutes) -> Option<Diagnostic> {
    if !cx.listed(g) || g.opens() {
        return None;
    }
    let stuck: Vec<&Joined> = cx
        .members(g)
        .filter(|j| j.t.denied_reason == Some(DENIED_CANNOT_OPEN))
        .collect();
    let members = g.members.len();
    // Every member opens the app another way: the group's rows work.
    if stuck.is_empty() && members > 0 {
        return None;
    }
    let up = g.name.to_uppercase();
    let ignored = g.disabled && !(g.space_roles.is_empty() && g.share_roles.is_empty());
    let who = if members == 0 {
        "no user of users.json holds it yet; whoever does later opens the app only by another route"
            .to_string()
    } else {
        format!(
            "{} of its {members} member(s) cannot open the app: {}",
            stuck.len(),
            listing(stuck)
        )
    };
    let mut d = Diagnostic::warning(
        codes::TENANT_SA_GROUP_NO_SPACE_ROLE,
        format!(
            "GROUP `{up}` ({} group `{}`) is used in Section Access, but the group holds no space role that opens apps on {} and no share of the app `{}`{}: {who}",
            provider_name(g.provider),
            g.name,
            cx.space(),
            cx.app(),
            if ignored { " (its roles count for nothing: the group is disabled, T6)" } else { "" },
        ),
    )
    .with_help(match &cx.groups.space_name {
        Some(s) => format!("give group `{}` a space role that opens apps on `{s}` (e.g. consumer) or share the app with it; or remove its rows if they are obsolete", g.name),
        None => "the app is in a personal space, which only its owner opens (T10): publish it to a shared or managed space".to_string(),
    });
    for r in ["I6", "T11", "T12", "T14"] {
        d = d.with_rule(r);
    }
    if ignored {
        d = d.with_rule("T6");
    }
    if cx.groups.space_id.is_none() {
        d = d.with_rule("T10");
    }
    Some(cx.at_rows(d, &up, "the group's rows", false))
}

/// Where each assignee's assignment on `space` is in the exports: the file's name as the message shows
/// it (`assignments.json` or `assignments/<space>.json`) and, per assignee id, the first
/// `"assigneeId": "<id>"` value among the loaded sources. One pass over each such file.
struct Assignments {
    file: String,
    at: FxHashMap<String, (SourceId, Span)>,
}

impl Assignments {
    fn index(sources: &SourceMap, space: &str) -> Assignments {
        let mut file = format!("assignments/{space}.json");
        let mut at = FxHashMap::default();
        for (i, f) in sources.files.iter().enumerate() {
            let Some(path) = &f.path else { continue };
            let one = path.file_name().is_some_and(|n| n == "assignments.json");
            let in_folder = path.file_stem().is_some_and(|s| s == space)
                && path.extension().is_some_and(|e| e == "json")
                && path
                    .parent()
                    .and_then(|d| d.file_name())
                    .is_some_and(|d| d == "assignments");
            if !(one || in_folder) {
                continue;
            }
            if one {
                file = "assignments.json".to_string();
            }
            for (id, span) in assignees(&f.text) {
                at.entry(id.to_string())
                    .or_insert((SourceId(i as u32), span));
            }
        }
        Assignments { file, at }
    }
}

/// Every `"assigneeId": "<id>"` of JSON text: the id and the span of its quoted value.
fn assignees(text: &str) -> Vec<(&str, Span)> {
    const KEY: &str = "\"assigneeId\"";
    let mut out = vec![];
    let mut from = 0;
    while let Some(k) = text.get(from..).and_then(|t| t.find(KEY)) {
        let after = from + k + KEY.len();
        from = after;
        let Some(rest) = text.get(after..) else { break };
        let Some(value) = rest.trim_start().strip_prefix(':').map(str::trim_start) else {
            continue;
        };
        let Some(inner) = value.strip_prefix('"') else {
            continue;
        };
        let Some(len) = inner.find('"') else { continue };
        let start = text.len() - value.len();
        out.push((&inner[..len], Span::new(start, start + len + 2)));
    }
    out
}

/// QSA433: opening space roles given to groups (or Everyone) GROUP never lists, some of whose members
/// open the app and are denied by Section Access.
fn space_role_to_unlisted_group(cx: &Cx<'_>) -> Vec<Diagnostic> {
    let Some(space_id) = &cx.groups.space_id else {
        return vec![];
    };
    let mut out = vec![];
    let assignments = Assignments::index(&cx.p.run.sources, space_id);
    let all = cx.groups.groups.iter().chain([&cx.groups.everyone]);
    for g in all {
        if g.disabled || g.space_roles.is_empty() || cx.listed(g) {
            continue;
        }
        let turned: Vec<&Joined> = cx
            .members(g)
            .filter(|j| j.t.open.can && j.sa.access == Access::Denied)
            .collect();
        if turned.is_empty() {
            continue;
        }
        let everyone = g.provider == Provider::System;
        let at = assignments.at.get(&g.id).copied();
        let file = &assignments.file;
        let whom = if everyone {
            "Everyone (every user of the tenant)".to_string()
        } else {
            format!("{} group `{}`", provider_name(g.provider), g.name)
        };
        let d = Diagnostic::warning(
            codes::TENANT_SPACE_ROLE_GROUP_UNLISTED,
            format!(
                "{file}: space role {} on {} is given to {whom}, which Section Access never lists in GROUP (QlikCloudGroupMode {}): {} of its member(s) open the app `{}` and Section Access denies them: {}",
                g.space_roles.join(", "),
                cx.space(),
                cx.mode(),
                turned.len(),
                cx.app(),
                listing(turned)
            ),
        )
        .with_help(if everyone {
            "give the space role to the groups Section Access lists rather than Everyone, or add rows for these users".to_string()
        } else {
            format!(
                "add GROUP rows for `{}` to Section Access, or remove the group's space role",
                g.name.to_uppercase()
            )
        })
        .with_rule("I6")
        .with_rule("T11")
        .with_rule("T12")
        .with_rule("T15");
        out.push(match at {
            Some((s, sp)) => d.at(s, sp, "the space role is given here"),
            None => d,
        });
    }
    out
}

/// QSA434: GROUP values that name only groups of a provider the group mode excludes.
fn group_mode_excludes(cx: &Cx<'_>) -> Vec<Diagnostic> {
    if cx.p.target != Target::Cloud {
        return vec![];
    }
    let mut by_value: BTreeMap<String, Vec<&GroupRoutes>> = BTreeMap::new();
    for g in &cx.groups.groups {
        let up = g.name.to_uppercase();
        if cx.rows.contains_key(&up) {
            by_value.entry(up).or_default().push(g);
        }
    }
    let unset = if cx.p.security.mode_set {
        ""
    } else {
        " (the variable is unset: the default)"
    };
    let mut out = vec![];
    for (value, gs) in by_value {
        if gs.iter().any(|g| cx.selects(g.provider)) {
            continue;
        }
        let names: BTreeSet<String> = gs
            .iter()
            .map(|g| format!("{} group `{}`", provider_name(g.provider), g.name))
            .collect();
        let (selected, fix) = match cx.p.mode {
            GroupMode::Idp => ("IdP groups only", "set QlikCloudGroupMode to 2 (IdP and custom groups) or 1 (custom groups only), or use an IdP group"),
            GroupMode::Custom => ("custom groups only", "set QlikCloudGroupMode to 2 (IdP and custom groups) or 0 (IdP groups only), or use a custom group"),
            GroupMode::Both => continue,
        };
        let d = Diagnostic::warning(
            codes::TENANT_GROUP_MODE_EXCLUDES,
            format!(
                "GROUP `{value}` names the {}, but QlikCloudGroupMode is {}{unset} ({selected}): its rows never match the group's members",
                names.into_iter().collect::<Vec<_>>().join(" and the "),
                cx.mode()
            ),
        )
        .with_help(fix)
        .with_rule("S7")
        .with_rule("I6")
        .with_rule("T2");
        out.push(cx.at_rows(d, &value, "never matches under this group mode", true));
    }
    out
}

/// QSA435: users who keep fields OMIT hides from others and whose download is allowed.
fn download_sensitive(cx: &Cx<'_>, joined: &[Joined<'_>]) -> Vec<Diagnostic> {
    let fields = cx.p.app_fields();
    let sensitive: BTreeSet<&str> =
        cx.p.security
            .omit_star
            .iter()
            .filter(|f| fields.contains(*f))
            .map(String::as_str)
            .collect();
    if sensitive.is_empty() {
        return vec![];
    }
    let mut by_kept: BTreeMap<Vec<&str>, Vec<&Joined>> = BTreeMap::new();
    for j in joined
        .iter()
        .filter(|j| j.t.export == Export::Allowed && j.sa.access != Access::Denied)
    {
        let kept: Vec<&str> = sensitive
            .iter()
            .copied()
            .filter(|f| !j.sa.omitted_fields.iter().any(|o| o == f))
            .collect();
        if !kept.is_empty() {
            by_kept.entry(kept).or_default().push(j);
        }
    }
    let at = table_at(cx.p, OMIT);
    by_kept
        .into_iter()
        .map(|(kept, users)| {
            let names: Vec<String> = kept.iter().map(|f| format!("`{f}`")).collect();
            let d = Diagnostic::warning(
                codes::TENANT_DOWNLOAD_SENSITIVE,
                format!(
                    "{} user(s) can download {} out of the app `{}`: Section Access omits {} for other users but not for them, and their In-app content download is Allowed: {}",
                    users.len(),
                    names.join(", "),
                    cx.app(),
                    if kept.len() == 1 { "this field" } else { "these fields" },
                    listing(users)
                ),
            )
            .with_help("omit the fields for these users too, or take data download away from them (no `apps.data:export` in User Default or in their custom roles)")
            .with_rule("O1")
            .with_rule("T16")
            .with_rule("T17");
            match at {
                Some((s, sp)) => d.at(s, sp, "OMIT loaded here"),
                None => d,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignees_found_in_json_text() {
        let text = "[{\"id\": \"a1\", \"assigneeId\" :  \"g1\"}, {\"assigneeId\":\"g2\"}, {\"assigneeId\": 3}, \"assigneeId\"";
        let found: Vec<(&str, &str)> = assignees(text)
            .into_iter()
            .map(|(id, s)| (id, &text[s.range()]))
            .collect();
        assert_eq!(found, [("g1", "\"g1\""), ("g2", "\"g2\"")]);
    }

    #[test]
    fn cell_found_as_a_whole_word_ignoring_case() {
        let mut m = SourceMap::default();
        let line = "USER, *, cg-export, cg";
        let id = m.add(crate::diag::SourceFile::new(
            "t",
            None,
            format!("x\n{line}\n"),
        ));
        let row = Span::new(2, 2 + line.len());
        let cell = cell_span(&m, id, row, "CG").map(|s| s.start - 2);
        assert_eq!(cell, Some(20));
        let cell = cell_span(&m, id, row, "CG-EXPORT").map(|s| s.start - 2);
        assert_eq!(cell, Some(9));
        assert_eq!(cell_span(&m, id, row, "EXPORT"), None);
    }

    #[test]
    fn rule_ids_are_the_tags_the_reasons_contain() {
        let reasons: Vec<String> = [
            "no share of the app with the user (T14)",
            "group (T1x) would open it (T6)",
            "status `gone`: ((T7) and (T16)",
            "(T) (T13 (T12x) T10)",
        ]
        .map(String::from)
        .to_vec();
        assert_eq!(cited(&reasons), ["T6", "T7", "T14", "T16"]);
        let refs: Vec<&String> = reasons.iter().collect();
        assert_eq!(cited(refs.iter().copied().take(1)), ["T14"]);
    }

    #[test]
    fn listings_sort_by_key_then_text_and_count_distinct_entries() {
        let items: Vec<(String, String)> = [("b", "y"), ("a", "x"), ("a", "w"), ("a", "x")]
            .map(|(k, t)| (k.to_string(), t.to_string()))
            .to_vec();
        assert_eq!(listing(items), "w, x, y");
        // Past LISTED entries, equal entries still count once.
        let mut items: Vec<(String, String)> = (0..LISTED + 2)
            .map(|i| (format!("{i:03}"), format!("u{i:03}")))
            .collect();
        items.push((format!("{:03}", LISTED + 1), format!("u{:03}", LISTED + 1)));
        assert!(listing(items).ends_with(", … and 2 more"));
    }

    #[test]
    fn long_listings_say_how_many_more() {
        let items: Vec<(String, String)> = (0..LISTED + 3)
            .map(|i| (format!("{i:03}"), format!("u{i:03}")))
            .collect();
        let s = listing(items);
        assert!(s.starts_with("u000, u001"));
        assert!(s.ends_with(&format!("u{:03}, … and 3 more", LISTED - 1)));
    }
}
