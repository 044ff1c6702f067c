//! placeholder, filled by the lang work
