//! The catalogue: every diagnostic code qsa emits, with a stable kebab-case name, its severity, one line,
//! the rule ids it rests on, whether it can be configured, and its documentation (`docs/CODE.md`, beside
//! this file). `qsa rules` prints it; `--deny/--warn/--allow`, `qsa.toml` and `// qsa: allow(…)` accept a
//! code or a name.
//!
//! A code is **configurable** (a lint) when it reports a finding about a script that qsa could evaluate.
//! Codes that mean qsa could not run or could not evaluate faithfully (syntax errors, sources not read,
//! unknown effects, refusals, unreadable inputs) are not: allowing them would turn a refusal into a report,
//! which is failing open (fail-closed.md).

use crate::diag::{codes, Severity};

/// One entry of the catalogue.
#[derive(Clone, Copy, Debug)]
pub struct Lint {
    pub code: &'static str,
    /// Stable kebab-case name.
    pub name: &'static str,
    /// The severity qsa gives it by default. `None`: it depends on the finding (the documentation says how).
    pub severity: Option<Severity>,
    /// One line: what it finds.
    pub summary: &'static str,
    /// Rule ids of section-access.md / tenant.md it rests on.
    pub rules: &'static [&'static str],
    /// Whether `--allow/--warn/--deny` may change it.
    pub configurable: bool,
    /// Markdown: what it finds, why it matters, an example, the fix, the rules.
    pub doc: &'static str,
}

const E: Option<Severity> = Some(Severity::Error);
const W: Option<Severity> = Some(Severity::Warning);
const I: Option<Severity> = Some(Severity::Info);
const VARIES: Option<Severity> = None;

macro_rules! lint {
    ($code:expr, $file:literal, $name:literal, $sev:expr, $conf:literal, [$($rule:literal),*], $summary:literal) => {
        Lint {
            code: $code,
            name: $name,
            severity: $sev,
            summary: $summary,
            rules: &[$($rule),*],
            configurable: $conf,
            doc: include_str!(concat!("docs/", $file, ".md")),
        }
    };
}

