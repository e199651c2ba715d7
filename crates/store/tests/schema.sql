-- user_version = 11

CREATE TABLE accounts (
    code     TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('asset', 'liability', 'equity', 'income', 'expense')),
    postable INTEGER NOT NULL CHECK (postable IN (0, 1)),
    active   INTEGER NOT NULL CHECK (active IN (0, 1))
) STRICT;

CREATE TABLE audit_events (
    seq         INTEGER PRIMARY KEY CHECK (seq >= 1),
    at          TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    actor       TEXT NOT NULL CHECK (actor <> ''),
    action      TEXT NOT NULL CHECK (action <> ''),
    entity      TEXT NOT NULL CHECK (entity <> ''),
    entity_id   TEXT NOT NULL,
    before_json TEXT CHECK (before_json IS NULL OR json_valid(before_json)),
    after_json  TEXT CHECK (after_json IS NULL OR json_valid(after_json)),
    prev_hash   TEXT NOT NULL
                CHECK (length(prev_hash) = 64 AND prev_hash NOT GLOB '*[^0-9a-f]*'),
    hash        TEXT NOT NULL UNIQUE
                CHECK (length(hash) = 64 AND hash NOT GLOB '*[^0-9a-f]*')
) STRICT;

CREATE TRIGGER audit_events_append_at_end
BEFORE INSERT ON audit_events
WHEN NEW.seq IS NOT (SELECT coalesce(max(seq), 0) + 1 FROM audit_events)
  OR NEW.prev_hash IS NOT coalesce((SELECT hash FROM audit_events ORDER BY seq DESC LIMIT 1),
                                   '0000000000000000000000000000000000000000000000000000000000000000')
BEGIN
    SELECT RAISE(ABORT, 'audit events are appended at the end of the hash chain');
END;

CREATE INDEX audit_events_entity ON audit_events (entity, entity_id);

CREATE TRIGGER audit_events_no_delete
BEFORE DELETE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TRIGGER audit_events_no_update
BEFORE UPDATE ON audit_events
BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY NOT NULL
               CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    size       INTEGER NOT NULL CHECK (size >= 0),
    media_type TEXT NOT NULL CHECK (media_type <> ''),
    stored_at  TEXT NOT NULL CHECK (stored_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z')
) STRICT;

CREATE TABLE dimension_values (
    dimension_code TEXT NOT NULL REFERENCES dimensions (code),
    code           TEXT NOT NULL CHECK (code <> ''),
    name           TEXT NOT NULL,
    active         INTEGER NOT NULL CHECK (active IN (0, 1)),
    PRIMARY KEY (dimension_code, code)
) STRICT;

CREATE TABLE dimensions (
    code     TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    name     TEXT NOT NULL,
    required INTEGER NOT NULL CHECK (required IN (0, 1))
) STRICT;

CREATE TABLE document_changes (
    document_id INTEGER PRIMARY KEY NOT NULL REFERENCES documents (id),
    change_seq  INTEGER NOT NULL UNIQUE CHECK (change_seq >= 1)
) STRICT;

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

