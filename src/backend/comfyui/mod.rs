//! ComfyUI through its server API: a workflow template in API format with
//! `{{placeholders}}` filled from the recipe (shipped templates for txt2img,
//! img2img, inpainting with paste-back and ControlNet; your own with
//! `templates`), inputs uploaded under content-hash names (so runs in flight
//! never overwrite each other's), the graph queued with `/prompt` together
//! with its editor form (so outputs open in ComfyUI as a graph), steps and
//! the end of the job from the websocket with the history polled as well,
//! the image fetched from `/view`. Cancel is targeted: the prompt is
//! interrupted only if it is the one running and deleted from the queue if
//! pending, never another client's job. Node errors become a message that
//! names the node, its class and the fix.

pub mod graph;
pub mod socket;
pub mod template;
pub mod workflow;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::{Map, Value, json};

use super::http::{Auth, Http, Settings};
use super::{Backend, BackendError, Description, Generation, Progress, Request, check_capabilities};
use crate::recipe::{ControlKind, Feature};
use template::{Job, Template, decimal};

/// What to say when nothing answers at the configured address.
const NOT_RUNNING: &str = "is ComfyUI running there? Start it in its folder with \
    `python main.py --listen 127.0.0.1 --port 8188` (add `--cpu` without a GPU), or set `url` in [backends.NAME]";

/// How long the socket is read for a finished prompt's last messages.
const DRAIN: Duration = Duration::from_millis(300);

/// How often the history is read while the websocket reports progress
/// (without a websocket it is read every [`POLL`]).
const HISTORY_EVERY: Duration = Duration::from_millis(1_000);
const POLL: Duration = Duration::from_millis(100);

pub struct ComfyUi {
    pub name: String,
    http: Http,
    model: String,
    /// ControlNet model by kind, as configured.
    controlnet_models: BTreeMap<ControlKind, String>,
    templates: BTreeMap<Job, PathBuf>,
    client_id: String,
    /// `/object_info` entries by class, asked once per class.
    object_info: Mutex<BTreeMap<String, Value>>,
    /// The server's ControlNet models (None: the server did not say).
    server_controlnets: OnceLock<Option<Vec<String>>>,
}

/// ComfyUI's error answers: `{error: {type, message, details}, node_errors:
/// {id: {class_type, errors: [{type, message, details}]}}}`. Every part the
/// server gave is kept (the message, the details, each node's id and class),
/// with the fix where one is known.
pub fn explain(_status: u16, body: &[u8]) -> String {
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return String::from_utf8_lossy(body).chars().take(300).collect();
    };
    let mut parts = Vec::new();
    let error = &v["error"];
    if let Some(m) = error["message"].as_str().or(error.as_str()) {
        match error["details"].as_str().filter(|d| !d.is_empty()) {
            Some(d) => parts.push(format!("{m}: {d}")),
            None => parts.push(m.to_string()),
        }
    }
    if let Some(nodes) = v["node_errors"].as_object() {
        for (id, n) in nodes {
            let class = n["class_type"].as_str().unwrap_or("?");
            for e in n["errors"].as_array().into_iter().flatten() {
                let kind = e["type"].as_str().unwrap_or("");
                let message = e["message"].as_str().unwrap_or("");
                let detail = e["details"].as_str().filter(|d| !d.is_empty()).unwrap_or(message);
                let fix = match kind {
                    "value_not_in_list" if class.contains("Checkpoint") => {
                        " — install that checkpoint in ComfyUI's models/checkpoints, or set `model` in the recipe or [backends] table to one it has"
                    }
                    "value_not_in_list" if class.contains("ControlNet") => {
                        " — install that ControlNet model in models/controlnet, or name one ComfyUI has in `controlnet_models`"
                    }
                    "value_not_in_list" if class.contains("Lora") => {
                        " — install that LoRA in models/loras, or use one `genpath backend test` lists"
                    }
                    "value_not_in_list" => " — use one of the values the node lists",
                    "value_smaller_than_min" | "value_bigger_than_max" => " — bring the value into the node's range",
                    "required_input_missing" => " — connect that input in the template",
                    _ => "",
                };
                parts.push(format!("node {id} ({class}): {kind}: {detail}{fix}"));
            }
        }
    }
    if parts.is_empty() { String::from_utf8_lossy(body).chars().take(300).collect() } else { parts.join("; ") }
}

