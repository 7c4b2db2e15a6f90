//! The instructor's side and the learner's proof: packing an attempt into a
//! bundle (`submit`), collecting bundles (`collect`) and carrying reviews back
//! to learners (`review`); the bundle format
//! itself is `crate::bundle`. The roster and assignment commands live in
//! `commands/roster.rs` over `store/roster.rs`.

pub mod collect;
pub mod review;
pub mod submit;
