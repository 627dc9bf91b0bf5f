//! The user directory: who to evaluate, with subject, e-mail, status and groups.
//!
//! Accepted inputs (product.md, tenant-model.md §1, §2, §5):
//! - simple JSON `{"users":[{subject,email,name,idp_groups,custom_groups}]}`;
//! - simple CSV with header `subject,email,name,idp_groups,custom_groups` (groups `;`-separated; an
//!   optional `status` column);
//! - Qlik Cloud `GET /api/v1/users` pages (`{"data":[…],"links":…}`), the bare array `qlik user ls --json`
//!   prints, and several envelopes / arrays concatenated in one file (NDJSON);
//! - the command line (`--user`, `--email`, `--idp-group`, `--custom-group`);
//! - a groups export (`qlik group ls --json`, or a `/api/v1/groups` page) to classify groups whose
//!   `providerType` the users export lacks.
//!
//! Unknown fields are ignored; a missing `providerType` means `idp` (exports made before custom groups
//! existed). Users are deduplicated by id. Malformed files give located diagnostics (QSA401).

use super::{GroupMode, Target};
use crate::diag::{codes, Diagnostic, SourceFile, SourceId, SourceMap, Span};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Where a group comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Provider {
    Idp,
    Custom,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Group {
    /// The name as the tenant spells it (case-sensitive).
    pub name: String,
    pub provider: Provider,
}

/// A user's `status` (tenant-model §1.6).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    Active,
    Provisioned,
    Invited,
    Disabled,
    Deleted,
    /// Anything else: evaluated as denied (fail closed).
    Other(String),
}

impl Status {
    pub fn parse(s: &str) -> Status {
        match s.trim().to_ascii_lowercase().as_str() {
            "" | "active" => Status::Active,
            "provisioned" => Status::Provisioned,
            "invited" => Status::Invited,
            "disabled" => Status::Disabled,
            "deleted" => Status::Deleted,
            _ => Status::Other(s.to_string()),
        }
    }
    /// `active` and `provisioned` users are evaluated; the others are DENIED with reason "status".
    pub fn can_open(&self) -> bool {
        matches!(self, Status::Active | Status::Provisioned)
    }
    pub fn as_str(&self) -> &str {
        match self {
            Status::Active => "active",
            Status::Provisioned => "provisioned",
            Status::Invited => "invited",
            Status::Disabled => "disabled",
            Status::Deleted => "deleted",
            Status::Other(s) => s,
        }
    }
}

/// One user to evaluate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct User {
    /// Directory id (Qlik Cloud user id) when known, else the subject; used for deduplication.
    pub key: String,
    /// Cloud: the IdP subject; client-managed: `USERDIRECTORY\USERID`. `None` for a user known only by
    /// e-mail (from a USER.EMAIL column, say): matches only `*` in USERID (I4).
    pub subject: Option<String>,
    pub email: Option<String>,
    pub name: Option<String>,
    pub status: Status,
    pub groups: Vec<Group>,
}

impl User {
    pub fn new(subject: impl Into<String>) -> Self {
        let s = subject.into();
        User {
            key: s.clone(),
            subject: Some(s),
            email: None,
            name: None,
            status: Status::Active,
            groups: vec![],
        }
    }
    /// The id shown in reports: the subject (cloud) / `DIR\USER` (client-managed); the e-mail for a
    /// user known only by e-mail.
    pub fn report_id(&self) -> String {
        self.subject
            .clone()
            .or_else(|| self.email.clone())
            .unwrap_or_else(|| self.key.clone())
    }
    /// The groups GROUP is compared with (I6), as held (not upper-cased): cloud per mode; client-managed
    /// all directory groups.
    pub fn held_groups(&self, target: Target, mode: GroupMode) -> Vec<&Group> {
        self.groups
            .iter()
            .filter(|g| match target {
                Target::ClientManaged => true,
                Target::Cloud => match mode {
                    GroupMode::Idp => g.provider == Provider::Idp,
                    GroupMode::Custom => g.provider == Provider::Custom,
                    GroupMode::Both => true,
                },
            })
            .collect()
    }
    /// The upper-cased GROUP values (I3, I6), sorted and unique.
    pub fn group_values(&self, target: Target, mode: GroupMode) -> Vec<String> {
        let set: BTreeSet<String> = self
            .held_groups(target, mode)
            .iter()
            .map(|g| g.name.to_uppercase())
            .collect();
        set.into_iter().collect()
    }
    /// I6: held groups that collide after upper-casing (distinct names, or the same name as IdP and custom
    /// group under mode 2). Each entry: the upper-cased value and the colliding groups.
    pub fn group_collisions(&self, target: Target, mode: GroupMode) -> Vec<(String, Vec<Group>)> {
        let mut by_upper: BTreeMap<String, BTreeSet<Group>> = BTreeMap::new();
        for g in self.held_groups(target, mode) {
            by_upper
                .entry(g.name.to_uppercase())
                .or_default()
                .insert(g.clone());
        }
        by_upper
            .into_iter()
            .filter(|(_, gs)| gs.len() > 1)
            .map(|(k, gs)| (k, gs.into_iter().collect()))
            .collect()
    }
}

