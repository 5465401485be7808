"""The synthetic demo city generator: layout, determinism, geography and the planted faults and changes.

Everything is checked independently of the generator's internals: the CSV with the csv module, the
boundaries with shapely, dates with datetime.strptime.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely
from shapely.geometry import shape

from citystat.demo import DemoCity, build_geography, generate_city, write_geography

ROWS = 2_000
SEED = 7
MONTHS = 24
END = date.today().replace(day=1)
STATS_ROWS = 60_000
DATE_FORMAT = "%m/%d/%Y %I:%M:%S %p"
# fmt: off
HEADER = [
    "", "SRRecordID", "ServiceRequestNum", "SRType", "MethodReceived", "CreatedDate", "SRStatus",
    "StatusDate", "DueDate", "CloseDate", "Agency", "LastActivity", "LastActivityDate", "Outcome",
    "Address", "ZipCode", "Neighborhood", "CouncilDistrict", "PoliceDistrict", "PolicePost",
    "Latitude", "Longitude", "GeoLocation",
]
AGENCIES = {
    "BGE", "Call Center", "Finance", "Health", "Housing", "Recreation & Parks", "Solid Waste",
    "Transportation", "Water Wastewater",
}
# fmt: on
LAYERS = ("neighborhood", "csa", "council_district", "police_district")


@dataclass
class Generated:
    city: DemoCity
    rows: list[dict[str, str]]
    manifest: dict[str, Any]
    progress: list[tuple[int, int]]

    def fault(self, kind: str) -> dict[str, Any]:
        return next(f for f in self.manifest["faults"] if f["kind"] == kind)

    def by_row(self, numbers: list[int]) -> list[dict[str, str]]:
        return [self.rows[n - 1] for n in numbers]


def read_rows(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def parse(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, DATE_FORMAT)
    except ValueError:
        return None


def fast_parse(text: str) -> datetime:
    """Parse ``MM/DD/YYYY hh:mm:ss AM`` quickly (for the larger statistics file)."""
    hour = int(text[11:13]) % 12 + (12 if text[20] == "P" else 0)
    return datetime(int(text[6:10]), int(text[:2]), int(text[3:5]), hour, int(text[14:16]), int(text[17:19]))


def load(out_dir: Path, **kwargs: Any) -> Generated:
    calls: list[tuple[int, int]] = []
    city = generate_city(out_dir, progress=lambda done, total: calls.append((done, total)), **kwargs)
    manifest = json.loads(city.manifest_json.read_text(encoding="utf-8"))
    return Generated(city, read_rows(city.requests_csv), manifest, calls)


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return load(tmp_path_factory.mktemp("small"), rows=ROWS, seed=SEED, end=END, months=MONTHS)


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Generated:
    return load(tmp_path_factory.mktemp("large"), rows=STATS_ROWS, seed=SEED + 1, end=END, months=36)


def layer_shapes(city: DemoCity, layer: str) -> list[tuple[dict[str, str], Any]]:
    collection = json.loads(city.boundaries[layer].read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    return [(f["properties"], shape(f["geometry"])) for f in collection["features"]]


# --- layout ------------------------------------------------------------------------------------------


def test_generation_is_deterministic(small: Generated, tmp_path: Path) -> None:
    again = generate_city(tmp_path / "again", rows=ROWS, seed=SEED, end=END, months=MONTHS)
    files = [
        (small.city.requests_csv, again.requests_csv),
        (small.city.demographics_csv, again.demographics_csv),
        (small.city.manifest_json, again.manifest_json),
        *((small.city.boundaries[layer], again.boundaries[layer]) for layer in LAYERS),
    ]
    for first, second in files:
        assert first.read_bytes() == second.read_bytes(), first.name
    other = generate_city(tmp_path / "other", rows=ROWS, seed=SEED + 100, end=END, months=MONTHS)
    assert other.requests_csv.read_bytes() != small.city.requests_csv.read_bytes()


def test_exact_header_and_row_count(small: Generated) -> None:
    first_line = small.city.requests_csv.read_text(encoding="utf-8").split("\n", 1)[0]
    assert first_line == ",".join(f'"{name}"' for name in HEADER)
    assert small.city.rows_written == ROWS == len(small.rows) == small.manifest["rows_written"]
    assert [int(r[""]) for r in small.rows] == list(range(1, ROWS + 1))
    assert small.progress[-1] == (ROWS, ROWS)
    assert all(total == ROWS for _, total in small.progress)


def test_field_formats(small: Generated) -> None:
    for row in small.rows:
        assert re.fullmatch(r"[0-9A-Za-z]{18}", row["SRRecordID"])
        assert re.fullmatch(r"\d\d-\d{8}", row["ServiceRequestNum"])
        assert row["LastActivity"] == row["LastActivityDate"] == row["Outcome"] == row["PolicePost"] == "NA"
        created = parse(row["CreatedDate"])
        if created is not None:
            assert row["ServiceRequestNum"][:2] == f"{created.year % 100:02d}"
        if row["SRType"] == "ECC-Information Request":
            assert row["Latitude"] == row["Longitude"] == "NA"
            assert row["Address"] == "" and row["Neighborhood"] == ""
        elif row["Latitude"] != "0":
            lat, lon = float(row["Latitude"]), float(row["Longitude"])
            assert row["GeoLocation"] == f"({row['Latitude']}, {row['Longitude']})"
            assert 38.8 < lat < 39.0 and -76.52 < lon < -76.26
            assert re.fullmatch(
                r"\d+ .+, Chesapeake Point, 219\d\d|.+ & .+, Chesapeake Point, 219\d\d", row["Address"]
            )
            assert row["ZipCode"] == row["Address"][-5:]


def test_rows_are_newest_first_and_inside_the_window(small: Generated) -> None:
    start = date(END.year - MONTHS // 12, END.month, 1)
    assert small.manifest["window"] == {
        "start": start.isoformat(),
        "end": END.isoformat(),
        "end_exclusive": True,
    }
    created = [c for r in small.rows if (c := parse(r["CreatedDate"])) is not None]
    assert created == sorted(created, reverse=True)
    assert datetime.combine(start, datetime.min.time()) <= min(created)
    assert max(created) < datetime.combine(END, datetime.min.time())
    export = datetime.combine(END, datetime.min.time())
    for row in small.rows:
        status, close = parse(row["StatusDate"]), parse(row["CloseDate"]) if row["CloseDate"] else None
        assert status is not None and status <= export
        assert (close is not None) == row["SRStatus"].startswith("Closed")
        if close is not None:
            assert close <= export
        if (made := parse(row["CreatedDate"])) is not None:
            assert status >= made


def test_agencies_are_allowed_except_listed_typos(small: Generated) -> None:
    typo = small.fault("unknown_agency")
    odd = [r for r in small.rows if r["Agency"] not in AGENCIES]
    assert [int(r[""]) for r in odd] == typo["rows"]
    assert {r["Agency"] for r in odd} == {"Solid Wast"}
    assert all(r["SRType"].startswith("SW-") for r in odd)
    assert {r["Agency"] for r in small.rows} - {"Solid Wast"} == AGENCIES


def test_default_end_is_this_month(tmp_path: Path) -> None:
    city = generate_city(tmp_path, rows=1_000, seed=3, months=3)
    manifest = json.loads(city.manifest_json.read_text(encoding="utf-8"))
    assert manifest["window"]["end"] == date.today().replace(day=1).isoformat()
    assert city.rows_written == 1_000


def test_rejects_too_few_rows(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="rows"):
        generate_city(tmp_path, rows=10)


# --- planted faults ----------------------------------------------------------------------------------


def check_listed(
    gen: Generated, kind: str, has_fault: Callable[[dict[str, str]], bool]
) -> list[dict[str, str]]:
    """The rows flagged by ``has_fault`` are exactly the manifest's rows and ids for ``kind``."""
    fault = gen.fault(kind)
    flagged = [r for r in gen.rows if has_fault(r)]
    assert [int(r[""]) for r in flagged] == fault["rows"]
    assert list(dict.fromkeys(r["ServiceRequestNum"] for r in flagged)) == fault["request_ids"]
    assert fault["count"] == len(fault["rows"]) >= 3
    return flagged


