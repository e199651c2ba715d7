-- Suggested coding (issue "Suggested coding"): what rules, the learned suggester, people and the
-- fallbacks proposed for each document line and field, with why; the rule packs in use; the
-- coded history the suggester learns from; vendors it must forget; the exchange-rate table.
-- Confidences are decimal strings in [0, 1] (three places), never REAL; amounts and rates are
-- decimal strings as everywhere else.

-- One row per document line, field and source. Rows of source 'person' are what a reviewer
-- decided (audited as coding.correct); the others are recomputed and replaced together
-- (suggestions.refresh). The value a line is coded with is the proposal of the strongest source:
-- person, then rule, then model, then fixed.
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

-- A person's value cannot change once the document's journal is approved (or later).
CREATE TRIGGER suggestions_person_only_while_draft
BEFORE INSERT ON suggestions
WHEN NEW.source = 'person'
 AND (SELECT status FROM journals WHERE document_id = NEW.document_id
      ORDER BY version DESC LIMIT 1) IN ('approved', 'queued', 'posted')
BEGIN
    SELECT RAISE(ABORT, 'the journal of this document is approved (or later): its coding cannot change');
END;

-- The rule packs in use, as their text: what `folio rules diff` compares an edited pack with.
CREATE TABLE rule_packs (
    pack_id      TEXT PRIMARY KEY NOT NULL CHECK (pack_id <> ''),
    version      TEXT NOT NULL CHECK (version <> ''),
    content_hash TEXT NOT NULL
                 CHECK (length(content_hash) = 64 AND content_hash NOT GLOB '*[^0-9a-f]*'),
    source_text  TEXT NOT NULL,
    saved_at     TEXT NOT NULL CHECK (saved_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    saved_by     TEXT NOT NULL CHECK (saved_by <> '')
) STRICT;

-- Files of past coded lines (`folio history import`), one row per file: the same file twice is
-- refused.
CREATE TABLE history_imports (
    id          INTEGER PRIMARY KEY,
    file_name   TEXT NOT NULL,
    sha256      TEXT NOT NULL UNIQUE
                CHECK (length(sha256) = 64 AND sha256 NOT GLOB '*[^0-9a-f]*'),
    row_count   INTEGER NOT NULL CHECK (row_count >= 0),
    imported_at TEXT NOT NULL CHECK (imported_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    imported_by TEXT NOT NULL CHECK (imported_by <> '')
) STRICT;

-- Past coded lines: approved history for the learned suggester.
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

-- Vendors whose learned history was dropped (`folio forget-vendor`): their history lines are
-- deleted, and approved journals of theirs from before `forgotten_at` are not learned from.
CREATE TABLE forgotten_vendors (
    supplier_key TEXT NOT NULL CHECK (supplier_key <> ''),
    name         TEXT NOT NULL,
    forgotten_at TEXT NOT NULL CHECK (forgotten_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    forgotten_by TEXT NOT NULL CHECK (forgotten_by <> ''),
    PRIMARY KEY (supplier_key, forgotten_at)
) STRICT;

-- Master data: exchange rates, 1 from_currency = rate to_currency from valid_from on.
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
