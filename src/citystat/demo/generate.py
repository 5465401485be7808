"""Generate "Chesapeake Point", a clearly SYNTHETIC demo city, as the data files a real city publishes.

The city lies in the Chesapeake Bay (around lon -76.40, lat 38.90) so it can never be mistaken for a
real place. It has neighbourhood, CSA, council-district and police-district boundaries (GeoJSON),
CSA demographics (CSV) and a 311 export in Baltimore's classic Open Data layout (CSV), which the
rest of citystat ingests through its normal ingest path. A manifest (JSON) lists the data-quality
faults and the real performance changes planted in the requests, so tests and demos can check
that citystat finds them.

Requests are generated day block by day block, newest first, with numpy and written with pyarrow's
CSV writer, so memory stays bounded and 1M rows take seconds. Same arguments, same bytes.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import shapely
from numpy.typing import NDArray

IntArray = NDArray[np.int64]
FloatArray = NDArray[np.float64]
BoolArray = NDArray[np.bool_]
ByteMatrix = NDArray[np.uint8]
ProgressFn = Callable[[int, int], None]

CITY_NAME = "Chesapeake Point"
CENTER_LON = -76.40
CENTER_LAT = 38.90
HALF_WIDTH_DEG = 0.10
HALF_HEIGHT_DEG = 0.075
KM_PER_DEG_LAT = 111.0
KM_PER_DEG_LON = 111.32 * math.cos(math.radians(CENTER_LAT))
GRID_DEG = 1e-6
INNER_MARGIN_DEG = 2e-5
N_NEIGHBORHOODS = 60
N_CSAS = 12
N_COUNCIL_DISTRICTS = 8
N_POLICE_DISTRICTS = 5
ADDRESSES_PER_NEIGHBORHOOD = 800
CHUNK_ROWS = 200_000
MIN_ROWS = 1_000
MIN_MONTHS = 2
SECONDS_PER_DAY = 86_400
FAULT_SCALE_ROWS = 200_000
MIN_FAULT_ROWS = 3
BLANK_AREA_SHARE = 0.04
EQUITY_ELASTICITY = -0.3

BOUNDARY_FILES = {
    "neighborhood": "neighborhood.geojson",
    "csa": "csa.geojson",
    "council_district": "council_district.geojson",
    "police_district": "police_district.geojson",
}
REQUESTS_FILE = "requests.csv"
DEMOGRAPHICS_FILE = "demographics.csv"
MANIFEST_FILE = "manifest.json"

# fmt: off
HEADER = (
    "", "SRRecordID", "ServiceRequestNum", "SRType", "MethodReceived", "CreatedDate", "SRStatus",
    "StatusDate", "DueDate", "CloseDate", "Agency", "LastActivity", "LastActivityDate", "Outcome",
    "Address", "ZipCode", "Neighborhood", "CouncilDistrict", "PoliceDistrict", "PolicePost",
    "Latitude", "Longitude", "GeoLocation",
)
DEMOGRAPHICS_HEADER = ("CSA", "Population", "PercentBlackAA", "PercentWhite", "MedianHHIncome")

AGENCIES = (
    "BGE", "Call Center", "Finance", "Health", "Housing", "Recreation & Parks", "Solid Waste",
    "Transportation", "Water Wastewater",
)
TYPO_AGENCY = "Solid Wast"
MISSING_WEEK_AGENCY = "Water Wastewater"
METHODS = ("Phone", "API", "System", "Internal", "Email", "Mail")
METHOD_PROFILES = {
    "public": (56.0, 28.0, 11.0, 2.0, 2.0, 1.0),
    "system": (0.0, 0.0, 90.0, 10.0, 0.0, 0.0),
    "call": (97.0, 0.0, 0.0, 0.0, 2.0, 1.0),
}
STATUSES = (
    "Closed", "Closed (Duplicate)", "Closed (Transferred)", "Open", "New", "Pending", "Open (Duplicate)",
)
CLOSED, CLOSED_DUP, CLOSED_TRANSFERRED, OPEN, NEW, PENDING, OPEN_DUP = range(7)
WEEKDAY_FACTORS = (1.12, 1.08, 1.05, 1.02, 0.95, 0.45, 0.35)  # Monday .. Sunday
HOUR_WEIGHTS_WEEKDAY = (
    0.3, 0.2, 0.0, 0.15, 0.2, 0.5, 1.5, 4.0, 7.0, 8.5, 8.5, 8.0,
    7.5, 8.0, 8.0, 7.5, 6.0, 4.0, 3.0, 2.2, 1.8, 1.3, 0.9, 0.5,
)  # no 2 AM: it does not exist on the spring DST day
HOUR_WEIGHTS_WEEKEND = (
    0.5, 0.3, 0.0, 0.2, 0.2, 0.4, 0.8, 1.5, 3.0, 4.5, 5.5, 6.0,
    6.0, 5.5, 5.0, 4.5, 4.0, 3.5, 3.0, 2.5, 2.0, 1.5, 1.0, 0.7,
)


@dataclass(frozen=True)
class ServiceType:
    """One 311 service type: who handles it, how common it is, its SLA and how long it takes."""

    code: str
    agency: str
    share: float  # relative volume
    sla_days: float
    median_hours: float  # median time to close (lognormal)
    sigma: float  # lognormal spread of the close time
    peak_month: float  # 1 = mid-January
    seasonality: float  # von Mises concentration: 0 flat, ~1 clear peak, 4 sharp
    poverty: float  # >0: more requests per capita in lower-income areas
    located: bool = True
    methods: str = "public"


SW, TR, HCD, WW = "Solid Waste", "Transportation", "Housing", "Water Wastewater"
RP, HL = "Recreation & Parks", "Health"
SERVICE_TYPES = (
    ServiceType("SW-Bulk Scheduled", SW, 7.0, 14, 320, 0.55, 6, 0.2, 0.3),
    ServiceType("SW-Rat Rubout Proactive", SW, 6.0, 10, 60, 0.9, 7.5, 0.8, 1.0, methods="system"),
    ServiceType("SW-Rat Rubout", SW, 3.5, 10, 110, 0.8, 7.5, 0.8, 0.9),
    ServiceType("SW-Dirty Alley", SW, 5.0, 10, 120, 0.9, 7, 0.7, 1.0),
    ServiceType("SW-Dirty Alley Proactive", SW, 1.5, 10, 80, 0.9, 7, 0.6, 1.0, methods="system"),
    ServiceType("SW-Dirty Street", SW, 2.5, 10, 100, 0.9, 7, 0.5, 0.8),
    ServiceType("SW-Dirty Street Proactive", SW, 2.5, 10, 70, 0.9, 7, 0.5, 0.8, methods="system"),
    ServiceType("SW-Missed Trash", SW, 3.0, 2, 30, 0.8, 7, 0.2, 0.2),
    ServiceType("SW-Recycling", SW, 1.5, 3, 40, 0.8, 7, 0.1, -0.4),
    ServiceType("SW-Cleaning", SW, 2.0, 10, 130, 0.9, 7, 0.4, 0.9),
    ServiceType("SW-Mixed Refuse", SW, 1.2, 7, 90, 0.9, 6, 0.3, 0.7),
    ServiceType("SW-Appliance (White Goods)", SW, 1.0, 14, 200, 0.7, 6, 0.2, 0.3),
    ServiceType("SW-Municipal Trash Can Concern", SW, 1.2, 21, 260, 0.7, 5, 0.1, 0.0),
    ServiceType("SW-Public (Corner) Trash Can Issue", SW, 0.7, 14, 180, 0.8, 6, 0.3, 0.3),
    ServiceType("SW-Graffiti Removal", SW, 0.7, 10, 150, 0.9, 7, 0.3, 0.4),
    ServiceType("SW-Graffiti Removal Proactive", SW, 1.0, 10, 100, 0.9, 7, 0.3, 0.4, methods="system"),
    ServiceType("SW-Boarding", SW, 0.8, 5, 70, 0.8, 7, 0.1, 1.2),
    ServiceType("TRM-Pothole Repair", TR, 4.0, 2, 40, 0.9, 3, 1.0, 0.1),
    ServiceType("TRM-Streetlight Outage", TR, 2.0, 5, 90, 0.9, 12, 0.4, 0.2),
    ServiceType("TRM-Street Repairs", TR, 1.2, 30, 400, 1.0, 4, 0.5, 0.1),
    ServiceType("TRM-Sidewalk Repair", TR, 0.8, 60, 900, 1.0, 5, 0.2, -0.2),
    ServiceType("TRM-Snow And Ice Removal", TR, 0.6, 1, 20, 0.8, 1.5, 4.0, 0.0),
    ServiceType("TRS-Parking Complaint", TR, 5.0, 1, 5, 1.1, 6, 0.1, -0.6),
    ServiceType("TRS-Abandoned Vehicle", TR, 3.0, 10, 110, 0.9, 6, 0.1, 0.6),
    ServiceType("TRT-Traffic Signal Repairs", TR, 1.0, 2, 18, 0.9, 7, 0.2, 0.0),
    ServiceType("TRT-Sign New/Remove/Change", TR, 0.7, 30, 450, 0.9, 4, 0.1, -0.1),
    ServiceType("HCD-Sanitation Property", HCD, 5.0, 30, 300, 0.8, 7, 0.5, 1.1),
    ServiceType("HCD-Vacant Building", HCD, 2.0, 60, 700, 0.9, 6, 0.1, 1.5),
    ServiceType("HCD-Illegal Dumping", HCD, 3.0, 10, 160, 0.9, 7, 0.5, 1.0),
    ServiceType("HCD-Tall Grass Weeds Cleaning", HCD, 1.2, 21, 320, 0.8, 7, 1.5, 1.0),
    ServiceType("HCD-CCE Building Permit Complaint", HCD, 0.7, 30, 500, 0.9, 6, 0.1, -0.2),
    ServiceType("HCD-Maintenance Structure", HCD, 1.0, 30, 450, 0.9, 6, 0.1, 0.9),
    ServiceType("WW-Water Leak (Exterior)", WW, 3.0, 5, 60, 1.0, 1, 0.8, 0.2),
    ServiceType("WW-Sewer Water In Basement", WW, 1.2, 1, 10, 0.8, 8, 0.4, 0.3),
    ServiceType("WW-Water Main Break", WW, 0.6, 1, 14, 0.8, 1, 1.5, 0.1),
    ServiceType("WW-Water No Water", WW, 0.6, 1, 8, 0.9, 1, 1.0, 0.2),
    ServiceType("WW-Storm Flooded Street", WW, 0.6, 2, 30, 0.9, 8, 1.0, 0.3),
    ServiceType("WW-Storm Inlet Cleaning", WW, 0.8, 10, 170, 0.9, 10, 0.6, 0.3),
    ServiceType("WW-Water Meter Leak", WW, 0.7, 15, 240, 0.9, 2, 0.3, 0.0),
    ServiceType("ECC-Information Request", "Call Center", 4.0, 2, 0.1, 0.9, 6, 0.1, 0.0, False, "call"),
    ServiceType("HLTH-Rat Complaint", HL, 1.2, 14, 150, 0.8, 7.5, 1.0, 0.8),
    ServiceType("HLTH-Food Facility Complaint", HL, 0.5, 7, 110, 0.8, 7, 0.3, 0.0),
    ServiceType("HLTH-Animal In Danger/Injured/Abused/Neglected", HL, 0.8, 2, 24, 0.9, 7, 0.4, 0.7),
    ServiceType("HLTH-Mosquito Complaint", HL, 0.3, 7, 120, 0.8, 8, 2.0, 0.3),
    ServiceType("RP-Tree Pruning", RP, 1.8, 60, 900, 0.9, 6, 0.3, -0.5),
    ServiceType("RP-Tree Removal", RP, 0.8, 90, 1400, 0.9, 6, 0.2, 0.0),
    ServiceType("RP-Tree Emergency", RP, 0.7, 1, 20, 0.9, 7, 1.0, 0.0),
    ServiceType("RP-Park Maintenance", RP, 0.5, 14, 200, 0.9, 6, 0.8, 0.2),
    ServiceType("BGE-StLight(s) Out", "BGE", 1.5, 5, 100, 0.9, 12, 0.4, 0.2),
    ServiceType("BGE-Tree Trimming Near Lines", "BGE", 0.3, 30, 500, 0.9, 6, 0.4, -0.2),
    ServiceType("FIN-Water Bill Dispute", "Finance", 0.9, 30, 350, 0.8, 3, 0.2, 0.3),
    ServiceType("FIN-Parking Fine Inquiry", "Finance", 0.3, 30, 300, 0.8, 6, 0.1, 0.0),
)


@dataclass(frozen=True)
class PerformanceChange:
    """A real change in how a service performs, planted from a month onwards (not a data fault)."""

    service_type: str
    metric: str  # "median_close_time" | "on_time_share" | "request_volume"
    months_before_end: int
    factor: float  # multiplies close durations (or volume) from that month on
    direction: str  # direction the metric moves: "increase" | "decrease"
    expected: str  # "worse" | "better" | "neutral"
    description: str


PERFORMANCE_CHANGES = (
    PerformanceChange("TRM-Pothole Repair", "median_close_time", 9, 2.0, "increase", "worse",
                      "median close time doubles"),
    PerformanceChange("SW-Bulk Scheduled", "on_time_share", 6, 0.45, "increase", "better",
                      "close times drop to 0.45x, so the on-time share rises from about 50% to about 90%"),
    PerformanceChange("WW-Water Leak (Exterior)", "median_close_time", 4, 0.5, "decrease", "better",
                      "median close time halves"),
    PerformanceChange("HCD-Sanitation Property", "request_volume", 12, 1.5, "increase", "neutral",
                      "request volume rises by half (close times unchanged)"),
)


@dataclass(frozen=True)
class FaultKind:
    kind: str
    base_count: int  # rows at FAULT_SCALE_ROWS rows; scaled by sqrt(rows / FAULT_SCALE_ROWS)
    description: str


FAULT_KINDS = (
    FaultKind("duplicate_id_conflict", 20,
              "ServiceRequestNum (and SRRecordID) appears twice: the second row is a stale copy with a "
              "different SRStatus and StatusDate and no CloseDate"),
    FaultKind("closed_before_created", 15, "CloseDate is 1-10 days (plus some hours) before CreatedDate"),
    FaultKind("unparseable_date", 10, "CreatedDate is an impossible date like '13/45/YYYY 99:00:00 PM'"),
    FaultKind("unknown_agency", 10, f"Agency is the typo '{TYPO_AGENCY}' (a Solid Waste request)"),
    FaultKind("placeholder_coordinates", 25,
              "Latitude and Longitude are exactly 0, 0 (address present; Neighborhood, CouncilDistrict and "
              "PoliceDistrict blank)"),
    FaultKind("due_before_created", 30, "DueDate is exactly 5 hours before CreatedDate"),
)
FAULT_INDEX = {f.kind: i + 1 for i, f in enumerate(FAULT_KINDS)}  # 0 = no fault

NEIGHBORHOOD_WORDS = (
    "Osprey", "Heron", "Tidewater", "Oyster", "Bayberry", "Saltmarsh", "Skipjack", "Terrapin", "Cordgrass",
    "Menhaden", "Sandpiper", "Egret", "Kingfisher", "Cattail", "Loblolly", "Wren", "Driftwood", "Cormorant",
    "Eelgrass", "Windlass", "Lantern", "Pilot", "Capstan", "Bluefish", "Marsh Hawk", "Shad", "Rockfish",
    "Sea Lavender", "Spartina", "Tern", "Plover", "Mallow", "Bulrush", "Widgeon", "Canvasback", "Goldeneye",
    "Merganser", "Bufflehead", "Scaup", "Pintail", "Teal", "Gadwall", "Brant", "Whelk", "Quahog",
    "Periwinkle", "Mussel", "Buoy", "Jetty", "Seawall", "Tiller", "Halyard", "Bowline", "Mooring",
    "Sextant", "Compass Rose", "Beacon", "Crabpot", "Trotline", "Oarlock", "Sailcloth", "Gunwale", "Shoal",
    "Marsh Elder",
)
NEIGHBORHOOD_SUFFIXES = (
    "Landing", "Flats", "Heights", "Cove", "Commons", "Reach", "Point", "Hollow", "Row", "Crossing",
    "Terrace", "Gardens", "Bluff", "Wharf", "Meadows", "Shores", "Green", "Square", "Hill", "Run",
)
STREET_WORDS = (
    "MAINSAIL", "JIB", "KEEL", "RUDDER", "BOWSPRIT", "FATHOM", "LEEWARD", "WINDWARD", "SPINNAKER",
    "TOPSAIL", "GANGWAY", "CLEAT", "DORY", "SLOOP", "KETCH", "YAWL", "SCHOONER", "BUGEYE", "LOG CANOE",
    "OYSTER SHELL", "SWEETGUM", "PERSIMMON", "SASSAFRAS", "PAWPAW", "SWEETBAY", "WAX MYRTLE", "BLACK GUM",
    "TUPELO", "SPICEBUSH", "BEACH PLUM", "SEA OATS", "SALT HAY", "CRAB CREEK", "TIDE MILL", "NET LOFT",
    "SAIL LOFT", "CANNERY", "SHUCKING HOUSE", "FERRY SLIP", "BOATWRIGHT", "CAULKER", "ROPEWALK",
    "SHIPYARD", "CHANDLERY", "WATERMAN", "DREDGE", "TONGER", "DEADRISE", "BATEAU", "PUNGY",
)
STREET_SUFFIXES = ("ST", "AVE", "RD", "LN", "WAY", "CT", "PL", "DR", "TER")
# fmt: on
POLICE_COMPASS_NAMES = ("Northside", "Eastshore", "Southpoint", "Westmarsh")
POLICE_CENTRAL_NAME = "Harbor"
BASE62 = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
RECORD_ID_PREFIX = b"5004Q"
RECORD_ID_DIGITS = 13


@dataclass(frozen=True)
class DemoCity:
    requests_csv: Path
    boundaries: dict[str, Path]  # layer -> GeoJSON path
    demographics_csv: Path  # one row per CSA + a "Citywide" total row
    manifest_json: Path  # planted faults and planted performance changes
    rows_written: int


# ---------------------------------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Geography:
    """The city's areas (lon/lat shapely geometries) and its CSA demographics."""

    outline: Any
    cells: list[Any]  # neighbourhood polygons; index = neighbourhood number
    names: list[str]  # neighbourhood names
    csa_of: IntArray  # neighbourhood -> CSA index
    council_of: IntArray  # neighbourhood -> council district index (district number - 1)
    police_of: IntArray  # neighbourhood -> police district index
    csa_names: list[str]
    police_names: list[str]
    population: FloatArray  # per neighbourhood
    csa_population: IntArray
    csa_pct_black: FloatArray
    csa_pct_white: FloatArray
    csa_income: IntArray

    def layer_polygons(self, layer: str) -> list[Any]:
        """The polygons of ``layer``, unions of neighbourhood cells, in id order."""
        if layer == "neighborhood":
            return self.cells
        groups = {"csa": self.csa_of, "council_district": self.council_of, "police_district": self.police_of}
        return dissolve_cells(self.cells, groups[layer])

    def citywide_income(self) -> int:
        """Population-weighted median of the CSA median household incomes."""
        order = np.argsort(self.csa_income, kind="stable")
        cum = np.cumsum(self.csa_population[order])
        return int(self.csa_income[order][int(np.searchsorted(cum, cum[-1] / 2))])


