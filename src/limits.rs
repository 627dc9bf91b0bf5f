//! Limits on what one input can make qsa allocate (`docs/limits.md` lists every limit, its flag, its code
//! and the test that checks it).
//!
//! The memory limit (`--max-memory`) is enforced by **accounting**, not by measuring the process: the
//! places where the size of an input drives an allocation ask a [`Budget`] first, with the number of bytes
//! they are about to allocate, and stop with an [`Exceeded`] (a diagnostic naming the limit and the flag,
//! exit 2) instead of allocating. What is accounted:
//!
//! - held for the run: the tables loaded so far (a gauge the runner sets after every load: distinct
//!   values, 4 bytes per cell), variable values, and the texts `$(…)` expansion produced (kept as the
//!   sources diagnostics point into);
//! - checked before it is allocated (and then dropped): a file read into memory, a table a load is
//!   building, an xlsx part unpacked, the text a `$(…)` expansion, `&` or a string function makes.
//!
//! The count is an estimate of the data qsa holds (headers of `Vec`s and hash tables are not counted), so
//! the process uses somewhat more than the accounted bytes; the point is that no input can make it grow
//! past a bound the user chose. The default is fixed (not a share of the machine's memory) so that the
//! same inputs give the same answer on every machine.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Default of `--max-memory`: 8 GiB.
pub const DEFAULT_MAX_MEMORY: u64 = 8 << 30;
/// Default of `--max-expansion`: 16 MiB of text from one statement's `$(…)` expansion.
pub const DEFAULT_MAX_EXPANSION: u64 = 16 << 20;
/// Default of `--max-generated-rows`: rows one `AUTOGENERATE`, `WHILE` or `SubField()` may generate in
/// one load.
pub const DEFAULT_MAX_GENERATED_ROWS: u64 = 10_000_000;
/// Default of `--max-rows-processed`: rows a whole run may read, generate, join and store, all loads
/// together (the bound on a run's time: loops that re-read the tables they grow).
pub const DEFAULT_MAX_ROWS_PROCESSED: u64 = 1_000_000_000;

/// The limits a run is given (`--max-memory`, `--max-expansion`, `--max-generated-rows`,
/// `--max-rows-processed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Bytes of data qsa may hold (see the module documentation).
    pub max_memory: u64,
    /// Bytes of text one statement's `$(…)` expansion may produce.
    pub max_expansion: u64,
    /// Rows one load may generate (`AUTOGENERATE n`, a `WHILE` clause, `SubField()` from one record).
    pub max_generated_rows: u64,
    /// Rows the whole run may process: each load's input rows (read from a file, inline, RESIDENT,
    /// generated) and output rows, the rows of both sides of a JOIN or KEEP and of its result, the rows a
    /// STORE writes.
    pub max_rows_processed: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: DEFAULT_MAX_MEMORY,
            max_expansion: DEFAULT_MAX_EXPANSION,
            max_generated_rows: DEFAULT_MAX_GENERATED_ROWS,
            max_rows_processed: DEFAULT_MAX_ROWS_PROCESSED,
        }
    }
}

/// A size given on the command line: a number of bytes with an optional binary suffix `K`, `M`, `G`, `T`
/// (`KB`, `KiB`, … are read the same way, as powers of 1024). `4G`, `512M`, `1048576`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let digits = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let shift = match unit.trim().to_ascii_uppercase().as_str() {
        "" | "B" => 0,
        "K" | "KB" | "KIB" => 10,
        "M" | "MB" | "MIB" => 20,
        "G" | "GB" | "GIB" => 30,
        "T" | "TB" | "TIB" => 40,
        _ => return Err(format!("`{text}` is not a size (use e.g. 512M, 4G)")),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size (use e.g. 512M, 4G)"))?;
    n.checked_mul(1u64 << shift)
        .filter(|b| *b > 0)
        .ok_or_else(|| format!("`{text}` is not a size qsa accepts (between 1 byte and 16 EiB)"))
}

/// A byte count for people: `16 MiB`, `8 GiB`, `1.5 GiB`, `900 bytes`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value.fract() == 0.0 {
        format!("{value} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// A limit that would be exceeded: what needed the bytes, how many, and the limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Exceeded {
    /// What was about to be allocated, e.g. "reading `big.csv` (2.0 GiB)".
    pub what: String,
    /// The bytes it needed.
    pub needed: u64,
    /// The bytes already held when it asked.
    pub held: u64,
    /// The limit.
    pub limit: u64,
    /// The flag that sets the limit (`--max-memory`, `--max-expansion`).
    pub flag: &'static str,
}

impl std::fmt::Display for Exceeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} would take {}",
            self.what,
            format_size(self.needed.max(1))
        )?;
        if self.held > 0 {
            write!(f, " with {} already held", format_size(self.held))?;
        }
        write!(
            f,
            ": more than the limit of {} ({} {}); stopped",
            format_size(self.limit),
            self.flag,
            flag_value(self.limit)
        )
    }
}

impl Exceeded {
    /// The help line: how to raise the limit.
    pub fn help(&self) -> String {
        format!(
            "the input is larger than qsa was allowed to hold; if it really is this large, raise the limit with {} SIZE (e.g. {} {}; docs/limits.md)",
            self.flag,
            self.flag,
            flag_value(self.limit.saturating_mul(2))
        )
    }
}

