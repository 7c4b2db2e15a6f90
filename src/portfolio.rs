//! The learner's portfolio: a static site (index.html + images, and the same
//! content as portfolio.md) of their best passing work, organised by the
//! capability each exercise proves, and a "Work on real tools" section of
//! pieces made on A1111, ComfyUI, OpenAI… (`genpath run --backend NAME`, or
//! the tool's PNGs brought in by `genpath import --exercise`), each
//! re-checked against the exercise it answers.
//!
//! Each piece is proof a reader can check: the backend and model that made
//! it (provenance: the attempt's backend and the recipe's model, or the
//! model the image's own metadata names), the conditioning inputs beside the
//! outputs (an init image before → after), the images large, the recipe,
//! the brief it answered, the check evidence (values against thresholds),
//! and the reviewer's grade and comment where the learner imported
//! feedback. The judgment write-ups of the systems stage are shown in full.
//!
//! Nothing private leaves the workspace: recipes and write-ups have the
//! workspace and home paths replaced, and keys never reach recipes or the
//! database in the first place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::backend::inputs::AssetDirs;
use crate::curriculum::{Capability, Curriculum, Exercise};
use crate::report::drill::{self, Input};
use crate::report::html::page;
use crate::store::{AttemptRow, AttemptStatus, CheckRecord, Feedback, Store};
use crate::workspace::{Workspace, write_atomic};

/// The backends every workspace has for practice; work on any other is
/// work on a real tool.
const PRACTICE: [&str; 2] = ["builtin", "practice"];
/// How an imported attempt's backend starts (`genpath import --exercise`).
pub const IMPORTED: &str = "import:";

/// At most this many images of one piece are shown (a pipeline makes dozens).
const IMAGES_PER_PIECE: usize = 12;

const ORDER: [Capability; 6] = [
    Capability::Control,
    Capability::Consistency,
    Capability::Reproducibility,
    Capability::Judgment,
    Capability::Integration,
    Capability::Fluency,
];

fn heading(c: Capability) -> (&'static str, &'static str) {
    match c {
        Capability::Control => ("Control", "Putting an element where it must go: conditioning, masks, layouts."),
        Capability::Consistency => ("Consistency", "The same character or brand look across a whole set."),
        Capability::Reproducibility => ("Reproducibility", "Documented recipes anyone can re-run to the same result."),
        Capability::Judgment => ("Judgment", "Which tool for which job, and what it costs at volume."),
        Capability::Integration => ("Integration", "Generation inside a pipeline a team can run."),
        Capability::Fluency => ("Fluency", "Reliable, on-brief images."),
    }
}

/// Who and what made a piece.
struct Provenance {
    /// The backend name the attempt ran on (`builtin`, a configured `[backends.NAME]`, `import:a1111`).
    backend: String,
    /// The tool as a reader knows it: "genpath practice renderer", "AUTOMATIC1111", "ComfyUI"…
    tool: String,
    /// The model the recipe or the image's metadata names.
    model: Option<String>,
    /// Brought in from the tool's own files by `genpath import`.
    imported: bool,
}

/// A conditioning input copied into the site.
struct SiteInput {
    role: String,
    name: String,
    src: String,
    before: bool,
}

/// One piece of work.
struct Piece<'a> {
    exercise: &'a Exercise,
    attempt: AttemptRow,
    checks: Vec<CheckRecord>,
    /// Image paths inside the site.
    images: Vec<String>,
    total_images: usize,
    /// The seeds the images were made with, as recorded.
    seeds: Vec<i64>,
    inputs: Vec<SiteInput>,
    recipe: String,
    provenance: Provenance,
    feedback: Option<Feedback>,
}

impl Piece<'_> {
    fn passed(&self) -> bool {
        self.attempt.status == AttemptStatus::Passed
    }
}

fn is_practice(backend: &str) -> bool {
    PRACTICE.contains(&backend)
}

