//! Triangle (bilinear, antialiased when shrinking) resampling of 8-bit
//! images, bit for bit what `image::imageops::resize(…, FilterType::Triangle)`
//! returns — the same weights, the same f32 sums in the same order, the same
//! rounding — in a layout the compiler vectorises: the vertical pass adds
//! whole source rows (one multiply-add per tap across a row), the
//! horizontal pass reads a contiguous row with no per-pixel bounds check or
//! alpha channel. The checks' thresholds were calibrated on the image
//! crate's output, so this keeps every measured value; only the time
//! changes (1024² → 512²: 151.7 M → 51.6 M instructions, callgrind on
//! `examples/peer_ops.rs once resize_1024_to_512`; the image crate's
//! `resize` is compared against it on random and photographed images in
//! the tests). OpenCV's INTER_AREA is still far faster
//! (`scripts/bench-peers`), but it is another filter.

use image::{ImageBuffer, Pixel};

/// One output pixel's source span and normalised weights.
struct Taps {
    left: usize,
    weights: Vec<f32>,
}

/// The image crate's triangle kernel.
fn triangle(x: f32) -> f32 {
    if x.abs() < 1.0 { 1.0 - x.abs() } else { 0.0 }
}

/// The image crate's weights for resampling `from` pixels to `to` (its
/// `horizontal_sample`/`vertical_sample`, support 1).
fn taps(from: usize, to: usize) -> Vec<Taps> {
    let ratio = from as f32 / to as f32;
    let sratio = if ratio < 1.0 { 1.0 } else { ratio };
    let support = 1.0 * sratio;
    (0..to)
        .map(|out| {
            let input = (out as f32 + 0.5) * ratio;
            let left = ((input - support).floor() as i64).clamp(0, from as i64 - 1);
            let right = ((input + support).ceil() as i64).clamp(left + 1, from as i64);
            let input = input - 0.5;
            let mut weights: Vec<f32> = (left..right).map(|i| triangle((i as f32 - input) / sratio)).collect();
            let mut sum = 0.0;
            for w in &weights {
                sum += w;
            }
            for w in &mut weights {
                *w /= sum;
            }
            Taps { left: left as usize, weights }
        })
        .collect()
}

/// `img` resampled to `nw`×`nh` with the triangle filter: equal to
/// `image::imageops::resize(img, nw, nh, FilterType::Triangle)`.
pub fn triangle_resize<P>(img: &ImageBuffer<P, Vec<u8>>, nw: u32, nh: u32) -> ImageBuffer<P, Vec<u8>>
where
    P: Pixel<Subpixel = u8> + 'static,
{
    let (w, h) = img.dimensions();
    if w == 0 || h == 0 {
        return ImageBuffer::new(nw, nh);
    }
    if (w, h) == (nw, nh) {
        return img.clone();
    }
    let c = usize::from(P::CHANNEL_COUNT);
    let row_pass: fn(&[f32], &[Taps], &mut [u8]) = match c {
        1 => horizontal::<1>,
        2 => horizontal::<2>,
        3 => horizontal::<3>,
        4 => horizontal::<4>,
        _ => return image::imageops::resize(img, nw, nh, image::imageops::FilterType::Triangle),
    };
    let (w, h, nw_, nh_) = (w as usize, h as usize, nw as usize, nh as usize);
    let src = img.as_raw();
    let stride = w * c;
    let cols = taps(w, nw_);
    let mut out = vec![0u8; nw_ * nh_ * c];
    // One output row at a time: the vertical pass sums whole source rows
    // into `vrow`, the horizontal pass (the channel count a constant, so
    // each pixel's sums stay in registers) reads it while it is in cache.
    let mut vrow = vec![0f32; stride];
    for (orow, t) in out.chunks_exact_mut(nw_ * c).zip(taps(h, nh_)) {
        // The first term is assigned rather than added to 0.0: equal, as
        // every term is ≥ 0 (no −0.0 to turn into +0.0).
        for (i, &wt) in t.weights.iter().enumerate() {
            add_row(&mut vrow, &src[(t.left + i) * stride..(t.left + i + 1) * stride], wt, i == 0);
        }
        row_pass(&vrow, &cols, orow);
    }
    ImageBuffer::from_raw(nw, nh, out).unwrap_or_else(|| ImageBuffer::new(nw, nh))
}

