//! Measure the image checks whose default thresholds had no measured data
//! (`mask_adherence`, `inside_changed`, `outside_mask_preserved`'s
//! `min_ssim` and `max_delta_e`, `style_changed`'s `min_delta_e`,
//! `scene_variety`, `reproducible` / `bundle_reruns`, `required_colors`,
//! `rule_of_thirds`, `headroom`, `safe_area`) on real pictures, through the checks themselves or the
//! functions they call. Dev time only: reads `../shared/photos/` and
//! `../shared/calibration/`, and `tests/fixtures/subjects/boxes.csv` for
//! hand-labelled subject boxes. Prints, per part, one line per case and the
//! distribution (min / p25 / p50 / p75 / max) of each measure; the scene
//! part also prints an alternative measure beside the check's, marked "not
//! the check" (the background's palette).
//!
//! `cargo run --example measure_defaults [-- mask|inside|outside|style|scene|rerun|colors|composition]`
//! (no argument: every part).

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

#[path = "shared/mod.rs"]
mod shared;

use std::path::{Path, PathBuf};

use genpath::backend::{Inputs, builtin};
use genpath::checks::composition::text_area;
use genpath::checks::edits;
use genpath::checks::{CheckSpec, Context, Deliverable, Image, Outcome, Severity, run_one};
use genpath::imaging::analysis;
use genpath::recipe::{Limits, Recipe};
use image::{GrayImage, RgbImage};

/// A changed copy of a picture.
type Variant = fn(&RgbImage) -> RgbImage;

fn shared_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared")
}

fn png(img: &RgbImage) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

fn jpeg(img: &RgbImage, q: u8) -> RgbImage {
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, q).encode_image(img).unwrap();
    image::load_from_memory(&bytes).unwrap().to_rgb8()
}

/// `img` moved right and down by `d` px, its first rows and columns repeated.
fn shifted(img: &RgbImage, d: u32) -> RgbImage {
    RgbImage::from_fn(img.width(), img.height(), |x, y| *img.get_pixel(x.saturating_sub(d), y.saturating_sub(d)))
}

fn open(p: &Path) -> RgbImage {
    image::open(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).to_rgb8()
}

/// Every picture of the photos and of the calibration set, with its path below `../shared`.
fn pictures() -> Vec<(String, RgbImage)> {
    let mut files = Vec::new();
    shared::images_below(&shared_dir().join("photos"), &mut files);
    shared::images_below(&shared_dir().join("calibration"), &mut files);
    files.iter().map(|f| (f.strip_prefix(shared_dir()).unwrap().display().to_string(), open(f))).collect()
}

/// Run `check` with `params` (TOML) on `images`; asset parameters are file paths.
fn run(check: &str, params: &str, images: &[RgbImage]) -> Outcome {
    let spec = CheckSpec {
        check: check.into(),
        severity: Severity::Essential,
        params: toml::from_str(params).expect("params"),
    };
    let d = Deliverable { file: "r.toml".into(), count: 0, width: None, height: None, description: None };
    let read = |p: &str| std::fs::read(p).ok();
    let ctx = Context { assets: &read, ..Context::standalone(&d) };
    let imgs: Vec<Image> = images.iter().enumerate().map(|(i, m)| Image::load(format!("{i}"), png(m))).collect();
    run_one(&spec, &imgs, &ctx)
}

fn spread(name: &str, v: &[f64]) {
    let mut v: Vec<f64> = v.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return println!("  {name}: none");
    }
    v.sort_by(f64::total_cmp);
    let q = |f: f64| v[((v.len() - 1) as f64 * f).round() as usize];
    println!(
        "  {name:44} n {:3}  min {:.3}  p25 {:.3}  p50 {:.3}  p75 {:.3}  max {:.3}",
        v.len(),
        q(0.0),
        q(0.25),
        q(0.5),
        q(0.75),
        q(1.0)
    );
}

fn main() {
    let part = std::env::args().nth(1).unwrap_or_default();
    let parts: [(&str, fn()); 8] = [
        ("mask", mask),
        ("inside", inside),
        ("outside", outside),
        ("style", style),
        ("scene", scene),
        ("rerun", rerun),
        ("colors", colors),
        ("composition", composition),
    ];
    for (name, f) in parts {
        if part.is_empty() || part == name {
            println!("=== {name}");
            f();
        }
    }
}

