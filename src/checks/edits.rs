//! Conditioning and editing: adherence to a control map, structure kept and
//! style changed in image-to-image, inpainting that stays inside its mask.

use image::{GrayImage, RgbImage, imageops::FilterType};

use super::CheckSpec;
use super::{Context, Image, Outcome, WORKING_SIDE, asset, per_image, which};
use crate::imaging::analysis;

/// A control map as a 0/1 edge map at `w`×`h`: lines are whichever of
/// light-on-dark or dark-on-light is the minority.
fn control_edges(img: &RgbImage, w: u32, h: u32) -> Vec<u8> {
    let g: GrayImage =
        image::imageops::resize(&image::DynamicImage::ImageRgb8(img.clone()).to_luma8(), w, h, FilterType::Nearest);
    let mean = g.pixels().map(|p| p.0[0] as f64).sum::<f64>() / g.len().max(1) as f64;
    g.pixels().map(|p| if mean < 128.0 { (p.0[0] >= 128) as u8 } else { (p.0[0] < 128) as u8 }).collect()
}

/// `edge_adherence`: Canny edges of the output (pinned parameters, see
/// [`analysis::canny`], at working size) against the control edge map, F1
/// with a tolerance of 2 px per 512 px (pass ≥ min_f1 = 0.50, strong ≥
/// strong_f1 = 0.65). Also reports the exact-pixel F1 of the ControlNet++
/// paper (ControlNet 0.35, ControlNet++ 0.37 on their set).
pub fn edge_adherence(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let control = measured!(asset(spec, ctx, "control"));
    let Ok(cd) = control.pixels() else { return Outcome::unmeasured(spec, "the control map cannot be read") };
    let (min, strong) = (spec.num("min_f1"), spec.num("strong_f1"));
    let scores = measured!(per_image(spec, images, |img, _| {
        let w = img.working().unwrap_or_default();
        let (iw, ih) = w.dimensions();
        let truth = control_edges(&cd.rgb, iw, ih);
        let pred = analysis::canny(&analysis::gray(&w));
        let r = ((2.0 * iw.max(ih) as f64 / 512.0).round() as usize).max(1);
        (
            analysis::edge_f1(&pred, &truth, iw as usize, ih as usize, r).f1,
            analysis::edge_f1(&pred, &truth, iw as usize, ih as usize, 0).f1,
        )
    }));
    let (i, (f1, exact)) = super::lowest(&scores, |s| s.0);
    if f1 < min {
        return Outcome::new(
            spec,
            false,
            Some(f1),
            Some(min),
            format!(
                "the layout does not follow the edge map{}: edge F1 {f1:.2} < {min:.2} (exact-pixel F1 {exact:.2}). \
                 Add the map as a [[control]] with kind = \"edges\" and weight around 1.0.",
                which(images, i)
            ),
        );
    }
    let grade = if f1 >= strong { "strong" } else { "adequate" };
    Outcome::new(
        spec,
        true,
        Some(f1),
        Some(min),
        format!("{grade} edge adherence: F1 {f1:.2} ≥ {min:.2} (exact-pixel F1 {exact:.2})"),
    )
}

