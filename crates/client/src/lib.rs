//! A client of the SLNG Batch API: submit a file (a multipart upload, or the three steps of a
//! presigned one), follow the job, list, cancel and delete jobs, download their outputs.
//!
//! It speaks the contract's routes and bodies only (plus `POST /v1/batch/jobs/{id}/cancel`, an
//! extension that servers without it answer 404 or 405), so it works against any server of the
//! API, Verbatim or not. The `verbatim` binary's remote commands and the tests use it; the
//! server crates do not.

mod error;
mod job;
mod submit;
mod transfer;
mod wait;

pub use error::Error;
pub use job::{Accepted, Files, InputMetadata, Job, JobList, ListMeta, Progress, StoredFile};
pub use submit::{Submission, UploadMethod};
pub use transfer::OnBytes;

use std::time::Duration;

use reqwest::{Method, RequestBuilder, Url};
use serde::de::DeserializeOwned;
use serde_json::Value;

use job::{parse, Raw};

/// How long to wait for a connection: a server that is down or unreachable fails fast.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request other than an upload or a download may take in all.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// A server of the API and the key to use with it.
#[derive(Debug, Clone)]
pub struct Client {
    http: reqwest::Client,
    base: Url,
    key: String,
}

/// The filters of `GET /v1/batch/jobs` (contract section 6); `None` and empty leave the
/// server's default.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    pub page: Option<u32>,
    pub page_size: Option<u32>,
    /// Statuses (QUEUED, DONE…); a job in any of them is listed.
    pub status: Vec<String>,
    pub sort_order: Option<String>,
}

impl ListQuery {
    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(page) = self.page {
            pairs.push(("page", page.to_string()));
        }
        if let Some(size) = self.page_size {
            pairs.push(("page_size", size.to_string()));
        }
        if !self.status.is_empty() {
            pairs.push(("status", self.status.join(",")));
        }
        if let Some(order) = &self.sort_order {
            pairs.push(("sort_order", order.clone()));
        }
        pairs
    }
}

