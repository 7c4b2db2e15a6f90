//! Measure what a `style_changed` v2 needs: how much of an output is *not*
//! explained by any global colour filter of its init (greyscale, a hue
//! flip, a curve). Dev time only: for each init colour (4 bits a channel)
//! the output's mean Lab is taken as the best filter; the residual is the
//! mean Lab distance of the output from that filter. A filter scores near
//! 0; real image-to-image, which redraws texture, scores high. Prints the
//! practice renderer's restyle solution and starter, greyscale and
//! hue-flipped copies, and the SD 2 img2img pair of `../shared/calibration/`.
//!
//! `cargo run --example measure_style`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

use genpath::backend::{Inputs, builtin};
use genpath::imaging::analysis;
use genpath::recipe::{Limits, Recipe};
use image::RgbImage;

/// Mean Lab distance of `out` from the best global colour filter of `init` (128 px).
fn residual(init: &RgbImage, out: &RgbImage) -> f64 {
    let a = analysis::working(init, 128);
    let b = image::imageops::resize(out, a.width(), a.height(), image::imageops::FilterType::Triangle);
    let key = |p: [u8; 3]| (p[0] >> 4, p[1] >> 4, p[2] >> 4);
    let labs: Vec<[f32; 3]> = b.pixels().map(|p| analysis::lab(p.0)).collect();
    let mut bins = std::collections::HashMap::<(u8, u8, u8), ([f64; 3], f64)>::new();
    for (p, l) in a.pixels().zip(&labs) {
        let e = bins.entry(key(p.0)).or_insert(([0.0; 3], 0.0));
        (0..3).for_each(|k| e.0[k] += f64::from(l[k]));
        e.1 += 1.0;
    }
    let total: f64 = a
        .pixels()
        .zip(&labs)
        .map(|(p, l)| {
            let (s, n) = bins[&key(p.0)];
            (0..3).map(|k| (f64::from(l[k]) - s[k] / n).powi(2)).sum::<f64>().sqrt()
        })
        .sum();
    total / labs.len() as f64
}

fn grey(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let p = img.get_pixel(x, y).0;
        let v = ((u32::from(p[0]) * 3 + u32::from(p[1]) * 6 + u32::from(p[2])) / 10) as u8;
        image::Rgb([v, v, v])
    })
}

fn flip(img: &RgbImage) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| {
        let (h, s, l) = genpath::imaging::color::to_hsl(img.get_pixel(x, y).0);
        image::Rgb(genpath::imaging::color::from_hsl(h + 150.0, s, l))
    })
}

fn render(recipe: &str) -> RgbImage {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let text = std::fs::read_to_string(dir.join(recipe)).unwrap();
    let r = Recipe::parse(recipe, &text, Limits::default()).unwrap().resolve().remove(0);
    let init = image::open(dir.join("assets/forest.png")).unwrap().to_rgb8();
    let inputs = Inputs { init: Some(init), ..Inputs::default() };
    builtin::render(&r, r.seed.unwrap_or(7).try_into().unwrap(), &inputs).unwrap().image
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let forest = image::open(root.join("exercises/control/restyle/assets/forest.png")).unwrap().to_rgb8();
    println!("{:40} residual", "output against its init");
    for (name, out) in [
        ("practice restyle solution (strength 0.45)", render("solution/recipe.toml")),
        ("practice restyle starter", render("starter/recipe.toml")),
        ("forest, greyscale copy", grey(&forest)),
        ("forest, hue flipped 150°", flip(&forest)),
    ] {
        println!("{name:40} {:.2}", residual(&forest, &out));
    }
    let pair = root.join("../shared/calibration/edit/sd2_img2img_mountains");
    let init = image::open(pair.join("init.png")).unwrap().to_rgb8();
    for f in ["out.png", "out_02.png"] {
        let out = image::open(pair.join(f)).unwrap().to_rgb8();
        println!("{:40} {:.2}", format!("SD 2 img2img mountains {f}"), residual(&init, &out));
    }
    println!("{:40} {:.2}", "mountains, greyscale copy", residual(&init, &grey(&init)));
    for name in ["cat-00", "dog-00", "backpack-00"] {
        let p = image::open(root.join(format!("tests/fixtures/photos/{name}.jpg"))).unwrap().to_rgb8();
        println!("{:40} {:.2}", format!("{name}, hue flipped 150°"), residual(&p, &flip(&p)));
    }
}
