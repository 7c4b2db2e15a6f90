//! Loading and validating a curriculum: the path of stages and the exercises.
//!
//! Validation collects every problem in every file (syntax, unknown keys,
//! unknown checks and parameters, missing or escaping assets, broken
//! references between path.toml and exercises) and reports each with its
//! file, line and column, so an instructor fixes a folder in one pass.

mod format;
pub mod source;

use std::collections::{BTreeMap, BTreeSet};

use thiserror::Error;
use toml::Spanned;

use crate::checks::Severity;
use crate::checks::registry::{self, ParamKind};
pub use crate::checks::spec::{CheckSpec, Deliverable};
use crate::diagnostics::{Diagnostic, Diagnostics, parse_toml};
pub use crate::id::{BadExerciseId, ExerciseId};
pub use source::Source;

pub const PATH_FILE: &str = "curriculum/path.toml";
pub const EXERCISES_DIR: &str = "exercises";

crate::named_enum! {
    /// What shape of answer an exercise asks for.
    pub enum ExerciseKind ("exercise kind") {
        Single = "single",
        Set = "set",
        Edit = "edit",
        Layout = "layout",
        Pipeline = "pipeline",
        Decision = "decision",
        Library = "library",
        Handoff = "handoff",
    }
}

crate::named_enum! {
    /// The employable capability an exercise proves (used by the portfolio).
    pub enum Capability ("capability") {
        Fluency = "fluency",
        Control = "control",
        Consistency = "consistency",
        Reproducibility = "reproducibility",
        Judgment = "judgment",
        Integration = "integration",
    }
}

#[derive(Debug, Clone)]
pub struct Curriculum {
    pub source: Source,
    pub title: String,
    /// Stages in path order.
    pub stages: Vec<Stage>,
    /// Every exercise, in path order (stage by stage).
    pub exercises: Vec<Exercise>,
}

#[derive(Debug, Clone)]
pub struct Stage {
    pub id: String,
    pub title: String,
    pub summary: String,
    pub order: u32,
    pub exercises: Vec<ExerciseId>,
    pub milestone: Milestone,
    /// Opens when this stage's milestone is reached; `None` = open from the start.
    pub unlock_after: Option<String>,
}

#[derive(Debug, Clone)]
pub struct Milestone {
    pub title: String,
    pub pass: Vec<ExerciseId>,
    pub min_passed: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Exercise {
    /// `<stage>.<slug>`, e.g. `fluency.first-image`.
    pub id: ExerciseId,
    pub stage: String,
    pub title: String,
    pub kind: ExerciseKind,
    pub capability: Capability,
    /// The check the starter must fail: the one that teaches the lesson.
    pub lesson: String,
    pub brief: String,
    pub deliverable: Deliverable,
    pub checks: Vec<CheckSpec>,
    pub hints: Vec<String>,
    /// Asset paths relative to the exercise folder.
    pub assets: Vec<String>,
    /// "On a real model": the same task on A1111, ComfyUI or an API (checkpoint,
    /// ControlNet, LoRA, settings, what transfers from the practice renderer).
    /// `None` when the exercise has none (`genpath dev check` fails it).
    pub real: Option<String>,
    /// The exercise folder relative to the curriculum root.
    pub dir: String,
}

impl Exercise {
    /// The slug after the stage, e.g. `first-image`.
    pub fn slug(&self) -> &str {
        self.id.slug()
    }
    pub fn starter_path(&self) -> String {
        format!("{}/starter/{}", self.dir, self.deliverable.file)
    }
    pub fn solution_path(&self) -> String {
        format!("{}/solution/{}", self.dir, self.deliverable.file)
    }
    /// The path of one of this exercise's files, relative to the curriculum root.
    pub fn file_path(&self, rel: &str) -> Option<String> {
        source::join_inside(&self.dir, rel)
    }
}

#[derive(Debug, Error)]
pub enum LookupError {
    #[error(
        "no exercise matches '{query}'.{} Run `genpath path` to see the exercise ids.",
        .suggestion.as_ref().map(|s| format!(" Did you mean `{s}`?")).unwrap_or_default()
    )]
    NotFound { query: String, suggestion: Option<String> },
    #[error("'{query}' matches several exercises: {}. Type more of the id.", .candidates.join(", "))]
    Ambiguous { query: String, candidates: Vec<String> },
}