/// The users to evaluate, in input order, deduplicated by key.
#[derive(Clone, Debug, Default)]
pub struct Directory {
    pub users: Vec<User>,
    /// Keys of `users`, for duplicate detection in constant time (a tenant has 100k users).
    keys: std::collections::HashSet<String>,
    /// Users offered to [`Directory::push`], duplicates included (a file that lists none is refused).
    offered: usize,
}

impl Directory {
    /// Add a user; a second user with the same key is dropped with a warning (QSA403).
    pub fn push(&mut self, user: User, diags: &mut Vec<Diagnostic>) {
        self.offered += 1;
        if !self.keys.insert(user.key.clone()) {
            diags.push(
                Diagnostic::warning(
                    codes::DIRECTORY_DUPLICATE,
                    format!("user `{}` appears more than once in the directory; the first entry is used", user.key),
                )
                .with_rule("I5"),
            );
            return;
        }
        self.users.push(user);
    }

    /// Find a user by subject, e-mail or id (case-insensitive), for `--user` with `--directory`.
    pub fn find(&self, who: &str) -> Option<&User> {
        let w = who.to_uppercase();
        self.users.iter().find(|u| {
            u.key.to_uppercase() == w
                || u.subject
                    .as_deref()
                    .map(|s| s.to_uppercase() == w)
                    .unwrap_or(false)
                || u.email
                    .as_deref()
                    .map(|s| s.to_uppercase() == w)
                    .unwrap_or(false)
        })
    }
}

/// Group classification from a groups export: id → group, name → providers.
#[derive(Clone, Debug, Default)]
pub struct GroupCatalog {
    by_id: BTreeMap<String, Group>,
    by_name: BTreeMap<String, BTreeSet<Provider>>,
}

impl GroupCatalog {
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty() && self.by_name.is_empty()
    }
    fn classify(&self, id: Option<&str>, name: &str) -> Option<Provider> {
        if let Some(g) = id.and_then(|i| self.by_id.get(i)) {
            return Some(g.provider);
        }
        match self.by_name.get(name) {
            Some(ps) if ps.len() == 1 => ps.iter().next().copied(),
            _ => None,
        }
    }
    /// Add one group of a groups export (a missing `providerType` is `idp`); a later group with the same
    /// id replaces an earlier one.
    pub fn add(&mut self, id: Option<String>, name: String, provider_type: Option<&str>) {
        let provider = provider_of(provider_type).unwrap_or(Provider::Idp);
        self.by_name
            .entry(name.clone())
            .or_default()
            .insert(provider);
        if let Some(id) = id {
            self.by_id.insert(id, Group { name, provider });
        }
    }
    /// All group names of the catalog, upper-cased (to flag GROUP values that match no group).
    pub fn upper_names(&self) -> BTreeSet<String> {
        self.by_name.keys().map(|n| n.to_uppercase()).collect()
    }
}

// ---------------------------------------------------------------- raw (serde) shapes

#[derive(Deserialize, Default)]
struct RawGroupRef {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, rename = "providerType")]
    provider_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawGroupItem {
    Name(String),
    Ref(RawGroupRef),
}

