//! reduce (in progress)
