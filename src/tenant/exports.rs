//! Readers for the `--tenant DIR` folder (tenant.md §1; shapes in tenant-model.md §1–§5).
//!
//! Every file may be a bare array (`qlik … ls`), a `{data, links}` page (`--raw`) or several such
//! documents concatenated (NDJSON included). Unknown fields are ignored; every field the rules do not need
//! is optional. A missing, unreadable or malformed required file is an error diagnostic
//! ([`codes::TENANT_INPUT`]) naming the file and the `qlik` command that writes it, located at line and
//! column for JSON errors. Nothing here prints.

use crate::diag::{codes, Diagnostic, SourceFile, SourceId, SourceMap, Span};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// The id of the system group Everyone ("Anyone at <tenant>") in every tenant (TM §2.3, T3).
pub const EVERYONE_ID: &str = "000000000000000000000001";

/// A role reference on a user or group (`AssignedRole`, TM §1.3).
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct RoleRef {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub level: String,
}

/// A group reference on a user (`AssignedGroup`, TM §1.3).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct GroupRef {
    pub id: String,
    pub name: String,
    #[serde(rename = "providerType")]
    pub provider_type: Option<String>,
    #[serde(rename = "assignedRoles")]
    pub assigned_roles: Option<Vec<RoleRef>>,
}

/// A user of `users.json` (TM §1.2).
#[derive(Clone, Debug, Deserialize)]
pub struct User {
    pub id: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub email: Option<String>,
    /// `active | invited | disabled | deleted | provisioned`; `None` when absent (T7: unknown).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "assignedRoles")]
    pub assigned_roles: Vec<RoleRef>,
    #[serde(default, rename = "assignedGroups")]
    pub assigned_groups: Vec<GroupRef>,
    /// Whether the user has a field of the other users-file shapes (`groups`, `idp_groups`,
    /// `custom_groups`): the tenant rules ignore them, `access::directory` reads them as Section Access
    /// groups (see [`Exports::directory_shaped`]).
    #[serde(default, rename = "groups")]
    pub legacy_groups: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub idp_groups: Option<serde::de::IgnoredAny>,
    #[serde(default)]
    pub custom_groups: Option<serde::de::IgnoredAny>,
}

/// Where a group comes from (TM §2.2; a missing `providerType` is `idp`, TM §1.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Provider {
    Idp,
    Custom,
    System,
}

/// A group of `groups.json` or a system group (TM §2.2).
#[derive(Clone, Debug, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `active` or `disabled` (T6).
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default, rename = "providerType")]
    pub provider_type: Option<String>,
    #[serde(default, rename = "assignedRoles")]
    pub assigned_roles: Vec<RoleRef>,
    /// Only in group settings (`systemGroups.*.enabled`).
    #[serde(default)]
    pub enabled: Option<bool>,
}

impl Group {
    pub fn provider(&self) -> Provider {
        if self.id == EVERYONE_ID {
            return Provider::System;
        }
        match self.provider_type.as_deref().map(str::to_ascii_lowercase) {
            Some(p) if p == "custom" => Provider::Custom,
            Some(p) if p == "system" => Provider::System,
            _ => Provider::Idp,
        }
    }
    /// T6: a disabled group grants nothing.
    pub fn is_disabled(&self) -> bool {
        self.status
            .as_deref()
            .is_some_and(|s| s.eq_ignore_ascii_case("disabled"))
            || self.enabled == Some(false)
    }
}

/// A role of `roles.json` (TM §4.3).
#[derive(Clone, Debug, Deserialize)]
pub struct Role {
    pub id: String,
    pub name: String,
    /// `default` (system roles and `UserDefault`) or `custom`.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `admin` or `user`.
    #[serde(default)]
    pub level: String,
    #[serde(default, rename = "assignedScopes")]
    pub assigned_scopes: Vec<String>,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// `meta` of a space (TM §4.7).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct SpaceMeta {
    #[serde(rename = "assignableRoles")]
    pub assignable_roles: Option<Vec<String>>,
}

