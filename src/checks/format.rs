//! Technical checks: size and file format, exposure, and cleanliness (no
//! under-cooked noise or blur, no over-cfg saturation).

use super::registry::params;
use super::{CheckSpec, Context, Image, Outcome, per_image, which};
use crate::imaging::analysis;

params! {
    /// Parameters of `format`.
    pub struct Format {
        width: Option<u32> = int(1, 16384, None, "required width in pixels (default: the deliverable's)"),
        height: Option<u32> = int(1, 16384, None, "required height in pixels (default: the deliverable's)"),
        aspect: Option<String> = of(ParamKind::Text, "required aspect ratio such as \"4:5\" instead of an exact size"),
        file_type: Option<String> = of(ParamKind::Choice(&["png", "jpeg", "webp"]), "required file type"),
        color_mode: Option<String> = of(ParamKind::Choice(&["rgb", "rgba", "any"]), "required colour mode"),
    }
}

params! {
    /// Parameters of `exposure`.
    pub struct Exposure {
        key: Option<String> = of(
            ParamKind::Choice(&["normal", "high", "low"]),
            "the brief's intended key (default normal): high lets whites clip, low lets blacks",
        ),
        min_mean: Option<f64> = num(0.0, 1.0, None, "lowest mean luminance (0–1; default by key 0.15 / 0.45 / 0.02)"),
        max_mean: Option<f64> = num(0.0, 1.0, None, "highest mean luminance (0–1; default by key 0.85 / 0.97 / 0.55)"),
        max_clipped: f64 =
            num(0.0, 1.0, Some(0.08), "largest share of pixels clipped at each end the key does not use"),
    }
}

/// The intended key of a picture: how bright it is meant to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key {
    Normal,
    /// Bright, white backdrops: whites may clip, blacks may not.
    High,
    /// Dark, night, chiaroscuro: blacks may clip, whites may not.
    Low,
}

impl Key {
    fn parse(s: Option<&str>) -> Key {
        match s {
            Some("high") => Key::High,
            Some("low") => Key::Low,
            _ => Key::Normal,
        }
    }
    /// Default mean luminance range (measured: `docs/checks.md`).
    fn mean_range(self) -> (f64, f64) {
        match self {
            Key::Normal => (0.15, 0.85),
            Key::High => (0.45, 0.97),
            Key::Low => (0.02, 0.55),
        }
    }
}

/// What `exposure` measures on one picture, its letterbox bars left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExposureStats {
    /// Mean luminance, 0–1.
    pub mean: f64,
    /// Share of pixels at pure black (≤ 2 of 255).
    pub black: f64,
    /// Share of pixels at pure white (≥ 253 of 255).
    pub white: f64,
}

/// Exposure of `working` without its bars: runs of uniform black or white
/// lines at the frame's edges (letterbox and pillarbox bars, a seamless
/// backdrop's empty margin) are left out — they carry no detail to lose,
/// and a 2.39:1 film in a 16:9 frame would otherwise read as 25% crushed
/// shadows. At most 35% of each side is left out.
pub fn exposure_stats(working: &image::RgbImage) -> ExposureStats {
    let g = analysis::gray(working);
    let [top, bottom, left, right] = plain_border(&g);
    let (x0, x1) = (left, g.w.saturating_sub(right).max(left));
    let (y0, y1) = (top, g.h.saturating_sub(bottom).max(top));
    let (mut n, mut sum, mut black, mut white) = (0usize, 0.0, 0usize, 0usize);
    for y in y0..y1 {
        for v in &g.v[y * g.w + x0..y * g.w + x1] {
            n += 1;
            sum += f64::from(*v);
            black += usize::from(*v <= 2.0);
            white += usize::from(*v >= 253.0);
        }
    }
    let n = n.max(1) as f64;
    ExposureStats { mean: sum / n / 255.0, black: black as f64 / n, white: white as f64 / n }
}

/// Lines of pure black or white (≥ 98% of a line within 12 levels of 0–16
/// or 239–255) from each edge inward: top, bottom, left, right. One such
/// line is an edge artefact, not a bar.
fn plain_border(g: &analysis::Plane) -> [usize; 4] {
    let (w, h) = (g.w, g.h);
    let plain = |values: &mut dyn Iterator<Item = f32>, len: usize| {
        let (dark, light) =
            values.fold((0usize, 0usize), |(d, l), v| (d + usize::from(v <= 16.0), l + usize::from(v >= 239.0)));
        dark.max(light) as f64 >= 0.98 * len as f64
    };
    let row = |y: usize| plain(&mut g.v[y * w..(y + 1) * w].iter().copied(), w);
    let col = |x: usize| plain(&mut (0..h).map(|y| g.v[y * w + x]), h);
    let run = |count: usize, is_plain: &dyn Fn(usize) -> bool| {
        let k = (0..count * 35 / 100).take_while(|i| is_plain(*i)).count();
        if k >= 2 { k } else { 0 }
    };
    [run(h, &row), run(h, &|i| row(h - 1 - i)), run(w, &col), run(w, &|i| col(w - 1 - i))]
}

