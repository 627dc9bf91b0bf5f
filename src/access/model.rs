//! The security model: the Section Access tables read as rules A1–A3, I1–I6, L1–L3, with lints.
//!
//! - A1: system fields (`ACCESS`, `USERID`, `USER.EMAIL`, `GROUP`, `OMIT`, and the QlikView heritage fields
//!   `NTNAME`, `NTDOMAINSID`, `NTSID`, `SERIAL`, `PASSWORD`); identity fields for the Qlik Sense targets are
//!   `USERID`, `USER.EMAIL` (cloud only, I5) and `GROUP`.
//! - A2: every other field is a reduction field, linked to the app field of exactly the same name.
//! - A3: the security tables form their own associative model; the rows that apply to a user are computed
//!   by selecting the user's identity values (plus `*`) in the identity fields and propagating with the
//!   same engine as the app (R4). A single flat table is the common case.
//! - I1–I4: a cell matches when it equals one of the user's upper-cased values or is `*`; blank cells match
//!   nobody; a user without a value for a field matches only `*`.

use super::directory::User;
use super::{GroupMode, Target};
use crate::diag::{codes, Diagnostic};
use crate::model::bitset::Bitset;
use crate::model::engine::{Engine, Kept};
use crate::model::{DataModel, RowOrigin, Table};
use std::collections::{BTreeMap, BTreeSet};

pub const ACCESS: &str = "ACCESS";
pub const USERID: &str = "USERID";
pub const USER_EMAIL: &str = "USER.EMAIL";
pub const GROUP: &str = "GROUP";
pub const OMIT: &str = "OMIT";
/// A1: every system field (the runner's list: fail-closed analysis and the model agree).
pub use crate::script::SYSTEM_FIELDS;

/// The reload identity of client-managed Qlik Sense (U1).
pub const RELOAD_IDENTITY: &str = "INTERNAL\\SA_SCHEDULER";

/// An identity field (I1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Identity {
    UserId,
    Email,
    Group,
}

impl Identity {
    pub fn field(&self) -> &'static str {
        match self {
            Identity::UserId => USERID,
            Identity::Email => USER_EMAIL,
            Identity::Group => GROUP,
        }
    }
}

/// Is this a blank cell (NULL, or only ASCII spaces)? Blank cells match nobody (I2) and contribute no
/// value (R1).
pub fn is_blank(text: Option<&str>) -> bool {
    match text {
        None => true,
        Some(t) => t.trim_matches(' ').is_empty(),
    }
}

/// A reduction field (A2).
#[derive(Clone, Debug)]
pub struct Reduction {
    pub name: String,
    /// Field id in the security engine.
    pub sec_field: usize,
    /// Present in the app (exact name).
    pub linked: bool,
    /// R1: what `*` stands for: every non-blank value listed in the column (sorted, unique).
    pub star: Vec<String>,
}

/// The security rows that apply to one user, per security table.
pub type Applicable = Vec<Kept>;

/// What the security model says about one user, before the app is reduced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    /// ADMIN/USER values on the applicable rows.
    pub admin: bool,
    pub user: bool,
    /// Any applicable row at all (L1).
    pub listed: bool,
    /// Per reduction field (linked ones only): the allowed texts (R1), sorted.
    pub allowed: BTreeMap<String, BTreeSet<String>>,
    /// O1: omitted field names (texts as listed, `*` expanded), sorted.
    pub omit: BTreeSet<String>,
}

/// The Section Access tables as a model.
#[derive(Debug)]
pub struct SecurityModel {
    pub target: Target,
    pub mode: GroupMode,
    /// Whether the script set `QlikCloudGroupMode` (S7).
    pub mode_set: bool,
    pub engine: Engine,
    /// Identity fields present (and evaluated for this target), with their field ids.
    pub identities: Vec<(Identity, usize)>,
    pub reductions: Vec<Reduction>,
    access_field: Option<usize>,
    omit_field: Option<usize>,
    /// O1: what `*` in OMIT stands for.
    pub omit_star: Vec<String>,
    /// Upper-cased GROUP values listed (non-`*`, non-blank).
    pub group_values: BTreeSet<String>,
    /// Rows with a blank identity cell: (table, row) — for I2 dependency checks.
    /// Rows with a blank identity cell (I2): per such row, its identity cells (`None` = blank or NULL).
    blank_identity_rows: Vec<Vec<(Identity, Option<String>)>>,
    /// Per identity field (as `identities`): whether it lists an explicit value (not `*`, not blank), I4.
    explicit: Vec<bool>,
}

