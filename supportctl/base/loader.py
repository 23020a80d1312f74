"""PyYAML's C loader, strict: YAML 1.1's ambiguous scalars marked, not converted; what is refused unbuilt."""

from __future__ import annotations

import re
from typing import Any

import yaml

from supportctl.base.yamlio import AMBIGUOUS_RE, AMBIGUOUS_TAG, Ambiguous

try:  # the C loader is ~10x faster; fall back for platforms without libyaml
    Base = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    Base = yaml.SafeLoader


class FastLoader(Base):  # type: ignore[misc,valid-type]
    """CSafeLoader that marks ambiguous YAML 1.1 scalars instead of converting them."""


FastLoader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in value if tag not in ("tag:yaml.org,2002:bool",)]
    for key, value in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
FastLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                                 list("tTfF"))
FastLoader.add_implicit_resolver(AMBIGUOUS_TAG, AMBIGUOUS_RE, list("yYnNoO-+0123456789"))
# The resolver list for a first character is tried in order; ours must win over int/float.
for _key, _value in FastLoader.yaml_implicit_resolvers.items():
    _value.sort(key=lambda item: item[0] != AMBIGUOUS_TAG)
FastLoader.add_constructor(AMBIGUOUS_TAG, lambda loader, node: Ambiguous(node.value))


class Refused(yaml.YAMLError):
    """YAML that is refused before it is built (alias, anchor, deep nesting)."""

    def __init__(self, problem: str, mark: Any, hint: str) -> None:
        super().__init__(problem)
        self.problem, self.problem_mark, self.context_mark, self.hint = problem, mark, None, hint

    def __str__(self) -> str:
        return self.problem
