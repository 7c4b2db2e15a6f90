//! The learner's portfolio: a static site (index.html + images, and the same
//! content as portfolio.md) of their best passing work, organised by the
//! capability each exercise proves. Each piece shows the images, the recipe,
//! the brief it answered and the check evidence (values against thresholds);
//! the judgment write-ups of the systems stage are shown in full.
//!
//! Nothing private leaves the workspace: recipes and write-ups have the
//! workspace and home paths replaced, and keys never reach recipes or the
//! database in the first place.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::curriculum::{Capability, Curriculum, Exercise};
use crate::report::html::page;
use crate::store::{AttemptRow, AttemptStatus, CheckRecord, Store};
use crate::workspace::{Workspace, write_atomic};

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

/// One piece of passing work.
struct Piece<'a> {
    exercise: &'a Exercise,
    attempt: AttemptRow,
    checks: Vec<CheckRecord>,
    /// Image paths inside the site.
    images: Vec<String>,
    total_images: usize,
    recipe: String,
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
fn best_pass(attempts: Vec<AttemptRow>) -> Option<AttemptRow> {
    attempts.into_iter().filter(|a| a.status == AttemptStatus::Passed).max_by_key(|a| (a.score.unwrap_or(0), a.id))
}

/// Build the portfolio into `out`; returns how many pieces it holds.
pub fn write(ws: &Workspace, store: &Store, curriculum: &Curriculum, learner: &str, out: &Path) -> Result<usize> {
    let images_dir = out.join("images");
    std::fs::create_dir_all(&images_dir).with_context(|| format!("Failed to create {}", images_dir.display()))?;
    let mut pieces: Vec<Piece<'_>> = Vec::new();
    for exercise in &curriculum.exercises {
        let Some(attempt) = best_pass(store.attempts(learner, &exercise.id)?) else { continue };
        let records = store.images(attempt.id)?;
        let mut images = Vec::new();
        for (i, r) in records.iter().take(IMAGES_PER_PIECE).enumerate() {
            let src = ws.root.join(&r.path);
            let Ok(bytes) = std::fs::read(&src) else { continue };
            let name = format!("images/{}-{:02}.png", exercise.id, i + 1);
            write_atomic(&out.join(&name), &bytes)?;
            images.push(name);
        }
        let checks = store.check_results(attempt.id)?;
        let recipe = scrub(&attempt.recipe_text, &ws.root);
        pieces.push(Piece { exercise, checks, images, total_images: records.len(), recipe, attempt });
    }
    let name = &ws.config.learner.name;
    write_atomic(&out.join("index.html"), html(name, &pieces).as_bytes())?;
    write_atomic(&out.join("portfolio.md"), markdown(name, &pieces).as_bytes())?;
    Ok(pieces.len())
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
.piece { border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px; margin: 12px 0 20px; break-inside: avoid; }
.piece img { max-width: 240px; border: 1px solid var(--line); border-radius: 4px; }
pre { background: var(--soft); padding: 8px; overflow-x: auto; white-space: pre-wrap; font-size: 12px; }
";

fn html(name: &str, pieces: &[Piece<'_>]) -> String {
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
                    "Work that passed genpath's automatic checks. Every image was made from the recipe shown beside it; \
                     the evidence lists what was measured and the threshold it had to meet."
                }
                @if pieces.is_empty() { p { "No passing work yet." } }
                nav { ul {
                    @for (c, group) in &groups {
                        li { a href=(format!("#{}", c.as_str())) { (heading(*c).0) } " (" (group.len()) ")" }
                    }
                } }
                @for (c, group) in &groups {
                    h2 id=(c.as_str()) { (heading(*c).0) }
                    p.muted { (heading(*c).1) }
                    @for p in group {
                        section.piece {
                            h3 { (p.exercise.title) }
                            p.muted {
                                (p.exercise.id) " · score " (p.attempt.score.unwrap_or(0)) " · "
                                (p.attempt.finished_at.map(|d| d.day().to_string()).unwrap_or_default())
                            }
                            details open {
                                summary { "The brief" }
                                @for para in p.exercise.brief.trim().split("\n\n") { p { (para) } }
                            }
                            @if !p.images.is_empty() {
                                div.gallery {
                                    @for img in &p.images { img src=(img) alt=(p.exercise.title); }
                                }
                                @if p.total_images > p.images.len() {
                                    p.muted { (p.images.len()) " of " (p.total_images) " images shown." }
                                }
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
                p.muted { "Made with genpath." }
    };
    page(&title, PIECE_STYLE, body)
}

fn markdown(name: &str, pieces: &[Piece<'_>]) -> String {
    let mut out = format!("# {name} — AI image generation portfolio\n\nWork that passed genpath's automatic checks.\n");
    for c in ORDER {
        let group: Vec<&Piece<'_>> = pieces.iter().filter(|p| p.exercise.capability == c).collect();
        if group.is_empty() {
            continue;
        }
        let (h, about) = heading(c);
        let _ = write!(out, "\n## {h}\n\n{about}\n");
        for p in group {
            let _ = write!(
                out,
                "\n### {}\n\n`{}` · score {}\n\n{}\n\n",
                p.exercise.title,
                p.exercise.id,
                p.attempt.score.unwrap_or(0),
                p.exercise.brief.trim()
            );
            for img in &p.images {
                let _ = writeln!(out, "![{}]({img})", p.exercise.title);
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
    }
    out
}
