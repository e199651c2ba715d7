//! OASIS UBL 2.0 / 2.1 `Invoice` and `CreditNote` → [`Document`].
//!
//! One mapper serves Peppol BIS 3, XRechnung UBL, other CIUS and plain OASIS UBL: the CIUS only
//! restrict UBL, they do not rename it. The two roots differ in a handful of names (`InvoiceLine` /
//! `CreditNoteLine`, `InvoicedQuantity` / `CreditedQuantity`, `InvoiceTypeCode` /
//! `CreditNoteTypeCode`, and where the due date lives), which [`Names`] captures so the rest of the
//! mapping is shared. Sub-invoice lines (XRechnung extension) are not separate document lines: the
//! top-level line carries the amount that the totals add up.

use crate::facts::{
    Attachment, Contact, Facts, LineFacts, PaymentMeans, Period, PlainAddress, TaxRepresentative,
};
use crate::xml::parse_iso_date;
use crate::xml::{
    at, attr, boolean, child, children, currency, decimal, decimal_at, iso_date, iso_date_at,
    missing, required_decimal, text, text_at, vat_category,
};
use crate::{Mapped, Rejection};
use folio_domain::{
    Address, AllowanceCharge, Currency, DocType, Document, DocumentLine, Party, PaymentInfo,
    References, Syntax, Totals, VatBreakdown,
};
use roxmltree::Node;
use rust_decimal::Decimal;

/// The names that differ between the `Invoice` and `CreditNote` roots.
struct Names {
    type_code: &'static str,
    line: &'static str,
    quantity: &'static str,
}

const INVOICE: Names = Names {
    type_code: "cbc:InvoiceTypeCode",
    line: "cac:InvoiceLine",
    quantity: "cbc:InvoicedQuantity",
};

const CREDIT_NOTE: Names = Names {
    type_code: "cbc:CreditNoteTypeCode",
    line: "cac:CreditNoteLine",
    quantity: "cbc:CreditedQuantity",
};

/// UNTDID 1001 codes that are credit notes (EN 16931 and the CIUS built on it).
pub const CREDIT_NOTE_TYPE_CODES: &[&str] = &[
    "81", "83", "261", "262", "296", "308", "381", "396", "420", "458", "532",
];

/// The document type for a type code; `None` (no code) is an invoice.
pub fn doc_type_for(type_code: Option<&str>) -> DocType {
    match type_code {
        Some(code) if CREDIT_NOTE_TYPE_CODES.contains(&code) => DocType::CreditNote,
        _ => DocType::Invoice,
    }
}

