//! The columnar reduction engine (R2–R5).
//!
//! Every field of a data model becomes a symbol table (distinct texts → `u32`; NULL is [`NULL`]); every
//! table becomes `u32` columns plus a value → rows index (CSR) per column. The tables and their links form a
//! bipartite graph: table nodes, and link nodes, one per key field (a field held by several tables) or per
//! field *combination* when two tables share several fields (Qlik's synthetic key, R4). A loop in that graph
//! is a circular reference and is refused (R5); combinations that overlap (nested synthetic keys) are
//! refused too.
//!
//! Evaluation of one set of selections (bitsets over symbols, OR within a field, AND across, R3) is
//! two-pass message passing over each tree-shaped component that holds a selection (R4): a row is kept when
//! it satisfies the selections on its own fields and, in every direction through its links where a
//! selection lies, its link value is among the link values of the rows kept on that side. A NULL link value
//! in a constrained direction drops the row. Components without a selection (data islands) are untouched.
//! Nothing is copied per evaluation except row bitsets of the tables in constrained components.

use super::bitset::Bitset;
use super::{DataModel, Value};
use rustc_hash::FxHashMap;
use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// The symbol of NULL in id columns.
pub const NULL: u32 = u32::MAX;

/// One field's symbol table.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    /// Symbol → value (first value seen with that text).
    pub values: Vec<Value>,
    by_text: rustc_hash::FxHashMap<Arc<str>, u32>,
    /// Tables holding the field.
    pub tables: Vec<usize>,
}

impl Field {
    /// The symbol of a text, if the field holds it.
    pub fn symbol(&self, text: &str) -> Option<u32> {
        self.by_text.get(text).copied()
    }
    pub fn len(&self) -> usize {
        self.values.len()
    }
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }
}

#[derive(Debug, Clone)]
struct Csr {
    starts: Vec<u32>,
    rows: Vec<u32>,
}

impl Csr {
    fn build(col: &[u32], nsym: usize) -> Csr {
        let mut counts = vec![0u32; nsym + 1];
        for &s in col {
            if s != NULL {
                counts[s as usize + 1] += 1;
            }
        }
        for i in 1..counts.len() {
            counts[i] += counts[i - 1];
        }
        let starts = counts.clone();
        let mut fill = counts;
        let mut rows = vec![0u32; starts.last().copied().unwrap_or(0) as usize];
        for (r, &s) in col.iter().enumerate() {
            if s != NULL {
                let at = &mut fill[s as usize];
                rows[*at as usize] = r as u32;
                *at += 1;
            }
        }
        Csr { starts, rows }
    }
    fn rows_of(&self, sym: u32) -> &[u32] {
        let i = sym as usize;
        match (self.starts.get(i), self.starts.get(i + 1)) {
            (Some(&a), Some(&b)) => &self.rows[a as usize..b as usize],
            _ => &[],
        }
    }
}

/// A table as id columns.
#[derive(Debug)]
pub struct ETable {
    pub name: String,
    /// Field ids, in table order.
    pub fields: Vec<usize>,
    pub cols: Vec<Vec<u32>>,
    pub rows: usize,
    /// Per column: value → rows, built on first use ([`Engine::index`]).
    index: Vec<std::sync::OnceLock<Csr>>,
    /// Per set of columns: value tuple → rows, built on first use ([`Engine::composite`]).
    composite: std::sync::Mutex<FxHashMap<Vec<usize>, std::sync::Arc<Composite>>>,
}

/// Rows by the tuple of their values in some columns (rows with a NULL in one of them are left out).
type Composite = FxHashMap<Box<[u32]>, Vec<u32>>;

/// Selections whose value combinations number at most this are answered through a composite index.
const COMPOSITE_MAX: usize = 256;
/// ... and in tables of at most this many rows.
const COMPOSITE_ROWS_MAX: usize = 1 << 20;

#[derive(Debug, Clone)]
enum KeyCol {
    /// The link is one field: its symbols are the key (column index in the table).
    Field(usize),
    /// The link is a field combination: interned tuples (NULL when any part is NULL).
    Tuple(Vec<u32>),
}

/// A link node: one key field or a field combination, with the tables holding it.
#[derive(Debug, Clone)]
pub struct Link {
    pub fields: Vec<usize>,
    /// (table, key column)
    members: Vec<(usize, KeyCol)>,
    domain: usize,
}

impl Link {
    pub fn tables(&self) -> impl Iterator<Item = usize> + '_ {
        self.members.iter().map(|m| m.0)
    }
}

/// Why an engine cannot be built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildError {
    /// R5: a loop; the tables and link fields along it, in order.
    Circular {
        tables: Vec<String>,
        via: Vec<String>,
    },
    /// Overlapping field combinations (nested synthetic keys).
    NestedSynthetic {
        fields: Vec<String>,
        tables: Vec<String>,
    },
}

