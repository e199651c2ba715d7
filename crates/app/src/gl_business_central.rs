//! Connecting Microsoft Dynamics 365 Business Central: the Entra ID sign-in through the system
//! browser, the tokens into the OS keychain, the company checked, and the connector built from
//! the stored connection.
//!
//! Business Central signs in as an Entra ID *public client*: the company registers Folio as a
//! "mobile and desktop" app (redirect URI `http://127.0.0.1`, delegated permission
//! `Financials.ReadWrite.All`) and gives its client id; there is no client secret, the grant is
//! bound to the sign-in by PKCE ([`folio_gl::oauth`]). The sign-in's tokens go to the OS
//! keychain only ([`KeychainVault`]); the workspace keeps the company URL in the connection and,
//! under `gl.business_central`, the client id, the keychain entry's name, the company's name and
//! where to sign in when that is not Microsoft's own host (a test's simulator). The random
//! source (PKCE verifier, `state`) and the clock come from the caller.

use crate::credentials::KeychainVault;
use crate::dto_gl::GlConnectionView;
use crate::error::{AppError, ErrorCode};
use crate::gl::{CONNECTION, REQUEST_TIMEOUT, gl_error};
use crate::workspace::Workspace;
use folio_gl::business_central::{self, BusinessCentral, CompanyUrl, LOGIN_HOST};
use folio_gl::oauth::{LoopbackListener, Pkce, TokenSource, TokenVault, state_from_random};
use folio_gl::{AnyConnector, CallLog, ConnectorKind, GlError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use std::time::Duration;

/// The setting with the Business Central sign-in (no token: only the keychain entry's name).
pub const SETTINGS: &str = "gl.business_central";

/// What the workspace keeps about the sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessCentralSettings {
    /// The Entra ID app registration's client id (not a secret).
    pub client_id: String,
    /// The keychain entry (service `folio-gl`) with the tokens.
    pub token_ref: String,
    /// The company's name, as Business Central gives it.
    pub company_name: Option<String>,
    /// Where the browser signs in, when not `https://login.microsoftonline.com`.
    pub login_url: Option<String>,
}

