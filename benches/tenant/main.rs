//! `cargo bench --bench tenant -- --size 1m-10k`: the side-by-side tenant benchmark (qsa against a DuckDB
//! script on generated models). This only runs the Python driver, `benches/tenant/run.py`, with the qsa
//! binary cargo built for this bench, and forwards its exit code. See `benches/tenant/README.md`.
//!
//! The same file serves `cargo bench --bench tenant_tier` (the tenant stage at scale): each bench runs
//! `benches/<bench name>/run.py`.

use std::process::{exit, Command};

pub fn main() {
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/",
        env!("CARGO_CRATE_NAME")
    );
    // `cargo bench` appends `--bench`; the driver takes the other arguments.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    let python = std::env::var("PYTHON").unwrap_or_else(|_| "python3".to_string());
    let mut cmd = Command::new(&python);
    cmd.arg(format!("{dir}/run.py"));
    // The qsa binary cargo built for this bench (bench profile = release), unless --qsa is given.
    if let Some(qsa) = option_env!("CARGO_BIN_EXE_qsa") {
        if !args.iter().any(|a| a == "--qsa" || a.starts_with("--qsa=")) {
            cmd.arg("--qsa").arg(qsa);
        }
    }
    let status = cmd.args(&args).status();
    match status {
        Ok(s) => exit(s.code().unwrap_or(1)),
        Err(e) => {
            eprintln!("could not run {python} {dir}/run.py: {e}");
            exit(2)
        }
    }
}
