//! PDF invoices: the e-invoice embedded in a PDF/A-3 (Factur-X, ZUGFeRD, XRechnung in a PDF, UBL
//! attached to an ordinary PDF) is found, read with the XML importers, and the PDF stays the
//! document's original (the bytes the app stores, media type `application/pdf`).
//!
//! A PDF is hostile input like any other: it is parsed with `lopdf` in lenient mode with a bound on
//! every decompressed stream (decompression bombs), the name tree is walked with a depth and count
//! bound, attachments larger than [`MAX_ATTACHMENT_BYTES`] are not read, and a panic inside the
//! parser is caught and reported as a malformed PDF rather than taking the app down. Encrypted PDFs
//! are refused (PDF/A forbids encryption, and Folio will not guess passwords).
//!
//! A Factur-X / ZUGFeRD hybrid is also checked as a PDF/A-3 container ([`crate::pdfa`]: XMP
//! metadata, attachment relationship, output intent, …).
//!
//! When the PDF's visible text can be extracted, it is compared with the XML: if the XML's
//! invoice number or amount due does not appear in it, an `FX-HYBRID-01` warning says so: Factur-X
//! and ZUGFeRD require the visible PDF and the XML to be the same invoice, and the person who
//! approved the invoice may have read a different amount than the one that is paid. (It is a
//! warning because text extraction can miss what a person sees.)

use crate::{Imported, Rejection, codes};
use folio_domain::{Problem, Severity, Syntax};
use lopdf::{Dictionary, Document as Pdf, LoadOptions, Object, ObjectId};
use rust_decimal::{Decimal, RoundingStrategy};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// Largest embedded file Folio decompresses (an invoice XML is well below 1 MiB).
pub const MAX_ATTACHMENT_BYTES: usize = 20 * 1024 * 1024;
/// Largest decompressed stream while loading the PDF structure (object and xref streams).
const MAX_STREAM_BYTES: usize = 64 * 1024 * 1024;
/// Deepest name tree (`/Kids`) Folio follows.
const MAX_TREE_DEPTH: usize = 32;
/// Most attachments Folio looks at in one PDF.
const MAX_ATTACHMENTS: usize = 256;
/// Pages whose text is extracted for the PDF-versus-XML check.
const MAX_TEXT_PAGES: usize = 20;
/// Bound on the decompressed content read while extracting text.
const MAX_TEXT_BYTES: usize = 32 * 1024 * 1024;

/// File names of embedded invoices, most specific first (Factur-X / ZUGFeRD 2, ZUGFeRD 1,
/// XRechnung).
const KNOWN_NAMES: &[&str] = &[
    "factur-x.xml",
    "zugferd-invoice.xml",
    "xrechnung.xml",
    "order-x.xml",
];

/// One embedded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Reads the invoice embedded in a PDF.
pub fn import(bytes: &[u8]) -> Result<Imported, Rejection> {
    catch_unwind(AssertUnwindSafe(|| import_unguarded(bytes))).unwrap_or_else(|_| {
        Err(Rejection::new(
            codes::MALFORMED_PDF,
            "the PDF is damaged: its structure could not be read",
        ))
    })
}

fn import_unguarded(bytes: &[u8]) -> Result<Imported, Rejection> {
    let pdf = load(bytes)?;
    let attachments = attachments(&pdf);
    let Some((name, mut imported)) = pick_invoice(&attachments)? else {
        return crate::pdftext::import_pdf(page_text(&pdf));
    };
    imported.media_type = "application/pdf";
    imported.problems.push(Problem::new(
        "PDF_EMBEDDED_XML",
        Severity::Info,
        "",
        format!("the invoice was read from the XML file '{name}' embedded in the PDF"),
    ));
    let facts = crate::pdfa::facts(&pdf);
    let doc = &imported.document;
    let embedded_cii = matches!(doc.syntax, Syntax::Cii | Syntax::Zugferd1);
    if crate::pdfa::claims_hybrid(&facts, embedded_cii) {
        let found = crate::pdfa::check(&facts, &name, doc.customization_id.as_deref());
        imported.problems.extend(found);
    }
    if let Some(problem) = compare_with_text(&pdf, &imported) {
        imported.problems.push(problem);
    }
    Ok(imported)
}

