-- Analytics benchmark seed for a migrated ReliefLog database (bench/run-analytics.sh):
-- 1,000 patients in a few time zones, 50 therapists, 300,000 episodes and 100,000 sessions
-- spread over the three years before 2026-11-24, and patient 1 with a ten-year diary
-- (4,000 episodes and 1,000 sessions, within those totals).
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO patients (id, display_name, timezone, created_at_ms, updated_at_ms)
SELECT i, 'Patient ' || i,
       CASE i % 4 WHEN 0 THEN 'Europe/Berlin' WHEN 1 THEN 'America/New_York' WHEN 2 THEN 'Australia/Sydney' ELSE 'UTC' END,
       1700000000000, 1700000000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
INSERT INTO therapists (id, name, license_number, techniques, active, created_at_ms, updated_at_ms)
SELECT i, 'Therapist ' || i, 'B-' || i, '["scalp"]', i % 10 <> 0, 1700000000000, 1700000000000 FROM n;
-- Patient 1: one episode every ~22 h over ten years (ends 2026-11-24).
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000)
INSERT INTO episodes (patient_id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms, medications,
                      created_at_ms, updated_at_ms)
SELECT 1, 1795996800000 - i * 78840000,
       CASE WHEN i % 5 = 0 THEN NULL ELSE 1795996800000 - i * 78840000 + (i % 30) * 3600000 END,
       i % 11, i % 7 = 0,
       CASE i % 3 WHEN 0 THEN '["stress","poor_sleep"]' WHEN 1 THEN '["weather"]' ELSE '[]' END,
       '["nausea","photophobia"]',
       CASE i % 4 WHEN 0 THEN '[{"name":"Suma","class":"triptan","doseMg":50,"takenAt":null,"effective":true}]'
                  WHEN 1 THEN '[{"name":"Ibu","class":"nsaid","doseMg":400,"takenAt":null,"effective":null}]'
                  ELSE '[]' END,
       1700000000000, 1700000000000 FROM n;
-- 296,000 more episodes over three years for patients 2..1000.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 296000)
INSERT INTO episodes (patient_id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms, medications,
                      created_at_ms, updated_at_ms)
SELECT 2 + i % 999, 1795996800000 - i * 319000, 1795996800000 - i * 319000 + (i % 20) * 3600000,
       i % 11, i % 7 = 0, '["stress","poor_sleep"]', '["nausea"]',
       CASE WHEN i % 3 = 0 THEN '[{"name":"Suma","class":"triptan","doseMg":50,"takenAt":null,"effective":true}]' ELSE '[]' END,
       1700000000000, 1700000000000 FROM n;
-- Patient 1: a session every ~3.6 days over ten years.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
INSERT INTO sessions (patient_id, therapist_id, kind, started_at_ms, duration_minutes, techniques, pain_before,
                      pain_after, stress_before, stress_after, created_at_ms, updated_at_ms)
SELECT 1, CASE WHEN i % 2 = 0 THEN 1 + i % 50 END, CASE WHEN i % 2 = 0 THEN 'professional' ELSE 'self' END,
       1795996800000 - i * 315360000, 30 + i % 60,
       CASE i % 3 WHEN 0 THEN '["scalp","neck_shoulder"]' WHEN 1 THEN '["swedish"]' ELSE '["trigger_point","scalp"]' END,
       6, i % 6, 7, i % 5, 1700000000000, 1700000000000 FROM n;
-- 99,000 more sessions over three years.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 99000)
INSERT INTO sessions (patient_id, therapist_id, kind, started_at_ms, duration_minutes, techniques, pain_before,
                      pain_after, stress_before, stress_after, created_at_ms, updated_at_ms)
SELECT 2 + i % 999, CASE WHEN i % 3 <> 0 THEN 1 + i % 50 END, CASE WHEN i % 3 <> 0 THEN 'professional' ELSE 'self' END,
       1795996800000 - i * 955000, 30 + i % 60,
       CASE i % 4 WHEN 0 THEN '["scalp","neck_shoulder"]' WHEN 1 THEN '["swedish"]' WHEN 2 THEN '["deep_tissue","kneading","scalp"]'
                  ELSE '["craniosacral"]' END,
       CASE WHEN i % 5 <> 0 THEN 6 END, i % 6, 7, CASE WHEN i % 4 <> 0 THEN i % 5 END, 1700000000000, 1700000000000 FROM n;
COMMIT;
