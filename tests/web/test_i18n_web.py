"""Every piece of interface text the pages show has a Spanish entry: each ``t("...")`` literal in
the templates and in the web package's modules, and every phrase of :mod:`citystat.web.words`
and the error pages' headings."""

from __future__ import annotations

import re
from pathlib import Path

from citystat.i18n import read_catalogue, translate
from citystat.web.app import ERROR_HEADINGS, OTHER_ERROR
from citystat.web.words import list_phrases

WEB = Path(__file__).resolve().parents[2] / "src" / "citystat" / "web"
# t("..."), t('...'), translate(lang, "...") — the first argument when it is a plain literal.
LITERAL = re.compile(r"""\b(?:t|translate)\(\s*(?:lang\s*,\s*)?(?P<q>["'])(?P<text>(?:(?!(?P=q)).)+)(?P=q)""")


def list_interface_text() -> dict[str, set[str]]:
    """English text → the files that use it."""
    found: dict[str, set[str]] = {}
    for path in sorted([*WEB.rglob("*.html"), *WEB.rglob("*.py")]):
        for match in LITERAL.finditer(path.read_text(encoding="utf-8")):
            found.setdefault(match["text"], set()).add(path.relative_to(WEB).as_posix())
    for phrase in list_phrases():
        found.setdefault(phrase, set()).add("words.py")
    for heading in [*ERROR_HEADINGS.values(), OTHER_ERROR]:
        found.setdefault(heading, set()).add("app.py")
    return found


def test_the_scan_finds_the_pages_text() -> None:
    found = list_interface_text()
    # one from base.html, one from a page template, one from Python, one from a word table
    assert {"Skip to main content", "The city's score", "Page not found", "Met target"} <= set(found)
    assert len(found) > 150


def test_every_interface_text_has_a_spanish_entry() -> None:
    spanish = read_catalogue("es")
    missing = {text: sorted(files) for text, files in list_interface_text().items() if text not in spanish}
    assert not missing, missing


def test_placeholders_survive_translation() -> None:
    spanish = read_catalogue("es")
    for text in list_interface_text():
        names = set(re.findall(r"{(\w+)}", text))
        assert set(re.findall(r"{(\w+)}", spanish.get(text, text))) == names, text
    assert translate("es", "Pillar {id}", id="3") != "Pillar 3"
