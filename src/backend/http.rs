//! The HTTP layer every network backend shares: connect and read timeouts,
//! retries with exponential backoff and jitter on 429, 5xx and connection
//! errors (honouring Retry-After), a cap on response size, cancellation
//! between tries, a concurrency limit per backend, and credentials that are
//! never printed: `Auth`'s Debug is redacted and no message includes it.

use std::io::Read;
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use reqwest::blocking::{Client, RequestBuilder};
use reqwest::header::{AUTHORIZATION, RETRY_AFTER};

use super::{BackendError, Progress};

/// Credentials read from the environment variable a backend's config names.
#[derive(Clone, Default)]
pub enum Auth {
    #[default]
    None,
    /// HTTP Basic, from "user:password".
    Basic(String, String),
    /// `Authorization: Bearer …`.
    Bearer(String),
}

impl std::fmt::Debug for Auth {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Auth::None => "Auth::None",
            Auth::Basic(..) => "Auth::Basic([redacted])",
            Auth::Bearer(_) => "Auth::Bearer([redacted])",
        })
    }
}

impl Auth {
    /// Read credentials from the variable `env` names (the value is never echoed).
    pub fn from_env(var: Option<&str>, bearer: bool) -> Result<Auth, BackendError> {
        let Some(var) = var else { return Ok(Auth::None) };
        let value = std::env::var(var).map_err(|_| {
            BackendError::Failed(format!("the environment variable {var} (named by auth_env) is not set"))
        })?;
        if bearer {
            return Ok(Auth::Bearer(value));
        }
        match value.split_once(':') {
            Some((u, p)) => Ok(Auth::Basic(u.to_string(), p.to_string())),
            None => Err(BackendError::Failed(format!("{var} must hold user:password for HTTP Basic auth"))),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Settings {
    pub base_url: String,
    pub connect_timeout: Duration,
    pub timeout: Duration,
    pub retries: u32,
    pub max_response_bytes: u64,
    pub max_concurrent: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            base_url: String::new(),
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(600),
            retries: 3,
            max_response_bytes: 256 * 1024 * 1024,
            max_concurrent: 1,
        }
    }
}

impl Settings {
    /// The settings a backend's `[backends.NAME]` options ask for, over the
    /// defaults (`url` falls back to the tool's usual local address).
    pub fn from_options(o: &crate::config::HttpOptions, default_url: &str) -> Settings {
        let mut s = Settings { base_url: o.url.clone().unwrap_or_else(|| default_url.into()), ..Settings::default() };
        if let Some(t) = o.timeout_s {
            s.timeout = Duration::from_secs(t.max(1));
        }
        if let Some(r) = o.retries {
            s.retries = r.min(10);
        }
        if let Some(c) = o.max_concurrent {
            s.max_concurrent = c.clamp(1, 64);
        }
        s
    }
}

pub struct Http {
    client: Client,
    pub settings: Settings,
    auth: Auth,
    slots: (Mutex<usize>, Condvar),
}

/// A response: status and body.
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

impl Response {
    pub fn json(&self) -> Result<serde_json::Value, BackendError> {
        serde_json::from_slice(&self.body)
            .map_err(|e| BackendError::Failed(format!("the backend answered with something that is not JSON ({e})")))
    }
}

/// Releases a concurrency slot when dropped.
struct Slot<'a>(&'a (Mutex<usize>, Condvar));

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let (m, c) = self.0;
        let mut n = m.lock().unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        c.notify_one();
    }
}

/// A client builder with TLS ready: rustls with the ring provider (reqwest
/// is built without a default provider, so every client is made here).
pub fn client_builder() -> reqwest::blocking::ClientBuilder {
    // An error only says a provider is already installed: keep that one.
    let _ = rustls::crypto::ring::default_provider().install_default();
    Client::builder()
}

/// An error and what caused it (reqwest's own text stops at "error sending
/// request"; the cause — connection refused, an untrusted certificate — is
/// what the user can act on).
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let more = c.to_string();
        if !text.contains(&more) {
            text = format!("{text}: {more}");
        }
        cause = c.source();
    }
    text
}