/// Every code, in code order.
pub static CATALOG: &[Lint] = &[
    // --- syntax
    lint!(
        codes::SYNTAX,
        "QSA001",
        "syntax-error",
        VARIES,
        false,
        [],
        "A statement that does not parse."
    ),
    lint!(
        codes::UNTERMINATED,
        "QSA002",
        "unterminated",
        VARIES,
        false,
        [],
        "An unterminated string, bracketed name, comment or INLINE block."
    ),
    lint!(
        codes::UNBALANCED_BLOCK,
        "QSA003",
        "unbalanced-block",
        E,
        false,
        [],
        "A control block without its end, or an end without its start."
    ),
    lint!(
        codes::UNSUPPORTED_STATEMENT,
        "QSA004",
        "unsupported-statement",
        W,
        false,
        [],
        "A statement qsa recognises but does not support."
    ),
    lint!(
        codes::TOO_DEEP,
        "QSA005",
        "nesting-too-deep",
        E,
        false,
        [],
        "Nesting deeper than the parser allows."
    ),
    lint!(
        codes::DEFERRED,
        "QSA006",
        "deferred-parse",
        I,
        true,
        [],
        "A statement with `$(…)` that is parsed only when the script runs."
    ),
    // --- running the script
    lint!(
        codes::UNDEFINED_VARIABLE,
        "QSA101",
        "undefined-variable",
        VARIES,
        true,
        ["S6"],
        "`$(name)` of a variable that is not defined expands to nothing."
    ),
    lint!(
        codes::INCLUDE_MISSING,
        "QSA102",
        "include-missing",
        E,
        false,
        ["S6"],
        "A `$(must_include=…)` whose file cannot be read: the reload fails."
    ),
    lint!(
        codes::UNKNOWN_SUB,
        "QSA103",
        "unknown-sub",
        E,
        false,
        [],
        "`CALL` of a SUB that is not defined when the CALL runs."
    ),
    lint!(
        codes::ITERATION_LIMIT,
        "QSA104",
        "iteration-limit",
        E,
        false,
        [],
        "A loop, a row generator or the rows the run processed went past qsa's limits; the run stops."
    ),
    lint!(
        codes::RECURSION_LIMIT,
        "QSA105",
        "recursion-limit",
        E,
        false,
        [],
        "CALLs or includes nested too deep; the run stops."
    ),
    lint!(
        codes::EXPRESSION,
        "QSA106",
        "expression-error",
        VARIES,
        false,
        [],
        "An expression that cannot be evaluated."
    ),
    lint!(
        codes::SOURCE_MISSING,
        "QSA107",
        "source-missing",
        VARIES,
        false,
        ["S2"],
        "A load source that cannot be read."
    ),
    lint!(
        codes::UNSUPPORTED_LOAD,
        "QSA108",
        "unsupported-load",
        VARIES,
        false,
        [],
        "A load qsa cannot run faithfully: a prefix, function or source it does not implement, an unknown variable."
    ),
    lint!(
        codes::BINARY,
        "QSA109",
        "binary-load",
        E,
        false,
        [],
        "`BINARY`: the model and Section Access it brings are unknown."
    ),
    lint!(
        codes::TABLE_NOT_FOUND,
        "QSA110",
        "table-not-found",
        VARIES,
        false,
        [],
        "A table or field that does not exist is named: the reload fails."
    ),
    lint!(
        codes::LOWERCASE_SECURITY_VALUE,
        "QSA111",
        "lowercase-security-value",
        W,
        true,
        ["S4", "I3", "L1", "R2"],
        "A security value with lower-case letters that its load does not upper-case."
    ),
    lint!(
        codes::INVISIBLE_WHITESPACE,
        "QSA112",
        "invisible-whitespace",
        W,
        true,
        ["S5"],
        "A security value holding a tab or a non-breaking space."
    ),
    lint!(
        codes::STORE_SKIPPED,
        "QSA113",
        "store-skipped",
        I,
        true,
        [],
        "`STORE` is not written; the table is kept for later loads."
    ),
    lint!(
        codes::EXPANSION,
        "QSA114",
        "expansion-failed",
        E,
        false,
        ["S6"],
        "A `$(…)` expansion that failed."
    ),
    lint!(
        codes::STATEMENT_SKIPPED,
        "QSA115",
        "statement-skipped",
        W,
        false,
        [],
        "A statement qsa deliberately does not run (`EXECUTE`)."
    ),
    lint!(
        codes::UNKNOWN_EFFECT,
        "QSA116",
        "unknown-effect",
        E,
        false,
        ["S2", "S7"],
        "A step whose effect on Section Access qsa cannot know."
    ),
    lint!(
        codes::RELOAD_FAILS,
        "QSA117",
        "reload-fails",
        E,
        false,
        [],
        "An `EXIT ERROR` runs: the reload fails and publishes nothing."
    ),
    lint!(
        codes::MEMORY_LIMIT,
        "QSA118",
        "memory-limit",
        E,
        false,
        [],
        "The input needs more memory than `--max-memory` allows; the run stops."
    ),
    // --- the security model
    lint!(
        codes::SA_UNLINKED_FIELD,
        "QSA201",
        "unlinked-reduction-field",
        E,
        true,
        ["A2"],
        "A reduction field with no app field of exactly the same name."
    ),
    lint!(
        codes::SA_BLANK_IDENTITY,
        "QSA202",
        "blank-identity",
        W,
        true,
        ["I2"],
        "A blank identity cell matches nobody: the row never applies."
    ),
    lint!(
        codes::SA_MIXED_ACCESS,
        "QSA203",
        "mixed-access",
        W,
        true,
        ["L2"],
        "One identity is granted both ADMIN and USER."
    ),
    lint!(
        codes::SA_CROSS_PRODUCT,
        "QSA204",
        "cross-product",
        W,
        true,
        ["R3"],
        "One identity's rows combine two reduction fields: Qlik grants the cross product."
    ),
    lint!(
        codes::SA_INVALID_ACCESS,
        "QSA205",
        "invalid-access",
        W,
        true,
        ["L1"],
        "An ACCESS value that is neither ADMIN nor USER."
    ),
    lint!(
        codes::SA_OMIT_UNKNOWN,
        "QSA206",
        "omit-unknown-field",
        W,
        true,
        ["O1"],
        "OMIT names no app field: it omits nothing."
    ),
    lint!(
        codes::SA_OMIT_KEY,
        "QSA207",
        "omit-key-field",
        W,
        true,
        ["O1"],
        "OMIT of a key field: Qlik keeps the key without content."
    ),
    lint!(
        codes::SA_VALUE_NOT_IN_DATA,
        "QSA208",
        "value-not-in-data",
        W,
        true,
        ["R2"],
        "A reduction value that the app field does not hold."
    ),
    lint!(
        codes::SA_NO_ADMIN,
        "QSA209",
        "no-admin",
        W,
        true,
        ["L2"],
        "No row grants ADMIN."
    ),
    lint!(
        codes::SA_NO_RELOAD_IDENTITY,
        "QSA210",
        "no-reload-identity",
        VARIES,
        true,
        ["U1"],
        "No unreduced ADMIN row for `INTERNAL\\SA_SCHEDULER` (client-managed)."
    ),
    lint!(
        codes::SA_GROUP_MODE_INVALID,
        "QSA211",
        "invalid-group-mode",
        E,
        false,
        ["S7"],
        "`QlikCloudGroupMode` is not 0, 1 or 2: qsa refuses to guess."
    ),
    lint!(
        codes::SA_INTERNAL_LINK,
        "QSA212",
        "internal-link",
        I,
        true,
        ["A3"],
        "A field shared by security tables but absent from the app."
    ),
    lint!(
        codes::SA_CIRCULAR,
        "QSA213",
        "circular-reference",
        E,
        false,
        ["R5"],
        "A circular reference: the reduction would be ambiguous."
    ),
    lint!(
        codes::SA_NESTED_SYNTHETIC,
        "QSA214",
        "nested-synthetic-keys",
        E,
        false,
        ["R4"],
        "Tables linked by overlapping field combinations."
    ),
    lint!(
        codes::SA_NOT_EVALUABLE,
        "QSA215",
        "not-evaluable",
        E,
        false,
        [],
        "Security or linked data is not known faithfully: qsa refuses to evaluate users."
    ),
    lint!(
        codes::SA_NO_SECTION_ACCESS,
        "QSA216",
        "no-section-access",
        I,
        true,
        ["S2"],
        "The script loads no Section Access: every user sees everything."
    ),
    lint!(
        codes::SA_GROUP_UNKNOWN,
        "QSA217",
        "unknown-group",
        I,
        true,
        ["I6"],
        "A GROUP value that matches no group of the directory."
    ),
    // --- security model lints of issue 11 (QSA218–QSA224)
    lint!(
        codes::SA_APP_TABLE_IN_ACCESS,
        "QSA218",
        "app-table-in-access",
        W,
        true,
        ["S2", "A2", "A3"],
        "App data loaded in Section Access: it becomes part of the security model."
    ),
    lint!(
        codes::SA_LOWERCASE_APP_VALUES,
        "QSA219",
        "lowercase-app-values",
        W,
        true,
        ["R2", "S4"],
        "Lower-case values in an app field used for reduction: no row can select them."
    ),
    lint!(
        codes::SA_STAR_MISSES_VALUES,
        "QSA220",
        "star-misses-values",
        W,
        true,
        ["R1"],
        "`*` in a reduction field, while the app holds values the column never lists."
    ),
    lint!(
        codes::SA_GROUP_MODE_UNSET,
        "QSA221",
        "group-mode-unset",
        I,
        true,
        ["S7", "I6"],
        "GROUP used while `QlikCloudGroupMode` is unset: only IdP groups match."
    ),
    lint!(
        codes::SA_GROUP_MODE_NO_EFFECT,
        "QSA222",
        "group-mode-no-effect",
        I,
        true,
        ["S7", "I6"],
        "`QlikCloudGroupMode` set for a client-managed target: it has no effect."
    ),
    lint!(
        codes::SA_SYSTEM_FIELD_IN_APP,
        "QSA223",
        "system-field-in-app",
        W,
        true,
        ["A1"],
        "An app field named like a Section Access system field."
    ),
    lint!(
        codes::SA_STAR_IN_APPLICATION,
        "QSA224",
        "star-is-in-application",
        VARIES,
        true,
        ["R1"],
        "`Star is` in force while the application section loads, with Section Access."
    ),
    // --- security rows and listed identities (QSA225–QSA230)
    lint!(
        codes::SA_STRICT_EXCLUSION_DENIED,
        "QSA225",
        "strict-exclusion-denied",
        W,
        true,
        ["R2"],
        "Listed USER identities whose values of a reduction field all miss the data: denied."
    ),
    lint!(
        codes::SA_DUPLICATE_ROW,
        "QSA226",
        "duplicate-row",
        W,
        true,
        ["S4", "S5"],
        "Security rows identical after Qlik's upper-casing and trimming."
    ),
    lint!(
        codes::SA_CONTRADICTING_ROWS,
        "QSA227",
        "contradicting-rows",
        W,
        true,
        ["L2"],
        "Security rows equal in every cell but ACCESS: one of them is dead."
    ),
    lint!(
        codes::SA_NUMERIC_TEXT,
        "QSA228",
        "numeric-text-mismatch",
        W,
        true,
        ["R2"],
        "A security value and an app value are one number written differently (`01` / `1`)."
    ),
    lint!(
        codes::SA_EVERYONE_EVERYTHING,
        "QSA229",
        "everyone-everything",
        W,
        true,
        ["I1", "R1"],
        "A row grants every user every listed value (`*` identities, `*` reductions)."
    ),
    lint!(
        codes::SA_EMPTY_TABLE,
        "QSA230",
        "empty-security-table",
        VARIES,
        true,
        ["L1", "S2"],
        "A security table with no rows; when all are empty, everyone is locked out."
    ),
    // --- users and results
    lint!(
        codes::USER_DEPENDS_ON_DEC,
        "QSA301",
        "depends-on-decision",
        W,
        true,
        [],
        "A user's result depends on a rule qsa decided."
    ),
    lint!(
        codes::USER_EMPTY_APP,
        "QSA302",
        "empty-app",
        W,
        true,
        ["R6"],
        "A user is granted access but keeps no row: the app opens empty."
    ),
    lint!(
        codes::USER_GROUP_COLLISION,
        "QSA303",
        "group-collision",
        W,
        true,
        ["I6"],
        "Two groups of a user collide after upper-casing."
    ),
    lint!(
        codes::USER_RELOAD_DENIED,
        "QSA304",
        "reload-user-denied",
        E,
        true,
        ["U2"],
        "The reloading user is not granted access."
    ),
    lint!(
        codes::USER_NOT_FOUND,
        "QSA305",
        "user-not-found",
        E,
        false,
        [],
        "The requested user is not in the directory."
    ),
    // --- inputs
    lint!(
        codes::DIRECTORY_MALFORMED,
        "QSA401",
        "directory-malformed",
        E,
        false,
        [],
        "A directory or groups file that cannot be read."
    ),
    lint!(
        codes::DIRECTORY_UNKNOWN_STATUS,
        "QSA402",
        "unknown-status",
        W,
        false,
        [],
        "A directory user with an unknown status, evaluated as denied."
    ),
    lint!(
        codes::DIRECTORY_DUPLICATE,
        "QSA403",
        "duplicate-user",
        W,
        false,
        [],
        "The same user id twice in the directory."
    ),
    lint!(
        codes::SNAPSHOT_MALFORMED,
        "QSA404",
        "snapshot-malformed",
        E,
        false,
        [],
        "A snapshot that is not well formed."
    ),
    lint!(
        codes::CONFIG_INVALID,
        "QSA405",
        "config-invalid",
        E,
        false,
        [],
        "A lint setting (qsa.toml, a flag, a `qsa: allow` comment) that cannot be applied."
    ),
    lint!(
        codes::TENANT_INPUT,
        "QSA420",
        "tenant-input",
        E,
        false,
        [],
        "A tenant export that is missing, unreadable or malformed."
    ),
    lint!(
        codes::TENANT_APP,
        "QSA421",
        "tenant-app",
        E,
        false,
        [],
        "`--app` matches no app, or several."
    ),
    lint!(
        codes::TENANT_NOT_EVALUABLE,
        "QSA422",
        "tenant-not-evaluable",
        E,
        false,
        ["T4", "T12"],
        "The tenant exports cannot be evaluated faithfully."
    ),
    lint!(
        codes::TENANT_IGNORED,
        "QSA423",
        "tenant-ignored",
        VARIES,
        false,
        ["T6", "T12", "T14"],
        "Tenant configuration qsa ignores or doubts."
    ),
    // --- the tenant tier and Section Access disagree
    lint!(
        codes::TENANT_GRANTED_CANNOT_OPEN,
        "QSA430",
        "granted-cannot-open",
        VARIES,
        true,
        ["T10", "T11", "T12", "T13", "T14", "T15"],
        "Section Access grants a user who cannot open the app."
    ),
    lint!(
        codes::TENANT_OPENS_SA_DENIES,
        "QSA431",
        "opens-but-denied",
        E,
        true,
        ["T11", "T15", "L1", "R2"],
        "Users open the app but Section Access denies them: they get an error."
    ),
    lint!(
        codes::TENANT_SA_GROUP_NO_SPACE_ROLE,
        "QSA432",
        "group-without-space-role",
        W,
        true,
        ["T11", "T12", "T14", "I6"],
        "A group used in GROUP holds no space role or share that opens the app."
    ),
    lint!(
        codes::TENANT_SPACE_ROLE_GROUP_UNLISTED,
        "QSA433",
        "space-role-group-unlisted",
        W,
        true,
        ["T12", "I6"],
        "An opening space role goes to a group Section Access never lists."
    ),
    lint!(
        codes::TENANT_GROUP_MODE_EXCLUDES,
        "QSA434",
        "group-mode-excludes",
        W,
        true,
        ["S7", "I6", "T2"],
        "GROUP names a group of a provider `QlikCloudGroupMode` excludes."
    ),
    lint!(
        codes::TENANT_DOWNLOAD_SENSITIVE,
        "QSA435",
        "download-sensitive",
        W,
        true,
        ["O1", "T16", "T17"],
        "Users who can download keep fields OMIT hides from others."
    ),
];

/// The entry of a code (`QSA204`, any case) or a name (`cross-product`).
pub fn find(key: &str) -> Option<&'static Lint> {
    CATALOG
        .iter()
        .find(|l| l.code.eq_ignore_ascii_case(key) || l.name.eq_ignore_ascii_case(key))
}

/// The entry of a code as diagnostics carry it.
pub fn by_code(code: &str) -> Option<&'static Lint> {
    CATALOG.iter().find(|l| l.code == code)
}

/// Names close to `key` (for "did you mean"): same prefix or one edit away.
pub fn suggest(key: &str) -> Vec<&'static str> {
    let k = key.to_ascii_lowercase();
    let mut out: Vec<&'static str> = CATALOG
        .iter()
        .filter(|l| {
            let n = l.name;
            // Lengths more than 2 apart are more than 2 edits apart: no quadratic work on a long key.
            (k.len() >= 4 && (n.starts_with(&k) || n.contains(&k)))
                || (k.len().abs_diff(n.len()) <= 2 && edit_distance(&k, n) <= 2)
        })
        .map(|l| l.name)
        .collect();
    out.truncate(3);
    out
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}
