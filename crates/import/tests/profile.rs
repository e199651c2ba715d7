//! Profile- and schema-level rules (`FX-PROFILE-…`, `FX-CALC-…`, `XSD-…`) and how old ZUGFeRD
//! files are completed (currency, text lines, the 2014 release candidate), as tables over
//! hand-written fixtures edited one fault at a time.

use folio_domain::{Severity, VatCategory};
use folio_import::{Imported, import_bytes};
use rust_decimal_macros::dec;
use std::path::Path;

fn fixture(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn import_edited(name: &str, edits: &[(&str, &str)]) -> Imported {
    let mut text = fixture(name);
    for (from, to) in edits {
        assert!(text.contains(from), "{name} does not contain {from:?}");
        text = text.replacen(from, to, 1);
    }
    import_bytes(text.as_bytes()).unwrap_or_else(|r| panic!("{name} {edits:?}: [{}] {r}", r.code))
}

fn codes(imported: &Imported) -> Vec<(String, Severity)> {
    imported
        .problems
        .iter()
        .map(|p| (p.code.clone(), p.severity))
        .collect()
}

const CII: &str = "cii-invoice.xml";
const ZF1: &str = "zugferd1-invoice.xml";
const EN16931: &str = "<ram:ID>urn:cen.eu:en16931:2017</ram:ID>";
const ZF1_COMFORT: &str = "<ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>";

#[test]
fn conforming_fixtures_break_no_profile_or_schema_rule() {
    for name in [CII, ZF1, "cii-minimum.xml", "zugferd-rc.xml"] {
        let imported = import_edited(name, &[]);
        let rules: Vec<_> = codes(&imported)
            .into_iter()
            .filter(|(c, _)| c.starts_with("FX-") || c.starts_with("XSD-"))
            .collect();
        assert_eq!(rules, [], "{name}");
    }
}

/// (fixture, edits, rule expected, its severity).
type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str, Severity);

