//! Rendering the loaded data model (`qsa model`): tables with fields and row counts, keys (fields shared
//! between tables), synthetic keys, circular references and the security tables. Deterministic output.
//!
//! Synthetic keys are modelled as Qlik builds them: when two tables share two or more fields, those
//! fields move into a synthetic key table that every table holding all of them links to (repeated until
//! no two tables share more than one field). Circular references are cycles in the resulting graph of
//! tables and shared fields.

use crate::model::{DataModel, Table};
use crate::script::RunResult;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct TableSummary {
    pub name: String,
    pub rows: usize,
    pub fields: Vec<String>,
    /// Why the content may differ from what Qlik would load (empty when faithful).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub incomplete: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Key {
    pub field: String,
    pub tables: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SyntheticKey {
    pub fields: Vec<String>,
    pub tables: Vec<String>,
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Loop {
    /// The tables on the loop, sorted.
    pub tables: Vec<String>,
}

/// What `qsa model` shows.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ModelSummary {
    pub tables: Vec<TableSummary>,
    pub security_tables: Vec<TableSummary>,
    pub keys: Vec<Key>,
    pub synthetic_keys: Vec<SyntheticKey>,
    pub circular_references: Vec<Loop>,
    /// Variables at the end of the script that Section Access depends on (S7).
    pub group_mode: Option<String>,
    pub errors: usize,
    pub warnings: usize,
}

fn summary(t: &Table) -> TableSummary {
    TableSummary {
        name: t.name.clone(),
        rows: t.row_count(),
        fields: t.fields.clone(),
        incomplete: t.incomplete.iter().map(|i| i.reason.clone()).collect(),
    }
}

impl ModelSummary {
    pub fn from_run(run: &RunResult) -> Self {
        let (synthetic_keys, circular_references) = structure(&run.app);
        ModelSummary {
            tables: run.app.tables.iter().map(summary).collect(),
            security_tables: run.security.tables.iter().map(summary).collect(),
            keys: run
                .app
                .field_tables()
                .into_iter()
                .filter(|(_, t)| t.len() > 1)
                .map(|(field, mut tables)| {
                    tables.sort();
                    Key { field, tables }
                })
                .collect(),
            synthetic_keys,
            circular_references,
            group_mode: run.variables.get("QlikCloudGroupMode").cloned(),
            errors: run
                .diagnostics
                .iter()
                .filter(|d| d.severity == crate::diag::Severity::Error)
                .count(),
            warnings: run
                .diagnostics
                .iter()
                .filter(|d| d.severity == crate::diag::Severity::Warning)
                .count(),
        }
    }
}

/// Synthetic keys and loops of the app model.
pub fn structure(model: &DataModel) -> (Vec<SyntheticKey>, Vec<Loop>) {
    // Nodes: real tables then synthetic key tables; each with a field set.
    let mut nodes: Vec<(String, BTreeSet<String>, bool)> = model
        .tables
        .iter()
        .map(|t| (t.name.clone(), t.fields.iter().cloned().collect(), true))
        .collect();
    let mut syn = Vec::new();
    for round in 0..256 {
        let mut found: Option<BTreeSet<String>> = None;
        'pairs: for i in 0..nodes.len() {
            for j in i + 1..nodes.len() {
                let shared: BTreeSet<String> =
                    nodes[i].1.intersection(&nodes[j].1).cloned().collect();
                if shared.len() >= 2 {
                    found = Some(shared);
                    break 'pairs;
                }
            }
        }
        let Some(set) = found else { break };
        let key = format!("$Syn {}", round + 1);
        let mut holders = Vec::new();
        for n in nodes.iter_mut() {
            if set.is_subset(&n.1) {
                if n.2 {
                    holders.push(n.0.clone());
                }
                for f in &set {
                    n.1.remove(f);
                }
                n.1.insert(key.clone());
            }
        }
        let mut fields = set.clone();
        fields.insert(key.clone());
        nodes.push((key.clone(), fields, false));
        holders.sort();
        syn.push(SyntheticKey {
            fields: set.into_iter().collect(),
            tables: holders,
        });
    }
    // Cycles: bipartite graph of nodes and fields held by 2+ nodes; strip leaves, what remains loops.
    let mut field_nodes: BTreeMap<&String, Vec<usize>> = BTreeMap::new();
    for (i, n) in nodes.iter().enumerate() {
        for f in &n.1 {
            field_nodes.entry(f).or_default().push(i);
        }
    }
    let nn = nodes.len();
    let mut adj: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); nn];
    let mut fcount = 0usize;
    let mut fadj: Vec<Vec<usize>> = Vec::new();
    for holders in field_nodes.values() {
        if holders.len() < 2 {
            continue;
        }
        let fid = nn + fcount;
        fcount += 1;
        adj.push(BTreeSet::new());
        fadj.push(holders.clone());
        for &h in holders {
            if let Some(a) = adj.get_mut(h) {
                a.insert(fid);
            }
            if let Some(a) = adj.get_mut(fid) {
                a.insert(h);
            }
        }
    }
    let mut alive = vec![true; adj.len()];
    let mut degree: Vec<usize> = adj.iter().map(|a| a.len()).collect();
    let mut stack: Vec<usize> = (0..adj.len()).filter(|&i| degree[i] < 2).collect();
    while let Some(v) = stack.pop() {
        if !alive[v] {
            continue;
        }
        alive[v] = false;
        for &w in &adj[v] {
            if alive[w] {
                degree[w] = degree[w].saturating_sub(1);
                if degree[w] < 2 {
                    stack.push(w);
                }
            }
        }
    }
    // Group what is left into connected components.
    let mut seen = vec![false; adj.len()];
    let mut loops = Vec::new();
    for s in 0..nn {
        if !alive[s] || seen[s] {
            continue;
        }
        let mut comp = BTreeSet::new();
        let mut st = vec![s];
        seen[s] = true;
        while let Some(v) = st.pop() {
            if v < nn {
                if let Some(n) = nodes.get(v) {
                    if n.2 {
                        comp.insert(n.0.clone());
                    }
                }
            }
            for &w in &adj[v] {
                if alive[w] && !seen[w] {
                    seen[w] = true;
                    st.push(w);
                }
            }
        }
        if !comp.is_empty() {
            loops.push(Loop {
                tables: comp.into_iter().collect(),
            });
        }
    }
    let _ = fadj;
    loops.sort_by(|a, b| a.tables.cmp(&b.tables));
    (syn, loops)
}

