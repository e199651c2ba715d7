//! The PDF/A-3 side of a Factur-X / ZUGFeRD / XRechnung hybrid: what the PDF declares about the
//! invoice it carries, checked against the Factur-X specification (1.0.07, §6 "PDF/A-3 and XMP")
//! and the ZUGFeRD 1.0 / 2.0 specifications it grew out of.
//!
//! A hybrid PDF is two documents that must agree: the visible PDF and the embedded XML. A receiving
//! system decides *which* embedded file is the invoice, and which profile it claims, from the PDF's
//! XMP metadata (the `fx:` / `zf:` extension schema) and from the file specification's
//! `/AFRelationship`; a PDF that states these wrongly is not a conforming Factur-X invoice even when
//! its XML is perfect, and the next system in the chain may refuse it. Folio does not validate all of
//! ISO 19005-3 (fonts, colour spaces — that is veraPDF's job); it checks what identifies the
//! invoice:
//!
//! | rule | checks |
//! |---|---|
//! | `FX-PDFA-01` | the catalog has XMP metadata (`/Metadata`) |
//! | `FX-PDFA-02` | the XMP packet is well-formed XML |
//! | `FX-PDFA-03` | the XMP identifies PDF/A-3 (`pdfaid:part` = 3, `pdfaid:conformance` A, B or U) |
//! | `FX-PDFA-04` | the XMP carries the invoice properties (`DocumentType`, `DocumentFileName`, `Version`, `ConformanceLevel`) in a known Factur-X / ZUGFeRD namespace |
//! | `FX-PDFA-05` | the XMP declares that namespace in a PDF/A extension schema (`pdfaExtension:schemas`) |
//! | `FX-PDFA-06` | `DocumentType` is `INVOICE` (or `ORDER` …) and `ConformanceLevel` is a level of that namespace |
//! | `FX-PDFA-07` | `DocumentFileName` names an embedded file, and it is the one Folio read |
//! | `FX-PDFA-08` | the invoice's file specification has `/AFRelationship` (Data, Source or Alternative) and is listed in the catalog's `/AF` |
//! | `FX-PDFA-09` | the XMP `ConformanceLevel` agrees with the XML's specification identifier (BT-24) |
//! | `FX-PDFA-10` | the document catalog's `/Pages` is a page tree node (`/Type /Pages`) |
//! | `FX-PDFA-11` | device-dependent colour (DeviceRGB / DeviceCMYK) is used only with a PDF/A output intent or a default colour space (ISO 19005-3 §6.2.4.3) |
//! | `FX-PDFA-12` | the embedded invoice stream states its MIME type (`/Subtype /text#2Fxml`) and modification date (`/Params /ModDate`) (ISO 19005-3 §6.8) |
//!
//! Every finding is an error-severity [`Problem`] naming the rule (one exception: ZUGFeRD 1.0 files
//! of 2014–2017 often lack `zf:ConformanceLevel`, which the reference validator accepts, so that is
//! a warning): the invoice's *content* is still imported (the XML is what Folio books), and a
//! reviewer sees that the container is not right. The rules apply to PDFs that are, or say they are,
//! Factur-X / ZUGFeRD hybrids (a CII or ZUGFeRD invoice inside, or XMP that claims PDF/A or an
//! invoice schema); an ordinary PDF with a UBL file attached is not held to them.

use folio_domain::Problem;
use lopdf::{Dictionary, Document as Pdf, Object};

/// Largest XMP packet Folio reads (real ones are a few KiB).
const MAX_XMP_BYTES: usize = 4 * 1024 * 1024;

/// PDF/A identification schema.
const PDFAID_NS: &str = "http://www.aiim.org/pdfa/ns/id/";
/// PDF/A schema description (namespaceURI, prefix, property).
const PDFA_SCHEMA_NS: &str = "http://www.aiim.org/pdfa/ns/schema#";
/// RDF.
const RDF_NS: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#";