/// A space of `spaces.json` (TM §4.7).
#[derive(Clone, Debug, Deserialize)]
pub struct Space {
    pub id: String,
    #[serde(default)]
    pub name: String,
    /// `shared`, `managed` or `data`.
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, rename = "ownerId")]
    pub owner_id: String,
    #[serde(default)]
    pub meta: SpaceMeta,
}

/// A space assignment (TM §4.7): `type` user, group or bot.
#[derive(Clone, Debug, Deserialize)]
pub struct Assignment {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(rename = "assigneeId")]
    pub assignee_id: String,
    #[serde(default)]
    pub roles: Vec<String>,
    /// Filled from the file name (`assignments/<spaceId>.json`) when absent.
    #[serde(default, rename = "spaceId")]
    pub space_id: String,
}

/// A fine-grained app share (TM §4.7): `type` user, group or link.
#[derive(Clone, Debug, Deserialize)]
pub struct Share {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, rename = "assigneeId")]
    pub assignee_id: String,
    #[serde(default, rename = "resourceId")]
    pub resource_id: String,
    #[serde(default, rename = "resourceName")]
    pub resource_name: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default, rename = "spaceId")]
    pub space_id: String,
}

/// `resourceAttributes` of an item.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct ResourceAttributes {
    #[serde(rename = "spaceId")]
    pub space_id: Option<String>,
}

/// An item of `items.json` (`qlik item ls --resourceType app`).
#[derive(Clone, Debug, Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default, rename = "resourceId")]
    pub resource_id: String,
    #[serde(default, rename = "resourceType")]
    pub resource_type: Option<String>,
    #[serde(default, rename = "spaceId")]
    pub space_id: Option<String>,
    #[serde(default, rename = "ownerId")]
    pub owner_id: String,
    #[serde(default, rename = "resourceAttributes")]
    pub resource_attributes: ResourceAttributes,
}

impl Item {
    /// The app's space: `resourceAttributes.spaceId`, else `spaceId`; `None` (empty) = personal space.
    pub fn space(&self) -> Option<&str> {
        let ra = self.resource_attributes.space_id.as_deref();
        let s = match ra {
            Some(s) if !s.is_empty() => s,
            _ => self.space_id.as_deref().unwrap_or(""),
        };
        (!s.is_empty()).then_some(s)
    }
}

/// `oauth-client.json` (`qlik oauth-client get`).
#[derive(Clone, Debug, Deserialize)]
pub struct OAuthClient {
    #[serde(default, rename = "clientId")]
    pub client_id: Option<String>,
    #[serde(default, rename = "clientName")]
    pub client_name: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, rename = "allowedScopes")]
    pub allowed_scopes: Vec<String>,
}

impl OAuthClient {
    /// The name shown in reports: `clientName`, else `name`, else `clientId`.
    pub fn display_name(&self) -> String {
        self.client_name
            .clone()
            .or_else(|| self.name.clone())
            .or_else(|| self.client_id.clone())
            .unwrap_or_default()
    }
}

/// `group-settings.json` (`qlik group settings ls`, TM §2.3).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
struct GroupSettings {
    #[serde(rename = "systemGroups")]
    system_groups: BTreeMap<String, Group>,
}

/// Everything read from `--tenant DIR`.
#[derive(Clone, Debug, Default)]
pub struct Exports {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    /// System groups (Everyone) from `system-groups.json` or `group-settings.json`.
    pub system_groups: Vec<Group>,
    pub roles: Vec<Role>,
    pub spaces: Vec<Space>,
    pub assignments: Vec<Assignment>,
    pub shares: Vec<Share>,
    pub items: Vec<Item>,
    pub oauth_client: Option<OAuthClient>,
    /// Warnings from reading (a user id listed twice: the first is kept, TM §5 rule 5).
    pub warnings: Vec<Diagnostic>,
    /// `users.json` and `groups.json` hold only bare arrays and `{data}` pages (no `users`/`groups` key),
    /// no user id twice: the documents `access::directory` reads as these same items.
    pub directory_shaped: bool,
}

