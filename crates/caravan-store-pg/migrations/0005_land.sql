-- Storage of the desertification center (issue 8): uploaded rasters and SDG 15.3.1 jobs.
CREATE TABLE land_rasters (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    name TEXT NOT NULL,
    file TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    bands BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    grid TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX land_rasters_org ON land_rasters(org_id);
CREATE TABLE land_jobs (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    params TEXT NOT NULL,
    status TEXT NOT NULL,
    progress_pct BIGINT NOT NULL,
    message TEXT,
    out_dir TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    finished_at_ms BIGINT
);
CREATE INDEX land_jobs_org ON land_jobs(org_id);
CREATE INDEX land_jobs_status ON land_jobs(status);
