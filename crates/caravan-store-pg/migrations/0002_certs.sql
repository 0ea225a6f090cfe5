-- Certificates (issue 3): signing keys held for certifying bodies, each authority's
-- transparency log (leaves and signed checkpoints) and the certificates issued.
CREATE TABLE signing_keys (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    kid TEXT NOT NULL,
    alg TEXT NOT NULL,
    public_key TEXT NOT NULL,
    document_types TEXT NOT NULL,
    signs_checkpoints BIGINT NOT NULL,
    valid_from_ms BIGINT NOT NULL,
    valid_until_ms BIGINT,
    retired_at_ms BIGINT,
    sealed_secret BYTEA NOT NULL,
    UNIQUE (org_id, kid)
);
CREATE TABLE log_leaves (
    log_id TEXT NOT NULL,
    leaf_index BIGINT NOT NULL,
    leaf_hash TEXT NOT NULL,
    entry BYTEA NOT NULL,
    PRIMARY KEY (log_id, leaf_index)
);
CREATE INDEX log_leaves_hash ON log_leaves(log_id, leaf_hash);
CREATE TABLE log_checkpoints (
    log_id TEXT NOT NULL,
    tree_size BIGINT NOT NULL,
    checkpoint TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (log_id, tree_size)
);
CREATE TABLE certificates (
    id TEXT PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    doc_type TEXT NOT NULL,
    log_id TEXT NOT NULL,
    leaf_index BIGINT NOT NULL,
    document TEXT NOT NULL,
    issued_at_ms BIGINT NOT NULL,
    revoked_at_ms BIGINT,
    revocation_reason TEXT
);
CREATE INDEX certificates_org ON certificates(org_id, issued_at_ms);