def build_geography(seed: int) -> Geography:
    """Lay out the synthetic city for ``seed``: outline, neighbourhoods, groupings and demographics."""
    rng = np.random.default_rng([seed, 1])
    outline_km = make_outline_km(rng)
    outline = snap(shapely.Polygon(km_to_degrees(outline_km)))
    seeds = relax_seeds(sample_in_polygon(shapely.Polygon(outline_km), N_NEIGHBORHOODS, rng), outline_km)
    cells = order_cells(voronoi_cells(seeds, outline))
    centres = degrees_to_km(np.array([c.centroid.coords[0] for c in cells]))
    csa_of = order_groups(group_points(centres, N_CSAS, rng), centres)
    council_of = order_groups(group_points(centres, N_COUNCIL_DISTRICTS, rng), centres)
    police_of, police_names = name_police_districts(group_points(centres, N_POLICE_DISTRICTS, rng), centres)
    names = name_neighborhoods(len(cells), rng)
    areas = np.array([c.area for c in cells])
    csa_population = rng.integers(14_000, 52_000, N_CSAS).astype(np.int64)
    population = split_population(csa_population, csa_of, areas, rng)
    pct_black, pct_white, income = make_demographics(csa_of, centres, rng)
    return Geography(
        outline=polygonal(shapely.union_all(cells, grid_size=GRID_DEG)),
        cells=cells,
        names=names,
        csa_of=csa_of,
        council_of=council_of,
        police_of=police_of,
        csa_names=name_csas(csa_of, names, population),
        police_names=police_names,
        population=population,
        csa_population=csa_population,
        csa_pct_black=pct_black,
        csa_pct_white=pct_white,
        csa_income=income,
    )


