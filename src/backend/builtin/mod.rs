//! The built-in practice renderer: an offline, deterministic backend that
//! behaves like a diffusion model in the ways the exercises teach — seeds,
//! prompt entanglement, steps, cfg, samplers, conditioning, references,
//! image-to-image and inpainting. Same recipe, same bytes.

mod control;
mod effects;
mod paint;
pub mod plan;
mod rng;
mod scene;
pub mod service;
mod subject;

use std::time::Instant;

use image::RgbImage;
use tiny_skia::Pixmap;

use super::{Backend, BackendError, Description, Generation, Inputs, Progress, Request, check_capabilities};
use crate::recipe::{ControlKind, Resolved, prompt, vocab};

pub use service::ServiceProfile;

/// The offline renderer, optionally wrapped in a simulated paid service.
#[derive(Debug, Clone, Default)]
pub struct Builtin {
    pub name: String,
    pub service: Option<ServiceProfile>,
}

impl Builtin {
    pub fn new() -> Builtin {
        Builtin { name: "builtin".into(), service: None }
    }
}

/// What the renderer made of a request, beside the pixels.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub image: RgbImage,
    pub plan: plan::Plan,
    pub understood: Vec<String>,
    pub not_understood: Vec<String>,
}

/// A fresh random seed for recipes that ask for one (seed absent or -1).
pub fn random_seed() -> i64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as u64);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    (rng::hash(&[&nanos.to_le_bytes(), &n.to_le_bytes(), &std::process::id().to_le_bytes()]) % 4_294_967_295) as i64
}

/// Render a resolved recipe with a concrete seed. Pure: same input, same pixels.
pub fn render(r: &Resolved, seed: u64, inputs: &Inputs) -> Result<Rendered, BackendError> {
    let (w, h) = (r.width, r.height);
    let sampler = vocab::sampler(&r.sampler).ok_or_else(|| {
        let known = vocab::SAMPLERS.iter().map(|(c, _)| *c).collect::<Vec<_>>().join(", ");
        BackendError::Failed(format!("unknown sampler '{}'; the built-in renderer knows: {known}", r.sampler))
    })?;
    let parsed = prompt::parse(&r.prompt);
    let negative = prompt::parse(&r.negative);
    let reference = inputs.reference.as_ref().map(|(img, weight)| control::analyse_reference(img, *weight));
    let settings = plan::Settings { seed, steps: r.steps, cfg: r.cfg, sampler, aspect: w as f32 / h as f32 };
    let mut plan = plan::plan(&parsed, &negative, &r.prompt, &settings, reference.as_ref());
    for c in &inputs.controls {
        control::adjust_plan(&mut plan, c);
    }
    if let Some(mask) = &inputs.mask {
        control::place_in_mask(&mut plan, mask);
    }

    let mut pix = Pixmap::new(w, h).ok_or_else(|| BackendError::Failed(format!("cannot allocate a {w}×{h} image")))?;
    scene::draw(&mut paint::Canvas::new(&mut pix), &plan, w, h);
    subject::draw(&mut pix, &plan);
    let mut buf = effects::Buf::from_rgba(pix.data(), w as usize, h as usize);

    for c in inputs.controls.iter().filter(|c| c.kind == ControlKind::Edges) {
        control::apply_edges(&mut buf, &plan, c);
    }
    if let (Some(init), None) = (&inputs.init, &inputs.mask) {
        control::img2img(&mut buf, &plan, init, r.init.as_ref().map_or(0.5, |i| i.strength));
    }
    effects::style(&mut buf, &plan);
    effects::grade(&mut buf, scene::grade(plan.lighting));
    effects::cfg(&mut buf, r.cfg);
    effects::steps(&mut buf, r.steps, plan.noise_seed);
    let mut image = RgbImage::from_raw(w, h, buf.to_rgb8())
        .ok_or_else(|| BackendError::Failed("image buffer size mismatch".into()))?;
    if let (Some(init), Some(mask)) = (&inputs.init, &inputs.mask) {
        control::inpaint(&mut image, init, mask, r.init.as_ref().map_or(0, |i| i.mask_blur));
    }
    Ok(Rendered { image, plan, understood: parsed.understood, not_understood: parsed.unknown })
}

impl Backend for Builtin {
    fn describe(&self) -> Description {
        Description {
            name: self.name.clone(),
            kind: "builtin".into(),
            img2img: true,
            inpaint: true,
            controls: vec![ControlKind::Edges, ControlKind::Mask, ControlKind::Pose],
            reference: true,
            deterministic: true,
            price_per_image: self.service.as_ref().map(|s| s.price_per_image),
        }
    }

    fn generate(&self, request: &Request, progress: &dyn Progress) -> Result<Generation, BackendError> {
        check_capabilities(&self.describe(), request)?;
        // Recipes are validated when read; a request built another way is held to the same limit.
        for text in [&request.recipe.prompt, &request.recipe.negative] {
            if text.chars().count() > crate::recipe::MAX_PROMPT_CHARS {
                return Err(BackendError::Failed(format!(
                    "the prompt is longer than {} characters",
                    crate::recipe::MAX_PROMPT_CHARS
                )));
            }
        }
        let started = Instant::now();
        let cost = match &self.service {
            Some(s) => s.call(request, progress)?,
            None => 0.0,
        };
        if progress.cancelled() {
            return Err(BackendError::Cancelled);
        }
        let r = &request.recipe;
        let seed = r.seed.unwrap_or_else(random_seed);
        progress.step(0, r.steps);
        let rendered = render(r, seed as u64, &request.inputs)?;
        progress.step(r.steps, r.steps);
        let png = crate::recipe::png::encode(&rendered.image, r, seed, &self.name)
            .map_err(|e| BackendError::Failed(format!("cannot encode PNG: {e}")))?;
        Ok(Generation {
            png,
            width: r.width,
            height: r.height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost,
            understood: rendered.understood,
            not_understood: rendered.not_understood,
        })
    }
}
