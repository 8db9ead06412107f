//! An HTTPS server inside the test, with a self-signed certificate for `localhost`, serving one
//! audio file for URL input at any path, plus redirects and a slow drip to test the fetcher's
//! checks.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::combinators::BoxBody;
use http_body_util::{BodyExt, Full, StreamBody};
use hyper::body::Frame;
use hyper::{Request, Response, StatusCode};

pub(crate) type Body = BoxBody<Bytes, std::convert::Infallible>;

pub(crate) fn full(bytes: Bytes) -> Body {
    Full::new(bytes).boxed()
}

/// A body that never ends: one byte every half second, the way a hostile server holds a
/// download open while staying under every read timeout.
fn drip() -> Body {
    let stream = futures::stream::unfold((), |()| async {
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        Some((
            Ok::<_, std::convert::Infallible>(Frame::data(Bytes::from_static(b"R"))),
            (),
        ))
    });
    StreamBody::new(stream).boxed()
}

/// A TLS acceptor with a fresh self-signed certificate for `localhost`, and the certificate's
/// PEM written into `dir` (for VERBATIM_URL_CA_CERT).
pub(crate) fn self_signed_localhost(dir: &Path) -> (tokio_rustls::TlsAcceptor, PathBuf) {
    let certified = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let ca_path = dir.join("test-ca.pem");
    std::fs::write(&ca_path, certified.cert.pem()).unwrap();
    let cert = rustls::pki_types::CertificateDer::from(certified.cert.der().to_vec());
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)
    .unwrap();
    (tokio_rustls::TlsAcceptor::from(Arc::new(config)), ca_path)
}

/// Serves HTTP/1 over TLS on `listener`, each request answered by `handle`, until the task is
/// aborted.
pub(crate) fn serve<F, Fut>(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    handle: F,
) -> tokio::task::JoinHandle<()>
where
    F: Fn(Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: std::future::Future<Output = Response<Body>> + Send + 'static,
{
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                continue;
            };
            let acceptor = acceptor.clone();
            let handle = handle.clone();
            tokio::spawn(async move {
                let Ok(tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let service = hyper::service::service_fn(move |req| {
                    let answer = handle(req);
                    async move { Ok::<_, std::convert::Infallible>(answer.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(tls), service)
                    .await;
            });
        }
    })
}

pub struct HttpsServer {
    pub port: u16,
    /// The PEM of the self-signed certificate, for VERBATIM_URL_CA_CERT.
    pub ca_path: PathBuf,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for HttpsServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl HttpsServer {
    /// Serves `audio` at every path but these: `/redirect` answers 302 to `/audio.wav`,
    /// `/redirect-ip` to the same file by its IP address (not allow-listed), `/loop` redirects
    /// forever, `/slow` drips a byte every half second and never ends.
    pub async fn start(audio: &Path, dir: &Path) -> HttpsServer {
        let (acceptor, ca_path) = self_signed_localhost(dir);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let audio = Bytes::from(std::fs::read(audio).unwrap());
        let task = serve(listener, acceptor, move |req| {
            let audio = audio.clone();
            async move { respond(&req, audio, port) }
        });
        HttpsServer {
            port,
            ca_path,
            task,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("https://localhost:{}{path}", self.port)
    }
}

fn respond(req: &Request<hyper::body::Incoming>, audio: Bytes, port: u16) -> Response<Body> {
    let redirect = |to: String| {
        Response::builder()
            .status(StatusCode::FOUND)
            .header("location", to)
            .body(full(Bytes::new()))
            .unwrap()
    };
    match req.uri().path() {
        "/slow" => Response::builder()
            .header("content-type", "audio/wav")
            .body(drip())
            .unwrap(),
        "/redirect" => redirect(format!("https://localhost:{port}/audio.wav")),
        "/redirect-ip" => redirect(format!("https://127.0.0.1:{port}/audio.wav")),
        "/loop" => redirect(format!("https://localhost:{port}/loop")),
        _ => Response::builder()
            .header("content-type", "audio/wav")
            .body(full(audio))
            .unwrap(),
    }
}