impl Http {
    pub fn new(settings: Settings, auth: Auth) -> Result<Http, BackendError> {
        let client = client_builder()
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.timeout)
            .build()
            .map_err(|e| BackendError::Failed(format!("cannot set up the HTTP client: {}", with_causes(&e))))?;
        Ok(Http { client, settings, auth, slots: (Mutex::new(0), Condvar::new()) })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.settings.base_url.trim_end_matches('/'), path)
    }

    fn slot(&self) -> Slot<'_> {
        let (m, c) = &self.slots;
        let mut n = m.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= self.settings.max_concurrent.max(1) {
            n = c.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Slot(&self.slots)
    }

    /// The `Authorization` header value, for connections made outside reqwest (websockets).
    pub fn authorization(&self) -> Option<String> {
        use base64::Engine;
        match &self.auth {
            Auth::None => None,
            Auth::Basic(u, p) => {
                Some(format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"))))
            }
            Auth::Bearer(t) => Some(format!("Bearer {t}")),
        }
    }

    fn authorize(&self, rb: RequestBuilder) -> RequestBuilder {
        match &self.auth {
            Auth::None => rb,
            Auth::Basic(u, p) => rb.basic_auth(u, Some(p)),
            Auth::Bearer(t) => rb.header(AUTHORIZATION, format!("Bearer {t}")),
        }
    }

    /// Send a request built by `build` (called once per try), retrying
    /// transient failures; `explain` turns an error body into a message.
    pub fn send(
        &self,
        build: &dyn Fn(&Client) -> RequestBuilder,
        progress: &dyn Progress,
        explain: &dyn Fn(u16, &[u8]) -> String,
    ) -> Result<Response, BackendError> {
        let _slot = self.slot();
        self.tries(build, progress, explain, self.settings.retries)
    }

    /// A side request made while a generation holds the backend's slot
    /// (progress polls, interrupts): it takes no slot and is tried once, so it
    /// reaches the server during the generation rather than after it.
    pub fn send_side(
        &self,
        build: &dyn Fn(&Client) -> RequestBuilder,
        explain: &dyn Fn(u16, &[u8]) -> String,
    ) -> Result<Response, BackendError> {
        self.tries(build, &super::Cancel::default(), explain, 0)
    }

    fn tries(
        &self,
        build: &dyn Fn(&Client) -> RequestBuilder,
        progress: &dyn Progress,
        explain: &dyn Fn(u16, &[u8]) -> String,
        retries: u32,
    ) -> Result<Response, BackendError> {
        let mut last = String::new();
        for attempt in 0..=retries {
            if progress.cancelled() {
                return Err(BackendError::Cancelled);
            }
            let rb = self.authorize(build(&self.client));
            tracing::debug!(attempt, "http request");
            // `timeout` bounds the whole try: reqwest's own timeout covers the
            // connection and headers, this deadline the body (a server that
            // drips one byte a second never trips a per-read timeout).
            let deadline = Instant::now() + self.settings.timeout;
            let (wait, message) = match rb.send() {
                Err(e) => {
                    let kind = if e.is_timeout() {
                        "timed out"
                    } else if e.is_connect() {
                        "could not connect"
                    } else {
                        "request failed"
                    };
                    (None, format!("{kind}: {}", strip_url_secrets(&with_causes(&e))))
                }
                Ok(resp) => {
                    let status = resp.status().as_u16();
                    let retry_after =
                        resp.headers().get(RETRY_AFTER).and_then(|v| v.to_str().ok()).and_then(parse_retry_after);
                    let body = self.read_capped(resp, deadline)?;
                    if (200..300).contains(&status) {
                        return Ok(Response { status, body });
                    }
                    let message = format!("HTTP {status}: {}", explain(status, &body));
                    if status == 429 || status >= 500 {
                        (retry_after, message)
                    } else {
                        return Err(BackendError::Failed(message));
                    }
                }
            };
            last = message;
            if attempt == retries {
                break;
            }
            let backoff = Duration::from_millis((200u64 << attempt.min(6)) + (attempt as u64 * 37) % 100);
            let wait = wait.unwrap_or(backoff);
            tracing::debug!(?wait, "retrying after a transient failure");
            let until = Instant::now() + wait;
            while Instant::now() < until {
                if progress.cancelled() {
                    return Err(BackendError::Cancelled);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        Err(BackendError::Transient {
            message: format!("{last} (after {} tries)", self.settings.retries + 1),
            retry_after: None,
        })
    }

    /// Read the body, at most `max_response_bytes`, and give up at `deadline`.
    fn read_capped(&self, mut resp: reqwest::blocking::Response, deadline: Instant) -> Result<Vec<u8>, BackendError> {
        let cap = self.settings.max_response_bytes;
        let mut body = Vec::new();
        let mut chunk = [0u8; 64 * 1024];
        loop {
            if Instant::now() > deadline {
                return Err(BackendError::Transient {
                    message: format!(
                        "timed out: the answer took longer than the {} s timeout_s to arrive",
                        self.settings.timeout.as_secs()
                    ),
                    retry_after: None,
                });
            }
            let n = match resp.read(&mut chunk) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(BackendError::Transient {
                        message: format!("the connection broke while reading the answer: {e}"),
                        retry_after: None,
                    });
                }
            };
            body.extend_from_slice(&chunk[..n]);
            if body.len() as u64 > cap {
                break;
            }
        }
        if body.len() as u64 > cap {
            return Err(BackendError::Failed(format!(
                "the answer is larger than the {} MiB genpath accepts",
                cap / (1024 * 1024)
            )));
        }
        Ok(body)
    }
}

/// The longest wait a server may ask for with Retry-After; longer (or
/// nonsensical) requests fall back to the client's own backoff limit.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);

/// Parse a Retry-After value (RFC 9110 §10.2.3): a whole number of seconds or
/// an HTTP date. Anything else (`NaN`, `inf`, `-1`, `1.5`) is ignored; the
/// wait is capped at [`MAX_RETRY_AFTER`].
pub fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    let wait = if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        // More digits than a u64 holds still means "a long time".
        Duration::from_secs(value.parse::<u64>().unwrap_or(u64::MAX).min(MAX_RETRY_AFTER.as_secs()))
    } else {
        let at = chrono::DateTime::parse_from_rfc2822(value).ok()?;
        let secs = (at.with_timezone(&chrono::Utc) - chrono::Utc::now()).num_seconds();
        Duration::from_secs(u64::try_from(secs).unwrap_or(0))
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

/// Remove any `user:password@` from URLs in error texts.
fn strip_url_secrets(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split(' ') {
        let cleaned = match (word.find("://"), word.find('@')) {
            (Some(i), Some(j)) if j > i => format!("{}[redacted]@{}", &word[..i + 3], &word[j + 1..]),
            _ => word.to_string(),
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&cleaned);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_is_whole_seconds_or_a_date_and_capped() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999999"), Some(MAX_RETRY_AFTER));
        assert_eq!(parse_retry_after("86400"), Some(MAX_RETRY_AFTER));
        for nonsense in ["NaN", "inf", "-1", "1.5", "1e9", "", "soon"] {
            assert_eq!(parse_retry_after(nonsense), None, "{nonsense}");
        }
        // An HTTP date in the past means "now"; one far ahead is capped.
        assert_eq!(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT"), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("Fri, 31 Dec 9999 23:59:59 GMT"), Some(MAX_RETRY_AFTER));
    }
}
