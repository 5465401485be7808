"""A city's resident service catalogue: ``profiles/services/NAME.yaml``, validated on load.

Open311 GeoReport v2 service definitions: each attribute has a ``code``, a ``datatype`` (string,
number, datetime, text, singlevaluelist, multivaluelist), ``required``, ``order``, a
``description`` (the question) and, for lists, ``values`` (key and name).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, ValidationError, model_validator

from citystat.errors import ConfigError
from citystat.profiles import read_yaml

CATALOGUES = Path(__file__).parent.parent / "profiles" / "services"
Datatype = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_TYPES = ("singlevaluelist", "multivaluelist")


class AttributeValue(BaseModel):
    key: str
    name: str
    name_es: str | None = None  # the answer in Spanish, for the request forms

    def label(self, lang: str) -> str:
        return (self.name_es if lang == "es" else None) or self.name


class AttributeSpec(BaseModel):
    """One question of a service definition."""

    code: str
    datatype: Datatype
    required: bool = False
    order: int
    description: str
    datatype_description: str | None = None
    variable: bool = True
    values: list[AttributeValue] = Field(default_factory=list)
    description_es: str | None = None  # the question in Spanish, for the request forms

    def question(self, lang: str) -> str:
        return (self.description_es if lang == "es" else None) or self.description

    @model_validator(mode="after")
    def check_values(self) -> AttributeSpec:
        if self.datatype in LIST_TYPES and not self.values:
            raise ValueError(f"attribute {self.code}: a {self.datatype} needs values")
        if self.datatype not in LIST_TYPES and self.values:
            raise ValueError(f"attribute {self.code}: only list attributes have values")
        keys = [v.key for v in self.values]
        if len(set(keys)) != len(keys):
            raise ValueError(f"attribute {self.code}: value keys repeat")
        return self


class ServiceSpec(BaseModel):
    description: str = ""
    name_es: str | None = None  # the service's name in Spanish (the English name comes from its code)
    description_es: str | None = None
    # realtime: a POST creates the request at once; batch: a POST is queued and answered with a token
    type: Literal["realtime", "batch", "blackbox"] = "realtime"
    keywords: list[str] = Field(default_factory=list)
    attributes: list[AttributeSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def check_attributes(self) -> ServiceSpec:
        codes = [a.code for a in self.attributes]
        if len(set(codes)) != len(codes):
            raise ValueError("attribute codes repeat")
        return self


class GroupSpec(BaseModel):
    prefix: str
    en: str
    es: str
    agency: str | None = None  # who handles the group's types when no request says


class ServiceCatalogue(BaseModel):
    staff_only: list[str] = Field(default_factory=list)
    groups: list[GroupSpec] = Field(default_factory=list)
    other_group: dict[str, str] = Field(
        default_factory=lambda: {"en": "Other services", "es": "Otros servicios"}
    )
    services: dict[str, ServiceSpec] = Field(default_factory=dict)


@cache
def load_service_catalogue(name: str) -> ServiceCatalogue:
    """A built-in catalogue by name, or a YAML file by path."""
    path = Path(name) if name.endswith((".yaml", ".yml")) else CATALOGUES / f"{name}.yaml"
    if not path.exists():
        raise ConfigError(f"unknown service catalogue {name!r} (looked for {path})")
    data = read_yaml(path, "service catalogue")
    try:
        return ServiceCatalogue.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['msg'].removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
