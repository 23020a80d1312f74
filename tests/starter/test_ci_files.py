"""The CI files: the workflows and pre-commit config `init` writes, the action and hook this repository ships.

Checked without GitHub: the files parse, follow GitHub's and pre-commit's own
schemas, pin third-party actions by commit, and run only real supportctl
commands and options; the scripts that matter run here under bash.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from supportctl import __version__
from supportctl.starter.scaffold import SOURCE
from tests.conftest import new_ticket

REPO = Path(__file__).resolve().parent.parent.parent
OWN_ACTION = f"{SOURCE}@v{__version__}"
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def workflows(desk: Path) -> dict[str, dict]:
    found = sorted((desk / ".github" / "workflows").glob("*.yml"))
    assert [p.name for p in found] == ["supportctl-check.yml", "supportctl-issues.yml", "supportctl-mail.yml",
                                       "supportctl-pages.yml", "supportctl-reports.yml", "supportctl-sla.yml"]
    return {p.name: yaml.safe_load(p.read_text()) for p in found}


def steps(flow: dict) -> list[dict]:
    return [step for job in flow["jobs"].values() for step in job["steps"]]


def command_lines(flow: dict) -> list[str]:
    """Every supportctl command line a workflow runs: in `run:` scripts and in the action's `command:`."""
    out = []
    for step in steps(flow):
        if step.get("uses") == OWN_ACTION and step.get("with", {}).get("command"):
            out.append("supportctl " + step["with"]["command"])
        for line in step.get("run", "").splitlines():
            if line.strip().startswith("supportctl "):
                out.append(line.strip())
    return out


def supportctl_shim(folder: Path) -> str:
    """A PATH on which `supportctl` is this interpreter's supportctl (what the action installs)."""
    folder.mkdir(parents=True, exist_ok=True)
    shim = folder / "supportctl"
    shim.write_text(f"#!/bin/sh\nexec {shlex.quote(sys.executable)} -m supportctl \"$@\"\n")
    shim.chmod(0o755)
    return f"{folder}:/usr/bin:/bin"


