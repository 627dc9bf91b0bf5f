//! Dictionary-encoded columns: a symbol table of distinct values and one `u32` id per row.
//!
//! A [`Column`] holds each distinct value once (its *dict*) and, per row, the index of the row's value in
//! the dict ([`NULL_ID`] for NULL). Values are told apart by exact identity — variant, number bits and text
//! — so `Num(1)`, `Dual(1, "01")`, `Dual(1, "1")` and `Str("1")` are four entries (the engine later merges
//! entries with the same text into one field symbol, as Qlik does). Memory is proportional to the distinct
//! values plus 4 bytes per row, and a row's value is a cheap `Arc` clone.
//!
//! Readers fill columns through a [`ColumnBuilder`], which interns by the key the source knows (a text for
//! text files, a number for Parquet numbers and dates), so a value is built once per distinct key, not once
//! per cell. Columns built row by row ([`Column::push`]) intern by exact identity through an index that is
//! built on first use and dropped by [`Column::seal`] (and never cloned).

use super::Value;

/// The id of NULL in id columns (the same constant as [`crate::model::engine::NULL`]).
pub const NULL_ID: u32 = u32::MAX;

/// What [`Column::get`] returns for a NULL cell.
static NULL_VALUE: Value = Value::Null;

/// A dictionary-encoded column.
#[derive(Debug, Default)]
pub struct Column {
    /// Distinct values (never NULL), in order of first appearance when built row by row.
    dict: Vec<Value>,
    /// One id per row: an index into `dict`, or [`NULL_ID`].
    ids: Vec<u32>,
    /// Exact-identity index over `dict`, built when a value is first pushed; not cloned.
    index: Option<Probe>,
}

impl Clone for Column {
    fn clone(&self) -> Self {
        Column {
            dict: self.dict.clone(),
            ids: self.ids.clone(),
            index: None,
        }
    }
}

impl Column {
    pub fn new() -> Self {
        Column::default()
    }

    /// `n` NULL cells.
    pub fn nulls(n: usize) -> Self {
        Column {
            dict: Vec::new(),
            ids: vec![NULL_ID; n],
            index: None,
        }
    }

    /// A column from a dict and ids. `dict` should hold distinct values; an id out of range, or pointing at
    /// a NULL dict entry, reads as NULL.
    pub fn from_parts(dict: Vec<Value>, mut ids: Vec<u32>) -> Self {
        for i in ids.iter_mut() {
            if !matches!(dict.get(*i as usize), Some(v) if !v.is_null()) {
                *i = NULL_ID;
            }
        }
        Column {
            dict,
            ids,
            index: None,
        }
    }

    /// A column of the given values, interned in order.
    pub fn from_values(values: impl IntoIterator<Item = Value>) -> Self {
        let mut c = Column::new();
        for v in values {
            c.push(v);
        }
        c.seal();
        c
    }

    /// Bytes the column holds, for memory accounting (`crate::limits`): its distinct values and 4 bytes
    /// per row.
    pub fn heap_bytes(&self) -> u64 {
        let dict: u64 = self.dict.iter().map(Value::heap_bytes).sum();
        dict.saturating_add(4 * self.ids.len() as u64)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    /// The symbol table: distinct values (possibly some no row uses after a truncation).
    pub fn dict(&self) -> &[Value] {
        &self.dict
    }
    /// One id per row into [`Column::dict`]; [`NULL_ID`] for NULL.
    pub fn ids(&self) -> &[u32] {
        &self.ids
    }

    /// The dict and the ids.
    pub fn into_parts(self) -> (Vec<Value>, Vec<u32>) {
        (self.dict, self.ids)
    }

    /// The value of row `row` (NULL for a NULL cell); `None` when `row` is out of range.
    pub fn get(&self, row: usize) -> Option<&Value> {
        self.ids.get(row).map(|&i| self.value_of(i))
    }

    /// The value an id stands for (NULL for [`NULL_ID`] or an unknown id).
    pub fn value_of(&self, id: u32) -> &Value {
        self.dict.get(id as usize).unwrap_or(&NULL_VALUE)
    }

    /// Every cell, in row order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &Value> + '_ {
        self.ids.iter().map(|&i| self.value_of(i))
    }

