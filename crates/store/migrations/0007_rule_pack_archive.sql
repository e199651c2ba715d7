-- Every rule pack text ever put in use, by content hash. `rule_packs` holds only the packs in use
-- now; a stored suggestion names the pack version that made it (`1.0.0+3f2a9c01b7de`), and
-- `folio replay` needs that version's text to re-derive the suggestion after the pack changed.
-- Filled by trigger whenever a pack is put in use, so no code path can forget it; never changed
-- or deleted.

CREATE TABLE rule_pack_archive (
    content_hash   TEXT PRIMARY KEY NOT NULL
                   CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    pack_id        TEXT NOT NULL CHECK (pack_id <> ''),
    version        TEXT NOT NULL CHECK (version <> ''),
    source_text    TEXT NOT NULL,
    first_saved_at TEXT NOT NULL CHECK (first_saved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    first_saved_by TEXT NOT NULL CHECK (first_saved_by <> '')
) STRICT;

INSERT OR IGNORE INTO rule_pack_archive
    (content_hash, pack_id, version, source_text, first_saved_at, first_saved_by)
SELECT content_hash, pack_id, version, source_text, saved_at, saved_by FROM rule_packs;

CREATE TRIGGER rule_packs_are_archived
AFTER INSERT ON rule_packs
BEGIN
    INSERT OR IGNORE INTO rule_pack_archive
        (content_hash, pack_id, version, source_text, first_saved_at, first_saved_by)
    VALUES (NEW.content_hash, NEW.pack_id, NEW.version, NEW.source_text, NEW.saved_at,
            NEW.saved_by);
END;

CREATE TRIGGER rule_pack_archive_no_update
BEFORE UPDATE ON rule_pack_archive
BEGIN
    SELECT RAISE(ABORT, 'archived rule pack texts never change');
END;

CREATE TRIGGER rule_pack_archive_no_delete
BEFORE DELETE ON rule_pack_archive
BEGIN
    SELECT RAISE(ABORT, 'archived rule pack texts are never deleted');
END;
