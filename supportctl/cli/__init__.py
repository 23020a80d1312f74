"""The `supportctl` command: noun groups over the core library."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any, Optional

import typer
from typer.core import TyperGroup

from supportctl import __version__
from supportctl.errors import SupportctlError


class App(TyperGroup):
    """Turns user errors raised anywhere below into `error:`/`hint:` lines and an exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands = _Commands(self.commands)

    def invoke(self, ctx: Any) -> Any:
        from supportctl.cli.render import report_error

        try:
            return super().invoke(ctx)
        except SupportctlError as exc:
            report_error(exc)
            raise typer.Exit(exc.exit_code) from None


app = typer.Typer(cls=App, no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                  pretty_exceptions_show_locals=False,
                  help="A help desk that lives in a git repository.")


def _version(value: bool) -> None:
    if value:
        typer.echo(f"supportctl {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    directory: Optional[str] = typer.Option(None, "-C", metavar="PATH",
                                            help="Run in the desk at PATH (default: nearest supportctl.yml)."),
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """A help desk that lives in a git repository."""
    from supportctl.cli.common import Edge

    ctx.obj = Edge(root=directory)


# The root's commands in --help's order, and the cli module that defines each.
# A command is imported and turned into a Click command only when it is asked
# for: `ticket show` pays for cli/ticket.py, not for all sixteen modules and
# their ~130 commands (half the start-up of a read command before this).
COMMANDS = {
    "init": "desk", "paths": "desk", "check": "desk", "merge-driver": "desk", "queue": "sla",
    "ticket": "ticket", "kb": "kb", "site": "site", "sla": "sla", "mail": "mail", "git": "git",
    "report": "report", "customer": "customer", "org": "org", "import": "imports", "automate": "automate",
    "templates": "templates",
}


def _load(name: str) -> Any:
    """The Click command for one root command, built by Typer as if it were registered on `app`."""
    import importlib

    from typer.main import get_group

    module = importlib.import_module(f"supportctl.cli.{COMMANDS[name]}")
    # A bare Typer with the root's markup mode, holding this one command: Typer
    # converts it exactly as it would as part of the whole tree.
    holder = typer.Typer(rich_markup_mode=app.rich_markup_mode)
    if name == "queue":
        holder.command("queue")(module.queue)
    elif COMMANDS[name] == "desk":
        holder.registered_commands += [c for c in module.app.registered_commands if c.name == name]
    else:
        holder.add_typer(module.app, name=name)
    return get_group(holder).commands[name]


class _Commands(MutableMapping):
    """The root group's commands, each loaded on first use; iterating loads them all (help, docs, tests)."""

    def __init__(self, given: Any) -> None:
        self._loaded = dict(given)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in COMMANDS:
                raise KeyError(name)
            self._loaded[name] = _load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*COMMANDS, *(n for n in self._loaded if n not in COMMANDS)])

    def __len__(self) -> int:
        return len(COMMANDS.keys() | self._loaded.keys())


def main() -> None:
    app()
