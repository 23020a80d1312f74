"""`supportctl.yml`: the desk configuration, validated strictly (a typo is an error).

The building blocks are in config/fields.py, calendars and SLA policies in
config/sla.py, reading the file in config/load.py; everything is importable
from here.
"""

from __future__ import annotations

import re
from typing import Any, Literal, Optional, Union

from pydantic import Field, PrivateAttr, field_validator, model_validator

from supportctl.config import views
from supportctl.config.automation import Rule
from supportctl.config.mail import MailConfig
from supportctl.config.fields import (CATEGORIES, DAY, DAYS, MAX_DURATION, MAX_REACH_WEEKS,  # noqa: F401
                                      check_names, check_zone, duration, one_line)
from supportctl.config.strict import Strict  # noqa: F401
from supportctl.config.sla import (CalendarConfig, ClockName, EscalationRule, HolidaySource, Policy,  # noqa: F401
                                   PolicyMatch, SlaConfig)

CONFIG_FILE = "supportctl.yml"


# ------------------------------------------------------------------- desk


class DeskConfig(Strict, views.DeskConfig):
    name: str
    timezone: str = "UTC"
    url: str | None = None             # public address of the help site
    repo_url: str | None = None        # where "improve this article" and contact links point
    support_email: str | None = None
    language: str = "en"
    # New tickets go to tickets/<first two characters of the id>/ (`supportctl shard`).
    tickets_sharded: bool = False

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        return check_zone(value)

    _line = field_validator("name", "url", "repo_url", "support_email", "language")(
        lambda cls, v: one_line(v))


class Agent(Strict, views.Agent):
    name: str | None = None
    email: str | None = None
    group: str | None = None
    role: Literal["agent", "lead", "admin"] = "agent"
    away: bool = False                 # automations assign no new tickets to an agent who is away

    _line = field_validator("name", "email", "group")(lambda cls, v: one_line(v))


class Group(Strict, views.Group):
    description: str | None = None
    escalates_from: str | None = None


class CustomField(Strict, views.CustomField):
    type: Literal["string", "integer", "number", "boolean", "date", "list"] = "string"
    description: str | None = None
    choices: list[str] | None = None


# -------------------------------------------------------------- lifecycle


class StateConfig(Strict, views.StateConfig):
    category: Literal["new", "open", "pending", "solved", "closed"]
    pauses_sla: bool = False
    label: str | None = None
    # Timed transition, e.g. solved -> closed after 4 days (Zendesk's auto-close).
    next_state: str | None = None
    after: int | None = None

    _label = field_validator("label")(lambda cls, v: one_line(v))

    _after = field_validator("after", mode="before")(lambda cls, v: None if v is None else duration(v))


class ReopenPolicy(Strict, views.ReopenPolicy):
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


class LifecycleConfig(Strict, views.LifecycleConfig):
    initial: str = "new"
    open_state: str | None = None      # where a customer reply reopens to (default: first `open` state)
    states: dict[str, StateConfig] = Field(default_factory=_default_states)
    transitions: dict[str, list[str]] = {}
    reopen: ReopenPolicy = ReopenPolicy()

    _state_names = field_validator("states")(lambda cls, v: check_names(v, "state"))

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


# --------------------------------------------------------------- KB, site


class KbCategory(Strict, views.KbCategory):
    """A category's title, order and description (overrides kb/<folder>/_category.yml)."""

    title: str | None = None
    order: int | None = Field(None, ge=-10**6, le=10**6)
    description: str | None = None
    icon: str | None = None


class KbConfig(Strict, views.KbConfig):
    stale_after_months: int = Field(12, ge=1, le=600)          # `kb check` flags published articles older than this
    categories: dict[str, KbCategory] = {}               # folder -> title/order/description
    pii_allow: list[str] = []                            # emails, domains or phone numbers allowed in public articles
    extra_fields: list[str] = []                         # more front-matter keys an article may carry
    allow_html: bool = False                             # raw HTML in article bodies (published as written)


class SiteConfig(Strict, views.SiteConfig):
    engine: Literal["mkdocs", "properdocs", "zensical"] = "mkdocs"
    offline: bool = False              # build for file:// and intranets (Material's offline plugin)
    edit_branch: str = "main"          # "improve this article" links edit kb/ on this branch of desk.repo_url
    edit_uri: str | None = None        # full edit URL prefix, e.g. https://gitlab.com/x/y/-/edit/main/kb/
    contact_url: str | None = None     # "contact support" link; {title}, {slug} and {url} are filled in
    # Where "Was this page helpful? No" sends the reader: a mail to the desk
    # (desk.support_email, else mail.address) or a new issue in desk.repo_url.
    feedback: Literal["mail", "github"] = "mail"
    # Where the "Contact support" form sends a request: a prefilled mail to the desk or a new issue
    # (the issue form .github/ISSUE_TEMPLATE/support.yml) in desk.repo_url; unset: as `feedback`.
    requests: Optional[Literal["mail", "github"]] = None


