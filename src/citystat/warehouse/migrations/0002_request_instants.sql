-- citystat warehouse, schema version 2: the UTC instant of each request timestamp.
-- created_at .. closed_at stay local wall-clock time in time_zone (what the city's systems show);
-- created_utc .. closed_utc are the same moments in UTC (TIMESTAMP, no zone), so that order checks and
-- durations are right across daylight-saving changes.
-- A local time with two readings (the repeated hour when clocks go back, or the skipped hour when they
-- go forward, read with the offset before or after the change) takes its earlier reading for
-- created_utc; a status, due or close time takes its earlier reading unless only its later reading is
-- not before created_utc (01:50 EDT created, 01:10 EST closed: 20 minutes). citystat.ingest.instants
-- applies the same rule to new loads; here it fills the rows stored before this version.
ALTER TABLE service_requests ADD COLUMN created_utc TIMESTAMP;
ALTER TABLE service_requests ADD COLUMN status_utc TIMESTAMP;
ALTER TABLE service_requests ADD COLUMN due_utc TIMESTAMP;
ALTER TABLE service_requests ADD COLUMN closed_utc TIMESTAMP;

CREATE TEMP MACRO _zone_offset(zone, utc) AS timezone(zone, timezone('UTC', utc)) - utc;
CREATE TEMP MACRO _reading_before(zone, t) AS t - _zone_offset(zone, t - INTERVAL 1 DAY);
CREATE TEMP MACRO _reading_after(zone, t) AS t - _zone_offset(zone, t + INTERVAL 1 DAY);
CREATE TEMP MACRO _valid_reading(zone, t, utc) AS
    CASE WHEN timezone(zone, timezone('UTC', utc)) = t THEN utc END;
CREATE TEMP MACRO _early_reading(zone, t) AS CASE
    WHEN _valid_reading(zone, t, _reading_before(zone, t)) IS NULL
     AND _valid_reading(zone, t, _reading_after(zone, t)) IS NULL
    THEN least(_reading_before(zone, t), _reading_after(zone, t))
    ELSE least(_valid_reading(zone, t, _reading_before(zone, t)), _valid_reading(zone, t, _reading_after(zone, t)))
    END;
CREATE TEMP MACRO _late_reading(zone, t) AS CASE
    WHEN _valid_reading(zone, t, _reading_before(zone, t)) IS NULL
     AND _valid_reading(zone, t, _reading_after(zone, t)) IS NULL
    THEN greatest(_reading_before(zone, t), _reading_after(zone, t))
    ELSE greatest(_valid_reading(zone, t, _reading_before(zone, t)), _valid_reading(zone, t, _reading_after(zone, t)))
    END;
CREATE TEMP MACRO _reading_after_start(zone, t, start) AS CASE
    WHEN _early_reading(zone, t) < start - INTERVAL 1 SECOND
     AND _late_reading(zone, t) >= start - INTERVAL 1 SECOND
    THEN _late_reading(zone, t) ELSE _early_reading(zone, t) END;

UPDATE service_requests SET created_utc = _early_reading(time_zone, created_at);
UPDATE service_requests SET
    status_utc = _reading_after_start(time_zone, status_at, created_utc),
    due_utc = _reading_after_start(time_zone, due_at, created_utc),
    closed_utc = _reading_after_start(time_zone, closed_at, created_utc);

DROP MACRO _reading_after_start;
DROP MACRO _late_reading;
DROP MACRO _early_reading;
DROP MACRO _valid_reading;
DROP MACRO _reading_after;
DROP MACRO _reading_before;
DROP MACRO _zone_offset;
