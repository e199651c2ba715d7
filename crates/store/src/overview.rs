//! Figures for the desktop's overview, read in SQL and summed exactly by the caller: the expense
//! postings of every document's current journal, and per supplier how many coded values a person
//! had to change.

use crate::documents::parse_decimal;
use crate::{Store, StoreError};
use folio_domain::Currency;
use rust_decimal::Decimal;

/// One expense posting (debit, or credit when a credit note reverses spend).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpendLine {
    pub account: String,
    pub account_name: String,
    pub cost_centre: Option<String>,
    /// Signed: credits are negative.
    pub amount: Decimal,
    pub currency: Currency,
}

/// How a supplier's coded values fared: values coded, and values a person changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorAccuracy {
    pub supplier: String,
    pub values: u32,
    pub corrected: u32,
}

impl Store {
    /// The expense-account postings of every document's current journal.
    pub fn spend_lines(&self) -> Result<Vec<SpendLine>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT l.account, a.name, json_extract(l.dimensions_json, '$.cost_centre'), l.side, \
             l.amount, l.currency \
             FROM journal_lines l JOIN journals j ON j.id = l.journal_id \
             JOIN accounts a ON a.code = l.account AND a.kind = 'expense' \
             WHERE j.version = (SELECT max(k.version) FROM journals k \
                                WHERE k.document_id = j.document_id)",
        )?;
        let raw = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, Option<String>>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        raw.into_iter()
            .map(
                |(account, account_name, cost_centre, side, amount, currency)| {
                    let amount = parse_decimal(&amount, "journal line amount")?;
                    Ok(SpendLine {
                        amount: if side == "credit" { -amount } else { amount },
                        currency: Currency::parse(&currency).map_err(|_| {
                            StoreError::corrupt(format!("a journal line has currency '{currency}'"))
                        })?,
                        account,
                        account_name,
                        cost_centre,
                    })
                },
            )
            .collect()
    }

    /// Per supplier: the coded values (line and field, the split excluded) that a rule, the
    /// model or a fallback proposed, and how many of them a person changed to something else.
    pub fn vendor_accuracy(&self) -> Result<Vec<VendorAccuracy>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT d.supplier_name, count(*), \
             sum(CASE WHEN p.value IS NOT NULL AND p.value <> s.value THEN 1 ELSE 0 END) \
             FROM suggestions s JOIN documents d ON d.id = s.document_id \
             LEFT JOIN suggestions p ON p.document_id = s.document_id AND p.line_no = s.line_no \
               AND p.field = s.field AND p.source = 'person' \
             WHERE s.source <> 'person' AND s.field <> 'split' AND NOT EXISTS ( \
               SELECT 1 FROM suggestions t WHERE t.document_id = s.document_id \
               AND t.line_no = s.line_no AND t.field = s.field AND t.source <> 'person' \
               AND (CASE t.source WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END) \
                 < (CASE s.source WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END)) \
             GROUP BY d.supplier_name ORDER BY d.supplier_name",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(VendorAccuracy {
                    supplier: r.get(0)?,
                    values: u32::try_from(r.get::<_, i64>(1)?).unwrap_or(u32::MAX),
                    corrected: u32::try_from(r.get::<_, i64>(2)?).unwrap_or(u32::MAX),
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
