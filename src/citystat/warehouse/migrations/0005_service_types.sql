-- citystat warehouse, schema version 5: the city's published list of service types.
-- The Open311 service list offers every type in this list and every type the requests hold, so a
-- type the city offers is listed even before anyone has used it.
CREATE TABLE service_types (
    service_code VARCHAR NOT NULL PRIMARY KEY,
    source_file VARCHAR NOT NULL,
    load_id BIGINT NOT NULL
);
