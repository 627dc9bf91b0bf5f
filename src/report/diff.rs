//! Comparing two snapshots (`qsa diff`, `qsa snapshot --check`): [`compare`] is a pure function from two
//! snapshot models to a structured change list ([`Diff`]); [`summarize`] aggregates it into sentences
//! people use; [`render_human`], [`render_json`] and [`render_markdown`] print both.
//!
//! # What counts as wider access
//! Per user, against the other side (a user on one side only is compared with "absent", which sees
//! nothing, like DENIED):
//! - access: DENIED → USER → ADMIN is wider, the other way narrower;
//! - rows kept per table: more is wider, fewer narrower (a DENIED user keeps 0 rows); a change of a
//!   table's total alone is neither;
//! - a reduction field (both sides granted): values added are wider, values removed narrower; "not
//!   reduced" is wider than any selection (a field that is not a reduction field is not reduced);
//! - omitted fields (both sides granted): a field no longer omitted is wider, a newly omitted one narrower;
//! - [dec] rules, e-mail, the denied reason: neither (reported as other changes).
//!
//! - with the tenant tier (format 2 snapshots, tenant.md): opening the app and download (T16) widen or
//!   narrow; roles, status, Full User, OAuth and Section Access alone are other changes
//!   ([`super::tenant_diff`]). A side with the tenant tier and one without are not compared user by user
//!   (every user the tenant denies would differ): the diff says so and nothing else.
//!
//! A user whose changes go both ways is "mixed". The input names of the headers are not compared.

use super::snapshot::{Snapshot, UserSnapshot};
use super::tenant_diff::{self, TenantChange};
use crate::reduce::{Access, TableCount};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

/// One side of a comparison: what it was read from, and its header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Side {
    /// The snapshot file or script it was read from (as given).
    pub name: String,
    pub target: &'static str,
    pub group_mode: u8,
    pub users: usize,
}

/// The direction of one change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// Someone sees more.
    Wider,
    /// Someone sees less.
    Narrower,
    /// Neither: group mode, a table's total, [dec] rules, e-mail, denied reason.
    Other,
}

/// A user's changes taken together.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Gains,
    Loses,
    Mixed,
    Other,
}

impl Verdict {
    pub fn as_str(&self) -> &'static str {
        match self {
            Verdict::Gains => "gains",
            Verdict::Loses => "loses",
            Verdict::Mixed => "mixed",
            Verdict::Other => "other",
        }
    }
}

/// Whether a user is on both sides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    /// On both sides.
    Changed,
    /// Only on the new side.
    New,
    /// Only on the old side.
    Lost,
}

/// A reduction field's selection on one side.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "values", rename_all = "snake_case")]
pub enum Selection {
    /// Not a reduction field of this user's result (or the user is DENIED / absent).
    Absent,
    /// A reduction field that does not reduce this user.
    NotReduced,
    Values(Vec<String>),
}

impl Selection {
    fn of(user: Option<&UserSnapshot>, field: &str) -> Selection {
        match user.and_then(|u| u.reduction.get(field)) {
            None => Selection::Absent,
            Some(None) => Selection::NotReduced,
            Some(Some(v)) => Selection::Values(v.clone()),
        }
    }
    fn values(&self) -> Option<&[String]> {
        match self {
            Selection::Values(v) => Some(v),
            _ => None,
        }
    }
}

/// A reduction field whose selection changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    pub field: String,
    pub old: Selection,
    pub new: Selection,
    /// Values selected now and not before (when both sides select values).
    pub added: Vec<String>,
    /// Values selected before and not now (when both sides select values).
    pub removed: Vec<String>,
}

/// A table whose rows kept (or total) changed for a user. `None`: the side keeps nothing (DENIED, absent,
/// or the table is not in that side's model).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowChange {
    pub table: String,
    pub old: Option<TableCount>,
    pub new: Option<TableCount>,
    /// Rows kept now minus rows kept before.
    pub difference: i64,
}

/// Added and removed items of a set.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SetChange {
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl SetChange {
    pub(crate) fn of(old: &[String], new: &[String]) -> SetChange {
        let o: BTreeSet<&String> = old.iter().collect();
        let n: BTreeSet<&String> = new.iter().collect();
        SetChange {
            added: n.difference(&o).map(|s| s.to_string()).collect(),
            removed: o.difference(&n).map(|s| s.to_string()).collect(),
        }
    }
    pub fn is_empty(&self) -> bool {
        self.added.is_empty() && self.removed.is_empty()
    }
}

/// Old and new value of something that changed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Change<T> {
    pub old: T,
    pub new: T,
}

/// Everything that changed for one user.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UserChange {
    pub id: String,
    pub status: Presence,
    pub verdict: Verdict,
    /// Access on each side (absent = DENIED); `changed` when they differ.
    pub access: Change<Access>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<Change<Option<String>>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub denied_reason: Option<Change<Option<String>>>,
    pub reduction: Vec<FieldChange>,
    pub rows: Vec<RowChange>,
    pub omitted: SetChange,
    pub rules: SetChange,
    /// The tenant tier's changes (both sides have it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<TenantChange>,
}

/// A table whose total number of rows differs between the sides (as the users' blocks show it); `None`:
/// not in that side's model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableTotal {
    pub table: String,
    pub old: Option<usize>,
    pub new: Option<usize>,
}

/// The change list between two snapshots.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diff {
    pub old: Side,
    pub new: Side,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<Change<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group_mode: Option<Change<u8>>,
    pub tables: Vec<TableTotal>,
    /// The tenant app of each side (`None`: no tenant tier), when they differ.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tenant: Option<Change<Option<String>>>,
    /// One side has the tenant tier and the other not: the users are not compared.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub tenant_mismatch: bool,
    /// The users with any change, sorted by id.
    pub users: Vec<UserChange>,
    pub unchanged_users: usize,
}

impl Diff {
    /// Whether anything a snapshot compares differs.
    pub fn is_change(&self) -> bool {
        self.tenant.is_some()
            || self.target.is_some()
            || self.group_mode.is_some()
            || !self.tables.is_empty()
            || !self.users.is_empty()
    }
}

fn rank(a: Access) -> u8 {
    match a {
        Access::Denied => 0,
        Access::User => 1,
        Access::Admin => 2,
    }
}

fn granted(u: Option<&UserSnapshot>) -> bool {
    u.map(|u| u.access != Access::Denied).unwrap_or(false)
}

