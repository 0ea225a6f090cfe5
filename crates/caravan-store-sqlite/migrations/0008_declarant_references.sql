-- Issue 22, finding 4: a declaration's reference is its declarant's own, unique per
-- organisation, not across the platform: one trader can no longer take a reference another will
-- use, nor learn from a conflict that another's exists. SQLite cannot drop a column's UNIQUE
-- constraint, so the table is rebuilt (the procedure of the SQLite manual, "Making Other Kinds
-- Of Table Schema Changes"; the migration runner turns foreign keys off around it and runs
-- PRAGMA foreign_key_check before committing). Ids are kept, so every child row still points
-- at its declaration.
CREATE TABLE declarations_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    version INTEGER NOT NULL,
    channel TEXT,
    risk_score INTEGER NOT NULL,
    n_events INTEGER NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    UNIQUE (org_id, reference)
);
INSERT INTO declarations_new (id, reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms)
    SELECT id, reference, org_id, country, status, version, channel, risk_score, n_events, created_at_ms, updated_at_ms FROM declarations;
DROP TABLE declarations;
ALTER TABLE declarations_new RENAME TO declarations;
CREATE INDEX declarations_org ON declarations(org_id, updated_at_ms);
CREATE INDEX declarations_queue ON declarations(country, status, risk_score);
CREATE INDEX declarations_reference ON declarations(reference);
