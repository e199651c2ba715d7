//! What old ZUGFeRD files leave out, completed with a warning that says what was assumed.
//!
//! ZUGFeRD 1.0 writers of 2014–2015 and the 2014 release candidate (`rsm:Invoice`, CBFBUY 5) are
//! valid by the rules of their day, and Mustang's validator accepts them, yet they omit things a
//! book-keeping system needs: an invoice currency code, dates in the `udt:DateTimeString` form,
//! line net amounts (the release candidate states line totals including VAT) and a header VAT
//! breakdown. Folio completes them only where the rest of the file settles the value exactly — a
//! currency every amount's `currencyID` names, a net amount that is quantity × net price and that
//! the stated gross confirms — and says so in a warning, so a reviewer can check the assumption.

use crate::xml::{at, attr, decimal_at, line as line_no, parse_date_102, text};
use crate::{Rejection, codes};
use folio_domain::{Currency, DocumentLine, Problem, VatBreakdown};
use roxmltree::Node;
use rust_decimal::{Decimal, RoundingStrategy};

/// Countries that use one currency only, for a ZUGFeRD 1 invoice that names none.
const COUNTRY_CURRENCIES: &[(&str, &str)] = &[
    ("AT", "EUR"),
    ("BE", "EUR"),
    ("CH", "CHF"),
    ("CY", "EUR"),
    ("CZ", "CZK"),
    ("DE", "EUR"),
    ("DK", "DKK"),
    ("EE", "EUR"),
    ("ES", "EUR"),
    ("FI", "EUR"),
    ("FR", "EUR"),
    ("GB", "GBP"),
    ("GR", "EUR"),
    ("HR", "EUR"),
    ("HU", "HUF"),
    ("IE", "EUR"),
    ("IT", "EUR"),
    ("LT", "EUR"),
    ("LU", "EUR"),
    ("LV", "EUR"),
    ("MT", "EUR"),
    ("NL", "EUR"),
    ("NO", "NOK"),
    ("PL", "PLN"),
    ("PT", "EUR"),
    ("SE", "SEK"),
    ("SI", "EUR"),
    ("SK", "EUR"),
    ("US", "USD"),
];

/// The currency of an invoice without a currency code (see [`crate::cii`]): the one currency all
/// `currencyID` attributes name, else the single currency of the seller's country or of the
/// seller's IBAN country. Pushes a `CURRENCY_ASSUMED` warning; `None` when nothing settles it.
pub(crate) fn assumed_currency(
    root: Node<'_, '_>,
    agreement: Node<'_, '_>,
    settlement: Node<'_, '_>,
    problems: &mut Vec<Problem>,
) -> Option<Currency> {
    let mut codes: Vec<&str> = root
        .descendants()
        .filter_map(|n| attr(n, "currencyID"))
        .collect();
    let count = codes.len();
    codes.sort_unstable();
    codes.dedup();
    let (currency, why) = match codes.as_slice() {
        [only] => (
            Currency::parse(only).ok()?,
            format!("all {count} amounts carry currencyID=\"{only}\""),
        ),
        [] => {
            let seller_country = at(
                agreement,
                &[
                    "ram:SellerTradeParty",
                    "ram:PostalTradeAddress",
                    "ram:CountryID",
                ],
            )
            .and_then(text)
            .map(|c| (c.to_ascii_uppercase(), "the seller's country"));
            let iban_country = settlement
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name() == "IBANID")
                .and_then(text)
                .and_then(|iban| iban.get(..2))
                .map(|c| (c.to_ascii_uppercase(), "the country of the seller's IBAN"));
            let (country, whose) = seller_country
                .into_iter()
                .chain(iban_country)
                .find(|(c, _)| COUNTRY_CURRENCIES.iter().any(|(known, _)| known == c))?;
            let code = COUNTRY_CURRENCIES
                .iter()
                .find(|(known, _)| *known == country)
                .map(|(_, code)| *code)?;
            (
                Currency::parse(code).ok()?,
                format!("no amount names a currency; {whose} {country} uses only {code}"),
            )
        }
        _ => return None,
    };
    problems.push(Problem::warning(
        "CURRENCY_ASSUMED",
        "currency",
        format!(
            "the invoice currency code (BT-5) is empty; the currency is taken as {}: {why}",
            currency.code()
        ),
    ));
    Some(currency)
}

