//! The control-map formats real ControlNets take, read and drawn:
//! OpenPose skeletons (COCO-18 keypoints in OpenPose's colours on black),
//! ADE20K segmentation maps (the 150-class palette the seg ControlNet was
//! trained on) and MiDaS-style depth (near = bright). The practice renderer
//! reads them; `examples/make_assets.rs` draws the curriculum's assets
//! with the same tables, so an asset and its reading cannot disagree.

use image::{Rgb, RgbImage};

/// COCO-18 keypoints in OpenPose's order (controlnet_aux `draw_bodypose`).
pub const KEYPOINTS: [&str; 18] = [
    "nose",
    "neck",
    "right shoulder",
    "right elbow",
    "right wrist",
    "left shoulder",
    "left elbow",
    "left wrist",
    "right hip",
    "right knee",
    "right ankle",
    "left hip",
    "left knee",
    "left ankle",
    "right eye",
    "left eye",
    "right ear",
    "left ear",
];

/// OpenPose's colour per keypoint (and per limb, in limb order).
pub const POSE_COLORS: [[u8; 3]; 18] = [
    [255, 0, 0],
    [255, 85, 0],
    [255, 170, 0],
    [255, 255, 0],
    [170, 255, 0],
    [85, 255, 0],
    [0, 255, 0],
    [0, 255, 85],
    [0, 255, 170],
    [0, 255, 255],
    [0, 170, 255],
    [0, 85, 255],
    [0, 0, 255],
    [85, 0, 255],
    [170, 0, 255],
    [255, 0, 255],
    [255, 0, 170],
    [255, 0, 85],
];

/// The limbs OpenPose draws, as keypoint index pairs.
pub const LIMBS: [(usize, usize); 17] = [
    (1, 2),
    (1, 5),
    (2, 3),
    (3, 4),
    (5, 6),
    (6, 7),
    (1, 8),
    (8, 9),
    (9, 10),
    (1, 11),
    (11, 12),
    (12, 13),
    (1, 0),
    (0, 14),
    (14, 16),
    (0, 15),
    (15, 17),
];

/// Limbs are drawn at this share of their colour over black (OpenPose's
/// 0.6 blend), so a keypoint's full-brightness dot is told from its limb.
const LIMB_SHADE: f32 = 0.6;

/// A body pose: each COCO-18 keypoint's position in pixels, if visible.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Skeleton {
    pub points: [Option<(f32, f32)>; 18],
}

impl Skeleton {
    pub fn point(&self, name: &str) -> Option<(f32, f32)> {
        KEYPOINTS.iter().position(|k| *k == name).and_then(|i| self.points[i])
    }

    /// The box (x0, y0, x1, y1) around the visible keypoints.
    pub fn bounds(&self) -> Option<(f32, f32, f32, f32)> {
        self.points.iter().flatten().fold(None, |b, &(x, y)| {
            Some(match b {
                None => (x, y, x, y),
                Some((x0, y0, x1, y1)) => (x0.min(x), y0.min(y), x1.max(x), y1.max(y)),
            })
        })
    }

    /// The head's centre: the mean of the visible face points (nose, eyes, ears).
    pub fn head(&self) -> Option<(f32, f32)> {
        let face: Vec<(f32, f32)> = [0, 14, 15, 16, 17].iter().filter_map(|&i| self.points[i]).collect();
        (!face.is_empty()).then(|| {
            let n = face.len() as f32;
            (face.iter().map(|p| p.0).sum::<f32>() / n, face.iter().map(|p| p.1).sum::<f32>() / n)
        })
    }

    /// The lowest of the ankles (where the feet stand).
    pub fn feet(&self) -> Option<f32> {
        [10, 13].iter().filter_map(|&i| self.points[i]).map(|p| p.1).reduce(f32::max)
    }
}

