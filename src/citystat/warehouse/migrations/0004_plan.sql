-- The city's performance plan: reference tables (agencies, budget services, Mayor's Action Plan),
-- the plan's measures as published, and the messy spreadsheet export kept apart for reconciliation.
-- Reported measures themselves live in measure_definitions / measure_values / measure_targets
-- (migration 0003) under ids 'plan-<measure_id>'. Each import replaces these tables wholesale;
-- load_id says which plan load wrote a row.

CREATE TABLE plan_agencies (
    agency_id           VARCHAR PRIMARY KEY,         -- AGCxxxx
    agency_name         VARCHAR NOT NULL,
    public_name         VARCHAR,
    deputy_mayor_pillar VARCHAR,                     -- the deputy mayor's portfolio the agency reports to
    submit_plan         BOOLEAN,
    is_quasi            BOOLEAN,
    active              BOOLEAN,
    load_id             BIGINT NOT NULL
);

CREATE TABLE plan_services (
    service_id      VARCHAR PRIMARY KEY,             -- SRVxxxx, the budget book's service
    service_name    VARCHAR NOT NULL,
    agency_id       VARCHAR,
    service_type    VARCHAR,
    pillar_id       INTEGER,                         -- Action Plan pillar the service is aligned to
    pillar_name     VARCHAR,
    active          BOOLEAN,
    load_id         BIGINT NOT NULL
);

CREATE TABLE plan_pillars (
    pillar_id       INTEGER PRIMARY KEY,
    pillar_name     VARCHAR NOT NULL,
    pillar_lead     VARCHAR,
    summary         VARCHAR,
    overview        VARCHAR,
    sort_order      INTEGER,
    load_id         BIGINT NOT NULL
);

CREATE TABLE plan_pillar_goals (
    goal_code       VARCHAR PRIMARY KEY,             -- 1.1 .. 6.4
    pillar_id       INTEGER NOT NULL,
    goal_title      VARCHAR NOT NULL,
    goal_lead       VARCHAR,
    sort_order      INTEGER,
    load_id         BIGINT NOT NULL
);

CREATE TABLE plan_initiatives (
    goal_code        VARCHAR NOT NULL,
    sort_order       INTEGER NOT NULL,
    initiative_title VARCHAR NOT NULL,
    load_id          BIGINT NOT NULL,
    PRIMARY KEY (goal_code, sort_order)
);

CREATE TABLE plan_agency_goals (
    agency_goal_id  INTEGER PRIMARY KEY,
    plan_id         INTEGER,
    title           VARCHAR NOT NULL,
    sort_order      INTEGER,
    load_id         BIGINT NOT NULL
);

CREATE TABLE plan_entities (
    entity_id        INTEGER PRIMARY KEY,            -- mayoralty offices and quasi agencies with own plans
    parent_agency_id VARCHAR,
    public_name      VARCHAR NOT NULL,
    entity_type      VARCHAR,
    has_own_plan     BOOLEAN,
    active           BOOLEAN,
    load_id          BIGINT NOT NULL
);

CREATE TABLE plan_entity_services (
    pes_id          INTEGER PRIMARY KEY,
    entity_id       INTEGER NOT NULL,
    service_id      VARCHAR NOT NULL,
    service_name    VARCHAR,
    is_primary      BOOLEAN,
    load_id         BIGINT NOT NULL
);

-- The plan's measures as published, keyed by the plan's own id; columns not listed are in details_json.
CREATE TABLE plan_measures (
    plan_measure_id   INTEGER PRIMARY KEY,
    measure_id        VARCHAR NOT NULL,              -- citystat id: 'plan-' || plan_measure_id
    agency_id         VARCHAR NOT NULL,
    title             VARCHAR NOT NULL,
    measure_type      VARCHAR,
    description       VARCHAR,
    data_source       VARCHAR,
    data_owner_role   VARCHAR,
    update_frequency  VARCHAR,
    formula           VARCHAR,
    desired_direction VARCHAR,
    format_type       VARCHAR,
    display_unit      VARCHAR,
    pillar_id         INTEGER,
    pillar_goal_id    INTEGER,                       -- an id in the planning app's goal table (not published)
    is_city           BOOLEAN,
    is_agency         BOOLEAN,
    is_service        BOOLEAN,
    approval_status   VARCHAR,
    details_json      VARCHAR NOT NULL,              -- every other published column, as JSON
    source_row        BIGINT NOT NULL,
    load_id           BIGINT NOT NULL
);

