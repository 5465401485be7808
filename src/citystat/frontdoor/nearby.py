"""Open requests of the same kind close by, so a resident can see theirs is already reported."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from citystat.store.models import ServiceRequest

RADIUS_M = 250.0
EARTH_M = 6_371_000.0
LIMIT = 5


@dataclass(frozen=True)
class NearbyRequest:
    public_id: str
    address: str | None
    distance_m: float | None  # None when matched by address
    requested_at_iso: str


def measure_distance(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(math.sqrt(a))


def find_nearby(
    session: Session, service_code: str, *, lat: float | None, long: float | None, address: str | None
) -> list[NearbyRequest]:
    """Up to five open requests of ``service_code`` within 250 m, or at the same address."""
    base = select(ServiceRequest).where(
        ServiceRequest.service_code == service_code, ServiceRequest.status == "open"
    )
    found: list[NearbyRequest] = []
    if lat is not None and long is not None:
        box = RADIUS_M / 111_000
        widen = box / max(math.cos(math.radians(lat)), 0.01)
        rows = session.scalars(
            base.where(
                ServiceRequest.lat.between(lat - box, lat + box),
                ServiceRequest.long.between(long - widen, long + widen),
            )
        )
        for row in rows:
            assert row.lat is not None and row.long is not None
            distance = measure_distance(lat, long, row.lat, row.long)
            if distance <= RADIUS_M:
                found.append(
                    NearbyRequest(row.public_id, row.address, distance, row.requested_at.isoformat())
                )
        found.sort(key=lambda r: r.distance_m or 0.0)
    elif address:
        rows = session.scalars(
            base.where(func.lower(ServiceRequest.address) == address.strip().lower())
            .order_by(ServiceRequest.requested_at.desc())
            .limit(LIMIT)
        )
        found = [NearbyRequest(r.public_id, r.address, None, r.requested_at.isoformat()) for r in rows]
    return found[:LIMIT]
