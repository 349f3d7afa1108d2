fn main() {
    std::process::exit(fitpipe::cli::main());
}