impl std::fmt::Display for BuildError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BuildError::Circular { tables, via } => {
                write!(f, "circular reference: ")?;
                for (i, t) in tables.iter().enumerate() {
                    if i > 0 {
                        write!(f, " —[{}]— ", via.get(i - 1).map(String::as_str).unwrap_or("?"))?;
                    }
                    write!(f, "{t}")?;
                }
                if let (Some(first), Some(last)) = (tables.first(), via.last()) {
                    write!(f, " —[{last}]— {first}")?;
                }
                Ok(())
            }
            BuildError::NestedSynthetic { fields, tables } => write!(
                f,
                "tables {} are linked by overlapping field combinations ({}); qsa cannot model nested synthetic keys",
                tables.join(", "),
                fields.join(", ")
            ),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Node {
    Table(usize),
    Link(usize),
}

#[derive(Debug, Clone)]
struct Component {
    /// Nodes in pre-order from a root table, with each node's parent position in `order`.
    order: Vec<Node>,
    parent: Vec<Option<usize>>,
    tables: Vec<usize>,
}

/// What a table keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Kept {
    /// Not reduced (no selection in its component).
    All,
    Rows(Bitset),
}

impl Kept {
    pub fn count(&self, total: usize) -> usize {
        match self {
            Kept::All => total,
            Kept::Rows(b) => b.count(),
        }
    }
    pub fn contains(&self, row: usize) -> bool {
        match self {
            Kept::All => true,
            Kept::Rows(b) => b.get(row),
        }
    }
}

/// The result of one evaluation.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub kept: Vec<Kept>,
    /// Tables whose rows were reduced by a link (not only by selections on their own fields): R4 decided.
    pub propagated: Vec<usize>,
    /// The result depends on R4's [dec] message-passing form: a NULL link value dropped a row, a composite
    /// link dropped a row, or a table was reduced through two or more links from the nearest selection.
    pub r4_dec: bool,
}

#[derive(Default)]
struct R4Flags {
    null_drop: bool,
    composite_drop: bool,
}

#[derive(Debug)]
pub struct Engine {
    pub fields: Vec<Field>,
    field_ids: BTreeMap<String, usize>,
    pub tables: Vec<ETable>,
    pub links: Vec<Link>,
    /// Per table: (link, member index).
    table_links: Vec<Vec<(usize, usize)>>,
    components: Vec<Component>,
    comp_of_table: Vec<usize>,
}

impl Engine {
    /// Symbol-encode a data model and build its link graph. Fails on loops (R5) and nested synthetic keys.
    pub fn build(model: &DataModel) -> Result<Engine, BuildError> {
        Engine::build_with(model, &|_| true)
    }

    /// Like [`Engine::build`], but only key fields (held by several tables) and fields for which `wanted`
    /// holds get symbols: the others keep their table membership, no symbols and an empty id column
    /// (nothing can select them, and they link nothing). The app's engine wants only the fields the
    /// security tables name: a 10M-row fact table's order ids and amounts are never encoded.
    pub fn build_with(
        model: &DataModel,
        wanted: &dyn Fn(&str) -> bool,
    ) -> Result<Engine, BuildError> {
        let mut held: HashMap<&str, usize> = HashMap::new();
        for t in &model.tables {
            for f in &t.fields {
                *held.entry(f.as_str()).or_default() += 1;
            }
        }
        let encode = |name: &str| held.get(name).copied().unwrap_or(0) > 1 || wanted(name);
        let mut fields: Vec<Field> = Vec::new();
        let mut field_ids: BTreeMap<String, usize> = BTreeMap::new();
        let mut tables = Vec::new();
        for (ti, t) in model.tables.iter().enumerate() {
            let mut fids = Vec::new();
            let mut cols = Vec::new();
            for (fname, col) in t.fields.iter().zip(&t.columns) {
                let fid = *field_ids.entry(fname.clone()).or_insert_with(|| {
                    fields.push(Field {
                        name: fname.clone(),
                        values: vec![],
                        by_text: Default::default(),
                        tables: vec![],
                    });
                    fields.len() - 1
                });
                let f = &mut fields[fid];
                if !f.tables.contains(&ti) {
                    f.tables.push(ti);
                }
                let ids = if encode(fname) {
                    field_ids_of_column(f, col.dict(), col.ids())
                } else {
                    vec![]
                };
                fids.push(fid);
                cols.push(ids);
            }
            let rows = t.row_count();
            tables.push(ETable {
                name: t.name.clone(),
                fields: fids,
                cols,
                rows,
                index: vec![],
                composite: Default::default(),
            });
        }
        // Value → rows indexes are built on first use (a 10M-row fact table has columns nobody selects).
        for t in &mut tables {
            t.index = t
                .fields
                .iter()
                .map(|_| std::sync::OnceLock::new())
                .collect();
        }
        let mut e = Engine {
            fields,
            field_ids,
            tables,
            links: vec![],
            table_links: vec![],
            components: vec![],
            comp_of_table: vec![],
        };
        e.build_links()?;
        Ok(e)
    }