CREATE TRIGGER document_changes_journal_delete AFTER DELETE ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (OLD.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_insert AFTER INSERT ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
END;

CREATE TRIGGER document_changes_journal_line_delete AFTER DELETE ON journal_lines
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES ((SELECT document_id FROM journals WHERE id = OLD.journal_id),
            (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
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

CREATE TRIGGER document_changes_journal_update AFTER UPDATE ON journals
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (NEW.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
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

CREATE TRIGGER document_changes_suggestion_delete AFTER DELETE ON suggestions
BEGIN
    INSERT OR REPLACE INTO document_changes (document_id, change_seq)
    VALUES (OLD.document_id, (SELECT coalesce(max(change_seq), 0) + 1 FROM document_changes));
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

CREATE TABLE document_lines (
    document_id  INTEGER NOT NULL REFERENCES documents (id),
    line_no      INTEGER NOT NULL CHECK (line_no >= 1),
    line_id      TEXT NOT NULL,
    description  TEXT NOT NULL,
    net_amount   ANY NOT NULL
                 CONSTRAINT net_amount_is_a_decimal_string
                 CHECK (typeof(net_amount) = 'text' AND length(net_amount) <= 40
                        AND substr(net_amount, 1 + (net_amount GLOB '-*')) GLOB '[0-9]*'
                        AND substr(net_amount, 1 + (net_amount GLOB '-*')) NOT GLOB '*[^0-9.]*'
                        AND substr(net_amount, 1 + (net_amount GLOB '-*')) NOT GLOB '*.*.*'
                        AND substr(net_amount, 1 + (net_amount GLOB '-*')) NOT GLOB '*.'
                        AND substr(net_amount, 1 + (net_amount GLOB '-*')) NOT GLOB '0[0-9]*'),
    vat_category TEXT NOT NULL
                 CHECK (vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M')),
    vat_rate     ANY
                 CONSTRAINT vat_rate_is_a_non_negative_decimal_string
                 CHECK (vat_rate IS NULL
                        OR (typeof(vat_rate) = 'text' AND length(vat_rate) <= 40
                            AND vat_rate GLOB '[0-9]*'
                            AND vat_rate NOT GLOB '*[^0-9.]*'
                            AND vat_rate NOT GLOB '*.*.*'
                            AND vat_rate NOT GLOB '*.'
                            AND vat_rate NOT GLOB '0[0-9]*')),
    PRIMARY KEY (document_id, line_no)
) STRICT;

CREATE TABLE document_problems (
    document_id INTEGER NOT NULL REFERENCES documents (id),
    seq         INTEGER NOT NULL CHECK (seq >= 1),
    code        TEXT NOT NULL CHECK (code <> ''),
    severity    TEXT NOT NULL CHECK (severity IN ('error', 'warning', 'info')),
    field       TEXT NOT NULL,
    message     TEXT NOT NULL,
    PRIMARY KEY (document_id, seq)
) STRICT;

CREATE TABLE document_reviews (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    decision    TEXT NOT NULL CHECK (decision IN ('not_duplicate')),
    reason      TEXT NOT NULL CHECK (length(trim(reason)) > 0),
    decided_at  TEXT NOT NULL CHECK (decided_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    decided_by  TEXT NOT NULL CHECK (decided_by <> '')
) STRICT;

CREATE TRIGGER document_reviews_append_only_delete
BEFORE DELETE ON document_reviews
BEGIN
    SELECT RAISE(ABORT, 'a review decision is a record and cannot be removed');
END;

CREATE TRIGGER document_reviews_append_only_update
BEFORE UPDATE ON document_reviews
BEGIN
    SELECT RAISE(ABORT, 'a review decision is a record and cannot be changed; add a new one');
END;

CREATE INDEX document_reviews_document ON document_reviews (document_id);

CREATE TABLE documents (
    id              INTEGER PRIMARY KEY,
    sha256          TEXT NOT NULL UNIQUE REFERENCES blobs (sha256),
    file_name       TEXT NOT NULL,
    syntax          TEXT NOT NULL
                    CHECK (syntax IN ('ubl', 'cii', 'zugferd1', 'pdf_text', 'tabular')),
    doc_type        TEXT NOT NULL CHECK (doc_type IN ('invoice', 'credit_note')),
    number          TEXT NOT NULL,
    supplier_name   TEXT NOT NULL,
    supplier_vat_id TEXT,
    issue_date      TEXT NOT NULL
                    CHECK (issue_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                           AND date(issue_date, '+0 days') IS issue_date),
    due_date        TEXT
                    CHECK (due_date IS NULL
                           OR (due_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                               AND date(due_date, '+0 days') IS due_date)),
    currency        TEXT NOT NULL
                    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    -- Signed: a corrective invoice can have a negative amount due.
    payable         ANY NOT NULL
                    CONSTRAINT payable_is_a_decimal_string
                    CHECK (typeof(payable) = 'text' AND length(payable) <= 40
                           AND substr(payable, 1 + (payable GLOB '-*')) GLOB '[0-9]*'
                           AND substr(payable, 1 + (payable GLOB '-*')) NOT GLOB '*[^0-9.]*'
                           AND substr(payable, 1 + (payable GLOB '-*')) NOT GLOB '*.*.*'
                           AND substr(payable, 1 + (payable GLOB '-*')) NOT GLOB '*.'
                           AND substr(payable, 1 + (payable GLOB '-*')) NOT GLOB '0[0-9]*'),
    line_count      INTEGER NOT NULL CHECK (line_count >= 0),
    body_json       TEXT NOT NULL CHECK (json_valid(body_json) AND json_type(body_json) = 'object'),
    -- Normalised keys for the duplicate check (folio_store::normalise_supplier / normalise_number).
    supplier_key    TEXT NOT NULL CHECK (supplier_key <> ''),
    number_key      TEXT NOT NULL,
    imported_at     TEXT NOT NULL CHECK (imported_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    imported_by     TEXT NOT NULL CHECK (imported_by <> '')
, payable_digits TEXT GENERATED ALWAYS AS (
    substr('0000000000000000000000000000000000000000'
           || (CASE WHEN instr(substr(payable, 1 + (payable GLOB '-*')), '.') > 0 THEN substr(substr(payable, 1 + (payable GLOB '-*')), 1, instr(substr(payable, 1 + (payable GLOB '-*')), '.') - 1) ELSE substr(payable, 1 + (payable GLOB '-*')) END), -40)
    || '.'
    || (CASE WHEN instr(substr(payable, 1 + (payable GLOB '-*')), '.') > 0 THEN rtrim(substr(substr(payable, 1 + (payable GLOB '-*')), instr(substr(payable, 1 + (payable GLOB '-*')), '.') + 1), '0') ELSE '' END)
) VIRTUAL, payable_order TEXT GENERATED ALWAYS AS (
    CASE WHEN payable GLOB '-*' AND payable_digits <> '0000000000000000000000000000000000000000.'
    THEN 'N' || replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(replace(payable_digits, '0', 'a'), '1', 'b'), '2', 'c'), '3', 'd'), '4', 'e'), '5', 'f'), '6', 'g'), '7', 'h'), '8', 'i'), '9', 'j'), 'a', '9'), 'b', '8'), 'c', '7'), 'd', '6'), 'e', '5'), 'f', '4'), 'g', '3'), 'h', '2'), 'i', '1'), 'j', '0') || '~'
    ELSE 'P' || payable_digits END
) VIRTUAL) STRICT;

