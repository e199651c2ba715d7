//! Format detection from the first bytes, without building a tree.
//!
//! The app routes files (and will route PDFs and spreadsheets later) before it parses them, so
//! sniffing must be cheap and must not trust the input: it reads the magic number, or the XML prolog
//! and the root element's start tag, and never looks further. [`classify`] is the single place that
//! maps a root element (namespace + local name) to a syntax; the importer calls it again on the
//! parsed tree, so the two can never disagree about what an invoice is.

use crate::{Rejection, codes};

/// Namespace of the UBL 2.x `Invoice` root.
pub const UBL_INVOICE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:Invoice-2";
/// Namespace of the UBL 2.x `CreditNote` root.
pub const UBL_CREDIT_NOTE_NS: &str = "urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2";
/// Namespace of the UN/CEFACT CII D16B root (`rsm:CrossIndustryInvoice`).
pub const CII_NS: &str = "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100";
/// Namespace of the ZUGFeRD 1.0 root (`rsm:CrossIndustryDocument`).
pub const ZUGFERD1_NS: &str = "urn:ferd:CrossIndustryDocument:invoice:1p0";
/// Namespace of the 2014 ZUGFeRD release candidate's root (`rsm:Invoice`, UN/CEFACT CBFBUY 5),
/// which early ZUGFeRD PDFs carry; read as ZUGFeRD 1.
pub const ZUGFERD_RC_NS: &str = "urn:un:unece:uncefact:data:standard:CBFBUY:5";

/// What a file looks like from its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// UBL 2.x `Invoice` or `CreditNote`.
    Ubl,
    /// UN/CEFACT CII D16B `CrossIndustryInvoice` (XRechnung CII, Factur-X, ZUGFeRD 2.x).
    Cii,
    /// ZUGFeRD 1.0 `CrossIndustryDocument` (and the 2014 release candidate's `Invoice`).
    Zugferd1,
    /// A PDF (possibly a Factur-X / ZUGFeRD hybrid with an embedded XML).
    Pdf,
    /// XML whose root is not an invoice Folio reads, or XML the sniffer cannot read (UTF-16).
    OtherXml,
    /// Neither XML nor PDF.
    Unknown,
}

impl Format {
    pub fn as_str(&self) -> &'static str {
        match self {
            Format::Ubl => "ubl",
            Format::Cii => "cii",
            Format::Zugferd1 => "zugferd1",
            Format::Pdf => "pdf",
            Format::OtherXml => "other_xml",
            Format::Unknown => "unknown",
        }
    }
}

/// Maps a root element to the syntax that reads it.
pub fn classify(namespace: Option<&str>, local_name: &str) -> Format {
    match (namespace, local_name) {
        (Some(UBL_INVOICE_NS), "Invoice") | (Some(UBL_CREDIT_NOTE_NS), "CreditNote") => Format::Ubl,
        (Some(CII_NS), "CrossIndustryInvoice") => Format::Cii,
        (Some(ZUGFERD1_NS), "CrossIndustryDocument") | (Some(ZUGFERD_RC_NS), "Invoice") => {
            Format::Zugferd1
        }
        _ => Format::OtherXml,
    }
}

/// How far into a file a PDF header may start (the PDF spec allows leading garbage).
const PDF_HEADER_WINDOW: usize = 1024;

/// Guesses the format of `bytes` from the magic number or the XML root element.
pub fn sniff(bytes: &[u8]) -> Format {
    let head = &bytes[..bytes.len().min(PDF_HEADER_WINDOW)];
    if find(head, b"%PDF-").is_some() {
        return Format::Pdf;
    }
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        // UTF-16 with a byte order mark: only the parser can tell what is inside.
        return Format::OtherXml;
    }
    let prolog = scan_prolog(bytes);
    match prolog.root {
        Some(root) => classify(root.namespace.as_deref(), &root.local_name),
        None if prolog.saw_markup => Format::OtherXml,
        None => Format::Unknown,
    }
}

/// The root start tag as read by the byte-level scanner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RootTag {
    pub local_name: String,
    pub namespace: Option<String>,
}

/// What the byte-level scanner saw before the root element.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Prolog {
    /// The file starts like markup (`<` after optional BOM and white space).
    pub saw_markup: bool,
    /// A `<!DOCTYPE` appeared before the root element.
    pub doctype: bool,
    pub root: Option<RootTag>,
}

/// Reads the prolog (XML declaration, comments, processing instructions, doctype) and the root
/// start tag. Works on any ASCII-compatible encoding; stops at the first surprise.
pub(crate) fn scan_prolog(bytes: &[u8]) -> Prolog {
    let mut prolog = Prolog::default();
    let mut rest = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    loop {
        rest = trim_start(rest);
        if rest.first() != Some(&b'<') {
            return prolog;
        }
        prolog.saw_markup = true;
        if rest.starts_with(b"<?") {
            match find(rest, b"?>") {
                Some(end) => rest = rest.get(end + 2..).unwrap_or_default(),
                None => return prolog,
            }
        } else if rest.starts_with(b"<!--") {
            match find(rest, b"-->") {
                Some(end) => rest = rest.get(end + 3..).unwrap_or_default(),
                None => return prolog,
            }
        } else if rest.starts_with(b"<!") {
            // <!DOCTYPE (or any other declaration, which is just as unwelcome).
            prolog.doctype = true;
            return prolog;
        } else {
            prolog.root = read_root_tag(rest.get(1..).unwrap_or_default());
            return prolog;
        }
    }
}

