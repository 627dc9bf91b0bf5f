//! `qsa report`

use super::{Exit, ReportArgs};

pub fn run(args: ReportArgs) -> Exit {
    let _ = args;
    eprintln!("qsa: this command is not available yet");
    Exit::CouldNotRun
}
