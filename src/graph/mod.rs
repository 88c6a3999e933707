//! (stub) graph