/// One invoice namespace of the XMP, with the levels and file names it allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvoiceSchema {
    pub namespace: &'static str,
    /// What the specification calls it, for messages.
    pub name: &'static str,
    /// `ConformanceLevel` values, upper case.
    pub levels: &'static [&'static str],
    /// `DocumentType` values.
    pub document_types: &'static [&'static str],
}

/// The invoice schemas of Factur-X 1.0 / ZUGFeRD 2.1+, ZUGFeRD 2.0 and ZUGFeRD 1.0.
pub const INVOICE_SCHEMAS: &[InvoiceSchema] = &[
    InvoiceSchema {
        namespace: "urn:factur-x:pdfa:CrossIndustryDocument:invoice:1p0#",
        name: "Factur-X / ZUGFeRD 2.1+",
        levels: &[
            "MINIMUM",
            "BASIC WL",
            "BASIC",
            "EN 16931",
            "EXTENDED",
            "XRECHNUNG",
        ],
        document_types: &["INVOICE"],
    },
    InvoiceSchema {
        namespace: "urn:zugferd:pdfa:CrossIndustryDocument:invoice:2p0#",
        name: "ZUGFeRD 2.0",
        levels: &["MINIMUM", "BASIC WL", "BASIC", "EN 16931", "EXTENDED"],
        document_types: &["INVOICE"],
    },
    InvoiceSchema {
        namespace: "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#",
        name: "ZUGFeRD 1.0",
        levels: &["BASIC", "COMFORT", "EXTENDED"],
        document_types: &["INVOICE"],
    },
    InvoiceSchema {
        namespace: "urn:ferd:pdfa:invoice:rc#",
        name: "ZUGFeRD 1.0 release candidate (2014)",
        levels: &["BASIC", "COMFORT", "EXTENDED"],
        document_types: &["INVOICE"],
    },
];

/// `/AFRelationship` values Factur-X allows for the invoice (PDF/A-3 also knows Supplement,
/// EncryptedPayload, FormData, Schema and Unspecified, which do not say "this is the invoice").
const RELATIONSHIPS: &[&str] = &["Data", "Source", "Alternative"];

/// One embedded file specification as the PDF states it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FileSpec {
    /// `/UF`, else `/F`.
    pub name: String,
    /// `/AFRelationship`, when present.
    pub relationship: Option<String>,
    /// Listed in the catalog's `/AF` array.
    pub in_catalog_af: bool,
    /// The embedded file stream's `/Subtype` (its MIME type), when present.
    pub mime_type: Option<String>,
    /// The embedded file stream has `/Params` with `/ModDate`.
    pub has_mod_date: bool,
}

/// What the XMP packet says, as far as the rules need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Xmp {
    /// `pdfaid:part` and `pdfaid:conformance`.
    pub pdfa_part: Option<String>,
    pub pdfa_conformance: Option<String>,
    /// The first known invoice namespace that has at least one property, with its values.
    pub invoice: Option<InvoiceProperties>,
    /// Namespaces declared in `pdfaExtension:schemas` (`pdfaSchema:namespaceURI`).
    pub extension_namespaces: Vec<String>,
}

/// The four invoice properties (element or attribute form), trimmed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InvoiceProperties {
    pub schema: Option<InvoiceSchema>,
    pub document_type: Option<String>,
    pub document_file_name: Option<String>,
    pub version: Option<String>,
    pub conformance_level: Option<String>,
}

/// Everything the PDF/A rules look at, gathered in one pass over the PDF.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PdfFacts {
    /// `None`: no `/Metadata` stream. `Some(Err(reason))`: present but not well-formed XML.
    pub xmp: Option<Result<Xmp, String>>,
    /// Every file specification with an embedded file, once each.
    pub files: Vec<FileSpec>,
    /// `/Type` of the object the catalog's `/Pages` points to.
    pub pages_type: Option<String>,
    /// The catalog has an output intent with `/S /GTS_PDFA1`.
    pub pdfa_output_intent: bool,
    /// The first place device-dependent colour is used without a default colour space on that
    /// page, e.g. "page 1: image /R12 in DeviceRGB".
    pub device_colour: Option<String>,
}