def make_outline_km(rng: np.random.Generator) -> FloatArray:
    """An irregular, star-shaped city outline around (0, 0) in km, as (n, 2) vertices."""
    angles = np.linspace(0.0, 2 * np.pi, 48, endpoint=False)
    a, b = HALF_WIDTH_DEG * KM_PER_DEG_LON, HALF_HEIGHT_DEG * KM_PER_DEG_LAT
    radius = a * b / np.hypot(b * np.cos(angles), a * np.sin(angles))
    wobble = np.ones_like(angles)
    for harmonic, amplitude in ((2, 0.07), (3, 0.08), (5, 0.05), (9, 0.025)):
        wobble += amplitude * np.cos(harmonic * angles + rng.uniform(0, 2 * np.pi))
    radius = radius * wobble
    return np.column_stack([radius * np.cos(angles), radius * np.sin(angles)])


def km_to_degrees(xy: FloatArray) -> FloatArray:
    return np.column_stack([CENTER_LON + xy[:, 0] / KM_PER_DEG_LON, CENTER_LAT + xy[:, 1] / KM_PER_DEG_LAT])


def degrees_to_km(lonlat: FloatArray) -> FloatArray:
    return np.column_stack(
        [(lonlat[:, 0] - CENTER_LON) * KM_PER_DEG_LON, (lonlat[:, 1] - CENTER_LAT) * KM_PER_DEG_LAT]
    )


def snap(geom: Any) -> Any:
    """``geom`` with every vertex on the 1e-6 degree grid the GeoJSON files are written at."""
    return shapely.set_precision(geom, GRID_DEG)


def sample_in_polygon(polygon: Any, n: int, rng: np.random.Generator) -> FloatArray:
    """``n`` uniform random points inside ``polygon`` (rejection sampling), as (n, 2)."""
    minx, miny, maxx, maxy = polygon.bounds
    found: list[FloatArray] = []
    have = 0
    while have < n:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(max(4 * n, 64), 2))
        xy = xy[shapely.contains_xy(polygon, xy[:, 0], xy[:, 1])]
        found.append(xy)
        have += len(xy)
    return np.concatenate(found)[:n]


def relax_seeds(seeds: FloatArray, outline_km: FloatArray, rounds: int = 3) -> FloatArray:
    """Lloyd relaxation: move each seed to its Voronoi cell's centroid, for evenly sized cells."""
    outline = shapely.Polygon(outline_km)
    for _ in range(rounds):
        cells = shapely.intersection(raw_voronoi(seeds, outline), outline)
        seeds = shapely.get_coordinates(shapely.centroid(cells))
    return seeds


def raw_voronoi(seeds: FloatArray, outline: Any) -> Any:
    """Voronoi cells of ``seeds`` (in their order), extended well past ``outline``."""
    region = shapely.box(*outline.bounds).buffer(outline.length)
    collection = shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=region, ordered=True)
    return shapely.get_parts(collection)


def voronoi_cells(seeds_km: FloatArray, outline: Any) -> list[Any]:
    """Neighbourhood polygons in lon/lat: Voronoi cells of the seeds clipped to the outline, on the grid."""
    raw = raw_voronoi(seeds_km, shapely.Polygon(degrees_to_km(shapely.get_coordinates(outline))))
    in_degrees = shapely.transform(raw, km_to_degrees)
    clipped = shapely.intersection(in_degrees, outline, grid_size=GRID_DEG)
    return [polygonal(c) for c in clipped if not c.is_empty]


def polygonal(geom: Any) -> Any:
    """The polygon(s) of ``geom`` (an overlay may add stray points or lines) as a Polygon or MultiPolygon."""
    parts = [p for p in shapely.get_parts(geom) if p.geom_type == "Polygon" and p.area > 0]
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def order_cells(cells: list[Any]) -> list[Any]:
    """Cells in reading order: north to south in bands, west to east within a band."""
    xy = np.array([c.centroid.coords[0] for c in cells])
    band = np.floor((CENTER_LAT + HALF_HEIGHT_DEG * 1.5 - xy[:, 1]) / 0.03)
    return [cells[i] for i in np.lexsort((xy[:, 0], band))]


def dissolve_cells(cells: list[Any], group_of: IntArray) -> list[Any]:
    """Union of the cells of each group, in group order."""
    return [
        polygonal(shapely.union_all([cells[i] for i in np.flatnonzero(group_of == g)], grid_size=GRID_DEG))
        for g in range(int(group_of.max()) + 1)
    ]


def group_points(points: FloatArray, k: int, rng: np.random.Generator) -> IntArray:
    """k-means labels of ``points`` into ``k`` non-empty, compact groups (farthest-point start)."""
    centres = [points[int(rng.integers(len(points)))]]
    for _ in range(k - 1):
        dist = np.min(np.linalg.norm(points[:, None, :] - np.array(centres)[None], axis=2), axis=1)
        centres.append(points[int(np.argmax(dist))])
    centre_arr = np.array(centres)
    labels = nearest_centre(points, centre_arr)
    for _ in range(25):
        centre_arr = np.array([points[labels == g].mean(axis=0) for g in range(k)])
        new = nearest_centre(points, centre_arr)
        if np.bincount(new, minlength=k).min() == 0 or np.array_equal(new, labels):
            break
        labels = new
    return labels


def nearest_centre(points: FloatArray, centres: FloatArray) -> IntArray:
    dist = np.linalg.norm(points[:, None, :] - centres[None], axis=2)
    return np.asarray(np.argmin(dist, axis=1), dtype=np.int64)


def group_centres(labels: IntArray, points: FloatArray) -> FloatArray:
    return np.array([points[labels == g].mean(axis=0) for g in range(int(labels.max()) + 1)])