CREATE INDEX documents_duplicate_key ON documents (supplier_key, number_key);

CREATE INDEX documents_queue_amount ON documents (payable_order, id);

CREATE INDEX documents_queue_due_date ON documents (due_date, id);

CREATE INDEX documents_queue_issue_date ON documents (issue_date, id);

CREATE INDEX documents_queue_number ON documents (number, id);

CREATE INDEX documents_queue_supplier ON documents (supplier_name COLLATE NOCASE, id);

CREATE TRIGGER documents_record_is_immutable
BEFORE UPDATE OF sha256, body_json, syntax, doc_type, number, currency, payable ON documents
BEGIN
    SELECT RAISE(ABORT, 'a document is the record of what the supplier sent and cannot be changed');
END;

CREATE INDEX documents_supplier_issue_date ON documents (supplier_key, issue_date);

CREATE TABLE exchange_rates (
    from_currency TEXT NOT NULL CHECK (length(from_currency) = 3 AND from_currency GLOB '[A-Z][A-Z][A-Z]'),
    to_currency   TEXT NOT NULL CHECK (length(to_currency) = 3 AND to_currency GLOB '[A-Z][A-Z][A-Z]'),
    valid_from    TEXT NOT NULL
                  CHECK (valid_from GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                         AND date(valid_from, '+0 days') IS valid_from),
    rate          ANY NOT NULL
                  CONSTRAINT rate_is_a_positive_decimal_string
                  CHECK (typeof(rate) = 'text' AND length(rate) <= 40
                         AND rate GLOB '[0-9]*'
                         AND rate NOT GLOB '*[^0-9.]*'
                         AND rate NOT GLOB '*.*.*'
                         AND rate NOT GLOB '*.'
                         AND rate NOT GLOB '0[0-9]*'
                         AND rate GLOB '*[1-9]*'),
    CHECK (from_currency <> to_currency),
    PRIMARY KEY (from_currency, to_currency, valid_from)
) STRICT;