const USERS: (&str, &str) = ("users.json", "qlik user ls --limit 100000");
const GROUPS: (&str, &str) = ("groups.json", "qlik group ls --limit 100000");
const SYSTEM_GROUPS: (&str, &str) = ("system-groups.json", "qlik group ls --systemGroups");
const GROUP_SETTINGS: (&str, &str) = ("group-settings.json", "qlik group settings ls");
const ROLES: (&str, &str) = ("roles.json", "qlik role ls --limit 1000");
const SPACES: (&str, &str) = ("spaces.json", "qlik space ls --limit 100000");
const ITEMS: (&str, &str) = (
    "items.json",
    "qlik item ls --resourceType app --limit 100000",
);
const OAUTH: (&str, &str) = ("oauth-client.json", "qlik oauth-client get <clientId>");
const ASSIGNMENTS_CMD: &str = "for s in $(qlik space ls --limit 100000 -q); do qlik space assignment ls --spaceId \"$s\" --limit 100000 > \"assignments/$s.json\"; done";
const SHARES_CMD: &str = "for s in $(qlik space ls --limit 100000 -q); do qlik space share ls --spaceId \"$s\" --resourceType app --limit 100000 > \"shares/$s.json\"; done";

fn missing(file: &str, command: &str, why: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::error(
        codes::TENANT_INPUT,
        format!("tenant export `{file}` {why}; write it with `{command}`"),
    ))
}

/// Read one file's text into `sources`. `Ok(None)`: the file does not exist.
fn read_text(
    path: &Path,
    file: &str,
    command: &str,
    sources: &mut SourceMap,
) -> Result<Option<(SourceId, std::sync::Arc<str>)>, Box<Diagnostic>> {
    match std::fs::read(path) {
        Ok(bytes) => {
            // JSON text: UTF-8 (or a byte-order mark), not empty; else a located error.
            let (text, error) = crate::json::decode_owned(bytes);
            // One text, shared by the source map and the caller (users.json of 100k users is ~110 MB).
            let text: std::sync::Arc<str> = text.into();
            let id = sources.add(SourceFile::new(
                path.display().to_string(),
                Some(path.to_path_buf()),
                text.clone(),
            ));
            if let Some(e) = error {
                let at = offset_of(&text, e.line, e.column);
                return Err(located(id, &text, at, file, command, e.message));
            }
            Ok(Some((id, text)))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(missing(file, command, &format!("cannot be read ({e})"))),
    }
}

fn located(
    src: SourceId,
    text: &str,
    offset: usize,
    file: &str,
    command: &str,
    msg: String,
) -> Box<Diagnostic> {
    let sf = SourceFile::new("", None, text);
    let (line, col) = sf.line_col(offset);
    let end = (offset + 1).min(text.len()).max(offset);
    Box::new(
        Diagnostic::error(
            codes::TENANT_INPUT,
            format!("tenant export `{file}` line {line} column {col}: {msg}"),
        )
        .at(src, Span::new(offset, end), "here")
        .with_help(format!("write it with `{command}`")),
    )
}

/// Byte offset of 1-based (line, column) of a serde_json error.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut off = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return off + column.saturating_sub(1).min(l.len());
        }
        off += l.len();
    }
    text.len()
}

/// Parse the documents of `text` (one, or several concatenated), each a bare array, a `{data, …}` page,
/// or one object, into items of `T`.
fn parse_items<T: DeserializeOwned + Send>(
    src: SourceId,
    text: &str,
    file: &str,
    command: &str,
) -> Result<Vec<T>, Box<Diagnostic>> {
    parse_items_shaped(src, text, file, command, "").map(|(items, _)| items)
}