/// `mask_adherence`: the boundaries between the control mask's regions
/// (three grey levels) appear as edges in the output: boundary F1 with a
/// 2 px-per-512 tolerance ≥ min_boundary_f1 (default 0.4). Also reports how
/// uniform each region's colour is (mean Lab standard deviation).
pub fn mask_adherence(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let control = measured!(asset(spec, ctx, "control"));
    let Ok(cd) = control.pixels() else { return Outcome::unmeasured(spec, "the control map cannot be read") };
    let min = spec.num("min_boundary_f1");
    let scores = measured!(per_image(spec, images, |img, _| {
        let w = img.working().unwrap_or_default();
        let (iw, ih) = (w.width() as usize, w.height() as usize);
        let g = image::imageops::resize(
            &image::DynamicImage::ImageRgb8(cd.rgb.clone()).to_luma8(),
            iw as u32,
            ih as u32,
            FilterType::Nearest,
        );
        let level: Vec<u8> = g
            .pixels()
            .map(|p| {
                if p.0[0] >= 200 {
                    2
                } else if p.0[0] >= 64 {
                    1
                } else {
                    0
                }
            })
            .collect();
        let mut boundary = vec![0u8; iw * ih];
        for y in 0..ih {
            for x in 0..iw {
                let l = level[y * iw + x];
                if (x + 1 < iw && level[y * iw + x + 1] != l) || (y + 1 < ih && level[(y + 1) * iw + x] != l) {
                    boundary[y * iw + x] = 1;
                }
            }
        }
        let pred = analysis::canny(&analysis::gray(&w));
        let f1 = analysis::edge_f1(&pred, &boundary, iw, ih, 2).f1;
        let mut spread = 0.0;
        for lv in 0..3u8 {
            let labs: Vec<[f32; 3]> =
                w.pixels().zip(&level).filter(|(_, l)| **l == lv).map(|(p, _)| analysis::lab(p.0)).collect();
            if labs.len() > 1 {
                let n = labs.len() as f64;
                let mean = (0..3).map(|k| labs.iter().map(|l| l[k] as f64).sum::<f64>() / n).collect::<Vec<_>>();
                let var =
                    labs.iter().map(|l| (0..3).map(|k| (l[k] as f64 - mean[k]).powi(2)).sum::<f64>()).sum::<f64>() / n;
                spread += var.sqrt() / 3.0;
            }
        }
        (f1, spread)
    }));
    let (i, (f1, spread)) = super::lowest(&scores, |s| s.0);
    let passed = f1 >= min;
    let msg = if passed {
        format!("regions follow the mask: boundary F1 {f1:.2} ≥ {min:.2} (region colour spread {spread:.1})")
    } else {
        format!(
            "the regions do not follow the mask{}: boundary F1 {f1:.2} < {min:.2}. Use it as a [[control]] with kind = \"mask\".",
            which(images, i)
        )
    };
    Outcome::new(spec, passed, Some(f1), Some(min), msg)
}

/// The pixels of an image asset named by a parameter.
fn asset_pixels(spec: &CheckSpec, ctx: &Context<'_>, param: &str) -> Result<RgbImage, Outcome> {
    let img = asset(spec, ctx, param)?;
    img.pixels().map(|d| d.rgb.clone()).map_err(|e| Outcome::unmeasured(spec, e))
}

/// Greyscale of the init and the output at the same working size.
fn pair(init: &RgbImage, out: &RgbImage) -> (analysis::Plane, analysis::Plane) {
    let o = analysis::working(out, WORKING_SIDE);
    let i = image::imageops::resize(init, o.width(), o.height(), FilterType::Triangle);
    (analysis::gray(&i), analysis::gray(&o))
}

/// `structure_kept`: Gaussian SSIM (see [`analysis::ssim`]) between the
/// greyscale init image and the output ≥ min_ssim (default 0.7: unrelated
/// photos with smooth backgrounds reach 0.5–0.64 on the DreamBooth set).
pub fn structure_kept(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let id = measured!(asset_pixels(spec, ctx, "init"));
    let min = spec.num("min_ssim");
    let ssims = measured!(per_image(spec, images, |_, d| {
        let (a, b) = pair(&id, &d.rgb);
        analysis::ssim(&a, &b)
    }));
    let (i, worst) = super::lowest(&ssims, |v| *v);
    if worst < min {
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(min),
            format!(
                "the init image's structure is lost{}: SSIM {worst:.2} < {min:.2}. Lower init.strength (try 0.3–0.5).",
                which(images, i)
            ),
        );
    }
    Outcome::new(spec, true, Some(worst), Some(min), format!("structure kept: SSIM {worst:.2} ≥ {min:.2}"))
}

/// `style_changed`: weighted palette distance (k = 5, Lab, CIEDE2000)
/// between the init image and the output ≥ min_delta_e (default 8).
pub fn style_changed(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let id = measured!(asset_pixels(spec, ctx, "init"));
    let min = spec.num("min_delta_e");
    let pal = |img: &RgbImage| {
        let s = analysis::working(img, 128);
        analysis::dominant(&s.pixels().map(|p| analysis::lab(p.0)).collect::<Vec<_>>(), 5)
    };
    let base = pal(&id);
    let ds = measured!(per_image(spec, images, |_, d| analysis::palette_distance(&base, &pal(&d.rgb))));
    let (i, worst) = super::lowest(&ds, |v| *v);
    if worst < min {
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(min),
            format!(
                "the style barely changed{}: palette ΔE00 {worst:.1} < {min:.1}. Raise init.strength a little or name the new palette and style.",
                which(images, i)
            ),
        );
    }
    Outcome::new(spec, true, Some(worst), Some(min), format!("style changed: palette ΔE00 {worst:.1} ≥ {min:.1}"))
}

