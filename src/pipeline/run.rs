//! Running a pipeline: jobs spread over a pool of backends by worker
//! threads, least-busy backend first; transient failures retried with
//! backoff (honouring Retry-After); scheduling stops before the budget would
//! be exceeded; every asset written atomically, checked, and recorded; a
//! manifest (JSON and CSV) written beside the assets.

use std::collections::{BTreeMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use serde::Serialize;

use super::{Job, Pipeline};
use crate::backend::{Backend, BackendError, Cancel, Request};
use crate::checks::{self, Image, Outcome};
use crate::store::Store;
use crate::time::Timestamp;
use crate::workspace::write_atomic;

/// Called after each finished job with (done, total, spent).
pub type OnProgress = Box<dyn Fn(usize, usize, f64) + Send + Sync>;

/// How a run may go.
pub struct Options {
    /// Run even when the estimate is over budget (the run still stops at the budget).
    pub allow_over_budget: bool,
    /// Stop scheduling when set (Ctrl-C).
    pub cancel: Arc<AtomicBool>,
    pub on_progress: Option<OnProgress>,
    /// The input files the pipeline names (reference images, control maps,
    /// inits, masks), by the path it gives, read before the run starts
    /// ([`input_files`]): every job's inputs come from here.
    pub files: BTreeMap<String, Vec<u8>>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            allow_over_budget: false,
            cancel: Arc::new(AtomicBool::new(false)),
            on_progress: None,
            files: BTreeMap::new(),
        }
    }
}

/// One member of the pool.
pub struct Member {
    pub name: String,
    pub backend: Box<dyn Backend>,
    in_flight: AtomicUsize,
    pub jobs_done: AtomicUsize,
    /// Failures since the last success: a backend that keeps failing is
    /// passed over while healthy ones have room (a pool survives a dead server).
    failures: AtomicUsize,
    /// Moving average of seconds per image (f64 bits), 0 until measured.
    latency: std::sync::atomic::AtomicU64,
}

impl Member {
    pub fn new(name: impl Into<String>, backend: Box<dyn Backend>) -> Member {
        Member {
            name: name.into(),
            backend,
            in_flight: AtomicUsize::new(0),
            jobs_done: AtomicUsize::new(0),
            failures: AtomicUsize::new(0),
            latency: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// How busy the member is: the time until it could finish one more image
    /// (in-flight work plus this one, at its measured speed).
    fn busyness(&self) -> f64 {
        let latency = f64::from_bits(self.latency.load(Ordering::SeqCst)).max(0.001);
        (self.in_flight.load(Ordering::SeqCst) as f64 + 1.0) * latency
    }

    fn record_latency(&self, seconds: f64) {
        let old = f64::from_bits(self.latency.load(Ordering::SeqCst));
        let new = if old == 0.0 { seconds } else { old * 0.7 + seconds * 0.3 };
        self.latency.store(new.to_bits(), Ordering::SeqCst);
    }
    /// Price of one image of this recipe on this backend.
    pub fn price(&self, recipe: &crate::recipe::Resolved) -> f64 {
        self.backend.price(recipe)
    }
}

/// The plan's numbers.
#[derive(Debug, Clone, Serialize)]
pub struct Estimate {
    pub jobs: usize,
    pub already_done: usize,
    pub cost: f64,
    pub seconds: f64,
    pub over_budget: bool,
}

/// What a run did.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub pipeline: String,
    pub total: usize,
    pub done: usize,
    pub made_now: usize,
    pub failed: usize,
    pub skipped: usize,
    pub spent: f64,
    /// Calls that were in flight when a previous run died, on paid backends: possibly charged.
    pub possibly_charged: f64,
    pub seconds: f64,
    pub stopped: Option<String>,
    pub manifest: PathBuf,
    pub calls: usize,
    /// Checks over the whole set (identity across the set, scene variety).
    pub set_checks: Vec<Outcome>,
}

/// Estimate cost and time before running.
pub fn estimate(p: &Pipeline, jobs: &[Job], members: &[Member], store: &Store) -> Result<Estimate> {
    let done: std::collections::HashSet<String> = store
        .pipeline_jobs(&p.name)?
        .into_iter()
        .filter(|j| j.status == crate::store::JobStatus::Done)
        .map(|j| j.key)
        .collect();
    let todo: Vec<&Job> = jobs.iter().filter(|j| !done.contains(&j.key)).collect();
    let cheapest = |j: &Job| members.iter().map(|m| m.price(&j.recipe)).fold(f64::MAX, f64::min);
    // A job that shares its recipe with an earlier one costs nothing: its image is a copy.
    let cost: f64 = todo.iter().filter(|j| !j.is_copy).map(|j| cheapest(j)).sum();
    let mut per_image = 0.05;
    for m in members {
        if let Some(s) = store.pipeline_mean_seconds(&m.name)? {
            per_image = s;
        }
    }
    let slots = (p.run.concurrency.min(members.len() * p.run.concurrency)).max(1);
    let calls = todo.iter().filter(|j| !j.is_copy).count();
    let seconds = (calls as f64 / slots as f64).ceil() * per_image;
    let over_budget =
        p.budget.max_cost.is_some_and(|m| cost > m + 1e-9) || p.budget.max_seconds.is_some_and(|m| seconds > m);
    Ok(Estimate {
        jobs: jobs.len(),
        already_done: jobs.len() - todo.len(),
        cost: if cost.is_finite() { cost } else { 0.0 },
        seconds,
        over_budget,
    })
}

struct Shared {
    queue: VecDeque<(Job, u32)>,
    spent: f64,
    reserved: f64,
    stop: Option<String>,
    done: usize,
    made_now: usize,
    failed: usize,
}

#[derive(Serialize)]
struct ManifestEntry<'a> {
    path: &'a str,
    sha256: &'a str,
    seed: Option<i64>,
    backend: Option<&'a str>,
    cost: f64,
    seconds: f64,
    vars: &'a std::collections::BTreeMap<String, String>,
    recipe: serde_json::Value,
    /// The `[[post]]` steps with their parameters and results, as the file records them.
    #[serde(skip_serializing_if = "Option::is_none")]
    post: Option<serde_json::Value>,
    checks: serde_json::Value,
}

