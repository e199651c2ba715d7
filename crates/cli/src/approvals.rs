//! `folio users`, `folio reject`, `folio submit`, `folio approvals` and `folio lock`: parsing and
//! printing around the app's users and approval use cases.

use clap::{Args, Subcommand};
use folio_app::{AppError, ApprovalStatusView, DecisionView, LockView, UserView};
use serde::Serialize;
use std::path::Path;
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct UsersArgs {
    #[command(subcommand)]
    pub command: UsersCommand,
}

#[derive(Debug, Subcommand)]
pub enum UsersCommand {
    /// Add a user (admins; the first user of a workspace without users must be an admin).
    Add {
        #[arg(value_name = "NAME")]
        name: String,
        /// clerk (imports, codes, submits), controller (approves, rejects) or admin (users,
        /// connections, rules).
        #[arg(long, value_name = "ROLE")]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// Give a user another role (admins).
    SetRole {
        #[arg(value_name = "NAME")]
        name: String,
        #[arg(long, value_name = "ROLE")]
        role: String,
        #[arg(long)]
        json: bool,
    },
    /// List the users and their roles.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Who is working (the --as user, by default the OS user) and in which role.
    Whoami {
        #[arg(long)]
        json: bool,
    },
}

impl UsersArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            UsersCommand::Add { json, .. }
            | UsersCommand::SetRole { json, .. }
            | UsersCommand::List { json }
            | UsersCommand::Whoami { json } => *json,
        }
    }
}

#[derive(Debug, Args)]
pub struct DecisionArgs {
    #[arg(value_name = "DOC")]
    pub document: String,
    /// What to change (reject) or a note (submit).
    #[arg(long, value_name = "TEXT", default_value = "")]
    pub comment: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    #[arg(value_name = "DOC")]
    pub document: String,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Args)]
pub struct LockArgs {
    /// Lock every day up to and including DATE (YYYY-MM-DD); without it, show the locks.
    #[arg(long, value_name = "DATE")]
    pub until: Option<String>,
    #[arg(long)]
    pub json: bool,
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

fn print_user(u: &UserView) {
    match (&u.added_at, &u.added_by) {
        (Some(at), Some(by)) => println!("{:<24} {:<11} added {at} by {by}", u.name, u.role),
        _ => println!("{:<24} {}", u.name, u.role),
    }
}

pub fn users(dir: &Path, args: UsersArgs) -> Result<ExitCode, AppError> {
    let mut workspace = crate::open(dir)?;
    match args.command {
        UsersCommand::Add { name, role, json } => {
            let user = workspace.add_user(&name, &role)?;
            if json {
                print_json(&user);
            } else {
                println!("added {} as {}", user.name, user.role);
            }
        }
        UsersCommand::SetRole { name, role, json } => {
            let user = workspace.set_user_role(&name, &role)?;
            if json {
                print_json(&user);
            } else {
                println!("{} is now {}", user.name, user.role);
            }
        }
        UsersCommand::List { json } => {
            let users = workspace.users()?;
            if json {
                print_json(&users);
            } else if users.is_empty() {
                println!("no users yet: `folio users add NAME --role admin` adds the first admin");
            } else {
                for u in &users {
                    print_user(u);
                }
            }
        }
        UsersCommand::Whoami { json } => {
            let user = workspace.current_user()?;
            if json {
                print_json(&user);
            } else {
                print_user(&user);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_decision(d: &DecisionView) {
    let verb = match d.decision.as_str() {
        "reject" => "sent back to its preparer",
        "submit" => "submitted for approval",
        _ => "approved",
    };
    print!(
        "{} {verb} by {} ({}) at {}",
        d.journal_id, d.actor, d.role, d.at
    );
    if d.comment.is_empty() {
        println!();
    } else {
        println!(": {}", d.comment);
    }
}

pub fn reject(dir: &Path, args: DecisionArgs) -> Result<ExitCode, AppError> {
    let decision = crate::open(dir)?.reject_document(&args.document, &args.comment)?;
    if args.json {
        print_json(&decision);
    } else {
        print_decision(&decision);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn submit(dir: &Path, args: DecisionArgs) -> Result<ExitCode, AppError> {
    let decision = crate::open(dir)?.submit_document(&args.document, &args.comment)?;
    if args.json {
        print_json(&decision);
    } else {
        print_decision(&decision);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_status(s: &ApprovalStatusView) {
    println!(
        "{} {} is {}; content SHA-256 {}",
        s.document_id, s.journal_id, s.status, s.content_sha256
    );
    println!(
        "  needs {} approver(s): {}; approved by: {}",
        s.required,
        s.policy,
        if s.approvers.is_empty() {
            "nobody yet".to_owned()
        } else {
            s.approvers.join(", ")
        }
    );
    println!("  prepared by: {}", s.preparers.join(", "));
    if let Some(r) = &s.returned {
        println!("  sent back by {r}");
    }
    for p in &s.period_problems {
        println!("  - {p}");
    }
    for d in &s.decisions {
        print!("  {} {} by {} ({})", d.at, d.decision, d.actor, d.role);
        if !d.comment.is_empty() {
            print!(": {}", d.comment);
        }
        match &d.voided_reason {
            Some(why) => println!(" — voided: {why}"),
            None => println!(),
        }
    }
}

pub fn status(dir: &Path, args: StatusArgs) -> Result<ExitCode, AppError> {
    let status = crate::open(dir)?.approval_status(&args.document)?;
    if args.json {
        print_json(&status);
    } else {
        print_status(&status);
    }
    Ok(ExitCode::SUCCESS)
}

fn print_locks(l: &LockView) {
    match &l.until {
        Some(until) => println!("locked up to and including {until}"),
        None => println!("no local lock date"),
    }
    if !l.closed_periods.is_empty() {
        println!("closed in the GL: {}", l.closed_periods.join(", "));
    }
}

pub fn lock(dir: &Path, args: LockArgs) -> Result<ExitCode, AppError> {
    let mut workspace = crate::open(dir)?;
    let view = match &args.until {
        Some(until) => workspace.lock_periods(until)?,
        None => workspace.locks()?,
    };
    if args.json {
        print_json(&view);
    } else {
        print_locks(&view);
    }
    Ok(ExitCode::SUCCESS)
}
