//! `qsa report --format html`: one self-contained page (no network: inline CSS and vanilla JS, data
//! embedded once as JSON) that a manager can open: a header with counts, the users × tables matrix with
//! kept/total bars, a filter box, sortable columns, per-user details (access and reason, selections,
//! omitted fields, [dec] rules, the security rows that applied with their script lines), a group view and
//! the diagnostics.
//!
//! Untrusted text (user ids, e-mails, group names, cell values, messages) never becomes markup: the page
//! text is escaped here, the data goes into a `<script type="application/json">` block with `<`, `>` and
//! `&` written as `\u003c` … (so no value can close the block), and the script renders it with
//! `textContent` only. A Content-Security-Policy allows no network access and runs only the page's own
//! script (by its SHA-256), so even a value that escaped would not execute.
//!
//! Practical at 100k users: what users share is written once (the per-profile access, reason, selections,
//! omitted fields, rows kept, and the applied security rows; each security row once), users are compact
//! arrays, and the script renders 500 matching rows at a time ("show more").
//!
//! Deterministic: users sorted by id, profiles and groups numbered in that order, no timestamps.

use crate::access::directory::{Provider, User};
use crate::access::model::Grant;
use crate::access::{GroupMode, Target};
use crate::diag::{Diagnostic, SourceMap};
use crate::reduce::{AppliedProfiles, GroupGrant, Prepared, UserResult};
use serde_json::{json, Value as J};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

mod tenant;

/// The page's style sheet.
const STYLE: &str = include_str!("html/style.css");
/// The page's script (vanilla JS; reads the JSON block, renders everything else).
const SCRIPT: &str = include_str!("html/app.js");

/// What the HTML report shows.
pub struct HtmlInput<'a> {
    /// The script's file name (no folders: the page is the same on every machine).
    pub script: &'a str,
    pub target: Target,
    pub mode: GroupMode,
    /// The evaluated run (security tables, row origins).
    pub prepared: &'a Prepared<'a>,
    /// The users as evaluated, and their results, in the same order.
    pub users: &'a [User],
    pub results: &'a [UserResult],
    /// `prepared.applied_profiles(users)`.
    pub applied: &'a AppliedProfiles,
    /// `prepared.group_grants()`.
    pub groups: &'a [GroupGrant],
    /// Run and report diagnostics (each user's are added).
    pub diagnostics: &'a [Diagnostic],
    pub sources: &'a SourceMap,
    /// With `--tenant`: the tenant tier of every user, aligned with `results` (tenant.md §3).
    pub tenant: Option<&'a crate::report::users::TenantView<'a>>,
    /// With `--tenant`: each user's Section Access reduction and omitted fields before the tenant's
    /// denial emptied them (T15), aligned with `results`; may be empty.
    pub sa_alone: &'a [SectionAccessAlone],
}

/// A user's reduction and omitted fields under Section Access alone.
pub type SectionAccessAlone = (
    std::sync::Arc<BTreeMap<String, Option<Vec<String>>>>,
    Vec<String>,
);

/// Text for HTML element content and attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// JSON text made safe inside a `<script>` element: `<`, `>`, `&` and the JavaScript line terminators
/// as `\u` escapes (they only occur inside JSON strings, where the escape means the same character).
fn script_json(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 64);
    let mut last = 0;
    for (i, c) in s.char_indices() {
        let esc = match c {
            '<' => "\\u003c",
            '>' => "\\u003e",
            '&' => "\\u0026",
            '\u{2028}' => "\\u2028",
            '\u{2029}' => "\\u2029",
            _ => continue,
        };
        out.push_str(&s[last..i]);
        out.push_str(esc);
        last = i + c.len_utf8();
    }
    out.push_str(&s[last..]);
    out
}

/// The Content-Security-Policy `script-src` source of the page's script: `'sha256-…'`.
fn script_hash() -> String {
    use base64::Engine as _;
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(SCRIPT.as_bytes());
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(digest)
    )
}

