//! Recorded-protocol ComfyUI and OpenAI Images servers for tests, validating
//! requests as documented (a malformed request is recorded as a violation).
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Value, json};

pub struct Server {
    pub url: String,
    pub violations: Arc<Mutex<Vec<String>>>,
    pub log: Arc<Mutex<Vec<(String, String)>>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn png(w: u32, h: u32, chunks: &[(&str, &str)]) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(w, h, image::Rgb([120, 80, 40]));
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, w, h);
        enc.set_color(png::ColorType::Rgb);
        for (k, v) in chunks {
            enc.add_text_chunk(k.to_string(), v.to_string()).unwrap();
        }
        let mut wr = enc.write_header().unwrap();
        wr.write_image_data(img.as_raw()).unwrap();
    }
    out
}

fn reply(req: tiny_http::Request, code: u16, body: Vec<u8>, content_type: &str) {
    let mut r = tiny_http::Response::from_data(body).with_status_code(code);
    r.add_header(tiny_http::Header::from_bytes("Content-Type", content_type).unwrap());
    let _ = req.respond(r);
}

fn serve(
    handler: impl Fn(&str, &str, &str, &[u8], &tiny_http::Request) -> (u16, Vec<u8>, &'static str) + Send + Sync + 'static,
) -> Server {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let handler = Arc::new(handler);
    let log = Arc::new(Mutex::new(Vec::new()));
    let (s, l) = (Arc::clone(&server), Arc::clone(&log));
    std::thread::spawn(move || {
        for mut req in s.incoming_requests() {
            let mut body = Vec::new();
            let _ = req.as_reader().read_to_end(&mut body);
            let method = req.method().to_string();
            let url = req.url().to_string();
            let ctype = req
                .headers()
                .iter()
                .find(|h| h.field.equiv("Content-Type"))
                .map(|h| h.value.to_string())
                .unwrap_or_default();
            l.lock().unwrap().push((format!("{method} {url}"), String::from_utf8_lossy(&body).into_owned()));
            let (code, out, ct) = handler(&method, &url, &ctype, &body, &req);
            reply(req, code, out, ct);
        }
    });
    Server { url: format!("http://127.0.0.1:{port}"), violations: Arc::new(Mutex::new(Vec::new())), log, server }
}

pub const CHECKPOINTS: &[&str] = &["v1-5-pruned-emaonly.safetensors"];

pub fn comfy() -> Server {
    let violations: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let uploaded: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let polls = Arc::new(AtomicUsize::new(0));
    let last_graph: Arc<Mutex<Value>> = Arc::new(Mutex::new(Value::Null));
    let (v, up, pl, lg) = (Arc::clone(&violations), Arc::clone(&uploaded), Arc::clone(&polls), Arc::clone(&last_graph));
    let mut s = serve(move |method, url, ctype, body, _req| {
        let path = url.split('?').next().unwrap_or("");
        match (method, path) {
            ("POST", "/upload/image") => {
                let text = String::from_utf8_lossy(body);
                if !ctype.starts_with("multipart/form-data") || !text.contains("name=\"image\"") {
                    v.lock().unwrap().push("upload is not multipart with an `image` part".into());
                    return (400, b"{}".to_vec(), "application/json");
                }
                let name =
                    text.split("filename=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("x.png").to_string();
                up.lock().unwrap().push(name.clone());
                (
                    200,
                    json!({"name": name, "subfolder": "", "type": "input"}).to_string().into_bytes(),
                    "application/json",
                )
            }
            ("POST", "/prompt") => {
                let req: Value = match serde_json::from_slice(body) {
                    Ok(x) => x,
                    Err(_) => {
                        v.lock().unwrap().push("/prompt body is not JSON".into());
                        return (400, b"{}".to_vec(), "application/json");
                    }
                };
                if !req["client_id"].is_string() {
                    v.lock().unwrap().push("no client_id".into());
                }
                let graph = &req["prompt"];
                let Some(nodes) = graph.as_object() else {
                    return (
                        400,
                        json!({"error": {"type": "no_prompt", "message": "No prompt provided"}, "node_errors": {}})
                            .to_string()
                            .into_bytes(),
                        "application/json",
                    );
                };
                for (id, n) in nodes {
                    if !n["class_type"].is_string() || !n["inputs"].is_object() {
                        v.lock().unwrap().push(format!("node {id} lacks class_type/inputs"));
                    }
                    for (k, val) in n["inputs"].as_object().into_iter().flatten() {
                        if let Some(link) = val.as_array()
                            && link.len() == 2
                            && link[0].is_string()
                            && !nodes.contains_key(link[0].as_str().unwrap())
                        {
                            v.lock().unwrap().push(format!("node {id}.{k} links to a missing node"));
                        }
                        if let Some(s) = val.as_str()
                            && s.contains("{{")
                        {
                            v.lock().unwrap().push(format!("node {id}.{k} has an unfilled placeholder {s}"));
                        }
                    }
                    if n["class_type"] == "KSampler"
                        && !(n["inputs"]["seed"].is_i64()
                            && n["inputs"]["steps"].is_u64()
                            && n["inputs"]["cfg"].is_number())
                    {
                        v.lock().unwrap().push("KSampler seed/steps/cfg have the wrong types".into());
                    }
                    if n["class_type"] == "LoadImage"
                        && !up.lock().unwrap().iter().any(|u| n["inputs"]["image"] == json!(u))
                    {
                        v.lock().unwrap().push("LoadImage names an image that was not uploaded".into());
                    }
                    if n["class_type"] == "CheckpointLoaderSimple" {
                        let ck = n["inputs"]["ckpt_name"].as_str().unwrap_or("");
                        if !CHECKPOINTS.contains(&ck) {
                            let err = json!({"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                                "node_errors": {id: {"errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": format!("ckpt_name: '{ck}' not in {:?}", CHECKPOINTS), "extra_info": {}}], "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}});
                            return (400, err.to_string().into_bytes(), "application/json");
                        }
                    }
                }
                if !nodes.values().any(|n| n["class_type"] == "SaveImage") {
                    return (400, json!({"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs"}, "node_errors": {}}).to_string().into_bytes(), "application/json");
                }
                *lg.lock().unwrap() = graph.clone();
                (
                    200,
                    json!({"prompt_id": "p-1", "number": 1, "node_errors": {}}).to_string().into_bytes(),
                    "application/json",
                )
            }
            ("GET", "/history/p-1") => {
                // Not done on the first poll.
                if pl.fetch_add(1, Ordering::SeqCst) == 0 {
                    return (200, b"{}".to_vec(), "application/json");
                }
                let h = json!({"p-1": {"prompt": [1, "p-1", {}, {}, ["9"]], "outputs": {"9": {"images": [{"filename": "genpath_00001_.png", "subfolder": "", "type": "output"}]}},
                    "status": {"status_str": "success", "completed": true, "messages": []}}});
                (200, h.to_string().into_bytes(), "application/json")
            }
            ("GET", "/system_stats") => (200, json!({"system": {"os": "posix", "comfyui_version": "0.3.40", "python_version": "3.11"}, "devices": [{"name": "cuda:0 NVIDIA RTX 4090", "type": "cuda"}]}).to_string().into_bytes(), "application/json"),
            ("GET", "/object_info/CheckpointLoaderSimple") => (200, json!({"CheckpointLoaderSimple": {"input": {"required": {"ckpt_name": [CHECKPOINTS, {}]}}}}).to_string().into_bytes(), "application/json"),
            ("GET", "/object_info/KSampler") => (200, json!({"KSampler": {"input": {"required": {"sampler_name": [["euler", "euler_ancestral", "dpmpp_2m"], {}]}}}}).to_string().into_bytes(), "application/json"),
            ("GET", "/view") => {
                let g = lg.lock().unwrap().clone();
                let size = g.as_object().and_then(|o| {
                    o.values().find(|n| n["class_type"] == "EmptyLatentImage").map(|n| {
                        (
                            n["inputs"]["width"].as_u64().unwrap_or(64) as u32,
                            n["inputs"]["height"].as_u64().unwrap_or(64) as u32,
                        )
                    })
                });
                let (w, h) = size.unwrap_or((64, 64));
                (200, png(w, h, &[("prompt", &g.to_string())]), "image/png")
            }
            _ => (404, b"{}".to_vec(), "application/json"),
        }
    });
    s.violations = violations;
    s
}

