"""`supportctl customer list|show|new|set|merge`: the desk's customers (customers/<slug>.yml)."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, JSON_OPTION, session
from supportctl.cli.render import clip, echo, emit_json, info, plural, table
from supportctl.cli.satisfaction import customer_app as app
from supportctl.errors import UsageError

app.info.help = "Customers: who they are, their organisation and plan, tickets, CSAT and NPS."


def key_values(pairs: list[str]) -> dict[str, str | None]:
    """`key=value` arguments; `key=` removes the key."""
    out: dict[str, str | None] = {}
    for pair in pairs:
        if "=" not in pair:
            raise UsageError(f"{pair!r} is not key=value", hint="e.g. plan=enterprise, notes=..., fields.seats=12")
        key, value = pair.split("=", 1)
        out[key.strip()] = value.strip() or None
    return out


def handles_of(email: list[str], phone: list[str], github: list[str], social: list[str]) -> list[str]:
    return [*email, *phone, *(f"github:{g.removeprefix('github:')}" for g in github),
            *(s if s.startswith("@") else f"@{s}" for s in social)]


def render_profile(profile, zone_name: str, *, org: bool) -> None:
    r = profile.record
    echo(f"{r['slug']}  {r['name']}")
    if org:
        echo(f"domains: {', '.join(r['domains']) or '-'}   plan: {r['plan'] or '-'}")
        echo(f"customers: {', '.join(profile.customers) or '-'}")
    else:
        handles = [*r["email"], *r["phone"], *(f"github:{g}" for g in r["github"]), *r["social"]]
        echo(f"handles: {', '.join(handles) or '-'}")
        echo(f"organization: {r['organization'] or '-'}   plan: {r['plan'] or '-'}")
    for key, value in (r.get("fields") or {}).items():
        echo(f"{key}: {value}")
    if r.get("notes"):
        echo(f"notes: {r['notes']}")
    csat = profile.csat
    echo(f"CSAT: {csat['percent']}% satisfied of {plural(csat['ratings'], 'rating')}" if csat["ratings"]
         else "CSAT: no ratings")
    if profile.nps:
        latest = profile.nps[-1]
        echo(f"NPS: latest {latest['score']}" + (f" ({clip(latest['comment'], 60)})" if latest["comment"] else "")
             + f", {plural(len(profile.nps), 'answer')}")
    else:
        echo("NPS: no answers")
    if profile.tickets:
        echo("")
        echo(table([[t["id"], t["status"], t["channel"] or "-", t["created"][:10], clip(t["title"] or "", 50)]
                    for t in profile.tickets], ["ID", "STATUS", "CHANNEL", "CREATED", "TITLE"]))
    info(plural(len(profile.tickets), "ticket"))


@app.command("list")
def list_(org: Optional[str] = typer.Option(None, "--org", help="Only this organisation's customers."),
          json_: bool = JSON_OPTION) -> None:
    """List customers: handles, organisation and plan."""
    from supportctl.services import customers

    rows = customers.list_customers(session(actor=False), org)
    if json_:
        emit_json(rows)
        return
    echo(table([[c["slug"], clip(c["name"], 30), clip(", ".join([*c["email"], *c["phone"],
                *(f"github:{g}" for g in c["github"]), *c["social"]]), 50), c["organization"] or "-",
                 c["plan"] or "-"] for c in rows], ["CUSTOMER", "NAME", "HANDLES", "ORG", "PLAN"]))
    info(plural(len(rows), "customer"))


@app.command("show")
def show(ref: str = typer.Argument(..., metavar="CUSTOMER", help="Slug, unique prefix, email or handle."),
         json_: bool = JSON_OPTION) -> None:
    """Show a customer: handles, organisation, plan, tickets (open first), CSAT and NPS."""
    from supportctl.services import customers

    s = session(actor=False)
    profile = customers.show_customer(s, ref)
    if json_:
        emit_json(profile.to_json())
        return
    render_profile(profile, s.config.desk.timezone, org=False)


EMAIL = typer.Option([], "--email", help="An email address (repeatable).")
PHONE = typer.Option([], "--phone", help="A phone number in international form, e.g. +353 87 123 4567 (repeatable).")
GITHUB = typer.Option([], "--github", help="A GitHub login (repeatable).")
SOCIAL = typer.Option([], "--social", help="A social media handle, @name (repeatable).")


@app.command("new")
def new(name: str = typer.Argument(..., metavar="NAME", help="The customer's name."),
        email: list[str] = EMAIL, phone: list[str] = PHONE, github: list[str] = GITHUB, social: list[str] = SOCIAL,
        org: Optional[str] = typer.Option(None, "--org", help="Their organisation (slug)."),
        plan: Optional[str] = typer.Option(None, "--plan", help="Their own plan (else the organisation's)."),
        notes: Optional[str] = typer.Option(None, "--notes", help="Notes for agents."),
        slug: Optional[str] = typer.Option(None, "--slug", help="The file name; default from the first handle."),
        as_: Optional[str] = AS_OPTION, json_: bool = JSON_OPTION) -> None:
    """Add a customer: customers/<slug>.yml."""
    from supportctl.services import customers

    saved = customers.new_customer(session(as_), name=name, handles=handles_of(email, phone, github, social),
                                   org=org, plan=plan, notes=notes, slug=slug)
    _saved(saved, json_)


@app.command("set")
def set_(ref: str = typer.Argument(..., metavar="CUSTOMER", help="Slug, unique prefix, email or handle."),
         values: list[str] = typer.Argument(None, metavar="KEY=VALUE...",
                                            help="name, organization, plan, notes or fields.NAME; KEY= removes."),
         email: list[str] = EMAIL, phone: list[str] = PHONE, github: list[str] = GITHUB, social: list[str] = SOCIAL,
         remove: list[str] = typer.Option([], "--remove", help="Remove this handle (repeatable)."),
         as_: Optional[str] = AS_OPTION, json_: bool = JSON_OPTION) -> None:
    """Change a customer: KEY=VALUE settings, handles to add (--email ...) or --remove."""
    from supportctl.services import customers

    saved = customers.set_customer(session(as_), ref, values=key_values(values or []),
                                   add=handles_of(email, phone, github, social), remove=remove)
    _saved(saved, json_)


@app.command("merge")
def merge(keep: str = typer.Argument(..., metavar="CUSTOMER", help="The record to keep."),
          other: str = typer.Argument(..., metavar="DUPLICATE", help="The record to fold into it (removed)."),
          as_: Optional[str] = AS_OPTION, json_: bool = JSON_OPTION) -> None:
    """Merge two records of one person (e.g. an email and a GitHub login); their tickets follow, one commit."""
    from supportctl.services import customers

    _saved(customers.merge_customers(session(as_), keep, other), json_)


def _saved(saved, json_: bool) -> None:
    if json_:
        emit_json({"slug": saved.slug, "path": saved.path, "summary": saved.summary, "commit": saved.sha,
                   "tickets": saved.tickets})
        return
    echo(saved.slug)
    info(saved.summary + (f" (commit {saved.sha})" if saved.sha else ""))
