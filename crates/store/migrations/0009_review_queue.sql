-- The review queue's facts per document (issue "desktop"): where its current journal is and the
-- confidence of its weakest coded value, kept up to date by triggers, so that the queue filters
-- and sorts 100,000 documents on indexed columns instead of recomputing both for every row
-- (crates/store/src/queue.rs). Nothing else writes here; the values are derived, never edited.
--
-- min_confidence is the lowest confidence, over the document's lines and fields (the split
-- excluded), of the proposal of the strongest source (person, rule, model, fixed): the value the
-- line is coded with. Confidences are 0.xyz, 1 or 1.000 (the CHECK of suggestions.confidence),
-- for which text order is numeric order, so min() over the text is exact.

CREATE TABLE queue_facts (
    document_id    INTEGER PRIMARY KEY REFERENCES documents (id),
    status         TEXT NOT NULL
                   CHECK (status IN ('new', 'draft', 'approved', 'queued', 'posted', 'rejected')),
    min_confidence TEXT
) STRICT;

-- No index on status: most documents share a few statuses, and an index would make SQLite sort
-- every match instead of walking the order's index and stopping after a page.
CREATE INDEX queue_facts_confidence ON queue_facts (min_confidence);

-- Indexes for the queue's orders (ties broken by id in the same direction).
CREATE INDEX documents_queue_supplier ON documents (supplier_name COLLATE NOCASE, id);
CREATE INDEX documents_queue_issue_date ON documents (issue_date, id);
CREATE INDEX documents_queue_due_date ON documents (due_date, id);
CREATE INDEX documents_queue_number ON documents (number, id);

-- The two rules, each stated once: a document's status is its newest journal version's; the
-- value a line's field is coded with is the proposal of its strongest source (person, rule,
-- model, fixed). The fill below and the triggers read them for one document at a time.
CREATE VIEW queue_current_status AS
SELECT j.document_id, j.status FROM journals j
WHERE j.version = (SELECT max(k.version) FROM journals k WHERE k.document_id = j.document_id);

CREATE VIEW queue_coded_values AS
SELECT s.document_id, s.line_no, s.field, s.confidence FROM suggestions s
WHERE s.field <> 'split'
  AND NOT EXISTS (
      SELECT 1 FROM suggestions t
      WHERE t.document_id = s.document_id AND t.line_no = s.line_no AND t.field = s.field
        AND (CASE t.source WHEN 'person' THEN 0 WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END)
          < (CASE s.source WHEN 'person' THEN 0 WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END));

INSERT INTO queue_facts (document_id, status, min_confidence)
SELECT d.id,
       coalesce((SELECT c.status FROM queue_current_status c WHERE c.document_id = d.id), 'new'),
       (SELECT min(c.confidence) FROM queue_coded_values c WHERE c.document_id = d.id)
FROM documents d;

CREATE TRIGGER queue_facts_new_document
AFTER INSERT ON documents
BEGIN
    INSERT INTO queue_facts (document_id, status, min_confidence) VALUES (NEW.id, 'new', NULL);
END;

CREATE TRIGGER queue_facts_journal_insert
AFTER INSERT ON journals
BEGIN
    UPDATE queue_facts
    SET status = coalesce((SELECT c.status FROM queue_current_status c
                           WHERE c.document_id = NEW.document_id), 'new')
    WHERE document_id = NEW.document_id;
END;

CREATE TRIGGER queue_facts_journal_status
AFTER UPDATE OF status ON journals
BEGIN
    UPDATE queue_facts
    SET status = coalesce((SELECT c.status FROM queue_current_status c
                           WHERE c.document_id = NEW.document_id), 'new')
    WHERE document_id = NEW.document_id;
END;

CREATE TRIGGER queue_facts_journal_delete
AFTER DELETE ON journals
BEGIN
    UPDATE queue_facts
    SET status = coalesce((SELECT c.status FROM queue_current_status c
                           WHERE c.document_id = OLD.document_id), 'new')
    WHERE document_id = OLD.document_id;
END;

CREATE TRIGGER queue_facts_suggestion_insert
AFTER INSERT ON suggestions
BEGIN
    UPDATE queue_facts
    SET min_confidence = (SELECT min(c.confidence) FROM queue_coded_values c
                          WHERE c.document_id = NEW.document_id)
    WHERE document_id = NEW.document_id;
END;

CREATE TRIGGER queue_facts_suggestion_update
AFTER UPDATE ON suggestions
BEGIN
    UPDATE queue_facts
    SET min_confidence = (SELECT min(c.confidence) FROM queue_coded_values c
                          WHERE c.document_id = NEW.document_id)
    WHERE document_id = NEW.document_id;
END;

CREATE TRIGGER queue_facts_suggestion_delete
AFTER DELETE ON suggestions
BEGIN
    UPDATE queue_facts
    SET min_confidence = (SELECT min(c.confidence) FROM queue_coded_values c
                          WHERE c.document_id = OLD.document_id)
    WHERE document_id = OLD.document_id;
END;
