//! Calibrate `structure_kept` for image-to-image: at what scale, and from
//! what line, does "the layout was kept" separate from "an object moved,
//! the picture was mirrored, cropped or is another picture"? Dev time only.
//!
//! Layout kept:
//! - the practice renderer's restyle of `forest.png` (the control.restyle
//!   solution recipe) at strengths 0.2–0.6, seeds 1–6;
//! - real pictures (`../shared/photos/`, `../shared/calibration/`, and the
//!   forest) degraded the way a VAE round trip degrades them — SIMULATED,
//!   not a real VAE: JPEG q30 and q50, 4× and 8× down-up resampling
//!   (triangle filter) plus mild Gaussian noise (σ 3 of 255).
//!
//! Layout lost:
//! - unrelated photo pairs (different DreamBooth subjects);
//! - the picture with its subject (the subject finder's box) moved by 5% and
//!   10% of the frame's width, the hole it leaves smeared from its sides;
//! - mirrored; centre-cropped to 80% and scaled back;
//! - the practice renderer at strength 0.75–0.95 (its own render placed on
//!   the init's layout).
//!
//! And the real SD 2 image-to-image pair (a sketch redrawn as a painting).
//! Each case is measured with `layout_ssim` at working size (512, the old
//! measure) and reduced to 128, 64 and 32 px on the long side.
//!
//! `cargo run --example measure_structure`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

#[path = "shared/mod.rs"]
mod shared;

use genpath::backend::{Inputs, builtin};
use genpath::checks::edits::{area_reduce, layout_ssim};
use genpath::imaging::{analysis, resize::triangle_resize, subject};
use genpath::recipe::{Limits, Recipe};
use image::RgbImage;

const SIDES: [Option<u32>; 4] = [None, Some(128), Some(64), Some(32)];

fn jpeg(img: &RgbImage, q: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q).encode_image(img).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

