//! The names and parameters of every check in the library.
//!
//! Exercise files are validated against this table, so a misspelt check or
//! parameter is reported with its location when the curriculum loads, not
//! discovered halfway through a learner's attempt. Thresholds live in
//! exercise.toml; the defaults here are documented starting points.

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
    pub doc: &'static str,
}

#[derive(Debug, Clone, Copy)]
pub struct CheckDef {
    pub name: &'static str,
    pub summary: &'static str,
    pub params: &'static [ParamDef],
}

impl CheckDef {
    pub fn param(&self, name: &str) -> Option<&'static ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
}

const fn num(name: &'static str, min: f64, max: f64, doc: &'static str) -> ParamDef {
    ParamDef { name, kind: ParamKind::Number { min, max }, required: false, doc }
}
const fn int(name: &'static str, min: i64, max: i64, doc: &'static str) -> ParamDef {
    ParamDef { name, kind: ParamKind::Integer { min, max }, required: false, doc }
}
const fn req(mut p: ParamDef) -> ParamDef {
    p.required = true;
    p
}
const fn of(name: &'static str, kind: ParamKind, doc: &'static str) -> ParamDef {
    ParamDef { name, kind, required: false, doc }
}

/// Every check the library offers, in the order documentation lists them.
pub const CHECKS: &[CheckDef] = &[
    CheckDef {
        name: "format",
        summary: "exact size or aspect ratio (±0.5%), file type, colour mode, image count",
        params: &[
            int("width", 1, 16384, "required width in pixels (default: the deliverable's)"),
            int("height", 1, 16384, "required height in pixels (default: the deliverable's)"),
            of("aspect", ParamKind::Text, "required aspect ratio such as \"4:5\" instead of an exact size"),
            of("file_type", ParamKind::Choice(&["png", "jpeg", "webp"]), "required file type"),
            of("color_mode", ParamKind::Choice(&["rgb", "rgba", "any"]), "required colour mode"),
        ],
    },
    CheckDef {
        name: "exposure",
        summary: "mean luminance within a range and few clipped pixels",
        params: &[
            num("min_mean", 0.0, 1.0, "lowest mean luminance (0–1), default 0.15"),
            num("max_mean", 0.0, 1.0, "highest mean luminance (0–1), default 0.85"),
            num("max_clipped", 0.0, 1.0, "largest share of pixels at pure black or white, default 0.02"),
        ],
    },
    CheckDef {
        name: "clean",
        summary: "no under-cooked noise or blur and no over-cfg saturation: Laplacian variance, noise estimate, saturation",
        params: &[
            num("min_sharpness", 0.0, 1e6, "lowest variance of the Laplacian at working size"),
            num("max_noise", 0.0, 255.0, "highest noise estimate (σ in 8-bit levels), default 6"),
            num("max_saturated", 0.0, 1.0, "largest share of pixels at full saturation, default 0.25"),
        ],
    },
    CheckDef {
        name: "palette_coverage",
        summary: "share of chromatic pixels within ΔE00 of a brand colour",
        params: &[
            req(of("colors", ParamKind::Colors, "the brand colours")),
            num("min_coverage", 0.0, 1.0, "lowest share of chromatic pixels near a brand colour, default 0.75"),
            num("max_delta_e", 0.0, 100.0, "CIEDE2000 distance that counts as near, default 10"),
            num("min_chroma", 0.0, 150.0, "chroma below which a pixel counts as neutral, default 10"),
        ],
    },
    CheckDef {
        name: "required_colors",
        summary: "each brand colour present as a k-means cluster of real weight",
        params: &[
            req(of("colors", ParamKind::Colors, "colours that must each appear")),
            num("min_share", 0.0, 1.0, "lowest share of the image a matching cluster must cover, default 0.03"),
            num("max_delta_e", 0.0, 100.0, "CIEDE2000 distance for a cluster to match, default 6"),
        ],
    },
    CheckDef {
        name: "placement",
        summary: "subject box overlaps a target region (IoU) or stands in a relation to it",
        params: &[
            req(of("region", ParamKind::Region, "target box [x, y, w, h] in fractions")),
            num("min_iou", 0.0, 1.0, "lowest intersection over union, default 0.5"),
            of(
                "relation",
                ParamKind::Choice(&["inside", "left_of", "right_of", "above", "below"]),
                "GenEval relation to the region instead of IoU",
            ),
        ],
    },
    CheckDef {
        name: "rule_of_thirds",
        summary: "subject centroid near a thirds intersection",
        params: &[num(
            "max_distance",
            0.0,
            1.0,
            "largest distance to a thirds point as a share of the diagonal, default 0.08",
        )],
    },
    CheckDef {
        name: "headroom",
        summary: "space above the subject as a share of the height",
        params: &[
            num("min", 0.0, 1.0, "least headroom, default 0.05"),
            num("max", 0.0, 1.0, "most headroom, default 0.20"),
        ],
    },
    CheckDef {
        name: "safe_area",
        summary: "a calm text area: low edge density, no subject overlap, readable text colour",
        params: &[
            req(of("region", ParamKind::Region, "the text area [x, y, w, h] in fractions")),
            num("max_edge_density", 0.0, 1.0, "largest share of edge pixels in the area, default 0.03"),
            num("max_subject_overlap", 0.0, 1.0, "largest share of the area covered by the subject box, default 0.05"),
            of("text_color", ParamKind::Color, "brand text colour whose WCAG contrast is reported"),
            num("min_contrast", 1.0, 21.0, "lowest WCAG contrast of the text colour (reported only when absent)"),
        ],
    },
    CheckDef {
        name: "edge_adherence",
        summary: "Canny edges of the output match a control edge map (F1 with tolerance)",
        params: &[
            req(of("control", ParamKind::Asset, "the control edge map")),
            num("min_f1", 0.0, 1.0, "lowest tolerant F1, default 0.50"),
            num("strong_f1", 0.0, 1.0, "F1 reported as strong adherence, default 0.65"),
        ],
    },
    CheckDef {
        name: "mask_adherence",
        summary: "region boundaries of a control mask appear in the output, regions uniform",
        params: &[
            req(of("control", ParamKind::Asset, "the control region map")),
            num("min_boundary_f1", 0.0, 1.0, "lowest boundary F1, default 0.4"),
        ],
    },
    CheckDef {
        name: "structure_kept",
        summary: "Gaussian SSIM between the init image and the output",
        params: &[
            req(of("init", ParamKind::Asset, "the init image")),
            num("min_ssim", 0.0, 1.0, "lowest SSIM, default 0.7"),
        ],
    },
    CheckDef {
        name: "style_changed",
        summary: "palette distance between the init image and the output",
        params: &[
            req(of("init", ParamKind::Asset, "the init image")),
            num("min_delta_e", 0.0, 100.0, "lowest palette ΔE00, default 8"),
        ],
    },
    CheckDef {
        name: "outside_mask_preserved",
        summary: "SSIM outside the inpainting mask",
        params: &[
            req(of("init", ParamKind::Asset, "the init image")),
            req(of("mask", ParamKind::Asset, "the mask (white = repainted)")),
            num("min_ssim", 0.0, 1.0, "lowest SSIM outside the mask, default 0.98"),
            num("max_delta_e", 0.0, 100.0, "largest mean ΔE00 outside the mask, default 2"),
        ],
    },
    CheckDef {
        name: "inside_changed",
        summary: "the masked region really changed",
        params: &[
            req(of("init", ParamKind::Asset, "the init image")),
            req(of("mask", ParamKind::Asset, "the mask (white = repainted)")),
            num("min_delta_e", 0.0, 100.0, "lowest mean ΔE00 inside the mask, default 10"),
        ],
    },
    CheckDef {
        name: "identity_consistency",
        summary: "the same subject across a set: palette ΔE00 and HSV histogram on the subject region",
        params: &[
            num("max_palette_delta_e", 0.0, 100.0, "largest median pairwise palette ΔE00, default 11"),
            num(
                "min_histogram_intersection",
                0.0,
                1.0,
                "lowest intersection with the set's central image, default 0.25",
            ),
            num(
                "review_histogram_intersection",
                0.0,
                1.0,
                "below this, fail; between it and the minimum, needs review; default 0.20",
            ),
            of("keypoints", ParamKind::Bool, "add ORB keypoint matching (RANSAC inliers) for rigid products"),
            of("keypoints", ParamKind::Bool, "add ORB keypoint matching for rigid products"),
        ],
    },
    CheckDef {
        name: "scene_variety",
        summary: "backgrounds differ across a set (pHash) and the subject moves or scales",
        params: &[
            int("min_background_phash_distance", 0, 64, "lowest median pairwise background pHash distance, default 16"),
            num("min_position_spread", 0.0, 1.0, "lowest spread of subject centres and sizes, default 0"),
        ],
    },
    CheckDef {
        name: "reproducible",
        summary: "re-generating from the recipe gives the same image",
        params: &[
            num("min_ssim", 0.0, 1.0, "SSIM that counts as reproduced on nondeterministic backends, default 0.95"),
            int("max_phash_distance", 0, 64, "pHash distance that counts as reproduced, default 4"),
        ],
    },
    CheckDef {
        name: "bundle_reruns",
        summary: "the answer packed as a hand-off bundle re-runs on a clean machine to the same images",
        params: &[
            num("min_ssim", 0.0, 1.0, "SSIM that counts as reproduced on nondeterministic backends, default 0.95"),
            int("max_phash_distance", 0, 64, "pHash distance that counts as reproduced, default 4"),
        ],
    },
    CheckDef {
        name: "recipe_documented",
        summary: "title and notes present, seed fixed, assets inside the workspace",
        params: &[int("min_notes_words", 0, 1000, "fewest words in notes, default 5")],
    },
    CheckDef {
        name: "distinct_subjects",
        summary: "a library of recipes covers different subjects",
        params: &[int("min_subjects", 1, 100, "fewest different subjects, default 3")],
    },
    CheckDef {
        name: "budget",
        summary: "total cost and time within limits",
        params: &[
            num("max_cost", 0.0, 1e9, "most money spent, in the price table's currency"),
            num("max_seconds", 0.0, 1e9, "most wall time"),
        ],
    },
    CheckDef {
        name: "manifest",
        summary: "manifest complete with sha256 per asset; near-duplicates flagged",
        params: &[
            int("min_assets", 0, 1_000_000, "fewest assets the manifest must list"),
            int(
                "max_duplicate_phash",
                0,
                64,
                "pHash distance at or below which two assets are near-duplicates, default 4",
            ),
        ],
    },
    CheckDef {
        name: "decision",
        summary: "a tool decision with a correct monthly cost and written trade-offs",
        params: &[
            num("cost_tolerance", 0.0, 1.0, "relative error allowed in the computed monthly cost, default 0.02"),
            int("min_tradeoff_words", 0, 10_000, "fewest words of trade-offs, default 40"),
            int("volume", 0, 1_000_000_000, "the monthly image volume the brief states"),
            of("quality", ParamKind::Text, "the quality tier the brief asks for"),
            of("require_private", ParamKind::Bool, "the brief forbids sending images to a third party"),
            of("require_cheapest", ParamKind::Bool, "the choice must be the cheapest backend that meets the brief"),
        ],
    },
];

/// The definition of a check by name.
pub fn find(name: &str) -> Option<&'static CheckDef> {
    CHECKS.iter().find(|c| c.name == name)
}

/// All check names, for "did you mean" style messages.
pub fn names() -> impl Iterator<Item = &'static str> {
    CHECKS.iter().map(|c| c.name)
}
