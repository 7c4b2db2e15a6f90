//! The recipe: a learner's documented, re-runnable answer (prompt, seed,
//! sampler, size, conditioning …), read from TOML and resolved into one
//! concrete request per image.
//!
//! A set deliverable is one base recipe plus `[[shot]]` tables; writing the
//! character once and varying only the scene is the consistency lesson, so the
//! base prompt may hold `{scene}`, filled from each shot's `scene`.

pub mod diff;
pub mod import;
pub mod infotext;
pub mod png;
pub mod prompt;
pub mod vocab;

use serde::{Deserialize, Serialize};

use crate::diagnostics::{Diagnostic, Diagnostics, Seg, parse_toml};

/// Largest width or height accepted unless the config says otherwise.
pub const DEFAULT_MAX_SIDE: u32 = 2048;

/// At most this many problems are listed for one recipe (the rest are counted).
pub const MAX_PROBLEMS: usize = 100;

/// The longest prompt (or negative prompt, or scene) a recipe may hold, in
/// characters. CLIP reads 75 tokens a chunk and A1111 joins chunks, so real
/// prompts stay far below this (4,000 characters is about 13 chunks); the
/// limit keeps every parser's work bounded whatever a file holds.
pub const MAX_PROMPT_CHARS: usize = 4000;

/// A problem with a text that is longer than [`MAX_PROMPT_CHARS`].
fn too_long(what: &str, text: &str) -> Option<String> {
    let n = text.chars().count();
    (n > MAX_PROMPT_CHARS).then(|| {
        format!(
            "{what} is {n} characters long; the limit is {MAX_PROMPT_CHARS} (a text encoder reads only the first few \
             hundred tokens well: say less, more precisely)"
        )
    })
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    pub prompt: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub negative: String,
    /// `None` or `-1`: random, and the used seed is recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default = "default_steps")]
    pub steps: u32,
    #[serde(default = "default_cfg")]
    pub cfg: f32,
    #[serde(default = "default_sampler")]
    pub sampler: String,
    #[serde(default = "default_side")]
    pub width: u32,
    #[serde(default = "default_side")]
    pub height: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// Hosted backends' quality tier (e.g. OpenAI's low/medium/high).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quality: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub control: Vec<Control>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    // The everyday settings of [`Settings`], written at the top level of a
    // recipe (serde's `flatten` would lose the "unknown field" check).
    /// The noise schedule (A1111's "Schedule type", ComfyUI's `scheduler`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<Scheduler>,
    /// Stop the text encoder this many layers from its end (1 = the last layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_skip: Option<u32>,
    /// A VAE file to decode with instead of the checkpoint's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vae: Option<String>,
    /// Variation seed: mixed into the seed's noise by `subseed_strength` (0–1)
    /// for a near variant of the same image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subseed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subseed_strength: Option<f32>,
    /// Hires fix: render at the recipe's size, upscale, then re-sample to add detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hires: Option<Hires>,
    /// LoRAs applied to the model, in order (trigger words stay in the prompt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lora: Vec<Lora>,
    /// Outpainting: extend the `[init]` image by these margins (pixels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outpaint: Option<Outpaint>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shot: Vec<Shot>,
}

/// What practitioners set every day beyond prompt, seed, steps, cfg, sampler
/// and size: one struct, shared by a recipe and each image it resolves to,
/// so a backend reads them in one place. Every field is optional; a backend
/// that cannot do one refuses the recipe before any call, naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    /// The noise schedule (A1111's "Schedule type", ComfyUI's `scheduler`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduler: Option<Scheduler>,
    /// Stop the text encoder this many layers from its end (1 = the last layer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub clip_skip: Option<u32>,
    /// A VAE file to decode with instead of the checkpoint's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vae: Option<String>,
    /// Variation seed: mixed into the seed's noise by `subseed_strength` (0–1)
    /// for a near variant of the same image.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subseed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subseed_strength: Option<f32>,
    /// Hires fix: render at the recipe's size, upscale, then re-sample to add detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hires: Option<Hires>,
    /// LoRAs applied to the model, in order (trigger words stay in the prompt).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub lora: Vec<Lora>,
    /// Outpainting: extend the `[init]` image by these margins (pixels).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outpaint: Option<Outpaint>,
}

