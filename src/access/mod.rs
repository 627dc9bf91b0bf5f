//! The security model (rules S7, A1–A3, I1–I6, L1–L3, U1–U2) and the user directory.
//!
//! - [`directory`]: who to evaluate (simple JSON/CSV, Qlik Cloud exports, the command line).
//! - [`model`]: the Section Access tables as a model: system vs reduction fields (A1, A2), identity
//!   matching per target (I1–I6), access levels (L1–L3), lints.

pub mod directory;
pub mod model;
pub mod model_lints;
pub mod row_lints;

use crate::diag::{codes, Diagnostic};
use serde::Serialize;
use std::collections::BTreeMap;

/// The product whose Section Access behaviour is evaluated. QlikView (NTNAME, optional strict exclusion)
/// will be a further variant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Target {
    /// Qlik Cloud: USERID = IdP subject, USER.EMAIL = e-mail, GROUP per `QlikCloudGroupMode` (I5, I6).
    Cloud,
    /// Qlik Sense client-managed: USERID = `USERDIRECTORY\USERID`, GROUP = directory groups (I5, I6).
    ClientManaged,
}

impl Target {
    /// The name used in reports (`cloud`, `client-managed`).
    pub fn as_str(&self) -> &'static str {
        match self {
            Target::Cloud => "cloud",
            Target::ClientManaged => "client-managed",
        }
    }
}

/// `QlikCloudGroupMode` (S7, I6): which of a user's groups GROUP is compared with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum GroupMode {
    /// 0: IdP groups (the default when the variable is unset).
    Idp = 0,
    /// 1: custom groups.
    Custom = 1,
    /// 2: both.
    Both = 2,
}

impl GroupMode {
    pub fn number(&self) -> u8 {
        *self as u8
    }
}

/// The variable S7 reads.
pub use crate::script::GROUP_MODE_VARIABLE;

/// S7: the group mode from the variables at the end of the script. Unset = 0. Any value other than 0, 1 or
/// 2 is an error for the cloud target (we refuse to guess which groups apply); for client-managed the
/// variable has no effect and a bad value is only a warning. Returns the mode and whether the script set
/// the variable.
pub fn group_mode(
    variables: &BTreeMap<String, String>,
    target: Target,
) -> (GroupMode, bool, Option<Diagnostic>) {
    let Some(raw) = variables.get(GROUP_MODE_VARIABLE) else {
        // A variable whose name differs only in case is a different variable for Qlik: say so.
        let near = variables
            .keys()
            .find(|k| k.eq_ignore_ascii_case(GROUP_MODE_VARIABLE));
        let d = near.map(|k| {
            Diagnostic::warning(
                codes::SA_GROUP_MODE_INVALID,
                format!("variable `{k}` is not `{GROUP_MODE_VARIABLE}` (variable names are case-sensitive): the group mode is 0 (IdP groups)"),
            )
            .with_rule("S7")
        });
        return (GroupMode::Idp, false, d);
    };
    let n = crate::model::value::parse_number(raw.trim());
    let mode = match n {
        Some(0.0) => Some(GroupMode::Idp),
        Some(1.0) => Some(GroupMode::Custom),
        Some(2.0) => Some(GroupMode::Both),
        _ => None,
    };
    match mode {
        Some(m) => (m, true, None),
        None => {
            let msg = format!(
                "`{GROUP_MODE_VARIABLE}` is `{raw}` at the end of the script; only 0 (IdP groups), 1 (custom groups) and 2 (both) are valid"
            );
            let d = if target == Target::Cloud {
                Diagnostic::error(codes::SA_GROUP_MODE_INVALID, msg).with_help(
                    "qsa refuses to guess which groups apply; set the variable to 0, 1 or 2",
                )
            } else {
                Diagnostic::warning(codes::SA_GROUP_MODE_INVALID, msg)
                    .with_help("the variable has no effect on client-managed Qlik Sense")
            };
            (GroupMode::Idp, true, Some(d.with_rule("S7")))
        }
    }
}
