//! UN/CEFACT Cross Industry Invoice → [`Document`]: CII D16B (`rsm:CrossIndustryInvoice`, i.e.
//! XRechnung CII and Factur-X / ZUGFeRD 2.x at every profile) and its ancestor ZUGFeRD 1.0
//! (`rsm:CrossIndustryDocument`).
//!
//! ZUGFeRD 1.0 has the same structure under older names (`HeaderExchangedDocument`,
//! `ApplicableSupplyChainTradeSettlement`, `ApplicablePercent`, …), so one mapper reads both and a
//! [`Dialect`] supplies the names that differ. The 2014 ZUGFeRD release candidate (`rsm:Invoice`,
//! CBFBUY 5, found in early ZUGFeRD PDFs) uses the ZUGFeRD 1 names without namespaces, writes dates
//! as the element's own text, states line totals *including* VAT and has no header VAT breakdown:
//! its line net amounts are computed from quantity and net price and its breakdown from the lines,
//! each with a warning saying so. The MINIMUM and BASIC WL profiles carry no lines:
//! they become header-only documents (`lines` empty), and a missing line total (BT-106, absent in
//! MINIMUM) is taken to be what BR-CO-13 implies (BT-109 + allowances − charges).

use crate::facts::{
    Attachment, Contact, Facts, LineFacts, PaymentMeans, Period, PlainAddress, TaxRepresentative,
};
use crate::xml::parse_date_102;
use crate::xml::{
    at, attr, boolean, child, children, cii_date, decimal, decimal_at, line as line_no, missing,
    required_decimal, text, text_at, vat_category,
};
use crate::{Mapped, Rejection};
use folio_domain::{
    Address, AllowanceCharge, Currency, Document, DocumentLine, Party, PaymentInfo, Problem,
    References, Severity, Syntax, Totals, VatBreakdown, VatCategory,
};
use roxmltree::Node;
use rust_decimal::Decimal;

/// A VAT category and rate of the header's breakdown.
type HeaderVat = (VatCategory, Option<Decimal>);

/// Which generation of CII a tree is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// CII D16B (`urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100`).
    D16B,
    /// ZUGFeRD 1.0 (`urn:ferd:CrossIndustryDocument:invoice:1p0`).
    Zugferd1,
    /// The 2014 ZUGFeRD release candidate (`urn:un:unece:uncefact:data:standard:CBFBUY:5`).
    ZugferdRc,
}

/// Element names that differ between the dialects.
struct Names {
    syntax: Syntax,
    context: &'static str,
    header: &'static str,
    transaction: &'static str,
    agreement: &'static str,
    settlement: &'static str,
    summation: &'static str,
    line_agreement: &'static str,
    line_delivery: &'static str,
    line_settlement: &'static str,
    line_summation: &'static str,
    rate: &'static str,
    reference_id: &'static str,
    /// The 2014 release candidate (see the module documentation).
    release_candidate: bool,
}

const D16B: Names = Names {
    syntax: Syntax::Cii,
    context: "rsm:ExchangedDocumentContext",
    header: "rsm:ExchangedDocument",
    transaction: "rsm:SupplyChainTradeTransaction",
    agreement: "ram:ApplicableHeaderTradeAgreement",
    settlement: "ram:ApplicableHeaderTradeSettlement",
    summation: "ram:SpecifiedTradeSettlementHeaderMonetarySummation",
    line_agreement: "ram:SpecifiedLineTradeAgreement",
    line_delivery: "ram:SpecifiedLineTradeDelivery",
    line_settlement: "ram:SpecifiedLineTradeSettlement",
    line_summation: "ram:SpecifiedTradeSettlementLineMonetarySummation",
    rate: "ram:RateApplicablePercent",
    reference_id: "ram:IssuerAssignedID",
    release_candidate: false,
};

const ZUGFERD1: Names = Names {
    syntax: Syntax::Zugferd1,
    context: "rsm:SpecifiedExchangedDocumentContext",
    header: "rsm:HeaderExchangedDocument",
    transaction: "rsm:SpecifiedSupplyChainTradeTransaction",
    agreement: "ram:ApplicableSupplyChainTradeAgreement",
    settlement: "ram:ApplicableSupplyChainTradeSettlement",
    summation: "ram:SpecifiedTradeSettlementMonetarySummation",
    line_agreement: "ram:SpecifiedSupplyChainTradeAgreement",
    line_delivery: "ram:SpecifiedSupplyChainTradeDelivery",
    line_settlement: "ram:SpecifiedSupplyChainTradeSettlement",
    line_summation: "ram:SpecifiedTradeSettlementMonetarySummation",
    rate: "ram:ApplicablePercent",
    reference_id: "ram:ID",
    release_candidate: false,
};