    /// The values rows use (NULL excluded), each once, in order of first appearance.
    pub fn used_values(&self) -> Vec<&Value> {
        let mut seen = vec![false; self.dict.len()];
        let mut out = Vec::new();
        for &i in &self.ids {
            if let Some(s) = seen.get_mut(i as usize) {
                if !*s {
                    *s = true;
                    if let Some(v) = self.dict.get(i as usize) {
                        out.push(v);
                    }
                }
            }
        }
        out
    }

    /// Append a value, interning it by exact identity.
    pub fn push(&mut self, v: Value) {
        let id = self.intern(v);
        self.ids.push(id);
    }

    /// Append `n` NULL cells.
    pub fn push_nulls(&mut self, n: usize) {
        self.ids.extend(std::iter::repeat_n(NULL_ID, n));
    }

    /// Keep the first `n` rows.
    pub fn truncate(&mut self, n: usize) {
        self.ids.truncate(n);
    }

    /// Append every row of `other` (its dict is merged once per value it uses, not per row).
    pub fn extend_from(&mut self, other: &Column) {
        let mut map = vec![UNMAPPED; other.dict.len()];
        self.ids.reserve(other.ids.len());
        for &i in &other.ids {
            let id = match map.get(i as usize) {
                None => NULL_ID,
                Some(&m) if m != UNMAPPED => m,
                Some(_) => {
                    let v = other.value_of(i).clone();
                    let m = self.intern(v);
                    if let Some(slot) = map.get_mut(i as usize) {
                        *slot = m;
                    }
                    m
                }
            };
            self.ids.push(id);
        }
    }

    /// The same rows with every value replaced by `f(value)`, computed once per distinct value (NULL cells
    /// included, once: `f(&Value::Null)`). Values that become equal share one entry; `f` may return NULL.
    pub fn map_values(&self, mut f: impl FnMut(&Value) -> Value) -> Column {
        let mut out = Column::new();
        let mut map = vec![UNMAPPED; self.dict.len()];
        let mut null_to = UNMAPPED;
        out.ids.reserve(self.ids.len());
        for &i in &self.ids {
            let slot = match map.get_mut(i as usize) {
                Some(m) => m,
                None => &mut null_to,
            };
            let id = if *slot != UNMAPPED {
                *slot
            } else {
                let v = self.dict.get(i as usize).unwrap_or(&NULL_VALUE);
                let m = out.intern(f(v));
                *slot = m;
                m
            };
            out.ids.push(id);
        }
        out.seal();
        out
    }

    /// Drop the interning index (it is rebuilt if a value is pushed again) and spare capacity.
    pub fn seal(&mut self) {
        self.index = None;
        self.dict.shrink_to_fit();
        self.ids.shrink_to_fit();
    }

    /// The id of `v`, added to the dict when new.
    fn intern(&mut self, v: Value) -> u32 {
        if v.is_null() {
            return NULL_ID;
        }
        let dict = &self.dict;
        let index = self.index.get_or_insert_with(|| {
            let mut p = Probe::with_capacity(dict.len());
            for (i, d) in dict.iter().enumerate() {
                p.insert_new(exact_hash(d), i as u32);
            }
            p
        });
        let h = exact_hash(&v);
        match index.find(h, |i| dict.get(i as usize).is_some_and(|d| exact_eq(d, &v))) {
            Ok(id) => id,
            Err(slot) => {
                let Ok(id) = u32::try_from(self.dict.len()) else {
                    return NULL_ID;
                };
                if id >= UNMAPPED {
                    // More than 4 billion distinct values: not representable (and far beyond memory).
                    return NULL_ID;
                }
                index.insert_at(slot, h, id);
                self.dict.push(v);
                id
            }
        }
    }
}

impl<'a> IntoIterator for &'a Column {
    type Item = &'a Value;
    type IntoIter = Box<dyn ExactSizeIterator<Item = &'a Value> + 'a>;
    fn into_iter(self) -> Self::IntoIter {
        Box::new(self.iter())
    }
}

/// Marks a dict entry not yet translated in a remapping.
const UNMAPPED: u32 = u32::MAX - 1;

