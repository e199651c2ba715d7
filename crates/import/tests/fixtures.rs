//! Hand-written fixtures (`tests/fixtures/`): every field of the model read from UBL and CII, and
//! every way a file is refused, as tables. Bad values are made by editing a good fixture, so each
//! case names the one thing that is wrong.

use chrono::NaiveDate;
use folio_domain::{DocType, Syntax, VatCategory};
use folio_import::{Format, Imported, MAX_FILE_BYTES, Rejection, import_bytes, sniff, validate};
use rust_decimal_macros::dec;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import(name: &str) -> Imported {
    import_bytes(&fixture(name)).unwrap_or_else(|r| panic!("{name}: [{}] {r}", r.code))
}

fn date(y: i32, m: u32, d: u32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(y, m, d)
}

/// A fixture with the first occurrence of each `from` replaced by its `to`.
fn edited(name: &str, edits: &[(&str, &str)]) -> Vec<u8> {
    let mut text = String::from_utf8(fixture(name)).expect("fixtures are UTF-8");
    for (from, to) in edits {
        assert!(text.contains(from), "{name} does not contain {from:?}");
        text = text.replacen(from, to, 1);
    }
    text.into_bytes()
}

#[test]
fn ubl_invoice_maps_every_field() {
    let imported = import("ubl-invoice.xml");
    assert_eq!(imported.media_type, "application/xml");
    assert_eq!(
        imported.problems,
        vec![],
        "a consistent invoice has no problems"
    );
    let doc = imported.document;
    assert_eq!(doc.syntax, Syntax::Ubl);
    assert_eq!(doc.doc_type, DocType::Invoice);
    assert_eq!(doc.type_code.as_deref(), Some("380"));
    assert_eq!(doc.number, "INV-2024-001");
    assert_eq!(Some(doc.issue_date), date(2024, 2, 29));
    assert_eq!(doc.due_date, date(2024, 3, 30));
    assert_eq!(doc.tax_point_date, date(2024, 2, 28));
    assert_eq!(doc.currency.code(), "EUR");
    assert_eq!(
        doc.tax_currency.map(|c| c.code().to_owned()).as_deref(),
        Some("DKK")
    );
    assert_eq!(doc.tax_total_in_tax_currency, Some(dec!(277.07)));
    assert!(
        doc.customization_id
            .as_deref()
            .unwrap_or("")
            .contains("peppol")
    );
    assert!(doc.profile_id.is_some());
    assert_eq!(doc.notes, ["First note", "Second note"]);

    let s = &doc.supplier;
    assert_eq!(s.name, "Acme Supplies GmbH");
    assert_eq!(s.trading_name.as_deref(), Some("Acme Office"));
    assert_eq!(s.vat_id.as_deref(), Some("DE123456789"));
    assert_eq!(s.tax_registration_id.as_deref(), Some("201/113/40209"));
    assert_eq!(s.legal_id.as_deref(), Some("HRB 12345"));
    assert_eq!(s.party_id.as_deref(), Some("SUP-1"));
    assert_eq!(s.endpoint_id.as_deref(), Some("7300010000001"));
    assert_eq!(s.contact_email.as_deref(), Some("billing@acme.example"));
    assert_eq!(
        s.address.lines,
        ["Main Street 1", "Building B", "3rd floor"]
    );
    assert_eq!(s.address.city.as_deref(), Some("Berlin"));
    assert_eq!(s.address.postal_code.as_deref(), Some("10115"));
    assert_eq!(s.address.subdivision.as_deref(), Some("BE"));
    assert_eq!(s.address.country_code.as_deref(), Some("DE"));
    assert_eq!(doc.buyer.name, "Buyer Ltd");
    assert_eq!(doc.buyer.vat_id.as_deref(), Some("DK12345678"));
    let payee = doc.payee.as_ref().expect("payee");
    assert_eq!(payee.name, "Factoring Bank AG");
    assert_eq!(payee.party_id.as_deref(), Some("FACTOR-1"));
    assert_eq!(payee.legal_id.as_deref(), Some("HRB 999"));

    assert_eq!(doc.lines.len(), 2);
    let l1 = &doc.lines[0];
    assert_eq!((l1.id.as_str(), l1.name.as_str()), ("1", "Paper A4"));
    assert_eq!(
        l1.description.as_deref(),
        Some("Recycled paper, 500 sheets")
    );
    assert_eq!(
        (l1.quantity, l1.unit_code.as_deref()),
        (dec!(10), Some("C62"))
    );
    assert_eq!((l1.unit_price, l1.net_amount), (dec!(12.50), dec!(120.00)));
    assert_eq!(
        (l1.vat_category, l1.vat_rate),
        (VatCategory::S, Some(dec!(19)))
    );
    assert_eq!(l1.seller_item_id.as_deref(), Some("P-A4-500"));
    assert_eq!(l1.buyer_accounting_ref.as_deref(), Some("6300"));
    assert_eq!(l1.order_line_ref.as_deref(), Some("PO-77-1"));
    assert_eq!(l1.allowances_charges.len(), 1);
    assert_eq!(l1.allowances_charges[0].signed_amount(), dec!(-5.00));
    assert_eq!(l1.allowances_charges[0].vat_category, None);
    let l2 = &doc.lines[1];
    assert_eq!(
        l2.unit_price.to_string(),
        "40.000",
        "the sender's scale is kept"
    );
    assert_eq!(l2.price_base_quantity, Some(dec!(1)));

    let ac = &doc.allowances_charges;
    assert_eq!(ac.len(), 2);
    assert!(!ac[0].is_charge);
    assert_eq!(
        (ac[0].amount, ac[0].base_amount, ac[0].percentage),
        (dec!(10.00), Some(dec!(200.00)), Some(dec!(5)))
    );
    assert_eq!(ac[0].reason_code.as_deref(), Some("95"));
    assert_eq!(
        (ac[0].vat_category, ac[0].vat_rate),
        (Some(VatCategory::S), Some(dec!(19)))
    );
    assert!(ac[1].is_charge);
    assert_eq!(ac[1].reason.as_deref(), Some("Freight"));

    assert_eq!(doc.vat_breakdown.len(), 1);
    let vb = &doc.vat_breakdown[0];
    assert_eq!(
        (vb.taxable_amount, vb.tax_amount),
        (dec!(195.50), dec!(37.15))
    );

    let t = &doc.totals;
    assert_eq!(t.line_net_total, dec!(200.00));
    assert_eq!(
        (t.allowance_total, t.charge_total),
        (Some(dec!(10.00)), Some(dec!(5.50)))
    );
    assert_eq!(
        (t.tax_exclusive, t.tax_total),
        (dec!(195.50), Some(dec!(37.15)))
    );
    assert_eq!(
        (t.tax_inclusive, t.prepaid),
        (dec!(232.65), Some(dec!(32.65)))
    );
    assert_eq!((t.rounding, t.payable), (Some(dec!(0.00)), dec!(200.00)));

    let p = &doc.payment;
    assert_eq!(p.means_code.as_deref(), Some("58"));
    assert_eq!(p.iban.as_deref(), Some("DE89370400440532013000"));
    assert_eq!(p.bic.as_deref(), Some("COBADEFFXXX"));
    assert_eq!(p.remittance_info.as_deref(), Some("INV-2024-001"));
    assert_eq!(p.terms.as_deref(), Some("30 days net"));

    let r = &doc.references;
    assert_eq!(r.buyer_reference.as_deref(), Some("04011000-12345-03"));
    assert_eq!(
        (r.order.as_deref(), r.sales_order.as_deref()),
        (Some("PO-77"), Some("SO-88"))
    );
    assert_eq!(
        (r.contract.as_deref(), r.project.as_deref()),
        (Some("CON-5"), Some("PRJ-9"))
    );
    assert_eq!(r.preceding_invoices, ["INV-2023-099"]);
    assert_eq!(r.buyer_accounting_ref.as_deref(), Some("CC-4711"));
}

