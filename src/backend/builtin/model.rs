//! Practice models: the families learners meet (SD 1.5, SDXL, FLUX), imitated
//! where a lesson lives — the size each was trained at, how its text encoder
//! reads a long prompt, how well it keeps colours on the parts they name,
//! and what it costs. A recipe picks one with `model = "practice-sdxl"`; no
//! `model` is the SD 1.5-like one. Each rule is written down beside the real
//! behaviour it imitates in `curriculum/physics.md`.

use crate::recipe::prompt::{CLIP_CHUNK, Parsed};

/// How a model's text encoder weighs a token by its position.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Encoder {
    /// CLIP, in A1111's 75-token chunks: the first `full` tokens of a chunk
    /// count fully, then attention falls to `end` at the chunk's last token
    /// (CLIP's causal attention favours early tokens); each later chunk
    /// counts `later` times the one before (its conditioning is concatenated
    /// and competes with the first chunk's).
    Clip { full: u32, end: f32, later: f32 },
    /// T5-XXL: long natural-language prompts read evenly up to `limit`
    /// tokens; the rest is cut off.
    T5 { limit: u32 },
}

/// One practice model.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// The name a recipe uses.
    pub name: &'static str,
    /// The family it imitates, for messages and docs.
    pub family: &'static str,
    /// The side it was trained at: far above it, the subject repeats; well
    /// below it, the image is mush.
    pub native: u32,
    pub encoder: Encoder,
    /// How readily a weakly read attribute is dropped: the chance is
    /// `neglect × (0.9 − weight read)` (a word read at 0.9 or more always lands).
    pub neglect: f32,
    /// Chance that two colours in one CLIP chunk bleed into each other's parts.
    pub bleed: f32,
    /// How well it spells the text a prompt quotes.
    pub spelling: Spelling,
    /// Price and latency on the practice service, relative to the SD 1.5-like model.
    pub cost: f64,
}

/// Per-letter error rates for lettering: texts up to `short` letters, and longer ones.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Spelling {
    pub short: usize,
    pub short_error: f32,
    pub long_error: f32,
}

/// Every practice model (one table: recipes, docs and `backend test` read it).
pub const MODELS: &[Model] = &[
    Model {
        name: "practice-sd15",
        family: "Stable Diffusion 1.5",
        native: 512,
        encoder: Encoder::Clip { full: 20, end: 0.75, later: 0.92 },
        neglect: 2.0,
        bleed: 0.35,
        spelling: Spelling { short: 6, short_error: 0.55, long_error: 0.7 },
        cost: 1.0,
    },
    Model {
        name: "practice-sdxl",
        family: "Stable Diffusion XL",
        native: 1024,
        encoder: Encoder::Clip { full: 35, end: 0.85, later: 0.95 },
        neglect: 1.5,
        bleed: 0.15,
        spelling: Spelling { short: 6, short_error: 0.05, long_error: 0.3 },
        cost: 1.6,
    },
    Model {
        name: "practice-flux",
        family: "FLUX.1 / gpt-image",
        native: 1024,
        encoder: Encoder::T5 { limit: 512 },
        neglect: 1.0,
        bleed: 0.03,
        spelling: Spelling { short: 20, short_error: 0.0, long_error: 0.08 },
        cost: 3.0,
    },
];

/// A word read at this weight or more is never dropped (`[word]`, 0.91, still lands).
const HELD: f32 = 0.9;

/// A practice VAE: the decoder from latents to pixels, swappable as in
/// A1111's "SD VAE" setting or ComfyUI's `VAELoader`.
#[derive(Debug, Clone, PartialEq)]
pub struct Vae {
    pub name: &'static str,
    /// The model family whose latents it decodes (a model's `name`).
    pub family: &'static str,
    pub about: &'static str,
    /// Fine-detail gain (an MSE-finetuned decoder is crisper).
    pub sharpen: f32,
    /// Colour saturation factor.
    pub saturation: f32,
}

