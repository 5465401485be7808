"""Reading pages as a reader would: tables (caption, headers, cells as text), headings, links and
attributes, with the standard library's HTML parser (no third-party parser is installed)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

import httpx


@dataclass
class ParsedTable:
    id: str | None
    caption: str = ""
    columns: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    row_headers: int = 0  # rows whose first cell is <th scope="row">
    links: list[list[str | None]] = field(default_factory=list)  # href of each cell's link

    def column(self, name: str) -> list[str]:
        index = self.columns.index(name)
        return [row[index] for row in self.rows]


def squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: list[ParsedTable] = []
        self.headings: list[tuple[str, str]] = []  # (tag, text)
        self.links: list[tuple[str, str]] = []  # (href, text)
        self.html_lang: str | None = None
        self.stack: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] | None = None  # the cell, heading or caption being read
        self.href: str | None = None
        self.link_text: list[str] | None = None
        self.in_head = False
        self.row: list[str] | None = None
        self.row_links: list[str | None] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "table":
            self.tables.append(ParsedTable(a.get("id")))
        elif tag == "thead":
            self.in_head = True
        elif tag == "tbody":
            self.in_head = False
        elif tag == "tr":
            self.row, self.row_links = [], []
        elif tag in ("th", "td", "caption", "h1", "h2", "h3"):
            self.text = []
            if tag == "th" and a.get("scope") == "row" and self.tables:
                self.tables[-1].row_headers += 1
            if tag in ("th", "td") and self.row_links is not None:
                self.row_links.append(None)
        elif tag == "a":
            self.href, self.link_text = a.get("href"), []
            if self.row_links:
                self.row_links[-1] = a.get("href")
        self.stack.append((tag, a))

    def handle_endtag(self, tag: str) -> None:
        if self.stack and self.stack[-1][0] == tag:
            self.stack.pop()
        text = squash("".join(self.text or []))
        if tag == "caption" and self.tables:
            self.tables[-1].caption = text
        elif tag in ("th", "td") and self.row is not None:
            self.row.append(text)
        elif tag == "tr" and self.row is not None and self.tables:
            table = self.tables[-1]
            if self.in_head:
                table.columns = self.row
            else:
                table.rows.append(self.row)
                table.links.append(self.row_links or [])
            self.row = None
        elif tag in ("h1", "h2", "h3"):
            self.headings.append((tag, text))
        elif tag == "a" and self.href is not None:
            self.links.append((self.href, squash("".join(self.link_text or []))))
            self.href, self.link_text = None, None
        if tag in ("th", "td", "caption", "h1", "h2", "h3"):
            self.text = None

    def handle_data(self, data: str) -> None:
        if self.text is not None:
            self.text.append(data)
        if self.link_text is not None:
            self.link_text.append(data)


@dataclass
class Page:
    status: int
    html: str
    tables: dict[str, ParsedTable]
    headings: list[tuple[str, str]]
    links: list[tuple[str, str]]
    lang: str | None

    def heading(self, tag: str = "h1") -> list[str]:
        return [text for t, text in self.headings if t == tag]

    @property
    def text(self) -> str:
        return squash(re.sub(r"<[^>]+>", " ", self.html)).replace("&#39;", "'").replace("&amp;", "&")


def parse_page(html: str, status: int = 200) -> Page:
    parser = PageParser()
    parser.feed(html)
    tables = {t.id: t for t in parser.tables if t.id}
    return Page(status, html, tables, parser.headings, parser.links, parser.html_lang)


def fetch_page(base: str, path: str, **headers: str) -> Page:
    response = httpx.get(base + path, headers=headers, timeout=120)
    return parse_page(response.text, response.status_code)


def read_figure(text: str) -> float:
    """A number as a page writes it in English: "82.3%" -> 0.823, "$1,234" -> 1234, "4.5" -> 4.5."""
    cleaned = text.replace(",", "").replace("$", "").strip()
    if cleaned.endswith("%"):
        return float(cleaned[:-1]) / 100
    return float(cleaned)


def count_decimals(text: str) -> int:
    digits = text.replace("%", "").replace(",", "").replace("$", "").strip()
    return len(digits.split(".")[1]) if "." in digits else 0


def say_period(label: str | None) -> str:
    """How English pages name a stored period label, written here with strftime, independently of
    the app: 2026-06 is June 2026, 2026-W26 the week of June 22, 2026; others as stored."""
    if not label:
        return "–"
    if len(label) == 7 and label[4] == "-":
        return dt.date(int(label[:4]), int(label[5:]), 1).strftime("%B %Y")
    if len(label) == 8 and label[5] == "W":
        monday = dt.date.fromisocalendar(int(label[:4]), int(label[6:]), 1)
        return f"Week of {monday.strftime('%B')} {monday.day}, {monday.year}"
    return label
