-- Indexes for what every opened document asks (issue "desktop": keystroke to the next document
-- under 100 ms on 100,000 documents). Opening a document codes it, and coding first checks
-- whether the learned suggester is still current (Store::learning_fingerprint): without these,
-- that check scans every journal and every suggestion of the workspace.

-- Approved (or later) journals and their latest update.
CREATE INDEX journals_status_updated ON journals (status, updated_at);

-- A person's values marked "don't learn from this".
CREATE INDEX suggestions_not_learned ON suggestions (created_at)
WHERE source = 'person' AND learn = 0;
