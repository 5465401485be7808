"""Crawl a live site from its home page and check every page against the site's page rules.

:func:`crawl_site` follows links breadth-first from ``/`` on the same host: every ``a``, ``link``,
``img``, ``script`` and form ``action`` address is requested; HTML pages are parsed and their links
followed, except under ``/api/`` and ``/static/`` (requested and checked for a 2xx, not followed).
The language switch's ``?lang=`` links are not followed (a page's language comes from the
``Accept-Language`` the crawl sends, so that a crawl stays in one language and sets no cookie).
``per_family`` caps how many pages of one family (the address's path with its last segment
replaced by ``*`` when there are two or more segments: ``/measures/*``, ``/areas/csa/*``) are
fetched, so a crawl of 742 real measures can check a sample of them; ``variants`` caps how many
addresses with a query string (``?grain=week&layer=csa``, ``?page=2``) are followed per path.

:func:`check_page` lists what breaks the page rules; :class:`PageTree` is a strict-enough HTML
parse with Python's ``html.parser`` (html5lib is not installed): every element must be closed
in order (void elements aside), ids must be unique.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
)
INLINE = frozenset({"a", "abbr", "b", "code", "em", "i", "small", "span", "strong", "sub", "sup", "time"})
NOT_FOLLOWED = ("/api/", "/static/")
LINK_ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src", "form": "action"}


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    parent: Node | None = None
    children: list[Node | str] = field(default_factory=list)

    def text(self) -> str:
        """The text inside, white space squashed (blocks and ``<br>`` separate words)."""
        return " ".join(self.text_raw().split())

    def text_raw(self) -> str:
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag in INLINE:
                parts.append(child.text_raw())
            else:  # a block (or <br>) separates words
                parts.append(f" {child.text_raw()} ")
        return "".join(parts)

    def walk(self) -> list[Node]:
        out: list[Node] = [self]
        for child in self.children:
            if isinstance(child, Node):
                out.extend(child.walk())
        return out

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())


class PageTree(HTMLParser):
    """A tree of the page, with the problems a strict parse finds."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document", {})
        self.stack = [self.root]
        self.errors: list[str] = []
        self.doctype = False
        self.feed(html)
        self.close()
        for node in self.stack[1:]:
            self.errors.append(f"<{node.tag}> never closed")

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl.lower() == "doctype html"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1])
        if len({k for k, _ in attrs}) != len(attrs):
            self.errors.append(f"<{tag}> repeats an attribute")
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack[-1].children.append(Node(tag, {k: v or "" for k, v in attrs}, self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element")
            return
        if self.stack[-1].tag != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1].tag}>")
            if any(n.tag == tag for n in self.stack[1:]):
                while self.stack[-1].tag != tag:
                    self.stack.pop()
            else:
                return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)

    def find_all(self, tag: str) -> list[Node]:
        return [n for n in self.root.walk() if n.tag == tag]


@dataclass
class Page:
    path: str  # path and query
    status: int
    content_type: str
    html: str = ""
    tree: PageTree | None = None
    links: list[str] = field(default_factory=list)  # absolute same-host paths (with fragments)
    external: list[str] = field(default_factory=list)


@dataclass
class Crawl:
    base: str
    pages: dict[str, Page]  # HTML pages followed, by path
    checked: dict[str, int]  # every other address requested (API, static), by path: status
    skipped: dict[str, int]  # families capped: how many addresses were left out

    def html_pages(self) -> list[Page]:
        return [p for p in self.pages.values() if p.tree is not None]


def name_family(path: str) -> str:
    parts = urlsplit(path).path.strip("/").split("/")
    return "/" + "/".join([*parts[:-1], "*"]) if len(parts) >= 2 else "/" + parts[0]


def drop_lang(path: str) -> str:
    split = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(split.query, keep_blank_values=True) if k != "lang"]
    return split.path + (f"?{urlencode(query)}" if query else "")


def list_links(tree: PageTree, page_url: str, base: str) -> tuple[list[str], list[str]]:
    """(same-host addresses as paths, other-host addresses) the page refers to."""
    host = urlsplit(base).netloc
    internal, external = [], []
    for node in tree.root.walk():
        attr = LINK_ATTRS.get(node.tag)
        if attr is None or attr not in node.attrs:
            continue
        target = urljoin(page_url, node.attrs[attr])
        split = urlsplit(target)
        if split.scheme not in ("http", "https"):
            continue
        if split.netloc != host:
            external.append(target)
            continue
        internal.append(
            split.path
            + (f"?{split.query}" if split.query else "")
            + (f"#{split.fragment}" if split.fragment else "")
        )
    return internal, external


