fn main() -> std::process::ExitCode {
    qsa::cli::main()
}