/// Run the pipeline in `out_dir` with `members` as the backend pool.
pub fn run(p: &Pipeline, db: &Path, out_dir: &Path, members: Vec<Member>, opts: Options) -> Result<Report> {
    let started = Instant::now();
    let jobs = p.expand();
    // `Pipeline::parse` refuses these with a location; a pipeline built another way is held to it too.
    if let Some(j) = jobs.iter().find(|j| !super::stays_inside(&j.output)) {
        anyhow::bail!("job {} would write {:?}, outside the pipeline's output folder", j.index + 1, j.output);
    }
    let mut store = Store::open(db)?;
    let run_id = store.pipeline_begin_run(&p.name)?;
    // Work that a crashed run left submitted goes back to the queue; its call stays on record.
    store.pipeline_requeue_submitted(&p.name)?;
    let plan: Vec<(String, u32, String, String)> = jobs
        .iter()
        .map(|j| (j.key.clone(), j.index, j.output.clone(), serde_json::to_string(&j.recipe).unwrap_or_default()))
        .collect();
    store.pipeline_plan_jobs(&p.name, &plan)?;
    let est = estimate(p, &jobs, &members, &store)?;
    if est.over_budget && !opts.allow_over_budget {
        store.pipeline_finish_run(run_id, crate::store::RunStatus::Stopped, "estimate over budget")?;
        anyhow::bail!(
            "the estimate ({:.2}, {:.0} s for {} jobs) is over the budget (max_cost {:?}, max_seconds {:?}); lower the volume or pass --allow-over-budget (the run still stops at the budget)",
            est.cost,
            est.seconds,
            est.jobs - est.already_done,
            p.budget.max_cost,
            p.budget.max_seconds
        );
    }
    std::fs::create_dir_all(out_dir).with_context(|| format!("Failed to create {}", out_dir.display()))?;
    let rows = store.pipeline_jobs(&p.name)?;
    let status = |k: &str| rows.iter().find(|r| r.key == k).map(|r| (r.status, r.sha256.clone(), r.cost));
    let mut queue = VecDeque::new();
    let mut done = 0;
    let mut spent_before = 0.0;
    for j in jobs.iter().filter(|j| !j.is_copy) {
        let assets = 1 + j.copies.len();
        match status(&j.key) {
            // Done, and the file is still there with the recorded hash: nothing to regenerate
            // (copies lost since are written again from it).
            Some((s, Some(sha), cost))
                if s == crate::store::JobStatus::Done
                    && let Ok(bytes) = std::fs::read(out_dir.join(&j.output))
                    && crate::hash::sha256_hex(&bytes) == sha
                    && write_copies(out_dir, j, &bytes).is_ok() =>
            {
                done += assets;
                spent_before += cost;
            }
            _ => queue.push_back((j.clone(), 0)),
        }
    }
    let _ = spent_before;
    let total = jobs.len();
    let shared =
        Arc::new(Mutex::new(Shared { queue, spent: 0.0, reserved: 0.0, stop: None, done, made_now: 0, failed: 0 }));
    let members = Arc::new(members);
    let workers = p.run.concurrency.max(1);
    let opts = Arc::new(opts);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let shared = Arc::clone(&shared);
            let members = Arc::clone(&members);
            let opts = Arc::clone(&opts);
            scope.spawn(move || {
                let ran = crate::panics::catch("a pipeline worker", || {
                    worker(p, db, out_dir, run_id, &shared, &members, &opts, total, started);
                });
                // A bug in one worker stops the run with its message; the others
                // see the stop and finish their current job.
                if let Err(why) = ran {
                    shared.lock().unwrap_or_else(|e| e.into_inner()).stop.get_or_insert(why);
                }
            });
        }
    });
    let mut store = Store::open(db)?;
    let s = Arc::try_unwrap(shared)
        .map_err(|_| anyhow::anyhow!("workers still hold the queue"))?
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let mut skipped = 0;
    if let Some(why) = &s.stop {
        for (j, _) in &s.queue {
            store.pipeline_skip(&p.name, &j.key, why)?;
            skipped += 1;
        }
    }
    let (manifest, set_checks) = write_manifest(p, &store, out_dir)?;
    let calls = store.pipeline_calls(&p.name)?;
    let possibly_charged: f64 = calls.iter().filter(|c| c.finished_at.is_none()).map(|c| c.price).sum();
    // Only the jobs of this plan count: an edited pipeline leaves older jobs behind.
    let current: std::collections::HashSet<&str> = jobs.iter().map(|j| j.key.as_str()).collect();
    let spent: f64 = store
        .pipeline_jobs(&p.name)?
        .iter()
        .filter(|j| j.status == crate::store::JobStatus::Done && current.contains(j.key.as_str()))
        .map(|j| j.cost)
        .sum();
    let status = if s.stop.is_some() {
        crate::store::RunStatus::Stopped
    } else if s.failed > 0 {
        crate::store::RunStatus::Failed
    } else {
        crate::store::RunStatus::Done
    };
    store.pipeline_finish_run(run_id, status, s.stop.as_deref().unwrap_or(""))?;
    let _ = &mut store;
    Ok(Report {
        pipeline: p.name.clone(),
        total,
        done: s.done,
        made_now: s.made_now,
        failed: s.failed,
        skipped,
        spent,
        possibly_charged,
        seconds: started.elapsed().as_secs_f64(),
        stopped: s.stop,
        manifest,
        calls: calls.len(),
        set_checks,
    })
}

