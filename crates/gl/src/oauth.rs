//! OAuth 2.0 for a desktop app: the authorization-code grant with PKCE through the system browser
//! and a loopback redirect (RFC 8252), and access tokens kept fresh by one task.
//!
//! Why it is built this way:
//!
//! * **A desktop app cannot keep a secret**, so the grant is bound to this one sign-in by PKCE
//!   (RFC 7636, `S256`): the verifier is drawn from randomness the caller passes in (the crate
//!   never reads a random source itself) and only its SHA-256 leaves in the browser's URL. The
//!   `state` is checked on the way back, so a redirect that this sign-in did not start is refused.
//! * **The browser comes back to 127.0.0.1 on a random port** (RFC 8252 §7.3): a
//!   [`LoopbackListener`] accepts exactly the redirect, answers the browser with a short page and
//!   hands the code over; it gives up after a timeout rather than waiting forever.
//! * **Tokens live in the OS keychain only**: a [`TokenVault`] is where a [`TokenSet`] is loaded
//!   from and stored to (the app implements it with the keychain). [`TokenSet`]'s `Debug` never
//!   prints a token, so a token cannot reach a log by way of `{:?}`.
//! * **One refresh at a time, stored before use**: [`TokenSource`] owns the refresh under a tokio
//!   mutex, so concurrent requests that find the token expired (or get a 401) cause one refresh,
//!   not one each. APIs that rotate refresh tokens (Xero does; the old one dies after a grace
//!   period) make the order matter: the new refresh token is written to the vault *before* the
//!   new access token is handed to anyone, so a crash right after a refresh never leaves the
//!   vault with a refresh token the server has already retired.
//! * **A dead grant is not a retry**: `invalid_grant` (revoked, expired, already used) and
//!   `invalid_client` become [`GlError::SignInAgain`], which the outbox treats as "stop sending
//!   for this connection, keep everything queued, ask the user to sign in again" — never a loop
//!   of refresh attempts that can only fail.

use crate::connector::GlError;
use crate::http::Http;
use crate::monitor::{CallLog, CallRecord};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// How long before its expiry an access token is refreshed anyway (a request that starts with a
/// token about to expire could reach the API after it did).
pub const REFRESH_MARGIN: Duration = Duration::from_secs(60);
/// How long the loopback listener waits for the browser by default.
pub const SIGN_IN_TIMEOUT: Duration = Duration::from_secs(300);

/// Where an OAuth provider is and who this app is to it.
#[derive(Clone, PartialEq, Eq)]
pub struct OAuthClient {
    /// The authorization endpoint the browser is sent to.
    pub authorize_url: String,
    /// The token endpoint (code exchange and refresh).
    pub token_url: String,
    pub client_id: String,
    /// The company's own app secret, where the API insists on a confidential client
    /// (QuickBooks); sent with HTTP basic authentication (RFC 6749 §2.3.1). Never printed.
    pub client_secret: Option<String>,
    pub scopes: Vec<String>,
    /// The path of the loopback redirect (`/callback`); the port is the listener's.
    pub redirect_path: String,
    /// Further parameters of the authorization URL some providers want (`prompt`, …).
    pub extra_params: Vec<(String, String)>,
}

impl fmt::Debug for OAuthClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OAuthClient")
            .field("authorize_url", &self.authorize_url)
            .field("token_url", &self.token_url)
            .field("client_id", &self.client_id)
            .field(
                "client_secret",
                &self.client_secret.as_ref().map(|_| "<redacted>"),
            )
            .field("scopes", &self.scopes)
            .field("redirect_path", &self.redirect_path)
            .finish_non_exhaustive()
    }
}

/// The tokens of one connection.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenSet {
    pub access_token: String,
    /// Absent when the provider gives none (then there is no refresh: sign in again).
    pub refresh_token: Option<String>,
    /// When the access token stops working (from `expires_in` at the time it was received).
    pub expires_at: DateTime<Utc>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub token_type: Option<String>,
    /// The provider's id token, when it sends one (OpenID Connect); never printed either.
    #[serde(default)]
    pub id_token: Option<String>,
}