/// The init image and mask for the inpainting checks, at the output's full size.
fn init_and_mask(spec: &CheckSpec, ctx: &Context<'_>) -> Result<(RgbImage, GrayImage), Outcome> {
    let init = asset(spec, ctx, "init")?;
    let mask = asset(spec, ctx, "mask")?;
    let (Ok(i), Ok(m)) = (init.pixels(), mask.pixels()) else {
        return Err(Outcome::unmeasured(spec, "init or mask cannot be read"));
    };
    Ok((i.rgb.clone(), image::DynamicImage::ImageRgb8(m.rgb.clone()).to_luma8()))
}

/// `outside_mask_preserved`: SSIM between init and output averaged over
/// the pixels outside the mask (mask < 128), at full size, ≥ min_ssim
/// (default 0.98) — and, since SSIM is computed on greyscale and cannot see
/// a recolouring, the mean CIEDE2000 there ≤ max_delta_e (default 2).
pub fn outside_mask_preserved(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let (init, mask) = measured!(init_and_mask(spec, ctx));
    let (min, max_de) = (spec.num("min_ssim"), spec.num("max_delta_e"));
    let vals = measured!(per_image(spec, images, |_, d| {
        if d.rgb.dimensions() != init.dimensions() || mask.dimensions() != init.dimensions() {
            return None;
        }
        let (map, _, _) = analysis::ssim_map(&analysis::gray(&init), &analysis::gray(&d.rgb))?;
        let (mut sum, mut de, mut n) = (0.0f64, 0.0f64, 0usize);
        for (i, ((m, a), b)) in mask.pixels().zip(init.pixels()).zip(d.rgb.pixels()).enumerate() {
            if m.0[0] < 128 {
                sum += map[i] as f64;
                if a != b {
                    de += analysis::delta_e(analysis::lab(a.0), analysis::lab(b.0)) as f64;
                }
                n += 1;
            }
        }
        Some(if n == 0 { (1.0, 0.0) } else { (sum / n as f64, de / n as f64) })
    }));
    for (i, v) in vals.iter().enumerate() {
        match v {
            None => {
                return Outcome::new(
                    spec,
                    false,
                    None,
                    Some(min),
                    format!(
                        "the output{} is not the size of the init image and mask: inpainting must keep the size",
                        which(images, i)
                    ),
                );
            }
            Some((s, _)) if *s < min => {
                return Outcome::new(
                    spec,
                    false,
                    Some(*s),
                    Some(min),
                    format!(
                        "pixels outside the mask changed{}: SSIM there {s:.3} < {min:.2}. Inpaint with the mask ([init] mask = …) instead of regenerating the whole image.",
                        which(images, i)
                    ),
                );
            }
            Some((_, de)) if *de > max_de => {
                return Outcome::new(
                    spec,
                    false,
                    Some(*de),
                    Some(max_de),
                    format!(
                        "colours outside the mask changed{}: mean ΔE00 there {de:.1} > {max_de:.1}. Inpaint with the mask ([init] mask = …) so the rest is kept.",
                        which(images, i)
                    ),
                );
            }
            _ => {}
        }
    }
    let worst = vals.iter().flatten().map(|v| v.0).fold(1.0, f64::min);
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(min),
        format!("everything outside the mask kept: SSIM {worst:.3} ≥ {min:.2}, colours unchanged"),
    )
}

/// `inside_changed`: mean CIEDE2000 between init and output inside the
/// mask (mask ≥ 128) ≥ min_delta_e (default 10).
pub fn inside_changed(spec: &CheckSpec, images: &[Image], ctx: &Context<'_>) -> Outcome {
    let (init, mask) = measured!(init_and_mask(spec, ctx));
    let min = spec.num("min_delta_e");
    let vals = measured!(per_image(spec, images, |_, d| {
        if d.rgb.dimensions() != init.dimensions() {
            return None;
        }
        let (mut sum, mut n) = (0.0f64, 0usize);
        for ((m, a), b) in mask.pixels().zip(init.pixels()).zip(d.rgb.pixels()).step_by(3) {
            if m.0[0] >= 128 {
                sum += analysis::delta_e(analysis::lab(a.0), analysis::lab(b.0)) as f64;
                n += 1;
            }
        }
        Some(if n == 0 { 0.0 } else { sum / n as f64 })
    }));
    let worst = vals.iter().map(|v| v.unwrap_or(0.0)).fold(f64::MAX, f64::min);
    if worst < min {
        return Outcome::new(
            spec,
            false,
            Some(worst),
            Some(min),
            format!(
                "the masked area hardly changed: mean ΔE00 {worst:.1} < {min:.1}. Raise init.strength and describe what should appear there."
            ),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(worst),
        Some(min),
        format!("the masked area was repainted: mean ΔE00 {worst:.1} ≥ {min:.1}"),
    )
}
