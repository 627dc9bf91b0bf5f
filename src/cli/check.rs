//! `qsa check`

use super::{CheckArgs, Exit};

pub fn run(args: CheckArgs) -> Exit {
    let _ = args;
    eprintln!("qsa: this command is not available yet");
    Exit::CouldNotRun
}
