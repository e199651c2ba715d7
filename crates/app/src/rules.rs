//! Rule packs as a use case: reading packs from folders, running their tests, showing what edited
//! rules would change in the workspace (the blast radius) before they are saved, and saving them.
//!
//! A pack is a folder: `pack.toml` (the rules), `tests/*.toml` (cases with the coding they must
//! get) and whatever sample invoices the tests name. A folder given to `folio rules …` is either
//! one pack or holds packs in its subfolders (`rules/` holds `default/`). The coding crate loads
//! and runs packs from text; this module does the file reading and imports the sample invoices.

use crate::coding::{BASE_CURRENCY, Sources};
use crate::coding_dto::{
    CaseFailure, DocumentDiff, FieldChange, PackTestReport, RulePackInfo, RulesDiffReport,
    RulesTestReport,
};
use crate::error::{AppError, ErrorCode};
use crate::exceptions::{AMOUNT_OVER, MIN_CONFIDENCE};
use crate::workspace::{Workspace, count};
use chrono::{Datelike, Months, NaiveDate};
use folio_coding::rules::{
    CaseDocument, RulePack, RuleSet, check_case, content_hash, load_pack, parse_tests,
};
use folio_coding::suggest::{CodedDocument, Explanation, Field, Source};
use folio_domain::{Currency, Document};
use folio_store::{Change, NewRulePack, Store, StoredRate};
use rust_decimal::Decimal;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The demo ledger's rule pack, as shipped in `rules/default/pack.toml`.
pub const DEFAULT_PACK: &str = include_str!("../../../rules/default/pack.toml");

/// Packs larger than this are refused unread.
const MAX_PACK_BYTES: u64 = 4 * 1024 * 1024;

/// A pack read from a folder.
#[derive(Debug, Clone)]
pub struct PackDir {
    pub dir: PathBuf,
    pub text: String,
    pub pack: RulePack,
}

impl PackDir {
    fn info(&self) -> RulePackInfo {
        info(&self.pack, self.dir.display().to_string())
    }
}

fn info(pack: &RulePack, origin: String) -> RulePackInfo {
    RulePackInfo {
        id: pack.id.clone(),
        version: pack.version.clone(),
        content_hash: pack.content_hash.clone(),
        rules: count(pack.rules.len()),
        origin,
    }
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

fn read_text(path: &Path) -> Result<String, AppError> {
    let io = |e: std::io::Error| AppError::new(ErrorCode::Io, format!("{}: {e}", path.display()));
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > MAX_PACK_BYTES {
        return Err(invalid(format!(
            "{}: {size} bytes is more than a rule file may have ({MAX_PACK_BYTES})",
            path.display()
        )));
    }
    std::fs::read_to_string(path).map_err(io)
}

/// The packs in `dir`: `dir` itself when it has a `pack.toml`, else each subfolder that has one.
pub fn read_packs(dir: &Path) -> Result<Vec<PackDir>, AppError> {
    let dirs: Vec<PathBuf> = if dir.join("pack.toml").is_file() {
        vec![dir.to_path_buf()]
    } else {
        let entries = std::fs::read_dir(dir)
            .map_err(|e| AppError::new(ErrorCode::Io, format!("{}: {e}", dir.display())))?;
        let mut dirs: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.join("pack.toml").is_file())
            .collect();
        dirs.sort();
        dirs
    };
    if dirs.is_empty() {
        return Err(invalid(format!(
            "{} holds no rule pack (a pack is a folder with a pack.toml)",
            dir.display()
        )));
    }
    dirs.into_iter()
        .map(|dir| {
            let file = dir.join("pack.toml");
            let text = read_text(&file)?;
            let pack = load_pack(&file.display().to_string(), &text).map_err(|e| {
                invalid(format!("{} is not a valid rule pack", file.display()))
                    .with_problems(e.problems)
            })?;
            Ok(PackDir { dir, text, pack })
        })
        .collect()
}

fn rule_set(packs: &[PackDir]) -> Result<RuleSet, AppError> {
    RuleSet::new(packs.iter().map(|p| p.pack.clone()).collect()).map_err(|e| invalid(e.to_string()))
}

/// Runs the tests of every pack in `dir` (each pack on its own). Needs no workspace.
pub fn test_packs(dir: &Path) -> Result<RulesTestReport, AppError> {
    let packs = read_packs(dir)?;
    let mut reports = Vec::new();
    for pack in &packs {
        reports.push(test_pack(pack)?);
    }
    Ok(RulesTestReport {
        passed: reports.iter().all(|r| r.failures.is_empty()),
        packs: reports,
    })
}