fn table_lines(out: &mut String, tables: &[TableSummary]) {
    if tables.is_empty() {
        out.push_str("  (none)\n");
        return;
    }
    let w = tables
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0);
    let rw = tables
        .iter()
        .map(|t| t.rows.to_string().len())
        .max()
        .unwrap_or(1);
    for t in tables {
        out.push_str(&format!(
            "  {:<w$}  {:>rw$} rows  {}\n",
            t.name,
            t.rows,
            t.fields.join(", "),
            w = w,
            rw = rw
        ));
        for i in &t.incomplete {
            out.push_str(&format!("  {:<w$}  ! incomplete: {i}\n", "", w = w));
        }
    }
}

/// Human-readable text.
pub fn render_human(m: &ModelSummary) -> String {
    let mut out = String::new();
    out.push_str(&format!("Application tables ({})\n", m.tables.len()));
    table_lines(&mut out, &m.tables);
    out.push_str(&format!(
        "\nSecurity tables ({})\n",
        m.security_tables.len()
    ));
    table_lines(&mut out, &m.security_tables);
    out.push_str("\nKeys (fields in more than one table)\n");
    if m.keys.is_empty() {
        out.push_str("  (none)\n");
    }
    for k in &m.keys {
        out.push_str(&format!("  {}: {}\n", k.field, k.tables.join(", ")));
    }
    out.push_str("\nSynthetic keys\n");
    if m.synthetic_keys.is_empty() {
        out.push_str("  (none)\n");
    }
    for s in &m.synthetic_keys {
        out.push_str(&format!(
            "  [{}] shared by {}\n",
            s.fields.join(", "),
            s.tables.join(", ")
        ));
    }
    out.push_str("\nCircular references\n");
    if m.circular_references.is_empty() {
        out.push_str("  (none)\n");
    }
    for l in &m.circular_references {
        out.push_str(&format!("  loop through {}\n", l.tables.join(", ")));
    }
    out.push_str(&format!(
        "\nQlikCloudGroupMode: {}\n",
        m.group_mode
            .as_deref()
            .map(|s| format!("`{s}`"))
            .unwrap_or_else(|| "not set (0)".into())
    ));
    out.push_str(&format!(
        "{} error(s), {} warning(s)\n",
        m.errors, m.warnings
    ));
    out
}

/// Deterministic JSON (`--format json`).
pub fn render_json(m: &ModelSummary) -> String {
    serde_json::to_string_pretty(m).unwrap_or_else(|_| "{}".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Table;

    fn model(tables: &[(&str, &[&str])]) -> DataModel {
        DataModel {
            tables: tables
                .iter()
                .map(|(n, f)| Table::new(*n, f.iter().map(|s| s.to_string()).collect()))
                .collect(),
        }
    }

    #[test]
    fn star_schema_has_no_loop_or_synthetic_key() {
        let m = model(&[
            ("Fact", &["A", "B", "X"]),
            ("DimA", &["A", "a"]),
            ("DimB", &["B", "b"]),
        ]);
        let (s, l) = structure(&m);
        assert!(s.is_empty());
        assert!(l.is_empty());
    }

    #[test]
    fn two_shared_fields_make_a_synthetic_key_not_a_loop() {
        let m = model(&[
            ("A", &["K1", "K2", "a"]),
            ("B", &["K1", "K2", "b"]),
            ("C", &["K1", "c"]),
        ]);
        let (s, l) = structure(&m);
        assert_eq!(
            s,
            vec![SyntheticKey {
                fields: vec!["K1".into(), "K2".into()],
                tables: vec!["A".into(), "B".into()]
            }]
        );
        assert!(l.is_empty(), "{l:?}");
    }

    #[test]
    fn triangle_is_a_loop() {
        let m = model(&[
            ("A", &["X", "Z"]),
            ("B", &["X", "Y"]),
            ("C", &["Y", "Z"]),
            ("D", &["Z", "d"]),
        ]);
        let (s, l) = structure(&m);
        assert!(s.is_empty());
        assert_eq!(
            l,
            vec![Loop {
                tables: vec!["A".into(), "B".into(), "C".into()]
            }]
        );
    }
}
