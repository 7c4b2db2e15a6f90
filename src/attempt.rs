//! One attempt at an exercise, start to finish: read the answer, generate
//! every image, check them, record everything. Shared by `genpath run`, the
//! TUI and `genpath dev check`, so all three judge the same way.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, Result};

use crate::backend::inputs::{self, AssetDirs};
use crate::backend::{Backend, Progress, Request};
use crate::checks::{self, Context, Image, Verdict};
use crate::checks::{ManifestAsset, RunReport};
use crate::curriculum::{Curriculum, Exercise, ExerciseKind};
use crate::pipeline::{Member, Options, Pipeline};
use crate::recipe::{Limits, Recipe};
use crate::store::{self, AttemptStatus, CheckRecord, Finished, ImageRecord, NewAttempt, Store};
use crate::workspace::write_atomic;

/// Reports while an attempt runs (the CLI prints them, the TUI shows them).
pub trait Observer: Progress {
    /// Image `index` (0-based) of `total` is about to be generated.
    fn image_started(&self, _index: usize, _total: usize) {}
    /// Image `index` is done; `cost` is what it cost.
    fn image_done(&self, _index: usize, _total: usize, _cost: f64) {}
    /// The checks are running.
    fn checking(&self) {}
}

/// An observer that reports nothing and is never cancelled.
pub struct Quiet;
impl Progress for Quiet {}
impl Observer for Quiet {}

/// What an attempt made.
#[derive(Debug, Clone)]
pub struct Made {
    pub images: Vec<Image>,
    pub seeds: Vec<i64>,
    pub cost: f64,
    pub not_understood: Vec<String>,
    /// Words that ask for two of one thing (two scenes …), per `prompt::conflicts`.
    pub conflicts: Vec<String>,
}

/// The answer as read from disk.
pub struct Answer {
    pub path: PathBuf,
    pub text: String,
    /// Present when the answer is a recipe.
    pub recipe: Option<Recipe>,
    /// Where a pipeline answer writes its assets and state (a fresh temporary
    /// folder when unset).
    pub work_dir: Option<PathBuf>,
    /// The answer came from elsewhere (a collected bundle): its files are
    /// looked up only beside it and in the exercise, never at absolute or
    /// `../` paths on this machine.
    pub sandbox: bool,
}

impl Answer {
    /// No answer: images judged on their own, without the recipe that made them.
    pub fn none() -> Answer {
        Answer { path: PathBuf::new(), text: String::new(), recipe: None, work_dir: None, sandbox: false }
    }

    /// Read an answer file; a recipe answer is parsed and validated (located errors).
    pub fn read(exercise: &Exercise, path: &Path, limits: Limits) -> Result<Answer> {
        let text = std::fs::read_to_string(path).with_context(|| format!("Failed to read {}", path.display()))?;
        Self::from_text(exercise, path, text, limits)
    }

    /// An answer from text (e.g. a starter inside the binary); `path` labels
    /// it and its folder is searched for assets first.
    pub fn from_text(exercise: &Exercise, path: &Path, text: String, limits: Limits) -> Result<Answer> {
        let recipe = if exercise.deliverable.count > 0 && exercise.kind != ExerciseKind::Pipeline {
            Some(Recipe::parse(&path.display().to_string(), &text, limits)?)
        } else {
            None
        };
        if exercise.kind == ExerciseKind::Pipeline {
            Pipeline::parse(&path.display().to_string(), &text, limits)?;
        }
        Ok(Answer { path: path.to_path_buf(), text, recipe, work_dir: None, sandbox: false })
    }
}

/// Where a recipe's assets are found: beside it, then in the exercise.
pub fn asset_reader<'a>(curriculum: &'a Curriculum, exercise: &'a Exercise) -> impl Fn(&str) -> Option<Vec<u8>> + 'a {
    move |rel: &str| exercise.file_path(rel).and_then(|p| curriculum.read(&p).ok())
}