/// Builds a column while a source is read, interning by the key the source knows. Use one kind of push
/// per builder (`push_text` for values made from their text, `push_number` for values made from a number,
/// `push_value` otherwise): each kind indexes the dict by its own key.
#[derive(Debug, Default)]
pub struct ColumnBuilder {
    dict: Vec<Value>,
    ids: Vec<u32>,
    probe: Probe,
    /// While every cell so far came through [`ColumnBuilder::push_number`] with strictly rising numbers
    /// (an order id, a row number), each is new: the dict grows without the probe, and the probe is built
    /// from the dict when the first cell breaks the rise. `None` = not (or no longer) rising.
    rising: Option<f64>,
    /// Whether anything but a rising number was pushed (then the probe is always kept).
    mixed: bool,
    /// Id of each small non-negative whole number met through `push_number` (`UNSET` = not met): a
    /// customer or product id column is interned with one array read per cell instead of a hash probe.
    small: Vec<u32>,
}

/// No id recorded in [`ColumnBuilder::small`].
const UNSET: u32 = u32::MAX;
/// Whole numbers below this are looked up in [`ColumnBuilder::small`] (16 MiB at most)...
const SMALL_MAX: usize = 1 << 22;
/// ... when below this many times the rows pushed so far (a 10-row table of years 2020–2024 is fine, one
/// holding the number 4 000 000 is not worth 16 MiB).
const SMALL_PER_ROW: usize = 64;

impl ColumnBuilder {
    pub fn new() -> Self {
        ColumnBuilder::default()
    }
    /// Rows so far.
    pub fn len(&self) -> usize {
        self.ids.len()
    }
    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
    pub fn push_null(&mut self) {
        self.ids.push(NULL_ID);
    }
    pub fn push_nulls(&mut self, n: usize) {
        self.ids.extend(std::iter::repeat_n(NULL_ID, n));
    }
    /// Room for `rows` more cells.
    pub fn reserve(&mut self, rows: usize) {
        self.ids.reserve(rows);
    }

    /// A cell whose value is `make(text)`, a function of the text alone (built once per distinct text).
    pub fn push_text(&mut self, text: &str, make: impl FnOnce(&str) -> Value) {
        self.stop_rising();
        let h = hash_bytes(text.as_bytes());
        let dict = &self.dict;
        let found = self.probe.find(h, |i| {
            matches!(dict.get(i as usize), Some(Value::Str(s) | Value::Dual(_, s)) if &**s == text)
        });
        let id = self.add(found, h, || make(text));
        self.ids.push(id);
    }

    /// Leave rising mode: index the dict (all made by `push_number`) by number, as `push_number` does.
    fn stop_rising(&mut self) {
        self.mixed = true;
        if self.rising.take().is_none() {
            return;
        }
        self.probe.reserve_for(self.dict.len());
        for (i, v) in self.dict.iter().enumerate() {
            if let (Value::Num(m) | Value::Dual(m, _), Ok(id)) = (v, u32::try_from(i)) {
                self.probe.insert_new(mix64(m.to_bits()), id);
            }
        }
    }

    /// A cell whose value is `make(n)`, a function of the number alone (built once per distinct number).
    pub fn push_number(&mut self, n: f64, make: impl FnOnce(f64) -> Value) {
        if !self.mixed {
            let last = self.rising.unwrap_or(f64::NEG_INFINITY);
            if n > last && (self.rising.is_some() || self.dict.is_empty()) {
                let v = make(n);
                let id = u32::try_from(self.dict.len()).unwrap_or(UNMAPPED);
                if v.is_null() || id >= UNMAPPED {
                    self.ids.push(NULL_ID);
                    return;
                }
                // The value must carry the number it is keyed by, or the probe built later could not
                // find it: otherwise fall back to the probe now.
                if matches!(&v, Value::Num(m) | Value::Dual(m, _) if m.to_bits() == n.to_bits()) {
                    self.dict.push(v);
                    self.ids.push(id);
                    self.rising = Some(n);
                    return;
                }
                self.stop_rising();
                let bits = n.to_bits();
                let h = mix64(bits);
                let found = self.probe.find(h, |_| false);
                let id = self.add(found, h, || v);
                self.ids.push(id);
                return;
            }
            self.stop_rising();
        }
        // A small whole number (not -0, which is keyed apart from 0) seen before: its id without hashing.
        let small = (n >= 0.0 && n.fract() == 0.0 && n.is_sign_positive())
            .then_some(n as usize)
            .filter(|&i| i < SMALL_MAX && i < SMALL_PER_ROW * (self.ids.len() + 1024));
        if let Some(&id) = small
            .and_then(|i| self.small.get(i))
            .filter(|&&id| id != UNSET)
        {
            self.ids.push(id);
            return;
        }
        let bits = n.to_bits();
        let h = mix64(bits);
        let dict = &self.dict;
        let found = self.probe.find(h, |i| {
            matches!(dict.get(i as usize), Some(Value::Num(m) | Value::Dual(m, _)) if m.to_bits() == bits)
        });
        let id = self.add(found, h, || make(n));
        self.ids.push(id);
        // The probe would give this id for `n` from now on (entries are never moved or removed).
        if let Some(i) = small {
            if self.small.len() <= i {
                self.small
                    .resize((i + 1).next_power_of_two().min(SMALL_MAX), UNSET);
            }
            self.small[i] = id;
        }
    }

