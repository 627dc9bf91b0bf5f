//! A fresh folder under the system's temporary folder for one test, removed when dropped
//! (`tests/snapshot.rs`, `tests/demo_snapshot.rs`).
#![allow(dead_code)]

use std::path::PathBuf;

pub struct Scratch(PathBuf);

impl Scratch {
    /// `qsa-{prefix}-{name}-{pid}`, emptied first.
    pub fn new(prefix: &str, name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("qsa-{prefix}-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Scratch(dir)
    }
    /// The folder itself.
    pub fn dir(&self) -> &std::path::Path {
        &self.0
    }
    pub fn path(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
    /// A file in the folder, as a command-line argument.
    pub fn arg(&self, file: &str) -> String {
        self.path(file).display().to_string()
    }
    /// The names of the files in the folder, sorted.
    pub fn files(&self) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&self.0)
            .expect("the scratch folder lists")
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

/// Copy the folder `from` (and its subfolders) into `to`, created if needed.
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for e in std::fs::read_dir(from).expect("read_dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            copy_dir(&p, &to.join(e.file_name()));
        } else {
            std::fs::copy(&p, to.join(e.file_name())).expect("copy");
        }
    }
}

/// Rewrite a JSON export (one or several concatenated documents) through `edit`, called on every
/// object of it.
pub fn edit_json(
    path: &std::path::Path,
    edit: &dyn Fn(&mut serde_json::Map<String, serde_json::Value>),
) {
    use serde_json::Value;
    fn walk(v: &mut Value, edit: &dyn Fn(&mut serde_json::Map<String, Value>)) {
        match v {
            Value::Array(a) => a.iter_mut().for_each(|x| walk(x, edit)),
            Value::Object(o) => {
                edit(o);
                o.values_mut().for_each(|x| walk(x, edit));
            }
            _ => {}
        }
    }
    let text = std::fs::read_to_string(path).expect("read");
    let mut out = String::new();
    for doc in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
        let mut doc = doc.expect("JSON");
        walk(&mut doc, edit);
        out.push_str(&serde_json::to_string_pretty(&doc).expect("print"));
        out.push('\n');
    }
    std::fs::write(path, out).expect("write");
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
