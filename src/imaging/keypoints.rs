//! Keypoint evidence for rigid subjects: oriented FAST corners, rotated
//! BRIEF descriptors (ORB's recipe), brute-force Hamming matching with a
//! ratio test, and RANSAC on an affine model. The number of RANSAC inliers
//! between two images is strong evidence of the same rigid object when it
//! reaches about 15; zero proves nothing (deformable or textureless subjects).
//!
//! Pinned: FAST-9 threshold 20 on a ≤512 px greyscale copy, 500 strongest
//! corners after 3×3 non-maximum suppression, orientation by intensity
//! centroid in a radius-15 disc, 256 BRIEF tests in a 31×31 patch of a
//! σ = 2 Gaussian-smoothed image (pattern from a fixed seed), ratio 0.8,
//! 400 RANSAC iterations with a 5 px inlier threshold (fixed seed).

use crate::imaging::analysis::{Plane, convolve, gaussian_kernel, gray, working};

#[derive(Debug, Clone)]
pub struct Keypoint {
    pub x: f32,
    pub y: f32,
    pub angle: f32,
    pub descriptor: [u64; 4],
}

const CIRCLE: [(i32, i32); 16] = [
    (0, -3),
    (1, -3),
    (2, -2),
    (3, -1),
    (3, 0),
    (3, 1),
    (2, 2),
    (1, 3),
    (0, 3),
    (-1, 3),
    (-2, 2),
    (-3, 1),
    (-3, 0),
    (-3, -1),
    (-2, -2),
    (-1, -3),
];

/// The fixed BRIEF test pattern: 256 point pairs inside a radius-13 disc.
fn pattern() -> &'static [(f32, f32, f32, f32)] {
    static P: std::sync::OnceLock<Vec<(f32, f32, f32, f32)>> = std::sync::OnceLock::new();
    P.get_or_init(|| {
        let mut s: u64 = 0x0B5E_55ED;
        let mut next = || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            ((z ^ (z >> 31)) >> 11) as f32 / (1u64 << 53) as f32
        };
        let mut out = Vec::with_capacity(256);
        while out.len() < 256 {
            // Box-Muller, σ = 31/5 as in the BRIEF paper, clipped to the disc.
            let g = |a: f32, b: f32| (-2.0 * a.max(1e-9).ln()).sqrt() * (2.0 * std::f32::consts::PI * b).cos() * 6.2;
            let (x1, y1, x2, y2) = (g(next(), next()), g(next(), next()), g(next(), next()), g(next(), next()));
            if [x1, y1, x2, y2].iter().all(|v| v.abs() <= 13.0)
                && (x1 * x1 + y1 * y1) <= 169.0
                && (x2 * x2 + y2 * y2) <= 169.0
            {
                out.push((x1, y1, x2, y2));
            }
        }
        out
    })
}

/// FAST-9's corner score at (x, y), or `None` for no corner. The ring is
/// read into an array on the stack (no allocation per pixel), and only
/// after the quick test on its four compass pixels passes — most pixels
/// stop there.
fn is_corner(g: &Plane, x: usize, y: usize, t: f32) -> Option<f32> {
    let p = g.at(x, y);
    let at = |(dx, dy): (i32, i32)| g.at((x as i32 + dx) as usize, (y as i32 + dy) as usize);
    // Quick rejection: of pixels 1, 5, 9, 13 at least three must be beyond the threshold one way.
    let quick = [at(CIRCLE[0]), at(CIRCLE[4]), at(CIRCLE[8]), at(CIRCLE[12])];
    let bright = quick.iter().filter(|&&v| v > p + t).count();
    let dark = quick.iter().filter(|&&v| v < p - t).count();
    if bright < 3 && dark < 3 {
        return None;
    }
    let ring: [f32; 16] = std::array::from_fn(|i| at(CIRCLE[i]));
    for sign in [1.0f32, -1.0] {
        let mut run = 0;
        for i in 0..32 {
            if (ring[i % 16] - p) * sign > t {
                run += 1;
                if run >= 9 {
                    let score = ring.iter().map(|v| ((v - p).abs() - t).max(0.0)).sum();
                    return Some(score);
                }
            } else {
                run = 0;
            }
        }
    }
    None
}

