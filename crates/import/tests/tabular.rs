//! CSV and XLSX imports through mapping profiles, over the fixtures in `tests/fixtures/tabular/`
//! (an AP export in windows-1252 with one row per invoice line, a card statement with one row per
//! charge) and XLSX workbooks built here: what each document reads as, and every way a file is
//! refused whole, naming the row and column.

use folio_domain::{DocType, Syntax, VatCategory};
use folio_import::tabular::{Profile, TabularDocument, import_tabular};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use std::io::Write;
use std::path::Path;

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tabular")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn profile(name: &str) -> Profile {
    let text = String::from_utf8(fixture(name)).expect("profiles are UTF-8");
    Profile::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn import(file: &[u8], profile_name: &str) -> Vec<TabularDocument> {
    import_tabular(file, &profile(profile_name)).unwrap_or_else(|r| panic!("[{}] {r}", r.code))
}

#[test]
fn an_ap_export_becomes_one_document_per_invoice_with_its_lines() {
    let docs = import(&fixture("ap-export.csv"), "ap-export.toml");
    let summary: Vec<(&str, &str, usize, Decimal, Vec<usize>)> = docs
        .iter()
        .map(|d| {
            let doc = &d.imported.document;
            (
                doc.supplier.name.as_str(),
                doc.number.as_str(),
                doc.lines.len(),
                doc.totals.payable,
                d.rows.clone(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Bürobedarf Schäfer KG",
                "R-2024-118",
                2,
                dec!(83.04),
                vec![4, 5]
            ),
            ("Stadtwerke Nord", "SW-7781", 1, dec!(1528.44), vec![6]),
            (
                "Grafikbüro Léa Dubois",
                "F-2024-09",
                1,
                dec!(510.00),
                vec![7]
            ),
        ]
    );
    let office = &docs[0].imported.document;
    assert_eq!(office.syntax, Syntax::Tabular);
    assert_eq!(office.supplier.vat_id.as_deref(), Some("DE811907980"));
    assert_eq!(office.issue_date.to_string(), "2024-03-01");
    assert_eq!(
        office.due_date.map(|d| d.to_string()).as_deref(),
        Some("2024-03-31")
    );
    assert_eq!(office.lines[1].name, "Kaffee „Crema“ 1 kg");
    assert_eq!(office.lines[0].quantity, dec!(10));
    assert_eq!(office.lines[0].unit_price, dec!(4.29));
    let groups: Vec<_> = office
        .vat_breakdown
        .iter()
        .map(|g| (g.category, g.rate, g.taxable_amount, g.tax_amount))
        .collect();
    assert_eq!(
        groups,
        [
            (VatCategory::S, Some(dec!(19)), dec!(42.90), dec!(8.15)),
            (VatCategory::S, Some(dec!(7)), dec!(29.90), dec!(2.09)),
        ]
    );
    assert_eq!(
        docs[2].imported.document.vat_breakdown[0].category,
        VatCategory::Z
    );
    for d in &docs {
        let errors: Vec<_> = d
            .imported
            .problems
            .iter()
            .filter(|p| p.is_error())
            .collect();
        assert_eq!(
            errors,
            Vec::<&folio_domain::Problem>::new(),
            "{}",
            d.imported.document.number
        );
        assert!(
            d.source.starts_with("Lieferant,USt-IdNr,Rechnungsnr"),
            "{}",
            d.source
        );
        assert_eq!(d.source.lines().count(), 1 + d.rows.len());
    }
}

#[test]
fn a_card_statement_becomes_one_document_per_charge() {
    let docs = import(&fixture("card-statement.csv"), "card-statement.toml");
    let summary: Vec<(&str, &str, DocType, Decimal, &str)> = docs
        .iter()
        .map(|d| {
            let doc = &d.imported.document;
            (
                doc.supplier.name.as_str(),
                doc.number.as_str(),
                doc.doc_type,
                doc.totals.payable,
                doc.currency.code(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "Deutsche Bahn",
                "TX-88213",
                DocType::Invoice,
                dec!(89.90),
                "EUR"
            ),
            (
                "Hotel \"Am Park\"",
                "TX-88240",
                DocType::Invoice,
                dec!(246.00),
                "EUR"
            ),
            (
                "Amazon Web Services",
                "TX-88251",
                DocType::Invoice,
                dec!(1204.17),
                "USD"
            ),
            (
                "Deutsche Bahn",
                "TX-88302",
                DocType::CreditNote,
                dec!(89.90),
                "EUR"
            ),
        ]
    );
    assert_eq!(
        docs[0].imported.document.notes,
        ["Ticket Hamburg - Berlin, 2nd class"]
    );
    assert!(docs[0].imported.document.is_header_only());
}

#[test]
fn a_bad_cell_refuses_the_whole_file_naming_row_and_column() {
    let good = String::from_utf8(fixture("card-statement.csv")).expect("UTF-8");
    let cases = [
        (
            "\"1,204.17\"",
            "\"12,3,4\"",
            "row 4, column 'Amount': '12,3,4' is not a number",
        ),
        (
            "2024-03-09",
            "09.03.2024",
            "row 5, column 'Date': '09.03.2024' is not a date in the form %Y-%m-%d",
        ),
        (
            ",USD,",
            ",DOLLAR,",
            "row 4, column 'Currency': 'DOLLAR' is not an ISO 4217 currency code",
        ),
        (
            ",TX-88240",
            ",",
            "row 3, column 'Reference': the cell is empty",
        ),
    ];
    for (from, to, expected) in cases {
        assert!(good.contains(from), "{from}");
        let bad = good.replacen(from, to, 1);
        let rejection =
            import_tabular(bad.as_bytes(), &profile("card-statement.toml")).unwrap_err();
        assert!(rejection.reason.contains(expected), "{to}: {rejection}");
        assert!(
            rejection.reason.contains("nothing of the file is imported"),
            "{rejection}"
        );
    }
    let missing_column = good.replacen("Reference", "Ref", 1);
    let rejection =
        import_tabular(missing_column.as_bytes(), &profile("card-statement.toml")).unwrap_err();
    assert!(
        rejection.reason.contains("no column 'Reference' (number)"),
        "{rejection}"
    );
}

#[test]
fn a_line_that_contradicts_its_invoice_refuses_the_file() {
    let bytes = fixture("ap-export.csv");
    // The second line of R-2024-118 dated a day later.
    let text: Vec<u8> = String::from_utf8_lossy(&bytes).into_owned().into_bytes();
    let _ = text;
    let mut bad = bytes.clone();
    let needle = b"R-2024-118;01.03.2024";
    let positions: Vec<usize> = bad
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(positions.len(), 2);
    bad[positions[1] + needle.len() - 9] = b'2';
    let rejection = import_tabular(&bad, &profile("ap-export.toml")).unwrap_err();
    assert!(rejection.reason.contains("row 5"), "{rejection}");
    assert!(
        rejection.reason.contains("different issue date"),
        "{rejection}"
    );
}

/// A minimal XLSX workbook: one sheet of inline-string and number cells; a cell written as
/// `D:serial` is a date cell (style 1, number format 14).
fn workbook(rows: &[&[&str]]) -> Vec<u8> {
    let mut sheet = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, row) in rows.iter().enumerate() {
        sheet.push_str(&format!("<row r=\"{}\">", r + 1));
        for (c, value) in row.iter().enumerate() {
            let reference = format!("{}{}", char::from(b'A' + c as u8), r + 1);
            if let Some(serial) = value.strip_prefix("D:") {
                sheet.push_str(&format!("<c r=\"{reference}\" s=\"1\"><v>{serial}</v></c>"));
            } else if let Some(number) = value.strip_prefix("N:") {
                sheet.push_str(&format!("<c r=\"{reference}\"><v>{number}</v></c>"));
            } else {
                sheet.push_str(&format!(
                    "<c r=\"{reference}\" t=\"inlineStr\"><is><t>{value}</t></is></c>"
                ));
            }
        }
        sheet.push_str("</row>");
    }
    sheet.push_str("</sheetData></worksheet>");
    let files = [
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/><Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>"#.to_owned(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Invoices" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_owned(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>"#.to_owned(),
        ),
        (
            "xl/styles.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>"#.to_owned(),
        ),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in files {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .expect("zip entry");
        zip.write_all(text.as_bytes()).expect("zip write");
    }
    zip.finish().expect("zip").into_inner()
}

const XLSX_PROFILE: &str = "sheet = 'Invoices'\ncurrency = 'EUR'\n[columns]\nsupplier = 'Vendor'\n\
                            number = 'Invoice'\nissue_date = 'Date'\nnet = 'Net'\nvat = 'VAT'\n\
                            total = 'Gross'\n";

#[test]
fn xlsx_numbers_are_read_as_the_exact_decimals_the_cells_hold() {
    let book = workbook(&[
        &["Vendor", "Invoice", "Date", "Net", "VAT", "Gross"],
        &[
            "Acme GmbH",
            "A-1",
            "D:45356",
            "N:1011.9",
            "N:192.27",
            "N:1204.17",
        ],
        // 0.1 + 0.2 computed by a formula is stored as 0.30000000000000004.
        &[
            "Beta SA",
            "B-7",
            "D:45357",
            "N:0.30000000000000004",
            "N:0",
            "N:0.3",
        ],
    ]);
    let docs = import_tabular(&book, &Profile::parse(XLSX_PROFILE).expect("profile"))
        .unwrap_or_else(|r| panic!("{r}"));
    let read: Vec<(String, Decimal, Decimal, Decimal, Vec<usize>)> = docs
        .iter()
        .map(|d| {
            let doc = &d.imported.document;
            (
                doc.issue_date.to_string(),
                doc.totals.tax_exclusive,
                doc.totals.tax_total.unwrap_or_default(),
                doc.totals.payable,
                d.rows.clone(),
            )
        })
        .collect();
    assert_eq!(
        read,
        [
            (
                "2024-03-05".to_owned(),
                dec!(1011.9),
                dec!(192.27),
                dec!(1204.17),
                vec![2]
            ),
            (
                "2024-03-06".to_owned(),
                dec!(0.3),
                dec!(0),
                dec!(0.3),
                vec![3]
            ),
        ]
    );
    let wrong_sheet = Profile::parse(&XLSX_PROFILE.replace("Invoices", "Sheet9")).expect("profile");
    let rejection = import_tabular(&book, &wrong_sheet).unwrap_err();
    assert!(
        rejection.reason.contains("no sheet 'Sheet9'"),
        "{rejection}"
    );
    let text_in_number = workbook(&[
        &["Vendor", "Invoice", "Date", "Net", "VAT", "Gross"],
        &["Acme GmbH", "A-1", "D:45356", "N:10", "N:0", "ten"],
    ]);
    let rejection = import_tabular(
        &text_in_number,
        &Profile::parse(XLSX_PROFILE).expect("profile"),
    )
    .unwrap_err();
    assert!(
        rejection
            .reason
            .contains("row 2, column 'Gross': 'ten' is not a number"),
        "{rejection}"
    );
}