impl Curriculum {
    /// Load and validate a curriculum, collecting every problem.
    pub fn load(source: Source) -> Result<Curriculum, Diagnostics> {
        Loader { source, diags: Diagnostics::default() }.load()
    }

    /// The curriculum embedded in the binary.
    pub fn builtin() -> Result<Curriculum, Diagnostics> {
        Self::load(Source::Embedded)
    }

    pub fn exercise(&self, id: &str) -> Option<&Exercise> {
        self.exercises.iter().find(|e| e.id == id)
    }

    pub fn stage(&self, id: &str) -> Option<&Stage> {
        self.stages.iter().find(|s| s.id == id)
    }

    /// Find an exercise by full id, slug, or a unique prefix of either.
    pub fn find(&self, query: &str) -> Result<&Exercise, LookupError> {
        let q = query.trim();
        if let Some(e) = self.exercises.iter().find(|e| e.id == q || e.slug() == q) {
            return Ok(e);
        }
        let hits: Vec<&Exercise> =
            self.exercises.iter().filter(|e| e.id.starts_with(q) || e.slug().starts_with(q)).collect();
        match hits.as_slice() {
            [one] => Ok(one),
            [] => Err(LookupError::NotFound { query: q.to_string(), suggestion: self.closest(q) }),
            many => Err(LookupError::Ambiguous {
                query: q.to_string(),
                candidates: many.iter().map(|e| e.id.to_string()).collect(),
            }),
        }
    }

    /// The exercise id closest to a mistyped query (its id or its slug within
    /// a few edits), for "did you mean".
    fn closest(&self, query: &str) -> Option<String> {
        let names = self.exercises.iter().flat_map(|e| [e.id.as_str(), e.slug()]);
        let near = crate::names::closest(query, names)?;
        self.exercises.iter().find(|e| e.id == near || e.slug() == near).map(|e| e.id.to_string())
    }

    /// Read one of the curriculum's files.
    pub fn read(&self, rel: &str) -> std::io::Result<Vec<u8>> {
        self.source.read(rel)
    }
}

struct Loader {
    source: Source,
    diags: Diagnostics,
}

/// A file's label for messages and its text, kept together for locating spans.
struct Text {
    label: String,
    body: String,
}

impl Text {
    fn diag(&self, span: std::ops::Range<usize>, message: impl Into<String>) -> Diagnostic {
        let span = (span.end > 0 || span.start > 0).then_some(span);
        Diagnostic::at(&self.label, &self.body, span, message)
    }
}

impl Loader {
    fn read(&mut self, rel: &str) -> Option<Text> {
        let label = self.source.display(rel);
        match self.source.read_text(rel) {
            Ok(body) => Some(Text { label, body }),
            Err(e) => {
                self.diags.push(Diagnostic::file(label, format!("cannot read file: {e}")));
                None
            }
        }
    }

