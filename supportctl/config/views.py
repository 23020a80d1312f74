"""The validated config as plain frozen objects: what commands read, without importing pydantic.

Each pydantic model in config/ (model.py, sla.py, automation.py, mail.py)
inherits its methods from the class of the same name here, and a validated
model is turned into these classes (`to_view`) once, so a read command served
from the cache (config/load.py) behaves exactly like one that validated: the
same attributes, the same methods. Importing pydantic and building the models
costs more than the whole of `ticket show` otherwise does.
"""

from __future__ import annotations

from typing import Any

from supportctl.config.fields import DAY, INTERVAL_RE


class View:
    """A validated config section: its fields as attributes, frozen like the model it came from."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)

    def __setattr__(self, name: str, value: Any) -> None:
        if not name.startswith("_"):   # private state (Config's directory) may be attached later
            raise AttributeError(f"{type(self).__name__} is frozen: {name} cannot be set")
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and _public(self) == _public(other)

    __hash__ = None   # type: ignore[assignment]   # like the models: their lists are not hashable

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in _public(self).items())})"

    def model_dump(self, *, exclude_none: bool = False) -> dict[str, Any]:
        """The fields as plain data, as pydantic's model_dump gives them."""
        return {k: _dump(v, exclude_none) for k, v in _public(self).items() if not (exclude_none and v is None)}

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Any:
        """A copy with some fields replaced (not validated, as with pydantic)."""
        copy = object.__new__(type(self))
        copy.__dict__.update(self.__dict__, **(update or {}))
        return copy


def _public(view: View) -> dict[str, Any]:
    return {k: v for k, v in view.__dict__.items() if not k.startswith("_")}


def _dump(value: Any, exclude_none: bool) -> Any:
    if isinstance(value, View):
        return value.model_dump(exclude_none=exclude_none)
    if isinstance(value, dict):
        return {k: _dump(v, exclude_none) for k, v in value.items()}
    if isinstance(value, list):
        return [_dump(v, exclude_none) for v in value]
    return value


# ------------------------------------------------------------ model.py


class DeskConfig(View):
    pass


class Agent(View):
    pass


def default_agent() -> Agent:
    """An agent listed by handle only (`agents: [alice, bob]`): the defaults of config.model.Agent."""
    return Agent(name=None, email=None, group=None, role="agent", away=False)


class Group(View):
    pass


class CustomField(View):
    pass


class StateConfig(View):
    pass


class ReopenPolicy(View):
    pass


class LifecycleConfig(View):
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


class KbCategory(View):
    pass


class KbConfig(View):
    pass


class SiteConfig(View):
    pass


class CsatConfig(View):
    pass


class GithubConfig(View):
    def maintainer_map(self, agents: dict[str, Any]) -> dict[str, str]:
        """{login (lower-case): the record author}: the agent handle when one is named or the login is one."""
        if isinstance(self.maintainers, dict):
            return {login.lower(): agent for login, agent in self.maintainers.items()}
        return {login.lower(): login if login in agents else login for login in self.maintainers}


