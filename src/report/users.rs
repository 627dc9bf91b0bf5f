//! Rendering per-user results (`qsa report`, `qsa preview`). Produces strings; never prints.
//!
//! The JSON form is the contract of product.md (`schema: "qsa.report/1"`): users sorted by id, maps with
//! sorted keys, diagnostics with file/line/column. The same inputs give byte-identical output.

use crate::access::{GroupMode, Target};
use crate::diag::{Diagnostic, SourceMap};
use crate::model::engine::Kept;
use crate::model::DataModel;
use crate::reduce::UserResult;
use crate::tenant::{TenantSummary, UserTenant};
use rustc_hash::FxHashMap;
use serde_json::{json, Value as J};
use std::fmt::Write;

/// File, line and column of a diagnostic's primary label (following expansions to the real file).
pub fn location(
    d: &Diagnostic,
    sources: &SourceMap,
) -> (Option<String>, Option<usize>, Option<usize>) {
    let Some(l) = &d.primary else {
        return (None, None, None);
    };
    let (s, sp) = sources.origin(l.source, l.span);
    match sources.get(s) {
        Some(f) => {
            let (line, col) = f.line_col(sp.start);
            (Some(f.name.clone()), Some(line), Some(col))
        }
        None => (None, None, None),
    }
}

/// A diagnostic as JSON: `{code, severity, message, file, line, column}`.
pub fn diagnostic_json(d: &Diagnostic, sources: &SourceMap) -> J {
    let (file, line, column) = location(d, sources);
    json!({
        "code": d.code,
        "severity": d.severity,
        "message": d.message,
        "file": file,
        "line": line,
        "column": column,
    })
}

/// A plain one-finding-per-block text form (used until the miette renderer is available, and for tests).
pub fn render_diagnostics_plain(diags: &[Diagnostic], sources: &SourceMap) -> String {
    let mut out = String::new();
    for d in diags {
        let _ = writeln!(out, "{}[{}]: {}", d.severity, d.code, d.message);
        if let (Some(f), Some(l), Some(c)) = location(d, sources) {
            let _ = writeln!(out, "  --> {f}:{l}:{c}");
        }
        if let Some(h) = &d.help {
            let _ = writeln!(out, "  = help: {h}");
        }
        if !d.rules.is_empty() {
            let _ = writeln!(out, "  = rule: {}", d.rules.join(", "));
        }
    }
    out
}

fn sorted(results: &[UserResult]) -> Vec<&UserResult> {
    sorted_indexed(results)
        .into_iter()
        .map(|(_, u)| u)
        .collect()
}

/// The users in report order, each with its index in `results`.
fn sorted_indexed(results: &[UserResult]) -> Vec<(usize, &UserResult)> {
    let mut v: Vec<(usize, &UserResult)> = results.iter().enumerate().collect();
    v.sort_by(|(_, a), (_, b)| a.id.cmp(&b.id).then_with(|| a.email.cmp(&b.email)));
    v
}

/// The tenant tier of a `--tenant` report (tenant.md §3): the top-level object, and each user's object
/// aligned with the results.
pub struct TenantView<'a> {
    pub summary: &'a TenantSummary,
    pub users: &'a [Option<UserTenant>],
}

impl TenantView<'_> {
    /// The tenant object of the user at `index` of the results.
    pub fn user(&self, index: usize) -> Option<&UserTenant> {
        self.users.get(index).and_then(Option::as_ref)
    }
}

/// One user as JSON, serialised straight from the result (no intermediate tree: 100k users).
#[derive(serde::Serialize)]
struct UserJson<'a> {
    id: &'a str,
    email: &'a Option<String>,
    access: &'static str,
    denied_reason: &'a Option<String>,
    reduction: &'a std::collections::BTreeMap<String, Option<Vec<String>>>,
    omitted_fields: &'a [String],
    tables: &'a std::collections::BTreeMap<String, crate::reduce::TableCount>,
    rules: &'a [&'static str],
}

