//! The Factur-X PDF/A-3 rules (`FX-PDFA-…`): a conforming hybrid built in the test has none, and
//! each mutation of it is reported by its rule. Runs without the shared corpus.

use folio_domain::Severity;
use folio_import::import_bytes;
use lopdf::{Dictionary, Document, Object, Stream, dictionary};

fn fixture(name: &str) -> Vec<u8> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The XMP of a Factur-X EN 16931 PDF/A-3B, in element form.
const XMP: &str = r#"<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/" rdf:about="">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
  </rdf:Description>
  <rdf:Description xmlns:fx="urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#" rdf:about="">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>
  <rdf:Description xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
      xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#" rdf:about="">
   <pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
    <pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#</pdfaSchema:namespaceURI>
    <pdfaSchema:prefix>fx</pdfaSchema:prefix>
   </rdf:li></rdf:Bag></pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"#;

/// How to build the hybrid; the default conforms.
#[derive(Debug, Clone)]
struct Build {
    xmp: Option<String>,
    relationship: Option<&'static str>,
    in_af: bool,
    mod_date: bool,
    mime_type: Option<&'static str>,
    output_intent: bool,
    page_content: &'static str,
    pages_is_page: bool,
    attachment: (&'static str, Vec<u8>),
}

impl Default for Build {
    fn default() -> Build {
        Build {
            xmp: Some(XMP.to_owned()),
            relationship: Some("Alternative"),
            in_af: true,
            mod_date: true,
            mime_type: Some("text/xml"),
            output_intent: false,
            page_content: "BT /F1 12 Tf 72 712 Td (Invoice RE-2024-42) Tj ET",
            pages_is_page: false,
            attachment: ("factur-x.xml", fixture("cii-invoice.xml")),
        }
    }
}

fn xmp_with(from: &str, to: &str) -> Option<String> {
    assert!(XMP.contains(from), "{from}");
    Some(XMP.replacen(from, to, 1))
}

fn build(b: &Build) -> Vec<u8> {
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let content_id = doc.add_object(Stream::new(
        dictionary! {},
        b.page_content.as_bytes().to_vec(),
    ));
    let page = dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    };
    let page_id = doc.add_object(page.clone());
    let pages = if b.pages_is_page {
        page
    } else {
        dictionary! { "Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1 }
    };
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = dictionary! { "Type" => "Catalog", "Pages" => pages_id };
    let (name, bytes) = &b.attachment;
    let mut file_dict = dictionary! { "Type" => "EmbeddedFile" };
    if let Some(mime) = b.mime_type {
        file_dict.set("Subtype", Object::Name(mime.as_bytes().to_vec()));
    }
    if b.mod_date {
        file_dict.set(
            "Params",
            dictionary! { "ModDate" => Object::string_literal("D:20240101120000+01'00'") },
        );
    }
    let file_id = doc.add_object(Stream::new(file_dict, bytes.clone()));
    let mut spec = dictionary! {
        "Type" => "Filespec",
        "F" => Object::string_literal(*name),
        "UF" => Object::string_literal(*name),
        "EF" => dictionary! { "F" => file_id },
    };
    if let Some(r) = b.relationship {
        spec.set("AFRelationship", Object::Name(r.as_bytes().to_vec()));
    }
    let spec_id = doc.add_object(spec);
    catalog.set(
        "Names",
        dictionary! {
            "EmbeddedFiles" => dictionary! {
                "Names" => vec![Object::string_literal(*name), spec_id.into()],
            },
        },
    );
    if b.in_af {
        catalog.set("AF", vec![Object::from(spec_id)]);
    }
    if let Some(xmp) = &b.xmp {
        let meta = Stream::new(
            dictionary! { "Type" => "Metadata", "Subtype" => "XML" },
            xmp.as_bytes().to_vec(),
        );
        catalog.set("Metadata", doc.add_object(meta));
    }
    if b.output_intent {
        let profile = doc.add_object(Stream::new(dictionary! { "N" => 3 }, vec![0u8; 16]));
        let intent: Dictionary = dictionary! {
            "Type" => "OutputIntent",
            "S" => "GTS_PDFA1",
            "OutputConditionIdentifier" => Object::string_literal("sRGB"),
            "DestOutputProfile" => profile,
        };
        catalog.set("OutputIntents", vec![Object::Dictionary(intent)]);
    }
    let catalog_id = doc.add_object(catalog);
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("saves");
    out
}

/// The `FX-PDFA-…` problems of an import, with their severity.
fn pdfa_rules(bytes: &[u8]) -> Vec<(String, Severity)> {
    let imported = import_bytes(bytes).unwrap_or_else(|r| panic!("[{}] {r}", r.code));
    imported
        .problems
        .into_iter()
        .filter(|p| p.code.starts_with("FX-PDFA-"))
        .map(|p| (p.code, p.severity))
        .collect()
}

#[test]
fn a_conforming_hybrid_breaks_no_pdfa_rule() {
    assert_eq!(pdfa_rules(&build(&Build::default())), []);
    // The attribute form of the properties is the same RDF.
    let attributes = XMP.replace(
        r#"rdf:about="">
   <fx:DocumentType>INVOICE</fx:DocumentType>
   <fx:DocumentFileName>factur-x.xml</fx:DocumentFileName>
   <fx:Version>1.0</fx:Version>
   <fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>
  </rdf:Description>"#,
        r#"rdf:about="" fx:DocumentType="INVOICE" fx:DocumentFileName="factur-x.xml" fx:Version="1.0" fx:ConformanceLevel="EN 16931"/>"#,
    );
    assert_ne!(attributes, XMP);
    let b = Build {
        xmp: Some(attributes),
        ..Build::default()
    };
    assert_eq!(pdfa_rules(&build(&b)), []);
    // Device colour is fine with a PDF/A output intent.
    let b = Build {
        page_content: "1 0 0 rg 0 0 10 10 re f",
        output_intent: true,
        ..Build::default()
    };
    assert_eq!(pdfa_rules(&build(&b)), []);
}

#[test]
fn each_fault_is_reported_by_its_rule() {
    let d = Build::default;
    let cases: Vec<(&str, Build, &str)> = vec![
        ("no XMP", Build { xmp: None, ..d() }, "FX-PDFA-01"),
        (
            "XMP not well-formed",
            Build {
                xmp: xmp_with("<fx:Version>1.0", "<fx:Version>1 & 0"),
                ..d()
            },
            "FX-PDFA-02",
        ),
        (
            "PDF/A-2",
            Build {
                xmp: xmp_with("<pdfaid:part>3", "<pdfaid:part>2"),
                ..d()
            },
            "FX-PDFA-03",
        ),
        (
            "no invoice properties",
            Build {
                xmp: xmp_with(
                    "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#\" rdf:about",
                    "urn:example:other#\" rdf:about",
                ),
                ..d()
            },
            "FX-PDFA-04",
        ),
        (
            "no DocumentType",
            Build {
                xmp: xmp_with("<fx:DocumentType>INVOICE</fx:DocumentType>", ""),
                ..d()
            },
            "FX-PDFA-04",
        ),
        (
            "namespace not declared",
            Build {
                xmp: xmp_with(
                    "<pdfaSchema:namespaceURI>urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
                    "<pdfaSchema:namespaceURI>urn:example:other#",
                ),
                ..d()
            },
            "FX-PDFA-05",
        ),
        (
            "unknown level",
            Build {
                xmp: xmp_with("EN 16931</fx:Conf", "no thing</fx:Conf"),
                ..d()
            },
            "FX-PDFA-06",
        ),
        (
            "unknown document type",
            Build {
                xmp: xmp_with(">INVOICE<", ">LETTER<"),
                ..d()
            },
            "FX-PDFA-06",
        ),
        (
            "file name of another file",
            Build {
                xmp: xmp_with(
                    "<fx:DocumentFileName>factur-x.xml",
                    "<fx:DocumentFileName>x.xml",
                ),
                ..d()
            },
            "FX-PDFA-07",
        ),
        (
            "no relationship",
            Build {
                relationship: None,
                ..d()
            },
            "FX-PDFA-08",
        ),
        (
            "relationship Supplement",
            Build {
                relationship: Some("Supplement"),
                ..d()
            },
            "FX-PDFA-08",
        ),
        (
            "not in /AF",
            Build {
                in_af: false,
                ..d()
            },
            "FX-PDFA-08",
        ),
        (
            "level against BT-24",
            Build {
                xmp: xmp_with("EN 16931</fx:Conf", "BASIC</fx:Conf"),
                ..d()
            },
            "FX-PDFA-09",
        ),
        (
            "pages is a page",
            Build {
                pages_is_page: true,
                ..d()
            },
            "FX-PDFA-10",
        ),
        (
            "device RGB without output intent",
            Build {
                page_content: "1 0 0 rg 0 0 10 10 re f",
                ..d()
            },
            "FX-PDFA-11",
        ),
        (
            "no ModDate",
            Build {
                mod_date: false,
                ..d()
            },
            "FX-PDFA-12",
        ),
        (
            "no MIME type",
            Build {
                mime_type: None,
                ..d()
            },
            "FX-PDFA-12",
        ),
    ];
    for (what, b, rule) in cases {
        let found = pdfa_rules(&build(&b));
        assert!(
            found.contains(&(rule.to_owned(), Severity::Error)),
            "{what}: expected {rule}, found {found:?}"
        );
    }
}

#[test]
fn a_missing_zugferd1_conformance_level_is_a_warning() {
    let xmp = XMP
        .replace(
            "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
            "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#",
        )
        .replace("factur-x.xml", "ZUGFeRD-invoice.xml")
        .replace("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>", "");
    let b = Build {
        xmp: Some(xmp),
        attachment: ("ZUGFeRD-invoice.xml", fixture("zugferd1-invoice.xml")),
        ..Build::default()
    };
    assert_eq!(
        pdfa_rules(&build(&b)),
        [("FX-PDFA-04".to_owned(), Severity::Warning)]
    );
}

#[test]
fn an_ordinary_pdf_with_a_ubl_attachment_is_not_held_to_pdfa() {
    let b = Build {
        xmp: None,
        relationship: None,
        in_af: false,
        mod_date: false,
        attachment: ("invoice.xml", fixture("ubl-invoice.xml")),
        ..Build::default()
    };
    assert_eq!(pdfa_rules(&build(&b)), []);
}
