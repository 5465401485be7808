"""Colours of every chart, chosen for contrast on a white background and for colour-blind readers.

Contrast against white (WCAG 2.2: 4.5:1 for text, 3:1 for graphical objects, 1.4.11), checked
independently in ``tests/test_charts_svg.py``:

- text ``#1b1b1b`` 17.2:1, muted text and reference lines ``#595959`` 7.0:1;
- values (line, points, bars) Okabe-Ito blue ``#0072B2`` 5.2:1, also used for value labels;
- signal points Okabe-Ito vermillion ``#D55E00`` 3.9:1, drawn as a larger diamond with a dark outline,
  so a signal is told by shape as well as colour (the two hues stay apart under every common
  colour-vision deficiency: Okabe and Ito, "Color Universal Design", 2008);
- target purple ``#7B3294`` 7.7:1, drawn with its own dash pattern and a direct label.

Choropleth classes use ColorBrewer's sequential "Blues" (5 classes; colour-blind safe, Brewer 2003).
Its light classes are paler than 3:1 against white, so every area is outlined in dark grey
(``AREA_OUTLINE``, 8.5:1) and the values are in the table beside the map; areas without data get a
hatch pattern, not just another colour.
"""

from __future__ import annotations

TEXT = "#1b1b1b"
MUTED = "#595959"
GRID = "#e0e0e0"  # decoration only: the tick labels carry the values
VALUE = "#0072B2"
SIGNAL = "#D55E00"
SIGNAL_OUTLINE = "#1b1b1b"
TARGET = "#7B3294"
LIMIT = MUTED  # centre line (solid) and process limits (dashed)
REFERENCE = TARGET

BLUES_5 = ("#eff3ff", "#bdd7e7", "#6baed6", "#3182bd", "#08519c")
AREA_OUTLINE = "#4d4d4d"
NO_DATA_FILL = "#f2f2f2"
NO_DATA_HATCH = "#595959"

FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
