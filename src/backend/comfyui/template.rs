//! Workflow templates in ComfyUI's API format and the `{{placeholders}}`
//! genpath fills in them, declared once: the README's placeholder table and
//! the validation that refuses a misspelt placeholder both read [`PLACEHOLDERS`].

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use crate::backend::BackendError;

pub use crate::backend::decimal;
pub use crate::config::TemplateJob as Job;

const ALL: &[Job] = &[Job::Txt2Img, Job::Img2Img, Job::Inpaint, Job::ControlNet];

/// A value genpath writes into a template, and the jobs it is filled for.
#[derive(Debug, Clone, Copy)]
pub struct Placeholder {
    pub name: &'static str,
    pub jobs: &'static [Job],
    pub doc: &'static str,
}

/// Every placeholder genpath fills.
pub const PLACEHOLDERS: &[Placeholder] = &[
    Placeholder { name: "prompt", jobs: ALL, doc: "the prompt" },
    Placeholder { name: "negative", jobs: ALL, doc: "the negative prompt" },
    Placeholder { name: "seed", jobs: ALL, doc: "the seed (a random one, recorded, when the recipe sets none)" },
    Placeholder { name: "steps", jobs: ALL, doc: "sampling steps" },
    Placeholder { name: "cfg", jobs: ALL, doc: "CFG scale" },
    Placeholder { name: "sampler", jobs: ALL, doc: "ComfyUI's sampler name (`euler_a` becomes `euler_ancestral`)" },
    Placeholder { name: "width", jobs: ALL, doc: "image width in pixels" },
    Placeholder { name: "height", jobs: ALL, doc: "image height in pixels" },
    Placeholder { name: "model", jobs: ALL, doc: "the checkpoint: the recipe's `model`, else the backend's" },
    Placeholder { name: "scheduler", jobs: ALL, doc: "the recipe's `scheduler` (`normal` when it sets none)" },
    Placeholder {
        name: "init_image",
        jobs: &[Job::Img2Img, Job::Inpaint],
        doc: "the uploaded init image's name, for `LoadImage`",
    },
    Placeholder { name: "denoise", jobs: &[Job::Img2Img], doc: "the init's `strength`" },
    Placeholder {
        name: "mask_image",
        jobs: &[Job::Inpaint],
        doc: "the uploaded mask's name (white = repaint), for `LoadImageMask` on channel `red`",
    },
    Placeholder { name: "control_image", jobs: &[Job::ControlNet], doc: "the uploaded control map's name" },
    Placeholder {
        name: "control_model",
        jobs: &[Job::ControlNet],
        doc: "the ControlNet model for the control's kind (`controlnet_models`)",
    },
    Placeholder { name: "control_strength", jobs: &[Job::ControlNet], doc: "the control's `weight`" },
    Placeholder {
        name: "control_start",
        jobs: &[Job::ControlNet],
        doc: "the control's `start` (fraction of the steps)",
    },
    Placeholder { name: "control_end", jobs: &[Job::ControlNet], doc: "the control's `end` (fraction of the steps)" },
];

/// A template to fill: the built-in one for its job, or the user's file.
#[derive(Debug, Clone)]
pub struct Template {
    pub job: Job,
    /// Where it came from, for messages: a path, or "built-in".
    pub source: String,
    pub graph: Value,
}

const BUILTIN: &[(Job, &str)] = &[
    (Job::Txt2Img, include_str!("txt2img.json")),
    (Job::Img2Img, include_str!("img2img.json")),
    (Job::Inpaint, include_str!("inpaint.json")),
    (Job::ControlNet, include_str!("controlnet.json")),
];

/// The user's template files by job, relative paths taken from the folder of
/// genpath.toml (not from wherever genpath was started).
pub fn resolve_paths(templates: &BTreeMap<Job, String>, config_dir: &Path) -> BTreeMap<Job, PathBuf> {
    templates.iter().map(|(job, p)| (*job, config_dir.join(p))).collect()
}

impl Template {
    pub fn load(job: Job, user: Option<&Path>) -> Result<Template, BackendError> {
        let (source, text) = match user {
            Some(path) => (
                path.display().to_string(),
                std::fs::read_to_string(path).map_err(|e| {
                    BackendError::Failed(format!("cannot read the {job} template {}: {e}", path.display()))
                })?,
            ),
            None => (
                "built-in".to_string(),
                BUILTIN.iter().find(|(j, _)| *j == job).map(|(_, t)| t.to_string()).unwrap_or_default(),
            ),
        };
        let graph: Value = serde_json::from_str(&text).map_err(|e| {
            BackendError::Failed(format!("{source}:{}:{}: the {job} template is not JSON: {e}", e.line(), e.column()))
        })?;
        if !graph.as_object().is_some_and(|o| o.values().all(|n| n.get("class_type").is_some())) {
            return Err(BackendError::Failed(format!(
                "{source}: the {job} template is not in API format (export it with \"Export (API)\": \
                 an object of nodes, each with `class_type` and `inputs`)"
            )));
        }
        let t = Template { job, source, graph };
        t.validate()?;
        Ok(t)
    }

