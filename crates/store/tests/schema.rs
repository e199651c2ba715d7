//! The schema: migrations, the committed snapshot, connection settings and the guards that refuse
//! what Folio must not open.

mod common;

use common::*;
use folio_store::schema::MIGRATIONS;
use folio_store::{APPLICATION_ID, SCHEMA_VERSION, Store, StoreError};
use std::fs;
use std::path::Path;

const SNAPSHOT: &str = "tests/schema.sql";

#[test]
fn migrations_are_numbered_from_one_without_gaps_and_match_their_file_names() {
    for (i, m) in MIGRATIONS.iter().enumerate() {
        assert_eq!(m.version, i as i64 + 1, "{}", m.name);
        assert!(
            m.name.starts_with(&format!("{:04}_", m.version)) && m.name.ends_with(".sql"),
            "{} should be named {:04}_something.sql",
            m.name,
            m.version
        );
        let on_disk = fs::read_to_string(Path::new("migrations").join(m.name)).unwrap();
        assert_eq!(on_disk, m.sql, "{} is not the embedded text", m.name);
    }
    let files = fs::read_dir("migrations").unwrap().count();
    assert_eq!(
        files,
        MIGRATIONS.len(),
        "every migrations/*.sql must be listed in MIGRATIONS"
    );
    assert_eq!(SCHEMA_VERSION, MIGRATIONS.len() as i64);
}

#[test]
fn a_new_workspace_has_a_sound_schema_matching_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let store = new_store(dir.path());
    store.integrity_check().unwrap();
    let conn = raw(dir.path());
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk_violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_violations, 0);
    assert_eq!(store.schema_version().unwrap(), SCHEMA_VERSION);

    let actual = store.schema_sql().unwrap();
    if std::env::var_os("FOLIO_UPDATE_SNAPSHOTS").is_some_and(|v| v == "1") {
        fs::write(SNAPSHOT, &actual).unwrap();
        return;
    }
    let expected = fs::read_to_string(SNAPSHOT).unwrap_or_default();
    if actual != expected {
        let first_difference = actual
            .lines()
            .zip(expected.lines())
            .enumerate()
            .find(|(_, (a, e))| a != e)
            .map(|(i, (a, e))| format!("line {}:\n  snapshot: {e}\n  actual:   {a}", i + 1))
            .unwrap_or_else(|| "one is a prefix of the other".into());
        panic!(
            "the schema differs from crates/store/{SNAPSHOT} ({first_difference}).\n\
             If the change is intended (a new migration), update the snapshot with\n  \
             FOLIO_UPDATE_SNAPSHOTS=1 cargo test -p folio-store --test schema\n\
             and commit it together with the migration."
        );
    }
}

#[test]
fn connections_use_wal_foreign_keys_and_the_folio_application_id() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_store(dir.path()));
    let store = Store::open(dir.path()).unwrap();
    let conn = raw(dir.path());
    let mode: String = conn
        .query_row("PRAGMA journal_mode", [], |r| r.get(0))
        .unwrap();
    assert_eq!(mode, "wal");
    let app_id: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .unwrap();
    assert_eq!(app_id, APPLICATION_ID);
    assert!(dir.path().join("blobs").is_dir());
    assert_eq!(
        store.meta("created_at").unwrap().as_deref(),
        Some("2025-03-04T10:00:00Z")
    );
    assert_eq!(store.root(), dir.path());
    // foreign_keys is per connection: check the store's own by breaking a reference.
    drop(store);
    let mut store = Store::open(dir.path()).unwrap();
    let err = store
        .save_journal_draft(
            folio_store::DocumentId(99),
            &balanced_journal(),
            &change("a", 1),
        )
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound { .. }), "{err}");
}

#[test]
fn create_refuses_an_existing_workspace_and_leaves_it_alone() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    import(&mut store, &invoice("INV-1"), b"<Invoice/>", &[]);
    drop(store);
    let err = Store::create(dir.path(), t0()).unwrap_err();
    assert!(matches!(err, StoreError::AlreadyExists { .. }), "{err}");
    assert!(err.to_string().contains("folio.sqlite"), "{err}");
    assert_eq!(
        Store::open(dir.path()).unwrap().document_count().unwrap(),
        1
    );
}

#[test]
fn create_makes_the_folder_when_missing() {
    let dir = tempfile::tempdir().unwrap();
    let ws = dir.path().join("nested").join("ws");
    new_store(&ws);
    assert!(ws.join("folio.sqlite").is_file());
}

