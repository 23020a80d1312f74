"""Terminal output helpers that touch the process's streams."""

from __future__ import annotations

import fcntl
import io
import os

from hypothesis import given, settings
from hypothesis import strategies as st

from supportctl.cli.render import Instants, column_table, table, wall_duration, when, widen_pipe
from supportctl.cli.sla import _Texts

F_GETPIPE_SZ = getattr(fcntl, "F_GETPIPE_SZ", 1032)


def test_a_pipe_on_stdout_gets_room_for_a_long_listing_and_anything_else_is_left_alone(tmp_path):
    read_end, write_end = os.pipe()
    with os.fdopen(write_end, "w") as stream, os.fdopen(read_end, "r"):
        before = fcntl.fcntl(write_end, F_GETPIPE_SZ)
        widen_pipe(stream)
        assert fcntl.fcntl(write_end, F_GETPIPE_SZ) >= min(1 << 20, int(open("/proc/sys/fs/pipe-max-size").read()))
        assert fcntl.fcntl(write_end, F_GETPIPE_SZ) >= before
    with open(tmp_path / "out.json", "w") as stream:
        widen_pipe(stream)   # a file: nothing to widen, no error
    widen_pipe(io.StringIO())   # captured output (no file descriptor): no error


@settings(max_examples=2000)
@given(st.lists(st.integers(-10**6, 10**9), max_size=30))
def test_memoised_ages_read_as_the_ages_themselves(ages):
    # `queue` memoises an age cut to its second unit; any age, in any order, reads as before.
    texts = _Texts(None)
    for seconds in [*ages, *ages]:
        assert texts.age(seconds) == wall_duration(seconds)


def test_memoised_ages_around_unit_boundaries():
    texts = _Texts(None)
    for base in (0, 60, 3600, 86400, 2 * 86400, 30 * 86400):
        for seconds in range(base - 3700, base + 3700):
            assert texts.age(seconds) == wall_duration(seconds)


ZONES = ["UTC", "Europe/Dublin", "Europe/Paris", "Asia/Kathmandu", "Asia/Kolkata", "Australia/Lord_Howe",
         "America/St_Johns", "Pacific/Chatham", "Africa/Monrovia", "America/Sao_Paulo", "Europe/Amsterdam"]


@settings(max_examples=3000)
@given(st.sampled_from(ZONES), st.integers(-2_500_000_000, 4_000_000_000), st.lists(st.integers(-1800, 1800),
                                                                                      max_size=8))
def test_instants_of_a_long_listing_read_as_when_says(zone, ts, nearby):
    # Quarter hours worked out once: across offsets of 45 and 30 minutes, DST changes and the
    # odd offsets of a zone's history (Amsterdam's +00:19:32, Monrovia's -00:44:30), the same text.
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(zone)
    instants = Instants(tz)
    for t in [ts, *[ts + d for d in nearby], None]:
        assert instants(t) == when(t, tz)


def test_instants_across_a_change_of_offset():
    from zoneinfo import ZoneInfo

    tz = ZoneInfo("Europe/Dublin")
    instants = Instants(tz)
    change = 1774746000   # 2026-03-29 01:00 UTC: Irish Standard Time begins
    for t in range(change - 3600, change + 3600, 7):
        assert instants(t) == when(t, tz)


def _aligned(columns, headers) -> str:
    """A table the plain way: each row's cells padded to their column, trailing blanks cut."""
    widths = [max([len(h), *map(len, column)]) for h, column in zip(headers, columns)]
    rows = [headers, *zip(*columns)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows)


_CELLS = st.text(alphabet=" ab\t…é-", max_size=6)


@settings(max_examples=1000)
@given(st.integers(1, 4).flatmap(lambda n: st.tuples(
    st.lists(st.text(alphabet="AB ", max_size=4), min_size=n, max_size=n),
    st.integers(0, 5).flatmap(lambda r: st.lists(st.lists(_CELLS, min_size=r, max_size=r), min_size=n,
                                                 max_size=n)))))
def test_a_table_of_columns_is_the_table_of_its_rows(table_of):
    headers, columns = table_of
    assert column_table(columns, headers) == _aligned(columns, headers)
    assert table([list(row) for row in zip(*columns)], headers) == _aligned(columns, headers)
