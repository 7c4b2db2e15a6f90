//! Checks on what the learner wrote rather than drew: a documented recipe, a
//! library of different subjects, a pipeline's budget and manifest, and a
//! tool decision with its cost worked out.

use serde::Deserialize;

use super::registry::params;
use super::{CheckSpec, Context, Image, Measure, Outcome};
use crate::imaging::analysis;

params! {
    /// Parameters of `recipe_documented`.
    pub struct Documented {
        min_notes_words: u32 = int(0, 1000, Some(5), "fewest words in notes"),
    }
}

params! {
    /// Parameters of `distinct_subjects`.
    pub struct DistinctSubjects {
        min_subjects: u32 = int(1, 100, Some(3), "fewest different subjects"),
    }
}

params! {
    /// Parameters of `budget`.
    pub struct Budget {
        max_cost: Option<f64> = num(0.0, 1e9, None, "most money spent, in the price table's currency"),
        max_seconds: Option<f64> = num(0.0, 1e9, None, "most wall time"),
    }
}

params! {
    /// Parameters of `manifest`.
    pub struct Manifest {
        min_assets: u32 = int(0, 1_000_000, Some(1), "fewest assets the manifest must list"),
        max_duplicate_phash: u32 = int(
            0,
            64,
            Some(4),
            "pHash distance at or below which two same-size assets are near-duplicates (whole image and subject box both)",
        ),
    }
}

params! {
    /// Parameters of `decision`: what the brief states and how exact the answer must be.
    pub struct Brief {
        cost_tolerance: f64 = num(0.0, 1.0, Some(0.02), "relative error allowed in the computed monthly cost"),
        min_tradeoff_words: u32 = int(0, 10_000, Some(40), "fewest words of trade-offs"),
        min_prose_share: f64 = num(
            0.0,
            1.0,
            Some(MIN_PROSE_SHARE),
            "least share of the trade-offs' words that are common English function words (prose has 0.3–0.45, terse bullet notes 0.12, lorem ipsum 0.06)",
        ),
        min_fallback_words: Option<u32> = int(
            0,
            10_000,
            None,
            "fewest words of `fallback`, what the team does when the choice fails (not asked unless set)",
        ),
        min_distinct_share: f64 =
            num(0.0, 1.0, Some(0.4), "least share of distinct words among the trade-offs' words (a repeated word is not an argument)"),
        volume: Option<u64> = int(0, 1_000_000_000, None, "the monthly image volume the brief states"),
        quality: Option<String> = of(ParamKind::Text, "the quality tier the brief asks for"),
        require_private: bool = of(ParamKind::Bool, "the brief forbids sending images to a third party"),
        require_cheapest: bool =
            of(ParamKind::Bool, "the choice must be the cheapest backend that meets the brief"),
    }
}

params! {
    /// Parameters of `handoff`.
    pub struct Handoff {
        sections: Option<String> = req(of(
            ParamKind::Text,
            "the headings the response must have: words separated by commas, each in one heading (`\"delivered, cost\"`)",
        )),
        max_words: u32 = int(50, 5_000, Some(600), "most words of the response: one page"),
        min_words: u32 = int(0, 5_000, Some(120), "fewest words of the response"),
        min_prose_share: f64 = num(
            0.0,
            1.0,
            Some(0.2),
            "least share of the response's words that are English function words (prose 0.3–0.45, lorem ipsum 0.06)",
        ),
        cost_tolerance: f64 = num(0.0, 1.0, Some(0.01), "largest difference between the cost the response states and the run's"),
    }
}

/// Why a recipe check is not checked: images came without their recipe.
pub(super) const NO_RECIPE: &str = "not checked: no recipe came with these images (give it with --recipe FILE)";

fn words(s: &str) -> usize {
    s.split_whitespace().filter(|w| w.chars().any(char::is_alphanumeric)).count()
}

/// The least share of function words a written argument has (solutions
/// 0.37–0.38, terse bullet notes 0.12, lorem ipsum 0.06, keyword dumps 0:
/// docs/checks.md, `decision`).
pub(super) const MIN_PROSE_SHARE: f64 = 0.08;

/// English function words: any written argument is full of them, filler
/// text (lorem ipsum, keyword lists) has almost none.
const FUNCTION_WORDS: &[&str] = &[
    "a", "about", "all", "also", "an", "and", "any", "are", "as", "at", "be", "because", "been", "being", "but", "by",
    "can", "could", "did", "do", "does", "each", "for", "from", "had", "has", "have", "here", "how", "if", "in",
    "into", "is", "it", "its", "may", "more", "most", "must", "no", "not", "of", "on", "one", "only", "or", "other",
    "our", "out", "over", "own", "per", "same", "should", "so", "some", "such", "than", "that", "the", "their", "them",
    "then", "there", "these", "they", "this", "those", "to", "up", "very", "vs", "was", "we", "were", "what", "when",
    "where", "which", "while", "who", "will", "with", "would", "yes", "you", "your",
];