/// Parses the PDF, refusing encrypted and damaged files.
fn load(bytes: &[u8]) -> Result<Pdf, Rejection> {
    let options = LoadOptions {
        max_decompressed_size: Some(MAX_STREAM_BYTES),
        ..LoadOptions::default()
    };
    let encrypted = || {
        Rejection::new(
            codes::ENCRYPTED_PDF,
            "the PDF is encrypted; Folio reads only unencrypted PDFs (PDF/A, which Factur-X and \
             ZUGFeRD require, forbids encryption)",
        )
    };
    let pdf = match Pdf::load_mem_with_options(bytes, options) {
        Ok(pdf) => pdf,
        Err(_) if crate::sniff::find(bytes, b"/Encrypt").is_some() => return Err(encrypted()),
        Err(e) => {
            return Err(Rejection::new(
                codes::MALFORMED_PDF,
                format!("the PDF is damaged and cannot be read: {e}"),
            ));
        }
    };
    if pdf.was_encrypted() || pdf.is_encrypted() {
        return Err(encrypted());
    }
    if pdf.catalog().is_err() {
        return Err(Rejection::new(
            codes::MALFORMED_PDF,
            "the PDF is damaged: it has no document catalog",
        ));
    }
    Ok(pdf)
}

/// Follows references (bounded by lopdf).
fn resolve<'a>(pdf: &'a Pdf, object: &'a Object) -> Option<&'a Object> {
    pdf.dereference(object).ok().map(|(_, o)| o)
}

