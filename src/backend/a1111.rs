//! AUTOMATIC1111 / Forge / SD.Next / stable-diffusion.cpp `sd-server`
//! through the `/sdapi/v1` API: txt2img and img2img (with inpainting),
//! ControlNet units in `alwayson_scripts`, reference-only identity, progress
//! from `/sdapi/v1/progress`, HTTP Basic auth, readable errors.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Value, json};

use super::http::{Auth, Http, Settings};
use super::{Backend, BackendError, Description, Generation, Progress, Request, check_capabilities};
use crate::recipe::{ControlKind, ControlMode, Feature, Scheduler};

pub struct A1111 {
    pub name: String,
    http: Http,
    /// Checkpoint to use when the recipe names none.
    model: Option<String>,
    price_per_image: Option<f64>,
    /// ControlNet models found on the server (None: not asked yet).
    controlnet: OnceLock<Vec<String>>,
    /// The server's samplers, each with its aliases (None: it did not say).
    samplers: OnceLock<Option<Vec<ServerSampler>>>,
    /// ControlNet model by kind, as configured.
    controlnet_models: std::collections::BTreeMap<ControlKind, String>,
    /// Some when the server is stable-diffusion.cpp's sd-server (asked once).
    sdcpp: OnceLock<Option<super::sdcpp::Capabilities>>,
}

/// One entry of `/sdapi/v1/samplers`: the name to send and the names it also answers to.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerSampler {
    pub name: String,
    pub aliases: Vec<String>,
}

/// A sampler name reduced to what every server agrees on: `DPM++ 2S a`,
/// `dpm++2s_a`, `dpmpp_2s_a` and `k_dpmpp_2s_a` are one sampler.
fn sampler_key(name: &str) -> String {
    let lower = name.trim().to_lowercase().replace("++", "pp");
    let lower = lower.strip_prefix("k_").unwrap_or(&lower).to_string();
    lower.chars().filter(|c| c.is_ascii_alphanumeric()).collect()
}

/// The server's name for a genpath sampler, matched against every entry's
/// name and aliases; `Err` lists what the server has.
pub fn server_sampler(genpath: &str, server: &[ServerSampler]) -> Result<String, String> {
    let wanted = [sampler_key(genpath), sampler_key(&crate::recipe::infotext::a1111_sampler(genpath))];
    server
        .iter()
        .find(|s| std::iter::once(&s.name).chain(&s.aliases).any(|n| wanted.contains(&sampler_key(n))))
        .map(|s| s.name.clone())
        .ok_or_else(|| {
            format!(
                "the sampler `{genpath}`: the server would silently use another; it has {}",
                server.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
            )
        })
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn png_of(img: &image::DynamicImage) -> Result<String, BackendError> {
    super::encode_png(img).map(|b| b64(&b))
}

/// The messages A1111 sends back on errors: `{error, detail, …}`.
pub fn explain(_status: u16, body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(v) => {
            let err = v.get("error").and_then(Value::as_str).unwrap_or("");
            let detail = v
                .get("detail")
                .map(|d| d.as_str().map(str::to_string).unwrap_or_else(|| d.to_string()))
                .unwrap_or_default();
            match (err.is_empty(), detail.is_empty()) {
                (false, false) => format!("{err}: {detail}"),
                (false, true) => err.to_string(),
                (true, false) => detail,
                (true, true) => String::from_utf8_lossy(body).chars().take(300).collect(),
            }
        }
        Err(_) => String::from_utf8_lossy(body).chars().take(300).collect(),
    }
}

impl A1111 {
    pub fn from_options(name: &str, o: &crate::config::A1111Options) -> Result<A1111, BackendError> {
        let settings = Settings::from_options(&o.http, "http://127.0.0.1:7860");
        let auth = Auth::from_env(o.http.auth_env.as_deref(), false)?;
        Ok(A1111 {
            name: name.to_string(),
            http: Http::new(settings, auth)?,
            model: o.model.clone(),
            price_per_image: o.price_per_image,
            controlnet: OnceLock::new(),
            samplers: OnceLock::new(),
            controlnet_models: o.controlnet_models.clone(),
            sdcpp: OnceLock::new(),
        })
    }

    pub fn get(&self, path: &str, progress: &dyn Progress) -> Result<Value, BackendError> {
        let url = self.http.url(path);
        self.http.send(&|c| c.get(&url), progress, &explain)?.json()
    }

