//! Parse throughput: builds a ~5 MB script from the fixtures (the large app script and every valid
//! fixture, repeated), parses it N times and prints the median MB/s.
//!
//! Baseline, measured in the same run and interleaved with the parse runs (so machine noise hits both):
//! a byte-level pass that splits the text into lines and `;`-separated pieces and counts non-blank ones —
//! the least any reader of the script must do. The ratio parse time / baseline time is the figure to
//! compare across machines.
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
                    let text = qsa::diag::decode_script_bytes(&b);
                    // Only scripts that parse cleanly on their own: a fixture that, say, leaves a
                    // `/*` open on purpose would swallow whatever follows it in the concatenation.
                    let alone = qsa::syntax::parse_script(SourceId(0), &text);
                    if alone
                        .diagnostics
                        .iter()
                        .all(|d| d.severity == qsa::diag::Severity::Info)
                    {
                        parts.push(text);
                    }
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
    let mut base_rates = Vec::new();
    let mut ratios = Vec::new();
    let mut stmts = 0;
    let mut errors = 0;
    let mut pieces = 0;
    for _ in 0..runs {
        let t = Instant::now();
        pieces = baseline(&text);
        let base_secs = t.elapsed().as_secs_f64();
        base_rates.push(text.len() as f64 / 1_000_000.0 / base_secs);
        let t = Instant::now();
        let p = qsa::syntax::parse_script(SourceId(0), &text);
        let secs = t.elapsed().as_secs_f64();
        stmts = p.script.statements.len();
        errors = p.diagnostics.iter().filter(|d| d.is_error()).count();
        rates.push(text.len() as f64 / 1_000_000.0 / secs);
        ratios.push(secs / base_secs);
    }
    let median_of = |v: &mut Vec<f64>| {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        v[v.len() / 2]
    };
    let base_median = median_of(&mut base_rates);
    let ratio_median = median_of(&mut ratios);
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
    println!(
        "baseline (split lines and `;`, {pieces} pieces): median {base_median:.1} MB/s; parse takes {ratio_median:.1}x the baseline's time (median of per-run ratios)"
    );
}

/// The baseline: touch every byte once, split into lines, split lines at `;`, count non-blank pieces.
fn baseline(text: &str) -> usize {
    std::hint::black_box(text)
        .lines()
        .flat_map(|l| l.split(';'))
        .filter(|p| !p.trim().is_empty())
        .count()
}
