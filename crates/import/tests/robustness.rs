//! Hostile and broken input never panics: random bytes, and good fixtures with bytes flipped,
//! cut off, duplicated or spliced with XML-looking noise. Whatever comes in, the importer returns
//! either a document or a rejection.

use folio_import::pdftext::{Templates, import_text};
use folio_import::tabular::{Profile, import_tabular};
use folio_import::{import_bytes, sniff};
use proptest::prelude::*;
use std::path::Path;

const FIXTURES: &[&str] = &[
    "ubl-invoice.xml",
    "ubl-credit-note.xml",
    "ubl-credit-note-latin1.xml",
    "cii-invoice.xml",
    "cii-minimum.xml",
    "zugferd1-invoice.xml",
    "zugferd-rc.xml",
];

/// The CSV fixtures with their profiles, for the tabular reader.
const TABULAR: &[(&str, &str)] = &[
    ("tabular/ap-export.csv", "tabular/ap-export.toml"),
    ("tabular/card-statement.csv", "tabular/card-statement.toml"),
];

fn read_fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .expect("fixture")
}

fn fixture(index: usize) -> Vec<u8> {
    read_fixture(FIXTURES[index % FIXTURES.len()])
}

/// Markup fragments that stress the parser and the mappers.
const NOISE: &[&str] = &[
    "<",
    ">",
    "</",
    "/>",
    "&",
    "&amp;",
    "&#0;",
    "&#x110000;",
    "<!DOCTYPE x>",
    "<![CDATA[",
    "]]>",
    "<!--",
    "-->",
    "<?xml version='1.0'?>",
    "\u{FEFF}",
    "\"",
    "'",
    "xmlns:cbc='x'",
    "-",
    ".",
    "9999999999999999999999999999999",
    "e",
    "\u{0}",
    "\u{FFFF}",
    "<cbc:ID>",
    "</cbc:ID>",
];

#[derive(Debug, Clone)]
enum Mutation {
    Flip { at: usize, byte: u8 },
    Truncate { at: usize },
    Delete { at: usize, len: usize },
    Duplicate { at: usize, len: usize },
    Insert { at: usize, noise: usize },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(at, byte)| Mutation::Flip { at, byte }),
        any::<usize>().prop_map(|at| Mutation::Truncate { at }),
        (any::<usize>(), 0usize..200).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (any::<usize>(), 0usize..400).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (any::<usize>(), any::<usize>()).prop_map(|(at, noise)| Mutation::Insert { at, noise }),
    ]
}

fn apply(bytes: &mut Vec<u8>, mutation: &Mutation) {
    let len = bytes.len().max(1);
    match *mutation {
        Mutation::Flip { at, byte } => {
            if let Some(b) = bytes.get_mut(at % len) {
                *b = byte;
            }
        }
        Mutation::Truncate { at } => bytes.truncate(at % len),
        Mutation::Delete { at, len: n } => {
            let start = (at % len).min(bytes.len());
            let end = (start + n).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Duplicate { at, len: n } => {
            let start = (at % len).min(bytes.len());
            let end = (start + n).min(bytes.len());
            let copy = bytes[start..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Insert { at, noise } => {
            let at = (at % len).min(bytes.len());
            let text = NOISE[noise % NOISE.len()].as_bytes().to_vec();
            bytes.splice(at..at, text);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = sniff(&bytes);
        let _ = import_bytes(&bytes);
    }

    #[test]
    fn random_xmlish_text_never_panics(parts in proptest::collection::vec(0usize..NOISE.len(), 0..64)) {
        let text: String = parts.iter().map(|i| NOISE[*i]).collect();
        let _ = import_bytes(text.as_bytes());
    }

    #[test]
    fn mutated_fixtures_never_panic(
        index in 0usize..FIXTURES.len(),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let mut bytes = fixture(index);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        let _ = sniff(&bytes);
        if let Err(rejection) = import_bytes(&bytes) {
            prop_assert!(!rejection.code.is_empty());
            prop_assert!(!rejection.reason.is_empty());
        }
    }

    #[test]
    fn mutated_exports_never_panic_and_never_half_import(
        index in 0usize..TABULAR.len(),
        mutations in proptest::collection::vec(mutation(), 1..8),
    ) {
        let (file, profile) = TABULAR[index];
        let profile = Profile::parse(&String::from_utf8(read_fixture(profile)).expect("UTF-8"))
            .expect("the fixture profiles parse");
        let mut bytes = read_fixture(file);
        for m in &mutations {
            apply(&mut bytes, m);
        }
        match import_tabular(&bytes, &profile) {
            Ok(documents) => {
                for d in documents {
                    prop_assert!(!d.rows.is_empty());
                    prop_assert!(!d.imported.document.number.is_empty());
                }
            }
            Err(rejection) => prop_assert!(!rejection.reason.is_empty()),
        }
    }

    #[test]
    fn random_text_never_panics_the_pdf_text_reader(
        words in proptest::collection::vec("[A-Za-z0-9€$.,:#%/ -]{0,12}|Total|Invoice No:|Date|VAT|\n", 0..64),
    ) {
        let text: String = words.concat();
        let _ = import_text(&text, Templates::builtin());
    }
}

#[test]
fn deep_nesting_and_many_nodes_are_bounded() {
    let depth = 200_000;
    let deep = format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
    assert_eq!(import_bytes(deep.as_bytes()).unwrap_err().code, "TOO_LARGE");
    let wide = format!("<a>{}</a>", "<b/>".repeat(100_000));
    assert_eq!(
        import_bytes(wide.as_bytes()).unwrap_err().code,
        "NOT_AN_INVOICE"
    );
}
