-- Analysts' uploaded datasets (issues 6 and 7). The bytes live in their own table so listing
-- metadata never reads them. Sharing: owner organisation always; `shared_org_ids` is a JSON
-- array of organisation ids; `shared_all_analysts` opens it to every analyst.
CREATE TABLE datasets (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_user_id BIGINT NOT NULL,
    owner_org_id BIGINT NOT NULL REFERENCES organisations(id),
    created_at_ms BIGINT NOT NULL,
    size_bytes BIGINT NOT NULL,
    n_rows BIGINT NOT NULL,
    columns TEXT NOT NULL,
    shared_org_ids TEXT NOT NULL,
    shared_all_analysts BOOLEAN NOT NULL
);
CREATE TABLE dataset_bytes (
    dataset_id BIGINT PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    bytes BYTEA NOT NULL
);