#[test]
fn ubl_credit_note() {
    let imported = import("ubl-credit-note.xml");
    // The fixture adds up, but as an XRechnung it leaves out what the CIUS makes mandatory; each
    // gap is reported under its rule id.
    let codes: Vec<&str> = imported.problems.iter().map(|p| p.code.as_str()).collect();
    assert_eq!(
        codes,
        [
            "BR-10", "BR-61", "BR-CO-26", "BR-E-02", "BR-DE-2", "BR-DE-3", "BR-DE-4", "BR-DE-16",
            "BR-DE-23"
        ]
    );
    assert!(!codes.iter().any(|c| c.starts_with("BR-CO-1")), "{codes:?}");
    let doc = imported.document;
    assert_eq!(doc.doc_type, DocType::CreditNote);
    assert_eq!(doc.type_code.as_deref(), Some("381"));
    assert_eq!(
        doc.due_date,
        date(2024, 3, 31),
        "from PaymentMeans/PaymentDueDate"
    );
    assert_eq!(doc.supplier.name, "Medical Books Ltd");
    assert_eq!(doc.buyer.name, "Hospital Trust");
    assert_eq!(doc.references.preceding_invoices, ["INV-1"]);
    assert_eq!(doc.lines.len(), 1);
    assert_eq!(
        (doc.lines[0].quantity, doc.lines[0].unit_code.as_deref()),
        (dec!(1), Some("EA"))
    );
    let vb = &doc.vat_breakdown[0];
    assert_eq!(vb.category, VatCategory::E);
    assert_eq!(
        vb.exemption_reason.as_deref(),
        Some("Books for medical use")
    );
    assert_eq!(vb.exemption_reason_code.as_deref(), Some("VATEX-EU-132-1I"));
    assert_eq!(doc.totals.payable, dec!(50.00));
}