pub fn openai(key: &'static str) -> Server {
    let violations: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let v = Arc::clone(&violations);
    let mut s = serve(move |method, url, ctype, body, req| {
        let authorized =
            req.headers().iter().any(|h| h.field.equiv("Authorization") && h.value.as_str() == format!("Bearer {key}"));
        if !authorized {
            return (401, json!({"error": {"message": "Incorrect API key provided", "type": "invalid_request_error", "code": "invalid_api_key"}}).to_string().into_bytes(), "application/json");
        }
        let image_response = |w: u32, h: u32| {
            let data = base64::engine::general_purpose::STANDARD.encode(png(w, h, &[]));
            json!({"created": 1, "data": [{"b64_json": data}], "usage": {"input_tokens": 50, "output_tokens": 1056, "total_tokens": 1106}}).to_string().into_bytes()
        };
        let size_of = |s: &str| {
            s.split_once('x').map(|(a, b)| (a.parse().unwrap_or(0), b.parse().unwrap_or(0))).unwrap_or((0, 0))
        };
        match (method, url) {
            ("POST", "/v1/images/generations") => {
                let b: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
                let size = b["size"].as_str().unwrap_or("");
                if !b["model"].is_string()
                    || !b["prompt"].is_string()
                    || b["n"] != 1
                    || !["1024x1024", "1536x1024", "1024x1536"].contains(&size)
                {
                    v.lock().unwrap().push(format!("malformed generations request: {b}"));
                    return (
                        400,
                        json!({"error": {"message": "invalid request", "type": "invalid_request_error"}})
                            .to_string()
                            .into_bytes(),
                        "application/json",
                    );
                }
                if b["prompt"].as_str().unwrap_or("").contains("forbidden") {
                    return (400, json!({"error": {"message": "Your request was rejected by the safety system.", "type": "image_generation_user_error", "code": "moderation_blocked"}}).to_string().into_bytes(), "application/json");
                }
                let (w, h) = size_of(size);
                (200, image_response(w, h), "application/json")
            }
            ("GET", "/v1/models") => (
                200,
                json!({"data": [{"id": "gpt-image-1"}, {"id": "gpt-image-1-mini"}, {"id": "gpt-4o"}]})
                    .to_string()
                    .into_bytes(),
                "application/json",
            ),
            ("POST", "/v1/images/edits") => {
                let text = String::from_utf8_lossy(body);
                if !ctype.starts_with("multipart/form-data")
                    || !text.contains("name=\"image[]\"")
                    || !text.contains("name=\"prompt\"")
                {
                    v.lock().unwrap().push("edits is not multipart with image[] and prompt".into());
                    return (400, b"{}".to_vec(), "application/json");
                }
                let size = text
                    .split("name=\"size\"\r\n\r\n")
                    .nth(1)
                    .and_then(|r| r.split("\r\n").next())
                    .unwrap_or("1024x1024");
                let (w, h) = size_of(size);
                (200, image_response(w, h), "application/json")
            }
            _ => (404, b"{}".to_vec(), "application/json"),
        }
    });
    s.violations = violations;
    s
}
