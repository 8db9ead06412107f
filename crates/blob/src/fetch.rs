//! Fetching a client's `input_url` without letting it reach inside our network (SSRF).
//!
//! The api calls [`check_url`] when a job is submitted, so a bad URL is a 400 at once; the worker
//! calls [`fetch_to_store`] later, which checks again: DNS can change between the two, and every
//! redirect is a new URL. The address check sits in the HTTP client's DNS resolver, so the address
//! that is checked is the address that is connected to (no rebinding window between a check and
//! the connect); hosts written as IP literals never reach a resolver, so they are checked by hand
//! before the first request and in the redirect policy.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use url::{Host, Url};

use crate::{BlobError, BlobStore, Bucket};

/// The most redirects followed, each one checked like the first URL.
pub const MAX_REDIRECTS: usize = 5;

/// What a URL fetch may reach.
#[derive(Debug, Clone)]
pub struct FetchPolicy {
    /// Hosts (exact names or IP literals, case-insensitive) that skip the private-address refusal:
    /// for tests and private deployments that keep their audio on an internal server.
    pub allow_hosts: Vec<String>,
    /// A PEM file whose certificates are trusted in addition to the bundled public roots.
    pub extra_ca_cert: Option<PathBuf>,
    pub connect_timeout: Duration,
    /// The longest wait for the next bytes of a response.
    pub read_timeout: Duration,
    /// The longest a whole download may take, redirects included.
    pub total_timeout: Duration,
    /// The slowest accepted download, in bytes per second, averaged over each
    /// [`FetchPolicy::rate_window`]: a server that drips a byte at a time fails the job at the end
    /// of the first window instead of holding a worker until the total timeout.
    pub min_bytes_per_second: u64,
    pub rate_window: Duration,
    /// A proxy for every URL fetch (`VERBATIM_URL_PROXY`). Proxy variables of the environment
    /// (`HTTPS_PROXY`, `ALL_PROXY`…) are never used: a proxy resolves names itself, out of reach
    /// of the address check, so one has to be chosen on purpose.
    pub proxy: Option<String>,
}

impl Default for FetchPolicy {
    fn default() -> Self {
        Self {
            allow_hosts: Vec::new(),
            extra_ca_cert: None,
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(60),
            total_timeout: Duration::from_secs(30 * 60),
            min_bytes_per_second: 16 * 1024,
            rate_window: Duration::from_secs(30),
            proxy: None,
        }
    }
}

impl FetchPolicy {
    fn allows_host(&self, host: &str) -> bool {
        let host = host.trim_start_matches('[').trim_end_matches(']');
        self.allow_hosts
            .iter()
            .any(|h| h.eq_ignore_ascii_case(host))
    }
}

/// Why a URL was refused or could not be fetched. The messages are shown to clients as they are,
/// so they name the problem but never carry upstream response text.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("input_url is not a valid URL")]
    InvalidUrl,
    #[error("input_url must use https")]
    NotHttps,
    #[error("input_url host {0} resolves to a private or reserved address")]
    Forbidden(String),
    #[error("input_url host {0} could not be resolved")]
    Unresolvable(String),
    #[error("input_url redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects,
    #[error("input_url answered HTTP {0}")]
    Status(u16),
    #[error("input_url is larger than the upload limit")]
    TooLarge,
    #[error("input_url took longer than {0} s to download")]
    TotalTimeout(u64),
    #[error("input_url downloaded too slowly (under {0} bytes per second)")]
    TooSlow(u64),
    #[error("input_url could not be downloaded: {0}")]
    Network(String),
    #[error("the TLS settings for URL input are invalid: {0}")]
    Config(String),
    #[error("storing the downloaded input failed: {0}")]
    Store(BlobError),
}

impl FetchError {
    /// True when trying again later might work (the network, the remote server, our storage);
    /// false when the URL itself is the problem.
    pub fn is_transient(&self) -> bool {
        match self {
            FetchError::Network(_) | FetchError::Unresolvable(_) | FetchError::Store(_) => true,
            FetchError::Status(code) => *code >= 500 || *code == 429,
            _ => false,
        }
    }
}

impl FetchError {
    /// The message with the field it is about in place of `input_url` (a webhook's URL is checked
    /// by the same rules).
    pub fn message_for(&self, field: &str) -> String {
        self.to_string().replacen("input_url", field, 1)
    }
}

