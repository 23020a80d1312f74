"""`automations:` in supportctl.yml: rules with `when`, `if` and `do` (docs/automation.md), and macro `set:` blocks."""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Discriminator, Field, Tag, field_validator, model_validator

from supportctl.config import views
from supportctl.config.fields import (CATEGORIES, NAME_RE, as_list, duration, one_line,  # noqa: F401  (as_list: importers)
                                      template_name_problem)
from supportctl.config.strict import Strict

EVENTS = ("created", "customer_message", "agent_reply", "status_changed")
SINCE = ("status", "created", "customer_message", "agent_message")
PRIORITY_NAMES = ("low", "normal", "high", "urgent")
CHANNEL_NAMES = ("email", "web", "chat", "phone", "social", "github", "api", "other")


def _known(value: Any, names: tuple[str, ...], what: str, plural: str) -> Any:
    """A condition's value (one or a list) when every item is one of `names`."""
    for item in as_list(value):
        if item not in names:
            raise ValueError(f"unknown {what} {item!r}; {plural}: {', '.join(names)}")
    return value

OneOrMany = Union[str, list[str]]


def _template(value: str | None) -> str | None:
    if value is not None:
        problem = template_name_problem(value)
        if problem:
            raise ValueError(problem)
    return value


class TimeTrigger(Strict, views.TimeTrigger):
    """A time rule's `when`: a duration after an anchor (entering a state, creation, a message), or before an SLA deadline."""

    status: str | None = None         # while the ticket is in this state; the anchor is entering it
    since: Literal["status", "created", "customer_message", "agent_message"] | None = None
    after: int | None = None          # seconds from the anchor
    time: Literal["calendar", "business"] = "calendar"
    calendar: str | None = None       # business time in this calendar (default: the ticket's SLA policy calendar)
    sla: Literal["first_response", "next_reply", "resolution", "any"] | None = None
    before: int | None = None         # seconds before that clock's deadline

    _durations = field_validator("after", "before", mode="before")(
        lambda cls, v: None if v is None else duration(v))

    @model_validator(mode="after")
    def _shape(self) -> TimeTrigger:
        if self.sla is not None:
            if self.before is None:
                raise ValueError("an `sla` trigger needs `before` (e.g. before: 1h)")
            if self.after is not None or self.since is not None:
                raise ValueError("an `sla` trigger takes `before`, not `after` or `since`")
            return self
        if self.before is not None:
            raise ValueError("`before` goes with `sla: CLOCK`")
        if self.after is None:
            raise ValueError("a time trigger needs `after` (e.g. after: 3d), or `sla` and `before`")
        if self.since is None and self.status is None:
            raise ValueError("say what the time counts from: `status: STATE` or `since: " + "|".join(SINCE) + "`")
        if self.calendar is not None and self.time != "business":
            raise ValueError("`calendar` goes with `time: business`")
        return self


class Conditions(Strict, views.Conditions):
    """A rule's `if`: every condition listed must hold; a list of values means any of them."""

    channel: OneOrMany | None = None
    priority: OneOrMany | None = None
    type: OneOrMany | None = None
    status: OneOrMany | None = None
    category: OneOrMany | None = None
    group: OneOrMany | None = None           # "none": no group
    assignee: OneOrMany | None = None        # "none": unassigned
    tags: OneOrMany | None = None            # every one of these tags
    tags_any: OneOrMany | None = None        # at least one of these tags
    not_tags: OneOrMany | None = None        # none of these tags
    requester: OneOrMany | None = None       # an address, "@domain" or "customers:LIST"
    not_requester: OneOrMany | None = None
    organization: OneOrMany | None = None    # the requester's organisation slug ("none": no organisation)
    plan: OneOrMany | None = None            # the customer's plan, else the organisation's ("none": no plan)
    text: OneOrMany | None = None            # a word or phrase in the title or the message
    subject: OneOrMany | None = None         # a word or phrase in the title
    fields: dict[str, OneOrMany] = {}        # custom fields: name -> value(s)

    _priority = field_validator("priority")(lambda cls, v: _known(v, PRIORITY_NAMES, "priority", "priorities"))
    _channel = field_validator("channel")(lambda cls, v: _known(v, CHANNEL_NAMES, "channel", "channels"))
    _category = field_validator("category")(lambda cls, v: _known(v, CATEGORIES, "category", "categories"))

    @field_validator("text", "subject")
    @classmethod
    def _words(cls, value: Any) -> Any:
        for item in as_list(value):
            if not item.strip():
                raise ValueError("an empty word matches everything; remove it")
        return value


class TagChanges(Strict, views.TagChanges):
    add: list[str] = []
    remove: list[str] = []

    @field_validator("add", "remove")
    @classmethod
    def _names(cls, value: list[str]) -> list[str]:
        out = []
        for tag in value:
            tag = str(tag).strip().lower()
            if not NAME_RE.match(tag):
                raise ValueError(f"tag {tag!r} must be one word (letters, digits, . _ -)")
            out.append(tag)
        return out


class Assign(Strict, views.Assign):
    """`assign: {round_robin: GROUP}` or `{least_loaded: GROUP}`; a plain `assign: AGENT` names one agent."""

    round_robin: str | None = None
    least_loaded: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Assign:
        if (self.round_robin is None) == (self.least_loaded is None):
            raise ValueError("give one of round_robin: GROUP or least_loaded: GROUP")
        return self