params! {
    /// Parameters of `clean`.
    pub struct Clean {
        max_noise: f64 =
            num(0.0, 255.0, Some(6.5), "highest noise σ (8-bit levels) in the flattest tenth of the picture"),
        max_blur: f64 = num(0.0, 1.0, Some(0.6), "highest blur (re-blur measure: 0 sharp, 1 blurred)"),
        max_saturated: f64 = num(0.0, 1.0, Some(0.25), "largest share of pixels at full saturation"),
    }
}

/// `format`: every image has the exact size (or aspect ratio within ±0.5%),
/// the file type and colour mode asked for, and the set has the right count.
/// Reads the files as they are (no working-size copy).
pub fn format(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let p: Format = measured!(super::params(spec));
    let want_w = p.width.or(ctx.deliverable.width);
    let want_h = p.height.or(ctx.deliverable.height);
    let aspect = p.aspect.as_deref().and_then(parse_aspect);
    let mut problems = Vec::new();
    let count = ctx.deliverable.count as usize;
    if count > 0 && images.len() != count {
        problems.push(format!(
            "{} image{} delivered, {count} asked for",
            images.len(),
            if images.len() == 1 { "" } else { "s" }
        ));
    }
    let mut ok = 0;
    for (i, img) in images.iter().enumerate() {
        let d = match &img.decoded {
            Ok(d) => d,
            Err(e) => {
                problems.push(format!("{} cannot be read: {e}", img.label));
                continue;
            }
        };
        let mut fine = true;
        if d.transparent {
            problems.push(format!("{} is fully transparent: nothing would show", img.label));
            fine = false;
        }
        if let Some((aw, ah)) = aspect {
            let got = d.width as f64 / d.height.max(1) as f64;
            let want = aw / ah;
            if (got / want - 1.0).abs() > 0.005 {
                problems.push(format!("{}×{} is not {}:{}{}", d.width, d.height, aw, ah, which(images, i)));
                fine = false;
            }
        } else if let (Some(w), Some(h)) = (want_w, want_h)
            && (d.width, d.height) != (w, h)
        {
            problems.push(format!(
                "{}×{} instead of {w}×{h}{}: set width = {w} and height = {h}",
                d.width,
                d.height,
                which(images, i)
            ));
            fine = false;
        }
        if let Some(t) = p.file_type.as_deref() {
            let got = d.format.map(|f| f.extensions_str().first().copied().unwrap_or("?")).unwrap_or("unknown");
            let same = got == t || (t == "jpeg" && got == "jpg");
            if !same {
                problems.push(format!("file type {got} instead of {t}{}", which(images, i)));
                fine = false;
            }
        }
        if let Some(mode) = p.color_mode.as_deref() {
            let has_alpha = d.color.has_alpha();
            let grey = !d.color.has_color();
            let bad = match mode {
                "rgb" => has_alpha || grey,
                "rgba" => !has_alpha,
                _ => false,
            };
            if bad {
                problems.push(format!("colour mode {:?} instead of {mode}{}", d.color, which(images, i)));
                fine = false;
            }
        }
        if fine {
            ok += 1;
        }
    }
    let passed = problems.is_empty();
    let message = if passed {
        match (want_w, want_h, aspect) {
            (_, _, Some((a, b))) => format!("{} image(s) at {a}:{b}, as asked", images.len()),
            (Some(w), Some(h), _) => format!("{} image(s) at {w}×{h}, as asked", images.len()),
            _ => format!("{} image(s), readable", images.len()),
        }
    } else {
        problems.join("; ")
    };
    Outcome::new(spec, passed, Some(ok as f64), Some(images.len().max(count) as f64), message)
}

fn parse_aspect(s: &str) -> Option<(f64, f64)> {
    let (a, b) = s.split_once(':')?;
    let (a, b) = (a.trim().parse::<f64>().ok()?, b.trim().parse::<f64>().ok()?);
    (a > 0.0 && b > 0.0).then_some((a, b))
}