/// Reads a UBL `Invoice` or `CreditNote` tree.
pub fn read(tree: &roxmltree::Document<'_>) -> Result<Mapped, Rejection> {
    let root = tree.root_element();
    let is_credit_note = root.tag_name().name() == "CreditNote";
    let names = if is_credit_note {
        &CREDIT_NOTE
    } else {
        &INVOICE
    };

    let number = text_at(root, &["cbc:ID"]).ok_or_else(|| missing(root, &["cbc:ID"]))?;
    let issue_date =
        iso_date(child(root, "cbc:IssueDate").ok_or_else(|| missing(root, &["cbc:IssueDate"]))?)?;
    let currency_node = child(root, "cbc:DocumentCurrencyCode")
        .ok_or_else(|| missing(root, &["cbc:DocumentCurrencyCode"]))?;
    let currency = currency(currency_node)?;
    let tax_currency = child(root, "cbc:TaxCurrencyCode")
        .map(crate::xml::currency)
        .transpose()?;
    let type_code = text_at(root, &[names.type_code]);
    let doc_type = if is_credit_note {
        DocType::CreditNote
    } else {
        doc_type_for(type_code.as_deref())
    };

    let supplier_node = at(root, &["cac:AccountingSupplierParty", "cac:Party"])
        .ok_or_else(|| missing(root, &["cac:AccountingSupplierParty", "cac:Party"]))?;
    let supplier = party(supplier_node)?;
    if supplier.name.is_empty() {
        return Err(missing(
            supplier_node,
            &["cac:PartyLegalEntity", "cbc:RegistrationName"],
        ));
    }
    let buyer = match at(root, &["cac:AccountingCustomerParty", "cac:Party"]) {
        Some(node) => party(node)?,
        None => Party::default(),
    };
    let payee = child(root, "cac:PayeeParty").map(party).transpose()?;

    let (tax_total, tax_total_in_tax_currency, vat_breakdown) =
        tax_totals(root, currency, tax_currency)?;

    let mut lines = Vec::new();
    for node in children(root, names.line) {
        lines.push(line(node, names)?);
    }
    let mut allowances_charges = Vec::new();
    for node in children(root, "cac:AllowanceCharge") {
        allowances_charges.push(allowance_charge(node, true)?);
    }

    let totals_node = child(root, "cac:LegalMonetaryTotal")
        .ok_or_else(|| missing(root, &["cac:LegalMonetaryTotal"]))?;
    let payable = required_decimal(totals_node, &["cbc:PayableAmount"])?;
    let line_net_total = match decimal_at(totals_node, &["cbc:LineExtensionAmount"])? {
        Some(total) => total,
        None if lines.is_empty() => return Err(missing(totals_node, &["cbc:LineExtensionAmount"])),
        None => lines.iter().map(|l| l.net_amount).sum(),
    };
    let totals = Totals {
        line_net_total,
        allowance_total: decimal_at(totals_node, &["cbc:AllowanceTotalAmount"])?,
        charge_total: decimal_at(totals_node, &["cbc:ChargeTotalAmount"])?,
        tax_exclusive: required_decimal(totals_node, &["cbc:TaxExclusiveAmount"])?,
        tax_total,
        tax_inclusive: required_decimal(totals_node, &["cbc:TaxInclusiveAmount"])?,
        prepaid: decimal_at(totals_node, &["cbc:PrepaidAmount"])?,
        rounding: decimal_at(totals_node, &["cbc:PayableRoundingAmount"])?,
        payable,
    };

    let due_date = match iso_date_at(root, &["cbc:DueDate"])? {
        Some(date) => Some(date),
        None => children(root, "cac:PaymentMeans")
            .find_map(|m| child(m, "cbc:PaymentDueDate"))
            .map(iso_date)
            .transpose()?,
    };

    let document = Document {
        syntax: Syntax::Ubl,
        doc_type,
        type_code,
        customization_id: text_at(root, &["cbc:CustomizationID"]),
        profile_id: text_at(root, &["cbc:ProfileID"]),
        number,
        issue_date,
        due_date,
        tax_point_date: iso_date_at(root, &["cbc:TaxPointDate"])?,
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
        payment: payment(root),
        references: references(root),
        notes: children(root, "cbc:Note")
            .filter_map(text)
            .map(str::to_owned)
            .collect(),
    };
    Ok(Mapped {
        document,
        problems: Vec::new(),
        facts: facts(root, names),
    })
}

