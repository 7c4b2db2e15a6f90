//! Measure the `clean` check's noise and blur estimates on real images, to
//! set its thresholds from data. Dev time only: reads `../shared/photos/`
//! (photographs) and `../shared/calibration/` (SD 1.5/2.x outputs), and
//! prints percentiles of each measure for the images as they are, blurred
//! (Gaussian σ 2 and 4 px at working size) and with added grain (σ 8 and 16
//! grey levels), and for the practice renderer at 5, 12 and 28 steps.
//!
//! `cargo run --release --example measure_clean`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

#[path = "shared/mod.rs"]
mod shared;

use genpath::backend::{Inputs, builtin};
use genpath::imaging::analysis::{self, blur_metric, noise_sigma, noise_sigma_flat};
use genpath::recipe::{Limits, Recipe};
use image::RgbImage;

/// Gaussian-ish grain (sum of four uniforms), σ in grey levels, deterministic.
fn grain(img: &RgbImage, sigma: f32) -> RgbImage {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 40) as f32 / (1u64 << 24) as f32
    };
    let mut out = img.clone();
    for p in out.pixels_mut() {
        for v in p.0.iter_mut() {
            let n = (uniform() + uniform() + uniform() + uniform() - 2.0) * 1.732 * sigma;
            *v = (*v as f32 + n).round().clamp(0.0, 255.0) as u8;
        }
    }
    out
}

fn measures(img: &RgbImage) -> [f64; 3] {
    let g = analysis::gray(img);
    [noise_sigma(&g), noise_sigma_flat(&g), blur_metric(&g)]
}

fn percentiles(name: &str, rows: &[[f64; 3]]) {
    let labels = ["noise (whole)", "noise (flat)", "blur"];
    for (k, label) in labels.iter().enumerate() {
        let mut v: Vec<f64> = rows.iter().map(|r| r[k]).collect();
        v.sort_by(f64::total_cmp);
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        println!(
            "{name:<28} {label:<14} n={:<4} min {:>6.2}  p05 {:>6.2}  p50 {:>6.2}  p95 {:>6.2}  max {:>6.2}",
            v.len(),
            at(0.0),
            at(0.05),
            at(0.5),
            at(0.95),
            at(1.0)
        );
    }
}

fn main() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    for (label, root) in [("photos", shared.join("photos")), ("model outputs", shared.join("calibration"))] {
        let mut files = Vec::new();
        shared::images_below(&root, &mut files);
        let working: Vec<RgbImage> =
            files.iter().map(|p| analysis::working(&image::open(p).unwrap().to_rgb8(), 512)).collect();
        let mut by_variant: Vec<(String, Vec<[f64; 3]>)> = Vec::new();
        by_variant.push((label.to_string(), working.iter().map(measures).collect()));
        for sigma in [2.0f32, 4.0] {
            let rows = working.iter().map(|w| measures(&image::imageops::blur(w, sigma))).collect();
            by_variant.push((format!("{label}, blur σ{sigma}"), rows));
        }
        for sigma in [8.0f32, 16.0] {
            let rows = working.iter().map(|w| measures(&grain(w, sigma))).collect();
            by_variant.push((format!("{label}, grain σ{sigma}"), rows));
        }
        for (name, rows) in &by_variant {
            percentiles(name, rows);
        }
        // Which originals the whole-image and the flat estimate call noisy (> 6).
        let noisy: Vec<String> = files
            .iter()
            .zip(&by_variant[0].1)
            .filter(|(_, m)| m[1] > 6.0)
            .map(|(p, m)| format!("{} ({:.1})", p.strip_prefix(&shared).unwrap().display(), m[1]))
            .collect();
        let whole: Vec<String> = files
            .iter()
            .zip(&by_variant[0].1)
            .filter(|(_, m)| m[0] > 6.0)
            .map(|(p, m)| format!("{} ({:.1} → {:.1})", p.strip_prefix(&shared).unwrap().display(), m[0], m[1]))
            .collect();
        println!(
            "{label}: {} of {} noisy by the whole-image estimate {whole:?}; by the flat one: {noisy:?}\n",
            whole.len(),
            files.len()
        );
    }
    let prompts = [
        "a robot, silver body, cyan accents, in an office, flat vector",
        "a fox, orange fur, in a forest, watercolor",
        "a mug, teal body, on a kitchen table, photographic",
        "a cat, grey fur, on a beach, golden hour, digital painting",
    ];
    for steps in [5, 12, 28] {
        let rows: Vec<[f64; 3]> = prompts
            .iter()
            .flat_map(|prompt| {
                (1..=5).map(move |seed| {
                    let text = format!("prompt = \"{prompt}\"\nseed = {seed}\nsteps = {steps}\ncfg = 7\n");
                    let r = Recipe::parse("m.toml", &text, Limits::default()).unwrap().resolve().remove(0);
                    measures(&analysis::working(&builtin::render(&r, seed, &Inputs::default()).unwrap().image, 512))
                })
            })
            .collect();
        percentiles(&format!("practice, {steps} steps"), &rows);
    }
}
