//! Makes the exercise assets that are drawn rather than photographed:
//! control maps (in the formats real ControlNets take: white-on-black
//! edges, an OpenPose skeleton and an ADE20K segmentation map drawn with
//! the tables the practice renderer reads them with), masks, brand sheets
//! and init images. Deterministic (`tests/it/renderer.rs` holds the control
//! maps equal to what this draws); run
//! `cargo run --example make_assets` from the repository root after changing
//! it, and commit the files it writes (listed in curriculum/ASSETS.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::path::Path;

use genpath::backend::Inputs;
use genpath::backend::builtin;
use genpath::imaging::control_maps::{self, Skeleton};
use genpath::recipe::{Limits, Recipe};
use image::{GrayImage, Luma, Rgb, RgbImage};

fn save_gray(img: &GrayImage, path: &str) {
    let p = Path::new(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    img.save(p).unwrap();
    println!("wrote {path}");
}

fn save_rgb(img: &RgbImage, path: &str) {
    let p = Path::new(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    img.save(p).unwrap();
    println!("wrote {path}");
}

fn render(text: &str, path: &str) {
    let r = Recipe::parse("asset.toml", text, Limits::default()).unwrap().resolve().remove(0);
    let img = builtin::render(&r, r.seed.unwrap() as u64, &Inputs::default()).unwrap().image;
    let p = Path::new(path);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    img.save(p).unwrap();
    println!("wrote {path}");
}

/// White 2 px lines on black: a round-headed character on the right third
/// standing on a horizon, a layout an art director might sketch.
fn layout_edges(w: u32, h: u32) -> GrayImage {
    let mut g = GrayImage::new(w, h);
    let (cx, cy, r) = (w as f32 * 0.66, h as f32 * 0.36, h as f32 * 0.15);
    let (bx0, bx1, by0, by1) = (cx - r * 1.1, cx + r * 1.1, cy + r * 0.9, h as f32 * 0.86);
    let horizon = h as f32 * 0.7;
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f32, y as f32);
            let d = ((fx - cx).powi(2) + (fy - cy).powi(2)).sqrt();
            let head = (d - r).abs() < 1.0;
            let in_head = d < r + 1.0;
            let body_sides = ((fx - bx0).abs() < 1.0 || (fx - bx1).abs() < 1.0) && fy >= by0 && fy <= by1;
            let body_bottom = (fy - by1).abs() < 1.0 && fx >= bx0 && fx <= bx1;
            let body_top = (fy - by0).abs() < 1.0 && fx >= bx0 && fx <= bx1 && !in_head;
            let in_body = fx > bx0 + 1.0 && fx < bx1 - 1.0 && fy > by0 - 1.0 && fy < by1 + 1.0;
            let line = (fy - horizon).abs() < 1.0 && !in_body && !in_head;
            if head || body_sides || body_bottom || body_top || line {
                g.put_pixel(x, y, Luma([255]));
            }
        }
    }
    g
}

/// Swatches of the café brand: orange, teal, cream.
fn brand_sheet() -> RgbImage {
    let colors = [[0xFF, 0x7A, 0x1A], [0x1B, 0x99, 0x8B], [0xF4, 0xEB, 0xD9]];
    RgbImage::from_fn(600, 200, |x, _| Rgb(colors[(x / 200) as usize]))
}

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

/// The landscape for examples/recipes/control-seg-landscape.toml: sky,
/// a snowy ridge on the right with a lake at its foot, a grove on the
/// left, meadow below, the animal's place in the middle.
pub fn landscape_seg() -> RgbImage {
    let (w, h) = (768u32, 512u32);
    let class = |name: &str| Rgb(control_maps::seg_color(name).expect("a known class"));
    RgbImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        let ridge = ((fx - 0.68).abs() * 1.1 + 0.12).min((fx - 0.9).abs() * 0.9 + 0.22);
        if (0.42..0.58).contains(&fx) && (0.4..0.9).contains(&fy) {
            class("animal")
        } else if fx < 0.3 && (0.22..0.74).contains(&fy) {
            class("tree")
        } else if fx >= 0.5 && fy >= ridge && fy < 0.5 {
            class("mountain")
        } else if fx >= 0.56 && (0.5..0.62).contains(&fy) {
            class("water")
        } else if fy < 0.5 {
            class("sky")
        } else {
            class("grass")
        }
    })
}

/// A MiDaS-style depth map of open ground for
/// examples/recipes/control-depth-meadow.toml: far (black) above the
/// horizon at 42%, nearness rising linearly to the bottom, as a ground
/// plane's disparity does.
pub fn ground_depth() -> GrayImage {
    GrayImage::from_fn(768, 512, |_, y| {
        let t = ((y as f32 / 512.0 - 0.42) / 0.58).max(0.0);
        Luma([(t * 255.0).round() as u8])
    })
}

fn main() {
    let root = "exercises";
    save_gray(&layout_edges(768, 512), &format!("{root}/control/edge-layout/assets/layout-edges.png"));
    save_rgb(&placement_map(), &format!("{root}/control/placement/assets/layout-seg.png"));
    save_rgb(&pose_map(), &format!("{root}/control/pose/assets/pose.png"));
    save_rgb(&landscape_seg(), "examples/recipes/assets/landscape-seg.png");
    save_gray(&ground_depth(), "examples/recipes/assets/ground-depth.png");
    let sheet = brand_sheet();
    let p = format!("{root}/fluency/brand-palette/assets/brand-sheet.png");
    std::fs::create_dir_all(Path::new(&p).parent().unwrap()).unwrap();
    sheet.save(&p).unwrap();
    println!("wrote {p}");
    render(
        "prompt = \"a fox, orange fur, cream belly, in a forest, noon, flat vector, plain\"\nseed = 2024\nwidth = 512\nheight = 512\n",
        &format!("{root}/control/restyle/assets/forest.png"),
    );
    render(
        "prompt = \"a penguin on the left, wide shot, navy body, orange beak, in a park, noon, flat vector, plain\"\nnegative = \"accessory\"\nseed = 77\nwidth = 512\nheight = 512\n",
        &format!("{root}/control/inpaint/assets/park.png"),
    );
    // The repaint area: the empty lawn on the right.
    let mask = GrayImage::from_fn(512, 512, |x, y| {
        if (300..480).contains(&x) && (200..470).contains(&y) { Luma([255]) } else { Luma([0]) }
    });
    save_gray(&mask, &format!("{root}/control/inpaint/assets/right-mask.png"));
}
