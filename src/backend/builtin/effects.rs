//! Whole-image passes over a float RGB buffer: style finishes, the light's
//! colour grade, cfg's saturation, and the noise and softness of too few
//! steps. Per-pixel randomness comes from position hashes, so results do
//! not depend on order or threads.

#![allow(clippy::needless_range_loop)] // numeric kernels index several buffers in step

use super::plan::Plan;
use super::rng;
use crate::recipe::vocab::Style;

/// A float RGB image in 0–255.
pub struct Buf {
    pub w: usize,
    pub h: usize,
    pub px: Vec<[f32; 3]>,
}

impl Buf {
    pub fn from_rgba(data: &[u8], w: usize, h: usize) -> Buf {
        Buf { w, h, px: data.chunks_exact(4).map(|p| [p[0] as f32, p[1] as f32, p[2] as f32]).collect() }
    }
    pub fn to_rgb8(&self) -> Vec<u8> {
        // Filled in place, not extended pixel by pixel: no capacity check per
        // byte, so the loop vectorises.
        let mut out = vec![0u8; self.px.len() * 3];
        for (o, p) in out.chunks_exact_mut(3).zip(&self.px) {
            o.copy_from_slice(&p.map(byte));
        }
        out
    }
    fn luma(p: [f32; 3]) -> f32 {
        0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2]
    }
}

/// A channel value as a byte, rounded: clamped, then +0.5 and truncated —
/// `round` for these values without the software `roundf` the baseline
/// x86-64 target calls per pixel (it was ~15% of an edge-control render).
pub fn byte(v: f32) -> u8 {
    (v.clamp(0.0, 255.0) + 0.5) as u8
}

/// Separable box blur of radius `r` (repeated, it approximates a Gaussian).
pub fn box_blur(b: &mut Buf, r: usize) {
    box_blur_xy(b, r, r);
}

/// Separable box blur, radius `rx` along rows and `ry` along columns.
///
/// The vertical running sums read the horizontally blurred rows from a ring
/// of `2·ry + 2` rows that is filled just ahead of them, so a blur touches
/// the image once in memory order and allocates no second image (a full
/// intermediate buffer, 48 MB at 2048², made every blur memory-bound and
/// grew faster than the pixel count, #20). Every sum is the same operations
/// in the same order as a blur over a whole intermediate image, so the
/// pixels are bit-identical to it (tested against that reference).
pub fn box_blur_xy(b: &mut Buf, rx: usize, ry: usize) {
    if (rx == 0 && ry == 0) || b.w == 0 || b.h == 0 {
        return;
    }
    let (w, h) = (b.w, b.h);
    if ry == 0 {
        let mut row = vec![[0f32; 3]; w];
        for line in b.px.chunks_exact_mut(w) {
            blur_row(line, &mut row, rx);
            line.copy_from_slice(&row);
        }
        return;
    }
    let slots = (2 * ry + 2).min(h);
    let mut ring = vec![[0f32; 3]; slots * w];
    // Rows 0..ready are blurred into the ring (row r in slot r % slots).
    let mut ready = 0;
    let mut fill = |px: &[[f32; 3]], ring: &mut [[f32; 3]], upto: usize| {
        while ready < upto {
            let slot = &mut ring[(ready % slots) * w..][..w];
            let src = &px[ready * w..][..w];
            if rx == 0 {
                slot.copy_from_slice(src);
            } else {
                blur_row(src, slot, rx);
            }
            ready += 1;
        }
    };
    let row = |r: usize| (r % slots) * w..(r % slots + 1) * w;
    let norm = 1.0 / (2 * ry + 1) as f32;
    let mut acc = vec![[0f32; 3]; w];
    fill(&b.px, &mut ring, (ry + 1).min(h));
    for i in 0..=2 * ry {
        let r = (i as isize - ry as isize).clamp(0, h as isize - 1) as usize;
        for (a, p) in acc.iter_mut().zip(&ring[row(r)]) {
            (0..3).for_each(|k| a[k] += p[k]);
        }
    }
    for y in 0..h {
        // Row y is overwritten below: everything read from it is in the ring first.
        let (add, sub) = ((y + ry + 1).min(h - 1), (y as isize - ry as isize).max(0) as usize);
        fill(&b.px, &mut ring, add + 1);
        for (o, a) in b.px[y * w..(y + 1) * w].iter_mut().zip(&acc) {
            *o = a.map(|v| v * norm);
        }
        let (add, sub) = (&ring[row(add)], &ring[row(sub)]);
        for ((a, p), q) in acc.iter_mut().zip(add).zip(sub) {
            (0..3).for_each(|k| a[k] += p[k] - q[k]);
        }
    }
}

