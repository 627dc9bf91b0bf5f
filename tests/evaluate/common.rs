//! Builders for data models, security tables and users.
#![allow(dead_code)]

use qsa::access::directory::{Group, Provider, User};
use qsa::access::Target;
use qsa::model::{DataModel, RowOrigin, Table, Value};
use qsa::reduce::{prepare, UserResult};
use qsa::script::RunResult;

/// A cell: `~` is NULL, everything else a loaded text (dual when numeric).
pub fn cell(s: &str) -> Value {
    if s == "~" {
        Value::Null
    } else {
        Value::from_loaded_text(s)
    }
}

/// A table from a header and comma-separated rows (cells trimmed of ASCII spaces).
pub fn table(name: &str, header: &str, rows: &[&str]) -> Table {
    let fields: Vec<String> = header.split(',').map(|s| s.trim().to_string()).collect();
    let mut t = Table::new(name, fields);
    for (i, r) in rows.iter().enumerate() {
        t.push_row(r.split(',').map(|c| cell(c.trim_matches(' '))).collect());
        t.origins.push(RowOrigin::File {
            path: format!("{name}.inline").into(),
            row: i + 1,
        });
    }
    t
}

pub fn run(app: Vec<Table>, security: Vec<Table>) -> RunResult {
    RunResult {
        app: DataModel { tables: app },
        security: DataModel { tables: security },
        ..Default::default()
    }
}

pub fn run_vars(app: Vec<Table>, security: Vec<Table>, vars: &[(&str, &str)]) -> RunResult {
    let mut r = run(app, security);
    for (k, v) in vars {
        r.variables.insert(k.to_string(), v.to_string());
    }
    r
}

pub fn user(subject: &str) -> User {
    User::new(subject)
}

pub fn user_with(subject: &str, email: Option<&str>, idp: &[&str], custom: &[&str]) -> User {
    let mut u = User::new(subject);
    u.email = email.map(str::to_string);
    for g in idp {
        u.groups.push(Group {
            name: g.to_string(),
            provider: Provider::Idp,
        });
    }
    for g in custom {
        u.groups.push(Group {
            name: g.to_string(),
            provider: Provider::Custom,
        });
    }
    u
}

pub fn eval(r: &RunResult, target: Target, users: &[User]) -> Vec<UserResult> {
    let p = match prepare(r, target) {
        Ok(p) => p,
        Err(d) => panic!("refused: {d:#?}"),
    };
    p.evaluate(users, true)
}

pub fn eval1(r: &RunResult, target: Target, u: User) -> UserResult {
    eval(r, target, &[u]).remove(0)
}

pub fn cloud(r: &RunResult, u: User) -> UserResult {
    eval1(r, Target::Cloud, u)
}

/// The selection of a field as texts (`None` = not reduced, panics when the field is absent).
pub fn sel(u: &UserResult, field: &str) -> Option<Vec<String>> {
    u.reduction
        .get(field)
        .cloned()
        .unwrap_or_else(|| panic!("no reduction entry for {field}: {:?}", u.reduction))
}

pub fn rows(u: &UserResult, table: &str) -> usize {
    u.tables[table].rows
}

pub fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

pub fn codes(r: &RunResult, target: Target) -> Vec<&'static str> {
    match prepare(r, target) {
        Ok(p) => p.diagnostics.iter().map(|d| d.code).collect(),
        Err(d) => d.iter().map(|d| d.code).collect(),
    }
}
