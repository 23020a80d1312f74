"""YAML reading and writing.

Two loaders on purpose: PyYAML's C loader reads thousands of headers a second,
ruamel.yaml's round-trip mode is ~10x slower but keeps comments, key order and
quoting when one file is rewritten. Both are wrapped here so the rest of the
code never sees the difference.
"""

from __future__ import annotations

import io
import re
from typing import TYPE_CHECKING, Any

from supportctl.base.datatypes import datatype

if TYPE_CHECKING:
    import yaml

# PyYAML itself and the loaders built on it live in base/loader.py, imported by
# the functions that parse: importing PyYAML costs ~20 ms (mostly one regex),
# which a command that parses no YAML (a warm `ticket list`, `sla check`) skips.


@datatype(frozen=True)
class Ambiguous:
    """A plain scalar that YAML 1.1 (PyYAML, MkDocs) and YAML 1.2 read differently."""

    text: str

    def hint(self) -> str:
        return f"quote it: '{self.text}' (YAML 1.1 reads {self.text} as a boolean or a number)"


# YAML 1.1 turns yes/no/on/off into booleans, 0123 into octal 83 and 12:30 into
# sexagesimal 750. YAML 1.2 tools (ruamel, editors) read them as strings or
# decimals, so a ticket would mean different things to different tools.
# Such scalars resolve to a private tag (base/loader.py) and become `Ambiguous`
# markers that validation reports, instead of being silently converted.
AMBIGUOUS_TAG = "tag:supportctl,2026:ambiguous"
AMBIGUOUS_RE = re.compile(
    r"^(?:yes|Yes|YES|no|No|NO|on|On|ON|off|Off|OFF"
    r"|[-+]?0[0-9_]+"                          # leading zero: octal in 1.1
    r"|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+"     # 12:30 -> sexagesimal int in 1.1
    r"|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*)$")  # sexagesimal float


