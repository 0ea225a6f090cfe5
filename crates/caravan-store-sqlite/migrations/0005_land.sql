-- Storage of the desertification center (issue 8): uploaded rasters and SDG 15.3.1 jobs.
CREATE TABLE land_rasters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    size_bytes INTEGER NOT NULL,
    bands INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    grid TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE INDEX land_rasters_org ON land_rasters(org_id);
CREATE TABLE land_jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    progress_pct INTEGER NOT NULL,
    message TEXT,
    out_dir TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL,
    finished_at_ms INTEGER
);
CREATE INDEX land_jobs_org ON land_jobs(org_id);
CREATE INDEX land_jobs_status ON land_jobs(status);
