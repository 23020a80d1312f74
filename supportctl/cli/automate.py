"""`supportctl automate`: run the time rules of `automations:` (docs/automation.md)."""

from __future__ import annotations

from typing import Optional

import typer

from supportctl.cli.common import JSON_OPTION, NO_COMMIT_OPTION, NOW_OPTION, session
from supportctl.cli.render import emit_json, info, plural, run_outcome, warn, warn_problem

app = typer.Typer(no_args_is_help=True, help="Automations: rules that act on tickets by themselves.")


def show_fired(fired: list) -> None:
    """One line per rule that acted (stderr), and a warning for each that could not."""
    for f in fired:
        if f.error:
            warn(f"{f.ticket}: rule {f.rule} not applied: {f.error}")
        elif f.actions:
            info(f"{f.ticket}: rule {f.rule}: {'; '.join(f.actions)}")


@app.command("run")
def run(
    now: Optional[str] = NOW_OPTION,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan; write nothing."),
    as_: Optional[str] = typer.Option(None, "--as", help="Commit as this agent (default: supportctl)."),
    no_commit: bool = NO_COMMIT_OPTION,
    json_: bool = JSON_OPTION,
) -> None:
    """Apply every time rule that is due, and the lifecycle's timed transitions; one commit."""
    from supportctl.services import automation

    s = session(as_, now=now, actor=None)
    result = automation.run(s, dry_run=dry_run, commit=not no_commit)
    for problem in result.problems:
        warn_problem(problem)
    if json_:
        emit_json(result.to_json())
    show_fired(result.fired)
    verb = "would act" if dry_run else "acted"
    n = len(result.applied)
    info(run_outcome(f"{plural(n, 'rule action')}: {verb}", dry_run=dry_run, sha=result.sha))
