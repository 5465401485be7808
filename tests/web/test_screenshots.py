"""``citystat screenshots`` (``make screenshots``): PNGs of the home page and a measure page at 1280
and 375 px, full length, from the real app in Chromium, with nothing wider than the window."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

from citystat.screenshots import pick_measure, take_screenshots
from citystat.settings import Settings


def read_png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return int(width), int(height)


def test_pick_measure_prefers_targets_and_areas(demo_warehouse: Path) -> None:
    assert pick_measure(demo_warehouse) == "city-on-time"  # the first with targets and values by area


def test_screenshots_of_home_and_measure_page(browser: Any, demo_warehouse: Path, tmp_path: Path) -> None:
    """In the session's Chromium (Playwright's sync API runs one instance per thread); the
    command launches its own."""
    settings = Settings(warehouse=demo_warehouse, data_dir=tmp_path / "data")
    shots = take_screenshots(settings, tmp_path / "shots", browser=browser)
    assert [(s.name, s.width, s.file.name) for s in shots] == [
        ("home", 1280, "home-en-1280.png"),
        ("measure", 1280, "measure-en-1280.png"),
        ("home", 375, "home-en-375.png"),
        ("measure", 375, "measure-en-375.png"),
    ]
    assert shots[1].path == "/measures/city-on-time?lang=en"
    for shot in shots:
        width, height = read_png_size(shot.file)
        assert width == shot.width  # nothing wider than the window ...
        assert not shot.overflows and shot.scroll_width <= shot.width  # ... per the page itself
        assert height >= 800
    # the measure page is long (every section, full page), the phone version longer still
    assert read_png_size(shots[3].file)[1] > read_png_size(shots[1].file)[1] > 3000


def test_demo_city_is_built_only_when_there_is_no_warehouse(
    demo_warehouse: Path, tmp_path: Path, monkeypatch: Any
) -> None:
    import citystat.demo.load
    from citystat.screenshots import DEMO_ROWS, DEMO_SEED, ensure_warehouse

    built: list[tuple[Path, Path, int, int]] = []

    def build_demo(warehouse: Path, data_dir: Path, *, rows: int, seed: int) -> None:
        built.append((warehouse, data_dir, rows, seed))

    monkeypatch.setattr(citystat.demo.load, "build_demo", build_demo)
    ensure_warehouse(Settings(warehouse=demo_warehouse, data_dir=tmp_path))
    assert built == []  # an existing warehouse is used as it is
    missing = tmp_path / "new.duckdb"
    ensure_warehouse(Settings(warehouse=missing, data_dir=tmp_path / "data"))
    assert built == [(missing, tmp_path / "data" / "demo", DEMO_ROWS, DEMO_SEED)]
