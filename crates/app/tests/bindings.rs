//! The committed TypeScript bindings (`ui/src/bindings`) must match the Rust types exactly.
//! `cargo xtask bindings` (which sets FOLIO_UPDATE_BINDINGS=1) rewrites them.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn bindings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/bindings")
}

fn committed() -> BTreeMap<String, String> {
    let mut files = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(bindings_dir()) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_some_and(|e| e == "ts") {
                let name = path.file_name().unwrap().to_string_lossy().into_owned();
                files.insert(name, std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    files
}

#[test]
fn committed_bindings_match_the_rust_types() {
    if std::env::var_os("FOLIO_UPDATE_BINDINGS").is_some() {
        let n = folio_app::bindings::write(&bindings_dir()).unwrap();
        eprintln!("wrote {n} binding files to {}", bindings_dir().display());
        return;
    }
    let generated = folio_app::bindings::generate().unwrap();
    let committed = committed();
    let missing: Vec<_> = generated
        .keys()
        .filter(|k| !committed.contains_key(*k))
        .collect();
    let stale: Vec<_> = committed
        .keys()
        .filter(|k| !generated.contains_key(*k))
        .collect();
    let changed: Vec<_> = generated
        .iter()
        .filter(|(k, v)| committed.get(*k).is_some_and(|c| c != *v))
        .map(|(k, _)| k)
        .collect();
    assert!(
        missing.is_empty() && stale.is_empty() && changed.is_empty(),
        "ui/src/bindings drifted from the Rust types (missing {missing:?}, stale {stale:?}, \
         changed {changed:?}); run `cargo xtask bindings` and commit the result"
    );
    assert!(
        generated.len() >= 10,
        "expected the bindings of every DTO, got {}",
        generated.len()
    );
}