/// Half-width of the radius-15 orientation disc at each row offset |dy|
/// (the offsets with dx² + dy² ≤ 225).
fn disc_rows() -> [i32; 16] {
    std::array::from_fn(|dy| {
        let dy = dy as i32;
        (0..=15).rev().find(|dx| dx * dx + dy * dy <= 225).unwrap_or(0)
    })
}

/// Oriented FAST keypoints with rotated BRIEF descriptors.
pub fn detect(img: &image::RgbImage) -> Vec<Keypoint> {
    let g = gray(&working(img, 512));
    let (w, h) = (g.w, g.h);
    let border = 20;
    if w <= 2 * border || h <= 2 * border {
        return Vec::new();
    }
    let mut score = vec![0f32; w * h];
    for y in border..h - border {
        for x in border..w - border {
            if let Some(s) = is_corner(&g, x, y, 20.0) {
                score[y * w + x] = s;
            }
        }
    }
    let mut corners: Vec<(usize, usize, f32)> = Vec::new();
    for y in border..h - border {
        for x in border..w - border {
            let s = score[y * w + x];
            if s > 0.0
                && (-1i32..=1).all(|dy| {
                    (-1i32..=1).all(|dx| {
                        (dx == 0 && dy == 0) || score[(y as i32 + dy) as usize * w + (x as i32 + dx) as usize] <= s
                    })
                })
            {
                corners.push((x, y, s));
            }
        }
    }
    corners.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
    corners.truncate(500);
    let smooth = convolve(&g, &gaussian_kernel(2.0, 4));
    let disc = disc_rows();
    corners
        .into_iter()
        .map(|(x, y, _)| {
            // Intensity centroid over the disc, row span by row span (the
            // same sums in the same order as testing every offset of the square).
            let (mut m01, mut m10) = (0f32, 0f32);
            for dy in -15i32..=15 {
                let half = disc[dy.unsigned_abs() as usize];
                let row = &g.v[(y as i32 + dy) as usize * w..];
                for dx in -half..=half {
                    let v = row[(x as i32 + dx) as usize];
                    m10 += dx as f32 * v;
                    m01 += dy as f32 * v;
                }
            }
            let angle = m01.atan2(m10);
            let (c, s) = (angle.cos(), angle.sin());
            let mut d = [0u64; 4];
            for (i, (x1, y1, x2, y2)) in pattern().iter().enumerate() {
                let at = |px: f32, py: f32| {
                    let rx = (x as f32 + c * px - s * py).round().clamp(0.0, (w - 1) as f32) as usize;
                    let ry = (y as f32 + s * px + c * py).round().clamp(0.0, (h - 1) as f32) as usize;
                    smooth.at(rx, ry)
                };
                if at(*x1, *y1) < at(*x2, *y2) {
                    d[i / 64] |= 1 << (i % 64);
                }
            }
            Keypoint { x: x as f32, y: y as f32, angle, descriptor: d }
        })
        .collect()
}

fn hamming(a: &[u64; 4], b: &[u64; 4]) -> u32 {
    a.iter().zip(b).map(|(x, y)| (x ^ y).count_ones()).sum()
}

/// Matches passing Lowe's ratio test (0.8), as index pairs.
pub fn matches(a: &[Keypoint], b: &[Keypoint]) -> Vec<(usize, usize)> {
    if b.len() < 2 {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, ka) in a.iter().enumerate() {
        let (mut best, mut second, mut bj) = (u32::MAX, u32::MAX, 0);
        for (j, kb) in b.iter().enumerate() {
            let d = hamming(&ka.descriptor, &kb.descriptor);
            if d < best {
                second = best;
                best = d;
                bj = j;
            } else if d < second {
                second = d;
            }
        }
        if best < 64 && (best as f32) < 0.8 * second as f32 {
            out.push((i, bj));
        }
    }
    out
}

