-- The outbox: approved journals on their way to the general ledger, and the log of every call
-- made to the GL (the integration monitor).
--
-- An outbox row is written in the same transaction as the journal's approval, with the reference
-- the journal will carry in the GL, so the reference exists before the first send and a journal
-- is never sent under two references. States: queued -> sending -> posted | rejected | unknown;
-- unknown (the answer was lost) goes back to queued only after the GL was searched for the
-- reference; a row left in sending by a crash is treated as unknown. Posted is final. Every state
-- change is audited (entity outbox).

CREATE TABLE outbox (
    journal_id      INTEGER PRIMARY KEY REFERENCES journals (id),
    reference       TEXT NOT NULL UNIQUE
                    CHECK (length(reference) BETWEEN 4 AND 20 AND reference GLOB 'F*-*'
                           AND reference NOT GLOB '*[^0-9A-Z-]*'),
    state           TEXT NOT NULL
                    CHECK (state IN ('queued', 'sending', 'posted', 'rejected', 'unknown')),
    attempts        INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TEXT NOT NULL CHECK (next_attempt_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    last_error      TEXT,
    gl_id           TEXT,
    receipt         TEXT,
    queued_at       TEXT NOT NULL CHECK (queued_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    updated_at      TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    CHECK (state <> 'posted' OR (gl_id IS NOT NULL AND gl_id <> ''))
) STRICT;

CREATE INDEX outbox_due ON outbox (state, next_attempt_at);

-- A posted journal is in the GL: its row never changes again, and no row is ever removed.
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

-- The integration monitor: one row per API call. Never a payload, a header or a credential.
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