#[test]
fn invoice_type_codes_decide_credit_notes() {
    for (code, expected) in [
        ("380", DocType::Invoice),
        ("381", DocType::CreditNote),
        ("396", DocType::CreditNote),
        ("532", DocType::CreditNote),
        ("384", DocType::Invoice),
    ] {
        let ubl = edited("ubl-invoice.xml", &[(">380<", &format!(">{code}<"))]);
        let cii = edited("cii-invoice.xml", &[(">380<", &format!(">{code}<"))]);
        for bytes in [ubl, cii] {
            let doc = import_bytes(&bytes).expect("imports").document;
            assert_eq!(doc.doc_type, expected, "type code {code}");
        }
    }
}

#[test]
fn latin1_files_are_decoded() {
    let doc = import("ubl-credit-note-latin1.xml").document;
    assert_eq!(doc.supplier.name, "Medizinbücher GmbH");
}

#[test]
fn cii_invoice_maps_every_field() {
    let imported = import("cii-invoice.xml");
    assert_eq!(imported.problems, vec![]);
    let doc = imported.document;
    assert_eq!(doc.syntax, Syntax::Cii);
    assert_eq!(doc.doc_type, DocType::Invoice);
    assert_eq!(doc.number, "RE-2024-42");
    assert_eq!(Some(doc.issue_date), date(2024, 2, 15));
    assert_eq!(doc.due_date, date(2024, 3, 16));
    assert_eq!(doc.tax_point_date, date(2024, 2, 10));
    assert_eq!(
        doc.customization_id.as_deref(),
        Some("urn:cen.eu:en16931:2017")
    );
    assert!(doc.profile_id.is_some());
    assert_eq!(doc.currency.code(), "EUR");
    assert_eq!(
        doc.tax_currency.map(|c| c.code().to_owned()).as_deref(),
        Some("GBP")
    );
    assert_eq!(
        doc.totals.tax_total,
        Some(dec!(5.70)),
        "the EUR TaxTotalAmount is BT-110"
    );
    assert_eq!(doc.tax_total_in_tax_currency, Some(dec!(4.87)));
    assert_eq!(doc.notes, ["Thank you for your order"]);

    let s = &doc.supplier;
    assert_eq!(s.name, "Lieferant GmbH");
    assert_eq!(s.trading_name.as_deref(), Some("Lieferant"));
    assert_eq!(s.vat_id.as_deref(), Some("DE123456789"));
    assert_eq!(s.tax_registration_id.as_deref(), Some("201/113/40209"));
    assert_eq!(s.legal_id.as_deref(), Some("HRB 7"));
    assert_eq!(s.party_id.as_deref(), Some("SUP-9"));
    assert_eq!(s.endpoint_id.as_deref(), Some("invoices@lieferant.example"));
    assert_eq!(s.contact_email.as_deref(), Some("hans@lieferant.example"));
    assert_eq!(s.address.lines, ["Lieferantenstraße 20"]);
    assert_eq!(s.address.city.as_deref(), Some("München"));
    assert_eq!(doc.buyer.vat_id.as_deref(), Some("ATU12345678"));

    assert_eq!(doc.lines.len(), 2);
    let l1 = &doc.lines[0];
    assert_eq!(l1.text(), "Dividers A4 — Coloured dividers");
    assert_eq!(
        (l1.quantity, l1.unit_price, l1.net_amount),
        (dec!(3), dec!(10.00), dec!(30.00))
    );
    assert_eq!(l1.price_base_quantity, Some(dec!(1)));
    assert_eq!(l1.seller_item_id.as_deref(), Some("TB100A4"));
    assert_eq!(l1.order_line_ref.as_deref(), Some("10"));
    assert_eq!(l1.buyer_accounting_ref.as_deref(), Some("6815"));
    let l2 = &doc.lines[1];
    assert_eq!(
        (l2.vat_category, l2.vat_rate),
        (VatCategory::AE, Some(dec!(0)))
    );
    assert_eq!(l2.allowances_charges.len(), 1);
    assert_eq!(l2.allowances_charges[0].reason.as_deref(), Some("Loyalty"));

    assert_eq!(doc.vat_breakdown.len(), 2);
    assert_eq!(
        doc.vat_breakdown[1].exemption_reason_code.as_deref(),
        Some("VATEX-EU-AE")
    );
    assert_eq!(doc.totals.payable, dec!(105.70));
    assert_eq!(doc.payment.iban.as_deref(), Some("DE02120300000000202051"));
    assert_eq!(doc.payment.bic.as_deref(), Some("BYLADEM1001"));
    assert_eq!(doc.payment.means_code.as_deref(), Some("58"));
    assert_eq!(doc.payment.remittance_info.as_deref(), Some("RE-2024-42"));
    assert_eq!(doc.payment.terms.as_deref(), Some("Payable within 30 days"));
    let r = &doc.references;
    assert_eq!(r.buyer_reference.as_deref(), Some("LEITWEG-1"));
    assert_eq!(
        (r.order.as_deref(), r.sales_order.as_deref()),
        (Some("PO-1"), Some("SO-1"))
    );
    assert_eq!(
        (r.contract.as_deref(), r.project.as_deref()),
        (Some("C-1"), Some("P-1"))
    );
    assert_eq!(r.preceding_invoices, ["RE-2024-01"]);
    assert_eq!(r.buyer_accounting_ref.as_deref(), Some("BUYER-ACC"));
}

