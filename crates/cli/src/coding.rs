//! The coding commands: `rules test|diff|save|list`, `explain`, `code`, `forget-vendor`,
//! `exceptions`, `history import`. Parsing and printing only; every decision is `folio_app`'s.

use crate::output::clip;
use clap::{Args, Subcommand};
use folio_app::{
    AppError, CodeLineRequest, ExplainView, ProposalView, RulePackInfo, RulesDiffReport, Workspace,
};
use folio_coding::suggest::Explanation;
use serde::Serialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum CodingCommand {
    /// Rule packs: run their tests, show what edits would change, put them in use.
    Rules(RulesArgs),
    /// Show how a document is coded and why (rule, model, person or fallback per field).
    Explain {
        #[arg(value_name = "DOC")]
        id: String,
        #[arg(long)]
        json: bool,
    },
    /// Record a person's coding of one line; it wins over rules and the model from now on.
    Code(CodeArgs),
    /// Drop what the coding suggester learned from a vendor (code, VAT id or name).
    ForgetVendor {
        #[arg(value_name = "VENDOR")]
        vendor: String,
        #[arg(long)]
        json: bool,
    },
    /// List the open documents' exceptions, grouped by reason, with what would clear each.
    Exceptions {
        #[arg(long)]
        json: bool,
    },
    /// Coded history the suggester learns from.
    History(HistoryArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    what: RulesWhat,
}

#[derive(Debug, Subcommand)]
enum RulesWhat {
    /// Run the tests of the packs in DIR (a pack folder, or a folder of packs; default: rules).
    Test {
        #[arg(value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Which documents the packs in DIR would code differently from the packs in use.
    Diff {
        #[arg(value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// Put the packs in DIR in use and re-code the open documents.
    Save {
        #[arg(value_name = "DIR", default_value = "rules")]
        dir: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// The packs in use.
    List {
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Args)]
pub struct CodeArgs {
    #[arg(value_name = "DOC")]
    id: String,
    /// The line (1-based, as `folio show` numbers them).
    #[arg(long, value_name = "N")]
    line: u32,
    #[arg(long, value_name = "ACCOUNT")]
    account: Option<String>,
    /// A dimension value, e.g. cost_centre=CC-200 (repeatable).
    #[arg(long = "dimension", value_name = "DIM=VALUE", value_parser = parse_dimension)]
    dimensions: Vec<(String, String)>,
    #[arg(long, value_name = "CODE")]
    tax_code: Option<String>,
    /// Don't learn from this correction (a one-off).
    #[arg(long)]
    no_learn: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Args)]
pub struct HistoryArgs {
    #[command(subcommand)]
    what: HistoryWhat,
}

#[derive(Debug, Subcommand)]
enum HistoryWhat {
    /// Import past coded lines (CSV: date,supplier,description,amount,account,cost_centre).
    Import {
        #[arg(value_name = "FILE.csv")]
        file: PathBuf,
        /// Import the rows that can be read and skip the others (listed), instead of refusing the
        /// whole file.
        #[arg(long)]
        skip_invalid: bool,
        #[arg(long)]
        json: bool,
    },
}

fn parse_dimension(text: &str) -> Result<(String, String), String> {
    match text.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
            Ok((k.trim().to_owned(), v.trim().to_owned()))
        }
        _ => Err(format!(
            "'{text}' is not DIMENSION=VALUE (e.g. cost_centre=CC-200)"
        )),
    }
}

impl CodingCommand {
    pub fn json(&self) -> bool {
        match self {
            CodingCommand::Rules(RulesArgs { what }) => match what {
                RulesWhat::Test { json, .. }
                | RulesWhat::Diff { json, .. }
                | RulesWhat::Save { json, .. }
                | RulesWhat::List { json } => *json,
            },
            CodingCommand::Explain { json, .. }
            | CodingCommand::ForgetVendor { json, .. }
            | CodingCommand::Exceptions { json } => *json,
            CodingCommand::Code(args) => args.json,
            CodingCommand::History(HistoryArgs {
                what: HistoryWhat::Import { json, .. },
            }) => *json,
        }
    }
}

fn print_json<T: Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not write JSON: {e}"),
    }
}

fn open(dir: &Path) -> Result<Workspace, AppError> {
    crate::open(dir)
}

