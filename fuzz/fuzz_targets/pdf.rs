//! PDFs: hybrids (the embedded invoice, the PDF/A-3 checks) and plain PDFs (text extraction,
//! templates, heuristics), seeded with the corpus's PDFs; and the plain-PDF text reader on the
//! input read as text.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = folio_import::import_bytes(data);
    let text = String::from_utf8_lossy(data);
    let _ = folio_import::pdftext::import_text(&text, folio_import::pdftext::Templates::builtin());
});
