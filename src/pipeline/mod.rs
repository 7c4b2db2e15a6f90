//! Pipelines: one brief in, a checked, budgeted, resumable asset set out.
//!
//! A `pipeline.toml` holds a base recipe with `{variables}`, a `[matrix]` of
//! values, per-value overrides (e.g. each format's size), an output name
//! template, the checks every asset must pass, a budget, and the backends to
//! spread the work over. [`Pipeline::plan`] expands it into jobs keyed by the
//! hash of their resolved recipe; [`run`] executes them.

mod handoff;
pub mod post;
mod run;

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use toml::Spanned;

pub use handoff::{
    FOLDER as HANDOFF_FOLDER, Handoff, RERUN as HANDOFF_RERUN, expected_assets, read_package, write_package,
};
pub use run::{Estimate, Member, Options, Report, Summary, estimate, input_files, run, summaries, write_manifest};

use crate::checks::Severity;
use crate::checks::registry;
use crate::curriculum::CheckSpec;
use crate::diagnostics::{Diagnostic, Diagnostics, Seg, Spans, parse_toml};
use crate::recipe::{Limits, Recipe, Resolved};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    name: Spanned<String>,
    #[serde(default)]
    description: Option<String>,
    /// Output file name template, e.g. `"{product}-{format}.png"`.
    output: Spanned<String>,
    base: Recipe,
    #[serde(default)]
    matrix: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    overrides: BTreeMap<String, BTreeMap<String, Override>>,
    #[serde(default)]
    budget: Budget,
    #[serde(default)]
    run: RunConfig,
    #[serde(default)]
    checks: Vec<Spanned<BTreeMap<String, Spanned<toml::Value>>>>,
    #[serde(default)]
    handoff: Option<Handoff>,
    /// Steps run on every asset after it is generated, in order.
    #[serde(default)]
    post: Vec<Spanned<post::Step>>,
}

/// Fields one matrix value changes in the recipe.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Override {
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub seed: Option<i64>,
    pub steps: Option<u32>,
    pub cfg: Option<f32>,
    /// Words added to the end of the prompt.
    pub prompt_add: Option<String>,
    pub negative: Option<String>,
    pub quality: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    /// Most money the run may spend (in the backend's price units).
    pub max_cost: Option<f64>,
    /// Most wall time, in seconds.
    pub max_seconds: Option<f64>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RunConfig {
    #[serde(default = "default_concurrency")]
    pub concurrency: usize,
    /// Retries of a transient failure (429, 5xx, connection) before giving up on a job.
    #[serde(default = "default_retries")]
    pub retries: u32,
    /// Backend names; several form a pool, least-busy first.
    #[serde(default = "default_backends")]
    pub backends: Vec<String>,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { concurrency: default_concurrency(), retries: default_retries(), backends: default_backends() }
    }
}

fn default_concurrency() -> usize {
    4
}
fn default_retries() -> u32 {
    3
}
fn default_backends() -> Vec<String> {
    vec!["builtin".into()]
}

/// A validated pipeline.
#[derive(Debug, Clone)]
pub struct Pipeline {
    pub name: String,
    pub description: Option<String>,
    pub output: String,
    pub base: Recipe,
    pub matrix: BTreeMap<String, Vec<String>>,
    pub overrides: BTreeMap<String, BTreeMap<String, Override>>,
    pub budget: Budget,
    pub run: RunConfig,
    pub checks: Vec<CheckSpec>,
    /// The hand-off package a run ships, when `[handoff]` asks for one.
    pub handoff: Option<Handoff>,
    /// `[[post]]`: what is done to every asset after it is generated (its
    /// checks judge the result, which is what ships).
    pub post: Vec<post::Step>,
}

/// One asset to make.
#[derive(Debug, Clone, Serialize)]
pub struct Job {
    pub index: u32,
    pub vars: BTreeMap<String, String>,
    pub output: String,
    pub recipe: Resolved,
    /// The post steps for this asset (`{variables}` filled in).
    pub post: Vec<post::Step>,
    /// sha256 of the resolved recipe and the post steps: the job's identity
    /// across runs (a changed step re-does the asset, a resume keeps the rest).
    pub key: String,
    /// The outputs of later jobs with the same resolved recipe: the image is
    /// generated once (by the first such job) and written to each of them.
    pub copies: Vec<String>,
    /// An earlier job has the same recipe and makes this one's image.
    pub is_copy: bool,
}

fn placeholders(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = s;
    while let Some(i) = rest.find('{') {
        let Some(j) = rest[i..].find('}') else { break };
        out.push(rest[i + 1..i + j].to_string());
        rest = &rest[i + j + 1..];
    }
    out
}