/// Draw a skeleton the way OpenPose does: limbs as bars in their colour at
/// 60% over black, keypoints as full-brightness dots. `scale` is the
/// image's short side over 512 (OpenPose's stick width 4 at 512).
pub fn draw_pose(w: u32, h: u32, skeleton: &Skeleton) -> RgbImage {
    let mut img = RgbImage::new(w, h);
    let scale = w.min(h) as f32 / 512.0;
    let (stick, dot) = (4.0 * scale.max(0.5), 4.0 * scale.max(0.5));
    for (k, &(a, b)) in LIMBS.iter().enumerate() {
        let (Some(p), Some(q)) = (skeleton.points[a], skeleton.points[b]) else { continue };
        let c = POSE_COLORS[k].map(|v| (f32::from(v) * LIMB_SHADE).round() as u8);
        stamp(&mut img, |x, y| segment_distance((x, y), p, q) <= stick, c);
    }
    for (k, p) in skeleton.points.iter().enumerate() {
        if let Some(p) = *p {
            stamp(&mut img, |x, y| ((x - p.0).powi(2) + (y - p.1).powi(2)).sqrt() <= dot, POSE_COLORS[k]);
        }
    }
    img
}

fn stamp(img: &mut RgbImage, inside: impl Fn(f32, f32) -> bool, c: [u8; 3]) {
    for (x, y, px) in img.enumerate_pixels_mut() {
        if inside(x as f32 + 0.5, y as f32 + 0.5) {
            *px = Rgb(c);
        }
    }
}

fn segment_distance(p: (f32, f32), a: (f32, f32), b: (f32, f32)) -> f32 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len = dx * dx + dy * dy;
    let t = if len > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len).clamp(0.0, 1.0) } else { 0.0 };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

/// Read an OpenPose skeleton: each keypoint is the centroid of the pixels
/// of its colour at full brightness (limbs are darker). Anything else — a
/// white stick figure, a photo — has no keypoints.
pub fn read_pose(img: &RgbImage) -> Skeleton {
    let mut sums = [(0f64, 0f64, 0u32); 18];
    for (x, y, p) in img.enumerate_pixels() {
        if let Some(k) = POSE_COLORS.iter().position(|c| close(p.0, *c, 24)) {
            let s = &mut sums[k];
            (s.0, s.1, s.2) = (s.0 + f64::from(x) + 0.5, s.1 + f64::from(y) + 0.5, s.2 + 1);
        }
    }
    let mut skeleton = Skeleton::default();
    for (k, s) in sums.iter().enumerate() {
        // A dot of radius ≥ 2 px has at least ~9 pixels; fewer is anti-aliasing noise.
        if s.2 >= 6 {
            skeleton.points[k] = Some(((s.0 / f64::from(s.2)) as f32, (s.1 / f64::from(s.2)) as f32));
        }
    }
    skeleton
}

fn close(a: [u8; 3], b: [u8; 3], tolerance: u8) -> bool {
    a.iter().zip(b).all(|(x, y)| x.abs_diff(y) <= tolerance)
}

/// What a segmentation class is to a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SegRole {
    /// Above the horizon: sky.
    Sky,
    /// What things stand on: grass, floor, road, sand, water …
    Ground,
    /// Plain vertical surfaces: walls, buildings.
    Backdrop,
    /// Scenery the picture draws where its colour is: trees, plants, mountains.
    Scenery,
    /// A thing the prompt's subject can be: person, animal, and products.
    Subject,
}