/// Every practice VAE.
pub const VAES: &[Vae] = &[
    Vae {
        name: "practice-vae-ft-mse",
        family: "practice-sd15",
        about: "SD 1.5 decoder fine-tuned with MSE (like vae-ft-mse-840000): crisper detail, truer faces",
        sharpen: 0.45,
        saturation: 1.0,
    },
    Vae {
        name: "practice-vae-vivid",
        family: "practice-sd15",
        about: "SD 1.5 decoder tuned for illustration (like the anime VAEs): richer colour",
        sharpen: 0.1,
        saturation: 1.18,
    },
    Vae {
        name: "practice-vae-sdxl",
        family: "practice-sdxl",
        about: "the SDXL decoder (like sdxl_vae / sdxl-vae-fp16-fix)",
        sharpen: 0.2,
        saturation: 1.0,
    },
];

impl Vae {
    /// The practice VAE a recipe names.
    pub fn named(name: &str) -> Result<&'static Vae, String> {
        crate::names::find_named(VAES, |v| v.name, name, "the practice renderer has no VAE")
    }

    /// Whether it decodes this model's latents (a VAE from another family
    /// turns the picture into blotchy, wrong-coloured noise).
    pub fn fits(&self, model: &Model) -> bool {
        self.family == model.name
    }
}

/// Emphasis above this weight overcooks the image (A1111 users' rule of thumb: past ~1.5).
pub const EMPHASIS_LIMIT: f32 = 1.5;

impl Model {
    /// The model a recipe names (none: the SD 1.5-like one).
    pub fn named(name: Option<&str>) -> Result<&'static Model, String> {
        let Some(name) = name else { return Ok(&MODELS[0]) };
        crate::names::find_named(MODELS, |m| m.name, name, "the practice renderer has no model")
            .map_err(|e| format!("{e} (leave `model` out for the first)"))
    }

    /// How much of a token's meaning reaches the image, by its position.
    pub fn attention(&self, token: u32) -> f32 {
        match self.encoder {
            Encoder::Clip { full, end, later } => {
                let pos = token % CLIP_CHUNK;
                let within = if pos < full {
                    1.0
                } else {
                    1.0 - (1.0 - end) * (pos - full) as f32 / (CLIP_CHUNK - 1 - full).max(1) as f32
                };
                within * later.powi((token / CLIP_CHUNK) as i32)
            }
            Encoder::T5 { limit } if token < limit => 1.0 - 0.1 * token as f32 / limit as f32,
            Encoder::T5 { .. } => 0.0,
        }
    }

    /// The same CLIP chunk, as this model reads it (T5 reads the prompt as one).
    pub fn same_chunk(&self, a: u32, b: u32) -> bool {
        match self.encoder {
            Encoder::Clip { .. } => a / CLIP_CHUNK == b / CLIP_CHUNK,
            Encoder::T5 { .. } => true,
        }
    }

    /// The prompt as this model reads it: each term's weight becomes the
    /// weight that reaches the image (emphasis with diminishing returns,
    /// times its position's attention), and how far the strongest emphasis
    /// went past the limit.
    pub fn read(&self, parsed: &Parsed) -> (Parsed, f32) {
        let mut read = parsed.clone();
        let mut over = 0.0f32;
        for t in &mut read.terms {
            over = over.max(t.weight - EMPHASIS_LIMIT);
            t.weight = diminishing(t.weight) * self.attention(t.token);
        }
        (read, over.max(0.0))
    }

    /// This model with its text encoder stopped `skip` layers from the end
    /// (A1111's "Clip skip", ComfyUI's `CLIPSetLastLayer`): the
    /// penultimate layer's embedding is less literal, so colours bind more
    /// loosely and weak words drop more (2 is the anime checkpoints' usual
    /// setting; higher gets vaguer). T5 models have no CLIP layers to skip.
    pub fn with_clip_skip(&self, skip: u32) -> Model {
        let extra = skip.saturating_sub(1) as f32;
        match self.encoder {
            Encoder::Clip { .. } => Model {
                bleed: (self.bleed * (1.0 + 0.3 * extra)).min(0.9),
                neglect: self.neglect + 0.25 * extra,
                ..self.clone()
            },
            Encoder::T5 { .. } => self.clone(),
        }
    }

    /// Chance that one letter of a text this long comes out wrong.
    pub fn letter_error(&self, letters: usize) -> f32 {
        let s = self.spelling;
        if letters <= s.short { s.short_error } else { s.long_error }
    }

    /// Chance that an attribute read at `weight` is dropped.
    pub fn drop_chance(&self, weight: f32) -> f32 {
        (self.neglect * (HELD - weight)).clamp(0.0, 1.0)
    }

    /// Whether this size is so far above the training size that the model
    /// tiles it with a second subject (SD 1.5 at 1024², without hires fix).
    pub fn repeats_at(&self, width: u32, height: u32) -> bool {
        let n = self.native as f32;
        width.max(height) as f32 > 1.6 * n || (width as f32 * height as f32) > 2.2 * n * n
    }

    /// How far this size is below the training size (0 at or above 3/4 of
    /// it, growing as it shrinks): SDXL and FLUX at 512² lose detail.
    pub fn undersize(&self, width: u32, height: u32) -> f32 {
        let side = (width as f32 * height as f32).sqrt();
        (0.75 - side / self.native as f32).max(0.0) / 0.75
    }
}

