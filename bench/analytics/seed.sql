-- Analytics benchmark seed, for a database migrated with
--   relieflog migrate --db FILE --migrations Migrations
-- and run with `sqlite3 FILE < bench/analytics/seed.sql` (about 10 s).
--
-- (a) patient 1 ("Solo", Europe/Berlin): a 10-year diary, 4,000 episodes and 1,000 sessions;
-- (b) a clinic: patients 2..1001 in six time zones over 2 years, 300,000 episodes (300 each),
--     100,000 sessions (100 each, 60 % professional) and 20 therapists (18 active).
--
-- Deterministic: every value comes from integer hashes of the row number; the only input is
-- the date the seed runs on (the data end at the coming UTC midnight, so the endpoints'
-- default windows, "the last 28 days including today", always hold a full month of data).
-- Every column respects the CHECK constraints of Migrations/0002_records.sql; list columns are
-- JSON arrays as text, medications as the API renders them (all five members).
.output /dev/null
PRAGMA journal_mode = WAL;
PRAGMA synchronous = OFF;
BEGIN;

CREATE TEMP TABLE bench_params AS
SELECT (unixepoch('now') / 86400 + 1) * 86400000 AS end_ms, 86400000 AS day_ms, 3600000 AS hour_ms;

-- Vocabulary variants, chosen by hash modulo the table size (ids 0..n-1).
CREATE TEMP TABLE v_triggers (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_triggers VALUES
    (0, '[]'), (1, '["stress"]'), (2, '["stress","poor_sleep"]'), (3, '["weather"]'),
    (4, '["menstruation"]'), (5, '["skipped_meal","dehydration"]'), (6, '["alcohol"]'),
    (7, '["screen_time","bright_light"]'), (8, '["muscle_tension","stress"]'),
    (9, '["caffeine"]'), (10, '["strong_smell","weather"]'), (11, '["poor_sleep"]');
CREATE TEMP TABLE v_symptoms (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_symptoms VALUES
    (0, '[]'), (1, '["nausea"]'), (2, '["nausea","photophobia"]'), (3, '["photophobia","phonophobia"]'),
    (4, '["neck_pain"]'), (5, '["fatigue","dizziness"]'), (6, '["nausea","vomiting","photophobia"]'),
    (7, '["visual_disturbance"]'), (8, '["osmophobia","nausea"]');
CREATE TEMP TABLE v_locations (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_locations VALUES
    (0, '[]'), (1, '["left","temporal"]'), (2, '["right","behind_eye"]'), (3, '["bilateral","frontal"]'),
    (4, '["occipital","neck"]');
CREATE TEMP TABLE v_medications (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_medications VALUES
    (0, '[]'), (1, '[]'), (2, '[]'), (3, '[]'),
    (4, '[{"name":"Sumatriptan","class":"triptan","doseMg":50,"takenAt":null,"effective":true}]'),
    (5, '[{"name":"Ibuprofen","class":"nsaid","doseMg":400,"takenAt":null,"effective":null}]'),
    (6, '[{"name":"Paracetamol","class":"simple_analgesic","doseMg":1000,"takenAt":null,"effective":false}]'),
    (7, '[{"name":"Rizatriptan","class":"triptan","doseMg":10,"takenAt":null,"effective":true},{"name":"Metoclopramide","class":"antiemetic","doseMg":10,"takenAt":null,"effective":null}]'),
    (8, '[{"name":"Thomapyrin","class":"combination_analgesic","doseMg":null,"takenAt":null,"effective":true}]'),
    (9, '[{"name":"Rimegepant","class":"gepant","doseMg":75,"takenAt":null,"effective":true}]'),
    (10, '[{"name":"Tramadol","class":"opioid","doseMg":50,"takenAt":null,"effective":false}]'),
    (11, '[{"name":"Ginger tea","class":null,"doseMg":null,"takenAt":null,"effective":null}]');
CREATE TEMP TABLE v_relief (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_relief VALUES (0, '[]'), (1, '["dark_room","sleep"]'), (2, '["cold_pack"]'), (3, '["self_massage","warm_compress"]');
CREATE TEMP TABLE v_techniques (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_techniques VALUES
    (0, '["neck_shoulder"]'), (1, '["neck_shoulder","scalp"]'), (2, '["swedish"]'), (3, '["trigger_point","neck_shoulder"]'),
    (4, '["kneading","stroking"]'), (5, '["myofascial_release"]'), (6, '["craniosacral"]'), (7, '["deep_tissue","trigger_point"]'),
    (8, '["scalp"]'), (9, '["swedish","scalp","stroking"]');
CREATE TEMP TABLE v_areas (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_areas VALUES (0, '["neck","shoulders"]'), (1, '["scalp","temples"]'), (2, '["upper_back"]'), (3, '["face","jaw"]'), (4, '[]');
CREATE TEMP TABLE v_zones (id INTEGER PRIMARY KEY, value TEXT NOT NULL);
INSERT INTO v_zones VALUES
    (0, 'Europe/Berlin'), (1, 'America/New_York'), (2, 'Australia/Sydney'), (3, 'Asia/Kolkata'), (4, 'UTC'), (5, 'Pacific/Chatham');

-- Therapists 1..20; 19 and 20 inactive.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20)
INSERT INTO therapists (id, name, license_number, license_jurisdiction, certifications, years_experience,
                        migraine_experience, techniques, email, active, created_at_ms, updated_at_ms)
SELECT i, 'Therapist ' || i, printf('LIC-%05d', i), CASE i % 3 WHEN 0 THEN 'US-CA' WHEN 1 THEN 'DE-BE' ELSE 'GB' END,
       '["CMT"]', i % 30, i % 2, (SELECT value FROM v_techniques WHERE id = i % 10),
       'therapist' || i || '@clinic.example', i <= 18, end_ms - 800 * day_ms, end_ms - 800 * day_ms
FROM n, bench_params;

-- Patients: 1 is the 10-year diary, 2..1001 the clinic.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1001)
INSERT INTO patients (id, display_name, timezone, birth_year, external_id, created_at_ms, updated_at_ms)
SELECT i, CASE i WHEN 1 THEN 'Solo' ELSE 'Patient ' || i END,
       CASE i WHEN 1 THEN 'Europe/Berlin' ELSE (SELECT value FROM v_zones WHERE id = i % 6) END,
       1950 + i % 55, printf('P-%05d', i), end_ms - 3700 * day_ms, end_ms - 3700 * day_ms
FROM n, bench_params;

-- Episodes. Row k of the solo diary starts at end - 3650 days + k × 0.9125 days (+ up to 20 h);
-- row i of the clinic belongs to patient 2 + i % 1000 and starts at end - 730 days + (i / 1000) ×
-- 2.433 days (+ up to 2 days). Durations: 15 % ongoing, most 1–24 h, 5 % multi-day up to 14 days.
CREATE TEMP TABLE episode_rows AS
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 303999)
SELECT i,
       CASE WHEN i < 4000 THEN 1 ELSE 2 + (i - 4000) % 1000 END AS patient_id,
       CASE WHEN i < 4000 THEN end_ms - 3650 * day_ms + i * 78840000
            ELSE end_ms - 730 * day_ms + ((i - 4000) / 1000) * 210240000 END AS base_ms,
       (i * 2654435761 + 11) % 1000003 AS a,
       (i * 2246822519 + 23) % 1000033 AS b,
       (i * 3266489917 + 37) % 999983 AS c,
       (i * 668265263 + 41) % 1000037 AS d
FROM n, bench_params;

INSERT INTO episodes (patient_id, started_at_ms, ended_at_ms, intensity, aura, symptoms, locations, triggers,
                      medications, relief_measures, stress_level, disability, notes, created_at_ms, updated_at_ms)
SELECT patient_id, started, ended, a % 11, b % 9 = 0,
       (SELECT value FROM v_symptoms WHERE id = c % 9),
       (SELECT value FROM v_locations WHERE id = d % 5),
       (SELECT value FROM v_triggers WHERE id = a % 12),
       (SELECT value FROM v_medications WHERE id = b % 12),
       (SELECT value FROM v_relief WHERE id = c % 4),
       CASE WHEN d % 3 = 0 THEN NULL ELSE d % 11 END,
       CASE c % 5 WHEN 0 THEN NULL WHEN 1 THEN 'none' WHEN 2 THEN 'mild' WHEN 3 THEN 'moderate' ELSE 'severe' END,
       CASE WHEN a % 4 = 0 THEN 'Throbbing behind the left eye; eased after a neck massage.' END,
       started, started
FROM (
    SELECT patient_id, a, b, c, d,
           base_ms + (c * 7919) % (CASE WHEN patient_id = 1 THEN 20 ELSE 48 END * hour_ms) AS started,
           base_ms + (c * 7919) % (CASE WHEN patient_id = 1 THEN 20 ELSE 48 END * hour_ms)
             + CASE WHEN d % 20 < 3 THEN NULL
                    WHEN d % 20 = 3 THEN (1 + a % 14) * day_ms
                    ELSE hour_ms + (b * 104729) % (23 * hour_ms) END AS ended
    FROM episode_rows, bench_params
    ORDER BY base_ms
) AS rows;

-- Sessions. The solo diary: 1,000 over the last 7 years (one every 2.555 days; the first 3 years
-- of the diary are the massage-effect baseline); the clinic: 100 per
-- patient over 2 years (one every 7.3 days). 60 % professional with one of 20 therapists.
CREATE TEMP TABLE session_rows AS
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 100999)
SELECT i,
       CASE WHEN i < 1000 THEN 1 ELSE 2 + (i - 1000) % 1000 END AS patient_id,
       CASE WHEN i < 1000 THEN end_ms - 2555 * day_ms + i * 220752000
            ELSE end_ms - 730 * day_ms + ((i - 1000) / 1000) * 630720000 END AS base_ms,
       (i * 2654435761 + 53) % 1000003 AS a,
       (i * 2246822519 + 59) % 1000033 AS b,
       (i * 3266489917 + 61) % 999983 AS c,
       (i * 668265263 + 67) % 1000037 AS d
FROM n, bench_params;

INSERT INTO sessions (patient_id, therapist_id, kind, started_at_ms, duration_minutes, techniques, areas, pressure,
                      trigger_points_released, essential_oils, warm_compress, breathing_exercise,
                      pain_before, pain_after, stress_before, stress_after, notes, created_at_ms, updated_at_ms)
SELECT patient_id,
       CASE WHEN a % 5 < 3 THEN 1 + b % 20 END,
       CASE WHEN a % 5 < 3 THEN 'professional' ELSE 'self' END,
       started,
       CASE WHEN a % 5 < 3 THEN 30 + 15 * (c % 5) ELSE 5 + c % 26 END,
       (SELECT value FROM v_techniques WHERE id = d % 10),
       (SELECT value FROM v_areas WHERE id = a % 5),
       CASE b % 4 WHEN 0 THEN NULL WHEN 1 THEN 'light' WHEN 2 THEN 'medium' ELSE 'firm' END,
       CASE WHEN d % 3 = 0 THEN c % 8 END,
       CASE WHEN c % 4 = 0 THEN '["lavender"]' WHEN c % 4 = 1 THEN '["peppermint","lavender"]' ELSE '[]' END,
       b % 2, c % 3 = 0,
       pain_before, CASE WHEN pain_before IS NULL OR d % 9 = 0 THEN NULL ELSE max(0, pain_before - d % 5) END,
       stress_before, CASE WHEN stress_before IS NULL OR c % 8 = 0 THEN NULL ELSE max(0, stress_before - a % 4) END,
       NULL, started, started
FROM (
    SELECT patient_id, a, b, c, d,
           base_ms + (d * 7907) % (CASE WHEN patient_id = 1 THEN 72 ELSE 120 END * hour_ms) AS started,
           CASE WHEN b % 7 = 0 THEN NULL ELSE 3 + a % 8 END AS pain_before,
           CASE WHEN c % 6 = 0 THEN NULL ELSE 2 + b % 9 END AS stress_before
    FROM session_rows, bench_params
    ORDER BY base_ms
) AS rows;

DROP TABLE episode_rows;
DROP TABLE session_rows;
COMMIT;
PRAGMA synchronous = FULL;
ANALYZE;
PRAGMA wal_checkpoint(TRUNCATE);
.output stdout
SELECT 'seeded: ' || (SELECT count(*) FROM patients) || ' patients, ' || (SELECT count(*) FROM therapists) || ' therapists, '
       || (SELECT count(*) FROM episodes) || ' episodes, ' || (SELECT count(*) FROM sessions) || ' sessions';
