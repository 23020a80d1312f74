"""Reading `supportctl.yml`: every problem becomes a ConfigError with the file, the line and a hint."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from supportctl.errors import ConfigError

if TYPE_CHECKING:
    from supportctl.config.views import Config

# A desk's config is a few KB; these limits keep a broken or hostile file from
# costing more than reading it (the YAML is checked before anything is expanded).
MAX_BYTES = 1_000_000
MAX_DEPTH = 12          # the deepest real key, sla.policies[].escalate[].{...}, is 5 levels down
_SURROGATE = re.compile("[\ud800-\udfff]")
CACHE_VERSION = 1   # of the validated-config cache (_cached, _store)


def load_config(path: Path, cache: Path | None = None) -> Config:
    """Read and validate supportctl.yml; errors name the file, the line and the key.

    The result is the validated models as config/views.py's plain objects. With
    `cache` (a file in the desk's cache folder) a file validated before is read
    back from there: its views kept beside the exact bytes and the code they
    were validated with, so a read command needs neither YAML nor pydantic
    (together ~4x the rest of `ticket show`). Any other file is validated.
    """
    rel = path.name
    raw = _read_bytes(path, rel)
    if cache is not None:
        config = _cached(cache, raw)
        if config is not None:
            return config
    config = _validate(raw, rel)
    if cache is not None:
        _store(cache, raw, config)
    return config


def _validate(raw: bytes, rel: str) -> Config:
    """The views of a validated file, or a ConfigError with the line."""
    from pydantic import ValidationError

    from supportctl.config.model import Config
    from supportctl.config.views import to_view

    data, lines = _read(raw, rel)
    try:
        return to_view(Config.model_validate(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err["loc"])
        if not loc:   # a check across keys (config/automation.py) names its rule: point at that rule's line
            m = re.match(r"Value error, automations\[(\d+)\]", err["msg"])
            if m:
                loc = ("automations", int(m.group(1)))
        line = _nearest_line(lines, loc)
        key = ".".join(str(p) for p in loc) if err["loc"] else ""
        msg = _clip(err["msg"].removeprefix("Value error, "))
        if err["type"] == "extra_forbidden":
            msg, hint = f"unknown key {_clip(key)!r}", "check the spelling; see docs/configuration.md for the keys"
        else:
            hint = "see docs/configuration.md"
            msg = f"{_clip(key)}: {msg}" if key else msg
        more = len(exc.errors()) - 1
        if more:
            hint += f" ({more} more problem{'s' if more > 1 else ''} after this one)"
        raise ConfigError(msg, path=rel, line=line, hint=hint) from None


def _read_bytes(path: Path, rel: str) -> bytes:
    """The file's bytes, or a ConfigError: missing, unreadable or too large."""
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ConfigError(f"the file is {path.stat().st_size // 1000} KB", path=rel,
                              hint=f"a configuration is a few KB; the limit is {MAX_BYTES // 1000} KB")
        return path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{rel} not found", path=str(path), hint="run `supportctl init`") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {rel}: {exc.strerror}", path=str(path),
                          hint="it must be a readable regular file") from None


def _code_key() -> tuple:
    """What validation depends on besides the file: the Python, supportctl, and the code of config/ and base/."""
    import sys

    from supportctl import __version__

    package = Path(__file__).parent.parent
    files = sorted((folder, e.name, e.stat().st_size, e.stat().st_mtime_ns) for folder in ("config", "base")
                   for e in os.scandir(package / folder) if e.name.endswith(".py"))
    return (CACHE_VERSION, sys.version_info[:2], __version__, tuple(files))


def _cached(cache: Path, raw: bytes) -> Config | None:
    """The views validated from exactly these bytes by this code, or None."""
    import marshal

    from supportctl.config.views import decode

    try:
        key, source, views = marshal.loads(cache.read_bytes())
        if source != raw or key != _code_key():
            return None
        return decode(views)
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError):
        return None   # none yet, or unreadable: validate again


