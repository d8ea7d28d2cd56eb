-- 0005: ids are never reused.
--
-- With a plain `INTEGER PRIMARY KEY` SQLite hands out max(id) + 1, so after the newest patient
-- is erased the next patient gets the erased one's id, and the audit log, which outlives the
-- records it names, would show the erased person's history under the new one. AUTOINCREMENT
-- (https://www.sqlite.org/autoinc.html) keeps the largest id ever used in `sqlite_sequence` and
-- never goes below it. Every table whose ids leave the database (patients, therapists, episodes,
-- sessions, tokens, audit rows) is rebuilt with it, rows and ids kept.
--
-- The audit log is also ordered by request time (GET /v1/audit, newest first): buffered reads
-- are written after later changes, so their ids do not follow time. Its indexes become
-- (…, at_ms DESC, id DESC).
--
-- Foreign keys stay on while a migration runs, and dropping a parent table runs its ON DELETE
-- actions (https://www.sqlite.org/foreignkeys.html#fk_schemacommands). So the parents are
-- renamed first (SQLite rewrites the children's REFERENCES to follow them), the children are
-- rebuilt against the new parents, and the old parents, no longer referenced, are dropped last.

ALTER TABLE patients RENAME TO patients_0004;
ALTER TABLE therapists RENAME TO therapists_0004;
DROP INDEX patients_external_id;
DROP INDEX patients_updated;
DROP INDEX therapists_external_id;
DROP INDEX therapists_license;
DROP INDEX therapists_updated;

CREATE TABLE patients (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id   TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    display_name  TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    timezone      TEXT    NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 100),
    birth_year    INTEGER CHECK (birth_year BETWEEN 1900 AND 9999),
    notes         TEXT    CHECK (length(notes) <= 4000),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms)
) STRICT;
INSERT INTO patients SELECT * FROM patients_0004 ORDER BY id;

CREATE TABLE therapists (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id          TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    name                 TEXT    NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    license_number       TEXT    NOT NULL CHECK (length(license_number) BETWEEN 1 AND 100),
    license_jurisdiction TEXT    CHECK (length(license_jurisdiction) BETWEEN 1 AND 100),
    certifications       TEXT    NOT NULL DEFAULT '[]'
                                 CHECK (json_valid(certifications) AND certifications LIKE '[%'),
    years_experience     INTEGER CHECK (years_experience BETWEEN 0 AND 100),
    migraine_experience  INTEGER NOT NULL DEFAULT 0 CHECK (migraine_experience IN (0, 1)),
    techniques           TEXT    NOT NULL DEFAULT '[]'
                                 CHECK (json_valid(techniques) AND techniques LIKE '[%'),
    email                TEXT    CHECK (length(email) BETWEEN 3 AND 254 AND instr(email, '@') > 1),
    phone                TEXT    CHECK (length(phone) BETWEEN 1 AND 40),
    active               INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at_ms        INTEGER NOT NULL,
    updated_at_ms        INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms)
) STRICT;
INSERT INTO therapists SELECT * FROM therapists_0004 ORDER BY id;

CREATE TABLE episodes_0005 (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id     TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    patient_id      INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    started_at_ms   INTEGER NOT NULL,
    ended_at_ms     INTEGER CHECK (ended_at_ms >= started_at_ms
                                   AND ended_at_ms - started_at_ms <= 14 * 86400000),
    intensity       INTEGER NOT NULL CHECK (intensity BETWEEN 0 AND 10),
    aura            INTEGER NOT NULL DEFAULT 0 CHECK (aura IN (0, 1)),
    symptoms        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(symptoms) AND symptoms LIKE '[%'),
    locations       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(locations) AND locations LIKE '[%'),
    triggers        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(triggers) AND triggers LIKE '[%'),
    medications     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(medications) AND medications LIKE '[%'),
    relief_measures TEXT    NOT NULL DEFAULT '[]'
                            CHECK (json_valid(relief_measures) AND relief_measures LIKE '[%'),
    stress_level    INTEGER CHECK (stress_level BETWEEN 0 AND 10),
    disability      TEXT    CHECK (disability IN ('none', 'mild', 'moderate', 'severe')),
    notes           TEXT    CHECK (length(notes) <= 4000),
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms)
) STRICT;
INSERT INTO episodes_0005 SELECT * FROM episodes ORDER BY id;
DROP TABLE episodes;
ALTER TABLE episodes_0005 RENAME TO episodes;

CREATE TABLE sessions_0005 (
    id                      INTEGER PRIMARY KEY AUTOINCREMENT,
    external_id             TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    patient_id              INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    therapist_id            INTEGER REFERENCES therapists (id) ON DELETE RESTRICT,
    kind                    TEXT    NOT NULL CHECK (kind IN ('professional', 'self')),
    started_at_ms           INTEGER NOT NULL,
    duration_minutes        INTEGER NOT NULL CHECK (duration_minutes BETWEEN 1 AND 240),
    techniques              TEXT    NOT NULL CHECK (json_valid(techniques) AND techniques LIKE '[%'
                                                    AND json_array_length(techniques) >= 1),
    areas                   TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(areas) AND areas LIKE '[%'),
    pressure                TEXT    CHECK (pressure IN ('light', 'medium', 'firm')),
    trigger_points_released INTEGER CHECK (trigger_points_released >= 0),
    essential_oils          TEXT    NOT NULL DEFAULT '[]'
                                    CHECK (json_valid(essential_oils) AND essential_oils LIKE '[%'),
    warm_compress           INTEGER NOT NULL DEFAULT 0 CHECK (warm_compress IN (0, 1)),
    breathing_exercise      INTEGER NOT NULL DEFAULT 0 CHECK (breathing_exercise IN (0, 1)),
    pain_before             INTEGER CHECK (pain_before BETWEEN 0 AND 10),
    pain_after              INTEGER CHECK (pain_after BETWEEN 0 AND 10),
    stress_before           INTEGER CHECK (stress_before BETWEEN 0 AND 10),
    stress_after            INTEGER CHECK (stress_after BETWEEN 0 AND 10),
    notes                   TEXT    CHECK (length(notes) <= 4000),
    created_at_ms           INTEGER NOT NULL,
    updated_at_ms           INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms),
    CHECK ((kind = 'professional') = (therapist_id IS NOT NULL))
) STRICT;
INSERT INTO sessions_0005 SELECT * FROM sessions ORDER BY id;
DROP TABLE sessions;
ALTER TABLE sessions_0005 RENAME TO sessions;

