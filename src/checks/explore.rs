//! `grid_choice`: settings chosen from an X/Y grid, held to the grid.
//!
//! A practitioner who has to render thousands of images picks steps,
//! sampler and schedule by plotting them (A1111's X/Y/Z plot, ComfyUI batch
//! runs, `genpath grid`) and paying for the fewest steps after which the
//! picture stops changing. The check re-draws the cells of the brief's grid
//! that are cheaper than the learner's choice, on the backend the attempt
//! used, and compares each with the same seed rendered to convergence (many
//! steps). "Finished" uses `reproducible`'s line for "the same image"
//! (SSIM and pHash): a cell that a re-run would not tell apart from the
//! converged picture is as good as it, at a fraction of the cost.
//!
//! Cost is model evaluations (steps × evaluations per step): second-order
//! samplers spend two per step ([`vocab::evaluations_per_step`]). A batch
//! renders many seeds, so a choice must hold on every seed the brief lists,
//! not only on the one the learner looked at.

use super::registry::params;
use super::spec::CheckSpec;
use super::{Context, Measure, Outcome};
use crate::imaging::analysis;
use crate::recipe::{Recipe, Scheduler, vocab};

params! {
    /// Parameters of `grid_choice`: the brief's grid and batch.
    pub struct GridChoice {
        steps: Option<String> = req(of(ParamKind::Text, "the grid's step counts, comma-separated (\"8,10,12,16,20,30\")")),
        samplers: Option<String> = req(of(ParamKind::Text, "the grid's samplers, comma-separated (\"euler_a,euler,dpmpp_2m\")")),
        schedulers: Option<String> = of(ParamKind::Text, "the grid's schedules, comma-separated (default: normal)"),
        seeds: Option<String> = req(of(ParamKind::Text, "the batch's other seeds, comma-separated: the choice must hold on each")),
        reference_steps: u32 = int(20, 200, Some(80), "steps of the converged picture every cell is compared with"),
        min_ssim: f64 = num(0.0, 1.0, Some(super::consistency::SAME_SSIM), "SSIM with the converged picture that counts as finished (`reproducible`'s line)"),
        max_phash_distance: u32 = int(0, 64, Some(super::consistency::SAME_PHASH), "pHash distance from the converged picture that counts as finished (`reproducible`'s line)"),
        slack: f64 = num(0.0, 2.0, Some(0.25), "how much dearer than the cheapest finished cell a choice may be (0.25: a quarter)"),
        min_notes_words: u32 = int(0, 1_000, Some(25), "fewest words of the recipe's notes saying what the grid showed"),
        min_prose_share: f64 = num(0.0, 1.0, Some(super::documents::MIN_PROSE_SHARE), "least share of common English function words in the notes"),
    }
}

/// Why the check cannot run without a backend to draw the grid on.
const NO_RENDERER: &str = "not checked: the grid is re-drawn on the attempt's backend, and none came with these images";

/// One cell of the grid: a sampler, a schedule and a step count.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Cell {
    steps: u32,
    sampler: &'static str,
    scheduler: Scheduler,
}

impl Cell {
    /// Model evaluations per image: what the GPU is paid for.
    fn cost(self) -> u32 {
        self.steps * vocab::evaluations_per_step(self.sampler)
    }

    fn describe(self) -> String {
        format!("{} steps, {} / {}", self.steps, self.sampler, self.scheduler)
    }
}

/// How far one rendering of a cell is from its converged picture.
#[derive(Debug, Clone, Copy)]
struct Gap {
    seed: i64,
    ssim: f64,
    phash: u32,
}

fn list<T>(text: Option<&str>, what: &str, read: impl Fn(&str) -> Option<T>) -> Result<Vec<T>, String> {
    let mut out = Vec::new();
    for word in text.unwrap_or_default().split(',').map(str::trim).filter(|w| !w.is_empty()) {
        out.push(read(word).ok_or_else(|| format!("`{word}` is not a {what}"))?);
    }
    Ok(out)
}

/// The grid and batch the brief asks for, read from the parameters.
struct Grid {
    cells: Vec<Cell>,
    seeds: Vec<i64>,
}

fn grid(p: &GridChoice) -> Result<Grid, String> {
    let steps = list(p.steps.as_deref(), "step count", |w| w.parse::<u32>().ok().filter(|s| (1..=150).contains(s)))?;
    let samplers = list(p.samplers.as_deref(), "sampler the renderer knows", vocab::sampler)?;
    let mut schedulers = list(p.schedulers.as_deref(), "schedule", |w| w.parse::<Scheduler>().ok())?;
    if schedulers.is_empty() {
        schedulers.push(Scheduler::Normal);
    }
    let seeds = list(p.seeds.as_deref(), "seed", |w| w.parse::<i64>().ok().filter(|s| *s >= 0))?;
    let mut cells = Vec::new();
    for &sampler in &samplers {
        for &scheduler in &schedulers {
            cells.extend(steps.iter().map(|&steps| Cell { steps, sampler, scheduler }));
        }
    }
    // Cheapest first, so the first finished cell found is the cheapest.
    cells.sort_by_key(|c| c.cost());
    Ok(Grid { cells, seeds })
}

