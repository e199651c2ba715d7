-- Reviewers' decisions about imported documents that do not change what the supplier sent: today
-- "this is not a duplicate" (after a DUPLICATE or POSSIBLE_DUPLICATE problem), with the reason a
-- person gave. The document itself stays immutable; a decision is appended here, never edited or
-- removed, and each is audited (action document.review) in the same transaction.

CREATE TABLE document_reviews (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    decision    TEXT NOT NULL CHECK (decision IN ('not_duplicate')),
    reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_at  TEXT NOT NULL CHECK (decided_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    decided_by  TEXT NOT NULL CHECK (decided_by <> '')
) STRICT;

CREATE INDEX document_reviews_document ON document_reviews (document_id);

-- A supplier's documents by issue date, for the possible-duplicate check (same supplier and
-- amount within a few days).
CREATE INDEX documents_supplier_issue_date ON documents (supplier_key, issue_date);

CREATE TRIGGER document_reviews_append_only_update
BEFORE UPDATE ON document_reviews
BEGIN
    SELECT RAISE(ABORT, 'a review decision is a record and cannot be changed; add a new one');
END;

CREATE TRIGGER document_reviews_append_only_delete
BEFORE DELETE ON document_reviews
BEGIN
    SELECT RAISE(ABORT, 'a review decision is a record and cannot be removed');
END;
