-- 0001: service metadata.
-- One row describing this database: a random instance id (used to make ETags and cursors
-- specific to this installation) and when the database was created.
CREATE TABLE service_info (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    instance_id TEXT    NOT NULL,
    created_at  TEXT    NOT NULL
) STRICT;

INSERT INTO service_info (id, instance_id, created_at)
VALUES (1, lower(hex(randomblob(16))), strftime('%Y-%m-%dT%H:%M:%fZ', 'now'));
