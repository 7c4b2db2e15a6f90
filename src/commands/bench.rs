//! `genpath backend bench NAME`: make N images on a backend and measure
//! what a decision needs — throughput (images an hour of wall time), each
//! image's latency (p50, p95) and the cost of an image: the backend's own
//! price where it charges per image (the practice service, a hosted API),
//! else the machine's hourly cost ÷ the measured throughput (self-hosted).
//! The record is saved as `benches/<name>-<time>.json` (`crate::bench`), the
//! file the self-hosting decision pastes in. Ctrl-C stops it cleanly: no
//! new request goes out, nothing is saved.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

use super::{Env, UsageError};
use crate::backend::{Backend, BackendError, Cancel, Inputs, Progress, Request};
use crate::bench::{Bench, Cost, MAX_CONCURRENCY, MAX_IMAGES, MAX_SIDE, Setup};
use crate::cli::BenchArgs;
use crate::recipe::{Recipe, Resolved};

/// The picture every bench makes: an ordinary subject in a scene, so the
/// timing is of a typical image, not an empty one.
const PROMPT: &str = "a red fox sitting in a forest clearing, golden hour, detailed illustration";
/// Tries per image (the first and the retries of transient failures).
const TRIES: u32 = 4;
/// Longest wait a backend's Retry-After may impose between tries.
const MAX_WAIT: Duration = Duration::from_secs(10);

const CANCELLED: &str = "bench cancelled: nothing saved";
const NO_HOURLY: &str =
    "unknown: give the machine's hourly cost with --hourly-cost or `hourly_cost` in [backends.NAME]";

/// `WxH` (or `W×H`) into a width and height.
fn size(text: &str, max: u32) -> Result<(u32, u32), UsageError> {
    let bad = || UsageError(format!("--size '{text}': give WIDTHxHEIGHT, e.g. 1024x1024"));
    let (w, h) = text.split_once(['x', 'X', '×']).ok_or_else(bad)?;
    let (w, h): (u32, u32) = (w.trim().parse().map_err(|_| bad())?, h.trim().parse().map_err(|_| bad())?);
    if w == 0 || h == 0 || w > max || h > max {
        return Err(UsageError(format!("--size {w}x{h}: each side must be 1–{max} pixels")));
    }
    Ok((w, h))
}

/// The recipe of image `index` (seed index + 1: distinct images, the same for every bench).
fn recipe(a: &BenchArgs, w: u32, h: u32, env: &Env) -> Result<Resolved> {
    let model = a.model.as_ref().map(|m| format!("model = {}\n", toml::Value::String(m.clone()))).unwrap_or_default();
    let text = format!("prompt = \"{PROMPT}\"\nseed = 1\nsteps = {}\nwidth = {w}\nheight = {h}\n{model}", a.steps);
    let r = Recipe::parse("bench", &text, env.workspace.config.limits())?;
    r.resolve().into_iter().next().context("the bench recipe has no image")
}

/// How an image is paid for here: a price per image if the backend
/// charges one, else the hourly cost of its machine if known.
fn cost(env: &Env, a: &BenchArgs, backend: &dyn Backend, r: &Resolved) -> Result<Cost> {
    let price = backend.price(r);
    if price > 0.0 {
        return Ok(Cost::PerImage(price));
    }
    let configured = match env.workspace.config.backends.get(&a.name) {
        Some(b) => b.hourly_cost().map_err(|p| {
            UsageError(format!(
                "[backends.{}]: {}",
                a.name,
                p.into_iter().map(|p| p.message).collect::<Vec<_>>().join("; ")
            ))
        })?,
        None => None,
    };
    match a.hourly_cost.or(configured) {
        Some(h) if h.is_finite() && h >= 0.0 => Ok(Cost::Hourly(h)),
        Some(h) => Err(UsageError(format!("hourly cost {h}: give a number of 0 or more")).into()),
        None => Ok(Cost::Unknown),
    }
}

/// What the backend is, in the record's words.
fn kind(env: &Env, name: &str, backend: &dyn Backend) -> String {
    let d = backend.describe();
    match env.workspace.config.backends.get(name) {
        Some(b) if b.kind != crate::config::BackendKind::Builtin => b.kind.as_str().to_string(),
        _ if d.price_per_image.is_some() => "practice".to_string(),
        _ => "builtin".to_string(),
    }
}

/// Wait `d`, in small slices so Ctrl-C is honoured.
fn wait(d: Duration, cancel: &Cancel) {
    let until = Instant::now() + d.min(MAX_WAIT);
    while Instant::now() < until && !cancel.cancelled() {
        std::thread::sleep(Duration::from_millis(20).min(until.saturating_duration_since(Instant::now())));
    }
}

/// What the workers timed.
#[derive(Default)]
struct Timed {
    latencies: Mutex<Vec<f64>>,
    retries: AtomicU32,
    error: Mutex<Option<String>>,
}