#[test]
fn each_fault_is_reported_by_its_rule() {
    let cases: &[Case] = &[
        (
            CII,
            &[(
                EN16931,
                "<ram:ID>urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:extended</ram:ID>",
            )],
            "FX-PROFILE-01",
            Severity::Error,
        ),
        (
            CII,
            &[(
                EN16931,
                "<ram:ID>urn:ferd:CrossIndustryDocument:invoice:1p0:comfort</ram:ID>",
            )],
            "FX-PROFILE-02",
            Severity::Error,
        ),
        (
            CII,
            &[(
                EN16931,
                "<ram:ID>urn:cen.eu:en16931:2017:compliant:factur-x.eu:1p0:en16931</ram:ID>",
            )],
            "FX-PROFILE-03",
            Severity::Info,
        ),
        (
            ZF1,
            &[(
                ZF1_COMFORT,
                "<ram:ID>urn:ferd:CrossIndustryDocument:order:1p0:extended</ram:ID>",
            )],
            "FX-PROFILE-02",
            Severity::Error,
        ),
        (
            CII,
            &[(
                r#"<ram:BilledQuantity unitCode="C62">3</ram:BilledQuantity>"#,
                r#"<ram:BilledQuantity unitCode="C62">4</ram:BilledQuantity>"#,
            )],
            "FX-CALC-01",
            Severity::Warning,
        ),
        (
            CII,
            &[(
                "<ram:ActualAmount>5.00</ram:ActualAmount>",
                "<ram:CalculationPercent>10</ram:CalculationPercent>\
                 <ram:BasisAmount>75.00</ram:BasisAmount><ram:ActualAmount>5.00</ram:ActualAmount>",
            )],
            "FX-CALC-02",
            Severity::Warning,
        ),
        // Schema: an element in no namespace, a profile restriction, order, cardinality.
        (
            CII,
            &[
                ("<ram:PaymentReference>", "<PaymentReference>"),
                ("</ram:PaymentReference>", "</PaymentReference>"),
            ],
            "XSD-01",
            Severity::Error,
        ),
        (
            CII,
            &[("<ram:TypeCode>380</ram:TypeCode>", "")],
            "XSD-02",
            Severity::Error,
        ),
        (
            CII,
            &[(
                "<ram:ID>RE-2024-42</ram:ID>",
                "<ram:ID>RE-2024-42</ram:ID><ram:ID>RE-2024-43</ram:ID>",
            )],
            "XSD-03",
            Severity::Error,
        ),
        (
            CII,
            &[(
                "<ram:TaxCurrencyCode>GBP</ram:TaxCurrencyCode>\n      \
                 <ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
                "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>\
                 <ram:TaxCurrencyCode>GBP</ram:TaxCurrencyCode>",
            )],
            "XSD-04",
            Severity::Error,
        ),
        (
            CII,
            &[(r#"<udt:DateString format="102">"#, "<udt:DateString>")],
            "XSD-05",
            Severity::Error,
        ),
        (
            "cii-minimum.xml",
            &[(
                "<ram:PostalTradeAddress><ram:CountryID>FR</ram:CountryID>",
                "<ram:PostalTradeAddress><ram:CityName>Lyon</ram:CityName>\
                 <ram:CountryID>FR</ram:CountryID>",
            )],
            "XSD-01",
            Severity::Error,
        ),
        (
            ZF1,
            &[(
                "</rsm:HeaderExchangedDocument>",
                "</rsm:HeaderExchangedDocument><rsm:FooterExchangedDocument/>",
            )],
            "XSD-01",
            Severity::Error,
        ),
    ];
    for (name, edits, rule, severity) in cases {
        let found = codes(&import_edited(name, edits));
        assert!(
            found.contains(&((*rule).to_owned(), *severity)),
            "{rule} ({severity:?}) expected for {name} {edits:?}, found {found:?}"
        );
    }
}

#[test]
fn an_empty_zugferd1_currency_is_taken_from_the_amounts_or_the_seller_country() {
    let empty = (
        "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        "<ram:InvoiceCurrencyCode/>",
    );
    let from_attributes = import_edited(ZF1, &[empty]);
    assert_eq!(from_attributes.document.currency.code(), "EUR");
    let warning = from_attributes
        .problems
        .iter()
        .find(|p| p.code == "CURRENCY_ASSUMED")
        .expect("a warning says what was assumed");
    assert_eq!(warning.severity, Severity::Warning);
    assert!(
        warning.message.contains("currencyID=\"EUR\""),
        "{}",
        warning.message
    );

    let text = fixture(ZF1).replace(r#" currencyID="EUR""#, "");
    let without_attributes = text.replacen(empty.0, empty.1, 1);
    let imported = import_bytes(without_attributes.as_bytes()).expect("imports");
    assert_eq!(imported.document.currency.code(), "EUR");
    assert!(
        imported
            .problems
            .iter()
            .any(|p| p.code == "CURRENCY_ASSUMED" && p.message.contains("country DE")),
        "{:?}",
        imported.problems
    );

    // Two currencies in the attributes settle nothing: refused, naming the element.
    let mixed = fixture(ZF1).replacen(empty.0, empty.1, 1).replacen(
        r#"currencyID="EUR""#,
        r#"currencyID="USD""#,
        1,
    );
    let rejection = import_bytes(mixed.as_bytes()).unwrap_err();
    assert!(
        rejection.reason.contains("InvoiceCurrencyCode"),
        "{rejection}"
    );

    // CII D16B must state its currency.
    let cii = fixture(CII).replacen(
        "<ram:InvoiceCurrencyCode>EUR</ram:InvoiceCurrencyCode>",
        "<ram:InvoiceCurrencyCode/>",
        1,
    );
    assert!(import_bytes(cii.as_bytes()).is_err());
}

#[test]
fn a_text_line_without_vat_takes_the_first_breakdown_group() {
    let imported = import_edited(ZF1, &[]);
    let doc = &imported.document;
    assert_eq!(doc.lines.len(), 3);
    let text_line = &doc.lines[0];
    assert_eq!(text_line.net_amount, dec!(0));
    assert_eq!(text_line.vat_category, VatCategory::S);
    assert_eq!(text_line.vat_rate, Some(dec!(19.00)));
    assert!(
        imported
            .problems
            .iter()
            .any(|p| p.code == "LINE_VAT_FROM_HEADER" && p.field == "lines[0].vat_category")
    );
    assert!(
        !imported.problems.iter().any(|p| p.is_error()),
        "{:?}",
        imported.problems
    );
}

#[test]
fn the_release_candidate_gets_net_lines_and_a_breakdown_from_its_lines() {
    let imported = import_edited("zugferd-rc.xml", &[]);
    let doc = &imported.document;
    assert_eq!(doc.number, "RC-1");
    assert_eq!(doc.issue_date.to_string(), "2014-05-19");
    assert_eq!(
        doc.due_date.map(|d| d.to_string()).as_deref(),
        Some("2014-06-09")
    );
    let nets: Vec<_> = doc.lines.iter().map(|l| l.net_amount).collect();
    assert_eq!(nets, [dec!(316.00), dec!(20.00)]);
    let groups: Vec<_> = doc
        .vat_breakdown
        .iter()
        .map(|g| (g.rate, g.taxable_amount, g.tax_amount))
        .collect();
    assert_eq!(
        groups,
        [
            (Some(dec!(19.000000)), dec!(316.00), dec!(60.04)),
            (Some(dec!(7.000000)), dec!(20.00), dec!(1.40)),
        ]
    );
    let found: Vec<_> = codes(&imported).into_iter().map(|(c, _)| c).collect();
    assert_eq!(
        found,
        [
            "LINE_NET_DERIVED",
            "LINE_NET_DERIVED",
            "VAT_BREAKDOWN_DERIVED"
        ]
    );

    // A line total that is neither net nor net plus VAT is refused, not guessed.
    let wrong = fixture("zugferd-rc.xml").replacen("376.04", "380.00", 1);
    let rejection = import_bytes(wrong.as_bytes()).unwrap_err();
    assert!(rejection.reason.contains("neither"), "{rejection}");
}