/// `mask_adherence`: each seg output against its own map and the other seg
/// map; every other calibration output against each seg map; the map itself.
fn mask() {
    let root = shared_dir().join("calibration/control/seg");
    let maps = ["cn_house", "cn_river"].map(|p| root.join(p).join("control.png").display().to_string());
    for (k, m) in maps.iter().enumerate() {
        for out in ["out_01.png", "out_02.png"] {
            let o = open(&root.join(["cn_house", "cn_river"][k]).join(out));
            for (j, other) in maps.iter().enumerate() {
                let r = run("mask_adherence", &format!("control = {other:?}"), std::slice::from_ref(&o));
                let own = if j == k { "own  " } else { "other" };
                println!(
                    "  {own} {}/{out} on {other}: {:.3}",
                    ["cn_house", "cn_river"][k],
                    r.value.unwrap_or(f64::NAN)
                );
            }
        }
        let r = run("mask_adherence", &format!("control = {m:?}"), &[open(Path::new(m))]);
        println!("  the map itself {m}: {:.3} {}", r.value.unwrap_or(f64::NAN), r.message);
    }
    let mut unrelated = Vec::new();
    for (name, img) in pictures().iter().filter(|(n, _)| n.starts_with("calibration/") && !n.contains("/seg/")) {
        for m in &maps {
            let r = run("mask_adherence", &format!("control = {m:?}"), std::slice::from_ref(img));
            unrelated.push(r.value.unwrap_or(f64::NAN));
            if r.passed {
                println!("  unrelated passes: {name} on {m}: {:.3}", r.value.unwrap_or(f64::NAN));
            }
        }
    }
    spread("unrelated calibration outputs on a seg map", &unrelated);
}

/// `inside_changed`: real inpaints against their init, and the init itself
/// re-encoded or lightly changed inside the mask.
fn inside() {
    let root = shared_dir().join("calibration/edit");
    for pair in ["ipa_inpaint_face", "lora_pti_inpaint_pearl"] {
        let dir = root.join(pair);
        let (init, mask) = (dir.join("init.png"), dir.join("mask.png"));
        let params = format!("init = {:?}\nmask = {:?}", init.display().to_string(), mask.display().to_string());
        let base = open(&init);
        let m = open(&mask);
        // A light change inside the mask only: each pixel's channels scaled by `f`.
        let graded = |f: f32| {
            RgbImage::from_fn(base.width(), base.height(), |x, y| {
                let p = base.get_pixel(x, y).0;
                let inside = m.get_pixel(x, y).0[0] >= 128;
                image::Rgb(if inside { p.map(|c| (f32::from(c) * f).clamp(0.0, 255.0) as u8) } else { p })
            })
        };
        let blurred = image::imageops::blur(&base, 3.0);
        let cases: Vec<(&str, RgbImage)> = vec![
            ("out.png", open(&dir.join("out.png"))),
            ("out_02.png", open(&dir.join("out_02.png"))),
            ("the init itself", base.clone()),
            ("init JPEG q75", jpeg(&base, 75)),
            ("init 10% darker inside", graded(0.9)),
            ("init 20% darker inside", graded(0.8)),
            ("init blurred σ 3", blurred),
        ];
        for (name, img) in cases {
            let v = run("inside_changed", &params, &[img]).value.unwrap_or(f64::NAN);
            println!("  {pair} {name:26} mean ΔE00 inside {v:.2}");
        }
    }
    practice_inpaint();
}

/// The practice renderer on `control.inpaint`: its solution (masked) and its
/// starter (image-to-image at strength 0.6, no mask), seeds 40 and 1–5.
fn practice_inpaint() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/inpaint");
    let (init, mask) = (dir.join("assets/park.png"), dir.join("assets/right-mask.png"));
    let params = format!("init = {:?}\nmask = {:?}", init.display().to_string(), mask.display().to_string());
    for (which, masked) in [("solution", true), ("starter", false)] {
        let text = std::fs::read_to_string(dir.join(which).join("recipe.toml")).unwrap();
        let recipe = Recipe::parse("recipe.toml", &text, Limits::default()).unwrap().resolve().remove(0);
        let m = masked.then(|| image::open(&mask).unwrap().to_luma8());
        let inputs = Inputs { init: Some(open(&init)), mask: m, ..Inputs::default() };
        let v: Vec<f64> = [40, 1, 2, 3, 4, 5]
            .iter()
            .map(|seed| {
                let out = builtin::render(&recipe, *seed, &inputs).unwrap().image;
                run("inside_changed", &params, &[out]).value.unwrap_or(f64::NAN)
            })
            .collect();
        spread(&format!("practice renderer, control.inpaint {which}"), &v);
    }
}