impl fmt::Debug for TokenSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSet")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("token_type", &self.token_type)
            .field("id_token", &self.id_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl TokenSet {
    /// Whether the access token is still good at `now` with `margin` to spare.
    pub fn fresh_at(&self, now: DateTime<Utc>, margin: Duration) -> bool {
        let margin = chrono::Duration::from_std(margin).unwrap_or_default();
        now + margin < self.expires_at
    }
}

/// Where the tokens of a connection are kept. The app's implementation is the OS keychain; a
/// store that is not available is an error, never a silent fallback to memory.
pub trait TokenVault: Send + Sync + 'static {
    /// The tokens stored for `connection`, if any.
    fn load(&self, connection: &str) -> Result<Option<TokenSet>, GlError>;
    /// Stores `tokens` for `connection`, replacing what was there. Only returns once they are
    /// kept (read back where the store can accept a write it cannot keep).
    fn store(&self, connection: &str, tokens: &TokenSet) -> Result<(), GlError>;
}

/// The current time, handed in (tests move it to make tokens expire).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// The wall clock, for the app's edge.
pub fn system_clock() -> Clock {
    Arc::new(Utc::now)
}

/// base64url without padding (RFC 4648 §5), as PKCE and `state` want it.
pub fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        let chars = chunk.len() + 1;
        for i in 0..chars {
            let index = (n >> (18 - 6 * i)) & 0x3f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// A PKCE verifier and its `S256` challenge (RFC 7636 §4.1–4.2).
#[derive(Clone, PartialEq, Eq)]
pub struct Pkce {
    verifier: String,
    challenge: String,
}

impl fmt::Debug for Pkce {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pkce")
            .field("verifier", &"<redacted>")
            .field("challenge", &self.challenge)
            .finish()
    }
}

impl Pkce {
    /// From 32 random bytes (the caller's random source): a 43-character verifier, the
    /// recommended 256 bits of entropy (RFC 7636 §7.1).
    pub fn from_random(random: [u8; 32]) -> Pkce {
        let verifier = base64url(&random);
        let challenge = base64url(&Sha256::digest(verifier.as_bytes()));
        Pkce {
            verifier,
            challenge,
        }
    }

    pub fn verifier(&self) -> &str {
        &self.verifier
    }

    pub fn challenge(&self) -> &str {
        &self.challenge
    }
}

/// A `state` value from 16 random bytes (the caller's).
pub fn state_from_random(random: [u8; 16]) -> String {
    base64url(&random)
}

/// The token endpoint's answer (RFC 6749 §5.1).
#[derive(Deserialize)]
struct TokenResponse {
    access_token: String,
    #[serde(default)]
    token_type: Option<String>,
    #[serde(default)]
    expires_in: Option<i64>,
    #[serde(default)]
    refresh_token: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    id_token: Option<String>,
}

/// The token endpoint's refusal (RFC 6749 §5.2).
#[derive(Deserialize)]
struct TokenError {
    error: String,
    #[serde(default)]
    error_description: Option<String>,
}

impl OAuthClient {
    /// The URL the system browser opens (RFC 6749 §4.1.1 with RFC 7636 §4.3).
    pub fn authorization_url(
        &self,
        redirect_uri: &str,
        state: &str,
        pkce: &Pkce,
    ) -> Result<String, GlError> {
        let mut url = reqwest::Url::parse(&self.authorize_url).map_err(|e| {
            GlError::permanent(
                format!(
                    "the authorization URL '{}' is not a URL: {e}",
                    self.authorize_url
                ),
                None,
            )
        })?;
        {
            let mut query = url.query_pairs_mut();
            query
                .append_pair("response_type", "code")
                .append_pair("client_id", &self.client_id)
                .append_pair("redirect_uri", redirect_uri)
                .append_pair("scope", &self.scopes.join(" "))
                .append_pair("state", state)
                .append_pair("code_challenge", pkce.challenge())
                .append_pair("code_challenge_method", "S256");
            for (name, value) in &self.extra_params {
                query.append_pair(name, value);
            }
        }
        Ok(url.into())
    }

    /// Exchanges the authorization `code` for tokens (RFC 6749 §4.1.3, with the PKCE verifier).
    pub async fn exchange_code(
        &self,
        http: &Http,
        calls: &CallLog,
        code: &str,
        redirect_uri: &str,
        pkce: &Pkce,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, GlError> {
        let form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("code_verifier", pkce.verifier()),
        ];
        self.token_request(http, calls, "token_exchange", form, None, now)
            .await
    }

