-- Analysts' uploaded datasets (issues 6 and 7). The bytes live in their own table so listing
-- metadata never reads them. Sharing: owner organisation always; `shared_org_ids` is a JSON
-- array of organisation ids; `shared_all_analysts` opens it to every analyst.
CREATE TABLE datasets (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    owner_user_id INTEGER NOT NULL,
    owner_org_id INTEGER NOT NULL REFERENCES organisations(id),
    created_at_ms INTEGER NOT NULL,
    size_bytes INTEGER NOT NULL,
    n_rows INTEGER NOT NULL,
    columns TEXT NOT NULL,
    shared_org_ids TEXT NOT NULL,
    shared_all_analysts INTEGER NOT NULL
);
CREATE TABLE dataset_bytes (
    dataset_id INTEGER PRIMARY KEY REFERENCES datasets(id) ON DELETE CASCADE,
    bytes BLOB NOT NULL
);
