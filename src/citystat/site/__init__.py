"""What the public site and API show, as data (no HTML, no HTTP).

The web pages (``citystat.web``) and the JSON API (``citystat.api.v1``) are thin callers of this
package: it reads the warehouse read-only through a :class:`WarehouseReader`, runs the analysis
layer, and returns plain dataclasses. Results are cached per warehouse revision, so a page or API
call after the first one for a revision costs a dictionary lookup.
"""

from citystat.site.reader import Revision, WarehouseReader

__all__ = ["Revision", "WarehouseReader"]
