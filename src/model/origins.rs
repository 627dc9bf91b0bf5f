//! Row origins stored as runs: a file's records `first..first+count`, or one origin repeated. A table read
//! from one file has one run whatever its size; rows from INLINE lines have one run per line (INLINE tables
//! are small); a reordering or a join costs at most one run per row and never an allocation per row.

use super::RowOrigin;
use std::sync::Arc;

/// The origins of a table's rows: `len` rows, possibly fewer than the table has (then the rest have no
/// known origin, as with an empty list).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origins {
    runs: Vec<Run>,
    len: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    /// First row of the run.
    start: usize,
    kind: RunKind,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum RunKind {
    /// Consecutive records of one file, the first of them `first` (1-based).
    File { path: Arc<str>, first: usize },
    /// The same origin for every row of the run.
    Same(RowOrigin),
}

impl Origins {
    pub fn new() -> Self {
        Origins::default()
    }

    /// Records `1..=n` of the file shown as `path`.
    pub fn file(path: Arc<str>, n: usize) -> Self {
        let mut o = Origins::new();
        if n > 0 {
            o.runs.push(Run {
                start: 0,
                kind: RunKind::File { path, first: 1 },
            });
            o.len = n;
        }
        o
    }

    /// `n` rows with the same origin.
    pub fn repeat(origin: RowOrigin, n: usize) -> Self {
        let mut o = Origins::new();
        o.push_n(origin, n);
        o
    }

    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// How many runs the origins take (what they cost in memory).
    pub fn run_count(&self) -> usize {
        self.runs.len()
    }
    pub fn clear(&mut self) {
        self.runs.clear();
        self.len = 0;
    }

    /// The origin of row `row`, if known.
    pub fn get(&self, row: usize) -> Option<RowOrigin> {
        if row >= self.len {
            return None;
        }
        let k = self
            .runs
            .partition_point(|r| r.start <= row)
            .checked_sub(1)?;
        let run = self.runs.get(k)?;
        Some(match &run.kind {
            RunKind::File { path, first } => RowOrigin::File {
                path: path.clone(),
                row: first + (row - run.start),
            },
            RunKind::Same(o) => o.clone(),
        })
    }

    /// Every origin, in row order.
    pub fn iter(&self) -> impl Iterator<Item = RowOrigin> + '_ {
        self.runs.iter().enumerate().flat_map(move |(k, run)| {
            let end = self.runs.get(k + 1).map(|r| r.start).unwrap_or(self.len);
            (0..end.saturating_sub(run.start)).map(move |i| match &run.kind {
                RunKind::File { path, first } => RowOrigin::File {
                    path: path.clone(),
                    row: first + i,
                },
                RunKind::Same(o) => o.clone(),
            })
        })
    }

    pub fn to_vec(&self) -> Vec<RowOrigin> {
        self.iter().collect()
    }

    /// Append one row's origin.
    pub fn push(&mut self, origin: RowOrigin) {
        self.push_n(origin, 1);
    }

    /// Append `n` rows: the same origin, or, for a file record, that record and the `n - 1` after it.
    pub fn push_n(&mut self, origin: RowOrigin, n: usize) {
        if n == 0 {
            return;
        }
        let kind = match origin {
            RowOrigin::File { path, row } => RunKind::File { path, first: row },
            other => RunKind::Same(other),
        };
        self.push_run(kind, n);
    }

    /// Append `n` rows of a run, merging with the last run when it continues it.
    fn push_run(&mut self, kind: RunKind, n: usize) {
        if n == 0 {
            return;
        }
        let len = self.len;
        if let Some(last) = self.runs.last() {
            let count = len - last.start;
            let continues = match (&last.kind, &kind) {
                (RunKind::File { path, first }, RunKind::File { path: p, first: f }) => {
                    *f == first + count && (Arc::ptr_eq(path, p) || path == p)
                }
                (RunKind::Same(a), RunKind::Same(b)) => a == b,
                _ => false,
            };
            if continues {
                self.len += n;
                return;
            }
        }
        self.runs.push(Run { start: len, kind });
        self.len += n;
    }

    /// Append all of `other`'s rows.
    pub fn append(&mut self, other: &Origins) {
        for (k, run) in other.runs.iter().enumerate() {
            let end = other.runs.get(k + 1).map(|r| r.start).unwrap_or(other.len);
            self.push_run(run.kind.clone(), end.saturating_sub(run.start));
        }
    }

    /// Keep the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        let keep = self.runs.partition_point(|r| r.start < n);
        self.runs.truncate(keep);
        self.len = n;
    }

    /// Give rows `len..n` the origin `origin` (when fewer than `n` rows have one).
    pub fn pad_to(&mut self, n: usize, origin: RowOrigin) {
        if self.len < n {
            self.push_n(origin, n - self.len);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::{SourceId, Span};

    fn file(p: &Arc<str>, row: usize) -> RowOrigin {
        RowOrigin::File {
            path: p.clone(),
            row,
        }
    }

    #[test]
    fn files_are_one_run() {
        let p: Arc<str> = Arc::from("data/sa.csv");
        let mut o = Origins::file(p.clone(), 1_000_000);
        assert_eq!(o.run_count(), 1);
        assert_eq!(o.get(0), Some(file(&p, 1)));
        assert_eq!(o.get(999_999), Some(file(&p, 1_000_000)));
        assert_eq!(o.get(1_000_000), None);
        // Appending the same file's next records continues the run.
        o.append(&Origins::file(p.clone(), 0));
        o.push(file(&p, 1_000_001));
        assert_eq!(o.run_count(), 1);
        // Another file starts a run.
        let q: Arc<str> = Arc::from("other.csv");
        o.append(&Origins::file(q.clone(), 3));
        assert_eq!((o.len(), o.run_count()), (1_000_004, 2));
        assert_eq!(o.get(1_000_003), Some(file(&q, 3)));
        o.truncate(1_000_002);
        assert_eq!((o.len(), o.run_count()), (1_000_002, 2));
        o.truncate(5);
        assert_eq!((o.len(), o.run_count()), (5, 1));
    }

    #[test]
    fn repeats_and_lines() {
        let s = RowOrigin::Load {
            source: SourceId(0),
            span: Span::new(1, 9),
        };
        let mut o = Origins::repeat(s.clone(), 3);
        o.pad_to(10, s.clone());
        assert_eq!((o.len(), o.run_count()), (10, 1));
        let line = |a| RowOrigin::Script {
            source: SourceId(0),
            span: Span::new(a, a + 3),
        };
        o.push(line(20));
        o.push(line(30));
        assert_eq!(o.run_count(), 3);
        assert_eq!(o.get(9), Some(s));
        assert_eq!(o.get(11), Some(line(30)));
        let all = o.to_vec();
        assert_eq!(all.len(), 12);
        assert_eq!(all[10], line(20));
        let mut c = Origins::new();
        for x in &all {
            c.push(x.clone());
        }
        assert_eq!(c, o);
    }
}
