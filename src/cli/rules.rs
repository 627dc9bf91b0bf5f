//! `qsa rules [CODE|NAME] [--format human|json]`: the lint catalogue, or one lint's documentation.
//! Exit 0, or 2 for an unknown code or name.

use super::Exit;
use crate::lints::{catalog, CATALOG};
use crate::report::rules::{render_json, render_list, render_one};
use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum, Default)]
pub enum RulesFormat {
    #[default]
    Human,
    Json,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A code (`QSA204`) or name (`cross-product`); without it, the whole catalogue
    pub lint: Option<String>,
    #[arg(long, value_enum, default_value_t = RulesFormat::Human)]
    pub format: RulesFormat,
}

pub fn run(args: RulesArgs) -> Exit {
    let Some(key) = args.lint.as_deref() else {
        super::out(&match args.format {
            RulesFormat::Human => render_list(CATALOG),
            RulesFormat::Json => render_json(&CATALOG.iter().collect::<Vec<_>>(), false),
        });
        return Exit::Ok;
    };
    match catalog::find(key.trim()) {
        Some(l) => {
            super::out(&match args.format {
                RulesFormat::Human => render_one(l),
                RulesFormat::Json => render_json(&[l], true),
            });
            Exit::Ok
        }
        None => {
            let near = catalog::suggest(key.trim());
            if near.is_empty() {
                errln!("qsa: `{key}` is not a qsa code or lint name; `qsa rules` lists them");
            } else {
                errln!(
                    "qsa: `{key}` is not a qsa code or lint name; did you mean {}?",
                    near.join(", ")
                );
            }
            Exit::CouldNotRun
        }
    }
}