fn fill(template: &str, vars: &BTreeMap<String, String>) -> String {
    let mut s = template.to_string();
    for (k, v) in vars {
        s = s.replace(&format!("{{{k}}}"), v);
    }
    s
}

/// File-name-safe version of a value ("9:16" → "9x16").
/// The most jobs one pipeline file may expand to (each is a recipe held in
/// memory and a row in the database; a campaign is hundreds).
pub const MAX_JOBS: usize = 50_000;

/// A relative path that stays inside the folder it is joined to: only plain
/// names (no `..`, no root, no drive prefix, nothing empty).
pub fn stays_inside(path: &str) -> bool {
    let p = std::path::Path::new(path);
    !path.is_empty() && p.components().all(|c| matches!(c, std::path::Component::Normal(_)))
}

fn slug(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else if c == ':' {
                'x'
            } else {
                '-'
            }
        })
        .collect()
}

impl Pipeline {
    /// Parse and validate a pipeline file; every problem is located.
    pub fn parse(label: &str, text: &str, limits: Limits) -> Result<Pipeline, Diagnostics> {
        let raw: Raw = parse_toml(label, text)?;
        let mut d = Diagnostics::default();
        // Parsed once to place every problem, however many there are.
        let spans = Spans::new(text);
        let at = |path: &[Seg<'_>]| spans.span(path);
        if !crate::config::valid_id(raw.name.get_ref()) {
            d.push(Diagnostic::at(
                label,
                text,
                Some(raw.name.span()),
                "name may only hold letters, digits, '-' and '_' (it names the output folder)",
            ));
        }
        let vars: Vec<&String> = raw.matrix.keys().collect();
        for (field, value) in [
            ("output", raw.output.get_ref().as_str()),
            ("prompt", raw.base.prompt.as_str()),
            ("negative", raw.base.negative.as_str()),
        ] {
            for p in placeholders(value) {
                if !raw.matrix.contains_key(&p) {
                    let path: Vec<Seg<'_>> = if field == "output" {
                        vec![Seg::Key("output")]
                    } else {
                        vec![Seg::Key("base"), Seg::Key(field)]
                    };
                    d.push(Diagnostic::at(
                        label,
                        text,
                        at(&path),
                        format!(
                            "{{{p}}} is not a [matrix] variable (the matrix has: {})",
                            vars.iter().map(|v| v.as_str()).collect::<Vec<_>>().join(", ")
                        ),
                    ));
                }
            }
        }
        let out_vars = placeholders(raw.output.get_ref());
        for v in &vars {
            if !out_vars.contains(v) {
                d.push(Diagnostic::at(
                    label,
                    text,
                    Some(raw.output.span()),
                    format!("output name does not use {{{v}}}: assets would overwrite each other"),
                ));
            }
        }
        let jobs = raw.matrix.values().try_fold(1usize, |n, v| n.checked_mul(v.len().max(1)));
        if jobs.is_none_or(|n| n > MAX_JOBS) {
            d.push(Diagnostic::at(
                label,
                text,
                at(&[Seg::Key("matrix")]),
                format!(
                    "the matrix expands to {} jobs; one pipeline runs at most {MAX_JOBS}: split it into several",
                    jobs.map_or_else(|| "more than 2^64".to_string(), |n| n.to_string())
                ),
            ));
            return Err(d);
        }
        for (var, values) in &raw.matrix {
            if values.is_empty() {
                d.push(Diagnostic::at(
                    label,
                    text,
                    at(&[Seg::Key("matrix"), Seg::Key(var)]),
                    format!("matrix variable '{var}' has no values"),
                ));
            }
        }
        for (var, table) in &raw.overrides {
            match raw.matrix.get(var) {
                None => d.push(Diagnostic::at(
                    label,
                    text,
                    at(&[Seg::Key("overrides"), Seg::Key(var)]),
                    format!("overrides for '{var}', which is not a matrix variable"),
                )),
                Some(values) => {
                    for value in table.keys() {
                        if !values.contains(value) {
                            d.push(Diagnostic::at(
                                label,
                                text,
                                at(&[Seg::Key("overrides"), Seg::Key(var), Seg::Key(value)]),
                                format!("'{value}' is not one of the values of '{var}'"),
                            ));
                        }
                    }
                }
            }
        }
        if raw.base.seed.is_none_or(|s| s < 0) {
            d.push(Diagnostic::at(
                label,
                text,
                at(&[Seg::Key("base")]),
                "a pipeline needs a fixed seed in [base] so a re-run can resume",
            ));
        }
        if !raw.base.shot.is_empty() {
            d.push(Diagnostic::at(
                label,
                text,
                at(&[Seg::Key("base"), Seg::Key("shot")]),
                "use the [matrix] instead of [[shot]] tables in a pipeline",
            ));
        }
        if raw.run.concurrency == 0 || raw.run.concurrency > 64 {
            d.push(Diagnostic::at(
                label,
                text,
                at(&[Seg::Key("run"), Seg::Key("concurrency")]),
                "concurrency must be 1–64",
            ));
        }
        if raw.run.backends.is_empty() {
            d.push(Diagnostic::at(
                label,
                text,
                at(&[Seg::Key("run"), Seg::Key("backends")]),
                "name at least one backend",
            ));
        }
        let mut checks = Vec::new();
        for (i, c) in raw.checks.iter().enumerate() {
            let table = c.get_ref();
            let here = |key: &str| at(&[Seg::Key("checks"), Seg::Index(i), Seg::Key(key)]).or(Some(c.span()));
            let Some(name) = table.get("check").and_then(|v| v.get_ref().as_str()) else {
                d.push(Diagnostic::at(label, text, Some(c.span()), "[[checks]] entry has no `check = \"…\"` name"));
                continue;
            };
            let Some(def) = registry::find(name) else {
                d.push(Diagnostic::at(label, text, here("check"), format!("unknown check '{name}'")));
                continue;
            };
            let severity = table
                .get("severity")
                .and_then(|v| v.get_ref().as_str())
                .map_or(Some(Severity::Essential), |s| s.parse().ok());
            let mut params = BTreeMap::new();
            for (k, v) in table.iter().filter(|(k, _)| *k != "check" && *k != "severity") {
                match def.param(k) {
                    None => d.push(Diagnostic::at(
                        label,
                        text,
                        here(k),
                        format!("unknown parameter '{k}' for check '{name}'"),
                    )),
                    Some(p) => match crate::curriculum::validate_param(p.kind, v.get_ref()) {
                        Err(m) => d.push(Diagnostic::at(label, text, here(k), format!("{name}.{k}: {m}"))),
                        Ok(()) => {
                            params.insert(k.clone(), v.get_ref().clone());
                        }
                    },
                }
            }
            match severity {
                Some(severity) => {
                    let spec = CheckSpec { check: name.to_string(), severity, params };
                    match (def.parse)(&spec) {
                        Ok(()) => checks.push(spec),
                        Err(e) => d.push(Diagnostic::at(label, text, Some(c.span()), e)),
                    }
                }
                None => d.push(Diagnostic::at(
                    label,
                    text,
                    here("severity"),
                    "severity must be essential, actionable, informative or celebratory",
                )),
            }
        }
        if let Some(h) = &raw.handoff {
            if let Some(f) = h.formats.as_ref().filter(|f| !raw.matrix.contains_key(f.as_str())) {
                let known: Vec<&str> = raw.matrix.keys().map(String::as_str).collect();
                d.push(Diagnostic::at(
                    label,
                    text,
                    at(&[Seg::Key("handoff"), Seg::Key("formats")]),
                    format!(
                        "handoff.formats = \"{f}\" is not a [matrix] variable{}",
                        crate::names::closest(f, known.iter().copied()).map_or_else(
                            || format!(" (the matrix has: {})", known.join(", ")),
                            |s| format!(": did you mean '{s}'?")
                        )
                    ),
                ));
            }
            if h.response.trim().is_empty() {
                d.push(Diagnostic::at(
                    label,
                    text,
                    at(&[Seg::Key("handoff"), Seg::Key("response")]),
                    "handoff.response is empty: write the one-page response to the brief the client reads",
                ));
            }
        }
        if raw.post.len() > post::MAX_STEPS {
            d.push(Diagnostic::at(
                label,
                text,
                Some(raw.post[post::MAX_STEPS].span()),
                format!("at most {} [[post]] steps", post::MAX_STEPS),
            ));
        }
        for step in &raw.post {
            for msg in step.get_ref().problems() {
                d.push(Diagnostic::at(label, text, Some(step.span()), msg));
            }
            if let post::Step::Text(t) = step.get_ref() {
                for p in placeholders(&t.text) {
                    if !raw.matrix.contains_key(&p) {
                        d.push(Diagnostic::at(
                            label,
                            text,
                            Some(step.span()),
                            format!("{{{p}}} in the text step is not a [matrix] variable"),
                        ));
                    }
                }
            }
        }
        let p = Pipeline {
            name: raw.name.into_inner(),
            description: raw.description,
            output: raw.output.into_inner(),
            base: raw.base,
            matrix: raw.matrix,
            overrides: raw.overrides,
            budget: raw.budget,
            run: raw.run,
            checks,
            handoff: raw.handoff,
            post: raw.post.into_iter().map(Spanned::into_inner).collect(),
        };
        // Every expanded recipe must be valid (sizes, ranges), located at [base] or the override.
        if d.is_empty() {
            for job in p.expand() {
                if !stays_inside(&job.output) {
                    d.push(Diagnostic::at(
                        label,
                        text,
                        at(&[Seg::Key("output")]),
                        format!(
                            "job {} writes to {:?}, outside the pipeline's output folder: use a relative name \
                             without `..`",
                            job.index + 1,
                            job.output
                        ),
                    ));
                }
                let r = Recipe {
                    prompt: job.recipe.prompt.clone(),
                    width: job.recipe.width,
                    height: job.recipe.height,
                    steps: job.recipe.steps,
                    cfg: job.recipe.cfg,
                    ..p.base.clone()
                };
                for (_, msg) in r.problems(limits) {
                    let key: Vec<Seg<'_>> = vec![Seg::Key("base")];
                    d.push(Diagnostic::at(
                        label,
                        text,
                        at(&key),
                        format!("job {} ({}): {msg}", job.index + 1, job.output),
                    ));
                }
                if d.len() > 10 {
                    break;
                }
            }
        }
        d.into_result().map(|()| p)
    }

