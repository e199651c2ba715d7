//! CSV and XLSX through mapping profiles: the input through the two example profiles (an AP
//! export in windows-1252, one row per line; a card statement in UTF-8, one row per charge).
#![no_main]

use folio_import::tabular::{Profile, import_tabular};
use libfuzzer_sys::fuzz_target;
use std::sync::LazyLock;

static PROFILES: LazyLock<Vec<Profile>> = LazyLock::new(|| {
    [
        include_str!("../../crates/import/tests/fixtures/tabular/ap-export.toml"),
        include_str!("../../crates/import/tests/fixtures/tabular/card-statement.toml"),
    ]
    .iter()
    .map(|text| Profile::parse(text).expect("the example profiles parse"))
    .collect()
});

fuzz_target!(|data: &[u8]| {
    for profile in PROFILES.iter() {
        if let Ok(documents) = import_tabular(data, profile) {
            for d in documents {
                assert!(!d.rows.is_empty());
                assert!(!d.imported.document.number.is_empty());
            }
        }
    }
});
