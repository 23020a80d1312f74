"""`supportctl.yml`: the desk configuration, validated strictly (a typo is an error)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CONFIG_FILE = "supportctl.yml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CATEGORIES = ("new", "open", "pending", "solved", "closed")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_HOLIDAY = re.compile(r"^(?:(\d{4})-)?(\d{2})-(\d{2})$")
# Names that end up in ticket records, front matter, commit messages and file
# paths: one token, so none of them can forge a record line or a YAML key.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")

# Bounds that keep every later computation over dates finite and quick: a
# target longer than two years is a typo, and no calendar may need more than
# five years of weeks to reach one. Holiday years stay where calendars make sense.
DAY = 86400
MAX_DURATION = 2 * 365 * DAY
MAX_REACH_WEEKS = 5 * 52
YEARS = (1900, 2200)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _duration(value: Any) -> int:
    from supportctl.errors import SupportctlError
    from supportctl.base.timeutil import parse_duration

    try:
        seconds = parse_duration(value)
    except SupportctlError as exc:  # pydantic reports ValueErrors with the key's location
        raise ValueError(f"{exc.message}; {exc.hint}") from None
    if seconds <= 0:
        raise ValueError("must be longer than zero")
    if seconds > MAX_DURATION:
        raise ValueError(f"{_show(value)} is longer than {MAX_DURATION // DAY} days, the longest duration allowed")
    return seconds


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 24 else text[:20] + "..."


def _names(value: Any, what: str) -> Any:
    """Check the keys (or items) that are names: one token of letters, digits, `.`, `_`, `-`."""
    for name in value:
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"{what} {_show(name)!r} is not a name: use letters, digits, '.', '_' or '-' "
                             "(at most 64, no spaces)")
    return value


def _one_line(value: str | None) -> str | None:
    if value is not None and any(ord(c) < 32 or c in "\x7f\u2028\u2029" for c in value):
        raise ValueError(f"{_show(value)!r} must be one line of text without control characters")
    return value


# ------------------------------------------------------------------- desk


class DeskConfig(Strict):
    name: str
    timezone: str = "UTC"
    url: str | None = None             # public address of the help site
    repo_url: str | None = None        # where "improve this article" and contact links point
    support_email: str | None = None
    language: str = "en"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    _line = field_validator("name", "url", "repo_url", "support_email", "language")(
        lambda cls, v: _one_line(v))


def template_name_problem(name: str) -> str | None:
    """Why `name` cannot name a file inside templates/, or None (the one rule for every template name)."""
    parts = name.replace("\\", "/").split("/")
    if not name or name.startswith(("/", "~")) or re.match(r"^[A-Za-z]:", name):
        return f"template name {_show(name)!r} must be a path inside templates/, like replies/solved"
    if any(part in ("", ".", "..") for part in parts) or any(ord(c) < 32 for c in name):
        return f"template name {_show(name)!r} may not contain '..', '.', empty parts or control characters"
    return None


def check_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):   # OSError: a name too long for a path
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


class Agent(Strict):
    name: str | None = None
    email: str | None = None
    group: str | None = None
    role: Literal["agent", "lead", "admin"] = "agent"

    _line = field_validator("name", "email", "group")(lambda cls, v: _one_line(v))


class Group(Strict):
    description: str | None = None
    escalates_from: str | None = None


class CustomField(Strict):
    type: Literal["string", "integer", "number", "boolean", "date", "list"] = "string"
    description: str | None = None
    choices: list[str] | None = None


# -------------------------------------------------------------- calendars


class HolidaySource(Strict):
    country: str = Field(pattern=r"^[A-Z]{2,3}$")               # ISO 3166 code, e.g. IE
    subdiv: str | None = Field(None, pattern=r"^[A-Za-z0-9-]{1,10}$")


class CalendarConfig(Strict):
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
                m = _INTERVAL.match(str(text))
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
            m = _HOLIDAY.match(text)
            if not m:
                raise ValueError(f"holiday {_show(text)!r} must be YYYY-MM-DD (once) or MM-DD (every year)")
            year = int(m.group(1)) if m.group(1) else 2000   # a leap year: 02-29 is a valid yearly holiday
            if not YEARS[0] <= year <= YEARS[1]:
                raise ValueError(f"holiday {text!r}: the year must be between {YEARS[0]} and {YEARS[1]}")
            try:
                date(year, int(m.group(2)), int(m.group(3)))
            except ValueError:
                raise ValueError(f"holiday {text!r} is not a date in the calendar") from None
        return value

    def weekly_open_seconds(self) -> int:
        """Opening time in a week without holidays (all: 7 days)."""
        if self.hours == "all":
            return 7 * DAY
        total = 0
        for intervals in self.hours.values():
            for text in intervals:
                h1, m1, h2, m2 = map(int, _INTERVAL.match(text).groups())
                total += (h2 * 60 + m2 - h1 * 60 - m1) * 60
        return total


# -------------------------------------------------------------- lifecycle


class StateConfig(Strict):
    category: Literal["new", "open", "pending", "solved", "closed"]
    pauses_sla: bool = False
    label: str | None = None
    # Timed transition, e.g. solved -> closed after 4 days (Zendesk's auto-close).
    next_state: str | None = None
    after: int | None = None

    _label = field_validator("label")(lambda cls, v: _one_line(v))

    _after = field_validator("after", mode="before")(lambda cls, v: None if v is None else _duration(v))


class ReopenPolicy(Strict):
    """What a customer message on a closed ticket does."""

    closed: Literal["reopen", "new_ticket"] = "new_ticket"
    within_days: int | None = Field(None, ge=0, le=MAX_DURATION // DAY)   # reopen when closed fewer days ago


def _default_states() -> dict[str, StateConfig]:
    return {
        "new": StateConfig(category="new"),
        "open": StateConfig(category="open"),
        "pending": StateConfig(category="pending", pauses_sla=True),
        "solved": StateConfig(category="solved", pauses_sla=True),
        "closed": StateConfig(category="closed", pauses_sla=True),
    }


class LifecycleConfig(Strict):
    initial: str = "new"
    open_state: str | None = None      # where a customer reply reopens to (default: first `open` state)
    states: dict[str, StateConfig] = Field(default_factory=_default_states)
    transitions: dict[str, list[str]] = {}
    reopen: ReopenPolicy = ReopenPolicy()

    _state_names = field_validator("states")(lambda cls, v: _names(v, "state"))

    @model_validator(mode="after")
    def _consistent(self) -> LifecycleConfig:
        names = set(self.states)
        if self.initial not in names:
            raise ValueError(f"initial state {self.initial!r} is not one of the states: {', '.join(self.states)}")
        if self.open_state is not None and self.open_state not in names:
            raise ValueError(f"open_state {self.open_state!r} is not one of the states")
        if self.open_state is None and not any(s.category == "open" for s in self.states.values()):
            raise ValueError("no state has category open; customer replies need one to reopen tickets")
        for source, targets in self.transitions.items():
            if source not in names:
                raise ValueError(f"transitions: {source!r} is not a state")
            for target in targets:
                if target not in names:
                    raise ValueError(f"transitions: {source} -> {target!r}: not a state")
        for name, state in self.states.items():
            if state.next_state is not None and state.next_state not in names:
                raise ValueError(f"states.{name}.next_state {state.next_state!r} is not a state")
            if (state.next_state is None) != (state.after is None):
                raise ValueError(f"states.{name}: next_state and after go together")
            if state.next_state is not None and state.next_state not in self.allowed(name):
                raise ValueError(f"states.{name}.next_state {state.next_state!r} is not an allowed "
                                 f"transition from {name} (see transitions)")
        return self

    def reopen_state(self) -> str:
        if self.open_state:
            return self.open_state
        return next(name for name, s in self.states.items() if s.category == "open")

    def category(self, state: str) -> str | None:
        s = self.states.get(state)
        return s.category if s else None

    def pauses(self, state: str) -> bool:
        s = self.states.get(state)
        return bool(s and s.pauses_sla)

    def allowed(self, source: str) -> list[str]:
        """States a ticket in `source` may move to (omitted in transitions = any other state)."""
        if source in self.transitions:
            return list(self.transitions[source])
        return [name for name in self.states if name != source]


# -------------------------------------------------------------------- SLA


ClockName = Literal["first_response", "next_reply", "resolution"]


class PolicyMatch(Strict):
    """Conditions, all of which must hold; a list means any of its values."""

    priority: Union[str, list[str], None] = None
    type: Union[str, list[str], None] = None
    group: Union[str, list[str], None] = None
    channel: Union[str, list[str], None] = None
    tags: Union[str, list[str], None] = None        # the ticket has any of these tags
    requester: Union[str, list[str], None] = None   # email, "@domain", or "customers:LIST"


class EscalationRule(Strict):
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


class Policy(Strict):
    name: str
    match: PolicyMatch = PolicyMatch()
    calendar: str
    first_response: int | None = None
    next_reply: int | None = None
    resolution: int | None = None
    warn_before: Union[int, str] = "20%"
    escalate: list[EscalationRule] = []

    _durations = field_validator("first_response", "next_reply", "resolution", mode="before")(
        lambda cls, v: None if v is None else _duration(v))

    _name = field_validator("name")(lambda cls, v: _one_line(v))

    @field_validator("warn_before", mode="before")
    @classmethod
    def _warn(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            try:
                pct = float(value.strip()[:-1])
            except ValueError:
                raise ValueError(f"{_show(value)!r} is not a percentage like 20%") from None
            if not 0 < pct < 100:
                raise ValueError("a percentage must be between 0% and 100%")
            return value.strip()
        return _duration(value)

    def target(self, clock: str) -> int | None:
        return getattr(self, clock)

    def warn_seconds(self, clock: str) -> int:
        """How long before the deadline a running clock turns to `warning`."""
        target = self.target(clock) or 0
        if isinstance(self.warn_before, str):
            return int(round(target * float(self.warn_before[:-1]) / 100))
        return self.warn_before


class SlaConfig(Strict):
    policies: list[Policy] = []


# --------------------------------------------------------------- KB, site


class KbCategory(Strict):
    """A category's title, order and description (overrides kb/<folder>/_category.yml)."""

    title: str | None = None
    order: int | None = Field(None, ge=-10**6, le=10**6)
    description: str | None = None
    icon: str | None = None


