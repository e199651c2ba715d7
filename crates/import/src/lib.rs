//! Reads supplier e-invoices (bytes) into Folio [`Document`]s, or says clearly why it cannot.
//!
//! The importer is the trust boundary of Folio: every byte here comes from a supplier, so it must
//! never panic, never expand entities, never allocate without bound and never guess an amount. The
//! pipeline is deliberately small and linear so it can grow (PDF attachments, CSV, full EN 16931
//! rules) without changing its shape:
//!
//! 1. [`sniff`] looks at the first bytes to pick a [`Format`] (PDF, UBL, CII, ZUGFeRD 1, other XML);
//! 2. [`xml::parse`] decodes the text (BOM, declared encoding) and builds one `roxmltree` tree with
//!    DTDs refused and the node count and nesting depth bounded;
//! 3. a syntax mapper ([`ubl`] or [`cii`], the latter also reading ZUGFeRD 1.0) walks that tree once
//!    and fills a [`Document`]; anything it cannot read faithfully is a [`Rejection`];
//! 4. [`validate::validate_with`] runs the EN 16931 (and XRechnung) business rules on the document
//!    and the mapper's [`facts::Facts`] and returns [`Problem`]s, which do not stop the import: a
//!    reviewer sees and fixes them.
//!
//! A PDF goes through [`pdf`] first: the e-invoice embedded in it takes steps 2 to 4, and the PDF
//! stays the document's original. A PDF without one is read from its text ([`pdftext`]: vendor
//! templates and label heuristics, every field with a confidence).

pub mod cii;
mod cii_legacy;
pub mod eval;
pub mod eval_pdf;
pub mod facts;
pub mod header;
pub mod pdf;
pub mod pdfa;
pub mod pdftext;
pub mod profile;
pub mod sniff;
pub mod tabular;
pub mod ubl;
pub mod validate;
pub mod xml;
pub mod xsd;

use folio_domain::{Document, Problem};

pub use eval::{EvalReport, eval_corpus};
pub use sniff::{Format, sniff};
pub use validate::validate;

/// Inputs above this size are refused before they are parsed.
pub const MAX_FILE_BYTES: usize = 50 * 1024 * 1024;

/// A document read from bytes, with what the checks found wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Imported {
    pub document: Document,
    /// Problems found by [`validate`]; an import with problems still succeeded.
    pub problems: Vec<Problem>,
    /// Media type of the bytes that were read, e.g. `application/xml`.
    pub media_type: &'static str,
}

/// What a syntax mapper produced: the document, and warnings about what it had to complete
/// (e.g. a ZUGFeRD 1 BASIC line without a net price). [`import_bytes`] adds [`validate`]'s problems.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapped {
    pub document: Document,
    pub problems: Vec<Problem>,
    /// What the mapper saw that the document does not keep, for the rules.
    pub facts: facts::Facts,
}

/// Why a file could not be imported at all: a stable `code` and a sentence for a person.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct Rejection {
    /// One of the `codes::*` constants, e.g. `MALFORMED_XML`.
    pub code: &'static str,
    /// A sentence naming the element and what is wrong with it.
    pub reason: String,
}

impl Rejection {
    pub fn new(code: &'static str, reason: impl Into<String>) -> Rejection {
        Rejection {
            code,
            reason: reason.into(),
        }
    }
}

/// The stable rejection codes, so that callers and tests can match on them.
pub mod codes {
    /// The bytes are XML but not an invoice or credit note Folio reads (an order, FatturaPA, …).
    pub const NOT_AN_INVOICE: &str = "NOT_AN_INVOICE";
    /// The XML is not well-formed, is truncated, or is not in a readable encoding.
    pub const MALFORMED_XML: &str = "MALFORMED_XML";
    /// The XML carries a document type declaration, which Folio refuses (XXE, billion laughs).
    pub const DTD_FORBIDDEN: &str = "DTD_FORBIDDEN";
    /// The input is larger than [`crate::MAX_FILE_BYTES`], has too many nodes or nests too deep.
    pub const TOO_LARGE: &str = "TOO_LARGE";
    /// The bytes are a format Folio does not read (yet): PDF, images, unknown encodings.
    pub const UNSUPPORTED_FORMAT: &str = "UNSUPPORTED_FORMAT";
    /// A mandatory element is absent or empty.
    pub const MISSING_FIELD: &str = "MISSING_FIELD";
    /// An amount, quantity or percentage is not an exact decimal number.
    pub const BAD_AMOUNT: &str = "BAD_AMOUNT";
    /// A date is not a valid calendar date in the expected format.
    pub const BAD_DATE: &str = "BAD_DATE";
    /// A currency code is not an ISO 4217 code.
    pub const BAD_CURRENCY: &str = "BAD_CURRENCY";
    /// A VAT category code is not one of UNCL 5305 codes used by EN 16931.
    pub const BAD_VAT_CATEGORY: &str = "BAD_VAT_CATEGORY";
    /// Any other coded value that cannot be read (e.g. an indicator that is not true/false).
    pub const BAD_VALUE: &str = "BAD_VALUE";
    /// The PDF is encrypted (PDF/A forbids it; Folio does not guess passwords).
    pub const ENCRYPTED_PDF: &str = "ENCRYPTED_PDF";
    /// The PDF's structure cannot be read.
    pub const MALFORMED_PDF: &str = "MALFORMED_PDF";
}

/// Reads an invoice or credit note from `bytes`, whatever its format, and checks its arithmetic.
pub fn import_bytes(bytes: &[u8]) -> Result<Imported, Rejection> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Rejection::new(
            codes::TOO_LARGE,
            format!(
                "the file has {} bytes; Folio reads files up to {} bytes (50 MiB)",
                bytes.len(),
                MAX_FILE_BYTES
            ),
        ));
    }
    match sniff(bytes) {
        Format::Pdf => return pdf::import(bytes),
        Format::Unknown => {
            return Err(Rejection::new(
                codes::UNSUPPORTED_FORMAT,
                "the file is neither XML nor PDF, so it is not an e-invoice Folio can read",
            ));
        }
        // XML of any kind (and UTF-16 text the sniffer cannot read) goes through the parser,
        // which decides from the parsed root element.
        Format::Ubl | Format::Cii | Format::Zugferd1 | Format::OtherXml => {}
    }
    import_xml(bytes)
}

/// Reads an XML invoice (also the one embedded in a PDF).
pub(crate) fn import_xml(bytes: &[u8]) -> Result<Imported, Rejection> {
    let text = xml::decode(bytes)?;
    let tree = xml::parse(&text)?;
    let root = tree.root_element();
    let mapped = match sniff::classify(root.tag_name().namespace(), root.tag_name().name()) {
        Format::Ubl => ubl::read(&tree)?,
        Format::Cii => cii::read(&tree, cii::Dialect::D16B)?,
        Format::Zugferd1 if root.tag_name().namespace() == Some(sniff::ZUGFERD_RC_NS) => {
            cii::read(&tree, cii::Dialect::ZugferdRc)?
        }
        Format::Zugferd1 => cii::read(&tree, cii::Dialect::Zugferd1)?,
        Format::OtherXml | Format::Pdf | Format::Unknown => {
            return Err(sniff::not_an_invoice(root));
        }
    };
    let Mapped {
        document,
        mut problems,
        facts,
    } = mapped;
    problems.extend(profile::check(root, &document));
    problems.extend(validate::validate_with(&document, &facts));
    Ok(Imported {
        document,
        problems,
        media_type: "application/xml",
    })
}