def test_the_workflows_follow_githubs_schema(template_desk):
    files = sorted(str(p) for p in (template_desk / ".github" / "workflows").glob("*.yml"))
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-workflows",
                           *files], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_the_action_follows_githubs_schema_and_installs_from_its_own_checkout():
    proc = subprocess.run([sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.github-actions",
                           str(REPO / "action.yml")], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    action = yaml.safe_load((REPO / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"command", "python-version", "source", "working-directory"}
    install = next(s for s in action["runs"]["steps"] if s.get("name") == "Install supportctl")
    assert install["env"]["ACTION_PATH"] == "${{ github.action_path }}"
    assert '"${SUPPORTCTL_SOURCE:-$ACTION_PATH}"' in install["run"]
    # Inputs reach scripts through the environment only, never pasted into a script.
    for step in action["runs"]["steps"]:
        assert "${{" not in step.get("run", ""), step


def test_every_action_is_pinned_by_commit_with_its_version_beside_it(template_desk):
    """Third-party actions by 40-hex commit (`# vX.Y.Z` says which); supportctl's own by its release tag.

    supportctl's action cannot be pinned by commit when the package is built:
    it is pinned to the tag of the version that wrote the desk, the same code
    as the supportctl it installs.
    """
    texts = {p.name: p.read_text() for p in (template_desk / ".github" / "workflows").glob("*.yml")}
    texts["action.yml"] = (REPO / "action.yml").read_text()
    seen = set()
    for name, text in texts.items():
        for line in text.splitlines():
            m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
            if not m:
                continue
            ref, rest = m.groups()
            seen.add(ref.split("@")[0])
            if ref == OWN_ACTION:
                continue
            assert PINNED.match(ref), f"{name}: {line.strip()}"
            assert re.match(r"^\s+# v\d+\.\d+\.\d+$", rest), f"{name}: no version comment: {line.strip()}"
    assert {"actions/checkout", "actions/setup-python", "actions/upload-pages-artifact", "actions/deploy-pages",
            SOURCE} <= seen
    # And every workflow installs supportctl through the action, not from a package index it is not on.
    for name, flow in workflows(template_desk).items():
        assert any(s.get("uses") == OWN_ACTION for s in steps(flow)), name
        assert "pip install" not in texts[name], name


def test_the_workflows_run_only_real_supportctl_commands_and_options(template_desk, cli):
    from typer.main import get_command

    from supportctl.cli import app

    root = get_command(app)
    seen = []
    for name, flow in workflows(template_desk).items():
        for line in command_lines(flow):
            words = shlex.split(line.split(">>")[0])[1:]
            command, path = root, []
            while words and hasattr(command, "commands") and words[0] in command.commands:
                path.append(words[0])
                command = command.commands[words.pop(0)]
            assert path and not hasattr(command, "commands"), f"{name}: {line}"
            assert cli(*path, "--help").exit_code == 0
            known = {opt for param in command.params for opt in param.opts}
            for word in words:
                option = word.split("=")[0]
                if option.startswith("--"):
                    assert option in known, f"{name}: {line}: supportctl {' '.join(path)} has no {option}"
            seen.append(" ".join(path))
    assert {"check", "site build", "automate run", "sla check", "mail fetch", "mail send",
            "import github"} <= set(seen)


def test_a_pull_request_is_checked_against_its_base_branch(template_desk):
    flow = workflows(template_desk)["supportctl-check.yml"]
    assert "pull_request" in flow.get("on", flow.get(True))   # YAML 1.1 reads the key `on` as True
    checkout = next(s for s in steps(flow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == 0          # origin/<base> exists for --since
    since = next(s for s in steps(flow) if "--since" in s.get("run", ""))
    assert since["if"] == "github.event_name == 'pull_request'"
    assert 'supportctl check --since "origin/${{ github.base_ref }}"' in since["run"]


def test_the_sla_sweep_reports_a_breach_in_the_summary_without_failing(desk, cli, tmp_path):
    """Run the sweep's own report line under bash, on a desk with a breach: exit 0, the report in the summary."""
    flow = workflows(desk)["supportctl-sla.yml"]
    line = next(s["run"] for s in steps(flow) if "sla check" in s.get("run", ""))
    new_ticket(cli, at="2026-03-02T09:00:00+01:00")
    summary = tmp_path / "summary.md"
    env = {"PATH": supportctl_shim(tmp_path / "bin"), "HOME": str(tmp_path), "GITHUB_STEP_SUMMARY": str(summary),
           "SUPPORTCTL_NOW": "2026-03-09T12:00:00+01:00", "GIT_CONFIG_GLOBAL": str(tmp_path / "none"),
           "PYTHONPATH": str(REPO)}
    proc = subprocess.run(["bash", "-e", "-c", line], cwd=desk, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    report = summary.read_text()
    assert report.startswith("## SLA check") and "breached" in report
    # The same report without --fail-on never fails: the sweep would go red on every run.
    strict = line.replace(" --fail-on never", "")
    assert subprocess.run(["bash", "-e", "-c", strict], cwd=desk, env=env, capture_output=True).returncode == 1


def test_the_actions_command_step_runs_shell_words(template_desk, tmp_path):
    """The action runs `supportctl $command` through eval: quoted arguments stay one word."""
    action = yaml.safe_load((REPO / "action.yml").read_text())
    script = next(s for s in action["runs"]["steps"] if s.get("env", {}).get("SUPPORTCTL_COMMAND"))["run"]
    desk = tmp_path / "desk"
    shutil.copytree(template_desk, desk, symlinks=True)
    env = {"PATH": supportctl_shim(tmp_path / "bin"), "HOME": str(tmp_path), "PYTHONPATH": str(REPO),
           "SUPPORTCTL_COMMAND": 'paths --json'}
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=desk, env=env, capture_output=True, text=True)
    assert proc.returncode == 0 and '"root"' in proc.stdout, proc.stderr
    env["SUPPORTCTL_COMMAND"] = 'ticket new --title "Two words" --from "Dana <d@example.com>" --as alice --no-commit'
    proc = subprocess.run(["bash", "-e", "-c", script], cwd=desk, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert "title: Two words" in (desk / "tickets" / f"{proc.stdout.strip()}.md").read_text()


def test_the_pre_commit_hook_and_the_desks_config_follow_pre_commits_schema(template_desk):
    from pre_commit.clientlib import load_config, load_manifest

    hooks = {h["id"]: h for h in load_manifest(str(REPO / ".pre-commit-hooks.yaml"))}
    hook = hooks["supportctl-check"]
    assert (hook["entry"], hook["language"], hook["pass_filenames"]) == ("supportctl check", "python", False)
    files = re.compile(hook["files"])
    for path in ("tickets/7QH2KD.md", "tickets/2026/7QH2KD.md", "kb/billing/refunds.md", "templates/x.md.j2",
                 "supportctl.yml"):
        assert files.search(path), path
    for path in ("README.md", "src/tickets/x.md", "mkdocs.yml", "supportctl.yml.bak"):
        assert not files.search(path), path
    # language: python installs this repository with pip: it must name the `supportctl` console script.
    assert 'supportctl = "supportctl.console:main"' in (REPO / "pyproject.toml").read_text()

    config = load_config(str(template_desk / ".pre-commit-config.yaml"))
    (repo,) = config["repos"]
    assert (repo["repo"], repo["rev"]) == (f"https://github.com/{SOURCE}", f"v{__version__}")
    assert {h["id"] for h in repo["hooks"]} <= set(hooks)


def test_init_source_names_a_fork_for_every_ci_file(tmp_path, cli):
    root = tmp_path / "d"
    cli("init", root, "--timezone", "UTC", "--agent", "bob", "--source", "acme/supportctl-fork", "--no-commit")
    for rel in (".github/workflows/supportctl-check.yml", ".github/workflows/supportctl-sla.yml",
                ".github/workflows/supportctl-pages.yml", ".github/workflows/supportctl-mail.yml"):
        assert f"uses: acme/supportctl-fork@v{__version__}" in (root / rel).read_text(), rel
    assert "repo: https://github.com/acme/supportctl-fork" in (root / ".pre-commit-config.yaml").read_text()
    r = cli("init", tmp_path / "e", "--source", "https://github.com/acme/x", ok=False)
    assert r.exit_code == 1 and "OWNER/NAME" in r.stderr and not (tmp_path / "e" / "supportctl.yml").exists()

