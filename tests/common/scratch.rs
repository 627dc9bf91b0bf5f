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

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