const ZUGFERD_RC: Names = Names {
    release_candidate: true,
    ..ZUGFERD1
};

/// Reads a CII D16B or ZUGFeRD 1.0 tree.
pub fn read(tree: &roxmltree::Document<'_>, dialect: Dialect) -> Result<Mapped, Rejection> {
    let n = match dialect {
        Dialect::D16B => &D16B,
        Dialect::Zugferd1 => &ZUGFERD1,
        Dialect::ZugferdRc => &ZUGFERD_RC,
    };
    let root = tree.root_element();
    let header = child(root, n.header).ok_or_else(|| missing(root, &[n.header]))?;
    let transaction = child(root, n.transaction).ok_or_else(|| missing(root, &[n.transaction]))?;
    let agreement =
        child(transaction, n.agreement).ok_or_else(|| missing(transaction, &[n.agreement]))?;
    let settlement =
        child(transaction, n.settlement).ok_or_else(|| missing(transaction, &[n.settlement]))?;

    let mut problems = Vec::new();
    let number = text_at(header, &["ram:ID"]).ok_or_else(|| missing(header, &["ram:ID"]))?;
    let issue_date = date(
        child(header, "ram:IssueDateTime")
            .ok_or_else(|| missing(header, &["ram:IssueDateTime"]))?,
        n,
    )?;
    let currency = invoice_currency(root, agreement, settlement, n, &mut problems)?;
    let tax_currency = child(settlement, "ram:TaxCurrencyCode")
        .map(crate::xml::currency)
        .transpose()?;
    let type_code = text_at(header, &["ram:TypeCode"]);

    let seller_node = child(agreement, "ram:SellerTradeParty")
        .ok_or_else(|| missing(agreement, &["ram:SellerTradeParty"]))?;
    let supplier = party(seller_node);
    if supplier.name.is_empty() {
        return Err(missing(seller_node, &["ram:Name"]));
    }
    let buyer = child(agreement, "ram:BuyerTradeParty")
        .map(party)
        .unwrap_or_default();
    let payee = child(settlement, "ram:PayeeTradeParty").map(party);

    let mut allowances_charges = Vec::new();
    for node in children(settlement, "ram:SpecifiedTradeAllowanceCharge") {
        allowances_charges.push(allowance_charge(node, n, true)?);
    }
    for node in children(settlement, "ram:SpecifiedLogisticsServiceCharge") {
        allowances_charges.push(logistics_charge(node, n)?);
    }
    let mut vat_breakdown = Vec::new();
    let mut tax_point_date = None;
    for (index, node) in children(settlement, "ram:ApplicableTradeTax").enumerate() {
        if tax_point_date.is_none()
            && let Some(point) = child(node, "ram:TaxPointDate")
        {
            tax_point_date = Some(date(point, n)?);
        }
        vat_breakdown.push(breakdown(node, n, index, &mut problems)?);
    }
    // When the invoice has a single VAT category and rate, lines without one (ZUGFeRD 1 BASIC) fall
    // under it.
    let header_vat: Vec<HeaderVat> = vat_breakdown.iter().map(|b| (b.category, b.rate)).collect();
    let single_vat = match vat_breakdown.as_slice() {
        [only] => Some((only.category, only.rate)),
        _ => None,
    };
    let mut lines = Vec::new();
    for (index, node) in children(transaction, "ram:IncludedSupplyChainTradeLineItem").enumerate() {
        lines.push(line(
            node,
            n,
            index,
            (single_vat, &header_vat),
            &mut problems,
        )?);
    }

    if n.release_candidate && vat_breakdown.is_empty() {
        vat_breakdown = crate::cii_legacy::breakdown_from_lines(&lines, currency, &mut problems);
    }
    let summation =
        child(settlement, n.summation).ok_or_else(|| missing(settlement, &[n.summation]))?;
    let (tax_total, tax_total_in_tax_currency) = tax_totals(summation, currency, tax_currency)?;
    let allowance_total = decimal_at(summation, &["ram:AllowanceTotalAmount"])?;
    let charge_total = decimal_at(summation, &["ram:ChargeTotalAmount"])?;
    let tax_exclusive = required_decimal(summation, &["ram:TaxBasisTotalAmount"])?;
    let line_net_total = match decimal_at(summation, &["ram:LineTotalAmount"])? {
        Some(total) => total,
        None if lines.is_empty() => {
            tax_exclusive + allowance_total.unwrap_or_default() - charge_total.unwrap_or_default()
        }
        None => lines.iter().map(|l| l.net_amount).sum(),
    };
    let tax_inclusive = required_decimal(summation, &["ram:GrandTotalAmount"])?;
    let prepaid = decimal_at(summation, &["ram:TotalPrepaidAmount"])?;
    let rounding = decimal_at(summation, &["ram:RoundingAmount"])?;
    let payable = match decimal_at(summation, &["ram:DuePayableAmount"])? {
        Some(payable) => payable,
        // ZUGFeRD 1 BASIC has no amount due: it is the grand total less what was paid.
        None if n.syntax == Syntax::Zugferd1 => {
            let payable =
                tax_inclusive - prepaid.unwrap_or_default() + rounding.unwrap_or_default();
            problems.push(Problem::new(
                "PAYABLE_DERIVED",
                Severity::Info,
                "totals.payable",
                format!(
                    "the invoice states no amount due (ZUGFeRD 1 BASIC); it is taken as the grand \
                     total less prepaid: {payable}"
                ),
            ));
            payable
        }
        None => return Err(missing(summation, &["ram:DuePayableAmount"])),
    };
    let totals = Totals {
        line_net_total,
        allowance_total,
        charge_total,
        tax_exclusive,
        tax_total,
        tax_inclusive,
        prepaid,
        rounding,
        payable,
    };

    let mut due_date = None;
    for terms in children(settlement, "ram:SpecifiedTradePaymentTerms") {
        if let Some(due) = child(terms, "ram:DueDateDateTime") {
            due_date = Some(date(due, n)?);
            break;
        }
    }

    let context = child(root, n.context);
    let document = Document {
        syntax: n.syntax,
        doc_type: crate::ubl::doc_type_for(type_code.as_deref()),
        type_code,
        customization_id: context.and_then(|c| {
            text_at(
                c,
                &["ram:GuidelineSpecifiedDocumentContextParameter", "ram:ID"],
            )
        }),
        profile_id: context.and_then(|c| {
            text_at(
                c,
                &[
                    "ram:BusinessProcessSpecifiedDocumentContextParameter",
                    "ram:ID",
                ],
            )
        }),
        number,
        issue_date,
        due_date,
        tax_point_date,
        currency,
        tax_currency: tax_currency.filter(|c| *c != currency),
        tax_total_in_tax_currency,
        supplier,
        buyer,
        payee,
        lines,
        allowances_charges,
        vat_breakdown,
        totals,
        payment: payment(settlement),
        references: references(agreement, settlement, n),
        notes: children(header, "ram:IncludedNote")
            .filter_map(|note| text_at(note, &["ram:Content"]))
            .collect(),
    };
    let facts = match dialect {
        Dialect::D16B => facts(transaction, agreement, settlement),
        // ZUGFeRD 1.0 predates EN 16931: its documents are held to the arithmetic rules only.
        Dialect::Zugferd1 | Dialect::ZugferdRc => Facts::default(),
    };
    Ok(Mapped {
        document,
        problems,
        facts,
    })
}

