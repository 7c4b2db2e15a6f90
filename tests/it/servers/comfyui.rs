//! A recorded-protocol ComfyUI server: the routes genpath uses, answering
//! as ComfyUI 0.3.64 answered (`tests/fixtures/peers/`), and validating
//! requests as the real server does. It keeps a queue of jobs that run one
//! at a time, pushes websocket messages to the client that queued a job, and
//! records what a well-behaved client must not do as violations (a global
//! interrupt, an unfilled placeholder, a LoadImage of a file never uploaded).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

use super::png;

/// The `/object_info` entries of the classes genpath's graphs use, as the
/// real server answered them.
pub const OBJECT_INFO: &str = include_str!("../../fixtures/comfyui/object_info.json");

pub const CHECKPOINTS: &[&str] = &["v1-5-pruned-emaonly.safetensors"];

#[derive(Debug, Clone, PartialEq)]
pub enum State {
    Pending,
    Running,
    Done,
    Deleted,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: String,
    pub number: u64,
    pub client_id: String,
    pub graph: Value,
    pub extra: Value,
    pub state: State,
}

type Ws = tungstenite::WebSocket<Box<dyn tiny_http::ReadWrite + Send>>;

#[derive(Default)]
pub struct Shared {
    pub violations: Vec<String>,
    pub log: Vec<(String, String)>,
    /// Uploaded files by name (the latest bytes, as `overwrite` does).
    pub uploads: BTreeMap<String, Vec<u8>>,
    pub jobs: Vec<Job>,
    /// Another client's job holds the sampler until `release_other`.
    pub other_running: bool,
    pub interrupts: Vec<Value>,
    sockets: Vec<(String, Arc<Mutex<Ws>>)>,
}