#[allow(clippy::too_many_arguments)]
fn worker(
    p: &Pipeline,
    db: &Path,
    out_dir: &Path,
    run_id: i64,
    shared: &Mutex<Shared>,
    members: &[Member],
    opts: &Options,
    total: usize,
    started: Instant,
) {
    let Ok(mut store) = Store::open(db) else { return };
    let cancel = Cancel(Arc::clone(&opts.cancel));
    loop {
        // Take a job, reserve its price, pick the least-busy backend.
        let (job, tries, member, price) = {
            let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
            if s.stop.is_some() {
                return;
            }
            if opts.cancel.load(Ordering::SeqCst) {
                s.stop = Some("cancelled".into());
                return;
            }
            let Some((job, tries)) = s.queue.pop_front() else { return };
            if let Some(max) = p.budget.max_seconds
                && started.elapsed().as_secs_f64() > max
            {
                s.queue.push_front((job, tries));
                s.stop = Some(format!("stopped at the time budget of {max:.0} s"));
                return;
            }
            let Some(member) = members.iter().min_by(|a, b| {
                let key = |m: &Member| (m.failures.load(Ordering::SeqCst).min(3), m.busyness());
                let (ka, kb) = (key(a), key(b));
                ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
            }) else {
                s.queue.push_front((job, tries));
                s.stop = Some("the pipeline has no backend to run on".into());
                return;
            };
            let price = member.price(&job.recipe);
            if let Some(max) = p.budget.max_cost
                && s.spent + s.reserved + price > max + 1e-9
            {
                s.queue.push_front((job, tries));
                s.stop = Some(format!("stopped before exceeding the budget of {max:.2} (spent {:.2})", s.spent));
                return;
            }
            s.reserved += price;
            member.in_flight.fetch_add(1, Ordering::SeqCst);
            (job, tries, member, price)
        };
        let t = Instant::now();
        let outcome = attempt(p, &mut store, out_dir, run_id, &job, member, price, &cancel, &opts.files);
        member.record_latency(t.elapsed().as_secs_f64());
        member.in_flight.fetch_sub(1, Ordering::SeqCst);
        let mut s = shared.lock().unwrap_or_else(|e| e.into_inner());
        s.reserved -= price;
        match outcome {
            Ok(cost) => {
                member.failures.store(0, Ordering::SeqCst);
                member.jobs_done.fetch_add(1, Ordering::SeqCst);
                s.spent += cost;
                s.done += 1 + job.copies.len();
                s.made_now += 1;
                if let Some(f) = &opts.on_progress {
                    f(s.done, total, s.spent);
                }
            }
            Err(Failure::Retry(wait)) if tries < p.run.retries => {
                member.failures.fetch_add(1, Ordering::SeqCst);
                s.queue.push_back((job, tries + 1));
                drop(s);
                std::thread::sleep(wait);
            }
            Err(Failure::Cancelled) => {
                s.queue.push_front((job, tries));
                s.stop.get_or_insert_with(|| "cancelled".into());
            }
            Err(_) => s.failed += 1,
        }
    }
}