/// Per identity field id: the symbols a user matches (see [`SecurityModel::identity_key`]).
pub type IdentityKey = BTreeMap<usize, Bitset>;

fn text_of(t: &Table, field: usize, row: usize) -> Option<String> {
    t.columns
        .get(field)
        .and_then(|c| c.get(row))
        .and_then(|v| v.text().map(|s| s.into_owned()))
}

impl SecurityModel {
    /// Build the model. `Err` when the security tables cannot be linked (R5 loop, nested keys).
    pub fn build(
        security: &DataModel,
        app_fields: &BTreeSet<String>,
        target: Target,
        mode: GroupMode,
        mode_set: bool,
    ) -> Result<SecurityModel, crate::model::engine::BuildError> {
        let engine = Engine::build(security)?;
        let mut identities = vec![];
        for id in [Identity::UserId, Identity::Email, Identity::Group] {
            // I5: client-managed has no USER.EMAIL identity; the user has no value there, so only `*`
            // matches (I4). The field is still selected so that rows with an e-mail never apply.
            if let Some(f) = engine.field_id(id.field()) {
                identities.push((id, f));
            }
        }
        let column_values = |name: &str| -> BTreeSet<String> {
            let mut out = BTreeSet::new();
            for t in &security.tables {
                if let Some(col) = t.column(name) {
                    for v in col.used_values() {
                        if let Some(txt) = v.text() {
                            if !is_blank(Some(&txt)) && txt != "*" {
                                out.insert(txt.into_owned());
                            }
                        }
                    }
                }
            }
            out
        };
        let mut reductions = vec![];
        for f in &engine.fields {
            if SYSTEM_FIELDS.contains(&f.name.as_str()) {
                continue;
            }
            reductions.push(Reduction {
                name: f.name.clone(),
                sec_field: engine.field_id(&f.name).unwrap_or(0),
                linked: app_fields.contains(&f.name),
                star: column_values(&f.name).into_iter().collect(),
            });
        }
        let mut blank_identity_rows = vec![];
        for t in &security.tables {
            // Per identity column: which dict values are blank (decided once per value).
            let cols: Vec<(&[u32], Vec<bool>)> = identities
                .iter()
                .filter_map(|(id, _)| t.column(id.field()))
                .map(|c| {
                    let blank = c
                        .dict()
                        .iter()
                        .map(|v| is_blank(v.text().as_deref()))
                        .collect();
                    (c.ids(), blank)
                })
                .collect();
            for r in 0..t.row_count() {
                let blank_cell = |(ids, blank): &(&[u32], Vec<bool>)| match ids.get(r) {
                    Some(&i) => blank.get(i as usize).copied().unwrap_or(true),
                    None => true,
                };
                if cols.iter().any(blank_cell) {
                    let cells = identities
                        .iter()
                        .filter_map(|(id, _)| {
                            let c = t.field_index(id.field())?;
                            let v = text_of(t, c, r).filter(|s| !is_blank(Some(s)));
                            Some((*id, v))
                        })
                        .collect();
                    blank_identity_rows.push(cells);
                }
            }
        }
        let explicit = identities
            .iter()
            .map(|&(_, f)| {
                engine.fields[f].values.iter().any(|v| {
                    let t = v.text_or_empty();
                    t != "*" && !is_blank(Some(&t))
                })
            })
            .collect();
        Ok(SecurityModel {
            explicit,
            target,
            mode,
            mode_set,
            access_field: engine.field_id(ACCESS),
            omit_field: engine.field_id(OMIT),
            omit_star: column_values(OMIT).into_iter().collect(),
            group_values: column_values(GROUP)
                .into_iter()
                .map(|g| g.to_uppercase())
                .collect(),
            identities,
            reductions,
            engine,
            blank_identity_rows,
        })
    }

    /// The user's values for an identity field, upper-cased (I3, I5, I6). Empty = no value (I4).
    pub fn user_values(&self, user: &User, id: Identity) -> Vec<String> {
        match id {
            Identity::UserId => user.subject.iter().map(|s| s.to_uppercase()).collect(),
            Identity::Email => match self.target {
                Target::Cloud => user.email.iter().map(|s| s.to_uppercase()).collect(),
                Target::ClientManaged => vec![],
            },
            Identity::Group => user.group_values(self.target, self.mode),
        }
    }

