//! (stub) db
