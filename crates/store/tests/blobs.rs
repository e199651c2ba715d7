//! The content-addressed blob store.

use folio_store::blobs::sha256_hex;
use folio_store::{BlobStore, StoreError};
use std::fs;

#[test]
fn put_stores_by_hash_and_get_returns_the_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::new(dir.path().join("blobs"));
    let bytes = b"<Invoice>42</Invoice>";
    let r = blobs.put(bytes).unwrap();
    assert_eq!(r.sha256, sha256_hex(bytes));
    assert_eq!(r.size, bytes.len() as u64);
    let path = blobs.path(&r.sha256).unwrap();
    assert_eq!(
        path,
        dir.path()
            .join("blobs")
            .join(&r.sha256[..2])
            .join(&r.sha256[2..])
    );
    assert_eq!(fs::read(&path).unwrap(), bytes);
    assert_eq!(blobs.get(&r.sha256).unwrap(), bytes);
    assert!(blobs.contains(&r.sha256).unwrap());
    // Known vector: SHA-256 of the empty string.
    assert_eq!(
        blobs.put(b"").unwrap().sha256,
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn put_is_idempotent_and_leaves_no_temporary_files() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::new(dir.path().join("blobs"));
    let first = blobs.put(b"same").unwrap();
    let path = blobs.path(&first.sha256).unwrap();
    let modified = fs::metadata(&path).unwrap().modified().unwrap();
    let second = blobs.put(b"same").unwrap();
    assert_eq!(first, second);
    assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), modified);
    for _ in 0..3 {
        blobs.put(b"other").unwrap();
    }
    let mut files = Vec::new();
    for shard in fs::read_dir(blobs.dir()).unwrap() {
        for f in fs::read_dir(shard.unwrap().path()).unwrap() {
            files.push(f.unwrap().file_name().into_string().unwrap());
        }
    }
    files.sort();
    assert_eq!(files.len(), 2, "{files:?}");
    assert!(files.iter().all(|f| !f.starts_with(".tmp")), "{files:?}");
}

#[test]
fn a_damaged_blob_is_detected_on_read_and_repaired_by_put() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::new(dir.path().join("blobs"));
    let r = blobs.put(b"original bytes").unwrap();
    let path = blobs.path(&r.sha256).unwrap();
    fs::write(&path, b"original bytez").unwrap();
    assert!(matches!(
        blobs.get(&r.sha256),
        Err(StoreError::Corrupt { .. })
    ));
    fs::write(&path, b"truncated").unwrap();
    blobs.put(b"original bytes").unwrap();
    assert_eq!(blobs.get(&r.sha256).unwrap(), b"original bytes");
}

#[test]
fn hostile_or_malformed_ids_never_become_paths() {
    let dir = tempfile::tempdir().unwrap();
    let blobs = BlobStore::new(dir.path().join("blobs"));
    let hostile = [
        "../../../../etc/passwd".to_string(),
        format!("../{}", "a".repeat(61)),
        format!("/{}", "a".repeat(63)),
        format!("{}\0", "a".repeat(63)),
        "A".repeat(64),
        "a".repeat(63),
        String::new(),
    ];
    for id in &hostile {
        assert!(
            matches!(blobs.path(id), Err(StoreError::Invalid { .. })),
            "{id:?}"
        );
        assert!(
            matches!(blobs.get(id), Err(StoreError::Invalid { .. })),
            "{id:?}"
        );
        assert!(blobs.contains(id).is_err(), "{id:?}");
    }
    let missing = sha256_hex(b"never stored");
    assert!(matches!(
        blobs.get(&missing),
        Err(StoreError::NotFound { .. })
    ));
    assert!(!blobs.contains(&missing).unwrap());
}
