-- Measures: versioned definitions, computed and reported values with provenance, targets, audit log.

CREATE TABLE measure_definitions (
    measure_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    kind            VARCHAR NOT NULL,            -- computed | reported
    title           VARCHAR NOT NULL,
    effective_from  DATE,                        -- NULL: from the start of the series
    definition_hash VARCHAR NOT NULL,            -- what defines the series (see Measure.definition_hash)
    definition      VARCHAR NOT NULL,            -- the whole definition as JSON
    origin          VARCHAR NOT NULL,            -- catalog file, or the plan folder it was imported from
    recorded_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (measure_id, version)
);

-- One value per measure version, period and place. dimension = '' is the whole city.
CREATE TABLE measure_values (
    measure_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    grain           VARCHAR NOT NULL,            -- day|week|month|quarter|fiscal_quarter|fiscal_year
    period_start    DATE NOT NULL,
    period_label    VARCHAR NOT NULL,            -- 2019-10, FY2020 Q2, 2019-W40 ...
    dimension       VARCHAR NOT NULL,            -- '' | neighborhood | csa | service_code ...
    dimension_value VARCHAR NOT NULL,
    value           DOUBLE,                      -- NULL when it cannot be computed (no rows)
    numerator       DOUBLE,                      -- ratio: rows in the numerator
    denominator     DOUBLE,                      -- ratio: rows in the denominator; others: rows used
    note            VARCHAR,                     -- reported values: the agency's note
    engine          VARCHAR NOT NULL,            -- duckdb | postgres | spark | reported
    catalog_version VARCHAR NOT NULL,            -- hash of the catalog, or the plan import's load id
    load_ids        VARCHAR NOT NULL,            -- the loads whose rows fed this value, e.g. '1-7'
    computed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (measure_id, version, grain, period_start, dimension, dimension_value)
);

CREATE TABLE measure_targets (
    measure_id      VARCHAR NOT NULL,
    fiscal_year     INTEGER NOT NULL,
    value           DOUBLE NOT NULL,
    note            VARCHAR,
    origin          VARCHAR NOT NULL,
    recorded_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (measure_id, fiscal_year)
);

-- What each computed measure version has seen: compute only what new loads touched.
CREATE TABLE compute_state (
    measure_id      VARCHAR NOT NULL,
    version         INTEGER NOT NULL,
    last_load_id    BIGINT NOT NULL,
    scope           VARCHAR NOT NULL,            -- grains and dimensions computed (JSON); a change recomputes all
    computed_at     TIMESTAMP NOT NULL,
    PRIMARY KEY (measure_id, version)
);

CREATE SEQUENCE audit_id_seq START 1;
CREATE TABLE audit_log (
    audit_id        BIGINT PRIMARY KEY DEFAULT nextval('audit_id_seq'),
    recorded_at     TIMESTAMP NOT NULL,
    actor           VARCHAR NOT NULL,            -- user name, or 'citystat compute' / 'citystat ingest plan'
    action          VARCHAR NOT NULL,            -- define | redefine | set_target | set_value | compute
    entity          VARCHAR NOT NULL,            -- measure | target | value
    entity_id       VARCHAR NOT NULL,
    before          VARCHAR,                     -- JSON
    after           VARCHAR                      -- JSON
);
