-- Users and roles, approvals bound to journal content, and who prepared each journal.
--
-- * users: who may work in the workspace and in which role (clerk, controller, admin). Never
--   deleted: the audit log names them.
-- * journal_preparers: every person who saved a version of a journal's content. The preparer of
--   a journal never approves it (segregation of duties), and a trigger refuses it again here.
-- * journal_decisions: submissions, approvals and rejections, each with the SHA-256 of the
--   journal content it was given for (folio_store::journal_content_sha256). A decision is never
--   changed; it can only be voided once (an edit after approval, a rejection), with the reason.
-- * outbox gains the state 'voided': an approved journal that was edited before it was ever sent
--   goes back to draft, and its outbox entry waits for the next approval (same reference: it was
--   never sent under it).

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

CREATE TABLE journal_preparers (
    journal_id INTEGER NOT NULL REFERENCES journals (id),
    actor      TEXT NOT NULL CHECK (actor <> ''),
    PRIMARY KEY (journal_id, actor)
) STRICT;

-- Journals saved before this migration: their preparers are in the audit log.
INSERT INTO journal_preparers (journal_id, actor)
SELECT DISTINCT CAST(substr(entity_id, 5) AS INTEGER), actor
FROM audit_events
WHERE entity = 'journal'
  AND action IN ('journal.create', 'journal.save_draft', 'journal.new_version')
  AND CAST(substr(entity_id, 5) AS INTEGER) IN (SELECT id FROM journals);

CREATE TRIGGER journal_preparers_no_delete
BEFORE DELETE ON journal_preparers
BEGIN
    SELECT RAISE(ABORT, 'who prepared a journal is never forgotten');
END;

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

-- Segregation of duties, again at the SQL level: the preparer never approves.
CREATE TRIGGER journal_decisions_preparer_never_approves
BEFORE INSERT ON journal_decisions
WHEN NEW.decision = 'approve'
 AND EXISTS (SELECT 1 FROM journal_preparers
             WHERE journal_id = NEW.journal_id AND actor = NEW.actor)
BEGIN
    SELECT RAISE(ABORT, 'segregation of duties: the preparer of a journal never approves it');
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

CREATE TRIGGER journal_decisions_no_delete
BEFORE DELETE ON journal_decisions
BEGIN
    SELECT RAISE(ABORT, 'decisions are never deleted');
END;

-- The outbox again, with 'voided' (SQLite cannot change a CHECK in place).
CREATE TABLE outbox_new (
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

INSERT INTO outbox_new SELECT journal_id, reference, state, attempts, next_attempt_at, last_error,
    gl_id, receipt, queued_at, updated_at FROM outbox;
DROP TABLE outbox;
ALTER TABLE outbox_new RENAME TO outbox;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

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

CREATE TRIGGER outbox_no_delete
BEFORE DELETE ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox entries are never deleted');
END;

-- Only an entry that was never sent can be voided.
CREATE TRIGGER outbox_void_only_unsent
BEFORE UPDATE OF state ON outbox
WHEN NEW.state = 'voided' AND NOT (OLD.state IN ('queued', 'voided') AND OLD.attempts = 0)
BEGIN
    SELECT RAISE(ABORT, 'only an outbox entry that was never sent can be voided');
END;
