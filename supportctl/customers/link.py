"""Linking a new ticket to its customer and organisation (and creating an unknown customer, when the desk wants)."""

from __future__ import annotations

from typing import Any

from supportctl.customers.match import Directory
from supportctl.customers.model import CUSTOMERS_DIR, slugify
from supportctl.tickets.people import HANDLES, handle_of


def link_for(directory: Directory, person: dict[str, Any], *, auto_create: bool
             ) -> tuple[str | None, str | None, dict[str, Any] | None]:
    """(customer slug, organisation slug, new customer's data or None) for a requester.

    A known handle names the customer (and their organisation); an email at an
    organisation's domain names the organisation. With `auto_create` an unknown
    requester becomes a new customer record, filed under that organisation.
    """
    customer = directory.customer_for(person)
    org = directory.org_for(person, customer)
    if customer is not None or not auto_create or handle_of(person) is None:
        return (customer.slug if customer else None, org.slug if org else None, None)
    data: dict[str, Any] = {"name": person.get("name") or ""}
    for kind in HANDLES:
        if person.get(kind):
            data[kind] = person[kind]
    if org is not None:
        data["organization"] = org.slug
    slug = new_slug(directory, person)
    return slug, org.slug if org else None, data


def new_slug(directory: Directory, person: dict[str, Any]) -> str:
    """A file name for a new customer: from the email address (as NPS names it), else the handle, else the name."""
    found = handle_of(person)
    base = slugify(found[1]) if found else slugify(person.get("name") or "customer")
    if found and found[0] == "phone":
        base = f"phone-{base}"      # a bare number would be read as an integer in YAML
    base = base or "customer"
    slug, n = base, 2
    while slug in directory.customers:
        slug, n = f"{base}-{n}", n + 1
    return slug


def customer_path(slug: str) -> str:
    return f"{CUSTOMERS_DIR}/{slug}.yml"
