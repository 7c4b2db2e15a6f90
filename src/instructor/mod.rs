//! The instructor's side and the learner's proof: submission bundles
//! (`bundle`), packing an attempt (`submit`) and collecting bundles
//! (`collect`). The roster and assignment commands live in
//! `commands/roster.rs` over `store/roster.rs`.

pub mod bundle;
pub mod collect;
pub mod submit;
