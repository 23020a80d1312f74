"""`supportctl templates`: the reply templates (macros): list, show, and preview for a ticket."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import AS_OPTION, JSON_OPTION, session
from supportctl.cli.render import echo, emit_json, info, table, warn

app = typer.Typer(no_args_is_help=True, help="Reply templates and macros (templates/).")


@app.command("list")
def list_cmd(json_: bool = JSON_OPTION) -> None:
    """Every template with its description and the changes its `set:` block makes."""
    from supportctl.services import automation

    found = automation.templates(session(actor=False))
    if json_:
        emit_json([m.to_json() for m in found])
        return
    rows = [[m.name, _changes(m), m.description or ""] for m in found]
    echo(table(rows, ["NAME", "SETS", "DESCRIPTION"]))


def _changes(macro) -> str:
    data = macro.changes.model_dump(exclude_defaults=True)
    tags = data.pop("tags", {})
    parts = [f"{k}={v}" for k, v in data.items()]
    parts += [f"+{t}" for t in tags.get("add", [])] + [f"-{t}" for t in tags.get("remove", [])]
    return " ".join(parts) or "-"


@app.command("show")
def show(
    name: str = typer.Argument(..., metavar="NAME", help="Template name, e.g. replies/need-more-info."),
    json_: bool = JSON_OPTION,
) -> None:
    """A template's file, description, `set:` block and source."""
    from supportctl.services import automation

    macro = automation.template(session(actor=False), name)
    if json_:
        emit_json({**macro.to_json(), "source": macro.source})
        return
    info(f"{macro.rel}: {macro.description or '(no description)'}; sets: {_changes(macro)}")
    echo(macro.source.rstrip("\n"))


@app.command("render")
def render(
    name: str = typer.Argument(..., metavar="NAME", help="Template name, e.g. replies/need-more-info."),
    ticket: str = typer.Option(..., "--ticket", "-t", metavar="ID", help="Render for this ticket."),
    as_: Optional[str] = AS_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Preview a template for a ticket, with the changes it would make; writes nothing."""
    from supportctl.services import automation

    preview = automation.render(session(as_, actor=None), name, ticket)
    if json_:
        emit_json({"name": preview.name, "ticket": preview.ticket, "text": preview.text,
                   "changes": preview.changes, "problem": preview.problem})
        return
    echo(preview.text.rstrip("\n"))
    if preview.problem:
        warn(f"a reply with it would be refused: {preview.problem}")
    else:
        info("would change: " + ("; ".join(preview.changes) or "nothing"))
