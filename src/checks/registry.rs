//! Every check of the library, declared once: its name, what it measures,
//! the function that runs it, whether it needs images and whether it judges
//! a set as a whole, and its parameters with their ranges, defaults and docs.
//!
//! A check's parameters are declared once, beside the check, with
//! [`params!`]: a typed struct the check reads (`spec.params::<T>()`), and
//! each parameter's kind, range, default and doc, which this table takes
//! from it. Exercise files and pipelines are validated against both, so a
//! misspelt check or parameter is reported with its location when the
//! curriculum loads, not discovered halfway through a learner's attempt.
//!
//! Adding a check: its `params!` struct and its function in one of the check
//! files, and one row here (`image::<file::Params>("name", "summary", run)`).

use super::spec::CheckSpec;
use super::{Context, Image, Outcome, composition, consistency, documents, edits, explore, format, palette};

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

    /// This declaration under a field's name (the `params!` macro names each).
    pub const fn named(mut self, name: &'static str) -> Self {
        self.name = name;
        self
    }
}

/// A parameter field's value when exercise.toml leaves it out, from the
/// declaration's default: numbers take it, everything else starts empty
/// (`None`, `false`, no colours). A required parameter is always present by
/// the time a check runs: the curriculum refused the exercise otherwise.
pub trait ParamValue {
    fn from_default(default: Option<f64>) -> Self;
}

impl ParamValue for f64 {
    fn from_default(default: Option<f64>) -> Self {
        // A plain number field always has a default: `registry::tests` holds it.
        default.unwrap_or(f64::NAN)
    }
}
impl ParamValue for u32 {
    fn from_default(default: Option<f64>) -> Self {
        default.unwrap_or(0.0) as u32
    }
}
impl ParamValue for Option<f64> {
    fn from_default(default: Option<f64>) -> Self {
        default
    }
}
impl ParamValue for Option<u64> {
    fn from_default(default: Option<f64>) -> Self {
        default.map(|d| d as u64)
    }
}
impl ParamValue for Option<u32> {
    fn from_default(default: Option<f64>) -> Self {
        default.map(|d| d as u32)
    }
}
impl ParamValue for Option<String> {
    fn from_default(_: Option<f64>) -> Self {
        None
    }
}
impl ParamValue for bool {
    fn from_default(_: Option<f64>) -> Self {
        false
    }
}
impl ParamValue for Vec<String> {
    fn from_default(_: Option<f64>) -> Self {
        Vec::new()
    }
}
impl ParamValue for Option<[f64; 4]> {
    fn from_default(_: Option<f64>) -> Self {
        None
    }
}

/// A check's parameter struct (made by [`params!`]): its declarations.
pub trait CheckParams: serde::de::DeserializeOwned + serde::Serialize + Default {
    /// Every parameter: name, kind, range, default, doc.
    const PARAMS: &'static [ParamDef];
}

/// Whether a spec's parameters read as `T` (unknown names, wrong types).
fn parse_as<T: CheckParams>(spec: &CheckSpec) -> Result<(), String> {
    spec.params::<T>().map(drop)
}

/// `T`'s defaults as TOML (what a check reads when the exercise sets nothing).
fn defaults_of<T: CheckParams>() -> toml::Table {
    toml::Table::try_from(T::default()).unwrap_or_default()
}

/// A check's parameters, declared once beside the check: a typed struct the
/// check reads (`spec.params::<T>()`, so a misspelt name does not compile),
/// serde's shape and defaults for it, and [`CheckParams::PARAMS`] — names, kinds,
/// ranges, defaults and docs — that the registry validates exercise files
/// with and generates the reference from.
///
/// ```ignore
/// params! {
///     /// Parameters of `exposure`.
///     pub struct Exposure {
///         min_mean: f64 = num(0.0, 1.0, Some(0.15), "lowest mean luminance (0–1)"),
///         text_color: Option<String> = of(ParamKind::Color, "brand text colour"),
///     }
/// }
/// ```
macro_rules! params {
    (
        $(#[$meta:meta])*
        $vis:vis struct $name:ident { $( $field:ident : $ty:ty = $def:expr ),* $(,)? }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, ::serde::Deserialize, ::serde::Serialize)]
        #[serde(default, deny_unknown_fields)]
        $vis struct $name {
            $( pub $field: $ty ),*
        }

        impl $crate::checks::registry::CheckParams for $name {
            const PARAMS: &'static [$crate::checks::registry::ParamDef] = {
                #[allow(unused_imports)]
                use $crate::checks::registry::{ParamKind, int, num, of, req};
                &[ $( $def.named(stringify!($field)) ),* ]
            };
        }

        impl Default for $name {
            fn default() -> Self {
                Self {
                    $( $field: $crate::checks::registry::ParamValue::from_default(
                        <Self as $crate::checks::registry::CheckParams>::PARAMS
                            .iter()
                            .find(|p| p.name == stringify!($field))
                            .and_then(|p| p.default),
                    ) ),*
                }
            }
        }
    };
}
pub(crate) use params;

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
    /// A set of one subject: a set with a stranger in it must fail, so
    /// `genpath calibrate` makes mixed and one-intruder sets from the
    /// same-subject ones (for `scene_variety`, say, they would be varied
    /// sets that should pass).
    pub one_subject: bool,
    /// Reads an image encoder (the built-in one, or the user's `[checks]
    /// embedding_model`): loaded only for an exercise with such a check.
    pub uses_embedding: bool,
    /// No shipped exercise uses it: offered to curriculum authors only.
    pub library_only: bool,
    pub params: &'static [ParamDef],
    /// Reads a spec's parameters as the check's own struct: curricula and
    /// pipelines are validated with it, so a check never meets parameters
    /// it cannot read.
    pub parse: fn(&CheckSpec) -> Result<(), String>,
    /// The struct's defaults as TOML.
    pub defaults: fn() -> toml::Table,
}