/// Compare one user's sides; `None` when nothing differs.
fn compare_user(
    id: &str,
    old: Option<&UserSnapshot>,
    new: Option<&UserSnapshot>,
) -> Option<UserChange> {
    let status = match (old, new) {
        (Some(_), Some(_)) => Presence::Changed,
        (None, _) => Presence::New,
        (_, None) => Presence::Lost,
    };
    let access_of = |u: Option<&UserSnapshot>| u.map(|u| u.access).unwrap_or(Access::Denied);
    let access = Change {
        old: access_of(old),
        new: access_of(new),
    };
    let (email, denied_reason) = match (old, new) {
        (Some(o), Some(n)) => (
            (o.email != n.email).then(|| Change {
                old: o.email.clone(),
                new: n.email.clone(),
            }),
            (o.denied_reason != n.denied_reason
                && o.access == Access::Denied
                && n.access == Access::Denied)
                .then(|| Change {
                    old: o.denied_reason.clone(),
                    new: n.denied_reason.clone(),
                }),
        ),
        _ => (None, None),
    };
    // What a user who sees nothing (new side DENIED or absent) had selected or omitted is not a change
    // worth listing: the access change says it.
    let (old_g, new_g) = (granted(old), granted(new));
    let mut reduction = vec![];
    let mut omitted = SetChange::default();
    if new_g {
        let (o, n) = (old.filter(|_| old_g), new.filter(|_| new_g));
        let fields: BTreeSet<&String> = o
            .iter()
            .chain(n.iter())
            .flat_map(|u| u.reduction.keys())
            .collect();
        for f in fields {
            let (os, ns) = (Selection::of(o, f), Selection::of(n, f));
            if os == ns {
                continue;
            }
            let set = match (os.values(), ns.values()) {
                (Some(a), Some(b)) => SetChange::of(a, b),
                (None, Some(b)) => SetChange::of(&[], b),
                _ => SetChange::default(),
            };
            reduction.push(FieldChange {
                field: f.clone(),
                old: os,
                new: ns,
                added: set.added,
                removed: set.removed,
            });
        }
        omitted = SetChange::of(
            o.map(|u| u.omitted.as_slice()).unwrap_or(&[]),
            n.map(|u| u.omitted.as_slice()).unwrap_or(&[]),
        );
    }
    let tables: BTreeSet<&String> = old
        .iter()
        .chain(new.iter())
        .flat_map(|u| u.tables.keys())
        .collect();
    let mut rows = vec![];
    for t in tables {
        let o = old.and_then(|u| u.tables.get(t)).copied();
        let n = new.and_then(|u| u.tables.get(t)).copied();
        if o == n {
            continue;
        }
        let kept = |c: Option<TableCount>| c.map(|c| c.rows as i64).unwrap_or(0);
        rows.push(RowChange {
            table: t.clone(),
            old: o,
            new: n,
            difference: kept(n) - kept(o),
        });
    }
    // A lost user's rules are gone with the user: not worth a line.
    let rules = match new {
        Some(n) => SetChange::of(old.map(|u| u.rules.as_slice()).unwrap_or(&[]), &n.rules),
        None => SetChange::default(),
    };
    let tenant = match (
        old.and_then(|u| u.tenant.as_ref()),
        new.and_then(|u| u.tenant.as_ref()),
    ) {
        (Some(o), Some(n)) => tenant_diff::compare_tier(o, n),
        _ => None,
    };
    let mut c = UserChange {
        id: id.to_string(),
        status,
        verdict: Verdict::Other,
        access,
        email,
        denied_reason,
        reduction,
        rows,
        omitted,
        rules,
        tenant,
    };
    let nothing = status == Presence::Changed
        && c.tenant.is_none()
        && c.access.old == c.access.new
        && c.email.is_none()
        && c.denied_reason.is_none()
        && c.reduction.is_empty()
        && c.rows.is_empty()
        && c.omitted.is_empty()
        && c.rules.is_empty();
    if nothing {
        return None;
    }
    c.verdict = verdict(&c, old_g && new_g);
    Some(c)
}

/// The direction of a field's change (both sides granted): `(wider, narrower)`.
fn field_direction(f: &FieldChange) -> (bool, bool) {
    let reduced = |s: &Selection| matches!(s, Selection::Values(_));
    match (reduced(&f.old), reduced(&f.new)) {
        (false, false) => (false, false),
        (true, false) => (true, false),
        (false, true) => (false, true),
        (true, true) => (!f.added.is_empty(), !f.removed.is_empty()),
    }
}

fn verdict(c: &UserChange, both_granted: bool) -> Verdict {
    let (mut wider, mut narrower) = (false, false);
    let (o, n) = (rank(c.access.old), rank(c.access.new));
    wider |= n > o;
    narrower |= n < o;
    for r in &c.rows {
        wider |= r.difference > 0;
        narrower |= r.difference < 0;
    }
    if let Some(t) = &c.tenant {
        let (w, n) = t.direction();
        wider |= w;
        narrower |= n;
    }
    if both_granted {
        for f in &c.reduction {
            let (w, nw) = field_direction(f);
            wider |= w;
            narrower |= nw;
        }
        wider |= !c.omitted.removed.is_empty();
        narrower |= !c.omitted.added.is_empty();
    }
    match (wider, narrower) {
        (true, false) => Verdict::Gains,
        (false, true) => Verdict::Loses,
        (true, true) => Verdict::Mixed,
        (false, false) => Verdict::Other,
    }
}

fn side(name: &str, s: &Snapshot) -> Side {
    Side {
        name: name.to_string(),
        target: s.header.target.as_str(),
        group_mode: s.header.group_mode.number(),
        users: s.users.len(),
    }
}

/// The tables' totals per side, from the users' blocks (the same for every user who keeps rows).
fn totals(s: &Snapshot) -> BTreeMap<&str, usize> {
    let mut out = BTreeMap::new();
    for u in &s.users {
        for (t, c) in &u.tables {
            out.entry(t.as_str()).or_insert(c.total_rows);
        }
    }
    out
}