crate::named_enum! {
    /// The noise schedule a sampler walks.
    pub enum Scheduler ("scheduler") {
        Normal = "normal",
        Karras = "karras",
        Exponential = "exponential",
        SgmUniform = "sgm_uniform",
        Simple = "simple",
        DdimUniform = "ddim_uniform",
        Beta = "beta",
    }
}

crate::named_enum! {
    /// How a ControlNet unit is balanced against the prompt (A1111's control mode).
    #[derive(Default)]
    pub enum ControlMode ("control mode") {
        #[default]
        Balanced = "balanced",
        Prompt = "prompt",
        Control = "control",
    }
}

crate::named_enum! {
    /// How a control map of another shape is fitted to the image.
    #[derive(Default)]
    pub enum ResizeMode ("resize mode") {
        #[default]
        JustResize = "just_resize",
        CropAndResize = "crop_and_resize",
        ResizeAndFill = "resize_and_fill",
    }
}

/// Hires fix (A1111's `enable_hr`, a latent upscale and a second sampler in ComfyUI).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hires {
    /// The output is the recipe's size times this.
    #[serde(default = "default_hires_scale")]
    pub scale: f32,
    /// The upscaler's name on the backend (its default when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upscaler: Option<String>,
    /// Denoising strength of the second pass.
    #[serde(default = "default_hires_denoise")]
    pub denoise: f32,
    /// Steps of the second pass (the recipe's `steps` when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
}

fn default_hires_scale() -> f32 {
    2.0
}
fn default_hires_denoise() -> f32 {
    0.5
}

/// One LoRA and its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lora {
    pub name: String,
    #[serde(default = "default_weight")]
    pub weight: f32,
}

/// Margins added around the init image, in pixels (multiples of 8).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outpaint {
    #[serde(default)]
    pub left: u32,
    #[serde(default)]
    pub right: u32,
    #[serde(default)]
    pub top: u32,
    #[serde(default)]
    pub bottom: u32,
}

crate::named_enum! {
    /// A recipe setting a backend may or may not support; a request that
    /// uses one its backend lacks is refused before any call, naming it.
    pub enum Feature ("recipe feature") {
        Scheduler = "scheduler",
        ClipSkip = "clip_skip",
        Vae = "vae",
        Subseed = "subseed",
        Hires = "hires",
        Lora = "lora",
        Outpaint = "outpaint",
        ControlTiming = "control start/end",
        ControlMode = "control mode",
    }
}
impl Default for Recipe {
    /// An empty recipe with genpath's defaults (what a file with only a prompt means).
    fn default() -> Recipe {
        Recipe {
            title: None,
            notes: None,
            prompt: String::new(),
            negative: String::new(),
            seed: None,
            steps: default_steps(),
            cfg: default_cfg(),
            sampler: default_sampler(),
            width: default_side(),
            height: default_side(),
            model: None,
            quality: None,
            init: None,
            control: Vec::new(),
            reference: None,
            scheduler: None,
            clip_skip: None,
            vae: None,
            subseed: None,
            subseed_strength: None,
            hires: None,
            lora: Vec::new(),
            outpaint: None,
            shot: Vec::new(),
        }
    }
}

fn default_steps() -> u32 {
    28
}
fn default_cfg() -> f32 {
    7.0
}
fn default_sampler() -> String {
    "euler_a".to_string()
}
fn default_side() -> u32 {
    512
}
fn default_strength() -> f32 {
    0.5
}
fn default_weight() -> f32 {
    1.0
}

fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

/// img2img and inpainting.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Init {
    pub image: String,
    #[serde(default = "default_strength")]
    pub strength: f32,
    /// White = repaint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mask: Option<String>,
    /// Blur radius applied to the mask edge, in pixels.
    #[serde(default)]
    pub mask_blur: u32,
}

