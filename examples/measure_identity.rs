//! Measure `identity_consistency` on real sets, to set and check its
//! thresholds from data. Dev time only: reads `../shared/calibration/identity/`
//! (SD 1.5 IP-Adapter and LoRA outputs of one character or object) and
//! `../shared/photos/dreambooth/` (photographs of one object), and prints the
//! verdict and value for every same-subject set and for mixed sets made of
//! three different subjects' first images.
//!
//! `cargo run --release --example measure_identity`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: a missing file should stop it loudly

use genpath::checks::{CheckSpec, Deliverable, Severity};
use genpath::checks::{Context, Image, run_one};

fn images_in(dir: &std::path::Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("set folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png" || x == "jpg" || x == "jpeg"))
        .collect();
    files.sort();
    files.into_iter().map(|p| (p.display().to_string(), std::fs::read(&p).unwrap())).collect()
}

fn main() {
    let shared = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared");
    let mut sets = Vec::new();
    for root in [shared.join("calibration/identity"), shared.join("photos/dreambooth")] {
        let mut dirs: Vec<_> = std::fs::read_dir(&root)
            .expect("set root")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for d in dirs {
            let imgs = images_in(&d);
            if imgs.len() >= 2 {
                sets.push((d.strip_prefix(&shared).unwrap().display().to_string(), imgs));
            }
        }
    }
    let spec =
        CheckSpec { check: "identity_consistency".into(), severity: Severity::Essential, params: Default::default() };
    let d = Deliverable { file: "r.toml".into(), count: 0, width: None, height: None, description: None };
    let ctx = Context::standalone(&d);
    let judge = |imgs: &[(String, Vec<u8>)]| {
        let images: Vec<Image> = imgs.iter().map(|(n, b)| Image::load(n, b.clone())).collect();
        run_one(&spec, &images, &ctx)
    };
    let (mut same_pass, mut mixed_fail) = (0, 0);
    println!("same subject");
    for (name, imgs) in &sets {
        let o = judge(&imgs[..imgs.len().min(6)]);
        same_pass += usize::from(o.passed);
        println!(
            "  {:42} {} {:>6.2}  {}",
            name,
            if o.passed { "pass" } else { "FAIL" },
            o.value.unwrap_or(f64::NAN),
            o.message.chars().take(90).collect::<String>()
        );
    }
    println!("mixed (three different subjects)");
    for i in 0..sets.len() {
        let mix: Vec<(String, Vec<u8>)> = (0..3).map(|k| sets[(i + k * 3 + 1) % sets.len()].1[0].clone()).collect();
        let names: Vec<&str> =
            (0..3).map(|k| sets[(i + k * 3 + 1) % sets.len()].0.rsplit('/').next().unwrap()).collect();
        let o = judge(&mix);
        mixed_fail += usize::from(!o.passed);
        println!(
            "  {:42} {} {:>6.2}",
            names.join("+"),
            if o.passed { "pass" } else { "fail" },
            o.value.unwrap_or(f64::NAN)
        );
    }
    println!("same-subject sets passed: {same_pass}/{}; mixed sets failed: {mixed_fail}/{}", sets.len(), sets.len());
}