    fn load(mut self) -> Result<Curriculum, Diagnostics> {
        if let Source::Folder(root) = &self.source
            && !root.is_dir()
        {
            return Err(Diagnostic::file(root.display().to_string(), "curriculum folder not found").into());
        }
        let path_text = self.read(PATH_FILE);
        let raw_path = path_text.as_ref().and_then(|t| match parse_toml::<format::RawPath>(&t.label, &t.body) {
            Ok(p) => Some(p),
            Err(d) => {
                self.diags.0.extend(d.0);
                None
            }
        });

        // Exercises: every exercises/<stage>/<slug>/exercise.toml.
        // Ids must match their folders, so two exercises can never share one.
        let mut exercises: Vec<Exercise> = Vec::new();
        // Exercises whose folder exists but whose file has problems (already reported).
        let mut broken: BTreeSet<String> = BTreeSet::new();
        for stage_dir in self.source.subdirs(EXERCISES_DIR) {
            for slug in self.source.subdirs(&format!("{EXERCISES_DIR}/{stage_dir}")) {
                let dir = format!("{EXERCISES_DIR}/{stage_dir}/{slug}");
                let rel = format!("{dir}/exercise.toml");
                if !self.source.is_file(&rel) {
                    self.diags
                        .push(Diagnostic::file(self.source.display(&dir), "exercise folder has no exercise.toml"));
                    continue;
                }
                let id = format!("{stage_dir}.{slug}");
                let Some(text) = self.read(&rel) else {
                    broken.insert(id);
                    continue;
                };
                let raw = match parse_toml::<format::RawExercise>(&text.label, &text.body) {
                    Ok(r) => r,
                    Err(d) => {
                        self.diags.0.extend(d.0);
                        broken.insert(id);
                        continue;
                    }
                };
                match self.exercise(&text, &dir, &stage_dir, &slug, raw) {
                    Some(ex) => exercises.push(ex),
                    None => {
                        broken.insert(id);
                    }
                }
            }
        }

        let (title, stages) = match (raw_path, path_text) {
            (Some(raw), Some(text)) => self.stages(raw, &text, &exercises, &broken),
            _ => (String::new(), Vec::new()),
        };

        if self.diags.is_empty() {
            // Order exercises along the path.
            let mut ordered = Vec::with_capacity(exercises.len());
            for s in &stages {
                for id in &s.exercises {
                    if let Some(pos) = exercises.iter().position(|e| &e.id == id) {
                        ordered.push(exercises.swap_remove(pos));
                    }
                }
            }
            return Ok(Curriculum { source: self.source, title, stages, exercises: ordered });
        }
        Err(self.diags.into_result().err().unwrap_or_default())
    }

    fn exercise(
        &mut self,
        text: &Text,
        dir: &str,
        stage_dir: &str,
        slug: &str,
        raw: format::RawExercise,
    ) -> Option<Exercise> {
        let before = self.diags.len();
        let expected_id = format!("{stage_dir}.{slug}");
        let id = ExerciseId::new(stage_dir, slug)
            .map_err(|e| self.diags.push(Diagnostic::file(self.source.display(dir), format!("folder name: {e}"))))
            .ok();
        if raw.id.get_ref() != &expected_id {
            self.diags.push(text.diag(
                raw.id.span(),
                format!("id '{}' does not match its folder: expected '{expected_id}'", raw.id.get_ref()),
            ));
        }
        if raw.stage.get_ref() != stage_dir {
            self.diags.push(text.diag(
                raw.stage.span(),
                format!("stage '{}' does not match its folder '{stage_dir}'", raw.stage.get_ref()),
            ));
        }
        if raw.brief.trim().is_empty() {
            self.diags.push(Diagnostic::at(&text.label, &text.body, None, "brief is empty"));
        }
        if raw.hints.is_empty() {
            self.diags.push(Diagnostic::at(&text.label, &text.body, None, "an exercise needs at least one hint"));
        }

        // Assets listed by the exercise must exist inside its folder.
        let mut assets = Vec::new();
        for a in &raw.assets {
            if self.asset(text, dir, a).is_some() {
                assets.push(a.get_ref().clone());
            }
        }

        // The learner's answer file: starter and solution must exist.
        let file = raw.deliverable.file.get_ref().clone();
        for part in ["starter", "solution"] {
            match source::join_inside(&format!("{dir}/{part}"), &file) {
                Some(rel) if self.source.is_file(&rel) => {}
                Some(rel) => self.diags.push(text.diag(
                    raw.deliverable.file.span(),
                    format!("{part} file not found: {}", self.source.display(&rel)),
                )),
                None => self.diags.push(text.diag(
                    raw.deliverable.file.span(),
                    format!("deliverable file '{file}' must be a plain relative path"),
                )),
            }
        }

        let mut checks = Vec::new();
        for spanned in raw.checks {
            let span = spanned.span();
            if let Some(c) = self.check(text, dir, span, spanned.into_inner()) {
                checks.push(c);
            }
        }
        if !checks.iter().any(|c: &CheckSpec| &c.check == raw.lesson.get_ref()) && self.diags.len() == before {
            self.diags.push(text.diag(
                raw.lesson.span(),
                format!("lesson '{}' is not one of this exercise's checks", raw.lesson.get_ref()),
            ));
        }
        if checks.is_empty() && self.diags.len() == before {
            self.diags.push(Diagnostic::at(
                &text.label,
                &text.body,
                None,
                "an exercise needs at least one [[checks]] entry",
            ));
        }

        let id = id?;
        (self.diags.len() == before).then(|| Exercise {
            id,
            stage: stage_dir.to_string(),
            title: raw.title,
            kind: raw.kind,
            capability: raw.capability,
            lesson: raw.lesson.into_inner(),
            brief: raw.brief.trim().to_string(),
            deliverable: Deliverable {
                file,
                count: raw.deliverable.count,
                width: raw.deliverable.width,
                height: raw.deliverable.height,
                description: raw.deliverable.description,
            },
            checks,
            hints: raw.hints,
            assets,
            real: raw.real.map(|r| r.trim().to_string()).filter(|r| !r.is_empty()),
            dir: dir.to_string(),
        })
    }