fn test_pack(pack: &PackDir) -> Result<PackTestReport, AppError> {
    let rules = RuleSet::new(vec![pack.pack.clone()]).map_err(|e| invalid(e.to_string()))?;
    let tests_dir = pack.dir.join("tests");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(&tests_dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "toml"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut report = PackTestReport {
        pack: pack.info(),
        cases: 0,
        passed: 0,
        failures: Vec::new(),
    };
    for file in &files {
        let shown = file.display().to_string();
        let failure =
            |case: &str, line: Option<u32>, field: &str, expected: &str, actual: String| {
                CaseFailure {
                    file: shown.clone(),
                    case: case.to_owned(),
                    line,
                    field: field.to_owned(),
                    expected: expected.to_owned(),
                    actual,
                }
            };
        let cases = match parse_tests(&shown, &read_text(file)?) {
            Ok(cases) => cases,
            Err(e) => {
                report.cases += 1;
                report.failures.push(failure(
                    "",
                    None,
                    "file",
                    "a valid test file",
                    e.to_string(),
                ));
                continue;
            }
        };
        for case in cases {
            report.cases += 1;
            let document = match sample(pack, &case.document) {
                Ok(d) => d,
                Err(reason) => {
                    report.failures.push(failure(
                        &case.name,
                        None,
                        "document",
                        "a sample invoice",
                        reason,
                    ));
                    continue;
                }
            };
            let mismatches = check_case(&rules, &document, &case.expect);
            if mismatches.is_empty() {
                report.passed += 1;
            }
            report.failures.extend(
                mismatches
                    .into_iter()
                    .map(|m| failure(&case.name, Some(m.line), &m.field, &m.expected, m.actual)),
            );
        }
    }
    if report.cases == 0 {
        report.failures.push(CaseFailure {
            file: tests_dir.display().to_string(),
            case: String::new(),
            line: None,
            field: "tests".to_owned(),
            expected: "at least one test case (tests/*.toml)".to_owned(),
            actual: "none".to_owned(),
        });
    }
    Ok(report)
}

/// A case's document: described inline, or a sample file of the pack imported like any invoice.
fn sample(pack: &PackDir, document: &CaseDocument) -> Result<Document, String> {
    match document {
        CaseDocument::Inline(d) => Ok((**d).clone()),
        CaseDocument::File(relative) => {
            let path = pack.dir.join(relative);
            let bytes = std::fs::read(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            folio_import::import_bytes(&bytes)
                .map(|i| i.document)
                .map_err(|r| format!("{} was rejected: {}", path.display(), r.reason))
        }
    }
}

/// A value used: line, field, value, source and, for a rule, which one (`pack/rule`).
type Chosen = (u32, Field, String, Source, Option<String>);

/// The value used for each field of each line.
fn chosen(coded: &CodedDocument) -> Vec<Chosen> {
    let mut out = Vec::new();
    for line in &coded.lines {
        for f in &line.fields {
            if let Some(p) = f.chosen() {
                let rule = match &p.explanation {
                    Explanation::Rule { rule } => Some(format!("{}/{}", rule.pack, rule.rule)),
                    _ => None,
                };
                out.push((
                    line.line_no,
                    f.field.clone(),
                    p.value.clone(),
                    p.source,
                    rule,
                ));
            }
        }
    }
    out
}

fn diff_document(before: &CodedDocument, after: &CodedDocument) -> Vec<FieldChange> {
    let before = chosen(before);
    let after = chosen(after);
    let keys: BTreeSet<(u32, Field)> = before
        .iter()
        .chain(&after)
        .map(|(l, f, ..)| (*l, f.clone()))
        .collect();
    let find = |list: &[Chosen], key: &(u32, Field)| {
        list.iter()
            .find(|(l, f, ..)| *l == key.0 && *f == key.1)
            .cloned()
    };
    keys.into_iter()
        .filter_map(|key| {
            let b = find(&before, &key);
            let a = find(&after, &key);
            if b.as_ref().map(|x| &x.2) == a.as_ref().map(|x| &x.2) {
                return None;
            }
            Some(FieldChange {
                line: key.0,
                field: key.1.key(),
                before: b.as_ref().map(|x| x.2.clone()),
                before_source: b.as_ref().map(|x| x.3),
                after: a.as_ref().map(|x| x.2.clone()),
                after_source: a.as_ref().map(|x| x.3),
                after_rule: a.and_then(|x| x.4),
            })
        })
        .collect()
}

impl Workspace {
    /// Which documents of the workspace the packs in `dir` would code differently from the packs
    /// in use, field by field — persons' values and the model included, so a change that a
    /// person's correction hides is not shown. Documents with an approved journal cannot change
    /// and are only counted.
    pub fn rules_diff(&self, dir: &Path) -> Result<RulesDiffReport, AppError> {
        let packs = read_packs(dir)?;
        let edited = self.sources(rule_set(&packs)?)?;
        let current = self.sources(self.rule_set_in_use()?)?;
        self.diff_with(&current, &edited, &packs)
    }

    fn diff_with(
        &self,
        current: &Sources,
        edited: &Sources,
        packs: &[PackDir],
    ) -> Result<RulesDiffReport, AppError> {
        let mut report = RulesDiffReport {
            in_use: self.rules_in_use()?,
            edited: packs.iter().map(PackDir::info).collect(),
            documents_checked: 0,
            documents_frozen: 0,
            lines_changed: 0,
            documents: Vec::new(),
            saved: false,
        };
        let mut rows = self.store.list_documents()?;
        rows.sort_by_key(|r| r.id);
        for row in rows {
            if row.journal_status.is_some_and(|s| s.is_immutable()) {
                report.documents_frozen += 1;
                continue;
            }
            report.documents_checked += 1;
            let Some(stored) = self.store.get_document(row.id)? else {
                continue;
            };
            let before = self.code(current, &stored)?;
            let after = self.code(edited, &stored)?;
            let changes = diff_document(&before.coded, &after.coded);
            if changes.is_empty() {
                continue;
            }
            let lines: BTreeSet<u32> = changes.iter().map(|c| c.line).collect();
            report.lines_changed += count(lines.len());
            report.documents.push(DocumentDiff {
                document_id: row.id.to_string(),
                number: row.number.clone(),
                supplier_name: row.supplier_name.clone(),
                changes,
            });
        }
        Ok(report)
    }

    /// Puts the packs in `dir` in use (one audited change) and re-codes every open document
    /// with them; returns what changed, as `rules_diff` showed it.
    pub fn save_rules(&mut self, dir: &Path) -> Result<RulesDiffReport, AppError> {
        self.require(crate::access::Permission::ManageRules)?;
        let packs = read_packs(dir)?;
        let edited = self.sources(rule_set(&packs)?)?;
        let current = self.sources(self.rule_set_in_use()?)?;
        let mut report = self.diff_with(&current, &edited, &packs)?;
        let new: Vec<NewRulePack> = packs.iter().map(|p| new_pack(&p.pack, &p.text)).collect();
        self.store.save_rule_packs(&new, &self.context.change())?;
        self.recode_open_documents()?;
        report.saved = true;
        report.in_use = self.rules_in_use()?;
        Ok(report)
    }
}

fn new_pack(pack: &RulePack, text: &str) -> NewRulePack {
    NewRulePack {
        pack_id: pack.id.clone(),
        version: pack.version.clone(),
        content_hash: content_hash(text),
        source_text: text.to_owned(),
    }
}

/// The demo ledger's coding setup: the default rule pack, EUR as base currency, the exception
/// thresholds and a rate table for the demo's foreign currencies, valid from the first day of
/// the month four months before `today` (so every demo invoice has a rate).
pub(crate) fn install_demo_coding(
    store: &mut Store,
    change: &Change,
    today: NaiveDate,
) -> Result<(), AppError> {
    let pack = load_pack("rules/default/pack.toml", DEFAULT_PACK)
        .map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))?;
    store.save_rule_packs(&[new_pack(&pack, DEFAULT_PACK)], change)?;
    store.save_settings(
        &[
            (BASE_CURRENCY, "EUR"),
            (AMOUNT_OVER, "10000.00"),
            (MIN_CONFIDENCE, "0.80"),
        ],
        change,
    )?;
    let valid_from = today
        .checked_sub_months(Months::new(4))
        .and_then(|d| d.with_day(1))
        .unwrap_or(today);
    let eur = currency("EUR")?;
    let rates = [
        ("GBP", Decimal::new(11650, 4)),
        ("USD", Decimal::new(9210, 4)),
        ("SEK", Decimal::new(875, 4)),
        ("CHF", Decimal::new(10640, 4)),
        ("JPY", Decimal::new(612, 5)),
    ]
    .into_iter()
    .map(|(code, rate)| {
        Ok(StoredRate {
            from: currency(code)?,
            to: eur,
            valid_from,
            rate,
        })
    })
    .collect::<Result<Vec<_>, AppError>>()?;
    store.save_exchange_rates(&rates, change)?;
    Ok(())
}

fn currency(code: &str) -> Result<Currency, AppError> {
    Currency::parse(code).map_err(|e| AppError::new(ErrorCode::Storage, e.to_string()))
}
