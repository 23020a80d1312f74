"""Macros: a reply template whose YAML front matter carries a `set:` block (and a `description`).

    ---
    description: Ask for the details, wait for the customer
    set:
      status: pending
      tags: {add: [needs-info]}
    ---
    Hi {{ requester.first_name }}, ...

The front matter is read strictly (a typo is an error naming the template
and the line); the body is rendered in the sandbox by templating.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError, field_validator

from supportctl import templating
from supportctl.base.datatypes import datatype
from supportctl.config.automation import FieldChanges, check_changes
from supportctl.config.fields import one_line
from supportctl.config.strict import Strict
from supportctl.errors import SupportctlError


class Header(Strict):
    description: str | None = None
    set: FieldChanges = FieldChanges()

    _desc = field_validator("description")(lambda cls, v: one_line(v))


@datatype
class Macro:
    """A reply template: its name, file, description and the changes it makes."""

    name: str
    rel: str                 # templates/replies/x.md.j2
    description: str | None
    changes: FieldChanges
    source: str              # the template text, front matter included

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "path": self.rel, "description": self.description,
                "set": self.changes.model_dump(exclude_defaults=True)}


def load_macro(folder: Path, name: str, config=None) -> Macro:
    """Read templates/NAME and its front matter; with `config`, the states, groups and agents it names must exist."""
    path = templating.find_template(folder, name)
    rel = f"{folder.name}/{path.relative_to(folder).as_posix()}"
    source = templating.read_template(path, rel)
    front, _ = templating.split_front_matter(source)
    header = parse_header(front, rel) if front is not None else Header()
    if config is not None:
        try:
            check_changes(config, header.set, "set")
        except ValueError as exc:
            raise SupportctlError(str(exc), path=rel, line=2, hint="name what supportctl.yml defines") from None
    return Macro(name, rel, header.description, header.set, source)


def parse_header(front: str, rel: str) -> Header:
    import yaml

    from supportctl.base.yamlio import load_with_lines

    try:
        data, lines = load_with_lines(front) if front.strip() else ({}, {})
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SupportctlError(f"front matter is not valid YAML: {getattr(exc, 'problem', exc)}", path=rel,
                              line=(mark.line + 2) if mark else 2, hint="check the indentation") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SupportctlError("front matter must be a mapping (description, set)", path=rel, line=2,
                              hint="e.g. set: {status: pending}")
    try:
        return Header.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and "[" in p))
        line = None
        parts = list(loc)
        while parts and line is None:
            line = lines.get(tuple(parts))
            parts.pop()
        key = ".".join(str(p) for p in loc)
        msg = f"unknown key {key!r}" if err["type"] == "extra_forbidden" else \
            f"{key}: {err['msg'].removeprefix('Value error, ')}"
        raise SupportctlError(f"front matter: {msg}", path=rel, line=(line or 1) + 1,
                              hint="a template's front matter takes description and set: status, priority, "
                                   "type, group, assignee, tags: {add: [...], remove: [...]}") from None


def render_body(folder: Path, name: str, context: dict[str, Any]) -> str:
    """The template's text for a ticket (front matter left out); errors name the template, line and variable."""
    return templating.render(folder, name, context)
