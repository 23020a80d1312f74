"""Timestamps and durations: ISO 8601 with an explicit offset, and `1h30m`-style spans."""

from __future__ import annotations

import math
import re
from datetime import datetime, tzinfo

from supportctl.errors import SupportctlError, UsageError

_DURATION = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


def parse_timestamp(text: str, *, what: str = "timestamp") -> datetime:
    """Parse ISO 8601 with an explicit offset (`Z` allowed); a naive time is an error."""
    s = text.strip()
    try:
        value = datetime.fromisoformat(s.replace("Z", "+00:00") if s.endswith("Z") else s)
    except ValueError:
        raise UsageError(f"{what} {text!r} is not an ISO 8601 timestamp",
                         hint="write it like 2026-11-20T09:15:00+01:00") from None
    if value.tzinfo is None:
        raise UsageError(f"{what} {text!r} has no UTC offset",
                         hint="add the offset, e.g. 2026-11-20T09:15:00+01:00 or ...Z")
    return value


def format_timestamp(value: datetime) -> str:
    """ISO 8601 with offset and whole seconds, the form stored in ticket files."""
    return value.replace(microsecond=0).isoformat()


def now_in(zone: tzinfo) -> datetime:
    """The current time in `zone`, whole seconds."""
    return datetime.now(zone).replace(microsecond=0)


def parse_duration(text: str | int | float) -> int:
    """`90s`, `45m`, `4h`, `1h30m`, `2d` (a day is 24 hours) -> seconds."""
    if isinstance(text, bool):
        raise SupportctlError(f"duration {text!r} is not a duration", hint="write e.g. 4h, 45m or 1h30m")
    if isinstance(text, (int, float)):
        if not math.isfinite(text):
            raise SupportctlError(f"duration {text!r} is not a duration", hint="write e.g. 4h, 45m or 1h30m")
        return int(text)
    s = str(text).strip().replace(" ", "")
    if len(s) > 64:   # no real duration is this long; keeps the float below finite
        raise SupportctlError(f"duration {s[:20]}... is too long", hint="write e.g. 4h, 45m or 1h30m")
    pos, total = 0, 0.0
    for m in _DURATION.finditer(s):
        if m.start() != pos:
            break
        total += float(m.group(1)) * _UNIT_SECONDS[m.group(2)]
        pos = m.end()
    if not s or pos != len(s):
        raise SupportctlError(f"duration {text!r} is not a duration",
                              hint="write e.g. 90s, 45m, 4h, 1h30m or 2d (a day is 24 hours)")
    return int(round(total))


def format_duration(seconds: float, sep: str = "") -> str:
    """Wall-clock seconds -> a short form such as `1h30m` or `2d4h` (sign kept; a day is a calendar day).

    `sep=" "` gives `2d 4h` for people. Working time is `format_working`:
    there a day would read as 24 working hours, three business days.
    """
    sign = "-" if seconds < 0 else ""
    rest = int(abs(round(seconds)))
    if rest == 0:
        return "0s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            n, rest = divmod(rest, size)
            parts.append(f"{n}{unit}")
    # Two units are enough for people reading a queue.
    return sign + sep.join(parts[:2])


def format_working(seconds: float) -> str:
    """Working seconds -> hours and minutes for people: `27h`, `3h 20m`, `45m`, `30s`; never days.

    A "day" of working time would be 24 working hours, which people read as
    one day but is three 8-hour business days; and a business day's length
    depends on the calendar. So working time is told in hours, as policies
    write it (`resolution: 27h`). Seconds show only under an hour.
    """
    sign = "-" if seconds < 0 else ""
    rest = int(abs(round(seconds)))
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        text = f"{hours}h" + (f" {minutes}m" if minutes else "")
    elif minutes:
        text = f"{minutes}m" + (f" {secs}s" if secs else "")
    elif secs:
        text = f"{secs}s"
    else:
        return "0m"
    return sign + text