    pub fn field_id(&self, name: &str) -> Option<usize> {
        self.field_ids.get(name).copied()
    }
    pub fn table_id(&self, name: &str) -> Option<usize> {
        self.tables.iter().position(|t| t.name == name)
    }
    /// Fields held by two or more tables.
    pub fn is_key_field(&self, fid: usize) -> bool {
        self.fields
            .get(fid)
            .map(|f| f.tables.len() > 1)
            .unwrap_or(false)
    }

    fn build_links(&mut self) -> Result<(), BuildError> {
        let nt = self.tables.len();
        let key_fields: BTreeSet<usize> = (0..self.fields.len())
            .filter(|&f| self.is_key_field(f))
            .collect();
        let keys_of: Vec<BTreeSet<usize>> = self
            .tables
            .iter()
            .map(|t| {
                t.fields
                    .iter()
                    .copied()
                    .filter(|f| key_fields.contains(f))
                    .collect()
            })
            .collect();
        // Combinations shared by pairs of tables.
        let mut combos: BTreeSet<Vec<usize>> = BTreeSet::new();
        for a in 0..nt {
            for b in a + 1..nt {
                let shared: Vec<usize> = keys_of[a].intersection(&keys_of[b]).copied().collect();
                if shared.len() >= 2 {
                    combos.insert(shared);
                }
            }
        }
        let mut in_combo: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for c in &combos {
            for &f in c {
                if let Some(other) = in_combo.get(&f) {
                    if other != c {
                        return Err(self.nested(c, other));
                    }
                }
                in_combo.insert(f, c.clone());
            }
        }
        // Every table holding a field of a combination must hold the whole combination.
        for c in &combos {
            for &f in c {
                for &t in &self.fields[f].tables {
                    if !c.iter().all(|g| keys_of[t].contains(g)) {
                        return Err(self.nested(c, c));
                    }
                }
            }
        }
        let mut links: Vec<Link> = Vec::new();
        for c in &combos {
            let members_t: Vec<usize> = (0..nt)
                .filter(|&t| c.iter().all(|g| keys_of[t].contains(g)))
                .collect();
            let mut intern: HashMap<Vec<u32>, u32> = HashMap::new();
            let mut members = Vec::new();
            for &t in &members_t {
                let tab = &self.tables[t];
                let cis: Vec<usize> = c
                    .iter()
                    .filter_map(|g| tab.fields.iter().position(|f| f == g))
                    .collect();
                let mut col = Vec::with_capacity(tab.rows);
                let mut key = Vec::with_capacity(cis.len());
                for r in 0..tab.rows {
                    key.clear();
                    key.extend(cis.iter().map(|&ci| tab.cols[ci][r]));
                    if key.contains(&NULL) {
                        col.push(NULL);
                    } else {
                        let n = intern.len() as u32;
                        col.push(*intern.entry(key.clone()).or_insert(n));
                    }
                }
                members.push((t, KeyCol::Tuple(col)));
            }
            links.push(Link {
                fields: c.clone(),
                members,
                domain: intern.len(),
            });
        }
        for &f in &key_fields {
            if in_combo.contains_key(&f) {
                continue;
            }
            let members = self.fields[f]
                .tables
                .iter()
                .filter_map(|&t| {
                    self.tables[t]
                        .fields
                        .iter()
                        .position(|&x| x == f)
                        .map(|ci| (t, KeyCol::Field(ci)))
                })
                .collect();
            links.push(Link {
                fields: vec![f],
                members,
                domain: self.fields[f].len(),
            });
        }
        // Loop detection (union-find over table and link nodes).
        let n = nt + links.len();
        let mut uf: Vec<usize> = (0..n).collect();
        fn find(uf: &mut [usize], mut x: usize) -> usize {
            while uf[x] != x {
                uf[x] = uf[uf[x]];
                x = uf[x];
            }
            x
        }
        let mut adj: Vec<Vec<usize>> = vec![vec![]; n];
        let mut table_links = vec![vec![]; nt];
        for (li, l) in links.iter().enumerate() {
            for (mi, (t, _)) in l.members.iter().enumerate() {
                let (a, b) = (*t, nt + li);
                let (ra, rb) = (find(&mut uf, a), find(&mut uf, b));
                if ra == rb {
                    // The path b … a already exists: report it.
                    let path = bfs_path(&adj, b, a);
                    let mut ts = vec![];
                    let mut via = vec![];
                    for node in path.iter() {
                        if *node < nt {
                            ts.push(self.tables[*node].name.clone());
                        } else {
                            via.push(
                                links[*node - nt]
                                    .fields
                                    .iter()
                                    .map(|&f| self.fields[f].name.clone())
                                    .collect::<Vec<_>>()
                                    .join("+"),
                            );
                        }
                    }
                    return Err(BuildError::Circular { tables: ts, via });
                }
                uf[ra] = rb;
                adj[a].push(b);
                adj[b].push(a);
                table_links[*t].push((li, mi));
            }
        }
        // Components, rooted at their first table.
        let mut comp_of_node = vec![usize::MAX; n];
        let mut components = Vec::new();
        for root in 0..nt {
            if comp_of_node[root] != usize::MAX {
                continue;
            }
            let ci = components.len();
            let mut order = vec![];
            let mut parent = vec![];
            let mut tabs = vec![];
            let mut stack = vec![(root, None)];
            while let Some((node, par)) = stack.pop() {
                if comp_of_node[node] != usize::MAX {
                    continue;
                }
                comp_of_node[node] = ci;
                let pos = order.len();
                order.push(if node < nt {
                    Node::Table(node)
                } else {
                    Node::Link(node - nt)
                });
                parent.push(par);
                if node < nt {
                    tabs.push(node);
                }
                for &m in adj[node].iter().rev() {
                    if comp_of_node[m] == usize::MAX {
                        stack.push((m, Some(pos)));
                    }
                }
            }
            components.push(Component {
                order,
                parent,
                tables: tabs,
            });
        }
        self.comp_of_table = (0..nt).map(|t| comp_of_node[t]).collect();
        self.links = links;
        self.table_links = table_links;
        self.components = components;
        Ok(())
    }

