//! `[[post]]` steps: what a designer does to a generated picture before it
//! ships — crop it to a format around the subject, scale it, pull drifted
//! colours back onto the brand's exact values, set the headline in type.
//!
//! Steps run in file order on every asset right after it is generated; the
//! pipeline's checks then judge the final picture, because that is what
//! ships. Each step is plain arithmetic on pixels (no randomness, no
//! threads), so the same picture and steps give the same bytes. What every
//! step did is written into the PNG as a `genpath-post` text chunk
//! ([`POST_CHUNK`]) and copied into the manifest from there.

use image::RgbImage;
use serde::{Deserialize, Serialize};

use crate::checks::Image;
use crate::imaging::{analysis, color, font};

pub use crate::recipe::png::POST_CHUNK;
/// The largest side a step may produce (an upscale is memory: 4096² RGB is 48 MiB).
pub const MAX_SIDE: u32 = 4096;
/// The longest headline a text step sets (a poster line, not a paragraph).
pub const MAX_TEXT: usize = 48;
/// The most colours one recolour step pulls onto.
pub const MAX_COLORS: usize = 16;
/// The most post steps per pipeline.
pub const MAX_STEPS: usize = 16;
/// The smallest font scale that reads as a headline (a 5×7 font at 2 is 14 px tall).
pub const MIN_SCALE: u32 = 2;

const NO_SUBJECT_FIT: &str = "the subject does not fit in the crop";
const CONTRAST_TOO_LOW: &str = "the headline would not be readable";
const AREA_BUSY: &str = "the text area is busy";
const AREA_ON_SUBJECT: &str = "the text area covers the subject";

/// One post step, as `[[post]] step = "…"` names it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "lowercase", deny_unknown_fields)]
pub enum Step {
    /// Cut a format out of the picture around a focal point.
    Crop(Crop),
    /// Scale the picture by a factor or to a size (`upscale` reads the same).
    #[serde(alias = "upscale")]
    Resize(Resize),
    /// Pull pixels near a brand colour onto its exact value.
    Recolor(Recolor),
    /// Set a line of type in a text area.
    Text(Text),
}

/// Where a crop centres.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Focus {
    /// `"subject"` (the subject finder's box, kept whole) or `"center"`.
    Named(FocusWord),
    /// `[x, y]` in fractions of the picture.
    Point([f64; 2]),
}

crate::named_enum! {
    /// A named focal point.
    pub enum FocusWord ("focus") {
        Subject = "subject",
        Center = "center",
    }
}

const FOCUS_IS: &str = "crop focus is \"subject\", \"center\" or [x, y] in fractions of the picture";

impl<'de> Deserialize<'de> for Focus {
    /// Read by hand so a wrong value says what `focus` takes (serde's
    /// untagged error names no choice).
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let number = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match toml::Value::deserialize(d)? {
            toml::Value::String(s) => s.parse().map(Focus::Named).map_err(|_| D::Error::custom(FOCUS_IS)),
            toml::Value::Array(a) if a.len() == 2 => match (number(&a[0]), number(&a[1])) {
                (Some(x), Some(y)) => Ok(Focus::Point([x, y])),
                _ => Err(D::Error::custom(FOCUS_IS)),
            },
            _ => Err(D::Error::custom(FOCUS_IS)),
        }
    }
}