/// Compare two snapshots: per user (the union of both sides' users), the target, the group mode and the
/// tables' totals. `old_name`/`new_name` say where each side came from.
pub fn compare(old_name: &str, old: &Snapshot, new_name: &str, new: &Snapshot) -> Diff {
    let app = |s: &Snapshot| s.header.tenant.as_ref().map(tenant_diff::app_text);
    let (old_app, new_app) = (app(old), app(new));
    let tenant = (old_app != new_app).then(|| Change {
        old: old_app.clone(),
        new: new_app.clone(),
    });
    if old_app.is_some() != new_app.is_some() {
        // Every user the tenant denies would differ: say that the sides do not compare, nothing else.
        return Diff {
            old: side(old_name, old),
            new: side(new_name, new),
            target: None,
            group_mode: None,
            tables: vec![],
            tenant,
            tenant_mismatch: true,
            users: vec![],
            unchanged_users: 0,
        };
    }
    let ids: BTreeSet<&str> = old
        .users
        .iter()
        .chain(&new.users)
        .map(|u| u.id.as_str())
        .collect();
    let mut users = vec![];
    let mut unchanged = 0;
    for id in ids {
        match compare_user(id, old.user(id), new.user(id)) {
            Some(c) => users.push(c),
            None => unchanged += 1,
        }
    }
    let (ot, nt) = (totals(old), totals(new));
    let names: BTreeSet<&str> = ot.keys().chain(nt.keys()).copied().collect();
    let tables = names
        .into_iter()
        .filter_map(|t| {
            let (o, n) = (ot.get(t).copied(), nt.get(t).copied());
            // When one side shows no table at all (every user DENIED), a table's presence says nothing.
            let known = !ot.is_empty() && !nt.is_empty();
            (known && o != n).then(|| TableTotal {
                table: t.to_string(),
                old: o,
                new: n,
            })
        })
        .collect();
    let (oh, nh) = (&old.header, &new.header);
    Diff {
        old: side(old_name, old),
        new: side(new_name, new),
        target: (oh.target != nh.target).then(|| Change {
            old: oh.target.as_str(),
            new: nh.target.as_str(),
        }),
        group_mode: (oh.group_mode != nh.group_mode).then(|| Change {
            old: oh.group_mode.number(),
            new: nh.group_mode.number(),
        }),
        tables,
        tenant,
        tenant_mismatch: false,
        users,
        unchanged_users: unchanged,
    }
}

// ---------------------------------------------------------------------------------------------------
// The summary

/// One aggregated sentence of the summary, and the users it is about (sorted).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SummaryItem {
    pub direction: Direction,
    pub text: String,
    pub users: Vec<String>,
}

/// `1,204`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A name or value inside a sentence: in backticks, escaped when it holds control characters, leading or
/// trailing spaces, or a backtick.
pub fn shown(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(char::is_whitespace)
        && !s.ends_with(char::is_whitespace)
        && !s.chars().any(|c| c.is_control() || c == '`');
    if plain {
        format!("`{s}`")
    } else {
        let q = serde_json::to_string(s)
            .unwrap_or_default()
            .replace('`', "\\u0060");
        format!("`{q}`")
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", thousands(n as u64))
    }
}

fn verb(n: usize, one: &str, many: &str) -> String {
    if n == 1 {
        one.to_string()
    } else {
        many.to_string()
    }
}

fn list_shown(items: &[String]) -> String {
    items
        .iter()
        .map(|s| shown(s))
        .collect::<Vec<_>>()
        .join(", ")
}

fn mode_meaning(m: u8) -> &'static str {
    match m {
        0 => "IdP groups",
        1 => "custom groups",
        _ => "IdP and custom groups",
    }
}

/// Sort key of a summary sentence: direction, kind ([`Kind`]), then an order within the kind.
type Key = (Direction, Kind, String);

/// The kinds of sentence, in the order they appear within a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    NewOrLost,
    Access,
    Rows,
    Values,
    Omitted,
    Rules,
    DeniedReason,
    Email,
    /// The tenant tier (opening, download, roles, status, Full User, OAuth).
    Tenant,
}

fn item(direction: Direction, text: String, users: Vec<String>) -> SummaryItem {
    SummaryItem {
        direction,
        text,
        users,
    }
}

fn gain_or_lose(dir: Direction) -> &'static str {
    if dir == Direction::Wider {
        "gain"
    } else {
        "lose"
    }
}

/// The sentences about the whole comparison: target, group mode, tables' totals.
fn global_sentences(d: &Diff) -> Vec<SummaryItem> {
    let mut items = vec![];
    if let Some(t) = &d.tenant {
        let app = |a: &Option<String>| {
            a.clone()
                .unwrap_or_else(|| "none (Section Access alone)".into())
        };
        let text = if d.tenant_mismatch {
            format!(
                "the tenant tier is on one side only ({} → {}): users are not compared; take both sides with `--tenant DIR --app X`, or both without",
                app(&t.old),
                app(&t.new)
            )
        } else {
            format!("tenant app changed from {} to {}", app(&t.old), app(&t.new))
        };
        items.push(item(Direction::Other, text, vec![]));
    }
    if let Some(t) = &d.target {
        let text = format!("target changed from {} to {}", t.old, t.new);
        items.push(item(Direction::Other, text, vec![]));
    }
    if let Some(m) = &d.group_mode {
        let text = format!(
            "GROUP mode changed from {} to {} ({} → {})",
            m.old,
            m.new,
            mode_meaning(m.old),
            mode_meaning(m.new)
        );
        items.push(item(Direction::Other, text, vec![]));
    }
    for t in &d.tables {
        let name = shown(&t.table);
        let n = |x: usize| thousands(x as u64);
        let text = match (t.old, t.new) {
            (Some(o), Some(m)) => format!("table {name} now has {} rows (was {})", n(m), n(o)),
            (None, Some(m)) => format!("table {name} is new ({} rows)", n(m)),
            (Some(o), None) => format!("table {name} is no longer loaded (had {} rows)", n(o)),
            (None, None) => continue,
        };
        items.push(item(Direction::Other, text, vec![]));
    }
    items
}

/// The users' changes, gathered by sentence.
#[derive(Default)]
struct Collector {
    /// Sentences whose text does not depend on the users: key → (text, verb in the plural; users).
    simple: BTreeMap<Key, (String, Vec<String>)>,
    /// Per direction and table: (user, rows kept now − before).
    rows: BTreeMap<(Direction, String), Vec<(String, i64)>>,
    /// Per direction and reduction field: value → users.
    values: BTreeMap<(Direction, String), BTreeMap<String, Vec<String>>>,
}

impl Collector {
    fn add(&mut self, dir: Direction, kind: Kind, sort: String, text: String, id: &str) {
        let e = self
            .simple
            .entry((dir, kind, sort))
            .or_insert_with(|| (text, vec![]));
        e.1.push(id.to_string());
    }

