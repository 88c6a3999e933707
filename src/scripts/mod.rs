//! (stub) scripts