CREATE TABLE plan_measure_services (
    link_id         INTEGER PRIMARY KEY,
    plan_measure_id INTEGER NOT NULL,
    service_id      VARCHAR NOT NULL,
    load_id         BIGINT NOT NULL
);

CREATE TABLE plan_measure_goals (
    link_id         INTEGER PRIMARY KEY,
    plan_measure_id INTEGER NOT NULL,
    agency_goal_id  INTEGER NOT NULL,
    load_id         BIGINT NOT NULL
);

-- measure_actuals as published: one row per (measure, fiscal year); notes verbatim.
CREATE TABLE plan_actuals (
    plan_measure_id     INTEGER NOT NULL,
    fiscal_year         INTEGER NOT NULL,
    q1_value            DOUBLE,
    q1_notes            VARCHAR,
    q2_value            DOUBLE,
    q2_notes            VARCHAR,
    q3_value            DOUBLE,
    q3_notes            VARCHAR,
    q4_value            DOUBLE,
    q4_notes            VARCHAR,
    annual_actual       DOUBLE,
    annual_actual_notes VARCHAR,
    target_value        DOUBLE,
    target_value_notes  VARCHAR,
    source_row          BIGINT NOT NULL,
    load_id             BIGINT NOT NULL,
    PRIMARY KEY (plan_measure_id, fiscal_year)
);

-- The spreadsheet export (one row per measure and planning cycle), labels normalised.
CREATE TABLE plan_export_rows (
    source_row       BIGINT PRIMARY KEY,             -- 1-based data row in the export
    line_number      BIGINT NOT NULL,
    measure_code     VARCHAR NOT NULL,               -- the export's 'Measure ID' (AM01, 1481 ...)
    planning_cycle   INTEGER NOT NULL,               -- FY26 -> 2026
    title            VARCHAR NOT NULL,
    agency_id        VARCHAR,                        -- AGCxxxx
    agency_name      VARCHAR,
    service_id       VARCHAR,                        -- SRVxxxx
    measure_type     VARCHAR,                        -- normalised label
    direction        VARCHAR,                        -- up | down | maintain | ''
    unit             VARCHAR,                        -- count | percent | currency
    interval_label   VARCHAR,
    equity           BOOLEAN,
    deprecated       BOOLEAN NOT NULL,
    status           VARCHAR,
    measure_request  VARCHAR,
    formula          VARCHAR,
    data_source      VARCHAR,
    modified_at      TIMESTAMP,
    shared_code      BOOLEAN NOT NULL,               -- another measure uses the same code in this cycle
    measure_id       VARCHAR,                        -- matched plan measure ('plan-N'), NULL if none
    match_method     VARCHAR NOT NULL,               -- agency+title | agency+similar title | ambiguous | none
    match_score      DOUBLE,
    load_id          BIGINT NOT NULL
);

CREATE TABLE plan_export_values (
    source_row      BIGINT NOT NULL,
    column_name     VARCHAR NOT NULL,                -- e.g. 'FY 25 Q1'
    fiscal_year     INTEGER NOT NULL,
    period          VARCHAR NOT NULL,                -- q1 | q2 | q3 | q4 | annual | target
    raw_value       VARCHAR NOT NULL,
    value           DOUBLE,                          -- NULL when the text is not a number (quarantined)
    rescaled        BOOLEAN NOT NULL,                -- a percent written 0-100 was divided by 100
    load_id         BIGINT NOT NULL,
    PRIMARY KEY (source_row, column_name)
);

-- One value per measure, fiscal year and period from the export: the newest planning cycle that
-- gives a number wins, then the most recently modified row.
CREATE VIEW plan_export_resolved AS
SELECT r.measure_id, v.fiscal_year, v.period, v.value, v.raw_value, v.source_row, r.planning_cycle
FROM plan_export_values v
JOIN plan_export_rows r USING (source_row)
WHERE r.measure_id IS NOT NULL AND v.value IS NOT NULL
QUALIFY row_number() OVER (
    PARTITION BY r.measure_id, v.fiscal_year, v.period
    ORDER BY r.planning_cycle DESC, r.modified_at DESC NULLS LAST, v.source_row DESC
) = 1;
