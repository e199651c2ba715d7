//! The content of `folio init --demo`: master data and 26 supplier e-invoices that Folio writes
//! itself.
//!
//! Why it exists: a reviewer trying Folio, and every developer working on it, needs a realistic
//! workspace on the first run — a chart of accounts, cost centres, tax codes, vendors, and an inbox
//! of UBL and CII invoices in several currencies and VAT categories — without a GL connection and
//! without real supplier documents, which are confidential and cannot be shipped. Generating them
//! here, rather than checking in sample files, keeps them
//!
//! - **recent**: every date is relative to the `today` the caller passes, so the invoices always
//!   fall into open periods and due dates look plausible;
//! - **pure and reproducible**: no IO, no clock, no randomness; the same `today` gives
//!   byte-identical files, which the tests rely on;
//! - **exact**: every amount follows the EN 16931 arithmetic (see [`calc`]), computed with
//!   `Decimal` by one helper for both syntaxes, so the importer's checks must find no problem;
//! - **valid**: element order follows the UBL 2.1 and CII D16B schemas, the Peppol BIS 3 / EN 16931
//!   rules for each VAT category are respected, and IBANs and VAT ids carry correct check digits;
//! - **fictional**: names, addresses (`.example` e-mail domains) and numbers are invented.
//!
//! The demo company is a German GmbH ([`demo_company`]) with an SKR03-like chart of accounts.

mod calc;
mod catalogue;
mod cii;
mod ids;
mod model;
mod ubl;
mod vendors;
mod xml;

use chrono::{Datelike, Months, NaiveDate};
use folio_domain::{
    Account, AccountKind, Address, Dimension, DimensionValue, Party, Period, Syntax, TaxCode,
    VatCategory, Vendor,
};
use rust_decimal::Decimal;

/// The demo's clerk: imports the demo invoices and prepares their journals.
pub const DEMO_CLERK: &str = "clerk";

/// The demo's users besides whoever created the workspace (its admin): a clerk and two
/// controllers, so that a policy asking for two approvers can be tried.
pub const DEMO_USERS: [(&str, crate::access::Role); 3] = [
    (DEMO_CLERK, crate::access::Role::Clerk),
    ("controller", crate::access::Role::Controller),
    ("controller2", crate::access::Role::Controller),
];

/// The master data of the demo ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoMasterData {
    pub accounts: Vec<Account>,
    pub dimensions: Vec<Dimension>,
    pub tax_codes: Vec<TaxCode>,
    pub vendors: Vec<Vendor>,
    pub periods: Vec<Period>,
}

/// One demo invoice file, named like `01-ubl-invoice-NB-2025-10417.xml`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoFile {
    pub file_name: String,
    pub bytes: Vec<u8>,
}

/// The fixed demo coding used by the first journal builder: which expense account and cost centre a
/// vendor's lines go to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoCoding {
    pub vendor_vat_id: String,
    pub expense_account: String,
    pub cost_centre: String,
}

/// The code of the required cost-centre dimension.
pub const COST_CENTRE: &str = "cost_centre";
/// The code of the optional project dimension.
pub const PROJECT: &str = "project";

/// Chart of accounts, dimensions, tax codes, vendors and periods of the demo ledger.
///
/// Periods: the twelve months of `today`'s year and the last three months of the year before;
/// a period is closed when it ended more than two months before `today`.
pub fn demo_master_data(today: NaiveDate) -> DemoMasterData {
    DemoMasterData {
        accounts: accounts(),
        dimensions: dimensions(),
        tax_codes: tax_codes(),
        vendors: vendors::profiles()
            .into_iter()
            .map(|p| Vendor {
                code: p.code.to_owned(),
                name: p.party.name,
                vat_id: p.party.vat_id,
                iban: p.iban,
                default_account: Some(p.default_account.to_owned()),
            })
            .collect(),
        periods: periods(today),
    }
}