fn grant_json(g: &Grant) -> J {
    let access = match (g.admin, g.user) {
        (true, _) => J::from("ADMIN"),
        (false, true) => J::from("USER"),
        (false, false) => J::Null,
    };
    let reduction: Vec<J> = g
        .allowed
        .iter()
        .map(|(f, vals)| json!([f, vals.iter().collect::<Vec<_>>()]))
        .collect();
    json!({ "access": access, "reduction": reduction, "omit": g.omit.iter().collect::<Vec<_>>() })
}

/// Security rows referenced by profiles or groups, numbered in (table, row) order.
struct Rows {
    index: HashMap<(usize, u32), usize>,
    list: Vec<(usize, u32)>,
}

impl Rows {
    fn collect<'a>(
        sets: impl Iterator<Item = &'a Vec<Option<Vec<u32>>>>,
        table_rows: &[usize],
    ) -> Rows {
        let mut all: BTreeSet<(usize, u32)> = BTreeSet::new();
        let mut whole: BTreeSet<usize> = BTreeSet::new();
        for set in sets {
            for (t, rows) in set.iter().enumerate() {
                match rows {
                    None => {
                        whole.insert(t);
                    }
                    Some(rs) => all.extend(rs.iter().map(|&r| (t, r))),
                }
            }
        }
        for t in whole {
            let n = table_rows.get(t).copied().unwrap_or(0);
            all.extend((0..n).map(|r| (t, r as u32)));
        }
        let list: Vec<(usize, u32)> = all.into_iter().collect();
        let index = list.iter().enumerate().map(|(i, &k)| (k, i)).collect();
        Rows { index, list }
    }

    /// The row numbers of one set (per table; `None` = the whole table).
    fn of(&self, set: &[Option<Vec<u32>>], table_rows: &[usize]) -> Vec<usize> {
        let mut out = vec![];
        for (t, rows) in set.iter().enumerate() {
            match rows {
                None => {
                    let n = table_rows.get(t).copied().unwrap_or(0);
                    out.extend((0..n).filter_map(|r| self.index.get(&(t, r as u32)).copied()));
                }
                Some(rs) => out.extend(rs.iter().filter_map(|&r| self.index.get(&(t, r)).copied())),
            }
        }
        out
    }
}

/// Per-user groups and the group list: every GROUP value of the security tables and every group a user
/// holds (upper-cased, as GROUP compares them, I3), sorted.
struct Groups {
    /// (value, spellings as held, e.g. `Finance (IdP)`)
    list: Vec<(String, BTreeSet<String>)>,
    /// Per user: group numbers; a group the user holds that does not count under the group mode (S7,
    /// I6) as `-(n + 1)`.
    of_user: Vec<Vec<i64>>,
}

impl Groups {
    fn collect(input: &HtmlInput<'_>) -> Groups {
        let mut names: BTreeMap<String, BTreeSet<String>> = input
            .groups
            .iter()
            .map(|g| (g.value.clone(), BTreeSet::new()))
            .collect();
        for u in input.users {
            for g in &u.groups {
                let provider = match g.provider {
                    Provider::Idp => "IdP",
                    Provider::Custom => "custom",
                };
                names
                    .entry(g.name.to_uppercase())
                    .or_default()
                    .insert(format!("{} ({provider})", g.name));
            }
        }
        let number: HashMap<&str, usize> = names
            .keys()
            .enumerate()
            .map(|(i, k)| (k.as_str(), i))
            .collect();
        let of_user = input
            .users
            .iter()
            .map(|u| {
                let held = u.held_groups(input.target, input.mode);
                let mut refs: Vec<i64> = u
                    .groups
                    .iter()
                    .filter_map(|g| {
                        let n = *number.get(g.name.to_uppercase().as_str())? as i64;
                        Some(if held.contains(&g) { n } else { -(n + 1) })
                    })
                    .collect();
                refs.sort_by_key(|&n| (if n < 0 { -(n + 1) } else { n }, n < 0));
                refs.dedup_by_key(|n| if *n < 0 { -(*n + 1) } else { *n });
                refs
            })
            .collect();
        Groups {
            list: names.into_iter().collect(),
            of_user,
        }
    }
}