/// Solve the affine map taking three points to three points.
fn affine(src: [(f32, f32); 3], dst: [(f32, f32); 3]) -> Option<[f32; 6]> {
    let [(x1, y1), (x2, y2), (x3, y3)] = src;
    let det = x1 * (y2 - y3) - x2 * (y1 - y3) + x3 * (y1 - y2);
    if det.abs() < 1e-3 {
        return None;
    }
    let solve = |v1: f32, v2: f32, v3: f32| {
        let a = (v1 * (y2 - y3) - v2 * (y1 - y3) + v3 * (y1 - y2)) / det;
        let b = (x1 * (v2 - v3) - x2 * (v1 - v3) + x3 * (v1 - v2)) / det;
        let c = (x1 * (y2 * v3 - y3 * v2) - x2 * (y1 * v3 - y3 * v1) + x3 * (y1 * v2 - y2 * v1)) / det;
        (a, b, c)
    };
    let (a, b, c) = solve(dst[0].0, dst[1].0, dst[2].0);
    let (d, e, f) = solve(dst[0].1, dst[1].1, dst[2].1);
    Some([a, b, c, d, e, f])
}

/// RANSAC inliers of the best affine model explaining the matches.
pub fn ransac_inliers(a: &[Keypoint], b: &[Keypoint], m: &[(usize, usize)]) -> usize {
    if m.len() < 3 {
        return 0;
    }
    let mut s: u64 = 0x5AC0_FFEE;
    let mut pick = |n: usize| {
        s = s.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
        ((s >> 33) as usize) % n
    };
    let mut best = 0;
    for _ in 0..400 {
        let (i, j, k) = (pick(m.len()), pick(m.len()), pick(m.len()));
        if i == j || j == k || i == k {
            continue;
        }
        let p = |t: (usize, usize)| ((a[t.0].x, a[t.0].y), (b[t.1].x, b[t.1].y));
        let (p1, p2, p3) = (p(m[i]), p(m[j]), p(m[k]));
        let Some(t) = affine([p1.0, p2.0, p3.0], [p1.1, p2.1, p3.1]) else { continue };
        // Reject degenerate or wildly distorting models (a rigid object is not sheared flat).
        let det = t[0] * t[4] - t[1] * t[3];
        if !(0.1..=10.0).contains(&det.abs()) {
            continue;
        }
        let n = m
            .iter()
            .filter(|&&(ia, ib)| {
                let (x, y) = (a[ia].x, a[ia].y);
                let (px, py) = (t[0] * x + t[1] * y + t[2], t[3] * x + t[4] * y + t[5]);
                (px - b[ib].x).powi(2) + (py - b[ib].y).powi(2) <= 25.0
            })
            .count();
        best = best.max(n);
    }
    best
}

/// RANSAC inliers between two images.
pub fn inliers(a: &image::RgbImage, b: &image::RgbImage) -> usize {
    let (ka, kb) = (detect(a), detect(b));
    inliers_between(&ka, &kb)
}

