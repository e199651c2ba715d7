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
