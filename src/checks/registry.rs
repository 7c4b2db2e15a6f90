//! Every check of the library, declared once: its name, what it measures,
//! the function that runs it, whether it needs images and whether it judges
//! a set as a whole, and its parameters with their ranges, defaults and docs.
//!
//! Exercise files are validated against this table, so a misspelt check or
//! parameter is reported with its location when the curriculum loads, not
//! discovered halfway through a learner's attempt. A check reads a
//! parameter's default from here ([`super::CheckSpec::num`]), so a default is
//! written once. Adding a check: its function in one of the check files, and
//! one entry here.

use super::spec::CheckSpec;
use super::{Context, Image, Outcome, composition, consistency, documents, edits, format, palette};

/// What a check parameter holds; used to validate exercise.toml.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ParamKind {
    /// A number within an inclusive range.
    Number { min: f64, max: f64 },
    /// A whole number within an inclusive range.
    Integer { min: i64, max: i64 },
    /// Free text.
    Text,
    /// `true` / `false`.
    Bool,
    /// A hex colour such as `"#FF5A36"`.
    Color,
    /// A non-empty list of hex colours.
    Colors,
    /// A path to a file inside the exercise folder.
    Asset,
    /// A box `[x, y, w, h]` in fractions of the image (0–1).
    Region,
    /// One of a fixed set of words.
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, Copy)]
pub struct ParamDef {
    pub name: &'static str,
    pub kind: ParamKind,
    pub required: bool,
    /// The value used when exercise.toml does not set it (numbers only).
    pub default: Option<f64>,
    pub doc: &'static str,
}

impl ParamDef {
    /// The doc line with the default, as the documentation shows it.
    pub fn described(&self) -> String {
        match self.default {
            Some(d) => format!("{} (default {})", self.doc, crate::present::number(d)),
            None => self.doc.to_string(),
        }
    }
}

/// How a check is run: its spec, the images, everything else it may need.
pub type Run = fn(&CheckSpec, &[Image], &Context<'_>) -> Outcome;

#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    pub name: &'static str,
    pub summary: &'static str,
    pub run: Run,
    /// Measures pixels: without images it is "not measured", never passed.
    pub needs_images: bool,
    /// Judges a set as a whole (a pipeline runs it once over every asset).
    pub set_level: bool,
    /// No shipped exercise uses it: offered to curriculum authors only.
    pub library_only: bool,
    pub params: &'static [ParamDef],
}

impl CheckDef {
    pub fn param(&self, name: &str) -> Option<&'static ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
}

const fn num(name: &'static str, min: f64, max: f64, default: Option<f64>, doc: &'static str) -> ParamDef {
    ParamDef { name, kind: ParamKind::Number { min, max }, required: false, default, doc }
}
const fn int(name: &'static str, min: i64, max: i64, default: Option<i64>, doc: &'static str) -> ParamDef {
    let default = match default {
        Some(d) => Some(d as f64),
        None => None,
    };
    ParamDef { name, kind: ParamKind::Integer { min, max }, required: false, default, doc }
}
const fn req(mut p: ParamDef) -> ParamDef {
    p.required = true;
    p
}
const fn of(name: &'static str, kind: ParamKind, doc: &'static str) -> ParamDef {
    ParamDef { name, kind, required: false, default: None, doc }
}

/// A check over pixels, run on every image.
const fn image(name: &'static str, summary: &'static str, run: Run, params: &'static [ParamDef]) -> CheckDef {
    CheckDef { name, summary, run, needs_images: true, set_level: false, library_only: false, params }
}

/// A check over a set of images as a whole.
const fn set(name: &'static str, summary: &'static str, run: Run, params: &'static [ParamDef]) -> CheckDef {
    CheckDef { name, summary, run, needs_images: true, set_level: true, library_only: false, params }
}

