"""Incremental sync: requests made through citystat's front door, from the store into the warehouse.

The store's requests changed since the last sync (by ``updated_at``, then id) are written as an
Open311 ``requests.json`` (the server's own output with extensions, plus the city's label for the
channel) and loaded through the ordinary ingest path, so they are validated, placed in areas and
merged like any other source. The sync mark moves only after the warehouse load commits; a crash
in between re-sends the same requests, which the load then finds unchanged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, sessionmaker

from citystat.ingest.files import ProgressFn
from citystat.ingest.geo import SpatialEngine
from citystat.ingest.loadlog import LoadResult
from citystat.ingest.requests import ingest_requests
from citystat.open311.records import read_public_notes, show_request
from citystat.profiles import CityProfile
from citystat.store.models import ServiceRequest, SyncMark

MARK = "warehouse"
BATCH = 50_000


@dataclass(frozen=True)
class SyncResult:
    requests: int  # sent to the warehouse in this sync
    load: LoadResult | None  # None when there was nothing new
    mark: dt.datetime | None  # the newest updated_at now in the warehouse


def read_changed(session: Session, mark: SyncMark | None) -> list[ServiceRequest]:
    statement = select(ServiceRequest)
    if mark is not None:
        statement = statement.where(
            or_(
                ServiceRequest.updated_at > mark.updated_at,
                (ServiceRequest.updated_at == mark.updated_at) & (ServiceRequest.id > mark.request_id),
            )
        )
    statement = statement.order_by(ServiceRequest.updated_at, ServiceRequest.id).limit(BATCH)
    return list(session.scalars(statement))


def write_sync_file(
    session: Session, rows: list[ServiceRequest], profile: CityProfile, folder: Path, stamp: str
) -> Path:
    zone = ZoneInfo(profile.time_zone)
    notes = read_public_notes(session, [r.id for r in rows])
    records = []
    for row in rows:
        shown = show_request(row, zone, extensions=True, notes=notes.get(row.id))
        shown["extended_attributes"]["method_received"] = profile.channel_methods.get(
            row.channel, row.channel
        )
        records.append(shown)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"store-sync-{stamp}.json"
    path.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return path


def sync_store(
    con: duckdb.DuckDBPyConnection,
    sessions: sessionmaker[Session],
    profile: CityProfile,
    folder: Path,
    *,
    spatial: SpatialEngine = "auto",
    progress: ProgressFn | None = None,
) -> SyncResult:
    """Copy requests changed since the last sync into the warehouse (batches of 50,000 a call)."""
    with sessions() as session:
        mark = session.get(SyncMark, MARK)
        rows = read_changed(session, mark)
        if not rows:
            return SyncResult(0, None, mark.updated_at if mark else None)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
        path = write_sync_file(session, rows, profile, folder, stamp)
    try:
        (load,) = ingest_requests(
            con, [path], profile=profile, fmt="open311-json", spatial=spatial, progress=progress
        )
    finally:
        path.unlink(missing_ok=True)
    last = rows[-1]
    with sessions.begin() as session:
        stored = session.get(SyncMark, MARK)
        if stored is None:
            session.add(SyncMark(name=MARK, updated_at=last.updated_at, request_id=last.id))
        else:
            stored.updated_at, stored.request_id = last.updated_at, last.id
    return SyncResult(len(rows), load, last.updated_at)