enum Failure {
    Retry(Duration),
    Final,
    Cancelled,
}

/// Read every input file a pipeline names with `read` (by the path the
/// pipeline gives), before a run: a missing one is an error naming it, not
/// a run whose every job fails.
pub fn input_files(p: &Pipeline, read: &dyn Fn(&str) -> Option<Vec<u8>>) -> Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    for rel in p.base.asset_paths() {
        let bytes = read(rel).with_context(|| format!("pipeline {}: input file not found: {rel}", p.name))?;
        out.insert(rel.to_string(), bytes);
    }
    Ok(out)
}

/// One call: submit (recorded first), generate, write, check, record done.
#[allow(clippy::too_many_arguments)]
fn attempt(
    p: &Pipeline,
    store: &mut Store,
    out_dir: &Path,
    run_id: i64,
    job: &Job,
    member: &Member,
    price: f64,
    cancel: &Cancel,
    files: &BTreeMap<String, Vec<u8>>,
) -> Result<f64, Failure> {
    let call = store.pipeline_submit(&p.name, &job.key, run_id, &member.name, price).map_err(|_| Failure::Final)?;
    let t = Instant::now();
    // Every input was read before the run, by the path the pipeline gives.
    let read = |rel: &str| files.get(rel).cloned();
    let dirs = crate::backend::inputs::AssetDirs {
        recipe_dir: None,
        exercise: Some(&read),
        exercise_label: format!("the files pipeline {} read before the run", p.name),
        sandbox: false,
    };
    let inputs = match crate::backend::inputs::load(&job.recipe, &dirs, &[]) {
        Ok(i) => i,
        Err(e) => {
            let _ = store.pipeline_call_failed(&p.name, &job.key, call, &e.to_string(), true);
            return Err(Failure::Final);
        }
    };
    let result = member.backend.generate(&Request { recipe: job.recipe.clone(), inputs }, cancel);
    let g = match result {
        Ok(g) => g,
        Err(BackendError::Cancelled) => {
            let _ = store.pipeline_call_failed(&p.name, &job.key, call, "cancelled", false);
            return Err(Failure::Cancelled);
        }
        Err(e) => {
            let transient = e.is_transient();
            let wait = match &e {
                BackendError::Transient { retry_after: Some(wait), .. } => {
                    (*wait).min(crate::backend::http::MAX_RETRY_AFTER)
                }
                // Exponential backoff with jitter derived from the job key (deterministic).
                _ => {
                    let tries = store
                        .pipeline_jobs(&p.name)
                        .ok()
                        .and_then(|v| v.into_iter().find(|j| j.key == job.key))
                        .map_or(1, |j| j.tries);
                    let jitter = u64::from_str_radix(&job.key[..4], 16).unwrap_or(0) % 50;
                    Duration::from_millis((50u64 << tries.min(6)) + jitter)
                }
            };
            let _ = store.pipeline_call_failed(&p.name, &job.key, call, &e.to_string(), !transient);
            return Err(if transient { Failure::Retry(wait) } else { Failure::Final });
        }
    };
    // The post steps make the asset that ships; its checks and sha256 are of that.
    let png = match super::post::apply(&job.post, &g.png) {
        Ok((png, _)) => png,
        Err(e) => {
            let _ = store.pipeline_call_failed(&p.name, &job.key, call, &e, true);
            return Err(Failure::Final);
        }
    };
    let path = out_dir.join(&job.output);
    if write_atomic(&path, &png).and_then(|()| write_copies(out_dir, job, &png)).is_err() {
        let _ = store.pipeline_call_failed(&p.name, &job.key, call, "could not write the image", true);
        return Err(Failure::Final);
    }
    let img = Image::load(job.output.clone(), png.clone());
    let (width, height) = img.decoded.as_ref().map_or((job.recipe.width, job.recipe.height), |d| (d.width, d.height));
    let deliverable = crate::curriculum::Deliverable {
        file: String::new(),
        count: 1,
        width: Some(width),
        height: Some(height),
        description: None,
    };
    let outcomes: Vec<Outcome> = p
        .checks
        .iter()
        .filter(|c| !checks::registry::find(&c.check).is_some_and(|d| d.set_level))
        .map(|c| checks::run_on_images(c, std::slice::from_ref(&img), &deliverable))
        .collect();
    let sha = crate::hash::sha256_hex(&png);
    store
        .pipeline_job_done(
            &p.name,
            &job.key,
            call,
            g.seed,
            &sha,
            g.cost,
            t.elapsed().as_secs_f64(),
            &serde_json::to_string(&outcomes).unwrap_or_default(),
        )
        .map_err(|_| Failure::Final)?;
    Ok(g.cost)
}

