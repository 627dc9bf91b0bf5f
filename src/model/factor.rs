//! Many selections at once: rows are paid for once per model, selections on something small (issue 8;
//! `../shared/design/engine-at-scale.md`).
//!
//! [`Engine::evaluate`] runs R4's two-pass message passing over the rows of every constrained table, once
//! per selection. With tens of thousands of distinct selections that is selections × rows. This module
//! computes the same result from a **quotient** of the model, built once for a fixed set of selection
//! fields `F` (the reduction fields):
//!
//! - the *own class* of a row is the tuple of its symbols in the `F` fields its table holds;
//! - for a link `l` and a table `t` holding it, the *side* `S(l, t)` maps every key value `k` to the set of
//!   *partial classes* of the rows of `t` with key `k`, where a partial class is the row's own class and,
//!   for each other link of `t`, what lies across that link (below);
//! - the *across* class `A(l, t)` of a key value `k` is the tuple of the sides `S(l, t')[k]` of the other
//!   tables `t'` holding `l` (a NULL key gets its own class: it has no partner);
//! - the *full class* of a row is its own class and the across class of each of its links; rows of one
//!   full class are kept or dropped together, so a table becomes full classes with row counts.
//!
//! In a tree (the engine refuses loops, R5) this is exact: message passing keeps a row iff its own
//! selections hold and, in every direction whose side holds a selected field, some row there with the same
//! key is kept by its own side, recursively; which is a function of the classes above. Directions whose
//! side holds no field of `F` never constrain and are left out. Classes are few where the selection
//! fields have small domains: a 10M-row fact table with COUNTRY and a product's CATEGORY becomes a
//! few thousand classes; a dimension reached one-to-many (customers) becomes its distinct sets of cells.
//!
//! Evaluation is bit-parallel: a mask of [`LANES`] bits per class says which selections of a batch keep
//! it; one pass over the classes evaluates a whole batch. Batches run on all cores.
//!
//! A selection field may be a key field (held by several tables, e.g. `REGION` in a fact table and a
//! region dimension): it is then part of the own class of every table holding it, so a selection on it
//! filters both sides of its link directly, and it does not make a side constrain the other across that
//! link (`Builder::side_fields`), as in message passing (a selection on the link field keeps orphan key
//! values, as Qlik does).
//!
//! R4's [dec] markers are computed per selection with one definition shared with [`Engine::evaluate`]: a
//! row that its own selections keep has a NULL key towards a constrained side, or a composite key not
//! offered by a constrained side; or a table is reduced although no neighbour across its links holds a
//! selected field.

use super::bitset::Bitset;
use super::engine::{Engine, NULL};
use rayon::prelude::*;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

/// Words per mask.
const W: usize = 4;
/// Selections evaluated per pass.
pub const LANES: usize = 64 * W;
type Mask = [u64; W];
const ZERO: Mask = [0; W];
const ONES: Mask = [u64::MAX; W];

#[inline]
fn and(a: Mask, b: Mask) -> Mask {
    std::array::from_fn(|i| a[i] & b[i])
}
#[inline]
fn or(a: Mask, b: Mask) -> Mask {
    std::array::from_fn(|i| a[i] | b[i])
}
#[inline]
fn not(a: Mask) -> Mask {
    std::array::from_fn(|i| !a[i])
}
#[inline]
fn any(a: &Mask) -> bool {
    a.iter().any(|w| *w != 0)
}
#[inline]
fn bit(a: &Mask, j: usize) -> bool {
    (a[j / 64] >> (j % 64)) & 1 == 1
}
#[inline]
fn set_bit(a: &mut Mask, j: usize) {
    a[j / 64] |= 1u64 << (j % 64);
}

/// Per-lane counters in bit-sliced form: plane `k` holds bit `k` of every lane's count, so adding a mask
/// (one to every lane whose bit is set) costs a few word operations for all lanes at once.
#[derive(Default)]
struct Planes {
    planes: Vec<Mask>,
}

impl Planes {
    /// Add `w` to every lane set in `x`.
    fn add(&mut self, x: Mask, w: u64) {
        if !any(&x) {
            return;
        }
        let mut w = w;
        let mut level = 0usize;
        while w != 0 {
            if w & 1 == 1 {
                let mut carry = x;
                let mut k = level;
                while any(&carry) {
                    if self.planes.len() <= k {
                        self.planes.resize(k + 1, ZERO);
                    }
                    let p = self.planes[k];
                    self.planes[k] = std::array::from_fn(|i| p[i] ^ carry[i]);
                    carry = and(p, carry);
                    k += 1;
                }
            }
            w >>= 1;
            level += 1;
        }
    }

    /// The count of every lane.
    fn lanes(&self) -> [u64; LANES] {
        let mut out = [0u64; LANES];
        for (k, p) in self.planes.iter().enumerate() {
            for (wi, &word) in p.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let b = bits.trailing_zeros() as usize;
                    out[wi * 64 + b] += 1u64 << k;
                    bits &= bits - 1;
                }
            }
        }
        out
    }
}

/// Dense lookup tables up to this many slots (4 bytes each).
const DENSE_MAX: u128 = 1 << 21;