/// The learner's recipe drawn as `cell` on `seed`: everything else as written.
fn variant(recipe: &Recipe, cell: Cell, seed: i64) -> Recipe {
    Recipe {
        steps: cell.steps,
        sampler: cell.sampler.to_string(),
        scheduler: Some(cell.scheduler),
        seed: Some(seed),
        ..recipe.clone()
    }
}

/// Renders cells and their converged pictures, each at most once.
struct Drawer<'a> {
    recipe: &'a Recipe,
    render: super::Render<'a>,
    reference_steps: u32,
    references: Vec<((&'static str, Scheduler, i64), image::RgbImage)>,
    renders: usize,
}

impl Drawer<'_> {
    fn draw(&mut self, cell: Cell, seed: i64) -> Result<image::RgbImage, String> {
        self.renders += 1;
        let bytes = (self.render)(&variant(self.recipe, cell, seed))?;
        let first = bytes.into_iter().next().ok_or("the backend made no image")?;
        let img = super::Image::load(format!("{} on seed {seed}", cell.describe()), first);
        Ok(img.pixels()?.rgb.clone())
    }

    /// How far `cell` on `seed` is from the same seed, sampler and schedule
    /// drawn with `reference_steps`.
    fn gap(&mut self, cell: Cell, seed: i64) -> Result<Gap, String> {
        let key = (cell.sampler, cell.scheduler, seed);
        if !self.references.iter().any(|(k, _)| *k == key) {
            let reference = self.draw(Cell { steps: self.reference_steps, ..cell }, seed)?;
            self.references.push((key, reference));
        }
        let drawn = self.draw(cell, seed)?;
        let reference = &self.references.iter().find(|(k, _)| *k == key).ok_or("reference lost")?.1;
        if drawn == *reference {
            return Ok(Gap { seed, ssim: 1.0, phash: 0 });
        }
        let phash = analysis::hamming(analysis::phash(&drawn), analysis::phash(reference));
        let ssim = if drawn.dimensions() == reference.dimensions() {
            let (a, b) = (analysis::working(&drawn, 512), analysis::working(reference, 512));
            analysis::ssim(&analysis::gray(&a), &analysis::gray(&b))
        } else {
            0.0
        };
        Ok(Gap { seed, ssim, phash })
    }

    /// The first seed on which `cell` is not finished, or the closest call
    /// when it is finished on all of them.
    fn worst(&mut self, cell: Cell, seeds: &[i64], finished: &dyn Fn(&Gap) -> bool) -> Result<(bool, Gap), String> {
        let mut closest: Option<Gap> = None;
        for &seed in seeds {
            let g = self.gap(cell, seed)?;
            if !finished(&g) {
                return Ok((false, g));
            }
            if closest.is_none_or(|c| g.ssim < c.ssim) {
                closest = Some(g);
            }
        }
        Ok((true, closest.unwrap_or(Gap { seed: 0, ssim: 1.0, phash: 0 })))
    }
}