/// What the rules need beyond the document (see [`crate::facts`]).
fn facts(root: Node<'_, '_>, names: &Names) -> Facts {
    let supplier = at(root, &["cac:AccountingSupplierParty", "cac:Party"]);
    let buyer = at(root, &["cac:AccountingCustomerParty", "cac:Party"]);
    let without_scheme = |party: Option<Node<'_, '_>>| {
        party
            .and_then(|p| child(p, "cbc:EndpointID"))
            .is_some_and(|e| attr(e, "schemeID").is_none())
    };
    let period = |node: Node<'_, '_>| {
        child(node, "cac:InvoicePeriod").map(|p| Period {
            start: text_at(p, &["cbc:StartDate"]).and_then(|t| parse_iso_date(&t)),
            end: text_at(p, &["cbc:EndDate"]).and_then(|t| parse_iso_date(&t)),
        })
    };
    let delivery = child(root, "cac:Delivery");
    Facts {
        known: true,
        seller_contact: supplier
            .and_then(|p| child(p, "cac:Contact"))
            .map(|c| Contact {
                name: text_at(c, &["cbc:Name"]),
                phone: text_at(c, &["cbc:Telephone"]),
                email: text_at(c, &["cbc:ElectronicMail"]),
            }),
        seller_endpoint_without_scheme: without_scheme(supplier),
        buyer_endpoint_without_scheme: without_scheme(buyer),
        tax_representative: child(root, "cac:TaxRepresentativeParty").map(|t| TaxRepresentative {
            name: text_at(t, &["cac:PartyName", "cbc:Name"]),
            has_address: child(t, "cac:PostalAddress").is_some(),
            country_code: text_at(
                t,
                &["cac:PostalAddress", "cac:Country", "cbc:IdentificationCode"],
            ),
            vat_id: text_at(t, &["cac:PartyTaxScheme", "cbc:CompanyID"]),
        }),
        payment_means: children(root, "cac:PaymentMeans")
            .map(|m| PaymentMeans {
                code: text_at(m, &["cbc:PaymentMeansCode"]),
                credit_accounts: children(m, "cac:PayeeFinancialAccount")
                    .map(|a| text_at(a, &["cbc:ID"]).unwrap_or_default())
                    .collect(),
                card: child(m, "cac:CardAccount")
                    .map(|c| text_at(c, &["cbc:PrimaryAccountNumberID"]).unwrap_or_default()),
                direct_debit: child(m, "cac:PaymentMandate").is_some_and(|d| {
                    text_at(d, &["cbc:ID"]).is_some()
                        || text_at(d, &["cac:PayerFinancialAccount", "cbc:ID"]).is_some()
                }),
                debited_account: text_at(
                    m,
                    &["cac:PaymentMandate", "cac:PayerFinancialAccount", "cbc:ID"],
                ),
            })
            .collect(),
        payment_terms_raw: children(root, "cac:PaymentTerms")
            .flat_map(|t| children(t, "cbc:Note"))
            .map(|n| n.text().unwrap_or_default().to_owned())
            .collect(),
        direct_debit_header: false,
        invoice_period: period(root),
        tax_point_date_code: at(root, &["cac:InvoicePeriod", "cbc:DescriptionCode"]).is_some(),
        actual_delivery_date: delivery
            .and_then(|d| child(d, "cbc:ActualDeliveryDate"))
            .is_some(),
        deliver_to: delivery
            .and_then(|d| at(d, &["cac:DeliveryLocation", "cac:Address"]))
            .map(|a| PlainAddress {
                city: text_at(a, &["cbc:CityName"]),
                postal_code: text_at(a, &["cbc:PostalZone"]),
                country_code: text_at(a, &["cac:Country", "cbc:IdentificationCode"]),
            }),
        attachments: children(root, "cac:AdditionalDocumentReference")
            .filter(|r| {
                !matches!(
                    text_at(*r, &["cbc:DocumentTypeCode"]).as_deref(),
                    Some("130" | "50")
                )
            })
            .map(|r| Attachment {
                id: text_at(r, &["cbc:ID"]),
                filename: at(r, &["cac:Attachment", "cbc:EmbeddedDocumentBinaryObject"])
                    .and_then(|b| attr(b, "filename"))
                    .map(str::to_owned),
            })
            .collect(),
        preceding_without_id: children(root, "cac:BillingReference")
            .filter(|b| text_at(*b, &["cac:InvoiceDocumentReference", "cbc:ID"]).is_none())
            .count(),
        lines: children(root, names.line)
            .map(|line| {
                let item = child(line, "cac:Item");
                let sub: Vec<Node<'_, '_>> = children(line, "cac:SubInvoiceLine").collect();
                LineFacts {
                    has_id: text_at(line, &["cbc:ID"]).is_some(),
                    period: period(line),
                    gross_price: at(
                        line,
                        &["cac:Price", "cac:AllowanceCharge", "cbc:BaseAmount"],
                    )
                    .and_then(|n| decimal(n).ok()),
                    standard_id_without_scheme: item
                        .and_then(|i| at(i, &["cac:StandardItemIdentification", "cbc:ID"]))
                        .is_some_and(|id| attr(id, "schemeID").is_none()),
                    classification_without_scheme: item.is_some_and(|i| {
                        children(i, "cac:CommodityClassification")
                            .filter_map(|c| child(c, "cbc:ItemClassificationCode"))
                            .any(|c| attr(c, "listID").is_none())
                    }),
                    incomplete_attribute: item.is_some_and(|i| {
                        children(i, "cac:AdditionalItemProperty").any(|p| {
                            text_at(p, &["cbc:Name"]).is_none()
                                || text_at(p, &["cbc:Value"]).is_none()
                        })
                    }),
                    sub_lines: (!sub.is_empty()).then(|| {
                        let sum = sub
                            .iter()
                            .filter_map(|s| decimal_at(*s, &["cbc:LineExtensionAmount"]).ok())
                            .flatten()
                            .sum();
                        (sub.len(), sum)
                    }),
                    sub_lines_without_category: sub
                        .iter()
                        .filter(|s| {
                            child(**s, "cac:Item")
                                .map_or(0, |i| children(i, "cac:ClassifiedTaxCategory").count())
                                != 1
                        })
                        .count(),
                }
            })
            .collect(),
    }
}