    fn nested(&self, a: &[usize], b: &[usize]) -> BuildError {
        let fs: BTreeSet<usize> = a.iter().chain(b).copied().collect();
        let ts: BTreeSet<String> = fs
            .iter()
            .flat_map(|&f| {
                self.fields[f]
                    .tables
                    .iter()
                    .map(|&t| self.tables[t].name.clone())
            })
            .collect();
        BuildError::NestedSynthetic {
            fields: fs.iter().map(|&f| self.fields[f].name.clone()).collect(),
            tables: ts.into_iter().collect(),
        }
    }

    /// The value → rows index of column `ci` of table `t`, built on first use.
    fn index(&self, t: usize, ci: usize) -> &Csr {
        let tab = &self.tables[t];
        tab.index[ci].get_or_init(|| {
            let nsym = self.fields[tab.fields[ci]].len();
            Csr::build(&tab.cols[ci], nsym)
        })
    }

    /// Rows of `t` whose own fields satisfy the selections (None when no selection touches `t`).
    fn own_rows(&self, t: usize, sel: &[Option<&Bitset>]) -> Option<Bitset> {
        let tab = &self.tables[t];
        let selected: Vec<(usize, &Bitset)> = tab
            .fields
            .iter()
            .enumerate()
            .filter_map(|(ci, &f)| match sel.get(f) {
                Some(Some(s)) => Some((ci, *s)),
                _ => None,
            })
            .collect();
        if selected.is_empty() {
            return None;
        }
        self.own_rows_by_tuples(t, &selected)
            .or_else(|| Some(self.own_rows_scan(t, &selected)))
    }

    /// [`Engine::own_rows`] by one column's index (or scan) and a check of the others.
    fn own_rows_scan(&self, t: usize, selected: &[(usize, &Bitset)]) -> Bitset {
        let tab = &self.tables[t];
        // Start from the most selective column (rows counted through its index, up to a bound), then
        // keep the rows the other columns allow.
        let bound = tab.rows / 16 + 1;
        let estimate = |ci: usize, s: &Bitset| -> usize {
            let idx = self.index(t, ci);
            let mut est = 0usize;
            for sym in s.ones() {
                est += idx.rows_of(sym as u32).len();
                if est > bound {
                    break;
                }
            }
            est
        };
        let (first, _) = selected
            .iter()
            .enumerate()
            .map(|(i, &(ci, s))| (i, estimate(ci, s)))
            .min_by_key(|&(i, est)| (est, i))
            .unwrap_or((0, 0));
        let (ci0, s0) = selected[first];
        let mut b = Bitset::new(tab.rows);
        if estimate(ci0, s0) < tab.rows / 16 {
            let idx = self.index(t, ci0);
            for sym in s0.ones() {
                for &r in idx.rows_of(sym as u32) {
                    b.set(r as usize);
                }
            }
        } else {
            for (r, &v) in tab.cols[ci0].iter().enumerate() {
                if v != NULL && s0.get(v as usize) {
                    b.set(r);
                }
            }
        }
        for (i, &(ci, s)) in selected.iter().enumerate() {
            if i == first {
                continue;
            }
            let col = &tab.cols[ci];
            b.retain(|r| {
                let v = col.get(r).copied().unwrap_or(NULL);
                v != NULL && s.get(v as usize)
            });
        }
        b
    }

