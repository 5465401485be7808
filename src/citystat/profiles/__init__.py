"""City profiles: everything that is specific to one city lives here, not in shared code.

A profile names the city's time zone and fiscal calendar, its agencies, how its 311 exports
are laid out (source mappings), how its boundary files label areas, and which coordinates are
known placeholders. Shared code asks the profile; it never tests ``city == ...``.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb
import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

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

    @field_validator("format")
    @classmethod
    def check_format(cls, value: str) -> str:
        if value != "iso8601":
            check_strptime_format(value)
        return value

    @model_validator(mode="after")
    def check_zone(self) -> TimestampFormat:
        has_offset = "%z" in self.format or "%Z" in self.format
        if (self.format == "iso8601") != (self.zone == "iso8601"):
            raise ValueError("format 'iso8601' goes with zone 'iso8601', and only with it")
        if self.zone == "offset" and not has_offset:
            raise ValueError("zone 'offset' needs %z or %Z in the format")
        if self.zone == "local" and has_offset:
            raise ValueError("a format with %z or %Z carries an offset: use zone 'offset'")
        return self


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
    ignore_columns: list[str] = Field(
        default_factory=list,
        description="Source columns never read: not mapped, not compared for duplicate names, and a bad"
        " value in them (too long, not UTF-8) does not reject the row.",
    )
    timestamps: list[TimestampFormat] = Field(
        default_factory=lambda: [TimestampFormat(format="iso8601", zone="iso8601")]
    )
    null_values: list[str] = Field(default_factory=lambda: ["", "NA", "N/A", "NULL", "null", "None"])
    strip_service_prefix: bool = Field(
        False, description="Derive service_name by dropping a 'XX-' prefix from the service code."
    )
    delimiter: str = ","

    @field_validator("delimiter")
    @classmethod
    def check_delimiter(cls, value: str) -> str:
        if len(value) != 1:
            hint = ' for a tab write delimiter: "\\t" (double quotes)' if value == "\\t" else ""
            raise ValueError(f"must be one character, not {value!r} ({len(value)} characters);{hint}")
        if value in ('"', "\r", "\n"):
            raise ValueError(f"{value!r} cannot separate columns")
        return value

    @field_validator("columns")
    @classmethod
    def check_columns(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        if not value:
            raise ValueError("names no fields")
        for canonical, names in value.items():
            if not names or not all(name.strip() for name in names):
                raise ValueError(f"{canonical}: names no source column") from None
        return value

    @field_validator("required")
    @classmethod
    def check_required(cls, value: list[str]) -> list[str]:
        unknown = [name for name in value if name not in CANONICAL_FIELDS]
        if unknown:
            raise ValueError(f"unknown canonical field(s) {', '.join(unknown)}")
        return value

    def is_ignored(self, column: str) -> bool:
        """True for a source column listed in ``ignore_columns``: never read, mapped or checked."""
        if self.case_insensitive_headers:
            return column.strip().lower() in {name.strip().lower() for name in self.ignore_columns}
        return column in self.ignore_columns

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
    channel_methods: dict[str, str] = Field(
        default_factory=lambda: {"web": "Web", "api": "API", "phone": "Phone", "staff": "Staff"},
        description="How requests made through citystat's front door (channel web, api, phone, staff) are "
        "labelled in the warehouse's method_received, in the city's own words.",
    )
    services: str | None = Field(
        None,
        description="The city's resident service catalogue, profiles/services/NAME.yaml: groups of service "
        "types in plain words, staff-only services, Open311 service definitions. None: no front door.",
    )

    @field_validator("time_zone")
    @classmethod
    def check_time_zone(cls, value: str) -> str:
        if not is_time_zone(value):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as America/New_York)")
        return value

    def boundary_label(self, layer: str) -> BoundaryLabel:
        return self.boundary_labels.get(layer, BoundaryLabel())

    def mapping(self, name: str) -> SourceMapping:
        if name not in self.source_formats and name != "open311-json":
            raise ConfigError(
                f"format {name!r} is not defined for city {self.name!r}; "
                f"known formats: {', '.join(self.source_formats)}"
            )
        return load_mapping(name)


def check_strptime_format(pattern: str) -> None:
    """Raise ValueError unless DuckDB's strptime (which reads the dates) accepts ``pattern``."""
    with duckdb.connect() as con:
        try:
            con.execute("SELECT try_strptime('', ?)", [pattern])
        except duckdb.Error as exc:
            reason = str(exc).removeprefix("Invalid Input Error: ")
            raise ValueError(f"{pattern!r} is not a valid date format: {reason}") from None


def is_time_zone(name: str) -> bool:
    """True when DuckDB (which converts the times) knows the zone ``name``."""
    with duckdb.connect() as con:
        row = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [name]).fetchone()
    return bool(row and row[0])


def explain(error: ValidationError) -> str:
    """A pydantic error as one line: 'field.path: message; ...'."""
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = str(item["msg"]).removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def read_yaml(path: Path, what: str) -> Any:
    """Parse a YAML file, or raise ConfigError naming the file."""
    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: cannot read {what}: not UTF-8 text: {exc}") from exc
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read {what}: {' '.join(str(exc).split())}") from exc


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
    data = read_yaml(path, "city profile")
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a city profile must be a YAML mapping")
    try:
        return CityProfile.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid city profile: {explain(exc)}") from exc


@cache
def load_mapping(name: str) -> SourceMapping:
    """Load a built-in source mapping (``profiles/mappings/NAME.yaml``)."""
    path = _package_file("mappings", f"{name}.yaml")
    if not path.exists():
        raise ConfigError(f"unknown source format {name!r}")
    return read_mapping_file(path)


def read_mapping_file(path: Path) -> SourceMapping:
    """Read a user's column-mapping YAML (for ``--format csv --mapping FILE``)."""
    data = read_yaml(path, "mapping file")
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
    except ValidationError as exc:
        raise ConfigError(f"{path}: invalid mapping: {explain(exc)}") from exc
