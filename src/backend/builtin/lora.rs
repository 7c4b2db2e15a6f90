//! Practice LoRAs: small add-ons to the practice models, as a practitioner
//! loads them in AUTOMATIC1111 (`<lora:name:weight>`) or ComfyUI
//! (`LoraLoader`). A recipe asks for one with `[[lora]] name, weight`; its
//! trigger word goes in the prompt. What each weight does imitates what
//! LoRA users measure and write down (see `curriculum/physics.md`):
//!
//! - a character LoRA pins the character: from weight ~0.7 with its trigger
//!   word every seed and scene draws the same one; lower, its identity is
//!   only partly there; without the trigger word it acts at a third;
//! - past weight 1 what the LoRA was trained on takes over: its training
//!   style and its one centred pose replace what the prompt asked for, and
//!   past 1.2 the image overcooks (saturated, banded), as an over-weighted
//!   LoRA does;
//! - a style LoRA sets its style from ~0.4 and washes the prompt's colours
//!   toward its own palette when pushed past 1.

use super::plan::{Frac, Plan, Rgb};
use super::rng::{Rng, hash};
use crate::imaging::color::mix;
use crate::recipe::vocab::{Accessory, Eyes, Pattern, Proportions, Style, Subject};

/// What a LoRA was trained to add.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// One character: its look, and the style and pose of its training images.
    Character {
        subject: Subject,
        body: Rgb,
        accent: Rgb,
        pattern: Pattern,
        accessory: Accessory,
        accessory_color: Rgb,
        proportions: Proportions,
        eyes: Eyes,
        trained_style: Style,
    },
    /// One style, with the palette of its training images.
    Style { style: Style, ink: Rgb },
}

/// One practice LoRA.
#[derive(Debug, Clone, PartialEq)]
pub struct PracticeLora {
    pub name: &'static str,
    /// The word its training captions used; without it the LoRA acts weakly.
    pub trigger: &'static str,
    pub about: &'static str,
    pub effect: Effect,
}

/// Every practice LoRA (one table: recipes, docs and `backend test` read it).
pub const LORAS: &[PracticeLora] = &[
    PracticeLora {
        name: "pip-the-fox",
        trigger: "pipfox",
        about: "character LoRA: Pip, an orange fox with a cream belly, a teal scarf and sleepy eyes \
                (trained on watercolour character sheets, front view)",
        effect: Effect::Character {
            subject: Subject::Fox,
            body: [236, 118, 38],
            accent: [246, 228, 196],
            pattern: Pattern::Plain,
            accessory: Accessory::Scarf,
            accessory_color: [22, 150, 140],
            proportions: Proportions::Chubby,
            eyes: Eyes::Sleepy,
            trained_style: Style::Watercolor,
        },
    },
    PracticeLora {
        name: "inkwash-style",
        trigger: "inkwash",
        about: "style LoRA: ink-and-wash line art in sepia and indigo",
        effect: Effect::Style { style: Style::LineArt, ink: [62, 56, 84] },
    },
];

/// Weight at which a character LoRA's identity is fully there.
const FULL_IDENTITY: f32 = 0.7;
/// Share of a LoRA's effect without its trigger word.
const UNTRIGGERED: f32 = 0.35;
/// Past this weight the LoRA's training takes over.
const TAKEOVER: f32 = 1.0;
/// Past this weight the image overcooks.
const OVERCOOK: f32 = 1.2;
/// Extra guidance per unit of weight past `OVERCOOK`.
const OVERCOOK_BURN: f32 = 12.0;

/// The practice LoRA a recipe names.
pub fn named(name: &str) -> Result<&'static PracticeLora, String> {
    crate::names::find_named(LORAS, |l| l.name, name, "the practice renderer has no LoRA")
}

/// Apply a LoRA at `weight` to a plan. `triggered`: its trigger word is in the prompt.
pub fn apply(plan: &mut Plan, lora: &PracticeLora, weight: f32, triggered: bool, seed: u64) {
    let s = weight.max(0.0) * if triggered { 1.0 } else { UNTRIGGERED };
    if s <= 0.0 {
        return;
    }
    let mut rng = Rng::new(hash(&[b"lora", lora.name.as_bytes(), &seed.to_le_bytes()]));
    let takeover = ((s - TAKEOVER) / 0.3).clamp(0.0, 1.0);
    match &lora.effect {
        Effect::Character {
            subject,
            body,
            accent,
            pattern,
            accessory,
            accessory_color,
            proportions,
            eyes,
            trained_style,
        } => {
            let k = (s / FULL_IDENTITY).clamp(0.0, 1.0);
            plan.body = mix(plan.body, *body, k);
            plan.accent = mix(plan.accent, *accent, k);
            plan.accessory_color = mix(plan.accessory_color, *accessory_color, k);
            // Even a weak character LoRA draws its kind of creature; its likeness needs weight.
            if s >= 0.2 {
                plan.subject = *subject;
            }
            let take = |r: &mut Rng| k >= 1.0 || r.chance(k);
            if take(&mut rng) {
                plan.pattern = *pattern;
            }
            if take(&mut rng) && plan.has("accessory") {
                plan.accessory = *accessory;
            }
            if take(&mut rng) {
                plan.proportions = *proportions;
            }
            if take(&mut rng) {
                plan.eyes = *eyes;
            }
            if takeover > 0.0 {
                if rng.chance(takeover) {
                    plan.style = *trained_style;
                }
                // The training images' one pose: centred, medium, front view.
                let b = plan.subject_box;
                let trained = Frac { x: 0.5 - b.w / 2.0, y: 0.5 - b.h / 2.0, ..b };
                plan.subject_box =
                    Frac { x: b.x + (trained.x - b.x) * takeover, y: b.y + (trained.y - b.y) * takeover, ..b };
            }
        }
        Effect::Style { style, ink } => {
            if s >= 0.4 || rng.chance(s / 0.4) {
                plan.style = *style;
            }
            for c in [&mut plan.body, &mut plan.accent, &mut plan.accessory_color] {
                *c = mix(*c, *ink, 0.6 * takeover);
            }
        }
    }
    plan.burn += OVERCOOK_BURN * (s - OVERCOOK).max(0.0);
}