#[test]
fn open_refuses_a_newer_schema_without_writing() {
    let dir = tempfile::tempdir().unwrap();
    drop(new_store(dir.path()));
    {
        let conn = raw(dir.path());
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .unwrap();
    }
    let db = dir.path().join("folio.sqlite");
    let before = fs::read(&db).unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    match &err {
        StoreError::NewerSchema { found, supported } => {
            assert_eq!((*found, *supported), (SCHEMA_VERSION + 1, SCHEMA_VERSION));
        }
        other => panic!("expected NewerSchema, got {other}"),
    }
    assert!(err.to_string().contains("upgrade Folio"), "{err}");
    assert_eq!(
        fs::read(&db).unwrap(),
        before,
        "the database file was changed"
    );
}

#[test]
fn open_refuses_what_is_not_a_folio_workspace() {
    let dir = tempfile::tempdir().unwrap();
    type Setup = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Setup)> = vec![
        ("an empty folder", Box::new(|_| {})),
        (
            "a text file",
            Box::new(|p| {
                fs::write(p.join("folio.sqlite"), "hello, I am not a database at all, and I am long enough to have a header of a hundred bytes or so.....").unwrap()
            }),
        ),
        (
            "another application's SQLite database",
            Box::new(|p| {
                let c = rusqlite::Connection::open(p.join("folio.sqlite")).unwrap();
                c.execute_batch("CREATE TABLE t(x); INSERT INTO t VALUES (1);")
                    .unwrap();
            }),
        ),
        (
            "an empty file",
            Box::new(|p| fs::write(p.join("folio.sqlite"), "").unwrap()),
        ),
        (
            "a folder named folio.sqlite",
            Box::new(|p| fs::create_dir(p.join("folio.sqlite")).unwrap()),
        ),
    ];
    for (i, (what, setup)) in cases.iter().enumerate() {
        let ws = dir.path().join(i.to_string());
        fs::create_dir(&ws).unwrap();
        setup(&ws);
        let before = fs::read(ws.join("folio.sqlite")).ok();
        let err = Store::open(&ws).unwrap_err();
        assert!(
            matches!(err, StoreError::NotAWorkspace { .. }),
            "{what}: expected NotAWorkspace, got {err}"
        );
        assert!(err.to_string().contains(&ws.display().to_string()), "{err}");
        assert_eq!(
            fs::read(ws.join("folio.sqlite")).ok(),
            before,
            "{what} was changed"
        );
    }
}

#[test]
fn reopening_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path());
    let id = import(&mut store, &invoice("INV-1"), b"<Invoice/>", &problems());
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    assert_eq!(
        store.get_document(id).unwrap().unwrap().document,
        invoice("INV-1")
    );
    assert_eq!(store.verify_audit_chain().unwrap(), 2);
}

/// Builds a workspace as an older Folio left it: only the first `version` migrations applied.
fn workspace_at_version(dir: &Path, version: i64) {
    let conn = rusqlite::Connection::open(dir.join("folio.sqlite")).unwrap();
    conn.pragma_update(None, "journal_mode", "wal").unwrap();
    conn.pragma_update(None, "application_id", APPLICATION_ID)
        .unwrap();
    for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
        conn.execute_batch(m.sql).unwrap();
    }
    conn.pragma_update(None, "user_version", version).unwrap();
}

#[test]
fn open_upgrades_every_older_schema_to_the_snapshot() {
    let fresh = {
        let dir = tempfile::tempdir().unwrap();
        new_store(dir.path()).schema_sql().unwrap()
    };
    for version in 0..SCHEMA_VERSION {
        let dir = tempfile::tempdir().unwrap();
        workspace_at_version(dir.path(), version);
        if version >= 1 {
            // Data written under the old schema survives the upgrade.
            raw(dir.path())
                .execute(
                    "INSERT INTO accounts VALUES ('6000', 'Office', 'expense', 1, 1)",
                    [],
                )
                .unwrap();
        }
        let store = Store::open(dir.path()).unwrap();
        assert_eq!(
            store.schema_version().unwrap(),
            SCHEMA_VERSION,
            "from v{version}"
        );
        assert_eq!(store.schema_sql().unwrap(), fresh, "from v{version}");
        store.integrity_check().unwrap();
        if version >= 1 {
            assert_eq!(store.master_data().unwrap().accounts.len(), 1);
        }
    }
}

#[test]
fn a_failing_migration_leaves_the_database_at_the_previous_version() {
    let dir = tempfile::tempdir().unwrap();
    workspace_at_version(dir.path(), 1);
    // Sabotage: a table in the way of migration 2.
    raw(dir.path())
        .execute_batch("CREATE TABLE settings (x ANY) STRICT;")
        .unwrap();
    let err = Store::open(dir.path()).unwrap_err();
    assert!(err.to_string().contains("0002_settings.sql"), "{err}");
    let version: i64 = raw(dir.path())
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, 1);
    let columns: i64 = raw(dir.path())
        .query_row(
            "SELECT count(*) FROM pragma_table_info('settings')",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(columns, 1, "the failed migration was not rolled back");
}
