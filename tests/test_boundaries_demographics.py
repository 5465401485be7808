"""Every real boundary and demographic file in ../shared/data/real loads."""

from __future__ import annotations

import csv

import pytest

from citystat.errors import IngestError
from citystat.ingest import ingest_boundaries, ingest_demographics

BOUNDARY_FILES = [
    ("council_districts_2012.geojson", "council_district", 14, 0),
    ("police_districts_1959_2022.geojson", "police_district", 9, 1),
    ("police_districts_2023.geojson", "police_district", 9, 3),
    ("neighborhoods_2010.geojson", "neighborhood", 278, 2),
    ("neighborhoods_2020.geojson", "neighborhood", 279, 2),
    ("csa_2010.geojson", "csa", 56, 2),
    ("census_tracts_2020.geojson", "tract", 199, 0),
]


@pytest.mark.parametrize(("name", "layer", "features", "invalid"), BOUNDARY_FILES)
def test_every_boundary_file_loads(real, warehouse, baltimore, name, layer, features, invalid) -> None:
    result = ingest_boundaries(
        warehouse, real / "baltimore-boundaries" / name, layer=layer, profile=baltimore
    )
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (features, features, 0)
    stats = warehouse.execute(
        "SELECT count(*), count(DISTINCT label), sum(repaired::INT) FROM boundaries WHERE layer = ?", [layer]
    ).fetchone()
    # Invalid polygons as published (boundaries PROVENANCE.md) are repaired with make_valid.
    assert stats == (features, features, invalid)


def test_boundary_labels_follow_the_profile(real, warehouse, baltimore) -> None:
    folder = real / "baltimore-boundaries"
    ingest_boundaries(
        warehouse, folder / "council_districts_2012.geojson", layer="council_district", profile=baltimore
    )
    ingest_boundaries(warehouse, folder / "census_tracts_2020.geojson", layer="tract", profile=baltimore)
    labels = dict(warehouse.execute("SELECT layer, min(label) FROM boundaries GROUP BY 1").fetchall())
    assert labels == {
        "council_district": "1",
        "tract": "24510010100",
    }  # 311 records carry '7', tracts by GEOID


def test_reloading_a_layer_replaces_it(real, warehouse, baltimore) -> None:
    folder = real / "baltimore-boundaries"
    ingest_boundaries(
        warehouse, folder / "neighborhoods_2010.geojson", layer="neighborhood", profile=baltimore
    )
    again = ingest_boundaries(
        warehouse, folder / "neighborhoods_2010.geojson", layer="neighborhood", profile=baltimore
    )
    assert again.skipped
    ingest_boundaries(
        warehouse, folder / "neighborhoods_2020.geojson", layer="neighborhood", profile=baltimore
    )
    assert warehouse.execute("SELECT count(*) FROM boundaries WHERE layer = 'neighborhood'").fetchone() == (
        279,
    )


def test_projected_geojson_is_refused(tmp_path, warehouse, baltimore) -> None:
    path = tmp_path / "projected.geojson"
    path.write_text(
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"name": "A"},'
        ' "geometry": {"type": "Polygon", "coordinates": [[[1420000, 590000], [1421000, 590000],'
        " [1421000, 591000], [1420000, 590000]]]}}]}"
    )
    with pytest.raises(IngestError, match="reproject to WGS84"):
        ingest_boundaries(warehouse, path, layer="neighborhood", profile=baltimore)
    assert warehouse.execute("SELECT count(*) FROM load_log").fetchone() == (0,)


def test_nhp_csa_indicators(real, warehouse, baltimore) -> None:
    path = real / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    result = ingest_demographics(warehouse, path, layer="csa", key="CSA", profile=baltimore)
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (56, 56, 0)

    def value(area: str, variable: str) -> float:
        row = warehouse.execute(
            "SELECT value FROM demographics WHERE area_key = ? AND variable = ?", [area, variable]
        ).fetchone()
        assert row is not None
        return float(row[0])

    # PROVENANCE.md: the 'Baltimore City' row has Population 622,454, PercentBlackAA 62.84,
    # MedianHHIncome 41,819, RatCallRate 408.8; it is marked citywide, not an area.
    assert value("Baltimore City", "Population") == 622_454
    assert value("Baltimore City", "PercentBlackAA") == pytest.approx(62.84, abs=0.005)
    assert value("Baltimore City", "MedianHHIncome") == 41_819
    assert value("Baltimore City", "RatCallRate") == pytest.approx(408.8, abs=0.05)
    areas = warehouse.execute(
        "SELECT sum(value), count(*) FROM demographics WHERE variable = 'Population' AND NOT is_citywide"
    ).fetchone()
    assert areas == (617_622, 55)  # the 55 CSAs sum to 4,832 less than the city row


