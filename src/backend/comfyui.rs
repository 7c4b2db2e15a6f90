//! ComfyUI through its server API: a workflow template in API format with
//! `{{placeholders}}` filled from the recipe (shipped templates for txt2img,
//! img2img, inpainting and ControlNet; your own with `templates`), inputs
//! uploaded with `/upload/image`, the graph queued with `/prompt`, the result
//! polled from `/history/{id}` and fetched from `/view`. Node errors become a
//! message that names the node and the fix.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use super::http::{Auth, Http, Settings};
use super::{Backend, BackendError, Description, Generation, Progress, Request, check_capabilities};
use crate::recipe::ControlKind;

const TXT2IMG: &str = include_str!("comfyui/txt2img.json");
const IMG2IMG: &str = include_str!("comfyui/img2img.json");
const INPAINT: &str = include_str!("comfyui/inpaint.json");
const CONTROLNET: &str = include_str!("comfyui/controlnet.json");

pub struct ComfyUi {
    pub name: String,
    http: Http,
    model: String,
    controlnet_model: Option<String>,
    templates: std::collections::BTreeMap<String, String>,
    client_id: String,
}

/// ComfyUI's error answers: `{error: {type, message, details}, node_errors: {id: {class_type, errors: [...]}}}`.
pub fn explain(_status: u16, body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(300).collect();
    };
    let mut parts = Vec::new();
    if let Some(m) = v["error"]["message"].as_str() {
        parts.push(m.to_string());
    }
    if let Some(nodes) = v["node_errors"].as_object() {
        for (id, n) in nodes {
            let class = n["class_type"].as_str().unwrap_or("?");
            for e in n["errors"].as_array().into_iter().flatten() {
                let kind = e["type"].as_str().unwrap_or("");
                let detail = e["details"].as_str().or(e["message"].as_str()).unwrap_or("");
                let fix = match kind {
                    "value_not_in_list" if class.contains("Checkpoint") => {
                        " — install that checkpoint in ComfyUI's models/checkpoints, or set `model` in the recipe or [backends] table to one it has"
                    }
                    "value_not_in_list" if class.contains("ControlNet") => {
                        " — install that ControlNet model, or set `controlnet_model` to one ComfyUI has"
                    }
                    "value_not_in_list" => " — use one of the values the node lists",
                    "value_smaller_than_min" | "value_bigger_than_max" => " — bring the value into the node's range",
                    _ => "",
                };
                parts.push(format!("node {id} ({class}): {kind}: {detail}{fix}"));
            }
        }
    }
    if parts.is_empty() { String::from_utf8_lossy(body).chars().take(300).collect() } else { parts.join("; ") }
}

