//! The desktop's overview: spend by account and by cost centre (expense postings of every
//! document's current journal, summed exactly per currency), how often people corrected what
//! Folio suggested per vendor, how old the open exceptions are, and the payables due in the next
//! 13 weeks (`payables_forecast`).

use crate::error::AppError;
use crate::export::payables::PayablesForecast;
use crate::workspace::{Workspace, count};
use folio_domain::Currency;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};
use ts_rs::TS;

/// The weeks of the payables forecast on the overview.
pub const FORECAST_WEEKS: u32 = 13;

/// Spend of one account or cost centre in one currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct SpendRow {
    pub code: String,
    pub name: String,
    pub currency: Currency,
    /// Decimal string.
    pub amount: String,
}

/// How a vendor's suggestions fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct VendorAccuracyView {
    pub supplier: String,
    /// Values Folio coded (line and field).
    pub values: u32,
    /// Values a person changed.
    pub corrected: u32,
    /// Share kept as suggested, 0 to 1, three places (a decimal string).
    pub accuracy: String,
}

/// Open exceptions by how long their document has been in the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct ExceptionAge {
    /// `0–7 days`, `8–30 days`, `over 30 days`.
    pub age: String,
    pub documents: u32,
    pub exceptions: u32,
}

/// Everything the overview shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS)]
pub struct OverviewView {
    pub spend_by_account: Vec<SpendRow>,
    pub spend_by_cost_centre: Vec<SpendRow>,
    pub vendor_accuracy: Vec<VendorAccuracyView>,
    pub exceptions_by_age: Vec<ExceptionAge>,
    pub payables: PayablesForecast,
}

fn rows(sums: BTreeMap<(String, Currency), (String, Decimal)>) -> Vec<SpendRow> {
    let mut rows: Vec<SpendRow> = sums
        .into_iter()
        .map(|((code, currency), (name, amount))| SpendRow {
            code,
            name,
            currency,
            amount: amount.to_string(),
        })
        .collect();
    // Largest first within a currency, currencies in code order.
    rows.sort_by(|a, b| {
        a.currency.code().cmp(b.currency.code()).then_with(|| {
            let x: Decimal = a.amount.parse().unwrap_or_default();
            let y: Decimal = b.amount.parse().unwrap_or_default();
            y.cmp(&x)
        })
    });
    rows
}

impl Workspace {
    /// The overview's figures.
    pub fn overview(&self) -> Result<OverviewView, AppError> {
        let master = self.store.master_data()?;
        let cost_centre_names: BTreeMap<&str, &str> = master
            .dimensions
            .iter()
            .filter(|d| d.code == crate::settings::COST_CENTRE)
            .flat_map(|d| d.values.iter().map(|v| (v.code.as_str(), v.name.as_str())))
            .collect();
        let mut by_account: BTreeMap<(String, Currency), (String, Decimal)> = BTreeMap::new();
        let mut by_cost_centre: BTreeMap<(String, Currency), (String, Decimal)> = BTreeMap::new();
        for line in self.store.spend_lines()? {
            let entry = by_account
                .entry((line.account.clone(), line.currency))
                .or_insert((line.account_name.clone(), Decimal::ZERO));
            entry.1 += line.amount;
            let cc = line.cost_centre.unwrap_or_else(|| "(none)".to_owned());
            let name = cost_centre_names
                .get(cc.as_str())
                .map_or_else(String::new, |n| (*n).to_owned());
            let entry = by_cost_centre
                .entry((cc, line.currency))
                .or_insert((name, Decimal::ZERO));
            entry.1 += line.amount;
        }
        let vendor_accuracy = self
            .store
            .vendor_accuracy()?
            .into_iter()
            .map(|v| {
                let kept = Decimal::from(v.values.saturating_sub(v.corrected));
                let accuracy = if v.values == 0 {
                    Decimal::ONE
                } else {
                    (kept / Decimal::from(v.values)).round_dp(3)
                };
                VendorAccuracyView {
                    supplier: v.supplier,
                    values: v.values,
                    corrected: v.corrected,
                    accuracy: accuracy.normalize().to_string(),
                }
            })
            .collect();
        let imported: BTreeMap<String, chrono::DateTime<chrono::Utc>> = self
            .store
            .list_documents()?
            .into_iter()
            .map(|d| (d.id.to_string(), d.imported_at))
            .collect();
        let now = self.context.clock.now();
        let buckets = ["0–7 days", "8–30 days", "over 30 days"];
        let mut documents: [BTreeSet<String>; 3] = Default::default();
        let mut exceptions = [0u32; 3];
        for group in self.exceptions()?.groups {
            for e in group.exceptions {
                let days = imported
                    .get(&e.document_id)
                    .map_or(0, |at| (now - *at).num_days());
                let bucket = match days {
                    ..=7 => 0,
                    8..=30 => 1,
                    _ => 2,
                };
                exceptions[bucket] += 1;
                documents[bucket].insert(e.document_id);
            }
        }
        Ok(OverviewView {
            spend_by_account: rows(by_account),
            spend_by_cost_centre: rows(by_cost_centre),
            vendor_accuracy,
            exceptions_by_age: buckets
                .iter()
                .enumerate()
                .map(|(i, age)| ExceptionAge {
                    age: (*age).to_owned(),
                    documents: count(documents[i].len()),
                    exceptions: exceptions[i],
                })
                .collect(),
            payables: self.payables_forecast(FORECAST_WEEKS)?,
        })
    }
}