    /// I1–I4 and A3: the security rows that apply to the user.
    pub fn applicable(&self, user: &User) -> Applicable {
        self.applicable_for(&self.identity_key(user))
    }

    /// What decides the applicable rows of a user: per identity field, the symbols the user matches
    /// (`*` included). Users with equal keys have the same applicable rows.
    pub fn identity_key(&self, user: &User) -> IdentityKey {
        let mut sel = BTreeMap::new();
        for &(id, f) in &self.identities {
            let field = &self.engine.fields[f];
            let mut b = Bitset::new(field.len());
            if let Some(s) = field.symbol("*") {
                b.set(s as usize);
            }
            for v in self.user_values(user, id) {
                if let Some(s) = field.symbol(&v) {
                    b.set(s as usize);
                }
            }
            sel.insert(f, b);
        }
        sel
    }

    /// The applicable rows of every user with this identity key (I1–I4, A3).
    pub fn applicable_for(&self, key: &IdentityKey) -> Applicable {
        self.engine.evaluate(key).kept
    }

    /// L1, L2, R1, O1: what the applicable rows grant.
    pub fn grant(&self, security: &DataModel, rows: &[Kept]) -> Grant {
        let mut g = Grant {
            admin: false,
            user: false,
            listed: false,
            allowed: BTreeMap::new(),
            omit: BTreeSet::new(),
        };
        for r in self.reductions.iter().filter(|r| r.linked) {
            g.allowed.insert(r.name.clone(), BTreeSet::new());
        }
        for (ti, t) in security.tables.iter().enumerate() {
            let Some(kept) = rows.get(ti) else { continue };
            let n = t.row_count();
            let access_c = t.field_index(ACCESS);
            let omit_c = t.field_index(OMIT);
            let red_c: Vec<(usize, &Reduction)> = self
                .reductions
                .iter()
                .filter(|r| r.linked)
                .filter_map(|r| t.field_index(&r.name).map(|c| (c, r)))
                .collect();
            let has_identity = self
                .identities
                .iter()
                .any(|(id, _)| t.field_index(id.field()).is_some());
            let kept_rows: Vec<usize> = match kept {
                Kept::All => (0..n).collect(),
                Kept::Rows(b) => b.ones().collect(),
            };
            for row in kept_rows {
                if has_identity {
                    g.listed = true;
                }
                if let Some(c) = access_c {
                    match text_of(t, c, row).as_deref() {
                        Some("ADMIN") => g.admin = true,
                        Some("USER") => g.user = true,
                        _ => {}
                    }
                }
                if let Some(c) = omit_c {
                    match text_of(t, c, row) {
                        Some(s) if s == "*" => g.omit.extend(self.omit_star.iter().cloned()),
                        Some(s) if !is_blank(Some(&s)) => {
                            g.omit.insert(s);
                        }
                        _ => {}
                    }
                }
                for (c, r) in &red_c {
                    let set = g.allowed.entry(r.name.clone()).or_default();
                    match text_of(t, *c, row) {
                        Some(s) if s == "*" => set.extend(r.star.iter().cloned()),
                        Some(s) if !is_blank(Some(&s)) => {
                            set.insert(s);
                        }
                        _ => {}
                    }
                }
            }
        }
        if self.identities.is_empty() {
            // No identity field at all: every row applies to everyone.
            g.listed = security.tables.iter().any(|t| t.row_count() > 0);
        }
        g
    }

    /// I2 [dec]: would a row apply if its blank identity cells matched? Then the user's result depends on
    /// "a blank identity cell matches nobody".
    pub fn depends_on_blank_identity(&self, user: &User) -> bool {
        if self.blank_identity_rows.is_empty() {
            return false;
        }
        let vals: Vec<(Identity, Vec<String>)> = self
            .identities
            .iter()
            .map(|(id, _)| (*id, self.user_values(user, *id)))
            .collect();
        self.blank_identity_rows.iter().any(|cells| {
            cells.iter().all(|(id, cell)| match cell {
                None => true,
                Some(s) => {
                    s == "*"
                        || vals
                            .iter()
                            .any(|(i, v)| i == id && v.iter().any(|x| x == s))
                }
            })
        })
    }

