//! Rendering per-user results (`qsa report`, `qsa preview`).
