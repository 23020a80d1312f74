"""Durations for people: working time in hours and minutes (never days), wall-clock time with days."""

from __future__ import annotations

import pytest

from supportctl.base.timeutil import format_duration, format_working, parse_duration


@pytest.mark.parametrize("seconds, text", [
    (0, "0m"), (30, "30s"), (90, "1m 30s"), (45 * 60, "45m"), (3600, "1h"), (3 * 3600 + 20 * 60, "3h 20m"),
    (24 * 3600, "24h"), (27 * 3600, "27h"), (100 * 3600 + 5 * 60 + 59, "100h 5m"), (-3600, "-1h"),
    (-(26 * 3600 + 20 * 60), "-26h 20m"),
])
def test_working_time_is_hours_and_minutes_never_days(seconds, text):
    # A "day" of working time would read as 24 working hours, three 8-hour business days: never shown.
    assert format_working(seconds) == text


@pytest.mark.parametrize("text", ["27h", "3h20m", "45m", "1h", "90s"])
def test_working_time_reads_back_as_written_in_the_config(text):
    assert parse_duration(format_working(parse_duration(text)).replace(" ", "")) == parse_duration(text)


@pytest.mark.parametrize("seconds, text", [
    (0, "0s"), (3 * 3600 + 30 * 60, "3h 30m"), (26 * 3600, "1d 2h"), (50 * 60, "50m"),
])
def test_wall_clock_time_for_people_keeps_calendar_days(seconds, text):
    assert format_duration(seconds, sep=" ") == text


def test_wall_clock_time_in_records_keeps_its_compact_form():
    assert format_duration(36 * 3600) == "1d12h"
