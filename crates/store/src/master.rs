//! Master data: Folio's local copy of the GL's accounts, dimensions, tax codes, vendors and
//! periods, so that coding and approval can be checked offline.
//!
//! [`Store::save_master_data`] upserts: an entry is inserted or replaced by its code, and entries
//! not in the new data are kept (journals may still refer to them; the GL marks retired accounts
//! inactive rather than deleting them). [`Store::master_data`] returns every list ordered by code
//! (periods by start date), whatever order they were saved in.

use crate::audit::{self, NewEvent};
use crate::documents::{date_text, decimal_text, parse_date, parse_decimal};
use crate::{Change, Store, StoreError};
use folio_domain::{
    Account, AccountKind, Dimension, DimensionValue, Period, TaxCode, VatCategory, Vendor,
};
use rusqlite::params;
use serde::{Deserialize, Serialize};

/// Everything the GL tells Folio about itself.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterData {
    pub accounts: Vec<Account>,
    pub dimensions: Vec<Dimension>,
    pub tax_codes: Vec<TaxCode>,
    pub vendors: Vec<Vendor>,
    pub periods: Vec<Period>,
}

impl MasterData {
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
            && self.dimensions.is_empty()
            && self.tax_codes.is_empty()
            && self.vendors.is_empty()
            && self.periods.is_empty()
    }
}

impl Store {
    /// Upserts all of `data` and records it in the audit log, in one transaction.
    pub fn save_master_data(
        &mut self,
        data: &MasterData,
        change: &Change,
    ) -> Result<(), StoreError> {
        let tx = self.begin()?;
        {
            let mut stmt = tx.prepare(
                "INSERT INTO accounts (code, name, kind, postable, active) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, kind = excluded.kind, \
                 postable = excluded.postable, active = excluded.active",
            )?;
            for a in &data.accounts {
                stmt.execute(params![
                    a.code,
                    a.name,
                    a.kind.as_str(),
                    a.postable,
                    a.active
                ])?;
            }
            let mut dim = tx.prepare(
                "INSERT INTO dimensions (code, name, required) VALUES (?1, ?2, ?3) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 required = excluded.required",
            )?;
            let mut value = tx.prepare(
                "INSERT INTO dimension_values (dimension_code, code, name, active) \
                 VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (dimension_code, code) DO UPDATE SET name = excluded.name, \
                 active = excluded.active",
            )?;
            for d in &data.dimensions {
                dim.execute(params![d.code, d.name, d.required])?;
                for v in &d.values {
                    value.execute(params![d.code, v.code, v.name, v.active])?;
                }
            }
            let mut stmt = tx.prepare(
                "INSERT INTO tax_codes (code, name, vat_category, rate, input_account, \
                 output_account) VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, \
                 vat_category = excluded.vat_category, rate = excluded.rate, \
                 input_account = excluded.input_account, output_account = excluded.output_account",
            )?;
            for t in &data.tax_codes {
                stmt.execute(params![
                    t.code,
                    t.name,
                    t.vat_category.code(),
                    decimal_text(t.rate),
                    t.input_account,
                    t.output_account
                ])?;
            }
            let mut stmt = tx.prepare(
                "INSERT INTO vendors (code, name, vat_id, iban, default_account) \
                 VALUES (?1, ?2, ?3, ?4, ?5) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, vat_id = excluded.vat_id, \
                 iban = excluded.iban, default_account = excluded.default_account",
            )?;
            for v in &data.vendors {
                stmt.execute(params![v.code, v.name, v.vat_id, v.iban, v.default_account])?;
            }
            let mut stmt = tx.prepare(
                "INSERT INTO periods (name, start_date, end_date, closed) VALUES (?1, ?2, ?3, ?4) \
                 ON CONFLICT (name) DO UPDATE SET start_date = excluded.start_date, \
                 end_date = excluded.end_date, closed = excluded.closed",
            )?;
            for p in &data.periods {
                stmt.execute(params![
                    p.name,
                    date_text(p.start),
                    date_text(p.end),
                    p.closed
                ])?;
            }
        }
        audit::append(
            &tx,
            change,
            NewEvent {
                action: "master_data.save",
                entity: "master_data",
                entity_id: "",
                before: None,
                after: Some(audit::to_json(data)?),
            },
        )?;
        tx.commit()?;
        Ok(())
    }

    /// All master data, each list ordered by code (periods by start date).
    pub fn master_data(&self) -> Result<MasterData, StoreError> {
        let conn = self.conn();
        let bad = |what: String| StoreError::corrupt(what);

        let mut stmt =
            conn.prepare("SELECT code, name, kind, postable, active FROM accounts ORDER BY code")?;
        let rows: Vec<(String, String, String, bool, bool)> = stmt
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<Result<_, _>>()?;
        let accounts = rows
            .into_iter()
            .map(|(code, name, kind, postable, active)| {
                let kind = AccountKind::parse(&kind)
                    .ok_or_else(|| bad(format!("account {code}: kind '{kind}'")))?;
                Ok(Account {
                    code,
                    name,
                    kind,
                    postable,
                    active,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        let mut stmt = conn.prepare("SELECT code, name, required FROM dimensions ORDER BY code")?;
        let dims: Vec<(String, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
            .collect::<Result<_, _>>()?;
        let mut stmt = conn.prepare(
            "SELECT code, name, active FROM dimension_values WHERE dimension_code = ?1 \
             ORDER BY code",
        )?;
        let mut dimensions = Vec::with_capacity(dims.len());
        for (code, name, required) in dims {
            let values = stmt
                .query_map([&code], |r| {
                    Ok(DimensionValue {
                        code: r.get(0)?,
                        name: r.get(1)?,
                        active: r.get(2)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            dimensions.push(Dimension {
                code,
                name,
                required,
                values,
            });
        }

        type TaxRow = (
            String,
            String,
            String,
            String,
            Option<String>,
            Option<String>,
        );
        let mut stmt = conn.prepare(
            "SELECT code, name, vat_category, rate, input_account, output_account FROM tax_codes \
             ORDER BY code",
        )?;
        let rows: Vec<TaxRow> = stmt
            .query_map([], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<Result<_, _>>()?;
        let tax_codes = rows
            .into_iter()
            .map(
                |(code, name, category, rate, input_account, output_account)| {
                    Ok(TaxCode {
                        vat_category: VatCategory::parse(&category).ok_or_else(|| {
                            bad(format!("tax code {code}: category '{category}'"))
                        })?,
                        rate: parse_decimal(&rate, &format!("tax code {code} rate"))?,
                        code,
                        name,
                        input_account,
                        output_account,
                    })
                },
            )
            .collect::<Result<Vec<_>, StoreError>>()?;

        let mut stmt = conn.prepare(
            "SELECT code, name, vat_id, iban, default_account FROM vendors ORDER BY code",
        )?;
        let vendors = stmt
            .query_map([], |r| {
                Ok(Vendor {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    vat_id: r.get(2)?,
                    iban: r.get(3)?,
                    default_account: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;

        let mut stmt = conn.prepare(
            "SELECT name, start_date, end_date, closed FROM periods ORDER BY start_date, name",
        )?;
        let rows: Vec<(String, String, String, bool)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        let periods = rows
            .into_iter()
            .map(|(name, start, end, closed)| {
                Ok(Period {
                    start: parse_date(&start, &format!("period {name} start"))?,
                    end: parse_date(&end, &format!("period {name} end"))?,
                    name,
                    closed,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;

        Ok(MasterData {
            accounts,
            dimensions,
            tax_codes,
            vendors,
            periods,
        })
    }
}