    /// I4 [dec]: the user has no value for an identity field that lists explicit values.
    pub fn depends_on_missing_value(&self, user: &User) -> bool {
        self.identities
            .iter()
            .zip(&self.explicit)
            .any(|(&(id, _), &explicit)| explicit && self.user_values(user, id).is_empty())
    }

    /// S7 [dec]: would another group mode change which GROUP values the user matches?
    pub fn depends_on_group_mode(&self, user: &User) -> bool {
        if self.target != Target::Cloud
            || !self.identities.iter().any(|(id, _)| *id == Identity::Group)
        {
            return false;
        }
        let now: BTreeSet<String> = user
            .group_values(self.target, self.mode)
            .into_iter()
            .collect();
        [GroupMode::Idp, GroupMode::Custom, GroupMode::Both]
            .iter()
            .filter(|m| **m != self.mode)
            .any(|m| {
                let other: BTreeSet<String> =
                    user.group_values(self.target, *m).into_iter().collect();
                now.symmetric_difference(&other)
                    .any(|g| self.group_values.contains(g))
            })
    }

    /// The identities listed explicitly in the security tables (USERID and USER.EMAIL values, not `*`), as
    /// users to evaluate when no directory is given.
    pub fn listed_users(&self, security: &DataModel) -> Vec<User> {
        let mut ids = BTreeSet::new();
        let mut emails = BTreeSet::new();
        for t in &security.tables {
            for (field, set) in [(USERID, &mut ids), (USER_EMAIL, &mut emails)] {
                if let Some(c) = t.field_index(field) {
                    for r in 0..t.row_count() {
                        if let Some(s) = text_of(t, c, r) {
                            if s != "*" && !is_blank(Some(&s)) {
                                // I3: a user's value is compared upper-cased, so `ann@x.com` and
                                // `ANN@X.COM` in the tables are one identity.
                                set.insert(s.to_uppercase());
                            }
                        }
                    }
                }
            }
        }
        let mut users: Vec<User> = ids.into_iter().map(User::new).collect();
        if self.target == Target::ClientManaged {
            // I5: e-mail is no identity on client-managed.
            emails.clear();
        }
        for e in emails {
            let mut u = User::new(e.clone());
            u.subject = None;
            u.key = format!("email:{e}");
            u.email = Some(e);
            users.push(u);
        }
        users
    }

