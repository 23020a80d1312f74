"""Business calendars: the sla-cases.yaml arithmetic cases, edge cases and properties."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from supportctl.sla.calendar import MAX_TABLE_DAYS, BusinessCalendar, DateOutOfRange, to_ts
from supportctl.config.model import CalendarConfig
from supportctl.errors import ConfigError
from supportctl.base.timeutil import parse_duration
from tests.slakit import calendar_config, cases_of, instant, within

UTC = timezone.utc


def make(zone: str = "Europe/Berlin", **config) -> BusinessCalendar:
    return BusinessCalendar(CalendarConfig.model_validate(config), zone, "test")


# ------------------------------------------------------ shared/sla-cases.yaml


@pytest.mark.parametrize("case", cases_of("add_business_time"), ids=lambda c: c["id"])
def test_add_business_time_case(case):
    config, zone = calendar_config(case)
    cal = BusinessCalendar(config, zone, case["calendar"])
    start = instant(case, "start", zone)
    expected = instant(case, "expected", zone)
    assert cal.add(start, parse_duration(case["add"])) == expected
    # The two directions agree: the working time up to the result is what was added.
    assert cal.elapsed(start, expected) == parse_duration(case["add"])


@pytest.mark.parametrize("case", cases_of("elapsed_business_time"), ids=lambda c: c["id"])
def test_elapsed_business_time_case(case):
    config, zone = calendar_config(case)
    cal = BusinessCalendar(config, zone, case["calendar"])
    start, end = instant(case, "start", zone), instant(case, "end", zone)
    assert cal.elapsed(start, end) == case["expected_seconds"]
    assert cal.add(start, case["expected_seconds"]) <= end


# ------------------------------------------------------------------ examples

OFFICE = {"hours": {"mon": ["08:00-13:00", "14:00-18:00"], "tue": ["08:00-18:00"], "wed": ["08:00-18:00"],
                    "thu": ["08:00-18:00"], "fri": ["08:00-18:00"]},
          "holidays": ["2026-12-24", "12-25"]}


def berlin(*args) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo("Europe/Berlin"))


def test_lunch_break_is_not_working_time():
    cal = make(**OFFICE)
    # Monday 2026-11-23: 12:00 -> 15:00 holds 1h before lunch and 1h after.
    assert cal.elapsed(berlin(2026, 11, 23, 12), berlin(2026, 11, 23, 15)) == 7200
    assert cal.add(berlin(2026, 11, 23, 12), 3600) == berlin(2026, 11, 23, 13)
    assert cal.add(berlin(2026, 11, 23, 12), 3601) == berlin(2026, 11, 23, 14, 0, 1)


def test_deadline_on_close_is_the_close_not_the_next_opening():
    cal = make(**OFFICE)
    assert cal.add(berlin(2026, 11, 24, 8), 10 * 3600) == berlin(2026, 11, 24, 18)
    assert cal.add(berlin(2026, 11, 24, 8), 10 * 3600 + 1) == berlin(2026, 11, 25, 8, 0, 1)


def test_once_and_yearly_holidays():
    cal = make(**OFFICE)
    # Wed 2026-12-23 17:00 + 2h: 1h on the 23rd, the 24th (once) and 25th (every year) are closed,
    # Sat and Sun closed, Mon 28th 08:00 + 1h.
    assert cal.add(berlin(2026, 12, 23, 17), 7200) == berlin(2026, 12, 28, 9)
    # 12-25 is a holiday every year, 2026-12-24 only in 2026.
    assert cal.elapsed(berlin(2027, 12, 24, 0), berlin(2027, 12, 25, 0)) == 10 * 3600
    assert cal.elapsed(berlin(2031, 12, 25, 0), berlin(2031, 12, 26, 0)) == 0


def test_holidays_from_the_holidays_package():
    cal = make(hours={d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")},
               holidays_from={"country": "DE", "subdiv": "BE"})
    # Fri 2025-10-03 is German Unity Day: Thu 17:00 + 2h ends Mon 09:00.
    assert cal.add(berlin(2025, 10, 2, 17), 7200) == berlin(2025, 10, 6, 9)
    # 2025-03-08 (International Women's Day) is a holiday in Berlin only; it was a Saturday,
    # 2024-03-08 a Friday.
    assert cal.elapsed(berlin(2024, 3, 8), berlin(2024, 3, 9)) == 0
    assert "public holiday" in cal.closed_reason(to_ts(berlin(2024, 3, 8, 12)))


def test_unknown_holiday_country_is_a_config_error():
    cal = make(hours="all", holidays_from={"country": "XX"})
    with pytest.raises(ConfigError, match="holidays_from XX"):
        cal.elapsed(berlin(2026, 1, 1), berlin(2026, 1, 2))


def test_calendar_without_any_open_time_is_a_config_error_not_a_hang():
    every_day = [f"{m:02d}-{d:02d}" for m in range(1, 13) for d in range(1, 32)
                 if not (m in (4, 6, 9, 11) and d == 31) and not (m == 2 and d > 29)]
    cal = make(hours={"mon": ["08:00-18:00"]}, holidays=every_day)
    with pytest.raises(ConfigError, match="no opening time"):
        cal.add(berlin(2026, 1, 1), 3600)
    assert cal.elapsed(berlin(2026, 1, 1), berlin(2027, 1, 1)) == 0


def test_empty_hours_are_rejected_by_the_configuration():
    with pytest.raises(ValueError, match="no opening hours"):
        CalendarConfig.model_validate({"hours": {"mon": []}})


def test_all_day_interval_and_hours_all_agree():
    a = make(hours="all")
    b = make(hours={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")})
    start, end = berlin(2026, 3, 27, 13, 14, 15), berlin(2026, 4, 2, 1, 2, 3)
    # Real seconds (subtracting two datetimes of one zone would give wall-clock time, 1h too much here).
    assert a.elapsed(start, end) == b.elapsed(start, end) == to_ts(end) - to_ts(start) == 474468 - 3600


def test_seconds_are_exact_and_order_matters():
    cal = make(**OFFICE)
    start = berlin(2026, 11, 23, 9, 0, 0)
    assert cal.add(start, 1) == berlin(2026, 11, 23, 9, 0, 1)
    assert cal.elapsed(start, start) == 0
    assert cal.elapsed(berlin(2026, 11, 24), start) == 0          # end before start: nothing


def test_add_far_ahead_and_far_back():
    cal = make(**OFFICE)
    start = berlin(2026, 11, 23, 9)
    far = cal.add(start, 3000 * 3600)                             # ~ 300 working days
    assert cal.elapsed(start, far) == 3000 * 3600
    old = berlin(2019, 5, 6, 8)                                   # grows the table backwards
    assert cal.elapsed(old, start) == cal.elapsed(old, berlin(2020, 1, 1)) + cal.elapsed(berlin(2020, 1, 1), start)


# ------------------------------------------------------------ bounds (issue 9)


@pytest.mark.parametrize("when", [datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, tzinfo=UTC),
                                  datetime(1899, 12, 31, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)])
def test_instants_beyond_the_covered_years_are_an_error_not_a_crash(when):
    cal = make(**OFFICE)
    now = berlin(2026, 3, 2, 9)
    with within(5), pytest.raises(DateOutOfRange, match="outside the years 1900-2999") as info:
        cal.elapsed(min(when, now), max(when, now))
    assert info.value.hint
    with within(5), pytest.raises(DateOutOfRange):
        cal.add(when, 3600)


@pytest.mark.parametrize("hours", ["all", OFFICE["hours"]])
def test_an_enormous_target_fails_at_once_instead_of_building_centuries(hours):
    cal = make(hours=hours)
    start = berlin(2026, 3, 2, 9)
    with within(2), pytest.raises(DateOutOfRange, match="deadline lies after 2999-12-31"):
        cal.add(start, 999_999_999_999)
    with within(2), pytest.raises(DateOutOfRange, match="deadline lies after 2030-01-01"):
        cal.instant_at(cal.worked(to_ts(start)) + 10 * 366 * 86400, to_ts(berlin(2030, 1, 1, 12)))
    assert len(cal._days) < 2 * 366                                # nothing was built towards the far deadline
    assert cal.add(start, 3600) == berlin(2026, 3, 2, 10)


def test_a_deadline_just_past_the_limit_is_refused_and_one_before_it_is_not():
    cal = make(hours="all")
    start = to_ts(berlin(2026, 3, 2, 9))
    base = cal.worked(start)
    assert cal.instant_at(base + 3600, start + 3600) == start + 3600
    with pytest.raises(DateOutOfRange):
        cal.instant_at(base + 3601, start + 3600)


def test_the_day_table_never_spans_more_than_its_bound():
    cal = make(**OFFICE)
    cal.elapsed(berlin(1901, 1, 1), berlin(1901, 2, 1))
    with within(5), pytest.raises(DateOutOfRange, match="more than 100 years"):
        cal.elapsed(berlin(1901, 1, 1), berlin(2026, 3, 2))
    assert len(cal._days) <= MAX_TABLE_DAYS


@pytest.mark.parametrize("holiday", ["2026-13-01", "2026-02-30", "13-45", "x", "2026--1", "1" * 300 + "-01-01"])
def test_a_holiday_that_is_not_a_date_is_a_config_error(holiday):
    # Built without validation: the calendar must hold even if the configuration let it through.
    config = CalendarConfig.model_construct(timezone=None, hours="all", holidays=[holiday], holidays_from=None)
    with pytest.raises(ConfigError, match="is not a date"):
        BusinessCalendar(config, "UTC", "test")


def test_intervals_iterates_opening_hours_clipped():
    cal = make(**OFFICE)
    spans = list(cal.intervals(berlin(2026, 11, 23, 12), berlin(2026, 11, 24, 9)))
    assert spans == [(berlin(2026, 11, 23, 12), berlin(2026, 11, 23, 13)),
                     (berlin(2026, 11, 23, 14), berlin(2026, 11, 23, 18)),
                     (berlin(2026, 11, 24, 8), berlin(2026, 11, 24, 9))]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="naive"):
        make().elapsed(datetime(2026, 1, 1), datetime(2026, 1, 2))


# -------------------------------------------------------------- DST examples


@pytest.mark.parametrize("zone,day,hours", [
    ("Europe/Berlin", date(2026, 3, 29), 23), ("Europe/Berlin", date(2026, 10, 25), 25),
    ("America/Sao_Paulo", date(2016, 10, 16), 23), ("America/Sao_Paulo", date(2016, 2, 20), 25),
    ("Australia/Sydney", date(2026, 10, 4), 23), ("Australia/Sydney", date(2026, 4, 5), 25),
])
def test_dst_days_have_their_real_length(zone, day, hours):
    cal = make(zone, hours="all")
    tz = ZoneInfo(zone)
    start = cal._instant(day, 0)
    end = cal._instant(day + timedelta(days=1), 0)
    assert cal.elapsed_ts(start, end) == hours * 3600
    # Sao Paulo's clocks jumped at midnight: the day starts at 01:00.
    assert datetime.fromtimestamp(start, tz).date() == day


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/Sao_Paulo", "America/Santiago", "America/Havana",
                                  "Australia/Lord_Howe", "Asia/Tehran", "Europe/Dublin", "Africa/Casablanca",
                                  "Pacific/Apia", "Europe/Amsterdam"])
def test_a_day_built_from_its_first_instant_is_built_from_each_wall_time(zone):
    """Working spans are the day's first instant plus their seconds wherever that reads as their wall
    time: across changes of clocks at midnight, by half an hour, by a whole day, and odd old offsets."""
    cal = make(zone, hours={"mon": ["00:00-00:30", "01:00-03:30", "09:00-24:00"], "tue": ["00:30-02:30"],
                            "wed": ["02:00-03:00", "23:00-24:00"], "thu": ["00:00-24:00"], "fri": ["08:00-17:00"],
                            "sat": ["00:00-01:00"], "sun": ["01:30-02:30"]})
    years = [1930, 1940, 1977, 2011, 2016, 2022, 2026]
    for year in years:
        first = date(year, 1, 1).toordinal()
        for ordinal in range(first, first + 366):
            day = date.fromordinal(ordinal)
            start = cal._instant(day, 0)
            want = []
            for open_s, close_s in cal.week[day.weekday()]:
                a, b = cal._instant(day, open_s), cal._instant(day, close_s)
                if b > a:
                    want.append((a, b)) if not want or a > want[-1][1] else want.__setitem__(
                        -1, (want[-1][0], max(b, want[-1][1])))
            assert cal._build_day(ordinal, start) == (start, () if cal.is_holiday(day) else tuple(want)), day


def test_interval_through_the_skipped_hour():
    cal = make(hours={"sun": ["01:00-04:00"]})
    # 2026-03-29, Berlin: 02:00 -> 03:00 does not exist, 01:00-04:00 holds 2 real hours.
    assert cal.elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 7200
    # ... and in autumn 02:00-03:00 happens twice: 4 real hours.
    assert cal.elapsed(berlin(2026, 10, 25), berlin(2026, 10, 26)) == 4 * 3600


def test_interval_ending_inside_the_skipped_hour_ends_at_the_jump():
    cal = make(hours={"sun": ["00:00-02:30"]})
    assert cal.elapsed(berlin(2026, 3, 29), berlin(2026, 3, 30)) == 7200


# ---------------------------------------------------------------- properties

ZONES = ["Europe/Berlin", "America/Sao_Paulo", "Australia/Sydney", "America/New_York", "UTC"]
WEEK = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CALENDARS = {
    "office": OFFICE,
    "weekdays": {"hours": {d: ["09:00-17:00"] for d in WEEK[:5]}, "holidays": ["01-01", "12-25", "2016-10-17"]},
    "night": {"hours": {"sun": ["00:00-03:00", "22:00-24:00"], "sat": ["01:30-02:30"], "wed": ["02:00-02:01"]}},
    "all": {"hours": "all", "holidays": ["05-01"]},
}
# 2015-2027 covers Sao Paulo's last DST years and many transitions everywhere.
instants = st.integers(min_value=int(datetime(2015, 1, 1, tzinfo=UTC).timestamp()),
                       max_value=int(datetime(2027, 12, 31, tzinfo=UTC).timestamp()))
durations = st.integers(min_value=1, max_value=400 * 3600)
calendars = st.tuples(st.sampled_from(sorted(CALENDARS)), st.sampled_from(ZONES))
_cache: dict[tuple[str, str], BusinessCalendar] = {}


def cal_for(key: tuple[str, str]) -> BusinessCalendar:
    if key not in _cache:
        _cache[key] = make(key[1], **CALENDARS[key[0]])
    return _cache[key]


def open_by_wall_clock(name: str, zone: str, ts: int) -> bool:
    """Is the calendar open at `ts`? Decided from the local wall time, independently of the engine."""
    local = datetime.fromtimestamp(ts, ZoneInfo(zone))
    config = CALENDARS[name]
    holidays = config.get("holidays", [])
    if local.strftime("%m-%d") in holidays or local.strftime("%Y-%m-%d") in holidays:
        return False
    if config["hours"] == "all":
        return True
    second = local.hour * 3600 + local.minute * 60 + local.second
    for text in config["hours"].get(WEEK[local.weekday()], []):
        a, b = text.split("-")
        lo = int(a[:2]) * 3600 + int(a[3:]) * 60
        hi = int(b[:2]) * 3600 + int(b[3:]) * 60
        if lo <= second < hi:
            return True
    return False


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendars, instants, durations)
def test_elapsed_inverts_add(key, start, seconds):
    cal = cal_for(key)
    assert cal.elapsed_ts(start, cal.add_ts(start, seconds)) == seconds


@settings(max_examples=300, deadline=None)
@given(calendars, instants, st.integers(0, 60 * 86400), st.integers(0, 60 * 86400))
def test_elapsed_is_additive_over_a_split_point(key, a, gap1, gap2):
    cal = cal_for(key)
    b, c = a + gap1, a + gap1 + gap2
    assert cal.elapsed_ts(a, c) == cal.elapsed_ts(a, b) + cal.elapsed_ts(b, c)


@settings(max_examples=300, deadline=None)
@given(calendars, instants, durations)
def test_deadlines_never_fall_in_closed_time_or_a_holiday(key, start, seconds):
    cal = cal_for(key)
    due = cal.add_ts(start, seconds)
    # The last second before the deadline was working time, by the wall clock.
    assert open_by_wall_clock(key[0], key[1], due - 1)
    # ... and the deadline is the earliest such instant.
    assert cal.elapsed_ts(start, due - 1) == seconds - 1


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Europe/Berlin", "America/Sao_Paulo", "Australia/Sydney"]), instants,
       st.integers(1, 10 * 86400))
def test_24_7_working_time_is_real_elapsed_time_across_dst(zone, start, seconds):
    cal = make(zone, hours="all")
    assert cal.elapsed_ts(start, start + seconds) == seconds
    assert cal.add_ts(start, seconds) == start + seconds


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["Europe/Berlin", "America/Sao_Paulo", "Australia/Sydney"]),
       st.dates(min_value=date(2015, 1, 1), max_value=date(2027, 12, 31)))
def test_office_day_counts_its_wall_clock_hours_on_dst_days(zone, day):
    # Opening hours lie outside every transition (they happen at night): each open day holds
    # exactly its 9 configured hours, whatever the UTC offset does that day.
    cal = make(zone, hours={d: ["08:00-12:00", "13:00-18:00"] for d in WEEK})
    start, end = cal._instant(day, 0), cal._instant(day + timedelta(days=1), 0)
    assert cal.elapsed_ts(start, end) == 9 * 3600


@settings(max_examples=200, deadline=None)
@given(calendars, instants, st.integers(0, 30 * 86400))
def test_elapsed_matches_a_second_by_second_count_over_hours(key, start, span):
    # An independent check of elapsed on short spans: count open minutes by the wall clock.
    cal = cal_for(key)
    start -= start % 60
    span = span % (6 * 3600)
    span -= span % 60
    expected = sum(60 for t in range(start, start + span, 60) if open_by_wall_clock(key[0], key[1], t))
    assert cal.elapsed_ts(start, start + span) == expected
