//! Composition: where the subject is (the subject finder, see
//! [`crate::imaging::subject`], read through [`Image::subject`]) relative to
//! a target region, the thirds, the top edge, and a text-safe area.

use super::registry::params;
use super::{CheckSpec, Found, Image, Outcome, per_image, which};
use crate::imaging::analysis;

params! {
    /// Parameters of `placement`.
    pub struct Placement {
        region: Option<[f64; 4]> = req(of(ParamKind::Region, "target box [x, y, w, h] in fractions")),
        min_iou: f64 = num(0.0, 1.0, Some(0.5), "lowest intersection over union"),
        relation: Option<String> = of(
            ParamKind::Choice(&["inside", "left_of", "right_of", "above", "below"]),
            "GenEval relation to the region instead of IoU",
        ),
    }
}

params! {
    /// Parameters of `rule_of_thirds`.
    pub struct Thirds {
        max_distance: f64 =
            num(0.0, 1.0, Some(0.08), "largest distance to a thirds point as a share of the diagonal"),
    }
}

params! {
    /// Parameters of `headroom`.
    pub struct Headroom {
        min: f64 = num(0.0, 1.0, Some(0.05), "least headroom"),
        max: f64 = num(0.0, 1.0, Some(0.20), "most headroom"),
    }
}

params! {
    /// Parameters of `safe_area`.
    pub struct SafeArea {
        region: Option<[f64; 4]> = req(of(ParamKind::Region, "the text area [x, y, w, h] in fractions")),
        max_edge_density: f64 = num(0.0, 1.0, Some(0.03), "largest share of edge pixels in the area"),
        max_subject_overlap: f64 =
            num(0.0, 1.0, Some(0.05), "largest share of the area covered by the subject box"),
        text_color: Option<String> = of(ParamKind::Color, "brand text colour whose WCAG contrast is reported"),
        min_contrast: Option<f64> = num(
            1.0,
            21.0,
            None,
            "lowest WCAG contrast of the text colour (reported only when absent)",
        ),
    }
}

params! {
    /// Parameters of `single_subject`.
    pub struct SingleSubject {
        max_repeat: f64 = num(
            0.0,
            1.0,
            Some(0.6),
            "highest match (NCC) of a second copy of the subject (142 real pictures of one subject ≤ 0.48; practice twins 0.46–0.99)",
        ),
    }
}

params! {
    /// Parameters of `headline`.
    pub struct Headline {
        text: Option<String> = req(of(ParamKind::Text, "the headline, exactly as it must read")),
        region: Option<[f64; 4]> = req(of(ParamKind::Region, "the headline area [x, y, w, h] in fractions")),
        min_contrast: f64 =
            num(1.0, 21.0, Some(4.5), "lowest WCAG contrast of the letters against the area around them (AA: 4.5)"),
        min_legible: f64 = num(
            0.0,
            1.0,
            Some(0.98),
            "share of the letters' pixels that still carry the ink as set (nothing painted over them)",
        ),
        max_edge_density: f64 =
            num(0.0, 1.0, Some(0.03), "largest edge density of the area before lettering (as safe_area)"),
        max_subject_overlap: f64 =
            num(0.0, 1.0, Some(0.05), "largest share of the area under the subject's box before lettering"),
    }
}

params! {
    /// Parameters of `subject_present`.
    pub struct SubjectPresent {
        min_confidence: f64 = num(0.0, 1.0, Some(0.15), "lowest subject confidence (flat, halves, noise: 0)"),
        min_area: f64 = num(0.0, 1.0, Some(0.01), "smallest share of the image the subject's box covers"),
        min_detail: f64 = num(
            0.0,
            1.0,
            Some(0.002),
            "lowest share of edge pixels inside the subject (a flat shape: 0; real subjects ≥ 0.0048)",
        ),
    }
}

