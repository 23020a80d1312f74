"""The building blocks of the config models: limits and shared value checks (no pydantic: read paths import it)."""

from __future__ import annotations

import re
from typing import Any

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CATEGORIES = ("new", "open", "pending", "solved", "closed")
INTERVAL_RE = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
HOLIDAY_RE = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
# Names that end up in ticket records, front matter, commit messages and file
# paths: one token, so none of them can forge a record line or a YAML key.
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Bounds that keep every later computation over dates finite and quick: a
# target longer than two years is a typo, and no calendar may need more than
# five years of weeks to reach one. Holiday years stay where calendars make sense.
DAY = 86400
MAX_DURATION = 2 * 365 * DAY
MAX_REACH_WEEKS = 5 * 52
YEARS = (1900, 2200)


def as_list(value: Any) -> list[str]:
    """A condition value (one or a list) as a list of strings; [] when not set."""
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def duration(value: Any) -> int:
    from supportctl.errors import SupportctlError
    from supportctl.base.timeutil import parse_duration

    try:
        seconds = parse_duration(value)
    except SupportctlError as exc:  # pydantic reports ValueErrors with the key's location
        raise ValueError(f"{exc.message}; {exc.hint}") from None
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    if seconds > MAX_DURATION:
        raise ValueError(f"{shorten(value)} is longer than {MAX_DURATION // DAY} days, the longest duration allowed")
    return seconds


def shorten(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."


def check_names(value: Any, what: str) -> Any:
    """Check the keys (or items) that are names: one token of letters, digits, `.`, `_`, `-`."""
    for name in value:
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise ValueError(f"{what} {shorten(name)!r} is not a name: use letters, digits, '.', '_' or '-' "
                             "(at most 64, no spaces)")
    return value


def one_line(value: str | None) -> str | None:
    if value is not None and any(ord(c) < 32 or c in "\x7f\u2028\u2029" for c in value):
        raise ValueError(f"{shorten(value)!r} must be one line of text without control characters")
    return value


def template_name_problem(name: str) -> str | None:
    """Why `name` cannot name a file inside templates/, or None (the one rule for every template name)."""
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", name):
        return f"template name {shorten(name)!r} must be a path inside templates/, like replies/solved"
    if any(part in ("", ".", "..") for part in parts) or any(ord(c) < 32 for c in name):
        return f"template name {shorten(name)!r} may not contain '..', '.', empty parts or control characters"
    return None


def check_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # OSError: a name too long for a path
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value