fn read_root_tag(tag: &[u8]) -> Option<RootTag> {
    let end = tag.iter().position(|&b| b == b'>')?;
    let tag = tag.get(..end)?;
    let name_end = tag
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b'/')
        .unwrap_or(tag.len());
    let qname = std::str::from_utf8(tag.get(..name_end)?).ok()?;
    if qname.is_empty() {
        return None;
    }
    let (prefix, local_name) = match qname.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, qname),
    };
    let wanted = match prefix {
        Some(p) => format!("xmlns:{p}"),
        None => "xmlns".to_owned(),
    };
    let mut namespace = None;
    let mut attrs = tag.get(name_end..)?;
    // name = "value" pairs; anything odd ends the scan (the parser will say what is wrong).
    loop {
        attrs = trim_start(attrs);
        let eq = match attrs.iter().position(|&b| b == b'=') {
            Some(eq) => eq,
            None => break,
        };
        let name = std::str::from_utf8(attrs.get(..eq)?).ok()?.trim();
        let after = trim_start(attrs.get(eq + 1..)?);
        let quote = *after.first()?;
        if quote != b'"' && quote != b'\'' {
            break;
        }
        let value_len = after.get(1..)?.iter().position(|&b| b == quote)?;
        let value = std::str::from_utf8(after.get(1..1 + value_len)?).ok()?;
        if name == wanted {
            namespace = Some(value.to_owned());
        }
        attrs = after.get(value_len + 2..)?;
    }
    Some(RootTag {
        local_name: local_name.to_owned(),
        namespace,
    })
}

fn trim_start(mut bytes: &[u8]) -> &[u8] {
    while let Some((first, rest)) = bytes.split_first() {
        if !first.is_ascii_whitespace() {
            break;
        }
        bytes = rest;
    }
    bytes
}

/// Position of `needle` in `haystack` (naive, used on short windows or once per file).
pub(crate) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Known non-invoice roots, so the message can say what the file is.
const KNOWN_OTHER_ROOTS: &[(&str, &str, &str)] = &[
    (
        "urn:oasis:names:specification:ubl:schema:xsd:Order-2",
        "Order",
        "a UBL purchase order",
    ),
    (
        "urn:un:unece:uncefact:data:standard:SCRDMCCBDACIOMessageStructure:100",
        "SCRDMCCBDACIOMessageStructure",
        "an Order-X purchase order",
    ),
    (
        "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2",
        "FatturaElettronica",
        "an Italian FatturaPA invoice, which Folio does not read yet",
    ),
];

/// The rejection for a well-formed XML file whose root is not an invoice Folio reads.
pub(crate) fn not_an_invoice(root: roxmltree::Node<'_, '_>) -> Rejection {
    let name = crate::xml::qualified_name(root);
    let ns = root.tag_name().namespace();
    let local = root.tag_name().name();
    let what = KNOWN_OTHER_ROOTS
        .iter()
        .find(|(kn, kl, _)| Some(*kn) == ns && *kl == local)
        .map(|(_, _, what)| format!(" ({what})"))
        .unwrap_or_default();
    let ns_text = match ns {
        Some(ns) => format!("in namespace '{ns}'"),
        None => "without a namespace".to_owned(),
    };
    Rejection::new(
        codes::NOT_AN_INVOICE,
        format!(
            "the root element is '{name}' {ns_text}{what}; Folio reads UBL Invoice/CreditNote, \
             CII CrossIndustryInvoice and ZUGFeRD 1.0 CrossIndustryDocument"
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_by_magic_and_root() {
        let cases: &[(&[u8], Format)] = &[
            (b"%PDF-1.7\n...", Format::Pdf),
            (b"\xEF\xBB\xBF<?xml version='1.0'?><Invoice xmlns='urn:oasis:names:specification:ubl:schema:xsd:Invoice-2'/>", Format::Ubl),
            (b"<!-- c --><ubl:CreditNote xmlns:ubl=\"urn:oasis:names:specification:ubl:schema:xsd:CreditNote-2\">", Format::Ubl),
            (b"<rsm:CrossIndustryInvoice xmlns:a='x' xmlns:rsm='urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100'>", Format::Cii),
            (b"<rsm:CrossIndustryDocument xmlns:rsm='urn:ferd:CrossIndustryDocument:invoice:1p0'>", Format::Zugferd1),
            (b"<rsm:Invoice xmlns:rsm=\"urn:un:unece:uncefact:data:standard:CBFBUY:5\">", Format::Zugferd1),
            (b"<Invoice>", Format::OtherXml),
            (b"<?xml version='1.0'?><!DOCTYPE x><x/>", Format::OtherXml),
            (b"<", Format::OtherXml),
            (b"hello", Format::Unknown),
            (b"", Format::Unknown),
            (b"\xFF\xFE<\0", Format::OtherXml),
        ];
        for (bytes, expected) in cases {
            assert_eq!(
                sniff(bytes),
                *expected,
                "{}",
                String::from_utf8_lossy(bytes)
            );
        }
    }

    #[test]
    fn prolog_reports_doctype() {
        assert!(scan_prolog(b"<?xml version='1.0'?>\n<!DOCTYPE x [<!ENTITY a 'b'>]><x/>").doctype);
        assert!(!scan_prolog(b"<?xml version='1.0'?><x/>").doctype);
    }
}