/// `outside_mask_preserved`: perfect inpaints (the init outside the mask,
/// anything inside) as they are and through JPEG, and real inpaints without
/// paste-back.
fn outside() {
    let mut rows: Vec<(&str, Vec<[f64; 3]>)> =
        vec![("perfect", vec![]), ("perfect, JPEG q90", vec![]), ("perfect, JPEG q75", vec![])];
    let mut cases: Vec<(RgbImage, GrayImage, RgbImage)> = Vec::new();
    // The two real pairs, pasted back over their init.
    let root = shared_dir().join("calibration/edit");
    for pair in ["ipa_inpaint_face", "lora_pti_inpaint_pearl"] {
        let init = open(&root.join(pair).join("init.png"));
        let mask = image::open(root.join(pair).join("mask.png")).unwrap().to_luma8();
        for out in ["out.png", "out_02.png"] {
            let raw = open(&root.join(pair).join(out));
            let o = edits::outside_mask(&init, &mask, &raw).unwrap();
            println!("  real, not pasted back: {pair}/{out}: SSIM {:.3}, mean ΔE00 {:.2}", o.ssim, o.mean_delta_e);
            cases.push((init.clone(), mask.clone(), raw));
        }
    }
    // Every photo with an ellipse in its middle repainted from the next photo.
    let mut photos = Vec::new();
    shared::images_below(&shared_dir().join("photos"), &mut photos);
    let photos: Vec<RgbImage> = photos.iter().map(|p| open(p)).collect();
    for (i, p) in photos.iter().enumerate() {
        let (w, h) = p.dimensions();
        let mask = GrayImage::from_fn(w, h, |x, y| {
            let (dx, dy) = ((f64::from(x) / f64::from(w) - 0.5) / 0.25, (f64::from(y) / f64::from(h) - 0.5) / 0.3);
            image::Luma([if dx * dx + dy * dy <= 1.0 { 255 } else { 0 }])
        });
        let other =
            image::imageops::resize(&photos[(i + 1) % photos.len()], w, h, image::imageops::FilterType::Triangle);
        cases.push((p.clone(), mask, other));
    }
    for (init, mask, inside) in &cases {
        let perfect = RgbImage::from_fn(init.width(), init.height(), |x, y| {
            if mask.get_pixel(x, y).0[0] >= 128 { *inside.get_pixel(x, y) } else { *init.get_pixel(x, y) }
        });
        for (k, img) in [perfect.clone(), jpeg(&perfect, 90), jpeg(&perfect, 75)].iter().enumerate() {
            let o = edits::outside_mask(init, mask, img).unwrap();
            rows[k].1.push([o.ssim, o.mean_delta_e, o.max_patch_delta_e]);
        }
    }
    for (label, v) in &rows {
        let pass = v.iter().filter(|r| r[0] >= 0.98 && r[1] <= 2.0 && r[2] <= 8.0).count();
        spread(&format!("{label}: SSIM outside"), &v.iter().map(|r| r[0]).collect::<Vec<_>>());
        spread(&format!("{label}: mean ΔE00 outside"), &v.iter().map(|r| r[1]).collect::<Vec<_>>());
        println!("  {label}: pass at the defaults {pass} / {}", v.len());
        let (ss, de, patch) = (
            v.iter().filter(|r| r[0] < 0.98).count(),
            v.iter().filter(|r| r[1] > 2.0).count(),
            v.iter().filter(|r| r[2] > 8.0).count(),
        );
        println!("    fail SSIM < 0.98: {ss}, mean ΔE00 > 2: {de}, a block > 8: {patch}");
    }
}

