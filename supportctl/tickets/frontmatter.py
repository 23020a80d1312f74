"""The front matter of a ticket file: loading it safely, the shape every command relies on, writing it."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from supportctl.base.timeutil import format_timestamp
from supportctl.base.yamlio import Ambiguous
from supportctl.errors import TicketFormatError
from supportctl.tickets.model import Ticket

# Years a record or a creation time may carry: POSIX seconds and every
# duration computed from them stay bounded (year 1 or 9999 overflow them).
MIN_YEAR, MAX_YEAR = 1970, 2999


def encodable(text: str) -> bool:
    """False for text with a lone surrogate (from a `\\udXXX` escape), which no output can print."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def split_front_matter(text: str, path: str) -> tuple[str, str]:
    """Split a ticket into (front matter text, rest); the front matter is required."""
    from supportctl.base.yamlio import split_front_matter as split

    try:
        return split(text)
    except ValueError as exc:
        message, hint = exc.args[0]
        raise TicketFormatError(message, path=path, line=1, hint=hint) from None


def load_meta(fm_text: str, path: str) -> dict[str, Any]:
    """The front matter as a dict (fast loader), or TicketFormatError with a line and hint."""
    import yaml

    from supportctl.base.yamlio import load_fast, yaml_error_line

    try:
        meta = load_fast(fm_text)
    except yaml.YAMLError as exc:
        line = yaml_error_line(exc)
        raise TicketFormatError(f"the front matter is not valid YAML: {getattr(exc, 'problem', None) or exc}",
                                path=path, line=(line + 1) if line else 2,
                                hint=getattr(exc, "hint", None)
                                or "check indentation and quote values that contain ': ' or '#'") from None
    except (ValueError, OverflowError) as exc:  # PyYAML's timestamp constructor: 2026-02-30, year 0
        raise TicketFormatError(f"the front matter has an impossible date or time ({exc})", path=path,
                                line=_date_line(fm_text), hint="write a real date, e.g. 2026-11-20T09:15:00+01:00"
                                ) from None
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise TicketFormatError("the front matter is not a mapping of keys to values", path=path, line=2,
                                hint="write one `key: value` per line")
    check_shape(meta, fm_text, path)
    return meta


def _date_line(fm_text: str) -> int:
    m = re.search(r"\d{4}-\d{1,2}-\d{1,2}", fm_text)
    return fm_text.count("\n", 0, m.start()) + 2 if m else 2


def _key_line(fm_text: str, key: str) -> int:
    m = re.search(rf"^{re.escape(key)}\s*:", fm_text, re.M)
    return fm_text.count("\n", 0, m.start()) + 2 if m else 2


# The fields every command reads, and the shape they must have for it not to
# crash; anything else about a value (an unknown status, a missing title) is
# for `check` to report while the ticket keeps working.
_TOP_KEY = re.compile(r"^([A-Za-z_][\w-]*)[ \t]*:(?=\s|$)", re.M)
_SCALARS = ("id", "title", "status", "priority", "type", "channel", "assignee", "group", "merged_into")
_LISTS = ("tags", "kb", "related", "cc")