CREATE TABLE tokens_0005 (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    lookup         TEXT    NOT NULL UNIQUE CHECK (length(lookup) BETWEEN 8 AND 64),
    token_sha256   BLOB    NOT NULL CHECK (length(token_sha256) = 32),
    role           TEXT    NOT NULL CHECK (role IN ('admin', 'clinician', 'patient')),
    patient_id     INTEGER REFERENCES patients (id) ON DELETE CASCADE,
    therapist_id   INTEGER REFERENCES therapists (id) ON DELETE CASCADE,
    label          TEXT    CHECK (length(label) BETWEEN 1 AND 100),
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER CHECK (expires_at_ms > created_at_ms),
    CHECK ((role = 'patient') = (patient_id IS NOT NULL)),
    CHECK ((role = 'clinician') = (therapist_id IS NOT NULL))
) STRICT;
INSERT INTO tokens_0005 SELECT * FROM tokens ORDER BY id;
DROP TABLE tokens;
ALTER TABLE tokens_0005 RENAME TO tokens;

-- Nothing references the old parents any more.
DROP TABLE patients_0004;
DROP TABLE therapists_0004;

CREATE TABLE audit_log_0005 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    at_ms         INTEGER NOT NULL,
    token_id      INTEGER,
    role          TEXT    CHECK (role = 'admin' OR role = 'clinician' OR role = 'patient'),
    method        TEXT    NOT NULL CHECK (length(method) BETWEEN 1 AND 20),
    route         TEXT    NOT NULL CHECK (length(route) BETWEEN 1 AND 200),
    resource_id   INTEGER,
    patient_id    INTEGER,
    status        INTEGER NOT NULL CHECK (status BETWEEN 100 AND 599),
    request_id    TEXT    CHECK (length(request_id) <= 100)
) STRICT;
INSERT INTO audit_log_0005 SELECT * FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_0005 RENAME TO audit_log;

-- Copying the rows set each sequence to the largest id present, but a record erased before
-- this migration may have had a larger one, and the audit log still names it: start each
-- sequence past every id the audit log mentions (route templates are '/v1/<table>/{id}').
INSERT INTO sqlite_sequence (name, seq)
SELECT column1, 0 FROM (VALUES ('patients'), ('therapists'), ('episodes'), ('sessions'), ('tokens'), ('audit_log'))
WHERE column1 NOT IN (SELECT name FROM sqlite_sequence);
UPDATE sqlite_sequence
SET seq = max(seq, ifnull((SELECT max(resource_id) FROM audit_log WHERE route GLOB '/v1/' || name || '/*'), 0))
WHERE name IN ('patients', 'therapists', 'episodes', 'sessions', 'tokens');
UPDATE sqlite_sequence SET seq = max(seq, ifnull((SELECT max(patient_id) FROM audit_log), 0)) WHERE name = 'patients';
UPDATE sqlite_sequence SET seq = max(seq, ifnull((SELECT max(token_id) FROM audit_log), 0)) WHERE name = 'tokens';

CREATE UNIQUE INDEX patients_external_id ON patients (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX patients_updated ON patients (updated_at_ms);

CREATE UNIQUE INDEX therapists_external_id ON therapists (external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX therapists_license ON therapists (ifnull(license_jurisdiction, ''), license_number);
CREATE INDEX therapists_updated ON therapists (updated_at_ms);

CREATE UNIQUE INDEX episodes_external_id ON episodes (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX episodes_patient_started ON episodes (patient_id, started_at_ms DESC, id DESC);
CREATE INDEX episodes_started ON episodes (started_at_ms DESC, id DESC);
CREATE INDEX episodes_updated ON episodes (updated_at_ms);

CREATE UNIQUE INDEX sessions_external_id ON sessions (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX sessions_patient_started ON sessions (patient_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_therapist_started ON sessions (therapist_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_started ON sessions (started_at_ms DESC, id DESC);
CREATE INDEX sessions_updated ON sessions (updated_at_ms);

CREATE INDEX tokens_patient ON tokens (patient_id) WHERE patient_id IS NOT NULL;
CREATE INDEX tokens_therapist ON tokens (therapist_id) WHERE therapist_id IS NOT NULL;

-- GET /v1/audit, newest first by request time, for everyone, one patient or one token. Rows
-- arrive nearly in time order, so the time index grows at its right edge.
CREATE INDEX audit_log_at ON audit_log (at_ms DESC, id DESC);
CREATE INDEX audit_log_patient ON audit_log (patient_id, at_ms DESC, id DESC) WHERE patient_id IS NOT NULL;
CREATE INDEX audit_log_token ON audit_log (token_id, at_ms DESC, id DESC) WHERE token_id IS NOT NULL;