/// What the users of one profile share, as the page shows it.
#[derive(PartialEq, Eq, Hash)]
struct ProfileKey<'a> {
    applied: Option<usize>,
    access: &'static str,
    reason: Option<&'a str>,
    omitted: &'a [String],
    reduction: &'a BTreeMap<String, Option<Vec<String>>>,
    tables: &'a BTreeMap<String, crate::reduce::TableCount>,
}

/// A profile as the page reads it: access, denied reason, selections (numbers into `selections`),
/// omitted fields, rows kept per app table (in `tables` order), applied security rows (into `rows`).
type ProfileJson<'a> = (
    &'static str,
    Option<&'a str>,
    Vec<usize>,
    &'a [String],
    Vec<Option<usize>>,
    Vec<usize>,
);

/// A user as the page reads it: id, e-mail, name, profile, [dec] rule set (into `rule_sets`), groups.
type UserJson<'a> = (
    &'a str,
    Option<&'a str>,
    Option<&'a str>,
    usize,
    usize,
    &'a [i64],
);

/// The users' rows of the page, with what they share numbered once: profiles, selections, rule sets.
#[derive(Default)]
struct Shared<'a> {
    profiles: Vec<ProfileJson<'a>>,
    selections: Vec<(&'a str, &'a Option<Vec<String>>)>,
    rule_sets: Vec<String>,
    users: Vec<UserJson<'a>>,
}

impl<'a> Shared<'a> {
    fn collect(
        input: &HtmlInput<'a>,
        order: &[usize],
        app_names: &[&str],
        applied_rows: &[Vec<usize>],
        groups: &'a Groups,
    ) -> Shared<'a> {
        let mut out = Shared::default();
        // Users of one evaluated profile share its Arcs: look those up first, the content only once.
        type Fast<'k> = (Option<usize>, usize, usize, Option<&'k str>, &'k [String]);
        let mut by_ptr: HashMap<Fast<'a>, usize> = HashMap::new();
        let mut by_content: HashMap<ProfileKey<'a>, usize> = HashMap::new();
        let mut selection_of: HashMap<(&str, &Option<Vec<String>>), usize> = HashMap::new();
        let mut rule_set_of: HashMap<&[&str], usize> = HashMap::new();
        for &i in order {
            let Some(u) = input.results.get(i) else {
                continue;
            };
            let applied = input.applied.of_user.get(i).copied().flatten();
            let fast = (
                applied,
                std::sync::Arc::as_ptr(&u.reduction) as usize,
                std::sync::Arc::as_ptr(&u.tables) as usize,
                u.denied_reason.as_deref(),
                u.omitted_fields.as_slice(),
            );
            let p = match by_ptr.get(&fast) {
                Some(&p) => p,
                None => {
                    let key = ProfileKey {
                        applied,
                        access: u.access.as_str(),
                        reason: u.denied_reason.as_deref(),
                        omitted: &u.omitted_fields,
                        reduction: &u.reduction,
                        tables: &u.tables,
                    };
                    let next = out.profiles.len();
                    let p = *by_content.entry(key).or_insert(next);
                    if p == next {
                        let sels = u
                            .reduction
                            .iter()
                            .map(|(f, v)| {
                                let n = out.selections.len();
                                let s = *selection_of.entry((f.as_str(), v)).or_insert(n);
                                if s == n {
                                    out.selections.push((f.as_str(), v));
                                }
                                s
                            })
                            .collect();
                        let kept = app_names
                            .iter()
                            .map(|t| u.tables.get(*t).map(|c| c.rows))
                            .collect();
                        let rows = applied.and_then(|a| applied_rows.get(a));
                        out.profiles.push((
                            u.access.as_str(),
                            u.denied_reason.as_deref(),
                            sels,
                            &u.omitted_fields,
                            kept,
                            rows.cloned().unwrap_or_default(),
                        ));
                    }
                    by_ptr.insert(fast, p);
                    p
                }
            };
            let next = out.rule_sets.len();
            let r = *rule_set_of.entry(&u.rules).or_insert(next);
            if r == next {
                out.rule_sets.push(u.rules.join(" "));
            }
            let user_groups = groups.of_user.get(i).map(Vec::as_slice).unwrap_or(&[]);
            out.users.push((
                &u.id,
                u.email.as_deref(),
                u.name.as_deref(),
                p,
                r,
                user_groups,
            ));
        }
        out
    }
}