/// `style_changed`'s palette ΔE00 (`min_delta_e`): copies of each picture
/// that are no restyle, real SD 2 image-to-image, and the practice
/// renderer's restyle at several strengths.
fn style() {
    let palette = |init: &Path, out: &RgbImage| {
        let params = format!("init = {:?}", init.display().to_string());
        let o = run("style_changed", &params, std::slice::from_ref(out));
        o.measures.iter().find(|m| m.name == "palette_delta_e").map_or(f64::NAN, |m| m.value)
    };
    let mut files = Vec::new();
    shared::images_below(&shared_dir().join("photos"), &mut files);
    shared::images_below(&shared_dir().join("calibration"), &mut files);
    let grey = |i: &RgbImage| image::DynamicImage::ImageLuma8(image::imageops::grayscale(i)).to_rgb8();
    let (mut q75, mut greys) = (Vec::new(), Vec::new());
    for f in &files {
        let img = open(f);
        q75.push(palette(f, &jpeg(&img, 75)));
        greys.push(palette(f, &grey(&img)));
    }
    spread("the picture as JPEG q75", &q75);
    spread("the picture in greyscale", &greys);
    let at8 = |v: &[f64]| v.iter().filter(|x| **x >= 8.0).count();
    println!("  at or above 8: JPEG q75 {} / {}, greyscale {} / {}", at8(&q75), q75.len(), at8(&greys), greys.len());
    for (f, v) in files.iter().zip(&q75).filter(|(_, v)| **v >= 8.0) {
        println!("    JPEG q75 of {} moves the palette by {v:.2}", f.display());
    }
    let pair = shared_dir().join("calibration/edit/sd2_img2img_mountains");
    for out in ["out.png", "out_02.png"] {
        println!("  real SD 2 img2img {out}: {:.2}", palette(&pair.join("init.png"), &open(&pair.join(out))));
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control/restyle");
    let text = std::fs::read_to_string(dir.join("solution/recipe.toml")).unwrap();
    let recipe = Recipe::parse("recipe.toml", &text, Limits::default()).unwrap().resolve().remove(0);
    let forest = dir.join("assets/forest.png");
    let inputs = Inputs { init: Some(open(&forest)), ..Inputs::default() };
    for strength in [0.2, 0.3, 0.45, 0.6, 0.75] {
        let v: Vec<f64> = (1..=6)
            .map(|seed| {
                let mut r = recipe.clone();
                r.init.as_mut().unwrap().strength = strength;
                palette(&forest, &builtin::render(&r, seed, &inputs).unwrap().image)
            })
            .collect();
        spread(&format!("practice restyle, strength {strength}"), &v);
    }
}

fn folders(root: &Path) -> Vec<PathBuf> {
    let mut d: Vec<PathBuf> =
        std::fs::read_dir(root).unwrap().flatten().map(|e| e.path()).filter(|p| p.is_dir()).collect();
    d.sort();
    d
}

fn set_in(dir: &Path) -> Vec<RgbImage> {
    let mut files = Vec::new();
    shared::images_below(dir, &mut files);
    files.iter().map(|f| open(f)).collect()
}

/// `scene_variety`: real sets as they are, sets of different subjects, and
/// same-scene sets made from one picture (crops, shifts, JPEG).
fn scene() {
    let sh = shared_dir();
    let mut sets: Vec<(String, Vec<RgbImage>)> = Vec::new();
    for d in folders(&sh.join("photos/dreambooth")).into_iter().chain(folders(&sh.join("calibration/identity"))) {
        sets.push((d.file_name().unwrap().to_string_lossy().into(), set_in(&d)));
    }
    let measure = |imgs: &[RgbImage]| {
        let o = run("scene_variety", "", imgs);
        let spread = o.measures.iter().find(|m| m.name == "position_spread").map_or(f64::NAN, |m| m.value);
        let shared =
            o.measures.iter().find(|m| m.name == "shared_background_keypoints").map_or(0, |m| m.value as usize);
        (o.value.unwrap_or(f64::NAN), spread, background_palette(imgs), shared, o.passed)
    };
    let (mut real, mut mixed, mut same) = (Vec::new(), Vec::new(), Vec::new());
    for (i, (name, imgs)) in sets.iter().enumerate() {
        let (d, s, pal, kp, passed) = measure(imgs);
        real.push((d, s, pal, kp, passed));
        println!(
            "  real set {name:28} background pHash median {d:4.1}  position spread {s:.3}  background palette {pal:.1}  shared background keypoints {kp}"
        );
        let mix: Vec<RgbImage> = (0..4).map(|k| sets[(i + 1 + k * 5) % sets.len()].1[0].clone()).collect();
        mixed.push(measure(&mix));
        let a = &imgs[0];
        let (w, h) = a.dimensions();
        let crop = |fx: f32, fy: f32| {
            let (cw, ch) = ((w as f32 * 0.9) as u32, (h as f32 * 0.9) as u32);
            let c = image::imageops::crop_imm(a, (fx * (w - cw) as f32) as u32, (fy * (h - ch) as f32) as u32, cw, ch);
            image::imageops::resize(&c.to_image(), w, h, image::imageops::FilterType::Triangle)
        };
        let one_scene = vec![a.clone(), crop(0.0, 0.0), crop(1.0, 1.0), shifted(a, 8), jpeg(a, 75)];
        same.push(measure(&one_scene));
    }
    for (label, rows) in [
        ("real sets", &real),
        ("4 different subjects' first images", &mixed),
        ("one picture: crops, shift, JPEG", &same),
    ] {
        spread(&format!("{label}: background pHash"), &rows.iter().map(|r| r.0).collect::<Vec<_>>());
        spread(&format!("{label}: position spread"), &rows.iter().map(|r| r.1).collect::<Vec<_>>());
        spread(&format!("{label}: background palette (not the check)"), &rows.iter().map(|r| r.2).collect::<Vec<_>>());
        spread(
            &format!("{label}: shared background keypoints (most of a pair)"),
            &rows.iter().map(|r| r.3 as f64).collect::<Vec<_>>(),
        );
        println!("  {label}: pass the check as configured: {} / {}", rows.iter().filter(|r| r.4).count(), rows.len());
        for line in [16.0, 27.0] {
            println!("  {label}: pass at {line}: {} / {}", rows.iter().filter(|r| r.0 >= line).count(), rows.len());
        }
    }
}

/// Not the check: the median pairwise palette ΔE00 (k = 5, ≤ 128 px) of the
/// pixels outside each image's subject box — whether the background's
/// colours tell one scene drawn again from different scenes.
fn background_palette(imgs: &[RgbImage]) -> f64 {
    let pals: Vec<_> = imgs
        .iter()
        .map(|img| {
            let small = analysis::working(img, 128);
            let b = Image::load("x", png(img)).subject().map(|f| f.bbox).unwrap_or([0.0; 4]);
            let (w, h) = (f64::from(small.width()), f64::from(small.height()));
            let labs: Vec<[f32; 3]> = small
                .enumerate_pixels()
                .filter(|(x, y, _)| {
                    let (fx, fy) = ((f64::from(*x) + 0.5) / w, (f64::from(*y) + 0.5) / h);
                    !(fx >= b[0] && fx < b[0] + b[2] && fy >= b[1] && fy < b[1] + b[3])
                })
                .map(|(_, _, p)| analysis::lab(p.0))
                .collect();
            analysis::dominant(&labs, 5)
        })
        .collect();
    let mut d = Vec::new();
    for i in 0..pals.len() {
        for j in i + 1..pals.len() {
            d.push(analysis::palette_distance(&pals[i], &pals[j]));
        }
    }
    d.sort_by(f64::total_cmp);
    d.get(d.len() / 2).copied().unwrap_or(f64::NAN)
}

/// `reproducible` / `bundle_reruns`: SSIM and pHash as `compare_rerun`
/// takes them, for re-encodes, shifts and other draws of the same prompt.
fn rerun() {
    let measure = |a: &RgbImage, b: &RgbImage| {
        let ph = f64::from(analysis::hamming(analysis::phash(a), analysis::phash(b)));
        let ss = if a.dimensions() == b.dimensions() {
            analysis::ssim(&analysis::gray(&analysis::working(a, 512)), &analysis::gray(&analysis::working(b, 512)))
        } else {
            0.0
        };
        (ss, ph)
    };
    let pics = pictures();
    let variants: [(&str, Variant); 5] = [
        ("PNG -> JPEG q90", |i| jpeg(i, 90)),
        ("PNG -> JPEG q75", |i| jpeg(i, 75)),
        ("1 px shift", |i| shifted(i, 1)),
        ("2 px shift", |i| shifted(i, 2)),
        ("grain σ 2 (8-bit levels)", |i| {
            let mut s = 7u32;
            RgbImage::from_fn(i.width(), i.height(), |x, y| {
                s = s.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                let n = ((s >> 8) % 1000) as f32 / 1000.0 * 2.0 * 1.732 * 2.0 - 1.732 * 2.0;
                image::Rgb(i.get_pixel(x, y).0.map(|c| (f32::from(c) + n).clamp(0.0, 255.0) as u8))
            })
        }),
    ];
    let report = |label: &str, rows: &[(f64, f64)]| {
        let pass = rows.iter().filter(|r| r.0 >= 0.95 && r.1 <= 4.0).count();
        spread(&format!("{label}: SSIM"), &rows.iter().map(|r| r.0).collect::<Vec<_>>());
        spread(&format!("{label}: pHash"), &rows.iter().map(|r| r.1).collect::<Vec<_>>());
        println!("  {label}: pass at the defaults {pass} / {}", rows.len());
    };
    for (label, f) in variants {
        let rows: Vec<(f64, f64)> = pics.iter().map(|(_, p)| measure(p, &f(p))).collect();
        report(label, &rows);
        if !label.contains("shift") {
            for ((name, _), (ss, ph)) in pics.iter().zip(&rows).filter(|(_, r)| r.0 < 0.95 || r.1 > 4.0) {
                println!("    fails: {name} SSIM {ss:.3} pHash {ph}");
            }
        }
    }
    // Other draws: two outputs of one control pair (another seed), consecutive
    // images of one identity set, consecutive photos of one subject.
    let sh = shared_dir();
    let mut seeds = Vec::new();
    for kind in folders(&sh.join("calibration/control")) {
        for pair in folders(&kind) {
            let outs: Vec<RgbImage> = set_in(&pair);
            for w in outs.windows(2) {
                seeds.push(measure(&w[0], &w[1]));
            }
        }
    }
    report("two outputs of one control map (another seed)", &seeds);
    let mut others = Vec::new();
    for d in folders(&sh.join("calibration/identity")).into_iter().chain(folders(&sh.join("photos/dreambooth"))) {
        let imgs = set_in(&d);
        for w in imgs.windows(2) {
            let b = image::imageops::resize(&w[1], w[0].width(), w[0].height(), image::imageops::FilterType::Triangle);
            others.push(measure(&w[0], &b));
        }
    }
    report("consecutive images of one subject set (resized)", &others);
}

/// `required_colors` on the whole image: a labelled subject's main colour
/// (found on it by the hand label) and colours absent from the picture.
fn colors() {
    let labels = boxes();
    let (mut found, mut absent) = ((0, 0), (0, 0));
    let mut near = Vec::new();
    let grid = [(0.03, 6.0), (0.03, 8.0), (0.03, 10.0), (0.01, 6.0), (0.05, 6.0), (0.10, 6.0)];
    let mut found_at = [0usize; 6];
    for (file, img, b) in &labels {
        // The subject's main colour: the largest k-means cluster of its labelled box.
        let sub = image::imageops::crop_imm(img, b[0], b[1], b[2], b[3]).to_image();
        let small = analysis::working(&sub, 96);
        let labs: Vec<[f32; 3]> = small.pixels().map(|p| analysis::lab(p.0)).collect();
        let main = analysis::dominant(&labs, 5)[0].0;
        let hex = |l: [f32; 3]| {
            let c = analysis::lab_to_rgb(l);
            format!("#{:02X}{:02X}{:02X}", c[0], c[1], c[2])
        };
        // The nearest cluster of the whole image (the check's k = 8 on ≤128 px) of ≥ 3% share.
        let whole: Vec<[f32; 3]> = analysis::working(img, 128).pixels().map(|p| analysis::lab(p.0)).collect();
        let clusters = analysis::dominant(&whole, 8);
        let d = clusters.iter().filter(|c| c.1 >= 0.03).map(|c| analysis::delta_e(c.0, main)).fold(f32::MAX, f32::min);
        near.push(f64::from(d));
        for (k, (share, de)) in grid.iter().enumerate() {
            found_at[k] += usize::from(clusters.iter().any(|c| c.1 >= *share && analysis::delta_e(c.0, main) <= *de));
        }
        let o = run("required_colors", &format!("colors = [{:?}]", hex(main)), std::slice::from_ref(img));
        found = (found.0 + usize::from(o.passed), found.1 + 1);
        // A colour absent from the picture: the main colour of the next labelled
        // picture, when it is ΔE00 > 20 from every pixel cluster of this one.
        let (_, next, nb) = &labels[(labels.iter().position(|l| &l.0 == file).unwrap() + 7) % labels.len()];
        let nsub = analysis::working(&image::imageops::crop_imm(next, nb[0], nb[1], nb[2], nb[3]).to_image(), 96);
        let other = analysis::dominant(&nsub.pixels().map(|p| analysis::lab(p.0)).collect::<Vec<_>>(), 5)[0].0;
        if clusters.iter().all(|c| analysis::delta_e(c.0, other) > 20.0) {
            let o = run("required_colors", &format!("colors = [{:?}]", hex(other)), std::slice::from_ref(img));
            absent = (absent.0 + usize::from(o.passed), absent.1 + 1);
        }
        if !o.passed {
            println!("  main colour {} of {file} not found (nearest cluster ≥ 3%: ΔE00 {d:.1})", hex(main));
        }
    }
    spread("ΔE00 from a subject's main colour to the nearest cluster ≥ 3%", &near);
    println!("  subject's main colour found on the whole image: {} / {}", found.0, found.1);
    for ((share, de), n) in grid.iter().zip(found_at) {
        println!("    at min_share {share}, max_delta_e {de}: {n} / {}", labels.len());
    }
    println!("  a colour absent from the picture (ΔE00 > 20 from every cluster) passed: {} / {}", absent.0, absent.1);
    practice_brand();
    neutral_backdrops();
}

/// The practice renderer on `fluency.brand-palette`: the solution (with its
/// brand sheet as a reference) and the same prompt without it, seeds 1–12,
/// judged on the whole image at tolerances 6, 8 and 10.
fn practice_brand() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/fluency/brand-palette");
    let text = std::fs::read_to_string(dir.join("solution/recipe.toml")).unwrap();
    let recipe = Recipe::parse("recipe.toml", &text, Limits::default()).unwrap().resolve().remove(0);
    let sheet = open(&dir.join("assets/brand-sheet.png"));
    for (which, reference) in [("with the brand sheet", Some((sheet, 0.8))), ("colour words only", None)] {
        let inputs = Inputs { reference, ..Inputs::default() };
        let outs: Vec<RgbImage> = (1..=12).map(|seed| builtin::render(&recipe, seed, &inputs).unwrap().image).collect();
        for de in [6.0, 8.0, 10.0] {
            let params = format!("colors = [\"#FF7A1A\", \"#1B998B\"]\nmax_delta_e = {de:.1}");
            let verdicts: Vec<Outcome> =
                outs.iter().map(|o| run("required_colors", &params, std::slice::from_ref(o))).collect();
            let pass = verdicts.iter().filter(|o| o.passed).count();
            println!("  practice brand-palette solution, {which}, max_delta_e {de}: {pass} / 12 pass");
            for o in verdicts.iter().filter(|o| !o.passed).take(2) {
                println!("    {}", o.message.split(':').next().unwrap_or(""));
            }
        }
    }
}

