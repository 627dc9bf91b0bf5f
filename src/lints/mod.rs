//! The lint catalogue and its control (issue 11): which codes exist ([`catalog`]), and how a user turns
//! them up, down or off: `--deny/--warn/--allow CODE|NAME` on the command line, the same keys in a
//! `qsa.toml` beside the script or above it ([`config`]), and `// qsa: allow(CODE)` comments on the line
//! above a statement ([`directives`]).
//!
//! Control never reaches a code that means qsa could not run or could not evaluate faithfully
//! ([`catalog::Lint::configurable`] is false): allowing one is refused with exit 2, so no setting can turn
//! a refusal into a report (fail-closed.md).
//!
//! This module sits beside `diag`: it imports `diag` and `syntax` (for statement spans) and nothing higher.

pub mod catalog;
pub mod config;
pub mod directives;

use crate::diag::{Diagnostic, Severity};
use std::collections::BTreeMap;

pub use catalog::{Lint, CATALOG};

/// What a setting does to a code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Not reported.
    Allow,
    /// Reported as a warning (exit 0 unless `--deny warnings`).
    Warn,
    /// Reported as an error (exit 1).
    Deny,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Allow => "allow",
            Level::Warn => "warn",
            Level::Deny => "deny",
        }
    }
}

/// The settings in force for one script: per code, and whether warnings fail the check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Policy {
    pub levels: BTreeMap<&'static str, Level>,
    pub deny_warnings: bool,
}

/// One `--deny/--warn/--allow` list as given (codes, names or `warnings`).
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub deny: Vec<String>,
    pub warn: Vec<String>,
    pub allow: Vec<String>,
}

impl Settings {
    pub fn is_empty(&self) -> bool {
        self.deny.is_empty() && self.warn.is_empty() && self.allow.is_empty()
    }
}

/// Why a setting cannot be applied; the caller says where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingError {
    /// The key as written.
    pub key: String,
    pub message: String,
}

/// Resolve one key (a code, a name, or `warnings` for `deny`) to its catalogue entry.
pub fn resolve(key: &str, level: Level) -> Result<Option<&'static Lint>, SettingError> {
    let key_t = key.trim();
    if key_t.eq_ignore_ascii_case("warnings") {
        return if level == Level::Deny {
            Ok(None)
        } else {
            Err(SettingError {
                key: key.into(),
                message: format!(
                    "`warnings` can only be denied (`deny`), not set to `{}`",
                    level.as_str()
                ),
            })
        };
    }
    let Some(lint) = catalog::find(key_t) else {
        let near = catalog::suggest(key_t);
        let hint = if near.is_empty() {
            "; `qsa rules` lists them".to_string()
        } else {
            format!("; did you mean {}?", near.join(", "))
        };
        return Err(SettingError {
            key: key.into(),
            message: format!("`{key_t}` is not a qsa code or lint name{hint}"),
        });
    };
    if !lint.configurable && level != Level::Deny {
        return Err(SettingError {
            key: key.into(),
            message: format!(
                "{} ({}) cannot be set to `{}`: it means qsa could not run or could not evaluate the script faithfully, so it is never silenced; fix its cause",
                lint.code,
                lint.name,
                level.as_str()
            ),
        });
    }
    Ok(Some(lint))
}

impl Policy {
    /// Layer `settings` over this policy (later layers win per code). A code set to two levels within one
    /// layer is an error.
    pub fn layer(&mut self, settings: &Settings) -> Result<(), SettingError> {
        let mut here: BTreeMap<&'static str, Level> = BTreeMap::new();
        for (keys, level) in [
            (&settings.allow, Level::Allow),
            (&settings.warn, Level::Warn),
            (&settings.deny, Level::Deny),
        ] {
            for key in keys {
                match resolve(key, level)? {
                    None => self.deny_warnings = true,
                    Some(lint) => {
                        if let Some(prev) = here.insert(lint.code, level) {
                            if prev != level {
                                return Err(SettingError {
                                    key: key.clone(),
                                    message: format!(
                                        "{} ({}) is set both to `{}` and to `{}`",
                                        lint.code,
                                        lint.name,
                                        prev.as_str(),
                                        level.as_str()
                                    ),
                                });
                            }
                        }
                    }
                }
            }
        }
        self.levels.extend(here);
        Ok(())
    }

    /// Apply to diagnostics: drop allowed codes, set the severity of warned and denied ones.
    pub fn apply(&self, diags: &mut Vec<Diagnostic>) {
        if self.levels.is_empty() {
            return;
        }
        diags.retain_mut(|d| match self.levels.get(d.code) {
            None => true,
            Some(_) if is_refusal(d) => true,
            Some(Level::Allow) => false,
            Some(Level::Warn) => {
                if d.severity == Severity::Error {
                    d.severity = Severity::Warning;
                }
                true
            }
            Some(Level::Deny) => {
                d.severity = Severity::Error;
                true
            }
        });
    }
}