/// An `execution_error` from the history or the websocket: the node, its
/// class, the exception and its message.
pub fn execution_error(data: &Value) -> String {
    let id = data["node_id"].as_str().map(str::to_string).unwrap_or_else(|| data["node_id"].to_string());
    let class = data["node_type"].as_str().unwrap_or("?");
    let kind = data["exception_type"].as_str().unwrap_or("error");
    let message = data["exception_message"].as_str().unwrap_or("").trim();
    format!("ComfyUI failed at node {id} ({class}): {kind}: {message}")
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

/// The keyword a ControlNet model's file name carries for each kind, used
/// when genpath.toml names no model for it.
fn controlnet_keyword(kind: ControlKind) -> &'static str {
    match kind {
        ControlKind::Edges => "canny",
        ControlKind::Lineart => "lineart",
        ControlKind::Scribble => "scribble",
        ControlKind::Pose => "openpose",
        ControlKind::Depth => "depth",
        ControlKind::Seg => "seg",
    }
}

/// A list input's choices in an `/object_info/CLASS` answer.
pub fn choices(info: &Value, class: &str, input: &str) -> Vec<String> {
    let spec = &info[class]["input"]["required"][input][0];
    spec.as_array().into_iter().flatten().filter_map(|m| m.as_str().map(str::to_string)).collect()
}

impl ComfyUi {
    pub fn from_options(
        name: &str,
        o: &crate::config::ComfyUiOptions,
        config_dir: &std::path::Path,
    ) -> Result<ComfyUi, BackendError> {
        let settings = Settings::from_options(&o.http, "http://127.0.0.1:8188");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let mut controlnet_models = o.controlnet_models.clone();
        if let Some(m) = &o.controlnet_model {
            controlnet_models.entry(ControlKind::Edges).or_insert_with(|| m.clone());
        }
        Ok(ComfyUi {
            name: name.to_string(),
            http: Http::new(settings, Auth::from_env(o.http.auth_env.as_deref(), true)?)?,
            model: o.model.clone().unwrap_or_else(|| "v1-5-pruned-emaonly.safetensors".into()),
            controlnet_models,
            templates: template::resolve_paths(&o.templates, config_dir),
            client_id: format!("genpath-{:x}-{}", nanos, std::process::id()),
            object_info: Mutex::new(BTreeMap::new()),
            server_controlnets: OnceLock::new(),
        })
    }

    pub fn get(&self, path: &str, progress: &dyn Progress) -> Result<Value, BackendError> {
        let url = self.http.url(path);
        self.http.send(&|c| c.get(&url), progress, &explain).map_err(not_running)?.json()
    }

    /// `/object_info/CLASS`, asked once per class.
    pub fn object_info(&self, class: &str) -> Result<Value, BackendError> {
        if let Some(v) = self.object_info.lock().unwrap_or_else(|e| e.into_inner()).get(class) {
            return Ok(v.clone());
        }
        let v = self.get(&format!("/object_info/{class}"), &super::Cancel::default())?;
        self.object_info.lock().unwrap_or_else(|e| e.into_inner()).insert(class.to_string(), v.clone());
        Ok(v)
    }

    /// The ControlNet models the server has (None when it does not say).
    pub fn server_controlnets(&self) -> Option<&[String]> {
        self.server_controlnets
            .get_or_init(|| {
                self.object_info("ControlNetLoader").ok().map(|v| choices(&v, "ControlNetLoader", "control_net_name"))
            })
            .as_deref()
    }

