"""Reading the desk's human-owned `mkdocs.yml`: where the docs go, which theme and plugins it uses."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from supportctl.base.datatypes import datatype
from supportctl.errors import SupportctlError


class _LenientLoader(yaml.SafeLoader):
    """Reads mkdocs.yml without running or rejecting its `!ENV` and `!!python/name:` tags."""


def _tagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        # `!ENV [NAME, default]`: the default is what a plain `mkdocs build` sees.
        items = loader.construct_sequence(node)
        return items[-1] if items else None
    return loader.construct_mapping(node)  # type: ignore[arg-type]


_LenientLoader.add_multi_constructor("!", _tagged)
_LenientLoader.add_multi_constructor("tag:yaml.org,2002:python/", _tagged)


@datatype
class MkdocsInfo:
    """The parts of mkdocs.yml that staging and building need."""

    path: Path
    data: dict[str, Any]

    @property
    def docs_dir(self) -> str:
        return str(self.data.get("docs_dir") or "docs")

    @property
    def site_dir(self) -> str:
        return str(self.data.get("site_dir") or "site")

    @property
    def inherit(self) -> str | None:
        value = self.data.get("INHERIT")
        return str(value) if value else None

    def plugin_names(self) -> list[str]:
        plugins = self.data.get("plugins")
        if plugins is None:
            return ["search"]
        names = []
        for item in plugins if isinstance(plugins, list) else list(plugins):
            names.append(next(iter(item)) if isinstance(item, dict) else str(item))
        return names

    @property
    def custom_dir(self) -> str | None:
        """The theme's overrides folder (`overrides/`); the engine copies its files into the site."""
        theme = self.data.get("theme")
        value = theme.get("custom_dir") if isinstance(theme, dict) else None
        return str(value) if value else None

    @property
    def theme_name(self) -> str | None:
        theme = self.data.get("theme")
        return theme.get("name") if isinstance(theme, dict) else theme


def read_mkdocs(root: Path) -> MkdocsInfo:
    """Read mkdocs.yml at the desk root; raise a readable error if it is missing or broken."""
    path = root / "mkdocs.yml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SupportctlError("no mkdocs.yml at the desk root", path="mkdocs.yml",
                              hint="`supportctl init` writes a starter mkdocs.yml; the help site needs one") from None
    try:
        data = yaml.load(text, Loader=_LenientLoader) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise SupportctlError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path="mkdocs.yml",
                              line=mark.line + 1 if mark else None, hint="fix mkdocs.yml") from None
    if not isinstance(data, dict):
        raise SupportctlError("mkdocs.yml must be a mapping", path="mkdocs.yml", hint="see docs/kb.md")
    return MkdocsInfo(path, data)