    /// A cell interned by exact identity.
    pub fn push_value(&mut self, v: Value) {
        self.stop_rising();
        if v.is_null() {
            self.ids.push(NULL_ID);
            return;
        }
        let h = exact_hash(&v);
        let dict = &self.dict;
        let found = self
            .probe
            .find(h, |i| dict.get(i as usize).is_some_and(|d| exact_eq(d, &v)));
        let id = self.add(found, h, || v);
        self.ids.push(id);
    }

    fn add(&mut self, found: Result<u32, usize>, h: u64, make: impl FnOnce() -> Value) -> u32 {
        match found {
            Ok(id) => id,
            Err(slot) => {
                let v = make();
                if v.is_null() {
                    return NULL_ID;
                }
                let Ok(id) = u32::try_from(self.dict.len()) else {
                    return NULL_ID;
                };
                if id >= UNMAPPED {
                    return NULL_ID;
                }
                self.probe.insert_at(slot, h, id);
                self.dict.push(v);
                id
            }
        }
    }

    pub fn finish(self) -> Column {
        let mut c = Column {
            dict: self.dict,
            ids: self.ids,
            index: None,
        };
        c.seal();
        c
    }
}

/// Exact identity: variant, number bits, text.
pub fn exact_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Num(x), Value::Num(y)) => x.to_bits() == y.to_bits(),
        (Value::Str(s), Value::Str(t)) => s == t,
        (Value::Dual(x, s), Value::Dual(y, t)) => x.to_bits() == y.to_bits() && s == t,
        _ => false,
    }
}

fn exact_hash(v: &Value) -> u64 {
    match v {
        Value::Null => 0,
        Value::Num(n) => mix64(n.to_bits()),
        Value::Str(s) => hash_bytes(s.as_bytes()),
        Value::Dual(n, s) => hash_bytes(s.as_bytes()) ^ mix64(n.to_bits()).rotate_left(23),
    }
}

/// The splitmix64 finaliser: every input bit affects every output bit.
fn mix64(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// A fast, deterministic hash of bytes (8 at a time, then [`mix64`]).
fn hash_bytes(b: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut h = (b.len() as u64) ^ K;
    let mut chunks = b.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K).rotate_left(29);
    }
    let mut w = [0u8; 8];
    let rest = chunks.remainder();
    w[..rest.len()].copy_from_slice(rest);
    h = (h ^ u64::from_le_bytes(w)).wrapping_mul(K);
    mix64(h)
}

/// An open-addressing table of dict ids (linear probing, at most 3/4 full). Each slot keeps the low 32
/// bits of its value's hash, so growing never rehashes values and most mismatches never touch the dict.
#[derive(Debug, Default)]
struct Probe {
    /// (id, hash) with `EMPTY` ids for free slots; the length is 0 or a power of two.
    slots: Vec<(u32, u32)>,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

impl Probe {
    fn with_capacity(n: usize) -> Probe {
        let mut p = Probe::default();
        p.reserve_for(n);
        p
    }