/// One row's horizontal box blur of radius `r` (> 0) from `src` into `out`.
fn blur_row(src: &[[f32; 3]], out: &mut [[f32; 3]], r: usize) {
    let w = src.len();
    let norm = 1.0 / (2 * r + 1) as f32;
    let mut acc = [0f32; 3];
    for i in 0..=2 * r {
        let p = src[(i as isize - r as isize).clamp(0, w as isize - 1) as usize];
        (0..3).for_each(|k| acc[k] += p[k]);
    }
    for x in 0..w {
        out[x] = acc.map(|v| v * norm);
        let add = src[(x + r + 1).min(w - 1)];
        let sub = src[(x as isize - r as isize).max(0) as usize];
        (0..3).for_each(|k| acc[k] += add[k] - sub[k]);
    }
}

/// The finish of a style.
pub fn style(b: &mut Buf, plan: &Plan) {
    let scale = (b.w.min(b.h) as f32 / 512.0).max(0.25);
    match plan.style {
        Style::FlatVector => {}
        Style::Clay => {
            box_blur(b, (scale * 1.0).round() as usize);
            vignette(b, 0.12);
        }
        Style::Photographic => {
            box_blur(b, (scale * 1.0).round() as usize);
            vignette(b, 0.25);
            if plan.has("grain") {
                grain(b, plan.noise_seed ^ 0x5eed, 6.0);
            }
        }
        Style::Watercolor => {
            // Only the original's luma is needed afterwards (a third of a copy).
            let orig: Vec<f32> = b.px.iter().map(|p| Buf::luma(*p)).collect();
            box_blur(b, (scale * 3.0).round().max(1.0) as usize);
            box_blur(b, (scale * 2.0).round().max(1.0) as usize);
            // Pigment pools at edges; paper shows through in light washes.
            // The paper's grain is one value per 3×3 block, hashed once per block.
            let seed = plan.noise_seed ^ 0xaa;
            let mut paper = vec![0f32; b.w.div_ceil(3)];
            for (y, (line, lum)) in b.px.chunks_exact_mut(b.w).zip(orig.chunks_exact(b.w)).enumerate() {
                if y.is_multiple_of(3) {
                    for (bx, v) in paper.iter_mut().enumerate() {
                        *v = 0.94 + 0.06 * rng::at(seed, bx as u32, (y / 3) as u32);
                    }
                }
                for (x, (p, o)) in line.iter_mut().zip(lum).enumerate() {
                    let edge = (o - Buf::luma(*p)).abs() / 255.0;
                    let paper = paper[x / 3];
                    for k in 0..3 {
                        let wash = p[k] * 0.82 + 255.0 * 0.18;
                        p[k] = (wash * paper - edge * 60.0).clamp(0.0, 255.0);
                    }
                }
            }
        }
        Style::PixelArt => {
            let block = (b.w.min(b.h) / 80).max(3);
            let (w, h) = (b.w, b.h);
            for by in (0..h).step_by(block) {
                for bx in (0..w).step_by(block) {
                    let mut acc = [0f32; 3];
                    let mut n = 0.0;
                    for y in by..(by + block).min(h) {
                        for x in bx..(bx + block).min(w) {
                            let p = b.px[y * w + x];
                            (0..3).for_each(|k| acc[k] += p[k]);
                            n += 1.0;
                        }
                    }
                    let c = acc.map(|v| ((v / n / 255.0 * 5.0).round() / 5.0 * 255.0).clamp(0.0, 255.0));
                    for y in by..(by + block).min(h) {
                        for x in bx..(bx + block).min(w) {
                            b.px[y * w + x] = c;
                        }
                    }
                }
            }
        }
        Style::LineArt => {
            let (w, h) = (b.w, b.h);
            let lum: Vec<f32> = b.px.iter().map(|p| Buf::luma(*p)).collect();
            for y in 0..h {
                for x in 0..w {
                    let at = |dx: isize, dy: isize| {
                        let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                        let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                        lum[yy * w + xx]
                    };
                    let gx = at(1, 0) - at(-1, 0);
                    let gy = at(0, 1) - at(0, -1);
                    let g = (gx * gx + gy * gy).sqrt();
                    let ink = (g / 40.0).clamp(0.0, 1.0);
                    let p = &mut b.px[y * w + x];
                    for k in 0..3 {
                        let tint = 250.0 * 0.9 + p[k] * 0.1;
                        p[k] = tint * (1.0 - ink) + 25.0 * ink;
                    }
                }
            }
        }
    }
}