/// Emphasis has diminishing returns: `(word:1.3)` is a clear nudge, `(word:2)`
/// not twice as much (the token's embedding is scaled, not its meaning).
fn diminishing(w: f32) -> f32 {
    if w <= 1.0 { w } else { 1.0 + 0.6 * (1.0 + (w - 1.0) / 0.6).ln() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attention_falls_through_a_chunk_and_across_chunks() {
        let sd = Model::named(None).unwrap();
        assert_eq!(sd.attention(0), 1.0);
        assert_eq!(sd.attention(19), 1.0);
        assert!((sd.attention(74) - 0.75).abs() < 1e-4);
        assert!((sd.attention(75) - 0.92).abs() < 1e-4, "a later chunk starts weaker");
        assert_eq!(sd.drop_chance(0.92), 0.0, "the start of a BREAK chunk holds");
        assert!((sd.drop_chance(0.75) - 0.3).abs() < 1e-4, "the end of a chunk fades");
        let flux = Model::named(Some("practice-flux")).unwrap();
        assert!(flux.attention(200) > 0.95 && flux.attention(600) == 0.0);
    }

    #[test]
    fn an_unknown_model_names_the_ones_there_are() {
        let e = Model::named(Some("practice-sdx")).unwrap_err();
        assert!(e.contains("did you mean `practice-sdxl`?") && e.contains("practice-flux"), "{e}");
    }

    #[test]
    fn clip_skip_loosens_clip_models_only_and_a_vae_fits_its_family() {
        let sd = Model::named(None).unwrap();
        let skipped = sd.with_clip_skip(2);
        assert!(skipped.bleed > sd.bleed && skipped.neglect > sd.neglect);
        assert_eq!(sd.with_clip_skip(1), *sd);
        let flux = Model::named(Some("practice-flux")).unwrap();
        assert_eq!(flux.with_clip_skip(2), *flux);
        let mse = Vae::named("practice-vae-ft-mse").unwrap();
        assert!(mse.fits(sd) && !mse.fits(Model::named(Some("practice-sdxl")).unwrap()));
        assert!(Vae::named("practice-vae-ft-mce").unwrap_err().contains("did you mean `practice-vae-ft-mse`?"));
    }

    #[test]
    fn sizes_far_from_native_are_flagged() {
        let sd = Model::named(None).unwrap();
        assert!(!sd.repeats_at(768, 512) && sd.repeats_at(1024, 1024));
        let xl = Model::named(Some("practice-sdxl")).unwrap();
        assert!(!xl.repeats_at(1024, 1024) && xl.undersize(512, 512) > 0.3 && xl.undersize(1024, 768) == 0.0);
        assert!(diminishing(2.0) < 1.7 && diminishing(1.3) > 1.2);
    }
}