impl CheckDef {
    pub fn param(&self, name: &str) -> Option<&'static ParamDef> {
        self.params.iter().find(|p| p.name == name)
    }
}

/// A number parameter within `min..=max` (the `params!` macro names it).
pub const fn num(min: f64, max: f64, default: Option<f64>, doc: &'static str) -> ParamDef {
    ParamDef { name: "", kind: ParamKind::Number { min, max }, required: false, default, doc }
}
/// A whole-number parameter within `min..=max`.
pub const fn int(min: i64, max: i64, default: Option<i64>, doc: &'static str) -> ParamDef {
    let default = match default {
        Some(d) => Some(d as f64),
        None => None,
    };
    ParamDef { name: "", kind: ParamKind::Integer { min, max }, required: false, default, doc }
}
/// A parameter the exercise must set.
pub const fn req(mut p: ParamDef) -> ParamDef {
    p.required = true;
    p
}
/// A parameter of another kind, without a default.
pub const fn of(kind: ParamKind, doc: &'static str) -> ParamDef {
    ParamDef { name: "", kind, required: false, default: None, doc }
}

/// A check over pixels, run on every image, with parameters `P`.
const fn image<P: CheckParams>(name: &'static str, summary: &'static str, run: Run) -> CheckDef {
    CheckDef {
        name,
        summary,
        run,
        needs_images: true,
        set_level: false,
        one_subject: false,
        uses_embedding: false,
        library_only: false,
        params: P::PARAMS,
        parse: parse_as::<P>,
        defaults: defaults_of::<P>,
    }
}

/// A check over a set of images as a whole.
const fn set<P: CheckParams>(name: &'static str, summary: &'static str, run: Run) -> CheckDef {
    let mut c = image::<P>(name, summary, run);
    c.set_level = true;
    c
}

/// A check of the answer itself (its recipe, document or run), no pixels.
const fn answer<P: CheckParams>(name: &'static str, summary: &'static str, run: Run) -> CheckDef {
    let mut c = image::<P>(name, summary, run);
    c.needs_images = false;
    c
}

/// A check over a set of one subject.
const fn one_subject<P: CheckParams>(name: &'static str, summary: &'static str, run: Run) -> CheckDef {
    let mut c = set::<P>(name, summary, run);
    c.one_subject = true;
    c
}

const fn with_embedding(mut c: CheckDef) -> CheckDef {
    c.uses_embedding = true;
    c
}

const fn library_only(mut c: CheckDef) -> CheckDef {
    c.library_only = true;
    c
}

