//! Measure the `exposure` check's statistics on real images, to set its
//! ranges from data. Dev time only: reads `../shared/photos/` (photographs)
//! and `../shared/calibration/` (SD 1.5/2.x outputs) and prints, for each
//! set, percentiles of the mean luminance and of the shares of pixels
//! clipped to black and to white (letterbox bars left out, as the check
//! does), the images the default (normal key) fails with why, and the same
//! images letterboxed (black bars of an eighth of the height above and
//! below).
//!
//! `cargo run --example measure_exposure`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

#[path = "shared/mod.rs"]
mod shared;

use genpath::checks::format::{ExposureStats, exposure_stats};
use genpath::imaging::analysis;
use image::RgbImage;

fn stats(img: &RgbImage) -> ExposureStats {
    exposure_stats(&analysis::working(img, 512))
}

fn letterboxed(img: &RgbImage) -> RgbImage {
    let (w, h) = img.dimensions();
    let bar = h / 8;
    let mut out = RgbImage::from_pixel(w, h + 2 * bar, image::Rgb([0, 0, 0]));
    image::imageops::replace(&mut out, img, 0, i64::from(bar));
    out
}

fn pct(v: &mut [f64], q: f64) -> f64 {
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize]
}

fn report(name: &str, rows: &[(String, ExposureStats)]) {
    let mut mean: Vec<f64> = rows.iter().map(|r| r.1.mean).collect();
    let mut black: Vec<f64> = rows.iter().map(|r| r.1.black).collect();
    let mut white: Vec<f64> = rows.iter().map(|r| r.1.white).collect();
    println!("{name}: {} images", rows.len());
    for (label, v) in [("mean", &mut mean), ("black", &mut black), ("white", &mut white)] {
        println!(
            "  {label:6} min {:.3} p5 {:.3} p50 {:.3} p95 {:.3} max {:.3}",
            pct(v, 0.0),
            pct(v, 0.05),
            pct(v, 0.5),
            pct(v, 0.95),
            pct(v, 1.0)
        );
    }
    for (file, s) in rows {
        let why = if s.mean < 0.15 {
            "dark"
        } else if s.mean > 0.85 {
            "bright"
        } else if s.black > 0.08 {
            "black clipped"
        } else if s.white > 0.08 {
            "white clipped"
        } else {
            continue;
        };
        println!("  normal key fails {file}: {why} (mean {:.2}, black {:.3}, white {:.3})", s.mean, s.black, s.white);
    }
}

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared");
    for (name, dir) in [("photos", root.join("photos")), ("model outputs", root.join("calibration"))] {
        let mut files = Vec::new();
        shared::images_below(&dir, &mut files);
        let imgs: Vec<(String, RgbImage)> = files
            .iter()
            .map(|f| (f.strip_prefix(&dir).unwrap().display().to_string(), image::open(f).unwrap().to_rgb8()))
            .collect();
        let rows: Vec<_> = imgs.iter().map(|(f, i)| (f.clone(), stats(i))).collect();
        report(name, &rows);
        let boxed: Vec<_> = imgs.iter().map(|(f, i)| (f.clone(), stats(&letterboxed(i)))).collect();
        report(&format!("{name}, letterboxed"), &boxed);
    }
}