fn user_json(u: &UserResult) -> UserJson<'_> {
    UserJson {
        id: &u.id,
        email: &u.email,
        access: u.access.as_str(),
        denied_reason: &u.denied_reason,
        reduction: &u.reduction,
        omitted_fields: &u.omitted_fields,
        tables: &u.tables,
        rules: &u.rules,
    }
}

#[derive(serde::Serialize)]
struct ReportJson<'a> {
    schema: &'static str,
    target: &'static str,
    group_mode: u8,
    #[serde(skip_serializing_if = "Option::is_none")]
    tenant: Option<&'a TenantSummary>,
    users: Vec<UserJson<'a>>,
    diagnostics: Vec<J>,
}

/// All diagnostics of a report: the given ones plus each user's, deduplicated, sorted.
pub fn all_diagnostics(results: &[UserResult], diagnostics: &[Diagnostic]) -> Vec<Diagnostic> {
    let mut all: Vec<Diagnostic> = diagnostics.to_vec();
    for u in sorted(results) {
        all.extend(u.diagnostics.iter().cloned());
    }
    crate::diag::sort_diagnostics(&mut all);
    all.dedup();
    all
}

/// `qsa report --format json`.
pub fn render_json(
    results: &[UserResult],
    target: Target,
    mode: GroupMode,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
) -> String {
    let mut out = Vec::new();
    // Writing to memory cannot fail, and every piece written is UTF-8.
    let _ = write_json(&mut out, results, target, mode, diagnostics, sources, None);
    String::from_utf8(out).unwrap_or_default()
}

/// Users written per batch by [`write_json`].
const JSON_BATCH: usize = 4096;

/// `qsa report --format json`, written to `w` a batch of users at a time (100k users make ~100 MB of
/// JSON: it is never held whole in memory).
pub fn write_json(
    w: &mut dyn std::io::Write,
    results: &[UserResult],
    target: Target,
    mode: GroupMode,
    diagnostics: &[Diagnostic],
    sources: &SourceMap,
    tenant: Option<&TenantView>,
) -> std::io::Result<()> {
    let doc = ReportJson {
        schema: "qsa.report/1",
        target: target.as_str(),
        group_mode: mode.number(),
        tenant: tenant.map(|t| t.summary),
        users: vec![],
        diagnostics: all_diagnostics(results, diagnostics)
            .iter()
            .map(|d| diagnostic_json(d, sources))
            .collect(),
    };
    let s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    let marker = "\"users\": []";
    let indexed = sorted_indexed(results);
    let users: Vec<&UserResult> = indexed.iter().map(|(_, u)| *u).collect();
    let (Some(at), false) = (s.find(marker), users.is_empty()) else {
        return writeln!(w, "{s}");
    };
    w.write_all(&s.as_bytes()[..at])?;
    w.write_all(b"\"users\": [\n")?;
    // Users are written on all cores, each as serde_json would print it two levels deep. The reduction
    // and table maps are shared by the users of one profile: each distinct map is printed once.
    use rayon::prelude::*;
    let (reductions, reduction_of) = fragments(&users, |u| &u.reduction);
    let (tables, tables_of) = fragments(&users, |u| &u.tables);
    for (b, batch) in users.chunks(JSON_BATCH).enumerate() {
        let texts: Vec<String> = batch
            .par_iter()
            .enumerate()
            .map(|(k, u)| {
                let i = b * JSON_BATCH + k;
                let t = tenant.and_then(|t| t.user(indexed[i].0));
                user_text(u, &reductions[reduction_of[i]], &tables[tables_of[i]], t)
            })
            .collect();
        for (k, t) in texts.iter().enumerate() {
            if b > 0 || k > 0 {
                w.write_all(b",\n")?;
            }
            w.write_all(t.as_bytes())?;
        }
    }
    w.write_all(b"\n  ]")?;
    w.write_all(&s.as_bytes()[at + marker.len()..])?;
    w.write_all(b"\n")
}

