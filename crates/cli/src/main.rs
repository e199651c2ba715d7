//! `folio`: the command-line face of Folio's use cases.
//!
//! Every subcommand is a thin call into `folio_app`; this file only parses arguments, picks the
//! workspace, and prints results for people (tables, a progress bar on a terminal) or for programs
//! (`--json`, stable and documented in the README). Exit codes: 0 ok, 1 some input was rejected,
//! 2 usage or workspace error, 3 refused by a rule (role, segregation of duties, period lock).
//!
//! Who is working is `--as USER`, by default the OS user name (`USER`/`USERNAME`), read here at
//! the edge and passed into the app, which checks what that user may do.

mod api;
mod approvals;
mod audit;
mod coding;
mod eval;
mod eval_import;
mod export;
mod gl;
mod import_cmds;
mod output;

use clap::{Parser, Subcommand};
use folio_app::{AppError, Context, ErrorCode, ImportProgress, SystemClock, Workspace};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, OnceLock};

/// Who is working, set once from `--as` (or the OS user) before any command runs.
static CONTEXT: OnceLock<Context> = OnceLock::new();

fn context() -> Context {
    CONTEXT.get().cloned().unwrap_or_else(|| Context {
        actor: os_user(),
        clock: Arc::new(SystemClock),
    })
}

/// The OS user name, the default of `--as`.
fn os_user() -> String {
    std::env::var("USER")
        .or_else(|_| std::env::var("USERNAME"))
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Opens the workspace in `dir` as the user working.
pub(crate) fn open(dir: &Path) -> Result<Workspace, AppError> {
    Workspace::open_with(dir, context())
}

#[derive(Debug, Parser)]
#[command(
    name = "folio",
    version,
    about = "Folio: supplier invoices in, balanced journals out."
)]
struct Cli {
    /// The workspace folder (default: $FOLIO_WORKSPACE, else the OS data folder).
    #[arg(long, global = true, env = "FOLIO_WORKSPACE", value_name = "DIR")]
    workspace: Option<PathBuf>,
    /// Who is working (a user of the workspace; default: the OS user name).
    #[arg(long = "as", global = true, value_name = "USER")]
    as_user: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create a workspace (with --demo: a chart of accounts, vendors and sample invoices).
    Init {
        #[arg(long)]
        demo: bool,
        #[arg(long)]
        json: bool,
    },
    /// Import invoice files or folders (one result per file).
    Import {
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// One JSON object per input file, one per line.
        #[arg(long)]
        json: bool,
        /// The mapping profile CSV and XLSX files are read with (see `folio profiles`).
        #[arg(long, value_name = "NAME")]
        profile: Option<String>,
    },
    /// List the workspace's documents.
    Documents {
        #[arg(long)]
        json: bool,
    },
    /// Show one document with its lines, totals and problems.
    Show {
        #[arg(value_name = "DOC")]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Build (or show) the document's journal draft; with --all, build every open document's.
    Journal {
        #[arg(
            value_name = "DOC",
            required_unless_present = "all",
            conflicts_with = "all"
        )]
        id: Option<String>,
        /// Every document whose journal is not approved yet.
        #[arg(long)]
        all: bool,
        #[arg(long)]
        json: bool,
    },
    /// Approve documents' journals (controllers); queued for the GL once the policy is met.
    Approve(gl::ApproveArgs),
    /// Send a document's journal back to its preparer with a comment (controllers).
    Reject(approvals::DecisionArgs),
    /// Submit a document's journal for approval again after it was sent back (clerks).
    Submit(approvals::DecisionArgs),
    /// Where a document's journal stands: policy, approvals, preparers, decisions.
    Approvals(approvals::StatusArgs),
    /// Lock periods for posting (`--until DATE`), or show the locks.
    Lock(approvals::LockArgs),
    /// The workspace's users and roles.
    Users(approvals::UsersArgs),
    /// The audit trail: verify the hash chain, export a period for an auditor.
    Audit(audit::AuditArgs),
    /// Re-derive a document's coding suggestions with the rule and model versions stored with
    /// them, then show what today's rules and model would change.
    Replay(audit::ReplayArgs),
    /// Post the queued journals to the general ledger.
    Sync(gl::SyncArgs),
    /// The general ledger: connect, pull master data, show the API log.
    Gl(gl::GlArgs),
    /// Measure Folio on files: the coding suggester, the invoice importer (needs no workspace).
    Eval(eval::EvalArgs),
    #[command(flatten)]
    Coding(coding::CodingCommand),
    /// Saved mapping profiles for CSV and XLSX imports.
    Profiles(import_cmds::ProfilesArgs),
    /// Decide on documents flagged as (possible) duplicates.
    Duplicates(import_cmds::DuplicatesArgs),
    /// Coded data out: plain-text ledgers, BI lines, open payables.
    Export(export::ExportArgs),
    /// The local read API: enable, disable, status, token, serve.
    Api(api::ApiArgs),
    /// Every current journal with its GL sync status.
    Journals {
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = match &cli.command {
        Command::Init { json, .. }
        | Command::Import { json, .. }
        | Command::Documents { json }
        | Command::Show { json, .. }
        | Command::Journal { json, .. } => *json,
        Command::Eval(args) => args.json(),
        Command::Approve(args) => args.json,
        Command::Reject(args) | Command::Submit(args) => args.json,
        Command::Approvals(args) => args.json,
        Command::Lock(args) => args.json,
        Command::Users(args) => args.json(),
        Command::Audit(args) => args.json(),
        Command::Replay(args) => args.json,
        Command::Sync(args) => args.json,
        Command::Gl(args) => args.json(),
        Command::Coding(command) => command.json(),
        Command::Profiles(args) => args.json(),
        Command::Duplicates(args) => args.json(),
        Command::Export(args) => args.json(),
        Command::Api(args) => args.json(),
        Command::Journals { json } => *json,
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if json {
                println!("{}", serde_json::json!({ "error": error }));
            }
            eprintln!("error: {error}");
            ExitCode::from(exit_code_for(&error))
        }
    }
}

