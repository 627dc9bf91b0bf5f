//! `qsa model`

use super::{Exit, ModelArgs};

pub fn run(args: ModelArgs) -> Exit {
    let _ = args;
    eprintln!("qsa: this command is not available yet");
    Exit::CouldNotRun
}