impl Default for Focus {
    fn default() -> Self {
        Focus::Named(FocusWord::Subject)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Crop {
    /// An exact window in pixels (both, or neither with `aspect`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// The largest window of this aspect, e.g. `"4:5"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aspect: Option<String>,
    #[serde(default)]
    pub focus: Focus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Resize {
    /// Multiply both sides by this (0.1–4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale: Option<f64>,
    /// A target size; one side alone keeps the aspect.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recolor {
    /// Brand colours as `#RRGGBB`.
    pub colors: Vec<String>,
    /// Pixels within this CIEDE2000 distance of a brand colour take its exact value.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
}

fn default_tolerance() -> f64 {
    10.0
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// The line to set; `{variable}` takes the job's matrix value.
    pub text: String,
    /// The text area `[x, y, w, h]` in fractions of the picture.
    pub region: [f64; 4],
    /// The ink as `#RRGGBB`.
    #[serde(default = "default_ink")]
    pub color: String,
    /// Lowest WCAG contrast of the ink against the area (AA for text: 4.5).
    #[serde(default = "default_contrast")]
    pub min_contrast: f64,
    /// Largest Canny edge density of the area before lettering (`safe_area`'s default).
    #[serde(default = "default_edges")]
    pub max_edge_density: f64,
    /// Largest share of the area under the subject's box.
    #[serde(default = "default_overlap")]
    pub max_subject_overlap: f64,
}

fn default_ink() -> String {
    "#1A1A1A".into()
}
fn default_contrast() -> f64 {
    4.5
}
fn default_edges() -> f64 {
    0.03
}
fn default_overlap() -> f64 {
    0.05
}

/// What one step did to one asset: the step as written (text filled in) and its result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Applied {
    #[serde(flatten)]
    pub step: Step,
    pub result: serde_json::Value,
}

fn parse_aspect(s: &str) -> Option<(f64, f64)> {
    let (a, b) = s.split_once(':')?;
    let (a, b): (f64, f64) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a > 0.0 && b > 0.0 && a.is_finite() && b.is_finite() && a / b <= 20.0 && b / a <= 20.0).then_some((a, b))
}

fn in_unit(v: f64) -> bool {
    (0.0..=1.0).contains(&v)
}

impl Step {
    /// Problems with the step's parameters alone (before any picture), as
    /// messages; the caller locates them at the `[[post]]` table.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        match self {
            Step::Crop(c) => {
                match (c.width, c.height, &c.aspect) {
                    (Some(w), Some(h), None) if (1..=MAX_SIDE).contains(&w) && (1..=MAX_SIDE).contains(&h) => {}
                    (Some(_), Some(_), None) => out.push(format!("crop width and height must be 1–{MAX_SIDE}")),
                    (None, None, Some(a)) if parse_aspect(a).is_some() => {}
                    (None, None, Some(a)) => out.push(format!("crop aspect {a:?} is not like \"4:5\"")),
                    _ => out.push("crop takes `width` and `height`, or `aspect` (e.g. \"16:9\")".into()),
                }
                if let Focus::Point([x, y]) = c.focus
                    && !(in_unit(x) && in_unit(y))
                {
                    out.push("crop focus [x, y] is in fractions of the picture (0–1)".into());
                }
            }
            Step::Resize(r) => match (r.scale, r.width, r.height) {
                (Some(s), None, None) if (0.1..=4.0).contains(&s) => {}
                (Some(_), None, None) => out.push("resize scale must be 0.1–4".into()),
                (None, w, h) if w.is_some() || h.is_some() => {
                    if [w, h].iter().flatten().any(|v| !(8..=MAX_SIDE).contains(v)) {
                        out.push(format!("resize width and height must be 8–{MAX_SIDE}"));
                    }
                }
                _ => out.push("resize takes `scale`, or `width` and/or `height`".into()),
            },
            Step::Recolor(r) => {
                if r.colors.is_empty() || r.colors.len() > MAX_COLORS {
                    out.push(format!("recolor needs 1–{MAX_COLORS} colours"));
                }
                for c in r.colors.iter().filter(|c| color::parse_hex(c).is_none()) {
                    out.push(format!("recolor colour {c:?} is not a hex colour like \"#FF7A1A\""));
                }
                if !(0.0..=30.0).contains(&r.tolerance) {
                    out.push("recolor tolerance is a CIEDE2000 distance, 0–30".into());
                }
            }
            Step::Text(t) => {
                if t.text.trim().is_empty() || t.text.chars().count() > MAX_TEXT {
                    out.push(format!("text must be 1–{MAX_TEXT} characters"));
                }
                // Placeholders are filled later; their braces are not drawn.
                let drawn: String = t.text.chars().filter(|c| *c != '{' && *c != '}').collect();
                if let Some(c) = font::covers(&drawn) {
                    out.push(format!(
                        "text {c:?} is not in the 5×7 font (letters, digits and ! ? % & - . , ' : = _ / ( ) +)"
                    ));
                }
                let [x, y, w, h] = t.region;
                if !(in_unit(x) && in_unit(y) && w > 0.0 && h > 0.0 && x + w <= 1.0 + 1e-9 && y + h <= 1.0 + 1e-9) {
                    out.push("text region is [x, y, w, h] in fractions, inside the picture".into());
                }
                if color::parse_hex(&t.color).is_none() {
                    out.push(format!("text color {:?} is not a hex colour like \"#1A1A1A\"", t.color));
                }
                if !(1.0..=21.0).contains(&t.min_contrast) {
                    out.push("text min_contrast is a WCAG ratio, 1–21".into());
                }
                if !in_unit(t.max_edge_density) || !in_unit(t.max_subject_overlap) {
                    out.push("text max_edge_density and max_subject_overlap are shares, 0–1".into());
                }
            }
        }
        out
    }

    /// This step for one job: `{variable}` in a text step takes the job's value.
    pub fn for_job(&self, vars: &std::collections::BTreeMap<String, String>) -> Step {
        match self {
            Step::Text(t) => Step::Text(Text { text: super::fill(&t.text, vars), ..t.clone() }),
            other => other.clone(),
        }
    }

    /// Run the step on `img`; the result says what it did.
    pub fn apply(&self, img: RgbImage) -> Result<(RgbImage, serde_json::Value), String> {
        match self {
            Step::Crop(c) => crop(c, img),
            Step::Resize(r) => resize(r, img),
            Step::Recolor(r) => recolor(r, img),
            Step::Text(t) => text(t, img),
        }
    }
}