/// A finding that means qsa refused to evaluate (fail closed) although its code is configurable: the
/// error form of QSA216 (Section Access entered, no security table left). The policy and `// qsa: allow`
/// comments never silence or downgrade it; they apply to the code's other (info) form only.
pub fn is_refusal(d: &Diagnostic) -> bool {
    d.is_error() && d.code == crate::diag::codes::SA_NO_SECTION_ACCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::codes;

    fn settings(deny: &[&str], warn: &[&str], allow: &[&str]) -> Settings {
        let v = |x: &[&str]| x.iter().map(|s| s.to_string()).collect();
        Settings {
            deny: v(deny),
            warn: v(warn),
            allow: v(allow),
        }
    }

    #[test]
    fn codes_and_names_resolve_any_case() {
        let mut p = Policy::default();
        p.layer(&settings(
            &["warnings", "qsa204"],
            &["Unlinked-Reduction-Field"],
            &["no-section-access"],
        ))
        .unwrap();
        assert!(p.deny_warnings);
        assert_eq!(p.levels.get(codes::SA_CROSS_PRODUCT), Some(&Level::Deny));
        assert_eq!(p.levels.get(codes::SA_UNLINKED_FIELD), Some(&Level::Warn));
        assert_eq!(
            p.levels.get(codes::SA_NO_SECTION_ACCESS),
            Some(&Level::Allow)
        );
    }

    #[test]
    fn refusals_cannot_be_allowed_or_warned() {
        for level in ["allow", "warn"] {
            let s = if level == "allow" {
                settings(&[], &[], &["not-evaluable"])
            } else {
                settings(&[], &["QSA107"], &[])
            };
            let err = Policy::default().layer(&s).unwrap_err();
            assert!(err.message.contains("never silenced"), "{}", err.message);
        }
        // Denying one is harmless (it is already an error or stays one).
        Policy::default()
            .layer(&settings(&["QSA215"], &[], &[]))
            .unwrap();
    }

    #[test]
    fn unknown_keys_suggest_near_names() {
        let err = Policy::default()
            .layer(&settings(&[], &[], &["cross-produkt"]))
            .unwrap_err();
        assert!(
            err.message.contains("did you mean cross-product"),
            "{}",
            err.message
        );
        let err = Policy::default()
            .layer(&settings(&[], &["warnings"], &[]))
            .unwrap_err();
        assert!(err.message.contains("can only be denied"));
    }

    #[test]
    fn one_code_two_levels_in_one_layer_is_an_error_later_layers_win() {
        let err = Policy::default()
            .layer(&settings(&["QSA204"], &[], &["cross-product"]))
            .unwrap_err();
        assert!(err.message.contains("both"), "{}", err.message);
        let mut p = Policy::default();
        p.layer(&settings(&["QSA204"], &[], &[])).unwrap();
        p.layer(&settings(&[], &[], &["QSA204"])).unwrap();
        assert_eq!(p.levels.get("QSA204"), Some(&Level::Allow));
    }

    #[test]
    fn apply_drops_allowed_and_sets_severity() {
        let mut p = Policy::default();
        p.layer(&settings(&["QSA202"], &["QSA201"], &["QSA216"]))
            .unwrap();
        let mut d = vec![
            Diagnostic::error(codes::SA_UNLINKED_FIELD, "a"),
            Diagnostic::warning(codes::SA_BLANK_IDENTITY, "b"),
            Diagnostic::info(codes::SA_NO_SECTION_ACCESS, "c"),
            Diagnostic::warning(codes::SA_CROSS_PRODUCT, "d"),
        ];
        p.apply(&mut d);
        let got: Vec<(&str, Severity)> = d.iter().map(|d| (d.code, d.severity)).collect();
        assert_eq!(
            got,
            [
                (codes::SA_UNLINKED_FIELD, Severity::Warning),
                (codes::SA_BLANK_IDENTITY, Severity::Error),
                (codes::SA_CROSS_PRODUCT, Severity::Warning),
            ]
        );
    }

    /// Every code constant of `diag::codes` has a catalogue entry with a name, a summary and a doc, and
    /// names are unique kebab-case.
    #[test]
    fn every_code_is_in_the_catalogue() {
        let src = include_str!("../diag.rs");
        let body = &src[src.find("pub mod codes").unwrap_or(0)..];
        let mut seen = std::collections::BTreeSet::new();
        for line in body
            .lines()
            .filter(|l| l.trim_start().starts_with("pub const"))
        {
            let code = line.split('"').nth(1).unwrap_or_default();
            assert!(code.starts_with("QSA"), "{line}");
            let lint =
                catalog::by_code(code).unwrap_or_else(|| panic!("{code} has no catalogue entry"));
            assert!(
                !lint.summary.is_empty()
                    && lint.doc.starts_with(&format!("# {code} {}", lint.name)),
                "{code}"
            );
            seen.insert(code);
        }
        assert_eq!(
            seen.len(),
            CATALOG.len(),
            "catalogue entries without a code constant"
        );
        let mut names = std::collections::BTreeSet::new();
        for l in CATALOG {
            assert!(names.insert(l.name), "duplicate name {}", l.name);
            assert!(
                l.name.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                l.name
            );
        }
    }
}
