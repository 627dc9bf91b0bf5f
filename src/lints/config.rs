//! `qsa.toml`: per-project lint settings, found beside the script or in a folder above it (the nearest
//! wins; no merging of several files).
//!
//! ```toml
//! [lints]
//! deny = ["warnings", "cross-product"]   # codes or names; `warnings` makes every warning fail the check
//! warn = ["QSA201"]                       # report an error as a warning
//! allow = ["no-section-access"]           # do not report
//! ```
//!
//! Unknown tables or keys, a value of the wrong type, an unknown code, a code set to two levels, or a
//! code that cannot be silenced are errors located in the file (QSA405, exit 2). Command-line flags are
//! layered over the file: for a code both set, the flag wins.

use super::{Policy, Settings};
use crate::diag::{codes, Diagnostic, SourceId, SourceMap, Span};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use toml::Spanned;

/// The file name looked for.
pub const FILE_NAME: &str = "qsa.toml";

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    lints: LintsTable,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct LintsTable {
    #[serde(default)]
    deny: Vec<Spanned<String>>,
    #[serde(default)]
    warn: Vec<Spanned<String>>,
    #[serde(default)]
    allow: Vec<Spanned<String>>,
}

/// The nearest `qsa.toml` in the script's folder or above it.
pub fn discover(script: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(script).ok()?;
    abs.ancestors()
        .skip(1)
        .map(|d| d.join(FILE_NAME))
        .find(|p| p.is_file())
}

/// Read `path` into `sources` and layer it over `policy`. `Err`: a located QSA405 (exit 2).
pub fn load(
    path: &Path,
    sources: &mut SourceMap,
    policy: &mut Policy,
) -> Result<(), Box<Diagnostic>> {
    let id = sources.load(path).map_err(|e| {
        Box::new(Diagnostic::error(
            codes::CONFIG_INVALID,
            format!("cannot read {}: {e}", path.display()),
        ))
    })?;
    let text = sources.get(id).map(|f| f.text.clone()).unwrap_or_default();
    apply_text(&text, id, policy)
}

/// Parse the text of a `qsa.toml` (source `id`) and layer it over `policy`.
pub fn apply_text(text: &str, id: SourceId, policy: &mut Policy) -> Result<(), Box<Diagnostic>> {
    let help = "qsa.toml takes one table, `[lints]`, with the keys `deny`, `warn` and `allow`, each a list of codes or names (`qsa rules` lists them)";
    let file: ConfigFile = toml::from_str(text).map_err(|e| {
        let span = e
            .span()
            .map_or(Span::empty(0), |r| Span::new(r.start, r.end));
        Box::new(
            Diagnostic::error(
                codes::CONFIG_INVALID,
                format!("qsa.toml: {}", e.message().trim_end()),
            )
            .at(id, span, "here")
            .with_help(help),
        )
    })?;
    let l = &file.lints;
    let strings = |v: &[Spanned<String>]| v.iter().map(|s| s.get_ref().clone()).collect();
    let settings = Settings {
        deny: strings(&l.deny),
        warn: strings(&l.warn),
        allow: strings(&l.allow),
    };
    policy.layer(&settings).map_err(|e| {
        let span = l
            .deny
            .iter()
            .chain(&l.warn)
            .chain(&l.allow)
            .find(|s| *s.get_ref() == e.key)
            .map_or(Span::empty(0), |s| Span::new(s.span().start, s.span().end));
        Box::new(
            Diagnostic::error(codes::CONFIG_INVALID, format!("qsa.toml: {}", e.message))
                .at(id, span, "this entry")
                .with_help(help),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lints::Level;

    fn apply(text: &str) -> Result<Policy, Box<Diagnostic>> {
        let mut p = Policy::default();
        apply_text(text, SourceId(0), &mut p).map(|()| p)
    }

    #[test]
    fn reads_the_three_lists() {
        let p = apply("[lints]\ndeny = [\"warnings\", \"cross-product\"]\nwarn = [\"QSA201\"]\nallow = [\"no-section-access\"]\n").unwrap();
        assert!(p.deny_warnings);
        assert_eq!(p.levels.get(codes::SA_CROSS_PRODUCT), Some(&Level::Deny));
        assert_eq!(p.levels.get(codes::SA_UNLINKED_FIELD), Some(&Level::Warn));
        assert_eq!(
            p.levels.get(codes::SA_NO_SECTION_ACCESS),
            Some(&Level::Allow)
        );
        assert_eq!(apply("").unwrap(), Policy::default());
    }

    #[test]
    fn unknown_keys_and_values_are_located() {
        let text = "[lints]\ndeny = [\"QSA204\"]\nignore = [\"QSA216\"]\n";
        let d = apply(text).unwrap_err();
        assert_eq!(d.code, codes::CONFIG_INVALID);
        assert!(d.message.contains("ignore"), "{}", d.message);
        let span = d.primary.as_ref().unwrap().span;
        assert_eq!(&text[span.range()], "ignore");

        let text = "[lints]\nallow = [\"QSA216\", \"not-evaluable\"]\n";
        let d = apply(text).unwrap_err();
        assert!(d.message.contains("never silenced"), "{}", d.message);
        let span = d.primary.as_ref().unwrap().span;
        assert_eq!(&text[span.range()], "\"not-evaluable\"");

        let d = apply("[lint]\n").unwrap_err();
        assert!(d.message.contains("lint"), "{}", d.message);
        let d = apply("[lints]\ndeny = \"warnings\"\n").unwrap_err();
        assert!(d.primary.is_some(), "{}", d.message);
        let d = apply("[lints\n").unwrap_err();
        assert!(d.primary.is_some(), "{}", d.message);
    }

    #[test]
    fn discovery_finds_the_nearest_file_above() {
        let dir = std::env::temp_dir().join(format!("qsa-config-{}", std::process::id()));
        let sub = dir.join("a/b");
        std::fs::create_dir_all(&sub).unwrap();
        std::fs::write(dir.join(FILE_NAME), "").unwrap();
        assert_eq!(discover(&sub.join("s.qvs")), Some(dir.join(FILE_NAME)));
        std::fs::write(dir.join("a").join(FILE_NAME), "").unwrap();
        assert_eq!(
            discover(&sub.join("s.qvs")),
            Some(dir.join("a").join(FILE_NAME))
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
