"""Equity: disparity indices on hand-computed examples, and on the real 311 extracts against pandas.

The real-data checks recompute everything without citystat: pandas reads the raw CSV exports,
parses their timestamps itself (2019: local wall-clock; 2018: UTC), and places each request in a
CSA or tract with its own shapely point-in-polygon test on the published GeoJSON (the 311 exports
carry no CSA or 2020 tract, so the warehouse's CSA is its own point-in-polygon; this is a second,
separate one). Population and attributes are read straight from the published CSV/GeoJSON files.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import shape

from citystat.analysis.equity import (
    EquityError,
    Estimate,
    RequestFilter,
    assign_quintiles,
    compute_demographic_disparity,
    compute_geographic_disparity,
    compute_gini,
    compute_quintile_ratio,
    compute_request_rates,
    compute_theil,
    decompose_theil,
    measure_disparity,
    read_area_requests,
    read_citywide_value,
    read_demographic,
)
from citystat.ingest import ingest_demographics, ingest_requests
from citystat.warehouse import open_warehouse, resolve_profile
from tests.conftest import (
    BOUNDARIES,
    REAL,
    SAMPLE_2018,
    SAMPLE_2019,
    load_baltimore_boundaries,
    need_real_data,
)

ZONE = "America/New_York"
NHP = REAL / "baltimore-demographics" / "nhp2017_csa_indicators.csv"
ACS_INCOME = REAL / "baltimore-demographics" / "acs2022_tract_median_household_income.geojson"
TRACT_TABLE = REAL / "balt311-service-equity-published" / "tract_demographics.csv"
SOLID_WASTE_2019 = RequestFilter(agencies=("Solid Waste",), created_from=dt.datetime(2019, 1, 1))
SOLID_WASTE_2018 = RequestFilter(
    agencies=("Solid Waste",), created_from=dt.datetime(2018, 1, 1), created_before=dt.datetime(2019, 1, 1)
)


# --- Gini -------------------------------------------------------------------------------------


def test_gini_of_equal_areas_is_zero_and_of_one_holding_all_is_n_minus_1_over_n() -> None:
    assert compute_gini({"a": 1, "b": 1, "c": 1, "d": 1}) == pytest.approx(0, abs=1e-15)
    for n in range(2, 8):
        values = {f"area{i}": 0.0 for i in range(n - 1)} | {"rich": 5.0}
        assert compute_gini(values) == pytest.approx((n - 1) / n, abs=1e-15)


def test_gini_by_hand() -> None:
    # [1, 2, 3]: mean 2; sum over ordered pairs of |xi - xj| = 2 * (1 + 2 + 1) = 8; 8 / (2 * 9 * 2).
    assert compute_gini({"a": 1, "b": 2, "c": 3}) == pytest.approx(8 / 36)
    # Weights 1 and 3 on values 1 and 2 are the list [1, 2, 2, 2]: mean 7/4, pair sum 2*3*1 = 6,
    # G = 6 / (2 * 4^2 * 7/4) = 3/28.
    assert compute_gini({"a": 1, "b": 2}, {"a": 1, "b": 3}) == pytest.approx(3 / 28)
    assert compute_gini({"a": 1, "b": 2, "c": 2, "d": 2}) == pytest.approx(3 / 28)


def pairwise_gini(x: np.ndarray, w: np.ndarray) -> float:
    """The definition, O(n^2): sum_i sum_j w_i w_j |x_i - x_j| / (2 W^2 mu)."""
    mean = float((w * x).sum() / w.sum())
    return float((np.outer(w, w) * np.abs(x[:, None] - x[None, :])).sum() / (2 * w.sum() ** 2 * mean))


def direct_theil(x: np.ndarray, w: np.ndarray) -> float:
    mean = (w * x).sum() / w.sum()
    ratio = x / mean
    terms = np.where(x > 0, ratio * np.log(np.where(x > 0, ratio, 1.0)), 0.0)
    return float((w * terms).sum() / w.sum())


areas_strategy = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=1e4, allow_nan=False, allow_subnormal=False),
        st.integers(min_value=1, max_value=20),
        st.sampled_from("ABCD"),
    ),
    min_size=2,
    max_size=30,
).filter(lambda rows: sum(v * w for v, w, _ in rows) > 1e-6)


@settings(max_examples=200, deadline=None)
@given(areas_strategy)
def test_weighted_indices_equal_definition_and_repetition(rows: list[tuple[float, int, str]]) -> None:
    values = {f"a{i}": v for i, (v, _, _) in enumerate(rows)}
    weights = {f"a{i}": float(w) for i, (_, w, _) in enumerate(rows)}
    x, w = np.array([v for v, _, _ in rows]), np.array([float(w) for _, w, _ in rows])
    assert compute_gini(values, weights) == pytest.approx(pairwise_gini(x, w), rel=1e-9, abs=1e-12)
    assert compute_theil(values, weights) == pytest.approx(direct_theil(x, w), rel=1e-9, abs=1e-12)
    repeated = {f"a{i}_{k}": v for i, (v, n, _) in enumerate(rows) for k in range(n)}
    assert compute_gini(values, weights) == pytest.approx(compute_gini(repeated), rel=1e-9, abs=1e-12)
    assert compute_theil(values, weights) == pytest.approx(compute_theil(repeated), rel=1e-9, abs=1e-12)


# --- Theil ------------------------------------------------------------------------------------


def test_theil_of_equal_areas_is_zero_and_of_one_holding_all_is_ln_n() -> None:
    assert compute_theil({"a": 3, "b": 3, "c": 3}) == pytest.approx(0, abs=1e-15)
    assert compute_theil({"a": 0, "b": 0, "c": 0, "d": 1}) == pytest.approx(math.log(4))


def test_theil_decomposition_by_hand() -> None:
    # Groups A = [1, 1], B = [3, 3]: no inequality within; mean 2, s_A = 2/8, s_B = 6/8.
    split = decompose_theil(
        {"a1": 1, "a2": 1, "b1": 3, "b2": 3}, {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    )
    between = 0.25 * math.log(0.5) + 0.75 * math.log(1.5)  # 0.130812...
    assert split.between == pytest.approx(between)
    assert split.within == pytest.approx(0, abs=1e-15)
    assert split.total == pytest.approx(between)
    assert split.between_share == pytest.approx(1)
    # Groups A = [1, 3], B = [2, 2]: equal group means, so all inequality is within A.
    split = decompose_theil(
        {"a1": 1, "a2": 3, "b1": 2, "b2": 2}, {"a1": "A", "a2": "A", "b1": "B", "b2": "B"}
    )
    t_a = 0.5 * (0.5 * math.log(0.5) + 1.5 * math.log(1.5))  # 0.130812...
    assert split.between == pytest.approx(0, abs=1e-15)
    assert split.within == pytest.approx(0.5 * t_a)
    assert split.total == pytest.approx(0.5 * t_a)
    group_a = split.groups[0]
    assert (group_a.group, group_a.areas, group_a.mean, group_a.share) == ("A", 2, 2.0, 0.5)
    assert group_a.theil == pytest.approx(t_a)


@settings(max_examples=200, deadline=None)
@given(areas_strategy)
def test_theil_between_plus_within_is_the_total(rows: list[tuple[float, int, str]]) -> None:
    values = {f"a{i}": v for i, (v, _, _) in enumerate(rows)}
    weights = {f"a{i}": float(w) for i, (_, w, _) in enumerate(rows)}
    groups = {f"a{i}": g for i, (_, _, g) in enumerate(rows)}
    split = decompose_theil(values, groups, weights)
    assert split.between + split.within == pytest.approx(split.total, rel=1e-9, abs=1e-12)
    assert split.total == pytest.approx(compute_theil(values, weights), rel=1e-12, abs=1e-15)
    assert split.within >= -1e-12 and split.between >= -1e-12


def test_indices_refuse_what_they_cannot_measure() -> None:
    with pytest.raises(EquityError, match="no areas"):
        compute_gini({})
    with pytest.raises(EquityError, match=">= 0"):
        compute_theil({"a": -1, "b": 2})
    with pytest.raises(EquityError, match="mean is zero"):
        compute_gini({"a": 0, "b": 0})
    with pytest.raises(EquityError, match="no group for 1 area"):
        decompose_theil({"a": 1, "b": 2}, {"a": "A"})
    with pytest.raises(EquityError, match="no weight"):
        compute_gini({"a": 1, "b": 2}, {"a": 1})


# --- Quintiles --------------------------------------------------------------------------------


def test_quintiles_of_ten_equal_weight_areas_by_hand() -> None:
    values = {f"area{v:02d}": float(v) for v in range(1, 11)}
    result = compute_quintile_ratio(values, higher_is_better=False)
    assert [q.areas for q in result.quintiles] == [
        ("area01", "area02"),
        ("area03", "area04"),
        ("area05", "area06"),
        ("area07", "area08"),
        ("area09", "area10"),
    ]
    assert (result.best.number, result.best.mean, result.worst.number, result.worst.mean) == (1, 1.5, 5, 9.5)
    assert result.ratio == pytest.approx(9.5 / 1.5)
    assert compute_quintile_ratio(values, higher_is_better=True).ratio == pytest.approx(1.5 / 9.5)


def test_weighted_quintiles_by_hand() -> None:
    # W = 8; cumulative-weight midpoints / W: a 1/8, b 2.5/8, c 3.5/8, d 4.5/8, e 5.5/8, f 7/8,
    # so quintiles floor(5 * midpoint) + 1 are 1, 2, 3, 3, 4, 5.
    values = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    weights = {"a": 2, "b": 1, "c": 1, "d": 1, "e": 1, "f": 2}
    assert assign_quintiles(values, weights) == {"a": 1, "b": 2, "c": 3, "d": 3, "e": 4, "f": 5}
    result = compute_quintile_ratio(values, weights, higher_is_better=False)
    assert [q.mean for q in result.quintiles] == [1, 2, 3.5, 5, 6]
    assert [q.weight for q in result.quintiles] == [2, 1, 2, 1, 2]
    assert result.ratio == 6


def test_quintiles_need_five_areas_and_no_dominant_area() -> None:
    with pytest.raises(EquityError, match="at least 5 areas"):
        compute_quintile_ratio({"a": 1, "b": 2, "c": 3, "d": 4}, higher_is_better=True)
    values = {"a": 1, "b": 2, "c": 3, "d": 4, "e": 5, "f": 6}
    with pytest.raises(EquityError, match="over 40% of the weight"):
        compute_quintile_ratio(
            values, {"a": 1, "b": 1, "c": 1, "d": 1, "e": 1, "f": 5}, higher_is_better=True
        )


def test_a_best_quintile_at_zero_has_no_ratio() -> None:
    values = {"a": 0, "b": 0, "c": 1, "d": 2, "e": 3}
    result = compute_quintile_ratio(values, higher_is_better=False)
    assert (result.best.mean, result.worst.mean, result.ratio) == (0, 3, None)


# --- Spatial Equity Data Tool -----------------------------------------------------------------


def test_geographic_disparity_with_margins_by_hand() -> None:
    baseline = {"A": Estimate(200, 50), "B": Estimate(300, 60), "C": Estimate(500, 80)}
    result = compute_geographic_disparity({"A": 6, "B": 3, "C": 1}, baseline)
    rows = result.by_area()
    # MOE(Y) = sqrt(50^2 + 60^2 + 80^2) = sqrt(12,500) (SEDT eq. 14.1).
    # MOE(p_A) = sqrt(50^2 - 0.2^2 * 12,500) / 1000 = sqrt(2000) / 1000 (eq. 14.2); SE = MOE / 1.645.
    expected_se = {
        "A": math.sqrt(2500 - 0.04 * 12_500) / 1000 / 1.645,  # 0.027186
        "B": math.sqrt(3600 - 0.09 * 12_500) / 1000 / 1.645,  # 0.030243
        "C": math.sqrt(6400 - 0.25 * 12_500) / 1000 / 1.645,  # 0.034789
    }
    for area, share, base, disparity, significant in [
        ("A", 0.6, 0.2, 0.4, True),
        ("B", 0.3, 0.3, 0.0, False),
        ("C", 0.1, 0.5, -0.4, True),
    ]:
        row = rows[area]
        assert row.resource_share == pytest.approx(share)
        assert row.baseline_share == pytest.approx(base)
        assert row.disparity == pytest.approx(disparity, abs=1e-15)
        assert row.standard_error == pytest.approx(expected_se[area])
        assert row.interval is not None
        assert row.interval.low == pytest.approx(disparity - 1.959964 * expected_se[area], abs=1e-6)
        assert row.interval.high == pytest.approx(disparity + 1.959964 * expected_se[area], abs=1e-6)
        assert row.significant is significant
    assert math.fsum(r.disparity for r in result.areas) == pytest.approx(0, abs=1e-15)


def test_geographic_share_moe_falls_back_to_the_ratio_formula() -> None:
    # p_A = 0.9, MOE(Y)^2 = 10^2 + 300^2 = 90,100: 10^2 - 0.81 * 90,100 < 0, so the Census
    # guidance uses sqrt(10^2 + 0.81 * 90,100) / 1000 instead.
    result = compute_geographic_disparity({"A": 1, "B": 1}, {"A": Estimate(900, 10), "B": Estimate(100, 300)})
    assert result.by_area()["A"].standard_error == pytest.approx(
        math.sqrt(100 + 0.81 * 90_100) / 1000 / 1.645
    )


def test_geographic_disparity_without_margins_shows_every_area_and_no_claim() -> None:
    baseline = {"A": Estimate(100), "B": Estimate(300)}
    result = compute_geographic_disparity({"A": 3, "X": 5}, baseline)
    assert [(r.area, r.resources, r.disparity) for r in result.areas] == [("A", 3, 0.75), ("B", 0, -0.75)]
    assert all(r.interval is None and r.significant is None for r in result.areas)
    assert result.unmatched == {"X": 5}
    assert result.total_resources == 3


def test_demographic_disparity_by_hand() -> None:
    # a = (3/4, 1/4), b = (1/2, 1/2); A_r = 12.5, A_p = 15; SE(x) = (1, 2).
    # SE(D) = sqrt((1/4)^2 * 1 + (-1/4)^2 * 4) = sqrt(0.3125).
    attribute = {"A": Estimate(10, 1.645), "B": Estimate(20, 2 * 1.645), "C": Estimate(float("nan"))}
    result = compute_demographic_disparity({"A": 3, "B": 1, "C": 5}, {"A": 100, "B": 100, "C": 50}, attribute)
    assert (result.resource_average, result.baseline_average) == (pytest.approx(12.5), pytest.approx(15))
    assert result.disparity == pytest.approx(-2.5)
    assert result.standard_error == pytest.approx(math.sqrt(0.3125))
    assert result.resource_average_se == pytest.approx(math.sqrt(0.75**2 + 0.25**2 * 4))
    assert result.baseline_average_se == pytest.approx(math.sqrt(0.25 + 0.25 * 4))
    assert result.interval is not None and result.significant is True
    assert result.interval.high == pytest.approx(-2.5 + 1.959964 * math.sqrt(0.3125), abs=1e-6)
    assert (result.resources_used, result.resources_excluded) == (4, 5)
    assert (result.population_used, result.population_excluded) == (200, 50)


def test_rates_show_every_area_with_flags() -> None:
    table = compute_request_rates({"A": 10, "C": 3, "X": 3}, {"A": 1000, "B": 2000, "C": 4000})
    assert table.city_rate == pytest.approx(13 / 7000 * 1000)
    rows = table.by_area()
    assert [r.area for r in table.areas] == ["A", "B", "C", "X"]
    assert rows["A"].rate == 10 and not (rows["A"].low_rate or rows["A"].few_requests)
    assert (rows["B"].rate, rows["B"].no_requests, rows["B"].low_rate) == (0, True, True)
    assert (rows["C"].rate, rows["C"].few_requests, rows["C"].low_rate) == (0.75, True, True)
    assert (rows["X"].rate, rows["X"].population, rows["X"].no_population) == (None, None, True)


# --- The real 311 extracts --------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """Both real extracts, Baltimore's boundaries, NHP CSA indicators, ACS tract income and population."""
    need_real_data()
    con = open_warehouse(tmp_path_factory.mktemp("equity") / "equity.duckdb")
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    ingest_requests(con, [SAMPLE_2019, SAMPLE_2018], profile=profile)
    ingest_demographics(con, NHP, layer="csa", key="CSA", profile=profile)
    ingest_demographics(con, ACS_INCOME, layer="tract", key="GEOID", profile=profile)
    ingest_demographics(con, TRACT_TABLE, layer="tract", key="geoid", profile=profile)
    yield con
    con.close()


