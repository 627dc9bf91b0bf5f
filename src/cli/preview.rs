//! `qsa preview`

use super::{Exit, PreviewArgs};

pub fn run(args: PreviewArgs) -> Exit {
    let _ = args;
    eprintln!("qsa: this command is not available yet");
    Exit::CouldNotRun
}
