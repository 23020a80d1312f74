"""How every command shows things to people: tables, colours, times, durations, JSON."""

from __future__ import annotations

import functools
import json
import os
import sys
from datetime import datetime
from typing import Any, Sequence

import typer

from supportctl.errors import SupportctlError


def emit_json(data: Any) -> None:
    """Pure JSON on stdout (messages go to stderr); indented for a terminal, compact in a pipe.

    Indenting switches json to its pure-Python encoder, several times slower
    than the C one on a 10,000-ticket listing that a script reads anyway.
    """
    indent = 2 if sys.stdout.isatty() else None
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=indent, default=str) + "\n")


def widen_pipe(stream: Any = None) -> None:
    """Let a pipe on stdout hold 1 MiB where the system allows it (Linux), before a long output.

    A listing of 100,000 tickets is 41 MB of JSON: through the default
    64 KiB pipe it waits for its reader about 650 times, and took 0.03 s
    longer than with room for 1 MiB. Anything but a pipe is left as it is.
    """
    try:
        import fcntl
        import stat

        fd = (stream or sys.stdout).fileno()
        if stat.S_ISFIFO(os.fstat(fd).st_mode):
            fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), 1 << 20)
    except (OSError, ValueError, AttributeError, ImportError):   # no fileno (captured), no such fcntl
        pass


def echo(text: str) -> None:
    typer.echo(text)


def info(message: str) -> None:
    typer.echo(message, err=True)


def warn(message: str) -> None:
    typer.echo(typer.style("warning: ", fg="yellow", bold=True) + message, err=True)


def warn_problem(problem: SupportctlError) -> None:
    """A file that was skipped, with its hint."""
    warn(str(problem) + (f" (hint: {problem.hint})" if problem.hint else ""))


def report_error(exc: SupportctlError) -> None:
    typer.echo(typer.style("error: ", fg="red", bold=True) + str(exc), err=True)
    if exc.hint:
        typer.echo(typer.style("hint: ", fg="cyan", bold=True) + exc.hint, err=True)


def colour_enabled() -> bool:
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def style(text: str, **kwargs: Any) -> str:
    return typer.style(text, **kwargs) if colour_enabled() else text


def plural(n: int, noun: str) -> str:
    """`1 ticket`, `2 tickets`."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def run_outcome(summary: str, *, dry_run: bool, sha: str | None) -> str:
    """A batch run's summary line, ending with what became of it: nothing written, or its commit."""
    if dry_run:
        return summary + " (dry run: nothing written)"
    return summary + (f" (commit {sha})" if sha else "")


def clip(text: str, width: int) -> str:
    """Cut `text` to `width` characters, marking the cut with an ellipsis."""
    return text if len(text) <= width else text[: width - 1] + "…"


def table(rows: list[list[str]], headers: list[str], *, styles: list[dict | None] | None = None) -> str:
    """A plain aligned text table (pipes well; use --json for scripts)."""
    colour = bool(styles) and colour_enabled()  # asked once: a queue can have thousands of rows
    if not colour and all(len(row) == len(headers) for row in rows):
        return column_table(list(zip(*rows)) or [() for _ in headers], headers)
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))
    lines = ["  ".join(h.ljust(widths[i]) for i, h in enumerate(headers)).rstrip()]
    for n, row in enumerate(rows):
        cells = [cell.ljust(widths[i]) for i, cell in enumerate(row)]
        if colour and styles[n]:
            for i, st in styles[n].items():
                cells[i] = typer.style(cells[i], **st)
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def column_table(columns: Sequence[Sequence[str]], headers: list[str]) -> str:
    """`table` given its columns, uncoloured: the quick way to a listing of 85,000 rows (`sla check`)."""
    widths = [max(len(h), max(map(len, column), default=0)) for h, column in zip(headers, columns)]
    head = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    # One format string for every row, fed column by column (no row is built); the last cell
    # needs no padding, as every line loses its trailing blanks.
    line = "  ".join([f"{{:<{w}}}" for w in widths[:-1]] + ["{}"])
    return "\n".join([head, *[text.rstrip() for text in map(line.format, *columns)]])


@functools.lru_cache(maxsize=4096)
def when(ts: int | None, zone) -> str:
    """An instant for people, in the desk's time zone (memoised: deadlines repeat at closing times)."""
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, zone).strftime("%a %Y-%m-%d %H:%M %Z")


class Instants:
    """`when` for the many instants of a long listing in one zone (`sla check` lists 30,000 distinct deadlines).

    Instants within one hour (or, where the offset is not whole hours, one
    quarter hour) share their date, hour and zone name, so those are worked
    out once per block, and only the minute per instant. A block that a
    change of offset or zone name cuts, or whose local minutes would pass
    the hour (a zone's odd historical offsets), is left to `when`.
    """

    def __init__(self, zone) -> None:
        self.zone = zone
        self.blocks: tuple[tuple[int, dict], ...] = ((3600, {}), (900, {}))   # size -> start -> block or None

    def __call__(self, ts: int | None) -> str:
        if ts is None:
            return "-"
        for size, blocks in self.blocks:
            start = ts - ts % size
            block = blocks.get(start, False)
            if block is False:
                block = blocks[start] = self._block(start, size)
            if block is not None:
                prefix, minute, name = block
                return f"{prefix}{minute + (ts - start) // 60:02d} {name}"
        return when(ts, self.zone)

    def _block(self, start: int, size: int) -> tuple[str, int, str] | None:
        """(date and hour, first minute, zone name) of the instants from `start` for `size` seconds, if shared."""
        first, last = datetime.fromtimestamp(start, self.zone), datetime.fromtimestamp(start + size - 1, self.zone)
        if first.second or first.minute + (size - 1) // 60 > 59:
            if size == 3600 and not first.second and not first.minute % 15:
                self.blocks = self.blocks[1:]   # an offset of whole quarter hours (India's): quarters from now on
            return None
        if first.utcoffset() != last.utcoffset() or first.tzname() != last.tzname():
            return None
        return first.strftime("%a %Y-%m-%d %H:"), first.minute, first.strftime("%Z")


def span(start: int, end: int, zone) -> str:
    """`Mon 2026-03-02 09:00 → 12:45 CET`, the end's date only when it differs."""
    a, b = datetime.fromtimestamp(start, zone), datetime.fromtimestamp(end, zone)
    if a.date() == b.date():
        return f"{a:%a %Y-%m-%d %H:%M} → {b:%H:%M %Z}"
    return f"{a:%a %Y-%m-%d %H:%M %Z} → {b:%a %Y-%m-%d %H:%M %Z}"


def short_time(value: Any) -> str:
    """A front-matter time as `2026-03-02 09:00`."""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value or "")


def duration(seconds: float) -> str:
    """Working time for people: `27h`, `3h 20m`; never days (a day of working time is not a day)."""
    from supportctl.base.timeutil import format_working

    return format_working(seconds)


def wall_duration(seconds: float) -> str:
    """Wall-clock time for people (an age, a pause): `3h 30m`, `2d 4h`, where a day is a calendar day."""
    from supportctl.base.timeutil import format_duration

    return format_duration(seconds, sep=" ")
