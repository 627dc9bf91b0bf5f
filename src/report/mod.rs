//! Stage 5: turn results into text (human, JSON, CSV, HTML, SARIF, snapshots), read snapshots back and
//! compare them (diff). Produces strings; never prints.

pub mod diagnostics;
pub mod diff;
pub mod explain;
pub mod html;
pub mod model;
pub mod rules;
pub mod snapshot;
mod snapshot_tenant;
pub mod tenant;
pub mod tenant_diff;
pub mod users;
