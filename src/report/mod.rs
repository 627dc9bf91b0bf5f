//! Stage 5: turn results into text (human, JSON, CSV, HTML, SARIF). Produces strings; never prints.

pub mod diagnostics;
pub mod explain;
pub mod model;
pub mod users;
