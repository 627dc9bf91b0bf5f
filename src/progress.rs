//! Progress of long steps (reading large files, evaluating many users), as data for whoever watches.
//!
//! The library never draws anything: the runner's file readers and `reduce` report phases to a
//! [`Progress`] observer, sparsely (once per phase step or per 1% of a file, never per row). The default
//! observer does nothing; `cli` implements one with a terminal progress bar on stderr.

use std::sync::Arc;

/// An observer of long-running phases. Every method has a no-op default. Calls come from any thread.
pub trait Progress: Send + Sync {
    /// A phase begins: `phase` says what runs (e.g. "reading orders.csv"), `total` its steps (bytes,
    /// users, sub-phases; 0 = unknown).
    fn start(&self, _phase: &str, _total: u64) {}
    /// `n` more steps of the current phase are done.
    fn inc(&self, _n: u64) {}
    /// The current phase is over.
    fn finish(&self) {}
}

/// The observer that ignores everything (the default).
#[derive(Clone, Copy, Debug, Default)]
pub struct NoProgress;

impl Progress for NoProgress {}

/// A shareable observer handle (cheap to clone; `Default` ignores everything).
#[derive(Clone)]
pub struct ProgressRef(pub Arc<dyn Progress>);

impl ProgressRef {
    /// The observer.
    pub fn get(&self) -> &dyn Progress {
        self.0.as_ref()
    }
}

impl Default for ProgressRef {
    fn default() -> Self {
        ProgressRef(Arc::new(NoProgress))
    }
}

impl std::fmt::Debug for ProgressRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressRef")
    }
}

/// Reports a phase of `total` steps in about 100 increments: call [`Ticker::at`] with the position as
/// often as convenient; the observer hears of it only when another 1% is done.
pub struct Ticker<'a> {
    progress: &'a dyn Progress,
    step: u64,
    reported: u64,
}

impl<'a> Ticker<'a> {
    /// Start the phase on `progress`.
    pub fn new(progress: &'a dyn Progress, phase: &str, total: u64) -> Self {
        progress.start(phase, total);
        Ticker {
            progress,
            step: (total / 100).max(1),
            reported: 0,
        }
    }
    /// The phase has reached `pos` steps.
    #[inline]
    pub fn at(&mut self, pos: u64) {
        if pos >= self.reported + self.step {
            self.progress.inc(pos - self.reported);
            self.reported = pos;
        }
    }
    /// End the phase.
    pub fn finish(self) {
        self.progress.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Log(Mutex<Vec<String>>);
    impl Progress for Log {
        fn start(&self, phase: &str, total: u64) {
            if let Ok(mut l) = self.0.lock() {
                l.push(format!("start {phase} {total}"));
            }
        }
        fn inc(&self, n: u64) {
            if let Ok(mut l) = self.0.lock() {
                l.push(format!("inc {n}"));
            }
        }
        fn finish(&self) {
            if let Ok(mut l) = self.0.lock() {
                l.push("finish".into());
            }
        }
    }

    #[test]
    fn ticker_reports_about_every_percent() {
        let log = Log::default();
        let mut t = Ticker::new(&log, "reading", 1000);
        for pos in 0..=1000 {
            t.at(pos);
        }
        t.finish();
        let l = log.0.lock().map(|l| l.clone()).unwrap_or_default();
        assert_eq!(l.first().map(String::as_str), Some("start reading 1000"));
        assert_eq!(l.last().map(String::as_str), Some("finish"));
        // 100 increments of 10 steps each, not 1000 calls.
        assert_eq!(l.iter().filter(|s| s.as_str() == "inc 10").count(), 100);
        assert_eq!(l.len(), 102);
    }
}
