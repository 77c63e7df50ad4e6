//! The `orchsim` binary: parse the command line, run it, map failures to exit codes.

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Err(failure) = orchsim::cli::run(args) {
        eprintln!("{failure}");
        std::process::exit(failure.exit_code());
    }
}
