//! Rendering diagnostics: human (rustc/ruff style, via miette), JSON, SARIF, GitHub annotations.