fn iou(a: [f64; 4], b: [f64; 4]) -> f64 {
    let ix = (a[0] + a[2]).min(b[0] + b[2]) - a[0].max(b[0]);
    let iy = (a[1] + a[3]).min(b[1] + b[3]) - a[1].max(b[1]);
    let inter = ix.max(0.0) * iy.max(0.0);
    let union = a[2] * a[3] + b[2] * b[3] - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// GenEval's relation rule between box A (the subject) and box B (the
/// target): offsets of the centres, shrunk by 0.1 × (sizes summed) per axis,
/// normalised; "left of" when dx < −0.5 and so on.
pub fn relation(a: [f64; 4], b: [f64; 4], rel: &str) -> bool {
    let (ca, cb) = ([a[0] + a[2] / 2.0, a[1] + a[3] / 2.0], [b[0] + b[2] / 2.0, b[1] + b[3] / 2.0]);
    let off = [ca[0] - cb[0], ca[1] - cb[1]];
    let norm = (off[0] * off[0] + off[1] * off[1]).sqrt();
    if rel == "inside" {
        return ca[0] >= b[0] && ca[0] <= b[0] + b[2] && ca[1] >= b[1] && ca[1] <= b[1] + b[3];
    }
    if norm == 0.0 {
        return false;
    }
    let shrink = |o: f64, da: f64, db: f64| (o.abs() - 0.1 * (da + db)).max(0.0) * o.signum();
    let (dx, dy) = (shrink(off[0], a[2], b[2]) / norm, shrink(off[1], a[3], b[3]) / norm);
    match rel {
        "left_of" => dx < -0.5,
        "right_of" => dx > 0.5,
        "above" => dy < -0.5,
        "below" => dy > 0.5,
        _ => false,
    }
}

/// Every image's subject, or the outcome that says which image cannot be read.
/// (Measured once per image and shared by every composition check.)
fn subjects(spec: &CheckSpec, images: &[Image]) -> Result<Vec<Found>, Outcome> {
    images.iter().map(|img| img.subject().map_err(|e| Outcome::unmeasured(spec, e))).collect()
}

const NO_SUBJECT: Found = Found { bbox: [0.0; 4], centroid: [0.5; 2], content: [0.0, 0.0, 1.0, 1.0], confidence: 0.0 };

/// A failed outcome when an image has no distinct subject: a position of
/// nothing is not a composition (a flat fill's "subject" is the frame).
fn without_subject(spec: &CheckSpec, images: &[Image], found: &[Found]) -> Option<Outcome> {
    let i = found.iter().position(|s| !s.present())?;
    Some(Outcome::new(
        spec,
        false,
        Some(0.0),
        None,
        format!(
            "no distinct subject to place{} (subject confidence {:.2}): name the subject first in the prompt and give it a background it stands out from.",
            which(images, i),
            found[i].confidence
        ),
    ))
}

/// Which way the subject's box must go to cover the target: from the
/// measured boxes, so the advice never points away from the target.
fn towards(subject: [f64; 4], target: [f64; 4]) -> String {
    let centre = |b: [f64; 4]| [b[0] + b[2] / 2.0, b[1] + b[3] / 2.0];
    let (s, t) = (centre(subject), centre(target));
    // A move smaller than a tenth of the target's size is not worth saying.
    let (dx, dy) = (t[0] - s[0], t[1] - s[1]);
    let mut moves = Vec::new();
    if dx.abs() > 0.1 * target[2] {
        moves.push(if dx > 0.0 { "right" } else { "left" });
    }
    if dy.abs() > 0.1 * target[3] {
        moves.push(if dy > 0.0 { "down" } else { "up" });
    }
    let ratio = (subject[2] * subject[3]) / (target[2] * target[3]).max(1e-9);
    let size = if ratio < 0.7 {
        Some("larger")
    } else if ratio > 1.4 {
        Some("smaller")
    } else {
        None
    };
    match (moves.is_empty(), size) {
        (false, Some(size)) => format!("move it {} and make it {size}", moves.join(" and ")),
        (false, None) => format!("move it {}", moves.join(" and ")),
        (true, Some(size)) => format!("make it {size}"),
        (true, None) => "fit it to the target's shape".to_string(),
    }
}

fn fmt_box(b: [f64; 4]) -> String {
    format!("[{:.2}, {:.2}, {:.2}, {:.2}]", b[0], b[1], b[2], b[3])
}

/// `subject_present`: the image has a distinct subject — a region set
/// apart from its surroundings by a colour barrier, with its outline on
/// real edges ([`crate::imaging::subject`]) — covering at least `min_area`
/// of the image and drawn, not a flat shape: at least `min_detail` of the
/// pixels inside its box (a 15% margin in from the outline) are Canny edges.
/// Flat fills, two-colour halves, gradients and noise have no subject
/// (confidence 0); 130 of 132 real photos and generated images have one
/// (`docs/research/subject-finder/`). A grey box on white is a subject with
/// no detail (0); the smoothest of 116 real subjects, a yellow rubber duck,
/// has 0.0048, the median 0.077.
pub fn subject_present(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: SubjectPresent = measured!(super::params(spec));
    let (min_conf, min_area, min_detail) = (p.min_confidence, p.min_area, p.min_detail);
    let subjects = measured!(subjects(spec, images));
    let details: Vec<f64> = measured!(per_image(spec, images, |img, _| img.working().unwrap_or_default()))
        .iter()
        .zip(&subjects)
        .map(|(w, s)| detail(w, s.bbox))
        .collect();
    let found: Vec<(f64, f64, f64)> =
        subjects.iter().zip(&details).map(|(s, d)| (s.confidence, s.bbox[2] * s.bbox[3], *d)).collect();
    let failing = |v: &(f64, f64, f64)| v.0 < min_conf || v.1 < min_area || v.2 < min_detail;
    let (i, (conf, area, detail)) = super::lowest(&found, |v| if failing(v) { -1.0 } else { v.0 });
    if failing(&(conf, area, detail)) {
        let why = if conf < min_conf {
            format!("nothing stands out from the background (subject confidence {conf:.2} < {min_conf:.2})")
        } else if area < min_area {
            format!(
                "the subject covers only {:.1}% of the image (at least {:.1}% wanted)",
                area * 100.0,
                min_area * 100.0
            )
        } else {
            format!(
                "the subject is a flat shape with no detail inside ({:.2}% edge pixels, at least {:.2}% wanted)",
                detail * 100.0,
                min_detail * 100.0
            )
        };
        return Outcome::new(
            spec,
            false,
            Some(conf),
            Some(min_conf),
            format!(
                "no distinct subject{}: {why}. Name the subject first in the prompt, and give it a background it stands out from.",
                which(images, i)
            ),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(conf),
        Some(min_conf),
        format!("a distinct subject (confidence {conf:.2}, {:.0}% of the image)", area * 100.0),
    )
}

/// The share of Canny edge pixels inside the subject's box, 15% in from
/// each side (so its outline does not count): what is drawn inside it.
fn detail(working: &image::RgbImage, bbox: [f64; 4]) -> f64 {
    let edges = analysis::canny(&analysis::gray(working));
    let (iw, ih) = (f64::from(working.width()), f64::from(working.height()));
    let px = |f: f64, side: f64| (f * side).round().clamp(0.0, side) as usize;
    let (x0, x1) = (px(bbox[0] + 0.15 * bbox[2], iw), px(bbox[0] + 0.85 * bbox[2], iw));
    let (y0, y1) = (px(bbox[1] + 0.15 * bbox[3], ih), px(bbox[1] + 0.85 * bbox[3], ih));
    let iw = working.width() as usize;
    let (mut n, mut on) = (0usize, 0usize);
    for y in y0..y1 {
        for x in x0..x1 {
            n += 1;
            on += usize::from(edges.get(y * iw + x).is_some_and(|e| *e > 0));
        }
    }
    on as f64 / n.max(1) as f64
}

/// `placement`: the subject's box overlaps the target region with IoU ≥
/// min_iou (default 0.5, the PASCAL VOC convention), or — with `relation` —
/// stands in that GenEval relation to it.
/// `single_subject`: the subject appears once — no twin beside it, no second
/// figure stacked on it ([`crate::imaging::repeat`]): what a model draws far
/// above its training size. With no distinct subject the whole picture's
/// halves are compared.
pub fn single_subject(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: SingleSubject = measured!(super::params(spec));
    let found = measured!(subjects(spec, images));
    let working = measured!(per_image(spec, images, |img, _| img.working().unwrap_or_default()));
    let repeats: Vec<crate::imaging::repeat::Repeat> = working
        .iter()
        .zip(&found)
        .map(|(w, s)| crate::imaging::repeat::second_subject(w, if s.present() { s.bbox } else { s.content }))
        .collect();
    let scores: Vec<f64> = repeats.iter().map(|r| r.score).collect();
    let (i, worst) = super::highest(&scores);
    if worst > p.max_repeat {
        let [x, y, w, h] = repeats[i].at;
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(p.max_repeat),
            format!(
                "the subject appears twice{}: a second copy at [{x:.2}, {y:.2}, {w:.2}, {h:.2}] matches it \
                 ({worst:.2} > {:.2}). A model rendering far above its native size repeats the subject: \
                 render at the native size and enlarge with hires fix (`[hires] scale = 2`), or hold \
                 the layout with a control map.",
                which(images, i),
                p.max_repeat
            ),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(p.max_repeat),
        format!("one subject: no second copy (best match {worst:.2} ≤ {:.2})", p.max_repeat),
    )
}

pub fn placement(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Placement = measured!(super::params(spec));
    let Some(region) = p.region else { return Outcome::unmeasured(spec, "placement needs `region`") };
    let min = p.min_iou;
    let boxes = measured!(subjects(spec, images));
    if let Some(out) = without_subject(spec, images, &boxes) {
        return out;
    }
    if let Some(rel) = p.relation.as_deref() {
        for (i, s) in boxes.iter().enumerate() {
            if !relation(s.bbox, region, rel) {
                return Outcome::new(
                    spec,
                    false,
                    Some(0.0),
                    Some(1.0),
                    format!(
                        "the subject (box {}) is not {} {}{}",
                        fmt_box(s.bbox),
                        rel.replace('_', " "),
                        fmt_box(region),
                        which(images, i)
                    ),
                );
            }
        }
        return Outcome::new(
            spec,
            true,
            Some(1.0),
            Some(1.0),
            format!("the subject is {} the target region", rel.replace('_', " ")),
        );
    }
    let ious: Vec<f64> = boxes.iter().map(|s| iou(s.bbox, region)).collect();
    let (i, worst) = super::lowest(&ious, |v| *v);
    if worst < min {
        let s = &boxes[i];
        let hint = towards(s.bbox, region);
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(min),
            format!(
                "the subject's box {} overlaps the target {} with IoU {worst:.2} < {min:.2}{}: {hint}.",
                fmt_box(s.bbox),
                fmt_box(region),
                which(images, i)
            ),
        );
    }
    Outcome::new(spec, true, Some(worst), Some(min), format!("subject in the target region: IoU {worst:.2} ≥ {min:.2}"))
}

/// `rule_of_thirds`: the subject's centroid lies within max_distance
/// (default 0.08) × the diagonal of a thirds intersection.
pub fn thirds(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let max = measured!(super::params::<Thirds>(spec)).max_distance;
    let found = measured!(subjects(spec, images));
    if let Some(out) = without_subject(spec, images, &found) {
        return out;
    }
    let sizes = measured!(per_image(spec, images, |_, d| (f64::from(d.width), f64::from(d.height))));
    let dists: Vec<f64> = found
        .iter()
        .zip(&sizes)
        .map(|(s, (w, h))| {
            let diag = (w * w + h * h).sqrt();
            let (cx, cy) = (s.centroid[0] * w, s.centroid[1] * h);
            [1.0 / 3.0, 2.0 / 3.0]
                .iter()
                .flat_map(|fx| {
                    [1.0 / 3.0, 2.0 / 3.0].map(|fy| ((cx - fx * w).powi(2) + (cy - fy * h).powi(2)).sqrt() / diag)
                })
                .fold(f64::MAX, f64::min)
        })
        .collect();
    let (i, worst) = super::highest(&dists);
    if worst > max {
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(max),
            format!(
                "the subject's centre is {:.2} of the diagonal from the nearest thirds point{} (at most {max:.2}): try \"rule of thirds\" or a left/right placement.",
                worst,
                which(images, i)
            ),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(max),
        format!("subject on a thirds point: {worst:.2} ≤ {max:.2} of the diagonal"),
    )
}

/// `headroom`: the space above the subject's box, as a share of the image
/// height, is within [min, max] (default 5–20%).
pub fn headroom(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Headroom = measured!(super::params(spec));
    let (lo, hi) = (p.min, p.max);
    let found = measured!(subjects(spec, images));
    if let Some(out) = without_subject(spec, images, &found) {
        return out;
    }
    // From the top of the picture, not of a letterbox bar above it.
    let tops: Vec<f64> = found.iter().map(|s| (s.bbox[1] - s.content[1]).max(0.0) / s.content[3].max(1e-9)).collect();
    for (i, t) in tops.iter().enumerate() {
        if *t < lo {
            return Outcome::new(
                spec,
                false,
                Some(*t),
                Some(lo),
                format!(
                    "the subject touches the top{}: headroom {:.0}% < {:.0}%. Frame it smaller or lower (medium shot).",
                    which(images, i),
                    t * 100.0,
                    lo * 100.0
                ),
            );
        }
        if *t > hi {
            return Outcome::new(
                spec,
                false,
                Some(*t),
                Some(hi),
                format!(
                    "too much empty space above the subject{}: headroom {:.0}% > {:.0}%. Move it up or frame it larger.",
                    which(images, i),
                    t * 100.0,
                    hi * 100.0
                ),
            );
        }
    }
    let t = tops.iter().copied().fold(0.0, f64::max);
    Outcome::new(
        spec,
        true,
        Some(t),
        Some(hi),
        format!("headroom {:.0}% within {:.0}–{:.0}%", t * 100.0, lo * 100.0, hi * 100.0),
    )
}

/// WCAG 2 relative luminance of an sRGB colour.
fn luminance(c: [f64; 3]) -> f64 {
    let lin = |v: f64| {
        let v = v / 255.0;
        if v <= 0.039_28 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
    };
    0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2])
}