#[derive(Deserialize, Default)]
struct RawUser {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    subject: Option<String>,
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    idp_groups: Option<Vec<String>>,
    #[serde(default)]
    custom_groups: Option<Vec<String>>,
    #[serde(default, rename = "assignedGroups")]
    assigned_groups: Option<Vec<RawGroupItem>>,
    /// Legacy `fields=groups` form: names only.
    #[serde(default)]
    groups: Option<Vec<RawGroupItem>>,
}

#[derive(Deserialize)]
struct RawUsersFile {
    users: Vec<RawUser>,
}

#[derive(Deserialize)]
struct RawPage<T> {
    data: Vec<T>,
}

#[derive(Deserialize)]
struct RawGroup {
    #[serde(default)]
    id: Option<String>,
    name: String,
    #[serde(default, rename = "providerType")]
    provider_type: Option<String>,
}

enum Shape {
    Array,
    /// `{"users": [...]}` (the simple format)
    Named,
    /// `{"data": [...]}` (an API page)
    Page,
    /// one user object
    Single,
    Other,
}

fn shape(doc: &serde_json::Value, named: &str) -> Shape {
    match doc {
        serde_json::Value::Array(_) => Shape::Array,
        serde_json::Value::Object(m) if m.contains_key(named) => Shape::Named,
        serde_json::Value::Object(m) if m.contains_key("data") => Shape::Page,
        serde_json::Value::Object(m) if m.contains_key("subject") => Shape::Single,
        _ => Shape::Other,
    }
}

fn provider_of(s: Option<&str>) -> Option<Provider> {
    match s.map(|p| p.trim().to_ascii_lowercase()) {
        Some(p) if p == "custom" => Some(Provider::Custom),
        Some(p) if p == "idp" => Some(Provider::Idp),
        _ => None,
    }
}

/// Byte offset of 1-based (line, column) in `text` (column counted in characters).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            let col_bytes: usize = l
                .chars()
                .take(column.saturating_sub(1))
                .map(|c| c.len_utf8())
                .sum();
            return off + col_bytes;
        }
        off += l.len();
    }
    text.len()
}

fn located(
    code: &'static str,
    src: SourceId,
    text: &str,
    line: usize,
    column: usize,
    msg: String,
) -> Diagnostic {
    let at = offset_of(text, line.max(1), column.max(1));
    let end = (at + 1).min(text.len()).max(at);
    Diagnostic::error(code, msg).at(src, Span::new(at, end), "here")
}

/// The text of a directory file, and why it cannot be JSON text (empty, not UTF-8): a CSV file is
/// decoded like a script (a BOM, else UTF-8, else windows-1252), a JSON file must be UTF-8 (or carry a
/// BOM).
fn load_text(
    path: &Path,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> Option<(SourceId, String, Option<crate::json::TextError>)> {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = crate::diag::decode_script_bytes(&bytes);
            let json_error = crate::json::decode(&bytes).1;
            let id = sources.add(SourceFile::new(
                path.display().to_string(),
                Some(path.to_path_buf()),
                text.as_str(),
            ));
            Some((id, text, json_error))
        }
        Err(e) => {
            diags.push(Diagnostic::error(
                codes::DIRECTORY_MALFORMED,
                format!("cannot read directory file `{}`: {e}", path.display()),
            ));
            None
        }
    }
}

/// A file that is empty or not JSON text (not UTF-8): a located error; always false.
fn refuse_text(
    src: SourceId,
    text: &str,
    what: &str,
    error: Option<crate::json::TextError>,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let e = error.unwrap_or(crate::json::TextError {
        line: 1,
        column: 1,
        message: "the file is empty".into(),
    });
    diags.push(located(
        codes::DIRECTORY_MALFORMED,
        src,
        text,
        e.line,
        e.column,
        format!("{what}: {}", e.message),
    ));
    false
}