/// Of a text's words: the share that are function words, and the share
/// that are distinct.
pub(super) fn prose_shares(s: &str) -> (f64, f64) {
    let words: Vec<String> = s
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(|w| w.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect();
    if words.is_empty() {
        return (0.0, 0.0);
    }
    let n = words.len() as f64;
    let function = words.iter().filter(|w| FUNCTION_WORDS.contains(&w.as_str())).count() as f64;
    let distinct = words.iter().collect::<std::collections::HashSet<_>>().len() as f64;
    (function / n, distinct / n)
}

/// `recipe_documented`: a title, notes of at least min_notes_words (default
/// 5) words, a fixed seed for every image, and asset paths that stay inside
/// the workspace (relative, no `..`).
pub fn documented(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let Some(r) = ctx.recipe else { return Outcome::unmeasured(spec, NO_RECIPE) };
    let min_words = measured!(super::params::<Documented>(spec)).min_notes_words as usize;
    let mut problems = Vec::new();
    if r.title.as_deref().is_none_or(|t| t.trim().len() < 3) {
        problems.push("give it a `title`".to_string());
    }
    let n = r.notes.as_deref().map_or(0, words);
    if n < min_words {
        problems.push(format!("`notes` has {n} words; write at least {min_words} on why it is made this way"));
    }
    if r.resolve().iter().any(|x| x.seed.is_none()) {
        problems.push("fix the `seed` (a number, not -1) so anyone can re-run it".to_string());
    }
    for p in r.asset_paths() {
        let path = std::path::Path::new(p);
        if path.is_absolute() || path.components().any(|c| matches!(c, std::path::Component::ParentDir)) {
            problems.push(format!("asset path '{p}' leaves the workspace: keep assets beside the recipe"));
        }
    }
    if problems.is_empty() {
        Outcome::new(
            spec,
            true,
            Some(n as f64),
            Some(min_words as f64),
            format!("documented: title, {n} words of notes, fixed seed"),
        )
    } else {
        Outcome::new(
            spec,
            false,
            Some(n as f64),
            Some(min_words as f64),
            format!("not yet a recipe someone else can use: {}", problems.join("; ")),
        )
    }
}

/// `distinct_subjects`: the recipe's images name at least min_subjects
/// (default 3) different subjects of the built-in vocabulary.
pub fn distinct_subjects(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    use crate::recipe::prompt::{TermKind, parse};
    let Some(r) = ctx.recipe else { return Outcome::unmeasured(spec, NO_RECIPE) };
    let min = measured!(super::params::<DistinctSubjects>(spec)).min_subjects as usize;
    let mut subjects: Vec<&'static str> = Vec::new();
    for shot in r.resolve() {
        if let Some((s, _)) = parse(&shot.prompt).best(|k| if let TermKind::Subject(s) = k { Some(*s) } else { None })
            && !subjects.contains(&s.name())
        {
            subjects.push(s.name());
        }
    }
    let n = subjects.len();
    let passed = n >= min;
    let msg = if passed {
        format!("{n} different subjects: {}", subjects.join(", "))
    } else {
        format!(
            "{n} different subject{} ({}); the library needs at least {min}: add [[shot]] tables with other subjects",
            if n == 1 { "" } else { "s" },
            subjects.join(", ")
        )
    };
    Outcome::new(spec, passed, Some(n as f64), Some(min as f64), msg)
}

/// `budget`: the run's total cost ≤ max_cost and wall time ≤ max_seconds.
pub fn budget(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let Some(run) = ctx.run else {
        return Outcome::unmeasured(spec, "no pipeline run to measure: run the pipeline first");
    };
    let p: Budget = measured!(super::params(spec));
    if let Some(max) = p.max_cost
        && run.cost > max + 1e-9
    {
        return Outcome::new(
            spec,
            false,
            Some(run.cost),
            Some(max),
            format!(
                "over budget: spent {:.2} > {max:.2}. Lower the quality tier or the volume, or stop the run at the budget.",
                run.cost
            ),
        );
    }
    if let Some(max) = p.max_seconds
        && run.seconds > max
    {
        return Outcome::new(
            spec,
            false,
            Some(run.seconds),
            Some(max),
            format!("too slow: {:.0} s > {max:.0} s. Raise concurrency or use a faster backend.", run.seconds),
        );
    }
    Outcome::new(
        spec,
        true,
        Some(run.cost),
        p.max_cost,
        format!("within budget: spent {:.2} in {:.0} s", run.cost, run.seconds),
    )
}

/// The pHash of an image's subject (its box as the subject finder sees it),
/// or of the whole image when it has no distinct subject.
fn subject_hash(rgb: &image::RgbImage) -> u64 {
    let s = crate::imaging::subject::find(rgb);
    if !s.has_subject() || s.w < 8 || s.h < 8 {
        return analysis::phash(rgb);
    }
    analysis::phash(&image::imageops::crop_imm(rgb, s.x, s.y, s.w, s.h).to_image())
}

/// `manifest`: every asset is listed with a sha256 that matches the file,
/// at least min_assets of them, and no two of the same size are
/// near-duplicates (pHash distance ≤ max_duplicate_phash, default 4, of the
/// whole image and of its subject's box — a plain backdrop alone makes two
/// different products hash alike). Assets
/// of different sizes are format variants, which are meant to look alike.
pub fn manifest(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let Some(run) = ctx.run else { return Outcome::unmeasured(spec, "no manifest to read: run the pipeline first") };
    let p: Manifest = measured!(super::params(spec));
    let (min, max_dup) = (p.min_assets as usize, p.max_duplicate_phash);
    if run.assets.len() < min {
        return Outcome::new(
            spec,
            false,
            Some(run.assets.len() as f64),
            Some(min as f64),
            format!("the manifest lists {} assets; {min} expected", run.assets.len()),
        );
    }
    let mut hashes = Vec::new();
    for a in &run.assets {
        let Some(bytes) = &a.bytes else {
            return Outcome::new(spec, false, None, None, format!("{} is listed but missing", a.path));
        };
        if crate::hash::sha256_hex(bytes) != a.sha256 {
            return Outcome::new(
                spec,
                false,
                None,
                None,
                format!("{} does not match its sha256 in the manifest", a.path),
            );
        }
        if let Ok(d) = Image::load(&a.path, bytes.clone()).pixels() {
            hashes.push((a.path.clone(), analysis::phash(&d.rgb), (d.width, d.height), subject_hash(&d.rgb)));
        }
    }
    for i in 0..hashes.len() {
        for j in i + 1..hashes.len() {
            let d = analysis::hamming(hashes[i].1, hashes[j].1);
            // A plain backdrop makes every product shot hash alike; two
            // images are duplicates only if their subjects are alike too.
            let subjects = analysis::hamming(hashes[i].3, hashes[j].3);
            if d <= max_dup && subjects <= max_dup && hashes[i].2 == hashes[j].2 {
                return Outcome::new(
                    spec,
                    false,
                    Some(d as f64),
                    Some(max_dup as f64),
                    format!("{} and {} are near-duplicates (pHash distance {d})", hashes[i].0, hashes[j].0),
                );
            }
        }
    }
    Outcome::new(
        spec,
        true,
        Some(run.assets.len() as f64),
        Some(min as f64),
        format!("manifest complete: {} assets, hashes match, no near-duplicates", run.assets.len()),
    )
}

/// The numbers written in a text (`1.60`, `1,200`, `$0.05`), in order.
fn numbers(text: &str) -> Vec<f64> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .map(|t| t.trim_matches(|c| c == '.' || c == ',').replace(',', ""))
        .filter_map(|t| t.parse::<f64>().ok())
        .collect()
}