/// The demo invoices and credit notes, half UBL and half CII, issued 2 to 58 days before `today`.
pub fn demo_invoices(today: NaiveDate) -> Vec<DemoFile> {
    catalogue::invoices(today)
        .iter()
        .enumerate()
        .map(|(index, invoice)| {
            let totals = calc::compute(invoice);
            let (syntax, bytes) = match invoice.syntax {
                Syntax::Cii => ("cii", cii::write(invoice, &totals)),
                _ => ("ubl", ubl::write(invoice, &totals)),
            };
            let kind = if invoice.credit_note {
                "credit-note"
            } else {
                "invoice"
            };
            DemoFile {
                file_name: format!("{:02}-{syntax}-{kind}-{}.xml", index + 1, invoice.number),
                bytes,
            }
        })
        .collect()
}

/// Expense account and cost centre per vendor, keyed by VAT id. The two vendors without a VAT id
/// (the US conference organiser and the Japanese workshop) are deliberately absent: their invoices
/// show what coding by hand looks like.
pub fn demo_coding() -> Vec<DemoCoding> {
    vendors::profiles()
        .into_iter()
        .filter_map(|p| {
            Some(DemoCoding {
                vendor_vat_id: p.party.vat_id?,
                expense_account: p.default_account.to_owned(),
                cost_centre: p.cost_centre.to_owned(),
            })
        })
        .collect()
}

/// The buyer on every demo invoice: Folio Demo GmbH, Berlin.
pub fn demo_company() -> Party {
    let company = vendors::company();
    Party {
        name: company.name,
        vat_id: company.vat_id,
        legal_id: company.legal_id.map(|(id, _)| id),
        endpoint_id: Some(company.endpoint.1),
        address: Address {
            lines: vec![company.street],
            city: Some(company.city),
            postal_code: Some(company.postal_code),
            subdivision: None,
            country_code: Some(company.country.to_owned()),
        },
        contact_email: Some(company.email),
        ..Party::default()
    }
}

fn accounts() -> Vec<Account> {
    use AccountKind::{Asset, Equity, Expense, Income, Liability};
    let account = |code: &str, name: &str, kind: AccountKind| Account {
        code: code.to_owned(),
        name: name.to_owned(),
        kind,
        postable: true,
        active: true,
    };
    vec![
        account("0490", "Other operating and office equipment", Asset),
        account("0800", "Subscribed capital", Equity),
        account("1200", "Bank", Asset),
        account("1571", "Input VAT 7 %", Asset),
        account(
            "1574",
            "Input VAT on intra-community acquisitions 19 %",
            Asset,
        ),
        account("1576", "Input VAT 19 %", Asset),
        account("1577", "Input VAT reverse charge (§ 13b UStG) 19 %", Asset),
        account("1579", "Foreign input VAT (refund procedure)", Asset),
        account("1600", "Accounts payable (trade creditors)", Liability),
        account(
            "1774",
            "Output VAT on intra-community acquisitions 19 %",
            Liability,
        ),
        account("1776", "Output VAT 19 %", Liability),
        account(
            "1787",
            "Output VAT reverse charge (§ 13b UStG) 19 %",
            Liability,
        ),
        account("2150", "Foreign exchange losses", Expense),
        account("2660", "Foreign exchange gains", Income),
        Account {
            postable: false,
            ..account("4000", "Operating expenses", Expense)
        },
        account("4210", "Rent", Expense),
        account("4240", "Utilities (gas, electricity, water)", Expense),
        account("4250", "Cleaning", Expense),
        account("4600", "Marketing and advertising", Expense),
        account("4660", "Travel expenses", Expense),
        account("4730", "Freight and shipping", Expense),
        account("4800", "Repairs and maintenance", Expense),
        account("4855", "Hardware and low-value assets", Expense),
        account("4900", "Other operating expenses (to be coded)", Expense),
        account("4920", "Telecommunications", Expense),
        account("4930", "Office supplies", Expense),
        Account {
            active: false,
            ..account("4940", "Periodicals and books (merged into 4930)", Expense)
        },
        account("4945", "Training and further education", Expense),
        account("4950", "Legal and consulting fees", Expense),
        account("4964", "IT and software subscriptions", Expense),
        account("4990", "Rounding differences", Expense),
        account("8400", "Revenue 19 % VAT", Income),
    ]
}

