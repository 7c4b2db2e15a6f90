//! A recorded-protocol OpenAI Images server for tests, validating
//! requests as documented (a malformed request is recorded as a violation).
#![allow(dead_code)]

use std::sync::{Arc, Mutex};

use base64::Engine;
use serde_json::{Value, json};

use super::png;

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
