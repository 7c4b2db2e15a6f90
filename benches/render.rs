//! Built-in renderer speed, one image at a time on one thread.
//! Targets (issue: renderer): ≤ 30 ms at 512×512, ≤ 120 ms at 1024×1024 (release).
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::backend::Inputs;
use genpath::backend::builtin;
use genpath::recipe::{Limits, Recipe};

fn bench(c: &mut Criterion) {
    for (side, style) in [(512, "flat vector"), (512, "watercolor"), (1024, "flat vector"), (1024, "photographic")] {
        let text = format!(
            "prompt = \"pip the fox, orange fur, teal scarf, striped, on a beach, golden hour, {style}\"\nseed = 42\nwidth = {side}\nheight = {side}\n"
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

criterion_group!(benches, bench);
criterion_main!(benches);