/// [`parse_items`], and whether every document was a bare array or a `{data}` page without a `named`
/// key (the shapes `access::directory` reads the same way).
fn parse_items_shaped<T: DeserializeOwned + Send>(
    src: SourceId,
    text: &str,
    file: &str,
    command: &str,
    named: &str,
) -> Result<(Vec<T>, bool), Box<Diagnostic>> {
    // The common shape (`qlik … ls`: one bare array) straight into items, without a JSON tree first
    // (users.json of 100k users). Anything else, or any error, takes the general path, which locates
    // errors.
    if text.trim_start().starts_with('[') {
        if let Some(items) = parse_array_parallel::<T>(text) {
            return Ok((items, true));
        }
    }
    let mut plain = true;
    let mut out = Vec::new();
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<crate::json::Strict>();
    loop {
        // Where the next document starts (after whitespace), for locating shape errors.
        let consumed = stream.byte_offset();
        let start = consumed
            + text
                .get(consumed..)
                .map(|r| r.len() - r.trim_start().len())
                .unwrap_or(0);
        let Some(doc) = stream.next() else { break };
        let doc = doc
            .map_err(|e| {
                let at = offset_of(text, e.line(), e.column());
                located(src, text, at, file, command, format!("not valid JSON: {e}"))
            })?
            .0;
        plain &= match &doc {
            serde_json::Value::Array(_) => true,
            serde_json::Value::Object(m) => m.contains_key("data") && !m.contains_key(named),
            _ => false,
        };
        let list = match doc {
            serde_json::Value::Array(a) => a,
            serde_json::Value::Object(mut m) if m.contains_key("data") => match m.remove("data") {
                Some(serde_json::Value::Array(a)) => a,
                Some(other) => vec![other],
                None => Vec::new(),
            },
            other @ serde_json::Value::Object(_) => vec![other],
            _ => {
                return Err(located(
                    src,
                    text,
                    start,
                    file,
                    command,
                    "expected an array, a {data, links} page or an object".into(),
                ))
            }
        };
        let end = stream.byte_offset();
        for (i, v) in list.into_iter().enumerate() {
            match serde_json::from_value::<T>(v) {
                Ok(t) => out.push(t),
                Err(e) => {
                    let at = start + item_error_offset::<T>(text.get(start..end).unwrap_or(""));
                    return Err(located(
                        src,
                        text,
                        at,
                        file,
                        command,
                        format!("item {}: {e}", i + 1),
                    ));
                }
            }
        }
    }
    Ok((out, plain))
}

/// `text` as one bare JSON array of `T`, its items parsed on all cores; `None` when it is not exactly
/// that (the caller's general path then reads it and locates any error). Same result as
/// `serde_json::from_str::<Vec<T>>`.
fn parse_array_parallel<T: DeserializeOwned + Send>(text: &str) -> Option<Vec<T>> {
    use rayon::prelude::*;
    let spans = array_items(text.as_bytes())?;
    // Small files: one parse, no scan overhead worth splitting.
    if spans.len() < 1024 {
        return serde_json::from_str::<Vec<T>>(text).ok();
    }
    let items: Vec<Option<T>> = spans
        .par_iter()
        .map(|&(a, b)| {
            text.get(a..b)
                .and_then(|item| serde_json::from_str::<T>(item).ok())
        })
        .collect();
    items.into_iter().collect()
}