/// A check of the answer itself (its recipe, document or run), no pixels.
const fn answer(name: &'static str, summary: &'static str, run: Run, params: &'static [ParamDef]) -> CheckDef {
    CheckDef { name, summary, run, needs_images: false, set_level: false, library_only: false, params }
}

const fn library_only(mut c: CheckDef) -> CheckDef {
    c.library_only = true;
    c
}

/// Every check the library offers, in the order documentation lists them.
pub const CHECKS: &[CheckDef] = &[
    image(
        "format",
        "exact size or aspect ratio (±0.5%), file type, colour mode, image count",
        format::format,
        &[
            int("width", 1, 16384, None, "required width in pixels (default: the deliverable's)"),
            int("height", 1, 16384, None, "required height in pixels (default: the deliverable's)"),
            of("aspect", ParamKind::Text, "required aspect ratio such as \"4:5\" instead of an exact size"),
            of("file_type", ParamKind::Choice(&["png", "jpeg", "webp"]), "required file type"),
            of("color_mode", ParamKind::Choice(&["rgb", "rgba", "any"]), "required colour mode"),
        ],
    ),
    image(
        "exposure",
        "mean luminance within a range and few clipped pixels",
        |s, i, _| format::exposure(s, i),
        &[
            num("min_mean", 0.0, 1.0, Some(0.15), "lowest mean luminance (0–1)"),
            num("max_mean", 0.0, 1.0, Some(0.85), "highest mean luminance (0–1)"),
            num("max_clipped", 0.0, 1.0, Some(0.02), "largest share of pixels at pure black or white"),
        ],
    ),
    image(
        "clean",
        "no under-cooked noise or blur and no over-cfg saturation: Laplacian variance, noise estimate, saturation",
        |s, i, _| format::clean(s, i),
        &[
            num("min_sharpness", 0.0, 1e6, None, "lowest variance of the Laplacian at working size"),
            num("max_noise", 0.0, 255.0, Some(6.0), "highest noise estimate (σ in 8-bit levels)"),
            num("max_saturated", 0.0, 1.0, Some(0.25), "largest share of pixels at full saturation"),
        ],
    ),
    image(
        "palette_coverage",
        "share of chromatic pixels within ΔE00 of a brand colour",
        |s, i, _| palette::coverage(s, i),
        &[
            req(of("colors", ParamKind::Colors, "the brand colours")),
            num("min_coverage", 0.0, 1.0, Some(0.75), "lowest share of chromatic pixels near a brand colour"),
            num("max_delta_e", 0.0, 100.0, Some(10.0), "CIEDE2000 distance that counts as near"),
            num("min_chroma", 0.0, 150.0, Some(10.0), "chroma below which a pixel counts as neutral"),
        ],
    ),
    image(
        "required_colors",
        "each brand colour present as a k-means cluster of real weight",
        |s, i, _| palette::required(s, i),
        &[
            req(of("colors", ParamKind::Colors, "colours that must each appear")),
            num("min_share", 0.0, 1.0, Some(0.03), "lowest share of the image a matching cluster must cover"),
            num("max_delta_e", 0.0, 100.0, Some(6.0), "CIEDE2000 distance for a cluster to match"),
        ],
    ),
    image(
        "placement",
        "subject box overlaps a target region (IoU) or stands in a relation to it",
        |s, i, _| composition::placement(s, i),
        &[
            req(of("region", ParamKind::Region, "target box [x, y, w, h] in fractions")),
            num("min_iou", 0.0, 1.0, Some(0.5), "lowest intersection over union"),
            of(
                "relation",
                ParamKind::Choice(&["inside", "left_of", "right_of", "above", "below"]),
                "GenEval relation to the region instead of IoU",
            ),
        ],
    ),
    image(
        "rule_of_thirds",
        "subject centroid near a thirds intersection",
        |s, i, _| composition::thirds(s, i),
        &[num("max_distance", 0.0, 1.0, Some(0.08), "largest distance to a thirds point as a share of the diagonal")],
    ),
    image(
        "headroom",
        "space above the subject as a share of the height",
        |s, i, _| composition::headroom(s, i),
        &[num("min", 0.0, 1.0, Some(0.05), "least headroom"), num("max", 0.0, 1.0, Some(0.20), "most headroom")],
    ),
    image(
        "safe_area",
        "a calm text area: low edge density, no subject overlap, readable text colour",
        |s, i, _| composition::safe_area(s, i),
        &[
            req(of("region", ParamKind::Region, "the text area [x, y, w, h] in fractions")),
            num("max_edge_density", 0.0, 1.0, Some(0.03), "largest share of edge pixels in the area"),
            num("max_subject_overlap", 0.0, 1.0, Some(0.05), "largest share of the area covered by the subject box"),
            of("text_color", ParamKind::Color, "brand text colour whose WCAG contrast is reported"),
            num("min_contrast", 1.0, 21.0, None, "lowest WCAG contrast of the text colour (reported only when absent)"),
        ],
    ),
    image(
        "subject_present",
        "a distinct subject stands out from its background (not a flat fill, halves, gradient or noise)",
        |s, i, _| composition::subject_present(s, i),
        &[
            num("min_confidence", 0.0, 1.0, Some(0.15), "lowest subject confidence (flat, halves, noise: 0)"),
            num("min_area", 0.0, 1.0, Some(0.01), "smallest share of the image the subject's box covers"),
        ],
    ),
    image(
        "edge_adherence",
        "Canny edges of the output match a control edge map (F1 with tolerance)",
        edits::edge_adherence,
        &[
            req(of("control", ParamKind::Asset, "the control edge map")),
            num(
                "min_above_chance",
                0.0,
                1.0,
                Some(0.15),
                "lowest edge agreement above chance (F1 rescaled: random = 0)",
            ),
            num("strong_above_chance", 0.0, 1.0, Some(0.35), "agreement above chance reported as strong"),
            num("max_map_correlation", 0.0, 1.0, Some(0.9), "largest |correlation| with the map (the map itself is 1)"),
        ],
    ),
    library_only(image(
        "mask_adherence",
        "region boundaries of a control mask appear in the output, regions uniform",
        edits::mask_adherence,
        &[
            req(of("control", ParamKind::Asset, "the control region map")),
            num("min_boundary_f1", 0.0, 1.0, Some(0.4), "lowest boundary F1"),
        ],
    )),
    image(
        "structure_kept",
        "Gaussian SSIM between the init image and the output",
        edits::structure_kept,
        &[req(of("init", ParamKind::Asset, "the init image")), num("min_ssim", 0.0, 1.0, Some(0.7), "lowest SSIM")],
    ),
    image(
        "style_changed",
        "palette distance between the init image and the output",
        edits::style_changed,
        &[
            req(of("init", ParamKind::Asset, "the init image")),
            num("min_delta_e", 0.0, 100.0, Some(8.0), "lowest palette ΔE00"),
        ],
    ),
    image(
        "outside_mask_preserved",
        "SSIM outside the inpainting mask",
        edits::outside_mask_preserved,
        &[
            req(of("init", ParamKind::Asset, "the init image")),
            req(of("mask", ParamKind::Asset, "the mask (white = repainted)")),
            num("min_ssim", 0.0, 1.0, Some(0.98), "lowest SSIM outside the mask"),
            num("max_delta_e", 0.0, 100.0, Some(2.0), "largest mean ΔE00 outside the mask"),
            num("max_patch_delta_e", 0.0, 100.0, Some(8.0), "largest mean ΔE00 of a 16×16 block outside the mask"),
        ],
    ),
    image(
        "inside_changed",
        "the masked region really changed",
        edits::inside_changed,
        &[
            req(of("init", ParamKind::Asset, "the init image")),
            req(of("mask", ParamKind::Asset, "the mask (white = repainted)")),
            num("min_delta_e", 0.0, 100.0, Some(10.0), "lowest mean ΔE00 inside the mask"),
        ],
    ),
    set(
        "identity_consistency",
        "the same subject across a set: palette ΔE00 and HSV histogram on the subject region",
        |s, i, _| consistency::identity(s, i),
        &[
            num("max_palette_delta_e", 0.0, 100.0, Some(11.0), "largest median pairwise palette ΔE00"),
            num("min_histogram_intersection", 0.0, 1.0, Some(0.25), "lowest intersection with the set's central image"),
            num(
                "review_histogram_intersection",
                0.0,
                1.0,
                Some(0.20),
                "below this, fail; between it and the minimum, needs review",
            ),
            of("keypoints", ParamKind::Bool, "add ORB keypoint matching (RANSAC inliers) for rigid products"),
        ],
    ),
    set(
        "scene_variety",
        "backgrounds differ across a set (pHash) and the subject moves or scales",
        |s, i, _| consistency::variety(s, i),
        &[
            int("min_background_phash_distance", 0, 64, Some(16), "lowest median pairwise background pHash distance"),
            num("min_position_spread", 0.0, 1.0, Some(0.0), "lowest spread of subject centres and sizes"),
        ],
    ),
    image(
        "reproducible",
        "re-generating from the recipe gives the same image",
        consistency::reproducible,
        &[
            num("min_ssim", 0.0, 1.0, Some(0.95), "SSIM that counts as reproduced on nondeterministic backends"),
            int("max_phash_distance", 0, 64, Some(4), "pHash distance that counts as reproduced"),
        ],
    ),
    image(
        "bundle_reruns",
        "the answer packed as a hand-off bundle re-runs on a clean machine to the same images",
        consistency::bundle_reruns,
        &[
            num("min_ssim", 0.0, 1.0, Some(0.95), "SSIM that counts as reproduced on nondeterministic backends"),
            int("max_phash_distance", 0, 64, Some(4), "pHash distance that counts as reproduced"),
        ],
    ),
    answer(
        "recipe_documented",
        "title and notes present, seed fixed, assets inside the workspace",
        |s, _, c| documents::documented(s, c),
        &[int("min_notes_words", 0, 1000, Some(5), "fewest words in notes")],
    ),
    answer(
        "distinct_subjects",
        "a library of recipes covers different subjects",
        |s, _, c| documents::distinct_subjects(s, c),
        &[int("min_subjects", 1, 100, Some(3), "fewest different subjects")],
    ),
    answer(
        "budget",
        "total cost and time within limits",
        |s, _, c| documents::budget(s, c),
        &[
            num("max_cost", 0.0, 1e9, None, "most money spent, in the price table's currency"),
            num("max_seconds", 0.0, 1e9, None, "most wall time"),
        ],
    ),
    answer(
        "manifest",
        "manifest complete with sha256 per asset; near-duplicates flagged",
        |s, _, c| documents::manifest(s, c),
        &[
            int("min_assets", 0, 1_000_000, Some(1), "fewest assets the manifest must list"),
            int(
                "max_duplicate_phash",
                0,
                64,
                Some(4),
                "pHash distance at or below which two same-size assets are near-duplicates (whole image and subject box both)",
            ),
        ],
    ),
    answer(
        "decision",
        "a tool decision with a correct monthly cost and written trade-offs",
        |s, _, c| documents::decision(s, c),
        &[
            num("cost_tolerance", 0.0, 1.0, Some(0.02), "relative error allowed in the computed monthly cost"),
            int("min_tradeoff_words", 0, 10_000, Some(40), "fewest words of trade-offs"),
            int("volume", 0, 1_000_000_000, None, "the monthly image volume the brief states"),
            of("quality", ParamKind::Text, "the quality tier the brief asks for"),
            of("require_private", ParamKind::Bool, "the brief forbids sending images to a third party"),
            of("require_cheapest", ParamKind::Bool, "the choice must be the cheapest backend that meets the brief"),
        ],
    ),
];