crate::named_enum! {
    pub enum ControlKind ("control kind") {
        Edges = "edges",
        Lineart = "lineart",
        Scribble = "scribble",
        Seg = "seg",
        Pose = "pose",
        Depth = "depth",
    }
}

impl ControlKind {
    /// Line maps, white on black: canny edges, clean line art, rough scribbles.
    pub fn is_lines(self) -> bool {
        matches!(self, ControlKind::Edges | ControlKind::Lineart | ControlKind::Scribble)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    pub kind: ControlKind,
    pub image: String,
    #[serde(default = "default_weight")]
    pub weight: f32,
    /// The fraction of the sampling steps where the control starts and ends.
    #[serde(default, skip_serializing_if = "is_default")]
    pub start: f32,
    #[serde(default = "default_end", skip_serializing_if = "is_one")]
    pub end: f32,
    #[serde(default, skip_serializing_if = "is_default")]
    pub mode: ControlMode,
    /// How a map of another shape is fitted (genpath fits it before sending).
    #[serde(default, skip_serializing_if = "is_default")]
    pub resize: ResizeMode,
}

fn default_end() -> f32 {
    1.0
}
fn is_one(v: &f32) -> bool {
    *v == 1.0
}

/// An identity reference (IP-adapter-like).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reference {
    /// An image file, or absent when `shot` names an earlier image of the same set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// 1-based index of an earlier shot in this recipe whose image is the reference.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shot: Option<u32>,
    #[serde(default = "default_reference_weight")]
    pub weight: f32,
}

fn default_reference_weight() -> f32 {
    0.8
}

/// Per-image overrides in a set.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shot {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Fills `{scene}` in the base prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scene: Option<String>,
    /// Replaces the whole prompt.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub negative: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seed: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steps: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cfg: Option<f32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init: Option<Init>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<Vec<Control>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<Reference>,
    /// This shot's outpainting margins (one key visual to several formats).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outpaint: Option<Outpaint>,
}

/// One image's worth of recipe: a base with a shot applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resolved {
    pub prompt: String,
    pub negative: String,
    pub seed: Option<i64>,
    pub steps: u32,
    pub cfg: f32,
    pub sampler: String,
    pub width: u32,
    pub height: u32,
    pub model: Option<String>,
    pub quality: Option<String>,
    pub init: Option<Init>,
    pub control: Vec<Control>,
    pub reference: Option<Reference>,
    #[serde(flatten, default)]
    pub extra: Settings,
}

impl Resolved {
    /// The size of the image that comes back: the recipe's, times the hires scale.
    pub fn output_size(&self) -> (u32, u32) {
        match &self.extra.hires {
            Some(h) => ((self.width as f32 * h.scale).round() as u32, (self.height as f32 * h.scale).round() as u32),
            None => (self.width, self.height),
        }
    }

    /// The recipe features this image uses, for the backend's capability check.
    pub fn features(&self) -> Vec<Feature> {
        let e = &self.extra;
        let mut out = Vec::new();
        let mut add = |used: bool, f: Feature| {
            if used {
                out.push(f);
            }
        };
        add(e.scheduler.is_some_and(|s| s != Scheduler::Normal), Feature::Scheduler);
        add(e.clip_skip.is_some_and(|c| c > 1), Feature::ClipSkip);
        add(e.vae.is_some(), Feature::Vae);
        add(e.subseed_strength.is_some_and(|s| s > 0.0), Feature::Subseed);
        add(e.hires.is_some(), Feature::Hires);
        add(!e.lora.is_empty(), Feature::Lora);
        add(e.outpaint.is_some(), Feature::Outpaint);
        add(self.control.iter().any(|c| c.start > 0.0 || c.end < 1.0), Feature::ControlTiming);
        add(self.control.iter().any(|c| c.mode != ControlMode::Balanced), Feature::ControlMode);
        out
    }
}

/// Limits a recipe must respect, from config.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_side: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_side: DEFAULT_MAX_SIDE }
    }
}

