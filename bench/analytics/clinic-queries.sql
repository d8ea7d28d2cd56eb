-- The clinic-wide aggregates of /v1/analytics/{overview,techniques,therapists} over the 28 UTC
-- days ending with today (the endpoints' default window; run-analytics.sh replaces the 28 in the
-- .parameter lines for longer windows), written directly in SQL for the sqlite3 shell:
-- the floor the endpoints are compared with (bench/run-analytics.sh runs it with `.timer on`).
-- Means use avg() over the differences, which skips rows where either value is NULL (API.md:
-- "only sessions with both").
.headers off
.mode list
-- Bound parameters, as the server binds them: @f, @t the window [f, t), @p the previous one's start.
.parameter init
.parameter set @f "(unixepoch(date('now')) / 86400 + 1 - 28) * 86400000"
.parameter set @t "(unixepoch(date('now')) / 86400 + 1) * 86400000"
.parameter set @p "(unixepoch(date('now')) / 86400 + 1 - 2 * 28) * 86400000"
.timer on
-- overview (with the previous window)
SELECT (SELECT count(*) FROM patients),
       (SELECT count(*) FROM therapists WHERE active = 1),
       (SELECT count(*) FROM episodes WHERE started_at_ms >= @f AND started_at_ms < @t),
       (SELECT round(avg(intensity), 2) FROM episodes WHERE started_at_ms >= @f AND started_at_ms < @t),
       (SELECT count(*) FROM sessions WHERE started_at_ms >= @f AND started_at_ms < @t),
       (SELECT round(avg(pain_before - pain_after), 2) FROM sessions WHERE started_at_ms >= @f AND started_at_ms < @t),
       (SELECT count(*) FROM episodes WHERE started_at_ms >= @p AND started_at_ms < @f),
       (SELECT round(avg(intensity), 2) FROM episodes WHERE started_at_ms >= @p AND started_at_ms < @f),
       (SELECT count(*) FROM sessions WHERE started_at_ms >= @p AND started_at_ms < @f),
       (SELECT round(avg(pain_before - pain_after), 2) FROM sessions WHERE started_at_ms >= @p AND started_at_ms < @f);
-- techniques
SELECT j.value, count(*), count(DISTINCT s.patient_id), round(avg(s.pain_before - s.pain_after), 2),
       round(avg(s.stress_before - s.stress_after), 2)
FROM sessions AS s, json_each(s.techniques) AS j
WHERE s.started_at_ms >= @f AND s.started_at_ms < @t
GROUP BY j.value ORDER BY 2 DESC, 1;
-- therapists
SELECT s.therapist_id, t.name, count(*), count(DISTINCT s.patient_id), round(avg(s.pain_before - s.pain_after), 2),
       round(avg(s.stress_before - s.stress_after), 2)
FROM sessions AS s JOIN therapists AS t ON t.id = s.therapist_id
WHERE s.kind = 'professional' AND s.started_at_ms >= @f AND s.started_at_ms < @t
GROUP BY s.therapist_id ORDER BY 3 DESC, 1;
