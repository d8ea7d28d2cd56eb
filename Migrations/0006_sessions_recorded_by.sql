-- 0006: who entered each session (`recordedBy`, server-managed): 'patient' for a patient token,
-- 'clinic' for any other. A patient token can record a professional session for any therapist;
-- the clinic-wide technique and therapist statistics count clinic-recorded sessions only.
--
-- Sessions stored before this migration are taken as the clinic's, unless the audit log shows
-- a patient token creating them.

ALTER TABLE sessions ADD COLUMN recorded_by TEXT NOT NULL DEFAULT 'clinic'
    CHECK (recorded_by = 'patient' OR recorded_by = 'clinic');

UPDATE sessions SET recorded_by = 'patient'
WHERE id IN (SELECT resource_id FROM audit_log
             WHERE method = 'POST' AND route = '/v1/sessions' AND role = 'patient' AND status = 201);