fn exit_code_for(error: &AppError) -> u8 {
    match error.code {
        ErrorCode::NotPermitted => 3,
        ErrorCode::JournalNotBuildable | ErrorCode::JournalImmutable => 1,
        _ => 2,
    }
}

fn run(cli: Cli) -> Result<ExitCode, AppError> {
    let _ = CONTEXT.set(Context {
        actor: cli.as_user.clone().unwrap_or_else(os_user),
        clock: Arc::new(SystemClock),
    });
    let dir = cli
        .workspace
        .or_else(folio_app::default_workspace_dir)
        .ok_or_else(|| {
            AppError::new(
                ErrorCode::WorkspaceNotFound,
                "no workspace given and no OS data folder found: pass --workspace DIR",
            )
        })?;
    match cli.command {
        Command::Init { demo, json } => {
            let (_, report) = Workspace::init(&dir, demo, context())?;
            output::init(&report, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Import {
            paths,
            json,
            profile,
        } => {
            let mut workspace = open(&dir)?;
            let bar = (!json && std::io::stderr().is_terminal()).then(output::progress_bar);
            let mut on_progress = |event: &ImportProgress| {
                if let ImportProgress::FileDone { outcome, .. } = event {
                    if json {
                        output::import_json_line(outcome);
                    } else {
                        output::import_line(outcome, bar.as_ref());
                    }
                }
                if let Some(bar) = &bar {
                    output::advance(bar, event);
                }
            };
            let options = folio_app::ImportOptions { profile };
            let (_, summary) = workspace.import_paths_with(&paths, &options, &mut on_progress)?;
            if let Some(bar) = bar {
                bar.finish_and_clear();
            }
            if !json {
                output::import_summary(&summary);
            }
            Ok(if summary.rejected > 0 {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Documents { json } => {
            let workspace = open(&dir)?;
            output::documents(&workspace.list_documents()?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Show { id, json } => {
            let workspace = open(&dir)?;
            output::document(&workspace.show_document(&id)?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal {
            id: Some(id), json, ..
        } => {
            let mut workspace = open(&dir)?;
            output::journal(&workspace.journal_draft(&id)?, json);
            Ok(ExitCode::SUCCESS)
        }
        Command::Journal { id: None, json, .. } => {
            let (built, failed) = open(&dir)?.journal_drafts_for_all()?;
            if json {
                let failed: Vec<_> = failed
                    .iter()
                    .map(|(doc, why)| serde_json::json!({ "document_id": doc, "error": why }))
                    .collect();
                println!(
                    "{}",
                    serde_json::json!({ "built": built, "failed": failed })
                );
            } else {
                for (doc, why) in &failed {
                    println!("{doc}  no journal: {why}");
                }
                println!(
                    "{built} journal drafts built, {} documents without one.",
                    failed.len()
                );
            }
            Ok(if failed.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Eval(args) => Ok(eval::run(args)),
        Command::Approve(args) => gl::approve(&mut open(&dir)?, args),
        Command::Sync(args) => gl::sync(&mut open(&dir)?, args),
        Command::Gl(args) => gl::run(&mut open(&dir)?, args),
        Command::Coding(command) => coding::run(command, &dir),
        Command::Profiles(args) => import_cmds::profiles(&dir, args),
        Command::Duplicates(args) => import_cmds::duplicates(&dir, args),
        Command::Export(args) => export::run(&open(&dir)?, args),
        Command::Api(args) => api::run(&dir, context(), args),
        Command::Journals { json } => api::journals(&open(&dir)?, json),
        Command::Reject(args) => approvals::reject(&dir, args),
        Command::Submit(args) => approvals::submit(&dir, args),
        Command::Approvals(args) => approvals::status(&dir, args),
        Command::Lock(args) => approvals::lock(&dir, args),
        Command::Users(args) => approvals::users(&dir, args),
        Command::Audit(args) => audit::run(&dir, args),
        Command::Replay(args) => audit::replay(&dir, args),
    }
}
