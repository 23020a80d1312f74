"""Helpers for automation tests: rules and templates added to the test desk, records read back."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git


def add_config(desk: Path, text: str) -> None:
    """Append YAML (e.g. an `automations:` block) to supportctl.yml and commit it."""
    path = desk / "supportctl.yml"
    path.write_text(path.read_text() + "\n" + text)
    git(desk, "add", "-A")
    git(desk, "commit", "-qm", "test rules")


def add_template(desk: Path, name: str, text: str, commit: bool = True) -> None:
    path = desk / "templates" / f"{name}.md.j2"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    if commit:
        git(desk, "add", "-A")
        git(desk, "commit", "-qm", f"template {name}")


def show(cli, tid: str) -> dict:
    return json.loads(cli("ticket", "show", tid, "--json").stdout)


def rule_events(data: dict) -> list[tuple[str, str, list[str]]]:
    """(at, rule, change lines) of every event a rule wrote."""
    out = []
    for record in data["history"]:
        if record["kind"] != "event":
            continue
        changes = record["changes"]
        rule = next((c["new"] for c in changes if c["field"] == "rule"), None)
        if rule:
            lines = []
            for c in changes:
                if c["field"] in ("rule", "reply", "note"):
                    continue
                if c["op"] == "set":
                    lines.append(f"{c['field']}: {c['old']} -> {c['new']}")
                elif c["op"] == "add":
                    lines.append(f"{c['field']}: +{c['new']}")
                elif c["op"] == "remove":
                    lines.append(f"{c['field']}: -{c['old']}")
                else:
                    lines.append(f"{c['field']}: {c['new']}")
            out.append((record["at"], rule, lines))
    return out
