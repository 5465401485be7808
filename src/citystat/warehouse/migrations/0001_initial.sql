-- citystat warehouse, schema version 1: canonical tables for ingest.
CREATE TABLE meta (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);

CREATE SEQUENCE load_id_seq START 1;

CREATE TABLE load_log (
    load_id BIGINT PRIMARY KEY,
    kind VARCHAR NOT NULL,               -- requests | boundaries | demographics
    source VARCHAR NOT NULL,             -- file path as given
    source_sha256 VARCHAR NOT NULL,
    source_bytes BIGINT NOT NULL,
    format VARCHAR NOT NULL,
    detail VARCHAR,                      -- layer name, mapping name ...
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP NOT NULL,
    rows_read BIGINT NOT NULL,
    rows_loaded BIGINT NOT NULL,         -- new rows
    rows_updated BIGINT NOT NULL,        -- existing rows replaced by a newer version
    rows_unchanged BIGINT NOT NULL,      -- identical to what was stored
    rows_stale BIGINT NOT NULL,          -- older than the stored version, kept out
    rows_quarantined BIGINT NOT NULL,    -- rejected rows (see quarantine)
    rows_flagged BIGINT NOT NULL,        -- loaded, with a flagged value
    summary_json VARCHAR NOT NULL        -- counts by reason, as JSON
);

CREATE TABLE quarantine (
    load_id BIGINT NOT NULL,
    source VARCHAR NOT NULL,
    row_number BIGINT,                   -- 1-based data row (header excluded); NULL for whole-file issues
    line_number BIGINT,                  -- physical line in the file where the row starts
    request_id VARCHAR,
    column_name VARCHAR,
    raw_value VARCHAR,
    reason VARCHAR NOT NULL,
    action VARCHAR NOT NULL              -- rejected (row not loaded) | flagged (row loaded, value cleared)
);

CREATE TABLE service_requests (
    request_id VARCHAR NOT NULL,         -- unique; the city's service request number
    source_record_id VARCHAR,            -- the source system's own record id (e.g. Salesforce id)
    service_code VARCHAR NOT NULL,
    service_name VARCHAR,
    agency VARCHAR,
    method_received VARCHAR,             -- channel: Phone, API, Web form ...
    status VARCHAR NOT NULL,             -- status label without suffix: Closed, Open, New, Pending ...
    status_flag VARCHAR,                 -- duplicate | transferred | NULL
    open311_status VARCHAR NOT NULL,     -- open | closed
    description VARCHAR,
    created_at TIMESTAMP NOT NULL,       -- local wall-clock time in time_zone
    status_at TIMESTAMP,
    due_at TIMESTAMP,
    closed_at TIMESTAMP,
    time_zone VARCHAR NOT NULL,
    address VARCHAR,
    zip VARCHAR,
    lat DOUBLE,
    lon DOUBLE,
    neighborhood VARCHAR,
    csa VARCHAR,
    council_district VARCHAR,
    police_district VARCHAR,
    tract VARCHAR,
    outside_city BOOLEAN,                -- NULL until a city-extent boundary layer is loaded
    geo_flag VARCHAR,                    -- outside_city | placeholder_coordinates | outside_region | invalid_coordinates
    geo_assigned VARCHAR NOT NULL,       -- ',layer,...,': area columns filled by point-in-polygon, not the source
    due_before_created BOOLEAN NOT NULL,
    media_url VARCHAR,
    content_hash VARCHAR NOT NULL,       -- hash of the source fields; decides unchanged vs updated
    source_file VARCHAR NOT NULL,
    source_row BIGINT NOT NULL,
    load_id BIGINT NOT NULL,
    first_load_id BIGINT NOT NULL
);

CREATE TABLE boundaries (
    layer VARCHAR NOT NULL,              -- neighborhood | csa | council_district | police_district | tract
    area_id VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    label VARCHAR NOT NULL,              -- the value 311 records carry for this layer
    properties_json VARCHAR NOT NULL,
    geometry_wkb BLOB NOT NULL,          -- WGS84 lon/lat, made valid
    min_lon DOUBLE NOT NULL,
    min_lat DOUBLE NOT NULL,
    max_lon DOUBLE NOT NULL,
    max_lat DOUBLE NOT NULL,
    repaired BOOLEAN NOT NULL,           -- the published polygon was invalid and was made valid
    source_file VARCHAR NOT NULL,
    load_id BIGINT NOT NULL
);

CREATE TABLE demographics (
    layer VARCHAR NOT NULL,              -- csa | tract
    area_key VARCHAR NOT NULL,
    is_citywide BOOLEAN NOT NULL,        -- a city-total row, not an area
    variable VARCHAR NOT NULL,
    value DOUBLE,                        -- numeric value when the cell is a number
    value_text VARCHAR,                  -- the cell as published
    moe DOUBLE,                          -- margin of error, when the source gives one
    source_file VARCHAR NOT NULL,
    load_id BIGINT NOT NULL
);