# ------------------------------------------------------------ satisfaction


class CsatConfig(Strict, views.CsatConfig):
    """How customers rate a ticket: `scale: 2` is good/bad (the default), `scale: 5` is 1-5 (4 and 5 satisfied)."""

    scale: Literal[2, 5] = 2


# ------------------------------------------------------------------- root


class GithubConfig(Strict, views.GithubConfig):
    """`import github`: whose comments are the desk's replies."""

    # GitHub logins of the team; a mapping names the agent each one is (login: agent).
    maintainers: Union[list[str], dict[str, str]] = []


class Config(Strict, views.Config):
    desk: DeskConfig
    agents: Union[list[str], dict[str, Agent]] = []
    groups: dict[str, Group] = {}
    default_group: str | None = None               # where a new ticket starts when no group is given
    customers: dict[str, list[str]] = {}           # named lists: emails or "@domain"
    customers_auto_create: bool = False            # a ticket from an unknown requester adds customers/<slug>.yml
    ticket_types: list[str] = ["question", "incident", "problem", "task"]
    custom_fields: dict[str, CustomField] = {}
    calendars: dict[str, CalendarConfig] = {"always": CalendarConfig(hours="all")}
    lifecycle: LifecycleConfig = LifecycleConfig()
    sla: SlaConfig = SlaConfig()
    kb: KbConfig = KbConfig()
    site: SiteConfig = SiteConfig()
    mail: MailConfig | None = None
    csat: CsatConfig = CsatConfig()
    automations: list[Rule] = []                   # docs/automation.md
    github: GithubConfig = GithubConfig()          # `import github` (docs/channels.md)
    # The desk's customers/ folder (supportctl/customers), attached by the session that loaded this
    # config: SLA policies and automations match on a ticket's organisation and plan through it.
    _directory: Any = PrivateAttr(default=None)

    @field_validator("agents")
    @classmethod
    def _agent_names(cls, value: Any) -> Any:
        return check_names(value, "agent")

    _group_names = field_validator("groups")(lambda cls, v: check_names(v, "group"))
    _list_names = field_validator("customers")(lambda cls, v: check_names(v, "customer list"))
    _type_names = field_validator("ticket_types")(lambda cls, v: check_names(v, "ticket type"))
    _field_names = field_validator("custom_fields")(lambda cls, v: check_names(v, "custom field"))
    _calendar_names = field_validator("calendars")(lambda cls, v: check_names(v, "calendar"))

    @model_validator(mode="after")
    def _references(self) -> Config:
        for name, group in self.groups.items():
            if group.escalates_from and group.escalates_from not in self.groups:
                raise ValueError(f"groups.{name}.escalates_from: {group.escalates_from!r} is not a group")
        if self.site.feedback == "github" and not self.desk.repo_url:
            raise ValueError("site.feedback: github needs desk.repo_url (the repository whose issues receive it)")
        if self.site.requests == "github" and not re.match(r"^https://github\.com/[^/]+/[^/]+/?$",
                                                           self.desk.repo_url or ""):
            raise ValueError("site.requests: github needs desk.repo_url to be a GitHub repository "
                             "(https://github.com/OWNER/REPO), whose issue form receives the requests")
        if self.default_group is not None and self.default_group not in self.groups:
            raise ValueError(f"default_group: {self.default_group!r} is not a group; "
                             f"groups: {', '.join(self.groups) or '(none)'}")
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
        if isinstance(self.github.maintainers, dict):
            for login, agent in self.github.maintainers.items():
                if agent not in agents:
                    raise ValueError(f"github.maintainers.{login}: {agent!r} is not an agent; "
                                     f"agents: {', '.join(agents)}")
        from supportctl.config.automation import check_references

        check_references(self)
        return self

    def _reachable(self, i: int, policy: Policy) -> None:
        """A working-time target must fall due within MAX_REACH_WEEKS of the calendar's weeks."""
        weekly = self.calendars[policy.calendar].weekly_open_seconds()
        for clock in ("first_response", "next_reply", "resolution"):
            target = policy.target(clock)
            if target and target > weekly * MAX_REACH_WEEKS:
                from supportctl.base.timeutil import format_working

                raise ValueError(f"sla.policies[{i}] ({policy.name}): {clock} {format_working(target)} of working "
                                 f"time takes more than {MAX_REACH_WEEKS // 52} years in calendar "
                                 f"{policy.calendar} (open {format_working(weekly)} a week)")


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


# load_config lives in config/load.py; importers still say `from supportctl.config.model import load_config`.


from supportctl.config.load import load_config  # noqa: E402,F401  (after Config: load.py imports it lazily)