pub fn wcag_contrast(a: [f64; 3], b: [f64; 3]) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

/// What a text area `r` ([x, y, w, h] fractions) of `img` measures:
/// Canny edge density at working size, the share of it under the subject's
/// box, and its mean colour. `safe_area` judges these; a pipeline's `[[post]]`
/// text step measures them before it letters the area.
pub fn text_area(img: &Image, r: [f64; 4]) -> (f64, f64, [f64; 3]) {
    let w = img.working().unwrap_or_default();
    let (iw, ih) = (w.width() as usize, w.height() as usize);
    let edges = analysis::canny(&analysis::gray(&w));
    let (x0, y0) = ((r[0] * iw as f64) as usize, (r[1] * ih as f64) as usize);
    let (x1, y1) = (((r[0] + r[2]) * iw as f64) as usize, ((r[1] + r[3]) * ih as f64) as usize);
    let (mut n, mut e, mut sum) = (0usize, 0usize, [0f64; 3]);
    for y in y0..y1.min(ih) {
        for x in x0..x1.min(iw) {
            n += 1;
            e += edges[y * iw + x] as usize;
            let p = w.get_pixel(x as u32, y as u32).0;
            (0..3).for_each(|k| sum[k] += p[k] as f64);
        }
    }
    let density = e as f64 / n.max(1) as f64;
    let mean = sum.map(|v| v / n.max(1) as f64);
    let s = img.subject().unwrap_or(NO_SUBJECT);
    let b = s.bbox;
    let ix = ((b[0] + b[2]).min(r[0] + r[2]) - b[0].max(r[0])).max(0.0);
    let iy = ((b[1] + b[3]).min(r[1] + r[3]) - b[1].max(r[1])).max(0.0);
    let overlap = if s.present() { ix * iy / (r[2] * r[3]) } else { 0.0 };
    (density, overlap, mean)
}