class KbConfig(Strict):
    stale_after_months: int = Field(12, ge=1, le=600)          # `kb check` flags published articles older than this
    categories: dict[str, KbCategory] = {}               # folder -> title/order/description
    pii_allow: list[str] = []                            # emails, domains or phone numbers allowed in public articles
    extra_fields: list[str] = []                         # more front-matter keys an article may carry


class SiteConfig(Strict):
    engine: Literal["mkdocs", "properdocs", "zensical"] = "mkdocs"
    offline: bool = False              # build for file:// and intranets (Material's offline plugin)
    edit_branch: str = "main"          # "improve this article" links edit kb/ on this branch of desk.repo_url
    edit_uri: str | None = None        # full edit URL prefix, e.g. https://gitlab.com/x/y/-/edit/main/kb/
    contact_url: str | None = None     # "contact support" link; {title} and {url} are filled in


# ------------------------------------------------------------------- root


class Config(Strict):
    desk: DeskConfig
    agents: Union[list[str], dict[str, Agent]] = []
    groups: dict[str, Group] = {}
    customers: dict[str, list[str]] = {}           # named lists: emails or "@domain"
    ticket_types: list[str] = ["question", "incident", "problem", "task"]
    custom_fields: dict[str, CustomField] = {}
    calendars: dict[str, CalendarConfig] = {"always": CalendarConfig(hours="all")}
    lifecycle: LifecycleConfig = LifecycleConfig()
    sla: SlaConfig = SlaConfig()
    kb: KbConfig = KbConfig()
    site: SiteConfig = SiteConfig()

    @field_validator("agents")
    @classmethod
    def _agent_names(cls, value: Any) -> Any:
        return _names(value, "agent")

    _group_names = field_validator("groups")(lambda cls, v: _names(v, "group"))
    _list_names = field_validator("customers")(lambda cls, v: _names(v, "customer list"))
    _type_names = field_validator("ticket_types")(lambda cls, v: _names(v, "ticket type"))
    _field_names = field_validator("custom_fields")(lambda cls, v: _names(v, "custom field"))
    _calendar_names = field_validator("calendars")(lambda cls, v: _names(v, "calendar"))

    @model_validator(mode="after")
    def _references(self) -> Config:
        for name, group in self.groups.items():
            if group.escalates_from and group.escalates_from not in self.groups:
                raise ValueError(f"groups.{name}.escalates_from: {group.escalates_from!r} is not a group")
        agents = self.agent_map()
        for name, agent in agents.items():
            if agent.group and agent.group not in self.groups:
                raise ValueError(f"agents.{name}.group: {agent.group!r} is not a group")
        for i, policy in enumerate(self.sla.policies):
            if policy.calendar not in self.calendars:
                raise ValueError(f"sla.policies[{i}] ({policy.name}): calendar {policy.calendar!r} is not "
                                 f"defined; calendars: {', '.join(self.calendars)}")
            self._reachable(i, policy)
            for rule in policy.escalate:
                if rule.group and rule.group not in self.groups:
                    raise ValueError(f"sla.policies[{i}] ({policy.name}): escalation group {rule.group!r} "
                                     "is not a group")
                if rule.assignee and rule.assignee not in agents:
                    raise ValueError(f"sla.policies[{i}] ({policy.name}): escalation assignee "
                                     f"{rule.assignee!r} is not an agent")
            for value in _as_list(policy.match.requester):
                if value.startswith("customers:") and value[10:] not in self.customers:
                    raise ValueError(f"sla.policies[{i}] ({policy.name}): customer list {value[10:]!r} "
                                     "is not defined under customers")
        return self

    def _reachable(self, i: int, policy: Policy) -> None:
        """A working-time target must fall due within MAX_REACH_WEEKS of the calendar's weeks."""
        weekly = self.calendars[policy.calendar].weekly_open_seconds()
        for clock in ("first_response", "next_reply", "resolution"):
            target = policy.target(clock)
            if target and target > weekly * MAX_REACH_WEEKS:
                from supportctl.base.timeutil import format_duration

                raise ValueError(f"sla.policies[{i}] ({policy.name}): {clock} {format_duration(target)} of working "
                                 f"time takes more than {MAX_REACH_WEEKS // 52} years in calendar "
                                 f"{policy.calendar} (open {format_duration(weekly)} a week)")

    def agent_map(self) -> dict[str, Agent]:
        if isinstance(self.agents, list):
            return {name: Agent() for name in self.agents}
        return dict(self.agents)

    def agent_email(self, name: str) -> str | None:
        agent = self.agent_map().get(name)
        return agent.email if agent else None

    def calendar_zone(self, calendar: str) -> str:
        return self.calendars[calendar].timezone or self.desk.timezone


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# load_config lives in config/load.py; importers still say `from supportctl.config.model import load_config`.
from supportctl.config.load import load_config  # noqa: E402,F401  (after Config: load.py imports it lazily)