    /// ControlNet models on the server (empty when the extension is absent).
    pub fn controlnet_models(&self) -> &[String] {
        self.controlnet.get_or_init(|| {
            let quiet = super::Cancel::default();
            self.get("/controlnet/model_list", &quiet)
                .ok()
                .and_then(|v| v.get("model_list").and_then(Value::as_array).cloned())
                .map(|a| a.iter().filter_map(|m| m.as_str().map(str::to_string)).collect())
                .unwrap_or_default()
        })
    }

    /// stable-diffusion.cpp's capabilities when the server is its sd-server
    /// (AUTOMATIC1111 and Forge answer 404 to the route).
    pub fn sdcpp(&self) -> Option<&super::sdcpp::Capabilities> {
        self.sdcpp
            .get_or_init(|| {
                let v = self.get("/sdcpp/v1/capabilities", &super::Cancel::default()).ok()?;
                super::sdcpp::Capabilities::from_json(&v)
            })
            .as_ref()
    }

    /// The server's samplers (None when it does not list them).
    pub fn samplers(&self) -> Option<&[ServerSampler]> {
        self.samplers
            .get_or_init(|| {
                let v = self.get("/sdapi/v1/samplers", &super::Cancel::default()).ok()?;
                let list = v.as_array()?;
                Some(
                    list.iter()
                        .filter_map(|s| {
                            Some(ServerSampler {
                                name: s["name"].as_str()?.to_string(),
                                aliases: s["aliases"]
                                    .as_array()
                                    .into_iter()
                                    .flatten()
                                    .filter_map(|a| a.as_str().map(str::to_string))
                                    .collect(),
                            })
                        })
                        .collect(),
                )
            })
            .as_deref()
    }

    /// The name to send for a recipe's sampler: the server's own, or an
    /// error before any call when it has none (sd-server would fall back to
    /// Euler a and the recipe would record a sampler that was not used).
    pub fn sampler_for(&self, genpath: &str) -> Result<String, BackendError> {
        match self.samplers() {
            Some(list) => server_sampler(genpath, list)
                .map_err(|missing| BackendError::Unsupported { backend: self.name.clone(), missing }),
            None => Ok(crate::recipe::infotext::a1111_sampler(genpath)),
        }
    }

    fn model_for(&self, kind: ControlKind) -> Option<String> {
        if let Some(m) = self.controlnet_models.get(&kind) {
            return self.controlnet_models().contains(m).then(|| m.clone());
        }
        let want: &[&str] = match kind {
            ControlKind::Edges => &["canny", "softedge", "lineart"],
            ControlKind::Lineart => &["lineart"],
            ControlKind::Scribble => &["scribble"],
            ControlKind::Seg => &["seg"],
            ControlKind::Pose => &["openpose", "pose"],
            ControlKind::Depth => &["depth"],
        };
        self.controlnet_models().iter().find(|m| want.iter().any(|w| m.to_lowercase().contains(w))).cloned()
    }

