//! `--max-memory`, `--max-expansion`, `--max-generated-rows` and `--max-rows-processed`, shared by every command that runs a script (`docs/limits.md`).

use clap::Args;

/// What one run may allocate.
#[derive(Args, Debug, Clone)]
pub struct LimitArgs {
    /// Most data qsa may hold while running the script, e.g. `512M`, `4G` (tables, variables, files
    /// read, expansion texts, accounted as they are allocated); past it the run stops (QSA118, exit 2)
    #[arg(long, value_name = "SIZE", default_value = "8G", value_parser = crate::limits::parse_size)]
    pub max_memory: u64,
    /// Most text one statement's `$(…)` expansion may produce, e.g. `16M` (QSA114 past it)
    #[arg(long, value_name = "SIZE", default_value = "16M", value_parser = crate::limits::parse_size)]
    pub max_expansion: u64,
    /// Most rows one load may generate by `AUTOGENERATE`, a `WHILE` clause or `SubField()` from one
    /// record (QSA104 past it)
    #[arg(long, value_name = "N", default_value_t = crate::limits::DEFAULT_MAX_GENERATED_ROWS)]
    pub max_generated_rows: u64,
    /// Most rows the whole run may process: every load's rows in and out, both sides of each JOIN or
    /// KEEP and its result, the rows STORE writes, all together (QSA104 past it): the bound on a run's
    /// time, e.g. loops that re-read the tables they grow
    #[arg(long, value_name = "N", default_value_t = crate::limits::DEFAULT_MAX_ROWS_PROCESSED)]
    pub max_rows_processed: u64,
}

impl Default for LimitArgs {
    fn default() -> Self {
        let d = crate::limits::Limits::default();
        LimitArgs {
            max_memory: d.max_memory,
            max_expansion: d.max_expansion,
            max_generated_rows: d.max_generated_rows,
            max_rows_processed: d.max_rows_processed,
        }
    }
}

impl LimitArgs {
    pub fn limits(&self) -> crate::limits::Limits {
        crate::limits::Limits {
            max_memory: self.max_memory,
            max_expansion: self.max_expansion,
            max_generated_rows: self.max_generated_rows,
            max_rows_processed: self.max_rows_processed,
        }
    }
}
