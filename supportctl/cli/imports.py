"""`supportctl import chat|calls|github`: conversations from other channels into tickets."""

from __future__ import annotations

import typer

from supportctl.cli.common import JSON_OPTION, NO_COMMIT_OPTION, session
from supportctl.cli.render import emit_json, info, plural, run_outcome

app = typer.Typer(no_args_is_help=True, help="Import chats, call logs and GitHub issues as tickets (re-runs add only "
                                            "what is new).",
                  epilog="Examples:  supportctl import chat widget.jsonl  |  supportctl import calls calls.csv  |  "
                         "supportctl import github issues.json comments.json")

FILES = typer.Argument(..., metavar="FILE...", help="The export files.")
DRY_RUN = typer.Option(False, "--dry-run", help="Show what would happen; change nothing.")


def _report(run, json_: bool) -> None:
    if json_:
        emit_json([r.to_json() for r in run.results])
    else:
        for r in run.results:
            if r.action != "unchanged":
                info(f"{r.source}: {r.action} {r.ticket}" + (f" ({', '.join(r.changes[:4])}"
                                                              f"{', ...' if len(r.changes) > 4 else ''})"
                                                              if r.changes else ""))
    summary = (f"{plural(len(run.results), 'conversation')}: {run.count('created')} created, "
               f"{run.count('updated')} updated, {run.count('unchanged')} unchanged")
    info(run_outcome(summary, dry_run=run.dry_run, sha=run.sha))


@app.command("chat")
def chat(files: list[str] = FILES, dry_run: bool = DRY_RUN, no_commit: bool = NO_COMMIT_OPTION,
         json_: bool = JSON_OPTION) -> None:
    """Import chat transcripts (JSON Lines: conversation, time, author, role, text): a ticket per conversation."""
    from supportctl.services import imports

    _report(imports.import_chat(session(actor=False), files, dry_run=dry_run, commit=not no_commit), json_)


@app.command("calls")
def calls(files: list[str] = FILES, dry_run: bool = DRY_RUN, no_commit: bool = NO_COMMIT_OPTION,
          json_: bool = JSON_OPTION) -> None:
    """Import call logs (CSV: call_id, time, caller, agent, duration, outcome; or JSON Lines) as phone tickets."""
    from supportctl.services import imports

    _report(imports.import_calls(session(actor=False), files, dry_run=dry_run, commit=not no_commit), json_)


@app.command("github")
def github(files: list[str] = FILES, dry_run: bool = DRY_RUN, no_commit: bool = NO_COMMIT_OPTION,
           json_: bool = JSON_OPTION) -> None:
    """Import GitHub issues and comments (gh api JSON or webhook payloads): labels to tags, closed to solved."""
    from supportctl.services import imports

    _report(imports.import_github(session(actor=False), files, dry_run=dry_run, commit=not no_commit), json_)
