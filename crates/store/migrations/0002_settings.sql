-- Workspace settings: the accounts and defaults the journal builder needs, kept in the workspace
-- so that every reviewer of a workspace books the same way. Changes are audited like any other
-- (action settings.save).

CREATE TABLE settings (
    key        TEXT PRIMARY KEY NOT NULL CHECK (key <> ''),
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL CHECK (updated_at GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]*Z'),
    updated_by TEXT NOT NULL CHECK (updated_by <> '')
) STRICT;