/// `safe_area`: a declared text area is calm — Canny edge density (working
/// size) ≤ max_edge_density (default 3%) and at most max_subject_overlap
/// (default 5%) of it under the subject's box. Reports the WCAG contrast of
/// `text_color` against the area's mean colour; with `min_contrast` set it
/// must also reach that.
pub fn safe_area(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: SafeArea = measured!(super::params(spec));
    let Some(r) = p.region else { return Outcome::unmeasured(spec, "safe_area needs `region`") };
    let (max_edges, max_overlap) = (p.max_edge_density, p.max_subject_overlap);
    let text = p.text_color.as_deref().and_then(crate::imaging::color::parse_hex);
    let stats = measured!(per_image(spec, images, |img, _| text_area(img, r)));
    let mut contrast_note = String::new();
    for (i, (density, overlap, mean)) in stats.iter().enumerate() {
        if *density > max_edges {
            return Outcome::new(
                spec,
                false,
                Some(*density),
                Some(max_edges),
                format!(
                    "the text area is busy{}: edge density {:.1}% > {:.1}%. Ask for copy space on that side, or remove clutter with the negative prompt.",
                    which(images, i),
                    density * 100.0,
                    max_edges * 100.0
                ),
            );
        }
        if *overlap > max_overlap {
            return Outcome::new(
                spec,
                false,
                Some(*overlap),
                Some(max_overlap),
                format!(
                    "the subject covers {:.0}% of the text area{} (at most {:.0}%): move the subject away from it.",
                    overlap * 100.0,
                    which(images, i),
                    max_overlap * 100.0
                ),
            );
        }
        if let Some(t) = text {
            let c = wcag_contrast(t.map(|v| v as f64), *mean);
            if let Some(min) = p.min_contrast
                && c < min
            {
                return Outcome::new(
                    spec,
                    false,
                    Some(c),
                    Some(min),
                    format!(
                        "text colour {} has contrast {c:.1}:1 on the text area{} (at least {min:.1}:1 wanted): make the area lighter or darker.",
                        p.text_color.as_deref().unwrap_or(""),
                        which(images, i)
                    ),
                );
            }
            contrast_note = format!("; text colour contrast {c:.1}:1 (WCAG AA wants 4.5:1)");
        }
    }
    let d = stats.iter().map(|s| s.0).fold(0.0, f64::max);
    Outcome::new(
        spec,
        true,
        Some(d),
        Some(max_edges),
        format!(
            "text area calm: edge density {:.1}% ≤ {:.1}%, clear of the subject{contrast_note}",
            d * 100.0,
            max_edges * 100.0
        ),
    )
}

