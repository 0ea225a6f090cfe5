-- Certificates (issue 3): signing keys held for certifying bodies, each authority's
-- transparency log (leaves and signed checkpoints) and the certificates issued.
CREATE TABLE signing_keys (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    public_key TEXT NOT NULL,
    document_types TEXT NOT NULL,
    signs_checkpoints INTEGER NOT NULL,
    valid_from_ms INTEGER NOT NULL,
    valid_until_ms INTEGER,
    retired_at_ms INTEGER,
    sealed_secret BLOB NOT NULL,
    UNIQUE (org_id, kid)
);
CREATE TABLE log_leaves (
    log_id TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    leaf_hash TEXT NOT NULL,
    entry BLOB NOT NULL,
    PRIMARY KEY (log_id, leaf_index)
);
CREATE INDEX log_leaves_hash ON log_leaves(log_id, leaf_hash);
CREATE TABLE log_checkpoints (
    log_id TEXT NOT NULL,
    tree_size INTEGER NOT NULL,
    checkpoint TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    PRIMARY KEY (log_id, tree_size)
);
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    doc_type TEXT NOT NULL,
    log_id TEXT NOT NULL,
    leaf_index INTEGER NOT NULL,
    document TEXT NOT NULL,
    issued_at_ms INTEGER NOT NULL,
    revoked_at_ms INTEGER,
    revocation_reason TEXT
);
CREATE INDEX certificates_org ON certificates(org_id, issued_at_ms);
