//! The local read API: documents, their coding with explanations, journals and their sync status
//! as JSON over HTTP on 127.0.0.1, for other programs on the same machine.
//!
//! Why it is built the way it is:
//!
//! * **Off by default.** An admin turns it on for the workspace (`folio api enable`, the setting
//!   `api.enabled`, audited like every setting); `folio api serve` refuses while it is off.
//! * **Read-only.** Only `GET` routes exist, and each calls a use case that writes nothing (the
//!   coding is computed, not refreshed; the journal is the stored one).
//! * **A bearer token in the OS keychain** (service `folio-api`, one per workspace tag), created by
//!   `folio api token` and shown only with `--show`. The server reads it once at start; it is
//!   never logged, and a wrong or missing token gets 401 without saying which.
//! * **Refused from other hosts.** The listener binds the loopback address only, the peer address
//!   is checked again per connection, and the `Host` header must be `127.0.0.1:PORT` or
//!   `localhost:PORT`: a web page that re-binds its own DNS name to 127.0.0.1 (DNS rebinding)
//!   sends its own name and is refused (403) before anything is read.
//! * **The CLI's DTOs.** Every route serves exactly the type the matching `--json` command
//!   prints, through the same use case, so the two cannot disagree.
//! * **The OpenAPI description is generated from the route table** the router is built from
//!   ([`ROUTES`]), with each response type's TypeScript declaration from ts-rs (`x-typescript`),
//!   so it cannot list a route the server does not have or miss one it has.

use crate::dto::{DocumentDetail, DocumentSummary, JournalView};
use crate::error::{AppError, ErrorCode};
use crate::workspace::{Workspace, not_found, parse_document_id};
use crate::{ExplainView, OutboxView};
use rand::RngCore;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex};
use ts_rs::TS;

/// The workspace setting that turns the API on.
pub const ENABLED: &str = "api.enabled";
/// The keychain service of API tokens.
pub const TOKEN_SERVICE: &str = "folio-api";
/// The port `folio api serve` listens on unless told otherwise.
pub const DEFAULT_PORT: u16 = 7878;

/// One journal with where it is on its way to the GL (`folio journals --json`, `GET /api/journals`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct JournalSyncView {
    pub document_id: String,
    pub journal_id: String,
    pub version: u32,
    pub status: folio_domain::JournalStatus,
    pub date: String,
    pub memo: String,
    /// The outbox entry, once the journal was approved.
    pub outbox: Option<OutboxView>,
}

/// What `folio api enable|disable|status` reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ApiStatusView {
    pub enabled: bool,
    /// The keychain entry of the token (service and account), never the token.
    pub token_ref: Option<String>,
}

fn keychain_error(e: keyring::Error) -> AppError {
    AppError::new(
        ErrorCode::KeychainUnavailable,
        format!(
            "the OS keychain is not available ({e}); Folio keeps the API token only there. \
             Start or unlock your keyring (on Linux: a Secret Service such as gnome-keyring in \
             your D-Bus session) and try again"
        ),
    )
}

fn token_entry(tag: &str) -> Result<keyring::Entry, AppError> {
    keyring::Entry::new(TOKEN_SERVICE, tag).map_err(keychain_error)
}

/// The stored token of the workspace tagged `tag`, if there is one.
fn load_token(tag: &str) -> Result<Option<String>, AppError> {
    match token_entry(tag)?.get_password() {
        Ok(token) => Ok(Some(token)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keychain_error(e)),
    }
}

