-- Change sequence for incremental exports (`folio export lines --after-seq N`).
--
-- document_changes holds, per document, the sequence number of the latest change to anything an
-- export row is made of: the document, its coding (suggestions), its journals and their lines,
-- the decisions (submit, approve, reject) on its journals, and its outbox entry. The number is one
-- more than the highest so far, so it only grows; a nightly job that remembers the highest number
-- it saw asks next time for what is above it. The
-- triggers below do the bumping, so no code path (nor a person with the sqlite3 shell) can change
-- a document's coding without it showing up in the next export.

CREATE TABLE document_changes (
    document_id INTEGER PRIMARY KEY NOT NULL REFERENCES documents (id),
    change_seq  INTEGER NOT NULL UNIQUE CHECK (change_seq >= 1)
) STRICT;

-- Documents there already, numbered in import order.
INSERT INTO document_changes (document_id, change_seq)
SELECT id, row_number() OVER (ORDER BY id) FROM documents;

CREATE TRIGGER document_changes_document_insert AFTER INSERT ON documents
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_document_update AFTER UPDATE ON documents
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_suggestion_insert AFTER INSERT ON suggestions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_suggestion_update AFTER UPDATE ON suggestions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_suggestion_delete AFTER DELETE ON suggestions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (OLD.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_insert AFTER INSERT ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_update AFTER UPDATE ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_delete AFTER DELETE ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (OLD.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_line_insert AFTER INSERT ON journal_lines
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_line_update AFTER UPDATE ON journal_lines
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_line_delete AFTER DELETE ON journal_lines
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = OLD.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_outbox_insert AFTER INSERT ON outbox
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_outbox_update AFTER UPDATE ON outbox
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_decision_insert AFTER INSERT ON journal_decisions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_decision_update AFTER UPDATE ON journal_decisions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = NEW.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

-- What `folio export lines` reads of a line's coding, in one index: the export looks up each
-- source's proposal for a line's account and never touches the rows (whose explanations are large).
CREATE INDEX suggestions_export ON suggestions (document_id, line_no, field, source, confidence, created_by);