/// The definition of a check by name.
pub fn find(name: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|c| c.name == name)
}

/// All check names, for "did you mean" style messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    CHECKS.iter().map(|c| c.name)
}

/// The library's reference as Markdown: every check, what it measures,
/// whether it needs images or judges a set, and each parameter with its
/// range and default. `genpath dev checks` prints it; `docs/checks.md`
/// holds it after its calibration notes, and a test keeps the two equal.
pub fn markdown() -> String {
    let mut out = String::from("## Reference (generated by `genpath dev checks`; do not edit by hand)\n");
    for c in CHECKS {
        let scope = match (c.needs_images, c.set_level) {
            (false, _) => "the answer itself",
            (true, true) => "a set as a whole",
            (true, false) => "each image",
        };
        let offered = if c.library_only { "; library only (no shipped exercise uses it)" } else { "" };
        out.push_str(&format!("\n### `{}`\n\n{} — judges {scope}{offered}.\n", c.name, c.summary));
        if c.params.is_empty() {
            continue;
        }
        out.push_str("\n| parameter | kind | default | meaning |\n|---|---|---|---|\n");
        for p in c.params {
            let kind = match p.kind {
                ParamKind::Number { min, max } => {
                    format!("number {}–{}", crate::present::number(min), crate::present::number(max))
                }
                ParamKind::Integer { min, max } => format!("integer {min}–{max}"),
                ParamKind::Text => "text".into(),
                ParamKind::Bool => "true/false".into(),
                ParamKind::Color => "hex colour".into(),
                ParamKind::Colors => "hex colours".into(),
                ParamKind::Asset => "asset file".into(),
                ParamKind::Region => "box [x, y, w, h]".into(),
                ParamKind::Choice(words) => words.join(" \\| "),
            };
            let default = match (p.required, p.default) {
                (true, _) => "required".to_string(),
                (false, Some(d)) => crate::present::number(d),
                (false, None) => "—".to_string(),
            };
            out.push_str(&format!("| `{}` | {kind} | {default} | {} |\n", p.name, p.doc.replace('|', "\\|")));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_parameters_too() {
        let mut names: Vec<&str> = names().collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len(), "a check is declared twice");
        for c in CHECKS {
            let mut params: Vec<&str> = c.params.iter().map(|p| p.name).collect();
            params.sort_unstable();
            params.dedup();
            assert_eq!(params.len(), c.params.len(), "{}: a parameter is declared twice", c.name);
            for p in c.params {
                if let (Some(d), ParamKind::Number { min, max }) = (p.default, p.kind) {
                    assert!((min..=max).contains(&d), "{}.{}: default {d} outside {min}–{max}", c.name, p.name);
                }
                if let (Some(d), ParamKind::Integer { min, max }) = (p.default, p.kind) {
                    assert!(
                        (min as f64..=max as f64).contains(&d),
                        "{}.{}: default {d} outside its range",
                        c.name,
                        p.name
                    );
                }
                assert!(
                    p.default.is_none() || !p.doc.contains("default"),
                    "{}.{}: the default belongs in `default`, not the doc",
                    c.name,
                    p.name
                );
            }
        }
    }

    #[test]
    fn every_parameter_a_check_reads_with_a_default_has_one() {
        // `spec.num("x")` reads x's default from this table: each name read so
        // must be a parameter with a default of a check.
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/checks");
        for entry in std::fs::read_dir(dir).unwrap().flatten().filter(|e| !e.path().ends_with("registry.rs")) {
            let text = std::fs::read_to_string(entry.path()).unwrap();
            for (i, _) in text.match_indices(".num(\"") {
                let name: String = text[i + 6..].chars().take_while(|c| *c != '"').collect();
                let has = CHECKS.iter().flat_map(|c| c.params).any(|p| p.name == name && p.default.is_some());
                assert!(
                    has,
                    "{}: `{name}` is read with spec.num but no check gives it a default",
                    entry.path().display()
                );
            }
        }
    }
}