/// The XMP metadata packet of the document catalog (`/Metadata`), decompressed when filtered.
pub fn xmp_packet(pdf: &Pdf) -> Option<Vec<u8>> {
    let catalog = pdf.catalog().ok()?;
    let (_, object) = pdf.dereference(catalog.get(b"Metadata").ok()?).ok()?;
    let Object::Stream(stream) = object else {
        return None;
    };
    if stream.filters().map(|f| f.is_empty()).unwrap_or(true) {
        (stream.content.len() <= MAX_XMP_BYTES).then(|| stream.content.clone())
    } else {
        stream.decompressed_content_with_limit(MAX_XMP_BYTES).ok()
    }
}

fn name_of(pdf: &Pdf, d: &Dictionary, key: &[u8]) -> Option<String> {
    let object = d.get(key).ok()?;
    match pdf.dereference(object).ok()?.1 {
        Object::Name(n) => Some(String::from_utf8_lossy(n).into_owned()),
        _ => None,
    }
}

/// Gathers the facts of a loaded (unencrypted) PDF.
pub fn facts(pdf: &Pdf) -> PdfFacts {
    let mut out = PdfFacts {
        xmp: xmp_packet(pdf).map(|bytes| read_xmp(&bytes)),
        ..PdfFacts::default()
    };
    let Ok(catalog) = pdf.catalog() else {
        return out;
    };
    out.pages_type = catalog
        .get(b"Pages")
        .ok()
        .and_then(|p| pdf.dereference(p).ok())
        .and_then(|(_, o)| match o {
            Object::Dictionary(d) => Some(d),
            Object::Stream(s) => Some(&s.dict),
            _ => None,
        })
        .map(|d| name_of(pdf, d, b"Type").unwrap_or_default());
    let af_ids: Vec<lopdf::ObjectId> = catalog
        .get(b"AF")
        .ok()
        .and_then(|a| pdf.dereference(a).ok())
        .and_then(|(_, o)| o.as_array().ok())
        .map(|a| a.iter().filter_map(|o| o.as_reference().ok()).collect())
        .unwrap_or_default();
    out.pdfa_output_intent = catalog
        .get(b"OutputIntents")
        .ok()
        .and_then(|o| pdf.dereference(o).ok())
        .and_then(|(_, o)| o.as_array().ok())
        .is_some_and(|intents| {
            intents.iter().any(|i| {
                pdf.dereference(i)
                    .ok()
                    .and_then(|(_, o)| o.as_dict().ok())
                    .and_then(|d| name_of(pdf, d, b"S"))
                    .as_deref()
                    == Some("GTS_PDFA1")
            })
        });
    let mut seen = Vec::new();
    for (id, spec) in crate::pdf::file_specs(pdf) {
        if let Some(id) = id {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
        }
        let stream = spec
            .get(b"EF")
            .ok()
            .and_then(|ef| pdf.dereference(ef).ok())
            .and_then(|(_, ef)| ef.as_dict().ok())
            .and_then(|ef| ef.get(b"F").or_else(|_| ef.get(b"UF")).ok())
            .and_then(|f| pdf.dereference(f).ok())
            .and_then(|(_, f)| f.as_stream().ok());
        let Some(stream) = stream else {
            continue;
        };
        out.files.push(FileSpec {
            name: crate::pdf::spec_name(pdf, spec),
            relationship: name_of(pdf, spec, b"AFRelationship"),
            in_catalog_af: id.is_some_and(|id| af_ids.contains(&id)),
            mime_type: name_of(pdf, &stream.dict, b"Subtype"),
            has_mod_date: stream
                .dict
                .get(b"Params")
                .ok()
                .and_then(|p| pdf.dereference(p).ok())
                .and_then(|(_, p)| p.as_dict().ok())
                .is_some_and(|p| p.has(b"ModDate")),
        });
    }
    out.device_colour = device_colour(pdf);
    out
}