/// BT-110, BT-111 and the VAT breakdown.
type TaxTotals = (Option<Decimal>, Option<Decimal>, Vec<VatBreakdown>);

/// BT-110 (the `TaxTotal` in the document currency, with its `TaxSubtotal`s as the VAT breakdown)
/// and BT-111 (the `TaxTotal` in the tax currency, when the invoice has one).
fn tax_totals(
    root: Node<'_, '_>,
    currency: Currency,
    tax_currency: Option<Currency>,
) -> Result<TaxTotals, Rejection> {
    // (TaxTotal, currencyID of its TaxAmount)
    let all: Vec<(Node<'_, '_>, Option<&str>)> = children(root, "cac:TaxTotal")
        .map(|n| (n, tax_amount_currency(n)))
        .collect();
    let several = all.len() > 1;
    let in_tax_currency = |code: Option<&str>| {
        several && tax_currency.is_some_and(|tc| tc != currency && code == Some(tc.code()))
    };
    let main = all
        .iter()
        .find(|(_, code)| !in_tax_currency(*code) && code.is_none_or(|c| c == currency.code()))
        .or_else(|| all.iter().find(|(_, code)| !in_tax_currency(*code)))
        .map(|(n, _)| n);
    let other = all
        .iter()
        .find(|(_, code)| in_tax_currency(*code))
        .map(|(n, _)| n);

    let mut breakdown = Vec::new();
    let mut tax_total = None;
    if let Some(main) = main {
        tax_total = decimal_at(*main, &["cbc:TaxAmount"])?;
        for sub in children(*main, "cac:TaxSubtotal") {
            let category_node = at(sub, &["cac:TaxCategory", "cbc:ID"])
                .ok_or_else(|| missing(sub, &["cac:TaxCategory", "cbc:ID"]))?;
            breakdown.push(VatBreakdown {
                category: vat_category(category_node)?,
                rate: decimal_at(sub, &["cac:TaxCategory", "cbc:Percent"])?,
                taxable_amount: required_decimal(sub, &["cbc:TaxableAmount"])?,
                tax_amount: required_decimal(sub, &["cbc:TaxAmount"])?,
                exemption_reason: text_at(sub, &["cac:TaxCategory", "cbc:TaxExemptionReason"]),
                exemption_reason_code: text_at(
                    sub,
                    &["cac:TaxCategory", "cbc:TaxExemptionReasonCode"],
                ),
            });
        }
    }
    let in_tax = other
        .map(|n| decimal_at(*n, &["cbc:TaxAmount"]))
        .transpose()?
        .flatten();
    Ok((tax_total, in_tax, breakdown))
}

fn tax_amount_currency<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    child(node, "cbc:TaxAmount").and_then(|a| attr(a, "currencyID"))
}