impl Recipe {
    /// Parse and validate recipe text; every problem is located in the file.
    pub fn parse(file: &str, text: &str, limits: Limits) -> Result<Recipe, Diagnostics> {
        let recipe: Recipe = parse_toml(file, text)?;
        let mut diags = Diagnostics::default();
        // The document is parsed once to place every problem (a file with
        // thousands of shots must not be re-read for each).
        let spans = crate::diagnostics::Spans::new(text);
        let problems = recipe.problems(limits);
        let more = problems.len().saturating_sub(MAX_PROBLEMS);
        for (path, message) in problems.into_iter().take(MAX_PROBLEMS) {
            let segs: Vec<Seg<'_>> = path
                .iter()
                .map(|p| match p {
                    PathPart::Key(k) => Seg::Key(k),
                    PathPart::Index(i) => Seg::Index(*i),
                })
                .collect();
            diags.push(spans.at(file, &segs, message));
        }
        if more > 0 {
            diags.push(Diagnostic::file(file, format!("… and {more} more problems of the same kinds")));
        }
        diags.into_result().map(|()| recipe)
    }

    /// Semantic problems, each with the path of the offending value.
    pub fn problems(&self, limits: Limits) -> Vec<(Vec<PathPart>, String)> {
        use PathPart::{Index as I, Key as K};
        let mut out = Vec::new();
        if self.prompt.trim().is_empty() && self.shot.iter().all(|s| s.prompt.is_none()) {
            out.push((vec![K("prompt")], "prompt is empty: describe what to draw".to_string()));
        }
        for (key, text) in [("prompt", &self.prompt), ("negative", &self.negative)] {
            if let Some(m) = too_long(key, text) {
                out.push((vec![K(key)], m));
            }
        }
        side_problems(&mut out, vec![], self.width, self.height, limits);
        self.settings_problems(&mut out, limits);
        common_problems(
            &mut out,
            vec![],
            self.steps,
            self.cfg,
            self.init.as_ref(),
            &self.control,
            self.reference.as_ref(),
        );
        if self.prompt.contains("{scene}") && self.shot.is_empty() {
            out.push((
                vec![K("prompt")],
                "prompt uses {scene} but the recipe has no [[shot]] tables to fill it".into(),
            ));
        }
        for (i, s) in self.shot.iter().enumerate() {
            let base = vec![K("shot"), I(i)];
            for (key, text) in [("prompt", &s.prompt), ("negative", &s.negative), ("scene", &s.scene)] {
                if let Some(m) = text.as_deref().and_then(|t| too_long(key, t)) {
                    out.push(([base.clone(), vec![K(key)]].concat(), m));
                }
            }
            if s.scene.is_some() && s.prompt.is_none() && !self.prompt.contains("{scene}") {
                out.push((
                    [base.clone(), vec![K("scene")]].concat(),
                    "this shot sets `scene` but the base prompt has no {scene} placeholder to put it in".into(),
                ));
            }
            side_problems(
                &mut out,
                base.clone(),
                s.width.unwrap_or(self.width),
                s.height.unwrap_or(self.height),
                limits,
            );
            common_problems(
                &mut out,
                base.clone(),
                s.steps.unwrap_or(self.steps),
                s.cfg.unwrap_or(self.cfg),
                s.init.as_ref(),
                s.control.as_deref().unwrap_or(&[]),
                s.reference.as_ref(),
            );
            if let Some(o) = &s.outpaint {
                outpaint_problems(
                    &mut out,
                    base.clone(),
                    o,
                    s.width.unwrap_or(self.width),
                    s.height.unwrap_or(self.height),
                    s.init.as_ref().or(self.init.as_ref()),
                );
            }
            if let Some(n) = s.reference.as_ref().and_then(|r| r.shot)
                && (n == 0 || n as usize > i)
            {
                out.push((
                    [base, vec![K("reference"), K("shot")]].concat(),
                    format!("reference.shot = {n} must name an earlier shot (1 to {i})"),
                ));
            }
        }
        // A shot's scene fills the base prompt: the filled prompt is what a backend reads.
        for (i, r) in self.resolve().iter().enumerate().filter(|_| !self.shot.is_empty()) {
            if let Some(m) = too_long("the prompt with this shot's scene filled in", &r.prompt) {
                out.push((vec![K("shot"), I(i)], m));
            }
        }
        if let Some(n) = self.reference.as_ref().and_then(|r| r.shot)
            && (n == 0 || n as usize > self.shot.len())
        {
            out.push((
                vec![K("reference"), K("shot")],
                format!("reference.shot = {n} must name one of this recipe's {} [[shot]] tables", self.shot.len()),
            ));
        }
        out
    }

