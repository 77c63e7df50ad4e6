//! The `orchsim` binary: parse the command line, run it, map failures to exit codes.

fn main() {
    restore_sigpipe();
    let args: Vec<String> = std::env::args().collect();
    if let Err(failure) = orchsim::cli::run(args) {
        eprintln!("{failure}");
        std::process::exit(failure.exit_code());
    }
}

/// Rust ignores SIGPIPE, so a write to a pipe whose reader has gone (`orchsim schema | head`)
/// fails and `print!` panics. With the default action restored the process ends quietly
/// there, as other command-line tools do.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first in `main`, before any other thread exists; setting a signal's
    // disposition to the default touches no memory of this program.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
