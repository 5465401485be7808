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
STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "in", "at", "on", "for", "to", "by", "with", "per", "and", "or", "from", "into"}
)
TYPO_RATIO = 0.8
MIN_SHARED_WORDS = 0.6
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


def title_similarity(a: str, b: str) -> float:
    """How alike two title keys (see :func:`title_key`) are, 0-1, for spotting the same measure.

    Token similarity: twice the matched words over the words of both titles, where words match
    when equal, when one is a typo of the other ('solications'/'solicitations', 'ae'/'are'), when
    both are small words ('at'/'in'), or when a word was split ('reentry'/'re entry'). Added words
    only lower the score; a *replaced* content word ('Black'/'Latinx', '5-12'/'13-17') makes it 0,
    because such titles name different measures however alike they look.
    """
    if a == b:
        return 1.0
    left, right = a.split(), b.split()
    if not left or not right:
        return 0.0
    matched = 0
    for op, i1, i2, j1, j2 in SequenceMatcher(None, left, right, autojunk=False).get_opcodes():
        if op == "equal":
            matched += i2 - i1
        elif op == "replace":
            if not same_words(left[i1:i2], right[j1:j2]):
                return 0.0
            matched += min(i2 - i1, j2 - j1)
    return 2 * matched / (len(left) + len(right))


def same_words(left: list[str], right: list[str]) -> bool:
    """True when two runs of words differ only by typos, small words or a split word."""
    if all(word in STOP_WORDS for word in left + right):
        return True
    if len(left) == 1 or len(right) == 1:
        return is_typo("".join(left), "".join(right))
    if len(left) != len(right):
        return False
    return all(
        x == y or is_typo(x, y) or (x in STOP_WORDS and y in STOP_WORDS)
        for x, y in zip(left, right, strict=True)
    )


def is_typo(x: str, y: str) -> bool:
    """Two spellings of one word: letters at least 80% alike, and not two different numbers."""
    if x.isdigit() or y.isdigit():
        return x == y
    return SequenceMatcher(None, x, y, autojunk=False).ratio() >= TYPO_RATIO


def could_be_similar(a: list[str], b: list[str], threshold: float) -> bool:
    """A cheap test before :func:`title_similarity`: word counts close enough for ``threshold``, and
    at least 60% of the distinct words shared exactly (titles with more typos than that are not
    compared)."""
    if not a or not b or 2 * min(len(a), len(b)) / (len(a) + len(b)) < threshold:
        return False
    left, right = set(a), set(b)
    return 2 * len(left & right) / (len(left) + len(right)) >= MIN_SHARED_WORDS


def is_placeholder(text: str | None) -> bool:
    """True for empty fields and stand-ins such as 'N/A', 'TBD', 'n\\a'."""
    return normalise_label(text) in _PLACEHOLDERS