    /// [`Engine::own_rows`] when several columns are selected with few values each (a user's identity
    /// symbols: `*`, the subject, a few groups): one lookup per value combination in a composite index.
    fn own_rows_by_tuples(&self, t: usize, selected: &[(usize, &Bitset)]) -> Option<Bitset> {
        // The index costs a pass and a hash entry per row: worth it for security tables, which are asked
        // once per distinct user, not for a fact table asked for one user's preview.
        if selected.len() < 2 || self.tables[t].rows > COMPOSITE_ROWS_MAX {
            return None;
        }
        let values: Vec<Vec<u32>> = selected
            .iter()
            .map(|(_, s)| s.ones().map(|v| v as u32).collect())
            .collect();
        let combos = values
            .iter()
            .try_fold(1usize, |n, v| n.checked_mul(v.len()))
            .filter(|&n| n <= COMPOSITE_MAX)?;
        let tab = &self.tables[t];
        let mut b = Bitset::new(tab.rows);
        if combos == 0 {
            return Some(b);
        }
        let index = self.composite(t, selected.iter().map(|&(ci, _)| ci).collect());
        let mut at = vec![0usize; values.len()];
        let mut key = vec![0u32; values.len()];
        loop {
            for (k, (v, &i)) in key.iter_mut().zip(values.iter().zip(&at)) {
                *k = v[i];
            }
            for &r in index.get(key.as_slice()).map(Vec::as_slice).unwrap_or(&[]) {
                b.set(r as usize);
            }
            // The next combination (odometer order).
            let mut d = 0;
            loop {
                if d == at.len() {
                    return Some(b);
                }
                at[d] += 1;
                if at[d] < values[d].len() {
                    break;
                }
                at[d] = 0;
                d += 1;
            }
        }
    }