    /// Validate an asset path written in an exercise file; returns its curriculum-relative path.
    fn asset(&mut self, text: &Text, dir: &str, written: &Spanned<String>) -> Option<String> {
        match source::join_inside(dir, written.get_ref()) {
            None => {
                self.diags.push(text.diag(
                    written.span(),
                    format!("asset path '{}' must stay inside the exercise folder", written.get_ref()),
                ));
                None
            }
            Some(rel) if !self.source.resolves_inside(dir, &rel) => {
                self.diags.push(text.diag(
                    written.span(),
                    format!(
                        "asset '{}' is a symbolic link to a file outside the exercise folder: copy the file in instead",
                        written.get_ref()
                    ),
                ));
                None
            }
            Some(rel) if !self.source.is_file(&rel) => {
                self.diags.push(text.diag(written.span(), format!("asset not found: {}", self.source.display(&rel))));
                None
            }
            Some(rel) => Some(rel),
        }
    }

    fn check(
        &mut self,
        text: &Text,
        dir: &str,
        span: std::ops::Range<usize>,
        mut table: BTreeMap<String, Spanned<toml::Value>>,
    ) -> Option<CheckSpec> {
        let before = self.diags.len();
        let Some(name_v) = table.remove("check") else {
            self.diags.push(text.diag(span, "[[checks]] entry has no `check = \"…\"` name"));
            return None;
        };
        let Some(name) = name_v.get_ref().as_str().map(str::to_string) else {
            self.diags.push(text.diag(name_v.span(), "`check` must be a string"));
            return None;
        };
        let Some(def) = registry::find(&name) else {
            let known = registry::names().collect::<Vec<_>>().join(", ");
            self.diags.push(text.diag(name_v.span(), format!("unknown check '{name}'; known checks: {known}")));
            return None;
        };
        let severity = match table.remove("severity") {
            None => Severity::Essential,
            Some(v) => match v.get_ref().as_str().and_then(|s| s.parse::<Severity>().ok()) {
                Some(s) => s,
                None => {
                    self.diags.push(
                        text.diag(v.span(), "severity must be one of essential, actionable, informative, celebratory"),
                    );
                    Severity::Essential
                }
            },
        };
        let mut params = BTreeMap::new();
        for (key, value) in table {
            let Some(p) = def.param(&key) else {
                let known = def.params.iter().map(|p| p.name).collect::<Vec<_>>().join(", ");
                let known = if known.is_empty() { "none".to_string() } else { known };
                self.diags.push(
                    text.diag(value.span(), format!("unknown parameter '{key}' for check '{name}'; it takes: {known}")),
                );
                continue;
            };
            if let Err(msg) = validate_param(p.kind, value.get_ref()) {
                self.diags.push(text.diag(value.span(), format!("{name}.{key}: {msg}")));
                continue;
            }
            if p.kind == ParamKind::Asset
                && let Some(s) = value.get_ref().as_str()
            {
                let written = Spanned::new(value.span(), s.to_string());
                self.asset(text, dir, &written);
            }
            params.insert(key, value.into_inner());
        }
        for p in def.params.iter().filter(|p| p.required) {
            if !params.contains_key(p.name) && self.diags.len() == before {
                self.diags
                    .push(text.diag(span.clone(), format!("check '{name}' needs `{}` ({})", p.name, p.described())));
            }
        }
        if self.diags.len() != before {
            return None;
        }
        let spec = CheckSpec { check: name, severity, params };
        // The check's own parameter struct has the last word (the registry's
        // kinds should already have said everything it would).
        if let Err(e) = (def.parse)(&spec) {
            self.diags.push(text.diag(span.clone(), e));
            return None;
        }
        Some(spec)
    }