/// The ADE20K classes the practice renderer understands, with their index
/// in the 150-class palette (MMSegmentation `ade.py`, the palette the
/// sd-v1.1 / v1.1p seg ControlNets were trained on) and colour.
pub const SEG_CLASSES: &[(&str, u8, [u8; 3], SegRole)] = &[
    ("wall", 0, [120, 120, 120], SegRole::Backdrop),
    ("building", 1, [180, 120, 120], SegRole::Backdrop),
    ("sky", 2, [6, 230, 230], SegRole::Sky),
    ("floor", 3, [80, 50, 50], SegRole::Ground),
    ("tree", 4, [4, 200, 3], SegRole::Scenery),
    ("road", 6, [140, 140, 140], SegRole::Ground),
    ("grass", 9, [4, 250, 7], SegRole::Ground),
    ("sidewalk", 11, [235, 255, 7], SegRole::Ground),
    ("person", 12, [150, 5, 61], SegRole::Subject),
    ("earth", 13, [120, 120, 70], SegRole::Ground),
    ("mountain", 16, [143, 255, 140], SegRole::Scenery),
    ("plant", 17, [204, 255, 4], SegRole::Scenery),
    ("chair", 19, [204, 70, 3], SegRole::Subject),
    ("water", 21, [61, 230, 250], SegRole::Ground),
    ("sea", 26, [9, 7, 230], SegRole::Ground),
    ("field", 29, [112, 9, 255], SegRole::Ground),
    ("lamp", 36, [224, 255, 8], SegRole::Subject),
    ("sand", 46, [160, 150, 20], SegRole::Ground),
    ("bottle", 98, [0, 255, 10], SegRole::Subject),
    ("bag", 115, [70, 184, 160], SegRole::Subject),
    ("animal", 126, [255, 0, 122], SegRole::Subject),
];

/// The colour of a named class.
pub fn seg_color(name: &str) -> Option<[u8; 3]> {
    SEG_CLASSES.iter().find(|c| c.0 == name).map(|c| c.2)
}

/// Per pixel, the index into [`SEG_CLASSES`] of its class: the nearest
/// class colour, if within a small tolerance (some ADE20K colours differ by
/// only 5 levels per channel — grass and bottle — so maps must be PNG).
pub fn read_seg(img: &RgbImage) -> Vec<Option<u8>> {
    img.pixels()
        .map(|p| {
            let dist = |c: [u8; 3]| p.0.iter().zip(c).map(|(a, b)| u32::from(a.abs_diff(b))).sum::<u32>();
            let (i, c) = SEG_CLASSES.iter().enumerate().min_by_key(|(_, c)| dist(c.2))?;
            close(p.0, c.2, 8).then_some(i as u8)
        })
        .collect()
}

/// Whether a map is in one of the formats: most of a pose map is black
/// with keypoint dots; most of a seg map is palette colours.
pub fn looks_like_seg(classes: &[Option<u8>]) -> bool {
    classes.iter().filter(|c| c.is_some()).count() * 10 >= classes.len() * 8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_drawn_skeleton_reads_back_at_its_keypoints() {
        let mut s = Skeleton::default();
        let pts = [(100.0, 60.0), (100.0, 100.0), (80.0, 100.0), (70.0, 140.0), (65.0, 180.0)];
        for (i, p) in pts.iter().enumerate() {
            s.points[i] = Some(*p);
        }
        s.points[10] = Some((90.0, 300.0));
        let read = read_pose(&draw_pose(256, 320, &s));
        for (i, p) in s.points.iter().enumerate() {
            match (p, read.points[i]) {
                (Some(a), Some(b)) => {
                    assert!((a.0 - b.0).abs() < 1.0 && (a.1 - b.1).abs() < 1.0, "{i}: {a:?} vs {b:?}")
                }
                (None, None) => {}
                other => panic!("keypoint {i}: {other:?}"),
            }
        }
    }

    #[test]
    fn every_class_colour_reads_back_as_itself_even_slightly_off() {
        let n = SEG_CLASSES.len() as u32;
        for off in [0i16, 2, -2] {
            let img = RgbImage::from_fn(n, 1, |x, _| {
                Rgb(SEG_CLASSES[x as usize].2.map(|v| (i16::from(v) + off).clamp(0, 255) as u8))
            });
            let read = read_seg(&img);
            for (i, c) in read.iter().enumerate() {
                assert_eq!(*c, Some(i as u8), "{} off by {off}", SEG_CLASSES[i].0);
            }
        }
        // Not a palette colour: no class.
        assert_eq!(read_seg(&RgbImage::from_pixel(1, 1, Rgb([255, 255, 255]))), vec![None]);
    }
}
