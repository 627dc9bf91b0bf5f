use std::io::Write as _;
use std::sync::Mutex;

/// Stack of the thread qsa runs on. Parsing and running recurse on expression trees, whose depth the
/// parser bounds (`syntax::lex::MAX_EXPR_DEPTH`, `MAX_EXPR_OPERATORS`); this leaves ample room for the
/// deepest tree it accepts, in a debug build too. Only the pages used are committed.
const STACK: usize = 256 << 20;

/// Panic messages held back, the last [`HELD_MAX`]. qsa catches a panic inside polars, openqvd or calamine
/// and refuses the file with a located diagnostic that quotes the panic's message (exit 2); Rust's default
/// hook would also print the panic, on any thread, as if qsa had crashed. A panic that is not caught (a
/// bug in qsa) ends the run, and then every held message is printed.
static HELD: Mutex<Vec<String>> = Mutex::new(Vec::new());
const HELD_MAX: usize = 8;

fn hold_panics() {
    let backtrace = std::env::var_os("RUST_BACKTRACE").is_some_and(|v| v != "0");
    std::panic::set_hook(Box::new(move |info| {
        let thread = std::thread::current();
        let mut msg = format!("thread '{}' {info}", thread.name().unwrap_or("<unnamed>"));
        if backtrace {
            msg.push_str(&format!("\n{}", std::backtrace::Backtrace::force_capture()));
        }
        if let Ok(mut held) = HELD.lock() {
            // The latest: the one that ends the run is the last to happen.
            if held.len() == HELD_MAX {
                held.remove(0);
            }
            held.push(msg);
        }
    }));
}

/// An uncaught panic: print what was held, and exit as a panicking main thread would (101).
fn crashed() -> std::process::ExitCode {
    let held = HELD.lock().map(|h| h.clone()).unwrap_or_default();
    let mut err = std::io::stderr().lock();
    let _ = writeln!(
        err,
        "qsa: internal error, a bug in qsa (please report it with the input that caused it):"
    );
    for m in held {
        let _ = writeln!(err, "{m}");
    }
    std::process::ExitCode::from(101)
}

fn main() -> std::process::ExitCode {
    hold_panics();
    let run = std::thread::Builder::new()
        .name("qsa".into())
        .stack_size(STACK)
        .spawn(qsa::cli::main);
    match run {
        Ok(t) => t.join().unwrap_or_else(|_| crashed()),
        Err(_) => std::panic::catch_unwind(qsa::cli::main).unwrap_or_else(|_| crashed()),
    }
}