/// Said when a picture's headline was not set in type.
pub const HEADLINE_NOT_SET: &str = "the headline is not set in type";

/// One image's headline as `headline` judged it: Ok(contrast) or the failure.
fn judge_headline(p: &Headline, text: &str, r: [f64; 4], img: &Image) -> Result<(f64, f64), (Option<f64>, String)> {
    let d = img.pixels().map_err(|e| (None, e))?;
    if (d.rgb.width(), d.rgb.height()) != (d.width, d.height) {
        return Err((None, format!("{} is too large to re-draw its lettering", img.label)));
    }
    let set: Vec<crate::imaging::font::Lettering> = crate::recipe::png::post_record(&img.bytes)
        .and_then(|v| v.as_array().cloned())
        .unwrap_or_default()
        .into_iter()
        .filter(|s| s.get("step").and_then(|v| v.as_str()) == Some("text"))
        .filter_map(|s| serde_json::from_value(s.get("result")?.clone()).ok())
        .collect();
    let Some(l) = set.iter().find(|l| l.text.eq_ignore_ascii_case(text)) else {
        let other = set.first().map(|l| format!(" (the set line reads {:?})", l.text)).unwrap_or_default();
        return Err((
            None,
            format!(
                "{HEADLINE_NOT_SET}{other}: no [[post]] text step lettered {text:?}. A model asked for lettering \
                 misspells it (SD 1.5 gets about half the letters wrong); ask for copy space and set the line in \
                 a [[post]] step = \"text\""
            ),
        ));
    };
    let (w, h) = (d.width, d.height);
    let (fw, fh) = (f64::from(w), f64::from(h));
    let (x0, y0, x1, y1) = (r[0] * fw, r[1] * fh, (r[0] + r[2]) * fw, (r[1] + r[3]) * fh);
    let (lw, lh) = (crate::imaging::font::width(&l.text, l.scale), 7 * l.scale);
    let inside = f64::from(l.x) >= x0 - 1.0
        && f64::from(l.y) >= y0 - 1.0
        && f64::from(l.x + lw) <= x1 + 1.0
        && f64::from(l.y + lh) <= y1 + 1.0;
    if !inside {
        return Err((None, "the headline is set outside the headline area: set the text step's region to it".into()));
    }
    if l.edge_density > p.max_edge_density {
        return Err((
            Some(l.edge_density),
            format!(
                "the headline went onto a busy area (edge density {:.1}% > {:.1}% before lettering): ask for copy \
                 space there, and leave the lettering out of the prompt",
                l.edge_density * 100.0,
                p.max_edge_density * 100.0
            ),
        ));
    }
    if l.subject_overlap > p.max_subject_overlap {
        return Err((
            Some(l.subject_overlap),
            format!("the headline covers the subject ({:.0}% of its area)", l.subject_overlap * 100.0),
        ));
    }
    let ink = crate::imaging::color::parse_hex(&l.color).unwrap_or([0, 0, 0]);
    let inked = crate::imaging::font::ink_pixels(&l.text, l.x, l.y, l.scale, w, h);
    let carried = inked
        .iter()
        .filter(|(x, y)| d.rgb.get_pixel(*x, *y).0.iter().zip(ink).all(|(a, b)| a.abs_diff(b) <= 3))
        .count();
    let legible = carried as f64 / inked.len().max(1) as f64;
    if inked.is_empty() || legible < p.min_legible {
        return Err((
            Some(legible),
            format!(
                "the set headline is not on the picture as set: {:.0}% of its letters' pixels carry the ink \
                 (at least {:.0}%)",
                legible * 100.0,
                p.min_legible * 100.0
            ),
        ));
    }
    let ink_at: std::collections::HashSet<(u32, u32)> = inked.into_iter().collect();
    let (mut n, mut sum) = (0usize, [0f64; 3]);
    for y in (y0.max(0.0) as u32)..(y1.min(fh) as u32) {
        for x in (x0.max(0.0) as u32)..(x1.min(fw) as u32) {
            if !ink_at.contains(&(x, y)) {
                n += 1;
                let px = d.rgb.get_pixel(x, y).0;
                (0..3).for_each(|k| sum[k] += f64::from(px[k]));
            }
        }
    }
    let around = sum.map(|v| v / n.max(1) as f64);
    let contrast = wcag_contrast(ink.map(f64::from), around);
    if contrast < p.min_contrast {
        return Err((
            Some(contrast),
            format!(
                "the headline has a WCAG contrast of {contrast:.2}:1 against the area around it (at least \
                 {:.1}:1): pick a darker or lighter ink",
                p.min_contrast
            ),
        ));
    }
    Ok((contrast, legible))
}