/// Make `n` images with `concurrency` workers; each image's latency is its
/// successful call's.
fn measure(
    backend: &dyn Backend,
    base: &Resolved,
    n: usize,
    concurrency: usize,
    cancel: &Cancel,
    bar: &indicatif::ProgressBar,
) -> Timed {
    let timed = Timed::default();
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..concurrency {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= n || cancel.cancelled() || timed.error.lock().is_ok_and(|e| e.is_some()) {
                        return;
                    }
                    let mut recipe = base.clone();
                    recipe.seed = Some(i as i64 + 1);
                    let request = Request { recipe, inputs: Inputs::default() };
                    for attempt in 1..=TRIES {
                        let t = Instant::now();
                        match backend.generate(&request, cancel) {
                            Ok(_) => {
                                let secs = t.elapsed().as_secs_f64();
                                if let Ok(mut l) = timed.latencies.lock() {
                                    l.push(secs);
                                }
                                bar.inc(1);
                                break;
                            }
                            Err(BackendError::Cancelled) => return,
                            Err(BackendError::Transient { retry_after, .. }) if attempt < TRIES => {
                                timed.retries.fetch_add(1, Ordering::SeqCst);
                                wait(retry_after.unwrap_or(Duration::from_millis(100 * u64::from(attempt))), cancel);
                            }
                            Err(e) => {
                                if let Ok(mut slot) = timed.error.lock() {
                                    slot.get_or_insert_with(|| format!("image {}: {e}", i + 1));
                                }
                                return;
                            }
                        }
                    }
                }
            });
        }
    });
    timed
}

pub fn run(env: &Env, a: &BenchArgs) -> Result<()> {
    if !(1..=MAX_IMAGES).contains(&a.images) {
        return Err(UsageError(format!("--images {}: give 1–{MAX_IMAGES}", a.images)).into());
    }
    if !(1..=MAX_CONCURRENCY).contains(&a.concurrency) {
        return Err(UsageError(format!("--concurrency {}: give 1–{MAX_CONCURRENCY}", a.concurrency)).into());
    }
    let (w, h) = size(&a.size, MAX_SIDE.min(env.workspace.config.max_side))?;
    let backend = crate::backend::from_config(&a.name, &env.workspace.config)?;
    let base = recipe(a, w, h, env)?;
    let cost = cost(env, a, backend.as_ref(), &base)?;
    let setup = Setup {
        backend: a.name.clone(),
        kind: kind(env, &a.name, backend.as_ref()),
        model: a.model.clone(),
        width: w,
        height: h,
        steps: a.steps,
        concurrency: a.concurrency,
    };
    let bar = indicatif::ProgressBar::new(u64::from(a.images));
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} bench {pos}/{len} {wide_bar} {elapsed}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let cancel = Cancel(super::run::ctrl_c_flag());
    let started = Instant::now();
    let timed = measure(backend.as_ref(), &base, a.images as usize, a.concurrency as usize, &cancel, &bar);
    let elapsed = started.elapsed().as_secs_f64();
    bar.finish_and_clear();
    if cancel.cancelled() {
        return Err(UsageError(CANCELLED.into()).into());
    }
    if let Some(e) = timed.error.lock().ok().and_then(|mut e| e.take()) {
        return Err(anyhow::anyhow!("bench of {} failed: {e}", a.name));
    }
    let latencies = timed.latencies.into_inner().unwrap_or_default();
    let bench = Bench::from_timings(setup, elapsed, latencies, timed.retries.into_inner(), cost);
    let dir = env.workspace.root.join("benches");
    std::fs::create_dir_all(&dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let stamp = crate::time::Timestamp::now().compact();
    // A backend's name is a TOML key and may hold any character: keep the file name plain.
    let plain: String = a.name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' { c } else { '_' }).collect();
    let file = dir.join(format!("{plain}-{stamp}.json"));
    let json = bench.to_json();
    crate::workspace::write_atomic(&file, json.as_bytes())?;
    if a.json {
        outln!("{json}");
        return Ok(());
    }
    print(&bench, &file.strip_prefix(&env.workspace.root).unwrap_or(&file).display().to_string())
}

fn print(b: &Bench, saved: &str) -> Result<()> {
    let grouped = |x: f64| format!("{x:.0}");
    outln!(
        "bench {} ({}) — {} images of {}×{}, {} steps{}, {} in flight",
        b.backend,
        b.kind,
        b.images,
        b.width,
        b.height,
        b.steps,
        b.model.as_ref().map(|m| format!(", model {m}")).unwrap_or_default(),
        b.concurrency
    );
    let retries = match b.retries {
        0 => String::new(),
        1 => " (1 call retried)".to_string(),
        n => format!(" ({n} calls retried)"),
    };
    outln!("  wall time       {:.2} s{retries}", b.elapsed_s);
    outln!("  throughput      {} images/hour", grouped(b.images_per_hour));
    outln!("  latency         p50 {:.3} s, p95 {:.3} s per image", b.p50_s, b.p95_s);
    match (b.cost_per_image, b.price_per_image, b.hourly_cost) {
        (Some(c), Some(_), _) => outln!("  cost per image  {c:.4} (the backend's price per image)"),
        (Some(c), None, Some(h)) => {
            outln!("  cost per image  {c:.6} ({h}/hour ÷ {} images/hour)", grouped(b.images_per_hour))
        }
        _ => outln!("  cost per image  {NO_HOURLY}"),
    }
    if let Some(t) = b.total_cost {
        outln!("  cost of the run {t:.4}");
    }
    outln!("  saved           {saved}");
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_read_and_bounded() {
        assert_eq!(super::size("1024x768", 2048).unwrap(), (1024, 768));
        assert_eq!(super::size("512×512", 2048).unwrap(), (512, 512));
        for bad in ["", "512", "axb", "0x512", "4096x512", "-1x5"] {
            assert!(super::size(bad, 2048).is_err(), "{bad}");
        }
    }
}
