"""Business calendars: opening hours, holidays and working-time arithmetic.

Working time is real elapsed seconds inside the calendar's opening intervals,
in the calendar's own time zone. Every local opening interval is turned into a
pair of UTC instants (POSIX seconds) with zoneinfo, so a 23-hour DST day has 23
working hours in a 24/7 calendar and nothing is ever rounded.

For speed the calendar keeps a table of days: for each local day its start
instant, its opening intervals and the working seconds accrued since the
table's first day. `elapsed` is then a difference of two lookups and `add` a
binary search, however far apart the instants are; the table grows on demand
in both directions, within bounds: instants between FIRST_YEAR and LAST_YEAR,
a table of at most MAX_TABLE_DAYS days, so a typo such as `created:
0001-01-01` or an enormous target is a DateOutOfRange error, not a hang.

Pure domain code: no clock, no disk, no CLI.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from supportctl.errors import ConfigError, SupportctlError

if TYPE_CHECKING:
    from supportctl.config.model import CalendarConfig

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86400
# How many days without a single open second make a calendar unusable. A real
# desk closes for weeks, never for a year; RT's Business::Hours gives up after
# 30 days, we allow a little more than a year so a holiday-heavy calendar works.
MAX_CLOSED_DAYS = 400
_CHUNK = 64  # days added to the table at a time
# Working time is computed for instants in these years only: further out a
# date is a typo, and Python's datetime ends at 9999.
FIRST_YEAR, LAST_YEAR = 1900, 2999
MIN_TS = int(datetime(FIRST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp())
MAX_TS = int(datetime(LAST_YEAR + 1, 1, 1, tzinfo=timezone.utc).timestamp())   # exclusive
# A day of the table costs ~40 µs to build: a century (~1.5 s) is the most one calendar may spend.
MAX_TABLE_DAYS = 100 * 366


class DateOutOfRange(SupportctlError):
    """An instant or a deadline beyond what working-time arithmetic covers."""


def day_text(ts: int) -> str:
    """The UTC date of `ts` for a message, whatever its size."""
    try:
        return datetime.fromtimestamp(ts, timezone.utc).date().isoformat()
    except (OverflowError, ValueError, OSError):
        return f"{ts} POSIX seconds"


def _seconds_of_day(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 3600 + int(minutes) * 60


# (country, subdivision, year) -> {date: name}: where `holidays_from` dates come from.
HolidayLookup = Callable[[str, "str | None", int], "dict[date, str]"]
_PACKAGE_CALENDARS: dict[tuple[str, str | None], Any] = {}


def package_holidays(country: str, subdiv: str | None, year: int) -> dict[date, str]:
    """Public holidays from the `holidays` package (imported on first use: ~80 ms, ~100 ms more per country).

    Raises NotImplementedError for a country or subdivision the package does not know.
    """
    source = _PACKAGE_CALENDARS.get((country, subdiv))
    if source is None:
        import holidays

        source = holidays.country_holidays(country, subdiv=subdiv)
        _PACKAGE_CALENDARS[(country, subdiv)] = source
    date(year, 1, 1) in source   # a lookup makes the package compute that whole year
    return {day: name for day, name in source.items() if day.year == year}


def parse_hours(hours: Any) -> list[tuple[tuple[int, int], ...]]:
    """`hours` from the configuration -> seven tuples of (start, end) seconds of the day."""
    if hours == "all":
        return [((0, DAY),)] * 7
    week: list[tuple[tuple[int, int], ...]] = []
    for name in DAY_NAMES:
        spans = []
        for text in hours.get(name) or []:
            start, end = str(text).split("-")
            spans.append((_seconds_of_day(start), _seconds_of_day(end)))
        spans.sort()
        merged: list[tuple[int, int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:  # overlapping or touching intervals are one
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        week.append(tuple(merged))
    return week


class BusinessCalendar:
    """Opening hours in one time zone, with holidays; working-time arithmetic on instants."""

    def __init__(self, config: CalendarConfig, zone: str, name: str = "calendar",
                 holidays: HolidayLookup | None = None) -> None:
        self.name = name
        self.zone_name = zone
        self.zone = ZoneInfo(zone)
        self.week = parse_hours(config.hours)
        self.always_open = config.hours == "all"
        self._once: set[date] = set()
        self._yearly: set[tuple[int, int]] = set()
        for text in config.holidays:
            try:
                parts = [int(p) for p in str(text).split("-")]
                if len(parts) == 3:
                    self._once.add(date(*parts))
                else:
                    date(2000, parts[0], parts[1])   # a leap year: 02-29 is a real yearly date
                    self._yearly.add((parts[0], parts[1]))
            except (ValueError, IndexError, OverflowError):
                raise ConfigError(f"calendar {name}: holiday {text!r} is not a date",
                                  hint="write YYYY-MM-DD for one day or MM-DD for every year") from None
        self._source = config.holidays_from
        self._lookup = holidays or package_holidays
        self._public_years: dict[int, dict[date, str]] = {}
        # The day table: day i is the local date ordinal `_ord0 + i`.
        self._ord0 = 0
        self._starts: list[int] = []        # n + 1 day-start instants (the last one ends day n - 1)
        self._cum: list[int] = []           # n + 1 working seconds before each day start
        self._days: list[tuple[tuple[int, int], ...]] = []   # n tuples of UTC (open, close)
        self._memo: tuple[int | None, int] = (None, 0)        # the last (instant, working seconds) asked

    # ------------------------------------------------------------ holidays
    def _public(self, year: int) -> dict[date, str]:
        """The public holidays of `holidays_from` in one year (date -> name)."""
        found = self._public_years.get(year)
        if found is None:
            source = self._source
            try:
                found = self._lookup(source.country, source.subdiv, year)
            except NotImplementedError as exc:
                raise ConfigError(f"calendar {self.name}: holidays_from {source.country}"
                                  f"{'/' + source.subdiv if source.subdiv else ''}: {exc}",
                                  hint="use an ISO 3166 country code (and subdivision) known to the "
                                       "`holidays` package, e.g. {country: DE, subdiv: BE}") from None
            self._public_years[year] = found
        return found

    def is_holiday(self, day: date) -> bool:
        if day in self._once or (day.month, day.day) in self._yearly:
            return True
        return self._source is not None and day in self._public(day.year)

    def holiday_name(self, day: date) -> str | None:
        """Why a day is closed as a holiday (for `sla explain`), or None."""
        if day in self._once:
            return f"holiday {day.isoformat()}"
        if (day.month, day.day) in self._yearly:
            return f"holiday {day.month:02d}-{day.day:02d} (every year)"
        if self._source is not None:
            name = self._public(day.year).get(day)
            if name:
                return f"public holiday: {name}"
        return None

    # --------------------------------------------------------- local -> UTC
    def _instant(self, day: date, second: int) -> int:
        """The first instant whose local wall time on `day` is at or after `second` of the day.

        Ambiguous wall times (the repeated hour in autumn) give the first
        occurrence; wall times that do not exist (the skipped hour in spring)
        give the transition instant, so that adjacent intervals stay adjacent.
        """
        if second >= DAY:
            day, second = day + timedelta(days=1), second - DAY
        hour, rest = divmod(second, 3600)
        wall = datetime(day.year, day.month, day.day, hour, rest // 60, rest % 60)
        early = int(wall.replace(tzinfo=self.zone).timestamp())   # fold=0: the first occurrence
        if datetime.fromtimestamp(early, self.zone).replace(tzinfo=None) == wall:
            return early
        # In a gap, fold=0 reads the wall time with the offset from before the
        # transition (too late) and fold=1 with the one after (too early); the
        # transition lies between. Search for it (this happens twice a year).
        low = int(wall.replace(tzinfo=self.zone, fold=1).timestamp())
        high = early
        if low > high:
            low, high = high, low
        while low < high:
            mid = (low + high) // 2
            if datetime.fromtimestamp(mid, self.zone).replace(tzinfo=None) >= wall:
                high = mid
            else:
                low = mid + 1
        return high

    def _at(self, day: date, start: int, second: int) -> int:
        """`_instant(day, second)`, given the day's first instant `start`: that plus `second` when it
        reads as that wall time (no change of clocks since the day began), at a sixth of the cost."""
        if second < DAY:
            instant = start + second
            wall = datetime.fromtimestamp(instant, self.zone)
            if wall.hour * 3600 + wall.minute * 60 + wall.second == second and wall.date() == day:
                return instant
        return self._instant(day, second)

    def _build_day(self, ordinal: int, start: int | None = None) -> tuple[int, tuple[tuple[int, int], ...]]:
        """(the day's first instant, its working spans); `start`, when known, is the first."""
        day = date.fromordinal(ordinal)
        if start is None:
            start = self._instant(day, 0)
        if self.is_holiday(day):
            return start, ()
        spans = []
        for open_s, close_s in self.week[day.weekday()]:
            a, b = self._at(day, start, open_s), self._at(day, start, close_s)
            if b > a:
                if spans and a <= spans[-1][1]:
                    spans[-1] = (spans[-1][0], max(b, spans[-1][1]))
                else:
                    spans.append((a, b))
        return start, tuple(spans)

    # ----------------------------------------------------------- the table
    def _local_ordinal(self, ts: int) -> int:
        return datetime.fromtimestamp(ts, self.zone).toordinal()

    def _init_table(self, ts: int) -> None:
        first = self._local_ordinal(ts) - 7
        self._ord0 = first
        self._starts = [self._instant(date.fromordinal(first), 0)]
        self._cum = [0]
        self._days = []
        self._extend_forward(_CHUNK)

    def _check_size(self, count: int) -> None:
        if len(self._days) + count > MAX_TABLE_DAYS:
            self._too_wide(self._starts[0], self._starts[-1])

    def _too_wide(self, first: int, last: int) -> None:
        raise DateOutOfRange(f"calendar {self.name}: working time asked from {day_text(first)} to "
                             f"{day_text(last)}, more than {MAX_TABLE_DAYS // 366} years",
                             hint="a ticket date or an SLA target is far off: check them")

    def _extend_forward(self, count: int) -> int:
        """Append `count` days; return the working seconds they add."""
        self._check_size(count)
        ordinal = self._ord0 + len(self._days)
        added = 0
        for _ in range(count):
            _, spans = self._build_day(ordinal, self._starts[-1])   # the last start is this day's
            next_start = self._instant(date.fromordinal(ordinal + 1), 0)
            work = sum(b - a for a, b in spans)
            self._days.append(spans)
            self._starts.append(next_start)
            self._cum.append(self._cum[-1] + work)
            added += work
            ordinal += 1
        return added

    def _extend_backward(self, count: int) -> None:
        self._check_size(count)
        first = self._ord0 - count
        starts, days, works = [], [], []
        for ordinal in range(first, self._ord0):
            start, spans = self._build_day(ordinal)
            starts.append(start)
            days.append(spans)
            works.append(sum(b - a for a, b in spans))
        # Counted backwards from the old first day, so every total handed out so far stays valid.
        cum = [self._cum[0]]
        for work in reversed(works):
            cum.append(cum[-1] - work)
        cum.reverse()
        self._cum = cum[:-1] + self._cum
        self._starts = starts + self._starts
        self._days = days + self._days
        self._ord0 = first

    def _cover(self, ts: int) -> None:
        if not MIN_TS <= ts < MAX_TS:
            raise DateOutOfRange(f"calendar {self.name}: {day_text(ts)} is outside the years "
                                 f"{FIRST_YEAR}-{LAST_YEAR} that working time is computed for",
                                 hint="a ticket date (created:, a record time) or --now is mistyped")
        if not self._starts:
            self._init_table(ts)
        # Refuse at once what the table could only reach by growing past its bound.
        if ts < self._starts[-1] - MAX_TABLE_DAYS * DAY or ts > self._starts[0] + MAX_TABLE_DAYS * DAY:
            self._too_wide(min(ts, self._starts[0]), max(ts, self._starts[-1]))
        while ts < self._starts[0]:
            self._extend_backward(_CHUNK)
        while ts >= self._starts[-1]:
            self._extend_forward(_CHUNK)

    def worked(self, ts: int) -> int:
        """Working seconds from a fixed origin up to the instant `ts`.

        Only differences are meaningful: `elapsed_ts(a, b) == worked(b) - worked(a)`,
        and `instant_at(worked(a) + d) == add_ts(a, d)`.
        """
        return self._worked(ts)

    def _worked(self, ts: int) -> int:
        """Working seconds from the table's origin up to the instant `ts`."""
        # Evaluating a desk asks for the same `now` again and again: remember the last answer.
        if ts == self._memo[0]:
            return self._memo[1]
        starts = self._starts
        if not starts or ts < starts[0] or ts >= starts[-1]:
            self._cover(ts)
            starts = self._starts
        i = bisect_right(starts, ts) - 1
        total = self._cum[i]
        for a, b in self._days[i]:
            if ts <= a:
                break
            total += (b if ts > b else ts) - a
        self._memo = (ts, total)
        return total

    # ---------------------------------------------------------- arithmetic
    def elapsed_ts(self, start: int, end: int) -> int:
        """Working seconds in [start, end) between two POSIX instants (0 if end <= start)."""
        if end <= start:
            return 0
        # Cover the start first so the table never has to grow backwards for `end`.
        a = self._worked(start)
        return self._worked(end) - a

    def add_ts(self, start: int, seconds: int) -> int:
        """The earliest instant at which `seconds` of working time after `start` have accrued.

        A deadline that fills an opening interval exactly is that interval's
        close (18:00), not the next opening.
        """
        if seconds <= 0:
            return start
        return self.instant_at(self._worked(start) + seconds)

    def instant_at(self, target: int, limit: int | None = None) -> int:
        """The earliest instant at which `worked()` reaches `target` (the inverse of `worked`).

        Raises DateOutOfRange when that instant lies after `limit` (by default
        the end of LAST_YEAR), without building the table that far when it can.
        """
        limit = MAX_TS - 1 if limit is None else min(limit, MAX_TS - 1)
        cum = self._cum
        barren = 0
        while cum[-1] < target:
            # Working time never accrues faster than the wall clock: when more
            # of it is missing than seconds are left before `limit`, give up now.
            if target - cum[-1] > limit - self._starts[-1]:
                self._beyond(limit)
            if self._extend_forward(_CHUNK) == 0:
                barren += _CHUNK
                if barren >= MAX_CLOSED_DAYS:
                    raise ConfigError(
                        f"calendar {self.name} has no opening time in the {MAX_CLOSED_DAYS} days after "
                        f"{self._fmt(self._starts[-1 - barren])}",
                        hint="check its hours and holidays: a deadline can never be reached")
            else:
                barren = 0
            cum = self._cum
        i = bisect_left(cum, target) - 1   # the day during which the target is reached
        rest = target - cum[i]
        for a, b in self._days[i]:
            if rest <= b - a:
                if a + rest > limit:
                    self._beyond(limit)
                return a + rest
            rest -= b - a
        raise AssertionError("working-time table is inconsistent")  # pragma: no cover

    def _beyond(self, limit: int) -> None:
        raise DateOutOfRange(f"calendar {self.name}: the deadline lies after {day_text(limit)}, too far to compute",
                             hint="check the policy's targets (first_response, next_reply, resolution) "
                                  "and the calendar's hours")

    def _day_index(self, ts: int) -> int:
        return bisect_right(self._starts, ts) - 1

    def _fmt(self, ts: int) -> str:
        return datetime.fromtimestamp(ts, self.zone).date().isoformat()

    # ---------------------------------------------- datetime conveniences
    def elapsed(self, start: datetime, end: datetime) -> int:
        """Working seconds between two aware datetimes."""
        return self.elapsed_ts(to_ts(start), to_ts(end))

    def add(self, start: datetime, seconds: int) -> datetime:
        """`start` plus `seconds` of working time, as an aware UTC datetime."""
        return from_ts(self.add_ts(to_ts(start), int(seconds)))

    def is_open_ts(self, ts: int) -> bool:
        self._worked(ts)
        return any(a <= ts < b for a, b in self._days[self._day_index(ts)])

    def intervals_ts(self, start: int, end: int) -> Iterator[tuple[int, int]]:
        """Opening intervals (UTC instants) that overlap [start, end), clipped to it."""
        if end <= start:
            return
        self._cover(start)
        self._cover(end)
        i = self._day_index(start)
        while i < len(self._days) and self._starts[i] < end:
            for a, b in self._days[i]:
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    yield lo, hi
            i += 1

    def intervals(self, start: datetime, end: datetime) -> Iterator[tuple[datetime, datetime]]:
        for a, b in self.intervals_ts(to_ts(start), to_ts(end)):
            yield from_ts(a), from_ts(b)

    def closed_reason(self, ts: int) -> str:
        """Why the calendar is closed at `ts`: a holiday, a closed weekday, or outside hours."""
        local = datetime.fromtimestamp(ts, self.zone)
        name = self.holiday_name(local.date())
        if name:
            return name
        if not self.week[local.weekday()]:
            return f"closed on {DAY_NAMES[local.weekday()]}"
        return "outside opening hours"

    def describe(self) -> str:
        """A one-line summary of the opening hours, for `sla explain`."""
        if self.always_open:
            hours = "24/7"
        else:
            parts = []
            for name, spans in zip(DAY_NAMES, self.week):
                if spans:
                    parts.append(name + " " + ",".join(f"{_hhmm(a)}-{_hhmm(b)}" for a, b in spans))
            hours = "; ".join(parts)
        extra = []
        if self._once or self._yearly:
            extra.append(f"{len(self._once) + len(self._yearly)} holidays")
        if self._source is not None:
            extra.append(f"public holidays of {self._source.country}"
                         + (f"-{self._source.subdiv}" if self._source.subdiv else ""))
        return f"{hours} ({self.zone_name})" + (", " + ", ".join(extra) if extra else "")


def _hhmm(second: int) -> str:
    return f"{second // 3600:02d}:{second % 3600 // 60:02d}"


def to_ts(value: datetime) -> int:
    """An aware datetime -> whole POSIX seconds (sub-second parts are dropped)."""
    if value.tzinfo is None:
        raise ValueError("naive datetime: working-time arithmetic needs an aware instant")
    return int(value.timestamp() // 1)


def from_ts(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, timezone.utc)
