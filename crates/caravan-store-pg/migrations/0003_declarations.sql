-- The single window (issue 5): declarations, their versions, assessments, event log, agency
-- parts, idempotency keys and versioned risk-rule sets. JSON is kept as text.
CREATE TABLE declarations (
    id BIGSERIAL PRIMARY KEY,
    reference TEXT NOT NULL UNIQUE,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    version BIGINT NOT NULL,
    channel TEXT,
    risk_score BIGINT NOT NULL,
    n_events BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX declarations_org ON declarations(org_id, updated_at_ms);
CREATE INDEX declarations_queue ON declarations(country, status, risk_score);
CREATE TABLE declaration_versions (
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (declaration_id, version)
);
CREATE TABLE declaration_assessments (
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    version BIGINT NOT NULL,
    channel TEXT NOT NULL,
    rule_set_version TEXT NOT NULL,
    body TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (declaration_id, version)
);
CREATE TABLE declaration_events (
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    seq BIGINT NOT NULL,
    version BIGINT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    event TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_name TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (declaration_id, seq)
);
CREATE TABLE declaration_agencies (
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    agency TEXT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (declaration_id, agency)
);
CREATE INDEX declaration_agencies_queue ON declaration_agencies(agency, status);
-- Each trader's record, kept as counters so assessing a lodgement reads one row.
CREATE TABLE trader_records (
    org_id BIGINT PRIMARY KEY REFERENCES organisations(id),
    n_lodged BIGINT NOT NULL,
    n_rejected BIGINT NOT NULL
);
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    declaration_id BIGINT NOT NULL REFERENCES declarations(id),
    response TEXT NOT NULL,
    PRIMARY KEY (user_id, key)
);
CREATE TABLE risk_rule_sets (
    country TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    actor_user_id BIGINT,
    actor_name TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (country, version)
);