fn dimensions() -> Vec<Dimension> {
    let value = |code: &str, name: &str, active: bool| DimensionValue {
        code: code.to_owned(),
        name: name.to_owned(),
        active,
    };
    vec![
        Dimension {
            code: COST_CENTRE.to_owned(),
            name: "Cost centre".to_owned(),
            required: true,
            values: vec![
                value("CC-100", "Administration", true),
                value("CC-200", "Sales", true),
                value("CC-300", "IT", true),
                value("CC-400", "Operations", true),
                value("CC-500", "Marketing", true),
                value("CC-900", "Retail store Hamburg (closed)", false),
            ],
        },
        Dimension {
            code: PROJECT.to_owned(),
            name: "Project".to_owned(),
            required: false,
            values: vec![
                value("PRJ-01", "ERP migration", true),
                value("PRJ-02", "Office move", true),
                value("PRJ-03", "Trade fair season", true),
            ],
        },
    ]
}

/// Tax codes. Reverse charge (AE) and intra-community acquisition (K) carry the rate the buyer
/// self-assesses (19 %) and both accounts; the invoices themselves show 0 % for them. FR 20 % and
/// GB 20 % share category and rate: the supplier's country tells them apart.
fn tax_codes() -> Vec<TaxCode> {
    let code = |code: &str,
                name: &str,
                vat_category: VatCategory,
                rate: i64,
                input: Option<&str>,
                output: Option<&str>| TaxCode {
        code: code.to_owned(),
        name: name.to_owned(),
        vat_category,
        rate: Decimal::from(rate),
        input_account: input.map(str::to_owned),
        output_account: output.map(str::to_owned),
    };
    use VatCategory::{AE, E, K, O, S, Z};
    vec![
        code("DE19", "Germany 19 %", S, 19, Some("1576"), None),
        code("DE7", "Germany 7 %", S, 7, Some("1571"), None),
        code(
            "FR20",
            "France 20 % (refund procedure)",
            S,
            20,
            Some("1579"),
            None,
        ),
        code(
            "NL21",
            "Netherlands 21 % (refund procedure)",
            S,
            21,
            Some("1579"),
            None,
        ),
        code(
            "GB20",
            "United Kingdom 20 % (refund procedure)",
            S,
            20,
            Some("1579"),
            None,
        ),
        code("Z", "Zero-rated", Z, 0, None, None),
        code("E", "Exempt", E, 0, None, None),
        code(
            "AE19",
            "Reverse charge (§ 13b UStG) 19 %",
            AE,
            19,
            Some("1577"),
            Some("1787"),
        ),
        code(
            "K19",
            "Intra-community acquisition 19 %",
            K,
            19,
            Some("1574"),
            Some("1774"),
        ),
        code("O", "Outside the scope of VAT", O, 0, None, None),
    ]
}

fn month(year: i32, month: u32, today: NaiveDate) -> Option<Period> {
    let start = NaiveDate::from_ymd_opt(year, month, 1)?;
    let end = start.checked_add_months(Months::new(1))?.pred_opt()?;
    let close_before = today.checked_sub_months(Months::new(2))?;
    Some(Period {
        name: format!("{year}-{month:02}"),
        start,
        end,
        closed: end < close_before,
    })
}

fn periods(today: NaiveDate) -> Vec<Period> {
    let year = today.year();
    (10..=12)
        .filter_map(|m| month(year - 1, m, today))
        .chain((1..=12).filter_map(|m| month(year, m, today)))
        .collect()
}
