"""Named errors shared across layers."""

from __future__ import annotations


class CitystatError(Exception):
    """Base class for errors that the CLI reports as a clear message, not a traceback."""


class ConfigError(CitystatError):
    """A profile, mapping or settings value is wrong."""


class IngestError(CitystatError):
    """A whole file cannot be loaded (not a 311 export, unreadable, wrong format)."""


class WarehouseError(CitystatError):
    """The warehouse is missing, locked or at an unexpected schema version."""


class EngineError(CitystatError):
    """A measure cannot be computed on the chosen engine (connection, missing table...)."""


class UnsupportedMeasureError(EngineError):
    """An engine cannot compile a measure feature exactly, e.g. exact median on Trino or BigQuery.

    citystat never substitutes an approximation silently: the measure must opt in with
    ``exact: false``.
    """
