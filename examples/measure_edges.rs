//! Measure `edge_adherence` (the check's own `edge_agreement`) on real
//! ControlNet outputs, to set its thresholds from data. Dev time only: it
//! reads `../shared/calibration/control/` (canny, hed, mlsd, scribble pairs)
//! and prints each output against its own map, its best score against any
//! other pair's map, and the gaming images (the map, its inverse, noise).
//!
//! `cargo run --example measure_edges`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

use genpath::checks::edits::edge_agreement;
use genpath::imaging::analysis;
use image::RgbImage;

fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/calibration/control");
    let mut pairs = Vec::new();
    for kind in ["canny", "hed", "mlsd", "scribble"] {
        let Ok(dirs) = std::fs::read_dir(root.join(kind)) else {
            eprintln!("no {kind} pairs under {}", root.display());
            continue;
        };
        let mut dirs: Vec<_> = dirs.filter_map(|e| e.ok().map(|e| e.path())).collect();
        dirs.sort();
        for dir in dirs {
            let map = image::open(dir.join("control.png")).expect("control.png").to_rgb8();
            let mut outs: Vec<_> = std::fs::read_dir(&dir)
                .expect("pair folder")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.file_name().is_some_and(|n| n.to_string_lossy().starts_with("out_")))
                .collect();
            outs.sort();
            let outs: Vec<RgbImage> = outs.iter().map(|p| image::open(p).expect("output").to_rgb8()).collect();
            pairs.push((format!("{kind}/{}", dir.file_name().unwrap_or_default().to_string_lossy()), map, outs));
        }
    }
    let work = |img: &RgbImage| analysis::working(img, 512);
    println!("{:30} {:>6} {:>6} {:>7} {:>6}  best other", "own map", "f1", "chance", "above", "corr");
    let (mut own, mut other) = (Vec::new(), Vec::new());
    for (i, (name, map, outs)) in pairs.iter().enumerate() {
        for o in outs {
            let a = edge_agreement(&work(o), map);
            let best = pairs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, (_, m, _))| edge_agreement(&work(o), m).above_chance)
                .fold(f64::MIN, f64::max);
            println!(
                "{name:30} {:6.3} {:6.3} {:7.3} {:+6.3}  {best:.3}",
                a.f1, a.chance, a.above_chance, a.map_correlation
            );
            own.push(a.above_chance);
            other.push(best);
        }
    }
    own.sort_by(f64::total_cmp);
    other.sort_by(f64::total_cmp);
    println!("own: min {:.3} median {:.3}; best other: max {:.3}", own[0], own[own.len() / 2], other[other.len() - 1]);
    println!("{:30} {:8} {:>7} {:>6}", "gaming", "image", "above", "corr");
    for (name, map, _) in &pairs {
        let inverse = RgbImage::from_fn(map.width(), map.height(), |x, y| {
            let p = map.get_pixel(x, y);
            image::Rgb([255 - p[0], 255 - p[1], 255 - p[2]])
        });
        let mut s = 1u64;
        let noise = RgbImage::from_fn(map.width(), map.height(), |_, _| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let v = (s >> 56) as u8;
            image::Rgb([v, v, v])
        });
        for (what, img) in [("map", map.clone()), ("inverse", inverse), ("noise", noise)] {
            let a = edge_agreement(&work(&img), map);
            println!("{name:30} {what:8} {:7.3} {:+6.3}", a.above_chance, a.map_correlation);
        }
    }
}