    /// Make room for `n` entries at most 3/4 full.
    fn reserve_for(&mut self, n: usize) {
        if n.saturating_mul(4) < self.slots.len().saturating_mul(3) {
            return;
        }
        let mut cap = self.slots.len().max(16);
        while n.saturating_mul(4) >= cap.saturating_mul(3) {
            cap = cap.saturating_mul(2);
        }
        let old = std::mem::replace(&mut self.slots, vec![(EMPTY, 0); cap]);
        let mask = cap - 1;
        for (id, h) in old {
            if id != EMPTY {
                let mut i = h as usize & mask;
                while self.slots.get(i).is_some_and(|s| s.0 != EMPTY) {
                    i = (i + 1) & mask;
                }
                if let Some(s) = self.slots.get_mut(i) {
                    *s = (id, h);
                }
            }
        }
    }

    /// `Ok(id)` of an entry with hash `h` for which `eq` holds, or `Err(slot)`: the free slot where it
    /// goes (valid until the next insertion).
    fn find(&mut self, h: u64, eq: impl Fn(u32) -> bool) -> Result<u32, usize> {
        self.reserve_for(self.len + 1);
        let tag = h as u32;
        let mask = self.slots.len() - 1;
        let mut i = tag as usize & mask;
        loop {
            match self.slots.get(i) {
                Some(&(id, t)) if id != EMPTY => {
                    if t == tag && eq(id) {
                        return Ok(id);
                    }
                }
                _ => return Err(i),
            }
            i = (i + 1) & mask;
        }
    }

    fn insert_at(&mut self, slot: usize, h: u64, id: u32) {
        if let Some(s) = self.slots.get_mut(slot) {
            *s = (id, h as u32);
            self.len += 1;
        }
    }