    fn user(&mut self, u: &UserChange) {
        let id = u.id.as_str();
        let (o, n) = (u.access.old, u.access.new);
        let if_granted = |a: Access, dir: Direction| {
            if a == Access::Denied {
                Direction::Other
            } else {
                dir
            }
        };
        match u.status {
            Presence::New => {
                let text = format!("new {{user}} ({})", n.as_str());
                let dir = if_granted(n, Direction::Wider);
                return self.add(dir, Kind::NewOrLost, n.as_str().into(), text, id);
            }
            Presence::Lost => {
                let text = format!("lost {{user}} (was {})", o.as_str());
                let dir = if_granted(o, Direction::Narrower);
                return self.add(dir, Kind::NewOrLost, o.as_str().into(), text, id);
            }
            Presence::Changed => {}
        }
        if o != n {
            let (dir, what) = match (o, n) {
                (Access::Denied, _) => (Direction::Wider, "gain access"),
                (_, Access::Denied) => (Direction::Narrower, "lose access"),
                (Access::User, Access::Admin) => (Direction::Wider, "become ADMIN"),
                _ => (Direction::Narrower, "are no longer ADMIN"),
            };
            let text = format!("{what} ({} → {})", o.as_str(), n.as_str());
            self.add(
                dir,
                Kind::Access,
                format!("{}{}", rank(o), rank(n)),
                text,
                id,
            );
        }
        for r in u.rows.iter().filter(|r| r.difference != 0) {
            let dir = if r.difference > 0 {
                Direction::Wider
            } else {
                Direction::Narrower
            };
            self.rows
                .entry((dir, r.table.clone()))
                .or_default()
                .push((id.to_string(), r.difference));
        }
        if o != Access::Denied && n != Access::Denied {
            self.granted_user(u);
        }
        for (sign, rules, what) in [
            ('+', &u.rules.added, "now depend on"),
            ('-', &u.rules.removed, "no longer depend on"),
        ] {
            for r in rules {
                let text = format!("{what} [dec] rule {r}");
                self.add(
                    Direction::Other,
                    Kind::Rules,
                    format!("{r}{sign}"),
                    text,
                    id,
                );
            }
        }
        if u.denied_reason.is_some() {
            let text = "are denied for another reason".to_string();
            self.add(
                Direction::Other,
                Kind::DeniedReason,
                String::new(),
                text,
                id,
            );
        }
        if u.email.is_some() {
            let text = "have another e-mail".to_string();
            self.add(Direction::Other, Kind::Email, String::new(), text, id);
        }
        if let Some(t) = &u.tenant {
            self.tenant_user(t, id);
        }
    }

    /// The tenant tier's changes of one user (tenant.md).
    fn tenant_user(&mut self, t: &TenantChange, id: &str) {
        let mut add = |dir: Direction, sort: &str, text: String| {
            self.add(dir, Kind::Tenant, sort.to_string(), text, id)
        };
        if let Some(o) = &t.open {
            if o.new {
                add(Direction::Wider, "0", "can now open the app".into());
            } else {
                add(
                    Direction::Narrower,
                    "0",
                    "can no longer open the app".into(),
                );
            }
        }
        if let (Some(e), Some(wider)) = (&t.export, t.export_wider()) {
            let dir = if wider {
                Direction::Wider
            } else {
                Direction::Narrower
            };
            let (o, n) = (
                super::tenant::export_text(e.old),
                super::tenant::export_text(e.new),
            );
            add(
                dir,
                &format!("1{o}{n}"),
                format!("have download (in-app content) {o} → {n}"),
            );
        }
        if let Some(s) = &t.section_access {
            let text = match (s.old, s.new) {
                (None, Some(_)) => "are now denied by the tenant (T15)".to_string(),
                (Some(_), None) => "are no longer denied by the tenant (T15)".to_string(),
                (o, n) => {
                    let a = |x: Option<Access>| x.map(|a| a.as_str()).unwrap_or("-");
                    format!(
                        "have Section Access alone {} → {} (the tenant denies them)",
                        a(o),
                        a(n)
                    )
                }
            };
            add(Direction::Other, "2", text);
        }
        for r in &t.roles.added {
            add(
                Direction::Other,
                &format!("3+{r}"),
                format!("gain role {r}"),
            );
        }
        for r in &t.roles.removed {
            add(
                Direction::Other,
                &format!("3-{r}"),
                format!("lose role {r}"),
            );
        }
        if let Some(s) = &t.status {
            add(
                Direction::Other,
                &format!("4{}{}", s.old, s.new),
                format!("have tenant status {} → {}", s.old, s.new),
            );
        }
        if let Some(f) = &t.full {
            let text = if f.new {
                "are now Full Users (a T18 trigger)"
            } else {
                "no longer have a Full User trigger (T18)"
            };
            add(Direction::Other, "5", text.into());
        }
        if t.oauth.is_some() {
            add(
                Direction::Other,
                "6",
                "get something else through the OAuth client".into(),
            );
        }
    }

    /// Reduction and omitted fields, for a user granted on both sides.
    fn granted_user(&mut self, u: &UserChange) {
        let id = u.id.as_str();
        for f in &u.reduction {
            let reduced = |s: &Selection| matches!(s, Selection::Values(_));
            let field = f.field.clone();
            match (reduced(&f.old), reduced(&f.new)) {
                (true, false) => {
                    let text = format!(
                        "are no longer reduced on {} (they see all its values)",
                        shown(&field)
                    );
                    self.add(Direction::Wider, Kind::Values, field, text, id);
                }
                (false, true) => {
                    let text = format!("are now reduced on {}", shown(&field));
                    self.add(Direction::Narrower, Kind::Values, field, text, id);
                }
                (true, true) => {
                    for (dir, vals) in [
                        (Direction::Wider, &f.added),
                        (Direction::Narrower, &f.removed),
                    ] {
                        for v in vals {
                            self.values
                                .entry((dir, field.clone()))
                                .or_default()
                                .entry(v.clone())
                                .or_default()
                                .push(id.to_string());
                        }
                    }
                }
                (false, false) => {}
            }
        }
        for (dir, fields, what) in [
            (Direction::Narrower, &u.omitted.added, "now omit"),
            (Direction::Wider, &u.omitted.removed, "no longer omit"),
        ] {
            for f in fields {
                let text = format!("{what} {}", shown(f));
                self.add(dir, Kind::Omitted, f.clone(), text, id);
            }
        }
    }

    fn sentences(self) -> Vec<(Key, SummaryItem)> {
        let mut out = vec![];
        for (key, (text, users)) in self.simple {
            let n = users.len();
            let text = if key.1 == Kind::NewOrLost {
                // "1 new user (USER)", "2 lost users (was ADMIN)"
                let users_word = verb(n, "user", "users");
                format!(
                    "{} {}",
                    thousands(n as u64),
                    text.replace("{user}", &users_word)
                )
            } else {
                format!("{} {}", plural(n, "user", "users"), conjugate(&text, n))
            };
            out.push((key.clone(), item(key.0, text, users)));
        }
        out.extend(rows_sentences(self.rows));
        out.extend(values_sentences(self.values));
        out
    }
}

