"""`supportctl.yml`: the desk configuration, validated strictly (a typo is an error)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from supportctl.config.mail import MailConfig
from supportctl.errors import ConfigError
from supportctl.tickets.model import CHANNELS, PRIORITIES

CONFIG_FILE = "supportctl.yml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CATEGORIES = ("new", "open", "pending", "solved", "closed")
_INTERVAL = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")
_HOLIDAY = re.compile(r"^(\d{4}-)?\d{2}-\d{2}$")


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
    return seconds


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


def check_zone(value: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Europe/Berlin)") from None
    return value


class Agent(Strict):
    name: str | None = None
    email: str | None = None
    group: str | None = None
    role: Literal["agent", "lead", "admin"] = "agent"


class Group(Strict):
    description: str | None = None
    escalates_from: str | None = None


class CustomField(Strict):
    type: Literal["string", "integer", "number", "boolean", "date", "list"] = "string"
    description: str | None = None
    choices: list[str] | None = None


# -------------------------------------------------------------- calendars


class HolidaySource(Strict):
    country: str
    subdiv: str | None = None


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

    @field_validator("holidays")
    @classmethod
    def _holidays(cls, value: list[str]) -> list[str]:
        for text in value:
            if not _HOLIDAY.match(str(text)):
                raise ValueError(f"holiday {text!r} must be YYYY-MM-DD (once) or MM-DD (every year)")
        return value


# -------------------------------------------------------------- lifecycle


class StateConfig(Strict):
    category: Literal["new", "open", "pending", "solved", "closed"]
    pauses_sla: bool = False
    label: str | None = None
    # Timed transition, e.g. solved -> closed after 4 days (Zendesk's auto-close).
    next_state: str | None = None
    after: int | None = None

    _after = field_validator("after", mode="before")(lambda cls, v: None if v is None else _duration(v))


class ReopenPolicy(Strict):
    """What a customer message on a closed ticket does."""

    closed: Literal["reopen", "new_ticket"] = "new_ticket"
    within_days: int | None = None     # reopen when closed fewer days ago, else new_ticket


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

    @field_validator("warn_before", mode="before")
    @classmethod
    def _warn(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            pct = float(value.strip()[:-1])
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
    order: int | None = None
    description: str | None = None
    icon: str | None = None


class KbConfig(Strict):
    stale_after_months: int = Field(12, ge=1)           # `kb check` flags published articles older than this
    categories: dict[str, KbCategory] = {}               # folder -> title/order/description
    pii_allow: list[str] = []                            # emails, domains or phone numbers allowed in public articles
    extra_fields: list[str] = []                         # more front-matter keys an article may carry
    allow_html: bool = False                             # raw HTML in article bodies (published as written)


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
    mail: MailConfig | None = None

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


def load_config(path: Path) -> Config:
    """Read and validate supportctl.yml; errors name the file, the line and the key."""
    import yaml

    from supportctl.base.yamlio import Ambiguous, load_with_lines, yaml_error_line

    rel = path.name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{rel} not found", path=str(path), hint="run `supportctl init`") from None
    try:
        data, lines = load_with_lines(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=rel, line=yaml_error_line(exc),
                          hint="check indentation and quote values that contain ': ' or '#'") from None
    if not isinstance(data, dict):
        raise ConfigError("the file must be a mapping with at least `desk: {name: ...}`", path=rel, line=1,
                          hint="run `supportctl init` in an empty folder to see a complete example")
    ambiguous = _find_ambiguous(data, ())
    if ambiguous:
        where, value = ambiguous
        raise ConfigError(f"{'.'.join(map(str, where))}: ambiguous value {value.text}", path=rel,
                          line=lines.get(where), hint=value.hint())
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        line = _nearest_line(lines, loc)
        key = ".".join(str(p) for p in loc)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            msg, hint = f"unknown key {key!r}", "check the spelling; see docs/configuration.md for the keys"
        else:
            hint = "see docs/configuration.md"
            msg = f"{key}: {msg}" if key else msg
        more = len(exc.errors()) - 1
        if more:
            hint += f" ({more} more problem{'s' if more > 1 else ''} after this one)"
        raise ConfigError(msg, path=rel, line=line, hint=hint) from None


def _find_ambiguous(value: Any, path: tuple) -> tuple[tuple, Any] | None:
    from supportctl.base.yamlio import Ambiguous

    if isinstance(value, Ambiguous):
        return path, value
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, Ambiguous):   # e.g. a bare `on:` key, which YAML 1.1 reads as true
            return path + (key.text,), key
        found = _find_ambiguous(item, path + (key,))
        if found:
            return found
    return None


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that is in the file (pydantic adds union tags)."""
    parts = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("list[str]",)))]
    while parts:
        line = lines.get(tuple(parts))
        if line:
            return line
        parts.pop()
    return 1
