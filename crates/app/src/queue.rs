//! The review queue: the reviewer's list of documents, filtered, sorted and paged in SQL (see
//! `folio_store::queue`) so that the window stays quick with a year of invoices in it; and bulk
//! approval of exactly what a filter shows, after the reviewer saw its count and total.
//!
//! Filters arrive as text from the window or the CLI and are checked here, each mistake naming
//! its field. Bulk approval re-reads the filter's members and refuses when their count or total
//! is no longer what the reviewer confirmed (someone imported or approved in between), then
//! approves each document on its own through [`Workspace::approve`] (one transaction and its
//! audit events per document).

use crate::coding::decimal_setting;
use crate::dto::DocumentSummary;
use crate::dto_gl::ApproveOutcome;
use crate::error::{AppError, ErrorCode};
use crate::exceptions::{DEFAULT_MIN_CONFIDENCE, MIN_CONFIDENCE};
use crate::workspace::{Workspace, summary};
use chrono::NaiveDate;
use folio_domain::Currency;
use folio_store::{QueueOrder, QueueQuery, QueueReason, QueueStatus};
use rand::RngCore;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::str::FromStr;
use ts_rs::TS;

/// The most rows one page may ask for.
pub const MAX_PAGE: u32 = 1000;

/// Where a document is in review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueStatusFilter {
    /// No journal yet, or a draft: still to review.
    Open,
    New,
    Draft,
    Approved,
    Queued,
    Posted,
    Rejected,
}

/// The exception reasons the queue filters on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueReasonFilter {
    /// A coded value below the workspace's confidence threshold (`coding.min_confidence`).
    LowConfidence,
    Duplicate,
    Validation,
    NewVendor,
}

/// The queue's filter. Every field that is set must hold; amounts and confidences are decimal
/// strings, dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct QueueFilter {
    pub status: Option<QueueStatusFilter>,
    pub reason: Option<QueueReasonFilter>,
    /// Only documents whose weakest coded value is below this confidence (`0.9`).
    pub confidence_below: Option<String>,
    pub vendor: Option<String>,
    pub amount_min: Option<String>,
    pub amount_max: Option<String>,
    pub date_from: Option<String>,
    pub date_to: Option<String>,
    pub currency: Option<String>,
    /// Part of the number, supplier, VAT id or file name.
    pub search: Option<String>,
}

/// The queue's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum QueueSortKey {
    #[default]
    Imported,
    IssueDate,
    DueDate,
    Supplier,
    Number,
    Amount,
    Confidence,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
#[serde(default)]
pub struct QueueSort {
    pub key: QueueSortKey,
    pub descending: bool,
}

/// One row of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct QueueRowView {
    pub summary: DocumentSummary,
    /// The confidence of the document's weakest coded value, when it has been coded.
    pub min_confidence: Option<String>,
}

/// One page of the queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct QueuePageView {
    /// Documents matching the filter, in all.
    #[ts(type = "number")]
    pub total: u64,
    #[ts(type = "number")]
    pub offset: u64,
    pub rows: Vec<QueueRowView>,
}

/// An amount per currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CurrencyAmount {
    pub currency: Currency,
    pub amount: String,
}

/// What a bulk approval of a filter would approve: the documents still open under it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BulkPreview {
    pub count: u32,
    /// Amounts due per currency (never added across currencies).
    pub totals: Vec<CurrencyAmount>,
}

fn invalid(message: impl Into<String>) -> AppError {
    AppError::new(ErrorCode::InvalidInput, message)
}

fn decimal(field: &str, text: &Option<String>) -> Result<Option<Decimal>, AppError> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => Decimal::from_str(t)
            .map(Some)
            .map_err(|_| invalid(format!("{field} '{t}' is not a decimal number"))),
    }
}

fn date(field: &str, text: &Option<String>) -> Result<Option<NaiveDate>, AppError> {
    match text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => NaiveDate::parse_from_str(t, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| invalid(format!("{field} '{t}' is not a date (YYYY-MM-DD)"))),
    }
}

impl Workspace {
    fn queue_query(&self, filter: &QueueFilter) -> Result<QueueQuery, AppError> {
        let confidence_below = decimal("confidence_below", &filter.confidence_below)?;
        if let Some(c) = confidence_below
            && !(Decimal::ZERO..=Decimal::ONE).contains(&c)
        {
            return Err(invalid(format!(
                "confidence_below {c} is not between 0 and 1"
            )));
        }
        let amount_min = decimal("amount_min", &filter.amount_min)?;
        let amount_max = decimal("amount_max", &filter.amount_max)?;
        if let (Some(min), Some(max)) = (amount_min, amount_max)
            && min > max
        {
            return Err(invalid(format!(
                "amount_min {min} is above amount_max {max}: no document can match"
            )));
        }
        let currency = match filter
            .currency
            .as_deref()
            .map(str::trim)
            .filter(|c| !c.is_empty())
        {
            None => None,
            Some(c) => Some(
                Currency::parse(&c.to_ascii_uppercase())
                    .map_err(|_| invalid(format!("currency '{c}' is not an ISO 4217 code")))?,
            ),
        };
        let reason = match filter.reason {
            None => None,
            Some(QueueReasonFilter::LowConfidence) => Some(QueueReason::LowConfidence(
                decimal_setting(&self.store, MIN_CONFIDENCE, Some(DEFAULT_MIN_CONFIDENCE))?
                    .unwrap_or(DEFAULT_MIN_CONFIDENCE),
            )),
            Some(QueueReasonFilter::Duplicate) => Some(QueueReason::Duplicate),
            Some(QueueReasonFilter::Validation) => Some(QueueReason::Validation),
            Some(QueueReasonFilter::NewVendor) => Some(QueueReason::NewVendor),
        };
        Ok(QueueQuery {
            status: filter.status.map(|s| match s {
                QueueStatusFilter::Open => QueueStatus::Open,
                QueueStatusFilter::New => QueueStatus::New,
                QueueStatusFilter::Draft => QueueStatus::Draft,
                QueueStatusFilter::Approved => QueueStatus::Approved,
                QueueStatusFilter::Queued => QueueStatus::Queued,
                QueueStatusFilter::Posted => QueueStatus::Posted,
                QueueStatusFilter::Rejected => QueueStatus::Rejected,
            }),
            reason,
            confidence_below,
            vendor: filter.vendor.clone(),
            amount_min,
            amount_max,
            date_from: date("date_from", &filter.date_from)?,
            date_to: date("date_to", &filter.date_to)?,
            currency,
            search: filter.search.clone(),
        })
    }

