"""What `check` finds wrong in customer and organisation files: each problem with its file, line and a hint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from supportctl.customers.model import CUSTOMER_KEYS, HANDLE_KEYS, ORG_KEYS, as_list
from supportctl.errors import SupportctlError
from supportctl.tickets.people import person_problems

if TYPE_CHECKING:
    from supportctl.customers.match import Directory


def _problem(message: str, rel: str, lines: dict[tuple, int], key: tuple, hint: str) -> SupportctlError:
    return SupportctlError(message, path=rel, line=lines.get(key) or lines.get(key[:1]) or 1, hint=hint)


def check_customer(data: dict[str, Any], lines: dict[tuple, int], rel: str, orgs: set[str]) -> list[SupportctlError]:
    out = []
    for key in data:
        if key not in CUSTOMER_KEYS:
            out.append(_problem(f"unknown key {key!r}", rel, lines, (key,),
                                f"a customer takes {', '.join(CUSTOMER_KEYS)}; put your own under fields:"))
    if not any(as_list(data.get(k)) for k in HANDLE_KEYS):
        out.append(_problem("the customer has no email, phone, github or social handle", rel, lines, ("name",),
                            "add email: dana@example.com (or phone, github, social)"))
    for kind in HANDLE_KEYS:
        raw = data.get(kind)
        values = raw if isinstance(raw, list) else [raw] if raw is not None else []
        for i, value in enumerate(values):
            for message, hint in person_problems({"name": "x", kind: value}):
                key = (kind, i) if isinstance(raw, list) else (kind,)
                out.append(_problem(message.replace("requester ", "customer "), rel, lines, key, hint))
    org = data.get("organization")
    if org is not None and str(org) not in orgs:
        out.append(_problem(f"unknown organisation {org!r}", rel, lines, ("organization",),
                            f"organisations: {', '.join(sorted(orgs)) or '(none)'}; "
                            f"add customers/orgs/{org}.yml or run supportctl org new"))
    if data.get("fields") is not None and not isinstance(data.get("fields"), dict):
        out.append(_problem("fields must be a mapping", rel, lines, ("fields",), "write fields: {seats: 12}"))
    return out


def check_org(data: dict[str, Any], lines: dict[tuple, int], rel: str) -> list[SupportctlError]:
    out = []
    for key in data:
        if key not in ORG_KEYS:
            out.append(_problem(f"unknown key {key!r}", rel, lines, (key,),
                                f"an organisation takes {', '.join(ORG_KEYS)}; put your own under fields:"))
    for i, domain in enumerate(as_list(data.get("domains"))):
        if "." not in domain or "@" in domain.lstrip("@") or " " in domain:
            out.append(_problem(f"{domain!r} is not an email domain", rel, lines, ("domains", i),
                                "write domains: [acme.example]"))
    if data.get("fields") is not None and not isinstance(data.get("fields"), dict):
        out.append(_problem("fields must be a mapping", rel, lines, ("fields",), "write fields: {seats: 12}"))
    return out


def check_directory(directory: Directory, lines_of: dict[str, dict[tuple, int]]) -> list[SupportctlError]:
    """Handles and domains that two records claim: a new ticket could not tell whose it is."""
    out = []
    seen: dict[tuple[str, str], str] = {}
    for slug, customer in sorted(directory.customers.items()):
        for kind, value in customer.handles():
            other = seen.setdefault((kind, value), slug)
            if other != slug:
                out.append(_problem(f"{kind} {value} is also on customer {other}", customer.path,
                                    lines_of.get(customer.path, {}), (kind,),
                                    f"one person, two records? supportctl customer merge {other} {slug}"))
    domains: dict[str, str] = {}
    for slug, org in sorted(directory.orgs.items()):
        for domain in org.domains:
            other = domains.setdefault(domain, slug)
            if other != slug:
                out.append(_problem(f"domain {domain} is also on organisation {other}", org.path,
                                    lines_of.get(org.path, {}), ("domains",), "list each domain on one organisation"))
    return out


def check_references(config: Any, directory: Directory) -> list[SupportctlError]:
    """SLA policies and automations that name an organisation no file defines (a typo matches nothing)."""
    from supportctl.config.fields import as_list as values

    out = []
    for i, policy in enumerate(config.sla.policies):
        for org in values(policy.match.organization):
            if org not in directory.orgs:
                out.append(SupportctlError(f"sla.policies[{i}] ({policy.name}): unknown organisation {org!r}",
                                           path="supportctl.yml",
                                           hint=f"organisations: {', '.join(sorted(directory.orgs)) or '(none)'}"))
    for i, rule in enumerate(config.automations):
        for org in values(rule.if_.organization) if getattr(rule, "if_", None) is not None else []:
            if org != "none" and org not in directory.orgs:
                out.append(SupportctlError(f"automations[{i}] ({rule.name}): unknown organisation {org!r}",
                                           path="supportctl.yml",
                                           hint=f"organisations: {', '.join(sorted(directory.orgs)) or '(none)'}"))
    return out