    /// The concrete per-image recipes: one per `[[shot]]`, or the base alone.
    ///
    /// A base-level `reference.shot = N` applies to every shot after the N-th
    /// (the N-th itself is drawn without it), which is how a set says "use the
    /// first image as the reference for the rest".
    pub fn resolve(&self) -> Vec<Resolved> {
        let base = Resolved {
            prompt: self.prompt.replace("{scene}", "").trim().to_string(),
            negative: self.negative.clone(),
            seed: self.seed.filter(|s| *s >= 0),
            steps: self.steps,
            cfg: self.cfg,
            sampler: self.sampler.clone(),
            width: self.width,
            height: self.height,
            model: self.model.clone(),
            quality: self.quality.clone(),
            init: self.init.clone(),
            control: self.control.clone(),
            reference: self.reference.clone(),
            extra: self.settings(),
        };
        if self.shot.is_empty() {
            return vec![base];
        }
        self.shot
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let prompt = match (&s.prompt, &s.scene) {
                    (Some(p), _) => p.clone(),
                    (None, Some(scene)) => self.prompt.replace("{scene}", scene),
                    (None, None) => self.prompt.replace("{scene}", ""),
                };
                let reference = match &s.reference {
                    Some(r) => Some(r.clone()),
                    None => self.reference.clone().filter(|r| r.shot.is_none_or(|n| (n as usize) <= i)),
                };
                Resolved {
                    prompt: tidy(&prompt),
                    negative: s.negative.clone().unwrap_or_else(|| self.negative.clone()),
                    seed: s.seed.or(self.seed).filter(|s| *s >= 0),
                    steps: s.steps.unwrap_or(self.steps),
                    cfg: s.cfg.unwrap_or(self.cfg),
                    sampler: self.sampler.clone(),
                    width: s.width.unwrap_or(self.width),
                    height: s.height.unwrap_or(self.height),
                    model: self.model.clone(),
                    quality: self.quality.clone(),
                    init: s.init.clone().or_else(|| self.init.clone()),
                    control: s.control.clone().unwrap_or_else(|| self.control.clone()),
                    reference,
                    extra: Settings {
                        outpaint: s.outpaint.clone().or_else(|| self.outpaint.clone()),
                        ..self.settings()
                    },
                }
            })
            .collect()
    }

    /// Problems with the everyday settings.
    fn settings_problems(&self, out: &mut Vec<(Vec<PathPart>, String)>, limits: Limits) {
        use PathPart::{Index as I, Key as K};
        if let Some(c) = self.clip_skip
            && !(1..=12).contains(&c)
        {
            out.push((vec![K("clip_skip")], format!("clip_skip = {c} is outside 1–12 (2 is the usual choice)")));
        }
        if let Some(st) = self.subseed_strength {
            if !(st.is_finite() && (0.0..=1.0).contains(&st)) {
                out.push((vec![K("subseed_strength")], format!("subseed_strength = {st} is outside 0–1")));
            } else if st > 0.0 && self.subseed.is_none_or(|s| s < 0) {
                out.push((
                    vec![K("subseed_strength")],
                    "subseed_strength needs a `subseed` (a fixed one, so the variant can be made again)".into(),
                ));
            }
        }
        if let Some(h) = &self.hires {
            if !(h.scale.is_finite() && (1.0..=4.0).contains(&h.scale)) {
                out.push((vec![K("hires"), K("scale")], format!("hires.scale = {} is outside 1–4", h.scale)));
            } else {
                for (name, side) in [("width", self.width), ("height", self.height)] {
                    let up = side as f32 * h.scale;
                    if up.round() as u32 > limits.max_side
                        || !(up.round() as u32).is_multiple_of(8)
                        || up.fract() != 0.0
                    {
                        out.push((
                            vec![K("hires"), K("scale")],
                            format!(
                                "hires.scale = {} makes the {name} {up}, which must be a whole multiple of 8 up to {}",
                                h.scale, limits.max_side
                            ),
                        ));
                    }
                }
            }
            if !(h.denoise.is_finite() && (0.0..=1.0).contains(&h.denoise)) {
                out.push((vec![K("hires"), K("denoise")], format!("hires.denoise = {} is outside 0–1", h.denoise)));
            }
            if let Some(st) = h.steps
                && !(1..=150).contains(&st)
            {
                out.push((vec![K("hires"), K("steps")], format!("hires.steps = {st} is outside 1–150")));
            }
            if self.init.is_some() {
                out.push((
                    vec![K("hires")],
                    "hires fix is a txt2img second pass; with an [init], ask for the larger size directly".into(),
                ));
            }
        }
        if self.lora.len() > 8 {
            out.push((vec![K("lora")], format!("{} LoRAs: at most 8", self.lora.len())));
        }
        for (n, l) in self.lora.iter().enumerate() {
            if l.name.trim().is_empty() {
                out.push((vec![K("lora"), I(n), K("name")], "a LoRA needs a `name`".into()));
            }
            if !(l.weight.is_finite() && (-2.0..=2.0).contains(&l.weight)) {
                out.push((vec![K("lora"), I(n), K("weight")], format!("LoRA weight {} is outside -2–2", l.weight)));
            }
        }
        if let Some(o) = &self.outpaint {
            outpaint_problems(out, vec![], o, self.width, self.height, self.init.as_ref());
        }
    }

    /// The everyday settings, as one value.
    pub fn settings(&self) -> Settings {
        Settings {
            scheduler: self.scheduler,
            clip_skip: self.clip_skip,
            vae: self.vae.clone(),
            subseed: self.subseed,
            subseed_strength: self.subseed_strength,
            hires: self.hires.clone(),
            lora: self.lora.clone(),
            outpaint: self.outpaint.clone(),
        }
    }

    /// Set the everyday settings from one value (import, provenance).
    pub fn set_settings(&mut self, s: Settings) {
        self.scheduler = s.scheduler;
        self.clip_skip = s.clip_skip;
        self.vae = s.vae;
        self.subseed = s.subseed;
        self.subseed_strength = s.subseed_strength;
        self.hires = s.hires;
        self.lora = s.lora;
        self.outpaint = s.outpaint;
    }

    /// Every file path the recipe refers to (init, mask, controls, references).
    pub fn asset_paths(&self) -> Vec<&str> {
        fn push<'a>(
            v: &mut Vec<&'a str>,
            init: Option<&'a Init>,
            control: &'a [Control],
            reference: Option<&'a Reference>,
        ) {
            if let Some(i) = init {
                v.push(&i.image);
                v.extend(i.mask.as_deref());
            }
            v.extend(control.iter().map(|c| c.image.as_str()));
            v.extend(reference.and_then(|r| r.image.as_deref()));
        }
        let mut v = Vec::new();
        push(&mut v, self.init.as_ref(), &self.control, self.reference.as_ref());
        for s in &self.shot {
            push(&mut v, s.init.as_ref(), s.control.as_deref().unwrap_or(&[]), s.reference.as_ref());
        }
        v
    }

    /// How many images the recipe makes.
    pub fn image_count(&self) -> usize {
        self.shot.len().max(1)
    }
}