fn dict<'a>(pdf: &'a Pdf, object: &'a Object) -> Option<&'a Dictionary> {
    match resolve(pdf, object)? {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

fn array<'a>(pdf: &'a Pdf, object: &'a Object) -> Option<&'a [Object]> {
    match resolve(pdf, object)? {
        Object::Array(a) => Some(a),
        _ => None,
    }
}

fn get<'a>(pdf: &'a Pdf, d: &'a Dictionary, key: &[u8]) -> Option<&'a Object> {
    d.get(key).ok().and_then(|o| resolve(pdf, o))
}

/// A PDF text string: UTF-16BE with a byte order mark, UTF-8 with one, else PDFDocEncoding
/// (read as Latin-1, which agrees on every character a file name uses).
fn text_string(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        let units = rest.chunks_exact(2).map(|c| {
            u16::from_be_bytes([
                c.first().copied().unwrap_or(0),
                c.get(1).copied().unwrap_or(0),
            ])
        });
        return char::decode_utf16(units)
            .map(|r| r.unwrap_or('\u{FFFD}'))
            .collect();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// Every file specification of the PDF that may carry an embedded file, with its object id when
/// it is an indirect object: the `EmbeddedFiles` name tree, the catalog's associated files (`/AF`)
/// and file attachment annotations (a file may be listed in several).
pub fn file_specs(pdf: &Pdf) -> Vec<(Option<ObjectId>, &Dictionary)> {
    let mut specs: Vec<(Option<ObjectId>, &Dictionary)> = Vec::new();
    if let Ok(catalog) = pdf.catalog() {
        if let Some(tree) = get(pdf, catalog, b"Names")
            .and_then(|n| dict(pdf, n))
            .and_then(|n| get(pdf, n, b"EmbeddedFiles"))
            .and_then(|t| dict(pdf, t))
        {
            name_tree(pdf, tree, 0, &mut specs);
        }
        if let Some(af) = get(pdf, catalog, b"AF").and_then(|a| array(pdf, a)) {
            specs.extend(af.iter().filter_map(|o| spec_entry(pdf, o)));
        }
    }
    for (_, page) in pdf.get_pages().into_iter().take(MAX_TEXT_PAGES) {
        if let Ok(annotations) = pdf.get_page_annotations(page) {
            for annotation in annotations {
                let is_attachment = matches!(
                    annotation.get(b"Subtype"),
                    Ok(Object::Name(n)) if n.as_slice() == b"FileAttachment"
                );
                if is_attachment
                    && let Some(entry) = annotation.get(b"FS").ok().and_then(|f| spec_entry(pdf, f))
                {
                    specs.push(entry);
                }
            }
        }
    }
    specs.truncate(MAX_ATTACHMENTS);
    specs
}

fn spec_entry<'a>(pdf: &'a Pdf, object: &'a Object) -> Option<(Option<ObjectId>, &'a Dictionary)> {
    Some((object.as_reference().ok(), dict(pdf, object)?))
}

/// The file name of a file specification (`/UF`, else `/F`), empty when it has none.
pub fn spec_name(pdf: &Pdf, spec: &Dictionary) -> String {
    ["UF", "F"]
        .iter()
        .find_map(|k| match get(pdf, spec, k.as_bytes()) {
            Some(Object::String(s, _)) => Some(text_string(s)),
            _ => None,
        })
        .unwrap_or_default()
}

/// Every embedded file of the PDF ([`file_specs`]), each read once.
pub fn attachments(pdf: &Pdf) -> Vec<Attachment> {
    let mut seen: Vec<ObjectId> = Vec::new();
    let mut files = Vec::new();
    for (_, spec) in file_specs(pdf) {
        let name = spec_name(pdf, spec);
        let Some(ef) = get(pdf, spec, b"EF").and_then(|e| dict(pdf, e)) else {
            continue;
        };
        let Some(reference) = ["F", "UF"].iter().find_map(|k| ef.get(k.as_bytes()).ok()) else {
            continue;
        };
        let Ok((id, Object::Stream(stream))) = pdf.dereference(reference) else {
            continue;
        };
        if let Some(id) = id {
            if seen.contains(&id) {
                continue;
            }
            seen.push(id);
        }
        let bytes = if stream.filters().map(|f| f.is_empty()).unwrap_or(true) {
            (stream.content.len() <= MAX_ATTACHMENT_BYTES).then(|| stream.content.clone())
        } else {
            stream
                .decompressed_content_with_limit(MAX_ATTACHMENT_BYTES)
                .ok()
        };
        if let Some(bytes) = bytes {
            files.push(Attachment { name, bytes });
        }
    }
    files
}

/// Collects the file specifications of a name tree (`/Names` pairs and `/Kids`), bounded.
fn name_tree<'a>(
    pdf: &'a Pdf,
    node: &'a Dictionary,
    depth: usize,
    out: &mut Vec<(Option<ObjectId>, &'a Dictionary)>,
) {
    if depth > MAX_TREE_DEPTH || out.len() >= MAX_ATTACHMENTS {
        return;
    }
    if let Some(names) = get(pdf, node, b"Names").and_then(|n| array(pdf, n)) {
        out.extend(
            names
                .iter()
                .skip(1)
                .step_by(2)
                .filter_map(|o| spec_entry(pdf, o)),
        );
    }
    if let Some(kids) = get(pdf, node, b"Kids").and_then(|k| array(pdf, k)) {
        for kid in kids {
            if let Some(kid) = dict(pdf, kid) {
                name_tree(pdf, kid, depth + 1, out);
            }
        }
    }
}

/// The rank of an attachment name: known invoice names first, then other XML files.
fn rank(name: &str) -> usize {
    let lower = name.to_ascii_lowercase();
    KNOWN_NAMES
        .iter()
        .position(|known| lower == *known)
        .unwrap_or(if lower.ends_with(".xml") {
            KNOWN_NAMES.len()
        } else {
            KNOWN_NAMES.len() + 1
        })
}

/// Imports the best embedded invoice; `None` when the PDF carries no XML at all (a plain PDF),
/// a rejection when it carries one that is not a readable invoice.
fn pick_invoice(files: &[Attachment]) -> Result<Option<(String, Imported)>, Rejection> {
    use crate::Format;
    let mut ordered: Vec<&Attachment> = files.iter().collect();
    ordered.sort_by_key(|f| rank(&f.name));
    let is_invoice = |f: &&Attachment| {
        matches!(
            crate::sniff(&f.bytes),
            Format::Ubl | Format::Cii | Format::Zugferd1
        )
    };
    let xml_like = |f: &&Attachment| {
        rank(&f.name) <= KNOWN_NAMES.len() || matches!(crate::sniff(&f.bytes), Format::OtherXml)
    };
    let mut first_error = None;
    for file in ordered.iter().copied().filter(is_invoice) {
        match crate::import_xml(&file.bytes) {
            Ok(imported) => return Ok(Some((file.name.clone(), imported))),
            Err(e) if first_error.is_none() => first_error = Some((file.name.clone(), e)),
            Err(_) => {}
        }
    }
    if first_error.is_none()
        && let Some(file) = ordered.iter().copied().find(xml_like)
        && let Err(e) = crate::import_xml(&file.bytes)
    {
        first_error = Some((file.name.clone(), e));
    }
    match first_error {
        Some((name, e)) => Err(Rejection::new(
            e.code,
            format!("the XML file '{name}' embedded in the PDF: {}", e.reason),
        )),
        None => Ok(None),
    }
}

/// `FX-HYBRID-01` when the visible text does not show the XML's invoice number or amount due;
/// nothing when no text can be extracted.
fn compare_with_text(pdf: &Pdf, imported: &Imported) -> Option<Problem> {
    let text = page_text(pdf)?;
    if !readable_text(&text) {
        return None;
    }
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    let doc = &imported.document;
    let number: String = doc.number.chars().filter(|c| !c.is_whitespace()).collect();
    let number_shown = compact.contains(&number);
    let amount_shown = amount_spellings(doc.totals.payable)
        .iter()
        .any(|s| compact.contains(s.as_str()));
    let mut missing = Vec::new();
    if !number_shown {
        missing.push(format!("the invoice number '{}' (BT-1)", doc.number));
    }
    if !amount_shown {
        missing.push(format!("the amount due {} (BT-115)", doc.totals.payable));
    }
    (!missing.is_empty()).then(|| {
        Problem::warning(
            "FX-HYBRID-01",
            if amount_shown {
                "number"
            } else {
                "totals.payable"
            },
            format!(
                "the PDF's visible text does not show {} that its embedded XML states; check that \
                 the PDF and the XML are the same invoice",
                missing.join(" or ")
            ),
        )
    })
}

/// The text of a PDF's first pages (for the text reader and its measurement); `None` when the
/// PDF cannot be read.
pub fn extract_text(bytes: &[u8]) -> Option<String> {
    catch_unwind(AssertUnwindSafe(|| {
        load(bytes).ok().and_then(|pdf| page_text(&pdf))
    }))
    .ok()
    .flatten()
}

/// The text of the first pages (bounded), one fragment per line; `None` when lopdf cannot read it.
pub(crate) fn page_text(pdf: &Pdf) -> Option<String> {
    let pages: Vec<u32> = pdf
        .get_pages()
        .keys()
        .copied()
        .take(MAX_TEXT_PAGES)
        .collect();
    pdf.extract_text_with_limit(&pages, MAX_TEXT_BYTES).ok()
}

/// True when extracted text is something a person could read (see [`readable`]).
pub(crate) fn readable_text(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    readable(&compact)
}

/// Text extracted from fonts without a Unicode map comes out as punctuation soup; only text that
/// is mostly letters and digits and shows at least one amount (`12.34` / `12,34`) is compared.
fn readable(compact: &str) -> bool {
    let total = compact.chars().count();
    let alnum = compact.chars().filter(|c| c.is_alphanumeric()).count();
    let bytes = compact.as_bytes();
    let has_amount = bytes.windows(4).any(|w| {
        matches!(w, [a, b'.' | b',', c, d] if a.is_ascii_digit() && c.is_ascii_digit() && d.is_ascii_digit())
    });
    total >= 20 && alnum * 10 >= total * 6 && has_amount
}

/// The ways an amount is commonly printed (without white space): `1234.56`, `1,234.56`,
/// `1.234,56`, `1234,56`, `1'234.56`.
pub fn amount_spellings(amount: Decimal) -> Vec<String> {
    let value = amount
        .abs()
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let mut value = value;
    value.rescale(2);
    let text = value.to_string();
    let (int, frac) = text.split_once('.').unwrap_or((text.as_str(), "00"));
    let group = |sep: char| {
        let mut out = String::new();
        for (i, c) in int.chars().enumerate() {
            if i > 0 && (int.len() - i) % 3 == 0 {
                out.push(sep);
            }
            out.push(c);
        }
        out
    };
    vec![
        format!("{int}.{frac}"),
        format!("{int},{frac}"),
        format!("{}.{frac}", group(',')),
        format!("{},{frac}", group('.')),
        format!("{}.{frac}", group('\'')),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spells_amounts_the_usual_ways() {
        let spellings = amount_spellings(Decimal::new(123_456, 2));
        for s in ["1234.56", "1234,56", "1,234.56", "1.234,56", "1'234.56"] {
            assert!(spellings.contains(&s.to_owned()), "{s}: {spellings:?}");
        }
        assert!(amount_spellings(Decimal::new(-5, 0)).contains(&"5.00".to_owned()));
    }

    #[test]
    fn decodes_pdf_text_strings() {
        assert_eq!(text_string(b"factur-x.xml"), "factur-x.xml");
        assert_eq!(text_string(b"\xFE\xFF\0a\0b"), "ab");
    }

    #[test]
    fn ranks_known_names_first() {
        assert!(rank("factur-x.xml") < rank("ZUGFeRD-invoice.xml"));
        assert!(rank("ZUGFeRD-invoice.xml") < rank("other.xml"));
        assert!(rank("other.xml") < rank("picture.png"));
    }

    #[test]
    fn refuses_garbage() {
        let rejection = import(b"%PDF-1.7\n garbage").unwrap_err();
        assert_eq!(rejection.code, codes::MALFORMED_PDF, "{rejection}");
    }
}