/// Write a job's image to the outputs of the jobs that share its recipe.
fn write_copies(out_dir: &Path, job: &Job, png: &[u8]) -> Result<()> {
    for copy in &job.copies {
        let path = out_dir.join(copy);
        if std::fs::read(&path).is_ok_and(|b| b == png) {
            continue;
        }
        write_atomic(&path, png)?;
    }
    Ok(())
}

/// manifest.json and manifest.csv beside the assets, from the database, with
/// the set-level checks run over every finished asset.
pub fn write_manifest(p: &Pipeline, store: &Store, out_dir: &Path) -> Result<(PathBuf, Vec<Outcome>)> {
    let rows = store.pipeline_jobs(&p.name)?;
    let jobs = p.expand();
    let mut entries = Vec::new();
    for j in &jobs {
        let Some(r) = rows.iter().find(|r| r.key == j.key && r.status == crate::store::JobStatus::Done) else {
            continue;
        };
        entries.push(ManifestEntry {
            path: &j.output,
            sha256: r.sha256.as_deref().unwrap_or(""),
            seed: r.seed,
            backend: r.backend.as_deref(),
            cost: r.cost,
            seconds: r.seconds,
            vars: &j.vars,
            recipe: serde_json::to_value(&j.recipe).unwrap_or_default(),
            post: if j.post.is_empty() {
                None
            } else {
                std::fs::read(out_dir.join(&j.output)).ok().and_then(|b| super::post::record(&b))
            },
            checks: r.checks.as_deref().and_then(|c| serde_json::from_str(c).ok()).unwrap_or_default(),
        });
    }
    let total_cost: f64 = entries.iter().map(|e| e.cost).sum();
    let set_specs: Vec<_> =
        p.checks.iter().filter(|c| checks::registry::find(&c.check).is_some_and(|d| d.set_level)).collect();
    let set_checks: Vec<Outcome> = if set_specs.is_empty() {
        Vec::new()
    } else {
        let images: Vec<Image> = entries
            .iter()
            .filter_map(|e| std::fs::read(out_dir.join(e.path)).ok().map(|b| Image::load(e.path.to_string(), b)))
            .collect();
        let deliverable = crate::curriculum::Deliverable {
            file: String::new(),
            count: 0,
            width: None,
            height: None,
            description: None,
        };
        set_specs.iter().map(|c| checks::run_on_images(c, &images, &deliverable)).collect()
    };
    let json = serde_json::json!({
        "pipeline": p.name,
        "assets": entries,
        "count": entries.len(),
        "planned": jobs.len(),
        "total_cost": total_cost,
        "set_checks": set_checks,
    });
    let path = out_dir.join("manifest.json");
    write_atomic(&path, serde_json::to_string_pretty(&json).context("Failed to encode the manifest")?.as_bytes())?;
    let mut csv = csv::Writer::from_writer(Vec::new());
    csv.write_record(["path", "sha256", "seed", "backend", "cost", "seconds", "checks_passed", "checks_failed"])?;
    for e in &entries {
        let outcomes: Vec<Outcome> = serde_json::from_value(e.checks.clone()).unwrap_or_default();
        let failed: Vec<&str> = outcomes.iter().filter(|o| !o.passed).map(|o| o.check.as_str()).collect();
        csv.write_record([
            e.path.to_string(),
            e.sha256.to_string(),
            e.seed.map(|s| s.to_string()).unwrap_or_default(),
            e.backend.unwrap_or("").to_string(),
            format!("{:.4}", e.cost),
            format!("{:.3}", e.seconds),
            (outcomes.len() - failed.len()).to_string(),
            failed.join(";"),
        ])?;
    }
    let csv = csv.into_inner().context("Failed to write manifest.csv")?;
    write_atomic(&out_dir.join("manifest.csv"), &csv)?;
    write_contact_sheet(&jobs, &entries, out_dir)?;
    Ok((path, set_checks))
}