    fn stages(
        &mut self,
        raw: format::RawPath,
        text: &Text,
        exercises: &[Exercise],
        broken: &BTreeSet<String>,
    ) -> (String, Vec<Stage>) {
        if raw.stages.is_empty() {
            self.diags.push(Diagnostic::at(&text.label, &text.body, None, "path.toml defines no [[stages]]"));
        }
        let mut stages: Vec<Stage> = Vec::new();
        let mut listed: BTreeSet<String> = BTreeSet::new();
        let stage_ids: BTreeSet<String> = raw.stages.iter().map(|s| s.id.get_ref().clone()).collect();
        let orders: BTreeMap<String, u32> =
            raw.stages.iter().map(|s| (s.id.get_ref().clone(), *s.order.get_ref())).collect();
        for s in &raw.stages {
            let id = s.id.get_ref();
            if stages.iter().any(|x| &x.id == id) {
                self.diags.push(text.diag(s.id.span(), format!("duplicate stage id '{id}'")));
                continue;
            }
            if stages.iter().any(|x| x.order == *s.order.get_ref()) {
                self.diags
                    .push(text.diag(s.order.span(), format!("another stage already has order {}", s.order.get_ref())));
            }
            let mut ids = Vec::new();
            for e in &s.exercises {
                let eid = e.get_ref();
                match exercises.iter().find(|x| &x.id == eid) {
                    None if broken.contains(eid) => {}
                    None => self.diags.push(text.diag(
                        e.span(),
                        format!(
                            "exercise '{eid}' not found (expected exercises/{}/exercise.toml)",
                            eid.replacen('.', "/", 1)
                        ),
                    )),
                    Some(x) if &x.stage != id => self.diags.push(
                        text.diag(e.span(), format!("exercise '{eid}' belongs to stage '{}', not '{id}'", x.stage)),
                    ),
                    Some(_) if !listed.insert(eid.clone()) => {
                        self.diags.push(text.diag(e.span(), format!("exercise '{eid}' is listed twice")))
                    }
                    Some(x) => ids.push(x.id.clone()),
                }
            }
            for p in &s.milestone.pass {
                if !s.exercises.iter().any(|e| e.get_ref() == p.get_ref()) {
                    self.diags.push(text.diag(
                        p.span(),
                        format!("milestone exercise '{}' is not one of stage '{id}''s exercises", p.get_ref()),
                    ));
                }
            }
            if let Some(n) = &s.milestone.min_passed
                && *n.get_ref() as usize > s.exercises.len()
            {
                self.diags.push(text.diag(
                    n.span(),
                    format!("min_passed = {} but stage '{id}' has only {} exercises", n.get_ref(), s.exercises.len()),
                ));
            }
            if s.milestone.pass.is_empty() && s.milestone.min_passed.is_none() {
                self.diags.push(text.diag(
                    s.id.span(),
                    format!("stage '{id}' has a milestone that can never be reached: give `pass` or `min_passed`"),
                ));
            }
            if let Some(after) = &s.unlock.after {
                let a = after.get_ref();
                if !stage_ids.contains(a) {
                    self.diags.push(text.diag(after.span(), format!("unlock.after names unknown stage '{a}'")));
                } else if orders.get(a).copied().unwrap_or(0) >= *s.order.get_ref() {
                    self.diags.push(text.diag(
                        after.span(),
                        format!("stage '{id}' unlocks after '{a}', which does not come before it"),
                    ));
                }
            }
            stages.push(Stage {
                id: id.clone(),
                title: s.title.clone(),
                summary: s.summary.trim().to_string(),
                order: *s.order.get_ref(),
                exercises: ids,
                milestone: Milestone {
                    title: s.milestone.title.clone(),
                    pass: s.milestone.pass.iter().filter_map(|p| p.get_ref().parse().ok()).collect(),
                    min_passed: s.milestone.min_passed.as_ref().map(|n| *n.get_ref()),
                },
                unlock_after: s.unlock.after.as_ref().map(|a| a.get_ref().clone()),
            });
        }
        for e in exercises {
            if !stage_ids.contains(&e.stage) {
                self.diags.push(Diagnostic::file(
                    self.source.display(&format!("{}/exercise.toml", e.dir)),
                    format!("stage '{}' is not defined in {PATH_FILE}", e.stage),
                ));
            } else if !listed.contains(e.id.as_str()) {
                self.diags.push(Diagnostic::at(
                    &text.label,
                    &text.body,
                    None,
                    format!("exercise '{}' exists but is not listed in stage '{}'", e.id, e.stage),
                ));
            }
        }
        stages.sort_by_key(|s| s.order);
        (raw.title.unwrap_or_else(|| "genpath".to_string()), stages)
    }
}

