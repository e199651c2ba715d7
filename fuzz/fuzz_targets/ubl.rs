//! UBL invoices and credit notes: any bytes through `import_bytes`, seeded with UBL files, so the
//! mutations stay mostly UBL (sniffing, decoding, the UBL mapper, the rules).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = folio_import::import_bytes(data) {
        // Whatever imports must be a document the rest of Folio can take.
        assert!(!imported.document.number.is_empty());
    }
});