fn vignette(b: &mut Buf, amount: f32) {
    let (cx, cy) = (b.w as f32 / 2.0, b.h as f32 / 2.0);
    let max = (cx * cx + cy * cy).sqrt();
    for (y, line) in b.px.chunks_exact_mut(b.w).enumerate() {
        let y = y as f32 - cy;
        for (x, p) in line.iter_mut().enumerate() {
            let x = x as f32 - cx;
            let d = (x * x + y * y).sqrt() / max;
            let f = 1.0 - amount * d * d;
            p.iter_mut().for_each(|v| *v *= f);
        }
    }
}

fn grain(b: &mut Buf, seed: u64, sigma: f32) {
    for (y, line) in b.px.chunks_exact_mut(b.w).enumerate() {
        for (x, p) in line.iter_mut().enumerate() {
            let n = (rng::at(seed, x as u32, y as u32) - 0.5) * 2.0 * sigma;
            p.iter_mut().for_each(|v| *v += n);
        }
    }
}

/// The light's colour cast.
pub fn grade(b: &mut Buf, factors: [f32; 3]) {
    for p in &mut b.px {
        for k in 0..3 {
            p[k] *= factors[k];
        }
    }
}

/// cfg: low values wash colours out and flatten contrast; the sweet spot
/// (5–9) leaves them alone; high values oversaturate and posterise.
pub fn cfg(b: &mut Buf, cfg: f32) {
    let (sat, contrast, levels) = if cfg < 5.0 {
        (0.45 + 0.11 * cfg, 0.7 + 0.06 * cfg, None)
    } else if cfg <= 9.0 {
        return;
    } else {
        let over = cfg - 9.0;
        (1.0 + over * 0.16, 1.0 + over * 0.05, (cfg > 11.0).then(|| (28.0 - (cfg - 11.0) * 2.5).max(4.0)))
    };
    for p in &mut b.px {
        let l = Buf::luma(*p);
        for k in 0..3 {
            let v = l + (p[k] - l) * sat;
            let v = 128.0 + (v - 128.0) * contrast;
            p[k] = match levels {
                Some(n) => ((v.clamp(0.0, 255.0) / 255.0 * n).round() / n * 255.0).clamp(0.0, 255.0),
                None => v,
            };
        }
    }
}

/// Well below a model's training size (SDXL or FLUX at 512²): the model
/// has too few latent pixels for the detail it learnt — soft, muddy and
/// flat. `amount` is 0 at or near native size, up to 1.
pub fn undersized(b: &mut Buf, amount: f32) {
    if amount <= 0.0 {
        return;
    }
    box_blur(b, (amount * 9.0).round().max(1.0) as usize);
    let (sat, contrast) = (1.0 - 0.5 * amount, 1.0 - 0.3 * amount);
    for p in &mut b.px {
        let l = Buf::luma(*p);
        for v in p.iter_mut() {
            *v = 128.0 + (l + (*v - l) * sat - 128.0) * contrast;
        }
    }
}