    /// A new access token from `refresh_token` (RFC 6749 §6). When the provider sends no new
    /// refresh token, the old one stays.
    pub async fn refresh(
        &self,
        http: &Http,
        calls: &CallLog,
        refresh_token: &str,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, GlError> {
        let form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        self.token_request(http, calls, "token_refresh", form, Some(refresh_token), now)
            .await
    }

    async fn token_request(
        &self,
        http: &Http,
        calls: &CallLog,
        operation: &str,
        mut form: Vec<(&str, &str)>,
        old_refresh: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<TokenSet, GlError> {
        let mut request = http
            .client
            .post(&self.token_url)
            .header(reqwest::header::ACCEPT, "application/json");
        match &self.client_secret {
            Some(secret) => request = request.basic_auth(&self.client_id, Some(secret)),
            None => form.push(("client_id", &self.client_id)),
        }
        let request = request.form(&form);
        let started = SystemTime::now();
        let clock = Instant::now();
        let result = request.send().await;
        let (status, outcome) = match result {
            Err(e) => {
                let kind = if e.is_timeout() {
                    "timeout"
                } else if e.is_connect() {
                    "connect"
                } else {
                    "transport"
                };
                // A token request books nothing: whatever happened, trying again is safe.
                let error = GlError::retryable(format!(
                    "the sign-in server did not answer ({kind}); it will be tried again"
                ));
                (kind.to_owned(), Err(error))
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = response
                    .headers()
                    .get(reqwest::header::RETRY_AFTER)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.trim().parse::<u64>().ok());
                let body = response.bytes().await.unwrap_or_default();
                let outcome = token_outcome(status, retry_after, &body, old_refresh, now);
                (status.as_u16().to_string(), outcome)
            }
        };
        calls.push(CallRecord {
            started,
            connector: http.connector.to_owned(),
            operation: operation.to_owned(),
            status,
            duration: clock.elapsed(),
            correlation_id: None,
            error: outcome.as_ref().err().map(ToString::to_string),
        });
        outcome
    }
}

/// What a token endpoint's answer means. Only the `error` code and its description are ever put
/// into a message: the body of a success holds the tokens.
fn token_outcome(
    status: reqwest::StatusCode,
    retry_after: Option<u64>,
    body: &[u8],
    old_refresh: Option<&str>,
    now: DateTime<Utc>,
) -> Result<TokenSet, GlError> {
    if status.is_success() {
        let parsed: TokenResponse = serde_json::from_slice(body).map_err(|e| {
            GlError::retryable(format!(
                "the sign-in server's answer has no usable tokens (line {}, column {})",
                e.line(),
                e.column()
            ))
        })?;
        let expires_in = parsed.expires_in.unwrap_or(3600).max(0);
        return Ok(TokenSet {
            access_token: parsed.access_token,
            refresh_token: parsed
                .refresh_token
                .or_else(|| old_refresh.map(str::to_owned)),
            expires_at: now + chrono::Duration::seconds(expires_in),
            scope: parsed.scope,
            token_type: parsed.token_type,
            id_token: parsed.id_token,
        });
    }
    let refusal: Option<TokenError> = serde_json::from_slice(body).ok();
    let described = refusal
        .as_ref()
        .map(|r| match &r.error_description {
            Some(d) => format!("{} ({d})", r.error),
            None => r.error.clone(),
        })
        .unwrap_or_else(|| format!("HTTP {status}"));
    match (status.as_u16(), refusal.as_ref().map(|r| r.error.as_str())) {
        (_, Some("invalid_grant" | "invalid_client" | "unauthorized_client")) | (401, _) => {
            Err(GlError::SignInAgain {
                message: format!("the sign-in is no longer valid: {described}"),
            })
        }
        (429, _) => Err(GlError::RateLimited {
            wait: Duration::from_secs(retry_after.unwrap_or(1)),
            message: format!("the sign-in server asks to wait: {described}"),
        }),
        (s, _) if s >= 500 => Err(GlError::retryable(format!(
            "the sign-in server failed: {described}"
        ))),
        _ => Err(GlError::permanent(
            format!("the sign-in server refused the request: {described}"),
            None,
        )),
    }
}

/// The loopback end of the redirect (RFC 8252 §7.3): listens on 127.0.0.1 on a port the OS picks.
#[derive(Debug)]
pub struct LoopbackListener {
    listener: tokio::net::TcpListener,
    redirect_uri: String,
    path: String,
}

/// What the browser brought back.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Redirect {
    Code(String),
    Refused(String),
}

