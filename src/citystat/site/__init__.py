"""What the public site and API show, as data (no HTML, no HTTP).

The web pages (``citystat.web``) and the JSON API (``citystat.api.v1``) are thin callers of this
package: it reads the warehouse read-only through a :class:`WarehouseReader`, runs the analysis
layer, and returns frozen dataclasses. Results are cached per warehouse revision, so a page or API
call after the first one for a revision costs a dictionary lookup.

- :mod:`~citystat.site.catalog`: agencies, measures and their metadata, search.
- :mod:`~citystat.site.measure`: one measure judged (values, target status, XmR, quality, change).
- :mod:`~citystat.site.equity`: one measure by area (values, disparity, requests per 1,000).
- :mod:`~citystat.site.values`: stored values filtered and paged (API, downloads).
- :mod:`~citystat.site.home`: Action Plan pillars, the composite score, what changed, agency pages.
- :mod:`~citystat.site.areas`: layers, areas, one area against the city, shapes for maps.
- :mod:`~citystat.site.about`: the city, sources and load history.

Functions that take a ``WarehouseReader`` (``get_*``, ``list_*``, ``find_*``, ``search_*``,
``read_*_view``, ``read_home``...) are what pages call; the ones taking a DuckDB connection build
what is cached. Unknown ids raise :class:`NotFoundError` (a 404); impossible requests raise
:class:`InvalidRequestError` (a 400).
"""

from citystat.site.errors import InvalidRequestError, NotFoundError
from citystat.site.reader import Revision, WarehouseReader

__all__ = ["InvalidRequestError", "NotFoundError", "Revision", "WarehouseReader"]
