"""Screenshots of the dashboard for review: the home page and a measure page, full length, at a
desktop width (1280 px) and a phone width (375 px), taken in Debian's Chromium through Playwright.

The app is served by uvicorn on a free loopback port in a background thread, over the warehouse in
the settings (the synthetic demo city is built there first when there is no warehouse yet). Each
shot also records whether the page is wider than the window (horizontal scrolling).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from citystat.settings import Settings
from citystat.site import WarehouseReader
from citystat.site.catalog import get_catalog

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
WIDTHS = (1280, 375)
DEMO_ROWS = 20_000
DEMO_SEED = 2024


@dataclass(frozen=True)
class Shot:
    name: str  # home, measure
    path: str  # the page's address
    width: int
    file: Path
    scroll_width: int  # the page's width as laid out: above ``width`` means horizontal scrolling

    @property
    def overflows(self) -> bool:
        return self.scroll_width > self.width


def pick_measure(warehouse: Path) -> str:
    """A measure that shows every part of the page: one with targets and values by area, if any."""
    catalog = get_catalog(WarehouseReader(warehouse))
    shown = [m for m in catalog.active() if m.default_grain is not None]
    if not shown:
        raise ValueError(f"{warehouse} holds no measure values to show")
    full = [m for m in shown if m.targets and m.area_layers]
    return (full or shown)[0].id


def find_free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def serve_in_thread(settings: Settings) -> Iterator[str]:
    """The app served on loopback while the block runs; yields its base URL."""
    from citystat.web import create_app

    port = find_free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    try:
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def ensure_warehouse(settings: Settings) -> None:
    """Build the synthetic demo city when the settings' warehouse does not exist yet."""
    if settings.warehouse.exists():
        return
    from citystat.demo.load import build_demo

    build_demo(settings.warehouse, settings.data_dir / "demo", rows=DEMO_ROWS, seed=DEMO_SEED)


def shoot_pages(browser: Any, base: str, pages: list[tuple[str, str]], out: Path, lang: str) -> list[Shot]:
    """Full-page PNGs of ``pages`` ((name, path)) at each of ``WIDTHS`` in a launched browser."""
    shots = []
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        try:
            page = context.new_page()
            for name, path in pages:
                response = page.goto(base + path)
                if response is None or response.status != 200:
                    raise RuntimeError(f"{path}: HTTP {None if response is None else response.status}")
                file = out / f"{name}-{lang}-{width}.png"
                page.screenshot(path=str(file), full_page=True)
                scroll = int(page.evaluate("document.documentElement.scrollWidth"))
                shots.append(Shot(name, path, width, file, scroll))
        finally:
            context.close()
    return shots


def take_screenshots(
    settings: Settings,
    out: Path,
    *,
    measure_id: str | None = None,
    lang: str = "en",
    browser: Any | None = None,
) -> list[Shot]:
    """PNG files of the home page and a measure page at each of ``WIDTHS``, into ``out``.
    ``browser``: a Playwright browser already launched (else Chromium is launched here)."""
    if browser is None and not CHROMIUM.exists():
        raise FileNotFoundError(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    ensure_warehouse(settings)
    measure_id = measure_id or pick_measure(settings.warehouse)
    pages = [("home", f"/?lang={lang}"), ("measure", f"/measures/{measure_id}?lang={lang}")]
    out.mkdir(parents=True, exist_ok=True)
    with serve_in_thread(settings) as base:
        if browser is not None:
            return shoot_pages(browser, base, pages, out, lang)
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                return shoot_pages(launched, base, pages, out, lang)
            finally:
                launched.close()