/// The tool a backend name stands for, as a reader knows it.
fn tool_name(ws: &Workspace, backend: &str) -> (String, bool) {
    use crate::config::BackendKind;
    let kind_name = |k: BackendKind| match k {
        BackendKind::Builtin => "genpath practice renderer",
        BackendKind::A1111 => "AUTOMATIC1111 web UI",
        BackendKind::Comfyui => "ComfyUI",
        BackendKind::Openai => "OpenAI Images API",
    };
    if let Some(tool) = backend.strip_prefix(IMPORTED) {
        let name = match tool {
            "a1111" => "AUTOMATIC1111 web UI",
            "forge" => "Stable Diffusion WebUI Forge",
            "sdcpp" => "stable-diffusion.cpp",
            "comfyui" => "ComfyUI",
            "openai" => "OpenAI Images API",
            other => other,
        };
        return (name.to_string(), true);
    }
    let name = match backend {
        "builtin" => "genpath practice renderer".to_string(),
        "practice" => "genpath simulated paid service".to_string(),
        other => ws.config.backends.get(other).map_or(other.to_string(), |b| kind_name(b.kind).to_string()),
    };
    (name, false)
}

/// The model a piece was made with: on the practice backends, the practice
/// model the recipe picks; elsewhere the recipe's, else the one the first
/// image's metadata names (A1111 infotext `Model:`, genpath's own chunk).
fn model_of(backend: &str, recipe_text: &str, first_image: Option<&[u8]>) -> Option<String> {
    let recipe = crate::recipe::Recipe::parse("recipe", recipe_text, crate::recipe::Limits::default()).ok();
    if is_practice(backend) {
        let named = recipe.as_ref().and_then(|r| r.model.as_deref());
        return crate::backend::builtin::model::Model::named(named).ok().map(|m| m.name.to_string());
    }
    recipe.and_then(|r| r.model).or_else(|| {
        let chunks = crate::recipe::png::text_chunks(first_image?).ok()?;
        let from_infotext = chunks.iter().find(|(k, _)| k == "parameters").and_then(|(_, text)| {
            let info = crate::recipe::import::parse_infotext(text);
            info.params.into_iter().find(|(k, _)| k == "Model").map(|(_, v)| v)
        });
        from_infotext.or_else(|| crate::recipe::png::provenance(first_image?)?.recipe.model)
    })
}

/// Replace private paths (the workspace, the home folder) in shown text.
pub fn scrub(text: &str, workspace: &Path) -> String {
    let mut out = text.to_string();
    let mut private: Vec<(String, &str)> = vec![(workspace.display().to_string(), "<workspace>")];
    if let Ok(canonical) = workspace.canonicalize() {
        private.push((canonical.display().to_string(), "<workspace>"));
    }
    if let Some(home) = std::env::var_os("HOME").filter(|h| h.len() > 1) {
        private.push((PathBuf::from(home).display().to_string(), "~"));
    }
    private.sort_by_key(|(p, _)| std::cmp::Reverse(p.len()));
    for (p, with) in private {
        if !p.is_empty() && p != "/" {
            out = out.replace(&p, with);
        }
    }
    out
}

/// The attempt a portfolio shows: the best-scoring pass, the latest on ties.
fn best_pass(attempts: &[AttemptRow]) -> Option<AttemptRow> {
    attempts.iter().filter(|a| a.status == AttemptStatus::Passed).max_by_key(|a| (a.score.unwrap_or(0), a.id)).cloned()
}

/// Work on real tools: per tool, its best finished attempt (a pass before
/// a failure, then the score, then the latest), shown with its verdict.
fn best_per_tool(attempts: &[AttemptRow]) -> Vec<AttemptRow> {
    let mut tools: Vec<&str> = attempts.iter().map(|a| a.backend.as_str()).filter(|b| !is_practice(b)).collect();
    tools.sort_unstable();
    tools.dedup();
    tools
        .into_iter()
        .filter_map(|t| {
            attempts
                .iter()
                .filter(|a| a.backend == t && matches!(a.status, AttemptStatus::Passed | AttemptStatus::Failed))
                .max_by_key(|a| (a.status == AttemptStatus::Passed, a.score.unwrap_or(0), a.id))
                .cloned()
        })
        .collect()
}

