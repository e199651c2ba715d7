//! GL credentials in the OS keychain (the Secret Service on Linux, through the `keyring` crate).
//!
//! The workspace stores only a reference to the keychain entry (`gl.connection.secret_ref`), never
//! the secret: SQLite files get copied, backed up and attached to support tickets. When no
//! keychain is available (no D-Bus session, no Secret Service running, a locked collection), the
//! user gets an error that says so and what to do — Folio never falls back to keeping the secret
//! in a file or only in memory, because that would silently change where a credential lives.

use crate::error::{AppError, ErrorCode};

/// The keychain service under which Folio keeps GL secrets.
pub const SERVICE: &str = "folio-gl";

fn unavailable(e: keyring::Error) -> AppError {
    AppError::new(
        ErrorCode::KeychainUnavailable,
        format!(
            "the OS keychain is not available ({e}); Folio keeps GL credentials only there. \
             Start or unlock your keyring (on Linux: a Secret Service such as gnome-keyring in \
             your D-Bus session) and try again"
        ),
    )
}

/// Stores `secret` for the GL `kind` and `user` of the workspace tagged `tag`; returns the
/// reference to keep in the workspace.
pub fn store_secret(tag: &str, kind: &str, user: &str, secret: &str) -> Result<String, AppError> {
    let reference = format!("{tag}/{kind}/{user}");
    let entry = keyring::Entry::new(SERVICE, &reference).map_err(unavailable)?;
    entry.set_password(secret).map_err(unavailable)?;
    // Read it back: some stores accept a write they cannot keep (a locked collection).
    match entry.get_password() {
        Ok(stored) if stored == secret => Ok(reference),
        Ok(_) => Err(AppError::new(
            ErrorCode::KeychainUnavailable,
            "the OS keychain did not keep the secret",
        )),
        Err(e) => Err(unavailable(e)),
    }
}

/// The secret behind `reference`.
pub fn load_secret(reference: &str) -> Result<String, AppError> {
    let entry = keyring::Entry::new(SERVICE, reference).map_err(unavailable)?;
    entry.get_password().map_err(|e| match e {
        keyring::Error::NoEntry => AppError::new(
            ErrorCode::KeychainUnavailable,
            format!(
                "the OS keychain has no secret for this GL connection ({SERVICE} {reference}); \
                 connect again with --secret-stdin"
            ),
        ),
        e => unavailable(e),
    })
}

/// The OS keychain as the vault of a GL connection's OAuth tokens ([`folio_gl::oauth`]).
///
/// The tokens of one connection are one keychain entry (the [`folio_gl::oauth::TokenSet`] as
/// JSON) under [`SERVICE`]; the workspace keeps only the entry's name. A store is read back
/// before it counts as done: the refresh that wrote it relies on the new refresh token being
/// kept before the new access token is used.
#[derive(Debug, Clone, Copy, Default)]
pub struct KeychainVault;

fn vault_error(e: keyring::Error) -> folio_gl::GlError {
    // Not "sign in again": the grant may be fine, the keychain is what is missing or locked.
    folio_gl::GlError::retryable(unavailable(e).message)
}

impl folio_gl::oauth::TokenVault for KeychainVault {
    fn load(
        &self,
        connection: &str,
    ) -> Result<Option<folio_gl::oauth::TokenSet>, folio_gl::GlError> {
        let entry = keyring::Entry::new(SERVICE, connection).map_err(vault_error)?;
        match entry.get_password() {
            Ok(json) => {
                serde_json::from_str(&json)
                    .map(Some)
                    .map_err(|e| folio_gl::GlError::SignInAgain {
                        message: format!(
                            "the keychain entry {SERVICE} {connection} does not hold tokens ({e})"
                        ),
                    })
            }
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(e) => Err(vault_error(e)),
        }
    }

    fn store(
        &self,
        connection: &str,
        tokens: &folio_gl::oauth::TokenSet,
    ) -> Result<(), folio_gl::GlError> {
        let json = serde_json::to_string(tokens).map_err(|e| {
            folio_gl::GlError::retryable(format!("cannot write the tokens as JSON: {e}"))
        })?;
        let entry = keyring::Entry::new(SERVICE, connection).map_err(vault_error)?;
        entry.set_password(&json).map_err(vault_error)?;
        match entry.get_password() {
            Ok(stored) if stored == json => Ok(()),
            Ok(_) => Err(folio_gl::GlError::retryable(
                "the OS keychain did not keep the GL tokens",
            )),
            Err(e) => Err(vault_error(e)),
        }
    }
}