impl LoopbackListener {
    /// Binds 127.0.0.1 on a random port; the redirect URI is `http://127.0.0.1:PORT{path}`.
    pub async fn bind(path: &str) -> Result<LoopbackListener, GlError> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|e| GlError::permanent(format!("cannot listen on 127.0.0.1: {e}"), None))?;
        let port = listener
            .local_addr()
            .map_err(|e| GlError::permanent(format!("cannot listen on 127.0.0.1: {e}"), None))?
            .port();
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            format!("/{path}")
        };
        Ok(LoopbackListener {
            listener,
            redirect_uri: format!("http://127.0.0.1:{port}{path}"),
            path,
        })
    }

    pub fn redirect_uri(&self) -> &str {
        &self.redirect_uri
    }

    /// Waits (at most `timeout`) for the browser's redirect with `state` and returns the code.
    /// Requests for other paths (a browser asks for `/favicon.ico`) get a 404 and the wait goes
    /// on; a redirect with another state is refused, since this sign-in did not start it.
    pub async fn wait_for_code(self, state: &str, timeout: Duration) -> Result<String, GlError> {
        let wait = async {
            loop {
                let Ok((mut stream, _)) = self.listener.accept().await else {
                    continue;
                };
                let Some(target) = read_request_target(&mut stream).await else {
                    continue;
                };
                let Ok(url) = reqwest::Url::parse(&format!("http://127.0.0.1{target}")) else {
                    respond(&mut stream, 400, "Folio could not read this request.").await;
                    continue;
                };
                if url.path() != self.path {
                    respond(&mut stream, 404, "Not found.").await;
                    continue;
                }
                match parse_redirect(&url, state) {
                    Ok(Redirect::Code(code)) => {
                        respond(
                            &mut stream,
                            200,
                            "Folio is signed in. You can close this window and return to Folio.",
                        )
                        .await;
                        return Ok(code);
                    }
                    Ok(Redirect::Refused(why)) => {
                        respond(
                            &mut stream,
                            200,
                            "The sign-in was not completed. Return to Folio.",
                        )
                        .await;
                        return Err(GlError::SignInAgain {
                            message: format!("the sign-in was refused: {why}"),
                        });
                    }
                    Err(why) => {
                        respond(&mut stream, 400, "This sign-in was not started by Folio.").await;
                        return Err(GlError::permanent(why, None));
                    }
                }
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| {
                Err(GlError::SignInAgain {
                    message: format!(
                        "no sign-in came back from the browser within {} s",
                        timeout.as_secs()
                    ),
                })
            })
    }
}

/// The code of a redirect, if its state is ours (RFC 6749 §4.1.2; errors §4.1.2.1).
fn parse_redirect(url: &reqwest::Url, state: &str) -> Result<Redirect, String> {
    let mut code = None;
    let mut got_state = None;
    let mut error = None;
    let mut description = None;
    for (name, value) in url.query_pairs() {
        match name.as_ref() {
            "code" => code = Some(value.into_owned()),
            "state" => got_state = Some(value.into_owned()),
            "error" => error = Some(value.into_owned()),
            "error_description" => description = Some(value.into_owned()),
            _ => {}
        }
    }
    if got_state.as_deref() != Some(state) {
        return Err("the redirect's state does not match this sign-in; refused".into());
    }
    match (code, error) {
        (_, Some(error)) => Ok(Redirect::Refused(match description {
            Some(d) => format!("{error} ({d})"),
            None => error,
        })),
        (Some(code), None) if !code.is_empty() => Ok(Redirect::Code(code)),
        _ => Err("the redirect carries no code".into()),
    }
}