/// Pages scanned for device-dependent colour.
const MAX_COLOUR_PAGES: usize = 20;

/// Where the first page without a default colour space (`/DefaultRGB`, `/DefaultCMYK`) uses
/// DeviceRGB or DeviceCMYK: a colour operator in its content (`rg`, `RG`, `k`, `K`, `cs`/`CS` with
/// a device space) or an image XObject in such a space.
fn device_colour(pdf: &Pdf) -> Option<String> {
    for (number, page) in pdf.get_pages().into_iter().take(MAX_COLOUR_PAGES) {
        let (own, inherited) = pdf.get_page_resources(page).ok()?;
        let resources: Vec<&Dictionary> = own
            .into_iter()
            .chain(
                inherited
                    .iter()
                    .filter_map(|id| pdf.get_dictionary(*id).ok()),
            )
            .collect();
        let has_default = |key: &[u8]| {
            resources.iter().any(|r| {
                r.get(b"ColorSpace")
                    .ok()
                    .and_then(|c| pdf.dereference(c).ok())
                    .and_then(|(_, c)| c.as_dict().ok())
                    .is_some_and(|c| c.has(key))
            })
        };
        let (default_rgb, default_cmyk) = (has_default(b"DefaultRGB"), has_default(b"DefaultCMYK"));
        let uncovered = |space: &str| match space {
            "DeviceRGB" => !default_rgb,
            "DeviceCMYK" => !default_cmyk,
            _ => false,
        };
        for resource in &resources {
            let Some(xobjects) = resource
                .get(b"XObject")
                .ok()
                .and_then(|x| pdf.dereference(x).ok())
                .and_then(|(_, x)| x.as_dict().ok())
            else {
                continue;
            };
            for (name, xobject) in xobjects.iter() {
                let Some(stream) = pdf
                    .dereference(xobject)
                    .ok()
                    .and_then(|(_, x)| x.as_stream().ok())
                else {
                    continue;
                };
                let is_image = name_of(pdf, &stream.dict, b"Subtype").as_deref() == Some("Image");
                if let Some(space) = name_of(pdf, &stream.dict, b"ColorSpace")
                    && is_image
                    && uncovered(&space)
                {
                    return Some(format!(
                        "page {number}: image /{} in {space}",
                        String::from_utf8_lossy(name)
                    ));
                }
            }
        }
        let Ok(content) = pdf.get_and_decode_page_content(page) else {
            continue;
        };
        for op in &content.operations {
            let space = match op.operator.as_str() {
                "rg" | "RG" => "DeviceRGB".to_owned(),
                "k" | "K" => "DeviceCMYK".to_owned(),
                "cs" | "CS" => op
                    .operands
                    .first()
                    .and_then(|o| o.as_name().ok())
                    .map(|n| String::from_utf8_lossy(n).into_owned())
                    .unwrap_or_default(),
                _ => continue,
            };
            if uncovered(&space) {
                return Some(format!(
                    "page {number}: the colour operator '{}' in {space}",
                    op.operator
                ));
            }
        }
    }
    None
}

