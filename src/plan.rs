//! (stub) plan
