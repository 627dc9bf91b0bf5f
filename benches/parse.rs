//! Parse throughput: builds a ~5 MB script from the fixtures (the large app script and every valid
//! fixture, repeated), parses it N times and prints the median MB/s.
//!
//! Run: `cargo bench --bench parse`

use qsa::diag::SourceId;
use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut parts = Vec::new();
    for dir in ["large", "valid"] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join(dir))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        files.sort();
        for f in files {
            if f.extension().is_some_and(|x| x == "qvs") {
                if let Ok(b) = std::fs::read(&f) {
                    parts.push(qsa::diag::decode_script_bytes(&b));
                }
            }
        }
    }
    if parts.is_empty() {
        eprintln!("no fixtures found under {}", root.display());
        std::process::exit(2);
    }
    const TARGET: usize = 5 * 1024 * 1024;
    let mut text = String::with_capacity(TARGET + 100_000);
    let mut i = 0;
    while text.len() < TARGET {
        text.push_str(&parts[i % parts.len()]);
        text.push('\n');
        i += 1;
    }
    let runs: usize = std::env::var("QSA_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(9);
    let mut rates = Vec::new();
    let mut stmts = 0;
    let mut errors = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let p = qsa::syntax::parse_script(SourceId(0), &text);
        let secs = t.elapsed().as_secs_f64();
        stmts = p.script.statements.len();
        errors = p.diagnostics.iter().filter(|d| d.is_error()).count();
        rates.push(text.len() as f64 / 1_000_000.0 / secs);
    }
    rates.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    let median = rates[rates.len() / 2];
    println!(
        "parse: {:.2} MB script, {} top-level statements, {} errors, {} runs: median {:.1} MB/s (min {:.1}, max {:.1})",
        text.len() as f64 / 1_000_000.0,
        stmts,
        errors,
        runs,
        median,
        rates[0],
        rates[rates.len() - 1]
    );
}
