"""Charts the pages show, made from the site layer's data (each goes in a figure with its table)."""

from __future__ import annotations

from citystat.charts import RenderedChart, render_bars
from citystat.i18n import Lang, translate
from citystat.site.home import ScoreView


def chart_agency_scores(score: ScoreView, lang: Lang) -> RenderedChart | None:
    """Each scored agency's score in the period, highest first, against 1.00 (on target);
    None when no agency has a score."""
    scored = sorted(
        ((a.agency, a.score) for a in score.agencies if a.score is not None),
        key=lambda pair: (-(pair[1] or 0.0), pair[0].casefold()),
    )
    if not scored:
        return None
    return render_bars(
        translate(lang, "Score by agency, {period}", period=score.period_label),
        "number",
        scored,
        lang,
        reference=1.0,
        reference_label=translate(lang, "On target"),
        higher_is_better=True,
        label_heading=translate(lang, "Agency"),
    )
