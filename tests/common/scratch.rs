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

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