/// Refuses what is not https, resolves the host and refuses private and reserved addresses
/// (unless the host is allow-listed). Returns the parsed URL.
pub async fn check_url(url: &str, policy: &FetchPolicy) -> Result<Url, FetchError> {
    let url = parse_https(url)?;
    let host = url.host().ok_or(FetchError::InvalidUrl)?.to_owned();
    let host_text = url.host_str().unwrap_or_default().to_string();
    if policy.allows_host(&host_text) {
        return Ok(url);
    }
    match host {
        Host::Ipv4(ip) => check_ip(IpAddr::V4(ip), &host_text)?,
        Host::Ipv6(ip) => check_ip(IpAddr::V6(ip), &host_text)?,
        Host::Domain(name) => {
            let port = url.port_or_known_default().unwrap_or(443);
            let addrs = resolve(&name, port).await?;
            for addr in addrs {
                check_ip(addr.ip(), &name)?;
            }
        }
    }
    Ok(url)
}

/// Downloads `url` into `store` under `bucket`/`key`, streamed, refusing more than `max_bytes`;
/// re-checks the address of the first URL and of every redirect. Returns the stored size.
pub async fn fetch_to_store(
    url: &Url,
    policy: &FetchPolicy,
    store: &dyn BlobStore,
    bucket: Bucket,
    key: &str,
    max_bytes: u64,
) -> Result<u64, FetchError> {
    let total = policy.total_timeout;
    let fetch = async {
        let client = client(policy)?;
        let response = get_following_redirects(&client, url, policy).await?;
        if !response.status().is_success() {
            return Err(FetchError::Status(response.status().as_u16()));
        }
        if response.content_length().is_some_and(|len| len > max_bytes) {
            return Err(FetchError::TooLarge);
        }
        // A failure of the body stream reaches us from `put_stream` as a store error; the slot keeps
        // what really happened so a dropped connection is reported as the network's fault.
        let body_error: Arc<std::sync::Mutex<Option<FetchError>>> = Arc::default();
        let slot = body_error.clone();
        let mut rate = RateFloor::new(policy.min_bytes_per_second, policy.rate_window);
        let body = response
            .bytes_stream()
            .map_err(|e| classify(&e))
            .and_then(move |chunk| {
                let verdict = rate.record(chunk.len() as u64).map(|()| chunk);
                futures::future::ready(verdict)
            })
            .map_err(move |error| {
                let message = error.to_string();
                *slot.lock().unwrap_or_else(|p| p.into_inner()) = Some(error);
                std::io::Error::other(message)
            })
            .boxed();
        let stored = store.put_stream(bucket, key, body, max_bytes).await;
        if let Some(error) = body_error.lock().unwrap_or_else(|p| p.into_inner()).take() {
            return Err(error);
        }
        match stored {
            Ok(size) => Ok(size),
            Err(BlobError::TooLarge) => Err(FetchError::TooLarge),
            Err(other) => Err(FetchError::Store(other)),
        }
    };
    match tokio::time::timeout(total, fetch).await {
        Ok(result) => result,
        Err(_) => Err(FetchError::TotalTimeout(total.as_secs())),
    }
}

/// GET that follows redirects itself, each hop checked like the first URL (scheme, resolved
/// addresses): with a proxy configured, the client's resolver never sees the target's name, so
/// the check cannot live there alone.
async fn get_following_redirects(
    client: &reqwest::Client,
    url: &Url,
    policy: &FetchPolicy,
) -> Result<reqwest::Response, FetchError> {
    let mut url = url.clone();
    for _ in 0..=MAX_REDIRECTS {
        url = check_url(url.as_str(), policy).await?;
        let response = client
            .get(url.clone())
            .send()
            .await
            .map_err(|e| classify(&e))?;
        if !response.status().is_redirection() {
            return Ok(response);
        }
        let Some(location) = response.headers().get(reqwest::header::LOCATION) else {
            return Ok(response);
        };
        let location = location
            .to_str()
            .map_err(|_| FetchError::Network("input_url bad redirect".into()))?;
        url = url
            .join(location)
            .map_err(|_| FetchError::Network("input_url bad redirect".into()))?;
    }
    Err(FetchError::TooManyRedirects)
}

/// Fails a transfer whose bytes over the last window fall below the floor. Checked as chunks
/// arrive; a peer that sends nothing at all must be stopped by a timeout of the caller's (the
/// read timeout here, the window itself for request bodies in the api).
pub struct RateFloor {
    floor: u64,
    window: Duration,
    window_start: tokio::time::Instant,
    bytes_in_window: u64,
}

impl RateFloor {
    pub fn new(floor: u64, window: Duration) -> Self {
        Self {
            floor,
            window,
            window_start: tokio::time::Instant::now(),
            bytes_in_window: 0,
        }
    }