/// `handoff`: the run's hand-off package is complete and its response is
/// one page a client can read. Every asset the run was asked for is in
/// `assets/` with the sha256 the manifest records, in every delivery
/// format; the manifest, the contact sheet (a readable PNG) and
/// `rerun/pipeline.toml` are there; `response.md` has a heading for each of
/// `sections`, between min_words and max_words words of prose, and states
/// the run's total cost (within cost_tolerance). Whether `rerun/` re-runs
/// is `bundle_reruns`'s job.
pub fn handoff(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let fail = |message: String| Outcome::new(spec, false, None, None, message);
    let Some(run) = ctx.run else { return Outcome::unmeasured(spec, "no run to read: run the pipeline first") };
    let p: Handoff = measured!(super::params(spec));
    let Some(pkg) = &run.package else {
        return fail(
            "no hand-off package: a client gets nothing but loose files. Add `[handoff]` to the pipeline with \
             `response = \"\"\"…\"\"\"` (the one-page response to the brief) and `formats = \"<the matrix \
             variable of the formats>\"`"
                .into(),
        );
    };
    // Completeness: each asset, by format, byte for byte as recorded.
    let recorded: std::collections::HashMap<&str, &str> =
        run.assets.iter().map(|a| (a.path.as_str(), a.sha256.as_str())).collect();
    let mut missing: std::collections::BTreeMap<&str, Vec<&str>> = Default::default();
    let mut formats: std::collections::BTreeSet<&str> = Default::default();
    for (format, output) in &pkg.expected {
        formats.insert(format);
        let ok = pkg
            .files
            .get(&format!("assets/{output}"))
            .is_some_and(|b| recorded.get(output.as_str()).is_some_and(|sha| crate::hash::sha256_hex(b) == *sha));
        if !ok {
            missing.entry(format).or_default().push(output);
        }
    }
    if !missing.is_empty() {
        let list: Vec<String> = missing
            .iter()
            .map(|(f, outs)| {
                format!("{f}: {} of them ({})", outs.len(), outs.iter().take(3).copied().collect::<Vec<_>>().join(", "))
            })
            .collect();
        return fail(format!(
            "the package lacks assets, or holds ones that differ from the manifest's sha256 — {}. Re-run the \
             pipeline until every asset is made, then the package is written again",
            list.join("; ")
        ));
    }
    for name in ["manifest.json", "contact-sheet.png", "rerun/pipeline.toml"] {
        if !pkg.files.contains_key(name) {
            return fail(format!("the package has no {name}"));
        }
    }
    if Image::load("contact-sheet.png", pkg.files["contact-sheet.png"].clone()).pixels().is_err() {
        return fail("the package's contact-sheet.png is not a readable image".into());
    }
    // The response: one page of prose with the brief's sections and the true cost.
    let Some(response) = pkg.files.get("response.md").map(|b| String::from_utf8_lossy(b).into_owned()) else {
        return fail("the package has no response.md: write `[handoff] response`".into());
    };
    let headings: Vec<String> =
        response.lines().filter(|l| l.trim_start().starts_with('#')).map(str::to_lowercase).collect();
    let sections: Vec<&str> =
        p.sections.as_deref().unwrap_or("").split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let absent: Vec<&str> =
        sections.iter().copied().filter(|s| !headings.iter().any(|h| h.contains(&s.to_lowercase()))).collect();
    if !absent.is_empty() {
        return fail(format!(
            "response.md has no heading for: {} (a `## …` line each; the brief asks for {})",
            absent.join(", "),
            sections.join(", ")
        ));
    }
    let n = words(&response);
    if n < p.min_words as usize || n > p.max_words as usize {
        return Outcome::new(
            spec,
            false,
            Some(n as f64),
            Some(f64::from(if n > p.max_words as usize { p.max_words } else { p.min_words })),
            format!("response.md has {n} words; a one-page response has {}–{}", p.min_words, p.max_words),
        );
    }
    let (prose, _) = prose_shares(&response);
    if prose < p.min_prose_share {
        return Outcome::new(
            spec,
            false,
            Some(prose),
            Some(p.min_prose_share),
            format!(
                "response.md does not read as prose ({:.0}% function words, at least {:.0}% wanted): write \
                 sentences a client can follow",
                prose * 100.0,
                p.min_prose_share * 100.0
            ),
        );
    }
    if !numbers(&response).iter().any(|v| (v - run.cost).abs() <= p.cost_tolerance) {
        return fail(format!(
            "response.md does not state what the run cost ({:.2}): the client signs off on that number",
            run.cost
        ));
    }
    Outcome::new(
        spec,
        true,
        Some(pkg.expected.len() as f64),
        None,
        format!(
            "hand-off package complete: {} assets in {} format(s), manifest, contact sheet, re-run folder, \
             a {n}-word response stating the cost {:.2}",
            pkg.expected.len(),
            formats.len(),
            run.cost
        ),
    )
}