def test_acs_tract_income_geojson_with_margins(real, warehouse, baltimore) -> None:
    path = real / "baltimore-demographics" / "acs2022_tract_median_household_income.geojson"
    result = ingest_demographics(warehouse, path, layer="tract", key="GEOID", profile=baltimore)
    assert result.rows_loaded == 199
    row = warehouse.execute(
        "SELECT value, moe FROM demographics WHERE area_key = '24510151200' AND variable = 'estimate'"
    ).fetchone()
    assert row == (29292.0, 15979.0)
    stats = warehouse.execute(
        "SELECT count(*) FILTER (value IS NULL), min(value), max(value) FROM demographics WHERE variable = 'estimate'"
    ).fetchone()
    assert stats == (3, 13036.0, 229743.0)


def test_equity_tables_and_vital_signs(real, warehouse, baltimore) -> None:
    folder = real / "balt311-service-equity-published"
    tracts = ingest_demographics(
        warehouse, folder / "tract_demographics.csv", layer="tract", key="geoid", profile=baltimore
    )
    csas = ingest_demographics(
        warehouse, folder / "csa_demographics.csv", layer="csa", key="geoid", profile=baltimore
    )
    assert (tracts.rows_loaded, csas.rows_loaded) == (199, 56)
    # Blank median_income on 4 tracts (PROVENANCE.md), the top-coded tract kept as published.
    assert warehouse.execute(
        "SELECT count(*) FROM demographics WHERE layer = 'tract' AND variable = 'median_income' AND value IS NULL"
    ).fetchone() == (4,)
    assert warehouse.execute(
        "SELECT value FROM demographics WHERE area_key = '24510271102' AND variable = 'median_income'"
    ).fetchone() == (250001.0,)
    vital = sorted((real / "baltimore-demographics" / "bnia_vital_signs_csa").glob("*.csv"))
    tables = [p for p in vital if p.name != "metadata_full.csv"]
    assert len(tables) == 16
    for path in tables:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            key = "CSA2010" if "CSA2010" in next(csv.reader(handle)) else "CSA2020"
        result = ingest_demographics(warehouse, path, layer="csa", key=key, profile=baltimore)
        assert (result.rows_loaded, result.rows_quarantined) == (55, 0), path.name
    expectancy = warehouse.execute(
        "SELECT value FROM demographics WHERE area_key = 'Allendale/Irvington/S. Hilton' AND variable = 'lifexp18'"
    ).fetchone()
    assert expectancy == (pytest.approx(68.28871069),)


def test_missing_key_column_is_named(real, warehouse, baltimore) -> None:
    path = real / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    with pytest.raises(IngestError, match="key column 'Neighborhood' not found"):
        ingest_demographics(warehouse, path, layer="csa", key="Neighborhood", profile=baltimore)


def test_reloading_an_earlier_version_of_a_file_restores_it(real, warehouse, baltimore, tmp_path) -> None:
    """v1, then a corrected v2 of the same file, then v1 again: the warehouse must hold v1 again."""
    original = real / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    corrected = tmp_path / original.name
    text = original.read_text(encoding="utf-8")
    assert text.count(",622454,") == 1  # the Baltimore City row's population
    corrected.write_text(text.replace(",622454,", ",700000,"), encoding="utf-8")
    assert corrected.read_bytes() != original.read_bytes()

    def population() -> float:
        row = warehouse.execute(
            "SELECT value FROM demographics WHERE area_key = 'Baltimore City' AND variable = 'Population'"
        ).fetchone()
        assert row is not None
        return float(row[0])

    first = ingest_demographics(warehouse, original, layer="csa", key="CSA", profile=baltimore)
    assert population() == 622_454
    second = ingest_demographics(warehouse, corrected, layer="csa", key="CSA", profile=baltimore)
    assert population() == 700_000
    third = ingest_demographics(warehouse, original, layer="csa", key="CSA", profile=baltimore)
    assert not third.skipped
    assert population() == 622_454
    assert warehouse.execute("SELECT DISTINCT load_id FROM demographics").fetchall() == [(third.load_id,)]
    assert first.load_id is not None and second.load_id is not None
    again = ingest_demographics(warehouse, original, layer="csa", key="CSA", profile=baltimore)
    assert again.skipped_as_load == third.load_id  # now it is the latest load: nothing to do


def test_force_reload_does_not_repeat_quarantine_rows(real, warehouse, baltimore, tmp_path) -> None:
    original = real / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
    lines = original.read_text(encoding="utf-8").splitlines(keepends=True)
    path = tmp_path / "repeated-area.csv"
    path.write_text("".join([*lines, lines[1]]), encoding="utf-8")  # the first CSA again, as row 57
    for force in (False, True):
        result = ingest_demographics(warehouse, path, layer="csa", key="CSA", profile=baltimore, force=force)
        assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (57, 56, 1)
        assert warehouse.execute("SELECT row_number, reason FROM quarantine").fetchall() == [
            (57, "duplicate area key (first in row 1)")
        ]
