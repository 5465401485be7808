"""Build the site's data in the background after each load, so no visitor waits for it.

The first page after a load needs every measure's view and quality grade, the score and the
catalog: about 8 s on a city of a million requests. :class:`Warmer` (started by the web app,
``Settings.warm_up_interval``) looks at the warehouse revision every ``interval`` seconds; once a new
revision has stayed the same for one whole interval (a load changes it many times while it
writes), it builds what the home page needs through the reader's cache. A visitor arriving during
the build waits for that same build rather than starting another (see
:meth:`WarehouseReader.cached`). A load that starts meanwhile waits for the file's lock
(:func:`citystat.warehouse.connect`).
"""

from __future__ import annotations

import logging
import threading

from citystat.errors import WarehouseError
from citystat.site.home import read_home
from citystat.site.reader import Revision, WarehouseReader, track_degraded

LOG = logging.getLogger(__name__)


def warm_site(reader: WarehouseReader) -> None:
    """Build, for the current revision, the data of the home page (every measure's view with its
    quality grade, the score, the catalog and the city)."""
    read_home(reader)


class Warmer:
    """A daemon thread that warms the site after each new revision (see the module)."""

    def __init__(self, reader: WarehouseReader, *, interval: float) -> None:
        self.reader = reader
        self.interval = interval
        self.warmed: Revision | None = None
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, name="citystat-warm-up", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=15)

    def run(self) -> None:
        seen: Revision | None = None  # None until the first look: then warm at once
        while True:
            try:
                now = self.reader.revision()
                # At start (the server has just come up on a loaded warehouse), or once settled.
                if now.exists and now != self.warmed and (seen is None or now == seen):
                    self.warm(now)
                seen = now
            except Exception:  # e.g. the file cannot be looked at: the thread must go on
                LOG.exception("looking for a new warehouse revision failed")
            if self.stopping.wait(self.interval):
                return

    def warm(self, revision: Revision) -> None:
        with track_degraded() as degraded:
            try:
                warm_site(self.reader)
            except WarehouseError:
                return  # a load is writing: try again once the revision settles
            except Exception:  # a bug: logged once per revision, not retried (pages show it too)
                LOG.exception("warming the site failed")
                degraded.clear()
        if not degraded:
            self.warmed = revision
