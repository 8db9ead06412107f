//! An HTTPS webhook receiver inside the test (a self-signed certificate for `localhost`, like
//! [`crate::https::HttpsServer`]): records every request it gets and answers each path from a
//! script of replies, then 200.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::{Response, StatusCode};

use crate::https::{full, self_signed_localhost, serve};

/// One request as received.
#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The raw query string.
    pub query: String,
    /// Names in lower case.
    pub headers: Vec<(String, String)>,
    pub body: Bytes,
    pub at: Instant,
}

impl Received {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        let name = name.to_ascii_lowercase();
        self.headers
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// An answer: a status and extra headers.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// How long to wait before answering.
    pub delay: std::time::Duration,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            delay: std::time::Duration::ZERO,
        }
    }

    pub fn after(mut self, delay: std::time::Duration) -> Reply {
        self.delay = delay;
        self
    }

    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    script: HashMap<String, VecDeque<Reply>>,
}

pub struct WebhookReceiver {
    pub port: u16,
    /// The PEM of the self-signed certificate, for VERBATIM_URL_CA_CERT.
    pub ca_path: PathBuf,
    state: Arc<Mutex<State>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for WebhookReceiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl WebhookReceiver {
    pub async fn start(dir: &Path) -> WebhookReceiver {
        let (acceptor, ca_path) = self_signed_localhost(dir);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let shared = state.clone();
        let task = serve(listener, acceptor, move |req| {
            let state = shared.clone();
            async move {
                let at = Instant::now();
                let method = req.method().to_string();
                let path = req.uri().path().to_string();
                let query = req.uri().query().unwrap_or_default().to_string();
                let headers = req
                    .headers()
                    .iter()
                    .map(|(n, v)| {
                        (
                            n.as_str().to_string(),
                            String::from_utf8_lossy(v.as_bytes()).into_owned(),
                        )
                    })
                    .collect();
                let body = req
                    .into_body()
                    .collect()
                    .await
                    .map(|b| b.to_bytes())
                    .unwrap_or_default();
                let reply = {
                    let mut state = state.lock().unwrap();
                    state.received.push(Received {
                        method,
                        path: path.clone(),
                        query,
                        headers,
                        body,
                        at,
                    });
                    state.script.get_mut(&path).and_then(VecDeque::pop_front)
                };
                let reply = reply.unwrap_or(Reply::status(200));
                tokio::time::sleep(reply.delay).await;
                let mut response = Response::builder()
                    .status(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::OK));
                for (name, value) in &reply.headers {
                    response = response.header(name, value);
                }
                response.body(full(Bytes::new())).unwrap()
            }
        });
        WebhookReceiver {
            port,
            ca_path,
            state,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }

    /// The next requests to `path` get `replies`, in order; later ones 200.
    pub fn script(&self, path: &str, replies: Vec<Reply>) {
        self.state
            .lock()
            .unwrap()
            .script
            .insert(path.to_string(), replies.into());
    }

    /// What `path` has received so far, in order.
    pub fn received(&self, path: &str) -> Vec<Received> {
        let state = self.state.lock().unwrap();
        state
            .received
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}