    /// The JSON body of a generation request.
    pub fn payload(&self, req: &Request) -> Result<Value, BackendError> {
        let r = &req.recipe;
        let e = &r.extra;
        // LoRAs go in the prompt as A1111 reads them; trigger words are already there.
        let loras: String = e.lora.iter().map(|l| format!(" <lora:{}:{}>", l.name, decimal_text(l.weight))).collect();
        let mut body = json!({
            "prompt": format!("{}{loras}", r.prompt),
            "negative_prompt": r.negative,
            "seed": r.seed.unwrap_or(-1),
            "steps": r.steps,
            "cfg_scale": r.cfg,
            "width": r.width,
            "height": r.height,
            "sampler_name": self.sampler_for(&r.sampler)?,
            "batch_size": 1,
            "n_iter": 1,
            "send_images": true,
            "save_images": false,
        });
        let mut overrides = serde_json::Map::new();
        if let Some(m) = r.model.clone().or_else(|| self.model.clone()).filter(|m| m != "builtin") {
            overrides.insert("sd_model_checkpoint".into(), json!(m));
        }
        if let Some(c) = e.clip_skip {
            overrides.insert("CLIP_stop_at_last_layers".into(), json!(c));
        }
        if let Some(v) = &e.vae {
            overrides.insert("sd_vae".into(), json!(v));
        }
        if !overrides.is_empty() {
            body["override_settings"] = Value::Object(overrides);
            body["override_settings_restore_afterwards"] = json!(true);
        }
        if let Some(sch) = e.scheduler {
            body["scheduler"] = json!(a1111_scheduler(sch));
        }
        if let (Some(sub), Some(strength)) = (e.subseed, e.subseed_strength) {
            body["subseed"] = json!(sub);
            body["subseed_strength"] = super::decimal(strength);
        }
        if let Some(h) = &e.hires {
            body["enable_hr"] = json!(true);
            body["hr_scale"] = super::decimal(h.scale);
            body["hr_upscaler"] = json!(h.upscaler.clone().unwrap_or_else(|| "Latent".into()));
            body["denoising_strength"] = super::decimal(h.denoise);
            body["hr_second_pass_steps"] = json!(h.steps.unwrap_or(0));
        }
        if let (Some(init), Some(i)) = (&req.inputs.init, &r.init) {
            body["init_images"] = json!([png_of(&image::DynamicImage::ImageRgb8(init.clone()))?]);
            body["denoising_strength"] = json!(i.strength);
            body["resize_mode"] = json!(0);
            if let Some(mask) = &req.inputs.mask {
                body["mask"] = json!(png_of(&image::DynamicImage::ImageLuma8(mask.clone()))?);
                body["mask_blur"] = json!(i.mask_blur);
                body["inpainting_fill"] = json!(1);
                body["inpaint_full_res"] = json!(false);
                body["inpainting_mask_invert"] = json!(0);
            }
        }
        let mut units = Vec::new();
        for c in &req.inputs.controls {
            units.push(json!({
                "enabled": true,
                "module": "none",
                "model": self.model_for(c.kind).unwrap_or_else(|| "None".into()),
                "weight": super::decimal(c.weight),
                "image": png_of(&image::DynamicImage::ImageRgb8(c.image.clone()))?,
                "resize_mode": "Just Resize",
                "control_mode": match c.mode {
                    ControlMode::Balanced => "Balanced",
                    ControlMode::Prompt => "My prompt is more important",
                    ControlMode::Control => "ControlNet is more important",
                },
                "guidance_start": super::decimal(c.start),
                "guidance_end": super::decimal(c.end),
                "pixel_perfect": false,
                "save_detected_map": false,
            }));
        }
        if let Some((img, weight)) = &req.inputs.reference {
            units.push(json!({
                "enabled": true,
                "module": "reference_only",
                "model": "None",
                "weight": weight,
                "image": png_of(&image::DynamicImage::ImageRgb8(img.clone()))?,
                "resize_mode": "Just Resize",
                "control_mode": "Balanced",
                "save_detected_map": false,
            }));
        }
        if !units.is_empty() {
            body["alwayson_scripts"] = json!({ "controlnet": { "args": units } });
        }
        Ok(body)
    }
}

impl Backend for A1111 {
    fn describe(&self) -> Description {
        let cn = self.controlnet_models();
        let controls = ControlKind::ALL.iter().copied().filter(|k| self.model_for(*k).is_some()).collect();
        Description {
            name: self.name.clone(),
            kind: "a1111".into(),
            img2img: true,
            inpaint: true,
            controls,
            reference: !cn.is_empty(),
            deterministic: true,
            price_per_image: self.price_per_image,
            features: if self.sdcpp().is_some() {
                vec![Feature::Scheduler, Feature::ClipSkip, Feature::Hires, Feature::Lora]
            } else {
                vec![
                    Feature::Scheduler,
                    Feature::ClipSkip,
                    Feature::Vae,
                    Feature::Subseed,
                    Feature::Hires,
                    Feature::Lora,
                    Feature::ControlTiming,
                    Feature::ControlMode,
                ]
            },
        }
    }

    fn generate(&self, req: &Request, progress: &dyn Progress) -> Result<Generation, BackendError> {
        check_capabilities(&self.describe(), req)?;
        let started = Instant::now();
        let (raw, seed, recipe) = match self.sdcpp() {
            Some(caps) => self.generate_sdcpp(req, caps, progress)?,
            None => self.generate_sdapi(req, progress)?,
        };
        let png = finish_image(&raw, &recipe, seed, &self.name)?;
        let (width, height) = recipe.output_size();
        Ok(Generation {
            png,
            width,
            height,
            seed,
            seconds: started.elapsed().as_secs_f64(),
            cost: self.price_per_image.unwrap_or(0.0),
            understood: Vec::new(),
            not_understood: Vec::new(),
        })
    }
}