/// A `cac:Party` (seller, buyer or payee).
fn party(node: Node<'_, '_>) -> Result<Party, Rejection> {
    let registration_name = text_at(node, &["cac:PartyLegalEntity", "cbc:RegistrationName"]);
    let party_name = text_at(node, &["cac:PartyName", "cbc:Name"]);
    let (name, trading_name) = match (registration_name, party_name) {
        (Some(reg), Some(trading)) if trading != reg => (reg, Some(trading)),
        (Some(reg), _) => (reg, None),
        (None, Some(trading)) => (trading, None),
        (None, None) => (String::new(), None),
    };
    let mut vat_id = None;
    let mut tax_registration_id = None;
    for scheme in children(node, "cac:PartyTaxScheme") {
        let id = text_at(scheme, &["cbc:CompanyID"]);
        match text_at(scheme, &["cac:TaxScheme", "cbc:ID"]).as_deref() {
            Some("VAT") | None if vat_id.is_none() => vat_id = id,
            _ if tax_registration_id.is_none() => tax_registration_id = id,
            _ => {}
        }
    }
    let address = child(node, "cac:PostalAddress")
        .map(address)
        .unwrap_or_default();
    Ok(Party {
        name,
        trading_name,
        vat_id,
        tax_registration_id,
        legal_id: text_at(node, &["cac:PartyLegalEntity", "cbc:CompanyID"]),
        party_id: children(node, "cac:PartyIdentification").find_map(|p| text_at(p, &["cbc:ID"])),
        endpoint_id: text_at(node, &["cbc:EndpointID"]),
        address,
        contact_email: text_at(node, &["cac:Contact", "cbc:ElectronicMail"]),
    })
}

fn address(node: Node<'_, '_>) -> Address {
    let mut lines: Vec<String> = ["cbc:StreetName", "cbc:AdditionalStreetName"]
        .iter()
        .filter_map(|step| text_at(node, &[step]))
        .collect();
    lines.extend(children(node, "cac:AddressLine").filter_map(|l| text_at(l, &["cbc:Line"])));
    Address {
        lines,
        city: text_at(node, &["cbc:CityName"]),
        postal_code: text_at(node, &["cbc:PostalZone"]),
        subdivision: text_at(node, &["cbc:CountrySubentity"]),
        country_code: text_at(node, &["cac:Country", "cbc:IdentificationCode"]),
    }
}

/// A `cac:AllowanceCharge` on document (`with_tax` = true, BG-20/21) or line level (BG-27/28).
fn allowance_charge(node: Node<'_, '_>, with_tax: bool) -> Result<AllowanceCharge, Rejection> {
    let indicator = child(node, "cbc:ChargeIndicator")
        .ok_or_else(|| missing(node, &["cbc:ChargeIndicator"]))?;
    let vat_category = if with_tax {
        at(node, &["cac:TaxCategory", "cbc:ID"])
            .map(vat_category)
            .transpose()?
    } else {
        None
    };
    Ok(AllowanceCharge {
        is_charge: boolean(indicator)?,
        amount: required_decimal(node, &["cbc:Amount"])?,
        base_amount: decimal_at(node, &["cbc:BaseAmount"])?,
        percentage: decimal_at(node, &["cbc:MultiplierFactorNumeric"])?,
        reason: text_at(node, &["cbc:AllowanceChargeReason"]),
        reason_code: text_at(node, &["cbc:AllowanceChargeReasonCode"]),
        vat_category,
        vat_rate: if with_tax {
            decimal_at(node, &["cac:TaxCategory", "cbc:Percent"])?
        } else {
            None
        },
    })
}

