//! Findings about the identities the security rows list (issue 11 item 8), for `qsa check` without a
//! directory: each USERID and USER.EMAIL value is evaluated as a user who holds no group (the users
//! `report` evaluates when no directory is given), and
//!
//! - QSA225 (R2): a USER whose allowed values of a reduction field all miss the data (or who has none)
//!   is denied by strict exclusion; one finding per reason (field), naming the identities, located at
//!   their rows;
//! - QSA302 (R6 [dec]): an identity granted access whose every reduced table keeps zero rows opens an
//!   empty app; one finding per identity, located at its first row.
//!
//! GROUP rows cannot be judged without a directory (who holds the group is unknown), so the findings say
//! so when the model lists groups: a group could add values the identity's own rows lack.

use super::{Access, Prepared};
use crate::access::directory::User;
use crate::access::model::{row_origin, USERID, USER_EMAIL};
use crate::diag::{codes, Diagnostic, SourceId, Span};
use std::collections::{BTreeMap, HashMap};

/// At most this many identities get a label of their own in one finding.
const LABELS: usize = 20;

type Origin = Option<(SourceId, Span)>;

impl Prepared<'_> {
    /// QSA225 and QSA302 for the listed identities (see the module doc). Empty without Section Access.
    pub fn listed_lints(&self) -> Vec<Diagnostic> {
        if self.run.security.tables.is_empty() {
            return vec![];
        }
        let users = self.listed_users();
        if users.is_empty() {
            return vec![];
        }
        let results = self.evaluate(&users, false);
        let rows = self.identity_rows();
        let first_row = |u: &User| -> (String, Origin) {
            let (field, value) = match (&u.subject, &u.email) {
                (Some(s), _) => (USERID, s.clone()),
                (None, Some(e)) => (USER_EMAIL, e.clone()),
                (None, None) => (USERID, u.report_id()),
            };
            let at = rows.get(&(field, value.clone())).copied().flatten();
            (format!("{field} `{value}`"), at)
        };
        let groups_note = if self.security.group_values.is_empty() {
            String::new()
        } else {
            " (evaluated holding no group: GROUP rows of a group they hold could add values)".into()
        };
        let mut out = vec![];
        let mut denied: BTreeMap<String, Vec<(String, Origin)>> = BTreeMap::new();
        for (u, r) in users.iter().zip(&results) {
            let reason = r.denied_reason.as_deref().unwrap_or_default();
            if r.access == Access::Denied && reason.starts_with("strict exclusion") {
                denied
                    .entry(reason.to_string())
                    .or_default()
                    .push(first_row(u));
            }
            if r.diagnostics
                .iter()
                .any(|d| d.code == codes::USER_EMPTY_APP)
            {
                let (name, at) = first_row(u);
                let d = Diagnostic::warning(
                    codes::USER_EMPTY_APP,
                    format!(
                        "{name} is granted {} but keeps no row in any reduced table: the app opens empty{groups_note}",
                        r.access.as_str()
                    ),
                )
                .with_help("the values the identity's rows allow exist, but no row of the data holds them together: check the combination of its reduction values")
                .with_rule("R6");
                out.push(match at {
                    Some((s, sp)) => d.at(s, sp, "granted here"),
                    None => d,
                });
            }
        }
        for (reason, ids) in denied {
            let names: Vec<&str> = ids.iter().map(|(n, _)| n.as_str()).collect();
            let shown = names
                .iter()
                .take(10)
                .copied()
                .collect::<Vec<_>>()
                .join(", ");
            let more = if names.len() > 10 {
                format!(" and {} more", names.len() - 10)
            } else {
                String::new()
            };
            let mut d = Diagnostic::warning(
                codes::SA_STRICT_EXCLUSION_DENIED,
                format!(
                    "{} listed {} ({shown}{more}) {} USER and denied by {reason}{groups_note}",
                    ids.len(),
                    if ids.len() == 1 { "identity" } else { "identities" },
                    if ids.len() == 1 { "is" } else { "are" }
                ),
            )
            .with_help("allow values the app field holds (exact text), or give the identity ADMIN if it is meant to see the field unreduced")
            .with_rule("R2");
            // One label per place (rows read from a file all point at their load), in row order.
            let mut places: Vec<((SourceId, Span), Vec<&str>)> = vec![];
            for (n, at) in &ids {
                let Some(at) = at else { continue };
                match places.iter_mut().find(|(p, _)| p == at) {
                    Some((_, names)) => names.push(n),
                    None => places.push((*at, vec![n])),
                }
            }
            for (i, ((s, sp), names)) in places.into_iter().take(LABELS).enumerate() {
                let label = match names.as_slice() {
                    [one] => format!("{one} denied"),
                    many => format!("{} of them denied here", many.len()),
                };
                d = if i == 0 {
                    d.at(s, sp, label)
                } else {
                    d.with_secondary(s, sp, label)
                };
            }
            out.push(d);
        }
        out
    }

    /// The first security row holding each USERID and USER.EMAIL value (upper-cased, I3): one pass.
    fn identity_rows(&self) -> HashMap<(&'static str, String), Origin> {
        let mut at = HashMap::new();
        for t in &self.run.security.tables {
            for field in [USERID, USER_EMAIL] {
                let Some(c) = t.field_index(field) else {
                    continue;
                };
                for r in 0..t.row_count() {
                    if let Some(x) = t.cell(c, r).text() {
                        at.entry((field, x.to_uppercase()))
                            .or_insert_with(|| row_origin(t, r));
                    }
                }
            }
        }
        at
    }
}
