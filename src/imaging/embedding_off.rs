//! Image embeddings in a genpath built with `--no-default-features` (without
//! the `embedding` feature): the same names as `embedding.rs`, no built-in
//! encoder, and a model that can never be loaded, so the checks and the
//! workspace need no `cfg` of their own. Identity is then judged by colour
//! alone; a workspace that names a model gets an error saying how to build a
//! genpath that reads it, never a check that quietly judges without it.

use std::path::Path;

use anyhow::Result;
use image::RgbImage;

pub use super::analysis::cosine;

/// What a user who names a model in a genpath without the runtime reads.
pub const NOT_BUILT: &str = "this genpath was built without image-embedding support (--no-default-features); \
     install it with `cargo install --locked --path .` to use an embedding model";

/// No encoder is built in without the runtime.
pub fn builtin() -> Result<Option<&'static Embedder>> {
    Ok(None)
}

/// An image encoder; none can exist in this build.
#[derive(Debug, Clone)]
pub struct Embedder {
    never: std::convert::Infallible,
}

impl Embedder {
    /// Always an error naming the file and the feature.
    pub fn load(path: &Path) -> Result<Embedder> {
        anyhow::bail!("{}: {NOT_BUILT}", path.display())
    }

    pub fn embed(&self, _rgb: &RgbImage) -> Result<Vec<f32>> {
        match self.never {}
    }
}
