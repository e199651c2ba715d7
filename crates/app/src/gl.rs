//! The general-ledger use cases: connect a GL, approve journals into the outbox, pull the GL's
//! master data, and read the integration monitor. The sync worker itself is in [`crate::sync`].
//!
//! The connection lives in the workspace settings (`gl.connection`, audited like any setting) with
//! only a *reference* to its credential; the secret itself is in the OS keychain
//! ([`crate::credentials`]). Without a connection the workspace posts to the embedded default, a
//! beancount file `ledger.beancount` beside `folio.sqlite`, which needs no server.
//!
//! Every journal is sent under a [`JournalRef`] made of the workspace's tag (five random
//! characters, drawn once from the random source the caller passes in and kept in the settings)
//! and the journal's id, so references from two workspaces posting to one GL never collide.

use crate::dto_gl::{ApproveOutcome, GlCallView, GlConnectionView, PullException, PullReport};
use crate::error::{AppError, ErrorCode};
use crate::workspace::{Workspace, parse_document_id};
use folio_domain::{Journal, JournalStatus, Problem};
#[cfg(test)]
use folio_gl::JournalRef;
use folio_gl::{AnyConnector, ConnectorKind, Fava, GlError, HledgerWeb, LedgerFile, Tryton};
use folio_store::MasterData;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub(crate) const CONNECTION: &str = "gl.connection";
const WORKSPACE_TAG: &str = "gl.workspace_tag";
/// The ledger file of the embedded default connection, in the workspace folder.
pub const DEFAULT_LEDGER: &str = "ledger.beancount";
/// How long one GL request may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// A GL connection as stored in the settings: no secret, only where to find it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Connection {
    pub kind: String,
    pub url: Option<String>,
    pub ledger: Option<String>,
    pub user: Option<String>,
    /// The keychain entry of the secret (service and account), when there is one.
    pub secret_ref: Option<String>,
    /// The sign-in of a GL that uses OAuth (Xero): client id, tenant, keychain entry of the
    /// tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oauth: Option<crate::gl_oauth::OAuthConnection>,
}