    pub fn record(&mut self, bytes: u64) -> Result<(), FetchError> {
        self.bytes_in_window += bytes;
        let elapsed = self.window_start.elapsed();
        if elapsed < self.window || self.floor == 0 {
            return Ok(());
        }
        if (self.bytes_in_window as f64) < self.floor as f64 * elapsed.as_secs_f64() {
            return Err(FetchError::TooSlow(self.floor));
        }
        self.window_start = tokio::time::Instant::now();
        self.bytes_in_window = 0;
        Ok(())
    }
}

fn parse_https(url: &str) -> Result<Url, FetchError> {
    let url = Url::parse(url.trim()).map_err(|_| FetchError::InvalidUrl)?;
    if url.scheme() != "https" {
        return Err(FetchError::NotHttps);
    }
    if url.host().is_none() {
        return Err(FetchError::InvalidUrl);
    }
    Ok(url)
}

async fn resolve(name: &str, port: u16) -> Result<Vec<SocketAddr>, FetchError> {
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host((name, port))
        .await
        .map_err(|_| FetchError::Unresolvable(name.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(FetchError::Unresolvable(name.to_string()));
    }
    Ok(addrs)
}

fn check_ip(ip: IpAddr, host: &str) -> Result<(), FetchError> {
    if is_public(ip) {
        Ok(())
    } else {
        Err(FetchError::Forbidden(host.to_string()))
    }
}

/// Whether an address is on the public internet: not loopback, private, link-local (which holds
/// the cloud metadata address 169.254.169.254), unique-local (fd00:ec2::254), multicast,
/// unspecified, shared (CGNAT), documentation, benchmarking or otherwise reserved. IPv6 forms that
/// carry an IPv4 address (mapped, compatible, NAT64, 6to4) are judged by that IPv4 address.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // shared address space (CGNAT)
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (b == 18 || b == 19)) // benchmarking
        || a >= 240) // reserved
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    let seg = ip.segments();
    // IPv4-compatible (deprecated ::a.b.c.d) and NAT64 (64:ff9b::/96) carry an IPv4 address.
    if seg[..6] == [0, 0, 0, 0, 0, 0] && !ip.is_loopback() && !ip.is_unspecified()
        || seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0]
    {
        let [a, b] = seg[6].to_be_bytes();
        let [c, d] = seg[7].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    // 6to4 (2002::/16) carries one in segments 1 and 2.
    if seg[0] == 0x2002 {
        let [a, b] = seg[1].to_be_bytes();
        let [c, d] = seg[2].to_be_bytes();
        return is_public_v4(Ipv4Addr::new(a, b, c, d));
    }
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || (seg[0] & 0xffc0) == 0xfec0 // site-local (deprecated, still routed inside some networks)
        || seg[0] == 0x2001 && seg[1] == 0x0db8 // documentation
        || seg[0] == 0x0100 && seg[1..4] == [0, 0, 0]) // discard-only
}

/// The resolver reqwest uses for every connection, redirects included: it resolves as the system
/// does and drops nothing but refuses outright when any address is not public, so a name that
/// mixes public and private answers is refused rather than half-trusted.
struct CheckingResolver {
    policy: Arc<FetchPolicy>,
}

#[derive(Debug)]
struct RefusedHost(String);

impl std::fmt::Display for RefusedHost {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "host {} resolves to a private or reserved address",
            self.0
        )
    }
}

impl std::error::Error for RefusedHost {}

