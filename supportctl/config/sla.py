"""Calendars and SLA policies in `supportctl.yml`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal, Union

from pydantic import Field, field_validator

from supportctl.config import views
from supportctl.config.fields import (DAYS, HOLIDAY_RE, INTERVAL_RE, YEARS, check_zone, duration, one_line,
                                      shorten, template_name_problem)
from supportctl.config.strict import Strict

# -------------------------------------------------------------- calendars


class HolidaySource(Strict, views.HolidaySource):
    country: str = Field(pattern=r"^[A-Z]{2,3}$")               # ISO 3166 code, e.g. IE
    subdiv: str | None = Field(None, pattern=r"^[A-Za-z0-9 _-]{1,40}$")


class CalendarConfig(Strict, views.CalendarConfig):
    timezone: str | None = None        # default: the desk's time zone
    hours: Union[Literal["all"], dict[str, list[str]]] = "all"
    holidays: list[str] = []
    holidays_from: HolidaySource | None = None

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str | None) -> str | None:
        return None if value is None else check_zone(value)

    @field_validator("hours")
    @classmethod
    def _hours(cls, value: Any) -> Any:
        if value == "all":
            return value
        for day, intervals in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}; days are {', '.join(DAYS)}")
            for text in intervals:
                m = INTERVAL_RE.match(str(text))
                if not m:
                    raise ValueError(f"{day}: {text!r} is not an interval like \"08:00-18:00\"")
                h1, m1, h2, m2 = map(int, m.groups())
                start, end = h1 * 60 + m1, h2 * 60 + m2
                if h1 > 24 or h2 > 24 or m1 > 59 or m2 > 59 or end > 24 * 60 or start >= end:
                    raise ValueError(f"{day}: {text!r} must start before it ends, within 00:00-24:00")
        if not any(value.values()):
            raise ValueError("the calendar has no opening hours at all; list at least one interval")
        return value

    @field_validator("holidays", mode="before")
    @classmethod
    def _dates(cls, value: Any) -> Any:
        """An unquoted 2026-12-25 is a YAML date: accept it as the text it was."""
        if isinstance(value, list):
            return [v.isoformat() if isinstance(v, date) and not isinstance(v, datetime) else v for v in value]
        return value

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        for text in value:
            m = HOLIDAY_RE.match(text)
            if not m:
                raise ValueError(f"holiday {shorten(text)!r} must be YYYY-MM-DD (once) or MM-DD (every year)")
            year = int(m.group(1)) if m.group(1) else 2000   # a leap year: 02-29 is a valid yearly holiday
            if not YEARS[0] <= year <= YEARS[1]:
                raise ValueError(f"holiday {text!r}: the year must be between {YEARS[0]} and {YEARS[1]}")
            try:
                date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(f"holiday {text!r} is not a date in the calendar") from None
        return value


# -------------------------------------------------------------------- SLA


ClockName = Literal["first_response", "next_reply", "resolution"]


class PolicyMatch(Strict, views.PolicyMatch):
    """Conditions, all of which must hold; a list means any of its values."""

    priority: Union[str, list[str], None] = None
    type: Union[str, list[str], None] = None
    group: Union[str, list[str], None] = None
    channel: Union[str, list[str], None] = None
    tags: Union[str, list[str], None] = None        # the ticket has any of these tags
    requester: Union[str, list[str], None] = None   # email, "@domain", or "customers:LIST"
    organization: Union[str, list[str], None] = None  # the requester's organisation (customers/orgs/<slug>.yml)
    plan: Union[str, list[str], None] = None          # the customer's plan, else their organisation's


class EscalationRule(Strict, views.EscalationRule):
    """What to do when a clock reaches warning or breach."""

    clock: Union[ClockName, Literal["any"]] = "any"
    when: Literal["warning", "breached"] = "breached"
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    group: str | None = None
    assignee: str | None = None
    tag: str | None = None
    note: str | None = None            # name of a template in templates/ for an internal note

    @field_validator("note")
    @classmethod
    def _template(cls, value: str | None) -> str | None:
        if value is not None:
            problem = template_name_problem(value)
            if problem:
                raise ValueError(problem)
        return value


class Policy(Strict, views.Policy):
    name: str
    match: PolicyMatch = PolicyMatch()
    calendar: str
    first_response: int | None = None
    next_reply: int | None = None
    resolution: int | None = None
    warn_before: Union[int, str] = "20%"
    escalate: list[EscalationRule] = []

    _durations = field_validator("first_response", "next_reply", "resolution", mode="before")(
        lambda cls, v: None if v is None else duration(v))

    _name = field_validator("name")(lambda cls, v: one_line(v))

    @field_validator("warn_before", mode="before")
    @classmethod
    def _warn(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                pct = float(value.strip()[:-1])
            except ValueError:
                raise ValueError(f"{shorten(value)!r} is not a percentage like 20%") from None
            if not 0 < pct < 100:
                raise ValueError("a percentage must be between 0% and 100%")
            return value.strip()
        return duration(value)


class SlaConfig(Strict, views.SlaConfig):
    policies: list[Policy] = []