impl A1111 {
    /// sd-server through its job API: the image, the seed and the recipe to record.
    fn generate_sdcpp(
        &self,
        req: &Request,
        caps: &super::sdcpp::Capabilities,
        progress: &dyn Progress,
    ) -> Result<(Vec<u8>, i64, crate::recipe::Resolved), BackendError> {
        let r = &req.recipe;
        let seed = r.seed.unwrap_or_else(super::builtin::random_seed);
        let body = super::sdcpp::body(req, &self.sampler_for(&r.sampler)?, seed)?;
        let mut raw = super::sdcpp::generate(&self.http, &body, caps, progress, &explain).map_err(not_running)?;
        if let (Some(init), Some(mask)) = (&req.inputs.init, &req.inputs.mask) {
            raw = super::sdcpp::paste_back(&raw, init, mask)?;
        }
        let mut recipe = r.clone();
        if recipe.model.is_none() {
            recipe.model = caps.model.clone();
        }
        Ok((raw, seed, recipe))
    }

    /// AUTOMATIC1111 / Forge through `/sdapi/v1`, with progress polled beside it.
    fn generate_sdapi(
        &self,
        req: &Request,
        progress: &dyn Progress,
    ) -> Result<(Vec<u8>, i64, crate::recipe::Resolved), BackendError> {
        let path = if req.inputs.init.is_some() { "/sdapi/v1/img2img" } else { "/sdapi/v1/txt2img" };
        let body = self.payload(req)?;
        let url = self.http.url(path);
        // Progress and cancel: a second connection polls /progress and interrupts on cancel.
        let done = AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            s.spawn(|| {
                let mut interrupted = false;
                while !done.load(Ordering::SeqCst) {
                    // Poll every 300 ms, but notice the end of the request at once.
                    for _ in 0..15 {
                        if done.load(Ordering::SeqCst) {
                            return;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                    if progress.cancelled() && !interrupted {
                        let u = self.http.url("/sdapi/v1/interrupt");
                        let _ = self.http.send_side(&|c| c.post(&u), &explain);
                        interrupted = true;
                    }
                    let u = self.http.url("/sdapi/v1/progress?skip_current_image=true");
                    if let Ok(v) = self.http.send_side(&|c| c.get(&u), &explain).and_then(|r| r.json()) {
                        let st = &v["state"];
                        if let (Some(a), Some(b)) = (st["sampling_step"].as_u64(), st["sampling_steps"].as_u64()) {
                            progress.step(a as u32, b as u32);
                        }
                    }
                }
            });
            // Set `done` however the request ends, panics included, so the poller stops
            // and the scope can join it.
            let _done = crate::panics::SetOnDrop(&done);
            self.http.send(&|c| c.post(&url).json(&body), progress, &explain)
        });
        if progress.cancelled() {
            return Err(BackendError::Cancelled);
        }
        let v = result.map_err(not_running)?.json()?;
        let images = v["images"].as_array().cloned().unwrap_or_default();
        // `info` is a JSON string inside the JSON; sd-server sends "".
        let info: Value = v["info"].as_str().and_then(|s| serde_json::from_str(s).ok()).unwrap_or(Value::Null);
        let first = info["index_of_first_image"].as_u64().unwrap_or(0) as usize;
        let Some(b64img) = images.get(first).and_then(Value::as_str) else {
            return Err(BackendError::Failed(format!("the backend returned no image (got {} images)", images.len())));
        };
        let raw = base64::engine::general_purpose::STANDARD
            .decode(b64img.trim_start_matches("data:image/png;base64,"))
            .map_err(|_| BackendError::Failed("the backend returned an image that is not valid base64".into()))?;
        let r = &req.recipe;
        let seed = info["seed"].as_i64().or(r.seed).unwrap_or(-1);
        Ok((raw, seed, r.clone()))
    }
}

/// A1111's label for a schedule type (its `scheduler` field, 1.9 and later).
fn a1111_scheduler(s: Scheduler) -> &'static str {
    match s {
        Scheduler::Normal => "Normal",
        Scheduler::Karras => "Karras",
        Scheduler::Exponential => "Exponential",
        Scheduler::SgmUniform => "SGM Uniform",
        Scheduler::Simple => "Simple",
        Scheduler::DdimUniform => "DDIM",
        Scheduler::Beta => "Beta",
    }
}