impl reqwest::dns::Resolve for CheckingResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let policy = self.policy.clone();
        Box::pin(async move {
            let host = name.as_str().to_string();
            let addrs = resolve(&host, 0).await.map_err(
                |e| -> Box<dyn std::error::Error + Send + Sync> {
                    Box::new(std::io::Error::other(e.to_string()))
                },
            )?;
            if !policy.allows_host(&host) && addrs.iter().any(|a| !is_public(a.ip())) {
                return Err(Box::new(RefusedHost(host)) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(addrs.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// An https-only client that follows no redirect and connects only to public addresses (or the
/// policy's allowed hosts), through the checking resolver; for a caller that checks IP-literal
/// hosts itself with [`check_url`] before each request (the webhook deliverer).
pub fn checked_client(policy: &FetchPolicy) -> Result<reqwest::Client, FetchError> {
    client(policy)
}

fn client(policy: &FetchPolicy) -> Result<reqwest::Client, FetchError> {
    let policy = Arc::new(policy.clone());
    let mut builder = reqwest::Client::builder()
        .https_only(true)
        .redirect(reqwest::redirect::Policy::none())
        .no_proxy()
        .dns_resolver(Arc::new(CheckingResolver {
            policy: policy.clone(),
        }))
        .connect_timeout(policy.connect_timeout)
        .read_timeout(policy.read_timeout)
        .user_agent(concat!("verbatim/", env!("CARGO_PKG_VERSION")));
    if let Some(proxy) = &policy.proxy {
        let proxy = reqwest::Proxy::all(proxy).map_err(|_| {
            FetchError::Config("VERBATIM_URL_PROXY is not a valid proxy URL".into())
        })?;
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &policy.extra_ca_cert {
        let pem = std::fs::read(path)
            .map_err(|e| FetchError::Config(format!("cannot read {}: {e}", path.display())))?;
        for cert in reqwest::Certificate::from_pem_bundle(&pem)
            .map_err(|e| FetchError::Config(format!("{}: {e}", path.display())))?
        {
            builder = builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| FetchError::Config(e.to_string()))
}

/// Turns a reqwest error into ours by looking for our own refusals in its source chain; anything
/// else is a network failure, reported without the upstream's text.
pub fn classify(error: &reqwest::Error) -> FetchError {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        if let Some(refused) = e.downcast_ref::<RefusedHost>() {
            return FetchError::Forbidden(refused.0.clone());
        }
        source = e.source();
    }
    // Name a refused certificate: it is the usual cause of a failed fetch from a private host,
    // and the operator can fix it (VERBATIM_URL_CA_CERT).
    let mut certificate = false;
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = source {
        certificate |= e.to_string().to_ascii_lowercase().contains("certificate");
        source = e.source();
    }
    let what = if certificate {
        "TLS certificate was not accepted"
    } else if error.is_timeout() {
        "timed out"
    } else if error.is_connect() {
        "connection failed"
    } else if error.is_redirect() {
        "bad redirect"
    } else if error.is_body() || error.is_decode() {
        "the body could not be read"
    } else {
        "request failed"
    };
    FetchError::Network(format!("input_url {what}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn refuses_private_and_reserved_addresses() {
        for bad in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "0.0.0.0",
            "100.64.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "192.0.2.1",
            "198.18.0.1",
            "::1",
            "::",
            "fe80::1",
            "fd00:ec2::254",
            "fc00::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::1",
            "2001:db8::1",
            "::127.0.0.1",
        ] {
            assert!(!is_public(ip(bad)), "{bad} must be refused");
        }
    }

    #[test]
    fn accepts_public_addresses() {
        for good in [
            "8.8.8.8",
            "1.1.1.1",
            "151.101.1.69",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
            "2002:808:808::1",
        ] {
            assert!(is_public(ip(good)), "{good} must be accepted");
        }
    }

    /// Asserts that `check_url` refuses each URL with an error like the one paired with it.
    async fn assert_refused(policy: &FetchPolicy, cases: &[(&str, FetchError)]) {
        for (url, wanted) in cases {
            let got = check_url(url, policy).await;
            assert!(
                matches!(&got, Err(e) if std::mem::discriminant(e) == std::mem::discriminant(wanted)),
                "{url}: {got:?}, wanted {wanted:?}"
            );
        }
    }

    #[tokio::test]
    async fn check_url_refusals() {
        let private = || FetchError::Forbidden(String::new());
        assert_refused(
            &FetchPolicy::default(),
            &[
                ("http://example.com/a.wav", FetchError::NotHttps),
                ("ftp://example.com/a.wav", FetchError::NotHttps),
                ("not a url", FetchError::InvalidUrl),
                ("https://127.0.0.1/a.wav", private()),
                ("https://[::1]:8443/a.wav", private()),
                ("https://169.254.169.254/latest/meta-data", private()),
                ("https://localhost/a.wav", private()),
                // Decimal and hex forms of 127.0.0.1 are normalised by the URL parser, then
                // refused.
                ("https://2130706433/a.wav", private()),
                ("https://0x7f.1/a.wav", private()),
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn allow_list_skips_the_address_refusal_but_not_https() {
        let policy = FetchPolicy {
            allow_hosts: vec!["localhost".into(), "127.0.0.1".into()],
            ..Default::default()
        };
        assert!(check_url("https://localhost:8443/a.wav", &policy)
            .await
            .is_ok());
        assert!(check_url("https://LOCALHOST/a.wav", &policy).await.is_ok());
        assert!(check_url("https://127.0.0.1/a.wav", &policy).await.is_ok());
        assert_refused(
            &policy,
            &[
                ("http://localhost/a.wav", FetchError::NotHttps),
                (
                    "https://10.0.0.1/a.wav",
                    FetchError::Forbidden(String::new()),
                ),
            ],
        )
        .await;
    }
}