/// `headline`: the exact headline is set in type in the headline area —
/// read from the `[[post]]` text step's record in the PNG and held to the
/// pixels: the letters re-drawn where the record says must carry the ink
/// (≥ min_legible of their pixels: the exact text, nothing painted over it),
/// their WCAG contrast against the rest of the area ≥ min_contrast, and the
/// area as the step measured it before lettering calm and off the subject.
/// A model's own lettering is not read: without OCR genpath cannot tell a
/// spelt word from a misspelt one, and a real job sets type in layout.
pub fn headline(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Headline = measured!(super::params(spec));
    let (Some(text), Some(r)) = (p.text.clone(), p.region) else {
        return Outcome::unmeasured(spec, "headline needs `text` and `region`");
    };
    if images.is_empty() {
        return Outcome::unmeasured(spec, "no image to read a headline on");
    }
    let mut worst = f64::MAX;
    for (i, img) in images.iter().enumerate() {
        match judge_headline(&p, &text, r, img) {
            Ok((contrast, _)) => worst = worst.min(contrast),
            Err((value, why)) => {
                return Outcome::new(spec, false, value, Some(p.min_contrast), format!("{why}{}", which(images, i)));
            }
        }
    }
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(p.min_contrast),
        format!("{text:?} set in type in the headline area, legible, contrast at least {worst:.1}:1"),
    )
}