/// How many rows of one table each of a set of users gains or loses: from `low` to `high` (equal when
/// every user gains the same number). Rows are counted per user, never summed over users: they may be
/// the same rows.
struct RowsPhrase {
    table: String,
    low: u64,
    high: u64,
}

impl RowsPhrase {
    /// "3 more rows of `Sales`", "2 to 404 more rows of `Sales` each" (`n` users).
    fn words(&self, dir: Direction, n: usize, each: bool) -> String {
        let more = if dir == Direction::Wider { " more" } else { "" };
        let t = shown(&self.table);
        if self.low == self.high {
            let rows = verb(self.low as usize, "row", "rows");
            let each = if each && n > 1 { " each" } else { "" };
            format!("{}{more} {rows} of {t}{each}", thousands(self.low))
        } else {
            let (a, b) = (thousands(self.low), thousands(self.high));
            format!("{a} to {b}{more} rows of {t} each")
        }
    }

    /// "`Sales` +3", "`Sales` +2 to +404".
    fn compact(&self, dir: Direction) -> String {
        let sign = if dir == Direction::Wider { '+' } else { '-' };
        let t = shown(&self.table);
        if self.low == self.high {
            format!("{t} {sign}{}", thousands(self.low))
        } else {
            let (a, b) = (thousands(self.low), thousands(self.high));
            format!("{t} {sign}{a} to {sign}{b}")
        }
    }
}

/// Tables named in words in one sentence; more are listed compactly.
const ROWS_IN_WORDS: usize = 3;

/// One sentence per direction and set of users, naming each table: "2 users gain access to 3 more rows
/// of `Sales` and 1 more row of `Regions` each"; with more tables, "3 users gain access to more rows of
/// 7 tables (each: `Calendar` +138, `Customers` +25, …)".
fn rows_sentences(
    rows: BTreeMap<(Direction, String), Vec<(String, i64)>>,
) -> Vec<(Key, SummaryItem)> {
    let mut by_users: BTreeMap<(Direction, Vec<String>), Vec<RowsPhrase>> = BTreeMap::new();
    for ((dir, table), list) in rows {
        let amounts: BTreeSet<u64> = list.iter().map(|(_, d)| d.unsigned_abs()).collect();
        let (Some(&low), Some(&high)) = (amounts.first(), amounts.last()) else {
            continue;
        };
        let mut users: Vec<String> = list.into_iter().map(|(id, _)| id).collect();
        users.sort();
        by_users
            .entry((dir, users))
            .or_default()
            .push(RowsPhrase { table, low, high });
    }
    let mut out = vec![];
    for ((dir, users), phrases) in by_users {
        let n = users.len();
        let verb_n = conjugate(gain_or_lose(dir), n);
        let text = if phrases.len() > ROWS_IN_WORDS {
            let list: Vec<String> = phrases.iter().map(|p| p.compact(dir)).collect();
            let more = if dir == Direction::Wider { "more " } else { "" };
            format!(
                "{} {verb_n} access to {more}rows of {} tables ({}{})",
                plural(n, "user", "users"),
                phrases.len(),
                if n > 1 { "each: " } else { "" },
                list.join(", ")
            )
        } else {
            let all_uniform = phrases.iter().all(|p| p.low == p.high);
            let parts: Vec<String> = phrases
                .iter()
                .map(|p| p.words(dir, n, !all_uniform))
                .collect();
            let mut how = match parts.split_last() {
                Some((last, rest)) if !rest.is_empty() => {
                    format!("{} and {last}", rest.join(", "))
                }
                _ => parts.concat(),
            };
            if all_uniform && n > 1 {
                how.push_str(" each");
            }
            format!("{} {verb_n} access to {how}", plural(n, "user", "users"))
        };
        let sort = users.join("\u{0}");
        out.push(((dir, Kind::Rows, sort), item(dir, text, users)));
    }
    out
}

/// Values gained or lost per field: values with the same users make one sentence (never more sentences
/// than values, however many users).
fn values_sentences(
    values: BTreeMap<(Direction, String), BTreeMap<String, Vec<String>>>,
) -> Vec<(Key, SummaryItem)> {
    let mut out = vec![];
    for ((dir, field), by_value) in values {
        let mut by_users: BTreeMap<Vec<String>, Vec<String>> = BTreeMap::new();
        for (v, users) in by_value {
            by_users.entry(users).or_default().push(v);
        }
        let mut sets: Vec<(Vec<String>, Vec<String>)> = by_users.into_iter().collect();
        sets.sort_by(|a, b| a.1.cmp(&b.1));
        for (i, (users, vals)) in sets.into_iter().enumerate() {
            let n = users.len();
            let text = format!(
                "{} {} {} {} of {}",
                plural(n, "user", "users"),
                conjugate(gain_or_lose(dir), n),
                verb(vals.len(), "value", "values"),
                list_shown(&vals),
                shown(&field)
            );
            let sort = format!("{field}\u{0}{i:09}");
            out.push(((dir, Kind::Values, sort), item(dir, text, users)));
        }
    }
    out
}

/// Aggregate a diff into sentences, each with the users it is about: wider changes first, then narrower,
/// then the changes of the whole comparison (group mode, …) and the other per-user changes. Deterministic.
pub fn summarize(d: &Diff) -> Vec<SummaryItem> {
    let mut c = Collector::default();
    for u in &d.users {
        c.user(u);
    }
    let mut out = c.sentences();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    let (mut sorted, other): (Vec<SummaryItem>, Vec<SummaryItem>) = out
        .into_iter()
        .map(|(_, i)| i)
        .partition(|i| i.direction != Direction::Other);
    sorted.extend(global_sentences(d));
    sorted.extend(other);
    sorted
}

/// The third-person form: "1 user gains", "2 users gain"; "is"/"are" and "does"/"do" in the phrase too.
fn conjugate(phrase: &str, n: usize) -> String {
    if n != 1 {
        return phrase.to_string();
    }
    for adverb in ["now ", "no longer "] {
        if let Some(rest) = phrase.strip_prefix(adverb) {
            return format!("{adverb}{}", conjugate(rest, n));
        }
    }
    let (first, rest) = phrase.split_once(' ').unwrap_or((phrase, ""));
    let first = match first {
        "can" => "can".to_string(),
        "are" => "is".to_string(),
        "have" => "has".to_string(),
        "lose" => "loses".to_string(),
        w => format!("{w}s"),
    };
    if rest.is_empty() {
        first
    } else {
        format!("{first} {rest}")
    }
}

// ---------------------------------------------------------------------------------------------------
// Per-user lines

fn selection_text(s: &Selection) -> String {
    match s {
        Selection::Absent => "—".into(),
        Selection::NotReduced => "(not reduced)".into(),
        Selection::Values(v) if v.is_empty() => "(none)".into(),
        Selection::Values(v) => list_shown(v),
    }
}

