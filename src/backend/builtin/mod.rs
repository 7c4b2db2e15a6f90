//! The built-in practice renderer: an offline, deterministic backend that
//! behaves like a diffusion model in the ways the exercises teach — seeds,
//! prompt entanglement, steps, cfg, samplers, conditioning, references,
//! image-to-image and inpainting. Same recipe, same bytes.

mod control;
mod effects;
pub mod lora;
pub mod model;
mod paint;
pub mod plan;
mod rng;
mod scene;
pub mod service;
mod shape;
mod subject;
pub mod text;

use std::time::Instant;

use image::RgbImage;
use tiny_skia::Pixmap;

use super::{Backend, BackendError, Description, Generation, Inputs, Progress, Request, check_capabilities};
use crate::recipe::{ControlKind, Feature, Resolved, prompt, vocab};

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
    /// The lettering drawn for the text the prompt quotes, as the model spelt it.
    pub lettering: Option<String>,
    pub understood: Vec<String>,
    pub not_understood: Vec<String>,
}

impl Rendered {
    /// Where the subject's head centre was drawn, in fractions of the image
    /// (a product's top middle).
    pub fn head(&self) -> (f32, f32) {
        let (ux, uy) = subject::head_unit(&self.plan);
        let b = self.plan.subject_box;
        (b.x + ux * b.w, b.y + uy * b.h)
    }
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
    let model = &model::Model::named(r.model.as_deref())
        .map_err(BackendError::Failed)?
        .with_clip_skip(r.extra.clip_skip.unwrap_or(1));
    let vae = r.extra.vae.as_deref().map(model::Vae::named).transpose().map_err(BackendError::Failed)?;
    let loras = r
        .extra
        .lora
        .iter()
        .map(|l| lora::named(&l.name).map(|found| (found, l.weight)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(BackendError::Failed)?;
    let mut parsed = prompt::parse(&r.prompt);
    let negative = prompt::parse(&r.negative);
    // A loaded LoRA's trigger word is a word the model now knows.
    let mut triggered = Vec::new();
    for (l, _) in &loras {
        let found = parsed.unknown.iter().position(|w| w == l.trigger);
        if let Some(i) = found {
            parsed.understood.push(parsed.unknown.remove(i));
        }
        triggered.push(found.is_some() || parsed.understood.iter().any(|w| w == l.trigger));
    }
    let reference = inputs.reference.as_ref().map(|(img, weight)| control::analyse_reference(img, *weight));
    // Variation seed (A1111's subseed): the image of `seed` with its noise
    // moved toward `subseed`'s; past half-way the composition is subseed's.
    let variation = r.extra.subseed.zip(r.extra.subseed_strength).filter(|(_, s)| *s > 0.0);
    let seed = match variation {
        Some((sub, s)) if s >= 0.5 => sub as u64,
        _ => seed,
    };
    let settings = plan::Settings { seed, steps: r.steps, cfg: r.cfg, sampler, aspect: w as f32 / h as f32, model };
    let mut plan = plan::plan(&parsed, &negative, &r.prompt, &settings, reference.as_ref());
    for ((l, weight), triggered) in loras.iter().zip(&triggered) {
        lora::apply(&mut plan, l, *weight, *triggered, seed);
    }
    if let Some((sub, s)) = variation.filter(|(_, s)| *s < 1.0) {
        let amount = (s * 100.0).round() as u64;
        plan.noise_seed =
            rng::hash(&[b"subseed", &plan.noise_seed.to_le_bytes(), &sub.to_le_bytes(), &amount.to_le_bytes()]);
    }
    let controls: Vec<super::ControlInput> = inputs.controls.iter().map(effective_control).collect();
    for c in &controls {
        control::adjust_plan(&mut plan, c);
    }
    // The strongest edge map shapes the subject (one silhouette per image).
    let edges = controls
        .iter()
        .filter(|c| c.kind.is_lines() && c.image.dimensions() == (w, h))
        .max_by(|a, b| a.weight.total_cmp(&b.weight))
        .map(|c| (shape::EdgeLayout::read(&c.luma()), shape::Strength::of(c.weight * shape::looseness(c.kind))));
    if let Some((map, s)) = &edges {
        control::place_on_edges(&mut plan, map, *s);
    }
    let init_strength = r.init.as_ref().map_or(0.5, |i| i.strength);
    if let (Some(init), None) = (&inputs.init, &inputs.mask) {
        control::follow_init_layout(&mut plan, init, init_strength);
    }
    if let Some(mask) = &inputs.mask
        && r.extra.outpaint.is_none()
    {
        // Inpainting puts the prompt's subject in the mask; outpainting continues the scene around it.
        control::place_in_mask(&mut plan, mask);
    }

    let scenery_only = r.extra.outpaint.is_some()
        && parsed.best(|k| matches!(k, prompt::TermKind::Subject(_)).then_some(())).is_none();
    if scenery_only {
        // Nor the shadow a subject would cast.
        plan.removed.insert("shadow");
    }
    let mut pix = Pixmap::new(w, h).ok_or_else(|| BackendError::Failed(format!("cannot allocate a {w}×{h} image")))?;
    // Seg and depth maps lay out the scenery too, not only the subject.
    let guide = control::Guide::read(&controls);
    scene::draw(&mut paint::Canvas::new(&mut pix), &plan, w, h, &guide);
    match &edges {
        Some((map, s)) => {
            shape::calm_background(&mut pix, map, *s);
            let mut layer =
                Pixmap::new(w, h).ok_or_else(|| BackendError::Failed(format!("cannot allocate a {w}×{h} image")))?;
            subject::draw(&mut layer, &plan);
            let b = plan.subject_box;
            let neck = subject::neck(&plan).map(|n| (b.y + n * b.h) * h as f32);
            shape::fit(&mut layer, map, *s, neck);
            pix.draw_pixmap(
                0,
                0,
                layer.as_ref(),
                &tiny_skia::PixmapPaint::default(),
                tiny_skia::Transform::identity(),
                None,
            );
        }
        // Far above its training size a model tiles the canvas with a second subject.
        None if model.repeats_at(w, h) => {
            for twin in twins(&plan, w, h) {
                subject::draw(&mut pix, &twin);
            }
        }
        // Outpainting a scene the prompt names no subject in paints scenery:
        // a stray subject in a margin would be cut by the seam.
        None if scenery_only => {}
        None => subject::draw(&mut pix, &plan),
    }
    // Quoted text is lettered on a sign, spelt as well as the model spells.
    let lettering = text::quoted(&r.prompt).map(|t| text::spelt(&t, model, seed));
    if let Some(t) = &lettering {
        text::draw(&mut pix, &plan, t, text::sign_box(&plan, t.chars().count()));
    }
    let mut buf = effects::Buf::from_rgba(pix.data(), w as usize, h as usize);
    effects::style(&mut buf, &plan);
    effects::grade(&mut buf, scene::grade(plan.lighting));
    effects::undersized(&mut buf, model.undersize(w, h));
    if let Some(v) = vae {
        effects::decode(&mut buf, v, v.fits(model), plan.noise_seed);
    }
    effects::cfg(&mut buf, r.cfg + plan.burn);
    effects::steps(&mut buf, scheduled_steps(r), plan.noise_seed);
    // The prompt's picture is finished first; image-to-image decides how much of the init survives it.
    if let (Some(init), None) = (&inputs.init, &inputs.mask) {
        control::img2img(&mut buf, &plan, init, init_strength);
    }
    let mut image = RgbImage::from_raw(w, h, buf.to_rgb8())
        .ok_or_else(|| BackendError::Failed("image buffer size mismatch".into()))?;
    if let Some(hires) = &r.extra.hires {
        image = hires_fix(&image, r, hires, plan.noise_seed);
    }
    if let (Some(init), Some(mask)) = (&inputs.init, &inputs.mask) {
        let kept = r
            .extra
            .outpaint
            .as_ref()
            .map(|o| [o.left, o.top, w.saturating_sub(o.left + o.right), h.saturating_sub(o.top + o.bottom)]);
        control::inpaint(&mut image, init, mask, r.init.as_ref().map_or(0, |i| i.mask_blur), kept);
    }
    Ok(Rendered { image, plan, lettering, understood: parsed.understood, not_understood: parsed.unknown })
}

/// The two subjects a model draws far above its training size (SD 1.5 at
/// 1024²: "twins", the classic symptom hires fix exists to avoid): each a
/// little smaller, side by side on a wide or square canvas, stacked on a tall one.
fn twins(plan: &plan::Plan, w: u32, h: u32) -> [plan::Plan; 2] {
    let b = plan.subject_box;
    let (bw, bh) = (b.w * 0.8, b.h * 0.8);
    let at = |cx: f32, cy: f32| {
        let mut p = plan.clone();
        p.subject_box = plan::Frac {
            x: (cx - bw / 2.0).clamp(0.0, 1.0 - bw),
            y: (cy - bh / 2.0).clamp(0.0, 1.0 - bh),
            w: bw,
            h: bh,
        };
        p
    };
    let cy = b.y + b.h - bh / 2.0;
    if w >= h { [at(0.28, cy), at(0.72, cy)] } else { [at(0.5, 0.3), at(0.5, 0.72)] }
}

/// The steps the image converges as if it had: Karras and exponential
/// schedules spend their steps where the noise is low, so a few steps reach
/// a cleaner image than the normal schedule's (A1111's and k-diffusion's
/// measured behaviour at 10–20 steps); uniform schedules are in between.
/// The sampler multiplies it ([`vocab::convergence_per_step`]): DPM++ 2M and
/// UniPC finish in fewer steps than Euler, DDIM in more.
fn scheduled_steps(r: &Resolved) -> u32 {
    use crate::recipe::Scheduler;
    let factor = match r.extra.scheduler.unwrap_or(Scheduler::Normal) {
        Scheduler::Karras | Scheduler::Exponential => 1.3,
        Scheduler::SgmUniform | Scheduler::Simple | Scheduler::Beta => 1.1,
        Scheduler::Normal | Scheduler::DdimUniform => 1.0,
    };
    let sampler = vocab::sampler(&r.sampler).map_or(1.0, vocab::convergence_per_step);
    (r.steps as f32 * factor * sampler).round() as u32
}

/// A control's effective weight over the whole run: one that acts on part
/// of the steps shapes less (ending early frees the details, starting late
/// loosens the composition), and the control mode tilts the balance toward
/// the prompt or the map (A1111's ControlNet unit).
fn effective_control(c: &super::ControlInput) -> super::ControlInput {
    use crate::recipe::ControlMode;
    let span = (c.end - c.start).clamp(0.0, 1.0);
    let late = 1.0 - 0.5 * c.start.clamp(0.0, 1.0);
    let mode = match c.mode {
        ControlMode::Balanced => 1.0,
        ControlMode::Prompt => 0.6,
        ControlMode::Control => 1.25,
    };
    super::ControlInput { weight: (c.weight * span * late * mode).clamp(0.0, 2.0), ..c.clone() }
}

/// Hires fix: the image rendered at the recipe's size is upscaled, then the
/// second pass re-draws fine detail in proportion to its denoise (a sharper,
/// more detailed image, not a blurry enlargement), and its own steps leave
/// their own residual noise.
fn hires_fix(image: &RgbImage, r: &Resolved, h: &crate::recipe::Hires, noise_seed: u64) -> RgbImage {
    let (w, hh) = r.output_size();
    let up = image::imageops::resize(image, w, hh, image::imageops::FilterType::Lanczos3);
    let mut buf = effects::Buf {
        w: w as usize,
        h: hh as usize,
        px: up.pixels().map(|p| [f32::from(p[0]), f32::from(p[1]), f32::from(p[2])]).collect(),
    };
    let mut soft = effects::Buf { w: buf.w, h: buf.h, px: buf.px.clone() };
    effects::box_blur(&mut soft, (h.scale.round() as usize).max(1));
    let amount = 1.5 * h.denoise.clamp(0.0, 1.0);
    for (p, s) in buf.px.iter_mut().zip(&soft.px) {
        for k in 0..3 {
            p[k] += (p[k] - s[k]) * amount;
        }
    }
    effects::steps(&mut buf, h.steps.unwrap_or(r.steps).max(1) * 2, noise_seed ^ 0x4849_5245_5321);
    RgbImage::from_raw(w, hh, buf.to_rgb8()).unwrap_or(up)
}

impl Backend for Builtin {
    fn describe(&self) -> Description {
        Description {
            name: self.name.clone(),
            kind: "builtin".into(),
            img2img: true,
            inpaint: true,
            controls: ControlKind::ALL.to_vec(),
            reference: true,
            deterministic: true,
            price_per_image: self.service.as_ref().map(|s| s.price_per_image),
            features: vec![
                Feature::Scheduler,
                Feature::Subseed,
                Feature::Hires,
                Feature::ControlTiming,
                Feature::ControlMode,
                Feature::Lora,
                Feature::ClipSkip,
                Feature::Vae,
            ],
        }
    }

    fn price(&self, recipe: &Resolved) -> f64 {
        // An unknown model is refused when the image is asked for; it costs nothing.
        self.service.as_ref().and_then(|s| s.price(recipe).ok()).unwrap_or(0.0)
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
        let (width, height) = r.output_size();
        Ok(Generation {
            png,
            width,
            height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost,
            understood: rendered.understood,
            not_understood: rendered.not_understood,
        })
    }
}