def check_shape(meta: dict[str, Any], fm_text: str, path: str) -> None:
    """Refuse front matter that a command could not use: it is reported and the ticket skipped.

    Runs for every file of a cold index build, so the common case (exact
    types, no duplicate) is tested first and cheaply.
    """
    def refuse(key: str, message: str, hint: str) -> None:
        raise TicketFormatError(message, path=path, line=_key_line(fm_text, key), hint=hint)

    if not meta:
        raise TicketFormatError("the front matter is empty", path=path, line=2,
                                hint="a ticket needs at least id, title, status and created")
    for key in meta:
        if type(key) is not str:
            refuse(str(key), f"the key {key!r} is not a name", "keys are names like title or tags")
    if meta.get("id") in (None, ""):
        refuse("id", "missing id", "add `id:` to the front matter (the file name without .md)")
    keys = _TOP_KEY.findall(fm_text)
    if len(keys) != len(set(keys)):
        seen: set[str] = set()
        for m in _TOP_KEY.finditer(fm_text):
            if m.group(1) in seen:
                # PyYAML keeps the last value silently; ruamel (which rewrites the
                # file) refuses: no command could change this ticket.
                raise TicketFormatError(f"the key {m.group(1)!r} appears twice", path=path,
                                        line=fm_text.count("\n", 0, m.start()) + 2, hint="keep one of them")
            seen.add(m.group(1))
    for key in _SCALARS:
        value = meta.get(key)
        if value is None or type(value) is str or type(value) is Ambiguous:
            continue
        if not (key == "id" and type(value) is int):
            refuse(key, f"{key} must be text, not {type(value).__name__}", f"write {key}: some-text")
    for key in _LISTS:
        value = meta.get(key)
        if value is None or (type(value) is list and all(type(v) is str for v in value)):
            continue
        found = next((v for v in value if isinstance(v, Ambiguous)), None) if isinstance(value, list) else None
        if found is not None:  # `tags: [yes]`: a list of names to some tools, of booleans to others
            refuse(key, f"{key}: ambiguous value {found.text}", found.hint())
        refuse(key, f"{key} must be a list of names", f"write {key}: [a, b]")
    requester = meta.get("requester")
    if requester is not None and not (type(requester) is dict
                                      and all(v is None or type(v) is str for v in requester.values())):
        refuse("requester", "requester must have a name and an email address, phone number or handle",
               "write requester: {name: Dana Smith, email: dana@example.com} (or phone, github, social)")
    for key in ("created", "updated"):
        value = meta.get(key)
        if isinstance(value, datetime) and not MIN_YEAR <= value.year <= MAX_YEAR:
            refuse(key, f"{key} is in the year {value.year}", f"use a time in the years {MIN_YEAR}-{MAX_YEAR}")
    if "\\u" in fm_text or "\\U" in fm_text:
        for key, value in meta.items():
            if not _all_encodable(value):
                refuse(key, f"{key} is not valid Unicode (a lone surrogate)", "remove the \\udXXX escape")


def _all_encodable(value: Any) -> bool:
    if isinstance(value, str):
        return encodable(value)
    if isinstance(value, dict):
        return all(_all_encodable(k) and _all_encodable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_all_encodable(v) for v in value)
    return True


def to_yaml_value(key: str, value: Any) -> Any:
    """Python value -> what ruamel should write (timestamps plain, short lists in flow style).

    A string the fast loader would read back as something else (`yes`, `off`,
    `12:30`, `null`, `5`) or that spans lines is written double-quoted.
    """
    from supportctl.base.yamlio import Stamp, flow_map, flow_seq, quoted

    if isinstance(value, datetime):
        return Stamp(format_timestamp(value))
    if isinstance(value, (list, tuple)):
        return flow_seq([to_yaml_value(key, v) for v in value])
    if isinstance(value, dict):
        return flow_map({k: to_yaml_value(k, v) for k, v in value.items()})
    if isinstance(value, str) and not isinstance(value, Stamp):
        return quoted(value)
    return value


def new_front_matter(fields: dict[str, Any]) -> str:
    """Front-matter text for a new ticket, in the given key order."""
    from supportctl.base.yamlemit import dump_flat

    fast = dump_flat(fields)
    return fast[0] if fast is not None else rt_front_matter(fields)


def rt_front_matter(fields: dict[str, Any]) -> str:
    """The front-matter text as ruamel writes it (the reference `base/yamlemit.py` must match)."""
    from ruamel.yaml.comments import CommentedMap

    from supportctl.base.yamlio import rt_dump

    doc = CommentedMap()
    for key, value in fields.items():
        doc[key] = to_yaml_value(key, value)
    return rt_dump(doc)