/// How much of a write-up the brief asks for, and how much it must read as prose.
struct Written {
    min_tradeoff_words: Option<u32>,
    min_fallback_words: Option<u32>,
    min_prose_share: f64,
    min_distinct_share: f64,
}

impl Written {
    /// A failing outcome when the trade-offs or the fallback are too short
    /// or do not read as an argument; `None` when they do.
    fn judge(&self, spec: &CheckSpec, tradeoffs: &str, fallback: Option<&str>) -> Option<Outcome> {
        // Each written part the brief asks for, with its fewest words and what to write.
        let parts = [
            (
                "the trade-offs are",
                words(tradeoffs),
                self.min_tradeoff_words,
                "what you gain, what you give up, what would change your mind",
            ),
            (
                "`fallback` has",
                fallback.map_or(0, words),
                self.min_fallback_words,
                "what the team does when this choice fails (the server is down, the price or the volume changes)",
            ),
        ];
        for (what, n, min, ask) in parts {
            if let Some(min) = min.filter(|&m| n < m as usize) {
                return Some(Outcome::new(
                    spec,
                    false,
                    Some(n as f64),
                    Some(f64::from(min)),
                    format!("{what} {n} words; write at least {min}: {ask}"),
                ));
            }
        }
        // Each written part reads as prose on its own: good prose in one does
        // not carry filler in the other.
        let (prose, distinct) = std::iter::once(tradeoffs)
            .chain(fallback)
            .map(prose_shares)
            .fold((f64::INFINITY, f64::INFINITY), |(p, q), (a, b)| (p.min(a), q.min(b)));
        if prose < self.min_prose_share || distinct < self.min_distinct_share {
            return Some(
                Outcome::new(
                    spec,
                    false,
                    Some(prose),
                    Some(self.min_prose_share),
                    format!(
                        "{NOT_AN_ARGUMENT} ({:.0}% common English words, {:.0}% distinct words): \
                         write sentences a colleague could act on",
                        prose * 100.0,
                        distinct * 100.0
                    ),
                )
                .with_measures(vec![
                    Measure::at_least("prose share", prose, self.min_prose_share).held_by("min_prose_share"),
                    Measure::at_least("distinct share", distinct, self.min_distinct_share)
                        .held_by("min_distinct_share"),
                ]),
            );
        }
        None
    }
}

