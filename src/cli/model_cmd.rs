//! `qsa model SCRIPT [--lib …] [--table …] [--format human|json]`: run the script and print what it loaded.
//!
//! Exit 0 when the run produced no error, 1 when it did (the model is still printed, the errors go to
//! stderr), 2 when the script cannot be read, a flag is malformed, or the run stopped at `--max-memory`
//! (QSA118: then no model is printed, it would be a fragment).

use super::{Exit, ModelArgs, TableFormat};
use crate::report::model::{render_human, render_json, ModelSummary};

pub fn run(args: ModelArgs) -> Exit {
    let opts = match args.run.options() {
        Ok(o) => o,
        Err(msg) => {
            errln!("qsa: {msg}");
            return Exit::CouldNotRun;
        }
    };
    let result = match crate::script::run_file(&args.script, &opts) {
        Ok(r) => r,
        Err(e) => {
            errln!("qsa: cannot read {}: {e}", args.script.display());
            return Exit::CouldNotRun;
        }
    };
    let mut diags = result.diagnostics.clone();
    crate::diag::sort_diagnostics(&mut diags);
    if !diags.is_empty() {
        errp!(
            "{}",
            crate::report::diagnostics::render_human(&diags, &result.sources, false)
        );
    }
    if diags
        .iter()
        .any(|d| d.code == crate::diag::codes::MEMORY_LIMIT)
    {
        return Exit::CouldNotRun;
    }
    let summary = ModelSummary::from_run(&result);
    match args.format {
        TableFormat::Json => super::out(&format!("{}\n", render_json(&summary))),
        _ => super::out(&render_human(&summary)),
    }
    if result.has_errors() {
        Exit::Findings
    } else {
        Exit::Ok
    }
}