/// Parse the JSON documents of a file (one, or several concatenated / NDJSON). Errors are located.
fn json_documents(
    src: SourceId,
    text: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<Vec<serde_json::Value>> {
    let mut docs = Vec::new();
    for item in serde_json::Deserializer::from_str(text).into_iter::<crate::json::Strict>() {
        match item {
            Ok(v) => docs.push(v.0),
            Err(e) => {
                diags.push(located(
                    codes::DIRECTORY_MALFORMED,
                    src,
                    text,
                    e.line(),
                    e.column(),
                    format!("{what} is not valid JSON: {e}"),
                ));
                return None;
            }
        }
    }
    Some(docs)
}

/// Deserialize a typed shape from a document, reporting shape errors at the document's start (serde_json
/// values carry no positions; re-parsing the text gives line and column).
fn typed<T: serde::de::DeserializeOwned>(
    doc: serde_json::Value,
    src: SourceId,
    text: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_json::from_value::<T>(doc) {
        Ok(v) => Some(v),
        Err(e) => {
            // Re-parse the text with the typed shape to locate the problem (works for one document).
            let (line, col) = match serde_json::from_str::<T>(text) {
                Err(e2) if e2.line() > 0 => (e2.line(), e2.column()),
                _ => (1, 1),
            };
            diags.push(located(
                codes::DIRECTORY_MALFORMED,
                src,
                text,
                line,
                col,
                format!("{what}: {e}"),
            ));
            None
        }
    }
}

/// Load a users file (any accepted JSON or CSV form) into `dir`. Returns false when the file was
/// malformed (diagnostics say where).
pub fn load_users_file(
    path: &Path,
    catalog: &GroupCatalog,
    dir: &mut Directory,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some((src, text, json_error)) = load_text(path, sources, diags) else {
        return false;
    };
    let what = users_file_what(path);
    if text.trim().is_empty() {
        return refuse_text(src, &text, &what, json_error, diags);
    }
    let is_csv = path
        .extension()
        .map(|e| e.eq_ignore_ascii_case("csv"))
        .unwrap_or(false)
        || !text.trim_start().starts_with(['{', '[']);
    if is_csv {
        return load_users_csv(src, &text, dir, diags);
    }
    if json_error.is_some() {
        return refuse_text(src, &text, &what, json_error, diags);
    }
    let before = diags.len();
    // The common shape (`qlik user ls --json`: one array of users) is read straight into users, without
    // a JSON tree first (100k users); anything else, or any error, takes the general path below, which
    // also locates errors.
    if text.trim_start().starts_with('[') {
        if let Ok(raws) = serde_json::from_str::<Vec<RawUser>>(&text) {
            for (i, raw) in raws.into_iter().enumerate() {
                if let Some(u) = user_from_raw(raw, i, catalog, src, &text, &what, diags) {
                    dir.push(u, diags);
                }
            }
            return !diags[before..].iter().any(|d| d.is_error());
        }
    }
    let Some(docs) = json_documents(src, &text, &what, diags) else {
        return false;
    };
    for doc in docs {
        let kind = shape(&doc, "users");
        let raws: Vec<RawUser> = match kind {
            Shape::Array => match typed::<Vec<RawUser>>(doc, src, &text, &what, diags) {
                Some(v) => v,
                None => return false,
            },
            Shape::Named => match typed::<RawUsersFile>(doc, src, &text, &what, diags) {
                Some(v) => v.users,
                None => return false,
            },
            Shape::Page => match typed::<RawPage<RawUser>>(doc, src, &text, &what, diags) {
                Some(v) => v.data,
                None => return false,
            },
            Shape::Single => match typed::<RawUser>(doc, src, &text, &what, diags) {
                Some(v) => vec![v],
                None => return false,
            },
            Shape::Other => {
                diags.push(located(
                    codes::DIRECTORY_MALFORMED,
                    src,
                    &text,
                    1,
                    1,
                    format!("{what}: expected {{\"users\": [...]}}, a users page {{\"data\": [...]}} or an array of users"),
                ));
                return false;
            }
        };
        for (i, raw) in raws.into_iter().enumerate() {
            if let Some(u) = user_from_raw(raw, i, catalog, src, &text, &what, diags) {
                dir.push(u, diags);
            }
        }
    }
    !diags[before..].iter().any(|d| d.is_error())
}

/// How diagnostics name a users file (`what` of [`parse_status`]).
pub fn users_file_what(path: &Path) -> String {
    format!("directory file `{}`", path.display())
}

/// A users file's `status` (missing or blank: active), with the warning for an unknown one (`what` names
/// the file, [`users_file_what`]).
fn parse_status(
    raw: Option<&str>,
    subject: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Status {
    let status = Status::parse(raw.unwrap_or(""));
    if let Status::Other(s) = &status {
        diags.push(Diagnostic::warning(
            codes::DIRECTORY_UNKNOWN_STATUS,
            format!(
                "{what}: user `{subject}` has unknown status `{s}`; reported as DENIED (status)"
            ),
        ));
    }
    status
}

/// Append a group reference of a users file to `groups` (unless there already, or its name is empty):
/// its provider is its `providerType`, else the groups export's for its id or name, else IdP.
fn add_group_ref(
    groups: &mut Vec<Group>,
    id: Option<&str>,
    name: String,
    provider_type: Option<&str>,
    catalog: &GroupCatalog,
) {
    if name.is_empty() {
        return;
    }
    let provider = provider_of(provider_type)
        .or_else(|| catalog.classify(id, &name))
        .unwrap_or(Provider::Idp);
    let g = Group { name, provider };
    if !groups.contains(&g) {
        groups.push(g);
    }
}

#[allow(clippy::too_many_arguments)]
fn user_from_raw(
    raw: RawUser,
    index: usize,
    catalog: &GroupCatalog,
    src: SourceId,
    text: &str,
    what: &str,
    diags: &mut Vec<Diagnostic>,
) -> Option<User> {
    let subject = raw.subject.filter(|s| !s.trim().is_empty());
    let Some(subject) = subject else {
        // Locate the user by its id or name when we can.
        let needle = raw
            .id
            .as_deref()
            .or(raw.email.as_deref())
            .or(raw.name.as_deref());
        let at = needle
            .and_then(|n| text.find(&format!("\"{n}\"")))
            .unwrap_or(0);
        let end = (at + 1).min(text.len()).max(at);
        diags.push(
            Diagnostic::error(
                codes::DIRECTORY_MALFORMED,
                format!("{what}: user #{} has no `subject`", index + 1),
            )
            .at(src, Span::new(at, end), "this user"),
        );
        return None;
    };
    let refs = raw
        .assigned_groups
        .unwrap_or_default()
        .into_iter()
        .chain(raw.groups.unwrap_or_default())
        .map(|item| match item {
            RawGroupItem::Name(n) => (None, n, None),
            RawGroupItem::Ref(r) => (r.id, r.name.unwrap_or_default(), r.provider_type),
        });
    Some(
        UserFields {
            id: raw.id,
            subject,
            email: raw.email,
            name: raw.name,
            status: raw.status.as_deref(),
            idp_groups: raw.idp_groups.unwrap_or_default(),
            custom_groups: raw.custom_groups.unwrap_or_default(),
            refs,
        }
        .into_user(catalog, what, diags),
    )
}

/// One user of a users file as a reader found it, before it becomes a [`User`]: the conversion every
/// reader of users files shares (the JSON shapes here, and `tenant::identity`, which takes the users of
/// the tenant exports already read), so that they give the same identity and diagnostics.
pub struct UserFields<'a, R> {
    /// The user's id; `None` or empty: the subject is the key.
    pub id: Option<String>,
    /// Not blank: a reader reports a user without one (an error) and makes no [`User`] of it.
    pub subject: String,
    pub email: Option<String>,
    pub name: Option<String>,
    /// As written; missing or blank: active ([`parse_status`], which warns about an unknown one).
    pub status: Option<&'a str>,
    /// The simple format's `idp_groups` and `custom_groups`.
    pub idp_groups: Vec<String>,
    pub custom_groups: Vec<String>,
    /// Group references in order (`assignedGroups`, then the legacy `groups`): id, name, providerType.
    pub refs: R,
}

impl<R, I, P> UserFields<'_, R>
where
    R: IntoIterator<Item = (Option<I>, String, Option<P>)>,
    I: AsRef<str>,
    P: AsRef<str>,
{
    /// The user Section Access evaluates (`what` names the file in the status warning): groups are
    /// the IdP groups, the custom groups, then each reference once ([`add_group_ref`]).
    pub fn into_user(
        self,
        catalog: &GroupCatalog,
        what: &str,
        diags: &mut Vec<Diagnostic>,
    ) -> User {
        let status = parse_status(self.status, &self.subject, what, diags);
        let mut groups = Vec::with_capacity(self.idp_groups.len() + self.custom_groups.len());
        for (names, provider) in [
            (self.idp_groups, Provider::Idp),
            (self.custom_groups, Provider::Custom),
        ] {
            groups.extend(names.into_iter().map(|name| Group { name, provider }));
        }
        for (id, name, pt) in self.refs {
            add_group_ref(
                &mut groups,
                id.as_ref().map(AsRef::as_ref),
                name,
                pt.as_ref().map(AsRef::as_ref),
                catalog,
            );
        }
        let key = self
            .id
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| self.subject.clone());
        User {
            key,
            subject: Some(self.subject),
            email: self.email.filter(|e| !e.trim().is_empty()),
            name: self.name,
            status,
            groups,
        }
    }
}