/// Byte ranges of the items of a top-level JSON array (`[` a `,` b … `]`, whitespace around), found by
/// tracking strings and nesting only; `None` when `bytes` is not one array of non-empty items (the items
/// themselves are validated by the parser).
fn array_items(bytes: &[u8]) -> Option<Vec<(usize, usize)>> {
    let ws = |c: u8| matches!(c, b' ' | b'\t' | b'\n' | b'\r');
    let mut i = bytes.iter().position(|&c| !ws(c))?;
    if bytes[i] != b'[' {
        return None;
    }
    i += 1;
    let mut spans = Vec::new();
    let mut depth = 0usize;
    let mut start = i;
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                // To the closing quote: most of the bytes are inside strings, skipped with memchr.
                i += 1;
                loop {
                    let k = i + memchr::memchr2(b'"', b'\\', bytes.get(i..)?)?;
                    if bytes[k] == b'"' {
                        i = k;
                        break;
                    }
                    i = k + 2; // an escape: `\` and the byte it escapes
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' if depth > 0 => depth -= 1,
            b',' if depth == 0 => {
                spans.push((start, i));
                start = i + 1;
            }
            b']' => {
                // The end of the top-level array: only whitespace may follow.
                if bytes[start..i].iter().any(|&c| !ws(c)) {
                    spans.push((start, i));
                } else if !spans.is_empty() {
                    return None; // a trailing comma
                }
                return bytes[i + 1..].iter().all(|&c| ws(c)).then_some(spans);
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Where in one document (`doc`, its text) the typed parse of its items fails: serde_json values carry no
/// positions, so the document is parsed again in its typed shape (array, page or object). 0 when that
/// parse does not fail.
fn item_error_offset<T: DeserializeOwned + Send>(doc: &str) -> usize {
    #[derive(Deserialize)]
    struct Page<T> {
        #[allow(dead_code)]
        data: Vec<T>,
    }
    let err = if doc.starts_with('[') {
        serde_json::from_str::<Vec<T>>(doc).err()
    } else if serde_json::from_str::<Page<serde_json::Value>>(doc).is_ok() {
        serde_json::from_str::<Page<T>>(doc).err()
    } else {
        serde_json::from_str::<T>(doc).err()
    };
    err.map_or(0, |e| offset_of(doc, e.line(), e.column()))
}

/// A required list file of the tenant folder.
fn required<T: DeserializeOwned + Send>(
    dir: &Path,
    file: (&str, &str),
    sources: &mut SourceMap,
) -> Result<Vec<T>, Box<Diagnostic>> {
    required_shaped(dir, file, sources, "").map(|(items, _)| items)
}

/// [`required`], with [`parse_items_shaped`]'s answer.
fn required_shaped<T: DeserializeOwned + Send>(
    dir: &Path,
    (file, command): (&str, &str),
    sources: &mut SourceMap,
    named: &str,
) -> Result<(Vec<T>, bool), Box<Diagnostic>> {
    match read_text(&dir.join(file), file, command, sources)? {
        Some((src, text)) => parse_items_shaped(src, &text, file, command, named),
        None => Err(missing(file, command, "is missing")),
    }
}

/// `assignments/<spaceId>.json` files or one `assignments.json` (likewise shares).
fn per_space<T: DeserializeOwned + Send>(
    dir: &Path,
    name: &str,
    command: &str,
    sources: &mut SourceMap,
    spaces: &[Space],
    set_space: impl Fn(&mut T, &str),
) -> Result<Vec<T>, Box<Diagnostic>> {
    let one = format!("{name}.json");
    if let Some((src, text)) = read_text(&dir.join(&one), &one, command, sources)? {
        return parse_items(src, &text, &one, command);
    }
    let folder = dir.join(name);
    let entries = match std::fs::read_dir(&folder) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(missing(
                &format!("{name}/<spaceId>.json` (or `{one}"),
                command,
                "is missing",
            ))
        }
        Err(e) => {
            return Err(missing(
                &format!("{name}/"),
                command,
                &format!("cannot be read ({e})"),
            ))
        }
    };
    let mut files: Vec<(String, std::path::PathBuf)> = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| {
            missing(
                &format!("{name}/"),
                command,
                &format!("cannot be read ({e})"),
            )
        })?;
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "json") {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            files.push((stem, path));
        }
    }
    files.sort();
    // The loop writes one file per space of spaces.json (an empty array when it has none): a space
    // without its file is an export cut short, and reading it as "no roles there" would deny its users.
    if let Some(sp) = spaces
        .iter()
        .find(|sp| !files.iter().any(|(stem, _)| *stem == sp.id))
    {
        return Err(missing(
            &format!("{name}/{}.json", sp.id),
            command,
            &format!(
                "is missing (space `{}` of spaces.json has no file; an empty one is `[]`)",
                sp.name
            ),
        ));
    }
    let mut out = Vec::new();
    for (space, path) in files {
        let file = format!("{name}/{space}.json");
        if let Some((src, text)) = read_text(&path, &file, command, sources)? {
            for mut t in parse_items::<T>(src, &text, &file, command)? {
                set_space(&mut t, &space);
                out.push(t);
            }
        }
    }
    Ok(out)
}

