"""Comparing the words people write: labels and measure titles, normalised the same way everywhere.

Spreadsheets carry stray spaces, non-breaking spaces, newlines and mixed case ('Output\\xa0',
'Efficiency  ', 'yearly '); titles say the same thing as '%', 'Percent of' or 'Percentage of'.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

_SPACE = re.compile(r"\s+")
_WORD = re.compile(r"[a-z0-9]+")
_SYMBOLS = {"%": " percent ", "#": " number ", "&": " and ", "+": " plus "}
_SYNONYMS = {"percentage": "percent", "pct": "percent"}
_PLACEHOLDERS = frozenset(
    {"", "n/a", "na", "n\\a", "none", "null", "tbd", "tbd.", "-", "not applicable", "pending", "unknown"}
)


def normalise_label(text: str | None) -> str:
    """'  Output\\xa0\\n' -> 'output': NFKC, white space runs made one space, trimmed, case-folded."""
    if text is None:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def clean_text(text: str | None) -> str:
    """Trim and collapse white space (NBSP and newlines included), keeping the case."""
    if text is None:
        return ""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def title_tokens(title: str) -> list[str]:
    """Words of a title with symbols spelled out: '% of SRs' -> ['percent', 'of', 'srs']."""
    text = normalise_label(title)
    for symbol, word in _SYMBOLS.items():
        text = text.replace(symbol, word)
    return [_SYNONYMS.get(token, token) for token in _WORD.findall(text)]


def title_key(title: str) -> str:
    """A canonical form of a title: two titles with the same key say the same thing."""
    return " ".join(title_tokens(title))


def similarity(a: str, b: str) -> float:
    """0-1 similarity of two canonical keys (difflib ratio over characters of the token text)."""
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.ratio()


def at_least_similar(a: str, b: str, threshold: float) -> bool:
    """``similarity(a, b) >= threshold``, with the cheap upper bounds checked first."""
    if a == b:
        return True
    longest = max(len(a), len(b))
    if longest == 0 or 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.quick_ratio() >= threshold and matcher.ratio() >= threshold


def is_placeholder(text: str | None) -> bool:
    """True for empty fields and stand-ins such as 'N/A', 'TBD', 'n\\a'."""
    return normalise_label(text) in _PLACEHOLDERS
