//! The demo app (`fixtures/demo/`) as tests use it (`tests/demo.rs`, `tests/demo_snapshot.rs`): its
//! inputs, its users, and what a selection keeps, counted with plain loops over the committed files as
//! the `qvd` crate (not the QVD reader qsa uses) and the `csv` crate read them.
#![allow(dead_code)]

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

pub const SCRIPT: &str = "fixtures/demo/sales_analytics.qvs";
pub const LIB: &str = "DataFiles=fixtures/demo/data";
pub const USERS: &str = "fixtures/demo/users.json";
pub const GROUPS: &str = "fixtures/demo/groups.json";

pub const ALL_CATEGORIES: [&str; 4] = ["COFFEE", "EQUIPMENT", "SUPPLIES", "TEA"];
pub const ALL_REGIONS: [&str; 3] = ["AMERICAS", "APAC", "EMEA"];

pub fn demo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

/// The users export (`users.json`, a `qlik user ls --json` array): subject → the names of the groups the
/// user holds, IdP and custom.
pub fn demo_users() -> BTreeMap<String, BTreeSet<String>> {
    let text = std::fs::read_to_string(demo_dir().join("users.json")).expect("users.json");
    let users: Vec<Value> = serde_json::from_str(&text).expect("users.json is JSON");
    users
        .iter()
        .map(|u| {
            let groups = u["assignedGroups"]
                .as_array()
                .expect("assignedGroups")
                .iter()
                .map(|g| g["name"].as_str().expect("a group name").to_string())
                .collect();
            (
                u["subject"].as_str().expect("a subject").to_string(),
                groups,
            )
        })
        .collect()
}

/// The rows a selection keeps in the tables of the sales schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kept {
    pub customers: usize,
    pub orders: usize,
    pub lines: usize,
    /// Calendar rows: the days with a kept order.
    pub days: usize,
    /// Regions rows: the regions of the kept customers.
    pub regions: usize,
}

/// What a selection of regions and categories (`None`: not reduced) keeps. The schema is a tree
/// (Customers - Orders - OrderLines - Products, with Regions on Customers and Calendar on Orders), so R4
/// comes down to: a line is kept when its product and its order's customer are kept; an order when its
/// customer is kept and, if categories are reduced, it has a kept line; a customer when it is in a kept
/// region and, if categories are reduced, it has a kept order; a day or a region when a kept order or
/// customer has it.
pub fn plain_kept(regions: Option<&[&str]>, categories: Option<&[&str]>) -> Kept {
    let data = demo_dir().join("data");
    let column = |file: &str, name: &str| -> Vec<String> {
        let t = qvd::read_qvd_file(&data.join("qvd").join(file).display().to_string()).unwrap();
        let c = t.column_index(name).unwrap();
        t.column_strings(c)
            .into_iter()
            .map(|s| s.unwrap())
            .collect()
    };
    let csv_rows = |file: &str| -> Vec<csv::StringRecord> {
        csv::Reader::from_path(data.join("csv").join(file))
            .unwrap()
            .records()
            .map(|r| r.unwrap())
            .collect()
    };
    let region_of_country: BTreeMap<String, String> = csv_rows("countries.csv")
        .iter()
        .map(|r| (r[0].to_string(), r[2].to_uppercase()))
        .collect();
    let region_of: BTreeMap<String, String> = csv_rows("customers.csv")
        .iter()
        .map(|r| (r[0].to_string(), region_of_country[&r[3]].clone()))
        .filter(|(_, region)| regions.is_none_or(|rs| rs.contains(&region.as_str())))
        .collect();
    let products: BTreeSet<String> = column("Products.qvd", "ProductID")
        .into_iter()
        .zip(column("Products.qvd", "Category"))
        .filter(|(_, c)| categories.is_none_or(|cs| cs.contains(&c.to_uppercase().as_str())))
        .map(|(p, _)| p)
        .collect();
    let orders: Vec<(String, String, String)> = column("Orders.qvd", "OrderID")
        .into_iter()
        .zip(column("Orders.qvd", "CustomerID"))
        .zip(column("Orders.qvd", "OrderDate"))
        .map(|((o, c), d)| (o, c, d))
        .collect();
    let customer_of: BTreeMap<&str, &str> = orders
        .iter()
        .map(|(o, c, _)| (o.as_str(), c.as_str()))
        .collect();
    let kept_lines: Vec<String> = column("OrderLines.qvd", "OrderID")
        .into_iter()
        .zip(column("OrderLines.qvd", "ProductID"))
        .filter(|(o, p)| products.contains(p) && region_of.contains_key(customer_of[o.as_str()]))
        .map(|(o, _)| o)
        .collect();
    let with_kept_line: BTreeSet<&str> = kept_lines.iter().map(String::as_str).collect();
    let kept_orders: Vec<&(String, String, String)> = orders
        .iter()
        .filter(|(o, c, _)| {
            region_of.contains_key(c)
                && (categories.is_none() || with_kept_line.contains(o.as_str()))
        })
        .collect();
    let customers: BTreeSet<&str> = if categories.is_none() {
        region_of.keys().map(String::as_str).collect()
    } else {
        kept_orders.iter().map(|(_, c, _)| c.as_str()).collect()
    };
    Kept {
        customers: customers.len(),
        orders: kept_orders.len(),
        lines: kept_lines.len(),
        days: kept_orders
            .iter()
            .map(|(_, _, d)| d)
            .collect::<BTreeSet<_>>()
            .len(),
        regions: customers
            .iter()
            .map(|c| &region_of[*c])
            .collect::<BTreeSet<_>>()
            .len(),
    }
}
