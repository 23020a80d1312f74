"""Which SLA policy applies to a ticket: each policy's `match`, checked against the ticket's fields."""

from __future__ import annotations

from typing import Any

from supportctl.config.views import Config, Policy


def _values(value: Any) -> frozenset[str] | None:
    """A match value (one or a list) as lower-case strings; None when the condition is not set."""
    if value is None:
        return None
    items = value if isinstance(value, list) else [value]
    return frozenset(str(v).lower() for v in items)


def requester_email(meta: dict[str, Any]) -> str:
    """The requester's address, lower-case: from `{name, email}` or `Name <address>`."""
    person = meta.get("requester")
    if isinstance(person, dict):
        return str(person.get("email") or "").lower()
    text = str(person or "")
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1:-1]
    return text.strip().lower()


def email_matches(email: str, pattern: str) -> bool:
    """`pattern` is an address or `@domain` (the domain itself, not its sub-domains)."""
    pattern = pattern.strip().lower()
    if pattern.startswith("@"):
        return email.endswith(pattern)
    return email == pattern


class PolicyMatcher:
    """A policy's `match`, pre-digested: every listed condition must hold; a list means any of."""

    FIELDS = ("priority", "type", "group", "channel")

    def __init__(self, policy: Policy, config: Config) -> None:
        self.policy = policy
        match = policy.match
        self.fields = [(name, _values(getattr(match, name))) for name in self.FIELDS
                       if getattr(match, name) is not None]
        self.tags = _values(match.tags)
        self.config = config
        self.org = _values(match.organization)
        self.plan = _values(match.plan)
        self.requesters: list[str] | None = None
        if match.requester is not None:
            patterns: list[str] = []
            for value in (match.requester if isinstance(match.requester, list) else [match.requester]):
                if value.startswith("customers:"):
                    patterns.extend(config.customers.get(value[10:], []))
                else:
                    patterns.append(value)
            self.requesters = patterns
            self.exact = frozenset(p.strip().lower() for p in patterns if not p.strip().startswith("@"))
            self.domains = frozenset(p.strip().lower() for p in patterns if p.strip().startswith("@"))

    def reasons(self, meta: dict[str, Any]) -> list[tuple[str, bool, str]]:
        """(condition, holds, what the ticket has) for each condition of the match."""
        out = []
        for name, wanted in self.fields:
            have = meta.get(name)
            out.append((f"{name} in {sorted(wanted)}" if len(wanted) > 1 else f"{name} = {next(iter(wanted))}",
                        have is not None and str(have).lower() in wanted, f"{name} is {have}"))
        if self.tags is not None:
            tags = {str(t).lower() for t in _tags(meta)}
            out.append((f"tags any of {sorted(self.tags)}", bool(tags & self.tags),
                        f"tags are {sorted(tags) or 'none'}"))
        if self.org is not None or self.plan is not None:
            _, org, plan = self.config.customer_of(meta)
            if self.org is not None:
                out.append((f"organization in {sorted(self.org)}", (org or "").lower() in self.org,
                            f"organization is {org or 'none'}"))
            if self.plan is not None:
                out.append((f"plan in {sorted(self.plan)}", (plan or "").lower() in self.plan,
                            f"plan is {plan or 'none'}"))
        if self.requesters is not None:
            email = requester_email(meta)
            out.append((f"requester in {self.policy.match.requester}",
                        any(email_matches(email, p) for p in self.requesters), f"requester is {email or 'none'}"))
        return out

    def matches(self, meta: dict[str, Any]) -> bool:
        """Every condition holds (`reasons` says which do not, for `sla explain`)."""
        for name, wanted in self.fields:
            have = meta.get(name)
            if have is None or str(have).lower() not in wanted:
                return False
        if self.tags is not None:
            tags = _tags(meta)
            if not any(str(t).lower() in self.tags for t in tags):
                return False
        if self.org is not None or self.plan is not None:
            _, org, plan = self.config.customer_of(meta)
            if self.org is not None and (org or "").lower() not in self.org:
                return False
            if self.plan is not None and (plan or "").lower() not in self.plan:
                return False
        if self.requesters is not None:
            email = requester_email(meta)
            if email not in self.exact and email[email.rfind("@"):] not in self.domains:
                return False
        return True


def _tags(meta: dict[str, Any]) -> list[Any]:
    """The ticket's tags as a list, even when a hand edit left a single value (`tags: 5`)."""
    tags = meta.get("tags") or []
    return tags if isinstance(tags, list) else [tags]
