"""Who gets a ticket: round-robin or least-loaded among a group's agents who are not away.

Load is the number of active tickets (new, open or pending category)
assigned to the agent. Round-robin carries on after the agent the same rule
assigned last, read from the records (`rule: NAME` with an assignee change),
so it survives merges and needs no state file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from supportctl.automation.timing import RULE_PREFIX

ACTIVE = ("new", "open", "pending")


class Workload:
    """Agents' loads and each round-robin rule's last pick, read lazily from the index and kept up to date."""

    def __init__(self, config, entries: Callable[[], Iterable]) -> None:
        self.config = config
        self._entries = entries
        self._loads: dict[str, int] | None = None
        self._last: dict[str, tuple[int, str]] | None = None
        self._list: list = []

    def members(self, group: str) -> list[str]:
        """The group's agents who take new tickets, in the order of the config."""
        return [h for h, a in self.config.agent_map().items() if a.group == group and not a.away]

    def _scan(self) -> None:
        """Loads from the front matter alone (no timelines): cheap even on a large desk."""
        category = self.config.lifecycle.category
        self._list = list(self._entries())
        loads: dict[str, int] = {}
        for entry in self._list:
            assignee = entry.meta.get("assignee")
            if assignee and category(str(entry.meta.get("status", ""))) in ACTIVE:
                loads[assignee] = loads.get(assignee, 0) + 1
        self._loads, self._last = loads, {}

    def _last_pick(self, rule: str) -> str:
        """The agent `rule` assigned last, from the records: newest tickets first, stopping early.

        A rule's event moves the ticket's `updated`, so once the tickets left
        were all updated before the best assignment found, none can hold a later one.
        """
        assert self._last is not None
        if rule not in self._last:
            best: tuple[int, str] = (0, "")
            for entry in sorted(self._list, key=lambda e: -(getattr(e, "updated_ts", 0) or 0)):
                if best[0] and (getattr(entry, "updated_ts", 0) or 0) < best[0]:
                    break
                for kind, _, _, _, _, body, ts in entry.records:
                    if kind == "event" and ts >= best[0] and RULE_PREFIX in body and "assignee: " in body:
                        name, agent = _rule_assignment(body)
                        if name == rule and agent:
                            best = (ts, agent)
            self._last[rule] = best
        return self._last[rule][1]

    def load(self, agent: str) -> int:
        if self._loads is None:
            self._scan()
        assert self._loads is not None
        return self._loads.get(agent, 0)

    def pick(self, how: str, group: str, rule: str) -> str | None:
        """The agent `how` (round_robin or least_loaded) chooses in `group`, or None when nobody is available."""
        members = self.members(group)
        if not members:
            return None
        if self._loads is None:
            self._scan()
        if how == "least_loaded":
            return min(members, key=lambda h: (self.load(h), members.index(h)))
        previous = self._last_pick(rule)
        order = sorted(self.config.agent_map())      # a stable ring, even when someone is away for a while
        if previous in order:
            ring = order[order.index(previous) + 1:] + order[:order.index(previous) + 1]
        else:
            ring = order
        return next(h for h in ring if h in members)

    def moved(self, rule: str | None, old: str | None, new: str | None, active: bool, ts: int) -> None:
        """Keep loads and round-robin positions current after an assignment made in this run."""
        if self._loads is None:
            return
        assert self._last is not None
        if active:
            if old:
                self._loads[old] = max(0, self._loads.get(old, 0) - 1)
            if new:
                self._loads[new] = self._loads.get(new, 0) + 1
        if rule and new:
            self._last[rule] = (ts, new)


def _rule_assignment(body: str) -> tuple[str | None, str | None]:
    rule = agent = None
    for line in body.split("\n"):
        if line.startswith(RULE_PREFIX):
            rule = line[len(RULE_PREFIX):].strip()
        elif line.startswith("assignee: ") and " -> " in line:
            agent = line.rsplit(" -> ", 1)[1].strip()
            agent = None if agent == "null" else agent
    return rule, agent
