//! Connecting a cloud GL that signs in with OAuth (Xero): the browser sign-in, the tokens into
//! the OS keychain, the organisation (tenant) chosen, and the connector built from it.
//!
//! The sign-in is [`folio_gl::oauth`]'s authorization code with PKCE through the system browser
//! and a loopback redirect on 127.0.0.1. The caller is told the URL (`show_url`: the CLI prints
//! it and opens the browser, the desktop opens it) and this function waits for the browser to
//! come back. The tokens go to the keychain only ([`KeychainVault`]); the workspace keeps the
//! keychain entry's name, the app's client id, the tenant and the posting setting.
//!
//! The random source (PKCE verifier, `state`) and the clock come from the caller.

use crate::credentials::KeychainVault;
use crate::dto_gl::GlConnectionView;
use crate::error::{AppError, ErrorCode};
use crate::gl::{Connection, REQUEST_TIMEOUT, gl_error};
use crate::workspace::Workspace;
use folio_gl::oauth::{LoopbackListener, Pkce, TokenSource, TokenVault, state_from_random};
use folio_gl::xero::{self, PostAs, Xero, XeroSettings};
use folio_gl::{AnyConnector, CallLog, ConnectorKind, GlError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The OAuth side of a connection, as stored in the workspace settings: no token, only the name
/// of the keychain entry that holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OAuthConnection {
    /// The app's client id at the GL (the company's own Xero app).
    pub client_id: String,
    /// The keychain entry (service `folio-gl`) of the tokens.
    pub token_ref: String,
    /// The organisation journals go to, and its name.
    pub tenant_id: String,
    #[serde(default)]
    pub tenant_name: Option<String>,
    /// `draft` or `posted`.
    pub post_as: String,
    /// Where the browser signs in and where tokens are refreshed, when not the GL's own.
    #[serde(default)]
    pub login_url: Option<String>,
    #[serde(default)]
    pub identity_url: Option<String>,
}

/// What `folio gl connect xero` asks for.
#[derive(Debug, Clone)]
pub struct OAuthConnect {
    pub kind: String,
    pub client_id: String,
    /// The API's base (`https://api.xero.com` when `None`).
    pub api_url: Option<String>,
    pub login_url: Option<String>,
    pub identity_url: Option<String>,
    /// The tenant id or name to post to; needed when the sign-in gives more than one.
    pub tenant: Option<String>,
    pub post_as: Option<String>,
    /// How long to wait for the browser to come back.
    pub timeout: Duration,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

fn vault_error(e: GlError) -> AppError {
    match e {
        GlError::SignInAgain { .. } => gl_error(e),
        other => AppError::new(ErrorCode::KeychainUnavailable, other.to_string()),
    }
}

/// 32 bytes from `rng`.
fn random32(rng: &mut dyn RngCore) -> [u8; 32] {
    let mut bytes = [0u8; 32];
    rng.fill_bytes(&mut bytes);
    bytes
}

impl Workspace {
    /// Signs in to a cloud GL through the browser and connects the workspace to it (see the
    /// module docs). `show_url` gets the URL the browser must open.
    pub fn gl_connect_oauth(
        &mut self,
        request: &OAuthConnect,
        show_url: &mut dyn FnMut(&str),
        rng: &mut dyn RngCore,
    ) -> Result<GlConnectionView, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        if ConnectorKind::parse(&request.kind) != Some(ConnectorKind::Xero) {
            return Err(invalid(format!(
                "'{}' does not sign in through the browser (xero does)",
                request.kind
            )));
        }
        if request.client_id.trim().is_empty() {
            return Err(invalid(
                "xero needs --client-id: the client id of your company's Xero app",
            ));
        }
        let post_as = match request.post_as.as_deref() {
            None => PostAs::Posted,
            Some(text) => PostAs::parse(text)
                .ok_or_else(|| invalid(format!("--post-as '{text}' must be draft or posted")))?,
        };
        let api = request.api_url.as_deref().unwrap_or(xero::API_BASE);
        for url in [
            Some(api),
            request.login_url.as_deref(),
            request.identity_url.as_deref(),
        ]
        .into_iter()
        .flatten()
        {
            if !(url.starts_with("https://") || url.starts_with("http://127.0.0.1")) {
                return Err(invalid(format!(
                    "'{url}' must be an https:// URL (or http://127.0.0.1 for a local test server)"
                )));
            }
        }
        let client = xero::oauth_client(
            &request.client_id,
            request.login_url.as_deref().unwrap_or(xero::LOGIN_BASE),
            request
                .identity_url
                .as_deref()
                .unwrap_or(xero::IDENTITY_BASE),
        );
        let tag = self.ensure_workspace_tag(rng)?;
        let pkce = Pkce::from_random(random32(rng));
        let mut state_bytes = [0u8; 16];
        rng.fill_bytes(&mut state_bytes);
        let state = state_from_random(state_bytes);
        let now = self.context.clock.now();
        let calls = CallLog::default();
        let http = folio_gl::http::Http::new(ConnectorKind::Xero.as_str(), REQUEST_TIMEOUT)
            .map_err(gl_error)?;
        let runtime = crate::sync::runtime()?;
        let signed_in = runtime.block_on(async {
            let listener = LoopbackListener::bind(&client.redirect_path).await?;
            let redirect = listener.redirect_uri().to_owned();
            let url = client.authorization_url(&redirect, &state, &pkce)?;
            show_url(&url);
            let code = listener.wait_for_code(&state, request.timeout).await?;
            let tokens = client
                .exchange_code(&http, &calls, &code, &redirect, &pkce, now)
                .await?;
            let tenants = xero::connections(&http, &calls, api, &tokens.access_token).await?;
            Ok::<_, GlError>((tokens, tenants))
        });
        crate::sync::record_calls(&mut self.store, calls.drain())?;
        let (tokens, tenants) = signed_in.map_err(gl_error)?;
        let tenant = match &request.tenant {
            Some(wanted) => tenants
                .iter()
                .find(|t| &t.tenant_id == wanted || t.tenant_name.as_deref() == Some(wanted))
                .ok_or_else(|| {
                    invalid(format!(
                        "the sign-in has no organisation '{wanted}'; it has: {}",
                        tenant_list(&tenants)
                    ))
                })?,
            None => match tenants.as_slice() {
                [one] => one,
                [] => {
                    return Err(invalid(
                        "the sign-in connected no Xero organisation; connect one in the browser",
                    ));
                }
                _ => {
                    return Err(invalid(format!(
                        "the sign-in has several organisations; choose one with --tenant: {}",
                        tenant_list(&tenants)
                    )));
                }
            },
        };
        let token_ref = format!("{tag}/xero/oauth/{}", tenant.tenant_id);
        KeychainVault
            .store(&token_ref, &tokens)
            .map_err(vault_error)?;
        let connection = Connection {
            kind: ConnectorKind::Xero.as_str().to_owned(),
            url: Some(api.to_owned()),
            ledger: None,
            user: None,
            secret_ref: None,
            oauth: Some(OAuthConnection {
                client_id: request.client_id.clone(),
                token_ref,
                tenant_id: tenant.tenant_id.clone(),
                tenant_name: tenant.tenant_name.clone(),
                post_as: match post_as {
                    PostAs::Draft => "draft".into(),
                    PostAs::Posted => "posted".into(),
                },
                login_url: request.login_url.clone(),
                identity_url: request.identity_url.clone(),
            }),
        };
        self.save_connection(&connection)?;
        Ok(connection.view())
    }
}