/// Generate every image of an answer's recipe.
fn generate(
    recipe: &Recipe,
    answer: &Answer,
    exercise_files: &dyn Fn(&str) -> Option<Vec<u8>>,
    exercise_label: &str,
    backend: &dyn Backend,
    observer: &dyn Observer,
) -> Result<Made> {
    let dirs = AssetDirs {
        recipe_dir: answer.path.parent().map(Path::to_path_buf),
        exercise: Some(exercise_files),
        exercise_label: exercise_label.to_string(),
        sandbox: answer.sandbox,
    };
    let file = answer.path.display().to_string();
    generate_in(recipe, &dirs, Some((&file, &answer.text)), backend, observer)
}

/// Generate every image of a recipe, its files looked up in `dirs`; a file
/// problem is located in `source` (the recipe's file name and text) when given.
fn generate_in(
    recipe: &Recipe,
    dirs: &AssetDirs<'_>,
    source: Option<(&str, &str)>,
    backend: &dyn Backend,
    observer: &dyn Observer,
) -> Result<Made> {
    let shots = recipe.resolve();
    let total = shots.len();
    let mut made =
        Made { images: Vec::new(), seeds: Vec::new(), cost: 0.0, not_understood: Vec::new(), conflicts: Vec::new() };
    let mut earlier: Vec<image::RgbImage> = Vec::new();
    for (i, shot) in shots.into_iter().enumerate() {
        observer.image_started(i, total);
        for c in crate::recipe::prompt::conflicts(&crate::recipe::prompt::parse(&shot.prompt)) {
            if !made.conflicts.contains(&c) {
                made.conflicts.push(c);
            }
        }
        let inputs = inputs::load(&shot, dirs, &earlier).map_err(|e| match source {
            Some((file, text)) => anyhow::Error::new(e.located(file, text)),
            None => anyhow::Error::new(e),
        })?;
        let g = backend.generate(&Request { recipe: shot, inputs }, observer).map_err(anyhow::Error::new)?;
        made.cost += g.cost;
        observer.image_done(i, total, g.cost);
        for w in g.not_understood {
            if !made.not_understood.contains(&w) {
                made.not_understood.push(w);
            }
        }
        let img = Image::load(format!("image {}", i + 1), g.png);
        if let Ok(d) = img.pixels() {
            earlier.push(d.rgb.clone());
        }
        made.seeds.push(g.seed);
        made.images.push(img);
    }
    Ok(made)
}

/// Judge an answer: generate (when it is a recipe) and run the checks. No recording.
pub fn evaluate(
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    backend: &dyn Backend,
    observer: &dyn Observer,
    embedding: Option<checks::Embedding<'_>>,
) -> Result<(Made, Verdict)> {
    if exercise.kind == ExerciseKind::Pipeline {
        return evaluate_pipeline(curriculum, exercise, answer, observer, embedding);
    }
    let files = asset_reader(curriculum, exercise);
    let label = curriculum.source.display(&exercise.dir);
    let made = match &answer.recipe {
        Some(r) => generate(r, answer, &files, &label, backend, observer)?,
        None => {
            Made { images: Vec::new(), seeds: Vec::new(), cost: 0.0, not_understood: Vec::new(), conflicts: Vec::new() }
        }
    };
    observer.checking();
    let verdict = check(curriculum, exercise, answer, &made.images, Some(backend), embedding);
    Ok((made, verdict))
}

