//! A recorded-protocol AUTOMATIC1111 server for tests: speaks `/sdapi/v1`
//! (txt2img, img2img, progress, interrupt, sd-models, samplers) and the
//! ControlNet extension's routes as documented, validates every request
//! (a malformed request from genpath is recorded as a violation), and can be
//! told to misbehave (auth, 500 once, 429 with Retry-After, slowness,
//! truncated images, dying after N requests).
#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::Engine;
use serde_json::{Value, json};

#[derive(Default)]
pub struct Script {
    pub basic_auth: Option<(String, String)>,
    pub fail_500_times: AtomicUsize,
    pub rate_limit_times: AtomicUsize,
    /// The Retry-After value sent with a 429 (default "1").
    pub retry_after: Mutex<Option<String>>,
    pub delay_ms: AtomicUsize,
    pub truncated_image: AtomicBool,
    pub wrong_size: AtomicBool,
    /// Stop answering generation requests after this many (simulates a dead server).
    pub die_after: Option<usize>,
    pub controlnet: bool,
    /// Progress polls and interrupts seen while a generation was in flight.
    pub progress_polls: AtomicUsize,
    pub interrupts: AtomicUsize,
    pub in_flight: AtomicUsize,
    /// Speak as stable-diffusion.cpp's sd-server (commit 97d2990) does:
    /// its own samplers, no /progress or /interrupt, the /sdcpp/v1 job API.
    pub sdcpp: bool,
    /// Polls a job answers `generating` before it completes (sd-server).
    pub generating_polls: usize,
    pub jobs: Mutex<Vec<SdJob>>,
}

/// A job of the sd-server job API.
#[derive(Debug, Clone)]
pub struct SdJob {
    pub id: String,
    pub status: String,
    pub polls: usize,
    pub body: Value,
}

fn recorded(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/peers/{name}", env!("CARGO_MANIFEST_DIR"));
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["response"]["body"].clone()
}

pub struct Server {
    pub url: String,
    pub script: Arc<Script>,
    pub violations: Arc<Mutex<Vec<String>>>,
    pub generations: Arc<AtomicUsize>,
    pub requests: Arc<Mutex<Vec<(String, Value)>>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

const SAMPLERS: &[&str] =
    &["Euler", "Euler a", "DPM++ 2M", "DPM++ 2S a", "DPM++ SDE", "DDIM", "Heun", "DPM2", "DPM2 a", "LMS", "UniPC"];
const CN_MODELS: &[&str] = &[
    "control_v11p_sd15_canny [d14c016b]",
    "control_v11p_sd15_seg [e1f51eb9]",
    "control_v11p_sd15_openpose [cab727d4]",
];

fn png(w: u32, h: u32, color: [u8; 3], params: &str) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb(color));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        enc.add_text_chunk("parameters".into(), params.into()).unwrap();
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(img.as_raw()).unwrap();
    }
    out
}

