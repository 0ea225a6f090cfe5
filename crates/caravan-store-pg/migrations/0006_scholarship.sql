-- Storage of the education exchange center (issue 9): calls, applications, documents, endorsements, reviews, placements.
-- Specs, application pages, scores and placement results are JSON texts: the server validates them.
CREATE TABLE sch_calls (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id BIGINT NOT NULL REFERENCES organisations(id),
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE TABLE sch_applications (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES sch_calls(id),
    applicant_id BIGINT NOT NULL REFERENCES users(id),
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    submitted_at_ms BIGINT,
    updated_at_ms BIGINT NOT NULL,
    UNIQUE (call_id, applicant_id)
);
CREATE INDEX sch_applications_applicant ON sch_applications(applicant_id);
CREATE TABLE sch_documents (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES sch_applications(id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    content BYTEA NOT NULL,
    uploaded_at_ms BIGINT NOT NULL
);
CREATE INDEX sch_documents_application ON sch_documents(application_id);
CREATE TABLE sch_reviews (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    application_id BIGINT NOT NULL REFERENCES sch_applications(id),
    reviewer_id BIGINT NOT NULL REFERENCES users(id),
    scores TEXT,
    submitted_at_ms BIGINT,
    UNIQUE (application_id, reviewer_id)
);
CREATE TABLE sch_placements (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    call_id BIGINT NOT NULL REFERENCES sch_calls(id),
    published BOOLEAN NOT NULL,
    result TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