fn split_groups(s: &str) -> Vec<String> {
    s.split(';')
        .map(|g| g.trim())
        .filter(|g| !g.is_empty())
        .map(str::to_string)
        .collect()
}

fn load_users_csv(
    src: SourceId,
    text: &str,
    dir: &mut Directory,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = match rdr.headers() {
        Ok(h) => h
            .iter()
            .map(|s| s.trim().to_ascii_lowercase())
            .collect::<Vec<_>>(),
        Err(e) => {
            diags.push(located(
                codes::DIRECTORY_MALFORMED,
                src,
                text,
                1,
                1,
                format!("directory CSV: {e}"),
            ));
            return false;
        }
    };
    // A column named twice: which one holds the value is ambiguous.
    if let Some((i, h)) = headers
        .iter()
        .enumerate()
        .find(|(i, h)| !h.is_empty() && headers[..*i].contains(h))
    {
        diags.push(located(
            codes::DIRECTORY_MALFORMED,
            src,
            text,
            1,
            1,
            format!(
                "directory CSV: the header names column `{h}` twice (column {})",
                i + 1
            ),
        ));
        return false;
    }
    let col = |name: &str| headers.iter().position(|h| h == name);
    let Some(c_subject) = col("subject") else {
        diags.push(located(
            codes::DIRECTORY_MALFORMED,
            src,
            text,
            1,
            1,
            "directory CSV: the header must name the columns subject,email,name,idp_groups,custom_groups".into(),
        ));
        return false;
    };
    let (c_email, c_name, c_idp, c_custom, c_status) = (
        col("email"),
        col("name"),
        col("idp_groups"),
        col("custom_groups"),
        col("status"),
    );
    let mut ok = true;
    for rec in rdr.records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
                diags.push(located(
                    codes::DIRECTORY_MALFORMED,
                    src,
                    text,
                    line,
                    1,
                    format!("directory CSV: {e}"),
                ));
                ok = false;
                continue;
            }
        };
        // No directory value spans lines: one that does is a quote never closed (the CSV reader then
        // takes the rest of the file as that value, and the users below it are lost).
        if let Some(i) = rec.iter().position(|v| v.contains(['\n', '\r'])) {
            let line = rec.position().map(|p| p.line() as usize).unwrap_or(1);
            let column = headers.get(i).map(String::as_str).unwrap_or("?");
            diags.push(located(
                codes::DIRECTORY_MALFORMED,
                src,
                text,
                line,
                1,
                format!(
                    "directory CSV: the `{column}` value of the record at line {line} spans lines (a quote \
                     never closed?)"
                ),
            ));
            ok = false;
            continue;
        }
        let line = rec.position().map(|p| p.line() as usize).unwrap_or(1);
        let get = |c: Option<usize>| c.and_then(|i| rec.get(i)).unwrap_or("").to_string();
        let subject = get(Some(c_subject));
        if subject.is_empty() {
            if rec.iter().all(|f| f.is_empty()) {
                continue;
            }
            diags.push(located(
                codes::DIRECTORY_MALFORMED,
                src,
                text,
                line,
                1,
                "directory CSV: a row without `subject`".into(),
            ));
            ok = false;
            continue;
        }
        let mut u = User::new(subject);
        u.email = Some(get(c_email)).filter(|e| !e.is_empty());
        u.name = Some(get(c_name)).filter(|e| !e.is_empty());
        u.status = Status::parse(&get(c_status));
        for g in split_groups(&get(c_idp)) {
            u.groups.push(Group {
                name: g,
                provider: Provider::Idp,
            });
        }
        for g in split_groups(&get(c_custom)) {
            u.groups.push(Group {
                name: g,
                provider: Provider::Custom,
            });
        }
        dir.push(u, diags);
    }
    ok
}

