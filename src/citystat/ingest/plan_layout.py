"""How a city's performance-plan files are laid out, and the label vocabularies they use.

A layout lives in ``profiles/plans/NAME.yaml`` and is named by the city profile (``plan_layout``).
Label tables map every normalised spelling seen in the files (typos included) to one value, so
no code tests for a particular spelling.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from citystat.catalog.text import normalise_label
from citystat.errors import ConfigError
from citystat.profiles import CityProfile

EXPORT_FIELDS = (
    "measure_code",
    "title",
    "agency",
    "agency_name",
    "service",
    "cycle",
    "unit",
    "measure_type",
    "direction",
    "interval",
    "equity",
    "deprecated",
    "status",
    "measure_request",
    "formula",
    "data_source",
    "modified",
)
REQUIRED_EXPORT_FIELDS = ("measure_code", "title", "agency", "cycle", "unit")
PERIODS = ("q1", "q2", "q3", "q4", "annual", "target")
PLAN_FILE_KEYS = (
    "measures",
    "actuals",
    "service_links",
    "goal_links",
    "agency_goals",
    "agencies",
    "services",
    "pillars",
    "pillar_goals",
    "initiatives",
    "entities",
    "entity_services",
)
OPTIONAL_FILES = frozenset({"entities", "entity_services", "goal_links", "agency_goals"})


class Vocabulary(BaseModel):
    """Normalised spelling -> canonical value."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    entries: dict[str, str]

    def lookup(self, raw: str | None) -> tuple[str, bool]:
        """Return (value, known). Unknown labels come back normalised, with known=False."""
        label = normalise_label(raw)
        if label in self.entries:
            return self.entries[label], True
        return label, False


def _vocabulary(value: object) -> object:
    if isinstance(value, dict):
        return {"entries": {normalise_label(str(k)): str(v) for k, v in value.items()}}
    return value


class ExportLayout(BaseModel):
    """The spreadsheet export: which column holds what, and how its labels are spelled."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    columns: dict[str, str] = Field(description="Field (see EXPORT_FIELDS) -> column header.")
    value_column: str = Field(description="Regex with groups 'year' (2 digits) and 'period'.")
    cycle_value: str = Field(description="Regex with group 'year' for the planning-cycle column.")
    century: int = Field(2000, description="Added to two-digit years.")
    code_prefix: str = Field(description="Regex with group 'code' taking the id out of 'AGC2300 Finance'.")
    modified_format: str = "%Y-%m-%d %H:%M:%S"
    periods: dict[str, str] = Field(description="Normalised period word in a column header -> period.")
    labels: dict[str, Vocabulary] = Field(default_factory=dict)
    title_match_threshold: float = Field(0.9, gt=0, le=1)

    @field_validator("labels", mode="before")
    @classmethod
    def read_labels(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: _vocabulary(v) for k, v in value.items()}
        return value

    @field_validator("columns")
    @classmethod
    def check_columns(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(EXPORT_FIELDS))
        missing = sorted(set(REQUIRED_EXPORT_FIELDS) - set(value))
        if unknown or missing:
            raise ValueError(f"unknown export fields {unknown}, missing export fields {missing}")
        return value

    @field_validator("periods")
    @classmethod
    def check_periods(cls, value: dict[str, str]) -> dict[str, str]:
        wrong = sorted(v for v in value.values() if v not in PERIODS)
        if wrong:
            raise ValueError(f"unknown periods {wrong}; allowed: {', '.join(PERIODS)}")
        return {normalise_label(k): v for k, v in value.items()}

    def label(self, table: str) -> Vocabulary:
        return self.labels.get(table, Vocabulary(entries={}))

    def value_columns(self, header: list[str]) -> dict[str, tuple[int, str]]:
        """Header columns holding values: column -> (fiscal year, period)."""
        pattern = re.compile(self.value_column)
        found: dict[str, tuple[int, str]] = {}
        for column in header:
            match = pattern.match(column.strip())
            if match is None:
                continue
            period = self.periods.get(normalise_label(match.group("period")))
            if period is not None:
                found[column] = (self.century + int(match.group("year")), period)
        return found

    def cycle_year(self, raw: str) -> int | None:
        match = re.match(self.cycle_value, raw.strip(), flags=re.IGNORECASE)
        return self.century + int(match.group("year")) if match else None

    def code_of(self, raw: str) -> str:
        match = re.match(self.code_prefix, raw.strip())
        return match.group("code") if match else raw.strip()


class PlanLayout(BaseModel):
    """A performance-plan layout: vocabularies of the normalised tables and the export's layout."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str = ""
    files: dict[str, str] = Field(description="File key (see plan_read.PLAN_FILE_KEYS) -> file name.")
    measure_types: Vocabulary
    directions: Vocabulary
    units: Vocabulary
    export: ExportLayout

    @field_validator("files")
    @classmethod
    def check_files(cls, value: dict[str, str]) -> dict[str, str]:
        if sorted(value) != sorted(PLAN_FILE_KEYS):
            raise ValueError(f"files must name exactly: {', '.join(PLAN_FILE_KEYS)}")
        return value

    @field_validator("measure_types", "directions", "units", mode="before")
    @classmethod
    def read_vocabulary(cls, value: object) -> object:
        return _vocabulary(value)


def _layout_file(name: str) -> Path:
    return Path(str(resources.files("citystat.profiles").joinpath("plans", f"{name}.yaml")))


@cache
def load_plan_layout(name: str) -> PlanLayout:
    """Load ``profiles/plans/NAME.yaml`` (or a YAML file by path)."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else _layout_file(name)
    if not path.is_file():
        raise ConfigError(f"unknown performance-plan layout {name!r} (looked for {path})")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        return PlanLayout.model_validate(data)
    except (OSError, yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"{path}: invalid performance-plan layout: {exc}") from None


def layout_for(profile: CityProfile) -> PlanLayout:
    if profile.plan_layout is None:
        raise ConfigError(
            f"city {profile.name!r} has no performance-plan layout (plan_layout in its profile)"
        )
    return load_plan_layout(profile.plan_layout)