impl Client {
    /// A client of the server at `server` (`http://host:port`, maybe with a path prefix under
    /// which the API is mounted) with `api_key`.
    pub fn new(server: &str, api_key: &str) -> Result<Client, Error> {
        let bad = |reason: &str| Error::BadServerUrl {
            url: server.to_string(),
            reason: reason.to_string(),
        };
        let mut base = Url::parse(server.trim()).map_err(|e| bad(&e.to_string()))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(bad("it must start with http:// or https://"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("it must not have a query or a fragment"));
        }
        // Joined below: "https://host/prefix" and "https://host/prefix/" mean the same.
        if !base.path().ends_with('/') {
            base.set_path(&format!("{}/", base.path()));
        }
        let http = reqwest::Client::builder()
            .connect_timeout(CONNECT_TIMEOUT)
            .user_agent(concat!("verbatim-client/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| Error::Connection(e.to_string()))?;
        Ok(Client {
            http,
            base,
            key: api_key.trim().to_string(),
        })
    }

    /// The server's base URL.
    pub fn server(&self) -> &Url {
        &self.base
    }

    /// `/v1/batch/jobs` followed by `segments`, each escaped: a job id typed by a person never
    /// changes the path.
    fn jobs_url(&self, segments: &[&str]) -> Url {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(["v1", "batch", "jobs"])
            .extend(segments);
        url
    }

    fn api(&self, method: Method, url: Url) -> RequestBuilder {
        self.http.request(method, url).bearer_auth(&self.key)
    }

    /// Sends an API request and reads its JSON answer: an error status is the server's
    /// `{"error"}` message.
    async fn call<T: DeserializeOwned + Raw>(&self, request: RequestBuilder) -> Result<T, Error> {
        let request = request
            .build()
            .map_err(|e| Error::Connection(format!("cannot build the request: {e}")))?;
        let url = request.url().clone();
        let response = self
            .http
            .execute(request)
            .await
            .map_err(|e| Error::from_send(&url, e))?;
        let status = response.status();
        let body = response
            .bytes()
            .await
            .map_err(|e| Error::from_send(&url, e))?;
        if !status.is_success() {
            return Err(Error::from_api_answer(status, &body));
        }
        let value: Value = serde_json::from_slice(&body).map_err(|e| {
            Error::Protocol(format!(
                "{} answered {status} with a body that is not JSON ({e})",
                url.path()
            ))
        })?;
        parse(value)
    }

    /// Checks that the server answers and takes the key, with the cheapest request of the
    /// contract (a list of one job). Worth doing before an upload: a server that refuses the
    /// key may answer before it has read the body and close the connection, and the client,
    /// still sending, then sees a broken pipe instead of the refusal.
    pub async fn check(&self) -> Result<(), Error> {
        let one = ListQuery {
            page_size: Some(1),
            ..ListQuery::default()
        };
        self.list(&one).await.map(drop)
    }

    /// A job's record.
    pub async fn job(&self, id: &str) -> Result<Job, Error> {
        self.call(
            self.api(Method::GET, self.jobs_url(&[id]))
                .timeout(REQUEST_TIMEOUT),
        )
        .await
    }

    /// One page of the organisation's jobs.
    pub async fn list(&self, query: &ListQuery) -> Result<JobList, Error> {
        let mut url = self.jobs_url(&[]);
        url.query_pairs_mut().extend_pairs(query.pairs());
        self.call(self.api(Method::GET, url).timeout(REQUEST_TIMEOUT))
            .await
    }

    /// A job's input and outputs with their signed download URLs.
    pub async fn files(&self, id: &str) -> Result<Files, Error> {
        self.call(
            self.api(Method::GET, self.jobs_url(&[id, "files"]))
                .timeout(REQUEST_TIMEOUT),
        )
        .await
    }

    /// Deletes a DONE or FAILED job's files (the record stays, DELETED).
    pub async fn delete(&self, id: &str) -> Result<Accepted, Error> {
        self.call(
            self.api(Method::DELETE, self.jobs_url(&[id]))
                .timeout(REQUEST_TIMEOUT),
        )
        .await
    }

    /// Ends a queued or running job as FAILED ("Cancelled"): Verbatim's extension.
    pub async fn cancel(&self, id: &str) -> Result<Job, Error> {
        self.call(
            self.api(Method::POST, self.jobs_url(&[id, "cancel"]))
                .timeout(REQUEST_TIMEOUT),
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_sit_under_the_base_and_its_prefix() {
        let c = Client::new("http://127.0.0.1:8080", "k").unwrap();
        assert_eq!(
            c.jobs_url(&["a1", "files"]).as_str(),
            "http://127.0.0.1:8080/v1/batch/jobs/a1/files"
        );
        for base in ["https://h.example/slng", "https://h.example/slng/"] {
            let c = Client::new(base, "k").unwrap();
            assert_eq!(
                c.jobs_url(&[]).as_str(),
                "https://h.example/slng/v1/batch/jobs"
            );
        }
    }

    #[test]
    fn a_job_id_cannot_change_the_path() {
        let c = Client::new("http://h", "k").unwrap();
        assert_eq!(
            c.jobs_url(&["../keys?x=1"]).as_str(),
            "http://h/v1/batch/jobs/..%2Fkeys%3Fx=1"
        );
    }

    #[test]
    fn a_server_that_is_not_an_http_url_is_refused() {
        for bad in ["127.0.0.1:8080", "ftp://h", "http://h/?a=1", ""] {
            let e = Client::new(bad, "k").unwrap_err();
            assert!(matches!(e, Error::BadServerUrl { .. }), "{bad}: {e:?}");
        }
    }

    #[test]
    fn list_filters_become_the_contract_query() {
        let q = ListQuery {
            page: Some(2),
            page_size: Some(5),
            status: vec!["DONE".into(), "FAILED".into()],
            sort_order: None,
        };
        let c = Client::new("http://h", "k").unwrap();
        let mut url = c.jobs_url(&[]);
        url.query_pairs_mut().extend_pairs(q.pairs());
        assert_eq!(url.query(), Some("page=2&page_size=5&status=DONE%2CFAILED"));
        assert!(ListQuery::default().pairs().is_empty());
    }
}