/// Reads the XMP packet: the text between the `<?xpacket` processing instructions (or the whole
/// stream), parsed with the same safe parser as invoices.
pub fn read_xmp(bytes: &[u8]) -> Result<Xmp, String> {
    let text = crate::xml::decode(bytes).map_err(|r| r.reason)?;
    let tree = crate::xml::parse(&text).map_err(|r| r.reason)?;
    let mut xmp = Xmp::default();
    let mut invoice: Vec<InvoiceProperties> = Vec::new();
    for node in tree.descendants().filter(|n| n.is_element()) {
        let ns = node.tag_name().namespace().unwrap_or_default();
        let local = node.tag_name().name();
        let value = || crate::xml::text(node).map(str::to_owned);
        if ns == PDFAID_NS {
            match local {
                "part" => xmp.pdfa_part = value(),
                "conformance" => xmp.pdfa_conformance = value(),
                _ => {}
            }
        }
        if ns == PDFA_SCHEMA_NS
            && local == "namespaceURI"
            && let Some(v) = value()
        {
            xmp.extension_namespaces.push(v);
        }
        if ns == RDF_NS && local == "Description" {
            for a in node.attributes() {
                match a.namespace() {
                    Some(PDFAID_NS) if a.name() == "part" => {
                        xmp.pdfa_part = Some(a.value().trim().to_owned());
                    }
                    Some(PDFAID_NS) if a.name() == "conformance" => {
                        xmp.pdfa_conformance = Some(a.value().trim().to_owned());
                    }
                    Some(ans) => {
                        if let Some(schema) = INVOICE_SCHEMAS.iter().find(|s| s.namespace == ans) {
                            set_property(&mut invoice, *schema, a.name(), a.value().trim());
                        }
                    }
                    None => {}
                }
            }
        }
        if let Some(schema) = INVOICE_SCHEMAS.iter().find(|s| s.namespace == ns)
            && let Some(v) = value()
        {
            set_property(&mut invoice, *schema, local, &v);
        }
    }
    xmp.invoice = invoice.into_iter().next();
    Ok(xmp)
}

fn set_property(found: &mut Vec<InvoiceProperties>, schema: InvoiceSchema, key: &str, value: &str) {
    let entry = match found.iter_mut().position(|p| p.schema == Some(schema)) {
        Some(i) => &mut found[i],
        None => {
            found.push(InvoiceProperties {
                schema: Some(schema),
                ..InvoiceProperties::default()
            });
            let last = found.len() - 1;
            &mut found[last]
        }
    };
    let value = Some(value.to_owned()).filter(|v| !v.is_empty());
    match key {
        "DocumentType" => entry.document_type = value,
        "DocumentFileName" => entry.document_file_name = value,
        "Version" => entry.version = value,
        "ConformanceLevel" => entry.conformance_level = value,
        _ => {}
    }
}

/// True when the PDF is, or says it is, a Factur-X / ZUGFeRD hybrid: the invoice inside is CII or
/// ZUGFeRD 1 (`embedded_cii`), or its XMP claims PDF/A or carries an invoice schema.
pub fn claims_hybrid(facts: &PdfFacts, embedded_cii: bool) -> bool {
    embedded_cii
        || matches!(&facts.xmp, Some(Ok(x)) if x.pdfa_part.is_some() || x.invoice.is_some())
}

/// The XMP `ConformanceLevel`s that agree with a specification identifier (BT-24); empty when the
/// identifier names no level Folio knows (then nothing is compared).
fn levels_for(guideline: &str) -> &'static [&'static str] {
    let id = guideline.trim().to_ascii_lowercase();
    if id.contains("xrechnung") {
        // ZUGFeRD 2.1.1 put XRechnung under EN 16931; 2.2 introduced XRECHNUNG.
        &["XRECHNUNG", "EN 16931"]
    } else if id.ends_with(":minimum") {
        &["MINIMUM"]
    } else if id.ends_with(":basicwl") {
        &["BASIC WL"]
    } else if id.ends_with(":basic") {
        &["BASIC"]
    } else if id.ends_with(":comfort") {
        &["COMFORT"]
    } else if id.contains("extended") {
        &["EXTENDED"]
    } else if id == "urn:cen.eu:en16931:2017" || id.ends_with(":en16931") {
        &["EN 16931"]
    } else {
        &[]
    }
}

fn rule(id: &str, field: &str, message: String) -> Problem {
    Problem::error(id, field, message)
}