    /// Lints of the security model (A2, I2, L1, L2, R2, R3, O1, U1 and "no ADMIN").
    pub fn lints(
        &self,
        security: &DataModel,
        app: &DataModel,
        app_engine: &Engine,
    ) -> Vec<Diagnostic> {
        let mut out = vec![];
        let app_fields: BTreeSet<String> = app
            .tables
            .iter()
            .flat_map(|t| t.fields.iter().cloned())
            .collect();
        let sec_tables_of = |name: &str| {
            security
                .tables
                .iter()
                .filter(|t| t.field_index(name).is_some())
                .count()
        };
        // A2 / A3
        for r in &self.reductions {
            if r.linked {
                continue;
            }
            let at = table_source(security, &r.name);
            if sec_tables_of(&r.name) > 1 {
                out.push(locate(
                    Diagnostic::info(
                        codes::SA_INTERNAL_LINK,
                        format!("`{}` links security tables but is not an app field; it reduces nothing", r.name),
                    )
                    .with_rule("A3"),
                    at,
                ));
                continue;
            }
            let near = near_misses(&r.name, &app_fields);
            let mut d = Diagnostic::error(
                codes::SA_UNLINKED_FIELD,
                format!(
                    "Section Access field `{}` matches no app field (names are case-sensitive): it reduces nothing, every user keeps all data",
                    r.name
                ),
            )
            .with_rule("A2");
            d = if near.is_empty() {
                d.with_help("name the app field exactly like the Section Access field (upper case), or drop the column")
            } else {
                d.with_help(format!(
                    "did you mean the app field {}? Rename it to `{}` in the app (and upper-case its values)",
                    near.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", "),
                    r.name
                ))
            };
            out.push(locate(d, at));
        }
        for (ti, t) in security.tables.iter().enumerate() {
            // I2: blank identity cells.
            for (id, _) in &self.identities {
                let Some(c) = t.field_index(id.field()) else {
                    continue;
                };
                let blanks: Vec<usize> = (0..t.row_count())
                    .filter(|&r| is_blank(text_of(t, c, r).as_deref()))
                    .collect();
                if let Some(&first) = blanks.first() {
                    let d = Diagnostic::warning(
                        codes::SA_BLANK_IDENTITY,
                        format!(
                            "{} row(s) of `{}` have a blank {} cell: such a row applies to nobody",
                            blanks.len(),
                            t.name,
                            id.field()
                        ),
                    )
                    .with_help(format!(
                        "put `*` in {} on rows that do not use it",
                        id.field()
                    ))
                    .with_rule("I2");
                    out.push(locate(d, row_origin(t, first)));
                }
            }
            // L1: invalid ACCESS values.
            if let Some(c) = t.field_index(ACCESS) {
                let mut bad: BTreeMap<String, usize> = BTreeMap::new();
                for r in 0..t.row_count() {
                    let v = text_of(t, c, r).unwrap_or_default();
                    if v != "ADMIN" && v != "USER" {
                        bad.entry(v).or_insert(r);
                    }
                }
                for (v, r) in bad {
                    let d = Diagnostic::warning(
                        codes::SA_INVALID_ACCESS,
                        format!("ACCESS value `{v}` in `{}` is neither ADMIN nor USER: the row grants no access", t.name),
                    )
                    .with_help("use USER or ADMIN; values loaded from a file or a database are not upper-cased (S4): `Upper(ACCESS) AS ACCESS`")
                    .with_rule("L1");
                    out.push(locate(d, row_origin(t, r)));
                }
            }
            let _ = ti;
        }
        // L2 / R3 per explicit identity value (single-table view).
        for t in &security.tables {
            let access_c = t.field_index(ACCESS);
            let red: Vec<(usize, &str)> = self
                .reductions
                .iter()
                .filter(|r| r.linked)
                .filter_map(|r| t.field_index(&r.name).map(|c| (c, r.name.as_str())))
                .collect();
            for (id, _) in &self.identities {
                let Some(ic) = t.field_index(id.field()) else {
                    continue;
                };
                let mut by_value: BTreeMap<String, Vec<usize>> = BTreeMap::new();
                for r in 0..t.row_count() {
                    if let Some(v) = text_of(t, ic, r) {
                        if v != "*" && !is_blank(Some(&v)) {
                            by_value.entry(v).or_default().push(r);
                        }
                    }
                }
                for (v, rows) in &by_value {
                    if let Some(ac) = access_c {
                        let acc: BTreeSet<String> =
                            rows.iter().filter_map(|&r| text_of(t, ac, r)).collect();
                        if acc.contains("ADMIN") && acc.contains("USER") {
                            out.push(mixed_access(t, ac, id.field(), v, rows));
                        }
                    }
                    if red.len() >= 2 && rows.len() >= 2 {
                        let combos: BTreeSet<Vec<String>> = rows
                            .iter()
                            .map(|&r| {
                                red.iter()
                                    .map(|(c, _)| text_of(t, *c, r).unwrap_or_default())
                                    .collect()
                            })
                            .filter(|c: &Vec<String>| {
                                c.iter().filter(|x| !is_blank(Some(x))).count() >= 2
                            })
                            .collect();
                        let per_field: Vec<BTreeSet<&String>> = (0..red.len())
                            .map(|i| combos.iter().map(|c| &c[i]).collect())
                            .collect();
                        let product: usize = per_field
                            .iter()
                            .fold(1usize, |p, s| p.saturating_mul(s.len()));
                        if combos.len() >= 2 && product > combos.len() {
                            out.push(locate(
                                Diagnostic::warning(
                                    codes::SA_CROSS_PRODUCT,
                                    format!(
                                        "{} `{v}` has {} rows combining {}: Qlik grants every combination ({} of them), not only the listed ones: also {}",
                                        id.field(),
                                        combos.len(),
                                        red.iter().map(|(_, n)| *n).collect::<Vec<_>>().join(" × "),
                                        product,
                                        extra_combinations(&per_field, &combos, product)
                                    ),
                                )
                                .with_help("build one reduction field from the combination (an authorisation key in a link table)")
                                .with_rule("R3"),
                                row_origin(t, rows[0]),
                            ));
                        }
                    }
                }
            }
        }
        // R2: reduction values not in the data.
        for r in self.reductions.iter().filter(|r| r.linked) {
            let Some(af) = app_engine.field_id(&r.name) else {
                continue;
            };
            let missing: Vec<&String> = r
                .star
                .iter()
                .filter(|v| app_engine.fields[af].symbol(v).is_none())
                .collect();
            if !missing.is_empty() {
                let shown: Vec<String> =
                    missing.iter().take(10).map(|v| format!("`{v}`")).collect();
                out.push(locate(
                    Diagnostic::warning(
                        codes::SA_VALUE_NOT_IN_DATA,
                        format!(
                            "{} value(s) of `{}` in Section Access do not exist in the app field (exact text): {}{}",
                            missing.len(),
                            r.name,
                            shown.join(", "),
                            if missing.len() > 10 { ", …" } else { "" }
                        ),
                    )
                    .with_help("values are compared exactly: app values must be upper case like Section Access values")
                    .with_rule("R2"),
                    table_source(security, &r.name),
                ));
            }
        }
        // O1
        for name in &self.omit_star {
            if !app_fields.contains(name) {
                out.push(locate(
                    Diagnostic::warning(
                        codes::SA_OMIT_UNKNOWN,
                        format!("OMIT names `{name}`, which is no app field: it omits nothing"),
                    )
                    .with_help("field names are case-sensitive: name the app field exactly like the OMIT value (upper case)")
                    .with_rule("O1"),
                    table_source(security, OMIT),
                ));
            } else if app_engine
                .field_id(name)
                .map(|f| app_engine.is_key_field(f))
                .unwrap_or(false)
            {
                out.push(locate(
                    Diagnostic::warning(
                        codes::SA_OMIT_KEY,
                        format!(
                            "OMIT names the key field `{name}`: Qlik keeps the key without content"
                        ),
                    )
                    .with_help("omit the sensitive non-key fields instead, or link the tables by a surrogate key")
                    .with_rule("O1"),
                    table_source(security, OMIT),
                ));
            }
        }
        // No ADMIN at all.
        if let Some(af) = self.access_field {
            if self.engine.fields[af].symbol("ADMIN").is_none() {
                out.push(locate(
                    Diagnostic::warning(
                        codes::SA_NO_ADMIN,
                        "no Section Access row grants ADMIN".to_string(),
                    )
                    .with_help("add an ADMIN row for the app's owner or a service account (e.g. `ADMIN, ADMIN1, *`)")
                    .with_rule("L2"),
                    table_source(security, ACCESS),
                ));
            }
        }
        out
    }

    pub fn has_access_field(&self) -> bool {
        self.access_field.is_some()
    }
    pub fn has_omit_field(&self) -> bool {
        self.omit_field.is_some()
    }
}

