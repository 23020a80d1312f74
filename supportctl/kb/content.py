"""Content that renders wrong: nested lists Python-Markdown flattens, template text left in, images without
alt text, headings that skip a level."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from supportctl.kb.links import strip_code

_LIST_ITEM_RE = re.compile(r"^( *)(?:[-*+]|\d{1,9}[.)])(?:[ \t]+|$)")
_HEADING_RE = re.compile(r"^(#{1,6})[ \t]+\S")
_IMAGE_RE = re.compile(r"!\[([^\]]*)\]\(")
_IMG_TAG_RE = re.compile(r"<img\b[^>]*>", re.I)
_ALT_ATTR_RE = re.compile(r"\balt\s*=\s*(\"[^\"]*\S[^\"]*\"|'[^']*\S[^']*')", re.I)
_FRONT_MATTER_RE = re.compile(r"\A---\n.*?\n---\n", re.S)
_MIN_BOILERPLATE = 10   # shorter template lines ("## Steps") are fine to keep


def shallow_nested_lists(body: str) -> Iterator[tuple[int, int]]:
    """(0-based line, indent) of list items indented by 1-3 spaces under another list item.

    Python-Markdown (MkDocs) nests a list only when its items are indented by
    four spaces; with fewer, they become further items of the outer list
    (a sub-list of three steps renders as steps 5-7).
    """
    in_list = False
    for n, line in enumerate(strip_code(body).split("\n")):
        if not line.strip():
            continue
        m = _LIST_ITEM_RE.match(line)
        if m:
            indent = len(m.group(1))
            if in_list and 0 < indent < 4:
                yield n, indent
            in_list = True
        elif not line.startswith((" ", "\t")):
            in_list = False   # a paragraph at the margin ends the list


def boilerplate_lines(templates: Iterable[str]) -> frozenset[str]:
    """The placeholder lines of article templates: their body text, not headings or Jinja."""
    out = set()
    for text in templates:
        body = _FRONT_MATTER_RE.sub("", text, count=1)
        for line in body.split("\n"):
            line = line.strip()
            if len(line) >= _MIN_BOILERPLATE and not line.startswith("#") and "{{" not in line and "{%" not in line:
                out.add(line)
    return frozenset(out)


def boilerplate_left(body: str, placeholders: frozenset[str]) -> Iterator[tuple[int, str]]:
    """(0-based line, text) of template placeholder lines still in the body."""
    if not placeholders:
        return
    for n, line in enumerate(body.split("\n")):
        if line.strip() in placeholders:
            yield n, line.strip()


def images_without_alt(body: str) -> Iterator[int]:
    """0-based lines of images with no alt text (Markdown `![](...)` or an HTML `<img>` without `alt`)."""
    for n, line in enumerate(strip_code(body).split("\n")):
        if "![" in line and any(not m.group(1).strip() for m in _IMAGE_RE.finditer(line)):
            yield n
        elif "<img" in line.lower() and any(not _ALT_ATTR_RE.search(m.group(0))
                                            for m in _IMG_TAG_RE.finditer(line)):
            yield n


def skipped_headings(body: str) -> Iterator[tuple[int, int, int]]:
    """(0-based line, level, expected at most) of headings deeper than one below the previous.

    The page title is the article's h1, so the body's first heading is at most h2.
    """
    previous = 1
    for n, line in enumerate(strip_code(body).split("\n")):
        m = _HEADING_RE.match(line)
        if not m:
            continue
        level = len(m.group(1))
        if level > previous + 1:
            yield n, level, previous + 1
        previous = level