fn count_text(c: Option<TableCount>) -> String {
    match c {
        Some(c) => thousands(c.rows as u64),
        None => "0".into(),
    }
}

/// The exact changes of one user, one line each (without the user's id).
pub fn user_lines(u: &UserChange) -> Vec<String> {
    let mut out = vec![];
    if u.access.old != u.access.new || u.status != Presence::Changed {
        let show = |a: Access, present: bool| {
            if present {
                a.as_str()
            } else {
                "(absent)"
            }
        };
        out.push(format!(
            "access: {} → {}",
            show(u.access.old, u.status != Presence::New),
            show(u.access.new, u.status != Presence::Lost)
        ));
    }
    if let Some(r) = &u.denied_reason {
        let t = |s: &Option<String>| s.as_deref().map(shown).unwrap_or_else(|| "—".into());
        out.push(format!("denied: {} → {}", t(&r.old), t(&r.new)));
    }
    for f in &u.reduction {
        let mut parts = vec![];
        if !f.added.is_empty() && f.old.values().is_some() {
            parts.push(format!("+ {}", list_shown(&f.added)));
        }
        if !f.removed.is_empty() {
            parts.push(format!("- {}", list_shown(&f.removed)));
        }
        if parts.is_empty() {
            parts.push(format!(
                "{} → {}",
                selection_text(&f.old),
                selection_text(&f.new)
            ));
        }
        out.push(format!("{}: {}", shown(&f.field), parts.join("; ")));
    }
    for r in &u.rows {
        let total = r.new.or(r.old).map(|c| c.total_rows).unwrap_or(0);
        let of = match (r.old, r.new) {
            (Some(o), Some(n)) if o.total_rows != n.total_rows => format!(
                "of {} → {}",
                thousands(o.total_rows as u64),
                thousands(n.total_rows as u64)
            ),
            _ => format!("of {}", thousands(total as u64)),
        };
        let diff = match r.difference {
            0 => String::new(),
            d if d > 0 => format!(" (+{})", thousands(d as u64)),
            d => format!(" (-{})", thousands(d.unsigned_abs())),
        };
        out.push(format!(
            "rows {}: {} → {} {of}{diff}",
            shown(&r.table),
            count_text(r.old),
            count_text(r.new)
        ));
    }
    if !u.omitted.added.is_empty() {
        out.push(format!("now omits: {}", list_shown(&u.omitted.added)));
    }
    if !u.omitted.removed.is_empty() {
        out.push(format!(
            "no longer omits: {}",
            list_shown(&u.omitted.removed)
        ));
    }
    let mut rules = vec![];
    rules.extend(u.rules.added.iter().map(|r| format!("+ {r}")));
    rules.extend(u.rules.removed.iter().map(|r| format!("- {r}")));
    if !rules.is_empty() {
        out.push(format!("[dec] rules: {}", rules.join(", ")));
    }
    if let Some(e) = &u.email {
        let t = |s: &Option<String>| s.as_deref().map(shown).unwrap_or_else(|| "—".into());
        out.push(format!("e-mail: {} → {}", t(&e.old), t(&e.new)));
    }
    if let Some(t) = &u.tenant {
        out.extend(t.lines());
    }
    out
}

/// "3 of 6 users changed: 2 gain, 1 loses".
fn headline(d: &Diff) -> String {
    if d.tenant_mismatch {
        return "not compared: one side has the tenant tier (--tenant) and the other does not, so every user the tenant denies would differ:".to_string();
    }
    let total = d.users.len() + d.unchanged_users;
    if d.users.is_empty() {
        return if d.is_change() {
            format!(
                "no user's access changed ({}), but:",
                plural(total, "user", "users")
            )
        } else {
            format!(
                "no change: {} {} the same",
                plural(total, "user", "users"),
                verb(total, "sees", "see")
            )
        };
    }
    let mut counts: BTreeMap<Verdict, usize> = BTreeMap::new();
    for u in &d.users {
        *counts.entry(u.verdict).or_default() += 1;
    }
    let parts: Vec<String> = counts
        .iter()
        .map(|(v, n)| match v {
            Verdict::Gains => format!("{n} {}", verb(*n, "gains", "gain")),
            Verdict::Loses => format!("{n} {}", verb(*n, "loses", "lose")),
            Verdict::Mixed => format!("{n} mixed"),
            Verdict::Other => format!("{n} other"),
        })
        .collect();
    format!(
        "{} of {} changed: {}",
        thousands(d.users.len() as u64),
        plural(total, "user", "users"),
        parts.join(", ")
    )
}

const MAX_NAMES: usize = 10;

fn names(users: &[String], fmt: &dyn Fn(&str) -> String) -> String {
    let mut s: Vec<String> = users.iter().take(MAX_NAMES).map(|u| fmt(u)).collect();
    if users.len() > MAX_NAMES {
        s.push(format!(
            "and {} more",
            thousands((users.len() - MAX_NAMES) as u64)
        ));
    }
    s.join(", ")
}

fn section_title(d: Direction) -> &'static str {
    match d {
        Direction::Wider => "wider access",
        Direction::Narrower => "narrower access",
        Direction::Other => "other changes",
    }
}

fn plain_id(s: &str) -> String {
    if s.chars().any(char::is_control) {
        shown(s)
    } else {
        s.to_string()
    }
}

/// The human form: headline, the summary by direction, then every changed user's exact changes.
pub fn render_human(d: &Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "qsa diff: {} → {}", d.old.name, d.new.name);
    let _ = writeln!(out, "{}", headline(d));
    let summary = summarize(d);
    for dir in [Direction::Wider, Direction::Narrower, Direction::Other] {
        let items: Vec<&SummaryItem> = summary.iter().filter(|i| i.direction == dir).collect();
        if items.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{}:", section_title(dir));
        let mark = match dir {
            Direction::Wider => '+',
            Direction::Narrower => '-',
            Direction::Other => '~',
        };
        for i in items {
            if i.users.is_empty() {
                let _ = writeln!(out, "  {mark} {}", i.text);
            } else {
                let _ = writeln!(out, "  {mark} {}: {}", i.text, names(&i.users, &plain_id));
            }
        }
    }
    if !d.users.is_empty() {
        let _ = writeln!(out, "\nper user:");
        for u in &d.users {
            let _ = writeln!(out, "  {} ({})", plain_id(&u.id), u.verdict.as_str());
            for l in user_lines(u) {
                let _ = writeln!(out, "    {l}");
            }
        }
    }
    out
}

