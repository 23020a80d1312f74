"""Shared fixtures: every test runs against real git repositories in temp folders."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import settings
from typer.testing import CliRunner

# Fewer examples on a laptop, more in CI: HYPOTHESIS_PROFILE=ci.
settings.register_profile("dev", max_examples=25, deadline=None)
settings.register_profile("ci", max_examples=200, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))

TEST_CONFIG = """\
desk:
  name: Test Desk
  timezone: Europe/Berlin
  url: https://help.test.example
agents:
  alice: {name: Alice Adams, email: alice@desk.example, group: tier-1, role: lead}
  bob: {name: Bob Brown, email: bob@desk.example, group: tier-2}
  carol: {name: Carol Chen, email: carol@desk.example, group: tier-1}
groups:
  tier-1: {}
  tier-2: {escalates_from: tier-1}
customers:
  premium: ["vip@bigco.example", "@bigco.example"]
custom_fields:
  plan: {type: string, choices: [free, pro, enterprise]}
  seats: {type: integer}
calendars:
  office:
    timezone: Europe/Berlin
    hours:
      mon: ["08:00-13:00", "14:00-18:00"]
      tue: ["08:00-18:00"]
      wed: ["08:00-18:00"]
      thu: ["08:00-18:00"]
      fri: ["08:00-18:00"]
    holidays: ["12-25", "12-26"]
  always: {timezone: UTC, hours: all}
lifecycle:
  initial: new
  states:
    new: {category: new}
    open: {category: open}
    pending: {category: pending, pauses_sla: true}
    solved: {category: solved, pauses_sla: true}
    closed: {category: closed, pauses_sla: true}
  transitions:
    new: [open, pending, solved, closed]
    open: [pending, solved, closed]
    pending: [open, solved, closed]
    solved: [open, closed]
    closed: []
  reopen: {closed: new_ticket}
sla:
  policies:
    - name: urgent
      match: {priority: urgent}
      calendar: always
      first_response: 1h
      next_reply: 2h
      resolution: 8h
      warn_before: 25%
    - name: standard
      calendar: office
      first_response: 4h
      next_reply: 8h
      resolution: 27h
      warn_before: 30m
"""


GITCONFIG = "[user]\n\tname = Test Runner\n\temail = runner@test.example\n[init]\n\tdefaultBranch = main\n"


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout


@pytest.fixture(autouse=True)
def isolated_env(tmp_path_factory, monkeypatch):
    """No test reads or writes the real home, git config or desk."""
    home = tmp_path_factory.mktemp("home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(GITCONFIG)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    for name in ("SUPPORTCTL_ROOT", "SUPPORTCTL_AGENT", "SUPPORTCTL_NOW", "SUPPORTCTL_CACHE_DIR",
                 "GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")


class Cli:
    """Runs `supportctl` in-process with Typer's CliRunner."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: str, ok: bool | None = True, input: str | None = None):
        from supportctl.cli import app

        result = self.runner.invoke(app, [str(a) for a in args], input=input)
        if ok is True and result.exit_code != 0:
            raise AssertionError(f"supportctl {' '.join(map(str, args))} exited {result.exit_code}\n"
                                 f"stdout: {result.stdout}\nstderr: {result.stderr}\n{result.exception!r}")
        return result


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture(scope="session")
def template_desk(tmp_path_factory) -> Path:
    """A desk made once per test run (`init`, TEST_CONFIG, committed); tests get copies of it."""
    home = tmp_path_factory.mktemp("template-home")
    gitconfig = home / ".gitconfig"
    gitconfig.write_text(GITCONFIG)
    root = tmp_path_factory.mktemp("template") / "desk"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.setenv("GIT_CONFIG_GLOBAL", str(gitconfig))
        mp.setenv("GIT_CONFIG_NOSYSTEM", "1")
        Cli()("init", root, "--name", "Test Desk", "--timezone", "Europe/Berlin", "--agent", "alice")
        (root / "supportctl.yml").write_text(TEST_CONFIG)
        git(root, "commit", "-qam", "test config")
    shutil.rmtree(root / ".supportctl", ignore_errors=True)  # caches are per copy
    return root


@pytest.fixture
def desk(tmp_path, monkeypatch, template_desk) -> Path:
    """An initialised desk (real git repo) with TEST_CONFIG, as the working directory; actor alice."""
    root = tmp_path / "desk"
    shutil.copytree(template_desk, root, symlinks=True)
    monkeypatch.chdir(root)
    monkeypatch.setenv("SUPPORTCTL_AGENT", "alice")
    return root


def new_ticket(cli, *args: str, at: str = "2026-03-02T09:00:00+01:00", **kw) -> str:
    """Create a ticket through the CLI and return its id."""
    base = ["ticket", "new", "--title", kw.get("title", "Export fails"), "--from",
            kw.get("requester", "Dana Smith <dana@example.com>"), "--at", at]
    if kw.get("message", "It fails.") is not None:
        base += ["-m", kw.get("message", "It fails.")]
    result = cli(*base, *args)
    return result.stdout.strip()


@pytest.fixture(params=["stat", "git"])
def keys_by(request, monkeypatch) -> str:
    """Run a test with ticket files keyed on their stat, then again as on a big desk, where git vouches
    for unchanged files (desk/filekeys.py)."""
    if request.param == "git":
        monkeypatch.setattr("supportctl.desk.filekeys.GIT_FROM", 0)
    return request.param