#[cfg(test)]
mod tests {
    use super::towards;

    /// Images made to game `headline`: lettering without a record, a record
    /// without lettering, pale ink, a busy area, another line.
    mod headline_games {
        use super::super::*;
        use crate::imaging::font;

        fn spec() -> CheckSpec {
            let mut params = std::collections::BTreeMap::new();
            params.insert("text".to_string(), toml::Value::from("AUTUMN MENU"));
            let region = [0.04, 0.02, 0.92, 0.2].map(toml::Value::from);
            params.insert("region".to_string(), toml::Value::Array(region.to_vec()));
            CheckSpec { check: "headline".into(), severity: crate::checks::Severity::Essential, params }
        }

        /// A calm poster with `text` lettered in `ink` at the top, and the record `edit` makes of it.
        fn poster(text: &str, ink: [u8; 3], draw: bool, edit: impl Fn(&mut font::Lettering)) -> Image {
            let mut img = image::RgbImage::from_pixel(512, 640, image::Rgb([236, 233, 226]));
            let scale = font::fit_scale(text, 460, 108);
            let (x, y) = (256 - font::width(text, scale) / 2, 40);
            if draw {
                font::draw(&mut img, x, y, scale, text, ink);
            }
            let mut l = font::Lettering {
                text: text.into(),
                x,
                y,
                scale,
                color: crate::imaging::color::to_hex(ink),
                region: [0.05, 0.03, 0.9, 0.17],
                edge_density: 0.0,
                subject_overlap: 0.0,
                contrast: 13.0,
            };
            edit(&mut l);
            let record = serde_json::json!([{ "step": "text", "text": text, "result": l }]).to_string();
            let png = crate::recipe::png::encode_with(&img, &[(crate::recipe::png::POST_CHUNK, &record)]).unwrap();
            Image::load("poster.png", png)
        }