    pub fn load(path: &Path, limits: Limits) -> anyhow::Result<Pipeline> {
        use anyhow::Context;
        let text = std::fs::read_to_string(path).with_context(|| format!("Failed to read {}", path.display()))?;
        Ok(Pipeline::parse(&path.display().to_string(), &text, limits)?)
    }

    /// Every combination of the matrix, in a stable order.
    pub fn combinations(&self) -> Vec<BTreeMap<String, String>> {
        let mut out = vec![BTreeMap::new()];
        for (var, values) in &self.matrix {
            let mut next = Vec::with_capacity(out.len() * values.len());
            for combo in &out {
                for v in values {
                    let mut c = combo.clone();
                    c.insert(var.clone(), v.clone());
                    next.push(c);
                }
            }
            out = next;
        }
        out
    }

    /// Expand the matrix into jobs.
    pub fn expand(&self) -> Vec<Job> {
        let base = self.base.resolve().remove(0);
        let mut jobs: Vec<Job> = self
            .combinations()
            .into_iter()
            .enumerate()
            .map(|(i, vars)| {
                let mut r = base.clone();
                r.prompt = fill(&self.base.prompt, &vars);
                r.negative = fill(&self.base.negative, &vars);
                for (var, value) in &vars {
                    if let Some(o) = self.overrides.get(var).and_then(|t| t.get(value)) {
                        r.width = o.width.unwrap_or(r.width);
                        r.height = o.height.unwrap_or(r.height);
                        r.seed = o.seed.or(r.seed);
                        r.steps = o.steps.unwrap_or(r.steps);
                        r.cfg = o.cfg.unwrap_or(r.cfg);
                        if let Some(add) = &o.prompt_add {
                            r.prompt = format!("{}, {add}", r.prompt);
                        }
                        if let Some(n) = &o.negative {
                            r.negative = n.clone();
                        }
                        if o.quality.is_some() {
                            r.quality = o.quality.clone();
                        }
                    }
                }
                let slugged: BTreeMap<String, String> = vars.iter().map(|(k, v)| (k.clone(), slug(v))).collect();
                let output = fill(&self.output, &slugged);
                let post: Vec<post::Step> = self.post.iter().map(|s| s.for_job(&vars)).collect();
                let mut identity = serde_json::to_string(&r).unwrap_or_default();
                // Without post steps the key is the recipe's alone, as before them.
                if !post.is_empty() {
                    identity.push_str(&serde_json::to_string(&post).unwrap_or_default());
                }
                let key = crate::hash::sha256_hex(identity.as_bytes());
                Job { index: i as u32, vars, output, recipe: r, post, key, copies: Vec::new(), is_copy: false }
            })
            .collect::<Vec<Job>>();
        // Same recipe, same image: the first job of a key makes it for the rest.
        let mut first: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
        for i in 0..jobs.len() {
            match first.get(&jobs[i].key) {
                Some(&f) => {
                    let output = jobs[i].output.clone();
                    jobs[f].copies.push(output);
                    jobs[i].is_copy = true;
                }
                None => {
                    first.insert(jobs[i].key.clone(), i);
                }
            }
        }
        jobs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r##"
name = "spring"
output = "{product}-{format}.png"

[base]
prompt = "a {product}, #FF7A1A body, studio backdrop"
seed = 7

[matrix]
product = ["mug", "bottle"]
format = ["1:1", "16:9"]

[overrides.format."16:9"]
width = 768
height = 432
"##;

    #[test]
    fn expands_the_matrix_with_overrides() {
        let p = Pipeline::parse("p.toml", TEXT, Limits::default()).unwrap();
        let jobs = p.expand();
        assert_eq!(jobs.len(), 4);
        let wide = jobs.iter().find(|j| j.output == "bottle-16x9.png").unwrap();
        assert_eq!((wide.recipe.width, wide.recipe.height), (768, 432));
        assert_eq!(wide.recipe.prompt, "a bottle, #FF7A1A body, studio backdrop");
        let keys: std::collections::BTreeSet<_> = jobs.iter().map(|j| &j.key).collect();
        assert_eq!(keys.len(), 4, "every job has its own key");
    }

    #[test]
    fn mistakes_are_located() {
        let bad =
            TEXT.replace("{product}-{format}.png", "{product}-{size}.png").replace("height = 432", "height = 430");
        let e = Pipeline::parse("p.toml", &bad, Limits::default()).unwrap_err().to_string();
        assert!(e.contains("p.toml:3:10: {size} is not a [matrix] variable"), "{e}");
        assert!(e.contains("output name does not use {format}"), "{e}");
    }

    #[test]
    fn outputs_stay_in_the_output_folder() {
        for output in ["../{product}.png", "/tmp/{product}.png", "a/../../{product}.png", "{product}/../../x.png"] {
            let text = format!(
                "name = \"p\"\noutput = \"{output}\"\n[base]\nprompt = \"a {{product}}\"\nseed = 1\n[matrix]\nproduct = [\"mug\"]\n"
            );
            let e = Pipeline::parse("p.toml", &text, Limits::default()).unwrap_err().to_string();
            assert!(e.contains("outside the pipeline's output folder"), "{output}: {e}");
        }
        // A matrix value cannot climb out either: `..` is a value like any other.
        let text = "name = \"p\"\noutput = \"{product}/x.png\"\n[base]\nprompt = \"a {product}\"\nseed = 1\n[matrix]\nproduct = [\"..\"]\n";
        let e = Pipeline::parse("p.toml", text, Limits::default()).unwrap_err().to_string();
        assert!(e.contains("outside the pipeline's output folder"), "{e}");
        assert!(stays_inside("mug/1x1.png") && !stays_inside("") && !stays_inside("./"));
    }

    #[test]
    fn jobs_with_one_recipe_are_made_once_and_copied() {
        let text = "name = \"p\"\noutput = \"{product}-{format}.png\"\n[base]\nprompt = \"a {product}\"\nseed = 1\n[matrix]\nproduct = [\"mug\", \"cap\"]\nformat = [\"a\", \"b\", \"c\"]\n[overrides.format.c]\nwidth = 768\n";
        let jobs = Pipeline::parse("p.toml", text, Limits::default()).unwrap().expand();
        let makers: Vec<(&str, &[String])> =
            jobs.iter().filter(|j| !j.is_copy).map(|j| (j.output.as_str(), j.copies.as_slice())).collect();
        assert_eq!(
            makers,
            vec![
                ("mug-a.png", &["mug-b.png".to_string()][..]),
                ("cap-a.png", &["cap-b.png".to_string()][..]),
                ("mug-c.png", &[][..]),
                ("cap-c.png", &[][..]),
            ]
        );
    }

    #[test]
    fn a_matrix_too_large_to_expand_is_refused_before_expanding() {
        let values: Vec<String> = (0..1000).map(|i| format!("\"v{i}\"")).collect();
        let list = values.join(", ");
        let text = format!(
            "name = \"p\"\noutput = \"{{a}}-{{b}}-{{c}}.png\"\n[base]\nprompt = \"{{a}} {{b}} {{c}}\"\nseed = 1\n[matrix]\na = [{list}]\nb = [{list}]\nc = [{list}]\n"
        );
        let e = Pipeline::parse("p.toml", &text, Limits::default()).unwrap_err().to_string();
        assert!(e.contains("expands to 1000000000 jobs") && e.contains("p.toml:6:1"), "{e}");
        let e = Pipeline::parse("p.toml", &TEXT.replace("height = 432", "height = 430"), Limits::default())
            .unwrap_err()
            .to_string();
        assert!(e.contains("height = 430 is not a multiple of 8"), "{e}");
    }
}
