//! Check library speed on 512×512 and 1024×1024 inputs: Canny, edge F1,
//! keypoints (one pair), identity (10 images), SSIM, and the triangle
//! resize to the working size. Targets (issue: checks): Canny ≤ 15 ms,
//! Gaussian SSIM ≤ 25 ms, tolerant edge F1 ≤ 30 ms (one thread); a 10-image
//! identity check ≤ 400 ms (2 cores). For ratios against OpenCV and
//! scikit-image on the same inputs, run `scripts/bench-peers`.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::checks::{self, Context, Image, Severity};
use genpath::curriculum::{CheckSpec, Deliverable};
use genpath::imaging::{analysis, keypoints};
use image::RgbImage;

fn photo(name: &str, side: u32) -> RgbImage {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos").join(format!("{name}.jpg"));
    let img = image::open(path).unwrap().to_rgb8();
    image::imageops::resize(&img, side, side, image::imageops::FilterType::Triangle)
}

fn bench(c: &mut Criterion) {
    let names = [
        "backpack-00",
        "backpack-01",
        "backpack-02",
        "cat-00",
        "cat-01",
        "dog-00",
        "dog-02",
        "can-00",
        "clock-00",
        "vase-00",
    ];
    for side in [512u32, 1024] {
        let a = photo("backpack-00", side);
        let b = photo("backpack-01", side);
        let (ga, gb) = (analysis::gray(&a), analysis::gray(&b));
        let s = side as usize;
        // These kernels are single-threaded by construction (no rayon inside).
        c.bench_function(&format!("checks/canny {side}x{side}"), |x| x.iter(|| analysis::canny(&ga)));
        c.bench_function(&format!("checks/gaussian ssim {side}x{side}"), |x| x.iter(|| analysis::ssim(&ga, &gb)));
        let (ea, eb) = (analysis::canny(&ga), analysis::canny(&gb));
        c.bench_function(&format!("checks/edge f1 r=2 {side}x{side}"), |x| {
            x.iter(|| analysis::edge_f1(&ea, &eb, s, s, 2))
        });
        c.bench_function(&format!("checks/keypoints one pair {side}x{side}"), |x| {
            x.iter(|| keypoints::inliers(&a, &b))
        });
        c.bench_function(&format!("checks/triangle resize {side}x{side} to 256"), |x| {
            x.iter(|| analysis::working(&a, 256))
        });
        let images: Vec<Image> = names
            .iter()
            .map(|n| {
                let mut out = Vec::new();
                image::DynamicImage::ImageRgb8(photo(n, side))
                    .write_to(&mut std::io::Cursor::new(&mut out), image::ImageFormat::Png)
                    .unwrap();
                Image::load(*n, out)
            })
            .collect();
        let spec = CheckSpec {
            check: "identity_consistency".into(),
            severity: Severity::Essential,
            params: Default::default(),
        };
        let d = Deliverable { file: "r.toml".into(), count: 10, width: None, height: None, description: None };
        // As a workspace judges by default: with the built-in image encoder.
        let builtin = checks::Embedding::builtin_for(std::slice::from_ref(&spec)).unwrap();
        let ctx = Context { embedding: builtin, ..Context::standalone(&d) };
        let colour = Context::standalone(&d);
        let mut g = c.benchmark_group("checks");
        g.sample_size(10);
        g.bench_function(format!("identity consistency, 10 images {side}x{side}"), |x| {
            x.iter(|| checks::run_one(&spec, &images, &ctx))
        });
        g.bench_function(format!("identity consistency, 10 images {side}x{side}, colour alone"), |x| {
            x.iter(|| checks::run_one(&spec, &images, &colour))
        });
        g.finish();
    }
    let pair = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/control/canny/cn_dog");
    let out = analysis::working(&image::open(pair.join("out_01.png")).unwrap().to_rgb8(), 512);
    let map = image::open(pair.join("control.png")).unwrap().to_rgb8();
    c.bench_function("checks/edge agreement (oriented, two scales) 512 working size", |x| {
        x.iter(|| checks::edits::edge_agreement(&out, &map))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
