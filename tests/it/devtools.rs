//! A small Chrome DevTools protocol client for tests: headless Chromium
//! with a fresh profile and `--remote-debugging-port=0`, one page driven
//! over the protocol's websocket (`tungstenite`, already genpath's
//! websocket client), `Runtime.evaluate`, and the page's console messages
//! and uncaught exceptions as they arrive.

use std::io::{BufRead, BufReader};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tungstenite::{Message, WebSocket};

/// The Chromium binary on this machine, if any.
pub fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|b| Command::new(b).arg("--version").output().map(|o| o.status.success()).unwrap_or(false))
}

/// Headless, and quiet on this machine's closed network: without the
/// background-networking flags Chromium's own requests are refused many at
/// a time. Every test browser starts with these and a fresh profile.
pub const HEADLESS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
];

/// How long one protocol call may take before the test fails.
const CALL_TIMEOUT: Duration = Duration::from_secs(120);

pub struct Browser {
    child: Child,
    ws: WebSocket<TcpStream>,
    target: Option<Value>,
    session: String,
    next_id: u64,
    /// Every event the page sent so far (`method`, `params`).
    events: Vec<Value>,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Start headless Chromium (no tab followed yet: see `open`).
    pub fn launch(binary: &str) -> Browser {
        let profile = tempfile::tempdir().unwrap();
        let mut child = Command::new(binary)
            .args(HEADLESS)
            .args(["--remote-debugging-port=0", "--window-size=1280,900"])
            .arg(format!("--user-data-dir={}", profile.path().display()))
            .arg("about:blank")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {binary}: {e}"));
        // Chromium prints the browser's websocket address on stderr; the
        // thread keeps draining stderr afterwards so the pipe never fills.
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = Vec::new();
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(url) = line.split("DevTools listening on ").nth(1) {
                    let _ = tx.send(Ok(url.trim().to_string()));
                } else if lines.len() < 50 {
                    lines.push(line);
                }
            }
            let _ = tx.send(Err(lines.join("\n")));
        });
        let url = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(Ok(url)) => url,
            Ok(Err(log)) => panic!("{binary} exited without a DevTools address:\n{log}"),
            Err(_) => panic!("{binary} printed no DevTools address within 60 s"),
        };
        let host = url.trim_start_matches("ws://").split('/').next().unwrap().to_string();
        let stream = TcpStream::connect(&host).unwrap();
        stream.set_read_timeout(Some(CALL_TIMEOUT)).unwrap();
        let (ws, _) = tungstenite::client::client(url.as_str(), stream).unwrap();
        Browser { child, ws, target: None, session: String::new(), next_id: 0, events: Vec::new(), _profile: profile }
    }

    /// Open `url` in a fresh tab (the previous one is closed, so nothing of
    /// it carries over) and follow that tab from now on.
    pub fn open(&mut self, url: &str) {
        self.session.clear();
        if let Some(old) = self.target.take() {
            self.call("Target.closeTarget", json!({ "targetId": old }));
        }
        let target = self.call("Target.createTarget", json!({"url": "about:blank"}))["targetId"].clone();
        let attached = self.call("Target.attachToTarget", json!({"targetId": target, "flatten": true}));
        self.target = Some(target);
        self.session = attached["sessionId"].as_str().unwrap().to_string();
        self.call("Runtime.enable", json!({}));
        self.call("Page.enable", json!({}));
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// One protocol call on the page (or on the browser before a page is
    /// attached); events that arrive meanwhile are kept.
    pub fn call(&mut self, method: &str, params: Value) -> Value {
        self.next_id += 1;
        let id = self.next_id;
        let mut msg = json!({"id": id, "method": method, "params": params});
        if !self.session.is_empty() {
            msg["sessionId"] = json!(self.session);
        }
        self.ws.send(Message::text(msg.to_string())).unwrap();
        let start = Instant::now();
        loop {
            assert!(start.elapsed() < CALL_TIMEOUT, "{method}: no answer from Chromium");
            let text = match self.ws.read().unwrap_or_else(|e| panic!("{method}: DevTools socket: {e}")) {
                Message::Text(t) => t.as_str().to_string(),
                _ => continue,
            };
            let v: Value = serde_json::from_str(&text).unwrap();
            if v["id"] == id {
                if let Some(e) = v.get("error") {
                    panic!("{method} failed: {e}");
                }
                return v["result"].clone();
            }
            if v["method"] == "Page.javascriptDialogOpening" {
                // A page that asks before it is left (unsaved changes) must not hang the test.
                self.next_id += 1;
                let answer = json!({"id": self.next_id, "method": "Page.handleJavaScriptDialog",
                    "params": {"accept": true}, "sessionId": v["sessionId"]});
                self.ws.send(Message::text(answer.to_string())).unwrap();
            }
            if v.get("method").is_some() && v["sessionId"] == self.session.as_str() {
                self.events.push(v);
            }
        }
    }

    /// Evaluate `expr` in the page (promises awaited); the value, or the
    /// exception's description.
    pub fn evaluate(&mut self, expr: &str) -> Result<Value, String> {
        let r = self.call(
            "Runtime.evaluate",
            json!({"expression": expr, "awaitPromise": true, "returnByValue": true, "userGesture": true}),
        );
        if let Some(e) = r.get("exceptionDetails") {
            return Err(e["exception"]["description"].as_str().map_or_else(|| e.to_string(), str::to_string));
        }
        Ok(r["result"]["value"].clone())
    }

    /// Wait until `expr` is true in the page.
    pub fn wait_for(&mut self, expr: &str, within: Duration) {
        let start = Instant::now();
        loop {
            if self.evaluate(expr) == Ok(Value::Bool(true)) {
                return;
            }
            assert!(start.elapsed() < within, "the page never got to `{expr}` within {within:?}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// A mark for `problems_since`.
    pub fn mark(&self) -> usize {
        self.events.len()
    }

    /// Console errors and warnings, failed assertions and uncaught exceptions
    /// the page reported after `mark`, as text.
    pub fn problems_since(&self, mark: usize) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events[mark.min(self.events.len())..] {
            let p = &e["params"];
            match e["method"].as_str() {
                Some("Runtime.consoleAPICalled")
                    if matches!(p["type"].as_str(), Some("error" | "warning" | "assert")) =>
                {
                    let args: Vec<String> = p["args"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(|a| a["value"].as_str().map_or_else(|| a["description"].to_string(), str::to_string))
                        .collect();
                    out.push(format!("console.{}: {}", p["type"].as_str().unwrap_or(""), args.join(" ")));
                }
                Some("Runtime.exceptionThrown") => {
                    let d = &p["exceptionDetails"];
                    let what =
                        d["exception"]["description"].as_str().unwrap_or_else(|| d["text"].as_str().unwrap_or(""));
                    out.push(format!("uncaught: {what}"));
                }
                _ => {}
            }
        }
        out
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