/// `limit` as a `--max-memory` value (`64M`, `8G`).
fn flag_value(limit: u64) -> String {
    for (shift, unit) in [(40, "T"), (30, "G"), (20, "M"), (10, "K")] {
        if limit >= 1 << shift && limit % (1 << shift) == 0 {
            return format!("{}{unit}", limit >> shift);
        }
    }
    limit.to_string()
}

/// The memory budget of one run: the limit, the bytes held, and the first time the limit was exceeded.
/// Cheap to clone (shared); safe to use from several threads.
#[derive(Clone, Debug)]
pub struct Budget(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    limit: u64,
    /// Held for the run: variable values, expansion texts.
    held: AtomicU64,
    /// The tables loaded so far (a gauge: set, not added to).
    tables: AtomicU64,
    /// The first time the limit was exceeded.
    exceeded: Mutex<Option<Exceeded>>,
}

impl Default for Budget {
    fn default() -> Self {
        Budget::new(DEFAULT_MAX_MEMORY)
    }
}

impl Budget {
    /// A budget of `limit` bytes.
    pub fn new(limit: u64) -> Self {
        Budget(Arc::new(Inner {
            limit,
            held: AtomicU64::new(0),
            tables: AtomicU64::new(0),
            exceeded: Mutex::new(None),
        }))
    }
    /// The limit in bytes.
    pub fn limit(&self) -> u64 {
        self.0.limit
    }
    /// Bytes held now.
    pub fn held(&self) -> u64 {
        self.0
            .held
            .load(Ordering::Relaxed)
            .saturating_add(self.0.tables.load(Ordering::Relaxed))
    }
    /// Bytes still free.
    pub fn remaining(&self) -> u64 {
        self.0.limit.saturating_sub(self.held())
    }
    /// May `bytes` more be allocated for a while (a file read, a value being built)? Nothing is kept;
    /// an `Err` is also remembered ([`Budget::exceeded`]).
    pub fn check(&self, bytes: u64, what: impl FnOnce() -> String) -> Result<(), Exceeded> {
        let held = self.held();
        if held.saturating_add(bytes) <= self.0.limit {
            return Ok(());
        }
        Err(self.fail(what(), bytes, held))
    }
    /// Hold `bytes` more for the rest of the run, if they fit ([`Budget::check`]).
    pub fn reserve(&self, bytes: u64, what: impl FnOnce() -> String) -> Result<(), Exceeded> {
        self.check(bytes, what)?;
        self.0.held.fetch_add(bytes, Ordering::Relaxed);
        Ok(())
    }
    /// Give back `bytes` held with [`Budget::reserve`].
    pub fn release(&self, bytes: u64) {
        let _ = self
            .0
            .held
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                Some(h.saturating_sub(bytes))
            });
    }
    /// Set the bytes the loaded tables hold; an `Err` when the total is over the limit.
    pub fn set_tables(&self, bytes: u64, what: impl FnOnce() -> String) -> Result<(), Exceeded> {
        self.0.tables.store(bytes, Ordering::Relaxed);
        let held = self.0.held.load(Ordering::Relaxed);
        if held.saturating_add(bytes) <= self.0.limit {
            return Ok(());
        }
        Err(self.fail(what(), bytes, held))
    }
    /// The first time the limit was exceeded, if it was.
    pub fn exceeded(&self) -> Option<Exceeded> {
        self.0.exceeded.lock().ok().and_then(|e| e.clone())
    }

    fn fail(&self, what: String, needed: u64, held: u64) -> Exceeded {
        let e = Exceeded {
            what,
            needed,
            held,
            limit: self.0.limit,
            flag: "--max-memory",
        };
        if let Ok(mut first) = self.0.exceeded.lock() {
            if first.is_none() {
                *first = Some(e.clone());
            }
        }
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512M"), Ok(512 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("4gib"), Ok(4 << 30));
        assert_eq!(parse_size("1000"), Ok(1000));
        assert_eq!(parse_size("2k"), Ok(2048));
        assert!(parse_size("").is_err());
        assert!(parse_size("0").is_err());
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("1.5G").is_err());
        assert!(parse_size("4X").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(format_size(16 << 20), "16 MiB");
        assert_eq!(format_size(3 << 29), "1.5 GiB");
        assert_eq!(format_size(10), "10 bytes");
        assert_eq!(flag_value(64 << 20), "64M");
        assert_eq!(flag_value(8 << 30), "8G");
        assert_eq!(flag_value(1000), "1000");
    }

    #[test]
    fn budget_counts_and_remembers_the_first_failure() {
        let b = Budget::new(1000);
        assert!(b.reserve(600, || "a".into()).is_ok());
        assert!(b.check(400, || "b".into()).is_ok());
        let e = b.check(401, || "c".into()).unwrap_err();
        assert_eq!((e.needed, e.held, e.limit), (401, 600, 1000));
        assert!(b.set_tables(500, || "tables".into()).is_err());
        assert_eq!(b.exceeded().map(|e| e.what), Some("c".to_string()));
        b.release(600);
        assert!(b.set_tables(500, || "tables".into()).is_ok());
        assert_eq!(b.remaining(), 500);
        let msg = e.to_string();
        assert!(msg.contains("--max-memory 1000"), "{msg}");
    }
}
