//! The instructor's side and the learner's proof: packing an attempt into a
//! bundle (`submit`) and collecting bundles (`collect`); the bundle format
//! itself is `crate::bundle`. The roster and assignment commands live in
//! `commands/roster.rs` over `store/roster.rs`.

pub mod collect;
pub mod submit;