def locate(frame: pd.DataFrame, geojson: Path, label: str) -> pd.Series:
    """Each row's area by shapely point-in-polygon (polygons made valid), first polygon that covers it."""
    points = shapely.points(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    found = pd.Series([None] * len(frame), index=frame.index, dtype=object)
    for feature in json.loads(geojson.read_text())["features"]:
        polygon = shapely.make_valid(shape(feature["geometry"]))
        inside = shapely.covers(polygon, points) & found.isna().to_numpy()
        found[inside] = str(feature["properties"][label])
    return found


def read_raw(extract: str) -> pd.DataFrame:
    """One raw export in common columns; elapsed days from real instants; CSA and tract located."""
    if extract == "2019":
        raw = pd.read_csv(SAMPLE_2019, dtype=str, keep_default_na=False, na_values=["", "NA"])
        local = "%m/%d/%Y %I:%M:%S %p"
        frame = pd.DataFrame(
            {
                "agency": raw["Agency"],
                "code": raw["SRType"],
                "status": raw["SRStatus"],
                "created": pd.to_datetime(raw["CreatedDate"], format=local).dt.tz_localize(ZONE),
                "closed": pd.to_datetime(raw["CloseDate"], format=local).dt.tz_localize(ZONE),
                "lat": pd.to_numeric(raw["Latitude"]),
                "lon": pd.to_numeric(raw["Longitude"]),
            }
        )
    else:
        raw = pd.read_csv(SAMPLE_2018, dtype=str, keep_default_na=False, na_values=[""])
        assert raw["createddate"].str.endswith("+00").all()

        def utc(column: pd.Series) -> pd.Series:
            return pd.to_datetime(column.str.removesuffix("+00"), format="%Y/%m/%d %H:%M:%S").dt.tz_localize(
                "UTC"
            )

        frame = pd.DataFrame(
            {
                "agency": raw["agency"],
                "code": raw["srtype"],
                "status": raw["srstatus"],
                "created": utc(raw["createddate"]),
                "closed": utc(raw["closedate"]),
                "lat": pd.to_numeric(raw["latitude"]),
                "lon": pd.to_numeric(raw["longitude"]),
            }
        )
    frame = frame[~frame["status"].str.contains("(Duplicate)", regex=False)].copy()
    frame["days"] = (frame["closed"] - frame["created"]).dt.total_seconds() / 86400
    frame["csa"] = locate(frame, BOUNDARIES / "csa_2010.geojson", "name")
    frame["tract"] = locate(frame, BOUNDARIES / "census_tracts_2020.geojson", "geoid")
    return frame


@pytest.fixture(scope="module")
def raw_solid_waste() -> dict[str, pd.DataFrame]:
    need_real_data()
    return {year: (f := read_raw(year))[f["agency"] == "Solid Waste"] for year in ("2019", "2018")}


@pytest.fixture(scope="module")
def nhp() -> pd.DataFrame:
    """The Health Department's 55 CSAs (the 'Baltimore City' total row dropped)."""
    need_real_data()
    table = pd.read_csv(NHP, dtype=str)
    table = table[table["CSA"] != "Baltimore City"]
    return table.assign(
        population=pd.to_numeric(table["Population"]), black=pd.to_numeric(table["PercentBlackAA"])
    ).set_index("CSA")


def per_csa(frame: pd.DataFrame) -> pd.DataFrame:
    grouped = frame.dropna(subset=["csa"]).groupby("csa")
    return pd.DataFrame(
        {
            "requests": grouped.size(),
            "closed": grouped["days"].count(),
            "median_days": grouped["days"].median(),
        }
    )


FILTERS = {"2019": SOLID_WASTE_2019, "2018": SOLID_WASTE_2018}


@pytest.mark.parametrize("year", ["2019", "2018"])
def test_solid_waste_requests_and_days_to_close_by_csa_match_pandas(built, raw_solid_waste, year) -> None:
    got = read_area_requests(built, "csa", FILTERS[year])
    want = per_csa(raw_solid_waste[year])
    assert len(got.areas) == 56  # the 55 CSAs and 'Unassigned -- Jail', each listed even with 0 requests
    assert got.unlocated == raw_solid_waste[year]["csa"].isna().sum()
    for area, row in got.areas.items():
        if area not in want.index:
            assert (row.requests, row.closed, row.median_days_to_close) == (0, 0, None), area
            continue
        expected = want.loc[area]
        assert (row.requests, row.closed) == (expected["requests"], expected["closed"]), area
        if expected["closed"] == 0:
            assert row.median_days_to_close is None
        else:
            assert row.median_days_to_close == pytest.approx(expected["median_days"], abs=1e-9), area
    # PROVENANCE: 1,336 Solid Waste rows in 2019, 15 of them duplicates; the 2018 sample has 247.
    totals = sum(r.requests for r in got.areas.values()) + got.unlocated
    assert totals == {"2019": 1336 - 15, "2018": 247 - 2}[year]


def independent_quintile_ratio(medians: pd.Series, weights: pd.Series) -> tuple[float, float]:
    order = sorted(medians.index, key=lambda a: (medians[a], a))
    x, w = medians[order].to_numpy(), weights[order].to_numpy(float)
    midpoint = (np.cumsum(w) - w / 2) / w.sum()
    quintile = np.minimum(5, np.floor(5 * midpoint) + 1)
    low, high = quintile == 1, quintile == 5
    return float((x[low] * w[low]).sum() / w[low].sum()), float((x[high] * w[high]).sum() / w[high].sum())


@pytest.mark.parametrize("year", ["2019", "2018"])
def test_days_to_close_disparity_by_csa_matches_pandas(built, raw_solid_waste, year) -> None:
    """Median days to close a Solid Waste request per CSA: how unequal across CSAs?"""
    requests = read_area_requests(built, "csa", FILTERS[year])
    medians, closed = requests.median_days(), requests.closed_counts()
    want = per_csa(raw_solid_waste[year]).query("closed > 0")
    assert set(medians) == set(want.index)
    x, w = want["median_days"].to_numpy(), want["closed"].to_numpy(float)
    for weights, w_np in ((None, np.ones_like(x)), (closed, w)):
        result = measure_disparity(medians, weights, higher_is_better=False)
        assert result.areas == len(want)
        assert result.mean == pytest.approx(float((x * w_np).sum() / w_np.sum()), rel=1e-12)
        assert result.gini == pytest.approx(pairwise_gini(x, w_np), rel=1e-9)
        assert result.theil == pytest.approx(direct_theil(x, w_np), rel=1e-9)
        best, worst = independent_quintile_ratio(want["median_days"], pd.Series(w_np, index=want.index))
        assert result.quintiles is not None
        assert (result.quintiles.best.mean, result.quintiles.worst.mean) == (
            pytest.approx(best, rel=1e-12, abs=1e-15),
            pytest.approx(worst, rel=1e-12),
        )
    unweighted = measure_disparity(medians, higher_is_better=False)
    assert unweighted.quintiles is not None
    if year == "2019":
        # A 3-day extract: 35 of 55 CSAs have a closed Solid Waste request, mostly proactive rat
        # rubouts logged closed within seconds; the slowest CSA's median is 2.7 days.
        assert len(medians) == 35
        slowest = max(medians, key=lambda a: medians[a])
        assert (slowest, round(medians[slowest], 2)) == ("Clifton-Berea", 2.73)
        assert unweighted.quintiles.ratio is not None and unweighted.quintiles.ratio > 10_000
    else:
        # The random 2018 sample: closures run into 2020, and some CSAs' medians are 0 days
        # (requests logged closed when created), so the best quintile is 0 and has no ratio.
        assert len(medians) == 52
        assert unweighted.quintiles.best.mean == 0 and unweighted.quintiles.ratio is None


def test_sedt_geographic_disparity_of_solid_waste_requests_by_csa(built, raw_solid_waste, nhp) -> None:
    """Share of Solid Waste requests minus share of residents, per CSA (NHP 2017 population)."""
    requests = read_area_requests(built, "csa", SOLID_WASTE_2019)
    population = read_demographic(built, "csa", "Population")
    result = compute_geographic_disparity(requests.counts(), population)
    counts = raw_solid_waste["2019"]["csa"].value_counts()
    in_nhp = counts[counts.index.isin(nhp.index)]
    request_share = (in_nhp / in_nhp.sum()).reindex(nhp.index, fill_value=0)
    want = request_share - nhp["population"] / nhp["population"].sum()
    rows = result.by_area()
    assert set(rows) == set(nhp.index) and len(rows) == 55
    for area, disparity in want.items():
        assert rows[area].disparity == pytest.approx(disparity, abs=1e-12), area
        assert rows[area].interval is None  # the NHP populations carry no margins of error
    assert result.total_baseline == 617_622  # PROVENANCE: the 55 CSA populations
    assert result.unmatched == {}
    assert math.fsum(r.disparity for r in result.areas) == pytest.approx(0, abs=1e-12)
    ranked = sorted(result.areas, key=lambda r: r.disparity)
    top = [(r.area, int(r.resources), round(100 * r.disparity, 2)) for r in ranked[-3:]]
    assert top == [
        ("North Baltimore/Guilford/Homeland", 150, 8.54),
        ("Southern Park Heights", 152, 9.09),
        ("Midway/Coldstream", 212, 14.53),
    ]
    assert (ranked[0].area, round(100 * ranked[0].disparity, 2)) == ("Cedonia/Frankford", -2.25)


@pytest.mark.parametrize("year", ["2019", "2018"])
def test_sedt_demographic_disparity_percent_black_by_csa(built, raw_solid_waste, nhp, year) -> None:
    requests = read_area_requests(built, "csa", FILTERS[year])
    population = {a: e.value for a, e in read_demographic(built, "csa", "Population").items()}
    result = compute_demographic_disparity(
        requests.counts(), population, read_demographic(built, "csa", "PercentBlackAA")
    )
    counts = raw_solid_waste[year]["csa"].value_counts().reindex(nhp.index, fill_value=0)
    request_weighted = float((counts * nhp["black"]).sum() / counts.sum())
    city = float((nhp["population"] * nhp["black"]).sum() / nhp["population"].sum())
    assert result.resource_average == pytest.approx(request_weighted, rel=1e-12)
    assert result.baseline_average == pytest.approx(city, rel=1e-12)
    assert result.interval is None  # no margins of error in the NHP table
    # The population-weighted CSA average (62.71%) is close to the city row's 62.84%.
    citywide = read_citywide_value(built, "csa", "PercentBlackAA")
    assert citywide is not None and round(citywide.value, 2) == 62.84
    assert round(result.baseline_average, 2) == 62.71
    assert round(result.disparity, 2) == {"2019": 5.88, "2018": 6.58}[year]


@pytest.mark.parametrize("year", ["2019", "2018"])
def test_sedt_demographic_disparity_income_by_tract_with_margins(built, raw_solid_waste, year) -> None:
    """Request-weighted vs population-weighted tract median household income (ACS 2022, with MOEs)."""
    requests = read_area_requests(built, "tract", FILTERS[year])
    income = read_demographic(built, "tract", "estimate")
    population = {a: e.value for a, e in read_demographic(built, "tract", "total_race_pop").items()}
    result = compute_demographic_disparity(requests.counts(), population, income)

    acs = pd.DataFrame([f["properties"] for f in json.loads(ACS_INCOME.read_text())["features"]])
    acs = acs.dropna(subset=["estimate"]).set_index("GEOID")
    people = pd.read_csv(TRACT_TABLE, dtype={"geoid": str}).set_index("geoid")["total_race_pop"]
    acs = acs.join(people, how="inner")
    counts = raw_solid_waste[year]["tract"].value_counts().reindex(acs.index, fill_value=0)
    a, b = counts / counts.sum(), acs["total_race_pop"] / acs["total_race_pop"].sum()
    se = acs["moe"] / 1.645
    assert len(acs) == result.areas_used == 196
    assert result.resource_average == pytest.approx(float((a * acs["estimate"]).sum()), rel=1e-12)
    assert result.baseline_average == pytest.approx(float((b * acs["estimate"]).sum()), rel=1e-12)
    assert result.standard_error == pytest.approx(float(np.sqrt((((a - b) * se) ** 2).sum())), rel=1e-12)
    assert result.resources_used == counts.sum()
    assert result.interval is not None and result.significant is True
    # 2019's three days of requests (mostly proactive rat rubouts) lean to richer tracts; the
    # year-long 2018 sample leans to poorer ones. Both differences exclude 0 at 95%.
    assert round(result.disparity) == {"2019": 6747, "2018": -7527}[year]


def test_requests_per_thousand_residents_show_every_csa(built, raw_solid_waste, nhp) -> None:
    requests = read_area_requests(built, "csa", SOLID_WASTE_2018)
    population = {a: e.value for a, e in read_demographic(built, "csa", "Population").items()}
    table = compute_request_rates(requests.counts(), population)
    rows = table.by_area()
    assert len(rows) == 56  # 55 CSAs with population + the jail area, which has neither
    assert rows["Unassigned -- Jail"].no_population and rows["Unassigned -- Jail"].rate is None
    counts = raw_solid_waste["2018"]["csa"].value_counts().reindex(nhp.index, fill_value=0)
    rates = counts / nhp["population"] * 1000
    for area, rate in rates.items():
        assert rows[area].rate == pytest.approx(rate, rel=1e-12), area
    zero = sorted(a for a, r in rows.items() if r.no_requests and not r.no_population)
    assert zero == sorted(counts[counts == 0].index)
    assert zero == ["Dickeyville/Franklintown", "Madison/East End", "Morrell Park/Violetville"]
    assert table.city_rate == pytest.approx(counts.sum() / nhp["population"].sum() * 1000)


def test_theil_of_tract_request_rates_splits_between_and_within_csas(built, raw_solid_waste) -> None:
    """Solid Waste requests per resident by 2020 tract, grouped into 2020 CSAs by BNIA's crosswalk."""
    requests = read_area_requests(built, "tract", SOLID_WASTE_2018)
    population = {a: e.value for a, e in read_demographic(built, "tract", "total_race_pop").items()}
    rates = {a: r.rate for a, r in compute_request_rates(requests.counts(), population).by_area().items()}
    crosswalk = pd.read_csv(BOUNDARIES / "bnia_tract_to_CSA2020.csv", dtype=str).dropna(subset=["GEOID20"])
    groups = dict(zip(crosswalk["GEOID20"], crosswalk["CSA2020"], strict=True))
    values = {a: r for a, r in rates.items() if r is not None}
    assert len(values) == 199
    split = decompose_theil(values, groups, population)
    assert split.between + split.within == pytest.approx(split.total, rel=1e-12)
    # Independently: T = sum_i (n_i / N) ln(rate_i / city rate), the Theil of requests over people.
    counts = raw_solid_waste["2018"]["tract"].value_counts()
    people = pd.Series(population)
    share = counts.reindex(people.index, fill_value=0) / counts.sum()
    ratio = (share / (people / people.sum())).to_numpy()
    expected = float(np.sum(np.where(ratio > 0, share * np.log(np.where(ratio > 0, ratio, 1.0)), 0.0)))
    assert split.total == pytest.approx(expected, rel=1e-9)
    assert 0 < split.between < split.total
    assert len(split.groups) == 56  # the 55 CSAs and the jail tract's 'Unassigned -- Jail'


def test_request_filters_and_layers(built, raw_solid_waste) -> None:
    by_prefix = read_area_requests(built, "csa", RequestFilter(service_code_prefixes=("SW-",)))
    raw = pd.concat([read_raw("2019"), read_raw("2018")])
    assert sum(by_prefix.counts().values()) + by_prefix.unlocated == raw["code"].str.startswith("SW-").sum()
    resident = RequestFilter(agencies=("Solid Waste",), exclude_service_codes=("SW-Rat Rubout Proactive",))
    both = read_area_requests(built, "csa", resident)
    sw = pd.concat(raw_solid_waste.values())
    assert sum(both.counts().values()) + both.unlocated == (sw["code"] != "SW-Rat Rubout Proactive").sum()
    with_duplicates = read_area_requests(
        built, "csa", RequestFilter(agencies=("Solid Waste",), include_duplicates=True)
    )
    assert sum(with_duplicates.counts().values()) + with_duplicates.unlocated == 1336 + 247
    with pytest.raises(EquityError, match="unknown area layer 'ward'"):
        read_area_requests(built, "ward")


def test_demographics_from_two_files_must_be_chosen(warehouse, baltimore, tmp_path) -> None:
    first, second = tmp_path / "first.csv", tmp_path / "second.csv"
    first.write_text("CSA,Population\nCanton,8100\nBaltimore City,600000\n")
    second.write_text("CSA,Population,PercentBlackAA\nCanton,8200,5.5\n")
    for path in (first, second):
        ingest_demographics(warehouse, path, layer="csa", key="CSA", profile=baltimore)
    with pytest.raises(EquityError, match=r"'Canton' comes from both first.csv and second.csv"):
        read_demographic(warehouse, "csa", "Population")
    assert read_demographic(warehouse, "csa", "Population", source="second.csv") == {"Canton": Estimate(8200)}
    assert read_citywide_value(warehouse, "csa", "Population") == Estimate(600_000)
    with pytest.raises(EquityError, match="no numeric values of 'Income'"):
        read_demographic(warehouse, "csa", "Income")


def test_equity_command_on_real_csas_matches_pandas(tmp_path, raw_solid_waste, nhp) -> None:
    """``citystat equity --agency 'Solid Waste' --layer csa`` run as a user runs it on the real 2019
    extract and the NHP CSA indicators: per CSA, requests, requests per 1,000 residents, median
    days to close and SEDT geographic disparity, and the days-to-close Gini, all against pandas."""
    path = tmp_path / "cli.duckdb"
    con = open_warehouse(path)
    profile = resolve_profile(con, "baltimore")
    load_baltimore_boundaries(con, profile)
    ingest_requests(con, [SAMPLE_2019], profile=profile)
    ingest_demographics(con, NHP, layer="csa", key="CSA", profile=profile)
    con.close()
    env = {**os.environ, "CITYSTAT_WAREHOUSE": str(path), "COLUMNS": "200", "NO_COLOR": "1"}
    args = [sys.executable, "-m", "citystat.cli", "equity", "--agency", "Solid Waste", "--layer", "csa"]
    done = subprocess.run([*args, "--format", "json"], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    raw = raw_solid_waste["2019"]
    want = per_csa(raw)
    counts = raw["csa"].value_counts().reindex(nhp.index, fill_value=0)
    in_nhp = counts / counts.sum()
    geographic = in_nhp - nhp["population"] / nhp["population"].sum()
    areas = {a["area"]: a for a in report["areas"]}
    assert report["requests"] + report["unlocated"] == 1336 - 15  # PROVENANCE: 15 duplicates
    assert report["unlocated"] == raw["csa"].isna().sum()
    for area, row in nhp.iterrows():
        got = areas[str(area)]
        assert got["requests"] == counts[area], area
        assert got["per_1000"] == pytest.approx(counts[area] / row["population"] * 1000, rel=1e-12), area
        assert got["geographic_disparity"] == pytest.approx(geographic[area], abs=1e-12), area
        if area in want.index and want.loc[area, "closed"] > 0:
            assert got["median_days_to_close"] == pytest.approx(want.loc[area, "median_days"], abs=1e-9)
    # Days to close: CSAs with at least 10 closed requests (fewer is too noisy), weighted by them.
    closed = want.query("closed >= 10")
    x, w = closed["median_days"].to_numpy(), closed["closed"].to_numpy(float)
    days = report["days_disparity"]
    assert days["areas"] == len(closed) == 5
    assert days["mean"] == pytest.approx(float((x * w).sum() / w.sum()), rel=1e-12)
    assert days["gini"] == pytest.approx(pairwise_gini(x, w), rel=1e-9)
    assert days["theil"] == pytest.approx(direct_theil(x, w), rel=1e-9)
    table = subprocess.run(args, capture_output=True, text=True, env=env, timeout=300)
    assert table.returncode == 0, table.stderr
    assert "Midway/Coldstream" in table.stdout and "Gini" in table.stdout
