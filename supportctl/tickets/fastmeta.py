"""Front matter read a line at a time, each distinct line parsed once per process: `load_meta`'s result, sooner.

Across a desk most front-matter lines repeat (`status: open`, `priority:
normal`, `tags: [billing]`, a regular customer's `requester:`), and building
Python objects line by line is most of what YAML costs. When every line is a
top-level `key: value` that starts in the first column, the mapping of the
whole text is the mappings of its lines in order: a value cannot continue onto
a line that starts in the first column, and a line that does not parse on its
own makes the whole fall back. Lines seen before are answered from memory; a
`key: plain scalar` line is resolved and built by the loader's own resolver and
constructor; the others are parsed together with the same loader, and the
result is used only if it holds exactly one key per line, named as the line
names it.
Anything else (an indented line, a comment, an odd line break, an error) is
read by `load_meta`, so errors keep their messages and lines.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from supportctl.base.yamlio import Ambiguous
from supportctl.tickets.frontmatter import check_shape, load_meta

_SIMPLE_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: [^\n]*)?")
# Characters YAML reads as line breaks or a byte-order mark, and tabs: left to the full parser.
_ODD = re.compile("[\t\r\x85\u2028\u2029\ufeff]")
_IMMUTABLE = (str, int, float, bool, type(None), datetime, date, Ambiguous)
_AS_IS, _LIST, _DICT = 0, 1, 2
_MEMO: dict[str, tuple[str, Any, int]] = {}
MEMO_SIZE = 100_000   # distinct lines kept (about 30 MB); a line is at most 500 characters
_UNIQUE_KEYS = frozenset(("id",))   # one ticket's own: never seen again, not worth keeping


def load_meta_lines(fm_text: str, path: str) -> dict[str, Any]:
    """The front matter as `load_meta` returns it (or the same TicketFormatError)."""
    if not fm_text.endswith("\n") or _ODD.search(fm_text):
        return load_meta(fm_text, path)
    lines = fm_text.split("\n")
    lines.pop()
    found: list[tuple[str, Any, int] | None] = []
    missing: list[int] = []
    for i, line in enumerate(lines):
        hit = _MEMO.get(line)
        if hit is None:
            if not _SIMPLE_LINE.fullmatch(line):
                return load_meta(fm_text, path)
            hit = _plain_line(line)
            if hit is None:
                missing.append(i)
        found.append(hit)
    if not found:
        return load_meta(fm_text, path)
    if missing and not _parse_missing(lines, missing, found):
        return load_meta(fm_text, path)
    meta: dict[str, Any] = {}
    for key, value, kind in found:  # type: ignore[misc]
        meta[key] = value if kind == _AS_IS else list(value) if kind == _LIST else dict(value)
    check_shape(meta, fm_text, path)
    return meta


# `key: value` where the value is a plain scalar on its own line: no quotes,
# no indicator first, no `: ` or ` #` inside, no space at either end. Its text
# is exactly the scalar, so YAML's own resolver and constructor can take it
# from here without the scanner (a title, a status, an id, a timestamp).
_PLAIN_LINE = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*): (?!.*:\s)"
                         r"([A-Za-z0-9_](?:[A-Za-z0-9_ .,:@/()+'=-]*[A-Za-z0-9_.)'])?)")
_STR_TAG = "tag:yaml.org,2002:str"
_LOADER: list = []


def _plain_line(line: str) -> tuple[str, Any, int] | None:
    """(key, value, kind) of a `key: plain scalar` line, built as YAML builds it; None for any other line."""
    m = _PLAIN_LINE.fullmatch(line)
    if m is None:
        return None
    import yaml

    if not _LOADER:
        from supportctl.base.yamlio import FastLoader

        _LOADER.append(FastLoader(""))
    loader = _LOADER[0]
    key, text = m.groups()
    if loader.resolve(yaml.ScalarNode, key, (True, False)) != _STR_TAG:
        return None
    tag = loader.resolve(yaml.ScalarNode, text, (True, False))
    try:
        value = loader.yaml_constructors[tag](loader, yaml.ScalarNode(tag, text))
    except Exception:   # 2026-02-30 and the like: the full parser reports it
        return None
    if not isinstance(value, _IMMUTABLE):
        return None
    entry = (key, value, _AS_IS)
    if key not in _UNIQUE_KEYS and len(_MEMO) < MEMO_SIZE and len(line) <= 500:
        _MEMO[line] = entry
    return entry


def _parse_missing(lines: list[str], missing: list[int], found: list) -> bool:
    """Parse the lines not in memory together; False when they are not one plain key each."""
    import yaml

    from supportctl.base.yamlio import FastLoader, refuse_unsafe

    text = "".join(lines[i] + "\n" for i in missing)
    try:
        refuse_unsafe(text)
        data = yaml.load(text, Loader=FastLoader)
    except Exception:   # whatever it is, load_meta reports it properly
        return False
    if type(data) is not dict or len(data) != len(missing):
        return False
    for i, (key, value) in zip(missing, data.items()):
        line = lines[i]
        if type(key) is not str or line[:line.index(":")] != key:
            return False
        entry = (key, value, _kind(value))
        found[i] = entry
        if entry[2] is not None and key not in _UNIQUE_KEYS and len(_MEMO) < MEMO_SIZE and len(line) <= 500:
            _MEMO[line] = entry
    for i in missing:
        if found[i][2] is None:   # a nested value: used as parsed, never shared with another ticket
            found[i] = (found[i][0], found[i][1], _AS_IS)
    return True


def _kind(value: Any) -> int | None:
    """How a remembered value is handed out: as is (immutable), copied (flat list or mapping), or not kept."""
    if isinstance(value, _IMMUTABLE):
        return _AS_IS
    if type(value) is list and all(isinstance(v, _IMMUTABLE) for v in value):
        return _LIST
    if type(value) is dict and all(isinstance(k, _IMMUTABLE) and isinstance(v, _IMMUTABLE)
                                   for k, v in value.items()):
        return _DICT
    return None


def parse_ticket_lines(text: str, path: str):
    """`format.parse_ticket` with the front matter read by `load_meta_lines`: the same Ticket or error."""
    from supportctl.tickets.format import parse_ticket

    return parse_ticket(text, path, load_meta_lines)
