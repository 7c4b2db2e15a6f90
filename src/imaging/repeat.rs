//! Does the subject appear a second time? The twins and double figures a
//! diffusion model draws far above its training size (SD 1.5 at 1024²: two
//! foxes side by side, a second head stacked on a tall canvas) — the failure
//! hires fix exists to prevent.
//!
//! The measure is template matching, the classical way to find a copy of a
//! patch. Real models repeat along the canvas's long side (side by side on a
//! square or wide canvas, stacked on a tall one), so the search runs along
//! that axis only: the subject's box (from [`super::subject`]; the whole
//! picture when no distinct subject is found) and, when the box is longer along that axis
//! than across, its first and last half (the finder boxed both copies) are each compared, by normalised
//! cross-correlation (NCC), with every window of their size in their band
//! (level within 15% of the height, or of the width when stacked) that does
//! not overlap them. What is compared is detail, not light: each Lab channel
//! band-passed (a Gaussian σ = 1 minus σ = 6 on a 128-px copy) with each
//! row's mean taken out (each column's when stacked), so a vignette, a sky
//! gradient or a horizon running across the frame does not correlate, and a
//! window must hold at least 0.3 of the other's detail.
//!
//! Measured (`tests/it/checks.rs`, `single_subject_passes_real_pictures_and_fails_twins`):
//! on the 142 real pictures of one subject in the fixtures (80 DreamBooth
//! photos, 62 SD 1.5 outputs with ControlNet, IP-Adapter or a LoRA) the best
//! copy scores at most 0.48; the practice renderer's twins at 2× native
//! score 0.46–0.99, 7 of 8 above 0.6. Twins it misses: no distinct subject
//! found, or a box around both copies with much scenery.

use image::RgbImage;

use super::analysis::{Plane, convolve, gaussian_kernel, lab};

/// The analysis grid's longer side, in cells.
const SIDE: u32 = 128;
/// The band-pass: fine detail minus the light and shading around it.
const FINE_SIGMA: f32 = 1.0;
const COARSE_SIGMA: f32 = 6.0;
/// Side by side means level within this share of the height (and stacked,
/// within this share of the width).
const BAND: f64 = 0.15;
/// A copy's detail energy is at least this share of the other window's.
const MIN_ENERGY_RATIO: f64 = 0.3;
/// A half box narrower than this many cells is a strip, not a figure.
const MIN_PART: usize = 10;
/// A box smaller than this many cells a side is too small to match.
const MIN_CELLS: usize = 6;

/// The best second copy of the subject found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Repeat {
    /// NCC of the best copy, 0–1 (negative correlation counts as 0).
    pub score: f64,
    /// Where the copy is: x, y, w, h in fractions of the image.
    pub at: [f64; 4],
}

/// The strongest second appearance of the subject boxed by `subject` (x, y,
/// w, h in fractions of `img`).
pub fn second_subject(img: &RgbImage, subject: [f64; 4]) -> Repeat {
    let none = Repeat { score: 0.0, at: [0.0; 4] };
    let small = super::shrink(img.clone(), SIDE);
    let (w, h) = (small.width() as usize, small.height() as usize);
    if w < 2 * MIN_CELLS || h < 2 * MIN_CELLS {
        return none;
    }
    let detail = band_pass(&small);
    let cell = |f: f64, n: usize| ((f * n as f64).round().max(0.0) as usize).min(n);
    let (bx, by) = (cell(subject[0], w), cell(subject[1], h));
    let (bw, bh) = (cell(subject[2], w).min(w - bx), cell(subject[3], h).min(h - by));
    if bw < MIN_CELLS || bh < MIN_CELLS {
        return none;
    }
    // SD repeats along the canvas's long side: twins side by side on a
    // square or wide canvas, a figure stacked on itself on a tall one.
    let axis = if w >= h { Axis::Rows } else { Axis::Cols };
    let planes = centred(&detail, w, h, axis);
    let mut best = none;
    for t in templates([bx, by, bw, bh], axis) {
        let [tx, ty, tw, th] = t;
        let (band_x, band_y) = match axis {
            Axis::Rows => (w, (BAND * h as f64).round() as usize),
            Axis::Cols => ((BAND * w as f64).round() as usize, h),
        };
        for y in ty.saturating_sub(band_y)..=(ty + band_y).min(h - th) {
            for x in tx.saturating_sub(band_x)..=(tx + band_x).min(w - tw) {
                let disjoint = x >= tx + tw || x + tw <= tx || y >= ty + th || y + th <= ty;
                if !disjoint {
                    continue;
                }
                let score = ncc(&planes, w, (tx, ty), (x, y), (tw, th));
                if score > best.score {
                    let (fw, fh) = (w as f64, h as f64);
                    best = Repeat { score, at: [x as f64 / fw, y as f64 / fh, tw as f64 / fw, th as f64 / fh] };
                }
            }
        }
    }
    best
}

/// The box and, when it may hold two copies (the finder boxed both), its
/// first and last half along the axis the copies would repeat on.
fn templates(b: [usize; 4], axis: Axis) -> Vec<[usize; 4]> {
    let [x, y, w, h] = b;
    let mut out = vec![b];
    // The box's first and last half along the axis, when the box is longer
    // along it than across (two figures side by side make a wide box; one
    // figure with some scenery beside it, a tall one).
    let long = match axis {
        Axis::Rows => w >= h,
        Axis::Cols => h >= w,
    };
    for k in [0, 4].into_iter().filter(|_| long) {
        match axis {
            Axis::Rows if w / 2 >= MIN_PART => out.push([x + k * (w - w / 2) / 4, y, w / 2, h]),
            Axis::Cols if h / 2 >= MIN_PART => out.push([x, y + k * (h - h / 2) / 4, w, h / 2]),
            _ => {}
        }
    }
    out
}