/// The request target of an HTTP/1 request line (`GET /callback?... HTTP/1.1`).
async fn read_request_target(stream: &mut tokio::net::TcpStream) -> Option<String> {
    let mut buffer = Vec::with_capacity(1024);
    let mut chunk = [0u8; 1024];
    while !buffer.windows(4).any(|w| w == b"\r\n\r\n") && buffer.len() < 16 * 1024 {
        let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut chunk))
            .await
            .ok()?
            .ok()?;
        if read == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let text = String::from_utf8_lossy(&buffer);
    let mut parts = text.lines().next()?.split_whitespace();
    let method = parts.next()?;
    let target = parts.next()?;
    (method == "GET" && target.starts_with('/')).then(|| target.to_owned())
}

async fn respond(stream: &mut tokio::net::TcpStream, status: u16, text: &str) {
    let reason = match status {
        200 => "OK",
        404 => "Not Found",
        _ => "Bad Request",
    };
    let body = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>Folio</title></head>\
         <body><p>{text}</p></body></html>"
    );
    let response = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

/// Access tokens for one connection, refreshed by one task at a time (see the module docs).
/// Cheap to clone: every clone shares the lock, the cached tokens and the call log.
#[derive(Clone)]
pub struct TokenSource {
    inner: Arc<SourceInner>,
}

struct SourceInner {
    client: OAuthClient,
    http: Http,
    vault: Arc<dyn TokenVault>,
    connection: String,
    clock: Clock,
    calls: CallLog,
    /// The tokens as last loaded or refreshed; `None` until first needed.
    tokens: tokio::sync::Mutex<Option<TokenSet>>,
}

impl fmt::Debug for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenSource")
            .field("client", &self.inner.client)
            .field("connection", &self.inner.connection)
            .finish_non_exhaustive()
    }
}

impl TokenSource {
    /// Tokens of `connection` in `vault`, refreshed at `client`'s token endpoint over `http`.
    pub fn new(
        client: OAuthClient,
        http: Http,
        vault: Arc<dyn TokenVault>,
        connection: impl Into<String>,
        clock: Clock,
    ) -> TokenSource {
        TokenSource {
            inner: Arc::new(SourceInner {
                client,
                http,
                vault,
                connection: connection.into(),
                clock,
                calls: CallLog::default(),
                tokens: tokio::sync::Mutex::new(None),
            }),
        }
    }

    /// The connection's key in the vault.
    pub fn connection(&self) -> &str {
        &self.inner.connection
    }

    /// The token endpoint calls made so far (refreshes), for the integration monitor.
    pub fn drain_calls(&self) -> Vec<CallRecord> {
        self.inner.calls.drain()
    }

    /// An access token that is good for a while yet: the stored one, or a fresh one from a
    /// refresh when it is about to expire.
    pub async fn bearer(&self) -> Result<String, GlError> {
        let mut tokens = self.inner.tokens.lock().await;
        let current = self.loaded(&mut tokens).await?;
        if current.fresh_at((self.inner.clock)(), REFRESH_MARGIN) {
            return Ok(current.access_token.clone());
        }
        let refreshed = self.refresh_locked(&current).await?;
        let access = refreshed.access_token.clone();
        *tokens = Some(refreshed);
        Ok(access)
    }

    /// The API refused `rejected` (HTTP 401): a new access token, refreshed unless another task
    /// already did so since `rejected` was handed out.
    pub async fn after_unauthorized(&self, rejected: &str) -> Result<String, GlError> {
        let mut tokens = self.inner.tokens.lock().await;
        let current = self.loaded(&mut tokens).await?;
        if current.access_token != rejected {
            return Ok(current.access_token.clone());
        }
        let refreshed = self.refresh_locked(&current).await?;
        let access = refreshed.access_token.clone();
        *tokens = Some(refreshed);
        Ok(access)
    }

    /// The cached tokens, loaded from the vault on first use. The caller holds the lock.
    async fn loaded(&self, tokens: &mut Option<TokenSet>) -> Result<TokenSet, GlError> {
        if let Some(current) = tokens.as_ref() {
            return Ok(current.clone());
        }
        let vault = Arc::clone(&self.inner.vault);
        let connection = self.inner.connection.clone();
        let loaded = tokio::task::spawn_blocking(move || vault.load(&connection))
            .await
            .map_err(|e| GlError::retryable(format!("reading the keychain failed: {e}")))??;
        let loaded = loaded.ok_or_else(|| GlError::SignInAgain {
            message: format!(
                "there is no sign-in for the GL connection {} in the keychain",
                self.inner.connection
            ),
        })?;
        *tokens = Some(loaded.clone());
        Ok(loaded)
    }