/// The page's data: everything the script renders.
fn page_data(input: &HtmlInput<'_>, order: &[usize]) -> String {
    let run = input.prepared.run;
    let sec_tables = &run.security.tables;
    let table_rows: Vec<usize> = sec_tables.iter().map(|t| t.row_count()).collect();
    let rows = Rows::collect(
        input
            .applied
            .profiles
            .iter()
            .chain(input.groups.iter().map(|g| &g.rows)),
        &table_rows,
    );
    let rows_json: Vec<J> = rows
        .list
        .iter()
        .filter_map(|&(t, r)| {
            let a = input.prepared.security_row(t, r as usize)?;
            let at = crate::reduce::origin_text(run, a.origin.as_ref());
            let cells: Vec<&str> = a.cells.iter().map(|(_, v)| v.as_str()).collect();
            Some(json!([t, r + 1, at, cells]))
        })
        .collect();
    let sec_json: Vec<J> = sec_tables
        .iter()
        .map(|t| json!({ "name": t.name, "fields": t.fields }))
        .collect();
    // App tables: every table any user has a count for (all users have all, in name order).
    let mut app: BTreeMap<&str, usize> = BTreeMap::new();
    for u in input.results {
        for (name, c) in u.tables.iter() {
            app.entry(name.as_str()).or_insert(c.total_rows);
        }
    }
    let app_names: Vec<&str> = app.keys().copied().collect();
    let applied_rows: Vec<Vec<usize>> = input
        .applied
        .profiles
        .iter()
        .map(|p| rows.of(p, &table_rows))
        .collect();
    let groups = Groups::collect(input);
    let shared = Shared::collect(input, order, &app_names, &applied_rows, &groups);
    let grants: HashMap<&str, &GroupGrant> =
        input.groups.iter().map(|g| (g.value.as_str(), g)).collect();
    let groups_json: Vec<J> = groups
        .list
        .iter()
        .map(|(value, spellings)| {
            let g = grants.get(value.as_str());
            json!({
                "value": value,
                "names": spellings.iter().collect::<Vec<_>>(),
                "rows": g.map(|g| rows.of(&g.rows, &table_rows)).unwrap_or_default(),
                "grant": g.map(|g| grant_json(&g.grant)),
            })
        })
        .collect();
    let diags: Vec<J> = crate::report::users::all_diagnostics(input.results, input.diagnostics)
        .iter()
        .map(|d| {
            let at = match crate::report::users::location(d, input.sources) {
                (Some(f), Some(l), Some(c)) => format!("{f}:{l}:{c}"),
                _ => String::new(),
            };
            json!([d.severity.to_string(), d.code, d.message, at])
        })
        .collect();
    let mut rule_ids: BTreeSet<&str> = BTreeSet::new();
    for u in input.results {
        rule_ids.extend(u.rules.iter().copied());
    }
    let rules: serde_json::Map<String, J> = rule_ids
        .into_iter()
        .map(|r| (r.to_string(), J::from(crate::report::users::rule_text(r))))
        .collect();
    #[derive(serde::Serialize)]
    struct Page<'a> {
        target: &'static str,
        group_mode: u8,
        tables: Vec<&'a str>,
        totals: Vec<usize>,
        security_tables: Vec<J>,
        rows: Vec<J>,
        selections: &'a [(&'a str, &'a Option<Vec<String>>)],
        profiles: &'a [ProfileJson<'a>],
        rule_sets: &'a [String],
        users: &'a [UserJson<'a>],
        groups: Vec<J>,
        diagnostics: Vec<J>,
        rules: serde_json::Map<String, J>,
        #[serde(skip_serializing_if = "Option::is_none")]
        tenant: Option<tenant::TenantPage>,
    }
    let page = Page {
        target: input.target.as_str(),
        group_mode: input.mode.number(),
        tables: app_names.clone(),
        totals: app.values().copied().collect(),
        security_tables: sec_json,
        rows: rows_json,
        selections: &shared.selections,
        profiles: &shared.profiles,
        rule_sets: &shared.rule_sets,
        users: &shared.users,
        groups: groups_json,
        diagnostics: diags,
        rules,
        tenant: input.tenant.map(|t| tenant::page(t, input.sa_alone, order)),
    };
    serde_json::to_string(&page).unwrap_or_else(|_| "null".into())
}