/// How many of the combinations a cross product adds beyond the listed rows QSA204 names.
const EXTRA_SHOWN: usize = 5;

/// R3: the combinations of `per_field` (one set of values per reduction field) that `listed` does not
/// hold, in order, as `(EU, CARS), (US, BIKES)`: at most [`EXTRA_SHOWN`], then how many more. `product`
/// is the number of all combinations (saturated).
fn extra_combinations(
    per_field: &[BTreeSet<&String>],
    listed: &BTreeSet<Vec<String>>,
    product: usize,
) -> String {
    let fields: Vec<Vec<&String>> = per_field
        .iter()
        .map(|s| s.iter().copied().collect())
        .collect();
    let mut shown = vec![];
    // An odometer over the fields' values; it visits at most `listed.len() + EXTRA_SHOWN` combinations.
    let mut at = vec![0usize; fields.len()];
    'walk: while shown.len() < EXTRA_SHOWN && fields.iter().all(|f| !f.is_empty()) {
        let combo: Vec<String> = at.iter().zip(&fields).map(|(&i, f)| f[i].clone()).collect();
        if !listed.contains(&combo) {
            shown.push(format!("({})", combo.join(", ")));
        }
        for k in (0..at.len()).rev() {
            at[k] += 1;
            if at[k] < fields[k].len() {
                continue 'walk;
            }
            at[k] = 0;
        }
        break;
    }
    let extra = product.saturating_sub(listed.len());
    let mut s = shown.join(", ");
    if extra > shown.len() {
        s.push_str(&format!(" and {} more", extra - shown.len()));
    }
    s
}

