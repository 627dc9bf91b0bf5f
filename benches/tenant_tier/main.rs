//! `cargo bench --bench tenant_tier -- --size full`: the tenant stage against Section Access at 100k users.
//! Runs `benches/tenant_tier/run.py` with the qsa binary cargo built for this bench, through the launcher
//! of the DuckDB benchmark (which runs `benches/<bench name>/run.py`). See `benches/tenant_tier/README.md`.

#[path = "../tenant/main.rs"]
mod launcher;

fn main() {
    launcher::main()
}