/// A weight as A1111 writes it in a prompt: `0.8`, not `0.800000011920929`.
fn decimal_text(x: f32) -> String {
    super::decimal(x).to_string()
}

/// What to say when nothing answers at the configured address.
const NOT_RUNNING: &str = "is the server running there? Start AUTOMATIC1111 or Forge with `--api` \
    (`./webui.sh --api`), or sd-server with `sd-server -m MODEL -l 127.0.0.1 --listen-port 7860`, \
    or set `url` in [backends.NAME]";

/// A connection error says how to start the server.
fn not_running(e: BackendError) -> BackendError {
    e.with_start_hint(NOT_RUNNING)
}

/// Validate a returned image (decodes, expected size) and add genpath's
/// provenance while keeping the backend's own metadata.
pub fn finish_image(
    raw: &[u8],
    r: &crate::recipe::Resolved,
    seed: i64,
    backend: &str,
) -> Result<Vec<u8>, BackendError> {
    let d = crate::imaging::decode(raw)
        .map_err(|e| BackendError::Failed(format!("the backend returned an image that cannot be decoded: {e}")))?;
    let (w, h) = r.output_size();
    if (d.width(), d.height()) != (w, h) {
        return Err(BackendError::Failed(format!(
            "the backend returned a {}×{} image; the recipe asked for {w}×{h}",
            d.width(),
            d.height(),
        )));
    }
    let provenance = crate::recipe::png::Provenance {
        genpath: env!("CARGO_PKG_VERSION").into(),
        backend: backend.into(),
        seed,
        recipe: r.clone(),
    };
    let json = serde_json::to_string(&provenance).unwrap_or_default();
    let is_png = raw.starts_with(&[137, 80, 78, 71]);
    if is_png {
        let has_params =
            crate::recipe::png::text_chunks(raw).map(|c| c.iter().any(|(k, _)| k == "parameters")).unwrap_or(false);
        let info = crate::recipe::infotext::format(r, seed, backend);
        let mut chunks = vec![("genpath", json.as_str())];
        if !has_params {
            chunks.push(("parameters", info.as_str()));
        }
        crate::recipe::png::add_text_chunks(raw, &chunks)
            .map_err(|e| BackendError::Failed(format!("the backend's PNG is damaged: {e}")))
    } else {
        // JPEG/WebP from the backend: store as PNG with our chunks.
        crate::recipe::png::encode(&crate::imaging::over_white(d).0, r, seed, backend)
            .map_err(|e| BackendError::Failed(format!("cannot encode PNG: {e}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(names: &[(&str, &[&str])]) -> Vec<ServerSampler> {
        names
            .iter()
            .map(|(n, a)| ServerSampler { name: n.to_string(), aliases: a.iter().map(|s| s.to_string()).collect() })
            .collect()
    }

    #[test]
    fn samplers_map_to_each_servers_own_names_or_are_refused() {
        // AUTOMATIC1111 / Forge list display names with k-diffusion aliases.
        let a1111 = list(&[
            ("Euler a", &["k_euler_a", "k_euler_ancestral"]),
            ("DPM++ 2S a", &["k_dpmpp_2s_a"]),
            ("UniPC", &[]),
        ]);
        assert_eq!(server_sampler("euler_a", &a1111).unwrap(), "Euler a");
        assert_eq!(server_sampler("dpmpp_2s_a", &a1111).unwrap(), "DPM++ 2S a");
        assert_eq!(server_sampler("unipc", &a1111).unwrap(), "UniPC");
        // stable-diffusion.cpp's sd-server lists its own names (recorded from commit 97d2990).
        let sdcpp = list(&[
            ("euler", &["euler"]),
            ("euler_a", &["euler_a"]),
            ("dpm++2s_a", &["dpm++2s_a"]),
            ("dpm2", &["dpm2"]),
        ]);
        assert_eq!(server_sampler("euler_a", &sdcpp).unwrap(), "euler_a");
        assert_eq!(server_sampler("dpmpp_2s_a", &sdcpp).unwrap(), "dpm++2s_a");
        let e = server_sampler("lms", &sdcpp).unwrap_err();
        assert!(e.contains("`lms`") && e.contains("euler, euler_a, dpm++2s_a, dpm2"), "{e}");
        assert!(server_sampler("dpm2_a", &sdcpp).is_err(), "dpm2 a is not dpm2");
    }
}
