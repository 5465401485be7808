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
    """A compute engine (DuckDB, PostgreSQL, Spark) cannot be opened, or data cannot be published to it."""


class UnsupportedMeasureError(EngineError):
    """A backend cannot compile a measure feature exactly.

    Raised instead of silently substituting an approximation: e.g. an exact median or percentile on
    Trino or BigQuery, where Ibis only offers ``approx_percentile`` / ``APPROX_QUANTILES``.
    """