/// `grid_choice`: the recipe's steps, sampler and schedule are finished on
/// every seed of the batch (a re-run could not tell them from the same seed
/// drawn to convergence: SSIM ≥ min_ssim and pHash ≤ max_phash_distance),
/// no cell of the brief's grid that is finished on every seed costs less
/// than the choice by more than `slack`, and the notes say — in at least
/// min_notes_words words of prose — what the grid showed, naming a cheaper
/// step count that was rejected.
pub fn grid_choice(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let Some(recipe) = ctx.recipe else { return Outcome::unmeasured(spec, super::documents::NO_RECIPE) };
    let Some(render) = ctx.render else { return Outcome::unmeasured(spec, NO_RENDERER) };
    let fail = |message: String| Outcome::new(spec, false, None, None, message);
    let p: GridChoice = measured!(super::params(spec));
    let Grid { cells, seeds: others } = measured!(grid(&p).map_err(|e| Outcome::unmeasured(spec, e)));
    let Some(sampler) = vocab::sampler(&recipe.sampler) else {
        return fail(format!("the sampler `{}` is not one the grid can compare", recipe.sampler));
    };
    let Some(seed) = recipe.seed.filter(|s| *s >= 0) else {
        return fail(
            "the recipe draws a random seed: fix one, so the grid you looked at is the picture you ship".into(),
        );
    };
    let chosen = Cell { steps: recipe.steps, sampler, scheduler: recipe.scheduler.unwrap_or(Scheduler::Normal) };
    let mut seeds = vec![seed];
    seeds.extend(others.into_iter().filter(|s| *s != seed));
    let (min_ssim, max_phash) = (p.min_ssim, p.max_phash_distance);
    let finished = |g: &Gap| g.ssim >= min_ssim && g.phash <= max_phash;
    let mut drawer = Drawer { recipe, render, reference_steps: p.reference_steps, references: Vec::new(), renders: 0 };

    // 1. The choice itself is finished on every seed of the batch.
    let (done, gap) = measured!(drawer.worst(chosen, &seeds, &finished).map_err(|e| Outcome::unmeasured(spec, e)));
    let mut measures = vec![
        Measure::at_least("choice: SSIM with its converged picture (worst seed)", gap.ssim, min_ssim)
            .held_by("min_ssim"),
    ];
    if !done {
        let why = if vocab::is_ancestral(sampler) {
            format!(
                " {sampler} is ancestral: it adds fresh noise at every step, so each step count is another picture and it never settles; cut steps with a converging sampler (euler, dpmpp_2m)."
            )
        } else {
            " The picture is still changing at this step count: it has not converged.".to_string()
        };
        return Outcome::new(
            spec,
            false,
            Some(gap.ssim),
            Some(min_ssim),
            format!(
                "{} is not finished on seed {}: SSIM {:.3} and pHash distance {} from the same seed at {} steps (finished: SSIM ≥ {min_ssim}, pHash ≤ {max_phash}).{why}",
                chosen.describe(),
                gap.seed,
                gap.ssim,
                gap.phash,
                p.reference_steps
            ),
        )
        .with_measures(measures);
    }

    // 2. No finished cell of the grid is much cheaper.
    let limit = f64::from(chosen.cost()) / (1.0 + p.slack);
    for cell in cells.iter().copied().filter(|c| f64::from(c.cost()) < limit) {
        let (done, _) = measured!(drawer.worst(cell, &seeds, &finished).map_err(|e| Outcome::unmeasured(spec, e)));
        if done {
            let ratio = f64::from(chosen.cost()) / f64::from(cell.cost());
            measures
                .push(Measure::at_most("cost over the cheapest finished cell", ratio, 1.0 + p.slack).held_by("slack"));
            return Outcome::new(
                spec,
                false,
                Some(ratio),
                Some(1.0 + p.slack),
                format!(
                    "{} costs {ratio:.1}× the cheapest finished cell of the grid, {} ({} model evaluations an image against {}), finished on all {} seeds. At volume that is {:.0}% of the GPU time for the same pictures.",
                    chosen.describe(),
                    cell.describe(),
                    cell.cost(),
                    chosen.cost(),
                    seeds.len(),
                    100.0 / ratio
                ),
            )
            .with_measures(measures);
        }
    }

    // 3. The notes say what the grid showed.
    let notes = recipe.notes.as_deref().unwrap_or_default();
    let words = notes.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count();
    let (prose, _) = super::documents::prose_shares(notes);
    measures
        .push(Measure::at_least("notes: words", words as f64, f64::from(p.min_notes_words)).held_by("min_notes_words"));
    measures.push(Measure::at_least("notes: function-word share", prose, p.min_prose_share).held_by("min_prose_share"));
    if words < p.min_notes_words as usize || prose < p.min_prose_share {
        return fail(format!(
            "the notes ({words} words) do not say what the grid showed: in at least {} words of sentences, say which cheaper setting you rejected and why, and why this one",
            p.min_notes_words
        ))
        .with_measures(measures);
    }
    let rejected = cells
        .iter()
        .map(|c| c.steps)
        .filter(|s| *s < chosen.steps)
        .any(|s| notes.split(|c: char| !c.is_ascii_digit()).any(|n| n.parse::<u32>().is_ok_and(|n| n == s)));
    if !rejected {
        return fail(format!(
            "the notes name no cheaper step count of the grid: say which one you rejected below {} steps and what it looked like",
            chosen.steps
        ))
        .with_measures(measures);
    }
    Outcome::new(
        spec,
        true,
        Some(gap.ssim),
        Some(min_ssim),
        format!(
            "{} is finished on all {} seeds (SSIM ≥ {:.3} with the converged picture) and no finished cell of the grid is more than {:.0}% cheaper ({} renders to check it)",
            chosen.describe(),
            seeds.len(),
            gap.ssim,
            p.slack * 100.0,
            drawer.renders
        ),
    )
    .with_measures(measures)
}