/// RANSAC inliers between two images' keypoints (detect each image once,
/// then compare it with as many others as needed).
pub fn inliers_between(a: &[Keypoint], b: &[Keypoint]) -> usize {
    ransac_inliers(a, b, &matches(a, b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn checker(shift: u32) -> image::RgbImage {
        image::RgbImage::from_fn(256, 256, |x, y| {
            let (x, y) = (x + shift, y);
            let v = if ((x / 24) + (y / 24)) % 2 == 0 { 30 } else { 220 };
            let v = if (x * 7 + y * 13) % 97 < 3 { 255 - v } else { v };
            image::Rgb([v, v, v])
        })
    }

    /// `detect` as it was (a Vec per pixel, the image crate's resize, every
    /// offset of the square tested): the reference the faster one must equal.
    fn detect_reference(img: &image::RgbImage) -> Vec<Keypoint> {
        let (iw, ih) = img.dimensions();
        let small = if iw.max(ih) <= 512 {
            img.clone()
        } else {
            let s = 512.0 / iw.max(ih) as f32;
            let (nw, nh) = (((iw as f32 * s).round() as u32).max(1), ((ih as f32 * s).round() as u32).max(1));
            image::imageops::resize(img, nw, nh, image::imageops::FilterType::Triangle)
        };
        let g = gray(&small);
        let (w, h) = (g.w, g.h);
        let border = 20;
        if w <= 2 * border || h <= 2 * border {
            return Vec::new();
        }
        let corner = |x: usize, y: usize, t: f32| -> Option<f32> {
            let p = g.at(x, y);
            let ring: Vec<f32> =
                CIRCLE.iter().map(|(dx, dy)| g.at((x as i32 + dx) as usize, (y as i32 + dy) as usize)).collect();
            let quick = [0, 4, 8, 12];
            let bright = quick.iter().filter(|&&i| ring[i] > p + t).count();
            let dark = quick.iter().filter(|&&i| ring[i] < p - t).count();
            if bright < 3 && dark < 3 {
                return None;
            }
            for sign in [1.0f32, -1.0] {
                let mut run = 0;
                for i in 0..32 {
                    if (ring[i % 16] - p) * sign > t {
                        run += 1;
                        if run >= 9 {
                            return Some(ring.iter().map(|v| ((v - p).abs() - t).max(0.0)).sum());
                        }
                    } else {
                        run = 0;
                    }
                }
            }
            None
        };
        let mut score = vec![0f32; w * h];
        for y in border..h - border {
            for x in border..w - border {
                if let Some(s) = corner(x, y, 20.0) {
                    score[y * w + x] = s;
                }
            }
        }
        let mut corners: Vec<(usize, usize, f32)> = Vec::new();
        for y in border..h - border {
            for x in border..w - border {
                let s = score[y * w + x];
                if s > 0.0
                    && (-1i32..=1).all(|dy| {
                        (-1i32..=1).all(|dx| {
                            (dx == 0 && dy == 0) || score[(y as i32 + dy) as usize * w + (x as i32 + dx) as usize] <= s
                        })
                    })
                {
                    corners.push((x, y, s));
                }
            }
        }
        corners.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.1.cmp(&b.1)).then(a.0.cmp(&b.0)));
        corners.truncate(500);
        let smooth = convolve(&g, &gaussian_kernel(2.0, 4));
        corners
            .into_iter()
            .map(|(x, y, _)| {
                let (mut m01, mut m10) = (0f32, 0f32);
                for dy in -15i32..=15 {
                    for dx in -15i32..=15 {
                        if dx * dx + dy * dy <= 225 {
                            let v = g.at((x as i32 + dx) as usize, (y as i32 + dy) as usize);
                            m10 += dx as f32 * v;
                            m01 += dy as f32 * v;
                        }
                    }
                }
                let angle = m01.atan2(m10);
                let (c, s) = (angle.cos(), angle.sin());
                let mut d = [0u64; 4];
                for (i, (x1, y1, x2, y2)) in pattern().iter().enumerate() {
                    let at = |px: f32, py: f32| {
                        let rx = (x as f32 + c * px - s * py).round().clamp(0.0, (w - 1) as f32) as usize;
                        let ry = (y as f32 + s * px + c * py).round().clamp(0.0, (h - 1) as f32) as usize;
                        smooth.at(rx, ry)
                    };
                    if at(*x1, *y1) < at(*x2, *y2) {
                        d[i / 64] |= 1 << (i % 64);
                    }
                }
                Keypoint { x: x as f32, y: y as f32, angle, descriptor: d }
            })
            .collect()
    }

    fn same(a: &[Keypoint], b: &[Keypoint]) -> bool {
        a.len() == b.len()
            && a.iter().zip(b).all(|(p, q)| {
                p.x.to_bits() == q.x.to_bits()
                    && p.y.to_bits() == q.y.to_bits()
                    && p.angle.to_bits() == q.angle.to_bits()
                    && p.descriptor == q.descriptor
            })
    }

    #[test]
    fn detect_equals_the_allocating_detector_on_photographs_and_patterns() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            if entry.path().extension().is_none_or(|e| e != "jpg") {
                continue;
            }
            let Ok(img) = image::open(entry.path()) else { continue };
            let img = img.to_rgb8();
            let big = image::imageops::resize(&img, 1024, 768, image::imageops::FilterType::Triangle);
            for im in [&img, &big] {
                let k = detect(im);
                assert!(same(&k, &detect_reference(im)), "{}", entry.path().display());
                n += usize::from(!k.is_empty());
            }
        }
        assert!(n >= 20, "{n} images with keypoints");
        for shift in [0, 6] {
            assert!(same(&detect(&checker(shift)), &detect_reference(&checker(shift))));
        }
    }

    #[test]
    fn a_shifted_copy_has_many_inliers_a_flat_image_none() {
        let a = checker(0);
        let b = checker(6);
        assert!(inliers(&a, &b) >= 15, "{}", inliers(&a, &b));
        let flat = image::RgbImage::from_pixel(256, 256, image::Rgb([128, 128, 128]));
        assert_eq!(inliers(&a, &flat), 0);
    }
}