/// The file name extension an image's bytes call for.
fn extension(bytes: &[u8]) -> &'static str {
    if bytes.starts_with(&[0xFF, 0xD8]) { "jpg" } else { "png" }
}

/// Gather one piece: copy its images and conditioning inputs into the site.
fn piece<'a>(
    ws: &Workspace,
    store: &Store,
    curriculum: &Curriculum,
    exercise: &'a Exercise,
    attempt: AttemptRow,
    feedback: &[Feedback],
    out: &Path,
) -> Result<Piece<'a>> {
    let records = store.images(attempt.id)?;
    let stem = format!("{}-{}", exercise.id, attempt.number);
    let mut images = Vec::new();
    let mut first: Option<Vec<u8>> = None;
    for (i, r) in records.iter().take(IMAGES_PER_PIECE).enumerate() {
        let Ok(bytes) = std::fs::read(ws.root.join(&r.path)) else { continue };
        let name = format!("images/{stem}-{:02}.{}", i + 1, extension(&bytes));
        write_atomic(&out.join(&name), &bytes)?;
        images.push(name);
        first.get_or_insert(bytes);
    }
    // The recipe's inputs as the attempt read them: beside the answer, then in the exercise.
    // An imported recipe names the tool's files, not this machine's: none are read.
    let (tool, imported) = tool_name(ws, &attempt.backend);
    let mut inputs = Vec::new();
    if !imported {
        let reader = crate::attempt::asset_reader(curriculum, exercise);
        let dirs = AssetDirs {
            recipe_dir: Some(ws.answer_path(exercise).parent().map_or_else(|| ws.recipes_dir(), Path::to_path_buf)),
            exercise: Some(&reader),
            exercise_label: String::new(),
            sandbox: true,
        };
        let read = |rel: &str| dirs.read(rel).ok();
        for (i, Input { role, name, bytes, before }) in
            drill::conditioning(&attempt.recipe_text, &read).into_iter().enumerate()
        {
            let src = format!("images/{stem}-input-{}.{}", i + 1, extension(&bytes));
            write_atomic(&out.join(&src), &bytes)?;
            inputs.push(SiteInput { role, name, src, before });
        }
    }
    let checks = store.check_results(attempt.id)?;
    let recipe = scrub(&attempt.recipe_text, &ws.root);
    let model = model_of(&attempt.backend, &attempt.recipe_text, first.as_deref()).map(|m| scrub(&m, &ws.root));
    let feedback = feedback.iter().find(|f| f.exercise == exercise.id && f.attempt == Some(attempt.id)).cloned();
    Ok(Piece {
        exercise,
        checks,
        images,
        total_images: records.len(),
        seeds: records.iter().filter_map(|r| r.seed).collect(),
        inputs,
        recipe,
        provenance: Provenance { backend: attempt.backend.clone(), tool, model, imported },
        feedback,
        attempt,
    })
}

/// Build the portfolio into `out`; returns how many pieces it holds.
pub fn write(ws: &Workspace, store: &Store, curriculum: &Curriculum, learner: &str, out: &Path) -> Result<usize> {
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).with_context(|| format!("Failed to create {}", images_dir.display()))?;
    let feedback = store.feedback(None)?;
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    let mut real: Vec<Piece<'_>> = Vec::new();
    for exercise in &curriculum.exercises {
        let attempts = store.attempts(learner, &exercise.id)?;
        // A pass a reviewer failed is not passing work: the next best pass stands in.
        let failed_by_reviewer = |a: &AttemptRow| {
            feedback.iter().any(|f| f.exercise == exercise.id && f.attempt == Some(a.id) && !f.record.passed)
        };
        let practice: Vec<AttemptRow> =
            attempts.iter().filter(|a| is_practice(&a.backend) && !failed_by_reviewer(a)).cloned().collect();
        if let Some(attempt) = best_pass(&practice) {
            pieces.push(piece(ws, store, curriculum, exercise, attempt, &feedback, out)?);
        }
        for attempt in best_per_tool(&attempts) {
            real.push(piece(ws, store, curriculum, exercise, attempt, &feedback, out)?);
        }
    }
    let name = &ws.config.learner.name;
    write_atomic(&out.join("index.html"), html(name, &pieces, &real).as_bytes())?;
    write_atomic(&out.join("portfolio.md"), markdown(name, &pieces, &real).as_bytes())?;
    Ok(pieces.len() + real.len())
}