def _store(cache: Path, raw: bytes, config: Config) -> None:
    """Keep the views for the next command; a desk that cannot be written to just validates each time."""
    import marshal

    from supportctl.config.views import encode

    try:
        data = marshal.dumps((_code_key(), raw, encode(config)))
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(f".{cache.name}.{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, cache)
    except (OSError, TypeError, ValueError):
        pass


def _read(raw: bytes, rel: str) -> tuple[dict, dict[tuple, int]]:
    """The parsed mapping and {key path: line}, or a ConfigError."""
    import yaml

    from supportctl.base.yamlio import (ShapeError, check_shape, load_with_lines, unreadable_scalar,
                                        yaml_error_line)

    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"byte 0x{raw[exc.start]:02x} is not UTF-8", path=rel, line=line,
                          hint="save the file as UTF-8 (it may have been written as Latin-1 or Windows-1252)") from None
    try:
        check_shape(text, max_depth=MAX_DEPTH)
        data, lines = load_with_lines(text)
    except ShapeError as exc:
        raise ConfigError(exc.message, path=rel, line=exc.line, hint=exc.hint) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {_clip(str(getattr(exc, 'problem', exc)))}", path=rel,
                          line=yaml_error_line(exc),
                          hint="check indentation and quote values that contain ': ' or '#'") from None
    except (ValueError, OverflowError) as exc:   # e.g. an unquoted 2026-13-01, a 5,000-digit number
        found = unreadable_scalar(text)
        if found is None:
            raise ConfigError(f"a value cannot be read: {_clip(str(exc))}", path=rel,
                              hint="quote dates and check numbers near this value") from None
        where, line, value, why = found
        # YAML reads an unquoted 2026-12-24 as a date; one that is no date fails before any check sees it.
        hint = (f'quote it ("{_clip(value, 40)}") and make it a real date' if value[:1].isdigit() and "-" in value
                else "check the number")
        raise ConfigError(f"{_clip('.'.join(map(str, where)))}: {_clip(value, 40)} cannot be read: {_clip(why)}",
                          path=rel, line=line, hint=hint) from None
    if not isinstance(data, dict):
        raise ConfigError("the file must be a mapping with at least `desk: {name: ...}`", path=rel, line=1,
                          hint="run `supportctl init` in an empty folder to see a complete example")
    bad = _find_bad(data, ())
    if bad:
        where, problem, hint = bad
        raise ConfigError(f"{_clip('.'.join(map(str, where)))}: {problem}", path=rel,
                          line=_nearest_line(lines, where), hint=hint)
    return data, lines


def _find_bad(value: Any, path: tuple) -> tuple[tuple, str, str] | None:
    """The first value no model should see: an ambiguous YAML 1.1 scalar or text with a lone surrogate."""
    from supportctl.base.yamlio import Ambiguous

    if isinstance(value, Ambiguous):
        return path, f"ambiguous value {_clip(value.text)}", value.hint()
    if isinstance(value, str) and _SURROGATE.search(value):
        return path, "the text contains a lone surrogate (\\ud800-\\udfff)", "remove the escape; it is not a character"
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        if isinstance(key, Ambiguous):   # e.g. a bare `on:` key, which YAML 1.1 reads as true
            return path + (key.text,), f"ambiguous value {_clip(key.text)}", key.hint()
        if isinstance(key, str) and _SURROGATE.search(key):
            return path + (key,), "the key contains a lone surrogate", "remove the escape"
        found = _find_bad(item, path + (key,))
        if found:
            return found
    return None


def _nearest_line(lines: dict[tuple, int], loc: tuple) -> int | None:
    """The line of the deepest part of `loc` that is in the file (pydantic adds union tags)."""
    parts = [p for p in loc if not (isinstance(p, str) and ("[" in p or p in ("list[str]",)))]
    while parts:
        line = lines.get(tuple(parts))
        if line:
            return line
        parts.pop()
    return 1


def _clip(text: str, limit: int = 160) -> str:
    """A message never repeats a 300-digit number or a 1 MB string in full."""
    return text if len(text) <= limit else text[:limit] + "..."
