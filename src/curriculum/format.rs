//! The on-disk shape of `path.toml` and `exercise.toml`, exactly as authors
//! write them. Unknown keys are errors so a typo never silently drops a check.

use std::collections::BTreeMap;

use serde::Deserialize;
use toml::Spanned;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawPath {
    pub title: Option<String>,
    #[serde(default)]
    pub stages: Vec<RawStage>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawStage {
    pub id: Spanned<String>,
    pub title: String,
    pub summary: String,
    /// Position on the path; stages are shown and unlocked in this order.
    pub order: Spanned<u32>,
    /// Exercise ids in the order a learner should take them.
    pub exercises: Vec<Spanned<String>>,
    pub milestone: RawMilestone,
    #[serde(default)]
    pub unlock: RawUnlock,
}

/// When a stage's milestone is reached.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawMilestone {
    pub title: String,
    /// Exercises that must all be passed.
    #[serde(default)]
    pub pass: Vec<Spanned<String>>,
    /// At least this many of the stage's exercises passed (default: none beyond `pass`).
    #[serde(default)]
    pub min_passed: Option<Spanned<u32>>,
}

/// When a stage opens.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawUnlock {
    /// The stage opens when this other stage's milestone is reached; absent = open from the start.
    pub after: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawExercise {
    pub id: Spanned<String>,
    pub stage: Spanned<String>,
    pub title: String,
    pub kind: super::ExerciseKind,
    pub capability: super::Capability,
    /// The check whose failure teaches this exercise's lesson: the starter must fail it.
    pub lesson: Spanned<String>,
    pub brief: String,
    pub deliverable: RawDeliverable,
    #[serde(default)]
    pub checks: Vec<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
    #[serde(default)]
    pub hints: Vec<String>,
    /// Files the exercise gives the learner (control maps, masks, brand sheets …).
    #[serde(default)]
    pub assets: Vec<Spanned<String>>,
    /// "On a real model": the same task on a real tool (A1111, ComfyUI, an
    /// API) — checkpoint, ControlNet, LoRA, settings — in Markdown or plain text.
    #[serde(default)]
    pub real: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawDeliverable {
    /// The file the learner answers with, in `starter/` and `solution/`.
    #[serde(default = "default_answer_file")]
    pub file: Spanned<String>,
    #[serde(default = "one")]
    pub count: u32,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// What to hand in, in words.
    pub description: Option<String>,
}

fn default_answer_file() -> Spanned<String> {
    Spanned::new(0..0, "recipe.toml".to_string())
}

fn one() -> u32 {
    1
}
