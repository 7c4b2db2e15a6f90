//! Generation backends behind one trait: the built-in practice renderer
//! (offline, deterministic) and, later, real services.
//!
//! A request carries a resolved recipe and its inputs already decoded, so a
//! backend never touches the file system; a missing asset or a size mismatch
//! is reported by the loader before any backend is called.

pub mod a1111;
pub mod builtin;
pub mod comfyui;
pub mod http;
pub mod inputs;
pub mod openai;
pub mod sdcpp;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use image::{GrayImage, RgbImage};
use serde::Serialize;
use thiserror::Error;

use crate::recipe::{ControlKind, Feature, Resolved};

/// One image to make.
#[derive(Debug, Clone)]
pub struct Request {
    pub recipe: Resolved,
    pub inputs: Inputs,
}

/// Decoded inputs of a request.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// img2img source, at the recipe's size.
    pub init: Option<RgbImage>,
    /// Inpainting mask (white = repaint), same size as `init`.
    pub mask: Option<GrayImage>,
    pub controls: Vec<ControlInput>,
    /// Identity reference image and its weight.
    pub reference: Option<(RgbImage, f32)>,
}

#[derive(Debug, Clone)]
pub struct ControlInput {
    pub kind: ControlKind,
    /// The map as the ControlNet takes it: RGB (OpenPose colours, ADE20K
    /// palette) or grey in three channels (edges, depth).
    pub image: RgbImage,
    pub weight: f32,
    /// Fractions of the sampling steps where the control acts (0 and 1: all of them).
    pub start: f32,
    pub end: f32,
    pub mode: crate::recipe::ControlMode,
}

impl ControlInput {
    /// A control that acts on every step, balanced against the prompt.
    pub fn new(kind: ControlKind, image: RgbImage, weight: f32) -> ControlInput {
        ControlInput { kind, image, weight, start: 0.0, end: 1.0, mode: crate::recipe::ControlMode::Balanced }
    }

    /// A single-channel map (edges, depth) as a control.
    pub fn from_gray(kind: ControlKind, image: GrayImage, weight: f32) -> ControlInput {
        ControlInput::new(kind, image::DynamicImage::ImageLuma8(image).to_rgb8(), weight)
    }

    /// The map's luminance (what edge and depth maps carry).
    pub fn luma(&self) -> GrayImage {
        image::imageops::grayscale(&self.image)
    }
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Generation {
    /// The PNG file as written (with infotext chunks).
    pub png: Vec<u8>,
    pub width: u32,
    pub height: u32,
    /// The seed actually used.
    pub seed: i64,
    pub seconds: f64,
    /// Money spent on this image (0 for local backends).
    pub cost: f64,
    /// Prompt words the backend acted on, and words it did not understand.
    pub understood: Vec<String>,
    pub not_understood: Vec<String>,
}

/// What a backend can do, checked before any call is made.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    pub name: String,
    pub kind: String,
    pub img2img: bool,
    pub inpaint: bool,
    pub controls: Vec<ControlKind>,
    pub reference: bool,
    /// Same request, same bytes.
    pub deterministic: bool,
    /// Price per image, if it costs money.
    pub price_per_image: Option<f64>,
    /// The recipe settings it honours (outpainting needs `inpaint` only:
    /// genpath pads the init and masks the margins itself).
    pub features: Vec<Feature>,
}

#[derive(Debug, Error)]
pub enum BackendError {
    #[error("{backend} cannot do what this recipe asks: {missing}")]
    Unsupported { backend: String, missing: String },
    #[error("cancelled")]
    Cancelled,
    #[error("{message} (the service may succeed if asked again)")]
    /// `retry_after`: how long the service asked to wait, already bounded.
    Transient { message: String, retry_after: Option<std::time::Duration> },
    #[error("{0}")]
    Failed(String),
}

impl BackendError {
    pub fn is_transient(&self) -> bool {
        matches!(self, BackendError::Transient { .. })
    }

    /// A connection error, with how to start the server that did not answer.
    pub fn with_start_hint(self, hint: &str) -> BackendError {
        match self {
            BackendError::Transient { message, retry_after } if message.starts_with("could not connect") => {
                BackendError::Transient { message: format!("{message} — {hint}"), retry_after }
            }
            other => other,
        }
    }
}

/// Progress reports from a backend, and the way it learns it should stop.
pub trait Progress: Send + Sync {
    /// `done` of `total` sampling steps of the current image.
    fn step(&self, _done: u32, _total: u32) {}
    /// The job waits in the server's queue behind `ahead` others.
    fn queued(&self, _ahead: u32) {}
    fn cancelled(&self) -> bool {
        false
    }
}

/// A progress sink that ignores reports and can be cancelled from another thread.
#[derive(Debug, Clone, Default)]
pub struct Cancel(pub Arc<AtomicBool>);