/// Run every step on a generated PNG: the final PNG (the generator's text
/// chunks kept, the post record added) and what each step did. No steps, the
/// bytes unchanged.
pub fn apply(steps: &[Step], png: &[u8]) -> Result<(Vec<u8>, Vec<Applied>), String> {
    if steps.is_empty() {
        return Ok((png.to_vec(), Vec::new()));
    }
    let mut img = crate::imaging::decode(png)?.to_rgb8();
    let mut applied = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        let (next, result) = step.apply(img).map_err(|e| format!("post step {} ({}): {e}", i + 1, step.name()))?;
        img = next;
        applied.push(Applied { step: step.clone(), result });
    }
    let mut chunks = crate::recipe::png::text_chunks(png).unwrap_or_default();
    chunks.retain(|(k, _)| k != POST_CHUNK);
    let record = serde_json::to_string(&applied).map_err(|e| e.to_string())?;
    chunks.push((POST_CHUNK.to_string(), record));
    let refs: Vec<(&str, &str)> = chunks.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let out = crate::recipe::png::encode_with(&img, &refs).map_err(|e| e.to_string())?;
    Ok((out, applied))
}

/// The post record of a PNG written by [`apply`], if any.
pub fn record(png: &[u8]) -> Option<serde_json::Value> {
    crate::recipe::png::post_record(png)
}

impl Step {
    fn name(&self) -> &'static str {
        match self {
            Step::Crop(_) => "crop",
            Step::Resize(_) => "resize",
            Step::Recolor(_) => "recolor",
            Step::Text(_) => "text",
        }
    }
}

/// The subject's box in pixels of `img` (found on a working copy), if the picture has one.
fn subject_box(img: &RgbImage) -> Option<[f64; 4]> {
    let w = analysis::working(img, 512);
    let s = crate::imaging::subject::find(&w);
    if !s.has_subject() {
        return None;
    }
    let [x, y, bw, bh] = s.fraction(w.width(), w.height());
    let (iw, ih) = (f64::from(img.width()), f64::from(img.height()));
    Some([x * iw, y * ih, bw * iw, bh * ih])
}