/// Each distinct shared map (by address) printed once, as serde_json prints it three levels deep; and for
/// each user, the index of its map's text.
fn fragments<T: serde::Serialize + Sync + Send>(
    users: &[&UserResult],
    map: impl Fn(&UserResult) -> &std::sync::Arc<T> + Sync,
) -> (Vec<String>, Vec<usize>) {
    use rayon::prelude::*;
    let mut index: FxHashMap<*const T, usize> = FxHashMap::default();
    let mut distinct: Vec<&T> = vec![];
    let of: Vec<usize> = users
        .iter()
        .map(|u| {
            let m = map(u);
            *index.entry(std::sync::Arc::as_ptr(m)).or_insert_with(|| {
                distinct.push(m);
                distinct.len() - 1
            })
        })
        .collect();
    let texts = distinct.par_iter().map(|m| pretty_at(*m, 6)).collect();
    (texts, of)
}

/// `value` as `serde_json::to_string_pretty` prints it when it starts `indent` spaces deep (every line
/// but the first indented `indent` more spaces), in one pass; empty when it cannot be serialized.
fn pretty_at<T: serde::Serialize + ?Sized>(value: &T, indent: usize) -> String {
    let mut buf = Vec::with_capacity(128);
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, Nested::at(indent));
    if value.serialize(&mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(buf).unwrap_or_default()
}

/// serde_json's `PrettyFormatter` (two spaces a level) for a value that starts `base` spaces deep.
struct Nested {
    base: usize,
    level: usize,
    has_value: bool,
}