/// A CII period (`BillingSpecifiedPeriod`), lenient about dates: a bad date is simply unknown.
fn period(node: Node<'_, '_>) -> Option<Period> {
    let p = child(node, "ram:BillingSpecifiedPeriod")?;
    let date = |step: &str| {
        at(p, &[step, "udt:DateTimeString"])
            .and_then(text)
            .and_then(parse_date_102)
    };
    Some(Period {
        start: date("ram:StartDateTime"),
        end: date("ram:EndDateTime"),
    })
}

/// What the rules need beyond the document (see [`crate::facts`]); CII D16B only.
fn facts(transaction: Node<'_, '_>, agreement: Node<'_, '_>, settlement: Node<'_, '_>) -> Facts {
    let seller = child(agreement, "ram:SellerTradeParty");
    let buyer = child(agreement, "ram:BuyerTradeParty");
    let without_scheme = |party: Option<Node<'_, '_>>| {
        party
            .and_then(|p| at(p, &["ram:URIUniversalCommunication", "ram:URIID"]))
            .is_some_and(|e| attr(e, "schemeID").is_none())
    };
    let delivery = child(transaction, "ram:ApplicableHeaderTradeDelivery");
    let terms: Vec<Node<'_, '_>> = children(settlement, "ram:SpecifiedTradePaymentTerms").collect();
    Facts {
        known: true,
        seller_contact: seller
            .and_then(|p| child(p, "ram:DefinedTradeContact"))
            .map(|c| Contact {
                name: text_at(c, &["ram:PersonName"])
                    .or_else(|| text_at(c, &["ram:DepartmentName"])),
                phone: text_at(
                    c,
                    &["ram:TelephoneUniversalCommunication", "ram:CompleteNumber"],
                ),
                email: text_at(c, &["ram:EmailURIUniversalCommunication", "ram:URIID"]),
            }),
        seller_endpoint_without_scheme: without_scheme(seller),
        buyer_endpoint_without_scheme: without_scheme(buyer),
        tax_representative: child(agreement, "ram:SellerTaxRepresentativeTradeParty").map(|t| {
            TaxRepresentative {
                name: text_at(t, &["ram:Name"]),
                has_address: child(t, "ram:PostalTradeAddress").is_some(),
                country_code: text_at(t, &["ram:PostalTradeAddress", "ram:CountryID"]),
                vat_id: children(t, "ram:SpecifiedTaxRegistration")
                    .filter_map(|r| child(r, "ram:ID"))
                    .find(|id| attr(*id, "schemeID") == Some("VA"))
                    .and_then(text)
                    .map(str::to_owned),
            }
        }),
        payment_means: children(settlement, "ram:SpecifiedTradeSettlementPaymentMeans")
            .map(|m| PaymentMeans {
                code: text_at(m, &["ram:TypeCode"]),
                credit_accounts: children(m, "ram:PayeePartyCreditorFinancialAccount")
                    .map(|a| {
                        text_at(a, &["ram:IBANID"])
                            .or_else(|| text_at(a, &["ram:ProprietaryID"]))
                            .unwrap_or_default()
                    })
                    .collect(),
                card: child(m, "ram:ApplicableTradeSettlementFinancialCard")
                    .map(|c| text_at(c, &["ram:ID"]).unwrap_or_default()),
                direct_debit: at(m, &["ram:PayerPartyDebtorFinancialAccount", "ram:IBANID"])
                    .and_then(text)
                    .is_some(),
                debited_account: text_at(
                    m,
                    &["ram:PayerPartyDebtorFinancialAccount", "ram:IBANID"],
                ),
            })
            .collect(),
        payment_terms_raw: terms
            .iter()
            .filter_map(|t| child(*t, "ram:Description"))
            .map(|d| d.text().unwrap_or_default().to_owned())
            .collect(),
        direct_debit_header: terms
            .iter()
            .any(|t| text_at(*t, &["ram:DirectDebitMandateID"]).is_some())
            || text_at(settlement, &["ram:CreditorReferenceID"]).is_some(),
        invoice_period: period(settlement),
        tax_point_date_code: children(settlement, "ram:ApplicableTradeTax")
            .any(|t| child(t, "ram:DueDateTypeCode").is_some()),
        actual_delivery_date: delivery
            .and_then(|d| {
                at(
                    d,
                    &[
                        "ram:ActualDeliverySupplyChainEvent",
                        "ram:OccurrenceDateTime",
                    ],
                )
            })
            .is_some(),
        deliver_to: delivery
            .and_then(|d| at(d, &["ram:ShipToTradeParty", "ram:PostalTradeAddress"]))
            .map(|a| PlainAddress {
                city: text_at(a, &["ram:CityName"]),
                postal_code: text_at(a, &["ram:PostcodeCode"]),
                country_code: text_at(a, &["ram:CountryID"]),
            }),
        attachments: children(agreement, "ram:AdditionalReferencedDocument")
            .filter(|r| text_at(*r, &["ram:TypeCode"]).as_deref() == Some("916"))
            .map(|r| Attachment {
                id: text_at(r, &["ram:IssuerAssignedID"]),
                filename: child(r, "ram:AttachmentBinaryObject")
                    .and_then(|b| attr(b, "filename"))
                    .map(str::to_owned),
            })
            .collect(),
        preceding_without_id: children(settlement, "ram:InvoiceReferencedDocument")
            .filter(|d| text_at(*d, &["ram:IssuerAssignedID"]).is_none())
            .count(),
        lines: children(transaction, "ram:IncludedSupplyChainTradeLineItem")
            .map(|line| {
                let product = child(line, "ram:SpecifiedTradeProduct");
                LineFacts {
                    has_id: at(line, &["ram:AssociatedDocumentLineDocument", "ram:LineID"])
                        .and_then(text)
                        .is_some(),
                    period: child(line, "ram:SpecifiedLineTradeSettlement").and_then(period),
                    gross_price: at(
                        line,
                        &[
                            "ram:SpecifiedLineTradeAgreement",
                            "ram:GrossPriceProductTradePrice",
                            "ram:ChargeAmount",
                        ],
                    )
                    .and_then(|n| decimal(n).ok()),
                    standard_id_without_scheme: product
                        .and_then(|p| child(p, "ram:GlobalID"))
                        .is_some_and(|id| attr(id, "schemeID").is_none()),
                    classification_without_scheme: product.is_some_and(|p| {
                        children(p, "ram:DesignatedProductClassification")
                            .filter_map(|c| child(c, "ram:ClassCode"))
                            .any(|c| attr(c, "listID").is_none())
                    }),
                    incomplete_attribute: product.is_some_and(|p| {
                        children(p, "ram:ApplicableProductCharacteristic").any(|c| {
                            text_at(c, &["ram:Description"]).is_none()
                                || text_at(c, &["ram:Value"]).is_none()
                        })
                    }),
                    sub_lines: None,
                    sub_lines_without_category: 0,
                }
            })
            .collect(),
    }
}