/// A window's start on one axis: centred on `centre`, kept inside the
/// picture, and moved (as little as it must) to hold `[lo, hi)` when it can.
fn place(centre: f64, size: u32, total: u32, keep: Option<(f64, f64)>) -> Result<u32, String> {
    let max = f64::from(total - size);
    let mut start = (centre - f64::from(size) / 2.0).clamp(0.0, max);
    if let Some((lo, hi)) = keep {
        if hi - lo > f64::from(size) + 1.0 {
            return Err(format!(
                "{NO_SUBJECT_FIT}: it is {:.0} px across and the window {size} px: crop wider or resize first",
                hi - lo
            ));
        }
        start = start.max(hi - f64::from(size)).min(lo).clamp(0.0, max);
    }
    Ok(start.round() as u32)
}

fn crop(c: &Crop, img: RgbImage) -> Result<(RgbImage, serde_json::Value), String> {
    let (iw, ih) = img.dimensions();
    let (w, h) = match (c.width, c.height, c.aspect.as_deref().and_then(parse_aspect)) {
        (Some(w), Some(h), _) => {
            if w > iw || h > ih {
                return Err(format!("a {w}×{h} crop does not fit in the {iw}×{ih} picture: resize first"));
            }
            (w, h)
        }
        (_, _, Some((a, b))) => {
            let want = a / b;
            if f64::from(iw) / f64::from(ih) > want {
                (((f64::from(ih) * want).round() as u32).clamp(1, iw), ih)
            } else {
                (iw, ((f64::from(iw) / want).round() as u32).clamp(1, ih))
            }
        }
        _ => return Err("crop takes `width` and `height`, or `aspect`".into()),
    };
    let subject = match c.focus {
        Focus::Named(FocusWord::Subject) => subject_box(&img),
        _ => None,
    };
    let (cx, cy, keep) = match (&c.focus, subject) {
        (Focus::Point([x, y]), _) => (x * f64::from(iw), y * f64::from(ih), None),
        (Focus::Named(FocusWord::Subject), Some([x, y, bw, bh])) => {
            (x + bw / 2.0, y + bh / 2.0, Some(((x, x + bw), (y, y + bh))))
        }
        _ => (f64::from(iw) / 2.0, f64::from(ih) / 2.0, None),
    };
    let x = place(cx, w, iw, keep.map(|k| k.0))?;
    let y = place(cy, h, ih, keep.map(|k| k.1))?;
    let out = image::imageops::crop_imm(&img, x, y, w, h).to_image();
    let result = serde_json::json!({
        "from": [iw, ih], "window": [x, y, w, h],
        "subject": subject.map(|b| b.map(|v| v.round() as i64)),
    });
    Ok((out, result))
}

fn resize(r: &Resize, img: RgbImage) -> Result<(RgbImage, serde_json::Value), String> {
    let (iw, ih) = img.dimensions();
    let (fw, fh) = (f64::from(iw), f64::from(ih));
    let (w, h) = match (r.scale, r.width, r.height) {
        (Some(s), _, _) => (fw * s, fh * s),
        (None, Some(w), Some(h)) => (f64::from(w), f64::from(h)),
        (None, Some(w), None) => (f64::from(w), fh * f64::from(w) / fw),
        (None, None, Some(h)) => (fw * f64::from(h) / fh, f64::from(h)),
        _ => return Err("resize takes `scale`, or `width` and/or `height`".into()),
    };
    let (w, h) = (w.round().max(1.0), h.round().max(1.0));
    if w > f64::from(MAX_SIDE) || h > f64::from(MAX_SIDE) {
        return Err(format!("resizing {iw}×{ih} to {w}×{h} goes past {MAX_SIDE} px a side"));
    }
    let (w, h) = (w as u32, h as u32);
    // Down: the triangle filter every working copy uses. Up: Lanczos 3, the
    // sharper of the image crate's filters (what an upscaler's baseline is).
    let out = if w <= iw && h <= ih {
        crate::imaging::resize::triangle_resize(&img, w, h)
    } else {
        image::imageops::resize(&img, w, h, image::imageops::FilterType::Lanczos3)
    };
    Ok((out, serde_json::json!({ "from": [iw, ih], "to": [w, h] })))
}