/// Thumbnails on a contact sheet row.
const SHEET_CELL: u32 = 256;
/// At most this many thumbnails in a row (a longer group wraps).
const SHEET_ROW: usize = 8;

/// `contact-sheet.png` beside the manifest: every finished asset as a
/// thumbnail, one labelled row per value of the pipeline's first variable
/// in name order (e.g. each product's shots together), in job order. No finished asset,
/// no sheet.
fn write_contact_sheet(jobs: &[super::Job], entries: &[ManifestEntry<'_>], out_dir: &Path) -> Result<()> {
    let mut rows: Vec<(String, Vec<image::RgbImage>)> = Vec::new();
    for e in entries {
        let Some(job) = jobs.iter().find(|j| j.output == e.path) else { continue };
        let label = job.vars.iter().next().map_or_else(|| "assets".to_string(), |(k, v)| format!("{k}: {v}"));
        let Ok(bytes) = std::fs::read(out_dir.join(e.path)) else { continue };
        let Ok(img) = crate::imaging::decode(&bytes) else { continue };
        match rows.last_mut() {
            Some((l, imgs)) if *l == label && imgs.len() < SHEET_ROW => imgs.push(img.to_rgb8()),
            _ => rows.push((label, vec![img.to_rgb8()])),
        }
    }
    if rows.is_empty() {
        return Ok(());
    }
    let sheet = crate::imaging::sheet::contact(&rows, SHEET_CELL);
    let png = crate::recipe::png::encode_with(&sheet, &[]).context("Failed to encode the contact sheet")?;
    write_atomic(&out_dir.join("contact-sheet.png"), &png)
}

/// Where a pipeline stands: its latest run and its jobs, counted once for
/// every front end (`genpath pipeline status`, the studio's progress view).
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    pub name: String,
    pub started_at: Timestamp,
    pub status: crate::store::RunStatus,
    pub done: usize,
    /// Waiting, or sent when a run was cut off.
    pub pending: usize,
    pub failed: usize,
    pub skipped: usize,
    pub total: usize,
    pub spent: f64,
    /// Calls cut off by a crash, which a paid service may have charged.
    pub possibly_charged: f64,
    pub calls: usize,
    /// (output, error) of failed jobs, at most five.
    pub failures: Vec<(String, String)>,
}

/// Every pipeline of the workspace with its latest run, newest first.
pub fn summaries(store: &Store) -> Result<Vec<Summary>> {
    use crate::store::JobStatus;
    let mut out = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    for run in store.pipeline_runs(None)? {
        if !seen.insert(run.pipeline.clone()) {
            continue;
        }
        let jobs = store.pipeline_jobs(&run.pipeline)?;
        let calls = store.pipeline_calls(&run.pipeline)?;
        let count = |s: JobStatus| jobs.iter().filter(|j| j.status == s).count();
        out.push(Summary {
            started_at: run.started_at,
            status: run.status,
            done: count(JobStatus::Done),
            pending: count(JobStatus::Pending) + count(JobStatus::Submitted),
            failed: count(JobStatus::Failed),
            skipped: count(JobStatus::Skipped),
            total: jobs.len(),
            spent: jobs.iter().filter(|j| j.status == JobStatus::Done).map(|j| j.cost).sum(),
            possibly_charged: calls.iter().filter(|c| c.finished_at.is_none()).map(|c| c.price).sum(),
            calls: calls.len(),
            failures: jobs
                .iter()
                .filter(|j| j.status == JobStatus::Failed)
                .take(5)
                .map(|j| (j.output.clone(), j.error.clone().unwrap_or_default()))
                .collect(),
            name: run.pipeline,
        });
    }
    Ok(out)
}