#[test]
fn cii_minimum_is_header_only() {
    let imported = import("cii-minimum.xml");
    assert_eq!(
        imported.problems,
        vec![],
        "MINIMUM needs no lines (no BR-16)"
    );
    let doc = imported.document;
    assert!(doc.is_header_only());
    assert_eq!(doc.supplier.name, "Petit Fournisseur SARL");
    assert_eq!(
        doc.totals.line_net_total,
        dec!(100.00),
        "BT-106 follows from BT-109"
    );
    assert_eq!(doc.totals.payable, dec!(120.00));

    // The same document claiming a full profile breaks BR-16, and misses what EN 16931 requires
    // beyond MINIMUM: the buyer's address, a VAT breakdown, a due date or payment terms; its
    // structure misses what the EN 16931 schema requires (a line, the line total, a VAT
    // breakdown: XSD-02).
    let full = edited(
        "cii-minimum.xml",
        &[("urn:factur-x.eu:1p0:minimum", "urn:cen.eu:en16931:2017")],
    );
    let codes: Vec<String> = import_bytes(&full)
        .expect("imports")
        .problems
        .into_iter()
        .map(|p| p.code)
        .collect();
    assert_eq!(
        codes,
        [
            "XSD-02", "XSD-02", "XSD-02", "BR-10", "BR-16", "BR-CO-18", "BR-CO-25"
        ]
    );
}

#[test]
fn sniffs_fixtures() {
    for (name, format) in [
        ("ubl-invoice.xml", Format::Ubl),
        ("ubl-credit-note.xml", Format::Ubl),
        ("cii-invoice.xml", Format::Cii),
        ("cii-minimum.xml", Format::Cii),
        ("ubl-order.xml", Format::OtherXml),
        ("xxe.xml", Format::OtherXml),
        ("not-yet.pdf", Format::Pdf),
    ] {
        assert_eq!(sniff(&fixture(name)), format, "{name}");
    }
}