/// `ram:TaxTotalAmount` appears once per currency: the one in the invoice currency (or without a
/// currency) is BT-110, the one in the tax currency is BT-111.
fn tax_totals(
    summation: Node<'_, '_>,
    currency: Currency,
    tax_currency: Option<Currency>,
) -> Result<(Option<Decimal>, Option<Decimal>), Rejection> {
    let mut main = None;
    let mut in_tax_currency = None;
    for node in children(summation, "ram:TaxTotalAmount") {
        let code = attr(node, "currencyID");
        let is_tax_currency =
            tax_currency.is_some_and(|tc| tc != currency && code == Some(tc.code()));
        if is_tax_currency {
            if in_tax_currency.is_none() {
                in_tax_currency = Some(decimal(node)?);
            }
        } else if main.is_none() {
            main = Some(decimal(node)?);
        }
    }
    Ok((main, in_tax_currency))
}

/// One `ram:ApplicableTradeTax` of the header. ZUGFeRD 1 BASIC has no category code: a positive
/// rate is then the standard rate (S), with a warning; anything else must say its category.
fn breakdown(
    node: Node<'_, '_>,
    n: &Names,
    index: usize,
    problems: &mut Vec<Problem>,
) -> Result<VatBreakdown, Rejection> {
    let rate = decimal_at(node, &[n.rate])?;
    let category = match child(node, "ram:CategoryCode") {
        Some(category) => vat_category(category)?,
        None if n.syntax == Syntax::Zugferd1 && rate.is_some_and(|r| r > Decimal::ZERO) => {
            problems.push(Problem::warning(
                "VAT_CATEGORY_ASSUMED",
                format!("vat_breakdown[{index}].category"),
                format!(
                    "the VAT breakdown at XML line {} has a rate but no category code (ZUGFeRD 1 \
                     BASIC); it is read as standard rate (S)",
                    line_no(node)
                ),
            ));
            VatCategory::S
        }
        None => return Err(missing(node, &["ram:CategoryCode"])),
    };
    Ok(VatBreakdown {
        category,
        rate,
        taxable_amount: required_decimal(node, &["ram:BasisAmount"])?,
        tax_amount: required_decimal(node, &["ram:CalculatedAmount"])?,
        exemption_reason: text_at(node, &["ram:ExemptionReason"]),
        exemption_reason_code: text_at(node, &["ram:ExemptionReasonCode"]),
    })
}