/// The start of the message for a write-up that is not prose.
const NOT_AN_ARGUMENT: &str = "the trade-offs do not read as an argument";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pricing {
    currency: String,
    #[serde(default)]
    backends: Vec<PricedBackend>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PricedBackend {
    id: String,
    name: String,
    #[serde(default)]
    private: bool,
    /// Fixed monthly cost (hardware, hosting).
    #[serde(default)]
    monthly_fixed: f64,
    /// Per-image price by quality tier.
    price_per_image: std::collections::BTreeMap<String, f64>,
    source: String,
    as_of: String,
    #[serde(default)]
    notes: Option<String>,
    /// A simulator the exercises practise on (genpath's paid service), not
    /// a tool a business can run: never an acceptable decision.
    #[serde(default)]
    practice_only: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Decision {
    backend: String,
    quality: String,
    monthly_images: u64,
    monthly_cost: f64,
    tradeoffs: String,
    /// What the team does when the choice fails (the server is down, the
    /// price changes, the volume triples).
    #[serde(default)]
    fallback: Option<String>,
}

/// `decision`: the chosen backend is in the price table (and private when
/// `require_private`), the volume is the brief's (`volume`), the monthly
/// cost equals fixed + volume × price for the quality tier within
/// cost_tolerance (default 2%), the trade-offs are written out (at least
/// min_tradeoff_words, default 40) and, when the brief asks
/// (min_fallback_words), so is the fallback; the written parts must read as
/// prose (min_prose_share, min_distinct_share).
pub fn decision(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    // A verdict without a number to show: the answer itself is wrong.
    let fail = |message: String| Outcome::new(spec, false, None, None, message);
    let Some(text) = ctx.answer else { return Outcome::unmeasured(spec, "no decision file to read") };
    let brief: Brief = measured!(super::params(spec));
    let Some(pricing_text) = ctx.pricing else {
        return Outcome::unmeasured(spec, "no price table (curriculum/pricing.toml)");
    };
    let d: Decision = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            return fail(format!("the decision file is not valid: {}", e.message()));
        }
    };
    let pricing: Pricing = match toml::from_str(pricing_text) {
        Ok(p) => p,
        Err(e) => return Outcome::unmeasured(spec, format!("the price table is not valid: {}", e.message())),
    };
    let Some(b) = pricing.backends.iter().find(|b| b.id == d.backend) else {
        let ids = pricing.backends.iter().map(|b| b.id.as_str()).collect::<Vec<_>>().join(", ");
        return fail(format!("backend '{}' is not in the price table; choose one of: {ids}", d.backend));
    };
    if b.practice_only {
        return fail(format!(
            "{} is a practice simulator, not a tool the business can run: choose one of the real options in the price table",
            b.name
        ));
    }
    if brief.require_private && !b.private {
        return fail(format!(
            "{} sends images to a third party, which the brief rules out: choose a backend that keeps them in house",
            b.name
        ));
    }
    if let Some(v) = brief.volume
        && d.monthly_images != v
    {
        return Outcome::new(
            spec,
            false,
            Some(d.monthly_images as f64),
            Some(v as f64),
            format!("the brief's volume is {v} images a month, not {}", d.monthly_images),
        );
    }
    if let Some(q) = brief.quality.as_deref()
        && d.quality != q
    {
        return fail(format!("the brief asks for {q} quality, not {}", d.quality));
    }
    let Some(price) = b.price_per_image.get(&d.quality) else {
        let tiers = b.price_per_image.keys().cloned().collect::<Vec<_>>().join(", ");
        return fail(format!("{} has no '{}' tier; it has: {tiers}", b.name, d.quality));
    };
    let expected = b.monthly_fixed + d.monthly_images as f64 * price;
    let tol = brief.cost_tolerance;
    if (d.monthly_cost - expected).abs() > tol * expected.max(1.0) {
        return Outcome::new(
            spec,
            false,
            Some(d.monthly_cost),
            Some(expected),
            format!(
                "monthly cost {:.2} {} does not add up: {} fixed + {} images × {price} ({}, as of {}) = {expected:.2}",
                d.monthly_cost, pricing.currency, b.monthly_fixed, d.monthly_images, b.source, b.as_of
            ),
        );
    }
    if brief.require_cheapest {
        let eligible = pricing.backends.iter().filter(|x| !x.practice_only && (!brief.require_private || x.private));
        let cheapest = eligible
            .filter_map(|x| {
                x.price_per_image.get(&d.quality).map(|p| (x, x.monthly_fixed + d.monthly_images as f64 * p))
            })
            .min_by(|a, b| a.1.total_cmp(&b.1));
        if let Some((c, cost)) = cheapest
            && c.id != b.id
        {
            return Outcome::new(
                spec,
                false,
                Some(expected),
                Some(cost),
                format!(
                    "{} costs {expected:.2} a month at this volume, but {} meets the brief for {cost:.2}: compare every option at the stated volume",
                    b.name, c.name
                ),
            );
        }
    }
    let n = words(&d.tradeoffs);
    let written = Written {
        min_tradeoff_words: Some(brief.min_tradeoff_words),
        min_fallback_words: brief.min_fallback_words,
        min_prose_share: brief.min_prose_share,
        min_distinct_share: brief.min_distinct_share,
    };
    if let Some(o) = written.judge(spec, &d.tradeoffs, d.fallback.as_deref()) {
        return o;
    }
    let _ = &b.notes;
    Outcome::new(
        spec,
        true,
        Some(expected),
        Some(expected),
        format!(
            "{} at {expected:.2} {}/month, worked out correctly; trade-offs written ({n} words)",
            b.name, pricing.currency
        ),
    )
}

params! {
    /// Parameters of `self_hosting`: the brief's volume, size and prices, and how exact the answer must be.
    pub struct SelfHosting {
        volume: Option<u64> = int(1, 1_000_000_000, None, "the monthly image volume the brief states"),
        width: Option<u32> = int(64, 2048, None, "the image width the benches must measure"),
        height: Option<u32> = int(64, 2048, None, "the image height the benches must measure"),
        model: Option<String> = of(ParamKind::Text, "the practice model the benches must use"),
        hourly_cost: Option<f64> = num(0.0, 1e6, None, "what the brief's GPU server costs an hour"),
        ops_monthly: f64 = num(0.0, 1e9, Some(0.0), "fixed monthly cost of running your own server (people, storage)"),
        max_p95_s: Option<f64> = num(0.0, 1e6, None, "the latency the brief needs: p95 seconds per image"),
        min_bench_images: u32 = int(1, 200, Some(8), "fewest images each bench must have made"),
        tolerance: f64 = num(0.0, 1.0, Some(0.02), "relative error allowed in each figure of the write-up"),
        min_tradeoff_words: u32 = int(0, 10_000, Some(40), "fewest words of trade-offs"),
        min_fallback_words: Option<u32> = int(0, 10_000, None, "fewest words of `fallback`"),
        min_prose_share: f64 = num(0.0, 1.0, Some(MIN_PROSE_SHARE), "least share of common English function words in the write-up"),
        min_distinct_share: f64 = num(0.0, 1.0, Some(0.4), "least share of distinct words in the write-up"),
    }
}