def test_duplicate_id_conflicts(small: Generated) -> None:
    counts = Counter(r["ServiceRequestNum"] for r in small.rows)
    flagged = check_listed(small, "duplicate_id_conflict", lambda r: counts[r["ServiceRequestNum"]] > 1)
    assert set(counts[r["ServiceRequestNum"]] for r in flagged) == {2}
    pairs = defaultdict(list)
    for row in flagged:
        pairs[row["ServiceRequestNum"]].append(row)
    for first, second in pairs.values():
        assert int(second[""]) == int(first[""]) + 1
        assert first["SRStatus"] != second["SRStatus"] and first["CreatedDate"] == second["CreatedDate"]
        assert {k: v for k, v in first.items() if k != ""} != {k: v for k, v in second.items() if k != ""}


def test_closed_before_created(small: Generated) -> None:
    def bad(row: dict[str, str]) -> bool:
        made, close = parse(row["CreatedDate"]), parse(row["CloseDate"])
        return made is not None and close is not None and close < made

    for row in check_listed(small, "closed_before_created", bad):
        assert parse(row["CreatedDate"]) - parse(row["CloseDate"]) >= timedelta(days=1)  # type: ignore[operator]


def test_unparseable_dates(small: Generated) -> None:
    for row in check_listed(small, "unparseable_date", lambda r: parse(r["CreatedDate"]) is None):
        assert re.fullmatch(r"13/45/\d{4} 99:00:00 PM", row["CreatedDate"])


