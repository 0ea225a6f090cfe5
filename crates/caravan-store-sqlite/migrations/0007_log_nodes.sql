-- Issue 22: proofs and appends read O(log n) rows of a log, not every leaf.
-- log_nodes keeps the hash of each complete subtree of level 1 and above (RFC 9162 §2.1: the
-- hash of a complete subtree never changes once the log holds all its leaves); level 0 is the
-- leaf hash in log_leaves. Each append writes the subtrees its leaf completes, in its transaction.
-- Logs written before this migration get theirs on first use: SQL here has no SHA-256, so the
-- server computes them from the leaves once and keeps them (`CertStore::put_log_nodes`).
CREATE TABLE log_nodes (
    log_id TEXT NOT NULL,
    level INTEGER NOT NULL,
    node_index INTEGER NOT NULL,
    hash BLOB NOT NULL,
    PRIMARY KEY (log_id, level, node_index)
) WITHOUT ROWID;
-- The revocation leaves of each log, so that a revocation list reads them alone.
CREATE TABLE log_revocations (
    log_id TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    PRIMARY KEY (log_id, leaf_index)
) WITHOUT ROWID;
-- Existing revocations: a revocation entry's RFC 8785 form starts with its first key in
-- sorted order, `{"credentialId"`; an issuance entry starts `{"credential":`.
INSERT INTO log_revocations (log_id, leaf_index)
SELECT log_id, leaf_index FROM log_leaves
WHERE substr(entry, 1, 15) = CAST('{"credentialId"' AS BLOB);
-- Finding a leaf by its hash (an inclusion proof's first step): with (log_id, leaf_hash)
-- alone, SQLite answered `WHERE log_id = $1 AND leaf_hash = $2 ORDER BY leaf_index LIMIT 1`
-- by walking the primary key in leaf order, reading every leaf; with leaf_index at the end of
-- the index it is one probe.
DROP INDEX log_leaves_hash;
CREATE INDEX log_leaves_hash ON log_leaves(log_id, leaf_hash, leaf_index);