/// Where the bytes of a rejection case come from.
enum Input {
    File(&'static str),
    Edited(&'static str, &'static [(&'static str, &'static str)]),
    Bytes(Vec<u8>),
}

#[test]
fn rejections() {
    let deep = format!("<a>{}{}</a>", "<b>".repeat(500), "</b>".repeat(500)).into_bytes();
    let cases: Vec<(Input, &str, &[&str])> = vec![
        // Hostile XML.
        (Input::File("xxe.xml"), "DTD_FORBIDDEN", &["DOCTYPE"]),
        (
            Input::File("billion-laughs.xml"),
            "DTD_FORBIDDEN",
            &["DOCTYPE"],
        ),
        (
            Input::File("doctype-external.xml"),
            "DTD_FORBIDDEN",
            &["XXE"],
        ),
        (
            Input::Bytes(
                b"\xEF\xBB\xBF<!-- x --><!DOCTYPE a [<!ENTITY e 'x'>]><a>&e;</a>".to_vec(),
            ),
            "DTD_FORBIDDEN",
            &[],
        ),
        (
            Input::Bytes(vec![b' '; MAX_FILE_BYTES + 1]),
            "TOO_LARGE",
            &["50 MiB"],
        ),
        (Input::Bytes(deep), "TOO_LARGE", &["levels deep"]),
        (
            Input::File("truncated.xml"),
            "MALFORMED_XML",
            &["truncated"],
        ),
        (
            Input::Bytes(b"<a><b></a>".to_vec()),
            "MALFORMED_XML",
            &["not well-formed"],
        ),
        (
            Input::Bytes(b"<?xml version='1.0' encoding='Shift_JIS'?><a/>".to_vec()),
            "UNSUPPORTED_FORMAT",
            &["Shift_JIS"],
        ),
        (
            Input::Bytes(b"<?xml version='1.0'?><a>M\xfcller</a>".to_vec()),
            "MALFORMED_XML",
            &["UTF-8"],
        ),
        // Not an invoice.
        (
            Input::File("ubl-order.xml"),
            "NOT_AN_INVOICE",
            &["'Order'", "purchase order"],
        ),
        (
            Input::File("order-x.xml"),
            "NOT_AN_INVOICE",
            &["rsm:SCRDMCCBDACIOMessageStructure", "Order-X"],
        ),
        (
            Input::File("fatturapa.xml"),
            "NOT_AN_INVOICE",
            &["p:FatturaElettronica", "FatturaPA"],
        ),
        (
            Input::File("unknown-root.xml"),
            "NOT_AN_INVOICE",
            &["'catalog'", "without a namespace"],
        ),
        (
            Input::File("not-yet.pdf"),
            "UNSUPPORTED_FORMAT",
            &["no embedded e-invoice"],
        ),
        (Input::Bytes(Vec::new()), "UNSUPPORTED_FORMAT", &[]),
        (
            Input::Bytes(b"supplier,amount\nAcme,10".to_vec()),
            "UNSUPPORTED_FORMAT",
            &[],
        ),
        // UBL values.
        (
            Input::Edited("ubl-invoice.xml", &[("2024-02-29", "2024-13-01")]),
            "BAD_DATE",
            &["cbc:IssueDate '2024-13-01' is not a date", "(line 8)"],
        ),
        (
            Input::Edited("ubl-invoice.xml", &[("2024-03-30", "30.03.2024")]),
            "BAD_DATE",
            &["cbc:DueDate '30.03.2024'"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(">200.00</cbc:PayableAmount>", ">200,00</cbc:PayableAmount>")],
            ),
            "BAD_AMOUNT",
            &["cac:LegalMonetaryTotal/cbc:PayableAmount '200,00' is not a decimal number"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    "<cbc:PayableAmount currencyID=\"EUR\">200.00</cbc:PayableAmount>",
                    "",
                )],
            ),
            "MISSING_FIELD",
            &["cac:LegalMonetaryTotal/cbc:PayableAmount is missing"],
        ),
        (
            Input::Edited("ubl-invoice.xml", &[("<cbc:ID>INV-2024-001</cbc:ID>", "")]),
            "MISSING_FIELD",
            &["cbc:ID is missing"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[("<cbc:IssueDate>2024-02-29</cbc:IssueDate>", "")],
            ),
            "MISSING_FIELD",
            &["cbc:IssueDate is missing"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    "<cbc:DocumentCurrencyCode>EUR</cbc:DocumentCurrencyCode>",
                    "",
                )],
            ),
            "MISSING_FIELD",
            &["cbc:DocumentCurrencyCode is missing"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    ">EUR</cbc:DocumentCurrencyCode>",
                    ">EURO</cbc:DocumentCurrencyCode>",
                )],
            ),
            "BAD_CURRENCY",
            &["cbc:DocumentCurrencyCode 'EURO' is not an ISO 4217 currency code"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[
                    (
                        "<cbc:RegistrationName>Acme Supplies GmbH</cbc:RegistrationName>",
                        "",
                    ),
                    (
                        "<cac:PartyName><cbc:Name>Acme Office</cbc:Name></cac:PartyName>",
                        "",
                    ),
                ],
            ),
            "MISSING_FIELD",
            &[
                "cac:AccountingSupplierParty/cac:Party/cac:PartyLegalEntity/cbc:RegistrationName is missing",
            ],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(">10</cbc:InvoicedQuantity>", ">ten</cbc:InvoicedQuantity>")],
            ),
            "BAD_AMOUNT",
            &["cac:InvoiceLine[1]/cbc:InvoicedQuantity 'ten'"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    "<cbc:ID>S</cbc:ID>\n        <cbc:Percent>19</cbc:Percent>\n        <cac:TaxScheme><cbc:ID>VAT</cbc:ID></cac:TaxScheme>\n      </cac:ClassifiedTaxCategory>",
                    "<cbc:ID>X</cbc:ID></cac:ClassifiedTaxCategory>",
                )],
            ),
            "BAD_VAT_CATEGORY",
            &[
                "cac:InvoiceLine[1]/cac:Item/cac:ClassifiedTaxCategory/cbc:ID 'X' is not a VAT category code",
            ],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    "<cbc:ChargeIndicator>false</cbc:ChargeIndicator>",
                    "<cbc:ChargeIndicator>no</cbc:ChargeIndicator>",
                )],
            ),
            "BAD_VALUE",
            &["cac:AllowanceCharge[1]/cbc:ChargeIndicator 'no'"],
        ),
        (
            Input::Edited(
                "ubl-invoice.xml",
                &[(
                    "<cbc:Amount currencyID=\"EUR\">10.00</cbc:Amount>",
                    "<cbc:Amount currencyID=\"EUR\">1e1</cbc:Amount>",
                )],
            ),
            "BAD_AMOUNT",
            &["'1e1'"],
        ),
        // CII values.
        (
            Input::Edited("cii-invoice.xml", &[("20240215", "20240230")]),
            "BAD_DATE",
            &[
                "rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString '20240230' is not a date",
            ],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[("format=\"102\">20240215", "format=\"610\">202402")],
            ),
            "BAD_DATE",
            &["format '610'"],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[("<ram:DuePayableAmount>105.70</ram:DuePayableAmount>", "")],
            ),
            "MISSING_FIELD",
            &[
                "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount is missing",
            ],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[("<ram:Name>Lieferant GmbH</ram:Name>", "")],
            ),
            "MISSING_FIELD",
            &["ram:SellerTradeParty/ram:Name is missing"],
        ),
        (
            Input::Edited("cii-invoice.xml", &[("<ram:ID>RE-2024-42</ram:ID>", "")]),
            "MISSING_FIELD",
            &["rsm:ExchangedDocument/ram:ID is missing"],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[(
                    ">EUR</ram:InvoiceCurrencyCode>",
                    ">eur</ram:InvoiceCurrencyCode>",
                )],
            ),
            "BAD_CURRENCY",
            &["ram:InvoiceCurrencyCode 'eur'"],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[(
                    "<ram:RateApplicablePercent>19.00</ram:RateApplicablePercent>",
                    "<ram:RateApplicablePercent>19%</ram:RateApplicablePercent>",
                )],
            ),
            "BAD_AMOUNT",
            &[
                "ram:IncludedSupplyChainTradeLineItem[1]/ram:SpecifiedLineTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent '19%'",
            ],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[(
                    "<ram:CategoryCode>S</ram:CategoryCode>",
                    "<ram:CategoryCode>VAT</ram:CategoryCode>",
                )],
            ),
            "BAD_VAT_CATEGORY",
            &["ram:CategoryCode 'VAT'"],
        ),
        (
            Input::Edited(
                "cii-invoice.xml",
                &[(
                    "<ram:LineTotalAmount>30.00</ram:LineTotalAmount>",
                    "<ram:LineTotalAmount>  </ram:LineTotalAmount>",
                )],
            ),
            "MISSING_FIELD",
            &["ram:LineTotalAmount '' is empty"],
        ),
    ];
    let mut failures = Vec::new();
    for (input, code, fragments) in cases {
        let (label, bytes) = match input {
            Input::File(name) => (name.to_owned(), fixture(name)),
            Input::Edited(name, edits) => (format!("{name} {edits:?}"), edited(name, edits)),
            Input::Bytes(bytes) => (
                String::from_utf8_lossy(&bytes[..bytes.len().min(60)]).into_owned(),
                bytes,
            ),
        };
        match import_bytes(&bytes) {
            Ok(_) => failures.push(format!("{label}: imported, expected {code}")),
            Err(Rejection { code: got, reason }) => {
                if got != code || fragments.iter().any(|f| !reason.contains(f)) {
                    failures.push(format!(
                        "{label}: got [{got}] {reason}, expected [{code}] containing {fragments:?}"
                    ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn rejection_displays_its_reason() {
    let err = import_bytes(&fixture("xxe.xml")).unwrap_err();
    assert_eq!(err.to_string(), err.reason);
    let as_error: &dyn std::error::Error = &err;
    assert!(as_error.to_string().contains("DOCTYPE"));
}

/// Text replacements applied to a fixture.
type Edits = &'static [(&'static str, &'static str)];

#[test]
fn arithmetic_problems() {
    let cases: &[(Edits, &[&str])] = &[
        (
            &[(
                ">200.00</cbc:LineExtensionAmount>",
                ">200.10</cbc:LineExtensionAmount>",
            )],
            &["BR-CO-10", "BR-CO-13"],
        ),
        (
            &[(
                ">10.00</cbc:AllowanceTotalAmount>",
                ">11.00</cbc:AllowanceTotalAmount>",
            )],
            &["BR-CO-11", "BR-CO-13"],
        ),
        (
            &[(
                ">5.50</cbc:ChargeTotalAmount>",
                ">6.50</cbc:ChargeTotalAmount>",
            )],
            &["BR-CO-12", "BR-CO-13"],
        ),
        (
            &[(
                ">195.50</cbc:TaxExclusiveAmount>",
                ">195.60</cbc:TaxExclusiveAmount>",
            )],
            &["BR-CO-13", "BR-CO-15"],
        ),
        (
            &[(">37.15</cbc:TaxAmount>", ">37.16</cbc:TaxAmount>")],
            &["BR-CO-14", "BR-CO-15"],
        ),
        (
            &[(
                ">232.65</cbc:TaxInclusiveAmount>",
                ">232.75</cbc:TaxInclusiveAmount>",
            )],
            &["BR-CO-15", "BR-CO-16"],
        ),
        (
            &[(">200.00</cbc:PayableAmount>", ">199.99</cbc:PayableAmount>")],
            &["BR-CO-16"],
        ),
        (
            &[(
                ">0.00</cbc:PayableRoundingAmount>",
                ">-0.01</cbc:PayableRoundingAmount>",
            )],
            &["BR-CO-16"],
        ),
        // Same value, different scale: the arithmetic holds, but an amount has at most two
        // decimals.
        (
            &[(
                ">200.00</cbc:PayableAmount>",
                ">200.0000</cbc:PayableAmount>",
            )],
            &["BR-DEC-18"],
        ),
    ];
    for (edits, expected) in cases {
        let imported = import_bytes(&edited("ubl-invoice.xml", edits)).expect("imports");
        let codes: Vec<&str> = imported.problems.iter().map(|p| p.code.as_str()).collect();
        assert_eq!(&codes, expected, "{edits:?}");
        assert!(
            imported
                .problems
                .iter()
                .all(|p| p.is_error() && !p.field.is_empty())
        );
    }
}

#[test]
fn problem_messages_show_the_arithmetic() {
    let mut doc = import("ubl-invoice.xml").document;
    doc.totals.line_net_total = dec!(1234.60);
    doc.lines[0].net_amount = dec!(1154.50);
    let problems = validate(&doc);
    let br_co_10 = problems
        .iter()
        .find(|p| p.code == "BR-CO-10")
        .expect("BR-CO-10");
    assert_eq!(br_co_10.field, "totals.line_net_total");
    assert_eq!(
        br_co_10.message,
        "lines sum to 1,234.50 but the invoice's line total (BT-106) is 1,234.60"
    );

    doc.lines.clear();
    let codes: Vec<String> = validate(&doc).into_iter().map(|p| p.code).collect();
    assert!(codes.contains(&"BR-16".to_owned()), "{codes:?}");
    assert!(!codes.contains(&"BR-CO-10".to_owned()));
}
