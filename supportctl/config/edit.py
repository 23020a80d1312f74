"""Changing one setting of `supportctl.yml` in place: one line written, every other byte kept."""

from __future__ import annotations

from supportctl.errors import ConfigError


def with_desk_setting(text: str, key: str, value: str) -> str:
    """`text` with `desk.<key>` set to the YAML scalar `value`, checked by reading it back."""
    import yaml

    out = _edited(text, key, value)
    try:   # the same settings as before, and this one
        before = yaml.safe_load(text)
        same = yaml.safe_load(out) == {**before, "desk": {**before["desk"], key: yaml.safe_load(value)}}
    except (yaml.YAMLError, AttributeError, KeyError, TypeError):
        same = False
    if not same:
        raise ConfigError(f"cannot set desk.{key} in supportctl.yml in place", path="supportctl.yml",
                          hint=f"add `{key}: {value}` under `desk:` by hand")
    return out


def _edited(text: str, key: str, value: str) -> str:
    """`text` with `desk.<key>` set to the YAML scalar `value`: its line replaced, or one line added.

    A round-trip dump would re-align the file's flow mappings and move blank
    lines; a person's file keeps its layout. The `desk:` section may be a
    block mapping (as `supportctl init` writes it) or a flow mapping; an
    edit that would not read back as intended is refused.
    """
    import yaml

    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        raise ConfigError(f"supportctl.yml is not valid YAML ({exc})", path="supportctl.yml",
                          hint="run `supportctl check` and fix what it reports") from None
    desk = None
    if isinstance(root, yaml.MappingNode):
        desk = next((v for k, v in root.value if k.value == "desk"), None)
    if not isinstance(desk, yaml.MappingNode):
        raise ConfigError(f"cannot set desk.{key} in supportctl.yml: it has no `desk:` section",
                          path="supportctl.yml", hint=f"add `{key}: {value}` under `desk:` by hand")
    lines = text.split("\n")
    for k, v in desk.value:
        if k.value == key:
            if k.start_mark.line != v.end_mark.line:
                raise ConfigError(f"cannot set desk.{key} in supportctl.yml: its value spans lines",
                                  path="supportctl.yml", line=k.start_mark.line + 1,
                                  hint=f"write `{key}: {value}` on one line by hand")
            line = lines[k.start_mark.line]
            lines[k.start_mark.line] = line[:v.start_mark.column] + value + line[v.end_mark.column:]
            return "\n".join(lines)
    if desk.flow_style:
        # `desk: {name: Acme}`: the new pair goes in before the closing brace.
        end = desk.end_mark
        line = lines[end.line]
        pair = (", " if desk.value else "") + f"{key}: {value}"
        lines[end.line] = line[:end.column - 1] + pair + line[end.column - 1:]
        return "\n".join(lines)
    # After the section's last key, indented as its first.
    last = desk.value[-1][1].end_mark
    at = last.line if last.column == 0 else last.line + 1
    lines.insert(at, " " * desk.value[0][0].start_mark.column + f"{key}: {value}")
    return "\n".join(lines)