    /// Refreshes `current` and stores the result in the vault before returning it. The caller
    /// holds the lock, so this runs once at a time per connection.
    async fn refresh_locked(&self, current: &TokenSet) -> Result<TokenSet, GlError> {
        let Some(refresh_token) = current.refresh_token.as_deref() else {
            return Err(GlError::SignInAgain {
                message: "the access token expired and there is no refresh token".into(),
            });
        };
        let refreshed = self
            .inner
            .client
            .refresh(
                &self.inner.http,
                &self.inner.calls,
                refresh_token,
                (self.inner.clock)(),
            )
            .await?;
        // Persist first: the server may already have retired the old refresh token.
        let vault = Arc::clone(&self.inner.vault);
        let connection = self.inner.connection.clone();
        let to_store = refreshed.clone();
        tokio::task::spawn_blocking(move || vault.store(&connection, &to_store))
            .await
            .map_err(|e| GlError::retryable(format!("writing the keychain failed: {e}")))??;
        Ok(refreshed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "Zg"),
            (b"fo", "Zm8"),
            (b"foo", "Zm9v"),
            (b"foob", "Zm9vYg"),
            (b"fooba", "Zm9vYmE"),
            (&[0xfb, 0xff, 0xbf], "-_-_"),
        ];
        for (bytes, text) in cases {
            assert_eq!(base64url(bytes), text, "{bytes:?}");
        }
    }

    /// RFC 7636 Appendix B: the verifier from its 32 octets and the S256 challenge.
    #[test]
    fn pkce_matches_rfc_7636_appendix_b() {
        let octets = [
            116, 24, 223, 180, 151, 153, 224, 37, 79, 250, 96, 125, 216, 173, 187, 186, 22, 212,
            37, 77, 105, 214, 191, 240, 91, 88, 5, 88, 83, 132, 141, 121,
        ];
        let pkce = Pkce::from_random(octets);
        assert_eq!(
            pkce.verifier(),
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
        );
        assert_eq!(
            pkce.challenge(),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
        assert!(!format!("{pkce:?}").contains(pkce.verifier()));
    }

    fn client(token_url: &str) -> OAuthClient {
        OAuthClient {
            authorize_url: "https://login.example.com/authorize?tenant=x".into(),
            token_url: token_url.into(),
            client_id: "app id".into(),
            client_secret: None,
            scopes: vec!["openid".into(), "accounting.transactions".into()],
            redirect_path: "/callback".into(),
            extra_params: vec![],
        }
    }

    #[test]
    fn the_authorization_url_carries_pkce_and_state() {
        let pkce = Pkce::from_random([7; 32]);
        let url = client("http://127.0.0.1:1/token")
            .authorization_url("http://127.0.0.1:5555/callback", "st&te", &pkce)
            .unwrap();
        let parsed = reqwest::Url::parse(&url).unwrap();
        let pairs: std::collections::BTreeMap<String, String> =
            parsed.query_pairs().into_owned().collect();
        assert_eq!(pairs["tenant"], "x");
        assert_eq!(pairs["response_type"], "code");
        assert_eq!(pairs["client_id"], "app id");
        assert_eq!(pairs["redirect_uri"], "http://127.0.0.1:5555/callback");
        assert_eq!(pairs["scope"], "openid accounting.transactions");
        assert_eq!(pairs["state"], "st&te");
        assert_eq!(pairs["code_challenge"], pkce.challenge());
        assert_eq!(pairs["code_challenge_method"], "S256");
        assert!(!url.contains(pkce.verifier()));
    }

    #[test]
    fn debug_never_prints_a_token_or_secret() {
        let tokens = TokenSet {
            access_token: "AT-secret-1".into(),
            refresh_token: Some("RT-secret-2".into()),
            expires_at: DateTime::<Utc>::UNIX_EPOCH,
            scope: None,
            token_type: Some("Bearer".into()),
            id_token: Some("ID-secret-3".into()),
        };
        let text = format!("{tokens:?}");
        for secret in ["AT-secret-1", "RT-secret-2", "ID-secret-3"] {
            assert!(!text.contains(secret), "{text}");
        }
        let mut c = client("http://x/token");
        c.client_secret = Some("CS-secret-4".into());
        assert!(!format!("{c:?}").contains("CS-secret-4"));
    }

    #[test]
    fn token_endpoint_answers_map_to_what_the_outbox_does() {
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let ok = token_outcome(
            reqwest::StatusCode::OK,
            None,
            br#"{"access_token":"a","expires_in":1800,"token_type":"Bearer"}"#,
            Some("old"),
            now,
        )
        .unwrap();
        assert_eq!(
            ok.refresh_token.as_deref(),
            Some("old"),
            "kept when not rotated"
        );
        assert_eq!(ok.expires_at, now + chrono::Duration::seconds(1800));
        let cases: [(u16, &[u8], &str); 6] = [
            (400, br#"{"error":"invalid_grant"}"#, "sign_in_again"),
            (400, br#"{"error":"invalid_client"}"#, "sign_in_again"),
            (401, b"", "sign_in_again"),
            (429, b"", "rate_limited"),
            (503, b"", "retryable"),
            (400, br#"{"error":"invalid_request"}"#, "permanent"),
        ];
        for (status, body, kind) in cases {
            let status = reqwest::StatusCode::from_u16(status).unwrap();
            let err = token_outcome(status, Some(3), body, None, now).unwrap_err();
            assert_eq!(err.kind(), kind, "{status} {err}");
        }
    }

    #[tokio::test]
    async fn the_loopback_listener_returns_the_code_of_its_own_state_only() {
        for (query, expect) in [
            ("code=abc%2F1&state=S1", Ok("abc/1".to_owned())),
            ("code=abc&state=other", Err("permanent")),
            ("error=access_denied&state=S1", Err("sign_in_again")),
        ] {
            let listener = LoopbackListener::bind("callback").await.unwrap();
            let uri = listener.redirect_uri().to_owned();
            assert!(uri.starts_with("http://127.0.0.1:") && uri.ends_with("/callback"));
            let waiting = tokio::spawn(listener.wait_for_code("S1", Duration::from_secs(30)));
            let http = reqwest::Client::new();
            let favicon = uri.replace("/callback", "/favicon.ico");
            assert_eq!(http.get(&favicon).send().await.unwrap().status(), 404);
            let page = http.get(format!("{uri}?{query}")).send().await.unwrap();
            assert!(page.status().is_success() || page.status() == 400);
            let got = waiting.await.unwrap().map_err(|e| e.kind());
            assert_eq!(got, expect, "{query}");
        }
        let listener = LoopbackListener::bind("/cb").await.unwrap();
        let err = listener
            .wait_for_code("S", Duration::from_millis(50))
            .await
            .unwrap_err();
        assert_eq!(err.kind(), "sign_in_again");
    }

    /// A vault in memory, for these tests only: the app keeps tokens in the OS keychain.
    #[derive(Default)]
    struct MemoryVault {
        tokens: Mutex<Option<TokenSet>>,
        stores: AtomicUsize,
    }

    impl TokenVault for MemoryVault {
        fn load(&self, _: &str) -> Result<Option<TokenSet>, GlError> {
            Ok(self.tokens.lock().unwrap().clone())
        }
        fn store(&self, _: &str, tokens: &TokenSet) -> Result<(), GlError> {
            self.stores.fetch_add(1, Ordering::SeqCst);
            *self.tokens.lock().unwrap() = Some(tokens.clone());
            Ok(())
        }
    }

    /// A token endpoint that rotates refresh tokens: each refresh token works once.
    async fn token_server(
        refreshes: Arc<AtomicUsize>,
        grant_dead: bool,
    ) -> (String, tokio::task::JoinHandle<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/token", listener.local_addr().unwrap());
        let handle = tokio::spawn(async move {
            loop {
                let (mut stream, _) = listener.accept().await.unwrap();
                let mut buffer = vec![0u8; 8192];
                let mut read = 0;
                loop {
                    let n = stream.read(&mut buffer[read..]).await.unwrap();
                    read += n;
                    let text = String::from_utf8_lossy(&buffer[..read]);
                    if n == 0 || text.contains("grant_type=") {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&buffer[..read]).into_owned();
                let (status, body) = if grant_dead {
                    ("400 Bad Request", r#"{"error":"invalid_grant"}"#.to_owned())
                } else {
                    let n = refreshes.fetch_add(1, Ordering::SeqCst) + 1;
                    assert!(
                        text.contains(&format!("refresh_token=RT{}", n - 1)),
                        "{text}"
                    );
                    assert!(text.contains("client_id=app+id"), "{text}");
                    (
                        "200 OK",
                        format!(
                            r#"{{"access_token":"AT{n}","refresh_token":"RT{n}","expires_in":1800}}"#
                        ),
                    )
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                stream.write_all(response.as_bytes()).await.unwrap();
            }
        });
        (url, handle)
    }

    #[tokio::test]
    async fn one_refresh_for_many_callers_and_the_new_refresh_token_is_stored_first() {
        let refreshes = Arc::new(AtomicUsize::new(0));
        let (url, server) = token_server(Arc::clone(&refreshes), false).await;
        let now = DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(1000);
        let vault = Arc::new(MemoryVault::default());
        vault
            .store(
                "c",
                &TokenSet {
                    access_token: "AT0".into(),
                    refresh_token: Some("RT0".into()),
                    // Expires within the margin: the first caller refreshes.
                    expires_at: now + chrono::Duration::seconds(30),
                    scope: None,
                    token_type: None,
                    id_token: None,
                },
            )
            .unwrap();
        let source = TokenSource::new(
            client(&url),
            Http::new("test", Duration::from_secs(5)).unwrap(),
            vault.clone(),
            "c",
            Arc::new(move || now),
        );
        let mut tasks = tokio::task::JoinSet::new();
        for _ in 0..8 {
            let source = source.clone();
            tasks.spawn(async move { source.bearer().await });
        }
        while let Some(done) = tasks.join_next().await {
            assert_eq!(done.unwrap().unwrap(), "AT1");
        }
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
        let stored = vault.load("c").unwrap().unwrap();
        assert_eq!(stored.refresh_token.as_deref(), Some("RT1"));
        // A 401 for a token another task already replaced: no refresh.
        assert_eq!(source.after_unauthorized("AT0").await.unwrap(), "AT1");
        assert_eq!(refreshes.load(Ordering::SeqCst), 1);
        // A 401 for the current one: one refresh, with the rotated refresh token.
        assert_eq!(source.after_unauthorized("AT1").await.unwrap(), "AT2");
        assert_eq!(
            vault.load("c").unwrap().unwrap().refresh_token.as_deref(),
            Some("RT2")
        );
        let calls = source.drain_calls();
        assert_eq!(calls.len(), 2);
        assert!(
            calls
                .iter()
                .all(|c| c.operation == "token_refresh" && c.status == "200")
        );
        server.abort();
    }

    #[tokio::test]
    async fn a_dead_grant_means_sign_in_again_and_nothing_is_stored() {
        let (url, server) = token_server(Arc::new(AtomicUsize::new(0)), true).await;
        let now = DateTime::<Utc>::UNIX_EPOCH;
        let vault = Arc::new(MemoryVault::default());
        let expired = TokenSet {
            access_token: "AT0".into(),
            refresh_token: Some("RT0".into()),
            expires_at: now,
            scope: None,
            token_type: None,
            id_token: None,
        };
        vault.store("c", &expired).unwrap();
        let source = TokenSource::new(
            client(&url),
            Http::new("test", Duration::from_secs(5)).unwrap(),
            vault.clone(),
            "c",
            Arc::new(move || now),
        );
        let err = source.bearer().await.unwrap_err();
        assert_eq!(err.kind(), "sign_in_again", "{err}");
        assert!(err.to_string().contains("invalid_grant"), "{err}");
        assert_eq!(vault.stores.load(Ordering::SeqCst), 1, "only the seed");
        // No tokens at all: sign in again as well.
        let empty = TokenSource::new(
            client(&url),
            Http::new("test", Duration::from_secs(5)).unwrap(),
            Arc::new(MemoryVault::default()),
            "c",
            Arc::new(move || now),
        );
        assert_eq!(empty.bearer().await.unwrap_err().kind(), "sign_in_again");
        server.abort();
    }
}