    /// Insert an id known not to be present.
    fn insert_new(&mut self, h: u64, id: u32) {
        if let Err(slot) = self.find(h, |_| false) {
            self.insert_at(slot, h, id);
        }
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn rising_numbers_skip_the_probe_until_one_repeats() {
        let mut b = ColumnBuilder::new();
        for n in [1.0, 2.0, 3.0, 2.0, 5.0, 1.0, 7.0, 3.0] {
            b.push_number(n, Value::num);
        }
        b.push_null();
        let c = b.finish();
        let texts: Vec<String> = c.dict().iter().map(|v| v.to_string()).collect();
        assert_eq!(texts, ["1", "2", "3", "5", "7"]);
        assert_eq!(c.ids(), &[0, 1, 2, 1, 3, 0, 4, 2, NULL_ID]);
        // Rising all the way: every value once, in order.
        let mut b = ColumnBuilder::new();
        for n in 0..1000 {
            b.push_number(n as f64, Value::num);
        }
        let c = b.finish();
        assert_eq!(c.dict().len(), 1000);
        assert!(c.ids().iter().enumerate().all(|(i, &id)| id as usize == i));
        // A text after rising numbers: the numbers stay found by number.
        let mut b = ColumnBuilder::new();
        b.push_number(1.0, Value::num);
        b.push_number(2.0, Value::num);
        b.push_text("x", |t| Value::str(t));
        b.push_number(2.0, Value::num);
        assert_eq!(b.finish().ids(), &[0, 1, 2, 1]);
    }

    use super::*;

    fn shape(v: &Value) -> (u8, Option<u64>, Option<String>) {
        match v {
            Value::Null => (0, None, None),
            Value::Num(n) => (1, Some(n.to_bits()), None),
            Value::Str(s) => (2, None, Some(s.to_string())),
            Value::Dual(n, s) => (3, Some(n.to_bits()), Some(s.to_string())),
        }
    }

    /// Small whole numbers take the array path, everything else the probe; ids are the same either way:
    /// one id per distinct number (by its bits: -0 apart from 0), in order of first appearance.
    #[test]
    fn small_whole_numbers_get_the_ids_of_the_probe() {
        let nums = [
            7.0,
            3.0,
            7.0,
            -0.0,
            0.0,
            2.5,
            3.0,
            0.0,
            -0.0,
            1e12,
            4_194_303.0,
            4_194_304.0,
            2.5,
            1e12,
            -7.0,
            4_194_303.0,
            4_194_304.0,
            f64::NAN,
            65_536.0,
            65_536.0,
            -7.0,
        ];
        let mut b = ColumnBuilder::new();
        for &n in &nums {
            b.push_number(n, Value::num);
        }
        let c = b.finish();
        let mut first: Vec<u64> = vec![];
        for (&n, &id) in nums.iter().zip(c.ids()) {
            let at = first.iter().position(|&f| f == n.to_bits());
            let want = at.unwrap_or_else(|| {
                first.push(n.to_bits());
                first.len() - 1
            });
            if n.is_nan() {
                assert_eq!(id, NULL_ID);
                first.pop();
            } else {
                assert_eq!(id as usize, want, "{n}");
            }
        }
    }

    #[test]
    fn interning_keeps_distinct_values_distinct() {
        let vals = vec![
            Value::num(1.0),
            Value::dual(1.0, "01"),
            Value::str("1"),
            Value::dual(1.0, "1"),
            Value::Null,
            Value::num(1.0),
            Value::str("1"),
            Value::dual(1.0, "01"),
            Value::num(-0.0),
            Value::num(0.0),
        ];
        let c = Column::from_values(vals.clone());
        assert_eq!(c.dict().len(), 6, "{:?}", c.dict());
        assert_eq!(c.len(), vals.len());
        for (r, v) in vals.iter().enumerate() {
            assert_eq!(c.get(r).map(shape), Some(shape(v)), "row {r}");
        }
        assert_eq!(c.ids()[4], NULL_ID);
        assert_eq!(c.ids()[0], c.ids()[5]);
        assert_ne!(c.ids()[0], c.ids()[1]);
        assert!(c.get(vals.len()).is_none());
    }

    #[test]
    fn many_values_survive_growth() {
        let mut c = Column::new();
        for i in 0..10_000u32 {
            c.push(Value::num(f64::from(i % 3000)));
            c.push(Value::from_loaded_text(&format!("t{}", i % 700)));
        }
        assert_eq!(c.dict().len(), 3700);
        assert_eq!(c.get(2 * 2999).and_then(Value::as_num), Some(2999.0));
        assert_eq!(
            c.get(2 * 3001 + 1).map(|v| v.to_string()),
            Some("t201".into())
        );
        let mut b = ColumnBuilder::new();
        for i in 0..10_000u32 {
            b.push_text(&format!("{}", i % 1234), Value::from_loaded_text);
        }
        let b = b.finish();
        assert_eq!(b.dict().len(), 1234);
        assert_eq!(b.get(1235).map(shape), Some(shape(&Value::dual(1.0, "1"))));
    }

    #[test]
    fn builder_keys() {
        let mut b = ColumnBuilder::new();
        b.push_number(2.0, Value::num);
        b.push_number(f64::NAN, Value::num);
        b.push_null();
        b.push_number(2.0, |_| Value::str("never built twice"));
        let c = b.finish();
        assert_eq!(c.ids(), &[0, NULL_ID, NULL_ID, 0]);
        assert_eq!(c.dict().len(), 1);
    }

    #[test]
    fn extend_and_map_merge_by_value() {
        let a = Column::from_values([Value::str("x"), Value::str(" y"), Value::Null]);
        let b = Column::from_values([Value::str("y"), Value::str("x")]);
        let mut c = a.clone();
        c.extend_from(&b);
        assert_eq!(c.dict().len(), 3);
        assert_eq!(c.ids(), &[0, 1, NULL_ID, 2, 0]);
        let t = c.map_values(|v| v.text().map(|t| Value::str(t.trim())).unwrap_or_default());
        assert_eq!(t.dict().len(), 2);
        assert_eq!(t.ids(), &[0, 1, NULL_ID, 1, 0]);
        let u: Vec<String> = t.used_values().iter().map(|v| v.to_string()).collect();
        assert_eq!(u, vec!["x", "y"]);
        // NULL cells are mapped too, once.
        let n = c.map_values(|v| {
            if v.is_null() {
                Value::str("-")
            } else {
                v.clone()
            }
        });
        assert_eq!(n.get(2).map(|v| v.to_string()), Some("-".into()));
    }

    #[test]
    fn from_parts_reads_bad_ids_as_null() {
        let c = Column::from_parts(vec![Value::str("a"), Value::Null], vec![0, 1, 7, NULL_ID]);
        assert_eq!(c.ids(), &[0, NULL_ID, NULL_ID, NULL_ID]);
    }
}