    /// The composite index of `t` over columns `cols`, built on first use.
    fn composite(&self, t: usize, cols: Vec<usize>) -> std::sync::Arc<Composite> {
        let tab = &self.tables[t];
        let mut cache = tab
            .composite
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(cols)
            .or_insert_with_key(|cols| {
                let mut index = Composite::default();
                'rows: for r in 0..tab.rows {
                    let mut key = Vec::with_capacity(cols.len());
                    for &ci in cols {
                        match tab.cols[ci].get(r) {
                            Some(&v) if v != NULL => key.push(v),
                            _ => continue 'rows,
                        }
                    }
                    index
                        .entry(key.into_boxed_slice())
                        .or_default()
                        .push(r as u32);
                }
                std::sync::Arc::new(index)
            })
            .clone()
    }

    fn key(&self, link: usize, member: usize, row: usize) -> u32 {
        let (t, kc) = &self.links[link].members[member];
        match kc {
            KeyCol::Field(ci) => self.tables[*t].cols[*ci][row],
            KeyCol::Tuple(v) => v[row],
        }
    }

    fn member_index(&self, link: usize, table: usize) -> usize {
        self.links[link]
            .members
            .iter()
            .position(|m| m.0 == table)
            .unwrap_or(0)
    }

    /// Link values of the given rows of `t` in `link`.
    fn values(&self, link: usize, t: usize, rows: &Option<Bitset>) -> Bitset {
        let mi = self.member_index(link, t);
        let mut out = Bitset::new(self.links[link].domain);
        let mut add = |r: usize| {
            let k = self.key(link, mi, r);
            if k != NULL {
                out.set(k as usize);
            }
        };
        match rows {
            None => (0..self.tables[t].rows).for_each(&mut add),
            Some(b) => b.ones().for_each(&mut add),
        }
        out
    }

    /// Keep the rows whose link value is in `msg`.
    fn filter(&self, link: usize, t: usize, rows: &mut Option<Bitset>, msg: &Bitset) {
        let mi = self.member_index(link, t);
        if rows.is_none() {
            // Sparse start: when the message selects few rows of a single-field link, gather them from the
            // value → rows index instead of scanning the table.
            if let Some((_, KeyCol::Field(ci))) = self.links[link].members.get(mi) {
                let tab = &self.tables[t];
                let idx = self.index(t, *ci);
                let limit = tab.rows / 8;
                let mut est = 0usize;
                let mut small = true;
                for sym in msg.ones() {
                    est += idx.rows_of(sym as u32).len();
                    if est > limit {
                        small = false;
                        break;
                    }
                }
                if small {
                    let mut b = Bitset::new(tab.rows);
                    for sym in msg.ones() {
                        for &r in idx.rows_of(sym as u32) {
                            b.set(r as usize);
                        }
                    }
                    *rows = Some(b);
                    return;
                }
            }
        }
        let b = rows.get_or_insert_with(|| Bitset::full(self.tables[t].rows));
        b.retain(|r| {
            let k = self.key(link, mi, r);
            k != NULL && msg.get(k as usize)
        });
    }

    /// R4's [dec] markers for one link of `t` whose far side is constrained: a row that `t`'s own
    /// selections keep has a NULL key, or (composite links) a key the far side does not offer. The same
    /// definition as [`crate::model::factor`].
    fn r4_marks(
        &self,
        link: usize,
        t: usize,
        own: &Option<Bitset>,
        msg: &Bitset,
        flags: &mut R4Flags,
    ) {
        let mi = self.member_index(link, t);
        let composite = self.links[link].fields.len() > 1;
        let mut check = |r: usize| {
            let k = self.key(link, mi, r);
            if k == NULL {
                flags.null_drop = true;
            } else if composite && !msg.get(k as usize) {
                flags.composite_drop = true;
            }
        };
        match own {
            None => (0..self.tables[t].rows).for_each(&mut check),
            Some(b) => b.ones().for_each(&mut check),
        }
    }

    /// Evaluate selections: `selections[field]` = allowed symbols of that field (None = not selected).
    pub fn evaluate(&self, selections: &BTreeMap<usize, Bitset>) -> Evaluation {
        let sel: Vec<Option<&Bitset>> =
            (0..self.fields.len()).map(|f| selections.get(&f)).collect();
        let mut kept = vec![Kept::All; self.tables.len()];
        let mut propagated = vec![];
        let mut flags = R4Flags::default();
        let mut multi_hop = false;
        for comp in &self.components {
            let own: BTreeMap<usize, Option<Bitset>> = comp
                .tables
                .iter()
                .map(|&t| (t, self.own_rows(t, &sel)))
                .collect();
            if own.values().all(|o| o.is_none()) {
                continue;
            }
            let n = comp.order.len();
            let children: Vec<Vec<usize>> = {
                let mut c = vec![vec![]; n];
                for p in 0..n {
                    if let Some(par) = comp.parent[p] {
                        c[par].push(p);
                    }
                }
                c
            };
            // A table constrains a neighbour across link `l` through a selection on a field that is not
            // a field of `l` (a selection on the link field itself filters both sides directly, and keeps
            // orphan key values, as Qlik does).
            let sel_other = |t: usize, l: usize| -> bool {
                let lf = &self.links[l].fields;
                self.tables[t]
                    .fields
                    .iter()
                    .any(|f| sel.get(*f).map(|s| s.is_some()).unwrap_or(false) && !lf.contains(f))
            };
            // upc[p]: the side of node p (its subtree) constrains its parent across the link above it.
            let mut upc = vec![false; n];
            for p in (0..n).rev() {
                let below = children[p].iter().any(|&c| upc[c]);
                upc[p] = match comp.order[p] {
                    Node::Table(t) => match comp.parent[p].map(|par| comp.order[par]) {
                        Some(Node::Link(l)) => sel_other(t, l) || below,
                        _ => below,
                    },
                    Node::Link(_) => below,
                };
            }
            // Up pass.
            let mut up_rows: Vec<Option<Option<Bitset>>> = vec![None; n];
            let mut up_val: Vec<Option<Bitset>> = vec![None; n];
            let mut up_msg: Vec<Option<Bitset>> = vec![None; n];
            for p in (0..n).rev() {
                match comp.order[p] {
                    Node::Table(t) => {
                        let mut rows = own.get(&t).cloned().unwrap_or(None);
                        for &c in &children[p] {
                            if upc[c] {
                                if let (Node::Link(l), Some(m)) = (comp.order[c], &up_msg[c]) {
                                    self.filter(l, t, &mut rows, m);
                                }
                            }
                        }
                        if upc[p] {
                            if let Some(par) = comp.parent[p] {
                                if let Node::Link(l) = comp.order[par] {
                                    up_val[p] = Some(self.values(l, t, &rows));
                                }
                            }
                        }
                        up_rows[p] = Some(rows);
                    }
                    Node::Link(_) => {
                        let mut acc: Option<Bitset> = None;
                        for &c in &children[p] {
                            if upc[c] {
                                if let Some(v) = &up_val[c] {
                                    match &mut acc {
                                        None => acc = Some(v.clone()),
                                        Some(a) => a.and_with(v),
                                    }
                                }
                            }
                        }
                        up_msg[p] = acc;
                    }
                }
            }
            // Down pass: final rows per table node, and the message each link sends down to each child.
            let mut fin: Vec<Option<Option<Bitset>>> = vec![None; n];
            // inc[p] / down_in[p] for a table node: whether its parent link constrains it, and the message.
            let mut inc = vec![false; n];
            let mut down_in: Vec<Option<Bitset>> = vec![None; n];
            for p in 0..n {
                match comp.order[p] {
                    Node::Table(t) => {
                        let mut rows = up_rows[p].clone().unwrap_or(None);
                        if let (Some(m), Some(par)) = (&down_in[p], comp.parent[p]) {
                            if let Node::Link(l) = comp.order[par] {
                                self.filter(l, t, &mut rows, m);
                            }
                        }
                        fin[p] = Some(rows);
                    }
                    Node::Link(l) => {
                        let Some(pp) = comp.parent[p] else { continue };
                        let Node::Table(pt) = comp.order[pp] else {
                            continue;
                        };
                        let downc = sel_other(pt, l)
                            || inc[pp]
                            || children[pp].iter().any(|&c| c != p && upc[c]);
                        // Rows of the parent table excluding this link's subtree.
                        let parent_side = if downc {
                            let mut rows = own.get(&pt).cloned().unwrap_or(None);
                            for &c in &children[pp] {
                                if c != p && upc[c] {
                                    if let (Node::Link(l2), Some(m)) = (comp.order[c], &up_msg[c]) {
                                        self.filter(l2, pt, &mut rows, m);
                                    }
                                }
                            }
                            if let (Some(m), Some(gp)) = (&down_in[pp], comp.parent[pp]) {
                                if let Node::Link(l0) = comp.order[gp] {
                                    self.filter(l0, pt, &mut rows, m);
                                }
                            }
                            Some(self.values(l, pt, &rows))
                        } else {
                            None
                        };
                        for &c in &children[p] {
                            let mut acc = parent_side.clone();
                            for &s in &children[p] {
                                if s != c && upc[s] {
                                    if let Some(v) = &up_val[s] {
                                        match &mut acc {
                                            None => acc = Some(v.clone()),
                                            Some(a) => a.and_with(v),
                                        }
                                    }
                                }
                            }
                            inc[c] = acc.is_some();
                            down_in[c] = acc;
                        }
                    }
                }
            }
            for p in 0..n {
                let Node::Table(t) = comp.order[p] else {
                    continue;
                };
                let own_t = own.get(&t).cloned().unwrap_or(None);
                if let (true, Some(m), Some(par)) = (inc[p], &down_in[p], comp.parent[p]) {
                    if let Node::Link(l) = comp.order[par] {
                        self.r4_marks(l, t, &own_t, m, &mut flags);
                    }
                }
                for &c in &children[p] {
                    if let (true, Node::Link(l), Some(m)) = (upc[c], comp.order[c], &up_msg[c]) {
                        self.r4_marks(l, t, &own_t, m, &mut flags);
                    }
                }
            }
            for (node, f) in comp.order.iter().zip(fin.iter_mut()) {
                if let (Node::Table(t), Some(rows)) = (*node, f.take()) {
                    let k = match rows {
                        None => Kept::All,
                        Some(b) => Kept::Rows(b),
                    };
                    let own_count = match own.get(&t) {
                        Some(Some(b)) => b.count(),
                        _ => self.tables[t].rows,
                    };
                    if k.count(self.tables[t].rows) < own_count {
                        propagated.push(t);
                        // Reduced through a link although no neighbour across any link holds a selection.
                        let near = self.table_links[t].iter().any(|&(l, _)| {
                            self.links[l]
                                .tables()
                                .any(|o| o != t && matches!(own.get(&o), Some(Some(_))))
                        });
                        if !near {
                            multi_hop = true;
                        }
                    }
                    kept[t] = k;
                }
            }
        }
        propagated.sort_unstable();
        let r4_dec = flags.null_drop || flags.composite_drop || multi_hop;
        Evaluation {
            kept,
            propagated,
            r4_dec,
        }
    }

    /// Per table: (link, member index) for every link it holds.
    pub(crate) fn links_of(&self, table: usize) -> &[(usize, usize)] {
        self.table_links
            .get(table)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }

    /// The key column (one id per row of the member table; [`NULL`] for a NULL or partly NULL key) of
    /// member `member` of `link`.
    pub(crate) fn key_col(&self, link: usize, member: usize) -> &[u32] {
        match &self.links[link].members[member] {
            (t, KeyCol::Field(ci)) => &self.tables[*t].cols[*ci],
            (_, KeyCol::Tuple(v)) => v,
        }
    }

    /// Number of distinct key values of `link`.
    pub(crate) fn link_domain(&self, link: usize) -> usize {
        self.links[link].domain
    }

    /// The tables of component `c`.
    pub(crate) fn component_tables(&self, c: usize) -> &[usize] {
        self.components
            .get(c)
            .map(|c| c.tables.as_slice())
            .unwrap_or(&[])
    }

    /// Component index of each table (tables in the same component are associated).
    pub fn component_of(&self, table: usize) -> usize {
        self.comp_of_table.get(table).copied().unwrap_or(usize::MAX)
    }
}