    /// The ControlNet model for a kind: the configured one, else the
    /// server's model named for the kind; `Err` says why there is none.
    pub fn controlnet_for(&self, kind: ControlKind) -> Result<String, String> {
        let server = self.server_controlnets();
        if let Some(m) = self.controlnet_models.get(&kind) {
            return match server {
                Some(list) if !list.contains(m) => Err(format!(
                    "the configured ControlNet model `{m}` for `{}` is not on the server (it has: {})",
                    kind.as_str(),
                    if list.is_empty() { "none".into() } else { list.join(", ") }
                )),
                _ => Ok(m.clone()),
            };
        }
        let word = controlnet_keyword(kind);
        server
            .into_iter()
            .flatten()
            .find(|m| m.to_lowercase().contains(word))
            .cloned()
            .ok_or_else(|| format!("no ControlNet model for `{}` (a file with `{word}` in its name)", kind.as_str()))
    }

    /// The template for a job, validated before anything is sent.
    pub fn template(&self, job: Job) -> Result<Template, BackendError> {
        Template::load(job, self.templates.get(&job).map(PathBuf::as_path))
    }

    /// Every configured template, loaded and validated (for `backend test`).
    pub fn check_templates(&self) -> Vec<(Job, Result<Template, BackendError>)> {
        self.templates.keys().map(|job| (*job, self.template(*job))).collect()
    }

