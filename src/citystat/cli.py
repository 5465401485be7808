"""The ``citystat`` command line: a thin caller of the library."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, cast, get_args

import duckdb
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from sqlalchemy.orm import Session, sessionmaker

from citystat.catalog.load import Catalog, builtin_catalog_dir, load_catalog
from citystat.catalog.model import GRAINS, Grain
from citystat.errors import CitystatError, ConfigError
from citystat.ingest import LoadResult, ingest_boundaries, ingest_demographics, ingest_requests, list_loads
from citystat.ingest.files import ProgressFn
from citystat.profiles import CityProfile
from citystat.settings import Settings, get_settings
from citystat.warehouse import connect, describe_warehouse, open_warehouse, read_profile, resolve_profile

app = typer.Typer(
    help="citystat: measure every city service once, accurately and equitably.",
    no_args_is_help=True,
    add_completion=False,
)
ingest_app = typer.Typer(help="Load source files into the warehouse.", no_args_is_help=True)
bench_app = typer.Typer(
    help="Benchmarks (ratios against a baseline measured in the same run).", no_args_is_help=True
)
catalog_app = typer.Typer(help="The measure catalog: list, show, review.", no_args_is_help=True)
report_app = typer.Typer(help="Briefings written to files (Markdown and HTML).", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(catalog_app, name="catalog")
app.add_typer(bench_app, name="bench")
app.add_typer(report_app, name="report")
store_app = typer.Typer(
    help="The transactional store: resident requests, staff, API keys.", no_args_is_help=True
)
app.add_typer(store_app, name="store")
console = Console()
err_console = Console(stderr=True)


class State:
    settings: Settings = get_settings()


PeriodOpt = Annotated[str, typer.Option(help="Grain: week, month, fiscal_quarter, fiscal_year...")]
FormatOpt = Annotated[str, typer.Option("--format", help="table or json.")]
WarehouseOpt = Annotated[
    Path | None, typer.Option("--warehouse", "-w", help="Warehouse file (CITYSTAT_WAREHOUSE).")
]


@app.callback()
def main(
    warehouse: WarehouseOpt = None,
    city: Annotated[str | None, typer.Option(help="City profile (CITYSTAT_CITY).")] = None,
) -> None:
    updates: dict[str, Any] = {}
    if warehouse is not None:
        updates["warehouse"] = warehouse
    if city is not None:
        updates["city"] = city
    State.settings = get_settings().model_copy(update=updates)


@contextmanager
def reported_errors() -> Iterator[None]:
    """Turn citystat's own errors into a one-line message and exit code 1."""
    try:
        yield
    except CitystatError as exc:
        err_console.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None


@contextmanager
def open_city(*, read_only: bool = False) -> Iterator[tuple[duckdb.DuckDBPyConnection, CityProfile]]:
    """The warehouse and its city. ``read_only``: for commands that only read, so they run while
    another process (a load, the web server) has the warehouse open."""
    if read_only:
        con = connect(State.settings.warehouse, read_only=True)
        try:
            yield con, read_profile(con, State.settings.city)
        finally:
            con.close()
        return
    con = open_warehouse(State.settings.warehouse)
    try:
        yield con, resolve_profile(con, State.settings.city)
    finally:
        con.close()


@contextmanager
def progress_bar(description: str) -> Iterator[ProgressFn]:
    with staged_progress_bar(description) as (update, _stage):
        yield update


@contextmanager
def staged_progress_bar(description: str) -> Iterator[tuple[ProgressFn, Callable[[str], None]]]:
    """A progress bar and a ``stage(message)`` that notes a finished stage and names the next."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        TimeRemainingColumn(),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total or None)

        def stage(message: str) -> None:
            bar.console.print(f"[dim]·[/] {escape(message)}", highlight=False)
            bar.update(task, description=message, completed=0, total=None)

        yield update, stage


def print_result(result: LoadResult) -> None:
    if result.skipped:
        console.print(f"[yellow]unchanged[/] {result.source}: {'; '.join(result.notes)}", highlight=False)
        return
    table = Table(
        title=f"load {result.load_id}: {result.kind} from {Path(result.source).name}", title_justify="left"
    )
    table.add_column("what")
    table.add_column("rows", justify="right")
    for label, value in (
        ("read", result.rows_read),
        ("loaded (new)", result.rows_loaded),
        ("updated", result.rows_updated),
        ("unchanged", result.rows_unchanged),
        ("older than stored (kept out)", result.rows_stale),
        ("quarantined (rejected)", result.rows_quarantined),
        ("loaded with a flag", result.rows_flagged),
    ):
        if value or label in ("read", "loaded (new)", "quarantined (rejected)"):
            table.add_row(label, f"{value:,}")
    for reason, count in sorted(result.rejected_by_reason.items()):
        table.add_row(f"  rejected: {reason}", f"{count:,}")
    for reason, count in sorted(result.flagged_by_reason.items()):
        table.add_row(f"  flagged: {reason}", f"{count:,}")
    console.print(table)
    for note in result.notes:
        console.print(f"  note: {note}", highlight=False)


@ingest_app.command("requests")
def ingest_requests_cmd(
    files: Annotated[list[Path], typer.Argument(help="311 export files (CSV or Open311 requests.json).")],
    fmt: Annotated[str | None, typer.Option("--format", help="baltimore-csv | open311-json | csv")] = None,
    mapping: Annotated[Path | None, typer.Option(help="Column mapping YAML for --format csv.")] = None,
    force: Annotated[bool, typer.Option(help="Reload even if the same file was loaded before.")] = False,
) -> None:
    """Load service requests; bad rows are quarantined with a reason."""
    with reported_errors(), open_city() as (con, profile):
        for path in files:
            with progress_bar(f"loading {path.name}") as progress:
                results = ingest_requests(
                    con,
                    [path],
                    profile=profile,
                    fmt=fmt,
                    mapping_file=mapping,
                    force=force,
                    max_field_chars=State.settings.max_field_chars,
                    value_chars=State.settings.quarantine_value_chars,
                    spatial=State.settings.spatial,
                    progress=progress,
                )
            for result in results:
                print_result(result)


@ingest_app.command("service-types")
def ingest_service_types_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV with one column of service types (request_type, SRType...).")
    ],
    force: Annotated[bool, typer.Option(help="Reload even if the list is this file already.")] = False,
) -> None:
    """Load (replace) the city's published list of service types; the front door offers them all."""
    from citystat.ingest.service_types import ingest_service_types

    with reported_errors(), open_city() as (con, _profile):
        print_result(ingest_service_types(con, file, force=force))