/// A pipeline answer: run it on the built-in backends (`builtin`, and the
/// simulated paid service `practice`) so every learner meets the same prices,
/// rate limits and failures; then check the assets, the budget and the
/// manifest — and, when it asks for one, its hand-off package, which
/// `bundle_reruns` re-runs in a clean folder holding only the package.
fn evaluate_pipeline(
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    observer: &dyn Observer,
    embedding: Option<checks::Embedding<'_>>,
) -> Result<(Made, Verdict)> {
    let p = Pipeline::parse(&answer.path.display().to_string(), &answer.text, Limits::default())?;
    // A fresh folder unless the caller keeps one; removed however this function
    // returns.
    let (dir, _temporary) = match &answer.work_dir {
        Some(d) => (d.clone(), None),
        None => {
            let t = temp_dir("genpath-pipeline-")?;
            (t.path().to_path_buf(), Some(t))
        }
    };
    // Input files: beside the answer, then in the exercise.
    let files = asset_reader(curriculum, exercise);
    let beside = answer.path.parent().map(Path::to_path_buf);
    let inputs = |rel: &str| -> Option<Vec<u8>> {
        let own = beside.as_ref().filter(|_| !answer.sandbox || crate::pipeline::stays_inside(rel));
        own.and_then(|d| std::fs::read(d.join(rel)).ok()).or_else(|| files(rel))
    };
    let (made, mut report) = run_pipeline_in(&p, &dir, &crate::pipeline::input_files(&p, &inputs)?, observer)?;
    if let Some(package) = crate::pipeline::write_package(&p, &answer.text, &dir, &inputs)? {
        report.package = Some(checks::Package {
            files: crate::pipeline::read_package(&package)?,
            expected: crate::pipeline::expected_assets(&p),
        });
    }
    observer.checking();
    let pricing = curriculum.read("curriculum/pricing.toml").ok().and_then(|b| String::from_utf8(b).ok());
    let rerun_fn;
    let rerun: Option<checks::Reproduce<'_>> = match &report.package {
        Some(pkg) => {
            rerun_fn = move || rerun_package(pkg).map_err(|e| format!("{e:#}"));
            Some(&rerun_fn)
        }
        None => None,
    };
    let ctx = Context {
        deliverable: &exercise.deliverable,
        recipe: None,
        answer: Some(&answer.text),
        assets: &files,
        reproduce: None,
        bundle: rerun,
        render: None,
        run: Some(&report),
        pricing: pricing.as_deref(),
        models: &model_facts,
        embedding,
    };
    let verdict = checks::run(&exercise.checks, &made.images, &ctx);
    Ok((made, verdict))
}

/// Run a pipeline in `dir` on the built-in backends, its input files given;
/// the assets it made (in job order) and what the run reports.
fn run_pipeline_in(
    p: &Pipeline,
    dir: &Path,
    files: &std::collections::BTreeMap<String, Vec<u8>>,
    observer: &dyn Observer,
) -> Result<(Made, RunReport)> {
    std::fs::create_dir_all(dir).with_context(|| format!("Failed to create {}", dir.display()))?;
    let members = pipeline_members(p)?;
    let db = dir.join(".pipeline.db");
    let total = p.expand().len();
    observer.image_started(0, total);
    let mut result = crate::pipeline::run(p, &db, dir, members, Options { files: files.clone(), ..Options::default() });
    // A job that failed for good (its retries spent, or the database busy on
    // a loaded machine) is run again once, as a learner re-running the
    // pipeline would: the run resumes, and nothing done is made again.
    if result.as_ref().is_ok_and(|r| r.failed > 0 && r.stopped.is_none()) {
        let members = pipeline_members(p)?;
        result = crate::pipeline::run(p, &db, dir, members, Options { files: files.clone(), ..Options::default() });
    }
    let store = Store::open(&db)?;
    let calls = store.pipeline_calls(&p.name)?;
    let mut per_key: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for c in calls.iter().filter(|c| c.outcome.as_deref() == Some("ok")) {
        *per_key.entry(&c.key).or_default() += 1;
    }
    let duplicate_charges = per_key.values().filter(|n| **n > 1).count();
    let mut made =
        Made { images: Vec::new(), seeds: Vec::new(), cost: 0.0, not_understood: Vec::new(), conflicts: Vec::new() };
    let mut report = RunReport { planned: total, duplicate_charges, ..RunReport::default() };
    match result {
        Ok(r) => {
            report.cost = r.spent;
            report.seconds = r.seconds;
            report.stopped = r.stopped;
        }
        Err(e) => report.stopped = Some(format!("{e:#}")),
    }
    let current: std::collections::HashSet<String> = p.expand().into_iter().map(|j| j.key).collect();
    for row in store
        .pipeline_jobs(&p.name)?
        .into_iter()
        .filter(|j| j.status == crate::store::JobStatus::Done && current.contains(&j.key))
    {
        let bytes = std::fs::read(dir.join(&row.output)).ok();
        if let Some(b) = &bytes {
            made.images.push(Image::load(row.output.clone(), b.clone()));
            made.seeds.push(row.seed.unwrap_or(0));
        }
        report.assets.push(ManifestAsset { path: row.output, sha256: row.sha256.unwrap_or_default(), bytes });
    }
    made.cost = report.cost;
    observer.image_done(total.saturating_sub(1), total, report.cost);
    Ok((made, report))
}