impl Nested {
    fn at(base: usize) -> Self {
        Nested {
            base,
            level: 0,
            has_value: false,
        }
    }
    fn newline<W: ?Sized + std::io::Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        const SPACES: &[u8] = &[b' '; 64];
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        let mut n = self.base + 2 * self.level;
        while n > 0 {
            let k = n.min(SPACES.len());
            w.write_all(&SPACES[..k])?;
            n -= k;
        }
        Ok(())
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"[")
    }
    fn end_array<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"]")
    }
    fn begin_array_value<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn end_array_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level += 1;
        self.has_value = false;
        w.write_all(b"{")
    }
    fn end_object<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.level -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(b"}")
    }
    fn begin_object_key<W: ?Sized + std::io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn begin_object_value<W: ?Sized + std::io::Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + std::io::Write>(&mut self, _w: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

/// One user of the report, four spaces deep, with its reduction and tables already printed; the `tenant`
/// object last, only with `--tenant`.
fn user_text(u: &UserResult, reduction: &str, tables: &str, tenant: Option<&UserTenant>) -> String {
    let mut out = String::with_capacity(256 + reduction.len() + tables.len());
    out.push_str("    {\n      \"id\": ");
    out.push_str(&js(&u.id));
    out.push_str(",\n      \"email\": ");
    out.push_str(&js(&u.email));
    out.push_str(",\n      \"access\": ");
    out.push_str(&js(u.access.as_str()));
    out.push_str(",\n      \"denied_reason\": ");
    out.push_str(&js(&u.denied_reason));
    out.push_str(",\n      \"reduction\": ");
    out.push_str(reduction);
    out.push_str(",\n      \"omitted_fields\": ");
    out.push_str(&pretty_at(&u.omitted_fields, 6));
    out.push_str(",\n      \"tables\": ");
    out.push_str(tables);
    out.push_str(",\n      \"rules\": ");
    out.push_str(&pretty_at(&u.rules, 6));
    if let Some(t) = tenant {
        out.push_str(",\n      \"tenant\": ");
        out.push_str(&pretty_at(t, 6));
    }
    out.push_str("\n    }");
    out
}

/// Compact JSON of a scalar (a string, or an optional string), as serde_json prints it.
fn js<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

fn reduction_text(u: &UserResult) -> String {
    if u.reduction.is_empty() {
        return "-".into();
    }
    u.reduction
        .iter()
        .map(|(k, v)| match v {
            None => format!("{k}=(all)"),
            Some(vals) => format!("{k}={}", vals.join("|")),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn tables_text(u: &UserResult) -> String {
    u.tables
        .iter()
        .map(|(k, t)| format!("{k} {}/{}", t.rows, t.total_rows))
        .collect::<Vec<_>>()
        .join(", ")
}

fn or_dash(s: String) -> String {
    if s.is_empty() {
        "-".into()
    } else {
        s
    }
}

/// The OPEN, ROLES, EXPORT and FULL cells of a `--tenant` report (tenant.md §3); roles joined by `sep`.
fn tenant_cells(t: Option<&UserTenant>, sep: &str) -> [String; 4] {
    let Some(t) = t else {
        return ["?".into(), "-".into(), "?".into(), "?".into()];
    };
    let open = match (t.open.can, t.open.via.first()) {
        (true, Some(via)) => format!("yes ({via})"),
        (true, None) => "yes".into(),
        (false, _) => "no".into(),
    };
    let roles: Vec<&str> = t.roles.iter().map(|r| r.name.as_str()).collect();
    let export = super::tenant::export_text(t.export).to_string();
    let full = if t.entitlement.full { "yes" } else { "no" };
    [open, or_dash(roles.join(sep)), export, full.into()]
}

/// A table's header: `lead`, the tenant columns when there are any, then `rest`.
fn columns(lead: &[&str], tenant: Option<[&str; 4]>, rest: &[&str]) -> Vec<String> {
    lead.iter()
        .chain(tenant.iter().flatten())
        .chain(rest)
        .map(|c| c.to_string())
        .collect()
}

/// `qsa report` (default): a readable terminal table, then the denied reasons. With `--tenant`, the
/// columns OPEN, ROLES, EXPORT, FULL come before ACCESS.
pub fn render_human(
    results: &[UserResult],
    target: Target,
    mode: GroupMode,
    tenant: Option<&TenantView>,
) -> String {
    let header = columns(
        &["USER"],
        tenant.map(|_| ["OPEN", "ROLES", "EXPORT", "FULL"]),
        &[
            "ACCESS",
            "REDUCTION",
            "OMITTED",
            "ROWS (kept/total)",
            "[dec] RULES",
        ],
    );
    let rows: Vec<Vec<String>> = sorted_indexed(results)
        .into_iter()
        .map(|(i, u)| {
            let denied = u.access == crate::reduce::Access::Denied;
            let mut row = vec![u.id.clone()];
            if let Some(t) = tenant {
                row.extend(tenant_cells(t.user(i), ", "));
            }
            row.extend([
                u.access.as_str().to_string(),
                if denied {
                    "-".into()
                } else {
                    reduction_text(u)
                },
                or_dash(u.omitted_fields.join(", ")),
                if denied { "-".into() } else { tables_text(u) },
                or_dash(u.rules.join(", ")),
            ]);
            row
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "target: {}   group mode: {}   users: {}",
        target.as_str(),
        mode.number(),
        rows.len()
    );
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("{c:<w$}", w = *w))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    let _ = writeln!(out, "{}", line(&header));
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    let _ = writeln!(out, "{}", line(&rule));
    for r in &rows {
        let _ = writeln!(out, "{}", line(r));
    }
    let denied: Vec<&UserResult> = sorted(results)
        .into_iter()
        .filter(|u| u.denied_reason.is_some())
        .collect();
    if !denied.is_empty() {
        let _ = writeln!(out, "\ndenied:");
        for u in denied {
            let _ = writeln!(
                out,
                "  {}: {}",
                u.id,
                u.denied_reason.clone().unwrap_or_default()
            );
        }
    }
    out
}

fn csv_line(cells: &[String]) -> String {
    cells
        .iter()
        .map(|c| {
            if c.contains([',', '"', '\n', '\r']) {
                format!("\"{}\"", c.replace('"', "\"\""))
            } else {
                c.clone()
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// `qsa report --format csv`: one line per user; with `--tenant`, the columns open, roles, export, full
/// before access.
pub fn render_csv(results: &[UserResult], tenant: Option<&TenantView>) -> String {
    let mut out = csv_line(&columns(
        &["id", "email"],
        tenant.map(|_| ["open", "roles", "export", "full"]),
        &["access", "denied_reason", "reduction"],
    ));
    out.push_str(",omitted_fields,tables,rules");
    out.push('\n');
    for (i, u) in sorted_indexed(results) {
        let mut row = vec![u.id.clone(), u.email.clone().unwrap_or_default()];
        if let Some(t) = tenant {
            row.extend(tenant_cells(t.user(i), ";"));
        }
        row.extend([
            u.access.as_str().into(),
            u.denied_reason.clone().unwrap_or_default(),
            if u.reduction.is_empty() {
                String::new()
            } else {
                reduction_text(u)
            },
            u.omitted_fields.join(";"),
            tables_text(u),
            u.rules.join(";"),
        ]);
        out.push_str(&csv_line(&row));
        out.push('\n');
    }
    out
}

/// Rules whose meaning is shown next to the ids in preview.
pub fn rule_text(rule: &str) -> &'static str {
    match rule {
        "I2" => "a blank identity cell matches nobody",
        "I4" => "a user without a value for an identity field matches only `*` there",
        "I6" => "groups that collide after upper-casing are one GROUP value",
        "L2" => "ADMIN wins when the user's rows mix ADMIN and USER",
        "R2" => "strict exclusion is judged field by field",
        "R4" => {
            "propagation drops NULL link values and passes through every link (message passing)"
        }
        "R6" => "access is granted although every reduced table is empty",
        "S7" => "QlikCloudGroupMode is read as its value at the end of the script",
        "T6" => "a disabled group grants no roles, space roles or shares",
        "T7" => "a deleted user, or one of unknown status, cannot open apps",
        "T10" => "an admin cannot open an app in someone else's personal space",
        "T12" => {
            "`operator` opens apps in managed spaces; a space role the space type lacks is ignored"
        }
        "T13" => "TenantAdmin and AnalyticsAdmin open apps in shared spaces without a space role",
        "T14" => "a disabled share opens nothing",
        _ => "",
    }
}

/// `qsa preview` (human): access and reason, applied rows, rows kept per table, omitted fields, sample rows,
/// [dec] rules.
pub fn render_preview(
    u: &UserResult,
    app: &DataModel,
    rows: usize,
    origin: &dyn Fn(Option<&crate::model::RowOrigin>) -> String,
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "user:    {}{}",
        u.id,
        u.email
            .as_deref()
            .map(|e| format!(" <{e}>"))
            .unwrap_or_default()
    );
    let _ = writeln!(out, "access:  {}", u.access.as_str());
    if let Some(r) = &u.denied_reason {
        let _ = writeln!(out, "reason:  {r}");
    }
    let _ = writeln!(out, "\nsecurity rows that applied:");
    if u.applied.is_empty() {
        let _ = writeln!(out, "  (none)");
    }
    for a in &u.applied {
        let cells: Vec<String> = a.cells.iter().map(|(f, v)| format!("{f}={v}")).collect();
        let at = origin(a.origin.as_ref());
        let _ = writeln!(
            out,
            "  {} row {}: {}{}",
            a.table,
            a.row + 1,
            cells.join(", "),
            if at.is_empty() {
                String::new()
            } else {
                format!("   ({at})")
            }
        );
    }
    if u.access != crate::reduce::Access::Denied {
        let _ = writeln!(out, "\nreduction:");
        if u.reduction.is_empty() {
            let _ = writeln!(out, "  (none)");
        }
        for (f, v) in u.reduction.iter() {
            match v {
                None => {
                    let _ = writeln!(out, "  {f}: not reduced");
                }
                Some(vals) => {
                    let _ = writeln!(out, "  {f}: {}", vals.join(", "));
                }
            }
        }
        let _ = writeln!(
            out,
            "\nomitted fields: {}",
            if u.omitted_fields.is_empty() {
                "(none)".into()
            } else {
                u.omitted_fields.join(", ")
            }
        );
        let _ = writeln!(out, "\ntables (rows kept / total):");
        for (name, t) in u.tables.iter() {
            let _ = writeln!(out, "  {name}: {} / {}", t.rows, t.total_rows);
        }
        if rows > 0 {
            for (ti, t) in app.tables.iter().enumerate() {
                let kept = u.kept.as_ref().and_then(|k| k.get(ti));
                let fields: Vec<usize> = (0..t.fields.len())
                    .filter(|&i| !u.omitted_fields.contains(&t.fields[i]))
                    .collect();
                let _ = writeln!(out, "\n{} (first {rows} rows):", t.name);
                let header: Vec<String> = fields.iter().map(|&i| t.fields[i].clone()).collect();
                let mut lines = vec![header];
                for r in (0..t.row_count())
                    .filter(|&r| kept.map(|k: &Kept| k.contains(r)).unwrap_or(true))
                    .take(rows)
                {
                    lines.push(
                        fields
                            .iter()
                            .map(|&i| {
                                t.columns[i]
                                    .get(r)
                                    .map(|v| v.to_string())
                                    .unwrap_or_default()
                            })
                            .collect(),
                    );
                }
                let n = lines.first().map(|l| l.len()).unwrap_or(0);
                let widths: Vec<usize> = (0..n)
                    .map(|c| {
                        lines
                            .iter()
                            .map(|l| l[c].chars().count())
                            .max()
                            .unwrap_or(0)
                    })
                    .collect();
                for l in &lines {
                    let s: Vec<String> = l
                        .iter()
                        .zip(&widths)
                        .map(|(c, w)| format!("{c:<w$}", w = *w))
                        .collect();
                    let _ = writeln!(out, "  {}", s.join("  ").trim_end());
                }
            }
        }
    }
    out.push_str(&dec_rules_block(&u.rules));
    out
}

/// The closing block of `preview` and `explain`: the \[dec\] rules a result depends on, with their meaning.
pub fn dec_rules_block(rules: &[&str]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "\n[dec] rules this result depends on: {}",
        if rules.is_empty() {
            "none".to_string()
        } else {
            rules.join(", ")
        }
    );
    for r in rules {
        let _ = writeln!(out, "  warning: depends on {r} [dec]: {}", rule_text(r));
    }
    out
}

/// `qsa preview --tenant` (human): the user line, the tenant tier (tenant.md §3: app, status, opening,
/// roles, download, Full User, OAuth; the T15 denial and Section Access alone), then the preview of
/// Section Access as [`render_preview`] prints it (the joined result: DENIED when the tenant denies).
pub fn render_preview_with_tenant(
    u: &UserResult,
    app: &DataModel,
    rows: usize,
    origin: &dyn Fn(Option<&crate::model::RowOrigin>) -> String,
    summary: &TenantSummary,
    tenant: &UserTenant,
) -> String {
    let base = render_preview(u, app, rows, origin);
    let (first, rest) = base.split_once('\n').unwrap_or((base.as_str(), ""));
    let alone = match (tenant.denied_reason, &tenant.section_access) {
        (Some(_), Some(sa)) => {
            format!("section access alone: {sa} (shown below: the security rows that applied)\n")
        }
        _ => String::new(),
    };
    format!(
        "{first}\n\ntenant tier:\n{}\n{alone}{rest}",
        super::tenant::render_tier(summary, tenant, "  ")
    )
}

/// `qsa preview --format json`: the user's report entry plus applied rows; with `--tenant`, the user's
/// `tenant` object (as in the report, plus `open.why_not` when the user cannot open the app) and the
/// report's top-level `tenant` object as `tenant_app`.
pub fn render_preview_json(
    u: &UserResult,
    origin: &dyn Fn(Option<&crate::model::RowOrigin>) -> String,
    tenant: Option<(&TenantSummary, &UserTenant)>,
) -> String {
    let mut j = serde_json::to_value(user_json(u)).unwrap_or_default();
    if let (Some((summary, t)), Some(o)) = (tenant, j.as_object_mut()) {
        let mut tier = serde_json::to_value(t).unwrap_or_default();
        // One user: every route checked and why it does not open the app, as the human output lists
        // them (a key the report's users do not have; tenant.md §3 allows new optional keys).
        if let Some(open) = tier.get_mut("open").and_then(J::as_object_mut) {
            if !t.open.can {
                open.insert("why_not".into(), json!(t.open.why_not));
            }
        }
        o.insert("tenant".into(), tier);
        o.insert(
            "tenant_app".into(),
            serde_json::to_value(summary).unwrap_or_default(),
        );
    }
    let applied: Vec<J> = u
        .applied
        .iter()
        .map(|a| {
            let cells: serde_json::Map<String, J> = a.cells.iter().map(|(f, v)| (f.clone(), json!(v))).collect();
            json!({"table": a.table, "row": a.row + 1, "at": origin(a.origin.as_ref()), "cells": cells})
        })
        .collect();
    if let Some(o) = j.as_object_mut() {
        o.insert("applied_rows".into(), J::Array(applied));
    }
    let mut s = serde_json::to_string_pretty(&j).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reduce::{Access, TableCount};
    use std::collections::BTreeMap;

    // `pretty_at` prints what `to_string_pretty` prints with every line after the first shifted right.
    #[test]
    fn pretty_at_is_to_string_pretty_shifted() {
        let v = json!({"a": [], "b": {}, "c": [1, [2, {"d": null, "e": "x\ny"}], []],
                       "f": {"g": {"h": [true]}}, "s": "quote \" tab \t"});
        for value in [v.clone(), json!([]), json!({}), json!("plain"), json!([v])] {
            for indent in [0, 6, 70] {
                let pad = " ".repeat(indent);
                let want = serde_json::to_string_pretty(&value)
                    .unwrap_or_default()
                    .lines()
                    .collect::<Vec<_>>()
                    .join(&format!("\n{pad}"));
                assert_eq!(pretty_at(&value, indent), want, "{value} at {indent}");
            }
        }
    }

    fn user(id: &str, access: Access) -> UserResult {
        UserResult {
            id: id.into(),
            email: Some(format!("{id}@x.com")),
            name: None,
            access,
            denied_reason: (access == Access::Denied).then(|| "not listed\nat all \"x\"".into()),
            reduction: BTreeMap::from([
                ("COUNTRY".into(), Some(vec!["DE".into(), "FR".into()])),
                ("CATEGORY".into(), None),
            ])
            .into(),
            omitted_fields: vec![],
            tables: BTreeMap::from([(
                "Orders".into(),
                TableCount {
                    rows: 3,
                    total_rows: 10,
                },
            )])
            .into(),
            rules: vec!["R4"],
            applied: vec![],
            kept: None,
            diagnostics: vec![],
        }
    }

    #[test]
    fn users_serialised_in_parallel_print_as_one_document_would() {
        let mut shared = user("d\u{e9}\t\"q\"", Access::User);
        shared.omitted_fields = vec!["MARGIN".into(), "COST".into()];
        shared.rules = vec![];
        shared.email = None;
        let mut denied = user("a", Access::Denied);
        denied.reduction = BTreeMap::new().into();
        denied.tables = BTreeMap::new().into();
        let mut same = user("e", Access::User);
        same.reduction = shared.reduction.clone();
        same.tables = shared.tables.clone();
        let results = vec![
            user("b", Access::User),
            denied,
            user("c", Access::Admin),
            shared,
            same,
        ];
        let sources = SourceMap::default();
        let got = render_json(&results, Target::Cloud, GroupMode::Both, &[], &sources);
        let doc = ReportJson {
            schema: "qsa.report/1",
            target: Target::Cloud.as_str(),
            group_mode: GroupMode::Both.number(),
            users: sorted(&results).into_iter().map(user_json).collect(),
            tenant: None,
            diagnostics: vec![],
        };
        let want = serde_json::to_string_pretty(&doc).unwrap_or_default() + "\n";
        assert_eq!(got, want);
        let none = render_json(&[], Target::Cloud, GroupMode::Both, &[], &sources);
        assert!(none.contains("\"users\": [],"), "{none}");
    }
}
