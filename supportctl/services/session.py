"""The session a use case runs in: which desk, who acts, and what time it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from supportctl.desk.store import Desk
from supportctl.errors import SupportctlError, UsageError

if TYPE_CHECKING:   # imported when a command first asks for the zone: 3-4 ms that `kb suggest` never needs
    from zoneinfo import ZoneInfo

SYSTEM = "supportctl"
SYSTEM_EMAIL = f"{SYSTEM}@users.noreply.supportctl"


class Session:
    """A desk, the acting agent (if any) and a clock, resolved once at the edge.

    `at` is an explicit event time (`--at`, an import's own date); without it
    `now()` reads the clock when called, which services do after taking the
    desk lock, so a command that waited for the lock is dated when it acted.
    """

    def __init__(self, desk: Desk, *, actor: str | None = None, at: datetime | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.desk = desk
        self.actor = actor
        self.at = at
        self._clock = clock

    @cached_property
    def zone(self) -> ZoneInfo:
        from zoneinfo import ZoneInfo

        return ZoneInfo(self.desk.config.desk.timezone)

    @property
    def config(self):
        config = self.desk.config
        if config._directory is None:
            # Loaded once per desk: SLA policies and automations match on organisation and plan.
            config.attach_directory(lambda: self.directory)
        return config

    @cached_property
    def directory(self):
        """The desk's customers and organisations (customers/); a broken file leaves its record out."""
        from supportctl.customers.load import cached_directory

        return cached_directory(self.desk.root, self.desk.cache_dir / "customers.marshal")

    @cached_property
    def tickets(self):
        """The desk's tickets: lookup, reading, the index, saving."""
        from supportctl.tickets.store import TicketStore

        return TicketStore(self.desk)

    def now(self) -> datetime:
        """The event time: `at` when given, else the clock, in the desk's time zone."""
        if self.at is not None:
            return self.at
        if self._clock is not None:
            return self._clock()
        return datetime.now(self.zone).replace(microsecond=0)

    def agent(self) -> str:
        """The acting agent's handle; an error when nobody was named."""
        if not self.actor:
            raise UsageError("who is doing this? no --as, no SUPPORTCTL_AGENT and no git user.name",
                             hint="pass --as AGENT or export SUPPORTCTL_AGENT=AGENT")
        return self.actor

    def author(self) -> tuple[str, str]:
        """(name, email) for the commit author of the acting agent."""
        return agent_author(self.desk, self.agent())


def agent_author(desk: Desk, handle: str) -> tuple[str, str]:
    """(name, email) for the commit author of an agent handle."""
    agent = desk.config.agent_map().get(handle)
    name = agent.name if agent and agent.name else handle
    email = agent.email if agent and agent.email else f"{handle}@users.noreply.supportctl"
    return name, email


def resolve_actor(desk: Desk, name: str | None, source: str) -> str | None:
    """An agent handle from a handle, display name or email; None when no name was given."""
    from supportctl.tickets.actions import resolve_agent

    if not name:
        return None
    config = desk.config  # a broken config reports itself, not as an unknown agent
    try:
        return resolve_agent(config, name)
    except SupportctlError as exc:
        raise SupportctlError(f"{exc.message} (from {source})", hint=f"{exc.hint}; or pass --as AGENT") from None