/// The pool an exercise pipeline runs on: only the built-in backends, so
/// every learner meets the same prices, rate limits and failures.
fn pipeline_members(p: &Pipeline) -> Result<Vec<Member>> {
    p.run
        .backends
        .iter()
        .map(|n| {
            if n != "builtin" && n != "practice" {
                anyhow::bail!("exercise pipelines run on the built-in backends `builtin` and `practice`, not '{n}'");
            }
            Ok(Member::new(n.clone(), crate::backend::from_config(n, &crate::config::Config::default())?))
        })
        .collect()
}

/// Re-run a hand-off package as its client would: `rerun/` alone in a
/// clean folder, its pipeline reading only the files beside it; the assets
/// made, in job order.
fn rerun_package(pkg: &checks::Package) -> Result<Vec<Vec<u8>>> {
    let prefix = format!("{}/", crate::pipeline::HANDOFF_RERUN);
    let clean = temp_dir("genpath-handoff-")?;
    let files: std::collections::BTreeMap<&str, &Vec<u8>> =
        pkg.files.iter().filter_map(|(k, v)| k.strip_prefix(&prefix).map(|rel| (rel, v))).collect();
    let text = files.get("pipeline.toml").context("the package has no rerun/pipeline.toml")?;
    let text = String::from_utf8_lossy(text).into_owned();
    let p = Pipeline::parse("rerun/pipeline.toml (from the package)", &text, Limits::default())?;
    let read = |rel: &str| files.get(rel).map(|b| (*b).clone()).filter(|_| crate::pipeline::stays_inside(rel));
    let inputs = crate::pipeline::input_files(&p, &read)?;
    let (made, _) = run_pipeline_in(&p, clean.path(), &inputs, &Quiet)?;
    Ok(made.images.into_iter().map(|i| i.bytes).collect())
}

/// A practice model's facts for the checks, from the renderer's own table
/// and the practice service's prices (`checks::ModelFacts`).
pub fn model_facts(name: Option<&str>, width: u32, height: u32) -> Result<checks::ModelFacts, String> {
    let m = crate::backend::builtin::model::Model::named(name)?;
    let service = crate::backend::practice_service();
    Ok(checks::ModelFacts {
        name: m.name.to_string(),
        family: m.family.to_string(),
        native: m.native,
        spells_up_to: m.spelling.short,
        short_error: f64::from(m.spelling.short_error),
        long_error: f64::from(m.spelling.long_error),
        service_price: crate::backend::price_by_area(service.price_per_image, width, height) * m.cost,
        service_latency_ms: service.latency_ms as f64 * m.cost,
        repeats: m.repeats_at(width, height),
        undersized: m.undersize(width, height) > 0.0,
    })
}

