"""Ingest: sources -> canonical warehouse tables, with bad rows quarantined and loads atomic."""

from citystat.ingest.boundaries import ingest_boundaries
from citystat.ingest.demographics import ingest_demographics
from citystat.ingest.loadlog import LoadResult, list_loads
from citystat.ingest.requests import ingest_requests

__all__ = ["LoadResult", "ingest_boundaries", "ingest_demographics", "ingest_requests", "list_loads"]