/// An `InvoiceLine` / `CreditNoteLine`.
fn line(node: Node<'_, '_>, names: &Names) -> Result<DocumentLine, Rejection> {
    let item = child(node, "cac:Item");
    let quantity_node =
        child(node, names.quantity).ok_or_else(|| missing(node, &[names.quantity]))?;
    let category_node = item
        .and_then(|i| at(i, &["cac:ClassifiedTaxCategory", "cbc:ID"]))
        .ok_or_else(|| missing(node, &["cac:Item", "cac:ClassifiedTaxCategory", "cbc:ID"]))?;
    let mut allowances_charges = Vec::new();
    for ac in children(node, "cac:AllowanceCharge") {
        allowances_charges.push(allowance_charge(ac, false)?);
    }
    Ok(DocumentLine {
        id: text_at(node, &["cbc:ID"]).unwrap_or_default(),
        name: item
            .and_then(|i| text_at(i, &["cbc:Name"]))
            .unwrap_or_default(),
        description: item.and_then(|i| text_at(i, &["cbc:Description"])),
        quantity: decimal(quantity_node)?,
        unit_code: attr(quantity_node, "unitCode").map(str::to_owned),
        unit_price: required_decimal(node, &["cac:Price", "cbc:PriceAmount"])?,
        price_base_quantity: decimal_at(node, &["cac:Price", "cbc:BaseQuantity"])?,
        net_amount: required_decimal(node, &["cbc:LineExtensionAmount"])?,
        vat_category: vat_category(category_node)?,
        vat_rate: item
            .map(|i| decimal_at(i, &["cac:ClassifiedTaxCategory", "cbc:Percent"]))
            .transpose()?
            .flatten(),
        allowances_charges,
        seller_item_id: item.and_then(|i| text_at(i, &["cac:SellersItemIdentification", "cbc:ID"])),
        buyer_accounting_ref: text_at(node, &["cbc:AccountingCost"]),
        order_line_ref: text_at(node, &["cac:OrderLineReference", "cbc:LineID"]),
    })
}

fn payment(root: Node<'_, '_>) -> PaymentInfo {
    // The first means that names a payee account wins; otherwise the first means.
    let means: Vec<Node<'_, '_>> = children(root, "cac:PaymentMeans").collect();
    let chosen = means
        .iter()
        .find(|m| at(**m, &["cac:PayeeFinancialAccount", "cbc:ID"]).is_some())
        .or_else(|| means.first())
        .copied();
    let terms: Vec<String> = children(root, "cac:PaymentTerms")
        .flat_map(|t| children(t, "cbc:Note"))
        .filter_map(text)
        .map(str::to_owned)
        .collect();
    let bic = chosen.and_then(|m| {
        at(
            m,
            &[
                "cac:PayeeFinancialAccount",
                "cac:FinancialInstitutionBranch",
            ],
        )
        .and_then(|b| {
            text_at(b, &["cbc:ID"]).or_else(|| text_at(b, &["cac:FinancialInstitution", "cbc:ID"]))
        })
    });
    PaymentInfo {
        terms: (!terms.is_empty()).then(|| terms.join("\n")),
        means_code: chosen.and_then(|m| text_at(m, &["cbc:PaymentMeansCode"])),
        iban: chosen.and_then(|m| text_at(m, &["cac:PayeeFinancialAccount", "cbc:ID"])),
        bic,
        remittance_info: chosen.and_then(|m| text_at(m, &["cbc:PaymentID"])),
    }
}

fn references(root: Node<'_, '_>) -> References {
    References {
        buyer_reference: text_at(root, &["cbc:BuyerReference"]),
        order: text_at(root, &["cac:OrderReference", "cbc:ID"]),
        sales_order: text_at(root, &["cac:OrderReference", "cbc:SalesOrderID"]),
        contract: text_at(root, &["cac:ContractDocumentReference", "cbc:ID"]),
        project: text_at(root, &["cac:ProjectReference", "cbc:ID"]),
        preceding_invoices: children(root, "cac:BillingReference")
            .filter_map(|b| text_at(b, &["cac:InvoiceDocumentReference", "cbc:ID"]))
            .collect(),
        buyer_accounting_ref: text_at(root, &["cbc:AccountingCost"]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_codes() {
        for (code, expected) in [
            (Some("380"), DocType::Invoice),
            (Some("381"), DocType::CreditNote),
            (Some("396"), DocType::CreditNote),
            (Some("532"), DocType::CreditNote),
            (Some("384"), DocType::Invoice),
            (None, DocType::Invoice),
        ] {
            assert_eq!(doc_type_for(code), expected, "{code:?}");
        }
    }
}