CREATE TABLE forgotten_vendors (
    supplier_key TEXT NOT NULL CHECK (supplier_key <> ''),
    name         TEXT NOT NULL,
    forgotten_at TEXT NOT NULL CHECK (forgotten_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    forgotten_by TEXT NOT NULL CHECK (forgotten_by <> ''),
    PRIMARY KEY (supplier_key, forgotten_at)
) STRICT;

CREATE TABLE gl_calls (
    id             INTEGER PRIMARY KEY,
    at             TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    connector      TEXT NOT NULL CHECK (connector <> ''),
    operation      TEXT NOT NULL CHECK (operation <> ''),
    status         TEXT NOT NULL CHECK (status <> ''),
    duration_ms    INTEGER NOT NULL CHECK (duration_ms >= 0),
    correlation_id TEXT,
    error          TEXT
) STRICT;

CREATE INDEX gl_calls_at ON gl_calls (at);

CREATE TABLE history_imports (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE
                CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    row_count   INTEGER NOT NULL CHECK (row_count >= 0),
    imported_at TEXT NOT NULL CHECK (imported_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    imported_by TEXT NOT NULL CHECK (imported_by <> '')
) STRICT;

CREATE TABLE history_lines (
    import_id    INTEGER NOT NULL REFERENCES history_imports (id),
    row_no       INTEGER NOT NULL CHECK (row_no >= 1),
    date         TEXT NOT NULL
                 CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                        AND date(date, '+0 days') IS date),
    supplier     TEXT NOT NULL CHECK (supplier <> ''),
    -- folio_coding::learn::features::supplier_key of the supplier, for forgetting a vendor.
    supplier_key TEXT NOT NULL,
    description  TEXT NOT NULL,
    amount       ANY NOT NULL
                 CONSTRAINT amount_is_a_decimal_string
                 CHECK (typeof(amount) = 'text' AND length(amount) <= 40
                        AND substr(amount, 1 + (amount GLOB '-*')) GLOB '[0-9]*'
                        AND substr(amount, 1 + (amount GLOB '-*')) NOT GLOB '*[^0-9.]*'
                        AND substr(amount, 1 + (amount GLOB '-*')) NOT GLOB '*.*.*'
                        AND substr(amount, 1 + (amount GLOB '-*')) NOT GLOB '*.'
                        AND substr(amount, 1 + (amount GLOB '-*')) NOT GLOB '0[0-9]*'),
    account      TEXT NOT NULL CHECK (account <> ''),
    cost_centre  TEXT NOT NULL,
    vat_category TEXT
                 CHECK (vat_category IS NULL
                        OR vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M')),
    PRIMARY KEY (import_id, row_no)
) STRICT;

CREATE INDEX history_lines_supplier ON history_lines (supplier_key);

CREATE TABLE journal_decisions (
    id             INTEGER PRIMARY KEY,
    journal_id     INTEGER NOT NULL REFERENCES journals (id),
    decision       TEXT NOT NULL CHECK (decision IN ('submit', 'approve', 'reject')),
    actor          TEXT NOT NULL CHECK (actor <> ''),
    role           TEXT NOT NULL CHECK (role <> ''),
    at             TEXT NOT NULL CHECK (at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    content_sha256 TEXT NOT NULL
                   CHECK (length(content_sha256) = 64 AND content_sha256 NOT GLOB '*[^0-9a-f]*'),
    comment        TEXT NOT NULL,
    voided_at      TEXT,
    voided_by      TEXT,
    voided_reason  TEXT,
    CHECK ((voided_at IS NULL) = (voided_reason IS NULL) AND (voided_at IS NULL) = (voided_by IS NULL))
) STRICT;

CREATE INDEX journal_decisions_journal ON journal_decisions (journal_id);

CREATE TRIGGER journal_decisions_no_delete
BEFORE DELETE ON journal_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are never deleted');
END;

CREATE TRIGGER journal_decisions_only_voided_once
BEFORE UPDATE ON journal_decisions
WHEN OLD.voided_at IS NOT NULL
  OR NEW.id IS NOT OLD.id OR NEW.journal_id IS NOT OLD.journal_id
  OR NEW.decision IS NOT OLD.decision OR NEW.actor IS NOT OLD.actor OR NEW.role IS NOT OLD.role
  OR NEW.at IS NOT OLD.at OR NEW.content_sha256 IS NOT OLD.content_sha256
  OR NEW.comment IS NOT OLD.comment
BEGIN
    SELECT RAISE(ABORT, 'a decision is never changed, only voided once');
END;

CREATE TRIGGER journal_decisions_preparer_never_approves
BEFORE INSERT ON journal_decisions
WHEN NEW.decision = 'approve'
 AND EXISTS (SELECT 1 FROM journal_preparers
             WHERE journal_id = NEW.journal_id AND actor = NEW.actor)
BEGIN
    SELECT RAISE(ABORT, 'segregation of duties: the preparer of a journal never approves it');
END;

CREATE TABLE journal_lines (
    journal_id      INTEGER NOT NULL REFERENCES journals (id),
    line_no         INTEGER NOT NULL CHECK (line_no >= 1),
    account         TEXT NOT NULL,
    description     TEXT NOT NULL,
    side            TEXT NOT NULL CHECK (side IN ('debit', 'credit')),
    -- Unsigned: the side says debit or credit.
    amount          ANY NOT NULL
                    CONSTRAINT amount_is_a_non_negative_decimal_string
                    CHECK (typeof(amount) = 'text' AND length(amount) <= 40
                           AND amount GLOB '[0-9]*'
                           AND amount NOT GLOB '*[^0-9.]*'
                           AND amount NOT GLOB '*.*.*'
                           AND amount NOT GLOB '*.'
                           AND amount NOT GLOB '0[0-9]*'),
    currency        TEXT NOT NULL
                    CHECK (length(currency) = 3 AND currency GLOB '[A-Z][A-Z][A-Z]'),
    dimensions_json TEXT NOT NULL
                    CHECK (json_valid(dimensions_json) AND json_type(dimensions_json) = 'object'),
    tax_code        TEXT,
    source          TEXT,
    PRIMARY KEY (journal_id, line_no)
) STRICT;

CREATE TRIGGER journal_lines_delete_only_from_drafts
BEFORE DELETE ON journal_lines
WHEN (SELECT status FROM journals WHERE id = OLD.journal_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'journal is approved (or later) and immutable: its lines cannot change');
END;

CREATE TRIGGER journal_lines_insert_only_into_drafts
BEFORE INSERT ON journal_lines
WHEN (SELECT status FROM journals WHERE id = NEW.journal_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'journal is approved (or later) and immutable: its lines cannot change');
END;

CREATE TRIGGER journal_lines_update_only_in_drafts
BEFORE UPDATE ON journal_lines
WHEN (SELECT status FROM journals WHERE id = OLD.journal_id) IS NOT 'draft'
  OR (SELECT status FROM journals WHERE id = NEW.journal_id) IS NOT 'draft'
BEGIN
    SELECT RAISE(ABORT, 'journal is approved (or later) and immutable: its lines cannot change');
END;

CREATE TABLE journal_preparers (
    journal_id INTEGER NOT NULL REFERENCES journals (id),
    actor      TEXT NOT NULL CHECK (actor <> ''),
    PRIMARY KEY (journal_id, actor)
) STRICT;

CREATE TRIGGER journal_preparers_no_delete
BEFORE DELETE ON journal_preparers
BEGIN
    SELECT RAISE(ABORT, 'who prepared a journal is never forgotten');
END;

CREATE TABLE journals (
    id          INTEGER PRIMARY KEY,
    document_id INTEGER NOT NULL REFERENCES documents (id),
    version     INTEGER NOT NULL CHECK (version >= 1),
    status      TEXT NOT NULL
                CHECK (status IN ('draft', 'approved', 'queued', 'posted', 'rejected')),
    date        TEXT NOT NULL
                CHECK (date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                       AND date(date, '+0 days') IS date),
    memo        TEXT NOT NULL,
    created_at  TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    created_by  TEXT NOT NULL CHECK (created_by <> ''),
    updated_at  TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    updated_by  TEXT NOT NULL CHECK (updated_by <> ''),
    UNIQUE (document_id, version)
) STRICT;

CREATE TRIGGER journals_delete_only_drafts
BEFORE DELETE ON journals
WHEN OLD.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'journal is approved (or later) and immutable');
END;

CREATE TRIGGER journals_immutable_unless_draft
BEFORE UPDATE OF document_id, version, date, memo, created_at, created_by ON journals
WHEN OLD.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'journal is approved (or later) and immutable');
END;

CREATE TRIGGER journals_start_as_draft
BEFORE INSERT ON journals
WHEN NEW.status <> 'draft'
BEGIN
    SELECT RAISE(ABORT, 'a journal is created as a draft');
END;

CREATE TRIGGER journals_status_follows_lifecycle
BEFORE UPDATE OF status ON journals
WHEN NEW.status IS NOT OLD.status
 AND NOT ((OLD.status = 'draft' AND NEW.status = 'approved')
       OR (OLD.status = 'approved' AND NEW.status = 'draft')
       OR (OLD.status = 'approved' AND NEW.status = 'queued')
       OR (OLD.status = 'queued' AND NEW.status = 'posted')
       OR (OLD.status = 'queued' AND NEW.status = 'rejected')
       OR (OLD.status = 'rejected' AND NEW.status = 'draft'))
BEGIN
    SELECT RAISE(ABORT, 'journal status change not allowed by the lifecycle (draft -> approved -> queued -> posted | rejected; approved -> draft; rejected -> draft)');
END;

CREATE INDEX journals_status_updated ON journals (status, updated_at);

CREATE TABLE "outbox" (
    journal_id      INTEGER PRIMARY KEY REFERENCES journals (id),
    reference       TEXT NOT NULL UNIQUE
                    CHECK (length(reference) BETWEEN 4 AND 20 AND reference GLOB 'F*-*'
                           AND reference NOT GLOB '*[^0-9A-Z-]*'),
    state           TEXT NOT NULL
                    CHECK (state IN ('queued', 'sending', 'posted', 'rejected', 'unknown', 'voided')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL CHECK (next_attempt_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    last_error      TEXT,
    gl_id           TEXT,
    receipt         TEXT,
    queued_at       TEXT NOT NULL CHECK (queued_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    updated_at      TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    CHECK (state <> 'posted' OR (gl_id IS NOT NULL AND gl_id <> '')),
    CHECK (state <> 'voided' OR attempts = 0)
) STRICT;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

CREATE TRIGGER outbox_no_delete
BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox entries are never deleted');
END;

CREATE TRIGGER outbox_posted_is_final
BEFORE UPDATE ON outbox
WHEN OLD.state = 'posted'
BEGIN
    SELECT RAISE(ABORT, 'the journal is posted to the GL; its outbox entry is final');
END;

CREATE TRIGGER outbox_reference_never_changes
BEFORE UPDATE OF reference, journal_id ON outbox
BEGIN
    SELECT RAISE(ABORT, 'an outbox entry keeps its journal and reference');
END;

CREATE TRIGGER outbox_void_only_unsent
BEFORE UPDATE OF state ON outbox
WHEN NEW.state = 'voided' AND NOT (OLD.state IN ('queued', 'voided') AND OLD.attempts = 0)
BEGIN
    SELECT RAISE(ABORT, 'only an outbox entry that was never sent can be voided');
END;

CREATE TABLE periods (
    name       TEXT PRIMARY KEY NOT NULL CHECK (name <> ''),
    start_date TEXT NOT NULL
               CHECK (start_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                      AND date(start_date, '+0 days') IS start_date),
    end_date   TEXT NOT NULL
               CHECK (end_date GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'
                      AND date(end_date, '+0 days') IS end_date),
    closed     INTEGER NOT NULL CHECK (closed IN (0, 1)),
    CHECK (start_date <= end_date)
) STRICT;

CREATE VIEW queue_coded_values AS
SELECT s.document_id, s.line_no, s.field, s.confidence FROM suggestions s
WHERE s.field <> 'split'
  AND NOT EXISTS (
      SELECT 1 FROM suggestions t
      WHERE t.document_id = s.document_id AND t.line_no = s.line_no AND t.field = s.field
        AND (CASE t.source WHEN 'person' THEN 0 WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END)
          < (CASE s.source WHEN 'person' THEN 0 WHEN 'rule' THEN 1 WHEN 'model' THEN 2 ELSE 3 END));

CREATE VIEW queue_current_status AS
SELECT j.document_id, j.status FROM journals j
WHERE j.version = (SELECT max(k.version) FROM journals k WHERE k.document_id = j.document_id);

CREATE TABLE queue_facts (
    document_id    INTEGER PRIMARY KEY REFERENCES documents (id),
    status         TEXT NOT NULL
                   CHECK (status IN ('new', 'draft', 'approved', 'queued', 'posted', 'rejected')),
    min_confidence TEXT
) STRICT;

CREATE INDEX queue_facts_confidence ON queue_facts (min_confidence);

CREATE TRIGGER queue_facts_journal_delete
AFTER DELETE ON journals
BEGIN
    UPDATE queue_facts
    SET status = coalesce((SELECT c.status FROM queue_current_status c
                           WHERE c.document_id = OLD.document_id), 'new')
    WHERE document_id = OLD.document_id;
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

CREATE TRIGGER queue_facts_new_document
AFTER INSERT ON documents
BEGIN
    INSERT INTO queue_facts (document_id, status, min_confidence) VALUES (NEW.id, 'new', NULL);
END;

CREATE TRIGGER queue_facts_suggestion_delete
AFTER DELETE ON suggestions
BEGIN
    UPDATE queue_facts
    SET min_confidence = (SELECT min(c.confidence) FROM queue_coded_values c
                          WHERE c.document_id = OLD.document_id)
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

CREATE TABLE rule_pack_archive (
    content_hash   TEXT PRIMARY KEY NOT NULL
                   CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    pack_id        TEXT NOT NULL CHECK (pack_id <> ''),
    version        TEXT NOT NULL CHECK (version <> ''),
    source_text    TEXT NOT NULL,
    first_saved_at TEXT NOT NULL CHECK (first_saved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    first_saved_by TEXT NOT NULL CHECK (first_saved_by <> '')
) STRICT;

CREATE TRIGGER rule_pack_archive_no_delete
BEFORE DELETE ON rule_pack_archive
BEGIN
    SELECT RAISE(ABORT, 'archived rule pack texts are never deleted');
END;

CREATE TRIGGER rule_pack_archive_no_update
BEFORE UPDATE ON rule_pack_archive
BEGIN
    SELECT RAISE(ABORT, 'archived rule pack texts never change');
END;

CREATE TABLE rule_packs (
    pack_id      TEXT PRIMARY KEY NOT NULL CHECK (pack_id <> ''),
    version      TEXT NOT NULL CHECK (version <> ''),
    content_hash TEXT NOT NULL
                 CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    source_text  TEXT NOT NULL,
    saved_at     TEXT NOT NULL CHECK (saved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    saved_by     TEXT NOT NULL CHECK (saved_by <> '')
) STRICT;

CREATE TRIGGER rule_packs_are_archived
AFTER INSERT ON rule_packs
BEGIN
    INSERT OR IGNORE INTO rule_pack_archive
        (content_hash, pack_id, version, source_text, first_saved_at, first_saved_by)
    VALUES (NEW.content_hash, NEW.pack_id, NEW.version, NEW.source_text, NEW.saved_at,
            NEW.saved_by);
END;

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    updated_by TEXT NOT NULL CHECK (updated_by <> '')
) STRICT;

CREATE TABLE suggestions (
    document_id      INTEGER NOT NULL REFERENCES documents (id),
    -- 1-based; a document without lines is coded at header level as line 1.
    line_no          INTEGER NOT NULL CHECK (line_no >= 1),
    field            TEXT NOT NULL
                     CHECK (field IN ('account', 'tax_code', 'split')
                            OR (field GLOB 'dimension:?*' AND field NOT GLOB '*[ ]*')),
    source           TEXT NOT NULL CHECK (source IN ('person', 'rule', 'model', 'fixed')),
    value            TEXT NOT NULL CHECK (value <> ''),
    confidence       ANY NOT NULL
                     CONSTRAINT confidence_is_a_decimal_from_0_to_1
                     CHECK (typeof(confidence) = 'text'
                            AND confidence NOT GLOB '*[^0-9.]*'
                            AND confidence NOT GLOB '*.*.*'
                            AND confidence NOT GLOB '*.'
                            AND (confidence GLOB '0' OR confidence GLOB '0.?*'
                                 OR confidence GLOB '1'
                                 OR (confidence GLOB '1.?*' AND confidence NOT GLOB '1.*[1-9]*'))),
    explanation_json TEXT NOT NULL
                     CHECK (json_valid(explanation_json) AND json_type(explanation_json) = 'object'),
    -- 0 when a reviewer marked the value "don't learn from this".
    learn            INTEGER NOT NULL CHECK (learn IN (0, 1)),
    created_at       TEXT NOT NULL CHECK (created_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    created_by       TEXT NOT NULL CHECK (created_by <> ''),
    PRIMARY KEY (document_id, line_no, field, source)
) STRICT;

CREATE INDEX suggestions_export ON suggestions (document_id, line_no, field, source, confidence, created_by);

CREATE INDEX suggestions_not_learned ON suggestions (created_at)
WHERE source = 'person' AND learn = 0;

CREATE TRIGGER suggestions_person_only_while_draft
BEFORE INSERT ON suggestions
WHEN NEW.source = 'person'
 AND (SELECT status FROM journals WHERE document_id = NEW.document_id
      ORDER BY version DESC LIMIT 1) IN ('approved', 'queued', 'posted')
BEGIN
    SELECT RAISE(ABORT, 'the journal of this document is approved (or later): its coding cannot change');
END;

CREATE TABLE tax_codes (
    code           TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    name           TEXT NOT NULL,
    vat_category   TEXT NOT NULL
                   CHECK (vat_category IN ('S', 'Z', 'E', 'AE', 'K', 'G', 'O', 'L', 'M')),
    rate           ANY NOT NULL
                   CONSTRAINT rate_is_a_non_negative_decimal_string
                   CHECK (typeof(rate) = 'text' AND length(rate) <= 40
                          AND rate GLOB '[0-9]*'
                          AND rate NOT GLOB '*[^0-9.]*'
                          AND rate NOT GLOB '*.*.*'
                          AND rate NOT GLOB '*.'
                          AND rate NOT GLOB '0[0-9]*'),
    input_account  TEXT,
    output_account TEXT
) STRICT;

CREATE TABLE users (
    name     TEXT PRIMARY KEY NOT NULL
             CHECK (name <> '' AND length(name) <= 64 AND name NOT GLOB '*[^A-Za-z0-9._@-]*'),
    role     TEXT NOT NULL CHECK (role IN ('clerk', 'controller', 'admin')),
    added_at TEXT NOT NULL CHECK (added_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    added_by TEXT NOT NULL CHECK (added_by <> '')
) STRICT;

CREATE TRIGGER users_no_delete
BEFORE DELETE ON users
BEGIN
    SELECT RAISE(ABORT, 'users are never deleted: the audit log names them');
END;

CREATE TABLE vendors (
    code            TEXT PRIMARY KEY NOT NULL CHECK (code <> ''),
    name            TEXT NOT NULL,
    vat_id          TEXT,
    iban            TEXT,
    default_account TEXT
) STRICT;

CREATE TABLE workspace_meta (
    key   TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
    value TEXT NOT NULL
) STRICT;
