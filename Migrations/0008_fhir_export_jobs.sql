-- 0008: FHIR Bulk Data export jobs (the contract's "FHIR R4", `$export`).
--
-- A job is kicked off by a request and runs in the server process, writing one NDJSON file per
-- resource type beside the database (`fhir-exports/<id>/`). Each file is written under a
-- temporary name and renamed when complete, so a half-written file is never served. A job
-- still `running` when the server starts was cut off by a stop or a crash: it is marked
-- `failed` with that reason (the client sees it when it polls) and its files are removed.

CREATE TABLE fhir_export_jobs (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    token_id            INTEGER NOT NULL,
    request             TEXT    NOT NULL CHECK (length(request) BETWEEN 1 AND 2000),
    base_url            TEXT    NOT NULL CHECK (length(base_url) BETWEEN 1 AND 500),
    level               TEXT    NOT NULL CHECK (level = 'system' OR level = 'patient'),
    types               TEXT    NOT NULL,
    since_ms            INTEGER,
    state               TEXT    NOT NULL CHECK (state = 'running' OR state = 'complete' OR state = 'failed'),
    transaction_time_ms INTEGER NOT NULL,
    output              TEXT,
    error               TEXT,
    created_at_ms       INTEGER NOT NULL,
    finished_at_ms      INTEGER
);
