//! QuickBooks Online: connecting a workspace to a company, and the connector of that connection.
//!
//! Intuit's API wants a confidential client, so each company uses its own Intuit app: its client
//! id and secret are entered once (`folio gl connect quickbooks --client-id ID --secret-stdin`);
//! the secret goes to the OS keychain, the workspace keeps the id and a reference. Then the user
//! signs in to QuickBooks in the system browser (authorization code with PKCE, the redirect to a
//! loopback listener on 127.0.0.1), and the tokens go to the keychain too, under the secret's
//! reference plus `/tokens` ([`tokens_key`]); from then on the connector's token source
//! refreshes them, storing each rotated refresh token before it is used. Nothing of this reaches
//! SQLite, the logs or the output.

use crate::credentials::KeychainVault;
use crate::dto_gl::GlConnectionView;
use crate::error::{AppError, ErrorCode};
use crate::gl::{CONNECTION, Connection, REQUEST_TIMEOUT, gl_error};
use crate::workspace::Workspace;
use folio_gl::oauth::{
    LoopbackListener, OAuthClient, Pkce, TokenSource, TokenVault, state_from_random, system_clock,
};
use folio_gl::quickbooks::{DEFAULT_WRITE_BOUND, QuickBooks, SCOPE, oauth_endpoints};
use folio_gl::{ConnectorKind, GlError};
use rand::RngCore;
use std::sync::Arc;

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

/// The keychain entry of a QuickBooks connection's tokens.
pub fn tokens_key(secret_ref: &str) -> String {
    format!("{secret_ref}/tokens")
}

/// The OAuth client of the company's Intuit app, for the company at `company_url`.
fn oauth_client(
    company_url: &str,
    client_id: &str,
    client_secret: String,
) -> Result<OAuthClient, AppError> {
    let (authorize_url, token_url) = oauth_endpoints(company_url).ok_or_else(|| {
        invalid(format!(
            "--url '{company_url}' is not a QuickBooks company URL: \
             https://quickbooks.api.intuit.com/v3/company/REALM"
        ))
    })?;
    Ok(OAuthClient {
        authorize_url,
        token_url,
        client_id: client_id.to_owned(),
        client_secret: Some(client_secret),
        scopes: vec![SCOPE.to_owned()],
        redirect_path: "/callback".into(),
        extra_params: Vec::new(),
    })
}

impl Workspace {
    /// Connects the workspace to the QuickBooks company at `company_url`
    /// (`https://quickbooks.api.intuit.com/v3/company/REALM`, optionally with
    /// `?class=DIMENSION&department=DIMENSION`): stores the app's secret in the OS keychain,
    /// runs the sign-in (`open_browser` is given the URL the user signs in at; the redirect comes
    /// back to a loopback listener; it is waited for at most `timeout`), stores the tokens in the
    /// keychain and the connection, with only references, in the settings.
    pub fn gl_connect_quickbooks(
        &mut self,
        company_url: &str,
        client_id: &str,
        client_secret: &str,
        open_browser: &mut dyn FnMut(&str),
        timeout: std::time::Duration,
        rng: &mut dyn RngCore,
    ) -> Result<GlConnectionView, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        if QuickBooks::parse_url(company_url).is_none() {
            return Err(invalid(format!(
                "--url '{company_url}' must be the QuickBooks company: \
                 https://quickbooks.api.intuit.com/v3/company/REALM (the company id is in \
                 QuickBooks under Settings, Account and settings), optionally with \
                 ?class=DIMENSION&department=DIMENSION"
            )));
        }
        if client_id.trim().is_empty() || client_secret.is_empty() {
            return Err(invalid(
                "quickbooks needs the company's Intuit app: --client-id ID and the client secret \
                 on standard input (--secret-stdin)",
            ));
        }
        let client = oauth_client(company_url, client_id, client_secret.to_owned())?;
        let tag = self.ensure_workspace_tag(rng)?;
        let secret_ref = crate::credentials::store_secret(
            &tag,
            ConnectorKind::QuickBooks.as_str(),
            client_id,
            client_secret,
        )?;
        let mut verifier = [0u8; 32];
        rng.fill_bytes(&mut verifier);
        let pkce = Pkce::from_random(verifier);
        let mut state = [0u8; 16];
        rng.fill_bytes(&mut state);
        let state = state_from_random(state);
        let now = self.context.clock.now();
        let runtime = crate::sync::runtime()?;
        let tokens = runtime
            .block_on(async {
                let listener = LoopbackListener::bind(&client.redirect_path).await?;
                let redirect = listener.redirect_uri().to_owned();
                let url = client.authorization_url(&redirect, &state, &pkce)?;
                open_browser(&url);
                let code = listener.wait_for_code(&state, timeout).await?;
                let http =
                    folio_gl::http::Http::new(ConnectorKind::QuickBooks.as_str(), REQUEST_TIMEOUT)?;
                let calls = folio_gl::CallLog::default();
                let tokens = client
                    .exchange_code(&http, &calls, &code, &redirect, &pkce, now)
                    .await;
                crate::sync::record_calls(&mut self.store, calls.drain())
                    .map_err(|e| GlError::retryable(e.message))?;
                tokens
            })
            .map_err(gl_error)?;
        KeychainVault
            .store(&tokens_key(&secret_ref), &tokens)
            .map_err(gl_error)?;
        let connection = Connection {
            kind: ConnectorKind::QuickBooks.as_str().to_owned(),
            url: Some(company_url.to_owned()),
            ledger: None,
            user: Some(client_id.to_owned()),
            secret_ref: Some(secret_ref),
            oauth: None,
        };
        let json = serde_json::to_string(&connection)
            .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
        let change = self.context.change();
        self.store.save_settings(&[(CONNECTION, &json)], &change)?;
        // As shown later: with the company (the realm) it posts to.
        self.gl_connection_view()
    }
}

/// The connector of a stored QuickBooks connection: the app's secret and the tokens from the
/// keychain, refreshed by one token source.
pub(crate) fn connector(
    connection: &Connection,
    client_secret: String,
) -> Result<QuickBooks, AppError> {
    let url = connection
        .url
        .as_deref()
        .ok_or_else(|| invalid("the quickbooks connection has no URL"))?;
    let (client_id, secret_ref) = match (&connection.user, &connection.secret_ref) {
        (Some(id), Some(secret_ref)) => (id, secret_ref),
        _ => {
            return Err(invalid(
                "the quickbooks connection has no app credentials (connect again)",
            ));
        }
    };
    let client = oauth_client(url, client_id, client_secret)?;
    let http = folio_gl::http::Http::new(ConnectorKind::QuickBooks.as_str(), REQUEST_TIMEOUT)
        .map_err(gl_error)?;
    let tokens = TokenSource::new(
        client,
        http,
        Arc::new(KeychainVault),
        tokens_key(secret_ref),
        system_clock(),
    );
    QuickBooks::new(url, Arc::new(tokens), REQUEST_TIMEOUT, DEFAULT_WRITE_BOUND).map_err(gl_error)
}
