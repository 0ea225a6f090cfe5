-- Storage of the education exchange center (issue 9): calls, applications, documents, endorsements, reviews, placements.
-- Specs, application pages, scores and placement results are JSON texts: the server validates them.
CREATE TABLE sch_calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    org_id INTEGER NOT NULL REFERENCES organisations(id),
    status TEXT NOT NULL,
    spec TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
CREATE TABLE sch_applications (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES sch_calls(id),
    applicant_id INTEGER NOT NULL REFERENCES users(id),
    country TEXT NOT NULL,
    status TEXT NOT NULL,
    body TEXT NOT NULL,
    submitted_at_ms INTEGER,
    updated_at_ms INTEGER NOT NULL,
    UNIQUE (call_id, applicant_id)
);
CREATE INDEX sch_applications_applicant ON sch_applications(applicant_id);
CREATE TABLE sch_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES sch_applications(id),
    kind TEXT NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    content BLOB NOT NULL,
    uploaded_at_ms INTEGER NOT NULL
);
CREATE INDEX sch_documents_application ON sch_documents(application_id);
CREATE TABLE sch_reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    application_id INTEGER NOT NULL REFERENCES sch_applications(id),
    reviewer_id INTEGER NOT NULL REFERENCES users(id),
    scores TEXT,
    submitted_at_ms INTEGER,
    UNIQUE (application_id, reviewer_id)
);
CREATE TABLE sch_placements (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    call_id INTEGER NOT NULL REFERENCES sch_calls(id),
    published INTEGER NOT NULL,
    result TEXT NOT NULL,
    created_at_ms INTEGER NOT NULL
);
