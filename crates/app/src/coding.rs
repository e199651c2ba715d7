//! Suggested coding, as a use case: every source of coding brought together for a document, the
//! result stored with its explanations, a person's corrections, and forgetting a vendor.
//!
//! The decision itself is pure and lives in `folio_coding::suggest` (person beats rule beats model
//! beats fallback, per field). This module gathers what it needs — the rule packs in use, the
//! learned suggester trained on the workspace's history, the persons' values, the master data —
//! and stores the outcome: the computed proposals of a document are replaced together (one audited
//! transaction, only when they changed), a person's values are a state change of their own.
//!
//! The learned suggester learns from imported history plus the lines of approved journals, minus
//! forgotten vendors and "don't learn" lines. It is kept in memory while the workspace is open
//! and brought up to date before each use by [`crate::learning`]: a journal approved since is
//! learned incrementally (exactly its lines), anything else retrains it in full, and so does the
//! refit rule now and then. The CLI trains once per command; the desktop keeps its model across
//! approvals. Each model suggestion stores the model's version, which names the weights too
//! when they were fitted before the latest lines were learned.

use crate::coding_dto::{
    CodeLineRequest, CodeReport, ExplainView, FieldExplanation, ForgetVendorReport,
    LineExplanation, ProposalView, RulePackInfo,
};
use crate::error::{AppError, ErrorCode};
use crate::learning::training_examples;
use crate::settings::{self, COST_CENTRE, Settings};
use crate::workspace::{Workspace, not_found, parse_document_id};
use chrono::SecondsFormat;
use folio_coding::fixed::{FixedCoding, FixedDefaults, VendorCoding};
use folio_coding::learn::features::supplier_key;
use folio_coding::learn::{FieldSuggestion, Suggester};
use folio_coding::rules::RuleSet;
use folio_coding::suggest::{self, CodedDocument, Explanation, Field, Inputs, PersonValue, Source};
use folio_coding::{BuildError, ExchangeRate, JournalAccounts, build_journal};
use folio_domain::{Currency, Journal, Problem};
use folio_store::{DocumentId, MasterData, NewSuggestion, StoredDocument, StoredSuggestion};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};
use std::str::FromStr;
use std::sync::Arc;

/// The workspace setting naming its base currency (ISO 4217).
pub const BASE_CURRENCY: &str = "currency.base";

/// Everything that codes documents, loaded once for many documents.
#[derive(Debug)]
pub(crate) struct Sources {
    pub rules: RuleSet,
    pub fixed: FixedCoding,
    pub master: MasterData,
    pub settings: Settings,
    pub model: Arc<Suggester>,
    /// The model's version as stored with its suggestions ([`crate::learning`]).
    pub model_version: String,
    pub base_currency: Option<Currency>,
    pub rates: Vec<ExchangeRate>,
}

impl Sources {
    pub fn journal_accounts(&self) -> JournalAccounts<'_> {
        JournalAccounts {
            payable: &self.settings.payable_account,
            rounding: &self.settings.rounding_account,
            tax_codes: &self.master.tax_codes,
            base_currency: self.base_currency,
            rates: &self.rates,
        }
    }

    /// The model's version, when it has learned anything.
    pub fn model_version(&self) -> Option<String> {
        (self.model.line_count() > 0).then(|| self.model_version.clone())
    }
}

/// A document's coding with what the coding noticed.
#[derive(Debug)]
pub(crate) struct Coded {
    pub coded: CodedDocument,
    pub fixed: FixedDefaults,
    pub problems: Vec<Problem>,
}

