"""`supportctl org list|show|new|set`: organisations (customers/orgs/<slug>.yml)."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, JSON_OPTION, session
from supportctl.cli.customer import _saved, key_values, render_profile
from supportctl.cli.render import clip, echo, emit_json, info, plural, table

app = typer.Typer(no_args_is_help=True, help="Organisations: email domains, plan, customers and their tickets.")


@app.command("list")
def list_(json_: bool = JSON_OPTION) -> None:
    """List organisations: domains, plan and how many customers."""
    from supportctl.services import customers

    rows = customers.list_orgs(session(actor=False))
    if json_:
        emit_json(rows)
        return
    echo(table([[o["slug"], clip(o["name"], 30), clip(", ".join(o["domains"]), 40), o["plan"] or "-",
                 str(o["customers"])] for o in rows], ["ORG", "NAME", "DOMAINS", "PLAN", "CUSTOMERS"]))
    info(plural(len(rows), "organisation"))


@app.command("show")
def show(ref: str = typer.Argument(..., metavar="ORG", help="Slug or unique prefix."),
         json_: bool = JSON_OPTION) -> None:
    """Show an organisation: domains, plan, customers, tickets (open first), CSAT and NPS."""
    from supportctl.services import customers

    s = session(actor=False)
    profile = customers.show_org(s, ref)
    if json_:
        emit_json(profile.to_json())
        return
    render_profile(profile, s.config.desk.timezone, org=True)


@app.command("new")
def new(name: str = typer.Argument(..., metavar="NAME", help="The organisation's name."),
        domain: list[str] = typer.Option([], "--domain", help="An email domain of theirs, e.g. acme.example "
                                                               "(repeatable)."),
        plan: Optional[str] = typer.Option(None, "--plan", help="Their plan, e.g. enterprise."),
        notes: Optional[str] = typer.Option(None, "--notes", help="Notes for agents."),
        slug: Optional[str] = typer.Option(None, "--slug", help="The file name; default from the name."),
        as_: Optional[str] = AS_OPTION, json_: bool = JSON_OPTION) -> None:
    """Add an organisation: customers/orgs/<slug>.yml."""
    from supportctl.services import customers

    _saved(customers.new_org(session(as_), name=name, domains=domain, plan=plan, notes=notes, slug=slug), json_)


@app.command("set")
def set_(ref: str = typer.Argument(..., metavar="ORG", help="Slug or unique prefix."),
         values: list[str] = typer.Argument(None, metavar="KEY=VALUE...",
                                            help="name, plan, notes or fields.NAME; KEY= removes."),
         domain: list[str] = typer.Option([], "--domain", help="Add an email domain (repeatable)."),
         remove_domain: list[str] = typer.Option([], "--remove-domain", help="Remove an email domain (repeatable)."),
         as_: Optional[str] = AS_OPTION, json_: bool = JSON_OPTION) -> None:
    """Change an organisation: KEY=VALUE settings and domains."""
    from supportctl.services import customers

    _saved(customers.set_org(session(as_), ref, values=key_values(values or []), add_domains=domain,
                             remove_domains=remove_domain), json_)
