//! Exceptions: the documents and lines a person has to look at before a journal is approved, each
//! with its reason and what would clear it.
//!
//! Most lines should pass without a second look; the exceptions are what does not: a value Folio
//! is unsure of (below the field's confidence threshold), a required dimension nobody set, an
//! account or code that cannot be posted to, a date in a closed period, a possible duplicate, an
//! invoice that breaks the EN 16931 rules, a supplier the GL does not know, bank details that
//! differ from the vendor's or from its earlier invoices (the classic payment-fraud signal), and
//! amounts above the workspace's threshold, and journals the GL rejected (with the GL's reason,
//! kept in the outbox). Only documents whose journal is not approved yet are
//! looked at; the coding is computed fresh (nothing is written).

use crate::coding::{Coded, decimal_setting, supplier_label};
use crate::coding_dto::{ExceptionGroup, ExceptionReason, ExceptionView, ExceptionsReport};
use crate::error::AppError;
use crate::workspace::{Workspace, count};
use folio_coding::exchange_rate;
use folio_coding::suggest::{Explanation, Field};
use folio_domain::Severity;
use folio_domain::format::format_money;
use folio_store::{MasterData, StoredDocument, normalise_supplier};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// Setting: the confidence below which a value is an exception, for every field; a field's own
/// threshold is `coding.min_confidence.<field>` (`…account`, `…dimension:cost_centre`, `…tax_code`).
pub const MIN_CONFIDENCE: &str = "coding.min_confidence";
/// Setting: documents whose amount due, in the base currency, is above this are exceptions.
pub const AMOUNT_OVER: &str = "exceptions.amount_over";
/// The confidence threshold when no setting gives one.
pub const DEFAULT_MIN_CONFIDENCE: Decimal = Decimal::from_parts(80, 0, 0, false, 2);

fn iban_key(iban: &str) -> String {
    iban.chars()
        .filter(char::is_ascii_alphanumeric)
        .collect::<String>()
        .to_ascii_uppercase()
}

/// How `folio code` sets a field, for "what would clear it".
fn code_option(field: &Field) -> String {
    match field {
        Field::Account => "--account CODE".to_owned(),
        Field::Dimension(d) => format!("--dimension {d}=CODE"),
        Field::TaxCode => "--tax-code CODE".to_owned(),
        Field::Split => "--account CODE".to_owned(),
    }
}

fn field_name(field: &Field) -> String {
    match field {
        Field::Account => "account".to_owned(),
        Field::Dimension(d) => d.clone(),
        Field::TaxCode => "tax code".to_owned(),
        Field::Split => "split".to_owned(),
    }
}

struct Collector<'a> {
    stored: &'a StoredDocument,
    found: Vec<(ExceptionReason, ExceptionView)>,
}

impl Collector<'_> {
    fn add(
        &mut self,
        reason: ExceptionReason,
        line: Option<u32>,
        field: Option<&Field>,
        message: String,
        clear: String,
    ) {
        self.found.push((
            reason,
            ExceptionView {
                document_id: self.stored.row.id.to_string(),
                number: self.stored.row.number.clone(),
                supplier_name: self.stored.row.supplier_name.clone(),
                line,
                field: field.map(Field::key),
                message,
                clear,
            },
        ));
    }
}

