//! access (in progress)