def new_front_matter_meta(fields: dict[str, Any], path: str) -> tuple[str, dict[str, Any]]:
    """(front-matter text, the mapping `load_meta` reads from it) for a new ticket.

    The flat writer knows what each value reads back as, so a new ticket is not
    parsed again; its shape is still checked as every ticket's is.
    """
    from supportctl.base.yamlemit import dump_flat

    fast = dump_flat(fields)
    if fast is None:
        text = rt_front_matter(fields)
        return text, load_meta(text, path)
    text, meta = fast
    check_shape(meta, text, path)
    return text, meta


_PLAIN_WORD = re.compile(r"[a-z][a-z0-9_-]*")
# Words YAML 1.1 reads as something other than text: never written bare by the fast path.
_YAML_WORDS = frozenset({"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})


def _plain_scalar(value: Any) -> str | None:
    """The text of a value that needs no quoting (an aware time, a plain word), else None."""
    from supportctl.base.timeutil import format_timestamp

    if isinstance(value, datetime) and value.tzinfo is not None:
        return format_timestamp(value)
    if isinstance(value, str) and _PLAIN_WORD.fullmatch(value) and value not in _YAML_WORDS:
        return value
    return None


def _set_lines(fm_text: str, updates: dict[str, Any]) -> str | None:
    """The front matter with each `key: value` line replaced, when every update is that simple; else None.

    Every change (each reply, each mail appended) touches `updated:`; a line edit
    gives the same text as the round trip below, about a hundred times faster.
    """
    for key, value in updates.items():
        text = _plain_scalar(value)
        if text is None or not _PLAIN_WORD.fullmatch(key):
            return None
        pattern = re.compile(rf"^{re.escape(key)}:[ \t]+[^\s#'\"{{\[&*!|>-][^#\n]*$", re.M)
        found = pattern.findall(fm_text)
        if len(found) != 1:
            return None
        fm_text = pattern.sub(lambda m: f"{key}: {text}", fm_text, count=1)
    return fm_text


def rewrite_refusal(fm_text: str) -> tuple[str, int] | None:
    """Why a round-trip edit (`set_fields`) would refuse this front matter, and its line; None when it would not.

    The fast loader reads a few tabs (`group\t: tier-2`) that the round-trip
    parser refuses, so `check` asks the writer's own parser about a front
    matter with a tab, before a command fails to write the ticket.
    """
    if "\t" not in fm_text:
        return None
    from supportctl.base.yamlio import rt_load

    try:
        rt_load(fm_text)
    except Exception as exc:   # whatever ruamel raises: it is what `set_fields` would meet
        mark = getattr(exc, "problem_mark", None)
        return str(getattr(exc, "problem", None) or exc), (mark.line + 2) if mark is not None else 2
    return None


def set_fields(ticket: Ticket, updates: dict[str, Any]) -> None:
    """Change front-matter fields with a round-trip edit (comments and order survive)."""
    from supportctl.base.yamlio import rt_dump, rt_load

    fast = _set_lines(ticket.fm_text, updates)
    if fast is not None:
        ticket.fm_text = fast
        ticket.meta = load_meta(fast, ticket.path)
        return

    try:
        doc = rt_load(ticket.fm_text) if ticket.fm_text.strip() else None
    except Exception as exc:  # ruamel refuses what PyYAML let through (a duplicate key)
        raise TicketFormatError(f"the front matter cannot be rewritten: {getattr(exc, 'problem', None) or exc}",
                                path=ticket.path, line=2, hint="run `supportctl check` and fix what it reports"
                                ) from None
    if doc is None:
        from ruamel.yaml.comments import CommentedMap

        doc = CommentedMap()
    for key, value in updates.items():
        doc[key] = to_yaml_value(key, value)
    ticket.fm_text = rt_dump(doc)
    ticket.meta = load_meta(ticket.fm_text, ticket.path)