fn tenant_list(tenants: &[xero::Tenant]) -> String {
    tenants
        .iter()
        .map(|t| {
            format!(
                "{} ({})",
                t.tenant_name.as_deref().unwrap_or("?"),
                t.tenant_id
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The Xero connector of a stored connection, with its tokens in the keychain. Fails early
/// (before anything is sent) when the keychain is missing or holds no sign-in.
pub(crate) fn xero_connector(
    connection: &Connection,
    clock: Arc<dyn crate::clock::Clock>,
) -> Result<AnyConnector, AppError> {
    let oauth = connection.oauth.as_ref().ok_or_else(|| {
        AppError::new(
            ErrorCode::GlSignInRequired,
            "the xero connection has no sign-in: run `folio gl connect xero --client-id ID`",
        )
    })?;
    if KeychainVault
        .load(&oauth.token_ref)
        .map_err(vault_error)?
        .is_none()
    {
        return Err(AppError::new(
            ErrorCode::GlSignInRequired,
            format!(
                "the OS keychain has no Xero sign-in for this workspace ({} {}): run \
                 `folio gl connect xero --client-id ID` again",
                crate::credentials::SERVICE,
                oauth.token_ref
            ),
        ));
    }
    let client = xero::oauth_client(
        &oauth.client_id,
        oauth.login_url.as_deref().unwrap_or(xero::LOGIN_BASE),
        oauth.identity_url.as_deref().unwrap_or(xero::IDENTITY_BASE),
    );
    let http = folio_gl::http::Http::new(ConnectorKind::Xero.as_str(), REQUEST_TIMEOUT)
        .map_err(gl_error)?;
    let tokens = TokenSource::new(
        client,
        http,
        Arc::new(KeychainVault),
        oauth.token_ref.clone(),
        Arc::new(move || clock.now()),
    );
    let settings = XeroSettings {
        api_base: connection
            .url
            .clone()
            .unwrap_or_else(|| xero::API_BASE.to_owned()),
        tenant_id: oauth.tenant_id.clone(),
        post_as: PostAs::parse(&oauth.post_as).unwrap_or(PostAs::Posted),
        timeout: REQUEST_TIMEOUT,
        limits: xero::Limits::default(),
    };
    Ok(AnyConnector::Xero(
        Xero::new(settings, tokens).map_err(gl_error)?,
    ))
}

impl Workspace {
    /// Where the rate limits of the workspace's cloud GL stand in this process (the desktop
    /// runs its syncs in-process, so this is what its sync monitor shows): Xero's per
    /// organisation, QuickBooks' and Business Central's per company; `None` for GLs without
    /// such limits.
    pub fn gl_rate_limits(&self) -> Result<Option<crate::dto_gl::RateLimitView>, AppError> {
        let connection = self.gl_connection()?;
        if ConnectorKind::parse(&connection.kind) == Some(ConnectorKind::QuickBooks) {
            return Ok(connection
                .url
                .as_deref()
                .and_then(folio_gl::quickbooks::QuickBooks::rate_limit_state_of)
                .map(crate::dto_gl::RateLimitView::from_quickbooks));
        }
        if ConnectorKind::parse(&connection.kind) == Some(ConnectorKind::BusinessCentral) {
            return Ok(connection
                .url
                .as_deref()
                .and_then(folio_gl::business_central::BusinessCentral::rate_limit_state_of)
                .map(crate::dto_gl::RateLimitView::from_business_central));
        }
        let Some(oauth) = connection.oauth.as_ref() else {
            return Ok(None);
        };
        if ConnectorKind::parse(&connection.kind) != Some(ConnectorKind::Xero) {
            return Ok(None);
        }
        let base = connection.url.as_deref().unwrap_or(xero::API_BASE);
        let limiter = xero::Limiter::shared(
            base.trim_end_matches('/'),
            &oauth.tenant_id,
            xero::Limits::default(),
        );
        Ok(Some(crate::dto_gl::RateLimitView::from_xero(
            limiter.state(&oauth.tenant_id),
        )))
    }
}

/// Opens `url` in the system browser (`xdg-open` on Linux, `open` on macOS, `start` on
/// Windows). The caller shows the URL too: when no browser opens, the user opens it by hand.
pub fn open_in_browser(url: &str) {
    let mut command = if cfg!(target_os = "macos") {
        std::process::Command::new("open")
    } else if cfg!(windows) {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    } else {
        std::process::Command::new("xdg-open")
    };
    let _ = command
        .arg(url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A QuickBooks connection shows its company (the realm) and, in the sync monitor, the
    /// company's throttle as this process keeps it, as does Business Central's (a five-minute
    /// window); a ledger file has no limits.
    #[test]
    fn quickbooks_shows_its_company_and_its_throttle() {
        let dir = tempfile::tempdir().unwrap();
        let (mut ws, _) = Workspace::init(
            &dir.path().join("ws"),
            false,
            crate::workspace::Context::from_environment(),
        )
        .unwrap();
        assert_eq!(ws.gl_rate_limits().unwrap(), None);
        let url = "https://quickbooks.test/v3/company/4620816365";
        let connection = Connection {
            kind: ConnectorKind::QuickBooks.as_str().to_owned(),
            url: Some(url.to_owned()),
            ledger: None,
            user: Some("client-id".into()),
            secret_ref: Some("ws/quickbooks/client-id".into()),
            oauth: None,
        };
        let change = ws.context.change();
        ws.store
            .save_settings(
                &[(
                    crate::gl::CONNECTION,
                    &serde_json::to_string(&connection).unwrap(),
                )],
                &change,
            )
            .unwrap();
        let view = ws.gl_connection_view().unwrap();
        assert_eq!(view.tenant.as_deref(), Some("4620816365"));
        let limits = ws.gl_rate_limits().unwrap().expect("quickbooks has limits");
        assert_eq!(limits.api, "quickbooks");
        assert_eq!(limits.tenant, "4620816365");
        assert_eq!(limits.minute_limit, 500);
        assert!(!limits.day_limited);
        assert!(limits.batches_limit.is_some());
        assert_eq!(limits.minute_used, 0);

        // Business Central: requests per five-minute window, its 100 simultaneous requests.
        let url = "https://bc.test/v2.0/t1/Sandbox/api/v2.0/companies(c-42)";
        let connection = Connection {
            kind: ConnectorKind::BusinessCentral.as_str().to_owned(),
            url: Some(url.to_owned()),
            ledger: None,
            user: Some("client-id".into()),
            secret_ref: None,
            oauth: None,
        };
        let change = ws.context.change();
        ws.store
            .save_settings(
                &[(
                    crate::gl::CONNECTION,
                    &serde_json::to_string(&connection).unwrap(),
                )],
                &change,
            )
            .unwrap();
        let limits = ws
            .gl_rate_limits()
            .unwrap()
            .expect("business central has limits");
        assert_eq!(limits.api, "business-central");
        assert_eq!(limits.tenant, "Sandbox/c-42");
        assert_eq!(
            (limits.minute_limit, limits.window_minutes),
            (6_000, Some(5))
        );
        assert_eq!(limits.concurrent_limit, 100);
        assert!(!limits.day_limited);
    }
}