fn bfs_path(adj: &[Vec<usize>], from: usize, to: usize) -> Vec<usize> {
    let mut prev = vec![usize::MAX; adj.len()];
    let mut q = VecDeque::from([from]);
    prev[from] = from;
    while let Some(x) = q.pop_front() {
        if x == to {
            break;
        }
        for &y in &adj[x] {
            if prev[y] == usize::MAX {
                prev[y] = x;
                q.push_back(y);
            }
        }
    }
    let mut path = vec![];
    let mut cur = to;
    if prev[to] == usize::MAX {
        return vec![to];
    }
    while cur != from {
        path.push(cur);
        cur = prev[cur];
    }
    path.push(from);
    path
}

/// A table column's ids as the field's symbols: each dict value the column uses is mapped once, by its
/// text (the first value seen with a text gives the symbol its value; NULL stays [`NULL`]), in order of
/// first appearance in the rows; the rows are then translated through that lookup. No hashing and no
/// `Value` clone per cell.
fn field_ids_of_column(f: &mut Field, dict: &[Value], ids: &[u32]) -> Vec<u32> {
    use rayon::prelude::*;
    const UNSEEN: usize = usize::MAX;
    // Rows per task of the two passes over the column (100M rows: on all cores).
    const CHUNK: usize = 1 << 20;
    // A field's first column finds few texts already there: look up and insert with one hash.
    let fresh = f.values.is_empty();
    // The first row holding each dict entry: entries get their symbols in that order, as one pass over
    // the rows in order would give them (entries no row holds get none).
    let first: Vec<usize> = ids
        .par_chunks(CHUNK)
        .enumerate()
        .fold(
            || vec![UNSEEN; dict.len()],
            |mut first, (c, chunk)| {
                for (i, &id) in chunk.iter().enumerate() {
                    if let Some(at) = first.get_mut(id as usize) {
                        *at = (*at).min(c * CHUNK + i);
                    }
                }
                first
            },
        )
        .reduce(
            || vec![UNSEEN; dict.len()],
            |mut a, b| {
                for (x, y) in a.iter_mut().zip(b) {
                    *x = (*x).min(y);
                }
                a
            },
        );
    let mut met: Vec<(usize, usize)> = first
        .iter()
        .enumerate()
        .filter(|&(_, &row)| row != UNSEEN)
        .map(|(entry, &row)| (row, entry))
        .collect();
    met.sort_unstable();
    // At most one new symbol per dict value: reserve once rather than grow (and rehash) by doubling.
    f.values.reserve(met.len());
    f.by_text.reserve(met.len());
    let mut local = vec![NULL; dict.len()];
    for &(_, entry) in &met {
        local[entry] = dict.get(entry).map_or(NULL, |v| field_symbol(f, v, fresh));
    }
    ids.par_iter()
        .with_min_len(CHUNK)
        .map(|&id| local.get(id as usize).copied().unwrap_or(NULL))
        .collect()
}