/// Interns tuples of a fixed arity whose parts have known bounds; ids are dense from 0.
struct Interner {
    arity: usize,
    radix: Option<Vec<u128>>,
    dense: Option<Vec<u32>>,
    packed: FxHashMap<u128, u32>,
    wide: FxHashMap<Box<[u32]>, u32>,
    flat: Vec<u32>,
    n: u32,
}

impl Interner {
    /// `bounds[i]`: every `parts[i]` is below it.
    fn new(bounds: &[usize]) -> Interner {
        let mut radix = Some(Vec::with_capacity(bounds.len()));
        let mut prod: u128 = 1;
        for &b in bounds {
            if let Some(r) = &mut radix {
                r.push(prod);
                match prod.checked_mul(b.max(1) as u128) {
                    Some(p) => prod = p,
                    None => radix = None,
                }
            }
        }
        let dense = match radix {
            Some(_) if prod <= DENSE_MAX => Some(vec![0u32; prod as usize]),
            _ => None,
        };
        Interner {
            arity: bounds.len(),
            radix,
            dense,
            packed: FxHashMap::default(),
            wide: FxHashMap::default(),
            flat: vec![],
            n: 0,
        }
    }

    fn fresh(&mut self, parts: &[u32]) -> u32 {
        self.flat.extend_from_slice(parts);
        self.n += 1;
        self.n - 1
    }

    fn id(&mut self, parts: &[u32]) -> u32 {
        if let Some(r) = &self.radix {
            let code: u128 = parts.iter().zip(r).map(|(&p, &m)| p as u128 * m).sum();
            if let Some(d) = &self.dense {
                let slot = d.get(code as usize).copied().unwrap_or(0);
                if slot != 0 {
                    return slot - 1;
                }
                let id = self.fresh(parts);
                if let Some(d) = &mut self.dense {
                    if let Some(s) = d.get_mut(code as usize) {
                        *s = id + 1;
                    }
                }
                return id;
            }
            if let Some(&id) = self.packed.get(&code) {
                return id;
            }
            let id = self.fresh(parts);
            self.packed.insert(code, id);
            return id;
        }
        if let Some(&id) = self.wide.get(parts) {
            return id;
        }
        let id = self.fresh(parts);
        self.wide.insert(parts.into(), id);
        id
    }

    fn len(&self) -> usize {
        self.n as usize
    }

    fn done(self) -> Tuples {
        Tuples {
            arity: self.arity,
            flat: self.flat,
            n: self.n as usize,
        }
    }
}

/// Rows per chunk of [`intern_rows`] (a fixed size, so ids do not depend on the number of threads).
#[cfg(not(test))]
const CHUNK: usize = 1 << 20;
/// Small chunks in unit tests, so that their models span many chunks.
#[cfg(test)]
const CHUNK: usize = 64;

/// Intern the tuple of every row (`parts_of(row, parts)` fills it) on all cores: each chunk of rows is
/// interned on its own, then the chunks' tuples are interned in chunk order, which gives every tuple the
/// id it gets from one sequential pass (ids by first appearance), and the rows are renumbered.
fn intern_rows(
    bounds: &[usize],
    rows: usize,
    parts_of: impl Fn(usize, &mut [u32]) + Sync,
) -> (Vec<u32>, Interner) {
    let starts: Vec<usize> = (0..rows).step_by(CHUNK).collect();
    let local: Vec<(Vec<u32>, Tuples)> = starts
        .par_iter()
        .map(|&start| {
            let end = (start + CHUNK).min(rows);
            let mut it = Interner::new(bounds);
            let mut parts = vec![0u32; bounds.len()];
            let ids = (start..end)
                .map(|r| {
                    parts_of(r, &mut parts);
                    it.id(&parts)
                })
                .collect();
            (ids, it.done())
        })
        .collect();
    let mut global = Interner::new(bounds);
    let maps: Vec<Vec<u32>> = local
        .iter()
        .map(|(_, tuples)| (0..tuples.n).map(|i| global.id(tuples.get(i))).collect())
        .collect();
    let out: Vec<u32> = local
        .into_par_iter()
        .zip(maps.par_iter())
        .flat_map_iter(|((ids, _), map)| {
            ids.into_iter()
                .map(move |i| map.get(i as usize).copied().unwrap_or(0))
        })
        .collect();
    (out, global)
}

/// Interned tuples, flat.
#[derive(Debug, Clone, Default)]
struct Tuples {
    arity: usize,
    flat: Vec<u32>,
    n: usize,
}

impl Tuples {
    fn get(&self, i: usize) -> &[u32] {
        &self.flat[i * self.arity..(i + 1) * self.arity]
    }
}

/// `S(l, t)`: per key value of `l`, the set of partial classes of the rows of `t` holding it.
#[derive(Debug, Clone)]
struct Side {
    table: usize,
    /// Index of `table` in `Factorized::ftables` (set when the build ends).
    ftable: Option<usize>,
    /// Indexes into `Factorized::fields` of the selection fields on this side (t and beyond, away from l).
    fields: Vec<usize>,
    /// Across ids (indexes into `Factorized::across`) of the other relevant links of `t`.
    other: Vec<usize>,
    /// Partial classes: (own class, across class per `other` link).
    pclass: Tuples,
    /// Sets of partial classes (CSR); set 0 is the empty set.
    set_start: Vec<u32>,
    set_members: Vec<u32>,
    /// Build only: key value → set id.
    key_set: Vec<u32>,
}

