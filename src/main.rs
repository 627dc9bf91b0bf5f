/// Stack of the thread qsa runs on. Parsing and running recurse on expression trees, whose depth the
/// parser bounds (`syntax::lex::MAX_EXPR_DEPTH`, `MAX_EXPR_OPERATORS`); this leaves ample room for the
/// deepest tree it accepts, in a debug build too. Only the pages used are committed.
const STACK: usize = 256 << 20;

fn main() -> std::process::ExitCode {
    match std::thread::Builder::new()
        .name("qsa".into())
        .stack_size(STACK)
        .spawn(qsa::cli::main)
    {
        // A panic was already printed; 101 is what the main thread would exit with.
        Ok(t) => t.join().unwrap_or(std::process::ExitCode::from(101)),
        Err(_) => qsa::cli::main(),
    }
}
