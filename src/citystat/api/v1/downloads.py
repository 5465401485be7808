"""Downloads: one measure's values (same filters as its values page) or every measure's values at
one grain, as CSV or Parquet files."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from citystat.api.v1.filters import AllFilters, Filters
from citystat.site.downloads import (
    CSV_MEDIA_TYPE,
    PARQUET_MEDIA_TYPE,
    write_table_csv,
    write_table_parquet,
    write_values_csv,
    write_values_parquet,
)
from citystat.web.caching import KeptRoute

router = APIRouter(route_class=KeptRoute)


def download(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content=content,
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def describe_file(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    schema = {"type": "string", "format": "binary"} if "parquet" in media_type else {"type": "string"}
    return {200: {"description": description, "content": {media_type.split(";")[0]: {"schema": schema}}}}


@router.get(
    "/measures/{measure_id}/values.csv",
    summary="Stored values as CSV (same filters as values)",
    response_class=Response,
    responses=describe_file(CSV_MEDIA_TYPE, "Every matching value, one per line, with a header line."),
)
def download_values_csv(request: Request, measure_id: str, filters: Filters) -> Response:
    selection = filters.select(request, measure_id)
    return download(write_values_csv(selection.rows), CSV_MEDIA_TYPE, f"{selection.file_stem}.csv")


@router.get(
    "/measures/{measure_id}/values.parquet",
    summary="Stored values as Parquet (same filters as values)",
    response_class=Response,
    responses=describe_file(PARQUET_MEDIA_TYPE, "Every matching value, as a Parquet file."),
)
def download_values_parquet(request: Request, measure_id: str, filters: Filters) -> Response:
    selection = filters.select(request, measure_id)
    return download(
        write_values_parquet(selection.rows), PARQUET_MEDIA_TYPE, f"{selection.file_stem}.parquet"
    )


@router.get(
    "/values.csv",
    summary="Every measure's values at one grain as CSV",
    response_class=Response,
    responses=describe_file(CSV_MEDIA_TYPE, "Every matching value, one per line, with a header line."),
)
def download_all_csv(request: Request, filters: AllFilters) -> Response:
    found = filters.read(request)
    return download(write_table_csv(found.table), CSV_MEDIA_TYPE, f"{found.file_stem}.csv")


@router.get(
    "/values.parquet",
    summary="Every measure's values at one grain as Parquet",
    response_class=Response,
    responses=describe_file(PARQUET_MEDIA_TYPE, "Every matching value, as a Parquet file."),
)
def download_all_parquet(request: Request, filters: AllFilters) -> Response:
    found = filters.read(request)
    return download(write_table_parquet(found.table), PARQUET_MEDIA_TYPE, f"{found.file_stem}.parquet")
