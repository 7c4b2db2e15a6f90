//! Makes the exercise assets that are drawn rather than photographed:
//! control maps, masks, brand sheets and init images. Deterministic; run
//! `cargo run --example make_assets` from the repository root after changing
//! it, and commit the files it writes (listed in curriculum/ASSETS.md).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::path::Path;

use genpath::backend::Inputs;
use genpath::backend::builtin;
use genpath::recipe::{Limits, Recipe};
use image::{GrayImage, Luma, Rgb, RgbImage};

fn save_gray(img: &GrayImage, path: &str) {
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

/// A region map: white = the product, mid grey = the headline area, black = the rest.
fn layout_mask(w: u32, h: u32) -> GrayImage {
    GrayImage::from_fn(w, h, |x, y| {
        let (fx, fy) = (x as f32 / w as f32, y as f32 / h as f32);
        if (0.6..0.9).contains(&fx) && (0.2..0.85).contains(&fy) {
            Luma([255])
        } else if (0.05..0.45).contains(&fx) && (0.15..0.85).contains(&fy) {
            Luma([128])
        } else {
            Luma([0])
        }
    })
}

/// Swatches of the café brand: orange, teal, cream.
fn brand_sheet() -> RgbImage {
    let colors = [[0xFF, 0x7A, 0x1A], [0x1B, 0x99, 0x8B], [0xF4, 0xEB, 0xD9]];
    RgbImage::from_fn(600, 200, |x, _| Rgb(colors[(x / 200) as usize]))
}

/// A stick figure, white on black: head, spine, arms, legs; the character stands there.
fn pose(w: u32, h: u32) -> GrayImage {
    let mut g = GrayImage::new(w, h);
    let seg = |g: &mut GrayImage, a: (f32, f32), b: (f32, f32)| {
        let n = ((b.0 - a.0).abs().max((b.1 - a.1).abs()) * 2.0) as usize + 1;
        for i in 0..=n {
            let t = i as f32 / n as f32;
            let (x, y) = (a.0 + (b.0 - a.0) * t, a.1 + (b.1 - a.1) * t);
            for dy in -2i32..=2 {
                for dx in -2i32..=2 {
                    let (px, py) = (x as i32 + dx, y as i32 + dy);
                    if px >= 0 && py >= 0 && (px as u32) < g.width() && (py as u32) < g.height() {
                        g.put_pixel(px as u32, py as u32, Luma([255]));
                    }
                }
            }
        }
    };
    let (cx, top, bottom) = (w as f32 * 0.28, h as f32 * 0.3, h as f32 * 0.9);
    let head_r = h as f32 * 0.07;
    for k in 0..360 {
        let a = k as f32 / 180.0 * std::f32::consts::PI;
        seg(&mut g, (cx + head_r * a.cos(), top + head_r * a.sin()), (cx + head_r * a.cos(), top + head_r * a.sin()));
    }
    let neck = top + head_r;
    let hip = neck + (bottom - neck) * 0.5;
    seg(&mut g, (cx, neck), (cx, hip));
    seg(&mut g, (cx, neck + 20.0), (cx - 70.0, neck + 90.0));
    seg(&mut g, (cx, neck + 20.0), (cx + 70.0, neck - 10.0));
    seg(&mut g, (cx, hip), (cx - 50.0, bottom));
    seg(&mut g, (cx, hip), (cx + 50.0, bottom));
    g
}

fn main() {
    let root = "exercises";
    save_gray(&layout_edges(768, 512), &format!("{root}/control/edge-layout/assets/layout-edges.png"));
    save_gray(&layout_mask(768, 512), &format!("{root}/control/placement/assets/layout-mask.png"));
    save_gray(&pose(768, 512), &format!("{root}/control/pose/assets/pose.png"));
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