/// Users in report order (by id, then e-mail), as indices into `results`.
fn report_order(results: &[UserResult]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..results.len()).collect();
    order.sort_by(|&a, &b| {
        let (a, b) = (&results[a], &results[b]);
        a.id.cmp(&b.id).then_with(|| a.email.cmp(&b.email))
    });
    order
}

/// `1234567` as `1,234,567`.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The header's chips of a `--tenant` report: the app, its space type, the OAuth client.
fn tenant_chips(s: &crate::tenant::TenantSummary) -> String {
    let mut out = format!(
        "<span class=\"chip\">app <b id=\"tenant-app\">{}</b> · <b id=\"tenant-space\">{}</b></span>",
        esc(&s.app.name),
        s.app.space_type.as_str()
    );
    if let Some(c) = &s.oauth_client {
        let _ = write!(
            out,
            "<span class=\"chip\">OAuth client <b id=\"tenant-oauth\">{}</b></span>",
            esc(c)
        );
    }
    out
}

/// `qsa report --format html`.
pub fn render_html(input: &HtmlInput<'_>) -> String {
    let order = report_order(input.results);
    let data = script_json(&page_data(input, &order));
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for u in input.results {
        *counts.entry(u.access.as_str()).or_default() += 1;
    }
    let count = |a: &str| counts.get(a).copied().unwrap_or(0);
    let diags = crate::report::users::all_diagnostics(input.results, input.diagnostics);
    let severity = |s: crate::diag::Severity| diags.iter().filter(|d| d.severity == s).count();
    let csp = format!(
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src {}",
        script_hash()
    );
    let title = format!("qsa report · {}", input.script);
    let mut out = String::with_capacity(data.len() + STYLE.len() + SCRIPT.len() + 4096);
    out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    let _ = writeln!(
        out,
        "<meta http-equiv=\"Content-Security-Policy\" content=\"{}\">",
        esc(&csp)
    );
    out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(out, "<title>{}</title>", esc(&title));
    let _ = writeln!(out, "<style>\n{STYLE}</style>\n</head>\n<body>");
    let _ = writeln!(
        out,
        "<header class=\"top\">\n<div class=\"brand\"><span class=\"logo\">qsa</span><div><h1>Section Access report</h1><p class=\"script\" id=\"script-name\">{}</p></div></div>",
        esc(input.script)
    );
    let tenant_chips = input
        .tenant
        .map(|t| tenant_chips(t.summary))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "<div class=\"meta\">{tenant_chips}<span class=\"chip\">target <b id=\"target\">{}</b></span><span class=\"chip\">group mode <b id=\"group-mode\">{}</b></span></div>\n</header>",
        esc(input.target.as_str()),
        input.mode.number()
    );
    out.push_str("<main>\n<section class=\"cards\" id=\"summary\">\n");
    let card = |out: &mut String, class: &str, label: &str, n: usize| {
        let _ = writeln!(
            out,
            "<div class=\"card {class}\"><div class=\"n\" id=\"count-{class}\">{}</div><div class=\"label\">{label}</div></div>",
            thousands(n)
        );
    };
    card(&mut out, "users", "users", input.results.len());
    card(&mut out, "admin", "ADMIN", count("ADMIN"));
    card(&mut out, "user", "USER", count("USER"));
    card(&mut out, "denied", "DENIED", count("DENIED"));
    let _ = writeln!(
        out,
        "<div class=\"card diag\"><div class=\"n\" id=\"count-diagnostics\">{}</div><div class=\"label\">diagnostics: {} errors, {} warnings, {} info</div></div>",
        thousands(diags.len()),
        thousands(severity(crate::diag::Severity::Error)),
        thousands(severity(crate::diag::Severity::Warning)),
        thousands(severity(crate::diag::Severity::Info))
    );
    out.push_str("</section>\n");
    out.push_str(concat!(
        "<section class=\"panel\" id=\"users-panel\">\n",
        "<div class=\"panel-head\"><h2>Who sees what</h2>",
        "<input id=\"filter\" type=\"search\" autocomplete=\"off\" spellcheck=\"false\" ",
        "placeholder=\"Filter: id, e-mail, group, access (e.g. access:denied group:finance)\" aria-label=\"Filter users\">",
        "<span id=\"shown\" class=\"muted\"></span></div>\n",
    ));
    if input.tenant.is_some() {
        out.push_str("<p class=\"hint muted\">With the tenant tier: <code>open:no</code>, <code>export:allowed</code>, <code>full:yes</code>, <code>role:exporters</code>, <code>status:disabled</code> filter on it too.</p>\n");
    }
    out.push_str(concat!(
        "<div class=\"scroll\"><table id=\"users\" class=\"matrix\"><thead></thead><tbody></tbody></table></div>\n",
        "<div class=\"more\"><button id=\"more\" type=\"button\" hidden>Show more</button></div>\n",
        "<noscript><p class=\"muted\">This report needs JavaScript to show the users.</p></noscript>\n",
        "</section>\n",
        "<section class=\"panel\" id=\"groups-panel\"><div class=\"panel-head\"><h2>Groups</h2>",
        "<span class=\"muted\">who holds each group, and what the security rows naming it grant</span></div>\n",
        "<div class=\"scroll\"><table id=\"groups\" class=\"list\"></table></div></section>\n",
        "<section class=\"panel\" id=\"diagnostics-panel\"><div class=\"panel-head\"><h2>Diagnostics</h2></div>\n",
        "<div class=\"scroll\"><table id=\"diagnostics\" class=\"list\"></table></div></section>\n",
        "</main>\n",
    ));
    let _ = writeln!(
        out,
        "<script type=\"application/json\" id=\"qsa-data\">{data}</script>"
    );
    let _ = writeln!(out, "<script>{SCRIPT}</script>\n</body>\n</html>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_block() {
        let j = json!({ "id": "</script><script>alert(1)</script>", "x": "a&b>\u{2028}" });
        let s = script_json(&j.to_string());
        assert!(
            !s.contains('<') && !s.contains('>') && !s.contains('&'),
            "{s}"
        );
        let back: J = serde_json::from_str(&s).unwrap_or_default();
        assert_eq!(back, j);
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(100_010), "100,010");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<b x=\"1\">'&'</b>"),
            "&lt;b x=&quot;1&quot;&gt;&#39;&amp;&#39;&lt;/b&gt;"
        );
    }
}