/// Replace `{{name}}` placeholders: a string that is exactly one placeholder
/// takes the value's JSON type (numbers stay numbers); inside longer strings
/// the value is spliced in as text.
pub fn fill(template: &Value, values: &serde_json::Map<String, Value>) -> Value {
    match template {
        Value::String(s) => {
            let t = s.trim();
            if let Some(name) = t.strip_prefix("{{").and_then(|r| r.strip_suffix("}}"))
                && let Some(v) = values.get(name)
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

fn png_bytes(img: &image::DynamicImage) -> Result<Vec<u8>, BackendError> {
    super::encode_png(img)
}

fn sampler(name: &str) -> &str {
    match name {
        "euler_a" => "euler_ancestral",
        "dpm2_a" => "dpm_2_ancestral",
        "dpm2" => "dpm_2",
        "dpmpp_2s_a" => "dpmpp_2s_ancestral",
        other => other,
    }
}

impl ComfyUi {
    pub fn from_options(name: &str, o: &crate::config::ComfyUiOptions) -> Result<ComfyUi, BackendError> {
        let settings = Settings::from_options(&o.http, "http://127.0.0.1:8188");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        Ok(ComfyUi {
            name: name.to_string(),
            http: Http::new(settings, Auth::from_env(o.http.auth_env.as_deref(), true)?)?,
            model: o.model.clone().unwrap_or_else(|| "v1-5-pruned-emaonly.safetensors".into()),
            controlnet_model: o.controlnet_model.clone(),
            templates: o.templates.clone(),
            client_id: format!("genpath-{:x}-{}", nanos, std::process::id()),
        })
    }

    pub fn get(&self, path: &str, progress: &dyn Progress) -> Result<Value, BackendError> {
        let url = self.http.url(path);
        self.http.send(&|c| c.get(&url), progress, &explain)?.json()
    }

    fn template(&self, which: &str, builtin: &str) -> Result<Value, BackendError> {
        let text = match self.templates.get(which) {
            Some(path) => std::fs::read_to_string(path)
                .map_err(|e| BackendError::Failed(format!("cannot read the {which} template {path}: {e}")))?,
            None => builtin.to_string(),
        };
        serde_json::from_str(&text)
            .map_err(|e| BackendError::Failed(format!("the {which} template is not API-format JSON: {e}")))
    }

    /// Upload an input image; returns the name to give `LoadImage`.
    fn upload(&self, name: &str, png: Vec<u8>, progress: &dyn Progress) -> Result<String, BackendError> {
        let url = self.http.url("/upload/image");
        let r = self.http.send(
            &|c| {
                let part = reqwest::blocking::multipart::Part::bytes(png.clone())
                    .file_name(name.to_string())
                    .mime_str("image/png")
                    .unwrap_or_else(|_| reqwest::blocking::multipart::Part::bytes(Vec::new()));
                let form = reqwest::blocking::multipart::Form::new()
                    .part("image", part)
                    .text("type", "input")
                    .text("overwrite", "true");
                c.post(&url).multipart(form)
            },
            progress,
            &explain,
        )?;
        Ok(r.json()?["name"].as_str().unwrap_or(name).to_string())
    }

    /// The graph for a request, with its inputs uploaded.
    pub fn graph(&self, req: &Request, progress: &dyn Progress) -> Result<Value, BackendError> {
        let r = &req.recipe;
        let mut values = serde_json::Map::new();
        values.insert("prompt".into(), json!(r.prompt));
        values.insert("negative".into(), json!(r.negative));
        values.insert("seed".into(), json!(r.seed.unwrap_or_else(super::builtin::random_seed)));
        values.insert("steps".into(), json!(r.steps));
        values.insert("cfg".into(), json!(r.cfg));
        values.insert("sampler".into(), json!(sampler(&r.sampler)));
        values.insert("width".into(), json!(r.width));
        values.insert("height".into(), json!(r.height));
        values.insert(
            "model".into(),
            json!(r.model.clone().filter(|m| m != "builtin").unwrap_or_else(|| self.model.clone())),
        );
        let template = if let (Some(init), Some(mask)) = (&req.inputs.init, &req.inputs.mask) {
            values.insert(
                "init_image".into(),
                json!(self.upload(
                    "genpath-init.png",
                    png_bytes(&image::DynamicImage::ImageRgb8(init.clone()))?,
                    progress
                )?),
            );
            values.insert(
                "mask_image".into(),
                json!(self.upload(
                    "genpath-mask.png",
                    png_bytes(&image::DynamicImage::ImageLuma8(mask.clone()))?,
                    progress
                )?),
            );
            self.template("inpaint", INPAINT)?
        } else if let Some(init) = &req.inputs.init {
            values.insert(
                "init_image".into(),
                json!(self.upload(
                    "genpath-init.png",
                    png_bytes(&image::DynamicImage::ImageRgb8(init.clone()))?,
                    progress
                )?),
            );
            values.insert("denoise".into(), json!(r.init.as_ref().map_or(0.5, |i| i.strength)));
            self.template("img2img", IMG2IMG)?
        } else if let Some(c) = req.inputs.controls.first() {
            values.insert(
                "control_image".into(),
                json!(self.upload(
                    "genpath-control.png",
                    png_bytes(&image::DynamicImage::ImageLuma8(c.image.clone()))?,
                    progress
                )?),
            );
            values.insert("control_model".into(), json!(self.controlnet_model.clone().unwrap_or_default()));
            values.insert("control_strength".into(), json!(c.weight));
            self.template("controlnet", CONTROLNET)?
        } else {
            self.template("txt2img", TXT2IMG)?
        };
        Ok(fill(&template, &values))
    }
}

impl Backend for ComfyUi {
    fn describe(&self) -> Description {
        Description {
            name: self.name.clone(),
            kind: "comfyui".into(),
            img2img: true,
            inpaint: true,
            controls: if self.controlnet_model.is_some() { vec![ControlKind::Edges] } else { Vec::new() },
            reference: false,
            deterministic: true,
            price_per_image: None,
        }
    }

    fn generate(&self, req: &Request, progress: &dyn Progress) -> Result<Generation, BackendError> {
        check_capabilities(&self.describe(), req)?;
        if req.inputs.controls.len() > 1 {
            return Err(BackendError::Unsupported {
                backend: self.name.clone(),
                missing: "more than one [[control]] in the shipped ControlNet template (give a template of your own)"
                    .into(),
            });
        }
        let started = Instant::now();
        let graph = self.graph(req, progress)?;
        let seed = graph.as_object().and_then(|o| o.values().find_map(|n| n["inputs"]["seed"].as_i64())).unwrap_or(-1);
        let url = self.http.url("/prompt");
        let body = json!({ "prompt": graph, "client_id": self.client_id });
        let queued = self.http.send(&|c| c.post(&url).json(&body), progress, &explain)?.json()?;
        let id = queued["prompt_id"]
            .as_str()
            .ok_or_else(|| BackendError::Failed("ComfyUI did not return a prompt_id".into()))?
            .to_string();
        // Poll the history until the job is there.
        let deadline = Instant::now() + self.http.settings.timeout;
        let entry = loop {
            if progress.cancelled() {
                let u = self.http.url("/interrupt");
                let _ = self.http.send_side(&|c| c.post(&u), &explain);
                return Err(BackendError::Cancelled);
            }
            if Instant::now() > deadline {
                return Err(BackendError::Transient {
                    message: "ComfyUI did not finish in time".into(),
                    retry_after: None,
                });
            }
            let u = self.http.url(&format!("/history/{id}"));
            let h = self.http.send(&|c| c.get(&u), progress, &explain)?.json()?;
            if let Some(e) = h.get(&id) {
                break e.clone();
            }
            std::thread::sleep(Duration::from_millis(100));
        };
        if entry["status"]["status_str"].as_str().is_some_and(|s| s != "success") {
            let msg = entry["status"]["messages"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|m| m[0] == "execution_error")
                .map(|m| {
                    format!(
                        "node {} ({}): {}",
                        m[1]["node_id"],
                        m[1]["node_type"].as_str().unwrap_or("?"),
                        m[1]["exception_message"].as_str().unwrap_or("")
                    )
                })
                .unwrap_or_else(|| "the workflow failed".into());
            return Err(BackendError::Failed(msg));
        }
        let image = entry["outputs"]
            .as_object()
            .into_iter()
            .flat_map(|o| o.values())
            .flat_map(|out| out["images"].as_array().cloned().unwrap_or_default())
            .find(|i| i["type"].as_str().unwrap_or("output") == "output")
            .ok_or_else(|| BackendError::Failed("the workflow saved no image (does it end in SaveImage?)".into()))?;
        let (f, sub, t) = (
            image["filename"].as_str().unwrap_or(""),
            image["subfolder"].as_str().unwrap_or(""),
            image["type"].as_str().unwrap_or("output"),
        );
        let u = self.http.url("/view");
        let q = [("filename", f.to_string()), ("subfolder", sub.to_string()), ("type", t.to_string())];
        let raw = self.http.send(&|c| c.get(&u).query(&q), progress, &explain)?.body;
        let png = super::a1111::finish_image(&raw, &req.recipe, seed, &self.name)?;
        Ok(Generation {
            png,
            width: req.recipe.width,
            height: req.recipe.height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost: 0.0,
            understood: Vec::new(),
            not_understood: Vec::new(),
        })
    }
}
