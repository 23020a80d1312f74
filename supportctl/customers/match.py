"""Who a requester is: the customer and organisation a ticket's requester belongs to."""

from __future__ import annotations

from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype
from supportctl.customers.model import Customer, Organization
from supportctl.tickets.people import HANDLES


@datatype
class Directory:
    """Every customer and organisation, indexed by handle and email domain."""

    customers: dict[str, Customer] = field(default_factory=dict)
    orgs: dict[str, Organization] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.by_handle: dict[tuple[str, str], str] = {}
        for slug, customer in sorted(self.customers.items()):
            for handle in customer.handles():
                self.by_handle.setdefault(handle, slug)
        self.by_domain: dict[str, str] = {}
        for slug, org in sorted(self.orgs.items()):
            for domain in org.domains:
                self.by_domain.setdefault(domain, slug)

    def customer_for(self, person: Any) -> Customer | None:
        """The customer one of whose handles the requester uses."""
        if not isinstance(person, dict):
            return None
        for kind in HANDLES:
            value = person.get(kind)
            if isinstance(value, str) and value:
                slug = self.by_handle.get((kind, value if kind == "phone" else value.lower()))
                if slug:
                    return self.customers[slug]
        return None

    def org_for(self, person: Any, customer: Customer | None = None) -> Organization | None:
        """The customer's organisation, else the one whose domain the requester's email is at."""
        if customer is not None and customer.organization in self.orgs:
            return self.orgs[customer.organization]
        email = person.get("email") if isinstance(person, dict) else None
        if isinstance(email, str) and "@" in email:
            slug = self.by_domain.get(email.rsplit("@", 1)[1].lower())
            if slug:
                return self.orgs[slug]
        return None

    def resolve(self, meta: dict[str, Any]) -> tuple[str | None, str | None, str | None]:
        """(customer, organisation, plan) of a ticket: its `customer:`/`organization:` keys, else its requester."""
        person = meta.get("requester")
        customer = self.customers.get(str(meta["customer"])) if meta.get("customer") else None
        if customer is None:
            customer = self.customer_for(person)
        org_slug = meta.get("organization")
        org = self.orgs.get(str(org_slug)) if org_slug else self.org_for(person, customer)
        plan = (customer.plan if customer and customer.plan else None) or (org.plan if org else None)
        return (customer.slug if customer else None, org.slug if org else (str(org_slug) if org_slug else None),
                plan)