impl Workspace {
    /// Every exception of the documents whose journal is not approved yet, grouped by reason.
    pub fn exceptions(&self) -> Result<ExceptionsReport, AppError> {
        let sources = self.sources(self.rule_set_in_use()?)?;
        let amount_over = decimal_setting(&self.store, AMOUNT_OVER, None)?;
        let mut thresholds: BTreeMap<String, Decimal> = BTreeMap::new();
        let default_threshold =
            decimal_setting(&self.store, MIN_CONFIDENCE, Some(DEFAULT_MIN_CONFIDENCE))?
                .unwrap_or(DEFAULT_MIN_CONFIDENCE);
        let mut rows = self.store.list_documents()?;
        rows.sort_by_key(|r| r.id);
        // IBANs seen on earlier documents, by supplier.
        let mut ibans: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        let mut found = Vec::new();
        let mut checked = 0u32;
        // Journals the GL rejected, with its reason (the outbox keeps it).
        let gl_rejected: BTreeMap<i64, folio_store::OutboxEntry> = self
            .store
            .outbox()?
            .into_iter()
            .filter(|e| e.state == folio_store::OutboxState::Rejected)
            .map(|e| (e.journal.0, e))
            .collect();
        for row in rows {
            let Some(stored) = self.store.get_document(row.id)? else {
                continue;
            };
            let supplier = normalise_supplier(
                &stored.document.supplier.name,
                stored.document.supplier.vat_id.as_deref(),
            );
            let iban = stored
                .document
                .payment
                .iban
                .as_deref()
                .map(iban_key)
                .filter(|i| !i.is_empty());
            let earlier = ibans.entry(supplier).or_default();
            if !row.journal_status.is_some_and(|s| s.is_immutable()) {
                checked += 1;
                let coded = self.code(&sources, &stored)?;
                let mut c = Collector {
                    stored: &stored,
                    found: Vec::new(),
                };
                if row.journal_status == Some(folio_domain::JournalStatus::Rejected)
                    && let Some(journal) = self.store.journal_for_document(row.id)?
                    && let Some(entry) = gl_rejected.get(&journal.id.0)
                {
                    c.add(
                        ExceptionReason::GlRejected,
                        None,
                        None,
                        format!(
                            "the GL rejected {} ({}): {}",
                            journal.id,
                            entry.reference,
                            entry.last_error.as_deref().unwrap_or("no reason given")
                        ),
                        "correct the journal (that starts its next version) and approve it \
                         again; it is sent under a new reference"
                            .to_owned(),
                    );
                }
                for line in &coded.coded.lines {
                    for f in &line.fields {
                        if matches!(f.field, Field::Split) {
                            continue;
                        }
                        let key = f.field.key();
                        let threshold = match thresholds.get(&key) {
                            Some(t) => *t,
                            None => {
                                let t = decimal_setting(
                                    &self.store,
                                    &format!("{MIN_CONFIDENCE}.{key}"),
                                    Some(default_threshold),
                                )?
                                .unwrap_or(default_threshold);
                                thresholds.insert(key.clone(), t);
                                t
                            }
                        };
                        if let Some(p) = f.chosen()
                            && p.confidence < threshold
                        {
                            let why = match &p.explanation {
                                Explanation::Fixed { reason } => format!(" ({reason})"),
                                Explanation::Model { model_version, .. } => {
                                    format!(" (suggested by {model_version})")
                                }
                                _ => String::new(),
                            };
                            c.add(
                                ExceptionReason::LowConfidence,
                                Some(line.line_no),
                                Some(&f.field),
                                format!(
                                    "line {} {} {} from {}{why} has confidence {}, below {}",
                                    line.line_no,
                                    field_name(&f.field),
                                    p.value,
                                    p.source.as_str(),
                                    p.confidence.normalize(),
                                    threshold.normalize()
                                ),
                                format!(
                                    "confirm or correct it: folio code {} --line {} {}",
                                    row.id,
                                    line.line_no,
                                    code_option(&f.field)
                                ),
                            );
                        }
                    }
                }
                check_codes(&mut c, &coded, &sources.master);
                check_document(&mut c, &coded, &sources.master);
                if let Some(threshold) = amount_over {
                    let document = &stored.document;
                    let (in_base, note) = match sources.base_currency {
                        Some(base) if base != document.currency => {
                            match exchange_rate(document, base, &sources.rates) {
                                Some(rate) => (
                                    Some((document.totals.payable * rate.rate, base)),
                                    format!(" ({})", rate.text()),
                                ),
                                None => (None, format!(" (no rate to {base}; compared as it is)")),
                            }
                        }
                        Some(base) => (Some((document.totals.payable, base)), String::new()),
                        None => (None, String::new()),
                    };
                    let (amount, currency) =
                        in_base.unwrap_or((document.totals.payable, document.currency));
                    let limit_currency = sources.base_currency.unwrap_or(document.currency);
                    if amount.abs() > threshold {
                        let converted = if currency == document.currency {
                            String::new()
                        } else {
                            format!(
                                " = {}",
                                format_money(amount.round_dp(currency.minor_units()), currency)
                            )
                        };
                        c.add(
                            ExceptionReason::AmountOverThreshold,
                            None,
                            None,
                            format!(
                                "the amount due {}{converted}{note} is over {}",
                                format_money(document.totals.payable, document.currency),
                                format_money(threshold, limit_currency)
                            ),
                            format!(
                                "a second approver signs off amounts over {}",
                                format_money(threshold, limit_currency)
                            ),
                        );
                    }
                }
                if let Some(iban) = &iban {
                    let vendor_iban = coded.fixed.vendor.as_ref().and_then(|code| {
                        sources
                            .fixed
                            .vendors
                            .iter()
                            .find(|v| &v.code == code)
                            .and_then(|v| v.iban.as_deref().map(|i| (v, iban_key(i))))
                    });
                    let clear = "confirm the bank account with the vendor through a contact you \
                                 already know (not the invoice), then update the vendor's bank \
                                 details in the GL"
                        .to_owned();
                    if let Some((vendor, known)) = vendor_iban.filter(|(_, k)| k != iban) {
                        c.add(
                            ExceptionReason::BankDetailsChanged,
                            None,
                            None,
                            format!(
                                "the invoice asks for payment to {iban}, but vendor {} ({}) has \
                                 {known} in the master data",
                                vendor.code, vendor.name
                            ),
                            clear.clone(),
                        );
                    } else if let Some((doc, other)) = earlier.iter().rev().find(|(_, i)| i != iban)
                    {
                        c.add(
                            ExceptionReason::BankDetailsChanged,
                            None,
                            None,
                            format!(
                                "the invoice asks for payment to {iban}, but {doc} of the same \
                                 supplier was paid to {other}"
                            ),
                            clear,
                        );
                    }
                }
                found.extend(c.found);
            }
            if let Some(iban) = iban {
                earlier.push((row.id.to_string(), iban));
            }
        }
        let mut groups: BTreeMap<ExceptionReason, Vec<ExceptionView>> = BTreeMap::new();
        for (reason, view) in found {
            groups.entry(reason).or_default().push(view);
        }
        let total = groups.values().map(Vec::len).sum();
        Ok(ExceptionsReport {
            documents_checked: checked,
            total: count(total),
            groups: groups
                .into_iter()
                .map(|(reason, exceptions)| ExceptionGroup {
                    reason,
                    label: reason.label().to_owned(),
                    count: count(exceptions.len()),
                    exceptions,
                })
                .collect(),
        })
    }
}