/// A swapped-in VAE decodes the latents: a fitting one sharpens fine
/// detail and shifts saturation by its tuning; one from another model
/// family decodes garbage — blotches of wrong colour over the picture (what
/// an SDXL VAE does to SD 1.5 latents).
pub fn decode(b: &mut Buf, vae: &super::model::Vae, fits: bool, seed: u64) {
    if !fits {
        let mut rng = super::rng::Rng::new(super::rng::hash(&[b"vae", vae.name.as_bytes(), &seed.to_le_bytes()]));
        let block = (b.w.min(b.h) / 24).max(2);
        let (bw, bh) = (b.w.div_ceil(block), b.h.div_ceil(block));
        let offsets: Vec<[f32; 3]> =
            (0..bw * bh).map(|_| [rng.range(-90.0, 90.0), rng.range(-90.0, 90.0), rng.range(-90.0, 90.0)]).collect();
        for y in 0..b.h {
            for x in 0..b.w {
                let o = offsets[(y / block) * bw + x / block];
                let p = &mut b.px[y * b.w + x];
                *p = [p[2] + o[0], p[0] + o[1], p[1] + o[2]];
            }
        }
        return;
    }
    if vae.sharpen > 0.0 {
        let mut soft = Buf { w: b.w, h: b.h, px: b.px.clone() };
        box_blur(&mut soft, 1);
        for (p, s) in b.px.iter_mut().zip(&soft.px) {
            for k in 0..3 {
                p[k] += (p[k] - s[k]) * vae.sharpen;
            }
        }
    }
    if vae.saturation != 1.0 {
        for p in &mut b.px {
            let l = Buf::luma(*p);
            for v in p.iter_mut() {
                *v = l + (*v - l) * vae.saturation;
            }
        }
    }
}

/// Too few steps: the image has not converged — soft and noisy.
pub fn steps(b: &mut Buf, steps: u32, seed: u64) {
    let residual = (-(steps as f32) / 7.0).exp();
    let scale = b.w.min(b.h) as f32 / 512.0;
    let radius = (residual * 6.0 * scale).round() as usize;
    box_blur(b, radius);
    let sigma = 70.0 * residual;
    if sigma < 0.5 {
        return;
    }
    // Blotchy latent-like noise: a coarse component (one value per 4×4
    // block, hashed once per block) plus fine grain (triangular: the sum of
    // two uniforms), per channel — one hash per pixel, split into 10-bit
    // uniforms.
    let coarse_seed = seed ^ 0x1234_5678;
    let fine_seed = seed ^ 0x8765_4321;
    let mut coarse = vec![0u64; b.w.div_ceil(4)];
    for (y, line) in b.px.chunks_exact_mut(b.w).enumerate() {
        let y = y as u32;
        if y.is_multiple_of(4) {
            for (bx, c) in coarse.iter_mut().enumerate() {
                *c = rng::bits_at(coarse_seed, bx as u32, y / 4);
            }
        }
        for (x, p) in line.iter_mut().enumerate() {
            let (coarse, fine) = (coarse[x / 4], rng::bits_at(fine_seed, x as u32, y));
            for (k, v) in p.iter_mut().enumerate() {
                let k = k as u32;
                let c = rng::unit10(coarse, k) - 0.5;
                let f = rng::unit10(fine, 2 * k) + rng::unit10(fine, 2 * k + 1) - 1.0;
                *v += (c * 0.8 + f * 1.2) * sigma;
            }
        }
    }
}

