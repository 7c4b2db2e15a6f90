//! Pipeline speed. Targets (issue: pipelines): planning a 10,000-job matrix
//! ≤ 50 ms; scheduling overhead per job ≤ 1 ms; 200 jobs on a backend of fixed
//! 100 ms latency at concurrency 8 within 15% of the ideal ceil(200/8) × 100 ms.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failed check

use std::time::Instant;

use criterion::{Criterion, criterion_group, criterion_main};
use genpath::backend::builtin::{Builtin, ServiceProfile};
use genpath::pipeline::{Member, Options, Pipeline, run};
use genpath::recipe::Limits;

fn matrix(a: usize, b: usize, c: usize, concurrency: usize) -> Pipeline {
    let list = |n: usize, p: &str| (0..n).map(|i| format!("\"{p}{i}\"")).collect::<Vec<_>>().join(", ");
    let text = format!(
        "name = \"bench\"\noutput = \"{{a}}-{{b}}-{{c}}.png\"\n[base]\nprompt = \"a mug, {{a}} {{b}} {{c}}, plain, studio backdrop\"\nseed = 1\nwidth = 16\nheight = 16\n[matrix]\na = [{}]\nb = [{}]\nc = [{}]\n[run]\nconcurrency = {concurrency}\n",
        list(a, "a"),
        list(b, "b"),
        list(c, "c")
    );
    Pipeline::parse("bench.toml", &text, Limits::default()).unwrap()
}

fn bench(c: &mut Criterion) {
    let p = matrix(100, 10, 10, 4);
    c.bench_function("pipeline/plan 10,000-job matrix (expand + hash every job)", |b| b.iter(|| p.expand().len()));

    let mut g = c.benchmark_group("pipeline");
    g.sample_size(10);
    // Scheduling overhead: 200 tiny jobs on a zero-latency backend, per job.
    g.bench_function("run 200 jobs, zero latency (divide by 200 for per-job overhead)", |b| {
        b.iter_with_setup(tempfile::tempdir, |dir| {
            let dir = dir.unwrap();
            let p = matrix(20, 10, 1, 8);
            let m = Member::new(
                "fast",
                Box::new(Builtin { name: "fast".into(), service: Some(ServiceProfile::new(0, 0.0, 0, 0.0, 0)) }),
            );
            run(&p, &dir.path().join("db"), &dir.path().join("out"), vec![m], Options::default()).unwrap()
        })
    });
    g.finish();

    // Throughput against a fixed-latency backend, measured once and printed.
    let dir = tempfile::tempdir().unwrap();
    let p = matrix(20, 10, 1, 8);
    let m = Member::new(
        "slow",
        Box::new(Builtin { name: "slow".into(), service: Some(ServiceProfile::new(100, 0.0, 0, 0.0, 0)) }),
    );
    let t = Instant::now();
    run(&p, &dir.path().join("db"), &dir.path().join("out"), vec![m], Options::default()).unwrap();
    let wall = t.elapsed().as_secs_f64();
    let ideal = (200f64 / 8.0).ceil() * 0.1;
    println!(
        "pipeline/200 jobs × 100 ms at concurrency 8: {wall:.2} s (ideal {ideal:.2} s, {:+.1}%)",
        (wall / ideal - 1.0) * 100.0
    );
}

criterion_group!(benches, bench);
criterion_main!(benches);