    /// Rows `offset..offset + limit` (at most [`MAX_PAGE`]) of the documents matching `filter`,
    /// in `sort` order, and how many match in all.
    pub fn review_queue(
        &self,
        filter: &QueueFilter,
        sort: QueueSort,
        offset: u64,
        limit: u32,
    ) -> Result<QueuePageView, AppError> {
        if limit > MAX_PAGE {
            return Err(invalid(format!(
                "a page holds at most {MAX_PAGE} rows, not {limit}"
            )));
        }
        let query = self.queue_query(filter)?;
        let order = match sort.key {
            QueueSortKey::Imported => QueueOrder::Imported,
            QueueSortKey::IssueDate => QueueOrder::IssueDate,
            QueueSortKey::DueDate => QueueOrder::DueDate,
            QueueSortKey::Supplier => QueueOrder::Supplier,
            QueueSortKey::Number => QueueOrder::Number,
            QueueSortKey::Amount => QueueOrder::Amount,
            QueueSortKey::Confidence => QueueOrder::Confidence,
        };
        let page = self
            .store
            .review_queue(&query, order, sort.descending, offset, limit)?;
        Ok(QueuePageView {
            total: page.total,
            offset,
            rows: page
                .rows
                .iter()
                .map(|r| QueueRowView {
                    summary: summary(&r.row),
                    min_confidence: r.min_confidence.map(|c| c.normalize().to_string()),
                })
                .collect(),
        })
    }

    /// The documents a bulk approval of `filter` would approve (those of the filter that are
    /// still open) with their count and totals per currency.
    fn bulk_members(&self, filter: &QueueFilter) -> Result<(Vec<String>, BulkPreview), AppError> {
        let mut query = self.queue_query(filter)?;
        query.status = match query.status {
            None | Some(QueueStatus::Open) => Some(QueueStatus::Open),
            Some(QueueStatus::New) => Some(QueueStatus::New),
            Some(QueueStatus::Draft) => Some(QueueStatus::Draft),
            Some(other) => {
                return Err(invalid(format!(
                    "only open documents can be approved; the filter shows {other:?} ones"
                )));
            }
        };
        let members = self.store.queue_members(&query)?;
        let mut totals: BTreeMap<Currency, Decimal> = BTreeMap::new();
        for (_, currency, amount) in &members {
            *totals.entry(*currency).or_default() += *amount;
        }
        let preview = BulkPreview {
            count: crate::workspace::count(members.len()),
            totals: totals
                .into_iter()
                .map(|(currency, amount)| CurrencyAmount {
                    currency,
                    amount: amount.to_string(),
                })
                .collect(),
        };
        Ok((
            members.iter().map(|(id, _, _)| id.to_string()).collect(),
            preview,
        ))
    }

    /// What approving everything `filter` shows would approve (for the confirmation).
    pub fn bulk_approve_preview(&self, filter: &QueueFilter) -> Result<BulkPreview, AppError> {
        Ok(self.bulk_members(filter)?.1)
    }

    /// Approves every open document `filter` shows, each on its own (see
    /// [`Workspace::approve`]), provided they are still the `confirmed` count and totals.
    pub fn bulk_approve(
        &mut self,
        filter: &QueueFilter,
        confirmed: &BulkPreview,
        rng: &mut dyn RngCore,
    ) -> Result<Vec<ApproveOutcome>, AppError> {
        let (ids, now) = self.bulk_members(filter)?;
        if &now != confirmed {
            return Err(invalid(format!(
                "the filter now shows {} document(s) totalling {}, not the {} totalling {} that \
                 were confirmed; look again and confirm anew",
                now.count,
                totals_text(&now.totals),
                confirmed.count,
                totals_text(&confirmed.totals)
            )));
        }
        self.approve(&ids, false, rng)
    }
}

fn totals_text(totals: &[CurrencyAmount]) -> String {
    if totals.is_empty() {
        return "nothing".to_owned();
    }
    totals
        .iter()
        .map(|t| format!("{} {}", t.amount, t.currency))
        .collect::<Vec<_>>()
        .join(" + ")
}
