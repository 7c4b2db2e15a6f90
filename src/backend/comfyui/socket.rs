//! ComfyUI's websocket (`/ws?clientId=…`): the server pushes each step of
//! the sampler (`progress`), the node it is running (`executing`) and the
//! end of a prompt (`execution_success`, `execution_error`,
//! `execution_interrupted`) to the client that queued it. The socket is
//! opened before the prompt is queued so no message is missed; when it
//! cannot be opened (an `https` URL, a proxy that refuses upgrades) the
//! client polls the history instead and shows no steps.

use std::io::ErrorKind;
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

use serde_json::Value;
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

/// What the socket said about one prompt.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// `value` of `max` sampler steps done.
    Step { prompt_id: String, value: u32, max: u32 },
    /// The prompt finished (successfully or not: the history says which).
    Finished { prompt_id: String },
}

/// The socket closed or broke; polling takes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Closed;

pub struct Socket {
    ws: WebSocket<TcpStream>,
}

/// How long a connection attempt may take before polling is used instead.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

impl Socket {
    /// Open the socket for `client_id`; `None` when it cannot be (the caller polls).
    pub fn open(base_url: &str, client_id: &str, authorization: Option<&str>) -> Option<Socket> {
        let url = reqwest::Url::parse(base_url).ok()?;
        if url.scheme() != "http" {
            return None;
        }
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let addr = (host, port).to_socket_addrs().ok()?.next()?;
        let stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).ok()?;
        stream.set_read_timeout(Some(CONNECT_TIMEOUT)).ok()?;
        stream.set_write_timeout(Some(CONNECT_TIMEOUT)).ok()?;
        let path = url.path().trim_end_matches('/');
        let ws_url = format!("ws://{}:{port}{path}/ws?clientId={client_id}", bracketed(host));
        let mut request = ws_url.into_client_request().ok()?;
        if let Some(value) = authorization.and_then(|a| a.parse().ok()) {
            request.headers_mut().insert(reqwest::header::AUTHORIZATION, value);
        }
        let (ws, _) = tungstenite::client::client(request, stream).ok()?;
        Some(Socket { ws })
    }

    /// The events that arrive within `wait` (none on a quiet socket).
    /// `Err` when the socket closed: the caller goes on by polling.
    pub fn poll(&mut self, wait: Duration) -> Result<Vec<Event>, Closed> {
        self.ws.get_mut().set_read_timeout(Some(wait.max(Duration::from_millis(1)))).map_err(|_| Closed)?;
        let mut events = Vec::new();
        loop {
            match self.ws.read() {
                Ok(Message::Text(text)) => events.extend(parse(text.as_str())),
                Ok(Message::Close(_)) => return Err(Closed),
                Ok(_) => {} // previews (binary), pings: tungstenite answers pings itself
                Err(tungstenite::Error::Io(e)) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Ok(events);
                }
                Err(_) => return Err(Closed),
            }
            // Drain what is already buffered without waiting again.
            self.ws.get_mut().set_read_timeout(Some(Duration::from_millis(1))).map_err(|_| Closed)?;
        }
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        let _ = self.ws.close(None);
        let _ = self.ws.flush();
    }
}

fn bracketed(host: &str) -> String {
    if host.contains(':') { format!("[{host}]") } else { host.to_string() }
}

/// One websocket message, as far as genpath cares.
pub fn parse(text: &str) -> Option<Event> {
    let v: Value = serde_json::from_str(text).ok()?;
    let data = &v["data"];
    let prompt_id = data["prompt_id"].as_str()?.to_string();
    match v["type"].as_str()? {
        "progress" => Some(Event::Step {
            prompt_id,
            value: u32::try_from(data["value"].as_u64()?).ok()?,
            max: u32::try_from(data["max"].as_u64()?).ok()?,
        }),
        // `executing` with no node is the end of a prompt in every version;
        // newer servers also send `execution_success`.
        "executing" if data["node"].is_null() => Some(Event::Finished { prompt_id }),
        "execution_success" | "execution_error" | "execution_interrupted" => Some(Event::Finished { prompt_id }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_become_events() {
        assert_eq!(
            parse(r#"{"type":"progress","data":{"value":3,"max":20,"prompt_id":"p","node":"3"}}"#),
            Some(Event::Step { prompt_id: "p".into(), value: 3, max: 20 })
        );
        assert_eq!(
            parse(r#"{"type":"executing","data":{"node":null,"prompt_id":"p"}}"#),
            Some(Event::Finished { prompt_id: "p".into() })
        );
        assert_eq!(parse(r#"{"type":"executing","data":{"node":"3","prompt_id":"p"}}"#), None);
        assert_eq!(parse(r#"{"type":"status","data":{"status":{"exec_info":{"queue_remaining":1}}}}"#), None);
        assert_eq!(parse("not json"), None);
    }
}
