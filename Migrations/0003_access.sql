-- 0003: access control (API.md "Authentication and roles"): bearer tokens and the audit log.
--
-- Tokens look like `rlg_<lookup>_<secret>`. Only `lookup` (a random public handle that finds
-- the row) and the SHA-256 digest of the whole token are stored, so neither the token nor its
-- secret can be read back from the database file. The digest is compared in constant time.

CREATE TABLE tokens (
    id             INTEGER PRIMARY KEY,
    lookup         TEXT    NOT NULL UNIQUE CHECK (length(lookup) BETWEEN 8 AND 64),
    token_sha256   BLOB    NOT NULL CHECK (length(token_sha256) = 32),
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'clinician', 'patient')),
    -- A patient token opens one patient's diary; erasing the patient erases the token.
    patient_id     INTEGER REFERENCES patients (id) ON DELETE CASCADE,
    -- A clinician token acts for one therapist; therapists with sessions cannot be deleted,
    -- and one without sessions takes its tokens with it.
    therapist_id   INTEGER REFERENCES therapists (id) ON DELETE CASCADE,
    label          TEXT    CHECK (length(label) BETWEEN 1 AND 100),
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER CHECK (expires_at_ms > created_at_ms),
    CHECK ((role = 'patient') = (patient_id IS NOT NULL)),
    CHECK ((role = 'clinician') = (therapist_id IS NOT NULL))
) STRICT;

CREATE INDEX tokens_patient ON tokens (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX tokens_therapist ON tokens (therapist_id) WHERE therapist_id IS NOT NULL;

-- Who did what to patient data, and when. Rows outlive the tokens and patients they name (an
-- audit trail must survive erasure of the data it describes), so there are no foreign keys;
-- they hold ids only, never names or notes. Old rows are deleted after the configured retention.
CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at_ms         INTEGER NOT NULL,
    token_id      INTEGER,
    role          TEXT    CHECK (role IN ('admin', 'clinician', 'patient')),
    method        TEXT    NOT NULL CHECK (length(method) BETWEEN 1 AND 20),
    route         TEXT    NOT NULL CHECK (length(route) BETWEEN 1 AND 200),
    resource_id   INTEGER,
    patient_id    INTEGER,
    status        INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
    request_id    TEXT    CHECK (length(request_id) <= 100)
) STRICT;

-- GET /v1/audit pages newest first, optionally for one patient or one token; retention deletes
-- by age.
CREATE INDEX audit_log_patient ON audit_log (patient_id, id DESC) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_token ON audit_log (token_id, id DESC) WHERE token_id IS NOT NULL;
CREATE INDEX audit_log_at ON audit_log (at_ms);