        #[test]
        fn only_the_exact_line_set_legibly_on_a_calm_area_passes() {
            let ok = headline(&spec(), &[poster("AUTUMN MENU", [26, 26, 26], true, |_| {})]);
            assert!(ok.passed, "{}", ok.message);
            // The model's lettering (no record): however it reads, it was not set.
            let mut img = image::RgbImage::from_pixel(512, 640, image::Rgb([236, 233, 226]));
            font::draw(&mut img, 60, 40, 6, "AUTUMN MENU", [26, 26, 26]);
            let png = crate::recipe::png::encode_with(&img, &[]).unwrap();
            let o = headline(&spec(), &[Image::load("model.png", png)]);
            assert!(!o.passed && o.message.contains(HEADLINE_NOT_SET), "{}", o.message);
            // A record with nothing drawn: the pixels do not carry it.
            let o = headline(&spec(), &[poster("AUTUMN MENU", [26, 26, 26], false, |_| {})]);
            assert!(!o.passed && o.message.contains("not on the picture as set"), "{}", o.message);
            // Pale ink: the contrast measured on the pixels, named.
            let o = headline(&spec(), &[poster("AUTUMN MENU", [200, 200, 200], true, |_| {})]);
            assert!(!o.passed && o.message.contains("WCAG contrast of 1.3"), "{}", o.message);
            // The step's own thresholds loosened onto a busy area: the check holds its own.
            let o = headline(&spec(), &[poster("AUTUMN MENU", [26, 26, 26], true, |l| l.edge_density = 0.2)]);
            assert!(!o.passed && o.message.contains("busy area"), "{}", o.message);
            // Another line set.
            let o = headline(&spec(), &[poster("AUTUMN MENUE", [26, 26, 26], true, |_| {})]);
            assert!(!o.passed && o.message.contains("reads \"AUTUMN MENUE\""), "{}", o.message);
        }
    }

    #[test]
    fn placement_advice_points_from_the_measured_box_to_the_target() {
        // The pose lesson's case: subject centred at x 0.39, target at x 0.18.
        let target = [0.18, 0.22, 0.2, 0.69];
        assert_eq!(towards([0.29, 0.22, 0.2, 0.69], target), "move it left");
        // Inside the target but too small: grow it, do not move it.
        assert_eq!(towards([0.23, 0.45, 0.1, 0.2], target), "make it larger");
        assert_eq!(towards([0.6, 0.0, 0.3, 0.3], [0.1, 0.6, 0.3, 0.3]), "move it left and down");
        assert_eq!(towards([0.0, 0.0, 1.0, 1.0], [0.6, 0.2, 0.3, 0.65]), "move it right and make it smaller");
    }
}
