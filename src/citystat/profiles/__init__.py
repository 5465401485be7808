"""City profiles: everything that is specific to one city lives here, not in shared code.

A profile names the city's time zone and fiscal calendar, its agencies, how its 311 exports
are laid out (source mappings), how its boundary files label areas, and which coordinates are
known placeholders. Shared code asks the profile; it never tests ``city == ...``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field

from citystat.errors import ConfigError

BOUNDARY_LAYERS = ("neighborhood", "csa", "council_district", "police_district", "tract")
BoundaryLayer = Literal["neighborhood", "csa", "council_district", "police_district", "tract"]
DEFAULT_EXTENT_LAYERS: list[BoundaryLayer] = ["council_district", "tract", "neighborhood"]

CANONICAL_FIELDS = (
    "request_id",
    "source_record_id",
    "service_code",
    "service_name",
    "agency",
    "method_received",
    "status",
    "description",
    "created_at",
    "status_at",
    "due_at",
    "closed_at",
    "address",
    "zip",
    "lat",
    "lon",
    "neighborhood",
    "csa",
    "council_district",
    "police_district",
    "tract",
    "media_url",
)
TIMESTAMP_FIELDS = ("created_at", "status_at", "due_at", "closed_at")


class TimestampFormat(BaseModel):
    """One accepted timestamp layout.

    ``zone`` says how to read the clock: ``local`` (wall-clock time in the city's zone),
    ``offset`` (the text carries its own UTC offset) or ``iso8601`` (ISO 8601, with an offset when
    present, local otherwise).
    """

    format: str = Field(description="strptime pattern, or 'iso8601'.")
    zone: Literal["local", "offset", "iso8601"] = "local"


class SourceMapping(BaseModel):
    """How one kind of source file maps onto the canonical service-request fields."""

    name: str
    description: str = ""
    columns: dict[str, list[str]] = Field(
        description="Canonical field -> candidate source column names (first present wins)."
    )
    required: list[str] = Field(
        default_factory=lambda: ["request_id", "service_code", "created_at"],
        description="Canonical fields whose source column must exist in the header.",
    )
    case_insensitive_headers: bool = True
    ignore_columns: list[str] = Field(default_factory=list)
    timestamps: list[TimestampFormat] = Field(
        default_factory=lambda: [TimestampFormat(format="iso8601", zone="iso8601")]
    )
    null_values: list[str] = Field(default_factory=lambda: ["", "NA", "N/A", "NULL", "null", "None"])
    strip_service_prefix: bool = Field(
        False, description="Derive service_name by dropping a 'XX-' prefix from the service code."
    )
    delimiter: str = ","

    def source_column(self, canonical: str, header: list[str]) -> str | None:
        """Return the header column that feeds ``canonical``, or None when absent."""
        wanted = self.columns.get(canonical, [])
        if self.case_insensitive_headers:
            lookup = {h.strip().lower(): h for h in header}
            for name in wanted:
                if name.strip().lower() in lookup:
                    return lookup[name.strip().lower()]
            return None
        for name in wanted:
            if name in header:
                return name
        return None


class BoundaryLabel(BaseModel):
    """Which GeoJSON properties label an area of a boundary layer."""

    id_property: list[str] = Field(default_factory=lambda: ["id", "geoid", "GEOID", "name"])
    name_property: list[str] = Field(default_factory=lambda: ["name", "NAME", "namelsad"])
    label: Literal["id", "name"] = Field(
        "name", description="Which of id/name the 311 record uses for this layer (e.g. council district 7)."
    )


class CityProfile(BaseModel):
    """Everything city-specific that shared code needs to know."""

    name: str
    display_name: str
    synthetic: bool = False
    description: str = ""
    time_zone: str = "America/New_York"
    fiscal_year_start_month: int = Field(7, ge=1, le=12, description="First month of the fiscal year.")
    catalog: str = Field(
        "baltimore", description="Built-in measure catalog this city starts from (citystat/catalog/builtin)."
    )
    plan_layout: str | None = Field(
        None,
        description="Layout of the city's performance-plan files (profiles/plans/NAME.yaml); None: no plan.",
    )
    agencies: list[str] = Field(default_factory=list, description="Known agencies; empty = accept any.")
    closed_statuses: list[str] = Field(default_factory=lambda: ["closed"])
    status_flags: dict[str, str] = Field(
        default_factory=lambda: {"duplicate": "duplicate", "transferred": "transferred"},
        description="Parenthesised status suffix (lower case) -> flag, e.g. 'Closed (Duplicate)'.",
    )
    title_case_fields: list[str] = Field(default_factory=list)
    placeholder_coordinates: list[tuple[float, float]] = Field(
        default_factory=list, description="(lat, lon) pairs that mean 'no real location'."
    )
    region_bbox: tuple[float, float, float, float] = Field(
        (-180.0, -90.0, 180.0, 90.0),
        description="(min lon, min lat, max lon, max lat) beyond which a point cannot be a real request.",
    )
    city_extent_layers: list[BoundaryLayer] = Field(
        default_factory=lambda: list(DEFAULT_EXTENT_LAYERS),
        description="First loaded layer whose union defines 'inside the city'.",
    )
    boundary_labels: dict[str, BoundaryLabel] = Field(default_factory=dict)
    citywide_area_names: list[str] = Field(
        default_factory=list, description="Rows in area tables that are the city total, not an area."
    )
    source_formats: list[str] = Field(
        default_factory=lambda: ["open311-json"], description="Names of mappings this city's files use."
    )
    default_format: str = "open311-json"

    def boundary_label(self, layer: str) -> BoundaryLabel:
        return self.boundary_labels.get(layer, BoundaryLabel())

    def mapping(self, name: str) -> SourceMapping:
        if name not in self.source_formats and name != "open311-json":
            raise ConfigError(
                f"format {name!r} is not defined for city {self.name!r}; "
                f"known formats: {', '.join(self.source_formats)}"
            )
        return load_mapping(name)


def _package_file(*parts: str) -> Path:
    return Path(str(resources.files("citystat.profiles").joinpath(*parts)))


def list_profiles() -> list[str]:
    return sorted(p.stem for p in _package_file().glob("*.yaml"))


@cache
def load_profile(name: str) -> CityProfile:
    """Load a built-in city profile by name, or a profile YAML file by path."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else _package_file(f"{name}.yaml")
    if not path.exists():
        raise ConfigError(f"unknown city profile {name!r}; built-in profiles: {', '.join(list_profiles())}")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return CityProfile.model_validate(data)


@cache
def load_mapping(name: str) -> SourceMapping:
    """Load a built-in source mapping (``profiles/mappings/NAME.yaml``)."""
    path = _package_file("mappings", f"{name}.yaml")
    if not path.exists():
        raise ConfigError(f"unknown source format {name!r}")
    return read_mapping_file(path)


def read_mapping_file(path: Path) -> SourceMapping:
    """Read a user's column-mapping YAML (for ``--format csv --mapping FILE``)."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read mapping file: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a mapping file must be a YAML mapping with a 'columns' key")
    data.setdefault("name", path.stem)
    columns = data.get("columns", {})
    if isinstance(columns, dict):
        data["columns"] = {k: v if isinstance(v, list) else [v] for k, v in columns.items()}
        unknown = sorted(set(data["columns"]) - set(CANONICAL_FIELDS))
        if unknown:
            raise ConfigError(
                f"{path}: unknown canonical field(s) {', '.join(unknown)}; "
                f"allowed: {', '.join(CANONICAL_FIELDS)}"
            )
    try:
        return SourceMapping.model_validate(data)
    except ValueError as exc:
        raise ConfigError(f"{path}: invalid mapping: {exc}") from exc
