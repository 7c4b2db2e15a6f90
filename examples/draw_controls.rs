//! Draw the curriculum's control maps in the formats real ControlNets take
//! (an OpenPose skeleton, an ADE20K segmentation map), from the same tables
//! the practice renderer reads them with. Deterministic: `cargo test` holds
//! the committed assets equal to what this draws.
//!
//! `cargo run --example draw_controls` rewrites them in `exercises/`.

#![allow(clippy::expect_used)] // a dev-time tool: a failed write should stop it loudly

use genpath::imaging::control_maps::{self, Skeleton};
use image::{Rgb, RgbImage};

/// The storyboard's mascot pose for control.pose, in fractions of a 768×512
/// frame: a chibi figure (big head, short legs) standing on the left third.
const POSE: [(f32, f32); 18] = [
    (0.28, 0.485),  // nose
    (0.28, 0.58),   // neck
    (0.245, 0.6),   // right shoulder
    (0.225, 0.68),  // right elbow
    (0.215, 0.76),  // right wrist
    (0.315, 0.6),   // left shoulder
    (0.335, 0.68),  // left elbow
    (0.345, 0.76),  // left wrist
    (0.255, 0.76),  // right hip
    (0.255, 0.84),  // right knee
    (0.255, 0.91),  // right ankle
    (0.305, 0.76),  // left hip
    (0.305, 0.84),  // left knee
    (0.305, 0.91),  // left ankle
    (0.265, 0.45),  // right eye
    (0.295, 0.45),  // left eye
    (0.245, 0.445), // right ear
    (0.315, 0.445), // left ear
];

pub fn pose_map() -> RgbImage {
    let (w, h) = (768u32, 512u32);
    let mut s = Skeleton::default();
    for (i, (x, y)) in POSE.iter().enumerate() {
        s.points[i] = Some((x * w as f32, y * h as f32));
    }
    control_maps::draw_pose(w, h, &s)
}

/// The banner template for control.placement: a bottle standing on the
/// right against a plain wall (the headline goes on the wall, left), floor
/// below.
pub fn placement_map() -> RgbImage {
    let (w, h) = (768u32, 512u32);
    let class = |name: &str| Rgb(control_maps::seg_color(name).expect("a known class"));
    let (wall, floor, bottle) = (class("wall"), class("floor"), class("bottle"));
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let body = (0.64..0.86).contains(&fx) && (0.36..0.85).contains(&fy);
        let neck = (0.71..0.79).contains(&fx) && (0.2..0.36).contains(&fy);
        if body || neck {
            bottle
        } else if fy >= 0.85 {
            floor
        } else {
            wall
        }
    })
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control");
    pose_map().save(root.join("pose/assets/pose.png")).expect("write the pose map");
    placement_map().save(root.join("placement/assets/layout-seg.png")).expect("write the seg map");
}
