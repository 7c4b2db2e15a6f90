//! The files behind a piece of work, as a report or the portfolio shows
//! them: the answer (recipe, write-up), the images made, and the
//! conditioning inputs the recipe named (control maps, the init image and
//! its mask, a reference), each labelled with the role it played.
//!
//! A collected submission's files are read from its folder (`answer/`,
//! `images/`); an input the answer names but the bundle did not carry (an
//! exercise's own asset) is read from the exercise, as `collect` did when it
//! re-checked the work. Paths outside the answer's folder are never read.

use std::path::{Component, Path};

use crate::curriculum::Curriculum;
use crate::recipe::{Limits, Recipe};

/// At most this many images of one submission are read.
pub const MAX_IMAGES: usize = 8;

/// An input the recipe conditioned on.
#[derive(Debug, Clone)]
pub struct Input {
    /// What it did: "edges control map (weight 1.0)", "init image (strength 0.45)", "mask"…
    pub role: String,
    /// The path the recipe names.
    pub name: String,
    pub bytes: Vec<u8>,
    /// An init image: the output is an edit of it (shown before → after).
    pub before: bool,
}

/// A submission's files.
#[derive(Debug, Clone, Default)]
pub struct Files {
    /// The answer's file name and text.
    pub answer: Option<(String, String)>,
    /// The images made (PNG bytes), at most [`MAX_IMAGES`].
    pub images: Vec<Vec<u8>>,
    pub total_images: usize,
    pub inputs: Vec<Input>,
}

/// Whether a recipe-relative path stays inside its folder.
fn inside(rel: &str) -> bool {
    let p = Path::new(rel);
    !p.is_absolute() && p.components().all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

/// The conditioning inputs a recipe names, in the order a reader meets
/// them (init, mask, control maps, reference; then per shot), each read
/// through `read` (a path the recipe names → its bytes). Inputs that cannot
/// be read are left out; one file named twice is shown once.
pub fn conditioning(recipe_text: &str, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Vec<Input> {
    let Ok(recipe) = Recipe::parse("answer", recipe_text, Limits::default()) else { return Vec::new() };
    let mut named: Vec<(String, String, bool)> = Vec::new();
    let mut inits = vec![recipe.init.clone()];
    let mut controls = vec![recipe.control.clone()];
    for shot in &recipe.shot {
        inits.push(shot.init.clone());
        controls.push(shot.control.clone().unwrap_or_default());
    }
    for init in inits.into_iter().flatten() {
        let what = if init.mask.is_some() { "inpainting" } else { "image-to-image" };
        named.push((format!("init image ({what}, strength {:.2})", init.strength), init.image.clone(), true));
        if let Some(mask) = init.mask {
            named.push(("mask (white is redrawn)".into(), mask, false));
        }
    }
    for c in controls.into_iter().flatten() {
        named.push((format!("{} control map (weight {:.2})", c.kind, c.weight), c.image, false));
    }
    if let Some(image) = recipe.reference.as_ref().and_then(|r| r.image.clone()) {
        named.push(("reference image".into(), image, false));
    }
    let mut out: Vec<Input> = Vec::new();
    for (role, name, before) in named {
        if out.iter().any(|i| i.name == name) {
            continue;
        }
        if let Some(bytes) = read(&name) {
            out.push(Input { role, name, bytes, before });
        }
    }
    out
}

/// The answer file of a submission folder: the deliverable's name when
/// there, else the first TOML file.
fn answer_file(answer_dir: &Path) -> Option<(String, String)> {
    let mut names: Vec<String> = std::fs::read_dir(answer_dir)
        .ok()?
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().to_str().map(str::to_string))
        .filter(|n| n.ends_with(".toml"))
        .collect();
    names.sort();
    let preferred = ["recipe.toml", "decision.toml", "pipeline.toml"];
    let name =
        preferred.iter().find(|p| names.iter().any(|n| n == *p)).map(|p| p.to_string()).or(names.into_iter().next())?;
    let text = std::fs::read_to_string(answer_dir.join(&name)).ok()?;
    Some((name, text))
}

/// Read the files of a collected submission (`dir` relative to the workspace).
pub fn submission(workspace: &Path, curriculum: &Curriculum, exercise: &str, dir: &str) -> Files {
    let root = workspace.join(dir);
    let answer_dir = root.join("answer");
    let answer = answer_file(&answer_dir);
    let mut images: Vec<_> = std::fs::read_dir(root.join("images"))
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.extension().is_some_and(|x| x.eq_ignore_ascii_case("png")))
                .collect()
        })
        .unwrap_or_else(|_| Vec::new());
    images.sort();
    let total_images = images.len();
    let images = images.iter().take(MAX_IMAGES).filter_map(|p| crate::imaging::read_file(p).ok()).collect();
    let exercise = curriculum.exercise(exercise);
    let read = |rel: &str| -> Option<Vec<u8>> {
        if !inside(rel) {
            return None;
        }
        let here = answer_dir.join(rel);
        if here.is_file() {
            return crate::imaging::read_file(&here).ok();
        }
        let e = exercise?;
        curriculum.read(&e.file_path(rel)?).ok()
    };
    let inputs = match &answer {
        Some((name, text)) if name != "pipeline.toml" && name != "decision.toml" => conditioning(text, &read),
        _ => Vec::new(),
    };
    Files { answer, images, total_images, inputs }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditioning_inputs_are_named_by_their_role_and_read_once() {
        let text = "prompt = \"a fox\"\nseed = 1\n[init]\nimage = \"park.png\"\nmask = \"m.png\"\nstrength = 1.0\n\
                    [[control]]\nkind = \"edges\"\nimage = \"e.png\"\nweight = 0.8\n\
                    [[control]]\nkind = \"pose\"\nimage = \"e.png\"\n";
        let read = |p: &str| (p != "missing.png").then(|| p.as_bytes().to_vec());
        let inputs = conditioning(text, &read);
        let roles: Vec<(&str, &str, bool)> =
            inputs.iter().map(|i| (i.role.as_str(), i.name.as_str(), i.before)).collect();
        assert_eq!(
            roles,
            [
                ("init image (inpainting, strength 1.00)", "park.png", true),
                ("mask (white is redrawn)", "m.png", false),
                ("edges control map (weight 0.80)", "e.png", false),
            ]
        );
        assert!(conditioning("not a recipe", &read).is_empty());
    }

    #[test]
    fn only_paths_inside_the_answer_are_read() {
        assert!(inside("assets/a.png") && inside("./a.png"));
        assert!(!inside("../a.png") && !inside("/etc/passwd") && !inside("a/../../b.png"));
    }
}