/// `palette_coverage`'s `min_chroma`: on pictures whose backdrop (outside
/// the hand label) is neutral by its median chroma (< 5), the share of backdrop
/// pixels that still count as chromatic at chroma 10 (they dilute coverage).
fn neutral_backdrops() {
    let (mut tinted, mut p90) = (Vec::new(), Vec::new());
    for (file, img, b) in boxes() {
        let small = analysis::working(&img, 128);
        let s = f64::from(small.width()) / f64::from(img.width());
        let inside = |x: u32, y: u32| {
            let (x, y) = (f64::from(x) / s, f64::from(y) / s);
            x >= f64::from(b[0]) && x < f64::from(b[0] + b[2]) && y >= f64::from(b[1]) && y < f64::from(b[1] + b[3])
        };
        let mut c: Vec<f32> = small
            .enumerate_pixels()
            .filter(|(x, y, _)| !inside(*x, *y))
            .map(|(_, _, p)| analysis::chroma(analysis::lab(p.0)))
            .collect();
        if c.len() < 100 {
            continue;
        }
        c.sort_by(f32::total_cmp);
        if c[c.len() / 2] < 5.0 {
            let over = c.iter().filter(|v| **v >= 10.0).count() as f64 / c.len() as f64;
            p90.push(f64::from(c[c.len() * 9 / 10]));
            if over >= 0.1 {
                println!("  neutral backdrop {file}: median chroma {:.1}, share ≥ 10: {over:.2}", c[c.len() / 2]);
            }
            tinted.push(over);
        }
    }
    spread("neutral backdrops (median chroma < 5): p90 chroma", &p90);
    spread("neutral backdrops: share of pixels at chroma ≥ 10", &tinted);
}