class Config(View):
    def attach_directory(self, directory: Any) -> None:
        """The directory, or a function that loads it: read only when a rule or policy first asks."""
        self._directory = directory

    def customer_of(self, meta: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        """(customer, organisation, plan) of a ticket: its own keys, else who its requester is."""
        if callable(self._directory):
            self._directory = self._directory()
        if self._directory is not None:
            return self._directory.resolve(meta)
        customer, org = meta.get("customer"), meta.get("organization")
        return (str(customer) if customer else None, str(org) if org else None, None)

    def agent_map(self) -> dict[str, Agent]:
        if isinstance(self.agents, list):
            return {name: default_agent() for name in self.agents}
        return dict(self.agents)

    def agent_email(self, name: str) -> str | None:
        agent = self.agent_map().get(name)
        return agent.email if agent else None

    def calendar_zone(self, calendar: str) -> str:
        return self.calendars[calendar].timezone or self.desk.timezone


# -------------------------------------------------------------- sla.py


class HolidaySource(View):
    pass


class CalendarConfig(View):
    def weekly_open_seconds(self) -> int:
        """Opening time in a week without holidays (all: 7 days)."""
        if self.hours == "all":
            return 7 * DAY
        total = 0
        for intervals in self.hours.values():
            for text in intervals:
                h1, m1, h2, m2 = map(int, INTERVAL_RE.match(text).groups())
                total += (h2 * 60 + m2 - h1 * 60 - m1) * 60
        return total


class PolicyMatch(View):
    pass


class EscalationRule(View):
    pass


class Policy(View):
    def target(self, clock: str) -> int | None:
        return getattr(self, clock)

    def warn_seconds(self, clock: str) -> int:
        """How long before the deadline a running clock turns to `warning`."""
        target = self.target(clock) or 0
        if isinstance(self.warn_before, str):
            return int(round(target * float(self.warn_before[:-1]) / 100))
        return self.warn_before


class SlaConfig(View):
    pass


# ------------------------------------------------------- automation.py


class TimeTrigger(View):
    @property
    def anchor(self) -> str:
        return self.since or "status"


class Conditions(View):
    pass


class TagChanges(View):
    pass


class Assign(View):
    @property
    def group(self) -> str:
        return self.round_robin or self.least_loaded or ""

    @property
    def how(self) -> str:
        return "round_robin" if self.round_robin else "least_loaded"


class FieldChanges(View):
    def empty(self) -> bool:
        return (self.status is None and self.priority is None and self.type is None and self.group is None
                and self.assignee is None and not self.tags.add and not self.tags.remove)


class Actions(View):
    def fields(self) -> FieldChanges:
        return FieldChanges(status=self.status, priority=self.priority, type=self.type, group=self.group,
                            assignee=self.assign if isinstance(self.assign, str) else None, tags=self.tags)


class Rule(View):
    @property
    def is_event(self) -> bool:
        return isinstance(self.when, str)


# ------------------------------------------------------------- mail.py


class ImapConfig(View):
    pass


class SmtpConfig(View):
    pass


class MailConfig(View):
    @property
    def domain(self) -> str:
        return self.address.rsplit("@", 1)[1]


# -------------------------------------------------- models into views


def to_view(value: Any) -> Any:
    """A validated model (and everything in it) as the classes above; plain data as it is."""
    fields = getattr(value, "__pydantic_fields__", None)
    if fields is not None:
        cls = next((c for c in type(value).__mro__ if c.__module__ == __name__ and c is not View), None)
        if cls is None:
            raise TypeError(f"{type(value).__name__} has no view in config/views.py")
        view = object.__new__(cls)
        view.__dict__.update({name: to_view(getattr(value, name)) for name in fields})
        if cls is Config:
            view.__dict__["_directory"] = None
        return view
    if isinstance(value, dict):
        return {k: to_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_view(v) for v in value]
    return value


def encode(value: Any) -> Any:
    """Views as tagged tuples of plain data, for marshal (config/load.py's cache); TypeError for anything else."""
    if isinstance(value, View):
        return ("view", type(value).__name__, {k: encode(v) for k, v in _public(value).items()})
    if isinstance(value, dict):
        return {k: encode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if value is None or type(value) in (str, int, float, bool):
        return value
    if type(value).__name__ == "datetime":
        return ("datetime", value.isoformat())
    raise TypeError(f"cannot cache a {type(value).__name__}")


def decode(value: Any) -> Any:
    """The inverse of `encode`."""
    if isinstance(value, tuple):
        if value[0] == "view":
            cls = globals().get(value[1])
            if not (isinstance(cls, type) and issubclass(cls, View)):
                raise ValueError(f"no view called {value[1]!r}")
            view = object.__new__(cls)
            view.__dict__.update({k: decode(v) for k, v in value[2].items()})
            if cls is Config:
                view.__dict__["_directory"] = None
            return view
        from datetime import datetime

        return datetime.fromisoformat(value[1])
    if isinstance(value, dict):
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value
