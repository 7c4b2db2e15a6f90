//! Calibrate `style_changed`'s redraw measure: how much of an output no
//! global colour filter of its init explains (`analysis::filter_residual`).
//! Dev time only. Every picture below `../shared/photos/` and
//! `../shared/calibration/` is put through colour filters a learner could
//! pass off as a restyle (greyscale, sepia, hue flips, a channel swap, a
//! curve, each also re-saved as JPEG q75) and the residual's distribution
//! per filter is printed; then real SD 2 image-to-image pairs and the
//! practice renderer's restyle at several strengths.
//!
//! `cargo run --release --example measure_style`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

#[path = "shared/mod.rs"]
mod shared;

use genpath::backend::{Inputs, builtin};
use genpath::imaging::{analysis, color};
use genpath::recipe::{Limits, Recipe};
use image::RgbImage;

fn map(img: &RgbImage, f: impl Fn([u8; 3]) -> [u8; 3]) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| image::Rgb(f(img.get_pixel(x, y).0)))
}

fn grey(p: [u8; 3]) -> [u8; 3] {
    let v = ((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8;
    [v; 3]
}

fn sepia(p: [u8; 3]) -> [u8; 3] {
    let [r, g, b] = p.map(f32::from);
    [0.393 * r + 0.769 * g + 0.189 * b, 0.349 * r + 0.686 * g + 0.168 * b, 0.272 * r + 0.534 * g + 0.131 * b]
        .map(|v| v.clamp(0.0, 255.0) as u8)
}

fn hue(deg: f32) -> impl Fn([u8; 3]) -> [u8; 3] {
    move |p| {
        let (h, s, l) = color::to_hsl(p);
        color::from_hsl(h + deg, s, l)
    }
}

fn curve(p: [u8; 3]) -> [u8; 3] {
    let (h, s, l) = color::to_hsl(p);
    color::from_hsl(h + 40.0, (s * 1.4).min(1.0), l.powf(0.7))
}

fn jpeg(img: &RgbImage) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 75).encode_image(img).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

/// The restyle exercise's solution recipe with its strength (and optionally prompt) replaced.
fn restyle(strength: f32, prompt: Option<&str>) -> (RgbImage, RgbImage) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let text = std::fs::read_to_string(dir.join("solution/recipe.toml")).unwrap();
    let mut r = Recipe::parse("recipe.toml", &text, Limits::default()).unwrap().resolve().remove(0);
    r.init.as_mut().unwrap().strength = strength;
    if let Some(p) = prompt {
        r.prompt = p.into();
    }
    let init = image::open(dir.join("assets/forest.png")).unwrap().to_rgb8();
    let inputs = Inputs { init: Some(init.clone()), ..Inputs::default() };
    (init, builtin::render(&r, 7, &inputs).unwrap().image)
}

fn summary(v: &mut [f64]) -> String {
    v.sort_by(f64::total_cmp);
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    format!("n {:3}  median {:5.2}  p95 {:5.2}  max {:5.2}", v.len(), q(0.5), q(0.95), q(1.0))
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    shared::images_below(&root.join("../shared/photos"), &mut files);
    shared::images_below(&root.join("../shared/calibration"), &mut files);
    let pictures: Vec<RgbImage> =
        files.iter().map(|f| analysis::working(&image::open(f).unwrap().to_rgb8(), 512)).collect();
    type Filter = (&'static str, Box<dyn Fn([u8; 3]) -> [u8; 3]>);
    let filters: Vec<Filter> = vec![
        ("greyscale", Box::new(grey)),
        ("sepia", Box::new(sepia)),
        ("hue +150°", Box::new(hue(150.0))),
        ("hue +60°", Box::new(hue(60.0))),
        ("channels rgb→brg", Box::new(|p: [u8; 3]| [p[2], p[0], p[1]])),
        ("curve (hue, saturation, gamma)", Box::new(curve)),
    ];
    println!("colour filters over {} real pictures (residual; higher = more redrawn)", pictures.len());
    let mut all = Vec::new();
    for (name, f) in &filters {
        let mut plain: Vec<f64> = pictures.iter().map(|p| analysis::filter_residual(p, &map(p, f))).collect();
        let mut saved: Vec<f64> = pictures.iter().map(|p| analysis::filter_residual(p, &jpeg(&map(p, f)))).collect();
        all.extend(plain.iter().chain(&saved).copied());
        println!("  {name:32} {}", summary(&mut plain));
        println!("  {:32} {}", format!("{name}, JPEG q75"), summary(&mut saved));
    }
    println!("  {:32} {}", "every filter", summary(&mut all));
    let pair = root.join("../shared/calibration/edit/sd2_img2img_mountains");
    let init = image::open(pair.join("init.png")).unwrap().to_rgb8();
    for f in ["out.png", "out_02.png"] {
        let out = image::open(pair.join(f)).unwrap().to_rgb8();
        println!("{:40} {:.2}", format!("SD 2 img2img mountains {f}"), analysis::filter_residual(&init, &out));
    }
    println!("practice renderer, restyle exercise (forest.png, seed 7):");
    for s in [0.0, 0.2, 0.3, 0.4, 0.45, 0.5, 0.6, 0.75, 0.95] {
        let (init, out) = restyle(s, None);
        println!("  strength {s:.2}  residual {:5.2}", analysis::filter_residual(&init, &out));
    }
    let (init, out) = restyle(0.45, Some("a fox, purple fur, pink belly, in a forest, sunrise, watercolor"));
    println!("  strength 0.45, watercolor  residual {:5.2}", analysis::filter_residual(&init, &out));
}
