//! `folio audit verify|export` and `folio replay`: parsing and printing around the app's audit
//! use cases.

use clap::{Args, Subcommand};
use folio_app::{AppError, AuditExportReport, AuditVerifyReport, ReplayView};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit chain and name the first event that was altered or removed (exit code 1).
    Verify {
        /// A copy of the head kept outside (a posted entry's folio_audit, SEQ-HASH): it must
        /// still be in the chain.
        #[arg(long, value_name = "SEQ-HASH")]
        head: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write a month's originals, coding decisions, journals, approvals, GL receipts and audit
    /// events as plain files with a SHA-256 MANIFEST (`sha256sum -c MANIFEST` checks it).
    Export {
        /// The month, YYYY-MM (by journal date; by issue date without a journal).
        #[arg(long, value_name = "YYYY-MM")]
        period: String,
        /// A new folder.
        #[arg(value_name = "DIR")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
}

impl AuditArgs {
    pub fn json(&self) -> bool {
        match &self.command {
            AuditCommand::Verify { json, .. } | AuditCommand::Export { json, .. } => *json,
        }
    }
}

fn print_verify(r: &AuditVerifyReport) {
    if r.ok {
        println!(
            "The audit log holds: {} events, head {}-{}.",
            r.events, r.head_seq, r.head_hash
        );
        return;
    }
    println!(
        "The audit log is broken at event {}: {}",
        r.first_bad_event.unwrap_or_default(),
        r.reason.as_deref().unwrap_or("")
    );
    if let Some(e) = &r.event {
        println!("  event {}: {e}", r.first_bad_event.unwrap_or_default());
    }
}

fn print_export(r: &AuditExportReport) {
    println!(
        "Exported {} to {}: {} documents, {} journal versions, {} decisions, {} GL receipts, {} \
         audit events; {} files in MANIFEST (check with `sha256sum -c MANIFEST` there).",
        r.period, r.dir, r.documents, r.journals, r.approvals, r.receipts, r.audit_events, r.files
    );
}

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[arg(value_name = "DOC")]
    pub document: String,
    #[arg(long)]
    pub json: bool,
}

fn print_replay(r: &ReplayView) {
    println!(
        "{}: suggestions of {} replayed with the rule packs then ({}) and the model then ({}).",
        r.document_id,
        r.suggested_at,
        if r.rule_packs_then.is_empty() {
            "none".to_owned()
        } else {
            r.rule_packs_then.join(", ")
        },
        r.model_then.as_deref().unwrap_or("none")
    );
    for f in &r.fields {
        let replayed = match (&f.replayed, f.status.as_str()) {
            (Some(v), "different") => format!("different: now {v}"),
            _ => f.status.clone(),
        };
        println!(
            "  line {} {:<24} {:<6} {:<14} {:>5}  {replayed}",
            f.line, f.field, f.source, f.value, f.confidence
        );
    }
    println!(
        "{}",
        if r.same {
            "Re-derived: the same result."
        } else {
            "Re-derived: a DIFFERENT result (see above)."
        }
    );
    for n in &r.notes {
        println!("  note: {n}");
    }
    if r.changes.is_empty() {
        println!(
            "Today's rules ({}) and model would change nothing.",
            r.rule_packs_now.join(", ")
        );
    } else {
        println!(
            "Today's rules ({}) and model would change:",
            r.rule_packs_now.join(", ")
        );
        for c in &r.changes {
            println!(
                "  line {} {}: {} ({}) -> {} ({})",
                c.line,
                c.field,
                c.then_value,
                c.then_source,
                c.today_value.as_deref().unwrap_or("(nothing)"),
                c.today_source.as_deref().unwrap_or("-")
            );
        }
    }
}

pub fn replay(dir: &Path, args: ReplayArgs) -> Result<ExitCode, AppError> {
    let view = crate::open(dir)?.replay(&args.document)?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&view).unwrap_or_default()
        );
    } else {
        print_replay(&view);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn run(dir: &Path, args: AuditArgs) -> Result<ExitCode, AppError> {
    let workspace = crate::open(dir)?;
    match args.command {
        AuditCommand::Verify { head, json } => {
            let report = workspace.verify_audit(head.as_deref())?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print_verify(&report);
            }
            Ok(if report.ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        AuditCommand::Export { period, dir, json } => {
            let report = workspace.audit_export(&period, &dir)?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report).unwrap_or_default()
                );
            } else {
                print_export(&report);
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}
