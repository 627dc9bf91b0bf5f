//! `qsa model SCRIPT [--lib …] [--table …] [--format human|json]`: run the script and print what it loaded.
//!
//! Exit 0 when the run produced no error, 1 when it did (the model is still printed, the errors go to
//! stderr), 2 when the script cannot be read or a flag is malformed.

use super::{Exit, ModelArgs, TableFormat};
use crate::report::model::{render_human, render_json, ModelSummary};

pub fn run(args: ModelArgs) -> Exit {
    let opts = match args.run.options() {
        Ok(o) => o,
        Err(msg) => {
            eprintln!("qsa: {msg}");
            return Exit::CouldNotRun;
        }
    };
    let result = match crate::script::run_file(&args.script, &opts) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("qsa: cannot read {}: {e}", args.script.display());
            return Exit::CouldNotRun;
        }
    };
    let mut diags = result.diagnostics.clone();
    crate::diag::sort_diagnostics(&mut diags);
    if !diags.is_empty() {
        eprint!(
            "{}",
            crate::report::diagnostics::render_human(&diags, &result.sources, false)
        );
    }
    let summary = ModelSummary::from_run(&result);
    match args.format {
        TableFormat::Json => println!("{}", render_json(&summary)),
        _ => print!("{}", render_human(&summary)),
    }
    if result.has_errors() {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