/// Each Lab channel's fine detail: σ 1 minus σ 6.
fn band_pass(img: &RgbImage) -> [Plane; 3] {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let labs: Vec<[f32; 3]> = img.pixels().map(|p| lab(p.0)).collect();
    let fine = gaussian_kernel(FINE_SIGMA, 3);
    let coarse = gaussian_kernel(COARSE_SIGMA, 18);
    std::array::from_fn(|c| {
        let p = Plane { w, h, v: labs.iter().map(|l| l[c]).collect() };
        let (a, b) = (convolve(&p, &fine), convolve(&p, &coarse));
        Plane { w, h, v: a.v.iter().zip(&b.v).map(|(x, y)| x - y).collect() }
    })
}

#[derive(Clone, Copy)]
enum Axis {
    Rows,
    Cols,
}

/// The planes with each row's (or column's) mean taken out: what runs across
/// the whole frame (a horizon, a shelf) is not a copy of anything.
fn centred(planes: &[Plane; 3], w: usize, h: usize, axis: Axis) -> [Vec<f32>; 3] {
    std::array::from_fn(|c| {
        let v = &planes[c].v;
        let mut out = v.clone();
        match axis {
            Axis::Rows => {
                for y in 0..h {
                    let row = &mut out[y * w..(y + 1) * w];
                    let m = row.iter().sum::<f32>() / w as f32;
                    row.iter_mut().for_each(|x| *x -= m);
                }
            }
            Axis::Cols => {
                for x in 0..w {
                    let m = (0..h).map(|y| v[y * w + x]).sum::<f32>() / h as f32;
                    (0..h).for_each(|y| out[y * w + x] -= m);
                }
            }
        }
        out
    })
}

/// Zero-mean NCC of two windows of the same size over all three channels.
fn ncc(planes: &[Vec<f32>; 3], w: usize, a: (usize, usize), b: (usize, usize), size: (usize, usize)) -> f64 {
    let (cw, ch) = size;
    let n = (cw * ch) as f64;
    if n == 0.0 {
        return 0.0;
    }
    let (mut sab, mut saa, mut sbb) = (0f64, 0f64, 0f64);
    for p in planes {
        let (mut sa, mut sb, mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64, 0f64, 0f64);
        for y in 0..ch {
            let ra = &p[(a.1 + y) * w + a.0..(a.1 + y) * w + a.0 + cw];
            let rb = &p[(b.1 + y) * w + b.0..(b.1 + y) * w + b.0 + cw];
            for (x, y) in ra.iter().zip(rb) {
                let (x, y) = (f64::from(*x), f64::from(*y));
                sa += x;
                sb += y;
                ab += x * y;
                aa += x * x;
                bb += y * y;
            }
        }
        sab += ab - sa * sb / n;
        saa += aa - sa * sa / n;
        sbb += bb - sb * sb / n;
    }
    // A copy has the subject's amount of detail: a plain patch that happens
    // to correlate is not one.
    if saa.min(sbb) < MIN_ENERGY_RATIO * saa.max(sbb) {
        return 0.0;
    }
    let d = (saa * sbb).sqrt();
    if d <= 1e-9 { 0.0 } else { (sab / d).max(0.0) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::Rgb;

    /// A textured blob (a "subject") at `x` on a plain, gradient-lit ground.
    fn scene(w: u32, h: u32, at: &[u32]) -> RgbImage {
        RgbImage::from_fn(w, h, |x, y| {
            let light = (120.0 + 80.0 * (x as f32 / w as f32)) as u8;
            for &cx in at {
                let (dx, dy) = (x as i32 - cx as i32, y as i32 - (h / 2) as i32);
                if dx.abs() < 40 && dy.abs() < 60 {
                    let stripe = if (dx / 8 + dy / 12) % 2 == 0 { 40 } else { 200 };
                    return Rgb([stripe, 90, 255 - stripe]);
                }
            }
            Rgb([light, light, light])
        })
    }

    #[test]
    fn a_second_copy_beside_the_subject_is_found_and_one_subject_is_not() {
        let twins = scene(512, 256, &[128, 384]);
        let r = second_subject(&twins, [168.0 / 512.0 - 0.16, 0.26, 0.16, 0.48]);
        assert!(r.score > 0.9, "twins {r:?}");
        assert!(r.at[0] > 0.6, "the copy is on the right: {r:?}");
        let one = scene(512, 256, &[256]);
        let r = second_subject(&one, [0.42, 0.26, 0.16, 0.48]);
        assert!(r.score < 0.3, "one subject {r:?}");
    }

    #[test]
    fn two_copies_inside_one_box_are_found() {
        let twins = scene(512, 256, &[200, 312]);
        let r = second_subject(&twins, [0.3, 0.2, 0.4, 0.6]);
        assert!(r.score > 0.8, "{r:?}");
    }

    #[test]
    fn tiny_and_empty_inputs_measure_nothing() {
        assert_eq!(second_subject(&RgbImage::new(4, 4), [0.0, 0.0, 1.0, 1.0]).score, 0.0);
        assert_eq!(second_subject(&scene(256, 256, &[128]), [0.5, 0.5, 0.0, 0.0]).score, 0.0);
    }
}
