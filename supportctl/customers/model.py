"""A customer and an organisation as read from `customers/<slug>.yml` and `customers/orgs/<slug>.yml`."""

from __future__ import annotations

import re
from dataclasses import field
from typing import Any

from supportctl.base.datatypes import datatype

CUSTOMERS_DIR = "customers"
ORGS_DIR = "customers/orgs"
HANDLE_KEYS = ("email", "phone", "github", "social")       # each one value or a list
CUSTOMER_KEYS = ("name", *HANDLE_KEYS, "organization", "plan", "notes", "fields", "nps")
ORG_KEYS = ("name", "domains", "plan", "notes", "fields")


def slugify(text: str) -> str:
    """A file name for a customer or organisation: `Dana Smith` -> `dana-smith`, dana@x.example -> dana-x-example."""
    return re.sub(r"[^a-z0-9]+", "-", str(text).strip().lower()).strip("-")


def as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [str(v) for v in (value if isinstance(value, list) else [value]) if v is not None and str(v) != ""]


@datatype
class Customer:
    """A customer's file (customers/<slug>.yml): who they are, how to reach them, their organisation."""

    slug: str
    name: str = ""
    email: list[str] = field(default_factory=list)
    phone: list[str] = field(default_factory=list)
    github: list[str] = field(default_factory=list)
    social: list[str] = field(default_factory=list)
    organization: str | None = None
    plan: str | None = None
    notes: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @classmethod
    def from_data(cls, slug: str, data: dict[str, Any], path: str = "") -> Customer:
        fields = data.get("fields")
        return cls(slug=slug, name=str(data.get("name") or ""),
                   email=[e.lower() for e in as_list(data.get("email"))], phone=as_list(data.get("phone")),
                   github=[g.lower() for g in as_list(data.get("github"))], social=as_list(data.get("social")),
                   organization=str(data["organization"]) if data.get("organization") else None,
                   plan=str(data["plan"]) if data.get("plan") else None,
                   notes=str(data["notes"]) if data.get("notes") else None,
                   fields=dict(fields) if isinstance(fields, dict) else {}, path=path)

    def handles(self) -> list[tuple[str, str]]:
        """(kind, value) of every handle, lower-case where case does not matter."""
        return [(kind, v.lower() if kind != "phone" else v) for kind in HANDLE_KEYS for v in getattr(self, kind)]

    def display(self) -> str:
        return self.name or next((v for _, v in self.handles()), self.slug)

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "email": self.email, "phone": self.phone,
                "github": self.github, "social": self.social, "organization": self.organization,
                "plan": self.plan, "notes": self.notes, "fields": self.fields, "path": self.path}


@datatype
class Organization:
    """An organisation's file (customers/orgs/<slug>.yml): its name, mail domains and plan."""

    slug: str
    name: str = ""
    domains: list[str] = field(default_factory=list)
    plan: str | None = None
    notes: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    path: str = ""

    @classmethod
    def from_data(cls, slug: str, data: dict[str, Any], path: str = "") -> Organization:
        fields = data.get("fields")
        return cls(slug=slug, name=str(data.get("name") or slug),
                   domains=[d.lower().lstrip("@") for d in as_list(data.get("domains"))],
                   plan=str(data["plan"]) if data.get("plan") else None,
                   notes=str(data["notes"]) if data.get("notes") else None,
                   fields=dict(fields) if isinstance(fields, dict) else {}, path=path)

    def to_json(self) -> dict[str, Any]:
        return {"slug": self.slug, "name": self.name, "domains": self.domains, "plan": self.plan,
                "notes": self.notes, "fields": self.fields, "path": self.path}