fn recolor(r: &Recolor, mut img: RgbImage) -> Result<(RgbImage, serde_json::Value), String> {
    let brand: Vec<([u8; 3], [f32; 3])> =
        r.colors.iter().filter_map(|c| color::parse_hex(c)).map(|c| (c, analysis::lab(c))).collect();
    let tolerance = r.tolerance as f32;
    let mut moved = vec![0u64; brand.len()];
    // Pictures have far fewer distinct colours than pixels: judge each once.
    let mut seen: std::collections::HashMap<[u8; 3], Option<usize>> = std::collections::HashMap::new();
    for p in img.pixels_mut() {
        let target = *seen.entry(p.0).or_insert_with(|| {
            let lab = analysis::lab(p.0);
            brand
                .iter()
                .enumerate()
                .map(|(i, (_, b))| (i, analysis::delta_e(lab, *b)))
                .filter(|(_, d)| *d <= tolerance)
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .map(|(i, _)| i)
        });
        if let Some(i) = target {
            if p.0 != brand[i].0 {
                moved[i] += 1;
            }
            p.0 = brand[i].0;
        }
    }
    let total = f64::from(img.width()) * f64::from(img.height());
    let result: serde_json::Map<String, serde_json::Value> = brand
        .iter()
        .zip(&moved)
        .map(|((c, _), n)| (color::to_hex(*c), serde_json::json!({ "pixels": n, "share": *n as f64 / total })))
        .collect();
    Ok((img, serde_json::json!({ "moved": result })))
}

