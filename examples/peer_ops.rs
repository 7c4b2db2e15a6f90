//! genpath's side of `scripts/bench-peers`: the image operations the checks
//! are built from, on inputs written to disk so the peers (OpenCV,
//! scikit-image) read exactly the same pixels.
//!
//!   cargo run --release --example peer_ops -- inputs DIR       write the inputs (deterministic PNGs)
//!   cargo run --release --example peer_ops -- time DIR [REPS [OP…]]  time every operation (or those named), one JSON object per line
//!   cargo run --release --example peer_ops -- once OP DIR      run OP once (for callgrind:
//!       valgrind --tool=callgrind --collect-atstart=no --toggle-collect='*peer_ops*measured*' …)
//!
//! Inputs: the fixture photographs (tests/fixtures/photos, 512²) enlarged
//! with a triangle filter to each size, in colour and in genpath's grey
//! (Rec. 601 luma, rounded to 8 bits, so both sides start from the same
//! integers); one colour image with a soft transparent border; the Canny
//! edges of two photographs (0/255). Everything is single-threaded here:
//! run with RAYON_NUM_THREADS=1 (the identity check uses rayon).
#![allow(clippy::unwrap_used, clippy::expect_used)] // a developer tool: a panic is a clear failure

use std::path::{Path, PathBuf};
use std::time::Instant;

use genpath::checks::{self, Context, Image, Severity};
use genpath::curriculum::{CheckSpec, Deliverable};
use genpath::imaging::{analysis, keypoints};
use image::{GrayImage, RgbImage, RgbaImage};