fn party(node: Node<'_, '_>) -> Party {
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for registration in children(node, "ram:SpecifiedTaxRegistration") {
        let Some(id_node) = child(registration, "ram:ID") else {
            continue;
        };
        let id = text(id_node).map(str::to_owned);
        match attr(id_node, "schemeID") {
            Some("VA") if vat_id.is_none() => vat_id = id,
            Some("FC") if tax_registration_id.is_none() => tax_registration_id = id,
            _ => {}
        }
    }
    let legal = child(node, "ram:SpecifiedLegalOrganization");
    Party {
        name: text_at(node, &["ram:Name"]).unwrap_or_default(),
        trading_name: legal.and_then(|l| text_at(l, &["ram:TradingBusinessName"])),
        vat_id,
        tax_registration_id,
        legal_id: legal.and_then(|l| text_at(l, &["ram:ID"])),
        party_id: text_at(node, &["ram:ID"]).or_else(|| text_at(node, &["ram:GlobalID"])),
        endpoint_id: text_at(node, &["ram:URIUniversalCommunication", "ram:URIID"]),
        address: child(node, "ram:PostalTradeAddress")
            .map(address)
            .unwrap_or_default(),
        contact_email: children(node, "ram:DefinedTradeContact")
            .find_map(|c| text_at(c, &["ram:EmailURIUniversalCommunication", "ram:URIID"])),
    }
}