/// Collapse the whitespace and stray commas a `{scene}` substitution can leave.
fn tidy(prompt: &str) -> String {
    let parts: Vec<&str> = prompt.split(',').map(str::trim).filter(|p| !p.is_empty()).collect();
    parts.join(", ")
}

/// A step in the path to a recipe value (owned, for returning problems).
#[derive(Debug, Clone, PartialEq)]
pub enum PathPart {
    Key(&'static str),
    Index(usize),
}

fn side_problems(out: &mut Vec<(Vec<PathPart>, String)>, base: Vec<PathPart>, w: u32, h: u32, limits: Limits) {
    for (name, v) in [("width", w), ("height", h)] {
        let path = [base.clone(), vec![PathPart::Key(name)]].concat();
        if v == 0 || v > limits.max_side {
            out.push((path, format!("{name} = {v} is outside 8–{} (the configured maximum)", limits.max_side)));
        } else if v % 8 != 0 {
            out.push((path, format!("{name} = {v} is not a multiple of 8; try {}", (v / 8).max(1) * 8)));
        }
    }
}

fn common_problems(
    out: &mut Vec<(Vec<PathPart>, String)>,
    base: Vec<PathPart>,
    steps: u32,
    cfg: f32,
    init: Option<&Init>,
    control: &[Control],
    reference: Option<&Reference>,
) {
    use PathPart::{Index as I, Key as K};
    let at = |tail: &[PathPart]| [base.clone(), tail.to_vec()].concat();
    if !(1..=150).contains(&steps) {
        out.push((at(&[K("steps")]), format!("steps = {steps} is outside 1–150")));
    }
    if !(cfg.is_finite() && (0.0..=30.0).contains(&cfg)) {
        out.push((at(&[K("cfg")]), format!("cfg = {cfg} is outside 0–30")));
    }
    if let Some(i) = init {
        if !(i.strength.is_finite() && (0.0..=1.0).contains(&i.strength)) {
            out.push((at(&[K("init"), K("strength")]), format!("init.strength = {} is outside 0–1", i.strength)));
        }
        if i.mask_blur > 64 {
            out.push((at(&[K("init"), K("mask_blur")]), format!("init.mask_blur = {} is over 64 px", i.mask_blur)));
        }
    }
    for (n, c) in control.iter().enumerate() {
        if !(c.weight.is_finite() && (0.0..=2.0).contains(&c.weight)) {
            out.push((at(&[K("control"), I(n), K("weight")]), format!("control weight {} is outside 0–2", c.weight)));
        }
        let fraction = |v: f32| v.is_finite() && (0.0..=1.0).contains(&v);
        if !fraction(c.start) || !fraction(c.end) || c.start >= c.end {
            out.push((
                at(&[K("control"), I(n), K("start")]),
                format!("control start {} and end {} must be fractions of the steps with start < end", c.start, c.end),
            ));
        }
    }
    if let Some(r) = reference {
        if !(r.weight.is_finite() && (0.0..=1.0).contains(&r.weight)) {
            out.push((at(&[K("reference"), K("weight")]), format!("reference.weight = {} is outside 0–1", r.weight)));
        }
        if r.image.is_some() == r.shot.is_some() {
            out.push((at(&[K("reference")]), "a reference needs exactly one of `image` or `shot`".into()));
        }
    }
}

/// Problems with outpainting margins on a `width`×`height` image (the base
/// recipe's, or a shot's at `base`).
fn outpaint_problems(
    out: &mut Vec<(Vec<PathPart>, String)>,
    base: Vec<PathPart>,
    o: &Outpaint,
    width: u32,
    height: u32,
    init: Option<&Init>,
) {
    use PathPart::Key as K;
    let at = |rest: Vec<PathPart>| [base.clone(), rest].concat();
    let sides = [("left", o.left), ("right", o.right), ("top", o.top), ("bottom", o.bottom)];
    for (name, v) in sides {
        if !v.is_multiple_of(8) {
            out.push((at(vec![K("outpaint"), K(name)]), format!("outpaint.{name} = {v} is not a multiple of 8")));
        }
    }
    if sides.iter().all(|(_, v)| *v == 0) {
        out.push((at(vec![K("outpaint")]), "outpaint adds no margin: give `left`, `right`, `top` or `bottom`".into()));
    }
    let inner =
        (width.saturating_sub(o.left.saturating_add(o.right)), height.saturating_sub(o.top.saturating_add(o.bottom)));
    if inner.0 < 64 || inner.1 < 64 {
        out.push((
            at(vec![K("outpaint")]),
            format!(
                "the margins leave {}×{} of the {}×{} image for the init: at least 64×64",
                inner.0, inner.1, width, height
            ),
        ));
    }
    match init {
        None => out.push((at(vec![K("outpaint")]), "outpaint extends an image: give it in [init]".into())),
        Some(i) if i.mask.is_some() => {
            out.push((at(vec![K("outpaint")]), "outpaint makes its own mask (the margins): remove init.mask".into()))
        }
        Some(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Recipe, Diagnostics> {
        Recipe::parse("r.toml", text, Limits::default())
    }

    #[test]
    fn a_scene_that_makes_the_prompt_too_long_is_located_at_its_shot() {
        let scene = "b".repeat(2500);
        let text = format!("prompt = \"a fox {{scene}} {}\"\n[[shot]]\nscene = \"{scene}\"\n", "a".repeat(2000));
        let e = Recipe::parse("r.toml", &text, Limits::default()).unwrap_err().to_string();
        assert!(e.contains("r.toml:2:1") && e.contains("with this shot's scene filled in"), "{e}");
    }

    #[test]
    fn minimal_recipe_gets_defaults() {
        let r = parse("prompt = \"a fox\"\n").unwrap();
        assert_eq!((r.width, r.height, r.steps), (512, 512, 28));
        assert_eq!(r.resolve().len(), 1);
        assert_eq!(r.resolve()[0].seed, None);
    }

    #[test]
    fn negative_seed_means_random() {
        let r = parse("prompt = \"a fox\"\nseed = -1\n").unwrap();
        assert_eq!(r.resolve()[0].seed, None);
    }

    #[test]
    fn semantic_errors_are_located() {
        let err = parse("prompt = \"a fox\"\nwidth = 500\n[init]\nimage = \"x.png\"\nstrength = 1.5\n").unwrap_err();
        let text = err.to_string();
        assert!(text.contains("r.toml:2:9: width = 500 is not a multiple of 8"), "{text}");
        assert!(text.contains("r.toml:5:12: init.strength = 1.5 is outside 0–1"), "{text}");
    }

    #[test]
    fn unknown_control_kind_is_an_error() {
        // A grey region mask is not a format any ControlNet takes: it is refused, with the kinds that exist.
        let err = parse("prompt = \"a\"\n[[control]]\nkind = \"mask\"\nimage = \"e.png\"\n").unwrap_err();
        assert!(err.to_string().contains("r.toml:3:8"), "{err}");
        assert!(err.to_string().contains("mask") && err.to_string().contains("seg"), "{err}");
    }

    #[test]
    fn too_large_is_refused() {
        let err = Recipe::parse("r.toml", "prompt = \"a\"\nwidth = 4096\n", Limits { max_side: 2048 }).unwrap_err();
        assert!(err.to_string().contains("outside 8–2048"), "{err}");
    }

    #[test]
    fn shots_fill_scene_and_reference_earlier_shot() {
        let r = parse(
            r#"prompt = "pip the fox, orange fur, {scene}"
seed = 7
reference = { shot = 1, weight = 0.8 }
[[shot]]
scene = "on a beach"
[[shot]]
scene = "in a forest"
seed = 8
"#,
        )
        .unwrap();
        let v = r.resolve();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].prompt, "pip the fox, orange fur, on a beach");
        assert_eq!(v[0].reference, None, "the first shot is the reference itself");
        assert_eq!(v[1].reference.as_ref().and_then(|r| r.shot), Some(1));
        assert_eq!((v[0].seed, v[1].seed), (Some(7), Some(8)));
    }

    #[test]
    fn reference_to_a_later_shot_is_refused() {
        let err = parse(
            "prompt = \"a {scene}\"\n[[shot]]\nscene = \"x\"\nreference = { shot = 2 }\n[[shot]]\nscene = \"y\"\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("must name an earlier shot"), "{err}");
    }
}