/// `A(l, t)`: per key value of `l`, the tuple of the other tables' sides.
#[derive(Debug, Clone)]
struct Across {
    /// Side ids (indexes into `Factorized::sides`) of the other tables of `l` whose side holds a
    /// selection field.
    sides: Vec<usize>,
    /// Across classes (one set id per side); class 0 is the NULL key.
    tuples: Tuples,
    /// Selection fields across `l` (union of the sides' fields).
    fields: Vec<usize>,
    composite: bool,
    /// Build only: key value → across class.
    key_class: Vec<u32>,
}

impl Across {
    fn class_of(&self, key: u32) -> u32 {
        if key == NULL {
            0
        } else {
            self.key_class.get(key as usize).copied().unwrap_or(0)
        }
    }
}

/// A table of a component holding selection fields, as full classes with row counts.
#[derive(Debug, Clone)]
struct FTable {
    table: usize,
    comp: usize,
    /// Selection fields the table holds (indexes into `Factorized::fields`).
    own_fields: Vec<usize>,
    /// Own classes: per own field, symbol + 1 (0 = NULL).
    own: Tuples,
    /// Across ids of the links whose far side holds a selection field.
    links: Vec<usize>,
    /// Full classes: (own class, across class per link), with row counts.
    full: Tuples,
    count: Vec<u64>,
    /// Selection fields held by the tables across any link (for the multi-hop marker).
    near: Vec<usize>,
}

#[derive(Debug, Clone, Copy)]
enum Step {
    Side(usize),
    Across(usize),
}

/// The result of one selection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// Per engine table: rows kept, or `None` when its component holds no selection (not reduced).
    pub kept: Vec<Option<usize>>,
    /// Tables reduced through a link (more than their own selections), sorted.
    pub propagated: Vec<usize>,
    /// R4's [dec] part decided a row (see the module doc).
    pub r4_dec: bool,
}

/// The quotient of a model for a set of selection fields.
#[derive(Debug, Clone)]
pub struct Factorized {
    /// Engine field ids of the selection fields.
    fields: Vec<usize>,
    fpos: BTreeMap<usize, usize>,
    /// Symbols per selection field.
    nsym: Vec<usize>,
    /// Selection fields per component (engine component id).
    comp_fields: BTreeMap<usize, Vec<usize>>,
    ftables: Vec<FTable>,
    sides: Vec<Side>,
    across: Vec<Across>,
    order: Vec<Step>,
    ntables: usize,
}

struct Builder<'e> {
    e: &'e Engine,
    fpos: BTreeMap<usize, usize>,
    /// Per engine table: own class of each row, own tuples, own fields.
    own_rows: Vec<Option<(Vec<u32>, usize)>>,
    side_memo: FxHashMap<(usize, usize), usize>,
    across_memo: FxHashMap<(usize, usize), usize>,
    sides: Vec<Side>,
    across: Vec<Across>,
    order: Vec<Step>,
}