/// The hosted side of a self-hosting decision, measured on the practice service.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiSide {
    /// The record `genpath backend bench practice` saved, pasted whole.
    bench: String,
    cost_per_image: f64,
    monthly_cost: f64,
}

/// The self-hosted side, measured on a machine you run.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostSide {
    bench: String,
    images_per_hour: f64,
    hourly_cost: f64,
    gpu_hours: f64,
    monthly_cost: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct HostingDecision {
    choice: String,
    monthly_images: u64,
    /// Monthly images from which self-hosting is the cheaper (absent: never).
    #[serde(default)]
    break_even_images: Option<f64>,
    tradeoffs: String,
    #[serde(default)]
    fallback: Option<String>,
    #[serde(default)]
    api: Option<ApiSide>,
    #[serde(default)]
    self_host: Option<HostSide>,
}

/// The two choices of a self-hosting decision.
const CHOICES: [&str; 2] = ["api", "self-host"];
/// A self-hosting decision without its benches.
const NO_BENCH: &str = "no measured numbers: bench both sides at the brief's size and model \
     (`genpath backend bench practice …` and `genpath backend bench builtin … --hourly-cost …`) and paste each \
     saved file into `bench = '''…'''` under [api] and [self_host]";

/// `self_hosting`: a self-host vs API decision argued from two benches
/// (`genpath backend bench`, pasted into the answer): each record verifies
/// (its sha256, its own sums), measures the brief's size and model with
/// enough images, the API side on the practice service at its price and the
/// self-hosted side at the brief's hourly cost; the write-up's figures are
/// the benches' (within tolerance) and its arithmetic right — API monthly =
/// volume × price, GPU hours = volume ÷ throughput, self-hosted monthly =
/// ops_monthly + hours × hourly cost, break-even = ops_monthly ÷ (price −
/// hourly cost ÷ throughput); the choice is the cheaper option that meets
/// the latency (p95) and fits in one machine's month; trade-offs and
/// fallback read as prose.
pub fn self_hosting(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let fail = |message: String| Outcome::new(spec, false, None, None, message);
    let off = |what: &str, written: f64, expected: f64, working: String| {
        Outcome::new(
            spec,
            false,
            Some(written),
            Some(expected),
            format!("{what} {written} does not add up: {working} = {}", crate::present::number(expected)),
        )
    };
    let Some(text) = ctx.answer else { return Outcome::unmeasured(spec, "no decision file to read") };
    let p: SelfHosting = measured!(super::params(spec));
    let d: HostingDecision = match toml::from_str(text) {
        Ok(d) => d,
        Err(e) => return fail(format!("the decision file is not valid: {}", e.message())),
    };
    if !CHOICES.contains(&d.choice.as_str()) {
        return fail(format!("choice '{}' is not one of: {}", d.choice, CHOICES.join(", ")));
    }
    let Some(volume) = p.volume else { return Outcome::unmeasured(spec, "the brief states no volume") };
    if d.monthly_images != volume {
        return Outcome::new(
            spec,
            false,
            Some(d.monthly_images as f64),
            Some(volume as f64),
            format!("the brief's volume is {volume} images a month, not {}", d.monthly_images),
        );
    }
    let (Some(api), Some(host)) = (&d.api, &d.self_host) else { return fail(NO_BENCH.into()) };
    let read =
        |side: &str, text: &str| crate::bench::Bench::from_json(text).map_err(|e| format!("[{side}] bench: {e}"));
    let (a, h) = match (read("api", &api.bench), read("self_host", &host.bench)) {
        (Ok(a), Ok(h)) => (a, h),
        (Err(e), _) | (_, Err(e)) => return fail(e),
    };
    // Both benches measure what the brief makes, with enough images to mean something.
    for (side, b) in [("api", &a), ("self_host", &h)] {
        if b.images < p.min_bench_images {
            return fail(format!(
                "[{side}] bench made {} images; make at least {} (--images {})",
                b.images, p.min_bench_images, p.min_bench_images
            ));
        }
        if p.width.is_some_and(|w| w != b.width) || p.height.is_some_and(|x| x != b.height) {
            return fail(format!(
                "[{side}] bench measured {}×{}; the brief's images are {}×{} (--size)",
                b.width,
                b.height,
                p.width.unwrap_or(b.width),
                p.height.unwrap_or(b.height)
            ));
        }
        if p.model.is_some() && p.model != b.model {
            return fail(format!(
                "[{side}] bench used model {}; the brief's is {} (--model)",
                b.model.as_deref().unwrap_or("(none)"),
                p.model.as_deref().unwrap_or("")
            ));
        }
    }
    use crate::bench::Pricing;
    if a.kind != "practice" || a.pricing != Pricing::PerImage {
        return fail(format!(
            "[api] bench is of {} ({}); measure the hosted side on the practice service: `genpath backend bench practice`",
            a.backend, a.kind
        ));
    }
    if let Ok(facts) = (ctx.models)(a.model.as_deref(), a.width, a.height)
        && a.price_per_image.is_none_or(|x| (x - facts.service_price).abs() > 1e-6 * facts.service_price.max(1e-9))
    {
        return fail(format!(
            "[api] bench's price per image is not the practice service's ({} for {} at {}×{})",
            facts.service_price, facts.name, a.width, a.height
        ));
    }
    if h.pricing != Pricing::Hourly || matches!(h.kind.as_str(), "practice" | "openai") {
        return fail(format!(
            "[self_host] bench is of {} ({}, priced {}); measure a machine you run, with its hourly cost: \
             `genpath backend bench builtin --hourly-cost …`",
            h.backend, h.kind, h.pricing
        ));
    }
    if let Some(want) = p.hourly_cost
        && h.hourly_cost.is_none_or(|x| (x - want).abs() > 1e-9)
    {
        return fail(format!(
            "[self_host] bench priced the machine at {}/hour; the brief's GPU server costs {want}/hour (--hourly-cost {want})",
            h.hourly_cost.unwrap_or(0.0)
        ));
    }
    // The write-up's figures are the benches'.
    let tol = p.tolerance;
    let near = |x: f64, y: f64| (x - y).abs() <= tol * y.abs().max(1e-9);
    let price = a.cost_per_image.unwrap_or(0.0);
    let (iph, hourly) = (h.images_per_hour, h.hourly_cost.unwrap_or(0.0));
    if !near(api.cost_per_image, price) {
        return fail(format!(
            "[api] cost_per_image {} is not the bench's: {price} per image (measured {})",
            api.cost_per_image, a.measured_at
        ));
    }
    if !near(host.images_per_hour, iph) {
        return fail(format!(
            "[self_host] images_per_hour {} is not the bench's: {} (measured {})",
            host.images_per_hour,
            crate::present::number(iph),
            h.measured_at
        ));
    }
    if !near(host.hourly_cost, hourly) {
        return fail(format!("[self_host] hourly_cost {} is not the bench's: {hourly}", host.hourly_cost));
    }
    // The arithmetic, from the benches' numbers.
    let v = volume as f64;
    let api_monthly = v * price;
    let hours = h.hours_for(volume);
    let host_monthly = p.ops_monthly + hours * hourly;
    if !near(api.monthly_cost, api_monthly) {
        return off("[api] monthly_cost", api.monthly_cost, api_monthly, format!("{volume} images × {price}"));
    }
    if !near(host.gpu_hours, hours) {
        return off(
            "[self_host] gpu_hours",
            host.gpu_hours,
            hours,
            format!("{volume} images ÷ {} images/hour", crate::present::number(iph)),
        );
    }
    if !near(host.monthly_cost, host_monthly) {
        return off(
            "[self_host] monthly_cost",
            host.monthly_cost,
            host_monthly,
            format!("{} a month to run it + {} GPU hours × {hourly}", p.ops_monthly, crate::present::number(hours)),
        );
    }
    let margin = price - hourly / iph.max(1e-9);
    let break_even = (margin > 0.0).then(|| p.ops_monthly / margin);
    match (d.break_even_images, break_even) {
        (Some(w), Some(e)) if !near(w, e) => {
            return off(
                "break_even_images",
                w,
                e,
                format!(
                    "{} a month to run it ÷ ({price} per image − {hourly}/hour ÷ {} images/hour)",
                    p.ops_monthly,
                    crate::present::number(iph)
                ),
            );
        }
        (None, Some(e)) => {
            return fail(format!(
                "give `break_even_images`: the monthly volume from which self-hosting is the cheaper (about {})",
                e.round()
            ));
        }
        (Some(_), None) => {
            return fail(
                "self-hosting never pays here (an image costs more on the machine than on the API): \
                 leave `break_even_images` out"
                    .into(),
            );
        }
        _ => {}
    }
    // Hard constraints: the latency the brief needs, and one machine's month.
    let meets = |b: &crate::bench::Bench| p.max_p95_s.is_none_or(|m| b.p95_s <= m);
    let host_fits = hours <= crate::bench::HOURS_PER_MONTH;
    let chosen_ok = |choice: &str| if choice == "api" { meets(&a) } else { meets(&h) && host_fits };
    if !chosen_ok(&d.choice) {
        let why = if d.choice == "api" || !meets(&h) {
            let b = if d.choice == "api" { &a } else { &h };
            format!("its measured p95 is {:.2} s and the brief needs at most {} s", b.p95_s, p.max_p95_s.unwrap_or(0.0))
        } else {
            format!(
                "one machine cannot make {volume} images a month: {} hours > {} in a month",
                crate::present::number(hours),
                crate::bench::HOURS_PER_MONTH
            )
        };
        return fail(format!("{} breaks a hard constraint of the brief: {why}", d.choice));
    }
    let (mine, other, other_name, other_cost) = if d.choice == "api" {
        (api_monthly, "self-host", "self-hosting", host_monthly)
    } else {
        (host_monthly, "api", "the API", api_monthly)
    };
    if chosen_ok(other) && other_cost < mine {
        return Outcome::new(
            spec,
            false,
            Some(mine),
            Some(other_cost),
            format!(
                "{} costs {mine:.2} a month at {volume} images, {other_name} {other_cost:.2} and it meets the brief too: \
                 choose the cheaper at the brief's volume",
                d.choice
            ),
        );
    }
    let written = Written {
        min_tradeoff_words: Some(p.min_tradeoff_words),
        min_fallback_words: p.min_fallback_words,
        min_prose_share: p.min_prose_share,
        min_distinct_share: p.min_distinct_share,
    };
    if let Some(o) = written.judge(spec, &d.tradeoffs, d.fallback.as_deref()) {
        return o;
    }
    Outcome::new(
        spec,
        true,
        Some(mine),
        Some(other_cost),
        format!(
            "{} at {mine:.2} a month against {other_cost:.2}, from benches of {} and {} images; break-even {}",
            d.choice,
            a.images,
            h.images,
            break_even.map_or("never".to_string(), |e| format!("{:.0} images a month", e))
        ),
    )
}

