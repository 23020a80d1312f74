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
        self.commands = _Commands(list(COMMANDS), _load, self.commands)

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
# for, and within a group only the subcommand asked for: `ticket show` pays
# for cli/ticket.py and one command, not for sixteen modules and ~130 commands
# (most of a read command's own start-up before).
COMMANDS = {
    "init": "desk", "paths": "desk", "check": "desk", "shard": "desk", "merge-driver": "desk", "queue": "sla",
    "ticket": "ticket", "kb": "kb", "site": "site", "sla": "sla", "mail": "mail", "git": "git",
    "report": "report", "customer": "customer", "org": "org", "import": "imports", "automate": "automate",
    "templates": "templates",
}


def _convert(name: str, group: Any = None, commands: list | None = None) -> Any:
    """Typer's Click command for `name` (a root command, or the Typer `group` holding only `commands`).

    Built through a bare Typer with the root's markup mode, so Typer converts
    it exactly as it would as part of the whole tree.
    """
    from typer.main import get_group

    holder = typer.Typer(rich_markup_mode=app.rich_markup_mode, add_completion=False)
    if group is None:
        holder.registered_commands = list(commands or [])
    else:
        shell = typer.Typer()
        shell.info = group.info          # its help and no_args_is_help, without its commands
        shell.registered_commands = list(commands or [])
        holder.add_typer(shell, name=name)
    return get_group(holder).commands[name]


def _load(name: str) -> Any:
    """The Click command for one root command; a group's subcommands load one by one in turn."""
    import importlib

    module = importlib.import_module(f"supportctl.cli.{COMMANDS[name]}")
    if name == "queue":
        return _convert(name, commands=_single("queue", module.queue))
    if COMMANDS[name] == "desk":
        return _convert(name, commands=[c for c in module.app.registered_commands if c.name == name])
    infos = {c.name: c for c in module.app.registered_commands}
    group = _convert(name, module.app)
    group.commands = _Commands(list(infos), lambda sub: _convert(name, module.app, [infos[sub]]).commands[sub])
    return group


def _single(name: str, function: Any) -> list:
    """The Typer registration of one function as command `name`."""
    holder = typer.Typer()
    holder.command(name)(function)
    return holder.registered_commands


class _Commands(MutableMapping):
    """A group's commands, each loaded on first use; iterating loads them all (help, docs, tests)."""

    def __init__(self, names: list[str], load: Any, given: Any = ()) -> None:
        self._names, self._load, self._loaded = names, load, dict(given)

    def __getitem__(self, name: str) -> Any:
        if name not in self._loaded:
            if name not in self._names:
                raise KeyError(name)
            self._loaded[name] = self._load(name)
        return self._loaded[name]

    def __setitem__(self, name: str, command: Any) -> None:
        self._loaded[name] = command

    def __delitem__(self, name: str) -> None:
        del self._loaded[name]

    def __iter__(self) -> Iterator[str]:
        return iter([*self._names, *(n for n in self._loaded if n not in self._names)])

    def __len__(self) -> int:
        return len(set(self._names) | self._loaded.keys())


def main() -> None:
    app()
