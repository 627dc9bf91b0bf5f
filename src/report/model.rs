//! Rendering the loaded data model (`qsa model`).