/// Runs a coding command on the workspace in `dir` (`rules test` needs none).
pub fn run(command: CodingCommand, dir: &Path) -> Result<ExitCode, AppError> {
    let json = command.json();
    match command {
        CodingCommand::Rules(RulesArgs { what }) => match what {
            RulesWhat::Test { dir: rules, .. } => {
                let report = folio_app::rules::test_packs(&rules)?;
                if json {
                    print_json(&report);
                } else {
                    for pack in &report.packs {
                        println!(
                            "Pack {} ({}): {} case(s), {} passed",
                            describe_pack(&pack.pack),
                            pack.pack.origin,
                            pack.cases,
                            pack.passed
                        );
                        for f in &pack.failures {
                            let line = f.line.map(|l| format!(" line {l}")).unwrap_or_default();
                            let case = if f.case.is_empty() {
                                String::new()
                            } else {
                                format!(" case \"{}\"", f.case)
                            };
                            println!(
                                "  FAILED {}{case}{line} {}: expected {}, got {}",
                                f.file, f.field, f.expected, f.actual
                            );
                        }
                    }
                    let failures: usize = report.packs.iter().map(|p| p.failures.len()).sum();
                    if report.passed {
                        println!("All rule tests passed.");
                    } else {
                        println!("{failures} expectation(s) failed.");
                    }
                }
                Ok(if report.passed {
                    ExitCode::SUCCESS
                } else {
                    ExitCode::from(1)
                })
            }
            RulesWhat::Diff { dir: rules, .. } => {
                let report = open(dir)?.rules_diff(&rules)?;
                print_diff(&report, json);
                Ok(ExitCode::SUCCESS)
            }
            RulesWhat::Save { dir: rules, .. } => {
                let report = open(dir)?.save_rules(&rules)?;
                print_diff(&report, json);
                Ok(ExitCode::SUCCESS)
            }
            RulesWhat::List { .. } => {
                let packs = open(dir)?.rules_in_use()?;
                if json {
                    print_json(&packs);
                } else if packs.is_empty() {
                    println!("No rule packs are in use (folio rules save DIR puts some in use).");
                } else {
                    for p in &packs {
                        println!("{}  {}", describe_pack(p), p.origin);
                    }
                }
                Ok(ExitCode::SUCCESS)
            }
        },
        CodingCommand::Explain { id, .. } => {
            let view = open(dir)?.explain(&id)?;
            if json {
                print_json(&view);
            } else {
                print_explain(&view, None);
            }
            Ok(ExitCode::SUCCESS)
        }
        CodingCommand::Code(args) => {
            let request = CodeLineRequest {
                document_id: args.id,
                line: args.line,
                account: args.account,
                dimensions: args.dimensions.into_iter().collect::<BTreeMap<_, _>>(),
                tax_code: args.tax_code,
                learn: !args.no_learn,
            };
            let report = open(dir)?.code_line(&request)?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "Recorded line {} of {}{}.",
                    request.line,
                    report.explanation.document_id,
                    if request.learn {
                        ""
                    } else {
                        " (not to be learned from)"
                    }
                );
                print_explain(&report.explanation, Some(request.line));
                if report.journal_rebuilt {
                    println!("The journal draft was rebuilt with it.");
                } else {
                    println!("The journal draft could not be rebuilt yet:");
                    for p in &report.journal_problems {
                        println!("  - {p}");
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        CodingCommand::ForgetVendor { vendor, .. } => {
            let report = open(dir)?.forget_vendor(&vendor)?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "Forgot {}: {} history line(s) deleted, {} approved line(s) no longer learned \
                     from; {} open document(s) re-coded.",
                    report.vendor,
                    report.history_lines_deleted,
                    report.approved_lines_skipped,
                    report.documents_recoded
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CodingCommand::Exceptions { .. } => {
            let report = open(dir)?.exceptions()?;
            if json {
                print_json(&report);
            } else {
                for group in &report.groups {
                    println!("{} ({})", group.label, group.count);
                    for e in &group.exceptions {
                        println!(
                            "  {:<8} {:<18} {}",
                            e.document_id,
                            clip(&e.number, 18),
                            e.message
                        );
                        println!("  {:<8} {:<18} → {}", "", "", e.clear);
                    }
                }
                println!(
                    "{} exception(s) in {} open document(s).",
                    report.total, report.documents_checked
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        CodingCommand::History(HistoryArgs {
            what: HistoryWhat::Import {
                file, skip_invalid, ..
            },
        }) => {
            let report = open(dir)?.import_history_with(
                &file,
                folio_app::history::HistoryImportOptions { skip_invalid },
            )?;
            if json {
                print_json(&report);
            } else {
                println!(
                    "Imported {} history row(s) from {} (sha256 {}). The suggester learns from \
                     {} line(s) now ({}); {} open document(s) re-coded.",
                    report.rows,
                    report.file,
                    &report.sha256[..12],
                    report.model_lines,
                    report.model_version,
                    report.documents_recoded
                );
                if report.skipped_rows > 0 {
                    println!("Skipped {} row(s):", report.skipped_rows);
                    for p in &report.skipped {
                        println!("  - {}", p.message);
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn describe_pack(p: &RulePackInfo) -> String {
    format!(
        "{} {}+{} ({} rules)",
        p.id,
        p.version,
        p.content_hash.get(..12).unwrap_or_default(),
        p.rules
    )
}

/// Why a proposal was made, in one line.
fn why(p: &ProposalView) -> String {
    match &p.explanation {
        Explanation::Rule { rule } => format!(
            "{}/{} (pack {}, {} stage){}",
            rule.pack,
            rule.rule,
            rule.pack_version,
            rule.stage.as_str(),
            rule.description
                .as_deref()
                .map(|d| format!(": {d}"))
                .unwrap_or_default()
        ),
        Explanation::Model {
            model_version,
            features,
            similar,
            alternatives,
        } => {
            let mut text = model_version.clone();
            if !features.is_empty() {
                let parts: Vec<String> = features
                    .iter()
                    .map(|f| format!("{} ({})", f.feature, f.weight))
                    .collect();
                text.push_str(&format!("; strongest: {}", parts.join(", ")));
            }
            if !similar.is_empty() {
                let parts: Vec<String> = similar
                    .iter()
                    .map(|s| {
                        format!(
                            "{} \"{}\" → {}/{} on {}",
                            s.reference, s.description, s.account, s.cost_centre, s.date
                        )
                    })
                    .collect();
                text.push_str(&format!("; like {}", parts.join(", ")));
            }
            if !alternatives.is_empty() {
                let parts: Vec<String> = alternatives
                    .iter()
                    .map(|a| format!("{} {}", a.value, a.confidence))
                    .collect();
                text.push_str(&format!("; else {}", parts.join(", ")));
            }
            text
        }
        Explanation::Person { by, at, learn } => format!(
            "by {by} at {at}{}",
            if *learn {
                ""
            } else {
                ", not to be learned from"
            }
        ),
        Explanation::Fixed { reason } => reason.clone(),
    }
}

fn print_explain(view: &ExplainView, only_line: Option<u32>) {
    println!(
        "{} {} {}",
        view.document_id, view.number, view.supplier_name
    );
    let packs: Vec<String> = view.rule_packs.iter().map(describe_pack).collect();
    println!(
        "Rule packs: {}. Model: {}.",
        if packs.is_empty() {
            "none".to_owned()
        } else {
            packs.join(", ")
        },
        view.model_version
            .as_deref()
            .unwrap_or("none (no approved history yet)")
    );
    for line in view
        .lines
        .iter()
        .filter(|l| only_line.is_none_or(|n| n == l.line))
    {
        println!();
        println!("Line {}  {}  {}", line.line, line.description, line.amount);
        for f in &line.fields {
            for (i, p) in f.proposals.iter().enumerate() {
                let (label, value) = if i == 0 {
                    (f.field.as_str(), p.value.clone())
                } else {
                    ("", format!("({})", p.value))
                };
                println!(
                    "  {:<22} {:<14} {:<6} {:<5} {}",
                    label,
                    clip(&value, 14),
                    p.source.as_str(),
                    p.confidence,
                    why(p)
                );
            }
        }
    }
    if !view.problems.is_empty() {
        println!();
        for p in &view.problems {
            println!("  - {p}");
        }
    }
}

fn print_diff(report: &RulesDiffReport, json: bool) {
    if json {
        return print_json(report);
    }
    let packs = |list: &[RulePackInfo]| {
        if list.is_empty() {
            "none".to_owned()
        } else {
            list.iter()
                .map(describe_pack)
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    if report.saved {
        println!("Now in use: {}.", packs(&report.in_use));
    } else {
        println!(
            "In use: {}. Edited: {}.",
            packs(&report.in_use),
            packs(&report.edited)
        );
    }
    for d in &report.documents {
        println!();
        println!("{} {} {}", d.document_id, d.number, d.supplier_name);
        for c in &d.changes {
            let side = |v: &Option<String>, s: &Option<folio_coding::suggest::Source>| match (v, s)
            {
                (Some(v), Some(s)) => format!("{v} ({})", s.as_str()),
                _ => "(not set)".to_owned(),
            };
            println!(
                "  line {} {}: {} → {}{}",
                c.line,
                c.field,
                side(&c.before, &c.before_source),
                side(&c.after, &c.after_source),
                c.after_rule
                    .as_deref()
                    .map(|r| format!(" by {r}"))
                    .unwrap_or_default()
            );
        }
    }
    println!();
    println!(
        "{} of {} open document(s) {} coded differently ({} line(s)); {} document(s) with an \
         approved journal left out.",
        report.documents.len(),
        report.documents_checked,
        if report.saved { "are now" } else { "would be" },
        report.lines_changed,
        report.documents_frozen
    );
}