/// L2: an identity with both ADMIN and USER rows, at the first row of each ("granted ADMIN here",
/// "granted USER here"); the earlier one is the primary location.
fn mixed_access(t: &Table, access: usize, field: &str, value: &str, rows: &[usize]) -> Diagnostic {
    let first = |level: &str| {
        rows.iter()
            .copied()
            .find(|&r| text_of(t, access, r).as_deref() == Some(level))
    };
    let mut at: Vec<(usize, &str)> = [("ADMIN", first("ADMIN")), ("USER", first("USER"))]
        .into_iter()
        .filter_map(|(level, r)| r.map(|r| (r, level)))
        .collect();
    at.sort();
    let mut d = Diagnostic::warning(
        codes::SA_MIXED_ACCESS,
        format!(
            "{field} `{value}` has both ADMIN and USER rows in `{}`; qsa treats the user as ADMIN [dec]",
            t.name
        ),
    )
    .with_help("give the identity one ACCESS level: ADMIN on all its rows, or on none")
    .with_rule("L2");
    for (i, (r, level)) in at.into_iter().enumerate() {
        if let Some((s, sp)) = row_origin(t, r) {
            let label = format!("granted {level} here");
            d = if i == 0 {
                d.at(s, sp, label)
            } else {
                d.with_secondary(s, sp, label)
            };
        }
    }
    d
}

fn locate(d: Diagnostic, at: Option<(crate::diag::SourceId, crate::diag::Span)>) -> Diagnostic {
    match at {
        Some((s, sp)) => d.at(s, sp, ""),
        None => d,
    }
}

/// The script location of a security row, when it has one.
pub fn row_origin(t: &Table, row: usize) -> Option<(crate::diag::SourceId, crate::diag::Span)> {
    match t.origins.get(row) {
        Some(RowOrigin::Script { source, span }) | Some(RowOrigin::Load { source, span }) => {
            Some((source, span))
        }
        _ => t.source,
    }
}

fn table_source(
    security: &DataModel,
    field: &str,
) -> Option<(crate::diag::SourceId, crate::diag::Span)> {
    security
        .tables
        .iter()
        .find(|t| t.field_index(field).is_some())
        .and_then(|t| t.source)
}

/// A2 near misses: app fields equal ignoring case, or within edit distance 2 (case-insensitive).
pub fn near_misses(name: &str, app_fields: &BTreeSet<String>) -> Vec<String> {
    let up = name.to_uppercase();
    let mut exact_ci: Vec<String> = app_fields
        .iter()
        .filter(|f| f.to_uppercase() == up)
        .cloned()
        .collect();
    if exact_ci.is_empty() {
        exact_ci = app_fields
            .iter()
            .filter(|f| edit_distance(&f.to_uppercase(), &up) <= 2)
            .cloned()
            .collect();
    }
    exact_ci
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for i in 1..=a.len() {
        let mut cur = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sets(fields: &[&[&str]]) -> Vec<BTreeSet<String>> {
        fields
            .iter()
            .map(|f| f.iter().map(|v| v.to_string()).collect())
            .collect()
    }

    fn combos(rows: &[&[&str]]) -> BTreeSet<Vec<String>> {
        rows.iter()
            .map(|r| r.iter().map(|v| v.to_string()).collect())
            .collect()
    }

    // R3: QSA204 names the combinations the cross product adds, in order, at most EXTRA_SHOWN of them.
    #[test]
    fn cross_product_lists_the_extra_combinations() {
        let owned = sets(&[&["EU", "US"], &["BIKES", "CARS"]]);
        let per: Vec<BTreeSet<&String>> = owned.iter().map(|s| s.iter().collect()).collect();
        let listed = combos(&[&["EU", "BIKES"], &["US", "CARS"]]);
        assert_eq!(
            extra_combinations(&per, &listed, 4),
            "(EU, CARS), (US, BIKES)"
        );
        // 3 × 3 = 9 combinations, 3 listed: 6 extra, 5 shown.
        let owned = sets(&[&["A", "B", "C"], &["1", "2", "3"]]);
        let per: Vec<BTreeSet<&String>> = owned.iter().map(|s| s.iter().collect()).collect();
        let listed = combos(&[&["A", "1"], &["B", "2"], &["C", "3"]]);
        assert_eq!(
            extra_combinations(&per, &listed, 9),
            "(A, 2), (A, 3), (B, 1), (B, 3), (C, 1) and 1 more"
        );
    }
}
