-- Benchmark seed for a migrated ReliefLog database: 100 patients and 100,000 episodes
-- (ids 1..100000, spread over two years, patient 42 among the owners), so the peer harness's
-- GET /v1/episodes/{1..100000} and POST /v1/episodes {"patientId":42,...} hit real rows.
PRAGMA journal_mode = WAL;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
INSERT INTO patients (id, display_name, timezone, created_at_ms, updated_at_ms)
SELECT i, 'Patient ' || i, 'Europe/Berlin', 1700000000000, 1700000000000 FROM n;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
INSERT INTO episodes (id, patient_id, started_at_ms, ended_at_ms, intensity, aura, triggers, symptoms,
                      notes, created_at_ms, updated_at_ms)
SELECT i, (i % 100) + 1,
       1700000000000 + i * 630000,
       1700000000000 + i * 630000 + 6 * 3600000,
       i % 11, i % 7 = 0,
       '["stress","poor_sleep"]', '["nausea","photophobia"]',
       'Throbbing behind the left eye; eased after a neck massage.',
       1700000000000, 1700000000000
FROM n;
COMMIT;
