"""`supportctl git`: the git side of a clone (the ticket merge driver)."""

from __future__ import annotations

import typer

from supportctl.cli.common import JSON_OPTION, session
from supportctl.cli.render import echo, emit_json

app = typer.Typer(no_args_is_help=True, help="Git set-up of a clone: the merge driver for tickets.")


@app.command("setup")
def setup(json_: bool = JSON_OPTION) -> None:
    """Register the ticket merge driver in this clone (init does it for a new desk); print what changed."""
    from supportctl.services import desk

    done = desk.git_setup(session(actor=False))
    if json_:
        emit_json({"root": str(done.root), "changed": done.changed,
                   "settings": [{"key": c.key, "before": c.before, "after": c.after} for c in done.settings],
                   "gitattributes_added": done.attributes_added})
        return
    for change in done.settings:
        was = f" (was: {change.before})" if change.before is not None else " (was not set)"
        echo(f"git config {change.key} {change.after}{was}")
    if done.attributes_added:
        echo(f".gitattributes: added `{done.attributes_added}`; commit it, so every clone sends tickets "
             "to the driver")
    if not done.changed:
        echo("nothing to change: git merges tickets with supportctl's merge driver in this clone")
