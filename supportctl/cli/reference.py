"""The CLI reference (docs/cli.md), generated from the commands themselves.

    python -m supportctl.cli.reference > docs/cli.md

A test compares docs/cli.md with this output, so the reference cannot drift
from the code.
"""

from __future__ import annotations

from typing import Any


def _params(command: Any) -> tuple[list[str], list[str]]:
    arguments, options = [], []
    for param in command.params:
        if getattr(param, "hidden", False):
            continue
        help_text = " ".join((getattr(param, "help", None) or "").split())
        if param.param_type_name == "argument":
            name = (param.metavar or param.name.upper()).strip("[]{}.")
            arguments.append(f"| `{name}` | {help_text} |")
        else:
            names = ", ".join(f"`{o}`" for o in [*param.opts, *param.secondary_opts])
            if not param.is_flag and param.metavar:
                names += f" {param.metavar}"
            default = param.default
            if not param.is_flag and default not in (None, (), [], False) and not callable(default):
                help_text += f" (default: {default})"
            options.append(f"| {names} | {help_text} |")
    return arguments, options


def _section(path: str, command: Any, level: int) -> list[str]:
    out = [f"{'#' * level} `{path}`", ""]
    doc = (command.help or "").strip().split("\n\n")[0]
    out += [" ".join(doc.split()), ""]
    if getattr(command, "commands", None):
        out += ["| command | what it does |", "|---|---|"]
        for name, sub in sorted(command.commands.items()):
            out.append(f"| `{path} {name}` | {' '.join((sub.help or '').split())} |")
        out.append("")
        for name, sub in sorted(command.commands.items()):
            out += _section(f"{path} {name}", sub, level + 1)
        return out
    arguments, options = _params(command)
    if arguments:
        out += ["| argument | |", "|---|---|", *arguments, ""]
    if options:
        out += ["| option | |", "|---|---|", *options, ""]
    return out


def render() -> str:
    """docs/cli.md as text."""
    from typer.main import get_command

    from supportctl.cli import app

    root = get_command(app)
    lines = ["# Command reference", "",
             "Generated from the commands by `python -m supportctl.cli.reference`; do not edit by hand.", "",
             "Global option: `-C PATH` runs in the desk at PATH (default: the nearest `supportctl.yml` "
             "upwards, or `SUPPORTCTL_ROOT`).", ""]
    for name, command in sorted(root.commands.items()):
        lines += _section(f"supportctl {name}", command, 2)
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.write(render())