/// Every check the library offers, in the order documentation lists them.
pub const CHECKS: &[CheckDef] = &[
    image::<format::Format>(
        "format",
        "exact size or aspect ratio (±0.5%), file type, colour mode, image count",
        format::format,
    ),
    image::<format::Exposure>(
        "exposure",
        "mean luminance within the brief's key, little clipping, bars left out",
        |s, i, _| format::exposure(s, i),
    ),
    image::<format::Clean>(
        "clean",
        "no under-cooked grain or blur and no over-cfg saturation: noise in the flattest tenth, a re-blur measure, saturation",
        |s, i, _| format::clean(s, i),
    ),
    image::<palette::Coverage>(
        "palette_coverage",
        "share of chromatic pixels within ΔE00 of a brand colour",
        |s, i, _| palette::coverage(s, i),
    ),
    image::<palette::Required>(
        "required_colors",
        "each brand colour present as a k-means cluster of real weight, on the image or on the subject",
        |s, i, _| palette::required(s, i),
    ),
    image::<composition::Placement>(
        "placement",
        "subject box overlaps a target region (IoU) or stands in a relation to it",
        |s, i, _| composition::placement(s, i),
    ),
    image::<composition::Thirds>("rule_of_thirds", "subject centroid near a thirds intersection", |s, i, _| {
        composition::thirds(s, i)
    }),
    image::<composition::Headroom>("headroom", "space above the subject as a share of the height", |s, i, _| {
        composition::headroom(s, i)
    }),
    image::<composition::SafeArea>(
        "safe_area",
        "a calm text area: low edge density, no subject overlap, readable text colour",
        |s, i, _| composition::safe_area(s, i),
    ),
    image::<composition::Headline>(
        "headline",
        "the exact headline set in type (a [[post]] text step) in its area: re-drawn from the record, legible, WCAG contrast",
        |s, i, _| composition::headline(s, i),
    ),
    image::<composition::SubjectPresent>(
        "subject_present",
        "a distinct, drawn subject stands out from its background (not a flat fill, halves, gradient, noise or flat shape)",
        |s, i, _| composition::subject_present(s, i),
    ),
    image::<composition::SingleSubject>(
        "single_subject",
        "the subject appears once: no twin beside it or figure stacked on it (template match of the subject's box)",
        |s, i, _| composition::single_subject(s, i),
    ),
    image::<edits::EdgeAdherence>(
        "edge_adherence",
        "Canny edges of the output follow a control edge map's lines (tolerance and orientation, above chance)",
        edits::edge_adherence,
    ),
    library_only(image::<edits::MaskAdherence>(
        "mask_adherence",
        "the region boundaries of a segmentation map (where its colour changes) appear as edges in the output",
        edits::mask_adherence,
    )),
    image::<edits::StructureKept>(
        "structure_kept",
        "Gaussian SSIM between the init image and the output",
        edits::structure_kept,
    ),
    image::<edits::StyleChanged>(
        "style_changed",
        "palette moved from the init image, and the picture redrawn rather than colour-filtered",
        edits::style_changed,
    ),
    image::<edits::OutsideMask>(
        "outside_mask_preserved",
        "SSIM outside the inpainting mask",
        edits::outside_mask_preserved,
    ),
    image::<edits::Outpainted>(
        "outpainted",
        "a key visual extended to other formats: found at its own size and kept, the margins continuing its scene",
        edits::outpainted,
    ),
    image::<edits::InsideChanged>("inside_changed", "the masked region really changed", edits::inside_changed),
    with_embedding(one_subject::<consistency::Identity>(
        "identity_consistency",
        "the same subject across a set: no odd one out by the subject's palette or colour layout (ΔE00), little drift overall, and none by the image encoder's embedding of the subject (built in, or your own)",
        consistency::identity,
    )),
    with_embedding(set::<consistency::Variety>(
        "scene_variety",
        "backgrounds differ across a set: not one place (the built-in image encoder), not one picture reframed (shared keypoints), not alike (pHash); subject movement when a brief asks for it",
        consistency::variety,
    )),
    image::<consistency::Rerun>(
        "reproducible",
        "re-generating from the recipe gives the same image",
        consistency::reproducible,
    ),
    image::<consistency::Rerun>(
        "bundle_reruns",
        "the answer packed as a hand-off bundle re-runs on a clean machine to the same images",
        consistency::bundle_reruns,
    ),
    answer::<documents::Documented>(
        "recipe_documented",
        "title and notes present, seed fixed, assets inside the workspace",
        |s, _, c| documents::documented(s, c),
    ),
    answer::<documents::DistinctSubjects>(
        "distinct_subjects",
        "a library of recipes covers different subjects",
        |s, _, c| documents::distinct_subjects(s, c),
    ),
    answer::<documents::Budget>("budget", "total cost and time within limits", |s, _, c| documents::budget(s, c)),
    answer::<documents::Manifest>(
        "manifest",
        "manifest complete with sha256 per asset; near-duplicates flagged",
        |s, _, c| documents::manifest(s, c),
    ),
    answer::<documents::Handoff>(
        "handoff",
        "the run's hand-off package is complete: every asset in every format, manifest, contact sheet, re-run folder, a one-page response with the true cost",
        |s, _, c| documents::handoff(s, c),
    ),
    answer::<documents::Brief>(
        "decision",
        "a tool decision with a correct monthly cost and written trade-offs",
        |s, _, c| documents::decision(s, c),
    ),
    answer::<documents::SelfHosting>(
        "self_hosting",
        "a self-host vs API decision argued from two verified benches, with the break-even worked out",
        |s, _, c| documents::self_hosting(s, c),
    ),
    answer::<documents::ModelChoice>(
        "model_choice",
        "the recipe's model meets the brief's text, size, price and latency constraints, and the notes say why",
        |s, _, c| documents::model_choice(s, c),
    ),
    answer::<explore::GridChoice>(
        "grid_choice",
        "steps, sampler and schedule from an X/Y grid: finished on every seed of the batch, none of the grid's finished cells much cheaper, the notes say what the grid showed",
        |s, _, c| explore::grid_choice(s, c),
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
    fn each_checks_struct_and_its_declarations_agree() {
        for c in CHECKS {
            // The struct reads an empty table: every default comes from the declarations.
            let empty = CheckSpec {
                check: c.name.into(),
                severity: super::super::Severity::Essential,
                params: Default::default(),
            };
            assert_eq!((c.parse)(&empty), Ok(()), "{}: its parameters do not read from an empty table", c.name);
            let defaults = (c.defaults)();
            for (key, value) in &defaults {
                let p = c.param(key).unwrap_or_else(|| panic!("{}.{key}: a field without a declaration", c.name));
                if let Some(x) = value.as_float() {
                    // A plain number field always has a default (NaN would fail every comparison).
                    assert!(x.is_finite(), "{}.{key}: a number field without a default must be an Option", c.name);
                }
                if let (Some(d), Some(x)) = (p.default, value.as_float().or(value.as_integer().map(|i| i as f64))) {
                    assert_eq!(x, d, "{}.{key}: the struct's default is not the declared one", c.name);
                }
            }
            for p in c.params.iter().filter(|p| p.default.is_some()) {
                assert!(defaults.contains_key(p.name), "{}.{}: its default is not in the struct", c.name, p.name);
            }
            // A misspelt parameter is refused by the struct too.
            let mut typo = empty.clone();
            typo.params.insert("min_meen".into(), toml::Value::Float(0.2));
            assert!((c.parse)(&typo).is_err(), "{}: an unknown parameter was accepted", c.name);
        }
    }

    // Adding a check, end to end: a parameter struct, a function, one row.
    // (A real check lives in its check file and its row in `CHECKS`.)
    params! {
        /// Parameters of an example check, `mean_brightness`.
        pub struct MeanBrightness {
            min_mean: f64 = num(0.0, 1.0, Some(0.3), "lowest mean luminance (0–1)"),
        }
    }

    fn mean_brightness(spec: &CheckSpec, images: &[Image], _: &Context<'_>) -> Outcome {
        let p: MeanBrightness = measured!(super::super::params(spec));
        let Some(img) = images.first().and_then(|i| i.working().ok()) else {
            return Outcome::unmeasured(spec, "no image");
        };
        let n = f64::from((img.width() * img.height()).max(1));
        let mean = img.pixels().map(|px| f64::from(px.0[1]) / 255.0).sum::<f64>() / n;
        Outcome::new(spec, mean >= p.min_mean, Some(mean), Some(p.min_mean), format!("mean {mean:.2}"))
    }

    const ROW: CheckDef = image::<MeanBrightness>("mean_brightness", "mean luminance above a floor", mean_brightness);

    #[test]
    fn a_new_check_is_its_struct_its_function_and_one_row() {
        let png = |v: u8| {
            let mut out = Vec::new();
            image::RgbImage::from_pixel(8, 8, image::Rgb([v, v, v]))
                .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                .unwrap();
            vec![Image::load("x.png", out)]
        };
        let d =
            super::super::Deliverable { file: "r.toml".into(), count: 1, width: None, height: None, description: None };
        let ctx = Context::standalone(&d);
        let mut spec = CheckSpec {
            check: ROW.name.into(),
            severity: super::super::Severity::Essential,
            params: Default::default(),
        };
        // The default comes from the declaration; the docs show it.
        assert!(!(ROW.run)(&spec, &png(40), &ctx).passed);
        let bright = (ROW.run)(&spec, &png(200), &ctx);
        assert!(bright.passed, "{bright:?}");
        assert_eq!(
            ROW.param("min_mean").map(ParamDef::described).as_deref(),
            Some("lowest mean luminance (0–1) (default 0.30)")
        );
        // An exercise's value is read typed; a misspelt one is refused where specs are validated.
        spec.params.insert("min_mean".into(), toml::Value::Float(0.9));
        assert!(!(ROW.run)(&spec, &png(200), &ctx).passed);
        spec.params.insert("min_mena".into(), toml::Value::Float(0.9));
        let err = (ROW.parse)(&spec).unwrap_err();
        assert!(err.contains("unknown field `min_mena`"), "{err}");
    }
}
