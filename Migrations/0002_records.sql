-- 0002: the records of the contract (API.md "Resources"): patients, therapists, migraine
-- episodes and massage sessions, plus stored responses for idempotent creation.
--
-- Conventions
-- - `id INTEGER PRIMARY KEY` is the rowid (https://www.sqlite.org/lang_createtable.html#rowid).
-- - Instants are integer milliseconds since 1970-01-01T00:00:00Z (`*_at_ms`): cheap to compare
--   and to scan for analytics; the API renders them as RFC 3339 UTC.
-- - List-valued fields are JSON arrays in TEXT columns, read with json_each
--   (https://www.sqlite.org/json1.html#jeach). Booleans are 0/1 INTEGERs.
-- - STRICT tables (https://www.sqlite.org/stricttables.html) refuse values of the wrong type.
-- - The application validates every field and reports all failures at once; the CHECK
--   constraints here are a second line of defence against bugs and manual edits. A CHECK whose
--   expression is NULL passes, so checks on nullable columns need no `IS NULL OR`.
-- - `external_id` (the clinic's own identifier) is unique per table where present: a partial
--   unique index (https://www.sqlite.org/partialindex.html#unique_partial_indexes).

CREATE TABLE patients (
    id            INTEGER PRIMARY KEY,
    external_id   TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    display_name  TEXT    NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    timezone      TEXT    NOT NULL DEFAULT 'UTC' CHECK (length(timezone) BETWEEN 1 AND 100),
    birth_year    INTEGER CHECK (birth_year BETWEEN 1900 AND 9999),
    notes         TEXT    CHECK (length(notes) <= 4000),
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms)
) STRICT;

CREATE UNIQUE INDEX patients_external_id ON patients (external_id) WHERE external_id IS NOT NULL;
CREATE INDEX patients_updated ON patients (updated_at_ms);

CREATE TABLE therapists (
    id                   INTEGER PRIMARY KEY,
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

CREATE UNIQUE INDEX therapists_external_id ON therapists (external_id) WHERE external_id IS NOT NULL;
-- One license number per jurisdiction. The jurisdiction is optional, and NULLs are distinct in a
-- UNIQUE index, so a missing jurisdiction is indexed as '' to keep "no jurisdiction" unique too
-- (an index on an expression: https://www.sqlite.org/expridx.html).
CREATE UNIQUE INDEX therapists_license ON therapists (ifnull(license_jurisdiction, ''), license_number);
CREATE INDEX therapists_updated ON therapists (updated_at_ms);

CREATE TABLE episodes (
    id              INTEGER PRIMARY KEY,
    external_id     TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    patient_id      INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    started_at_ms   INTEGER NOT NULL,
    -- NULL while the episode is ongoing; at most 14 days after the start.
    ended_at_ms     INTEGER CHECK (ended_at_ms >= started_at_ms
                                   AND ended_at_ms - started_at_ms <= 14 * 86400000),
    intensity       INTEGER NOT NULL CHECK (intensity BETWEEN 0 AND 10),
    aura            INTEGER NOT NULL DEFAULT 0 CHECK (aura IN (0, 1)),
    symptoms        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(symptoms) AND symptoms LIKE '[%'),
    locations       TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(locations) AND locations LIKE '[%'),
    triggers        TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(triggers) AND triggers LIKE '[%'),
    -- Array of {"name", "class", "doseMg", "takenAt", "effective"} as the API renders them.
    medications     TEXT    NOT NULL DEFAULT '[]' CHECK (json_valid(medications) AND medications LIKE '[%'),
    relief_measures TEXT    NOT NULL DEFAULT '[]'
                            CHECK (json_valid(relief_measures) AND relief_measures LIKE '[%'),
    stress_level    INTEGER CHECK (stress_level BETWEEN 0 AND 10),
    disability      TEXT    CHECK (disability IN ('none', 'mild', 'moderate', 'severe')),
    notes           TEXT    CHECK (length(notes) <= 4000),
    created_at_ms   INTEGER NOT NULL,
    updated_at_ms   INTEGER NOT NULL CHECK (updated_at_ms >= created_at_ms)
) STRICT;

CREATE UNIQUE INDEX episodes_external_id ON episodes (external_id) WHERE external_id IS NOT NULL;
-- Lists are ordered by startedAt then id, both descending, and paged by that key (keyset
-- pagination); one index per way of narrowing the list. The patient index also serves the
-- ON DELETE CASCADE from patients.
CREATE INDEX episodes_patient_started ON episodes (patient_id, started_at_ms DESC, id DESC);
CREATE INDEX episodes_started ON episodes (started_at_ms DESC, id DESC);
CREATE INDEX episodes_updated ON episodes (updated_at_ms);

CREATE TABLE sessions (
    id                      INTEGER PRIMARY KEY,
    external_id             TEXT CHECK (length(external_id) BETWEEN 1 AND 100),
    patient_id              INTEGER NOT NULL REFERENCES patients (id) ON DELETE CASCADE,
    -- A therapist with sessions cannot be deleted (API.md: 409; deactivate instead).
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
    -- A professional session names its therapist; a self-massage has none.
    CHECK ((kind = 'professional') = (therapist_id IS NOT NULL))
) STRICT;

CREATE UNIQUE INDEX sessions_external_id ON sessions (external_id) WHERE external_id IS NOT NULL;
-- As for episodes; the therapist index also serves the ON DELETE RESTRICT check.
CREATE INDEX sessions_patient_started ON sessions (patient_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_therapist_started ON sessions (therapist_id, started_at_ms DESC, id DESC);
CREATE INDEX sessions_started ON sessions (started_at_ms DESC, id DESC);
CREATE INDEX sessions_updated ON sessions (updated_at_ms);

-- Responses to POSTs that carried an Idempotency-Key (API.md "Idempotent creation"): the same
-- key with the same body within 24 hours gets the stored response again; with another body, 422.
-- `scope` is the method and route template together with who called (for example
-- 'POST /v1/episodes token:7'), so one client never receives another's stored response.
CREATE TABLE idempotency_keys (
    scope           TEXT    NOT NULL CHECK (length(scope) BETWEEN 1 AND 300),
    key             TEXT    NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    TEXT    NOT NULL,
    response_status INTEGER NOT NULL CHECK (response_status BETWEEN 100 AND 599),
    response_body   BLOB    NOT NULL,
    created_at_ms   INTEGER NOT NULL,
    PRIMARY KEY (scope, key)
) STRICT, WITHOUT ROWID;

-- Expired keys are deleted by age.
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at_ms);
