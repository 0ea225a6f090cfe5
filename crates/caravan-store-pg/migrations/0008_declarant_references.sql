-- Issue 22, finding 4: a declaration's reference is its declarant's own, unique per
-- organisation, not across the platform: one trader can no longer take a reference another will
-- use, nor learn from a conflict that another's exists.
ALTER TABLE declarations DROP CONSTRAINT IF EXISTS declarations_reference_key;
CREATE UNIQUE INDEX declarations_org_reference ON declarations (org_id, reference);
CREATE INDEX declarations_reference ON declarations (reference);