def __getattr__(name: str) -> Any:
    """FastLoader and Refused, from base/loader.py (which imports PyYAML) when first asked for."""
    if name in ("FastLoader", "Refused"):
        from supportctl.base import loader

        return getattr(loader, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def split_front_matter(text: str) -> tuple[str, str]:
    """(front matter, rest) of a Markdown file; ValueError((message, hint)) when it has none."""
    if not text.startswith("---\n"):
        raise ValueError(("the file does not start with YAML front matter",
                          "the first line must be --- and the front matter must close with ---"))
    end = text.find("\n---\n", 3)
    if end == -1:
        if not text.endswith("\n---"):
            raise ValueError(("the front matter is not closed", "add a line with --- after the last front-matter key"))
        end = len(text) - 4
    return text[4:end + 1], text[end + 5:]


# Front matter and config are shallow: deeper nesting is refused, as are
# anchors and aliases (an alias bomb expands a few lines into billions of
# items; deep nesting exhausts the recursion limit of the constructor).
MAX_DEPTH = 16
# Cheap signs that a text might hold an anchor, an alias or deep nesting;
# only then is the event stream walked before loading (it costs a second
# parse). Each level of block nesting needs one more column of indentation.
_DEEP_INDENT = re.compile(r"^[ \t?:-]{8,}", re.M)


def _suspect(text: str) -> bool:
    return ("&" in text or "*" in text or text.count("[") + text.count("{") > 8
            or _DEEP_INDENT.search(text) is not None)


def refuse_unsafe(text: str) -> None:
    """Raise `Refused` for anchors, aliases or nesting deeper than MAX_DEPTH, before anything is built."""
    if not _suspect(text):
        return
    from supportctl.base.loader import FastLoader, Refused, yaml

    depth = 0
    for event in yaml.parse(text, Loader=FastLoader):
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise Refused("anchors and aliases (&name, *name) are not allowed", event.start_mark,
                          "write the value out in full instead of referring to it")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > MAX_DEPTH:
                raise Refused(f"the YAML is nested more than {MAX_DEPTH} levels deep", event.start_mark,
                              "flatten the structure")
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_fast(text: str) -> Any:
    """Parse YAML with the C loader (ambiguous scalars become `Ambiguous`); unsafe YAML is refused."""
    from supportctl.base.loader import FastLoader, yaml

    refuse_unsafe(text)
    return yaml.load(text, Loader=FastLoader)


_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")
_FLOW = re.compile(r"[,\[\]{}]")


def quoted(text: str) -> Any:
    """`text` as ruamel should write it: double-quoted unless the fast loader reads it back unchanged."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    if type(text) is not str:
        return text  # already a ruamel scalar string: keep its style
    plain = bool(text) and text == text.strip() and not _CONTROL.search(text)
    if plain:
        from supportctl.base.loader import FastLoader, yaml

        try:
            plain = yaml.load(text, Loader=FastLoader) == text
            # ruamel also writes the text plain inside `[...]` / `{...}`, where libyaml
            # refuses some colons (`yes:?`) that it reads in a block.
            if plain and ":" in text and not _FLOW.search(text):
                plain = yaml.load(f"[{text}]", Loader=FastLoader) == [text]
        except yaml.YAMLError:
            plain = False
    return text if plain else DoubleQuotedScalarString(text)


def load_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    """Parse YAML; also return {path: line} for every mapping key and list item (1-based)."""
    from supportctl.base.loader import FastLoader, yaml

    refuse_unsafe(text)
    loader = FastLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    finally:
        loader.dispose()
    lines: dict[tuple, int] = {}

    def walk(n, path: tuple) -> None:
        if isinstance(n, yaml.MappingNode):
            for key_node, value_node in n.value:
                key = path + (key_node.value,)
                lines[key] = key_node.start_mark.line + 1
                walk(value_node, key)
        elif isinstance(n, yaml.SequenceNode):
            for i, item in enumerate(n.value):
                lines[path + (i,)] = item.start_mark.line + 1
                walk(item, path + (i,))

    if node is not None:
        walk(node, ())
    return data, lines


def unreadable_scalar(text: str) -> tuple[tuple, int, str, str] | None:
    """(key path, 1-based line, text, why) of the first scalar the loader cannot build, or None.

    An unquoted `2026-02-30` resolves as a date and fails only when it is built,
    where PyYAML's error carries no position: the node tree still has one.
    """
    from supportctl.base.loader import FastLoader, yaml

    loader = FastLoader(text)
    try:
        root = loader.get_single_node()

        def walk(n, path: tuple):
            if isinstance(n, yaml.ScalarNode):
                try:
                    loader.construct_object(n)
                except (ValueError, OverflowError) as exc:
                    return path, n.start_mark.line + 1, n.value, str(exc)
                return None
            items = n.value if isinstance(n, yaml.MappingNode) else enumerate(n.value) \
                if isinstance(n, yaml.SequenceNode) else ()
            for key, value in items:
                found = walk(value, path + ((key.value if isinstance(key, yaml.Node) else key),))
                if found:
                    return found
            return None

        return walk(root, ()) if root is not None else None
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def yaml_error_line(exc: yaml.YAMLError) -> int | None:
    """The 1-based line of a PyYAML parse error, when it has one.

    For an unclosed bracket or quote PyYAML's problem mark is where it gave up
    (often the end of the text); the context mark is where the construct
    began, which is the line to fix.
    """
    mark = getattr(exc, "context_mark", None) or getattr(exc, "problem_mark", None)
    return mark.line + 1 if mark is not None else None


class ShapeError(ValueError):
    """YAML a hand-written file should never contain: an alias, deep nesting, a duplicate key."""

    def __init__(self, message: str, line: int | None, hint: str) -> None:
        super().__init__(message)
        self.message, self.line, self.hint = message, line, hint


def check_shape(text: str, *, max_depth: int) -> None:
    """Refuse anchors/aliases, nesting deeper than `max_depth` and duplicate keys, from the event
    stream alone: nothing is expanded, so an alias bomb costs no more than reading its text.
    """
    # A stack of open collections: [is_mapping, expecting_a_key, keys seen].
    from supportctl.base.loader import Base, yaml

    stack: list[list] = []

    def node_done() -> None:
        if stack and stack[-1][0]:
            stack[-1][1] = not stack[-1][1]

    for event in yaml.parse(text, Loader=Base):
        line = event.start_mark.line + 1 if event.start_mark is not None else None
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise ShapeError("YAML anchors and aliases (&name, *name) are not allowed here", line,
                             "write the values out in full")
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            if len(stack) >= max_depth:
                raise ShapeError(f"nested deeper than {max_depth} levels", line,
                                 "a configuration never needs this much nesting")
            if stack and stack[-1][0] and stack[-1][1]:
                raise ShapeError("a list or mapping used as a key", line, "keys are plain names")
            stack.append([isinstance(event, yaml.MappingStartEvent), True, set()])
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            stack.pop()
            node_done()
        elif isinstance(event, yaml.ScalarEvent):
            top = stack[-1] if stack else None
            if top is not None and top[0] and top[1]:
                if event.value in top[2]:
                    raise ShapeError(f"duplicate key {event.value!r}", line,
                                     "each key may appear once in a mapping; the second would silently win")
                top[2].add(event.value)
            node_done()


# --------------------------------------------------------------------- ruamel


def _roundtrip():
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 4096  # never fold long titles onto a second line
    rt.indent(mapping=2, sequence=4, offset=2)
    # ruamel writes an empty value for None; tickets say `null` explicitly.
    rt.representer.add_representer(type(None), lambda r, d: r.represent_scalar("tag:yaml.org,2002:null", "null"))
    rt.representer.add_representer(Stamp, lambda r, d: r.represent_scalar("tag:yaml.org,2002:timestamp", str(d)))
    return rt


class Stamp(str):
    """A timestamp string that YAML writes as a plain (unquoted) timestamp scalar."""


def rt_load(text: str) -> Any:
    """Round-trip load (keeps comments, order, quotes)."""
    return _roundtrip().load(text)


def rt_dump(data: Any) -> str:
    """Round-trip dump of what `rt_load` returned (possibly edited)."""
    out = io.StringIO()
    _roundtrip().dump(data, out)
    return out.getvalue()


def flow_seq(items: list) -> Any:
    """A list that ruamel writes in flow style: `[a, b]`."""
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


def flow_map(items: dict) -> Any:
    """A mapping that ruamel writes in flow style: `{name: x, email: y}`."""
    from ruamel.yaml.comments import CommentedMap

    m = CommentedMap(items)
    m.fa.set_flow_style()
    return m
