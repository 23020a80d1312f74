"""The files `supportctl init` writes into a new desk, read from the package data under `files/`.

`files/` is laid out as the files land in a new desk, with two naming rules:
a path part `dot-x` lands as `.x` (so the package itself holds no `.gitignore`
or `.github/` that git, hatch or GitHub would act on), and a name ending in
`.tmpl` is filled in with `string.Template` (`${name}` placeholders) and
lands without the suffix. Everything else is copied byte for byte.
"""

from __future__ import annotations

import json
import re
from datetime import date
from importlib.resources import files as package_files
from importlib.resources.abc import Traversable
from string import Template

# The help site's files; `starter_files` returns these, `desk_files` the rest.
SITE_PREFIXES = ("mkdocs.yml", "kb/", "templates/kb/", "overrides/")
# The GitHub repository supportctl is published from (owner/name; it is on no
# package index). The workflows and the pre-commit config init writes install
# supportctl from it (its action.yml and .pre-commit-hooks.yaml), at the tag
# of the version that wrote the desk; `init --source` names a fork or mirror.
SOURCE = "supportctl/supportctl"
_SOURCE_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?/[A-Za-z0-9._-]+")


def source_ok(source: str) -> bool:
    """True for a GitHub `owner/name`, as `uses:` and a repository URL need it."""
    return bool(_SOURCE_RE.fullmatch(source)) and not source.endswith((".", ".git"))


def slug(text: str) -> str:
    """A handle made of lowercase letters, digits and dashes."""
    value = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return value or "agent"


def desk_files(name: str, timezone: str, agent: str, agent_name: str, agent_email: str,
               url: str | None = None, source: str = SOURCE) -> dict[str, str]:
    """Relative path -> text for a new desk: config, tickets/, reply templates, git and CI files."""
    from supportctl import __version__

    url_line = (f"url: {url}                # public address of the help site" if url else
                "# url: https://help.example.com       # public address of the help site (links in replies)")
    values = {"name": _yaml_str(name), "timezone": timezone, "agent": agent, "agent_name": _yaml_str(agent_name),
              "agent_email": agent_email, "url_line": url_line, "source": source, "source_ref": f"v{__version__}"}
    return _render(values, site=False)


def starter_files(desk_name: str, today: date) -> dict[str, str]:
    """Relative path -> text of the help site's files: mkdocs.yml, theme overrides, a first KB article."""
    values = {"desk_name": desk_name, "today": today.isoformat(),
              "welcome_title": _yaml_str(f"Welcome to {desk_name}")}
    return _render(values, site=True)


def _render(values: dict[str, str], *, site: bool) -> dict[str, str]:
    out = {}
    for rel, source in _walk(package_files("supportctl.starter") / "files", ""):
        if rel.startswith(SITE_PREFIXES) != site:
            continue
        text = source.read_text(encoding="utf-8")
        if rel.endswith(".tmpl"):
            rel, text = rel[: -len(".tmpl")], Template(text).substitute(values)
        out[rel] = text
    return out


def _walk(folder: Traversable, prefix: str):
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        name = "." + entry.name[4:] if entry.name.startswith("dot-") else entry.name
        if entry.is_dir():
            yield from _walk(entry, prefix + name + "/")
        else:
            yield prefix + name, entry


def _yaml_str(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z][A-Za-z0-9 .'-]*", text) else json.dumps(text)