class FieldChanges(Strict, views.FieldChanges):
    """What a macro's `set:` block or a rule's `do:` changes on the ticket."""

    status: str | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: str | None = None
    group: str | None = None
    assignee: str | None = None
    tags: TagChanges = TagChanges()


class Actions(Strict, views.Actions):
    """A rule's `do`; applied in this order: fields, assignment, tags, note, reply, status."""

    status: str | None = None
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    type: str | None = None
    group: str | None = None
    assign: Union[str, Assign, None] = None
    tags: TagChanges = TagChanges()
    note: str | None = None           # an internal note from this template
    reply: str | None = None          # a customer-facing message from this template (mailed, marked automatic)

    _templates = field_validator("note", "reply")(lambda cls, v: _template(v))

    @model_validator(mode="after")
    def _something(self) -> Actions:
        if (self.status is None and self.priority is None and self.type is None and self.group is None
                and self.assign is None and not self.tags.add and not self.tags.remove and self.note is None
                and self.reply is None):
            raise ValueError("the rule does nothing; give at least one action")
        return self


class Rule(Strict, views.Rule):
    """One automation: `name`, `when` (an event or a time trigger), `if` (conditions), `do` (actions)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    name: str
    # A string is an event, a mapping a time trigger: the discriminator makes a mistake in either
    # report that mistake, not "neither an event nor a trigger".
    when: Annotated[Union[Annotated[Literal["created", "customer_message", "agent_reply", "status_changed"],
                                    Tag("event")],
                          Annotated[TimeTrigger, Tag("time")]],
                    Discriminator(lambda v: "event" if isinstance(v, str) else "time")]
    if_: Conditions = Field(Conditions(), alias="if")
    do: Actions
    enabled: bool = True
    description: str | None = None

    _desc = field_validator("description")(lambda cls, v: one_line(v))

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not NAME_RE.match(value):
            raise ValueError(f"rule name {value[:40]!r} must be one word (letters, digits, . _ -), e.g. bump-pending")
        return value

    @model_validator(mode="before")
    @classmethod
    def _event_text(cls, data: Any) -> Any:
        # A typo in an event name reads better as "unknown event" than as a union mismatch.
        if isinstance(data, dict) and isinstance(data.get("when"), str) and data["when"] not in EVENTS:
            raise ValueError(f"when: unknown event {data['when']!r}; events: {', '.join(EVENTS)}, "
                             "or a time trigger such as {status: pending, after: 3d}")
        return data


def check_references(config: Any) -> None:
    """Every state, group, agent, type, custom field, calendar and customer list a rule names must exist."""
    states = config.lifecycle.states
    agents = config.agent_map()
    seen: set[str] = set()
    for i, rule in enumerate(config.automations):
        where = f"automations[{i}] ({rule.name})"
        if rule.name in seen:
            raise ValueError(f"{where}: another rule is called {rule.name!r}; names must be unique")
        seen.add(rule.name)

        def need(kind: str, value: str | None, known, hint_list=None) -> None:
            if value is not None and value not in known:
                names = ", ".join(hint_list if hint_list is not None else known) or "(none)"
                raise ValueError(f"{where}: {kind} {value!r} is not defined; {kind}s: {names}")

        if isinstance(rule.when, TimeTrigger):
            need("state", rule.when.status, states)
            need("calendar", rule.when.calendar, config.calendars)
        cond = rule.if_
        for value in as_list(cond.status):
            need("state", value, states)
        for value in as_list(cond.group):
            if value != "none":
                need("group", value, config.groups)
        for value in as_list(cond.assignee):
            if value != "none":
                need("agent", value, agents)
        for value in as_list(cond.type):
            need("type", value, config.ticket_types)
        for value in as_list(cond.requester) + as_list(cond.not_requester):
            if value.startswith("customers:"):
                need("customer list", value[10:], config.customers)
            elif "@" not in value:
                raise ValueError(f"{where}: requester {value!r} must be an address, @domain or customers:LIST")
        for name in cond.fields:
            need("custom field", name, config.custom_fields)
        check_changes(config, rule.do.fields(), where)
        if isinstance(rule.do.assign, Assign):
            need("group", rule.do.assign.group, config.groups)


def check_changes(config: Any, changes: FieldChanges, where: str) -> None:
    """The states, groups, agents and types a `set:`/`do:` block names exist."""
    if changes.status is not None and changes.status not in config.lifecycle.states:
        raise ValueError(f"{where}: state {changes.status!r} is not defined; states: "
                         f"{', '.join(config.lifecycle.states)}")
    if changes.group is not None and changes.group not in config.groups:
        raise ValueError(f"{where}: group {changes.group!r} is not defined; groups: "
                         f"{', '.join(config.groups) or '(none)'}")
    if changes.assignee is not None and changes.assignee not in config.agent_map():
        raise ValueError(f"{where}: agent {changes.assignee!r} is not defined; agents: "
                         f"{', '.join(config.agent_map()) or '(none)'}")
    if changes.type is not None and changes.type not in config.ticket_types:
        raise ValueError(f"{where}: type {changes.type!r} is not defined; types: {', '.join(config.ticket_types)}")