fn text(t: &Text, mut img: RgbImage) -> Result<(RgbImage, serde_json::Value), String> {
    let ink = color::parse_hex(&t.color).ok_or_else(|| format!("{:?} is not a hex colour", t.color))?;
    let (iw, ih) = img.dimensions();
    let r = t.region;
    let (bx, by) = ((r[0] * f64::from(iw)) as u32, (r[1] * f64::from(ih)) as u32);
    let (bw, bh) = ((r[2] * f64::from(iw)) as u32, (r[3] * f64::from(ih)) as u32);
    let scale = font::fit_scale(&t.text, bw, bh);
    if scale < MIN_SCALE {
        return Err(format!(
            "{:?} does not fit the {bw}×{bh} px text area legibly: shorten it or make the area larger",
            t.text
        ));
    }
    let measured = Image::from_rgb("post", img.clone());
    let (density, overlap, mean) = crate::checks::composition::text_area(&measured, r);
    let contrast = crate::checks::composition::wcag_contrast(ink.map(f64::from), mean);
    if density > t.max_edge_density {
        return Err(format!(
            "{AREA_BUSY}: edge density {:.1}% > {:.1}%: ask the model for copy space there, or move the area",
            density * 100.0,
            t.max_edge_density * 100.0
        ));
    }
    if overlap > t.max_subject_overlap {
        return Err(format!(
            "{AREA_ON_SUBJECT}: {:.0}% of it is under the subject (at most {:.0}%): move the area or the subject",
            overlap * 100.0,
            t.max_subject_overlap * 100.0
        ));
    }
    if contrast < t.min_contrast {
        return Err(format!(
            "{CONTRAST_TOO_LOW}: {} on the area's {} has a WCAG contrast of {contrast:.2}:1 (at least {:.1}:1): \
             pick a darker or lighter ink",
            t.color,
            color::to_hex(mean.map(|v| v.round() as u8)),
            t.min_contrast
        ));
    }
    let x = bx + (bw - font::width(&t.text, scale)) / 2;
    let y = by + (bh - 7 * scale) / 2;
    font::draw(&mut img, x, y, scale, &t.text, ink);
    let lettering = font::Lettering {
        text: t.text.clone(),
        x,
        y,
        scale,
        color: color::to_hex(ink),
        region: r,
        edge_density: density,
        subject_overlap: overlap,
        contrast,
    };
    Ok((img, serde_json::to_value(lettering).map_err(|e| e.to_string())?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(toml_text: &str) -> Step {
        toml::from_str::<Step>(toml_text).unwrap()
    }

    /// A light backdrop with a dark square "subject" at (`sx`, `sy`).
    fn scene(w: u32, h: u32, sx: u32, sy: u32, side: u32) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            if (sx..sx + side).contains(&x) && (sy..sy + side).contains(&y) {
                image::Rgb([200, 60, 20])
            } else {
                image::Rgb([235, 232, 225])
            }
        })
    }

    #[test]
    fn steps_read_as_typed_variants_and_refuse_unknown_keys() {
        assert!(matches!(parse("step = \"upscale\"\nscale = 2.0"), Step::Resize(_)));
        assert!(matches!(
            parse("step = \"crop\"\naspect = \"4:5\""),
            Step::Crop(Crop { focus: Focus::Named(FocusWord::Subject), .. })
        ));
        assert!(matches!(
            parse("step = \"crop\"\naspect = \"4:5\"\nfocus = [0.2, 0.3]"),
            Step::Crop(Crop { focus: Focus::Point(_), .. })
        ));
        let e = toml::from_str::<Step>("step = \"crop\"\naspct = \"4:5\"").unwrap_err().to_string();
        assert!(e.contains("aspct"), "{e}");
        let e =
            toml::from_str::<Step>("step = \"crop\"\naspect = \"4:5\"\nfocus = \"middle\"").unwrap_err().to_string();
        assert!(e.contains(FOCUS_IS), "{e}");
        let e = toml::from_str::<Step>("step = \"blur\"").unwrap_err().to_string();
        assert!(e.contains("blur"), "{e}");
        assert!(!parse("step = \"crop\"\nwidth = 10").problems().is_empty());
        assert!(!parse("step = \"text\"\ntext = \"CAFÉ\"\nregion = [0, 0, 1, 0.2]").problems().is_empty());
    }

    #[test]
    fn crop_keeps_the_subject_inside() {
        // A wide picture, the subject far right: a centred square crop would cut it off.
        let img = scene(768, 432, 600, 150, 120);
        let step = parse("step = \"crop\"\naspect = \"1:1\"");
        let (out, result) = step.apply(img).unwrap();
        assert_eq!(out.dimensions(), (432, 432));
        let [x, _, w, _] = [0, 1, 2, 3].map(|i| result["window"][i].as_u64().unwrap() as u32);
        assert!(x <= 600 && x + w >= 720, "window {result}");
        let subject_px = out.pixels().filter(|p| p.0 == [200, 60, 20]).count();
        assert_eq!(subject_px, 120 * 120, "the whole subject is in the crop");
        // Centred, it would not be.
        let (centre, _) = parse("step = \"crop\"\naspect = \"1:1\"\nfocus = \"center\"")
            .apply(scene(768, 432, 600, 150, 120))
            .unwrap();
        assert!(centre.pixels().filter(|p| p.0 == [200, 60, 20]).count() < 120 * 120);
        // A subject wider than the window is said, not cut.
        let e = parse("step = \"crop\"\nwidth = 100\nheight = 100").apply(scene(768, 432, 300, 100, 200)).unwrap_err();
        assert!(e.contains(NO_SUBJECT_FIT), "{e}");
    }

    #[test]
    fn resize_scales_and_refuses_past_the_limit() {
        let (out, _) = parse("step = \"upscale\"\nscale = 2.0").apply(scene(100, 60, 10, 10, 20)).unwrap();
        assert_eq!(out.dimensions(), (200, 120));
        let (out, _) = parse("step = \"resize\"\nwidth = 50").apply(scene(100, 60, 10, 10, 20)).unwrap();
        assert_eq!(out.dimensions(), (50, 30));
        let e = parse("step = \"resize\"\nscale = 4.0").apply(scene(2000, 100, 0, 0, 10)).unwrap_err();
        assert!(e.contains("4096"), "{e}");
    }

    #[test]
    fn recolour_moves_only_near_brand_pixels_onto_the_exact_value() {
        let brand = [255, 122, 26]; // #FF7A1A
        let near = [247, 128, 35]; // drifted: ΔE00 ≈ 3
        let far = [40, 90, 200];
        let img = RgbImage::from_fn(30, 10, |x, _| {
            image::Rgb(if x < 10 {
                near
            } else if x < 20 {
                far
            } else {
                brand
            })
        });
        let step = parse("step = \"recolor\"\ncolors = [\"#FF7A1A\"]\ntolerance = 8.0");
        let (out, result) = step.apply(img).unwrap();
        assert!((0..10).all(|x| out.get_pixel(x, 0).0 == brand), "near pixels pulled onto the brand value");
        assert!((10..20).all(|x| out.get_pixel(x, 0).0 == far), "far pixels untouched");
        assert_eq!(result["moved"]["#FF7A1A"]["pixels"], 100, "{result}");
    }

    #[test]
    fn text_sets_the_line_and_refuses_low_contrast_naming_the_ratio() {
        let img = scene(512, 640, 200, 300, 120);
        let step = parse("step = \"text\"\ntext = \"AUTUMN MENU\"\nregion = [0.05, 0.03, 0.9, 0.2]");
        let (out, result) = step.apply(img.clone()).unwrap();
        let l: font::Lettering = serde_json::from_value(result).unwrap();
        assert!(l.scale >= MIN_SCALE && l.contrast > 4.5, "{l:?}");
        let inked = font::ink_pixels(&l.text, l.x, l.y, l.scale, 512, 640);
        assert!(!inked.is_empty() && inked.iter().all(|(x, y)| out.get_pixel(*x, *y).0 == [0x1A, 0x1A, 0x1A]));
        let pale =
            parse("step = \"text\"\ntext = \"AUTUMN MENU\"\nregion = [0.05, 0.03, 0.9, 0.2]\ncolor = \"#C8C8C8\"");
        let e = pale.apply(img.clone()).unwrap_err();
        assert!(e.contains(CONTRAST_TOO_LOW) && e.contains("1.3") && e.contains(":1"), "{e}");
        let on_subject = parse("step = \"text\"\ntext = \"MENU\"\nregion = [0.35, 0.45, 0.3, 0.2]");
        let e = on_subject.apply(img).unwrap_err();
        assert!(e.contains(AREA_ON_SUBJECT), "{e}");
    }

    #[test]
    fn the_same_picture_and_steps_give_the_same_bytes() {
        let img = scene(512, 512, 300, 200, 100);
        let png = crate::recipe::png::encode_with(&img, &[("parameters", "x")]).unwrap();
        let steps = vec![
            parse("step = \"crop\"\naspect = \"4:5\""),
            parse("step = \"recolor\"\ncolors = [\"#C83C14\"]"),
            parse("step = \"upscale\"\nscale = 1.5"),
            parse("step = \"text\"\ntext = \"HELLO\"\nregion = [0.1, 0.02, 0.8, 0.15]"),
        ];
        let (a, applied) = apply(&steps, &png).unwrap();
        let (b, _) = apply(&steps, &png).unwrap();
        assert_eq!(a, b);
        assert_eq!(applied.len(), 4);
        let rec = record(&a).unwrap();
        assert_eq!(rec[0]["step"], "crop");
        assert_eq!(rec[3]["result"]["text"], "HELLO");
        let chunks = crate::recipe::png::text_chunks(&a).unwrap();
        assert!(chunks.iter().any(|(k, v)| k == "parameters" && v == "x"), "the generator's chunks stay");
        assert_eq!(apply(&[], &png).unwrap().0, png, "no steps, the bytes unchanged");
    }
}