impl Cancel {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

impl Progress for Cancel {
    fn cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

pub trait Backend: Send + Sync {
    fn describe(&self) -> Description;
    fn generate(&self, request: &Request, progress: &dyn Progress) -> Result<Generation, BackendError>;
    /// What one image of this recipe costs here: what `generate` will charge,
    /// for budgets and estimates made before it runs. By default the
    /// described price per 1024² image, by area (never less than one image).
    fn price(&self, recipe: &Resolved) -> f64 {
        self.describe().price_per_image.map_or(0.0, |p| price_by_area(p, recipe.width, recipe.height))
    }
}

/// A price per 1024² image applied to an image of this size (a smaller one costs the same).
pub fn price_by_area(per_image: f64, width: u32, height: u32) -> f64 {
    per_image * ((width as f64 * height as f64) / (1024.0 * 1024.0)).max(1.0)
}

/// Refuse a request the backend cannot serve, naming the missing capability.
pub fn check_capabilities(d: &Description, r: &Request) -> Result<(), BackendError> {
    let missing = |what: String| Err(BackendError::Unsupported { backend: d.name.clone(), missing: what });
    if r.inputs.mask.is_some() && !d.inpaint {
        return missing("inpainting ([init] with a mask)".into());
    }
    if r.inputs.init.is_some() && !d.img2img {
        return missing("image-to-image ([init])".into());
    }
    for c in &r.inputs.controls {
        if !d.controls.contains(&c.kind) {
            let have = d.controls.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(", ");
            return missing(format!(
                "a `{}` control (it supports: {})",
                c.kind.as_str(),
                if have.is_empty() { "none" } else { &have }
            ));
        }
    }
    if r.inputs.reference.is_some() && !d.reference {
        return missing("an identity [reference]".into());
    }
    let lacking: Vec<&str> = r
        .recipe
        .features()
        .into_iter()
        .filter(|f| if *f == Feature::Outpaint { !d.inpaint } else { !d.features.contains(f) })
        .map(Feature::as_str)
        .collect();
    if !lacking.is_empty() {
        let has: Vec<&str> = d.features.iter().map(|f| f.as_str()).collect();
        return missing(format!(
            "{} (of these settings it honours: {})",
            lacking.join(", "),
            if has.is_empty() { "none".to_string() } else { has.join(", ") }
        ));
    }
    Ok(())
}

/// The simulated paid service every workspace has, named `practice`: the
/// systems-stage exercises target it so budgets, retries and rate limits
/// behave the same for every learner (0.04 per image up to 1024², 40 ms per
/// image, 20 requests a second, one call in ten failing transiently).
pub fn practice_service() -> builtin::ServiceProfile {
    let mut p = builtin::ServiceProfile::new(40, 0.04, 20, 0.1, 1);
    p.rate_window_ms = 1_000;
    p
}

/// Build the backend a config names (`builtin`, `practice`, or a `[backends.NAME]` table).
pub fn from_config(name: &str, config: &crate::config::Config) -> anyhow::Result<Box<dyn Backend>> {
    use crate::config::BackendKind;
    use anyhow::Context;
    if name == "builtin" && !config.backends.contains_key("builtin") {
        return Ok(Box::new(builtin::Builtin::new()));
    }
    if name == "practice" && !config.backends.contains_key("practice") {
        return Ok(Box::new(builtin::Builtin { name: "practice".into(), service: Some(practice_service()) }));
    }
    let table = config.backends.get(name).with_context(|| {
        let mut known: Vec<&str> = config.backends.keys().map(String::as_str).collect();
        known.insert(0, "practice");
        known.insert(0, "builtin");
        format!(
            "no backend named '{name}' in genpath.toml (known: {}); add a [backends.{name}] table",
            known.join(", ")
        )
    })?;
    // Problems are reported with their location when genpath.toml is read;
    // a config built another way gets them here, in words.
    let known = crate::config::BackendConfig::known_keys(table.kind);
    let refuse = |problems: Vec<crate::config::OptionProblem>| {
        let list: Vec<String> = problems.into_iter().map(|p| p.message).collect();
        anyhow::anyhow!("[backends.{name}]: {}", list.join("; "))
    };
    match table.kind {
        BackendKind::Builtin => {
            let o: crate::config::BuiltinOptions = table.typed(known).map_err(refuse)?;
            let service = match o.service {
                None => None,
                Some(v) => Some(
                    v.try_into::<builtin::ServiceProfile>()
                        .with_context(|| format!("[backends.{name}].service is not a valid service profile"))?,
                ),
            };
            Ok(Box::new(builtin::Builtin { name: name.to_string(), service }))
        }
        BackendKind::A1111 => Ok(Box::new(a1111::A1111::from_options(name, &table.typed(known).map_err(refuse)?)?)),
        BackendKind::Comfyui => {
            Ok(Box::new(comfyui::ComfyUi::from_options(name, &table.typed(known).map_err(refuse)?, &config.dir)?))
        }
        BackendKind::Openai => Ok(Box::new(openai::OpenAi::from_options(name, &table.typed(known).map_err(refuse)?)?)),
    }
}

/// A recipe's `f32` as the decimal it was written as: `0.45`, not the
/// `0.44999998807907104` a plain widening prints.
pub fn decimal(x: f32) -> serde_json::Value {
    let shortest: f64 = x.to_string().parse().unwrap_or(f64::from(x));
    serde_json::Number::from_f64(shortest).map_or(serde_json::Value::Null, serde_json::Value::Number)
}

/// PNG bytes of an input image for a server. An encoding failure is an
/// error, never an empty upload that the server would answer with nonsense.
pub(crate) fn encode_png(img: &image::DynamicImage) -> Result<Vec<u8>, BackendError> {
    let mut out = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
        .map_err(|e| BackendError::Failed(format!("cannot encode an input image as PNG: {e}")))?;
    Ok(out)
}

#[cfg(test)]
mod png_tests {
    #[test]
    fn an_image_that_cannot_be_encoded_is_an_error() {
        assert!(super::encode_png(&image::DynamicImage::new_rgb8(0, 0)).is_err());
        let ok = super::encode_png(&image::DynamicImage::new_rgb8(2, 2)).unwrap();
        assert_eq!(image::load_from_memory(&ok).unwrap().width(), 2);
    }
}
