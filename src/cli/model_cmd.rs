//! `qsa model`

use super::{ModelArgs, Exit};

pub fn run(args: ModelArgs) -> Exit {
    let _ = args;
    eprintln!("qsa: this command is not available yet");
    Exit::CouldNotRun
}