params! {
    /// Parameters of `model_choice`: the brief's hard constraints on the model.
    pub struct ModelChoice {
        headline: Option<String> = of(ParamKind::Text, "text the model must spell in the picture (quoted in the prompt)"),
        max_letter_errors: f64 = num(0.0, 100.0, Some(0.5), "most letters of the headline the model is expected to get wrong"),
        max_price: Option<f64> = num(0.0, 1e6, None, "most the practice service may charge per image"),
        max_latency_ms: Option<f64> = num(0.0, 1e9, None, "slowest the practice service may answer per image, ms"),
        min_notes_words: u32 = int(0, 10_000, Some(30), "fewest words of notes on why this model"),
        min_prose_share: f64 = num(0.0, 1.0, Some(MIN_PROSE_SHARE), "least share of common English function words in the notes"),
        min_distinct_share: f64 = num(0.0, 1.0, Some(0.4), "least share of distinct words in the notes"),
    }
}

/// The first `"…"` a prompt quotes (what the renderer letters).
fn quoted(prompt: &str) -> Option<&str> {
    let start = prompt.find('"')? + 1;
    let len = prompt[start..].find('"')?;
    Some(&prompt[start..start + len])
}

/// `model_choice`: the recipe's model (`model = "practice-…"`) meets the
/// brief's hard constraints as the model table states them — it composes
/// the recipe's size as trained (no repeated subject far above its native
/// side, no mush well below it), it spells the brief's headline (expected
/// wrong letters ≤ max_letter_errors), and the practice service's price and
/// latency for it are within the brief's — and `notes` say why, in prose.
pub fn model_choice(spec: &CheckSpec, ctx: &Context<'_>) -> Outcome {
    let fail = |message: String| Outcome::new(spec, false, None, None, message);
    let Some(r) = ctx.recipe else { return Outcome::unmeasured(spec, NO_RECIPE) };
    let p: ModelChoice = measured!(super::params(spec));
    let mut chosen = None;
    for shot in r.resolve() {
        let m = match (ctx.models)(shot.model.as_deref(), shot.width, shot.height) {
            Ok(m) => m,
            Err(e) => return fail(e),
        };
        let name = &m.name;
        let (w, h) = (shot.width, shot.height);
        if m.repeats {
            return fail(format!(
                "{name} ({}) was trained at {n}×{n}: at {w}×{h} it draws the subject twice — choose a model trained \
                 near this size",
                m.family,
                n = m.native
            ));
        }
        if m.undersized {
            return fail(format!(
                "{name} ({}) was trained at {n}×{n}: at {w}×{h} it loses detail — give it its native size",
                m.family,
                n = m.native
            ));
        }
        if let Some(headline) = &p.headline {
            let Some(text) = quoted(&shot.prompt).filter(|t| t.trim().eq_ignore_ascii_case(headline.trim())) else {
                return fail(format!("quote the brief's headline in the prompt: \"{headline}\""));
            };
            let letters = text.chars().filter(|c| c.is_alphanumeric()).count();
            let wrong = m.letter_error(letters) * letters as f64;
            if wrong > p.max_letter_errors {
                return Outcome::new(
                    spec,
                    false,
                    Some(wrong),
                    Some(p.max_letter_errors),
                    format!(
                        "{name} cannot spell \"{text}\": it gets about {:.0}% of the letters of a {letters}-letter text \
                         wrong ({wrong:.1} letters here)",
                        m.letter_error(letters) * 100.0
                    ),
                );
            }
        }
        if let Some(max) = p.max_price
            && m.service_price > max + 1e-9
        {
            return Outcome::new(
                spec,
                false,
                Some(m.service_price),
                Some(max),
                format!(
                    "{name} costs {:.3} an image at {w}×{h} on the practice service; the budget is {max}",
                    m.service_price
                ),
            );
        }
        if let Some(max) = p.max_latency_ms
            && m.service_latency_ms > max + 1e-9
        {
            return Outcome::new(
                spec,
                false,
                Some(m.service_latency_ms),
                Some(max),
                format!(
                    "{name} takes {:.0} ms an image on the practice service; the brief allows {max:.0} ms",
                    m.service_latency_ms
                ),
            );
        }
        chosen = Some(m);
    }
    let Some(m) = chosen else { return Outcome::unmeasured(spec, "the recipe makes no image") };
    let notes = r.notes.as_deref().unwrap_or("");
    let n = words(notes);
    if n < p.min_notes_words as usize {
        return Outcome::new(
            spec,
            false,
            Some(n as f64),
            Some(f64::from(p.min_notes_words)),
            format!(
                "`notes` has {n} words; write at least {} on why this model: its text, size, price and speed against the brief",
                p.min_notes_words
            ),
        );
    }
    let written = Written {
        min_tradeoff_words: None,
        min_fallback_words: None,
        min_prose_share: p.min_prose_share,
        min_distinct_share: p.min_distinct_share,
    };
    if let Some(o) = written.judge(spec, notes, None) {
        return o;
    }
    Outcome::new(
        spec,
        true,
        Some(m.service_price),
        p.max_price,
        format!(
            "{} ({}) meets the brief: native {n}×{n}, {:.3} an image, {:.0} ms",
            m.name,
            m.family,
            m.service_price,
            m.service_latency_ms,
            n = m.native
        ),
    )
}
