//! `folio approve`, `folio sync` and `folio gl connect|pull|log`: parsing and printing around the
//! app's GL use cases.

use clap::{Args, Subcommand};
use folio_app::{
    AppError, ApproveOutcome, ErrorCode, GlCallView, GlConnectionView, OutboxActionView,
    OutboxView, PullReport, Resolution, SyncOptions, SyncReport, Workspace,
};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Debug, Args)]
pub struct ApproveArgs {
    /// Documents whose journals to approve (DOC-12 or 12).
    #[arg(
        value_name = "DOC",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub documents: Vec<String>,
    /// Every document whose journal is still a draft.
    #[arg(long)]
    pub all: bool,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct SyncArgs {
    /// Post what is queued and stop (otherwise keep watching the outbox).
    #[arg(long)]
    pub once: bool,
    /// With --once: the longest to wait out retries and outages, in seconds.
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub max_wait: u64,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Journals per request (the connector may allow fewer).
    #[arg(long, default_value_t = 500)]
    pub batch: usize,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct GlArgs {
    #[command(subcommand)]
    pub command: GlCommand,
}

/// The browser sign-in of a cloud GL (xero, quickbooks, business-central).
#[derive(Debug, Args)]
pub struct SignInArgs {
    /// xero, business-central: the client id of your company's Xero app or Entra ID app
    /// registration (a PKCE public client: no secret); quickbooks: of your company's Intuit app
    /// (its secret with --secret-stdin).
    #[arg(long, value_name = "ID")]
    client_id: Option<String>,
    /// xero: the organisation to post to (id or name), when the sign-in has several.
    #[arg(long, value_name = "TENANT")]
    tenant: Option<String>,
    /// xero: create journals as `draft` or `posted` (the default).
    #[arg(long, value_name = "STATUS")]
    post_as: Option<String>,
    /// xero, business-central: where the browser signs in (default https://login.xero.com,
    /// https://login.microsoftonline.com).
    #[arg(long, value_name = "URL")]
    login_url: Option<String>,
    /// xero: where tokens are issued (default https://identity.xero.com).
    #[arg(long, value_name = "URL")]
    identity_url: Option<String>,
    /// xero, quickbooks, business-central: only print the sign-in URL, do not open the browser.
    #[arg(long)]
    no_browser: bool,
    /// xero, quickbooks, business-central: how long to wait for the browser, in seconds.
    #[arg(long, default_value_t = 300, value_name = "SECONDS")]
    sign_in_timeout: u64,
}

#[derive(Debug, Subcommand)]
pub enum GlCommand {
    /// Connect the workspace to a general ledger (ledger-file, fava, hledger-web, tryton, xero,
    /// quickbooks or business-central; for tryton the URL names the database,
    /// `http://HOST:PORT/DATABASE`; xero signs in through the browser: `folio gl connect xero
    /// --client-id ID`; quickbooks too, with the company's URL
    /// `https://quickbooks.api.intuit.com/v3/company/REALM`, the client id of the company's
    /// Intuit app and its secret on stdin: `--client-id ID --secret-stdin`; business-central
    /// with the company's API URL
    /// `https://api.businesscentral.dynamics.com/v2.0/TENANT/ENVIRONMENT/api/v2.0/companies(ID)`
    /// and `--client-id ID` of the company's Entra ID app registration).
    Connect {
        #[arg(value_name = "KIND")]
        kind: String,
        #[arg(long)]
        url: Option<String>,
        /// The beancount file of a ledger-file connection; for hledger-web, the journal file it
        /// serves when hledger-web is on this machine but does not name it itself.
        #[arg(long, value_name = "FILE")]
        ledger: Option<PathBuf>,
        #[arg(long)]
        user: Option<String>,
        /// Read the secret from standard input (it goes to the OS keychain only).
        #[arg(long)]
        secret_stdin: bool,
        #[command(flatten)]
        sign_in: Box<SignInArgs>,
        #[arg(long)]
        json: bool,
    },
    /// Fetch the GL's accounts, dimensions, tax codes, vendors and periods.
    Pull {
        #[arg(long)]
        json: bool,
    },
    /// The outbox: every approved journal, where it stands and what it waits for.
    Outbox {
        #[arg(long)]
        json: bool,
    },
    /// Retry journals now: a queued one becomes due at once (its backoff wait is cleared); one in
    /// doubt (unknown, or sending when a sync died) is looked up in the GL, never resent blindly.
    /// `folio sync` then sends what is due.
    Retry {
        /// GL references (FK3P9Q-12) or journal ids (JNL-12).
        #[arg(value_name = "REF", required = true)]
        references: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Resolve a journal in doubt: look it up in the GL now (found: posted; not there: queued
    /// again), or, as a controller who checked the GL, record that it is there as GL_ID.
    Resolve {
        /// The GL reference (FK3P9Q-12) or journal id (JNL-12).
        #[arg(value_name = "REF")]
        reference: String,
        /// Ask the GL for the reference now.
        #[arg(long, conflicts_with_all = ["posted_as", "note"], required_unless_present = "posted_as")]
        lookup: bool,
        /// The GL's id of the entry you found in the GL yourself (needs --note).
        #[arg(long, value_name = "GL_ID", requires = "note")]
        posted_as: Option<String>,
        /// How you checked the GL: kept with your name as the evidence.
        #[arg(long, value_name = "TEXT")]
        note: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Tryton's write bound: its server's `[request] timeout` in seconds (60 by default), after
    /// which a cut-off write can no longer commit; look-ups wait it out before calling a journal
    /// missing.
    WriteBound {
        #[arg(value_name = "SECONDS")]
        seconds: u64,
        #[arg(long)]
        json: bool,
    },
    /// The integration monitor: the latest API calls to the GL.
    Log {
        /// How many calls to show.
        #[arg(long, default_value_t = 50)]
        limit: usize,
        #[arg(long)]
        json: bool,
    },
}

impl GlArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            GlCommand::Connect { json, .. }
            | GlCommand::Pull { json }
            | GlCommand::Outbox { json }
            | GlCommand::Retry { json, .. }
            | GlCommand::Resolve { json, .. }
            | GlCommand::Log { json, .. }
            | GlCommand::WriteBound { json, .. } => *json,
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

/// The random source of the workspace tag and of retry jitter: the OS's, read here at the edge.
fn rng() -> StdRng {
    StdRng::from_os_rng()
}

pub fn approve(workspace: &mut Workspace, args: ApproveArgs) -> Result<ExitCode, AppError> {
    let outcomes = workspace.approve(&args.documents, args.all, &mut rng())?;
    if args.json {
        print_json(&outcomes);
    } else {
        print_approvals(&outcomes);
    }
    Ok(if outcomes.iter().any(|o| o.rule.is_some()) {
        ExitCode::from(3)
    } else if outcomes.iter().any(|o| o.status == "refused") {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_approvals(outcomes: &[ApproveOutcome]) {
    for o in outcomes {
        match &o.reference {
            Some(reference) => println!(
                "{}  {}  approved, queued for the GL as {reference}",
                o.document_id,
                o.journal_id.as_deref().unwrap_or("")
            ),
            None if o.status == "awaiting" => println!(
                "{}  {}  approval recorded; waiting for more: {}",
                o.document_id,
                o.journal_id.as_deref().unwrap_or(""),
                o.reason.as_deref().unwrap_or("")
            ),
            None => {
                println!(
                    "{}  not approved: {}",
                    o.document_id,
                    o.reason.as_deref().unwrap_or("")
                );
                for p in &o.problems {
                    println!("    - {p}");
                }
            }
        }
    }
    let queued = outcomes.iter().filter(|o| o.status == "queued").count();
    println!(
        "{queued} of {} journals approved and queued.",
        outcomes.len()
    );
}

pub fn sync(workspace: &mut Workspace, args: SyncArgs) -> Result<ExitCode, AppError> {
    let options = SyncOptions {
        once: args.once,
        max_wait: Duration::from_secs(args.max_wait),
        concurrency: args.concurrency,
        batch: args.batch,
        ..SyncOptions::default()
    };
    let report = workspace.sync(options, &mut rng())?;
    if args.json {
        print_json(&report);
    } else {
        print_sync(&report);
    }
    Ok(if report.rejected > 0 || report.remaining > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn print_sync(r: &SyncReport) {
    println!(
        "{}: {} posted ({} found by reference after a lost answer), {} rejected, {} still \
         waiting; {} requests in {:.1} s.",
        r.connector,
        r.posted,
        r.found_by_lookup,
        r.rejected,
        r.remaining,
        r.requests,
        Duration::from_millis(r.elapsed_ms).as_secs_f64()
    );
    if let Some(l) = &r.rate_limit {
        println!(
            "{} rate limits for {}: {}/{} calls {}{}{}{}",
            l.api,
            l.tenant,
            l.minute_used,
            l.minute_limit,
            l.window_minutes
                .map(|m| format!("in {m} minutes"))
                .unwrap_or_else(|| "this minute".to_owned()),
            if l.day_limited {
                format!(", {}/{} today", l.day_used, l.day_limit)
            } else {
                String::new()
            },
            l.api_day_remaining
                .map(|n| format!(" ({n} left today by the API's count)"))
                .unwrap_or_default(),
            l.last_problem
                .as_deref()
                .map(|p| format!("; the API's {p} limit was hit"))
                .unwrap_or_default()
        );
    }
    for e in &r.exceptions {
        println!(
            "  {} ({}) rejected: {}",
            e.journal_id,
            e.reference,
            e.last_error.as_deref().unwrap_or("")
        );
    }
}

pub fn run(workspace: &mut Workspace, args: GlArgs) -> Result<ExitCode, AppError> {
    match args.command {
        GlCommand::Connect {
            kind,
            url,
            ledger,
            user,
            secret_stdin,
            sign_in,
            json,
        } if kind == "business-central" => {
            let SignInArgs {
                client_id,
                tenant,
                post_as,
                login_url,
                identity_url,
                no_browser,
                sign_in_timeout,
            } = *sign_in;
            if secret_stdin
                || ledger.is_some()
                || user.is_some()
                || tenant.is_some()
                || post_as.is_some()
                || identity_url.is_some()
            {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "business-central signs in through the browser and posts to the company in \
                     --url: --secret-stdin, --ledger, --user, --tenant, --post-as and \
                     --identity-url do not apply",
                ));
            }
            let request = folio_app::gl_business_central::BusinessCentralConnect {
                company_url: url.unwrap_or_default(),
                client_id: client_id.unwrap_or_default(),
                login_url,
                timeout: Duration::from_secs(sign_in_timeout),
            };
            let mut show = |url: &str| {
                eprintln!(
                    "Sign in to Business Central in your browser. If it does not open, open this URL:"
                );
                println!("{url}");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                if !no_browser {
                    open_browser(url);
                }
            };
            let view = workspace.gl_connect_business_central(&request, &mut show, &mut rng())?;
            if json {
                print_json(&view);
            } else {
                let company = view
                    .tenant
                    .as_deref()
                    .map(|n| format!(" (company {n})"))
                    .unwrap_or_default();
                println!(
                    "Connected to business-central at {}{company} with its sign-in in the OS \
                     keychain.",
                    view.url.as_deref().unwrap_or("")
                );
            }
        }
        GlCommand::Connect {
            kind,
            url,
            ledger,
            user,
            secret_stdin,
            sign_in,
            json,
        } if kind == "xero" => {
            let SignInArgs {
                client_id,
                tenant,
                post_as,
                login_url,
                identity_url,
                no_browser,
                sign_in_timeout,
            } = *sign_in;
            if secret_stdin || ledger.is_some() || user.is_some() {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "xero signs in through the browser: --secret-stdin, --ledger and --user do \
                     not apply",
                ));
            }
            let request = folio_app::gl_oauth::OAuthConnect {
                kind,
                client_id: client_id.unwrap_or_default(),
                api_url: url,
                login_url,
                identity_url,
                tenant,
                post_as,
                timeout: Duration::from_secs(sign_in_timeout),
            };
            let mut show = |url: &str| {
                eprintln!("Sign in to Xero in your browser. If it does not open, open this URL:");
                println!("{url}");
                use std::io::Write;
                let _ = std::io::stdout().flush();
                if !no_browser {
                    open_browser(url);
                }
            };
            let view = workspace.gl_connect_oauth(&request, &mut show, &mut rng())?;
            if json {
                print_json(&view);
            } else {
                print_connection(&view);
            }
        }
        GlCommand::Connect {
            kind,
            url,
            ledger,
            user,
            secret_stdin,
            sign_in,
            json,
        } => {
            let secret = if secret_stdin {
                let mut text = String::new();
                std::io::stdin().read_to_string(&mut text).map_err(|e| {
                    AppError::new(
                        ErrorCode::Io,
                        format!("cannot read the secret from stdin: {e}"),
                    )
                })?;
                let text = text.trim_end_matches(['\n', '\r']).to_owned();
                if text.is_empty() {
                    return Err(AppError::new(
                        ErrorCode::InvalidInput,
                        "--secret-stdin: standard input was empty",
                    ));
                }
                Some(text)
            } else {
                None
            };
            let view = if kind == "quickbooks" {
                // The company's own Intuit app: its client id, and its secret on stdin.
                let client_id = sign_in.client_id.or(user).unwrap_or_default();
                let no_browser = sign_in.no_browser;
                let mut show = |url: &str| {
                    eprintln!(
                        "Sign in to QuickBooks in your browser. If it does not open, open this URL:"
                    );
                    println!("{url}");
                    use std::io::Write;
                    let _ = std::io::stdout().flush();
                    if !no_browser {
                        open_browser(url);
                    }
                };
                workspace.gl_connect_quickbooks(
                    url.as_deref().unwrap_or_default(),
                    &client_id,
                    secret.as_deref().unwrap_or_default(),
                    &mut show,
                    Duration::from_secs(sign_in.sign_in_timeout),
                    &mut rng(),
                )?
            } else {
                workspace.gl_connect(
                    &kind,
                    url.as_deref(),
                    ledger.as_deref(),
                    user.as_deref(),
                    secret.as_deref(),
                    &mut rng(),
                )?
            };
            if json {
                print_json(&view);
            } else {
                print_connection(&view);
            }
        }
        GlCommand::Pull { json } => {
            let report = workspace.gl_pull()?;
            if json {
                print_json(&report);
            } else {
                print_pull(&report);
            }
        }
        GlCommand::Outbox { json } => {
            let entries = workspace.outbox()?;
            if json {
                print_json(&entries);
            } else {
                print_outbox(&entries);
            }
        }
        GlCommand::Retry { references, json } => {
            let results = workspace.outbox_retry(&references)?;
            return Ok(print_actions(&results, json));
        }
        GlCommand::Resolve {
            reference,
            lookup,
            posted_as,
            note,
            json,
        } => {
            let resolution = match (lookup, posted_as) {
                (_, Some(gl_id)) => Resolution::PostedAs {
                    gl_id,
                    note: note.unwrap_or_default(),
                },
                _ => Resolution::LookUp,
            };
            let result = workspace.outbox_resolve(&reference, resolution)?;
            return Ok(print_actions(std::slice::from_ref(&result), json));
        }
        GlCommand::WriteBound { seconds, json } => {
            let bound = workspace.set_gl_write_bound(seconds)?;
            if json {
                print_json(&serde_json::json!({ "write_bound_secs": bound.as_secs() }));
            } else {
                println!(
                    "Tryton's write bound is {} s: a look-up calls a journal missing only after \
                     that (and 2 s) since its last send.",
                    bound.as_secs()
                );
            }
        }
        GlCommand::Log { limit, json } => {
            let calls = workspace.gl_log(limit)?;
            if json {
                print_json(&calls);
            } else {
                print_log(&calls);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_connection(v: &GlConnectionView) {
    let mut parts = vec![format!("Connected to {}", v.kind)];
    if let Some(url) = &v.url {
        parts.push(format!("at {url}"));
    }
    if let Some(ledger) = &v.ledger {
        parts.push(format!("(ledger {ledger})"));
    }
    if let Some(user) = &v.user {
        parts.push(format!("as {user}"));
    }
    if let Some(tenant) = &v.tenant {
        parts.push(format!("for the organisation {tenant}"));
    }
    if v.has_secret {
        parts.push("with its secret in the OS keychain".into());
    }
    println!("{}.", parts.join(" "));
}

/// Opens `url` in the system browser (the URL is printed too, for when none opens).
fn open_browser(url: &str) {
    folio_app::gl_oauth::open_in_browser(url);
}

fn print_pull(r: &PullReport) {
    println!(
        "Pulled {} accounts, {} dimension values, {} tax codes, {} vendors, {} periods.",
        r.accounts, r.dimension_values, r.tax_codes, r.vendors, r.periods
    );
    if !r.exceptions.is_empty() {
        println!("{} draft lines need a look:", r.exceptions.len());
        for e in &r.exceptions {
            println!(
                "  {} {} {}: {}",
                e.document_id, e.journal_id, e.field, e.message
            );
        }
    }
}

fn print_outbox(entries: &[OutboxView]) {
    println!(
        "{:<10} {:<20} {:<8} {:>8}  {:<24} {:<14} last error",
        "journal", "reference", "state", "attempts", "next attempt", "gl id"
    );
    for e in entries {
        let next = if e.state == "queued" {
            e.next_attempt_at.as_str()
        } else {
            "-"
        };
        println!(
            "{:<10} {:<20} {:<8} {:>8}  {:<24} {:<14} {}",
            e.journal_id,
            e.reference,
            e.state,
            e.attempts,
            next,
            e.gl_id.as_deref().unwrap_or("-"),
            e.last_error.as_deref().unwrap_or("")
        );
    }
}

/// Prints what retry or resolve did; exit code 1 when one of them changed nothing.
fn print_actions(results: &[OutboxActionView], json: bool) -> ExitCode {
    if json {
        print_json(&results);
    } else {
        for r in results {
            println!("{}: {}", r.result, r.message);
        }
    }
    if results.iter().any(|r| r.result == "unchanged") {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

fn print_log(calls: &[GlCallView]) {
    println!(
        "{:<25} {:<12} {:<12} {:<9} {:>8}  {:<14} error",
        "time", "connector", "operation", "status", "ms", "correlation"
    );
    for c in calls {
        println!(
            "{:<25} {:<12} {:<12} {:<9} {:>8}  {:<14} {}",
            c.at,
            c.connector,
            c.operation,
            c.status,
            c.duration_ms,
            c.correlation_id.as_deref().unwrap_or("-"),
            c.error.as_deref().unwrap_or("")
        );
    }
}