fn address(node: Node<'_, '_>) -> Address {
    Address {
        lines: ["ram:LineOne", "ram:LineTwo", "ram:LineThree"]
            .iter()
            .filter_map(|step| text_at(node, &[step]))
            .collect(),
        city: text_at(node, &["ram:CityName"]),
        postal_code: text_at(node, &["ram:PostcodeCode"]),
        subdivision: text_at(node, &["ram:CountrySubDivisionName"]),
        country_code: text_at(node, &["ram:CountryID"]),
    }
}

/// A `ram:SpecifiedTradeAllowanceCharge` on document (`with_tax`) or line level.
fn allowance_charge(
    node: Node<'_, '_>,
    n: &Names,
    with_tax: bool,
) -> Result<AllowanceCharge, Rejection> {
    let indicator = at(node, &["ram:ChargeIndicator", "udt:Indicator"])
        .ok_or_else(|| missing(node, &["ram:ChargeIndicator", "udt:Indicator"]))?;
    let tax = if with_tax {
        child(node, "ram:CategoryTradeTax")
    } else {
        None
    };
    Ok(AllowanceCharge {
        is_charge: boolean(indicator)?,
        amount: required_decimal(node, &["ram:ActualAmount"])?,
        base_amount: decimal_at(node, &["ram:BasisAmount"])?,
        percentage: decimal_at(node, &["ram:CalculationPercent"])?,
        reason: text_at(node, &["ram:Reason"]),
        reason_code: text_at(node, &["ram:ReasonCode"]),
        vat_category: tax
            .and_then(|t| child(t, "ram:CategoryCode"))
            .map(vat_category)
            .transpose()?,
        vat_rate: tax.map(|t| decimal_at(t, &[n.rate])).transpose()?.flatten(),
    })
}

/// A `ram:SpecifiedLogisticsServiceCharge` (freight, used by ZUGFeRD 1 and CII EXTENDED): a
/// document-level charge that the charge total (BT-108) includes.
fn logistics_charge(node: Node<'_, '_>, n: &Names) -> Result<AllowanceCharge, Rejection> {
    let tax = child(node, "ram:AppliedTradeTax");
    Ok(AllowanceCharge {
        is_charge: true,
        amount: required_decimal(node, &["ram:AppliedAmount"])?,
        base_amount: None,
        percentage: None,
        reason: text_at(node, &["ram:Description"]),
        reason_code: None,
        vat_category: tax
            .and_then(|t| child(t, "ram:CategoryCode"))
            .map(vat_category)
            .transpose()?,
        vat_rate: tax.map(|t| decimal_at(t, &[n.rate])).transpose()?.flatten(),
    })
}