/// What `folio gl connect business-central` asks for.
#[derive(Debug, Clone)]
pub struct BusinessCentralConnect {
    /// `https://api.businesscentral.dynamics.com/v2.0/TENANT/ENVIRONMENT/api/v2.0/companies(ID)`.
    pub company_url: String,
    pub client_id: String,
    pub login_url: Option<String>,
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

fn local_or_https(url: &str) -> bool {
    url.starts_with("https://") || url.starts_with("http://127.0.0.1")
}

fn company_url(url: &str) -> Result<CompanyUrl, AppError> {
    CompanyUrl::parse(url).ok_or_else(|| {
        invalid(format!(
            "--url '{url}' is not a Business Central company URL: \
             https://api.businesscentral.dynamics.com/v2.0/TENANT/ENVIRONMENT/api/v2.0/companies(ID) \
             (the company id is in Business Central's API page or GET .../api/v2.0/companies)"
        ))
    })
}

impl Workspace {
    /// Signs in to Business Central through the browser (`show_url` gets the URL to open),
    /// keeps the tokens in the OS keychain, checks that the signed-in user reaches the company,
    /// and makes it the workspace's GL connection.
    pub fn gl_connect_business_central(
        &mut self,
        request: &BusinessCentralConnect,
        show_url: &mut dyn FnMut(&str),
        rng: &mut dyn RngCore,
    ) -> Result<GlConnectionView, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        let company = company_url(&request.company_url)?;
        if request.client_id.trim().is_empty() {
            return Err(invalid(
                "business-central needs --client-id: the client id of your company's Entra ID \
                 app registration for Folio (a public client: no secret)",
            ));
        }
        for url in [Some(company.host.as_str()), request.login_url.as_deref()]
            .into_iter()
            .flatten()
        {
            if !local_or_https(url) {
                return Err(invalid(format!(
                    "'{url}' must be an https:// URL (or http://127.0.0.1 for a local test server)"
                )));
            }
        }
        let login = request.login_url.as_deref().unwrap_or(LOGIN_HOST);
        let client = business_central::oauth_client(request.client_id.trim(), &company, login);
        let tag = self.ensure_workspace_tag(rng)?;
        let token_ref = format!("{tag}/business-central/{}", company.company);
        let mut verifier = [0u8; 32];
        rng.fill_bytes(&mut verifier);
        let pkce = Pkce::from_random(verifier);
        let mut state_bytes = [0u8; 16];
        rng.fill_bytes(&mut state_bytes);
        let state = state_from_random(state_bytes);
        let now = self.context.clock.now();
        let clock = self.context.clock.clone();
        let calls = CallLog::default();
        let http =
            folio_gl::http::Http::new(ConnectorKind::BusinessCentral.as_str(), REQUEST_TIMEOUT)
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
            KeychainVault.store(&token_ref, &tokens)?;
            let source = TokenSource::new(
                client.clone(),
                http.clone(),
                Arc::new(KeychainVault),
                token_ref.clone(),
                Arc::new(move || clock.now()),
            );
            let bc = BusinessCentral::new(&company.api(), source, REQUEST_TIMEOUT)?;
            let name = bc.company_name().await;
            for call in folio_gl::Connector::drain_calls(&bc) {
                calls.push(call);
            }
            name
        });
        crate::sync::record_calls(&mut self.store, calls.drain())?;
        let company_name = signed_in.map_err(|e| match e {
            GlError::Permanent { .. } | GlError::SignInAgain { .. } => gl_error(e),
            other => vault_error(other),
        })?;
        let connection = serde_json::json!({
            "kind": ConnectorKind::BusinessCentral.as_str(),
            "url": company.api(),
            "ledger": null,
            "user": null,
            "secret_ref": null,
        });
        let settings = BusinessCentralSettings {
            client_id: request.client_id.trim().to_owned(),
            token_ref,
            company_name: Some(company_name).filter(|n| !n.is_empty()),
            login_url: request.login_url.clone(),
        };
        let settings = serde_json::to_string(&settings)
            .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
        let change = self.context.change();
        self.store.save_settings(
            &[(CONNECTION, &connection.to_string()), (SETTINGS, &settings)],
            &change,
        )?;
        self.gl_connection_view()
    }

    /// The Business Central sign-in kept with the connection, if any.
    pub fn business_central_settings(&self) -> Result<Option<BusinessCentralSettings>, AppError> {
        self.store
            .setting(SETTINGS)?
            .map(|json| {
                serde_json::from_str(&json).map_err(|e| {
                    AppError::new(
                        ErrorCode::WorkspaceCorrupt,
                        format!("the setting {SETTINGS} is not a Business Central sign-in: {e}"),
                    )
                })
            })
            .transpose()
    }

    /// The connector of a stored Business Central connection with its tokens in the keychain.
    /// Fails before anything is sent when the keychain is missing or holds no sign-in.
    pub(crate) fn business_central_connector(
        &self,
        url: Option<&str>,
    ) -> Result<AnyConnector, AppError> {
        let sign_in_again = |why: String| {
            AppError::new(
                ErrorCode::GlSignInRequired,
                format!(
                    "{why}: sign in again with `folio gl connect business-central --url URL \
                     --client-id ID`"
                ),
            )
        };
        let url = url.ok_or_else(|| invalid("the business-central connection has no URL"))?;
        let company = company_url(url)?;
        let settings = self.business_central_settings()?.ok_or_else(|| {
            sign_in_again("the business-central connection has no sign-in".into())
        })?;
        if KeychainVault
            .load(&settings.token_ref)
            .map_err(vault_error)?
            .is_none()
        {
            return Err(sign_in_again(format!(
                "the OS keychain has no Business Central sign-in for this workspace ({} {})",
                crate::credentials::SERVICE,
                settings.token_ref
            )));
        }
        let login = settings.login_url.as_deref().unwrap_or(LOGIN_HOST);
        let client = business_central::oauth_client(&settings.client_id, &company, login);
        let http =
            folio_gl::http::Http::new(ConnectorKind::BusinessCentral.as_str(), REQUEST_TIMEOUT)
                .map_err(gl_error)?;
        let clock = self.context.clock.clone();
        let tokens = TokenSource::new(
            client,
            http,
            Arc::new(KeychainVault),
            settings.token_ref,
            Arc::new(move || clock.now()),
        );
        Ok(AnyConnector::BusinessCentral(
            BusinessCentral::new(url, tokens, REQUEST_TIMEOUT).map_err(gl_error)?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_https_or_a_local_test_server_is_accepted() {
        assert!(local_or_https("https://api.businesscentral.dynamics.com"));
        assert!(local_or_https("http://127.0.0.1:4000"));
        assert!(!local_or_https("http://api.businesscentral.dynamics.com"));
        assert!(company_url("https://api.businesscentral.dynamics.com/v2.0/t/production").is_err());
    }
}