impl Builder<'_> {
    /// Selection fields on `t`'s side of link `l` (t and everything reachable from t not through `l`).
    fn side_fields(&self, l: usize, t: usize) -> Vec<usize> {
        let mut out = vec![];
        let mut seen_t = vec![false; self.e.tables.len()];
        let mut seen_l = vec![false; self.e.links.len()];
        seen_l[l] = true;
        let mut stack = vec![t];
        seen_t[t] = true;
        // A selection on a field of `l` itself filters both sides directly (and keeps orphan key values,
        // as Qlik does): it does not make this side constrain the other across `l`.
        let own_key = &self.e.links[l].fields;
        while let Some(x) = stack.pop() {
            for &f in &self.e.tables[x].fields {
                if let Some(&p) = self.fpos.get(&f) {
                    if !own_key.contains(&f) {
                        out.push(p);
                    }
                }
            }
            for &(l2, _) in self.e.links_of(x) {
                if seen_l[l2] {
                    continue;
                }
                seen_l[l2] = true;
                for y in self.e.links[l2].tables() {
                    if !seen_t[y] {
                        seen_t[y] = true;
                        stack.push(y);
                    }
                }
            }
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Selection fields across `l` from `t`.
    fn across_fields(&self, l: usize, t: usize) -> Vec<usize> {
        let mut out: Vec<usize> = self.e.links[l]
            .tables()
            .filter(|&o| o != t)
            .flat_map(|o| self.side_fields(l, o))
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Own class of every row of `t`, and the number of own classes.
    fn own(&mut self, t: usize) -> Tuples {
        let tab = &self.e.tables[t];
        let cols: Vec<(usize, usize)> = tab
            .fields
            .iter()
            .enumerate()
            .filter_map(|(ci, f)| self.fpos.get(f).map(|_| (ci, *f)))
            .collect();
        let bounds: Vec<usize> = cols
            .iter()
            .map(|&(_, f)| self.e.fields[f].len() + 1)
            .collect();
        let (rows, it) = intern_rows(&bounds, tab.rows, |r, parts| {
            for (p, &(ci, _)) in parts.iter_mut().zip(&cols) {
                let s = tab.cols[ci].get(r).copied().unwrap_or(NULL);
                *p = if s == NULL { 0 } else { s + 1 };
            }
        });
        let n = it.len();
        self.own_rows[t] = Some((rows, n));
        it.done()
    }

    fn own_of(&self, t: usize) -> (&[u32], usize) {
        match &self.own_rows[t] {
            Some((rows, n)) => (rows, *n),
            None => (&[], 0),
        }
    }

    /// The relevant links of `t` other than `except`: (link, member index, across id).
    fn relevant(&mut self, t: usize, except: Option<usize>) -> Vec<(usize, usize, usize)> {
        let links: Vec<(usize, usize)> = self.e.links_of(t).to_vec();
        let mut out = vec![];
        for (l, m) in links {
            if Some(l) == except || self.across_fields(l, t).is_empty() {
                continue;
            }
            let a = self.across(l, t);
            out.push((l, m, a));
        }
        out
    }

    /// Per row of `t`: (own class, across class of each given link) interned.
    fn classes(&self, t: usize, links: &[(usize, usize, usize)]) -> (Vec<u32>, Interner) {
        let (own, nown) = self.own_of(t);
        let mut bounds = vec![nown.max(1)];
        bounds.extend(links.iter().map(|&(_, _, a)| self.across[a].tuples.n));
        let rows = self.e.tables[t].rows;
        let keys: Vec<&[u32]> = links
            .iter()
            .map(|&(l, m, _)| self.e.key_col(l, m))
            .collect();
        let across: Vec<&Across> = links.iter().map(|&(_, _, a)| &self.across[a]).collect();
        intern_rows(&bounds, rows, |r, parts| {
            parts[0] = own.get(r).copied().unwrap_or(0);
            for (i, a) in across.iter().enumerate() {
                let k = keys[i].get(r).copied().unwrap_or(NULL);
                parts[i + 1] = a.class_of(k);
            }
        })
    }

    fn side(&mut self, l: usize, t: usize) -> usize {
        if let Some(&s) = self.side_memo.get(&(l, t)) {
            return s;
        }
        let fields = self.side_fields(l, t);
        let other = self.relevant(t, Some(l));
        let (pclass_of_row, it) = self.classes(t, &other);
        let m = self
            .e
            .links_of(t)
            .iter()
            .find(|x| x.0 == l)
            .map(|x| x.1)
            .unwrap_or(0);
        let keys = self.e.key_col(l, m);
        let domain = self.e.link_domain(l);
        // Group rows by key (counting sort).
        let mut start = vec![0u32; domain + 1];
        for &k in keys {
            if k != NULL && (k as usize) < domain {
                start[k as usize + 1] += 1;
            }
        }
        for i in 1..start.len() {
            start[i] += start[i - 1];
        }
        let mut fill = start.clone();
        let mut grouped = vec![0u32; start[domain] as usize];
        for (r, &k) in keys.iter().enumerate() {
            if k != NULL && (k as usize) < domain {
                let at = &mut fill[k as usize];
                grouped[*at as usize] = pclass_of_row[r];
                *at += 1;
            }
        }
        drop(pclass_of_row);
        let mut sets: FxHashMap<Vec<u32>, u32> = FxHashMap::default();
        let mut set_start = vec![0u32, 0u32];
        let mut set_members: Vec<u32> = vec![];
        sets.insert(vec![], 0);
        let mut key_set = vec![0u32; domain];
        let mut buf: Vec<u32> = vec![];
        for (k, ks) in key_set.iter_mut().enumerate() {
            let (a, b) = (start[k] as usize, start[k + 1] as usize);
            if a == b {
                continue;
            }
            buf.clear();
            buf.extend_from_slice(&grouped[a..b]);
            buf.sort_unstable();
            buf.dedup();
            let next = sets.len() as u32;
            let id = *sets.entry(buf.clone()).or_insert_with(|| {
                set_members.extend_from_slice(&buf);
                set_start.push(set_members.len() as u32);
                next
            });
            *ks = id;
        }
        let id = self.sides.len();
        self.sides.push(Side {
            table: t,
            ftable: None,
            fields,
            other: other.iter().map(|x| x.2).collect(),
            pclass: it.done(),
            set_start,
            set_members,
            key_set,
        });
        self.order.push(Step::Side(id));
        self.side_memo.insert((l, t), id);
        id
    }

    fn across(&mut self, l: usize, t: usize) -> usize {
        if let Some(&a) = self.across_memo.get(&(l, t)) {
            return a;
        }
        let others: Vec<usize> = self.e.links[l].tables().filter(|&o| o != t).collect();
        let mut sides = vec![];
        for o in others {
            if !self.side_fields(l, o).is_empty() {
                sides.push(self.side(l, o));
            }
        }
        let fields = self.across_fields(l, t);
        let bounds: Vec<usize> = sides
            .iter()
            .map(|&s| self.sides[s].set_start.len() - 1)
            .collect();
        let mut it = Interner::new(&bounds);
        // Class 0: the NULL key (no partner on any side). `fresh` does not register the tuple, so a key
        // value without partners gets a class of its own (same masks, but not a NULL key for R4).
        let zeros = vec![0u32; sides.len()];
        it.fresh(&zeros);
        let domain = self.e.link_domain(l);
        let mut key_class = vec![0u32; domain];
        let mut parts = vec![0u32; sides.len()];
        for (k, kc) in key_class.iter_mut().enumerate() {
            for (p, &s) in parts.iter_mut().zip(&sides) {
                *p = self.sides[s].key_set.get(k).copied().unwrap_or(0);
            }
            *kc = it.id(&parts);
        }
        let tuples = it.done();
        let composite = self.e.links[l].fields.len() > 1;
        let id = self.across.len();
        self.across.push(Across {
            sides,
            tuples,
            fields,
            composite,
            key_class,
        });
        self.order.push(Step::Across(id));
        self.across_memo.insert((l, t), id);
        id
    }
}

/// Per-batch state: masks of every class.
struct Masks {
    cm: Vec<Mask>,
    own: Vec<Vec<Mask>>,
    set: Vec<Vec<Mask>>,
    across: Vec<Vec<Mask>>,
}

impl Factorized {
    /// Build the quotient for selection fields `fields` (engine field ids, key fields included). `None`
    /// when one of them is not a field of the model.
    pub fn build(e: &Engine, fields: &[usize]) -> Option<Factorized> {
        let mut fields: Vec<usize> = fields.to_vec();
        fields.sort_unstable();
        fields.dedup();
        if fields.iter().any(|&f| f >= e.fields.len()) {
            return None;
        }
        let fpos: BTreeMap<usize, usize> =
            fields.iter().enumerate().map(|(i, &f)| (f, i)).collect();
        let mut comp_fields: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, &f) in fields.iter().enumerate() {
            for &t in &e.fields[f].tables {
                comp_fields.entry(e.component_of(t)).or_default().push(i);
            }
        }
        let mut b = Builder {
            e,
            fpos: fpos.clone(),
            own_rows: vec![None; e.tables.len()],
            side_memo: FxHashMap::default(),
            across_memo: FxHashMap::default(),
            sides: vec![],
            across: vec![],
            order: vec![],
        };
        let mut ftables = vec![];
        let mut owns = BTreeMap::new();
        for &c in comp_fields.keys() {
            for &t in e.component_tables(c) {
                owns.insert(t, b.own(t));
            }
        }
        for (&c, _) in comp_fields.iter() {
            for &t in e.component_tables(c) {
                let links = b.relevant(t, None);
                let (rows, it) = b.classes(t, &links);
                let mut count = vec![0u64; it.len()];
                for &r in &rows {
                    count[r as usize] += 1;
                }
                drop(rows);
                // Order the classes by their across classes, so that each pass reads the (large) across
                // masks in order rather than at random.
                let full = it.done();
                let mut order: Vec<usize> = (0..full.n).collect();
                order.sort_by(|&x, &y| {
                    let (a, b) = (full.get(x), full.get(y));
                    a[1..].cmp(&b[1..]).then(a[0].cmp(&b[0]))
                });
                let full = Tuples {
                    arity: full.arity,
                    flat: order
                        .iter()
                        .flat_map(|&c| full.get(c).iter().copied())
                        .collect(),
                    n: full.n,
                };
                let count: Vec<u64> = order.iter().map(|&c| count[c]).collect();
                let own_fields: Vec<usize> = e.tables[t]
                    .fields
                    .iter()
                    .filter_map(|f| fpos.get(f).copied())
                    .collect();
                let mut near: Vec<usize> = e
                    .links_of(t)
                    .iter()
                    .flat_map(|&(l, _)| e.links[l].tables().filter(move |&o| o != t))
                    .flat_map(|o| {
                        e.tables[o]
                            .fields
                            .iter()
                            .filter_map(|f| fpos.get(f).copied())
                    })
                    .collect();
                near.sort_unstable();
                near.dedup();
                ftables.push(FTable {
                    table: t,
                    comp: c,
                    own_fields,
                    own: owns.remove(&t).unwrap_or_default(),
                    links: links.iter().map(|x| x.2).collect(),
                    full,
                    count,
                    near,
                });
            }
        }
        let Builder {
            mut sides,
            mut across,
            order,
            ..
        } = b;
        for s in &mut sides {
            s.key_set = vec![];
            s.ftable = ftables.iter().position(|f| f.table == s.table);
        }
        for a in &mut across {
            a.key_class = vec![];
        }
        Some(Factorized {
            nsym: fields.iter().map(|&f| e.fields[f].len()).collect(),
            fields,
            fpos,
            comp_fields,
            ftables,
            sides,
            across,
            order,
            ntables: e.tables.len(),
        })
    }

    /// Number of classes (own, partial, sets, across, full): how small the quotient is.
    pub fn size(&self) -> usize {
        self.ftables
            .iter()
            .map(|t| t.own.n + t.full.n)
            .chain(self.sides.iter().map(|s| s.pclass.n + s.set_start.len()))
            .chain(self.across.iter().map(|a| a.tuples.n))
            .sum()
    }

    /// Whether every field of `sel` is a selection field of this quotient.
    pub fn covers(&self, sel: &BTreeMap<usize, Bitset>) -> bool {
        sel.keys().all(|f| self.fpos.contains_key(f))
    }

    /// Evaluate selections (each: engine field id → allowed symbols; fields outside the quotient's
    /// selection fields are ignored, see [`Factorized::covers`]). Results are in input order.
    pub fn evaluate(&self, sels: &[&BTreeMap<usize, Bitset>]) -> Vec<Counted> {
        let batches: Vec<&[&BTreeMap<usize, Bitset>]> = sels.chunks(LANES).collect();
        batches
            .par_iter()
            .map(|b| self.batch(b))
            .collect::<Vec<_>>()
            .into_iter()
            .flatten()
            .collect()
    }

    fn masks(&self, sels: &[&BTreeMap<usize, Bitset>]) -> Masks {
        let nf = self.fields.len();
        let mut cm = vec![ZERO; nf];
        for (j, s) in sels.iter().enumerate() {
            for f in s.keys() {
                if let Some(&p) = self.fpos.get(f) {
                    set_bit(&mut cm[p], j);
                }
            }
        }
        let mut allow: Vec<Vec<Mask>> = (0..nf)
            .map(|p| vec![not(cm[p]); self.nsym[p] + 1])
            .collect();
        for (j, s) in sels.iter().enumerate() {
            for (f, b) in s.iter() {
                if let Some(&p) = self.fpos.get(f) {
                    for sym in b.ones() {
                        if let Some(m) = allow[p].get_mut(sym + 1) {
                            set_bit(m, j);
                        }
                    }
                }
            }
        }
        let own = self
            .ftables
            .iter()
            .map(|t| {
                (0..t.own.n)
                    .map(|c| {
                        t.own
                            .get(c)
                            .iter()
                            .zip(&t.own_fields)
                            .fold(ONES, |m, (&v, &p)| {
                                and(m, allow[p].get(v as usize).copied().unwrap_or(ZERO))
                            })
                    })
                    .collect()
            })
            .collect();
        Masks {
            cm,
            own,
            set: vec![vec![]; self.sides.len()],
            across: vec![vec![]; self.across.len()],
        }
    }

    fn constrained(&self, cm: &[Mask], fields: &[usize]) -> Mask {
        fields.iter().fold(ZERO, |m, &p| or(m, cm[p]))
    }

    fn batch(&self, sels: &[&BTreeMap<usize, Bitset>]) -> Vec<Counted> {
        let mut m = self.masks(sels);
        for step in &self.order {
            match *step {
                Step::Side(s) => {
                    let side = &self.sides[s];
                    let Some(fi) = side.ftable else {
                        continue;
                    };
                    let own = &m.own[fi];
                    let pmask: Vec<Mask> = (0..side.pclass.n)
                        .map(|p| {
                            let parts = side.pclass.get(p);
                            let mut x = own.get(parts[0] as usize).copied().unwrap_or(ZERO);
                            for (i, &a) in side.other.iter().enumerate() {
                                x = and(x, m.across[a][parts[i + 1] as usize]);
                            }
                            x
                        })
                        .collect();
                    let nsets = side.set_start.len() - 1;
                    let mut sm = Vec::with_capacity(nsets);
                    for k in 0..nsets {
                        let (a, b) = (side.set_start[k] as usize, side.set_start[k + 1] as usize);
                        let x = side.set_members[a..b]
                            .iter()
                            .fold(ZERO, |acc, &p| or(acc, pmask[p as usize]));
                        sm.push(x);
                    }
                    m.set[s] = sm;
                }
                Step::Across(a) => {
                    let ac = &self.across[a];
                    let unc: Vec<Mask> = ac
                        .sides
                        .iter()
                        .map(|&s| not(self.constrained(&m.cm, &self.sides[s].fields)))
                        .collect();
                    let am = (0..ac.tuples.n)
                        .map(|c| {
                            let parts = ac.tuples.get(c);
                            ac.sides
                                .iter()
                                .zip(parts)
                                .zip(&unc)
                                .fold(ONES, |acc, ((&s, &set), u)| {
                                    and(acc, or(m.set[s][set as usize], *u))
                                })
                        })
                        .collect();
                    m.across[a] = am;
                }
            }
        }
        let n = sels.len();
        let mut kept = vec![vec![None; self.ntables]; n];
        let mut prop_tables: Vec<Vec<usize>> = vec![vec![]; n];
        let mut r4 = ZERO;
        let comp_mask: BTreeMap<usize, Mask> = self
            .comp_fields
            .iter()
            .map(|(&c, fs)| (c, self.constrained(&m.cm, fs)))
            .collect();
        for (fi, t) in self.ftables.iter().enumerate() {
            let reduced = comp_mask.get(&t.comp).copied().unwrap_or(ZERO);
            if !any(&reduced) {
                continue;
            }
            let link_cm: Vec<Mask> = t
                .links
                .iter()
                .map(|&a| self.constrained(&m.cm, &self.across[a].fields))
                .collect();
            let mut counts = Planes::default();
            let mut prop = ZERO;
            for c in 0..t.full.n {
                let parts = t.full.get(c);
                let own = m.own[fi].get(parts[0] as usize).copied().unwrap_or(ZERO);
                let mut x = own;
                for (i, &a) in t.links.iter().enumerate() {
                    let ac = parts[i + 1] as usize;
                    let am = m.across[a][ac];
                    x = and(x, am);
                    if ac == 0 {
                        r4 = or(r4, and(own, link_cm[i]));
                    } else if self.across[a].composite {
                        r4 = or(r4, and(own, not(am)));
                    }
                }
                prop = or(prop, and(own, not(x)));
                counts.add(x, t.count[c]);
            }
            let counts = counts.lanes();
            let near = self.constrained(&m.cm, &t.near);
            r4 = or(r4, and(prop, not(near)));
            for j in 0..n {
                if bit(&reduced, j) {
                    kept[j][t.table] = Some(counts[j] as usize);
                    if bit(&prop, j) {
                        prop_tables[j].push(t.table);
                    }
                }
            }
        }
        kept.into_iter()
            .zip(prop_tables)
            .enumerate()
            .map(|(j, (kept, mut propagated))| {
                propagated.sort_unstable();
                Counted {
                    kept,
                    propagated,
                    r4_dec: bit(&r4, j),
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{DataModel, Table, Value};

    fn table(name: &str, fields: &[&str], rows: Vec<Vec<Option<String>>>) -> Table {
        let mut t = Table::new(name, fields.iter().map(|s| s.to_string()).collect());
        for r in rows {
            t.push_row(
                r.into_iter()
                    .map(|c| c.map(Value::str).unwrap_or_default())
                    .collect(),
            );
        }
        t
    }

    /// A star: 2 000 facts over 4 countries and 50 products in 3 categories (some orphan and NULL product
    /// keys, products without facts), customers reached one-to-many, and an island.
    fn star() -> DataModel {
        let s = |x: String| Some(x);
        let facts = (0..2000)
            .map(|i| {
                let p = match i % 97 {
                    0 => None,
                    1 => s("P999".into()),
                    _ => s(format!("P{}", (i * 7) % 45)),
                };
                vec![
                    s(format!("F{i}")),
                    s(format!("C{}", i % 300)),
                    p,
                    s(["DE", "FR", "US", "JP"][i % 4].into()),
                ]
            })
            .collect();
        let products = (0..50)
            .map(|p| vec![s(format!("P{p}")), s(["A", "B", "C"][p % 3].into())])
            .collect();
        let customers = (0..320)
            .map(|c| vec![s(format!("C{c}")), s(format!("Name{c}"))])
            .collect();
        DataModel {
            tables: vec![
                table("Facts", &["ORDER", "CUSTOMER", "PRODUCT", "COUNTRY"], facts),
                table("Products", &["PRODUCT", "CATEGORY"], products),
                table("Customers", &["CUSTOMER", "NAME"], customers),
                table("Island", &["X"], vec![vec![s("1".into())]]),
            ],
        }
    }

    fn sel(e: &Engine, parts: &[(&str, &[&str])]) -> BTreeMap<usize, Bitset> {
        parts
            .iter()
            .filter_map(|(f, vals)| {
                let fid = e.field_id(f)?;
                let mut b = Bitset::new(e.fields[fid].len());
                for v in *vals {
                    if let Some(s) = e.fields[fid].symbol(v) {
                        b.set(s as usize);
                    }
                }
                Some((fid, b))
            })
            .collect()
    }

    /// Rows kept per table by message passing (`None` = not reduced), and the evaluation.
    fn counts(
        e: &Engine,
        s: &BTreeMap<usize, Bitset>,
    ) -> (Vec<Option<usize>>, crate::model::engine::Evaluation) {
        let ev = e.evaluate(s);
        let want = ev
            .kept
            .iter()
            .zip(&e.tables)
            .map(|(k, t)| match k {
                crate::model::engine::Kept::All => None,
                k => Some(k.count(t.rows)),
            })
            .collect();
        (want, ev)
    }

    /// The quotient's results for `sels`, each asserted equal to message passing's (rows kept per table,
    /// propagation, R4's markers).
    fn evaluate_as_message_passing(
        e: &Engine,
        q: &Factorized,
        sels: &[BTreeMap<usize, Bitset>],
    ) -> Vec<Counted> {
        let refs: Vec<&BTreeMap<usize, Bitset>> = sels.iter().collect();
        let got = q.evaluate(&refs);
        for (s, g) in sels.iter().zip(&got) {
            let (want, ev) = counts(e, s);
            assert_eq!(g.kept, want, "{s:?}");
            assert_eq!(g.propagated, ev.propagated, "{s:?}");
            assert_eq!(g.r4_dec, ev.r4_dec, "{s:?}");
        }
        got
    }

    fn star_quotient() -> (Engine, Factorized) {
        let e = Engine::build(&star()).expect("a tree");
        let fields: Vec<usize> = ["COUNTRY", "CATEGORY"]
            .iter()
            .filter_map(|f| e.field_id(f))
            .collect();
        let q = Factorized::build(&e, &fields).expect("fields of the model");
        (e, q)
    }

    #[test]
    fn star_quotient_is_small_and_matches_message_passing() {
        let (e, q) = star_quotient();
        // Facts: 4 countries × (3 categories + orphan + NULL); customers: their sets of cells.
        assert!(q.size() < 2000, "quotient of {} classes", q.size());
        let sels = [
            sel(&e, &[("COUNTRY", &["DE"])]),
            sel(&e, &[("CATEGORY", &["A", "C"])]),
            sel(&e, &[("COUNTRY", &["FR", "JP"]), ("CATEGORY", &["B"])]),
            sel(&e, &[("COUNTRY", &[]), ("CATEGORY", &["B"])]),
            sel(&e, &[]),
        ];
        let got = evaluate_as_message_passing(&e, &q, &sels);
        // Spot checks by hand: COUNTRY=DE keeps facts i%4==0 (500), every product of those facts, and
        // the customers i%300 with i%4==0 (the 75 multiples of 4 below 300), never the island.
        assert_eq!(got[0].kept[0], Some(500));
        assert_eq!(got[0].kept[2], Some(75));
        assert_eq!(got[0].kept[3], None);
        // An empty selection reduces nothing.
        assert!(got[4].kept.iter().all(Option::is_none));
        assert!(
            got[1].r4_dec,
            "NULL product keys are dropped once CATEGORY is constrained"
        );
    }

    #[test]
    fn bit_sliced_counters_add_weights_per_lane() {
        let mut p = Planes::default();
        let mut want = [0u64; LANES];
        let mut seed = 12345u64;
        for _ in 0..500 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let x: Mask = std::array::from_fn(|i| seed.rotate_left(i as u32 * 7) & (seed >> 3));
            let w = seed % 1000;
            p.add(x, w);
            for (j, c) in want.iter_mut().enumerate() {
                if bit(&x, j) {
                    *c += w;
                }
            }
        }
        assert_eq!(p.lanes(), want);
    }

    #[test]
    fn rows_interned_in_chunks_get_the_ids_of_one_sequential_pass() {
        let rows = 1000;
        let key = |r: usize| [(r * 7 % 13) as u32, (r % 5) as u32];
        let (ids, it) = intern_rows(&[13, 5], rows, |r, parts| parts.copy_from_slice(&key(r)));
        let mut seq = Interner::new(&[13, 5]);
        let want: Vec<u32> = (0..rows).map(|r| seq.id(&key(r))).collect();
        assert_eq!(ids, want);
        assert_eq!(it.len(), seq.len());
    }

    // A reduction field that is a key (PRODUCT links Facts and Products; CUSTOMER, Facts and Customers):
    // the quotient gives what message passing gives, orphan and NULL keys included.
    #[test]
    fn selections_on_key_fields_match_message_passing() {
        let e = Engine::build(&star()).expect("a tree");
        let fields: Vec<usize> = ["PRODUCT", "COUNTRY", "CATEGORY", "CUSTOMER"]
            .iter()
            .filter_map(|f| e.field_id(f))
            .collect();
        let q = Factorized::build(&e, &fields).expect("fields of the model");
        let sels = [
            sel(&e, &[("PRODUCT", &["P1", "P2", "P999"])]),
            sel(&e, &[("PRODUCT", &["P49"])]), // a product without facts
            sel(&e, &[("PRODUCT", &["P3"]), ("COUNTRY", &["DE"])]),
            sel(&e, &[("PRODUCT", &["P3", "P4"]), ("CATEGORY", &["A"])]),
            sel(&e, &[("CUSTOMER", &["C1", "C310"]), ("CATEGORY", &["B"])]),
            sel(&e, &[("PRODUCT", &[])]),
            sel(&e, &[]),
        ];
        let got = evaluate_as_message_passing(&e, &q, &sels);
        // By hand: P49 has no facts, yet selecting it keeps its product row (an orphan key value stays,
        // as in Qlik) and no fact.
        assert_eq!(got[1].kept[1], Some(1));
        assert_eq!(got[1].kept[0], Some(0));
    }

    #[test]
    fn more_selections_than_one_pass() {
        // 600 selections: three passes of LANES, results in input order.
        let (e, q) = star_quotient();
        let countries = ["DE", "FR", "US", "JP"];
        let cats = ["A", "B", "C"];
        let sels: Vec<BTreeMap<usize, Bitset>> = (0..600)
            .map(|i| {
                let c: Vec<&str> = (0..4)
                    .filter(|b| (i >> b) & 1 == 1)
                    .map(|b| countries[b])
                    .collect();
                let k: Vec<&str> = (0..3)
                    .filter(|b| (i >> (b + 4)) & 1 == 1)
                    .map(|b| cats[b])
                    .collect();
                sel(&e, &[("COUNTRY", &c), ("CATEGORY", &k)])
            })
            .collect();
        let got = evaluate_as_message_passing(&e, &q, &sels);
        assert_eq!(got.len(), 600);
    }
}
