//! What the HTTP connectors share: one client per connection, every call timed and recorded for
//! the monitor, and the mapping from what went wrong on the wire to [`GlError`].
//!
//! The mapping decides whether a journal may be sent again blindly, so it errs on the safe side:
//! only a failure *before the request left* (connection refused, DNS) or an answer that says the
//! server did not process it (503, 429, 502/504 from a gateway) is retryable. A timeout, a reset
//! connection or a 500 after the request was sent may have booked the entry: that is an unknown
//! outcome, resolved by looking the reference up.

use crate::connector::GlError;
use crate::monitor::{CallLog, CallRecord};
use reqwest::{Response, StatusCode};
use std::time::{Duration, Instant, SystemTime};

/// The longest a GL may take to answer one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long to wait after a 429 that does not say.
const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(1);

/// A client that records every call.
#[derive(Debug, Clone)]
pub struct Http {
    pub client: reqwest::Client,
    pub connector: &'static str,
    /// HTTP basic authentication for every request, when the GL wants it.
    pub auth: Option<(String, String)>,
    /// Statuses that mean "not now" for this GL rather than what they say: Fava answers 404 for
    /// its ledger while another request reloads it.
    pub transient_statuses: &'static [u16],
    /// Statuses that hide what happened for this GL: hledger-web with `--serve-api` answers 403
    /// for any failure inside it (its error page is the disabled web UI), also after a write. An
    /// unknown outcome, never a refusal.
    pub doubtful_statuses: &'static [u16],
}

impl Http {
    pub fn new(connector: &'static str, timeout: Duration) -> Result<Http, GlError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .connect_timeout(timeout.min(Duration::from_secs(5)))
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(8)
            .build()
            .map_err(|e| GlError::permanent(format!("cannot set up HTTP: {e}"), None))?;
        Ok(Http {
            client,
            connector,
            auth: None,
            transient_statuses: &[],
            doubtful_statuses: &[],
        })
    }

    /// A request with the connection's authentication.
    pub fn request(&self, method: reqwest::Method, url: &str) -> reqwest::RequestBuilder {
        let request = self.client.request(method, url);
        match &self.auth {
            Some((user, secret)) => request.basic_auth(user, Some(secret)),
            None => request,
        }
    }

    pub fn get(&self, url: &str) -> reqwest::RequestBuilder {
        self.request(reqwest::Method::GET, url)
    }

    /// [`Http::send`] for a request that changes nothing (a read), tried up to three times while
    /// it fails in a way that may pass (retryable or unknown).
    pub async fn read(
        &self,
        log: &CallLog,
        operation: &str,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Response, GlError> {
        let mut attempt = 0u64;
        loop {
            match self.send(log, operation, request()).await {
                Err(GlError::Retryable { .. } | GlError::Unknown { .. }) if attempt < 2 => {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(50 * attempt)).await;
                }
                other => return other,
            }
        }
    }

    /// Sends `request`, records the call as `operation` in `log`, and returns the response when
    /// its status is a success; any other outcome as the [`GlError`] it means.
    pub async fn send(
        &self,
        log: &CallLog,
        operation: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Response, GlError> {
        let started = SystemTime::now();
        let clock = Instant::now();
        let result = request.send().await;
        let (status, correlation_id, outcome) = match result {
            Err(e) => (
                transport_kind(&e).to_owned(),
                None,
                Err(transport_error(&e)),
            ),
            Ok(response) => {
                let status = response.status();
                let correlation = response
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let outcome = if status.is_success() || status.is_redirection() {
                    Ok(response)
                } else {
                    Err(status_error(status, &response, operation, self))
                };
                (status.as_u16().to_string(), correlation, outcome)
            }
        };
        log.push(CallRecord {
            started,
            connector: self.connector.to_owned(),
            operation: operation.to_owned(),
            status,
            duration: clock.elapsed(),
            correlation_id,
            error: outcome.as_ref().err().map(ToString::to_string),
        });
        outcome
    }
}

fn transport_kind(e: &reqwest::Error) -> &'static str {
    if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_decode() || e.is_body() {
        "body"
    } else {
        "transport"
    }
}