/// The PDF/A-3 rules over the facts of a hybrid PDF; `invoice_file` is the embedded file Folio
/// read the invoice from, `guideline` the XML's specification identifier (BT-24).
pub fn check(facts: &PdfFacts, invoice_file: &str, guideline: Option<&str>) -> Vec<Problem> {
    let mut out = Vec::new();
    if facts.pages_type.as_deref() != Some("Pages") {
        out.push(rule(
            "FX-PDFA-10",
            "pdf",
            format!(
                "the document catalog's /Pages is {}, not a page tree node (/Type /Pages); the PDF \
                 structure is damaged",
                match &facts.pages_type {
                    Some(t) if !t.is_empty() => format!("a /{t} object"),
                    _ => "missing or untyped".to_owned(),
                }
            ),
        ));
    }
    if let Some(place) = &facts.device_colour
        && !facts.pdfa_output_intent
    {
        out.push(rule(
            "FX-PDFA-11",
            "pdf",
            format!(
                "{place} uses a device-dependent colour space, but the PDF has no PDF/A output \
                 intent (/OutputIntents with /S /GTS_PDFA1) and no default colour space; PDF/A-3 \
                 (ISO 19005-3 §6.2.4.3) forbids that"
            ),
        ));
    }
    let invoice_specs: Vec<&FileSpec> = facts
        .files
        .iter()
        .filter(|f| f.name == invoice_file)
        .collect();
    for spec in &invoice_specs {
        match spec.relationship.as_deref() {
            Some(r) if RELATIONSHIPS.contains(&r) => {}
            other => out.push(rule(
                "FX-PDFA-08",
                "pdf.attachments",
                format!(
                    "the file specification of '{invoice_file}' has {}; Factur-X requires \
                     /AFRelationship /Data, /Source or /Alternative for the invoice",
                    match other {
                        Some(r) => format!("/AFRelationship /{r}"),
                        None => "no /AFRelationship".to_owned(),
                    }
                ),
            )),
        }
        if !spec.in_catalog_af {
            out.push(rule(
                "FX-PDFA-08",
                "pdf.attachments",
                format!(
                    "a file specification of '{invoice_file}' is not listed in the document \
                     catalog's /AF array; PDF/A-3 (ISO 19005-3 §6.8) requires every embedded file \
                     to be associated with the document"
                ),
            ));
        }
        let xml_type = matches!(
            spec.mime_type.as_deref(),
            Some("text/xml" | "application/xml")
        );
        if !xml_type || !spec.has_mod_date {
            let mut missing = Vec::new();
            if !xml_type {
                missing.push(match &spec.mime_type {
                    Some(t) => format!("its MIME type is '{t}', not text/xml"),
                    None => "it states no MIME type (/Subtype)".to_owned(),
                });
            }
            if !spec.has_mod_date {
                missing.push("it has no modification date (/Params /ModDate)".to_owned());
            }
            out.push(rule(
                "FX-PDFA-12",
                "pdf.attachments",
                format!(
                    "the embedded file '{invoice_file}': {}; PDF/A-3 (ISO 19005-3 §6.8) and \
                     Factur-X require both",
                    missing.join(" and ")
                ),
            ));
        }
    }
    let xmp = match &facts.xmp {
        None => {
            out.push(rule(
                "FX-PDFA-01",
                "pdf.xmp",
                "the PDF has no XMP metadata (/Metadata in the document catalog); a Factur-X / \
                 ZUGFeRD PDF declares PDF/A-3 and its invoice there"
                    .to_owned(),
            ));
            return out;
        }
        Some(Err(reason)) => {
            out.push(rule(
                "FX-PDFA-02",
                "pdf.xmp",
                format!("the PDF's XMP metadata is not well-formed XML: {reason}"),
            ));
            return out;
        }
        Some(Ok(xmp)) => xmp,
    };
    let part_ok = xmp.pdfa_part.as_deref() == Some("3");
    let conformance_ok = matches!(xmp.pdfa_conformance.as_deref(), Some("A" | "B" | "U"));
    if !part_ok || !conformance_ok {
        out.push(rule(
            "FX-PDFA-03",
            "pdf.xmp",
            format!(
                "the XMP identifies the PDF as {}; Factur-X / ZUGFeRD require PDF/A-3 \
                 (pdfaid:part 3, pdfaid:conformance A, B or U)",
                match (&xmp.pdfa_part, &xmp.pdfa_conformance) {
                    (None, None) => "no PDF/A part at all".to_owned(),
                    (part, conformance) => format!(
                        "pdfaid:part {} conformance {}",
                        part.as_deref().unwrap_or("(none)"),
                        conformance.as_deref().unwrap_or("(none)")
                    ),
                }
            ),
        ));
    }
    let Some(props) = &xmp.invoice else {
        out.push(rule(
            "FX-PDFA-04",
            "pdf.xmp",
            "the XMP carries no Factur-X / ZUGFeRD invoice properties (fx:DocumentType, \
             fx:DocumentFileName, fx:Version, fx:ConformanceLevel in a Factur-X or ZUGFeRD \
             namespace)"
                .to_owned(),
        ));
        return out;
    };
    let Some(schema) = props.schema else {
        return out;
    };
    let mut absent = Vec::new();
    if props.document_type.is_none() {
        absent.push("DocumentType");
    }
    if props.document_file_name.is_none() {
        absent.push("DocumentFileName");
    }
    if props.version.is_none() {
        absent.push("Version");
    }
    if !absent.is_empty() {
        out.push(rule(
            "FX-PDFA-04",
            "pdf.xmp",
            format!(
                "the XMP's {} invoice properties lack {}",
                schema.name,
                absent.join(", ")
            ),
        ));
    }
    if props.conformance_level.is_none() {
        let message = format!(
            "the XMP's {} invoice properties lack ConformanceLevel",
            schema.name
        );
        out.push(
            if schema.namespace == "urn:ferd:pdfa:CrossIndustryDocument:invoice:1p0#" {
                Problem::warning("FX-PDFA-04", "pdf.xmp", message)
            } else {
                rule("FX-PDFA-04", "pdf.xmp", message)
            },
        );
    }
    if !xmp
        .extension_namespaces
        .iter()
        .any(|n| n == schema.namespace)
    {
        out.push(rule(
            "FX-PDFA-05",
            "pdf.xmp",
            format!(
                "the XMP uses the {} namespace '{}' without declaring it in a PDF/A extension \
                 schema (pdfaExtension:schemas); PDF/A requires every custom property to be \
                 described",
                schema.name, schema.namespace
            ),
        ));
    }
    if let Some(kind) = &props.document_type
        && !schema.document_types.contains(&kind.as_str())
    {
        out.push(rule(
            "FX-PDFA-06",
            "pdf.xmp",
            format!(
                "the XMP DocumentType is '{kind}'; {} allows {}",
                schema.name,
                schema.document_types.join(", ")
            ),
        ));
    }
    if let Some(level) = &props.conformance_level {
        let upper = level.to_ascii_uppercase();
        if !schema.levels.contains(&upper.as_str()) {
            out.push(rule(
                "FX-PDFA-06",
                "pdf.xmp",
                format!(
                    "the XMP ConformanceLevel is '{level}', not a level of {} ({})",
                    schema.name,
                    schema.levels.join(", ")
                ),
            ));
        } else if let Some(id) = guideline
            && !schema.name.contains("release candidate")
        {
            let expected = levels_for(id);
            if !expected.is_empty() && !expected.contains(&upper.as_str()) {
                out.push(rule(
                    "FX-PDFA-09",
                    "pdf.xmp",
                    format!(
                        "the XMP ConformanceLevel '{level}' does not match the invoice's \
                         specification identifier (BT-24) '{id}', which is {}",
                        expected.join(" or ")
                    ),
                ));
            }
        }
    }
    if let Some(file) = &props.document_file_name
        && file != invoice_file
    {
        let embedded = facts.files.iter().any(|f| &f.name == file);
        out.push(rule(
            "FX-PDFA-07",
            "pdf.xmp",
            if embedded {
                format!(
                    "the XMP DocumentFileName names '{file}', but the invoice Folio read is \
                     '{invoice_file}'; the PDF must say which embedded file is the invoice"
                )
            } else {
                format!(
                    "the XMP DocumentFileName names '{file}', which is not embedded in the PDF \
                     (the invoice is '{invoice_file}')"
                )
            },
        ));
    }
    out
}