pub struct Server {
    pub url: String,
    pub state: Arc<Mutex<Shared>>,
    server: Arc<tiny_http::Server>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

impl Server {
    pub fn violations(&self) -> Vec<String> {
        self.state.lock().unwrap().violations.clone()
    }
    pub fn log(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().log.clone()
    }
    pub fn jobs(&self) -> Vec<Job> {
        self.state.lock().unwrap().jobs.clone()
    }
    /// Put another client's long job in the running slot.
    pub fn occupy(&self) {
        self.state.lock().unwrap().other_running = true;
    }
}

fn json_reply(code: u16, v: Value) -> (u16, Vec<u8>, &'static str) {
    (code, v.to_string().into_bytes(), "application/json")
}

/// The bytes of the multipart part named `name`.
fn part<'a>(body: &'a [u8], ctype: &str, name: &str) -> Option<&'a [u8]> {
    let boundary = ctype.split("boundary=").nth(1)?.trim_matches('"');
    let sep = format!("--{boundary}");
    let text = body;
    let mut start = 0;
    while let Some(i) = find(&text[start..], sep.as_bytes()) {
        let at = start + i + sep.len();
        let head_end = find(&text[at..], b"\r\n\r\n")? + at;
        let head = String::from_utf8_lossy(&text[at..head_end]);
        let next = find(&text[head_end..], sep.as_bytes()).map(|j| head_end + j)?;
        if head.contains(&format!("name=\"{name}\"")) {
            return Some(&text[head_end + 4..next - 2]);
        }
        start = next;
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn send(ws: &Arc<Mutex<Ws>>, v: Value) {
    let _ = ws.lock().unwrap().send(tungstenite::Message::text(v.to_string()));
}

/// Run a job: step messages over the websocket of its client, then done.
fn run(state: Arc<Mutex<Shared>>, id: String) {
    std::thread::spawn(move || {
        // Wait for the sampler: another client's job, or an earlier one of ours.
        loop {
            {
                let mut s = state.lock().unwrap();
                let first_pending = s.jobs.iter().find(|j| j.state == State::Pending).map(|j| j.id.clone());
                let busy = s.other_running || s.jobs.iter().any(|j| j.state == State::Running);
                let me = s.jobs.iter().find(|j| j.id == id).map(|j| j.state.clone());
                if me != Some(State::Pending) {
                    return; // deleted from the queue
                }
                if !busy && first_pending.as_deref() == Some(id.as_str()) {
                    s.jobs.iter_mut().find(|j| j.id == id).unwrap().state = State::Running;
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let (client, steps) = {
            let s = state.lock().unwrap();
            let j = s.jobs.iter().find(|j| j.id == id).unwrap();
            let steps = j
                .graph
                .as_object()
                .and_then(|o| o.values().find(|n| n["class_type"] == "KSampler"))
                .and_then(|n| n["inputs"]["steps"].as_u64())
                .unwrap_or(1);
            (j.client_id.clone(), steps)
        };
        let socket = || state.lock().unwrap().sockets.iter().find(|(c, _)| *c == client).map(|(_, w)| Arc::clone(w));
        if let Some(ws) = socket() {
            send(&ws, json!({"type": "execution_start", "data": {"prompt_id": id, "timestamp": 1}}));
            send(&ws, json!({"type": "executing", "data": {"node": "3", "display_node": "3", "prompt_id": id}}));
        }
        for i in 1..=steps {
            std::thread::sleep(Duration::from_millis(5));
            if let Some(ws) = socket() {
                send(
                    &ws,
                    json!({"type": "progress", "data": {"value": i, "max": steps, "prompt_id": id, "node": "3"}}),
                );
            }
        }
        state.lock().unwrap().jobs.iter_mut().find(|j| j.id == id).unwrap().state = State::Done;
        if let Some(ws) = socket() {
            send(&ws, json!({"type": "executing", "data": {"node": null, "prompt_id": id}}));
            send(&ws, json!({"type": "execution_success", "data": {"prompt_id": id, "timestamp": 2}}));
        }
    });
}

fn validate_prompt(s: &mut Shared, req: &Value) -> Result<(), (u16, Vec<u8>, &'static str)> {
    if !req["client_id"].is_string() {
        s.violations.push("no client_id".into());
    }
    let info: Value = serde_json::from_str(OBJECT_INFO).unwrap();
    let Some(nodes) = req["prompt"].as_object() else {
        return Err(json_reply(
            400,
            json!({"error": {"type": "no_prompt", "message": "No prompt provided", "details": "No prompt provided", "extra_info": {}}, "node_errors": {}}),
        ));
    };
    for (id, n) in nodes {
        let class = n["class_type"].as_str().unwrap_or("");
        if info.get(class).is_none() {
            return Err(json_reply(
                400,
                json!({"error": {"type": "invalid_prompt", "message": format!("Cannot execute because node {class} does not exist."), "details": format!("Node ID '#{id}'"), "extra_info": {}}, "node_errors": {}}),
            ));
        }
        for (k, val) in n["inputs"].as_object().into_iter().flatten() {
            if let Some(link) = val.as_array()
                && link.len() == 2
                && link[0].is_string()
                && !nodes.contains_key(link[0].as_str().unwrap())
            {
                s.violations.push(format!("node {id}.{k} links to a missing node"));
            }
            if let Some(t) = val.as_str()
                && t.contains("{{")
            {
                s.violations.push(format!("node {id}.{k} has an unfilled placeholder {t}"));
            }
            if let Some(f) = val.as_f64()
                && val.is_f64()
                && f.to_string().len() > 8
            {
                s.violations.push(format!("node {id}.{k} = {f}: a float widened from f32"));
            }
        }
        if class == "KSampler"
            && !(n["inputs"]["seed"].is_i64() && n["inputs"]["steps"].is_u64() && n["inputs"]["cfg"].is_number())
        {
            s.violations.push("KSampler seed/steps/cfg have the wrong types".into());
        }
        if (class == "LoadImage" || class == "LoadImageMask")
            && !n["inputs"]["image"].as_str().is_some_and(|name| s.uploads.contains_key(name))
        {
            s.violations.push(format!("{class} names an image that was not uploaded"));
        }
        if class == "CheckpointLoaderSimple" {
            let ck = n["inputs"]["ckpt_name"].as_str().unwrap_or("");
            if !CHECKPOINTS.contains(&ck) {
                return Err(json_reply(
                    400,
                    json!({"error": {"type": "prompt_outputs_failed_validation", "message": "Prompt outputs failed validation", "details": "", "extra_info": {}},
                    "node_errors": {id: {"errors": [{"type": "value_not_in_list", "message": "Value not in list", "details": format!("ckpt_name: '{ck}' not in {:?}", CHECKPOINTS), "extra_info": {}}], "dependent_outputs": ["9"], "class_type": "CheckpointLoaderSimple"}}}),
                ));
            }
        }
    }
    if !nodes.values().any(|n| n["class_type"] == "SaveImage") {
        return Err(json_reply(
            400,
            json!({"error": {"type": "prompt_no_outputs", "message": "Prompt has no outputs", "details": "", "extra_info": {}}, "node_errors": {}}),
        ));
    }
    Ok(())
}

fn queue_entry(j: &Job) -> Value {
    json!([j.number, j.id, j.graph, {"client_id": j.client_id}, ["9"]])
}

fn handle(
    state: &Arc<Mutex<Shared>>,
    method: &str,
    url: &str,
    ctype: &str,
    body: &[u8],
) -> (u16, Vec<u8>, &'static str) {
    let path = url.split('?').next().unwrap_or("");
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let mut s = state.lock().unwrap();
    match (method, path) {
        ("POST", "/upload/image") => {
            if !ctype.starts_with("multipart/form-data") {
                s.violations.push("upload is not multipart".into());
                return json_reply(400, json!({}));
            }
            let text = String::from_utf8_lossy(body).into_owned();
            let name = text.split("filename=\"").nth(1).and_then(|r| r.split('"').next()).unwrap_or("x.png");
            let Some(bytes) = part(body, ctype, "image") else {
                s.violations.push("upload has no `image` part".into());
                return json_reply(400, json!({}));
            };
            s.uploads.insert(name.to_string(), bytes.to_vec());
            json_reply(200, json!({"name": name, "subfolder": "", "type": "input"}))
        }
        ("POST", "/prompt") => {
            let Ok(req) = serde_json::from_slice::<Value>(body) else {
                s.violations.push("/prompt body is not JSON".into());
                return json_reply(400, json!({}));
            };
            if let Err(reply) = validate_prompt(&mut s, &req) {
                return reply;
            }
            let number = s.jobs.len() as u64;
            let id = format!("p-{}", number + 1);
            s.jobs.push(Job {
                id: id.clone(),
                number,
                client_id: req["client_id"].as_str().unwrap_or("").to_string(),
                graph: req["prompt"].clone(),
                extra: req["extra_data"].clone(),
                state: State::Pending,
            });
            drop(s);
            run(Arc::clone(state), id.clone());
            json_reply(200, json!({"prompt_id": id, "number": number, "node_errors": {}}))
        }
        ("GET", "/queue") => {
            let mut running: Vec<Value> =
                s.jobs.iter().filter(|j| j.state == State::Running).map(queue_entry).collect();
            if s.other_running {
                running.push(json!([999, "someone-else", {}, {"client_id": "another-client"}, ["9"]]));
            }
            let pending: Vec<Value> = s.jobs.iter().filter(|j| j.state == State::Pending).map(queue_entry).collect();
            json_reply(200, json!({"queue_running": running, "queue_pending": pending}))
        }
        ("POST", "/queue") => {
            let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            for id in req["delete"].as_array().into_iter().flatten() {
                if let Some(j) = s.jobs.iter_mut().find(|j| *id == json!(j.id) && j.state == State::Pending) {
                    j.state = State::Deleted;
                }
            }
            (200, Vec::new(), "application/json")
        }
        ("POST", "/interrupt") => {
            let req: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            s.interrupts.push(req.clone());
            match req["prompt_id"].as_str() {
                // ComfyUI 0.3.64: a targeted interrupt stops the prompt only if it is the one running.
                Some(id) => {
                    if let Some(j) = s.jobs.iter_mut().find(|j| j.id == id && j.state == State::Running) {
                        j.state = State::Done;
                    }
                }
                None => {
                    if s.other_running {
                        s.violations.push("a global /interrupt stopped another client's job".into());
                        s.other_running = false;
                    }
                }
            }
            (200, Vec::new(), "application/json")
        }
        ("GET", p) if p.starts_with("/history/") => {
            let id = &p["/history/".len()..];
            match s.jobs.iter().find(|j| j.id == id && j.state == State::Done) {
                Some(j) => json_reply(
                    200,
                    json!({id: {"prompt": queue_entry(j), "outputs": {"9": {"images": [{"filename": format!("genpath_{:05}_.png", j.number + 1), "subfolder": "", "type": "output"}]}},
                    "status": {"status_str": "success", "completed": true, "messages": [["execution_start", {"prompt_id": id}], ["execution_success", {"prompt_id": id}]]}}}),
                ),
                None => json_reply(200, json!({})),
            }
        }
        ("GET", "/system_stats") => json_reply(
            200,
            json!({"system": {"os": "posix", "comfyui_version": "0.3.64", "python_version": "3.11"}, "devices": [{"name": "cpu", "type": "cpu"}]}),
        ),
        ("GET", "/object_info") => json_reply(200, serde_json::from_str(OBJECT_INFO).unwrap()),
        ("GET", p) if p.starts_with("/object_info/") => {
            let class = &p["/object_info/".len()..];
            let info: Value = serde_json::from_str(OBJECT_INFO).unwrap();
            match info.get(class) {
                Some(v) => json_reply(200, json!({ class: v })),
                None => json_reply(200, json!({})),
            }
        }
        ("GET", "/view") => {
            let file = query.split('&').find_map(|kv| kv.strip_prefix("filename=")).unwrap_or("");
            let Some(j) = s.jobs.iter().find(|j| format!("genpath_{:05}_.png", j.number + 1) == file) else {
                return (404, b"404: Not Found".to_vec(), "text/plain");
            };
            let size = j.graph.as_object().and_then(|o| {
                o.values().find(|n| n["class_type"] == "EmptyLatentImage").map(|n| {
                    (
                        n["inputs"]["width"].as_u64().unwrap_or(64) as u32,
                        n["inputs"]["height"].as_u64().unwrap_or(64) as u32,
                    )
                })
            });
            let (w, h) = size.unwrap_or((64, 64));
            // A hires pass upscales the latent before the decode.
            let scale = j
                .graph
                .as_object()
                .and_then(|o| o.values().find(|n| n["class_type"] == "LatentUpscaleBy"))
                .and_then(|n| n["inputs"]["scale_by"].as_f64())
                .unwrap_or(1.0);
            let (w, h) = ((f64::from(w) * scale).round() as u32, (f64::from(h) * scale).round() as u32);
            // SaveImage writes the API graph as `prompt` and each extra_pnginfo key as its own chunk.
            let mut chunks = vec![("prompt".to_string(), j.graph.to_string())];
            for (k, v) in j.extra["extra_pnginfo"].as_object().into_iter().flatten() {
                chunks.push((k.clone(), v.to_string()));
            }
            let refs: Vec<(&str, &str)> = chunks.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            (200, png(w, h, &refs), "image/png")
        }
        _ => (404, b"404: Not Found".to_vec(), "text/plain"),
    }
}

/// Accept a websocket upgrade at `/ws?clientId=…`.
fn upgrade(state: &Arc<Mutex<Shared>>, req: tiny_http::Request) {
    let client = req.url().split("clientId=").nth(1).unwrap_or("").to_string();
    let key = req.headers().iter().find(|h| h.field.equiv("Sec-WebSocket-Key")).map(|h| h.value.to_string());
    let Some(key) = key else {
        let _ = req.respond(tiny_http::Response::empty(400));
        return;
    };
    let accept = tungstenite::handshake::derive_accept_key(key.as_bytes());
    let response = tiny_http::Response::empty(101)
        .with_header(tiny_http::Header::from_bytes("Upgrade", "websocket").unwrap())
        .with_header(tiny_http::Header::from_bytes("Connection", "Upgrade").unwrap())
        .with_header(tiny_http::Header::from_bytes("Sec-WebSocket-Accept", accept).unwrap());
    let stream = req.upgrade("websocket", response);
    let ws = tungstenite::WebSocket::from_raw_socket(stream, tungstenite::protocol::Role::Server, None);
    let ws = Arc::new(Mutex::new(ws));
    // ComfyUI greets a new socket with the queue status and the session id.
    send(&ws, json!({"type": "status", "data": {"status": {"exec_info": {"queue_remaining": 0}}, "sid": client}}));
    state.lock().unwrap().sockets.push((client, ws));
}

pub fn comfy() -> Server {
    let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let port = server.server_addr().to_ip().unwrap().port();
    let state = Arc::new(Mutex::new(Shared::default()));
    let (srv, st) = (Arc::clone(&server), Arc::clone(&state));
    std::thread::spawn(move || {
        for mut req in srv.incoming_requests() {
            if req.url().starts_with("/ws") {
                upgrade(&st, req);
                continue;
            }
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
            st.lock().unwrap().log.push((format!("{method} {url}"), String::from_utf8_lossy(&body).into_owned()));
            let (code, out, ct) = handle(&st, &method, &url, &ctype, &body);
            let mut r = tiny_http::Response::from_data(out).with_status_code(code);
            r.add_header(tiny_http::Header::from_bytes("Content-Type", ct).unwrap());
            let _ = req.respond(r);
        }
    });
    Server { url: format!("http://127.0.0.1:{port}"), state, server }
}