/// Run the checks on images already made.
pub fn check(
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    images: &[Image],
    backend: Option<&dyn Backend>,
    embedding: Option<checks::Embedding<'_>>,
) -> Verdict {
    let files = asset_reader(curriculum, exercise);
    let label = curriculum.source.display(&exercise.dir);
    let pricing = curriculum.read("curriculum/pricing.toml").ok().and_then(|b| String::from_utf8(b).ok());
    let reproduce = |recipe: &Recipe, backend: &dyn Backend| -> Result<Vec<Vec<u8>>, String> {
        let again = generate(recipe, answer, &files, &label, backend, &Quiet).map_err(|e| format!("{e:#}"))?;
        Ok(again.images.into_iter().map(|i| i.bytes).collect())
    };
    let reproduce_fn;
    let reproduce_ref: Option<checks::Reproduce<'_>> = match (&answer.recipe, backend) {
        (Some(r), Some(b)) => {
            reproduce_fn = move || reproduce(r, b);
            Some(&reproduce_fn)
        }
        _ => None,
    };
    let render_fn;
    let render_ref: Option<checks::Render<'_>> = match backend {
        Some(b) => {
            render_fn = move |r: &Recipe| reproduce(r, b);
            Some(&render_fn)
        }
        None => None,
    };
    let bundle_fn;
    let bundle_ref: Option<checks::Reproduce<'_>> = match (&answer.recipe, backend) {
        (Some(_), Some(b)) => {
            bundle_fn = move || rerun_bundle(curriculum, exercise, answer, b).map_err(|e| format!("{e:#}"));
            Some(&bundle_fn)
        }
        _ => None,
    };
    let ctx = Context {
        deliverable: &exercise.deliverable,
        recipe: answer.recipe.as_ref(),
        answer: Some(&answer.text),
        assets: &files,
        reproduce: reproduce_ref,
        bundle: bundle_ref,
        render: render_ref,
        run: None,
        pricing: pricing.as_deref(),
        models: &model_facts,
        embedding,
    };
    checks::run(&exercise.checks, images, &ctx)
}

/// A verdict's outcomes as the store keeps them.
pub fn check_records(verdict: &Verdict) -> Vec<CheckRecord> {
    verdict
        .outcomes
        .iter()
        .map(|o| CheckRecord {
            check: o.check.clone(),
            passed: o.passed,
            review: o.review,
            value: o.value,
            threshold: o.threshold,
            severity: o.severity,
            message: o.message.clone(),
        })
        .collect()
}

/// A recorded attempt's result.
#[derive(Debug)]
pub struct Recorded {
    /// The store's key of the attempt.
    pub attempt: i64,
    /// Its number among the learner's attempts at the exercise, as they count.
    pub number: u32,
    pub verdict: Verdict,
    pub images: Vec<PathBuf>,
    pub cost: f64,
    pub milestones: Vec<String>,
    pub not_understood: Vec<String>,
    pub conflicts: Vec<String>,
}

/// Run and record an attempt: the row is written before generation; images
/// are written atomically; results and milestones land in one transaction.
/// A backend failure leaves the attempt recorded as `error` with the reason.
#[allow(clippy::too_many_arguments)]
pub fn run_recorded(
    store: &mut Store,
    outputs: &Path,
    learner: &str,
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    backend: &dyn Backend,
    backend_name: &str,
    observer: &dyn Observer,
    embedding: Option<checks::Embedding<'_>>,
) -> Result<Recorded> {
    let id = store.begin_attempt(&NewAttempt {
        learner,
        exercise: &exercise.id,
        recipe_text: &answer.text,
        backend: backend_name,
    })?;
    let result = evaluate(curriculum, exercise, answer, backend, observer, embedding);
    let (made, verdict) = match result {
        Ok(x) => x,
        Err(e) => {
            let cancelled = e
                .downcast_ref::<crate::backend::BackendError>()
                .is_some_and(|b| matches!(b, crate::backend::BackendError::Cancelled));
            let status = if cancelled { AttemptStatus::Cancelled } else { AttemptStatus::Error };
            store.abandon_attempt(id, status, &format!("{e:#}"))?;
            return Err(e);
        }
    };
    finish(store, outputs, curriculum, exercise, id, made, verdict)
}