fn check_types(body: &Value, v: &mut Vec<String>) {
    let need = |k: &str, ok: bool, v: &mut Vec<String>| {
        if !ok {
            v.push(format!(
                "field {k} missing or of the wrong type: {}",
                body.get(k).map(|x| x.to_string()).unwrap_or_default()
            ));
        }
    };
    need("prompt", body["prompt"].is_string(), v);
    need("negative_prompt", body["negative_prompt"].is_string(), v);
    need("seed", body["seed"].is_i64(), v);
    need("steps", body["steps"].as_u64().is_some_and(|s| (1..=150).contains(&s)), v);
    need("cfg_scale", body["cfg_scale"].is_number(), v);
    need("width", body["width"].as_u64().is_some_and(|w| w % 8 == 0), v);
    need("height", body["height"].as_u64().is_some_and(|h| h % 8 == 0), v);
    need("sampler_name", body["sampler_name"].as_str().is_some_and(|s| SAMPLERS.contains(&s)), v);
    if let Some(o) = body.get("override_settings") {
        need("override_settings.sd_model_checkpoint", o["sd_model_checkpoint"].is_string(), v);
    }
    if let Some(cn) = body.get("alwayson_scripts") {
        let args = cn["controlnet"]["args"].as_array();
        need("alwayson_scripts.controlnet.args", args.is_some(), v);
        for u in args.into_iter().flatten() {
            need("unit.enabled", u["enabled"] == json!(true), v);
            need("unit.module", u["module"].is_string(), v);
            need("unit.model", u["model"].as_str().is_some_and(|m| m == "None" || CN_MODELS.contains(&m)), v);
            need("unit.weight", u["weight"].as_f64().is_some_and(|w| (0.0..=2.0).contains(&w)), v);
            need(
                "unit.image",
                u["image"].as_str().is_some_and(|i| base64::engine::general_purpose::STANDARD.decode(i).is_ok()),
                v,
            );
            need(
                "unit.resize_mode",
                u["resize_mode"]
                    .as_str()
                    .is_some_and(|m| ["Just Resize", "Crop and Resize", "Resize and Fill"].contains(&m)),
                v,
            );
            need("unit.control_mode", u["control_mode"].as_str().is_some(), v);
        }
    }
}

