"""`init`, `paths` and `check` on real desks."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from pathlib import Path

from tests.conftest import git, new_ticket


def test_init_writes_a_desk_and_commits_it(tmp_path, cli):
    root = tmp_path / "acme"
    cli("init", root, "--name", "Acme Help", "--timezone", "Europe/Dublin", "--agent", "niamh")
    for rel in ("supportctl.yml", "tickets", "kb", "templates", "mkdocs.yml", ".gitignore",
                ".github/workflows/supportctl-check.yml", ".github/workflows/supportctl-sla.yml",
                ".github/workflows/supportctl-pages.yml", ".pre-commit-config.yaml"):
        assert (root / rel).exists(), rel
    assert git(root, "log", "--format=%s").strip() == "supportctl: new desk Acme Help"
    assert git(root, "status", "--porcelain").strip() == ""
    assert ".supportctl/" in (root / ".gitignore").read_text()
    r = cli("-C", root, "check")
    assert r.exit_code == 0 and "no problems" in r.stderr
    # The new desk works at once for its first agent.
    r = cli("-C", root, "ticket", "new", "--title", "Hello", "--from", "a@b.example", "--as", "niamh")
    assert len(r.stdout.strip()) == 6


def test_init_writes_the_starter_files_of_the_package_and_nothing_else(tmp_path, cli):
    """`supportctl/starter/files/` is the desk as init lays it out: `dot-x` lands as `.x`, `*.tmpl` is filled in."""
    root = tmp_path / "d"
    cli("init", root, "--name", 'Acme: "Help"', "--timezone", "UTC", "--agent", "bob", "--no-commit")
    source = Path(str(files("supportctl.starter") / "files"))
    expected = set()
    for path in source.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts:
            rel = "/".join("." + p[4:] if p.startswith("dot-") else p for p in path.relative_to(source).parts)
            if rel.endswith(".tmpl"):
                rel = rel[: -len(".tmpl")]
                # No placeholder left (a workflow's own `${{ ... }}` is GitHub's, written as `$${{`).
                assert not re.search(r"\$\{[A-Za-z_]\w*\}", (root / rel).read_text()), rel
            else:
                assert (root / rel).read_bytes() == path.read_bytes(), rel
            expected.add(rel)
    landed = {p.relative_to(root).as_posix() for p in root.rglob("*")
              if p.is_file() and p.relative_to(root).parts[0] != ".git"}
    assert landed == expected
    # A name YAML would misread (a colon, quotes) still gives a valid config and welcome article.
    r = cli("-C", root, "kb", "show", "welcome", "--json")
    assert json.loads(r.stdout)["title"] == 'Welcome to Acme: "Help"'
    assert "no problems" in cli("-C", root, "check").stderr


def test_init_inside_an_existing_repository_adds_a_commit(tmp_path, cli):
    root = tmp_path / "project"
    root.mkdir()
    git(root, "init", "-q")
    (root / "code.py").write_text("print('hi')\n")
    git(root, "add", "code.py")
    git(root, "commit", "-qm", "code")
    cli("init", root, "--timezone", "UTC")
    assert git(root, "log", "--format=%s").split("\n")[:2] == ["supportctl: new desk Help Center", "code"]


def test_init_refuses_to_overwrite_and_says_which_files(tmp_path, cli):
    root = tmp_path / "acme"
    root.mkdir()
    (root / "supportctl.yml").write_text("mine\n")
    r = cli("init", root, ok=False)
    assert r.exit_code == 1 and "supportctl.yml" in r.stderr and "nothing was changed" in r.stderr
    assert (root / "supportctl.yml").read_text() == "mine\n"
    assert not (root / "tickets").exists()


def test_paths_and_root_discovery(desk, cli, monkeypatch, tmp_path):
    data = json.loads(cli("paths", "--json").stdout)
    assert data["root"] == str(desk) and data["tickets"] == str(desk / "tickets")
    monkeypatch.chdir(desk / "tickets")
    assert json.loads(cli("paths", "--json").stdout)["root"] == str(desk)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SUPPORTCTL_ROOT", str(desk))
    assert json.loads(cli("paths", "--json").stdout)["config"] == str(desk / "supportctl.yml")
    monkeypatch.delenv("SUPPORTCTL_ROOT")
    r = cli("paths", ok=False)
    assert r.exit_code == 1 and "no supportctl.yml" in r.stderr and "supportctl init" in r.stderr
    assert "root" in cli("-C", desk, "paths").stdout


def test_check_finds_every_kind_of_problem(desk, cli):
    good = new_ticket(cli)
    bad = new_ticket(cli, title="To be broken")
    path = desk / "tickets" / f"{bad}.md"
    text = path.read_text()
    text = text.replace("priority: normal", "priority: critical")
    text = text.replace("channel: email", "channel: email\nasignee: bob\nescalated: no")
    text = text.replace("status: new", "status: waiting")
    text = text.replace("group: null", "group: tier-9")
    text = text.replace("created: 2026-03-02T09:00:00+01:00", "created: 2026-03-02T09:00:00")
    text += ("\n### message aaaa1111 · 2026-03-01T09:00:00+01:00 · bob (agent)\n\nOut of order\n")
    path.write_text(text)
    (desk / "tickets" / f"{good}-copy.md").write_text((desk / "tickets" / f"{good}.md").read_text())
    r = cli("check", "--json", ok=False)
    assert r.exit_code == 1 and r.stdout, r.stderr
    problems = json.loads(r.stdout)
    found = {(p["path"], p["message"]) for p in problems}
    rel = f"tickets/{bad}.md"
    for message in ("unknown priority 'critical'", "unknown key 'asignee'", "unknown key 'escalated'",
                    "escalated: ambiguous value no", "unknown status 'waiting'", "unknown group 'tier-9'",
                    "created has no UTC offset"):
        assert (rel, message) in found, message
    assert any(m.startswith("message aaaa1111") and "earlier than the record before it" in m for _, m in found)
    copy, original = f"tickets/{good}-copy.md", f"tickets/{good}.md"
    assert (copy, f"duplicate id {good}: also in {original}") in found or \
           (original, f"duplicate id {good}: also in {copy}") in found
    by_message = {p["message"]: p for p in problems}
    assert by_message["unknown priority 'critical'"]["line"] == 5
    assert by_message["escalated: ambiguous value no"]["hint"].startswith("quote it")
    human = cli("check", ok=False)
    assert f"error: {rel}:5: unknown priority 'critical'" in human.stderr
    assert "hint: use one of: low, normal, high, urgent" in human.stderr


def test_check_reports_a_broken_config_with_its_line(desk, cli):
    (desk / "supportctl.yml").write_text((desk / "supportctl.yml").read_text().replace("agents:", "agent:"))
    r = cli("check", ok=False)
    assert r.exit_code == 1 and "supportctl.yml:5: unknown key 'agent'" in r.stderr


def test_help_is_fast_and_every_command_is_documented(cli):
    from supportctl.cli import app
    from typer.main import get_command

    root = get_command(app)
    for name, command in root.commands.items():
        assert command.help or command.short_help, name
        for sub_name, sub in getattr(command, "commands", {}).items():
            assert sub.help, f"{name} {sub_name} has no help"
    assert "ticket" in cli("--help").stdout


def test_check_reports_what_the_config_names_but_a_later_run_would_miss(desk, cli):
    import json

    from tests.conftest import git

    config = (desk / "supportctl.yml").read_text()
    config = config.replace("    holidays: [\"12-25\", \"12-26\"]",
                            "    holidays: [\"12-25\", \"12-26\"]\n    holidays_from: {country: ZZ}")
    config = config.replace("      warn_before: 30m\n",
                            "      warn_before: 30m\n      escalate:\n        - {when: breached, note: notes/nowhere}\n")
    (desk / "supportctl.yml").write_text(config + "mail: {address: support@desk.example, subject_tag: Test, "
                                                  "acknowledge: replies/missing}\n")
    git(desk, "commit", "-qam", "config with dangling names")
    result = cli("check", "--json", ok=False)
    messages = " ".join(p["message"] for p in json.loads(result.stdout))
    assert result.exit_code == 1
    assert "escalation note" in messages and "notes/nowhere" in messages
    assert "mail.acknowledge" in messages and "holidays_from" in messages and "ZZ" in messages