/// Distance (chamfer, in pixels) of every pixel to the nearest `source`
/// pixel (0 on them); `f32::MAX` everywhere when there is none.
pub fn chamfer(source: impl Iterator<Item = bool>, w: usize, h: usize) -> Vec<f32> {
    let mut d: Vec<f32> = source.map(|s| if s { 0.0 } else { f32::MAX }).collect();
    let (a, b) = (1.0f32, std::f32::consts::SQRT_2);
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut v = d[i];
            if x > 0 {
                v = v.min(d[i - 1] + a);
            }
            if y > 0 {
                v = v.min(d[i - w] + a);
                if x > 0 {
                    v = v.min(d[i - w - 1] + b);
                }
                if x + 1 < w {
                    v = v.min(d[i - w + 1] + b);
                }
            }
            d[i] = v;
        }
    }
    for y in (0..h).rev() {
        for x in (0..w).rev() {
            let i = y * w + x;
            let mut v = d[i];
            if x + 1 < w {
                v = v.min(d[i + 1] + a);
            }
            if y + 1 < h {
                v = v.min(d[i + w] + a);
                if x + 1 < w {
                    v = v.min(d[i + w + 1] + b);
                }
                if x > 0 {
                    v = v.min(d[i + w - 1] + b);
                }
            }
            d[i] = v;
        }
    }
    d
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The passes as they were before #20's scaling work (a whole
    /// intermediate image per blur, a copy of the image for watercolour,
    /// hashes and divisions per pixel): the reference the new ones must equal
    /// bit for bit.
    mod reference {
        use super::super::{Buf, Plan, Style, rng};

        pub fn box_blur_xy_sq(b: &mut Buf, r: usize) {
            box_blur_xy(b, r, r);
        }

        pub fn box_blur_xy(b: &mut Buf, rx: usize, ry: usize) {
            if (rx == 0 && ry == 0) || b.w == 0 || b.h == 0 {
                return;
            }
            let (w, h) = (b.w, b.h);
            let mut tmp = vec![[0f32; 3]; w * h];
            if rx == 0 {
                tmp.copy_from_slice(&b.px);
            } else {
                let norm = 1.0 / (2 * rx + 1) as f32;
                for y in 0..h {
                    let row = &b.px[y * w..(y + 1) * w];
                    let mut acc = [0f32; 3];
                    for i in 0..=2 * rx {
                        let p = row[(i as isize - rx as isize).clamp(0, w as isize - 1) as usize];
                        (0..3).for_each(|k| acc[k] += p[k]);
                    }
                    for x in 0..w {
                        tmp[y * w + x] = acc.map(|v| v * norm);
                        let add = row[(x + rx + 1).min(w - 1)];
                        let sub = row[(x as isize - rx as isize).max(0) as usize];
                        (0..3).for_each(|k| acc[k] += add[k] - sub[k]);
                    }
                }
            }
            if ry == 0 {
                b.px = tmp;
                return;
            }
            // The vertical pass walks rows with one running sum per column, so it
            // reads memory in order (column by column it was 27% of an edge-control
            // render at 1024²); each column's sums are the same operations in the
            // same order, so the result is bit-identical.
            let norm = 1.0 / (2 * ry + 1) as f32;
            let mut acc = vec![[0f32; 3]; w];
            for i in 0..=2 * ry {
                let row = &tmp[(i as isize - ry as isize).clamp(0, h as isize - 1) as usize * w..][..w];
                for (a, p) in acc.iter_mut().zip(row) {
                    (0..3).for_each(|k| a[k] += p[k]);
                }
            }
            for y in 0..h {
                for (o, a) in b.px[y * w..(y + 1) * w].iter_mut().zip(&acc) {
                    *o = a.map(|v| v * norm);
                }
                let add = &tmp[(y + ry + 1).min(h - 1) * w..][..w];
                let sub = &tmp[(y as isize - ry as isize).max(0) as usize * w..][..w];
                for ((a, p), q) in acc.iter_mut().zip(add).zip(sub) {
                    (0..3).for_each(|k| a[k] += p[k] - q[k]);
                }
            }
        }

        pub fn style(b: &mut Buf, plan: &Plan) {
            let scale = (b.w.min(b.h) as f32 / 512.0).max(0.25);
            match plan.style {
                Style::FlatVector => {}
                Style::Clay => {
                    box_blur_xy_sq(b, (scale * 1.0).round() as usize);
                    vignette(b, 0.12);
                }
                Style::Photographic => {
                    box_blur_xy_sq(b, (scale * 1.0).round() as usize);
                    vignette(b, 0.25);
                    if plan.has("grain") {
                        grain(b, plan.noise_seed ^ 0x5eed, 6.0);
                    }
                }
                Style::Watercolor => {
                    let orig: Vec<[f32; 3]> = b.px.clone();
                    box_blur_xy_sq(b, (scale * 3.0).round().max(1.0) as usize);
                    box_blur_xy_sq(b, (scale * 2.0).round().max(1.0) as usize);
                    // Pigment pools at edges; paper shows through in light washes.
                    for (i, p) in b.px.iter_mut().enumerate() {
                        let (x, y) = ((i % b.w) as u32, (i / b.w) as u32);
                        let o = orig[i];
                        let edge = (Buf::luma(o) - Buf::luma(*p)).abs() / 255.0;
                        let paper = 0.94 + 0.06 * rng::at(plan.noise_seed ^ 0xaa, x / 3, y / 3);
                        for k in 0..3 {
                            let wash = p[k] * 0.82 + 255.0 * 0.18;
                            p[k] = (wash * paper - edge * 60.0).clamp(0.0, 255.0);
                        }
                    }
                }
                Style::PixelArt => {
                    let block = (b.w.min(b.h) / 80).max(3);
                    let (w, h) = (b.w, b.h);
                    for by in (0..h).step_by(block) {
                        for bx in (0..w).step_by(block) {
                            let mut acc = [0f32; 3];
                            let mut n = 0.0;
                            for y in by..(by + block).min(h) {
                                for x in bx..(bx + block).min(w) {
                                    let p = b.px[y * w + x];
                                    (0..3).for_each(|k| acc[k] += p[k]);
                                    n += 1.0;
                                }
                            }
                            let c = acc.map(|v| ((v / n / 255.0 * 5.0).round() / 5.0 * 255.0).clamp(0.0, 255.0));
                            for y in by..(by + block).min(h) {
                                for x in bx..(bx + block).min(w) {
                                    b.px[y * w + x] = c;
                                }
                            }
                        }
                    }
                }
                Style::LineArt => {
                    let (w, h) = (b.w, b.h);
                    let lum: Vec<f32> = b.px.iter().map(|p| Buf::luma(*p)).collect();
                    for y in 0..h {
                        for x in 0..w {
                            let at = |dx: isize, dy: isize| {
                                let xx = (x as isize + dx).clamp(0, w as isize - 1) as usize;
                                let yy = (y as isize + dy).clamp(0, h as isize - 1) as usize;
                                lum[yy * w + xx]
                            };
                            let gx = at(1, 0) - at(-1, 0);
                            let gy = at(0, 1) - at(0, -1);
                            let g = (gx * gx + gy * gy).sqrt();
                            let ink = (g / 40.0).clamp(0.0, 1.0);
                            let p = &mut b.px[y * w + x];
                            for k in 0..3 {
                                let tint = 250.0 * 0.9 + p[k] * 0.1;
                                p[k] = tint * (1.0 - ink) + 25.0 * ink;
                            }
                        }
                    }
                }
            }
        }

        fn vignette(b: &mut Buf, amount: f32) {
            let (cx, cy) = (b.w as f32 / 2.0, b.h as f32 / 2.0);
            let max = (cx * cx + cy * cy).sqrt();
            for (i, p) in b.px.iter_mut().enumerate() {
                let (x, y) = ((i % b.w) as f32 - cx, (i / b.w) as f32 - cy);
                let d = (x * x + y * y).sqrt() / max;
                let f = 1.0 - amount * d * d;
                p.iter_mut().for_each(|v| *v *= f);
            }
        }

        fn grain(b: &mut Buf, seed: u64, sigma: f32) {
            for (i, p) in b.px.iter_mut().enumerate() {
                let n = (rng::at(seed, (i % b.w) as u32, (i / b.w) as u32) - 0.5) * 2.0 * sigma;
                p.iter_mut().for_each(|v| *v += n);
            }
        }

        pub fn steps(b: &mut Buf, steps: u32, seed: u64) {
            let residual = (-(steps as f32) / 7.0).exp();
            let scale = b.w.min(b.h) as f32 / 512.0;
            let radius = (residual * 6.0 * scale).round() as usize;
            box_blur_xy_sq(b, radius);
            let sigma = 70.0 * residual;
            if sigma < 0.5 {
                return;
            }
            // Blotchy latent-like noise: a coarse component (one value per 4×4
            // block) plus fine grain (triangular: the sum of two uniforms), per
            // channel — two hashes per pixel, each split into 10-bit uniforms.
            let coarse_seed = seed ^ 0x1234_5678;
            let fine_seed = seed ^ 0x8765_4321;
            for (i, p) in b.px.iter_mut().enumerate() {
                let (x, y) = ((i % b.w) as u32, (i / b.w) as u32);
                let (coarse, fine) = (rng::bits_at(coarse_seed, x / 4, y / 4), rng::bits_at(fine_seed, x, y));
                for (k, v) in p.iter_mut().enumerate() {
                    let k = k as u32;
                    let c = rng::unit10(coarse, k) - 0.5;
                    let f = rng::unit10(fine, 2 * k) + rng::unit10(fine, 2 * k + 1) - 1.0;
                    *v += (c * 0.8 + f * 1.2) * sigma;
                }
            }
        }
    }

    fn noise(w: usize, h: usize, seed: u64) -> Buf {
        let mut s = seed;
        let mut next = || {
            s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (s >> 40) as f32 / (1u64 << 24) as f32 * 255.0
        };
        Buf { w, h, px: (0..w * h).map(|_| [next(), next(), next()]).collect() }
    }

    fn same(a: &Buf, b: &Buf) -> bool {
        a.px.len() == b.px.len()
            && a.px.iter().zip(&b.px).all(|(p, q)| (0..3).all(|k| p[k].to_bits() == q[k].to_bits()))
    }

    #[test]
    fn box_blur_equals_the_whole_image_reference_bit_for_bit() {
        let sizes = [(1, 1), (2, 3), (7, 5), (5, 9), (64, 33), (33, 64), (130, 97)];
        let radii = [(0, 1), (1, 0), (1, 1), (2, 3), (3, 2), (6, 6), (12, 1), (40, 40), (0, 70)];
        for (i, &(w, h)) in sizes.iter().enumerate() {
            for &(rx, ry) in &radii {
                let mut ours = noise(w, h, i as u64);
                let mut theirs = noise(w, h, i as u64);
                box_blur_xy(&mut ours, rx, ry);
                reference::box_blur_xy(&mut theirs, rx, ry);
                assert!(same(&ours, &theirs), "{w}x{h} radius {rx},{ry}");
            }
        }
    }

    /// A plan of a real render, for its style and seed.
    fn plan(style: &str, side: u32) -> Plan {
        let text = format!("prompt = \"a fox on a beach, {style}\"\nseed = 3\nwidth = {side}\nheight = {side}\n");
        let r = crate::recipe::Recipe::parse("t.toml", &text, crate::recipe::Limits::default())
            .unwrap()
            .resolve()
            .remove(0);
        super::super::render(&r, 3, &crate::backend::Inputs::default()).unwrap().plan
    }

    #[test]
    fn every_style_and_the_step_noise_equal_the_reference_bit_for_bit() {
        for (n, (kind, names)) in crate::recipe::vocab::STYLES.iter().enumerate() {
            let mut p = plan(names[0], 64);
            assert_eq!(p.style, *kind);
            for (i, &(w, h)) in [(64, 64), (97, 31), (31, 97), (512, 512), (1030, 700)].iter().enumerate() {
                p.noise_seed = (n * 10 + i) as u64 * 0x9e37;
                let mut ours = noise(w, h, p.noise_seed);
                let mut theirs = noise(w, h, p.noise_seed);
                style(&mut ours, &p);
                reference::style(&mut theirs, &p);
                assert!(same(&ours, &theirs), "{} {w}x{h}", names[0]);
                let bytes: Vec<u8> = theirs.px.iter().flat_map(|p| p.map(byte)).collect();
                assert_eq!(ours.to_rgb8(), bytes);
                for count in [1, 4, 12, 30] {
                    steps(&mut ours, count, p.noise_seed);
                    reference::steps(&mut theirs, count, p.noise_seed);
                    assert!(same(&ours, &theirs), "{} {w}x{h} {count} steps", names[0]);
                }
            }
        }
    }
}