/// The hand-labelled pictures: file, pixels, box [x, y, w, h] in pixels.
fn boxes() -> Vec<(String, RgbImage, [u32; 4])> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/subjects");
    let text = std::fs::read_to_string(dir.join("boxes.csv")).unwrap();
    text.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.splitn(8, ',').collect();
            let n = |i: usize| f[i].parse::<u32>().unwrap();
            (f[0].to_string(), open(&dir.join(f[0])), [n(3), n(4), n(5), n(6)])
        })
        .collect()
}

/// Distance of a point (fractions) from the nearest thirds point, as a share of the diagonal.
fn thirds_distance(c: [f64; 2], w: f64, h: f64) -> f64 {
    let diag = (w * w + h * h).sqrt();
    [1.0 / 3.0, 2.0 / 3.0]
        .iter()
        .flat_map(|fx| [1.0 / 3.0, 2.0 / 3.0].map(|fy| ((c[0] - fx) * w).hypot((c[1] - fy) * h) / diag))
        .fold(f64::MAX, f64::min)
}

/// `rule_of_thirds`, `headroom`, `safe_area` on the hand-labelled pictures:
/// the finder's measure, the hand label's, and the exercises' text areas.
fn composition() {
    let (mut th_f, mut th_l, mut th_err, mut hr_f, mut hr_l) = (vec![], vec![], vec![], vec![], vec![]);
    for (_, img, b) in boxes() {
        let (w, h) = (f64::from(img.width()), f64::from(img.height()));
        let found = Image::load("x", png(&img)).subject().unwrap();
        if !found.present() {
            continue;
        }
        let label_c = [(f64::from(b[0]) + f64::from(b[2]) / 2.0) / w, (f64::from(b[1]) + f64::from(b[3]) / 2.0) / h];
        th_f.push(thirds_distance(found.centroid, w, h));
        th_l.push(thirds_distance(label_c, w, h));
        th_err.push(((found.centroid[0] - label_c[0]) * w).hypot((found.centroid[1] - label_c[1]) * h) / w.hypot(h));
        hr_f.push((found.bbox[1] - found.content[1]).max(0.0) / found.content[3].max(1e-9));
        hr_l.push(f64::from(b[1]) / h);
    }
    let ok = |x: f64| (0.05..=0.20).contains(&x);
    spread("thirds distance, finder's centroid", &th_f);
    spread("thirds distance, hand label's centre", &th_l);
    spread("finder centroid − label centre (diagonals)", &th_err);
    let share = |v: &[f64], f: &dyn Fn(f64) -> bool| v.iter().filter(|x| f(**x)).count();
    println!(
        "  within 0.08: finder {} / {}, labels {} / {}",
        share(&th_f, &|x| x <= 0.08),
        th_f.len(),
        share(&th_l, &|x| x <= 0.08),
        th_l.len()
    );
    let errs: Vec<f64> = hr_f.iter().zip(&hr_l).map(|(a, b)| (a - b).abs()).collect();
    spread("|headroom finder − label|", &errs);
    let agree = hr_f.iter().zip(&hr_l).filter(|(a, b)| ok(**a) == ok(**b)).count();
    println!("  headroom verdict finder = label: {agree} / {}", hr_f.len());
    thirds_crops();
    spread("headroom, finder", &hr_f);
    spread("headroom, hand label", &hr_l);
    println!(
        "  headroom 5–20%: finder {} / {}, labels {} / {}",
        share(&hr_f, &ok),
        hr_f.len(),
        share(&hr_l, &ok),
        hr_l.len()
    );
    let regions: [(&str, [f64; 4]); 4] = [
        ("composition (right)", [0.58, 0.1, 0.38, 0.8]),
        ("control.campaign (left)", [0.03, 0.1, 0.38, 0.8]),
        ("control.placement (left)", [0.05, 0.15, 0.4, 0.7]),
        ("systems.campaign (top band)", [0.05, 0.02, 0.9, 0.22]),
    ];
    let pics = pictures();
    let loaded: Vec<(String, Image)> = pics.iter().map(|(n, p)| (n.clone(), Image::load(n, png(p)))).collect();
    for (name, r) in regions {
        let stats: Vec<(f64, f64)> = loaded.iter().map(|(_, i)| text_area(i, r)).map(|s| (s.0, s.1)).collect();
        spread(&format!("{name}: edge density"), &stats.iter().map(|s| s.0).collect::<Vec<_>>());
        spread(&format!("{name}: subject overlap"), &stats.iter().map(|s| s.1).collect::<Vec<_>>());
        let pass: Vec<&str> = loaded
            .iter()
            .zip(&stats)
            .filter(|(_, s)| s.0 <= 0.03 && s.1 <= 0.05)
            .map(|((n, _), _)| n.as_str())
            .collect();
        println!("  {name}: pass at the defaults {} / {}: {}", pass.len(), stats.len(), pass.join(" "));
        let clear: Vec<f64> = stats.iter().filter(|s| s.1 <= 0.05).map(|s| s.0).collect();
        spread(&format!("{name}: edge density where clear of the subject"), &clear);
        for ((n, _), s) in loaded.iter().zip(&stats).filter(|(_, s)| s.1 <= 0.05 && s.0 > 0.03 && s.0 <= 0.06) {
            println!("    clear, {:.3}: {n}", s.0);
        }
    }
}

