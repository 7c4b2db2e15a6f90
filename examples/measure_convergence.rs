//! Measure how each sampler and schedule converges in the practice renderer,
//! to read `grid_choice`'s line ("finished": a re-run could not tell the cell
//! from the same seed drawn to convergence) against what a person sees.
//! Prints, per sampler × schedule × step count, the worst SSIM and pHash
//! distance over seeds against the same seed at 80 steps, and the flat-area
//! noise σ (`clean`'s measure) — for a flat-vector and a photographic
//! catalogue prompt.
//!
//! `cargo run --release --example measure_convergence`

#![allow(clippy::expect_used, clippy::unwrap_used)] // a dev-time measurement: stop loudly

use genpath::backend::{Inputs, builtin};
use genpath::imaging::analysis;
use genpath::recipe::{Limits, Recipe};
use image::RgbImage;

fn draw(prompt: &str, steps: u32, sampler: &str, scheduler: &str, seed: i64) -> RgbImage {
    let text = format!(
        "prompt = \"{prompt}\"\nseed = {seed}\nsteps = {steps}\ncfg = 7\nsampler = \"{sampler}\"\nscheduler = \"{scheduler}\"\n"
    );
    let r = Recipe::parse("m.toml", &text, Limits::default()).unwrap().resolve().remove(0);
    builtin::render(&r, seed as u64, &Inputs::default()).unwrap().image
}

fn main() {
    let seeds = [11i64, 101, 202, 303, 404, 505];
    for prompt in [
        "a sneaker, white body, orange laces, studio backdrop, soft light, flat vector",
        "a sneaker, white body, orange laces, studio backdrop, soft light, photographic",
    ] {
        println!("\n{prompt}\nsampler/schedule        steps  worst SSIM  worst pHash  noise σ (max)");
        for sampler in ["euler_a", "euler", "dpmpp_2m", "ddim", "heun"] {
            for scheduler in ["normal", "karras"] {
                let refs: Vec<RgbImage> = seeds.iter().map(|&s| draw(prompt, 80, sampler, scheduler, s)).collect();
                for steps in [6, 8, 10, 12, 14, 16, 20, 24, 30, 40] {
                    let (mut ssim, mut ph, mut noise) = (1.0f64, 0u32, 0.0f64);
                    for (&seed, reference) in seeds.iter().zip(&refs) {
                        let img = draw(prompt, steps, sampler, scheduler, seed);
                        let g = analysis::gray(&analysis::working(&img, 512));
                        ssim = ssim.min(analysis::ssim(&g, &analysis::gray(&analysis::working(reference, 512))));
                        ph = ph.max(analysis::hamming(analysis::phash(&img), analysis::phash(reference)));
                        noise = noise.max(analysis::noise_sigma_flat(&g));
                    }
                    println!(
                        "{:<22} {steps:>6}  {ssim:>10.3}  {ph:>11}  {noise:>8.2}",
                        format!("{sampler}/{scheduler}")
                    );
                }
            }
        }
    }
}
