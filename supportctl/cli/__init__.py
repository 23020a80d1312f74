"""The `supportctl` command: noun groups over the core library."""

from __future__ import annotations

from typing import Any, Optional

import typer
from typer.core import TyperGroup

from supportctl import __version__
from supportctl.errors import SupportctlError


class App(TyperGroup):
    """Turns user errors raised anywhere below into `error:`/`hint:` lines and an exit code."""

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


# Noun groups and top-level commands. Each module adds its commands to `app`
# or defines a Typer registered here.
from supportctl.cli import desk as _desk  # noqa: E402  (init, paths, check)
from supportctl.cli import ticket as _ticket  # noqa: E402

app.add_typer(_ticket.app, name="ticket")
from supportctl.cli import kb as _kb  # noqa: E402
from supportctl.cli import site as _site  # noqa: E402

app.add_typer(_kb.app, name="kb")
app.add_typer(_site.app, name="site")
from supportctl.cli import sla as _sla  # noqa: E402

app.add_typer(_sla.app, name="sla")
from supportctl.cli import mail as _mail  # noqa: E402

app.add_typer(_mail.app, name="mail")
from supportctl.cli import git as _git  # noqa: E402

app.add_typer(_git.app, name="git")
app.command("queue")(_sla.queue)
from supportctl.cli import report as _report  # noqa: E402
from supportctl.cli import satisfaction as _satisfaction  # noqa: E402

app.add_typer(_report.app, name="report")
from supportctl.cli import customer as _customer  # noqa: E402,F401  (list, show, new, set, merge on that group)
from supportctl.cli import org as _org  # noqa: E402

app.add_typer(_satisfaction.customer_app, name="customer")
app.add_typer(_org.app, name="org")
from supportctl.cli import imports as _imports  # noqa: E402

app.add_typer(_imports.app, name="import")
_ticket.app.command("rate")(_satisfaction.rate)
from supportctl.cli import automate as _automate  # noqa: E402
from supportctl.cli import templates as _templates  # noqa: E402

app.add_typer(_automate.app, name="automate")
app.add_typer(_templates.app, name="templates")


def main() -> None:
    app()