/// The photographs of the identity set (and, first two, of every pair).
const SET: [&str; 10] = [
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
/// Sizes of the scaling table.
const SIDES: [u32; 4] = [256, 512, 1024, 2048];

fn photo(name: &str, side: u32) -> RgbImage {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos").join(format!("{name}.jpg"));
    let img = image::open(path).unwrap().to_rgb8();
    image::imageops::resize(&img, side, side, image::imageops::FilterType::Triangle)
}

fn grey8(img: &RgbImage) -> GrayImage {
    let p = analysis::gray(img);
    GrayImage::from_raw(p.w as u32, p.h as u32, p.v.iter().map(|v| v.round().clamp(0.0, 255.0) as u8).collect())
        .unwrap()
}

fn plane(g: &GrayImage) -> analysis::Plane {
    analysis::Plane { w: g.width() as usize, h: g.height() as usize, v: g.pixels().map(|p| f32::from(p[0])).collect() }
}

fn write_inputs(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    for (i, name) in SET.iter().enumerate() {
        let c = photo(name, 1024);
        c.save(dir.join(format!("colour-{i}-1024.png"))).unwrap();
    }
    for side in SIDES {
        for (i, name) in SET.iter().enumerate().take(2) {
            let g = grey8(&photo(name, side));
            g.save(dir.join(format!("grey-{i}-{side}.png"))).unwrap();
        }
    }
    for i in 0..2 {
        let g = plane(&image::open(dir.join(format!("grey-{i}-1024.png"))).unwrap().to_luma8());
        let e = analysis::canny(&g);
        GrayImage::from_raw(1024, 1024, e.iter().map(|v| v * 255).collect())
            .unwrap()
            .save(dir.join(format!("edges-{i}-1024.png")))
            .unwrap();
    }
    // A colour image with a soft transparent border (the compositing path).
    let c = photo(SET[0], 1024);
    let rgba = RgbaImage::from_fn(1024, 1024, |x, y| {
        let p = c.get_pixel(x, y).0;
        let edge = x.min(y).min(1023 - x).min(1023 - y);
        image::Rgba([p[0], p[1], p[2], (edge * 4).min(255) as u8])
    });
    rgba.save(dir.join("rgba-1024.png")).unwrap();
}

/// Everything the operations read, loaded before any timing.
struct Inputs {
    png_rgb: Vec<u8>,
    png_rgba: Vec<u8>,
    colour: Vec<RgbImage>,
    grey: Vec<(u32, analysis::Plane, analysis::Plane)>,
    edges: (Vec<u8>, Vec<u8>),
    set: Vec<Image>,
}

fn load(dir: &Path) -> Inputs {
    let read = |n: &str| std::fs::read(dir.join(n)).unwrap();
    let colour: Vec<RgbImage> =
        (0..SET.len()).map(|i| image::open(dir.join(format!("colour-{i}-1024.png"))).unwrap().to_rgb8()).collect();
    let grey = SIDES
        .iter()
        .map(|&s| {
            let g = |i: usize| plane(&image::open(dir.join(format!("grey-{i}-{s}.png"))).unwrap().to_luma8());
            (s, g(0), g(1))
        })
        .collect();
    let edge = |i: usize| -> Vec<u8> {
        image::open(dir.join(format!("edges-{i}-1024.png")))
            .unwrap()
            .to_luma8()
            .pixels()
            .map(|p| u8::from(p[0] > 0))
            .collect()
    };
    let set = (0..SET.len()).map(|i| Image::load(SET[i], read(&format!("colour-{i}-1024.png")))).collect();
    Inputs {
        png_rgb: read("colour-0-1024.png"),
        png_rgba: read("rgba-1024.png"),
        colour,
        grey,
        edges: (edge(0), edge(1)),
        set,
    }
}

/// Every operation's name, in table order.
fn ops() -> Vec<String> {
    let mut v: Vec<String> = [
        "decode_rgb_1024",
        "decode_rgba_1024",
        "resize_1024_to_512",
        "edge_f1_r2_1024",
        "keypoints_pair_1024",
        "identity_10x1024",
        "ssim_1024",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    v.extend(SIDES.iter().map(|s| format!("canny_{s}")));
    v
}

/// One run of `op`; returns something derived from the result so the work
/// is not optimised away.
#[inline(never)]
fn measured(op: &str, inp: &Inputs) -> f64 {
    match op {
        "decode_rgb_1024" => Image::load("a.png", inp.png_rgb.clone()).decoded.map_or(0.0, |d| d.rgb.len() as f64),
        "decode_rgba_1024" => Image::load("a.png", inp.png_rgba.clone()).decoded.map_or(0.0, |d| d.rgb.len() as f64),
        "resize_1024_to_512" => analysis::working(&inp.colour[0], 512).len() as f64,
        "edge_f1_r2_1024" => analysis::edge_f1(&inp.edges.0, &inp.edges.1, 1024, 1024, 2).f1,
        "keypoints_pair_1024" => keypoints::inliers(&inp.colour[0], &inp.colour[1]) as f64,
        "identity_10x1024" => {
            let spec = CheckSpec {
                check: "identity_consistency".into(),
                severity: Severity::Essential,
                params: Default::default(),
            };
            let d = Deliverable { file: "r.toml".into(), count: 10, width: None, height: None, description: None };
            checks::run_one(&spec, &inp.set, &Context::standalone(&d)).value.unwrap_or(0.0)
        }
        "ssim_1024" => {
            let (_, a, b) = inp.grey.iter().find(|g| g.0 == 1024).unwrap();
            analysis::ssim(a, b)
        }
        canny => {
            let side: u32 = canny.strip_prefix("canny_").and_then(|s| s.parse().ok()).expect("unknown operation");
            let (_, a, _) = inp.grey.iter().find(|g| g.0 == side).unwrap();
            analysis::canny(a).iter().map(|v| u32::from(*v)).sum::<u32>() as f64
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["inputs", dir] => write_inputs(&PathBuf::from(dir)),
        ["once", op, dir] => {
            let inp = load(&PathBuf::from(dir));
            println!("{op} {}", measured(op, &inp));
        }
        ["time", dir, rest @ ..] => {
            let reps: usize = rest.first().and_then(|s| s.parse().ok()).unwrap_or(15);
            let only = rest.get(1..).unwrap_or_default();
            let inp = load(&PathBuf::from(dir));
            for op in ops().into_iter().filter(|op| only.is_empty() || only.contains(&op.as_str())) {
                let mut check = measured(&op, &inp); // warm-up
                let mut times = Vec::with_capacity(reps);
                for _ in 0..reps {
                    let t = Instant::now();
                    check += measured(&op, &inp);
                    times.push(t.elapsed().as_secs_f64() * 1e3);
                }
                times.sort_by(f64::total_cmp);
                println!(
                    "{{\"op\": \"{op}\", \"ms\": {:.4}, \"min_ms\": {:.4}, \"reps\": {reps}, \"check\": {check}}}",
                    times[times.len() / 2],
                    times[0]
                );
            }
        }
        _ => {
            eprintln!("usage: peer_ops inputs DIR | time DIR [REPS [OP…]] | once OP DIR");
            std::process::exit(2);
        }
    }
}
