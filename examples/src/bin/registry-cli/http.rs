//! JSON over plain HTTP to the example registry (hyper-util's client).
//! Plain HTTP only to a loopback address: the example has no TLS client,
//! and a token must never cross a network in clear.

use std::net::IpAddr;

use axum::http::{HeaderMap, Method, Request, StatusCode, Uri};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use latchkey::core::time::Duration;

/// An answer: status, headers and the JSON body (`Null` when empty or not
/// JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: serde_json::Value,
}

impl Answer {
    /// `Retry-After` in seconds, else `fallback`.
    pub fn retry_after(&self, fallback: Duration) -> Duration {
        self.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<i64>().ok())
            .map_or(fallback, Duration::seconds)
    }

    /// The body's `error` text, or the status.
    pub fn error(&self) -> String {
        self.body
            .get("error")
            .and_then(|e| e.as_str())
            .map_or_else(|| self.status.to_string(), str::to_owned)
    }

    /// A string field of the body.
    pub fn text(&self, field: &str) -> Option<&str> {
        self.body.get(field).and_then(|v| v.as_str())
    }
}

/// The registry's client.
pub struct Registry {
    base: String,
    client: Client<HttpConnector, Full<Bytes>>,
}

impl Registry {
    /// A client for `base` (`http://127.0.0.1:8080`, say).
    ///
    /// # Errors
    /// When `base` is not `http://` to a loopback address.
    pub fn new(base: &str) -> Result<Self, String> {
        let base = base.trim_end_matches('/').to_owned();
        let uri: Uri = base
            .parse()
            .map_err(|e| format!("--registry {base}: {e}"))?;
        if uri.scheme_str() != Some("http") {
            return Err(format!(
                "--registry {base}: this example speaks plain http:// only (to a registry on this machine)"
            ));
        }
        let host = uri.host().unwrap_or_default();
        let loopback = host == "localhost"
            || host
                .trim_matches(['[', ']'])
                .parse::<IpAddr>()
                .is_ok_and(|ip| ip.is_loopback());
        if !loopback {
            return Err(format!(
                "--registry {base}: plain HTTP would send the token in clear; only a loopback registry is allowed"
            ));
        }
        Ok(Self {
            base,
            client: Client::builder(TokioExecutor::new()).build_http(),
        })
    }

    /// The registry's address.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// One request: `path` is on the registry (`/-/whoami`) or a whole URL
    /// the registry handed out (the `doneUrl`, which must be on it too).
    pub async fn call(
        &self,
        method: Method,
        path_or_url: &str,
        headers: &[(&str, &str)],
    ) -> Result<Answer, String> {
        let url = if path_or_url.starts_with('/') {
            format!("{}{path_or_url}", self.base)
        } else if path_or_url.starts_with(&format!("{}/", self.base)) {
            path_or_url.to_owned()
        } else {
            return Err(format!(
                "the registry answered a URL elsewhere: {path_or_url}"
            ));
        };
        let mut request = Request::builder()
            .method(method)
            .uri(&url)
            .header(
                "user-agent",
                concat!("registry-cli/", env!("CARGO_PKG_VERSION")),
            )
            .header("accept", "application/json");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let request = request
            .body(Full::new(Bytes::new()))
            .map_err(|e| format!("cannot make the request: {e}"))?;
        let response = self
            .client
            .request(request)
            .await
            .map_err(|e| format!("cannot reach the registry at {}: {e}", self.base))?;
        let (parts, body) = response.into_parts();
        let bytes = body
            .collect()
            .await
            .map_err(|e| format!("the registry's answer broke off: {e}"))?
            .to_bytes();
        Ok(Answer {
            status: parts.status,
            headers: parts.headers,
            body: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        })
    }
}
