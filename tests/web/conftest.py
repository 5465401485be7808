"""Live servers and a real browser for the page tests.

The warehouses and servers are the API tests' (``tests/api/conftest.py``): the real app served by
uvicorn on loopback over the synthetic demo city and over Baltimore's real data. ``browser`` (one
Chromium for the whole test session) is in ``tests/conftest.py``.
"""

from __future__ import annotations

from tests.api.conftest import (  # noqa: F401  (fixtures shared with the API tests)
    demo_api,
    demo_reader,
    demo_root,
    demo_warehouse,
    real_api,
    real_reader,
    real_warehouse,
)