@ingest_app.command("boundaries")
def ingest_boundaries_cmd(
    file: Annotated[Path, typer.Argument(help="GeoJSON FeatureCollection in longitude/latitude.")],
    layer: Annotated[
        str, typer.Option(help="neighborhood | csa | council_district | police_district | tract")
    ],
    force: Annotated[bool, typer.Option(help="Reload even if the layer already holds this file.")] = False,
) -> None:
    """Load (replace) one boundary layer, then give stored requests their areas."""
    with reported_errors(), open_city() as (con, profile):
        print_result(
            ingest_boundaries(
                con, file, layer=layer, profile=profile, force=force, spatial=State.settings.spatial
            )
        )


@ingest_app.command("demographics")
def ingest_demographics_cmd(
    file: Annotated[Path, typer.Argument(help="CSV, or GeoJSON whose feature properties hold the values.")],
    layer: Annotated[str, typer.Option(help="csa | tract")],
    key: Annotated[str, typer.Option(help="Column naming the area (e.g. CSA, GEOID).")],
    force: Annotated[bool, typer.Option(help="Reload even if loaded before.")] = False,
) -> None:
    """Load area demographics (one row per area, one column per variable)."""
    with reported_errors(), open_city() as (con, profile):
        print_result(ingest_demographics(con, file, layer=layer, key=key, profile=profile, force=force))


@ingest_app.command("plan")
def ingest_plan_cmd(
    folder: Annotated[Path, typer.Argument(help="Folder of the plan's tables (measures.csv, ...).")],
    export: Annotated[
        Path | None, typer.Option(help="Also load the plan's spreadsheet export (reconciled, kept apart).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Reload even if the same files were loaded before.")] = False,
) -> None:
    """Load the performance plan: reported measures, actuals, targets and the Action Plan."""
    from citystat.ingest.plan import ingest_plan
    from citystat.ingest.plan_export import ingest_plan_export

    settings = State.settings
    limits = {"max_field_chars": settings.max_field_chars, "value_chars": settings.quarantine_value_chars}
    with reported_errors(), open_city() as (con, profile):
        with progress_bar(f"loading plan {folder.name}") as progress:
            result = ingest_plan(con, folder, profile=profile, force=force, progress=progress, **limits)
        print_result(result)
        if export is not None:
            print_result(ingest_plan_export(con, export, profile=profile, force=force, **limits))


