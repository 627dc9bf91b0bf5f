//! Progress bars on stderr (indicatif) for the library's [`Progress`] phases: reading files, evaluating
//! users. Only when stderr is a terminal and `--quiet` is not given: nothing is ever written to stdout,
//! and a redirected stderr (CI logs, `2> file`) gets no progress text.

use crate::progress::{NoProgress, Progress, ProgressRef};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The observer for this process: bars on stderr when it is a terminal (and not `quiet`), else nothing.
pub fn stderr(quiet: bool) -> ProgressRef {
    if quiet || !std::io::stderr().is_terminal() {
        return ProgressRef(Arc::new(NoProgress));
    }
    ProgressRef(Arc::new(TermProgress::default()))
}

/// A phase as started (a nested phase hides the outer one until it finishes).
struct Phase {
    name: String,
    total: u64,
    pos: u64,
}

/// One bar on stderr showing the innermost running phase.
#[derive(Default)]
struct TermProgress {
    state: Mutex<(Option<ProgressBar>, Vec<Phase>)>,
}

fn show(bar: &ProgressBar, phase: &Phase) {
    let template = if phase.total > 0 {
        "{spinner:.cyan} {msg} [{bar:32.cyan/blue}] {percent:>3}% {elapsed:.dim}"
    } else {
        "{spinner:.cyan} {msg} {elapsed:.dim}"
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_length(phase.total);
    bar.set_position(phase.pos);
    bar.set_message(phase.name.clone());
}

impl Progress for TermProgress {
    fn start(&self, phase: &str, total: u64) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let bar =
            st.0.get_or_insert_with(|| {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            })
            .clone();
        let phase = Phase {
            name: phase.to_string(),
            total,
            pos: 0,
        };
        show(&bar, &phase);
        st.1.push(phase);
    }

    fn inc(&self, n: u64) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        let (bar, phases) = &mut *st;
        if let (Some(bar), Some(phase)) = (bar, phases.last_mut()) {
            phase.pos = phase.pos.saturating_add(n);
            bar.set_position(phase.pos);
        }
    }

    fn finish(&self) {
        let Ok(mut st) = self.state.lock() else {
            return;
        };
        st.1.pop();
        match (st.1.last(), &st.0) {
            (Some(outer), Some(bar)) => show(bar, outer),
            (None, Some(bar)) => {
                bar.finish_and_clear();
                st.0 = None;
            }
            _ => {}
        }
    }
}