/// Read the whole `--tenant DIR` folder (tenant.md §1). The first problem is returned as an error.
pub fn load(dir: &Path, sources: &mut SourceMap) -> Result<Exports, Box<Diagnostic>> {
    if !dir.is_dir() {
        return Err(Box::new(Diagnostic::error(
            codes::TENANT_INPUT,
            format!("--tenant `{}` is not a directory", dir.display()),
        )));
    }
    let mut warnings = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let (mut users, users_plain) = required_shaped::<User>(dir, USERS, sources, "users")?;
    users.retain(|u| {
        let first = seen.insert(u.id.clone());
        if !first {
            warnings.push(Diagnostic::warning(
                codes::DIRECTORY_DUPLICATE,
                format!("users.json lists user id {} twice; the first is kept", u.id),
            ));
        }
        first
    });
    // A tenant has at least its admin: an export without users is what a failed or unauthorised
    // `qlik user ls` writes, and a report on nobody would pass every check.
    if users.is_empty() {
        return Err(missing(
            USERS.0,
            USERS.1,
            "lists no users (a tenant has at least one: was the export made by a user who may list them?)",
        ));
    }
    let directory_shaped = users_plain && warnings.is_empty();
    let (groups, groups_plain) = required_shaped::<Group>(dir, GROUPS, sources, "groups")?;
    let system_groups = match read_text(
        &dir.join(SYSTEM_GROUPS.0),
        SYSTEM_GROUPS.0,
        SYSTEM_GROUPS.1,
        sources,
    )? {
        Some((src, text)) => parse_items::<Group>(src, &text, SYSTEM_GROUPS.0, SYSTEM_GROUPS.1)?,
        None => match read_text(
            &dir.join(GROUP_SETTINGS.0),
            GROUP_SETTINGS.0,
            GROUP_SETTINGS.1,
            sources,
        )? {
            Some((src, text)) => {
                parse_items::<GroupSettings>(src, &text, GROUP_SETTINGS.0, GROUP_SETTINGS.1)?
                    .into_iter()
                    .flat_map(|s| s.system_groups.into_values())
                    .collect()
            }
            None => {
                return Err(missing(
                    &format!("{}` (or `{}", SYSTEM_GROUPS.0, GROUP_SETTINGS.0),
                    &format!("{}` (or `{}", SYSTEM_GROUPS.1, GROUP_SETTINGS.1),
                    "is missing",
                ))
            }
        },
    };
    if !system_groups.iter().any(|g| g.id == EVERYONE_ID) {
        return Err(Box::new(Diagnostic::error(
            codes::TENANT_INPUT,
            format!(
                "the system groups export has no Everyone group (id {EVERYONE_ID}); write it with `{}`",
                SYSTEM_GROUPS.1
            ),
        )));
    }
    let roles = required::<Role>(dir, ROLES, sources)?;
    let spaces = required::<Space>(dir, SPACES, sources)?;
    let assignments = per_space::<Assignment>(
        dir,
        "assignments",
        ASSIGNMENTS_CMD,
        sources,
        &spaces,
        |a, s| {
            if a.space_id.is_empty() {
                a.space_id = s.to_string();
            }
        },
    )?;
    let shares = per_space::<Share>(dir, "shares", SHARES_CMD, sources, &spaces, |a, s| {
        if a.space_id.is_empty() {
            a.space_id = s.to_string();
        }
    })?;
    let items = required::<Item>(dir, ITEMS, sources)?;
    let oauth_client = oauth_client_at(&dir.join(OAUTH.0), OAUTH.0, sources)?;
    Ok(Exports {
        users,
        groups,
        system_groups,
        roles,
        spaces,
        assignments,
        shares,
        items,
        oauth_client,
        warnings,
        directory_shaped: directory_shaped && groups_plain,
    })
}

/// The OAuth client of `oauth-client.json` or `--oauth-client FILE` (`file` names it in messages):
/// `None` when the file is absent or holds an empty array; several clients: an error.
pub fn oauth_client_at(
    path: &Path,
    file: &str,
    sources: &mut SourceMap,
) -> Result<Option<OAuthClient>, Box<Diagnostic>> {
    let Some((src, text)) = read_text(path, file, OAUTH.1, sources)? else {
        return Ok(None);
    };
    let mut clients = parse_items::<OAuthClient>(src, &text, file, OAUTH.1)?;
    match clients.len() {
        0 | 1 => Ok(clients.pop()),
        n => Err(Box::new(Diagnostic::error(
            codes::TENANT_INPUT,
            format!("tenant export `{file}` holds {n} OAuth clients; keep the one to model"),
        ))),
    }
}