/// The field's symbol for a value's text (NULL for NULL), added when new. A text value's `Arc` is shared
/// as the key; only a number's text is allocated. `fresh`: the text is most likely new (one hash instead
/// of a lookup and an insertion).
fn field_symbol(f: &mut Field, v: &Value, fresh: bool) -> u32 {
    let Some(txt) = v.text() else {
        return NULL;
    };
    if !fresh {
        if let Some(&s) = f.by_text.get(txt.as_ref()) {
            return s;
        }
    }
    let key: Arc<str> = match v {
        Value::Str(a) | Value::Dual(_, a) => a.clone(),
        _ => Arc::from(txt.as_ref()),
    };
    let next = f.values.len() as u32;
    match f.by_text.entry(key) {
        std::collections::hash_map::Entry::Occupied(e) => *e.get(),
        std::collections::hash_map::Entry::Vacant(e) => {
            e.insert(next);
            f.values.push(v.clone());
            next
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Table, Value};

    /// The composite-index path of `own_rows` keeps exactly the rows the column-by-column path keeps.
    #[test]
    fn rows_by_value_tuples_match_rows_by_columns() {
        let v = |s: &str| {
            if s.is_empty() {
                Value::Null
            } else {
                Value::str(s)
            }
        };
        let rows = [
            ["*", "G1", "a"],
            ["U1", "*", "b"],
            ["U1", "G2", ""],
            ["", "G1", "c"],
            ["*", "*", "a"],
            ["U2", "G1", "b"],
            ["U1", "G2", "c"],
        ];
        let mut t = Table::new("S", ["USERID", "GROUP", "X"].map(String::from).to_vec());
        for r in rows {
            t.push_row(r.iter().map(|c| v(c)).collect());
        }
        let model = DataModel { tables: vec![t] };
        let Ok(e) = Engine::build(&model) else {
            panic!("the model builds");
        };
        let ncol = e.tables[0].fields.len();
        // Every subset of values of every column (up to 4 symbols), over pairs and triples of columns.
        for mask in 0u32..(1 << 12) {
            let sets: Vec<Bitset> = (0..ncol)
                .map(|ci| {
                    let f = e.tables[0].fields[ci];
                    let mut b = Bitset::new(e.fields[f].len());
                    for s in 0..e.fields[f].len().min(4) {
                        if mask >> (ci * 4 + s) & 1 == 1 {
                            b.set(s);
                        }
                    }
                    b
                })
                .collect();
            for cols in [vec![0, 1], vec![0, 2], vec![1, 2], vec![0, 1, 2]] {
                let selected: Vec<(usize, &Bitset)> = cols.iter().map(|&c| (c, &sets[c])).collect();
                let fast = e.own_rows_by_tuples(0, &selected);
                let slow = e.own_rows_scan(0, &selected);
                let fast: Vec<usize> = fast.map(|b| b.ones().collect()).unwrap_or_default();
                assert_eq!(
                    fast,
                    slow.ones().collect::<Vec<_>>(),
                    "mask {mask:#x} cols {cols:?}"
                );
            }
        }
    }
}