    /// Every placeholder in the template is one genpath fills for this job.
    pub fn validate(&self) -> Result<(), BackendError> {
        let mut problems = Vec::new();
        for name in placeholders_in(&self.graph) {
            match PLACEHOLDERS.iter().find(|p| p.name == name) {
                Some(p) if p.jobs.contains(&self.job) => {}
                Some(p) => problems.push(format!(
                    "{{{{{name}}}}} is filled only for {} templates",
                    p.jobs.iter().map(|j| j.as_str()).collect::<Vec<_>>().join(", ")
                )),
                None => {
                    let names = PLACEHOLDERS.iter().map(|p| p.name);
                    let hint = crate::names::closest(&name, names)
                        .map(|c| format!(" (did you mean {{{{{c}}}}}?)"))
                        .unwrap_or_default();
                    problems.push(format!("{{{{{name}}}}} is not a placeholder genpath fills{hint}"));
                }
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(BackendError::Failed(format!(
                "{}: the {} template cannot be used: {}; the placeholders are listed in the README",
                self.source,
                self.job,
                problems.join("; ")
            )))
        }
    }

    /// The graph with the values filled in.
    pub fn fill(&self, values: &Map<String, Value>) -> Value {
        fill(&self.graph, values)
    }
}

/// The `{{names}}` used anywhere in a graph, each once, in order of first use.
pub fn placeholders_in(graph: &Value) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut visit = |s: &str| {
        let mut rest = s;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else { break };
            let name = after[..end].trim().to_string();
            if !out.contains(&name) {
                out.push(name);
            }
            rest = &after[end + 2..];
        }
    };
    walk_strings(graph, &mut visit);
    out
}

fn walk_strings(v: &Value, f: &mut dyn FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(a) => a.iter().for_each(|x| walk_strings(x, f)),
        Value::Object(o) => o.values().for_each(|x| walk_strings(x, f)),
        _ => {}
    }
}

/// Replace `{{name}}` placeholders: a string that is exactly one placeholder
/// takes the value's JSON type (numbers stay numbers); inside longer strings
/// the value is spliced in as text.
pub fn fill(template: &Value, values: &Map<String, Value>) -> Value {
    match template {
        Value::String(s) => {
            let t = s.trim();
            if let Some(name) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}"))
                && let Some(v) = values.get(name.trim())
            {
                return v.clone();
            }
            let mut out = s.clone();
            for (k, v) in values {
                let text = v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string());
                out = out.replace(&format!("{{{{{k}}}}}"), &text);
            }
            Value::String(out)
        }
        Value::Array(a) => Value::Array(a.iter().map(|x| fill(x, values)).collect()),
        Value::Object(o) => Value::Object(o.iter().map(|(k, v)| (k.clone(), fill(v, values))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_template_is_valid_for_its_job() {
        for (job, _) in BUILTIN {
            Template::load(*job, None).unwrap();
        }
    }

    #[test]
    fn a_misspelt_placeholder_is_named_with_a_suggestion() {
        let t = Template {
            job: Job::Txt2Img,
            source: "my.json".into(),
            graph: serde_json::json!({"1": {"class_type": "X", "inputs": {"text": "{{promt}}", "i": "{{init_image}}"}}}),
        };
        let e = t.validate().unwrap_err().to_string();
        assert!(e.starts_with("my.json:"), "{e}");
        assert!(e.contains("{{promt}} is not a placeholder genpath fills (did you mean {{prompt}}?)"), "{e}");
        assert!(e.contains("{{init_image}} is filled only for img2img, inpaint templates"), "{e}");
    }

    #[test]
    fn the_readme_documents_every_placeholder() {
        let readme = include_str!("../../../README.md");
        for p in PLACEHOLDERS {
            assert!(readme.contains(&format!("`{{{{{}}}}}`", p.name)), "README lacks {{{{{}}}}}", p.name);
        }
    }

    #[test]
    fn decimals_are_sent_as_written() {
        assert_eq!(decimal(0.45).to_string(), "0.45");
        assert_eq!(decimal(7.0).to_string(), "7.0");
    }
}
