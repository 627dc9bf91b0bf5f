//! Progress bars: on stderr, only when stderr is a terminal and `--quiet` is not given; never on stdout.

use std::process::Command;

const REPORT: [&str; 4] = [
    "report",
    "fixtures/example/sales.qvs",
    "--directory",
    "fixtures/example/users.json",
];

fn qsa(extra: &[&str]) -> (i32, Vec<u8>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_qsa"))
        .args(REPORT)
        .args(extra)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the qsa binary runs");
    (
        out.status.code().unwrap_or(-1),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Text only a progress bar writes: its phases, carriage returns, terminal escapes.
fn progress_text(s: &str) -> Vec<&'static str> {
    ["running ", "reading ", "evaluating ", "\r", "\u{1b}["]
        .into_iter()
        .filter(|n| s.contains(n))
        .collect()
}

#[test]
fn no_progress_when_stderr_is_not_a_terminal() {
    for format in ["human", "json", "csv", "html"] {
        let (code, stdout, stderr) = qsa(&["--format", format]);
        assert_eq!(code, 0, "{stderr}");
        // The human report prints the script's diagnostics on stderr (the example has a QSA220
        // warning); nothing else may be there.
        let stderr_rest = if format == "human" {
            stderr.split("warning[QSA220]").next().unwrap_or_default()
        } else {
            stderr.as_str()
        };
        assert!(
            progress_text(&stderr).is_empty() && stderr_rest.is_empty(),
            "--format {format}: stderr holds {:?}: {stderr}",
            progress_text(&stderr)
        );
        let stdout = String::from_utf8_lossy(&stdout);
        for marker in ["\r", "\u{1b}[", "evaluating 6 users", "running sales.qvs"] {
            assert!(
                !stdout.contains(marker),
                "--format {format}: stdout holds {marker:?}"
            );
        }
    }
}

/// Under a pseudo-terminal (util-linux `script`, part of every Debian system) the bars show on stderr,
/// stdout (redirected to a file) is the same as without a terminal, and `--quiet` silences them.
#[test]
fn progress_on_a_terminal_goes_to_stderr_only() {
    let has_script = Command::new("script").arg("--version").output().is_ok();
    if !has_script {
        eprintln!("skipped: util-linux `script` (a pseudo-terminal) is not installed");
        return;
    }
    let dir = std::env::temp_dir().join(format!("qsa-progress-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let (_, plain, _) = qsa(&["--format", "json"]);
    for (quiet, expect_bars) in [(false, true), (true, false)] {
        let out_file = dir.join(format!("out-{quiet}.json"));
        let cmd = format!(
            "{} {} --format json {} > {}",
            env!("CARGO_BIN_EXE_qsa"),
            REPORT.join(" "),
            if quiet { "--quiet" } else { "" },
            out_file.display()
        );
        let tty = Command::new("script")
            .args(["-qec", &cmd, "/dev/null"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("script runs");
        let shown = String::from_utf8_lossy(&tty.stdout).into_owned();
        assert!(tty.status.success(), "{shown}");
        let stdout = std::fs::read(&out_file).expect("stdout went to the file");
        assert_eq!(
            stdout, plain,
            "stdout is the same with a terminal on stderr"
        );
        if expect_bars {
            assert!(shown.contains("running sales.qvs"), "{shown:?}");
            assert!(shown.contains("reading sales.csv"), "{shown:?}");
            assert!(shown.contains("evaluating 6 users"), "{shown:?}");
        } else {
            assert_eq!(progress_text(&shown), Vec::<&str>::new(), "{shown:?}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// The library's hooks: the runner reports each file it reads, `evaluate` its phases; each phase ends.
#[test]
fn library_reports_file_reads_and_evaluation_phases() {
    use qsa::progress::{Progress, ProgressRef};
    use std::sync::{Arc, Mutex};

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);
    impl Log {
        fn push(&self, s: String) {
            if let Ok(mut l) = self.0.lock() {
                l.push(s);
            }
        }
    }
    impl Progress for Log {
        fn start(&self, phase: &str, total: u64) {
            self.push(format!("start {phase} {total}"));
        }
        fn inc(&self, n: u64) {
            self.push(format!("inc {n}"));
        }
        fn finish(&self) {
            self.push("finish".into());
        }
    }

    let log = Arc::new(Log::default());
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let opts = qsa::script::RunOptions {
        progress: ProgressRef(log.clone()),
        ..Default::default()
    };
    let run = qsa::script::run_file(&root.join("fixtures/example/sales.qvs"), &opts).expect("runs");
    let mut prepared =
        qsa::reduce::prepare(&run, qsa::access::Target::Cloud).unwrap_or_else(|d| panic!("{d:?}"));
    prepared.set_progress(ProgressRef(log.clone()));
    let users = prepared.listed_users();
    let _ = prepared.evaluate(&users, false);
    let lines = log.0.lock().map(|l| l.clone()).unwrap_or_default();
    let size = |f: &str| {
        std::fs::metadata(root.join("fixtures/example/data").join(f))
            .map(|m| m.len())
            .unwrap_or(0)
    };
    let regions = format!("start reading regions.csv {}", size("regions.csv"));
    let sales = format!("start reading sales.csv {}", size("sales.csv"));
    let evaluating = format!(
        "start evaluating {} users {}",
        users.len(),
        qsa::reduce::EVALUATE_STEPS
    );
    for want in [&regions, &sales, &evaluating] {
        assert!(lines.contains(want), "{want} in {lines:?}");
    }
    // Every phase that starts finishes; no more steps than announced.
    let starts = lines.iter().filter(|l| l.starts_with("start ")).count();
    let finishes = lines.iter().filter(|l| *l == "finish").count();
    assert_eq!(starts, finishes, "{lines:?}");
    let at = lines.iter().position(|l| *l == evaluating).unwrap_or(0);
    let steps: u64 = lines[at..]
        .iter()
        .filter_map(|l| l.strip_prefix("inc ")?.parse::<u64>().ok())
        .sum();
    assert!(
        (5..=qsa::reduce::EVALUATE_STEPS).contains(&steps),
        "{lines:?}"
    );
}