/// Crops of the hand-labelled pictures (60% and 75% of each side) that put the
/// label's centre on a thirds point, and crops that centre it: the finder's
/// thirds distance on each.
fn thirds_crops() {
    let (mut on, mut centred) = (Vec::new(), Vec::new());
    for (_, img, b) in boxes() {
        let (w, h) = (img.width() as f64, img.height() as f64);
        let (cx, cy) = (f64::from(b[0]) + f64::from(b[2]) / 2.0, f64::from(b[1]) + f64::from(b[3]) / 2.0);
        let (t1, t2) = (1.0 / 3.0, 2.0 / 3.0);
        for (side, fx, fy, dest) in [0.6, 0.75]
            .into_iter()
            .flat_map(|k| [(k, t1, t1, 0), (k, t2, t1, 0), (k, t1, t2, 0), (k, t2, t2, 0), (k, 0.5, 0.5, 1)])
        {
            let (cw, ch) = (w * side, h * side);
            let (x0, y0) = (cx - fx * cw, cy - fy * ch);
            // Only crops that hold the point where wanted and the whole box.
            if x0 < 0.0 || y0 < 0.0 || x0 + cw > w || y0 + ch > h {
                continue;
            }
            if f64::from(b[0]) < x0
                || f64::from(b[1]) < y0
                || f64::from(b[0] + b[2]) > x0 + cw
                || f64::from(b[1] + b[3]) > y0 + ch
            {
                continue;
            }
            let c = image::imageops::crop_imm(&img, x0 as u32, y0 as u32, cw as u32, ch as u32).to_image();
            let found = Image::load("x", png(&c)).subject().unwrap();
            if found.present() {
                let d = thirds_distance(found.centroid, cw, ch);
                if dest == 0 { on.push(d) } else { centred.push(d) }
            }
        }
    }
    spread("crops with the label on a thirds point: finder", &on);
    spread("crops with the label centred: finder", &centred);
    let n = |v: &[f64]| v.iter().filter(|x| **x <= 0.08).count();
    println!(
        "  pass at 0.08: on a thirds point {} / {}, centred {} / {}",
        n(&on),
        on.len(),
        n(&centred),
        centred.len()
    );
}