/// Record images made elsewhere — a real tool's PNGs brought in by `genpath
/// import --exercise` — as an attempt at `exercise`: re-checked here against
/// its checks (with the recipe read from the images; nothing is generated,
/// so nothing is reproduced), marked with the tool that made them
/// (`backend_name`), the images kept byte for byte with their metadata and
/// recorded with the `seeds` their metadata names.
#[allow(clippy::too_many_arguments)]
pub fn record_made(
    store: &mut Store,
    outputs: &Path,
    learner: &str,
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    images: Vec<Image>,
    seeds: Vec<i64>,
    backend_name: &str,
    embedding: Option<checks::Embedding<'_>>,
) -> Result<Recorded> {
    let id = store.begin_attempt(&NewAttempt {
        learner,
        exercise: &exercise.id,
        recipe_text: &answer.text,
        backend: backend_name,
    })?;
    let verdict = check(curriculum, exercise, answer, &images, None, embedding);
    let made = Made { images, seeds, cost: 0.0, not_understood: Vec::new(), conflicts: Vec::new() };
    finish(store, outputs, curriculum, exercise, id, made, verdict)
}

/// Write an attempt's images under `outputs/` and record its verdict (and
/// any milestone reached) in one transaction.
fn finish(
    store: &mut Store,
    outputs: &Path,
    curriculum: &Curriculum,
    exercise: &Exercise,
    id: i64,
    made: Made,
    verdict: Verdict,
) -> Result<Recorded> {
    // Folders are named by the number the learner sees ("attempt 3"), not the store's key.
    let number = store.attempt(id)?.number;
    let dir = outputs.join(&exercise.id).join(format!("attempt-{number}"));
    let saved = (|| -> Result<Vec<(PathBuf, ImageRecord)>> {
        std::fs::create_dir_all(&dir).with_context(|| format!("Failed to create {}", dir.display()))?;
        let mut out = Vec::new();
        for (i, (img, seed)) in made.images.iter().zip(&made.seeds).enumerate() {
            let path = dir.join(format!("{:02}.png", i + 1));
            write_atomic(&path, &img.bytes)?;
            let (w, h) = img.decoded.as_ref().map(|d| (d.width, d.height)).unwrap_or((0, 0));
            let rel = path
                .strip_prefix(outputs.parent().unwrap_or(outputs))
                .unwrap_or(&path)
                .to_string_lossy()
                .replace('\\', "/");
            out.push((
                path,
                ImageRecord {
                    path: rel,
                    sha256: crate::hash::sha256_hex(&img.bytes),
                    width: w,
                    height: h,
                    seed: Some(*seed),
                },
            ));
        }
        Ok(out)
    })();
    let saved = match saved {
        Ok(s) => s,
        Err(e) => {
            store.abandon_attempt(id, AttemptStatus::Error, &format!("{e:#}"))?;
            return Err(e);
        }
    };
    let finished = Finished {
        passed: verdict.passed,
        score: verdict.score,
        cost: made.cost,
        images: saved.iter().map(|(_, r)| r.clone()).collect(),
        checks: check_records(&verdict),
    };
    let milestones =
        store.finish_attempt(id, &finished, |stats| crate::progress::milestones_holding(curriculum, stats))?;
    Ok(Recorded {
        attempt: id,
        number,
        verdict,
        images: saved.into_iter().map(|(p, _)| p).collect(),
        cost: made.cost,
        milestones,
        not_understood: made.not_understood,
        conflicts: made.conflicts,
    })
}

/// Compare images with a re-made set using the `reproducible` check's rule
/// (identical pixels, or near-identical for backends that are not bit-exact).
pub fn compare_remade(exercise: &Exercise, images: &[Image], again: Result<Vec<Vec<u8>>, String>) -> checks::Outcome {
    let spec = crate::curriculum::CheckSpec {
        check: "reproducible".into(),
        severity: checks::Severity::Essential,
        params: Default::default(),
    };
    let again = std::cell::RefCell::new(Some(again));
    let remake = || again.borrow_mut().take().unwrap_or_else(|| Err("the re-made images were already used".into()));
    let ctx = Context { reproduce: Some(&remake), ..Context::standalone(&exercise.deliverable) };
    checks::run_one(&spec, images, &ctx)
}