/// `exposure`: mean luminance (0–1, Rec. 601 luma) within [min_mean,
/// max_mean] and at most max_clipped (default 8%) of pixels at pure black
/// (≤ 2) and at most that at pure white (≥ 253), both for the brief's `key`:
/// normal 0.15–0.85; high (white seamless, bright airy) 0.45–0.97 with
/// whites free to clip; low (night, chiaroscuro) 0.02–0.55 with blacks free
/// to clip. Measured at working size without letterbox bars. Calibrated on
/// 80 photographs and 91 model outputs (`examples/measure_exposure.rs`,
/// `docs/checks.md`).
pub fn exposure(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Exposure = measured!(super::params(spec));
    let key = Key::parse(p.key.as_deref());
    let (lo, hi) = (p.min_mean.unwrap_or(key.mean_range().0), p.max_mean.unwrap_or(key.mean_range().1));
    let max_clip = p.max_clipped;
    let stats: Vec<ExposureStats> =
        measured!(per_image(spec, images, |img, _| exposure_stats(&img.working().unwrap_or_default())));
    for (i, s) in stats.iter().enumerate() {
        let mean = s.mean;
        if mean < lo {
            return Outcome::new(
                spec,
                false,
                Some(mean),
                Some(lo),
                format!(
                    "too dark{}: mean luminance {mean:.2} < {lo:.2}. Brighter lighting words (noon, soft light) or a lighter scene help.",
                    which(images, i)
                ),
            );
        }
        if mean > hi {
            return Outcome::new(
                spec,
                false,
                Some(mean),
                Some(hi),
                format!(
                    "too bright{}: mean luminance {mean:.2} > {hi:.2}. Darker tones or less blown-out lighting help.",
                    which(images, i)
                ),
            );
        }
        // The end of the range the key uses may clip (a white seamless
        // backdrop, a night sky); the other end must keep its detail.
        let clipped = [("black", s.black, key != Key::Low), ("white", s.white, key != Key::High)];
        if let Some((end, share, _)) = clipped.iter().find(|(_, share, counts)| *counts && *share > max_clip) {
            return Outcome::new(
                spec,
                false,
                Some(*share),
                Some(max_clip),
                format!(
                    "{:.1}% of pixels are clipped to pure {end}{} (at most {:.1}% wanted): lower cfg or soften the lighting{}.",
                    share * 100.0,
                    which(images, i),
                    max_clip * 100.0,
                    match key {
                        Key::Normal => "; a brief that wants a high or low key says so (`key`)",
                        _ => "",
                    }
                ),
            );
        }
    }
    let worst =
        stats.iter().map(|s| s.mean).fold(0.5, |a: f64, m| if (m - 0.5).abs() > (a - 0.5).abs() { m } else { a });
    let key_note = match key {
        Key::Normal => "",
        Key::High => " (high key)",
        Key::Low => " (low key)",
    };
    Outcome::new(
        spec,
        true,
        Some(worst),
        None,
        format!("exposure healthy{key_note}: mean luminance {worst:.2} within {lo:.2}–{hi:.2}, little clipping"),
    )
}

/// `clean`: the image has converged and is not over-driven. Measures, at
/// working size: the noise σ of its flattest tenth
/// ([`analysis::noise_sigma_flat`] — too few steps leave grain everywhere,
/// texture stays out of the flat blocks), how blurred it is
/// ([`analysis::blur_metric`] — a soft, unconverged or upscaled-blurry
/// image), and the share of fully saturated pixels (HSV S ≥ 0.97 and V ≥
/// 0.15 — very high cfg drives colours to the limit). Defaults measured in
/// docs/checks.md (`examples/measure_clean.rs`).
pub fn clean(spec: &CheckSpec, images: &[Image]) -> Outcome {
    let p: Clean = measured!(super::params(spec));
    let (max_noise, max_blur, max_sat) = (p.max_noise, p.max_blur, p.max_saturated);
    let stats = measured!(per_image(spec, images, |img, _| {
        let w = img.working().unwrap_or_default();
        let g = analysis::gray(&w);
        let sat = w
            .pixels()
            .filter(|p| {
                let (mx, mn) = (p.0.iter().max().copied().unwrap_or(0), p.0.iter().min().copied().unwrap_or(0));
                mx as f32 >= 0.15 * 255.0 && (mx - mn) as f32 / mx.max(1) as f32 >= 0.97
            })
            .count() as f64
            / (w.width() as f64 * w.height() as f64).max(1.0);
        (analysis::noise_sigma_flat(&g), analysis::blur_metric(&g), sat)
    }));
    for (i, (noise, blur, sat)) in stats.iter().enumerate() {
        if *noise > max_noise {
            return Outcome::new(
                spec,
                false,
                Some(*noise),
                Some(max_noise),
                format!(
                    "noisy{}: noise σ {noise:.1} > {max_noise:.1} grey levels. The image has not converged: raise steps (20–30).",
                    which(images, i)
                ),
            );
        }
        if *blur > max_blur {
            return Outcome::new(
                spec,
                false,
                Some(*blur),
                Some(max_blur),
                format!(
                    "soft{}: blur {blur:.2} > {max_blur:.2} (0 sharp, 1 blurred). An unconverged render or a blurry upscale: raise steps, or upscale with a model (hires fix) rather than stretching.",
                    which(images, i)
                ),
            );
        }
        if *sat > max_sat {
            return Outcome::new(
                spec,
                false,
                Some(*sat),
                Some(max_sat),
                format!(
                    "over-saturated{}: {:.0}% of pixels at full saturation (at most {:.0}%). cfg is too high: try 5–9.",
                    which(images, i),
                    sat * 100.0,
                    max_sat * 100.0
                ),
            );
        }
    }
    let noise = stats.iter().map(|s| s.0).fold(0.0, f64::max);
    let blur = stats.iter().map(|s| s.1).fold(0.0, f64::max);
    Outcome::new(
        spec,
        true,
        Some(noise),
        Some(max_noise),
        format!("clean: noise σ {noise:.1} ≤ {max_noise:.1}, blur {blur:.2} ≤ {max_blur:.2}, colours not over-driven"),
    )
}