def crawl_site(
    base: str,
    *,
    lang: str = "en",
    per_family: int | None = None,
    variants: int | None = None,
    start: str = "/",
) -> Crawl:
    pages: dict[str, Page] = {}
    checked: dict[str, int] = {}
    counts: dict[str, int] = {}
    variant_counts: dict[str, int] = {}
    skipped: dict[str, int] = {}
    queue: deque[str] = deque([start])
    seen = {start}
    with httpx.Client(base_url=base, headers={"Accept-Language": lang}, timeout=60) as client:
        while queue:
            path = queue.popleft()
            response = client.get(path)
            client.cookies.clear()
            if path.startswith(NOT_FOLLOWED) or "text/html" not in response.headers.get("content-type", ""):
                checked[path] = response.status_code
                continue
            page = Page(path, response.status_code, response.headers.get("content-type", ""), response.text)
            page.tree = PageTree(response.text)
            page.links, page.external = list_links(page.tree, base + path, base)
            pages[path] = page
            for link in page.links:
                target = drop_lang(link.split("#", 1)[0])
                if not target or target in seen:
                    continue
                seen.add(target)
                family = name_family(target)
                if "?" in target and variants is not None:
                    bare = target.split("?", 1)[0]
                    if variant_counts.get(bare, 0) >= variants:
                        skipped[f"{bare}?…"] = skipped.get(f"{bare}?…", 0) + 1
                        continue
                    variant_counts[bare] = variant_counts.get(bare, 0) + 1
                if not target.startswith(NOT_FOLLOWED) and per_family is not None:
                    if counts.get(family, 0) >= per_family:
                        skipped[family] = skipped.get(family, 0) + 1
                        continue
                    counts[family] = counts.get(family, 0) + 1
                queue.append(target)
    return Crawl(base, pages, checked, skipped)


def squash(text: str) -> str:
    return " ".join(text.split())


def in_locator(node: Any) -> bool:
    """Inside a ``figure.cs-locator``: a map that only shows where a place is, not data."""
    while node is not None:
        if node.tag == "figure" and "cs-locator" in node.classes:
            return True
        node = node.parent
    return False


def check_charts(tree: PageTree) -> list[str]:
    """Every ``svg.cs-chart`` is followed by a table in its figure or, failing that, in the section
    around it (a long table may sit in a ``<details>`` after the figure). A locator map (where the
    place is, no data) needs its caption instead."""
    problems = []
    for svg in (n for n in tree.find_all("svg") if "cs-chart" in n.classes):
        if in_locator(svg):
            figure = svg.parent
            while figure is not None and figure.tag != "figure":
                figure = figure.parent
            if figure is None or not any(n.tag == "figcaption" for n in figure.walk()):
                problems.append(f"locator map {svg.attrs.get('id', '?')} has no caption")
            continue
        holder, found, boxed = svg.parent, False, False
        while holder is not None and not found:
            if holder.tag in ("figure", "section"):
                boxed = True
                order = holder.walk()
                found = any(n.tag == "table" for n in order[order.index(svg) + 1 :])
                if holder.tag == "section":
                    break
            holder = holder.parent
        if not boxed:
            problems.append("a chart outside any figure or section")
        elif not found:
            problems.append(
                f"chart {svg.attrs.get('id', '?')} has no table after it in its figure or section"
            )
    return problems


def check_page(page: Page, lang: str) -> list[str]:
    """What breaks the page rules (an empty list when nothing does)."""
    if page.status != 200:
        return [f"status {page.status}"]
    tree = page.tree
    assert tree is not None
    problems = [f"parse: {e}" for e in tree.errors]
    if not tree.doctype:
        problems.append("no <!DOCTYPE html>")
    html = tree.find_all("html")
    if len(html) != 1 or html[0].attrs.get("lang") != lang:
        problems.append(f"html lang is not {lang!r}")
    h1 = tree.find_all("h1")
    titles = [n for n in tree.find_all("title") if n.parent is not None and n.parent.tag == "head"]
    if len(h1) != 1:
        problems.append(f"{len(h1)} h1 elements")
    elif len(titles) != 1 or not squash(titles[0].text()).startswith(squash(h1[0].text())):
        problems.append("the title does not start with the h1")
    elif not squash(h1[0].text()):
        problems.append("an empty h1")
    links = tree.find_all("a")
    if not links or links[0].attrs.get("href") != "#main":
        problems.append("the first link is not a skip link to #main")
    ids = [n.attrs["id"] for n in tree.root.walk() if "id" in n.attrs]
    if "main" not in ids or next(n for n in tree.root.walk() if n.attrs.get("id") == "main").tag != "main":
        problems.append("no <main id=main>")
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        problems.append(f"duplicate ids {duplicates}")
    for link in page.links:
        if link.startswith("#") or ("#" in link and link.split("#")[0] == page.path):
            fragment = link.split("#", 1)[1]
            if fragment and fragment not in ids:
                problems.append(f"link to a missing #{fragment}")
    if page.external:
        problems.append(f"refers to other hosts: {page.external[:3]}")
    problems.extend(check_charts(tree))
    if re.search(r"\{\w+\}", squash(tree.root.text())):
        problems.append("an unfilled {placeholder} in the text")
    return problems


def list_broken_links(crawl: Crawl) -> dict[str, list[str]]:
    """Address → pages linking to it, for every address that answered 4xx/5xx."""
    status = {**{p: page.status for p, page in crawl.pages.items()}, **crawl.checked}
    broken: dict[str, list[str]] = {}
    for page in crawl.pages.values():
        for link in page.links:
            target = drop_lang(link.split("#", 1)[0])
            if target in status and status[target] >= 400:
                broken.setdefault(target, []).append(page.path)
    return broken
