//! Built-in renderer speed, one image at a time on one thread.
//! Targets (issue: renderer): ≤ 30 ms at 512×512, ≤ 120 ms at 1024×1024 (release);
//! with one control or with image-to-image, at most twice those. Each size
//! renders on the practice model trained at it (SD 1.5-like at 512²,
//! SDXL-like at 1024²), as a practitioner would choose.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::backend::Inputs;
use genpath::backend::builtin;
use genpath::recipe::{Limits, Recipe};

/// The practice model trained at this size.
fn model(side: u32) -> &'static str {
    if side >= 1024 { "practice-sdxl" } else { "practice-sd15" }
}

fn bench(c: &mut Criterion) {
    for (side, style) in [(512, "flat vector"), (512, "watercolor"), (1024, "flat vector"), (1024, "photographic")] {
        let text = format!(
            "prompt = \"pip the fox, orange fur, teal scarf, striped, on a beach, golden hour, {style}\"\nseed = 42\nwidth = {side}\nheight = {side}\nmodel = \"{}\"\n",
            model(side)
        );
        let r = Recipe::parse("bench.toml", &text, Limits::default()).unwrap().resolve().remove(0);
        c.bench_function(&format!("render/{side}x{side} {style}"), |b| {
            b.iter(|| builtin::render(&r, 42, &Inputs::default()).unwrap())
        });
        let img = builtin::render(&r, 42, &Inputs::default()).unwrap().image;
        c.bench_function(&format!("render/encode png {side}x{side}"), |b| {
            b.iter(|| genpath::recipe::png::encode(&img, &r, 42, "builtin").unwrap())
        });
    }
}

/// With one edge control and with image-to-image (targets: at most 2× the plain render).
fn conditioned(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("exercises/control");
    let map = image::open(root.join("edge-layout/assets/layout-edges.png")).unwrap().to_luma8();
    let init = image::open(root.join("restyle/assets/forest.png")).unwrap().to_rgb8();
    for side in [512u32, 1024] {
        let text = format!(
            "prompt = \"a robot, silver body BREAK cyan accents, in a park, noon\"\nseed = 5\nwidth = {side}\nheight = {side}\nmodel = \"{}\"\n",
            model(side)
        );
        let r = Recipe::parse("bench.toml", &text, Limits::default()).unwrap().resolve().remove(0);
        let map = image::imageops::resize(&map, side, side, image::imageops::FilterType::Nearest);
        let controls = vec![genpath::backend::ControlInput::from_gray(genpath::recipe::ControlKind::Edges, map, 1.0)];
        let inputs = Inputs { controls, ..Inputs::default() };
        c.bench_function(&format!("render/{side}x{side} edge control"), |b| {
            b.iter(|| builtin::render(&r, 5, &inputs).unwrap())
        });
        let init = image::imageops::resize(&init, side, side, image::imageops::FilterType::Triangle);
        for strength in [0.45, 0.95] {
            let text = format!(
                "prompt = \"a fox, purple fur, pink belly, in a forest, sunrise, flat vector\"\nseed = 7\nwidth = {side}\nheight = {side}\nmodel = \"{}\"\n[init]\nimage = \"i.png\"\nstrength = {strength}\n",
                model(side)
            );
            let r = Recipe::parse("bench.toml", &text, Limits::default()).unwrap().resolve().remove(0);
            let inputs = Inputs { init: Some(init.clone()), ..Inputs::default() };
            c.bench_function(&format!("render/{side}x{side} img2img {strength}"), |b| {
                b.iter(|| builtin::render(&r, 7, &inputs).unwrap())
            });
        }
    }
}

/// `genpath grid`'s work: a 5×5 X/Y plot of 512² cells on both cores, laid
/// out and encoded (target ≤ 1.5 s).
fn grid(c: &mut Criterion) {
    use genpath::grid::{self, Axis};
    let text = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/recipes/fox-beach.toml"),
    )
    .unwrap();
    let axes: Vec<Axis> = ["cfg=3,5,7,10,14", "steps=8,12,20,30,40"].iter().map(|a| a.parse().unwrap()).collect();
    let cells = grid::cells("fox-beach.toml", &text, &axes, Limits::default()).unwrap();
    let requests: Vec<genpath::backend::Request> = cells
        .iter()
        .map(|c| genpath::backend::Request { recipe: c.recipe.clone(), inputs: Inputs::default() })
        .collect();
    let mut group = c.benchmark_group("grid");
    group.sample_size(10);
    group.bench_function("5x5 of 512x512, render + sheet + png", |b| {
        b.iter(|| {
            let (images, seeds): (Vec<_>, Vec<_>) = grid::render(&requests, || {}).unwrap().into_iter().unzip();
            let sheet = grid::sheet(&axes, &cells, &images);
            let legend = grid::legend(&axes, &cells, &seeds, "builtin");
            genpath::recipe::png::encode_with(&sheet, &[("parameters", &legend)]).unwrap()
        })
    });
    group.finish();
}

/// Scaling (#20): every style at 512², 1024² and 2048² on one model,
/// `practice-sdxl`, so the sizes compare like for like (its 512² render also
/// pays the undersized blur, its 2048² one draws the twin subject). Target:
/// t(2048²) ÷ t(512²) ≤ 16 × 1.3.
fn scale(c: &mut Criterion) {
    use genpath::recipe::vocab::STYLES;
    let mut group = c.benchmark_group("render/scale");
    // One render per sample: a 2048² render is long enough to time alone.
    group.sampling_mode(criterion::SamplingMode::Flat);
    for (_, names) in STYLES {
        let style = names[0];
        for side in [512u32, 1024, 2048] {
            let text = format!(
                "prompt = \"pip the fox, orange fur, teal scarf, striped, on a beach, golden hour, {style}\"\nseed = 42\nwidth = {side}\nheight = {side}\nmodel = \"practice-sdxl\"\n"
            );
            let r = Recipe::parse("bench.toml", &text, Limits::default()).unwrap().resolve().remove(0);
            group.sample_size(if side >= 2048 { 10 } else { 20 });
            group.bench_function(format!("{}/{side}", style.replace(' ', "-")), |b| {
                b.iter(|| builtin::render(&r, 42, &Inputs::default()).unwrap())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, bench, conditioned, grid, scale);
criterion_main!(benches);