/// Load a groups export (`qlik group ls --json` array, or `{"data": [...]}` pages) into `catalog`.
pub fn load_groups_file(
    path: &Path,
    catalog: &mut GroupCatalog,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> bool {
    let Some((src, text, json_error)) = load_text(path, sources, diags) else {
        return false;
    };
    let what = format!("groups file `{}`", path.display());
    if json_error.is_some() {
        return refuse_text(src, &text, &what, json_error, diags);
    }
    let Some(docs) = json_documents(src, &text, &what, diags) else {
        return false;
    };
    for doc in docs {
        let groups: Vec<RawGroup> = match shape(&doc, "groups") {
            Shape::Array => match typed::<Vec<RawGroup>>(doc, src, &text, &what, diags) {
                Some(v) => v,
                None => return false,
            },
            Shape::Page => match typed::<RawPage<RawGroup>>(doc, src, &text, &what, diags) {
                Some(v) => v.data,
                None => return false,
            },
            _ => {
                diags.push(located(
                    codes::DIRECTORY_MALFORMED,
                    src,
                    &text,
                    1,
                    1,
                    format!(
                        "{what}: expected an array of groups or a groups page {{\"data\": [...]}}"
                    ),
                ));
                return false;
            }
        };
        for g in groups {
            catalog.add(g.id, g.name, g.provider_type.as_deref());
        }
    }
    true
}

/// Load every `--groups` then `--directory` file, then the command-line user. Returns the directory, the
/// group catalog and whether all files were well-formed.
pub fn load(
    directory_files: &[std::path::PathBuf],
    group_files: &[std::path::PathBuf],
    cli_user: Option<User>,
    sources: &mut SourceMap,
    diags: &mut Vec<Diagnostic>,
) -> (Directory, GroupCatalog, bool) {
    let mut catalog = GroupCatalog::default();
    let mut ok = true;
    for g in group_files {
        ok &= load_groups_file(g, &mut catalog, sources, diags);
    }
    let mut dir = Directory::default();
    for f in directory_files {
        let before = dir.offered;
        let read = load_users_file(f, &catalog, &mut dir, sources, diags);
        // An empty users export is what a failed or unauthorised `qlik user ls` writes: evaluating
        // nobody from it would pass every check.
        let empty = read && dir.offered == before;
        if empty {
            diags.push(Diagnostic::error(
                codes::DIRECTORY_MALFORMED,
                format!(
                    "users file `{}` lists no users: an empty export is what a failed `qlik user ls` writes; refusing to report on nobody",
                    f.display()
                ),
            ));
        }
        ok &= read && !empty;
    }
    if let Some(u) = cli_user {
        dir.push(u, diags);
    }
    (dir, catalog, ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A quote never closed makes the CSV reader take the rest of the file as one value (and lose the
    /// users below): a value spanning lines is refused, with its line.
    #[test]
    fn csv_value_spanning_lines_is_refused() {
        let text = "subject,email,name\nALICE,a@x.org,\"Alice\nBOB,b@x.org,Bob\n";
        let mut dir = Directory::default();
        let mut diags = Vec::new();
        assert!(!load_users_csv(SourceId(0), text, &mut dir, &mut diags));
        let m = &diags[0].message;
        assert!(
            m.contains("`name` value of the record at line 2 spans lines"),
            "{m}"
        );
        let ok = "subject,email,name\nALICE,a@x.org,\"Alice, A.\"\nBOB,b@x.org,Bob\n";
        let mut dir = Directory::default();
        let mut diags = Vec::new();
        assert!(load_users_csv(SourceId(0), ok, &mut dir, &mut diags));
        assert_eq!(dir.users.len(), 2);
    }
}