/// A line item. Where a profile leaves out what EN 16931 requires, the line is completed without
/// inventing amounts, and a warning says so:
/// - a line with neither quantity nor line total is a text line (ZUGFeRD 1 EXTENDED): zero amounts;
/// - a missing net price (ZUGFeRD 1 BASIC) becomes the line total for the billed quantity as the
///   price base quantity, which multiplies back to the line total exactly;
/// - a missing VAT category takes the invoice's only VAT category and rate.
fn line(
    node: Node<'_, '_>,
    n: &Names,
    index: usize,
    (single_vat, header_vat): (Option<HeaderVat>, &[HeaderVat]),
    problems: &mut Vec<Problem>,
) -> Result<DocumentLine, Rejection> {
    let field = |name: &str| format!("lines[{index}].{name}");
    let product = child(node, "ram:SpecifiedTradeProduct");
    let agreement = child(node, n.line_agreement);
    let settlement = child(node, n.line_settlement);
    let quantity_node = at(node, &[n.line_delivery, "ram:BilledQuantity"]);
    let net_node = settlement.and_then(|s| at(s, &[n.line_summation, "ram:LineTotalAmount"]));
    let is_text_line = quantity_node.is_none() && net_node.is_none();
    if is_text_line {
        problems.push(Problem::new(
            "TEXT_LINE",
            Severity::Info,
            field("net_amount"),
            format!(
                "line {} (XML line {}) has no quantity and no amount; it is read as a text line \
                 with zero amounts",
                index + 1,
                line_no(node)
            ),
        ));
    }
    let quantity = match quantity_node {
        Some(q) => decimal(q)?,
        None if is_text_line => Decimal::ZERO,
        None => return Err(missing(node, &[n.line_delivery, "ram:BilledQuantity"])),
    };
    let net_amount = match net_node {
        Some(net) if n.release_candidate => crate::cii_legacy::line_net(
            node,
            n.line_agreement,
            quantity,
            decimal(net)?,
            index,
            problems,
        )?,
        Some(net) => decimal(net)?,
        None if is_text_line => Decimal::ZERO,
        None => {
            return Err(missing(
                node,
                &[n.line_settlement, n.line_summation, "ram:LineTotalAmount"],
            ));
        }
    };
    let price = agreement.and_then(|a| child(a, "ram:NetPriceProductTradePrice"));
    let (unit_price, price_base_quantity) = match price {
        Some(price) => (
            required_decimal(price, &["ram:ChargeAmount"])?,
            decimal_at(price, &["ram:BasisQuantity"])?,
        ),
        None if is_text_line => (Decimal::ZERO, None),
        None => {
            problems.push(Problem::warning(
                "LINE_PRICE_DERIVED",
                field("unit_price"),
                format!(
                    "line {} (XML line {}) has no net price; the price is taken as the line total \
                     {net_amount} for the billed quantity {quantity}",
                    index + 1,
                    line_no(node)
                ),
            ));
            (net_amount, Some(quantity))
        }
    };
    let tax = settlement.and_then(|s| child(s, "ram:ApplicableTradeTax"));
    let (vat_category, vat_rate) = match (tax, tax.and_then(|t| child(t, "ram:CategoryCode"))) {
        (Some(tax), Some(category)) => (vat_category(category)?, decimal_at(tax, &[n.rate])?),
        _ => match single_vat.or_else(|| same_rate_category(tax, n, header_vat)) {
            Some((category, rate)) => {
                if !is_text_line {
                    problems.push(Problem::warning(
                        "LINE_VAT_FROM_HEADER",
                        field("vat_category"),
                        format!(
                            "line {} (XML line {}) has no VAT category; it takes {} from the \
                             invoice's VAT breakdown",
                            index + 1,
                            line_no(node),
                            category.code()
                        ),
                    ));
                }
                (category, rate)
            }
            // A text line (zero amounts) under several VAT rates: its category changes no amount,
            // so it takes the breakdown's first group rather than refusing the invoice.
            None if is_text_line && !header_vat.is_empty() => {
                let (category, rate) = header_vat[0];
                problems.push(Problem::warning(
                    "LINE_VAT_FROM_HEADER",
                    field("vat_category"),
                    format!(
                        "line {} (XML line {}) is a text line without a VAT category; it takes {}{} \
                         from the invoice's first VAT breakdown group (its amounts are zero, so no \
                         VAT depends on it)",
                        index + 1,
                        line_no(node),
                        category.code(),
                        rate.map(|r| format!(" at {r} %")).unwrap_or_default()
                    ),
                ));
                (category, rate)
            }
            None => {
                return Err(missing(
                    node,
                    &[
                        n.line_settlement,
                        "ram:ApplicableTradeTax",
                        "ram:CategoryCode",
                    ],
                ));
            }
        },
    };
    let mut allowances_charges = Vec::new();
    if let Some(settlement) = settlement {
        for ac in children(settlement, "ram:SpecifiedTradeAllowanceCharge") {
            allowances_charges.push(allowance_charge(ac, n, false)?);
        }
    }
    Ok(DocumentLine {
        id: text_at(node, &["ram:AssociatedDocumentLineDocument", "ram:LineID"])
            .unwrap_or_else(|| (index + 1).to_string()),
        name: product
            .and_then(|p| text_at(p, &["ram:Name"]))
            .or_else(|| {
                at(
                    node,
                    &["ram:AssociatedDocumentLineDocument", "ram:IncludedNote"],
                )
                .and_then(|note| text_at(note, &["ram:Content"]))
            })
            .unwrap_or_default(),
        description: product.and_then(|p| text_at(p, &["ram:Description"])),
        quantity,
        unit_code: quantity_node
            .and_then(|q| attr(q, "unitCode"))
            .map(str::to_owned),
        unit_price,
        price_base_quantity,
        net_amount,
        vat_category,
        vat_rate,
        allowances_charges,
        seller_item_id: product.and_then(|p| text_at(p, &["ram:SellerAssignedID"])),
        buyer_accounting_ref: settlement.and_then(|s| {
            text_at(
                s,
                &["ram:ReceivableSpecifiedTradeAccountingAccount", "ram:ID"],
            )
        }),
        order_line_ref: agreement
            .and_then(|a| text_at(a, &["ram:BuyerOrderReferencedDocument", "ram:LineID"])),
    })
}

fn account<'a, 'i>(means: Node<'a, 'i>) -> Option<Node<'a, 'i>> {
    let account = child(means, "ram:PayeePartyCreditorFinancialAccount")?;
    child(account, "ram:IBANID").or_else(|| child(account, "ram:ProprietaryID"))
}