/// Re-generate a recipe answer on `backend` and compare with `images`.
pub fn reproduce(
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    images: &[Image],
    backend: &dyn Backend,
) -> checks::Outcome {
    let again = match &answer.recipe {
        Some(recipe) => {
            let files = asset_reader(curriculum, exercise);
            let label = curriculum.source.display(&exercise.dir);
            generate(recipe, answer, &files, &label, backend, &Quiet)
                .map(|m| m.images.into_iter().map(|i| i.bytes).collect())
                .map_err(|e| format!("{e:#}"))
        }
        None => Err("the answer is not a recipe, so there is nothing to re-generate".into()),
    };
    compare_remade(exercise, images, again)
}

/// Pack a recipe answer (its folder's files) into a hand-off bundle, verify
/// it as a receiving machine would, unpack it into a fresh folder and re-run
/// it there with nothing else on disk reachable. Returns the images made.
pub fn rerun_bundle(
    curriculum: &Curriculum,
    exercise: &Exercise,
    answer: &Answer,
    backend: &dyn Backend,
) -> Result<Vec<Vec<u8>>> {
    use crate::bundle::{self, Learner, Submission, SubmittedAttempt};
    let file = answer
        .path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_else(|| exercise.deliverable.file.clone());
    let folder = answer.path.parent().unwrap_or(Path::new("."));
    let files = bundle::answer_entries(folder, &file, &answer.text, bundle::Limits::default())?;
    let now = store::now();
    let handoff = Submission {
        learner: Learner { id: "handoff".into(), name: "hand-off".into() },
        exercise: exercise.id.clone(),
        exercise_title: exercise.title.clone(),
        genpath_version: env!("CARGO_PKG_VERSION").into(),
        submitted_at: now,
        attempt: SubmittedAttempt {
            id: 0,
            number: None,
            status: "handoff".into(),
            score: None,
            cost: 0.0,
            started_at: now,
            finished_at: None,
            backend: String::new(),
            backend_description: None,
            answer: format!("answer/{file}"),
            recipe_sha256: crate::hash::sha256_hex(answer.text.as_bytes()),
        },
        images: Vec::new(),
        checks: Vec::new(),
        history: Vec::new(),
        milestones: Vec::new(),
    };
    let packed = bundle::write(&handoff, &files)?;
    let received = bundle::read(&packed, bundle::Limits::default())?;
    let clean = temp_dir("genpath-handoff-")?;
    let dir = clean.path();
    (|| -> Result<Vec<Vec<u8>>> {
        for (rel, bytes) in received.answer_files() {
            let target = dir.join(rel);
            if let Some(parent) = target.parent() {
                std::fs::create_dir_all(parent).with_context(|| format!("Failed to create {}", parent.display()))?;
            }
            write_atomic(&target, bytes)?;
        }
        let path = dir.join(&file);
        let text = String::from_utf8_lossy(&received.files[&received.submission.attempt.answer]).into_owned();
        let recipe = Recipe::parse(&format!("{file} (from the bundle)"), &text, Limits::default())?;
        let reader = asset_reader(curriculum, exercise);
        let dirs = AssetDirs {
            recipe_dir: path.parent().map(Path::to_path_buf),
            exercise: Some(&reader),
            exercise_label: curriculum.source.display(&exercise.dir),
            sandbox: true,
        };
        let made = generate_in(&recipe, &dirs, None, backend, &Quiet)?;
        Ok(made.images.into_iter().map(|i| i.bytes).collect())
    })()
}

/// A fresh temporary folder, removed when the guard is dropped (on every return path).
fn temp_dir(prefix: &str) -> Result<tempfile::TempDir> {
    tempfile::Builder::new().prefix(prefix).tempdir().context("Failed to create a temporary folder")
}
