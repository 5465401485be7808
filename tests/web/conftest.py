"""Live servers and a real browser for the page tests.

The warehouses and servers are the API tests' (``tests/api/conftest.py``): the real app served by
uvicorn on loopback over the synthetic demo city and over Baltimore's real data. ``browser`` is
Debian's Chromium driven by Playwright by executable path (never a downloaded browser).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    demo_api,
    demo_reader,
    demo_root,
    demo_warehouse,
    real_api,
    real_reader,
    real_warehouse,
)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM} (.ci/run installs Debian's chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