/// Down by `f`, back up, plus Gaussian noise σ 3 (a fixed xorshift stream).
fn down_up(img: &RgbImage, f: u32) -> RgbImage {
    let (w, h) = img.dimensions();
    let small = triangle_resize(img, (w / f).max(1), (h / f).max(1));
    let mut up = image::imageops::resize(&small, w, h, image::imageops::FilterType::Triangle);
    let mut s: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut uniform = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    for p in up.pixels_mut() {
        for c in p.0.iter_mut() {
            let n = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos() * 3.0;
            *c = (f64::from(*c) + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    up
}

fn mirror(img: &RgbImage) -> RgbImage {
    image::imageops::flip_horizontal(img)
}

fn crop80(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let (cw, ch) = (w * 4 / 5, h * 4 / 5);
    let c = image::imageops::crop_imm(img, (w - cw) / 2, (h - ch) / 2, cw, ch).to_image();
    image::imageops::resize(&c, w, h, image::imageops::FilterType::Triangle)
}

/// The subject's box moved right (or left, if it would leave the frame) by
/// `frac` of the width; where it was, each row is a linear blend of the
/// pixels just left and right of the box (a crude inpaint of the hole).
fn moved(img: &RgbImage, frac: f64) -> RgbImage {
    let (w, h) = img.dimensions();
    let s = subject::find(img);
    let d = (f64::from(w) * frac).round() as i64;
    let (bx, by, bw, bh) = (i64::from(s.x), i64::from(s.y), i64::from(s.w.max(1)), i64::from(s.h.max(1)));
    let dx = if bx + bw + d <= i64::from(w) { d } else { -d };
    let mut out = img.clone();
    for y in by..(by + bh).min(i64::from(h)) {
        let l = img.get_pixel((bx - 1).max(0) as u32, y as u32).0;
        let r = img.get_pixel((bx + bw).min(i64::from(w) - 1) as u32, y as u32).0;
        for x in bx..(bx + bw).min(i64::from(w)) {
            let t = (x - bx) as f32 / bw as f32;
            let v = std::array::from_fn(|c| (f32::from(l[c]) * (1.0 - t) + f32::from(r[c]) * t) as u8);
            out.put_pixel(x as u32, y as u32, image::Rgb(v));
        }
    }
    for y in by..(by + bh).min(i64::from(h)) {
        for x in bx..(bx + bw).min(i64::from(w)) {
            let nx = x + dx;
            if (0..i64::from(w)).contains(&nx) {
                out.put_pixel(nx as u32, y as u32, *img.get_pixel(x as u32, y as u32));
            }
        }
    }
    out
}

/// The control.restyle solution recipe at `strength` and `seed`.
fn restyle(init: &RgbImage, strength: f32, seed: u64) -> RgbImage {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let text = std::fs::read_to_string(dir.join("solution/recipe.toml")).unwrap();
    let mut r = Recipe::parse("recipe.toml", &text, Limits::default()).unwrap().resolve().remove(0);
    r.init.as_mut().unwrap().strength = strength;
    let inputs = Inputs { init: Some(init.clone()), ..Inputs::default() };
    builtin::render(&r, seed, &inputs).unwrap().image
}

/// A named list of (init, output) pairs measured at every side.
struct Case {
    name: String,
    kept: bool,
    values: Vec<[f64; 4]>,
}

fn measure(name: &str, kept: bool, pairs: &[(&RgbImage, RgbImage)]) -> Case {
    // The full-size SSIM (the old measure) is slow: every fourth pair only.
    let values = pairs
        .iter()
        .enumerate()
        .map(|(k, (i, o))| {
            SIDES.map(|s| match s {
                None if std::env::var_os("MEAN").is_some() => mean64(i, o),
                None if k % 4 != 0 => f64::NAN,
                _ => layout_ssim(i, o, s),
            })
        })
        .collect();
    eprintln!("measured {name}");
    Case { name: name.into(), kept, values }
}

/// The alternative (MEAN=1 puts it in the first column): the mean SSIM at
/// 64 px, no shift search — what the check took before the worst tenth.
fn mean64(init: &RgbImage, out: &RgbImage) -> f64 {
    let o = analysis::working(out, 512);
    let i = triangle_resize(init, o.width(), o.height());
    let (a, b) = (analysis::gray(&i), analysis::gray(&o));
    let k = 64.0 / a.w.max(a.h) as f64;
    let (w, h) = (((a.w as f64 * k).round() as usize).max(1), ((a.h as f64 * k).round() as usize).max(1));
    analysis::ssim(&area_reduce(&a, w, h), &area_reduce(&b, w, h))
}

fn quantile(v: &[f64], q: f64) -> f64 {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    shared::images_below(&root.join("../shared/photos"), &mut files);
    shared::images_below(&root.join("../shared/calibration"), &mut files);
    let forest = image::open(root.join("exercises/control/restyle/assets/forest.png")).unwrap().to_rgb8();
    let mut pictures: Vec<(String, RgbImage)> = files
        .iter()
        .map(|f| {
            let group = f.parent().unwrap().file_name().unwrap().to_string_lossy().to_string();
            (group, analysis::working(&image::open(f).unwrap().to_rgb8(), 512))
        })
        .collect();
    pictures.push(("forest".into(), forest.clone()));
    let photos: Vec<&(String, RgbImage)> =
        files.iter().zip(&pictures).filter(|(f, _)| f.to_string_lossy().contains("/photos/")).map(|(_, p)| p).collect();
    eprintln!("{} pictures, {} of them DreamBooth photos", pictures.len(), photos.len());

    let mut cases = Vec::new();
    let each = |f: &dyn Fn(&RgbImage) -> RgbImage| -> Vec<(&RgbImage, RgbImage)> {
        pictures.iter().map(|(_, p)| (p, f(p))).collect()
    };
    // Layout kept.
    let strengths = [0.2f32, 0.3, 0.4, 0.45, 0.5, 0.6];
    let renders: Vec<(&RgbImage, RgbImage)> = strengths
        .iter()
        .flat_map(|s| (1..=6).map(move |seed| (*s, seed)))
        .map(|(s, seed)| (&forest, restyle(&forest, s, seed)))
        .collect();
    for (k, s) in strengths.iter().enumerate() {
        let c = measure(&format!("renderer img2img {s:.2} (seeds 1–6)"), true, &renders[k * 6..k * 6 + 6]);
        cases.push(c);
    }
    cases.push(measure("JPEG q50 (sim. VAE)", true, &each(&|p| jpeg(p, 50))));
    cases.push(measure("JPEG q30 (sim. VAE)", true, &each(&|p| jpeg(p, 30))));
    cases.push(measure("4× down-up + noise σ3 (sim.)", true, &each(&|p| down_up(p, 4))));
    cases.push(measure("8× down-up + noise σ3 (sim.)", true, &each(&|p| down_up(p, 8))));
    // Layout lost.
    let mut unrelated = Vec::new();
    for (i, (gi, a)) in photos.iter().enumerate() {
        for k in [7, 23, 41] {
            let (gj, b) = photos[(i + k) % photos.len()];
            if gi != gj {
                unrelated.push((a, b.clone()));
            }
        }
    }
    cases.push(measure("unrelated photo pairs", false, &unrelated));
    cases.push(measure("subject moved 5% of width", false, &each(&|p| moved(p, 0.05))));
    cases.push(measure("subject moved 10% of width", false, &each(&|p| moved(p, 0.10))));
    cases.push(measure("mirrored", false, &each(&mirror)));
    cases.push(measure("centre crop 80%", false, &each(&crop80)));
    let high: Vec<(&RgbImage, RgbImage)> = [0.75f32, 0.85, 0.95]
        .iter()
        .flat_map(|s| (1..=6).map(move |seed| (*s, seed)))
        .map(|(s, seed)| (&forest, restyle(&forest, s, seed)))
        .collect();
    cases.push(measure("renderer img2img 0.75–0.95 (seeds 1–6)", false, &high));

    println!("layout SSIM (2 px shift tolerance at 512), by the long side it is taken at");
    println!(
        "{:42} {:>4} | {:>23} | {:>23} | {:>23} | {:>23}",
        "case", "n", "512 min/med", "128 min/med", "64 min/med", "32 min/med"
    );
    for c in &cases {
        let cols: Vec<String> = (0..4)
            .map(|k| {
                let v: Vec<f64> = c.values.iter().map(|x| x[k]).collect();
                let (lo, hi) = if c.kept {
                    (quantile(&v, 0.0), quantile(&v, 0.05))
                } else {
                    (quantile(&v, 0.95), quantile(&v, 1.0))
                };
                format!("{} {lo:.3}/{hi:.3} m{:.3}", if c.kept { "min/p5" } else { "p95/max" }, quantile(&v, 0.5))
            })
            .collect();
        println!("{:42} {:>4} | {}", c.name, c.values.len(), cols.join(" | "));
    }
    // The separation at each side: the lowest kept value against the
    // highest lost one, and the errors at the best line.
    for (k, side) in SIDES.iter().enumerate() {
        let of = |kept: bool| -> Vec<f64> {
            cases
                .iter()
                .filter(|c| c.kept == kept)
                .flat_map(|c| c.values.iter().map(move |x| x[k]))
                .filter(|v| !v.is_nan())
                .collect()
        };
        let (kept, lost) = (of(true), of(false));
        let mut best = (usize::MAX, 0.0);
        for t in (0..1000).map(|i| f64::from(i) / 1000.0) {
            let errors = kept.iter().filter(|v| **v < t).count() + lost.iter().filter(|v| **v >= t).count();
            if errors < best.0 {
                best = (errors, t);
            }
        }
        let t = best.1;
        let auc = {
            let mut wins = 0.0;
            for a in &kept {
                for b in &lost {
                    wins += if a > b {
                        1.0
                    } else if a == b {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
            wins / (kept.len() * lost.len()) as f64
        };
        println!(
            "side {:>4}: kept n {} min {:.3} p1 {:.3} p5 {:.3}; lost n {} p95 {:.3} p99 {:.3} max {:.3}; AUC {auc:.4}; fewest errors {} at {t:.3} (kept failed {}, lost passed {})",
            side.map_or("512".into(), |s| s.to_string()),
            kept.len(),
            quantile(&kept, 0.0),
            quantile(&kept, 0.01),
            quantile(&kept, 0.05),
            lost.len(),
            quantile(&lost, 0.95),
            quantile(&lost, 0.99),
            quantile(&lost, 1.0),
            best.0,
            kept.iter().filter(|v| **v < t).count(),
            lost.iter().filter(|v| **v >= t).count(),
        );
        for line in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8] {
            println!(
                "    at {line:.2}: kept failed {}/{}, lost passed {}/{}",
                kept.iter().filter(|v| **v < line).count(),
                kept.len(),
                lost.iter().filter(|v| **v >= line).count(),
                lost.len()
            );
        }
    }
    // The lost cases that reach 0.4 at 64 px (to look at).
    for c in cases.iter().filter(|c| !c.kept) {
        let high: Vec<String> = c
            .values
            .iter()
            .enumerate()
            .filter(|(_, x)| x[2] >= 0.4)
            .map(|(i, x)| format!("#{i} {:.3}", x[2]))
            .collect();
        if !high.is_empty() {
            println!("lost, ≥ 0.4 at 64: {}: {}", c.name, high.join(", "));
        }
    }
    let pair = root.join("../shared/calibration/edit/sd2_img2img_mountains");
    let init = image::open(pair.join("init.png")).unwrap().to_rgb8();
    for f in ["out.png", "out_02.png"] {
        let out = image::open(pair.join(f)).unwrap().to_rgb8();
        let v = SIDES.map(|s| layout_ssim(&init, &out, s));
        println!("SD 2 img2img mountains {f}: 512 {:.3}, 128 {:.3}, 64 {:.3}, 32 {:.3}", v[0], v[1], v[2], v[3]);
    }
    let names: Vec<String> = pictures.iter().map(|(g, _)| g.clone()).collect();
    println!(
        "picture index → group: {}",
        names.iter().enumerate().map(|(i, g)| format!("{i}:{g}")).collect::<Vec<_>>().join(" ")
    );
}
