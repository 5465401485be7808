"""Comparisons as bars: each bar ends at its value (read back through the chart's tick labels), the
reference line sits at the reference, a missing value says so, and the sentences and the table
are the hand-written ones."""

from __future__ import annotations

import pytest

from citystat.charts import render_bars, summarize_ranking
from tests.test_charts_svg import SVG, check_accessible, check_contrast, find_by_class, read_axis

DISTRICTS = [("Central", 0.81), ("Eastern", 0.62), ("Northeastern", None), ("Southern", 0.90)]


def test_bars_end_at_their_values_and_the_reference_line_at_the_reference() -> None:
    rendered = render_bars(
        "On-time repair by district",
        "percent",
        DISTRICTS,
        "en",
        reference=0.74,
        reference_label="City average",
    )
    root = check_accessible(rendered)
    check_contrast(root)
    value_at = read_axis(root, "x")
    bars = find_by_class(root, "cs-bar", "rect")
    assert [b.find(SVG + "title").text for b in bars] == ["Central: 81%", "Eastern: 62%", "Southern: 90%"]  # type: ignore[union-attr]
    starts = [value_at(float(b.get("x", "nan"))) for b in bars]
    ends = [value_at(float(b.get("x", "nan")) + float(b.get("width", "nan"))) for b in bars]
    assert starts == pytest.approx([0, 0, 0], abs=0.001)
    assert ends == pytest.approx([0.81, 0.62, 0.90], abs=0.001)
    (line,) = find_by_class(root, "cs-reference", "line")
    assert value_at(float(line.get("x1", "nan"))) == pytest.approx(0.74, abs=0.001)
    texts = [t.text for t in root.iter(SVG + "text")]
    assert "City average 74%" in texts and "No data" in texts
    assert [t.text for t in find_by_class(root, "cs-bar-value", "text")] == ["81%", "62%", "90%"]
    assert rendered.summary == (
        "Highest: Southern (90%); lowest: Eastern (62%). 1 of 4 has no data. City average: 74%; 2 of 3 are above it."
    )
    assert rendered.table.columns == ("Name", "Value")
    assert rendered.table.rows == (
        ("Central", "81%"),
        ("Eastern", "62%"),
        ("Northeastern", "No data"),
        ("Southern", "90%"),
    )


def test_bars_in_spanish_with_a_direction_and_a_heading() -> None:
    rendered = render_bars(
        "Reparación a tiempo",
        "percent",
        DISTRICTS,
        "es",
        reference=0.745,
        reference_label="Promedio de la ciudad",
        higher_is_better=True,
        label_heading="Distrito",
    )
    assert rendered.summary == (
        "Mejor: Southern (90%); peor: Eastern (62%). 1 de 4 no tiene datos."
        " Promedio de la ciudad: 74,5%; 2 de 3 están por encima."
    )
    assert rendered.table.columns == ("Distrito", "Valor")
    assert rendered.table.rows[2] == ("Northeastern", "Sin datos")
    assert "Promedio de la ciudad 74,5%" in [t.text for t in check_accessible(rendered).iter(SVG + "text")]


def test_ranking_sentences_for_ties_equal_values_and_nothing() -> None:
    tied = [("A", 5.0), ("B", 5.0), ("C", 1.0), ("D", 5.0), ("E", 5.0)]
    assert summarize_ranking("en", "count", tied) == "Highest: A, B, D, and 1 more (5); lowest: C (1)."
    assert summarize_ranking("es", "count", tied) == "Más alto: A, B, D y 1 más (5); más bajo: C (1)."
    assert (
        summarize_ranking("en", "count", tied, higher_is_better=False)
        == "Best: C (1); worst: A, B, D, and 1 more (5)."
    )
    assert summarize_ranking("en", "count", [("A", 5.0), ("B", 5.0)]) == "All 2 have the same value, 5."
    assert summarize_ranking("en", "count", [("A", None)]) == "No values to compare."
    assert (
        summarize_ranking("es", "count", [("A", 3.0), ("B", None)])
        == "Solo A tiene un valor: 3. 1 de 2 no tiene datos."
    )
    assert (
        summarize_ranking("en", "percent", [("A", 0.823), ("B", 0.8249)])
        == "Highest: B (82.5%); lowest: A (82.3%)."
    )


def test_negative_values_and_large_counts() -> None:
    rendered = render_bars("Change in requests", "count", [("North", -250.0), ("South", 12345.0)], "en")
    root = check_accessible(rendered)
    value_at = read_axis(root, "x")
    north, south = find_by_class(root, "cs-bar", "rect")
    assert value_at(float(north.get("x", "nan"))) == pytest.approx(-250, abs=20)  # 0.1 px ≈ 17 here
    assert value_at(float(north.get("x", "nan")) + float(north.get("width", "nan"))) == pytest.approx(
        0, abs=20
    )
    assert value_at(float(south.get("x", "nan")) + float(south.get("width", "nan"))) == pytest.approx(
        12345, abs=20
    )
    assert rendered.table.rows == (("North", "-250"), ("South", "12,345"))
    assert render_bars("Cambio", "count", [("North", -250.0), ("South", 12345.0)], "es").table.rows[1] == (
        "South",
        "12.345",
    )
    dollars = render_bars("Cost per request", "currency", [("A", 12.5), ("B", 1200.0)], "en")
    assert dollars.table.rows == (("A", "$12.50"), ("B", "$1,200.00"))
    assert dollars.summary == "Highest: B ($1,200.00); lowest: A ($12.50)."


def test_not_a_number_is_no_data() -> None:
    rendered = render_bars("Requests", "count", [("A", float("nan")), ("B", 4.0)], "en")
    assert rendered.table.rows == (("A", "No data"), ("B", "4"))
    assert rendered.summary == "Only B has a value: 4. 1 of 2 has no data."
    assert len(find_by_class(check_accessible(rendered), "cs-bar", "rect")) == 1


def test_long_names_are_shortened_in_the_picture_only() -> None:
    name = "Allendale/Irvington/S. Hilton and a good deal more text than fits"
    rendered = render_bars("Requests", "count", [(name, 3.0)], "en")
    root = check_accessible(rendered)
    (label,) = find_by_class(root, "cs-bar-name", "text")
    assert label.text is not None and label.text.endswith("…") and len(label.text) < len(name)
    assert find_by_class(root, "cs-bar", "rect")[0].find(SVG + "title").text == f"{name}: 3"  # type: ignore[union-attr]
    assert rendered.table.rows == ((name, "3"),)