#[derive(Serialize)]
struct DiffJson<'a> {
    schema: &'static str,
    changed: bool,
    summary: Vec<SummaryItem>,
    #[serde(flatten)]
    diff: &'a Diff,
}

/// The JSON form (`schema: "qsa.diff/1"`): the change list and the summary.
pub fn render_json(d: &Diff) -> String {
    let doc = DiffJson {
        schema: "qsa.diff/1",
        changed: d.is_change(),
        diff: d,
        summary: summarize(d),
    };
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

/// Escape a table cell (a `|` ends the cell in GitHub Markdown, even inside backticks).
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
}

/// The Markdown form, for a pull-request comment: a heading, the summary as a list, and the per-user
/// changes as a table inside a collapsible `<details>`.
pub fn render_markdown(d: &Diff) -> String {
    let mut out = String::new();
    let total = d.users.len() + d.unchanged_users;
    let title = if d.tenant_mismatch {
        "not compared (the tenant tier is on one side only)".to_string()
    } else if d.users.is_empty() && !d.is_change() {
        "no access change".to_string()
    } else {
        format!(
            "access changed for {} of {}",
            thousands(d.users.len() as u64),
            plural(total, "user", "users")
        )
    };
    let _ = writeln!(out, "### qsa diff: {title}\n");
    let _ = writeln!(out, "{} → {}\n", shown(&d.old.name), shown(&d.new.name));
    let _ = writeln!(out, "{}\n", headline(d));
    let summary = summarize(d);
    for dir in [Direction::Wider, Direction::Narrower, Direction::Other] {
        let items: Vec<&SummaryItem> = summary.iter().filter(|i| i.direction == dir).collect();
        if items.is_empty() {
            continue;
        }
        let t = match dir {
            Direction::Wider => "Wider access",
            Direction::Narrower => "Narrower access",
            Direction::Other => "Other changes",
        };
        let _ = writeln!(out, "**{t}**\n");
        for i in items {
            if i.users.is_empty() {
                let _ = writeln!(out, "- {}", i.text);
            } else {
                let _ = writeln!(out, "- {}: {}", i.text, names(&i.users, &shown));
            }
        }
        out.push('\n');
    }
    if !d.users.is_empty() {
        let _ = writeln!(
            out,
            "<details>\n<summary>Per user ({})</summary>\n",
            thousands(d.users.len() as u64)
        );
        out.push_str("| user | change | details |\n| --- | --- | --- |\n");
        for u in &d.users {
            let _ = writeln!(
                out,
                "| {} | {} | {} |",
                cell(&shown(&u.id)),
                u.verdict.as_str(),
                cell(&user_lines(u).join("<br>"))
            );
        }
        out.push_str("\n</details>\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::{GroupMode, Target};
    use crate::report::snapshot::Header;

    fn user(id: &str, access: Access, region: Option<&[&str]>, sales: usize) -> UserSnapshot {
        let granted = access != Access::Denied;
        UserSnapshot {
            id: id.into(),
            email: None,
            access,
            denied_reason: (!granted).then(|| "not listed".to_string()),
            reduction: if granted {
                BTreeMap::from([(
                    "REGION".to_string(),
                    region.map(|r| r.iter().map(|s| s.to_string()).collect()),
                )])
            } else {
                BTreeMap::new()
            },
            tables: if granted {
                BTreeMap::from([(
                    "Sales".to_string(),
                    TableCount {
                        rows: sales,
                        total_rows: 1204,
                    },
                )])
            } else {
                BTreeMap::new()
            },
            omitted: vec![],
            rules: vec![],
            tenant: None,
        }
    }

    fn snap(mode: GroupMode, users: Vec<UserSnapshot>) -> Snapshot {
        let mut users = users;
        users.sort_by(|a, b| a.id.cmp(&b.id));
        Snapshot {
            header: Header {
                inputs: vec![],
                target: Target::Cloud,
                group_mode: mode,
                tenant: None,
            },
            users,
        }
    }

    fn verdicts(d: &Diff) -> Vec<(&str, Verdict)> {
        d.users.iter().map(|u| (u.id.as_str(), u.verdict)).collect()
    }

    #[test]
    fn what_widens_and_what_narrows() {
        let eu: &[&str] = &["EU"];
        let eu_us: &[&str] = &["EU", "US"];
        let old = snap(
            GroupMode::Idp,
            vec![
                user("denied-to-user", Access::Denied, None, 0),
                user("user-to-admin", Access::User, Some(eu), 3),
                user("user-to-denied", Access::User, Some(eu), 3),
                user("more-values", Access::User, Some(eu), 3),
                user("unreduced", Access::User, Some(eu), 3),
                user("now-reduced", Access::User, None, 1204),
                user("swap", Access::User, Some(eu), 3),
                user("same", Access::User, Some(eu), 3),
                user("lost", Access::User, Some(eu), 3),
                user("lost-denied", Access::Denied, None, 0),
                {
                    let mut u = user("omit", Access::User, Some(eu), 3);
                    u.omitted = vec!["MARGIN".into()];
                    u
                },
                user("rules", Access::User, Some(eu), 3),
            ],
        );
        let new = snap(
            GroupMode::Idp,
            vec![
                user("denied-to-user", Access::User, Some(eu), 3),
                user("user-to-admin", Access::Admin, Some(eu), 3),
                user("user-to-denied", Access::Denied, None, 0),
                user("more-values", Access::User, Some(eu_us), 10),
                user("unreduced", Access::User, None, 1204),
                user("now-reduced", Access::User, Some(eu), 3),
                user("swap", Access::User, Some(&["US"]), 3),
                user("same", Access::User, Some(eu), 3),
                user("new", Access::User, Some(eu), 3),
                user("new-denied", Access::Denied, None, 0),
                {
                    let mut u = user("omit", Access::User, Some(eu), 3);
                    u.omitted = vec!["COST".into()];
                    u
                },
                {
                    let mut u = user("rules", Access::User, Some(eu), 3);
                    u.rules = vec!["L2".into()];
                    u
                },
            ],
        );
        let d = compare("old", &old, "new", &new);
        assert_eq!(
            verdicts(&d),
            [
                ("denied-to-user", Verdict::Gains),
                ("lost", Verdict::Loses),
                ("lost-denied", Verdict::Other),
                ("more-values", Verdict::Gains),
                ("new", Verdict::Gains),
                ("new-denied", Verdict::Other),
                ("now-reduced", Verdict::Loses),
                ("omit", Verdict::Mixed),
                ("rules", Verdict::Other),
                ("swap", Verdict::Mixed),
                ("unreduced", Verdict::Gains),
                ("user-to-admin", Verdict::Gains),
                ("user-to-denied", Verdict::Loses),
            ]
        );
        assert_eq!(d.unchanged_users, 1, "only `same` is unchanged");
        assert!(d.is_change());
        let more = d
            .users
            .iter()
            .find(|u| u.id == "more-values")
            .expect("listed");
        assert_eq!(more.reduction[0].added, ["US"]);
        assert!(more.reduction[0].removed.is_empty());
        assert_eq!(more.rows[0].difference, 7);
        // A user who lost access has no reduction or omitted changes listed: the access change says it.
        let gone = d
            .users
            .iter()
            .find(|u| u.id == "user-to-denied")
            .expect("listed");
        assert!(gone.reduction.is_empty() && gone.omitted.is_empty());
        assert_eq!(gone.rows[0].difference, -3);
    }

    fn texts(d: &Diff) -> Vec<(Direction, String, Vec<String>)> {
        summarize(d)
            .into_iter()
            .map(|i| (i.direction, i.text, i.users))
            .collect()
    }

    #[test]
    fn the_summary_aggregates_in_words() {
        let eu: &[&str] = &["EU"];
        let old = snap(
            GroupMode::Idp,
            vec![
                user("a", Access::Denied, None, 0),
                user("b", Access::Denied, None, 0),
                user("c", Access::Denied, None, 0),
                user("d", Access::User, Some(eu), 3),
                user("e", Access::User, Some(eu), 3),
            ],
        );
        let new = snap(
            GroupMode::Both,
            vec![
                user("a", Access::User, Some(eu), 400),
                user("b", Access::User, Some(eu), 400),
                user("c", Access::User, Some(eu), 404),
                user("d", Access::User, Some(&["EU", "US"]), 5),
                user("e", Access::User, Some(&["EU", "US"]), 5),
            ],
        );
        let d = compare("old", &old, "new", &new);
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert_eq!(
            texts(&d),
            [
                (
                    Direction::Wider,
                    "3 users gain access (DENIED → USER)".to_string(),
                    s(&["a", "b", "c"])
                ),
                (
                    Direction::Wider,
                    "5 users gain access to 2 to 404 more rows of `Sales` each".to_string(),
                    s(&["a", "b", "c", "d", "e"])
                ),
                (
                    Direction::Wider,
                    "2 users gain value `US` of `REGION`".to_string(),
                    s(&["d", "e"])
                ),
                (
                    Direction::Other,
                    "GROUP mode changed from 0 to 2 (IdP groups → IdP and custom groups)"
                        .to_string(),
                    vec![]
                ),
            ]
        );
        let human = render_human(&d);
        assert!(
            human.starts_with("qsa diff: old → new\n5 of 5 users changed: 5 gain\n"),
            "{human}"
        );
    }

    #[test]
    fn rows_of_many_tables_are_listed_compactly() {
        let eu: &[&str] = &["EU"];
        let with_tables = |id: &str, kept: &[usize]| {
            let mut u = user(id, Access::User, Some(eu), 0);
            u.tables = kept
                .iter()
                .enumerate()
                .map(|(i, k)| {
                    let c = TableCount {
                        rows: *k,
                        total_rows: 5000,
                    };
                    (format!("T{i}"), c)
                })
                .collect();
            u
        };
        let old = snap(
            GroupMode::Idp,
            vec![
                with_tables("a", &[1, 1, 1, 1]),
                with_tables("b", &[1, 1, 1, 1]),
            ],
        );
        let new = snap(
            GroupMode::Idp,
            vec![
                with_tables("a", &[2, 1001, 0, 5, 7]),
                with_tables("b", &[3, 1001, 0, 5, 7]),
            ],
        );
        let d = compare("old", &old, "new", &new);
        let t = texts(&d);
        assert_eq!(
            t[0].1,
            "2 users gain access to more rows of 4 tables (each: `T0` +1 to +2, `T1` +1,000, `T3` +4, `T4` +7)"
        );
        assert_eq!(t[1].1, "2 users lose access to 1 row of `T2` each");
        // T4 is only in the new side's model.
        assert_eq!(t[2].1, "table `T4` is new (5,000 rows)");
        assert_eq!(
            d.users.iter().map(|u| u.verdict).collect::<Vec<_>>(),
            [Verdict::Mixed, Verdict::Mixed]
        );
    }

    #[test]
    fn a_change_of_a_table_total_alone_is_reported_but_neither_wider_nor_narrower() {
        let eu: &[&str] = &["EU"];
        let old = snap(GroupMode::Idp, vec![user("a", Access::User, Some(eu), 3)]);
        let mut new = old.clone();
        new.users[0].tables.insert(
            "Sales".into(),
            TableCount {
                rows: 3,
                total_rows: 1300,
            },
        );
        let d = compare("old", &old, "new", &new);
        assert_eq!(verdicts(&d), [("a", Verdict::Other)]);
        assert_eq!(
            texts(&d),
            [(
                Direction::Other,
                "table `Sales` now has 1,300 rows (was 1,204)".to_string(),
                vec![]
            )]
        );
        assert_eq!(
            user_lines(&d.users[0]),
            ["rows `Sales`: 3 → 3 of 1,204 → 1,300"]
        );
    }

    #[test]
    fn identical_snapshots_are_no_change_whatever_their_inputs_say() {
        let eu: &[&str] = &["EU"];
        let old = snap(GroupMode::Idp, vec![user("a", Access::User, Some(eu), 3)]);
        let mut new = old.clone();
        new.header.inputs.push(crate::report::snapshot::Input {
            kind: crate::report::snapshot::InputKind::Script,
            name: "elsewhere.qvs".into(),
        });
        let d = compare("old", &old, "new", &new);
        assert!(!d.is_change());
        assert!(summarize(&d).is_empty());
        assert!(render_human(&d).contains("no change: 1 user sees the same"));
        assert!(render_markdown(&d).starts_with("### qsa diff: no access change\n"));
    }

    #[test]
    fn words() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1204), "1,204");
        assert_eq!(thousands(12_345_678), "12,345,678");
        assert_eq!(conjugate("gain", 1), "gains");
        assert_eq!(conjugate("are no longer ADMIN", 1), "is no longer ADMIN");
        assert_eq!(conjugate("now depend on", 1), "now depends on");
        assert_eq!(conjugate("no longer omit", 1), "no longer omits");
        assert_eq!(conjugate("have another e-mail", 1), "has another e-mail");
        assert_eq!(conjugate("become ADMIN", 2), "become ADMIN");
        assert_eq!(shown("EU"), "`EU`");
        assert_eq!(shown("a`b"), "`\"a\\u0060b\"`");
        assert_eq!(shown(" x\n"), "`\" x\\n\"`");
    }
}