/// Accounts, dimension values and tax codes that cannot be posted to; required dimensions unset.
fn check_codes(c: &mut Collector<'_>, coded: &Coded, master: &MasterData) {
    let id = c.stored.row.id;
    for line in &coded.coded.lines {
        let n = line.line_no;
        let by_rule = |field: &Field| {
            line.field(field)
                .and_then(|f| f.chosen())
                .and_then(|p| match &p.explanation {
                    Explanation::Rule { rule } => Some(format!(
                        " (or correct rule {}/{} that sets it)",
                        rule.pack, rule.rule
                    )),
                    _ => None,
                })
                .unwrap_or_default()
        };
        if let Some(code) = line.value(&Field::Account)
            && !master.accounts.is_empty()
        {
            let problem = match master.accounts.iter().find(|a| a.code == code) {
                None => Some(format!("account {code} is not in the chart of accounts")),
                Some(a) if !a.active => Some(format!("account {code} ({}) is inactive", a.name)),
                Some(a) if !a.postable => Some(format!(
                    "account {code} ({}) does not take postings",
                    a.name
                )),
                Some(_) => None,
            };
            if let Some(problem) = problem {
                c.add(
                    ExceptionReason::NotPostable,
                    Some(n),
                    Some(&Field::Account),
                    format!("line {n}: {problem}"),
                    format!(
                        "choose a postable, active account: folio code {id} --line {n} --account \
                         CODE{}",
                        by_rule(&Field::Account)
                    ),
                );
            }
        }
        for f in &line.fields {
            if let Field::Dimension(code) = &f.field
                && !master.dimensions.is_empty()
                && !master.dimensions.iter().any(|d| &d.code == code)
            {
                c.add(
                    ExceptionReason::NotPostable,
                    Some(n),
                    Some(&f.field),
                    format!("line {n}: there is no dimension '{code}' in the master data"),
                    format!("create the dimension in the GL{}", by_rule(&f.field)),
                );
            }
        }
        for d in &master.dimensions {
            let field = Field::Dimension(d.code.clone());
            match line.value(&field) {
                None if d.required => c.add(
                    ExceptionReason::MissingDimension,
                    Some(n),
                    Some(&field),
                    format!("line {n} has no {} ({}), which is required", d.name, d.code),
                    format!(
                        "folio code {id} --line {n} --dimension {}=CODE (or a rule that sets it)",
                        d.code
                    ),
                ),
                None => {}
                Some(value) => {
                    let problem = match d.values.iter().find(|v| v.code == value) {
                        None => Some(format!("{} {value} does not exist", d.name)),
                        Some(v) if !v.active => {
                            Some(format!("{} {value} ({}) is inactive", d.name, v.name))
                        }
                        Some(_) => None,
                    };
                    if let Some(problem) = problem {
                        c.add(
                            ExceptionReason::NotPostable,
                            Some(n),
                            Some(&field),
                            format!("line {n}: {problem}"),
                            format!(
                                "choose an active value: folio code {id} --line {n} --dimension \
                                 {}=CODE{}",
                                d.code,
                                by_rule(&field)
                            ),
                        );
                    }
                }
            }
        }
        if let Some(code) = line.value(&Field::TaxCode)
            && !master.tax_codes.is_empty()
            && !master.tax_codes.iter().any(|t| t.code == code)
        {
            c.add(
                ExceptionReason::NotPostable,
                Some(n),
                Some(&Field::TaxCode),
                format!("line {n}: tax code {code} does not exist"),
                format!(
                    "folio code {id} --line {n} --tax-code CODE{}",
                    by_rule(&Field::TaxCode)
                ),
            );
        }
    }
}

