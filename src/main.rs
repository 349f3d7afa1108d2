#[allow(clippy::disallowed_methods)] // the one place that exits
fn main() {
    std::process::exit(fitpipe::cli::main());
}
