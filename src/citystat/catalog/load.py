"""Read a catalog folder: one YAML file per measure, checked against the model."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml
from pydantic import ValidationError

from citystat.catalog.model import Measure
from citystat.errors import ConfigError


class CatalogError(ConfigError):
    """A catalog file is not a valid measure definition."""


@dataclass(frozen=True)
class Catalog:
    """Measures by id, with where each came from and a version hash of the whole catalog."""

    measures: dict[str, Measure]
    origins: dict[str, str] = field(default_factory=dict)
    version: str = ""

    def active(self) -> list[Measure]:
        return [m for m in self.measures.values() if not m.retired]

    def computed(self) -> list[Measure]:
        return [m for m in self.active() if m.computation is not None]

    def get(self, measure_id: str) -> Measure:
        try:
            return self.measures[measure_id]
        except KeyError:
            raise CatalogError(f"no measure {measure_id!r} in the catalog") from None


def builtin_catalog_dir(name: str) -> Path:
    """The folder of a catalog that ships with citystat (named by the city profile)."""
    folder = Path(str(resources.files("citystat.catalog"))) / "builtin" / name
    if not folder.is_dir():
        raise CatalogError(f"no built-in catalog {name!r} (looked in {folder})")
    return folder


def describe_validation(path: Path, exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        where = ".".join(str(part) for part in error["loc"]) or "(file)"
        problems.append(f"{where}: {error['msg']}")
    return f"{path}: " + "; ".join(problems)


def read_measure(path: Path) -> Measure:
    """Read and check one measure file; the error names the file and the field."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise CatalogError(f"{path}: cannot read measure definition: {exc}") from None
    if not isinstance(data, dict):
        raise CatalogError(f"{path}: a measure file holds one mapping (id, title, ...)")
    try:
        return Measure.model_validate(data)
    except ValidationError as exc:
        raise CatalogError(describe_validation(path, exc)) from None


def load_catalog(folder: Path) -> Catalog:
    """Read every ``*.yaml`` in ``folder`` (sorted); ids must be unique."""
    if not folder.is_dir():
        raise CatalogError(f"catalog folder {folder} does not exist")
    measures: dict[str, Measure] = {}
    origins: dict[str, str] = {}
    digest = hashlib.sha256()
    for path in sorted(folder.glob("*.yaml")):
        measure = read_measure(path)
        if measure.id in measures:
            first = origins[measure.id]
            raise CatalogError(f"{path}: measure id {measure.id!r} is already defined in {first}")
        measures[measure.id] = measure
        origins[measure.id] = path.name
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    if not measures:
        raise CatalogError(f"catalog folder {folder} holds no measure files (*.yaml)")
    return Catalog(measures, origins, digest.hexdigest()[:12])