/// A release-candidate date: the element's own text, format 102.
pub(crate) fn own_text_date(node: Node<'_, '_>) -> Result<chrono::NaiveDate, Rejection> {
    let value = text(node).unwrap_or_default();
    let bad = |what: &str| {
        Rejection::new(
            codes::BAD_DATE,
            format!(
                "{} '{value}' {what} (line {})",
                crate::xml::path(node),
                line_no(node)
            ),
        )
    };
    match attr(node, "format") {
        Some("102") | None => {
            parse_date_102(value).ok_or_else(|| bad("is not a date in the form YYYYMMDD"))
        }
        Some(other) => Err(bad(&format!(
            "has date format '{other}'; invoices use format 102 (YYYYMMDD)"
        ))),
    }
}

fn round2(d: Decimal) -> Decimal {
    d.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// The net amount of a release-candidate line: quantity × net price ÷ price base quantity, rounded
/// to cents. The stated line total is that net amount plus the line's VAT (or, in some files, the
/// net amount itself); a warning shows which, and a total that is neither is refused rather than
/// guessed.
pub(crate) fn line_net(
    line: Node<'_, '_>,
    agreement_name: &str,
    quantity: Decimal,
    stated: Decimal,
    index: usize,
    problems: &mut Vec<Problem>,
) -> Result<Decimal, Rejection> {
    let Some(price_node) = at(line, &[agreement_name, "ram:NetPriceProductTradePrice"]) else {
        return Ok(stated);
    };
    let Some(price) = decimal_at(price_node, &["ram:ChargeAmount"])? else {
        return Ok(stated);
    };
    let base = decimal_at(price_node, &["ram:BasisQuantity"])?
        .filter(|b| !b.is_zero())
        .unwrap_or(Decimal::ONE);
    let net = round2(quantity * price / base);
    if net == stated {
        return Ok(net);
    }
    let rate = line
        .descendants()
        .find(|n| n.is_element() && n.tag_name().name() == "ApplicablePercent")
        .and_then(text)
        .and_then(crate::xml::parse_decimal)
        .unwrap_or_default();
    let gross = round2(net + net * rate / Decimal::ONE_HUNDRED);
    if gross != stated {
        return Err(Rejection::new(
            codes::BAD_AMOUNT,
            format!(
                "line {} (XML line {}): the line total {stated} is neither quantity × net price \
                 ({quantity} × {price} / {base} = {net}) nor that plus {rate} % VAT ({gross})",
                index + 1,
                line_no(line)
            ),
        ));
    }
    problems.push(Problem::warning(
        "LINE_NET_DERIVED",
        format!("lines[{index}].net_amount"),
        format!(
            "line {} (XML line {}) states {stated} including {} % VAT (ZUGFeRD release \
             candidate); its net amount is quantity × net price: {quantity} × {price} / {base} = \
             {net}",
            index + 1,
            line_no(line),
            rate.normalize()
        ),
    ));
    Ok(net)
}

/// The VAT breakdown of a release-candidate invoice, which states none: one group per category
/// and rate, taxable amount the sum of its lines' net amounts, tax that times the rate, rounded
/// to cents. The document's stated tax total is then checked against it by the usual rules.
pub(crate) fn breakdown_from_lines(
    lines: &[DocumentLine],
    currency: Currency,
    problems: &mut Vec<Problem>,
) -> Vec<VatBreakdown> {
    let mut groups: Vec<VatBreakdown> = Vec::new();
    for line in lines {
        match groups
            .iter_mut()
            .find(|g| g.category == line.vat_category && g.rate == line.vat_rate)
        {
            Some(group) => group.taxable_amount += line.net_amount,
            None => groups.push(VatBreakdown {
                category: line.vat_category,
                rate: line.vat_rate,
                taxable_amount: line.net_amount,
                tax_amount: Decimal::ZERO,
                exemption_reason: None,
                exemption_reason_code: None,
            }),
        }
    }
    for group in &mut groups {
        group.tax_amount =
            round2(group.taxable_amount * group.rate.unwrap_or_default() / Decimal::ONE_HUNDRED);
    }
    if !groups.is_empty() {
        let shown: Vec<String> = groups
            .iter()
            .map(|g| {
                format!(
                    "{} {} %: {} {} on {}",
                    g.category.code(),
                    g.rate.unwrap_or_default().normalize(),
                    g.tax_amount,
                    currency.code(),
                    g.taxable_amount
                )
            })
            .collect();
        problems.push(Problem::warning(
            "VAT_BREAKDOWN_DERIVED",
            "vat_breakdown",
            format!(
                "the invoice has no VAT breakdown (ZUGFeRD release candidate); it is computed from \
                 the lines: {}",
                shown.join("; ")
            ),
        ));
    }
    groups
}