fn storage(message: String) -> AppError {
    AppError::new(ErrorCode::Storage, message)
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

/// A person's stored value as the decision takes it.
fn person_value(s: &StoredSuggestion) -> Option<PersonValue> {
    let p = &s.proposal;
    Some(PersonValue {
        line_no: p.line_no,
        field: Field::parse(&p.field)?,
        value: p.value.clone(),
        learn: p.learn,
        by: s.created_by.clone(),
        at: s.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
    })
}

impl Workspace {
    /// The rule packs in use, loaded.
    pub(crate) fn rule_set_in_use(&self) -> Result<RuleSet, AppError> {
        let packs = self
            .store
            .rule_packs()?
            .into_iter()
            .map(|p| {
                folio_coding::rules::load_pack(
                    &format!("rule pack {} in use", p.pack_id),
                    &p.source_text,
                )
            })
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| AppError::new(ErrorCode::WorkspaceCorrupt, e.to_string()))?;
        RuleSet::new(packs).map_err(|e| AppError::new(ErrorCode::WorkspaceCorrupt, e.to_string()))
    }

    /// The rule packs in use, described.
    pub fn rules_in_use(&self) -> Result<Vec<RulePackInfo>, AppError> {
        let rules = self.rule_set_in_use()?;
        self.rules_in_use_with(&rules)
    }

    /// [`Workspace::rules_in_use`] with the packs parsed already.
    fn rules_in_use_with(&self, rules: &RuleSet) -> Result<Vec<RulePackInfo>, AppError> {
        Ok(self
            .store
            .rule_packs()?
            .iter()
            .map(|p| RulePackInfo {
                id: p.pack_id.clone(),
                version: p.version.clone(),
                content_hash: p.content_hash.clone(),
                rules: rules
                    .packs()
                    .iter()
                    .find(|r| r.id == p.pack_id)
                    .map_or(0, |r| crate::workspace::count(r.rules.len())),
                origin: format!(
                    "in use since {} ({})",
                    p.saved_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    p.saved_by
                ),
            })
            .collect())
    }

    /// Everything that codes documents, with `rules` as the rule packs.
    pub(crate) fn sources(&self, rules: RuleSet) -> Result<Sources, AppError> {
        let master = self.store.master_data()?;
        let settings = settings::load(&self.store)?;
        let fixed = FixedCoding {
            vendors: master
                .vendors
                .iter()
                .map(|v| VendorCoding {
                    code: v.code.clone(),
                    vat_id: v.vat_id.clone(),
                    name: v.name.clone(),
                    expense_account: v.default_account.clone(),
                    iban: v.iban.clone(),
                })
                .collect(),
            default_account: Some(settings.default_expense_account.clone()),
            default_dimensions: settings
                .default_cost_centre
                .iter()
                .filter(|cc| !cc.trim().is_empty())
                .map(|cc| (COST_CENTRE.to_owned(), cc.clone()))
                .collect(),
        };
        let base_currency =
            match self.store.setting(BASE_CURRENCY)? {
                None => None,
                Some(code) => Some(Currency::parse(&code).map_err(|e| {
                    invalid(format!("the workspace setting '{BASE_CURRENCY}': {e}"))
                })?),
            };
        let rates = self
            .store
            .exchange_rates()?
            .into_iter()
            .map(|r| ExchangeRate {
                from: r.from,
                to: r.to,
                valid_from: r.valid_from,
                rate: r.rate,
            })
            .collect();
        let model = self.model()?;
        Ok(Sources {
            rules,
            fixed,
            master,
            settings,
            model: model.suggester,
            model_version: model.version,
            base_currency,
            rates,
        })
    }

    /// Codes a stored document with `sources`, without writing anything.
    pub(crate) fn code(
        &self,
        sources: &Sources,
        stored: &StoredDocument,
    ) -> Result<Coded, AppError> {
        let document = &stored.document;
        let rules = sources.rules.apply(document);
        let mut model = if sources.model.line_count() > 0 {
            sources
                .model
                .suggest_many(&suggest::model_queries(document), true)
        } else {
            Vec::new()
        };
        for e in model.iter_mut().filter_map(|s| s.explanation.as_mut()) {
            e.model_version.clone_from(&sources.model_version);
        }
        let master = &sources.master;
        let accounts: BTreeSet<&str> = master
            .accounts
            .iter()
            .filter(|a| a.postable && a.active)
            .map(|a| a.code.as_str())
            .collect();
        let cost_centres: BTreeSet<&str> = master
            .dimensions
            .iter()
            .filter(|d| d.code == COST_CENTRE)
            .flat_map(|d| d.values.iter().filter(|v| v.active))
            .map(|v| v.code.as_str())
            .collect();
        for s in &mut model {
            usable_only(&mut s.account, &accounts, master.accounts.is_empty());
            usable_only(
                &mut s.cost_centre,
                &cost_centres,
                !master.dimensions.iter().any(|d| d.code == COST_CENTRE),
            );
        }
        let person: Vec<PersonValue> = self
            .store
            .suggestions(stored.row.id)?
            .iter()
            .filter(|s| s.proposal.source == Source::Person.as_str())
            .filter_map(person_value)
            .collect();
        let fixed = sources.fixed.defaults(document);
        let coded = suggest::decide(
            document,
            &Inputs {
                rules: &rules,
                model: &model,
                person: &person,
                fixed: &fixed,
                tax_codes: &sources.master.tax_codes,
                cost_centre_dimension: COST_CENTRE,
            },
        );
        let mut problems = rules.problems;
        if fixed.vendor.is_none() {
            problems.push(Problem::warning(
                "UNKNOWN_VENDOR",
                "supplier",
                format!("{} is not a known vendor", supplier_label(document)),
            ));
        }
        let uncoded: Vec<String> = coded
            .lines
            .iter()
            .filter(|l| {
                l.field(&Field::Account)
                    .and_then(|f| f.chosen())
                    .is_some_and(|p| p.source == Source::Fixed)
            })
            .map(|l| l.line_no.to_string())
            .collect();
        if let Some(fallback) = fixed.account.as_ref().filter(|_| !uncoded.is_empty()) {
            problems.push(Problem::warning(
                "NOT_CODED",
                "coding",
                format!(
                    "no person, rule or history codes line(s) {}: they use {}, {}",
                    uncoded.join(", "),
                    fallback.value,
                    fallback.reason
                ),
            ));
        }
        Ok(Coded {
            coded,
            fixed,
            problems,
        })
    }

    /// Codes a document and stores its computed proposals (when they changed).
    pub(crate) fn refresh_coding(
        &mut self,
        sources: &Sources,
        stored: &StoredDocument,
    ) -> Result<Coded, AppError> {
        let coded = self.code(sources, stored)?;
        let mut rows = Vec::new();
        for line in &coded.coded.lines {
            for field in &line.fields {
                for p in field
                    .proposals
                    .iter()
                    .filter(|p| p.source != Source::Person)
                {
                    rows.push(NewSuggestion {
                        line_no: line.line_no,
                        field: field.field.key(),
                        source: p.source.as_str().to_owned(),
                        value: p.value.clone(),
                        confidence: p.confidence,
                        explanation_json: serde_json::to_string(&p.explanation)
                            .map_err(|e| storage(format!("cannot write an explanation: {e}")))?,
                        learn: true,
                    });
                }
            }
        }
        self.store
            .refresh_suggestions(stored.row.id, &rows, &self.context.change())?;
        Ok(coded)
    }

    /// Codes document `id` (storing its suggestions) and builds its journal draft.
    pub(crate) fn coded_journal(
        &mut self,
        sources: &Sources,
        id: DocumentId,
    ) -> Result<(Journal, Vec<Problem>), AppError> {
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        let coded = self.refresh_coding(sources, &stored)?;
        let (journal, built) = build_journal(
            &stored.document,
            &coded.coded.coding,
            &sources.journal_accounts(),
        )
        .map_err(|e: BuildError| {
            AppError::new(
                ErrorCode::JournalNotBuildable,
                format!("no journal can be built for {id} yet"),
            )
            .with_problems(e.problems)
        })?;
        let mut notes = coded.problems;
        notes.extend(built);
        Ok((journal, notes))
    }

    /// How document `id` is coded and why: every field of every line with the value used, its
    /// source, confidence and explanation, and what else was proposed. The coding is refreshed
    /// first unless the journal is approved (then it is what it was) or the user may not code
    /// (a controller sees the coding as stored).
    pub fn explain(&mut self, id: &str) -> Result<ExplainView, AppError> {
        self.explain_with(id, true)
    }

    /// [`Workspace::explain`] without refreshing the stored proposals first, even for a user who
    /// may code: what the read API serves, which must never write.
    pub fn explain_read_only(&mut self, id: &str) -> Result<ExplainView, AppError> {
        self.explain_with(id, false)
    }

    fn explain_with(&mut self, id: &str, refresh: bool) -> Result<ExplainView, AppError> {
        let id = parse_document_id(id)?;
        let sources = self.sources(self.rule_set_in_use()?)?;
        self.explain_with_sources(&sources, id, refresh)
    }

    /// [`Workspace::explain`] with the coding sources loaded already (the document view loads
    /// them once for the journal and the explanation).
    pub(crate) fn explain_with_sources(
        &mut self,
        sources: &Sources,
        id: DocumentId,
        refresh: bool,
    ) -> Result<ExplainView, AppError> {
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        let frozen = stored.row.journal_status.is_some_and(|s| s.is_immutable());
        let problems = if frozen {
            Vec::new()
        } else if refresh && self.may(crate::access::Permission::Code)? {
            self.refresh_coding(sources, &stored)?.problems
        } else {
            self.code(sources, &stored)?.problems
        };
        let stored_rows = self.store.suggestions(id)?;
        let mut by_line: BTreeMap<u32, BTreeMap<Field, Vec<ProposalView>>> = BTreeMap::new();
        for s in stored_rows {
            let p = s.proposal;
            let (Some(field), Some(source)) = (Field::parse(&p.field), Source::parse(&p.source))
            else {
                return Err(AppError::new(
                    ErrorCode::WorkspaceCorrupt,
                    format!(
                        "{id}: a suggestion has field '{}' and source '{}'",
                        p.field, p.source
                    ),
                ));
            };
            let explanation: Explanation = if source == Source::Person {
                Explanation::Person {
                    by: s.created_by.clone(),
                    at: s.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    learn: p.learn,
                }
            } else {
                serde_json::from_str(&p.explanation_json).map_err(|e| {
                    AppError::new(
                        ErrorCode::WorkspaceCorrupt,
                        format!("{id} line {} {}: explanation: {e}", p.line_no, p.field),
                    )
                })?
            };
            by_line
                .entry(p.line_no)
                .or_default()
                .entry(field)
                .or_default()
                .push(ProposalView {
                    source,
                    value: p.value,
                    confidence: p.confidence.normalize().to_string(),
                    explanation,
                    created_at: s.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                    created_by: s.created_by,
                });
        }
        let document = &stored.document;
        let lines = by_line
            .into_iter()
            .map(|(line_no, fields)| {
                let (description, amount) = match document.lines.get(line_no as usize - 1) {
                    Some(l) => (l.text(), l.net_amount),
                    None => (
                        format!("{} (header)", document.number),
                        document.totals.tax_exclusive,
                    ),
                };
                LineExplanation {
                    line: line_no,
                    description,
                    amount: amount.to_string(),
                    fields: fields
                        .into_iter()
                        .filter_map(|(field, mut proposals)| {
                            proposals.sort_by_key(|p| p.source);
                            let first = proposals.first()?.clone();
                            Some(FieldExplanation {
                                field: field.key(),
                                value: first.value,
                                source: first.source,
                                confidence: first.confidence,
                                proposals,
                            })
                        })
                        .collect(),
                }
            })
            .collect();
        Ok(ExplainView {
            document_id: id.to_string(),
            number: document.number.clone(),
            supplier_name: document.supplier.name.clone(),
            rule_packs: self.rules_in_use_with(&sources.rules)?,
            model_version: sources.model_version(),
            lines,
            problems,
        })
    }

    /// Records a person's coding of one line (audited), which from now on wins over rules and
    /// the model, and rebuilds the document's journal draft with it.
    pub fn code_line(&mut self, request: &CodeLineRequest) -> Result<CodeReport, AppError> {
        self.require(crate::access::Permission::Code)?;
        let id = parse_document_id(&request.document_id)?;
        let stored = self.store.get_document(id)?.ok_or_else(|| not_found(id))?;
        let lines = stored.document.lines.len().max(1);
        if request.line == 0 || request.line as usize > lines {
            return Err(invalid(format!(
                "{id} has {lines} line(s); line {} is not one of them",
                request.line
            )));
        }
        if request.account.is_none() && request.dimensions.is_empty() && request.tax_code.is_none()
        {
            return Err(invalid(
                "nothing to record: give an account, a dimension or a tax code",
            ));
        }
        let master = self.store.master_data()?;
        let problems = check_codes(&master, request);
        if !problems.is_empty() {
            return Err(invalid(format!(
                "the coding of {id} line {} was not recorded",
                request.line
            ))
            .with_problems(problems));
        }
        let mut what = Vec::new();
        if let Some(a) = &request.account {
            what.push(format!("account {a}"));
        }
        for (d, v) in &request.dimensions {
            what.push(format!("{d} {v}"));
        }
        if let Some(t) = &request.tax_code {
            what.push(format!("tax code {t}"));
        }
        self.reopen_for_edit(
            id,
            &format!(
                "edited by {} after approval: line {} coded with {}",
                self.actor(),
                request.line,
                what.join(", ")
            ),
        )?;
        let change = self.context.change();
        let explanation_json = serde_json::to_string(&Explanation::Person {
            by: change.actor.clone(),
            at: change.at.to_rfc3339_opts(SecondsFormat::Secs, true),
            learn: request.learn,
        })
        .map_err(|e| storage(format!("cannot write an explanation: {e}")))?;
        let row = |field: Field, value: &str| NewSuggestion {
            line_no: request.line,
            field: field.key(),
            source: Source::Person.as_str().to_owned(),
            value: value.to_owned(),
            confidence: Decimal::ONE,
            explanation_json: explanation_json.clone(),
            learn: request.learn,
        };
        let mut rows = Vec::new();
        if let Some(a) = &request.account {
            rows.push(row(Field::Account, a));
        }
        for (d, v) in &request.dimensions {
            rows.push(row(Field::Dimension(d.clone()), v));
        }
        if let Some(t) = &request.tax_code {
            rows.push(row(Field::TaxCode, t));
        }
        self.store.save_person_values(id, &rows, &change)?;
        let (journal_rebuilt, journal_problems) = match self.journal_draft(&id.to_string()) {
            Ok(_) => (true, Vec::new()),
            Err(e) => {
                let mut problems = vec![Problem::error(
                    e.code.as_str(),
                    "journal",
                    e.message.clone(),
                )];
                problems.extend(e.problems);
                (false, problems)
            }
        };
        Ok(CodeReport {
            explanation: self.explain(&id.to_string())?,
            journal_rebuilt,
            journal_problems,
        })
    }

    /// Drops what the suggester learned from a vendor (given by code, VAT id or name as the
    /// master data or the history knows it) and re-codes the open documents without it.
    pub fn forget_vendor(&mut self, vendor: &str) -> Result<ForgetVendorReport, AppError> {
        self.require(crate::access::Permission::ManageRules)?;
        let master = self.store.master_data()?;
        let wanted = vendor.trim();
        let normalised = |s: &str| folio_coding::rules::matching::normalise_name(s);
        let name = master
            .vendors
            .iter()
            .find(|v| {
                v.code.eq_ignore_ascii_case(wanted)
                    || v.vat_id.as_deref().is_some_and(|vat| {
                        folio_coding::rules::matching::normalise_vat_id(vat)
                            == folio_coding::rules::matching::normalise_vat_id(wanted)
                    })
                    || normalised(&v.name) == normalised(wanted)
            })
            .map_or_else(|| wanted.to_owned(), |v| v.name.clone());
        let key = supplier_key(&name);
        let known = self
            .store
            .history_lines()?
            .iter()
            .any(|h| h.line.supplier_key == key)
            || self
                .store
                .approved_lines()?
                .iter()
                .any(|a| supplier_key(&a.supplier) == key)
            || master.vendors.iter().any(|v| v.name == name);
        if !known {
            return Err(invalid(format!(
                "'{vendor}' is neither a vendor of the master data nor a supplier of the \
                 history or of an approved journal"
            )));
        }
        let deleted = self
            .store
            .forget_vendor(&key, &name, &self.context.change())?;
        // The model is trained again without the vendor when it is next used (re-coding below).
        let (_, skipped) = training_examples(&self.store)?;
        let documents_recoded = self.recode_open_documents()?;
        Ok(ForgetVendorReport {
            vendor: name,
            history_lines_deleted: crate::workspace::count(deleted),
            approved_lines_skipped: skipped,
            documents_recoded,
        })
    }

    /// Re-codes every document whose journal is not approved yet: stores its suggestions and
    /// rebuilds its journal draft if it has one. Returns how many documents were re-coded.
    pub(crate) fn recode_open_documents(&mut self) -> Result<u32, AppError> {
        let sources = self.sources(self.rule_set_in_use()?)?;
        let mut recoded = 0;
        for row in self.store.list_documents()? {
            if row.journal_status.is_some_and(|s| s.is_immutable()) {
                continue;
            }
            if row.journal_status.is_some() {
                // A draft that cannot be built now keeps its last version; `folio journal` says why.
                if self.journal_draft_with(&sources, row.id).is_err() {
                    continue;
                }
            } else {
                let stored = self
                    .store
                    .get_document(row.id)?
                    .ok_or_else(|| not_found(row.id))?;
                self.refresh_coding(&sources, &stored)?;
            }
            recoded += 1;
        }
        Ok(recoded)
    }
}