pub fn start(script: Script) -> Server {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let script = Arc::new(script);
    let violations = Arc::new(Mutex::new(Vec::new()));
    let generations = Arc::new(AtomicUsize::new(0));
    let requests = Arc::new(Mutex::new(Vec::new()));
    let (s, sc, vi, gens, reqs) = (
        Arc::clone(&server),
        Arc::clone(&script),
        Arc::clone(&violations),
        Arc::clone(&generations),
        Arc::clone(&requests),
    );
    std::thread::spawn(move || {
        for mut req in s.incoming_requests() {
            let (sc, vi, gens, reqs) = (Arc::clone(&sc), Arc::clone(&vi), Arc::clone(&gens), Arc::clone(&reqs));
            std::thread::spawn(move || {
                let url = req.url().to_string();
                let mut body = String::new();
                let _ = req.as_reader().read_to_string(&mut body);
                let respond = |req: tiny_http::Request, code: u16, v: Value, headers: &[(&str, &str)]| {
                    let mut r = tiny_http::Response::from_string(v.to_string()).with_status_code(code);
                    r.add_header(tiny_http::Header::from_bytes("Content-Type", "application/json").unwrap());
                    for (k, val) in headers {
                        r.add_header(tiny_http::Header::from_bytes(*k, *val).unwrap());
                    }
                    let _ = req.respond(r);
                };
                if let Some((u, p)) = &sc.basic_auth {
                    let want =
                        format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}")));
                    let ok = req.headers().iter().any(|h| h.field.equiv("Authorization") && h.value.as_str() == want);
                    if !ok {
                        return respond(
                            req,
                            401,
                            json!({"detail": "Not authenticated"}),
                            &[("WWW-Authenticate", "Basic")],
                        );
                    }
                }
                let path = url.split('?').next().unwrap_or("").to_string();
                if sc.sdcpp {
                    return sdcpp(req, &path, &body, &sc, &vi, &reqs, respond);
                }
                match path.as_str() {
                    "/sdapi/v1/sd-models" => respond(
                        req,
                        200,
                        json!([{"title": "v1-5-pruned-emaonly.safetensors [6ce0161689]", "model_name": "v1-5-pruned-emaonly", "hash": "6ce0161689"}]),
                        &[],
                    ),
                    "/sdapi/v1/samplers" => respond(
                        req,
                        200,
                        json!(
                            SAMPLERS
                                .iter()
                                .map(|s| json!({"name": s, "aliases": [], "options": {}}))
                                .collect::<Vec<_>>()
                        ),
                        &[],
                    ),
                    "/sdapi/v1/loras" => respond(
                        req,
                        200,
                        json!([{"name": "pip_the_fox_v2", "alias": "pip_the_fox_v2", "path": "models/Lora/pip_the_fox_v2.safetensors", "metadata": {}}]),
                        &[],
                    ),
                    "/sdapi/v1/upscalers" => {
                        respond(req, 200, json!([{"name": "None"}, {"name": "Lanczos"}, {"name": "R-ESRGAN 4x+"}]), &[])
                    }
                    "/sdapi/v1/schedulers" => respond(
                        req,
                        200,
                        json!([{"name": "automatic", "label": "Automatic"}, {"name": "karras", "label": "Karras"}]),
                        &[],
                    ),
                    "/sdapi/v1/progress" if sc.in_flight.load(Ordering::SeqCst) > 0 => {
                        sc.progress_polls.fetch_add(1, Ordering::SeqCst);
                        respond(
                            req,
                            200,
                            json!({"progress": 0.5, "eta_relative": 1.0, "state": {"sampling_step": 10, "sampling_steps": 20, "interrupted": false}, "current_image": null, "textinfo": null}),
                            &[],
                        )
                    }
                    "/sdapi/v1/progress" => respond(req, 200, json!({"progress": 0.0, "state": {}}), &[]),
                    "/sdapi/v1/interrupt" => {
                        if sc.in_flight.load(Ordering::SeqCst) > 0 {
                            sc.interrupts.fetch_add(1, Ordering::SeqCst);
                        }
                        respond(req, 200, json!({}), &[])
                    }
                    "/controlnet/version" if sc.controlnet => respond(req, 200, json!({"version": 3}), &[]),
                    "/controlnet/model_list" if sc.controlnet => {
                        respond(req, 200, json!({"model_list": CN_MODELS}), &[])
                    }
                    "/controlnet/module_list" if sc.controlnet => {
                        respond(req, 200, json!({"module_list": ["none", "canny", "openpose", "reference_only"]}), &[])
                    }
                    "/sdapi/v1/txt2img" | "/sdapi/v1/img2img" => {
                        let n = gens.fetch_add(1, Ordering::SeqCst);
                        if sc.die_after.is_some_and(|d| n >= d) {
                            // A dead server: drop the connection without an answer.
                            drop(req);
                            return;
                        }
                        let v: Value = match serde_json::from_str(&body) {
                            Ok(v) => v,
                            Err(e) => {
                                vi.lock().unwrap().push(format!("body is not JSON: {e}"));
                                return respond(
                                    req,
                                    422,
                                    json!({"error": "RequestValidationError", "detail": "bad json"}),
                                    &[],
                                );
                            }
                        };
                        reqs.lock().unwrap().push((path.clone(), v.clone()));
                        let mut problems = Vec::new();
                        check_types(&v, &mut problems);
                        if path.ends_with("img2img") && v["init_images"].as_array().is_none_or(|a| a.is_empty()) {
                            return respond(
                                req,
                                404,
                                json!({"error": "HTTPException", "detail": "Init image not found"}),
                                &[],
                            );
                        }
                        if v.get("alwayson_scripts").is_some() && !sc.controlnet {
                            return respond(
                                req,
                                422,
                                json!({"error": "RuntimeError", "detail": "always on script controlnet not found"}),
                                &[],
                            );
                        }
                        if !problems.is_empty() {
                            vi.lock().unwrap().extend(problems.clone());
                            return respond(
                                req,
                                422,
                                json!({"error": "RequestValidationError", "detail": problems.join("; ")}),
                                &[],
                            );
                        }
                        let delay = sc.delay_ms.load(Ordering::SeqCst);
                        if delay > 0 {
                            sc.in_flight.fetch_add(1, Ordering::SeqCst);
                            // A real server returns early once interrupted.
                            let until = std::time::Instant::now() + Duration::from_millis(delay as u64);
                            while std::time::Instant::now() < until && sc.interrupts.load(Ordering::SeqCst) == 0 {
                                std::thread::sleep(Duration::from_millis(10));
                            }
                            sc.in_flight.fetch_sub(1, Ordering::SeqCst);
                        }
                        if sc.fail_500_times.load(Ordering::SeqCst) > 0 {
                            sc.fail_500_times.fetch_sub(1, Ordering::SeqCst);
                            return respond(
                                req,
                                500,
                                json!({"error": "OutOfMemoryError", "detail": "CUDA out of memory", "body": "", "errors": ""}),
                                &[],
                            );
                        }
                        if sc.rate_limit_times.load(Ordering::SeqCst) > 0 {
                            sc.rate_limit_times.fetch_sub(1, Ordering::SeqCst);
                            let after = sc.retry_after.lock().unwrap().clone().unwrap_or_else(|| "1".into());
                            return respond(
                                req,
                                429,
                                json!({"detail": "Too Many Requests"}),
                                &[("Retry-After", &after)],
                            );
                        }
                        let (w, h) =
                            (v["width"].as_u64().unwrap_or(64) as u32, v["height"].as_u64().unwrap_or(64) as u32);
                        let (w, h) = if sc.wrong_size.load(Ordering::SeqCst) { (w / 2, h / 2) } else { (w, h) };
                        // Hires fix returns the upscaled size.
                        let scale = if v["enable_hr"] == true { v["hr_scale"].as_f64().unwrap_or(2.0) } else { 1.0 };
                        let (w, h) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
                        let seed = v["seed"].as_i64().filter(|s| *s >= 0).unwrap_or(1234);
                        let params = format!(
                            "{}\nSteps: {}, Sampler: {}, CFG scale: {}, Seed: {seed}, Size: {w}x{h}, Model: v1-5-pruned-emaonly",
                            v["prompt"].as_str().unwrap_or(""),
                            v["steps"],
                            v["sampler_name"].as_str().unwrap_or(""),
                            v["cfg_scale"]
                        );
                        let mut image = png(w, h, [(seed % 200) as u8 + 30, 90, 140], &params);
                        if sc.truncated_image.load(Ordering::SeqCst) {
                            image.truncate(image.len() / 2);
                        }
                        let mut images = vec![base64::engine::general_purpose::STANDARD.encode(&image)];
                        if v.get("alwayson_scripts").is_some() {
                            // ControlNet appends its detected maps after the results.
                            images.push(base64::engine::general_purpose::STANDARD.encode(png(w, h, [0, 0, 0], "")));
                        }
                        let info = json!({"seed": seed, "all_seeds": [seed], "index_of_first_image": 0, "prompt": v["prompt"], "width": w, "height": h}).to_string();
                        respond(req, 200, json!({"images": images, "parameters": v, "info": info}), &[]);
                    }
                    _ => respond(req, 404, json!({"detail": "Not Found"}), &[]),
                }
            });
        }
    });
    Server { url: format!("http://127.0.0.1:{port}"), script, violations, generations, requests, server }
}

