//! CII (XRechnung, Factur-X, ZUGFeRD 2), ZUGFeRD 1 and its release candidate: any bytes through
//! `import_bytes`, seeded with CII files (the CII mapper, the XSD and profile checks, the rules).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(imported) = folio_import::import_bytes(data) {
        assert!(!imported.document.number.is_empty());
    }
});