/// Closed periods, duplicates, validation errors and unknown vendors.
fn check_document(c: &mut Collector<'_>, coded: &Coded, master: &MasterData) {
    let id = c.stored.row.id;
    let document = &c.stored.document;
    let date = document.issue_date;
    if !master.periods.is_empty() {
        match master.periods.iter().find(|p| p.contains(date)) {
            Some(p) if p.closed => c.add(
                ExceptionReason::ClosedPeriod,
                None,
                None,
                format!(
                    "the journal date {date} falls into period {}, which is closed",
                    p.name
                ),
                format!(
                    "post it in an open period, or have period {} reopened in the GL",
                    p.name
                ),
            ),
            Some(_) => {}
            None => c.add(
                ExceptionReason::ClosedPeriod,
                None,
                None,
                format!("no accounting period covers the journal date {date}"),
                "create the period in the GL and refresh Folio's master data".to_owned(),
            ),
        }
    }
    let problems = &c.stored.problems;
    for p in problems.iter().filter(|p| p.code == "DUPLICATE") {
        let message = p.message.clone();
        c.add(
            ExceptionReason::Duplicate,
            None,
            None,
            message,
            "compare it with the earlier document; if it is the same invoice, reject this one"
                .to_owned(),
        );
    }
    let errors: Vec<&str> = problems
        .iter()
        .filter(|p| p.severity == Severity::Error && p.code != "DUPLICATE")
        .map(|p| p.code.as_str())
        .collect();
    if !errors.is_empty() {
        c.add(
            ExceptionReason::Validation,
            None,
            None,
            format!(
                "{} validation error(s): {}",
                errors.len(),
                errors.join(", ")
            ),
            format!(
                "ask the supplier for a corrected invoice (folio show {id} lists the problems)"
            ),
        );
    }
    if coded.fixed.vendor.is_none() {
        c.add(
            ExceptionReason::NewVendor,
            None,
            None,
            format!(
                "{} is not a vendor in the master data",
                supplier_label(document)
            ),
            "create the vendor in the GL (VAT id, bank account, default account) and refresh \
             Folio's master data"
                .to_owned(),
        );
    }
}