/// A failure on the wire. Without the request's URL: it is in the connection settings already.
pub fn transport_error(e: &reqwest::Error) -> GlError {
    let text = e.without_url_ref();
    if e.is_connect() {
        GlError::retryable(format!("cannot connect: {text}"))
    } else if e.is_timeout() {
        GlError::unknown(format!("no answer in time: {text}"))
    } else {
        GlError::unknown(format!("the connection failed: {text}"))
    }
}

trait WithoutUrl {
    fn without_url_ref(&self) -> String;
}

impl WithoutUrl for reqwest::Error {
    fn without_url_ref(&self) -> String {
        let mut text = self.to_string();
        if let Some(url) = self.url() {
            text = text.replace(&format!(" ({url})"), "");
            text = text.replace(url.as_str(), "the GL");
        }
        let mut source = std::error::Error::source(self);
        while let Some(s) = source {
            text.push_str(&format!(": {s}"));
            source = s.source();
        }
        text
    }
}

/// `Retry-After` in seconds (the HTTP-date form is read as the default wait).
fn retry_after(response: &Response) -> Duration {
    response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_RETRY_AFTER)
}

fn status_error(status: StatusCode, response: &Response, operation: &str, http: &Http) -> GlError {
    let message = format!("{operation}: HTTP {status}");
    match status {
        s if http.transient_statuses.contains(&s.as_u16()) => GlError::retryable(message),
        s if http.doubtful_statuses.contains(&s.as_u16()) => GlError::unknown(message),
        StatusCode::TOO_MANY_REQUESTS => GlError::RateLimited {
            wait: retry_after(response),
            message,
        },
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT => {
            GlError::retryable(message)
        }
        s if s.is_server_error() => GlError::unknown(message),
        _ => GlError::permanent(message, None),
    }
}

/// Reads a JSON body; a body that is not what was expected after a success is an unknown outcome.
pub async fn json<T: serde::de::DeserializeOwned>(
    response: Response,
    what: &str,
) -> Result<T, GlError> {
    response.json::<T>().await.map_err(|e| {
        GlError::unknown(format!(
            "{what}: unreadable answer: {}",
            e.without_url_ref()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GLs in the cloud are https only: the client must speak TLS (rustls), not refuse the scheme.
    /// A local listener sees the TLS handshake's first record (type 0x16, a ClientHello).
    #[tokio::test]
    async fn an_https_url_gets_a_tls_handshake() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (mut stream, _) = listener.accept().await.unwrap();
            let mut first = [0u8; 3];
            tokio::io::AsyncReadExt::read_exact(&mut stream, &mut first)
                .await
                .unwrap();
            first
        });
        let http = Http::new("test", Duration::from_secs(2)).unwrap();
        let log = CallLog::default();
        let err = http
            .send(
                &log,
                "probe",
                http.get(&format!("https://127.0.0.1:{port}/")),
            )
            .await
            .unwrap_err();
        let first = tokio::time::timeout(Duration::from_secs(5), server)
            .await
            .unwrap_or_else(|_| panic!("no connection was made for the https URL: {err}"))
            .unwrap();
        assert_eq!(first[0], 0x16, "a TLS handshake record");
        assert_eq!(first[1], 0x03, "TLS major version 3");
        // The listener hung up mid-handshake: not a refusal of the request itself.
        assert!(!matches!(err, GlError::Permanent { .. }), "{err:?}");
    }

    #[tokio::test]
    async fn a_refused_connection_is_retryable_and_recorded() {
        // Port 9 on loopback: nothing listens there in a test environment.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let http = Http::new("test", Duration::from_secs(2)).unwrap();
        let log = CallLog::default();
        let err = http
            .send(
                &log,
                "probe",
                http.client.get(format!("http://127.0.0.1:{port}/x")),
            )
            .await
            .unwrap_err();
        assert!(matches!(err, GlError::Retryable { .. }), "{err:?}");
        assert!(!err.to_string().contains("127.0.0.1"), "{err}");
        let calls = log.drain();
        assert_eq!(calls.len(), 1);
        assert_eq!(
            (calls[0].operation.as_str(), calls[0].status.as_str()),
            ("probe", "connect")
        );
    }
}