/// Check one parameter value against its declared kind.
pub(crate) fn validate_param(kind: ParamKind, v: &toml::Value) -> Result<(), String> {
    let as_num = |v: &toml::Value| v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
    match kind {
        ParamKind::Number { min, max } => match as_num(v) {
            Some(x) if x.is_finite() && x >= min && x <= max => Ok(()),
            Some(x) => Err(format!("{x} is outside {min}–{max}")),
            None => Err("expected a number".into()),
        },
        ParamKind::Integer { min, max } => match v.as_integer() {
            Some(x) if x >= min && x <= max => Ok(()),
            Some(x) => Err(format!("{x} is outside {min}–{max}")),
            None => Err("expected a whole number".into()),
        },
        ParamKind::Text | ParamKind::Asset => v.as_str().map(|_| ()).ok_or_else(|| "expected a string".into()),
        ParamKind::Bool => v.as_bool().map(|_| ()).ok_or_else(|| "expected true or false".into()),
        ParamKind::Color => match v.as_str() {
            Some(s) if crate::imaging::color::parse_hex(s).is_some() => Ok(()),
            _ => Err("expected a hex colour such as \"#FF5A36\"".into()),
        },
        ParamKind::Colors => match v.as_array() {
            Some(a)
                if !a.is_empty()
                    && a.iter().all(|c| c.as_str().and_then(crate::imaging::color::parse_hex).is_some()) =>
            {
                Ok(())
            }
            _ => Err("expected a list of hex colours such as [\"#FF5A36\", \"#1B998B\"]".into()),
        },
        ParamKind::Region => match v.as_array() {
            Some(a) if a.len() == 4 => {
                let n: Vec<f64> = a.iter().filter_map(as_num).collect();
                if n.len() != 4 || n.iter().any(|x| !(0.0..=1.0).contains(x)) {
                    Err("region values must be numbers between 0 and 1".into())
                } else if n[0] + n[2] > 1.0 + 1e-9 || n[1] + n[3] > 1.0 + 1e-9 || n[2] <= 0.0 || n[3] <= 0.0 {
                    Err("region [x, y, w, h] must have positive size and stay inside the image".into())
                } else {
                    Ok(())
                }
            }
            _ => Err("expected a region [x, y, w, h] in fractions of the image".into()),
        },
        ParamKind::Choice(options) => match v.as_str() {
            Some(s) if options.contains(&s) => Ok(()),
            _ => Err(format!("expected one of: {}", options.join(", "))),
        },
    }
}