/// `supplier 'ACME GmbH' (DE123456789)`, for messages.
pub(crate) fn supplier_label(document: &folio_domain::Document) -> String {
    format!(
        "supplier '{}'{}",
        document.supplier.name,
        document
            .supplier
            .vat_id
            .as_deref()
            .map(|v| format!(" ({v})"))
            .unwrap_or_default()
    )
}

/// Keeps the model's best candidate that can be posted to (history may name accounts the chart
/// no longer has); none when no candidate can. `unchecked`: the master data lists no such codes.
fn usable_only(field: &mut FieldSuggestion, usable: &BTreeSet<&str>, unchecked: bool) {
    if unchecked {
        return;
    }
    match field
        .top
        .iter()
        .position(|c| usable.contains(c.value.as_str()))
    {
        Some(i) => {
            let best = field.top.remove(i);
            field.value = Some(best.value.clone());
            field.confidence = best.confidence;
            field.top.retain(|c| usable.contains(c.value.as_str()));
            field.top.insert(0, best);
        }
        None => {
            field.value = None;
            field.top.clear();
        }
    }
}

/// Whether the codes of a person's coding exist and can be posted to; one problem per code that
/// cannot. Parts of the master data that are empty (a workspace without a chart) are not checked.
fn check_codes(master: &MasterData, request: &CodeLineRequest) -> Vec<Problem> {
    let mut problems = Vec::new();
    if let Some(code) = &request.account
        && !master.accounts.is_empty()
    {
        match master.accounts.iter().find(|a| &a.code == code) {
            None => problems.push(Problem::error(
                "UNKNOWN_ACCOUNT",
                "account",
                format!("there is no account {code} in the chart of accounts"),
            )),
            Some(a) if !a.postable || !a.active => problems.push(Problem::error(
                "ACCOUNT_NOT_POSTABLE",
                "account",
                format!(
                    "account {code} ({}) is {}",
                    a.name,
                    if a.active { "not postable" } else { "inactive" }
                ),
            )),
            Some(_) => {}
        }
    }
    for (dimension, value) in &request.dimensions {
        let field = format!("dimensions.{dimension}");
        match master.dimensions.iter().find(|d| &d.code == dimension) {
            None if master.dimensions.is_empty() => {}
            None => problems.push(Problem::error(
                "UNKNOWN_DIMENSION",
                field,
                format!(
                    "there is no dimension '{dimension}' (known: {})",
                    master
                        .dimensions
                        .iter()
                        .map(|d| d.code.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            )),
            Some(d) => match d.values.iter().find(|v| &v.code == value) {
                None => problems.push(Problem::error(
                    "UNKNOWN_DIMENSION_VALUE",
                    field,
                    format!("{} has no value {value}", d.name),
                )),
                Some(v) if !v.active => problems.push(Problem::error(
                    "DIMENSION_VALUE_INACTIVE",
                    field,
                    format!("{} {value} ({}) is inactive", d.name, v.name),
                )),
                Some(_) => {}
            },
        }
    }
    if let Some(code) = &request.tax_code
        && !master.tax_codes.is_empty()
        && !master.tax_codes.iter().any(|t| &t.code == code)
    {
        problems.push(Problem::error(
            "UNKNOWN_TAX_CODE",
            "tax_code",
            format!("there is no tax code {code}"),
        ));
    }
    problems
}

/// A decimal setting, or `default` when it is not set.
pub(crate) fn decimal_setting(
    store: &folio_store::Store,
    key: &str,
    default: Option<Decimal>,
) -> Result<Option<Decimal>, AppError> {
    match store.setting(key)? {
        None => Ok(default),
        Some(text) => Decimal::from_str(text.trim()).map(Some).map_err(|_| {
            invalid(format!(
                "the workspace setting '{key}' is '{text}', not a decimal"
            ))
        }),
    }
}
