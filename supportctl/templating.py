"""Reply, note and notification templates: Jinja2 in a sandbox, strict about missing variables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from supportctl.errors import NotFound, SupportctlError

SUFFIXES = (".md.j2", ".md", ".j2", ".txt")


def template_names(folder: Path) -> list[str]:
    if not folder.is_dir():
        return []
    names = set()
    for path in folder.rglob("*"):
        if path.is_file():
            for suffix in SUFFIXES:
                if path.name.endswith(suffix):
                    names.add(path.relative_to(folder).as_posix()[: -len(suffix)])
                    break
    return sorted(names)


def find_template(folder: Path, name: str) -> Path:
    for suffix in ("",) + SUFFIXES:
        path = folder / f"{name}{suffix}"
        if path.is_file():
            return path
    names = template_names(folder)
    raise NotFound(f"no template {name!r} in {folder.name}/",
                   hint=f"templates: {', '.join(names) or '(none)'}")


def render(folder: Path, name: str, context: dict[str, Any]) -> str:
    """Render templates/NAME with the context; a missing variable is an error, not a blank."""
    from jinja2 import StrictUndefined, TemplateError, UndefinedError
    from jinja2.sandbox import SandboxedEnvironment

    path = find_template(folder, name)
    env = SandboxedEnvironment(undefined=StrictUndefined, keep_trailing_newline=False, autoescape=False)
    rel = f"{folder.name}/{path.relative_to(folder).as_posix()}"
    try:
        template = env.from_string(path.read_text(encoding="utf-8"))
        return template.render(**context).strip() + "\n"
    except UndefinedError as exc:
        raise SupportctlError(f"template {name!r}: {exc.message}", path=rel,
                              hint="the variables are ticket, requester, agent and desk; "
                                   "use {{ x | default('') }} for optional ones") from None
    except TemplateError as exc:
        raise SupportctlError(f"template {name!r}: {exc}", path=rel, line=getattr(exc, "lineno", None),
                              hint="fix the Jinja2 syntax") from None


def ticket_context(desk, ticket, agent: str | None) -> dict[str, Any]:
    """What templates see: ticket fields, requester, agent and desk."""
    meta = dict(ticket.meta)
    requester = meta.get("requester") or {}
    name = requester.get("name", "") if isinstance(requester, dict) else str(requester)
    agent_info = desk.config.agent_map().get(agent) if agent else None
    return {
        "ticket": {**meta, "id": ticket.id, "url": None},
        "requester": {"name": name, "first_name": name.split(" ")[0] if name else "",
                      "email": requester.get("email", "") if isinstance(requester, dict) else ""},
        "agent": {"handle": agent or "", "name": (agent_info.name if agent_info and agent_info.name else agent or ""),
                  "email": agent_info.email if agent_info else None},
        "desk": desk.config.desk.model_dump(),
    }
