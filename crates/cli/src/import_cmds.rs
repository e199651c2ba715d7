//! `folio profiles list|show NAME|add NAME FILE.toml` and `folio duplicates resolve DOC
//! --not-duplicate --reason TEXT`: parsing and printing only; the use cases are
//! `Workspace::{list_profiles, show_profile, add_profile, resolve_not_duplicate}`.

use clap::{Args, Subcommand};
use folio_app::{AppError, ErrorCode, ProfileView};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct ProfilesArgs {
    #[command(subcommand)]
    command: ProfilesCommand,
}

#[derive(Debug, Subcommand)]
enum ProfilesCommand {
    /// List the saved mapping profiles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Show one profile: its mode, its columns and its TOML.
    Show {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(long)]
        json: bool,
    },
    /// Save a profile from a TOML file (checked first; replaces a profile of the same name).
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(value_name = "FILE.toml")]
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

impl ProfilesArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            ProfilesCommand::List { json }
            | ProfilesCommand::Show { json, .. }
            | ProfilesCommand::Add { json, .. } => *json,
        }
    }
}

#[derive(Debug, Args)]
pub struct DuplicatesArgs {
    #[command(subcommand)]
    command: DuplicatesCommand,
}

#[derive(Debug, Subcommand)]
enum DuplicatesCommand {
    /// Record a reviewer's decision on a document flagged DUPLICATE or POSSIBLE_DUPLICATE.
    Resolve {
        #[arg(value_name = "DOC")]
        id: String,
        /// The document is not a duplicate (clears the flag).
        #[arg(long)]
        not_duplicate: bool,
        /// Why (required; it is kept with the decision and in the audit log).
        #[arg(long, value_name = "TEXT")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
}

impl DuplicatesArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            DuplicatesCommand::Resolve { json, .. } => *json,
        }
    }
}

fn print_profile(p: &ProfileView, with_text: bool) {
    println!("{:<20} {:<8} {}", p.name, p.mode, p.columns.join(" "));
    if with_text {
        println!("{}", p.text.trim_end());
    }
}

/// Runs `folio profiles …`.
pub fn profiles(dir: &Path, args: ProfilesArgs) -> Result<ExitCode, AppError> {
    match args.command {
        ProfilesCommand::List { json } => {
            let list = crate::open(dir)?.list_profiles()?;
            if json {
                println!("{}", serde_json::json!(list));
            } else if list.is_empty() {
                println!("no profiles (folio profiles add NAME FILE.toml saves one)");
            } else {
                for p in &list {
                    print_profile(p, false);
                }
            }
        }
        ProfilesCommand::Show { name, json } => {
            let p = crate::open(dir)?.show_profile(&name)?;
            if json {
                println!("{}", serde_json::json!(p));
            } else {
                print_profile(&p, true);
            }
        }
        ProfilesCommand::Add { name, file, json } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| AppError::new(ErrorCode::Io, format!("{}: {e}", file.display())))?;
            let p = crate::open(dir)?.add_profile(&name, &text)?;
            if json {
                println!("{}", serde_json::json!(p));
            } else {
                println!("saved profile '{}'", p.name);
                print_profile(&p, false);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `folio duplicates …`.
pub fn duplicates(dir: &Path, args: DuplicatesArgs) -> Result<ExitCode, AppError> {
    match args.command {
        DuplicatesCommand::Resolve {
            id,
            not_duplicate,
            reason,
            json,
        } => {
            if !not_duplicate {
                return Err(AppError::new(
                    ErrorCode::InvalidInput,
                    "say what was decided: --not-duplicate",
                ));
            }
            let resolution = crate::open(dir)?.resolve_not_duplicate(&id, &reason)?;
            if json {
                println!("{}", serde_json::json!(resolution));
            } else {
                println!(
                    "{} marked as not a duplicate by {} at {}: {}",
                    resolution.document_id,
                    resolution.decided_by,
                    resolution.decided_at,
                    resolution.reason
                );
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