/// The routes of a stable-diffusion.cpp sd-server, answering as the real one did.
fn sdcpp(
    req: tiny_http::Request,
    path: &str,
    body: &str,
    sc: &Script,
    vi: &Mutex<Vec<String>>,
    reqs: &Mutex<Vec<(String, Value)>>,
    respond: impl Fn(tiny_http::Request, u16, Value, &[(&str, &str)]),
) {
    let samplers = recorded("sdserver_sdapi_v1_samplers.json");
    match path {
        "/sdcpp/v1/capabilities" => respond(req, 200, recorded("sdserver_sdcpp_v1_capabilities.json"), &[]),
        "/sdapi/v1/samplers" => respond(req, 200, samplers, &[]),
        "/sdapi/v1/sd-models" => respond(req, 200, recorded("sdserver_sdapi_v1_sd_models.json"), &[]),
        "/sdapi/v1/schedulers" => respond(req, 200, recorded("sdserver_sdapi_v1_schedulers.json"), &[]),
        "/sdapi/v1/loras" => respond(req, 200, recorded("sdserver_sdapi_v1_loras.json"), &[]),
        "/sdapi/v1/upscalers" => respond(req, 200, recorded("sdserver_sdapi_v1_upscalers.json"), &[]),
        "/sdcpp/v1/img_gen" => {
            let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
            reqs.lock().unwrap().push((path.to_string(), v.clone()));
            let method = v["sample_params"]["sample_method"].as_str().unwrap_or("");
            if !samplers.as_array().unwrap().iter().any(|s| s["name"] == method) {
                vi.lock().unwrap().push(format!("sampler {method:?} is not the server's: it falls back to euler_a"));
            }
            if !v["seed"].is_i64() || !v["sample_params"]["sample_steps"].is_u64() || !v["prompt"].is_string() {
                vi.lock().unwrap().push(format!("malformed img_gen body: {v}"));
            }
            let mut jobs = sc.jobs.lock().unwrap();
            let id = format!("job_6b0b6579_{:08}", jobs.len());
            jobs.push(SdJob { id: id.clone(), status: "queued".into(), polls: 0, body: v });
            respond(
                req,
                202,
                json!({"created": 1795908985, "id": id, "kind": "img_gen", "poll_url": format!("/sdcpp/v1/jobs/{id}"), "status": "queued"}),
                &[],
            )
        }
        p if p.starts_with("/sdcpp/v1/jobs/") => {
            let rest = &p["/sdcpp/v1/jobs/".len()..];
            let (id, cancel) = match rest.strip_suffix("/cancel") {
                Some(id) => (id, true),
                None => (rest, false),
            };
            let mut jobs = sc.jobs.lock().unwrap();
            let Some(job) = jobs.iter_mut().find(|j| j.id == id) else {
                return respond(req, 404, json!({"error": "job not found"}), &[]);
            };
            if cancel {
                if !req.headers().iter().any(|h| h.field.equiv("Content-Length")) {
                    // cpp-httplib reads a POST without a length until its 5 s read timeout.
                    vi.lock()
                        .unwrap()
                        .push(format!("cancel of {id} without Content-Length: the real server answers after 5 s"));
                }
                if job.status == "generating" {
                    return respond(
                        req,
                        409,
                        json!({"error": "job is currently generating and cannot be interrupted yet"}),
                        &[],
                    );
                }
                job.status = "cancelled".into();
                return respond(
                    req,
                    200,
                    json!({"id": id, "status": "cancelled", "error": {"code": "cancelled", "message": "job cancelled by client"}}),
                    &[],
                );
            }
            job.polls += 1;
            job.status = match (job.status.as_str(), job.polls) {
                ("cancelled", _) => "cancelled".into(),
                (_, 1) => "queued".into(),
                (_, n) if n <= 1 + sc.generating_polls => "generating".into(),
                _ => "completed".into(),
            };
            let b = &job.body;
            let result = (job.status == "completed").then(|| {
                let (w, h) = (b["width"].as_u64().unwrap_or(64) as u32, b["height"].as_u64().unwrap_or(64) as u32);
                let params = format!(
                    "{}\nSteps: {}, CFG scale: {:.6}, Seed: {}, Size: {w}x{h}, Model: random-sd15.safetensors, Sampler: {}, Version: stable-diffusion.cpp",
                    b["prompt"].as_str().unwrap_or(""),
                    b["sample_params"]["sample_steps"],
                    b["sample_params"]["guidance"]["txt_cfg"].as_f64().unwrap_or(7.0),
                    b["seed"],
                    b["sample_params"]["sample_method"].as_str().unwrap_or("")
                );
                json!({"images": [{"b64_json": base64::engine::general_purpose::STANDARD.encode(png(w, h, [90, 90, 90], &params)), "index": 0}], "output_format": "png"})
            });
            respond(
                req,
                200,
                json!({"id": id, "kind": "img_gen", "status": job.status, "queue_position": if job.status == "queued" { 1 } else { 0 }, "result": result, "error": null}),
                &[],
            )
        }
        // sd-server has neither: recorded as 404s.
        _ => respond(req, 404, json!({"error": "not found"}), &[]),
    }
}