/// Equal without an early exit, so the time taken does not tell how much of a guess was right.
fn same_secret(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for (i, x) in a.iter().enumerate() {
        diff |= usize::from(x ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

impl Workspace {
    /// Whether the read API is on, and where its token is.
    pub fn api_status(&self) -> Result<ApiStatusView, AppError> {
        Ok(ApiStatusView {
            enabled: self.store.setting(ENABLED)?.as_deref() == Some("true"),
            token_ref: self
                .workspace_tag()?
                .map(|tag| format!("{TOKEN_SERVICE}/{tag}")),
        })
    }

    /// Turns the read API on or off (an admin's decision: it opens the workspace to programs).
    pub fn set_api_enabled(&mut self, enabled: bool) -> Result<ApiStatusView, AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        let change = self.context.change();
        self.store.save_settings(
            &[(ENABLED, if enabled { "true" } else { "false" })],
            &change,
        )?;
        self.api_status()
    }

    /// The API token: created (from `rng`, 32 bytes as hex) and put in the OS keychain when there
    /// is none, or when `rotate`. Returns it with whether it is new.
    pub fn api_token(
        &mut self,
        rotate: bool,
        rng: &mut dyn RngCore,
    ) -> Result<(String, bool), AppError> {
        self.require(crate::access::Permission::ManageConnections)?;
        let tag = self.ensure_workspace_tag(rng)?;
        if !rotate && let Some(token) = load_token(&tag)? {
            return Ok((token, false));
        }
        let mut bytes = [0u8; 32];
        rng.fill_bytes(&mut bytes);
        let token = hex::encode(bytes);
        let entry = token_entry(&tag)?;
        entry.set_password(&token).map_err(keychain_error)?;
        match entry.get_password() {
            Ok(stored) if stored == token => Ok((token, true)),
            Ok(_) => Err(AppError::new(
                ErrorCode::KeychainUnavailable,
                "the OS keychain did not keep the API token",
            )),
            Err(e) => Err(keychain_error(e)),
        }
    }

    /// The current journal of every document that has one, with its outbox entry.
    pub fn journals_with_sync_status(&self) -> Result<Vec<JournalSyncView>, AppError> {
        let outbox: std::collections::BTreeMap<String, OutboxView> = self
            .outbox()?
            .into_iter()
            .map(|o| (o.journal_id.clone(), o))
            .collect();
        let mut out = Vec::new();
        for row in self.store.list_documents()?.iter().rev() {
            if let Some(stored) = self.store.journal_for_document(row.id)? {
                let journal_id = stored.id.to_string();
                out.push(JournalSyncView {
                    document_id: row.id.to_string(),
                    outbox: outbox.get(&journal_id).cloned(),
                    journal_id,
                    version: stored.version,
                    status: stored.journal.status,
                    date: stored.journal.date.to_string(),
                    memo: stored.journal.memo.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The document's stored current journal, without building or saving anything.
    pub fn stored_journal(&self, id: &str) -> Result<JournalView, AppError> {
        let id = parse_document_id(id)?;
        let stored = self.store.journal_for_document(id)?.ok_or_else(|| {
            if matches!(self.store.get_document(id), Ok(Some(_))) {
                AppError::new(
                    ErrorCode::DocumentNotFound,
                    format!("{id} has no journal yet (folio journal {id} builds one)"),
                )
            } else {
                not_found(id)
            }
        })?;
        self.journal_view(id, &stored, Vec::new())
    }
}

/// What a route answers: the use case it calls and the type it returns.
#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub path: &'static str,
    pub summary: &'static str,
    /// The CLI command that prints the same JSON.
    pub cli: &'static str,
    /// The response type's name (as in `ui/src/bindings`), and whether it is a list of them.
    pub type_name: &'static str,
    pub list: bool,
    declaration: fn(&ts_rs::Config) -> String,
    call: fn(&mut Workspace, &[String]) -> Result<serde_json::Value, AppError>,
}

fn json<T: Serialize>(value: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(value).map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))
}

fn first(params: &[String]) -> &str {
    params.first().map(String::as_str).unwrap_or_default()
}

/// Every route of the API; the router and the OpenAPI description are both made from this.
pub const ROUTES: &[Route] = &[
    Route {
        path: "/api/documents",
        summary: "Every document, newest import first",
        cli: "folio documents --json",
        type_name: "DocumentSummary",
        list: true,
        declaration: DocumentSummary::decl,
        call: |ws, _| json(&ws.list_documents()?),
    },
    Route {
        path: "/api/documents/{id}",
        summary: "One document with its lines, totals and problems",
        cli: "folio show DOC --json",
        type_name: "DocumentDetail",
        list: false,
        declaration: DocumentDetail::decl,
        call: |ws, p| json(&ws.show_document(first(p))?),
    },
    Route {
        path: "/api/documents/{id}/coding",
        summary: "How each line is coded, by which source, with the explanations",
        cli: "folio explain DOC --json",
        type_name: "ExplainView",
        list: false,
        declaration: ExplainView::decl,
        call: |ws, p| json(&ws.explain_read_only(first(p))?),
    },
    Route {
        path: "/api/documents/{id}/journal",
        summary: "The document's current journal as stored",
        cli: "folio journal DOC --json (for an approved journal)",
        type_name: "JournalView",
        list: false,
        declaration: JournalView::decl,
        call: |ws, p| json(&ws.stored_journal(first(p))?),
    },
    Route {
        path: "/api/journals",
        summary: "Every current journal with its GL sync status (outbox entry)",
        cli: "folio journals --json",
        type_name: "JournalSyncView",
        list: true,
        declaration: JournalSyncView::decl,
        call: |ws, _| json(&ws.journals_with_sync_status()?),
    },
];

/// The OpenAPI 3.1 description of [`ROUTES`].
pub fn openapi() -> serde_json::Value {
    let cfg = ts_rs::Config::new();
    let mut paths = serde_json::Map::new();
    let mut schemas = serde_json::Map::new();
    let error = serde_json::json!({
        "description": "An error: {\"error\": {code, message, problems}} (AppError)",
        "content": {"application/json": {"schema": {"type": "object"}}}
    });
    for route in ROUTES {
        let reference =
            serde_json::json!({"$ref": format!("#/components/schemas/{}", route.type_name)});
        let schema = if route.list {
            serde_json::json!({"type": "array", "items": reference})
        } else {
            reference
        };
        let parameters: Vec<serde_json::Value> = route
            .path
            .split('/')
            .filter_map(|part| part.strip_prefix('{')?.strip_suffix('}'))
            .map(|name| {
                serde_json::json!({
                    "name": name, "in": "path", "required": true,
                    "description": "a document id: DOC-12 or 12",
                    "schema": {"type": "string"}
                })
            })
            .collect();
        paths.insert(
            route.path.to_owned(),
            serde_json::json!({"get": {
                "summary": route.summary,
                "description": format!("The same JSON as `{}`.", route.cli),
                "parameters": parameters,
                "responses": {
                    "200": {"description": "OK", "content": {"application/json": {"schema": schema}}},
                    "400": error, "401": error, "403": error, "404": error, "500": error
                }
            }}),
        );
        schemas.insert(
            route.type_name.to_owned(),
            serde_json::json!({
                "type": "object",
                "description": format!(
                    "The TypeScript type {} of ui/src/bindings: amounts are decimal strings.",
                    route.type_name
                ),
                "x-typescript": (route.declaration)(&cfg),
            }),
        );
    }
    serde_json::json!({
        "openapi": "3.1.0",
        "info": {
            "title": "Folio local read API",
            "version": env!("CARGO_PKG_VERSION"),
            "description": "Read-only. Served on 127.0.0.1 only; every request needs the bearer \
                            token from `folio api token --show` and a Host header of \
                            127.0.0.1:PORT or localhost:PORT."
        },
        "servers": [{"url": format!("http://127.0.0.1:{DEFAULT_PORT}")}],
        "security": [{"bearer": []}],
        "paths": paths,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": schemas
        }
    })
}

struct State {
    workspace: Mutex<Workspace>,
    token: String,
    allowed_hosts: Vec<String>,
}

fn response(status: u16, body: &serde_json::Value) -> axum::response::Response {
    let mut response = axum::response::Response::new(axum::body::Body::from(
        serde_json::to_vec(body).unwrap_or_default(),
    ));
    *response.status_mut() =
        axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK);
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        axum::http::HeaderValue::from_static("application/json"),
    );
    response
}

fn refusal(status: u16, code: &str, message: &str) -> axum::response::Response {
    let mut r = response(
        status,
        &serde_json::json!({"error": {"code": code, "message": message, "problems": []}}),
    );
    if status == 401 {
        r.headers_mut().insert(
            axum::http::header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer"),
        );
    }
    r
}

fn error_status(e: &AppError) -> u16 {
    match e.code {
        ErrorCode::DocumentNotFound => 404,
        ErrorCode::InvalidInput => 400,
        _ => 500,
    }
}

/// The checks every request passes before a route sees it: loopback peer, an allowed Host, the
/// token.
async fn guard(
    axum::extract::State(state): axum::extract::State<Arc<State>>,
    axum::extract::ConnectInfo(peer): axum::extract::ConnectInfo<SocketAddr>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !peer.ip().is_loopback() {
        return refusal(403, "FORBIDDEN", "only this machine may use the API");
    }
    let host = request
        .headers()
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    if !state.allowed_hosts.iter().any(|h| h == host) {
        return refusal(
            403,
            "FORBIDDEN",
            "the Host header must be 127.0.0.1:PORT or localhost:PORT",
        );
    }
    let presented = request
        .headers()
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or("");
    if !same_secret(presented.as_bytes(), state.token.as_bytes()) {
        return refusal(401, "UNAUTHORIZED", "a valid bearer token is needed");
    }
    next.run(request).await
}

async fn handle(
    state: Arc<State>,
    route: &'static Route,
    params: Vec<String>,
) -> axum::response::Response {
    let result = tokio::task::spawn_blocking(move || {
        let mut workspace = state
            .workspace
            .lock()
            .map_err(|_| AppError::new(ErrorCode::Storage, "the workspace lock is poisoned"))?;
        (route.call)(&mut workspace, &params)
    })
    .await
    .unwrap_or_else(|e| Err(AppError::new(ErrorCode::Storage, e.to_string())));
    match result {
        Ok(value) => response(200, &value),
        Err(e) => response(error_status(&e), &serde_json::json!({ "error": e })),
    }
}

fn router(state: Arc<State>) -> axum::Router {
    let mut router = axum::Router::new().route(
        "/openapi.json",
        axum::routing::get(|| async { response(200, &openapi()) }),
    );
    for route in ROUTES {
        let state = Arc::clone(&state);
        router = router.route(
            route.path,
            axum::routing::get(move |params: axum::extract::RawPathParams| {
                let values = params.iter().map(|(_, v)| v.to_owned()).collect();
                handle(state, route, values)
            }),
        );
    }
    router
        .fallback(|| async { refusal(404, "NOT_FOUND", "no such route; see /openapi.json") })
        .layer(axum::middleware::from_fn_with_state(state, guard))
}

/// `folio api serve`: serves the workspace in `dir` on 127.0.0.1:`port` until the process ends.
/// `ready` gets the address once the port is bound.
pub fn serve(
    dir: &Path,
    context: crate::Context,
    port: u16,
    ready: impl FnOnce(SocketAddr),
) -> Result<(), AppError> {
    let workspace = Workspace::open_with(dir, context)?;
    if !workspace.api_status()?.enabled {
        return Err(AppError::new(
            ErrorCode::ApiDisabled,
            "the local read API is off for this workspace; an admin turns it on with `folio api \
             enable`",
        ));
    }
    let token = workspace
        .workspace_tag()?
        .map(|tag| load_token(&tag))
        .transpose()?
        .flatten()
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::ApiDisabled,
                "the read API has no token yet: create one with `folio api token`",
            )
        })?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| AppError::new(ErrorCode::Io, format!("could not start the server: {e}")))?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind((IpAddr::V4(Ipv4Addr::LOCALHOST), port))
            .await
            .map_err(|e| AppError::new(ErrorCode::Io, format!("127.0.0.1:{port}: {e}")))?;
        let address = listener
            .local_addr()
            .map_err(|e| AppError::new(ErrorCode::Io, e.to_string()))?;
        let state = Arc::new(State {
            workspace: Mutex::new(workspace),
            token,
            allowed_hosts: vec![
                format!("127.0.0.1:{}", address.port()),
                format!("localhost:{}", address.port()),
            ],
        });
        ready(address);
        axum::serve(
            listener,
            router(state).into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .map_err(|e| AppError::new(ErrorCode::Io, format!("the API server stopped: {e}")))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret(b"abc", b"abc"));
        assert!(!same_secret(b"abc", b"abd"));
        assert!(!same_secret(b"abc", b"abcd"));
        assert!(!same_secret(b"", b"a"));
        assert!(same_secret(b"", b""));
    }

    #[test]
    fn the_description_lists_exactly_the_routes() {
        let doc = openapi();
        let paths: Vec<&String> = doc["paths"].as_object().unwrap().keys().collect();
        let mut expected: Vec<&str> = ROUTES.iter().map(|r| r.path).collect();
        expected.sort_unstable();
        assert_eq!(paths, expected);
        let detail = &doc["paths"]["/api/documents/{id}"]["get"];
        assert_eq!(detail["parameters"][0]["name"], "id");
        assert!(
            doc["components"]["schemas"]["JournalView"]["x-typescript"]
                .as_str()
                .unwrap()
                .contains("balanced: boolean")
        );
        assert_eq!(
            doc["paths"]["/api/journals"]["get"]["responses"]["200"]["content"]["application/json"]
                ["schema"]["type"],
            "array"
        );
    }
}