@app.command("loads")
def loads_cmd(
    limit: Annotated[int, typer.Option(help="How many recent loads to list.")] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List the load log, newest first."""
    with reported_errors(), open_city() as (con, _profile):
        loads = list_loads(con, limit)
    if as_json:
        console.print_json(json.dumps(loads, default=str))
        return
    table = Table(title="loads")
    for column in (
        "load",
        "kind",
        "source",
        "finished",
        "read",
        "new",
        "updated",
        "unchanged",
        "quarantined",
        "flagged",
    ):
        table.add_column(column, justify="right" if column not in ("kind", "source", "finished") else "left")
    for row in loads:
        table.add_row(
            str(row["load_id"]),
            row["kind"],
            Path(row["source"]).name,
            str(row["finished_at"])[:19],
            f"{row['rows_read']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_updated']:,}",
            f"{row['rows_unchanged']:,}",
            f"{row['rows_quarantined']:,}",
            f"{row['rows_flagged']:,}",
        )
    console.print(table)


@app.command("quarantine")
def quarantine_cmd(
    load: Annotated[int | None, typer.Option(help="Only this load.")] = None,
    limit: Annotated[int, typer.Option(help="Rows to show.")] = 50,
) -> None:
    """Show quarantined and flagged rows with their reasons."""
    with reported_errors(), open_city() as (con, _profile):
        rows = con.execute(
            "SELECT load_id, row_number, column_name, left(raw_value, 60), reason, action FROM quarantine"
            " WHERE ? IS NULL OR load_id = ? ORDER BY load_id DESC, row_number LIMIT ?",
            [load, load, limit],
        ).fetchall()
    table = Table(title="quarantine")
    for column in ("load", "row", "column", "value", "reason", "action"):
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


@app.command("info")
def info_cmd() -> None:
    """What the warehouse holds."""
    with reported_errors(), open_city() as (con, profile):
        facts = describe_warehouse(con)
    console.print(f"[bold]{profile.display_name}[/] ({State.settings.warehouse})", highlight=False)
    for key, value in facts.items():
        console.print(f"  {key}: {value}", highlight=False)


@app.command("demo")
def demo_cmd(
    rows: Annotated[int, typer.Option(help="Service requests to generate.")] = 200_000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same city).")] = 2024,
    end: Annotated[
        str | None, typer.Option(help="First day after the data (YYYY-MM-DD); default this month.")
    ] = None,
    replace: Annotated[
        bool, typer.Option(help="Allow replacing a warehouse that holds a real city.")
    ] = False,
) -> None:
    """Generate the synthetic demo city and build its warehouse."""
    from citystat.demo.load import build_demo

    settings = State.settings
    with reported_errors(), progress_bar("building the synthetic city") as progress:
        build = build_demo(
            settings.warehouse,
            settings.data_dir / "demo",
            rows=rows,
            seed=seed,
            end=date.fromisoformat(end) if end else None,
            replace=replace,
            spatial=settings.spatial,
            progress=progress,
        )
    for result in build.loads:
        print_result(result)
    if build.computed is not None:
        console.print(
            f"computed {build.computed.measures} measures: {build.computed.values_written:,} values",
            highlight=False,
        )
    console.print(f"[green]synthetic demo city ready[/] in {build.warehouse}", highlight=False)


def open_store_sessions() -> sessionmaker[Session]:
    from citystat.store import create_session_factory, open_store, upgrade_store

    engine = open_store(State.settings.resolve_store_url())
    upgrade_store(engine)
    return create_session_factory(engine)


@store_app.command("upgrade")
def store_upgrade_cmd() -> None:
    """Create the store or bring its tables up to date (the server does this on start too)."""
    from citystat.store import open_store, read_store_revision, upgrade_store

    with reported_errors():
        engine = open_store(State.settings.resolve_store_url())
        upgrade_store(engine)
        console.print(f"store at revision {read_store_revision(engine)}: {engine.url.render_as_string()}")


@store_app.command("add-api-key")
def store_add_api_key_cmd(
    label: Annotated[str, typer.Argument(help="Who the key is for, e.g. 'SeeClickFix app'.")],
    channel: Annotated[
        str, typer.Option(help="Channel its requests are recorded as: api | web | phone | staff.")
    ] = "api",
) -> None:
    """Issue an Open311 api_key; it is printed once and only its hash is kept."""
    from citystat.open311.keys import issue_api_key

    with reported_errors(), open_store_sessions().begin() as session:
        key = issue_api_key(session, label, channel=channel, actor="cli")
    console.print(key)


@store_app.command("add-staff")
def store_add_staff_cmd(
    email: Annotated[str, typer.Argument(help="The staff member's e-mail (their sign-in name).")],
    name: Annotated[str, typer.Option(help="Their name, as shown to other staff.")],
    role: Annotated[
        str, typer.Option(help="admin (every request) or agency (their agency's requests).")
    ] = "agency",
    agency: Annotated[
        str | None, typer.Option(help="For role agency: the agency whose requests they work on.")
    ] = None,
    password_env: Annotated[
        str, typer.Option(help="Environment variable holding the password (never typed on the command line).")
    ] = "CITYSTAT_NEW_STAFF_PASSWORD",
) -> None:
    """Create a staff account; the password is read from an environment variable and kept only hashed."""
    import os

    from citystat.staff.accounts import create_staff

    password = os.environ.get(password_env, "")
    with reported_errors(), open_store_sessions().begin() as session:
        user = create_staff(
            session, email=email, name=name, password=password, role=role, agency=agency, actor="cli"
        )
        console.print(f"staff account {user.email} ({user.role}{', ' + agency if agency else ''}) created")


@app.command("export-requests")
def export_requests_cmd(
    output: Annotated[Path, typer.Argument(help="File to write (a GeoReport v2 requests.json).")],
) -> None:
    """Write the warehouse's requests as Open311 GeoReport v2 JSON (no personal data is stored)."""
    from citystat.open311.export import read_open311_requests

    with reported_errors(), open_city(read_only=True) as (con, _profile):
        records = read_open311_requests(con)
    output.write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    console.print(f"{len(records):,} requests written to {output}")


@app.command("sync")
def sync_cmd() -> None:
    """Copy requests made through the front door (store) into the warehouse, incrementally."""
    from citystat.ingest.store_sync import sync_store

    with reported_errors(), open_city() as (con, profile):
        sessions = open_store_sessions()
        total = 0
        while True:
            with progress_bar("syncing the store") as progress:
                result = sync_store(
                    con,
                    sessions,
                    profile,
                    State.settings.data_dir / "sync",
                    spatial=State.settings.spatial,
                    progress=progress,
                )
            total += result.requests
            if result.load is not None:
                print_result(result.load)
            if result.requests == 0:
                break
        console.print(f"{total:,} requests synced from the store")


@app.command("serve")
def serve_cmd(
    host: Annotated[str | None, typer.Option(help="Bind address (CITYSTAT_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (CITYSTAT_PORT).")] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level: debug, info, warning ...")] = "info",
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = True,
) -> None:
    """Run the web server."""
    import uvicorn

    from citystat.web import create_app

    settings = State.settings
    uvicorn.run(
        create_app(settings),
        host=host or settings.host,
        port=port or settings.port,
        log_level=log_level,
        access_log=access_log,
    )


@app.command("screenshots")
def screenshots_cmd(
    out: Annotated[Path, typer.Option(help="Folder for the PNG files.")] = Path("screenshots"),
    measure: Annotated[str | None, typer.Option(help="Measure id (default: one with targets).")] = None,
    lang: Annotated[str, typer.Option(help="Page language: en or es.")] = "en",
) -> None:
    """Screenshots of the home page and a measure page at 1280 and 375 px (Chromium)."""
    from citystat.screenshots import take_screenshots

    with reported_errors():
        shots = take_screenshots(State.settings, out, measure_id=measure, lang=lang)
    for shot in shots:
        wide = " [red]wider than the window[/]" if shot.overflows else ""
        console.print(f"{shot.file} ({shot.path}, {shot.width} px){wide}", highlight=False)
    if any(shot.overflows for shot in shots):
        raise typer.Exit(1)


@bench_app.command("ingest")
def bench_ingest_cmd(
    rows: Annotated[int, typer.Option(help="Synthetic requests in the benchmark file.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    """Ingest rows/s against a plain DuckDB read_csv of the same file, in the same run."""
    from citystat.bench import bench_ingest

    with reported_errors(), progress_bar("benchmark") as progress:
        report = bench_ingest(State.settings.data_dir / "bench", rows=rows, seed=seed, progress=progress)
    table = Table(title=f"ingest benchmark: {rows:,} rows ({report['file_mb']:.0f} MB CSV)")
    for column in ("step", "seconds", "rows/s", "ratio to baseline"):
        table.add_column(column, justify="right" if column != "step" else "left")
    for step in report["steps"]:
        table.add_row(
            step["name"],
            f"{step['seconds']:.2f}",
            f"{step['rows_per_second']:,.0f}",
            f"{step['ratio_to_baseline']:.2f}",
        )
    console.print(table)
    if out is not None:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")


@bench_app.command("compute")
def bench_compute_cmd(
    rows: Annotated[int, typer.Option(help="Synthetic requests in the benchmark city.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    """The whole starter catalog by week × neighbourhood: citystat against hand-written DuckDB SQL
    (the baseline), pandas and polars, each in its own process, same data, same run.

    The city is built once per --rows/--seed and cached under the data folder (bench/)."""
    from citystat.bench_compute import bench_compute

    with reported_errors(), staged_progress_bar("compute benchmark") as (progress, stage):
        report = bench_compute(
            State.settings.data_dir / "bench", rows=rows, seed=seed, progress=progress, stage=stage
        )
    table = Table(
        title=f"compute benchmark: {report['measures']} measures by week × neighbourhood,"
        f" {report['requests']:,} requests ({report['cpus']} CPUs)"
    )
    for column in ("contender", "seconds", "peak MiB", "ratio to (a)", "values", "same values as (a)"):
        table.add_column(column, justify="left" if column == "contender" else "right")
    for step in report["steps"]:
        same = "yes" if step["agrees"] else f"NO ({step['missing'] + step['extra'] + step['differ']:,} rows)"
        table.add_row(
            step["label"],
            f"{step['seconds']:.2f}",
            f"{step['peak_mib']:,.0f}",
            f"{step['ratio_to_baseline']:.2f}",
            f"{step['values']:,}",
            same,
        )
    console.print(table)
    for goal, met in report.get("goals", {}).items():
        console.print(f"  {'[green]met[/]' if met else '[yellow]not met[/]'}: {goal}", highlight=False)
    if out is not None:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")


@bench_app.command("open311")
def bench_open311_cmd(
    rows: Annotated[
        int, typer.Option(help="Synthetic requests in the city served (its service list).")
    ] = 20_000,
    clients: Annotated[int, typer.Option(help="Concurrent clients (one keep-alive connection each).")] = 20,
    requests: Annotated[int, typer.Option(help="Timed requests per operation.")] = 1000,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    """POST and GET throughput and p95 latency of the Open311 server on the SQLite store, next to a
    bare FastAPI endpoint doing one insert (the baseline), measured in the same run."""
    from citystat.bench_open311 import bench_open311

    with reported_errors(), staged_progress_bar("Open311 benchmark") as (progress, stage):
        report = bench_open311(
            State.settings.data_dir / "bench",
            rows=rows,
            clients=clients,
            requests=requests,
            progress=progress,
            stage=stage,
        )
    title = f"Open311 benchmark: {clients} clients, {requests:,} requests per operation"
    table = Table(title=f"{title} ({report['cpus']} CPUs)")
    for column in ("operation", "req/s", "p50 ms", "p95 ms", "statuses", "errors", "cost vs baseline"):
        table.add_column(column, justify="left" if column in ("operation", "statuses") else "right")
    for step in report["steps"]:
        ratio = step["ratio_to_baseline"]
        table.add_row(
            step["name"],
            f"{step['requests_per_second']:,.0f}",
            f"{step['p50_ms']:.1f}",
            f"{step['p95_ms']:.1f}",
            ", ".join(f"{k}: {v}" for k, v in step["statuses"].items()),
            str(step["errors"]),
            "–" if ratio is None else f"{ratio:.2f}×",
        )
    console.print(table)
    if out is not None:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")


@bench_app.command("web")
def bench_web_cmd(
    rows: Annotated[int, typer.Option(help="Synthetic requests in the benchmark city.")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    clients: Annotated[int, typer.Option(help="Concurrent clients (one keep-alive connection each).")] = 50,
    requests: Annotated[int, typer.Option(help="Timed requests per target.")] = 2000,
    reuse: Annotated[
        bool, typer.Option(help="Serve the city an earlier run built for these --rows/--seed, if any.")
    ] = False,
    out: Annotated[Path | None, typer.Option(help="Also write the report as JSON here.")] = None,
) -> None:
    """Latency and throughput of `citystat serve` (a real process) for the home page, a measure
    page and an API values call, against a static file the same server serves (the baseline).

    The city is built under the data folder (bench/); --reuse keeps an earlier one."""
    from citystat.bench_web import bench_web

    with reported_errors(), staged_progress_bar("web benchmark") as (progress, stage):
        report = bench_web(
            State.settings.data_dir / "bench",
            rows=rows,
            seed=seed,
            clients=clients,
            requests=requests,
            reuse=reuse,
            progress=progress,
            stage=stage,
        )
    table = Table(
        title=f"web benchmark: {report['service_requests']:,} requests in the city, {clients} clients,"
        f" {requests:,} requests per target ({report['cpus']} CPUs)"
    )
    for column in ("target", "path", "req/s", "p50 ms", "p95 ms", "statuses", "errors", "ratio to static"):
        table.add_column(column, justify="left" if column in ("target", "path", "statuses") else "right")
    for step in report["steps"]:
        ratio = step["ratio_to_static"]
        table.add_row(
            step["name"],
            step["path"],
            f"{step['requests_per_second']:,.0f}",
            f"{step['p50_ms']:.1f}",
            f"{step['p95_ms']:.1f}",
            " ".join(f"{code}×{n}" for code, n in step["statuses"].items()),
            f"{step['errors']:,}",
            "-" if ratio is None else f"{ratio:.2f}",
        )
    console.print(table)
    console.print(
        f"  server: {report['server']}; load average {report['load_before']:.1f} before,"
        f" {report['load_after']:.1f} after",
        highlight=False,
    )
    firsts = ", ".join(
        f"{name} {f['status']} in {f['ms']:,.0f} ms" for name, f in report["first_requests"].items()
    )
    console.print(f"  first request of each target (cold caches): {firsts}", highlight=False)
    if out is not None:
        out.write_text(json.dumps(report, indent=2), encoding="utf-8")


def read_catalog(profile: CityProfile) -> Catalog:
    folder = State.settings.catalog_dir or builtin_catalog_dir(profile.catalog)
    return load_catalog(folder)


@catalog_app.command("list")
def catalog_list_cmd() -> None:
    """List the catalog's measures."""
    with reported_errors(), open_city() as (_, profile):
        catalog = read_catalog(profile)
    table = Table(title=f"catalog {catalog.version}: {len(catalog.measures)} measures")
    for column in ("id", "title", "agency", "type", "unit", "direction", "version"):
        table.add_column(column)
    for m in catalog.measures.values():
        table.add_row(m.id, m.title, m.agency, m.measure_type or "", m.unit, m.direction, str(m.version))
    console.print(table)


@catalog_app.command("show")
def catalog_show_cmd(measure_id: Annotated[str, typer.Argument(help="Measure id.")]) -> None:
    """Print one measure's definition as JSON."""
    with reported_errors(), open_city() as (_, profile):
        measure = read_catalog(profile).get(measure_id)
    console.print_json(measure.model_dump_json())


@catalog_app.command("lint")
def catalog_lint_cmd(
    plan: Annotated[
        bool, typer.Option(help="Also review the plan's measures and data in the warehouse.")
    ] = False,
    catalog: Annotated[bool, typer.Option(help="Review the catalog folder's measures.")] = True,
    fiscal_year: Annotated[
        int | None, typer.Option(help="Fiscal year whose targets must exist (default: the current one).")
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
    limit: Annotated[int, typer.Option(help="Findings listed in the table (json lists all).")] = 40,
) -> None:
    """Review measures the way a performance team does: targets, directions, duplicates, gaps."""
    from citystat.catalog.lint import fiscal_year_of, lint_catalog, streamlining_report
    from citystat.catalog.lint_plan import lint_plan_data
    from citystat.catalog.stored import read_stored_measures, read_stored_values

    with reported_errors():
        if fmt not in ("table", "json"):
            raise CitystatError(f"unknown format {fmt!r}; choose table or json")
        with open_city() as (con, profile):
            year = fiscal_year or fiscal_year_of(date.today(), profile.fiscal_year_start_month)
            measures = read_catalog(profile).active() if catalog else []
            values = []
            if plan:
                reported = read_stored_measures(con, "reported")
                measures = [*measures, *reported]
                values = read_stored_values(con, [m.id for m in reported])
            findings = lint_catalog(measures, fiscal_year=year, values=values)
            if plan:
                findings += lint_plan_data(con)
    report = streamlining_report(measures)
    if fmt == "json":
        payload = {"fiscal_year": year, "streamlining": report, "findings": [f.as_dict() for f in findings]}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    print_lint(findings, report, year, limit)


def print_lint(findings: list[Any], report: dict[str, int], year: int, limit: int) -> None:
    summary = Table(title=f"catalog review, FY{year}: {len(findings):,} findings", title_justify="left")
    for column in ("check", "severity", "findings", "measures"):
        summary.add_column(column, justify="left" if column in ("check", "severity") else "right")
    groups: dict[tuple[str, str], list[Any]] = {}
    for finding in findings:
        groups.setdefault((finding.check, finding.severity), []).append(finding)
    for (check, severity), items in groups.items():
        measures = len({i for f in items for i in f.measure_ids})
        summary.add_row(check, severity, f"{len(items):,}", f"{measures:,}")
    console.print(summary)
    streamlining = Table(title="streamlining", title_justify="left")
    streamlining.add_column("measures")
    streamlining.add_column("count", justify="right")
    for label, count in report.items():
        streamlining.add_row(label, f"{count:,}")
    console.print(streamlining)
    for finding in findings[:limit]:
        console.print(f"[{finding.severity}] {finding.check}: {escape(finding.message)}", highlight=False)
    if len(findings) > limit:
        console.print(f"... {len(findings) - limit:,} more (--limit, or --format json)", highlight=False)


@app.command("compute")
def compute_cmd(
    measure: Annotated[list[str] | None, typer.Option(help="Only these measure ids.")] = None,
    since: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Also recompute periods from this date.")
    ] = None,
    full: Annotated[bool, typer.Option(help="Recompute every period, not just new loads.")] = False,
    engine: Annotated[
        str | None, typer.Option(help="duckdb (default), postgres or spark (CITYSTAT_ENGINE).")
    ] = None,
) -> None:
    """Compute the catalog's measures (only periods touched by new loads)."""
    from citystat.engine.compute import compute_on_engine

    name = engine or State.settings.engine
    with reported_errors(), open_city() as (con, profile), progress_bar("computing") as progress:
        if name not in ("duckdb", "postgres", "spark"):
            raise ConfigError(f"unknown engine {name!r}; choose duckdb, postgres or spark")
        result = compute_on_engine(
            con,
            read_catalog(profile),
            profile,
            name,  # type: ignore[arg-type]
            State.settings,
            measure_ids=measure or (),
            since=since.date() if since else None,
            full=full,
            progress=lambda _label, done, total: progress(done, total),
        )
    redefined = [m for m, what in result.definitions.items() if what == "redefined"]
    console.print(
        f"computed {result.measures - result.up_to_date} measure(s) in {result.scans} scan(s) on "
        f"{result.engine}: {result.values_written:,} values written; {result.up_to_date} up to date"
        + (f"; new version: {', '.join(redefined)}" if redefined else ""),
        highlight=False,
    )


@app.command("query")
def query_cmd(
    measure_id: Annotated[str, typer.Argument(help="Measure id.")],
    by: Annotated[str, typer.Option("--by", help="Dimension, e.g. neighborhood (default: citywide).")] = "",
    period: PeriodOpt = "month",
    start: Annotated[datetime | None, typer.Option("--from", formats=["%Y-%m-%d"])] = None,
    end: Annotated[datetime | None, typer.Option("--to", formats=["%Y-%m-%d"])] = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")] = None,
    all_versions: Annotated[bool, typer.Option(help="Every stored version, not the one in force.")] = False,
) -> None:
    """Print a measure's values by period (and dimension)."""
    from citystat.engine.query import VALUE_COLUMNS, QueryError, query_series
    from citystat.export import export_rows

    with reported_errors():
        grain = check_choices(period, fmt, formats=("table", "csv", "json", "parquet"))
        if fmt == "parquet" and output is None:
            raise QueryError("--format parquet needs --output FILE")
        with open_city(read_only=True) as (con, _):
            series = query_series(
                con,
                measure_id,
                grain=grain,
                dimension=by,
                start=start.date() if start else None,
                end=end.date() if end else None,
                all_versions=all_versions,
            )
    for brk in series.breaks:
        err_console.print(
            f"series break: version {brk.version} applies from {brk.effective_from} ({brk.title})",
            highlight=False,
        )
    if fmt != "table":
        text = export_rows(series.rows, VALUE_COLUMNS, fmt, output)  # type: ignore[arg-type]
        if text is not None:
            typer.echo(text, nl=False)
        return
    table = Table(title=f"{measure_id} by {period}" + (f" and {by}" if by else ""))
    shown = [
        "period_label",
        *(["dimension_value"] if by else []),
        "value",
        "numerator",
        "denominator",
        "version",
    ]
    for column in shown:
        table.add_column(column, justify="left" if column in ("period_label", "dimension_value") else "right")
    for row in series.rows:
        table.add_row(*(format_cell(row[c]) for c in shown))
    console.print(table)


def check_choices(period: str, fmt: str, formats: tuple[str, ...] = ("table", "json")) -> Grain:
    """Refuse an unknown period grain or output format with the choices named; return the grain."""
    from citystat.engine.query import QueryError

    if period not in GRAINS:
        raise QueryError(f"unknown period {period!r}; choose one of {', '.join(GRAINS)}")
    if fmt not in formats:
        raise QueryError(f"unknown format {fmt!r}; choose {', '.join(formats[:-1])} or {formats[-1]}")
    return period


@app.command("judge")
def judge_cmd(
    measure_id: Annotated[str, typer.Argument(help="Measure id.")],
    period: PeriodOpt = "month",
    by: Annotated[str, typer.Option("--by", help="Dimension, e.g. csa (default: citywide).")] = "",
    area: Annotated[str, typer.Option(help="The dimension's value, e.g. a CSA name.")] = "",
    rules: Annotated[
        str,
        typer.Option(
            help="Detection rules: western_electric (Wheeler's four zone rules) or wheeler"
            " (Understanding Variation: outside the limits, 3 of 4 near a limit, 8 on one side)."
        ),
    ] = "western_electric",
    fmt: FormatOpt = "table",
) -> None:
    """One measure's XmR chart (limits, signals by rule), target status per period and assurance."""
    from citystat.analysis.xmr import RuleSet
    from citystat.reports.judge import judge_measure

    with reported_errors():
        grain = check_choices(period, fmt)
        if bool(by) != bool(area):
            raise ConfigError("--by and --area go together (e.g. --by csa --area 'Canton')")
        if rules not in get_args(RuleSet):
            raise ConfigError(f"unknown rules {rules!r}; choose {' or '.join(get_args(RuleSet))}")
        with open_city(read_only=True) as (con, _):
            judgement = judge_measure(con, measure_id, grain, by, area, rules=cast(RuleSet, rules))
    if fmt == "json":
        typer.echo(json.dumps(judgement.as_dict(), indent=2, default=str, ensure_ascii=False))
        return
    print_judgement(judgement)


def print_judgement(judgement: Any) -> None:
    from citystat.reports.agency import format_value

    unit = judgement.measure.unit
    chart = judgement.chart
    where = f" in {judgement.dimension_value}" if judgement.dimension else ""
    status = {s.label: s for s in judgement.targets.statuses}
    flagged = {p for s in chart.signals for p in s.points}
    table = Table(title=f"{judgement.measure.id}: {judgement.measure.title}{where}, by {judgement.grain}")
    for column in ("period", "value", "target", "target status", "signal"):
        table.add_column(column, justify="right" if column in ("value", "target") else "left")
    for segment in chart.segments:
        for label, value in zip(segment.labels, segment.values, strict=True):
            st = status.get(label)
            target = "" if st is None or st.target is None else format_value(st.target, unit)
            table.add_row(
                label,
                format_value(value, unit),
                target,
                st.status if st else "",
                "yes" if label in flagged else "",
            )
    console.print(table)
    limits = chart.limits
    if limits is None:
        console.print(f"chart: not enough data ({escape(chart.current.reason)})", highlight=False)
    else:
        console.print(
            f"centre {format_value(limits.centre, unit)}; natural process limits"
            f" {format_value(limits.lower, unit)} to {format_value(limits.upper, unit)};"
            f" upper range limit {limits.upper_range:.4g}",
            highlight=False,
        )
    for signal in chart.signals:
        console.print(f"signal: {escape(signal.describe())}", highlight=False)
    for note in chart.notes:
        console.print(f"note: {escape(note)}", highlight=False)
    if judgement.assurance is not None:
        a = judgement.assurance
        console.print(f"target assurance: {a.verdict}: {escape(a.explanation)}", highlight=False)
    else:
        console.print(f"target assurance: none ({escape(judgement.assurance_note)})", highlight=False)


@app.command("score")
def score_cmd(period: PeriodOpt = "month", fmt: FormatOpt = "table") -> None:
    """CityScore-style composite per agency and citywide, latest period, with each measure's part."""
    from citystat.analysis.score import read_city_score

    with reported_errors():
        grain = check_choices(period, fmt)
        with open_city(read_only=True) as (con, _):
            score = read_city_score(con, grain)
    composites = [score.citywide, *score.agencies]
    if fmt == "json":
        payload = {
            "grain": score.grain,
            "cap": score.cap,
            "without_targets": list(score.without_targets),
            "composites": [
                {
                    "scope": c.scope,
                    "latest": None if not c.periods else describe_period(c.periods[-1]),
                }
                for c in composites
            ],
        }
        typer.echo(json.dumps(payload, indent=2, default=str, ensure_ascii=False))
        return
    table = Table(title=f"CityScore by {period} (1.0 = on target; capped at {score.cap:g})")
    for column in ("scope", "period", "score", "measures scored"):
        table.add_column(column, justify="left" if column in ("scope", "period") else "right")
    for c in composites:
        latest = c.periods[-1] if c.periods else None
        value = "" if latest is None or latest.score is None else f"{latest.score:.3f}"
        table.add_row(c.scope, latest.label if latest else "", value, str(latest.scored if latest else 0))
    console.print(table)
    if score.citywide.periods:
        parts = Table(title=f"contributions, {score.citywide.periods[-1].label}")
        for column in ("measure", "agency", "status", "score", "why"):
            parts.add_column(column, justify="right" if column == "score" else "left")
        for part in score.citywide.periods[-1].contributions:
            parts.add_row(
                part.measure_id,
                part.agency,
                part.status,
                "" if part.score is None else f"{part.score:.3f}",
                part.reason,
            )
        console.print(parts)


def describe_period(period: Any) -> dict[str, Any]:
    return {
        "label": period.label,
        "score": period.score,
        "scored": period.scored,
        "contributions": [
            {
                "measure_id": c.measure_id,
                "agency": c.agency,
                "status": c.status,
                "score": c.score,
                "value": c.value,
                "target": c.target,
                "reason": c.reason,
            }
            for c in period.contributions
        ],
    }


@app.command("quality")
def quality_cmd(
    measure_id: Annotated[str | None, typer.Argument(help="One measure (default: every measure).")] = None,
    period: Annotated[
        str | None, typer.Option(help="Grain to grade at (default: each measure's cadence).")
    ] = None,
    as_of: Annotated[
        datetime | None, typer.Option("--as-of", formats=["%Y-%m-%d"], help="Judge timeliness on this day.")
    ] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Data-quality grades (A/B/C) of the loaded files and of each measure, with the failing checks."""
    from citystat.reports.quality import build_quality_report

    with reported_errors():
        grain = check_choices(period, fmt) if period else None
        if period is None:
            check_choices("month", fmt)
        day = as_of.date() if as_of else date.today()
        with open_city(read_only=True) as (con, _):
            report = build_quality_report(
                con, as_of=day, measure_ids=[measure_id] if measure_id else None, grain=grain
            )
    if fmt == "json":
        typer.echo(json.dumps(report.as_dict(), indent=2, default=str, ensure_ascii=False))
        return
    print_quality(report, detailed=measure_id is not None)


def print_quality(report: Any, *, detailed: bool) -> None:
    files = Table(title=f"loaded files (judged {report.as_of.isoformat()})")
    for column in ("file", "rows read", "rejected", "flagged", "grade"):
        files.add_column(column, justify="left" if column == "file" else "right")
    for s in report.sources:
        files.add_row(
            Path(s.source).name, f"{s.rows_read:,}", f"{s.rows_rejected:,}", f"{s.rows_flagged:,}", s.grade
        )
    console.print(files)
    measures = Table(title="measures: grade, and periods whose value (or breakdown by area) is graded C")
    for column in ("measure", "grain", "grade", "periods C", "by area C", "measure-wide"):
        measures.add_column(column, justify="right" if column.endswith(" C") else "left")
    for m in report.measures:
        failing = sum(p.grade == "C" for p in m.periods)
        by_area = sum(p.area_grade == "C" for p in m.periods)
        wide = "; ".join(f.detail for f in m.findings if f.severity == "fail")
        measures.add_row(m.measure_id, m.grain, m.grade, str(failing), str(by_area), escape(wide))
    console.print(measures)
    if report.plan is not None:
        p = report.plan
        console.print(
            f"performance plan: {len(p.percent_above_one):,} percent value(s) above 1,"
            f" {len(p.unreadable):,} unreadable cell(s), {len(p.shared_codes):,} shared code(s)",
            highlight=False,
        )
    if not detailed:
        return
    for m in report.measures:
        periods = Table(title=f"{m.measure_id}: periods with findings")
        for column in ("period", "grade", "grade by area", "checks that fail"):
            periods.add_column(column)
        for q in m.periods:
            reasons = "; ".join(f.detail for f in q.findings if f.severity == "fail") or "minor only"
            periods.add_row(q.label, q.grade, q.area_grade, escape(reasons))
        console.print(periods)


@app.command("equity")
def equity_cmd(
    measure_id: Annotated[
        str | None, typer.Argument(help="Measure id (its requests), or use filters.")
    ] = None,
    agency: Annotated[
        list[str] | None, typer.Option(help="Requests of this agency (as 311 names it).")
    ] = None,
    service_code: Annotated[list[str] | None, typer.Option(help="Requests of this service code.")] = None,
    layer: Annotated[
        str, typer.Option(help="csa, neighborhood, council_district, police_district, tract")
    ] = "csa",
    population: Annotated[
        str | None, typer.Option(help="Demographics variable holding residents (default by layer).")
    ] = None,
    fmt: FormatOpt = "table",
) -> None:
    """Disparity indices, SEDT geographic disparity and requests per 1,000 residents per area."""
    from citystat.analysis.equity import RequestFilter
    from citystat.reports.equity import build_equity_report

    with reported_errors():
        check_choices("month", fmt)
        if measure_id is None and not agency and not service_code:
            raise ConfigError("name a measure, or filter with --agency / --service-code")
        where = RequestFilter(agencies=tuple(agency or ()), service_codes=tuple(service_code or ()))
        with open_city(read_only=True) as (con, _):
            report = build_equity_report(
                con, layer=layer, measure_id=measure_id, where=where, population_variable=population
            )
    data = report.as_dict()
    if fmt == "json":
        typer.echo(json.dumps(data, indent=2, default=str, ensure_ascii=False))
        return
    indices = Table(title=f"equity of {data['subject']} by {layer}")
    for column in ("measure", "areas", "Gini", "Theil T", "quintile ratio (worst / best)"):
        indices.add_column(column, justify="left" if column == "measure" else "right")
    for name, d in (
        ("requests per 1,000 residents", data["rate_disparity"]),
        ("median days to close", data["days_disparity"]),
    ):
        if d is None:
            indices.add_row(name, "", "not enough data", "", "")
            continue
        ratio = "" if d["quintile_ratio"] is None else f"{d['quintile_ratio']:.3f}"
        indices.add_row(name, str(d["areas"]), f"{d['gini']:.4f}", f"{d['theil']:.4f}", ratio)
    console.print(indices)
    areas = Table(title=f"per area (city rate {data['city_rate_per_1000']:.2f} per 1,000 residents)")
    for column in (
        "area",
        "requests",
        "residents",
        "per 1,000",
        "SEDT disparity (points)",
        "median days",
        "flags",
    ):
        areas.add_column(column, justify="left" if column in ("area", "flags") else "right")
    for row in data["areas"]:
        areas.add_row(
            row["area"],
            f"{row['requests']:,.0f}",
            "" if row["population"] is None else f"{row['population']:,.0f}",
            "" if row["per_1000"] is None else f"{row['per_1000']:.2f}",
            "" if row["geographic_disparity"] is None else f"{row['geographic_disparity'] * 100:+.2f}",
            "" if row["median_days_to_close"] is None else f"{row['median_days_to_close']:.2f}",
            ", ".join(row["flags"]),
        )
    console.print(areas)
    for note in data["notes"]:
        console.print(f"note: {escape(note)}", highlight=False)


@report_app.command("agency")
def report_agency_cmd(
    agency: Annotated[str, typer.Argument(help="Agency, as the catalog or 311 names it.")],
    period: PeriodOpt = "month",
    out: Annotated[Path, typer.Option(help="Folder to write the briefing into.")] = Path("reports"),
) -> None:
    """Write a one-agency CitiStat briefing (Markdown and HTML)."""
    from citystat.reports.agency import build_agency_briefing, write_agency_briefing

    with reported_errors():
        grain = check_choices(period, "table")
        with open_city(read_only=True) as (con, profile):
            briefing = build_agency_briefing(con, read_catalog(profile), agency, grain)
        paths = write_agency_briefing(briefing, out)
    console.print(f"{len(briefing.measures)} measures; wrote {paths[0]} and {paths[1]}", highlight=False)


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return str(value)


if __name__ == "__main__":
    app()