/// One tap of the vertical pass: `vrow` = `row` × `wt` for the first tap,
/// `vrow` += `row` × `wt` for the others.
///
/// Compiled twice, and the AVX2 copy chosen at run time where the CPU has
/// it (`multiversion`): eight bytes widen to eight floats in one step
/// instead of four, about half the instructions of this pass. The same
/// single-precision multiply and add in either copy (Rust never fuses
/// them), so the sums are equal to the bit; the tests compare whichever
/// copy the machine picks with the image crate.
#[multiversion::multiversion(targets("x86_64+avx2"))]
fn add_row(vrow: &mut [f32], row: &[u8], wt: f32, first: bool) {
    if first {
        vrow.iter_mut().zip(row).for_each(|(o, &v)| *o = f32::from(v) * wt);
    } else {
        vrow.iter_mut().zip(row).for_each(|(o, &v)| *o += f32::from(v) * wt);
    }
}

/// The horizontal pass over one row of vertical sums.
fn horizontal<const C: usize>(vrow: &[f32], cols: &[Taps], orow: &mut [u8]) {
    for (o, t) in orow.chunks_exact_mut(C).zip(cols) {
        let mut acc = [0f32; C];
        let span = &vrow[t.left * C..(t.left + t.weights.len()) * C];
        for (px, &wt) in span.chunks_exact(C).zip(&t.weights) {
            for (a, v) in acc.iter_mut().zip(px) {
                *a += v * wt;
            }
        }
        for (o, a) in o.iter_mut().zip(acc) {
            // The image crate's clamp, then round half away from zero
            // (`f32::round`, without its libm call: for 0 ≤ v ≤ 255 the
            // fraction v − ⌊v⌋ is exact).
            let v = a.clamp(0.0, 255.0); // no NaN: sums of finite non-negative terms
            let i = v as u32;
            *o = (i + u32::from(v - i as f32 >= 0.5)) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::imageops::{FilterType, resize};

    fn noise(w: u32, h: u32, seed: u64) -> image::RgbImage {
        let mut s = seed;
        image::RgbImage::from_fn(w, h, |_, _| {
            let mut next = || {
                s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                (s >> 56) as u8
            };
            image::Rgb([next(), next(), next()])
        })
    }

    #[test]
    fn rounding_without_libm_equals_f32_round() {
        let ours = |v: f32| {
            let i = v as u32;
            (i + u32::from(v - i as f32 >= 0.5)) as u8
        };
        for k in 0..=255u32 {
            for centre in [k as f32, k as f32 + 0.5] {
                let mut v = centre;
                for _ in 0..64 {
                    v = f32::from_bits(v.to_bits().saturating_sub(1));
                }
                for _ in 0..128 {
                    if (0.0..=255.0).contains(&v) {
                        assert_eq!(ours(v), v.round() as u8, "{v}");
                    }
                    v = f32::from_bits(v.to_bits() + 1);
                }
            }
        }
    }

    #[test]
    fn equals_the_image_crates_triangle_resize_on_noise_at_every_shape() {
        let sizes = [(1, 1), (2, 3), (7, 5), (64, 64), (100, 37), (513, 511), (1024, 1024), (1000, 600)];
        for (i, &(w, h)) in sizes.iter().enumerate() {
            let img = noise(w, h, i as u64);
            for (nw, nh) in
                [(1, 1), (32, 32), (w, (h / 2).max(1)), ((w / 3).max(1), h), (512, 512), (128, 77), (w * 2, h * 2)]
            {
                assert_eq!(
                    triangle_resize(&img, nw, nh),
                    resize(&img, nw, nh, FilterType::Triangle),
                    "{w}x{h} -> {nw}x{nh}"
                );
            }
        }
        let grey = image::GrayImage::from_fn(300, 200, |x, y| image::Luma([((x * 7 + y * 13) % 251) as u8]));
        assert_eq!(triangle_resize(&grey, 97, 61), resize(&grey, 97, 61, FilterType::Triangle));
        assert_eq!(triangle_resize(&image::RgbImage::new(0, 0), 4, 4).dimensions(), (4, 4));
    }

    #[test]
    fn equals_the_image_crates_triangle_resize_on_the_fixture_photographs() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().extension().is_none_or(|e| e != "jpg") {
                continue;
            }
            let Ok(img) = image::open(entry.path()) else { continue };
            let img = img.to_rgb8();
            let big = resize(&img, 1024, 1024, FilterType::Triangle);
            assert_eq!(triangle_resize(&img, 1024, 1024), big);
            for (nw, nh) in [(512, 512), (256, 256), (128, 128), (32, 32), (300, 170)] {
                assert_eq!(triangle_resize(&big, nw, nh), resize(&big, nw, nh, FilterType::Triangle));
                assert_eq!(triangle_resize(&img, nw, nh), resize(&img, nw, nh, FilterType::Triangle));
            }
            n += 1;
        }
        assert!(n >= 10, "{n} photographs");
    }
}