def order_groups(labels: IntArray, points: FloatArray) -> IntArray:
    """Relabel groups in reading order (north-west first) so ids read naturally on a map."""
    centres = group_centres(labels, points)
    order = np.lexsort((centres[:, 0], np.floor(-centres[:, 1] / 4.0)))
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return rank[labels].astype(np.int64)


def name_police_districts(labels: IntArray, points: FloatArray) -> tuple[IntArray, list[str]]:
    """Police districts: the central one is "Harbor" (id 1), the rest named by compass bearing."""
    centres = group_centres(labels, points)
    central = int(np.argmin(np.hypot(centres[:, 0], centres[:, 1])))
    bearing = np.mod(np.degrees(np.arctan2(centres[:, 0], centres[:, 1])) + 45.0, 360.0)
    others = [int(g) for g in np.argsort(bearing, kind="stable") if g != central]
    order = [central, *others]
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[labels], [POLICE_CENTRAL_NAME, *POLICE_COMPASS_NAMES[: len(others)]]


def name_neighborhoods(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct invented neighbourhood names such as "Osprey Landing"."""
    words = rng.permutation(len(NEIGHBORHOOD_WORDS))[:n]
    suffixes = rng.integers(0, len(NEIGHBORHOOD_SUFFIXES), n)
    return [
        f"{NEIGHBORHOOD_WORDS[w]} {NEIGHBORHOOD_SUFFIXES[s]}" for w, s in zip(words, suffixes, strict=True)
    ]


def name_csas(csa_of: IntArray, names: list[str], population: FloatArray) -> list[str]:
    """CSA names in Baltimore's style: its two most populous neighbourhoods, "A/B"."""
    result = []
    for g in range(int(csa_of.max()) + 1):
        members = np.flatnonzero(csa_of == g)
        top = members[np.argsort(-population[members], kind="stable")][:2]
        result.append("/".join(names[i] for i in top))
    return result


def split_population(
    csa_population: IntArray, csa_of: IntArray, areas: FloatArray, rng: np.random.Generator
) -> FloatArray:
    """Each CSA's population shared among its neighbourhoods by area, with some variation."""
    weight = areas * rng.uniform(0.6, 1.4, len(areas))
    total = np.bincount(csa_of, weights=weight)
    return np.asarray(csa_population[csa_of] * weight / total[csa_of], dtype=np.float64)


def make_demographics(
    csa_of: IntArray, centres: FloatArray, rng: np.random.Generator
) -> tuple[FloatArray, FloatArray, IntArray]:
    """Percent Black, percent white and median household income per CSA.

    Race follows a spatial gradient (segregation), and income falls as the Black share rises, as in
    real US cities, so equity analysis has something to find. Incomes span about 26k-148k.
    """
    k = int(csa_of.max()) + 1
    csa_xy = group_centres(csa_of, centres)
    angle = rng.uniform(0, 2 * np.pi)
    proj = csa_xy @ np.array([np.cos(angle), np.sin(angle)])
    proj = proj / np.abs(proj).max()
    pct_black = np.clip(50 + 38 * proj + rng.normal(0, 8, k), 3, 95)
    log_income = -0.02 * (pct_black - 50) + rng.normal(0, 0.15, k)
    span = (log_income - log_income.min()) / (log_income.max() - log_income.min())
    income = np.exp(np.log(26_000) + span * (np.log(148_000) - np.log(26_000)))
    pct_white = (100 - pct_black) * rng.uniform(0.72, 0.92, k)
    return np.round(pct_black, 1), np.round(pct_white, 1), (np.round(income / 10) * 10).astype(np.int64)


def write_geography(out_dir: Path, seed: int) -> tuple[dict[str, Path], Path]:
    """Write the boundary layers (GeoJSON) and CSA demographics (CSV); return their paths."""
    return write_geography_files(out_dir, build_geography(seed))


def write_geography_files(out_dir: Path, geo: Geography) -> tuple[dict[str, Path], Path]:
    folder = out_dir / "boundaries"
    folder.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for layer, filename in BOUNDARY_FILES.items():
        paths[layer] = folder / filename
        write_feature_collection(paths[layer], layer, geo.layer_polygons(layer), layer_properties(geo, layer))
    demographics = out_dir / DEMOGRAPHICS_FILE
    write_demographics(demographics, geo)
    return paths, demographics


def layer_properties(geo: Geography, layer: str) -> list[dict[str, str]]:
    if layer == "neighborhood":
        return [{"id": f"N{i + 1:02d}", "name": name} for i, name in enumerate(geo.names)]
    if layer == "csa":
        return [{"id": str(i + 1), "name": name} for i, name in enumerate(geo.csa_names)]
    if layer == "council_district":
        return [{"id": str(i + 1), "name": f"District {i + 1}"} for i in range(N_COUNCIL_DISTRICTS)]
    return [{"id": str(i + 1), "name": name} for i, name in enumerate(geo.police_names)]


def write_feature_collection(
    path: Path, layer: str, polygons: Sequence[Any], properties: Sequence[dict[str, str]]
) -> None:
    features = [
        {"type": "Feature", "properties": props, "geometry": geometry_json(poly)}
        for poly, props in zip(polygons, properties, strict=True)
    ]
    collection = {
        "type": "FeatureCollection",
        "name": f"{CITY_NAME} {layer} (SYNTHETIC demo data)",
        "features": features,
    }
    path.write_text(json.dumps(collection, separators=(",", ":")) + "\n", encoding="utf-8")


def geometry_json(geom: Any) -> dict[str, Any]:
    """GeoJSON geometry, counter-clockwise exteriors, coordinates rounded to 6 decimals."""
    geom = shapely.orient_polygons(geom)
    if geom.geom_type == "Polygon":
        return {"type": "Polygon", "coordinates": polygon_rings(geom)}
    return {"type": "MultiPolygon", "coordinates": [polygon_rings(p) for p in geom.geoms]}


def polygon_rings(polygon: Any) -> list[list[list[float]]]:
    rings = [polygon.exterior, *polygon.interiors]
    return [[[round(x, 6), round(y, 6)] for x, y in ring.coords] for ring in rings]


def write_demographics(path: Path, geo: Geography) -> None:
    """One row per CSA plus a "Citywide" row (population total, population-weighted percentages)."""
    pop = geo.csa_population
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(DEMOGRAPHICS_HEADER)
        for i, name in enumerate(geo.csa_names):
            writer.writerow(
                [
                    name,
                    int(pop[i]),
                    f"{geo.csa_pct_black[i]:.1f}",
                    f"{geo.csa_pct_white[i]:.1f}",
                    int(geo.csa_income[i]),
                ]
            )
        black = float(np.sum(pop * geo.csa_pct_black) / pop.sum())
        white = float(np.sum(pop * geo.csa_pct_white) / pop.sum())
        writer.writerow(["Citywide", int(pop.sum()), f"{black:.1f}", f"{white:.1f}", geo.citywide_income()])


# ---------------------------------------------------------------------------------------------------
# Time window and calendar
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    """The months of requests: [start, end) as local wall-clock seconds since 1970 (no zone)."""

    start: date
    end: date
    months: int
    start_secs: int
    end_secs: int
    epoch_day: IntArray  # per day of the window
    month_index: IntArray  # per day: 0 = first month of the window
    dst_gap_days: IntArray  # epoch days on which 02:00-02:59 does not exist (US spring forward)

    @property
    def days(self) -> int:
        return len(self.epoch_day)

    def day_date(self, day: int) -> date:
        return self.start + timedelta(days=day)

    def month_start(self, index: int) -> date:
        return add_months(self.start, index)


def add_months(day: date, months: int) -> date:
    total = day.year * 12 + day.month - 1 + months
    return date(total // 12, total % 12 + 1, 1)


def epoch_days(day: date) -> int:
    return (day - date(1970, 1, 1)).days


def make_window(end: date, months: int) -> Window:
    start = add_months(end, -months)
    first, last = epoch_days(start), epoch_days(end)
    epoch_day = np.arange(first, last, dtype=np.int64)
    month_of = epoch_day.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    gaps = [epoch_days(second_sunday_of_march(y)) for y in range(start.year, end.year + 1)]
    return Window(
        start=start,
        end=end,
        months=months,
        start_secs=first * SECONDS_PER_DAY,
        end_secs=last * SECONDS_PER_DAY,
        epoch_day=epoch_day,
        month_index=month_of - month_of[0],
        dst_gap_days=np.array(gaps, dtype=np.int64),
    )


def second_sunday_of_march(year: int) -> date:
    first = date(year, 3, 1)
    return first + timedelta(days=(6 - first.weekday()) % 7 + 7)


def in_dst_gap(secs: IntArray, window: Window) -> BoolArray:
    """Local times that do not exist (02:00-02:59 on the spring-forward day)."""
    day = secs // SECONDS_PER_DAY
    second = secs - day * SECONDS_PER_DAY
    return np.isin(day, window.dst_gap_days) & (second >= 7_200) & (second < 10_800)


def skip_dst_gap(secs: IntArray, window: Window) -> IntArray:
    """Move non-existent spring-forward local times one hour later, as a real clock would show them."""
    return secs + 3_600 * in_dst_gap(secs, window).astype(np.int64)


# ---------------------------------------------------------------------------------------------------
# Planning: how many requests of each type on each day, in which chunks, with which faults
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    counts: IntArray  # (days, types) requests (not counting duplicate copies)
    ordinal_base: IntArray  # per day: requests created on earlier days
    number_base: IntArray  # per day: last ServiceRequestNum number used in that year before the day
    chunks: list[tuple[int, int]]  # (first day, last day), newest chunk first
    fault_quota: dict[str, IntArray]  # kind -> faults per chunk (duplicates: request ids)
    missing_week: int  # first day (index) of the week with no Water Wastewater requests


def fault_count(kind: FaultKind, rows: int) -> int:
    return max(MIN_FAULT_ROWS, round(kind.base_count * math.sqrt(rows / FAULT_SCALE_ROWS)))


def type_array(attr: str) -> FloatArray:
    return np.array([float(getattr(t, attr)) for t in SERVICE_TYPES], dtype=np.float64)


def type_index(code: str) -> int:
    return next(i for i, t in enumerate(SERVICE_TYPES) if t.code == code)


def change_start_month(change: PerformanceChange, window: Window) -> int:
    """Month index from which ``change`` applies (clamped into short windows)."""
    return window.months - max(1, min(change.months_before_end, window.months - 1))


def daily_type_weights(window: Window, missing_week: int) -> FloatArray:
    """Expected share of requests per (day, type): type share x seasonality x weekday x trend."""
    dates = window.epoch_day.astype("datetime64[D]")
    year_start = dates.astype("datetime64[Y]").astype("datetime64[D]")
    month_pos = (dates - year_start).astype(np.float64) / 365.25 * 12.0  # 0 = 1 January
    peak = type_array("peak_month") - 0.5
    kappa = type_array("seasonality")
    season = np.exp(kappa * np.cos(2 * np.pi * (month_pos[:, None] - peak[None, :]) / 12.0)) / np.i0(kappa)
    weekday = np.array(WEEKDAY_FACTORS)[(window.epoch_day + 3) % 7]  # 1970-01-01 was a Thursday
    trend = 1.0 + 0.04 * np.arange(window.days) / 365.25
    weights = type_array("share")[None, :] * season * (weekday * trend)[:, None]
    for change in PERFORMANCE_CHANGES:
        if change.metric == "request_volume":
            later = window.month_index >= change_start_month(change, window)
            weights[later, type_index(change.service_type)] *= change.factor
    ww = np.array([t.agency == MISSING_WEEK_AGENCY for t in SERVICE_TYPES])
    weights[missing_week : missing_week + 7, ww] = 0.0
    return np.asarray(weights, dtype=np.float64)


def choose_missing_week(window: Window, rng: np.random.Generator) -> int:
    """A Monday-to-Sunday week, not at either end of the window."""
    mondays = np.flatnonzero((window.epoch_day + 3) % 7 == 0)
    candidates = mondays[(mondays >= 7) & (mondays + 7 <= window.days - 14)]
    return int(candidates[int(rng.integers(len(candidates)))])


def plan_requests(window: Window, rows: int, rng: np.random.Generator) -> Plan:
    duplicates = fault_count(FAULT_KINDS[0], rows)
    missing_week = choose_missing_week(window, rng)
    weights = daily_type_weights(window, missing_week).ravel()
    counts = rng.multinomial(rows - duplicates, weights / weights.sum()).reshape(window.days, -1)
    daily = counts.sum(axis=1).astype(np.int64)
    chunks = plan_chunks(daily, CHUNK_ROWS)
    chunk_sizes = np.array([daily[lo : hi + 1].sum() for lo, hi in chunks], dtype=np.int64)
    quota = {k.kind: split_proportionally(fault_count(k, rows), chunk_sizes) for k in FAULT_KINDS}
    return Plan(
        counts=counts.astype(np.int64),
        ordinal_base=np.concatenate([[0], np.cumsum(daily)[:-1]]),
        number_base=request_number_base(window, daily, rng),
        chunks=chunks,
        fault_quota=quota,
        missing_week=missing_week,
    )


def plan_chunks(daily: IntArray, target: int) -> list[tuple[int, int]]:
    """Consecutive day blocks of about ``target`` rows, newest first."""
    chunks: list[tuple[int, int]] = []
    top, rows = len(daily) - 1, 0
    for day in range(len(daily) - 1, -1, -1):
        rows += int(daily[day])
        if rows >= target:
            chunks.append((day, top))
            top, rows = day - 1, 0
    if top >= 0:
        chunks.append((0, top))
    return chunks


def split_proportionally(total: int, sizes: IntArray) -> IntArray:
    """``total`` split over ``sizes`` in proportion (largest remainder); sums exactly to ``total``."""
    quota = total * sizes / max(int(sizes.sum()), 1)
    result = np.floor(quota).astype(np.int64)
    rest = total - int(result.sum())
    result[np.argsort(-(quota - result), kind="stable")[:rest]] += 1
    return result


def request_number_base(window: Window, daily: IntArray, rng: np.random.Generator) -> IntArray:
    """Per day, the ServiceRequestNum numbers already used that year (YY-NNNNNNNN restarts each year).

    The first, partial year starts where the requests created before the window would have left it.
    """
    years = window.epoch_day.astype("datetime64[D]").astype("datetime64[Y]").astype(np.int64)
    before = np.concatenate([[0], np.cumsum(daily)[:-1]])
    first_of_year = np.searchsorted(years, years, side="left")
    base = before - before[first_of_year]
    days_before = window.start.timetuple().tm_yday - 1
    earlier = int(daily.mean() * days_before * rng.uniform(0.95, 1.05))
    base[years == years[0]] += earlier
    if int((base + daily).max()) >= 10**8:
        raise ValueError("too many requests per year for 8-digit request numbers")
    return np.asarray(base, dtype=np.int64)


# ---------------------------------------------------------------------------------------------------
# Per-request model: where requests come from and how fast they close
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddressPool:
    """Geocoded addresses per neighbourhood (points safely inside their cell)."""

    start: IntArray  # per neighbourhood: first pool index
    count: IntArray
    lon: FloatArray
    lat: FloatArray
    neighborhood: IntArray  # per address
    zipcode: IntArray
    address: pa.Array  # string; last entry ""
    geolocation: pa.Array  # string; last two entries "(0.0, 0.0)" and ""


@dataclass(frozen=True)
class Model:
    window: Window
    geo: Geography
    pool: AddressPool
    neighborhood_cdf: FloatArray  # (types, neighbourhoods) cumulative
    method_cdf: FloatArray  # (types, methods) cumulative
    hour_cdf: FloatArray  # (2, 24): weekday, weekend
    slowness: FloatArray  # per neighbourhood: close-time multiplier (equity gap)
    change_factor: FloatArray  # (types, months): close-time multiplier
    type_agency: IntArray  # type -> index into agency names


def build_model(window: Window, geo: Geography, rng: np.random.Generator) -> Model:
    income = geo.csa_income[geo.csa_of].astype(np.float64)
    relative = income / geo.citywide_income()
    rate = np.exp(rng.normal(0.0, 0.3, len(geo.cells)))
    tilt = relative[None, :] ** -type_array("poverty")[:, None]
    profiles = np.array([METHOD_PROFILES[t.methods] for t in SERVICE_TYPES])
    hours = np.array([HOUR_WEIGHTS_WEEKDAY, HOUR_WEIGHTS_WEEKEND])
    return Model(
        window=window,
        geo=geo,
        pool=build_address_pool(geo, rng),
        neighborhood_cdf=cumulative(geo.population[None, :] * rate[None, :] * tilt),
        method_cdf=cumulative(profiles),
        hour_cdf=cumulative(hours),
        slowness=relative**EQUITY_ELASTICITY,
        change_factor=close_time_changes(window),
        type_agency=np.array([AGENCIES.index(t.agency) for t in SERVICE_TYPES], dtype=np.int64),
    )


def cumulative(weights: FloatArray) -> FloatArray:
    """Row-wise cumulative distribution, last column exactly 1."""
    cdf = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    cdf[:, -1] = 1.0
    return np.asarray(cdf, dtype=np.float64)


def close_time_changes(window: Window) -> FloatArray:
    factor = np.ones((len(SERVICE_TYPES), window.months), dtype=np.float64)
    for change in PERFORMANCE_CHANGES:
        if change.metric != "request_volume":
            factor[type_index(change.service_type), change_start_month(change, window) :] *= change.factor
    return factor


def build_address_pool(geo: Geography, rng: np.random.Generator) -> AddressPool:
    n = ADDRESSES_PER_NEIGHBORHOOD
    points = [sample_in_polygon(cell.buffer(-INNER_MARGIN_DEG), 3 * n, rng) for cell in geo.cells]
    lonlat = np.concatenate(
        [safe_rounded_points(cell, pts, n) for cell, pts in zip(geo.cells, points, strict=True)]
    )
    neighborhood = np.repeat(np.arange(len(geo.cells), dtype=np.int64), n)
    zipcode = 21960 + 3 * geo.csa_of[neighborhood] + neighborhood % 3
    streets = [street_names(name, rng) for name in geo.names]
    addresses = [
        f"{street_address(streets[int(nb)], rng)}, {CITY_NAME}, {int(z)}"
        for nb, z in zip(neighborhood, zipcode, strict=True)
    ]
    lon, lat = lonlat[:, 0], lonlat[:, 1]
    geolocation = [f"({y}, {x})" for x, y in zip(lon.tolist(), lat.tolist(), strict=True)]
    return AddressPool(
        start=np.arange(len(geo.cells), dtype=np.int64) * n,
        count=np.full(len(geo.cells), n, dtype=np.int64),
        lon=lon,
        lat=lat,
        neighborhood=neighborhood,
        zipcode=zipcode.astype(np.int64),
        address=pa.array([*addresses, ""], pa.string()),
        geolocation=pa.array([*geolocation, "(0.0, 0.0)", ""], pa.string()),
    )


def safe_rounded_points(cell: Any, points: FloatArray, n: int) -> FloatArray:
    """``n`` points rounded to 6 decimals that stay well inside ``cell`` after rounding."""
    rounded = np.round(points, 6)
    inner = cell.buffer(-INNER_MARGIN_DEG / 2)
    keep = rounded[shapely.contains_xy(inner, rounded[:, 0], rounded[:, 1])]
    if len(keep) < n:
        raise RuntimeError("neighbourhood too small to place addresses")
    return np.asarray(keep[:n], dtype=np.float64)


def street_names(neighborhood: str, rng: np.random.Generator) -> list[str]:
    """Six streets: one named after the neighbourhood, five from the street word list."""
    words = rng.choice(len(STREET_WORDS), 5, replace=False)
    suffixes = rng.integers(0, len(STREET_SUFFIXES), 6)
    names = [neighborhood.upper(), *(STREET_WORDS[w] for w in words)]
    return [f"{name} {STREET_SUFFIXES[s]}" for name, s in zip(names, suffixes, strict=True)]


def street_address(streets: list[str], rng: np.random.Generator) -> str:
    """A house number on a street, or (one in ten) an intersection."""
    first, second = rng.choice(len(streets), 2, replace=False)
    if rng.random() < 0.1:
        return f"{streets[first]} & {streets[second]}"
    return f"{int(rng.integers(1, 50)) * 100 + int(rng.integers(0, 100))} {streets[first]}"


def sample_by_group(rng: np.random.Generator, group: IntArray, cdf: FloatArray) -> IntArray:
    """One category per row from row ``group`` of the cumulative table ``cdf`` (vectorised)."""
    width = cdf.shape[1]
    flat = (cdf + np.arange(cdf.shape[0])[:, None]).ravel()
    picked = np.searchsorted(flat, group + rng.random(len(group)), side="right") - group * width
    return np.asarray(np.clip(picked, 0, width - 1), dtype=np.int64)


# ---------------------------------------------------------------------------------------------------
# One chunk of requests as numpy columns (output order: newest first)
# ---------------------------------------------------------------------------------------------------


@dataclass
class Chunk:
    """Requests of a block of days, newest first; ``fault`` marks planted faults (0 = none)."""

    type_idx: IntArray
    ordinal: IntArray  # rank in creation order over the whole file (SRRecordID source)
    number: IntArray  # ServiceRequestNum number within its year
    created: IntArray
    status: IntArray
    status_at: IntArray
    due: IntArray
    closed_at: IntArray
    is_closed: BoolArray
    method: IntArray
    agency: IntArray
    address: IntArray  # pool index, -1 = none
    neighborhood: IntArray  # -1 = blank
    lon: FloatArray
    lat: FloatArray
    has_coords: BoolArray
    bad_created: BoolArray
    fault: IntArray

    def take(self, index: IntArray) -> Chunk:
        return Chunk(**{name: value[index] for name, value in vars(self).items()})

    def __len__(self) -> int:
        return len(self.type_idx)


def generate_chunk(model: Model, plan: Plan, lo: int, hi: int, rng: np.random.Generator) -> Chunk:
    day, type_idx = expand_counts(plan.counts[lo : hi + 1], lo)
    created = skip_dst_gap(sample_created(model, day, rng), model.window)
    order = np.lexsort((type_idx, created))
    day, type_idx, created = day[order], type_idx[order], created[order]
    rank = np.arange(len(day)) - np.searchsorted(day, day, side="left")
    newest_first = np.arange(len(day) - 1, -1, -1)
    return build_chunk(
        model,
        type_idx[newest_first],
        created[newest_first],
        day[newest_first],
        (plan.ordinal_base[day] + rank)[newest_first],
        (plan.number_base[day] + rank + 1)[newest_first],
        rng,
    )


def expand_counts(counts: IntArray, first_day: int) -> tuple[IntArray, IntArray]:
    """Row-level (day, type) arrays from a (days, types) count table."""
    cells = np.repeat(np.arange(counts.size, dtype=np.int64), counts.ravel())
    return cells // counts.shape[1] + first_day, cells % counts.shape[1]


def sample_created(model: Model, day: IntArray, rng: np.random.Generator) -> IntArray:
    """Creation times: business hours on weekdays, flatter and later at weekends."""
    epoch_day = model.window.epoch_day[day]
    weekend = ((epoch_day + 3) % 7 >= 5).astype(np.int64)
    hour = sample_by_group(rng, weekend, model.hour_cdf)
    second = rng.integers(0, 3_600, len(day))
    return np.asarray(epoch_day * SECONDS_PER_DAY + hour * 3_600 + second, dtype=np.int64)


def build_chunk(
    model: Model,
    type_idx: IntArray,
    created: IntArray,
    day: IntArray,
    ordinal: IntArray,
    number: IntArray,
    rng: np.random.Generator,
) -> Chunk:
    n = len(type_idx)
    neighborhood = sample_by_group(rng, type_idx, model.neighborhood_cdf)
    located = np.array([t.located for t in SERVICE_TYPES])[type_idx]
    pool = model.pool
    address = np.where(
        located, pool.start[neighborhood] + (rng.random(n) * pool.count[neighborhood]).astype(np.int64), -1
    )
    blank = located & (rng.random(n) < BLANK_AREA_SHARE)
    duration = close_seconds(model, type_idx, neighborhood, day, rng)
    status, closed_at, is_closed, status_at = settle_status(model.window, created, duration, rng)
    sla = np.round(type_array("sla_days")[type_idx] * SECONDS_PER_DAY).astype(np.int64)
    due = skip_dst_gap(created + sla, model.window)
    return Chunk(
        type_idx=type_idx,
        ordinal=ordinal,
        number=number,
        created=created,
        status=status,
        status_at=status_at,
        due=due,
        closed_at=closed_at,
        is_closed=is_closed,
        method=sample_by_group(rng, type_idx, model.method_cdf),
        agency=model.type_agency[type_idx],
        address=address,
        neighborhood=np.where(located & ~blank, neighborhood, -1),
        lon=np.where(located, pool.lon[np.maximum(address, 0)], np.nan),
        lat=np.where(located, pool.lat[np.maximum(address, 0)], np.nan),
        has_coords=located,
        bad_created=np.zeros(n, dtype=np.bool_),
        fault=np.zeros(n, dtype=np.int64),
    )


def close_seconds(
    model: Model, type_idx: IntArray, neighborhood: IntArray, day: IntArray, rng: np.random.Generator
) -> FloatArray:
    """Lognormal time to close: type median x equity slowness x planted change, in seconds."""
    median = type_array("median_hours")[type_idx] * model.slowness[neighborhood]
    median = median * model.change_factor[type_idx, model.window.month_index[day]]
    spread = type_array("sigma")[type_idx] * rng.standard_normal(len(type_idx))
    return np.asarray(np.maximum(median * np.exp(spread) * 3_600.0, 30.0), dtype=np.float64)


def settle_status(
    window: Window, created: IntArray, duration: FloatArray, rng: np.random.Generator
) -> tuple[IntArray, IntArray, BoolArray, IntArray]:
    """Status as of the export (the end of the window): closed if the close time has passed."""
    n = len(created)
    kind = rng.random(n)
    dup_closed, transferred, open_dup = kind < 0.010, (kind >= 0.010) & (kind < 0.015), kind >= 0.996
    duration = duration * np.where(dup_closed, 0.05, np.where(transferred, 0.25, 1.0))
    closed_at = skip_dst_gap(created + np.round(duration).astype(np.int64), window)
    is_closed = (closed_at < window.end_secs) & ~open_dup
    age = window.end_secs - created
    pending = rng.random(n) < 0.2
    open_status = np.where(
        open_dup, OPEN_DUP, np.where(age < 3 * SECONDS_PER_DAY, NEW, np.where(pending, PENDING, OPEN))
    )
    closed_status = np.where(dup_closed, CLOSED_DUP, np.where(transferred, CLOSED_TRANSFERRED, CLOSED))
    status = np.where(is_closed, closed_status, open_status).astype(np.int64)
    touched = created + np.floor(rng.random(n) * age).astype(np.int64)
    open_at = np.where(status == NEW, created, skip_dst_gap(touched, window))
    status_at = np.where(is_closed, closed_at, np.minimum(open_at, window.end_secs - 1))
    return status, closed_at, is_closed, status_at.astype(np.int64)


# ---------------------------------------------------------------------------------------------------
# Planted data-quality faults
# ---------------------------------------------------------------------------------------------------


def plant_faults(chunk: Chunk, quota: dict[str, int], window: Window, rng: np.random.Generator) -> Chunk:
    """Plant each fault kind on ``quota[kind]`` distinct rows; duplicates add rows after their original."""
    used = np.zeros(len(chunk), dtype=np.bool_)
    picks: dict[str, IntArray] = {}
    for kind in FAULT_KINDS:
        preferred, allowed = fault_candidates(kind.kind, chunk, window)
        picks[kind.kind] = pick_rows(rng, quota[kind.kind], preferred & ~used, allowed & ~used)
        used[picks[kind.kind]] = True
        chunk.fault[picks[kind.kind]] = FAULT_INDEX[kind.kind]
    apply_row_faults(chunk, picks, rng)
    return duplicate_rows(chunk, picks["duplicate_id_conflict"])


def fault_candidates(kind: str, chunk: Chunk, window: Window) -> tuple[BoolArray, BoolArray]:
    """Rows preferred for, and rows allowed for, a fault kind."""
    anything = np.ones(len(chunk), dtype=np.bool_)
    plain_closed = chunk.is_closed & (chunk.status == CLOSED)
    if kind == "duplicate_id_conflict":
        return plain_closed, anything
    if kind == "closed_before_created":
        return plain_closed, chunk.is_closed
    if kind == "unknown_agency":
        solid_waste = chunk.agency == AGENCIES.index("Solid Waste")
        return solid_waste, solid_waste
    if kind == "placeholder_coordinates":
        return chunk.has_coords, chunk.has_coords
    if kind == "due_before_created":
        ok = ~in_dst_gap(chunk.created - 5 * 3_600, window)
        return ok, ok
    return anything, anything


def pick_rows(rng: np.random.Generator, count: int, preferred: BoolArray, allowed: BoolArray) -> IntArray:
    """``count`` random rows, from ``preferred`` while it lasts, then from ``allowed``."""
    first = np.flatnonzero(preferred)
    chosen = rng.choice(first, size=min(count, len(first)), replace=False)
    if len(chosen) < count:
        rest = np.flatnonzero(allowed & ~preferred)
        chosen = np.concatenate(
            [chosen, rng.choice(rest, size=min(count - len(chosen), len(rest)), replace=False)]
        )
    return np.sort(chosen).astype(np.int64)


def apply_row_faults(chunk: Chunk, picks: dict[str, IntArray], rng: np.random.Generator) -> None:
    rows = picks["closed_before_created"]
    back = rng.integers(1, 11, len(rows)) * SECONDS_PER_DAY + rng.integers(0, 12 * 3_600, len(rows))
    chunk.closed_at[rows] = chunk.created[rows] - back
    chunk.bad_created[picks["unparseable_date"]] = True
    chunk.agency[picks["unknown_agency"]] = len(AGENCIES)  # TYPO_AGENCY
    rows = picks["placeholder_coordinates"]
    chunk.lon[rows], chunk.lat[rows], chunk.neighborhood[rows] = 0.0, 0.0, -1
    rows = picks["due_before_created"]
    chunk.due[rows] = chunk.created[rows] - 5 * 3_600


def duplicate_rows(chunk: Chunk, originals: IntArray) -> Chunk:
    """Insert a conflicting copy right after each original: same ids, stale status, no CloseDate."""
    repeat = np.ones(len(chunk), dtype=np.int64)
    repeat[originals] = 2
    index = np.repeat(np.arange(len(chunk), dtype=np.int64), repeat)
    out = chunk.take(index)
    copies = np.flatnonzero(np.diff(index, prepend=-1) == 0)
    out.status[copies] = np.where(out.status[copies] == OPEN, PENDING, OPEN)
    since = (
        np.where(out.is_closed[copies], out.closed_at[copies], out.status_at[copies]) - out.created[copies]
    )
    out.status_at[copies] = out.created[copies] + np.maximum(since, 0) // 3
    out.is_closed[copies] = False
    return out


# ---------------------------------------------------------------------------------------------------
# Formatting a chunk as the 23-column Baltimore table
# ---------------------------------------------------------------------------------------------------


def string_array(chars: ByteMatrix, present: BoolArray | None = None) -> pa.Array:
    """Strings from a (rows, width) byte matrix; rows not ``present`` become empty strings."""
    n, width = chars.shape
    widths = np.full(n, width, dtype=np.int64) if present is None else present.astype(np.int64) * width
    offsets = np.concatenate([[0], np.cumsum(widths)]).astype(np.int32)
    data = chars.ravel() if present is None else chars[present].ravel()
    buffers = [None, pa.py_buffer(offsets), pa.py_buffer(np.ascontiguousarray(data))]
    return pa.Array.from_buffers(pa.string(), n, buffers, null_count=0)


def put_digits(chars: ByteMatrix, column: int, values: IntArray, width: int) -> None:
    for i in range(width):
        chars[:, column + i] = 48 + (values // 10 ** (width - 1 - i)) % 10


def timestamp_chars(secs: IntArray) -> ByteMatrix:
    """``MM/DD/YYYY hh:mm:ss AM`` for local wall-clock seconds, as a (rows, 22) byte matrix."""
    days = secs // SECONDS_PER_DAY
    second = secs - days * SECONDS_PER_DAY
    months = days.astype("datetime64[D]").astype("datetime64[M]")
    day_of_month = days - months.astype("datetime64[D]").astype(np.int64) + 1
    month_number = months.astype(np.int64)
    hour = second // 3_600
    chars = np.full((len(secs), 22), ord(" "), dtype=np.uint8)
    put_digits(chars, 0, month_number % 12 + 1, 2)
    put_digits(chars, 3, day_of_month, 2)
    put_digits(chars, 6, month_number // 12 + 1970, 4)
    put_digits(chars, 11, (hour + 11) % 12 + 1, 2)
    put_digits(chars, 14, second // 60 % 60, 2)
    put_digits(chars, 17, second % 60, 2)
    chars[:, [2, 5]] = ord("/")
    chars[:, [13, 16]] = ord(":")
    chars[:, 20] = np.where(hour >= 12, ord("P"), ord("A"))
    chars[:, 21] = ord("M")
    return chars


def garble_dates(chars: ByteMatrix, rows: BoolArray) -> None:
    """Turn dates into ``13/45/YYYY 99:00:00 PM`` (year kept)."""
    for column, text in ((0, b"13"), (3, b"45"), (11, b"99"), (14, b"00"), (17, b"00"), (20, b"PM")):
        chars[np.ix_(rows, np.arange(column, column + 2))] = np.frombuffer(text, dtype=np.uint8)


def timestamps(
    secs: IntArray, present: BoolArray | None = None, garbled: BoolArray | None = None
) -> pa.Array:
    chars = timestamp_chars(secs)
    if garbled is not None and garbled.any():
        garble_dates(chars, garbled)
    return string_array(chars, present)


def request_numbers(chunk: Chunk) -> pa.Array:
    """``YY-NNNNNNNN``: two-digit creation year, then the request's number within that year."""
    year = chunk.created.astype("datetime64[s]").astype("datetime64[Y]").astype(np.int64) + 1970
    chars = np.empty((len(chunk), 11), dtype=np.uint8)
    put_digits(chars, 0, year % 100, 2)
    chars[:, 2] = ord("-")
    put_digits(chars, 3, chunk.number, 8)
    return string_array(chars)


def record_ids(ordinal: IntArray, seed: int) -> pa.Array:
    """18-character Salesforce-style ids: fixed prefix + a bijective scramble of the ordinal in base 62."""
    salt = np.uint64((seed * 0x632BE59BD9B4E019 + 0x2545F4914F6CDD1D) % 2**64)
    value = ordinal.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + salt
    chars = np.empty((len(ordinal), len(RECORD_ID_PREFIX) + RECORD_ID_DIGITS), dtype=np.uint8)
    chars[:, : len(RECORD_ID_PREFIX)] = np.frombuffer(RECORD_ID_PREFIX, dtype=np.uint8)
    for i in range(RECORD_ID_DIGITS):
        chars[:, -1 - i] = BASE62[(value % np.uint64(62)).astype(np.int64)]
        value = value // np.uint64(62)
    return string_array(chars)


def take_strings(values: pa.Array, index: IntArray) -> pa.Array:
    return values.take(pa.array(index, pa.int64()))


def nullable_ints(values: IntArray, present: BoolArray) -> pa.Array:
    return pa.array(values, pa.int64(), mask=~present)


def chunk_table(chunk: Chunk, model: Model, first_row: int, seed: int) -> pa.Table:
    """The chunk as the 23-column export; rows numbered from ``first_row``."""
    geo, pool, n = model.geo, model.pool, len(chunk)
    area = chunk.neighborhood >= 0
    nb = np.maximum(chunk.neighborhood, 0)
    address = np.where(chunk.address >= 0, chunk.address, len(pool.lon))
    geolocation = np.where(chunk.fault == FAULT_INDEX["placeholder_coordinates"], len(pool.lon), address)
    geolocation = np.where(chunk.address >= 0, geolocation, len(pool.lon) + 1)
    names = pa.array([*geo.names, ""], pa.string())
    police = pa.array([*geo.police_names, ""], pa.string())
    no_text = pa.nulls(n, pa.string())
    columns = [
        pa.array(np.arange(first_row, first_row + n, dtype=np.int64)).cast(pa.string()),
        record_ids(chunk.ordinal, seed),
        request_numbers(chunk),
        take_strings(pa.array([t.code for t in SERVICE_TYPES], pa.string()), chunk.type_idx),
        take_strings(pa.array(METHODS, pa.string()), chunk.method),
        timestamps(chunk.created, garbled=chunk.bad_created),
        take_strings(pa.array(STATUSES, pa.string()), chunk.status),
        timestamps(chunk.status_at),
        timestamps(chunk.due),
        timestamps(chunk.closed_at, chunk.is_closed),
        take_strings(pa.array([*AGENCIES, TYPO_AGENCY], pa.string()), chunk.agency),
        no_text,
        no_text,
        no_text,
        take_strings(pool.address, address),
        nullable_ints(pool.zipcode[np.maximum(chunk.address, 0)], chunk.address >= 0),
        take_strings(names, np.where(area, nb, len(geo.names))),
        nullable_ints(geo.council_of[nb] + 1, area),
        take_strings(police, np.where(area, geo.police_of[nb], len(geo.police_names))),
        pa.nulls(n, pa.int64()),
        pa.array(chunk.lat, pa.float64(), mask=~chunk.has_coords),
        pa.array(chunk.lon, pa.float64(), mask=~chunk.has_coords),
        take_strings(pool.geolocation, geolocation),
    ]
    return pa.Table.from_arrays(columns, names=list(HEADER))


# ---------------------------------------------------------------------------------------------------
# Writing the files
# ---------------------------------------------------------------------------------------------------


@dataclass
class FaultLog:
    """What was planted, row by row, for the manifest."""

    rows: dict[str, list[int]]
    request_ids: dict[str, list[str]]

    @classmethod
    def empty(cls) -> FaultLog:
        return cls({k.kind: [] for k in FAULT_KINDS}, {k.kind: [] for k in FAULT_KINDS})

    def record(self, chunk: Chunk, table: pa.Table, first_row: int) -> None:
        numbers = table.column("ServiceRequestNum")
        for kind in FAULT_KINDS:
            positions = np.flatnonzero(chunk.fault == FAULT_INDEX[kind.kind])
            self.rows[kind.kind] += [first_row + int(p) for p in positions]
            ids = numbers.take(pa.array(positions, pa.int64())).to_pylist()
            self.request_ids[kind.kind] += list(dict.fromkeys(ids))


def generate_city(
    out_dir: Path,
    *,
    rows: int = 200_000,
    seed: int = 2024,
    end: date | None = None,
    months: int = 36,
    progress: ProgressFn | None = None,
) -> DemoCity:
    """Write the synthetic city (boundaries, demographics, 311 requests, manifest) into ``out_dir``.

    ``rows`` requests (duplicate rows included) are created in the ``months`` months before ``end``
    (default: the first day of the current month). ``progress(done_rows, rows)`` follows each chunk.
    """
    if rows < MIN_ROWS:
        raise ValueError(f"rows must be at least {MIN_ROWS}")
    if months < MIN_MONTHS:
        raise ValueError(f"months must be at least {MIN_MONTHS}")
    end = end or date.today().replace(day=1)
    out_dir.mkdir(parents=True, exist_ok=True)
    geo = build_geography(seed)
    boundaries, demographics = write_geography_files(out_dir, geo)
    window = make_window(end, months)
    rng = np.random.default_rng([seed, 2, rows, months, epoch_days(end)])
    plan = plan_requests(window, rows, rng)
    model = build_model(window, geo, rng)
    requests_csv = out_dir / REQUESTS_FILE
    log = write_requests(requests_csv, model, plan, rows, seed, rng, progress)
    manifest = out_dir / MANIFEST_FILE
    write_manifest(
        manifest, window, plan, log, rows, seed, out_dir, [requests_csv, demographics, *boundaries.values()]
    )
    return DemoCity(requests_csv, boundaries, demographics, manifest, rows)


def write_requests(
    path: Path,
    model: Model,
    plan: Plan,
    rows: int,
    seed: int,
    rng: np.random.Generator,
    progress: ProgressFn | None,
) -> FaultLog:
    log = FaultLog.empty()
    options = pacsv.WriteOptions(null_string="NA", quoting_style="needed", batch_size=16_384)
    schema = pa.schema([(name, column_type(name)) for name in HEADER])
    deficit = {k.kind: 0 for k in FAULT_KINDS}
    written = 0
    with pacsv.CSVWriter(str(path), schema, write_options=options) as writer:
        for index, (lo, hi) in enumerate(plan.chunks):
            wanted = {kind: int(q[index]) + deficit[kind] for kind, q in plan.fault_quota.items()}
            chunk = plant_faults(generate_chunk(model, plan, lo, hi, rng), wanted, model.window, rng)
            deficit = {kind: wanted[kind] - planted_count(chunk, kind) for kind in deficit}
            table = chunk_table(chunk, model, written + 1, seed)
            writer.write_table(table)
            log.record(chunk, table, written + 1)
            written += len(chunk)
            if progress is not None:
                progress(written, rows)
    if written != rows:
        raise RuntimeError(f"wrote {written} rows, expected {rows}")
    return log


def column_type(name: str) -> pa.DataType:
    if name in ("ZipCode", "CouncilDistrict", "PolicePost"):
        return pa.int64()
    if name in ("Latitude", "Longitude"):
        return pa.float64()
    return pa.string()


def planted_count(chunk: Chunk, kind: str) -> int:
    """Faults of ``kind`` in ``chunk``, counting a duplicated request (two rows) once."""
    rows = int(np.count_nonzero(chunk.fault == FAULT_INDEX[kind]))
    return rows // 2 if kind == "duplicate_id_conflict" else rows


def write_manifest(
    path: Path,
    window: Window,
    plan: Plan,
    log: FaultLog,
    rows: int,
    seed: int,
    out_dir: Path,
    files: list[Path],
) -> None:
    manifest = {
        "synthetic": True,
        "city": CITY_NAME,
        "description": "SYNTHETIC demo data generated by citystat.demo; it describes no real place.",
        "parameters": {"rows": rows, "seed": seed, "months": window.months, "end": window.end.isoformat()},
        "window": {"start": window.start.isoformat(), "end": window.end.isoformat(), "end_exclusive": True},
        "files": [f.relative_to(out_dir).as_posix() for f in files],
        "rows_written": rows,
        "timestamps": "local wall-clock time (America/New_York), no zone marker; no times fall in the "
        "spring-forward gap (02:00-02:59 on DST start days)",
        "faults": fault_entries(window, plan, log),
        "performance_changes": [change_entry(c, window) for c in PERFORMANCE_CHANGES],
        "equity": {
            "description": "requests in lower-income CSAs close more slowly: close-time multiplier "
            "(CSA median income / citywide median income) ** elasticity",
            "close_time_income_elasticity": EQUITY_ELASTICITY,
        },
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")


def fault_entries(window: Window, plan: Plan, log: FaultLog) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = [
        {
            "kind": k.kind,
            "description": k.description,
            "count": len(log.rows[k.kind]),
            "request_ids": log.request_ids[k.kind],
            "rows": log.rows[k.kind],
        }
        for k in FAULT_KINDS
    ]
    first = window.day_date(plan.missing_week)
    entries.append(
        {
            "kind": "missing_week",
            "description": f"no {MISSING_WEEK_AGENCY} requests at all were created from {first.isoformat()} "
            f"to {(first + timedelta(days=6)).isoformat()} (inclusive, Monday to Sunday)",
            "agency": MISSING_WEEK_AGENCY,
            "week_start": first.isoformat(),
            "week_end": (first + timedelta(days=6)).isoformat(),
            "count": 0,
            "request_ids": [],
            "rows": [],
        }
    )
    return entries


def change_entry(change: PerformanceChange, window: Window) -> dict[str, Any]:
    start = change_start_month(change, window)
    service = SERVICE_TYPES[type_index(change.service_type)]
    return {
        "service_type": change.service_type,
        "agency": service.agency,
        "metric": change.metric,
        "start_month": window.month_start(start).strftime("%Y-%m"),
        "months_before_end": window.months - start,
        "factor": change.factor,
        "direction": change.direction,
        "expected": change.expected,
        "sla_days": service.sla_days,
        "description": f"{change.service_type}: {change.description} for requests created from "
        f"{window.month_start(start).strftime('%Y-%m')} on",
    }