def test_placeholder_coordinates(small: Generated) -> None:
    zero = check_listed(small, "placeholder_coordinates", lambda r: r["Latitude"] == r["Longitude"] == "0")
    assert all(r["Address"] and r["Neighborhood"] == "" for r in zero)


def test_due_before_created(small: Generated) -> None:
    def early(row: dict[str, str]) -> bool:
        made, due = parse(row["CreatedDate"]), parse(row["DueDate"])
        return made is not None and due is not None and due < made

    for row in check_listed(small, "due_before_created", early):
        assert parse(row["CreatedDate"]) - parse(row["DueDate"]) == timedelta(hours=5)  # type: ignore[operator]


def test_missing_week_has_no_water_requests(large: Generated) -> None:
    fault = large.fault("missing_week")
    first, last = date.fromisoformat(fault["week_start"]), date.fromisoformat(fault["week_end"])
    assert (last - first).days == 6 and first.weekday() == 0 and fault["agency"] == "Water Wastewater"
    water: Counter[int] = Counter()
    for row in large.rows:
        if row["Agency"] == "Water Wastewater" and (made := parse(row["CreatedDate"])) is not None:
            water[(made.date() - first).days // 7] += 1
    assert water[0] == 0
    assert water[-1] > 20 and water[1] > 20


# --- geography ---------------------------------------------------------------------------------------


def test_boundaries_tile_the_city(small: Generated) -> None:
    outline = build_geography(SEED).outline
    minx, miny, maxx, maxy = outline.bounds
    assert abs((minx + maxx) / 2 + 76.40) < 0.03 and abs((miny + maxy) / 2 - 38.90) < 0.03
    assert 0.15 < maxx - minx < 0.25 and 0.11 < maxy - miny < 0.19
    expected_counts = {"neighborhood": 60, "csa": 12, "council_district": 8, "police_district": 5}
    for layer in LAYERS:
        shapes = layer_shapes(small.city, layer)
        geoms = [g for _, g in shapes]
        assert len(geoms) == expected_counts[layer]
        assert all(g.is_valid and g.geom_type in ("Polygon", "MultiPolygon") for g in geoms)
        union = shapely.union_all(geoms)
        total = sum(g.area for g in geoms)
        assert total - union.area < 1e-9 * outline.area + 1e-12  # no overlaps
        assert abs(total - outline.area) < 1e-5 * outline.area  # no gaps
        assert union.symmetric_difference(outline).area < 1e-5 * outline.area


def test_boundary_properties(small: Generated) -> None:
    hoods = [p for p, _ in layer_shapes(small.city, "neighborhood")]
    assert [p["id"] for p in hoods] == [f"N{i:02d}" for i in range(1, 61)]
    assert len({p["name"] for p in hoods}) == 60
    council = [p for p, _ in layer_shapes(small.city, "council_district")]
    assert council == [{"id": str(i), "name": f"District {i}"} for i in range(1, 9)]
    police = [p for p, _ in layer_shapes(small.city, "police_district")]
    assert [p["id"] for p in police] == ["1", "2", "3", "4", "5"] and police[0]["name"] == "Harbor"


def test_write_geography_matches_generate_city(small: Generated, tmp_path: Path) -> None:
    boundaries, demographics = write_geography(tmp_path, SEED)
    assert demographics.read_bytes() == small.city.demographics_csv.read_bytes()
    for layer in LAYERS:
        assert boundaries[layer].read_bytes() == small.city.boundaries[layer].read_bytes()


def test_points_lie_in_their_areas(small: Generated) -> None:
    areas = {
        (layer, props["name" if layer != "council_district" else "id"]): geom
        for layer in ("neighborhood", "council_district", "police_district")
        for props, geom in layer_shapes(small.city, layer)
    }
    fields = {
        "neighborhood": "Neighborhood",
        "council_district": "CouncilDistrict",
        "police_district": "PoliceDistrict",
    }
    located = [r for r in small.rows if r["Neighborhood"]]
    assert len(located) > ROWS * 0.8
    for layer, field in fields.items():
        for row in located:
            point = shapely.Point(float(row["Longitude"]), float(row["Latitude"]))
            assert areas[(layer, row[field])].contains(point), (layer, row[""])
    blank = [r for r in small.rows if not r["Neighborhood"] and r["Latitude"] not in ("NA", "0")]
    assert 0.01 * ROWS < len(blank) < 0.08 * ROWS
    assert all(r["CouncilDistrict"] == "NA" and r["PoliceDistrict"] == "" for r in blank)


def test_demographics(small: Generated) -> None:
    rows = read_rows(small.city.demographics_csv)
    assert list(rows[0]) == ["CSA", "Population", "PercentBlackAA", "PercentWhite", "MedianHHIncome"]
    csas, citywide = rows[:-1], rows[-1]
    assert citywide["CSA"] == "Citywide"
    assert [r["CSA"] for r in csas] == [p["name"] for p, _ in layer_shapes(small.city, "csa")]
    population = [int(r["Population"]) for r in csas]
    assert int(citywide["Population"]) == sum(population)
    black = [float(r["PercentBlackAA"]) for r in csas]
    weighted = sum(p * b for p, b in zip(population, black, strict=True)) / sum(population)
    assert abs(float(citywide["PercentBlackAA"]) - weighted) < 0.06
    income = [int(r["MedianHHIncome"]) for r in csas]
    assert 25_000 <= min(income) < 35_000 and 120_000 < max(income) <= 150_000
    assert statistics.correlation(black, income) < -0.5


# --- realistic patterns and planted performance changes (larger file) --------------------------------


def close_hours(row: dict[str, str]) -> float:
    return (fast_parse(row["CloseDate"]) - fast_parse(row["CreatedDate"])).total_seconds() / 3600


def created_month(row: dict[str, str]) -> str:
    """``YYYY-MM`` of the row's CreatedDate."""
    return row["CreatedDate"][6:10] + "-" + row["CreatedDate"][:2]


def clean_closed(gen: Generated, service: str) -> list[dict[str, str]]:
    faulty = {n for f in gen.manifest["faults"] for n in f["rows"]}
    return [r for r in gen.rows if r["SRType"] == service and r["CloseDate"] and int(r[""]) not in faulty]


def change(gen: Generated, service: str) -> dict[str, Any]:
    return next(c for c in gen.manifest["performance_changes"] if c["service_type"] == service)


def test_pothole_close_time_doubles(large: Generated) -> None:
    planted = change(large, "TRM-Pothole Repair")
    assert planted["direction"] == "increase" and planted["months_before_end"] == 9
    rows = clean_closed(large, "TRM-Pothole Repair")
    before = [close_hours(r) for r in rows if created_month(r) < planted["start_month"]]
    after = [close_hours(r) for r in rows if created_month(r) >= planted["start_month"]]
    assert len(before) > 500 and len(after) > 300
    assert 1.6 < statistics.median(after) / statistics.median(before) < 2.4


def test_bulk_on_time_share_improves(large: Generated) -> None:
    planted = change(large, "SW-Bulk Scheduled")
    rows = clean_closed(large, "SW-Bulk Scheduled")

    def on_time(subset: list[dict[str, str]]) -> float:
        return sum(fast_parse(r["CloseDate"]) <= fast_parse(r["DueDate"]) for r in subset) / len(subset)

    month = planted["start_month"]
    before = on_time([r for r in rows if created_month(r) < month])
    after = on_time([r for r in rows if created_month(r) >= month])
    assert before < 0.7 and after > 0.85


def test_seasonality_and_weekdays(large: Generated) -> None:
    by_month: dict[str, Counter[int]] = defaultdict(Counter)
    weekday: Counter[int] = Counter()
    for row in large.rows:
        if row["CreatedDate"].startswith("13/"):
            continue
        made = fast_parse(row["CreatedDate"])
        by_month[row["SRType"]][made.month] += 1
        weekday[made.weekday()] += 1
    pothole, rats, leaks = (
        by_month["TRM-Pothole Repair"],
        by_month["SW-Rat Rubout"],
        by_month["WW-Water Leak (Exterior)"],
    )
    assert pothole[2] + pothole[3] + pothole[4] > 2 * (pothole[8] + pothole[9] + pothole[10])
    assert rats[6] + rats[7] + rats[8] > 2 * (rats[12] + rats[1] + rats[2])
    assert leaks[12] + leaks[1] + leaks[2] > 1.5 * (leaks[6] + leaks[7] + leaks[8])
    assert min(weekday[d] for d in range(5)) > 1.5 * max(weekday[5], weekday[6])


def test_methods_and_statuses(large: Generated) -> None:
    n = len(large.rows)
    methods = Counter(r["MethodReceived"] for r in large.rows)
    assert 0.42 < methods["Phone"] / n < 0.60 and 0.18 < methods["API"] / n < 0.32
    assert 0.14 < methods["System"] / n < 0.26 and {"Internal", "Email", "Mail"} <= set(methods)
    statuses = Counter(r["SRStatus"] for r in large.rows)
    assert 0.006 < statuses["Closed (Duplicate)"] / n < 0.015
    assert 0.003 < statuses["Closed (Transferred)"] / n < 0.008
    assert statuses["Open (Duplicate)"] > 0
    recent = large.rows[:1000]
    assert sum(not r["CloseDate"] for r in recent) > 100
    old = large.rows[-20_000:]
    assert sum(bool(r["CloseDate"]) for r in old) / len(old) > 0.97


def test_slower_service_in_lower_income_areas(large: Generated) -> None:
    demographics = read_rows(large.city.demographics_csv)
    income = {r["CSA"]: int(r["MedianHHIncome"]) for r in demographics[:-1]}
    citywide = int(demographics[-1]["MedianHHIncome"])
    hood_csa = {}
    csa_shapes = layer_shapes(large.city, "csa")
    for props, geom in layer_shapes(large.city, "neighborhood"):
        point = geom.representative_point()
        hood_csa[props["name"]] = next(p["name"] for p, g in csa_shapes if g.contains(point))
    ratio: dict[bool, list[float]] = {True: [], False: []}
    for service in (
        "SW-Dirty Alley",
        "HCD-Sanitation Property",
        "SW-Bulk Scheduled",
        "TRS-Parking Complaint",
    ):
        rows = [r for r in clean_closed(large, service) if r["Neighborhood"]]
        median = statistics.median(close_hours(r) for r in rows)
        for row in rows:
            ratio[income[hood_csa[row["Neighborhood"]]] < citywide].append(close_hours(row) / median)
    assert statistics.median(ratio[True]) > 1.15 * statistics.median(ratio[False])