fn value(v: Option<f64>) -> String {
    match v {
        Some(x) if x.fract() == 0.0 && x.abs() < 1e9 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

/// The portfolio's own styles, on top of the report's.
const PIECE_STYLE: &str = "
.piece { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0 24px; break-inside: avoid; }
.piece h3 { margin: 4px 0; font-size: 18px; }
.badge { font-size: 12px; border-radius: 4px; padding: 1px 6px; margin-left: 6px; vertical-align: middle; }
.badge.passed { color: #fff; background: var(--pass); } .badge.failed { color: #fff; background: var(--fail); }
.prov { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; font-size: 13px; }
.prov dt { color: var(--muted); } .prov dd { margin: 0; }
.work { display: flex; flex-wrap: wrap; gap: 14px; align-items: flex-start; margin: 12px 0; }
.work figure { margin: 0; }
.work img { border: 1px solid var(--line); border-radius: 4px; display: block; background: #fff; }
.work .input img { max-width: 240px; }
.work .output img { max-width: 480px; width: 100%; }
.work .arrow { align-self: center; font-size: 28px; color: var(--muted); }
.feedback { border-left: 3px solid #eedc9a; padding: 2px 12px; margin: 10px 0; }
.comment { background: #fffbea; border: 1px solid #eedc9a; border-radius: 6px; padding: 6px 10px; margin: 6px 0; }
pre { background: var(--soft); padding: 8px; overflow-x: auto; white-space: pre-wrap; font-size: 12px; }
";

fn verdict_word(passed: bool) -> &'static str {
    if passed { "passes re-check" } else { "fails re-check" }
}

fn provenance(p: &Piece<'_>) -> maud::Markup {
    use maud::html;
    html! {
        dl.prov {
            dt { "Made on" }
            dd {
                b { (p.provenance.tool) }
                @if p.provenance.imported { " — the tool's own PNG, imported with its metadata" }
                " (backend " code { (p.provenance.backend) } ")"
            }
            dt { "Model" }
            dd { @match &p.provenance.model { Some(m) => code { (m) }, None => span.muted { "not recorded" } } }
            @if !p.seeds.is_empty() {
                dt { "Seed" }
                dd {
                    @for (i, seed) in p.seeds.iter().take(6).enumerate() { @if i > 0 { ", " } code { (seed) } }
                    @if p.seeds.len() > 6 { " …" }
                }
            }
            dt { "Answers" }
            dd { (p.exercise.title) " " span.muted { "(" (p.exercise.id) ")" } }
            dt { "Verdict" }
            dd {
                span class=(if p.passed() { "passed" } else { "failed" }) { (verdict_word(p.passed())) }
                " · score " (p.attempt.score.unwrap_or(0)) " · attempt " (p.attempt.number) " · "
                (p.attempt.finished_at.map(|d| d.day().to_string()).unwrap_or_default())
            }
        }
    }
}

fn work(p: &Piece<'_>) -> maud::Markup {
    use maud::html;
    let (before, inputs): (Vec<&SiteInput>, Vec<&SiteInput>) = p.inputs.iter().partition(|i| i.before);
    html! {
        @if !p.images.is_empty() {
            div.work {
                @for i in before.iter().chain(inputs.iter()) {
                    figure.input {
                        img src=(i.src) alt=(i.role);
                        figcaption { b { @if i.before { "Before: " } } (i.role) br; code { (i.name) } }
                    }
                }
                @if !p.inputs.is_empty() { span.arrow { "→" } }
                @for (n, img) in p.images.iter().enumerate() {
                    figure.output {
                        img src=(img) alt=(format!("{} — output {}", p.exercise.title, n + 1));
                        figcaption {
                            @if !before.is_empty() { b { "After: " } }
                            "output " (n + 1)
                        }
                    }
                }
            }
            @if p.total_images > p.images.len() {
                p.muted { (p.images.len()) " of " (p.total_images) " images shown." }
            }
        }
    }
}

fn feedback(f: &Feedback) -> maud::Markup {
    use maud::html;
    html! {
        div.feedback {
            h4 { "Reviewer's grade" }
            p {
                "Automatic re-check: " (if f.automatic_passed { "passed" } else { "failed" }) ", " (f.automatic_score)
                " · reviewer: " (f.grade.map_or("no override".to_string(), |g| g.to_string()))
                @if f.score_adjust != 0 { " (" (format!("{:+}", f.score_adjust)) ")" }
                " · grade of record: " b class=(if f.record.passed { "passed" } else { "failed" }) {
                    (if f.record.passed { "passed" } else { "failed" }) ", " (f.record.score)
                }
                span.muted { " — " (f.reviewer) ", " (f.reviewed_at.day()) }
            }
            @if !f.comment.trim().is_empty() { (crate::report::html::comment(&f.comment)) }
            @for c in f.checks.iter().filter(|c| c.grade.is_some() || !c.comment.trim().is_empty()) {
                p {
                    "On " code { (c.check) } ": " (c.grade.map_or("-".to_string(), |g| g.to_string()))
                    @if !c.comment.trim().is_empty() { (crate::report::html::comment(&c.comment)) }
                }
            }
        }
    }
}

fn piece_html(p: &Piece<'_>) -> maud::Markup {
    use maud::html;
    html! {
        section.piece {
            h3 {
                (p.exercise.title)
                span class=(format!("badge {}", if p.passed() { "passed" } else { "failed" })) { (verdict_word(p.passed())) }
            }
            (provenance(p))
            (work(p))
            @if let Some(f) = &p.feedback { (feedback(f)) }
            details {
                summary { "The brief" }
                @for para in p.exercise.brief.trim().split("\n\n") { p { (para) } }
            }
            h4 { @if p.exercise.capability == Capability::Judgment { "The write-up" } @else { "The recipe" } }
            pre { (p.recipe) }
            h4 { "Evidence" }
            table {
                thead { tr {
                    th { "Check" } th {} th.num { "Measured" } th.num { "Threshold" } th { "Finding" }
                } }
                tbody {
                    @for c in &p.checks {
                        tr {
                            td { code { (c.check) } }
                            td class=(if c.passed { "passed" } else { "failed" }) { (if c.passed { "✓" } else { "✗" }) }
                            td.num { (value(c.value)) }
                            td.num { (value(c.threshold)) }
                            td { (c.message) }
                        }
                    }
                }
            }
        }
    }
}

fn html(name: &str, pieces: &[Piece<'_>], real: &[Piece<'_>]) -> String {
    use maud::html;
    let title = format!("{name} — AI image generation portfolio");
    let groups: Vec<(Capability, Vec<&Piece<'_>>)> = ORDER
        .iter()
        .map(|c| (*c, pieces.iter().filter(|p| p.exercise.capability == *c).collect::<Vec<_>>()))
        .filter(|(_, g)| !g.is_empty())
        .collect();
    let body = html! {
        h1 { (title) }
        p.muted {
            "Work that passed genpath's automatic checks. Every piece names the tool and model that made it; \
             the images are shown beside the inputs that conditioned them and the recipe that made them; \
             the evidence lists what was measured and the threshold it had to meet."
        }
        @if pieces.is_empty() && real.is_empty() { p { "No passing work yet." } }
        nav { ul {
            @for (c, group) in &groups {
                li { a href=(format!("#{}", c.as_str())) { (heading(*c).0) } " (" (group.len()) ")" }
            }
            @if !real.is_empty() { li { a href="#real-tools" { "Work on real tools" } " (" (real.len()) ")" } }
        } }
        @for (c, group) in &groups {
            h2 id=(c.as_str()) { (heading(*c).0) }
            p.muted { (heading(*c).1) }
            @for p in group { (piece_html(p)) }
        }
        @if !real.is_empty() {
            h2 id="real-tools" { "Work on real tools" }
            p.muted {
                "Made on real generators (AUTOMATIC1111, ComfyUI, OpenAI…), either run from genpath or brought in \
                 as the tool's own PNGs, and re-checked by genpath against the exercise each answers. The verdict \
                 is genpath's re-check, shown whether it passed or not."
            }
            @for p in real { (piece_html(p)) }
        }
        p.muted { "Made with genpath " (env!("CARGO_PKG_VERSION")) "." }
    };
    page(&title, PIECE_STYLE, body)
}

fn piece_md(out: &mut String, p: &Piece<'_>) {
    let _ = write!(
        out,
        "\n### {}\n\n`{}` · {} · score {}\n\nMade on **{}** (backend `{}`{}) · model {}\n\n{}\n\n",
        p.exercise.title,
        p.exercise.id,
        verdict_word(p.passed()),
        p.attempt.score.unwrap_or(0),
        p.provenance.tool,
        p.provenance.backend,
        if p.provenance.imported { ", imported" } else { "" },
        p.provenance.model.as_deref().map_or("not recorded".to_string(), |m| format!("`{m}`")),
        p.exercise.brief.trim()
    );
    for i in &p.inputs {
        let _ = writeln!(out, "![{}]({}) {}{}", i.role, i.src, if i.before { "Before: " } else { "" }, i.role);
    }
    for img in &p.images {
        let _ = writeln!(out, "![{}]({img})", p.exercise.title);
    }
    if let Some(f) = &p.feedback {
        let _ = write!(
            out,
            "\n**Reviewer's grade:** {} ({}, {}); automatic re-check {}, {}\n",
            if f.record.passed { "passed" } else { "failed" },
            f.record.score,
            f.reviewer,
            if f.automatic_passed { "passed" } else { "failed" },
            f.automatic_score
        );
        for line in f.comment.lines() {
            let _ = writeln!(out, "> {line}");
        }
    }
    let _ = write!(
        out,
        "\n```toml\n{}\n```\n\n| Check | | Measured | Threshold |\n|---|---|---:|---:|\n",
        p.recipe.trim_end()
    );
    for c in &p.checks {
        let _ = writeln!(
            out,
            "| `{}` | {} | {} | {} |",
            c.check,
            if c.passed { "✓" } else { "✗" },
            value(c.value),
            value(c.threshold)
        );
    }
}

fn markdown(name: &str, pieces: &[Piece<'_>], real: &[Piece<'_>]) -> String {
    let mut out = format!("# {name} — AI image generation portfolio\n\nWork that passed genpath's automatic checks.\n");
    for c in ORDER {
        let group: Vec<&Piece<'_>> = pieces.iter().filter(|p| p.exercise.capability == c).collect();
        if group.is_empty() {
            continue;
        }
        let (h, about) = heading(c);
        let _ = write!(out, "\n## {h}\n\n{about}\n");
        for p in group {
            piece_md(&mut out, p);
        }
    }
    if !real.is_empty() {
        let _ = write!(
            out,
            "\n## Work on real tools\n\nMade on real generators and re-checked by genpath against the exercise each answers.\n"
        );
        for p in real {
            piece_md(&mut out, p);
        }
    }
    out
}
