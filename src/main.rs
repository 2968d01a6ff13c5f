//! The `devloop` binary: parse, run, exit with the documented code.

fn main() {
    std::process::exit(devloop::run(std::env::args_os()));
}
