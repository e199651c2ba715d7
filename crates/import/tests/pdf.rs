//! PDF/A-3 hybrids built in the test (so it runs without the shared corpus): the embedded
//! invoice is found through the `EmbeddedFiles` name tree and `/AF`, the PDF stays the original,
//! and hostile PDFs (encrypted, damaged, bombs, random mutations) are refused without a panic.

use folio_import::{codes, import_bytes};
use lopdf::{Document, Object, Stream, dictionary};
use proptest::prelude::*;

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A one-page PDF with `attachment` (name, bytes) embedded, FlateDecode-compressed.
fn pdf_with(attachment: Option<(&str, &[u8])>, page_text: &str) -> Document {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content = format!("BT /F1 12 Tf 72 712 Td ({page_text}) Tj ET");
    let content_id = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Kids" => vec![page_id.into()],
            "Count" => 1,
        }),
    );
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    if let Some((name, bytes)) = attachment {
        let mut file = Stream::new(dictionary! { "Type" => "EmbeddedFile" }, bytes.to_vec());
        file.compress().expect("compresses");
        let file_id = doc.add_object(file);
        let spec_id = doc.add_object(dictionary! {
            "Type" => "Filespec",
            "F" => Object::string_literal(name),
            "UF" => Object::string_literal(name),
            "EF" => dictionary! { "F" => file_id },
        });
        catalog.set(
            "Names",
            dictionary! {
                "EmbeddedFiles" => dictionary! {
                    "Names" => vec![Object::string_literal(name), spec_id.into()],
                },
            },
        );
        catalog.set("AF", vec![Object::from(spec_id)]);
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    doc
}

fn save(mut doc: Document) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}

fn hybrid() -> Vec<u8> {
    let xml = fixture("cii-invoice.xml");
    save(pdf_with(Some(("factur-x.xml", &xml)), "Invoice"))
}

#[test]
fn reads_the_embedded_invoice_and_keeps_the_pdf_as_original() {
    let from_xml = import_bytes(&fixture("cii-invoice.xml")).expect("xml imports");
    let from_pdf = import_bytes(&hybrid()).expect("pdf imports");
    assert_eq!(from_pdf.media_type, "application/pdf");
    assert_eq!(from_xml.media_type, "application/xml");
    assert_eq!(from_pdf.document, from_xml.document);
    assert!(
        from_pdf
            .problems
            .iter()
            .any(|p| p.code == "PDF_EMBEDDED_XML" && p.message.contains("factur-x.xml"))
    );
}

#[test]
fn a_pdf_without_an_invoice_is_refused_with_a_reason() {
    let plain = save(pdf_with(None, "Just a letter"));
    let rejection = import_bytes(&plain).unwrap_err();
    assert_eq!(rejection.code, codes::UNSUPPORTED_FORMAT);
    assert!(rejection.reason.contains("no embedded e-invoice"));

    let picture = save(pdf_with(Some(("photo.png", b"\x89PNG....")), "x"));
    assert_eq!(
        import_bytes(&picture).unwrap_err().code,
        codes::UNSUPPORTED_FORMAT
    );
}

#[test]
fn an_embedded_order_is_not_an_invoice() {
    let order = fixture("order-x.xml");
    let pdf = save(pdf_with(Some(("order-x.xml", &order)), "Order"));
    let rejection = import_bytes(&pdf).unwrap_err();
    assert_eq!(rejection.code, codes::NOT_AN_INVOICE, "{rejection}");
    assert!(rejection.reason.contains("order-x.xml"));
}

#[test]
fn encrypted_pdfs_are_refused() {
    let mut doc = pdf_with(Some(("factur-x.xml", &fixture("cii-invoice.xml"))), "x");
    let encrypt = doc.add_object(dictionary! {
        "Filter" => "Standard",
        "V" => 2,
        "R" => 3,
        "Length" => 128,
        "P" => -44,
        "O" => Object::string_literal(vec![0u8; 32]),
        "U" => Object::string_literal(vec![0u8; 32]),
    });
    doc.trailer.set("Encrypt", encrypt);
    doc.trailer.set(
        "ID",
        vec![
            Object::string_literal(vec![1u8; 16]),
            Object::string_literal(vec![1u8; 16]),
        ],
    );
    let rejection = import_bytes(&save(doc)).unwrap_err();
    assert_eq!(rejection.code, codes::ENCRYPTED_PDF, "{rejection}");
}

#[test]
fn damaged_pdfs_are_refused() {
    let mut bytes = hybrid();
    bytes.truncate(bytes.len() / 3);
    if let Err(rejection) = import_bytes(&bytes) {
        assert!(!rejection.reason.is_empty());
    }
    let rejection = import_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog").unwrap_err();
    assert_eq!(rejection.code, codes::MALFORMED_PDF, "{rejection}");
}

#[test]
fn a_decompression_bomb_is_not_inflated() {
    // 40 MiB of zeros compress to about 40 KiB; the attachment limit is 20 MiB.
    let zeros = vec![b' '; 40 * 1024 * 1024];
    let pdf = save(pdf_with(Some(("factur-x.xml", &zeros)), "x"));
    assert!(pdf.len() < 1024 * 1024);
    assert!(import_bytes(&pdf).is_err());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn mutated_pdfs_never_panic(
        edits in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = hybrid();
        for (at, value) in &edits {
            let i = at.index(bytes.len());
            if let Some(b) = bytes.get_mut(i) {
                *b = *value;
            }
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()).max(8));
        }
        if let Err(rejection) = import_bytes(&bytes) {
            prop_assert!(!rejection.code.is_empty());
            prop_assert!(!rejection.reason.is_empty());
        }
    }
}