    /// Upload an input image under a name made from its content, so two runs
    /// in flight never overwrite each other's input; returns the name to give
    /// `LoadImage`.
    fn upload(&self, what: &str, png: Vec<u8>, progress: &dyn Progress) -> Result<String, BackendError> {
        let name = format!("genpath-{what}-{}.png", &crate::hash::sha256_hex(&png)[..16]);
        let url = self.http.url("/upload/image");
        let r = self
            .http
            .send(
                &|c| {
                    let part = reqwest::blocking::multipart::Part::bytes(png.clone())
                        .file_name(name.clone())
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
            )
            .map_err(not_running)?;
        Ok(r.json()?["name"].as_str().unwrap_or(&name).to_string())
    }

    /// The checkpoint a request uses: the recipe's `model`, else the backend's.
    fn checkpoint(&self, req: &Request) -> String {
        req.recipe.model.clone().filter(|m| m != "builtin").unwrap_or_else(|| self.model.clone())
    }

    /// The graph for a request, with its inputs uploaded.
    pub fn graph(&self, req: &Request, progress: &dyn Progress) -> Result<Value, BackendError> {
        let r = &req.recipe;
        let job = if req.inputs.mask.is_some() {
            Job::Inpaint
        } else if req.inputs.init.is_some() {
            Job::Img2Img
        } else if !req.inputs.controls.is_empty() {
            Job::ControlNet
        } else {
            Job::Txt2Img
        };
        // Validate first: a bad template is refused before anything is uploaded.
        let template = self.template(job)?;
        let mut values = Map::new();
        values.insert("prompt".into(), json!(r.prompt));
        values.insert("negative".into(), json!(r.negative));
        values.insert("seed".into(), json!(r.seed.unwrap_or_else(super::builtin::random_seed)));
        values.insert("steps".into(), json!(r.steps));
        values.insert("cfg".into(), decimal(r.cfg));
        values.insert("sampler".into(), json!(sampler(&r.sampler)));
        values.insert("width".into(), json!(r.width));
        values.insert("height".into(), json!(r.height));
        values.insert("model".into(), json!(self.checkpoint(req)));
        values
            .insert("scheduler".into(), json!(r.extra.scheduler.unwrap_or(crate::recipe::Scheduler::Normal).as_str()));
        if let Some(init) = &req.inputs.init {
            let png = png_bytes(&image::DynamicImage::ImageRgb8(init.clone()))?;
            values.insert("init_image".into(), json!(self.upload("init", png, progress)?));
            values.insert("denoise".into(), decimal(r.init.as_ref().map_or(0.5, |i| i.strength)));
        }
        if let Some(mask) = &req.inputs.mask {
            let png = png_bytes(&image::DynamicImage::ImageLuma8(mask.clone()))?;
            values.insert("mask_image".into(), json!(self.upload("mask", png, progress)?));
        }
        if job == Job::ControlNet
            && let Some(c) = req.inputs.controls.first()
        {
            let model = self
                .controlnet_for(c.kind)
                .map_err(|missing| BackendError::Unsupported { backend: self.name.clone(), missing })?;
            let png = png_bytes(&image::DynamicImage::ImageRgb8(c.image.clone()))?;
            values.insert("control_image".into(), json!(self.upload("control", png, progress)?));
            values.insert("control_model".into(), json!(model));
            values.insert("control_strength".into(), decimal(c.weight));
            values.insert("control_start".into(), decimal(c.start));
            values.insert("control_end".into(), decimal(c.end));
        }
        let mut filled = template.fill(&values);
        graph::apply(&mut filled, &r.extra, r.steps)
            .map_err(|missing| BackendError::Unsupported { backend: self.name.clone(), missing })?;
        Ok(filled)
    }

    /// The editor form of a graph, when the server describes every class in it.
    fn editor_workflow(&self, graph: &Value) -> Option<Value> {
        let nodes = graph.as_object()?;
        let mut info = BTreeMap::new();
        for n in nodes.values() {
            let class = n["class_type"].as_str()?;
            if !info.contains_key(class) {
                let v = self.object_info(class).ok()?;
                info.insert(class.to_string(), v.get(class)?.clone());
            }
        }
        workflow::ui_workflow(nodes, &info)
    }

    /// Stop this client's prompt and no other: interrupt it if it is the one
    /// running, delete it from the queue if it is waiting.
    fn cancel(&self, prompt_id: &str) {
        let u = self.http.url("/interrupt");
        let _ = self.http.send_side(&|c| c.post(&u).json(&json!({ "prompt_id": prompt_id })), &explain);
        let u = self.http.url("/queue");
        let _ = self.http.send_side(&|c| c.post(&u).json(&json!({ "delete": [prompt_id] })), &explain);
    }

    /// How many prompts run or wait before this one; `None` once it runs or
    /// when the queue cannot be read.
    fn ahead_of(&self, prompt_id: &str) -> Option<u32> {
        let u = self.http.url("/queue");
        let q = self.http.send_side(&|c| c.get(&u), &explain).ok()?.json().ok()?;
        let running = q["queue_running"].as_array()?;
        if running.iter().any(|e| e[1] == prompt_id) {
            return None;
        }
        let pending = q["queue_pending"].as_array()?;
        let ours = pending.iter().find(|e| e[1] == prompt_id)?[0].as_f64()?;
        let before = pending.iter().filter(|e| e[0].as_f64().is_some_and(|n| n < ours)).count();
        u32::try_from(running.len() + before).ok()
    }

    /// Follow a queued prompt to its history entry.
    fn follow(
        &self,
        id: &str,
        mut socket: Option<socket::Socket>,
        progress: &dyn Progress,
    ) -> Result<Value, BackendError> {
        let deadline = Instant::now() + self.http.settings.timeout;
        let mut next_history = Instant::now();
        let mut waiting = true;
        loop {
            if progress.cancelled() {
                self.cancel(id);
                return Err(BackendError::Cancelled);
            }
            if Instant::now() > deadline {
                self.cancel(id);
                return Err(BackendError::Transient {
                    message: "ComfyUI did not finish in time".into(),
                    retry_after: None,
                });
            }
            // Report this prompt's steps; true once it has finished.
            let report = |events: Vec<socket::Event>, waiting: &mut bool| {
                let mut finished = false;
                for e in events {
                    match e {
                        socket::Event::Step { prompt_id, value, max } if prompt_id == id => {
                            *waiting = false;
                            progress.step(value, max);
                        }
                        socket::Event::Finished { prompt_id } if prompt_id == id => finished = true,
                        _ => {}
                    }
                }
                finished
            };
            let mut finished = false;
            match socket.as_mut().map(|s| s.poll(POLL)) {
                Some(Ok(events)) => finished = report(events, &mut waiting),
                Some(Err(socket::Closed)) => socket = None, // closed: poll from now on
                None => std::thread::sleep(POLL),
            }
            if !finished && Instant::now() < next_history {
                continue;
            }
            next_history = Instant::now() + if socket.is_some() { HISTORY_EVERY } else { POLL };
            let u = self.http.url(&format!("/history/{id}"));
            let h = self.http.send(&|c| c.get(&u), progress, &explain)?.json()?;
            if let Some(e) = h.get(id) {
                // The history can show the prompt done while its last messages are
                // still in the socket: read them (briefly) so every step is reported.
                let drain_until = Instant::now() + DRAIN;
                while !finished && Instant::now() < drain_until {
                    match socket.as_mut().map(|s| s.poll(POLL)) {
                        Some(Ok(events)) => finished = report(events, &mut waiting),
                        _ => break,
                    }
                }
                return Ok(e.clone());
            }
            if waiting {
                match self.ahead_of(id) {
                    Some(n) => progress.queued(n),
                    None => waiting = false,
                }
            }
        }
    }
}

/// A connection error says how to start the server.
fn not_running(e: BackendError) -> BackendError {
    e.with_start_hint(NOT_RUNNING)
}

/// The seed a graph will use: the `{{seed}}` genpath filled, else a number
/// written in the template's sampler; -1 when the graph has none.
fn graph_seed(graph: &Value) -> i64 {
    graph
        .as_object()
        .into_iter()
        .flat_map(|o| o.values())
        .find_map(|n| n["inputs"]["seed"].as_i64().or(n["inputs"]["noise_seed"].as_i64()))
        .unwrap_or(-1)
}

impl Backend for ComfyUi {
    fn describe(&self) -> Description {
        let controls = ControlKind::ALL.iter().copied().filter(|k| self.controlnet_for(*k).is_ok()).collect();
        Description {
            name: self.name.clone(),
            kind: "comfyui".into(),
            img2img: true,
            inpaint: true,
            controls,
            reference: false,
            deterministic: true,
            price_per_image: None,
            features: vec![
                Feature::Scheduler,
                Feature::ClipSkip,
                Feature::Vae,
                Feature::Hires,
                Feature::Lora,
                Feature::ControlTiming,
            ],
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
        let seed = graph_seed(&graph);
        let mut body = json!({ "prompt": graph, "client_id": self.client_id });
        if let Some(ui) = self.editor_workflow(&graph) {
            body["extra_data"] = json!({ "extra_pnginfo": { "workflow": ui } });
        }
        // Open the socket before queueing, so no message about the prompt is missed.
        let socket =
            socket::Socket::open(&self.http.settings.base_url, &self.client_id, self.http.authorization().as_deref());
        let url = self.http.url("/prompt");
        let queued = self.http.send(&|c| c.post(&url).json(&body), progress, &explain).map_err(not_running)?.json()?;
        let id = queued["prompt_id"]
            .as_str()
            .ok_or_else(|| BackendError::Failed("ComfyUI did not return a prompt_id".into()))?
            .to_string();
        let entry = self.follow(&id, socket, progress)?;
        let messages = entry["status"]["messages"].as_array().cloned().unwrap_or_default();
        if messages.iter().any(|m| m[0] == "execution_interrupted") {
            return Err(BackendError::Cancelled);
        }
        if entry["status"]["status_str"].as_str().is_some_and(|s| s != "success") {
            let msg = messages
                .iter()
                .find(|m| m[0] == "execution_error")
                .map(|m| execution_error(&m[1]))
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
        // Infotext and provenance name the checkpoint that made the image.
        let mut recipe = req.recipe.clone();
        recipe.model = Some(self.checkpoint(req));
        let png = super::a1111::finish_image(&raw, &recipe, seed, &self.name)?;
        let (width, height) = req.recipe.output_size();
        Ok(Generation {
            png,
            width,
            height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost: 0.0,
            understood: Vec::new(),
            not_understood: Vec::new(),
        })
    }
}