fn payment(settlement: Node<'_, '_>) -> PaymentInfo {
    let means: Vec<Node<'_, '_>> =
        children(settlement, "ram:SpecifiedTradeSettlementPaymentMeans").collect();
    let chosen = means
        .iter()
        .find(|m| account(**m).is_some())
        .or_else(|| means.first())
        .copied();
    let terms: Vec<String> = children(settlement, "ram:SpecifiedTradePaymentTerms")
        .filter_map(|t| text_at(t, &["ram:Description"]))
        .collect();
    PaymentInfo {
        terms: (!terms.is_empty()).then(|| terms.join("\n")),
        means_code: chosen.and_then(|m| text_at(m, &["ram:TypeCode"])),
        iban: chosen.and_then(account).and_then(text).map(str::to_owned),
        bic: chosen.and_then(|m| {
            text_at(
                m,
                &[
                    "ram:PayeeSpecifiedCreditorFinancialInstitution",
                    "ram:BICID",
                ],
            )
        }),
        remittance_info: text_at(settlement, &["ram:PaymentReference"]),
    }
}

fn references(agreement: Node<'_, '_>, settlement: Node<'_, '_>, n: &Names) -> References {
    let reference = |element: &str| text_at(agreement, &[element, n.reference_id]);
    References {
        buyer_reference: text_at(agreement, &["ram:BuyerReference"]),
        order: reference("ram:BuyerOrderReferencedDocument"),
        sales_order: reference("ram:SellerOrderReferencedDocument"),
        contract: reference("ram:ContractReferencedDocument"),
        project: text_at(agreement, &["ram:SpecifiedProcuringProject", "ram:ID"]),
        preceding_invoices: children(settlement, "ram:InvoiceReferencedDocument")
            .filter_map(|d| text_at(d, &[n.reference_id]))
            .collect(),
        buyer_accounting_ref: text_at(
            settlement,
            &["ram:ReceivableSpecifiedTradeAccountingAccount", "ram:ID"],
        ),
    }
}

/// The header category for a line without one (ZUGFeRD 1 BASIC): the only breakdown category
/// with the line's rate, when there is exactly one.
fn same_rate_category(
    tax: Option<Node<'_, '_>>,
    n: &Names,
    header_vat: &[(VatCategory, Option<Decimal>)],
) -> Option<(VatCategory, Option<Decimal>)> {
    let rate = tax.and_then(|t| decimal_at(t, &[n.rate]).ok().flatten())?;
    let mut categories = header_vat
        .iter()
        .filter(|(_, r)| *r == Some(rate))
        .map(|(c, _)| *c);
    let first = categories.next()?;
    categories
        .all(|c| c == first)
        .then_some((first, Some(rate)))
}

/// A date container: CII's `udt:DateTimeString` child, or (release candidate) the element's own
/// text with its `format` attribute.
fn date(node: Node<'_, '_>, n: &Names) -> Result<chrono::NaiveDate, Rejection> {
    if n.release_candidate && !node.children().any(|c| c.is_element()) {
        return crate::cii_legacy::own_text_date(node);
    }
    cii_date(node)
}

/// The invoice currency (BT-5). ZUGFeRD 1 writers sometimes leave `InvoiceCurrencyCode` empty; the
/// currency is then taken, with a `CURRENCY_ASSUMED` warning, from the amounts' `currencyID`
/// attributes when they all name one currency, else from the country of the seller (or of the
/// seller's IBAN) when that country has a single currency. A CII D16B invoice must state it.
fn invoice_currency(
    root: Node<'_, '_>,
    agreement: Node<'_, '_>,
    settlement: Node<'_, '_>,
    n: &Names,
    problems: &mut Vec<Problem>,
) -> Result<Currency, Rejection> {
    let element = child(settlement, "ram:InvoiceCurrencyCode");
    match element {
        Some(code) if text(code).is_some() || n.syntax == Syntax::Cii => crate::xml::currency(code),
        None if n.syntax == Syntax::Cii => Err(missing(settlement, &["ram:InvoiceCurrencyCode"])),
        _ => crate::cii_legacy::assumed_currency(root, agreement, settlement, problems).ok_or_else(
            || match element {
                Some(code) => crate::xml::currency(code)
                    .err()
                    .unwrap_or_else(|| missing(settlement, &["ram:InvoiceCurrencyCode"])),
                None => missing(settlement, &["ram:InvoiceCurrencyCode"]),
            },
        ),
    }
}