impl Connection {
    pub(crate) fn view(&self) -> GlConnectionView {
        GlConnectionView {
            kind: self.kind.clone(),
            url: self.url.clone(),
            ledger: self.ledger.clone(),
            user: self.user.clone(),
            has_secret: self.secret_ref.is_some() || self.oauth.is_some(),
            tenant: self
                .oauth
                .as_ref()
                .map(|o| o.tenant_name.clone().unwrap_or_else(|| o.tenant_id.clone())),
        }
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

/// A GL failure as an [`AppError`].
pub(crate) fn gl_error(e: GlError) -> AppError {
    let code = match e {
        GlError::Permanent { .. } => ErrorCode::GlRefused,
        GlError::SignInAgain { .. } => ErrorCode::GlSignInRequired,
        _ => ErrorCode::GlUnavailable,
    };
    AppError::new(code, e.to_string())
}

/// The characters of a workspace tag.
const TAG_CHARS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Five characters of [`TAG_CHARS`] from `rng`.
pub fn new_workspace_tag(rng: &mut dyn RngCore) -> String {
    (0..5)
        .map(|_| char::from(TAG_CHARS[(rng.next_u32() % 36) as usize]))
        .collect()
}

/// Whether `journal` may be sent to a GL whose master data is `master`: it balances, and every
/// account is there, postable and active, and every dimension value is a known, active value of
/// a known dimension. Each problem names its line and field.
pub fn postable_problems(journal: &Journal, master: &MasterData) -> Vec<Problem> {
    let mut problems = folio_domain::check_balanced(journal);
    let accounts: BTreeMap<&str, &folio_domain::Account> = master
        .accounts
        .iter()
        .map(|a| (a.code.as_str(), a))
        .collect();
    let dimensions: BTreeMap<&str, &folio_domain::Dimension> = master
        .dimensions
        .iter()
        .map(|d| (d.code.as_str(), d))
        .collect();
    for (i, line) in journal.lines.iter().enumerate() {
        match accounts.get(line.account.as_str()) {
            None => problems.push(Problem::error(
                "GL_ACCOUNT_UNKNOWN",
                format!("lines[{i}].account"),
                format!(
                    "line {}: account {} is not in the GL's chart",
                    i + 1,
                    line.account
                ),
            )),
            Some(a) if !a.postable || !a.active => problems.push(Problem::error(
                "GL_ACCOUNT_NOT_POSTABLE",
                format!("lines[{i}].account"),
                format!(
                    "line {}: account {} ({}) is {} in the GL",
                    i + 1,
                    a.code,
                    a.name,
                    if a.active {
                        "a heading, not postable"
                    } else {
                        "inactive"
                    }
                ),
            )),
            Some(_) => {}
        }
        for (dim, value) in &line.dimensions {
            let field = format!("lines[{i}].dimensions.{dim}");
            match dimensions.get(dim.as_str()) {
                None => problems.push(Problem::error(
                    "GL_DIMENSION_UNKNOWN",
                    field,
                    format!("line {}: the GL has no dimension {dim}", i + 1),
                )),
                Some(d) if !d.values.iter().any(|v| &v.code == value && v.active) => {
                    problems.push(Problem::error(
                        "GL_DIMENSION_VALUE_UNKNOWN",
                        field,
                        format!(
                            "line {}: {value} is not an active value of {} in the GL",
                            i + 1,
                            d.name
                        ),
                    ));
                }
                Some(_) => {}
            }
        }
    }
    problems
}

impl Workspace {
    /// The stored GL connection, or the embedded default (a ledger file in the workspace).
    pub fn gl_connection(&self) -> Result<Connection, AppError> {
        match self.store.setting(CONNECTION)? {
            Some(json) => serde_json::from_str(&json).map_err(|e| {
                AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!("the setting {CONNECTION} is not a connection: {e}"),
                )
            }),
            None => Ok(Connection {
                kind: ConnectorKind::LedgerFile.as_str().to_owned(),
                url: None,
                ledger: Some(self.path().join(DEFAULT_LEDGER).display().to_string()),
                user: None,
                secret_ref: None,
                oauth: None,
            }),
        }
    }

    /// Connects the workspace to a GL: checks the settings, stores the secret (if any) in the OS
    /// keychain and the connection, with only the keychain reference, in the settings.
    pub fn gl_connect(
        &mut self,
        kind: &str,
        url: Option<&str>,
        ledger: Option<&Path>,
        user: Option<&str>,
        secret: Option<&str>,
        rng: &mut dyn RngCore,
    ) -> Result<GlConnectionView, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        let kind = ConnectorKind::parse(kind).ok_or_else(|| {
            invalid(format!(
                "'{kind}' is not a GL connector Folio has (ledger-file, fava, hledger-web, tryton, \
                 xero, quickbooks, business-central)"
            ))
        })?;
        if kind == ConnectorKind::QuickBooks {
            return Err(invalid(
                "quickbooks signs in through the browser: folio gl connect quickbooks --url \
                 COMPANY_URL --client-id ID --secret-stdin",
            ));
        }
        if kind == ConnectorKind::Xero {
            return Err(invalid(
                "xero signs in through the browser: folio gl connect xero --client-id ID",
            ));
        }
        if kind == ConnectorKind::BusinessCentral {
            return Err(invalid(
                "business-central signs in through the browser: folio gl connect \
                 business-central --url COMPANY_URL --client-id ID",
            ));
        }
        let ledger = match (kind, ledger) {
            (ConnectorKind::LedgerFile, None) => {
                return Err(invalid("ledger-file needs --ledger FILE"));
            }
            (_, Some(path)) => Some(absolute(path)?.display().to_string()),
            (_, None) => None,
        };
        if kind != ConnectorKind::LedgerFile {
            let url = url.ok_or_else(|| invalid(format!("{} needs --url URL", kind.as_str())))?;
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(invalid(format!(
                    "--url '{url}' must start with http:// or https://"
                )));
            }
            if kind == ConnectorKind::Tryton {
                if Tryton::split_url(url).is_none() {
                    return Err(invalid(format!(
                        "--url '{url}' must name the Tryton database too: http://HOST:PORT/DATABASE"
                    )));
                }
                if user.is_none() || secret.is_none() {
                    return Err(invalid(
                        "tryton needs --user USER and the password on standard input (--secret-stdin)",
                    ));
                }
            }
        }
        let secret_ref = match secret {
            Some(secret) => Some(crate::credentials::store_secret(
                &self.ensure_workspace_tag(rng)?,
                kind.as_str(),
                user.unwrap_or(""),
                secret,
            )?),
            None => None,
        };
        let connection = Connection {
            kind: kind.as_str().to_owned(),
            url: url.map(str::to_owned),
            ledger,
            user: user.map(str::to_owned),
            secret_ref,
            oauth: None,
        };
        self.save_connection(&connection)?;
        Ok(connection.view())
    }

    /// Stores `connection` as the workspace's GL connection (audited like any setting).
    pub(crate) fn save_connection(&mut self, connection: &Connection) -> Result<(), AppError> {
        let json = serde_json::to_string(connection)
            .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
        let change = self.context.change();
        self.store.save_settings(&[(CONNECTION, &json)], &change)?;
        Ok(())
    }

    /// The connector of the workspace's connection, naming accounts from its master data.
    pub fn gl_connector(&self) -> Result<AnyConnector, AppError> {
        let connection = self.gl_connection()?;
        let accounts = self.store.master_data()?.accounts;
        let kind = ConnectorKind::parse(&connection.kind).ok_or_else(|| {
            AppError::new(
                ErrorCode::WorkspaceCorrupt,
                format!("unknown GL connector '{}'", connection.kind),
            )
        })?;
        // Read now, so that a missing keychain is an error before anything is sent.
        let auth = match &connection.secret_ref {
            Some(secret_ref) => Some((
                connection.user.clone().unwrap_or_default(),
                crate::credentials::load_secret(secret_ref)?,
            )),
            None => None,
        };
        Ok(match kind {
            ConnectorKind::Xero => {
                crate::gl_oauth::xero_connector(&connection, self.context.clock.clone())?
            }
            ConnectorKind::LedgerFile => {
                let ledger = connection
                    .ledger
                    .ok_or_else(|| invalid("the ledger-file connection has no ledger file"))?;
                AnyConnector::LedgerFile(LedgerFile::new(ledger, accounts))
            }
            ConnectorKind::Fava => {
                let url = connection
                    .url
                    .ok_or_else(|| invalid("the fava connection has no URL"))?;
                AnyConnector::Fava(
                    Fava::new(&url, &accounts, REQUEST_TIMEOUT, auth).map_err(gl_error)?,
                )
            }
            ConnectorKind::HledgerWeb => {
                let url = connection
                    .url
                    .ok_or_else(|| invalid("the hledger-web connection has no URL"))?;
                // The journal file hledger-web serves, when given: where a reference hledger-web
                // does not show yet is looked for (see folio_gl::hledger_web).
                let journal = connection.ledger.map(PathBuf::from);
                AnyConnector::HledgerWeb(
                    HledgerWeb::new(&url, &accounts, REQUEST_TIMEOUT, auth, journal)
                        .map_err(gl_error)?,
                )
            }
            ConnectorKind::Tryton => {
                let url = connection
                    .url
                    .ok_or_else(|| invalid("the tryton connection has no URL"))?;
                let (base, database) = Tryton::split_url(&url).ok_or_else(|| {
                    invalid(format!(
                        "the tryton connection's URL '{url}' does not name a database"
                    ))
                })?;
                let (user, password) = auth.ok_or_else(|| {
                    invalid("the tryton connection has no user and password (connect again)")
                })?;
                AnyConnector::Tryton(
                    Tryton::new(
                        base,
                        database,
                        &user,
                        &password,
                        REQUEST_TIMEOUT,
                        self.gl_write_bound()?,
                    )
                    .map_err(gl_error)?,
                )
            }
            ConnectorKind::BusinessCentral => {
                self.business_central_connector(connection.url.as_deref())?
            }
            ConnectorKind::QuickBooks => {
                let (_, client_secret) = auth.ok_or_else(|| {
                    invalid("the quickbooks connection has no app credentials (connect again)")
                })?;
                AnyConnector::QuickBooks(crate::gl_quickbooks::connector(
                    &connection,
                    client_secret,
                )?)
            }
        })
    }

    /// The workspace's tag for journal references, if it has one yet.
    pub fn workspace_tag(&self) -> Result<Option<String>, AppError> {
        Ok(self.store.setting(WORKSPACE_TAG)?)
    }

    /// The workspace's tag, drawn from `rng` and saved (audited) on first use.
    pub fn ensure_workspace_tag(&mut self, rng: &mut dyn RngCore) -> Result<String, AppError> {
        if let Some(tag) = self.workspace_tag()? {
            return Ok(tag);
        }
        let tag = new_workspace_tag(rng);
        let change = self.context.change();
        self.store
            .save_settings(&[(WORKSPACE_TAG, &tag)], &change)?;
        Ok(tag)
    }

    /// Records the actor's approval of the current journal of each document (see
    /// [`Workspace::approve_document`]); with `all`, of every document whose journal is a draft.
    /// A journal that cannot be approved — refused by a rule, not balancing, not a draft — is
    /// reported with its reason (and the rule) and the others go ahead. Only a controller
    /// approves: for anyone else the whole call is refused.
    pub fn approve(
        &mut self,
        documents: &[String],
        all: bool,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<ApproveOutcome>, AppError> {
        self.require(crate::access::Permission::Approve)?;
        let ids: Vec<String> = if all {
            self.store
                .list_documents()?
                .into_iter()
                .rev()
                .filter(|d| d.journal_status == Some(JournalStatus::Draft))
                .map(|d| d.id.to_string())
                .collect()
        } else {
            documents.to_vec()
        };
        let mut outcomes = Vec::with_capacity(ids.len());
        for id in ids {
            let document = parse_document_id(&id)?;
            match self.approve_document(&id, rng) {
                Ok(outcome) => outcomes.push(outcome),
                Err(e)
                    if matches!(
                        e.code,
                        ErrorCode::NotPermitted
                            | ErrorCode::JournalNotBuildable
                            | ErrorCode::JournalImmutable
                    ) =>
                {
                    let journal = self
                        .store
                        .journal_for_document(document)?
                        .map(|j| j.id.to_string());
                    let rule = (e.code == ErrorCode::NotPermitted)
                        .then(|| e.problems.first().map(|p| p.code.clone()))
                        .flatten();
                    outcomes.push(ApproveOutcome {
                        document_id: document.to_string(),
                        journal_id: journal,
                        reference: None,
                        status: "refused".into(),
                        reason: Some(e.message),
                        rule,
                        approvals: 0,
                        required: 0,
                        problems: e.problems,
                    });
                }
                Err(e) => return Err(e),
            }
        }
        Ok(outcomes)
    }

    /// Fetches the GL's master data into the store for offline use. Accounts (and, where the GL
    /// has them, dimension values) that are gone from the GL are kept but marked inactive, and
    /// every draft journal that uses one that is gone or renamed is listed as an exception.
    pub fn gl_pull(&mut self) -> Result<PullReport, AppError> {
        self.require(crate::access::Permission::Sync)?;
        let connector = self.gl_connector()?;
        let runtime = crate::sync::runtime()?;
        let (pulled, calls) = runtime.block_on(async {
            use folio_gl::Connector;
            let pulled = connector.master_data().await;
            (pulled, connector.drain_calls())
        });
        crate::sync::record_calls(&mut self.store, calls)?;
        let pulled = pulled.map_err(gl_error)?;
        let current = self.store.master_data()?;
        let pulled_accounts: BTreeMap<&str, &folio_domain::Account> = pulled
            .accounts
            .iter()
            .map(|a| (a.code.as_str(), a))
            .collect();
        // What changed: code → why a journal using it needs a look.
        let mut changed: BTreeMap<String, String> = BTreeMap::new();
        let mut accounts = Vec::new();
        for old in &current.accounts {
            match pulled_accounts.get(old.code.as_str()) {
                None if old.postable => {
                    // Gone now, or gone at an earlier pull: drafts on it still need a look.
                    changed.insert(
                        old.code.clone(),
                        format!("account {} ({}) is gone from the GL", old.code, old.name),
                    );
                    accounts.push(folio_domain::Account {
                        active: false,
                        ..old.clone()
                    });
                }
                Some(new) if !folio_gl::chart::same_name(&old.name, &new.name) => {
                    changed.insert(
                        old.code.clone(),
                        format!(
                            "account {} was renamed in the GL from '{}' to '{}'",
                            old.code, old.name, new.name
                        ),
                    );
                    accounts.push((*new).clone());
                }
                Some(new) => accounts.push(folio_domain::Account {
                    // Beancount names are lossy (no punctuation): keep the fuller local name.
                    name: old.name.clone(),
                    ..(*new).clone()
                }),
                None => {}
            }
        }
        let known: BTreeSet<&str> = current.accounts.iter().map(|a| a.code.as_str()).collect();
        accounts.extend(
            pulled
                .accounts
                .iter()
                .filter(|a| !known.contains(a.code.as_str()))
                .cloned(),
        );
        let mut changed_values: BTreeMap<(String, String), String> = BTreeMap::new();
        let mut dimensions = Vec::new();
        if !pulled.dimensions.is_empty() {
            for old in &current.dimensions {
                let new = pulled.dimensions.iter().find(|d| d.code == old.code);
                let mut merged = new.cloned().unwrap_or_else(|| old.clone());
                for value in &old.values {
                    let now = new.and_then(|d| d.values.iter().find(|v| v.code == value.code));
                    match now {
                        None if value.active => {
                            changed_values.insert(
                                (old.code.clone(), value.code.clone()),
                                format!("{} {} is gone from the GL", old.name, value.code),
                            );
                            if !merged.values.iter().any(|v| v.code == value.code) {
                                merged.values.push(folio_domain::DimensionValue {
                                    active: false,
                                    ..value.clone()
                                });
                            }
                        }
                        Some(v) if v.name != value.name => {
                            changed_values.insert(
                                (old.code.clone(), value.code.clone()),
                                format!(
                                    "{} {} was renamed in the GL from '{}' to '{}'",
                                    old.name, value.code, value.name, v.name
                                ),
                            );
                        }
                        _ => {}
                    }
                }
                dimensions.push(merged);
            }
            dimensions.extend(
                pulled
                    .dimensions
                    .iter()
                    .filter(|d| !current.dimensions.iter().any(|c| c.code == d.code))
                    .cloned(),
            );
        }
        let data = MasterData {
            accounts,
            dimensions,
            tax_codes: pulled.tax_codes.clone(),
            vendors: pulled.vendors.clone(),
            periods: pulled.periods.clone(),
        };
        let change = self.context.change();
        self.store.save_master_data(&data, &change)?;
        let exceptions = self.draft_exceptions(&changed, &changed_values)?;
        Ok(PullReport {
            accounts: crate::workspace::count(pulled.accounts.len()),
            dimension_values: crate::workspace::count(
                pulled.dimensions.iter().map(|d| d.values.len()).sum(),
            ),
            tax_codes: crate::workspace::count(pulled.tax_codes.len()),
            vendors: crate::workspace::count(pulled.vendors.len()),
            periods: crate::workspace::count(pulled.periods.len()),
            exceptions,
        })
    }

    /// Every line of a draft journal that uses a changed account or dimension value.
    fn draft_exceptions(
        &self,
        accounts: &BTreeMap<String, String>,
        values: &BTreeMap<(String, String), String>,
    ) -> Result<Vec<PullException>, AppError> {
        let mut exceptions = Vec::new();
        if accounts.is_empty() && values.is_empty() {
            return Ok(exceptions);
        }
        for row in self.store.list_documents()? {
            if row.journal_status != Some(JournalStatus::Draft) {
                continue;
            }
            let Some(stored) = self.store.journal_for_document(row.id)? else {
                continue;
            };
            for (i, line) in stored.journal.lines.iter().enumerate() {
                let mut push = |field: String, message: &String| {
                    exceptions.push(PullException {
                        document_id: row.id.to_string(),
                        journal_id: stored.id.to_string(),
                        field,
                        message: message.clone(),
                    });
                };
                if let Some(message) = accounts.get(&line.account) {
                    push(format!("lines[{i}].account"), message);
                }
                for (dim, value) in &line.dimensions {
                    if let Some(message) = values.get(&(dim.clone(), value.clone())) {
                        push(format!("lines[{i}].dimensions.{dim}"), message);
                    }
                }
            }
        }
        Ok(exceptions)
    }

    /// The latest `limit` GL calls of the integration monitor, oldest first.
    pub fn gl_log(&self, limit: usize) -> Result<Vec<GlCallView>, AppError> {
        Ok(self
            .store
            .gl_calls(limit)?
            .into_iter()
            .map(|c| GlCallView {
                at: c.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                connector: c.connector,
                operation: c.operation,
                status: c.status,
                duration_ms: u64::try_from(c.duration.as_millis()).unwrap_or(u64::MAX),
                correlation_id: c.correlation_id,
                error: c.error,
            })
            .collect())
    }

    /// The connection as shown to the user (never the secret).
    pub fn gl_connection_view(&self) -> Result<GlConnectionView, AppError> {
        let connection = self.gl_connection()?;
        let mut view = connection.view();
        // Business Central's sign-in is kept beside the connection: its company is the tenant.
        if connection.kind == ConnectorKind::BusinessCentral.as_str()
            && let Some(settings) = self.business_central_settings()?
        {
            view.has_secret = true;
            view.tenant = settings.company_name;
        }
        // QuickBooks names its company by the realm in the company URL.
        if connection.kind == ConnectorKind::QuickBooks.as_str() && view.tenant.is_none() {
            view.tenant = connection
                .url
                .as_deref()
                .and_then(folio_gl::quickbooks::QuickBooks::realm_of);
        }
        Ok(view)
    }
}

fn absolute(path: &Path) -> Result<PathBuf, AppError> {
    std::path::absolute(path)
        .map_err(|e| AppError::new(ErrorCode::Io, format!("{}: {e}", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn workspace_tags_are_five_reference_characters_from_the_rng() {
        let mut a = rand::rngs::StdRng::seed_from_u64(1);
        let mut b = rand::rngs::StdRng::seed_from_u64(1);
        let tag = new_workspace_tag(&mut a);
        assert_eq!(tag, new_workspace_tag(&mut b));
        assert_eq!(tag.len(), 5);
        assert!(JournalRef::new(&tag, 1).is_ok(), "{tag}");
        assert_ne!(tag, new_workspace_tag(&mut a));
    }
}
