fn main() -> std::process::ExitCode {
    comptoir::memory::tune_allocator();
    comptoir::cli::main()
}