/// The app `--app X` names: an item whose `resourceId`, then `id`, then exact `name` is `X` (tenant.md
/// §1). None or several at the first level that matches: an error.
pub fn select_app<'a>(items: &'a [Item], query: &str) -> Result<&'a Item, Box<Diagnostic>> {
    type Key = fn(&Item) -> &str;
    let keys: [(&str, Key); 3] = [
        ("resourceId", |i| i.resource_id.as_str()),
        ("id", |i| i.id.as_str()),
        ("name", |i| i.name.as_str()),
    ];
    for (what, key) in keys {
        let found: Vec<&Item> = items.iter().filter(|i| key(i) == query).collect();
        match found.as_slice() {
            [] => continue,
            [one] => return Ok(one),
            many => {
                let mut ids: Vec<&str> = many.iter().map(|i| i.resource_id.as_str()).collect();
                ids.sort();
                return Err(Box::new(Diagnostic::error(
                    codes::TENANT_APP,
                    format!(
                        "--app `{query}` matches {} apps by {what} in items.json ({}); name one by its resourceId",
                        many.len(),
                        ids.join(", ")
                    ),
                )));
            }
        }
    }
    Err(Box::new(Diagnostic::error(
        codes::TENANT_APP,
        format!("--app `{query}` matches no app of items.json by resourceId, id or name"),
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every space of spaces.json needs its `assignments/<spaceId>.json` (the export loop writes one per
    /// space): a missing one is refused, naming it and the space.
    #[test]
    fn a_space_without_its_assignments_file_is_refused() {
        let root =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/malformed/tenant");
        let mut sources = SourceMap::default();
        let e = load(&root.join("assignments_of_space_missing"), &mut sources)
            .err()
            .map(|d| d.message)
            .unwrap_or_default();
        assert!(
            e.contains("assignments/66f0000000000000000055aa.json") && e.contains("space `Fin`"),
            "{e}"
        );
        let mut sources = SourceMap::default();
        assert!(load(&root.join("users_json_lines"), &mut sources).is_ok());
    }

    #[test]
    fn array_items_splits_top_level_items_only() {
        let text = r#" [ {"a": [1, {"b": "x,]}\"y"}]}, "s,[", 3 ,{} ] "#;
        let spans = array_items(text.as_bytes()).unwrap_or_default();
        let items: Vec<&str> = spans.iter().map(|&(a, b)| text[a..b].trim()).collect();
        assert_eq!(
            items,
            [r#"{"a": [1, {"b": "x,]}\"y"}]}"#, r#""s,[""#, "3", "{}"]
        );
        assert_eq!(array_items(b"[]"), Some(vec![]));
        assert_eq!(array_items(b" [ ] \n"), Some(vec![]));
        // An escaped backslash ends before the quote that closes the string.
        let text = r#"["a\\", "b\"", 1]"#;
        let spans = array_items(text.as_bytes()).unwrap_or_default();
        let items: Vec<&str> = spans.iter().map(|&(a, b)| text[a..b].trim()).collect();
        assert_eq!(items, [r#""a\\""#, r#""b\"""#, "1"]);
        for bad in [
            "[1,]",
            "[1] 2",
            "{}",
            "[1",
            "",
            "[\"]",
            r#"["a\"#,
            r#"["a\\\"]"#,
        ] {
            assert_eq!(array_items(bad.as_bytes()), None, "{bad}");
        }
    }

    // Many items: parsed on all cores, equal to one serde_json parse; a bad item: None (the general path
    // then locates the error).
    #[test]
    fn parallel_parse_equals_serde() {
        let items: Vec<String> = (0..3000)
            .map(|i| format!(r#"{{"id": "g{i}", "name": "n,{i}]", "status": "active"}}"#))
            .collect();
        let text = format!("[\n{}\n]\n", items.join(",\n"));
        let fast = parse_array_parallel::<Group>(&text).unwrap_or_default();
        let slow: Vec<Group> = serde_json::from_str(&text).unwrap_or_default();
        assert_eq!(fast.len(), 3000);
        assert!(fast
            .iter()
            .zip(&slow)
            .all(|(a, b)| a.id == b.id && a.name == b.name));
        let broken = text.replacen("\"g7\"", "7", 1);
        assert!(parse_array_parallel::<Group>(&broken).is_none());
    }
}
